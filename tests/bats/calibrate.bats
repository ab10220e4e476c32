#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# Key offsets calibration (lib/capture/sslcal.h): the helper that runs the target's
# library is boxed in; a library that is no libssl, hangs, crashes, floods
# or hogs memory costs bounded time, leaves nothing running, and the capture
# goes on without keys, saying why.

load helpers

setup_file() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
		-subj /CN=localhost -keyout "$BATS_FILE_TMPDIR/key.pem" \
		-out "$BATS_FILE_TMPDIR/cert.pem" 2>/dev/null
	local m
	for m in PROBE HANG CRASH FLOOD HOG PLAIN; do
		cc -shared -fPIC -O1 -DMODE=MODE_$m "$EC_ROOT/tests/sslcal/hostile.c" \
			-o "$BATS_FILE_TMPDIR/${m,,}.so"
	done
}

teardown() {
	bg_stop_all
}

# the processes of uid nobody, one pid a line
nobody_pids() {
	ps -o pid= -u 65534 2>/dev/null | tr -d ' ' | sort
}

# ec-capture tls --check-keys for LIB, no cache: output and status in $output/$status
check_lib() {
	run --separate-stderr ec-capture tls --check-keys --keys-cache '' --no-keys-table \
		--libssl "$1"
}

@test "calibrate: the installed libssl, cold then cached, whatever its release" {
	require_root
	T=$BATS_TEST_TMPDIR
	run ec-capture tls --check-keys --keys-cache "$T/kc" --no-keys-table
	assert_success
	assert_line --regexp '^library .*libssl\.so\.3 \(OpenSSL 3\.'
	assert_line --regexp '^calibrated for build-id [0-9a-f]{40} in [0-9]+ ms: 48 key log lines of 16 SSL objects reproduced, cached in '
	assert_line --regexp '^row flags=0x[0-9a-f]+ version=[0-9]+ s3=[0-9]+ '
	row=$(grep '^row ' <<<"$output")
	ls "$T"/kc/build-id-*.row
	[ "$(stat -c %a "$T/kc")" = 700 ]
	run ec-capture tls --check-keys --keys-cache "$T/kc" --no-keys-table
	assert_success
	assert_line --regexp '^offsets cached for build-id [0-9a-f]{40} '
	assert_line "$row"
	# a cache file someone else could have written is not trusted
	chmod 666 "$T"/kc/build-id-*.row
	run ec-capture tls --check-keys --keys-cache "$T/kc" --no-keys-table
	assert_line --regexp '^calibrated for build-id '
}

@test "calibrate: the helper runs as nobody, no capabilities, no network, read-only, no fork" {
	require_root
	check_lib "$BATS_FILE_TMPDIR/probe.so"
	assert_failure 1
	[[ $output == *"probe: uid=65534 gid=65534 capeff=0000000000000000 socket=denied write=denied fork=denied pid=1"* ]]
	[ ! -e /var/tmp/ec-sslcal-probe ]
}

@test "calibrate: a library that hangs is killed at the time limit, nothing left running" {
	require_root
	before=$(nobody_pids)
	start=$(date +%s%N)
	check_lib "$BATS_FILE_TMPDIR/hang.so"
	ms=$((($(date +%s%N) - start) / 1000000))
	assert_failure 1
	assert_output --partial "calibration failed after"
	assert_output --partial "the calibration helper ran out of time (3000 ms): killed"
	[ "$ms" -lt 6000 ]
	[ "$(nobody_pids)" = "$before" ]
}

@test "calibrate: a library that crashes, floods or hogs memory: one clear line each" {
	require_root
	before=$(nobody_pids)
	check_lib "$BATS_FILE_TMPDIR/crash.so"
	assert_failure 1
	assert_output --partial "the calibration helper died of signal 11"
	check_lib "$BATS_FILE_TMPDIR/flood.so"
	assert_failure 1
	assert_output --partial "the calibration helper wrote more than 262144 bytes: killed"
	check_lib "$BATS_FILE_TMPDIR/hog.so"
	assert_failure 1
	assert_output --partial "hog: refused 2 GiB"
	[ "$(nobody_pids)" = "$before" ]
}

@test "calibrate: not a libssl, not a library at all" {
	require_root
	check_lib "$BATS_FILE_TMPDIR/plain.so"
	assert_failure 1
	assert_output --partial "the library has no TLS_method: not an OpenSSL-family libssl"
	# a file that is no library at all is refused before calibration
	check_lib /etc/passwd
	assert_failure 1
	[[ $stderr == *"/etc/passwd: not an ELF file"* ]]
}

@test "calibrate: a capture of a library that hangs goes on without keys and says why" {
	require_root
	T=$BATS_TEST_TMPDIR
	ec-capture tls --libssl "$BATS_FILE_TMPDIR/hang.so" --keys-cache '' >"$T/out.pb" 2>"$T/err" &
	pid=$!
	EC_PIDS="$pid"
	for _ in $(seq 1 200); do
		grep -q capturing "$T/err" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	grep -q 'key log: calibration failed after [0-9]* ms: the calibration helper ran out of time' "$T/err"
	grep -q 'key log: no offsets for unknown version: no TLS keys' "$T/err"
	grep -q 'capturing' "$T/err"
}

@test "calibrate: a process in another mount namespace: its own file, through /proc/PID/root" {
	require_root
	T=$BATS_TEST_TMPDIR
	lib=$(ldconfig -p | awk '/libssl.so.3 .*x86-64/ {print $NF; exit}')
	port=$(free_port)
	# the libraries sit in a tmpfs mounted only inside the server's namespace
	unshare -m --propagation private sh -c 'mount -t tmpfs ec-test /mnt &&
		cp "$1" "$(dirname "$1")/libcrypto.so.3" /mnt/ &&
		exec env LD_LIBRARY_PATH=/mnt openssl s_server -accept "127.0.0.1:$2" \
			-cert "$3/cert.pem" -key "$3/key.pem" -www -quiet' \
		sh "$lib" "$port" "$BATS_FILE_TMPDIR" </dev/null >/dev/null 2>&1 &
	EC_PIDS=$!
	wait_port "$port"
	[ ! -e /mnt/libssl.so.3 ]
	run ec-capture tls --check-keys --pid "$EC_PIDS" --keys-cache '' --no-keys-table
	assert_success
	assert_line --regexp "^library /proc/$EC_PIDS/root/mnt/libssl\.so\.3 \(OpenSSL "
	assert_line --regexp '^calibrated for build-id [0-9a-f]+ in [0-9]+ ms: 48 key log lines'
}
