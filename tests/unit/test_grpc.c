// SPDX-License-Identifier: GPL-2.0-only
/*
 * lib/proto/grpc through ec-parse: gRPC calls inside HTTP/2 as grpc-request
 * and grpc-response records (messages split across frames, gzip, status,
 * trailers-only answers), and a server-streaming answer sent in parts on
 * live input, each part with the messages whole so far.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <nghttp2/nghttp2.h>
#include <zlib.h>

#include "http2.h"
#include "parse.h"
#include "record.h"
#include "stream.h"

#include "rig.h"

#define MS 1000000ll

static void assert_payload(const EcEvent *e, const char *s)
{
	assert_non_null(e);
	if (e->payload.len != strlen(s) || memcmp(e->payload.data, s, e->payload.len))
		fail_msg("payload \"%.*s\" != \"%s\"", (int)e->payload.len,
			 (const char *)e->payload.data, s);
}

/* ---- HTTP/2 bytes ---- */

struct h2 {
	uint8_t b[4096];
	size_t n;
	nghttp2_hd_deflater *hd;
};

static void frame(struct h2 *h, uint8_t type, uint8_t flags, uint32_t sid, const void *p, size_t n)
{
	uint8_t hdr[9] = {
	    (uint8_t)(n >> 16),	  (uint8_t)(n >> 8),	(uint8_t)n,	     type,	  flags,
	    (uint8_t)(sid >> 24), (uint8_t)(sid >> 16), (uint8_t)(sid >> 8), (uint8_t)sid};
	assert_true(h->n + 9 + n <= sizeof h->b);
	memcpy(h->b + h->n, hdr, 9);
	memcpy(h->b + h->n + 9, p, n);
	h->n += 9 + n;
}

/* HEADERS of name, value pairs (NULL-ended); flags: 0x1 END_STREAM. */
static void headers(struct h2 *h, uint8_t flags, uint32_t sid, const char *const *kv)
{
	nghttp2_nv nv[16];
	size_t k = 0;
	for (; kv[2 * k]; k++)
		nv[k] = (nghttp2_nv){(uint8_t *)kv[2 * k], (uint8_t *)kv[2 * k + 1],
				     strlen(kv[2 * k]), strlen(kv[2 * k + 1]), 0};
	uint8_t blk[512];
	ssize_t bl = nghttp2_hd_deflate_hd(h->hd, blk, sizeof blk, nv, k);
	assert_true(bl > 0);
	frame(h, 1, flags | 0x4, sid, blk, (size_t)bl);
}

/* A length-prefixed gRPC message. */
static size_t grpc_msg(uint8_t *out, int compressed, const void *p, size_t n)
{
	out[0] = (uint8_t)compressed;
	out[1] = (uint8_t)(n >> 24);
	out[2] = (uint8_t)(n >> 16);
	out[3] = (uint8_t)(n >> 8);
	out[4] = (uint8_t)n;
	memcpy(out + 5, p, n);
	return 5 + n;
}

static void h2_init(struct h2 *h, int client)
{
	memset(h, 0, sizeof *h);
	assert_int_equal(nghttp2_hd_deflate_new(&h->hd, 4096), 0);
	if (client) {
		memcpy(h->b, EC_HTTP2_PREFACE, EC_HTTP2_PREFACE_LEN);
		h->n = EC_HTTP2_PREFACE_LEN;
	}
	frame(h, 4, 0, 0, "", 0);
}

static const char *const req_head[] = {":method",
				       "POST",
				       ":scheme",
				       "https",
				       ":path",
				       "/t.S/Get",
				       ":authority",
				       "localhost:50051",
				       "content-type",
				       "application/grpc",
				       "grpc-encoding",
				       "gzip",
				       NULL};
static const char *const resp_head[] = {":status", "200", "content-type", "application/grpc+proto",
					NULL};

