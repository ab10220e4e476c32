#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# ec-capture sock: plaintext TCP at the system calls against real peers on
# 127.0.0.1 (needs root): curl and python3's http.server, the vectored calls
# (tests/py/sock_iov.py), redis-cli and redis-server; TLS connections
# (curl -> openssl s_server) skipped and said once.

load helpers

IOV=$EC_ROOT/tests/py/sock_iov.py

setup() {
	T=$BATS_TEST_TMPDIR
	mkdir -p "$T/www"
	echo sock-hello >"$T/www/hello.txt"
}

# http_start: python3's http.server on a free port ($PORT), serving $T/www
# (its pid in $SPID).
http_start() {
	PORT=$(free_port)
	bg_start $PY -m http.server --bind 127.0.0.1 --directory "$T/www" "$PORT" >/dev/null 2>&1
	SPID=$(cat "$T/last.pid")
	wait_port "$PORT"
}

@test "sock: curl -> http.server: both directions with the 4-tuple, a close, and the exchange with its latency" {
	require_root
	http_start
	mod_start sock --target-process curl
	curl -s "http://127.0.0.1:$PORT/hello.txt" >"$T/resp"
	mod_stop
	[ "$(cat "$T/resp")" = sock-hello ]
	req=$(events | jq -c 'select(.direction=="DIRECTION_WRITE")')
	[ "$(wc -l <<<"$req")" = 1 ]
	[[ "$(jq -r .payload <<<"$req")" == "GET /hello.txt HTTP/1.1"$'\r\n'* ]]
	[ "$(jq -r .source <<<"$req")" = SOURCE_SOCK ]
	[ "$(jq -r .pname <<<"$req")" = curl ]
	[ "$(jq -r .src_ip <<<"$req")" = 127.0.0.1 ]
	[ "$(jq -r .dst_ip <<<"$req")" = 127.0.0.1 ]
	[ "$(jq -r .dst_port <<<"$req")" = "$PORT" ]
	[ "$(jq -r .src_port <<<"$req")" -gt 0 ]
	[ "$(jq -r .fd <<<"$req")" -gt 2 ]
	conn=$(jq -r .conn_id <<<"$req")
	[ "$conn" -gt 0 ]
	# what curl read, in order: the whole response, its body last
	resp=$(events | jq -j 'select(.direction=="DIRECTION_READ") | .payload')
	[[ "$resp" == "HTTP/1.0 200 OK"$'\r\n'*$'\r\n\r\n'sock-hello ]]
	[ -z "$(events | jq -c "select(.conn_id != $conn or .pname != \"curl\")")" ]
	[ "$(events | jq -c "select(.closed == true and .conn_id == $conn)" | wc -l)" = 1 ]
	ec-parse <"$T/out.pb" | ec-dump --exchanges >"$T/ex"
	run cat "$T/ex"
	assert_output --regexp "^[^ ]+ curl\([0-9]+\) GET 127\.0\.0\.1:$PORT /hello\.txt 200 [0-9]+ [0-9]+ [0-9.]+ms [0-9.]+ms$"
	no_links_left sock_enter sock_exit ec_sock_state
}

@test "sock: --pid: the server's side only, under its own pid" {
	require_root
	http_start
	mod_start sock --pid "$SPID"
	curl -s "http://127.0.0.1:$PORT/hello.txt" >/dev/null
	mod_stop
	[ -n "$(events)" ]
	[ -z "$(events | jq -c "select(.pid != $SPID)")" ]
	[[ "$(events | jq -j 'select(.direction=="DIRECTION_READ") | .payload')" == "GET /hello.txt HTTP/1.1"$'\r\n'* ]]
	[[ "$(events | jq -j 'select(.direction=="DIRECTION_WRITE") | .payload')" == "HTTP/1.0 200 OK"$'\r\n'*sock-hello ]]
	[ "$(events | jq -r 'select(.direction=="DIRECTION_READ") | .src_port' | sort -u)" = "$PORT" ]
}

@test "sock: TLS (curl https -> openssl s_server) is skipped and said once per connection, never shown as plaintext" {
	require_root
	make_cert "$BATS_FILE_TMPDIR"
	http_start
	tls=$(free_port)
	s_server_start "$tls"
	mod_start sock --target-process curl,openssl
	curl -sk "https://127.0.0.1:$tls/" >"$T/tls-resp"
	curl -s "http://127.0.0.1:$PORT/hello.txt" >/dev/null
	mod_stop
	grep -q '^<HTML>' "$T/tls-resp"
	# one line for each end of the TLS connection, none for the plaintext one
	[ "$(grep -c 'TLS, skipped (use ec-capture tls)' "$T/cap.err")" = 2 ]
	grep -Eq "^ec-capture: conn [0-9]+ pid [0-9]+: TLS, skipped \(use ec-capture tls\): curl, 127\.0\.0\.1:[0-9]+ -> 127\.0\.0\.1:$tls$" "$T/cap.err"
	grep -Eq "^ec-capture: conn [0-9]+ pid [0-9]+: TLS, skipped \(use ec-capture tls\): openssl, 127\.0\.0\.1:$tls <- " "$T/cap.err"
	# also a log record in the stream
	[ "$(ec-dump "$T/out.pb" | grep -c 'TLS, skipped')" = 2 ]
	# not a byte of the TLS connection as data, nor a close of it
	[ -z "$(events | jq -c "select(.dst_port == $tls or .src_port == $tls)")" ]
	[ -n "$(events | jq -c "select(.dst_port == $PORT and .direction == \"DIRECTION_WRITE\")")" ]
}

@test "sock: sendmsg/recvmsg_into and writev/readv: every iovec's bytes in order, 16 KiB events, both ends parsed" {
	require_root
	port=$(free_port)
	bg_start $PY "$IOV" serve "$port"
	wait_port "$port"
	mod_start sock --target-process sockiov,sockiovd
	$PY "$IOV" get "$port" /iov-sendmsg sendmsg >"$T/r1" 2>"$T/q1"
	$PY "$IOV" get "$port" /iov-writev writev >"$T/r2" 2>"$T/q2"
	$PY "$IOV" get "$port" /iov-big sendmsg 40000 >"$T/r3" 2>"$T/q3"
	mod_stop
	grep -q 'path=/iov-big body=40000' "$T/r3"
	local i conn
	for i in 1 2 3; do
		# the client's connection: what it sent and what it received, byte for byte
		conn=$(events | jq -r "select(.pname == \"sockiov\" and .direction == \"DIRECTION_WRITE\" and .seq == 0) | .conn_id" | sed -n "${i}p")
		[ -n "$conn" ]
		events | jq -j "select(.conn_id == $conn and .direction == \"DIRECTION_WRITE\") | .payload" >"$T/w$i"
		cmp "$T/w$i" "$T/q$i"
		events | jq -j "select(.conn_id == $conn and .direction == \"DIRECTION_READ\") | .payload" >"$T/g$i"
		cmp "$T/g$i" "$T/r$i"
	done
	# the 40 KiB POST: one sendmsg of 6 iovecs as 16 KiB events, seq and offset running on
	[ "$(events | jq -r "select(.conn_id == $conn and .direction == \"DIRECTION_WRITE\") | [.seq, .length] | @tsv" | tr '\t\n' ' ')" = "0 16384 1 16384 2 $(($(stat -c %s "$T/q3") - 32768)) " ]
	ec-parse <"$T/out.pb" | ec-dump --exchanges >"$T/ex"
	for p in "GET 127.0.0.1 /iov-sendmsg" "GET 127.0.0.1 /iov-writev" "POST 127.0.0.1 /iov-big"; do
		[ "$(grep -c " sockiov([0-9]*) $p 200 " "$T/ex")" = 1 ]
		[ "$(grep -c " sockiovd([0-9]*) $p 200 " "$T/ex")" = 1 ]
	done
}

@test "sock: --port keeps the connections of that port, --truncate cuts each call" {
	require_root
	http_start
	other=$(free_port)
	bg_start $PY -m http.server --bind 127.0.0.1 --directory "$T/www" "$other" >/dev/null 2>&1
	wait_port "$other"
	mod_start sock --target-process curl --port "$PORT" --truncate 10
	grep -q "hooked .*on TCP sockets, ports $PORT;" "$T/cap.err"
	curl -s "http://127.0.0.1:$PORT/hello.txt" >/dev/null
	curl -s "http://127.0.0.1:$other/hello.txt" >/dev/null
	mod_stop
	[ -n "$(events)" ]
	[ "$(events | jq -r .dst_port | sort -u)" = "$PORT" ]
	req=$(events | jq -c 'select(.direction=="DIRECTION_WRITE")')
	[ "$(jq -r .payload <<<"$req")" = "GET /hello" ]
	[ "$(jq -r .length <<<"$req")" = 10 ]
	[ "$(jq -r .truncated <<<"$req")" = true ]
	[ "$(jq -r .orig_length <<<"$req")" -gt 40 ]
}

@test "sock: ec's own tools are never captured (what they send is captured data: it would loop)" {
	require_root
	http_start
	cp "$(command -v curl)" "$T/ec-curl"
	mod_start sock --port "$PORT"
	"$T/ec-curl" -s "http://127.0.0.1:$PORT/hello.txt" >/dev/null
	mod_stop
	[ -z "$(events | jq -c 'select(.pname == "ec-curl")')" ]
	# the server's side of the same connection is there
	[ -n "$(events | jq -c "select(.pid == $SPID)")" ]
}

@test "sock: redis-cli (write/read) and redis-server, RESP both ways" {
	require_root
	command -v redis-server >/dev/null || skip "redis-server not installed"
	port=$(free_port)
	bg_start redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no >/dev/null 2>&1
	wait_port "$port"
	mod_start sock --target-process redis-cli,redis-server --port "$port"
	redis-cli -p "$port" SET sock-key sock-value >/dev/null
	run redis-cli -p "$port" GET sock-key
	assert_output sock-value
	mod_stop
	[ -n "$(events | jq -c 'select(.pname == "redis-cli" and .direction == "DIRECTION_WRITE" and .payload == "*3\r\n$3\r\nSET\r\n$8\r\nsock-key\r\n$10\r\nsock-value\r\n")')" ]
	[ -n "$(events | jq -c 'select(.pname == "redis-cli" and .direction == "DIRECTION_READ" and .payload == "$10\r\nsock-value\r\n")')" ]
	[ -n "$(events | jq -c 'select(.pname == "redis-server" and .direction == "DIRECTION_READ" and .payload == "*2\r\n$3\r\nGET\r\n$8\r\nsock-key\r\n")')" ]
	[ -n "$(events | jq -c 'select(.pname == "redis-server" and .direction == "DIRECTION_WRITE" and .payload == "+OK\r\n")')" ]
}

@test "sock: filters change live through --control (POST /sock)" {
	require_root
	http_start
	cap_bg capturing "$T/out.pb" ec-capture sock --target-process nobody-at-all --control "$T/ctl.sock"
	curl -s "http://127.0.0.1:$PORT/hello.txt" >/dev/null
	run curl -s --unix-socket "$T/ctl.sock" -d '{"filters":{"target_process":["curl"]}}' http://localhost/sock
	assert_output --partial '"code":0'
	curl -s "http://127.0.0.1:$PORT/live.txt" >/dev/null
	mod_stop
	[ -z "$(events | jq -c 'select(.payload // "" | startswith("GET /hello.txt"))')" ]
	[ -n "$(events | jq -c 'select(.payload // "" | startswith("GET /live.txt"))')" ]
}

@test "sock: bad options are one line, exit 2" {
	run ec-capture sock --port 0
	assert_failure 2
	assert_output "ec-capture: --port: '0' is not a port (1-65535)"
	run ec-capture sock --port 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17
	assert_failure 2
	assert_output "ec-capture: --port: more than 16 ports"
	run ec-capture sock --libssl /x
	assert_failure 2
}
