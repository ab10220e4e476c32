// SPDX-License-Identifier: GPL-2.0-only
#include "pgsql.h"
#include "cursor.h"
#include "error.h"
#include "parse.h"
#include "record.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PG_PORT 5432
#define FE 1 /* the frontend (client) sends it */
#define BE 2 /* the backend (server) */
#define MAX_STARTUP 10000
#define MAX_MSG 0x40000000u /* the server's own limit: 1 GiB */
#define PENDQ 64	    /* requests awaiting ReadyForQuery (pipelining) */
#define NSTMT 64	    /* prepared statements remembered per connection */
#define PATH_CAP 1024	    /* bytes of SQL (and parameters) in the path */
#define VAL_CAP 64	    /* bytes of one parameter value in the path */
#define NFMT 256	    /* columns whose format code is kept */
#define DETECT_WAIT 65536   /* a first message shorter than this is checked whole */
#define CODE_CANCEL 80877102u
#define CODE_SSL 80877103u
#define CODE_GSS 80877104u

/* Rendered text, cut at a limit; want counts what it would have held. */
struct text {
	char *p;
	size_t n, cap, want;
};

/* One direction: the message being read and the request or response being built. */
struct side {
	int in_msg; /* a typed message's body is being read */
	uint8_t type;
	uint32_t blen, left; /* body length; bytes still to read */
	size_t keep;	     /* body bytes kept */
	uint8_t *body;
	size_t bn, bcap;
	struct ec_mark mstart; /* the message's first byte */
	int64_t last_ts;       /* the last byte consumed */
	int open;	       /* a request or response is being built */
	int alone;	       /* the message in progress belongs to no exchange */
	struct text t;
	/* COPY: data messages counted */
	int copying;
	uint64_t copy_msgs, copy_bytes;
	struct ec_mark copy_start;
	struct text ct;
};

struct stmt {
	char *name, *sql;
};

struct pgconn {
	int roles, fe; /* roles known; the frontend's direction */
	struct side s[2];
	struct ec_parse_exchange *q[PENDQ];
	unsigned qhead, qlen;
	char *authority; /* user@database */
	struct stmt stmts[NSTMT];
	unsigned stmt_next;
	int32_t auth;	/* the last authentication request: what 'p' answers */
	int ssl_wait;	/* an SSLRequest (1) or GSSENCRequest (2) awaits its one byte */
	int copy_in;	/* CopyInResponse seen: the frontend sends data */
	int in_startup; /* between StartupMessage and the first ReadyForQuery */
	/* the frontend's request: its statement (rank: Bind > Parse > Query) */
	char *sql;
	int sql_rank;
	const char *method; /* set for what is not SQL (STARTUP, AUTH...) */
	char *params;	    /* the first Bind's parameters, for the path */
	/* the backend's response */
	char summary[80];
	int failed, has_tag, empty, suspended;
	unsigned ncols;
	uint8_t fmt[NFMT];
};

/* ---- text ---- */

static void tput(struct text *t, size_t lim, const void *p, size_t n)
{
	size_t room = t->n < lim ? lim - t->n : 0, k = n < room ? n : room;
	t->want += n;
	if (!k)
		return;
	if (t->n + k > t->cap) {
		size_t nc = t->cap ? t->cap : 256;
		while (nc < t->n + k)
			nc *= 2;
		t->p = ec_xrealloc(t->p, nc);
		t->cap = nc;
	}
	memcpy(t->p + t->n, p, k);
	t->n += k;
}

static void tstr(struct text *t, size_t lim, const char *s)
{
	tput(t, lim, s, strlen(s));
}

static void tfmt(struct text *t, size_t lim, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void tfmt(struct text *t, size_t lim, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (k > 0)
		tput(t, lim, buf, (size_t)k < sizeof buf ? (size_t)k : sizeof buf - 1);
}

static void tclear(struct text *t)
{
	t->n = t->want = 0;
	if (t->cap > 65536) {
		free(t->p);
		t->p = NULL;
		t->cap = 0;
	}
}

/* A value as SQL would quote it: 'it''s', NULL, or x'00ff' for binary. */
static void tval(struct text *t, size_t lim, const uint8_t *v, int32_t len, size_t have, int binary,
		 size_t show)
{
	if (len < 0) {
		tstr(t, lim, "NULL");
		return;
	}
	size_t n = (size_t)len < have ? (size_t)len : have, k = n < show ? n : show;
	tstr(t, lim, binary ? "x'" : "'");
	for (size_t i = 0; i < k; i++) {
		if (binary)
			tfmt(t, lim, "%02x", v[i]);
		else
			tput(t, lim, v[i] == '\'' ? "''" : (const char *)v + i,
			     v[i] == '\'' ? 2 : 1);
	}
	tstr(t, lim, k < (size_t)len ? "...'" : "'");
}

/* ---- SQL facts ---- */

/* The SQL with each run of whitespace one space, trimmed, cut at cap bytes. */
static char *collapse(const uint8_t *p, size_t n, size_t cap)
{
	char *o = ec_xmalloc((n < cap ? n : cap) + 4);
	size_t k = 0;
	int sp = 0;
	for (size_t i = 0; i < n && k < cap; i++) {
		int ws = p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n' ||
			 p[i] == '\f' || p[i] == '\v';
		if (ws) {
			sp = k > 0;
			continue;
		}
		if (sp && k < cap)
			o[k++] = ' ';
		sp = 0;
		if (k < cap)
			o[k++] = (char)p[i];
	}
	if (k == cap) {
		while (k && ((uint8_t)o[k - 1] & 0xc0) == 0x80)
			k--; /* not inside a UTF-8 sequence */
		if (k && (uint8_t)o[k - 1] >= 0xc0)
			k--;
		memcpy(o + k, "...", 3);
		k += 3;
	}
	o[k] = 0;
	return o;
}

/* The first keyword of a statement, upper case, past comments and '('; NULL if none. */
static char *keyword(const char *s)
{
	for (;;) {
		while (*s == ' ' || *s == '(')
			s++;
		if (s[0] == '-' && s[1] == '-') {
			const char *e = strchr(s, '\n'); /* (collapsed: rarely still there) */
			if (!e)
				return NULL;
			s = e + 1;
		} else if (s[0] == '/' && s[1] == '*') {
			const char *e = strstr(s + 2, "*/");
			if (!e)
				return NULL;
			s = e + 2;
		} else {
			break;
		}
	}
	size_t k = 0;
	while (k < 32 &&
	       ((s[k] >= 'A' && s[k] <= 'Z') || (s[k] >= 'a' && s[k] <= 'z') || s[k] == '_'))
		k++;
	if (!k)
		return NULL;
	char *m = ec_xmalloc(k + 1);
	for (size_t i = 0; i < k; i++)
		m[i] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i]);
	m[k] = 0;
	return m;
}

/* The statement of the current request, kept when no better one is known. */
static void set_sql(struct pgconn *c, int rank, const uint8_t *p, size_t n)
{
	if (c->sql && c->sql_rank >= rank)
		return;
	free(c->sql);
	c->sql = collapse(p, n, PATH_CAP);
	c->sql_rank = rank;
}

