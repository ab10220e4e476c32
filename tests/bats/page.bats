#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# ec-serve's page (www/) in a real browser: headless Chromium, driven over the
# DevTools protocol (tests/py/page.py). One screenshot is kept as an artifact
# in build/test-artifacts/page.png.

load helpers

PAGE=$EC_ROOT/tests/py/page.py

# ec-parse between a FIFO the test writes capture records to ($T/raw, held
# on fd 8) and ec-serve: exchange ids go on as in a live pipeline
page_pipeline() {
	T=$BATS_TEST_TMPDIR
	serve_start "$@"
	mkfifo "$T/raw"
	ec-parse <"$T/raw" >&7 &
	EC_PIDS="$EC_PIDS $!"
	exec 8>"$T/raw"
}

teardown() {
	exec 8>&- 7>&-
	bg_stop_all
}

@test "page: the files are served with a strict policy, no token needed for them, none for their content" {
	EC_TOKEN=s3cret serve_start
	run curl -s -D - -o "$BATS_TEST_TMPDIR/index.html" "http://127.0.0.1:$WS/"
	assert_line --partial "content-security-policy: default-src 'none'; script-src 'self'"
	assert_line --partial 'x-content-type-options: nosniff'
	assert_line --partial 'content-type: text/html'
	grep -q '<script src="/app.js"' "$BATS_TEST_TMPDIR/index.html"
	for f in app.js app.css protobuf.min.js ecaptureq.js; do
		run curl -s -o /dev/null -w '%{http_code} %{content_type}' "http://127.0.0.1:$WS/$f"
		assert_output --regexp '^200 text/(javascript|css); charset=utf-8$'
	done
	# nothing in the page evaluates strings (the policy forbids it)
	run grep -l -E '\beval\(|new Function|Function\(' "$EC_ROOT/www/app.js"
	assert_failure
	# the stream and the status still want the token; the page is not on --listen's port
	run curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$WS/status"
	assert_output 401
	run curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer s3cret' "http://127.0.0.1:$API/"
	assert_output 200
	run curl -s "http://127.0.0.1:$API/" -H 'Authorization: Bearer s3cret'
	assert_output --partial '"version":"0.1.0"'
	# the whole page, under 300 KB
	total=0
	for f in "" app.js app.css protobuf.min.js ecaptureq.js; do
		total=$((total + $(curl -s "http://127.0.0.1:$WS/$f" | wc -c)))
	done
	echo "page: $total bytes" >&3
	[ "$total" -lt 300000 ]
	serve_finish
}

