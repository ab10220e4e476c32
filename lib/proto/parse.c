// SPDX-License-Identifier: GPL-2.0-only
#include "parse.h"
#include "decrypt.h"
#include "error.h"
#include "dns.h"
#include "http1.h"
#include "http2.h"
#include "mysql.h"
#include "pgsql.h"
#include "redis.h"
#include "reasm.h"
#include "record.h"
#include "util.h"
#include "ws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * Every decoder, in the order detection asks them (HTTP/2's preface before
 * HTTP/1's request line) and a direction's open message is given up.
 */
static const struct ec_parse_proto *const protos[] = {
    &ec_http2_proto, &ec_http1_proto, &ec_ws_proto, &ec_mysql_proto,
    &ec_pgsql_proto, &ec_redis_proto, &ec_dns_proto};
#define NPROTO (sizeof protos / sizeof protos[0])

struct pdir {
	struct ec_parse_dir d; /* what decoders see */
	struct ec_parse *P;
	struct ec_rconn *c;
	struct pconn *pc;
	/* in the held list (live input): holds bytes that arrived at held_since
	 * and have not gone out yet */
	struct pdir *qnext, *qprev;
	int queued;
	int64_t held_since;
};

struct pconn {
	struct pdir d[2];
	void *st[NPROTO]; /* each decoder's state, made when the connection first speaks it */
};

struct ec_parse {
	struct ec_parse_opts o;
	struct ec_writer *w;
	struct ec_reasm *r;
	struct ec_parse_stats st;
	int err;		 /* sticky writer error */
	int64_t now, last_sweep; /* stream time */
	uint64_t lost_seen;
	uint8_t *tmp; /* payload assembly */
	size_t tmp_cap;
	struct ec_decoder *dec;
	/* live input: when the records being parsed arrived (monotonic ns, 0
	 * for a file) and the directions holding bytes, oldest arrival first */
	int64_t arrival;
	struct pdir *qhead, *qtail;
	uint64_t exchanges; /* ids handed out */
	struct ec_decrypt *decrypt;
	int64_t decrypt_sweep;
};

static struct pdir *pdir_of(struct ec_parse_dir *d)
{
	return (struct pdir *)d; /* d is a pdir's first member */
}

struct ec_mark ec_parse_mark(const struct ec_parse_src *s, size_t off)
{
	return s->rd ? ec_reasm_mark_at(s->rd, off) : *s->m;
}

void ec_parse_opts_default(struct ec_parse_opts *o)
{
	memset(o, 0, sizeof *o);
	o->max_body = EC_PARSE_MAX_BODY_DEFAULT;
	o->max_buffer = EC_PARSE_MAX_BUFFER_DEFAULT;
	o->idle_ns = EC_PARSE_IDLE_DEFAULT;
	o->max_conns = EC_PARSE_MAX_CONNS_DEFAULT;
	o->part_ns = EC_PARSE_PART_DEFAULT;
}

/* ---- output ---- */

static void set_err(struct ec_parse *P, int err)
{
	if (err && !P->err)
		P->err = err;
}

int ec_parse_failed(const struct ec_parse_dir *d)
{
	return pdir_of((struct ec_parse_dir *)d)->P->err != 0;
}

