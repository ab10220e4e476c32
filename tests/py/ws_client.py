#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""A real eCaptureQ WebSocket client for ec-serve's tests (python3-websocket,
python3-protobuf with code generated from proto/ecaptureq.proto by protoc at
start). Connects, decodes every binary message as one LogEntry and prints a
JSON summary on stdout when it stops.

Stops when: the server closes (--until-close), --events N events were seen,
--heartbeats N heartbeats were seen, or --timeout seconds passed (exit 3).
--stall SECONDS connects and never reads (a stalled client), then exits.
--read-delay SECONDS sleeps that long after each message (a slow client).
--ready FILE is created once the WebSocket is open.
"""
import argparse
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

import websocket

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO = os.path.join(HERE, "..", "..", "proto", "ecaptureq.proto")


def load_pb2():
    out = tempfile.mkdtemp(prefix="ec-pb2-")
    proto_dir = os.path.dirname(os.path.abspath(PROTO))
    subprocess.run(["protoc", "--python_out=" + out, "--proto_path=" + proto_dir,
                    os.path.basename(PROTO)], check=True)
    sys.path.insert(0, out)
    import ecaptureq_pb2  # noqa: E402
    shutil.rmtree(out)  # imported: the generated code is no longer needed
    return ecaptureq_pb2


class BufferedRecv:
    """websocket-client reads each frame header and body with its own recv();
    serve those small reads from 64 KiB socket reads instead (5x faster)."""

    def __init__(self, raw):
        self.raw = raw
        self.buf = b""
        self.off = 0

    def __call__(self, n):
        if self.off >= len(self.buf):
            self.buf = self.raw(65536)
            self.off = 0
        out = self.buf[self.off:self.off + n]
        self.off += len(out)
        return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--token")
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("--events", type=int, default=0)
    ap.add_argument("--heartbeats", type=int, default=0)
    ap.add_argument("--until-close", action="store_true")
    ap.add_argument("--stall", type=float, default=0.0)
    ap.add_argument("--read-delay", type=float, default=0.0)
    ap.add_argument("--ready")
    ap.add_argument("--progress", help="keep the count of bytes received in this file")
    ap.add_argument("--insecure", action="store_true", help="wss: accept any certificate")
    ap.add_argument("--events-out", help="write one JSON line per event here")
    ap.add_argument("--latency-out", help="write receive-minus-timestamp ns per event")
    args = ap.parse_args()

    pb = load_pb2()
    header = ["Authorization: Bearer " + args.token] if args.token else []
    sockopt = ()
    if args.stall or args.read_delay:
        # a small receive buffer: the server sees the stall sooner
        sockopt = ((socket.SOL_SOCKET, socket.SO_RCVBUF, 4096),)
    try:
        sslopt = {"cert_reqs": ssl.CERT_NONE} if args.insecure else None
        ws = websocket.create_connection(args.url, header=header, timeout=args.timeout,
                                         sockopt=sockopt, sslopt=sslopt)
    except websocket.WebSocketBadStatusException as e:
        print(json.dumps({"error": "status", "status": e.status_code}))
        return 2
    except OSError as e:
        print(json.dumps({"error": str(e)}))
        return 2
    ws.frame_buffer.recv = BufferedRecv(ws.frame_buffer.recv)
    if args.ready:
        with open(args.ready + ".tmp", "w") as f:
            f.write("ready\n")
        os.rename(args.ready + ".tmp", args.ready)
    if args.stall:
        time.sleep(args.stall)
        ws.sock.close()
        print(json.dumps({"stalled": args.stall}))
        return 0

    s = {"messages": 0, "events": 0, "logs": 0, "heartbeats": 0, "keylogs": 0,
         "first_logs": [], "heartbeat_msgs": [], "heartbeat_dropped": [],
         "last_logs": [], "pids": {}, "close_code": None, "closed": False,
         "undecodable": 0, "timeout": False}
    events_out = open(args.events_out, "w") if args.events_out else None
    lat = open(args.latency_out, "w") if args.latency_out else None
    deadline = time.monotonic() + args.timeout
    rc = 0
    received = 0

    def progress():
        if args.progress:
            with open(args.progress + ".tmp", "w") as f:
                f.write("%d\n" % received)
            os.replace(args.progress + ".tmp", args.progress)

    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            s["timeout"] = True
            rc = 3
            break
        ws.settimeout(left)
        try:
            op, data = ws.recv_data(control_frame=True)
        except websocket.WebSocketTimeoutException:
            s["timeout"] = True
            rc = 3
            break
        except websocket.WebSocketConnectionClosedException:
            s["closed"] = True
            break
        if op == websocket.ABNF.OPCODE_CLOSE:
            s["closed"] = True
            if len(data) >= 2:
                s["close_code"] = int.from_bytes(data[:2], "big")
                s["close_reason"] = data[2:].decode("utf-8", "replace")
            break
        if op != websocket.ABNF.OPCODE_BINARY:
            continue
        if args.read_delay:
            time.sleep(args.read_delay)
        s["messages"] += 1
        received += len(data)
        if s["messages"] % 500 == 0:
            progress()
        e = pb.LogEntry()
        try:
            e.ParseFromString(data)
        except Exception:
            s["undecodable"] += 1
            continue
        if e.log_type == pb.LOG_TYPE_EVENT:
            s["events"] += 1
            ev = e.event_payload
            s["pids"][str(ev.pid)] = s["pids"].get(str(ev.pid), 0) + 1
            if lat:
                lat.write("%d\n" % (time.time_ns() - ev.timestamp))
            if events_out:
                events_out.write(json.dumps({
                    "rx": time.time_ns(), "part": ev.part, "more_parts": ev.more_parts,
                    "pid": ev.pid, "pname": ev.pname, "type": ev.type, "ts": ev.timestamp,
                    "uuid": ev.uuid, "seq": ev.seq, "conn_id": ev.conn_id,
                    "payload": ev.payload[:200].decode("latin-1")}) + "\n")
                events_out.flush()
        elif e.log_type == pb.LOG_TYPE_PROCESS_LOG:
            if e.record_kind == pb.RECORD_KIND_KEYLOG:
                s["keylogs"] += 1
            else:
                s["logs"] += 1
            if len(s["first_logs"]) < 200:
                s["first_logs"].append(e.run_log)
            s["last_logs"] = (s["last_logs"] + [e.run_log])[-20:]
        else:
            hb = e.heartbeat_payload
            s["heartbeats"] += 1
            if hb.origin == "ec-serve":
                s["heartbeat_msgs"].append(hb.message)
                s["heartbeat_dropped"].append(hb.records_dropped)
                s["heartbeat_count"] = hb.count
        if args.events and s["events"] >= args.events:
            break
        if args.heartbeats and len(s["heartbeat_msgs"]) >= args.heartbeats:
            break
    progress()
    if args.until_close and not s["closed"]:
        rc = 3
    try:
        ws.close(timeout=1)
    except Exception:
        pass
    if events_out:
        events_out.close()
    if lat:
        lat.close()
    print(json.dumps(s))
    return rc


if __name__ == "__main__":
    sys.exit(main())
