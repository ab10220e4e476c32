// SPDX-License-Identifier: GPL-2.0-only
/* lib/proto/parse: the filter end to end on hand-built capture events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <nghttp2/nghttp2.h>
#include <zlib.h>

#include "error.h"
#include "parse.h"
#include "record.h"
#include "stream.h"

#define W EVENT__DIRECTION__DIRECTION_WRITE
#define R EVENT__DIRECTION__DIRECTION_READ

struct rig {
	FILE *f;
	struct ec_writer *w;
	struct ec_parse *p;
	uint64_t seq[16][3];
	EcLogEntry *out[64];
	int nout;
};

static void rig_open(struct rig *g, const struct ec_parse_opts *o)
{
	memset(g, 0, sizeof *g);
	g->f = tmpfile();
	assert_non_null(g->f);
	g->w = ec_writer_new(fileno(g->f));
	struct ec_parse_opts d;
	ec_parse_opts_default(&d);
	g->p = ec_parse_new(o ? o : &d, g->w);
}

static void feed(struct rig *g, const EcLogEntry *e)
{
	size_t n = event__log_entry__get_packed_size(e);
	uint8_t *b = malloc(n ? n : 1);
	event__log_entry__pack(e, b);
	assert_int_equal(ec_parse_record(g->p, b, n), 0);
	free(b);
}

static void ev(struct rig *g, uint64_t conn, int dir, int64_t ts, const void *p, size_t n)
{
	EcEvent e = EVENT__EVENT__INIT;
	e.timestamp = ts;
	e.pid = 100;
	e.pname = "curl";
	e.tid = 101;
	e.fd = 3;
	e.src_ip = "127.0.0.1";
	e.src_port = 40000;
	e.dst_ip = "127.0.0.1";
	e.dst_port = 443;
	e.source = EVENT__SOURCE__SOURCE_OPENSSL;
	e.direction = dir;
	e.conn_id = conn;
	e.seq = g->seq[conn][dir]++;
	e.payload.data = (uint8_t *)p;
	e.payload.len = n;
	e.length = (uint32_t)n;
	e.closed = !p;
	EcLogEntry le = EVENT__LOG_ENTRY__INIT;
	le.log_type = EVENT__LOG_TYPE__LOG_TYPE_EVENT;
	le.payload_case = EVENT__LOG_ENTRY__PAYLOAD_EVENT_PAYLOAD;
	le.event_payload = &e;
	feed(g, &le);
}

static void evs(struct rig *g, uint64_t conn, int dir, int64_t ts, const char *s)
{
	ev(g, conn, dir, ts, s, strlen(s));
}

/* Finish, read every output record back. */
static void rig_done(struct rig *g)
{
	assert_int_equal(ec_parse_finish(g->p), 0);
	ec_parse_free(g->p);
	assert_int_equal(ec_writer_free(g->w), 0);
	rewind(g->f);
	struct ec_reader *r = ec_reader_new(fileno(g->f), "out", 0);
	const uint8_t *b;
	size_t n;
	while (ec_reader_next(r, &b, &n) == 1) {
		assert_true(g->nout < 64);
		g->out[g->nout] = ec_record_decode(b, n);
		assert_non_null(g->out[g->nout]);
		g->nout++;
	}
	ec_reader_free(r);
	fclose(g->f);
}

static void rig_free(struct rig *g)
{
	for (int i = 0; i < g->nout; i++)
		ec_record_free(g->out[i]);
}

/* The i-th output event that is not a close marker. */
static const EcEvent *nth(const struct rig *g, int i)
{
	for (int k = 0; k < g->nout; k++) {
		const EcLogEntry *e = g->out[k];
		if (e->payload_case != EVENT__LOG_ENTRY__PAYLOAD_EVENT_PAYLOAD ||
		    e->event_payload->closed)
			continue;
		if (i-- == 0)
			return e->event_payload;
	}
	fail_msg("no output event %d", i);
	return NULL;
}