void ec_parse_emit(struct ec_parse_dir *d, const struct ec_parse_out *o)
{
	struct pdir *pd = pdir_of(d);
	struct ec_parse *P = pd->P;
	const struct ec_meta *mt = &pd->c->dir[d->di].meta;
	EcEvent ev = EVENT__EVENT__INIT;
	size_t n = o->an + o->bn;
	if (o->decoded)
		P->st.decoded++;
	if (P->err || (n == 0 && o->type == 0 && !o->desync))
		return;
	ev.timestamp = o->m.ts;
	ev.uuid = (char *)mt->uuid;
	ev.src_ip = (char *)mt->src_ip;
	ev.src_port = mt->src_port;
	ev.dst_ip = (char *)mt->dst_ip;
	ev.dst_port = mt->dst_port;
	ev.pid = mt->pid;
	ev.pname = (char *)mt->pname;
	ev.pname_raw.data = (uint8_t *)mt->pname_raw;
	ev.pname_raw.len = mt->pname_raw_len;
	ev.type = o->type;
	ev.length = (uint32_t)n;
	if (o->bn && o->an) {
		if (n > P->tmp_cap) {
			P->tmp = ec_xrealloc(P->tmp, n);
			P->tmp_cap = n;
		}
		memcpy(P->tmp, o->a, o->an);
		memcpy(P->tmp + o->an, o->b, o->bn);
		ev.payload.data = P->tmp;
	} else {
		ev.payload.data = (uint8_t *)(o->an ? o->a : o->b);
	}
	ev.payload.len = n;
	ev.source = mt->source;
	ev.direction = mt->direction;
	ev.tid = o->m.tid;
	ev.uid = mt->uid;
	ev.fd = mt->fd;
	ev.conn_id = mt->conn_id;
	ev.cgroup_id = mt->cgroup_id;
	ev.cgroup = mt->cgroup ? mt->cgroup : (char *)"";
	ev.container_id = (char *)mt->container_id;
	ev.pod_uid = (char *)mt->pod_uid;
	ev.ns_pid = mt->ns_pid;
	ev.lib = mt->lib ? mt->lib : (char *)"";
	ev.truncated = o->truncated;
	ev.orig_length = o->orig_length;
	ev.ws_opcode = o->ws_opcode;
	ev.ws_fin = o->ws_fin;
	ev.h2_stream_id = o->h2_stream_id;
	ev.desync = o->desync;
	ev.note = (char *)(o->note ? o->note : "");
	ev.first_seq = o->m.seq;
	ev.seq = o->m.seq; /* the first fragment's, as first_seq */
	ev.part = o->part;
	ev.more_parts = o->more;
	ev.exchange_id = o->exchange_id;
	ev.status = o->status;
	ev.summary = (char *)(o->summary ? o->summary : "");
	ev.failed = o->failed;
	if (o->asks) {
		ev.exchange_id = o->asks->id;
		ev.method = o->asks->method ? o->asks->method : (char *)"";
		ev.authority = o->asks->authority ? o->asks->authority : (char *)"";
		ev.path = o->asks->path ? o->asks->path : (char *)"";
	}
	if (o->answers) {
		const struct ec_parse_exchange *x = o->answers;
		ev.exchange_id = x->id;
		ev.method = x->method ? x->method : (char *)"";
		ev.authority = x->authority ? x->authority : (char *)"";
		ev.path = x->path ? x->path : (char *)"";
		ev.latency_first_ns = o->m.ts - x->req_end;
		if (o->end_ts)
			ev.latency_last_ns = o->end_ts - x->req_end;
	}
	EcLogEntry e = EVENT__LOG_ENTRY__INIT;
	e.log_type = EVENT__LOG_TYPE__LOG_TYPE_EVENT;
	e.payload_case = EVENT__LOG_ENTRY__PAYLOAD_EVENT_PAYLOAD;
	e.event_payload = &ev;
	set_err(P, ec_writer_put(P->w, &e));
	if (o->more)
		P->st.parts++;
	else if (o->type < EC_TYPE_COUNT)
		P->st.out[o->type]++; /* a message sent in parts counts at its last */
	if (o->desync)
		P->st.desync++;
	if (P->tmp_cap > (4u << 20)) {
		free(P->tmp);
		P->tmp = NULL;
		P->tmp_cap = 0;
	}
}

void ec_parse_untyped(struct ec_parse_dir *d, struct ec_mark m, const uint8_t *a, size_t an,
		      const uint8_t *b, size_t bn, int desync, const char *note)
{
	struct ec_parse_out o = {.type = 0, .m = m, .a = a, .an = an, .b = b, .bn = bn};
	o.desync = desync;
	o.note = note;
	ec_parse_emit(d, &o);
}

/* A power of two: log the first time and then ever more rarely. */
static int pow2(uint64_t n)
{
	return n && !(n & (n - 1));
}

static void count_cut(struct ec_parse *P, const char *what, size_t limit)
{
	P->st.cut++;
	if (pow2(P->st.cut))
		set_err(P, ec_record_log(P->w, EC_LOG_WARN,
					 "ec-parse: %llu messages cut so far (%s over %zu bytes); "
					 "raise --max-body/--max-buffer to keep more",
					 (unsigned long long)P->st.cut, what, limit));
}

void ec_parse_cut(struct ec_parse_dir *d, const char *what)
{
	count_cut(pdir_of(d)->P, what, d->o->max_body);
}

void ec_parse_note(char *buf, size_t cap, const char *s)
{
	size_t l = strlen(buf);
	snprintf(buf + l, cap - l, "%s%s", l ? "; " : "", s);
}

