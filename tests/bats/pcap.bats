#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# ec-capture tls --pcap FILE --ifname lo: the real packets with the TLS keys in
# Decryption Secrets Blocks; tshark decrypts them with no key log option.
# Needs root (BPF, uprobes, TC). Every test runs in its own network namespace
# (ip netns exec), so its lo, qdiscs and ports are its own: concurrent runs
# of these tests, or anything else on the host's lo, cannot interfere.

load helpers

setup_file() {
	make_cert "$BATS_FILE_TMPDIR"
}

# The helpers (cap_start, s_server_start, wait_port) run in $NETNS.
setup() {
	T=$BATS_TEST_TMPDIR
	NETNS=
	[ "$(id -u)" = 0 ] || return 0
	NETNS=ecpcap$$x$BATS_TEST_NUMBER
	ip netns add "$NETNS"
	ip netns exec "$NETNS" ip link set lo up
}

teardown() {
	bg_stop_all
	[ -n "$NETNS" ] && ip netns delete "$NETNS" 2>/dev/null || true
}

# a command in the test's network namespace
nx() {
	ip netns exec "$NETNS" "$@"
}

# lo's qdiscs and TC filters, to compare before and after a capture
tc_state() {
	nx tc qdisc show dev lo
	nx tc filter show dev lo ingress 2>/dev/null
	nx tc filter show dev lo egress 2>/dev/null
}

# curl_get VERSION-OPTIONS PATH OUT: curl in the namespace; its pid in OUT.pid
curl_get() {
	ip netns exec "$NETNS" curl -sk --http1.1 $1 "https://127.0.0.1:$port$2" -o "$3" &
	echo $! >"$3.pid"
	wait $!
}

@test "pcap: tshark decrypts TLS 1.3 and TLS 1.2 from the file alone; comments carry curl's pid" {
	require_root
	before=$(tc_state)
	port=4433
	s_server_start "$port"
	cap_start --pcap "$T/lo.pcapng" --ifname lo tcp port "$port"
	grep -Eq 'key log: (calibrated|offsets cached)' "$T/cap.err"
	grep -q 'tcx links (released with the process' "$T/cap.err"
	curl_get --tlsv1.3 /v13 "$T/b13"
	curl_get "--tls-max 1.2" /v12 "$T/b12"
	# other traffic on lo, which the filter leaves out
	s_server_start 4434
	nx curl -sk "https://127.0.0.1:4434/other" -o /dev/null
	cap_stop
	grep -q 'Protocol  : TLSv1.3' "$T/b13"
	grep -q 'Protocol  : TLSv1.2' "$T/b12"

	# no qdisc or filter was added, and the tcx programs are gone
	[ "$(tc_state)" = "$before" ]
	grep -Eq 'pcap: [0-9]+ packets written to .*, [1-9][0-9]* filtered out, 0 lost' "$T/cap.err" ||
		{ cat "$T/cap.err"; false; }

	# no key log option: the keys come from the file's Decryption Secrets Blocks
	run --separate-stderr tshark -r "$T/lo.pcapng" -Y http.request -T fields \
		-e http.request.uri -e frame.comment
	assert_success
	[ "$(echo "$output" | cut -f1 | sort | tr '\n' ' ')" = "/v12 /v13 " ]
	echo "$output" | grep -q "^/v13	pid=$(cat "$T/b13.pid") .*comm=curl "
	echo "$output" | grep -q "^/v12	pid=$(cat "$T/b12.pid") .*comm=curl "
	# the responses too (s_server's HTTP/1.0 body runs to the close, so tshark
	# shows it only without body reassembly), nothing but the filtered port,
	# nothing malformed
	[ "$(tshark -r "$T/lo.pcapng" -o http.desegment_body:FALSE -Y 'http.response.code == 200' \
		2>/dev/null | wc -l)" -eq 2 ]
	[ -z "$(tshark -r "$T/lo.pcapng" -Y "!(tcp.port == $port) || _ws.malformed" 2>/dev/null)" ]
	run capinfos -c -I "$T/lo.pcapng"
	assert_success
	assert_output --partial "packets captured by ec-capture (TC)"
}

@test "pcap: the packets are records too; ec-dump --pcapng writes a decryptable file from them" {
	require_root
	port=4433
	s_server_start "$port"
	cap_start --pcap "$T/lo.pcapng" --ifname lo "tcp port $port"
	nx curl -sk --http1.1 "https://127.0.0.1:$port/rec" -o /dev/null
	cap_stop
	n=$(capinfos -c -M "$T/lo.pcapng" | awk '/Number of packets/ {print $NF}')
	[ "$n" -gt 10 ]
	[ "$(ec-dump --json --source packet "$T/out.pb" |
		jq -s '[.[] | select(.record_kind == "RECORD_KIND_PACKET")] | length')" -eq "$n" ]
	ec-dump --source packet --pcapng "$T/re.pcapng" "$T/out.pb"
	run --separate-stderr tshark -r "$T/re.pcapng" -Y http.request -T fields -e http.request.uri
	assert_success
	assert_output "/rec"
}

