#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# ec-parse's MySQL/MariaDB decoder on a real server: a private mariadbd with
# TLS (a certificate made here) on 127.0.0.1, queried by the mariadb client
# (COM_QUERY: rows, an error) and by a Connector/C program
# (tests/peers/mysql-stmt.c: a prepared statement with two parameters in
# the binary protocol) while ec-capture tls records the clients and the
# server; then a 1.5 MB query and a 17 MB row (the server's packets of
# 0xffffff bytes continued) through the mariadb client. Needs root.

load helpers

setup_file() {
	[ "$(id -u)" = 0 ] && command -v mariadbd >/dev/null && command -v mariadb-install-db >/dev/null ||
		return 0
	local d=$BATS_FILE_TMPDIR/my port i
	mkdir -p "$d"
	make_cert "$d"
	mariadb-install-db --no-defaults --datadir="$d/data" --user=root \
		--auth-root-authentication-method=socket --skip-test-db >"$d/install.log" 2>&1 3>&- || return 0
	port=$(free_port)
	mariadbd --no-defaults --datadir="$d/data" --socket="$d/sock" --user=root \
		--bind-address=127.0.0.1 --port="$port" --ssl-cert="$d/cert.pem" --ssl-key="$d/key.pem" \
		--ssl-ca="$d/cert.pem" --max-allowed-packet=64M --pid-file="$d/pid" --log-error="$d/err.log" 3>&- &
	echo $! >"$d/mariadbd.pid"
	for i in $(seq 1 100); do [ -S "$d/sock" ] && break; sleep 0.1; done
	mariadb --no-defaults --socket="$d/sock" -u root <<-'EOF' >"$d/init.log" 2>&1 3>&- || return 0
		CREATE DATABASE shop;
		CREATE TABLE shop.items (id INT PRIMARY KEY, name VARCHAR(20), note TEXT);
		INSERT INTO shop.items VALUES (1, 'apple', NULL), (2, 'pear', 'ripe'), (3, 'fig', '');
		CREATE USER 'ec'@'127.0.0.1' IDENTIFIED BY 'ec-pw' REQUIRE SSL;
		GRANT ALL ON shop.* TO 'ec'@'127.0.0.1';
	EOF
	cc -O1 -Wall -Wextra -Werror $(mariadb_config --cflags 2>/dev/null) -o "$d/mysql-stmt" \
		"$EC_ROOT/tests/peers/mysql-stmt.c" $(mariadb_config --libs 2>/dev/null) 2>"$d/cc.err" || true
	echo "$port" >"$d/port"
}

teardown_file() {
	local p
	p=$(cat "$BATS_FILE_TMPDIR/my/mariadbd.pid" 2>/dev/null) || return 0
	kill -TERM "$p" 2>/dev/null || return 0
	for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$p" 2>/dev/null || true
}

need_my() {
	[ -f "$BATS_FILE_TMPDIR/my/port" ] || skip "no MariaDB server (mariadb-server not installed?)"
	PORT=$(cat "$BATS_FILE_TMPDIR/my/port")
	T=$BATS_TEST_TMPDIR
}

my() {
	mariadb --no-defaults --ssl --ssl-ca="$BATS_FILE_TMPDIR/my/cert.pem" -h 127.0.0.1 -P "$PORT" \
		-u ec -pec-pw shop "$@"
}

# each --exchanges line: ... STATEMENT -> SUMMARY REQB RESPB FIRST LAST
LAT=' [0-9]+ [0-9]+ [0-9]+\.[0-9]{3}ms [0-9]+\.[0-9]{3}ms$'

# The clients under one capture: rows, an error, a prepared statement.
capture_queries() {
	[ -x "$BATS_FILE_TMPDIR/my/mysql-stmt" ] ||
		skip "cannot build the Connector/C client: $(head -1 "$BATS_FILE_TMPDIR/my/cc.err")"
	cap_start -t mariadb,mariadbd,mysql-stmt
	run my -N -e 'SELECT id, name, note FROM items ORDER BY id'
	assert_success
	assert_line $'2\tpear\tripe'
	run my -e 'SELECT * FROM no_such_table'
	assert_failure
	assert_output --partial "Table 'shop.no_such_table' doesn't exist"
	run "$BATS_FILE_TMPDIR/my/mysql-stmt" 127.0.0.1 "$PORT" ec ec-pw shop "$BATS_FILE_TMPDIR/my/cert.pem"
	assert_success
	assert_output '42 hello!'
	cap_stop
}

