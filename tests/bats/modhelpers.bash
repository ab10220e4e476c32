# Helpers for the ec-capture module tests (shells.bats, sql.bats, tlslibs.bats).
load helpers

teardown() {
	[ -n "${CAP_PID:-}" ] && kill -INT "$CAP_PID" 2>/dev/null || true
	bg_stop_all
}

# mod_start MODULE [options]: start ec-capture, output in $T/out.pb, log in
# $T/cap.err; return once the probes are attached.
mod_start() {
	T=$BATS_TEST_TMPDIR
	ec-capture "$@" >"$T/out.pb" 2>"$T/cap.err" &
	CAP_PID=$!
	EC_PIDS="${EC_PIDS:-} $CAP_PID"
	local i # up to 20 s: loading BPF is slow on a busy machine
	for i in $(seq 1 400); do
		grep -q 'hooked' "$T/cap.err" 2>/dev/null && return 0
		kill -0 "$CAP_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$T/cap.err" >&2
	return 1
}

# SIGINT the capture, wait (bounded) for it, fail unless it exited 0 and
# none of its programs is still attached.
mod_stop() {
	sleep 0.2 # let the last events reach the ring
	kill -INT "$CAP_PID"
	local i
	for i in $(seq 1 100); do kill -0 "$CAP_PID" 2>/dev/null || break; sleep 0.05; done
	wait "$CAP_PID"
	local rc=$?
	CAP_PID=
	[ "$rc" = 0 ] || { cat "$T/cap.err" >&2; return 1; }
	grep -q 'all probes detached' "$T/cap.err"
}

# Events of the capture as compact JSON lines.
events() {
	ec-dump --json "$T/out.pb" | jq -c 'select(.event_payload) | .event_payload'
}

# None of our BPF programs (named in $@) is still loaded: a link left
# attached would hold its program.
no_links_left() {
	local p
	for p in "$@"; do
		if bpftool prog list 2>/dev/null | grep -q "name ${p:0:15} "; then
			echo "program $p still loaded (a link left attached?)" >&2
			return 1
		fi
	done
}
