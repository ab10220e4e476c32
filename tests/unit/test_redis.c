// SPDX-License-Identifier: GPL-2.0-only
/* lib/proto/redis: RESP2/RESP3 framing at every split point, redis-cli's rendering, bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "redis.h"

static long fr(const char *s, int inl)
{
	return ec_redis_frame((const uint8_t *)s, strlen(s), inl);
}

/* Every proper prefix of a value needs more; the whole is its length. */
static void whole(const char *s, int inl)
{
	size_t n = strlen(s);
	for (size_t k = 0; k < n; k++)
		assert_int_equal(ec_redis_frame((const uint8_t *)s, k, inl), 0);
	assert_int_equal(ec_redis_frame((const uint8_t *)s, n, inl), (long)n);
}

static char *render(const char *s, int command)
{
	static struct ec_text t;
	ec_text_reset(&t, 1 << 16);
	ec_redis_render(&t, (const uint8_t *)s, strlen(s), command);
	return (char *)ec_text_get(&t);
}

static void test_frame(void **state)
{
	(void)state;
	whole("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", 0);
	whole("+OK\r\n", 0);
	whole("-ERR no\r\n", 0);
	whole(":-42\r\n", 0);
	whole("$-1\r\n", 0);
	whole("$0\r\n\r\n", 0);
	whole("*-1\r\n", 0);
	whole("*0\r\n", 0);
	whole("%1\r\n+a\r\n*2\r\n:1\r\n_\r\n", 0);
	whole("~1\r\n,1.5e3\r\n", 0);
	whole(">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n", 0);
	whole("|1\r\n+ttl\r\n:1\r\n#t\r\n", 0);
	whole("(123456789012345678901234567890\r\n", 0);
	whole("=8\r\ntxt:abcd\r\n", 0);
	whole("!3\r\nERR\r\n", 0);
	whole("PING\r\n", 1);
	whole("SET a b\n", 1);
	/* two values: only the first */
	assert_int_equal(fr("+OK\r\n+OK\r\n", 0), 5);
	/* not RESP */
	assert_int_equal(fr("PING\r\n", 0), -1);
	assert_int_equal(fr("\x16\x03\x01", 1), -1);
	assert_int_equal(fr(":12a\r\n", 0), -1);
	assert_int_equal(fr("$3\r\nabcd\r\n", 0), -1);
	assert_int_equal(fr("$-2\r\n", 0), -1);
	assert_int_equal(fr("#x\r\n", 0), -1);
	assert_int_equal(fr("_x\r\n", 0), -1);
	assert_int_equal(fr("+OK\n", 0), -1);
	assert_int_equal(fr("*1\r\nPING\r\n", 1), -1); /* inline only at the top */
	/* a command's arguments are bulk strings; what does not start with '*' is inline */
	assert_int_equal(fr("*1\r\n:1\r\n", 1), -1);
	assert_int_equal(fr("*1\r\n$-1\r\n", 1), -1);
	whole("+PING\r\n", 1);
	whole("*0\r\n", 1);
	assert_int_equal(fr("$99999999999\r\n", 0), -1);
	/* nesting is bounded */
	char deep[200] = "";
	for (int i = 0; i <= EC_REDIS_MAX_DEPTH; i++)
		strcat(deep, "*1\r\n");
	strcat(deep, ":1\r\n");
	assert_int_equal(fr(deep, 0), -1);
	/* a line that never ends is not waited for past the bound */
	size_t big = EC_REDIS_MAX_LINE + 10;
	uint8_t *p = malloc(big);
	memset(p, 'a', big);
	p[0] = '+';
	assert_int_equal(ec_redis_frame(p, big, 0), -1);
	assert_int_equal(ec_redis_frame(p, 100, 0), 0);
	free(p);
}

static void test_render(void **state)
{
	(void)state;
	assert_string_equal(render("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\na b\r\n", 1),
			    "SET k \"a b\"");
	assert_string_equal(render("*2\r\n$3\r\nGET\r\n$3\r\n\x01\"\\\r\n", 1),
			    "GET \"\\x01\\\"\\\\\"");
	assert_string_equal(render("  PING   x\r\n", 1), "PING x");
	assert_string_equal(render("+OK\r\n", 0), "OK");
	assert_string_equal(render("-ERR bad\r\n", 0), "(error) ERR bad");
	assert_string_equal(render(":3\r\n", 0), "(integer) 3");
	assert_string_equal(render("$-1\r\n", 0), "(nil)");
	assert_string_equal(render("$5\r\nhe\nlo\r\n", 0), "\"he\\nlo\"");
	assert_string_equal(render("*0\r\n", 0), "(empty array)");
	assert_string_equal(render("*2\r\n*2\r\n:1\r\n:2\r\n$1\r\nc\r\n", 0),
			    "1) 1) (integer) 1\n   2) (integer) 2\n2) \"c\"");
	assert_string_equal(render("%1\r\n$1\r\nf\r\n$1\r\nv\r\n", 0), "1# \"f\" => \"v\"");
	assert_string_equal(render("~1\r\n+x\r\n", 0), "1~ x");
	assert_string_equal(render("#f\r\n", 0), "(false)");
	assert_string_equal(render(",inf\r\n", 0), "(double) inf");
	assert_string_equal(render("|1\r\n+a\r\n+b\r\n:7\r\n", 0), "(integer) 7");
	/* verbatim text and empty sets as redis-cli shows them */
	assert_string_equal(render("=8\r\ntxt:abcd\r\n", 0), "abcd");
	assert_string_equal(render("~0\r\n", 0), "(empty set)");
	assert_string_equal(render("*2\r\n|1\r\n+a\r\n+b\r\n:1\r\n:2\r\n", 0),
			    "1) (integer) 1\n2) (integer) 2");
	assert_string_equal(render("!7\r\nERR x y\r\n", 0), "(error) ERR x y");
	/* a map's value of more than one element starts a line of its own */
	assert_string_equal(render("%2\r\n+a\r\n~2\r\n+x\r\n+y\r\n+b\r\n%1\r\n+k\r\n:1\r\n", 0),
			    "1# a => \n   1~ x\n   2~ y\n2# b => 1# k => (integer) 1");
	/* ten elements: the numbers line up as redis-cli's do */
	char ten[200] = "*10\r\n";
	for (int i = 0; i < 10; i++)
		strcat(ten, ":0\r\n");
	assert_true(strstr(render(ten, 0), "\n 9) (integer) 0\n10) (integer) 0") != NULL);
	/* the text is bounded, and says it was cut */
	struct ec_text t = {.lim = 8};
	ec_redis_render(&t, (const uint8_t *)"$20\r\naaaaaaaaaaaaaaaaaaaa\r\n", 27, 0);
	assert_int_equal(t.len, 8);
	assert_true(ec_text_cut(&t));
	ec_text_free(&t);
}

