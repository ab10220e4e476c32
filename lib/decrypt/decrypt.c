// SPDX-License-Identifier: GPL-2.0-only
#include "decrypt.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "stream.h"
#include "tcpflow.h"
#include "tlsdec.h"
#include "tlskeys.h"
#include "util.h"

/* Handshake records kept (by client random), oldest dropped first. */
#define OWNER_SLOTS 16384
/* Plaintext kept per connection for a process whose handshake record comes
 * after the other end's (both ends on one host): replayed to it. */
#define REPLAY_MAX (256u << 10)
#define REPLAY_NS (2ll * 1000000000ll)
/* Synthetic connection ids when a handshake record gives none. */
#define CONN_ID_BASE (1ull << 32)

struct owners {
	uint8_t random[32];
	int n;
	EcEvent *ev[2]; /* unpacked copies of the handshake Events */
};

struct replay {
	struct replay *next;
	int dir;
	int64_t ts;
	size_t n;
	uint8_t p[];
};

struct dconn {
	struct ec_decrypt *d;
	struct ec_tcpflow_tuple t;
	struct ec_tlsdec *tls;
	int64_t first_ts, wait_since;
	int waiting, keyed, given_up, said_keys, midstream;
	struct dconn *wprev, *wnext; /* waiting for keys, oldest first */
	struct dconn *hnext;	     /* by client random */
	int nown;
	const EcEvent *own[2];
	int end[2];	     /* the TCP end each owner is */
	uint64_t id[2];	     /* its conn_id */
	uint64_t seq[2][2];  /* per owner, per direction (0 write, 1 read) */
	int64_t replay_ts;   /* first plaintext's time; 0 none yet */
	size_t replay_bytes; /* kept in replay (REPLAY_MAX, then dropped) */
	struct replay *rhead, *rtail;
	int replay_off;
	uint64_t plain[2];
};

struct ec_decrypt {
	struct ec_decrypt_opts o;
	struct ec_decrypt_cb cb;
	void *ctx;
	struct ec_tcpflow *flow;
	struct ec_tlskeys *keys;
	struct owners *own; /* OWNER_SLOTS, open addressing on the random */
	size_t own_next;    /* FIFO victim when the probe finds no room */
	struct dconn **byrand;
	size_t nbuckets;
	struct dconn *whead, *wtail;
	size_t nwaiting;
	uint64_t next_id;
	struct ec_decrypt_stats st;
};

void ec_decrypt_opts_default(struct ec_decrypt_opts *o)
{
	memset(o, 0, sizeof *o);
	o->max_conns = 16384;
	o->max_held = 1u << 20;
	o->max_waiting = 1024;
	o->keys_wait_ns = 10ll * 1000000000ll;
}

static uint64_t hash32(const uint8_t *r)
{
	uint64_t h;
	memcpy(&h, r, sizeof h); /* the random is random */
	return h ^ (h >> 29);
}

/* ---- handshake records ---- */

static struct owners *owners_find(struct ec_decrypt *d, const uint8_t *r, int make)
{
	size_t i = hash32(r) % OWNER_SLOTS;
	for (int k = 0; k < 8; k++, i = (i + 1) % OWNER_SLOTS) {
		struct owners *o = &d->own[i];
		if (o->n && !memcmp(o->random, r, 32))
			return o;
		if (!o->n && make)
			break;
	}
	if (!make)
		return NULL;
	struct owners *o = &d->own[i];
	if (o->n) { /* eight probes full: one of them goes, in turn */
		o = &d->own[(hash32(r) + d->own_next++ % 8) % OWNER_SLOTS];
		for (int k = 0; k < o->n; k++)
			event__event__free_unpacked(o->ev[k], NULL);
		o->n = 0;
	}
	memcpy(o->random, r, 32);
	return o;
}

static int same_process(const EcEvent *a, const EcEvent *b)
{
	return a->pid == b->pid && a->src_port == b->src_port &&
	       !strcmp(a->src_ip ? a->src_ip : "", b->src_ip ? b->src_ip : "");
}

