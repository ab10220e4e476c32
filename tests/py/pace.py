#!/usr/bin/python3
"""Copy a file to stdout at about --rate bytes per second (64 KiB writes),
so that test clients can keep up with the stream."""
import argparse
import os
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--rate", type=float, required=True, help="bytes per second")
    args = ap.parse_args()
    start = time.monotonic()
    sent = 0
    out = sys.stdout.buffer
    with open(args.file, "rb") as f:
        while True:
            chunk = f.read(65536)
            if not chunk:
                break
            out.write(chunk)
            out.flush()
            sent += len(chunk)
            ahead = sent / args.rate - (time.monotonic() - start)
            if ahead > 0:
                time.sleep(ahead)
    return 0


if __name__ == "__main__":
    sys.exit(main())