void ec_parse_part_notes(const struct ec_parse_dir *d, char *note, size_t cap, unsigned part,
			 int more, size_t trailer_len, const char *encoding)
{
	char tmp[96];
	if (part && d->o->decode_body && encoding && encoding[0])
		ec_parse_note(note, cap, "body not decoded: sent in parts");
	if (!more && trailer_len) {
		snprintf(tmp, sizeof tmp, "trailers: the last %zu bytes", trailer_len);
		ec_parse_note(note, cap, tmp);
	}
}

/* ---- driving one direction ---- */

uint64_t ec_parse_exchange_id(struct ec_parse_dir *d)
{
	return ++pdir_of(d)->P->exchanges;
}

void ec_parse_exchange_clear(struct ec_parse_exchange *x)
{
	free(x->method);
	free(x->authority);
	free(x->path);
	memset(x, 0, sizeof *x);
}

/* A copy of n bytes as a C string (the writer makes it UTF-8). */
static char *dupn(const uint8_t *p, size_t n)
{
	char *s = ec_xmalloc(n + 1);
	memcpy(s, p, n);
	s[n] = 0;
	return s;
}

const uint8_t *ec_parse_header(const uint8_t *head, size_t n, const char *name, size_t *vlen)
{
	size_t k = strlen(name);
	for (const uint8_t *l = head, *end = head + n; l < end;) {
		const uint8_t *eol = memchr(l, '\n', (size_t)(end - l));
		const uint8_t *le = eol ? eol : end;
		if ((size_t)(le - l) > k && !strncasecmp((const char *)l, name, k)) {
			const uint8_t *v = l + k;
			while (v < le && (*v == ' ' || *v == '\t'))
				v++;
			while (le > v && (le[-1] == '\r' || le[-1] == ' ' || le[-1] == '\t'))
				le--;
			*vlen = (size_t)(le - v);
			return v;
		}
		if (!eol)
			break;
		l = eol + 1;
	}
	return NULL;
}

void ec_parse_exchange_set(struct ec_parse_dir *d, struct ec_parse_exchange *x, const uint8_t *head,
			   size_t n)
{
	uint64_t id = x->id ? x->id : ec_parse_exchange_id(d);
	int64_t req_end = x->req_end;
	ec_parse_exchange_clear(x);
	x->id = id;
	x->req_end = req_end;
	ec_parse_request_facts(head, n, &x->method, &x->authority, &x->path);
}

void ec_parse_request_facts(const uint8_t *head, size_t n, char **method, char **authority,
			    char **path)
{
	*method = *authority = *path = NULL;
	if (!n)
		return; /* (an empty payload may have no buffer at all) */
	const uint8_t *eol = memchr(head, '\n', n);
	size_t ll = eol ? (size_t)(eol - head) : n;
	const uint8_t *sp = memchr(head, ' ', ll);
	if (!sp)
		return;
	*method = dupn(head, (size_t)(sp - head));
	const uint8_t *t = sp + 1, *te = memchr(t, ' ', ll - (size_t)(t - head));
	if (!te)
		te = head + ll;
	size_t tl = (size_t)(te - t), al = 0;
	const uint8_t *auth = ec_parse_header(head, n, "host:", &al);
	if (!auth)
		auth = ec_parse_header(head, n, ":authority:", &al);
	if (!strcmp(*method, "CONNECT")) {
		auth = t; /* authority-form */
		al = tl;
		tl = 0;
	} else if (tl > 7 && (!strncasecmp((const char *)t, "http://", 7) ||
			      (tl > 8 && !strncasecmp((const char *)t, "https://", 8)))) {
		/* absolute-form: its authority wins over Host */
		const uint8_t *a = (const uint8_t *)memchr(t, '/', tl) + 2;
		const uint8_t *slash = memchr(a, '/', (size_t)(te - a));
		auth = a;
		al = (size_t)((slash ? slash : te) - a);
		tl = slash ? (size_t)(te - slash) : 0;
		t = slash ? slash : te;
	}
	*path = dupn(t, tl);
	if (auth)
		*authority = dupn(auth, al);
}

uint32_t ec_parse_status(const uint8_t *head, size_t n)
{
	const uint8_t *sp = memchr(head, ' ', n);
	uint32_t v = 0;
	int digits = 0;
	for (const uint8_t *p = sp ? sp + 1 : head + n; p < head + n && digits < 3; p++, digits++) {
		if (*p < '0' || *p > '9')
			return 0;
		v = v * 10 + (uint32_t)(*p - '0');
	}
	return digits == 3 ? v : 0;
}

