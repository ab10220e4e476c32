#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# ec-capture tls following the host (no --libssl, no --pid): the start-up
# scan of /proc with 2,000 more idle processes than the machine runs (target
# under 1 s), and the time from ld.so telling that a process loaded a
# libssl no process had loaded before to its hooks being attached (a fresh
# copy each time, loaded by dlopen from python3's ssl module), as the
# capture logs it. The per-call
# cost against the empty-uprobe ceiling is bench-capture.sh's (it runs the
# capture the same way). Needs root.
set -eu
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "bench-host: needs root (BPF)" >&2; exit 1; }
IDLE=${HOST_IDLE:-2000}
RUNS=${HOST_RUNS:-10}
d=$BENCH_DIR/host
rm -rf "$d"
mkdir -p "$d"
LIB=$(ldconfig -p | awk '$1 == "libssl.so.3" && /x86-64/ {print $NF; exit}')
pids=
cap=
cleanup() {
	[ -n "$cap" ] && kill -INT "$cap" 2>/dev/null || true
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# start a capture (module $2, tls by default), wait (20 s at most) until it
# captures; its log in $1
capture() {
	ec-capture "${2:-tls}" --heartbeat 0 >/dev/null 2>"$1" &
	cap=$!
	for _ in $(seq 1 400); do grep -q capturing "$1" && return 0; sleep 0.05; done
	cat "$1" >&2
	return 1
}
stop() {
	kill -INT "$cap"
	wait "$cap" || true
	cap=
}
scan_ms() {
	sed -n 's/.*processes scanned in \([0-9.]*\) ms.*/\1/p' "$1"
}
scanned() {
	sed -n 's/.*following the host ([a-z, ]*): \([0-9]*\) processes scanned.*/\1/p' "$1"
}

capture "$d/base.log"
stop
for i in $(seq 1 "$IDLE"); do
	sleep 600 &
	pids="$pids $!"
done
capture "$d/idle.log"
stop
capture "$d/idle-auto.log" auto
stop

# exec -> hooked: a new libssl inode each run, mapped by dlopen
capture "$d/follow.log"
for i in $(seq 1 "$RUNS"); do
	mkdir -p "$d/copy$i"
	cp "$LIB" "$d/copy$i/"
	LD_LIBRARY_PATH=$d/copy$i /usr/bin/python3 -c 'import ssl' </dev/null
done
sleep 0.5
stop
sed -n 's/.*copy[0-9]*\/libssl.so.3 (openssl, slot [0-9]*) hooked \([0-9.]*\) ms after.*/\1/p' "$d/follow.log" |
	sort -n >"$d/follow.ms"
n=$(wc -l <"$d/follow.ms")
[ "$n" -gt 0 ] || { cat "$d/follow.log" >&2; exit 1; }
med=$(sed -n "$(((n + 1) / 2))p" "$d/follow.ms")
max=$(tail -1 "$d/follow.ms")

echo "ec-capture tls following the host"
printf '  start-up scan  %5s processes %8s ms\n' "$(scanned "$d/base.log")" "$(scan_ms "$d/base.log")"
printf '  start-up scan  %5s processes %8s ms   (+%s idle; target < 1000 ms)\n' \
	"$(scanned "$d/idle.log")" "$(scan_ms "$d/idle.log")" "$IDLE"
printf '  auto, the same %5s processes %8s ms   (OpenSSL, Go, GnuTLS, NSS looked for)\n' \
	"$(scanned "$d/idle-auto.log")" "$(scan_ms "$d/idle-auto.log")"
printf '  loaded -> hooked, a new libssl: median %s ms, max %s ms (%s of %s runs hooked; target: before a first write 100 ms after exec)\n' \
	"$med" "$max" "$n" "$RUNS"
