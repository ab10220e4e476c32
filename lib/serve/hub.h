/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The broadcast hub behind ec-serve: records go to every client through a
 * bounded per-client queue that drops its oldest entry (and counts it)
 * when full, so a slow client never slows the publisher or the others.
 * The last EC_HUB_REPLAY process logs are kept and queued first for every
 * client that joins (as eCapture's logbuff does); the last `keep` events
 * too, for a client that asks for them (a page opened after traffic).
 *
 * Messages are shared, reference-counted and carry `headroom` spare bytes
 * before the data (libwebsockets' LWS_PRE). The hub is thread-safe: one
 * thread may publish while another joins, pops and leaves. It knows
 * nothing of sockets; `wake` tells the consumer that queues have data.
 */
#ifndef EC_HUB_H
#define EC_HUB_H

#include <stddef.h>
#include <stdint.h>

#define EC_HUB_REPLAY 128

/* What ec_hub_publish keeps besides sending it. */
enum { EC_HUB_LIVE = 0, EC_HUB_KEEP_LOG = 1, EC_HUB_KEEP_EVENT = 2 };

struct ec_hub_msg {
	int refs;      /* atomic */
	int replay;    /* EC_HUB_KEEP_*: kept for clients that join later */
	uint64_t seq;  /* publish order, from 1 (0 for client-only messages) */
	int64_t t_in;  /* ns (CLOCK_MONOTONIC) when it was read, for latency */
	size_t len;    /* data bytes */
	uint8_t *data; /* headroom bytes are available before data */
	uint8_t buf[];
};

struct ec_hub_limits {
	size_t headroom;    /* spare bytes before each message's data */
	size_t queue_max;   /* messages per client queue (>= 1) */
	size_t queue_bytes; /* data bytes per client queue (0 = no byte limit) */
	size_t replay;	    /* process logs kept for the replay (<= EC_HUB_REPLAY) */
	size_t keep;	    /* events kept for clients that ask (0 = none) */
	size_t keep_bytes;  /* ... and their data bytes at most */
	/* called (from the publishing thread) when queues got data and no
	 * wake is pending; ec_hub_wake_ack re-arms it */
	void (*wake)(void *arg);
	void *wake_arg;
};

struct ec_hub_stats {
	size_t clients;
	uint64_t records; /* published */
	uint64_t bytes;	  /* published data bytes */
	uint64_t dropped; /* dropped from client queues, all clients ever */
	size_t queued;	  /* messages waiting in all queues now */
};

struct ec_hub;
struct ec_hub_client;

struct ec_hub *ec_hub_new(const struct ec_hub_limits *l);
/* Frees the hub, every client still joined and every message. */
void ec_hub_free(struct ec_hub *h);

/* A message holding a copy of buf, or len bytes to fill when buf is NULL
 * (one reference, for the caller). */
struct ec_hub_msg *ec_hub_msg_new(const struct ec_hub *h, const uint8_t *buf, size_t len);
void ec_hub_msg_ref(struct ec_hub_msg *m);
void ec_hub_msg_unref(struct ec_hub_msg *m);

/*
 * Queue m for every client (the caller's reference passes to the hub);
 * with replay (EC_HUB_KEEP_*) it is also kept for clients that join later.
 * Never blocks on a consumer: a full queue loses its oldest message.
 */
void ec_hub_publish(struct ec_hub *h, struct ec_hub_msg *m, int replay);
/* Queue m for one client only (the reference passes to the hub). */
void ec_hub_send(struct ec_hub *h, struct ec_hub_client *c, struct ec_hub_msg *m);

/* A new client, its queue holding the replay. user is handed back by for_each. */
struct ec_hub_client *ec_hub_join(struct ec_hub *h, void *user);
/* The same, its queue holding the kept events after the replay, then live ones. */
struct ec_hub_client *ec_hub_join_kept(struct ec_hub *h, void *user);
void ec_hub_leave(struct ec_hub *h, struct ec_hub_client *c);

/* Up to max queued messages, oldest first; the caller unrefs each. */
size_t ec_hub_pop(struct ec_hub *h, struct ec_hub_client *c, struct ec_hub_msg **out, size_t max);
size_t ec_hub_pending(struct ec_hub *h, const struct ec_hub_client *c);
/*
 * Drop everything queued for c, plus `held` messages the consumer had
 * popped and will not send, counting them all as lost; returns the count.
 */
uint64_t ec_hub_discard(struct ec_hub *h, struct ec_hub_client *c, uint64_t held);
/* Messages this client lost, ever; and those not yet reported (then marked reported). */
uint64_t ec_hub_dropped(struct ec_hub *h, const struct ec_hub_client *c);
uint64_t ec_hub_take_unreported(struct ec_hub *h, struct ec_hub_client *c);

/* Re-arm wake; call before scanning the queues with for_each. */
void ec_hub_wake_ack(struct ec_hub *h);
/* cb(user, pending) for each client, under the hub lock (cb must not call the hub). */
void ec_hub_for_each(struct ec_hub *h, void (*cb)(void *user, size_t pending, void *arg),
		     void *arg);
void ec_hub_stats(struct ec_hub *h, struct ec_hub_stats *s);

#endif
