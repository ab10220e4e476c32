#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# ec-capture tls key log: the NSS lines read out of libssl with BPF decrypt a
# packet capture of the same connections (tshark), TLS 1.3 and 1.2.

load helpers

setup_file() {
	make_cert "$BATS_FILE_TMPDIR"
}

# The client randoms of the connections in PCAP, one a line (a
# HelloRetryRequest makes the client send its random twice).
client_randoms() { # PCAP
	tshark -n -r "$1" -Y 'tls.handshake.type==1' -T fields -e tls.handshake.random 2>/dev/null |
		sort -u
}

# The HTTP request URIs tshark can read in PCAP with key log KEYLOG.
uris() { # PCAP KEYLOG
	tshark -n -r "$1" -o "tls.keylog_file:$2" -Y http.request \
		-T fields -e http.request.uri 2>/dev/null | sort
}

@test "keys: tshark decrypts TLS 1.3 and TLS 1.2 with --keylogfile (calibrated, table off)" {
	require_root
	T=$BATS_TEST_TMPDIR
	port=$(free_port)
	s_server_start "$port"
	tcpdump_start "$port" "$T/lo.pcap"
	# the offsets are learnt from the installed libssl itself, whatever its
	# release: the built-in table is not consulted
	cap_start --keylogfile "$T/keys.log" --no-keys-table --keys-cache "$T/kc"
	grep -Eq 'key log: calibrated for build-id [0-9a-f]+ in [0-9]+ ms: 48 key log lines of 16 SSL objects reproduced, cached in' "$T/cap.err"
	curl -sk --http1.1 --tlsv1.3 "https://127.0.0.1:$port/v13" -o "$T/b13"
	curl -sk --http1.1 --tls-max 1.2 "https://127.0.0.1:$port/v12" -o "$T/b12"
	cap_stop
	tcpdump_stop
	grep -q 's_server' "$T/b13"
	grep -q 'Protocol  : TLSv1.3' "$T/b13"
	grep -q 'Protocol  : TLSv1.2' "$T/b12"

	# the lines of these two connections: 5 for TLS 1.3, CLIENT_RANDOM for 1.2
	client_randoms "$T/lo.pcap" >"$T/rnd"
	[ "$(wc -l <"$T/rnd")" = 2 ]
	grep -F -f "$T/rnd" "$T/keys.log" >"$T/ours.log"
	[ "$(wc -l <"$T/ours.log")" = 6 ]
	for l in CLIENT_HANDSHAKE_TRAFFIC_SECRET SERVER_HANDSHAKE_TRAFFIC_SECRET \
		CLIENT_TRAFFIC_SECRET_0 SERVER_TRAFFIC_SECRET_0 EXPORTER_SECRET CLIENT_RANDOM; do
		grep -Eq "^$l [0-9a-f]{64} [0-9a-f]{64,96}\$" "$T/ours.log"
	done
	# the same lines as key-log records on stdout
	[ "$(ec-dump --json "$T/out.pb" | jq -r 'select(.record_kind=="RECORD_KIND_KEYLOG") | .run_log' |
		sort -u)" = "$(sort -u "$T/keys.log")" ]

	# without the keys tshark sees no HTTP; with them both requests
	: >"$T/empty.log"
	[ -z "$(uris "$T/lo.pcap" "$T/empty.log")" ]
	[ "$(uris "$T/lo.pcap" "$T/keys.log" | tr '\n' ' ')" = "/v12 /v13 " ]
}

@test "keys: a release the table lacks, with calibration off, says so and captures without keys" {
	require_root
	T=$BATS_TEST_TMPDIR
	# a copy of libssl whose libcrypto sibling claims a release with no row
	cp "$(ldconfig -p | awk '/libssl.so.3 .*x86-64/ {print $NF; exit}')" \
		"$T/libssl.so.3"
	printf '\0OpenSSL 3.2.1 30 Jan 2024\0' >"$T/libcrypto.so.3"
	cap_start --libssl "$T/libssl.so.3" --keylogfile "$T/keys.log" --no-calibrate
	cap_stop
	grep -q 'key log: no offsets for OpenSSL 3.2.1 30 Jan 2024: no TLS keys' "$T/cap.err"
	[ ! -s "$T/keys.log" ]
}

