// SPDX-License-Identifier: GPL-2.0-only
/*
 * Rendered request → replayable request. The payload is read through one
 * cursor (struct cur) whose readers check the length first; nothing else
 * indexes the input.
 */
#include "forward.h"
#include "error.h"
#include "utf8.h"
#include "util.h"

#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct cur {
	const uint8_t *p;
	size_t n, off;
};

/* Bytes of the current line (without CR LF / LF) and its end; 0 if no LF. */
static int cur_line(struct cur *c, const uint8_t **line, size_t *len)
{
	if (c->off >= c->n)
		return 0;
	const uint8_t *s = c->p + c->off;
	const uint8_t *lf = memchr(s, '\n', c->n - c->off);
	if (!lf)
		return 0;
	size_t l = (size_t)(lf - s);
	*line = s;
	*len = l && s[l - 1] == '\r' ? l - 1 : l;
	c->off += l + 1;
	return 1;
}

static int fail(char *msg, size_t msglen, int err, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int fail(char *msg, size_t msglen, int err, size_t off, const char *fmt, ...)
{
	if (msg && msglen) {
		int k = snprintf(msg, msglen, "at byte %zu: ", off);
		va_list ap;
		va_start(ap, fmt);
		if (k >= 0 && (size_t)k < msglen)
			vsnprintf(msg + k, msglen - (size_t)k, fmt, ap);
		va_end(ap);
	}
	return err;
}

static int is_tchar(uint8_t ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

static char *dupn(const uint8_t *p, size_t n)
{
	char *s = ec_xmalloc(n + 1);
	memcpy(s, p, n);
	s[n] = 0;
	return s;
}

static const char *const hop[] = {
    "connection", "keep-alive",	      "te", "trailer", "transfer-encoding",
    "upgrade",	  "proxy-connection", NULL};

int ec_forward_hop_by_hop(const char *name)
{
	if (!strncasecmp(name, "proxy-", 6))
		return 1;
	for (size_t i = 0; hop[i]; i++)
		if (!strcasecmp(name, hop[i]))
			return 1;
	return 0;
}

void ec_forward_request_free(struct ec_forward_request *r)
{
	if (!r)
		return;
	free(r->method);
	free(r->scheme);
	free(r->authority);
	free(r->host);
	free(r->path);
	free(r->orig_host);
	for (size_t i = 0; i < r->nhdr; i++) {
		free(r->hdr[i].name);
		free(r->hdr[i].value);
	}
	free(r->hdr);
	free(r->body);
	memset(r, 0, sizeof *r);
}

/* Is tok in the comma-separated list (case-insensitive, OWS around items)? */
static int in_list(const char *list, const char *tok)
{
	size_t tl = strlen(tok);
	const char *s = list;
	while (*s) {
		while (*s == ' ' || *s == '\t' || *s == ',')
			s++;
		const char *e = s;
		while (*e && *e != ',')
			e++;
		const char *t = e;
		while (t > s && (t[-1] == ' ' || t[-1] == '\t'))
			t--;
		if ((size_t)(t - s) == tl && tl && !strncasecmp(s, tok, tl))
			return 1;
		s = e;
	}
	return 0;
}

/*
 * Check an authority and split off the host: "name", "name:port",
 * "[v6]:port". Returns 0 or -1 when it holds characters no authority may.
 */
static int split_authority(const char *a, char **host)
{
	size_t n = strlen(a);
	if (!n || n > 255)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)a[i];
		if (ch <= ' ' || ch >= 0x7f || strchr("/?#@\\\"<>{}|^`", ch))
			return -1;
	}
	const char *end;
	if (a[0] == '[') {
		const char *rb = strchr(a, ']');
		if (!rb || (rb[1] && rb[1] != ':'))
			return -1;
		*host = dupn((const uint8_t *)a + 1, (size_t)(rb - a - 1));
		end = rb + 1;
	} else {
		const char *colon = strchr(a, ':');
		if (colon && strchr(colon + 1, ':'))
			return -1; /* unbracketed IPv6 */
		end = colon ? colon : a + n;
		*host = dupn((const uint8_t *)a, (size_t)(end - a));
	}
	if (*end == ':')
		for (const char *d = end + 1; *d; d++)
			if (*d < '0' || *d > '9')
				return -1;
	return 0;
}

