#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# ec-nats against real nats-server processes on loopback ports, with
# JetStream: one node, and a three-node cluster whose stream leader is
# SIGKILLed mid-stream; two hosts at once; a server away; credentials and TLS.

load helpers

setup_file() {
	# a generated capture and the same through ec-parse (exchanges paired)
	ec-gen --seed 7 --records 4000 > "$BATS_FILE_TMPDIR/a.pb"
	ec-gen --seed 8 --records 3000 > "$BATS_FILE_TMPDIR/b.pb"
	ec-parse < "$BATS_FILE_TMPDIR/a.pb" > "$BATS_FILE_TMPDIR/a.parsed.pb"
}

setup() {
	A=$BATS_FILE_TMPDIR/a.pb
	Bpb=$BATS_FILE_TMPDIR/b.pb
	T=$BATS_TEST_TMPDIR
	PACE="$PY $EC_ROOT/tests/py/pace.py"
	NP=() NC=() NM=()
}

# nats_node I N [ARGS...]: start node I (from 1) of an N-node JetStream
# cluster on loopback ports chosen once per test (N = 1: a lone server);
# a node started again keeps its ports and store. Returns once it is healthy.
nats_node() {
	local i=$1 n=$2 k routes=
	shift 2
	if [ -z "${NP[$i]:-}" ]; then
		for k in $(seq 1 "$n"); do
			[ -n "${NP[$k]:-}" ] && continue
			NP[$k]=$(free_port) NC[$k]=$(free_port) NM[$k]=$(free_port)
		done
	fi
	local cl=()
	if [ "$n" -gt 1 ]; then
		for k in $(seq 1 "$n"); do routes=$routes${routes:+,}nats://127.0.0.1:${NC[$k]}; done
		cl=(--cluster_name ect --cluster "nats://127.0.0.1:${NC[$i]}" --routes "$routes")
	fi
	bg_start nats-server -a 127.0.0.1 -p "${NP[$i]}" -m "${NM[$i]}" -js -sd "$T/store$i" \
		--server_name "n$i" "${cl[@]}" "$@" > "$T/n$i.log" 2>&1
	echo $! > "$T/n$i.pid"
	wait_port "${NP[$i]}"
}

# every node of N answers its health check (JetStream ready, a meta leader)
nats_healthy() {
	local n=$1 k
	for _ in $(seq 1 200); do
		for k in $(seq 1 "$n"); do
			curl -sf "http://127.0.0.1:${NM[$k]}/healthz" >/dev/null || continue 2
		done
		return 0
	done
	echo "the cluster never became healthy" >&2
	cat "$T"/n*.log >&2
	return 1
}

# the servers as ec-nats takes them
urls() {
	local k s=
	for k in $(seq 1 "$1"); do s=$s${s:+,}nats://127.0.0.1:${NP[$k]}; done
	echo "$s"
}

# same FILE OUT HOST: OUT holds FILE's records, in order, each with host HOST
# (ec-nats pub's own heartbeats left out)
same() {
	ec-dump < "$1" > "$T/want.txt"
	run sh -c "ec-dump --json < '$2' | jq -r .host | sort -u"
	assert_output "$3"
	ec-dump < "$2" | grep -v 'origin=ec-nats pub' |
		sed -E "s/ host=$3\b//; s/^-- ([a-z]+) host=$3 /-- \1 /" > "$T/got.txt"
	diff -q "$T/want.txt" "$T/got.txt"
}

