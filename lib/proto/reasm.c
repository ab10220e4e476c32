// SPDX-License-Identifier: GPL-2.0-only
#include "reasm.h"
#include "error.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ec_reasm {
	struct ec_rconn **tab;
	size_t nbuckets, count, max, peak;
	struct ec_rconn *head, *tail; /* LRU: head most recent */
	ec_reasm_drop_fn drop;
	void *arg;
	uint64_t evicted, expired;
};

static uint64_t mix(int kind, uint64_t id)
{
	uint64_t z = id + 0x9e3779b97f4a7c15ull * (uint64_t)(kind + 1);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

struct ec_reasm *ec_reasm_new(size_t max_conns, ec_reasm_drop_fn drop, void *arg)
{
	struct ec_reasm *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->nbuckets = 256;
	r->tab = calloc(r->nbuckets, sizeof *r->tab);
	if (!r->tab) {
		free(r);
		return NULL;
	}
	r->max = max_conns ? max_conns : 1;
	r->drop = drop;
	r->arg = arg;
	return r;
}

static void lru_unlink(struct ec_reasm *r, struct ec_rconn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		r->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		r->tail = c->prev;
	c->prev = c->next = NULL;
}

static void lru_push(struct ec_reasm *r, struct ec_rconn *c)
{
	c->prev = NULL;
	c->next = r->head;
	if (r->head)
		r->head->prev = c;
	r->head = c;
	if (!r->tail)
		r->tail = c;
}

static void grow(struct ec_reasm *r)
{
	size_t nb = r->nbuckets * 2;
	struct ec_rconn **t = calloc(nb, sizeof *t);
	if (!t)
		return; /* keep the longer chains */
	for (size_t i = 0; i < r->nbuckets; i++) {
		struct ec_rconn *c = r->tab[i], *n;
		for (; c; c = n) {
			n = c->hnext;
			size_t b = mix(c->kind, c->id) & (nb - 1);
			c->hnext = t[b];
			t[b] = c;
		}
	}
	free(r->tab);
	r->tab = t;
	r->nbuckets = nb;
}

void ec_reasm_remove(struct ec_reasm *r, struct ec_rconn *c, enum ec_reasm_why why)
{
	if (r->drop)
		r->drop(c, why, r->arg);
	struct ec_rconn **pp = &r->tab[mix(c->kind, c->id) & (r->nbuckets - 1)];
	while (*pp && *pp != c)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = c->hnext;
	lru_unlink(r, c);
	for (int i = 0; i < 2; i++) {
		ec_reasm_clear(&c->dir[i]);
		ec_reasm_meta_free(&c->dir[i].meta);
	}
	free(c);
	r->count--;
}

void ec_reasm_free(struct ec_reasm *r)
{
	if (!r)
		return;
	while (r->tail)
		ec_reasm_remove(r, r->tail, EC_REASM_END);
	free(r->tab);
	free(r);
}

static void key_of(const EcEvent *ev, int *kind, uint64_t *id)
{
	if (ev->conn_id) {
		*kind = 0;
		*id = ev->conn_id;
	} else if (ev->pid && ev->fd > 0) {
		*kind = 1;
		*id = (uint64_t)ev->pid << 32 | (uint32_t)ev->fd;
	} else {
		/* the 4-tuple, the same whichever end wrote the event */
		uint64_t h = EC_FNV1A_INIT;
		const char *a = ev->src_ip ? ev->src_ip : "", *b = ev->dst_ip ? ev->dst_ip : "";
		h = ec_fnv1a(h, &ev->pid, sizeof ev->pid);
		h = ec_fnv1a(h, a, strlen(a) + 1);
		h = ec_fnv1a(h, &ev->src_port, sizeof ev->src_port);
		h = ec_fnv1a(h, b, strlen(b) + 1);
		h = ec_fnv1a(h, &ev->dst_port, sizeof ev->dst_port);
		*kind = 2;
		*id = h;
	}
}

struct ec_rconn *ec_reasm_lookup(struct ec_reasm *r, const EcEvent *ev, int create)
{
	int kind;
	uint64_t id;
	key_of(ev, &kind, &id);
	size_t b = mix(kind, id) & (r->nbuckets - 1);
	struct ec_rconn *c = r->tab[b];
	while (c && (c->kind != kind || c->id != id))
		c = c->hnext;
	if (!c) {
		if (!create)
			return NULL;
		while (r->count >= r->max && r->tail) {
			r->evicted++;
			ec_reasm_remove(r, r->tail, EC_REASM_EVICT);
		}
		c = calloc(1, sizeof *c);
		if (!c)
			return NULL;
		c->kind = kind;
		c->id = id;
		if (r->count + 1 > r->nbuckets)
			grow(r);
		b = mix(kind, id) & (r->nbuckets - 1);
		c->hnext = r->tab[b];
		r->tab[b] = c;
		r->count++;
		if (r->count > r->peak)
			r->peak = r->count;
	} else {
		lru_unlink(r, c);
	}
	lru_push(r, c);
	if (ev->timestamp > c->last_ts)
		c->last_ts = ev->timestamp;
	return c;
}

size_t ec_reasm_expire(struct ec_reasm *r, int64_t now, int64_t idle_ns)
{
	size_t n = 0;
	while (r->tail && r->tail->last_ts < now - idle_ns) {
		r->expired++;
		ec_reasm_remove(r, r->tail, EC_REASM_IDLE);
		n++;
	}
	return n;
}

void ec_reasm_foreach(struct ec_reasm *r, void (*fn)(struct ec_rconn *c, void *arg), void *arg)
{
	for (struct ec_rconn *c = r->head, *n; c; c = n) {
		n = c->next;
		fn(c, arg);
	}
}

size_t ec_reasm_count(const struct ec_reasm *r)
{
	return r->count;
}

uint64_t ec_reasm_evicted(const struct ec_reasm *r)
{
	return r->evicted;
}

uint64_t ec_reasm_expired(const struct ec_reasm *r)
{
	return r->expired;
}

size_t ec_reasm_peak(const struct ec_reasm *r)
{
	return r->peak;
}

int ec_reasm_dir_index(int direction)
{
	switch (direction) {
	case EVENT__DIRECTION__DIRECTION_WRITE:
		return EC_DIR_WRITE;
	case EVENT__DIRECTION__DIRECTION_READ:
		return EC_DIR_READ;
	default:
		return -1;
	}
}

static void copy_str(char *dst, size_t cap, const char *s)
{
	snprintf(dst, cap, "%s", s ? s : "");
}

void ec_reasm_meta(struct ec_meta *m, const EcEvent *ev)
{
	m->pid = ev->pid;
	m->conn_id = ev->conn_id;
	m->uid = ev->uid;
	m->src_port = ev->src_port;
	m->dst_port = ev->dst_port;
	m->fd = ev->fd;
	m->source = ev->source;
	m->direction = ev->direction;
	copy_str(m->pname, sizeof m->pname, ev->pname);
	copy_str(m->src_ip, sizeof m->src_ip, ev->src_ip);
	copy_str(m->dst_ip, sizeof m->dst_ip, ev->dst_ip);
	copy_str(m->uuid, sizeof m->uuid, ev->uuid);
	m->pname_raw_len =
	    ev->pname_raw.len < sizeof m->pname_raw ? ev->pname_raw.len : sizeof m->pname_raw;
	if (m->pname_raw_len)
		memcpy(m->pname_raw, ev->pname_raw.data, m->pname_raw_len);
	m->cgroup_id = ev->cgroup_id;
	m->ns_pid = ev->ns_pid;
	copy_str(m->container_id, sizeof m->container_id, ev->container_id);
	copy_str(m->pod_uid, sizeof m->pod_uid, ev->pod_uid);
	ec_reasm_meta_free(m);
	m->cgroup = ev->cgroup && *ev->cgroup ? ec_xstrdup(ev->cgroup) : NULL;
	m->lib = ev->lib && *ev->lib ? ec_xstrdup(ev->lib) : NULL;
}

void ec_reasm_meta_free(struct ec_meta *m)
{
	free(m->cgroup);
	free(m->lib);
	m->cgroup = m->lib = NULL;
}

uint64_t ec_reasm_seq(struct ec_rdir *d, uint64_t seq)
{
	uint64_t missing = 0;
	if (d->seq_known && seq != d->next_seq)
		missing = seq > d->next_seq ? seq - d->next_seq : 1;
	d->seq_known = 1;
	d->next_seq = seq + 1;
	return missing;
}

int ec_reasm_append(struct ec_rdir *d, const uint8_t *p, size_t n, const struct ec_mark *m,
		    size_t max)
{
	if (n == 0)
		return 0;
	if (n > max || d->len > max - n)
		return EC_ERR_TOOBIG;
	if (d->len + n > d->cap) {
		size_t ncap = d->cap ? d->cap : 256;
		while (ncap < d->len + n)
			ncap *= 2;
		if (ncap > max)
			ncap = max;
		uint8_t *nb = realloc(d->buf, ncap);
		if (!nb)
			return EC_ERR_NOMEM;
		d->buf = nb;
		d->cap = ncap;
	}
	/* a new mark unless it continues the last one's fragment */
	if (!d->nmarks || d->marks[d->nmarks - 1].m.seq != m->seq ||
	    d->marks[d->nmarks - 1].m.ts != m->ts) {
		if (d->nmarks == EC_REASM_MARKS) {
			/* full: merge the two newest (the older one's stamp wins) */
			d->nmarks--;
		} else {
			d->marks[d->nmarks].off = d->len;
			d->marks[d->nmarks].m = *m;
		}
		d->nmarks++;
	}
	memcpy(d->buf + d->len, p, n);
	d->len += n;
	return 0;
}

void ec_reasm_consume(struct ec_rdir *d, size_t n)
{
	if (n >= d->len) {
		d->nmarks = 0;
		d->len = 0;
		if (d->cap > 4096) {
			free(d->buf);
			d->buf = NULL;
			d->cap = 0;
		}
		return;
	}
	memmove(d->buf, d->buf + n, d->len - n);
	d->len -= n;
	unsigned keep = 0;
	for (unsigned i = 0; i < d->nmarks; i++) {
		size_t end = i + 1 < d->nmarks ? d->marks[i + 1].off : SIZE_MAX;
		if (end <= n)
			continue; /* wholly consumed */
		d->marks[keep] = d->marks[i];
		d->marks[keep].off = d->marks[i].off > n ? d->marks[i].off - n : 0;
		keep++;
	}
	d->nmarks = keep;
}

void ec_reasm_clear(struct ec_rdir *d)
{
	free(d->buf);
	d->buf = NULL;
	d->len = d->cap = 0;
	d->nmarks = 0;
}

struct ec_mark ec_reasm_mark_at(const struct ec_rdir *d, size_t off)
{
	struct ec_mark none = {0, 0, 0};
	if (!d->nmarks)
		return none;
	unsigned i = 0;
	while (i + 1 < d->nmarks && d->marks[i + 1].off <= off)
		i++;
	return d->marks[i].m;
}
