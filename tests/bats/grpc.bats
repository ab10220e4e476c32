#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# ec-parse's gRPC decoding on real peers: a Python gRPC server and client
# (python3-grpcio, the service defined in tests/py/grpc_peer.py, stubs made
# by grpc_tools.protoc) over TLS with a certificate made here, captured by
# ec-capture tls on the client: a unary call, a server-streaming call of
# three replies, a call failing NOT_FOUND; the messages without a schema and
# with --proto (the test's .proto, and a descriptor set made from it); and
# live, a server-streaming reply's first message through ec-parse while the
# call is still open. Needs root; run under /work/notes/capture.lock.

load helpers

setup_file() {
	[ "$(id -u)" = 0 ] && "$PY" -c 'import grpc, grpc_tools' 2>/dev/null || return 0
	make_cert "$BATS_FILE_TMPDIR"
	echo ok >"$BATS_FILE_TMPDIR/ready"
}

@test "grpc: unary, server-streaming and a failing call, each with its method, messages decoded without a schema, status and latency" {
	require_root
	[ -f "$BATS_FILE_TMPDIR/ready" ] || skip "python3-grpcio or python3-grpc-tools not installed"
	T=$BATS_TEST_TMPDIR
	cp "$BATS_FILE_TMPDIR"/cert.pem "$BATS_FILE_TMPDIR"/key.pem "$T/"
	port=$(free_port)
	bg_start "$PY" "$EC_ROOT/tests/py/grpc_peer.py" server "$T" "$port"
	wait_port "$port"
	# the client waits for the capture: it is told by its pid
	bg_start sh -c "exec '$PY' '$EC_ROOT/tests/py/grpc_peer.py' client '$T' $port '$T/go' >'$T/client.out'"
	client=$(cat "$BATS_TEST_TMPDIR/last.pid")
	cap_start --pid "$client"
	touch "$T/go"
	for _ in $(seq 1 200); do kill -0 "$client" 2>/dev/null || break; sleep 0.05; done
	cap_stop
	run cat "$T/client.out"
	assert_output $'hello ec\nhello ec #1\nhello ec #2\nhello ec #3\nerror NOT_FOUND no such person'
	ec-parse <"$T/out.pb" >"$T/parsed.pb"
	ec-dump --exchanges "$T/parsed.pb" >"$T/x.txt"
	cat "$T/x.txt" >&3
	lat=' [0-9]+ [0-9]+ [0-9]+\.[0-9]{3}ms [0-9]+\.[0-9]{3}ms$'
	at='^[^ ]+ python3\([0-9]+\) grpc localhost /ectest\.Greeter'
	grep -Eq "$at/SayHello -> OK$lat" "$T/x.txt"
	grep -Eq "$at/SayMany -> OK$lat" "$T/x.txt"
	grep -Eq "$at/SayHello -> NOT_FOUND: no such person$lat" "$T/x.txt"
	# the HTTP/2 records stay, beside the gRPC ones
	run grep -c ' POST localhost /ectest.Greeter/' "$T/x.txt"
	assert_output 3
	# the failure: its status, and the call's method
	run sh -c "ec-dump --json -e '$T/parsed.pb' | jq -r '.event_payload | select(.type == 7 and .failed) | [.status, .method, .path] | @tsv'"
	assert_output $'5\tSayHello\t/ectest.Greeter/SayHello'
	# the messages, as protoc --decode_raw shows them
	ec-dump -e "$T/parsed.pb" >"$T/d.txt"
	awk '/ grpc-request .*stream=3 / {p = 1; next} p && /^$/ {exit} p' "$T/d.txt" >"$T/req.txt"
	run cat "$T/req.txt"
	assert_output $'/ectest.Greeter/SayMany\nmessage 1 (6 bytes):\n  1: "ec"\n  2: 3'
	awk '/ grpc-response .*stream=3 / {p = 1; next} p && /^$/ {exit} p' "$T/d.txt" >"$T/resp.txt"
	run cat "$T/resp.txt"
	assert_output $'message 1 (15 bytes):\n  1: "hello ec #1"\n  2: 1\nmessage 2 (15 bytes):\n  1: "hello ec #2"\n  2: 2\nmessage 3 (15 bytes):\n  1: "hello ec #3"\n  2: 3\ngrpc-status: 0 OK'
	# with the schema: the .proto the peers were made from (protoc runs), and
	# a descriptor set made from it by grpc_tools
	"$PY" -m grpc_tools.protoc -I"$T" --include_imports --descriptor_set_out="$T/set.pb" \
		"$T/ectest.proto"
	for schema in "$T/ectest.proto" "$T/set.pb"; do
		ec-parse --proto "$schema" "$T/out.pb" | ec-dump -e >"$T/p.txt"
		awk '/ grpc-request .*stream=3 / {p = 1; next} p && /^$/ {exit} p' "$T/p.txt" >"$T/req.txt"
		run cat "$T/req.txt"
		assert_output $'/ectest.Greeter/SayMany\nmessage 1 (6 bytes, ectest.HelloRequest):\n  name: "ec"\n  times: 3'
		awk '/ grpc-response .*stream=1 / {p = 1; next} p && /^$/ {exit} p' "$T/p.txt" >"$T/resp.txt"
		run cat "$T/resp.txt"
		assert_output $'message 1 (12 bytes, ectest.HelloReply):\n  message: "hello ec"\n  n: 1\ngrpc-status: 0 OK'
	done
	run ec-parse --proto "$T/cert.pem" "$T/out.pb"
	assert_failure 2
	assert_output --partial 'not a FileDescriptorSet'
}

