#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# Live means live: while `ec-capture tls` runs, every stage after it passes
# a record on as soon as its input goes quiet (issue 12). Each test makes a
# curl request during the capture and looks for it downstream with the
# capture still running. Run under /work/notes/capture.lock (probes).

load helpers

ORIGIN=$EC_ROOT/tests/py/live_origin.py

setup() {
	T=$BATS_TEST_TMPDIR
	make_cert "$T"
	PORT=$(free_port)
	bg_start $PY "$ORIGIN" "$PORT" "$T/cert.pem" "$T/key.pem" "$T/release"
	wait_port "$PORT"
}

teardown() {
	touch "$BATS_TEST_TMPDIR/release"
	bg_stop_all
}

# `ec-capture tls -t curl` into the pipeline $1 (a shell command reading
# the capture on stdin); waits until the probes are attached. $CAP_PID: its pid.
live_start() {
	require_root
	mkfifo "$T/cap"
	bg_start bash -c "exec <'$T/cap'; $1"
	cap_bg capturing "$T/cap" ec-capture tls -t curl --heartbeat 0
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# Poll (10 ms steps, up to $4 ms after $3) until FILE $2 has a line that
# grep with the options $1 finds for the pattern $5; prints the ms it took
# from $3.
within() {
	local opts=$1 file=$2 t0=$3 limit=$4 pat=$5 t
	while :; do
		t=$(now_ms)
		if grep -q "$opts" -- "$pat" "$file" 2>/dev/null; then
			echo $((t - t0))
			return 0
		fi
		[ $((t - t0)) -gt "$limit" ] && break
		sleep 0.01
	done
	echo "not in $file after ${limit} ms: $pat" >&2
	return 1
}

# seen_within FILE T0 LIMIT-MS EXTENDED-REGEX
seen_within() { within -E "$@"; }

# seen_within for a fixed string in a binary file (the pcapng ec-dump wrote).
grep_within() { within -aF "$@"; }

# One curl request during the capture; fail unless FILE shows its request
# and response within 1 s, the capture still running.
request_shows_in() {
	local file=$1 path=$2 t0 ms
	t0=$(now_ms)
	curl -sk --http1.1 "https://127.0.0.1:$PORT$path" -o "$T/page"
	grep -q "live page for $path" "$T/page"
	ms=$(seen_within "$file" "$t0" 1000 "$3")
	echo "request seen after $ms ms" >&3
	ms=$(seen_within "$file" "$t0" 1000 "$4")
	echo "response seen after $ms ms" >&3
	kill -0 "$CAP_PID" # the capture still runs: nothing waited for its end
}

@test "live: ec-capture tls | ec-parse | ec-serve: curl's request reaches a WebSocket client in under 1 s" {
	WS=$(free_port)
	live_start "ec-parse | ec-serve --ws 127.0.0.1:$WS --listen off 2>'$T/serve.err'"
	wait_port "$WS"
	$PY "$WSC" "ws://127.0.0.1:$WS/" --timeout 60 --events-out "$T/events.jsonl" \
		--ready "$T/ready" >"$T/client.json" 2>"$T/client.err" &
	EC_PIDS="$EC_PIDS $!"
	wait_file "$T/ready" 200
	t0=$(date +%s%N)
	curl -sk --http1.1 "https://127.0.0.1:$PORT/live/ws" -o "$T/page"
	for i in $(seq 1 100); do
		grep -q 'GET /live/ws HTTP/1.1' "$T/events.jsonl" && break
		sleep 0.01
	done
	rx=$(jq -r 'select(.payload | startswith("GET /live/ws HTTP/1.1")) | .rx' "$T/events.jsonl" | head -1)
	[ -n "$rx" ]
	echo "request at the client after $(((rx - t0) / 1000000)) ms" >&3
	[ $((rx - t0)) -lt 1000000000 ]
	# typed by ec-parse: an HTTP/1 request (1), then the response (3)
	jq -c 'select(.type == 1 and (.payload | startswith("GET /live/ws HTTP/1.1")))' \
		"$T/events.jsonl" | grep -q .
	resp='select(.type == 3 and (.payload | contains("live page for /live/ws")))'
	for i in $(seq 1 100); do
		jq -c "$resp" "$T/events.jsonl" | grep -q . && break
		sleep 0.01
	done
	jq -c "$resp" "$T/events.jsonl" | grep -q .
	kill -0 "$CAP_PID"
}

@test "live: ec-capture tls | ec-parse | ec-dump > FILE: the request is in FILE in under 1 s" {
	live_start "ec-parse | ec-dump >'$T/out.txt'"
	request_shows_in "$T/out.txt" /live/dump '^GET /live/dump HTTP/1.1' \
		'^live page for /live/dump'
	grep -q ' http1-request ' "$T/out.txt"
	grep -q ' http1-response ' "$T/out.txt"
}

@test "live: ec-capture tls | ec-parse | ec-dump --json > FILE: under 1 s" {
	live_start "ec-parse | ec-dump --json >'$T/out.jsonl'"
	request_shows_in "$T/out.jsonl" /live/json '"payload":"GET /live/json HTTP/1.1' \
		'"type_name":"http1-response".*live page for /live/json'
}

@test "live: ec-capture tls | ec-dump --json > FILE (no ec-parse): under 1 s" {
	live_start "ec-dump --json >'$T/out.jsonl'"
	request_shows_in "$T/out.jsonl" /live/raw '"payload":"GET /live/raw HTTP/1.1' \
		'live page for /live/raw'
}

@test "live: ec-capture tls | ec-dump --pcapng - | tshark -i -: the packets are out in under 1 s, tshark shows them" {
	# tee keeps what ec-dump wrote: its timing is ec-dump's; tshark's own
	# reader (dumpcap) adds up to half a second before it prints
	live_start "ec-dump --pcapng - | tee '$T/live.pcapng' | tshark -l -n -i - \
		-d tcp.port==$PORT,http -Y http -T fields -e http.request.uri -e http.response.code \
		>'$T/tshark.out' 2>'$T/tshark.err'"
	for i in $(seq 1 400); do
		grep -q 'Capturing on' "$T/tshark.err" 2>/dev/null && break
		sleep 0.05
	done
	grep -q 'Capturing on' "$T/tshark.err"
	t0=$(now_ms)
	curl -sk --http1.1 "https://127.0.0.1:$PORT/live/pcapng" -o "$T/page"
	ms=$(grep_within "$T/live.pcapng" "$t0" 1000 'GET /live/pcapng HTTP/1.1')
	echo "request packet out after $ms ms" >&3
	ms=$(grep_within "$T/live.pcapng" "$t0" 1000 'live page for /live/pcapng')
	echo "response packet out after $ms ms" >&3
	ms=$(seen_within "$T/tshark.out" "$t0" 5000 '^/live/pcapng')
	echo "tshark -i - printed the request after $ms ms" >&3
	seen_within "$T/tshark.out" "$t0" 5000 '^\s*200$' >/dev/null
	# a response that stays open: its bytes so far are out too
	t0=$(now_ms)
	curl -skN --http1.1 "https://127.0.0.1:$PORT/events" -o /dev/null &
	EC_PIDS="$EC_PIDS $!"
	ms=$(grep_within "$T/live.pcapng" "$t0" 1000 'data: first')
	echo "first event of an open response out after $ms ms" >&3
	kill -0 "$CAP_PID"
}

@test "live: a server-sent-events response shows its first event through ec-parse while still open" {
	live_start "ec-parse | ec-dump >'$T/out.txt'"
	t0=$(now_ms)
	curl -skN --http1.1 "https://127.0.0.1:$PORT/events" -o "$T/sse.out" &
	SSE=$!
	EC_PIDS="$EC_PIDS $SSE"
	ms=$(seen_within "$T/out.txt" "$t0" 5000 '^data: first')
	echo "first event through ec-parse after $ms ms, response open" >&3
	kill -0 "$SSE" # the response is still open
	[ ! -e "$T/release" ]
	grep -q 'http1-response .* part=1 more' "$T/out.txt"
	grep -q '^HTTP/1.1 200 OK' "$T/out.txt"
	! grep -q 'data: second' "$T/out.txt"
	touch "$T/release"
	wait "$SSE"
	seen_within "$T/out.txt" "$t0" 35000 '^data: second' >/dev/null
	seen_within "$T/out.txt" "$t0" 35000 'http1-response .* part=[0-9]+ last' >/dev/null
	kill -0 "$CAP_PID"
}

# The stream tools without a capture: records written into a FIFO that stays
# open (fd 7); each tool's output must show them within 1 s, input open.
fifo_start() {
	mkfifo "$T/in"
	bg_start bash -c "exec <'$T/in'; $1"
	exec 7>"$T/in"
}

@test "live: ec-serve --tee copies records to stdout as they come, input still open" {
	ec-gen --records 50 >"$T/gen.pb"
	WS=$(free_port)
	fifo_start "ec-serve --tee --ws 127.0.0.1:$WS --listen off >'$T/tee.pb' 2>'$T/serve.err'"
	wait_port "$WS"
	t0=$(now_ms)
	cat "$T/gen.pb" >&7
	for i in $(seq 1 100); do cmp -s "$T/gen.pb" "$T/tee.pb" && break; sleep 0.01; done
	echo "copied after $(($(now_ms) - t0)) ms" >&3
	cmp "$T/gen.pb" "$T/tee.pb"
	exec 7>&-
}

@test "live: ec-forward --tee and --dry-run pass records on as they come, input still open" {
	ec-gen --records 200 | ec-parse >"$T/parsed.pb"
	n=$(ec-forward --dry-run <"$T/parsed.pb" 2>/dev/null | grep -c '^\* record ')
	[ "$n" -gt 10 ]
	fifo_start "ec-forward --dry-run >'$T/dry.txt' 2>'$T/dry.err'"
	t0=$(now_ms)
	cat "$T/parsed.pb" >&7
	for i in $(seq 1 100); do
		[ "$(grep -c '^\* record ' "$T/dry.txt")" = "$n" ] && break
		sleep 0.01
	done
	echo "dry run printed all $n after $(($(now_ms) - t0)) ms" >&3
	[ "$(grep -c '^\* record ' "$T/dry.txt")" = "$n" ]
	exec 7>&-
	rm "$T/in"
	dead=$(free_port)
	fifo_start "ec-forward --tee --method NOSUCH --target http://127.0.0.1:$dead --timeout 5 >'$T/tee.pb' 2>'$T/fwd.err'"
	t0=$(now_ms)
	cat "$T/parsed.pb" >&7
	for i in $(seq 1 100); do
		[ "$(ec-dump -e "$T/tee.pb" 2>/dev/null | grep -c '^20')" = "$(ec-dump -e "$T/parsed.pb" | grep -c '^20')" ] && break
		sleep 0.01
	done
	echo "tee copied after $(($(now_ms) - t0)) ms" >&3
	[ "$(ec-dump -e "$T/tee.pb" | grep -c '^20')" = "$(ec-dump -e "$T/parsed.pb" | grep -c '^20')" ]
	exec 7>&-
}
