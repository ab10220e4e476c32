#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# ec-parse's DNS decoder on a real resolver: unbound serving a local zone
# over TLS and HTTPS (a certificate made here) on 127.0.0.1, asked by
# kdig +tls (GnuTLS: ec-capture gnutls) several questions on one
# connection, one of them NXDOMAIN, and by kdig +https (POST and GET);
# unbound's own view through ec-capture tls (OpenSSL). Needs root.

load helpers

setup_file() {
	[ "$(id -u)" = 0 ] && command -v unbound >/dev/null && command -v kdig >/dev/null || return 0
	local d=$BATS_FILE_TMPDIR port hport
	make_cert "$d"
	port=$(free_port)
	hport=$(free_port)
	cat >"$d/unbound.conf" <<-EOF
		server:
		  interface: 127.0.0.1@$port
		  interface: 127.0.0.1@$hport
		  tls-port: $port
		  https-port: $hport
		  tls-service-key: $d/key.pem
		  tls-service-pem: $d/cert.pem
		  do-daemonize: no
		  chroot: ""
		  username: ""
		  directory: "$d"
		  pidfile: ""
		  use-syslog: no
		  logfile: ""
		  do-ip6: no
		  module-config: "iterator"
		  access-control: 127.0.0.0/8 allow
		  local-zone: "ec.test." static
		  local-data: "www.ec.test. 300 IN A 192.0.2.1"
		  local-data: "www.ec.test. 300 IN AAAA 2001:db8::1"
		  local-data: "ec.test. 300 IN MX 10 mail.ec.test."
		  local-data: 'ec.test. 300 IN TXT "hello world"'
		remote-control:
		  control-enable: no
	EOF
	unbound -d -c "$d/unbound.conf" >"$d/unbound.log" 2>&1 3>&- &
	echo $! >"$d/unbound.pid"
	wait_port "$port" && echo "$port" >"$d/port"
	# DNS over HTTPS needs an unbound built with nghttp2
	if unbound -V 2>/dev/null | grep -q nghttp2 && wait_port "$hport"; then
		echo "$hport" >"$d/hport"
	fi
}

teardown_file() {
	local p
	p=$(cat "$BATS_FILE_TMPDIR/unbound.pid" 2>/dev/null) || return 0
	kill -TERM "$p" 2>/dev/null || return 0
	for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$p" 2>/dev/null || true
}

need_dns() {
	[ -f "$BATS_FILE_TMPDIR/port" ] || skip "no unbound or kdig (unbound, knot-dnsutils not installed?)"
	PORT=$(cat "$BATS_FILE_TMPDIR/port")
	T=$BATS_TEST_TMPDIR
}

ask() {
	run kdig +tls +keepopen @127.0.0.1 -p "$PORT" www.ec.test A www.ec.test AAAA ec.test MX \
		nope.ec.test A ec.test TXT
	assert_success
	assert_output --partial 'status: NXDOMAIN'
}

# each --exchanges line: ... QUESTION -> SUMMARY REQB RESPB FIRST LAST
LAT=' [0-9]+ [0-9]+ [0-9]+\.[0-9]{3}ms [0-9]+\.[0-9]{3}ms$'

