// SPDX-License-Identifier: GPL-2.0-only
#include "utf8.h"
#include "util.h"

#include <string.h>

size_t ec_utf8_next(const uint8_t *p, size_t n, int *ok)
{
	uint8_t c = p[0], lo = 0x80, hi = 0xbf;
	size_t need;
	if (c < 0x80) {
		*ok = 1;
		return 1;
	}
	/* the second byte's range narrows for E0, ED, F0, F4 (no overlongs, surrogates, > U+10FFFF)
	 */
	if (c >= 0xc2 && c <= 0xdf) {
		need = 1;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		*ok = 0;
		return 1;
	}
	for (size_t i = 1; i <= need; i++) {
		if (i >= n || p[i] < lo || p[i] > hi) {
			*ok = 0;
			return i;
		}
		lo = 0x80;
		hi = 0xbf;
	}
	*ok = 1;
	return need + 1;
}

#define ONES 0x0101010101010101ull
#define HIGH 0x8080808080808080ull

/* Nonzero when one of the 8 bytes of w is b. */
static uint64_t has_byte(uint64_t w, uint8_t b)
{
	uint64_t x = w ^ (b * ONES);
	return (x - ONES) & ~x & HIGH;
}

/*
 * Bytes from p that are printable ASCII (0x20-0x7e), 8 at a time where
 * possible; with quote set, '\\' and '"' end the run too.
 */
static size_t ascii_run(const uint8_t *p, size_t n, int quote)
{
	size_t i = 0;
	while (n - i >= 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		if ((w & HIGH) | ((w - 0x20 * ONES) & ~w & HIGH) | has_byte(w, 0x7f) ||
		    (quote && (has_byte(w, '\\') | has_byte(w, '"'))))
			break;
		i += 8;
	}
	while (i < n && p[i] >= 0x20 && p[i] < 0x7f && !(quote && (p[i] == '\\' || p[i] == '"')))
		i++;
	return i;
}

int ec_utf8_valid(const uint8_t *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		/* ASCII, control bytes included, 8 at a time: every record's strings pass here */
		for (uint64_t w; n - i >= 8 && (memcpy(&w, p + i, 8), !(w & HIGH));)
			i += 8;
		while (i < n && p[i] < 0x80)
			i++;
		if (i == n)
			break;
		int ok;
		i += ec_utf8_next(p + i, n - i, &ok);
		if (!ok)
			return 0;
	}
	return 1;
}

size_t ec_utf8_fix(const uint8_t *p, size_t n, char *out)
{
	size_t i = 0, o = 0;
	while (i < n) {
		int ok;
		size_t k = p[i] ? ec_utf8_next(p + i, n - i, &ok) : 1;
		if (p[i] && ok) {
			memcpy(out + o, p + i, k);
			o += k;
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
		}
		i += k;
	}
	out[o] = '\0';
	return o;
}

char *ec_utf8_fixdup(const uint8_t *p, size_t n)
{
	char *s = ec_xmalloc(3 * n + 1);
	ec_utf8_fix(p, n, s);
	return s;
}

/*
 * How many bytes at p are shown as they are (0 when p[0] must be escaped);
 * *seq is set to the length of the sequence at p either way. A CR passes
 * before a newline or at the end (a CRLF cut between two events).
 */
static size_t plain(const uint8_t *p, size_t n, unsigned flags, size_t *seq)
{
	uint8_t c = p[0];
	*seq = 1;
	if (c >= 0x80) {
		int ok;
		*seq = ec_utf8_next(p, n, &ok);
		/* C1 controls (U+0080-U+009F) are CSI, OSC... to some terminals */
		if (!ok || (c == 0xc2 && p[1] < 0xa0))
			return 0;
		return *seq;
	}
	if (flags & EC_UTF8_ESC_PAYLOAD) {
		if (c == '\n' || c == '\t' || (c == '\r' && (n == 1 || p[1] == '\n')))
			return 1;
	} else if (c == '\\' || c == '"') {
		return 0;
	}
	return c >= 0x20 && c < 0x7f;
}

void ec_utf8_escape(FILE *f, const uint8_t *p, size_t n, unsigned flags)
{
	static const char hx[] = "0123456789abcdef";
	size_t i = 0, start = 0, seq;
	while (i < n) {
		i += ascii_run(p + i, n - i, !(flags & EC_UTF8_ESC_PAYLOAD));
		if (i == n)
			break;
		if (plain(p + i, n - i, flags, &seq)) {
			i += seq;
			continue;
		}
		fwrite_unlocked(p + start, 1, i - start, f);
		for (size_t j = 0; j < seq; j++) {
			uint8_t c = p[i + j];
			if (c == '\\' || c == '"') {
				char e[2] = {'\\', (char)c};
				fwrite_unlocked(e, 1, 2, f);
			} else {
				char e[4] = {'\\', 'x', hx[c >> 4], hx[c & 15]};
				fwrite_unlocked(e, 1, 4, f);
			}
		}
		i += seq;
		start = i;
	}
	fwrite_unlocked(p + start, 1, n - start, f);
}
