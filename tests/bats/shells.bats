#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# ec-capture bash / zsh: interactive shells driven through a pty (needs root).

load helpers

# shell_run SHELL-COMMAND: run an interactive shell on a pty (script), feeding it
# the lines on stdin; bounded in time.
shell_run() {
	timeout 20 script -qc "$1" /dev/null >/dev/null 2>&1
}

@test "bash: the typed line with the shell's pid and uid, return codes" {
	require_root
	mod_start bash
	shell_run "bash --norc --noprofile -i" <<-EOF
		echo \$\$ > $T/shpid
		echo hidden-\$RANDOM
		sh -c 'exit 7'
		# only a comment
		exit
	EOF
	mod_stop
	shpid=$(cat "$T/shpid")
	run events
	assert_success
	line=$(events | jq -c 'select(.payload == "echo hidden-$RANDOM")')
	[ -n "$line" ]
	[ "$(jq -r .pid <<<"$line")" = "$shpid" ]
	[ "$(jq -r .uid <<<"$line")" = 0 ]
	[ "$(jq -r .pname <<<"$line")" = bash ]
	[ "$(jq -r .source <<<"$line")" = SOURCE_BASH ]
	[ "$(jq -r '.retval // 0' <<<"$line")" = 0 ]
	[ "$(events | jq -r 'select(.payload == "sh -c '"'"'exit 7'"'"'") | .retval')" = 7 ]
	[ -n "$(events | jq -r 'select(.payload == "# only a comment") | .note' | grep 'no return code')" ]
	[ -n "$(events | jq -r 'select(.payload == "exit") | .note' | grep 'exited')" ]
	no_links_left readline_return execute_command_enter execute_command_return process_exit
}

@test "bash --errnumber keeps only the commands that returned that code" {
	require_root
	mod_start bash --errnumber 7
	shell_run "bash --norc --noprofile -i" <<-EOF
		echo ok-line
		sh -c 'exit 7'
		false
	EOF
	mod_stop
	run events
	assert_success
	[ "$(events | jq -r .payload)" = "sh -c 'exit 7'" ]
}

# nobody_shell TAG: an interactive bash of user nobody on a pty, in the
# background; it types "echo TAG" once $T/go-TAG exists, then exits. Sets nbpid.
nobody_shell() {
	local tag=$1
	bg_start bash -c '
		for _ in $(seq 1 200); do [ -e "$1" ] && break; sleep 0.05; done
		printf "\necho %s\n" "$2"; sleep 1; echo exit' _ "$T/go-$tag" "$tag" |
		timeout 20 script -qc "setpriv --reuid=65534 --regid=65534 --clear-groups bash --norc --noprofile -i" /dev/null >/dev/null 2>&1 &
	EC_PIDS="${EC_PIDS:-} $!"
	nbpid=
	for _ in $(seq 1 100); do
		nbpid=$(pgrep -u 65534 -x bash -n) && break
		sleep 0.05
	done
	[ -n "$nbpid" ]
}

@test "bash --pid and --uid: other shells are not captured" {
	require_root
	T=$BATS_TEST_TMPDIR
	# the shell waits in a readline entered before the capture: a return probe
	# sees only calls made after it is attached, so the first line typed is empty
	nobody_shell from-nobody
	mod_start bash --pid "$nbpid"
	touch "$T/go-from-nobody"
	shell_run "bash --norc --noprofile -i" <<<"echo from-root"
	for _ in $(seq 1 60); do kill -0 "$nbpid" 2>/dev/null || break; sleep 0.05; done
	mod_stop
	events | jq -r .payload | grep -qx "echo from-nobody"
	! events | jq -r .payload | grep -q "from-root"
	[ "$(events | jq -r .uid | sort -u)" = 65534 ]
	[ "$(events | jq -r .pid | sort -u)" = "$nbpid" ]

	nobody_shell again-nobody
	mod_start bash --uid 65534
	touch "$T/go-again-nobody"
	shell_run "bash --norc --noprofile -i" <<<"echo again-root"
	for _ in $(seq 1 60); do kill -0 "$nbpid" 2>/dev/null || break; sleep 0.05; done
	mod_stop
	events | jq -r .payload | grep -qx "echo again-nobody"
	! events | jq -r .payload | grep -q "again-root"
	[ "$(events | jq -r .uid | sort -u)" = 65534 ]
}

@test "zsh: the typed line with the shell's pid and uid" {
	require_root
	command -v zsh >/dev/null || skip "zsh not installed"
	mod_start zsh
	shell_run "zsh -f -i" <<-EOF
		echo \$\$ > $T/shpid
		echo hidden-\$RANDOM
		sh -c 'exit 7'
		exit
	EOF
	mod_stop
	shpid=$(cat "$T/shpid")
	line=$(events | jq -c 'select(.payload == "echo hidden-$RANDOM")')
	[ -n "$line" ]
	[ "$(jq -r .pid <<<"$line")" = "$shpid" ]
	[ "$(jq -r .uid <<<"$line")" = 0 ]
	[ "$(jq -r .source <<<"$line")" = SOURCE_ZSH ]
	[ "$(jq -r '.retval // 0' <<<"$line")" = 0 ]
	[ "$(events | jq -r 'select(.payload == "sh -c '"'"'exit 7'"'"'") | .retval')" = 7 ]
	[ -n "$(events | jq -r 'select(.payload == "exit") | .note' | grep 'exited')" ]
	no_links_left zleentry_enter zleentry_return process_exit process_exec
}

@test "bash/zsh: a clear error when the binary is missing or is not a shell" {
	require_root
	run ec-capture bash --bash /nonexistent/bash
	assert_failure 1
	assert_output --partial "/nonexistent/bash"
	run ec-capture zsh --zsh /bin/true
	assert_failure 1
	assert_output --partial "no zleentry function in it"
	run ec-capture bash --errnumber x
	assert_failure 2
	assert_output --partial "--errnumber"
	run ec-capture zsh --errnumber 1x
	assert_failure 2
	run ec-capture zsh --bash /bin/bash
	assert_failure 2
}

@test "bash --control: POST /bash changes the filters live, other routes refused" {
	require_root
	T=$BATS_TEST_TMPDIR
	sock=$T/ctl.sock
	mod_start bash --control "$sock"
	for _ in $(seq 1 100); do [ -S "$sock" ] && break; sleep 0.05; done
	post() { curl -s --unix-socket "$sock" -X POST "http://localhost$1" -d "$2" -w ' %{http_code}'; }
	run post /bash '{"pid": 1, "filters": {"target_process": ["bash"]}}'
	assert_output --partial '"code":0'
	assert_output --partial ' 200'
	shell_run "bash --norc --noprofile -i" <<<"echo filtered-out"
	run post /tls '{"pid": 0}'
	assert_output --partial '"code":3'
	assert_output --partial ' 404'
	run post /bash '{"pid": 0, "errno": 0}'
	assert_output --partial '"code":0'
	shell_run "bash --norc --noprofile -i" <<<"echo seen-again"
	mod_stop
	[ ! -e "$sock" ]
	events | jq -r .payload | grep -qx "echo seen-again"
	! events | jq -r .payload | grep -q "filtered-out"
	grep -q "control: config applied; filters: target=bash errnumber=0" "$T/cap.err"
}
