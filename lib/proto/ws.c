// SPDX-License-Identifier: GPL-2.0-only
#include "ws.h"
#include "cursor.h"
#include "error.h"
#include "parse.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ec_ws {
	size_t max;
	int in_payload, done;
	uint64_t left, pos; /* payload bytes left; position (for the mask) */
	uint8_t mask[4];
	uint8_t *buf;
	size_t len, cap;
	struct ec_ws_msg msg;
	char err[96];
};

struct ec_ws *ec_ws_new(size_t max_payload)
{
	struct ec_ws *w = calloc(1, sizeof *w);
	if (w)
		w->max = max_payload;
	return w;
}

void ec_ws_free(struct ec_ws *w)
{
	if (!w)
		return;
	free(w->buf);
	free(w);
}

void ec_ws_reset(struct ec_ws *w)
{
	w->in_payload = w->done = 0;
	w->left = w->pos = 0;
	w->len = 0;
	memset(&w->msg, 0, sizeof w->msg);
	if (w->cap > 4096) {
		free(w->buf);
		w->buf = NULL;
		w->cap = 0;
	}
}

int ec_ws_done(const struct ec_ws *w)
{
	return w->done;
}

int ec_ws_busy(const struct ec_ws *w)
{
	return w->in_payload || w->done;
}

const char *ec_ws_error(const struct ec_ws *w)
{
	return w->err;
}

const struct ec_ws_msg *ec_ws_message(struct ec_ws *w)
{
	w->msg.data = w->buf;
	w->msg.len = w->len;
	return &w->msg;
}

/* Decode a frame header: 1 and its fields, 0 incomplete, or an error. */
static int header(struct ec_cur *c, struct ec_ws_msg *m, uint64_t *len, uint8_t mask[4],
		  const char **why)
{
	uint8_t b0, b1;
	if (ec_cur_u8(c, &b0) || ec_cur_u8(c, &b1))
		return 0;
	m->fin = !!(b0 & 0x80);
	m->opcode = b0 & 0x0f;
	m->masked = !!(b1 & 0x80);
	m->flags = (b0 & 0x40) ? EC_WS_COMPRESSED : 0;
	if (b0 & 0x30) {
		*why = "reserved bits RSV2/RSV3 set";
		return EC_ERR_PROTO;
	}
	if ((m->opcode > 2 && m->opcode < 8) || m->opcode > 10) {
		*why = "reserved opcode";
		return EC_ERR_PROTO;
	}
	uint64_t l = b1 & 0x7f;
	if (l == 126) {
		uint16_t v;
		if (ec_cur_be16(c, &v))
			return 0;
		l = v;
	} else if (l == 127) {
		if (ec_cur_be64(c, &l))
			return 0;
		if (l >> 63) {
			*why = "64-bit length with the top bit set";
			return EC_ERR_PROTO;
		}
	}
	if (m->opcode >= 8 && (l > 125 || !m->fin)) {
		*why = "control frame longer than 125 bytes or fragmented";
		return EC_ERR_PROTO;
	}
	if (m->masked) {
		const uint8_t *k;
		if (ec_cur_bytes(c, 4, &k))
			return 0;
		memcpy(mask, k, 4);
	}
	*len = l;
	return 1;
}

int ec_ws_plausible(const uint8_t *p, size_t n)
{
	struct ec_cur c;
	struct ec_ws_msg m;
	uint64_t len;
	uint8_t mask[4];
	const char *why;
	ec_cur_init(&c, p, n);
	int rc = header(&c, &m, &len, mask, &why);
	return rc == 1 ? 1 : rc == 0 ? -1 : 0;
}

long ec_ws_feed(struct ec_ws *w, const uint8_t *p, size_t n)
{
	struct ec_cur c;
	ec_cur_init(&c, p, n);
	if (w->done)
		return 0;
	if (!w->in_payload) {
		const char *why = "";
		int rc = header(&c, &w->msg, &w->left, w->mask, &why);
		if (rc < 0) {
			snprintf(w->err, sizeof w->err, "WebSocket: %s", why);
			return rc;
		}
		if (rc == 0)
			return 0;
		w->in_payload = 1;
		w->pos = 0;
		w->len = 0;
		w->msg.payload_len = w->left;
	}
	size_t k = ec_cur_left(&c) < w->left ? ec_cur_left(&c) : (size_t)w->left;
	const uint8_t *d;
	ec_cur_bytes(&c, k, &d);
	size_t keep = w->len < w->max ? w->max - w->len : 0;
	if (k > keep)
		w->msg.flags |= EC_WS_CUT;
	keep = k < keep ? k : keep;
	if (w->len + keep > w->cap) {
		size_t nc = w->cap ? w->cap : 256;
		while (nc < w->len + keep)
			nc *= 2;
		uint8_t *nb = realloc(w->buf, nc);
		if (!nb)
			return EC_ERR_NOMEM;
		w->buf = nb;
		w->cap = nc;
	}
	for (size_t i = 0; i < keep; i++)
		w->buf[w->len + i] = w->msg.masked ? d[i] ^ w->mask[(w->pos + i) & 3] : d[i];
	w->len += keep;
	w->pos += k;
	w->left -= k;
	if (!w->left) {
		w->in_payload = 0;
		w->done = 1;
	}
	return (long)c.off;
}

