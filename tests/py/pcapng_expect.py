#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""What Wireshark should find in `ec-dump --pcapng` output, computed
independently from `ec-dump --json` of the same records (stdin).

  pcapng_expect.py uris    HTTP/1.x request URIs, one a line
  pcapng_expect.py paths   HTTP/2 request :path values (hpack decoder)
  pcapng_expect.py pids    pids of events with a payload, one a line
  pcapng_expect.py keys    key-log lines

Data is reassembled per (conn_id, direction) in record order, so requests
split across SSL_write calls are found whole."""
import base64
import json
import re
import sys

import hpack

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def records():
    for line in sys.stdin:
        yield json.loads(line)


def streams():
    data = {}
    for r in records():
        ev = r.get("event_payload")
        if not ev or ev.get("closed") or ev.get("type", 0) != 0:
            continue
        p = ev.get("payload", "")
        p = base64.b64decode(p) if ev.get("payload_encoding") == "base64" else p.encode()
        key = (ev.get("conn_id", 0), ev.get("direction"))
        data[key] = data.get(key, b"") + p
    return data


def h1_uris(buf):
    """Request targets of the requests in one client stream (Content-Length
    bodies skipped; requests here carry no chunked bodies)."""
    off = 0
    while True:
        end = buf.find(b"\r\n\r\n", off)
        if end < 0:
            return
        head = buf[off:end].decode("latin-1").split("\r\n")
        m = re.match(r"[A-Z]+ (\S+) HTTP/1\.[01]$", head[0])
        if not m:
            return
        yield m.group(1)
        length = 0
        for h in head[1:]:
            name, _, value = h.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        off = end + 4 + length


def h2_paths(buf):
    dec = hpack.Decoder()
    buf = buf[len(PREFACE):]
    off, block = 0, b""
    while off + 9 <= len(buf):
        n = int.from_bytes(buf[off:off + 3], "big")
        typ, flags = buf[off + 3], buf[off + 4]
        body = buf[off + 9:off + 9 + n]
        off += 9 + n
        if typ == 1:  # HEADERS
            if flags & 0x8:
                body = body[1:len(body) - body[0]]
            if flags & 0x20:
                body = body[5:]
            block = body
        elif typ == 9:  # CONTINUATION
            block += body
        else:
            continue
        if flags & 0x4:  # END_HEADERS
            for name, value in dec.decode(block):
                if name == ":path":
                    yield value
            block = b""


def main():
    what = sys.argv[1]
    out = []
    if what in ("uris", "paths"):
        for _, buf in sorted(streams().items(), key=lambda kv: str(kv[0])):
            if buf.startswith(PREFACE):
                if what == "paths":
                    out += list(h2_paths(buf))
            elif what == "uris":
                out += list(h1_uris(buf))
    elif what == "pids":
        out = sorted({str(r["event_payload"]["pid"]) for r in records()
                      if r.get("event_payload", {}).get("payload")})
    elif what == "keys":
        out = [r["run_log"] for r in records() if r.get("record_kind") == "RECORD_KIND_KEYLOG"]
    for x in out:
        print(x)


main()
