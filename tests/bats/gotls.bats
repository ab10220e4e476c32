#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# ec-capture gotls on Go HTTPS programs built here with Debian's golang-go:
# unstripped, stripped (-s -w: functions from .gopclntab) and PIE.

load helpers

GOSRC=$BATS_TEST_DIRNAME/../go/gotls-peer.go

setup_file() {
	B=$BATS_FILE_TMPDIR
	export GOCACHE=$B/gocache GOPATH=$B/gopath GO111MODULE=off GOFLAGS= GOTOOLCHAIN=local
	make_cert "$B"
	# the PIE build recompiles the standard library: start it first, in the background
	(go build -buildmode=pie -o "$B/peer-pie" "$GOSRC" >"$B/pie.log" 2>&1 && touch "$B/pie.ok"
	 touch "$B/pie.done") </dev/null >/dev/null 2>&1 &
	echo $! >"$B/pie.pid"
	go build -o "$B/peer" "$GOSRC"
	# stripped and static (no cgo): functions from the pclntab only
	CGO_ENABLED=0 go build -ldflags="-s -w" -o "$B/peer-stripped" "$GOSRC"
}

teardown_file() {
	local p
	p=$(cat "$BATS_FILE_TMPDIR/pie.pid" 2>/dev/null) || return 0
	pkill -TERM -P "$p" 2>/dev/null || true
	kill -TERM "$p" 2>/dev/null || true
}

# What PID read (or wrote) on each connection, one stream after another (seq order):
# Go's HTTP server reads 1 byte ahead between requests, so a request can span events.
streams() { # PID DIRECTION_READ|DIRECTION_WRITE
	events | jq -rs --argjson p "$1" --arg d "$2" \
		'[.[] | select(.pid==$p and .direction==$d)] | group_by(.conn_id)[] | sort_by(.seq) | map(.payload) | join("")'
}

server_start() { # BIN PORT [ADDR]
	bg_start "$1" server "${3:-127.0.0.1}:$2" "$BATS_FILE_TMPDIR/cert.pem" "$BATS_FILE_TMPDIR/key.pem" \
		</dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/server.err"
	SERVER_PID=$(cat "$BATS_TEST_TMPDIR/last.pid")
	# up to 20 s: the background PIE build can make a cold start slow on 2 cores
	local i
	for i in $(seq 1 400); do
		ss -Htln "sport = :$2" | grep -q . && return 0
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "server on port $2 never listened:" >&2
	cat "$BATS_TEST_TMPDIR/server.err" >&2
	return 1
}

# One request from the client BIN to the server on PORT: checks the request and the
# response on both sides (pids, 4-tuples, connection ids). Sets CLIENT_PID.
check_one_request() { # BIN PORT
	local bin=$1 port=$2
	"$bin" client "https://127.0.0.1:$port" 1 >"$T/client.out" &
	CLIENT_PID=$!
	wait "$CLIENT_PID"
	grep -qx 'hello from go server, path /req0' "$T/client.out"
	mod_stop
	req=$(events | jq -c "select(.pid==$CLIENT_PID and .direction==\"DIRECTION_WRITE\" and (.payload|startswith(\"GET /req0 HTTP/1.1\r\n\")))")
	[ "$(wc -l <<<"$req")" = 1 ]
	[ "$(jq -r .source <<<"$req")" = SOURCE_GOTLS ]
	[ "$(jq -r .dst_ip <<<"$req")" = 127.0.0.1 ]
	[ "$(jq -r .src_ip <<<"$req")" = 127.0.0.1 ]
	[ "$(jq -r .dst_port <<<"$req")" = "$port" ]
	[ "$(jq -r .fd <<<"$req")" -gt 2 ]
	conn=$(jq -r .conn_id <<<"$req")
	sport=$(jq -r .src_port <<<"$req")
	[ "$conn" -gt 0 ] && [ "$sport" -gt 0 ] && [ "$sport" != "$port" ]
	resp=$(events | jq -c "select(.pid==$CLIENT_PID and .direction==\"DIRECTION_READ\" and (.payload|startswith(\"HTTP/1.1 200 OK\r\n\")))")
	[ "$(jq -r .conn_id <<<"$resp")" = "$conn" ]
	[ "$(jq -r .src_port <<<"$resp")" = "$sport" ]
	jq -r .payload <<<"$resp" | grep -q 'hello from go server, path /req0'
	# the server's side of the same connection: local port = PORT, remote = the client's
	sreq=$(events | jq -c "select(.pid==$SERVER_PID and .direction==\"DIRECTION_READ\" and (.payload|startswith(\"GET /req0 HTTP/1.1\r\n\")))")
	[ "$(jq -r .src_port <<<"$sreq")" = "$port" ]
	[ "$(jq -r .dst_port <<<"$sreq")" = "$sport" ]
	sresp=$(events | jq -c "select(.pid==$SERVER_PID and .direction==\"DIRECTION_WRITE\" and (.payload|startswith(\"HTTP/1.1 200 OK\r\n\")))")
	[ "$(jq -r .dst_port <<<"$sresp")" = "$sport" ]
}

