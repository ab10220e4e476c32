#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# ec-forward: rebuilt requests replayed through mitmdump (Debian's mitmproxy)
# to a local HTTPS origin, --dry-run golden output, filters, failures.

load helpers

setup_file() {
	export CERTDIR=$BATS_FILE_TMPDIR/cert
	mkdir -p "$CERTDIR"
	make_cert "$CERTDIR" -addext subjectAltName=IP:127.0.0.1,DNS:localhost
	# the request fixture: http.client renderings of real-looking requests
	$PY "$BATS_TEST_DIRNAME/../py/gen_requests.py" > "$BATS_FILE_TMPDIR/req.pb"
}

setup() {
	REQ=$BATS_FILE_TMPDIR/req.pb
	LOG=$BATS_TEST_TMPDIR/origin.jsonl
}

# origin [--plain]: start the logging origin; sets OPORT
start_origin() {
	OPORT=$(free_port)
	if [ "${1:-}" = --plain ]; then
		bg_start $PY "$EC_ROOT/tests/py/origin.py" --port "$OPORT" --log "$LOG" --quiet
	else
		bg_start $PY "$EC_ROOT/tests/py/origin.py" --port "$OPORT" --log "$LOG" --quiet \
			--cert "$CERTDIR/cert.pem" --key "$CERTDIR/key.pem"
	fi
	wait_port "$OPORT"
}

# start mitmdump writing flows to $FLOWS; sets MPORT, MPID
start_mitm() {
	MPORT=$(free_port)
	FLOWS=$BATS_TEST_TMPDIR/flows
	bg_start mitmdump --listen-host 127.0.0.1 -p "$MPORT" -w "$FLOWS" -q \
		--set confdir="$BATS_TEST_TMPDIR/mitm" --set ssl_insecure=true
	MPID=$(cat "$BATS_TEST_TMPDIR/last.pid")
	local i
	for i in $(seq 1 300); do # mitmproxy starts slowly: up to 30 s
		ss -Htln "sport = :$MPORT" | grep -q . && return 0
		kill -0 "$MPID" 2>/dev/null || break
		sleep 0.1
	done
	echo "mitmdump never listened on $MPORT" >&2
	return 1
}

# stop mitmdump (flushes the flow file) and print its flows as JSON lines
mitm_flows() {
	kill -TERM "$MPID"
	local i
	for i in $(seq 1 100); do kill -0 "$MPID" 2>/dev/null || break; sleep 0.1; done
	timeout 60 mitmdump -nr "$FLOWS" -q -s "$EC_ROOT/tests/py/mitm_flows.py"
}

# fwd ARGS: ec-forward with records to $BATS_TEST_TMPDIR/res.pb, stderr in
# $stderr, exit code in $status (binary output does not go through `run`)
fwd() {
	status=0
	ec-forward "$@" > "$BATS_TEST_TMPDIR/res.pb" 2> "$BATS_TEST_TMPDIR/stderr" || status=$?
	stderr=$(cat "$BATS_TEST_TMPDIR/stderr")
	echo "$stderr"
}

# the origin's log entry for PATH, as compact JSON
origin_req() {
	jq -c --arg p "$1" 'select(.path == $p)' "$LOG"
}

# the header names (lower case, sorted) of a JSON request line
hdr_names() {
	jq -r '[.headers[][0] | ascii_downcase] | sort | join(",")'
}

@test "--help says cookies and auth are kept; --version; usage errors exit 2" {
	run ec-forward --help
	assert_success
	assert_output --partial "COOKIES AND AUTHORIZATION INCLUDED"
	run ec-forward --version
	assert_success
	assert_output --regexp '^ec-forward [0-9]+\.'
	run ec-forward --bogus
	assert_failure 2
	run ec-forward --proxy ftp://127.0.0.1:1 < /dev/null
	assert_failure 2
	assert_output --partial "--proxy 'ftp://127.0.0.1:1' is not an http:// or https:// URL"
	run ec-forward --plain --target https://127.0.0.1:1 < /dev/null
	assert_failure 2
	run ec-forward --concurrency 0 < /dev/null
	assert_failure 2
	assert_output --partial "--concurrency: '0' is not a number in [1, 1024]"
	run ec-forward --rate fast < /dev/null
	assert_failure 2
}

