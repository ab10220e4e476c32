#include "ws.h"
#include "cursor.h"
#include "error.h"

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
