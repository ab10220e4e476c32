#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""HTTP/1.1 over the vectored socket calls, for ec-capture sock's tests
(tests/bats/sock.bats): what a capture of read/write alone would miss.

  sock_iov.py serve PORT        a server on 127.0.0.1:PORT (comm sockiovd):
                                requests read with recvmsg_into into two
                                buffers, answers sent with sendmsg of three
  sock_iov.py get PORT PATH MODE [BODY]
                                a client (comm sockiov), one request: MODE
                                sendmsg (sendmsg + recvmsg_into) or writev
                                (os.writev + os.readv); with BODY (a byte
                                count) a POST whose body is two iovecs.
                                The request goes to stderr, the response
                                to stdout. Each peeks at the response
                                first (MSG_PEEK: recvfrom, recvmsg).
"""
import ctypes
import os
import socket
import sys


def name(comm):
    """Set the thread's comm (PR_SET_NAME) for the capture's filters."""
    ctypes.CDLL(None).prctl(15, comm.encode(), 0, 0, 0)


def body_of(n):
    return (b"abcdefghij" * (n // 10 + 1))[:n]


def serve(port):
    name("sockiovd")
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(8)
    while True:
        c, _ = ls.accept()
        got = b""
        a, b = bytearray(16), bytearray(65536)
        while True:
            n = c.recvmsg_into([a, b])[0]
            if not n:
                break
            got += (bytes(a) + bytes(b))[:n]
            head, sep, rest = got.partition(b"\r\n\r\n")
            if not sep:
                continue
            want = 0
            for line in head.split(b"\r\n")[1:]:
                k, _, v = line.partition(b":")
                if k.strip().lower() == b"content-length":
                    want = int(v)
            if len(rest) >= want:
                break
        path = got.split(b" ")[1] if b" " in got else b"?"
        text = b"path=" + path + b" body=" + str(len(got.partition(b"\r\n\r\n")[2])).encode()
        c.sendmsg([b"HTTP/1.1 200 OK\r\nContent-Length: " + str(len(text) + 1).encode() +
                   b"\r\nConnection: close\r\n\r\n", text, b"\n"])
        c.close()


def get(port, path, mode, body):
    name("sockiov")
    parts = [(b"POST " if body else b"GET ") + path.encode() + b" HTTP/1.1\r\n",
             b"Host: 127.0.0.1\r\n", b"Connection: close\r\n"]
    if body:
        data = body_of(body)
        parts += [b"Content-Length: " + str(body).encode() + b"\r\n\r\n",
                  data[:body // 2], data[body // 2:]]
    else:
        parts.append(b"\r\n")
    sys.stderr.buffer.write(b"".join(parts))
    s = socket.create_connection(("127.0.0.1", port))
    if mode == "sendmsg":
        s.sendmsg(parts)
        s.recv(5, socket.MSG_PEEK)  # recvfrom: the bytes stay for the next read
    else:
        os.writev(s.fileno(), parts)
        s.recvmsg(5, 0, socket.MSG_PEEK)
    a, b = bytearray(7), bytearray(65536)
    while True:
        if mode == "sendmsg":
            n = s.recvmsg_into([a, b])[0]
        else:
            n = os.readv(s.fileno(), [a, b])
        if not n:
            break
        sys.stdout.buffer.write((bytes(a) + bytes(b))[:n])
    s.close()


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(int(sys.argv[2]))
    else:
        get(int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]) if len(sys.argv) > 5 else 0)