@test "dns: kdig +tls (GnuTLS) to unbound: five questions on one connection, each paired by id with its answer, rcode and latency" {
	require_root
	need_dns
	mod_start gnutls -t kdig
	ask
	mod_stop
	ec-parse <"$T/out.pb" >"$T/parsed.pb"
	ec-dump --exchanges "$T/parsed.pb" >"$T/x.txt"
	cat "$T/x.txt" >&3
	at='^[^ ]+ kdig\([0-9]+\) dns [^ ]+'
	grep -Eq "$at www\.ec\.test\. IN A -> NOERROR 1 answer$LAT" "$T/x.txt"
	grep -Eq "$at www\.ec\.test\. IN AAAA -> NOERROR 1 answer$LAT" "$T/x.txt"
	grep -Eq "$at ec\.test\. IN MX -> NOERROR 1 answer$LAT" "$T/x.txt"
	grep -Eq "$at nope\.ec\.test\. IN A -> NXDOMAIN$LAT" "$T/x.txt"
	grep -Eq "$at ec\.test\. IN TXT -> NOERROR 1 answer$LAT" "$T/x.txt"
	run grep -c ' dns ' "$T/x.txt"
	assert_output 5
	# the NXDOMAIN is the one failure, with its rcode
	run sh -c "ec-dump --json -e '$T/parsed.pb' | jq -r '.event_payload | select(.type == 15 and .failed) | [.summary, .status] | @tsv'"
	assert_output $'NXDOMAIN\t3'
	# the answers read like dig's
	ec-dump -e "$T/parsed.pb" >"$T/d.txt"
	grep -q $'^www\\.ec\\.test\\.\t300\tIN\tA\t192\\.0\\.2\\.1$' "$T/d.txt"
	grep -q $'^www\\.ec\\.test\\.\t300\tIN\tAAAA\t2001:db8::1$' "$T/d.txt"
	grep -q $'^ec\\.test\\.\t300\tIN\tMX\t10 mail\\.ec\\.test\\.$' "$T/d.txt"
	grep -q $'^ec\\.test\\.\t300\tIN\tTXT\t"hello world"$' "$T/d.txt"
	grep -q '^;; ->>HEADER<<- opcode: QUERY, status: NXDOMAIN, id: ' "$T/d.txt"
	grep -q $'^;nope\\.ec\\.test\\.\t\tIN\tA$' "$T/d.txt"
	# each question once: a corked session's flush is not captured again
	run sh -c "ec-dump --json -e '$T/parsed.pb' | jq -r 'select(.event_payload.type == 14) | .event_payload.path' | sort | uniq -d"
	assert_output ''
}

@test "dns: unbound's own view (OpenSSL, ec-capture tls): the queries it read, the answers it wrote, from its address" {
	require_root
	need_dns
	cap_start -t unbound
	ask
	cap_stop
	ec-parse <"$T/out.pb" | ec-dump --exchanges >"$T/x.txt"
	cat "$T/x.txt" >&3
	at="^[^ ]+ unbound\([0-9]+\) dns 127\.0\.0\.1:$PORT"
	grep -Eq "$at www\.ec\.test\. IN A -> NOERROR 1 answer$LAT" "$T/x.txt"
	grep -Eq "$at nope\.ec\.test\. IN A -> NXDOMAIN$LAT" "$T/x.txt"
	run grep -c ' dns ' "$T/x.txt"
	assert_output 5
}

@test "dns: DNS over HTTPS (kdig +https, POST and GET): the DNS exchange beside the HTTP/2 one, paired, with its rcode" {
	require_root
	need_dns
	[ -f "$BATS_FILE_TMPDIR/hport" ] || skip "this unbound has no DNS over HTTPS (built without nghttp2)"
	hport=$(cat "$BATS_FILE_TMPDIR/hport")
	mod_start gnutls -t kdig
	run kdig +https @127.0.0.1 -p "$hport" www.ec.test AAAA
	assert_output --partial '2001:db8::1'
	run kdig +https-get @127.0.0.1 -p "$hport" nope.ec.test A
	assert_output --partial 'status: NXDOMAIN'
	mod_stop
	ec-parse <"$T/out.pb" | ec-dump --exchanges >"$T/x.txt"
	cat "$T/x.txt" >&3
	at='^[^ ]+ kdig\([0-9]+\) dns [^ ]+'
	grep -Eq "$at www\.ec\.test\. IN AAAA -> NOERROR 1 answer$LAT" "$T/x.txt"
	grep -Eq "$at nope\.ec\.test\. IN A -> NXDOMAIN$LAT" "$T/x.txt"
	# and the HTTP/2 exchanges they travelled in
	grep -Eq '^[^ ]+ kdig\([0-9]+\) POST [^ ]+ /dns-query 200 ' "$T/x.txt"
	grep -Eq '^[^ ]+ kdig\([0-9]+\) GET [^ ]+ /dns-query\?dns=[A-Za-z0-9_-]+ 200 ' "$T/x.txt"
}
