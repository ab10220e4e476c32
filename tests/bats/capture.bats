#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# ec-capture tls against real peers on loopback (needs root: BPF + uprobes).

load helpers

setup_file() {
	make_cert "$BATS_FILE_TMPDIR"
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
	ec-dump --json "$T/out.pb" | jq -c 'select(.run_log) | .run_log | select(test("^20[-0-9T:]+Z INF target .*\\n$"))' | grep -q .
	ec-dump --json "$T/out.pb" | jq -j 'select(.run_log) | .run_log' | grep -q 'Z INF AppName=ec-capture$'
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
	assert_output --partial "/bin/true: no SSL_write function in it"
	# a pid that surely is not running: the kernel's pid_max is below it
	run ec-capture tls --pid 2147483646
	assert_failure 1
	assert_output --partial "no such process"
}

@test "curl --http2 -> nghttpd: the connection preface and frames, both sides" {
	require_root
	port=$(free_port)
	mkdir -p "$BATS_TEST_TMPDIR/www"
	echo "hello over h2" >"$BATS_TEST_TMPDIR/www/index.html"
	bg_start nghttpd -a 127.0.0.1 -d "$BATS_TEST_TMPDIR/www" "$port" \
		"$BATS_FILE_TMPDIR/key.pem" "$BATS_FILE_TMPDIR/cert.pem"
	npid=$(cat "$BATS_TEST_TMPDIR/last.pid")
	wait_port "$port"
	cap_start
	curl -sk --http2 "https://127.0.0.1:$port/index.html" -o "$BATS_TEST_TMPDIR/got" &
	cpid=$!
	wait "$cpid"
	[ "$(cat "$BATS_TEST_TMPDIR/got")" = "hello over h2" ]
	cap_stop
	# curl writes the preface first on its connection
	first=$(events | jq -r 'select(.pid=='"$cpid"' and .direction=="DIRECTION_WRITE" and .seq==0) | .payload' |
		head -1 | base64 -d | head -c 24 | od -An -c | tr -d ' \n')
	[ "$first" = 'PRI*HTTP/2.0\r\n\r\nSM\r\n\r\n' ]
	# nghttpd reads the same bytes, on the other end of the same 4-tuple
	srv=$(events | jq -c 'select(.pid=='"$npid"' and .direction=="DIRECTION_READ" and .seq==0)')
	[ "$(jq -r .src_port <<<"$srv")" = "$port" ]
	jq -r .payload <<<"$srv" | base64 -d | head -c 24 | grep -q 'PRI \* HTTP/2.0'
	# walk the frames nghttpd wrote: SETTINGS (4), then HEADERS (1) and DATA (0)
	events | jq -r 'select(.pid=='"$npid"' and .direction=="DIRECTION_WRITE") | .payload' >"$T/w64"
	/usr/bin/python3 -c '
import base64, sys
b = b"".join(base64.b64decode(l) for l in open(sys.argv[1]))
i, types = 0, []
while i + 9 <= len(b):
    n = int.from_bytes(b[i:i + 3], "big")
    types.append(b[i + 3])
    i += 9 + n
assert i == len(b), "frames do not tile the written bytes"
print(" ".join(map(str, types)))' "$T/w64" >"$T/types"
	grep -Eq '^4 .*1 .*0' "$T/types"
	# the DATA that curl read carries the body
	events | jq -r 'select(.pid=='"$cpid"' and .direction=="DIRECTION_READ") | .payload' |
		while read -r p; do base64 -d <<<"$p"; done | grep -aq 'hello over h2'
}

# A client held at a gate (a fifo) so its pid is known before it runs.
gated_curl() { # FIFO URL OUT
	bash -c 'read -r _ <"$0"; exec curl -sk "$1" -o "$2"' "$@" &
	EC_PIDS="${EC_PIDS:-} $!"
	GATED=$!
}

