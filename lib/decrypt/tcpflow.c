// SPDX-License-Identifier: GPL-2.0-only
#include "tcpflow.h"
#include "error.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* Segments held per direction, whatever their bytes: keeps inserts cheap. */
#define HELD_MAX 4096
/* A TCP payload longer than this (only a zero IP length, TSO's, can claim it) is malformed. */
#define SEG_MAX (1u << 24)

enum { PKT_OK, PKT_NOT_TCP, PKT_BAD };

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10

/* A held out-of-order piece; lost: the capture cut these bytes (no data). */
struct seg {
	struct seg *next;
	uint32_t seq, len;
	int64_t ts;
	int lost;
	uint8_t data[];
};

struct conn;

struct dir {
	struct conn *c;
	int idx;
	int started;   /* next is known */
	uint32_t next; /* seq of the next byte to deliver */
	int syn;       /* isn is the SYN's seq */
	uint32_t isn;
	int fin; /* fin_seq: the seq the FIN took, the end of the bytes */
	uint32_t fin_seq;
	struct seg *held, *tail; /* sorted, disjoint, all after next */
	size_t held_bytes, nheld;
	/* on the table's hole list while a hole waits: since hole_ts, at hole_at */
	int waiting;
	uint32_t hole_at;
	int64_t hole_ts;
	struct dir *hprev, *hnext;
};

struct conn {
	struct conn *hnext, *prev, *next; /* bucket chain; LRU list */
	uint64_t hash;
	struct ec_tcpflow_tuple t;
	struct dir d[2];
	void *user;
	int64_t last_ts;
	int closed; /* FIN or RST: kept so late segments do not open it again */
};

struct ec_tcpflow {
	struct ec_tcpflow_opts o;
	struct ec_tcpflow_cb cb;
	void *ctx;
	struct conn **tab;
	size_t nbuckets, count;
	struct conn *head, *tail;	   /* LRU: head most recent */
	struct dir *hole_head, *hole_tail; /* oldest hole first */
	uint64_t seed;
	int64_t now; /* the latest packet or expire time: never goes back */
	struct ec_tcpflow_stats st;
};

struct pkt {
	struct ec_tcpflow_end src, dst;
	uint32_t seq;
	uint8_t flags;
	const uint8_t *pay;
	size_t cap, wire; /* payload bytes captured, on the wire */
};

/* serial-number arithmetic (RFC 1982): a before b */
static int before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Packet parsing: every read checked against what was captured. */

static int parse_tcp(const uint8_t *p, size_t cap, size_t wire, struct pkt *k)
{
	if (cap < 20)
		return PKT_BAD;
	size_t doff = (size_t)(p[12] >> 4) * 4;
	if (doff < 20 || doff > cap || doff > wire || wire - doff > SEG_MAX)
		return PKT_BAD;
	k->src.port = be16(p);
	k->dst.port = be16(p + 2);
	k->seq = be32(p + 4);
	k->flags = p[13];
	k->pay = p + doff;
	k->wire = wire - doff;
	k->cap = cap - doff;
	return PKT_OK;
}

static void map4(uint8_t *a, const uint8_t *v4)
{
	memset(a, 0, 10);
	a[10] = a[11] = 0xff;
	memcpy(a + 12, v4, 4);
}

/* cap bytes captured of an IP packet that was wire bytes long */
static int parse_ip4(const uint8_t *p, size_t cap, size_t wire, struct pkt *k)
{
	if (cap < 20 || p[0] >> 4 != 4)
		return PKT_BAD;
	size_t ihl = (size_t)(p[0] & 15) * 4, tot = be16(p + 2);
	if (tot == 0)
		tot = wire; /* TSO: the length is the frame's */
	if (ihl < 20 || ihl > cap || tot < ihl || tot > wire)
		return PKT_BAD;
	if (be16(p + 6) & 0x3fff) /* more fragments or an offset */
		return PKT_NOT_TCP;
	if (p[9] != 6)
		return PKT_NOT_TCP;
	map4(k->src.addr, p + 12);
	map4(k->dst.addr, p + 16);
	k->src.v6 = k->dst.v6 = 0;
	if (cap > tot)
		cap = tot; /* link padding */
	return parse_tcp(p + ihl, cap - ihl, tot - ihl, k);
}

