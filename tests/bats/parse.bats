#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# ec-parse: typed messages out of generated capture streams, pass-through,
# desync after gaps, bounds (--max-conns, --max-body), bad input.

load helpers

setup() {
	h1=$BATS_TEST_TMPDIR/h1.pb
	ec-gen --seed 3 --total-conns 40 --conns 6 --max-body 3000 --heartbeat 25 > "$h1"
}

# Drop record number $1 (0-based) of a record stream on stdin.
drop_record() {
	python3 -c '
import sys
data = sys.stdin.buffer.read(); out = bytearray(); i = pos = 0
drop = int(sys.argv[1])
while pos < len(data):
    n = shift = 0; start = pos
    while True:
        b = data[pos]; pos += 1; n |= (b & 0x7f) << shift; shift += 7
        if not b & 0x80: break
    if i != drop: out += data[start:pos + n]
    pos += n; i += 1
sys.stdout.buffer.write(out)' "$1"
}

# parse_live SINK OUT: the HTTPS origin parse-server.py on $port, and
# ec-capture tls -t curl | ec-parse | SINK > $T/OUT running; returns once the
# capture captures
parse_live() {
	T=$BATS_TEST_TMPDIR
	make_cert "$T"
	port=$(free_port)
	bg_start $PY "$FIXTURES/parse-server.py" "$port" "$T/cert.pem" "$T/key.pem"
	wait_port "$port"
	mkfifo "$T/records"
	bg_start sh -c "ec-parse < '$T/records' | $1 > '$T/$2'"
	cap_bg capturing "$T/records" ec-capture tls -t curl --heartbeat 0
}

@test "--version, --help, usage errors" {
	run ec-parse --version
	assert_success
	assert_output --regexp '^ec-parse [0-9]+\.[0-9]+'
	run ec-parse --help
	assert_success
	assert_output --partial "--max-conns"
	run ec-parse --bogus
	assert_failure 2
	run ec-parse --max-body lots
	assert_failure 2
	assert_output --partial "--max-body: 'lots' is not a size"
	run ec-parse --idle-timeout 0
	assert_failure 2
}

@test "HTTP/1.1 keep-alive: one request and one response per exchange, nothing untyped" {
	ec-parse --stats < "$h1" > "$BATS_TEST_TMPDIR/out.pb" 2> "$BATS_TEST_TMPDIR/stats"
	req=$(ec-dump -e "$BATS_TEST_TMPDIR/out.pb" | grep -c ' http1-request len=')
	resp=$(ec-dump -e "$BATS_TEST_TMPDIR/out.pb" | grep -c ' http1-response len=')
	[ "$req" -gt 40 ]
	[ "$req" = "$resp" ]
	# the generator's requests, counted in the raw bytes
	want=$(ec-dump -e "$h1" | grep -cE '^(GET|POST) /')
	[ "$want" -le "$req" ]
	grep -q ', 0 untyped' "$BATS_TEST_TMPDIR/stats"
	grep -q 'desync 0, seq gaps 0' "$BATS_TEST_TMPDIR/stats"
	# every chunked response is de-chunked and says so
	run sh -c "ec-dump -e '$BATS_TEST_TMPDIR/out.pb' | grep -c 'note=\"dechunked\"'"
	[ "$output" -gt 0 ]
	run sh -c "ec-dump '$BATS_TEST_TMPDIR/out.pb' | grep -cE '^[0-9a-f]+\r?$'"
	[ "$output" = 0 ]
}

@test "HTTP/2: HPACK through nghttp2, one request and one response per stream" {
	ec-gen --seed 4 --total-conns 30 --conns 5 --h2 100 > "$BATS_TEST_TMPDIR/h2.pb"
	ec-parse --stats < "$BATS_TEST_TMPDIR/h2.pb" > "$BATS_TEST_TMPDIR/out.pb" 2> "$BATS_TEST_TMPDIR/stats"
	ec-dump -e "$BATS_TEST_TMPDIR/out.pb" > "$BATS_TEST_TMPDIR/out.txt"
	req=$(grep -c ' http2-request len=.* stream=' "$BATS_TEST_TMPDIR/out.txt")
	resp=$(grep -c ' http2-response len=.* stream=' "$BATS_TEST_TMPDIR/out.txt")
	[ "$req" -gt 30 ]
	[ "$req" = "$resp" ]
	grep -q ', 0 untyped' "$BATS_TEST_TMPDIR/stats"
	grep -qE '^GET /[^ ]* HTTP/2.0' "$BATS_TEST_TMPDIR/out.txt"
	grep -q '^:authority: ' "$BATS_TEST_TMPDIR/out.txt"
	grep -q '^HTTP/2.0 200' "$BATS_TEST_TMPDIR/out.txt"
	grep -q '^content-length: ' "$BATS_TEST_TMPDIR/out.txt"
}