@test "one node: records go through whole and in order, each with its host; pub heartbeats count them" {
	nats_node 1 1
	nats_healthy 1
	run ec-nats pub --server "$(urls 1)" --create --host web1 < "$A"
	assert_success
	assert_output --partial "created stream EC"
	assert_output --partial "4000 records read; 4001 acknowledged"
	ec-nats sub 'ec.>' --server "$(urls 1)" --idle 1s > "$T/out.pb" 2> "$T/sub.err"
	grep -q '4001 records written, 0 duplicates dropped, 0 out of order, 0 gaps' "$T/sub.err"
	same "$A" "$T/out.pb" web1
	# subjects by host and module; the host in JSON; the pub's closing heartbeat
	ec-nats sub 'ec.web1.heartbeat' --server "$(urls 1)" --idle 1s > "$T/hb.pb"
	ec-dump --json < "$T/hb.pb" | jq -e -s 'length == 1 and .[0].host == "web1" and
		.[0].heartbeat_payload.origin == "ec-nats pub" and .[0].heartbeat_payload.count == 4000'
	ec-nats sub 'ec.*.openssl' --server "$(urls 1)" --idle 1s | ec-dump --json |
		jq -r '.event_payload.source' | sort -u > "$T/src.txt"
	[ "$(cat "$T/src.txt")" = SOURCE_OPENSSL ]
	# --from-seq and --since start where they say
	run sh -c "ec-nats sub 'ec.>' --server '$(urls 1)' --from-seq 4000 --idle 1s 2>/dev/null | ec-dump | grep -c ."
	[ "$output" -ge 2 ] && [ "$output" -le 40 ]
	ec-nats sub 'ec.>' --server "$(urls 1)" --since 1h --idle 1s --count 5 > "$T/s.pb"
	[ "$(ec-dump --json < "$T/s.pb" | grep -c .)" = 5 ]
	run sh -c "ec-nats sub 'ec.>' --server '$(urls 1)' --since 2200-01-01T00:00:00Z --idle 1s 2>/dev/null | wc -c"
	assert_output 0
}

@test "two hosts publishing at once: one subscriber shows both, each host's records in order; exchanges keep hosts apart" {
	nats_node 1 1
	nats_healthy 1
	ec-nats pub --server "$(urls 1)" --create --heartbeat 0 < /dev/null 2>/dev/null
	# the same parsed capture from two hosts: the same exchange ids from each
	$PACE "$BATS_FILE_TMPDIR/a.parsed.pb" --rate 2000000 |
		ec-nats pub --server "$(urls 1)" --host alpha --heartbeat 0 2> "$T/p1.err" &
	local p1=$!
	$PACE "$BATS_FILE_TMPDIR/a.parsed.pb" --rate 2000000 |
		ec-nats pub --server "$(urls 1)" --host beta.example.com --heartbeat 0 2> "$T/p2.err" &
	local p2=$!
	# the subscriber runs while they publish
	ec-nats sub 'ec.>' --server "$(urls 1)" --idle 3s > "$T/out.pb" 2> "$T/sub.err" &
	local s=$!
	wait "$p1" "$p2"
	wait "$s"
	ec-dump --json < "$T/out.pb" | jq -r .host | sort | uniq -c > "$T/hosts.txt"
	n=$(ec-dump --json < "$BATS_FILE_TMPDIR/a.parsed.pb" | grep -c .)
	grep -Eq "^ *$n alpha$" "$T/hosts.txt"
	grep -Eq "^ *$n beta.example.com$" "$T/hosts.txt"
	# each host's records, in the order that host published them
	ec-nats sub 'ec.alpha.>' --server "$(urls 1)" --idle 1s > "$T/alpha.pb"
	same "$BATS_FILE_TMPDIR/a.parsed.pb" "$T/alpha.pb" alpha
	# (a host name with dots is one subject token: beta_example_com)
	ec-nats sub 'ec.beta_example_com.>' --server "$(urls 1)" --idle 1s > "$T/beta.pb"
	same "$BATS_FILE_TMPDIR/a.parsed.pb" "$T/beta.pb" beta.example.com
	# ec-dump --exchanges pairs within a host: as many exchanges as one host, twice
	ec-dump --exchanges < "$BATS_FILE_TMPDIR/a.parsed.pb" > "$T/one.txt"
	ec-dump --exchanges < "$T/out.pb" > "$T/both.txt"
	[ "$(grep -c '^[0-9]' "$T/both.txt")" = "$((2 * $(grep -c '^[0-9]' "$T/one.txt")))" ]
	[ "$(grep -c ' alpha ' "$T/both.txt")" = "$(grep -c '^[0-9]' "$T/one.txt")" ]
	! grep -q ' - - -$' "$T/both.txt" || grep -q ' - - -$' "$T/one.txt"
}

