// SPDX-License-Identifier: GPL-2.0-only
#include "http2.h"
#include "dns.h"
#include "grpc.h"
#include "cursor.h"
#include "error.h"
#include "http1.h"
#include "parse.h"
#include "util.h"

#include <nghttp2/nghttp2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum ftype {
	F_DATA = 0,
	F_HEADERS = 1,
	F_PRIORITY = 2,
	F_RST_STREAM = 3,
	F_SETTINGS = 4,
	F_PUSH_PROMISE = 5,
	F_PING = 6,
	F_GOAWAY = 7,
	F_WINDOW_UPDATE = 8,
	F_CONTINUATION = 9,
};

#define FL_END_STREAM 0x1
#define FL_ACK 0x1
#define FL_END_HEADERS 0x4
#define FL_PADDED 0x8
#define FL_PRIORITY 0x20

#define MAX_TABLE (64u << 10) /* the largest HPACK table we follow */

struct buf {
	uint8_t *p;
	size_t len, cap;
};

struct stream {
	uint32_t sid;
	enum ec_http2_kind kind;
	struct ec_mark start;
	int have_head;
	struct buf head; /* start line + header lines */
	struct buf body;
	uint64_t body_len, kept;
	unsigned flags;
	unsigned parts; /* handed out so far; the head went with the first */
};

struct ec_http2 {
	nghttp2_hd_inflater *inf;
	size_t max_body, max_frame;
	int preface_done;
	/* a header block in progress (HEADERS/PUSH_PROMISE + CONTINUATION) */
	int hb_active, hb_end_stream;
	uint32_t hb_sid, hb_promised;
	struct ec_mark hb_mark;
	struct buf hb;
	struct stream *streams;
	size_t nstreams, cap_streams;
	/* the message handed out */
	int done;
	struct stream out;
	struct ec_http2_msg msg;
	uint32_t reset_sid;
	long table_setting;
	char err[160];
};

static int bput(struct buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		size_t nc = b->cap ? b->cap : 256;
		while (nc < b->len + n)
			nc *= 2;
		uint8_t *np = realloc(b->p, nc);
		if (!np)
			return EC_ERR_NOMEM;
		b->p = np;
		b->cap = nc;
	}
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

static void bfree(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

struct ec_http2 *ec_http2_new(size_t max_body, size_t max_frame)
{
	struct ec_http2 *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	if (nghttp2_hd_inflate_new(&h->inf)) {
		free(h);
		return NULL;
	}
	h->max_body = max_body;
	h->max_frame = max_frame < (1u << 24) - 1 ? max_frame : (1u << 24) - 1;
	h->table_setting = -1;
	return h;
}

static void stream_free(struct stream *s)
{
	bfree(&s->head);
	bfree(&s->body);
}

void ec_http2_free(struct ec_http2 *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->nstreams; i++)
		stream_free(&h->streams[i]);
	free(h->streams);
	stream_free(&h->out);
	bfree(&h->hb);
	nghttp2_hd_inflate_del(h->inf);
	free(h);
}

void ec_http2_reset(struct ec_http2 *h)
{
	for (size_t i = 0; i < h->nstreams; i++)
		stream_free(&h->streams[i]);
	h->nstreams = 0;
	stream_free(&h->out);
	h->done = 0;
	bfree(&h->hb);
	h->hb_active = 0;
	nghttp2_hd_inflater *inf;
	if (!nghttp2_hd_inflate_new(&inf)) {
		nghttp2_hd_inflate_del(h->inf);
		h->inf = inf;
	}
	h->preface_done = 1;
}

int ec_http2_done(const struct ec_http2 *h)
{
	return h->done;
}

const char *ec_http2_error(const struct ec_http2 *h)
{
	return h->err;
}

size_t ec_http2_open_streams(const struct ec_http2 *h)
{
	return h->nstreams;
}

uint32_t ec_http2_take_reset(struct ec_http2 *h)
{
	uint32_t s = h->reset_sid;
	h->reset_sid = 0;
	return s;
}

long ec_http2_take_table_setting(struct ec_http2 *h)
{
	long v = h->table_setting;
	h->table_setting = -1;
	return v;
}

int ec_http2_table_size(struct ec_http2 *h, size_t size)
{
	if (size > MAX_TABLE)
		size = MAX_TABLE;
	return nghttp2_hd_inflate_change_table_size(h->inf, size) ? EC_ERR_NOMEM : 0;
}

