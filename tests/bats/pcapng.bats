#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# ec-dump --pcapng / --keylog: Wireshark's own reader (tshark, capinfos,
# editcap) checks what we write. Expected values come from the same records
# through an independent path (ec-dump --json + tests/py/pcapng_expect.py).

load helpers

# ec-gen's TLS streams use ports 443 and 8443. Wireshark finds HTTP/1.1 there
# by itself; HTTP/2 needs the HTTP dissector (it hands the h2 preface on).
DECODE=(-d tcp.port==443,http -d tcp.port==8443,http)

setup_file() {
	local d=$BATS_FILE_TMPDIR
	ec-gen --seed 11 --total-conns 40 --h2 0 --v6 30 --max-body 6000 > "$d/h1.pb"
	ec-gen --seed 12 --total-conns 30 --h2 100 --v6 30 --max-body 6000 > "$d/h2.pb"
	ec-gen --seed 13 --total-conns 60 --h2 50 --v6 30 --max-body 20000 --binary > "$d/mix.pb"
}

expect() { # expect WHAT FILE: the independent expectation, sorted
	ec-dump --json "$2" | /usr/bin/python3 "$EC_ROOT/tests/py/pcapng_expect.py" "$1" | sort
}

ts() { # tshark without its root warning on stderr
	tshark "$@" 2>/dev/null
}

@test "HTTP/1.1: tshark lists every request URI, capinfos reads the file" {
	f=$BATS_TEST_TMPDIR/h1.pcapng
	run ec-dump --pcapng "$f" "$BATS_FILE_TMPDIR/h1.pb"
	assert_success
	assert_output ""
	want=$(expect uris "$BATS_FILE_TMPDIR/h1.pb")
	[ "$(echo "$want" | wc -l)" -gt 40 ]
	got=$(ts -r "$f" -Y http.request -T fields -e http.request.uri | sort)
	[ "$got" = "$want" ]
	# the same without any decode-as: Wireshark finds HTTP on 443/8443 itself
	run capinfos -t -E -I "$f"
	assert_success
	assert_output --partial "pcapng"
	assert_output --partial "Ethernet"
	assert_output --partial "Number of interfaces in file: 1"
}

@test "HTTP/2: tshark shows every request's :path (decode-as http on 443/8443)" {
	f=$BATS_TEST_TMPDIR/h2.pcapng
	ec-dump --pcapng "$f" "$BATS_FILE_TMPDIR/h2.pb"
	want=$(expect paths "$BATS_FILE_TMPDIR/h2.pb")
	[ "$(echo "$want" | wc -l)" -gt 30 ]
	got=$(ts -r "$f" "${DECODE[@]}" -Y 'http2.header' -T fields -e http2.headers.path |
		tr , '\n' | sed '/^$/d' | sort)
	[ "$got" = "$want" ]
}

@test "no malformed packets, no bad checksums, no TCP sequence problems" {
	for s in h1 h2 mix; do
		f=$BATS_TEST_TMPDIR/$s.pcapng
		ec-dump --pcapng "$f" "$BATS_FILE_TMPDIR/$s.pb"
		run ts -r "$f" "${DECODE[@]}" -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE \
			-Y '_ws.malformed || tcp.checksum.status == 0 || ip.checksum.status == 0 || tcp.analysis.flags'
		assert_success
		assert_output ""
		run ts -r "$f" -Y '_ws.malformed'
		assert_output ""
		# every connection: handshake, and a FIN from each side at its close marker
		conns=$(ec-dump --json "$BATS_FILE_TMPDIR/$s.pb" | jq -s '[.[] | select(.event_payload.closed)] | length')
		[ "$(ts -r "$f" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 0' | wc -l)" -eq "$conns" ]
		[ "$(ts -r "$f" -Y 'tcp.flags.fin == 1' | wc -l)" -eq $((2 * conns)) ]
	done
}

@test "every packet's comment names its process; the pids are the stream's" {
	f=$BATS_TEST_TMPDIR/mix.pcapng
	ec-dump --pcapng "$f" "$BATS_FILE_TMPDIR/mix.pb"
	run ts -r "$f" -T fields -e frame.comment
	assert_success
	n=$(echo "$output" | wc -l)
	[ "$n" -eq "$(ts -r "$f" | wc -l)" ]
	[ "$(echo "$output" | grep -Ec '^pid=[0-9]+ tid=[0-9]+ comm=[a-z0-9]+ uid=[0-9]+ fd=[0-9]+ source=openssl conn=[0-9]+$')" -eq "$n" ]
	got=$(echo "$output" | sed 's/^pid=\([0-9]*\) .*/\1/' | sort -u)
	[ "$got" = "$(expect pids "$BATS_FILE_TMPDIR/mix.pb" | sort -u)" ]
}

@test "--pid keeps one process's connections; key-log records still pass" {
	f=$BATS_TEST_TMPDIR/one.pcapng
	pid=$(expect pids "$BATS_FILE_TMPDIR/mix.pb" | head -1)
	ec-dump --pid "$pid" --pcapng "$f" --keylog "$BATS_TEST_TMPDIR/k" "$BATS_FILE_TMPDIR/mix.pb"
	[ "$(ts -r "$f" -T fields -e frame.comment | sed 's/ .*//' | sort -u)" = "pid=$pid" ]
	[ "$(wc -l < "$BATS_TEST_TMPDIR/k")" -eq "$(expect keys "$BATS_FILE_TMPDIR/mix.pb" | wc -l)" ]
}