static int parse_ip6(const uint8_t *p, size_t cap, size_t wire, struct pkt *k)
{
	if (cap < 40 || p[0] >> 4 != 6)
		return PKT_BAD;
	size_t tot = 40 + (size_t)be16(p + 4), off = 40;
	if (tot == 40)
		tot = wire; /* a jumbogram, or TSO */
	if (tot > wire)
		return PKT_BAD;
	if (cap > tot)
		cap = tot;
	uint8_t nh = p[6];
	while (nh != 6) {
		size_t len;
		if (cap - off < 8)
			return PKT_BAD;
		switch (nh) {
		case 0:	  /* hop-by-hop */
		case 43:  /* routing */
		case 60:  /* destination options */
		case 135: /* mobility */
		case 139: /* HIP */
		case 140: /* shim6 */
			len = ((size_t)p[off + 1] + 1) * 8;
			break;
		case 51: /* AH */
			len = ((size_t)p[off + 1] + 2) * 4;
			break;
		case 44: /* fragment: only an atomic one (offset 0, no more) is whole */
			if (be16(p + off + 2) & 0xfff9)
				return PKT_NOT_TCP;
			len = 8;
			break;
		default:
			return PKT_NOT_TCP;
		}
		if (len > cap - off)
			return PKT_BAD;
		nh = p[off];
		off += len;
	}
	memcpy(k->src.addr, p + 8, 16);
	memcpy(k->dst.addr, p + 24, 16);
	k->src.v6 = k->dst.v6 = 1;
	return parse_tcp(p + off, cap - off, tot - off, k);
}

static int parse(uint32_t link_type, const uint8_t *p, size_t cap, size_t wire, struct pkt *k)
{
	size_t off;
	int ver;
	uint32_t fam;
	switch (link_type) {
	case 1: { /* Ethernet, with any number of 802.1Q/802.1ad tags */
		if (cap < 14)
			return PKT_BAD;
		uint16_t type = be16(p + 12);
		off = 14;
		while (type == 0x8100 || type == 0x88a8 || type == 0x9100) {
			if (cap - off < 4)
				return PKT_BAD;
			type = be16(p + off + 2);
			off += 4;
		}
		ver = type == 0x0800 ? 4 : type == 0x86dd ? 6 : 0;
		break;
	}
	case 113: /* Linux cooked: the protocol ends the 16-byte header */
		if (cap < 16)
			return PKT_BAD;
		off = 16;
		ver = be16(p + 14) == 0x0800 ? 4 : be16(p + 14) == 0x86dd ? 6 : 0;
		break;
	case 0:	  /* NULL: the family in the capturing host's byte order */
	case 108: /* LOOP: in network order */
		if (cap < 4)
			return PKT_BAD;
		fam = be32(p);
		if (fam > 0xffff)
			fam = __builtin_bswap32(fam);
		off = 4;
		/* AF_INET6 differs: Linux 10, the BSDs 24, FreeBSD 28, Darwin 30 */
		ver = fam == 2 ? 4 : (fam == 10 || fam == 24 || fam == 28 || fam == 30) ? 6 : 0;
		break;
	case 101: /* raw IP */
		if (cap < 1)
			return PKT_BAD;
		off = 0;
		ver = p[0] >> 4;
		break;
	default:
		return PKT_NOT_TCP;
	}
	if (ver == 4)
		return parse_ip4(p + off, cap - off, wire - off, k);
	if (ver == 6)
		return parse_ip6(p + off, cap - off, wire - off, k);
	return PKT_NOT_TCP;
}

/* The table: hash of both ends (either order), LRU, the list of waiting holes. */

static uint64_t end_hash(uint64_t seed, const struct ec_tcpflow_end *e)
{
	uint64_t a, b;
	memcpy(&a, e->addr, 8);
	memcpy(&b, e->addr + 8, 8);
	return mix(mix(mix(seed ^ a) ^ b) ^ ((uint64_t)e->port << 1 | (e->v6 != 0)));
}

static uint64_t tuple_hash(const struct ec_tcpflow *f, const struct ec_tcpflow_end *a,
			   const struct ec_tcpflow_end *b)
{
	uint64_t x = end_hash(f->seed, a), y = end_hash(f->seed, b);
	return x < y ? mix(x ^ mix(y)) : mix(y ^ mix(x));
}