/* ---- the decoder ec-parse drives (lib/proto/parse.h) ---- */

struct wsconn {
	struct ec_ws *w[2];
};

static void emit(struct ec_parse_dir *d, struct ec_ws *w)
{
	const struct ec_ws_msg *msg = ec_ws_message(w);
	char note[160] = "", tmp[96];
	struct ec_parse_out o = {.type = 5,
				 .m = d->start,
				 .ws_opcode = msg->opcode,
				 .ws_fin = msg->fin,
				 .exchange_id = d->exchange};
	if (msg->flags & EC_WS_COMPRESSED)
		ec_parse_note(note, sizeof note, "compressed (permessage-deflate), not inflated");
	if (msg->flags & EC_WS_CUT) {
		snprintf(tmp, sizeof tmp, "payload cut at %zu of %llu bytes", msg->len,
			 (unsigned long long)msg->payload_len);
		ec_parse_note(note, sizeof note, tmp);
		o.truncated = 1;
		o.orig_length = msg->payload_len;
		ec_parse_cut(d, "a WebSocket payload");
	}
	o.a = msg->data;
	o.an = msg->len;
	o.note = note;
	/* an empty frame (a bare ping, an empty text) is still a frame */
	if (!o.an)
		o.a = (const uint8_t *)"";
	ec_parse_emit(d, &o);
	ec_ws_reset(w);
}

static size_t consume(struct ec_parse_dir *d, void *st, const struct ec_parse_src *s, size_t off)
{
	struct wsconn *wc = st;
	if (!wc->w[d->di] && !(wc->w[d->di] = ec_ws_new(d->o->max_body)))
		ec_die(1, "out of memory");
	struct ec_ws *w = wc->w[d->di];
	while (off < s->n && d->proto == &ec_ws_proto && !ec_parse_failed(d)) {
		if (d->desync) {
			int ok = ec_ws_plausible(s->p + off, s->n - off);
			if (ok < 0)
				break;
			if (!ok) {
				ec_parse_untyped(d, ec_parse_mark(s, off), s->p + off, s->n - off,
						 NULL, 0, 1, "WebSocket: not at a frame boundary");
				return s->n;
			}
			d->desync = 0;
		}
		int was_busy = ec_ws_busy(w);
		long k = ec_ws_feed(w, s->p + off, s->n - off);
		if (k == EC_ERR_NOMEM)
			ec_die(1, "out of memory");
		if (k < 0) {
			ec_parse_untyped(d, ec_parse_mark(s, off), s->p + off, s->n - off, NULL, 0,
					 1, ec_ws_error(w));
			ec_ws_reset(w);
			d->desync = 1;
			return s->n;
		}
		if (!was_busy && (k > 0 || ec_ws_done(w)))
			d->start = ec_parse_mark(s, off);
		off += (size_t)k;
		if (ec_ws_done(w)) {
			emit(d, w);
			continue;
		}
		if (k == 0)
			break;
	}
	return off;
}

static void conn_release(void *st)
{
	struct wsconn *wc = st;
	ec_ws_free(wc->w[0]);
	ec_ws_free(wc->w[1]);
}

static int busy(const void *st, int di)
{
	const struct wsconn *wc = st;
	return wc->w[di] && ec_ws_busy(wc->w[di]);
}

static void reset(void *st, int di)
{
	struct wsconn *wc = st;
	if (wc->w[di])
		ec_ws_reset(wc->w[di]);
}

static int give_up(struct ec_parse_dir *d, void *st, const char *note, int desync,
		   const uint8_t **held, size_t *held_len)
{
	(void)note;
	(void)desync;
	if (!busy(st, d->di))
		return 0;
	const struct ec_ws_msg *msg = ec_ws_message(((struct wsconn *)st)->w[d->di]);
	*held = msg->data;
	*held_len = msg->len;
	return 2;
}

const struct ec_parse_proto ec_ws_proto = {
    .name = "ws",
    .conn_size = sizeof(struct wsconn),
    .conn_release = conn_release,
    .consume = consume,
    .busy = busy,
    .reset = reset,
    .give_up = give_up,
};
