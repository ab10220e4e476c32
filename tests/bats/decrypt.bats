#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# ec-capture tls/gotls --keys-only (handshake probes and the interface's
# packets) | ec-parse (TCP reassembly, TLS decryption): the same HTTP
# messages as the per-call probes give, and as tshark reads from the same
# packets. Needs root (BPF, uprobes, TC). Every test runs in network
# namespaces of its own.

load helpers

GOSRC=$BATS_TEST_DIRNAME/../go/gotls-peer.go
MSGS=$EC_ROOT/tests/py/http_msgs.py

setup_file() {
	B=$BATS_FILE_TMPDIR
	make_cert "$B"
	mkdir -p "$B/www"
	printf 'HTTP/2 over TLS 1.3, decrypted\n' >"$B/www/h2-13.txt"
	printf 'HTTP/2 over TLS 1.2, decrypted\n' >"$B/www/h2-12.txt"
	head -c 1572864 /dev/urandom | base64 -w 76 >"$B/www/big.txt" # 2 MiB of text
	printf 'a request body, %.0s' $(seq 1 40) >"$B/post.txt"
}

setup() {
	T=$BATS_TEST_TMPDIR
	B=$BATS_FILE_TMPDIR
	NETNS=
	NS2=
	[ "$(id -u)" = 0 ] || return 0
	NETNS=ecdec$$x$BATS_TEST_NUMBER
	ip netns add "$NETNS"
	ip netns exec "$NETNS" ip link set lo up
}

teardown() {
	bg_stop_all
	[ -n "$NETNS" ] && ip netns delete "$NETNS" 2>/dev/null || true
	[ -n "$NS2" ] && ip netns delete "$NS2" 2>/dev/null || true
}

nx() {
	ip netns exec "$NETNS" "$@"
}

