/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A bounded text buffer for decoders' renderings (lib/proto/redis.c,
 * mysql.c): what does not fit in lim bytes is counted, not kept, so a
 * message's text is cut where --max-body says and the record says so.
 */
#ifndef EC_TEXT_H
#define EC_TEXT_H

#include <stddef.h>

struct ec_text {
	char *p;	 /* NUL-terminated; NULL before the first byte */
	size_t len, cap; /* kept, allocated */
	size_t lim;	 /* at most this many bytes kept */
	size_t want;	 /* bytes written, kept or not */
};

/* Empty it, keeping at most lim bytes from now on. */
void ec_text_reset(struct ec_text *t, size_t lim);
void ec_text_put(struct ec_text *t, const void *s, size_t n);
void ec_text_str(struct ec_text *t, const char *s);
void ec_text_fmt(struct ec_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Some bytes did not fit. */
int ec_text_cut(const struct ec_text *t);
/* The text ("" when empty). */
const char *ec_text_get(const struct ec_text *t);
void ec_text_free(struct ec_text *t);

#endif
