#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# ec-dump throughput on generated streams, as a ratio to cat of the same
# file, measured in one run. "pipe" feeds both through a pipe (how the tools
# are used); "file" reads the file directly (cat then copies from the page
# cache at memory speed, so that ratio is much lower). The mix stream's
# HTTP/2 frames are binary and hex-dumped (4.9 output bytes per input byte).
set -eu
. "$(dirname "$0")/lib.sh"
for kind in h1 mix; do
	f=$(bench_stream $kind)
	bytes=$(stat -c %s "$f")
	cat "$f" > /dev/null # warm the page cache
	t_cat=$(secs "cat '$f' | cat > /dev/null")
	t_dump=$(secs "cat '$f' | ec-dump > /dev/null")
	t_json=$(secs "cat '$f' | ec-dump --json > /dev/null")
	t_catf=$(secs "cat '$f' > /dev/null")
	t_dumpf=$(secs "ec-dump '$f' > /dev/null")
	rss=$(peak_rss "ec-dump '$f' > /dev/null")
	echo "ec-dump, $kind stream of $((bytes >> 20)) MiB:"
	echo "  pipe: cat $(mbps "$bytes" "$t_cat") MB/s, ec-dump $(mbps "$bytes" "$t_dump") MB/s" \
		"ratio $(ratio "$t_cat" "$t_dump") (target >= 0.5);" \
		"--json $(mbps "$bytes" "$t_json") MB/s ratio $(ratio "$t_cat" "$t_json")"
	echo "  file: cat $(mbps "$bytes" "$t_catf") MB/s, ec-dump $(mbps "$bytes" "$t_dumpf") MB/s" \
		"ratio $(ratio "$t_catf" "$t_dumpf")"
	echo "  peak RSS: $((rss / 1024)) MiB"
done
