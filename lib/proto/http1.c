// SPDX-License-Identifier: GPL-2.0-only
#include "http1.h"
#include "cursor.h"
#include "error.h"
#include "parse.h"
#include "util.h"
#include "ws.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

/* Parser states, named after what the next bytes are. */
enum state {
	S_HEAD,	      /* start line and headers, up to the empty line */
	S_BODY_LEN,   /* Content-Length body bytes */
	S_CHUNK_SIZE, /* chunk-size line */
	S_CHUNK_DATA, /* chunk bytes */
	S_CHUNK_END,  /* CRLF after a chunk */
	S_TRAILER,    /* trailer lines up to the empty line */
	S_BODY_EOF,   /* body until the input ends */
	S_DONE,	      /* a message is complete */
};

struct ec_http1 {
	enum state st;
	size_t max_body;
	int busy;
	uint64_t left;	 /* bytes left in a Content-Length body or chunk */
	size_t scanned;	 /* head bytes already searched for the empty line */
	uint8_t *buf;	 /* head, then body */
	size_t len, cap; /* bytes in buf */
	uint8_t *trl;	 /* trailer lines */
	size_t trl_len, trl_cap;
	struct ec_http1_msg msg;
	int borrowed;	/* msg.data points into the caller's input */
	unsigned parts; /* parts of the message handed out so far */
	char err[128];
};

struct ec_http1 *ec_http1_new(size_t max_body)
{
	struct ec_http1 *h = calloc(1, sizeof *h);
	if (h)
		h->max_body = max_body;
	return h;
}

void ec_http1_free(struct ec_http1 *h)
{
	if (!h)
		return;
	free(h->buf);
	free(h->trl);
	free(h);
}

void ec_http1_reset(struct ec_http1 *h)
{
	h->st = S_HEAD;
	h->busy = 0;
	h->left = 0;
	h->scanned = 0;
	h->len = 0;
	h->trl_len = 0;
	h->borrowed = 0;
	h->parts = 0;
	memset(&h->msg, 0, sizeof h->msg);
	/* a big message's memory goes back; small buffers are kept */
	if (h->cap > 2048) {
		free(h->buf);
		h->buf = NULL;
		h->cap = 0;
	}
	if (h->trl_cap > 1024) {
		free(h->trl);
		h->trl = NULL;
		h->trl_cap = 0;
	}
}

int ec_http1_done(const struct ec_http1 *h)
{
	return h->st == S_DONE;
}

int ec_http1_busy(const struct ec_http1 *h)
{
	return h->busy;
}

const char *ec_http1_error(const struct ec_http1 *h)
{
	return h->err;
}

static int put(uint8_t **b, size_t *len, size_t *cap, const uint8_t *p, size_t n)
{
	if (*len + n > *cap) {
		size_t nc = *cap ? *cap : 512;
		while (nc < *len + n)
			nc *= 2;
		uint8_t *nb = realloc(*b, nc);
		if (!nb)
			return EC_ERR_NOMEM;
		*b = nb;
		*cap = nc;
	}
	memcpy(*b + *len, p, n);
	*len += n;
	return 0;
}

static const char *const methods[] = {
    "GET",    "HEAD",	  "POST",	"PUT",	 "DELETE", "CONNECT", "OPTIONS", "TRACE",
    "PATCH",  "PROPFIND", "PROPPATCH",	"MKCOL", "COPY",   "MOVE",    "LOCK",	 "UNLOCK",
    "REPORT", "SEARCH",	  "MKCALENDAR", "PURGE", "LINK",   "UNLINK"};

int ec_http1_looks_like(const uint8_t *p, size_t n)
{
	static const char resp[] = "HTTP/1.";
	size_t k = n < 7 ? n : 7;
	if (!memcmp(p, resp, k))
		return n < 7 ? -1 : 1;
	int maybe = 0;
	for (size_t i = 0; i < sizeof methods / sizeof *methods; i++) {
		size_t m = strlen(methods[i]);
		if (n > m) {
			if (!memcmp(p, methods[i], m) && p[m] == ' ')
				return 1;
		} else if (!memcmp(p, methods[i], n)) {
			maybe = 1;
		}
	}
	return maybe ? -1 : 0;
}

size_t ec_http1_find_start(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		if (ec_http1_looks_like(p + i, n - i) == 1)
			return i;
		const uint8_t *q = memchr(p + i, '\n', n - i);
		if (!q)
			break;
		i = (size_t)(q - p) + 1;
	}
	return n;
}

