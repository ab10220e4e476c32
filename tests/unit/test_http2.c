// SPDX-License-Identifier: GPL-2.0-only
/* lib/proto/http2: frames, HPACK through nghttp2, rendering, edge cases, every split point. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <nghttp2/nghttp2.h>

#include "error.h"
#include "http2.h"

struct bytes {
	uint8_t p[65536];
	size_t n;
};

static void put(struct bytes *b, const void *p, size_t n)
{
	assert_true(b->n + n <= sizeof b->p);
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

static void frame(struct bytes *b, uint8_t type, uint8_t flags, uint32_t sid, const void *p,
		  size_t n)
{
	uint8_t h[9] = {
	    (uint8_t)(n >> 16),	  (uint8_t)(n >> 8),	(uint8_t)n,	     type,	  flags,
	    (uint8_t)(sid >> 24), (uint8_t)(sid >> 16), (uint8_t)(sid >> 8), (uint8_t)sid};
	put(b, h, 9);
	if (n)
		put(b, p, n);
}

#define NV(n, v)                                                                                   \
	{                                                                                          \
		(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, sizeof(v) - 1, NGHTTP2_NV_FLAG_NONE \
	}

static size_t block(nghttp2_hd_deflater *d, uint8_t *out, size_t cap, nghttp2_nv *nv, size_t n)
{
	ssize_t k = nghttp2_hd_deflate_hd(d, out, cap, nv, n);
	assert_true(k > 0);
	return (size_t)k;
}

#define MAXMSG 8

struct got {
	int n, err;
	char errmsg[160];
	char text[MAXMSG][8192];
	size_t len[MAXMSG];
	unsigned flags[MAXMSG];
	uint32_t sid[MAXMSG];
	int kind[MAXMSG];
};

static void take(struct ec_http2 *h, struct got *g)
{
	const struct ec_http2_msg *m = ec_http2_message(h);
	assert_true(g->n < MAXMSG);
	assert_true(m->len <= sizeof g->text[0]);
	memcpy(g->text[g->n], m->data, m->len);
	g->len[g->n] = m->len;
	g->flags[g->n] = m->flags;
	g->sid[g->n] = m->stream_id;
	g->kind[g->n] = m->kind;
	g->n++;
	ec_http2_release(h);
}

/* Feed with a cut at `cut` (0: none), re-offering what was not consumed. */
static void drive(const uint8_t *in, size_t n, size_t cut, struct got *g)
{
	struct ec_http2 *h = ec_http2_new(1 << 20, 1 << 20);
	static uint8_t pend[65536];
	size_t plen = 0;
	struct ec_mark m = {0, 0, 0};
	memset(g, 0, sizeof *g);
	size_t pieces[2] = {cut ? cut : n, n};
	size_t pos = 0;
	for (int i = 0; i < 2 && !g->err; i++) {
		memcpy(pend + plen, in + pos, pieces[i] - pos);
		plen += pieces[i] - pos;
		pos = pieces[i];
		size_t off = 0;
		while (off < plen) {
			long k = ec_http2_feed(h, pend + off, plen - off, &m);
			if (k < 0) {
				g->err = (int)k;
				snprintf(g->errmsg, sizeof g->errmsg, "%s", ec_http2_error(h));
				break;
			}
			off += (size_t)k;
			if (ec_http2_done(h)) {
				take(h, g);
				continue;
			}
			if (k == 0)
				break;
		}
		memmove(pend, pend + off, plen - off);
		plen -= off;
	}
	while (!g->err && ec_http2_flush(h))
		take(h, g);
	ec_http2_free(h);
}

static void every_split(const struct bytes *b, const struct got *want)
{
	struct got g;
	for (size_t k = 1; k < b->n; k++) {
		drive(b->p, b->n, k, &g);
		if (g.n != want->n || g.err != want->err)
			fail_msg("cut at %zu: %d messages (err %d), want %d", k, g.n, g.err,
				 want->n);
		for (int i = 0; i < g.n; i++)
			if (g.len[i] != want->len[i] || memcmp(g.text[i], want->text[i], g.len[i]))
				fail_msg("cut at %zu: message %d differs", k, i);
	}
}