static int end_eq(const struct ec_tcpflow_end *a, const struct ec_tcpflow_end *b)
{
	return a->port == b->port && a->v6 == b->v6 && !memcmp(a->addr, b->addr, 16);
}

static void lru_unlink(struct ec_tcpflow *f, struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		f->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		f->tail = c->prev;
	c->prev = c->next = NULL;
}

static void lru_push(struct ec_tcpflow *f, struct conn *c)
{
	c->prev = NULL;
	c->next = f->head;
	if (f->head)
		f->head->prev = c;
	f->head = c;
	if (!f->tail)
		f->tail = c;
}

static void touch(struct ec_tcpflow *f, struct conn *c)
{
	lru_unlink(f, c);
	lru_push(f, c);
	c->last_ts = f->now;
}

static void grow(struct ec_tcpflow *f)
{
	size_t nb = f->nbuckets * 2;
	struct conn **t = calloc(nb, sizeof *t);
	if (!t)
		return; /* keep the longer chains */
	for (size_t i = 0; i < f->nbuckets; i++) {
		for (struct conn *c = f->tab[i], *n; c; c = n) {
			n = c->hnext;
			c->hnext = t[c->hash & (nb - 1)];
			t[c->hash & (nb - 1)] = c;
		}
	}
	free(f->tab);
	f->tab = t;
	f->nbuckets = nb;
}

static struct conn *find(struct ec_tcpflow *f, const struct pkt *k, int *dir)
{
	uint64_t h = tuple_hash(f, &k->src, &k->dst);
	for (struct conn *c = f->tab[h & (f->nbuckets - 1)]; c; c = c->hnext) {
		if (c->hash != h)
			continue;
		if (end_eq(&c->t.end[0], &k->src) && end_eq(&c->t.end[1], &k->dst)) {
			*dir = 0;
			return c;
		}
		if (end_eq(&c->t.end[0], &k->dst) && end_eq(&c->t.end[1], &k->src)) {
			*dir = 1;
			return c;
		}
	}
	return NULL;
}

static void hole_unlink(struct ec_tcpflow *f, struct dir *d)
{
	if (!d->waiting)
		return;
	if (d->hprev)
		d->hprev->hnext = d->hnext;
	else
		f->hole_head = d->hnext;
	if (d->hnext)
		d->hnext->hprev = d->hprev;
	else
		f->hole_tail = d->hprev;
	d->hprev = d->hnext = NULL;
	d->waiting = 0;
}

/* Bytes are missing before what is held, or before the FIN. */
static int has_hole(const struct dir *d)
{
	return d->held || (d->fin && before(d->next, d->fin_seq));
}

/* Each hole waits hole_ns from when it became the first one of its direction. */
static void hole_update(struct ec_tcpflow *f, struct dir *d)
{
	if (!has_hole(d)) {
		hole_unlink(f, d);
		return;
	}
	if (d->waiting && d->hole_at == d->next)
		return;
	hole_unlink(f, d);
	d->waiting = 1;
	d->hole_at = d->next;
	d->hole_ts = f->now;
	d->hprev = f->hole_tail;
	if (f->hole_tail)
		f->hole_tail->hnext = d;
	else
		f->hole_head = d;
	f->hole_tail = d;
}

static int hole_expired(const struct ec_tcpflow *f, const struct dir *d)
{
	/* hole_ts <= now, so the difference fits unsigned */
	return (uint64_t)f->now - (uint64_t)d->hole_ts > (uint64_t)f->o.hole_ns;
}

/* Delivery: in order, each byte once. */

static void emit(struct ec_tcpflow *f, struct dir *d, const uint8_t *p, uint32_t n, int lost,
		 int64_t ts)
{
	if (lost) {
		f->st.gaps++;
		f->st.gap_bytes += n;
		f->cb.gap(f->ctx, d->c->user, d->idx, n, ts);
	} else {
		f->st.bytes += n;
		f->cb.data(f->ctx, d->c->user, d->idx, p, n, ts);
	}
	d->next += n;
}

