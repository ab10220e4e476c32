// SPDX-License-Identifier: GPL-2.0-only
#include "grpc.h"
#include "http1.h"
#include "pbwire.h"
#include "text.h"
#include "utf8.h"
#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MESSAGES 1000 /* gRPC messages rendered per record (the rest counted) */

/* One direction of a call: the length-prefixed message in progress. */
struct side {
	uint8_t pre[5];			 /* its prefix: compressed flag, big-endian length */
	size_t npre;			 /* prefix bytes seen */
	uint32_t len;			 /* its length, once the prefix is whole */
	uint32_t got;			 /* its bytes seen */
	uint8_t *buf;			 /* its bytes kept (at most max_body) */
	size_t nbuf;			 /* bytes kept */
	unsigned k;			 /* messages begun */
	unsigned part;			 /* records sent in parts so far */
	char *encoding;			 /* grpc-encoding (malloc'd; NULL none) */
	const struct ec_pbwire_type *ty; /* its messages' type, with --proto */
};

struct ec_grpc_call {
	struct ec_parse_exchange x;
	struct side s[2]; /* the request's, the response's */
	int answered;	  /* the response was application/grpc */
};

void ec_grpc_call_free(struct ec_grpc_call *c)
{
	if (!c)
		return;
	ec_parse_exchange_clear(&c->x);
	for (int i = 0; i < 2; i++) {
		free(c->s[i].buf);
		free(c->s[i].encoding);
	}
	free(c);
}

const char *ec_grpc_status_name(unsigned s)
{
	static const char *const names[] = {"OK",
					    "CANCELLED",
					    "UNKNOWN",
					    "INVALID_ARGUMENT",
					    "DEADLINE_EXCEEDED",
					    "NOT_FOUND",
					    "ALREADY_EXISTS",
					    "PERMISSION_DENIED",
					    "RESOURCE_EXHAUSTED",
					    "FAILED_PRECONDITION",
					    "ABORTED",
					    "OUT_OF_RANGE",
					    "UNIMPLEMENTED",
					    "INTERNAL",
					    "UNAVAILABLE",
					    "DATA_LOSS",
					    "UNAUTHENTICATED"};
	return s < sizeof names / sizeof *names ? names[s] : "?";
}

/* The message s holds, whole or cut short, rendered (its header, then its fields). */
static void render(struct ec_parse_dir *d, struct side *s, struct ec_text *t, unsigned *shown)
{
	int compressed = s->pre[0] & 1;
	if (++*shown > MAX_MESSAGES)
		return;
	ec_text_fmt(t, "message %u (%u bytes%s%s%s):\n", s->k, s->len,
		    compressed ? ", compressed" : "", s->ty ? ", " : "",
		    s->ty ? ec_pbwire_type_name(s->ty) : "");
	const uint8_t *m = s->buf;
	size_t mn = s->nbuf;
	uint8_t *dec = NULL;
	if (compressed) {
		const char *e = s->encoding;
		int gz = e && !strcmp(e, "gzip");
		if (!gz && !(e && !strcmp(e, "deflate"))) {
			ec_text_fmt(t, "  (%s: not decoded)\n", e ? e : "no grpc-encoding");
			return;
		}
		if (s->got < s->len || ec_http1_inflate(m, mn, gz, d->o->max_body, &dec, &mn)) {
			ec_text_fmt(t, "  (%s: not decoded)\n", s->got < s->len ? "cut" : e);
			return;
		}
		m = dec;
	}
	if (ec_pbwire_render(t, d->o->schema, s->ty, m, mn, 1))
		ec_text_str(t, "  (not protobuf from here)\n");
	free(dec);
	if (s->nbuf < s->len)
		ec_text_fmt(t, "  (cut: %zu of %u bytes)\n", s->nbuf, s->len);
}

/*
 * Body bytes of a direction, in order across parts: every message they
 * complete is rendered into t; end says the stream ended (a message still
 * open is rendered as far as it came).
 */