@test "three-node cluster, replicas 3: the stream leader SIGKILLed mid-stream and restarted; a durable subscriber stopped and restarted; every record exactly once, in order" {
	for i in 1 2 3; do nats_node $i 3; done
	nats_healthy 3
	S=$(urls 3)
	run ec-nats pub --server "$S" --create --replicas 3 --heartbeat 0 < /dev/null
	assert_success
	assert_output --partial "3 replicas"
	# about 4 s of publishing
	$PACE "$A" --rate 800000 | ec-nats pub --server "$S" --host h1 --heartbeat 1 --ack-wait 1s \
		2> "$T/pub.err" &
	local pub=$!
	ec-nats sub 'ec.>' --server "$S" --durable viewer > "$T/out1.pb" 2> "$T/sub1.err" &
	local sub=$!
	sleep 1.2
	leader=$(curl -s "http://127.0.0.1:${NM[1]}/jsz?accounts=true&streams=true" |
		jq -r '.account_details[0].stream_detail[0].cluster.leader')
	i=${leader#n}
	[ "$i" -ge 1 ] && [ "$i" -le 3 ]
	kill -KILL "$(cat "$T/n$i.pid")"
	sleep 0.6
	# the subscriber stops (SIGTERM) while the cluster has one node down
	kill -TERM "$sub"
	wait "$sub"
	sleep 1.5
	nats_node "$i" 3
	wait "$pub"
	grep -q '4000 records read' "$T/pub.err"
	grep -q ' 0 refused, 0 dropped, 0 awaiting' "$T/pub.err"
	ec-nats sub 'ec.>' --server "$S" --durable viewer --idle 3s > "$T/out2.pb" 2> "$T/sub2.err"
	cat "$T/out1.pb" "$T/out2.pb" > "$T/out.pb"
	grep -q ' 0 gaps' "$T/sub2.err"
	same "$A" "$T/out.pb" h1
	# the heartbeats said what the publisher went through
	ec-dump < "$T/out.pb" | grep 'origin=ec-nats pub' | grep -Eq ' [1-9][0-9]* resent'
}

@test "the server away: pub holds the records, says so, reconnects by itself; --spill keeps order; --drop-when-full counts loss" {
	nats_node 1 1
	nats_healthy 1
	ec-nats pub --server "$(urls 1)" --create --heartbeat 0 < /dev/null 2>/dev/null
	kill -KILL "$(cat "$T/n1.pid")"
	# blocking (default) and spilling publishers, started with no server
	$PACE "$A" --rate 4000000 | ec-nats pub --server "$(urls 1)" --host hold --heartbeat 0 \
		--buffer 64k 2> "$T/hold.err" &
	local p1=$!
	$PACE "$A" --rate 4000000 | ec-nats pub --server "$(urls 1)" --host spill --heartbeat 0 \
		--buffer 64k --spill "$T/spill.pb" 2> "$T/spill.err" &
	local p2=$!
	ec-gen --seed 9 --records 3000 |
		ec-nats pub --server "$(urls 1)" --host drop --heartbeat 0 --buffer 1M \
			--drop-when-full 2> "$T/drop.err" &
	local p3=$!
	wait_log "$T/hold.err" 'no server answers yet' 100
	sleep 1.5
	# the spill file holds records while the server is away
	[ -s "$T/spill.pb" ]
	nats_node 1 1
	wait "$p1" "$p2" "$p3"
	grep -q '4000 records read; 4000 acknowledged' "$T/hold.err"
	grep -q '4000 records read; 4000 acknowledged.* [1-9][0-9]* spilled (0 waiting' "$T/spill.err"
	[ ! -e "$T/spill.pb" ]
	dropped=$(grep -o '[0-9]* dropped' "$T/drop.err")
	dropped=${dropped% dropped}
	[ "$dropped" -gt 0 ]
	ec-nats sub 'ec.hold.>' --server "$(urls 1)" --idle 1s > "$T/hold.pb"
	same "$A" "$T/hold.pb" hold
	ec-nats sub 'ec.spill.>' --server "$(urls 1)" --idle 1s > "$T/spill.out"
	same "$A" "$T/spill.out" spill
	# what was not dropped came in order: a subsequence of the input
	ec-nats sub 'ec.drop.>' --server "$(urls 1)" --idle 1s > "$T/drop.pb" 2> "$T/dsub.err"
	got=$(ec-dump --json < "$T/drop.pb" | grep -c .)
	echo "records through: $got, dropped: $dropped"
	[ "$got" -gt 1 ] && [ "$got" = "$((3000 - dropped))" ]
	grep -q ' 0 out of order' "$T/dsub.err"
}

@test "credentials: user and password, token, NKey, TLS with the test's CA; wrong ones are one-line errors" {
	make_cert "$T" -addext subjectAltName=IP:127.0.0.1,DNS:localhost
	nats_node 1 1 --user ec --pass s3cret
	nats_healthy 1
	run ec-nats pub --server "$(urls 1)" --create --user ec --password wrong < /dev/null
	assert_failure 1
	assert_output --regexp 'cannot connect to .*: Authorization Violation \(check --user'
	[ "${#lines[@]}" = 1 ]
	run ec-nats pub --server "$(urls 1)" --create --user ec --password s3cret --host u < "$A"
	assert_success
	run sh -c "ec-nats sub 'ec.>' --server nats://ec:s3cret@127.0.0.1:${NP[1]} --idle 1s 2>/dev/null | ec-dump | grep -c host=u"
	[ "$output" -gt 1000 ]
	kill -TERM "$(cat "$T/n1.pid")"
	sleep 0.3
	rm -rf "$T/store1"
	nats_node 1 1 --auth tok3n --tls --tlscert "$T/cert.pem" --tlskey "$T/key.pem"
	nats_healthy 1
	run ec-nats pub --server "tls://127.0.0.1:${NP[1]}" --create --token tok3n < "$A"
	assert_failure 1
	assert_output --partial 'cannot connect'
	ec-nats pub --server "tls://127.0.0.1:${NP[1]}" --tls-ca "$T/cert.pem" --create \
		--token tok3n --host t < "$A" 2>/dev/null
	run sh -c "ec-nats sub 'ec.t.>' --server tls://127.0.0.1:${NP[1]} --tls-ca '$T/cert.pem' --token tok3n --idle 1s 2>/dev/null | ec-dump | grep -c host=t"
	[ "$output" -gt 1000 ]
	# an NKey user (made by the test: ed25519 in the nkeys encoding)
	kill -TERM "$(cat "$T/n1.pid")"
	sleep 0.3
	pub=$($PY "$EC_ROOT/tests/py/nkey.py" "$T/seed")
	$PY "$EC_ROOT/tests/py/nkey.py" "$T/other" >/dev/null
	printf 'authorization { users = [ { nkey: %s } ] }\n' "$pub" > "$T/nk.conf"
	nats_node 1 1 -c "$T/nk.conf"
	nats_healthy 1
	run ec-nats pub --server "$(urls 1)" --create --nkey "$pub" --nkey-seed "$T/other" < "$A"
	assert_failure 1
	assert_output --partial 'Authorization Violation'
	ec-nats pub --server "$(urls 1)" --nkey "$pub" --nkey-seed "$T/seed" --host k < "$A" 2>/dev/null
	run sh -c "ec-nats sub 'ec.k.>' --server '$(urls 1)' --nkey '$pub' --nkey-seed '$T/seed' --idle 1s 2>/dev/null | ec-dump | grep -c host=k"
	[ "$output" -gt 1000 ]
}

@test "bad input and usage: one-line errors, exit codes, nothing published lost; foreign messages skipped" {
	nats_node 1 1
	nats_healthy 1
	run ec-nats pub --server "$(urls 1)" < "$A"
	assert_failure 1
	assert_output --partial 'no stream EC: add --create'
	run ec-nats sub 'ec.>' --since yesterday
	assert_failure 2
	assert_output --partial "--since: 'yesterday' is not a time"
	run ec-nats sub 'ec.>' --gap-wait 40s
	assert_failure 2
	assert_output --partial 'longer than --gap-wait'
	run ec-nats sub
	assert_failure 2
	run ec-nats pub 'ec.*.x'
	assert_failure 2
	run ec-nats pub --tls-cert /nonexistent
	assert_failure 2
	assert_output --partial 'needs --tls-key'
	run ec-nats pub --user a
	assert_failure 2
	run ec-nats frob
	assert_failure 2
	run ec-nats pub --server "$(urls 1)" --max-age 7x
	assert_failure 2
	assert_output --partial "--max-age: '7x' is not a duration"
	# a stream cut inside a record: what came before is published, the error says where
	head -c 100000 "$A" > "$T/cut.pb"
	run ec-nats pub --server "$(urls 1)" --create --host cut --heartbeat 0 < "$T/cut.pb"
	assert_failure 1
	assert_output --regexp 'offset [0-9]+'
	n=$(ec-dump < "$T/cut.pb" 2>/dev/null | grep -c '^-- \|^20' || true)
	got=$(ec-nats sub 'ec.cut.>' --server "$(urls 1)" --idle 1s | ec-dump | grep -c '^-- \|^20')
	[ "$got" = "$n" ]
	# records over the server's max_payload: refused, counted, told once, exit 1
	kill -TERM "$(cat "$T/n1.pid")"
	sleep 0.3
	echo 'max_payload: 2048' > "$T/mp.conf"
	nats_node 1 1 -c "$T/mp.conf"
	nats_healthy 1
	run --separate-stderr ec-nats pub --server "$(urls 1)" --host big --heartbeat 0 < "$A"
	assert_failure 1
	[ "$(grep -c 'a record was refused: record of [0-9]* bytes refused: .*greater than maximum allowed: 2048' <<<"$stderr")" = 1 ]
	refused=$(grep -o '[0-9]* refused,' <<<"$stderr" | grep -o '[0-9]*')
	[ "$refused" -gt 0 ]
	got=$(ec-nats sub 'ec.big.>' --server "$(urls 1)" --idle 1s 2>/dev/null | ec-dump --json | grep -c .)
	[ "$got" = "$((4000 - refused))" ]
	# a message that is not a record, from another NATS client, on a subject of ours
	P=${NP[1]} timeout 5 bash -c 'exec 5<>"/dev/tcp/127.0.0.1/$P"
		printf "CONNECT {\"verbose\":false}\r\nPUB ec.rogue.log 5\r\nhello\r\nPING\r\n" >&5
		grep -q -m1 PONG <&5'
	ec-nats sub 'ec.rogue.>' --server "$(urls 1)" --idle 1s > "$T/r.pb" 2> "$T/r.err"
	grep -q 'is not a record: skipped' "$T/r.err"
	[ ! -s "$T/r.pb" ]
	# a host that is not UTF-8 on the wire goes out fixed (a stock decoder reads it)
	printf '\x0c\x08\x01\x22\x03abc\x92\x01\x02\xff\xfe' > "$T/badhost.pb"
	ec-nats pub --server "$(urls 1)" --heartbeat 0 ec.bad.log < "$T/badhost.pb" 2>/dev/null
	ec-nats sub 'ec.bad.>' --server "$(urls 1)" --idle 1s > "$T/bad.out"
	run $PY "$EC_ROOT/tests/py/hostile.py" check "$T/bad.out"
	assert_output --partial '"records": 1, "undecodable": 0'
	ec-dump < "$T/bad.out" | grep -q 'host=��'
}
