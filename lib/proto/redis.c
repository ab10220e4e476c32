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
#define SUM_CUT 100   /* a summary's text, cut here */

/* ---- reading a value ---- */

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

static unsigned digits(long long n)
{
	unsigned w = 1;
	for (; n >= 10; n /= 10)
		w++;
	return w;
}

/* The bytes of a string inside redis-cli's quotes (sdscatrepr): printable ASCII, else escapes. */
static void q_body(struct ec_text *t, const uint8_t *s, size_t n)
{
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
}

/* A command's word: bare when it reads as one, else quoted. */
static void word(struct ec_text *t, const uint8_t *s, size_t n)
{
	int bare = n > 0;
	for (size_t i = 0; i < n && bare; i++)
		bare = s[i] > 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\'' && s[i] != '\\';
	if (bare) {
		ec_text_put(t, s, n);
		return;
	}
	ec_text_put(t, "\"", 1);
	q_body(t, s, n);
	ec_text_put(t, "\"", 1);
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

/* Where v's text goes now: NULL without one, once cut, or inside an attribute. */
static struct ec_text *out(const struct ec_redis_val *v)
{
	if (!v->t || ec_text_cut(v->t) || (v->depth && v->lv[v->depth - 1].mute))
		return NULL;
	return v->t;
}

static void keep(uint8_t *dst, size_t cap, size_t *dn, const uint8_t *s, size_t n)
{
	size_t room = cap - *dn, k = n < room ? n : room;
	memcpy(dst + *dn, s, k);
	*dn += k;
}

/*
 * A value of this type starts: the number of its element in the aggregate
 * around it goes out (once: an attribute before it took it), and its fact
 * slot is chosen.
 */
static void begin(struct ec_redis_val *v, uint8_t type)
{
	v->fact = -1;
	if (!v->depth) {
		if (type != '|')
			v->type = type;
		return;
	}
	struct ec_redis_level *l = &v->lv[v->depth - 1];
	struct ec_text *t = out(v);
	if (!l->shown && t) {
		if (v->command) {
			if (l->k)
				ec_text_put(t, " ", 1);
		} else if (l->type == '%' && l->k % 2) {
			ec_text_str(t, " => ");
		} else {
			if (l->k) {
				ec_text_put(t, "\n", 1);
				spaces(t, l->indent);
			}
			ec_text_fmt(t, "%*u%c ", (int)l->w, (l->type == '%' ? l->k / 2 : l->k) + 1,
				    l->type == '%'   ? '#'
				    : l->type == '~' ? '~'
						     : ')');
		}
	}
	l->shown = 1;
	if (v->depth == 1 && !l->mute && l->k < EC_REDIS_FACTS && (type == '$' || type == '+')) {
		v->fact = (int)l->k;
		v->sn[v->fact] = 0;
		v->strs |= 1u << v->fact;
	}
}

/* A value is complete: counted in the aggregates around it, closing those it fills. */
static void finish(struct ec_redis_val *v, int attr)
{
	while (v->depth && !attr) {
		struct ec_redis_level *l = &v->lv[v->depth - 1];
		l->k++;
		l->shown = 0;
		if (l->k < (uint64_t)l->n * (l->type == '%' || l->type == '|' ? 2 : 1))
			return;
		attr = l->type == '|';
		v->depth--;
	}
	/* an attribute describes the value after it, still to come */
	if (!v->depth && !attr)
		v->done = 1;
}

static void null_value(struct ec_redis_val *v, uint8_t type)
{
	begin(v, type);
	struct ec_text *t = out(v);
	if (t)
		ec_text_str(t, "(nil)");
	if (!v->depth)
		v->len = -1;
	finish(v, 0);
}

/* A value of one line (h: after the type byte, before "\r\n"). */
static void scalar(struct ec_redis_val *v, uint8_t type, const uint8_t *h, size_t hn)
{
	begin(v, type);
	struct ec_text *t = out(v);
	if (t && type == '#') {
		ec_text_str(t, h[0] == 't' ? "(true)" : "(false)");
	} else if (t && type == '_') {
		ec_text_str(t, "(nil)");
	} else if (t) {
		ec_text_str(t, type == '-'   ? "(error) "
			       : type == ':' ? "(integer) "
			       : type == '(' ? "(big number) "
			       : type == ',' ? "(double) "
					     : "");
		ec_text_put(t, h, hn);
	}
	if (!v->depth) {
		v->len = type == '_' ? -1 : 0;
		v->line_n = 0;
		keep(v->line, sizeof v->line, &v->line_n, h, hn);
	}
	if (v->fact >= 0)
		keep(v->s[v->fact], sizeof v->s[0], &v->sn[v->fact], h, hn);
	finish(v, 0);
}

/* A bulk string starts; whole: its body when it is all here (a command's word may be bare). */
static void bulk_open(struct ec_redis_val *v, uint8_t type, long long len, const uint8_t *whole)
{
	begin(v, type);
	v->btype = type;
	v->bleft = len;
	v->crlf = 2;
	v->skip = type == '=' && len >= 4 ? 4 : 0; /* a verbatim string's "txt:" */
	v->bare = 0;
	if (!v->depth) {
		v->len = len;
		v->line_n = 0;
	}
	struct ec_text *t = out(v);
	if (!t)
		return;
	if (type == '!') {
		ec_text_str(t, "(error) ");
	} else if (type == '$' && v->command && whole) {
		word(t, whole, (size_t)len);
		v->bare = 1;
	} else if (type == '$') {
		ec_text_put(t, "\"", 1);
	}
}

static void bulk_body(struct ec_redis_val *v, const uint8_t *s, size_t n)
{
	if (!v->depth && v->btype == '!')
		keep(v->line, sizeof v->line, &v->line_n, s, n);
	if (v->fact >= 0)
		keep(v->s[v->fact], sizeof v->s[0], &v->sn[v->fact], s, n);
	v->bleft -= (long long)n;
	size_t k = (size_t)v->skip < n ? (size_t)v->skip : n;
	v->skip -= (int)k;
	struct ec_text *t = out(v);
	if (!t || v->bare)
		return;
	if (v->btype == '$')
		q_body(t, s + k, n - k);
	else
		ec_text_put(t, s + k, n - k); /* errors and verbatim text as they are */
}

static void bulk_close(struct ec_redis_val *v)
{
	struct ec_text *t = out(v);
	if (t && v->btype == '$' && !v->bare)
		ec_text_put(t, "\"", 1);
	v->btype = 0;
	finish(v, 0);
}

static int agg_open(struct ec_redis_val *v, uint8_t type, long long n)
{
	if (v->depth == EC_REDIS_MAX_DEPTH)
		return -1;
	begin(v, type);
	struct ec_text *t = out(v);
	const struct ec_redis_level *up = v->depth ? &v->lv[v->depth - 1] : NULL;
	if (!up && type != '|')
		v->len = n;
	if (!n) {
		if (t && type != '|' && !v->command)
			ec_text_str(t, type == '%'   ? "(empty hash)"
				       : type == '~' ? "(empty set)"
						     : "(empty array)");
		finish(v, type == '|');
		return 0;
	}
	unsigned indent = up && !v->command ? up->indent + up->w + 2u : 0;
	/* redis-cli starts a map's value on a line of its own when the value
	 * spans lines: told here by its size, as it is not read yet */
	if (t && type != '|' && n > 1 && up && up->type == '%' && up->k % 2) {
		ec_text_put(t, "\n", 1);
		spaces(t, indent);
	}
	v->lv[v->depth++] = (struct ec_redis_level){
	    .type = type,
	    .mute = type == '|' || (up && up->mute),
	    .w = (uint8_t)digits(n),
	    .indent = (uint16_t)indent,
	    .n = (uint32_t)n,
	};
	return 0;
}

/* An inline command: a line of words ("PING\r\n"), as Redis reads one. */
static long inline_command(struct ec_redis_val *v, const uint8_t *p, size_t n)
{
	/* garbage is known bad at once, not after a line's worth of bytes */
	for (size_t i = 0; i < n && i < EC_REDIS_MAX_LINE + 2 && p[i] != '\n'; i++)
		if (p[i] < 0x20 && p[i] != '\t' && p[i] != '\r')
			return -1;
	size_t e, end;
	int r = find_line(p, n, &e);
	if (r <= 0)
		return r;
	end = e && p[e - 1] == '\r' ? e - 1 : e;
	v->type = 0;
	v->len = 0;
	for (size_t i = 0; i < end;) {
		while (i < end && (p[i] == ' ' || p[i] == '\t'))
			i++;
		size_t j = i;
		while (j < end && p[j] != ' ' && p[j] != '\t')
			j++;
		if (j > i) {
			if (v->t) {
				if (v->len)
					ec_text_put(v->t, " ", 1);
				word(v->t, p + i, j - i);
			}
			if (v->len < EC_REDIS_FACTS) {
				v->sn[v->len] = 0;
				keep(v->s[v->len], sizeof v->s[0], &v->sn[v->len], p + i, j - i);
				v->strs |= 1u << v->len;
			}
			v->len++;
		}
		i = j;
	}
	v->done = 1;
	return (long)e + 1;
}

/* One line of a value (a short bulk with its body): bytes taken, 0 need more, -1 not RESP. */
static long unit(struct ec_redis_val *v, const uint8_t *p, size_t n)
{
	if (v->command && !v->depth && p[0] != '*')
		return inline_command(v, p, n);
	/* a command's arguments are bulk strings (Redis closes the connection otherwise) */
	if (v->command ? v->depth && p[0] != '$' : !p[0] || !strchr("+-:$_,#(!=%~>|*", p[0]))
		return -1;
	size_t e;
	int r = find_line(p, n, &e);
	if (r <= 0)
		return r;
	if (e < 2 || p[e - 1] != '\r')
		return -1;
	const uint8_t *h = p + 1;
	size_t hn = e - 2, ln = e + 1;
	long long len = 0;
	switch (p[0]) {
	case '+':
	case '-':
		break;
	case ':':
		if (parse_int(h, hn, &len))
			return -1;
		break;
	case '(':
		if (!hn || !all_of(h + (h[0] == '-'), hn - (h[0] == '-'), "0123456789"))
			return -1;
		break;
	case ',':
		if (!hn || !all_of(h, hn, "0123456789+-.eEinfa"))
			return -1;
		break;
	case '#':
		if (hn != 1 || (h[0] != 't' && h[0] != 'f'))
			return -1;
		break;
	case '_':
		if (hn)
			return -1;
		break;
	case '$':
	case '!':
	case '=':
		if (parse_int(h, hn, &len))
			return -1;
		if (len == -1 && p[0] == '$' && !v->command) {
			null_value(v, '$');
			return (long)ln;
		}
		if (len < 0 || len > EC_REDIS_MAX_BULK)
			return -1;
		if (len > EC_REDIS_WHOLE_BULK || !v->command) {
			/* its body streams (only a command's word is shown bare when it
			 * can be: that needs all of it) */
			bulk_open(v, p[0], len, NULL);
			return (long)ln;
		}
		if (n - ln < (size_t)len + 2)
			return 0;
		if (p[ln + (size_t)len] != '\r' || p[ln + (size_t)len + 1] != '\n')
			return -1;
		bulk_open(v, p[0], len, p + ln);
		bulk_body(v, p + ln, (size_t)len);
		bulk_close(v);
		return (long)(ln + (size_t)len + 2);
	default: /* the aggregates */
		if (parse_int(h, hn, &len))
			return -1;
		if (v->command && (len == 0 || len == -1)) {
			/* Redis skips an empty command: no reply comes */
			v->type = '*';
			v->len = 0;
			v->done = 1;
			return (long)ln;
		}
		if (len == -1 && p[0] == '*') {
			null_value(v, '*');
			return (long)ln;
		}
		if (len < 0 || len > INT32_MAX)
			return -1;
		return agg_open(v, p[0], len) ? -1 : (long)ln;
	}
	scalar(v, p[0], h, hn);
	return (long)ln;
}

long ec_redis_feed(struct ec_redis_val *v, const uint8_t *p, size_t n)
{
	size_t off = 0;
	long r = 0;
	while (!v->done && off < n) {
		if (v->btype && v->bleft) {
			size_t k =
			    (unsigned long long)v->bleft < n - off ? (size_t)v->bleft : n - off;
			bulk_body(v, p + off, k);
			off += k;
		} else if (v->btype) {
			if (p[off] != (v->crlf == 2 ? '\r' : '\n')) {
				r = -1;
				break;
			}
			off++;
			if (!--v->crlf)
				bulk_close(v);
		} else {
			long k = unit(v, p + off, n - off);
			if (k <= 0) {
				r = k;
				break;
			}
			off += (size_t)k;
		}
	}
	v->wire += off;
	return r < 0 ? -1 : (long)off;
}

long ec_redis_frame(const uint8_t *p, size_t n, int command)
{
	struct ec_redis_val v = {.command = command};
	long k = ec_redis_feed(&v, p, n);
	return k < 0 ? -1 : v.done ? k : 0;
}

void ec_redis_render(struct ec_text *t, const uint8_t *p, size_t n, int command)
{
	struct ec_redis_val v = {.command = command, .t = t};
	ec_redis_feed(&v, p, n);
}

/* ---- the decoder ec-parse drives (lib/proto/parse.h) ---- */

/* A command awaiting its reply. */
struct pending {
	struct ec_parse_exchange x;
	long long channels; /* a (P|S)(UN)SUBSCRIBE's: as many confirmations come */
};

/* One direction's value in progress (v NULL between values). */
struct rside {
	struct ec_redis_val *v;
	struct ec_text t;
	struct ec_mark m; /* its first byte */
};

struct rconn {
	int roles_known, client_di;
	unsigned db;		 /* SELECTed */
	struct ec_parse_queue q; /* of struct pending: commands awaiting their reply */
	uint64_t beyond;	 /* commands past QMAX: their replies go unpaired */
	long long confirms;	 /* (un)subscribe confirmations still to come as pushes */
	struct rside side[2];
};

static int redis_port(uint32_t port)
{
	return port == 6379 || port == 6380;
}

static int is_word(const uint8_t *s, size_t n, const char *w)
{
	return n == strlen(w) && !strncasecmp((const char *)s, w, n);
}

static int is_any(const uint8_t *s, size_t n, const char *const *ws)
{
	for (; *ws; ws++)
		if (is_word(s, n, *ws))
			return 1;
	return 0;
}

static const char *const subscribes[] = {
    "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe", NULL};
static const char *const messages[] = {"message", "pmessage", "smessage", NULL};

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
	while (c->q.n) {
		ec_parse_exchange_clear(&((struct pending *)ec_parse_queue_head(&c->q))->x);
		ec_parse_queue_pop(&c->q);
	}
	c->beyond = 0;
	c->confirms = 0;
}

