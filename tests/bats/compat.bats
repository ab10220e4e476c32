#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# Byte-level compatibility with an independent implementation: Debian's
# python3-protobuf and protoc, with code generated from proto/ecaptureq.proto.

load helpers

setup() {
	export PYGEN=$BATS_TEST_TMPDIR/pygen
	mkdir -p "$PYGEN"
	protoc --python_out="$PYGEN" -I "$EC_ROOT/proto" "$EC_ROOT/proto/ecaptureq.proto"
	# the common subset of both JSON views, for comparison
	norm='if .event_payload then .event_payload |= del(.time, .type_name) else . end | if .heartbeat_payload then .heartbeat_payload |= del(.time) else . end'
}

@test "our writer, their reader: python3-protobuf decodes every record the same" {
	f=$FIXTURES/gen-small.pb
	/usr/bin/python3 "$EC_ROOT/tests/py/roundtrip.py" ours "$f" | jq -S -c . > "$BATS_TEST_TMPDIR/py.json"
	ec-dump --json "$f" | jq -S -c "$norm" > "$BATS_TEST_TMPDIR/ec.json"
	[ -s "$BATS_TEST_TMPDIR/ec.json" ]
	run diff "$BATS_TEST_TMPDIR/py.json" "$BATS_TEST_TMPDIR/ec.json"
	assert_success
}

@test "their writer, our reader: records written by python3-protobuf round-trip" {
	/usr/bin/python3 "$EC_ROOT/tests/py/roundtrip.py" theirs "$BATS_TEST_TMPDIR/py.pb"
	run ec-dump "$BATS_TEST_TMPDIR/py.pb"
	assert_success
	assert_output --partial "written by python3-protobuf ✓"
	assert_output --partial "-- keylog CLIENT_RANDOM abab"
	assert_output --partial "count=42 lost=3 dropped=2 origin=python: ok"
	assert_output --partial "upstream(7/0)"
	/usr/bin/python3 "$EC_ROOT/tests/py/roundtrip.py" ours "$BATS_TEST_TMPDIR/py.pb" | jq -S -c . > "$BATS_TEST_TMPDIR/py.json"
	ec-dump --json "$BATS_TEST_TMPDIR/py.pb" | jq -S -c "$norm" > "$BATS_TEST_TMPDIR/ec.json"
	run diff "$BATS_TEST_TMPDIR/py.json" "$BATS_TEST_TMPDIR/ec.json"
	assert_success
}

@test "protoc --decode reads one of our records" {
	# first record of the fixture, without its 1-byte length prefix
	f=$FIXTURES/gen-small.pb
	len=$(od -An -tu1 -N1 "$f" | tr -d ' ')
	[ "$len" -lt 128 ]
	run bash -c "tail -c +2 '$f' | head -c $len | protoc --decode=event.LogEntry -I '$EC_ROOT/proto' '$EC_ROOT/proto/ecaptureq.proto'"
	assert_success
	assert_output --partial 'log_type: LOG_TYPE_PROCESS_LOG'
	assert_output --partial 'ec-gen: seed=7'
}

@test "a stock v1 schema (upstream fields only) still decodes our records" {
	# strip every ec extension from the .proto: what an unmodified eCaptureQ client has
	awk '/ec extensions/{skip=1} skip && /^}/{skip=0} !skip' "$EC_ROOT/proto/ecaptureq.proto" |
		sed '/^enum Source/,/^}/d;/^enum Direction/,/^}/d;/^enum RecordKind/,/^}/d' > "$BATS_TEST_TMPDIR/v1.proto"
	run grep -c 'conn_id\|record_kind' "$BATS_TEST_TMPDIR/v1.proto"
	assert_output "0"
	mkdir -p "$BATS_TEST_TMPDIR/v1"
	protoc --python_out="$BATS_TEST_TMPDIR/v1" -I "$BATS_TEST_TMPDIR" "$BATS_TEST_TMPDIR/v1.proto"
	run /usr/bin/python3 - "$BATS_TEST_TMPDIR/v1" "$FIXTURES/gen-small.pb" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import v1_pb2 as pb
from google.protobuf.internal.decoder import _DecodeVarint
d = open(sys.argv[2], "rb").read(); pos = 0; ev = 0
while pos < len(d):
    n, pos = _DecodeVarint(d, pos)
    e = pb.LogEntry(); e.ParseFromString(d[pos:pos + n]); pos += n
    if e.log_type == pb.LOG_TYPE_EVENT:
        assert e.event_payload.pid > 0 and e.event_payload.length == len(e.event_payload.payload)
        ev += 1
print("events", ev)
PY
	assert_success
	assert_output --regexp 'events [1-9][0-9]*'
}
