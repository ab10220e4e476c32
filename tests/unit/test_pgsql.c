// SPDX-License-Identifier: GPL-2.0-only
/*
 * lib/proto/pgsql through the ec-parse filter: every split point of an
 * exchange gives the same records, detection (startup alone; mid-stream
 * only with port 5432), secrets never rendered, cuts, hostile lengths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "parse.h"
#include "record.h"
#include "stream.h"

#include "rig.h"

/* One message: type, 4-byte length, body. */
static size_t msg(uint8_t *o, char type, const void *body, size_t n)
{
	o[0] = (uint8_t)type;
	uint32_t l = (uint32_t)n + 4;
	o[1] = (uint8_t)(l >> 24);
	o[2] = (uint8_t)(l >> 16);
	o[3] = (uint8_t)(l >> 8);
	o[4] = (uint8_t)l;
	memcpy(o + 5, body, n);
	return n + 5;
}

static const uint8_t startup[] = "\0\0\0\x31\0\3\0\0user\0alice\0database\0shop\0"
				 "options\0-c x=1\0\0";
static uint8_t fe[512], be[512];
static size_t fen, ben;

/* frontend: startup, a query; backend: AuthenticationOk, ReadyForQuery, rows, tag, ready */
static void build(void)
{
	fen = sizeof startup - 1;
	memcpy(fe, startup, fen);
	fen += msg(fe + fen, 'Q', "SELECT a, b\n  FROM t\0", 21);
	ben = msg(be, 'R', "\0\0\0\0", 4);
	ben += msg(be + ben, 'Z', "I", 1);
	static const uint8_t t[] =
	    "\0\2a\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0b\0\0\0\0\0\0\0\0\0\0\0"
	    "\0\0\0\0\0\0\0\0";
	ben += msg(be + ben, 'T', t, sizeof t - 1);
	static const uint8_t d[] = "\0\2\0\0\0\0011\xff\xff\xff\xff";
	ben += msg(be + ben, 'D', d, sizeof d - 1);
	ben += msg(be + ben, 'C', "SELECT 1\0", 9);
	ben += msg(be + ben, 'Z', "I", 1);
}

static void run_cut(struct rig *g, size_t fcut, size_t bcut)
{
	rig_open(g, 0, "psql", 0);
	/* startup, then its answer (the first 22 backend bytes), then the query */
	size_t qat = sizeof startup - 1;
	ev(g, W, 10, fe, fcut < qat ? fcut : qat);
	if (fcut < qat)
		ev(g, W, 11, fe + fcut, qat - fcut);
	ev(g, R, 20, be, 15);
	ev(g, W, 30, fe + qat, fen - qat);
	ev(g, R, 40, be + 15, bcut);
	if (bcut < ben - 15)
		ev(g, R, 41, be + 15 + bcut, ben - 15 - bcut);
	rig_done(g);
}

static void test_every_cut(void **state)
{
	(void)state;
	build();
	struct rig g;
	for (size_t f = 1; f <= sizeof startup - 1; f++) {
		for (size_t b = 1; b <= ben - 15; b += (f == 1 ? 1 : 7)) {
			run_cut(&g, f, b);
			assert_int_equal(events(&g), 4);
			const EcEvent *q = nth(&g, 2), *a = nth(&g, 3);
			assert_int_equal(nth(&g, 0)->type, EC_TYPE_PGSQL_REQUEST);
			assert_string_equal(nth(&g, 0)->authority, "alice@shop");
			assert_string_equal(nth(&g, 1)->summary, "connected");
			assert_int_equal(q->type, EC_TYPE_PGSQL_REQUEST);
			assert_string_equal(q->method, "SELECT");
			assert_string_equal(q->path, "SELECT a, b FROM t");
			assert_text(q, "SELECT a, b\n  FROM t\n");
			assert_int_equal(a->type, EC_TYPE_PGSQL_RESPONSE);
			assert_int_equal(a->exchange_id, q->exchange_id);
			assert_string_equal(a->summary, "SELECT 1");
			assert_text(a, "a | b\n1 | \nSELECT 1\n");
			assert_int_equal(a->latency_first_ns, 10);
			assert_int_equal(a->latency_last_ns, b < ben - 15 ? 11 : 10);
			rig_free(&g);
		}
	}
}