@test "gotls --dry-run: Read's RETs are objdump's; a stripped binary resolves from the pclntab" {
	B=$BATS_FILE_TMPDIR
	run ec-capture gotls --elfpath "$B/peer" --dry-run
	assert_success
	assert_output --partial "register ABI, symbols from symtab"
	objdump -d --no-show-raw-insn --disassemble='crypto/tls.(*Conn).Read' "$B/peer" |
		awk '$2 == "ret" || $2 == "retq" { sub(":", "", $1); print "0x" $1 }' >"$BATS_TEST_TMPDIR/want"
	[ -s "$BATS_TEST_TMPDIR/want" ]
	grep -o 'Read RET at 0x[0-9a-f]*' <<<"$output" | awk '{print $4}' >"$BATS_TEST_TMPDIR/got"
	diff "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
	# --pclntab ignores .symtab: the same addresses
	sym=$(grep 'at 0x' <<<"$output")
	run ec-capture gotls --elfpath "$B/peer" --dry-run --pclntab
	assert_success
	[ "$(grep 'at 0x' <<<"$output")" = "$sym" ]
	run ec-capture gotls --elfpath "$B/peer-stripped" --dry-run
	assert_success
	assert_output --partial "symbols from pclntab (.symtab absent, pclntab 1.18)"
	assert_output --regexp "program .*: go1\.[0-9]+"
	[ "$(grep -c 'Read RET at' <<<"$output")" = "$(wc -l <"$BATS_TEST_TMPDIR/want")" ]
}

@test "gotls: request and response of a Go client and server, pids, 4-tuple; the key log decrypts tshark's capture" {
	require_root
	B=$BATS_FILE_TMPDIR
	T=$BATS_TEST_TMPDIR
	port=$(free_port)
	tcpdump_start "$port" "$T/lo.pcap"
	server_start "$B/peer" "$port"
	mod_start gotls --elfpath "$B/peer" --keylogfile "$T/keys.log"
	check_one_request "$B/peer" "$port"
	# key log records, and the same lines in the file
	ec-dump --json "$T/out.pb" | jq -r 'select(.record_kind=="RECORD_KIND_KEYLOG") | .run_log' >"$T/rec.keys"
	grep -q '^CLIENT_TRAFFIC_SECRET_0 [0-9a-f]\{64\} [0-9a-f]\{64,96\}$' "$T/rec.keys"
	diff <(sort "$T/rec.keys") <(sort "$T/keys.log")
	grep -q "symbols from symtab" "$T/cap.err"
	bg_stop_all
	# tshark decrypts the request with the keys, and cannot without them
	run tshark -r "$T/lo.pcap" -o "tls.keylog_file:$T/keys.log" -Y http -T fields -e http.request.uri
	assert_success
	assert_output --partial /req0
	run tshark -r "$T/lo.pcap" -Y http -T fields -e http.request.uri
	refute_output --partial /req0
}

