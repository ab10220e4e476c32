#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Docs are code: every command line in README.md and docs/*.md that starts
# with an ec- tool (after an optional "sudo" or "$ ") is run here, as
# written: the lines of fenced code blocks and of indented (4 spaces) ones;
# a line ending in "|" or "\" goes on in the next one.
#
#   docs-examples.sh list          FILE:LINE <TAB> run|check <TAB> command
#   docs-examples.sh run WORKDIR   run each (root, inside `unshare -n -m`:
#                                  a private loopback and /run), one
#                                  "ok"/"FAIL" line each; exit 1 if any failed
#
# Each ec- tool runs through a shim that records its exit status. A command
# that keeps running (a capture, a server) runs until it is ready, then gets
# SIGTERM. An example passes when every ec- stage ran and exited 0. One the
# doc marks "(options checked, not run: REASON)" cannot run here (a GUI, a
# remote host); it runs all the same and passes unless a stage exits 2 (a
# usage error). The fixtures: day.pb and capture.pb are a real capture
# (tests/fixtures/parse-h1.pb), ./server a Go HTTPS program; ec-ctl talks to
# an ec-serve relaying to tests/py/fake_control.py on /run/ec/capture.sock;
# --proxy http://127.0.0.1:8080 is mitmdump, in front of an HTTPS origin
# (tests/py/live_origin.py) on the port day.pb was captured from; ec-nats
# talks to a nats-server on 127.0.0.1:4222 that holds day.pb from host web1.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MARK='(options checked, not run:'
BIN=${EC_BIN:-$ROOT/bin}
PY=/usr/bin/python3

list() {
	local f
	# EC_DOCS: other files to read (the harness's own test)
	for f in ${EC_DOCS:-"$ROOT/README.md" "$ROOT"/docs/*.md}; do
		awk -v F="${f#"$ROOT"/}" -v MARK="$MARK" '
		function out(s) {
			printf "%s:%d\t%s\t%s\n", F, start, index(s, MARK) ? "check" : "run", s
		}
		/^```/ { fence = !fence; next }
		{
			if (pending != "") {
				s = $0
				sub(/^[ \t]+/, "", s)
				pending = pending " " s
				if (pending ~ /\\[ \t]*$/) { sub(/\\[ \t]*$/, "", pending); next }
				if (pending ~ /\|[ \t]*$/) next
				out(pending)
				pending = ""
				next
			}
			# a command starts a fenced line, or a line of an indented block
			if (fence) {
				s = $0
			} else if ($0 ~ /^    [^ ]/) {
				s = substr($0, 5)
			} else {
				next
			}
			sub(/^\$ /, "", s)
			if (s !~ /^(sudo +)?ec-[a-z]+( |$)/) next
			start = NR
			if (s ~ /\\[ \t]*$/) { sub(/\\[ \t]*$/, "", s); pending = s; next }
			if (s ~ /\|[ \t]*$/) { pending = s; next }
			out(s)
		}' "$f"
	done
}

# ---- running ----

make_shims() {
	mkdir -p "$W/shims"
	local t
	for t in "$BIN"/ec-*; do
		cat >"$W/shims/${t##*/}" <<EOF
#!/bin/bash
# docs test shim: run the real tool, record its pid and exit status
"$t" "\$@" <&0 &
pid=\$!
echo "\$pid ${t##*/}" >>"$W/pids"
wait \$pid
rc=\$?
echo "${t##*/} \$rc" >>"$W/ran"
exit \$rc
EOF
		chmod +x "$W/shims/${t##*/}"
	done
	# we are root already; sudo's secure_path would skip the shims
	printf '#!/bin/sh\nexec "$@"\n' >"$W/shims/sudo"
	chmod +x "$W/shims/sudo"
}

fixtures() {
	rm -rf "$W/cwd"
	mkdir -p "$W/cwd"
	cp "$ROOT/tests/fixtures/parse-h1.pb" "$W/cwd/day.pb"
	cp "$ROOT/tests/fixtures/parse-h1.pb" "$W/cwd/capture.pb"
	[ -x "$W/server" ] && cp "$W/server" "$W/cwd/server"
	return 0
}

wait_port() {
	local i
	for i in $(seq 1 200); do
		ss -Htln "sport = :$1" | grep -q . && return 0
		sleep 0.05
	done
	return 1
}

SVC=
start_services() {
	local cmd=$1 i
	if [[ $cmd == *ec-ctl* && $cmd != *ec-serve* ]]; then
		mkdir -p /run/ec
		$PY "$ROOT/tests/py/fake_control.py" /run/ec/capture.sock --log "$W/ctl.log" &
		SVC="$SVC $!"
		rm -f "$W/serve.in"
		mkfifo "$W/serve.in"
		"$BIN/ec-serve" --capture-control /run/ec/capture.sock <"$W/serve.in" \
			>/dev/null 2>"$W/serve.err" &
		SVC="$SVC $!"
		exec 9>"$W/serve.in"
		wait_port 28256 || echo "docs: the helper ec-serve did not start" >&2
		for i in $(seq 1 200); do
			[ -S /run/ec/capture.sock ] && break
			sleep 0.05
		done
	fi
	if [[ $cmd == *ec-nats* ]]; then
		# a JetStream server on the default port, holding what host web1
		# published: day.pb
		rm -rf "$W/nats"
		nats-server -a 127.0.0.1 -p 4222 -js -sd "$W/nats" >"$W/nats.log" 2>&1 &
		SVC="$SVC $!"
		wait_port 4222 || echo "docs: nats-server did not start" >&2
		for i in $(seq 1 50); do
			"$BIN/ec-nats" pub --create --host web1 <"$ROOT/tests/fixtures/parse-h1.pb" \
				2>/dev/null && break
			sleep 0.1
		done
	fi
	if [[ $cmd == *"--proxy http://127.0.0.1:8080"* ]]; then
		# an origin on the port day.pb was captured from, behind mitmdump
		$PY "$ROOT/tests/py/live_origin.py" "$ORIGIN_PORT" "$W/cert.pem" "$W/key.pem" \
			"$W/release" &
		SVC="$SVC $!"
		mitmdump --listen-host 127.0.0.1 -p 8080 -q --set confdir="$W/mitm" \
			--set ssl_insecure=true >"$W/mitm.log" 2>&1 &
		SVC="$SVC $!"
		wait_port "$ORIGIN_PORT" || echo "docs: the origin did not start" >&2
		wait_port 8080 || echo "docs: mitmdump did not start" >&2
	fi
}

