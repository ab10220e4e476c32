#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# ec-dump: golden output, every bad-input case, filters, pipes.

load helpers

setup() {
	small=$FIXTURES/gen-small.pb
	nrec=$(ec-dump --json "$small" | wc -l)
}

@test "golden files (tests/TESTLIST) match" {
	run "$EC_ROOT/tests/golden.sh"
	assert_success
	assert_output --partial "0 failed"
}

@test "--version and --help; unknown option is a usage error" {
	run ec-dump --version
	assert_success
	assert_output --regexp '^ec-dump [0-9]+\.[0-9]+'
	run ec-dump --help
	assert_success
	assert_output --partial "usage: ec-dump"
	run ec-dump --bogus
	assert_failure 2
}

@test "stdin and file give the same output; several files concatenate" {
	a=$(ec-dump < "$small")
	b=$(ec-dump "$small")
	[ "$a" = "$b" ]
	run ec-dump --json "$small" - < "$small"
	assert_success
	[ "${#lines[@]}" -eq $((2 * nrec)) ]
}

@test "truncated file: records before the cut, then exit 1 naming index and offset" {
	size=$(stat -c %s "$small")
	head -c $((size - 5)) "$small" > "$BATS_TEST_TMPDIR/cut.pb"
	run --separate-stderr ec-dump --json "$BATS_TEST_TMPDIR/cut.pb"
	assert_failure 1
	[ "${#lines[@]}" -eq $((nrec - 1)) ]
	[[ $stderr =~ record\ $((nrec - 1))\ at\ byte\ offset\ [0-9]+:\ input\ ends\ inside\ a\ record ]]
}

@test "garbage input: exit 1 at record 0, byte offset 0" {
	printf 'this is not a record stream\n' > "$BATS_TEST_TMPDIR/g.pb"
	run --separate-stderr ec-dump "$BATS_TEST_TMPDIR/g.pb"
	assert_failure 1
	[[ $stderr == *"record 0 at byte offset 0"* ]]
	[[ $stderr == *"--keep-going"* ]]
}

@test "oversize length: exit 1 with the offset and a hint to raise --max-record" {
	run --separate-stderr ec-dump --max-record 64 "$small"
	assert_failure 1
	[[ $stderr == *"longer than the maximum record size"* ]]
	[[ $stderr == *"--max-record"* ]]
	# a length prefix of 2^40 is refused before any allocation
	printf '\x80\x80\x80\x80\x80\x20' > "$BATS_TEST_TMPDIR/huge.pb"
	run --separate-stderr ec-dump "$BATS_TEST_TMPDIR/huge.pb"
	assert_failure 1
	[[ $stderr == *"byte offset 0"* ]]
}

@test "undecodable record body: exit 1 naming the record" {
	{ head -c 200 /dev/zero | tr '\0' '\377' | head -c 3 | { printf '\x03'; cat; }; cat "$small"; } > "$BATS_TEST_TMPDIR/bad.pb"
	run --separate-stderr ec-dump "$BATS_TEST_TMPDIR/bad.pb"
	assert_failure 1
	[[ $stderr == *"record 0 at byte offset 0: record is not a valid LogEntry"* ]]
}

@test "--keep-going skips a bad region, prints the rest and counts what it skipped" {
	size=$(stat -c %s "$small")
	half=$((size / 2))
	{ head -c "$half" "$small"; printf '\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff'; cat "$small"; } > "$BATS_TEST_TMPDIR/mid.pb"
	run --separate-stderr ec-dump --json --keep-going "$BATS_TEST_TMPDIR/mid.pb"
	assert_failure 1
	[[ $stderr == *"skipped 1 bad region(s)"* ]]
	# everything of the intact second copy is there
	[ "${#lines[@]}" -ge "$nrec" ]
	[ "$(printf '%s\n' "${lines[@]}" | tail -n "$nrec")" = "$(ec-dump --json "$small")" ]
}

@test "ec-dump | head -1 exits 0 quietly" {
	big=$BATS_TEST_TMPDIR/big.pb
	ec-gen --records 20000 > "$big"
	run bash -c "ec-dump '$big' | head -1; echo \"status=\${PIPESTATUS[0]}\""
	assert_success
	assert_line "status=0"
	refute_output --partial "Broken pipe"
}