static int is_tchar(uint8_t c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static void trim(const uint8_t **v, size_t *n)
{
	while (*n && (**v == ' ' || **v == '\t')) {
		(*v)++;
		(*n)--;
	}
	while (*n && ((*v)[*n - 1] == ' ' || (*v)[*n - 1] == '\t'))
		(*n)--;
}

static int name_is(const uint8_t *name, size_t n, const char *want)
{
	return strlen(want) == n && !strncasecmp((const char *)name, want, n);
}

/* Does the comma-separated list v contain token t (case-insensitive)? */
static int has_token(const uint8_t *v, size_t n, const char *t, int last_only)
{
	size_t tl = strlen(t);
	int found = 0;
	while (n) {
		const uint8_t *c = memchr(v, ',', n);
		size_t k = c ? (size_t)(c - v) : n;
		const uint8_t *e = v;
		size_t el = k;
		trim(&e, &el);
		found = el == tl && !strncasecmp((const char *)e, t, tl);
		if (found && !last_only)
			return 1;
		v += k;
		n -= k;
		if (n) {
			v++;
			n--;
		}
	}
	return found;
}

struct head_info {
	int have_len, chunked, te, upgrade_ws;
	uint64_t clen;
};

static int fail(struct ec_http1 *h, int err, const char *what)
{
	snprintf(h->err, sizeof h->err, "%s", what);
	return err;
}

/* Parse one header line into hi. */
static int header_line(struct ec_http1 *h, const uint8_t *l, size_t n, struct head_info *hi)
{
	if (n && (l[0] == ' ' || l[0] == '\t'))
		return 0; /* obsolete line folding: part of the previous value */
	const uint8_t *colon = memchr(l, ':', n);
	if (!colon || colon == l)
		return fail(h, EC_ERR_PROTO, "header line without a name and ':'");
	size_t nl = (size_t)(colon - l);
	for (size_t i = 0; i < nl; i++)
		if (!is_tchar(l[i]))
			return fail(h, EC_ERR_PROTO, "invalid character in a header name");
	const uint8_t *v = colon + 1;
	size_t vl = n - nl - 1;
	trim(&v, &vl);
	if (name_is(l, nl, "content-length")) {
		uint64_t x = 0;
		if (!vl)
			return fail(h, EC_ERR_PROTO, "empty Content-Length");
		for (size_t i = 0; i < vl; i++) {
			if (v[i] < '0' || v[i] > '9' || x > (UINT64_MAX - 9) / 10)
				return fail(h, EC_ERR_PROTO, "Content-Length is not a number");
			x = x * 10 + (uint64_t)(v[i] - '0');
		}
		if (hi->have_len && hi->clen != x)
			return fail(h, EC_ERR_PROTO, "two different Content-Length values");
		hi->have_len = 1;
		hi->clen = x;
	} else if (name_is(l, nl, "transfer-encoding")) {
		hi->te = 1;
		hi->chunked = has_token(v, vl, "chunked", 1);
	} else if (name_is(l, nl, "upgrade")) {
		hi->upgrade_ws = has_token(v, vl, "websocket", 0);
	} else if (name_is(l, nl, "content-encoding")) {
		size_t k = vl < sizeof h->msg.encoding - 1 ? vl : sizeof h->msg.encoding - 1;
		for (size_t i = 0; i < k; i++)
			h->msg.encoding[i] = (char)tolower(v[i]);
		h->msg.encoding[k] = 0;
	}
	return 0;
}

/* The head is p[0, n) (ending with its empty line): parse it, pick the body framing. */
static int parse_head(struct ec_http1 *h, const uint8_t *p, size_t n, unsigned req_flags)
{
	struct ec_cur c;
	const uint8_t *l;
	size_t ll;
	struct head_info hi = {0};
	struct ec_http1_msg *m = &h->msg;

	ec_cur_init(&c, p, n);
	if (ec_cur_line(&c, &l, &ll))
		return fail(h, EC_ERR_PROTO, "no start line");
	if (ll >= 12 && !memcmp(l, "HTTP/1.", 7)) {
		if (!isdigit(l[7]) || l[8] != ' ' || !isdigit(l[9]) || !isdigit(l[10]) ||
		    !isdigit(l[11]) || (ll > 12 && l[12] != ' '))
			return fail(h, EC_ERR_PROTO, "malformed status line");
		m->kind = EC_HTTP1_RESPONSE;
		m->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
	} else {
		const uint8_t *sp = memchr(l, ' ', ll);
		size_t ml = sp ? (size_t)(sp - l) : 0;
		if (!ml || ml >= sizeof m->method)
			return fail(h, EC_ERR_PROTO, "malformed request line (no method)");
		for (size_t i = 0; i < ml; i++)
			if (!is_tchar(l[i]))
				return fail(h, EC_ERR_PROTO, "invalid character in the method");
		if (ll < ml + 10 || memcmp(l + ll - 9, " HTTP/1.", 8) || !isdigit(l[ll - 1]))
			return fail(h, EC_ERR_PROTO, "request line does not end in HTTP/1.x");
		m->kind = EC_HTTP1_REQUEST;
		memcpy(m->method, l, ml);
		m->method[ml] = 0;
	}
	while (!ec_cur_line(&c, &l, &ll) && ll) {
		int err = header_line(h, l, ll, &hi);
		if (err)
			return err;
	}
	h->left = 0;
	if (m->kind == EC_HTTP1_REQUEST) {
		if (hi.upgrade_ws)
			m->flags |= EC_HTTP1_UPGRADE_WS;
		if (hi.te && !hi.chunked)
			return fail(h, EC_ERR_PROTO, "request Transfer-Encoding without chunked");
		if (hi.chunked) {
			h->st = S_CHUNK_SIZE;
		} else if (hi.have_len && hi.clen) {
			h->st = S_BODY_LEN;
			h->left = hi.clen;
		} else {
			h->st = S_DONE;
		}
		return 0;
	}
	int s = m->status;
	if (s >= 100 && s < 200) {
		if (s == 101) {
			m->flags |= EC_HTTP1_TUNNEL;
			if (hi.upgrade_ws)
				m->flags |= EC_HTTP1_UPGRADE_WS;
		} else {
			m->flags |= EC_HTTP1_INFO;
		}
		h->st = S_DONE;
	} else if ((req_flags & EC_HTTP1_REQ_CONNECT) && s >= 200 && s < 300) {
		m->flags |= EC_HTTP1_TUNNEL;
		h->st = S_DONE;
	} else if ((req_flags & EC_HTTP1_REQ_HEAD) || s == 204 || s == 304) {
		h->st = S_DONE;
	} else if (hi.chunked) {
		h->st = S_CHUNK_SIZE;
	} else if (hi.te) {
		h->st = S_BODY_EOF;
	} else if (hi.have_len) {
		h->left = hi.clen;
		h->st = hi.clen ? S_BODY_LEN : S_DONE;
	} else {
		h->st = S_BODY_EOF;
	}
	return 0;
}

/* Keep body bytes up to max_body (over all parts); count all of them. */
static int body(struct ec_http1 *h, const uint8_t *p, size_t n)
{
	uint64_t kept = h->msg.kept;
	h->msg.body_len += n;
	if (kept + n > h->max_body) {
		h->msg.flags |= EC_HTTP1_CUT;
		n = kept < h->max_body ? (size_t)(h->max_body - kept) : 0;
	}
	h->msg.kept += n;
	return n ? put(&h->buf, &h->len, &h->cap, p, n) : 0;
}

/* Put the trailer lines before the head's empty line (after the body when
 * the head went out in an earlier part). */
static int place_trailers(struct ec_http1 *h)
{
	if (!h->trl_len)
		return 0;
	if (h->parts) {
		h->msg.trailer_len = h->trl_len;
		h->msg.flags |= EC_HTTP1_TRAILERS;
		return put(&h->buf, &h->len, &h->cap, h->trl, h->trl_len);
	}
	size_t hl = h->msg.head_len;
	size_t eol = hl >= 2 && h->buf[hl - 2] == '\r' ? 2 : 1; /* the empty line */
	size_t at = hl - eol, tail = h->len - at;
	/* grow by appending the trailers, then rotate them into place */
	int err = put(&h->buf, &h->len, &h->cap, h->trl, h->trl_len);
	if (err)
		return err;
	memmove(h->buf + at + h->trl_len, h->buf + at, tail);
	memcpy(h->buf + at, h->trl, h->trl_len);
	h->msg.head_len += h->trl_len;
	h->msg.flags |= EC_HTTP1_TRAILERS;
	return 0;
}

static int finish_msg(struct ec_http1 *h)
{
	int err = place_trailers(h);
	h->st = S_DONE;
	h->msg.data = h->buf;
	h->msg.len = h->len;
	h->msg.part = h->parts ? h->parts + 1 : 0;
	h->msg.more = 0;
	return err;
}

unsigned ec_http1_take_part(struct ec_http1 *h, struct ec_http1_msg *part)
{
	/* an open message with its head parsed and something new */
	if (!h->busy || h->st == S_HEAD || h->st == S_DONE || h->borrowed || (h->parts && !h->len))
		return 0;
	*part = h->msg;
	part->data = h->buf;
	part->len = h->len;
	part->part = ++h->parts;
	part->more = 1;
	h->len = 0; /* the bytes stay in buf until the next feed */
	h->msg.head_len = 0;
	return part->part;
}

long ec_http1_feed(struct ec_http1 *h, const uint8_t *p, size_t n, unsigned req_flags)
{
	struct ec_cur c;
	ec_cur_init(&c, p, n);
	while (h->st != S_DONE && ec_cur_left(&c)) {
		const uint8_t *l = NULL;
		size_t ll = 0, d;
		size_t at = c.off;
		int err;
		switch (h->st) {
		case S_HEAD: {
			/* empty lines before a message are tolerated */
			uint8_t b;
			if (!h->busy && !ec_cur_peek(&c, 0, &b) && (b == '\r' || b == '\n')) {
				if (b == '\n' || (!ec_cur_peek(&c, 1, &b) && b == '\n')) {
					ec_cur_line(&c, &l, &ll);
					h->scanned = 0;
					continue;
				}
				if (!EC_CUR_HAVE(&c, 2))
					return (long)c.off;
			}
			int like = ec_http1_looks_like(ec_cur_ptr(&c), ec_cur_left(&c));
			if (like == 0)
				return at ? (long)at
					  : fail(h, EC_ERR_PROTO,
						 "not an HTTP/1 start line (method or HTTP/1.x)");
			/* search for the empty line ending the head */
			const uint8_t *s = ec_cur_ptr(&c);
			size_t avail = ec_cur_left(&c), end = 0;
			size_t from = h->scanned > 2 ? h->scanned - 2 : 0;
			for (size_t i = from; i < avail;) {
				const uint8_t *q = memchr(s + i, '\n', avail - i);
				if (!q)
					break;
				size_t k = (size_t)(q - s) + 1;
				if (k < avail && s[k] == '\n') {
					end = k + 1;
					break;
				}
				if (k + 1 < avail && s[k] == '\r' && s[k + 1] == '\n') {
					end = k + 2;
					break;
				}
				if (k + 1 >= avail)
					break;
				i = k;
			}
			if (!end) {
				h->scanned = avail;
				if (avail > EC_HTTP1_MAX_HEAD)
					return fail(h, EC_ERR_TOOBIG, "head longer than 64 KiB");
				return (long)at;
			}
			if (end > EC_HTTP1_MAX_HEAD)
				return fail(h, EC_ERR_TOOBIG, "head longer than 64 KiB");
			h->scanned = 0;
			memset(&h->msg, 0, sizeof h->msg);
			h->len = 0;
			err = parse_head(h, s, end, req_flags);
			if (err)
				return at ? (long)at : err;
			h->msg.head_len = end;
			h->busy = 1;
			if (h->st == S_DONE || (h->st == S_BODY_LEN && h->left <= avail - end &&
						h->left <= h->max_body)) {
				/*
				 * The whole message is here: hand it out in place,
				 * valid until the caller's next call (no copy).
				 */
				size_t total = end + (size_t)h->left;
				h->msg.body_len = h->msg.kept = h->left;
				h->left = 0;
				h->st = S_DONE;
				h->msg.data = s;
				h->msg.len = total;
				h->borrowed = 1;
				ec_cur_skip(&c, total);
				break;
			}
			err = put(&h->buf, &h->len, &h->cap, s, end);
			if (err)
				return err;
			ec_cur_skip(&c, end);
			break;
		}
		case S_BODY_LEN:
			d = ec_cur_left(&c) < h->left ? ec_cur_left(&c) : (size_t)h->left;
			ec_cur_bytes(&c, d, &l);
			if ((err = body(h, l, d)))
				return err;
			h->left -= d;
			if (!h->left)
				finish_msg(h);
			break;
		case S_CHUNK_SIZE: {
			if (ec_cur_line(&c, &l, &ll)) {
				if (ec_cur_left(&c) > 1024)
					return fail(h, EC_ERR_PROTO, "chunk-size line too long");
				return (long)at;
			}
			uint64_t x = 0;
			size_t i = 0;
			for (; i < ll && isxdigit(l[i]); i++) {
				if (x >> 59)
					return fail(h, EC_ERR_PROTO, "chunk size too large");
				x = x * 16 + (uint64_t)(isdigit(l[i]) ? l[i] - '0'
								      : (tolower(l[i]) - 'a' + 10));
			}
			if (!i || (i < ll && l[i] != ';' && l[i] != ' ' && l[i] != '\t'))
				return fail(h, EC_ERR_PROTO, "chunk size is not hexadecimal");
			h->msg.flags |= EC_HTTP1_DECHUNKED;
			h->left = x;
			h->st = x ? S_CHUNK_DATA : S_TRAILER;
			break;
		}
		case S_CHUNK_DATA:
			d = ec_cur_left(&c) < h->left ? ec_cur_left(&c) : (size_t)h->left;
			ec_cur_bytes(&c, d, &l);
			if ((err = body(h, l, d)))
				return err;
			h->left -= d;
			if (!h->left)
				h->st = S_CHUNK_END;
			break;
		case S_CHUNK_END: {
			uint8_t b0, b1;
			ec_cur_peek(&c, 0, &b0);
			if (b0 == '\n') {
				ec_cur_skip(&c, 1);
			} else if (b0 == '\r') {
				if (ec_cur_peek(&c, 1, &b1))
					return (long)at;
				if (b1 != '\n')
					return fail(h, EC_ERR_PROTO, "chunk not followed by CRLF");
				ec_cur_skip(&c, 2);
			} else {
				return fail(h, EC_ERR_PROTO, "chunk not followed by CRLF");
			}
			h->st = S_CHUNK_SIZE;
			break;
		}
		case S_TRAILER:
			if (ec_cur_line(&c, &l, &ll)) {
				if (ec_cur_left(&c) + h->trl_len > EC_HTTP1_MAX_HEAD)
					return fail(h, EC_ERR_TOOBIG,
						    "trailers longer than 64 KiB");
				return (long)at;
			}
			if (!ll) {
				if ((err = finish_msg(h)))
					return err;
				break;
			}
			if (!memchr(l, ':', ll))
				return fail(h, EC_ERR_PROTO, "trailer line without ':'");
			if (h->trl_len + (c.off - at) > EC_HTTP1_MAX_HEAD)
				return fail(h, EC_ERR_TOOBIG, "trailers longer than 64 KiB");
			if ((err = put(&h->trl, &h->trl_len, &h->trl_cap, p + at, c.off - at)))
				return err;
			break;
		case S_BODY_EOF:
			d = ec_cur_left(&c);
			ec_cur_bytes(&c, d, &l);
			if ((err = body(h, l, d)))
				return err;
			break;
		case S_DONE:
			break;
		}
	}
	return (long)c.off;
}

int ec_http1_finish(struct ec_http1 *h)
{
	if (h->st == S_BODY_EOF) {
		h->msg.flags |= EC_HTTP1_EOF_BODY;
		finish_msg(h);
		return 1;
	}
	return h->st == S_DONE;
}

const struct ec_http1_msg *ec_http1_message(struct ec_http1 *h)
{
	/* an incomplete message: what is known so far */
	if (h->st != S_DONE && !h->borrowed) {
		h->msg.data = h->buf;
		h->msg.len = h->len;
		h->msg.part = h->parts ? h->parts + 1 : 0; /* as the last part */
		h->msg.more = 0;
	}
	return &h->msg;
}

int ec_http1_inflate(const uint8_t *in, size_t n, int gzip, size_t max, uint8_t **out,
		     size_t *outlen)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	/* 15+32: zlib or gzip header detected; raw deflate is tried after */
	for (int attempt = 0; attempt < 2; attempt++) {
		int wbits = attempt == 0 ? 15 + 32 : -15;
		if (attempt == 1 && gzip)
			break;
		memset(&z, 0, sizeof z);
		if (inflateInit2(&z, wbits) != Z_OK)
			return EC_ERR_NOMEM;
		size_t cap = n * 4 + 256 < max ? n * 4 + 256 : max;
		uint8_t *o = malloc(cap ? cap : 1);
		if (!o) {
			inflateEnd(&z);
			return EC_ERR_NOMEM;
		}
		z.next_in = (uint8_t *)in;
		z.avail_in = (uInt)n;
		size_t len = 0;
		int rc;
		for (;;) {
			if (len == cap) {
				if (cap >= max) {
					free(o);
					inflateEnd(&z);
					return EC_ERR_TOOBIG;
				}
				size_t nc = cap * 2 < max ? cap * 2 : max;
				uint8_t *no = realloc(o, nc);
				if (!no) {
					free(o);
					inflateEnd(&z);
					return EC_ERR_NOMEM;
				}
				o = no;
				cap = nc;
			}
			z.next_out = o + len;
			z.avail_out = (uInt)(cap - len);
			rc = inflate(&z, Z_NO_FLUSH);
			len = cap - z.avail_out;
			if (rc == Z_STREAM_END)
				break;
			if (rc != Z_OK && !(rc == Z_BUF_ERROR && z.avail_out == 0))
				break;
			if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0)
				break; /* input ended inside the stream */
		}
		inflateEnd(&z);
		if (rc == Z_STREAM_END) {
			*out = o;
			*outlen = len;
			return 0;
		}
		free(o);
	}
	return EC_ERR_PROTO;
}

