#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# ec-parse's PostgreSQL decoder on a real server: a private cluster with
# TLS (a certificate made here) on 127.0.0.1, queried by psql (simple query
# protocol) and by libpq's PQexecParams/PQprepare/PQexecPrepared (extended
# protocol) while ec-capture tls records both ends: the clients (comm psql,
# ec-pgq) and the server's backends (comm postgres). Needs root.

load helpers

setup_file() {
	[ "$(id -u)" = 0 ] || return 0
	local d=$BATS_FILE_TMPDIR pgbin pgd port
	pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
	[ -x "$pgbin/initdb" ] && id postgres >/dev/null 2>&1 || return 0
	# the cluster belongs to user postgres: a directory it can reach
	pgd=$(mktemp -d /tmp/ec-pgsql.XXXXXX)
	chmod 755 "$pgd"
	ln -s "$pgd" "$d/pg"
	mkdir -p "$pgd/sock"
	make_cert "$pgd"
	chown -R postgres "$pgd"
	chmod 600 "$pgd/key.pem"
	cd "$pgd" # a working directory user postgres may enter
	runuser -u postgres -- "$pgbin/initdb" -D "$pgd/data" -A trust -U postgres \
		>"$pgd/initdb.log" 2>&1 3>&- || return 0
	# TLS over TCP; the Unix socket for pg_ctl's own checks
	# (plain TCP as well, for ec-capture sock)
	printf 'local all all trust\nhostssl all all 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 trust\n' \
		>"$pgd/data/pg_hba.conf"
	port=$(free_port)
	runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgd/data" -l "$pgd/log" -w -t 30 \
		-o "-k $pgd/sock -p $port -c listen_addresses=127.0.0.1 -c ssl=on \
		-c ssl_cert_file=$pgd/cert.pem -c ssl_key_file=$pgd/key.pem" \
		start >/dev/null 2>&1 3>&- || return 0
	echo "$port" >"$d/pg/port"
}

teardown_file() {
	local d=$BATS_FILE_TMPDIR p i
	p=$(head -1 "$d/pg/data/postmaster.pid" 2>/dev/null)
	if [ -n "$p" ] && kill -TERM "$p" 2>/dev/null; then
		for i in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null || true
	fi
	[ -L "$d/pg" ] && rm -rf "$(readlink "$d/pg")"
	return 0
}

need_pg() { [ -f "$BATS_FILE_TMPDIR/pg/port" ] || skip "no PostgreSQL cluster (postgresql not installed?)"; }

conninfo() {
	echo "host=127.0.0.1 port=$(cat "$BATS_FILE_TMPDIR/pg/port") sslmode=require user=postgres dbname=postgres"
}

# The three clients under one capture: rows, an error, the extended protocol.
capture_queries() {
	T=$BATS_TEST_TMPDIR
	cap_start -t psql,postgres,ec-pgq
	run psql "$(conninfo)" -Atc "SELECT g AS n, 'row' || g AS label FROM generate_series(1,3) g"
	assert_success
	assert_line '3|row3'
	run psql "$(conninfo)" -c 'SELECT * FROM ec_no_such_table'
	assert_failure
	assert_output --partial 'relation "ec_no_such_table" does not exist'
	run "$PY" "$EC_ROOT/tests/py/pg_extended.py" "$(conninfo)"
	assert_success
	assert_output $'42\nhello!'
	cap_stop
}

@test "pgsql: psql and libpq through TLS, each exchange with its statement, outcome and latency (client and server views)" {
	require_root
	need_pg
	capture_queries
	ec-parse <"$T/out.pb" | ec-dump --exchanges >"$T/x.txt"
	cat "$T/x.txt" >&3
	# each line: ... STATEMENT -> SUMMARY REQB RESPB FIRST LAST (both latencies in ms)
	lat=' [0-9]+ [0-9]+ [0-9]+\.[0-9]{3}ms [0-9]+\.[0-9]{3}ms$'
	sel="SELECT g AS n, 'row' \|\| g AS label FROM generate_series\(1,3\) g -> SELECT 3"
	for who in 'psql\([0-9]+\)' 'postgres\([0-9]+\)'; do
		grep -Eq "^[^ ]+ $who postgresql postgres@postgres $sel$lat" "$T/x.txt"
		grep -Eq "^[^ ]+ $who postgresql postgres@postgres SELECT \* FROM ec_no_such_table -> ERROR 42P01$lat" "$T/x.txt"
		grep -Eq "^[^ ]+ $who postgresql postgres@postgres StartupMessage -> connected$lat" "$T/x.txt"
	done
	for who in 'ec-pgq\([0-9]+\)' 'postgres\([0-9]+\)'; do
		grep -Eq "^[^ ]+ $who postgresql postgres@postgres SELECT \\\$1::int \+ 1 AS answer \[\\\$1 = '41'\] -> SELECT 1$lat" "$T/x.txt"
		# the Bind names a statement prepared in an earlier request
		grep -Eq "^[^ ]+ $who postgresql postgres@postgres SELECT \\\$1::text \|\| '!' AS shout \[\\\$1 = 'hello'\] -> SELECT 1$lat" "$T/x.txt"
	done
	# on this server's port: no byte left undecoded, as many answers as requests
	port=$(cat "$BATS_FILE_TMPDIR/pg/port")
	run sh -c "ec-parse <'$T/out.pb' | ec-dump --json -e | jq -r --argjson p $port '.event_payload | select(.src_port == \$p or .dst_port == \$p) | select(.length > 0) | if .type == 0 then \"untyped\" elif .exchange_id then .type_name else empty end' | sort | uniq -c"
	assert_output $'     16 pgsql-request\n     16 pgsql-response'
}

