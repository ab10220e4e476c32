// SPDX-License-Identifier: GPL-2.0-only
/* lib/serve/serve: address parsing and defaults (the server itself: serve.bats). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "serve.h"

static void ok(const char *in, const char *host, int port)
{
	char h[64], err[256];
	int p = -1;
	if (ec_serve_parse_addr(in, h, sizeof h, &p, err, sizeof err))
		fail_msg("%s: %s", in, err);
	assert_string_equal(h, host);
	assert_int_equal(p, port);
}

static void bad(const char *in, const char *why)
{
	char h[64], err[256];
	int p;
	assert_int_equal(ec_serve_parse_addr(in, h, sizeof h, &p, err, sizeof err), -1);
	if (!strstr(err, why))
		fail_msg("%s: \"%s\" lacks \"%s\"", in, err, why);
}

static void test_addr(void **state)
{
	(void)state;
	ok("127.0.0.1:28257", "127.0.0.1", 28257);
	ok("ws://127.0.0.1:28257/", "127.0.0.1", 28257);
	ok("wss://localhost:443", "localhost", 443);
	ok("http://127.0.0.1:28256", "127.0.0.1", 28256);
	ok("[::1]:9000", "::1", 9000);
	ok("[::1]:9000/", "::1", 9000);
	ok(":8080", "", 8080);
	bad("127.0.0.1", "expected HOST:PORT");
	bad("127.0.0.1:", "missing or bad port");
	bad("127.0.0.1:0", "not a number in 1-65535");
	bad("127.0.0.1:65536", "not a number in 1-65535");
	bad("127.0.0.1:80x", "not a number");
	bad("[::1]9000", "expected [IPV6]:PORT");
	bad("[::1", "expected [IPV6]:PORT");
	bad("", "expected HOST:PORT");
	char longhost[200];
	memset(longhost, 'a', sizeof longhost);
	memcpy(longhost + sizeof longhost - 4, ":80", 4);
	bad(longhost, "too long");
}

static void test_defaults(void **state)
{
	(void)state;
	struct ec_serve_opts o;
	ec_serve_defaults(&o);
	assert_string_equal(o.ws_addr, "127.0.0.1:28257");
	assert_string_equal(o.listen_addr, "127.0.0.1:28256");
	assert_int_equal(o.heartbeat_s, 15);
	assert_null(o.capture_control);
	assert_null(o.token);
	assert_true(o.queue_max > 0 && o.queue_bytes > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_addr),
	    cmocka_unit_test(test_defaults),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