/* ---- the decoder ec-parse drives (lib/proto/parse.h) ---- */

#define REQQ 32	       /* requests awaiting their response */
#define REQ_HOLD 0x100 /* in the queue: the request direction waits on this answer */

/* A request awaiting its response: what the response parser must know,
 * and the exchange its response records name. */
struct pending {
	unsigned f; /* EC_HTTP1_REQ_*, REQ_HOLD */
	struct ec_parse_exchange *x;
};

struct h1conn {
	struct ec_http1 *h[2];
	struct pending reqq[REQQ]; /* requests in order (pipelining) */
	unsigned qhead, qlen;
	/* per direction: the time of the last byte consumed, and the request
	 * in progress once a response had to name it (100-continue, an early
	 * answer) */
	int64_t last_ts[2];
	struct ec_parse_exchange cur[2];
	int early[2]; /* the request in progress was answered already: not queued */
};

static void reqq_push(struct h1conn *hc, unsigned f, struct ec_parse_exchange *x)
{
	if (hc->qlen == REQQ) {
		ec_parse_exchange_clear(hc->reqq[hc->qhead].x);
		free(hc->reqq[hc->qhead].x);
		hc->qhead = (hc->qhead + 1) % REQQ;
		hc->qlen--;
	}
	hc->reqq[(hc->qhead + hc->qlen) % REQQ] = (struct pending){f, x};
	hc->qlen++;
}

