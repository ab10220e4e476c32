// SPDX-License-Identifier: GPL-2.0-only
/*
 * lib/proto/mysql: packet framing and length-encoded integers at their
 * edges; through the ec-parse filter: every split point of a session gives
 * the same records, a payload over 0xffffff bytes joined from its packets,
 * garbage losing sync and a command regaining it, detection, the password
 * never rendered, a result set cut at --max-body.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mysql.h"
#include "parse.h"
#include "record.h"
#include "stream.h"

#include "rig.h"

static void test_packet(void **state)
{
	(void)state;
	const uint8_t p[] = {3, 0, 0, 7, 'a', 'b', 'c', 1, 0};
	const uint8_t *pl;
	size_t n;
	uint8_t seq;
	for (size_t k = 0; k < 7; k++)
		assert_int_equal(ec_mysql_packet(p, k, &pl, &n, &seq), 0);
	assert_int_equal(ec_mysql_packet(p, sizeof p, &pl, &n, &seq), 1);
	assert_int_equal(n, 3);
	assert_int_equal(seq, 7);
	assert_memory_equal(pl, "abc", 3);
}

static void test_lenenc(void **state)
{
	(void)state;
	static const struct {
		uint8_t b[9];
		size_t n;
		int rc;
		uint64_t v;
	} cases[] = {
	    {{0xfa}, 1, 0, 250},
	    {{0xfc, 0x34, 0x12}, 3, 0, 0x1234},
	    {{0xfd, 1, 2, 3}, 4, 0, 0x030201},
	    {{0xfe, 1, 0, 0, 0, 0, 0, 0, 0x80}, 9, 0, 0x8000000000000001ull},
	    {{0xfc, 0x34}, 2, -1, 0}, /* truncated */
	    {{0xff}, 1, -1, 0},	      /* an ERR marker, not a length */
	    {{0xfb}, 1, -1, 0},	      /* NULL, not a length */
	    {{0}, 0, -1, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const uint8_t *q = cases[i].b;
		uint64_t v = 0;
		assert_int_equal(ec_mysql_lenenc(&q, cases[i].b + cases[i].n, &v), cases[i].rc);
		if (!cases[i].rc) {
			assert_true(v == cases[i].v);
			assert_ptr_equal(q, cases[i].b + cases[i].n);
		} else {
			assert_ptr_equal(q, cases[i].b);
		}
	}
}

/* A packet: 3-byte length, sequence id, payload. */
static size_t pkt(uint8_t *o, uint8_t seq, const void *p, size_t n)
{
	o[0] = (uint8_t)n;
	o[1] = (uint8_t)(n >> 8);
	o[2] = (uint8_t)(n >> 16);
	o[3] = seq;
	memcpy(o + 4, p, n);
	return n + 4;
}

