// SPDX-License-Identifier: GPL-2.0-only
#include "redis.h"
#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define QMAX 4096     /* commands awaiting their reply, per connection */
#define PATH_MAX_ 256 /* Event.path: the command, cut here */

/* ---- framing ---- */

/* The '\n' ending the line at p: 1 with *at its index, 0 need more, -1 too long. */
static int find_line(const uint8_t *p, size_t n, size_t *at)
{
	size_t lim = n < EC_REDIS_MAX_LINE + 2 ? n : EC_REDIS_MAX_LINE + 2;
	const uint8_t *e = memchr(p, '\n', lim);
	if (!e)
		return n >= EC_REDIS_MAX_LINE + 2 ? -1 : 0;
	*at = (size_t)(e - p);
	return 1;
}

/* A decimal of up to 18 digits, with an optional '-'. */
static int parse_int(const uint8_t *s, size_t n, long long *v)
{
	int neg = n && s[0] == '-';
	size_t i = (size_t)neg;
	if (i == n || n - i > 18)
		return -1;
	long long x = 0;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (s[i] - '0');
	}
	*v = neg ? -x : x;
	return 0;
}

static int all_of(const uint8_t *s, size_t n, const char *set)
{
	for (size_t i = 0; i < n; i++)
		if (!s[i] || !strchr(set, s[i]))
			return 0;
	return 1;
}

static long frame(const uint8_t *p, size_t n, int depth, int inline_ok)
{
	size_t e;
	if (!n)
		return 0;
	if (!strchr("+-:$_,#(!=%~>|*", p[0]) || !p[0]) {
		/* an inline command: text up to its line end, known bad at once */
		if (!inline_ok || depth)
			return -1;
		for (size_t i = 0; i < n && p[i] != '\n'; i++)
			if (p[i] < 0x20 && p[i] != '\t' && p[i] != '\r')
				return -1;
	}
	int r = find_line(p, n, &e);
	if (r <= 0)
		return r;
	if (e == 0 || p[e - 1] != '\r') {
		/* only an inline command may end in a bare '\n' */
		if (!inline_ok || depth || e == 0)
			return -1;
	}
	const uint8_t *v = p + 1;
	size_t vn = e >= 2 ? e - 2 : 0; /* the line after the type byte, before "\r\n" */
	long long len;
	switch (p[0]) {
	case '+':
	case '-':
		return (long)e + 1;
	case ':':
		return parse_int(v, vn, &len) ? -1 : (long)e + 1;
	case '(':
		return vn && all_of(v + (v[0] == '-'), vn - (v[0] == '-'), "0123456789")
			   ? (long)e + 1
			   : -1;
	case ',':
		return vn && all_of(v, vn, "0123456789+-.eEinfa") ? (long)e + 1 : -1;
	case '#':
		return vn == 1 && (v[0] == 't' || v[0] == 'f') ? (long)e + 1 : -1;
	case '_':
		return vn == 0 ? (long)e + 1 : -1;
	case '$':
	case '!':
	case '=': {
		if (parse_int(v, vn, &len))
			return -1;
		if (len == -1 && p[0] == '$')
			return (long)e + 1; /* RESP2's null bulk */
		if (len < 0 || len > EC_REDIS_MAX_BULK)
			return -1;
		size_t total = e + 1 + (size_t)len + 2;
		if (n < total)
			return 0;
		return p[total - 2] == '\r' && p[total - 1] == '\n' ? (long)total : -1;
	}
	case '*':
	case '~':
	case '>':
	case '%':
	case '|': {
		if (parse_int(v, vn, &len))
			return -1;
		if (len == -1 && p[0] == '*')
			return (long)e + 1; /* RESP2's null array */
		if (len < 0 || len > (1ll << 24) || depth >= EC_REDIS_MAX_DEPTH)
			return -1;
		/* a map's and an attribute's entries are pairs; an attribute
		 * precedes the value it describes */
		long long items = len * (p[0] == '%' || p[0] == '|' ? 2 : 1) + (p[0] == '|');
		size_t off = e + 1;
		for (long long i = 0; i < items; i++) {
			long k = frame(p + off, n - off, depth + 1, 0);
			if (k <= 0)
				return k;
			off += (size_t)k;
		}
		return (long)off;
	}
	default: /* an inline command, checked above */
		return (long)e + 1;
	}
}

