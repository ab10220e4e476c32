#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# ec-capture tls: HTTPS request rate of a fixed local load (h2load against
# nghttpd over TLS, HTTP/2, one request at a time per connection) measured
# in one run unattached, with `ec-capture tls > /dev/null` attached, and with
# a bpftrace sslsniff-style script attached (bcc's sslsniff needs kernel
# headers this machine lacks); then the cost of one SSL_write with
# ec-capture against an empty uprobe+uretprobe on the same functions
# (bench/sslloop.c: one thread, both ends of a TLS connection over TCP
# loopback, CPU time per SSL call), with ec-capture's own BPF time per call
# from the kernel's BPF run-time statistics. Prints the ratios and
# ec-capture's lost count. Needs root. Configurations are interleaved and the best of
# BENCH_REPS (3) runs is kept: other load on a shared machine only slows.
set -eu
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "bench-capture: needs root (BPF)" >&2; exit 1; }
for t in h2load nghttpd bpftrace openssl cc; do
	command -v $t >/dev/null || { echo "bench-capture: $t not installed (make deps)" >&2; exit 1; }
done
REQS=${CAPTURE_REQS:-20000}
CALLS=${CAPTURE_CALLS:-200000}
REPS=${BENCH_REPS:-3}
# both tracers watch only the load's processes: other TLS traffic on a
# shared machine would otherwise be measured too
COMMS=h2load,nghttpd,sslloop
LIB=$(ldconfig -p | awk '$1 == "libssl.so.3" && /x86-64/ {print $NF; exit}')
[ -n "$LIB" ] || { echo "bench-capture: libssl.so.3 not found" >&2; exit 1; }
d=$BENCH_DIR/capture
mkdir -p "$d/www"
bench_cert "$d"
head -c 1024 /dev/zero | tr '\0' 'a' >"$d/www/index.html"
cc -O2 -o "$d/sslloop" "$BENCH_ROOT/bench/sslloop.c" -lssl -lcrypto

pids=
tracer=
cleanup() {
	[ -n "$tracer" ] && kill -INT "$tracer" 2>/dev/null || true
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

port=$(bench_port)
nghttpd -a 127.0.0.1 -d "$d/www" "$port" "$d/key.pem" "$d/cert.pem" >/dev/null 2>&1 &
pids="$pids $!"
bench_wait_port "$port" nghttpd

# bpftrace programs: sslsniff-style (stash the buffer at entry, print up to
# 64 bytes of it at return, same process filter) and empty probes on the
# entry/return points ec-capture uses
sniff=$d/sslsniff.bt
empty=$d/empty.bt
: >"$sniff"
: >"$empty"
for f in SSL_write SSL_read; do
	cat >>"$sniff" <<BT
uprobe:$LIB:$f /comm == "h2load" || comm == "nghttpd" || comm == "sslloop"/ { @buf[tid] = arg1; }
uretprobe:$LIB:$f /@buf[tid]/ {
	if ((int32)retval > 0) { printf("$f %s %d %d %r\n", comm, pid, (int32)retval, buf(@buf[tid], 64)); }
	delete(@buf[tid]);
}
BT
done
for f in SSL_write SSL_read SSL_write_ex SSL_read_ex; do
	echo "uprobe:$LIB:$f { } uretprobe:$LIB:$f { }" >>"$empty"
done

# start a tracer in the background; return when its probes are attached
start_tracer() { # NAME
	case $1 in
	none) tracer= ; return 0 ;;
	ec-capture)
		ec-capture tls --target-process "$COMMS" --heartbeat 0 >/dev/null 2>"$d/ec.err" &
		tracer=$!
		ready='capturing'
		log=$d/ec.err ;;
	sslsniff | empty)
		f=$sniff; [ "$1" = empty ] && f=$empty
		bpftrace "$f" >"$d/bt.out" 2>"$d/bt.err" </dev/null &
		tracer=$!
		ready='Attaching'
		log=$d/bt.out ;;
	esac
	for _ in $(seq 1 600); do
		grep -q "$ready" "$log" 2>/dev/null && { sleep 0.5; return 0; }
		kill -0 "$tracer" 2>/dev/null || break
		sleep 0.05
	done
	cat "$log" >&2
	echo "bench-capture: $1 did not start" >&2
	exit 1
}
stop_tracer() {
	[ -n "$tracer" ] || return 0
	kill -INT "$tracer"
	wait "$tracer" || true
	tracer=
}

rate() { # requests/s of one h2load run
	h2load -n "$REQS" -c 4 -m 1 -t 1 "https://127.0.0.1:$port/index.html" 2>/dev/null |
		awk '/^finished in/ { gsub(",", ""); print $4; exit }'
}
percall() { "$d/sslloop" "$d/cert.pem" "$d/key.pem" "$CALLS" 100; }