void ec_parse_hint(const struct ec_parse_dir *d, struct ec_parse_hint *h)
{
	const struct ec_meta *mt = &pdir_of((struct ec_parse_dir *)d)->c->dir[d->di].meta;
	h->sent = mt->direction == EVENT__DIRECTION__DIRECTION_WRITE;
	h->local_port = mt->src_port;
	h->remote_port = mt->dst_port;
	h->local_ip = mt->src_ip;
	h->remote_ip = mt->dst_ip;
}

char *ec_parse_server(const struct ec_parse_dir *d)
{
	struct ec_parse_hint h;
	ec_parse_hint(d, &h);
	const char *ip = h.sent ? h.remote_ip : h.local_ip;
	if (!*ip)
		return NULL; /* (a capture that knows no address) */
	char b[80];
	snprintf(b, sizeof b, strchr(ip, ':') ? "[%s]:%u" : "%s:%u", ip,
		 h.sent ? h.remote_port : h.local_port);
	return ec_xstrdup(b);
}

void ec_parse_switch(struct ec_parse_dir *d, const struct ec_parse_proto *pr)
{
	d->proto = d->peer->proto = pr;
}

static size_t tunnel_consume(struct ec_parse_dir *d, void *st, const struct ec_parse_src *s,
			     size_t off)
{
	(void)st;
	ec_parse_untyped(d, ec_parse_mark(s, off), s->p + off, s->n - off, NULL, 0, 0, "tunnel");
	return s->n;
}

void *ec_parse_queue_at(const struct ec_parse_queue *q, size_t i)
{
	return q->p + ((q->head + i) % q->cap) * q->size;
}

void *ec_parse_queue_head(const struct ec_parse_queue *q)
{
	return q->n ? ec_parse_queue_at(q, 0) : NULL;
}

void *ec_parse_queue_push(struct ec_parse_queue *q, const void *e, size_t size)
{
	if (q->n == q->cap) {
		/* grow, the ring unrolled from its head */
		size_t ncap = q->cap ? 2 * q->cap : 8;
		char *np = ec_xmalloc(ncap * size);
		for (size_t i = 0; i < q->n; i++)
			memcpy(np + i * size, ec_parse_queue_at(q, i), size);
		free(q->p);
		q->p = np;
		q->cap = ncap;
		q->head = 0;
	}
	q->size = size;
	void *slot = ec_parse_queue_at(q, q->n++);
	memcpy(slot, e, size);
	return slot;
}

void ec_parse_queue_pop(struct ec_parse_queue *q)
{
	q->head = (q->head + 1) % q->cap;
	q->n--;
}

void ec_parse_queue_free(struct ec_parse_queue *q)
{
	free(q->p);
	memset(q, 0, sizeof *q);
}

int ec_parse_busy_never(const void *st, int di)
{
	(void)st;
	(void)di;
	return 0;
}

void ec_parse_reset_nothing(void *st, int di)
{
	(void)st;
	(void)di;
}

const struct ec_parse_proto ec_parse_tunnel = {.name = "tunnel", .consume = tunnel_consume};

/* The decoder's state for pd's connection, made on first use (NULL for one without). */
static void *state(struct pdir *pd, const struct ec_parse_proto *pr)
{
	for (size_t i = 0; i < NPROTO; i++) {
		if (protos[i] != pr)
			continue;
		if (!pd->pc->st[i])
			pd->pc->st[i] = ec_xcalloc(1, pr->conn_size);
		return pd->pc->st[i];
	}
	return NULL;
}

/* A connection's first bytes decide what it speaks; bytes nobody claims go out as type 0. */
static size_t detect(struct pdir *pd, const struct ec_parse_src *s, size_t off)
{
	const uint8_t *p = s->p + off;
	size_t n = s->n - off;
	for (size_t i = 0; i < NPROTO; i++) {
		int r = protos[i]->detect ? protos[i]->detect(&pd->d, p, n) : 0;
		if (r > 0)
			ec_parse_switch(&pd->d, protos[i]);
		if (r)
			return off; /* decided, or too short to tell */
	}
	ec_parse_untyped(&pd->d, ec_parse_mark(s, off), p, n, NULL, 0, 0, NULL);
	return s->n;
}

static size_t consume(struct pdir *pd, const struct ec_parse_src *s)
{
	size_t off = 0;
	while (off < s->n && !pd->P->err && !pd->d.hold) {
		size_t was = off;
		const struct ec_parse_proto *pr = pd->d.proto;
		if (pr)
			off = pr->consume(&pd->d, state(pd, pr), s, off);
		else
			off = detect(pd, s, off);
		if (off == was && pd->d.proto == pr)
			break;
	}
	return off;
}