@test "--pid captures one process and excludes a concurrent second client" {
	require_root
	port=$(free_port)
	s_server_start "$port"
	mkfifo "$BATS_TEST_TMPDIR/gate"
	gated_curl "$BATS_TEST_TMPDIR/gate" "https://127.0.0.1:$port/mine" "$BATS_TEST_TMPDIR/a"
	pa=$GATED
	cap_start --pid "$pa"
	curl -sk "https://127.0.0.1:$port/other" -o "$BATS_TEST_TMPDIR/b" &
	pb=$!
	echo go >"$BATS_TEST_TMPDIR/gate"
	wait "$pa"
	wait "$pb"
	cap_stop
	grep -q 's_server' "$BATS_TEST_TMPDIR/b" # the second client did run
	[ "$(events | jq -r .pid | sort -u)" = "$pa" ]
	events | jq -r .payload | grep -q '^GET /mine HTTP/1.1'
	grep -q "filters: pid=$pa" "$BATS_TEST_TMPDIR/cap.err"
}

@test "--target-process and --ignore-process select by command name" {
	require_root
	port=$(free_port)
	s_server_start "$port"
	# two curls with command names nobody else uses on this machine
	ln -s "$(command -v curl)" "$BATS_TEST_TMPDIR/ectcurla"
	ln -s "$(command -v curl)" "$BATS_TEST_TMPDIR/ectcurlb"
	for mode in target ignore; do
		if [ $mode = target ]; then cap_start --target-process nosuch,ectcurla; else cap_start --ignore-process ectcurlb; fi
		"$BATS_TEST_TMPDIR/ectcurla" -sk "https://127.0.0.1:$port/one" -o /dev/null &
		p1=$!
		"$BATS_TEST_TMPDIR/ectcurlb" -sk "https://127.0.0.1:$port/two" -o "$BATS_TEST_TMPDIR/two" &
		p2=$!
		wait "$p1"
		wait "$p2"
		cap_stop
		grep -q 's_server' "$BATS_TEST_TMPDIR/two" # the second client did run
		events | jq -r .pname | sort -u >"$T/names"
		grep -qx ectcurla "$T/names"
		run grep -c ectcurlb "$T/names"
		assert_output 0
		[ $mode = ignore ] || [ "$(cat "$T/names")" = ectcurla ]
		events | jq -c "select(.pid==$p1 and .direction==\"DIRECTION_WRITE\")" | grep -q 'GET /one'
	done
}

@test "IPv6: curl -> s_server on ::1" {
	require_root
	port=$(free_port)
	s_server_start "$port" '[::1]'
	cap_start
	curl -sk "https://[::1]:$port/six" -o /dev/null &
	cpid=$!
	wait "$cpid"
	cap_stop
	req=$(events | jq -c "select(.pid==$cpid and .direction==\"DIRECTION_WRITE\")" | head -1)
	[ "$(jq -r .src_ip <<<"$req")" = ::1 ]
	[ "$(jq -r .dst_ip <<<"$req")" = ::1 ]
	[ "$(jq -r .dst_port <<<"$req")" = "$port" ]
	jq -r .payload <<<"$req" | grep -q '^GET /six HTTP/1.1'
}

@test "a 100 kB SSL_write_ex is split into 16 KiB events with continuous seq; --truncate cuts" {
	require_root
	port=$(free_port)
	s_server_start "$port"
	cat >"$BATS_TEST_TMPDIR/big.py" <<'PY'
import socket, ssl, sys
port, out = int(sys.argv[1]), sys.argv[2]
req = b"GET /big HTTP/1.0\r\nX-Fill: " + b"0123456789" * 10000 + b"\r\n\r\n"
open(out, "wb").write(req)
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)))
s.sendall(req)
while s.recv(65536):
    pass