long ec_redis_frame(const uint8_t *p, size_t n, int inline_ok)
{
	return frame(p, n, 0, inline_ok);
}

/* ---- rendering ---- */

/* A string as redis-cli quotes it (sdscatrepr): printable ASCII, else escapes. */
static void quoted(struct ec_text *t, const uint8_t *s, size_t n)
{
	ec_text_put(t, "\"", 1);
	for (size_t i = 0; i < n && !ec_text_cut(t); i++) {
		uint8_t c = s[i];
		switch (c) {
		case '\\':
			ec_text_str(t, "\\\\");
			break;
		case '"':
			ec_text_str(t, "\\\"");
			break;
		case '\n':
			ec_text_str(t, "\\n");
			break;
		case '\r':
			ec_text_str(t, "\\r");
			break;
		case '\t':
			ec_text_str(t, "\\t");
			break;
		default:
			if (c >= 0x20 && c < 0x7f)
				ec_text_put(t, &c, 1);
			else
				ec_text_fmt(t, "\\x%02x", c);
		}
	}
	ec_text_put(t, "\"", 1);
}

/* A command's word: bare when it reads as one, else quoted. */
static void word(struct ec_text *t, const uint8_t *s, size_t n)
{
	int bare = n > 0;
	for (size_t i = 0; i < n && bare; i++)
		bare = s[i] > 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\'' && s[i] != '\\';
	if (bare)
		ec_text_put(t, s, n);
	else
		quoted(t, s, n);
}

/* The header line of a valid value: the bytes after the type byte, and where the body starts. */
static size_t head(const uint8_t *p, size_t n, const uint8_t **v, size_t *vn)
{
	size_t e = 0;
	find_line(p, n, &e);
	*v = p + 1;
	*vn = e >= 2 ? e - 2 : 0;
	return e + 1;
}

static long long head_int(const uint8_t *v, size_t vn)
{
	long long x = 0;
	return parse_int(v, vn, &x) ? 0 : x;
}

static void spaces(struct ec_text *t, unsigned k)
{
	static const char sp[] = "                                ";
	while (k && !ec_text_cut(t)) {
		unsigned m = k < sizeof sp - 1 ? k : (unsigned)sizeof sp - 1;
		ec_text_put(t, sp, m);
		k -= m;
	}
}

static void command(struct ec_text *t, const uint8_t *p, size_t n);

/* A valid reply at p as redis-cli shows it, nested lines indented by indent. */
static void reply(struct ec_text *t, const uint8_t *p, size_t n, unsigned indent)
{
	const uint8_t *v;
	size_t vn, h = head(p, n, &v, &vn);
	long long len;
	switch (p[0]) {
	case '+':
		ec_text_put(t, v, vn);
		return;
	case '-':
		ec_text_str(t, "(error) ");
		ec_text_put(t, v, vn);
		return;
	case ':':
		ec_text_str(t, "(integer) ");
		ec_text_put(t, v, vn);
		return;
	case '(':
		ec_text_str(t, "(big number) ");
		ec_text_put(t, v, vn);
		return;
	case ',':
		ec_text_str(t, "(double) ");
		ec_text_put(t, v, vn);
		return;
	case '#':
		ec_text_str(t, v[0] == 't' ? "(true)" : "(false)");
		return;
	case '_':
		ec_text_str(t, "(nil)");
		return;
	case '$':
	case '!':
	case '=':
		len = head_int(v, vn);
		if (len < 0) {
			ec_text_str(t, "(nil)");
			return;
		}
		if (p[0] == '!') {
			ec_text_str(t, "(error) ");
			ec_text_put(t, p + h, (size_t)len);
		} else if (p[0] == '=' && len >= 4) {
			quoted(t, p + h + 4, (size_t)len - 4); /* past "txt:" */
		} else {
			quoted(t, p + h, (size_t)len);
		}
		return;
	default:
		break;
	}
	if (!p[0] || !strchr("*~>%|", p[0])) {
		command(t, p, n); /* an inline command's line */
		return;
	}
	len = head_int(v, vn);
	if (len < 0) {
		ec_text_str(t, "(nil)");
		return;
	}
	size_t off = h;
	if (p[0] == '|') {
		/* an attribute describes the value after it: shown as that value */
		for (long long i = 0; i < 2 * len; i++)
			off += (size_t)frame(p + off, n - off, 1, 0);
		reply(t, p + off, n - off, indent);
		return;
	}
	if (len == 0) {
		ec_text_str(t, p[0] == '%' ? "(empty hash)" : "(empty array)");
		return;
	}
	unsigned w = (unsigned)snprintf(NULL, 0, "%lld", len);
	for (long long i = 0; i < len && !ec_text_cut(t); i++) {
		if (i) {
			ec_text_put(t, "\n", 1);
			spaces(t, indent);
		}
		ec_text_fmt(t, "%*lld%c ", (int)w, i + 1,
			    p[0] == '%'	  ? '#'
			    : p[0] == '~' ? '~'
					  : ')');
		long k = frame(p + off, n - off, 1, 0);
		reply(t, p + off, (size_t)k, indent + w + 2);
		off += (size_t)k;
		if (p[0] == '%') {
			ec_text_str(t, " => ");
			k = frame(p + off, n - off, 1, 0);
			reply(t, p + off, (size_t)k, indent + w + 2);
			off += (size_t)k;
		}
	}
}

