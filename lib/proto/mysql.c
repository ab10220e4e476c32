// SPDX-License-Identifier: GPL-2.0-only
#include "mysql.h"
#include "cursor.h"
#include "text.h"
#include "util.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QMAX 1024     /* commands awaiting their answer, per connection */
#define STMTS 64      /* prepared statements remembered, per connection */
#define MAX_COLS 4096 /* columns whose types are kept (binary rows) */
#define MAX_LOGIN                                                                                  \
	16384	       /* a HandshakeResponse longer is not one (connection attributes included)   \
			*/
#define KEEP_MIN 65536 /* a gathered packet's payload kept, at least (else --max-body) */
#define PATH_MAX_ 512  /* Event.path: the statement, cut here */
#define CAP_CONNECT_WITH_DB 0x8u
#define CAP_PROTOCOL_41 0x200u
#define CAP_SSL 0x800u
#define CAP_SECURE 0x8000u
#define CAP_PLUGIN_LENENC 0x200000u
#define CAP_DEPRECATE_EOF (1u << 24)
#define CAP_QUERY_ATTRS (1u << 27)
#define MORE_RESULTS 0x0008u

enum {
	COM_QUIT = 0x01,
	COM_INIT_DB = 0x02,
	COM_QUERY = 0x03,
	COM_FIELD_LIST = 0x04,
	COM_STATISTICS = 0x09,
	COM_PING = 0x0e,
	COM_CHANGE_USER = 0x11,
	COM_STMT_PREPARE = 0x16,
	COM_STMT_EXECUTE = 0x17,
	COM_STMT_SEND_LONG_DATA = 0x18,
	COM_STMT_CLOSE = 0x19,
	COM_STMT_RESET = 0x1a,
	COM_SET_OPTION = 0x1b,
	COM_STMT_FETCH = 0x1c,
	COM_RESET_CONNECTION = 0x1f,
	COM_STMT_BULK_EXECUTE = 0xfa /* MariaDB */
};

/* What the server's next packets answer. */
enum kind { K_OTHER, K_QUERY, K_PREPARE, K_EXECUTE, K_FETCH, K_FIELD_LIST, K_STATS, K_LOGIN };

/* Where the server's answer is. */
enum state { S_IDLE, S_COLS, S_COLS_EOF, S_ROWS, S_PARAMS, S_PARAMS_EOF, S_PCOLS, S_PCOLS_EOF };

struct req {
	struct ec_parse_exchange x;
	enum kind kind;
	uint8_t seq;   /* its last packet's sequence id: the answer's first follows it */
	uint32_t stmt; /* K_EXECUTE: the statement */
	char *sql;     /* K_PREPARE: its SQL, kept once the server names it */
};

struct stmt {
	uint32_t id;
	uint16_t nparams;
	char *sql;
	uint8_t *types;	  /* the parameters' types (2 bytes each) as last bound */
	struct col *cols; /* its result's columns, for answers that do not repeat them */
	size_t ncol;
};

struct col {
	uint8_t type;
	uint16_t flags;
	char name[64]; /* for the table's header, cut here */
};

/*
 * A packet gathered here rather than in parse.c's buffer: one longer than
 * the bytes at hand, or a payload of 0xffffff bytes and the packets that
 * continue it. Its payload is kept up to a bound, the rest counted.
 */
struct gather {
	int on, more;	      /* more: the packet being read continues in the next */
	uint8_t seq, last;    /* the first and the latest packet's sequence ids */
	size_t need;	      /* payload bytes of the latest packet still to come */
	uint64_t total, wire; /* payload bytes, bytes on the wire */
	struct ec_mark m;
	int64_t end;
	uint8_t *buf;
	size_t len, cap;
};

struct myconn {
	int roles_known, client_di, phase; /* phase: 0 unknown, 1 login, 2 commands */
	struct gather g[2];		   /* by direction */
	uint8_t sseq;			   /* the server's latest sequence id */
	int infile;			   /* the client sends a LOCAL INFILE's contents */
	uint64_t infile_sent;
	size_t wire;   /* the packet at hand's bytes on the wire */
	int cut, acut; /* the packet at hand, the answer, lost bytes */
	uint32_t caps;
	char *who; /* user@schema */
	char user[64], schema[64];
	struct ec_parse_queue q; /* of struct req */
	uint64_t beyond;	 /* commands past QMAX: their answers go unpaired */
	struct stmt st[STMTS];
	unsigned next_st;
	/* the answer being read */
	enum state state;
	int open;
	struct ec_mark first;
	uint64_t left, rows, ncols, awire;
	struct col *cols;
	size_t ncol;
	uint32_t prep_id;
	uint16_t prep_params, prep_cols;
	char summary[96];
	int failed;
	uint32_t status;
	struct ec_text t, ct; /* the answer's text, a command's text */
	/* the result set's rows kept for its table: each cell a 4-byte length, then its bytes */
	struct ec_text cells, cell;
	uint64_t kept; /* rows in cells */
};

/* ---- packets and values ---- */

int ec_mysql_packet(const uint8_t *p, size_t n, const uint8_t **pl, size_t *plen, uint8_t *seq)
{
	struct ec_cur c;
	uint32_t len = 0;
	ec_cur_init(&c, p, n);
	if (!EC_CUR_HAVE(&c, 4))
		return 0;
	len = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
	if (!EC_CUR_HAVE(&c, 4 + (size_t)len))
		return 0;
	*seq = p[3];
	*pl = p + 4;
	*plen = len;
	return 1;
}

int ec_mysql_lenenc(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	if (*p >= end)
		return -1;
	uint8_t b = **p;
	size_t k = b < 0xfb ? 0 : b == 0xfc ? 2 : b == 0xfd ? 3 : b == 0xfe ? 8 : 99;
	if (k == 99 || (size_t)(end - *p) < 1 + k)
		return -1;
	uint64_t x = k ? 0 : b;
	for (size_t i = 0; i < k; i++)
		x |= (uint64_t)(*p)[1 + i] << (8 * i);
	*p += 1 + k;
	*v = x;
	return 0;
}

/* A length-encoded string: -1 when truncated; *s NULL for SQL NULL (0xfb). */
static int lenstr(const uint8_t **p, const uint8_t *end, const uint8_t **s, size_t *n)
{
	if (*p < end && **p == 0xfb) {
		(*p)++;
		*s = NULL;
		*n = 0;
		return 0;
	}
	uint64_t v;
	if (ec_mysql_lenenc(p, end, &v) || v > (uint64_t)(end - *p))
		return -1;
	*s = *p;
	*n = (size_t)v;
	*p += v;
	return 0;
}

static uint64_t le(const uint8_t *p, size_t k)
{
	uint64_t x = 0;
	for (size_t i = 0; i < k; i++)
		x |= (uint64_t)p[i] << (8 * i);
	return x;
}

/* A value as SQL would quote it: 'it''s', or x'00ff' when it is not text. */
static void sqlval(struct ec_text *t, const uint8_t *s, size_t n)
{
	if (!ec_is_utf8(s, n)) {
		ec_text_str(t, "x'");
		for (size_t i = 0; i < n && i < 64; i++)
			ec_text_fmt(t, "%02x", s[i]);
		ec_text_str(t, n > 64 ? "...'" : "'");
		return;
	}
	ec_text_put(t, "'", 1);
	for (size_t i = 0; i < n; i++) {
		ec_text_put(t, s + i, 1);
		if (s[i] == '\'')
			ec_text_put(t, "'", 1);
	}
	ec_text_put(t, "'", 1);
}

/*
 * One value of the binary protocol (a parameter, a binary row's column)
 * of type ty at *p, strings quoted as SQL (quote) or as they are; -1 when
 * truncated.
 */
