// SPDX-License-Identifier: GPL-2.0-only
/* lib/capture/sslrow + lib/capture/sslcal: rows as text, and the check of a calibration
 * helper's report (a report is untrusted: it comes from a process that ran
 * a foreign library).  The live calibration is tested by test_sslkeys.c
 * (the installed libssl) and tests/bats/calibrate.bats (the sandbox). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "sslcal.h"
#include "sslkeys.h"
#include "sslrow.h"

/* --- rows as text --------------------------------------------------------- */

static void test_row_roundtrip(void **state)
{
	const struct ec_sslkeys_row *rows;
	char line[EC_SSLROW_MAX];
	size_t n, bad = 99;

	(void)state;
	rows = ec_sslkeys_rows(&n);
	for (size_t i = 0; i < n; i++) {
		struct tls_ssl_offsets back;
		assert_true(ec_sslrow_format(&rows[i].off, line, sizeof(line)) > 0);
		assert_int_equal(ec_sslrow_parse(line, &back, &bad), 0);
		assert_memory_equal(&back, &rows[i].off, sizeof(back));
	}
	assert_int_equal(ec_sslrow_format(&rows[0].off, line, 20), -1);
}

static void test_row_rejects(void **state)
{
	struct tls_ssl_offsets off;
	char line[EC_SSLROW_MAX], bad_line[EC_SSLROW_MAX + 64];
	size_t bad;

	(void)state;
	memset(&off, 0, sizeof(off));
	ec_sslrow_format(&off, line, sizeof(line));
	assert_int_equal(ec_sslrow_parse(line, &off, &bad), 0);

	/* each corruption is refused, and the offset points into the line */
	static const char *const cases[][2] = {
	    {"version=0", "version=-1"},      {"version=0", "version=x"},
	    {"version=0", "version=1048576"},			     /* 2^20 */
	    {"version=0", "nosuch=0"},	      {"version=0", "s3=0"}, /* s3 twice, version missing */
	    {"flags=0x0", "flags=0x100"},     {"server_mask=0x0", "server_mask=0x100"},
	    {"version=0 ", "version=0  "},    {" server=0", ""}, /* a field missing */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *at = strstr(line, cases[i][0]);
		assert_non_null(at);
		snprintf(bad_line, sizeof(bad_line), "%.*s%s%s", (int)(at - line), line,
			 cases[i][1], at + strlen(cases[i][0]));
		bad = 9999;
		assert_int_equal(ec_sslrow_parse(bad_line, &off, &bad), -1);
		assert_true(bad <= strlen(bad_line));
	}
	assert_int_equal(ec_sslrow_parse("", &off, &bad), -1);
}

/* --- reports --------------------------------------------------------------- */

/* A report as the helper writes it, for four objects (TLS 1.3 and 1.2, both
 * roles) whose callback lines are what lib/capture/sslkeys makes of their keys. */
static struct tls_keys keys[4];
static char report[65536];

static int add(const char *line, void *ctx)
{
	int i = *(int *)ctx;
	size_t n = strlen(report);
	snprintf(report + n, sizeof(report) - n, "cb %d %s\n", i, line);
	return 0;
}

static void hexappend(const void *p, size_t n)
{
	size_t at = strlen(report);
	for (size_t i = 0; i < n; i++)
		at += (size_t)snprintf(report + at, sizeof(report) - at, "%02x",
				       ((const unsigned char *)p)[i]);
	snprintf(report + at, sizeof(report) - at, "\n");
}

static void make_report(void)
{
	struct tls_ssl_offsets off = {.flags = TLS_OFF_HS_SECRETS};
	char row[EC_SSLROW_MAX];

	for (int i = 0; i < 4; i++) {
		struct tls_keys *k = &keys[i];
		memset(k, 0, sizeof(*k));
		for (int b = 0; b < TLS_KEYS_RANDOM_LEN; b++)
			k->client_random[b] = (uint8_t)(i * 16 + b + 1);
		if (i < 2) {
			k->version = 0x0304;
			k->cipher_id = 0x03001301;
			k->valid = TLS_KEYS_HAVE_RANDOM | TLS_KEYS_HAVE_CIPHER |
				   TLS_KEYS_HAVE_HS_TRAFFIC | TLS_KEYS_HAVE_APP;
			memset(k->client_hs_traffic, 0x11, 32);
			memset(k->server_hs_traffic, 0x22, 32);
			memset(k->client_app_traffic, 0x33, 32);
			memset(k->server_app_traffic, 0x44, 32);
			memset(k->exporter_secret, 0x55, 32);
		} else {
			k->version = 0x0303;
			k->valid = TLS_KEYS_HAVE_RANDOM | TLS_KEYS_HAVE_MASTER;
			k->master_key_len = 48;
			memset(k->master_key, 0x66, 48);
		}
	}
	ec_sslrow_format(&off, row, sizeof(row));
	snprintf(report, sizeof(report), "version OpenSSL 9.9.9 test\nrow %s\n", row);
	for (int i = 0; i < 4; i++) {
		size_t n = strlen(report);
		snprintf(report + n, sizeof(report) - n, "obj %d %c 0x%04x\n", i, i % 2 ? 's' : 'c',
			 keys[i].version);
		assert_true(ec_sslkeys_lines(&keys[i], add, &i) > 0);
		n = strlen(report);
		snprintf(report + n, sizeof(report) - n, "keys %d ", i);
		hexappend(&keys[i], sizeof(keys[i]));
	}
	strcat(report, "end\n");
}

