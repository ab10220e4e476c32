// SPDX-License-Identifier: GPL-2.0-only
/* lib/proto/grpc: protobuf wire format without a schema, as protoc --decode_raw shows it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pbwire.h"

static const char *raw(const void *p, size_t n, int *rc)
{
	static struct ec_text t;
	ec_text_reset(&t, 4096);
	*rc = ec_pbwire_render(&t, NULL, NULL, p, n, 0);
	return ec_text_get(&t);
}

static void test_decode_raw(void **state)
{
	(void)state;
	int rc;
	/* field 1 varint 150, field 2 "ab", field 3 a message {1: 1}, fixed32, fixed64 */
	static const uint8_t m[] = {0x08, 0x96, 0x01, 0x12, 0x02, 'a', 0x62, 0x1a, 0x02,
				    0x08, 0x01, 0x25, 1,    0,	  0,   0,    0x29, 2,
				    0,	  0,	0,    0,    0,	  0,   0};
	assert_string_equal(
	    raw(m, sizeof m, &rc),
	    "1: 150\n2: \"ab\"\n3 {\n  1: 1\n}\n4: 0x00000001\n5: 0x0000000000000002\n");
	assert_int_equal(rc, 0);
	/* bytes that are neither text nor a message */
	static const uint8_t b[] = {0x0a, 0x02, 0xff, 0x00};
	assert_string_equal(raw(b, sizeof b, &rc), "1: \"\\377\\000\"\n");
	/* a length past the end, a wire type 7, field 0: not a message */
	static const uint8_t cut[] = {0x0a, 0x09, 'x'};
	raw(cut, sizeof cut, &rc);
	assert_int_equal(rc, -1);
	static const uint8_t wt7[] = {0x0f};
	raw(wt7, sizeof wt7, &rc);
	assert_int_equal(rc, -1);
	static const uint8_t f0[] = {0x00, 0x01};
	raw(f0, sizeof f0, &rc);
	assert_int_equal(rc, -1);
	/* a varint that never ends */
	static const uint8_t v[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff,
				    0xff, 0xff, 0xff, 0xff, 0xff};
	raw(v, sizeof v, &rc);
	assert_int_equal(rc, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decode_raw),
	};
	return cmocka_run_group_tests_name("grpc", tests, NULL, NULL);
}