@test "gotls --pid on a stripped server: its binary from /proc/PID/exe, only its events" {
	require_root
	B=$BATS_FILE_TMPDIR
	T=$BATS_TEST_TMPDIR
	port=$(free_port)
	server_start "$B/peer-stripped" "$port"
	mod_start gotls --pid "$SERVER_PID"
	grep -q "symbols from pclntab (.symtab absent" "$T/cap.err"
	file -L "/proc/$SERVER_PID/exe" | grep -q 'statically linked'
	"$B/peer-stripped" client "https://127.0.0.1:$port" 3 >"$T/client.out"
	[ "$(wc -l <"$T/client.out")" = 3 ]
	mod_stop
	# the server's three requests and responses, nothing of the client (same binary)
	[ "$(events | jq -r .pid | sort -u)" = "$SERVER_PID" ]
	[ "$(streams "$SERVER_PID" DIRECTION_READ | grep -o '^GET /req[0-9]* HTTP/1.1' | sort)" = \
		"$(printf 'GET /req%d HTTP/1.1\n' 0 1 2)" ]
	[ "$(streams "$SERVER_PID" DIRECTION_WRITE | grep -o 'path /req[0-9]*$' | sort)" = \
		"$(printf 'path /req%d\n' 0 1 2)" ]
	events | jq -c "select(.direction==\"DIRECTION_READ\" and .src_port==$port)" | grep -q .
	# key lines come from the server's writeKeyLog too
	ec-dump --json "$T/out.pb" | jq -r 'select(.record_kind=="RECORD_KIND_KEYLOG") | .run_log' | grep -q '^SERVER_TRAFFIC_SECRET_0 '
}

@test "gotls: 50 concurrent requests, every one captured on both sides, nothing lost" {
	require_root
	B=$BATS_FILE_TMPDIR
	T=$BATS_TEST_TMPDIR
	port=$(free_port)
	server_start "$B/peer" "$port"
	mod_start gotls --elfpath "$B/peer"
	"$B/peer" client "https://127.0.0.1:$port" 50 >"$T/client.out" &
	cpid=$!
	wait "$cpid"
	[ "$(sort -u "$T/client.out" | wc -l)" = 50 ]
	kill -0 "$SERVER_PID"
	mod_stop
	streams "$cpid" DIRECTION_WRITE | grep -o '^GET /req[0-9]* ' | sort -u >"$T/sent"
	streams "$SERVER_PID" DIRECTION_READ | grep -o '^GET /req[0-9]* ' | sort -u >"$T/got"
	streams "$cpid" DIRECTION_READ | grep -o 'path /req[0-9]*$' | sed 's/path \///' | sort -u >"$T/resp"
	seq 0 49 | sed 's/^/GET \/req/; s/$/ /' | sort >"$T/want"
	diff "$T/want" "$T/sent"
	diff "$T/want" "$T/got"
	diff <(sed 's/GET \///; s/ $//' "$T/want") "$T/resp"
	grep -q ' 0 lost' "$T/cap.err"
}

