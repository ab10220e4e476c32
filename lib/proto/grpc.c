// SPDX-License-Identifier: GPL-2.0-only
#include "grpc.h"
#include "http1.h"
#include "util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 8	  /* nested messages guessed this deep at most */
#define MAX_MESSAGES 1000 /* gRPC messages rendered per call (the rest counted) */

static int varint(const uint8_t *p, size_t n, size_t *off, uint64_t *v)
{
	uint64_t x = 0;
	for (int s = 0; s < 64 && *off < n; s += 7) {
		uint8_t b = p[(*off)++];
		x |= (uint64_t)(b & 0x7f) << s;
		if (!(b & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return -1;
}

/* Do the bytes parse as a message, every field whole? */
static int is_message(const uint8_t *p, size_t n, int depth)
{
	size_t off = 0;
	if (!n || depth > MAX_DEPTH)
		return 0;
	while (off < n) {
		uint64_t key, v;
		if (varint(p, n, &off, &key) || key >> 3 == 0 || key >> 3 > 536870911u)
			return 0;
		switch (key & 7) {
		case 0:
			if (varint(p, n, &off, &v))
				return 0;
			break;
		case 1:
		case 5:
			if (n - off < ((key & 7) == 1 ? 8u : 4u))
				return 0;
			off += (key & 7) == 1 ? 8 : 4;
			break;
		case 2:
			if (varint(p, n, &off, &v) || v > n - off)
				return 0;
			off += v;
			break;
		default:
			return 0;
		}
	}
	return 1;
}

static int printable(const uint8_t *p, size_t n)
{
	if (!ec_is_utf8(p, n))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 && p[i] != '\n' && p[i] != '\t' && p[i] != '\r')
			return 0;
	return 1;
}

static void quoted(struct ec_text *t, const uint8_t *p, size_t n)
{
	ec_text_put(t, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (c == '"' || c == '\\')
			ec_text_fmt(t, "\\%c", c);
		else if (c == '\n')
			ec_text_str(t, "\\n");
		else if (c < 0x20 || c == 0x7f || (c >= 0x80 && !printable(p, n)))
			ec_text_fmt(t, "\\%03o", c);
		else
			ec_text_put(t, &c, 1);
	}
	ec_text_put(t, "\"", 1);
}

static void spaces(struct ec_text *t, int depth)
{
	for (int i = 0; i < depth; i++)
		ec_text_str(t, "  ");
}

static int raw(struct ec_text *t, const uint8_t *p, size_t n, int depth)
{
	size_t off = 0;
	while (off < n) {
		uint64_t key, v;
		if (varint(p, n, &off, &key) || key >> 3 == 0)
			return -1;
		spaces(t, depth);
		uint64_t field = key >> 3;
		switch (key & 7) {
		case 0:
			if (varint(p, n, &off, &v))
				return -1;
			ec_text_fmt(t, "%" PRIu64 ": %" PRIu64 "\n", field, v);
			break;
		case 1:
			if (n - off < 8)
				return -1;
			memcpy(&v, p + off, 8);
			off += 8;
			ec_text_fmt(t, "%" PRIu64 ": 0x%016" PRIx64 "\n", field, v);
			break;
		case 5: {
			if (n - off < 4)
				return -1;
			uint32_t w;
			memcpy(&w, p + off, 4);
			off += 4;
			ec_text_fmt(t, "%" PRIu64 ": 0x%08x\n", field, w);
			break;
		}
		case 2: {
			if (varint(p, n, &off, &v) || v > n - off)
				return -1;
			const uint8_t *s = p + off;
			off += v;
			/* text reads better as text; protoc would guess a message first */
			if (!printable(s, v) && is_message(s, v, depth + 1)) {
				ec_text_fmt(t, "%" PRIu64 " {\n", field);
				raw(t, s, v, depth + 1);
				spaces(t, depth);
				ec_text_str(t, "}\n");
			} else {
				ec_text_fmt(t, "%" PRIu64 ": ", field);
				quoted(t, s, v);
				ec_text_put(t, "\n", 1);
			}
			break;
		}
		default:
			return -1;
		}
	}
	return 0;
}

int ec_grpc_decode_raw(struct ec_text *t, const uint8_t *p, size_t n)
{
	return raw(t, p, n, 0);
}

/* The length-prefixed messages of a body, each decoded (inflated first when flagged). */
static void messages(struct ec_parse_dir *d, struct ec_text *t, const uint8_t *p, size_t n,
		     const char *encoding)
{
	size_t off = 0;
	unsigned k = 0;
	while (off < n) {
		if (n - off < 5) {
			ec_text_fmt(t, "(%zu bytes, not a whole message prefix)\n", n - off);
			return;
		}
		uint32_t len = (uint32_t)p[off + 1] << 24 | (uint32_t)p[off + 2] << 16 |
			       (uint32_t)p[off + 3] << 8 | p[off + 4];
		int compressed = p[off] & 1;
		off += 5;
		size_t have = len < n - off ? len : n - off;
		if (++k > MAX_MESSAGES) {
			off += have;
			continue;
		}
		ec_text_fmt(t, "message %u (%u bytes%s):\n", k, len,
			    compressed ? ", compressed" : "");
		const uint8_t *m = p + off;
		uint8_t *dec = NULL;
		size_t mn = have;
		if (compressed) {
			if (!encoding || strcmp(encoding, "gzip") ||
			    ec_http1_inflate(m, have, 1, d->o->max_body, &dec, &mn)) {
				ec_text_fmt(t, "(%s: not decoded)\n",
					    encoding ? encoding : "no grpc-encoding");
				off += have;
				continue;
			}
			m = dec;
		}
		if (raw(t, m, mn, 1))
			ec_text_str(t, "  (not protobuf from here)\n");
		free(dec);
		if (have < len)
			ec_text_fmt(t, "(cut: %zu of %u bytes)\n", have, len);
		off += have;
	}
	if (k > MAX_MESSAGES)
		ec_text_fmt(t, "(%u messages in all)\n", k);
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

static const char *status_name(unsigned s)
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

void ec_grpc_message(struct ec_parse_dir *d, const struct ec_http2_msg *msg,
		     const struct ec_parse_exchange *http, struct ec_parse_exchange *g,
		     int64_t end_ts)
{
	const uint8_t *head = msg->data, *body = msg->data + msg->head_len;
	size_t hn = msg->head_len, bn = msg->len - msg->head_len - msg->trailer_len;
	int request = msg->kind == EC_HTTP2_REQUEST;
	char *ctype = header(head, hn, "content-type:");
	int grpc = ctype && !strncmp(ctype, "application/grpc", 16);
	free(ctype);
	if (!grpc || (request ? !http || !http->path : !g->id))
		return; /* (a trailers-only answer names application/grpc too) */
	char *enc = header(head, hn, "grpc-encoding:");
	struct ec_text t = {0};
	ec_text_reset(&t, d->o->max_body);
	struct ec_parse_out o = {.m = msg->start, .h2_stream_id = msg->stream_id};
	char sum[160];
	if (request) {
		ec_parse_exchange_clear(g);
		g->id = ec_parse_exchange_id(d);
		g->req_end = http->req_end;
		g->path = ec_xstrdup(http->path);
		const char *slash = strrchr(http->path, '/');
		g->method = ec_xstrdup(slash ? slash + 1 : http->path);
		g->authority = http->authority ? ec_xstrdup(http->authority) : NULL;
		ec_text_fmt(&t, "%s\n", http->path);
		messages(d, &t, body, bn, enc);
		o.type = EC_TYPE_GRPC_REQUEST;
		o.asks = g;
	} else {
		messages(d, &t, body, bn, enc);
		/* the status: in the trailers, or the head of a trailers-only answer */
		const uint8_t *tr =
		    msg->trailer_len ? msg->data + msg->len - msg->trailer_len : head;
		size_t tn = msg->trailer_len ? msg->trailer_len : hn;
		char *st = header(tr, tn, "grpc-status:"), *gm = header(tr, tn, "grpc-message:");
		if (st) {
			unsigned s = (unsigned)strtoul(st, NULL, 10);
			ec_text_fmt(&t, "grpc-status: %u %s", s, status_name(s));
			if (gm)
				ec_text_fmt(&t, "\ngrpc-message: %s", gm);
			snprintf(sum, sizeof sum, "%s%s%.100s", status_name(s), gm ? ": " : "",
				 gm ? gm : "");
			o.status = s;
			o.failed = s != 0;
		} else {
			snprintf(sum, sizeof sum, "no grpc-status");
			o.failed = 1;
		}
		free(st);
		free(gm);
		o.summary = sum;
		o.type = EC_TYPE_GRPC_RESPONSE;
		o.answers = g;
		o.end_ts = end_ts;
	}
	o.a = (const uint8_t *)ec_text_get(&t);
	o.an = t.len;
	if (ec_text_cut(&t)) {
		o.truncated = 1;
		o.orig_length = bn;
	}
	ec_parse_emit(d, &o);
	ec_text_free(&t);
	free(enc);
}
