#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Install the Debian packages listed in .ci/packages (and .ci/packages.d/*)
# that are missing. Idempotent and quiet; needs root to install.
set -eu
cd "$(dirname "$0")/.."
pkgs=$(cat .ci/packages .ci/packages.d/* 2>/dev/null | sed 's/#.*//' | tr -s ' \n' '\n' | sed '/^$/d' | sort -u)
# what installed packages provide counts too (a nodejs build that brings npm
# conflicts with the npm package)
provided=$(dpkg-query -W -f='${db:Status-Abbrev} ${Provides}\n' 2>/dev/null |
	awk '$1 == "ii" { $1 = ""; print }' | tr ', ' '\n\n' | sed 's/(.*//' | sort -u)
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed' ||
		echo "$provided" | grep -qx "$p" ||
		missing="$missing $p"
done
[ -z "$missing" ] && { echo "deps: all installed"; exit 0; }
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing:$missing (run as root, or install them with apt-get)" >&2
	exit 1
fi
echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "deps: done"
