#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# ec-capture gnutls / nss: gnutls-cli and NSS's tstclnt against openssl s_server
# on loopback (needs root).

load helpers

setup_file() {
	make_cert "$BATS_FILE_TMPDIR"
}

# client gnutls|nss PORT PATH: one HTTP/1.0 request over TLS; sets cpid.
client() {
	printf 'GET %s HTTP/1.0\r\n\r\n' "$3" >"$T/req"
	if [ "$1" = gnutls ]; then
		gnutls-cli --insecure -p "$2" 127.0.0.1 <"$T/req" >"$T/resp" 2>&1 &
	else
		tstclnt -h 127.0.0.1 -p "$2" -o -D <"$T/req" >"$T/resp" 2>&1 &
	fi
	cpid=$! # the client itself (no wrapper), so its pid is the captured one
	local i
	for i in $(seq 1 200); do kill -0 "$cpid" 2>/dev/null || break; sleep 0.05; done
	kill "$cpid" 2>/dev/null || true
	wait "$cpid" || true
}

# check_capture SOURCE COMM PORT PATH: request written, response read, pid, 4-tuple.
check_capture() {
	local req resp
	req=$(events | jq -c "select(.direction==\"DIRECTION_WRITE\" and (.payload|startswith(\"GET $4 HTTP/1.0\r\n\")))")
	[ -n "$req" ]
	[ "$(jq -r .source <<<"$req")" = "$1" ]
	[ "$(jq -r .pname <<<"$req")" = "$2" ]
	[ "$(jq -r .dst_port <<<"$req")" = "$3" ]
	[ "$(jq -r .dst_ip <<<"$req")" = 127.0.0.1 ]
	[ "$(jq -r .src_ip <<<"$req")" = 127.0.0.1 ]
	[ "$(jq -r .fd <<<"$req")" -gt 2 ]
	[ "$(jq -r .conn_id <<<"$req")" -gt 0 ]
	resp=$(events | jq -c 'select(.direction=="DIRECTION_READ" and (.payload|startswith("HTTP/1.0 200")))')
	[ -n "$resp" ]
	[ "$(jq -r .conn_id <<<"$resp")" = "$(jq -r .conn_id <<<"$req")" ]
	[ "$(jq -r .src_port <<<"$resp")" = "$(jq -r .src_port <<<"$req")" ]
	[ "$(jq -r .pid <<<"$req")" = "$cpid" ]
	[ "$(jq -r .pid <<<"$resp")" = "$cpid" ]
	[ "$(jq -r .uid <<<"$req")" = 0 ]
}

@test "gnutls: gnutls-cli -> s_server, request and response with pid and 4-tuple" {
	require_root
	command -v gnutls-cli >/dev/null || skip "gnutls-bin not installed"
	port=$(free_port)
	s_server_start "$port"
	mod_start gnutls
	client gnutls "$port" /gnutls-hello
	mod_stop
	check_capture SOURCE_GNUTLS gnutls-cli "$port" /gnutls-hello
	# the close of the connection
	[ -n "$(events | jq -c 'select(.closed == true)')" ]
	no_links_left lib_write_enter lib_read_enter lib_return ec_sys_enter ec_sock_state
}

@test "gnutls: --pid and --uid filters exclude the client" {
	require_root
	command -v gnutls-cli >/dev/null || skip "gnutls-bin not installed"
	port=$(free_port)
	s_server_start "$port"
	mod_start gnutls --pid $$
	client gnutls "$port" /not-this-pid
	mod_stop
	[ -z "$(events)" ]
	mod_start gnutls --uid 65534
	client gnutls "$port" /not-this-uid
	mod_stop
	[ -z "$(events)" ]
}

@test "nss: tstclnt -> s_server, SSL socket plaintext only, pid and 4-tuple" {
	require_root
	command -v tstclnt >/dev/null || skip "libnss3-tools not installed"
	port=$(free_port)
	s_server_start "$port"
	mod_start nss
	client nss "$port" /nss-hello
	mod_stop
	check_capture SOURCE_NSS tstclnt "$port" /nss-hello
	# tstclnt reads the request from stdin with PR_Read too: a file, not captured
	[ -z "$(events | jq -c 'select(.fd == 0 or (.dst_port != '"$port"' and .closed != true))')" ]
	no_links_left nspr_write_enter nspr_read_enter nspr_return ec_sys_enter ec_sock_state
}

@test "nspr alias, --pid filter" {
	require_root
	command -v tstclnt >/dev/null || skip "libnss3-tools not installed"
	port=$(free_port)
	s_server_start "$port"
	mod_start nspr --pid $$
	client nss "$port" /not-this-pid
	mod_stop
	[ -z "$(events)" ]
}

@test "gnutls/nss: a clear error when the library is missing or wrong" {
	require_root
	run ec-capture gnutls --gnutls /nonexistent/libgnutls.so.30
	assert_failure 1
	assert_output --partial "/nonexistent/libgnutls.so.30"
	run ec-capture gnutls --gnutls /bin/true
	assert_failure 1
	assert_output --partial "no gnutls_record_send function in it"
	run ec-capture nss --nspr /bin/true
	assert_failure 1
	assert_output --partial "no PR_Write function in it"
	run ec-capture nss --libssl x
	assert_failure 2
}
