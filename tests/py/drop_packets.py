#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Copy a record stream, leaving out some packet records: the ones whose
index among the packet records longer than MIN bytes is listed, as a
capture that lost them would. Prints what it dropped on stderr.

usage: drop_packets.py MIN INDEX... < in.pb > out.pb
"""
import sys


def varint(b, i):
    v = s = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return v, i


def record_kind(rec):
    """LogEntry.record_kind (field 16), walking the top-level fields."""
    i = 0
    while i < len(rec):
        key, i = varint(rec, i)
        field, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(rec, i)
            if field == 16:
                return v
        elif wt == 2:
            n, i = varint(rec, i)
            i += n
        elif wt == 1:
            i += 8
        elif wt == 5:
            i += 4
        else:
            raise ValueError("wire type %d" % wt)
    return 0


def main():
    least = int(sys.argv[1])
    drop = {int(a) for a in sys.argv[2:]}
    data = sys.stdin.buffer.read()
    out = sys.stdout.buffer
    i = k = 0
    while i < len(data):
        n, j = varint(data, i)
        rec = data[j:j + n]
        if record_kind(rec) == 2 and n > least:
            if k in drop:
                sys.stderr.write("dropped packet record %d (%d bytes)\n" % (k, n))
                rec = None
            k += 1
        if rec is not None:
            out.write(data[i:j + n])
        i = j + n


main()