static void unhold(struct dir *d, struct seg *s)
{
	d->held = s->next;
	if (!d->held)
		d->tail = NULL;
	d->nheld--;
	if (!s->lost)
		d->held_bytes -= s->len;
	free(s);
}

/* Deliver the held pieces that now follow on. */
static void drain(struct ec_tcpflow *f, struct dir *d)
{
	struct seg *s;
	while ((s = d->held) && s->seq == d->next) {
		emit(f, d, s->data, s->len, s->lost, s->ts);
		unhold(d, s);
	}
}

/* Report the first hole as a gap and move past it. */
static void give_up(struct ec_tcpflow *f, struct dir *d, int64_t ts)
{
	uint32_t to = d->held ? d->held->seq : d->fin_seq;
	emit(f, d, NULL, to - d->next, 1, d->held ? d->held->ts : ts);
	drain(f, d);
}

static void hold_one(struct dir *d, struct seg **pp, uint32_t seq, const uint8_t *p, uint32_t n,
		     int lost, int64_t ts)
{
	struct seg *s = malloc(sizeof *s + (lost ? 0 : n));
	if (!s)
		return; /* its bytes become a gap */
	s->seq = seq;
	s->len = n;
	s->ts = ts;
	s->lost = lost;
	if (!lost)
		memcpy(s->data, p, n);
	s->next = *pp;
	*pp = s;
	if (!s->next)
		d->tail = s;
	d->nheld++;
	if (!lost)
		d->held_bytes += n;
}

/* Hold bytes after a hole; the ones already held stay (the first copy wins). */
static void hold(struct dir *d, uint32_t seq, const uint8_t *p, uint32_t n, int lost, int64_t ts,
		 int *dup)
{
	uint32_t s = seq - d->next, e = s + n; /* relative to next: no wrap */
	struct seg **pp = &d->held;
	if (d->tail && d->tail->seq + d->tail->len - d->next <= s)
		pp = &d->tail->next;
	while (s < e) {
		struct seg *h = *pp;
		if (!h) {
			hold_one(d, pp, d->next + s, p, e - s, lost, ts);
			return;
		}
		uint32_t hs = h->seq - d->next, he = hs + h->len;
		if (he <= s) {
			pp = &h->next;
			continue;
		}
		if (hs > s) {
			uint32_t cut = e < hs ? e : hs;
			hold_one(d, pp, d->next + s, p, cut - s, lost, ts);
			if (*pp != h) /* (not when it could not be allocated) */
				pp = &(*pp)->next;
			p = p ? p + (cut - s) : NULL;
			s = cut;
			continue;
		}
		*dup = 1;
		uint32_t skip = (he < e ? he : e) - s;
		p = p ? p + skip : NULL;
		s += skip;
		pp = &h->next;
	}
}

/* One piece of a segment (lost: cut by the capture): deliver, trim or hold. */
static void piece(struct ec_tcpflow *f, struct dir *d, uint32_t seq, const uint8_t *p, uint32_t n,
		  int lost, int64_t ts, int *dup, int *ooo)
{
	while (n) {
		if (before(seq, d->next)) {
			uint32_t old = d->next - seq;
			*dup = 1;
			if (old >= n)
				return;
			seq += old;
			p = lost ? NULL : p + old;
			n -= old;
		}
		if (seq != d->next) {
			*ooo = 1;
			hold(d, seq, p, n, lost, ts, dup);
			return;
		}
		/* up to the first held piece: it follows on */
		uint32_t take = d->held && d->held->seq - seq < n ? d->held->seq - seq : n;
		emit(f, d, p, take, lost, ts);
		drain(f, d);
		seq += take;
		p = lost ? NULL : p + take;
		n -= take;
	}
}

/* Connections */

static void flush(struct ec_tcpflow *f, struct dir *d, int64_t ts)
{
	while (has_hole(d))
		give_up(f, d, ts);
	hole_unlink(f, d);
}

/* What was held goes out, then the close callback; the entry stays as a tombstone. */
static void conn_close(struct ec_tcpflow *f, struct conn *c, enum ec_tcpflow_why why, int64_t ts)
{
	if (c->closed)
		return;
	flush(f, &c->d[0], ts);
	flush(f, &c->d[1], ts);
	f->cb.close(f->ctx, c->user, why, ts);
	c->closed = 1;
	c->user = NULL;
}

