#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Copy a file to stdout in 64 KiB writes at about --rate bytes per second at
most, and, with --follow FILE (a client's count of bytes received, see
ws_client.py --progress), never more than --max-lag bytes ahead of the
slowest followed client: a test's readers then keep up on any machine."""
import argparse
import sys
import time


def received(path):
    try:
        with open(path) as f:
            return int(f.read().strip() or 0)
    except (OSError, ValueError):
        return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--rate", type=float, required=True, help="bytes per second")
    ap.add_argument("--follow", action="append", default=[])
    ap.add_argument("--max-lag", type=int, default=8 << 20)
    ap.add_argument("--max-wait", type=float, default=60.0, help="give up waiting (s)")
    args = ap.parse_args()
    start = time.monotonic()
    sent = 0
    out = sys.stdout.buffer
    with open(args.file, "rb") as f:
        while True:
            chunk = f.read(65536)
            if not chunk:
                break
            waited = time.monotonic()
            while args.follow and min(received(p) for p in args.follow) < sent - args.max_lag:
                if time.monotonic() - waited > args.max_wait:
                    print("pace: followed clients stopped reading", file=sys.stderr)
                    return 1
                time.sleep(0.02)
            out.write(chunk)
            out.flush()
            sent += len(chunk)
            ahead = sent / args.rate - (time.monotonic() - start)
            if ahead > 0:
                time.sleep(ahead)
    return 0


if __name__ == "__main__":
    sys.exit(main())
