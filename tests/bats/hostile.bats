#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# Hostile bytes stay inert (issue 19): a process named \xff\xfe\x1b]0;PWN\x07
# doing TLS, payloads with ESC, NUL and invalid UTF-8; every record decodes
# with python3-protobuf and through ec-serve; ec-dump keeps the terminal
# safe and its JSON UTF-8. Strict HTTP on every server port, no token through
# a proxy nobody chose, every failure loud. The capture tests need root.

load helpers

HOSTILE=$EC_ROOT/tests/py/hostile.py
FAKE=$EC_ROOT/tests/py/fake_control.py
NAME_HEX=fffe1b5d303b50574e07 # \xff\xfe\x1b]0;PWN\x07

setup_file() {
	ec-gen --records 200 >"$BATS_FILE_TMPDIR/later.pb"
	$PY "$HOSTILE" records >"$BATS_FILE_TMPDIR/foreign.pb"
	[ "$(id -u)" = 0 ] || return 0
	# one live capture for the tests below: the hostile client against a TLS server
	local d=$BATS_FILE_TMPDIR port T=$BATS_FILE_TMPDIR
	make_cert "$d"
	port=$(free_port)
	cap_bg capturing "$d/cap.pb" ec-capture tls --pcap "$d/live.pcapng" --ifname lo "tcp port $port" ||
		true # the tests that need it skip if the client did not run
	$PY "$HOSTILE" server "$port" "$d/cert.pem" "$d/key.pem" &
	local srv=$!
	wait_port "$port"
	$PY "$HOSTILE" client "$port" --name "$NAME_HEX" >"$d/client.pid"
	wait "$srv"
	sleep 0.2
	kill -INT "$CAP_PID"
	wait "$CAP_PID"
	ec-parse "$d/cap.pb" >"$d/parsed.pb"
}

teardown() {
	exec 7>&- 2>/dev/null || true
	bg_stop_all
}

need_capture() {
	require_root
	[ -s "$BATS_FILE_TMPDIR/client.pid" ] || skip "the live capture of setup_file failed"
	D=$BATS_FILE_TMPDIR
	CPID=$(cat "$D/client.pid")
}

# Bytes on stdin: UTF-8 with no control character but newline, tab and the
# CR of a CRLF (no C0, DEL or C1): what is safe on a terminal.
inert() {
	$PY -c '
import sys
b = sys.stdin.buffer.read()
t = b.decode("utf-8")  # strict
for i, ch in enumerate(t):
    c = ord(ch)
    ok = ch in "\n\t" or (ch == "\r" and t[i + 1:i + 2] in ("\n", "")) or (0x20 <= c < 0x7f) or c >= 0xa0
    if not ok:
        sys.exit("control character U+%04X at %d: %r" % (c, i, t[max(0, i - 20):i + 20]))
'
}