PY
	cap_start
	/usr/bin/python3 "$BATS_TEST_TMPDIR/big.py" "$port" "$BATS_TEST_TMPDIR/sent" &
	py=$!
	wait "$py"
	cap_stop
	events | jq -c "select(.direction==\"DIRECTION_WRITE\" and .pid==$py)" >"$T/w"
	[ "$(wc -l <"$T/w")" = 7 ] # 100031 bytes = 6 x 16384 + 1743
	[ "$(jq -r .seq <"$T/w" | tr '\n' ' ')" = "0 1 2 3 4 5 6 " ]
	[ "$(jq -r .length <"$T/w" | sort -n | tail -1)" = 16384 ]
	jq -j .payload <"$T/w" >"$T/got"
	cmp "$T/got" "$BATS_TEST_TMPDIR/sent"

	cap_start --truncate 100
	/usr/bin/python3 "$BATS_TEST_TMPDIR/big.py" "$port" "$BATS_TEST_TMPDIR/sent" &
	py=$!
	wait "$py"
	cap_stop
	w=$(events | jq -c "select(.direction==\"DIRECTION_WRITE\" and .pid==$py)")
	[ "$(wc -l <<<"$w")" = 1 ]
	[ "$(jq -r .length <<<"$w")" = 100 ]
	[ "$(jq -r .truncated <<<"$w")" = true ]
	[ "$(jq -r .orig_length <<<"$w")" = 100031 ]
}