/* A request that is not SQL: its method and path, whatever came before. */
static void not_sql(struct pgconn *c, const char *method, const char *path)
{
	free(c->sql);
	c->sql = ec_xstrdup(path);
	c->sql_rank = 4;
	c->method = method;
}

static const char *type_name(uint32_t oid)
{
	static const struct {
		uint32_t oid;
		const char *name;
	} t[] = {{16, "bool"},	      {17, "bytea"},	     {18, "char"},	{19, "name"},
		 {20, "int8"},	      {21, "int2"},	     {23, "int4"},	{25, "text"},
		 {26, "oid"},	      {114, "json"},	     {700, "float4"},	{701, "float8"},
		 {1042, "bpchar"},    {1043, "varchar"},     {1082, "date"},	{1083, "time"},
		 {1114, "timestamp"}, {1184, "timestamptz"}, {1700, "numeric"}, {2950, "uuid"},
		 {3802, "jsonb"}};
	for (size_t i = 0; i < sizeof t / sizeof *t; i++)
		if (t[i].oid == oid)
			return t[i].name;
	return NULL;
}

/* ---- prepared statements ---- */

static struct stmt *stmt_find(struct pgconn *c, const uint8_t *name, size_t n)
{
	for (unsigned i = 0; i < NSTMT; i++)
		if (c->stmts[i].name && strlen(c->stmts[i].name) == n &&
		    !memcmp(c->stmts[i].name, name, n))
			return &c->stmts[i];
	return NULL;
}

static void stmt_forget(struct stmt *s)
{
	free(s->name);
	free(s->sql);
	s->name = s->sql = NULL;
}

static void stmt_put(struct pgconn *c, const uint8_t *name, size_t n, const uint8_t *sql, size_t sn)
{
	struct stmt *s = stmt_find(c, name, n);
	if (!s) {
		/* the oldest goes when all are taken */
		s = &c->stmts[c->stmt_next];
		c->stmt_next = (c->stmt_next + 1) % NSTMT;
		stmt_forget(s);
		s->name = ec_xmalloc(n + 1);
		memcpy(s->name, name, n);
		s->name[n] = 0;
	}
	free(s->sql);
	s->sql = collapse(sql, sn, PATH_CAP);
}

/* ---- the exchanges awaiting an answer ---- */

static void q_pop(struct pgconn *c)
{
	if (!c->qlen)
		return;
	ec_parse_exchange_clear(c->q[c->qhead]);
	free(c->q[c->qhead]);
	c->qhead = (c->qhead + 1) % PENDQ;
	c->qlen--;
}

static void q_push(struct pgconn *c, const struct ec_parse_exchange *x)
{
	if (c->qlen == PENDQ)
		q_pop(c);
	struct ec_parse_exchange *k = ec_xmalloc(sizeof *k);
	*k = *x;
	c->q[(c->qhead + c->qlen) % PENDQ] = k;
	c->qlen++;
}

static struct ec_parse_exchange *q_head(struct pgconn *c)
{
	return c->qlen ? c->q[c->qhead] : NULL;
}

/* ---- message shapes ---- */

static int cstr(struct ec_cur *cu, const uint8_t **s, size_t *n)
{
	size_t k;
	if (ec_cur_find(cu, 0, &k))
		return EC_ERR_TRUNCATED;
	*s = ec_cur_ptr(cu);
	*n = k;
	return ec_cur_skip(cu, k + 1);
}

static int skip_cstr(struct ec_cur *cu)
{
	const uint8_t *s;
	size_t n;
	return cstr(cu, &s, &n);
}

/* n values of (int32 length, bytes), -1 a NULL. */
static int skip_values(struct ec_cur *cu, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint32_t l;
		if (ec_cur_be32(cu, &l))
			return EC_ERR_TRUNCATED;
		if (l != 0xffffffffu && ec_cur_skip(cu, l))
			return EC_ERR_TRUNCATED;
	}
	return 0;
}

static int skip16s(struct ec_cur *cu, uint16_t *n, size_t each)
{
	return ec_cur_be16(cu, n) || ec_cur_skip(cu, (size_t)*n * each) ? EC_ERR_TRUNCATED : 0;
}

/* Whether type is a message role sends. */
static int type_ok(int role, uint8_t t)
{
	return strchr(role == FE ? "QPBDECHSFXpdcf" : "RSKZTDCEN123nItsGHWdcAVv", t) && t;
}

/* Whether a whole message body has the shape its type asks for. */
static int shape_ok(int role, uint8_t t, const uint8_t *p, size_t n)
{
	struct ec_cur cu;
	uint16_t k, j;
	uint32_t v;
	uint8_t b;
	ec_cur_init(&cu, p, n);
	if (role == FE) {
		switch (t) {
		case 'Q':
		case 'f':
			if (skip_cstr(&cu))
				return 0;
			break;
		case 'P':
			if (skip_cstr(&cu) || skip_cstr(&cu) || skip16s(&cu, &k, 4))
				return 0;
			break;
		case 'B':
			if (skip_cstr(&cu) || skip_cstr(&cu) || skip16s(&cu, &k, 2) ||
			    ec_cur_be16(&cu, &j) || skip_values(&cu, j) || skip16s(&cu, &k, 2))
				return 0;
			break;
		case 'D':
		case 'C':
			if (ec_cur_u8(&cu, &b) || (b != 'S' && b != 'P') || skip_cstr(&cu))
				return 0;
			break;
		case 'E':
			if (skip_cstr(&cu) || ec_cur_be32(&cu, &v))
				return 0;
			break;
		case 'F':
			if (ec_cur_be32(&cu, &v) || skip16s(&cu, &k, 2) || ec_cur_be16(&cu, &j) ||
			    skip_values(&cu, j) || ec_cur_be16(&cu, &k))
				return 0;
			break;
		case 'p':
		case 'd':
			return 1;
		}
		return ec_cur_left(&cu) == 0;
	}
	switch (t) {
	case 'R':
		if (ec_cur_be32(&cu, &v))
			return 0;
		if (v == 5)
			return ec_cur_skip(&cu, 4) == 0 && !ec_cur_left(&cu);
		if (v == 8 || v == 10 || v == 11 || v == 12)
			return 1;
		if (v != 0 && v != 2 && v != 3 && v != 6 && v != 7 && v != 9)
			return 0;
		break;
	case 'S':
	case 'A':
		if ((t == 'A' && ec_cur_be32(&cu, &v)) || skip_cstr(&cu) || skip_cstr(&cu))
			return 0;
		break;
	case 'K':
		return n >= 8 && n <= 264;
	case 'Z':
		return n == 1 && (p[0] == 'I' || p[0] == 'T' || p[0] == 'E');
	case 'T':
		if (ec_cur_be16(&cu, &k))
			return 0;
		for (unsigned i = 0; i < k; i++)
			if (skip_cstr(&cu) || ec_cur_skip(&cu, 18))
				return 0;
		break;
	case 'D':
		if (ec_cur_be16(&cu, &k) || skip_values(&cu, k))
			return 0;
		break;
	case 'C':
		if (skip_cstr(&cu))
			return 0;
		break;
	case 'E':
	case 'N':
		for (;;) {
			if (ec_cur_u8(&cu, &b))
				return 0;
			if (!b)
				break;
			if (skip_cstr(&cu))
				return 0;
		}
		break;
	case 't':
		if (skip16s(&cu, &k, 4))
			return 0;
		break;
	case 'G':
	case 'H':
	case 'W':
		if (ec_cur_u8(&cu, &b) || b > 1 || skip16s(&cu, &k, 2))
			return 0;
		break;
	case 'V':
		if (skip_values(&cu, 1))
			return 0;
		break;
	case 'v':
		if (ec_cur_be32(&cu, &v) || ec_cur_be32(&cu, &v))
			return 0;
		for (uint32_t i = 0; i < v; i++)
			if (skip_cstr(&cu))
				return 0;
		break;
	case 'd':
		return 1;
	}
	return ec_cur_left(&cu) == 0;
}