static unsigned reqq_peek(const struct h1conn *hc)
{
	return hc->qlen ? hc->reqq[hc->qhead].f : 0;
}

static void reqq_pop(struct h1conn *hc)
{
	if (hc->qlen) {
		ec_parse_exchange_clear(hc->reqq[hc->qhead].x);
		free(hc->reqq[hc->qhead].x);
		hc->qhead = (hc->qhead + 1) % REQQ;
		hc->qlen--;
	}
}

/*
 * The request a response of direction d answers: the oldest one waiting,
 * else the one the other direction is still sending (a 100 Continue, an
 * early error), else NULL (the capture began after it).
 */
static const struct ec_parse_exchange *answered(struct ec_parse_dir *d, struct h1conn *hc)
{
	if (hc->qlen)
		return hc->reqq[hc->qhead].x;
	int pi = d->peer->di;
	struct ec_http1 *ph = hc->h[pi];
	if (!ph || !ec_http1_busy(ph))
		return NULL;
	const struct ec_http1_msg *req = ec_http1_message(ph);
	if (req->kind != EC_HTTP1_REQUEST || !req->head_len)
		return NULL;
	struct ec_parse_exchange *x = &hc->cur[pi];
	ec_parse_exchange_set(d->peer, x, req->data, req->head_len);
	x->req_end = hc->last_ts[pi];
	return x;
}

