#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# ec-capture tls with no --libssl and no --pid follows the host: every libssl
# any process maps (a copy in another directory, one in a container's root),
# processes and libraries that come later, and each record says where it
# came from (lib, cgroup, container, in-container pid). Needs root.

load helpers

GOSRC=$BATS_TEST_DIRNAME/../go/gotls-peer.go

setup_file() {
	make_cert "$BATS_FILE_TMPDIR"
	B=$BATS_FILE_TMPDIR
	GOCACHE=$B/gocache GOPATH=$B/gopath GO111MODULE=off GOFLAGS= GOTOOLCHAIN=local \
		go build -o "$B/gopeer" "$GOSRC"
	SYS_SSL=$(ldconfig -p | awk '/libssl.so.3 .*x86-64/ {print $NF; exit}')
	export SYS_SSL
}

setup() {
	T=$BATS_TEST_TMPDIR
}

teardown() {
	bg_stop_all
	[ -z "${CG:-}" ] || rmdir "$CG" 2>/dev/null || true
	[ -z "${CG_PARENT:-}" ] || rmdir "$CG_PARENT" 2>/dev/null || true
}

# has JQ-FILTER: some data event passes the filter
has() {
	data_events | jq -c "select($1)" | grep -q .
}

# A copy of the system's libssl (another inode) in DIR.
ssl_copy() {
	mkdir -p "$1"
	cp "$SYS_SSL" "$1/"
}

# The records of the capture that carry payload, as compact JSON lines.
data_events() {
	events | jq -c 'select(.payload != null and .payload != "")'
}

# A TLS client in Python that imports ssl (dlopen of libssl) DELAY s after
# it started, and connects 0.1 s later: GET PATH on 127.0.0.1:PORT.
py_get() {
	local port=$1 path=$2 delay=$3
	$PY -c "
import socket, time
time.sleep($delay)
import ssl
time.sleep(0.1)
c = ssl.create_default_context(); c.check_hostname = False; c.verify_mode = ssl.CERT_NONE
s = c.wrap_socket(socket.create_connection(('127.0.0.1', $port)))
s.sendall(b'GET $path HTTP/1.0\r\nHost: x\r\n\r\n')
while s.recv(65536): pass
"
}

@test "no option: the system libssl and a copy another process maps, both captured, each record naming its file" {
	require_root
	port=$(free_port)
	s_server_start "$port"
	ssl_copy "$T/copy"
	# a process that maps the copy before the capture starts: found by the scan
	bg_start env LD_LIBRARY_PATH="$T/copy" $PY -c 'import ssl, time; time.sleep(60)'
	for _ in $(seq 1 100); do grep -q "$T/copy/libssl" /proc/"$(cat "$T/last.pid")"/maps 2>/dev/null && break; sleep 0.05; done
	cap_start --control "$T/ctl.sock"
	grep -Eq "hooked .* in $T/copy/libssl.so.3 .*slot [1-9]" "$T/cap.err"
	grep -Eq "hooked _dl_debug_state in /.*ld-linux-x86-64.so.2" "$T/cap.err"
	grep -Eq 'following the host \(openssl\): [0-9]+ processes scanned in [0-9.]+ ms' "$T/cap.err"
	curl -sk "https://127.0.0.1:$port/system" -o /dev/null
	LD_LIBRARY_PATH="$T/copy" curl -sk "https://127.0.0.1:$port/copy" -o /dev/null
	run ec-ctl status --control "$T/ctl.sock"
	assert_success
	[ "$(jq -r .following_host <<<"$output")" = true ]
	jq -e --arg p "$T/copy/libssl.so.3" '.files[] | select(.path == $p and .slot > 0 and .implementation == "openssl")' <<<"$output"
	jq -e '.files[] | select(.implementation == "ld.so")' <<<"$output"
	jq -e --arg p "$SYS_SSL" '.files[] | select(.path == $p and .slot == 0)' <<<"$output"
	cap_stop
	sys=$(data_events | jq -c 'select(.payload | startswith("GET /system "))')
	copy=$(data_events | jq -c 'select(.payload | startswith("GET /copy "))')
	[ -n "$sys" ] && [ -n "$copy" ]
	[ "$(jq -r .lib <<<"$sys")" = "$SYS_SSL" ]
	[ "$(jq -r .lib <<<"$copy")" = "$T/copy/libssl.so.3" ]
	[ "$(jq -r .pname <<<"$copy")" = curl ]
	# both connections' keys are in the key log
	[ "$(ec-dump --json "$T/out.pb" | jq -r 'select(.record_kind == "RECORD_KIND_KEYLOG") | .run_log' | grep -c '^CLIENT_RANDOM \|^CLIENT_TRAFFIC_SECRET_0 ')" -ge 2 ]
	grep -q 'all probes detached' "$T/cap.err"
}