/* An untyped message (StartupMessage, SSLRequest, ...): 1, 0 not, -1 too short. */
static int untyped_ok(const uint8_t *p, size_t n)
{
	struct ec_cur cu;
	uint32_t len, code;
	ec_cur_init(&cu, p, n);
	if (ec_cur_be32(&cu, &len))
		return n && p[0] == 0 ? -1 : 0;
	if (len < 8 || len > MAX_STARTUP)
		return 0;
	if (ec_cur_be32(&cu, &code))
		return -1;
	if (code == CODE_SSL || code == CODE_GSS)
		return len == 8;
	if (code == CODE_CANCEL)
		return len >= 16 && len <= 16 + 256;
	if (code >> 16 != 3)
		return 0;
	if (n < len)
		return -1;
	/* name=value pairs (a "user" among them), then a NUL */
	ec_cur_init(&cu, p + 8, len - 8);
	int user = 0;
	for (;;) {
		const uint8_t *k, *v;
		size_t kn, vn;
		if (cstr(&cu, &k, &kn))
			return 0;
		if (!kn)
			break;
		if (cstr(&cu, &v, &vn))
			return 0;
		for (size_t i = 0; i < kn; i++)
			if (k[i] < 0x21 || k[i] > 0x7e)
				return 0;
		user |= kn == 4 && !memcmp(k, "user", 4);
	}
	return user && !ec_cur_left(&cu);
}

/* A typed message at p for role: 1 valid, 0 not, -1 too short to tell. */
static int typed_ok(int role, const uint8_t *p, size_t n)
{
	struct ec_cur cu;
	uint8_t t;
	uint32_t len;
	ec_cur_init(&cu, p, n);
	if (ec_cur_u8(&cu, &t))
		return -1;
	if (!type_ok(role, t))
		return 0;
	if (ec_cur_be32(&cu, &len))
		return -1;
	if (len < 4 || len > MAX_MSG)
		return 0;
	if (n - 1 >= len)
		return shape_ok(role, t, p + 5, len - 4);
	return len < DETECT_WAIT ? -1 : 1;
}

/* Which end sent the bytes, from port 5432: FE, BE, or 0 when no port says. */
static int port_role(const struct ec_parse_dir *d)
{
	struct ec_parse_hint h;
	ec_parse_hint(d, &h);
	int server = h.local_port == PG_PORT && h.remote_port != PG_PORT;
	int client = h.remote_port == PG_PORT && h.local_port != PG_PORT;
	if (!server && !client)
		return 0;
	return (h.sent ? server : client) ? BE : FE;
}

/* FE or BE: who sent the connection's first bytes; 0 not PostgreSQL; -1 too short. */
static int classify(const struct ec_parse_dir *d, const uint8_t *p, size_t n)
{
	int u = untyped_ok(p, n);
	if (u)
		return u > 0 ? FE : -1;
	int role = port_role(d);
	if (!role)
		return 0;
	int r = typed_ok(role, p, n);
	return r > 0 ? role : r;
}

/* ---- emitting ---- */

static void put_text(struct ec_parse_dir *d, struct ec_parse_out *o, const struct text *t,
		     char *note, size_t cap)
{
	o->a = t->n ? (const uint8_t *)t->p : (const uint8_t *)"";
	o->an = t->n;
	if (t->want > t->n) {
		char tmp[96];
		snprintf(tmp, sizeof tmp, "rendering cut at %zu of %zu bytes", t->n, t->want);
		ec_parse_note(note, cap, tmp);
		o->truncated = 1;
		o->orig_length = t->want;
		ec_parse_cut(d, "a PostgreSQL rendering");
	}
	o->note = note;
}

/*
 * The frontend's request out. push: an answer (ReadyForQuery, an
 * authentication request, the SSL byte) will come, so it waits in the
 * queue; else it is of no exchange.
 */
static void end_request(struct ec_parse_dir *d, struct pgconn *c, int push, const char *why)
{
	struct side *sd = &c->s[d->di];
	struct ec_parse_exchange x = {0};
	char note[200] = "";
	x.id = push ? ec_parse_exchange_id(d) : 0;
	x.req_end = sd->last_ts;
	x.authority = c->authority ? ec_xstrdup(c->authority) : NULL;
	if (c->method)
		x.method = ec_xstrdup(c->method);
	if (c->sql) {
		if (!x.method)
			x.method = keyword(c->sql);
		if (c->params) {
			size_t n = strlen(c->sql) + strlen(c->params) + 1;
			x.path = ec_xmalloc(n);
			snprintf(x.path, n, "%s%s", c->sql, c->params);
		} else {
			x.path = ec_xstrdup(c->sql);
		}
	}
	if (why)
		ec_parse_note(note, sizeof note, why);
	struct ec_parse_out o = {.type = EC_TYPE_PGSQL_REQUEST, .m = d->start, .asks = &x};
	put_text(d, &o, &sd->t, note, sizeof note);
	ec_parse_emit(d, &o);
	if (push)
		q_push(c, &x);
	else
		ec_parse_exchange_clear(&x);
	tclear(&sd->t);
	sd->open = 0;
	free(c->sql);
	free(c->params);
	c->sql = c->params = NULL;
	c->sql_rank = 0;
	c->method = NULL;
}

/* A request of its own, not part of a batch (Terminate, CancelRequest). */
static void lone_request(struct ec_parse_dir *d, struct pgconn *c, const char *method,
			 const char *path, const char *text)
{
	struct side *sd = &c->s[d->di];
	struct ec_parse_exchange x = {0};
	x.req_end = sd->last_ts;
	x.method = ec_xstrdup(method);
	x.path = ec_xstrdup(path);
	x.authority = c->authority ? ec_xstrdup(c->authority) : NULL;
	struct ec_parse_out o = {.type = EC_TYPE_PGSQL_REQUEST, .m = sd->mstart, .asks = &x};
	o.a = (const uint8_t *)text;
	o.an = strlen(text);
	ec_parse_emit(d, &o);
	ec_parse_exchange_clear(&x);
}

static void copy_counts(struct side *sd, size_t lim, struct text *t)
{
	if (sd->copy_msgs)
		tfmt(t, lim, "CopyData: %llu messages, %llu bytes\n",
		     (unsigned long long)sd->copy_msgs, (unsigned long long)sd->copy_bytes);
	sd->copy_msgs = sd->copy_bytes = 0;
}