/* A valid command: its words; an inline one split at blanks. */
static void command(struct ec_text *t, const uint8_t *p, size_t n)
{
	const uint8_t *v;
	size_t vn, h = head(p, n, &v, &vn);
	if (p[0] != '*') {
		size_t end = n;
		while (end && (p[end - 1] == '\n' || p[end - 1] == '\r'))
			end--;
		for (size_t i = 0, first = 1; i < end;) {
			while (i < end && (p[i] == ' ' || p[i] == '\t'))
				i++;
			size_t j = i;
			while (j < end && p[j] != ' ' && p[j] != '\t')
				j++;
			if (j > i) {
				if (!first)
					ec_text_put(t, " ", 1);
				word(t, p + i, j - i);
				first = 0;
			}
			i = j;
		}
		return;
	}
	long long len = head_int(v, vn);
	size_t off = h;
	for (long long i = 0; i < len && !ec_text_cut(t); i++) {
		long k = frame(p + off, n - off, 1, 0);
		if (i)
			ec_text_put(t, " ", 1);
		const uint8_t *ev;
		size_t evn, eh = head(p + off, (size_t)k, &ev, &evn);
		long long el = head_int(ev, evn);
		if (p[off] == '$' && el >= 0)
			word(t, p + off + eh, (size_t)el);
		else
			reply(t, p + off, (size_t)k, 0);
		off += (size_t)k;
	}
}

void ec_redis_render(struct ec_text *t, const uint8_t *p, size_t n, int is_command)
{
	if (is_command)
		command(t, p, n);
	else
		reply(t, p, n, 0);
}

/* ---- the decoder ec-parse drives (lib/proto/parse.h) ---- */

struct rconn {
	int roles_known, client_di;
	unsigned db;		     /* SELECTed */
	struct ec_parse_exchange *q; /* commands awaiting their reply: a ring */
	size_t qhead, qn, qcap;
	uint64_t beyond; /* commands past QMAX: their replies go unpaired */
	struct ec_text t;
};

static int redis_port(uint32_t port)
{
	return port == 6379 || port == 6380;
}

/* The first element of an array as a string (a bulk or a simple string). */
static int first_str(const uint8_t *p, size_t n, const uint8_t **s, size_t *sn)
{
	const uint8_t *v;
	size_t vn, h = head(p, n, &v, &vn);
	if ((p[0] != '*' && p[0] != '>') || head_int(v, vn) < 1 || h >= n)
		return 0;
	const uint8_t *ev;
	size_t evn, eh = head(p + h, n - h, &ev, &evn);
	if (p[h] == '+') {
		*s = ev;
		*sn = evn;
		return 1;
	}
	long long el = head_int(ev, evn);
	if (p[h] != '$' || el < 0 || h + eh + (size_t)el > n)
		return 0;
	*s = p + h + eh;
	*sn = (size_t)el;
	return 1;
}

