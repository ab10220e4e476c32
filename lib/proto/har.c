// SPDX-License-Identifier: GPL-2.0-only
#include "har.h"
#include "parse.h"
#include "util.h"
#include "utf8.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct ec_har {
	FILE *f;
	unsigned long entries;
};

struct ec_har *ec_har_open(FILE *f)
{
	struct ec_har *h = ec_xcalloc(1, sizeof *h);
	h->f = f;
	fprintf(
	    f,
	    "{\"log\":{\"version\":\"1.2\",\"creator\":{\"name\":\"ec-dump\",\"version\":\"%s\"},"
	    "\"pages\":[],\"entries\":[\n",
	    EC_VERSION);
	return h;
}

/* A string of n bytes into o[k]: UTF-8 as it is, anything else with U+FFFD. */
static void str(cJSON *o, const char *k, const uint8_t *p, size_t n)
{
	char *s = ec_utf8_fixdup(p, n);
	cJSON_AddStringToObject(o, k, s);
	free(s);
}

/*
 * A URL as HAR wants it (a URI): bytes a URI cannot hold as they are
 * (controls, space, non-ASCII, "<>\\^`{|}, a '%' not starting an escape)
 * percent-encoded, as a browser sends them.
 */
static char *uri(const char *s)
{
	static const char hexd[] = "0123456789ABCDEF";
	size_t n = strlen(s);
	char *o = ec_xmalloc(3 * n + 1), *q = o;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		int esc = c <= 0x20 || c >= 0x7f || strchr("\"<>\\^`{|}", c);
		if (c == '%')
			esc = !(i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
				isxdigit((unsigned char)s[i + 2]));
		if (esc) {
			*q++ = '%';
			*q++ = hexd[c >> 4];
			*q++ = hexd[c & 15];
		} else {
			*q++ = (char)c;
		}
	}
	*q = 0;
	return o;
}

static double ms(int64_t ns)
{
	return (double)ns / 1e6;
}

/* A rendered message split: start line, header lines, body. */
struct msg {
	const uint8_t *line, *heads, *body;
	size_t line_len, heads_len, body_len, head_size; /* head_size: up to the body */
};

static void split(const uint8_t *p, size_t n, struct msg *m)
{
	static const uint8_t none[1];
	memset(m, 0, sizeof *m);
	m->heads = m->body = none; /* a message not seen: empty, and no start line */
	if (!p)
		return;
	const uint8_t *end = memmem(p, n, "\r\n\r\n", 4);
	size_t hl = end ? (size_t)(end - p) : n;
	const uint8_t *eol = memmem(p, hl, "\r\n", 2);
	m->line = p;
	m->line_len = eol ? (size_t)(eol - p) : hl;
	m->heads = eol ? eol + 2 : p + hl;
	m->heads_len = hl - (size_t)(m->heads - p);
	m->head_size = end ? hl + 4 : n;
	m->body = p + m->head_size;
	m->body_len = n - m->head_size;
}

/* Every header line as {name, value}. */
static cJSON *headers(const struct msg *m)
{
	cJSON *a = cJSON_CreateArray();
	const uint8_t *l = m->heads, *end = m->heads + m->heads_len;
	while (l < end) {
		const uint8_t *eol = memmem(l, (size_t)(end - l), "\r\n", 2);
		const uint8_t *le = eol ? eol : end;
		/* ":authority" is a name: its colon is not the separator */
		const uint8_t *c = le > l ? memchr(l + 1, ':', (size_t)(le - l - 1)) : NULL;
		if (c) {
			const uint8_t *v = c + 1;
			while (v < le && (*v == ' ' || *v == '\t'))
				v++;
			cJSON *h = cJSON_CreateObject();
			str(h, "name", l, (size_t)(c - l));
			str(h, "value", v, (size_t)(le - v));
			cJSON_AddItemToArray(a, h);
		}
		l = eol ? eol + 2 : end;
	}
	return a;
}