/* The frontend's COPY data out, as a request of the exchange being answered. */
static void end_copy_in(struct ec_parse_dir *d, struct pgconn *c, const char *why)
{
	struct side *sd = &c->s[d->di];
	struct ec_parse_exchange none = {0}, *x = q_head(c) ? q_head(c) : &none;
	char note[200] = "";
	struct text t = {0};
	copy_counts(sd, d->o->max_body, &t);
	tput(&t, d->o->max_body, sd->ct.p, sd->ct.n);
	if (why)
		ec_parse_note(note, sizeof note, why);
	struct ec_parse_out o = {.type = EC_TYPE_PGSQL_REQUEST, .m = sd->copy_start, .asks = x};
	put_text(d, &o, &t, note, sizeof note);
	ec_parse_emit(d, &o);
	free(t.p);
	tclear(&sd->ct);
	sd->copying = 0;
}

/* The backend's response out: it answers the oldest request waiting. */
static void end_response(struct ec_parse_dir *d, struct pgconn *c, const char *why)
{
	struct side *sd = &c->s[d->di];
	char note[200] = "";
	if (sd->copy_msgs)
		copy_counts(sd, d->o->max_body, &sd->t);
	if (why)
		ec_parse_note(note, sizeof note, why);
	struct ec_parse_out o = {.type = EC_TYPE_PGSQL_RESPONSE, .m = d->start};
	o.answers = q_head(c);
	o.end_ts = sd->last_ts;
	o.failed = c->failed;
	o.summary = c->summary[0]  ? c->summary
		    : c->empty	   ? "EMPTY"
		    : c->suspended ? "suspended"
		    : why	   ? "incomplete"
				   : "ok";
	put_text(d, &o, &sd->t, note, sizeof note);
	ec_parse_emit(d, &o);
	q_pop(c);
	tclear(&sd->t);
	sd->open = 0;
	c->summary[0] = 0;
	c->failed = c->has_tag = c->empty = c->suspended = 0;
	c->ncols = 0;
}

/* A backend message of no exchange (a notification), out on its own. */
static void lone_response(struct ec_parse_dir *d, struct side *sd, const struct text *t,
			  const char *summary)
{
	char note[120] = "";
	struct ec_parse_out o = {.type = EC_TYPE_PGSQL_RESPONSE, .m = sd->mstart};
	o.end_ts = sd->last_ts;
	o.summary = summary;
	put_text(d, &o, t, note, sizeof note);
	ec_parse_emit(d, &o);
}

/* ---- frontend messages ---- */

static void startup(struct ec_parse_dir *d, struct pgconn *c, const uint8_t *p, size_t n)
{
	struct side *sd = &c->s[d->di];
	size_t lim = d->o->max_body;
	struct ec_cur cu;
	uint32_t len = 0, code = 0;
	ec_cur_init(&cu, p, n);
	ec_cur_be32(&cu, &len);
	ec_cur_be32(&cu, &code);
	if (code == CODE_CANCEL) {
		uint32_t pid = 0;
		char path[48], text[64];
		ec_cur_be32(&cu, &pid);
		snprintf(path, sizeof path, "CancelRequest pid %u", pid);
		snprintf(text, sizeof text, "CancelRequest: pid %u (key hidden)\n", pid);
		lone_request(d, c, "CANCEL", path, text);
		return;
	}
	d->start = sd->mstart;
	if (code == CODE_SSL || code == CODE_GSS) {
		c->ssl_wait = code == CODE_SSL ? 1 : 2;
		tstr(&sd->t, lim, code == CODE_SSL ? "SSLRequest\n" : "GSSENCRequest\n");
		not_sql(c, code == CODE_SSL ? "SSL" : "GSSENC",
			code == CODE_SSL ? "SSLRequest" : "GSSENCRequest");
		end_request(d, c, 1, NULL);
		return;
	}
	const char *user = NULL, *db = NULL;
	size_t ul = 0, dl = 0;
	tfmt(&sd->t, lim, "StartupMessage %u.%u", code >> 16, code & 0xffff);
	for (;;) {
		const uint8_t *k, *v;
		size_t kn, vn;
		if (cstr(&cu, &k, &kn) || !kn || cstr(&cu, &v, &vn))
			break;
		tstr(&sd->t, lim, " ");
		tput(&sd->t, lim, k, kn);
		tstr(&sd->t, lim, "=");
		tput(&sd->t, lim, v, vn);
		if (kn == 4 && !memcmp(k, "user", 4))
			user = (const char *)v, ul = vn;
		else if (kn == 8 && !memcmp(k, "database", 8))
			db = (const char *)v, dl = vn;
	}
	tstr(&sd->t, lim, "\n");
	if (!db)
		db = user, dl = ul; /* the server's default */
	free(c->authority);
	c->authority = ec_xmalloc(ul + dl + 2);
	snprintf(c->authority, ul + dl + 2, "%.*s@%.*s", (int)ul, user ? user : "", (int)dl,
		 db ? db : "");
	c->in_startup = 1;
	not_sql(c, "STARTUP", "StartupMessage");
	end_request(d, c, 1, NULL);
}

/* A password message: what it is depends on what the server asked. */
static void password(struct ec_parse_dir *d, struct pgconn *c, const uint8_t *p, size_t n)
{
	struct side *sd = &c->s[d->di];
	size_t lim = d->o->max_body;
	const char *what = c->auth == 10		  ? "SASLInitialResponse"
			   : c->auth == 11		  ? "SASLResponse"
			   : c->auth == 7 || c->auth == 8 ? "GSSResponse"
							  : "PasswordMessage";
	int sasl = c->auth == 10 || c->auth == 11;
	tstr(&sd->t, lim, what);
	if (c->auth == 10) {
		/* the mechanism is no secret */
		struct ec_cur cu;
		const uint8_t *m;
		size_t mn;
		ec_cur_init(&cu, p, n);
		if (!cstr(&cu, &m, &mn)) {
			tstr(&sd->t, lim, " ");
			tput(&sd->t, lim, m, mn);
		}
	}
	tstr(&sd->t, lim, sasl ? ": SASL (hidden)\n" : ": password (hidden)\n");
	not_sql(c, "AUTH", sasl ? "SASL (hidden)" : "password (hidden)");
	end_request(d, c, 1, NULL);
}

/* A statement or portal name for the text: "" is the unnamed one. */
static void tname(struct text *t, size_t lim, const char *what, const uint8_t *s, size_t n)
{
	if (!n)
		return;
	tfmt(t, lim, " %s \"", what);
	tput(t, lim, s, n);
	tstr(t, lim, "\"");
}

static void parse_msg(struct ec_parse_dir *d, struct pgconn *c, struct ec_cur *cu)
{
	struct text *t = &c->s[d->di].t;
	size_t lim = d->o->max_body;
	const uint8_t *name, *sql;
	size_t nn, sn;
	uint16_t np;
	if (cstr(cu, &name, &nn) || cstr(cu, &sql, &sn))
		return;
	tstr(t, lim, "Parse");
	tname(t, lim, "statement", name, nn);
	if (!ec_cur_be16(cu, &np) && np) {
		tstr(t, lim, " (");
		for (unsigned i = 0; i < np; i++) {
			uint32_t oid;
			if (ec_cur_be32(cu, &oid))
				break;
			const char *tn = type_name(oid);
			if (tn)
				tfmt(t, lim, "%s%s", i ? ", " : "", tn);
			else
				tfmt(t, lim, "%soid %u", i ? ", " : "", oid);
		}
		tstr(t, lim, ")");
	}
	tstr(t, lim, ": ");
	tput(t, lim, sql, sn);
	tstr(t, lim, "\n");
	stmt_put(c, name, nn, sql, sn);
	set_sql(c, 2, sql, sn);
}

