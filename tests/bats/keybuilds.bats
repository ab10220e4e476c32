#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# Calibration against every OpenSSL-family build the Debian registry serves
# (tests/sslcal/builds.sh): libssl1.1, libssl3, libssl3t64 and BoringSSL,
# each unpacked with its own distribution's libc and run by that loader.
# The packages stay in /var/cache/ec-tests between runs; a fresh machine
# fetches them again.

load helpers

@test "keybuilds: every Debian OpenSSL and BoringSSL build calibrates, every line matches" {
	require_root
	cd "$EC_ROOT"
	run tests/sslcal/builds.sh /var/cache/ec-tests/builds
	echo "$output" | grep -v '^   ' | sed 's/^/# /' >&3 || true
	assert_success
	assert_line --regexp '^builds: [0-9]+ ok, 0 failed$'
	# each family is there, with the lines each one can give
	for p in libssl1.1 libssl3 libssl3t64; do
		assert_line --regexp "^ok $p .*: [0-9]+ ms, 48 key log lines of 16 SSL objects reproduced\$"
	done
	assert_line --regexp '^ok android-libboringssl .*: [0-9]+ ms, 32 key log lines of 16 SSL objects reproduced$'
	n=$(grep -c '^ok ' <<<"$output")
	[ "$n" -ge 8 ]
}
