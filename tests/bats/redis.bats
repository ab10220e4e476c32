#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# ec-parse's Redis decoder on a real server: redis-server with TLS only (a
# certificate made here) on 127.0.0.1, used by redis-cli --tls (pipelined
# commands, RESP3, pub/sub) while ec-capture tls records the clients and
# the server; the same without TLS through ec-capture sock. Needs root.

load helpers

setup_file() {
	[ "$(id -u)" = 0 ] && command -v redis-server >/dev/null || return 0
	local d=$BATS_FILE_TMPDIR port
	make_cert "$d"
	port=$(free_port)
	redis-server --port 0 --tls-port "$port" --bind 127.0.0.1 --tls-cert-file "$d/cert.pem" \
		--tls-key-file "$d/key.pem" --tls-ca-cert-file "$d/cert.pem" --tls-auth-clients no \
		--save '' --appendonly no --dir "$d" >"$d/redis.log" 2>&1 3>&- &
	echo $! >"$d/redis.pid"
	wait_port "$port" && echo "$port" >"$d/port"
}

teardown_file() {
	local p
	p=$(cat "$BATS_FILE_TMPDIR/redis.pid" 2>/dev/null) || return 0
	kill -TERM "$p" 2>/dev/null || return 0
	for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$p" 2>/dev/null || true
}

need_redis() {
	[ -f "$BATS_FILE_TMPDIR/port" ] || skip "no redis-server (redis-server not installed?)"
	PORT=$(cat "$BATS_FILE_TMPDIR/port")
	T=$BATS_TEST_TMPDIR
}

rcli() {
	redis-cli --tls --cacert "$BATS_FILE_TMPDIR/cert.pem" -h 127.0.0.1 -p "$PORT" "$@"
}

# each --exchanges line: ... STATEMENT -> SUMMARY REQB RESPB FIRST LAST (a '"' in
# the statement is escaped, as in every name ec-dump shows: '..' below)
LAT=' [0-9]+ [0-9]+ [0-9]+\.[0-9]{3}ms [0-9]+\.[0-9]{3}ms$'

@test "redis: pipelined commands through TLS, each paired with its reply, summary and latency (client and server views)" {
	require_root
	need_redis
	cap_start -t redis-cli,redis-server
	# --pipe writes every command before it reads a reply
	printf '*3\r\n$3\r\nSET\r\n$6\r\npipe-k\r\n$5\r\nhello\r\n*2\r\n$3\r\nGET\r\n$6\r\npipe-k\r\n*2\r\n$4\r\nINCR\r\n$6\r\npipe-k\r\n*5\r\n$5\r\nRPUSH\r\n$6\r\npipe-l\r\n$1\r\na\r\n$3\r\nb c\r\n$1\r\nd\r\n*4\r\n$6\r\nLRANGE\r\n$6\r\npipe-l\r\n$1\r\n0\r\n$2\r\n-1\r\n*2\r\n$3\r\nGET\r\n$7\r\nno-such\r\n' |
		rcli --pipe >"$T/pipe.out" || true # (exit 1: one command failed)
	grep -q 'errors: 1, replies: 6' "$T/pipe.out"
	run rcli -3 HGETALL no-such-hash
	run rcli -3 HSET pipe-h f v
	run rcli -3 --no-raw HGETALL pipe-h
	assert_output '1# "f" => "v"'
	cap_stop
	ec-parse <"$T/out.pb" | ec-dump --exchanges >"$T/x.txt"
	cat "$T/x.txt" >&3
	for who in 'redis-cli\([0-9]+\)' 'redis-server\([0-9]+\)'; do
		at="^[^ ]+ $who redis 127\.0\.0\.1:$PORT"
		grep -Eq "$at SET pipe-k hello -> OK$LAT" "$T/x.txt"
		grep -Eq "$at GET pipe-k -> 5 bytes$LAT" "$T/x.txt"
		grep -Eq "$at INCR pipe-k -> ERR value is not an integer or out of range$LAT" "$T/x.txt"
		grep -Eq "$at RPUSH pipe-l a ..b c.. d -> \(integer\) 3$LAT" "$T/x.txt"
		grep -Eq "$at LRANGE pipe-l 0 -1 -> 3 items$LAT" "$T/x.txt"
		grep -Eq "$at GET no-such -> nil$LAT" "$T/x.txt"
		grep -Eq "$at HGETALL pipe-h -> 1 pair$LAT" "$T/x.txt"
	done
	# the INCR failed, the others did not; every request got its answer
	run sh -c "ec-parse <'$T/out.pb' | ec-dump --exchanges --status error | grep -c 'redis-cli.* INCR pipe-k'"
	assert_output 1
	run sh -c "ec-parse <'$T/out.pb' | ec-dump --exchanges --status none | grep -c redis"
	assert_output 0
	# the replies read like redis-cli
	ec-parse <"$T/out.pb" | ec-dump -e >"$T/d.txt"
	grep -A3 'redis-cli.*redis-response.*summary="3 items"' "$T/d.txt" | tail -3 >"$T/arr.txt"
	run cat "$T/arr.txt"
	assert_output $'1) "a"\n2) "b c"\n3) "d"'
	grep -A1 'redis-cli.*redis-response.*summary="1 pair"' "$T/d.txt" | grep -qx '1# "f" => "v"'
	grep -A1 'redis-cli.*redis-response.*failed' "$T/d.txt" | grep -qx '(error) ERR value is not an integer or out of range'
}

