#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# ec-serve's page in headless Chromium (tests/py/page.py) fed 1000 exchanges
# a second for 20 s through ec-parse and ec-serve: does it keep up (records
# it decoded against what ec-serve sent), and does its memory stay bounded
# (it keeps the last 1000 rows; JS heap and DOM nodes after 5 s and at the end).
set -eu
. "$(dirname "$0")/lib.sh"
T=$(mktemp -d)
trap 'bench_cleanup; rm -rf "$T"' EXIT
f=$BENCH_DIR/gen-page.pb
[ -s "$f" ] || ec-gen --seed 5 --total-conns 4000 --conns 200 --h2 30 --max-body 2000 \
	--heartbeat 2000 > "$f"
n=$(ec-parse "$f" | ec-dump --exchanges | wc -l)
recs=$(ec-parse "$f" | ec-dump --json | wc -l)
bytes=$(stat -c %s "$f")
rate=$(awk -v b="$bytes" -v n="$n" 'BEGIN { printf "%d", b / n * 1000 }')
ws=$(bench_port)
mkfifo "$T/raw" "$T/parsed"
ec-serve --ws "127.0.0.1:$ws" --listen off --keep 1000 < "$T/parsed" > /dev/null 2>&1 &
BENCH_PIDS="$BENCH_PIDS $!"
ec-parse < "$T/raw" > "$T/parsed" &
BENCH_PIDS="$BENCH_PIDS $!"
exec 8> "$T/raw"
/usr/bin/python3 "$BENCH_ROOT/tests/py/page.py" --url "http://127.0.0.1:$ws/" --rows 0 \
	--watch 22 > "$T/page.json" &
PAGE=$!
sleep 2
/usr/bin/python3 "$BENCH_ROOT/tests/py/pace.py" "$f" --rate "$rate" >&8
exec 8>&-
wait $PAGE
dur=$(awk -v b="$bytes" -v r="$rate" 'BEGIN { printf "%.1f", b / r }')
echo "ec-serve page, $n exchanges at 1000/s ($dur s) into headless Chromium:"
jq -r '.samples as $s | "  after 5 s: \($s[4].rows) rows, heap \($s[4].heap / 1048576 | floor) MiB, \($s[4].nodes) DOM nodes; at the end: \($s[-1].rows) rows, heap \($s[-1].heap / 1048576 | floor) MiB, \($s[-1].nodes) DOM nodes",
	"  records decoded by the page: \($s[-1].records) (ec-parse wrote '"$recs"', ec-serve adds its own logs and heartbeats)"' "$T/page.json"