/* The exchange a request of direction d starts or goes on with (its parts, its end). */
static struct ec_parse_exchange *request_exchange(struct ec_parse_dir *d, struct h1conn *hc,
						  const struct ec_http1_msg *msg)
{
	struct ec_parse_exchange *x = &hc->cur[d->di];
	if (!x->method && msg->head_len)
		ec_parse_exchange_set(d, x, msg->data, msg->head_len);
	else if (!x->id)
		x->id = ec_parse_exchange_id(d);
	x->req_end = hc->last_ts[d->di];
	return x;
}

/*
 * msg out as one Event. A request names its exchange; a response the
 * request it answers, and when it is complete (ended: the message's end,
 * or given up) the time of its last byte.
 */
static void emit(struct ec_parse_dir *d, struct h1conn *hc, const struct ec_http1_msg *msg,
		 const char *why, int ended)
{
	char note[200] = "", tmp[96];
	const uint8_t *body = msg->data + msg->head_len;
	size_t blen = msg->len - msg->head_len;
	uint8_t *dec = NULL;
	struct ec_parse_out o = {.type = msg->kind == EC_HTTP1_REQUEST ? 1 : 3, .m = d->start};
	o.part = msg->part;
	o.more = msg->more;
	if (msg->kind == EC_HTTP1_REQUEST) {
		o.exchange_id = request_exchange(d, hc, msg)->id;
	} else {
		o.answers = answered(d, hc);
		o.status = (uint32_t)msg->status;
		if (ended)
			o.end_ts = hc->last_ts[d->di];
	}

	if (msg->flags & EC_HTTP1_DECHUNKED)
		ec_parse_note(note, sizeof note, "dechunked");
	if (why)
		ec_parse_note(note, sizeof note, why);
	ec_parse_part_notes(d, note, sizeof note, msg->part, msg->more, msg->trailer_len,
			    msg->encoding);
	if (msg->flags & EC_HTTP1_CUT) {
		snprintf(tmp, sizeof tmp, "body cut at %llu of %llu bytes",
			 (unsigned long long)msg->kept, (unsigned long long)msg->body_len);
		ec_parse_note(note, sizeof note, tmp);
		o.truncated = 1;
		o.orig_length = msg->head_len + msg->body_len;
		if (!msg->more)
			ec_parse_cut(d, "an HTTP/1 body");
	} else if (d->o->decode_body && blen && msg->encoding[0] && !msg->part) {
		int gz = !strcmp(msg->encoding, "gzip") || !strcmp(msg->encoding, "x-gzip");
		if (gz || !strcmp(msg->encoding, "deflate")) {
			size_t dl = 0;
			int rc = ec_http1_inflate(body, blen, gz, d->o->max_body, &dec, &dl);
			if (rc == 0) {
				snprintf(tmp, sizeof tmp, "decoded %s", gz ? "gzip" : "deflate");
				body = dec;
				blen = dl;
				o.decoded = 1;
			} else if (rc == EC_ERR_TOOBIG) {
				snprintf(tmp, sizeof tmp, "body not decoded: over %zu bytes",
					 d->o->max_body);
			} else {
				snprintf(tmp, sizeof tmp, "body not decoded: invalid %s data",
					 msg->encoding);
			}
			ec_parse_note(note, sizeof note, tmp);
		}
	}
	if (msg->flags & EC_HTTP1_EOF_BODY)
		ec_parse_note(note, sizeof note, "body ended by the connection's end");
	if ((msg->flags & EC_HTTP1_TRAILERS) && !msg->part)
		ec_parse_note(note, sizeof note, "trailers");
	o.a = msg->data;
	o.an = msg->head_len;
	o.b = body;
	o.bn = blen;
	if (!dec) {
		/* head and body are one buffer already */
		o.an = msg->len;
		o.b = NULL;
		o.bn = 0;
	}
	o.note = note;
	ec_parse_emit(d, &o);
	free(dec);
}