/* A column definition (protocol 41) of a name and a type. */
static size_t coldef(uint8_t *o, const char *name, uint8_t type)
{
	size_t k = 0, nn = strlen(name);
	static const char *const parts[] = {"def", "shop", "t", "t"};
	for (int i = 0; i < 4; i++) {
		o[k++] = (uint8_t)strlen(parts[i]);
		memcpy(o + k, parts[i], strlen(parts[i]));
		k += strlen(parts[i]);
	}
	for (int i = 0; i < 2; i++) {
		o[k++] = (uint8_t)nn;
		memcpy(o + k, name, nn);
		k += nn;
	}
	static const uint8_t fixed[13] = {0x0c, 33, 0, 80, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	memcpy(o + k, fixed, 13);
	o[k + 7] = type;
	return k + 13;
}

#define CAPS "\x08\x82\x28\x01" /* PROTOCOL_41, CONNECT_WITH_DB, SECURE, LENENC, DEPRECATE_EOF */
static uint8_t cl[1024], sv[1024];
static size_t cln, svn, q_at, a_at;

/*
 * client: HandshakeResponse41 (alice, shop, a secret), then a query;
 * server: OK, then 2 rows (DEPRECATE_EOF: an OK with 0xfe ends them)
 */
static void build(void)
{
	uint8_t b[256], c[128];
	size_t k = 0;
	memcpy(b, CAPS "\0\0\0\1\x21", 9);
	memset(b + 9, 0, 23);
	k = 32;
	memcpy(b + k,
	       "alice\0\x0bsecret-pass"
	       "shop\0",
	       24);
	k += 24;
	cln = pkt(cl, 1, b, k);
	q_at = cln;
	cln += pkt(cl + cln, 0, "\x03SELECT id,\n  v FROM t", 22);
	svn = pkt(sv, 2, "\0\0\0\2\0\0\0", 7);
	a_at = svn;
	svn += pkt(sv + svn, 1, "\2", 1);
	svn += pkt(sv + svn, 2, c, coldef(c, "id", 3));
	svn += pkt(sv + svn, 3, c, coldef(c, "v", 0xfd));
	svn += pkt(sv + svn, 4, "\0011\3one", 6);
	svn += pkt(sv + svn, 5, "\00210\xfb", 4);
	svn += pkt(sv + svn, 6, "\xfe\0\0\2\0\0\0", 7);
}

static const char table_text[] = "+----+------+\n"
				 "| id | v    |\n"
				 "+----+------+\n"
				 "|  1 | one  |\n"
				 "| 10 | NULL |\n"
				 "+----+------+\n"
				 "2 rows in set";

static void test_every_cut(void **state)
{
	(void)state;
	build();
	struct rig g;
	for (size_t f = 1; f <= cln; f += 3) {
		for (size_t b = 1; b <= svn - a_at; b++) {
			rig_open(&g, 13306, "mariadb", 0);
			/* the login, cut at f when f falls in it, then its answer */
			ev(&g, W, 10, cl, f < q_at ? f : q_at);
			if (f < q_at)
				ev(&g, W, 11, cl + f, q_at - f);
			ev(&g, R, 20, sv, a_at);
			/* the query, cut at f when f falls in it; the rows, cut at b */
			size_t qf = f > q_at ? f - q_at : cln - q_at;
			ev(&g, W, 30, cl + q_at, qf);
			if (qf < cln - q_at)
				ev(&g, W, 31, cl + q_at + qf, cln - q_at - qf);
			ev(&g, R, 40, sv + a_at, b);
			if (b < svn - a_at)
				ev(&g, R, 41, sv + a_at + b, svn - a_at - b);
			rig_done(&g);
			assert_int_equal(events(&g), 4);
			const EcEvent *l = nth(&g, 0), *q = nth(&g, 2), *a = nth(&g, 3);
			assert_int_equal(l->type, EC_TYPE_MYSQL_REQUEST);
			assert_string_equal(l->authority, "alice@shop");
			assert_text(l, "login: user 'alice', database 'shop', auth (hidden)");
			assert_string_equal(nth(&g, 1)->summary, "connected");
			assert_int_equal(q->type, EC_TYPE_MYSQL_REQUEST);
			assert_string_equal(q->method, "SELECT");
			assert_string_equal(q->path, "SELECT id, v FROM t");
			assert_int_equal(a->type, EC_TYPE_MYSQL_RESPONSE);
			assert_int_equal(a->exchange_id, q->exchange_id);
			assert_string_equal(a->summary, "2 rows");
			assert_text(a, table_text);
			assert_int_equal(a->latency_first_ns, qf < cln - q_at ? 9 : 10);
			assert_int_equal(a->latency_last_ns,
					 (b < svn - a_at ? 41 : 40) - (qf < cln - q_at ? 31 : 30));
			rig_free(&g);
		}
	}
}

/* A query of 0xffffff + 10 bytes: two packets, fed in 64 KiB records; kept up to --max-body. */
static void test_continuation(void **state)
{
	(void)state;
	size_t total = EC_MYSQL_MAX_PACKET + 10, n = 4 + EC_MYSQL_MAX_PACKET + 4 + 10;
	uint8_t *b = malloc(n);
	assert_non_null(b);
	b[0] = b[1] = b[2] = 0xff;
	b[3] = 0;
	memcpy(b + 4, "\x03SELECT '", 9);
	memset(b + 13, 'a', EC_MYSQL_MAX_PACKET - 9);
	b[4 + EC_MYSQL_MAX_PACKET] = 10;
	b[4 + EC_MYSQL_MAX_PACKET + 1] = b[4 + EC_MYSQL_MAX_PACKET + 2] = 0;
	b[4 + EC_MYSQL_MAX_PACKET + 3] = 1;
	memcpy(b + n - 10, "aaaaaaaa' ", 10);
	struct rig g;
	rig_open(&g, 3306, "mariadb", 4096);
	for (size_t off = 0; off < n; off += 65536)
		ev(&g, W, 1 + (int64_t)(off / 65536), b + off, n - off < 65536 ? n - off : 65536);
	uint8_t ok[16];
	ev(&g, R, 1000, ok, pkt(ok, 2, "\0\0\0\2\0\0\0", 7));
	/* the next command and its answer, in sequence again */
	uint8_t ping[8];
	ev(&g, W, 1001, ping, pkt(ping, 0, "\x0e", 1));
	ev(&g, R, 1002, ok, pkt(ok, 1, "\0\0\0\2\0\0\0", 7));
	rig_done(&g);
	free(b);
	assert_int_equal(events(&g), 4);
	const EcEvent *q = nth(&g, 0), *a = nth(&g, 1);
	assert_int_equal(q->type, EC_TYPE_MYSQL_REQUEST);
	assert_string_equal(q->method, "SELECT");
	assert_true(q->truncated);
	assert_int_equal(q->orig_length, total + 8);
	assert_int_equal(q->payload.len, 4096);
	assert_memory_equal(q->payload.data, "SELECT 'aaa", 11);
	assert_int_equal(a->exchange_id, q->exchange_id);
	assert_string_equal(a->summary, "OK 0 rows affected");
	assert_string_equal(nth(&g, 2)->method, "PING");
	assert_int_equal(nth(&g, 3)->exchange_id, nth(&g, 2)->exchange_id);
	rig_free(&g);
}

/* Garbage from the client: out as type 0, sync lost; the next command is decoded again. */
static void test_garbage(void **state)
{
	(void)state;
	struct rig g;
	uint8_t b[64], ok[64];
	rig_open(&g, 3306, "mariadb", 0);
	ev(&g, W, 1, b, pkt(b, 0, "\x0e", 1));
	ev(&g, R, 2, ok, pkt(ok, 1, "\0\0\0\2\0\0\0", 7));
	ev(&g, W, 3, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11); /* a TLS hello */
	ev(&g, W, 4, b, pkt(b, 0, "\x03SELECT 1", 9));
	ev(&g, R, 5, ok, pkt(ok, 1, "\xff\x7a\x04#42000oops", 13));
	/* the server out of sequence inside an answer */
	ev(&g, W, 6, b, pkt(b, 0, "\x03SELECT 2", 9));
	size_t k = pkt(ok, 1, "\1", 1);
	k += pkt(ok + k, 7, "\0", 1);
	ev(&g, R, 7, ok, k);
	rig_done(&g);
	assert_int_equal(events(&g), 8);
	assert_int_equal(nth(&g, 2)->type, 0);
	assert_true(nth(&g, 2)->desync);
	assert_string_equal(nth(&g, 2)->note, "MySQL: not a command");
	const EcEvent *q = nth(&g, 3), *a = nth(&g, 4);
	assert_string_equal(q->path, "SELECT 1");
	assert_int_equal(a->exchange_id, q->exchange_id);
	assert_int_equal(a->status, 1146);
	assert_true(a->failed);
	assert_text(a, "ERROR 1146 (42000): oops");
	assert_int_equal(nth(&g, 6)->exchange_id, nth(&g, 5)->exchange_id);
	assert_string_equal(nth(&g, 6)->note, "MySQL: a packet out of sequence");
	assert_true(nth(&g, 7)->desync);
	rig_free(&g);
}

/* A command alone is decoded only on port 3306; a login on any port. */
static void test_detection(void **state)
{
	(void)state;
	struct rig g;
	uint8_t b[64];
	size_t n = pkt(b, 0, "\x03SELECT 1", 9);
	rig_open(&g, 13306, "mariadb", 0);
	ev(&g, W, 1, b, n);
	rig_done(&g);
	assert_int_equal(events(&g), 1);
	assert_int_equal(nth(&g, 0)->type, 0);
	rig_free(&g);
	rig_open(&g, 3306, "mariadb", 0);
	ev(&g, W, 1, b, n);
	rig_done(&g);
	assert_int_equal(nth(&g, 0)->type, EC_TYPE_MYSQL_REQUEST);
	rig_free(&g);
	build();
	rig_open(&g, 13306, "mariadb", 0);
	ev(&g, W, 1, cl, q_at);
	rig_done(&g);
	assert_int_equal(nth(&g, 0)->type, EC_TYPE_MYSQL_REQUEST);
	/* the password is nowhere */
	for (int i = 0; i < g.nout; i++) {
		uint8_t *e = malloc(8192);
		size_t k = event__log_entry__pack(g.out[i], e);
		assert_null(memmem(e, k, "secret-pass", 11));
		free(e);
	}
	rig_free(&g);
}

/* Rows past --max-body are counted, not kept; the table says so. */
static void test_rows_cut(void **state)
{
	(void)state;
	struct rig g;
	uint8_t b[8192], c[128];
	size_t k = pkt(b, 1, "\1", 1);
	k += pkt(b + k, 2, c, coldef(c, "n", 3));
	k += pkt(b + k, 3, "\xfe\0\0\2\0", 5);
	for (int i = 0; i < 200; i++)
		k += pkt(b + k, (uint8_t)(4 + i), "\0041234", 5);
	k += pkt(b + k, (uint8_t)204, "\xfe\0\0\2\0", 5);
	rig_open(&g, 3306, "mariadb", 256);
	uint8_t q[32];
	ev(&g, W, 1, q, pkt(q, 0, "\x03SELECT n FROM t", 16));
	ev(&g, R, 2, b, k);
	rig_done(&g);
	const EcEvent *a = nth(&g, 1);
	assert_string_equal(a->summary, "200 rows");
	assert_true(a->truncated);
	assert_non_null(memmem(a->payload.data, a->payload.len, "| 1234 |", 8));
	assert_non_null(memmem(a->payload.data, a->payload.len, "more rows not shown", 19));
	rig_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_packet),    cmocka_unit_test(test_lenenc),
	    cmocka_unit_test(test_every_cut), cmocka_unit_test(test_continuation),
	    cmocka_unit_test(test_garbage),   cmocka_unit_test(test_detection),
	    cmocka_unit_test(test_rows_cut),
	};
	return cmocka_run_group_tests_name("mysql", tests, NULL, NULL);
}
