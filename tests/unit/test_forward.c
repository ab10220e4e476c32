// SPDX-License-Identifier: GPL-2.0-only
/* lib/forward (forward, replay): request rebuilding, every rejection, URLs, filters, headers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "forward.h"
#include "replay.h"

static int parse(struct ec_forward_request *r, uint32_t type, const char *s, char *msg)
{
	return ec_forward_parse(r, type, (const uint8_t *)s, strlen(s), "10.0.0.7", 8443, NULL, msg,
				256);
}

static const char *hdr(const struct ec_forward_request *r, const char *name)
{
	for (size_t i = 0; i < r->nhdr; i++)
		if (!strcasecmp(r->hdr[i].name, name))
			return r->hdr[i].value;
	return NULL;
}

static void http1_basic(void **state)
{
	(void)state;
	struct ec_forward_request r;
	char msg[256];
	const char *in = "POST /api/items?x=1 HTTP/1.1\r\n"
			 "Host: shop.example:8443\r\n"
			 "Content-Type: application/json; charset=utf-8\r\n"
			 "Content-Length: 7\r\n"
			 "Cookie: s=1\r\n"
			 "Authorization: Bearer t\r\n"
			 "X-Folded: a\r\n"
			 "  b\r\n"
			 "\r\n"
			 "{\"a\":1}";
	assert_int_equal(parse(&r, 1, in, msg), 0);
	assert_string_equal(r.method, "POST");
	assert_string_equal(r.scheme, "https");
	assert_string_equal(r.authority, "shop.example:8443");
	assert_string_equal(r.host, "shop.example");
	assert_string_equal(r.path, "/api/items?x=1");
	assert_string_equal(r.from, "host");
	assert_int_equal(r.version, 11);
	assert_int_equal(r.body_len, 7);
	assert_memory_equal(r.body, "{\"a\":1}", 7);
	assert_string_equal(hdr(&r, "cookie"), "s=1");
	assert_string_equal(hdr(&r, "authorization"), "Bearer t");
	assert_string_equal(hdr(&r, "x-folded"), "a b");
	assert_null(hdr(&r, "host"));
	assert_null(hdr(&r, "content-length"));
	assert_string_equal(r.content_type, "application/json; charset=utf-8");
	assert_true(r.has_content_length);
	assert_true(ec_forward_sends_body(&r));
	assert_false(r.has_accept);
	ec_forward_request_free(&r);
}

static void hop_by_hop(void **state)
{
	(void)state;
	struct ec_forward_request r;
	char msg[256];
	const char *in = "GET / HTTP/1.1\r\n"
			 "Host: a\r\n"
			 "Connection: keep-alive, X-Secret , Foo\r\n"
			 "Connection: Bar\r\n"
			 "Keep-Alive: 5\r\nTE: trailers\r\nTrailer: X\r\n"
			 "Transfer-Encoding: chunked\r\nUpgrade: websocket\r\n"
			 "Proxy-Authorization: x\r\nProxy-Connection: y\r\n"
			 "X-Secret: 1\r\nfoo: 2\r\nBar: 3\r\nExpect: 100-continue\r\n"
			 "X-Kept: 4\r\n\r\n";
	assert_int_equal(parse(&r, 1, in, msg), 0);
	assert_int_equal(r.nhdr, 1);
	assert_string_equal(r.hdr[0].name, "X-Kept");
	assert_int_equal(r.ndropped, 14);
	assert_false(ec_forward_sends_body(&r));
	ec_forward_request_free(&r);
	assert_true(ec_forward_hop_by_hop("PROXY-anything"));
	assert_true(ec_forward_hop_by_hop("te"));
	assert_false(ec_forward_hop_by_hop("tea"));
	assert_false(ec_forward_hop_by_hop("Cookie"));
}

static void http2_render(void **state)
{
	(void)state;
	struct ec_forward_request r;
	char msg[256];
	const char *in = "POST /h2 HTTP/2.0\r\n"
			 ":method: POST\r\n:scheme: http\r\n:authority: [::1]:9000\r\n"
			 ":path: /h2?q\r\ncookie: a=1\r\nuser-agent: x\r\ncookie: b=2\r\n"
			 "te: trailers\r\ncontent-length: 2\r\nx-trailer: after\r\n\r\nhi";
	assert_int_equal(parse(&r, 2, in, msg), 0);
	assert_string_equal(r.method, "POST");
	assert_string_equal(r.scheme, "http");
	assert_string_equal(r.authority, "[::1]:9000");
	assert_string_equal(r.host, "::1");
	assert_string_equal(r.path, "/h2?q");
	assert_string_equal(r.from, ":authority");
	assert_int_equal(r.version, 20);
	assert_int_equal(r.nhdr, 3);
	assert_string_equal(r.hdr[0].name, "cookie");
	assert_string_equal(r.hdr[0].value, "a=1; b=2");
	assert_string_equal(r.hdr[2].name, "x-trailer");
	assert_int_equal(r.body_len, 2);
	ec_forward_request_free(&r);
}

static void fallbacks(void **state)
{
	(void)state;
	struct ec_forward_request r;
	char msg[256];
	/* no Host: the destination address */
	assert_int_equal(parse(&r, 1, "GET /x HTTP/1.0\n\n", msg), 0);
	assert_string_equal(r.authority, "10.0.0.7:8443");
	assert_string_equal(r.from, "destination");
	assert_int_equal(r.version, 10);
	ec_forward_request_free(&r);
	assert_int_equal(ec_forward_parse(&r, 1, (const uint8_t *)"GET / HTTP/1.1\r\n\r\n", 18,
					  "fe80::1", 443, NULL, msg, sizeof msg),
			 0);
	assert_string_equal(r.authority, "[fe80::1]:443");
	assert_string_equal(r.host, "fe80::1");
	ec_forward_request_free(&r);
	assert_int_equal(ec_forward_parse(&r, 1, (const uint8_t *)"GET / HTTP/1.1\r\n\r\n", 18, "",
					  0, NULL, msg, sizeof msg),
			 EC_ERR_PROTO);
	assert_non_null(strstr(msg, "no Host"));
	/* an unusable Host (unbracketed IPv6) falls back to the destination */
	assert_int_equal(parse(&r, 1, "GET / HTTP/1.1\r\nHost: ::1:8443\r\n\r\n", msg), 0);
	assert_string_equal(r.authority, "10.0.0.7:8443");
	assert_string_equal(r.host, "10.0.0.7");
	assert_string_equal(r.orig_host, "::1:8443");
	assert_string_equal(r.from, "destination (Host unusable)");
	ec_forward_request_free(&r);
	assert_int_equal(parse(&r, 2, "GET / HTTP/2.0\r\n:authority: a b\r\n:path: /\r\n\r\n", msg),
			 0);
	assert_string_equal(r.from, "destination (:authority unusable)");
	ec_forward_request_free(&r);
	/* absolute-form wins over Host */
	assert_int_equal(
	    parse(&r, 1, "GET http://up.example:81?a=b HTTP/1.1\r\nHost: other\r\n\r\n", msg), 0);
	assert_string_equal(r.scheme, "http");
	assert_string_equal(r.authority, "up.example:81");
	assert_string_equal(r.path, "/?a=b");
	assert_string_equal(r.from, "absolute-form");
	ec_forward_request_free(&r);
	/* OPTIONS * */
	assert_int_equal(parse(&r, 1, "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", msg), 0);
	assert_string_equal(r.path, "*");
	ec_forward_request_free(&r);
	/* decoded bodies lose Content-Encoding */
	const char *gz = "POST / HTTP/1.1\r\nHost: h\r\nContent-Encoding: gzip\r\n\r\nplain";
	assert_int_equal(ec_forward_parse(&r, 1, (const uint8_t *)gz, strlen(gz), NULL, 0,
					  "decoded gzip", msg, sizeof msg),
			 0);
	assert_null(hdr(&r, "content-encoding"));
	ec_forward_request_free(&r);
	assert_int_equal(ec_forward_parse(&r, 1, (const uint8_t *)gz, strlen(gz), NULL, 0,
					  "dechunked", msg, sizeof msg),
			 0);
	assert_string_equal(hdr(&r, "content-encoding"), "gzip");
	ec_forward_request_free(&r);
}