static int count_events(const struct rig *g)
{
	int n = 0;
	for (int k = 0; k < g->nout; k++)
		if (g->out[k]->payload_case == EVENT__LOG_ENTRY__PAYLOAD_EVENT_PAYLOAD &&
		    !g->out[k]->event_payload->closed)
			n++;
	return n;
}

static void assert_payload(const EcEvent *e, const char *s)
{
	if (e->payload.len != strlen(s) ||
	    (e->payload.len && memcmp(e->payload.data, s, e->payload.len)))
		fail_msg("payload \"%.*s\" != \"%s\"", (int)e->payload.len,
			 (const char *)e->payload.data, s);
}

static void test_split_message_keeps_first_fragment(void **state)
{
	(void)state;
	struct rig g;
	rig_open(&g, NULL);
	evs(&g, 1, W, 1000, "GET / HT");
	evs(&g, 1, W, 2000, "TP/1.1\r\nHost: a\r\n");
	evs(&g, 1, W, 3000, "\r\nGET /2 HTTP/1.1\r\n\r\n");
	rig_done(&g);
	assert_int_equal(count_events(&g), 2);
	const EcEvent *e = nth(&g, 0);
	assert_int_equal(e->type, 1);
	assert_int_equal(e->timestamp, 1000);
	assert_int_equal(e->first_seq, 0);
	assert_int_equal(e->tid, 101);
	assert_string_equal(e->pname, "curl");
	assert_int_equal(e->conn_id, 1);
	assert_payload(e, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
	e = nth(&g, 1);
	assert_int_equal(e->timestamp, 3000);
	assert_int_equal(e->first_seq, 2);
	rig_free(&g);
}

static void test_websocket_upgrade(void **state)
{
	(void)state;
	struct rig g;
	rig_open(&g, NULL);
	/* the client's first frame comes right behind its request: held until the 101 */
	static const uint8_t hello[] = "GET /chat HTTP/1.1\r\nUpgrade: websocket\r\n"
				       "Connection: Upgrade\r\n\r\n"
				       "\x81\x82\x01\x02\x03\x04"
				       "\x69\x6b";
	ev(&g, 2, W, 10, hello, sizeof hello - 1);
	evs(&g, 2, R, 20,
	    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\n\r\n\x81\x05hello");
	ev(&g, 2, R, 30, "\x89\x00", 2);
	ev(&g, 2, W, 40, "\x88\x80\0\0\0\0", 6);
	ev(&g, 2, W, 50, NULL, 0);
	rig_done(&g);
	assert_int_equal(count_events(&g), 6);
	assert_int_equal(nth(&g, 0)->type, 1);
	assert_int_equal(nth(&g, 1)->type, 3);
	/* the held client frame first (it was sent first), unmasked */
	const EcEvent *e = nth(&g, 2);
	assert_int_equal(e->type, 5);
	assert_int_equal(e->direction, W);
	assert_int_equal(e->ws_opcode, 1);
	assert_true(e->ws_fin);
	assert_payload(e, "hi");
	e = nth(&g, 3);
	assert_int_equal(e->type, 5);
	assert_int_equal(e->direction, R);
	assert_payload(e, "hello");
	assert_int_equal(nth(&g, 4)->ws_opcode, 9);
	assert_int_equal(nth(&g, 5)->ws_opcode, 8);
	rig_free(&g);
}

static void test_decode_gzip(void **state)
{
	(void)state;
	const char *text = "compressed body compressed body compressed body";
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
	char resp[512];
	int k = snprintf(resp, sizeof resp,
			 "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n",
			 gzlen);
	memcpy(resp + k, gz, gzlen);
	struct ec_parse_opts o;
	ec_parse_opts_default(&o);
	o.decode_body = 1;
	struct rig g;
	rig_open(&g, &o);
	evs(&g, 3, W, 1, "GET /z HTTP/1.1\r\n\r\n");
	ev(&g, 3, R, 2, resp, (size_t)k + gzlen);
	rig_done(&g);
	const EcEvent *e = nth(&g, 1);
	assert_int_equal(e->type, 3);
	assert_string_equal(e->note, "decoded gzip");
	assert_int_equal(e->payload.len, (size_t)k + strlen(text));
	assert_memory_equal(e->payload.data + k, text, strlen(text));
	rig_free(&g);
	/* a bound under the inflated size keeps the raw body and says so */
	o.max_body = 20;
	rig_open(&g, &o);
	evs(&g, 3, W, 1, "GET /z HTTP/1.1\r\n\r\n");
	ev(&g, 3, R, 2, resp, (size_t)k + gzlen);
	rig_done(&g);
	assert_non_null(strstr(nth(&g, 1)->note, "body"));
	rig_free(&g);
}

static size_t gzip_of(const char *text, uint8_t *gz, size_t cap)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (uint8_t *)text;
	z.avail_in = (uInt)strlen(text);
	z.next_out = gz;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	size_t n = cap - z.avail_out;
	deflateEnd(&z);
	return n;
}

static size_t h2frame(uint8_t *out, uint8_t type, uint8_t flags, uint32_t sid, const void *p,
		      size_t n)
{
	uint8_t h[9] = {
	    (uint8_t)(n >> 16),	  (uint8_t)(n >> 8),	(uint8_t)n,	     type,	  flags,
	    (uint8_t)(sid >> 24), (uint8_t)(sid >> 16), (uint8_t)(sid >> 8), (uint8_t)sid};
	memcpy(out, h, 9);
	memcpy(out + 9, p, n);
	return 9 + n;
}

static void test_http2_decode_body(void **state)
{
	(void)state;
	const char *text = "an HTTP/2 body, gzip-compressed, gzip-compressed";
	uint8_t gz[256], blk[256], buf[1024];
	size_t gzlen = gzip_of(text, gz, sizeof gz);
	nghttp2_hd_deflater *d;
	assert_int_equal(nghttp2_hd_deflate_new(&d, 4096), 0);
	nghttp2_nv nv[] = {{(uint8_t *)":status", (uint8_t *)"200", 7, 3, 0},
			   {(uint8_t *)"content-encoding", (uint8_t *)"gzip", 16, 4, 0}};
	ssize_t bl = nghttp2_hd_deflate_hd(d, blk, sizeof blk, nv, 2);
	assert_true(bl > 0);
	nghttp2_hd_deflate_del(d);
	size_t n = h2frame(buf, 4, 0, 0, "", 0);
	n += h2frame(buf + n, 1, 0x4, 1, blk, (size_t)bl);
	n += h2frame(buf + n, 0, 0x1, 1, gz, gzlen);
	struct ec_parse_opts o;
	ec_parse_opts_default(&o);
	o.decode_body = 1;
	struct rig g;
	rig_open(&g, &o);
	ev(&g, 9, R, 5, buf, n);
	rig_done(&g);
	const EcEvent *e = nth(&g, 0);
	assert_int_equal(e->type, 4);
	assert_int_equal(e->h2_stream_id, 1);
	assert_string_equal(e->note, "decoded gzip");
	const char *head = "HTTP/2.0 200\r\n:status: 200\r\ncontent-encoding: gzip\r\n\r\n";
	assert_int_equal(e->payload.len, strlen(head) + strlen(text));
	assert_memory_equal(e->payload.data, head, strlen(head));
	assert_memory_equal(e->payload.data + strlen(head), text, strlen(text));
	rig_free(&g);
}

/*
 * A whole exchange fed through the filter as two events per direction,
 * cut at every byte: the typed output never changes.
 */
struct exchange {
	const uint8_t *w, *r; /* bytes written and read */
	size_t wn, rn;
};

static void run_split(const struct exchange *x, size_t wcut, size_t rcut, struct rig *g)
{
	rig_open(g, NULL);
	size_t wc = wcut < x->wn ? wcut : x->wn, rc = rcut < x->rn ? rcut : x->rn;
	if (wc)
		ev(g, 10, W, 1, x->w, wc);
	if (x->wn > wc)
		ev(g, 10, W, 2, x->w + wc, x->wn - wc);
	if (rc)
		ev(g, 10, R, 3, x->r, rc);
	if (x->rn > rc)
		ev(g, 10, R, 4, x->r + rc, x->rn - rc);
	ev(g, 10, W, 5, NULL, 0);
	rig_done(g);
}

static void same_output(const struct rig *a, const struct rig *b, size_t cut)
{
	if (count_events(a) != count_events(b))
		fail_msg("cut %zu: %d events, want %d", cut, count_events(b), count_events(a));
	for (int i = 0; i < count_events(a); i++) {
		const EcEvent *x = nth(a, i), *y = nth(b, i);
		if (x->type != y->type || x->payload.len != y->payload.len ||
		    (x->payload.len && memcmp(x->payload.data, y->payload.data, x->payload.len)) ||
		    x->h2_stream_id != y->h2_stream_id || x->ws_opcode != y->ws_opcode)
			fail_msg("cut %zu: event %d differs", cut, i);
	}
}

static void every_cut(const struct exchange *x, int want_events)
{
	struct rig ref, g;
	run_split(x, 0, 0, &ref);
	assert_int_equal(count_events(&ref), want_events);
	for (int i = 0; i < want_events; i++)
		if (nth(&ref, i)->type == 0)
			fail_msg("event %d untyped: %s \"%.*s\"", i, nth(&ref, i)->note,
				 (int)nth(&ref, i)->payload.len,
				 (const char *)nth(&ref, i)->payload.data);
	for (size_t k = 1; k < x->wn; k++) {
		run_split(x, k, 0, &g);
		same_output(&ref, &g, k);
		rig_free(&g);
	}
	for (size_t k = 1; k < x->rn; k++) {
		run_split(x, 0, k, &g);
		same_output(&ref, &g, k);
		rig_free(&g);
	}
	rig_free(&ref);
}

static void test_every_cut_http1_ws(void **state)
{
	(void)state;
	static const char w[] = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
				"POST /b HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
				"GET /chat HTTP/1.1\r\nUpgrade: websocket\r\n\r\n"
				"\x81\x82\x01\x02\x03\x04ik";
	static const char r[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				"5\r\nhello\r\n0\r\n\r\n"
				"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\n"
				"Content-Length: 2\r\n\r\nok"
				"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"
				"\x81\x02hi\x89\x00";
	struct exchange x = {(const uint8_t *)w, (const uint8_t *)r, sizeof w - 1, sizeof r - 1};
	/* 3 requests, 4 responses (one 1xx), a client frame, 2 server frames */
	every_cut(&x, 10);
}

static void test_every_cut_http2(void **state)
{
	(void)state;
	static uint8_t w[1024], r[1024], blk[256];
	size_t wn = 0, rn = 0;
	nghttp2_hd_deflater *cd, *sd;
	assert_int_equal(nghttp2_hd_deflate_new(&cd, 4096), 0);
	assert_int_equal(nghttp2_hd_deflate_new(&sd, 4096), 0);
	memcpy(w, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24);
	wn = 24;
	wn += h2frame(w + wn, 4, 0, 0, "", 0);
	nghttp2_nv req[] = {{(uint8_t *)":method", (uint8_t *)"GET", 7, 3, 0},
			    {(uint8_t *)":path", (uint8_t *)"/x", 5, 2, 0},
			    {(uint8_t *)"x-a", (uint8_t *)"long enough value", 3, 17, 0}};
	for (uint32_t sid = 1; sid <= 3; sid += 2) {
		ssize_t k = nghttp2_hd_deflate_hd(cd, blk, sizeof blk, req, 3);
		assert_true(k > 0);
		wn += h2frame(w + wn, 1, 0x5, sid, blk, (size_t)k);
	}
	rn += h2frame(r + rn, 4, 0, 0, "", 0);
	nghttp2_nv resp[] = {{(uint8_t *)":status", (uint8_t *)"200", 7, 3, 0}};
	for (uint32_t sid = 1; sid <= 3; sid += 2) {
		ssize_t k = nghttp2_hd_deflate_hd(sd, blk, sizeof blk, resp, 1);
		assert_true(k > 0);
		rn += h2frame(r + rn, 1, 0x4, sid, blk, (size_t)k);
	}
	rn += h2frame(r + rn, 0, 0, 3, "three", 5);
	rn += h2frame(r + rn, 0, 0x1, 1, "one", 3);
	rn += h2frame(r + rn, 0, 0x1, 3, "!", 1);
	nghttp2_hd_deflate_del(cd);
	nghttp2_hd_deflate_del(sd);
	struct exchange x = {w, r, wn, rn};
	every_cut(&x, 4);
}

static void test_close_and_untyped(void **state)
{
	(void)state;
	struct rig g;
	rig_open(&g, NULL);
	evs(&g, 4, W, 1, "GET /old HTTP/1.0\r\n\r\n");
	evs(&g, 4, R, 2, "HTTP/1.0 200 OK\r\n\r\nuntil ");
	evs(&g, 4, R, 3, "close");
	ev(&g, 4, W, 4, NULL, 0);
	ev(&g, 5, W, 5, "\x16\x03\x01 not http", 12);
	rig_done(&g);
	assert_int_equal(count_events(&g), 3);
	const EcEvent *e = nth(&g, 1);
	assert_int_equal(e->type, 3);
	assert_payload(e, "HTTP/1.0 200 OK\r\n\r\nuntil close");
	assert_non_null(strstr(e->note, "connection's end"));
	e = nth(&g, 2);
	assert_int_equal(e->type, 0);
	assert_false(e->desync);
	assert_int_equal(e->payload.len, 12);
	rig_free(&g);
}

static void test_loss_report_and_idle(void **state)
{
	(void)state;
	struct ec_parse_opts o;
	ec_parse_opts_default(&o);
	o.idle_ns = 5000000000ll;
	struct rig g;
	rig_open(&g, &o);
	evs(&g, 6, W, 1000, "POST /a HTTP/1.1\r\nContent-Length: 10\r\n\r\n01234");
	EcHeartbeat hb = EVENT__HEARTBEAT__INIT;
	hb.events_lost = 3;
	hb.origin = "ec-capture";
	EcLogEntry le = EVENT__LOG_ENTRY__INIT;
	le.log_type = EVENT__LOG_TYPE__LOG_TYPE_HEARTBEAT;
	le.payload_case = EVENT__LOG_ENTRY__PAYLOAD_HEARTBEAT_PAYLOAD;
	le.heartbeat_payload = &hb;
	feed(&g, &le);
	evs(&g, 7, W, 2000, "PUT /b HTTP/1.1\r\nContent-Length: 10\r\n\r\n0");
	/* 10 s later in stream time: connection 7 is idle past 5 s */
	evs(&g, 8, W, 12000002000ll, "GET /c HTTP/1.1\r\n\r\n");
	evs(&g, 8, W, 12000003000ll, "GET /d HTTP/1.1\r\n\r\n");
	rig_done(&g);
	/* in order: the heartbeat, ec-parse's heartbeat, the desync, the idle flush */
	const EcEvent *e = nth(&g, 0);
	assert_int_equal(e->type, 0);
	assert_true(e->desync);
	assert_string_equal(e->note, "the capture reported lost events");
	assert_int_equal(e->timestamp, 1000);
	e = nth(&g, 1);
	assert_int_equal(e->type, 0);
	assert_non_null(strstr(e->note, "idle timeout"));
	assert_int_equal(e->conn_id, 7);
	assert_int_equal(nth(&g, 2)->type, 1);
	int hbs = 0;
	for (int i = 0; i < g.nout; i++)
		if (g.out[i]->payload_case == EVENT__LOG_ENTRY__PAYLOAD_HEARTBEAT_PAYLOAD)
			hbs++;
	assert_int_equal(hbs, 2);
	rig_free(&g);
}

/* ---- live input: messages that stay open go out in parts ---- */

#define MS 1000000ll

/* Tick at `now` ms; returns the ms until the next part is due (0: none). */
static int64_t tick(struct rig *g, int64_t now_ms)
{
	int64_t next;
	assert_int_equal(ec_parse_tick(g->p, now_ms * MS, &next), 0);
	return next / MS;
}

/* Concatenated payloads of the output events of type `type`. */
static size_t joined(const struct rig *g, uint32_t type, char *out, size_t cap)
{
	size_t n = 0;
	for (int i = 0; i < count_events(g); i++) {
		const EcEvent *e = nth(g, i);
		if (e->type != type || !e->payload.len)
			continue;
		assert_true(n + e->payload.len <= cap);
		memcpy(out + n, e->payload.data, e->payload.len);
		n += e->payload.len;
	}
	return n;
}

static const char *sse_req = "GET /events HTTP/1.1\r\nAccept: text/event-stream\r\n\r\n";
static const char *sse_head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
			      "Transfer-Encoding: chunked\r\n\r\n";

/* A server-sent-events response fed as a live capture would: arrival times
 * in ms (0 = a file), a tick after each burst when live. */
static void sse(struct rig *g, int live)
{
	rig_open(g, NULL);
	if (live)
		ec_parse_arrival(g->p, 1000 * MS);
	evs(g, 11, W, 1, sse_req);
	evs(g, 11, R, 2, sse_head);
	evs(g, 11, R, 3, "9\r\ndata: 1\n\n\r\n");
	if (live) {
		assert_int_equal(tick(g, 1100), 100); /* not yet: due in 100 ms */
		assert_int_equal(tick(g, 1200), 0);   /* part 1 out, nothing held */
		ec_parse_arrival(g->p, 1500 * MS);
	}
	evs(g, 11, R, 4, "9\r\ndata: 2\n\n\r\n9\r\ndata: 3\n\n\r\n");
	if (live) {
		assert_int_equal(tick(g, 1700), 0); /* part 2 */
		assert_int_equal(tick(g, 5000), 0); /* nothing new: no part */
		ec_parse_arrival(g->p, 6000 * MS);
	}
	evs(g, 11, R, 5, "0\r\n\r\n");
	evs(g, 11, W, 6, "GET /next HTTP/1.1\r\n\r\n");
	rig_done(g);
}

static void test_parts_http1_live(void **state)
{
	(void)state;
	struct rig g, whole;
	sse(&g, 1);
	sse(&whole, 0);
	/* a file: the request, one whole response, the next request */
	assert_int_equal(count_events(&whole), 3);
	assert_int_equal(nth(&whole, 1)->part, 0);
	/* live: the response in three parts, each out as soon as due */
	assert_int_equal(count_events(&g), 5);
	const EcEvent *e = nth(&g, 1);
	assert_int_equal(e->type, 3);
	assert_int_equal(e->part, 1);
	assert_true(e->more_parts);
	char want[256];
	snprintf(want, sizeof want, "%sdata: 1\n\n", sse_head);
	assert_payload(e, want);
	assert_int_equal(e->timestamp, 2);
	e = nth(&g, 2);
	assert_int_equal(e->part, 2);
	assert_true(e->more_parts);
	assert_payload(e, "data: 2\n\ndata: 3\n\n");
	assert_int_equal(e->timestamp, 4); /* the part's first fragment */
	e = nth(&g, 3);
	assert_int_equal(e->type, 3);
	assert_int_equal(e->part, 3);
	assert_false(e->more_parts);
	assert_payload(e, "");
	assert_non_null(strstr(e->note, "dechunked"));
	assert_int_equal(nth(&g, 4)->type, 1); /* the connection goes on */
	/* the parts together are the whole message */
	char a[512], b[512];
	size_t an = joined(&g, 3, a, sizeof a), bn = joined(&whole, 3, b, sizeof b);
	assert_int_equal(an, bn);
	assert_memory_equal(a, b, an);
	rig_free(&g);
	rig_free(&whole);
}

/* A message that completes before it is due never goes out in parts;
 * --part-after off (part_ns 0) never splits. */
static void test_parts_only_when_due(void **state)
{
	(void)state;
	struct ec_parse_opts o;
	ec_parse_opts_default(&o);
	for (int off = 0; off < 2; off++) {
		o.part_ns = off ? 0 : EC_PARSE_PART_DEFAULT;
		struct rig g;
		rig_open(&g, &o);
		ec_parse_arrival(g.p, 1000 * MS);
		evs(&g, 12, W, 1, "POST /up HTTP/1.1\r\nContent-Length: 6\r\n\r\nabc");
		assert_int_equal(tick(&g, 1199), off ? 0 : 1);
		ec_parse_arrival(g.p, 1199 * MS);
		evs(&g, 12, W, 2, "def");
		assert_int_equal(tick(&g, 9000), 0);
		evs(&g, 12, R, 3, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nda");
		assert_int_equal(tick(&g, 9000), 0); /* reached at its arrival, 1199 */
		evs(&g, 12, R, 4, "ta");
		rig_done(&g);
		assert_int_equal(count_events(&g), off ? 2 : 3);
		assert_int_equal(nth(&g, 0)->part, 0);
		assert_payload(nth(&g, 0), "POST /up HTTP/1.1\r\nContent-Length: 6\r\n\r\nabcdef");
		if (!off) {
			assert_int_equal(nth(&g, 1)->part, 1);
			assert_int_equal(nth(&g, 2)->part, 2);
			assert_payload(nth(&g, 2), "ta");
		}
		rig_free(&g);
	}
}

/* An HTTP/2 stream that stays open (gRPC, SSE over h2): parts per stream,
 * trailers at the end of the last; the other stream stays whole. */
static void test_parts_http2_live(void **state)
{
	(void)state;
	static uint8_t r[1024], blk[256];
	size_t rn = 0;
	nghttp2_hd_deflater *sd;
	assert_int_equal(nghttp2_hd_deflate_new(&sd, 4096), 0);
	nghttp2_nv resp[] = {{(uint8_t *)":status", (uint8_t *)"200", 7, 3, 0}};
	nghttp2_nv trl[] = {{(uint8_t *)"grpc-status", (uint8_t *)"0", 11, 1, 0}};
	rn += h2frame(r + rn, 4, 0, 0, "", 0);
	ssize_t k = nghttp2_hd_deflate_hd(sd, blk, sizeof blk, resp, 1);
	rn += h2frame(r + rn, 1, 0x4, 1, blk, (size_t)k);
	rn += h2frame(r + rn, 0, 0, 1, "one", 3);
	size_t cut1 = rn;
	rn += h2frame(r + rn, 0, 0, 1, "two", 3);
	k = nghttp2_hd_deflate_hd(sd, blk, sizeof blk, resp, 1);
	rn += h2frame(r + rn, 1, 0x5, 3, blk, (size_t)k); /* stream 3: whole at once */
	size_t cut2 = rn;
	k = nghttp2_hd_deflate_hd(sd, blk, sizeof blk, trl, 1);
	rn += h2frame(r + rn, 1, 0x5, 1, blk, (size_t)k); /* trailers end stream 1 */
	nghttp2_hd_deflate_del(sd);
	struct rig g;
	rig_open(&g, NULL);
	ec_parse_arrival(g.p, 1000 * MS);
	ev(&g, 13, R, 1, r, cut1);
	assert_int_equal(tick(&g, 1300), 0);
	ec_parse_arrival(g.p, 2000 * MS);
	ev(&g, 13, R, 2, r + cut1, cut2 - cut1);
	assert_int_equal(tick(&g, 2300), 0);
	ev(&g, 13, R, 3, r + cut2, rn - cut2);
	rig_done(&g);
	assert_int_equal(count_events(&g), 4);
	const EcEvent *e = nth(&g, 0);
	assert_int_equal(e->type, 4);
	assert_int_equal(e->h2_stream_id, 1);
	assert_int_equal(e->part, 1);
	assert_payload(e, "HTTP/2.0 200\r\n:status: 200\r\n\r\none");
	e = nth(&g, 1); /* stream 3 came whole */
	assert_int_equal(e->h2_stream_id, 3);
	assert_int_equal(e->part, 0);
	e = nth(&g, 2);
	assert_int_equal(e->part, 2);
	assert_true(e->more_parts);
	assert_payload(e, "two");
	e = nth(&g, 3);
	assert_int_equal(e->part, 3);
	assert_false(e->more_parts);
	assert_payload(e, "grpc-status: 0\r\n");
	assert_non_null(strstr(e->note, "trailers: the last 16 bytes"));
	rig_free(&g);
}

/* A message sent in parts that never completes ends in a typed last part. */
static void test_parts_incomplete_at_close(void **state)
{
	(void)state;
	struct rig g;
	rig_open(&g, NULL);
	ec_parse_arrival(g.p, 1000 * MS);
	evs(&g, 14, W, 1, "GET /dl HTTP/1.1\r\n\r\n");
	evs(&g, 14, R, 2, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
	tick(&g, 1200);
	ec_parse_arrival(g.p, 2000 * MS);
	evs(&g, 14, R, 3, "abc");
	ev(&g, 14, W, 4, NULL, 0);
	rig_done(&g);
	assert_int_equal(count_events(&g), 3);
	assert_int_equal(nth(&g, 1)->part, 1);
	const EcEvent *e = nth(&g, 2);
	assert_int_equal(e->type, 3);
	assert_int_equal(e->part, 2);
	assert_false(e->more_parts);
	assert_payload(e, "abc");
	assert_non_null(strstr(e->note, "incomplete at the connection's close"));
	rig_free(&g);
}

/* The pipelining queue: first in first out across growth while its head has moved. */
static void test_queue(void **state)
{
	(void)state;
	struct ec_parse_queue q = {0};
	assert_null(ec_parse_queue_head(&q));
	uint64_t next_in = 0, next_out = 0;
	for (int round = 0; round < 50; round++) {
		for (int k = 0; k < 3; k++, next_in++)
			assert_int_equal(
			    *(uint64_t *)ec_parse_queue_push(&q, &next_in, sizeof next_in),
			    next_in);
		assert_int_equal(*(uint64_t *)ec_parse_queue_head(&q), next_out);
		ec_parse_queue_pop(&q);
		next_out++;
		for (size_t i = 0; i < q.n; i++)
			assert_int_equal(*(uint64_t *)ec_parse_queue_at(&q, i), next_out + i);
	}
	assert_int_equal(q.n, 100);
	while (q.n) {
		assert_int_equal(*(uint64_t *)ec_parse_queue_head(&q), next_out++);
		ec_parse_queue_pop(&q);
	}
	assert_int_equal(next_out, 150);
	ec_parse_queue_free(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_split_message_keeps_first_fragment),
	    cmocka_unit_test(test_websocket_upgrade),
	    cmocka_unit_test(test_decode_gzip),
	    cmocka_unit_test(test_close_and_untyped),
	    cmocka_unit_test(test_http2_decode_body),
	    cmocka_unit_test(test_every_cut_http1_ws),
	    cmocka_unit_test(test_every_cut_http2),
	    cmocka_unit_test(test_loss_report_and_idle),
	    cmocka_unit_test(test_parts_http1_live),
	    cmocka_unit_test(test_parts_only_when_due),
	    cmocka_unit_test(test_parts_http2_live),
	    cmocka_unit_test(test_parts_incomplete_at_close),
	    cmocka_unit_test(test_queue),
	};
	return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
