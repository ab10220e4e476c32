#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# make deb: the Debian package builds from debian/, lintian finds no error,
# dpkg -i puts the tools, pages, completions and units in place and
# dpkg -r takes every file of it away. Root: it installs into /usr.

load helpers

setup_file() {
	[ "$(id -u)" = 0 ] || return 0
	rm -rf "$EC_ROOT/build/deb"
	local rc=0
	make -s -C "$EC_ROOT" deb >"$BATS_FILE_TMPDIR/deb.log" 2>&1 || rc=$?
	echo "$rc" >"$BATS_FILE_TMPDIR/deb.rc"
}

teardown_file() {
	# a failed test must not leave the package installed
	if dpkg-query -W -f='${Status}' ec 2>/dev/null | grep -q 'ok installed'; then
		dpkg -r ec >/dev/null 2>&1 || true
	fi
}

@test "deb: make deb builds the package; lintian reports no error" {
	require_root
	local deb
	[ "$(cat "$BATS_FILE_TMPDIR/deb.rc")" = 0 ] || { tail -40 "$BATS_FILE_TMPDIR/deb.log"; false; }
	deb=$(ls "$EC_ROOT"/build/deb/ec_*_amd64.deb)
	# the report make deb wrote: no E: line (lintian --fail-on error failed
	# the build otherwise)
	run grep '^E: ' "$EC_ROOT/build/deb/lintian.txt"
	assert_failure
	# the dependencies come from the libraries the tools link
	run dpkg-deb -f "$deb" Depends
	assert_output --regexp 'libbpf1 .*libwebsockets[0-9]+ '
	# the checkout's own build is left as it was
	[ -x "$EC_ROOT/bin/ec-capture" ]
}

@test "deb: dpkg -i, then the tools run from /usr/bin, pages and units in place; dpkg -r leaves nothing" {
	require_root
	local deb
	deb=$(ls "$EC_ROOT"/build/deb/ec_*_amd64.deb)
	dpkg-query -W -f='${Status}' ec 2>/dev/null | grep -q 'ok installed' && {
		echo "a package ec is installed already: not touching it"
		false
	}
	run dpkg -i "$deb"
	assert_success
	dpkg -L ec >"$BATS_TEST_TMPDIR/files"
	run env -i PATH=/usr/bin:/bin /usr/bin/ec-capture --version
	assert_success
	assert_output --regexp '^ec-capture [0-9]+\.[0-9]+\.[0-9]+'
	# a replay with the packaged tools
	run sh -c "/usr/bin/ec-parse <'$FIXTURES/parse-h1.pb' | /usr/bin/ec-dump --json | jq -s length"
	assert_success
	[ "$output" -gt 0 ]
	run man -w ec-capture ec-record ec-serve
	assert_success
	assert_output --partial /usr/share/man/man8/ec-capture.8.gz
	assert_output --partial /usr/share/man/man5/ec-record.5.gz
	# the installed units, with their binaries and pages: systemd's own check
	run systemd-analyze verify /lib/systemd/system/ec.target /lib/systemd/system/ec-*.service \
		/lib/systemd/system/ec-*.socket
	assert_success
	assert_output ""
	run dpkg -r ec
	assert_success
	local f left=
	while IFS= read -r f; do
		[ -d "$f" ] || [ ! -e "$f" ] || left="$left $f"
	done <"$BATS_TEST_TMPDIR/files"
	[ -z "$left" ] || { echo "left behind:$left"; false; }
	[ "$(wc -l <"$BATS_TEST_TMPDIR/files")" -gt 30 ]
	run dpkg-query -W -f='${Status}' ec
	refute_output --partial 'ok installed'
	# purge: not even deb-systemd-helper's note of the units stays
	run dpkg --purge ec
	assert_success
	run find /var/lib/systemd -name 'ec[.-]*'
	assert_output ""
}
