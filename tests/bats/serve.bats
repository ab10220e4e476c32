#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# ec-serve (eCaptureQ WebSocket stream + remote config API) and ec-ctl.

load helpers

FAKE=$EC_ROOT/tests/py/fake_control.py
PACE=$EC_ROOT/tests/py/pace.py

setup_file() {
	ec-gen --records 2000 >"$BATS_FILE_TMPDIR/small.pb"
	ec-gen --records 100000 >"$BATS_FILE_TMPDIR/big.pb"
	make_cert "$BATS_FILE_TMPDIR"
}

teardown() {
	exec 7>&- 2>/dev/null || true
	bg_stop_all
}

@test "ec-serve, ec-ctl: --help, --version, bad usage exits 2 with a reason" {
	run ec-serve --help
	assert_success
	assert_output --partial "--capture-control"
	run ec-serve --version
	assert_success
	run ec-serve --heartbeat 0
	assert_failure 2
	assert_output --partial "--heartbeat \"0\""
	run ec-serve --ws nonsense
	assert_failure 2
	assert_output --partial "expected HOST:PORT"
	run ec-serve --tls-cert x.pem
	assert_failure 2
	run ec-ctl --help
	assert_success
	for m in tls openssl boringssl gotls gnutls nss nspr bash mysqld postgres postgress; do
		assert_output --partial "$m"
	done
	for f in libssl elfpath gnutls nspr bashpath mysqldpath postgrespath target-process \
		ignore-process per-cpu-map-size truncate-size; do
		assert_output --partial -- "--$f"
	done
	run ec-ctl zsh --pid 1
	assert_failure 2
	run ec-ctl tls --pid x
	assert_failure 2
	assert_output --partial "expected a whole number"
	run ec-ctl tls --pid 1 --server http://a --control /b
	assert_failure 2
}

@test "ec-serve: listening on a port in use fails with exit 1" {
	port=$(free_port)
	bg_start $PY -c "import socket,time; s=socket.socket(); s.bind(('127.0.0.1',$port)); s.listen(); time.sleep(30)"
	wait_port "$port"
	run ec-serve --ws "127.0.0.1:$port" --listen off </dev/null
	assert_failure 1
	assert_output --partial "cannot listen"
}

@test "WebSocket: replay, live records as LogEntry messages, heartbeat, polite close at end" {
	serve_start --heartbeat 1 --drain 5
	client_bg c1 --until-close --timeout 30
	client_bg c2 --until-close --timeout 30
	wait_clients 2
	cat "$BATS_FILE_TMPDIR/small.pb" >&7
	sleep 1.3 # a heartbeat falls due while the stream is open
	serve_finish
	[ "$SERVE_RC" = 0 ] || { cat "$T/serve.err"; false; }
	wait "$PID_c1"
	wait "$PID_c2"
	events=$(ec-dump -j "$BATS_FILE_TMPDIR/small.pb" | jq -c 'select(.event_payload)' | wc -l)
	logs=$(ec-dump -j "$BATS_FILE_TMPDIR/small.pb" | jq -c 'select(.run_log)' | wc -l)
	[ "$events" -gt 1000 ]
	for c in c1 c2; do
		run jq -r '"\(.events) \(.logs + .keylogs) \(.undecodable) \(.closed) \(.close_code) \(.close_reason)"' "$T/$c.json"
		# ec-serve's own 4 startup logs come first (the replay), then the stream's
		assert_output "$events $((logs + 4)) 0 true 1000 end of stream"
		# one line each, as eCapture starts its log
		run jq -j '.first_logs[0], .first_logs[1], .first_logs[2], .first_logs[3]' "$T/$c.json"
		assert_line --index 0 --regexp '^20[0-9-]{8}T[0-9:]{8}Z INF AppName=ec-serve$'
		assert_line --index 1 --regexp '^20.*Z INF Version=linux_[a-z0-9_]+:[0-9.]+:'
		assert_line --index 2 --regexp "^20.*Z INF Listen=http://127.0.0.1:$API "
		assert_line --index 3 --regexp "^20.*Z INF Listen for eCaptureQ=ws://127.0.0.1:$WS/$"
		[ "${#lines[@]}" = 4 ]
		# a heartbeat from ec-serve counting the events
		run jq -r '.heartbeat_msgs | length' "$T/$c.json"
		[ "$output" -ge 1 ]
		run jq -r '.heartbeat_count' "$T/$c.json"
		assert_output "$events"
	done
	# the pids seen equal the stream's
	want=$(ec-dump -j "$BATS_FILE_TMPDIR/small.pb" | jq -r 'select(.event_payload) | .event_payload.pid' | sort | uniq -c | awk '{print $2":"$1}' | sort)
	got=$(jq -r '.pids | to_entries[] | "\(.key):\(.value)"' "$T/c1.json" | sort)
	[ "$want" = "$got" ]
}