static int fail(struct ec_http2 *h, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct ec_http2 *h, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(h->err, sizeof h->err, fmt, ap);
	va_end(ap);
	return err;
}

static struct stream *find(struct ec_http2 *h, uint32_t sid)
{
	for (size_t i = 0; i < h->nstreams; i++)
		if (h->streams[i].sid == sid)
			return &h->streams[i];
	return NULL;
}

/* Hand stream s (moved, not in the table) out as the message. */
static void out_msg(struct ec_http2 *h, struct stream *s, unsigned flags)
{
	stream_free(&h->out);
	h->out = *s;
	h->out.flags |= flags;
	struct stream *o = &h->out;
	size_t head_len = o->head.len + 2, trailer_len = 0;
	if (o->parts) {
		/* the head went out before: body, then any trailer lines */
		trailer_len = o->head.len;
		if (bput(&o->body, o->head.p, o->head.len))
			o->body.len = 0;
		bfree(&o->head);
		o->head = o->body;
		memset(&o->body, 0, sizeof o->body);
		head_len = 0;
	} else if (bput(&o->head, "\r\n", 2) || bput(&o->head, o->body.p, o->body.len)) {
		/* head, empty line, body: one buffer */
		o->head.len = 0; /* out of memory: an empty message */
		head_len = 0;
	}
	h->msg.part = o->parts ? o->parts + 1 : 0;
	h->msg.more = 0;
	h->msg.trailer_len = trailer_len;
	h->msg.kept = o->kept;
	h->msg.kind = o->kind;
	h->msg.stream_id = o->sid;
	h->msg.start = o->start;
	h->msg.data = o->head.p;
	h->msg.len = o->head.len;
	h->msg.head_len = head_len;
	h->msg.body_len = o->body_len;
	h->msg.flags = o->flags;
	h->msg.error_code = 0;
	bfree(&o->body);
	h->done = 1;
}

/* Take stream s out of the table as the message. */
static void finish(struct ec_http2 *h, struct stream *s, unsigned flags)
{
	struct stream t = *s;
	size_t i = (size_t)(s - h->streams);
	memmove(&h->streams[i], &h->streams[i + 1], (h->nstreams - i - 1) * sizeof *s);
	h->nstreams--;
	out_msg(h, &t, flags);
}

const struct ec_http2_msg *ec_http2_message(const struct ec_http2 *h)
{
	return &h->msg;
}

void ec_http2_release(struct ec_http2 *h)
{
	stream_free(&h->out);
	memset(&h->out, 0, sizeof h->out);
	memset(&h->msg, 0, sizeof h->msg);
	h->done = 0;
}

/* Room for a new stream: when full the oldest goes out first (1). */
static int make_room(struct ec_http2 *h, uint32_t sid)
{
	if (h->nstreams < EC_HTTP2_MAX_STREAMS || find(h, sid))
		return 0;
	finish(h, &h->streams[0], EC_HTTP2_EVICTED | EC_HTTP2_INCOMPLETE);
	return 1;
}

/* The stream for sid, created when absent (make_room was called). */
static struct stream *get(struct ec_http2 *h, uint32_t sid, const struct ec_mark *m)
{
	struct stream *s = find(h, sid);
	if (s)
		return s;
	if (h->nstreams == EC_HTTP2_MAX_STREAMS)
		return NULL;
	if (h->nstreams == h->cap_streams) {
		size_t nc = h->cap_streams ? h->cap_streams * 2 : 4;
		struct stream *ns = realloc(h->streams, nc * sizeof *ns);
		if (!ns)
			return NULL;
		h->streams = ns;
		h->cap_streams = nc;
	}
	s = &h->streams[h->nstreams++];
	memset(s, 0, sizeof *s);
	s->sid = sid;
	s->start = *m;
	return s;
}

int ec_http2_abort(struct ec_http2 *h, uint32_t sid)
{
	struct stream *s = find(h, sid);
	if (!s || h->done)
		return 0;
	finish(h, s, EC_HTTP2_RESET);
	return 1;
}