@test "--json lines parse with jq and carry proto field names" {
	run bash -c "ec-dump --json '$small' | jq -e -s 'length > 0 and all(.log_type)'"
	assert_success
	run bash -c "ec-dump --json -e '$small' | jq -r '.event_payload | [.pid, .pname, .source, .direction, .conn_id] | @tsv' | head -1"
	assert_success
	assert_output --regexp '^[0-9]+	[a-z0-9]+	SOURCE_OPENSSL	DIRECTION_(READ|WRITE)	[0-9]+$'
	# binary payloads are base64 and say so
	run bash -c "ec-dump --json -e '$FIXTURES/gen-binary.pb' | jq -r 'select(.event_payload.payload_encoding==\"base64\") | .event_payload.payload' | head -1 | base64 -d | wc -c"
	assert_success
	[ "$output" -gt 0 ]
}

@test "filters: --pid, --type, --source select events only" {
	pid=$(ec-dump --json -e "$small" | jq -r '.event_payload.pid' | head -1)
	run bash -c "ec-dump --json --pid $pid '$small' | jq -r '.event_payload.pid' | sort -u"
	assert_output "$pid"
	run bash -c "ec-dump --json --source gotls '$small' | wc -l"
	assert_output "0"
	run bash -c "ec-dump --json --type unknown '$small' | jq -r .log_type | sort -u"
	assert_output "LOG_TYPE_EVENT"
	run ec-dump --type 16 "$small"
	assert_failure 2
	run ec-dump --pid abc "$small"
	assert_failure 2
}

@test "a missing file is a runtime error" {
	run ec-dump /nonexistent/x.pb
	assert_failure 1
	assert_output --partial "/nonexistent/x.pb: No such file"
}

@test "--exchanges, --stats: their options go together, bad values are usage errors" {
	run ec-dump --slow 10 "$FIXTURES/exchanges.pb"
	assert_failure 2
	assert_output "ec-dump: --slow, --status and --every go with --exchanges, --stats or --har"
	run ec-dump --exchanges --every 5
	assert_failure 2
	assert_output "ec-dump: --every goes with --stats"
	run ec-dump --exchanges --status 4xx,6xx
	assert_failure 2
	assert_output "ec-dump: --status: '4xx,6xx' is not a list of statuses (like 4xx,5xx,404,none,error; at most 16 codes)"
	run ec-dump --stats --status 4xx,
	assert_failure 2
	run ec-dump --exchanges --slow=-1
	assert_failure 2
	assert_output --partial "--slow: '-1' is not milliseconds"
	run ec-dump --stats --pcapng out.pcapng
	assert_failure 2
	assert_output "ec-dump: --exchanges and --stats print text or JSON: not with --pcapng or --keylog"
	# records ec-parse did not pair: nothing to show, and no error
	run ec-dump --exchanges "$FIXTURES/parse-h1.pb"
	assert_success
	assert_output ""
	run sh -c "ec-parse < '$FIXTURES/exchanges.pb' | ec-dump --exchanges --status 413"
	assert_output --regexp ' POST api\.test /too-big 413 - 53 1\.000ms 1\.000ms$'
	# a hostile path (ESC, BEL, a byte that is not UTF-8): escaped in text, UTF-8 in JSON
	run sh -c "ec-parse < '$FIXTURES/exchanges.pb' | ec-dump --exchanges --status 418"
	assert_output --partial $' GET evil.test /p\\x1b]0;pwn\\x07\xef\xbf\xbdq 418 46 48 2.000ms 2.000ms'
	run sh -c "ec-parse < '$FIXTURES/exchanges.pb' | ec-dump --exchanges --json --status 418 | jq -r .path"
	assert_output $'/p\e]0;pwn\a\xef\xbf\xbdq'
}