@test "redis: pub/sub through TLS: SUBSCRIBE and PUBLISH paired, the message a push on the subscriber's connection" {
	require_root
	need_redis
	cap_start -t redis-cli
	bg_start sh -c "exec redis-cli --tls --cacert '$BATS_FILE_TMPDIR/cert.pem' -h 127.0.0.1 -p $PORT SUBSCRIBE ec-news >'$T/sub.out'"
	for _ in $(seq 1 100); do grep -q ec-news "$T/sub.out" 2>/dev/null && break; sleep 0.05; done
	run rcli PUBLISH ec-news 'hello subscribers'
	assert_output 1
	for _ in $(seq 1 100); do grep -q 'hello subscribers' "$T/sub.out" && break; sleep 0.05; done
	cap_stop
	ec-parse <"$T/out.pb" >"$T/parsed.pb"
	ec-dump --exchanges "$T/parsed.pb" >"$T/x.txt"
	cat "$T/x.txt" >&3
	grep -Eq "redis 127\.0\.0\.1:$PORT SUBSCRIBE ec-news -> 3 items$LAT" "$T/x.txt"
	grep -Eq "redis 127\.0\.0\.1:$PORT PUBLISH ec-news ..hello subscribers.. -> \(integer\) 1$LAT" "$T/x.txt"
	# the message: a response of no exchange, on the subscriber's connection
	run sh -c "ec-dump --json -e '$T/parsed.pb' | jq -r '.event_payload | select(.type == 13 and .note == \"push\") | [.summary, (.exchange_id // 0)] | @tsv'"
	assert_output $'message ec-news\t0'
	run sh -c "ec-dump -e '$T/parsed.pb' | grep -A3 'note=\"push\"' | tail -3"
	assert_output $'1) "message"\n2) "ec-news"\n3) "hello subscribers"'
}

@test "redis: a 2 MiB value (past --max-buffer) read as it comes through TLS: paired, its size, its text cut at --max-body" {
	require_root
	need_redis
	head -c 2097152 /dev/zero | tr '\0' v >"$T/big"
	cap_start -t redis-cli
	run rcli -x SET big-k <"$T/big"
	assert_output OK
	rcli GET big-k >"$T/got"
	run rcli STRLEN big-k
	assert_output 2097152
	cap_stop
	ec-parse --max-body 64k <"$T/out.pb" >"$T/parsed.pb"
	ec-dump --exchanges "$T/parsed.pb" >"$T/x.txt"
	cut -c1-200 "$T/x.txt" >&3
	grep -Eq "redis 127\.0\.0\.1:$PORT SET big-k ..vvvv.* -> OK$LAT" "$T/x.txt"
	grep -Eq "redis 127\.0\.0\.1:$PORT GET big-k -> 2097152 bytes$LAT" "$T/x.txt"
	grep -Eq "redis 127\.0\.0\.1:$PORT STRLEN big-k -> \(integer\) 2097152$LAT" "$T/x.txt"
	# the reply's text: 64 KiB of the 2 MiB, and the record says so
	run sh -c "ec-dump --json -e '$T/parsed.pb' | jq -r '.event_payload | select(.type == 13 and .summary == \"2097152 bytes\") | [.truncated, .orig_length, .length] | @tsv'"
	assert_output $'true\t2097164\t65536'
	# nothing went out untyped
	run sh -c "ec-dump --json -e '$T/parsed.pb' | jq -r '.event_payload | select(.type == 0 and .length > 0) | .uuid' | wc -l"
	assert_output 0
}

@test "redis: without TLS through ec-capture sock: the same commands, replies and latencies" {
	require_root
	command -v redis-server >/dev/null || skip "redis-server not installed"
	T=$BATS_TEST_TMPDIR
	port=$(free_port)
	bg_start redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$T"
	wait_port "$port"
	mod_start sock --port "$port"
	redis-cli -p "$port" SET plain-k 'plain value' >/dev/null
	run redis-cli -p "$port" GET plain-k
	assert_output 'plain value'
	run redis-cli -p "$port" HINCRBY plain-k f 1
	mod_stop
	ec-parse <"$T/out.pb" | ec-dump --exchanges >"$T/x.txt"
	cat "$T/x.txt" >&3
	for who in 'redis-cli\([0-9]+\)' 'redis-server\([0-9]+\)'; do
		at="^[^ ]+ $who redis 127\.0\.0\.1:$port"
		grep -Eq "$at SET plain-k ..plain value.. -> OK$LAT" "$T/x.txt"
		grep -Eq "$at GET plain-k -> 11 bytes$LAT" "$T/x.txt"
		grep -Eq "$at HINCRBY plain-k f 1 -> WRONGTYPE .*$LAT" "$T/x.txt"
	done
}