static void bind_msg(struct ec_parse_dir *d, struct pgconn *c, struct ec_cur *cu)
{
	struct text *t = &c->s[d->di].t;
	size_t lim = d->o->max_body;
	const uint8_t *portal, *name;
	size_t pn, nn;
	uint16_t nf, np;
	if (cstr(cu, &portal, &pn) || cstr(cu, &name, &nn) || ec_cur_be16(cu, &nf))
		return;
	const uint8_t *fmts = ec_cur_ptr(cu);
	if (ec_cur_skip(cu, (size_t)nf * 2) || ec_cur_be16(cu, &np))
		return;
	tstr(t, lim, "Bind");
	tname(t, lim, "portal", portal, pn);
	tname(t, lim, "statement", name, nn);
	struct stmt *s = stmt_find(c, name, nn);
	int first = !c->params && c->sql_rank < 3;
	struct text pt = {0};
	if (s && s->sql && c->sql_rank < 3) {
		free(c->sql);
		c->sql = ec_xstrdup(s->sql);
		c->sql_rank = 3;
	} else if (!s && c->sql_rank < 3) {
		char un[80];
		/* (its Parse came before the capture, or was forgotten) */
		snprintf(un, sizeof un, "<statement %.*s%s not seen>", (int)(nn < 40 ? nn : 40),
			 (const char *)name, nn ? "" : "(unnamed)");
		set_sql(c, 3, (const uint8_t *)un, strlen(un));
	}
	for (unsigned i = 0; i < np; i++) {
		uint32_t l;
		if (ec_cur_be32(cu, &l))
			break;
		int32_t len = (int32_t)l;
		size_t have = len > 0 ? ec_cur_left(cu) : 0;
		const uint8_t *v = ec_cur_ptr(cu);
		unsigned fi = nf == 1 ? 0 : i;
		int binary = fi < nf && fmts[2 * fi + 1] == 1 && fmts[2 * fi] == 0;
		tfmt(t, lim, "%s$%u = ", i ? ", " : ": ", i + 1);
		tval(t, lim, v, len, have, binary, (size_t)-1);
		if (first && pt.want < PATH_CAP) {
			tfmt(&pt, PATH_CAP, "%s$%u = ", i ? ", " : " [", i + 1);
			tval(&pt, PATH_CAP, v, len, have, binary, VAL_CAP);
		}
		if (len > 0 && ec_cur_skip(cu, (size_t)len))
			break;
	}
	tstr(t, lim, "\n");
	if (first && pt.n) {
		tput(&pt, PATH_CAP + 1, "]", 1);
		tput(&pt, PATH_CAP + 2, "", 1);
		c->params = pt.p;
	} else {
		free(pt.p);
	}
}

static void frontend_msg(struct ec_parse_dir *d, struct pgconn *c, struct side *sd, uint8_t type,
			 const uint8_t *p, size_t n)
{
	struct text *t = &sd->t;
	size_t lim = d->o->max_body;
	struct ec_cur cu;
	const uint8_t *s;
	size_t sn;
	uint8_t b;
	uint32_t v;
	ec_cur_init(&cu, p, n);
	switch (type) {
	case 'd':
		sd->copy_msgs++;
		sd->copy_bytes += sd->blen;
		return;
	case 'c':
	case 'f':
		if (type == 'f' && !cstr(&cu, &s, &sn)) {
			tstr(&sd->ct, lim, "CopyFail: ");
			tput(&sd->ct, lim, s, sn);
			tstr(&sd->ct, lim, "\n");
		} else {
			tstr(&sd->ct, lim, "CopyDone\n");
		}
		c->copy_in = 0;
		end_copy_in(d, c, NULL);
		return;
	case 'X':
		if (sd->open)
			end_request(d, c, 1, "no Sync before Terminate");
		lone_request(d, c, "TERMINATE", "Terminate", "Terminate\n");
		return;
	}
	if (!sd->open) {
		sd->open = 1;
		d->start = sd->mstart;
	}
	switch (type) {
	case 'Q':
		if (!cstr(&cu, &s, &sn)) {
			tput(t, lim, s, sn);
			tstr(t, lim, "\n");
			set_sql(c, 1, s, sn);
		}
		end_request(d, c, 1, NULL);
		break;
	case 'P':
		parse_msg(d, c, &cu);
		break;
	case 'B':
		bind_msg(d, c, &cu);
		break;
	case 'D':
	case 'C':
		if (!ec_cur_u8(&cu, &b) && !cstr(&cu, &s, &sn)) {
			tfmt(t, lim, "%s %s", type == 'D' ? "Describe" : "Close",
			     b == 'S' ? "statement" : "portal");
			if (sn) {
				tstr(t, lim, " \"");
				tput(t, lim, s, sn);
				tstr(t, lim, "\"");
			}
			tstr(t, lim, "\n");
			struct stmt *st = b == 'S' ? stmt_find(c, s, sn) : NULL;
			if (st && type == 'D' && st->sql)
				set_sql(c, 2, (const uint8_t *)st->sql, strlen(st->sql));
			if (st && type == 'C')
				stmt_forget(st);
		}
		break;
	case 'E':
		if (!cstr(&cu, &s, &sn) && !ec_cur_be32(&cu, &v)) {
			tstr(t, lim, "Execute");
			tname(t, lim, "portal", s, sn);
			if (v)
				tfmt(t, lim, " (at most %u rows)", v);
			tstr(t, lim, "\n");
		}
		break;
	case 'H':
		tstr(t, lim, "Flush\n");
		break;
	case 'S':
		tstr(t, lim, "Sync\n");
		end_request(d, c, 1, NULL);
		break;
	case 'F':
		if (!ec_cur_be32(&cu, &v)) {
			char fn[40];
			tfmt(t, lim, "FunctionCall: function oid %u\n", v);
			snprintf(fn, sizeof fn, "function %u", v);
			not_sql(c, "FUNCTION", fn);
		}
		end_request(d, c, 1, NULL);
		break;
	case 'p':
		password(d, c, p, n);
		break;
	}
}

/* ---- backend messages ---- */