@test "logs, key-log lines and heartbeats pass through unchanged and in order" {
	ec-dump "$h1" | grep '^-- ' > "$BATS_TEST_TMPDIR/in.txt"
	ec-parse < "$h1" | ec-dump | grep '^-- ' | grep -v 'origin=ec-parse' > "$BATS_TEST_TMPDIR/out.txt"
	[ -s "$BATS_TEST_TMPDIR/in.txt" ]
	diff "$BATS_TEST_TMPDIR/in.txt" "$BATS_TEST_TMPDIR/out.txt"
	# one ec-parse heartbeat after each incoming heartbeat
	a=$(ec-dump "$h1" | grep -c '^-- heartbeat')
	b=$(ec-parse < "$h1" | ec-dump | grep -c 'origin=ec-parse')
	[ "$a" = "$b" ]
}

@test "parsing twice changes nothing (typed events pass through)" {
	ec-parse < "$h1" > "$BATS_TEST_TMPDIR/once.pb"
	ec-parse < "$BATS_TEST_TMPDIR/once.pb" | ec-dump | grep -v 'origin=ec-parse' > "$BATS_TEST_TMPDIR/b.txt"
	ec-dump "$BATS_TEST_TMPDIR/once.pb" | grep -v 'origin=ec-parse' > "$BATS_TEST_TMPDIR/a.txt"
	diff "$BATS_TEST_TMPDIR/a.txt" "$BATS_TEST_TMPDIR/b.txt"
}

