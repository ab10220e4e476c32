// SPDX-License-Identifier: GPL-2.0-only
/* lib/fleet: subject tokens, the host field, --since, and per-session order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "fleet.h"
#include "record.h"
#include "stream.h"

static void tokens(void **st)
{
	(void)st;
	char t[16];
	assert_string_equal(ec_fleet_token("web1", t, sizeof t), "web1");
	assert_string_equal(ec_fleet_token("db.example.com", t, sizeof t), "db_example_com");
	assert_string_equal(ec_fleet_token("a*b>c d\te\x7f", t, sizeof t), "a_b_c_d_e_");
	assert_string_equal(ec_fleet_token("", t, sizeof t), "_");
	assert_string_equal(ec_fleet_token(NULL, t, sizeof t), "_");
	char small[3];
	assert_string_equal(ec_fleet_token("abcdef", small, sizeof small), "ab");
}

static void tags(void **st)
{
	(void)st;
	struct ec_fleet_tag t = {.session = "0123456789abcdef", .seq = 7, .subject_seq = 3}, u;
	snprintf(t.scope, sizeof t.scope, "ec.web1.*");
	char v[400], sc[64];
	assert_int_equal(ec_fleet_tag_format(&t, v, sizeof v),
			 strlen("0123456789abcdef 7 3 ec.web1.*"));
	assert_string_equal(v, "0123456789abcdef 7 3 ec.web1.*");
	assert_int_equal(ec_fleet_tag_parse(v, &u), 0);
	assert_string_equal(u.session, t.session);
	assert_int_equal(u.seq, 7);
	assert_int_equal(u.subject_seq, 3);
	assert_string_equal(u.scope, "ec.web1.*");
	assert_int_equal(ec_fleet_tag_format(&t, v, 10), 0);
	const char *bad[] = {NULL,
			     "",
			     "s",
			     "s 1",
			     "s 1 2",
			     "s 1 2 ",
			     "s 0 2 x",
			     "s x 2 y",
			     "s 1 -2 y",
			     "s 1 2 a b",
			     "s 99999999999999999999999 1 x",
			     " 1 2 x",
			     "0123456789abcdef0123456789abcdef0 1 2 x",
			     NULL};
	for (int i = 1; bad[i]; i++)
		assert_int_equal(ec_fleet_tag_parse(bad[i], &u), EC_ERR_INVAL);
	assert_int_equal(ec_fleet_tag_parse(NULL, &u), EC_ERR_INVAL);
	assert_string_equal(ec_fleet_scope_of("ec.web1.openssl", sc, sizeof sc), "ec.web1.*");
	assert_string_equal(ec_fleet_scope_of("one", sc, sizeof sc), "one.*");
}

static void covers(void **st)
{
	(void)st;
	assert_true(ec_fleet_covers("ec.>", "ec.web1.*"));
	assert_true(ec_fleet_covers("ec.web1.>", "ec.web1.*"));
	assert_true(ec_fleet_covers("ec.*.*", "ec.web1.*"));
	assert_true(ec_fleet_covers(">", "ec.web1.*"));
	assert_true(ec_fleet_covers("ec.web1.*", "ec.web1.*"));
	assert_true(ec_fleet_covers("app.logs", "app.logs"));
	assert_true(ec_fleet_covers("app.*", "app.logs"));
	assert_false(ec_fleet_covers("ec.*.openssl", "ec.web1.*"));
	assert_false(ec_fleet_covers("ec.web2.>", "ec.web1.*"));
	assert_false(ec_fleet_covers("ec.web1", "ec.web1.*"));
	assert_false(ec_fleet_covers("ec.web1.*.x", "ec.web1.*"));
	assert_false(ec_fleet_covers("ec.*", "ec.>"));
	assert_false(ec_fleet_covers("app.log", "app.logs"));
	assert_false(ec_fleet_covers("", "ec.web1.*"));
	assert_false(ec_fleet_covers("ec.>", NULL));
}

/* A record with the host field appended decodes with that host, the rest as it was. */
static void host_field(void **st)
{
	(void)st;
	EcEvent ev = EVENT__EVENT__INIT;
	ev.pid = 42;
	ev.pname = "curl";
	ev.source = EVENT__SOURCE__SOURCE_GOTLS;
	EcLogEntry e = EVENT__LOG_ENTRY__INIT;
	e.log_type = EVENT__LOG_TYPE__LOG_TYPE_EVENT;
	e.payload_case = EVENT__LOG_ENTRY__PAYLOAD_EVENT_PAYLOAD;
	e.event_payload = &ev;
	uint8_t buf[1024];
	size_t n = event__log_entry__pack(&e, buf);
	assert_string_equal(ec_fleet_module(&e), "gotls");
	char host[300];
	memset(host, 'h', 299);
	host[299] = 0; /* over 127 bytes: a two-byte length */
	size_t k = ec_fleet_host_field(host, buf + n, sizeof buf - n);
	assert_int_equal(k, 2 + 2 + 299);
	EcLogEntry *d = ec_record_decode(buf, n + k);
	assert_non_null(d);
	assert_string_equal(d->host, host);
	assert_int_equal(d->event_payload->pid, 42);
	assert_string_equal(d->event_payload->pname, "curl");
	ec_record_free(d);
	assert_int_equal(ec_fleet_host_field("", buf, sizeof buf), 0);
	assert_int_equal(ec_fleet_host_field("abc", buf, 4), 0);

	EcLogEntry l = EVENT__LOG_ENTRY__INIT;
	l.log_type = EVENT__LOG_TYPE__LOG_TYPE_PROCESS_LOG;
	assert_string_equal(ec_fleet_module(&l), "log");
	l.log_type = EVENT__LOG_TYPE__LOG_TYPE_HEARTBEAT;
	assert_string_equal(ec_fleet_module(&l), "heartbeat");
}