/* A closed connection out of the table. */
static void conn_free(struct ec_tcpflow *f, struct conn *c)
{
	struct conn **pp = &f->tab[c->hash & (f->nbuckets - 1)];
	while (*pp != c)
		pp = &(*pp)->hnext;
	*pp = c->hnext;
	lru_unlink(f, c);
	free(c); /* closed first: nothing held, no hole waiting */
	f->count--;
}

static void conn_drop(struct ec_tcpflow *f, struct conn *c, enum ec_tcpflow_why why, int64_t ts)
{
	if (!c->closed && why == EC_TCPFLOW_EVICT)
		f->st.evicted++;
	conn_close(f, c, why, ts);
	conn_free(f, c);
}

static struct conn *conn_new(struct ec_tcpflow *f, const struct ec_tcpflow_end *a,
			     const struct ec_tcpflow_end *b, int syn_seen, int64_t ts)
{
	while (f->count >= f->o.max_conns && f->tail)
		conn_drop(f, f->tail, EC_TCPFLOW_EVICT, ts);
	struct conn *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->t.end[0] = *a;
	c->t.end[1] = *b;
	c->t.syn_seen = syn_seen;
	for (int i = 0; i < 2; i++) {
		c->d[i].c = c;
		c->d[i].idx = i;
	}
	c->hash = tuple_hash(f, a, b);
	if (f->count + 1 > f->nbuckets)
		grow(f);
	c->hnext = f->tab[c->hash & (f->nbuckets - 1)];
	f->tab[c->hash & (f->nbuckets - 1)] = c;
	f->count++;
	lru_push(f, c);
	c->last_ts = f->now;
	f->st.conns++;
	c->user = f->cb.open(f->ctx, &c->t, ts);
	return c;
}

/* Give up this connection's expired holes; close it when both FINs are through. */
static void settle(struct ec_tcpflow *f, struct conn *c, int64_t ts)
{
	for (int i = 0; i < 2; i++) {
		struct dir *d = &c->d[i];
		hole_update(f, d);
		if (d->waiting && hole_expired(f, d)) {
			give_up(f, d, ts);
			hole_update(f, d); /* the next hole waits from now */
		}
	}
	if (c->d[0].fin && c->d[1].fin && !has_hole(&c->d[0]) && !has_hole(&c->d[1]))
		conn_close(f, c, EC_TCPFLOW_FIN, ts);
}

static void segment(struct ec_tcpflow *f, struct conn *c, int dir, const struct pkt *k, int64_t ts)
{
	struct dir *d = &c->d[dir];
	uint32_t seq = k->seq;
	size_t cap = k->cap, wire = k->wire;
	if (k->flags & TH_SYN) {
		if (!d->started) {
			d->started = d->syn = 1;
			d->isn = seq;
			d->next = seq + 1;
		}
		seq++; /* the SYN takes one seq; its data (TFO) follows */
	}
	if (!d->started) {
		if (!wire && !(k->flags & TH_FIN))
			return; /* an ACK: nothing to place yet */
		d->started = 1; /* mid-stream: the first segment seen is the start */
		d->next = seq;
	}
	if ((k->flags & TH_FIN) && !d->fin && !before(seq + (uint32_t)wire, d->next)) {
		d->fin = 1;
		d->fin_seq = seq + (uint32_t)wire;
	}
	if (d->fin) { /* nothing is sent after a FIN */
		uint32_t room = before(seq, d->fin_seq) ? d->fin_seq - seq : 0;
		if (wire > room)
			wire = room;
		if (cap > wire)
			cap = wire;
	}
	int dup = 0, ooo = 0;
	piece(f, d, seq, k->pay, (uint32_t)cap, 0, ts, &dup, &ooo);
	piece(f, d, seq + (uint32_t)cap, NULL, (uint32_t)(wire - cap), 1, ts, &dup, &ooo);
	f->st.retrans += dup;
	f->st.ooo += ooo;
	/* over the bounds: the first holes go first */
	while (d->held && (d->held_bytes > f->o.max_ooo || d->nheld > HELD_MAX))
		give_up(f, d, ts);
}

void ec_tcpflow_opts_default(struct ec_tcpflow_opts *o)
{
	o->max_conns = 16384;
	o->max_ooo = 4u << 20;
	o->hole_ns = 2000000000;
	o->idle_ns = 60000000000;
}