static nghttp2_hd_deflater *defl(void)
{
	nghttp2_hd_deflater *d;
	assert_int_equal(nghttp2_hd_deflate_new(&d, 4096), 0);
	return d;
}

static void test_request_and_response(void **state)
{
	(void)state;
	nghttp2_hd_deflater *cd = defl(), *sd = defl();
	struct bytes c = {0}, s = {0};
	uint8_t blk[4096], settings[6] = {0, 1, 0, 0, 0x20, 0};
	put(&c, EC_HTTP2_PREFACE, EC_HTTP2_PREFACE_LEN);
	frame(&c, 4, 0, 0, settings, 6);
	frame(&c, 8, 0, 0, "\0\0\1\0", 4); /* WINDOW_UPDATE */
	nghttp2_nv req[] = {NV(":method", "GET"), NV(":scheme", "https"),
			    NV(":authority", "example.org"), NV(":path", "/a?b=1"),
			    NV("user-agent", "test")};
	frame(&c, 1, 0x5, 1, blk, block(cd, blk, sizeof blk, req, 5));
	/* the second request reuses the dynamic table */
	frame(&c, 1, 0x5, 3, blk, block(cd, blk, sizeof blk, req, 5));
	struct got g;
	drive(c.p, c.n, 0, &g);
	assert_int_equal(g.err, 0);
	assert_int_equal(g.n, 2);
	const char *want = "GET /a?b=1 HTTP/2.0\r\n:method: GET\r\n:scheme: https\r\n"
			   ":authority: example.org\r\n:path: /a?b=1\r\nuser-agent: test\r\n\r\n";
	assert_int_equal(g.len[0], strlen(want));
	assert_memory_equal(g.text[0], want, strlen(want));
	assert_int_equal(g.kind[0], EC_HTTP2_REQUEST);
	assert_int_equal(g.sid[1], 3);
	assert_memory_equal(g.text[1], want, strlen(want));
	every_split(&c, &g);

	/* response: HEADERS, padded DATA, DATA with END_STREAM */
	frame(&s, 4, 0, 0, NULL, 0);
	frame(&s, 4, 1, 0, NULL, 0);
	nghttp2_nv resp[] = {NV(":status", "200"), NV("content-type", "text/plain")};
	frame(&s, 1, 0x4, 1, blk, block(sd, blk, sizeof blk, resp, 2));
	uint8_t padded[1 + 5 + 3] = {3, 'h', 'e', 'l', 'l', 'o', 0, 0, 0};
	frame(&s, 0, 0x8, 1, padded, sizeof padded);
	frame(&s, 0, 0x1, 1, " world", 6);
	frame(&s, 6, 0, 0, "12345678", 8); /* PING */
	drive(s.p, s.n, 0, &g);
	assert_int_equal(g.n, 1);
	want = "HTTP/2.0 200\r\n:status: 200\r\ncontent-type: text/plain\r\n\r\nhello world";
	assert_int_equal(g.len[0], strlen(want));
	assert_memory_equal(g.text[0], want, strlen(want));
	assert_int_equal(g.kind[0], EC_HTTP2_RESPONSE);
	every_split(&s, &g);
	nghttp2_hd_deflate_del(cd);
	nghttp2_hd_deflate_del(sd);
}