servers_start() {
	P1=$(free_port)
	P2=$(free_port)
	bg_start ip netns exec "$NETNS" $PY "$EC_ROOT/tests/py/origin.py" --port "$P1" \
		--cert "$B/cert.pem" --key "$B/key.pem" --quiet
	wait_port "$P1"
	bg_start ip netns exec "$NETNS" nghttpd -a 127.0.0.1 -d "$B/www" "$P2" "$B/key.pem" \
		"$B/cert.pem"
	wait_port "$P2"
	PY_PID=$(nx ss -Htlnp "sport = :$P1" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
	NGHTTPD_PID=$(nx ss -Htlnp "sport = :$P2" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
}

# The same four curls each time: HTTP/1.1 and HTTP/2, TLS 1.3 and 1.2, with
# AES-128-GCM, AES-256-GCM and ChaCha20-Poly1305; their pids in $T/MODE-N.pid.
traffic() { # MODE
	local i=0 c
	for c in "--http1.1 --tlsv1.3 --tls13-ciphers TLS_AES_128_GCM_SHA256 -d @$B/post.txt https://127.0.0.1:$P1/post" \
		"--http1.1 --tls-max 1.2 --ciphers ECDHE-RSA-AES256-GCM-SHA384 https://127.0.0.1:$P1/get12" \
		"--http2 --tlsv1.3 --tls13-ciphers TLS_CHACHA20_POLY1305_SHA256 https://127.0.0.1:$P2/h2-13.txt" \
		"--http2 --tls-max 1.2 --ciphers ECDHE-RSA-CHACHA20-POLY1305 https://127.0.0.1:$P2/h2-12.txt"; do
		i=$((i + 1))
		# shellcheck disable=SC2086
		ip netns exec "$NETNS" curl -sk $c -o "$T/$1-$i.body" &
		echo $! >"$T/$1-$i.pid"
		wait $!
	done
}

# The HTTP messages of a capture, the pids named
msgs() { # MODE
	local names="$PY_PID=origin $NGHTTPD_PID=nghttpd" i
	for i in 1 2 3 4; do names="$names $(cat "$T/$1-$i.pid")=curl$i"; done
	ec-parse <"$T/$1.pb" 2>"$T/$1.parse.err" | ec-dump --json | $PY "$MSGS" $names
}

@test "keys-only: the same HTTP messages as the per-call probes (HTTP/1.1, HTTP/2, TLS 1.2 and 1.3, three ciphers); tshark agrees" {
	require_root
	servers_start
	local f="--target-process curl,python3,nghttpd --heartbeat 0"
	# shellcheck disable=SC2086
	cap_bg capturing "$T/uprobe.pb" ec-capture tls $f
	traffic uprobe
	cap_stop
	# shellcheck disable=SC2086
	cap_bg capturing "$T/keys.pb" ec-capture tls --keys-only --ifname lo $f --pcap "$T/keys.pcapng"
	grep -q 'hooked SSL_do_handshake (entry and return)' "$T/cap.err"
	traffic keys
	cap_stop
	grep -Eq 'pcap: [1-9][0-9]* packets written to .*, 0 lost' "$T/cap.err" ||
		{ cat "$T/cap.err"; false; }
	# nothing per SSL_read/SSL_write in keys-only mode: handshakes only
	[ "$(ec-dump --json <"$T/keys.pb" | jq -s '[.[] | select(.event_payload.payload != null and .record_kind == null)] | length')" = 0 ]
	[ "$(ec-dump --json <"$T/keys.pb" | jq -s '[.[] | select(.record_kind == "RECORD_KIND_HANDSHAKE")] | length')" -ge 8 ]

	msgs uprobe >"$T/uprobe.msgs"
	msgs keys >"$T/keys.msgs"
	cat "$T/keys.parse.err" "$T/keys.msgs"
	diff "$T/uprobe.msgs" "$T/keys.msgs"
	# each client's request and response, and each server's view of them
	[ "$(grep -c '^curl' "$T/keys.msgs")" = 8 ]
	[ "$(grep -c '^origin' "$T/keys.msgs")" = 4 ]
	[ "$(grep -c '^nghttpd' "$T/keys.msgs")" = 4 ]
	grep -q "^curl1 write POST /post HTTP/1.1 $(sha256sum <"$B/post.txt" | cut -c1-16) 640$" "$T/keys.msgs"
	grep -q "^curl3 read HTTP/2.0 200 $(sha256sum <"$B/www/h2-13.txt" | cut -c1-16) " "$T/keys.msgs"
	grep -q "^nghttpd write HTTP/2.0 200 $(sha256sum <"$B/www/h2-12.txt" | cut -c1-16) " "$T/keys.msgs"
	! grep -q '^other' "$T/keys.msgs"

	# tshark decrypts the same packets (the keys are in the file) to the same requests
	run --separate-stderr tshark -r "$T/keys.pcapng" -Y 'http.request or http2.headers.path' \
		-T fields -e http.request.uri -e http2.headers.path
	assert_success
	[ "$(echo "$output" | tr '\t' '\n' | grep . | sort -u | tr '\n' ' ')" = "/get12 /h2-12.txt /h2-13.txt /post " ]
	run --separate-stderr tshark -r "$T/keys.pcapng" -Y 'http.response.code == 200 or http2.headers.status == 200' -T fields -e frame.number -e http.response.code -e http2.headers.status
	echo "$output"
	[ "${#lines[@]}" = 4 ]
}

@test "keys-only: the records come out of ec-parse while the capture runs" {
	require_root
	servers_start
	nx sh -c "{ ec-capture tls --keys-only --ifname lo --target-process curl,nghttpd \
		--heartbeat 0 2>'$T/cap.err' & echo \$! >'$T/cap.pid'; wait; } |
		ec-parse | ec-dump --exchanges >'$T/live.txt'" &
	CAP_SH=$!
	EC_PIDS="$EC_PIDS $CAP_SH"
	wait_log "$T/cap.err" capturing 400
	nx curl -sk --http2 "https://127.0.0.1:$P2/h2-13.txt" -o /dev/null
	# the exchange is on screen before the capture stops
	wait_log "$T/live.txt" 'curl.*GET .*/h2-13.txt.* 200' 100
	kill -INT "$(cat "$T/cap.pid")"
	wait "$CAP_SH"
}

@test "keys-only: a Go client's requests decrypt as the per-call probes see them" {
	require_root
	export GOCACHE=$B/gocache GOPATH=$B/gopath GO111MODULE=off GOFLAGS= GOTOOLCHAIN=local
	[ -x "$B/peer" ] || go build -o "$B/peer" "$GOSRC"
	servers_start
	cap_bg capturing "$T/uprobe.pb" ec-capture gotls --elfpath "$B/peer" --heartbeat 0
	ip netns exec "$NETNS" "$B/peer" client "https://127.0.0.1:$P1" 2 >"$T/go1.out" &
	echo $! >"$T/uprobe-1.pid"
	wait $!
	cap_stop
	cap_bg capturing "$T/keys.pb" ec-capture gotls --keys-only --ifname lo --elfpath "$B/peer" \
		--heartbeat 0
	grep -q 'hooked crypto/tls.(\*Config).writeKeyLog only' "$T/cap.err"
	ip netns exec "$NETNS" "$B/peer" client "https://127.0.0.1:$P1" 2 >"$T/go2.out" &
	echo $! >"$T/keys-1.pid"
	wait $!
	cap_stop
	for m in uprobe keys; do
		ec-parse <"$T/$m.pb" 2>"$T/$m.parse.err" | ec-dump --json |
			$PY "$MSGS" "$(cat "$T/$m-1.pid")=go" >"$T/$m.msgs"
	done
	cat "$T/keys.parse.err"
	diff "$T/uprobe.msgs" "$T/keys.msgs"
	[ "$(grep -c '^go write GET /req[01] HTTP/1.1' "$T/keys.msgs")" = 2 ]
	[ "$(grep -c '^go read HTTP/1.1 200' "$T/keys.msgs")" = 2 ]
}

# Two namespaces joined by a veth pair whose server side loses packets.
veth_pair() {
	NS2=ecdes$$x$BATS_TEST_NUMBER
	ip netns add "$NS2"
	ip link add ecva$$ netns "$NETNS" type veth peer name ecvb$$ netns "$NS2"
	nx ip addr add 10.77.0.1/24 dev ecva$$
	nx ip link set ecva$$ up
	ip netns exec "$NS2" ip link set lo up
	ip netns exec "$NS2" ip addr add 10.77.0.2/24 dev ecvb$$
	ip netns exec "$NS2" ip link set ecvb$$ up
	# the server's packets: 3% lost (TCP retransmits them), some reordered;
	# a kernel without netem (CONFIG_NET_SCH_NETEM unset, as here) drops
	# them with nftables instead
	ip netns exec "$NS2" tc qdisc add dev ecvb$$ root netem loss 3% delay 2ms reorder 10% 50% ||
		ip netns exec "$NS2" nft -f - <<-EOF
			table inet lossy {
				chain out {
					type filter hook output priority 0;
					tcp sport 4433 numgen random mod 100 < 3 drop
				}
			}
		EOF
}

@test "keys-only: a 2 MB download over a lossy veth decrypts whole; packets missing from the capture are gaps, never wrong bytes" {
	require_root
	veth_pair
	# -WWW serves the files of its working directory
	bg_start sh -c 'cd "$1" && exec ip netns exec "$2" openssl s_server -accept 10.77.0.2:4433 \
		-cert "$3/cert.pem" -key "$3/key.pem" -WWW -quiet' _ "$B/www" "$NS2" "$B" \
		</dev/null >/dev/null 2>&1
	for _ in $(seq 1 100); do ip netns exec "$NS2" ss -Htln 'sport = :4433' | grep -q . && break; sleep 0.05; done
	cap_bg capturing "$T/keys.pb" ec-capture tls --keys-only --ifname ecva$$ \
		--target-process curl --heartbeat 0
	nx curl -sk --http1.1 https://10.77.0.2:4433/big.txt -o "$T/big.out"
	cap_stop
	cmp "$T/big.out" "$B/www/big.txt"
	want="$(sha256sum <"$B/www/big.txt" | cut -c1-16) $(stat -c %s "$B/www/big.txt")"
	ec-parse --max-body 4M <"$T/keys.pb" 2>"$T/parse.err" | ec-dump --json >"$T/all.json"
	$PY "$MSGS" <"$T/all.json" >"$T/msgs"
	grep -q "^other read HTTP/1.0 200 ok $want$" "$T/msgs" || { cat "$T/msgs" "$T/parse.err"; false; }

	# the capture loses two of the server's packets: reported, the rest never wrong
	$PY "$EC_ROOT/tests/py/drop_packets.py" 1000 40 41 <"$T/keys.pb" >"$T/lossy.pb"
	ec-parse --max-body 4M <"$T/lossy.pb" 2>"$T/lossy.err" | ec-dump --json >"$T/lossy.json"
	grep -q 'decrypt: .*lost' "$T/lossy.err" || { cat "$T/lossy.err"; false; }
	! $PY "$MSGS" <"$T/lossy.json" | grep -q " 200 ok $want$"
	# every byte that did come out is the file's
	$PY - "$T/lossy.json" "$B/www/big.txt" <<'EOF'
import base64, json, sys
body = open(sys.argv[2], "rb").read()
n = 0
for line in open(sys.argv[1]):
    ev = json.loads(line).get("event_payload")
    if not ev or ev.get("direction") != "DIRECTION_READ" or "payload" not in ev:
        continue
    p = ev["payload"]
    p = base64.b64decode(p) if ev.get("payload_encoding") == "base64" else p.encode()
    if p.startswith(b"HTTP/1.0 200"):
        p = p.partition(b"\r\n\r\n")[2]
    assert p in body, "bytes that are not the file's: %r" % p[:64]
    n += len(p)
assert 0 < n < len(body), n
EOF
}

@test "keys-only: BoringSSL (bssl-tool client, SSL_do_handshake) decrypts over TLS 1.3 and 1.2" {
	require_root
	command -v bssl-tool >/dev/null || skip "bssl-tool (android-boringssl) not installed"
	lib=/usr/lib/x86_64-linux-gnu/android/libssl.so.0
	port=$(free_port)
	s_server_start "$port"
	cap_bg capturing "$T/keys.pb" ec-capture tls --keys-only --ifname lo --libssl "$lib" \
		--keys-cache "$T/kc" --heartbeat 0
	grep -q 'target .* (BoringSSL)' "$T/cap.err"
	for v in tls1.3 tls1.2; do
		# (ip netns exec runs bssl-tool as itself: $! is its pid)
		printf 'GET /%s HTTP/1.0\r\n\r\n' $v |
			ip netns exec "$NETNS" bssl-tool client -connect "127.0.0.1:$port" \
				-max-version $v >"$T/out.$v" 2>&1 &
		echo $! >"$T/$v.pid"
		for _ in $(seq 1 100); do kill -0 "$(cat "$T/$v.pid")" 2>/dev/null || break; sleep 0.1; done
		kill "$(cat "$T/$v.pid")" 2>/dev/null || true
	done
	cap_stop
	ec-parse <"$T/keys.pb" 2>"$T/parse.err" | ec-dump --json |
		$PY "$MSGS" "$(cat "$T/tls1.3.pid")=v13" "$(cat "$T/tls1.2.pid")=v12" >"$T/msgs"
	cat "$T/parse.err" "$T/msgs"
	grep -q '^v13 write GET /tls1.3 HTTP/1.0 ' "$T/msgs"
	grep -q '^v12 write GET /tls1.2 HTTP/1.0 ' "$T/msgs"
	[ "$(grep -c '^v1[23] read HTTP/1.0 200 ok ' "$T/msgs")" = 2 ]
	# BoringSSL's source on the records
	ec-parse <"$T/keys.pb" 2>/dev/null | ec-dump --json |
		jq -e -s '[.[] | .event_payload | select(.type == 1) | .source] | unique == ["SOURCE_BORINGSSL"]'
}
