// SPDX-License-Identifier: GPL-2.0-only
/* lib/core/util and lib/core/record: parsers, base64, UTF-8 checks, names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <getopt.h>

#include <string.h>

#include "error.h"
#include "record.h"
#include "util.h"

static void sizes(void **state)
{
	(void)state;
	uint64_t v;
	assert_int_equal(ec_util_parse_size("64k", &v), 0);
	assert_int_equal(v, 65536);
	assert_int_equal(ec_util_parse_size("16M", &v), 0);
	assert_int_equal(v, 16u << 20);
	assert_int_equal(ec_util_parse_size("1G", &v), 0);
	assert_int_equal(v, 1u << 30);
	assert_int_equal(ec_util_parse_size("12", &v), 0);
	assert_int_equal(v, 12);
	assert_int_equal(ec_util_parse_size("", &v), EC_ERR_INVAL);
	assert_int_equal(ec_util_parse_size("-1", &v), EC_ERR_INVAL);
	assert_int_equal(ec_util_parse_size("5x", &v), EC_ERR_INVAL);
	assert_int_equal(ec_util_parse_size("99999999999999999999", &v), EC_ERR_INVAL);
	long long i;
	assert_int_equal(ec_util_parse_int("42", 0, 100, &i), 0);
	assert_int_equal(ec_util_parse_int("101", 0, 100, &i), EC_ERR_INVAL);
	assert_int_equal(ec_util_parse_int("4 2", 0, 100, &i), EC_ERR_INVAL);
}

static void base64(void **state)
{
	(void)state;
	char out[16];
	ec_base64((const uint8_t *)"", 0, out);
	assert_string_equal(out, "");
	ec_base64((const uint8_t *)"f", 1, out);
	assert_string_equal(out, "Zg==");
	ec_base64((const uint8_t *)"fo", 2, out);
	assert_string_equal(out, "Zm8=");
	ec_base64((const uint8_t *)"foobar", 6, out);
	assert_string_equal(out, "Zm9vYmFy");
}

static void utf8(void **state)
{
	(void)state;
	assert_true(ec_is_utf8((const uint8_t *)"h\xc3\xa9llo", 6));
	assert_false(ec_is_utf8((const uint8_t *)"\xc3", 1));	      /* cut sequence */
	assert_false(ec_is_utf8((const uint8_t *)"\xc0\xaf", 2));     /* overlong */
	assert_false(ec_is_utf8((const uint8_t *)"\xed\xa0\x80", 3)); /* surrogate */
	assert_false(ec_is_utf8((const uint8_t *)"a\0b", 3));
	assert_true(ec_is_text((const uint8_t *)"GET / HTTP/1.1\r\n\r\n", 18));
	assert_false(ec_is_text((const uint8_t *)"\x16\x03\x01", 3));
}

static void names(void **state)
{
	(void)state;
	assert_string_equal(ec_record_type_name(1), "http1-request");
	assert_string_equal(ec_record_type_name(99), "?");
	assert_int_equal(ec_record_type_parse("websocket"), 5);
	assert_int_equal(ec_record_type_parse("4"), 4);
	assert_int_equal(ec_record_type_parse("6"), EC_TYPE_GRPC_REQUEST);
	assert_int_equal(ec_record_type_parse("16"), -1);
	assert_int_equal(ec_record_type_parse("pgsql-response"), EC_TYPE_PGSQL_RESPONSE);
	assert_string_equal(ec_record_type_proto(EC_TYPE_DNS_QUERY), "dns");
	assert_int_equal(ec_record_type_role(EC_TYPE_REDIS_REQUEST), EC_ROLE_REQUEST);
	assert_int_equal(ec_record_type_role(EC_TYPE_MYSQL_RESPONSE), EC_ROLE_RESPONSE);
	assert_int_equal(ec_record_type_role(EC_TYPE_WEBSOCKET), EC_ROLE_NONE);
	assert_int_equal(ec_record_type_role(99), EC_ROLE_NONE);
	assert_int_equal(ec_record_source_parse("nspr"), ec_record_source_parse("nss"));
	assert_int_equal(ec_record_source_parse("postgress"), ec_record_source_parse("postgres"));
	assert_int_equal(ec_record_source_parse("libtls"), EVENT__SOURCE__SOURCE_LIBTLS);
	assert_string_equal(ec_record_source_name(EVENT__SOURCE__SOURCE_LIBTLS), "libtls");
	assert_int_equal(ec_record_source_parse("sock"), EVENT__SOURCE__SOURCE_SOCK);
	assert_string_equal(ec_record_source_name(EVENT__SOURCE__SOURCE_SOCK), "sock");
	assert_int_equal(ec_record_source_parse("nope"), -1);
	char t[40];
	assert_string_equal(ec_fmt_time(1764684000123456789ll, t, sizeof t),
			    "2025-12-02T14:00:00.123456789Z");
}

/* Parse argv as ec-capture does; "control" and "pid" seen, and what is left. */
static void opts(int argc, char **argv, const char **control, const char **pid, int *rest)
{
	static const struct option lo[] = {{"control", optional_argument, 0, 'c'},
					   {"pid", required_argument, 0, 'p'},
					   {0, 0, 0, 0}};
	int c;
	*control = *pid = NULL;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c::p:", lo, NULL)) != -1) {
		if (c == 'c') {
			const char *v = ec_optarg_optional(argc, argv);
			*control = v ? v : "default";
		} else if (c == 'p') {
			*pid = optarg;
		}
	}
	*rest = argc - optind;
}

/* An optional argument is taken as "--opt VALUE" too, never an option after it. */
static void optional_args(void **state)
{
	(void)state;
	const char *ctl, *pid;
	int rest;
	char *a[][5] = {
	    {"x", "--control", "/run/s.sock", "--pid", "7"},
	    {"x", "--control=/run/s.sock", "--pid", "7", NULL},
	    {"x", "-c", "/run/s.sock", "--pid", "7"},
	    {"x", "--pid", "7", "--control", "/run/s.sock"},
	};
	int n[] = {5, 4, 5, 5};
	for (int i = 0; i < 4; i++) {
		opts(n[i], a[i], &ctl, &pid, &rest);
		assert_string_equal(ctl, "/run/s.sock");
		assert_string_equal(pid, "7");
		assert_int_equal(rest, 0);
	}
	char *b[] = {"x", "--control", "--pid", "7"};
	opts(4, b, &ctl, &pid, &rest);
	assert_string_equal(ctl, "default");
	assert_string_equal(pid, "7");
	char *c[] = {"x", "--pid", "7", "--control"};
	opts(4, c, &ctl, &pid, &rest);
	assert_string_equal(ctl, "default");
	assert_int_equal(rest, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(sizes), cmocka_unit_test(base64),	      cmocka_unit_test(utf8),
	    cmocka_unit_test(names), cmocka_unit_test(optional_args),
	};
	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
