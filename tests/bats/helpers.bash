# Shared bats helpers: paths, free ports, background processes stopped by PID.
EC_ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
EC_BUILD=${EC_BUILD:-build/rel}
case $EC_BUILD in /*) ;; *) EC_BUILD=$EC_ROOT/$EC_BUILD ;; esac
if [ "$EC_BUILD" = "$EC_ROOT/build/san" ]; then EC_BIN=$EC_BUILD/bin; else EC_BIN=$EC_ROOT/bin; fi
export PATH="$EC_BIN:$EC_BUILD/tests:$PATH"
FIXTURES=$EC_ROOT/tests/fixtures
# calibrated key offsets go to the run's own cache, not the machine's
export XDG_CACHE_HOME=$BATS_RUN_TMPDIR/xdg-cache
EXPECTED=$EC_ROOT/tests/expected

bats_require_minimum_version 1.5.0
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

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

# Stop everything bg_start started (TERM, then KILL after 3 s).
bg_stop_all() {
	local p
	for p in ${EC_PIDS:-}; do kill -TERM "$p" 2>/dev/null || true; done
	for p in ${EC_PIDS:-}; do
		for _ in $(seq 1 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	EC_PIDS=
}

# Wait (bounded) until a TCP port on 127.0.0.1 or ::1 accepts connections.
wait_port() {
	local port=$1 i
	for i in $(seq 1 100); do
		ss -Htln "sport = :$port" | grep -q . && return 0
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

require_root() {
	[ "$(id -u)" = 0 ] || skip "needs root"
}

# A self-signed cert.pem/key.pem for localhost in $BATS_FILE_TMPDIR (setup_file).
test_cert() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
		-keyout "$BATS_FILE_TMPDIR/key.pem" -out "$BATS_FILE_TMPDIR/cert.pem" 2>/dev/null
}

# openssl s_server -www with test_cert's pair on ADDR:PORT (default 127.0.0.1).
s_server_start() { # PORT [ADDR]
	bg_start openssl s_server -accept "${2:-127.0.0.1}:$1" -cert "$BATS_FILE_TMPDIR/cert.pem" \
		-key "$BATS_FILE_TMPDIR/key.pem" -www -quiet </dev/null >/dev/null 2>&1
	wait_port "$1"
}
