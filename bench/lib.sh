# Shared by bench/*.sh: paths, the generated 1 GB stream, timing helpers.
BENCH_ROOT=$(cd "$(dirname "$0")/.." && pwd)
export PATH="$BENCH_ROOT/bin:$BENCH_ROOT/build/rel/tests:$PATH"
BENCH_DIR=${BENCH_DIR:-$BENCH_ROOT/build/bench}
BENCH_SIZE=${BENCH_SIZE:-1G}
mkdir -p "$BENCH_DIR"

# The shared generated streams: "mix" is HTTP/1 + 30% HTTP/2 connections
# (binary frames), "h1" is HTTP/1 only; thousands of connections, bodies up
# to 64 KiB split into SSL-sized fragments.
bench_stream() {
	local kind=${1:-mix} h2=30
	[ "$kind" = h1 ] && h2=0
	local f=$BENCH_DIR/gen-$kind-$BENCH_SIZE.pb
	if [ ! -s "$f" ]; then
		echo "bench: generating $BENCH_SIZE $kind stream -> $f" >&2
		ec-gen --seed 1 --size "$BENCH_SIZE" --conns 2000 --h2 $h2 --max-body 65536 \
			--heartbeat 100000 > "$f.tmp" && mv "$f.tmp" "$f"
	fi
	echo "$f"
}

# Seconds (float) a shell command takes: the best of BENCH_REPS runs (3),
# since other load on a shared machine only ever adds time.
secs() {
	local t0 t1 best= i
	for i in $(seq 1 "${BENCH_REPS:-3}"); do
		t0=$(date +%s.%N)
		sh -c "$1" >/dev/null 2>&1
		t1=$(date +%s.%N)
		best=$(echo "$t0 $t1 ${best:-1e9}" | awk '{d = $2 - $1; printf "%.3f", d < $3 ? d : $3}')
	done
	echo "$best"
}

# Peak RSS in KiB of a shell command.
peak_rss() {
	/usr/bin/time -f %M sh -c "$1" 2>&1 >/dev/null | tail -1
}

mbps() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", b / 1048576 / s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