@test "pgsql: the rendering reads like psql (rows, tags, errors), secrets are not rendered, the backend's view matches" {
	require_root
	need_pg
	capture_queries
	ec-parse <"$T/out.pb" >"$T/parsed.pb"
	# psql's view of the simple query: column names, rows with ' | ', the tag
	ec-dump -e "$T/parsed.pb" | awk '/^[^ ]+ psql\(.* pgsql-response .*summary="SELECT 3"/ {p = 1; next} p && /^$/ {exit} p' >"$T/rows.txt"
	run cat "$T/rows.txt"
	assert_output $'n | label\n1 | row1\n2 | row2\n3 | row3\nSELECT 3'
	# the backend (the postgres process) saw the same request, read not written
	run sh -c "ec-dump --json -e '$T/parsed.pb' | jq -r 'select(.event_payload.pname == \"postgres\" and .event_payload.type == 8 and .event_payload.direction == \"DIRECTION_READ\") | .event_payload.path'"
	assert_line "SELECT g AS n, 'row' || g AS label FROM generate_series(1,3) g"
	assert_line "SELECT \$1::int + 1 AS answer [\$1 = '41']"
	# the backend's error, as it wrote it
	run sh -c "ec-dump --json -e '$T/parsed.pb' | jq -r 'select(.event_payload.pname == \"postgres\" and .event_payload.type == 9 and .event_payload.failed) | [.event_payload.summary, .event_payload.method, (.event_payload.latency_first_ns > 0)] | @tsv'"
	assert_output $'ERROR 42P01\tSELECT\ttrue'
	run sh -c "ec-dump -e '$T/parsed.pb' | grep -A1 'pgsql-response.*ERROR 42P01' | grep -c '^ERROR 42P01: relation \"ec_no_such_table\" does not exist'"
	assert_output 2
	# extended protocol: each message on its line; the cancel key is hidden
	run ec-dump -e "$T/parsed.pb"
	assert_output --partial $'Parse: SELECT $1::int + 1 AS answer\nBind: $1 = \'41\'\nDescribe portal\nExecute\nSync'
	assert_output --partial 'Parse statement "ec_shout": SELECT $1::text'
	assert_output --partial 'BackendKeyData: pid '
	assert_output --partial '(key hidden)'
}

@test "pgsql: without TLS through ec-capture sock: the same statements, outcomes and latencies" {
	require_root
	need_pg
	T=$BATS_TEST_TMPDIR
	port=$(cat "$BATS_FILE_TMPDIR/pg/port")
	plain="host=127.0.0.1 port=$port sslmode=disable user=postgres dbname=postgres"
	mod_start sock --port "$port"
	run psql "$plain" -Atc "SELECT g AS n FROM generate_series(1,4) g"
	assert_success
	assert_line 4
	run psql "$plain" -c 'SELECT * FROM ec_no_such_table'
	assert_failure
	run "$PY" "$EC_ROOT/tests/py/pg_extended.py" "$plain"
	assert_success
	mod_stop
	ec-parse <"$T/out.pb" | ec-dump --exchanges >"$T/x.txt"
	cat "$T/x.txt" >&3
	lat=' [0-9]+ [0-9]+ [0-9]+\.[0-9]{3}ms [0-9]+\.[0-9]{3}ms$'
	# the client's view and the backend's: both ends are plain sockets
	for who in 'psql\([0-9]+\)' 'postgres\([0-9]+\)'; do
		grep -Eq "^[^ ]+ $who postgresql postgres@postgres SELECT g AS n FROM generate_series\(1,4\) g -> SELECT 4$lat" "$T/x.txt"
		grep -Eq "^[^ ]+ $who postgresql postgres@postgres SELECT \\* FROM ec_no_such_table -> ERROR 42P01$lat" "$T/x.txt"
	done
	# (ec-pgq is not captured: ec-capture sock skips ec- processes; its backend is)
	grep -Eq "^[^ ]+ postgres\([0-9]+\) postgresql postgres@postgres SELECT \\\$1::int \+ 1 AS answer \[\\\$1 = '41'\] -> SELECT 1$lat" "$T/x.txt"
	# every byte on the port decoded
	run sh -c "ec-parse <'$T/out.pb' | ec-dump --json -e | jq -r '.event_payload | select(.length > 0 and .type == 0)' | head -1"
	assert_output ''
}
