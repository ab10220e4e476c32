// SPDX-License-Identifier: GPL-2.0-only
/* lib/capture/target: libraries, binaries and ELF functions to hook. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/ssl.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "target.h"

static const char *const ssl_sonames[] = {"libssl.so.3", "libssl.so.1.1", "libssl.so", NULL};
static const struct ec_target_lib libssl = {"--libssl", "libssl.so", ssl_sonames,
					    "install OpenSSL"};

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
	assert_int_equal(ec_target_maps(getpid(), "libssl.so", out, sizeof out), 0);
	assert_int_equal(strncmp(base(out), "libssl.so", 9), 0);
	assert_int_equal(access(out, R_OK), 0);
	/* an explicit base name narrows the match; an absent one is NOTFOUND */
	assert_int_equal(ec_target_maps(getpid(), "libcrypto.so", out, sizeof out), 0);
	assert_int_equal(strncmp(base(out), "libcrypto.so", 12), 0);
	assert_int_equal(ec_target_maps(getpid(), "libnosuch.so", out, sizeof out),
			 EC_ERR_NOTFOUND);
	/* no such process: the maps file cannot be read */
	assert_int_equal(ec_target_maps(2147483646, "libssl.so", out, sizeof out), EC_ERR_IO);
}

static void ldconfig(void **state)
{
	(void)state;
	char out[4096];
	assert_int_equal(ec_target_ldconfig(ssl_sonames, out, sizeof out), 0);
	/* OpenSSL's, never NSS's libssl3.so */
	assert_int_equal(strncmp(base(out), "libssl.so", 9), 0);
	assert_int_equal(access(out, R_OK), 0);
}

static void choose(void **state)
{
	(void)state;
	char out[4096], msg[512];
	assert_int_equal(
	    ec_target_lib(&libssl, "/nonexistent/libssl.so.3", 0, out, sizeof out, msg, sizeof msg),
	    EC_ERR_NOTFOUND);
	assert_non_null(strstr(msg, "--libssl /nonexistent/libssl.so.3"));
	assert_int_equal(ec_target_lib(&libssl, NULL, getpid(), out, sizeof out, msg, sizeof msg),
			 0);
	assert_int_equal(strncmp(base(out), "libssl.so", 9), 0);
	assert_int_equal(ec_target_lib(&libssl, NULL, 0, out, sizeof out, msg, sizeof msg), 0);
	/* a dead pid falls back to nothing: its maps cannot be read */
	assert_int_equal(ec_target_lib(&libssl, NULL, 2147483646, out, sizeof out, msg, sizeof msg),
			 EC_ERR_NOTFOUND);
	assert_non_null(strstr(msg, "--pid 2147483646"));
}

static void symbols(void **state)
{
	(void)state;
	char name[256], self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	assert_true(n > 0);
	self[n] = '\0';
	assert_int_equal(ec_target_symbol(self, "ec_target_symbol", 0, name, sizeof name), 0);
	assert_string_equal(name, "ec_target_symbol");
	assert_int_equal(ec_target_symbol(self, "ec_target_sym", 1, name, sizeof name), 0);
	assert_string_equal(name, "ec_target_symbol");
	assert_int_equal(ec_target_symbol(self, "ec_target_sym", 0, name, sizeof name),
			 EC_ERR_NOTFOUND);
	assert_int_equal(ec_target_symbol(self, "no_such_function_here", 0, name, sizeof name),
			 EC_ERR_NOTFOUND);
	uint64_t v = 0;
	assert_int_equal(ec_target_symbol_value(self, "ec_target_symbol_value", &v), 0);
	assert_true(v != 0);
	assert_int_equal(ec_target_symbol_value(self, "no_such_symbol_here", &v), EC_ERR_NOTFOUND);
	char list[8][EC_TARGET_SYM_LEN];
	int k = ec_target_list_symbols(self, "ec_target_s", list, 8);
	assert_int_equal(k, 3); /* find_symbol, find_lib, find_bin; never a .cold clone */
	for (int i = 0; i < k; i++)
		assert_null(strchr(list[i], '.'));
	assert_int_equal(ec_target_list_symbols(self, "ec_target_s", list, 1), 1);

	char tmp[] = "/tmp/test_target.XXXXXX";
	int fd = mkstemp(tmp);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "not an ELF file\n", 16), 16);
	close(fd);
	assert_int_equal(ec_target_symbol(tmp, "main", 0, name, sizeof name), EC_ERR_UNSUPPORTED);
	unlink(tmp);
	assert_int_equal(ec_target_symbol("/nonexistent/x", "main", 0, name, sizeof name),
			 EC_ERR_IO);
}