static int binval(struct ec_text *t, uint8_t ty, int is_unsigned, const uint8_t **p,
		  const uint8_t *end, int quote)
{
	size_t k = 0;
	switch (ty) {
	case 0x01: /* TINY */
		k = 1;
		break;
	case 0x02: /* SHORT */
	case 0x0d: /* YEAR */
		k = 2;
		break;
	case 0x03: /* LONG */
	case 0x09: /* INT24 */
	case 0x04: /* FLOAT */
		k = 4;
		break;
	case 0x08: /* LONGLONG */
	case 0x05: /* DOUBLE */
		k = 8;
		break;
	case 0x06: /* NULL */
		ec_text_str(t, "NULL");
		return 0;
	case 0x07:   /* TIMESTAMP */
	case 0x0a:   /* DATE */
	case 0x0c:   /* DATETIME */
	case 0x0b: { /* TIME */
		if (*p >= end || (size_t)(end - *p) < 1u + **p)
			return -1;
		const uint8_t *v = *p + 1;
		size_t n = **p;
		*p += 1 + n;
		if (ty == 0x0b) {
			if (n < 8) {
				ec_text_str(t, "'00:00:00'");
				return 0;
			}
			ec_text_fmt(t, "'%s%u %02u:%02u:%02u'", v[0] ? "-" : "",
				    (unsigned)le(v + 1, 4), v[5], v[6], v[7]);
			return 0;
		}
		if (n < 4) {
			ec_text_str(t, "'0000-00-00'");
			return 0;
		}
		ec_text_fmt(t, "'%04u-%02u-%02u", (unsigned)le(v, 2), v[2], v[3]);
		if (n >= 7)
			ec_text_fmt(t, " %02u:%02u:%02u", v[4], v[5], v[6]);
		if (n >= 11)
			ec_text_fmt(t, ".%06u", (unsigned)le(v + 7, 4));
		ec_text_str(t, "'");
		return 0;
	}
	default: { /* strings, decimals, blobs, JSON, BIT, ENUM, SET, GEOMETRY */
		const uint8_t *s;
		size_t n;
		if (lenstr(p, end, &s, &n) || !s)
			return -1;
		if (ty == 0xf6 || ty == 0x00 || (!quote && ec_is_utf8(s, n)))
			ec_text_put(t, s, n); /* a number, or a row's text as mysql(1) shows it */
		else
			sqlval(t, s, n);
		return 0;
	}
	}
	if ((size_t)(end - *p) < k)
		return -1;
	uint64_t x = le(*p, k);
	*p += k;
	if (ty == 0x04) {
		float f;
		uint32_t u = (uint32_t)x;
		memcpy(&f, &u, 4);
		ec_text_fmt(t, "%g", (double)f);
	} else if (ty == 0x05) {
		double f;
		memcpy(&f, &x, 8);
		ec_text_fmt(t, "%.17g", f);
	} else if (is_unsigned) {
		ec_text_fmt(t, "%" PRIu64, x);
	} else {
		/* sign-extend from k bytes */
		int64_t v = k == 8 ? (int64_t)x : (int64_t)(x << (64 - 8 * k)) >> (64 - 8 * k);
		ec_text_fmt(t, "%" PRId64, v);
	}
	return 0;
}

/* ---- the requests awaiting an answer ---- */

static struct req *q_head(struct myconn *c)
{
	return ec_parse_queue_head(&c->q);
}

static void req_clear(struct req *r)
{
	ec_parse_exchange_clear(&r->x);
	free(r->sql);
	r->sql = NULL;
}

static void q_pop(struct myconn *c)
{
	req_clear(ec_parse_queue_head(&c->q));
	ec_parse_queue_pop(&c->q);
}

static void forget(struct myconn *c)
{
	while (c->q.n)
		q_pop(c);
	c->beyond = 0;
	c->state = S_IDLE;
	c->open = 0;
}

static struct stmt *stmt_find(struct myconn *c, uint32_t id)
{
	for (unsigned i = 0; i < STMTS; i++)
		if (c->st[i].sql && c->st[i].id == id)
			return &c->st[i];
	return NULL;
}

static void stmt_drop(struct stmt *s)
{
	free(s->sql);
	free(s->types);
	free(s->cols);
	memset(s, 0, sizeof *s);
}

/* ---- text helpers ---- */

/* SQL with its runs of whitespace as one blank, at most cap bytes. */
static char *collapse(const uint8_t *p, size_t n, size_t cap)
{
	char *r = ec_xmalloc(cap + 4);
	size_t k = 0;
	int blank = 1;
	for (size_t i = 0; i < n && k < cap; i++) {
		int sp = isspace(p[i]);
		if (sp && blank)
			continue;
		r[k++] = sp ? ' ' : (char)p[i];
		blank = sp;
	}
	while (k && r[k - 1] == ' ')
		k--;
	if (k >= cap)
		memcpy(r + k, "...", 3), k += 3;
	r[k] = 0;
	return r;
}

/* The first word of SQL in capitals ("SELECT"); the command's name otherwise. */
static char *keyword(const char *sql)
{
	size_t n = 0;
	while (sql[n] && (isalpha((unsigned char)sql[n]) || sql[n] == '_') && n < 24)
		n++;
	char *r = ec_xmalloc(n + 1);
	for (size_t i = 0; i < n; i++)
		r[i] = (char)toupper((unsigned char)sql[i]);
	r[n] = 0;
	return r;
}

static char *who_of(struct myconn *c)
{
	char b[140];
	snprintf(b, sizeof b, "%s@%s", c->user, c->schema);
	return ec_xstrdup(c->user[0] || c->schema[0] ? b : "");
}

static void copy_name(char *dst, size_t cap, const uint8_t *s, size_t n)
{
	size_t k = n < cap - 1 ? n : cap - 1;
	for (size_t i = 0; i < k; i++)
		dst[i] = s[i] >= 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
	dst[k] = 0;
}

/* ---- requests ---- */

static void emit_request(struct ec_parse_dir *d, struct myconn *c, struct ec_mark m, int64_t end,
			 enum kind kind, const char *method, const char *path, int answered,
			 uint32_t stmt, const char *sql)
{
	struct req r = {.kind = kind, .stmt = stmt, .seq = c->g[d->di].last};
	r.x.req_end = end;
	r.x.method = ec_xstrdup(method);
	r.x.path = ec_xstrdup(path);
	r.x.authority = who_of(c);
	r.sql = sql ? ec_xstrdup(sql) : NULL;
	struct ec_parse_out o = {.type = EC_TYPE_MYSQL_REQUEST, .m = m};
	o.a = (const uint8_t *)ec_text_get(&c->ct);
	o.an = c->ct.len;
	if (ec_text_cut(&c->ct) || c->cut) {
		o.truncated = 1;
		o.orig_length = c->wire;
	}
	if (!answered || c->beyond || c->q.n == QMAX) {
		/* no answer comes (or too many await): facts without an exchange */
		if (answered)
			c->beyond++;
		o.asks = &r.x;
		ec_parse_emit(d, &o);
		req_clear(&r);
		return;
	}
	r.x.id = ec_parse_exchange_id(d);
	struct req *slot = ec_parse_queue_push(&c->q, &r, sizeof r);
	o.asks = &slot->x;
	ec_parse_emit(d, &o);
}

