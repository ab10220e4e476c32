// SPDX-License-Identifier: GPL-2.0-only
/* lib/proto/mysql: packet framing and length-encoded integers at their edges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mysql.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_packet),
	    cmocka_unit_test(test_lenenc),
	};
	return cmocka_run_group_tests_name("mysql", tests, NULL, NULL);
}