/* A host that is not UTF-8 is fixed by every writer (a stock client must decode it). */
static void host_sanitized(void **st)
{
	(void)st;
	static const uint8_t rec[] = {0x08, 0x01, 0x22, 0x01, 'x', 0x92, 0x01, 0x02, 0xff, 0xfe};
	uint8_t *out = NULL;
	size_t n = 0;
	assert_int_equal(ec_record_sanitize(rec, sizeof rec, &out, &n), 1);
	EcLogEntry *d = ec_record_decode(out, n);
	assert_non_null(d);
	assert_string_equal(d->host, "\xef\xbf\xbd\xef\xbf\xbd");
	assert_string_equal(d->run_log, "x");
	ec_record_free(d);
	free(out);
	/* a later Event string field (lib, 51) is checked too */
	static const uint8_t ev[] = {0x08, 0x02, 0x12, 0x04, 0x9a, 0x03, 0x01, 0xc0};
	assert_int_equal(ec_record_sanitize(ev, sizeof ev, &out, &n), 1);
	free(out);
}

static void since(void **st)
{
	(void)st;
	int64_t t, now = 1764942000LL * 1000000000LL;
	assert_int_equal(ec_fleet_parse_since("2026-12-05T10:00:00Z", now, &t), 0);
	assert_int_equal(t, 1796464800LL * 1000000000LL);
	assert_int_equal(ec_fleet_parse_since("2026-12-05T11:00:00.25+01:00", now, &t), 0);
	assert_int_equal(t, 1796464800LL * 1000000000LL + 250000000LL);
	assert_int_equal(ec_fleet_parse_since("2026-12-05T09:30:00-00:30", now, &t), 0);
	assert_int_equal(t, 1796464800LL * 1000000000LL);
	assert_int_equal(ec_fleet_parse_since("10m", now, &t), 0);
	assert_int_equal(t, now - 600LL * 1000000000LL);
	assert_int_equal(ec_fleet_parse_since("2d", now, &t), 0);
	assert_int_equal(t, now - 172800LL * 1000000000LL);
	assert_int_equal(ec_fleet_parse_since("90", now, &t), 0);
	assert_int_equal(t, now - 90LL * 1000000000LL);
	const char *bad[] = {"",
			     "yesterday",
			     "2026-12-05T10:00:00",
			     "2026-12-05T10:00:00Zx",
			     "10y",
			     "-5m",
			     "2026-12-05T10:00:00.Z",
			     "1e30d",
			     "2026-13-45T10:00:00Z",
			     NULL};
	for (int i = 0; bad[i]; i++)
		assert_int_equal(ec_fleet_parse_since(bad[i], now, &t), EC_ERR_INVAL);
	assert_int_equal(ec_fleet_parse_duration("500ms", &t), 0);
	assert_int_equal(t, 500000000);
	assert_int_equal(ec_fleet_parse_duration("1.5s", &t), 0);
	assert_int_equal(t, 1500000000);
	assert_int_equal(ec_fleet_parse_duration("s", &t), EC_ERR_INVAL);
}