/* HandshakeResponse41: the user and schema; the auth data is never shown. */
static void login(struct ec_parse_dir *d, struct myconn *c, const uint8_t *p, size_t n,
		  struct ec_mark m, int64_t end)
{
	const uint8_t *e = p + n, *q = p + 32, *s;
	c->caps = (uint32_t)le(p, 4);
	c->phase = 1;
	s = q;
	while (q < e && *q)
		q++;
	copy_name(c->user, sizeof c->user, s, (size_t)(q - s));
	if (q < e)
		q++;
	/* the auth response: length-encoded, one length byte, or NUL-ended */
	uint64_t al = 0;
	if (c->caps & CAP_PLUGIN_LENENC) {
		if (!ec_mysql_lenenc(&q, e, &al) && al <= (uint64_t)(e - q))
			q += al;
	} else if (c->caps & CAP_SECURE) {
		if (q < e && (size_t)(e - q) > *q)
			q += 1 + *q;
	} else {
		while (q < e && *q)
			q++;
		q += q < e;
	}
	if ((c->caps & CAP_CONNECT_WITH_DB) && q < e) {
		s = q;
		while (q < e && *q)
			q++;
		copy_name(c->schema, sizeof c->schema, s, (size_t)(q - s));
	}
	ec_text_reset(&c->ct, d->o->max_body);
	ec_text_fmt(&c->ct, "login: user '%s'", c->user);
	if (c->schema[0])
		ec_text_fmt(&c->ct, ", database '%s'", c->schema);
	ec_text_str(&c->ct, ", auth (hidden)");
	emit_request(d, c, m, end, K_LOGIN, "LOGIN", "LOGIN", 1, 0, NULL);
}

/* COM_STMT_EXECUTE: the statement's SQL, its parameters as the client bound them. */
static void execute(struct ec_parse_dir *d, struct myconn *c, const uint8_t *p, size_t n,
		    struct ec_mark m, int64_t end)
{
	uint32_t id = n >= 5 ? (uint32_t)le(p + 1, 4) : 0;
	struct stmt *st = stmt_find(c, id);
	struct ec_text *t = &c->ct;
	ec_text_str(t, "EXECUTE");
	if (!st) {
		ec_text_fmt(
		    t, " statement %u (prepared before the capture: parameters not decoded)", id);
		char path[64];
		snprintf(path, sizeof path, "statement %u", id);
		emit_request(d, c, m, end, K_EXECUTE, "EXECUTE", path, 1, id, NULL);
		return;
	}
	ec_text_fmt(t, ": %s", st->sql);
	/* the parameters after the flags and the iteration count */
	const uint8_t *q = p + 10, *e = p + n;
	struct ec_text params = {0};
	ec_text_reset(&params, 256);
	int ok = n >= 10;
	if (ok && st->nparams) {
		size_t nb = (st->nparams + 7u) / 8u;
		const uint8_t *nulls = q;
		if ((size_t)(e - q) < nb + 1) {
			ok = 0;
		} else {
			q += nb;
			if (*q++ == 1) {
				/* new types bound: remembered for executes that do not repeat them
				 */
				if ((size_t)(e - q) < 2u * st->nparams) {
					ok = 0;
				} else {
					free(st->types);
					st->types = ec_xmalloc(2u * st->nparams);
					memcpy(st->types, q, 2u * st->nparams);
					q += 2u * st->nparams;
				}
			}
		}
		for (uint16_t i = 0; ok && i < st->nparams; i++) {
			ec_text_str(t, i ? ", " : "\n  ");
			ec_text_str(&params, i ? ", " : " [");
			size_t mark = t->len;
			ec_text_str(t, "? = ");
			if (nulls[i / 8] & (1u << (i % 8))) {
				ec_text_str(t, "NULL");
			} else if (!st->types || binval(t, st->types[2 * i],
							st->types[2 * i + 1] & 0x80, &q, e, 1)) {
				ok = 0;
				ec_text_str(t, "?");
			}
			ec_text_put(&params, t->p + mark, t->len - mark);
		}
		ec_text_str(&params, "]");
	}
	if (!ok)
		ec_text_str(t, " (parameters not decoded)");
	char *path = collapse((const uint8_t *)st->sql, strlen(st->sql), PATH_MAX_);
	size_t pl = strlen(path);
	path = ec_xrealloc(path, pl + params.len + 1);
	memcpy(path + pl, ec_text_get(&params), params.len + 1);
	emit_request(d, c, m, end, K_EXECUTE, "EXECUTE", path, 1, id, NULL);
	free(path);
	ec_text_free(&params);
}

static void on_command(struct ec_parse_dir *d, struct myconn *c, const uint8_t *p, size_t n,
		       struct ec_mark m, int64_t end)
{
	ec_text_reset(&c->ct, d->o->max_body);
	if (c->phase == 1) {
		/* more of the login: an auth switch answer, a password */
		ec_text_str(&c->ct, "auth (hidden)");
		emit_request(d, c, m, end, K_LOGIN, "AUTH", "AUTH", 1, 0, NULL);
		return;
	}
	uint8_t cmd = n ? p[0] : 0;
	const uint8_t *arg = p + (n ? 1 : 0);
	size_t an = n ? n - 1 : 0;
	static const struct {
		uint8_t cmd;
		const char *name;
		enum kind kind;
		int answered;
	} named[] = {
	    {COM_QUIT, "QUIT", K_OTHER, 0},
	    {0x05, "CREATE DB", K_OTHER, 1},
	    {0x06, "DROP DB", K_OTHER, 1},
	    {0x07, "REFRESH", K_OTHER, 1},
	    {0x08, "SHUTDOWN", K_OTHER, 1},
	    {COM_STATISTICS, "STATISTICS", K_STATS, 1},
	    {0x0a, "PROCESS INFO", K_QUERY, 1},
	    {0x0c, "PROCESS KILL", K_OTHER, 1},
	    {0x0d, "DEBUG", K_OTHER, 1},
	    {COM_PING, "PING", K_OTHER, 1},
	    {COM_CHANGE_USER, "CHANGE USER", K_LOGIN, 1},
	    {0x12, "BINLOG DUMP", K_OTHER, 1},
	    {0x15, "REGISTER SLAVE", K_OTHER, 1},
	    {COM_STMT_SEND_LONG_DATA, "SEND LONG DATA", K_OTHER, 0},
	    {COM_STMT_CLOSE, "CLOSE STATEMENT", K_OTHER, 0},
	    {COM_STMT_RESET, "RESET STATEMENT", K_OTHER, 1},
	    {COM_SET_OPTION, "SET OPTION", K_OTHER, 1},
	    {COM_STMT_FETCH, "FETCH", K_FETCH, 1},
	    {COM_RESET_CONNECTION, "RESET CONNECTION", K_OTHER, 1},
	    {0x1e, "BINLOG DUMP GTID", K_OTHER, 1},
	    {COM_STMT_BULK_EXECUTE, "BULK EXECUTE", K_OTHER, 1},
	};
	if (cmd == COM_QUERY || cmd == COM_STMT_PREPARE || cmd == COM_INIT_DB ||
	    cmd == COM_FIELD_LIST) {
		if (cmd == COM_QUERY && (c->caps & CAP_QUERY_ATTRS)) {
			/* query attributes: their counts first (none sent by mysql(1)) */
			uint64_t k;
			const uint8_t *q = arg, *e = arg + an;
			if (!ec_mysql_lenenc(&q, e, &k) && !ec_mysql_lenenc(&q, e, &k)) {
				an -= (size_t)(q - arg);
				arg = q;
			}
		}
		char *sql = collapse(
		    arg, cmd == COM_FIELD_LIST ? strnlen((const char *)arg, an) : an, PATH_MAX_);
		char *kw = keyword(sql);
		const char *method = cmd == COM_QUERY	     ? kw
				     : cmd == COM_INIT_DB    ? "USE"
				     : cmd == COM_FIELD_LIST ? "FIELD LIST"
							     : "PREPARE";
		if (cmd == COM_INIT_DB)
			copy_name(c->schema, sizeof c->schema, arg, an);
		if (cmd != COM_QUERY)
			ec_text_fmt(&c->ct, "%s: ", method);
		ec_text_put(&c->ct, arg, an);
		char *path = sql;
		if (cmd == COM_INIT_DB) {
			path = ec_xmalloc(strlen(sql) + 5);
			sprintf(path, "USE %s", sql);
		}
		char *full = cmd == COM_STMT_PREPARE ? collapse(arg, an, 1 << 16) : NULL;
		emit_request(d, c, m, end,
			     cmd == COM_QUERY	       ? K_QUERY
			     : cmd == COM_STMT_PREPARE ? K_PREPARE
			     : cmd == COM_FIELD_LIST   ? K_FIELD_LIST
						       : K_OTHER,
			     method[0] ? method : "QUERY", path, 1, 0, full);
		free(full);
		if (path != sql)
			free(path);
		free(sql);
		free(kw);
		return;
	}
	if (cmd == COM_STMT_EXECUTE) {
		execute(d, c, p, n, m, end);
		return;
	}
	for (size_t i = 0; i < sizeof named / sizeof *named; i++) {
		if (named[i].cmd != cmd)
			continue;
		ec_text_str(&c->ct, named[i].name);
		char path[48];
		if (((cmd >= COM_STMT_SEND_LONG_DATA && cmd <= COM_STMT_RESET) ||
		     cmd == COM_STMT_FETCH || cmd == COM_STMT_BULK_EXECUTE) &&
		    an >= 4) {
			uint32_t id = (uint32_t)le(arg, 4);
			snprintf(path, sizeof path, "%s %u", named[i].name, id);
			ec_text_fmt(&c->ct, " %u", id);
			struct stmt *st = cmd == COM_STMT_CLOSE ? stmt_find(c, id) : NULL;
			if (st)
				stmt_drop(st);
		} else {
			snprintf(path, sizeof path, "%s", named[i].name);
		}
		if (cmd == COM_CHANGE_USER) {
			/* a login again: user, auth data (hidden, a length first), schema */
			const uint8_t *z = memchr(arg, 0, an), *e = arg + an;
			copy_name(c->user, sizeof c->user, arg, z ? (size_t)(z - arg) : an);
			c->schema[0] = 0;
			if (z && e - z > 1 && (size_t)(e - z - 2) >= z[1]) {
				const uint8_t *db = z + 2 + z[1],
					      *dz = memchr(db, 0, (size_t)(e - db));
				copy_name(c->schema, sizeof c->schema, db,
					  dz ? (size_t)(dz - db) : (size_t)(e - db));
			}
			ec_text_fmt(&c->ct, ": user '%s', database '%s', auth (hidden)", c->user,
				    c->schema);
			c->phase = 1;
		}
		emit_request(d, c, m, end, named[i].kind, named[i].name, path, named[i].answered,
			     an >= 4 ? (uint32_t)le(arg, 4) : 0, NULL);
		return;
	}
	ec_text_fmt(&c->ct, "command 0x%02x", cmd);
	char path[24];
	snprintf(path, sizeof path, "command 0x%02x", cmd);
	emit_request(d, c, m, end, K_OTHER, "COMMAND", path, 1, 0, NULL);
}