static void test_continuation_trailers_interleave(void **state)
{
	(void)state;
	nghttp2_hd_deflater *d = defl();
	struct bytes b = {0};
	uint8_t blk[8192];
	char big[3000];
	memset(big, 'v', sizeof big - 1);
	big[sizeof big - 1] = 0;
	nghttp2_nv h1[] = {NV(":status", "200"),
			   {(uint8_t *)"x-big", (uint8_t *)big, 5, strlen(big), 0}};
	size_t k = block(d, blk, sizeof blk, h1, 2);
	/* HEADERS + 2 CONTINUATION for stream 1 */
	frame(&b, 1, 0, 1, blk, 100);
	frame(&b, 9, 0, 1, blk + 100, 1000);
	frame(&b, 9, 0x4, 1, blk + 1100, k - 1100);
	nghttp2_nv h3[] = {NV(":status", "404")};
	frame(&b, 1, 0x4, 3, blk, block(d, blk, sizeof blk, h3, 1));
	frame(&b, 0, 0, 1, "one", 3);
	frame(&b, 0, 0x1, 3, "three", 5);
	nghttp2_nv tr[] = {NV("grpc-status", "0")};
	frame(&b, 1, 0x5, 1, blk, block(d, blk, sizeof blk, tr, 1));
	struct got g;
	drive(b.p, b.n, 0, &g);
	assert_int_equal(g.err, 0);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.sid[0], 3);
	assert_memory_equal(g.text[0], "HTTP/2.0 404\r\n:status: 404\r\n\r\nthree", g.len[0]);
	assert_int_equal(g.sid[1], 1);
	assert_true(g.flags[1] & EC_HTTP2_TRAILERS);
	const char *tail = "grpc-status: 0\r\n\r\none";
	assert_memory_equal(g.text[1] + g.len[1] - strlen(tail), tail, strlen(tail));
	assert_non_null(memmem(g.text[1], g.len[1], "x-big: vvv", 10));
	every_split(&b, &g);
	nghttp2_hd_deflate_del(d);
}

static void test_table_size_update(void **state)
{
	(void)state;
	nghttp2_hd_deflater *d = defl();
	struct bytes b = {0};
	uint8_t blk[4096];
	nghttp2_nv req[] = {NV(":method", "POST"), NV(":path", "/p"), NV("x-a", "aaaaaaaa")};
	frame(&b, 1, 0x5, 1, blk, block(d, blk, sizeof blk, req, 3));
	/* the encoder shrinks its table: the next block starts with a size update */
	assert_int_equal(nghttp2_hd_deflate_change_table_size(d, 0), 0);
	frame(&b, 1, 0x5, 3, blk, block(d, blk, sizeof blk, req, 3));
	assert_int_equal(nghttp2_hd_deflate_change_table_size(d, 4096), 0);
	frame(&b, 1, 0x5, 5, blk, block(d, blk, sizeof blk, req, 3));
	struct got g;
	drive(b.p, b.n, 0, &g);
	assert_int_equal(g.err, 0);
	assert_int_equal(g.n, 3);
	for (int i = 0; i < 3; i++)
		assert_memory_equal(g.text[i], "POST /p HTTP/2.0\r\n", 18);
	nghttp2_hd_deflate_del(d);
	/* SETTINGS_HEADER_TABLE_SIZE is reported for the other direction */
	struct ec_http2 *h = ec_http2_new(100, 1 << 16);
	uint8_t st[] = {0, 0, 6, 4, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0x40, 0};
	struct ec_mark m = {0, 0, 0};
	assert_int_equal(ec_http2_feed(h, st, sizeof st, &m), sizeof st);
	assert_int_equal(ec_http2_take_table_setting(h), 0x4000);
	assert_int_equal(ec_http2_take_table_setting(h), -1);
	assert_int_equal(ec_http2_table_size(h, 0x4000), 0);
	ec_http2_free(h);
}