/* Emit what a direction knows as type 0 (desync when sync is lost) and reset it. */
static void give_up(struct pdir *pd, const uint8_t *extra, size_t extra_n,
		    const struct ec_mark *extra_m, int desync, const char *note)
{
	struct ec_rdir *rd = &pd->c->dir[pd->d.di];
	const uint8_t *a = NULL;
	size_t an = 0;
	struct ec_mark m = rd->len ? ec_reasm_mark_at(rd, 0) : extra_m ? *extra_m : pd->d.start;
	for (size_t i = 0; i < NPROTO; i++) {
		const uint8_t *held = NULL;
		size_t held_len = 0;
		if (!pd->pc->st[i])
			continue;
		int r = protos[i]->give_up(&pd->d, pd->pc->st[i], note, desync, &held, &held_len);
		if (r == 2) {
			a = held;
			an = held_len;
			m = pd->d.start;
		}
		if (r)
			break;
	}
	/* with nothing known, a desync still leaves an empty marker */
	if (an && rd->len)
		ec_parse_untyped(&pd->d, m, a, an, rd->buf, rd->len, desync, note);
	else if (an || rd->len || (desync && !extra_n))
		ec_parse_untyped(&pd->d, m, an ? a : rd->buf, an ? an : rd->len, NULL, 0, desync,
				 note);
	if (extra_n)
		ec_parse_untyped(&pd->d, *extra_m, extra, extra_n, NULL, 0, desync, note);
	ec_reasm_clear(rd);
	for (size_t i = 0; i < NPROTO; i++)
		if (pd->pc->st[i])
			protos[i]->reset(pd->pc->st[i], pd->d.di);
	if (desync)
		pd->d.desync = 1;
}

static void run(struct pdir *pd, const uint8_t *p, size_t n, const struct ec_mark *m)
{
	struct ec_rdir *rd = &pd->c->dir[pd->d.di];
	size_t cap = pd->P->o.max_buffer;
	if (rd->len == 0 && !pd->d.hold) {
		struct ec_parse_src s = {p, n, NULL, m};
		size_t k = n ? consume(pd, &s) : 0;
		if (k < n && ec_reasm_append(rd, p + k, n - k, m, cap)) {
			count_cut(pd->P, "bytes buffered without a message boundary", cap);
			give_up(pd, p + k, n - k, m, 1, "over --max-buffer: sync lost");
		}
		return;
	}
	if (n && ec_reasm_append(rd, p, n, m, cap)) {
		count_cut(pd->P, "bytes buffered without a message boundary", cap);
		pd->d.hold = 0;
		give_up(pd, p, n, m, 1, "over --max-buffer: sync lost");
		return;
	}
	if (pd->d.hold || !rd->len)
		return;
	struct ec_parse_src s = {rd->buf, rd->len, rd, NULL};
	size_t k = consume(pd, &s);
	ec_reasm_consume(rd, k);
}

void ec_parse_release(struct ec_parse_dir *d)
{
	d->hold = 0;
	run(pdir_of(d), NULL, 0, NULL);
}

/* ---- live input: messages that stay open go out in parts ---- */

static void unqueue(struct ec_parse *P, struct pdir *pd)
{
	if (!pd->queued)
		return;
	if (pd->qprev)
		pd->qprev->qnext = pd->qnext;
	else
		P->qhead = pd->qnext;
	if (pd->qnext)
		pd->qnext->qprev = pd->qprev;
	else
		P->qtail = pd->qprev;
	pd->qnext = pd->qprev = NULL;
	pd->queued = 0;
}

/* A direction holds bytes or part of a message. */
static int dir_busy(const struct pdir *pd)
{
	if (pd->c->dir[pd->d.di].len)
		return 1;
	for (size_t i = 0; i < NPROTO; i++)
		if (pd->pc->st[i] && protos[i]->busy(pd->pc->st[i], pd->d.di))
			return 1;
	return 0;
}

/*
 * After an event on direction di: a direction that now holds bytes joins
 * the end of the held list (arrivals only grow, so the list stays oldest
 * first); one that holds nothing leaves it.
 */
static void track(struct ec_parse *P, struct pconn *pc, int di)
{
	for (int i = 0; i < 2; i++) {
		struct pdir *pd = &pc->d[i];
		int busy = dir_busy(pd);
		if (!busy) {
			unqueue(P, pd);
		} else if (!pd->queued && i == di) {
			pd->queued = 1;
			pd->held_since = P->arrival;
			pd->qprev = P->qtail;
			pd->qnext = NULL;
			if (P->qtail)
				P->qtail->qnext = pd;
			else
				P->qhead = pd;
			P->qtail = pd;
		}
	}
}

