#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""The HTTP messages of an `ec-dump --json` stream, one sorted line each,
so that two captures of the same traffic compare with diff:

    LABEL DIRECTION START-LINE sha256(body)[:16] body-length

LABEL is the name given for the message's pid (PID=NAME arguments), or
"other"; DIRECTION is write or read; START-LINE is "GET /x HTTP/1.1" or
"HTTP/2.0 200" as ec-parse renders it. Messages sent in parts are joined.

usage: ec-dump --json F | http_msgs.py PID=NAME... > msgs.txt
"""
import base64
import hashlib
import json
import sys

TYPES = {1, 2, 3, 4}


def main():
    names = dict(a.split("=", 1) for a in sys.argv[1:])
    out = []
    parts = {}
    for line in sys.stdin:
        rec = json.loads(line)
        ev = rec.get("event_payload")
        if not ev or ev.get("type") not in TYPES:
            continue
        data = ev.get("payload", "")
        data = base64.b64decode(data) if ev.get("payload_encoding") == "base64" \
            else data.encode()
        key = (ev.get("conn_id"), ev.get("direction"), ev.get("h2_stream_id"), ev.get("pid"))
        if ev.get("part"):
            parts[key] = parts.get(key, b"") + data
            if ev.get("more_parts"):
                continue
            data = parts.pop(key)
        head, _, body = data.partition(b"\r\n\r\n")
        if not _:
            head, _, body = data.partition(b"\n\n")
        start = head.split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8", "replace")
        who = names.get(str(ev.get("pid")), "other")
        d = "write" if ev.get("direction") == "DIRECTION_WRITE" else "read"
        out.append("%s %s %s %s %d" % (who, d, start, hashlib.sha256(body).hexdigest()[:16],
                                       len(body)))
    for line in sorted(out):
        print(line)


main()
