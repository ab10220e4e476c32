// SPDX-License-Identifier: GPL-2.0-only
/* lib/proto/reasm: keys, LRU eviction, idle expiry, seq gaps, buffers and marks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "error.h"
#include "reasm.h"

struct drops {
	int n;
	uint64_t ids[16];
	enum ec_reasm_why why[16];
};

static void on_drop(struct ec_rconn *c, enum ec_reasm_why why, void *arg)
{
	struct drops *d = arg;
	if (d->n < 16) {
		d->ids[d->n] = c->id;
		d->why[d->n] = why;
	}
	d->n++;
}

static EcEvent ev_conn(uint64_t conn_id, int64_t ts)
{
	EcEvent ev = EVENT__EVENT__INIT;
	ev.conn_id = conn_id;
	ev.timestamp = ts;
	ev.pid = 10;
	ev.fd = 5;
	return ev;
}

static void test_lru_evict(void **state)
{
	(void)state;
	struct drops d = {0};
	struct ec_reasm *r = ec_reasm_new(3, on_drop, &d);
	for (uint64_t i = 1; i <= 3; i++) {
		EcEvent ev = ev_conn(i, (int64_t)i);
		assert_non_null(ec_reasm_lookup(r, &ev, 1));
	}
	EcEvent ev1 = ev_conn(1, 10); /* touch 1: 2 becomes the oldest */
	assert_non_null(ec_reasm_lookup(r, &ev1, 0));
	EcEvent ev4 = ev_conn(4, 11);
	assert_non_null(ec_reasm_lookup(r, &ev4, 1));
	assert_int_equal(d.n, 1);
	assert_int_equal(d.ids[0], 2);
	assert_int_equal(d.why[0], EC_REASM_EVICT);
	assert_int_equal(ec_reasm_evicted(r), 1);
	assert_int_equal(ec_reasm_count(r), 3);
	EcEvent ev2 = ev_conn(2, 12);
	assert_null(ec_reasm_lookup(r, &ev2, 0));
	/* idle: 3 (ts 3) and 1 (ts 10) are older than 12 - 5 */
	assert_int_equal(ec_reasm_expire(r, 12, 5), 1);
	assert_int_equal(d.ids[2 - 1], 3);
	ec_reasm_free(r);
	assert_int_equal(d.n, 4); /* the rest at the end */
	assert_int_equal(d.why[3], EC_REASM_END);
}

static void test_keys(void **state)
{
	(void)state;
	struct ec_reasm *r = ec_reasm_new(10000, NULL, NULL);
	EcEvent a = ev_conn(0, 1), b = ev_conn(0, 2);
	b.fd = 6;
	struct ec_rconn *ca = ec_reasm_lookup(r, &a, 1), *cb = ec_reasm_lookup(r, &b, 1);
	assert_ptr_not_equal(ca, cb);
	assert_int_equal(ca->kind, 1);
	assert_ptr_equal(ec_reasm_lookup(r, &a, 0), ca);
	EcEvent t = EVENT__EVENT__INIT;
	t.src_ip = "10.0.0.1";
	t.src_port = 1234;
	t.dst_ip = "10.0.0.2";
	t.dst_port = 443;
	struct ec_rconn *ct = ec_reasm_lookup(r, &t, 1);
	assert_int_equal(ct->kind, 2);
	t.dst_port = 444;
	assert_null(ec_reasm_lookup(r, &t, 0));
	/* many connections: the table grows and still finds each */
	for (uint64_t i = 1; i <= 5000; i++) {
		EcEvent e = ev_conn(i, 1);
		assert_non_null(ec_reasm_lookup(r, &e, 1));
	}
	for (uint64_t i = 1; i <= 5000; i += 499) {
		EcEvent e = ev_conn(i, 1);
		struct ec_rconn *c = ec_reasm_lookup(r, &e, 0);
		assert_non_null(c);
		assert_int_equal(c->id, i);
	}
	ec_reasm_free(r);
}

static void test_seq(void **state)
{
	(void)state;
	struct ec_rdir d;
	memset(&d, 0, sizeof d);
	assert_int_equal(ec_reasm_seq(&d, 5), 0); /* the first one seen sets the base */
	assert_int_equal(ec_reasm_seq(&d, 6), 0);
	assert_int_equal(ec_reasm_seq(&d, 9), 2);
	assert_int_equal(ec_reasm_seq(&d, 10), 0);
	assert_int_equal(ec_reasm_seq(&d, 10), 1); /* a duplicate */
}

static void test_buffer_marks(void **state)
{
	(void)state;
	struct ec_rdir d;
	memset(&d, 0, sizeof d);
	struct ec_mark m1 = {1, 100, 7}, m2 = {2, 200, 8}, m3 = {3, 300, 9};
	assert_int_equal(ec_reasm_append(&d, (const uint8_t *)"abc", 3, &m1, 16), 0);
	assert_int_equal(ec_reasm_append(&d, (const uint8_t *)"defg", 4, &m2, 16), 0);
	assert_int_equal(ec_reasm_append(&d, (const uint8_t *)"hi", 2, &m3, 16), 0);
	assert_int_equal(d.len, 9);
	assert_int_equal(ec_reasm_mark_at(&d, 0).seq, 1);
	assert_int_equal(ec_reasm_mark_at(&d, 2).seq, 1);
	assert_int_equal(ec_reasm_mark_at(&d, 3).seq, 2);
	assert_int_equal(ec_reasm_mark_at(&d, 7).ts, 300);
	assert_int_equal(ec_reasm_append(&d, (const uint8_t *)"12345678", 8, &m3, 16),
			 EC_ERR_TOOBIG);
	assert_int_equal(d.len, 9);
	ec_reasm_consume(&d, 4);
	assert_memory_equal(d.buf, "efghi", 5);
	assert_int_equal(ec_reasm_mark_at(&d, 0).seq, 2);
	assert_int_equal(ec_reasm_mark_at(&d, 3).seq, 3);
	assert_int_equal(ec_reasm_mark_at(&d, 3).tid, 9);
	ec_reasm_consume(&d, 5);
	assert_int_equal(d.len, 0);
	/* more fragments than marks: bytes stay, later ones share a mark */
	for (uint64_t i = 0; i < 20; i++) {
		struct ec_mark m = {i, (int64_t)i, 0};
		assert_int_equal(ec_reasm_append(&d, (const uint8_t *)"x", 1, &m, 64), 0);
	}
	assert_int_equal(d.len, 20);
	assert_int_equal(ec_reasm_mark_at(&d, 0).seq, 0);
	assert_true(d.nmarks <= EC_REASM_MARKS);
	ec_reasm_clear(&d);
	assert_null(d.buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lru_evict),
	    cmocka_unit_test(test_keys),
	    cmocka_unit_test(test_seq),
	    cmocka_unit_test(test_buffer_marks),
	};
	return cmocka_run_group_tests_name("reasm", tests, NULL, NULL);
}