/* ---- answers ---- */

static void answer_start(struct ec_parse_dir *d, struct myconn *c, struct ec_mark m)
{
	if (c->open)
		return;
	c->open = 1;
	c->first = m;
	c->rows = 0;
	c->awire = 0;
	c->acut = 0;
	c->summary[0] = 0;
	c->failed = 0;
	c->status = 0;
	ec_text_reset(&c->t, d->o->max_body);
}

/* The answer is whole: out, paired with the request at the head. */
static void answer_end(struct ec_parse_dir *d, struct myconn *c, int64_t end)
{
	struct req *r = q_head(c);
	struct ec_parse_out o = {.type = EC_TYPE_MYSQL_RESPONSE,
				 .m = c->first,
				 .summary = c->summary,
				 .failed = c->failed,
				 .status = c->status,
				 .end_ts = end};
	o.a = (const uint8_t *)ec_text_get(&c->t);
	o.an = c->t.len;
	if (ec_text_cut(&c->t) || c->acut) {
		o.truncated = 1;
		o.orig_length = c->awire;
	}
	if (!r && c->beyond)
		c->beyond--;
	o.answers = r ? &r->x : NULL;
	ec_parse_emit(d, &o);
	c->open = 0;
	c->state = S_IDLE;
	if (r)
		q_pop(c);
}

/* OK (0x00, or 0xfe ending rows): affected rows, insert id, status, info. */
static uint16_t ok_packet(struct myconn *c, const uint8_t *p, size_t n, int in_rows)
{
	const uint8_t *q = p + 1, *e = p + n;
	uint64_t affected = 0, insert_id = 0;
	uint16_t status = 0;
	if (ec_mysql_lenenc(&q, e, &affected) || ec_mysql_lenenc(&q, e, &insert_id) || e - q < 4)
		return 0;
	status = (uint16_t)le(q, 2);
	if (in_rows)
		return status;
	q += 4;
	ec_text_fmt(&c->t, "%sQuery OK, %" PRIu64 " row%s affected", c->t.len ? "\n" : "", affected,
		    affected == 1 ? "" : "s");
	if (insert_id)
		ec_text_fmt(&c->t, ", last insert id %" PRIu64, insert_id);
	if (q < e) {
		/* the info string (length-encoded when session tracking is on) */
		const uint8_t *s = q;
		size_t sn = (size_t)(e - q);
		if (*q < 0xfb && (size_t)*q + 1 <= sn && *q)
			s = q + 1, sn = *q;
		if (ec_is_utf8(s, sn) && sn && s[0] >= 0x20) {
			ec_text_str(&c->t, " (");
			ec_text_put(&c->t, s, sn);
			ec_text_str(&c->t, ")");
		}
	}
	snprintf(c->summary, sizeof c->summary, "OK %" PRIu64 " row%s affected", affected,
		 affected == 1 ? "" : "s");
	return status;
}

static void err_packet(struct myconn *c, const uint8_t *p, size_t n)
{
	uint16_t code = n >= 3 ? (uint16_t)le(p + 1, 2) : 0;
	const uint8_t *msg = p + (n >= 3 ? 3 : n);
	size_t mn = (size_t)(p + n - msg);
	char state[6] = "HY000";
	if (mn >= 6 && msg[0] == '#') {
		copy_name(state, sizeof state, msg + 1, 5);
		msg += 6;
		mn -= 6;
	}
	ec_text_fmt(&c->t, "%sERROR %u (%s): ", c->t.len ? "\n" : "", code, state);
	ec_text_put(&c->t, msg, mn);
	snprintf(c->summary, sizeof c->summary, "ERROR %u", code);
	c->failed = 1;
	c->status = code;
}

/*
 * A column definition: its name for the table's header (inline, after the
 * others, when the answer is a PREPARE's or a FIELD LIST's), its type for
 * binary rows.
 */
static void column(struct myconn *c, const uint8_t *p, size_t n, int inline_name)
{
	const uint8_t *q = p, *e = p + n, *s = NULL;
	size_t sn = 0;
	for (int i = 0; i < 5; i++) /* catalog, schema, table, org_table, name */
		if (lenstr(&q, e, &s, &sn))
			return;
	uint64_t k;
	const uint8_t *name = s;
	size_t nn = sn;
	if (lenstr(&q, e, &s, &sn))
		return;
	if (q < e && *q != 0x0c) {
		/* MariaDB's extended metadata (a type name, a format) before the fixed fields */
		const uint8_t *x = q, *xs;
		size_t xn;
		if (!lenstr(&x, e, &xs, &xn) && x < e && *x == 0x0c)
			q = x;
	}
	if (ec_mysql_lenenc(&q, e, &k) || e - q < 9)
		return;
	if (c->ncol < MAX_COLS) {
		c->cols = ec_xrealloc(c->cols, (c->ncol + 1) * sizeof *c->cols);
		struct col *k = &c->cols[c->ncol++];
		k->type = q[6];
		k->flags = (uint16_t)le(q + 7, 2);
		/* cut at a character's start */
		size_t cn = nn < sizeof k->name - 1 ? nn : sizeof k->name - 1;
		while (cn < nn && cn && (name[cn] & 0xc0) == 0x80)
			cn--;
		memcpy(k->name, name ? (const char *)name : "", name ? cn : 0);
		k->name[name ? cn : 0] = 0;
	}
	if (!inline_name)
		return;
	ec_text_str(&c->t, c->ncol > 1 ? " | " : c->t.len ? "\n" : "");
	if (name)
		ec_text_put(&c->t, name, nn);
}

