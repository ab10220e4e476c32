#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# ec-parse throughput on the generated HTTP/1 + HTTP/2 stream (>= 1 GB,
# 2000 connections at a time), as a ratio to `cat F | cat` of the same file
# measured in the same run; messages/s; peak RSS (/usr/bin/time -v). Then
# peak RSS with 10 000 connections open at once. EC_PARSE_BASE (below):
# the same against an earlier build.
set -eu
. "$(dirname "$0")/lib.sh"
f=$(bench_stream mix)
bytes=$(stat -L -c %s "$f")
cat "$f" > /dev/null # warm the page cache
t_cat=$(secs "cat '$f' | cat > /dev/null")
st=$BENCH_DIR/parse-stats.txt
t0=$(date +%s.%N)
cat "$f" | ec-parse --stats 2> "$st" > /dev/null
t1=$(date +%s.%N)
t_parse=$(echo "$t0 $t1" | awk '{printf "%.3f", $2 - $1}')
msgs=$(sed -n 's/.*out: \([0-9]*\) messages.*/\1/p' "$st")
rss=$(/usr/bin/time -v sh -c "ec-parse '$f' > /dev/null" 2>&1 |
	sed -n 's/.*Maximum resident set size (kbytes): //p')
echo "ec-parse, mix stream of $((bytes >> 20)) MiB (30% HTTP/2 connections, 2000 open):"
echo "  pipe: cat $(mbps "$bytes" "$t_cat") MB/s, ec-parse $(mbps "$bytes" "$t_parse") MB/s," \
	"ratio $(ratio "$t_cat" "$t_parse") (target >= 0.25)"
echo "  $msgs messages in ${t_parse}s: $(awk -v m="$msgs" -v s="$t_parse" 'BEGIN { printf "%.0f", m / s }') messages/s"
echo "  peak RSS: $((rss / 1024)) MiB"
sed 's/^/  /' "$st"

# EC_PARSE_BASE=OLD/ec-parse: an earlier build (say, before a change) on the
# same stream in the same run, best of 3 each
if [ -n "${EC_PARSE_BASE:-}" ]; then
	t_new=$(secs "ec-parse '$f'")
	t_base=$(secs "'$EC_PARSE_BASE' '$f'")
	t_new2=$(secs "ec-parse '$f'")
	t_new=$(echo "$t_new $t_new2" | awk '{printf "%.3f", $1 < $2 ? $1 : $2}')
	echo "  against $EC_PARSE_BASE: $(mbps "$bytes" "$t_new") vs $(mbps "$bytes" "$t_base") MB/s," \
		"ratio $(ratio "$t_base" "$t_new") (target >= 0.90)"
fi

# 10 000 connections open at once (bodies up to 4 KiB)
g=$BENCH_DIR/gen-conns10k.pb
[ -s "$g" ] || ec-gen --seed 2 --size 256M --conns 10000 --h2 30 > "$g"
out=$(/usr/bin/time -v ec-parse --stats "$g" 2>&1 > /dev/null)
rss=$(echo "$out" | sed -n 's/.*Maximum resident set size (kbytes): //p')
peak=$(echo "$out" | sed -n 's/.*peak connections \([0-9]*\).*/\1/p')
echo "ec-parse, 10 000-connection stream: peak $peak connections tracked," \
	"peak RSS $((rss / 1024)) MiB (target < 64)"