@test "keys: a library that cannot be calibrated falls back to the table's nearest row, says so" {
	require_root
	T=$BATS_TEST_TMPDIR
	# its libcrypto is no library at all: the helper cannot load it
	cp "$(ldconfig -p | awk '/libssl.so.3 .*x86-64/ {print $NF; exit}')" \
		"$T/libssl.so.3"
	printf '\0OpenSSL 3.0.1 14 Dec 2021\0' >"$T/libcrypto.so.3"
	cap_start --libssl "$T/libssl.so.3" --keys-cache ''
	cap_stop
	grep -q 'key log: calibration failed after [0-9]* ms: cannot load libcrypto: ' "$T/cap.err"
	grep -q 'key log: offsets row openssl-3.0 (table, nearest to OpenSSL 3.0.1 14 Dec 2021: ' "$T/cap.err"
	# and with the table off too: no keys, said once
	cap_start --libssl "$T/libssl.so.3" --keys-cache '' --no-keys-table
	cap_stop
	grep -q 'key log: no offsets for OpenSSL 3.0.1 14 Dec 2021: no TLS keys' "$T/cap.err"
}

@test "keys: a row not calibrated here is proven on the first connection's ClientHello, then tshark decrypts" {
	require_root
	T=$BATS_TEST_TMPDIR
	# the row of this very library, given as a line (as one would carry a
	# row from another machine): whatever the installed release, it fits
	row=$(ec-capture tls --check-keys --keys-cache '' --no-keys-table | sed -n 's/^row //p')
	[ -n "$row" ]
	port=$(free_port)
	s_server_start "$port"
	tcpdump_start "$port" "$T/lo.pcap"
	cap_start --keylogfile "$T/keys.log" --keys-row "$row"
	grep -q 'key log: offsets row given (--keys-row)' "$T/cap.err"
	grep -q 'its lines wait until the client random it reads is seen in a ClientHello' "$T/cap.err"
	curl -sk --http1.1 --tlsv1.3 "https://127.0.0.1:$port/v13" -o "$T/b13"
	curl -sk --http1.1 --tls-max 1.2 "https://127.0.0.1:$port/v12" -o "$T/b12"
	cap_stop
	tcpdump_stop
	grep -Eq 'key log: offsets row given proven on pid [0-9]+: the client random it reads is the one its ClientHello carried' "$T/cap.err"
	[ "$(uris "$T/lo.pcap" "$T/keys.log" | tr '\n' ' ')" = "/v12 /v13 " ]
}

@test "keys: a wrong table row is refused on the first connection: no line written" {
	require_root
	T=$BATS_TEST_TMPDIR
	port=$(free_port)
	s_server_start "$port"
	# BoringSSL's row on OpenSSL reads garbage where the random should be
	cap_start --keylogfile "$T/keys.log" --keys-row boringssl-android13
	curl -sk --http1.1 "https://127.0.0.1:$port/a" -o /dev/null
	curl -sk --http1.1 --tls-max 1.2 "https://127.0.0.1:$port/b" -o /dev/null
	cap_stop
	grep -Eq 'key log: offsets row boringssl-android13 is wrong for this library: it read client random [0-9a-f]{8}\.\.\. for pid [0-9]+, whose ClientHello carried another: no TLS keys' "$T/cap.err"
	[ ! -s "$T/keys.log" ]
	[ -z "$(ec-dump --json "$T/out.pb" | jq -r 'select(.record_kind=="RECORD_KIND_KEYLOG") | .run_log')" ]
}

@test "keys: --keylogfile that cannot be opened is a one-line error, exit 1" {
	require_root
	run ec-capture tls --keylogfile /nonexistent/dir/keys.log
	assert_failure 1
	assert_output --partial "--keylogfile /nonexistent/dir/keys.log: No such file or directory"
}