static void add_owner(struct ec_decrypt *d, const EcEvent *ev)
{
	if (ev->client_random.len != 32)
		return;
	struct owners *o = owners_find(d, ev->client_random.data, 1);
	for (int k = 0; k < o->n; k++)
		if (same_process(o->ev[k], ev))
			return; /* a repeat */
	if (o->n == 2)
		return; /* a connection has two ends */
	size_t n = event__event__get_packed_size(ev);
	uint8_t *b = ec_xmalloc(n ? n : 1);
	event__event__pack(ev, b);
	EcEvent *copy = event__event__unpack(NULL, n, b);
	free(b);
	if (copy)
		o->ev[o->n++] = copy;
}

/* ---- connections by client random ---- */

static void byrand_put(struct ec_decrypt *d, struct dconn *c)
{
	size_t b = hash32(ec_tlsdec_client_random(c->tls)) % d->nbuckets;
	c->hnext = d->byrand[b];
	d->byrand[b] = c;
}

static void byrand_del(struct ec_decrypt *d, struct dconn *c)
{
	const uint8_t *r = ec_tlsdec_client_random(c->tls);
	if (!r)
		return;
	for (struct dconn **pp = &d->byrand[hash32(r) % d->nbuckets]; *pp; pp = &(*pp)->hnext)
		if (*pp == c) {
			*pp = c->hnext;
			return;
		}
}

static void wait_del(struct ec_decrypt *d, struct dconn *c)
{
	if (!c->waiting)
		return;
	if (c->wprev)
		c->wprev->wnext = c->wnext;
	else
		d->whead = c->wnext;
	if (c->wnext)
		c->wnext->wprev = c->wprev;
	else
		d->wtail = c->wprev;
	c->wprev = c->wnext = NULL;
	c->waiting = 0;
	d->nwaiting--;
}

/* ---- what goes out ---- */

static void end_str(const struct ec_tcpflow_end *e, char *ip, size_t n)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (!e->v6 && !memcmp(e->addr, mapped, 12))
		inet_ntop(AF_INET, e->addr + 12, ip, (socklen_t)n);
	else
		inet_ntop(AF_INET6, e->addr, ip, (socklen_t)n);
}

static void resolve(struct dconn *c, int64_t ts);

static void say(struct dconn *c, int64_t ts, const char *what)
{
	if (!c->nown)
		resolve(c, ts); /* name the process, if a handshake record did */
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN], who[64] = "", line[512];
	end_str(&c->t.end[0], a, sizeof a);
	end_str(&c->t.end[1], b, sizeof b);
	if (c->nown && c->own[0])
		snprintf(who, sizeof who, " %s(%" PRId64 ")",
			 c->own[0]->pname ? c->own[0]->pname : "?", c->own[0]->pid);
	snprintf(line, sizeof line, "decrypt: %s:%u - %s:%u%s: %s", a, c->t.end[0].port, b,
		 c->t.end[1].port, who, what);
	c->d->st.notes++;
	c->d->cb.say(c->d->ctx, ts, line);
}

/* Which TCP end owner ev is: its src_ip:src_port; -1 when it gave none. */
static int owner_end(const struct dconn *c, const EcEvent *ev)
{
	uint8_t a[16];
	const char *ip = ev->src_ip ? ev->src_ip : "";
	if (!*ip || !ev->src_port)
		return -1;
	if (inet_pton(AF_INET, ip, a + 12) == 1) {
		memset(a, 0, 10);
		a[10] = a[11] = 0xff;
	} else if (inet_pton(AF_INET6, ip, a) != 1) {
		return -1;
	}
	for (int e = 0; e < 2; e++)
		if (c->t.end[e].port == ev->src_port && !memcmp(c->t.end[e].addr, a, 16))
			return e;
	return -1;
}

