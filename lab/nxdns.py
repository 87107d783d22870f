"""A DNS responder on 127.0.0.1:PORT (UDP) that answers every query with NXDOMAIN.

Used by lab/run's dns-not-found scenario: the client runs in a mount namespace whose
/etc/resolv.conf says `nameserver 127.0.0.1`, so the name lookup gets a real
"no such name" answer and no DNS query leaves the machine.
"""
import socket
import struct
import sys
import time

port = int(sys.argv[1]) if len(sys.argv) > 1 else 53
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.0.0.1", port))


def qname(buf, off):
    labels = []
    while off < len(buf) and buf[off]:
        n = buf[off]
        labels.append(buf[off + 1:off + 1 + n].decode("ascii", "replace"))
        off += 1 + n
    return ".".join(labels), off + 1


while True:
    query, peer = sock.recvfrom(4096)
    if len(query) < 12:
        continue
    tid, flags, qdcount = struct.unpack(">HHH", query[:6])
    if qdcount < 1:
        continue
    name, end = qname(query, 12)
    if end + 4 > len(query):
        continue
    qtype = struct.unpack(">H", query[end:end + 2])[0]
    # QR=1, opcode 0, RD copied from the query, RA=1, RCODE=3 (NXDOMAIN)
    rflags = 0x8000 | (flags & 0x0100) | 0x0080 | 3
    answer = struct.pack(">HHHHHH", tid, rflags, 1, 0, 0, 0) + query[12:end + 4]
    sock.sendto(answer, peer)
    print("%s NXDOMAIN for %s (type %d) to %s:%d"
          % (time.strftime("%H:%M:%S"), name, qtype, peer[0], peer[1]), flush=True)
