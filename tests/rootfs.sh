#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# A Debian root file system to boot with systemd-nspawn (tests/bats/service.bats):
# this machine's release, minbase, systemd and the libraries the tools link.
# Made once with mmdebstrap from the Debian registry and kept as a tarball in
# /var/cache/ec-tests (the package list is in its name: a change makes a new
# one); a fresh machine makes it again, in under a minute.
#   tests/rootfs.sh DIR     unpack it into DIR (made if missing)
set -eu
dir=$1
. /etc/os-release
pkgs=systemd,systemd-sysv,dbus,procps,curl,openssl,ca-certificates,libbpf1,libelf1,libprotobuf-c1,libpcap0.8,libnghttp2-14,libcjson1,libwebsockets17,libcurl4,libssl3,libseccomp2,zlib1g
sum=$(printf '%s %s' "$VERSION_CODENAME" "$pkgs" | sha256sum | cut -c1-12)
cache=/var/cache/ec-tests/rootfs-$VERSION_CODENAME-$sum.tar
if [ ! -s "$cache" ]; then
	mkdir -p /var/cache/ec-tests
	# (mmdebstrap picks the format by the name's ending: .tar)
	mmdebstrap --quiet --variant=minbase --include="$pkgs" "$VERSION_CODENAME" "${cache%.tar}.tmp.tar"
	mv "${cache%.tar}.tmp.tar" "$cache"
fi
mkdir -p "$dir"
tar -C "$dir" -xf "$cache"