static void emit(struct dconn *c, int k, int dir, const uint8_t *p, size_t n, int64_t ts,
		 int closed)
{
	struct ec_decrypt *d = c->d;
	const EcEvent *o = c->own[k];
	EcEvent ev = EVENT__EVENT__INIT;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], uuid[128];
	int me = c->end[k];
	if (o) {
		ev = *o;
		ev.client_random.data = NULL;
		ev.client_random.len = 0;
	}
	/* the tuple as the packets say, from the process's end */
	end_str(&c->t.end[me], src, sizeof src);
	end_str(&c->t.end[!me], dst, sizeof dst);
	ev.src_ip = src;
	ev.dst_ip = dst;
	ev.src_port = c->t.end[me].port;
	ev.dst_port = c->t.end[!me].port;
	ev.timestamp = ts;
	ev.conn_id = c->id[k];
	ev.type = 0;
	if (closed) {
		ev.closed = 1;
		ev.direction = EVENT__DIRECTION__DIRECTION_UNKNOWN;
	} else {
		int w = dir == me;
		ev.direction =
		    w ? EVENT__DIRECTION__DIRECTION_WRITE : EVENT__DIRECTION__DIRECTION_READ;
		ev.seq = c->seq[k][!w]++;
		ev.payload.data = (uint8_t *)p;
		ev.payload.len = n;
		ev.length = (uint32_t)n;
	}
	snprintf(uuid, sizeof uuid, "%" PRId64 "_%u_%s_%d_%d", ev.pid, ev.tid,
		 ev.pname ? ev.pname : "", ev.fd, closed ? 0 : ev.direction);
	ev.uuid = uuid;
	d->st.events++;
	d->cb.event(d->ctx, &ev);
}

/* The processes that own the connection, as far as handshake records say. */
static void resolve(struct dconn *c, int64_t ts)
{
	struct ec_decrypt *d = c->d;
	const uint8_t *r = ec_tlsdec_client_random(c->tls);
	struct owners *o = r ? owners_find(d, r, 0) : NULL;
	for (int i = 0; o && i < o->n && c->nown < 2; i++) {
		int dup = 0;
		for (int k = 0; k < c->nown; k++)
			dup |= c->own[k] == o->ev[i];
		if (dup)
			continue;
		int k = c->nown++, e = owner_end(c, o->ev[i]);
		if (e < 0) /* no tuple (no socket seen): the end the other owner is not, or the
			      client */
			e = k					? !c->end[0]
			    : ec_tlsdec_client_dir(c->tls) >= 0 ? ec_tlsdec_client_dir(c->tls)
								: 0;
		c->own[k] = o->ev[i];
		c->end[k] = e;
		c->id[k] = o->ev[i]->conn_id ? o->ev[i]->conn_id : CONN_ID_BASE + ++d->next_id;
		/* what the other end was given before this record came */
		for (struct replay *p = c->rhead; p; p = p->next)
			emit(c, k, p->dir, p->p, p->n, p->ts, 0);
	}
	if (!c->nown && d->o.all) { /* named by no record: the client's view */
		int cd = ec_tlsdec_client_dir(c->tls);
		c->nown = 1;
		c->own[0] = NULL;
		c->end[0] = cd >= 0 ? cd : 0;
		c->id[0] = CONN_ID_BASE + ++d->next_id;
	}
	(void)ts;
}

static void replay_drop(struct dconn *c)
{
	while (c->rhead) {
		struct replay *p = c->rhead;
		c->rhead = p->next;
		free(p);
	}
	c->rtail = NULL;
}

static void on_plain(void *ctx, int dir, const uint8_t *p, size_t n, int64_t ts)
{
	struct dconn *c = ctx;
	if (c->nown < 2)
		resolve(c, ts);
	if (!c->replay_ts)
		c->replay_ts = ts;
	/* a second process may still be named: keep the start for it */
	if (c->nown < 2 && !c->replay_off && ts - c->replay_ts < REPLAY_NS &&
	    c->replay_bytes + n <= REPLAY_MAX) {
		struct replay *r = ec_xmalloc(sizeof *r + n);
		r->next = NULL;
		r->dir = dir;
		r->ts = ts;
		r->n = n;
		memcpy(r->p, p, n);
		if (c->rtail)
			c->rtail->next = r;
		else
			c->rhead = r;
		c->rtail = r;
		c->replay_bytes += n;
	} else if (!c->replay_off) {
		c->replay_off = 1;
		replay_drop(c);
	}
	if (!c->plain[0] && !c->plain[1])
		c->d->st.decrypted_conns++;
	c->plain[dir] += n;
	c->d->st.plain_bytes += n;
	for (int k = 0; k < c->nown; k++)
		emit(c, k, dir, p, n, ts, 0);
}

