/* lib/libfind: finding libssl in a process's maps and in ldconfig's cache. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/ssl.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "libfind.h"

static const char *base(const char *p)
{
	const char *b = strrchr(p, '/');
	return b ? b + 1 : p;
}

/* This test links libssl, so its own maps list it. */
static void maps_self(void **state)
{
	(void)state;
	char out[4096];
	assert_non_null(SSL_CTX_new); /* keep the libssl dependency */
	assert_int_equal(ec_libfind_maps(getpid(), NULL, out, sizeof out), 0);
	assert_int_equal(strncmp(base(out), "libssl.so", 9), 0);
	assert_int_equal(access(out, R_OK), 0);
	/* an explicit base name narrows the match; an absent one is NOTFOUND */
	assert_int_equal(ec_libfind_maps(getpid(), "libcrypto.so", out, sizeof out), 0);
	assert_int_equal(strncmp(base(out), "libcrypto.so", 12), 0);
	assert_int_equal(ec_libfind_maps(getpid(), "libnosuch.so", out, sizeof out),
			 EC_ERR_NOTFOUND);
	/* no such process: the maps file cannot be read */
	assert_int_equal(ec_libfind_maps(2147483646, NULL, out, sizeof out), EC_ERR_IO);
}

static void ldconfig(void **state)
{
	(void)state;
	char out[4096];
	assert_int_equal(ec_libfind_ldconfig(out, sizeof out), 0);
	/* OpenSSL's, never NSS's libssl3.so */
	assert_int_equal(strncmp(base(out), "libssl.so", 9), 0);
	assert_int_equal(access(out, R_OK), 0);
}

static void choose(void **state)
{
	(void)state;
	char out[4096], msg[512];
	assert_int_equal(
	    ec_libfind_ssl("/nonexistent/libssl.so.3", 0, out, sizeof out, msg, sizeof msg),
	    EC_ERR_NOTFOUND);
	assert_non_null(strstr(msg, "--libssl /nonexistent/libssl.so.3"));
	assert_int_equal(ec_libfind_ssl(NULL, getpid(), out, sizeof out, msg, sizeof msg), 0);
	assert_int_equal(strncmp(base(out), "libssl.so", 9), 0);
	assert_int_equal(ec_libfind_ssl(NULL, 0, out, sizeof out, msg, sizeof msg), 0);
	/* a dead pid falls back to nothing: its maps cannot be read */
	assert_int_equal(ec_libfind_ssl(NULL, 2147483646, out, sizeof out, msg, sizeof msg),
			 EC_ERR_NOTFOUND);
	assert_non_null(strstr(msg, "--pid 2147483646"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(maps_self),
	    cmocka_unit_test(ldconfig),
	    cmocka_unit_test(choose),
	};
	return cmocka_run_group_tests_name("libfind", tests, NULL, NULL);
}