static void feed(struct ec_parse_dir *d, struct side *s, struct ec_text *t, const uint8_t *p,
		 size_t n, int end, unsigned *shown)
{
	size_t lim = d->o->max_body;
	while (n) {
		if (s->npre < 5) {
			size_t k = 5 - s->npre < n ? 5 - s->npre : n;
			memcpy(s->pre + s->npre, p, k);
			s->npre += k;
			p += k;
			n -= k;
			if (s->npre < 5)
				break;
			s->len = (uint32_t)s->pre[1] << 24 | (uint32_t)s->pre[2] << 16 |
				 (uint32_t)s->pre[3] << 8 | s->pre[4];
			s->got = 0;
			s->nbuf = 0;
			s->k++;
		}
		size_t take = s->len - s->got < n ? s->len - s->got : n;
		size_t keep = s->nbuf < lim ? (lim - s->nbuf < take ? lim - s->nbuf : take) : 0;
		if (keep) {
			s->buf = ec_xrealloc(s->buf, s->nbuf + keep);
			memcpy(s->buf + s->nbuf, p, keep);
			s->nbuf += keep;
		}
		s->got += (uint32_t)take;
		p += take;
		n -= take;
		if (s->got == s->len) {
			render(d, s, t, shown);
			s->npre = 0;
		}
	}
	if (*shown > MAX_MESSAGES)
		ec_text_fmt(t, "(%u more messages)\n", *shown - MAX_MESSAGES);
	if (end && s->npre) {
		if (s->npre < 5)
			ec_text_fmt(t, "(%zu bytes, not a whole message prefix)\n", s->npre);
		else
			render(d, s, t, shown); /* as far as it came: "(cut: ...)" */
		s->npre = 0;
	}
	if (!s->npre) {
		/* only a message open across parts keeps its bytes between calls */
		free(s->buf);
		s->buf = NULL;
	}
}

/* A header's value in head lines, as a malloc'd string (NULL when absent). */
static char *header(const uint8_t *p, size_t n, const char *name)
{
	size_t vl;
	const uint8_t *v = ec_parse_header(p, n, name, &vl);
	if (!v)
		return NULL;
	char *s = ec_xmalloc(vl + 1);
	memcpy(s, v, vl);
	s[vl] = 0;
	return s;
}

static int is_grpc(const uint8_t *head, size_t n)
{
	char *ct = header(head, n, "content-type:");
	int yes = ct && !strncmp(ct, "application/grpc", 16) &&
		  (!ct[16] || ct[16] == '+' || ct[16] == ';');
	free(ct);
	return yes;
}

/* A request's head starts its call: its facts, its messages' type. */
static struct ec_grpc_call *start(struct ec_parse_dir *d, const struct ec_http2_msg *msg,
				  const struct ec_parse_exchange *http)
{
	struct ec_grpc_call *c = ec_xcalloc(1, sizeof *c);
	c->x.id = ec_parse_exchange_id(d);
	c->x.path = ec_xstrdup(http->path);
	const char *slash = strrchr(http->path, '/');
	c->x.method = ec_xstrdup(slash ? slash + 1 : http->path);
	c->x.authority = http->authority ? ec_xstrdup(http->authority) : NULL;
	c->s[0].encoding = header(msg->data, msg->head_len, "grpc-encoding:");
	c->s[0].ty = ec_pbwire_method(d->o->schema, http->path, 0);
	c->s[1].ty = ec_pbwire_method(d->o->schema, http->path, 1);
	return c;
}

/* grpc-message is percent-encoded (bytes outside printable ASCII, and '%'): decoded in place. */
static void unpercent(char *s)
{
	char *o = s;
	for (char *p = s; *p; p++) {
		unsigned v;
		if (*p == '%' && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2]) &&
		    sscanf(p + 1, "%2x", &v) == 1 && v) {
			*o++ = (char)v;
			p += 2;
		} else {
			*o++ = *p;
		}
	}
	*o = 0;
}