static char *dup_n(const char *s, size_t n)
{
	char *r = ec_xmalloc(n + 1);
	memcpy(r, s, n);
	r[n] = 0;
	return r;
}

/* Bytes that are not printable ASCII read as '?' in a summary. */
static void printable(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			*s = '?';
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

static void put_out(struct ec_parse_out *o, const struct rside *sd, const char *note)
{
	o->m = sd->m;
	o->a = (const uint8_t *)ec_text_get(&sd->t);
	o->an = sd->t.len;
	o->note = note;
	if (ec_text_cut(&sd->t) || note) {
		o->truncated = 1;
		o->orig_length = sd->v->wire;
	}
}

/* A command (note: what cut it short, its reply not awaited). */
static void on_command(struct ec_parse_dir *d, struct rconn *c, struct rside *sd, int64_t end,
		       const char *note)
{
	const struct ec_redis_val *v = sd->v;
	if (!v->len)
		return; /* an empty command: the server skips it, no reply comes */
	struct pending pd = {.x = {.req_end = end}};
	size_t mn = v->strs & 1 ? (v->sn[0] < 32 ? v->sn[0] : 32) : 0;
	pd.x.method = dup_n((const char *)v->s[0], mn);
	for (char *q = pd.x.method; *q; q++)
		*q = (char)toupper((unsigned char)*q);
	printable(pd.x.method);
	pd.x.path = dup_n(ec_text_get(&sd->t), sd->t.len < PATH_MAX_ ? sd->t.len : PATH_MAX_);
	long long db;
	if (!strcmp(pd.x.method, "SELECT") && v->strs & 2 && !parse_int(v->s[1], v->sn[1], &db) &&
	    db >= 0 && db < 1 << 16)
		c->db = (unsigned)db;
	else if (!strcmp(pd.x.method, "RESET"))
		c->db = 0;
	pd.channels = v->len - 1;
	pd.x.authority = server_of(d, c);
	struct ec_parse_out o = {.type = EC_TYPE_REDIS_REQUEST};
	put_out(&o, sd, note);
	if (note || c->beyond || c->q.n == QMAX) {
		/* too many awaiting: this one and its reply go unpaired, in order */
		if (!note)
			c->beyond++;
		ec_parse_emit(d, &o);
		ec_parse_exchange_clear(&pd.x);
		return;
	}
	pd.x.id = ec_parse_exchange_id(d);
	struct pending *slot = ec_parse_queue_push(&c->q, &pd, sizeof pd);
	o.asks = &slot->x;
	ec_parse_emit(d, &o);
}

/* The outcome in words: "OK", "12 bytes", "(integer) 3", "nil", "3 items", an error's text. */
static void summarize(char *b, size_t cap, const struct ec_redis_val *v, int *failed)
{
	int cut = (int)(v->line_n < SUM_CUT ? v->line_n : SUM_CUT);
	const char *line = (const char *)v->line;
	b[0] = 0;
	switch (v->type) {
	case 0:
		return; /* cut before its type */
	case '-':
	case '!':
		*failed = 1;
		/* fall through */
	case '+':
		snprintf(b, cap, "%.*s", cut, line);
		printable(b);
		return;
	case ':':
	case ',':
	case '(':
		snprintf(b, cap, "(%s) %.*s",
			 v->type == ':'	  ? "integer"
			 : v->type == ',' ? "double"
					  : "big number",
			 cut, line);
		return;
	case '#':
		snprintf(b, cap, "%s", v->line_n && line[0] == 't' ? "true" : "false");
		return;
	default:
		break;
	}
	if (v->len < 0)
		snprintf(b, cap, "nil");
	else if (v->type == '$' || v->type == '=')
		snprintf(b, cap, "%lld byte%s", v->len, v->len == 1 ? "" : "s");
	else
		snprintf(b, cap, "%lld %s%s", v->len, v->type == '%' ? "pair" : "item",
			 v->len == 1 ? "" : "s");
}

/*
 * A reply: it answers the oldest command, unless it is a push. Pub/sub:
 * messages are pushes, and so are a (un)subscribe's confirmations after
 * the one that answers it (one per channel it names).
 */
static void on_reply(struct ec_parse_dir *d, struct rconn *c, struct rside *sd, int64_t end,
		     const char *note)
{
	const struct ec_redis_val *v = sd->v;
	char sum[2 * SUM_CUT];
	int failed = 0;
	summarize(sum, sizeof sum, v, &failed);
	struct pending *pp = ec_parse_queue_head(&c->q);
	int push = v->type == '>';
	if ((v->type == '*' || v->type == '>') && v->strs & 1) {
		const uint8_t *kind = v->s[0];
		size_t kn = v->sn[0];
		int confirm = is_any(kind, kn, subscribes);
		if (is_any(kind, kn, messages))
			push = 1;
		else if (confirm && c->confirms > 0)
			push = 1, c->confirms--;
		else if (confirm)
			push = !pp || !is_word(kind, kn, pp->x.method);
		if (confirm && !push)
			c->confirms = pp->channels - 1;
		if (push) {
			/* "message CHANNEL": the channel is after a pmessage's pattern */
			int ch = is_word(kind, kn, "pmessage") ? 2 : 1;
			int chn = v->strs >> ch & 1
				      ? (int)(v->sn[ch] < SUM_CUT ? v->sn[ch] : SUM_CUT)
				      : 0;
			snprintf(sum, sizeof sum, "%.*s%s%.*s", (int)(kn < 16 ? kn : 16),
				 (const char *)kind, chn ? " " : "", chn, (const char *)v->s[ch]);
			printable(sum);
		}
	}
	struct ec_parse_out o = {.type = EC_TYPE_REDIS_RESPONSE,
				 .summary = sum[0] ? sum : NULL,
				 .failed = failed,
				 .end_ts = end};
	put_out(&o, sd, note);
	if (push) {
		o.note = note ? note : "push";
		ec_parse_emit(d, &o);
		return;
	}
	if (!pp) {
		/* asked before the capture, or past QMAX */
		if (c->beyond)
			c->beyond--;
		ec_parse_emit(d, &o);
		return;
	}
	o.answers = &pp->x;
	ec_parse_emit(d, &o);
	ec_parse_exchange_clear(&pp->x);
	ec_parse_queue_pop(&c->q);
}

static void side_close(struct rside *sd)
{
	/* between values a direction holds nothing: most connections are idle */
	free(sd->v);
	sd->v = NULL;
	ec_text_free(&sd->t);
}

/* The value out (note: what cut it short), and the direction ready for the next. */
static void on_value(struct ec_parse_dir *d, struct rconn *c, int64_t end, const char *note)
{
	struct rside *sd = &c->side[d->di];
	if (d->di == c->client_di)
		on_command(d, c, sd, end, note);
	else
		on_reply(d, c, sd, end, note);
	side_close(sd);
}

static size_t consume(struct ec_parse_dir *d, void *st, const struct ec_parse_src *s, size_t off)
{
	struct rconn *c = st;
	if (!c->roles_known)
		set_roles(d, c, s->p + off, s->n - off);
	struct rside *sd = &c->side[d->di];
	while (off < s->n && d->proto == &ec_redis_proto && !ec_parse_failed(d)) {
		if (!sd->v) {
			sd->v = ec_xcalloc(1, sizeof *sd->v);
			sd->v->command = d->di == c->client_di;
			sd->v->t = &sd->t;
			ec_text_reset(&sd->t, d->o->max_body);
			sd->m = d->start = ec_parse_mark(s, off);
		}
		long k = ec_redis_feed(sd->v, s->p + off, s->n - off);
		if (k < 0) {
			/* pairing is lost with the bytes: what is awaited is forgotten */
			if (sd->v->wire)
				on_value(d, c, 0, "Redis: cut by bytes that are not RESP");
			side_close(sd);
			forget(c);
			ec_parse_untyped(d, ec_parse_mark(s, off), s->p + off, s->n - off, NULL, 0,
					 1, "Redis: not a RESP value");
			d->desync = 1;
			return s->n;
		}
		if (k)
			d->desync = 0;
		off += (size_t)k;
		if (!sd->v->done)
			break; /* the rest comes with the next bytes */
		on_value(d, c, ec_parse_mark(s, off - 1).ts, NULL);
	}
	return off;
}

static void conn_release(void *st)
{
	struct rconn *c = st;
	forget(c);
	ec_parse_queue_free(&c->q);
	for (int i = 0; i < 2; i++) {
		free(c->side[i].v);
		ec_text_free(&c->side[i].t);
	}
}

/* A value partly read: its bytes were taken, its text is held here. */
static int busy(const void *st, int di)
{
	const struct rconn *c = st;
	return c->side[di].v && c->side[di].v->wire;
}

static void reset(void *st, int di)
{
	struct rconn *c = st;
	side_close(&c->side[di]);
}

static int give_up(struct ec_parse_dir *d, void *st, const char *note, int desync,
		   const uint8_t **held, size_t *held_len)
{
	struct rconn *c = st;
	(void)held;
	(void)held_len;
	int r = busy(c, d->di);
	if (r)
		on_value(d, c, 0, note); /* what was read of it, typed */
	side_close(&c->side[d->di]);
	if (desync)
		forget(c);
	return r;
}

/*
 * A command ("*N\r\n$M\r\n") anywhere; on the Redis port also a reply or an
 * inline command whose first value frames as what that end sends.
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
	if (redis_port(h.local_port) == redis_port(h.remote_port))
		return 0;
	long k = ec_redis_frame(p, n, h.sent == redis_port(h.remote_port));
	return k > 0 ? 1 : k == 0 && n < 64 ? -1 : 0;
}

const struct ec_parse_proto ec_redis_proto = {
    .name = "redis",
    .detect = detect,
    .conn_size = sizeof(struct rconn),
    .conn_release = conn_release,
    .consume = consume,
    .busy = busy,
    .reset = reset,
    .give_up = give_up,
};
