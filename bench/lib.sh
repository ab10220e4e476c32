# SPDX-License-Identifier: GPL-2.0-only
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

# --- peers and captures (the set-up the benches share)

# Pids the EXIT trap stops: BENCH_PIDS (TERM), BENCH_CAP (SIGINT, so that
# the capture detaches its probes as it would for a user).
BENCH_PIDS=
BENCH_CAP=
bench_cleanup() {
	[ -z "$BENCH_CAP" ] || kill -INT "$BENCH_CAP" 2>/dev/null || true
	for p in $BENCH_PIDS; do kill "$p" 2>/dev/null || true; done
	return 0
}

# A TCP port nobody listens on right now (loopback only).
bench_port() {
	local p
	for _ in $(seq 1 50); do
		p=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 30000))
		ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return 0; }
	done
	return 1
}

# bench_wait_port PORT WHAT: wait (bounded, 5 s) until PORT listens.
bench_wait_port() {
	for _ in $(seq 1 100); do ss -Htln "sport = :$1" | grep -q . && return 0; sleep 0.05; done
	echo "$2 did not start on $1" >&2
	return 1
}

# bench_wait_clients N API-PORT: wait (bounded, 10 s) until ec-serve has N clients.
bench_wait_clients() {
	for _ in $(seq 1 200); do
		[ "$(curl -s "http://127.0.0.1:$2/status" | jq .clients)" = "$1" ] && return 0
		sleep 0.05
	done
	echo "clients did not connect" >&2
	return 1
}

# bench_cert DIR: a self-signed CN=localhost certificate in DIR/cert.pem,
# DIR/key.pem, made once.
bench_cert() {
	mkdir -p "$1"
	[ -s "$1/key.pem" ] || openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=localhost \
		-keyout "$1/key.pem" -out "$1/cert.pem" 2>/dev/null
}

# bench_cap_start OUT LOG READY COMMAND...: a capture in the background,
# records to OUT, log in LOG, pid in BENCH_CAP; returns once LOG says READY
# (up to 30 s), fails with the log if the capture exits first.
bench_cap_start() {
	local out=$1 log=$2 ready=$3
	shift 3
	rm -f "$log"
	"$@" >"$out" 2>"$log" &
	BENCH_CAP=$!
	for _ in $(seq 1 600); do
		grep -qs "$ready" "$log" && return 0
		kill -0 "$BENCH_CAP" 2>/dev/null || break
		sleep 0.05
	done
	cat "$log" >&2
	return 1
}

# SIGINT the capture and wait for it; its exit status in BENCH_CAP_RC.
bench_cap_stop() {
	kill -INT "$BENCH_CAP"
	BENCH_CAP_RC=0
	wait "$BENCH_CAP" || BENCH_CAP_RC=$?
	BENCH_CAP=
}