int ec_http2_take_part(struct ec_http2 *h)
{
	if (h->done)
		return 0;
	for (size_t i = 0; i < h->nstreams; i++) {
		struct stream *s = &h->streams[i];
		if (!s->have_head || (s->parts && !s->body.len))
			continue;
		stream_free(&h->out);
		memset(&h->out, 0, sizeof h->out);
		struct buf *b = &h->out.head;
		size_t head_len = 0;
		if (!s->parts) {
			head_len = s->head.len + 2;
			if (bput(b, s->head.p, s->head.len) || bput(b, "\r\n", 2))
				return EC_ERR_NOMEM;
		}
		if (bput(b, s->body.p, s->body.len))
			return EC_ERR_NOMEM;
		memset(&h->msg, 0, sizeof h->msg);
		h->msg.kind = s->kind;
		h->msg.stream_id = s->sid;
		h->msg.start = s->start;
		h->msg.data = b->p;
		h->msg.len = b->len;
		h->msg.head_len = head_len;
		h->msg.body_len = s->body_len;
		h->msg.kept = s->kept;
		h->msg.flags = s->flags;
		h->msg.part = ++s->parts;
		h->msg.more = 1;
		s->head.len = 0; /* trailers, if any, start afresh */
		s->body.len = 0;
		h->done = 1;
		return 1;
	}
	return 0;
}

int ec_http2_flush(struct ec_http2 *h)
{
	if (h->done || !h->nstreams)
		return 0;
	finish(h, &h->streams[0], EC_HTTP2_INCOMPLETE);
	return 1;
}

int ec_http2_plausible_frame(const uint8_t *p, size_t n)
{
	struct ec_cur c;
	uint32_t len, sid;
	uint8_t type, flags;
	ec_cur_init(&c, p, n);
	if (ec_cur_be24(&c, &len) || ec_cur_u8(&c, &type) || ec_cur_u8(&c, &flags) ||
	    ec_cur_be32(&c, &sid))
		return 0;
	sid &= 0x7fffffff;
	switch (type) {
	case F_SETTINGS:
		return sid == 0 && len % 6 == 0 && len <= 6 * 64 && !(flags & ~FL_ACK);
	case F_PING:
		return sid == 0 && len == 8;
	case F_GOAWAY:
		return sid == 0 && len >= 8 && len <= 16384;
	case F_WINDOW_UPDATE:
		return len == 4;
	case F_HEADERS:
	case F_DATA:
		return sid != 0 && len <= 16384;
	case F_RST_STREAM:
		return sid != 0 && len == 4;
	default:
		return 0;
	}
}

/* Decode the header block in h->hb for stream sid; render its fields. */
static int decode_block(struct ec_http2 *h, struct buf *lines, char *method, size_t mcap,
			char *path, size_t pcap, char *status, size_t scap)
{
	static const uint8_t empty[1];
	const uint8_t *in = h->hb.p ? h->hb.p : empty;
	size_t left = h->hb.len;
	method[0] = path[0] = status[0] = 0;
	for (;;) {
		nghttp2_nv nv;
		int fl = 0;
		ssize_t rv = nghttp2_hd_inflate_hd2(h->inf, &nv, &fl, in, left, 1);
		if (rv < 0)
			return fail(h, EC_ERR_PROTO, "HPACK: %s", nghttp2_strerror((int)rv));
		in += rv;
		left -= (size_t)rv;
		if (fl & NGHTTP2_HD_INFLATE_EMIT) {
			/* a small block can name big table entries many times */
			if (lines->len + nv.namelen + nv.valuelen + 4 > EC_HTTP2_MAX_HEAD)
				return fail(h, EC_ERR_PROTO, "header list over %u bytes",
					    EC_HTTP2_MAX_HEAD);
			if (bput(lines, nv.name, nv.namelen) || bput(lines, ": ", 2) ||
			    bput(lines, nv.value, nv.valuelen) || bput(lines, "\r\n", 2))
				return EC_ERR_NOMEM;
			char *dst = NULL;
			size_t cap = 0;
			if (nv.namelen == 7 && !memcmp(nv.name, ":method", 7)) {
				dst = method;
				cap = mcap;
			} else if (nv.namelen == 5 && !memcmp(nv.name, ":path", 5)) {
				dst = path;
				cap = pcap;
			} else if (nv.namelen == 7 && !memcmp(nv.name, ":status", 7)) {
				dst = status;
				cap = scap;
			}
			if (dst) {
				size_t k = nv.valuelen < cap - 1 ? nv.valuelen : cap - 1;
				memcpy(dst, nv.value, k);
				dst[k] = 0;
			}
		}
		if (fl & NGHTTP2_HD_INFLATE_FINAL) {
			nghttp2_hd_inflate_end_headers(h->inf);
			break;
		}
		if (!(fl & NGHTTP2_HD_INFLATE_EMIT) && left == 0)
			return fail(h, EC_ERR_PROTO, "HPACK: header block ends inside a field");
	}
	return 0;
}

