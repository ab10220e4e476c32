// SPDX-License-Identifier: GPL-2.0-only
#include "hub.h"
#include "util.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct ec_hub_client {
	struct ec_hub_client *prev, *next;
	void *user;
	struct ec_hub_msg **q; /* ring of queue_max entries */
	size_t head, count, bytes;
	uint64_t dropped, reported;
};

struct ec_hub {
	pthread_mutex_t mu;
	struct ec_hub_limits l;
	struct ec_hub_client *clients;
	size_t nclients;
	struct ec_hub_msg *replay[EC_HUB_REPLAY];
	size_t replay_head, replay_n;
	struct ec_hub_msg **kept; /* the last events, a ring of l.keep */
	size_t kept_head, kept_n, kept_bytes;
	uint64_t seq, bytes, dropped;
	int wake_pending; /* atomic */
};

struct ec_hub *ec_hub_new(const struct ec_hub_limits *l)
{
	struct ec_hub *h = ec_xcalloc(1, sizeof *h);
	h->l = *l;
	if (!h->l.queue_max)
		h->l.queue_max = 1;
	if (h->l.replay > EC_HUB_REPLAY)
		h->l.replay = EC_HUB_REPLAY;
	if (h->l.keep)
		h->kept = ec_xcalloc(h->l.keep, sizeof *h->kept);
	pthread_mutex_init(&h->mu, NULL);
	return h;
}

static void client_clear(struct ec_hub_client *c, size_t qmax)
{
	for (size_t i = 0; i < c->count; i++)
		ec_hub_msg_unref(c->q[(c->head + i) % qmax]);
	c->count = c->bytes = 0;
}

void ec_hub_free(struct ec_hub *h)
{
	if (!h)
		return;
	struct ec_hub_client *c = h->clients, *n;
	for (; c; c = n) {
		n = c->next;
		client_clear(c, h->l.queue_max);
		free(c->q);
		free(c);
	}
	for (size_t i = 0; i < h->replay_n; i++)
		ec_hub_msg_unref(h->replay[(h->replay_head + i) % EC_HUB_REPLAY]);
	for (size_t i = 0; i < h->kept_n; i++)
		ec_hub_msg_unref(h->kept[(h->kept_head + i) % h->l.keep]);
	free(h->kept);
	pthread_mutex_destroy(&h->mu);
	free(h);
}

struct ec_hub_msg *ec_hub_msg_new(const struct ec_hub *h, const uint8_t *buf, size_t len)
{
	struct ec_hub_msg *m = ec_xmalloc(sizeof *m + h->l.headroom + len);
	m->refs = 1;
	m->replay = 0;
	m->seq = 0;
	m->t_in = ec_mono_ns();
	m->len = len;
	m->data = m->buf + h->l.headroom;
	if (buf && len)
		memcpy(m->data, buf, len);
	return m;
}

void ec_hub_msg_ref(struct ec_hub_msg *m)
{
	__atomic_add_fetch(&m->refs, 1, __ATOMIC_RELAXED);
}

