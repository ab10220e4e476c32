#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""HTTPS origin for the live tests: GET /events is a server-sent-events
response (chunked) that sends its first event, stays open until the file
RELEASE exists (at most 30 s), then sends a second event and ends; any
other path gets a short Content-Length page. Threads: other requests are
served while /events stays open. Usage: live_origin.py PORT CERT KEY RELEASE"""
import http.server
import os
import ssl
import sys
import time


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def do_GET(self):
        if self.path == "/events":
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.chunk(b"data: first\n\n")
            deadline = time.monotonic() + 30
            while not os.path.exists(RELEASE) and time.monotonic() < deadline:
                time.sleep(0.05)
            self.chunk(b"data: second\n\n")
            self.wfile.write(b"0\r\n\r\n")
            return
        body = b"live page for %s\n" % self.path.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


port, cert, key, RELEASE = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
srv.daemon_threads = True
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