/* A complete header block: a stream's head, its trailers, or a promise. */
static int end_block(struct ec_http2 *h)
{
	char method[32], path[2048], status[8];
	struct buf lines = {0};
	h->hb_active = 0;
	int err = decode_block(h, &lines, method, sizeof method, path, sizeof path, status,
			       sizeof status);
	bfree(&h->hb);
	if (err) {
		bfree(&lines);
		/* the HPACK context is gone: start over with an empty table */
		nghttp2_hd_inflater *inf;
		if (!nghttp2_hd_inflate_new(&inf)) {
			nghttp2_hd_inflate_del(h->inf);
			h->inf = inf;
		}
		return err;
	}
	struct stream tmp, *s;
	uint32_t sid = h->hb_promised ? h->hb_promised : h->hb_sid;
	if (h->hb_promised) {
		memset(&tmp, 0, sizeof tmp);
		tmp.sid = sid;
		tmp.start = h->hb_mark;
		s = &tmp;
	} else if (!(s = get(h, sid, &h->hb_mark))) {
		bfree(&lines);
		return EC_ERR_NOMEM;
	}
	if (!s->have_head) {
		char start[2100];
		int k;
		if (method[0]) {
			s->kind = EC_HTTP2_REQUEST;
			k = snprintf(start, sizeof start, "%s %s HTTP/2.0\r\n", method, path);
		} else {
			s->kind = EC_HTTP2_RESPONSE;
			k = snprintf(start, sizeof start, "HTTP/2.0 %s\r\n",
				     status[0] ? status : "?");
		}
		if (k < 0 || (size_t)k >= sizeof start)
			k = (int)sizeof start - 1;
		err = bput(&s->head, start, (size_t)k);
		s->have_head = 1;
	} else {
		s->flags |= EC_HTTP2_TRAILERS;
	}
	if (!err && s->head.len + lines.len > 2 * EC_HTTP2_MAX_HEAD)
		err = fail(h, EC_ERR_PROTO, "header and trailer lists over %u bytes",
			   2 * EC_HTTP2_MAX_HEAD);
	if (!err)
		err = bput(&s->head, lines.p, lines.len);
	bfree(&lines);
	if (h->hb_promised) {
		/* the promised request is complete as promised */
		if (err)
			stream_free(&tmp);
		else
			out_msg(h, &tmp, EC_HTTP2_PUSH);
		return err;
	}
	if (err)
		return err;
	if (s->kind == EC_HTTP2_RESPONSE && status[0] == '1' && !(s->flags & EC_HTTP2_TRAILERS))
		finish(h, s, EC_HTTP2_INFO); /* interim: the final head starts afresh */
	else if (h->hb_end_stream)
		finish(h, s, 0);
	return 0;
}

static int data_frame(struct ec_http2 *h, uint32_t sid, uint8_t flags, const uint8_t *p, size_t n,
		      const struct ec_mark *m)
{
	struct stream *s = get(h, sid, m);
	if (!s)
		return EC_ERR_NOMEM;
	s->body_len += n;
	size_t room = s->kept < h->max_body ? (size_t)(h->max_body - s->kept) : 0;
	if (n > room)
		s->flags |= EC_HTTP2_CUT;
	if (s->parts && !s->body.len)
		s->start = *m; /* a later part starts with this frame */
	if (bput(&s->body, p, n < room ? n : room))
		return EC_ERR_NOMEM;
	s->kept += n < room ? n : room;
	if (flags & FL_END_STREAM)
		finish(h, s, 0);
	return 0;
}