@test "--dry-run prints every request as curl would send it (golden file)" {
	ec-forward --dry-run --proxy http://127.0.0.1:8080 < "$REQ" > "$BATS_TEST_TMPDIR/dry.txt" \
		2> "$BATS_TEST_TMPDIR/err"
	diff -u "$EXPECTED/forward-dry-run.txt" "$BATS_TEST_TMPDIR/dry.txt"
	[ "$(cat "$BATS_TEST_TMPDIR/err")" = "ec-forward: dry run: 7 of 8 requests printed, 0 filtered out, 1 not replayable, 0 unparsable; 2 responses, 1 WebSocket frames skipped" ]
}

@test "--dry-run: hop-by-hop, Connection-named and pseudo headers dropped; cookies and auth kept" {
	run --separate-stderr ec-forward -n < "$REQ"
	assert_success
	! grep -iE '^> (connection|keep-alive|te|trailer|transfer-encoding|upgrade|proxy-authorization|x-drop-me|expect):' <<< "$output"
	! grep -E '^> :' <<< "$output"
	# exactly one Host and, with a body, one Content-Length per request
	[ "$(grep -c '^> Host: ' <<< "$output")" -eq 7 ]
	[ "$(grep -ic '^> content-length: ' <<< "$output")" -eq 3 ]
	assert_output --partial "> Cookie: session=abc123; theme=dark"
	assert_output --partial "> Authorization: Bearer secret-token"
	assert_output --partial "> cookie: a=1; b=2"
	assert_output --partial "> X-Keep-Me: yes"
	# no Host in an HTTP/1.0 request: the destination, IPv6 bracketed
	assert_output --partial "* GET https://[::1]:8443/legacy"
}

@test "filters select the right subset" {
	sel() { ec-forward -n "$@" < "$REQ" 2>/dev/null | sed -n 's/^\* record \([0-9]*\):.*/\1/p' | tr '\n' ' '; }
	[ "$(sel)" = "0 1 3 4 6 8 9 " ]
	[ "$(sel --method POST)" = "1 9 " ]
	[ "$(sel --method get,delete)" = "0 4 6 8 " ]
	[ "$(sel --path '/api/*')" = "1 4 " ]
	[ "$(sel --path '*\?*')" = "0 8 " ]
	[ "$(sel --host '::1')" = "6 " ]
	[ "$(sel --host 'api.example.*:443')" = "0 1 3 4 8 9 " ]
	[ "$(sel --content-type 'application/*')" = "1 3 9 " ]
	[ "$(sel --content-type application/json)" = "1 " ]
	[ "$(sel --pid 4500)" = "8 9 " ]
	[ "$(sel --pname 'py*')" = "1 3 " ]
	[ "$(sel --pname 'py*' --method PUT)" = "3 " ]
	run ec-forward -n --method PATCH < "$REQ"
	assert_success
	assert_output --partial "0 of 8 requests printed, 7 filtered out, 1 not replayable"
}

