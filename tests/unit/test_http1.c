// SPDX-License-Identifier: GPL-2.0-only
/* lib/proto/http1: framing, de-chunking, edge cases, every split point. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>

#include "error.h"
#include "http1.h"

#define MAXMSG 8

struct got {
	int n;
	char text[MAXMSG][4096];
	size_t len[MAXMSG];
	unsigned flags[MAXMSG];
	int kind[MAXMSG];
	int err; /* first error returned, 0 if none */
};

/*
 * Feed in as pieces cut at the given points (sorted, ends excluded), the
 * way ec-parse does: bytes not consumed are offered again with the next
 * piece appended. Finish at the end (close).
 */
static void drive(const char *in, size_t n, const size_t *cuts, size_t ncuts, unsigned req_flags,
		  size_t max_body, struct got *g)
{
	struct ec_http1 *h = ec_http1_new(max_body);
	uint8_t pend[8192];
	size_t plen = 0, pos = 0;
	memset(g, 0, sizeof *g);
	for (size_t i = 0; i <= ncuts && !g->err; i++) {
		size_t end = i < ncuts ? cuts[i] : n;
		memcpy(pend + plen, in + pos, end - pos);
		plen += end - pos;
		pos = end;
		size_t off = 0;
		while (off < plen) {
			long k = ec_http1_feed(h, pend + off, plen - off, req_flags);
			if (k < 0) {
				g->err = (int)k;
				break;
			}
			off += (size_t)k;
			if (ec_http1_done(h)) {
				const struct ec_http1_msg *m = ec_http1_message(h);
				assert_true(g->n < MAXMSG);
				memcpy(g->text[g->n], m->data, m->len);
				g->len[g->n] = m->len;
				g->flags[g->n] = m->flags;
				g->kind[g->n] = m->kind;
				g->n++;
				ec_http1_reset(h);
				continue;
			}
			if (k == 0)
				break;
		}
		memmove(pend, pend + off, plen - off);
		plen -= off;
	}
	if (!g->err && ec_http1_busy(h) && ec_http1_finish(h)) {
		const struct ec_http1_msg *m = ec_http1_message(h);
		memcpy(g->text[g->n], m->data, m->len);
		g->len[g->n] = m->len;
		g->flags[g->n] = m->flags;
		g->kind[g->n] = m->kind;
		g->n++;
	}
	ec_http1_free(h);
}

static void whole(const char *in, unsigned req_flags, struct got *g)
{
	drive(in, strlen(in), NULL, 0, req_flags, 1 << 20, g);
}

/* The same result for every single split point and for byte-at-a-time input. */
static void every_split(const char *in, unsigned req_flags, const struct got *want)
{
	size_t n = strlen(in);
	struct got g;
	for (size_t k = 1; k < n; k++) {
		drive(in, n, &k, 1, req_flags, 1 << 20, &g);
		if (g.n != want->n || g.err != want->err)
			fail_msg("split at %zu: %d messages (err %d), want %d", k, g.n, g.err,
				 want->n);
		for (int i = 0; i < g.n; i++) {
			if (g.len[i] != want->len[i] || memcmp(g.text[i], want->text[i], g.len[i]))
				fail_msg("split at %zu: message %d differs", k, i);
			assert_int_equal(g.flags[i], want->flags[i]);
		}
	}
	size_t cuts[4096];
	for (size_t k = 1; k < n; k++)
		cuts[k - 1] = k;
	drive(in, n, cuts, n - 1, req_flags, 1 << 20, &g);
	assert_int_equal(g.n, want->n);
	for (int i = 0; i < g.n; i++)
		assert_memory_equal(g.text[i], want->text[i], g.len[i]);
}

static void test_request_get(void **state)
{
	(void)state;
	struct got g;
	const char *req = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
	whole(req, 0, &g);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.kind[0], EC_HTTP1_REQUEST);
	assert_int_equal(g.len[0], strlen(req));
	assert_memory_equal(g.text[0], req, strlen(req));
	every_split(req, 0, &g);
}