/* The nth space-separated word of the start line (0-based), as pointer and length. */
static const uint8_t *word(const struct msg *m, int nth, size_t *len)
{
	if (!m->line) {
		*len = 0;
		return (const uint8_t *)"";
	}
	const uint8_t *p = m->line, *end = m->line + m->line_len;
	for (int i = 0; i < nth && p; i++) {
		p = memchr(p, ' ', (size_t)(end - p));
		if (p)
			p++;
	}
	if (!p || p > end) {
		*len = 0;
		return (const uint8_t *)"";
	}
	const uint8_t *sp = nth < 2 ? memchr(p, ' ', (size_t)(end - p)) : NULL;
	*len = (size_t)((sp ? sp : end) - p);
	return p;
}

static cJSON *query(const uint8_t *target, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	const uint8_t *q = memchr(target, '?', n);
	if (!q)
		return a;
	const uint8_t *p = q + 1, *end = target + n;
	while (p < end) {
		const uint8_t *amp = memchr(p, '&', (size_t)(end - p));
		const uint8_t *pe = amp ? amp : end;
		const uint8_t *eq = memchr(p, '=', (size_t)(pe - p));
		cJSON *kv = cJSON_CreateObject();
		str(kv, "name", p, (size_t)((eq ? eq : pe) - p));
		str(kv, "value", eq ? eq + 1 : pe, eq ? (size_t)(pe - eq - 1) : 0);
		cJSON_AddItemToArray(a, kv);
		p = amp ? amp + 1 : end;
	}
	return a;
}

/* A body as HAR text: UTF-8 as it is, anything else in base64 (encoding set). */
static void body_text(cJSON *o, const uint8_t *p, size_t n, const char *enc_key)
{
	if (ec_utf8_valid(p, n) && !memchr(p, 0, n)) {
		str(o, "text", p, n);
		return;
	}
	char *b = ec_xmalloc(4 * ((n + 2) / 3) + 1);
	ec_base64(p, n, b);
	cJSON_AddStringToObject(o, "text", b);
	cJSON_AddStringToObject(o, enc_key, "base64");
	free(b);
}

static void mime(cJSON *o, const struct msg *m, const char *dflt)
{
	size_t vl;
	const uint8_t *v = ec_parse_header(m->heads, m->heads_len, "content-type:", &vl);
	if (v)
		str(o, "mimeType", v, vl);
	else
		cJSON_AddStringToObject(o, "mimeType", dflt);
}