static int check(const char *rep, char *err, size_t len)
{
	struct ec_sslcal_result res;
	memset(&res, 0, sizeof(res));
	err[0] = '\0';
	return ec_sslcal_check(rep, strlen(rep), &res, err, len);
}

static void test_report_ok(void **state)
{
	struct ec_sslcal_result res;
	char err[256] = "";

	(void)state;
	make_report();
	assert_int_equal(ec_sslcal_check(report, strlen(report), &res, err, sizeof(err)), EC_OK);
	assert_string_equal(res.version, "OpenSSL 9.9.9 test");
	assert_int_equal(res.objects, 4);
	assert_int_equal(res.lines, 12); /* 5 + 5 + 1 + 1 */
	assert_true(res.off.flags & TLS_OFF_HS_SECRETS);
}

/* Replace the first occurrence of from in the report with to, check it. */
static void expect_refused(const char *from, const char *to, const char *why)
{
	char rep[sizeof(report) + 256], err[256];
	const char *at;

	make_report();
	at = strstr(report, from);
	assert_non_null(at);
	snprintf(rep, sizeof(rep), "%.*s%s%s", (int)(at - report), report, to, at + strlen(from));
	assert_int_not_equal(check(rep, err, sizeof(err)), EC_OK);
	if (!strstr(err, why))
		fail_msg("refused for \"%s\", expected \"%s\"", err, why);
}

static void test_report_refused(void **state)
{
	(void)state;
	/* a callback line the row does not reproduce */
	expect_refused("keys 0 ", "cb 0 EXPORTER_SECRET 01 02\nkeys 0 ",
		       "the row misses the EXPORTER_SECRET line");
	/* the row gives a line the library never logged */
	expect_refused("cb 2 CLIENT_RANDOM ", "cb 2 X ",
		       "the row gives a line the library never logged (CLIENT_RANDOM)");
	expect_refused("\nobj 1 s 0x0304", "\nobj 1 s 0x0303", "the row reads TLS version 0x304");
	expect_refused("keys 3 ", "keys 3 zz", "bad key material");
	expect_refused("keys 3 ", "keys 9 ", "bad key material");
	expect_refused("\nobj 2 c", "\nobj 3 c", "bad object");
	expect_refused("row flags=", "row flags=0x100 x=", "bad row at byte");
	expect_refused("end\n", "", "ended early (no \"end\")");
	expect_refused("end\n", "end\nmore\n", "text after \"end\"");
	expect_refused("version ", "bogus ", "unknown item \"bogus");
	expect_refused("version ", "error cannot load libssl: no such thing\nversion ",
		       "cannot load libssl: no such thing");
	expect_refused("\nend\n", "\nend", "not ended by a newline");
	/* no TLS 1.2 server left */
	expect_refused("obj 3 s", "obj 3 c", "lacks a TLS 1.2 or 1.3 client or server");
}

static void test_report_hostile(void **state)
{
	char err[256], big[8192];

	(void)state;
	/* a NUL inside a line, an overlong line: refused, never overread */
	static const char nul[] = "version x\0y\nend\n";
	struct ec_sslcal_result res;
	assert_int_equal(ec_sslcal_check(nul, sizeof(nul) - 1, &res, err, sizeof(err)),
			 EC_ERR_PROTO);
	assert_non_null(strstr(err, "holds a NUL"));
	memset(big, 'a', sizeof(big) - 2);
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(check(big, err, sizeof(err)), EC_ERR_PROTO);
	assert_int_equal(check("", err, sizeof(err)), EC_ERR_PROTO);
	/* 65 objects: more than a report may hold */
	char *many = malloc(65 * 32 + 1);
	assert_non_null(many);
	many[0] = '\0';
	for (int i = 0; i < 65; i++)
		sprintf(many + strlen(many), "obj %d c 0x0304\n", i);
	assert_int_equal(check(many, err, sizeof(err)), EC_ERR_PROTO);
	assert_non_null(strstr(err, "line 65: bad object"));
	free(many);
}

static void test_file_id(void **state)
{
	char id[160];
	int fd;

	(void)state;
	/* an ELF shared object with a build-id: this test's libc */
	fd = open("/proc/self/exe", O_RDONLY);
	assert_true(fd >= 0);
	/* an executable (ET_DYN as PIE) is accepted too; a text file is not */
	assert_int_equal(ec_sslcal_file_id(fd, id, sizeof(id)), EC_OK);
	assert_true(!strncmp(id, "build-id ", 9) || !strncmp(id, "sha256 ", 7));
	close(fd);
	fd = open("/etc/hostname", O_RDONLY);
	if (fd < 0)
		fd = open("/proc/self/status", O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(ec_sslcal_file_id(fd, id, sizeof(id)), EC_ERR_UNSUPPORTED);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_row_roundtrip),  cmocka_unit_test(test_row_rejects),
	    cmocka_unit_test(test_report_ok),	   cmocka_unit_test(test_report_refused),
	    cmocka_unit_test(test_report_hostile), cmocka_unit_test(test_file_id),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