stop_services() {
	exec 9>&- 2>/dev/null
	local p
	for p in $SVC; do kill -TERM "$p" 2>/dev/null; done
	for p in $SVC; do wait "$p" 2>/dev/null; done
	SVC=
	rm -f /run/ec/capture.sock
}

# The tools the shims started that still run, long-running ones first.
alive() {
	local pid name
	while read -r pid name; do
		kill -0 "$pid" 2>/dev/null && echo "$pid $name"
	done <"$W/pids" | sort -k2,2 -s | awk '{ print ($2 == "ec-capture" ? 0 : $2 == "ec-serve" ? 1 : 2), $1 }' |
		sort -n | cut -d' ' -f2
}

# Run one example; prints "ok WHERE" or "FAIL WHERE: why".
run_one() {
	local where=$1 mode=$2 cmd=$3 i pid p why=
	fixtures
	: >"$W/ran"
	: >"$W/pids"
	start_services "$cmd"
	(cd "$W/cwd" && exec setsid bash -c "$cmd") </dev/null >"$W/out" 2>"$W/err" &
	pid=$!
	# a capture runs until its probes are attached, a server a moment
	if [[ $cmd == *ec-capture* ]]; then
		for i in $(seq 1 600); do
			grep -Eq 'capturing|hooked' "$W/err" && break
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
		done
		sleep 1
	elif [[ $cmd == *ec-serve* ]]; then
		sleep 1
	fi
	# the rest ends by itself (30 s at most); what still runs gets SIGTERM
	for i in $(seq 1 300); do
		kill -0 "$pid" 2>/dev/null || break
		[ -n "$(alive)" ] && [[ $cmd == *ec-capture* || $cmd == *ec-serve* ]] && break
		sleep 0.1
	done
	for i in $(seq 1 150); do
		kill -0 "$pid" 2>/dev/null || break
		for p in $(alive); do
			kill -TERM "$p" 2>/dev/null
			break # the next one after this one ended (a capture before its readers)
		done
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL -- "-$pid" 2>/dev/null
		why="did not end after SIGTERM"
	fi
	wait "$pid" 2>/dev/null
	stop_services
	local want got bad
	want=$(grep -oE '(^|[|;&][[:space:]]*|sudo[[:space:]]+)ec-[a-z]+' <<<"$cmd" | wc -l)
	got=$(wc -l <"$W/ran")
	if [ -z "$why" ] && [ "$got" -lt "$want" ]; then
		why="$got of $want ec- stages ran"
	fi
	bad=$(awk '$2 == 2 { print $1 }' "$W/ran" | head -1)
	if [ -z "$why" ] && [ -n "$bad" ]; then
		why="$bad: usage error (exit 2)"
	fi
	if [ -z "$why" ] && [ "$mode" = run ]; then
		bad=$(awk '$2 != 0 { print $1 " exited " $2 }' "$W/ran" | head -1)
		[ -n "$bad" ] && why=$bad
	fi
	if [ -n "$why" ]; then
		echo "FAIL $where: $why: $cmd"
		sed 's/^/    stderr: /' "$W/err" | tail -5
		return 1
	fi
	echo "ok $where ($mode): $cmd"
}

run_all() {
	W=$1
	mkdir -p "$W"
	ip link set lo up || return 1
	mount -t tmpfs tmpfs /run || return 1
	make_shims
	export PATH="$W/shims:$PATH"
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
		-keyout "$W/key.pem" -out "$W/cert.pem" 2>/dev/null
	ORIGIN_PORT=$("$BIN/ec-dump" --json "$ROOT/tests/fixtures/parse-h1.pb" |
		jq -r 'select(.event_payload) | .event_payload.dst_port' | head -1)
	if command -v go >/dev/null; then
		GOCACHE=$W/gocache GOPATH=$W/gopath GO111MODULE=off GOFLAGS= GOTOOLCHAIN=local \
			go build -o "$W/server" "$ROOT/tests/go/gotls-peer.go" ||
			echo "docs: cannot build ./server for the gotls example" >&2
	fi
	local n=0 failed=0 where mode cmd
	while IFS=$'\t' read -r where mode cmd; do
		n=$((n + 1))
		run_one "$where" "$mode" "$cmd" || failed=$((failed + 1))
	done < <(list)
	echo "docs: $n examples, $failed failed"
	[ "$failed" = 0 ]
}

case ${1:-} in
list) list ;;
run) run_all "$2" ;;
*)
	echo "usage: $0 list | run WORKDIR" >&2
	exit 2
	;;
esac