@test "gotls --control: POST /gotls changes filters and truncation live, no detach" {
	require_root
	B=$BATS_FILE_TMPDIR
	T=$BATS_TEST_TMPDIR
	port=$(free_port)
	server_start "$B/peer" "$port"
	sock=$T/ctl.sock
	mod_start gotls --elfpath "$B/peer" --control="$sock"
	# the control socket comes just after the probes are hooked
	for _ in $(seq 1 100); do [ -S "$sock" ] && break; sleep 0.05; done
	[ -S "$sock" ]
	links_before=$(cat /proc/"$CAP_PID"/fdinfo/* | awk '/^link_id:/{print $2}' | sort | tr '\n' ' ')
	post() { curl -s --unix-socket "$sock" -X POST "http://localhost$1" -d "$2" -w ' %{http_code}'; }
	run post /gotls '{"filters":{"target_process":["nosuch"]}}'
	assert_output '{"code":0,"module_type":"gotls","msg":"applied: target_process","data":null} 200'
	"$B/peer" client "https://127.0.0.1:$port/hidden" 1 >/dev/null
	run post /gotls '{"filters":{"target_process":[]},"truncate_size":10,"elfpath":"/x"}'
	assert_output --partial '"code":0'
	assert_output --partial 'applied: truncate_size, target_process; not applied: elfpath'
	"$B/peer" client "https://127.0.0.1:$port/shown" 1 >/dev/null
	run post /tls '{}'
	assert_output --regexp '^\{"code":3,.*runs module gotls.* 404$'
	run post /gotls '{"pid":"x"}'
	assert_output --regexp '^\{"code":4,.* 400$'
	links_after=$(cat /proc/"$CAP_PID"/fdinfo/* | awk '/^link_id:/{print $2}' | sort | tr '\n' ' ')
	[ "$links_before" = "$links_after" ]
	mod_stop
	[ ! -e "$sock" ]
	events | jq -r .payload >"$T/payloads"
	run grep -c hidden "$T/payloads"
	assert_output 0
	grep -qx 'GET /shown' "$T/payloads"
	events | jq -c 'select(.truncated==true and .orig_length > 10)' | grep -q .
	grep -q 'control: config applied; filters: target=nosuch' "$T/cap.err"
}

@test "gotls over IPv6 (::1): the 4-tuple is IPv6 on both sides" {
	require_root
	B=$BATS_FILE_TMPDIR
	T=$BATS_TEST_TMPDIR
	port=$(free_port)
	server_start "$B/peer" "$port" "[::1]"
	mod_start gotls --elfpath "$B/peer"
	"$B/peer" client "https://[::1]:$port" 1 >"$T/client.out" &
	cpid=$!
	wait "$cpid"
	grep -qx 'hello from go server, path /req0' "$T/client.out"
	mod_stop
	req=$(events | jq -c "select(.pid==$cpid and .direction==\"DIRECTION_WRITE\" and (.payload|startswith(\"GET /req0 \")))")
	[ "$(jq -r .dst_ip <<<"$req")" = ::1 ]
	[ "$(jq -r .src_ip <<<"$req")" = ::1 ]
	[ "$(jq -r .dst_port <<<"$req")" = "$port" ]
	sport=$(jq -r .src_port <<<"$req")
	events | jq -c "select(.pid==$SERVER_PID and .direction==\"DIRECTION_READ\" and .src_ip==\"::1\" and .src_port==$port and .dst_port==$sport)" | grep -q .
}

@test "gotls on a PIE build" {
	require_root
	B=$BATS_FILE_TMPDIR
	T=$BATS_TEST_TMPDIR
	for i in $(seq 1 3000); do [ -e "$B/pie.done" ] && break; sleep 0.1; done
	[ -e "$B/pie.ok" ] || { cat "$B/pie.log" >&2; false; }
	file "$B/peer-pie" | grep -q 'pie executable'
	port=$(free_port)
	server_start "$B/peer-pie" "$port"
	mod_start gotls --elfpath "$B/peer-pie"
	check_one_request "$B/peer-pie" "$port"
}

@test "gotls usage and runtime errors" {
	run ec-capture gotls --dry-run
	assert_failure 2
	assert_output --partial "give --elfpath BIN or --pid PID"
	run ec-capture gotls --elfpath
	assert_failure 2
	assert_output --partial "needs a value"
	run ec-capture gotls --elfpath /bin/true --abi middle
	assert_failure 2
	assert_output --partial "--abi: 'middle'"
	run ec-capture gotls --help
	assert_success
	assert_output --partial "--keylogfile"
	run ec-capture gotls --elfpath /nonexistent/prog --dry-run
	assert_failure 1
	assert_output --partial "/nonexistent/prog: No such file or directory"
	run ec-capture gotls --elfpath /bin/true --dry-run
	assert_failure 1
	assert_output --partial "no Go version found"
	run ec-capture gotls --elfpath /bin/true --dry-run --abi reg
	assert_failure 1
	assert_output --partial "function crypto/tls.(*Conn).writeRecordLocked not found"
	run ec-capture gotls --pid 2147483646 --dry-run
	assert_failure 1
	assert_output --partial "no such process"
	run ec-capture gotls --elfpath "$BATS_TEST_DIRNAME/gotls.bats" --dry-run
	assert_failure 1
	assert_output --partial "not an ELF file"
}