@test "--keylog writes the NSS key log; the same keys are in a Decryption Secrets Block" {
	f=$BATS_TEST_TMPDIR/k.pcapng
	k=$BATS_TEST_TMPDIR/keys.log
	run ec-dump --pcapng "$f" --keylog "$k" "$BATS_FILE_TMPDIR/mix.pb"
	assert_success
	want=$(ec-dump --json "$BATS_FILE_TMPDIR/mix.pb" | jq -r 'select(.record_kind == "RECORD_KIND_KEYLOG") | .run_log')
	[ "$(cat "$k")" = "$want" ]
	[ "$(wc -l < "$k")" -eq 60 ]
	# dropping the secrets shrinks the file by at least the key bytes
	editcap --discard-all-secrets "$f" "$BATS_TEST_TMPDIR/nokeys.pcapng"
	full=$(stat -c %s "$f")
	bare=$(stat -c %s "$BATS_TEST_TMPDIR/nokeys.pcapng")
	[ $((full - bare)) -ge "$(stat -c %s "$k")" ]
	# --keylog alone: no pcapng, no text
	run ec-dump --keylog "$BATS_TEST_TMPDIR/k2" "$BATS_FILE_TMPDIR/mix.pb"
	assert_success
	assert_output ""
	cmp "$k" "$BATS_TEST_TMPDIR/k2"
}

@test "'-' is stdout: ec-dump --pcapng - | tshark -r - works" {
	run bash -c "ec-dump --pcapng - < '$BATS_FILE_TMPDIR/h1.pb' | tshark -r - -Y http.request -T fields -e http.request.uri 2>/dev/null | sort"
	assert_success
	[ "$output" = "$(expect uris "$BATS_FILE_TMPDIR/h1.pb")" ]
	# same bytes from a file input whatever the output is
	ec-dump --pcapng "$BATS_TEST_TMPDIR/a" "$BATS_FILE_TMPDIR/mix.pb"
	ec-dump --pcapng - "$BATS_FILE_TMPDIR/mix.pb" | cat > "$BATS_TEST_TMPDIR/b"
	cmp "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
}

@test "live (pipe in, pipe out): a fast pipe gives the same packets as the file" {
	run bash -c "cat '$BATS_FILE_TMPDIR/h1.pb' | ec-dump --pcapng - | tshark -r - -Y 'http.request || _ws.malformed' -T fields -e http.request.uri 2>/dev/null | sort"
	assert_success
	[ "$output" = "$(expect uris "$BATS_FILE_TMPDIR/h1.pb")" ]
	cat "$BATS_FILE_TMPDIR/mix.pb" | ec-dump --pcapng - | cat > "$BATS_TEST_TMPDIR/live"
	ec-dump --pcapng "$BATS_TEST_TMPDIR/file" "$BATS_FILE_TMPDIR/mix.pb"
	cmp "$BATS_TEST_TMPDIR/live" "$BATS_TEST_TMPDIR/file"
}

@test "truncated input: exit 1 naming the offset; the pcapng so far is valid" {
	src=$BATS_FILE_TMPDIR/mix.pb
	size=$(stat -c %s "$src")
	head -c $((size / 2)) "$src" > "$BATS_TEST_TMPDIR/cut.pb"
	f=$BATS_TEST_TMPDIR/cut.pcapng
	run --separate-stderr ec-dump --pcapng "$f" "$BATS_TEST_TMPDIR/cut.pb"
	assert_failure 1
	[[ $stderr =~ at\ byte\ offset\ [0-9]+:\ input\ ends\ inside\ a\ record ]]
	run capinfos -c "$f"
	assert_success
	n=$(echo "$output" | awk '/Number of packets/ {print $NF}')
	[ "$n" -gt 100 ]
	run ts -r "$f" "${DECODE[@]}" -Y _ws.malformed
	assert_success
	assert_output ""
}

@test "garbage input: exit 1 at offset 0; the output is an empty but valid pcapng" {
	printf 'this is not a record stream\n' > "$BATS_TEST_TMPDIR/g.pb"
	f=$BATS_TEST_TMPDIR/g.pcapng
	run --separate-stderr ec-dump --pcapng "$f" "$BATS_TEST_TMPDIR/g.pb"
	assert_failure 1
	[[ $stderr == *"record 0 at byte offset 0"* ]]
	run capinfos -c "$f"
	assert_success
	assert_output --regexp 'Number of packets: +0'
}

@test "bad output paths and rendered events are explained" {
	run --separate-stderr ec-dump --pcapng /nonexistent/dir/x.pcapng "$BATS_FILE_TMPDIR/h1.pb"
	assert_failure 1
	[[ $stderr == *"--pcapng /nonexistent/dir/x.pcapng: No such file or directory"* ]]
	run --separate-stderr ec-dump --keylog /nonexistent/k "$BATS_FILE_TMPDIR/h1.pb"
	assert_failure 1
	[[ $stderr == *"--keylog /nonexistent/k"* ]]
	run --separate-stderr ec-dump --pcapng /dev/full "$BATS_FILE_TMPDIR/h1.pb"
	assert_failure 1
	[[ $stderr == *"writing /dev/full: No space left on device"* ]]
	run --separate-stderr ec-dump --pcapng - --keylog - "$BATS_FILE_TMPDIR/h1.pb"
	assert_failure 1
	[[ $stderr == *"only one of them can be stdout"* ]]
	run ec-dump --pcapng
	assert_failure 2
	run ec-dump --help
	assert_output --partial "--pcapng OUT"
}