/* The cell just rendered in c->cell, into the row being kept. */
static void cell_keep(struct myconn *c)
{
	uint32_t k = (uint32_t)c->cell.len;
	ec_text_put(&c->cells, &k, 4);
	ec_text_put(&c->cells, c->cell.p ? c->cell.p : "", k);
}

/*
 * A row: text (length-encoded strings) or binary (a NULL bitmap, then
 * values by type), its cells kept for the table while they fit in
 * --max-body; rows past that are counted.
 */
static void row(struct myconn *c, const uint8_t *p, size_t n, int binary, size_t lim)
{
	const uint8_t *q = p, *e = p + n, *nulls = p + 1, *s;
	size_t sn, nb = (c->ncol + 7 + 2) / 8, mark = c->cells.len;
	int ok = binary ? n >= 1 + nb : 1;
	c->rows++;
	if (ec_text_cut(&c->cells) || !c->ncol)
		return;
	if (binary)
		q = p + 1 + nb;
	for (size_t i = 0; i < c->ncol; i++) {
		ec_text_reset(&c->cell, lim);
		if (!ok) {
			/* (a value that does not parse: the rest of the row is blank) */
		} else if (binary && (nulls[(i + 2) / 8] & (1u << ((i + 2) % 8)))) {
			ec_text_str(&c->cell, "NULL");
		} else if (binary) {
			ok = !binval(&c->cell, c->cols[i].type, c->cols[i].flags & 0x20, &q, e, 0);
		} else if (lenstr(&q, e, &s, &sn)) {
			ok = 0;
		} else if (!s) {
			ec_text_str(&c->cell, "NULL");
		} else if (ec_is_utf8(s, sn)) {
			ec_text_put(&c->cell, s, sn);
		} else {
			sqlval(&c->cell, s, sn);
		}
		cell_keep(c);
	}
	if (ec_text_cut(&c->cells))
		c->cells.len = mark; /* the row did not fit: no row is kept from now on */
	else
		c->kept++;
}

/* Characters in UTF-8 text (what the table's widths count). */
static size_t chars(const char *s, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += ((uint8_t)s[i] & 0xc0) != 0x80;
	return k;
}

/* As mysql(1) aligns them: numbers to the right. */
static int numeric(uint8_t type)
{
	return (type <= 0x09 && type != 0x07) || type == 0x0d || type == 0xf6;
}

static void pad(struct ec_text *t, size_t k)
{
	static const char sp[] = "                                ";
	while (k && !ec_text_cut(t)) {
		size_t w = k < sizeof sp - 1 ? k : sizeof sp - 1;
		ec_text_put(t, sp, w);
		k -= w;
	}
}

static void rule(struct ec_text *t, const size_t *w, size_t nc)
{
	ec_text_str(t, "+");
	for (size_t i = 0; i < nc && !ec_text_cut(t); i++) {
		for (size_t k = w[i] + 2; k && !ec_text_cut(t);) {
			static const char dash[] = "--------------------------------";
			size_t m = k < sizeof dash - 1 ? k : sizeof dash - 1;
			ec_text_put(t, dash, m);
			k -= m;
		}
		ec_text_str(t, "+");
	}
}

/* One line of the table: cells (names, or the kept row at *q, advanced). */
static void line(struct myconn *c, const size_t *w, const char **q, int header)
{
	struct ec_text *t = &c->t;
	ec_text_str(t, "\n|");
	for (size_t i = 0; i < c->ncol; i++) {
		const char *v = c->cols[i].name;
		size_t vn = strlen(v);
		if (!header) {
			uint32_t k;
			memcpy(&k, *q, 4);
			v = *q + 4;
			vn = k;
			*q += 4 + k;
		}
		size_t gap = w[i] - chars(v, vn);
		int right = !header && numeric(c->cols[i].type);
		ec_text_str(t, " ");
		if (right)
			pad(t, gap);
		ec_text_put(t, v, vn);
		if (!right)
			pad(t, gap);
		ec_text_str(t, " |");
		if (ec_text_cut(t))
			return;
	}
}

/* The rows kept as mysql(1) draws them: a table with the columns' names at its head. */
static uint64_t table(struct myconn *c)
{
	struct ec_text *t = &c->t;
	const char *q;
	uint64_t r = 0;
	if (c->ncol && c->kept) {
		size_t *w = ec_xcalloc(c->ncol, sizeof *w);
		for (size_t i = 0; i < c->ncol; i++)
			w[i] = chars(c->cols[i].name, strlen(c->cols[i].name));
		q = c->cells.p;
		for (uint64_t r = 0; r < c->kept; r++)
			for (size_t i = 0; i < c->ncol; i++) {
				uint32_t k;
				memcpy(&k, q, 4);
				size_t cw = chars(q + 4, k);
				w[i] = cw > w[i] ? cw : w[i];
				q += 4 + k;
			}
		if (t->len)
			ec_text_str(t, "\n");
		rule(t, w, c->ncol);
		line(c, w, &q, 1);
		ec_text_str(t, "\n");
		rule(t, w, c->ncol);
		/* rows while they fit with the last rule and the count after them */
		size_t lw = 2;
		for (size_t i = 0; i < c->ncol; i++)
			lw += w[i] + 3;
		q = c->cells.p;
		for (r = 0; r < c->kept && t->len + 2 * lw + 96 <= t->lim; r++)
			line(c, w, &q, 0);
		ec_text_str(t, "\n");
		rule(t, w, c->ncol);
		free(w);
	}
	return r;
}

/* The result set ends: its table and its row count. */
static void rows_end(struct myconn *c)
{
	struct ec_text *t = &c->t;
	if (!c->rows)
		ec_text_str(t, t->len ? "\nEmpty set" : "Empty set");
	uint64_t shown = table(c);
	if (c->rows && !c->ncol) {
		ec_text_str(t, t->len ? "\n(rows not shown: their columns were not seen)"
				      : "(rows not shown: their columns were not seen)");
	} else if (c->rows > shown) {
		ec_text_fmt(t, "\n(%" PRIu64 " more row%s not shown: --max-body)", c->rows - shown,
			    c->rows - shown == 1 ? "" : "s");
		c->acut = 1;
	}
	if (c->rows)
		ec_text_fmt(t, "%s%" PRIu64 " row%s in set", t->len ? "\n" : "", c->rows,
			    c->rows == 1 ? "" : "s");
	snprintf(c->summary, sizeof c->summary, "%" PRIu64 " row%s", c->rows,
		 c->rows == 1 ? "" : "s");
}

/* An EOF packet (0xfe, short) or the OK that ends rows (CLIENT_DEPRECATE_EOF). */
static int is_eof(const uint8_t *p, size_t n)
{
	return n && p[0] == 0xfe && n < EC_MYSQL_MAX_PACKET;
}

/* A classic EOF (5 bytes): an OK with 0xfe first has at least 7. */
static int is_classic_eof(const uint8_t *p, size_t n)
{
	return n && p[0] == 0xfe && n < 7;
}

static uint16_t eof_status(struct myconn *c, const uint8_t *p, size_t n)
{
	if (n < 7)
		return n >= 5 ? (uint16_t)le(p + 3, 2) : 0;
	return ok_packet(c, p, n, 1);
}

