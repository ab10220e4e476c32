#include "parse.h"
#include "error.h"
#include "http1.h"
#include "http2.h"
#include "reasm.h"
#include "record.h"
#include "util.h"
#include "ws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a connection speaks, decided from its first bytes. */
enum proto {
	P_UNKNOWN = 0, /* not decided: each event is tried again */
	P_H1,
	P_H2,
	P_WS,
	P_OPAQUE, /* a tunnel (CONNECT, 101 to something else): bytes as type 0 */
};

#define REQQ 32	       /* requests awaiting their response */
#define REQ_HOLD 0x100 /* in the queue: the request direction waits on this answer */

struct pdir {
	struct ec_http1 *h1;
	struct ec_http2 *h2;
	struct ec_ws *ws;
	struct ec_mark start; /* first fragment of the message (or part) in progress */
	int desync;	      /* lost sync: wait for a message start */
	int hold;	      /* after an Upgrade/CONNECT request: wait for the answer */
	int mark_next;	      /* a part went out: the next byte starts the next part */
	/* in the held list (live input): holds bytes that arrived at held_since
	 * and have not gone out yet */
	struct pdir *qnext, *qprev;
	int queued;
	int64_t held_since;
	struct ec_rconn *c;
};

struct pconn {
	enum proto proto;
	struct pdir d[2];
	unsigned reqq[REQQ]; /* EC_HTTP1_REQ_* of requests in order */
	unsigned qhead, qlen;
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
};

/* Bytes a parser works on: an event's payload, or a direction's buffer. */
struct src {
	const uint8_t *p;
	size_t n;
	const struct ec_rdir *rd; /* marks come from here when set */
	const struct ec_mark *m;  /* else every byte has this mark */
};

static struct ec_mark mark_at(const struct src *s, size_t off)
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

struct out {
	uint32_t type;
	struct ec_mark m;
	const uint8_t *a, *b; /* payload: a then b */
	size_t an, bn;
	int desync, truncated;
	uint64_t orig_length;
	const char *note;
	uint32_t h2_stream_id, ws_opcode;
	int ws_fin;
	unsigned part; /* of a message sent in parts; 0 whole */
	int more;      /* more parts follow */
};

static void set_err(struct ec_parse *P, int err)
{
	if (err && !P->err)
		P->err = err;
}

static void emit(struct ec_parse *P, struct ec_rconn *c, int di, const struct out *o)
{
	const struct ec_meta *mt = &c->dir[di].meta;
	EcEvent ev = EVENT__EVENT__INIT;
	size_t n = o->an + o->bn;
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
	EcLogEntry e = EVENT__LOG_ENTRY__INIT;
	e.log_type = EVENT__LOG_TYPE__LOG_TYPE_EVENT;
	e.payload_case = EVENT__LOG_ENTRY__PAYLOAD_EVENT_PAYLOAD;
	e.event_payload = &ev;
	set_err(P, ec_writer_put(P->w, &e));
	if (o->more)
		P->st.parts++;
	else if (o->type < 6)
		P->st.out[o->type]++; /* a message sent in parts counts at its last */
	if (o->desync)
		P->st.desync++;
	if (P->tmp_cap > (4u << 20)) {
		free(P->tmp);
		P->tmp = NULL;
		P->tmp_cap = 0;
	}
}