long ec_http2_feed(struct ec_http2 *h, const uint8_t *p, size_t n, const struct ec_mark *m)
{
	struct ec_cur c;
	uint32_t len, sid;
	uint8_t type, flags;
	if (h->done)
		return 0;
	if (!h->preface_done) {
		size_t k = n < EC_HTTP2_PREFACE_LEN ? n : EC_HTTP2_PREFACE_LEN;
		if (!memcmp(p, EC_HTTP2_PREFACE, k)) {
			if (n < EC_HTTP2_PREFACE_LEN)
				return 0;
			h->preface_done = 1;
			return EC_HTTP2_PREFACE_LEN;
		}
		h->preface_done = 1; /* the server's direction: frames from the start */
	}
	ec_cur_init(&c, p, n);
	if (ec_cur_be24(&c, &len) || ec_cur_u8(&c, &type) || ec_cur_u8(&c, &flags) ||
	    ec_cur_be32(&c, &sid))
		return 0;
	sid &= 0x7fffffff;
	if (len > h->max_frame)
		return fail(h, EC_ERR_TOOBIG, "frame of %u bytes is over the buffer limit", len);
	const uint8_t *pl;
	if (ec_cur_bytes(&c, len, &pl))
		return 0;
	long used = (long)(9 + len);
	struct ec_cur f;
	ec_cur_init(&f, pl, len);
	if (h->hb_active && (type != F_CONTINUATION || sid != h->hb_sid))
		return fail(h, EC_ERR_PROTO, "frame type %u inside a header block", type);
	uint8_t pad = 0;
	uint32_t v32 = 0;
	int err = 0;
	switch (type) {
	case F_DATA:
	case F_HEADERS:
	case F_PUSH_PROMISE:
		if (!sid)
			return fail(h, EC_ERR_PROTO, "frame type %u on stream 0", type);
		if (type != F_PUSH_PROMISE && make_room(h, sid))
			return 0; /* the oldest stream went out first: come again */
		if ((flags & FL_PADDED) && ec_cur_u8(&f, &pad))
			return fail(h, EC_ERR_PROTO, "padded frame type %u without a pad length",
				    type);
		if (type == F_HEADERS && (flags & FL_PRIORITY) && ec_cur_skip(&f, 5))
			return fail(h, EC_ERR_PROTO, "HEADERS too short for its priority");
		if (type == F_PUSH_PROMISE) {
			if (ec_cur_be32(&f, &v32))
				return fail(h, EC_ERR_PROTO, "PUSH_PROMISE too short");
			h->hb_promised = v32 & 0x7fffffff;
		} else if (type == F_HEADERS) {
			h->hb_promised = 0;
		}
		if (pad > ec_cur_left(&f))
			return fail(h, EC_ERR_PROTO, "padding longer than frame type %u", type);
		{
			size_t k = ec_cur_left(&f) - pad;
			const uint8_t *d = ec_cur_ptr(&f);
			if (type == F_DATA) {
				err = data_frame(h, sid, flags, d, k, m);
				break;
			}
			if (k > h->max_frame)
				return fail(h, EC_ERR_TOOBIG, "header block too long");
			h->hb.len = 0;
			if ((err = bput(&h->hb, d, k)))
				break;
			h->hb_active = 1;
			h->hb_sid = sid;
			h->hb_mark = *m;
			h->hb_end_stream = type == F_HEADERS && (flags & FL_END_STREAM);
			if (flags & FL_END_HEADERS)
				err = end_block(h);
		}
		break;
	case F_CONTINUATION:
		if (!h->hb_active)
			return fail(h, EC_ERR_PROTO, "CONTINUATION without HEADERS");
		if (h->hb.len + len > h->max_frame)
			return fail(h, EC_ERR_TOOBIG, "header block too long");
		if ((err = bput(&h->hb, pl, len)))
			break;
		if (flags & FL_END_HEADERS)
			err = end_block(h);
		break;
	case F_SETTINGS:
		if (sid || len % 6 || ((flags & FL_ACK) && len))
			return fail(h, EC_ERR_PROTO, "malformed SETTINGS (%u bytes)", len);
		while (ec_cur_left(&f)) {
			uint16_t id = 0;
			ec_cur_be16(&f, &id);
			ec_cur_be32(&f, &v32);
			if (id == NGHTTP2_SETTINGS_HEADER_TABLE_SIZE)
				h->table_setting = v32;
		}
		break;
	case F_PING:
		if (sid || len != 8)
			return fail(h, EC_ERR_PROTO, "malformed PING (%u bytes)", len);
		break;
	case F_GOAWAY:
		if (sid || len < 8)
			return fail(h, EC_ERR_PROTO, "malformed GOAWAY (%u bytes)", len);
		break;
	case F_WINDOW_UPDATE:
		if (len != 4)
			return fail(h, EC_ERR_PROTO, "malformed WINDOW_UPDATE (%u bytes)", len);
		break;
	case F_PRIORITY:
		if (!sid || len != 5)
			return fail(h, EC_ERR_PROTO, "malformed PRIORITY (%u bytes)", len);
		break;
	case F_RST_STREAM:
		if (!sid || len != 4)
			return fail(h, EC_ERR_PROTO, "malformed RST_STREAM (%u bytes)", len);
		ec_cur_be32(&f, &v32);
		h->reset_sid = sid;
		{
			struct stream *s = find(h, sid);
			if (s) {
				finish(h, s, EC_HTTP2_RESET);
				h->msg.error_code = v32;
			}
		}
		break;
	default:
		break; /* unknown frame types are ignored (RFC 9113 4.1) */
	}
	return err ? err : used;
}