/* Whatever of an open message the direction holds goes out as a part. */
static void send_part(struct pdir *pd)
{
	for (size_t i = 0; i < NPROTO; i++)
		if (pd->pc->st[i] && protos[i]->take_part)
			protos[i]->take_part(&pd->d, pd->pc->st[i]);
}

void ec_parse_arrival(struct ec_parse *P, int64_t mono_ns)
{
	P->arrival = P->o.part_ns > 0 ? mono_ns : 0;
}

int ec_parse_tick(struct ec_parse *P, int64_t now, int64_t *next_ns)
{
	while (P->qhead && now - P->qhead->held_since >= P->o.part_ns && !P->err) {
		struct pdir *pd = P->qhead;
		unqueue(P, pd);
		send_part(pd);
	}
	*next_ns = P->qhead ? P->qhead->held_since + P->o.part_ns - now : 0;
	return P->err;
}

/* ---- connections ---- */

static void flush_dir(struct pdir *pd, enum ec_reasm_why why)
{
	static const char *const notes[] = {
	    [EC_REASM_CLOSE] = "incomplete at the connection's close",
	    [EC_REASM_IDLE] = "incomplete at the idle timeout",
	    [EC_REASM_EVICT] = "incomplete: connection evicted (--max-conns)",
	    [EC_REASM_END] = "incomplete at the end of input",
	};
	for (size_t i = 0; i < NPROTO && !pd->c->dir[pd->d.di].len; i++)
		if (pd->pc->st[i] && protos[i]->finish && protos[i]->finish(&pd->d, pd->pc->st[i]))
			return;
	if (dir_busy(pd))
		give_up(pd, NULL, 0, NULL, why == EC_REASM_EVICT || why == EC_REASM_IDLE,
			notes[why]);
}

static void drop_conn(struct ec_rconn *c, enum ec_reasm_why why, void *arg)
{
	struct ec_parse *P = arg;
	struct pconn *pc = c->user;
	if (!pc)
		return;
	if (why == EC_REASM_EVICT) {
		P->st.evicted++;
		if (pow2(P->st.evicted))
			set_err(P,
				ec_record_log(P->w, EC_LOG_WARN,
					      "ec-parse: %llu connections evicted so far "
					      "(--max-conns %zu); their partial messages went "
					      "out as type 0",
					      (unsigned long long)P->st.evicted, P->o.max_conns));
	} else if (why == EC_REASM_IDLE) {
		P->st.expired++;
	}
	/* the direction whose message began first goes out first */
	int first = pc->d[1].d.start.ts && pc->d[1].d.start.ts < pc->d[0].d.start.ts ? 1 : 0;
	for (int i = 0; i < 2; i++) {
		int di = i ? !first : first;
		if (c->dir[di].have_meta)
			flush_dir(&pc->d[di], why);
	}
	for (int di = 0; di < 2; di++)
		unqueue(P, &pc->d[di]);
	for (size_t i = 0; i < NPROTO; i++) {
		if (pc->st[i])
			protos[i]->conn_release(pc->st[i]);
		free(pc->st[i]);
	}
	free(pc);
	c->user = NULL;
}

static struct pconn *pconn_new(struct ec_parse *P, struct ec_rconn *c)
{
	struct pconn *pc = ec_xcalloc(1, sizeof *pc);
	for (int di = 0; di < 2; di++) {
		struct pdir *pd = &pc->d[di];
		pd->d.o = &P->o;
		pd->d.di = di;
		pd->d.peer = &pc->d[!di].d;
		pd->P = P;
		pd->c = c;
		pd->pc = pc;
	}
	return pc;
}

static void on_plain(void *ctx, const EcEvent *ev);
static void on_decrypt_note(void *ctx, int64_t ts, const char *line);

struct ec_parse *ec_parse_new(const struct ec_parse_opts *o, struct ec_writer *w)
{
	struct ec_parse *P = ec_xcalloc(1, sizeof *P);
	P->o = *o;
	P->w = w;
	P->dec = ec_decoder_new();
	P->r = ec_reasm_new(o->max_conns, drop_conn, P);
	if (!P->r)
		ec_die(1, "out of memory");
	struct ec_decrypt_opts dopts;
	ec_decrypt_opts_default(&dopts);
	dopts.all = o->decrypt_all;
	dopts.max_conns = o->max_conns;
	static const struct ec_decrypt_cb dcb = {on_plain, on_decrypt_note};
	P->decrypt = ec_decrypt_new(&dopts, &dcb, P);
	return P;
}