@test "--har: a live curl (HTTP/1.1) and nghttp (HTTP/2) capture is a valid HAR 1.2 with each request, status and timings" {
	require_root
	T=$BATS_TEST_TMPDIR
	make_cert "$T"
	p1=$(free_port)
	bg_start $PY "$FIXTURES/parse-server.py" "$p1" "$T/cert.pem" "$T/key.pem"
	p2=$(free_port)
	mkdir "$T/www"
	echo "first file" >"$T/www/a.txt"
	echo "second file" >"$T/www/b.txt"
	bg_start nghttpd --address=127.0.0.1 --htdocs="$T/www" "$p2" "$T/key.pem" "$T/cert.pem"
	wait_port "$p1"
	wait_port "$p2"
	mkfifo "$T/records"
	bg_start sh -c "ec-parse < '$T/records' | ec-dump --har '$T/out.har'"
	cap_bg capturing "$T/records" ec-capture tls -t curl,nghttp --heartbeat 0
	curl -sk --http1.1 -o /dev/null "https://127.0.0.1:$p1/slow" "https://127.0.0.1:$p1/plain?q=1&r=two"
	nghttp -n "https://127.0.0.1:$p2/a.txt" "https://127.0.0.1:$p2/b.txt" "https://127.0.0.1:$p2/none"
	cap_stop
	for _ in $(seq 1 100); do
		tail -c 5 "$T/out.har" 2>/dev/null | grep -q '\]}}' && break
		sleep 0.05
	done
	run "$EC_ROOT/tests/har-validate.sh" "$T/out.har"
	assert_output valid
	run jq -r '.log.entries[] | "\(.request.method) \(.request.url) \(.request.httpVersion) \(.response.status)"' "$T/out.har"
	assert_line "GET https://127.0.0.1:$p1/slow HTTP/1.1 200"
	assert_line "GET https://127.0.0.1:$p1/plain?q=1&r=two HTTP/1.1 200"
	assert_line "GET https://127.0.0.1:$p2/a.txt HTTP/2.0 200"
	assert_line "GET https://127.0.0.1:$p2/b.txt HTTP/2.0 200"
	assert_line "GET https://127.0.0.1:$p2/none HTTP/2.0 404"
	# the timings are the capture's: /slow waited 200 ms
	run jq -r '.log.entries[] | select(.request.url | endswith("/slow")) | .timings.wait >= 190 and .time >= .timings.wait' "$T/out.har"
	assert_output true
	run jq -r '.log.entries[] | select(.request.url | endswith("/a.txt")) | "\(.response.content.text)|\(._comm)|\(.request.queryString | length)"' "$T/out.har"
	assert_output "first file
|nghttp|0"
	run jq -c '.log.entries[] | select(.request.url | contains("plain")) | .request.queryString' "$T/out.har"
	assert_output '[{"name":"q","value":"1"},{"name":"r","value":"two"}]'
}

@test "--har: the fixture's exchanges pass the HAR 1.2 schema; bad combinations are usage errors" {
	ec-parse "$FIXTURES/exchanges.pb" | ec-dump --har "$BATS_TEST_TMPDIR/x.har"
	run "$EC_ROOT/tests/har-validate.sh" "$BATS_TEST_TMPDIR/x.har"
	assert_output valid
	# every exchange but the one whose request came before the capture; the early 413 once
	[ "$(jq ".log.entries | length" "$BATS_TEST_TMPDIR/x.har")" = 36 ]
	run jq -r '.log.entries[] | select(.response.status == 413) | "\(.request.url) \(.timings.wait)"' "$BATS_TEST_TMPDIR/x.har"
	assert_output "https://api.test/too-big 1"
	# the schema check can fail
	jq 'del(.log.entries[0].request.method)' "$BATS_TEST_TMPDIR/x.har" >"$BATS_TEST_TMPDIR/bad.har"
	run "$EC_ROOT/tests/har-validate.sh" "$BATS_TEST_TMPDIR/bad.har"
	assert_failure
	run ec-dump --har - --exchanges "$FIXTURES/exchanges.pb"
	assert_failure 2
	assert_output "ec-dump: --har - writes the archive on stdout: not with --exchanges or --stats"
	run ec-dump --har x.har --pcapng y.pcapng
	assert_failure 2
	run ec-dump --har /nonexistent/dir/x.har "$FIXTURES/exchanges.pb"
	assert_failure 1
	assert_output "ec-dump: /nonexistent/dir/x.har: No such file or directory"
}