static int valid_path(const char *p)
{
	if (!strcmp(p, "*"))
		return 1;
	if (p[0] != '/')
		return 0;
	for (; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return 0;
	return 1;
}

struct raw_hdr {
	const uint8_t *name;
	size_t nlen;
	char *value; /* owned until moved */
	size_t off;  /* byte offset of the line, for messages */
};

static int name_is(const struct raw_hdr *h, const char *s)
{
	size_t l = strlen(s);
	return h->nlen == l && !strncasecmp((const char *)h->name, s, l);
}

/* Start line: "METHOD SP target SP HTTP/d.d". */
static int parse_start(struct ec_forward_request *r, uint32_t type, const uint8_t *l, size_t len,
		       char **target, char *msg, size_t msglen)
{
	size_t i = 0;
	if (len >= 5 && !memcmp(l, "HTTP/", 5))
		return fail(msg, msglen, EC_ERR_PROTO, 0,
			    "a status line: this is a response, not a request");
	while (i < len && is_tchar(l[i]))
		i++;
	if (i == 0 || i >= len || l[i] != ' ')
		return fail(msg, msglen, EC_ERR_PROTO, i,
			    "request line does not start with a method and a space");
	r->method = dupn(l, i);
	size_t ts = ++i;
	while (i < len && l[i] > ' ' && l[i] != 0x7f)
		i++;
	if (i == ts || i >= len || l[i] != ' ')
		return fail(msg, msglen, EC_ERR_PROTO, i,
			    "request line: expected a request target and a space");
	*target = dupn(l + ts, i - ts);
	i++;
	if (len - i != 8 || memcmp(l + i, "HTTP/", 5) || l[i + 5] < '0' || l[i + 5] > '9' ||
	    l[i + 6] != '.' || l[i + 7] < '0' || l[i + 7] > '9')
		return fail(msg, msglen, EC_ERR_PROTO, i,
			    "request line: expected HTTP/d.d at the end (is this a response?)");
	int v = (l[i + 5] - '0') * 10 + (l[i + 7] - '0');
	if (type == 1 && v != 10 && v != 11)
		return fail(msg, msglen, EC_ERR_PROTO, i + 5,
			    "type 1 request has version %c.%c, expected 1.0 or 1.1", l[i + 5],
			    l[i + 7]);
	if (type == 2 && v != 20)
		return fail(msg, msglen, EC_ERR_PROTO, i + 5,
			    "type 2 request has version %c.%c, expected 2.0", l[i + 5], l[i + 7]);
	r->version = v;
	return 0;
}

/* "scheme://authority/path" (absolute-form) into its parts. */
static int split_absolute(struct ec_forward_request *r, const char *t, char **auth)
{
	const char *sep = strstr(t, "://");
	if (!sep)
		return -1;
	size_t sl = (size_t)(sep - t);
	if ((sl != 4 || strncasecmp(t, "http", 4)) && (sl != 5 || strncasecmp(t, "https", 5)))
		return -1;
	const char *a = sep + 3;
	const char *slash = a + strcspn(a, "/?");
	*auth = dupn((const uint8_t *)a, (size_t)(slash - a));
	free(r->scheme);
	r->scheme = dupn((const uint8_t *)t, sl);
	for (char *s = r->scheme; *s; s++)
		*s = (char)(*s | 0x20);
	free(r->path);
	if (*slash == '?') {
		size_t ql = strlen(slash);
		r->path = ec_xmalloc(ql + 2);
		r->path[0] = '/';
		memcpy(r->path + 1, slash, ql + 1);
	} else {
		r->path = ec_xstrdup(*slash ? slash : "/");
	}
	return 0;
}

int ec_forward_parse(struct ec_forward_request *r, uint32_t type, const uint8_t *p, size_t n,
		     const char *dst_ip, uint32_t dst_port, const char *note, char *msg,
		     size_t msglen)
{
	memset(r, 0, sizeof *r);
	if (msg && msglen)
		msg[0] = 0;
	if (type != 1 && type != 2)
		return fail(msg, msglen, EC_ERR_INVAL, 0,
			    "event type %u is not a request (1 HTTP/1, 2 HTTP/2)", type);
	struct cur c = {p, n, 0};
	const uint8_t *l;
	size_t len;
	char *target = NULL, *auth = NULL;
	struct raw_hdr *h = NULL;
	size_t nh = 0;
	int err = 0;
	if (!cur_line(&c, &l, &len)) {
		err = fail(msg, msglen, EC_ERR_PROTO, n, "no complete request line (no LF)");
		goto out;
	}
	if ((err = parse_start(r, type, l, len, &target, msg, msglen)))
		goto out;
	h = ec_xcalloc(EC_FORWARD_MAX_HEADERS, sizeof *h);
	int ended = 0;
	for (;;) {
		size_t loff = c.off;
		if (!cur_line(&c, &l, &len))
			break;
		if (len == 0) {
			ended = 1;
			break;
		}
		if (l[0] == ' ' || l[0] == '\t') { /* obs-fold: continues the last value */
			if (!nh || type == 2) {
				err = fail(msg, msglen, EC_ERR_PROTO, loff,
					   "header line starts with whitespace and continues "
					   "nothing");
				goto out;
			}
			size_t s = 0;
			while (s < len && (l[s] == ' ' || l[s] == '\t'))
				s++;
			for (size_t k = s; k < len; k++)
				if (l[k] == '\r' || l[k] == 0) {
					err = fail(msg, msglen, EC_ERR_PROTO, loff + k,
						   "CR or NUL inside a header value");
					goto out;
				}
			struct raw_hdr *last = &h[nh - 1];
			size_t ol = strlen(last->value);
			last->value = ec_xrealloc(last->value, ol + 1 + (len - s) + 1);
			last->value[ol] = ' ';
			memcpy(last->value + ol + 1, l + s, len - s);
			last->value[ol + 1 + len - s] = 0;
			continue;
		}
		size_t k = 0;
		if (type == 2 && l[0] == ':')
			k = 1;
		while (k < len && is_tchar(l[k]))
			k++;
		if (k == 0 || (k == 1 && l[0] == ':') || k >= len || l[k] != ':') {
			err = fail(msg, msglen, EC_ERR_PROTO, loff + k,
				   "header line is not 'name: value' (byte 0x%02x)",
				   k < len ? l[k] : 0);
			goto out;
		}
		if (nh == EC_FORWARD_MAX_HEADERS) {
			err = fail(msg, msglen, EC_ERR_PROTO, loff, "more than %d header fields",
				   EC_FORWARD_MAX_HEADERS);
			goto out;
		}
		size_t vs = k + 1, ve = len;
		while (vs < ve && (l[vs] == ' ' || l[vs] == '\t'))
			vs++;
		while (ve > vs && (l[ve - 1] == ' ' || l[ve - 1] == '\t'))
			ve--;
		for (size_t j = vs; j < ve; j++)
			if (l[j] == '\r' || l[j] == 0) {
				err = fail(msg, msglen, EC_ERR_PROTO, loff + j,
					   "CR or NUL inside a header value");
				goto out;
			}
		h[nh].name = l;
		h[nh].nlen = k;
		h[nh].value = dupn(l + vs, ve - vs);
		h[nh].off = loff;
		nh++;
	}
	if (!ended) {
		err = fail(msg, msglen, EC_ERR_PROTO, c.off,
			   "headers do not end with an empty line (truncated request?)");
		goto out;
	}

	/* the target and the pseudo-headers */
	r->scheme = ec_xstrdup("https");
	if (type == 2) {
		for (size_t i = 0; i < nh; i++) {
			if (h[i].name[0] != ':')
				continue;
			if (name_is(&h[i], ":method")) {
				free(r->method);
				r->method = ec_xstrdup(h[i].value);
			} else if (name_is(&h[i], ":path")) {
				free(target);
				target = ec_xstrdup(h[i].value);
			} else if (name_is(&h[i], ":authority")) {
				free(auth);
				auth = ec_xstrdup(h[i].value);
				r->from = ":authority";
			} else if (name_is(&h[i], ":scheme")) {
				if (strcasecmp(h[i].value, "http") &&
				    strcasecmp(h[i].value, "https")) {
					err = fail(msg, msglen, EC_ERR_UNSUPPORTED, h[i].off,
						   ":scheme '%.40s' is not http or https",
						   h[i].value);
					goto out;
				}
				free(r->scheme);
				r->scheme = ec_xstrdup(h[i].value);
				for (char *s = r->scheme; *s; s++)
					*s = (char)(*s | 0x20);
			} else if (name_is(&h[i], ":protocol")) {
				err = fail(msg, msglen, EC_ERR_UNSUPPORTED, h[i].off,
					   "extended CONNECT (:protocol %.40s) cannot be replayed",
					   h[i].value);
				goto out;
			} else {
				err = fail(msg, msglen, EC_ERR_PROTO, h[i].off,
					   "unknown pseudo-header '%.*s' in a request",
					   (int)h[i].nlen, (const char *)h[i].name);
				goto out;
			}
		}
		if (!r->method[0] ||
		    strspn(r->method, "!#$%&'*+-.^_`|~0123456789"
				      "abcdefghijklmnopqrstuvwxyz"
				      "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(r->method)) {
			err = fail(msg, msglen, EC_ERR_PROTO, 0, ":method '%.40s' is not a token",
				   r->method);
			goto out;
		}
	}
	if (!strcmp(r->method, "CONNECT")) {
		err = fail(msg, msglen, EC_ERR_UNSUPPORTED, 0,
			   "CONNECT opens a tunnel and cannot be replayed");
		goto out;
	}
	if (target[0] != '/' && target[0] != '*') {
		if (split_absolute(r, target, &auth)) {
			err = fail(msg, msglen, EC_ERR_PROTO, strlen(r->method) + 1,
				   "request target '%.60s' is neither a path nor an http(s) URL",
				   target);
			goto out;
		}
		r->from = "absolute-form";
	} else {
		r->path = target;
		target = NULL;
	}
	if (!valid_path(r->path)) {
		err = fail(msg, msglen, EC_ERR_PROTO, strlen(r->method) + 1,
			   "request target '%.60s' holds spaces or control bytes", r->path);
		goto out;
	}

	/* Connection-listed names are hop-by-hop too */
	char *connlist = NULL;
	size_t cl = 0;
	for (size_t i = 0; i < nh; i++)
		if (name_is(&h[i], "connection")) {
			size_t vl = strlen(h[i].value);
			connlist = ec_xrealloc(connlist, cl + vl + 2);
			memcpy(connlist + cl, h[i].value, vl);
			cl += vl;
			connlist[cl++] = ',';
			connlist[cl] = 0;
		}
	int decoded = note && strstr(note, "decoded");
	r->hdr = ec_xcalloc(nh ? nh : 1, sizeof *r->hdr);
	ssize_t cookie = -1;
	for (size_t i = 0; i < nh; i++) {
		char name[256];
		snprintf(name, sizeof name, "%.*s", (int)(h[i].nlen < 255 ? h[i].nlen : 255),
			 (const char *)h[i].name);
		if (name[0] == ':') {
			r->ndropped++;
			continue;
		}
		if (!strcasecmp(name, "host")) {
			if (!r->from) {
				free(auth);
				auth = ec_xstrdup(h[i].value);
				r->from = "host";
			}
			r->ndropped++;
			continue;
		}
		if (!strcasecmp(name, "content-length"))
			r->has_content_length = 1;
		if (ec_forward_hop_by_hop(name) || (connlist && in_list(connlist, name)) ||
		    !strcasecmp(name, "content-length") || !strcasecmp(name, "expect") ||
		    (decoded && !strcasecmp(name, "content-encoding"))) {
			r->ndropped++;
			continue;
		}
		if (type == 2 && !strcasecmp(name, "cookie") && cookie >= 0) {
			/* RFC 9113 8.2.3: split cookie fields join with "; " */
			struct ec_forward_header *ck = &r->hdr[cookie];
			size_t a = strlen(ck->value), b = strlen(h[i].value);
			ck->value = ec_xrealloc(ck->value, a + 2 + b + 1);
			memcpy(ck->value + a, "; ", 2);
			memcpy(ck->value + a + 2, h[i].value, b + 1);
			continue;
		}
		if (type == 2 && !strcasecmp(name, "cookie"))
			cookie = (ssize_t)r->nhdr;
		struct ec_forward_header *d = &r->hdr[r->nhdr++];
		d->name = ec_xstrdup(name);
		d->value = h[i].value;
		h[i].value = NULL;
		if (!strcasecmp(name, "accept"))
			r->has_accept = 1;
		if (!strcasecmp(name, "content-type")) {
			r->has_content_type = 1;
			if (!r->content_type)
				r->content_type = d->value;
		}
	}
	free(connlist);

	if (auth && auth[0]) {
		r->orig_host = auth;
		auth = NULL;
		if (!split_authority(r->orig_host, &r->host)) {
			r->authority = ec_xstrdup(r->orig_host);
		} else if (!dst_ip || !dst_ip[0] || !dst_port) {
			err = fail(msg, msglen, EC_ERR_PROTO, 0,
				   "%s '%.60s' is not a host[:port] and there is no destination "
				   "address to use instead",
				   r->from, r->orig_host);
			goto out;
		} else {
			free(r->host);
			r->host = NULL;
			r->from = !strcmp(r->from, "host") ? "destination (Host unusable)"
				  : !strcmp(r->from, ":authority")
				      ? "destination (:authority unusable)"
				      : "destination (absolute-form authority unusable)";
		}
	} else {
		r->from = "destination";
	}
	if (!r->authority) {
		if (!dst_ip || !dst_ip[0] || !dst_port) {
			err = fail(msg, msglen, EC_ERR_PROTO, 0,
				   "no Host or :authority and no destination address to use");
			goto out;
		}
		char a[300];
		snprintf(a, sizeof a, strchr(dst_ip, ':') ? "[%s]:%u" : "%s:%u", dst_ip, dst_port);
		if (split_authority(a, &r->host)) {
			err = fail(msg, msglen, EC_ERR_PROTO, 0,
				   "destination '%.60s' is not an address", a);
			goto out;
		}
		r->authority = ec_xstrdup(a);
	}
	r->body_len = n - c.off;
	r->body = ec_xmalloc(r->body_len ? r->body_len : 1);
	if (r->body_len)
		memcpy(r->body, p + c.off, r->body_len);
out:
	free(target);
	free(auth);
	for (size_t i = 0; i < nh; i++)
		free(h[i].value);
	free(h);
	if (err)
		ec_forward_request_free(r);
	return err;
}

int ec_forward_from_event(struct ec_forward_request *r, const EcEvent *ev, char *msg, size_t msglen)
{
	return ec_forward_parse(r, ev->type, ev->payload.data, ev->payload.len, ev->dst_ip,
				ev->dst_port, ev->note, msg, msglen);
}

char *ec_forward_url(const struct ec_forward_request *r, const char *target, int plain, char *msg,
		     size_t msglen)
{
	const char *scheme = r->scheme, *auth = r->authority, *prefix = "";
	size_t alen = strlen(auth), plen = 0;
	if (target) {
		const char *sep = strstr(target, "://");
		size_t sl = sep ? (size_t)(sep - target) : 0;
		if (!sep || !((sl == 4 && !strncasecmp(target, "http", 4)) ||
			      (sl == 5 && !strncasecmp(target, "https", 5)))) {
			if (msg && msglen)
				snprintf(msg, msglen,
					 "--target '%s' is not an http:// or https:// URL", target);
			return NULL;
		}
		scheme = sl == 4 ? "http" : "https";
		auth = sep + 3;
		alen = strcspn(auth, "/?#");
		if (!alen) {
			if (msg && msglen)
				snprintf(msg, msglen, "--target '%s' has no host", target);
			return NULL;
		}
		prefix = auth + alen;
		plen = strcspn(prefix, "?#");
		while (plen && prefix[plen - 1] == '/')
			plen--;
	}
	if (plain)
		scheme = "http";
	const char *path = strcmp(r->path, "*") ? r->path : "/";
	size_t n = strlen(scheme) + 3 + alen + plen + strlen(path) + 1;
	char *u = ec_xmalloc(n);
	snprintf(u, n, "%s://%.*s%.*s%s", scheme, (int)alen, auth, (int)plen, prefix, path);
	return u;
}

/* Captured text on a terminal: control bytes and bad UTF-8 as \xNN (lib/core/utf8). */
static void put_safe(FILE *f, const char *s, size_t n)
{
	ec_utf8_escape(f, (const uint8_t *)s, n, EC_UTF8_ESC_PAYLOAD);
}

void ec_forward_print(FILE *f, const struct ec_forward_request *r, const char *url, int keep_host)
{
	/* the authority and path curl derives from url */
	const char *a = strstr(url, "://");
	a = a ? a + 3 : url;
	size_t alen = strcspn(a, "/");
	const char *path = a + alen;
	const char *target = !strcmp(r->path, "*") ? "*" : *path ? path : "/";
	fprintf(f, "> %s ", r->method);
	put_safe(f, target, strlen(target));
	fprintf(f, " HTTP/%s\n", r->version == 20 ? "2" : r->version == 10 ? "1.0" : "1.1");
	fputs("> Host: ", f);
	if (keep_host && r->orig_host)
		put_safe(f, r->orig_host, strlen(r->orig_host));
	else
		put_safe(f, a, alen);
	fputc('\n', f);
	for (size_t i = 0; i < r->nhdr; i++) {
		fprintf(f, "> %s: ", r->hdr[i].name);
		put_safe(f, r->hdr[i].value, strlen(r->hdr[i].value));
		fputc('\n', f);
	}
	if (ec_forward_sends_body(r))
		fprintf(f, "> Content-Length: %zu\n", r->body_len);
	fprintf(f, ">\n");
	if (!r->body_len)
		return;
	if (ec_is_text(r->body, r->body_len)) {
		put_safe(f, (const char *)r->body, r->body_len);
		if (r->body[r->body_len - 1] != '\n')
			fputs("\n[no newline at end of body]\n", f);
	} else {
		fprintf(f, "[%zu bytes of binary body%s]\n", r->body_len,
			r->body_len > 256 ? ", the first 256 shown" : "");
		ec_hexdump(f, r->body, r->body_len < 256 ? r->body_len : 256);
	}
}

int ec_forward_sends_body(const struct ec_forward_request *r)
{
	return r->body_len || r->has_content_length;
}

static int glob(const char *pat, const char *s)
{
	return s && !fnmatch(pat, s, FNM_CASEFOLD);
}

int ec_forward_match(const struct ec_forward_filter *f, const EcEvent *ev,
		     const struct ec_forward_request *r)
{
	if (f->methods && !in_list(f->methods, r->method))
		return 0;
	if (f->host && !glob(f->host, r->host) && !glob(f->host, r->authority))
		return 0;
	if (f->path && !glob(f->path, r->path))
		return 0;
	if (f->content_type) {
		if (!r->content_type)
			return 0;
		char mt[256];
		size_t l = strcspn(r->content_type, "; \t");
		snprintf(mt, sizeof mt, "%.*s", (int)(l < 255 ? l : 255), r->content_type);
		if (!glob(f->content_type, mt))
			return 0;
	}
	if (f->pid && ev->pid != f->pid)
		return 0;
	if (f->pname && !glob(f->pname, ev->pname))
		return 0;
	return 1;
}