/* A message is complete: emit it and follow what it means for the connection. */
static void done(struct ec_parse_dir *d, struct h1conn *hc)
{
	struct ec_http1 *h = hc->h[d->di];
	const struct ec_http1_msg *msg = ec_http1_message(h);
	unsigned flags = msg->flags;
	emit(d, hc, msg, NULL, 1);
	if (msg->kind == EC_HTTP1_REQUEST) {
		unsigned f = 0;
		if (!strcmp(msg->method, "HEAD"))
			f |= EC_HTTP1_REQ_HEAD;
		if (!strcmp(msg->method, "CONNECT"))
			f |= EC_HTTP1_REQ_CONNECT;
		if ((f & EC_HTTP1_REQ_CONNECT) || (flags & EC_HTTP1_UPGRADE_WS)) {
			/* what follows depends on this request's answer */
			d->hold = 1;
			f |= REQ_HOLD;
		}
		if (hc->early[d->di]) {
			/* answered before it ended (an early error): nothing waits */
			hc->early[d->di] = 0;
			ec_parse_exchange_clear(&hc->cur[d->di]);
			ec_http1_reset(h);
			return;
		}
		/* the exchange moves to the queue; the next request starts afresh */
		struct ec_parse_exchange *x = ec_xmalloc(sizeof *x);
		*x = hc->cur[d->di];
		memset(&hc->cur[d->di], 0, sizeof hc->cur[d->di]);
		reqq_push(hc, f, x);
		ec_http1_reset(h);
		return;
	}
	ec_http1_reset(h);
	if (flags & EC_HTTP1_INFO)
		return;
	unsigned was = reqq_peek(hc);
	const struct ec_parse_exchange *x = answered(d, hc);
	if (flags & EC_HTTP1_TUNNEL) {
		/* a WebSocket's messages name the exchange that upgraded it */
		if (flags & EC_HTTP1_UPGRADE_WS)
			d->exchange = d->peer->exchange = x ? x->id : 0;
		ec_parse_switch(d, (flags & EC_HTTP1_UPGRADE_WS) ? &ec_ws_proto : &ec_parse_tunnel);
	}
	if (hc->qlen)
		reqq_pop(hc);
	else if (x) /* it answered the request in progress, which waits on nothing now */
		hc->early[d->peer->di] = 1;
	/* the held direction goes on once the request it waits on is answered */
	if (d->peer->hold && ((was & REQ_HOLD) || d->proto != &ec_http1_proto))
		ec_parse_release(d->peer);
}