@test "WebSocket: a late client gets the last 128 process logs first, then a heartbeat" {
	serve_start --heartbeat 1
	ec-gen --total-conns 300 --records 4000 >"$T/logs.pb"
	nlogs=$(ec-dump -j "$T/logs.pb" | jq -c 'select(.run_log)' | wc -l)
	[ "$nlogs" -gt 128 ]
	cat "$T/logs.pb" >&7
	total=$(($(ec-dump -j "$T/logs.pb" | wc -l) + 4))
	for i in $(seq 1 100); do
		[ "$(curl -s "http://127.0.0.1:$API/status" | jq .records)" = "$total" ] && break
		sleep 0.1
	done
	run $PY "$WSC" "ws://127.0.0.1:$WS/" --heartbeats 1 --timeout 10
	assert_success
	echo "$output" >"$T/late.json"
	run jq -r '"\(.logs + .keylogs) \(.events)"' "$T/late.json"
	assert_output "128 0"
	ec-dump -j "$T/logs.pb" | jq -r 'select(.run_log) | .run_log' | tail -128 >"$T/want"
	jq -r '.first_logs[]' "$T/late.json" >"$T/got"
	diff "$T/want" "$T/got"
	serve_finish
	[ "$SERVE_RC" = 0 ]
}

@test "config API: the seeds' curl example is relayed to capture, its answer passed through" {
	T=$BATS_TEST_TMPDIR
	bg_start $PY "$FAKE" "$T/ctl.sock" --log "$T/ctl.log"
	wait_file "$T/ctl.sock" || true
	for i in $(seq 1 100); do [ -S "$T/ctl.sock" ] && break; sleep 0.05; done
	serve_start --capture-control "$T/ctl.sock"
	body='{"pid":0,"uid":0,"debug":false,"hex":false,"btf":0,"per_cpu_map_size":1024,"truncate_size":0,"filters":{"target_process":["nginx","curl"],"ignore_process":["ecapture"]}}'
	run curl -s -w ' %{http_code}' -X POST "http://127.0.0.1:$API/tls" \
		-H "Content-Type: application/json" -d "$body"
	assert_output '{"code": 0, "module_type": "tls", "msg": "applied by fake capture", "data": null} 200'
	run cat "$T/ctl.log"
	assert_output "/tls $body"
	# aliases reach capture under the route asked for
	run curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$API/postgress" -d '{"pid":12}'
	assert_output 200
	run tail -1 "$T/ctl.log"
	assert_output '/postgress {"pid":12}'
	# ec-ctl through ec-serve and straight to the control socket
	run ec-ctl tls --pid 1234 --server "http://127.0.0.1:$API"
	assert_success
	assert_output "tls: applied by fake capture"
	run tail -1 "$T/ctl.log"
	assert_output '/tls {"pid":1234}'
	run ec-ctl tls --target-process nginx,curl --ignore-process ec-capture --control "$T/ctl.sock" --json
	assert_success
	assert_output '{"code": 0, "module_type": "tls", "msg": "applied by fake capture", "data": null}'
	run tail -1 "$T/ctl.log"
	assert_output '/tls {"filters":{"target_process":["nginx","curl"],"ignore_process":["ec-capture"]}}'
	run ec-ctl bash --uid 1000 --bashpath /bin/bash --server "http://127.0.0.1:$API"
	assert_success
	run tail -1 "$T/ctl.log"
	assert_output '/bash {"uid":1000,"bashpath":"/bin/bash"}'
	# invalid configs never reach capture
	n=$(wc -l <"$T/ctl.log")
	run ec-ctl tls --pid -1 --server "http://127.0.0.1:$API"
	assert_failure 1
	assert_output --partial 'code 5 (RespConfigCheckFailed, HTTP 400): field "pid": -1 is too small'
	[ "$(wc -l <"$T/ctl.log")" = "$n" ]
}

@test "config API: capture's refusals and garbage are reported, not hidden" {
	T=$BATS_TEST_TMPDIR
	bg_start $PY "$FAKE" "$T/ctl.sock" --log "$T/ctl.log" --code 5
	for i in $(seq 1 100); do [ -S "$T/ctl.sock" ] && break; sleep 0.05; done
	serve_start --capture-control "$T/ctl.sock"
	run curl -s -w ' %{http_code}' -X POST "http://127.0.0.1:$API/tls" -d '{"pid":7}'
	assert_output '{"code": 5, "module_type": "tls", "msg": "fake capture refused", "data": null} 400'
	run ec-ctl tls --pid 7 --server "http://127.0.0.1:$API"
	assert_failure 1
	assert_output --partial "fake capture refused"
	bg_start $PY "$FAKE" "$T/bad.sock" --log "$T/bad.log" --garbage
	for i in $(seq 1 100); do [ -S "$T/bad.sock" ] && break; sleep 0.05; done
	run ec-ctl tls --pid 7 --control "$T/bad.sock"
	assert_failure 1
	assert_output --partial "not a config API answer"
}

@test "config API: codes 4, 5, 6 and HTTP 404, 405, 413, status JSON" {
	serve_start --capture-control "$BATS_TEST_TMPDIR/nobody.sock"
	post() { curl -s -w ' %{http_code}' -X POST "http://127.0.0.1:$API$1" -d "$2"; }
	run post /tls '{"pid": 1'
	assert_output --regexp '^\{"code":4,"module_type":"tls","msg":"malformed JSON at byte [0-9]+ of 9; send a JSON object","data":null\} 400$'
	run post /tls '{"pid":"12"}'
	assert_output --partial '"code":4,'
	assert_output --partial ' 400'
	run post /gotls '{"pid":-5}'
	assert_output '{"code":5,"module_type":"gotls","msg":"field \"pid\": -5 is too small; give 0 (all processes) or a process id up to 4194304","data":null} 400'
	# valid, but capture is not running
	run post /tls '{"pid":0}'
	assert_output --regexp '^\{"code":6,"module_type":"tls","msg":"capture not reachable: unix socket .*nobody.sock: .*","data":null\} 503$'
	run ec-ctl tls --pid 0 --server "http://127.0.0.1:$API"
	assert_failure 1
	assert_output --partial "code 6 (RespSendToChanFailed, HTTP 503): capture not reachable"
	run post /zsh '{}'
	assert_output --partial '"code":3,'
	assert_output --partial ' 404'
	# the WebSocket port has the status, not the config routes
	run curl -s -w ' %{http_code}' -X POST "http://127.0.0.1:$WS/tls" -d '{"pid":0}'
	assert_output --partial ' 404'
	run curl -s "http://127.0.0.1:$WS/status"
	assert_output --partial '"version":"0.1.0"'
	run curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$API/tls"
	assert_output 405
	run curl -s -D - -o /dev/null -X PUT "http://127.0.0.1:$API/tls" -d '{}'
	assert_output --regexp 'HTTP/1.1 405'
	assert_output --regexp '[Aa]llow: POST'
	head -c 100000 /dev/zero | tr '\0' ' ' >"$BATS_TEST_TMPDIR/big.json"
	run curl -s -w ' %{http_code}' -X POST "http://127.0.0.1:$API/tls" --data-binary @"$BATS_TEST_TMPDIR/big.json"
	assert_output --partial ' 413'
	assert_output --partial 'over the limit of 65536 bytes'
	run curl -s -w ' %{http_code}' -X POST -H 'Transfer-Encoding: chunked' "http://127.0.0.1:$API/tls" -d '{"pid":0}'
	assert_output --partial '"code":1,'
	assert_output --partial ' 411'
	# the server still works after all that
	run curl -s "http://127.0.0.1:$API/status"
	assert_success
	run jq -r '"\(.version) \(.clients) \(.stdin) \(.capture_control | test("nobody.sock"))"' <<<"$output"
	assert_output "0.1.0 0 open true"
	run curl -s "http://127.0.0.1:$API/"
	assert_output --partial '"records":4,'
	serve_finish
	[ "$SERVE_RC" = 0 ]
}

@test "token: missing or wrong token gets 401 on config routes, status and the WebSocket" {
	T=$BATS_TEST_TMPDIR
	bg_start $PY "$FAKE" "$T/ctl.sock" --log "$T/ctl.log"
	for i in $(seq 1 100); do [ -S "$T/ctl.sock" ] && break; sleep 0.05; done
	EC_TOKEN=s3cret serve_start --capture-control "$T/ctl.sock"
	run curl -s -w ' %{http_code}' -X POST "http://127.0.0.1:$API/tls" -d '{"pid":0}'
	assert_output --partial ' 401'
	run curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer wrong' "http://127.0.0.1:$API/status"
	assert_output 401
	run curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Authorization: Bearer s3cret' "http://127.0.0.1:$API/tls" -d '{"pid":0}'
	assert_output 200
	run ec-ctl tls --pid 0 --server "http://127.0.0.1:$API"
	assert_failure 1
	run ec-ctl tls --pid 0 --server "http://127.0.0.1:$API" --token s3cret
	assert_success
	EC_TOKEN=s3cret run ec-ctl status --server "http://127.0.0.1:$API"
	assert_success
	assert_output --partial '"version":"0.1.0"'
	run $PY "$WSC" "ws://127.0.0.1:$WS/" --timeout 5
	assert_failure 2
	assert_output '{"error": "status", "status": 401}'
	run $PY "$WSC" "ws://127.0.0.1:$WS/" --token nope --timeout 5
	assert_output '{"error": "status", "status": 401}'
	client_bg ok --token s3cret --until-close --timeout 20
	wait_clients 1 -H 'Authorization: Bearer s3cret'
	cat "$BATS_FILE_TMPDIR/small.pb" >&7
	serve_finish
	[ "$SERVE_RC" = 0 ]
	wait "$PID_ok"
	run jq -r .closed "$T/ok.json"
	assert_output true
	# nothing unauthorized reached capture
	[ "$(wc -l <"$T/ctl.log")" = 2 ]
}

@test "token file: the secret from --token-file, one line, for ec-serve and ec-ctl; bad files refused" {
	T=$BATS_TEST_TMPDIR
	printf 's3cret\n' >"$T/token"
	serve_start --token-file "$T/token"
	run curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$API/status"
	assert_output 401
	run curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer s3cret' "http://127.0.0.1:$API/status"
	assert_output 200
	run ec-ctl status --server "http://127.0.0.1:$API" --token-file "$T/token"
	assert_success
	assert_output --partial '"version":"0.1.0"'
	serve_finish
	[ "$SERVE_RC" = 0 ]
	: >"$T/empty"
	printf 'two\nlines\n' >"$T/two"
	run ec-serve --token-file "$T/empty" </dev/null
	assert_failure 1
	assert_output "ec-serve: --token-file $T/empty: empty; write the secret in it, on one line"
	run ec-ctl status --token-file="$T/two"
	assert_failure 1
	assert_output "ec-ctl: --token-file $T/two: byte 3 is 0x0a; a token is one line of visible ASCII (no spaces)"
	run ec-serve --token-file "$T/none" </dev/null
	assert_failure 1
	assert_output "ec-serve: --token-file $T/none: No such file or directory"
	run ec-ctl status --token s3cret --token-file "$T/token"
	assert_failure 2
	assert_output "ec-ctl: --token and --token-file: give the secret one way"
}

@test "stalled client: others receive all 100000 records, its drops are counted, memory bounded" {
	serve_start --heartbeat 1 --drain 60 --queue 100000
	client_bg f1 --until-close --timeout 90 --progress "$T/f1.progress"
	client_bg f2 --until-close --timeout 90 --progress "$T/f2.progress"
	client_bg stall --stall 90
	wait_clients 3
	# at most 10 MB/s, and never more than 8 MB ahead of the slower reading
	# client (less than the 16 MB queue): they keep up on a busy machine too
	$PY "$PACE" --rate 10e6 --follow "$T/f1.progress" --follow "$T/f2.progress" \
		--max-lag 8000000 "$BATS_FILE_TMPDIR/big.pb" >&7
	hwm=$(awk '/VmHWM/ {print $2}' "/proc/$SERVE_PID/status")
	stat=$(curl -s "http://127.0.0.1:$API/status")
	# the stalled client goes away; the others may take their time to drain
	kill "$PID_stall"
	serve_finish
	[ "$SERVE_RC" = 0 ]
	wait "$PID_f1"
	wait "$PID_f2"
	records=$(ec-dump -j "$BATS_FILE_TMPDIR/big.pb" | wc -l)
	[ "$records" = 100000 ]
	cat "$T/serve.err" "$T"/f?.err
	jq -c '{messages,events,heartbeat_dropped,timeout,closed}' "$T"/f?.json
	for c in f1 f2; do
		# all records, plus ec-serve's 4 startup logs and its heartbeats
		run jq -r '.messages - (.heartbeat_msgs | length) - 4' "$T/$c.json"
		assert_output 100000
		run jq -r '.heartbeat_dropped | max' "$T/$c.json"
		assert_output 0
	done
	dropped=$(jq .dropped <<<"$stat")
	# per client: the stalled one lost records, the others none
	[ "$(jq '[.client_list[].dropped] | sort | .[0:2] | add' <<<"$stat")" = 0 ]
	[ "$(jq '[.client_list[].dropped] | max' <<<"$stat")" = "$dropped" ]
	echo "VmHWM ${hwm} kB, dropped $dropped, stream $(stat -c %s "$BATS_FILE_TMPDIR/big.pb") bytes"
	[ "$dropped" -gt 10000 ]
	# the stream is 74 MB: holding it would need far more than the 16 MB queue
	# (ASan keeps freed memory in quarantine: no RSS bound there)
	[ "$EC_BUILD" = "$EC_ROOT/build/san" ] || [ "$hwm" -lt 50000 ]
}

@test "--tee copies the stream to stdout unchanged while serving" {
	serve_start --tee
	client_bg c --until-close --timeout 20
	wait_clients 1
	cat "$BATS_FILE_TMPDIR/small.pb" >&7
	serve_finish
	[ "$SERVE_RC" = 0 ]
	cmp "$BATS_FILE_TMPDIR/small.pb" "$T/serve.out"
	wait "$PID_c"
}

@test "a broken input stream: one-line error with the offset, clients closed, exit 1" {
	serve_start
	client_bg c --until-close --timeout 20
	wait_clients 1
	head -c 3000 "$BATS_FILE_TMPDIR/small.pb" >&7
	printf '\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff' >&7
	serve_finish
	[ "$SERVE_RC" = 1 ]
	run cat "$T/serve.err"
	assert_output --regexp 'offset [0-9]+'
	wait "$PID_c"
	run jq -r '"\(.closed) \(.close_code)"' "$T/c.json"
	assert_output "true 1000"
}

@test "--tls-cert/--tls-key: wss:// stream and https:// config API; the path is / (or /ws)" {
	T=$BATS_TEST_TMPDIR
	make_cert "$T"
	run ec-serve --tls-cert "$T/nope.pem" --tls-key "$T/key.pem" </dev/null
	assert_failure 2
	assert_output --partial "nope.pem: No such file"
	serve_start --tls-cert "$T/cert.pem" --tls-key "$T/key.pem"
	run curl -s --cacert "$T/cert.pem" --resolve "localhost:$API:127.0.0.1" "https://localhost:$API/status"
	assert_output --partial '"version":"0.1.0"'
	run curl -s -o /dev/null -w '%{http_code}' -X POST -k "https://127.0.0.1:$API/tls" -d '{"pid":-1}'
	assert_output 400
	run $PY "$WSC" "ws://127.0.0.1:$WS/" --timeout 3
	assert_failure
	run $PY "$WSC" "wss://127.0.0.1:$WS/elsewhere" --insecure --timeout 5
	assert_output '{"error": "status", "status": 404}'
	$PY "$WSC" "wss://127.0.0.1:$WS/" --insecure --until-close --timeout 20 >"$T/c.json" 7>&- &
	EC_PIDS="$EC_PIDS $!"
	c=$!
	$PY "$WSC" "wss://127.0.0.1:$WS/ws" --insecure --until-close --timeout 20 >"$T/d.json" 7>&- &
	EC_PIDS="$EC_PIDS $!"
	d=$!
	SCHEME=https wait_clients 2 -k
	cat "$BATS_FILE_TMPDIR/small.pb" >&7
	serve_finish
	[ "$SERVE_RC" = 0 ]
	wait "$c"
	wait "$d"
	n=$(ec-dump -j "$BATS_FILE_TMPDIR/small.pb" | wc -l)
	for f in c d; do
		run jq -r '"\(.messages - (.heartbeat_msgs | length)) \(.close_code)"' "$T/$f.json"
		assert_output "$((n + 4)) 1000"
	done
}

# live_serve_start "SERVE-OPTIONS" CAPTURE-OPTIONS...: openssl s_server on
# $port; ec-capture tls CAPTURE-OPTIONS | ec-serve SERVE-OPTIONS through the
# FIFO $T/cap ($CAP_PID, $SERVE_PID, ports $WS and $API); returns once a
# WebSocket client (c, its events in $T/events.jsonl) is connected.
live_serve_start() {
	local sopts=$1
	shift
	T=$BATS_TEST_TMPDIR
	port=$(free_port)
	s_server_start "$port"
	WS=$(free_port)
	API=$(free_port)
	mkfifo "$T/cap"
	ec-serve --ws "127.0.0.1:$WS" --listen "127.0.0.1:$API" $sopts <"$T/cap" 2>"$T/serve.err" &
	SERVE_PID=$!
	EC_PIDS="${EC_PIDS:-} $SERVE_PID"
	cap_bg capturing "$T/cap" ec-capture tls "$@"
	wait_port "$WS"
	client_bg c --until-close --timeout 60 --events-out "$T/events.jsonl"
	wait_clients 1
}

# SIGINT the capture: it must exit 0; then ec-serve ends (bounded) at the end
# of its input, and the client with it.
live_serve_stop() {
	local i
	kill -INT "$CAP_PID"
	wait "$CAP_PID"
	CAP_PID=
	for i in $(seq 1 100); do kill -0 "$SERVE_PID" 2>/dev/null || break; sleep 0.05; done
	wait "$SERVE_PID"
	wait "$PID_c"
}

@test "live: ec-capture tls | ec-serve, a WebSocket client sees curl's request and response" {
	require_root
	live_serve_start "" --heartbeat 1
	curl -sk "https://127.0.0.1:$port/live-serve" -o "$T/page" &
	cpid=$!
	wait "$cpid"
	grep -q s_server "$T/page"
	sleep 0.3
	live_serve_stop
	run jq -r "select(.pid == $cpid) | .pname" "$T/events.jsonl"
	assert_line curl
	jq -r "select(.pid == $cpid) | .payload" "$T/events.jsonl" | grep -q '^GET /live-serve HTTP/1.1'
	jq -r "select(.pid == $cpid) | .payload" "$T/events.jsonl" | grep -q '^HTTP/1.0 200 ok'
}

@test "ping/pong: a reading client stays, one that never answers pings is closed" {
	serve_start --ping 1 --heartbeat 100 -v
	client_bg alive --until-close --timeout 20
	client_bg stall --stall 20
	wait_clients 2
	# the stalled client never answers: gone after twice --ping
	for i in $(seq 1 100); do
		[ "$(curl -s "http://127.0.0.1:$API/status" | jq .clients)" = 1 ] && break
		sleep 0.1
	done
	[ "$(curl -s "http://127.0.0.1:$API/status" | jq .clients)" = 1 ]
	sleep 2.5 # several ping intervals: the reading client answers and stays
	[ "$(curl -s "http://127.0.0.1:$API/status" | jq .clients)" = 1 ]
	serve_finish
	[ "$SERVE_RC" = 0 ]
	wait "$PID_alive"
	# the 4 startup logs and the end-of-input heartbeat
	run jq -r '"\(.closed) \(.close_code) \(.messages)"' "$T/alive.json"
	assert_output "true 1000 5"
}

@test "live retarget: ec-ctl tls --pid A keeps only A's traffic, --pid 0 both again, no restart, nothing lost for A" {
	require_root
	ec-capture tls --help | grep -q -- --control || skip "ec-capture has no --control"
	live_serve_start "--capture-control $BATS_TEST_TMPDIR/ctl.sock" --control="$BATS_TEST_TMPDIR/ctl.sock"
	# two long-lived curls, 10 requests/s each, one connection per request
	curl -sk --rate 10/s "https://127.0.0.1:$port/A[1-150]" -o /dev/null &
	A=$!
	EC_PIDS="$EC_PIDS $A"
	curl -sk --rate 10/s "https://127.0.0.1:$port/B[1-150]" -o /dev/null &
	B=$!
	EC_PIDS="$EC_PIDS $B"
	sleep 1.5
	run ec-ctl tls --pid "$A" --server "http://127.0.0.1:$API"
	assert_success
	assert_output "tls: applied: pid"
	t1=$(date +%s%N)
	sleep 2
	t2=$(date +%s%N)
	# straight to the capture's control socket this time
	run ec-ctl tls --pid 0 --control "$T/ctl.sock"
	assert_success
	sleep 1.5
	t3=$(date +%s%N)
	kill "$A" "$B" 2>/dev/null || true
	kill -0 "$CAP_PID" # the same capture all along
	live_serve_stop
	grep -q "control: config applied; filters: pid=$A" "$T/cap.err"
	g=300000000 # 0.3 s around each switch
	# while the filter held, nothing but A (from any process)
	run jq -r "select(.ts > $t1 + $g and .ts < $t2) | .pid" "$T/events.jsonl"
	[ -n "$output" ]
	[ "$(sort -u <<<"$output")" = "$A" ]
	# B before and after
	[ "$(jq -r "select(.pid == $B and .ts < $t1 - 2 * $g) | .pid" "$T/events.jsonl" | wc -l)" -gt 0 ]
	[ "$(jq -r "select(.pid == $B and .ts > $t2 + $g and .ts < $t3) | .pid" "$T/events.jsonl" | wc -l)" -gt 0 ]
	# every request of A, in order, none missing across both switches
	jq -r "select(.pid == $A) | .payload" "$T/events.jsonl" | grep -o '^GET /A[0-9]*' |
		sed 's|GET /A||' >"$T/a"
	n=$(wc -l <"$T/a")
	[ "$n" -ge 30 ]
	seq 1 "$n" | diff - "$T/a"
}

@test "SIGTERM with the input still open: clients closed politely, exit 0" {
	serve_start
	client_bg c --until-close --timeout 20
	wait_clients 1
	head -c 20000 "$BATS_FILE_TMPDIR/small.pb" >&7 # whole records or not: the input stays open
	kill -TERM "$SERVE_PID"
	for i in $(seq 1 100); do kill -0 "$SERVE_PID" 2>/dev/null || break; sleep 0.05; done
	rc=0
	wait "$SERVE_PID" || rc=$?
	[ "$rc" = 0 ]
	wait "$PID_c"
	run jq -r '"\(.closed) \(.close_code)"' "$T/c.json"
	assert_output "true 1000"
}

@test "--max-clients: one more client is refused with 503" {
	serve_start --max-clients 1
	client_bg c --until-close --timeout 20
	wait_clients 1
	run $PY "$WSC" "ws://127.0.0.1:$WS/" --timeout 5
	assert_output '{"error": "status", "status": 503}'
	serve_finish
	[ "$SERVE_RC" = 0 ]
	wait "$PID_c"
}

@test "--keep: a client that joins with ?replay=1 gets the last N events first, others only what comes; ?token= on the upgrade" {
	T=$BATS_TEST_TMPDIR
	ec-gen --records 30 --heartbeat 0 --no-keylog >"$T/g.pb"
	EC_TOKEN=s3cret serve_start --keep 5
	cat "$T/g.pb" >&7
	for _ in $(seq 1 100); do
		[ "$(curl -s -H 'Authorization: Bearer s3cret' "http://127.0.0.1:$API/status" | jq .events)" = 29 ] && break
		sleep 0.05
	done
	# a browser's WebSocket cannot send headers: the token as ?token=
	run $PY "$WSC" "ws://127.0.0.1:$WS/?replay=1&token=s3cret" --events 5 --timeout 10 --events-out "$T/kept.jsonl"
	assert_success
	# the last five events of the stream, in order
	ec-dump --json "$T/g.pb" | jq -r 'select(.event_payload) | .event_payload.timestamp' | tail -5 >"$T/want"
	jq -r .ts "$T/kept.jsonl" >"$T/got"
	cmp "$T/want" "$T/got"
	# a client that does not ask gets none of them
	run $PY "$WSC" "ws://127.0.0.1:$WS/?token=s3cret" --events 1 --timeout 2
	assert_failure 3
	run $PY "$WSC" "ws://127.0.0.1:$WS/?replay=1&token=wrong" --timeout 5
	assert_output '{"error": "status", "status": 401}'
	# ?token= is for the WebSocket upgrade only, not the HTTP routes
	run curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$API/status?token=s3cret"
	assert_output 401
	serve_finish
	[ "$SERVE_RC" = 0 ]
	run ec-serve --keep -1 </dev/null
	assert_failure 2
	run ec-serve --keep-bytes 10 </dev/null
	assert_failure 2
}