static void test_unary(void **state)
{
	(void)state;
	struct h2 c, s;
	h2_init(&c, 1);
	h2_init(&s, 0);
	/* stream 1: a message split across two DATA frames, then a gzip one */
	headers(&c, 0, 1, req_head);
	uint8_t m[256], gz[128];
	size_t k = grpc_msg(m, 0, "\x0a\x02hi\x10\x03", 6);
	frame(&c, 0, 0, 1, m, 3);
	uLongf gl = sizeof gz;
	z_stream z = {0};
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (uint8_t *)"\x08\x96\x01";
	z.avail_in = 3;
	z.next_out = gz;
	z.avail_out = (uInt)gl;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	gl = gl - z.avail_out;
	deflateEnd(&z);
	k += grpc_msg(m + k, 1, gz, gl);
	frame(&c, 0, 1, 1, m + 3, k - 3);
	/* stream 3: not gRPC */
	headers(&c, 1, 3,
		(const char *const[]){":method", "GET", ":scheme", "https", ":path", "/x",
				      ":authority", "localhost", NULL});
	headers(&s, 0, 1, resp_head);
	k = grpc_msg(m, 0,
		     "\x0a\x03"
		     "abc",
		     5);
	frame(&s, 0, 0, 1, m, k);
	headers(&s, 1, 1, (const char *const[]){"grpc-status", "5", "grpc-message", "gone", NULL});
	headers(&s, 1, 3, (const char *const[]){":status", "404", NULL});
	struct rig g;
	rig_open(&g, 50051, "client", 0);
	ev(&g, W, 1000, c.b, c.n);
	ev(&g, R, 3000, s.b, s.n);
	rig_done(&g);
	const EcEvent *e = nth_type(&g, EC_TYPE_GRPC_REQUEST, 0);
	char want[256];
	snprintf(want, sizeof want,
		 "/t.S/Get\nmessage 1 (6 bytes):\n  1: \"hi\"\n  2: 3\n"
		 "message 2 (%lu bytes, compressed):\n  1: 150\n",
		 (unsigned long)gl);
	assert_payload(e, want);
	assert_null(nth_type(&g, EC_TYPE_GRPC_REQUEST, 1));
	assert_string_equal(e->method, "Get");
	assert_string_equal(e->path, "/t.S/Get");
	assert_string_equal(e->authority, "localhost:50051");
	assert_int_equal(e->part, 0);
	uint64_t id = e->exchange_id;
	e = nth_type(&g, EC_TYPE_GRPC_RESPONSE, 0);
	assert_payload(e, "message 1 (5 bytes):\n"
			  "  1: \"abc\"\n"
			  "grpc-status: 5 NOT_FOUND\n"
			  "grpc-message: gone");
	assert_int_equal(e->exchange_id, id);
	assert_int_equal(e->status, 5);
	assert_true(e->failed);
	assert_string_equal(e->summary, "NOT_FOUND: gone");
	assert_string_equal(e->method, "Get");
	assert_int_equal(e->latency_last_ns, 2000);
	assert_null(nth_type(&g, EC_TYPE_GRPC_RESPONSE, 1));
	/* the HTTP/2 records stay */
	assert_non_null(nth_type(&g, 2, 1));
	assert_non_null(nth_type(&g, 4, 1));
	rig_free(&g);
	nghttp2_hd_deflate_del(c.hd);
	nghttp2_hd_deflate_del(s.hd);
}

/* Parse the bytes so far, then let the input go quiet until now_ms. */
static void quiet(struct rig *g, int64_t now_ms)
{
	int64_t next;
	assert_int_equal(ec_parse_tick(g->p, now_ms * MS, &next), 0);
}

static void test_streaming_parts(void **state)
{
	(void)state;
	struct h2 c, s;
	h2_init(&c, 1);
	h2_init(&s, 0);
	headers(&c, 0, 1, req_head);
	uint8_t m[64];
	size_t k = grpc_msg(m, 0, "\x08\x01", 2);
	frame(&c, 0, 1, 1, m, k);
	/* the answer: message 1 and the start of 2; the rest of 2 and 3; 3 bytes of 4; trailers */
	headers(&s, 0, 1, resp_head);
	k = grpc_msg(m, 0, "\x0a\x03one", 5);
	k += grpc_msg(m + k, 0, "\x0a\x03two", 5);
	frame(&s, 0, 0, 1, m, k - 4);
	size_t cut1 = s.n;
	frame(&s, 0, 0, 1, m + k - 4, 4);
	k = grpc_msg(m, 0, "\x0a\x05three", 7);
	frame(&s, 0, 0, 1, m, k);
	size_t cut2 = s.n;
	k = grpc_msg(m, 0,
		     "\x0a\x04"
		     "four",
		     6);
	frame(&s, 0, 0, 1, m, 3);
	size_t cut3 = s.n;
	frame(&s, 0, 0, 1, m + 3, k - 3);
	headers(&s, 1, 1, (const char *const[]){"grpc-status", "0", NULL});
	struct rig g;
	rig_open(&g, 50051, "client", 0);
	ec_parse_arrival(g.p, 1000 * MS);
	ev(&g, W, 1000, c.b, c.n);
	ev(&g, R, 2000, s.b, cut1);
	quiet(&g, 1300);
	ec_parse_arrival(g.p, 2000 * MS);
	ev(&g, R, 3000, s.b + cut1, cut2 - cut1);
	quiet(&g, 2300);
	ec_parse_arrival(g.p, 3000 * MS);
	ev(&g, R, 4000, s.b + cut2, cut3 - cut2);
	quiet(&g, 3300);
	ec_parse_arrival(g.p, 4000 * MS);
	ev(&g, R, 5000, s.b + cut3, s.n - cut3);
	rig_done(&g);
	const EcEvent *e = nth_type(&g, EC_TYPE_GRPC_REQUEST, 0);
	assert_payload(e, "/t.S/Get\nmessage 1 (2 bytes):\n  1: 1\n");
	assert_int_equal(e->part, 0);
	uint64_t id = e->exchange_id;
	/* each part as its messages come whole; the one with none yet waits */
	e = nth_type(&g, EC_TYPE_GRPC_RESPONSE, 0);
	assert_payload(e, "message 1 (5 bytes):\n  1: \"one\"\n");
	assert_int_equal(e->part, 1);
	assert_true(e->more_parts);
	assert_int_equal(e->exchange_id, id);
	assert_int_equal(e->latency_last_ns, 0);
	e = nth_type(&g, EC_TYPE_GRPC_RESPONSE, 1);
	assert_payload(
	    e, "message 2 (5 bytes):\n  1: \"two\"\nmessage 3 (7 bytes):\n  1: \"three\"\n");
	assert_int_equal(e->part, 2);
	assert_true(e->more_parts);
	e = nth_type(&g, EC_TYPE_GRPC_RESPONSE, 2);
	assert_payload(e, "message 4 (6 bytes):\n  1: \"four\"\ngrpc-status: 0 OK");
	assert_int_equal(e->part, 3);
	assert_false(e->more_parts);
	assert_false(e->failed);
	assert_string_equal(e->summary, "OK");
	assert_int_equal(e->latency_last_ns, 4000);
	assert_null(nth_type(&g, EC_TYPE_GRPC_RESPONSE, 3));
	rig_free(&g);
	nghttp2_hd_deflate_del(c.hd);
	nghttp2_hd_deflate_del(s.hd);
}