/* ErrorResponse/NoticeResponse: "ERROR 42P01: message", then DETAIL and HINT lines. */
static void error_msg(struct ec_parse_dir *d, struct pgconn *c, struct text *t, uint8_t type,
		      const uint8_t *p, size_t n)
{
	size_t lim = d->o->max_body;
	const uint8_t *f[256] = {0};
	size_t fl[256] = {0};
	struct ec_cur cu;
	uint8_t code;
	ec_cur_init(&cu, p, n);
	while (!ec_cur_u8(&cu, &code) && code) {
		const uint8_t *s;
		size_t sn;
		if (cstr(&cu, &s, &sn))
			break;
		f[code] = s;
		fl[code] = sn;
	}
	/* V is never translated; S is (older servers send only S) */
	uint8_t sev = f['V'] ? 'V' : 'S';
	const char *dflt = type == 'E' ? "ERROR" : "NOTICE";
	if (f[sev])
		tput(t, lim, f[sev], fl[sev]);
	else
		tstr(t, lim, dflt);
	if (f['C']) {
		tstr(t, lim, " ");
		tput(t, lim, f['C'], fl['C']);
	}
	tstr(t, lim, ": ");
	tput(t, lim, f['M'], fl['M']);
	tstr(t, lim, "\n");
	static const struct {
		uint8_t code;
		const char *label;
	} more[] = {{'D', "DETAIL: "}, {'H', "HINT: "}, {'P', "POSITION: "}};
	for (size_t i = 0; i < sizeof more / sizeof *more; i++) {
		if (!f[more[i].code])
			continue;
		tstr(t, lim, more[i].label);
		tput(t, lim, f[more[i].code], fl[more[i].code]);
		tstr(t, lim, "\n");
	}
	if (type != 'E' || c->failed)
		return;
	c->failed = 1;
	snprintf(c->summary, sizeof c->summary, "ERROR %.*s", (int)(fl['C'] < 16 ? fl['C'] : 16),
		 f['C'] ? (const char *)f['C'] : "");
	if (!f['C'])
		c->summary[5] = 0;
}

static void auth_msg(struct pgconn *c, struct text *t, size_t lim, const uint8_t *p, size_t n)
{
	struct ec_cur cu;
	uint32_t code = 0;
	ec_cur_init(&cu, p, n);
	ec_cur_be32(&cu, &code);
	c->auth = (int32_t)code;
	switch (code) {
	case 0:
		tstr(t, lim, "AuthenticationOk\n");
		return;
	case 3:
		tstr(t, lim, "AuthenticationCleartextPassword\n");
		snprintf(c->summary, sizeof c->summary, "password asked");
		return;
	case 5:
		tstr(t, lim, "AuthenticationMD5Password\n");
		snprintf(c->summary, sizeof c->summary, "MD5 password asked");
		return;
	case 7:
	case 8:
	case 9:
		tstr(t, lim, code == 9 ? "AuthenticationSSPI\n" : "AuthenticationGSS\n");
		snprintf(c->summary, sizeof c->summary, "%s", code == 9 ? "SSPI" : "GSS");
		return;
	case 10: {
		tstr(t, lim, "AuthenticationSASL:");
		snprintf(c->summary, sizeof c->summary, "SASL");
		const uint8_t *m;
		size_t mn;
		int first = 1;
		while (!cstr(&cu, &m, &mn) && mn) {
			tstr(t, lim, " ");
			tput(t, lim, m, mn);
			if (first)
				snprintf(c->summary, sizeof c->summary, "SASL %.*s",
					 (int)(mn < 60 ? mn : 60), (const char *)m);
			first = 0;
		}
		tstr(t, lim, "\n");
		return;
	}
	case 11:
		tstr(t, lim, "AuthenticationSASLContinue: SASL (hidden)\n");
		snprintf(c->summary, sizeof c->summary, "SASL continue");
		return;
	case 12:
		tstr(t, lim, "AuthenticationSASLFinal: SASL (hidden)\n");
		return;
	}
	tfmt(t, lim, "Authentication request %u\n", code);
}

/* Whether an authentication request waits for the frontend's answer. */
static int auth_asks(int32_t code)
{
	return code >= 2 && code <= 11 && code != 4 && code != 6;
}

static void row_desc(struct ec_parse_dir *d, struct pgconn *c, struct text *t, struct ec_cur *cu)
{
	size_t lim = d->o->max_body;
	uint16_t k;
	if (ec_cur_be16(cu, &k))
		return;
	c->ncols = k;
	for (unsigned i = 0; i < k; i++) {
		const uint8_t *s;
		size_t sn;
		uint16_t fmt;
		if (cstr(cu, &s, &sn) || ec_cur_skip(cu, 16) || ec_cur_be16(cu, &fmt))
			break;
		if (i < NFMT)
			c->fmt[i] = fmt == 1;
		if (i)
			tstr(t, lim, " | ");
		tput(t, lim, s, sn);
	}
	tstr(t, lim, "\n");
}

static void data_row(struct ec_parse_dir *d, struct pgconn *c, struct text *t, struct ec_cur *cu)
{
	size_t lim = d->o->max_body;
	uint16_t k;
	if (t->n >= lim) {
		t->want += ec_cur_left(cu); /* counted, no longer rendered */
		return;
	}
	if (ec_cur_be16(cu, &k))
		return;
	for (unsigned i = 0; i < k; i++) {
		uint32_t l;
		if (i)
			tstr(t, lim, " | ");
		if (ec_cur_be32(cu, &l))
			break;
		if (l == 0xffffffffu)
			continue; /* NULL: empty, as psql shows it */
		size_t have = ec_cur_left(cu) < l ? ec_cur_left(cu) : l;
		const uint8_t *v = ec_cur_ptr(cu);
		if (i < NFMT && i < c->ncols && c->fmt[i]) {
			tstr(t, lim, "\\x");
			for (size_t j = 0; j < have && t->n < lim; j++)
				tfmt(t, lim, "%02x", v[j]);
		} else {
			tput(t, lim, v, have);
		}
		if (ec_cur_skip(cu, l))
			break;
	}
	tstr(t, lim, "\n");
}

static void copy_response(struct text *t, size_t lim, uint8_t type, struct ec_cur *cu)
{
	uint8_t f = 0;
	uint16_t k = 0;
	ec_cur_u8(cu, &f);
	ec_cur_be16(cu, &k);
	tfmt(t, lim, "%s (%s, %u columns)\n",
	     type == 'G'   ? "CopyInResponse"
	     : type == 'H' ? "CopyOutResponse"
			   : "CopyBothResponse",
	     f ? "binary" : "text", k);
}

/* The one byte that answers SSLRequest/GSSENCRequest. */
static void ssl_answer(struct ec_parse_dir *d, struct pgconn *c, struct side *sd, uint8_t b)
{
	int gss = c->ssl_wait == 2, yes = b == (gss ? 'G' : 'S');
	c->ssl_wait = 0;
	d->start = sd->mstart;
	tfmt(&sd->t, d->o->max_body, "%c\n", b);
	snprintf(c->summary, sizeof c->summary, "%s %s", gss ? "GSS encryption" : "SSL",
		 yes ? "accepted" : "refused");
	end_response(d, c, NULL);
	/* what follows is the TLS (or GSS) handshake and ciphertext */
	if (yes)
		ec_parse_switch(d, &ec_parse_tunnel);
}