/* ---- the decoder ec-parse drives (lib/proto/parse.h) ---- */

/* A request stream's exchange, until its response is complete. */
struct h2x {
	uint32_t sid, status;
	struct ec_parse_exchange x;
	struct ec_parse_exchange g; /* DoH's (dns.c) */
	struct ec_grpc_call *call;  /* a gRPC call's (grpc.c) */
};

#define MAX_EXCHANGES 256 /* open exchanges followed per connection (oldest dropped) */

struct h2conn {
	struct ec_http2 *h[2];
	int64_t last_ts[2]; /* per direction: the time of the last byte consumed */
	struct h2x *xs;	    /* open exchanges, oldest first */
	size_t nx, capx;    /* grown as needed: most connections have few */
};

static struct h2x *xfind(struct h2conn *hc, uint32_t sid)
{
	for (size_t i = 0; i < hc->nx; i++)
		if (hc->xs[i].sid == sid)
			return &hc->xs[i];
	return NULL;
}

static void xdrop(struct h2conn *hc, struct h2x *e)
{
	ec_parse_exchange_clear(&e->x);
	ec_parse_exchange_clear(&e->g);
	ec_grpc_call_free(e->call);
	size_t i = (size_t)(e - hc->xs);
	memmove(e, e + 1, (hc->nx - i - 1) * sizeof *e);
	hc->nx--;
}

static struct h2x *xadd(struct h2conn *hc, uint32_t sid)
{
	if (hc->nx == MAX_EXCHANGES)
		xdrop(hc, &hc->xs[0]);
	if (hc->nx == hc->capx) {
		hc->capx = hc->capx ? 2 * hc->capx : 4;
		hc->xs = ec_xrealloc(hc->xs, hc->capx * sizeof *hc->xs);
	}
	struct h2x *e = &hc->xs[hc->nx++];
	memset(e, 0, sizeof *e);
	e->sid = sid;
	return e;
}

static struct ec_http2 *of(const struct ec_parse_dir *d, struct h2conn *hc)
{
	if (!hc->h[d->di] && !(hc->h[d->di] = ec_http2_new(d->o->max_body, d->o->max_buffer)))
		ec_die(1, "out of memory");
	return hc->h[d->di];
}

/* --decode-body for HTTP/2: content-encoding gzip or deflate (HPACK names are lower case). */
static uint8_t *decode(const struct ec_parse_dir *d, const struct ec_http2_msg *msg,
		       struct ec_parse_out *o, char *note, size_t cap)
{
	static const char key[] = "\r\ncontent-encoding: ";
	const uint8_t *h = memmem(msg->data, msg->head_len, key, sizeof key - 1);
	if (!h)
		return NULL;
	h += sizeof key - 1;
	size_t left = msg->head_len - (size_t)(h - msg->data);
	int gz = left >= 6 && !memcmp(h, "gzip\r\n", 6);
	if (!gz && !(left >= 9 && !memcmp(h, "deflate\r\n", 9)))
		return NULL;
	uint8_t *dec = NULL;
	size_t dl = 0;
	char tmp[96];
	int rc = ec_http1_inflate(msg->data + msg->head_len, msg->len - msg->head_len, gz,
				  d->o->max_body, &dec, &dl);
	if (rc == 0) {
		snprintf(tmp, sizeof tmp, "decoded %s", gz ? "gzip" : "deflate");
		o->an = msg->head_len;
		o->b = dec;
		o->bn = dl;
		o->decoded = 1;
	} else if (rc == EC_ERR_TOOBIG) {
		snprintf(tmp, sizeof tmp, "body not decoded: over %zu bytes", d->o->max_body);
	} else {
		snprintf(tmp, sizeof tmp, "body not decoded: invalid %s data",
			 gz ? "gzip" : "deflate");
	}
	ec_parse_note(note, cap, tmp);
	return dec;
}

/*
 * The exchange of a message: a request stream's is made with its head and
 * named by its parts; a response names it, with its status and, once
 * complete, the time of its last byte, and then drops it (not after a 1xx).
 * Returns the entry to drop once the message is out, or NULL.
 */