@test "a process named \\xff\\xfe\\x1b]0;PWN\\x07 doing TLS: every record decodes with python3-protobuf, pname_raw keeps the name" {
	need_capture
	run --separate-stderr $PY "$HOSTILE" check "$D/cap.pb"
	assert_success
	[ "$(jq .undecodable <<<"$output")" = 0 ]
	ev=$(jq -c "[.events[] | select(.pid == $CPID)]" <<<"$output")
	# a request and a response at least, with the bytes as sent
	[ "$(jq length <<<"$ev")" -ge 2 ]
	[ "$(jq -r '.[0].pname' <<<"$ev")" = $'\uFFFD\uFFFD\x1b]0;PWN\x07' ]
	[ "$(jq -r '.[0].pname_raw' <<<"$ev")" = "$NAME_HEX" ]
	[[ "$(jq -r '.[0].uuid' <<<"$ev")" == *$'_\uFFFD\uFFFD\x1b]0;PWN\x07_'* ]]
	# payloads (bytes fields) are as captured: ESC, NUL, 0xff
	jq -r '.[].payload' <<<"$ev" | grep -q '1b5d303b50574e071b5b324a00fffec29b33316d'

	# ec-parse's messages too, with the raw name carried over
	run --separate-stderr $PY "$HOSTILE" check "$D/parsed.pb"
	assert_success
	[ "$(jq .undecodable <<<"$output")" = 0 ]
	[ "$(jq "[.events[] | select(.pid == $CPID and (.type == 1 or .type == 3) and .pname_raw == \"$NAME_HEX\")] | length" <<<"$output")" = 2 ]
}

@test "ec-dump text: no control byte reaches the terminal (names, payloads, logs); --raw writes them as captured" {
	need_capture
	for f in cap parsed; do
		ec-dump "$D/$f.pb" >"$BATS_TEST_TMPDIR/$f.txt"
		inert <"$BATS_TEST_TMPDIR/$f.txt"
	done
	grep -qF ' \xff\xfe\x1b]0;PWN\x07('"$CPID/" "$BATS_TEST_TMPDIR/cap.txt"
	# a text payload keeps its lines; the C1 CSI and the lone CR are escaped
	grep -qF 'X-C1: \xc2\x9b2J red\x0doverwritten' "$BATS_TEST_TMPDIR/parsed.txt"
	# the answer (ESC, BEL, NUL, 0xff) is binary: a hex dump
	grep -qF '|HTTP/1.1 200 OK.|' "$BATS_TEST_TMPDIR/parsed.txt"
	# --raw: as captured, control bytes and all
	ec-dump --raw "$D/cap.pb" >"$BATS_TEST_TMPDIR/raw.txt"
	grep -qF $'\xff\xfe\x1b]0;PWN\x07('"$CPID/" "$BATS_TEST_TMPDIR/raw.txt"
	run inert <"$BATS_TEST_TMPDIR/raw.txt"
	assert_failure
}

@test "ec-dump --json: every line is UTF-8 JSON; pname_raw gives the name's bytes back" {
	need_capture
	for f in cap parsed; do
		ec-dump --json "$D/$f.pb" >"$BATS_TEST_TMPDIR/$f.json"
		$PY -c '
import base64, json, sys
n = 0
for line in open(sys.argv[1], "rb"):
    o = json.loads(line.decode("utf-8"))  # strict UTF-8, then JSON
    ev = o.get("event_payload", {})
    if ev.get("pid") == int(sys.argv[2]):
        assert base64.b64decode(ev["pname_raw"]) == bytes.fromhex(sys.argv[3]), ev
        assert ev["pname"] == "\ufffd\ufffd\x1b]0;PWN\x07", ev
        n += 1
assert n >= 2, n
' "$BATS_TEST_TMPDIR/$f.json" "$CPID" "$NAME_HEX"
	done
}

@test "--pcap and ec-dump --pcapng: the packet comments naming the process are UTF-8, as pcapng wants" {
	need_capture
	ec-dump --pcapng "$BATS_TEST_TMPDIR/h.pcapng" "$D/cap.pb"
	for f in "$D/live.pcapng" "$BATS_TEST_TMPDIR/h.pcapng"; do
		$PY -c '
import re, sys
b = open(sys.argv[1], "rb").read()
names = re.findall(rb"pid=" + sys.argv[2].encode() + rb" tid=\d+ comm=(.*?) uid=", b)
assert names, "no comment for the client"
for n in names:
    assert n.decode("utf-8") == "\ufffd\ufffd\x1b]0;PWN\x07", n
' "$f" "$CPID"
	done
}

@test "records a foreign writer made (not UTF-8, NUL inside): ec-dump shows every byte, ec-parse writes them fixed" {
	f=$BATS_FILE_TMPDIR/foreign.pb
	run --separate-stderr $PY "$HOSTILE" check "$f"
	[ "$(jq .undecodable <<<"$output")" = 3 ] # what a stock decoder makes of them
	ec-dump "$f" >"$BATS_TEST_TMPDIR/f.txt"
	inert <"$BATS_TEST_TMPDIR/f.txt"
	grep -qF 'note="no\x00te \xc3"' "$BATS_TEST_TMPDIR/f.txt" # not cut at the NUL
	grep -qF -- '-- log old writer: \xff log' "$BATS_TEST_TMPDIR/f.txt"
	ec-dump --json "$f" | $PY -c '
import json, sys
for line in sys.stdin.buffer:
    json.loads(line.decode("utf-8"))'
	ec-parse "$f" >"$BATS_TEST_TMPDIR/p.pb"
	run --separate-stderr $PY "$HOSTILE" check "$BATS_TEST_TMPDIR/p.pb"
	assert_success
	[ "$(jq .undecodable <<<"$output")" = 0 ]
	[ "$(jq -r '.events[0].pname_raw' <<<"$output")" = "$NAME_HEX" ]
}

@test "ec-serve: a WebSocket client decodes every record, hostile ones fixed, and receives the records after them" {
	serve_start --tee
	client_bg c --until-close --timeout 30
	wait_clients 1
	cat "$BATS_FILE_TMPDIR/foreign.pb" >&7
	[ -s "$BATS_FILE_TMPDIR/cap.pb" ] && cat "$BATS_FILE_TMPDIR/cap.pb" >&7
	cat "$BATS_FILE_TMPDIR/later.pb" >&7
	serve_finish
	[ "$SERVE_RC" = 0 ]
	wait "$PID_c"
	run jq -c '{undecodable, closed, close_code}' "$T/c.json"
	assert_output '{"undecodable":0,"closed":true,"close_code":1000}'
	# everything arrived: the 4 startup logs, all input records, the final heartbeat
	n=$(($(ec-dump -j "$BATS_FILE_TMPDIR/foreign.pb" "$BATS_FILE_TMPDIR/later.pb" | wc -l) + 5))
	[ -s "$BATS_FILE_TMPDIR/cap.pb" ] && n=$((n + $(ec-dump -j "$BATS_FILE_TMPDIR/cap.pb" | wc -l)))
	[ "$(jq .messages "$T/c.json")" = "$n" ]
	# ec-gen's last event came after the hostile ones
	last=$(ec-dump -j -e "$BATS_FILE_TMPDIR/later.pb" | tail -1 | jq .event_payload.pid)
	jq -e ".pids[\"$last\"] > 0" "$T/c.json"
	# the --tee copy is written the same way
	run --separate-stderr $PY "$HOSTILE" check "$T/serve.out"
	[ "$(jq .undecodable <<<"$output")" = 0 ]
}

# A raw HTTP exchange: REQUEST (printf escapes) to HOST:PORT or a Unix socket
# path; prints what came back. --half shuts the sending side after it.
raw_http() {
	$PY -c '
import socket, sys
dst, req = sys.argv[1], sys.argv[2].encode().decode("unicode_escape").encode("latin-1")
if dst.startswith("/"):
    s = socket.socket(socket.AF_UNIX); s.connect(dst)
else:
    h, p = dst.rsplit(":", 1); s = socket.create_connection((h, int(p)))
s.sendall(req)
if len(sys.argv) > 3: s.shutdown(socket.SHUT_WR)
s.settimeout(5)
out = b""
try:
    while True:
        d = s.recv(65536)
        if not d: break
        out += d
except socket.timeout:
    out += b"<timeout>"
sys.stdout.write(out.decode("latin-1"))
' "$@"
}

BAD_FRAMING=(
	'POST /tls HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\nContent-Length: 50\r\n\r\n{"pid":1}'
	'POST /tls HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\nTransfer-Encoding: chunked\r\n\r\n{"pid":1}'
	'POST /tls HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n9\r\n{"pid":1}\r\n0\r\n\r\n'
	'POST /tls HTTP/1.1\r\nHost: x\r\nContent-Length: 9, 9\r\n\r\n{"pid":1}'
	'POST /tls HTTP/1.1\r\nHost: x\r\nContent-Length: +9\r\n\r\n{"pid":1}'
)

@test "ec-serve config API: duplicate or conflicting lengths, unknown codings: 400, nothing relayed; chunked: 411" {
	serve_start --capture-control "$BATS_TEST_TMPDIR/cap.sock"
	$PY "$FAKE" "$T/cap.sock" --log "$T/fake.log" &
	EC_PIDS="$EC_PIDS $!"
	for i in $(seq 1 100); do [ -S "$T/cap.sock" ] && break; sleep 0.05; done
	for req in "${BAD_FRAMING[@]}"; do
		run raw_http "127.0.0.1:$API" "$req"
		assert_output --partial 'HTTP/1.1 400 '
		assert_output --partial '"code":1'
	done
	run raw_http "127.0.0.1:$API" 'POST /tls HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n9\r\n{"pid":1}\r\n0\r\n\r\n'
	assert_output --partial 'HTTP/1.1 411 '
	# the WebSocket port's upgrade too
	run raw_http "127.0.0.1:$WS" 'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n'
	assert_output --partial ' 400 '
	[ ! -s "$T/fake.log" ] # nothing reached the capture
	# a sound request still goes through, once, and pipelined extras do not
	run raw_http "127.0.0.1:$API" 'POST /tls HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\n{"pid":1}POST /tls HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\n{"pid":2}'
	assert_output --partial 'HTTP/1.1 200 '
	assert_output --partial 'connection: close'
	sleep 0.3
	run cat "$T/fake.log"
	assert_output '/tls {"pid":1}'
}

@test "ec-serve config API: a POST whose client shuts its sending side is relayed once and answered" {
	serve_start --capture-control "$BATS_TEST_TMPDIR/cap.sock"
	$PY "$FAKE" "$T/cap.sock" --log "$T/fake.log" --delay 0.3 &
	EC_PIDS="$EC_PIDS $!"
	for i in $(seq 1 100); do [ -S "$T/cap.sock" ] && break; sleep 0.05; done
	run raw_http "127.0.0.1:$API" 'POST /tls HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\n{"pid":3}' --half
	assert_output --partial 'HTTP/1.1 200 '
	assert_output --partial '"msg": "applied by fake capture"'
	run cat "$T/fake.log"
	assert_output '/tls {"pid":3}'
}

@test "ec-capture --control: bad framing is refused before anything is applied; a half-closed POST is applied and answered" {
	require_root
	T=$BATS_TEST_TMPDIR
	cap_start --control="$T/c.sock"
	[ -S "$T/c.sock" ]
	for req in "${BAD_FRAMING[@]}"; do
		run raw_http "$T/c.sock" "$req"
		assert_output --partial 'HTTP/1.1 400 '
	done
	run grep -c 'config applied' "$T/cap.err"
	assert_output 0
	run raw_http "$T/c.sock" 'POST /tls HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\n{"pid":1}' --half
	assert_output --partial 'HTTP/1.1 200 '
	assert_output --partial 'applied: pid'
	run grep -c 'control: config applied; filters: pid=1' "$T/cap.err"
	assert_output 1
}

@test "ec-ctl: proxy variables are ignored (the listener sees nothing), --proxy is used; non-HTTP URLs are usage errors" {
	serve_start
	proxy=$(free_port)
	$PY -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(4); s.settimeout(8)
with open(sys.argv[2], "ab") as log:
    try:
        while True:
            c, _ = s.accept(); c.settimeout(1)
            try: log.write(c.recv(4096) or b"(connect)")
            except OSError: log.write(b"(connect)")
            log.flush(); c.close()
    except socket.timeout:
        pass
' "$proxy" "$T/proxy.log" &
	EC_PIDS="$EC_PIDS $!"
	wait_port "$proxy"
	: >"$T/proxy.log"
	p=http://127.0.0.1:$proxy
	run env http_proxy=$p HTTP_PROXY=$p https_proxy=$p HTTPS_PROXY=$p ALL_PROXY=$p all_proxy=$p \
		ec-ctl status --server "http://127.0.0.1:$API" --token s3cret
	assert_success
	assert_output --partial '"version"'
	sleep 0.3
	[ ! -s "$T/proxy.log" ]
	# with --proxy it goes there (and the listener is no proxy: the call fails)
	run ec-ctl status --server "http://127.0.0.1:$API" --proxy "$p" --timeout 2
	assert_failure
	for i in $(seq 1 20); do [ -s "$T/proxy.log" ] && break; sleep 0.1; done
	grep -q "127.0.0.1:$API" "$T/proxy.log"
	run ec-ctl tls --pid 1 --server ftp://127.0.0.1/
	assert_failure 2
	assert_output --partial 'ftp:// is not HTTP'
	run ec-ctl tls --pid 1 --server /run/ec/capture.sock
	assert_failure 2
	assert_output --partial '--control PATH'
	run ec-serve --capture-control gopher://x/ </dev/null
	assert_failure 2
}

@test "every failure is loud: an unbindable --control, a library that is no library, sizes over their limit, empty name lists" {
	require_root
	run --separate-stderr ec-capture tls --control=/nonexistent/dir/c.sock
	assert_failure 1
	[[ $stderr == *"--control: cannot create the socket /nonexistent/dir/c.sock: No such file or directory"* ]]
	[[ $stderr != *"control: HTTP on unix socket"* ]]
	[[ $stderr != *capturing* ]]
	run --separate-stderr ec-capture tls --libssl /etc/passwd
	assert_failure 1
	[[ $stderr == *"/etc/passwd: not an ELF file"* ]]
	[[ $stderr != *"Unknown error"* ]]
	run --separate-stderr ec-capture tls --truncate 99999G
	assert_failure 2
	[[ $stderr == *"--truncate: '99999G' is not a size from 0 to 1G"* ]]
	run --separate-stderr ec-capture tls --target-process ''
	assert_failure 2
	[[ $stderr == *"--target-process: empty name list"* ]]
	run --separate-stderr ec-capture bash --ignore-process ,
	assert_failure 2
}

@test "limits are the same in every tool; hints name only their options; a write error is told once" {
	for tool in ec-parse ec-dump ec-serve; do
		run --separate-stderr $tool --max-record 1099511627776 </dev/null
		assert_failure 2
		[ "$stderr" = "$tool: --max-record: '1099511627776' is not a size from 16 to 1G (e.g. 64M)" ]
	done
	later=$BATS_FILE_TMPDIR/later.pb
	head -c 3000 "$later" >"$BATS_TEST_TMPDIR/cut.pb"
	run --separate-stderr ec-forward --dry-run <"$BATS_TEST_TMPDIR/cut.pb"
	[[ $stderr == *"input ends inside a record"* ]]
	[[ $stderr != *"--keep-going"* && $stderr != *"--max-record"* ]]
	run --separate-stderr ec-serve --max-record 64 --ws "127.0.0.1:$(free_port)" --listen off <"$later"
	assert_failure 1
	[[ $stderr == *"raise --max-record"* && $stderr != *"--keep-going"* ]]
	run --separate-stderr ec-dump --max-record 64 "$later"
	[[ $stderr == *"--max-record"* && $stderr == *"--keep-going"* ]]
	# a write error in the middle of the stream, then at the end: one line
	for i in $(seq 1 20); do cat "$later"; done >"$BATS_TEST_TMPDIR/big.pb"
	run --separate-stderr sh -c "ec-parse '$BATS_TEST_TMPDIR/big.pb' >/dev/full"
	assert_failure 1
	[ "$stderr" = "ec-parse: write to stdout: No space left on device" ]
}

@test "ec-serve: a slow client's loss at the end of input comes in a final heartbeat, and on stderr" {
	serve_start --queue 200 --drain 30 --heartbeat 1000
	client_bg slow --read-delay 0.001 --until-close --timeout 60
	wait_clients 1
	ec-gen --records 20000 >&7
	serve_finish
	[ "$SERVE_RC" = 0 ]
	wait "$PID_slow"
	cat "$T/serve.err"
	run jq -r '.heartbeat_msgs[-1]' "$T/slow.json"
	assert_output --regexp '^ec-serve .*: end of input; dropped for this client [1-9][0-9]*$'
	lost=$(jq '.heartbeat_dropped[-1]' "$T/slow.json")
	[ "$lost" -gt 0 ]
	# it got everything else: records + 4 startup logs + the log and heartbeat of the loss
	[ "$(jq .messages "$T/slow.json")" = $((20000 - lost + 4 + 2)) ]
	jq -e '.last_logs[-1] | test("WRN this client lost [0-9]+ records")' "$T/slow.json"
	[ "$(jq -r '"\(.close_code)"' "$T/slow.json")" = 1000 ]
	grep -q "client 127.0.0.1 gone: .* $lost lost (it read slower than the stream)" "$T/serve.err"
}

@test "ec-serve --drain N holds to N (within 1 s) with a client that never reads" {
	for n in 0 1 3; do
		# a queue that keeps the whole stream (15 MB), far more than the
		# socket buffers take: megabytes are still queued when the input
		# ends, whatever the kernel's buffers grew to (a queue of 100 could
		# fit in them at the end, and then there is nothing to drain)
		serve_start --queue 100000 --queue-bytes 64M --drain "$n"
		client_bg stall --stall 30
		wait_clients 1
		ec-gen --records 20000 >&7
		serve_finish
		[ "$SERVE_RC" = 0 ]
		echo "--drain $n: exit after $SERVE_SECS s"
		[ "$(echo "$SERVE_SECS >= $n && $SERVE_SECS < $n + 1" | bc)" = 1 ] || { cat "$T/serve.err"; false; }
		grep -q "did not drain in $n s (--drain)" "$T/serve.err"
		kill "$PID_stall"
		wait "$PID_stall" || true
		rm -f "$T/in"
	done
}
