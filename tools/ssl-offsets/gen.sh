#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Print a row of lib/capture/sslkeys_rows.h for an OpenSSL source release.
#
#   tools/ssl-offsets/gen.sh SRCDIR [NAME [FIRST [LAST]]] [-- CONFIGURE-ARGS...]
#
# SRCDIR is an unpacked OpenSSL source tree (1.1.1 or 3.x), e.g. from
# `apt-get source openssl` or a release tarball.  When its generated headers
# are missing, the tree is configured (./Configure linux-x86_64 plus
# CONFIGURE-ARGS: give the distribution's own options when they switch
# struct members on or off, e.g. no-psk, no-srp, no-ct) and only the
# generated headers are built (make build_generated), not the library.
# Then tools/ssl-offsets/offsets.c is compiled against the private header
# ssl/ssl_local.h and run.  NAME defaults to openssl-MAJOR.MINOR, FIRST and
# LAST to the release's version.  See docs/TLS-KEYS.md.
set -eu
usage() {
	echo "usage: $0 SRCDIR [NAME [FIRST [LAST]]] [-- CONFIGURE-ARGS...]" >&2
	exit 2
}
[ $# -ge 1 ] || usage
case $1 in -h | --help) usage ;; esac
src=$1
shift
name= first= last=
for v in name first last; do
	[ $# -gt 0 ] && [ "$1" != -- ] || break
	eval "$v=\$1"
	shift
done
[ $# -gt 0 ] && [ "$1" = -- ] && shift
here=$(cd "$(dirname "$0")" && pwd)

[ -f "$src/ssl/ssl_local.h" ] || {
	echo "$0: $src/ssl/ssl_local.h not found: give an OpenSSL 1.1.1 or 3.x source tree" >&2
	exit 1
}
if [ ! -f "$src/include/openssl/opensslconf.h" ] || [ ! -f "$src/include/openssl/ssl.h" ] ||
	{ [ -f "$src/include/openssl/configuration.h.in" ] &&
		[ ! -f "$src/include/openssl/configuration.h" ]; }; then
	echo "$0: configuring $src (generated headers only)" >&2
	(cd "$src" && ./Configure linux-x86_64 "$@" >/dev/null && make build_generated >/dev/null) || {
		echo "$0: configuring $src failed; run ./Configure there by hand to see why" >&2
		exit 1
	}
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
${CC:-cc} -w -I"$src" -I"$src/include" "$here/offsets.c" -o "$out/offsets"
"$out/offsets" "$name" "$first" "$last"