struct bad {
	uint32_t type;
	const char *in;
	int err;
	const char *msg;
};

static void rejections(void **state)
{
	(void)state;
	static const struct bad bad[] = {
	    {3, "HTTP/1.1 200 OK\r\n\r\n", EC_ERR_INVAL, "at byte 0: event type 3"},
	    {1, "", EC_ERR_PROTO, "no complete request line"},
	    {1, "GET / HTTP/1.1", EC_ERR_PROTO, "no complete request line"},
	    {1, "HTTP/1.1 200 OK\r\n\r\n", EC_ERR_PROTO, "at byte 0: a status line"},
	    {1, "GET / HTTP/1.1x\r\n\r\n", EC_ERR_PROTO, "at byte 6: request line: expected HTTP"},
	    {1, " / HTTP/1.1\r\n\r\n", EC_ERR_PROTO, "at byte 0: request line does not start"},
	    {1, "GET  HTTP/1.1\r\n\r\n", EC_ERR_PROTO, "at byte 4: request line: expected a"},
	    {1, "GET / HTTP/2.0\r\n\r\n", EC_ERR_PROTO, "type 1 request has version 2.0"},
	    {2, "GET / HTTP/1.1\r\n\r\n", EC_ERR_PROTO, "type 2 request has version 1.1"},
	    {1, "GET / HTTP/1.1\r\nHost: a\r\n", EC_ERR_PROTO, "at byte 25: headers do not end"},
	    {1, "GET / HTTP/1.1\r\nBad Name: a\r\n\r\n", EC_ERR_PROTO, "at byte 19: header line"},
	    {1, "GET / HTTP/1.1\r\n: a\r\n\r\n", EC_ERR_PROTO, "at byte 16: header line"},
	    {1, "GET / HTTP/1.1\r\n folded\r\n\r\n", EC_ERR_PROTO,
	     "at byte 16: header line starts"},
	    {1, "GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", EC_ERR_PROTO, "at byte 20: CR or NUL"},
	    {1, "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", EC_ERR_PROTO, "host 'a/b' is not"},
	    {1, "GET / HTTP/1.1\r\nHost: a:b:c\r\n\r\n", EC_ERR_PROTO, "is not a host[:port]"},
	    {1, "GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n", EC_ERR_PROTO, "is not a host[:port]"},
	    {1, "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", EC_ERR_PROTO, "is not a host[:port]"},
	    {1, "GET foo HTTP/1.1\r\nHost: a\r\n\r\n", EC_ERR_PROTO, "neither a path nor"},
	    {1, "GET ftp://x/ HTTP/1.1\r\n\r\n", EC_ERR_PROTO, "neither a path nor"},
	    {1, "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", EC_ERR_UNSUPPORTED, "CONNECT"},
	    {1, "G\x01T / HTTP/1.1\r\n\r\n", EC_ERR_PROTO, "does not start with a method"},
	    {2, "GET / HTTP/2.0\r\n:method: G T\r\n\r\n", EC_ERR_PROTO, "is not a token"},
	    {2, "GET / HTTP/2.0\r\n:status: 200\r\n\r\n", EC_ERR_PROTO, "unknown pseudo-header"},
	    {2, "GET / HTTP/2.0\r\n:scheme: ftp\r\n\r\n", EC_ERR_UNSUPPORTED, "not http or https"},
	    {2, "CONNECT / HTTP/2.0\r\n:protocol: websocket\r\n\r\n", EC_ERR_UNSUPPORTED,
	     "extended CONNECT"},
	    {2, "GET / HTTP/2.0\r\n:path: /a b\r\n\r\n", EC_ERR_PROTO, "holds spaces"},
	    {2, "GET / HTTP/2.0\r\nx: 1\r\n folded\r\n\r\n", EC_ERR_PROTO, "continues nothing"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct ec_forward_request r;
		char msg[256];
		/* no destination, so an unusable Host cannot fall back to it */
		int err = ec_forward_parse(&r, bad[i].type, (const uint8_t *)bad[i].in,
					   strlen(bad[i].in), NULL, 0, NULL, msg, sizeof msg);
		if (err != bad[i].err || !strstr(msg, bad[i].msg))
			fail_msg("case %zu: got %d '%s', want %d '%s'", i, err, msg, bad[i].err,
				 bad[i].msg);
		assert_null(r.method); /* freed and zeroed */
	}
	/* header count bound */
	size_t cap = 64 + 8 * (EC_FORWARD_MAX_HEADERS + 2);
	char *big = malloc(cap);
	size_t n = (size_t)snprintf(big, cap, "GET / HTTP/1.1\r\n");
	for (int i = 0; i < EC_FORWARD_MAX_HEADERS + 1; i++)
		n += (size_t)snprintf(big + n, cap - n, "X%03d:\r\n", i);
	n += (size_t)snprintf(big + n, cap - n, "\r\n");
	struct ec_forward_request r;
	char msg[256];
	assert_int_equal(parse(&r, 1, big, msg), EC_ERR_PROTO);
	assert_non_null(strstr(msg, "more than 256 header fields"));
	free(big);
}

static void urls(void **state)
{
	(void)state;
	struct ec_forward_request r;
	char msg[256];
	assert_int_equal(parse(&r, 1, "GET /p?q=1 HTTP/1.1\r\nHost: h.example\r\n\r\n", msg), 0);
	char *u = ec_forward_url(&r, NULL, 0, msg, sizeof msg);
	assert_string_equal(u, "https://h.example/p?q=1");
	free(u);
	u = ec_forward_url(&r, NULL, 1, msg, sizeof msg);
	assert_string_equal(u, "http://h.example/p?q=1");
	free(u);
	u = ec_forward_url(&r, "http://127.0.0.1:81/base/", 0, msg, sizeof msg);
	assert_string_equal(u, "http://127.0.0.1:81/base/p?q=1");
	free(u);
	u = ec_forward_url(&r, "HTTPS://[::1]:9", 0, msg, sizeof msg);
	assert_string_equal(u, "https://[::1]:9/p?q=1");
	free(u);
	assert_null(ec_forward_url(&r, "ftp://x", 0, msg, sizeof msg));
	assert_non_null(strstr(msg, "not an http:// or https:// URL"));
	assert_null(ec_forward_url(&r, "https:///x", 0, msg, sizeof msg));
	assert_non_null(strstr(msg, "has no host"));

	/* what curl is told to send */
	struct curl_slist *l = ec_replay_headers(&r, 1), *p = l;
	assert_string_equal(p->data, "Host: h.example");
	p = p->next;
	assert_string_equal(p->data, "Accept:");
	p = p->next;
	assert_string_equal(p->data, "Expect:");
	assert_null(p->next);
	curl_slist_free_all(l);
	ec_forward_request_free(&r);
	assert_int_equal(
	    parse(&r, 1, "PUT / HTTP/1.1\r\nHost: h\r\nX-Empty:\r\nAccept: a\r\n\r\nbody", msg), 0);
	l = ec_replay_headers(&r, 0);
	assert_string_equal(l->data, "X-Empty;");
	assert_string_equal(l->next->data, "Accept: a");
	assert_string_equal(l->next->next->data, "Content-Type:");
	curl_slist_free_all(l);

	char *out = NULL;
	size_t outlen = 0;
	FILE *f = open_memstream(&out, &outlen);
	u = ec_forward_url(&r, NULL, 0, msg, sizeof msg);
	ec_forward_print(f, &r, u, 0);
	fclose(f);
	assert_string_equal(out, "> PUT / HTTP/1.1\n> Host: h\n> X-Empty: \n> Accept: a\n"
				 "> Content-Length: 4\n>\nbody\n[no newline at end of body]\n");
	free(out);
	free(u);
	ec_forward_request_free(&r);
}

static void filters(void **state)
{
	(void)state;
	struct ec_forward_request r;
	char msg[256];
	assert_int_equal(parse(&r, 1,
			       "POST /api/v1/x?y HTTP/1.1\r\nHost: API.example.com:8443\r\n"
			       "Content-Type: Application/JSON; charset=utf-8\r\n\r\n",
			       msg),
			 0);
	EcEvent ev = EVENT__EVENT__INIT;
	ev.pid = 42;
	ev.pname = "python3";
	struct ec_forward_filter f = {0};
	assert_true(ec_forward_match(&f, &ev, &r));
	f.methods = "get, post";
	assert_true(ec_forward_match(&f, &ev, &r));
	f.methods = "GET,PUT";
	assert_false(ec_forward_match(&f, &ev, &r));
	f = (struct ec_forward_filter){.host = "*.example.com"};
	assert_true(ec_forward_match(&f, &ev, &r));
	f.host = "*.example.com:8443";
	assert_true(ec_forward_match(&f, &ev, &r));
	f.host = "example.com";
	assert_false(ec_forward_match(&f, &ev, &r));
	f = (struct ec_forward_filter){.path = "/api/*"};
	assert_true(ec_forward_match(&f, &ev, &r));
	f.path = "/api/v1/x";
	assert_false(ec_forward_match(&f, &ev, &r)); /* the query is part of the path */
	f = (struct ec_forward_filter){.content_type = "application/json"};
	assert_true(ec_forward_match(&f, &ev, &r));
	f.content_type = "text/*";
	assert_false(ec_forward_match(&f, &ev, &r));
	f = (struct ec_forward_filter){.pid = 42, .pname = "py*"};
	assert_true(ec_forward_match(&f, &ev, &r));
	f.pid = 43;
	assert_false(ec_forward_match(&f, &ev, &r));
	f = (struct ec_forward_filter){.pname = "curl"};
	assert_false(ec_forward_match(&f, &ev, &r));
	ec_forward_request_free(&r);
	assert_int_equal(parse(&r, 1, "GET / HTTP/1.1\r\nHost: h\r\n\r\n", msg), 0);
	f = (struct ec_forward_filter){.content_type = "*"};
	assert_false(ec_forward_match(&f, &ev, &r)); /* no Content-Type at all */
	ec_forward_request_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(http1_basic),  cmocka_unit_test(hop_by_hop),
	    cmocka_unit_test(http2_render), cmocka_unit_test(fallbacks),
	    cmocka_unit_test(rejections),   cmocka_unit_test(urls),
	    cmocka_unit_test(filters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
