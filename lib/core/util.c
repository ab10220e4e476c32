// SPDX-License-Identifier: GPL-2.0-only
#include "util.h"
#include "error.h"
#include "utf8.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *argv0 = "ec";

void ec_init(const char *prog)
{
	const char *s = strrchr(prog, '/');
	argv0 = s ? s + 1 : prog;
	signal(SIGPIPE, SIG_IGN);
}

const char *ec_optarg_optional(int argc, char **argv)
{
	if (optarg)
		return optarg;
	if (optind < argc && argv[optind][0] != '-')
		return argv[optind++];
	return NULL;
}

/* Messages quote captured bytes (paths, names, URLs): never a control sequence. */
static void vwarn(const char *fmt, va_list ap)
{
	char buf[4096];
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof buf)
		n = sizeof buf - 1;
	fprintf(stderr, "%s: ", argv0);
	ec_utf8_escape(stderr, (const uint8_t *)buf, (size_t)n, EC_UTF8_ESC_PAYLOAD);
	fputc('\n', stderr);
}

void ec_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
}

void ec_die(int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	exit(status);
}

void *ec_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		ec_die(1, "out of memory (%zu bytes)", n);
	return p;
}

void *ec_xcalloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);
	if (!p)
		ec_die(1, "out of memory (%zu x %zu bytes)", n, m);
	return p;
}

void *ec_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		ec_die(1, "out of memory (%zu bytes)", n);
	return p;
}

char *ec_xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		ec_die(1, "out of memory");
	return p;
}

void ec_version(void)
{
	printf("%s %s\n", argv0, EC_VERSION);
	exit(0);
}

int ec_util_parse_size(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	if (!s || *s < '0' || *s > '9')
		return EC_ERR_INVAL;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return EC_ERR_INVAL;
	int shift = 0;
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		end++;
		break;
	case 'm':
	case 'M':
		shift = 20;
		end++;
		break;
	case 'g':
	case 'G':
		shift = 30;
		end++;
		break;
	}
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return EC_ERR_INVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

int ec_util_parse_int(const char *s, long long min, long long max, long long *out)
{
	char *end;
	errno = 0;
	if (!s || !*s)
		return EC_ERR_INVAL;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return EC_ERR_INVAL;
	*out = v;
	return 0;
}

size_t ec_base64(const uint8_t *in, size_t n, char *out)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0, i = 0;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = tab[(v >> 6) & 63];
		out[o++] = tab[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	out[o] = 0;
	return o;
}

/* Shared scan: ASCII bytes are checked by ok_ascii, others as UTF-8. */
static int scan(const uint8_t *p, size_t n, int text)
{
	const uint64_t hi = 0x8080808080808080ull, ones = 0x0101010101010101ull;
	size_t i = 0;
	while (i < n) {
		/* fast path: runs of 8 plain printable ASCII bytes */
		while (n - i >= 8) {
			uint64_t w, del;
			memcpy(&w, p + i, 8);
			del = w ^ (0x7f * ones);
			if ((w & hi) | ((w - 0x20 * ones) & ~w & hi) | ((del - ones) & ~del & hi))
				break;
			i += 8;
		}
		if (i >= n)
			break;
		uint8_t c = p[i];
		if (c < 0x80) {
			if (c == 0 || (text && ((c < 0x20 && c != '\n' && c != '\r' && c != '\t') ||
						c == 0x7f)))
				return 0;
			i++;
			continue;
		}
		int ok;
		i += ec_utf8_next(p + i, n - i, &ok);
		if (!ok)
			return 0;
	}
	return 1;
}

int ec_is_utf8(const uint8_t *p, size_t n)
{
	return scan(p, n, 0);
}

int ec_is_text(const uint8_t *p, size_t n)
{
	return scan(p, n, 1);
}

/* One hexdump -C line for up to 16 bytes at p; returns its length. */
static size_t hexline(char *o, size_t off, const uint8_t *p, size_t k)
{
	static const char hx[] = "0123456789abcdef";
	static char pair[256][2], shown[256];
	if (!shown[0]) { /* tables built once: two hex digits and the printable form */
		for (int c = 0; c < 256; c++) {
			pair[c][0] = hx[c >> 4];
			pair[c][1] = hx[c & 15];
			shown[c] = (c >= 0x20 && c < 0x7f) ? (char)c : '.';
		}
	}
	/* fixed layout: offset, two groups of 8 hex bytes, then |ascii| */
	memset(o, ' ', 60);
	for (int s = 7; s >= 0; s--, off >>= 4)
		o[s] = hx[off & 15];
	for (size_t j = 0; j < k; j++)
		memcpy(o + 10 + 3 * j + (j >= 8), pair[p[j]], 2);
	char *a = o + 60;
	*a++ = '|';
	for (size_t j = 0; j < k; j++)
		*a++ = shown[p[j]];
	*a++ = '|';
	*a++ = '\n';
	return (size_t)(a - o);
}

void ec_hexdump(FILE *f, const uint8_t *p, size_t n)
{
	/* built by hand and written in blocks: snprintf per byte was 20x slower than cat */
	char buf[64 * 80];
	size_t len = 0;
	for (size_t off = 0; off < n; off += 16) {
		len += hexline(buf + len, off, p + off, n - off < 16 ? n - off : 16);
		if (len > sizeof buf - 80) {
			fwrite_unlocked(buf, 1, len, f);
			len = 0;
		}
	}
	fwrite_unlocked(buf, 1, len, f);
}

int64_t ec_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t ec_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

uint64_t ec_fnv1a(uint64_t h, const void *p, size_t n)
{
	const uint8_t *q = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ q[i]) * 0x100000001b3ull;
	return h;
}

char *ec_fmt_time(int64_t ns, char *buf, size_t len)
{
	time_t s = (time_t)(ns / 1000000000);
	long frac = (long)(ns % 1000000000);
	if (frac < 0) {
		frac += 1000000000;
		s--;
	}
	struct tm tm;
	gmtime_r(&s, &tm);
	size_t o = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + o, len - o, ".%09ldZ", frac);
	return buf;
}

char *ec_util_read_token(const char *opt, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		ec_warn("%s %s: %s", opt, path, strerror(errno));
		return NULL;
	}
	char buf[4097];
	size_t n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	if (n == sizeof buf) {
		ec_warn("%s %s: over 4096 bytes; a token is one line", opt, path);
		return NULL;
	}
	if (n && buf[n - 1] == '\n')
		n--;
	if (n && buf[n - 1] == '\r')
		n--;
	if (!n) {
		ec_warn("%s %s: empty; write the secret in it, on one line", opt, path);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)buf[i] < 0x21 || (unsigned char)buf[i] > 0x7e) {
			ec_warn("%s %s: byte %zu is 0x%02x; a token is one line of visible ASCII "
				"(no spaces)",
				opt, path, i, (unsigned char)buf[i]);
			return NULL;
		}
	buf[n] = 0;
	return ec_xstrdup(buf);
}
