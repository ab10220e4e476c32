#!/bin/sh
# Check the offsets rows against a libssl that is not the installed one: run
# tests/unit/test_sslkeys.c (live TLS 1.2/1.3 handshakes compared with the
# library's own key log callback) with LIBDIR's libssl and libcrypto.
#
#   tools/ssl-offsets/check.sh LIBDIR [--src SRCDIR] [--glibc GLIBCDIR]
#
# LIBDIR holds libssl.so.3 + libcrypto.so.3 (or the .so.1.1 pair), e.g. from
# `apt-get download libssl3` and `dpkg-deb -x`.  A 1.1.1 library needs the
# test rebuilt against its own headers: --src names its configured source
# tree (tools/ssl-offsets/gen.sh configures one).  --glibc runs the test with
# the dynamic loader and libc of GLIBCDIR, for a library built against a
# newer glibc than the machine's (e.g. Debian 13's on Debian 12).
# Run from the top of the tree after `make`.  See docs/TLS-KEYS.md.
set -eu
usage() {
	echo "usage: $0 LIBDIR [--src SRCDIR] [--glibc GLIBCDIR]" >&2
	exit 2
}
[ $# -ge 1 ] || usage
case $1 in -h | --help) usage ;; esac
lib=$(cd "$1" && pwd)
shift
src= glibc=
while [ $# -gt 0 ]; do
	case $1 in
	--src) [ $# -ge 2 ] || usage; src=$2; shift 2 ;;
	--glibc) [ $# -ge 2 ] || usage; glibc=$(cd "$2" && pwd); shift 2 ;;
	*) usage ;;
	esac
done
test=build/rel/tests/test_sslkeys
if [ -f "$lib/libssl.so.1.1" ]; then
	[ -n "$src" ] || { echo "$0: $lib has OpenSSL 1.1: give --src SRCDIR (its headers)" >&2; exit 2; }
	out=$(mktemp -d)
	trap 'rm -rf "$out"' EXIT
	${CC:-cc} -O1 -g -std=gnu11 -D_GNU_SOURCE -I"$src/include" -Ilib -Ibpf \
		tests/unit/test_sslkeys.c lib/sslkeys.c lib/error.c -o "$out/test_sslkeys" \
		"$lib/libssl.so.1.1" "$lib/libcrypto.so.1.1" -lcmocka
	test=$out/test_sslkeys
elif [ ! -f "$lib/libssl.so.3" ]; then
	echo "$0: no libssl.so.3 or libssl.so.1.1 in $lib" >&2
	exit 1
fi
[ -x "$test" ] || { echo "$0: $test not built: run make first" >&2; exit 1; }
if [ -n "$glibc" ]; then
	exec "$glibc/ld-linux-x86-64.so.2" --library-path "$glibc:$lib" "$test"
fi
LD_LIBRARY_PATH=$lib exec "$test"
