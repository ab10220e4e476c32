#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Write typed request Events (ec-parse's rendering, docs/FORWARD.md) for
ec-forward's tests, until they can come from `ec-gen | ec-parse`.

HTTP/1 requests are rendered by http.client itself (its putrequest /
putheader output is captured from a fake socket), so the bytes are what a
real client sends; HTTP/2 requests are rendered from their header lists as
the contract says ("METHOD PATH HTTP/2.0", then every field in order,
pseudo-headers included). A response, a WebSocket frame and an untyped
chunk are mixed in so the skip counters have something to count.

With --broken, one more type-1 event follows the CONNECT: a real rendering
whose first header line lost its colon (what a desynced parser might
emit), so ec-forward's per-record error path can be tested.

usage: gen_requests.py [--authority HOST:PORT] [--broken] > requests.pb
"""
import argparse
import http.client
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load_pb():
    out = tempfile.mkdtemp(prefix="ec-pb-")
    subprocess.run(["protoc", "--python_out=" + out, "-I", os.path.join(ROOT, "proto"),
                    "ecaptureq.proto"], check=True)
    sys.path.insert(0, out)
    try:
        import ecaptureq_pb2  # noqa: E402
    finally:
        sys.path.remove(out)
        shutil.rmtree(out)
    return ecaptureq_pb2


class Capture:
    """A socket stand-in that keeps what http.client sends."""

    def __init__(self):
        self.data = b""

    def sendall(self, b):
        self.data += bytes(b)

    def close(self):
        pass


def h1(method, path, headers, body=b"", version="HTTP/1.1", host=None):
    c = http.client.HTTPConnection(host or "unused", 443)
    cap = Capture()
    c.sock = cap
    if version == "HTTP/1.0":
        c._http_vsn_str = "HTTP/1.0"
    c.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    for k, v in headers:
        c.putheader(k, v)
    c.endheaders()
    return cap.data + body


def h1_response(status, reason, headers, body):
    out = "HTTP/1.1 %d %s\r\n" % (status, reason)
    out += "".join("%s: %s\r\n" % kv for kv in headers)
    return out.encode() + b"\r\n" + body


def h2(fields, body=b""):
    d = dict(fields)
    lines = ["%s %s HTTP/2.0" % (d.get(":method", "?"), d.get(":path", "?"))]
    lines += ["%s: %s" % kv for kv in fields]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--authority", default="api.example.test:443")
    ap.add_argument("--broken", action="store_true")
    a = ap.parse_args()
    pb = load_pb()
    auth = a.authority
    json_body = b'{"name":"widget","tags":["a","b"],"price":12.5}\n'
    form = b"user=alice&note=hello+world\n"
    binary = bytes((i * 37 + 11) % 256 for i in range(300))
    # (type, payload, pid, pname, dst_ip, dst_port, extra)
    reqs = [
        (1, h1("GET", "/index.html?q=ec+capture&page=2", [
            ("Host", auth), ("User-Agent", "curl/8.1"), ("Accept", "*/*"),
            ("Cookie", "session=abc123; theme=dark"),
            ("Authorization", "Bearer secret-token"),
            ("Connection", "keep-alive"), ("Keep-Alive", "timeout=5"),
            ("X-Trace-Id", "t-0001")]), 4100, "curl", "127.0.0.1", 443, {}),
        (1, h1("POST", "/api/v1/items", [
            ("Host", auth), ("User-Agent", "python-requests/2.31"),
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(json_body))),
            ("Connection", "close, X-Drop-Me"), ("X-Drop-Me", "1"),
            ("TE", "trailers"), ("Proxy-Authorization", "Basic cHJveHk6cGFzcw=="),
            ("X-Keep-Me", "yes")], json_body), 4200, "python3", "127.0.0.1", 443, {}),
        (3, h1_response(200, "OK", [("Content-Type", "text/html"),
                                    ("Content-Length", "5")], b"hello"),
         4100, "curl", "127.0.0.1", 443, {}),
        (1, h1("PUT", "/upload/blob.bin", [
            ("Host", auth), ("Content-Type", "application/octet-stream"),
            ("Transfer-Encoding", "chunked"), ("Upgrade", "h2c"),
            ("Accept", "application/json")], binary), 4200, "python3", "127.0.0.1", 443,
         {"note": "dechunked"}),
        (1, h1("DELETE", "/api/v1/items/7", [
            ("Host", auth), ("Accept", "*/*"), ("Authorization", "Basic YWxpY2U6cHc=")]),
         4300, "node", "127.0.0.1", 443, {}),
        (5, b"\x81\x05hello", 4300, "node", "127.0.0.1", 443, {"ws_opcode": 1, "ws_fin": True}),
        (1, h1("GET", "/legacy", [("Accept", "text/plain")], version="HTTP/1.0"),
         4400, "wget", "::1", 8443, {}),
        (1, h1("CONNECT", "example.com:443", [("Host", "example.com:443")]),
         4400, "wget", "127.0.0.1", 443, {}),
        (2, h2([(":method", "GET"), (":scheme", "https"), (":authority", auth),
                (":path", "/h2/page?id=42"), ("user-agent", "nghttp2/1.52"),
                ("accept", "text/html"), ("cookie", "a=1"), ("cookie", "b=2"),
                ("x-h2-flag", "on")]), 4500, "nghttp", "127.0.0.1", 443,
         {"h2_stream_id": 1}),
        (2, h2([(":method", "POST"), (":scheme", "https"), (":authority", auth),
                (":path", "/h2/submit"), ("content-type", "application/x-www-form-urlencoded"),
                ("content-length", str(len(form))), ("te", "trailers"),
                ("authorization", "Bearer h2-token")], form), 4500, "nghttp", "127.0.0.1",
         443, {"h2_stream_id": 3}),
        (4, h2([(":status", "200"), ("content-type", "text/plain")], b"ok"),
         4500, "nghttp", "127.0.0.1", 443, {"h2_stream_id": 3}),
        (0, b"\x16\x03\x01 not http", 4600, "curl", "127.0.0.1", 443, {"desync": True}),
    ]
    if a.broken:
        good = h1("PATCH", "/api/v1/items/9", [("Host", auth), ("X-Broken", "yes")])
        reqs.insert(8, (1, good.replace(b"Host:", b"Host", 1), 4400, "wget", "127.0.0.1",
                        443, {}))
    out = sys.stdout.buffer
    ts = 1764684000000000000
    for i, (typ, payload, pid, pname, dip, dport, extra) in enumerate(reqs):
        ev = pb.Event(timestamp=ts + i * 1000, uuid="%d_%d_%s_5_2" % (pid, pid, pname),
                      src_ip="::1" if ":" in dip else "127.0.0.1", src_port=40000 + i,
                      dst_ip=dip, dst_port=dport, pid=pid, pname=pname, type=typ,
                      length=len(payload), payload=payload, source=1,
                      direction=1 if typ in (3, 4) else 2, tid=pid, uid=1000, fd=5,
                      conn_id=pid // 100 - 40, first_seq=i, **extra)
        e = pb.LogEntry(log_type=2, event_payload=ev)
        b = e.SerializeToString()
        n = len(b)
        while True:
            byte = n & 0x7f
            n >>= 7
            out.write(bytes([byte | (0x80 if n else 0)]))
            if not n:
                break
        out.write(b)


if __name__ == "__main__":
    main()
