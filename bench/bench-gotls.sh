#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# ec-capture gotls: cost per hooked crypto/tls call on a Go TLS ping-pong
# (tests/go/gotls-bench.go: 64-byte Write + Read, both ends in one process),
# against the same uprobes running an empty program (--empty-probes), in the
# same run. Needs root and golang-go; skipped otherwise.
set -eu
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "bench-gotls: needs root (uprobes): skipped"; exit 0; }
command -v go >/dev/null || { echo "bench-gotls: needs golang-go: skipped"; exit 0; }
B=$BENCH_DIR/gotls
mkdir -p "$B"
export GOCACHE="$B/gocache" GOPATH="$B/gopath" GO111MODULE=off GOFLAGS= GOTOOLCHAIN=local
go build -o "$B/gotls-bench" "$BENCH_ROOT/tests/go/gotls-bench.go"
ROUNDS=${GOTLS_ROUNDS:-50000}

# ns per round trip of one run
rt() { "$B/gotls-bench" "$ROUNDS" | awk '{print $2}'; }
min() { [ "$1" -lt "$2" ] && echo "$1" || echo "$2"; }

cap_start() {
	bench_cap_start /dev/null "$B/cap.err" hooked \
		ec-capture gotls --elfpath "$B/gotls-bench" --heartbeat 0 "$@"
}
trap bench_cleanup EXIT

# interleaved, best of BENCH_REPS each: load on a shared machine only adds time
base=999999999 empty=999999999 full=999999999
for _ in $(seq 1 "${BENCH_REPS:-3}"); do
	base=$(min "$base" "$(rt)")
	cap_start --empty-probes
	empty=$(min "$empty" "$(rt)")
	bench_cap_stop
	cap_start
	full=$(min "$full" "$(rt)")
	bench_cap_stop
done
# hooked calls per round trip, from the capture's own count of one more run
cap_start
"$B/gotls-bench" "$ROUNDS" >/dev/null
sleep 0.2
bench_cap_stop
events=$(sed -n 's/.*stopped: \([0-9]*\) events.*/\1/p' "$B/cap.err")
lost=$(sed -n 's/.* \([0-9]*\) lost.*/\1/p' "$B/cap.err")
awk -v b="$base" -v e="$empty" -v f="$full" -v ev="$events" -v n="$ROUNDS" -v lost="$lost" 'BEGIN {
	calls = ev / n
	printf "ec-capture gotls, %d round trips of 64 bytes (%.2f hooked calls each: %d events, %s lost):\n", n, calls, ev, lost
	printf "  round trip: %d ns unhooked, %d ns empty uprobes, %d ns ec-capture gotls\n", b, e, f
	printf "  per hooked call: empty uprobes %.0f ns, ec-capture gotls %.0f ns (%.2fx the empty probes)\n",
		(e - b) / calls, (f - b) / calls, (e > b) ? (f - b) / (e - b) : 0
}'