static void on_answer(struct ec_parse_dir *d, struct myconn *c, const uint8_t *p, size_t n,
		      uint8_t seq, struct ec_mark m, int64_t end)
{
	struct req *r = q_head(c);
	enum kind kind = r ? r->kind : K_OTHER;
	uint8_t b = n ? p[0] : 0;
	answer_start(d, c, m);
	switch (c->state) {
	case S_IDLE:
		if (seq == 0 && b == 0x0a && !r) {
			/* the server's greeting (seen in plaintext): version, connection id,
			 * capabilities */
			const uint8_t *v = p + 1, *z = memchr(v, 0, n - 1);
			char ver[64];
			copy_name(ver, sizeof ver, v, z ? (size_t)(z - v) : 0);
			ec_text_fmt(&c->t, "greeting: server %s", ver);
			if (z && (size_t)(p + n - z) >= 1 + 4 + 8 + 1 + 2) {
				uint32_t caps = (uint32_t)le(z + 14, 2);
				if ((size_t)(p + n - z) >= 21)
					caps |= (uint32_t)le(z + 19, 2) << 16;
				ec_text_fmt(&c->t, ", connection %u, capabilities 0x%08x%s",
					    (unsigned)le(z + 1, 4), caps,
					    caps & CAP_SSL ? " (TLS)" : "");
			}
			snprintf(c->summary, sizeof c->summary, "server %s", ver);
			c->phase = 1;
			answer_end(d, c, end);
			return;
		}
		if (b == 0xff) {
			err_packet(c, p, n);
			if (kind == K_LOGIN)
				c->phase = 2;
			answer_end(d, c, end);
			return;
		}
		if (kind == K_LOGIN || c->phase == 1) {
			if (b == 0x00) {
				ec_text_str(&c->t, "connected");
				snprintf(c->summary, sizeof c->summary, "connected");
				c->phase = 2;
			} else if (b == 0xfe) {
				const uint8_t *z = memchr(p + 1, 0, n - 1);
				char plugin[48];
				copy_name(plugin, sizeof plugin, p + 1,
					  z ? (size_t)(z - p - 1) : 0);
				ec_text_fmt(&c->t, "auth switch to %s (data hidden)", plugin);
				snprintf(c->summary, sizeof c->summary, "auth switch");
			} else {
				ec_text_str(&c->t, "auth data (hidden)");
				snprintf(c->summary, sizeof c->summary, "auth more data");
				if (n == 2 && p[1] == 3) /* caching_sha2 fast auth: OK follows */
					return;
			}
			answer_end(d, c, end);
			return;
		}
		if (kind == K_STATS) {
			ec_text_put(&c->t, p, n);
			snprintf(c->summary, sizeof c->summary, "statistics");
			answer_end(d, c, end);
			return;
		}
		if (b == 0x00 && kind == K_PREPARE && n >= 12) {
			c->prep_id = (uint32_t)le(p + 1, 4);
			c->prep_cols = (uint16_t)le(p + 5, 2);
			c->prep_params = (uint16_t)le(p + 7, 2);
			ec_text_fmt(&c->t, "prepared statement %u: %u parameter%s, %u column%s",
				    c->prep_id, c->prep_params, c->prep_params == 1 ? "" : "s",
				    c->prep_cols, c->prep_cols == 1 ? "" : "s");
			snprintf(c->summary, sizeof c->summary, "prepared %u", c->prep_id);
			struct stmt *st = stmt_find(c, c->prep_id);
			if (!st) {
				st = &c->st[c->next_st++ % STMTS];
				stmt_drop(st);
			}
			free(st->sql);
			free(st->types);
			st->types = NULL;
			st->id = c->prep_id;
			st->nparams = c->prep_params;
			st->sql = ec_xstrdup(r->sql ? r->sql : "");
			c->left = c->prep_params;
			c->ncol = 0; /* the columns' names go on a line of their own */
			c->state = c->left ? S_PARAMS : c->prep_cols ? S_PCOLS : S_IDLE;
			c->left = c->left ? c->left : c->prep_cols;
			if (c->state == S_IDLE)
				answer_end(d, c, end);
			return;
		}
		if (b == 0xfb && kind == K_QUERY) {
			/* LOAD DATA LOCAL INFILE: the client sends the file, then comes an OK */
			ec_text_fmt(&c->t, "%sLOCAL INFILE '", c->t.len ? "\n" : "");
			ec_text_put(&c->t, p + 1, n - 1);
			ec_text_str(&c->t, "'");
			c->infile = 1;
			c->infile_sent = 0;
			return;
		}
		if (kind == K_FETCH) {
			/* a cursor's rows: binary, typed by the execute that opened it */
			struct stmt *st = stmt_find(c, r->stmt);
			c->ncol = st ? st->ncol : 0;
			c->cols = ec_xrealloc(c->cols, (c->ncol + 1) * sizeof *c->cols);
			if (c->ncol)
				memcpy(c->cols, st->cols, c->ncol * sizeof *c->cols);
			c->ncols = c->ncol;
			c->state = S_ROWS;
			ec_text_reset(&c->cells, d->o->max_body);
			c->kept = 0;
			on_answer(d, c, p, n, seq, m, end);
			return;
		}
		if (b == 0x00 || (b == 0xfe && kind != K_FIELD_LIST)) {
			uint16_t st = ok_packet(c, p, n, 0);
			if (!(st & MORE_RESULTS))
				answer_end(d, c, end);
			return;
		}
		if (kind == K_FIELD_LIST) {
			if (b == 0xfe) {
				answer_end(d, c, end);
				return;
			}
			column(c, p, n, 1);
			snprintf(c->summary, sizeof c->summary, "%zu columns", c->ncol);
			return;
		}
		/* a result set: the column count, then the columns */
		{
			const uint8_t *q = p;
			uint64_t k = 0;
			ec_mysql_lenenc(&q, p + n, &k);
			c->ncols = k;
			c->left = k;
			c->ncol = 0;
			c->rows = 0;
			ec_text_reset(&c->cells, d->o->max_body);
			c->kept = 0;
			c->state = k ? S_COLS : S_ROWS;
			/* MariaDB's cached metadata: a byte says whether the columns follow */
			struct stmt *st = kind == K_EXECUTE ? stmt_find(c, r->stmt) : NULL;
			if (q < p + n && !*q && st && st->ncol) {
				c->cols = ec_xrealloc(c->cols, st->ncol * sizeof *c->cols);
				memcpy(c->cols, st->cols, st->ncol * sizeof *c->cols);
				c->ncol = st->ncol;
				c->state = S_ROWS;
			} else if (q < p + n && !*q) {
				c->state =
				    S_ROWS; /* (the types are not known: binary rows not shown) */
			}
		}
		return;
	case S_COLS:
	case S_PCOLS:
	case S_PARAMS:
		if (c->state != S_PARAMS)
			column(c, p, n, c->state == S_PCOLS);
		if (--c->left)
			return;
		if (c->state == S_COLS && kind == K_EXECUTE) {
			/* the columns, for the executes whose answers will not repeat them */
			struct stmt *st = stmt_find(c, r->stmt);
			if (st && c->ncol) {
				st->cols = ec_xrealloc(st->cols, c->ncol * sizeof *st->cols);
				memcpy(st->cols, c->cols, c->ncol * sizeof *st->cols);
				st->ncol = c->ncol;
			}
		}
		if (c->caps & CAP_DEPRECATE_EOF) {
			/* no EOF after definitions: what follows comes now */
			if (c->state == S_COLS) {
				c->state = S_ROWS;
			} else if (c->state == S_PARAMS && c->prep_cols) {
				c->state = S_PCOLS;
				c->left = c->prep_cols;
			} else {
				c->ncol = 0;
				answer_end(d, c, end);
			}
			return;
		}
		/* (the login was not seen: an EOF follows, or the next packet says it did not) */
		c->state = c->state == S_COLS	 ? S_COLS_EOF
			   : c->state == S_PCOLS ? S_PCOLS_EOF
						 : S_PARAMS_EOF;
		return;
	case S_PARAMS_EOF:
		if (is_classic_eof(p, n)) {
			/* the parameters' EOF; the columns' definitions follow, if any */
			if (c->prep_cols) {
				c->state = S_PCOLS;
				c->left = c->prep_cols;
				return;
			}
			answer_end(d, c, end);
			return;
		}
		/* (no EOF: CLIENT_DEPRECATE_EOF) */
		if (c->prep_cols) {
			c->state = S_PCOLS;
			c->left = c->prep_cols;
			on_answer(d, c, p, n, seq, m, end);
			return;
		}
		answer_end(d, c, end);
		on_answer(d, c, p, n, seq, m, end);
		return;
	case S_PCOLS_EOF:
		c->ncol = 0;
		if (is_classic_eof(p, n)) {
			answer_end(d, c, end);
			return;
		}
		answer_end(d, c, end);
		on_answer(d, c, p, n, seq, m, end);
		return;
	case S_COLS_EOF:
		c->state = S_ROWS;
		if (is_classic_eof(p, n))
			return; /* the columns' EOF; with CLIENT_DEPRECATE_EOF the rows start */
				/* fall through */
	case S_ROWS:
		if (b == 0xff) {
			err_packet(c, p, n);
			answer_end(d, c, end);
			return;
		}
		if (is_eof(p, n)) {
			uint16_t st = eof_status(c, p, n);
			rows_end(c);
			if (st & MORE_RESULTS) {
				c->state = S_IDLE; /* the next result of the same answer */
				return;
			}
			answer_end(d, c, end);
			return;
		}
		row(c, p, n, kind == K_EXECUTE || kind == K_FETCH, d->o->max_body);
		return;
	}
}