/* The response's status: in the trailers, or the head of a trailers-only answer. */
static void status(const struct ec_http2_msg *msg, struct ec_text *t, struct ec_parse_out *o,
		   char *sum, size_t cap)
{
	const uint8_t *tr = msg->trailer_len ? msg->data + msg->len - msg->trailer_len : msg->data;
	size_t tn = msg->trailer_len ? msg->trailer_len : msg->head_len;
	char *st = tn ? header(tr, tn, "grpc-status:") : NULL; /* a last part may be empty */
	char *gm = tn ? header(tr, tn, "grpc-message:") : NULL;
	if (gm)
		unpercent(gm);
	if (st) {
		unsigned s = (unsigned)strtoul(st, NULL, 10);
		ec_text_fmt(t, "grpc-status: %u %s", s, ec_grpc_status_name(s));
		if (gm)
			ec_text_fmt(t, "\ngrpc-message: %s", gm);
		char *fixed = NULL;
		if (gm) {
			/* the summary is a string field: at most 100 bytes, well-formed */
			size_t k = strlen(gm);
			fixed = ec_utf8_fixdup((const uint8_t *)gm, k < 100 ? k : 100);
		}
		snprintf(sum, cap, "%s%s%s", ec_grpc_status_name(s), gm ? ": " : "",
			 fixed ? fixed : "");
		free(fixed);
		o->status = s;
		o->failed = s != 0;
	} else {
		snprintf(sum, cap, "no grpc-status%s",
			 msg->flags & EC_HTTP2_RESET	    ? " (stream reset)"
			 : msg->flags & EC_HTTP2_INCOMPLETE ? " (incomplete)"
							    : "");
		o->failed = 1;
	}
	free(st);
	free(gm);
}

void ec_grpc_message(struct ec_parse_dir *d, const struct ec_http2_msg *msg,
		     const struct ec_parse_exchange *http, struct ec_grpc_call **call,
		     int64_t end_ts)
{
	int request = msg->kind == EC_HTTP2_REQUEST;
	struct ec_grpc_call *c = *call;
	if (msg->head_len) {
		/* a stream's head: does it start (or answer) a call? */
		int grpc = is_grpc(msg->data, msg->head_len);
		if (request) {
			ec_grpc_call_free(c);
			*call = c = grpc && http && http->path ? start(d, msg, http) : NULL;
		} else if (c && grpc && !c->answered) {
			c->answered = 1;
			c->s[1].encoding = header(msg->data, msg->head_len, "grpc-encoding:");
		}
	}
	if (!c || (!request && !c->answered))
		return;
	struct side *s = &c->s[!request];
	int first = request && msg->head_len, end = !msg->more;
	size_t bn = msg->len - msg->head_len - msg->trailer_len;
	const uint8_t *body = bn ? msg->data + msg->head_len : NULL; /* an empty part has no data */
	struct ec_text t = {0};
	ec_text_reset(&t, d->o->max_body);
	if (first)
		ec_text_fmt(&t, "%s\n", c->x.path);
	unsigned shown = 0;
	feed(d, s, &t, body, bn, end, &shown);
	/* a part with nothing whole yet waits, but a call shows as soon as it starts */
	if (!end && !shown && !first) {
		ec_text_free(&t);
		return;
	}
	struct ec_parse_out o = {.m = msg->start, .h2_stream_id = msg->stream_id};
	if (msg->part || s->part) {
		o.part = ++s->part;
		o.more = !end;
	}
	char sum[400]; /* a name, ": ", 100 bytes of grpc-message each up to 3 bytes as UTF-8 */
	if (request) {
		c->x.req_end = http ? http->req_end : msg->start.ts;
		o.type = EC_TYPE_GRPC_REQUEST;
		o.asks = &c->x;
	} else {
		if (end) {
			status(msg, &t, &o, sum, sizeof sum);
			o.summary = sum;
			o.end_ts = end_ts;
		}
		o.type = EC_TYPE_GRPC_RESPONSE;
		o.answers = &c->x;
	}
	if (end && (msg->flags & EC_HTTP2_INCOMPLETE))
		o.note = "incomplete: the stream did not end";
	o.a = (const uint8_t *)ec_text_get(&t);
	o.an = t.len;
	if (ec_text_cut(&t)) {
		o.truncated = 1;
		o.orig_length = t.want;
	}
	ec_parse_emit(d, &o);
	ec_text_free(&t);
}