/* ---- the orderer: items are small integers; fates go into a log ---- */

struct log {
	int fates[64];
	char text[4096];
	size_t len;
};

static void item(void *arg, void *it, enum ec_fleet_fate f)
{
	struct log *l = arg;
	static const char *const c = "WLDF";
	l->len += (size_t)snprintf(l->text + l->len, sizeof l->text - l->len, "%c%d ", c[f],
				   (int)(intptr_t)it);
}

static void gap(void *arg, const char *s, uint64_t from, uint64_t to)
{
	struct log *l = arg;
	l->len += (size_t)snprintf(l->text + l->len, sizeof l->text - l->len, "gap(%s:%d-%d) ", s,
				   (int)from, (int)to);
}

#define MS 1000000LL
#define PUT(o, s, n, t) ec_fleet_order_put((o), (s), (n), (void *)(intptr_t)(n), (t)*MS)

static struct ec_fleet_order *mk(struct log *l, size_t max_held, size_t max_sessions)
{
	memset(l, 0, sizeof *l);
	struct ec_fleet_order_cb cb = {item, gap, l};
	return ec_fleet_order_new(&cb, 1000 * MS, max_held, max_sessions);
}

static void order_basic(void **st)
{
	(void)st;
	struct log l;
	struct ec_fleet_order *o = mk(&l, 100, 8);
	/* in order; then 5 before 4; a resend of 3; foreign records at once */
	PUT(o, "a", 1, 0);
	PUT(o, "a", 2, 0);
	PUT(o, "a", 3, 0);
	PUT(o, "a", 5, 1);
	assert_int_equal(ec_fleet_order_held(o), 1);
	PUT(o, "a", 3, 2);
	PUT(o, NULL, 0, 2);
	PUT(o, "a", 4, 3);
	PUT(o, "a", 5, 4);
	assert_string_equal(l.text, "W1 W2 W3 D3 W0 W4 W5 D5 ");
	assert_int_equal(ec_fleet_order_held(o), 0);
	struct ec_fleet_order_stats s;
	ec_fleet_order_stats(o, &s);
	assert_int_equal(s.written, 6);
	assert_int_equal(s.dups, 2);
	ec_fleet_order_free(o);
}

static void order_gap(void **st)
{
	(void)st;
	struct log l;
	struct ec_fleet_order *o = mk(&l, 100, 8);
	PUT(o, "a", 1, 0);
	PUT(o, "a", 4, 10);
	PUT(o, "a", 3, 20);
	ec_fleet_order_tick(o, 1009 * MS);
	assert_string_equal(l.text, "W1 ");
	ec_fleet_order_tick(o, 1010 * MS); /* 4 came at 10 ms: its wait is over */
	assert_string_equal(l.text, "W1 gap(a:2-2) W3 W4 ");
	PUT(o, "a", 2, 1100); /* too late: never written, so written now, out of order */
	assert_string_equal(l.text, "W1 gap(a:2-2) W3 W4 L2 ");
	PUT(o, "a", 2, 1200); /* and once only */
	assert_string_equal(l.text, "W1 gap(a:2-2) W3 W4 L2 D2 ");
	/* a wide gap: records of it come late one by one, each written once */
	PUT(o, "a", 20, 1300);
	ec_fleet_order_tick(o, 2300 * MS);
	l.len = 0;
	l.text[0] = 0;
	PUT(o, "a", 10, 2400);
	PUT(o, "a", 5, 2400);
	PUT(o, "a", 19, 2400);
	PUT(o, "a", 10, 2400);
	PUT(o, "a", 11, 2400);
	assert_string_equal(l.text, "L10 L5 L19 D10 L11 ");
	ec_fleet_order_free(o);
}

/* A session first seen past its record 1 (a restarted subscriber) starts at
 * its lowest record once the wait is over; older ones still come out. */