static size_t consume(struct ec_parse_dir *d, void *st, const struct ec_parse_src *s, size_t off)
{
	struct h1conn *hc = st;
	if (!hc->h[d->di] && !(hc->h[d->di] = ec_http1_new(d->o->max_body)))
		ec_die(1, "out of memory");
	struct ec_http1 *h = hc->h[d->di];
	while (off < s->n && d->proto == &ec_http1_proto && !d->hold && !ec_parse_failed(d)) {
		if (d->desync) {
			size_t k = ec_http1_find_start(s->p + off, s->n - off);
			if (k)
				ec_parse_untyped(d, ec_parse_mark(s, off), s->p + off, k, NULL, 0,
						 1, "not at an HTTP/1 message start");
			off += k;
			if (off == s->n)
				break;
			d->desync = 0;
		}
		int was_busy = ec_http1_busy(h);
		long k = ec_http1_feed(h, s->p + off, s->n - off, reqq_peek(hc));
		if (k == EC_ERR_NOMEM)
			ec_die(1, "out of memory");
		if (k < 0) {
			/* lost sync: what is known, then the bytes up to a message start */
			const struct ec_http1_msg *msg = ec_http1_message(h);
			size_t skip = 1 + ec_http1_find_start(s->p + off + 1, s->n - off - 1);
			char note[160];
			snprintf(note, sizeof note, "HTTP/1: %s", ec_http1_error(h));
			ec_parse_untyped(d, was_busy ? d->start : ec_parse_mark(s, off), msg->data,
					 was_busy ? msg->len : 0, s->p + off, skip, 1, note);
			ec_http1_reset(h);
			off += skip;
			if (off == s->n)
				d->desync = 1;
			continue;
		}
		if ((!was_busy && (k > 0 || ec_http1_done(h))) || (d->mark_next && k > 0)) {
			d->start = ec_parse_mark(s, off);
			d->mark_next = 0;
		}
		if (k > 0)
			hc->last_ts[d->di] = ec_parse_mark(s, off + (size_t)k - 1).ts;
		off += (size_t)k;
		if (ec_http1_done(h)) {
			done(d, hc);
			continue;
		}
		if (k == 0)
			break;
	}
	return off;
}