@test "HTTP/1.1 and HTTP/2 requests replayed through mitmdump reach the origin intact" {
	start_origin
	start_mitm
	fwd --proxy "http://127.0.0.1:$MPORT" --target "https://127.0.0.1:$OPORT" --insecure \
		--concurrency 3 < "$REQ"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"7 of 8 requests replayed: 7 answered, 0 failed"* ]]
	[ "$(wc -l < "$LOG")" -eq 7 ]
	# what the generator put in, rendered by ec-forward itself
	ec-forward -n --target "https://127.0.0.1:$OPORT" < "$REQ" > "$BATS_TEST_TMPDIR/dry.txt" 2>/dev/null
	# HTTP/1.1: method, path, body and the end-to-end headers
	r=$(origin_req "/api/v1/items")
	[ "$(jq -r .method <<< "$r")" = POST ]
	[ "$(jq -r .body <<< "$r" | base64 -d)" = '{"name":"widget","tags":["a","b"],"price":12.5}' ]
	[ "$(hdr_names <<< "$r")" = "content-length,content-type,host,user-agent,x-keep-me" ]
	r=$(origin_req "/index.html?q=ec+capture&page=2")
	[ "$(hdr_names <<< "$r")" = "accept,authorization,cookie,host,user-agent,x-trace-id" ]
	[ "$(jq -r '.headers[] | select(.[0]=="Cookie") | .[1]' <<< "$r")" = "session=abc123; theme=dark" ]
	[ "$(jq -r '.headers[] | select(.[0]=="Host") | .[1]' <<< "$r")" = "127.0.0.1:$OPORT" ]
	r=$(origin_req "/upload/blob.bin")
	[ "$(jq -r .method <<< "$r")" = PUT ]
	[ "$(jq -r .body <<< "$r" | base64 -d | wc -c)" -eq 300 ]
	[ "$(hdr_names <<< "$r")" = "accept,content-length,content-type,host" ]
	r=$(origin_req "/legacy")
	[ "$(jq -r .version <<< "$r")" = HTTP/1.0 ]
	# HTTP/2 rendering: pseudo-headers gone, split cookies joined, te dropped
	r=$(origin_req "/h2/page?id=42")
	[ "$(hdr_names <<< "$r")" = "accept,cookie,host,user-agent,x-h2-flag" ]
	[ "$(jq -r '.headers[] | select(.[0]=="cookie") | .[1]' <<< "$r")" = "a=1; b=2" ]
	r=$(origin_req "/h2/submit")
	[ "$(jq -r .method <<< "$r")" = POST ]
	[ "$(jq -r .body <<< "$r" | base64 -d)" = "user=alice&note=hello+world" ]
	[ "$(hdr_names <<< "$r")" = "authorization,content-length,content-type,host" ]
	# every header the origin got is one the dry run announced
	for p in $(jq -r .path "$LOG"); do
		origin_req "$p" | jq -r '.headers[] | "> \(.[0]): \(.[1])"' | while read -r l; do
			grep -qiF -- "$l" "$BATS_TEST_TMPDIR/dry.txt" || { echo "not announced: $l"; false; }
		done
	done
	# mitmdump saw the same requests (inside CONNECT, https)
	mitm_flows > "$BATS_TEST_TMPDIR/flows.jsonl"
	[ "$(wc -l < "$BATS_TEST_TMPDIR/flows.jsonl")" -eq 7 ]
	[ "$(jq -r 'select(.scheme != "https")' "$BATS_TEST_TMPDIR/flows.jsonl")" = "" ]
	for p in /api/v1/items /h2/submit; do
		m=$(jq -c --arg p "$p" 'select(.path == $p) | [.method, .body, ([.headers[][0] | ascii_downcase] | sort)]' "$BATS_TEST_TMPDIR/flows.jsonl")
		o=$(origin_req "$p" | jq -c '[.method, .body, ([.headers[][0] | ascii_downcase] | sort)]')
		[ "$m" = "$o" ]
	done
	# results: one process-log record per replay, readable with ec-dump
	run ec-dump "$BATS_TEST_TMPDIR/res.pb"
	assert_success
	[ "$(grep -c -- '-> 200 HTTP/1' <<< "$output")" -eq 7 ]
	assert_output --partial "record 7 (offset"
	assert_output --partial "CONNECT opens a tunnel and cannot be replayed"
}