static void order_start(void **st)
{
	(void)st;
	struct log l;
	struct ec_fleet_order *o = mk(&l, 100, 8);
	PUT(o, "b", 7, 0);
	PUT(o, "b", 6, 5);
	PUT(o, "b", 9, 5);
	ec_fleet_order_tick(o, 999 * MS);
	assert_string_equal(l.text, "");
	ec_fleet_order_tick(o, 1000 * MS);
	assert_string_equal(l.text, "W6 W7 ");
	ec_fleet_order_tick(o, 1005 * MS);
	assert_string_equal(l.text, "W6 W7 gap(b:8-8) W9 ");
	PUT(o, "b", 5, 1100);
	PUT(o, "b", 7, 1100);
	assert_string_equal(l.text, "W6 W7 gap(b:8-8) W9 L5 D7 ");
	ec_fleet_order_free(o);
}

/* Over max_held the oldest wait ends; over max_sessions the stalest session goes. */
static void order_bounds(void **st)
{
	(void)st;
	struct log l;
	struct ec_fleet_order *o = mk(&l, 2, 2);
	PUT(o, "a", 1, 0);
	PUT(o, "a", 3, 1);
	PUT(o, "a", 4, 2);
	PUT(o, "a", 6, 3); /* three held: a's wait ends */
	assert_string_equal(l.text, "W1 gap(a:2-2) W3 W4 ");
	assert_int_equal(ec_fleet_order_held(o), 1);
	PUT(o, "b", 1, 4);
	PUT(o, "c", 1, 5); /* a third: b goes (nothing held), not a (holds 6) */
	PUT(o, "b", 2, 6); /* b is new again: 2 waits as its first; c goes */
	struct ec_fleet_order_stats s;
	ec_fleet_order_stats(o, &s);
	assert_int_equal(s.evicted, 2);
	ec_fleet_order_free(o); /* what is held is forgotten, not written */
	assert_string_equal(l.text, "W1 gap(a:2-2) W3 W4 W1 W1 F6 F2 ");
}

/* Many sessions interleaved and shuffled: each written once, in order. */
static void order_many(void **st)
{
	(void)st;
	enum { S = 50, N = 200 };
	static struct {
		int s, n;
	} q[S * N];
	int k = 0;
	for (int s = 0; s < S; s++)
		for (int n = 1; n <= N; n++)
			q[k++] = (typeof(q[0])){s, n};
	/* shuffle within windows of 8 (a resend lands a few places late) */
	unsigned r = 12345;
	for (int i = 0; i + 8 <= k; i += 8)
		for (int j = 7; j > 0; j--) {
			r = r * 1103515245 + 12345;
			int x = (int)((r >> 16) % (unsigned)(j + 1));
			typeof(q[0]) t = q[i + j];
			q[i + j] = q[i + x];
			q[i + x] = t;
		}
	struct log l;
	memset(&l, 0, sizeof l);
	struct ec_fleet_order *o = mk(&l, 100000, 64);
	for (int i = 0; i < k; i++) {
		char name[8];
		snprintf(name, sizeof name, "s%d", q[i].s);
		l.len = 0; /* (the log only holds the last few) */
		ec_fleet_order_put(o, name, (uint64_t)q[i].n, (void *)(intptr_t)q[i].n, i);
		if (q[i].n == 1 || i % 97 == 0)
			ec_fleet_order_put(o, name, (uint64_t)q[i].n, (void *)(intptr_t)q[i].n, i);
	}
	ec_fleet_order_tick(o, 10000 * MS);
	struct ec_fleet_order_stats s;
	ec_fleet_order_stats(o, &s);
	assert_int_equal(s.written, S * N);
	assert_int_equal(s.gaps, 0);
	assert_int_equal(s.late, 0);
	assert_int_equal(ec_fleet_order_held(o), 0);
	ec_fleet_order_free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(tokens),	      cmocka_unit_test(covers),
	    cmocka_unit_test(tags),	      cmocka_unit_test(host_field),
	    cmocka_unit_test(host_sanitized), cmocka_unit_test(since),
	    cmocka_unit_test(order_basic),    cmocka_unit_test(order_gap),
	    cmocka_unit_test(order_start),    cmocka_unit_test(order_bounds),
	    cmocka_unit_test(order_many),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