/* Bytes of dir are lost: the decoders must not join what came before to
 * what comes after, so each owner's sequence skips one. */
static void skip_seq(struct dconn *c, int dir)
{
	for (int k = 0; k < c->nown; k++)
		c->seq[k][dir != c->end[k]]++;
}

static void on_note(void *ctx, int dir, const char *what, uint64_t lost, int64_t ts)
{
	struct dconn *c = ctx;
	if (lost)
		skip_seq(c, dir);
	if (strncmp(what, "no keys", 7) == 0)
		c->d->st.no_keys++;
	/* bytes that are not TLS are not ours to decrypt (a connection that
	 * began before the capture is said once, by on_data) */
	if (!strncmp(what, "not TLS", 7) ||
	    (c->midstream && !strncmp(what, "no ClientHello", 14)) ||
	    ec_tlsdec_state(c->tls) == EC_TLSDEC_NOT_TLS)
		return;
	say(c, ts, what);
}

static const struct ec_tlsdec_cb tls_cb = {on_plain, on_note};

/* ---- TCP ---- */

static void *on_open(void *ctx, const struct ec_tcpflow_tuple *t, int64_t ts)
{
	struct ec_decrypt *d = ctx;
	struct dconn *c = ec_xcalloc(1, sizeof *c);
	c->d = d;
	c->t = *t;
	c->first_ts = ts;
	c->tls = ec_tlsdec_new(&tls_cb, c, d->o.max_held);
	d->st.conns++;
	return c;
}

static void give_keys(struct dconn *c, const struct ec_tlskeys_entry *k)
{
	wait_del(c->d, c);
	c->keyed = 1;
	ec_tlsdec_keys(c->tls, k);
}

static void give_up(struct dconn *c, int64_t ts)
{
	wait_del(c->d, c);
	c->given_up = 1;
	ec_tlsdec_end(c->tls, ts);
}

static void on_data(void *ctx, void *user, int dir, const uint8_t *p, size_t n, int64_t ts)
{
	struct ec_decrypt *d = ctx;
	struct dconn *c = user;
	if (c->given_up)
		return;
	int had = ec_tlsdec_client_random(c->tls) != NULL;
	ec_tlsdec_data(c->tls, dir, p, n, ts);
	enum ec_tlsdec_state s = ec_tlsdec_state(c->tls);
	if (s == EC_TLSDEC_NOT_TLS && !c->t.syn_seen && !c->midstream && n >= 3 && p[0] >= 0x14 &&
	    p[0] <= 0x17 && p[1] == 3) {
		c->midstream = 1;
		d->st.midstream++;
		say(c, ts,
		    "began before the capture (TLS records, no handshake seen): not decrypted");
	}
	if (had || !ec_tlsdec_client_random(c->tls))
		return;
	d->st.tls_conns++;
	byrand_put(d, c);
	const struct ec_tlskeys_entry *k =
	    ec_tlskeys_find(d->keys, ec_tlsdec_client_random(c->tls));
	if (k) {
		give_keys(c, k);
		return;
	}
	/* its keys may follow: wait, bounded in count and time */
	if (d->nwaiting >= d->o.max_waiting && d->whead)
		give_up(d->whead, ts);
	c->waiting = 1;
	c->wait_since = ts;
	c->wprev = d->wtail;
	if (d->wtail)
		d->wtail->wnext = c;
	else
		d->whead = c;
	d->wtail = c;
	d->nwaiting++;
}

static void on_gap(void *ctx, void *user, int dir, uint64_t n, int64_t ts)
{
	struct dconn *c = user;
	(void)ctx;
	c->d->st.gaps++;
	skip_seq(c, dir);
	if (!c->given_up)
		ec_tlsdec_gap(c->tls, dir, n, ts);
}

static void on_close(void *ctx, void *user, enum ec_tcpflow_why why, int64_t ts)
{
	struct ec_decrypt *d = ctx;
	struct dconn *c = user;
	(void)why;
	if (!c->given_up)
		ec_tlsdec_end(c->tls, ts);
	for (int k = 0; k < c->nown; k++)
		emit(c, k, 0, NULL, 0, ts, 1);
	wait_del(d, c);
	byrand_del(d, c);
	replay_drop(c);
	ec_tlsdec_free(c->tls);
	free(c);
}