@test "keys: both ends hooked (curl --http2 -> nghttpd): each line once, tshark reads HTTP/2" {
	require_root
	T=$BATS_TEST_TMPDIR
	port=$(free_port)
	mkdir -p "$T/www"
	echo "hello keys" >"$T/www/index.html"
	bg_start nghttpd -a 127.0.0.1 -d "$T/www" "$port" \
		"$BATS_FILE_TMPDIR/key.pem" "$BATS_FILE_TMPDIR/cert.pem"
	wait_port "$port"
	tcpdump_start "$port" "$T/lo.pcap"
	cap_start --keylogfile "$T/keys.log"
	run curl -sk --http2 "https://127.0.0.1:$port/index.html"
	assert_output "hello keys"
	cap_stop
	tcpdump_stop
	# both processes were captured (other programs on the machine may be
	# too: look at this port's connection only), so both read its secrets
	[ "$(ec-dump --json "$T/out.pb" | jq -r "select(.event_payload) | .event_payload |
		select(.src_port==$port or .dst_port==$port) | .pname" |
		sort -u | tr '\n' ' ')" = "curl nghttpd " ]
	rnd=$(client_randoms "$T/lo.pcap")
	[ -n "$rnd" ] && [ "$(wc -l <<<"$rnd")" = 1 ]
	[ "$(grep -c " $rnd " "$T/keys.log")" = 5 ]
	[ -z "$(sort "$T/keys.log" | uniq -d)" ]
	[ "$(ec-dump --json "$T/out.pb" | jq -r 'select(.record_kind=="RECORD_KIND_KEYLOG") | .run_log' |
		grep -c " $rnd ")" = 5 ]
	[ "$(tshark -n -r "$T/lo.pcap" -o "tls.keylog_file:$T/keys.log" -Y http2.header \
		-T fields -e http2.header.value 2>/dev/null | grep -c /index.html)" -ge 1 ]
}

@test "keys: BoringSSL (bssl-tool client), calibrated: its own SSLKEYLOGFILE has our lines" {
	require_root
	command -v bssl-tool >/dev/null || skip "bssl-tool (android-boringssl) not installed"
	T=$BATS_TEST_TMPDIR
	lib=/usr/lib/x86_64-linux-gnu/android/libssl.so.0
	port=$(free_port)
	s_server_start "$port"
	tcpdump_start "$port" "$T/lo.pcap"
	cap_start --libssl "$lib" --keylogfile "$T/keys.log" --keys-cache "$T/kc"
	grep -q 'target .* (BoringSSL)' "$T/cap.err"
	grep -q 'key log: calibrated for build-id ' "$T/cap.err"
	grep -q 'key log: the handshake secrets and their inputs are not kept' "$T/cap.err"
	for v in tls1.3 tls1.2; do
		printf 'GET /%s HTTP/1.0\r\n\r\n' $v |
			SSLKEYLOGFILE="$T/bssl.log" timeout 10 bssl-tool client \
				-connect "127.0.0.1:$port" -max-version $v >"$T/out.$v" 2>&1
	done
	cap_stop
	tcpdump_stop
	grep -q 'Version: TLSv1.3' "$T/out.tls1.3"
	grep -q 'Version: TLSv1.2' "$T/out.tls1.2"
	# TLS 1.3: the traffic and exporter secrets (the handshake ones are gone
	# with BoringSSL's handshake object); TLS 1.2: CLIENT_RANDOM
	client_randoms "$T/lo.pcap" >"$T/rnd"
	[ "$(wc -l <"$T/rnd")" = 2 ]
	grep -F -f "$T/rnd" "$T/keys.log" >"$T/ours.log"
	for l in CLIENT_TRAFFIC_SECRET_0 SERVER_TRAFFIC_SECRET_0 EXPORTER_SECRET CLIENT_RANDOM; do
		[ "$(grep -c "^$l " "$T/ours.log")" = 1 ]
	done
	[ "$(wc -l <"$T/ours.log")" = 4 ]
	# every line is one BoringSSL logged itself
	[ "$(grep -c -x -F -f "$T/bssl.log" "$T/ours.log")" = 4 ]
	# and the TLS 1.2 request decrypts
	uris "$T/lo.pcap" "$T/keys.log" | grep -qx /tls1.2
}

@test "keys: --keys-row picks a table row by name and says so" {
	require_root
	run ec-capture tls --check-keys --keys-row openssl-3.0
	assert_success
	assert_line --partial 'offsets row openssl-3.0 (--keys-row)'
	assert_line --regexp '^row flags=0x0 version=0 s3=168 '
	run ec-capture tls --check-keys --keys-row openssl-3.0 --no-calibrate
	assert_failure 2
}

@test "keys: --keys-row with an unknown name is a usage error listing the rows" {
	run ec-capture tls --keys-row nosuch
	assert_failure 2
	assert_output --partial "--keys-row: no row 'nosuch' (rows: openssl-3.0"
	run ec-capture tls --keys-row 'flags=0x0 version=x'
	assert_failure 2
	assert_output --partial "--keys-row: not a row line at byte 18"
}