static struct h2x *exchange(struct ec_parse_dir *d, struct h2conn *hc,
			    const struct ec_http2_msg *msg, struct ec_parse_out *o)
{
	struct h2x *e = xfind(hc, msg->stream_id);
	int complete = !msg->more;
	if (o->type == 2) {
		if (!e)
			e = xadd(hc, msg->stream_id);
		if (msg->head_len)
			ec_parse_exchange_set(d, &e->x, msg->data, msg->head_len);
		else if (!e->x.id)
			e->x.id = ec_parse_exchange_id(d);
		e->x.req_end = hc->last_ts[d->di];
		o->exchange_id = e->x.id;
		return NULL;
	}
	if (msg->kind != EC_HTTP2_RESPONSE)
		return NULL;
	uint32_t status = msg->head_len ? ec_parse_status(msg->data, msg->head_len) : 0;
	if (e && status)
		e->status = status;
	o->status = status ? status : e ? e->status : 0;
	o->answers = e ? &e->x : NULL;
	if (complete)
		o->end_ts = hc->last_ts[d->di];
	return e && complete && !(msg->flags & EC_HTTP2_INFO) ? e : NULL;
}

/* The message h holds out (ec_http2_done, a flushed or a parted stream), then released. */
static void emit(struct ec_parse_dir *d, struct h2conn *hc, struct ec_http2 *h, const char *why,
		 int desync)
{
	const struct ec_http2_msg *msg = ec_http2_message(h);
	char note[200] = "", tmp[96];
	struct ec_parse_out o = {.m = msg->start, .h2_stream_id = msg->stream_id};
	o.type = msg->kind == EC_HTTP2_REQUEST ? 2 : msg->kind == EC_HTTP2_RESPONSE ? 4 : 0;
	o.part = msg->part;
	o.more = msg->more;
	struct h2x *done = o.type ? exchange(d, hc, msg, &o) : NULL;
	if (msg->flags & EC_HTTP2_INCOMPLETE) {
		/* a stream already sent in parts keeps its type to its last part */
		if (!msg->part) {
			o.type = 0;
			o.desync = desync;
		}
		ec_parse_note(note, sizeof note, why ? why : "incomplete");
	}
	ec_parse_part_notes(d, note, sizeof note, msg->part, msg->more, msg->trailer_len, NULL);
	if (msg->kind == EC_HTTP2_UNKNOWN)
		ec_parse_note(note, sizeof note, "DATA of a stream whose HEADERS were not seen");
	if (msg->flags & EC_HTTP2_EVICTED)
		ec_parse_note(note, sizeof note, "over 128 open streams");
	if (msg->flags & EC_HTTP2_PUSH)
		ec_parse_note(note, sizeof note, "promised by PUSH_PROMISE");
	if (msg->flags & EC_HTTP2_RESET) {
		snprintf(tmp, sizeof tmp, "stream reset (RST_STREAM error %u)", msg->error_code);
		ec_parse_note(note, sizeof note, tmp);
	}
	if ((msg->flags & EC_HTTP2_TRAILERS) && !msg->part)
		ec_parse_note(note, sizeof note, "trailers");
	if (msg->flags & EC_HTTP2_CUT) {
		snprintf(tmp, sizeof tmp, "body cut at %llu of %llu bytes",
			 (unsigned long long)msg->kept, (unsigned long long)msg->body_len);
		ec_parse_note(note, sizeof note, tmp);
		o.truncated = 1;
		o.orig_length = msg->head_len + msg->body_len;
		if (!msg->more)
			ec_parse_cut(d, "an HTTP/2 body");
	}
	o.a = msg->data;
	o.an = msg->len;
	uint8_t *dec = NULL;
	if (d->o->decode_body && o.type && !msg->part && !(msg->flags & EC_HTTP2_CUT) &&
	    msg->len > msg->head_len)
		dec = decode(d, msg, &o, note, sizeof note);
	o.note = note;
	ec_parse_emit(d, &o);
	struct h2x *e = o.type && !(msg->flags & EC_HTTP2_INFO) ? xfind(hc, msg->stream_id) : NULL;
	if (e) {
		/* a gRPC call's messages (its parts too), a DoH exchange's, beside the HTTP/2
		 * records */
		ec_grpc_message(d, msg, &e->x, &e->call, o.end_ts);
		if (!msg->part && !msg->more)
			ec_dns_doh(d, msg, &e->x, &e->g, o.end_ts);
	}
	free(dec);
	ec_http2_release(h);
	if (done)
		xdrop(hc, done);
}