@test "--plain: the proxy sees absolute-form http requests" {
	start_origin --plain
	start_mitm
	run --separate-stderr ec-forward --plain --proxy "http://127.0.0.1:$MPORT" \
		--target "http://127.0.0.1:$OPORT" --method POST < "$REQ"
	assert_success
	[[ "$stderr" == *"2 of 8 requests replayed: 2 answered, 0 failed"* ]]
	mitm_flows > "$BATS_TEST_TMPDIR/flows.jsonl"
	[ "$(jq -r '[.scheme, .port, .path] | join(" ")' "$BATS_TEST_TMPDIR/flows.jsonl" | sort)" = \
		"$(printf 'http %s /api/v1/items\nhttp %s /h2/submit' "$OPORT" "$OPORT")" ]
	[ "$(jq -r .body "$LOG" | base64 -d | sort | tr '\n' '|')" = 'user=alice&note=hello+world|{"name":"widget","tags":["a","b"],"price":12.5}|' ]
}

@test "--keep-host sends the captured Host to the --target" {
	start_origin --plain
	fwd --target "http://127.0.0.1:$OPORT" --keep-host --pname '[nw]*' < "$REQ"
	[ "$status" -eq 0 ]
	[ "$(jq -r '[.path, (.headers[] | select(.[0] == "Host") | .[1])] | join(" ")' "$LOG" | sort)" = \
		"$(printf '%s\n' "/api/v1/items/7 api.example.test:443" "/h2/page?id=42 api.example.test:443" \
			"/h2/submit api.example.test:443" "/legacy 127.0.0.1:$OPORT")" ]
}

@test "without --target the captured Host is the authority; keep-alive reuses connections" {
	start_origin
	$PY "$EC_ROOT/tests/py/gen_requests.py" --authority "127.0.0.1:$OPORT" > "$BATS_TEST_TMPDIR/r.pb"
	for _ in 1 2 3; do cat "$BATS_TEST_TMPDIR/r.pb"; done > "$BATS_TEST_TMPDIR/r3.pb"
	run --separate-stderr ec-forward -k -c 1 --host 127.0.0.1 < "$BATS_TEST_TMPDIR/r3.pb"
	assert_success
	[[ "$stderr" == *"18 of 24 requests replayed: 18 answered, 0 failed; 3 filtered out, 3 not replayable"* ]]
	[ "$(wc -l < "$LOG")" -eq 18 ]
	# 18 requests, one at a time: far fewer connections than requests
	# (HTTP/1.0 and Connection: close ones end theirs)
	conns=$(jq -r .peer "$LOG" | sort -u | wc -l)
	echo "connections: $conns"
	[ "$conns" -le 9 ]
}

@test "an unreachable proxy: one clear error per request, exit 1 at the end" {
	dead=$(free_port)
	fwd --proxy "http://127.0.0.1:$dead" -c 2 < "$REQ"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"7 of 8 requests replayed: 0 answered, 7 failed"* ]]
	run ec-dump "$BATS_TEST_TMPDIR/res.pb"
	[ "$(grep -c "failed: .*port $dead.*(curl error 7)" <<< "$output")" -eq 7 ]
	assert_output --partial "record 9 POST https://api.example.test:443/h2/submit failed:"
}

@test "--tee passes every record through next to the results" {
	dead=$(free_port)
	fwd --tee --target "http://127.0.0.1:$dead" --timeout 5 < "$REQ"
	[ "$status" -eq 1 ]
	in=$(ec-dump --json "$REQ" | wc -l)
	run ec-dump --json "$BATS_TEST_TMPDIR/res.pb"
	assert_success
	[ "${#lines[@]}" -eq $((in + 8)) ]
	# the originals come through byte for byte, in order
	[ "$(ec-dump --json "$BATS_TEST_TMPDIR/res.pb" | grep -v '"run_log"')" = "$(ec-dump --json "$REQ")" ]
}

