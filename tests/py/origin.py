#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""A local HTTP(S) origin for ec-forward's tests and benchmark.

Answers every method with 200 and a short body; with --log FILE it appends
one JSON line per request: method, path, version, headers (in order, as
received) and the body (base64). HTTP/1.1 keep-alive; TLS with --cert/--key.

usage: origin.py --port N [--cert C --key K] [--log FILE] [--quiet]
"""
import argparse
import base64
import http.server
import json
import ssl
import sys
import threading


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    log_lock = threading.Lock()

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        if self.server.log_path:
            rec = {"method": self.command, "path": self.path,
                   "peer": self.client_address[1],
                   "version": self.request_version,
                   "headers": [[k, v] for k, v in self.headers.items()],
                   "body": base64.b64encode(body).decode()}
            with self.log_lock, open(self.server.log_path, "a") as f:
                f.write(json.dumps(rec) + "\n")
        out = b"replayed\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(out)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = handle_any

    def log_message(self, fmt, *args):
        if not self.server.quiet:
            sys.stderr.write("origin: " + (fmt % args) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--log")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args()
    http.server.ThreadingHTTPServer.request_queue_size = 128  # 5 drops SYNs at -c 16
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    srv.log_path = a.log
    srv.quiet = a.quiet
    if a.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.cert, a.key)
        ctx.set_alpn_protocols(["http/1.1"])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