@test "pcap: IPv6 on lo, decrypted, with the process" {
	require_root
	port=4433
	s_server_start "$port" "[::1]"
	cap_start --pcap "$T/lo.pcapng" --ifname lo ip6 and tcp port "$port"
	ip netns exec "$NETNS" curl -sk --http1.1 "https://[::1]:$port/six" -o "$T/b6" &
	cpid=$!
	wait $cpid
	cap_stop
	run --separate-stderr tshark -r "$T/lo.pcapng" -Y 'http.request && ipv6' \
		-T fields -e http.request.uri -e frame.comment
	assert_success
	[[ $output == "/six	pid=$cpid "*"comm=curl "* ]]
}

@test "pcap: a clsact qdisc that was there stays untouched; its filters keep running" {
	require_root
	nx tc qdisc add dev lo clsact
	before=$(tc_state)
	cap_start --pcap "$T/lo.pcapng" --ifname lo
	# tcx links are no tc filters: nothing of ours in tc's view
	[ "$(tc_state)" = "$before" ]
	cap_stop
	[ "$(tc_state)" = "$before" ]
	nx tc qdisc show dev lo | grep -q clsact
}

@test "pcap: kill -9 leaves nothing attached (tcx links die with the process)" {
	require_root
	before=$(tc_state)
	cap_start --pcap "$T/lo.pcapng" --ifname lo
	id=$(bpftool prog show name tc_egress | awk -F: 'NR==1 {print $1}')
	[ -n "$id" ]
	kill -KILL "$CAP_PID"
	wait "$CAP_PID" || true
	CAP_PID=
	[ "$(tc_state)" = "$before" ]
	[ -z "$(nx tc filter show dev lo ingress)" ]
	[ -z "$(nx tc filter show dev lo egress)" ]
	# the kernel frees the programs once no link holds them (deferred: bounded wait)
	for i in $(seq 1 50); do
		bpftool prog show id "$id" >/dev/null 2>&1 || break
		sleep 0.1
	done
	run bpftool prog show id "$id"
	assert_failure
}

@test "pcap, kernels before 6.6 (EC_TC_LEGACY=1): clsact filters; a killed run's are removed at the next start, which says so" {
	require_root
	nx tc qdisc add dev lo clsact
	before=$(tc_state)
	EC_TC_LEGACY=1 cap_start --pcap "$T/lo.pcapng" --ifname lo
	grep -q 'filters on the existing clsact qdisc' "$T/cap.err"
	nx tc filter show dev lo egress | grep -q 'handle 0xec tc_egress'
	nx tc filter show dev lo ingress | grep -q 'handle 0xec tc_ingress'
	# a second capture on the same interface is refused while the first runs
	run --separate-stderr nx env EC_TC_LEGACY=1 ec-capture tls --pcap "$T/2.pcapng" --ifname lo
	assert_failure 1
	[[ $stderr == *"another ec-capture (pid $CAP_PID) captures its packets"* ]]
	kill -KILL "$CAP_PID"
	wait "$CAP_PID" || true
	CAP_PID=
	# killed: its filters stay behind...
	nx tc filter show dev lo egress | grep -q tc_egress
	# ...until the next start removes them and says so
	EC_TC_LEGACY=1 cap_start --pcap "$T/lo.pcapng" --ifname lo
	grep -q 'removed a stale tc_ingress filter (prog [0-9]*) on lo that a killed ec-capture left' "$T/cap.err"
	grep -q 'removed a stale tc_egress filter' "$T/cap.err"
	cap_stop
	ec-dump "$T/out.pb" | grep -Eq -- '-- log [0-9TZ:-]+ WRN pcap: removed a stale tc_egress filter'
	# only our filters went; the clsact that was there stays
	[ "$(tc_state)" = "$before" ]
}

@test "pcap: when the reader of stdout goes away the hooks are removed too" {
	require_root
	before=$(tc_state)
	# head exits after the first bytes: ec-capture sees EPIPE and stops
	timeout 20 ip netns exec "$NETNS" bash -c \
		"ec-capture tls --heartbeat 1 --pcap '$T/lo.pcapng' --ifname lo 2>'$T/cap.err' | head -c 10 >/dev/null"
	grep -q 'pcap: .* packets written' "$T/cap.err"
	[ "$(tc_state)" = "$before" ]
	run capinfos "$T/lo.pcapng"
	assert_success
}

@test "pcap: bad filter, unknown interface, --ifname alone: one-line errors" {
	require_root
	run --separate-stderr nx ec-capture tls --pcap "$T/x.pcapng" --ifname lo tcp port nonsense
	assert_failure 2
	[[ $stderr == *"filter 'tcp port nonsense': "* ]]
	run --separate-stderr nx ec-capture tls --pcap "$T/x.pcapng" --ifname nosuch0
	assert_failure 1
	[[ $stderr == *"--ifname nosuch0: No such device"* ]]
	run --separate-stderr nx ec-capture tls --ifname lo
	assert_failure 2
	[[ $stderr == *"--ifname is for --pcap FILE"* ]]
	run --separate-stderr nx ec-capture tls --pcap /nonexistent/dir/x.pcapng --ifname lo
	assert_failure 1
	[[ $stderr == *"--pcap /nonexistent/dir/x.pcapng: No such file or directory"* ]]
}
