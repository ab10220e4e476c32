#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# make demo: capture curl's HTTPS request and response with ec-capture and
# show them with ec-dump. Starts a local openssl s_server -WWW (throwaway cert,
# free port on 127.0.0.1), stops everything it started by PID.
set -eu
cd "$(dirname "$0")/.."
PATH="$PWD/bin:$PATH"

if [ "$(id -u)" != 0 ]; then
	echo "demo: ec-capture needs root (BPF uprobes): run 'sudo make demo'" >&2
	exit 1
fi
tmp=$(mktemp -d)
pids=
cleanup() {
	for p in $pids; do kill -TERM "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

port=
for _ in $(seq 1 50); do
	p=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 30000))
	if ! ss -Htln "sport = :$p" | grep -q .; then port=$p; break; fi
done
[ -n "$port" ] || { echo "demo: no free port found" >&2; exit 1; }

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
	-keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null
mkdir "$tmp/www"
echo '<h1>Hello from ec demo</h1>' >"$tmp/www/demo.html"
(cd "$tmp/www" && exec openssl s_server -accept "127.0.0.1:$port" -cert "$tmp/cert.pem" \
	-key "$tmp/key.pem" -WWW -quiet </dev/null >/dev/null 2>&1) &
pids="$pids $!"
echo "demo: openssl s_server on 127.0.0.1:$port (pid $!)"
i=0
until ss -Htln "sport = :$port" | grep -q .; do
	i=$((i + 1))
	[ $i -le 100 ] || { echo "demo: openssl s_server did not start listening" >&2; exit 1; }
	sleep 0.05
done

mkfifo "$tmp/records"
ec-parse <"$tmp/records" | ec-dump &
dump=$!
ec-capture tls --target-process curl >"$tmp/records" 2>"$tmp/capture.log" &
cap=$!
pids="$cap $pids"
i=0
until grep -q capturing "$tmp/capture.log" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 200 ] || ! kill -0 "$cap" 2>/dev/null; then
		cat "$tmp/capture.log" >&2
		echo "demo: ec-capture did not start" >&2
		exit 1
	fi
	sleep 0.05
done
echo "demo: ec-capture tls --target-process curl | ec-parse | ec-dump   (pid $cap)"
echo "demo: curl -sk https://127.0.0.1:$port/demo.html"
echo
curl -sk "https://127.0.0.1:$port/demo.html" -o /dev/null
sleep 0.3
kill -INT "$cap"
wait "$cap" || { cat "$tmp/capture.log" >&2; exit 1; }
wait "$dump"
echo
tail -1 "$tmp/capture.log"
