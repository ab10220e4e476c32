#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# ec-capture libtls: a libtls client (tests/peers/libtls-get.c) against
# openssl s_server on loopback (needs root; libtls26, libtls-dev).

load helpers

setup_file() {
	make_cert "$BATS_FILE_TMPDIR"
	cc -O1 -Wall -Wextra -Werror -o "$BATS_FILE_TMPDIR/libtls-get" \
		"$EC_ROOT/tests/peers/libtls-get.c" -ltls 2>"$BATS_FILE_TMPDIR/cc.err" || true
}

# get PORT PATH: one HTTP/1.0 GET over libtls; sets cpid, the answer in $T/resp.
get() {
	[ -x "$BATS_FILE_TMPDIR/libtls-get" ] || skip "cannot build the libtls client: $(head -1 "$BATS_FILE_TMPDIR/cc.err")"
	"$BATS_FILE_TMPDIR/libtls-get" 127.0.0.1 "$1" "$2" >"$T/resp" 2>"$T/get.err" &
	cpid=$!
	local i
	for i in $(seq 1 200); do kill -0 "$cpid" 2>/dev/null || break; sleep 0.05; done
	kill "$cpid" 2>/dev/null || true
	wait "$cpid"
}

@test "libtls: tls_write/tls_read plaintext, both directions, fd, 4-tuple, conn_id" {
	require_root
	port=$(free_port)
	s_server_start "$port"
	mod_start libtls
	grep -q 'target .*libtls\.so' "$T/cap.err"
	get "$port" /libtls-hello
	grep -q '^HTTP/1.0 200' "$T/resp"
	mod_stop
	req=$(events | jq -c 'select(.direction=="DIRECTION_WRITE" and .payload=="GET /libtls-hello HTTP/1.0\r\n\r\n")')
	[ -n "$req" ]
	[ "$(wc -l <<<"$req")" = 1 ]
	[ "$(jq -r .source <<<"$req")" = SOURCE_LIBTLS ]
	[ "$(jq -r .pname <<<"$req")" = libtls-get ]
	[ "$(jq -r .pid <<<"$req")" = "$cpid" ]
	[ "$(jq -r .src_ip <<<"$req")" = 127.0.0.1 ]
	[ "$(jq -r .dst_ip <<<"$req")" = 127.0.0.1 ]
	[ "$(jq -r .dst_port <<<"$req")" = "$port" ]
	[ "$(jq -r .src_port <<<"$req")" -gt 0 ]
	[ "$(jq -r .fd <<<"$req")" -gt 2 ]
	[ "$(jq -r .conn_id <<<"$req")" -gt 0 ]
	resp=$(events | jq -c 'select(.direction=="DIRECTION_READ" and (.payload|startswith("HTTP/1.0 200")))')
	[ -n "$resp" ]
	for f in source pid fd conn_id src_port dst_port; do
		[ "$(jq -r .$f <<<"$resp")" = "$(jq -r .$f <<<"$req")" ]
	done
	# every byte the client read was captured: the read records are its stdout
	[ "$(events | jq -j 'select(.direction=="DIRECTION_READ") | .payload')" = "$(cat "$T/resp")" ]
	[ -n "$(events | jq -c 'select(.closed == true and .source == "SOURCE_LIBTLS")')" ]
	# ec-parse treats libtls as TLS plaintext: the exchange becomes HTTP/1
	ec-parse <"$T/out.pb" >"$T/parsed.pb"
	[ "$(ec-dump --source libtls --type http1-request "$T/parsed.pb" | grep -c '^GET /libtls-hello')" = 1 ]
	[ "$(ec-dump --source libtls --type http1-response "$T/parsed.pb" | grep -c '^HTTP/1.0 200')" = 1 ]
	no_links_left lib_write_enter lib_read_enter lib_return ec_sys_enter ec_sock_state
}

@test "libtls: --pid filter excludes the client" {
	require_root
	port=$(free_port)
	s_server_start "$port"
	mod_start libtls --pid $$
	get "$port" /not-this-pid
	mod_stop
	[ -z "$(events)" ]
}

@test "libtls: a missing or wrong library is one clear line, exit 1; none on the system: it follows the host" {
	require_root
	# no libtls on the system (an empty ld.so.cache in a private mount
	# namespace): with no --libtls it waits for a process to map one
	T=$BATS_TEST_TMPDIR
	run unshare -m --propagation private sh -c \
		"mount --bind /dev/null /etc/ld.so.cache && exec timeout --preserve-status -s INT 4 ec-capture libtls -f >/dev/null"
	assert_success
	assert_output --partial "ec-capture: hooked no library yet;"
	assert_output --partial "following the host (libtls):"
	assert_output --partial "all probes detached"
	run ec-capture libtls --libtls /nonexistent/libtls.so.26
	assert_failure 1
	assert_output "ec-capture: --libtls /nonexistent/libtls.so.26: No such file or directory"
	run ec-capture libtls --libtls /bin/true
	assert_failure 1
	assert_output "ec-capture: /bin/true: no tls_write function in it (is it libtls? give the right one with --libtls PATH)"
	run ec-capture libtls --gnutls x
	assert_failure 2
}
