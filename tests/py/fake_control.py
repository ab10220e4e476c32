#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""A stand-in for ec-capture's --control socket in ec-serve's tests: HTTP/1.1
over a Unix socket, answering every POST /MODULE with a config API response.
Each request body is appended (one line: "PATH BODY") to --log.

--code N answers with code N (HTTP status from the contract's mapping);
--garbage answers a non-JSON body; --delay SECONDS waits before answering.
"""
import argparse
import http.server
import json
import os
import socketserver
import sys
import time

STATUS = {0: 200, 3: 404, 4: 400, 5: 400, 6: 503}


class Server(socketserver.UnixStreamServer):
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("socket")
    ap.add_argument("--log", required=True)
    ap.add_argument("--code", type=int, default=0)
    ap.add_argument("--garbage", action="store_true")
    ap.add_argument("--delay", type=float, default=0.0)
    args = ap.parse_args()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def address_string(self):
            return "unix"

        def log_message(self, fmt, *a):
            pass

        def do_GET(self):
            # a capture's GET /status, as ec-capture answers it
            out = json.dumps({"module": "tls", "filters": "none", "events": 0, "lost": 0,
                              "files": []}).encode()
            self.send_response(200 if self.path == "/status" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n).decode("utf-8", "replace")
            with open(args.log, "a") as f:
                f.write("%s %s\n" % (self.path, body))
            if args.delay:
                time.sleep(args.delay)
            if args.garbage:
                out = b"<html>not json</html>"
                status = 200
            else:
                module = self.path.lstrip("/")
                msg = "applied by fake capture" if args.code == 0 else "fake capture refused"
                out = json.dumps({"code": args.code, "module_type": module, "msg": msg,
                                  "data": None}).encode()
                status = STATUS.get(args.code, 500)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

    if os.path.exists(args.socket):
        os.unlink(args.socket)
    with Server(args.socket, Handler) as srv:
        srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
