#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# ec-capture modules (bash, zsh, mysqld, postgres, gnutls, nss): the cost of
# each hooked call path with the module attached, against the same uprobes
# running an empty program (--empty-probes) and against no probe at all, in
# the same run (interleaved, best of BENCH_REPS, default 2). Needs root;
# modules whose programs are not installed are skipped.
set -u
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "bench-modules: needs root (uprobes): skipped"; exit 0; }
B=$BENCH_DIR/modules
rm -rf "$B"
mkdir -p "$B"
N=${MOD_ROUNDS:-2000}
cleanup() {
	bench_cleanup
	sleep 1
	for p in $BENCH_PIDS; do kill -KILL "$p" 2>/dev/null; done
	[ -n "${PGD:-}" ] && rm -rf "$PGD"
	true
}
trap cleanup EXIT

cap_start() { # MODULE [options]
	bench_cap_start /dev/null "$B/cap.err" hooked ec-capture "$@" --heartbeat 0
}
now() { date +%s%N; }
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (a < b ? a : b) }'; }

# measure NAME UNIT WORKLOAD-FUNCTION MODULE [options]: WORKLOAD prints ns per unit
measure() {
	local name=$1 unit=$2 work=$3
	shift 3
	local base=1e12 empty=1e12 full=1e12 i
	for i in $(seq 1 "${BENCH_REPS:-2}"); do
		base=$(min "$base" "$($work)")
		cap_start "$@" --empty-probes || return 1
		empty=$(min "$empty" "$($work)")
		bench_cap_stop
		cap_start "$@" || return 1
		full=$(min "$full" "$($work)")
		bench_cap_stop
	done
	local lost
	lost=$(sed -n 's/.* \([0-9]*\) lost.*/\1/p' "$B/cap.err")
	awk -v n="$name" -v u="$unit" -v b="$base" -v e="$empty" -v f="$full" -v l="${lost:-?}" 'BEGIN {
		printf "%-9s per %-11s %9.0f ns bare %9.0f ns empty uprobes %9.0f ns ec-capture: +%.0f ns empty, +%.0f ns capture (%.1f us over empty), %s lost\n",
			n, u, b, e, f, e - b, f - b, (f - e) / 1000, l
	}'
}

# --- shells: N lines ":" typed into an interactive shell on a pty
shell_work() { # SHELL-COMMAND LINES
	local t0 t1
	{
		yes : | head -n "$2"
		echo exit
	} >"$B/lines"
	t0=$(now)
	script -qc "$1" /dev/null <"$B/lines" >/dev/null 2>&1
	t1=$(now)
	echo $(((t1 - t0) / $2))
}
bash_work() { shell_work "bash --norc --noprofile -i" "$N"; }
zsh_work() { shell_work "zsh -f -i" "$((N / 5))"; } # zsh's editor is slower on a pty
measure bash line bash_work bash
command -v zsh >/dev/null && measure zsh line zsh_work zsh

# --- gnutls: 64-byte ping-pong, 4 hooked calls per round trip
if cc -O2 -o "$B/gnutls-bench" "$BENCH_ROOT/bench/gnutls-bench.c" -lgnutls -lpthread 2>/dev/null; then
	gnutls_work() { "$B/gnutls-bench" "$((N * 5))" | awk '{print $2}'; }
	measure gnutls "round trip" gnutls_work gnutls
else
	echo "bench-modules: gnutls: cannot build bench/gnutls-bench.c (libgnutls28-dev): skipped"
fi

# --- nss: PR_Write + PR_Read on an NSPR pipe (checked, not an SSL socket: skipped)
if cc -O2 $(pkg-config --cflags nspr 2>/dev/null) -o "$B/nspr-bench" \
	"$BENCH_ROOT/bench/nspr-bench.c" $(pkg-config --libs nspr 2>/dev/null) 2>/dev/null; then
	nspr_work() { "$B/nspr-bench" "$((N * 25))" | awk '{print $2}'; }
	measure nss "write+read" nspr_work nss
else
	echo "bench-modules: nss: cannot build bench/nspr-bench.c (libnspr4-dev): skipped"
fi

# --- mysqld: N "DO 1" queries in one client session
if command -v mariadbd >/dev/null && command -v mariadb-install-db >/dev/null; then
	mariadb-install-db --no-defaults --datadir="$B/my" --user=root \
		--auth-root-authentication-method=socket --skip-test-db >"$B/my-install.log" 2>&1
	mariadbd --no-defaults --datadir="$B/my" --socket="$B/my.sock" --skip-networking \
		--user=root --log-error="$B/my.err" --innodb-buffer-pool-size=16M </dev/null >/dev/null 2>&1 &
	BENCH_PIDS="$BENCH_PIDS $!"
	for _ in $(seq 1 200); do [ -S "$B/my.sock" ] && break; sleep 0.05; done
	my_work() {
		local t0 t1
		yes 'DO 1;' | head -n "$N" >"$B/q.sql"
		t0=$(now)
		mariadb --no-defaults -S "$B/my.sock" -u root <"$B/q.sql" >/dev/null
		t1=$(now)
		echo $(((t1 - t0) / N))
	}
	measure mysqld query my_work mysqld
else
	echo "bench-modules: mysqld: mariadb-server not installed: skipped"
fi

# --- postgres: N "SELECT 1" queries in one psql session
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -x "$PGBIN/initdb" ] && id postgres >/dev/null 2>&1; then
	PGD=$(mktemp -d /tmp/ec-bench-pg.XXXXXX)
	chmod 755 "$PGD"
	chown postgres "$PGD"
	PGPORT=$(awk 'BEGIN { srand(); print 20000 + int(rand() * 30000) }')
	(cd "$PGD" && runuser -u postgres -- "$PGBIN/initdb" -D "$PGD/data" -A trust -U postgres \
		>"$B/pg-initdb.log" 2>&1 &&
		runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGD/data" -l "$PGD/log" -w -t 30 \
			-o "-k $PGD -p $PGPORT -c listen_addresses=''" start >/dev/null 2>&1)
	BENCH_PIDS="$BENCH_PIDS $(head -1 "$PGD/data/postmaster.pid" 2>/dev/null)"
	pg_work() {
		local t0 t1
		yes 'SELECT 1;' | head -n "$N" >"$B/q.sql"
		t0=$(now)
		psql -q -h "$PGD" -p "$PGPORT" -U postgres <"$B/q.sql" >/dev/null
		t1=$(now)
		echo $(((t1 - t0) / N))
	}
	measure postgres query pg_work postgres
else
	echo "bench-modules: postgres: postgresql not installed: skipped"
fi