@test "mysql: mariadb and Connector/C through TLS: statements, rows, errors, parameters and latency (client and server views)" {
	require_root
	need_my
	capture_queries
	ec-parse <"$T/out.pb" | ec-dump --exchanges >"$T/x.txt"
	cat "$T/x.txt" >&3
	for who in 'mariadb\([0-9]+\)' 'mariadbd\([0-9]+\)'; do
		at="^[^ ]+ $who mysql ec@shop"
		grep -Eq "$at LOGIN -> connected$LAT" "$T/x.txt"
		grep -Eq "$at SELECT id, name, note FROM items ORDER BY id -> 3 rows$LAT" "$T/x.txt"
		grep -Eq "$at SELECT \* FROM no_such_table -> ERROR 1146$LAT" "$T/x.txt"
	done
	for who in 'mysql-stmt\([0-9]+\)' 'mariadbd\([0-9]+\)'; do
		at="^[^ ]+ $who mysql ec@shop"
		grep -Eq "$at SELECT \? \+ 1 AS answer, CONCAT\(\?, '!'\) AS word -> prepared [0-9]+$LAT" "$T/x.txt"
		grep -Eq "$at SELECT \? \+ 1 AS answer, CONCAT\(\?, '!'\) AS word \[\? = 41, \? = 'hello'\] -> 1 row$LAT" "$T/x.txt"
	done
	# the execute's method is EXECUTE, its path the prepared SQL with the parameters
	run sh -c "ec-parse <'$T/out.pb' | ec-dump --json -e | jq -r '.event_payload | select(.type == 10 and .method == \"EXECUTE\") | [.pname, .path] | @tsv' | sort -u"
	assert_output $'mariadbd\tSELECT ? + 1 AS answer, CONCAT(?, \'!\') AS word [? = 41, ? = \'hello\']\nmysql-stmt\tSELECT ? + 1 AS answer, CONCAT(?, \'!\') AS word [? = 41, ? = \'hello\']'
	# the error is a failure with its code; nothing went unanswered on this port
	run sh -c "ec-parse <'$T/out.pb' | ec-dump --json -e | jq -r '.event_payload | select(.type == 11 and .failed) | [.pname, .status, .summary] | @tsv' | sort -u"
	assert_output $'mariadb\t1146\tERROR 1146\nmariadbd\t1146\tERROR 1146'
	run sh -c "ec-parse <'$T/out.pb' | ec-dump --exchanges --status none | grep -c ' mysql '"
	assert_output 0
}

@test "mysql: the rendering reads like the mysql client (columns, rows, NULL, errors, binary rows), secrets hidden" {
	require_root
	need_my
	capture_queries
	ec-parse <"$T/out.pb" >"$T/parsed.pb"
	ec-dump -e "$T/parsed.pb" >"$T/d.txt"
	grep -A8 '^[^ ]* mariadb(.* mysql-response .*summary="3 rows"' "$T/d.txt" | tail -8 >"$T/rows.txt"
	run cat "$T/rows.txt"
	assert_output - <<-'EOF'
		+----+-------+------+
		| id | name  | note |
		+----+-------+------+
		|  1 | apple | NULL |
		|  2 | pear  | ripe |
		|  3 | fig   |      |
		+----+-------+------+
		3 rows in set
	EOF
	run grep -A1 'mysql-response .*failed' "$T/d.txt"
	assert_output --partial "ERROR 1146 (42S02): Table 'shop.no_such_table' doesn't exist"
	# the binary row of the prepared statement, and its parameters
	grep -A6 '^[^ ]* mysql-stmt(.* mysql-response .*summary="1 row"' "$T/d.txt" | tail -6 >"$T/bin.txt"
	run cat "$T/bin.txt"
	assert_output - <<-'EOF'
		+--------+--------+
		| answer | word   |
		+--------+--------+
		|     42 | hello! |
		+--------+--------+
		1 row in set
	EOF
	grep -q "^  ? = 41, ? = 'hello'$" "$T/d.txt"
	# the login names the user and the database; the password is never there
	grep -q "^login: user 'ec', database 'shop', auth (hidden)$" "$T/d.txt"
	run grep -c 'ec-pw' "$T/d.txt"
	assert_output 0
}

@test "mysql: a query over --max-buffer and a row over 16 MiB (packets of 0xffffff bytes continued) are decoded" {
	require_root
	need_my
	# a 2 MiB string literal, sent as one COM_QUERY
	head -c 1500000 /dev/zero | tr '\0' y | sed "s/^/SELECT LENGTH('/; s/\$/') AS n;/" >"$T/big.sql"
	cap_start -t mariadb
	run my -N <"$T/big.sql"
	assert_success
	assert_output 1500000
	run my -N --max-allowed-packet=64M -e "SELECT LENGTH(x), x FROM (SELECT REPEAT('z', 17000000) AS x) t"
	assert_success
	[ "${#output}" -gt 17000000 ]
	run my -N -e 'SELECT 42'
	assert_success
	cap_stop
	ec-parse <"$T/out.pb" | ec-dump --exchanges >"$T/x.txt"
	cut -c1-200 "$T/x.txt" >&3
	grep -Eq "^[^ ]+ mariadb\([0-9]+\) mysql ec@shop SELECT LENGTH\('yyyy.*\.\.\. -> 1 row$LAT" "$T/x.txt"
	grep -Eq "^[^ ]+ mariadb\([0-9]+\) mysql ec@shop SELECT LENGTH\(x\), x FROM \(SELECT REPEAT\('z', 17000000\) AS x\) t -> 1 row$LAT" "$T/x.txt"
	grep -Eq "^[^ ]+ mariadb\([0-9]+\) mysql ec@shop SELECT 42 -> 1 row$LAT" "$T/x.txt"
	# nothing lost sync
	run sh -c "ec-parse <'$T/out.pb' | ec-dump --json -e | jq -r 'select(.event_payload.desync) | .event_payload.note' | sort -u"
	assert_output ''
}