struct ec_tcpflow *ec_tcpflow_new(const struct ec_tcpflow_opts *o, const struct ec_tcpflow_cb *cb,
				  void *ctx)
{
	if (!cb || !cb->open || !cb->data || !cb->gap || !cb->close)
		return NULL;
	struct ec_tcpflow *f = calloc(1, sizeof *f);
	if (!f)
		return NULL;
	if (o)
		f->o = *o;
	else
		ec_tcpflow_opts_default(&f->o);
	if (!f->o.max_conns)
		f->o.max_conns = 1;
	if (f->o.hole_ns < 0)
		f->o.hole_ns = 0;
	if (f->o.idle_ns < 0)
		f->o.idle_ns = 0;
	f->cb = *cb;
	f->ctx = ctx;
	f->nbuckets = 256;
	f->tab = calloc(f->nbuckets, sizeof *f->tab);
	if (!f->tab) {
		free(f);
		return NULL;
	}
	/* keyed, so hostile addresses cannot aim at one bucket */
	f->seed = mix((uint64_t)ec_mono_ns() ^ (uint64_t)(uintptr_t)f);
	f->now = INT64_MIN;
	return f;
}

int ec_tcpflow_packet(struct ec_tcpflow *f, uint32_t link_type, const uint8_t *p, size_t caplen,
		      size_t origlen, int64_t ts)
{
	struct pkt k;
	f->st.packets++;
	if (origlen < caplen)
		origlen = caplen;
	switch (parse(link_type, p, caplen, origlen, &k)) {
	case PKT_NOT_TCP:
		f->st.not_tcp++;
		return EC_ERR_PROTO;
	case PKT_BAD:
		f->st.bad++;
		return EC_ERR_PROTO;
	}
	if (ts > f->now)
		f->now = ts;
	int dir = 0, syn = !!(k.flags & TH_SYN), ack = !!(k.flags & TH_ACK);
	struct conn *c = find(f, &k, &dir);
	/* A SYN from the client that is not its first one (or from the server): a new
	 * handshake on a live 4-tuple, so the old connection is gone. */
	if (c && syn && !ack && !c->closed &&
	    !(dir == 0 && (!c->d[0].started || (c->d[0].syn && c->d[0].isn == k.seq)))) {
		conn_drop(f, c, EC_TCPFLOW_RST, ts);
		c = NULL;
	}
	if (c && c->closed && syn) { /* port reuse */
		conn_free(f, c);
		c = NULL;
	}
	if (!c) {
		if (k.flags & TH_RST || (!syn && !k.wire))
			return 0; /* nothing to open a connection for */
		dir = syn && ack; /* the SYN-ACK's receiver is the client */
		c = dir ? conn_new(f, &k.dst, &k.src, 1, ts) : conn_new(f, &k.src, &k.dst, syn, ts);
		if (!c)
			return 0;
	}
	touch(f, c);
	if (c->closed)
		return 0; /* late segments of a closed connection */
	if (k.flags & TH_RST) {
		conn_close(f, c, EC_TCPFLOW_RST, ts);
		return 0;
	}
	segment(f, c, dir, &k, ts);
	settle(f, c, ts);
	return 0;
}

void ec_tcpflow_expire(struct ec_tcpflow *f, int64_t now)
{
	if (now > f->now)
		f->now = now;
	while (f->hole_head && hole_expired(f, f->hole_head)) {
		struct dir *d = f->hole_head;
		give_up(f, d, f->now);
		settle(f, d->c, f->now);
	}
	while (f->tail && (uint64_t)f->now - (uint64_t)f->tail->last_ts > (uint64_t)f->o.idle_ns)
		conn_drop(f, f->tail, EC_TCPFLOW_IDLE, f->now);
}

void ec_tcpflow_get_stats(const struct ec_tcpflow *f, struct ec_tcpflow_stats *s)
{
	*s = f->st;
}

void ec_tcpflow_free(struct ec_tcpflow *f)
{
	if (!f)
		return;
	while (f->tail)
		conn_drop(f, f->tail, EC_TCPFLOW_END, f->now);
	free(f->tab);
	free(f);
}
