// SPDX-License-Identifier: GPL-2.0-only
/* lib/core/utf8: the sanitizer (U+FFFD as Python's 'replace' does) and the terminal escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

#define R "\xef\xbf\xbd" /* U+FFFD */

/* Expected outputs from /usr/bin/python3: b.decode('utf-8', 'replace').encode(). */
static const struct {
	const char *in;
	size_t n;
	const char *out;
} fixes[] = {
    {"\xff\xfe\x1b]0;PWN\x07", 10, R R "\x1b]0;PWN\x07"},
    {"\xed\xa0\x80", 3, R R R},			   /* a surrogate */
    {"\xe0\x80", 2, R R},			   /* overlong lead */
    {"\xf0\x9f\x98", 3, R},			   /* a cut 4-byte character: one part */
    {"\xf0\x9f\x98\x80x", 5, "\xf0\x9f\x98\x80x"}, /* U+1F600 */
    {"a\xc3", 2, "a" R},
    {"\xc0\xaf", 2, R R},
    {"\xf4\x90\x80\x80", 4, R R R R}, /* over U+10FFFF */
    {"\xe2\x82\xac\x80\xbf", 5, "\xe2\x82\xac" R R},
    {"\xf8\x88\x80\x80\x80", 5, R R R R R},
    {"caf\xc3\xa9", 5, "caf\xc3\xa9"},
    {"a\0b", 3, "a" R "b"}, /* NUL: a C string field cannot hold it */
    {"", 0, ""},
};

static void fix_as_python(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof fixes / sizeof *fixes; i++) {
		char out[64];
		size_t n = ec_utf8_fix((const uint8_t *)fixes[i].in, fixes[i].n, out);
		assert_int_equal(n, strlen(fixes[i].out));
		assert_memory_equal(out, fixes[i].out, n);
		assert_true(ec_utf8_valid((const uint8_t *)out, n));
		char *d = ec_utf8_fixdup((const uint8_t *)fixes[i].in, fixes[i].n);
		assert_string_equal(d, fixes[i].out);
		free(d);
	}
}

static void valid(void **state)
{
	(void)state;
	assert_true(ec_utf8_valid((const uint8_t *)"plain ascii, long enough for words", 34));
	assert_true(ec_utf8_valid((const uint8_t *)"a\0b", 3));	    /* proto3 allows NUL */
	assert_true(ec_utf8_valid((const uint8_t *)"\xc2\x9b", 2)); /* C1 is well-formed */
	assert_false(ec_utf8_valid((const uint8_t *)"0123456789abcdef\xff", 17));
	assert_false(ec_utf8_valid((const uint8_t *)"\xed\xbf\xbf", 3));
	assert_false(ec_utf8_valid((const uint8_t *)"\xc3", 1));
	/* every single byte: only ASCII stands alone */
	for (int c = 0; c < 256; c++) {
		uint8_t b = (uint8_t)c;
		assert_int_equal(ec_utf8_valid(&b, 1), c < 0x80);
	}
}

/* The escaped form of in (n bytes) with flags, as a string. */
static char *escaped(const char *in, size_t n, unsigned flags)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	ec_utf8_escape(f, (const uint8_t *)in, n, flags);
	fclose(f);
	return buf;
}

static void escape_fields(void **state)
{
	(void)state;
	char *s = escaped("\xff\xfe\x1b]0;PWN\x07", 10, 0);
	assert_string_equal(s, "\\xff\\xfe\\x1b]0;PWN\\x07");
	free(s);
	s = escaped("a\0b\tc\r\n\x7f", 8, 0);
	assert_string_equal(s, "a\\x00b\\x09c\\x0d\\x0a\\x7f");
	free(s);
	s = escaped("say \"hi\" C:\\dir", 15, 0);
	assert_string_equal(s, "say \\\"hi\\\" C:\\\\dir");
	free(s);
	s = escaped("caf\xc3\xa9 \xe2\x82\xac \xc2\x9b[2J", 15, 0); /* C1 CSI escaped */
	assert_string_equal(s, "caf\xc3\xa9 \xe2\x82\xac \\xc2\\x9b[2J");
	free(s);
	s = escaped("0123456789 long plain name", 26, 0);
	assert_string_equal(s, "0123456789 long plain name");
	free(s);
}

static void escape_payloads(void **state)
{
	(void)state;
	const char *http = "GET / HTTP/1.1\r\nHost: a\\b \"q\"\r\n\tfolded\r\n\r\n";
	char *s = escaped(http, strlen(http), EC_UTF8_ESC_PAYLOAD);
	assert_string_equal(s, http); /* unchanged: newlines, tabs, CRLF, '\' and '"' */
	free(s);
	s = escaped("over\rwrite\x1b[2J\x07\0end\r", 20, EC_UTF8_ESC_PAYLOAD);
	assert_string_equal(s, "over\\x0dwrite\\x1b[2J\\x07\\x00end\r");
	free(s);
	s = escaped("\xe0\x80\xf0\x9f\x98\x80", 6, EC_UTF8_ESC_PAYLOAD);
	assert_string_equal(s, "\\xe0\\x80\xf0\x9f\x98\x80");
	free(s);
}

/* Whatever the bytes, the escaped form holds no control byte and is valid UTF-8. */
static void escape_every_byte(void **state)
{
	(void)state;
	uint8_t in[512];
	for (int i = 0; i < 512; i++)
		in[i] = (uint8_t)(i * 7 + (i >> 8));
	for (unsigned flags = 0; flags < 2; flags++) {
		char *s = escaped((const char *)in, sizeof in, flags);
		size_t n = strlen(s);
		assert_true(ec_utf8_valid((const uint8_t *)s, n));
		for (size_t i = 0; i < n; i++) {
			uint8_t c = (uint8_t)s[i];
			if (flags && (c == '\n' || c == '\t' || (c == '\r' && s[i + 1] == '\n')))
				continue;
			assert_true(c >= 0x20 && c != 0x7f);
			assert_false(c == 0xc2 && (uint8_t)s[i + 1] < 0xa0);
		}
		free(s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(fix_as_python),	 cmocka_unit_test(valid),
	    cmocka_unit_test(escape_fields),	 cmocka_unit_test(escape_payloads),
	    cmocka_unit_test(escape_every_byte),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
