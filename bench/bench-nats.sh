#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# ec-nats through one real nats-server (JetStream, on a loopback port):
# publish -> subscribe throughput of 1 KiB records, end to end (from the
# publisher's start to the subscriber's last record written), against the
# same file piped through cat; file and memory storage. Then the latency
# from a record being written into ec-nats pub to ec-nats sub writing it,
# at 1,000 records/s: p50 and p99. Targets: >= 100,000 records/s, p99 < 20 ms.
set -eu
. "$(dirname "$0")/lib.sh"
command -v nats-server >/dev/null || { echo "bench-nats: no nats-server (apt-get install nats-server)"; exit 0; }
N=${BENCH_NATS_RECORDS:-200000}
GEN="python3 $(dirname "$0")/nats-lat.py"
[ -x /usr/bin/python3 ] && GEN="/usr/bin/python3 $(dirname "$0")/nats-lat.py"
f=$BENCH_DIR/nats-1k-$N.pb
[ -s "$f" ] || $GEN gen "$N" 1024 0 > "$f"
bytes=$(stat -c %s "$f")
port=$(bench_port)
store=$BENCH_DIR/nats-store
rm -rf "$store"
nats-server -a 127.0.0.1 -p "$port" -js -sd "$store" > "$BENCH_DIR/nats.log" 2>&1 &
srv=$!
BENCH_PIDS=$srv
trap 'bench_cleanup; rm -rf "$store"' EXIT
for _ in $(seq 1 100); do ss -Htln "sport = :$port" | grep -q . && break; sleep 0.05; done
S=nats://127.0.0.1:$port
t_cat=$(secs "cat '$f' | cat > /dev/null")

# one run: a fresh stream, the subscriber waiting, then the publisher
e2e() {
	stream=$1
	ec-nats pub --server "$S" --stream "$stream" --create --storage "$2" --heartbeat 0 \
		"ec.b.$stream" < /dev/null 2>/dev/null
	ec-nats sub "ec.b.$stream" --server "$S" --stream "$stream" --count "$N" > /dev/null 2>"$BENCH_DIR/sub.err" &
	sub=$!
	sleep 0.5
	c0=$(awk '{print $14 + $15}' "/proc/$srv/stat")
	t0=$(date +%s.%N)
	ec-nats pub --server "$S" --stream "$stream" --heartbeat 0 "ec.b.$stream" < "$f" \
		2>"$BENCH_DIR/pub.err" || echo "bench-nats: the publisher failed: $(tail -1 "$BENCH_DIR/pub.err")" >&2
	t1=$(date +%s.%N)
	wait "$sub" || echo "bench-nats: the subscriber failed: $(tail -1 "$BENCH_DIR/sub.err")" >&2
	t2=$(date +%s.%N)
	c1=$(awk '{print $14 + $15}' "/proc/$srv/stat")
	echo "$t0 $t1 $t2 $((c1 - c0))"
}
echo "ec-nats, $N records of 1 KiB ($((bytes >> 20)) MiB), one nats-server:"
for storage in file memory; do
	best=
	for i in 1 2 3; do
		set -- $(e2e "B$storage$i" "$storage")
		d=$(echo "$1 $3" | awk '{printf "%.3f", $2 - $1}')
		if [ -z "$best" ] || [ "$(echo "$d $best" | awk '{print ($1 < $2)}')" = 1 ]; then
			best=$d
			pub_only=$(echo "$1 $2" | awk '{printf "%.3f", $2 - $1}')
			# (clock ticks of 10 ms)
			srv_us=$(awk -v t="$4" -v n="$N" 'BEGIN{printf "%.1f", t * 10000 / n}')
		fi
	done
	echo "  $storage storage: $(awk -v n="$N" -v s="$best" 'BEGIN{printf "%.0f", n / s}') records/s" \
		"end to end, $(mbps "$bytes" "$best") MB/s (target >= 100000 records/s);" \
		"cat $(awk -v n="$N" -v s="$t_cat" 'BEGIN{printf "%.0f", n / s}') records/s," \
		"ratio $(ratio "$t_cat" "$best"); publishing took $pub_only s;" \
		"nats-server's CPU: $srv_us us/record"
done
# latency at 1,000 records/s for 10 s
ec-nats pub --server "$S" --stream LAT --create --heartbeat 0 ec.bench.lat < /dev/null 2>/dev/null
ec-nats sub ec.bench.lat --server "$S" --stream LAT --count 10000 2>/dev/null | $GEN lat > "$BENCH_DIR/lat.txt" &
lat=$!
sleep 0.5
$GEN gen 10000 1024 1000 | ec-nats pub --server "$S" --stream LAT --heartbeat 0 ec.bench.lat 2>/dev/null
wait "$lat"
echo "  latency at 1,000 records/s, pub -> sub: $(cat "$BENCH_DIR/lat.txt") (target p99 < 20 ms)"
rss=$(peak_rss "ec-nats pub --server '$S' --stream Bfile1 --heartbeat 0 ec.b.Bfile1 < '$f'")
echo "  ec-nats pub peak RSS: $((rss / 1024)) MiB (--buffer 64M, --max-pending 4096)"
