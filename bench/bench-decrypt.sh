#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Plaintext at packet-capture cost (docs/DECRYPT.md), in one run:
# 1. the HTTPS request rate of h2load against nghttpd (TLS, HTTP/2, 4
#    connections, one request at a time each) unattached, with the per-call
#    probes (`ec-capture tls`), and with `ec-capture tls --keys-only`
#    (handshake probes and the interface's packets), each to /dev/null;
#    configurations interleaved, the best of BENCH_REPS (3) runs kept;
# 2. ec-parse decrypting a recorded keys-only stream (h2load fetching 16 KiB
#    bodies), `cat F | ec-parse` against `cat F | cat` as the other benches
#    measure, and ec-parse's peak RSS.
# Targets: keys-only >= 0.85 of unattached; decryption >= 0.2 of cat.
# Needs root.
set -eu
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "bench-decrypt: needs root (BPF)" >&2; exit 1; }
for t in h2load nghttpd openssl; do
	command -v $t >/dev/null || { echo "bench-decrypt: $t not installed (make deps)" >&2; exit 1; }
done
REQS=${DECRYPT_REQS:-20000}
REPS=${BENCH_REPS:-3}
COMMS=h2load,nghttpd
d=$BENCH_DIR/decrypt
mkdir -p "$d/www"
bench_cert "$d"
head -c 1024 /dev/zero | tr '\0' 'a' >"$d/www/index.html"
head -c 16384 /dev/urandom | base64 -w 0 | head -c 16384 >"$d/www/big.html"
trap bench_cleanup EXIT INT TERM

port=$(bench_port)
nghttpd -a 127.0.0.1 -d "$d/www" "$port" "$d/key.pem" "$d/cert.pem" >/dev/null 2>&1 &
BENCH_PIDS="$BENCH_PIDS $!"
bench_wait_port "$port" nghttpd

rate() { # requests/s of one h2load run
	h2load -n "$REQS" -c 4 -m 1 -t 1 "https://127.0.0.1:$port/index.html" 2>/dev/null |
		awk '/^finished in/ { gsub(",", ""); print $4; exit }'
}
attach() { # CONFIG
	case $1 in
	none) return 0 ;;
	uprobe) bench_cap_start /dev/null "$d/cap.err" capturing \
		ec-capture tls --target-process $COMMS --heartbeat 0 ;;
	keys-only) bench_cap_start /dev/null "$d/cap.err" capturing \
		ec-capture tls --keys-only --ifname lo --target-process $COMMS --heartbeat 0 ;;
	esac
	sleep 0.5
}
detach() {
	[ "$1" = none ] && return 0
	bench_cap_stop
	grep -h "lost\|written" "$d/cap.err" | tail -2 >"$d/last-$1"
}

for c in none uprobe keys-only; do : >"$d/rate-$c"; done
for _ in $(seq 1 "$REPS"); do
	for c in none uprobe keys-only; do
		attach $c
		rate >>"$d/rate-$c"
		detach $c
	done
done
best() { sort -g "$1" | tail -1; }
none=$(best "$d/rate-none")
up=$(best "$d/rate-uprobe")
ko=$(best "$d/rate-keys-only")
echo "h2load -> nghttpd ($REQS requests, best of $REPS): unattached $none req/s," \
	"per-call probes $up ($(ratio "$up" "$none")), keys-only $ko ($(ratio "$ko" "$none"))" \
	"[target keys-only >= 0.85]"
sed 's/^/  keys-only capture: /' "$d/last-keys-only"

# 2. a keys-only stream of 16 KiB responses, decrypted by ec-parse
f=$d/keys-only.pb
bench_cap_start "$f" "$d/rec.err" capturing \
	ec-capture tls --keys-only --ifname lo --target-process $COMMS --heartbeat 0
sleep 0.5
h2load -n "$REQS" -c 4 -m 4 -t 1 "https://127.0.0.1:$port/big.html" >/dev/null 2>&1
sleep 1.5
bench_cap_stop
size=$(stat -c %s "$f")
cat "$f" >/dev/null # warm the page cache
tc=$(secs "cat '$f' | cat > /dev/null")
tp=$(secs "cat '$f' | ec-parse > /dev/null")
ec-parse --stats <"$f" 2>"$d/parse.err" | ec-dump --exchanges 2>/dev/null |
	grep -c '^[^ ]* h2load(.* 200 ' >"$d/ok" || true
rss=$(peak_rss "ec-parse < '$f'")
echo "ec-parse decrypting $(mbps "$size" 1) MiB of packet records: $(mbps "$size" "$tp") MiB/s" \
	"vs cat $(mbps "$size" "$tc") MiB/s: ratio $(ratio "$tc" "$tp") [target >= 0.2]," \
	"peak RSS $((rss / 1024)) MiB; $(cat "$d/ok") of $REQS h2load requests decrypted and paired"
grep "decrypted:" "$d/parse.err" | sed 's/^/  /' || true
