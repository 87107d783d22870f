"""A TCP listener on 127.0.0.1:PORT that accepts connections and never sends a byte.

Used by lab/run's port-silent scenario. It keeps every accepted socket open and
reads nothing, like a wedged service or a non-RDP program that holds the RDP port.
"""
import socket
import sys
import time

port = int(sys.argv[1])
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(8)
held = []
while True:
    conn, (addr, cport) = srv.accept()
    held.append(conn)
    print("%s accepted TCP connection from %s:%d; answering nothing"
          % (time.strftime("%H:%M:%S"), addr, cport), flush=True)
