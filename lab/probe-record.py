"""Record a real RDP server's answers to the X.224 Connection Requests `rdperr probe` sends.

    python3 lab/probe-record.py PORT SERVER CONFIG > tests/probe-fixtures/NAME.toml

Connects to 127.0.0.1:PORT once per protocol set (the same sets and the same 19-byte requests
as src/probe/x224.rs), reads the X.224 Connection Confirm (or whatever comes, up to 3 s), and
prints a TOML fixture: provenance header, then one [[answer]] per request with the bytes in hex.
tests/probe.rs plays these answers back from a loopback responder. 127.0.0.1 only.
"""
import datetime
import socket
import sys

REQUESTS = [0x00, 0x01, 0x03, 0x0B, 0x05, 0x13]


def request(protocols):
    return bytes([3, 0, 0, 19, 14, 0xE0, 0, 0, 0, 0, 0, 1, 0, 8, 0]) + protocols.to_bytes(4, "little")


def answer(port, protocols):
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    s.settimeout(3)
    s.sendall(request(protocols))
    data = b""
    try:
        while len(data) < 4 or len(data) < int.from_bytes(data[2:4], "big"):
            chunk = s.recv(512)
            if not chunk:
                break
            data += chunk
            if data[0] != 3:
                break
    except socket.timeout:
        pass
    s.close()
    return data


def main():
    port, server, config = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    print("# Answers of a real RDP server to rdperr probe's X.224 Connection Requests,")
    print("# recorded by lab/probe (lab/probe-record.py) on 127.0.0.1.")
    print('server = "%s"' % server)
    print('config = "%s"' % config.replace('"', "'"))
    print('date = "%s"' % datetime.date.today().isoformat())
    for p in REQUESTS:
        data = answer(port, p)
        print()
        print("[[answer]]")
        print("requested = 0x%02X" % p)
        print('hex = "%s"' % data.hex())


main()
