#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# A Debian root file system, made once with mmdebstrap from the Debian
# registry and kept as a tarball in /var/cache/ec-tests (the suite and the
# package list are in its name: a change makes a new one); a fresh machine
# makes it again, in about a minute.
#   tests/rootfs.sh DIR                 this machine's release, minbase, systemd
#                                       and the libraries the tools link (boot
#                                       with systemd-nspawn: service.bats)
#   tests/rootfs.sh DIR SUITE PKG,...   SUITE (e.g. bullseye) with PKG,... (a
#                                       container with its own libssl: host.bats)
set -eu
dir=$1
. /etc/os-release
suite=${2:-$VERSION_CODENAME}
pkgs=${3:-systemd,systemd-sysv,dbus,procps,curl,openssl,ca-certificates,libbpf1,libelf1,libprotobuf-c1,libpcap0.8,libnghttp2-14,libcjson1,libwebsockets17,libcurl4,libssl3,libseccomp2,zlib1g}
sum=$(printf '%s %s' "$suite" "$pkgs" | sha256sum | cut -c1-12)
cache=/var/cache/ec-tests/rootfs-$suite-$sum.tar
if [ ! -s "$cache" ]; then
	mkdir -p /var/cache/ec-tests
	# (mmdebstrap picks the format by the name's ending: .tar)
	mmdebstrap --quiet --variant=minbase --include="$pkgs" "$suite" "${cache%.tar}.tmp.tar"
	mv "${cache%.tar}.tmp.tar" "$cache"
fi
mkdir -p "$dir"
tar -C "$dir" -xf "$cache"