static void conn_release(void *st)
{
	struct h1conn *hc = st;
	ec_http1_free(hc->h[0]);
	ec_http1_free(hc->h[1]);
	while (hc->qlen)
		reqq_pop(hc);
	ec_parse_exchange_clear(&hc->cur[0]);
	ec_parse_exchange_clear(&hc->cur[1]);
}

static int busy(const void *st, int di)
{
	const struct h1conn *hc = st;
	return hc->h[di] && ec_http1_busy(hc->h[di]);
}

static void reset(void *st, int di)
{
	struct h1conn *hc = st;
	if (hc->h[di])
		ec_http1_reset(hc->h[di]);
}

static int give_up(struct ec_parse_dir *d, void *st, const char *note, int desync,
		   const uint8_t **held, size_t *held_len)
{
	struct h1conn *hc = st;
	(void)desync;
	if (!busy(hc, d->di))
		return 0;
	const struct ec_http1_msg *msg = ec_http1_message(hc->h[d->di]);
	if (msg->part) {
		/* sent in parts: what is left is its last part, typed, with the reason */
		emit(d, hc, msg, note, 1);
		return 1;
	}
	*held = msg->data;
	*held_len = msg->len;
	return 2;
}

static int finish(struct ec_parse_dir *d, void *st)
{
	struct h1conn *hc = st;
	if (!busy(hc, d->di) || !ec_http1_finish(hc->h[d->di]))
		return 0;
	emit(d, hc, ec_http1_message(hc->h[d->di]), NULL, 1);
	ec_http1_reset(hc->h[d->di]);
	return 1;
}

static void take_part(struct ec_parse_dir *d, void *st)
{
	struct h1conn *hc = st;
	struct ec_http1_msg part;
	if (hc->h[d->di] && !d->hold && ec_http1_take_part(hc->h[d->di], &part)) {
		emit(d, hc, &part, NULL, 0);
		d->mark_next = 1;
	}
}

static int detect(const struct ec_parse_dir *d, const uint8_t *p, size_t n)
{
	(void)d;
	return ec_http1_looks_like(p, n);
}

const struct ec_parse_proto ec_http1_proto = {
    .name = "http1",
    .detect = detect,
    .conn_size = sizeof(struct h1conn),
    .conn_release = conn_release,
    .consume = consume,
    .busy = busy,
    .reset = reset,
    .give_up = give_up,
    .finish = finish,
    .take_part = take_part,
};