static int is_word(const uint8_t *s, size_t n, const char *w)
{
	return n == strlen(w) && !strncasecmp((const char *)s, w, n);
}

/* Which end sends commands: the Redis port says, else the first bytes do. */
static void set_roles(struct ec_parse_dir *d, struct rconn *c, const uint8_t *p, size_t n)
{
	struct ec_parse_hint h;
	ec_parse_hint(d, &h);
	int mine; /* these bytes are commands */
	if (redis_port(h.remote_port) != redis_port(h.local_port))
		mine = h.sent == redis_port(h.remote_port);
	else
		mine = n && (p[0] == '*' || !strchr("+-:$_,#(!=%~>|", p[0]));
	c->client_di = mine ? d->di : !d->di;
	c->roles_known = 1;
}

static void forget(struct rconn *c)
{
	for (size_t i = 0; i < c->qn; i++)
		ec_parse_exchange_clear(&c->q[(c->qhead + i) % c->qcap]);
	c->qhead = c->qn = 0;
	c->beyond = 0;
}

static char *dup_n(const char *s, size_t n)
{
	char *r = ec_xmalloc(n + 1);
	memcpy(r, s, n);
	r[n] = 0;
	return r;
}

/* Where the commands go: the server's address, and the database once SELECTed. */
static char *server_of(struct ec_parse_dir *d, const struct rconn *c)
{
	char *srv = ec_parse_server(d);
	if (!c->db || !srv)
		return srv;
	size_t k = strlen(srv);
	srv = ec_xrealloc(srv, k + 8);
	snprintf(srv + k, 8, "/%u", c->db);
	return srv;
}

static void put_out(struct ec_parse_out *o, const struct ec_text *t, size_t wire)
{
	o->a = (const uint8_t *)ec_text_get(t);
	o->an = t->len;
	if (ec_text_cut(t)) {
		o->truncated = 1;
		o->orig_length = wire;
	}
}

static void on_command(struct ec_parse_dir *d, struct rconn *c, const uint8_t *p, size_t n,
		       struct ec_mark m, int64_t end)
{
	ec_text_reset(&c->t, d->o->max_body);
	ec_redis_render(&c->t, p, n, 1);
	if (!c->t.len && p[0] != '*')
		return; /* an empty inline line: the server ignores it, no reply comes */
	struct ec_parse_exchange x = {.req_end = end};
	const char *s = c->t.len ? c->t.p : "";
	size_t vl = strcspn(s, " ");
	x.method = dup_n(s, vl < 32 ? vl : 32);
	for (char *q = x.method; *q; q++)
		*q = (char)toupper((unsigned char)*q);
	x.path = dup_n(s, c->t.len < PATH_MAX_ ? c->t.len : PATH_MAX_);
	if (!strcmp(x.method, "SELECT") && c->t.len > 7) {
		long long db;
		size_t dn = strcspn(s + 7, " ");
		if (!parse_int((const uint8_t *)s + 7, dn, &db) && db >= 0 && db < 1 << 16)
			c->db = (unsigned)db;
	}
	x.authority = server_of(d, c);
	struct ec_parse_out o = {.type = EC_TYPE_REDIS_REQUEST, .m = m};
	put_out(&o, &c->t, n);
	if (c->beyond || c->qn == QMAX) {
		/* too many awaiting: this one and its reply go unpaired, in order */
		c->beyond++;
		o.asks = NULL;
		ec_parse_emit(d, &o);
		ec_parse_exchange_clear(&x);
		return;
	}
	x.id = ec_parse_exchange_id(d);
	if (c->qn == c->qcap) {
		/* grow the ring, unrolled from its head */
		size_t ncap = c->qcap ? 2 * c->qcap : 8;
		struct ec_parse_exchange *nq = ec_xcalloc(ncap, sizeof *nq);
		for (size_t i = 0; i < c->qn; i++)
			nq[i] = c->q[(c->qhead + i) % c->qcap];
		free(c->q);
		c->q = nq;
		c->qcap = ncap;
		c->qhead = 0;
	}
	struct ec_parse_exchange *slot = &c->q[(c->qhead + c->qn++) % c->qcap];
	*slot = x;
	o.asks = slot;
	ec_parse_emit(d, &o);
}