/* ---- the decoder ec-parse drives (lib/proto/parse.h) ---- */

static int mysql_port(uint32_t port)
{
	return port == 3306;
}

/*
 * A HandshakeResponse41: protocol 41 and 23 filler bytes after the charset,
 * zero but for the last 4 (MariaDB's extended capabilities).
 */
static int handshake_response(const uint8_t *pl, size_t n, uint8_t seq)
{
	if ((seq != 1 && seq != 2) || n < 33 || !(le(pl, 4) & CAP_PROTOCOL_41))
		return 0;
	for (size_t i = 9; i < 28; i++)
		if (pl[i])
			return 0;
	return 1;
}

/* The server's greeting: protocol 10 and a version of printable bytes ending in NUL. */
static int greeting(const uint8_t *pl, size_t n, uint8_t seq)
{
	if (seq != 0 || n < 20 || pl[0] != 0x0a)
		return 0;
	size_t i = 1;
	while (i < n && i < 64 && pl[i] >= 0x20 && pl[i] < 0x7f)
		i++;
	return i > 2 && i < n && pl[i] == 0 && pl[1] >= '0' && pl[1] <= '9';
}

static void set_roles(struct ec_parse_dir *d, struct myconn *c, const uint8_t *pl, size_t n,
		      uint8_t seq)
{
	struct ec_parse_hint h;
	ec_parse_hint(d, &h);
	int mine; /* these bytes are the client's */
	if (mysql_port(h.remote_port) != mysql_port(h.local_port))
		mine = h.sent == mysql_port(h.remote_port);
	else
		mine = !greeting(pl, n, seq) && (handshake_response(pl, n, seq) || seq == 0);
	c->client_di = mine ? d->di : !d->di;
	c->roles_known = 1;
}

/*
 * The server's packets follow one another in sequence within an answer (or
 * the client's LOCAL INFILE packets); an answer's first follows its
 * command's last. Unknown (mid-stream): any.
 */
static int server_seq_ok(const struct myconn *c, uint8_t seq)
{
	if (c->open)
		return seq == (uint8_t)((c->infile ? c->g[c->client_di].last : c->sseq) + 1);
	const struct req *r = ec_parse_queue_head(&c->q);
	return !r || seq == (uint8_t)(r->seq + 1);
}

/* A command byte a client sends: COM_QUIT to COM_RESET_CONNECTION, MariaDB's bulk execute. */
static int command_byte(uint8_t b)
{
	return (b >= COM_QUIT && b <= COM_RESET_CONNECTION) || b == COM_STMT_BULK_EXECUTE;
}

/*
 * A packet longer than the bytes at hand (seq, its first byte b or -1, its
 * length) may be gathered: what the whole packet's checks below say of its
 * start, lest garbage be taken for megabytes of payload.
 */
static int may_start(const struct myconn *c, const struct ec_parse_dir *d, uint8_t seq, int b,
		     size_t len)
{
	if (d->di == c->client_di)
		return c->phase == 1 || (seq && c->infile) ||
		       ((seq == 1 || seq == 2) && len >= 32 && len <= MAX_LOGIN && c->phase != 2) ||
		       (!seq && (b < 0 || command_byte((uint8_t)b)));
	return server_seq_ok(c, seq);
}

/* A client's packet: 0, or -1 when it cannot be one (sync is lost). */
static int client_packet(struct ec_parse_dir *d, struct myconn *c, const uint8_t *p, size_t n,
			 uint8_t seq, struct ec_mark m, int64_t end)
{
	if (handshake_response(p, n, seq)) {
		login(d, c, p, n, m, end);
	} else if (n == 32 && seq == 1 && (le(p, 4) & CAP_SSL)) {
		c->caps = (uint32_t)le(p, 4); /* SSLRequest: TLS follows */
	} else if (c->phase == 1) {
		on_command(d, c, p, n, m, end); /* auth data */
	} else if (seq && c->infile) {
		c->infile_sent += n; /* a LOCAL INFILE's contents, an empty packet last */
	} else if (seq || !n || !command_byte(p[0])) {
		return -1;
	} else {
		on_command(d, c, p, n, m, end);
	}
	return 0;
}

/*
 * A server's packet (seq: its first sequence id, as ids follow one another
 * within an answer): 0, or -1 when it is out of sequence (sync is lost).
 */
static int server_packet(struct ec_parse_dir *d, struct myconn *c, const uint8_t *p, size_t n,
			 uint8_t seq, struct ec_mark m, int64_t end)
{
	if (!server_seq_ok(c, seq))
		return -1;
	c->sseq = c->g[d->di].last;
	if (c->infile)
		ec_text_fmt(&c->t, " (%" PRIu64 " bytes sent)", c->infile_sent);
	c->infile = 0;
	answer_start(d, c, m);
	c->awire += c->wire;
	c->acut |= c->cut;
	on_answer(d, c, p, n, seq, m, end);
	return 0;
}

static int packet(struct ec_parse_dir *d, struct myconn *c, const uint8_t *p, size_t n, uint8_t seq,
		  struct ec_mark m, int64_t end)
{
	if (!c->roles_known)
		set_roles(d, c, p, n, seq);
	return d->di == c->client_di ? client_packet(d, c, p, n, seq, m, end)
				     : server_packet(d, c, p, n, seq, m, end);
}

static void gather_clear(struct gather *g)
{
	free(g->buf);
	memset(g, 0, sizeof *g);
}

static int give_up(struct ec_parse_dir *d, void *st, const char *note, int desync,
		   const uint8_t **held, size_t *held_len);

/* Bytes that are no packet: out as type 0 with what was open, and sync is lost. */
static size_t lose(struct ec_parse_dir *d, struct myconn *c, const struct ec_parse_src *s,
		   size_t off, const char *why)
{
	char note[96];
	snprintf(note, sizeof note, "MySQL: %s", why);
	give_up(d, c, note, 1, NULL, NULL);
	ec_parse_untyped(d, ec_parse_mark(s, off), s->p + off, s->n - off, NULL, 0, 1, note);
	d->desync = 1;
	return s->n;
}