static const struct ec_tcpflow_cb flow_cb = {on_open, on_data, on_gap, on_close};

/* ---- records ---- */

struct ec_decrypt *ec_decrypt_new(const struct ec_decrypt_opts *o, const struct ec_decrypt_cb *cb,
				  void *ctx)
{
	struct ec_decrypt *d = ec_xcalloc(1, sizeof *d);
	d->o = *o;
	d->cb = *cb;
	d->ctx = ctx;
	struct ec_tcpflow_opts fo;
	ec_tcpflow_opts_default(&fo);
	fo.max_conns = o->max_conns;
	d->flow = ec_tcpflow_new(&fo, &flow_cb, d);
	d->keys = ec_tlskeys_new(OWNER_SLOTS);
	d->own = ec_xcalloc(OWNER_SLOTS, sizeof *d->own);
	d->nbuckets = o->max_conns * 2 + 1;
	d->byrand = ec_xcalloc(d->nbuckets, sizeof *d->byrand);
	if (!d->flow || !d->keys)
		ec_die(1, "out of memory");
	return d;
}

/* A key log line: the connections waiting for its random get it now. */
static void keyline(struct ec_decrypt *d, const char *line)
{
	if (ec_tlskeys_add_line(d->keys, line, strlen(line)) != 1)
		return;
	const struct ec_tlskeys_entry *k = ec_tlskeys_last(d->keys);
	const uint8_t *r = k->random;
	for (struct dconn *c = d->byrand[hash32(r) % d->nbuckets]; c; c = c->hnext)
		if (!c->given_up && !memcmp(ec_tlsdec_client_random(c->tls), r, 32))
			give_keys(c, k);
}

int ec_decrypt_record(struct ec_decrypt *d, const EcLogEntry *e)
{
	if (e->payload_case == EVENT__LOG_ENTRY__PAYLOAD_RUN_LOG &&
	    e->record_kind == EVENT__RECORD_KIND__RECORD_KIND_KEYLOG && e->run_log) {
		keyline(d, e->run_log);
		return 0;
	}
	if (e->payload_case != EVENT__LOG_ENTRY__PAYLOAD_EVENT_PAYLOAD || !e->event_payload)
		return 0;
	const EcEvent *ev = e->event_payload;
	if (e->record_kind == EVENT__RECORD_KIND__RECORD_KIND_HANDSHAKE) {
		add_owner(d, ev);
		return 0;
	}
	if (e->record_kind != EVENT__RECORD_KIND__RECORD_KIND_PACKET)
		return 0;
	d->st.packets++;
	size_t orig = ev->truncated && ev->orig_length > ev->payload.len ? (size_t)ev->orig_length
									 : ev->payload.len;
	ec_tcpflow_packet(d->flow, ev->link_type, ev->payload.data, ev->payload.len, orig,
			  ev->timestamp);
	return 1;
}

void ec_decrypt_expire(struct ec_decrypt *d, int64_t now)
{
	while (d->whead && now - d->whead->wait_since > d->o.keys_wait_ns)
		give_up(d->whead, now);
	ec_tcpflow_expire(d->flow, now);
}

void ec_decrypt_finish(struct ec_decrypt *d)
{
	if (!d || !d->flow)
		return;
	ec_tcpflow_free(d->flow); /* closes every connection */
	d->flow = NULL;
}

void ec_decrypt_get_stats(const struct ec_decrypt *d, struct ec_decrypt_stats *s)
{
	*s = d->st;
}

void ec_decrypt_free(struct ec_decrypt *d)
{
	if (!d)
		return;
	ec_decrypt_finish(d);
	for (size_t i = 0; i < OWNER_SLOTS; i++)
		for (int k = 0; k < d->own[i].n; k++)
			event__event__free_unpacked(d->own[i].ev[k], NULL);
	free(d->own);
	free(d->byrand);
	ec_tlskeys_free(d->keys);
	free(d);
}
