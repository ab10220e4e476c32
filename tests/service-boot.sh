#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Run by tests/bats/service.bats inside a container booted with systemd,
# once multi-user.target is up: the installed ec units as systemd runs them.
# Facts go to /results (bound from the test), then the container powers off.
exec >/results/log.txt 2>&1
set -x
R=/results
api() { curl -s -H 'Authorization: Bearer boot-test-token' http://127.0.0.1:28256/; }
# the capture's "capturing" lines in the journal reach N
capturing() {
	for _ in $(seq 100); do
		[ "$(journalctl -q -u ec-capture.service | grep -c ': capturing')" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
install -d -m 700 /etc/ec
(umask 077 && echo boot-test-token >/etc/ec/token)
cd /tmp && openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
	-keyout k.pem -out c.pem 2>/dev/null
openssl s_server -accept 127.0.0.1:4433 -cert c.pem -key k.pem -www -quiet </dev/null >/dev/null 2>&1 &
systemctl start ec.target
capturing 1
systemctl is-active ec-capture.service ec-parse.service ec-serve.service ec-records.socket \
	ec-parsed.socket >$R/active1.txt
curl -sk https://127.0.0.1:4433/boot-one -o /dev/null
sleep 2
api >$R/api1.json
curl -s -o /dev/null -w '%{http_code}\n' http://127.0.0.1:28256/status >$R/noauth.txt
systemctl show -p User ec-parse.service >$R/user.txt
for u in capture parse serve; do
	echo "ec-$u $(ps -o user= -p "$(pidof ec-$u)") $(grep CapBnd "/proc/$(pidof ec-$u)/status" | cut -f2)"
done >$R/caps.txt
# one stage dies: the chain stops and comes back together, with fresh FIFOs
systemctl kill -s KILL ec-parse.service
sleep 7
capturing 2
systemctl show -p NRestarts,ActiveState ec-capture.service ec-parse.service ec-serve.service >$R/restart.txt
curl -sk https://127.0.0.1:4433/boot-two -o /dev/null
sleep 2
api >$R/api2.json
systemctl stop ec.target
# (ec-capture takes a second to detach its probes)
units="ec-capture.service ec-parse.service ec-serve.service ec-records.socket ec-parsed.socket"
for _ in $(seq 100); do
	[ "$(systemctl is-active $units | sort -u)" = inactive ] && break
	sleep 0.1
done
systemctl is-active $units >$R/active3.txt
ls /run/ec >$R/run.txt 2>&1
journalctl -q -u ec-capture.service -u ec-parse.service -u ec-serve.service >$R/journal.txt
echo done >$R/done
systemctl poweroff