/* The outcome in words: "OK", "12 bytes", "(integer) 3", "nil", "3 items", an error's text. */
static void summarize(char *b, size_t cap, const uint8_t *p, size_t n, int *failed)
{
	const uint8_t *v;
	size_t vn, h = head(p, n, &v, &vn);
	long long len = 0;
	size_t cut = vn < 60 ? vn : 60;
	switch (p[0]) {
	case '-':
	case '!':
		*failed = 1;
		if (p[0] == '!') {
			len = head_int(v, vn);
			v = p + h;
			cut = (size_t)len < 60 ? (size_t)len : 60;
		}
		/* fall through */
	case '+':
		snprintf(b, cap, "%.*s", (int)cut, (const char *)v);
		for (char *q = b; *q; q++)
			if ((unsigned char)*q < 0x20 || (unsigned char)*q >= 0x7f)
				*q = '?';
		return;
	case ':':
	case ',':
	case '(':
		snprintf(b, cap, "(%s) %.*s",
			 p[0] == ':'   ? "integer"
			 : p[0] == ',' ? "double"
				       : "big number",
			 (int)cut, (const char *)v);
		return;
	case '#':
		snprintf(b, cap, "%s", v[0] == 't' ? "true" : "false");
		return;
	case '|': {
		size_t off = h;
		for (long long i = 0; i < 2 * head_int(v, vn); i++)
			off += (size_t)frame(p + off, n - off, 1, 0);
		summarize(b, cap, p + off, n - off, failed);
		return;
	}
	default:
		break;
	}
	len = p[0] == '_' ? -1 : head_int(v, vn);
	if (len < 0)
		snprintf(b, cap, "nil");
	else if (p[0] == '$' || p[0] == '=')
		snprintf(b, cap, "%lld byte%s", len, len == 1 ? "" : "s");
	else
		snprintf(b, cap, "%lld %s%s", len, p[0] == '%' ? "pair" : "item",
			 len == 1 ? "" : "s");
}

static void on_reply(struct ec_parse_dir *d, struct rconn *c, const uint8_t *p, size_t n,
		     struct ec_mark m, int64_t end)
{
	char sum[96];
	int failed = 0;
	summarize(sum, sizeof sum, p, n, &failed);
	struct ec_parse_exchange *x = c->qn ? &c->q[c->qhead] : NULL;
	/* pub/sub: messages are pushes; a (un)subscribe confirmation answers
	 * the command of its name, the ones after the first are pushes */
	const uint8_t *kind;
	size_t kn;
	int push = p[0] == '>';
	if (first_str(p, n, &kind, &kn)) {
		if (is_word(kind, kn, "message") || is_word(kind, kn, "pmessage") ||
		    is_word(kind, kn, "smessage"))
			push = 1;
		else if (is_word(kind, kn, "subscribe") || is_word(kind, kn, "psubscribe") ||
			 is_word(kind, kn, "ssubscribe") || is_word(kind, kn, "unsubscribe") ||
			 is_word(kind, kn, "punsubscribe") || is_word(kind, kn, "sunsubscribe"))
			push = !x || !is_word(kind, kn, x->method);
		if (push) {
			/* "message CHANNEL": the channel is the element after the pattern, if any
			 */
			const uint8_t *q = p, *hv;
			size_t qn = n, hvn, off = head(p, n, &hv, &hvn);
			long k = frame(q + off, qn - off, 1, 0);
			off += (size_t)k;
			if (is_word(kind, kn, "pmessage"))
				off += (size_t)frame(q + off, qn - off, 1, 0);
			const uint8_t *cv;
			size_t cvn, ch = off < qn ? head(q + off, qn - off, &cv, &cvn) : 0;
			long long cl = ch && q[off] == '$' ? head_int(cv, cvn) : -1;
			if (cl >= 0 && off + ch + (size_t)cl <= qn)
				snprintf(sum, sizeof sum, "%.*s %.*s", (int)(kn < 16 ? kn : 16),
					 (const char *)kind, (int)((size_t)cl < 60 ? cl : 60),
					 (const char *)q + off + ch);
			for (char *s = sum; *s; s++)
				if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
					*s = '?';
		}
	}
	ec_text_reset(&c->t, d->o->max_body);
	ec_redis_render(&c->t, p, n, 0);
	struct ec_parse_out o = {.type = EC_TYPE_REDIS_RESPONSE,
				 .m = m,
				 .summary = sum,
				 .failed = failed,
				 .end_ts = end};
	put_out(&o, &c->t, n);
	if (push) {
		o.note = "push";
		ec_parse_emit(d, &o);
		return;
	}
	if (!x) {
		/* asked before the capture, or past QMAX */
		if (c->beyond)
			c->beyond--;
		ec_parse_emit(d, &o);
		return;
	}
	o.answers = x;
	ec_parse_emit(d, &o);
	ec_parse_exchange_clear(x);
	c->qhead = (c->qhead + 1) % c->qcap;
	c->qn--;
}

