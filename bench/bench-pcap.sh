#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# ec-capture tls --pcap: TC capture of a TCP stream of small packets on lo
# (TCP_NODELAY 512-byte sends from python3), filtered to its port. Reports
# the sender's packet rate, packets written and lost. Needs root; runs in
# its own network namespace (its own lo).
set -eu
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "bench-pcap: needs root, skipped"; exit 0; }
N=${BENCH_PCAP_SENDS:-300000}
port=4433
out=$BENCH_DIR/pcap.pcapng
ns=ecbench$$
ip netns add $ns
trap 'bench_cleanup; ip netns delete $ns 2>/dev/null' EXIT
ip netns exec $ns ip link set lo up
ip netns exec $ns /usr/bin/python3 - "$port" <<'PY' &
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1)
c, _ = s.accept()
while c.recv(1 << 20):
    pass
PY
sink=$!
sleep 0.5
bench_cap_start /dev/null "$BENCH_DIR/pcap.err" capturing \
	ip netns exec $ns ec-capture tls --pcap "$out" --ifname lo "tcp port $port" ||
	{ kill $sink; exit 1; }
rate=$(ip netns exec $ns /usr/bin/python3 - "$port" "$N" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
n, buf = int(sys.argv[2]), b"x" * 512
t = time.monotonic()
for _ in range(n):
    s.send(buf)
s.close()
print("%.0f" % (n / (time.monotonic() - t)))
PY
)
sleep 1.5 # the packets are held 1 s before they are written
bench_cap_stop
wait $sink 2>/dev/null || true
line=$(grep 'pcap: .* packets written' "$BENCH_DIR/pcap.err")
pkts=$(capinfos -c -M "$out" 2>/dev/null | awk '/Number of packets/ {print $NF}')
pps=$(awk -v p="$pkts" -v n="$N" -v r="$rate" 'BEGIN { printf "%.0f", p / (n / r) }')
echo "ec-capture --pcap on lo: $N x 512-byte sends at $rate sends/s (TCP coalesces them);"
echo "  ${line#*pcap: } (capinfos: $pkts packets, $pps packets/s)"
rm -f "$out"
