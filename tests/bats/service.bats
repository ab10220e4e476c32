#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# The systemd service (systemd/, docs/INSTALL.md): the installed units pass
# systemd-analyze verify, and their own command lines, joined by FIFOs as the
# socket units join them and run with each unit's capabilities and user,
# carry a live HTTPS request to an eCaptureQ client. PID 1 here is not
# systemd, so the stages are started as the units describe them. Root, and
# under /work/notes/capture.lock: the capture stage attaches probes.

load helpers

setup_file() {
	ROOT=$BATS_FILE_TMPDIR/root
	make -s -C "$EC_ROOT" install DESTDIR="$ROOT" PREFIX=/usr >"$BATS_FILE_TMPDIR/make.out" 2>&1
	UNITS=$ROOT/usr/lib/systemd/system
	export ROOT UNITS
}

teardown() {
	bg_stop_all
	exec 8>&- 9>&-
}

@test "service: systemd-analyze verify passes on the installed units, man pages included" {
	[ -f "$UNITS/ec.target" ] || { cat "$BATS_FILE_TMPDIR/make.out"; false; }
	local d=$BATS_TEST_TMPDIR/units u
	mkdir "$d"
	# ExecStart= must name an executable: the staged one
	for u in "$UNITS"/*; do
		sed "s|/usr/bin/|$ROOT/usr/bin/|g" "$u" >"$d/${u##*/}"
	done
	run env MANPATH="$ROOT/usr/share/man" systemd-analyze verify "$d"/*
	assert_success
	assert_output ""
	# the set: three stages, two FIFOs, one target
	run ls "$UNITS"
	assert_output "$(printf '%s\n' ec-capture.service ec-parse.service ec-parsed.socket \
		ec-records.socket ec-serve.service ec.target)"
	# a mistake is caught: a unit naming a missing binary fails
	sed -i "s|^ExecStart=$ROOT/usr/bin/ec-parse|ExecStart=/nonexistent/ec-parse|" "$d/ec-parse.service"
	run env MANPATH="$ROOT/usr/share/man" systemd-analyze verify "$d/ec-parse.service"
	assert_failure
	assert_output --partial "/nonexistent/ec-parse"
}

# unit_cmd UNIT: the unit's ExecStart= as systemd runs it, one word a line:
# its Environment= defaults, then $T/default as EnvironmentFile=, $VAR split
# into words; %d (the credentials) is $T/cred, /run/ec is $T/run and the
# binaries the staged ones.
unit_cmd() {
	local u=$UNITS/$1 line
	(
		while IFS= read -r line; do
			eval "export ${line#Environment=}"
		done < <(grep '^Environment=' "$u")
		set -a
		. "$T/default"
		set +a
		line=$(sed -n 's/^ExecStart=//p' "$u")
		line=${line//%d/$T/cred}
		line=${line//\/run\/ec\//$T/run/}
		line=${line//\/usr\/bin\//$ROOT/usr/bin/}
		eval "printf '%s\n' $line"
	)
}

# unit_caps UNIT: its CapabilityBoundingSet= as setpriv's --bounding-set
unit_caps() {
	local c out=-all
	for c in $(sed -n 's/^CapabilityBoundingSet=//p' "$UNITS/$1"); do
		c=${c#CAP_}
		out="$out,+${c,,}"
	done
	echo "$out"
}

@test "service: the units' command lines, wired and confined as the units say, serve a live HTTPS request; ec-ctl retargets through them" {
	require_root
	T=$BATS_TEST_TMPDIR
	make_cert "$BATS_FILE_TMPDIR"
	local port
	port=$(free_port)
	s_server_start "$port"
	WS=$(free_port)
	API=$(free_port)
	while [ "$API" = "$WS" ]; do API=$(free_port); done
	# the documented way to change the module, its filters and the ports
	cat >"$T/default" <<-EOF
		EC_MODULE=tls
		EC_CAPTURE_OPTS="--target-process curl"
		EC_SERVE_OPTS="--ws 127.0.0.1:$WS --listen 127.0.0.1:$API"
	EOF
	mkdir -m 700 "$T/cred" "$T/run"
	(umask 077 && head -c 24 /dev/urandom | base64 >"$T/cred/token")
	# the FIFOs, held open as systemd holds them (ListenFIFO=)
	mkfifo -m 600 "$T/run/records" "$T/run/parsed"
	exec 8<>"$T/run/records" 9<>"$T/run/parsed"
	local cap parse serve
	mapfile -t cap < <(unit_cmd ec-capture.service)
	mapfile -t parse < <(unit_cmd ec-parse.service)
	mapfile -t serve < <(unit_cmd ec-serve.service)
	[ "${cap[*]}" = "$ROOT/usr/bin/ec-capture tls --control $T/run/capture.sock --target-process curl" ]
	[ "${parse[*]}" = "$ROOT/usr/bin/ec-parse" ]
	[ "${serve[*]}" = "$ROOT/usr/bin/ec-serve --token-file $T/cred/token --capture-control $T/run/capture.sock --ws 127.0.0.1:$WS --listen 127.0.0.1:$API" ]
	# no capability ec-capture.service lacks, none at all for the others;
	# ec-parse as an unprivileged user (DynamicUser=)
	cap_bg capturing "$T/run/records" setpriv --no-new-privs \
		--bounding-set="$(unit_caps ec-capture.service)" "${cap[@]}"
	[ "$(unit_caps ec-parse.service)" = -all ] && [ "$(unit_caps ec-serve.service)" = -all ]
	# (started here, not by bg_start: a background job's stdin would be /dev/null)
	setpriv --no-new-privs --bounding-set=-all --reuid=65534 --regid=65534 --clear-groups \
		"${parse[@]}" <"$T/run/records" >"$T/run/parsed" 2>"$T/parse.err" &
	EC_PIDS="$EC_PIDS $!"
	setpriv --no-new-privs --bounding-set=-all "${serve[@]}" <"$T/run/parsed" >/dev/null \
		2>"$T/serve.err" &
	EC_PIDS="$EC_PIDS $!"
	wait_port "$WS" || { cat "$T/serve.err" "$T/parse.err"; false; }
	wait_port "$API"
	# the token is required, from the credential file
	run curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$API/status"
	assert_output 401
	client_bg one --token "$(cat "$T/cred/token")" --events 1 --timeout 20 --events-out "$T/ev.jsonl"
	wait_clients 1 -H "Authorization: Bearer $(cat "$T/cred/token")"
	curl -sk "https://127.0.0.1:$port/svc-one" -o /dev/null
	wait "$PID_one"
	run jq -r '"\(.pname) \(.type)"' "$T/ev.jsonl"
	assert_output "curl 1"
	grep -q 'GET /svc-one' "$T/ev.jsonl"
	# retarget live through the served API and the capture's control socket
	run ec-ctl tls --target-process wget --server "http://127.0.0.1:$API" --token-file "$T/cred/token"
	assert_success
	client_bg two --token "$(cat "$T/cred/token")" --events 1 --timeout 3 --events-out "$T/ev2.jsonl"
	wait_clients 1 -H "Authorization: Bearer $(cat "$T/cred/token")"
	curl -sk "https://127.0.0.1:$port/svc-two" -o /dev/null
	local rc=0
	wait "$PID_two" || rc=$?
	[ "$rc" = 3 ] # no event in 3 s: curl is no longer a target
	[ ! -s "$T/ev2.jsonl" ]
	cap_stop
	grep -q 'all probes detached' "$T/cap.err"
	no_links_left ssl_write_enter ssl_read_enter ec_sys_enter ec_sock_state
	[ ! -s "$T/parse.err" ] || { cat "$T/parse.err"; false; }
}

@test "service: booted under systemd (nspawn), the units serve a captured request with a token, restart together and stop clean" {
	require_root
	local r=$BATS_TEST_TMPDIR/rootfs res=$BATS_TEST_TMPDIR/results
	"$EC_ROOT/tests/rootfs.sh" "$r"
	# the tools, pages and units as the package puts them
	make -s -C "$EC_ROOT" install DESTDIR="$r" PREFIX=/usr UNITDIR=/lib/systemd/system >/dev/null
	install -m 755 "$EC_ROOT/tests/service-boot.sh" "$r/usr/local/sbin/ec-boot-test"
	printf '[Unit]\nAfter=multi-user.target\n[Service]\nType=oneshot\nExecStart=/usr/local/sbin/ec-boot-test\n' \
		>"$r/etc/systemd/system/ec-boot-test.service"
	ln -s /etc/systemd/system/ec-boot-test.service "$r/etc/systemd/system/multi-user.target.wants/"
	mkdir "$res"
	# no host systemd here: no scope, no registration; BPF allowed in
	run timeout -k 10 180 systemd-nspawn -q -D "$r" --boot --register=no --keep-unit \
		--capability=all --system-call-filter='bpf perf_event_open' --private-network \
		--bind="$res:/results"
	[ -f "$res/done" ] || { echo "$output" | tail -30; cat "$res/log.txt"; false; }
	cat "$res/journal.txt" "$res"/*.txt
	# all five units up
	[ "$(cat "$res/active1.txt")" = "$(printf 'active\n%.0s' 1 2 3 4 5)" ]
	# curl's request and response went capture -> parse -> serve
	[ "$(jq .events "$res/api1.json")" -ge 2 ]
	[ "$(jq .bad_records "$res/api1.json")" = 0 ]
	[ "$(cat "$res/noauth.txt")" = 401 ]
	# ec-parse a throw-away user; no capability but ec-capture's list
	grep -qx 'User=ec-parse' "$res/user.txt"
	run cat "$res/caps.txt"
	# (a DynamicUser= uid, 61184-65519; no name without libnss-systemd)
	assert_line --regexp '^ec-parse (6118[4-9]|611[9][0-9]|61[2-9][0-9]{2}|6[2-4][0-9]{3}|65[0-4][0-9]{2}|655[01][0-9]) 0000000000000000$'
	assert_line --regexp '^ec-serve root 0000000000000000$'
	assert_line 'ec-capture root 000000c0002810c4'
	# ec-parse killed: restarted once, the others with it, and a new request served
	run cat "$res/restart.txt"
	assert_output "$(printf 'NRestarts=0\nActiveState=active\n\nNRestarts=1\nActiveState=active\n\nNRestarts=0\nActiveState=active')"
	[ "$(jq .events "$res/api2.json")" -ge 2 ]
	[ "$(jq .bad_records "$res/api2.json")" = 0 ]
	# stopped: every unit, the FIFOs gone, the probes detached both times
	[ "$(cat "$res/active3.txt")" = "$(printf 'inactive\n%.0s' 1 2 3 4 5)" ]
	[ ! -s "$res/run.txt" ] || grep -q 'No such file' "$res/run.txt"
	[ "$(grep -c 'all probes detached' "$res/journal.txt")" = 2 ]
	# nothing went to the journal as a warning of the confinement
	run grep -iE 'errno|denied|not permitted|bad system call' "$res/journal.txt"
	assert_failure
	no_links_left ssl_write_enter ssl_read_enter ec_sys_enter ec_sock_state
}