@test "grpc live: a server-streaming call's first reply comes out of ec-parse as a part while the call is open" {
	require_root
	[ -f "$BATS_FILE_TMPDIR/ready" ] || skip "python3-grpcio or python3-grpc-tools not installed"
	T=$BATS_TEST_TMPDIR
	cp "$BATS_FILE_TMPDIR"/cert.pem "$BATS_FILE_TMPDIR"/key.pem "$T/"
	port=$(free_port)
	bg_start "$PY" "$EC_ROOT/tests/py/grpc_peer.py" server "$T" "$port"
	wait_port "$port"
	bg_start sh -c "exec '$PY' '$EC_ROOT/tests/py/grpc_peer.py' live '$T' $port '$T/go' >'$T/client.out'"
	client=$(cat "$BATS_TEST_TMPDIR/last.pid")
	mkfifo "$T/cap"
	bg_start bash -c "exec <'$T/cap'; ec-parse | ec-dump >'$T/live.txt'"
	cap_bg capturing "$T/cap" ec-capture tls --pid "$client" --heartbeat 0
	touch "$T/go"
	# the first reply, as part 1 of the call's grpc-response, the call open
	for _ in $(seq 1 200); do grep -q 'hello slow #1' "$T/live.txt" && break; sleep 0.05; done
	grep -q ' grpc-response .*part=1 more' "$T/live.txt"
	grep -q '^  1: "hello slow #1"$' "$T/live.txt"
	! grep -q 'hello slow #2' "$T/live.txt"
	kill -0 "$client"
	touch "$T/release"
	for _ in $(seq 1 200); do kill -0 "$client" 2>/dev/null || break; sleep 0.05; done
	for _ in $(seq 1 200); do grep -q '^grpc-status: 0 OK' "$T/live.txt" && break; sleep 0.05; done
	grep ' grpc-' "$T/live.txt" >&3
	grep -Eq ' grpc-response .*part=[0-9]+ last.*summary="OK"' "$T/live.txt"
	grep -q '^  1: "hello slow #3"$' "$T/live.txt"
	cap_stop
	run cat "$T/client.out"
	assert_output $'hello slow #1\nhello slow #2\nhello slow #3'
}