@test "start/stop 20 times: every link and program of ours is gone, same fd count" {
	require_root
	fds=
	for i in $(seq 1 20); do
		cap_start --heartbeat 0
		# fdinfo is read racily by cat (fds come and go while libbpf and
		# libwebsockets work): read again, bounded, until both are seen
		for _ in $(seq 1 40); do
			links=$(cat /proc/"$CAP_PID"/fdinfo/* 2>/dev/null | awk '/^link_id:/{print $2}' | sort -u)
			progs=$(cat /proc/"$CAP_PID"/fdinfo/* 2>/dev/null | awk '/^prog_id:/{print $2}' | sort -u)
			[ -n "$links" ] && [ -n "$progs" ] && break
			sleep 0.05
		done
		# the fewest of 5 looks: following the host, it opens the files a
		# new process maps (ls, cat...) for a moment; a leak stays
		n=$(for _ in 1 2 3 4 5; do ls /proc/"$CAP_PID"/fd | wc -l; sleep 0.05; done | sort -n | head -1)
		[ -n "$links" ] && [ -n "$progs" ] || { echo "run $i: no links/progs seen" >&2; false; }
		if [ -n "$fds" ] && [ "$n" != "$fds" ]; then
			echo "run $i: $n fds, run 1 had $fds" >&2
			ls -l /proc/"$CAP_PID"/fd >&2
			false
		fi
		fds=$n
		cap_stop
		# the kernel frees released links and programs after an RCU grace
		# period or from a work queue: give it up to 3 s
		for _ in $(seq 1 60); do
			now_links=$(bpftool link list -j | jq -r '.[].id')
			now_progs=$(bpftool prog list -j | jq -r '.[].id')
			left=$(comm -12 <(echo "$links") <(sort <<<"$now_links"))
			left="$left$(comm -12 <(echo "$progs") <(sort <<<"$now_progs"))"
			[ -z "$left" ] && break
			sleep 0.05
		done
		[ -z "$left" ] || { echo "run $i: left behind: $left" >&2; false; }
	done
}

@test "--control: POST /tls changes the filters live (no detach), errors use the seeds' codes" {
	require_root
	port=$(free_port)
	s_server_start "$port"
	sock=$BATS_TEST_TMPDIR/ctl.sock
	cap_start --control "$sock"
	[ -S "$sock" ]
	links_before=$(cat /proc/"$CAP_PID"/fdinfo/* | awk '/^link_id:/{print $2}' | sort | tr '\n' ' ')
	post() { curl -s --unix-socket "$sock" -X POST "http://localhost$1" -d "$2" -w ' %{http_code}'; }

	run post /tls '{"filters":{"target_process":["nosuch"]}}'
	assert_output '{"code":0,"module_type":"tls","msg":"applied: target_process","data":null} 200'
	curl -sk "https://127.0.0.1:$port/hidden" -o /dev/null
	run post /openssl '{"filters":{"target_process":[]},"truncate_size":10}'
	assert_output --partial '"code":0'
	assert_output --partial 'applied: truncate_size, target_process'
	curl -sk "https://127.0.0.1:$port/shown" -o /dev/null

	run post /tls '{"pid":"x"}'
	assert_output --regexp '^\{"code":4,.*pid.* 400$'
	run post /tls '{"pid":-3}'
	assert_output --regexp '^\{"code":5,.* 400$'
	run post /gotls '{}'
	assert_output --regexp '^\{"code":3,.*runs module tls.* 404$'
	run post /nosuch '{}'
	assert_output --regexp '^\{"code":3,.* 404$'
	run curl -s --unix-socket "$sock" http://localhost/tls -w ' %{http_code}'
	assert_output --regexp '^\{"code":1,.* 405$'
	head -c 70000 /dev/zero | tr '\0' ' ' >"$BATS_TEST_TMPDIR/big.json"
	run curl -s --unix-socket "$sock" -X POST http://localhost/tls \
		--data-binary @"$BATS_TEST_TMPDIR/big.json" -w ' %{http_code}'
	assert_output --regexp ' 413$'

	# the same links all along: nothing was detached or re-attached
	links_after=$(cat /proc/"$CAP_PID"/fdinfo/* | awk '/^link_id:/{print $2}' | sort | tr '\n' ' ')
	[ "$links_before" = "$links_after" ]
	cap_stop
	[ ! -e "$sock" ] # removed at exit
	events | jq -r .payload >"$T/payloads"
	run grep -c hidden "$T/payloads"
	assert_output 0
	grep -qx 'GET /shown' "$T/payloads" # cut at 10 bytes by truncate_size
	events | jq -c 'select(.truncated==true)' | grep -q .
	grep -q 'control: config applied; filters: target=nosuch' "$T/cap.err"
	ec-dump --json "$T/out.pb" | jq -r 'select(.run_log) | .run_log' | grep -q 'Z INF control: config applied'
}

@test "--control refuses a socket another live process holds" {
	require_root
	sock=$BATS_TEST_TMPDIR/busy.sock
	cap_start --control="$sock"
	run ec-capture tls --control="$sock"
	assert_failure 1
	assert_output --partial "in use by another process"
	cap_stop
}

@test "the reader of stdout leaving (EPIPE) and SIGTERM both stop it cleanly, exit 0" {
	require_root
	run timeout 20 bash -c 'ec-capture tls --heartbeat 0 2>/dev/null | head -c 10 >/dev/null; echo "rc=${PIPESTATUS[0]}"'
	assert_output rc=0
	cap_start
	kill -TERM "$CAP_PID"
	for i in $(seq 1 100); do kill -0 "$CAP_PID" 2>/dev/null || break; sleep 0.05; done
	wait "$CAP_PID"
	CAP_PID=
	grep -q 'stopped: .* all probes detached' "$T/cap.err"
	ec-dump --json "$T/out.pb" | jq -c 'select(.heartbeat_payload.message=="stopped")' | grep -q .
}

@test "--uid captures one user's processes only" {
	require_root
	command -v setpriv >/dev/null || skip "setpriv not installed"
	port=$(free_port)
	s_server_start "$port"
	cap_start --uid 65534
	curl -sk "https://127.0.0.1:$port/root" -o /dev/null &
	p1=$!
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		curl -sk "https://127.0.0.1:$port/nobody" -o /dev/null &
	p2=$!
	wait "$p1"
	wait "$p2"
	cap_stop
	[ "$(events | jq -r .uid | sort -u)" = 65534 ]
	events | jq -c "select(.pid==$p2 and .direction==\"DIRECTION_WRITE\")" | grep -q 'GET /nobody'
	run grep -c "\"pid\":$p1," <(events)
	assert_output 0
}

@test "not root, or stdout a terminal: refused with the reason" {
	require_root
	command -v setpriv >/dev/null || skip "setpriv not installed"
	# a copy nobody can reach (the tree may sit under a private directory)
	d=$(mktemp -d /tmp/ec-nobody.XXXXXX)
	chmod 755 "$d"
	cp "$EC_BIN/ec-capture" "$d/"
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$d/ec-capture" tls
	rm -rf "$d"
	assert_failure 1
	assert_output --partial "needs root"
	command -v script >/dev/null || skip "script not installed"
	run script -qec "$EC_BIN/ec-capture tls" /dev/null
	assert_failure 2
	assert_output --partial "stdout is a terminal"
}