static void test_pipelined(void **state)
{
	(void)state;
	struct got g;
	const char *in = "POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloGET /y HTTP/1.0\r\n\r\n"
			 "PUT /z HTTP/1.1\r\ncontent-length:  2 \r\n\r\nok";
	whole(in, 0, &g);
	assert_int_equal(g.n, 3);
	assert_int_equal(g.len[0], 44);
	assert_memory_equal(g.text[0] + 39, "hello", 5);
	assert_memory_equal(g.text[1], "GET /y HTTP/1.0\r\n\r\n", g.len[1]);
	assert_memory_equal(g.text[2] + g.len[2] - 2, "ok", 2);
	every_split(in, 0, &g);
}

static void test_response_length(void **state)
{
	(void)state;
	struct got g;
	const char *in = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1 404 Not Found\r\n"
			 "Content-Length: 0\r\n\r\n";
	whole(in, 0, &g);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.kind[0], EC_HTTP1_RESPONSE);
	assert_memory_equal(g.text[0] + g.len[0] - 3, "abc", 3);
	every_split(in, 0, &g);
}

static void test_chunked_trailers(void **state)
{
	(void)state;
	struct got g;
	const char *in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
			 "4;ext=1\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\n"
			 "Expires: never\r\n\r\n";
	const char *want = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n"
			   "Expires: never\r\n\r\nWikipedia in\r\n\r\nchunks.";
	whole(in, 0, &g);
	assert_int_equal(g.err, 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.len[0], strlen(want));
	assert_memory_equal(g.text[0], want, strlen(want));
	assert_true(g.flags[0] & EC_HTTP1_DECHUNKED);
	assert_true(g.flags[0] & EC_HTTP1_TRAILERS);
	every_split(in, 0, &g);
}

static void test_chunked_lf_only(void **state)
{
	(void)state;
	struct got g;
	whole("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n3\nabc\n0\n\n", 0, &g);
	assert_int_equal(g.n, 1);
	assert_memory_equal(g.text[0] + g.len[0] - 3, "abc", 3);
}

static void test_no_body_cases(void **state)
{
	(void)state;
	struct got g;
	/* HEAD: Content-Length describes the GET body, none follows */
	const char *head = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
	whole(head, EC_HTTP1_REQ_HEAD, &g);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.len[0], strlen(head));
	const char *in =
	    "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: "
	    "9\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: "
	    "1\r\n\r\nx";
	whole(in, 0, &g);
	assert_int_equal(g.n, 4);
	assert_true(g.flags[2] & EC_HTTP1_INFO);
	assert_memory_equal(g.text[3] + g.len[3] - 1, "x", 1);
	every_split(in, 0, &g);
}

static void test_upgrade_and_tunnel(void **state)
{
	(void)state;
	struct got g;
	whole("GET /chat HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", 0, &g);
	assert_int_equal(g.n, 1);
	assert_true(g.flags[0] & EC_HTTP1_UPGRADE_WS);
	whole("HTTP/1.1 101 Switching Protocols\r\nUpgrade: WebSocket\r\n\r\n\x81\x02hi", 0, &g);
	assert_int_equal(g.n, 1);
	assert_true(g.flags[0] & EC_HTTP1_TUNNEL);
	assert_true(g.flags[0] & EC_HTTP1_UPGRADE_WS);
	whole("HTTP/1.1 200 Connection established\r\n\r\n", EC_HTTP1_REQ_CONNECT, &g);
	assert_true(g.flags[0] & EC_HTTP1_TUNNEL);
}

static void test_eof_body(void **state)
{
	(void)state;
	struct got g;
	const char *in = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end";
	whole(in, 0, &g);
	assert_int_equal(g.n, 1);
	assert_true(g.flags[0] & EC_HTTP1_EOF_BODY);
	assert_int_equal(g.len[0], strlen(in));
	every_split(in, 0, &g);
}

static void test_cut(void **state)
{
	(void)state;
	struct got g;
	const char *in =
	    "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789GET / HTTP/1.1\r\n\r\n";
	drive(in, strlen(in), NULL, 0, 0, 4, &g);
	assert_int_equal(g.n, 2);
	assert_true(g.flags[0] & EC_HTTP1_CUT);
	assert_int_equal(g.len[0], 39 + 4);
	assert_memory_equal(g.text[0] + 39, "0123", 4);
	assert_int_equal(g.kind[1], EC_HTTP1_REQUEST);
}

