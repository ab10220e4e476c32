#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# ec-dump --pcapng throughput on the generated streams, as a ratio to
# `cat F | cat > /dev/null` of the same file in the same run (target >= 0.5).
# Input through a pipe, as the tools are used; the pcapng goes to /dev/null
# (a regular-file output adds the page cache's copy, shown separately).
set -eu
. "$(dirname "$0")/lib.sh"
for kind in h1 mix; do
	f=$(bench_stream $kind)
	bytes=$(stat -L -c %s "$f")
	out=$BENCH_DIR/bench.pcapng
	cat "$f" > /dev/null # warm the page cache
	t_cat=$(secs "cat '$f' | cat > /dev/null")
	t_pcap=$(secs "cat '$f' | ec-dump --pcapng - > /dev/null")
	t_file=$(secs "cat '$f' | ec-dump --pcapng '$out'")
	obytes=$(stat -c %s "$out")
	pkts=$(capinfos -c -M "$out" 2>/dev/null | awk '/Number of packets/ {print $NF}')
	rm -f "$out"
	rss=$(peak_rss "ec-dump --pcapng - '$f' > /dev/null")
	echo "ec-dump --pcapng, $kind stream of $((bytes >> 20)) MiB:"
	echo "  pipe: cat $(mbps "$bytes" "$t_cat") MB/s, ec-dump --pcapng" \
		"$(mbps "$bytes" "$t_pcap") MB/s ratio $(ratio "$t_cat" "$t_pcap") (target >= 0.5)"
	echo "  to a file: $(mbps "$bytes" "$t_file") MB/s ratio $(ratio "$t_cat" "$t_file");" \
		"$((obytes >> 20)) MiB pcapng, $pkts packets"
	echo "  peak RSS: $((rss / 1024)) MiB"
done
