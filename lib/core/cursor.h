/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A bounds-checked read cursor, tcpdump's extract.h idea: every parser in
 * lib/ (http1, http2, ws) reads input bytes only through these helpers, so
 * a short or hostile buffer is reported (EC_ERR_TRUNCATED), never overread.
 *
 *	struct ec_cur c;
 *	ec_cur_init(&c, p, n);
 *	uint32_t len;
 *	if (ec_cur_be24(&c, &len)) return need_more;
 *
 * Every reader either advances the cursor and returns 0, or leaves it where
 * it was and returns EC_ERR_TRUNCATED.
 */
#ifndef EC_CURSOR_H
#define EC_CURSOR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "error.h"

struct ec_cur {
	const uint8_t *p; /* first byte */
	size_t len;	  /* bytes available from p */
	size_t off;	  /* read position, always <= len */
};

static inline void ec_cur_init(struct ec_cur *c, const uint8_t *p, size_t len)
{
	c->p = p;
	c->len = p ? len : 0;
	c->off = 0;
}

/* Bytes left to read. */
static inline size_t ec_cur_left(const struct ec_cur *c)
{
	return c->len - c->off;
}

/* Nonzero when n more bytes can be read. */
#define EC_CUR_HAVE(c, n) (ec_cur_left(c) >= (size_t)(n))

/* Pointer to the current position (valid for ec_cur_left bytes). */
static inline const uint8_t *ec_cur_ptr(const struct ec_cur *c)
{
	return c->p + c->off;
}

static inline int ec_cur_skip(struct ec_cur *c, size_t n)
{
	if (!EC_CUR_HAVE(c, n))
		return EC_ERR_TRUNCATED;
	c->off += n;
	return 0;
}

/* Hand out n bytes in place and advance past them. */
static inline int ec_cur_bytes(struct ec_cur *c, size_t n, const uint8_t **out)
{
	if (!EC_CUR_HAVE(c, n))
		return EC_ERR_TRUNCATED;
	*out = c->p + c->off;
	c->off += n;
	return 0;
}

/* Look at the byte i positions ahead without moving. */
static inline int ec_cur_peek(const struct ec_cur *c, size_t i, uint8_t *v)
{
	if (!EC_CUR_HAVE(c, i + 1))
		return EC_ERR_TRUNCATED;
	*v = c->p[c->off + i];
	return 0;
}

static inline int ec_cur_u8(struct ec_cur *c, uint8_t *v)
{
	if (!EC_CUR_HAVE(c, 1))
		return EC_ERR_TRUNCATED;
	*v = c->p[c->off++];
	return 0;
}

static inline int ec_cur_be16(struct ec_cur *c, uint16_t *v)
{
	if (!EC_CUR_HAVE(c, 2))
		return EC_ERR_TRUNCATED;
	const uint8_t *q = c->p + c->off;
	*v = (uint16_t)(q[0] << 8 | q[1]);
	c->off += 2;
	return 0;
}

static inline int ec_cur_be24(struct ec_cur *c, uint32_t *v)
{
	if (!EC_CUR_HAVE(c, 3))
		return EC_ERR_TRUNCATED;
	const uint8_t *q = c->p + c->off;
	*v = (uint32_t)q[0] << 16 | (uint32_t)q[1] << 8 | q[2];
	c->off += 3;
	return 0;
}

static inline int ec_cur_be32(struct ec_cur *c, uint32_t *v)
{
	if (!EC_CUR_HAVE(c, 4))
		return EC_ERR_TRUNCATED;
	const uint8_t *q = c->p + c->off;
	*v = (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3];
	c->off += 4;
	return 0;
}

static inline int ec_cur_be64(struct ec_cur *c, uint64_t *v)
{
	if (!EC_CUR_HAVE(c, 8))
		return EC_ERR_TRUNCATED;
	uint64_t x = 0;
	for (int i = 0; i < 8; i++)
		x = x << 8 | c->p[c->off + (size_t)i];
	*v = x;
	c->off += 8;
	return 0;
}

/*
 * Find byte b at or after the current position: its distance from the
 * position in *dist. The cursor does not move.
 */
static inline int ec_cur_find(const struct ec_cur *c, uint8_t b, size_t *dist)
{
	const uint8_t *q = memchr(c->p + c->off, b, ec_cur_left(c));
	if (!q)
		return EC_ERR_TRUNCATED;
	*dist = (size_t)(q - (c->p + c->off));
	return 0;
}

/*
 * One line ending in LF (CRLF or a bare LF). *line and *n give the line
 * without its ending; the cursor moves past the ending.
 */
static inline int ec_cur_line(struct ec_cur *c, const uint8_t **line, size_t *n)
{
	size_t d;
	if (ec_cur_find(c, '\n', &d))
		return EC_ERR_TRUNCATED;
	*line = c->p + c->off;
	*n = d && (*line)[d - 1] == '\r' ? d - 1 : d;
	c->off += d + 1;
	return 0;
}

#endif