/* Feed s in pieces of step bytes, what is not taken offered again with the next piece. */
static long feed_by(struct ec_redis_val *v, const uint8_t *s, size_t n, size_t step)
{
	size_t have = 0, taken = 0;
	while (!v->done && have < n) {
		have = have + step < n ? have + step : n;
		long k = ec_redis_feed(v, s + taken, have - taken);
		if (k < 0)
			return -1;
		taken += (size_t)k;
	}
	return v->done ? (long)taken : 0;
}

/* Any split of a value reads it as the whole does: text, facts, length. */
static void test_pieces(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		int command;
	} vals[] = {
	    {"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\na b\r\n", 1},
	    {"  SUBSCRIBE   news x\r\n", 1},
	    {"*2\r\n*2\r\n:1\r\n:2\r\n$1\r\nc\r\n", 0},
	    {"%2\r\n$1\r\nf\r\n~1\r\n#t\r\n+g\r\n|1\r\n+a\r\n_\r\n,1.5\r\n", 0},
	    {">3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$5\r\nhello\r\n", 0},
	    {"|1\r\n+ttl\r\n:3600\r\n=9\r\ntxt:hello\r\n", 0},
	    {"-ERR wrong\r\n", 0},
	    {"!5\r\nERR x\r\n", 0},
	    {"*-1\r\n", 0},
	};
	for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		const uint8_t *s = (const uint8_t *)vals[i].s;
		size_t n = strlen(vals[i].s);
		struct ec_text tw = {.lim = 1 << 16}, tp = {.lim = 1 << 16};
		struct ec_redis_val w = {.command = vals[i].command, .t = &tw};
		assert_int_equal(ec_redis_feed(&w, s, n), (long)n);
		assert_true(w.done);
		for (size_t step = 1; step <= n; step++) {
			struct ec_redis_val p = {.command = vals[i].command, .t = &tp};
			ec_text_reset(&tp, 1 << 16);
			assert_int_equal(feed_by(&p, s, n, step), (long)n);
			assert_string_equal(ec_text_get(&tp), ec_text_get(&tw));
			assert_int_equal(p.wire, n);
			assert_int_equal(p.type, w.type);
			assert_int_equal(p.len, w.len);
			assert_int_equal(p.strs, w.strs);
			assert_memory_equal(p.line, w.line, w.line_n);
			for (int k = 0; k < EC_REDIS_FACTS; k++)
				if (w.strs >> k & 1)
					assert_memory_equal(p.s[k], w.s[k], w.sn[k]);
		}
		ec_text_free(&tw);
		ec_text_free(&tp);
	}
	/* the facts a decoder reads */
	struct ec_redis_val v = {0};
	const char *msg = "*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$3\r\nbye\r\n";
	assert_int_equal(ec_redis_feed(&v, (const uint8_t *)msg, strlen(msg)), (long)strlen(msg));
	assert_int_equal(v.type, '*');
	assert_int_equal(v.len, 4);
	assert_int_equal(v.strs, 7);
	assert_int_equal(v.sn[2], 4);
	assert_memory_equal(v.s[2], "news", 4);
}

/* A bulk longer than EC_REDIS_WHOLE_BULK streams: taken in any pieces, its text bounded. */
static void test_long_bulk(void **state)
{
	(void)state;
	size_t len = 3 * EC_REDIS_WHOLE_BULK, head, n;
	uint8_t *s = malloc(len + 64);
	head = (size_t)sprintf((char *)s, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%zu\r\n", len);
	memset(s + head, 'v', len);
	memcpy(s + head + len, "\r\n", 2);
	n = head + len + 2;
	struct ec_text t = {.lim = 16};
	struct ec_redis_val v = {.command = 1, .t = &t};
	/* the header is taken before the body is here: nothing long is held */
	assert_int_equal(ec_redis_feed(&v, s, head), (long)head);
	assert_false(v.done);
	assert_int_equal(feed_by(&v, s + head, n - head, 1000), (long)(n - head));
	assert_true(v.done);
	assert_string_equal(ec_text_get(&t), "SET k \"vvvvvvvvv");
	assert_true(ec_text_cut(&t));
	assert_int_equal(v.wire, n);
	/* its end must be "\r\n" */
	s[n - 1] = 'x';
	assert_int_equal(ec_redis_frame(s, n, 1), -1);
	assert_int_equal(ec_redis_frame(s, n - 1, 1), 0);
	ec_text_free(&t);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_frame),
	    cmocka_unit_test(test_render),
	    cmocka_unit_test(test_pieces),
	    cmocka_unit_test(test_long_bulk),
	};
	return cmocka_run_group_tests_name("redis", tests, NULL, NULL);
}
