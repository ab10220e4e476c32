// SPDX-License-Identifier: GPL-2.0-only
/* lib/core/format: text without control bytes, JSON always UTF-8, whatever a record holds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "record.h"
#include "utf8.h"

static uint8_t rec[256], ev[200];
static size_t rlen, elen;

/* Append field num (length-delimited) holding n bytes of p. */
static size_t put(uint8_t *b, size_t at, unsigned num, const char *p, size_t n)
{
	uint8_t key[2];
	size_t k = 0;
	unsigned v = num << 3 | 2;
	while (v >= 0x80) {
		key[k++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	key[k++] = (uint8_t)v;
	memcpy(b + at, key, k);
	b[at + k] = (uint8_t)n;
	memcpy(b + at + k + 1, p, n);
	return at + k + 1 + n;
}

/*
 * LogEntry{log_type 2, event{uuid "u\xff", src_ip "10.0.0.\x1b[2J", pname
 * "\xff\xfe\x1b]0;PWN\x07", payload "a\x1b\0\xff", note "no\0te\x07"}}.
 */
static void build(void)
{
	elen = put(ev, 0, 2, "u\xff", 2);
	elen = put(ev, elen, 3, "10.0.0.\x1b[2J", 11);
	elen = put(ev, elen, 8, "\xff\xfe\x1b]0;PWN\x07", 10);
	elen = put(ev, elen, 11, "a\x1b\0\xff", 4);
	elen = put(ev, elen, 30, "no\0te\x07", 6);
	rec[0] = 0x08;
	rec[1] = 0x02;
	rlen = put(rec, 2, 2, (const char *)ev, elen);
}

/* What format wrote for the hostile record, NUL-terminated (len in *n). */
static char *render(int json, unsigned flags, size_t *n)
{
	build();
	EcLogEntry *e = ec_record_decode(rec, rlen);
	assert_non_null(e);
	struct ec_record_strs st;
	assert_int_equal(ec_record_strs(rec, rlen, &st), 0);
	char *buf = NULL;
	FILE *f = open_memstream(&buf, n);
	if (json)
		assert_int_equal(ec_format_json(f, e, &st), 0);
	else
		assert_int_equal(ec_format_text(f, e, &st, flags), 0);
	fclose(f);
	ec_record_free(e);
	return buf;
}

static void text_is_inert(void **state)
{
	(void)state;
	size_t n;
	char *s = render(0, 0, &n);
	assert_true(ec_utf8_valid((const uint8_t *)s, n));
	for (size_t i = 0; i < n; i++)
		assert_true((uint8_t)s[i] >= 0x20 || s[i] == '\n');
	assert_non_null(strstr(s, " \\xff\\xfe\\x1b]0;PWN\\x07(0/0) "));
	assert_non_null(strstr(s, "10.0.0.\\x1b[2J:0 -> "));
	assert_non_null(strstr(s, " note=\"no\\x00te\\x07\"\n")); /* not cut at the NUL */
	assert_non_null(strstr(s, "|a...|"));			  /* binary payload: a hex dump */
	free(s);

	s = render(0, EC_FMT_RAW, &n);
	assert_non_null(memmem(s, n, "\xff\xfe\x1b]0;PWN\x07(0/0)", 14));
	assert_non_null(memmem(s, n, "a\x1b\0\xff\n", 5));
	free(s);
}

static void json_is_utf8(void **state)
{
	(void)state;
	size_t n;
	char *s = render(1, 0, &n);
	assert_true(ec_utf8_valid((const uint8_t *)s, n));
	cJSON *o = cJSON_Parse(s);
	assert_non_null(o);
	cJSON *ev = cJSON_GetObjectItem(o, "event_payload");
	assert_string_equal(cJSON_GetObjectItem(ev, "pname")->valuestring,
			    "\xef\xbf\xbd\xef\xbf\xbd\x1b]0;PWN\x07");
	assert_string_equal(cJSON_GetObjectItem(ev, "pname_raw")->valuestring, "//4bXTA7UFdOBw==");
	assert_string_equal(cJSON_GetObjectItem(ev, "uuid_raw")->valuestring, "df8=");
	assert_string_equal(cJSON_GetObjectItem(ev, "note")->valuestring, "no\xef\xbf\xbdte\x07");
	assert_string_equal(cJSON_GetObjectItem(ev, "note_raw")->valuestring, "bm8AdGUH");
	assert_string_equal(cJSON_GetObjectItem(ev, "src_ip")->valuestring, "10.0.0.\x1b[2J");
	assert_null(cJSON_GetObjectItem(ev, "src_ip_raw")); /* valid UTF-8: as it is */
	assert_string_equal(cJSON_GetObjectItem(ev, "payload_encoding")->valuestring, "base64");
	cJSON_Delete(o);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(text_is_inert),
	    cmocka_unit_test(json_is_utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