void ec_parse_free(struct ec_parse *P)
{
	if (!P)
		return;
	ec_decrypt_free(P->decrypt);
	ec_reasm_free(P->r);
	free(P->tmp);
	ec_decoder_free(P->dec);
	free(P);
}

int ec_parse_finish(struct ec_parse *P)
{
	ec_decrypt_finish(P->decrypt); /* its connections' last bytes and closes first */
	if (ec_reasm_peak(P->r) > P->st.peak_conns)
		P->st.peak_conns = ec_reasm_peak(P->r);
	while (ec_reasm_count(P->r)) {
		struct ec_reasm *r = P->r;
		P->r = NULL;
		ec_reasm_free(r); /* drops each with EC_REASM_END */
		P->r = ec_reasm_new(P->o.max_conns, drop_conn, P);
	}
	return P->err;
}

void ec_parse_get_stats(const struct ec_parse *P, struct ec_parse_stats *s)
{
	*s = P->st;
	struct ec_decrypt_stats ds;
	ec_decrypt_get_stats(P->decrypt, &ds);
	s->decrypted_conns = ds.decrypted_conns;
	s->plain_bytes = ds.plain_bytes;
	s->undecrypted_conns = ds.no_keys + ds.midstream;
	if (P->r && ec_reasm_peak(P->r) > s->peak_conns)
		s->peak_conns = ec_reasm_peak(P->r);
}

/* Events from TLS libraries and sockets are streams worth parsing; the rest pass. */
static int parseable(const EcEvent *ev)
{
	switch (ev->source) {
	case EVENT__SOURCE__SOURCE_UNKNOWN:
	case EVENT__SOURCE__SOURCE_OPENSSL:
	case EVENT__SOURCE__SOURCE_BORINGSSL:
	case EVENT__SOURCE__SOURCE_GOTLS:
	case EVENT__SOURCE__SOURCE_GNUTLS:
	case EVENT__SOURCE__SOURCE_NSS:
	case EVENT__SOURCE__SOURCE_LIBTLS:
	case EVENT__SOURCE__SOURCE_SOCK:
		return ev->type == 0 && !ev->desync;
	default:
		return 0;
	}
}

static void lose_all(struct ec_rconn *c, void *arg)
{
	struct pconn *pc = c->user;
	(void)arg;
	if (!pc)
		return;
	for (int di = 0; di < 2; di++)
		if (dir_busy(&pc->d[di]))
			give_up(&pc->d[di], NULL, 0, NULL, 1, "the capture reported lost events");
}

static void on_event(struct ec_parse *P, const EcEvent *ev, const uint8_t *raw, size_t rawlen)
{
	int di = ec_reasm_dir_index(ev->direction);
	if (ev->timestamp > P->now)
		P->now = ev->timestamp;
	if (ev->closed) {
		struct ec_rconn *c = ec_reasm_lookup(P->r, ev, 0);
		if (c) {
			P->st.closed++;
			ec_reasm_remove(P->r, c, EC_REASM_CLOSE);
		}
		set_err(P, ec_writer_put_raw(P->w, raw, rawlen));
		return;
	}
	if (di < 0 || !ev->payload.len) {
		set_err(P, ec_writer_put_raw(P->w, raw, rawlen));
		return;
	}
	P->st.bytes += ev->payload.len;
	/* connections idle too long go first, so output stays in time order */
	if (P->now - P->last_sweep > 1000000000ll) {
		ec_reasm_expire(P->r, P->now, P->o.idle_ns);
		P->last_sweep = P->now;
	}
	struct ec_rconn *c = ec_reasm_lookup(P->r, ev, 1);
	if (!c)
		ec_die(1, "out of memory");
	if (!c->user)
		c->user = pconn_new(P, c);
	struct pdir *pd = &((struct pconn *)c->user)->d[di];
	struct ec_rdir *rd = &c->dir[di];
	if (!rd->have_meta) {
		ec_reasm_meta(&rd->meta, ev);
		rd->have_meta = 1;
	}
	struct ec_mark m = {ev->seq, ev->timestamp, ev->tid};
	/* seq counts per (conn_id, direction): without a conn_id it means nothing */
	uint64_t miss = ev->conn_id ? ec_reasm_seq(rd, ev->seq) : 0;
	if (miss) {
		char why[96];
		P->st.gaps++;
		snprintf(why, sizeof why, "%llu events missing before seq %llu",
			 (unsigned long long)miss, (unsigned long long)ev->seq);
		give_up(pd, NULL, 0, NULL, 1, why);
	}
	run(pd, ev->payload.data, ev->payload.len, &m);
	if (ev->truncated)
		give_up(pd, NULL, 0, NULL, 1, "event truncated by the capture");
	if (P->arrival)
		track(P, pd->pc, di);
}

