#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Each decoder past HTTP on a generated stream of its protocol: the golden
# fixture's conversations (tests/fixtures/NAME.pb) replayed by ec-gen --from
# to BENCH_SIZE (1 GB) with 2000 connections open, ec-parse against `cat`
# of the same file (target >= 0.25); then peak RSS with 10 000 connections
# open at once (target < 64 MiB).
set -eu
. "$(dirname "$0")/lib.sh"
for name in grpc pgsql mysql redis dns; do
	fx=$BENCH_ROOT/tests/fixtures/$name.pb
	[ -s "$fx" ] || continue
	f=$BENCH_DIR/gen-$name-$BENCH_SIZE.pb
	if [ ! -s "$f" ] || [ "$fx" -nt "$f" ]; then
		echo "bench: generating $BENCH_SIZE $name stream -> $f" >&2
		ec-gen --from "$fx" --seed 1 --conns 2000 --size "$BENCH_SIZE" > "$f.tmp" && mv "$f.tmp" "$f"
	fi
	bytes=$(stat -L -c %s "$f")
	cat "$f" > /dev/null # warm the page cache
	t_cat=$(secs "cat '$f' | cat > /dev/null")
	st=$BENCH_DIR/$name-stats.txt
	t0=$(date +%s.%N)
	cat "$f" | ec-parse --stats 2> "$st" > /dev/null
	t1=$(date +%s.%N)
	t_parse=$(echo "$t0 $t1" | awk '{printf "%.3f", $2 - $1}')
	msgs=$(sed -n 's/.*out: \([0-9]*\) messages.*/\1/p' "$st")
	g=$BENCH_DIR/gen-$name-conns10k.pb
	[ -s "$g" ] && [ "$g" -nt "$fx" ] ||
		ec-gen --from "$fx" --seed 2 --conns 10000 --size 128M > "$g"
	out=$(/usr/bin/time -v ec-parse --stats "$g" 2>&1 > /dev/null)
	rss=$(echo "$out" | sed -n 's/.*Maximum resident set size (kbytes): //p')
	peak=$(echo "$out" | sed -n 's/.*peak connections \([0-9]*\).*/\1/p')
	echo "ec-parse $name, $((bytes >> 20)) MiB: cat $(mbps "$bytes" "$t_cat") MB/s," \
		"ec-parse $(mbps "$bytes" "$t_parse") MB/s, ratio $(ratio "$t_cat" "$t_parse")" \
		"(target >= 0.25), $msgs messages;" \
		"10 000 connections: peak $peak tracked, RSS $((rss / 1024)) MiB (target < 64)"
	sed -n 's/^ec-parse: out: /  out: /p' "$st"
done
