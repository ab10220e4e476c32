#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""A TLS server that waits DELAY seconds after each accept before its
handshake, then answers any request with 200 and the request line: a slow
peer, so a client's first TLS write comes DELAY after it connected.
usage: slow_tls_server.py PORT CERT KEY DELAY   (127.0.0.1, until killed)"""
import socket
import ssl
import sys
import threading
import time

port, cert, key, delay = int(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)


def serve(conn):
    try:
        time.sleep(delay)
        with ctx.wrap_socket(conn, server_side=True) as s:
            line = s.recv(65536).split(b"\r\n", 1)[0]
            s.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nok " + line + b"\n")
    except OSError:
        conn.close()


srv = socket.create_server(("127.0.0.1", port))
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