@test "page: headless Chromium shows the exchanges (kept before it opened, then live), filters them, and never runs captured markup" {
	page_pipeline --token s3cret --keep 1000
	cat "$FIXTURES/exchanges.pb" >&8
	for _ in $(seq 1 100); do
		[ "$(curl -s -H 'Authorization: Bearer s3cret' "http://127.0.0.1:$API/status" | jq .events)" -ge 80 ] && break
		sleep 0.05
	done
	mkdir -p "$EC_ROOT/build/test-artifacts"
	run $PY "$PAGE" --url "http://127.0.0.1:$WS/#token=s3cret" --rows 37 --filter h2.test \
		--feed "$FIXTURES/parse-h1.pb" --fifo "$T/raw" \
		--screenshot "$EC_ROOT/build/test-artifacts/page.png"
	assert_success
	echo "$output" >"$T/page.json"
	# every exchange, newest first: method, host, path, status, latency
	run jq -r '.rows[] | "\(.[2]) \(.[3]) \(.[4]) \(.[5]) \(.[6])"' "$T/page.json"
	assert_line "GET api.test /a 200 10.000 ms"
	assert_line "POST api.test /upload 201 7.000 ms"
	assert_line "GET api.test /stream 200 90.000 ms"
	assert_line "GET h2.test /s/0 503 41.000 ms"
	assert_line "GET abs.test:8080 /x?y=1 200 3.000 ms"
	[ "$(jq '.rows | length' "$T/page.json")" = 37 ]
	# the filter narrows to the twenty HTTP/2 streams
	[ "$(jq '.filtered | length' "$T/page.json")" = 20 ]
	[ "$(jq '[.filtered[] | .[3]] | unique' -c "$T/page.json")" = '["h2.test"]' ]
	# captured <script>, an onerror image and markup: text in the table and the details, never run
	run jq -r '.pwned, .pwned_after_details, .hostile.elements' "$T/page.json"
	assert_output "$(printf 'null\nnull\n0')"
	run jq -r '.hostile.title' "$T/page.json"
	assert_output 'GET <img src=x onerror=window.pwned=2>/<script>window.pwned=1</script>  →  200'
	jq -e '.hostile.body | contains("<script>window.pwned=3</script><b>bold</b>")' "$T/page.json"
	# live: records fed after the page opened show without a reload
	[ "$(jq .rows_after_feed "$T/page.json")" = 40 ]
	echo "live: new rows shown $(jq .live_ms "$T/page.json") ms after their records were written" >&3
	jq -e '.status | startswith("live")' "$T/page.json"
	[ -s "$EC_ROOT/build/test-artifacts/page.png" ]
}

@test "page: an archive from ec-dump --har opens in it: the same exchanges, statuses, latencies and bodies" {
	EC_TOKEN=s3cret serve_start
	ec-parse "$FIXTURES/exchanges.pb" | ec-dump --har "$BATS_TEST_TMPDIR/x.har"
	run $PY "$PAGE" --url "http://127.0.0.1:$WS/#token=s3cret" --rows 0 --har "$BATS_TEST_TMPDIR/x.har"
	assert_success
	echo "$output" >"$BATS_TEST_TMPDIR/page.json"
	[ "$(jq '.har_rows | length' "$BATS_TEST_TMPDIR/page.json")" = 36 ]
	run jq -r '.har_rows[] | "\(.[2]) \(.[3]) \(.[4]) \(.[5]) \(.[6])"' "$BATS_TEST_TMPDIR/page.json"
	assert_line "GET api.test /stream 200 90.000 ms"
	assert_line "GET h2.test /s/0 503 41.000 ms"
	assert_line "POST api.test /too-big 413 1.000 ms"
	jq -e '.har_status | startswith("HAR x.har")' "$BATS_TEST_TMPDIR/page.json"
	run jq -r .har_details "$BATS_TEST_TMPDIR/page.json"
	assert_output "$(printf 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked|onetwo')"
	serve_finish
}

@test "page: exchanges of two hosts through NATS JetStream: each row names its host, none paired across hosts" {
	T=$BATS_TEST_TMPDIR
	local np
	np=$(free_port)
	bg_start nats-server -a 127.0.0.1 -p "$np" -js -sd "$T/js" >"$T/nats.log" 2>&1
	wait_port "$np"
	serve_start --token s3cret --keep 1000
	# the same parsed exchanges from two hosts: the same exchange ids from each
	ec-parse <"$FIXTURES/exchanges.pb" >"$T/parsed.pb"
	ec-nats pub --server "nats://127.0.0.1:$np" --create --host alpha --heartbeat 0 \
		<"$T/parsed.pb" 2>/dev/null
	ec-nats pub --server "nats://127.0.0.1:$np" --host beta --heartbeat 0 <"$T/parsed.pb" 2>/dev/null
	ec-nats sub 'ec.>' --server "nats://127.0.0.1:$np" --idle 1s >&7 2>/dev/null
	run $PY "$PAGE" --url "http://127.0.0.1:$WS/#token=s3cret" --rows 74
	assert_success
	echo "$output" >"$T/page.json"
	[ "$(jq '.rows | length' "$T/page.json")" = 74 ]
	[ "$(jq '[.rows[] | .[1] | select(startswith("alpha: "))] | length' "$T/page.json")" = 37 ]
	[ "$(jq '[.rows[] | .[1] | select(startswith("beta: "))] | length' "$T/page.json")" = 37 ]
	# each host's row of an exchange is whole: its status and latency
	run jq -r '.rows[] | "\(.[1] | split(":")[0]) \(.[2]) \(.[3]) \(.[4]) \(.[5]) \(.[6])"' "$T/page.json"
	assert_line "alpha GET api.test /a 200 10.000 ms"
	assert_line "beta GET api.test /a 200 10.000 ms"
}