/* A trailers-only answer; a stream cut off mid-message at the close. */
static void test_trailers_only_and_cut(void **state)
{
	(void)state;
	struct h2 c, s;
	h2_init(&c, 1);
	h2_init(&s, 0);
	headers(&c, 1, 1, req_head);
	headers(&c, 0, 3, req_head);
	uint8_t m[64];
	size_t k = grpc_msg(m, 0,
			    "\x0a\x04"
			    "half",
			    6);
	frame(&c, 0, 1, 3, m, k - 2);
	headers(&s, 1, 1,
		(const char *const[]){":status", "200", "content-type", "application/grpc",
				      "grpc-status", "12", "grpc-message", "no such method", NULL});
	headers(&s, 0, 3, resp_head);
	frame(&s, 0, 0, 3, m, 2);
	struct rig g;
	rig_open(&g, 50051, "client", 0);
	ev(&g, W, 1000, c.b, c.n);
	ev(&g, R, 2000, s.b, s.n);
	rig_done(&g);
	const EcEvent *e = nth_type(&g, EC_TYPE_GRPC_RESPONSE, 0);
	assert_payload(e, "grpc-status: 12 UNIMPLEMENTED\ngrpc-message: no such method");
	assert_string_equal(e->summary, "UNIMPLEMENTED: no such method");
	assert_int_equal(e->status, 12);
	/* stream 3's request ended mid-message: what came, said to be cut */
	e = nth_type(&g, EC_TYPE_GRPC_REQUEST, 1);
	assert_payload(e, "/t.S/Get\nmessage 1 (6 bytes):\n  (not protobuf from here)\n"
			  "  (cut: 4 of 6 bytes)\n");
	/* its answer never ended: no gRPC record, as for HTTP/2 (type 0 there) */
	assert_null(nth_type(&g, EC_TYPE_GRPC_RESPONSE, 1));
	rig_free(&g);
	nghttp2_hd_deflate_del(c.hd);
	nghttp2_hd_deflate_del(s.hd);
}

/* A call sent in parts whose connection closes before its status: the last part says so. */
static void test_parts_cut_off(void **state)
{
	(void)state;
	struct h2 c, s;
	h2_init(&c, 1);
	h2_init(&s, 0);
	headers(&c, 0, 1, req_head);
	uint8_t m[64];
	size_t k = grpc_msg(m, 0, "\x08\x01", 2);
	frame(&c, 0, 1, 1, m, k);
	headers(&s, 0, 1, resp_head);
	k = grpc_msg(m, 0, "\x08\x02", 2);
	frame(&s, 0, 0, 1, m, k);
	struct rig g;
	rig_open(&g, 50051, "client", 0);
	ec_parse_arrival(g.p, 1000 * MS);
	ev(&g, W, 1000, c.b, c.n);
	ev(&g, R, 2000, s.b, s.n);
	quiet(&g, 1300);
	ec_parse_arrival(g.p, 2000 * MS);
	ev(&g, R, 3000, NULL, 0); /* closed */
	rig_done(&g);
	const EcEvent *e = nth_type(&g, EC_TYPE_GRPC_RESPONSE, 0);
	assert_payload(e, "message 1 (2 bytes):\n  1: 2\n");
	assert_true(e->more_parts);
	e = nth_type(&g, EC_TYPE_GRPC_RESPONSE, 1);
	assert_non_null(e);
	assert_int_equal(e->part, 2);
	assert_false(e->more_parts);
	assert_true(e->failed);
	assert_string_equal(e->summary, "no grpc-status (incomplete)");
	assert_non_null(strstr(e->note, "incomplete"));
	rig_free(&g);
	nghttp2_hd_deflate_del(c.hd);
	nghttp2_hd_deflate_del(s.hd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_unary),
	    cmocka_unit_test(test_streaming_parts),
	    cmocka_unit_test(test_trailers_only_and_cut),
	    cmocka_unit_test(test_parts_cut_off),
	};
	return cmocka_run_group_tests_name("grpc", tests, NULL, NULL);
}