# ec-capture's BPF run time per SSL call (entry + return programs, plus one
# sys_enter run: the call's socket syscall), from kernel.bpf_stats_enabled;
# the sys_enter program is sys_enter or ec_sys_enter (the shared runner's)
bpf_per_call() {
	local ids old
	ids=$(cat /proc/"$tracer"/fdinfo/* 2>/dev/null | awk '/^prog_id:/{print $2}' | sort -u | tr '\n' ' ')
	old=$(sysctl -n kernel.bpf_stats_enabled)
	sysctl -qw kernel.bpf_stats_enabled=1
	bpftool prog show -j >"$d/stats0.json"
	percall >/dev/null
	bpftool prog show -j >"$d/stats1.json"
	sysctl -qw kernel.bpf_stats_enabled="$old"
	jq -n --arg ids "$ids" --argjson calls "$((2 * CALLS))" \
		--slurpfile a "$d/stats0.json" --slurpfile b "$d/stats1.json" '
		($ids | split(" ") | map(select(. != "") | tonumber)) as $ours
		| def t($s): [$s[0][] | select(.id as $i | $ours | index($i))
			| {key: .name, value: {ns: (.run_time_ns // 0), n: (.run_cnt // 0)}}] | from_entries;
		t($a) as $x | t($b) as $y
		| ($y | keys[] | select(test("sys_enter$"))) as $se
		| ([$y | keys[] | select(test("enter$|return$") and (test("sys_enter$") | not))
			| $y[.].ns - $x[.].ns] | add) / $calls
		+ (($y[$se].ns - $x[$se].ns) / (($y[$se].n - $x[$se].n) + 0.001))
		| floor'
}
best() { sort -g | $1 -1; }

for cfg in none ec-capture sslsniff empty; do : >"$d/rate-$cfg"; done
for cfg in none ec-capture empty; do : >"$d/call-$cfg"; done
: >"$d/bpf-ec-capture"
for r in $(seq 1 "$REPS"); do
	for cfg in none ec-capture sslsniff; do
		start_tracer $cfg
		rate >>"$d/rate-$cfg"
		if [ $cfg = ec-capture ]; then
			percall >>"$d/call-ec-capture"
			bpf_per_call >>"$d/bpf-ec-capture"
		fi
		if [ $cfg = none ]; then percall >>"$d/call-none"; fi
		stop_tracer
		if [ $cfg = ec-capture ]; then tail -1 "$d/ec.err" >"$d/ec-last"; fi
	done
	start_tracer empty
	rate >>"$d/rate-empty"
	percall >>"$d/call-empty"
	stop_tracer
done

r_none=$(best tail <"$d/rate-none")
r_ec=$(best tail <"$d/rate-ec-capture")
r_sn=$(best tail <"$d/rate-sslsniff")
r_em=$(best tail <"$d/rate-empty")
c_none=$(best head <"$d/call-none")
c_ec=$(best head <"$d/call-ec-capture")
c_empty=$(best head <"$d/call-empty")
b_ec=$(best head <"$d/bpf-ec-capture")
lost=$(sed -n 's/.*events, \([0-9][0-9]*\) lost.*/\1/p' "$d/ec-last")
events=$(sed -n 's/.*stopped: \([0-9][0-9]*\) events.*/\1/p' "$d/ec-last")

echo "h2load -n $REQS -c 4 -m 1 against nghttpd (TLS, HTTP/2, 1 KiB page), best of $REPS:"
printf '  unattached          %8.0f req/s\n' "$r_none"
printf '  ec-capture attached %8.0f req/s   ratio %s (target >= 0.90)\n' "$r_ec" "$(ratio "$r_ec" "$r_none")"
printf '  bpftrace sslsniff   %8.0f req/s   ratio %s\n' "$r_sn" "$(ratio "$r_sn" "$r_none")"
printf '  empty uprobes       %8.0f req/s   ratio %s (the ceiling of any uprobe tool)\n' "$r_em" "$(ratio "$r_em" "$r_none")"
echo "  ec-capture: ${events:-?} events in its last run, ${lost:-?} lost (target 0)"
echo "SSL_write + SSL_read of 100 bytes over TCP loopback in one thread, CPU time per SSL call,"
echo "$CALLS rounds, best of $REPS:"
printf '  no probe            %6d ns/call\n' "$c_none"
printf '  empty uprobes       %6d ns/call   (+%d: uprobe + uretprobe mechanism)\n' "$c_empty" $((c_empty - c_none))
printf '  ec-capture          %6d ns/call   (+%d)\n' "$c_ec" $((c_ec - c_none))
echo "  ec-capture cost / empty uprobe cost, measured: $(ratio $((c_ec - c_none)) $((c_empty - c_none))) (target <= 1.2)"
echo "  ec-capture BPF run time: $b_ec ns/call (bpf_stats); (mechanism + BPF) / mechanism:" \
	"$(ratio $((c_empty - c_none + b_ec)) $((c_empty - c_none)))"