@test "--timeout ends a request the origin never answers; --rate spaces starts" {
	port=$(free_port)
	bg_start $PY -c "import socket,time,sys
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $port)); s.listen(16); time.sleep(60)"
	wait_port "$port"
	start=$(date +%s%N)
	fwd --target "https://127.0.0.1:$port" --timeout 0.5 -c 8 --method GET < "$REQ"
	[ "$status" -eq 1 ]
	ms=$((($(date +%s%N) - start) / 1000000))
	echo "took $ms ms"
	[ "$ms" -lt 4000 ]
	[ "$(ec-dump "$BATS_TEST_TMPDIR/res.pb" | grep -c '(curl error 28)')" -eq 3 ]
	start_origin
	start=$(date +%s%N)
	run --separate-stderr ec-forward -k --target "https://127.0.0.1:$OPORT" --rate 10/s -c 8 < "$REQ"
	assert_success
	ms=$((($(date +%s%N) - start) / 1000000))
	echo "7 requests at 10/s took $ms ms"
	[ "$ms" -ge 550 ]
}

@test "bad input: an unparsable request is reported with its offset; a cut stream exits 1" {
	# one request whose header line lost its colon: reported, the rest still replayed
	$PY "$EC_ROOT/tests/py/gen_requests.py" --broken > "$BATS_TEST_TMPDIR/broken.pb"
	start_origin --plain
	fwd --target "http://127.0.0.1:$OPORT" < "$BATS_TEST_TMPDIR/broken.pb"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"ec-forward: record 8 (offset 2171, type 1): cannot rebuild the request: at byte 36: header line is not 'name: value' (byte 0x20)"* ]]
	[[ "$stderr" == *"7 of 9 requests replayed: 7 answered, 0 failed; 0 filtered out, 1 not replayable, 1 unparsable"* ]]
	[ "$(wc -l < "$LOG")" -eq 7 ]
	ec-dump "$BATS_TEST_TMPDIR/res.pb" | grep -q "record 8 (offset 2171, type 1): cannot rebuild"
	size=$(stat -c %s "$REQ")
	head -c $((size - 3)) "$REQ" > "$BATS_TEST_TMPDIR/cut.pb"
	run --separate-stderr ec-forward -n < "$BATS_TEST_TMPDIR/cut.pb"
	assert_failure 1
	[[ "$stderr" == *"record 11"* ]]
}

@test "HTTP/2-rendered requests go out as real HTTP/2 to an h2 origin (nghttpd)" {
	port=$(free_port)
	mkdir -p "$BATS_TEST_TMPDIR/docroot/h2"
	echo page > "$BATS_TEST_TMPDIR/docroot/h2/page"
	bg_start nghttpd -v -a 127.0.0.1 -d "$BATS_TEST_TMPDIR/docroot" "$port" \
		"$CERTDIR/key.pem" "$CERTDIR/cert.pem" > "$BATS_TEST_TMPDIR/nghttpd.log" 2>&1
	wait_port "$port"
	fwd -k --target "https://127.0.0.1:$port" --pname nghttp < "$REQ"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"2 of 8 requests replayed: 2 answered, 0 failed"* ]]
	run ec-dump "$BATS_TEST_TMPDIR/res.pb"
	assert_output --partial "GET https://127.0.0.1:$port/h2/page?id=42 -> 200 HTTP/2, 5 bytes"
	assert_output --partial "POST https://127.0.0.1:$port/h2/submit -> 404 HTTP/2"
	bg_stop_all
	log=$(grep -o 'recv (stream_id=[0-9]*[^)]*) .*' "$BATS_TEST_TMPDIR/nghttpd.log" | sed 's/^[^)]*) //')
	echo "$log"
	grep -qx ':path: /h2/submit' <<< "$log"
	grep -qx ':method: POST' <<< "$log"
	grep -qx 'authorization: Bearer h2-token' <<< "$log"
	grep -qx 'content-length: 28' <<< "$log"
	grep -qx 'cookie: a=1; b=2' <<< "$log"
	grep -qx 'x-h2-flag: on' <<< "$log"
	! grep -q '^te:' <<< "$log"
	grep -q 'recv DATA frame <length=28, flags=0x01' "$BATS_TEST_TMPDIR/nghttpd.log"
}