@test "a missing event: desync as type 0, then messages again" {
	# the record holding seq 1 of a direction that goes on to seq 2
	idx=$(ec-dump --json "$h1" | python3 -c '
import json, sys
recs = [json.loads(l).get("event_payload", {}) for l in sys.stdin]
key = lambda e: (e.get("conn_id"), e.get("direction"))
later = {key(e) for e in recs if e.get("seq") == 2}
print(next(i for i, e in enumerate(recs) if e.get("seq") == 1 and key(e) in later))')
	drop_record "$idx" < "$h1" > "$BATS_TEST_TMPDIR/gap.pb"
	run sh -c "ec-parse --stats < '$BATS_TEST_TMPDIR/gap.pb' 2>'$BATS_TEST_TMPDIR/stats' | ec-dump -e"
	assert_success
	assert_output --partial "desync"
	assert_output --partial "events missing before seq"
	grep -q 'seq gaps 1' "$BATS_TEST_TMPDIR/stats"
	# typed messages continue after the gap
	last=$(echo "$output" | grep -E ' http1-(request|response) len=' | tail -1)
	[ -n "$last" ]
}

@test "--max-conns evicts the least recent connection, says so in logs and heartbeats" {
	ec-gen --seed 5 --total-conns 30 --conns 8 --heartbeat 50 > "$BATS_TEST_TMPDIR/many.pb"
	run sh -c "ec-parse --max-conns 2 --stats < '$BATS_TEST_TMPDIR/many.pb' 2>'$BATS_TEST_TMPDIR/stats' | ec-dump"
	assert_success
	assert_output --partial "connections evicted so far (--max-conns 2)"
	assert_output --regexp "dropped=[1-9][0-9]* origin=ec-parse"
	grep -qE 'evicted [1-9]' "$BATS_TEST_TMPDIR/stats"
	grep -q 'peak connections 2' "$BATS_TEST_TMPDIR/stats"
}

@test "--max-body cuts long bodies and marks them truncated" {
	run sh -c "ec-parse --max-body 100 < '$h1' | ec-dump --json -e"
	assert_success
	assert_output --partial '"truncated":true'
	assert_output --partial 'body cut at 100 of'
}

@test "bad input: one-line error with the byte offset; --keep-going goes on" {
	printf 'garbage that is not a record stream' > "$BATS_TEST_TMPDIR/bad.pb"
	run sh -c "ec-parse < '$BATS_TEST_TMPDIR/bad.pb' > /dev/null"
	assert_failure 1
	assert_output --partial "byte offset 0"
	cat "$h1" "$BATS_TEST_TMPDIR/bad.pb" "$h1" > "$BATS_TEST_TMPDIR/mixed.pb"
	run sh -c "ec-parse --keep-going < '$BATS_TEST_TMPDIR/mixed.pb' 2>/dev/null | ec-dump -e | grep -c http1-request"
	[ "$output" -gt 80 ]
	run ec-parse /nonexistent/file.pb
	assert_failure 1
	assert_output --partial "/nonexistent/file.pb"
}

@test "refuses to write records to a terminal" {
	run script -qec "ec-parse < '$h1'" /dev/null
	assert_output --partial "refusing to write binary records to a terminal"
}

@test "live: ec-capture tls | ec-parse | ec-dump shows one request and one response per curl call" {
	require_root
	parse_live "ec-dump" out.txt
	for path in plain chunked gzip; do
		curl -sk --http1.1 "https://127.0.0.1:$port/$path" -o /dev/null
	done
	sleep 0.3
	kill -INT "$CAP_PID"
	wait "$CAP_PID"
	for _ in $(seq 1 100); do
		grep -q 'origin=ec-parse' "$T/out.txt" 2>/dev/null && break
		sleep 0.05
	done
	# other tests may run curl meanwhile: count what went to our port
	mine=$(grep -E "^20.* -> 127\.0\.0\.1:$port " "$T/out.txt")
	[ "$(grep -c ' http1-request ' <<<"$mine")" = 3 ]
	[ "$(grep -c ' http1-response ' <<<"$mine")" = 3 ]
	[ "$(grep -c ' unknown len=[1-9]' <<<"$mine")" = 0 ]
	grep -q '^GET /chunked HTTP/1.1' "$T/out.txt"
	grep -q 'second, longer chunk' "$T/out.txt"
}

@test "live: each response names its request (exchange, method, path, status), latency as curl measures it" {
	require_root
	parse_live "ec-dump --json" out.json
	# the server's think time as curl sees it: first response byte - request sent
	curl -sk --http1.1 -w '%{time_pretransfer} %{time_starttransfer}\n' -o /dev/null \
		"https://127.0.0.1:$port/slow" "https://127.0.0.1:$port/plain" >"$T/curl.txt"
	sleep 0.3
	kill -INT "$CAP_PID"
	wait "$CAP_PID"
	for _ in $(seq 1 100); do
		[ "$(jq -s 'map(select(.event_payload.status > 0)) | length' "$T/out.json")" = 2 ] && break
		sleep 0.05
	done
	run jq -r --argjson port "$port" '.event_payload | select(.dst_port == $port and .status > 0) |
		"\(.method) \(.authority) \(.path) \(.status)"' "$T/out.json"
	assert_output "$(printf 'GET 127.0.0.1:%s /slow 200\nGET 127.0.0.1:%s /plain 200' "$port" "$port")"
	# each request and its response carry one id, two ids in all
	run jq -r --argjson port "$port" '.event_payload | select(.dst_port == $port and .type != 0) | "\(.type) \(.exchange_id)"' "$T/out.json"
	[ "${#lines[@]}" = 4 ]
	a=${lines[0]#1 } b=${lines[2]#1 }
	assert_output "$(printf '1 %s\n3 %s\n1 %s\n3 %s' "$a" "$a" "$b" "$b")"
	[ "$a" -gt 0 ] && [ "$b" -gt "$a" ]
	ours=$(jq -r --argjson port "$port" '.event_payload | select(.dst_port == $port and .path == "/slow") | .latency_first_ns' "$T/out.json")
	theirs=$(awk 'NR == 1 { printf "%d", ($2 - $1) * 1e9 }' "$T/curl.txt")
	echo "latency to first byte: ec-parse ${ours} ns, curl ${theirs} ns" >&3
	[ "$ours" -ge 190000000 ]
	d=$((ours - theirs))
	[ "${d#-}" -lt 50000000 ]
}

@test "live: ec-capture tls | ec-parse | ec-dump --exchanges prints each exchange while the capture runs" {
	require_root
	parse_live "ec-dump --exchanges" out.txt
	curl -sk --http1.1 -w '%{time_pretransfer} %{time_starttransfer}\n' -o /dev/null \
		"https://127.0.0.1:$port/slow" >"$T/curl.txt"
	# the line is out while the capture still runs
	for _ in $(seq 1 100); do
		grep -q "127.0.0.1:$port /slow " "$T/out.txt" && break
		sleep 0.05
	done
	kill -0 "$CAP_PID"
	run grep "127.0.0.1:$port /slow " "$T/out.txt"
	assert_output --regexp "^20[-0-9T:.]+Z curl\([0-9]+\) GET 127\.0\.0\.1:$port /slow 200 [0-9]+ [0-9]+ [0-9.]+ms [0-9.]+ms$"
	ours=$(awk '{ sub(/ms$/, "", $9); printf "%d", $9 * 1e6 }' <<<"$output")
	theirs=$(awk '{ printf "%d", ($2 - $1) * 1e9 }' "$T/curl.txt")
	echo "latency to first byte: ec-dump --exchanges ${ours} ns, curl ${theirs} ns" >&3
	d=$((ours - theirs))
	[ "${d#-}" -lt 50000000 ]
	cap_stop
}
