// SPDX-License-Identifier: GPL-2.0-only
#include "text.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ec_text_reset(struct ec_text *t, size_t lim)
{
	t->len = t->want = 0;
	t->lim = lim;
	/* a big rendering's memory is not kept for the next small one */
	if (t->cap > 65536) {
		free(t->p);
		t->p = NULL;
		t->cap = 0;
	}
}

void ec_text_put(struct ec_text *t, const void *s, size_t n)
{
	size_t room = t->len < t->lim ? t->lim - t->len : 0, k = n < room ? n : room;
	t->want += n;
	if (!k)
		return;
	if (t->len + k + 1 > t->cap) {
		size_t nc = t->cap ? t->cap : 256;
		while (nc < t->len + k + 1)
			nc *= 2;
		t->p = ec_xrealloc(t->p, nc);
		t->cap = nc;
	}
	memcpy(t->p + t->len, s, k);
	t->len += k;
	t->p[t->len] = 0;
}

void ec_text_str(struct ec_text *t, const char *s)
{
	ec_text_put(t, s, strlen(s));
}

void ec_text_fmt(struct ec_text *t, const char *fmt, ...)
{
	char b[256];
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(b, sizeof b, fmt, ap);
	va_end(ap);
	if (k > 0)
		ec_text_put(t, b, (size_t)k < sizeof b ? (size_t)k : sizeof b - 1);
}

int ec_text_cut(const struct ec_text *t)
{
	return t->want > t->len;
}

const char *ec_text_get(const struct ec_text *t)
{
	return t->len ? t->p : "";
}

void ec_text_free(struct ec_text *t)
{
	free(t->p);
	memset(t, 0, sizeof *t);
}
