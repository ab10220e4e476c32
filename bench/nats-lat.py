#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Helpers of bench-nats.sh (records built by hand: no protobuf needed).

gen N SIZE RATE   N records of about SIZE bytes on stdout, RATE a second
                  (0: as fast as possible), each event stamped with the
                  time it is written
lat               reads records on stdin; prints the p50 and p99 of
                  (arrival - stamp) in ms, and the count
"""
import sys
import time


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if not n:
            out.append(b)
            return bytes(out)
        out.append(b | 0x80)


def field(num, val):
    if isinstance(val, int):
        return varint(num << 3) + varint(val)
    return varint(num << 3 | 2) + varint(len(val)) + val


def gen(n, size, rate):
    out = sys.stdout.buffer
    body = b"x" * max(0, size - 60)
    t0 = time.monotonic()
    for i in range(n):
        ev = (field(1, time.time_ns()) + field(7, 1000 + i % 7) + field(8, b"bench")
              + field(11, body) + field(16, 1) + field(24, i))
        rec = field(1, 2) + field(2, ev)
        out.write(varint(len(rec)) + rec)
        if rate:
            out.flush()
            ahead = (i + 1) / rate - (time.monotonic() - t0)
            if ahead > 0:
                time.sleep(ahead)
    out.flush()


def read_varint(b, p):
    n = s = 0
    while True:
        c = b[p]
        p += 1
        n |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return n, p


def stamp(rec):
    """Event.timestamp of a LogEntry, or None."""
    p = 0
    while p < len(rec):
        key, p = read_varint(rec, p)
        if key & 7 == 0:
            _, p = read_varint(rec, p)
            continue
        ln, p = read_varint(rec, p)
        if key >> 3 == 2:
            ev = rec[p:p + ln]
            k, q = read_varint(ev, 0)
            if k == 8:
                return read_varint(ev, q)[0]
        p += ln
    return None


def lat():
    inp = sys.stdin.buffer
    buf = b""
    d = []
    while True:
        chunk = inp.read1(65536)
        if not chunk:
            break
        now = time.time_ns()
        buf += chunk
        p = 0
        while True:
            try:
                n, q = read_varint(buf, p)
            except IndexError:
                break
            if q + n > len(buf):
                break
            t = stamp(buf[q:q + n])
            if t:
                d.append((now - t) / 1e6)
            p = q + n
        buf = buf[p:]
    d.sort()
    if not d:
        print("no records")
        return 1
    print("p50 %.2f ms, p99 %.2f ms, max %.2f ms, %d records" % (
        d[len(d) // 2], d[min(len(d) - 1, len(d) * 99 // 100)], d[-1], len(d)))
    return 0


if __name__ == "__main__":
    a = sys.argv[1:]
    if a[:1] == ["gen"]:
        gen(int(a[1]), int(a[2]), float(a[3]))
    elif a[:1] == ["lat"]:
        sys.exit(lat())
    else:
        sys.exit(__doc__)