static void backend_msg(struct ec_parse_dir *d, struct pgconn *c, struct side *sd, uint8_t type,
			const uint8_t *p, size_t n)
{
	size_t lim = d->o->max_body;
	struct text *t = &sd->t;
	struct ec_cur cu;
	const uint8_t *s, *s2;
	size_t sn, sn2;
	uint32_t v;
	ec_cur_init(&cu, p, n);
	if (sd->alone) {
		/* a notification, or a notice or parameter while nothing is asked */
		struct text lt = {0};
		char sum[80] = "";
		sd->alone = 0;
		if (type == 'A') {
			if (!ec_cur_be32(&cu, &v) && !cstr(&cu, &s, &sn) && !cstr(&cu, &s2, &sn2)) {
				tstr(&lt, lim, "Asynchronous notification \"");
				tput(&lt, lim, s, sn);
				tstr(&lt, lim, "\"");
				if (sn2) {
					tstr(&lt, lim, " with payload \"");
					tput(&lt, lim, s2, sn2);
					tstr(&lt, lim, "\"");
				}
				tfmt(&lt, lim, " received from server process with PID %u.\n", v);
				snprintf(sum, sizeof sum, "NOTIFY %.*s", (int)(sn < 60 ? sn : 60),
					 (const char *)s);
			}
		} else if (type == 'N') {
			error_msg(d, c, &lt, type, p, n);
			snprintf(sum, sizeof sum, "NOTICE");
		} else if (!cstr(&cu, &s, &sn) && !cstr(&cu, &s2, &sn2)) {
			tstr(&lt, lim, "ParameterStatus ");
			tput(&lt, lim, s, sn);
			tstr(&lt, lim, " = ");
			tput(&lt, lim, s2, sn2);
			tstr(&lt, lim, "\n");
			snprintf(sum, sizeof sum, "ParameterStatus");
		}
		lone_response(d, sd, &lt, sum);
		free(lt.p);
		return;
	}
	switch (type) {
	case 'R':
		auth_msg(c, t, lim, p, n);
		if (auth_asks(c->auth))
			end_response(d, c, NULL);
		return;
	case 'S':
		if (!cstr(&cu, &s, &sn) && !cstr(&cu, &s2, &sn2)) {
			tstr(t, lim, "ParameterStatus ");
			tput(t, lim, s, sn);
			tstr(t, lim, " = ");
			tput(t, lim, s2, sn2);
			tstr(t, lim, "\n");
		}
		return;
	case 'K':
		if (!ec_cur_be32(&cu, &v))
			tfmt(t, lim, "BackendKeyData: pid %u (key hidden)\n", v);
		return;
	case 'v':
		if (!ec_cur_be32(&cu, &v))
			tfmt(t, lim, "NegotiateProtocolVersion: 3.%u\n", v);
		return;
	case 'Z': {
		uint8_t st = n ? p[0] : 'I';
		if (st == 'T')
			tstr(t, lim, "(in a transaction)\n");
		else if (st == 'E')
			tstr(t, lim, "(in a failed transaction)\n");
		c->copy_in = 0;
		if (c->in_startup && !c->summary[0] && !c->failed)
			snprintf(c->summary, sizeof c->summary, "connected");
		c->in_startup = 0;
		end_response(d, c, NULL);
		return;
	}
	case 'T':
		row_desc(d, c, t, &cu);
		return;
	case 'D':
		data_row(d, c, t, &cu);
		return;
	case 'C':
		if (!cstr(&cu, &s, &sn)) {
			tput(t, lim, s, sn);
			tstr(t, lim, "\n");
			if (!c->failed)
				snprintf(c->summary, sizeof c->summary, "%.*s",
					 (int)(sn < 64 ? sn : 64), (const char *)s);
		}
		c->ncols = 0;
		return;
	case 'E':
	case 'N':
		error_msg(d, c, t, type, p, n);
		if (type == 'E') {
			/* FATAL and PANIC end the connection: no ReadyForQuery follows */
			struct ec_cur fc;
			uint8_t code;
			ec_cur_init(&fc, p, n);
			while (!ec_cur_u8(&fc, &code) && code) {
				if (cstr(&fc, &s, &sn))
					break;
				if ((code == 'V' || code == 'S') &&
				    ((sn == 5 && !memcmp(s, "FATAL", 5)) ||
				     (sn == 5 && !memcmp(s, "PANIC", 5)))) {
					end_response(d, c, NULL);
					return;
				}
			}
		}
		return;
	case '1':
		tstr(t, lim, "ParseComplete\n");
		return;
	case '2':
		tstr(t, lim, "BindComplete\n");
		return;
	case '3':
		tstr(t, lim, "CloseComplete\n");
		return;
	case 'n':
		tstr(t, lim, "NoData\n");
		return;
	case 'I':
		tstr(t, lim, "EmptyQueryResponse\n");
		c->empty = 1;
		return;
	case 's':
		tstr(t, lim, "PortalSuspended\n");
		c->suspended = 1;
		return;
	case 't': {
		uint16_t k;
		if (ec_cur_be16(&cu, &k))
			return;
		tstr(t, lim, "ParameterDescription:");
		for (unsigned i = 0; i < k && !ec_cur_be32(&cu, &v); i++) {
			const char *tn = type_name(v);
			if (tn)
				tfmt(t, lim, "%s %s", i ? "," : "", tn);
			else
				tfmt(t, lim, "%s oid %u", i ? "," : "", v);
		}
		tstr(t, lim, "\n");
		return;
	}
	case 'G':
	case 'H':
	case 'W':
		copy_response(t, lim, type, &cu);
		if (type == 'G')
			c->copy_in = 1;
		return;
	case 'd':
		sd->copy_msgs++;
		sd->copy_bytes += sd->blen;
		return;
	case 'c':
		copy_counts(sd, lim, t);
		tstr(t, lim, "CopyDone\n");
		return;
	case 'V':
		if (!ec_cur_be32(&cu, &v)) {
			if (v == 0xffffffffu) {
				tstr(t, lim, "FunctionCallResponse: NULL\n");
			} else {
				tstr(t, lim, "FunctionCallResponse: ");
				tval(t, lim, ec_cur_ptr(&cu), (int32_t)v, ec_cur_left(&cu), 1,
				     VAL_CAP);
				tstr(t, lim, "\n");
			}
		}
		return;
	}
}

/* ---- the decoder ec-parse drives (lib/proto/parse.h) ---- */

/* Drop what a direction was reading and building. */
static void side_reset(struct side *sd)
{
	sd->in_msg = sd->open = sd->alone = sd->copying = 0;
	sd->bn = 0;
	sd->copy_msgs = sd->copy_bytes = 0;
	tclear(&sd->t);
	tclear(&sd->ct);
	if (sd->bcap > 65536) {
		free(sd->body);
		sd->body = NULL;
		sd->bcap = 0;
	}
}

static int role_of(const struct pgconn *c, int di)
{
	return di == c->fe ? FE : BE;
}

/* What a direction is building goes out typed, with why (a close, lost sync). */
static int flush_open(struct ec_parse_dir *d, struct pgconn *c, const char *why)
{
	struct side *sd = &c->s[d->di];
	int any = sd->open || sd->copying || sd->in_msg;
	if (role_of(c, d->di) == FE) {
		if (sd->copying)
			end_copy_in(d, c, why);
		if (sd->open)
			end_request(d, c, 1, why);
	} else if (sd->open) {
		end_response(d, c, why);
	}
	return any;
}

/*
 * Bytes that are not a message (with the body of the one that failed, if
 * any): out as type 0, and sync is lost.
 */
static size_t lose(struct ec_parse_dir *d, struct pgconn *c, const struct ec_parse_src *s,
		   size_t off, const char *why, int bad_body)
{
	struct side *sd = &c->s[d->di];
	char note[120];
	snprintf(note, sizeof note, "PostgreSQL: %s", why);
	flush_open(d, c, note);
	if (role_of(c, d->di) == BE)
		while (c->qlen)
			q_pop(c); /* what the next ReadyForQuery answers is unknown now */
	ec_parse_untyped(d, bad_body ? sd->mstart : ec_parse_mark(s, off), sd->body,
			 bad_body ? sd->bn : 0, s->p + off, s->n - off, 1, note);
	side_reset(sd);
	d->desync = 1;
	return s->n;
}

