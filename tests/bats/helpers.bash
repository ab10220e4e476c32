# SPDX-License-Identifier: GPL-2.0-only
# Shared bats helpers: paths, free ports, background processes stopped by PID,
# TLS peers, ec-capture started and stopped, ec-serve on a FIFO.
EC_ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
EC_BUILD=${EC_BUILD:-build/rel}
case $EC_BUILD in /*) ;; *) EC_BUILD=$EC_ROOT/$EC_BUILD ;; esac
if [ "$EC_BUILD" = "$EC_ROOT/build/san" ]; then EC_BIN=$EC_BUILD/bin; else EC_BIN=$EC_ROOT/bin; fi
export PATH="$EC_BIN:$EC_BUILD/tests:$PATH"
FIXTURES=$EC_ROOT/tests/fixtures
# calibrated key offsets go to the run's own cache, not the machine's
export XDG_CACHE_HOME=$BATS_RUN_TMPDIR/xdg-cache
EXPECTED=$EC_ROOT/tests/expected
PY=/usr/bin/python3 # Debian's, with its python3-* packages
WSC=$EC_ROOT/tests/py/ws_client.py

bats_require_minimum_version 1.5.0
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

# A file's own teardown replaces this one; it must call bg_stop_all too.
teardown() {
	bg_stop_all
}

# The helpers below run their commands in the network namespace $NETNS when
# a test sets it (pcap.bats), on the host otherwise.

# A TCP port nobody listens on right now (loopback only).
free_port() {
	local p
	for _ in $(seq 1 50); do
		p=$((20000 + RANDOM % 30000))
		if ! ss -Htln "sport = :$p" | grep -q .; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# Start a command in the background; remember its PID for teardown.
bg_start() {
	"$@" &
	EC_PIDS="${EC_PIDS:-} $!"
	echo $! > "$BATS_TEST_TMPDIR/last.pid"
}

# Stop everything bg_start or cap_bg started: SIGINT to the capture, so that it
# detaches its probes as it would for a user, then TERM to all, KILL after 3 s.
bg_stop_all() {
	local p
	[ -z "${CAP_PID:-}" ] || kill -INT "$CAP_PID" 2>/dev/null || true
	for p in ${EC_PIDS:-}; do kill -TERM "$p" 2>/dev/null || true; done
	for p in ${EC_PIDS:-}; do
		for _ in $(seq 1 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	EC_PIDS=
	CAP_PID=
}

# Wait (bounded) until a TCP port on 127.0.0.1 or ::1 accepts connections.
wait_port() {
	local port=$1 i
	for i in $(seq 1 100); do
		${NETNS:+ip netns exec "$NETNS"} ss -Htln "sport = :$port" | grep -q . && return 0
		sleep 0.05
	done
	echo "port $port never opened" >&2
	return 1
}

# Wait (bounded, in 0.05 s steps) until a file exists and is non-empty.
wait_file() {
	local f=$1 n=${2:-100} i
	for i in $(seq 1 "$n"); do
		[ -s "$f" ] && return 0
		sleep 0.05
	done
	return 1
}

# wait_log FILE REGEX STEPS [PID]: wait (STEPS x 0.05 s at most) until FILE
# has a line matching REGEX; fail at once if PID is given and exits first.
# On failure FILE goes to stderr.
wait_log() {
	local f=$1 re=$2 n=$3 pid=${4:-} i
	for i in $(seq 1 "$n"); do
		grep -Eq -- "$re" "$f" 2>/dev/null && return 0
		[ -z "$pid" ] || kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	cat "$f" >&2
	return 1
}

require_root() {
	[ "$(id -u)" = 0 ] || skip "needs root"
}

# --- TLS peers

# make_cert DIR [OPENSSL-REQ-OPTIONS...]: a self-signed CN=localhost
# certificate, DIR/cert.pem and DIR/key.pem.
make_cert() {
	local d=$1
	shift
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost "$@" \
		-keyout "$d/key.pem" -out "$d/cert.pem" 2>/dev/null
}

# s_server_start PORT [ADDR]: openssl s_server -www on ADDR (127.0.0.1):PORT
# with the certificate make_cert wrote to $BATS_FILE_TMPDIR; returns once it
# listens.
s_server_start() {
	bg_start ${NETNS:+ip netns exec "$NETNS"} openssl s_server -accept "${2:-127.0.0.1}:$1" \
		-cert "$BATS_FILE_TMPDIR/cert.pem" -key "$BATS_FILE_TMPDIR/key.pem" -www -quiet \
		</dev/null >/dev/null 2>&1
	wait_port "$1"
}

# tcpdump_start PORT FILE: tcpdump on lo for one port, each packet written at
# once; returns once it listens. tcpdump_stop: flush and wait for it.
tcpdump_start() {
	tcpdump -i lo --immediate-mode -U -s 0 -w "$2" "tcp port $1" 2>"$BATS_TEST_TMPDIR/tcpdump.err" &
	TCPDUMP_PID=$!
	EC_PIDS="${EC_PIDS:-} $TCPDUMP_PID"
	wait_log "$BATS_TEST_TMPDIR/tcpdump.err" 'listening on' 100
}

tcpdump_stop() {
	sleep 0.2
	kill -INT "$TCPDUMP_PID"
	local i
	for i in $(seq 1 60); do kill -0 "$TCPDUMP_PID" 2>/dev/null || break; sleep 0.05; done
	wait "$TCPDUMP_PID" || true
}

# --- ec-capture

# cap_bg READY OUT COMMAND...: a capture COMMAND in the background, records to
# OUT, log in $T/cap.err ($T: the test's tmpdir unless set), pid in $CAP_PID;
# returns once the log says READY (up to 20 s: loading BPF is slow on a busy
# machine), fails with the log if the capture exits first.
cap_bg() {
	local ready=$1 out=$2
	shift 2
	: "${T:=$BATS_TEST_TMPDIR}"
	${NETNS:+ip netns exec "$NETNS"} "$@" >"$out" 2>"$T/cap.err" &
	CAP_PID=$!
	EC_PIDS="${EC_PIDS:-} $CAP_PID"
	wait_log "$T/cap.err" "$ready" 400 "$CAP_PID"
}

# cap_start [OPTIONS]: ec-capture tls OPTIONS, records in $T/out.pb; returns
# once it captures (probes attached, signals handled).
cap_start() {
	: "${T:=$BATS_TEST_TMPDIR}"
	cap_bg capturing "$T/out.pb" ec-capture tls "$@"
}

# mod_start MODULE [OPTIONS]: ec-capture MODULE, records in $T/out.pb; returns
# once its probes are attached.
mod_start() {
	: "${T:=$BATS_TEST_TMPDIR}"
	cap_bg hooked "$T/out.pb" ec-capture "$@"
}

# SIGINT the capture, wait (bounded) for it, fail unless it exited 0.
cap_stop() {
	sleep 0.2 # let the last events reach the ring
	kill -INT "$CAP_PID"
	local i
	for i in $(seq 1 100); do kill -0 "$CAP_PID" 2>/dev/null || break; sleep 0.05; done
	wait "$CAP_PID"
	local rc=$?
	CAP_PID=
	[ "$rc" = 0 ] || { cat "$T/cap.err" >&2; return 1; }
}

# cap_stop, and fail unless the capture says none of its probes is left.
mod_stop() {
	cap_stop || return 1
	grep -q 'all probes detached' "$T/cap.err"
}

# Events of the capture as compact JSON lines (payload as text when it is).
events() {
	ec-dump --json "$T/out.pb" | jq -c 'select(.event_payload) | .event_payload'
}

# None of our BPF programs (named in $@) is still loaded: a link left
# attached would hold its program. The kernel frees a released program
# after an RCU grace period, so one is given up to 3 s to go; a leak stays.
no_links_left() {
	local p i
	for p in "$@"; do
		for i in $(seq 1 60); do
			bpftool prog list 2>/dev/null | grep -q "name ${p:0:15} " || continue 2
			sleep 0.05
		done
		echo "program $p still loaded (a link left attached?)" >&2
		return 1
	done
}

# --- ec-serve

# serve_start [OPTIONS]: ec-serve reading the FIFO $T/in (held open on fd 7);
# $WS / $API are the ports, $SERVE_PID its pid, stdout in $T/serve.out,
# stderr in $T/serve.err.
serve_start() {
	T=$BATS_TEST_TMPDIR
	WS=$(free_port)
	API=$(free_port)
	while [ "$API" = "$WS" ]; do API=$(free_port); done
	mkfifo "$T/in"
	ec-serve --ws "127.0.0.1:$WS" --listen "127.0.0.1:$API" "$@" \
		<"$T/in" >"$T/serve.out" 2>"$T/serve.err" 7>&- &
	SERVE_PID=$!
	EC_PIDS="${EC_PIDS:-} $SERVE_PID"
	exec 7>"$T/in"
	wait_port "$WS"
	wait_port "$API"
}

# wait_clients N [CURL-OPTIONS]: wait (bounded) until the status shows N
# clients ($SCHEME: http unless set).
wait_clients() {
	local i
	for i in $(seq 1 200); do
		[ "$(curl -s "${@:2}" "${SCHEME:-http}://127.0.0.1:$API/status" | jq .clients)" = "$1" ] && return 0
		sleep 0.05
	done
	echo "never saw $1 clients" >&2
	return 1
}

# Close the input; wait (bounded) for ec-serve to exit; its status in
# $SERVE_RC, the seconds from the close to the exit in $SERVE_SECS.
serve_finish() {
	local t0 i
	t0=$(date +%s.%N)
	exec 7>&-
	for i in $(seq 1 750); do kill -0 "$SERVE_PID" 2>/dev/null || break; sleep 0.02; done
	SERVE_SECS=$(echo "$(date +%s.%N) - $t0" | bc)
	SERVE_RC=0
	wait "$SERVE_PID" || SERVE_RC=$?
}

# client_bg NAME ARGS...: a WebSocket client of ec-serve in the background,
# summary in $T/NAME.json, its pid in $PID_NAME.
client_bg() {
	local name=$1
	shift
	$PY "$WSC" "ws://127.0.0.1:$WS/" "$@" >"$T/$name.json" 2>"$T/$name.err" 7>&- &
	EC_PIDS="${EC_PIDS:-} $!"
	eval "PID_$name=$!"
}
