#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# ec-capture mysqld / postgres: queries captured on private servers (needs root).
# Each server is started once for the file, on a private data directory and a
# Unix socket only, and stopped by its PID.

load helpers

PGBIN=
setup_file() {
	[ "$(id -u)" = 0 ] || return 0
	local d=$BATS_FILE_TMPDIR
	if command -v mariadbd >/dev/null && command -v mariadb-install-db >/dev/null; then
		mkdir -p "$d/my"
		mariadb-install-db --no-defaults --datadir="$d/my/data" --user=root \
			--auth-root-authentication-method=socket --skip-test-db >"$d/my/install.log" 2>&1 3>&-
		mariadbd --no-defaults --datadir="$d/my/data" --socket="$d/my/sock" --skip-networking \
			--user=root --pid-file="$d/my/pid" --log-error="$d/my/err.log" \
			--innodb-buffer-pool-size=16M </dev/null >/dev/null 2>&1 3>&- &
		echo $! >"$d/my/server.pid"
	fi
	PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
	if [ -x "$PGBIN/initdb" ] && id postgres >/dev/null 2>&1; then
		# the cluster belongs to user postgres: a directory it can reach
		local pgd
		pgd=$(mktemp -d /tmp/ec-sql-pg.XXXXXX)
		chmod 755 "$pgd"
		ln -s "$pgd" "$d/pg"
		mkdir -p "$pgd/sock"
		chown -R postgres "$pgd"
		cd "$pgd" # a working directory user postgres may enter
		runuser -u postgres -- "$PGBIN/initdb" -D "$pgd/data" -A trust -U postgres \
			>"$pgd/initdb.log" 2>&1 3>&-
		local port
		port=$(free_port)
		runuser -u postgres -- "$PGBIN/pg_ctl" -D "$pgd/data" -l "$pgd/log" -w -t 30 \
			-o "-k $pgd/sock -p $port -c listen_addresses=''" start >/dev/null 2>&1 3>&-
		echo "$port" >"$d/pg/port"
	fi
	local i
	for i in $(seq 1 200); do [ -S "$d/my/sock" ] && break; sleep 0.05; done
}

teardown_file() {
	local d=$BATS_FILE_TMPDIR p i
	for p in "$(cat "$d/my/server.pid" 2>/dev/null)" "$(head -1 "$d/pg/data/postmaster.pid" 2>/dev/null)"; do
		[ -n "$p" ] || continue
		kill -TERM "$p" 2>/dev/null || continue
		for i in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null || true
	done
	[ -L "$d/pg" ] && rm -rf "$(readlink "$d/pg")"
	return 0
}

my() { mariadb --no-defaults -S "$BATS_FILE_TMPDIR/my/sock" -u root -N -e "$1"; }
pg() {
	psql -h "$BATS_FILE_TMPDIR/pg/sock" -p "$(cat "$BATS_FILE_TMPDIR/pg/port")" -U postgres \
		-Atc "$1"
}
need_my() { [ -S "$BATS_FILE_TMPDIR/my/sock" ] || skip "no MariaDB server (mariadb-server not installed?)"; }
need_pg() { [ -f "$BATS_FILE_TMPDIR/pg/port" ] || skip "no PostgreSQL cluster (postgresql not installed?)"; }

@test "mysqld: SELECT 42 captured with the server's pid, a failing query with its error" {
	require_root
	need_my
	mod_start mysqld
	run my 'SELECT 42'
	assert_output 42
	run my 'SELECT nosuchcol'
	assert_failure
	mod_stop
	spid=$(cat "$BATS_FILE_TMPDIR/my/server.pid")
	q=$(events | jq -c 'select(.payload == "SELECT 42")')
	[ -n "$q" ]
	[ "$(jq -r .pid <<<"$q")" = "$spid" ]
	[ "$(jq -r .uid <<<"$q")" = 0 ]
	[ "$(jq -r .source <<<"$q")" = SOURCE_MYSQLD ]
	[ "$(jq -r '.retval // 0' <<<"$q")" = 0 ]
	[ "$(jq -r .length <<<"$q")" = 9 ]
	bad=$(events | jq -c 'select(.payload == "SELECT nosuchcol")')
	[ "$(jq -r .retval <<<"$bad")" = 1054 ]
	no_links_left dispatch_enter dispatch_return set_error_enter
}

@test "mysqld: --pid and --uid filters, --truncate" {
	require_root
	need_my
	mod_start mysqld --pid $$ --mysqld "$(command -v mariadbd)"
	my 'SELECT 1001'
	mod_stop
	[ -z "$(events)" ]
	mod_start mysqld --uid 65534
	my 'SELECT 1002'
	mod_stop
	[ -z "$(events)" ]
	mod_start mysqld --pid "$(cat "$BATS_FILE_TMPDIR/my/server.pid")" --truncate 8
	my 'SELECT 1003'
	mod_stop
	q=$(events | jq -c 'select(.payload == "SELECT 1")')
	[ "$(jq -r .truncated <<<"$q")" = true ]
	[ "$(jq -r .orig_length <<<"$q")" = 11 ]
}

@test "postgres: SELECT 42 captured with the backend's pid and uid, errors with SQLSTATE" {
	require_root
	need_pg
	mod_start postgres
	run pg 'SELECT pg_backend_pid(), 42'
	assert_success
	bpid=${output%%|*}
	run pg 'SELECT nosuchcol'
	assert_failure
	mod_stop
	q=$(events | jq -c 'select(.payload == "SELECT pg_backend_pid(), 42")')
	[ -n "$q" ]
	[ "$(jq -r .pid <<<"$q")" = "$bpid" ]
	[ "$(jq -r .uid <<<"$q")" = "$(id -u postgres)" ]
	[ "$(jq -r .source <<<"$q")" = SOURCE_POSTGRES ]
	[ "$(jq -r '.retval // 0' <<<"$q")" = 0 ]
	bad=$(events | jq -c 'select(.payload == "SELECT nosuchcol")')
	[ "$(jq -r .note <<<"$bad")" = "ERROR 42703" ]
	no_links_left parse_enter ready_enter errstart_enter errcode_enter
}

@test "postgres: --uid filter" {
	require_root
	need_pg
	mod_start postgres --uid 0
	pg 'SELECT 2001'
	mod_stop
	[ -z "$(events)" ]
	mod_start postgres --uid "$(id -u postgres)"
	pg 'SELECT 2002'
	mod_stop
	[ -n "$(events | jq -c 'select(.payload == "SELECT 2002")')" ]
}

@test "mysqld/postgres: a clear error when the server binary is missing or wrong" {
	require_root
	run ec-capture mysqld --mysqld /nonexistent/mariadbd
	assert_failure 1
	assert_output --partial "/nonexistent/mariadbd"
	run ec-capture mysqld --mysqld /bin/true
	assert_failure 1
	assert_output --partial "dispatch_command function in it"
	run ec-capture postgres --postgres /bin/true
	assert_failure 1
	assert_output --partial "no pg_parse_query function in it"
}