static size_t consume(struct ec_parse_dir *d, void *st, const struct ec_parse_src *s, size_t off)
{
	struct rconn *c = st;
	if (!c->roles_known)
		set_roles(d, c, s->p + off, s->n - off);
	int client = d->di == c->client_di;
	while (off < s->n && d->proto == &ec_redis_proto && !ec_parse_failed(d)) {
		long k = ec_redis_frame(s->p + off, s->n - off, client);
		if (k == 0)
			break;
		if (k < 0) {
			/* pairing is lost with the bytes: what is awaited is forgotten */
			forget(c);
			ec_parse_untyped(d, ec_parse_mark(s, off), s->p + off, s->n - off, NULL, 0,
					 1, "Redis: not a RESP value");
			d->desync = 1;
			return s->n;
		}
		d->desync = 0;
		struct ec_mark m = ec_parse_mark(s, off);
		int64_t end = ec_parse_mark(s, off + (size_t)k - 1).ts;
		if (client)
			on_command(d, c, s->p + off, (size_t)k, m, end);
		else
			on_reply(d, c, s->p + off, (size_t)k, m, end);
		off += (size_t)k;
	}
	return off;
}

static void conn_release(void *st)
{
	struct rconn *c = st;
	forget(c);
	free(c->q);
	ec_text_free(&c->t);
}

static int give_up(struct ec_parse_dir *d, void *st, const char *note, int desync,
		   const uint8_t **held, size_t *held_len)
{
	(void)d;
	(void)note;
	(void)held;
	(void)held_len;
	if (desync)
		forget(st);
	return 0;
}

/*
 * A command ("*N\r\n$M\r\n") anywhere; on the Redis port also a reply or an
 * inline command whose first value frames.
 */
static int detect(const struct ec_parse_dir *d, const uint8_t *p, size_t n)
{
	size_t i = 1;
	if (n && p[0] == '*') {
		while (i < n && i < 9 && p[i] >= '0' && p[i] <= '9')
			i++;
		if (i == n)
			return -1;
		if (i > 1 && i < 9 && p[1] != '0' && p[i] == '\r') {
			const char *rest = "\r\n$";
			size_t k = 0;
			while (k < 3 && i + k < n && p[i + k] == (uint8_t)rest[k])
				k++;
			if (k == 3)
				return 1;
			if (i + k == n)
				return -1;
		}
	}
	struct ec_parse_hint h;
	ec_parse_hint(d, &h);
	if (!redis_port(h.local_port) && !redis_port(h.remote_port))
		return 0;
	long k = ec_redis_frame(p, n, 1);
	return k > 0 ? 1 : k == 0 && n < 64 ? -1 : 0;
}

const struct ec_parse_proto ec_redis_proto = {
    .name = "redis",
    .detect = detect,
    .conn_size = sizeof(struct rconn),
    .conn_release = conn_release,
    .consume = consume,
    .busy = ec_parse_busy_never,
    .reset = ec_parse_reset_nothing,
    .give_up = give_up,
};