@test "requests are replayed while the input stays open (live pipe)" {
	start_origin --plain
	mkfifo "$BATS_TEST_TMPDIR/in"
	exec 4<> "$BATS_TEST_TMPDIR/in" # a writer first, so opening it to read does not block
	# (not bg_start: a function's '&' would get /dev/null as stdin)
	ec-forward --target "http://127.0.0.1:$OPORT" < "$BATS_TEST_TMPDIR/in" \
		> "$BATS_TEST_TMPDIR/live.pb" 2> "$BATS_TEST_TMPDIR/live.err" 4<&- &
	fpid=$!
	EC_PIDS="${EC_PIDS:-} $fpid"
	cat "$REQ" >&4
	local i
	for i in $(seq 1 60); do
		[ -s "$LOG" ] && [ "$(wc -l < "$LOG")" -ge 7 ] && break
		sleep 0.05
	done
	# all 7 arrived and their results were flushed, input still open
	cat "$BATS_TEST_TMPDIR/live.err"
	[ "$(wc -l < "$LOG")" -eq 7 ]
	[ ! -s "$BATS_TEST_TMPDIR/live.err" ]
	for i in $(seq 1 40); do
		[ "$(ec-dump "$BATS_TEST_TMPDIR/live.pb" 2>/dev/null | grep -c -- '-> 200')" -eq 7 ] && break
		sleep 0.05
	done
	[ "$(ec-dump "$BATS_TEST_TMPDIR/live.pb" | grep -c -- '-> 200')" -eq 7 ]
	exec 4>&-
	wait "$fpid"
	grep -q "7 of 8 requests replayed: 7 answered" "$BATS_TEST_TMPDIR/live.err"
}

@test "ec-gen | ec-parse | ec-forward: every parsed request reaches the origin through mitmdump" {
	ec-gen --seed 5 --total-conns 16 --conns 4 --h2 50 --max-body 2000 | ec-parse \
		> "$BATS_TEST_TMPDIR/parsed.pb"
	# what ec-parse says was requested: method, path, body (base64), from its events
	ec-dump --json -e "$BATS_TEST_TMPDIR/parsed.pb" | jq -r '.event_payload |
		select(.type == 1 or .type == 2) | select(.payload_encoding == "utf8") |
		(.payload | split("\r\n")[0] | split(" ")) as $l |
		"\($l[0]) \($l[1]) \(.payload | split("\r\n\r\n") | .[1:] | join("\r\n\r\n") | @base64)"' |
		sort > "$BATS_TEST_TMPDIR/want.txt"
	n=$(wc -l < "$BATS_TEST_TMPDIR/want.txt")
	[ "$n" -eq 42 ]
	grep -c '^POST ' "$BATS_TEST_TMPDIR/want.txt"
	[ "$(grep -c '^POST ' "$BATS_TEST_TMPDIR/want.txt")" -eq 9 ]
	start_origin
	start_mitm
	fwd --proxy "http://127.0.0.1:$MPORT" --target "https://127.0.0.1:$OPORT" -k -c 8 \
		< "$BATS_TEST_TMPDIR/parsed.pb"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"42 of 42 requests replayed: 42 answered, 0 failed"* ]]
	jq -r '"\(.method) \(.path) \(.body)"' "$LOG" | sort > "$BATS_TEST_TMPDIR/got.txt"
	diff -u "$BATS_TEST_TMPDIR/want.txt" "$BATS_TEST_TMPDIR/got.txt"
	mitm_flows | jq -r '"\(.method) \(.path) \(.body)"' | sort > "$BATS_TEST_TMPDIR/flows.txt"
	diff -u "$BATS_TEST_TMPDIR/want.txt" "$BATS_TEST_TMPDIR/flows.txt"
	# the generator's POSTs carry their JSON content type, hop-by-hop headers never arrive
	[ "$(jq -r 'select(.method == "POST") | .headers[] | select(.[0] == "Content-Type") | .[1]' "$LOG" | sort -u)" = application/json ]
	! jq -r '.headers[][0] | ascii_downcase' "$LOG" | grep -qxE 'connection|transfer-encoding|te|keep-alive'
}
