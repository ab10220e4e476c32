#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# ec-serve: (1) records/s from stdin to 8 WebSocket clients: 500 000 event
# records (200-byte payloads) fed as fast as possible, timed from the first
# byte written to the last message received by the last client, nothing
# dropped (queues big enough); (2) latency stdin -> client at 10 000
# records/s to 8 clients: each record carries the time it was written, the
# client subtracts it from the time the message arrived (p50/p99 over 50 000
# records x 8 clients). Both ends are bench/ws-bench.c (libwebsockets
# clients, one process per client), built here. On a shared machine the
# wall-clock figures include the clients' CPU and other load; ec-serve's own
# CPU time per record is printed as well.
set -eu
. "$(dirname "$0")/lib.sh"
N=${SERVE_RECORDS:-500000}
LAT_N=${SERVE_LAT_RECORDS:-50000}
CLIENTS=8
LIBS="-lbpf -lelf -lz -lprotobuf-c -lpcap -lnghttp2 -lcjson -lwebsockets -lcurl -lssl -lcrypto -lpthread"
tool=$BENCH_DIR/ws-bench
cc -O2 -std=gnu11 -D_GNU_SOURCE -I"$BENCH_ROOT/lib" -I"$BENCH_ROOT/build/gen" \
	"$BENCH_ROOT/bench/ws-bench.c" "$BENCH_ROOT/build/rel/libec.a" $LIBS -o "$tool"
cleanup() { bench_cleanup; rm -f "$BENCH_DIR/serve.fifo"; }
trap cleanup EXIT INT TERM
now_ns() { date +%s%N; }

feed=$BENCH_DIR/serve-feed-$N.pb
[ -s "$feed" ] || "$tool" feed --rate 0 --count "$N" --size 200 > "$feed"

# (1) throughput, with 8 client processes of one connection each, twice:
# "raw" clients only walk the frame headers (ws-bench rawsink), so the
# figure is ec-serve's; "lws" clients are libwebsockets clients, which parse
# every byte (on a 2-core machine they, not ec-serve, set the pace).
# ec-serve's own CPU time per record is printed too.
fifo=$BENCH_DIR/serve.fifo
throughput() { # sink-mode label
	ws=$(bench_port); api=$(bench_port)
	rm -f "$fifo"; mkfifo "$fifo"
	/usr/bin/time -f 'cpu %U %S' -o "$BENCH_DIR/serve.time" \
		ec-serve --ws "127.0.0.1:$ws" --listen "127.0.0.1:$api" --queue 2000000 \
		--queue-bytes 4G --drain 120 < "$fifo" > /dev/null 2> "$BENCH_DIR/serve.err" &
	sp=$!; BENCH_PIDS="$BENCH_PIDS $sp"
	exec 7> "$fifo"
	bench_wait_port "$ws" ec-serve; bench_wait_port "$api" ec-serve
	kps=
	rm -f "$BENCH_DIR"/sink.[0-9]*
	for i in $(seq 1 $CLIENTS); do
		if [ "$1" = rawsink ]; then
			"$tool" rawsink --url "ws://127.0.0.1:$ws/" > "$BENCH_DIR/sink.$i" 7>&- &
		else
			"$tool" sink --url "ws://127.0.0.1:$ws/" --clients 1 > "$BENCH_DIR/sink.$i" 7>&- &
		fi
		kps="$kps $!"
	done
	BENCH_PIDS="$BENCH_PIDS $kps"
	bench_wait_clients $CLIENTS "$api"
	t0=$(now_ns)
	cat "$feed" >&7
	exec 7>&-
	for k in $kps; do wait "$k"; done
	wait "$sp"
	# every client gets ec-serve's 4 startup logs too
	want=$((N + 4))
	cat "$BENCH_DIR"/sink.[0-9]* | awk -v want=$want '$4 < want { print "a client got " $4 " of " want " messages" > "/dev/stderr"; bad = 1 } END { exit bad }'
	last=$(cat "$BENCH_DIR"/sink.[0-9]* | awk '$10 > m { m = $10 } END { printf "%d", m }')
	bytes=$(stat -c %s "$feed")
	read -r _ u s < "$BENCH_DIR/serve.time"
	awk -v n="$N" -v c=$CLIENTS -v t0="$t0" -v t1="$last" -v b="$bytes" -v u="$u" -v s="$s" -v l="$2" 'BEGIN {
		w = (t1 - t0) / 1e9
		printf "ec-serve throughput, %s clients: %d records (%.0f MB) to %d clients in %.2f s: %.0f records/s in, %.0f messages/s out; ec-serve CPU %.2f s (%.2f us per record to 8 clients)\n",
			l, n, b / 1e6, c, w, n / w, n * c / w, u + s, (u + s) * 1e6 / n }'
}
throughput rawsink raw
throughput sink lws

# (2) latency at 10 000 records/s
ws=$(bench_port); api=$(bench_port)
rm -f "$fifo"; mkfifo "$fifo"
ec-serve --ws "127.0.0.1:$ws" --listen "127.0.0.1:$api" < "$fifo" > /dev/null 2> "$BENCH_DIR/serve.err" &
sp=$!; BENCH_PIDS="$BENCH_PIDS $sp"
exec 7> "$fifo"
bench_wait_port "$ws" ec-serve; bench_wait_port "$api" ec-serve
lat=$BENCH_DIR/serve-latency.txt
kps=
for i in $(seq 1 $CLIENTS); do
	"$tool" sink --url "ws://127.0.0.1:$ws/" --clients 1 --latency "$lat.$i" > /dev/null 7>&- &
	kps="$kps $!"
done
BENCH_PIDS="$BENCH_PIDS $kps"
bench_wait_clients $CLIENTS "$api"
"$tool" feed --rate 10000 --count "$LAT_N" --size 200 >&7
exec 7>&-
for k in $kps; do wait "$k"; done
wait "$sp"
cat "$lat".[0-9]* > "$lat"
n=$(wc -l < "$lat")
[ "$n" = $((LAT_N * CLIENTS)) ] || { echo "latency: $n samples, want $((LAT_N * CLIENTS))" >&2; exit 1; }
sort -n "$lat" | awk -v n="$n" '
	{ v[NR] = $1 }
	END {
		p50 = v[int(n * 0.50)]; p99 = v[int(n * 0.99)]; p999 = v[int(n * 0.999)]
		printf "ec-serve latency stdin -> client at 10000 records/s, %d clients, %d samples: p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms\n",
			8, n, p50 / 1e6, p99 / 1e6, p999 / 1e6, v[n] / 1e6 }'
