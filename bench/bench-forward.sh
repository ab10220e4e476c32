#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# ec-forward: requests/s replayed straight to a local origin (no proxy) at
# concurrency 16, and ec-forward's own CPU per request (getrusage, printed
# in its summary line, cross-checked with /usr/bin/time). The origin is
# tests/py/origin.py (Python's ThreadingHTTPServer), so requests/s is bound
# by the origin; the CPU figure is ec-forward's alone. Input: the request
# fixture of tests/py/gen_requests.py repeated (7 replayable requests each:
# HTTP/1.0, 1.1 and HTTP/2 renderings, bodies up to 300 bytes).
set -eu
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
copies=${FORWARD_COPIES:-300}
req=$BENCH_DIR/forward-req.pb
one=$BENCH_DIR/forward-one.pb
$PY "$BENCH_ROOT/tests/py/gen_requests.py" --authority 127.0.0.1:1 > "$one"
i=0
: > "$req"
while [ $i -lt "$copies" ]; do cat "$one" >> "$req"; i=$((i + 1)); done
n=$((copies * 7))
cert=$BENCH_DIR/forward-cert
bench_cert "$cert"
trap bench_cleanup EXIT INT TERM
for scheme in http https; do
	p=$(bench_port)
	if [ $scheme = https ]; then
		$PY "$BENCH_ROOT/tests/py/origin.py" --port "$p" --quiet \
			--cert "$cert/cert.pem" --key "$cert/key.pem" &
	else
		$PY "$BENCH_ROOT/tests/py/origin.py" --port "$p" --quiet &
	fi
	BENCH_PIDS="$BENCH_PIDS $!"
	bench_wait_port "$p" origin
	out=$( { /usr/bin/time -f 'time: %e s wall, %U s user, %S s sys' \
		ec-forward -k -c 16 --target "$scheme://127.0.0.1:$p" < "$req" > /dev/null; } 2>&1) ||
		{ echo "$out" >&2; exit 1; }
	summary=$(echo "$out" | grep '^ec-forward:')
	tm=$(echo "$out" | grep '^time:')
	echo "ec-forward -c 16 to a local $scheme origin, $n requests:"
	echo "  $(echo "$summary" | sed 's/.*skipped; //')"
	echo "  $tm" | awk -v n=$n '{ printf "  %s (%.0f us CPU/request incl. startup)\n", $0, ($5 + $8) * 1e6 / n }'
	echo "$summary" | grep -q "$n answered, 0 failed" || { echo "  not all answered: $summary" >&2; exit 1; }
done