static void test_reset_push_info(void **state)
{
	(void)state;
	nghttp2_hd_deflater *d = defl();
	struct bytes b = {0};
	uint8_t blk[4096], pp[4096];
	nghttp2_nv r1[] = {NV(":status", "103"), NV("link", "</s.css>")};
	frame(&b, 1, 0x4, 1, blk, block(d, blk, sizeof blk, r1, 2));
	nghttp2_nv r2[] = {NV(":status", "200")};
	frame(&b, 1, 0x4, 1, blk, block(d, blk, sizeof blk, r2, 1));
	nghttp2_nv push[] = {NV(":method", "GET"), NV(":path", "/s.css")};
	size_t k = block(d, pp + 4, sizeof pp - 4, push, 2);
	pp[0] = pp[1] = pp[2] = 0;
	pp[3] = 2; /* promised stream 2 */
	frame(&b, 5, 0x4, 1, pp, k + 4);
	frame(&b, 0, 0, 1, "part", 4);
	frame(&b, 3, 0, 1, "\0\0\0\x08", 4); /* RST_STREAM CANCEL */
	struct got g;
	drive(b.p, b.n, 0, &g);
	assert_int_equal(g.err, 0);
	assert_int_equal(g.n, 3);
	assert_true(g.flags[0] & EC_HTTP2_INFO);
	assert_memory_equal(g.text[0], "HTTP/2.0 103\r\n", 14);
	assert_true(g.flags[1] & EC_HTTP2_PUSH);
	assert_int_equal(g.sid[1], 2);
	assert_int_equal(g.kind[1], EC_HTTP2_REQUEST);
	assert_memory_equal(g.text[1], "GET /s.css HTTP/2.0\r\n", 21);
	assert_true(g.flags[2] & EC_HTTP2_RESET);
	assert_memory_equal(g.text[2] + g.len[2] - 4, "part", 4);
	every_split(&b, &g);
	nghttp2_hd_deflate_del(d);
}

static void test_incomplete_flush(void **state)
{
	(void)state;
	nghttp2_hd_deflater *d = defl();
	struct bytes b = {0};
	uint8_t blk[4096];
	nghttp2_nv r[] = {NV(":status", "200")};
	frame(&b, 1, 0x4, 7, blk, block(d, blk, sizeof blk, r, 1));
	frame(&b, 0, 0, 7, "unfinished", 10);
	struct got g;
	drive(b.p, b.n, 0, &g);
	assert_int_equal(g.n, 1);
	assert_true(g.flags[0] & EC_HTTP2_INCOMPLETE);
	nghttp2_hd_deflate_del(d);
}

static void test_errors(void **state)
{
	(void)state;
	struct got g;
	struct bytes b;
	/* CONTINUATION without HEADERS */
	memset(&b, 0, sizeof b);
	frame(&b, 9, 0x4, 1, "\x82", 1);
	drive(b.p, b.n, 0, &g);
	assert_int_equal(g.err, EC_ERR_PROTO);
	/* a PING that is not 8 bytes */
	memset(&b, 0, sizeof b);
	frame(&b, 6, 0, 0, "1234", 4);
	drive(b.p, b.n, 0, &g);
	assert_int_equal(g.err, EC_ERR_PROTO);
	/* HPACK index far outside the tables */
	memset(&b, 0, sizeof b);
	frame(&b, 1, 0x5, 1, "\xff\xff\x7f", 3);
	drive(b.p, b.n, 0, &g);
	assert_int_equal(g.err, EC_ERR_PROTO);
	/* padding longer than the frame */
	memset(&b, 0, sizeof b);
	frame(&b, 0, 0x8, 1,
	      "\x09"
	      "abc",
	      4);
	drive(b.p, b.n, 0, &g);
	assert_int_equal(g.err, EC_ERR_PROTO);
	/* DATA on stream 0 */
	memset(&b, 0, sizeof b);
	frame(&b, 0, 0, 0, "abc", 3);
	drive(b.p, b.n, 0, &g);
	assert_int_equal(g.err, EC_ERR_PROTO);
	/* another frame in the middle of a header block */
	memset(&b, 0, sizeof b);
	frame(&b, 1, 0, 1, "\x82", 1);
	frame(&b, 0, 0, 1, "x", 1);
	drive(b.p, b.n, 0, &g);
	assert_int_equal(g.err, EC_ERR_PROTO);
	/* an HPACK bomb: one big table entry named again and again */
	{
		static struct bytes bb;
		static uint8_t blk[8000];
		memset(&bb, 0, sizeof bb);
		size_t k = 0;
		blk[k++] = 0x40; /* literal with incremental indexing, new name */
		blk[k++] = 1;
		blk[k++] = 'x';
		blk[k++] = 0x7f; /* value length 4000: 127 + 3873 */
		blk[k++] = (uint8_t)(0x80 | ((4000 - 127) & 0x7f));
		blk[k++] = (uint8_t)((4000 - 127) >> 7);
		memset(blk + k, 'v', 4000);
		k += 4000;
		for (int i = 0; i < 100; i++)
			blk[k++] = 0x80 | 62; /* the entry just added */
		frame(&bb, 1, 0x5, 1, blk, k);
		drive(bb.p, bb.n, 0, &g);
		assert_int_equal(g.err, EC_ERR_PROTO);
		assert_non_null(strstr(g.errmsg, "header list over"));
	}
	/* a frame longer than the limit */
	struct ec_http2 *h = ec_http2_new(10, 100);
	uint8_t hdr[9] = {0, 1, 0, 0, 0, 0, 0, 0, 1};
	struct ec_mark m = {0, 0, 0};
	assert_int_equal(ec_http2_feed(h, hdr, 9, &m), EC_ERR_TOOBIG);
	assert_non_null(strstr(ec_http2_error(h), "256 bytes"));
	ec_http2_free(h);
	/* plausibility for resynchronisation */
	assert_true(ec_http2_plausible_frame((const uint8_t *)"\0\0\0\x04\x01\0\0\0\0", 9));
	assert_false(ec_http2_plausible_frame((const uint8_t *)"HTTP/1.1 200", 12));
	assert_false(ec_http2_plausible_frame((const uint8_t *)"\0\0", 2));
}

