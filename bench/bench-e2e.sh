#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# End-to-end latency of the live path: from a client's SSL_write returning
# to the record arriving at a WebSocket client through
#   ec-capture tls | ec-parse | ec-serve
# at 10 and at 1000 requests/s. bench/e2e-client.c writes each request
# ("GET /lat/I") with one SSL_write and notes the time right after it
# returned; ws-bench sink --arrivals notes when each event message arrived
# and its first line; the requests are matched by I (both CLOCK_REALTIME on
# this machine). p50/p99/max over every request; all must arrive. Needs root
# (probes); on a shared machine run it under the probe lock.
set -eu
. "$(dirname "$0")/lib.sh"
if [ "$(id -u)" != 0 ]; then
	echo "bench-e2e: skipped (needs root: it attaches probes)"
	exit 0
fi
LIBS="-lbpf -lelf -lz -lprotobuf-c -lpcap -lnghttp2 -lcjson -lwebsockets -lcurl -lssl -lcrypto -lpthread"
d=$BENCH_DIR/e2e
mkdir -p "$d"
cc -O2 -o "$d/e2e-client" "$BENCH_ROOT/bench/e2e-client.c" -lssl -lcrypto -lpthread
cc -O2 -std=gnu11 -D_GNU_SOURCE -I"$BENCH_ROOT/lib" -I"$BENCH_ROOT/build/gen" \
	"$BENCH_ROOT/bench/ws-bench.c" "$BENCH_ROOT/build/rel/libec.a" $LIBS -o "$d/ws-bench"
bench_cert "$d"
cleanup() { bench_cleanup; rm -f "$d/cap.fifo"; }
trap cleanup EXIT INT TERM

run() { # RATE N
	rate=$1 n=$2
	ws=$(bench_port); api=$(bench_port)
	rm -f "$d/cap.fifo"; mkfifo "$d/cap.fifo"
	ec-parse < "$d/cap.fifo" | ec-serve --ws "127.0.0.1:$ws" --listen "127.0.0.1:$api" \
		> /dev/null 2> "$d/serve.err" &
	sp=$!; BENCH_PIDS="$BENCH_PIDS $sp"
	bench_cap_start "$d/cap.fifo" "$d/cap.err" capturing ec-capture tls -t e2e-client --heartbeat 0
	"$d/ws-bench" sink --url "ws://127.0.0.1:$ws/" --clients 1 --arrivals "$d/arrivals" \
		> /dev/null &
	kp=$!; BENCH_PIDS="$BENCH_PIDS $kp"
	bench_wait_clients 1 "$api"
	"$d/e2e-client" "$d/cert.pem" "$d/key.pem" "$rate" "$n" > "$d/writes"
	sleep 1
	bench_cap_stop
	[ "$BENCH_CAP_RC" = 0 ]
	wait "$sp" || true
	wait "$kp"
	BENCH_PIDS=
	awk '
		FNR == NR { w[$1] = $2; next }
		$2 == "GET" && $3 ~ /^\/lat\// {
			id = substr($3, 6)
			if ((id in w) && !(id in seen)) { seen[id] = 1; print $1 - w[id] }
		}' "$d/writes" "$d/arrivals" | sort -n > "$d/latency"
	k=$(wc -l < "$d/latency")
	[ "$k" = "$n" ] || { echo "bench-e2e: $k of $n requests arrived" >&2; return 1; }
	awk -v n="$n" -v rate="$rate" '
		{ v[NR] = $1 }
		END {
			printf "end-to-end latency, SSL_write returned -> WebSocket client through ec-capture tls | ec-parse | ec-serve, %d req/s, %d requests: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
				rate, n, v[int(n * 0.5)] / 1e6, v[int(n * 0.99)] / 1e6, v[n] / 1e6
		}' "$d/latency"
}
run 10 "${E2E_SLOW_N:-300}"
run 1000 "${E2E_FAST_N:-20000}"
