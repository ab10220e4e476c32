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
	assert_string_equal(render("=8\r\ntxt:abcd\r\n", 0), "\"abcd\"");
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_frame),
	    cmocka_unit_test(test_render),
	};
	return cmocka_run_group_tests_name("redis", tests, NULL, NULL);
}
