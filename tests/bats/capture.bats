#!/usr/bin/env bats
# ec-capture tls against real peers on loopback (needs root: BPF + uprobes).

load helpers

setup_file() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
		-keyout "$BATS_FILE_TMPDIR/key.pem" -out "$BATS_FILE_TMPDIR/cert.pem" 2>/dev/null
}

teardown() {
	[ -n "${CAP_PID:-}" ] && kill -INT "$CAP_PID" 2>/dev/null || true
	bg_stop_all
}

# Start ec-capture with the given options, output in $T/out.pb, log in $T/cap.err;
# return once the probes are attached.
cap_start() {
	T=$BATS_TEST_TMPDIR
	ec-capture tls "$@" >"$T/out.pb" 2>"$T/cap.err" &
	CAP_PID=$!
	EC_PIDS="${EC_PIDS:-} $CAP_PID"
	local i
	for i in $(seq 1 200); do
		grep -q 'hooked' "$T/cap.err" 2>/dev/null && return 0
		kill -0 "$CAP_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$T/cap.err" >&2
	return 1
}

# SIGINT the capture, wait (bounded) for it, fail unless it exited 0.
cap_stop() {
	sleep 0.1 # let the last events reach the ring
	kill -INT "$CAP_PID"
	local i
	for i in $(seq 1 100); do kill -0 "$CAP_PID" 2>/dev/null || break; sleep 0.05; done
	wait "$CAP_PID"
	local rc=$?
	CAP_PID=
	[ "$rc" = 0 ] || { cat "$T/cap.err" >&2; return 1; }
}

# Events of the capture as compact JSON lines (payload as text when it is).
events() {
	ec-dump --json "$T/out.pb" | jq -c 'select(.event_payload) | .event_payload'
}

s_server_start() { # PORT [ADDR]
	bg_start openssl s_server -accept "${2:-127.0.0.1}:$1" -cert "$BATS_FILE_TMPDIR/cert.pem" \
		-key "$BATS_FILE_TMPDIR/key.pem" -www -quiet </dev/null >/dev/null 2>&1
	wait_port "$1"
}

@test "curl -> s_server: request written, response read, curl's pid/comm and 4-tuple" {
	require_root
	port=$(free_port)
	s_server_start "$port"
	cap_start
	curl -sk --http1.1 "https://127.0.0.1:$port/hello" -o "$BATS_TEST_TMPDIR/body" &
	cpid=$!
	wait "$cpid"
	cap_stop
	run events
	assert_success
	req=$(events | jq -c "select(.direction==\"DIRECTION_WRITE\" and (.payload|startswith(\"GET /hello HTTP/1.1\r\n\")))")
	[ -n "$req" ]
	[ "$(jq -r .pid <<<"$req")" = "$cpid" ]
	[ "$(jq -r .pname <<<"$req")" = curl ]
	[ "$(jq -r .dst_port <<<"$req")" = "$port" ]
	[ "$(jq -r .dst_ip <<<"$req")" = 127.0.0.1 ]
	[ "$(jq -r .src_ip <<<"$req")" = 127.0.0.1 ]
	[ "$(jq -r .source <<<"$req")" = SOURCE_OPENSSL ]
	[ "$(jq -r .fd <<<"$req")" -gt 2 ]
	conn=$(jq -r .conn_id <<<"$req")
	[ "$conn" -gt 0 ]
	sport=$(jq -r .src_port <<<"$req")
	# the local port is curl's real one: the server saw a client from it
	[ "$sport" -gt 0 ] && [ "$sport" != "$port" ]
	resp=$(events | jq -c "select(.direction==\"DIRECTION_READ\" and .pid==$cpid and (.payload|startswith(\"HTTP/1.0 200 ok\r\n\")))")
	[ -n "$resp" ]
	[ "$(jq -r .conn_id <<<"$resp")" = "$conn" ]
	[ "$(jq -r .src_port <<<"$resp")" = "$sport" ]
	# what curl received is exactly what the read events carry
	events | jq -j "select(.direction==\"DIRECTION_READ\" and .conn_id==$conn) | .payload" >"$T/got"
	grep -q 's_server -accept' "$T/got"
	# the connection's close is reported
	events | jq -c "select(.closed==true and .conn_id==$conn)" | grep -q .
	# a startup log and a final heartbeat
	ec-dump --json "$T/out.pb" | jq -c 'select(.run_log) | .run_log | select(startswith("library "))' | grep -q .
	ec-dump --json "$T/out.pb" | jq -c 'select(.heartbeat_payload.origin=="ec-capture")' | grep -q .
}

@test "usage errors exit 2 with a one-line reason" {
	run ec-capture
	assert_failure 2
	run ec-capture nosuch
	assert_failure 2
	assert_output --partial "unknown module 'nosuch'"
	run ec-capture tls --bogus
	assert_failure 2
	assert_output --partial "unknown option '--bogus'"
	run ec-capture tls --pid abc
	assert_failure 2
	assert_output --partial "--pid: 'abc' is not a process id"
	run ec-capture tls --truncate 12q
	assert_failure 2
	assert_output --partial "--truncate"
	run ec-capture tls --libssl
	assert_failure 2
	assert_output --partial "needs a value"
	run ec-capture tls extra
	assert_failure 2
	run ec-capture tls --help
	assert_success
	assert_output --partial "--target-process"
	run ec-capture openssl --help
	assert_success
	run ec-capture --version
	assert_success
}

@test "runtime errors exit 1: library missing, not a libssl, no such pid" {
	require_root
	run ec-capture tls --libssl /nonexistent/libssl.so.3
	assert_failure 1
	assert_output --partial "--libssl /nonexistent/libssl.so.3: No such file or directory"
	run ec-capture tls --libssl /bin/true
	assert_failure 1
	assert_output --partial "symbol SSL_write not found in /bin/true"
	# a pid that surely is not running: the kernel's pid_max is below it
	run ec-capture tls --pid 2147483646
	assert_failure 1
	assert_output --partial "no such process"
}