@test "processes started after the capture: a copied libssl loaded by dlopen 0.1 s before its first request, and a curl" {
	require_root
	port=$(free_port)
	s_server_start "$port"
	ssl_copy "$T/late"
	cap_start
	# python maps libssl when it imports ssl (a dlopen), then connects
	LD_LIBRARY_PATH="$T/late" py_get "$port" /dlopened 0.2
	curl -sk "https://127.0.0.1:$port/late-curl" -o /dev/null
	cap_stop
	grep -Eq "$T/late/libssl.so.3 \(openssl, slot [0-9]+\) hooked [0-9.]+ ms after pid [0-9]+ loaded it" "$T/cap.err"
	req=$(data_events | jq -c 'select(.payload | startswith("GET /dlopened "))')
	[ -n "$req" ]
	[ "$(jq -r .lib <<<"$req")" = "$T/late/libssl.so.3" ]
	has '(.payload | startswith("GET /late-curl ")) and .pname == "curl"'
	# and the response to the first request
	conn=$(jq -r .conn_id <<<"$req")
	has ".conn_id == $conn and .direction == \"DIRECTION_READ\""
}

# The cgroup2 mount (/sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid host).
cg2() {
	findmnt -n -t cgroup2 -o TARGET | head -1
}

@test "a container (an older Debian's own libssl, its own pid namespace and cgroup) captured with no option, and selected by --container and --cgroup" {
	require_root
	command -v mmdebstrap >/dev/null || skip "mmdebstrap not installed"
	root=$BATS_FILE_TMPDIR/container
	# an older Debian (OpenSSL 1.1.1, another build than the host's); this
	# machine's release if the registry no longer serves it
	. /etc/os-release
	[ -d "$root/usr" ] || sh "$EC_ROOT/tests/rootfs.sh" "$root" bullseye curl,openssl,ca-certificates ||
		{ rm -rf "$root"; sh "$EC_ROOT/tests/rootfs.sh" "$root" "$VERSION_CODENAME" curl,openssl,ca-certificates; }
	lib=$(ls "$root"/usr/lib/x86_64-linux-gnu/libssl.so.* | head -1)
	[ -f "$lib" ]
	port=$(free_port)
	# a server that handshakes 0.15 s after it accepts: the container's curl
	# writes its request that long after its exec mapped the new libssl
	bg_start $PY "$EC_ROOT/tests/py/slow_tls_server.py" "$port" "$BATS_FILE_TMPDIR/cert.pem" "$BATS_FILE_TMPDIR/key.pem" 0.15
	wait_port "$port"
	name=ectest$$
	CG=$(cg2)/machine.slice/machine-$name.scope
	[ -d "$(cg2)/machine.slice" ] || CG_PARENT=$(cg2)/machine.slice # ours to remove
	mkdir -p "$CG"
	# run PATH in the container: its cgroup, pid and mount namespaces, chroot
	incontainer() {
		sh -c "echo \$\$ > '$CG/cgroup.procs' && exec unshare --pid --mount --fork --mount-proc chroot '$root' curl -sk https://127.0.0.1:$port/$1 -o /dev/null"
	}
	cap_start
	incontainer in-container
	curl -sk "https://127.0.0.1:$port/on-host" -o /dev/null
	cap_stop
	grep -Eq "hooked .* in $lib \(OpenSSL [0-9]" "$T/cap.err"
	req=$(data_events | jq -c 'select(.pname == "curl" and (.payload | startswith("GET /in-container ")))')
	[ -n "$req" ] || { cat "$T/cap.err" >&2; false; }
	[ "$(jq -r .container_id <<<"$req")" = "$name" ] || { echo "$req" >&2; false; }
	[ "$(jq -r .cgroup <<<"$req")" = "/machine.slice/machine-$name.scope" ]
	[ "$(jq -r .cgroup_id <<<"$req")" = "$(stat -c %i "$CG")" ]
	# the in-container pid: curl is the first child of unshare's init there
	nspid=$(jq -r .ns_pid <<<"$req")
	[ "$nspid" -ge 1 ] && [ "$nspid" -lt 10 ] && [ "$nspid" != "$(jq -r .pid <<<"$req")" ]
	[ "$(jq -r .lib <<<"$req")" = "$lib" ]
	host=$(data_events | jq -c 'select(.pname == "curl" and (.payload | startswith("GET /on-host ")))')
	[ "$(jq -r '.container_id // ""' <<<"$host")" = "" ]
	ec-dump "$T/out.pb" | grep -q "container=$name"
	# the container's TLS keys (its build's offsets found by calibration)
	ec-dump --json "$T/out.pb" | jq -r 'select(.record_kind == "RECORD_KIND_KEYLOG") | .run_log' | grep -q .

	for filter in "--container ${name:0:5}" "--cgroup /machine.slice/machine-$name.scope"; do
		rm -f "$T/out.pb"
		# shellcheck disable=SC2086 # two words: the option and its value
		cap_start $filter
		f=${filter#--}
		grep -q "filters: ${f/ /=}\$" "$T/cap.err"
		incontainer filtered
		curl -sk "https://127.0.0.1:$port/not-selected" -o /dev/null
		cap_stop
		has '.payload | startswith("GET /filtered ")'
		run bash -c "ec-dump --json '$T/out.pb' | jq -c 'select(.event_payload.payload // \"\" | startswith(\"GET /not-selected \"))'"
		[ -z "$output" ]
	done
	# set live, over the control socket: no detach, the next curls are filtered
	rm -f "$T/out.pb"
	cap_start --control "$T/ctl.sock"
	run ec-ctl tls --control "$T/ctl.sock" --cgroup /no/such/cgroup
	assert_failure 1
	assert_output --partial "filters.cgroup[0]: /no/such/cgroup: no such cgroup"
	run ec-ctl tls --control "$T/ctl.sock" --container "${name:0:6}"
	assert_success
	incontainer live
	curl -sk "https://127.0.0.1:$port/live-host" -o /dev/null
	cap_stop
	grep -q "control: config applied; filters: container=${name:0:6}\$" "$T/cap.err"
	has '.payload | startswith("GET /live ")'
	run has '.payload | startswith("GET /live-host ")'
	assert_failure

	rm -f "$T/out.pb"
	cap_start --container nosuchcontainer
	incontainer none
	cap_stop
	[ -z "$(data_events)" ]
}

@test "ec-capture auto: a Go client, a curl and a Python client started after it, each with its implementation and file; ec-ctl status lists them" {
	require_root
	port=$(free_port)
	# the handshake 0.15 s after connect: a program nobody ran before is
	# hooked while it waits (the log says how long it took)
	bg_start $PY "$EC_ROOT/tests/py/slow_tls_server.py" "$port" "$BATS_FILE_TMPDIR/cert.pem" "$BATS_FILE_TMPDIR/key.pem" 0.15
	wait_port "$port"
	cp "$BATS_FILE_TMPDIR/gopeer" "$T/gopeer"
	cap_start_mod() { cap_bg capturing "$T/out.pb" ec-capture auto --control "$T/ctl.sock" "$@"; }
	cap_start_mod
	grep -Eq 'following the host \(openssl, gotls, gnutls, nss\)' "$T/cap.err"
	"$T/gopeer" client "https://127.0.0.1:$port" 1 >"$T/go.out"
	curl -sk "https://127.0.0.1:$port/curl" -o /dev/null
	LD_LIBRARY_PATH= py_get "$port" /python 0
	run ec-ctl status --control "$T/ctl.sock"
	assert_success
	jq -e --arg p "$T/gopeer" '.files[] | select(.path == $p and .implementation == "gotls")' <<<"$output"
	# the same through ec-serve's relay
	serve_start --capture-control "$T/ctl.sock"
	run ec-ctl status --capture --server "http://127.0.0.1:$API"
	assert_success
	jq -e --arg p "$T/gopeer" '.module == "auto" and any(.files[]; .path == $p)' <<<"$output"
	exec 7>&-
	cap_stop
	grep -Eq "$T/gopeer \(gotls, slot [0-9]+\) hooked [0-9.]+ ms after pid [0-9]+ loaded it" "$T/cap.err"
	has "(.payload | startswith(\"GET /req0 \")) and .pname == \"gopeer\" and .source == \"SOURCE_GOTLS\" and .lib == \"$T/gopeer\""
	has "(.payload | startswith(\"HTTP/1.0 200 OK\")) and .pname == \"gopeer\" and .direction == \"DIRECTION_READ\""
	has "(.payload | startswith(\"GET /curl \")) and .pname == \"curl\" and .source == \"SOURCE_OPENSSL\""
	has "(.payload | startswith(\"GET /python \")) and .pname == \"python3\" and .source == \"SOURCE_OPENSSL\""
	# Go's own key log lines (writeKeyLog) are in the stream
	ec-dump --json "$T/out.pb" | jq -r 'select(.record_kind == "RECORD_KIND_KEYLOG") | .run_log' | grep -q '^CLIENT_TRAFFIC_SECRET_0 '
}

@test "filters and bounds: a bad --cgroup exits 2; --max-files says when it is reached" {
	require_root
	run ec-capture tls --cgroup /no/such/cgroup
	assert_failure 2
	assert_output --partial "--cgroup /no/such/cgroup: no such cgroup"
	run ec-capture tls --cgroup ../x
	assert_failure 2
	run ec-capture tls --max-files 0
	assert_failure 2
	ssl_copy "$T/one"
	bg_start env LD_LIBRARY_PATH="$T/one" $PY -c 'import ssl, time; time.sleep(60)'
	for _ in $(seq 1 100); do grep -q "$T/one/libssl" /proc/"$(cat "$T/last.pid")"/maps 2>/dev/null && break; sleep 0.05; done
	cap_start --max-files 1
	cap_stop
	grep -q "$T/one/libssl.so.3 (pid [0-9]*) not hooked: 1 files are hooked, the most --max-files allows" "$T/cap.err"
}
