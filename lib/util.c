#include "util.h"
#include "error.h"

#include <errno.h>
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

static void vwarn(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", argv0);
	vfprintf(stderr, fmt, ap);
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

int ec_parse_size(const char *s, uint64_t *out)
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

int ec_parse_int(const char *s, long long min, long long max, long long *out)
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

int ec_is_utf8(const uint8_t *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint8_t c = p[i];
		size_t k;
		uint32_t cp;
		if (c == 0)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			k = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			k = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			k = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (n - i <= k)
			return 0;
		for (size_t j = 1; j <= k; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + j] & 0x3f);
		}
		/* reject overlongs, surrogates and out of range */
		if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return 0;
		i += k + 1;
	}
	return 1;
}

int ec_is_text(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (c < 0x20 && c != '\n' && c != '\r' && c != '\t')
			return 0;
		if (c == 0x7f)
			return 0;
	}
	return ec_is_utf8(p, n);
}

void ec_hexdump(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t off = 0; off < n; off += 16) {
		char line[80];
		int o = snprintf(line, sizeof line, "%08zx ", off);
		for (size_t j = 0; j < 16; j++) {
			if (j == 8)
				line[o++] = ' ';
			if (off + j < n)
				o += snprintf(line + o, sizeof line - o, " %02x", p[off + j]);
			else
				o += snprintf(line + o, sizeof line - o, "   ");
		}
		o += snprintf(line + o, sizeof line - o, "  |");
		for (size_t j = 0; j < 16 && off + j < n; j++) {
			uint8_t c = p[off + j];
			line[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '.';
		}
		line[o++] = '|';
		line[o++] = '\n';
		fwrite(line, 1, o, f);
	}
}

int64_t ec_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
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