static void test_cut_and_many_streams(void **state)
{
	(void)state;
	nghttp2_hd_deflater *d = defl();
	static struct bytes b;
	memset(&b, 0, sizeof b);
	uint8_t blk[256];
	nghttp2_nv r[] = {NV(":status", "200")};
	for (uint32_t i = 0; i < EC_HTTP2_MAX_STREAMS + 2; i++)
		frame(&b, 1, 0x4, 1 + 2 * i, blk, block(d, blk, sizeof blk, r, 1));
	struct ec_http2 *h = ec_http2_new(4, 1 << 16);
	struct ec_mark m = {0, 0, 0};
	size_t off = 0;
	int evicted = 0;
	while (off < b.n) {
		long k = ec_http2_feed(h, b.p + off, b.n - off, &m);
		assert_true(k >= 0);
		off += (size_t)k;
		if (ec_http2_done(h)) {
			assert_true(ec_http2_message(h)->flags & EC_HTTP2_EVICTED);
			evicted++;
			ec_http2_release(h);
		}
	}
	assert_int_equal(evicted, 2);
	assert_int_equal(ec_http2_open_streams(h), EC_HTTP2_MAX_STREAMS);
	/* a long body is cut at max_body (4) but counted whole */
	uint32_t last = 1 + 2 * (EC_HTTP2_MAX_STREAMS + 1); /* still open */
	uint8_t data[9 + 10] = {0, 0, 10, 0, 1, 0, 0, (uint8_t)(last >> 8), (uint8_t)last};
	memcpy(data + 9, "0123456789", 10);
	assert_int_equal(ec_http2_feed(h, data, sizeof data, &m), sizeof data);
	assert_true(ec_http2_done(h));
	const struct ec_http2_msg *msg = ec_http2_message(h);
	assert_true(msg->flags & EC_HTTP2_CUT);
	assert_int_equal(msg->body_len, 10);
	assert_memory_equal(msg->data + msg->len - 4, "0123", 4);
	ec_http2_release(h);
	ec_http2_free(h);
	nghttp2_hd_deflate_del(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request_and_response),
	    cmocka_unit_test(test_continuation_trailers_interleave),
	    cmocka_unit_test(test_table_size_update),
	    cmocka_unit_test(test_reset_push_info),
	    cmocka_unit_test(test_incomplete_flush),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_cut_and_many_streams),
	};
	return cmocka_run_group_tests_name("http2", tests, NULL, NULL);
}
