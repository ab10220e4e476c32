/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Test helper: an independent, strict pcapng block walker (host byte
 * order files, as lib/pcapng/pcapng writes them). Included by test_pcapng.c and
 * test_synth.c; every check is a cmocka assertion.
 */
#ifndef EC_TEST_PCAPNG_WALK_H
#define EC_TEST_PCAPNG_WALK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct blk {
	uint32_t type, len;
	const uint8_t *body; /* after type and length */
	size_t blen;	     /* len - 12 */
};

static inline uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static inline uint16_t rd16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

/* Whole contents of fd from offset 0. */
static inline uint8_t *slurp(int fd, size_t *n)
{
	off_t end = lseek(fd, 0, SEEK_END);
	assert_true(end >= 0);
	uint8_t *b = malloc((size_t)end + 1);
	assert_non_null(b);
	assert_int_equal(pread(fd, b, (size_t)end, 0), end);
	*n = (size_t)end;
	return b;
}

/* Split a file into blocks; checks lengths, alignment and trailers. */
static inline size_t walk(const uint8_t *b, size_t n, struct blk *out, size_t max)
{
	size_t off = 0, k = 0;
	while (off < n) {
		assert_true(n - off >= 12);
		uint32_t type = rd32(b + off), len = rd32(b + off + 4);
		assert_true(len >= 12 && len % 4 == 0 && len <= n - off);
		assert_int_equal(rd32(b + off + len - 4), len);
		assert_true(k < max);
		out[k++] = (struct blk){type, len, b + off + 8, len - 12};
		off += len;
	}
	return k;
}

/*
 * Find option code in an options area; returns its value and length, NULL
 * if absent. Checks that the area ends with opt_endofopt.
 */
static inline const uint8_t *find_opt(const uint8_t *p, size_t n, uint16_t code, uint16_t *vlen)
{
	const uint8_t *found = NULL;
	size_t off = 0;
	for (;;) {
		assert_true(n - off >= 4);
		uint16_t c = rd16(p + off), l = rd16(p + off + 2);
		if (c == 0) {
			assert_int_equal(l, 0);
			break;
		}
		assert_true(n - off - 4 >= (size_t)((l + 3) & ~3));
		if (c == code && !found) {
			found = p + off + 4;
			*vlen = l;
		}
		off += 4 + ((l + 3u) & ~3u);
	}
	return found;
}

/* An EPB's fields; opts/nopts is its options area (may be empty). */
struct epb {
	uint32_t ifid, caplen, origlen;
	uint64_t ts;
	const uint8_t *data;
	const uint8_t *opts;
	size_t nopts;
};

static inline struct epb epb_of(const struct blk *k)
{
	struct epb e;
	assert_int_equal(k->type, 6);
	assert_true(k->blen >= 20);
	e.ifid = rd32(k->body);
	e.ts = (uint64_t)rd32(k->body + 4) << 32 | rd32(k->body + 8);
	e.caplen = rd32(k->body + 12);
	e.origlen = rd32(k->body + 16);
	assert_true(e.caplen <= e.origlen);
	size_t padded = (e.caplen + 3u) & ~3u;
	assert_true(20 + padded <= k->blen);
	e.data = k->body + 20;
	e.opts = k->body + 20 + padded;
	e.nopts = k->blen - 20 - padded;
	return e;
}

/* The EPB's opt_comment as a NUL-terminated copy in buf ("" if none). */
static inline const char *epb_comment(const struct epb *e, char *buf, size_t len)
{
	uint16_t n;
	const uint8_t *v = e->nopts ? find_opt(e->opts, e->nopts, 1, &n) : NULL;
	if (!v)
		n = 0;
	assert_true(n < len);
	memcpy(buf, v ? v : (const uint8_t *)"", n);
	buf[n] = 0;
	return buf;
}

#endif