static void test_detection(void **state)
{
	(void)state;
	uint8_t q[64];
	size_t n = msg(q, 'Q', "SELECT 1\0", 9);
	struct rig g;
	/* mid-stream without port 5432: not decoded */
	rig_open(&g, 15432, "psql", 0);
	ev(&g, W, 1, q, n);
	rig_done(&g);
	assert_int_equal(events(&g), 1);
	assert_int_equal(nth(&g, 0)->type, 0);
	rig_free(&g);
	/* with it: a request */
	rig_open(&g, 5432, "psql", 0);
	ev(&g, W, 1, q, n);
	rig_done(&g);
	assert_int_equal(nth(&g, 0)->type, EC_TYPE_PGSQL_REQUEST);
	assert_string_equal(nth(&g, 0)->path, "SELECT 1");
	rig_free(&g);
	/* the wrong shape (no NUL at the end) is not a query, even on 5432 */
	q[n - 1] = 'x';
	rig_open(&g, 5432, "psql", 0);
	ev(&g, W, 1, q, n);
	rig_done(&g);
	assert_int_equal(nth(&g, 0)->type, 0);
	rig_free(&g);
	/* the backend's side first, mid-stream */
	rig_open(&g, 5432, "psql", 0);
	n = msg(q, 'C', "SELECT 0\0", 9);
	n += msg(q + n, 'Z', "T", 1);
	ev(&g, R, 1, q, n);
	rig_done(&g);
	assert_int_equal(nth(&g, 0)->type, EC_TYPE_PGSQL_RESPONSE);
	assert_string_equal(nth(&g, 0)->summary, "SELECT 0");
	assert_text(nth(&g, 0), "SELECT 0\n(in a transaction)\n");
	rig_free(&g);
}

static void test_secrets_hidden(void **state)
{
	(void)state;
	uint8_t b[256];
	size_t n;
	struct rig g;
	rig_open(&g, 0, "psql", 0);
	ev(&g, W, 1, startup, sizeof startup - 1);
	n = msg(b, 'R', "\0\0\0\3", 4);
	ev(&g, R, 2, b, n);
	n = msg(b, 'p', "hunter2\0", 8);
	ev(&g, W, 3, b, n);
	n = msg(b, 'E',
		"SFATAL\0VFATAL\0C28P01\0Mpassword authentication failed for user \"alice\"\0\0",
		71);
	ev(&g, R, 4, b, n);
	rig_done(&g);
	assert_int_equal(events(&g), 4);
	assert_string_equal(nth(&g, 1)->summary, "password asked");
	assert_text(nth(&g, 2), "PasswordMessage: password (hidden)\n");
	assert_string_equal(nth(&g, 2)->path, "password (hidden)");
	/* FATAL ends the answer: no ReadyForQuery comes */
	assert_true(nth(&g, 3)->failed);
	assert_string_equal(nth(&g, 3)->summary, "ERROR 28P01");
	for (int i = 0; i < g.nout; i++)
		assert_null(
		    memmem(nth(&g, i)->payload.data, nth(&g, i)->payload.len, "hunter2", 7));
	rig_free(&g);
}

static void test_cut_and_hostile(void **state)
{
	(void)state;
	uint8_t b[4096];
	size_t n = 0;
	struct rig g;
	/* 100 rows rendered within --max-body 64: cut, counted */
	rig_open(&g, 5432, "psql", 64);
	for (int i = 0; i < 100; i++)
		n += msg(b + n, 'D', "\0\1\0\0\0\3abc", 9);
	n += msg(b + n, 'C', "SELECT 100\0", 11);
	n += msg(b + n, 'Z', "I", 1);
	ev(&g, R, 1, b, n);
	rig_done(&g);
	assert_int_equal(events(&g), 1);
	assert_true(nth(&g, 0)->truncated);
	assert_int_equal(nth(&g, 0)->payload.len, 64);
	assert_string_equal(nth(&g, 0)->summary, "SELECT 100");
	rig_free(&g);
	/* a length of 2 GiB, then an unknown type: sync lost, bytes out as type 0 */
	rig_open(&g, 5432, "psql", 0);
	n = msg(b, 'Q', "SELECT 1\0", 9);
	memcpy(b + n, "Q\x80\0\0\0zzzz", 9);
	ev(&g, W, 1, b, n + 9);
	memcpy(b, "?\0\0\0\4", 5);
	ev(&g, W, 2, b, 5);
	n = msg(b, 'Q', "SELECT 2\0", 9);
	ev(&g, W, 3, b, n);
	rig_done(&g);
	assert_int_equal(events(&g), 4);
	assert_string_equal(nth(&g, 0)->path, "SELECT 1");
	assert_int_equal(nth(&g, 1)->type, 0);
	assert_true(nth(&g, 1)->desync);
	assert_int_equal(nth(&g, 2)->type, 0);
	assert_string_equal(nth(&g, 3)->path, "SELECT 2");
	rig_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_cut),
	    cmocka_unit_test(test_detection),
	    cmocka_unit_test(test_secrets_hidden),
	    cmocka_unit_test(test_cut_and_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
