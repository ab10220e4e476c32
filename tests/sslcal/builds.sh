#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Calibrate every OpenSSL-family library build the Debian registry serves
# for amd64, each under its own distribution's loader and libc, and check
# every key log line against that library's own callback (ec-capture tls
# --check-keys does both).  Never touches the machine's own libraries: the
# packages are fetched with a private apt state and unpacked into trees.
#
#   tests/sslcal/builds.sh CACHE_DIR
#
# CACHE_DIR keeps the apt lists, the .deb files and the unpacked trees
# between runs.  Prints one line a build, "ok PACKAGE VERSION SUITE ..." or
# "FAIL ...", then "builds: N ok, M failed"; exit 0 only if all calibrated.
set -eu
cache=$1
mkdir -p "$cache/apt/lists/partial" "$cache/apt/archives/partial" "$cache/debs" "$cache/trees"
cache=$(cd "$cache" && pwd)

# the machine's own Debian mirror (the registry it installs from)
uri=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' /etc/apt/sources.list.d/*.sources \
	2>/dev/null | grep -v security | grep /debian | head -n 1)
[ -n "$uri" ] || uri=$(awk '$1 == "deb" && $2 !~ /security/ && $2 ~ /\/debian/ {print $2; exit}' \
	/etc/apt/sources.list 2>/dev/null)
[ -n "$uri" ] || { echo "builds: no Debian mirror in the apt sources" >&2; exit 1; }
uri=${uri%/}
# and its security mirror, when the sources name one
sec=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' /etc/apt/sources.list.d/*.sources \
	2>/dev/null | grep security | head -n 1)
[ -n "$sec" ] || sec=$(awk '$1 == "deb" && $2 ~ /security/ {print $2; exit}' \
	/etc/apt/sources.list 2>/dev/null)
sec=${sec%/}
key=/usr/share/keyrings/debian-archive-keyring.gpg
{
	for s in bullseye bookworm trixie forky sid; do
		echo "deb [signed-by=$key] $uri $s main"
	done
	for s in bullseye bookworm trixie; do
		[ -z "$sec" ] || echo "deb [signed-by=$key] $sec $s-security main"
	done
} >"$cache/apt/sources.list"
apt() {
	"$@" -q -o Dir::Etc::SourceList="$cache/apt/sources.list" -o Dir::Etc::SourceParts=/nonexistent \
		-o Dir::State::Lists="$cache/apt/lists" -o Dir::Cache="$cache/apt" \
		-o Dir::State::Status=/dev/null -o Debug::NoLocking=1 -o APT::Architecture=amd64 \
		-o Acquire::Retries=3
}
apt apt-get update >"$cache/update.log" 2>&1 || { cat "$cache/update.log" >&2; exit 1; }

# PACKAGE=VERSION -> a .deb in the cache (downloaded once)
deb() {
	f=$(ls "$cache/debs/$(echo "$1" | sed 's/=/_/; s/:/%3a/')"_*.deb 2>/dev/null | head -n 1)
	if [ -z "$f" ]; then
		(cd "$cache/debs" && apt apt-get download "$1" >/dev/null 2>&1) || return 1
		f=$(ls "$cache/debs/$(echo "$1" | sed 's/=/_/; s/:/%3a/')"_*.deb | head -n 1)
	fi
	echo "$f"
}

# the version of PACKAGE a suite serves (security suites fall back to theirs)
version_in() { # PACKAGE SUITE
	apt apt-cache madison "$1" 2>/dev/null |
		awk -F' *[|] *' -v s=" $2/" 'index($3, s) {print $2; exit}'
}

ok=0 failed=0
for pkg in libssl1.1 libssl3 libssl3t64 android-libboringssl; do
	apt apt-cache madison "$pkg" 2>/dev/null | awk -F' *[|] *' '{split($3, a, " "); print $2, a[2]}' |
		sed 's#/.*##' | sort -u >"$cache/versions"
	while read -r ver suite; do
		base=${suite%-security}
		case $pkg in
		libssl1.1) lib=usr/lib/x86_64-linux-gnu/libssl.so.1.1 extra= ;;
		android-*) lib=usr/lib/x86_64-linux-gnu/android/libssl.so.0 extra="libstdc++6 libgcc-s1" ;;
		*) lib=usr/lib/x86_64-linux-gnu/libssl.so.3 extra= ;;
		esac
		tree=$cache/trees/${pkg}_$(echo "$ver" | tr ':~' '__')
		if [ ! -e "$tree/.done" ]; then
			rm -rf "$tree"
			mkdir -p "$tree"
			for p in "$pkg=$ver" $(for e in libc6 $extra; do
				v=$(version_in "$e" "$base")
				[ -n "$v" ] && echo "$e=$v"
			done); do
				f=$(deb "$p") || { echo "FAIL $pkg $ver $suite: cannot download $p"; failed=$((failed + 1)); continue 2; }
				dpkg-deb -x "$f" "$tree"
			done
			touch "$tree/.done"
		fi
		out=$(ec-capture tls --check-keys --libssl "$tree/$lib" --sysroot "$tree" \
			--keys-cache '' --no-keys-table 2>&1) && rc=0 || rc=$?
		how=$(echo "$out" | sed -n 's/^calibrated for .* in \([0-9]*\) ms: \(.*\)/\1 ms, \2/p')
		row=$(echo "$out" | sed -n 's/^row //p')
		if [ "$rc" = 0 ] && [ -n "$how" ] && [ -n "$row" ]; then
			echo "ok $pkg $ver $suite: $how"
			echo "   $row"
			ok=$((ok + 1))
		else
			echo "FAIL $pkg $ver $suite: $(echo "$out" | tr '\n' ' ')"
			failed=$((failed + 1))
		fi
	done <"$cache/versions"
done
echo "builds: $ok ok, $failed failed"
[ "$failed" = 0 ] && [ "$ok" -gt 0 ]