/* Every open stream of a direction out as type 0. */
static void flush(struct ec_parse_dir *d, struct h2conn *hc, const char *why, int desync)
{
	struct ec_http2 *h = hc->h[d->di];
	if (!h)
		return;
	if (ec_http2_done(h))
		emit(d, hc, h, why, desync);
	while (ec_http2_flush(h))
		emit(d, hc, h, why, desync);
}

static size_t consume(struct ec_parse_dir *d, void *st, const struct ec_parse_src *s, size_t off)
{
	struct h2conn *hc = st;
	struct ec_http2 *h = of(d, hc);
	while (off < s->n && d->proto == &ec_http2_proto && !ec_parse_failed(d)) {
		if (d->desync) {
			/* resynchronise where a frame header is plausible */
			if (s->n - off < 9)
				break;
			if (!ec_http2_plausible_frame(s->p + off, s->n - off)) {
				ec_parse_untyped(d, ec_parse_mark(s, off), s->p + off, s->n - off,
						 NULL, 0, 1, "HTTP/2: not at a frame boundary");
				return s->n;
			}
			d->desync = 0;
		}
		struct ec_mark m = ec_parse_mark(s, off);
		long k = ec_http2_feed(h, s->p + off, s->n - off, &m);
		if (k == EC_ERR_NOMEM)
			ec_die(1, "out of memory");
		if (k < 0) {
			char note[200];
			snprintf(note, sizeof note, "HTTP/2: %s", ec_http2_error(h));
			flush(d, hc, note, 1);
			ec_parse_untyped(d, m, s->p + off, s->n - off, NULL, 0, 1, note);
			ec_http2_reset(h);
			d->desync = 1;
			return s->n;
		}
		if (k > 0)
			hc->last_ts[d->di] = ec_parse_mark(s, off + (size_t)k - 1).ts;
		off += (size_t)k;
		/* what this direction said about the other's header table and streams */
		long ts = ec_http2_take_table_setting(h);
		if (ts >= 0 && ec_http2_table_size(of(d->peer, hc), (size_t)ts))
			ec_die(1, "out of memory");
		uint32_t rst = ec_http2_take_reset(h);
		struct ec_http2 *oh = hc->h[d->peer->di];
		if (rst && oh && ec_http2_abort(oh, rst))
			emit(d->peer, hc, oh, NULL, 0);
		if (ec_http2_done(h)) {
			emit(d, hc, h, NULL, 0);
			continue;
		}
		if (k == 0)
			break;
	}
	return off;
}

static int detect(const struct ec_parse_dir *d, const uint8_t *p, size_t n)
{
	(void)d;
	size_t k = n < EC_HTTP2_PREFACE_LEN ? n : EC_HTTP2_PREFACE_LEN;
	if (!memcmp(p, EC_HTTP2_PREFACE, k))
		return k < EC_HTTP2_PREFACE_LEN ? -1 : 1;
	/* a server's SETTINGS before the client's preface */
	return n >= 9 && p[3] == 4 && ec_http2_plausible_frame(p, n);
}

static void conn_release(void *st)
{
	struct h2conn *hc = st;
	ec_http2_free(hc->h[0]);
	ec_http2_free(hc->h[1]);
	while (hc->nx)
		xdrop(hc, &hc->xs[hc->nx - 1]);
	free(hc->xs);
}

static int busy(const void *st, int di)
{
	const struct h2conn *hc = st;
	return hc->h[di] && ec_http2_open_streams(hc->h[di]);
}

static void reset(void *st, int di)
{
	struct h2conn *hc = st;
	if (hc->h[di])
		ec_http2_reset(hc->h[di]);
}

static int give_up(struct ec_parse_dir *d, void *st, const char *note, int desync,
		   const uint8_t **held, size_t *held_len)
{
	(void)held;
	(void)held_len;
	flush(d, st, note, desync);
	return 0; /* streams hold nothing once flushed */
}

static void take_part(struct ec_parse_dir *d, void *st)
{
	struct h2conn *hc = st;
	struct ec_http2 *h = hc->h[d->di];
	int k;
	if (!h)
		return;
	while ((k = ec_http2_take_part(h)) > 0)
		emit(d, hc, h, NULL, 0);
	if (k < 0)
		ec_die(1, "out of memory");
}

const struct ec_parse_proto ec_http2_proto = {
    .name = "http2",
    .detect = detect,
    .conn_size = sizeof(struct h2conn),
    .conn_release = conn_release,
    .consume = consume,
    .busy = busy,
    .reset = reset,
    .give_up = give_up,
    .take_part = take_part,
};