/* After lost sync, a packet may start at p: 1, 0 not, -1 can't tell yet. */
static int plausible(const struct myconn *c, const struct ec_parse_dir *d, const uint8_t *p,
		     size_t n)
{
	if (n < 5)
		return -1;
	size_t len = le(p, 3), k = n - 4 < len ? n - 4 : len;
	if (!len)
		return 0;
	if (d->di == c->client_di)
		return (p[3] == 0 && command_byte(p[4])) || handshake_response(p + 4, k, p[3]);
	/* an answer's first packet: OK, ERR, or a column count */
	return greeting(p + 4, k, p[3]) ||
	       (p[3] == 1 && (p[4] == 0x00 || p[4] == 0xff || (p[4] < 0xfb && len == 1)));
}

static size_t consume(struct ec_parse_dir *d, void *st, const struct ec_parse_src *s, size_t off)
{
	struct myconn *c = st;
	struct gather *g = &c->g[d->di];
	size_t keep = d->o->max_body > KEEP_MIN ? d->o->max_body : KEEP_MIN;
	while (off < s->n && d->proto == &ec_mysql_proto && !ec_parse_failed(d)) {
		const uint8_t *p = s->p + off;
		size_t n = s->n - off;
		if (g->on && !g->need && g->more) {
			/* the packet after one of 0xffffff bytes continues its payload */
			if (n < 4)
				break;
			if (p[3] != (uint8_t)(g->last + 1))
				return lose(d, c, s, off, "a continuation packet out of sequence");
			g->last = p[3];
			g->need = le(p, 3);
			g->more = g->need == EC_MYSQL_MAX_PACKET;
			g->wire += 4;
			g->end = ec_parse_mark(s, off + 3).ts;
			off += 4;
		} else if (g->on) {
			size_t k = n < g->need ? n : g->need;
			size_t cp = g->len < keep ? keep - g->len : 0;
			cp = cp < k ? cp : k;
			if (g->len + cp > g->cap) {
				g->cap = g->len + cp > 2 * g->cap ? g->len + cp : 2 * g->cap;
				g->buf = ec_xrealloc(g->buf, g->cap);
			}
			if (cp)
				memcpy(g->buf + g->len, p, cp);
			g->len += cp;
			g->total += k;
			g->wire += k;
			g->need -= k;
			g->end = ec_parse_mark(s, off + k - 1).ts;
			off += k;
		} else {
			if (d->desync) {
				int r = plausible(c, d, p, n);
				if (r < 0)
					break;
				if (!r) {
					ec_parse_untyped(d, ec_parse_mark(s, off), p, n, NULL, 0, 1,
							 "MySQL: not at a packet boundary");
					return s->n;
				}
				d->desync = 0;
			}
			if (n < 4)
				break;
			size_t len = le(p, 3);
			g->last = p[3];
			if (len < EC_MYSQL_MAX_PACKET && n >= 4 + len) {
				/* whole at hand: read in place */
				c->wire = 4 + len;
				c->cut = 0;
				if (packet(d, c, p + 4, len, p[3], ec_parse_mark(s, off),
					   ec_parse_mark(s, off + 3 + len).ts))
					return lose(d, c, s, off,
						    d->di == c->client_di
							? "not a command"
							: "a packet out of sequence");
				off += 4 + len;
				continue;
			}
			if (!c->roles_known)
				set_roles(d, c, p + 4, n - 4, p[3]);
			if (!may_start(c, d, p[3], n > 4 ? p[4] : -1, len))
				return lose(d, c, s, off,
					    d->di == c->client_di ? "not a command"
								  : "a packet out of sequence");
			g->on = 1;
			g->seq = p[3];
			g->m = ec_parse_mark(s, off);
			g->end = ec_parse_mark(s, off + 3).ts;
			g->need = len;
			g->more = len == EC_MYSQL_MAX_PACKET;
			g->wire = 4;
			off += 4;
		}
		if (g->on && !g->need && !g->more) {
			struct gather w = *g;
			memset(g, 0, sizeof *g);
			g->last = w.last;
			c->wire = w.wire;
			c->cut = w.len < w.total;
			int bad = packet(d, c, w.buf ? w.buf : (const uint8_t *)"", w.len, w.seq,
					 w.m, w.end);
			free(w.buf);
			if (bad)
				return lose(d, c, s, off,
					    d->di == c->client_di ? "not a command"
								  : "a packet out of sequence");
		}
	}
	return off;
}

static void conn_release(void *st)
{
	struct myconn *c = st;
	forget(c);
	ec_parse_queue_free(&c->q);
	for (unsigned i = 0; i < STMTS; i++)
		stmt_drop(&c->st[i]);
	for (int i = 0; i < 2; i++)
		gather_clear(&c->g[i]);
	free(c->cols);
	ec_text_free(&c->t);
	ec_text_free(&c->ct);
	ec_text_free(&c->cells);
	ec_text_free(&c->cell);
}

static int busy(const void *st, int di)
{
	const struct myconn *c = st;
	return c->g[di].on || (di != c->client_di && c->open);
}

static void reset(void *st, int di)
{
	struct myconn *c = st;
	gather_clear(&c->g[di]);
	if (di != c->client_di)
		c->open = 0, c->state = S_IDLE;
}

/* An answer cut short (close, loss) goes out with what it had. */
static int give_up(struct ec_parse_dir *d, void *st, const char *note, int desync,
		   const uint8_t **held, size_t *held_len)
{
	struct myconn *c = st;
	(void)held;
	(void)held_len;
	int had = c->g[d->di].on;
	gather_clear(&c->g[d->di]);
	if (d->di != c->client_di && c->open) {
		struct req *r = q_head(c);
		if (c->state == S_ROWS)
			table(c); /* the rows so far */
		struct ec_parse_out o = {.type = EC_TYPE_MYSQL_RESPONSE,
					 .m = c->first,
					 .summary = c->summary,
					 .note = note,
					 .answers = r ? &r->x : NULL};
		o.a = (const uint8_t *)ec_text_get(&c->t);
		o.an = c->t.len;
		ec_parse_emit(d, &o);
		c->open = 0;
		c->state = S_IDLE;
		if (r)
			q_pop(c);
		had = 1;
	}
	c->infile = 0;
	if (desync && d->di != c->client_di)
		forget(c); /* what the next answer answers is unknown now */
	return had;
}

/*
 * A login (the client's HandshakeResponse41, the server's greeting) from
 * the first bytes on any port; on port 3306 also a command or an answer.
 */
static int detect(const struct ec_parse_dir *d, const uint8_t *p, size_t n)
{
	const uint8_t *pl;
	size_t pn;
	uint8_t seq;
	struct ec_parse_hint h;
	ec_parse_hint(d, &h);
	int port = mysql_port(h.local_port) || mysql_port(h.remote_port);
	if (n < 4)
		return -1;
	size_t len = (size_t)p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16;
	/* on the port, a command's start is enough: it may be megabytes long */
	int client = h.sent == mysql_port(h.remote_port);
	if (len && port && client && p[3] == 0 && n > 4 && command_byte(p[4]))
		return 1;
	if (len == 0 || len > (1u << 20))
		return 0;
	if (!ec_mysql_packet(p, n, &pl, &pn, &seq)) {
		/* waited for only while the bytes so far fit a login, or on the port */
		int login = (p[3] == 0 && (n < 5 || p[4] == 0x0a)) ||
			    ((p[3] == 1 || p[3] == 2) && (n < 6 || (p[5] & 0x02)));
		return login || port ? -1 : 0;
	}
	if (handshake_response(pl, pn, seq) || greeting(pl, pn, seq))
		return 1;
	if (!port)
		return 0;
	/* the server's answer to a command */
	return !client && seq >= 1 && pn >= 1;
}

const struct ec_parse_proto ec_mysql_proto = {
    .name = "mysql",
    .detect = detect,
    .conn_size = sizeof(struct myconn),
    .conn_release = conn_release,
    .consume = consume,
    .busy = busy,
    .reset = reset,
    .give_up = give_up,
};