/* A message begins at p: 1, 0 not, -1 can't tell yet. */
static int plausible(const struct pgconn *c, int role, const uint8_t *p, size_t n)
{
	if (role == FE) {
		int u = untyped_ok(p, n);
		if (u)
			return u;
	} else if (c->ssl_wait && n && (p[0] == 'S' || p[0] == 'N' || p[0] == 'G')) {
		return 1;
	}
	return typed_ok(role, p, n);
}

/* A whole message's body is in: what it means. */
static int message(struct ec_parse_dir *d, struct pgconn *c, struct side *sd, int role)
{
	const uint8_t *body = sd->bn ? sd->body : (const uint8_t *)""; /* never NULL */
	if (sd->bn == sd->blen && !shape_ok(role, sd->type, body, sd->bn))
		return EC_ERR_PROTO;
	if (role == FE)
		frontend_msg(d, c, sd, sd->type, body, sd->bn);
	else
		backend_msg(d, c, sd, sd->type, body, sd->bn);
	sd->bn = 0;
	return 0;
}

static size_t consume(struct ec_parse_dir *d, void *st, const struct ec_parse_src *s, size_t off)
{
	struct pgconn *c = st;
	while (off < s->n && d->proto == &ec_pgsql_proto && !ec_parse_failed(d)) {
		const uint8_t *p = s->p + off;
		size_t n = s->n - off;
		if (!c->roles) {
			int r = classify(d, p, n);
			if (r < 0)
				break;
			if (r == 0)
				return lose(d, c, s, off, "not a message", 0);
			c->roles = 1;
			c->fe = r == FE ? d->di : !d->di;
		}
		int role = role_of(c, d->di);
		struct side *sd = &c->s[d->di];
		if (d->desync) {
			int ok = plausible(c, role, p, n);
			if (ok < 0)
				break;
			if (!ok) {
				ec_parse_untyped(d, ec_parse_mark(s, off), p, n, NULL, 0, 1,
						 "PostgreSQL: not at a message boundary");
				return s->n;
			}
			d->desync = 0;
		}
		if (sd->in_msg) {
			size_t k = n < sd->left ? n : sd->left;
			size_t room = sd->bn < sd->keep ? sd->keep - sd->bn : 0;
			size_t cp = k < room ? k : room;
			if (sd->bn + cp > sd->bcap) {
				size_t nc = sd->bcap ? sd->bcap : 256;
				while (nc < sd->bn + cp)
					nc *= 2;
				sd->body = ec_xrealloc(sd->body, nc);
				sd->bcap = nc;
			}
			if (cp)
				memcpy(sd->body + sd->bn, p, cp);
			sd->bn += cp;
			sd->left -= (uint32_t)k;
			if (k)
				sd->last_ts = ec_parse_mark(s, off + k - 1).ts;
			off += k;
			if (sd->left)
				break;
			sd->in_msg = 0;
			if (message(d, c, sd, role))
				return lose(d, c, s, off, "a message of the wrong shape", 1);
			continue;
		}
		if (role == BE && c->ssl_wait && (p[0] == 'S' || p[0] == 'N' || p[0] == 'G')) {
			sd->mstart = ec_parse_mark(s, off);
			sd->last_ts = sd->mstart.ts;
			ssl_answer(d, c, sd, p[0]);
			off++;
			continue;
		}
		if (role == FE && p[0] == 0) {
			int u = untyped_ok(p, n);
			if (u < 0)
				break;
			if (!u)
				return lose(d, c, s, off, "not a startup message", 0);
			uint32_t len = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
				       (uint32_t)p[2] << 8 | p[3];
			if (n < len)
				break;
			sd->mstart = ec_parse_mark(s, off);
			sd->last_ts = ec_parse_mark(s, off + len - 1).ts;
			startup(d, c, p, len);
			off += len;
			continue;
		}
		if (n < 5)
			break;
		uint32_t len =
		    (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
		if (!type_ok(role, p[0]) || len < 4 || len > MAX_MSG)
			return lose(d, c, s, off, "not a message header", 0);
		sd->in_msg = 1;
		sd->type = p[0];
		sd->blen = sd->left = len - 4;
		sd->bn = 0;
		/* COPY data is counted, never kept */
		sd->keep = p[0] == 'd' ? 0 : sd->left < d->o->max_body ? sd->left : d->o->max_body;
		sd->mstart = ec_parse_mark(s, off);
		sd->last_ts = ec_parse_mark(s, off + 4).ts;
		if (role == FE && (p[0] == 'd' || p[0] == 'c' || p[0] == 'f')) {
			if (!sd->copying) {
				sd->copying = 1;
				sd->copy_start = sd->mstart;
			}
		} else if (role == BE && !sd->open) {
			sd->alone = p[0] == 'A' || ((p[0] == 'N' || p[0] == 'S') && !c->qlen);
			if (!sd->alone) {
				sd->open = 1;
				d->start = sd->mstart;
			}
		} else if (role == BE) {
			sd->alone = p[0] == 'A';
		}
		off += 5;
		if (!sd->left) {
			sd->in_msg = 0;
			if (message(d, c, sd, role))
				return lose(d, c, s, off, "a message of the wrong shape", 1);
		}
	}
	return off;
}

static void conn_release(void *st)
{
	struct pgconn *c = st;
	for (int i = 0; i < 2; i++) {
		free(c->s[i].body);
		free(c->s[i].t.p);
		free(c->s[i].ct.p);
	}
	while (c->qlen)
		q_pop(c);
	for (unsigned i = 0; i < NSTMT; i++)
		stmt_forget(&c->stmts[i]);
	free(c->authority);
	free(c->sql);
	free(c->params);
}

static int busy(const void *st, int di)
{
	const struct pgconn *c = st;
	const struct side *sd = &c->s[di];
	return sd->in_msg || sd->open || sd->copying;
}

static void reset(void *st, int di)
{
	struct pgconn *c = st;
	side_reset(&c->s[di]);
	if (c->roles && role_of(c, di) == FE) {
		free(c->sql);
		free(c->params);
		c->sql = c->params = NULL;
		c->sql_rank = 0;
	}
}

static int give_up(struct ec_parse_dir *d, void *st, const char *note, int desync,
		   const uint8_t **held, size_t *held_len)
{
	struct pgconn *c = st;
	(void)held;
	(void)held_len;
	if (!c->roles || !busy(c, d->di))
		return 0;
	flush_open(d, c, note);
	side_reset(&c->s[d->di]);
	if (desync && role_of(c, d->di) == BE)
		while (c->qlen)
			q_pop(c);
	return 1;
}

static int detect(const struct ec_parse_dir *d, const uint8_t *p, size_t n)
{
	int r = classify(d, p, n);
	return r < 0 ? -1 : r > 0;
}

const struct ec_parse_proto ec_pgsql_proto = {
    .name = "pgsql",
    .detect = detect,
    .conn_size = sizeof(struct pgconn),
    .conn_release = conn_release,
    .consume = consume,
    .busy = busy,
    .reset = reset,
    .give_up = give_up,
};
