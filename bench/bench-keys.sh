#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Key offsets calibration (lib/capture/sslcal.h): the time ec-capture takes to learn
# the installed libssl's row (cold: the sandboxed helper runs the library)
# and to find it again in the cache, as ec-capture itself reports it, median
# of 11 runs each.  Targets: under 300 ms cold, under 5 ms cached.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "bench-keys: needs root (the sandbox)"; exit 0; }
cache=$BENCH_DIR/keys-cache
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
cold=$(for i in $(seq 1 11); do
	rm -rf "$cache"
	ec-capture tls --check-keys --keys-cache "$cache" --no-keys-table |
		sed -n 's/^calibrated for .* in \([0-9]*\) ms.*/\1/p'
done | median)
cached=$(for i in $(seq 1 11); do
	ec-capture tls --check-keys --keys-cache "$cache" --no-keys-table |
		sed -n 's/^offsets cached for .*, \([0-9.]*\) ms)$/\1/p'
done | median)
whole=$(secs "ec-capture tls --check-keys --keys-cache '$cache' --no-keys-table")
rm -rf "$cache"
echo "keys: calibration of $(ldconfig -p | awk '/libssl.so.3 .*x86-64/ {print $NF; exit}'): cold ${cold} ms (target < 300), cached ${cached} ms (target < 5); a whole ec-capture --check-keys run from the cache: ${whole} s"