static void type0(struct ec_parse *P, struct ec_rconn *c, int di, struct ec_mark m,
		  const uint8_t *a, size_t an, const uint8_t *b, size_t bn, int desync,
		  const char *note)
{
	struct out o = {.type = 0, .m = m, .a = a, .an = an, .b = b, .bn = bn};
	o.desync = desync;
	o.note = note;
	emit(P, c, di, &o);
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

/* ---- HTTP/1 ---- */

static void reqq_push(struct pconn *pc, unsigned f)
{
	if (pc->qlen == REQQ) {
		pc->qhead = (pc->qhead + 1) % REQQ;
		pc->qlen--;
	}
	pc->reqq[(pc->qhead + pc->qlen) % REQQ] = f;
	pc->qlen++;
}

static unsigned reqq_peek(const struct pconn *pc)
{
	return pc->qlen ? pc->reqq[pc->qhead] : 0;
}

static void reqq_pop(struct pconn *pc)
{
	if (pc->qlen) {
		pc->qhead = (pc->qhead + 1) % REQQ;
		pc->qlen--;
	}
}

static void addnote(char *buf, size_t cap, const char *s)
{
	size_t l = strlen(buf);
	snprintf(buf + l, cap - l, "%s%s", l ? "; " : "", s);
}

/* The notes every part of a message sent in parts carries. */
static void part_notes(char *note, size_t cap, const struct ec_parse *P, unsigned part, int more,
		       size_t trailer_len, const char *encoding)
{
	char tmp[96];
	if (part && P->o.decode_body && encoding && encoding[0])
		addnote(note, cap, "body not decoded: sent in parts");
	if (!more && trailer_len) {
		snprintf(tmp, sizeof tmp, "trailers: the last %zu bytes", trailer_len);
		addnote(note, cap, tmp);
	}
}

static void emit_h1(struct ec_parse *P, struct ec_rconn *c, int di, const struct ec_http1_msg *msg,
		    const char *why)
{
	struct pconn *pc = c->user;
	char note[200] = "", tmp[96];
	const uint8_t *body = msg->data + msg->head_len;
	size_t blen = msg->len - msg->head_len;
	uint8_t *dec = NULL;
	struct out o = {.type = msg->kind == EC_HTTP1_REQUEST ? 1 : 3, .m = pc->d[di].start};
	o.part = msg->part;
	o.more = msg->more;

	if (msg->flags & EC_HTTP1_DECHUNKED)
		addnote(note, sizeof note, "dechunked");
	if (why)
		addnote(note, sizeof note, why);
	part_notes(note, sizeof note, P, msg->part, msg->more, msg->trailer_len, msg->encoding);
	if (msg->flags & EC_HTTP1_CUT) {
		snprintf(tmp, sizeof tmp, "body cut at %llu of %llu bytes",
			 (unsigned long long)msg->kept, (unsigned long long)msg->body_len);
		addnote(note, sizeof note, tmp);
		o.truncated = 1;
		o.orig_length = msg->head_len + msg->body_len;
		if (!msg->more)
			count_cut(P, "an HTTP/1 body", P->o.max_body);
	} else if (P->o.decode_body && blen && msg->encoding[0] && !msg->part) {
		int gz = !strcmp(msg->encoding, "gzip") || !strcmp(msg->encoding, "x-gzip");
		if (gz || !strcmp(msg->encoding, "deflate")) {
			size_t dl = 0;
			int rc = ec_http1_inflate(body, blen, gz, P->o.max_body, &dec, &dl);
			if (rc == 0) {
				snprintf(tmp, sizeof tmp, "decoded %s", gz ? "gzip" : "deflate");
				body = dec;
				blen = dl;
				P->st.decoded++;
			} else if (rc == EC_ERR_TOOBIG) {
				snprintf(tmp, sizeof tmp, "body not decoded: over %zu bytes",
					 P->o.max_body);
			} else {
				snprintf(tmp, sizeof tmp, "body not decoded: invalid %s data",
					 msg->encoding);
			}
			addnote(note, sizeof note, tmp);
		}
	}
	if (msg->flags & EC_HTTP1_EOF_BODY)
		addnote(note, sizeof note, "body ended by the connection's end");
	if ((msg->flags & EC_HTTP1_TRAILERS) && !msg->part)
		addnote(note, sizeof note, "trailers");
	o.a = msg->data;
	o.an = msg->head_len;
	o.b = body;
	o.bn = blen;
	if (!dec) {
		/* head and body are one buffer already */
		o.an = msg->len;
		o.b = NULL;
		o.bn = 0;
	}
	o.note = note;
	emit(P, c, di, &o);
	free(dec);
}

static void run(struct ec_parse *P, struct ec_rconn *c, int di, const uint8_t *p, size_t n,
		const struct ec_mark *m);

/* A message is complete: emit it and follow what it means for the connection. */
static void h1_done(struct ec_parse *P, struct ec_rconn *c, int di)
{
	struct pconn *pc = c->user;
	struct pdir *pd = &pc->d[di];
	const struct ec_http1_msg *msg = ec_http1_message(pd->h1);
	unsigned flags = msg->flags;
	emit_h1(P, c, di, msg, NULL);
	if (msg->kind == EC_HTTP1_REQUEST) {
		unsigned f = 0;
		if (!strcmp(msg->method, "HEAD"))
			f |= EC_HTTP1_REQ_HEAD;
		if (!strcmp(msg->method, "CONNECT"))
			f |= EC_HTTP1_REQ_CONNECT;
		if ((f & EC_HTTP1_REQ_CONNECT) || (flags & EC_HTTP1_UPGRADE_WS)) {
			/* what follows depends on this request's answer */
			pd->hold = 1;
			f |= REQ_HOLD;
		}
		reqq_push(pc, f);
		ec_http1_reset(pd->h1);
		return;
	}
	ec_http1_reset(pd->h1);
	if (flags & EC_HTTP1_INFO)
		return;
	unsigned answered = reqq_peek(pc);
	reqq_pop(pc);
	if (flags & EC_HTTP1_TUNNEL)
		pc->proto = (flags & EC_HTTP1_UPGRADE_WS) ? P_WS : P_OPAQUE;
	struct pdir *od = &pc->d[!di];
	/* the held direction goes on once the request it waits on is answered */
	if (od->hold && ((answered & REQ_HOLD) || pc->proto != P_H1)) {
		od->hold = 0;
		run(P, c, !di, NULL, 0, NULL);
	}
}

/* Parse HTTP/1 from s at off; returns where it stopped. */
static size_t h1_consume(struct ec_parse *P, struct ec_rconn *c, int di, const struct src *s,
			 size_t off)
{
	struct pconn *pc = c->user;
	struct pdir *pd = &pc->d[di];
	if (!pd->h1 && !(pd->h1 = ec_http1_new(P->o.max_body)))
		ec_die(1, "out of memory");
	while (off < s->n && pc->proto == P_H1 && !pd->hold && !P->err) {
		if (pd->desync) {
			size_t k = ec_http1_find_start(s->p + off, s->n - off);
			if (k)
				type0(P, c, di, mark_at(s, off), s->p + off, k, NULL, 0, 1,
				      "not at an HTTP/1 message start");
			off += k;
			if (off == s->n)
				break;
			pd->desync = 0;
		}
		int was_busy = ec_http1_busy(pd->h1);
		long k = ec_http1_feed(pd->h1, s->p + off, s->n - off, reqq_peek(pc));
		if (k == EC_ERR_NOMEM)
			ec_die(1, "out of memory");
		if (k < 0) {
			/* lost sync: what is known, then the bytes up to a message start */
			const struct ec_http1_msg *msg = ec_http1_message(pd->h1);
			size_t skip = 1 + ec_http1_find_start(s->p + off + 1, s->n - off - 1);
			char note[160];
			snprintf(note, sizeof note, "HTTP/1: %s", ec_http1_error(pd->h1));
			type0(P, c, di, was_busy ? pd->start : mark_at(s, off), msg->data,
			      was_busy ? msg->len : 0, s->p + off, skip, 1, note);
			ec_http1_reset(pd->h1);
			off += skip;
			if (off == s->n)
				pd->desync = 1;
			continue;
		}
		if ((!was_busy && (k > 0 || ec_http1_done(pd->h1))) || (pd->mark_next && k > 0)) {
			pd->start = mark_at(s, off);
			pd->mark_next = 0;
		}
		off += (size_t)k;
		if (ec_http1_done(pd->h1)) {
			h1_done(P, c, di);
			continue;
		}
		if (k == 0)
			break;
	}
	return off;
}

/* ---- HTTP/2 ---- */

static struct ec_http2 *h2_of(struct ec_parse *P, struct pdir *pd)
{
	if (!pd->h2 && !(pd->h2 = ec_http2_new(P->o.max_body, P->o.max_buffer)))
		ec_die(1, "out of memory");
	return pd->h2;
}

/* --decode-body for HTTP/2: content-encoding gzip or deflate (HPACK names are lower case). */
static uint8_t *h2_decode(struct ec_parse *P, const struct ec_http2_msg *msg, struct out *o,
			  char *note, size_t cap)
{
	static const char key[] = "\r\ncontent-encoding: ";
	const uint8_t *h = memmem(msg->data, msg->head_len, key, sizeof key - 1);
	if (!h)
		return NULL;
	h += sizeof key - 1;
	size_t left = msg->head_len - (size_t)(h - msg->data);
	int gz = left >= 6 && !memcmp(h, "gzip\r\n", 6);
	if (!gz && !(left >= 9 && !memcmp(h, "deflate\r\n", 9)))
		return NULL;
	uint8_t *dec = NULL;
	size_t dl = 0;
	char tmp[96];
	int rc = ec_http1_inflate(msg->data + msg->head_len, msg->len - msg->head_len, gz,
				  P->o.max_body, &dec, &dl);
	if (rc == 0) {
		snprintf(tmp, sizeof tmp, "decoded %s", gz ? "gzip" : "deflate");
		o->an = msg->head_len;
		o->b = dec;
		o->bn = dl;
		P->st.decoded++;
	} else if (rc == EC_ERR_TOOBIG) {
		snprintf(tmp, sizeof tmp, "body not decoded: over %zu bytes", P->o.max_body);
	} else {
		snprintf(tmp, sizeof tmp, "body not decoded: invalid %s data",
			 gz ? "gzip" : "deflate");
	}
	addnote(note, cap, tmp);
	return dec;
}

static void emit_h2(struct ec_parse *P, struct ec_rconn *c, int di, const char *why, int desync)
{
	struct ec_http2 *h2 = ((struct pconn *)c->user)->d[di].h2;
	const struct ec_http2_msg *msg = ec_http2_message(h2);
	char note[200] = "", tmp[96];
	struct out o = {.m = msg->start, .h2_stream_id = msg->stream_id};
	o.type = msg->kind == EC_HTTP2_REQUEST ? 2 : msg->kind == EC_HTTP2_RESPONSE ? 4 : 0;
	o.part = msg->part;
	o.more = msg->more;
	if (msg->flags & EC_HTTP2_INCOMPLETE) {
		/* a stream already sent in parts keeps its type to its last part */
		if (!msg->part) {
			o.type = 0;
			o.desync = desync;
		}
		addnote(note, sizeof note, why ? why : "incomplete");
	}
	part_notes(note, sizeof note, P, msg->part, msg->more, msg->trailer_len, NULL);
	if (msg->kind == EC_HTTP2_UNKNOWN)
		addnote(note, sizeof note, "DATA of a stream whose HEADERS were not seen");
	if (msg->flags & EC_HTTP2_EVICTED)
		addnote(note, sizeof note, "over 128 open streams");
	if (msg->flags & EC_HTTP2_PUSH)
		addnote(note, sizeof note, "promised by PUSH_PROMISE");
	if (msg->flags & EC_HTTP2_RESET) {
		snprintf(tmp, sizeof tmp, "stream reset (RST_STREAM error %u)", msg->error_code);
		addnote(note, sizeof note, tmp);
	}
	if ((msg->flags & EC_HTTP2_TRAILERS) && !msg->part)
		addnote(note, sizeof note, "trailers");
	if (msg->flags & EC_HTTP2_CUT) {
		snprintf(tmp, sizeof tmp, "body cut at %llu of %llu bytes",
			 (unsigned long long)msg->kept, (unsigned long long)msg->body_len);
		addnote(note, sizeof note, tmp);
		o.truncated = 1;
		o.orig_length = msg->head_len + msg->body_len;
		if (!msg->more)
			count_cut(P, "an HTTP/2 body", P->o.max_body);
	}
	o.a = msg->data;
	o.an = msg->len;
	uint8_t *dec = NULL;
	if (P->o.decode_body && o.type && !msg->part && !(msg->flags & EC_HTTP2_CUT) &&
	    msg->len > msg->head_len)
		dec = h2_decode(P, msg, &o, note, sizeof note);
	o.note = note;
	emit(P, c, di, &o);
	free(dec);
	ec_http2_release(h2);
}

/* Every open stream of a direction out as type 0. */
static void h2_flush(struct ec_parse *P, struct ec_rconn *c, int di, const char *why, int desync)
{
	struct ec_http2 *h2 = ((struct pconn *)c->user)->d[di].h2;
	if (!h2)
		return;
	if (ec_http2_done(h2))
		emit_h2(P, c, di, why, desync);
	while (ec_http2_flush(h2))
		emit_h2(P, c, di, why, desync);
}

static size_t h2_consume(struct ec_parse *P, struct ec_rconn *c, int di, const struct src *s,
			 size_t off)
{
	struct pconn *pc = c->user;
	struct pdir *pd = &pc->d[di];
	struct ec_http2 *h2 = h2_of(P, pd);
	while (off < s->n && pc->proto == P_H2 && !P->err) {
		if (pd->desync) {
			/* resynchronise where a frame header is plausible */
			if (s->n - off < 9)
				break;
			if (!ec_http2_plausible_frame(s->p + off, s->n - off)) {
				type0(P, c, di, mark_at(s, off), s->p + off, s->n - off, NULL, 0, 1,
				      "HTTP/2: not at a frame boundary");
				return s->n;
			}
			pd->desync = 0;
		}
		struct ec_mark m = mark_at(s, off);
		long k = ec_http2_feed(h2, s->p + off, s->n - off, &m);
		if (k == EC_ERR_NOMEM)
			ec_die(1, "out of memory");
		if (k < 0) {
			char note[200];
			snprintf(note, sizeof note, "HTTP/2: %s", ec_http2_error(h2));
			h2_flush(P, c, di, note, 1);
			type0(P, c, di, m, s->p + off, s->n - off, NULL, 0, 1, note);
			ec_http2_reset(h2);
			pd->desync = 1;
			return s->n;
		}
		off += (size_t)k;
		struct pdir *od = &pc->d[!di];
		long ts = ec_http2_take_table_setting(h2);
		if (ts >= 0 && ec_http2_table_size(h2_of(P, od), (size_t)ts))
			ec_die(1, "out of memory");
		uint32_t rst = ec_http2_take_reset(h2);
		if (rst && od->h2 && ec_http2_abort(od->h2, rst))
			emit_h2(P, c, !di, NULL, 0);
		if (ec_http2_done(h2)) {
			emit_h2(P, c, di, NULL, 0);
			continue;
		}
		if (k == 0)
			break;
	}
	return off;
}

/* ---- WebSocket ---- */

static void emit_ws(struct ec_parse *P, struct ec_rconn *c, int di)
{
	struct pdir *pd = &((struct pconn *)c->user)->d[di];
	const struct ec_ws_msg *msg = ec_ws_message(pd->ws);
	char note[160] = "", tmp[96];
	struct out o = {.type = 5, .m = pd->start, .ws_opcode = msg->opcode, .ws_fin = msg->fin};
	if (msg->flags & EC_WS_COMPRESSED)
		addnote(note, sizeof note, "compressed (permessage-deflate), not inflated");
	if (msg->flags & EC_WS_CUT) {
		snprintf(tmp, sizeof tmp, "payload cut at %zu of %llu bytes", msg->len,
			 (unsigned long long)msg->payload_len);
		addnote(note, sizeof note, tmp);
		o.truncated = 1;
		o.orig_length = msg->payload_len;
		count_cut(P, "a WebSocket payload", P->o.max_body);
	}
	o.a = msg->data;
	o.an = msg->len;
	o.note = note;
	/* an empty frame (a bare ping, an empty text) is still a frame */
	if (!o.an) {
		o.a = (const uint8_t *)"";
	}
	emit(P, c, di, &o);
	ec_ws_reset(pd->ws);
}

static size_t ws_consume(struct ec_parse *P, struct ec_rconn *c, int di, const struct src *s,
			 size_t off)
{
	struct pconn *pc = c->user;
	struct pdir *pd = &pc->d[di];
	if (!pd->ws && !(pd->ws = ec_ws_new(P->o.max_body)))
		ec_die(1, "out of memory");
	while (off < s->n && pc->proto == P_WS && !P->err) {
		if (pd->desync) {
			int ok = ec_ws_plausible(s->p + off, s->n - off);
			if (ok < 0)
				break;
			if (!ok) {
				type0(P, c, di, mark_at(s, off), s->p + off, s->n - off, NULL, 0, 1,
				      "WebSocket: not at a frame boundary");
				return s->n;
			}
			pd->desync = 0;
		}
		int was_busy = ec_ws_busy(pd->ws);
		long k = ec_ws_feed(pd->ws, s->p + off, s->n - off);
		if (k == EC_ERR_NOMEM)
			ec_die(1, "out of memory");
		if (k < 0) {
			type0(P, c, di, mark_at(s, off), s->p + off, s->n - off, NULL, 0, 1,
			      ec_ws_error(pd->ws));
			ec_ws_reset(pd->ws);
			pd->desync = 1;
			return s->n;
		}
		if (!was_busy && (k > 0 || ec_ws_done(pd->ws)))
			pd->start = mark_at(s, off);
		off += (size_t)k;
		if (ec_ws_done(pd->ws)) {
			emit_ws(P, c, di);
			continue;
		}
		if (k == 0)
			break;
	}
	return off;
}

/* ---- protocol detection ---- */

static size_t detect(struct ec_parse *P, struct ec_rconn *c, int di, const struct src *s,
		     size_t off)
{
	struct pconn *pc = c->user;
	const uint8_t *p = s->p + off;
	size_t n = s->n - off;
	size_t k = n < EC_HTTP2_PREFACE_LEN ? n : EC_HTTP2_PREFACE_LEN;
	if (!memcmp(p, EC_HTTP2_PREFACE, k)) {
		if (k < EC_HTTP2_PREFACE_LEN)
			return off; /* too short to tell */
		pc->proto = P_H2;
		return off;
	}
	if (n >= 9 && p[3] == 4 && ec_http2_plausible_frame(p, n)) {
		pc->proto = P_H2; /* a server's SETTINGS before the client's preface */
		return off;
	}
	int h1 = ec_http1_looks_like(p, n);
	if (h1 == 1) {
		pc->proto = P_H1;
		return off;
	}
	if (h1 < 0)
		return off; /* too short to tell */
	type0(P, c, di, mark_at(s, off), p, n, NULL, 0, 0, NULL);
	return s->n;
}

/* ---- driving one direction ---- */

static size_t consume(struct ec_parse *P, struct ec_rconn *c, int di, const struct src *s)
{
	struct pconn *pc = c->user;
	size_t off = 0;
	while (off < s->n && !P->err && !pc->d[di].hold) {
		size_t was = off;
		enum proto pr = pc->proto;
		switch (pc->proto) {
		case P_UNKNOWN:
			off = detect(P, c, di, s, off);
			break;
		case P_H1:
			off = h1_consume(P, c, di, s, off);
			break;
		case P_H2:
			off = h2_consume(P, c, di, s, off);
			break;
		case P_WS:
			off = ws_consume(P, c, di, s, off);
			break;
		case P_OPAQUE:
			type0(P, c, di, mark_at(s, off), s->p + off, s->n - off, NULL, 0, 0,
			      "tunnel");
			off = s->n;
			break;
		}
		if (off == was && pc->proto == pr)
			break;
	}
	return off;
}

/* Reset a direction's parsers after its bytes were given up. */
static void reset_dir(struct pdir *pd)
{
	if (pd->h1)
		ec_http1_reset(pd->h1);
	if (pd->h2)
		ec_http2_reset(pd->h2);
	if (pd->ws)
		ec_ws_reset(pd->ws);
}

/* Emit what a direction knows as type 0 (desync when sync is lost) and reset it. */
static void give_up(struct ec_parse *P, struct ec_rconn *c, int di, const uint8_t *extra,
		    size_t extra_n, const struct ec_mark *extra_m, int desync, const char *note)
{
	struct pconn *pc = c->user;
	struct pdir *pd = &pc->d[di];
	struct ec_rdir *rd = &c->dir[di];
	const uint8_t *a = NULL;
	size_t an = 0;
	struct ec_mark m = rd->len ? ec_reasm_mark_at(rd, 0) : extra_m ? *extra_m : pd->start;
	h2_flush(P, c, di, note, desync);
	const struct ec_http1_msg *hm =
	    pd->h1 && ec_http1_busy(pd->h1) ? ec_http1_message(pd->h1) : NULL;
	if (hm && hm->part) {
		/* sent in parts: what is left is its last part, typed, with the reason */
		emit_h1(P, c, di, hm, note);
	} else if (hm) {
		a = hm->data;
		an = hm->len;
		m = pd->start;
	} else if (pd->ws && ec_ws_busy(pd->ws)) {
		const struct ec_ws_msg *msg = ec_ws_message(pd->ws);
		a = msg->data;
		an = msg->len;
		m = pd->start;
	}
	/* with nothing known, a desync still leaves an empty marker */
	if (an && rd->len)
		type0(P, c, di, m, a, an, rd->buf, rd->len, desync, note);
	else if (an || rd->len || (desync && !extra_n))
		type0(P, c, di, m, an ? a : rd->buf, an ? an : rd->len, NULL, 0, desync, note);
	if (extra_n)
		type0(P, c, di, *extra_m, extra, extra_n, NULL, 0, desync, note);
	ec_reasm_clear(rd);
	reset_dir(pd);
	if (desync)
		pd->desync = 1;
}

static void run(struct ec_parse *P, struct ec_rconn *c, int di, const uint8_t *p, size_t n,
		const struct ec_mark *m)
{
	struct pconn *pc = c->user;
	struct pdir *pd = &pc->d[di];
	struct ec_rdir *rd = &c->dir[di];
	size_t cap = P->o.max_buffer;
	if (rd->len == 0 && !pd->hold) {
		struct src s = {p, n, NULL, m};
		size_t k = n ? consume(P, c, di, &s) : 0;
		if (k < n && ec_reasm_append(rd, p + k, n - k, m, cap)) {
			count_cut(P, "bytes buffered without a message boundary", cap);
			give_up(P, c, di, p + k, n - k, m, 1, "over --max-buffer: sync lost");
		}
		return;
	}
	if (n && ec_reasm_append(rd, p, n, m, cap)) {
		count_cut(P, "bytes buffered without a message boundary", cap);
		pd->hold = 0;
		give_up(P, c, di, p, n, m, 1, "over --max-buffer: sync lost");
		return;
	}
	if (pd->hold || !rd->len)
		return;
	struct src s = {rd->buf, rd->len, rd, NULL};
	size_t k = consume(P, c, di, &s);
	ec_reasm_consume(rd, k);
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

static int dir_busy(const struct ec_rconn *c, int di);

/*
 * After an event on direction di: a direction that now holds bytes joins
 * the end of the held list (arrivals only grow, so the list stays oldest
 * first); one that holds nothing leaves it.
 */
static void track(struct ec_parse *P, struct ec_rconn *c, int di)
{
	struct pconn *pc = c->user;
	for (int i = 0; i < 2; i++) {
		struct pdir *pd = &pc->d[i];
		int busy = dir_busy(c, i);
		if (!busy) {
			unqueue(P, pd);
		} else if (!pd->queued && i == di) {
			pd->queued = 1;
			pd->held_since = P->arrival;
			pd->c = c;
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
static void send_part(struct ec_parse *P, struct ec_rconn *c, struct pdir *pd)
{
	int di = pd == &((struct pconn *)c->user)->d[0] ? 0 : 1;
	if (pd->h1 && !pd->hold) {
		struct ec_http1_msg part;
		if (ec_http1_take_part(pd->h1, &part)) {
			emit_h1(P, c, di, &part, NULL);
			pd->mark_next = 1;
		}
	}
	if (pd->h2) {
		int k;
		while ((k = ec_http2_take_part(pd->h2)) > 0)
			emit_h2(P, c, di, NULL, 0);
		if (k < 0)
			ec_die(1, "out of memory");
	}
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
		send_part(P, pd->c, pd);
	}
	*next_ns = P->qhead ? P->qhead->held_since + P->o.part_ns - now : 0;
	return P->err;
}

/* ---- connections ---- */

/* A direction holds bytes or part of a message. */
static int dir_busy(const struct ec_rconn *c, int di)
{
	const struct pdir *pd = &((const struct pconn *)c->user)->d[di];
	return c->dir[di].len || (pd->h1 && ec_http1_busy(pd->h1)) ||
	       (pd->ws && ec_ws_busy(pd->ws)) || (pd->h2 && ec_http2_open_streams(pd->h2));
}

static void flush_dir(struct ec_parse *P, struct ec_rconn *c, int di, enum ec_reasm_why why)
{
	struct pconn *pc = c->user;
	struct pdir *pd = &pc->d[di];
	static const char *const notes[] = {
	    [EC_REASM_CLOSE] = "incomplete at the connection's close",
	    [EC_REASM_IDLE] = "incomplete at the idle timeout",
	    [EC_REASM_EVICT] = "incomplete: connection evicted (--max-conns)",
	    [EC_REASM_END] = "incomplete at the end of input",
	};
	if (pd->h1 && ec_http1_busy(pd->h1) && !c->dir[di].len && ec_http1_finish(pd->h1)) {
		emit_h1(P, c, di, ec_http1_message(pd->h1), NULL);
		ec_http1_reset(pd->h1);
		return;
	}
	if (dir_busy(c, di))
		give_up(P, c, di, NULL, 0, NULL, why == EC_REASM_EVICT || why == EC_REASM_IDLE,
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
	int first = pc->d[1].start.ts && pc->d[1].start.ts < pc->d[0].start.ts ? 1 : 0;
	for (int i = 0; i < 2; i++) {
		int di = i ? !first : first;
		if (c->dir[di].have_meta)
			flush_dir(P, c, di, why);
	}
	for (int di = 0; di < 2; di++) {
		unqueue(P, &pc->d[di]);
		ec_http1_free(pc->d[di].h1);
		ec_http2_free(pc->d[di].h2);
		ec_ws_free(pc->d[di].ws);
	}
	free(pc);
	c->user = NULL;
}

struct ec_parse *ec_parse_new(const struct ec_parse_opts *o, struct ec_writer *w)
{
	struct ec_parse *P = ec_xcalloc(1, sizeof *P);
	P->o = *o;
	P->w = w;
	P->dec = ec_decoder_new();
	P->r = ec_reasm_new(o->max_conns, drop_conn, P);
	if (!P->r)
		ec_die(1, "out of memory");
	return P;
}

void ec_parse_free(struct ec_parse *P)
{
	if (!P)
		return;
	ec_reasm_free(P->r);
	free(P->tmp);
	ec_decoder_free(P->dec);
	free(P);
}

int ec_parse_finish(struct ec_parse *P)
{
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
	if (P->r && ec_reasm_peak(P->r) > s->peak_conns)
		s->peak_conns = ec_reasm_peak(P->r);
}

/* Events from TLS libraries are streams worth parsing; the rest pass. */
static int parseable(const EcEvent *ev)
{
	switch (ev->source) {
	case EVENT__SOURCE__SOURCE_UNKNOWN:
	case EVENT__SOURCE__SOURCE_OPENSSL:
	case EVENT__SOURCE__SOURCE_BORINGSSL:
	case EVENT__SOURCE__SOURCE_GOTLS:
	case EVENT__SOURCE__SOURCE_GNUTLS:
	case EVENT__SOURCE__SOURCE_NSS:
		return ev->type == 0 && !ev->desync;
	default:
		return 0;
	}
}

static void lose_all(struct ec_rconn *c, void *arg)
{
	struct ec_parse *P = arg;
	struct pconn *pc = c->user;
	if (!pc)
		return;
	for (int di = 0; di < 2; di++)
		if (dir_busy(c, di))
			give_up(P, c, di, NULL, 0, NULL, 1, "the capture reported lost events");
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
		c->user = ec_xcalloc(1, sizeof(struct pconn));
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
		give_up(P, c, di, NULL, 0, NULL, 1, why);
	}
	run(P, c, di, ev->payload.data, ev->payload.len, &m);
	if (ev->truncated)
		give_up(P, c, di, NULL, 0, NULL, 1, "event truncated by the capture");
	if (P->arrival)
		track(P, c, di);
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
	for (int i = 1; i < 6; i++)
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

int ec_parse_record(struct ec_parse *P, const uint8_t *buf, size_t len)
{
	EcLogEntry *e = ec_decoder_decode(P->dec, buf, len);
	if (!e)
		return EC_ERR_DECODE;
	P->st.records++;
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