static void binaries(void **state)
{
	(void)state;
	char out[4096], msg[4352], dir[] = "/tmp/test_target_d.XXXXXX", f[4200];
	assert_non_null(mkdtemp(dir));
	for (int i = 1; i <= 2; i++) {
		snprintf(f, sizeof f, "%s/srv%d", dir, i);
		FILE *fp = fopen(f, "w");
		assert_non_null(fp);
		fclose(fp);
	}
	char pat[4200];
	snprintf(pat, sizeof pat, "%s/srv*", dir);
	const char *const cands[] = {"/nonexistent/a", pat, NULL};
	assert_int_equal(ec_target_bin(NULL, 0, cands, out, sizeof out, msg, sizeof msg), 0);
	snprintf(f, sizeof f, "%s/srv2", dir); /* the last in sort order (newest version) */
	assert_string_equal(out, f);
	const char *const none[] = {"/nonexistent/a", "/nonexistent/b*", NULL};
	assert_int_equal(ec_target_bin(NULL, 0, none, out, sizeof out, msg, sizeof msg),
			 EC_ERR_NOTFOUND);
	assert_non_null(strstr(msg, "/nonexistent/b*"));
	assert_int_equal(
	    ec_target_bin("/nonexistent/explicit", 0, cands, out, sizeof out, msg, sizeof msg),
	    EC_ERR_NOTFOUND);
	assert_non_null(strstr(msg, "/nonexistent/explicit"));
	/* --pid: the process's own executable */
	assert_int_equal(ec_target_bin(NULL, getpid(), none, out, sizeof out, msg, sizeof msg), 0);
	assert_non_null(strstr(out, "test_target"));
	for (int i = 1; i <= 2; i++) {
		snprintf(f, sizeof f, "%s/srv%d", dir, i);
		unlink(f);
	}
	rmdir(dir);
}

static void libraries(void **state)
{
	(void)state;
	char out[4096], msg[4352];
	static const char *const nosuch[] = {"libnosuch.so.9", NULL};
	struct ec_target_lib libc = {"--libc", "libc.so", nosuch, "install it"};
	struct ec_target_lib none = {"--nosuch", "libnosuch", nosuch, "install it"};
	/* this process maps libc: found through /proc/PID/maps */
	assert_int_equal(ec_target_lib(&libc, NULL, getpid(), out, sizeof out, msg, sizeof msg), 0);
	assert_non_null(strstr(out, "libc.so"));
	assert_int_equal(ec_target_lib(&none, NULL, 0, out, sizeof out, msg, sizeof msg),
			 EC_ERR_NOTFOUND);
	assert_non_null(strstr(msg, "libnosuch.so.9"));
	assert_non_null(strstr(msg, "--nosuch PATH"));
	assert_int_equal(
	    ec_target_lib(&none, "/nonexistent/lib.so", 0, out, sizeof out, msg, sizeof msg),
	    EC_ERR_NOTFOUND);
	assert_non_null(strstr(msg, "--nosuch /nonexistent/lib.so"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(maps_self), cmocka_unit_test(ldconfig), cmocka_unit_test(choose),
	    cmocka_unit_test(symbols),	 cmocka_unit_test(binaries), cmocka_unit_test(libraries),
	};
	return cmocka_run_group_tests_name("target", tests, NULL, NULL);
}