static void test_errors(void **state)
{
	(void)state;
	struct got g;
	static const char *const bad[] = {
	    "\x16\x03\x01\x02\x00",
	    "HELLO world\r\n\r\n",
	    "GET / HTTP/2\r\n\r\n",
	    "HTTP/1.1 20 OK\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n",
	    "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
	    "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		whole(bad[i], 0, &g);
		if (g.err != EC_ERR_PROTO)
			fail_msg("case %zu: err %d, want EC_ERR_PROTO", i, g.err);
	}
	/* an endless head */
	static char big[EC_HTTP1_MAX_HEAD + 100];
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	memset(big + 19, 'a', sizeof big - 20);
	struct ec_http1 *h = ec_http1_new(100);
	assert_int_equal(ec_http1_feed(h, (uint8_t *)big, sizeof big - 1, 0), EC_ERR_TOOBIG);
	assert_non_null(strstr(ec_http1_error(h), "64 KiB"));
	ec_http1_free(h);
}

static void test_detect(void **state)
{
	(void)state;
	assert_int_equal(ec_http1_looks_like((const uint8_t *)"GET / ", 6), 1);
	assert_int_equal(ec_http1_looks_like((const uint8_t *)"GE", 2), -1);
	assert_int_equal(ec_http1_looks_like((const uint8_t *)"HTTP/1.1 200", 12), 1);
	assert_int_equal(ec_http1_looks_like((const uint8_t *)"HTTP/", 5), -1);
	assert_int_equal(ec_http1_looks_like((const uint8_t *)"PRI * HTTP/2.0", 14), 0);
	assert_int_equal(ec_http1_looks_like((const uint8_t *)"\x00\x00\x06\x04", 4), 0);
	const char *s = "garbage\r\nmore\nHTTP/1.1 200 OK\r\n";
	assert_int_equal(ec_http1_find_start((const uint8_t *)s, strlen(s)), 14);
	assert_int_equal(ec_http1_find_start((const uint8_t *)"abc", 3), 3);
}

static void test_inflate(void **state)
{
	(void)state;
	const char *text = "hello hello hello hello hello, inflated world";
	uint8_t gz[256];
	z_stream z;
	memset(&z, 0, sizeof z);
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (uint8_t *)text;
	z.avail_in = (uInt)strlen(text);
	z.next_out = gz;
	z.avail_out = sizeof gz;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	size_t gzlen = sizeof gz - z.avail_out;
	deflateEnd(&z);
	uint8_t *out;
	size_t outlen;
	assert_int_equal(ec_http1_inflate(gz, gzlen, 1, 1000, &out, &outlen), 0);
	assert_int_equal(outlen, strlen(text));
	assert_memory_equal(out, text, outlen);
	free(out);
	assert_int_equal(ec_http1_inflate(gz, gzlen, 1, 10, &out, &outlen), EC_ERR_TOOBIG);
	assert_int_equal(ec_http1_inflate(gz, gzlen - 5, 1, 1000, &out, &outlen), EC_ERR_PROTO);
	assert_int_equal(ec_http1_inflate((const uint8_t *)"plain", 5, 0, 1000, &out, &outlen),
			 EC_ERR_PROTO);
	/* raw deflate (what some servers send as "deflate") */
	uint8_t raw[256];
	memset(&z, 0, sizeof z);
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (uint8_t *)text;
	z.avail_in = (uInt)strlen(text);
	z.next_out = raw;
	z.avail_out = sizeof raw;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	size_t rawlen = sizeof raw - z.avail_out;
	deflateEnd(&z);
	assert_int_equal(ec_http1_inflate(raw, rawlen, 0, 1000, &out, &outlen), 0);
	assert_memory_equal(out, text, outlen);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request_get),
	    cmocka_unit_test(test_pipelined),
	    cmocka_unit_test(test_response_length),
	    cmocka_unit_test(test_chunked_trailers),
	    cmocka_unit_test(test_chunked_lf_only),
	    cmocka_unit_test(test_no_body_cases),
	    cmocka_unit_test(test_upgrade_and_tunnel),
	    cmocka_unit_test(test_eof_body),
	    cmocka_unit_test(test_cut),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_detect),
	    cmocka_unit_test(test_inflate),
	};
	return cmocka_run_group_tests_name("http1", tests, NULL, NULL);
}