void ec_hub_msg_unref(struct ec_hub_msg *m)
{
	if (m && __atomic_sub_fetch(&m->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(m);
}

/* Drop the oldest entry of c's queue; lock held. */
static void drop_oldest(struct ec_hub *h, struct ec_hub_client *c)
{
	struct ec_hub_msg *old = c->q[c->head];
	c->head = (c->head + 1) % h->l.queue_max;
	c->count--;
	c->bytes -= old->len;
	c->dropped++;
	h->dropped++;
	ec_hub_msg_unref(old);
}

/* Append m (a new reference is taken); lock held. */
static void enqueue(struct ec_hub *h, struct ec_hub_client *c, struct ec_hub_msg *m)
{
	while (c->count && (c->count >= h->l.queue_max ||
			    (h->l.queue_bytes && c->bytes + m->len > h->l.queue_bytes)))
		drop_oldest(h, c);
	ec_hub_msg_ref(m);
	c->q[(c->head + c->count) % h->l.queue_max] = m;
	c->count++;
	c->bytes += m->len;
}

static void wake(struct ec_hub *h)
{
	if (h->l.wake && !__atomic_exchange_n(&h->wake_pending, 1, __ATOMIC_ACQ_REL))
		h->l.wake(h->l.wake_arg);
}

void ec_hub_publish(struct ec_hub *h, struct ec_hub_msg *m, int replay)
{
	int any;
	pthread_mutex_lock(&h->mu);
	m->seq = ++h->seq;
	m->replay = replay;
	h->bytes += m->len;
	for (struct ec_hub_client *c = h->clients; c; c = c->next)
		enqueue(h, c, m);
	if (replay == EC_HUB_KEEP_EVENT && h->l.keep) {
		/* the oldest go, by count and by bytes */
		while (h->kept_n &&
		       (h->kept_n == h->l.keep ||
			(h->l.keep_bytes && h->kept_bytes + m->len > h->l.keep_bytes))) {
			struct ec_hub_msg *o = h->kept[h->kept_head];
			h->kept_bytes -= o->len;
			ec_hub_msg_unref(o);
			h->kept_head = (h->kept_head + 1) % h->l.keep;
			h->kept_n--;
		}
		if (!h->l.keep_bytes || m->len <= h->l.keep_bytes) {
			ec_hub_msg_ref(m);
			h->kept[(h->kept_head + h->kept_n) % h->l.keep] = m;
			h->kept_n++;
			h->kept_bytes += m->len;
		}
	} else if (replay == EC_HUB_KEEP_LOG && h->l.replay) {
		if (h->replay_n == h->l.replay) {
			ec_hub_msg_unref(h->replay[h->replay_head]);
			h->replay_head = (h->replay_head + 1) % EC_HUB_REPLAY;
			h->replay_n--;
		}
		ec_hub_msg_ref(m);
		h->replay[(h->replay_head + h->replay_n) % EC_HUB_REPLAY] = m;
		h->replay_n++;
	}
	any = h->clients != NULL;
	pthread_mutex_unlock(&h->mu);
	ec_hub_msg_unref(m);
	if (any)
		wake(h);
}

void ec_hub_send(struct ec_hub *h, struct ec_hub_client *c, struct ec_hub_msg *m)
{
	pthread_mutex_lock(&h->mu);
	enqueue(h, c, m);
	pthread_mutex_unlock(&h->mu);
	ec_hub_msg_unref(m);
	wake(h);
}

static struct ec_hub_client *join(struct ec_hub *h, void *user, int kept)
{
	struct ec_hub_client *c = ec_xcalloc(1, sizeof *c);
	c->user = user;
	c->q = ec_xcalloc(h->l.queue_max, sizeof *c->q);
	pthread_mutex_lock(&h->mu);
	for (size_t i = 0; i < h->replay_n; i++)
		enqueue(h, c, h->replay[(h->replay_head + i) % EC_HUB_REPLAY]);
	/* under the same lock as the join: no event twice, none missed */
	for (size_t i = 0; kept && i < h->kept_n; i++)
		enqueue(h, c, h->kept[(h->kept_head + i) % h->l.keep]);
	c->next = h->clients;
	if (h->clients)
		h->clients->prev = c;
	h->clients = c;
	h->nclients++;
	pthread_mutex_unlock(&h->mu);
	if (c->count)
		wake(h);
	return c;
}

struct ec_hub_client *ec_hub_join(struct ec_hub *h, void *user)
{
	return join(h, user, 0);
}

struct ec_hub_client *ec_hub_join_kept(struct ec_hub *h, void *user)
{
	return join(h, user, 1);
}

void ec_hub_leave(struct ec_hub *h, struct ec_hub_client *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&h->mu);
	if (c->prev)
		c->prev->next = c->next;
	else
		h->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	h->nclients--;
	client_clear(c, h->l.queue_max);
	pthread_mutex_unlock(&h->mu);
	free(c->q);
	free(c);
}

size_t ec_hub_pop(struct ec_hub *h, struct ec_hub_client *c, struct ec_hub_msg **out, size_t max)
{
	size_t n = 0;
	pthread_mutex_lock(&h->mu);
	while (n < max && c->count) {
		struct ec_hub_msg *m = c->q[c->head];
		c->head = (c->head + 1) % h->l.queue_max;
		c->count--;
		c->bytes -= m->len;
		out[n++] = m;
	}
	pthread_mutex_unlock(&h->mu);
	return n;
}

size_t ec_hub_pending(struct ec_hub *h, const struct ec_hub_client *c)
{
	pthread_mutex_lock(&h->mu);
	size_t n = c->count;
	pthread_mutex_unlock(&h->mu);
	return n;
}

uint64_t ec_hub_discard(struct ec_hub *h, struct ec_hub_client *c, uint64_t held)
{
	pthread_mutex_lock(&h->mu);
	uint64_t n = c->count + held;
	client_clear(c, h->l.queue_max);
	c->dropped += n;
	h->dropped += n;
	pthread_mutex_unlock(&h->mu);
	return n;
}

uint64_t ec_hub_dropped(struct ec_hub *h, const struct ec_hub_client *c)
{
	pthread_mutex_lock(&h->mu);
	uint64_t n = c->dropped;
	pthread_mutex_unlock(&h->mu);
	return n;
}

uint64_t ec_hub_take_unreported(struct ec_hub *h, struct ec_hub_client *c)
{
	pthread_mutex_lock(&h->mu);
	uint64_t n = c->dropped - c->reported;
	c->reported = c->dropped;
	pthread_mutex_unlock(&h->mu);
	return n;
}

void ec_hub_wake_ack(struct ec_hub *h)
{
	__atomic_store_n(&h->wake_pending, 0, __ATOMIC_RELEASE);
}

void ec_hub_for_each(struct ec_hub *h, void (*cb)(void *user, size_t pending, void *arg), void *arg)
{
	pthread_mutex_lock(&h->mu);
	for (struct ec_hub_client *c = h->clients; c; c = c->next)
		cb(c->user, c->count, arg);
	pthread_mutex_unlock(&h->mu);
}

void ec_hub_stats(struct ec_hub *h, struct ec_hub_stats *s)
{
	pthread_mutex_lock(&h->mu);
	s->clients = h->nclients;
	s->records = h->seq;
	s->bytes = h->bytes;
	s->dropped = h->dropped;
	s->queued = 0;
	for (struct ec_hub_client *c = h->clients; c; c = c->next)
		s->queued += c->count;
	pthread_mutex_unlock(&h->mu);
}