void ec_har_entry(struct ec_har *h, const struct ec_har_exchange *x)
{
	struct msg rq, rs;
	split(x->req, x->req_len, &rq);
	split(x->resp, x->resp_len, &rs);
	cJSON *e = cJSON_CreateObject();
	char t[40];
	/* ISO 8601 to the microsecond: ec_fmt_time's nanoseconds cut */
	ec_fmt_time(x->ts, t, sizeof t);
	memmove(t + 26, "Z", 2);
	cJSON_AddStringToObject(e, "startedDateTime", t);
	int64_t total = x->have_latency ? (x->last_ns ? x->last_ns : x->first_ns) : 0;
	cJSON_AddNumberToObject(e, "time", ms(total));

	cJSON *r = cJSON_AddObjectToObject(e, "request");
	size_t ml, tl, vl, al;
	const uint8_t *method = word(&rq, 0, &ml), *target = word(&rq, 1, &tl);
	if (!x->req) {
		method = (const uint8_t *)(x->method ? x->method : "");
		ml = strlen((const char *)method);
		target = (const uint8_t *)(x->path ? x->path : "");
		tl = strlen((const char *)target);
	}
	const uint8_t *version = word(&rq, 2, &vl);
	str(r, "method", method, ml);
	/* the URL: absolute as sent, or https:// and the authority (a TLS capture) */
	char *url;
	const char *auth = x->authority ? x->authority : "";
	if (tl > 7 && (!strncasecmp((const char *)target, "http://", 7) ||
		       !strncasecmp((const char *)target, "https://", 8))) {
		url = ec_xmalloc(tl + 1);
		memcpy(url, target, tl);
		url[tl] = 0;
	} else {
		al = strlen(auth);
		int connect = ml == 7 && !memcmp(method, "CONNECT", 7);
		url = ec_xmalloc(al + tl + 9);
		memcpy(url, "https://", 8);
		memcpy(url + 8, auth, al);
		if (!connect)
			memcpy(url + 8 + al, target, tl);
		url[8 + al + (connect ? 0 : tl)] = 0;
	}
	char *u = uri(url);
	cJSON_AddStringToObject(r, "url", u);
	free(u);
	free(url);
	str(r, "httpVersion", version, vl);
	cJSON_AddItemToObject(r, "cookies", cJSON_CreateArray());
	cJSON_AddItemToObject(r, "headers", headers(&rq));
	cJSON_AddItemToObject(r, "queryString", query(target, tl));
	if (rq.body_len) {
		cJSON *pd = cJSON_AddObjectToObject(r, "postData");
		mime(pd, &rq, "application/octet-stream");
		body_text(pd, rq.body, rq.body_len, "_encoding");
	}
	cJSON_AddNumberToObject(r, "headersSize", x->req ? (double)rq.head_size : -1);
	cJSON_AddNumberToObject(r, "bodySize", x->req ? (double)rq.body_len : -1);

	cJSON *s = cJSON_AddObjectToObject(e, "response");
	size_t sl, rl, hv;
	const uint8_t *status = word(&rs, 1, &sl), *reason = word(&rs, 2, &rl);
	const uint8_t *rver = word(&rs, 0, &hv);
	cJSON_AddNumberToObject(s, "status", x->resp ? atoi((const char *)status) : 0);
	str(s, "statusText", reason, rl);
	str(s, "httpVersion", rver, hv);
	cJSON_AddItemToObject(s, "cookies", cJSON_CreateArray());
	cJSON_AddItemToObject(s, "headers", headers(&rs));
	cJSON *c = cJSON_AddObjectToObject(s, "content");
	cJSON_AddNumberToObject(c, "size", (double)rs.body_len);
	mime(c, &rs, "x-unknown");
	if (rs.body_len)
		body_text(c, rs.body, rs.body_len, "encoding");
	size_t lv;
	const uint8_t *loc = ec_parse_header(rs.heads, rs.heads_len, "location:", &lv);
	str(s, "redirectURL", loc ? loc : (const uint8_t *)"", loc ? lv : 0);
	cJSON_AddNumberToObject(s, "headersSize", x->resp ? (double)rs.head_size : -1);
	cJSON_AddNumberToObject(s, "bodySize", x->resp ? (double)rs.body_len : -1);
	if (!x->resp)
		cJSON_AddStringToObject(s, "_error", "no response in the capture");

	cJSON_AddItemToObject(e, "cache", cJSON_CreateObject());
	cJSON *tm = cJSON_AddObjectToObject(e, "timings");
	int64_t first = x->have_latency ? x->first_ns : 0;
	cJSON_AddNumberToObject(tm, "send", 0);
	cJSON_AddNumberToObject(tm, "wait", ms(first));
	cJSON_AddNumberToObject(tm, "receive", ms(total - first > 0 ? total - first : 0));
	if (x->server_ip && *x->server_ip)
		cJSON_AddStringToObject(e, "serverIPAddress", x->server_ip);
	char conn[24];
	snprintf(conn, sizeof conn, "%" PRIu64, x->conn_id);
	cJSON_AddStringToObject(e, "connection", conn);
	cJSON_AddNumberToObject(e, "_pid", (double)x->pid);
	cJSON_AddStringToObject(e, "_comm", x->comm ? x->comm : "");
	cJSON_AddNumberToObject(e, "_exchange_id", (double)x->exchange_id);
	cJSON_AddNumberToObject(e, "_server_port", x->server_port);
	if (x->source)
		cJSON_AddStringToObject(e, "_source", x->source);
	char *out = cJSON_PrintUnformatted(e);
	fprintf(h->f, "%s%s", h->entries++ ? ",\n" : "", out);
	free(out);
	cJSON_Delete(e);
}

int ec_har_close(struct ec_har *h)
{
	fputs("\n]}}\n", h->f);
	int rc = fflush(h->f) || ferror(h->f) ? -1 : 0;
	free(h);
	return rc;
}
