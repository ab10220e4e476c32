#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Hostile bytes for tests/bats/hostile.bats.

server PORT CERT KEY [--count N]  a TLS server (Python's ssl, libssl) that
    answers each request with ESC, BEL, NUL, C1 and invalid UTF-8 in a
    header and the body; serves N connections, then exits.
client PORT [--name HEX]  renames itself (prctl PR_SET_NAME: the kernel's
    comm, any bytes) and sends a text request holding a C1 control and a
    lone CR over TLS (SSL_write_ex/SSL_read_ex of libssl); prints its pid.
records  writes raw records, as an old or foreign writer could, with string
    fields that are not UTF-8 or hold a NUL, on stdout.
check FILE  decodes every record of FILE with python3-protobuf (code from
    protoc; proto3 strings must be UTF-8, checked by the decoder) and
    prints a JSON summary: records, undecodable, and each event's pid,
    pname, pname_raw (hex).
"""
import ctypes
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO = os.path.join(HERE, "..", "..", "proto", "ecaptureq.proto")

EVIL = b"\x1b]0;PWN\x07\x1b[2J\x00\xff\xfe\xc2\x9b31m\r"


def server(port, cert, key, count=1):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(8)
    ls.settimeout(60)
    for _ in range(count):
        raw, _ = ls.accept()
        raw.settimeout(10)
        with ctx.wrap_socket(raw, server_side=True) as c:
            req = b""
            while b"\r\n\r\n" not in req:
                d = c.recv(4096)
                if not d:
                    break
                req += d
            body = b"body " + EVIL + b" end\n"
            c.sendall(b"HTTP/1.1 200 OK\r\nX-Evil: " + EVIL[:-1] + b"\r\nContent-Length: "
                      + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)


def client(port, name_hex):
    if name_hex:
        libc = ctypes.CDLL(None, use_errno=True)
        name = bytes.fromhex(name_hex)
        if libc.prctl(15, ctypes.c_char_p(name), 0, 0, 0) != 0:  # PR_SET_NAME
            sys.exit("prctl failed")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw) as c:
            # text with what a terminal still obeys: a C1 CSI, a lone CR; the
            # answer brings ESC, BEL, NUL and invalid UTF-8
            c.sendall(b"GET /hostile HTTP/1.1\r\nHost: x\r\nX-C1: \xc2\x9b2J red\r"
                      b"overwritten\r\n\r\n")
            got = b""
            while True:
                d = c.recv(4096)
                if not d:
                    break
                got += d
    print(os.getpid())
    return 0 if b"200 OK" in got else 1


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field(num, val):
    if isinstance(val, int):
        return varint(num << 3) + varint(val)
    return varint(num << 3 | 2) + varint(len(val)) + val


def records():
    ev = (field(1, 1700000000000000000) + field(2, b"7_7_\xff\xfe_3_1") + field(3, b"127.0.0.1")
          + field(4, 40000) + field(5, b"127.0.0.1") + field(6, 443) + field(7, 7)
          + field(8, b"\xff\xfe\x1b]0;PWN\x07") + field(9, 1) + field(11, b"GET / HTTP/1.1\r\n\r\n")
          + field(30, b"no\x00te \xc3"))
    recs = [field(1, 1) + field(4, b"old writer: \xff log"),
            field(1, 2) + field(2, ev),
            field(1, 0) + field(3, field(3, b"hb \xc3\x28") + field(18, b"\xe0\x80x"))]
    sys.stdout.buffer.write(b"".join(varint(len(r)) + r for r in recs))


def load_pb2():
    out = tempfile.mkdtemp(prefix="ec-pb2-")
    subprocess.run(["protoc", "--python_out=" + out, "--proto_path=" + os.path.dirname(PROTO),
                    os.path.basename(PROTO)], check=True)
    sys.path.insert(0, out)
    import ecaptureq_pb2  # noqa: E402
    shutil.rmtree(out)  # imported: the generated code is no longer needed
    return ecaptureq_pb2


def check(path):
    from google.protobuf.internal.decoder import _DecodeVarint
    pb = load_pb2()
    data = open(path, "rb").read()
    s = {"records": 0, "undecodable": 0, "events": []}
    pos = 0
    while pos < len(data):
        n, pos = _DecodeVarint(data, pos)
        e = pb.LogEntry()
        try:
            e.ParseFromString(data[pos:pos + n])
        except Exception:
            s["undecodable"] += 1
        else:
            s["records"] += 1
            if e.HasField("event_payload"):
                ev = e.event_payload
                s["events"].append({"pid": ev.pid, "pname": ev.pname,
                                    "pname_raw": ev.pname_raw.hex(), "uuid": ev.uuid,
                                    "type": ev.type, "payload": ev.payload.hex()})
        pos += n
    print(json.dumps(s))
    return 0


def main():
    a = sys.argv[1:]
    if a[:1] == ["server"]:
        count = int(a[a.index("--count") + 1]) if "--count" in a else 1
        return server(int(a[1]), a[2], a[3], count)
    if a[:1] == ["client"]:
        return client(int(a[1]), a[a.index("--name") + 1] if "--name" in a else "")
    if a[:1] == ["records"]:
        return records()
    if a[:1] == ["check"]:
        return check(a[1])
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