static void on_heartbeat(struct ec_parse *P, const EcHeartbeat *hb)
{
	if (hb->origin && !strcmp(hb->origin, "ec-parse"))
		return;
	if (hb->events_lost && hb->events_lost != P->lost_seen) {
		P->lost_seen = hb->events_lost;
		P->st.lost_reports++;
		ec_reasm_foreach(P->r, lose_all, P);
	}
	uint64_t msgs = 0;
	for (int i = 1; i < EC_TYPE_COUNT; i++)
		msgs += P->st.out[i];
	char text[160];
	snprintf(text, sizeof text,
		 "messages %llu, untyped %llu, desync %llu, cut %llu, evicted %llu",
		 (unsigned long long)msgs, (unsigned long long)P->st.out[0],
		 (unsigned long long)P->st.desync, (unsigned long long)P->st.cut,
		 (unsigned long long)P->st.evicted);
	EcHeartbeat h = EVENT__HEARTBEAT__INIT;
	h.timestamp = hb->timestamp;
	h.count = (int64_t)msgs;
	h.records_dropped = P->st.cut + P->st.evicted;
	h.origin = "ec-parse";
	h.message = text;
	EcLogEntry e = EVENT__LOG_ENTRY__INIT;
	e.log_type = EVENT__LOG_TYPE__LOG_TYPE_HEARTBEAT;
	e.payload_case = EVENT__LOG_ENTRY__PAYLOAD_HEARTBEAT_PAYLOAD;
	e.heartbeat_payload = &h;
	set_err(P, ec_writer_put(P->w, &e));
}

/* A decrypted event (lib/decrypt/decrypt.h): on, as a capture's. */
static void on_plain(void *ctx, const EcEvent *ev)
{
	struct ec_parse *P = ctx;
	P->st.events++;
	if (!ev->closed) {
		on_event(P, ev, NULL, 0);
		return;
	}
	EcLogEntry e = EVENT__LOG_ENTRY__INIT;
	e.log_type = EVENT__LOG_TYPE__LOG_TYPE_EVENT;
	e.payload_case = EVENT__LOG_ENTRY__PAYLOAD_EVENT_PAYLOAD;
	e.event_payload = (EcEvent *)ev;
	size_t n = event__log_entry__get_packed_size(&e);
	uint8_t *b = ec_xmalloc(n ? n : 1);
	event__log_entry__pack(&e, b);
	on_event(P, ev, b, n); /* the close record goes out as it is */
	free(b);
}

static void on_decrypt_note(void *ctx, int64_t ts, const char *line)
{
	struct ec_parse *P = ctx;
	(void)ts;
	fprintf(stderr, "ec-parse: %s\n", line);
	set_err(P, ec_record_log(P->w, EC_LOG_WARN, "%s", line));
}

int ec_parse_record(struct ec_parse *P, const uint8_t *buf, size_t len)
{
	EcLogEntry *e = ec_decoder_decode(P->dec, buf, len);
	if (!e)
		return EC_ERR_DECODE;
	P->st.records++;
	if (e->record_kind != EVENT__RECORD_KIND__RECORD_KIND_DEFAULT &&
	    ec_decrypt_record(P->decrypt, e)) {
		/* a packet: what it carried went on decrypted */
		P->st.packets++;
		int64_t ts = e->event_payload->timestamp;
		if (ts - P->decrypt_sweep > 1000000000ll) {
			ec_decrypt_expire(P->decrypt, ts);
			P->decrypt_sweep = ts;
		}
		if (P->o.keep_packets)
			set_err(P, ec_writer_put_raw(P->w, buf, len));
		return P->err;
	}
	if (e->payload_case == EVENT__LOG_ENTRY__PAYLOAD_EVENT_PAYLOAD &&
	    e->record_kind == EVENT__RECORD_KIND__RECORD_KIND_DEFAULT &&
	    parseable(e->event_payload)) {
		P->st.events++;
		on_event(P, e->event_payload, buf, len);
	} else {
		P->st.passed++;
		set_err(P, ec_writer_put_raw(P->w, buf, len));
		if (e->payload_case == EVENT__LOG_ENTRY__PAYLOAD_HEARTBEAT_PAYLOAD)
			on_heartbeat(P, e->heartbeat_payload);
	}
	return P->err;
}
