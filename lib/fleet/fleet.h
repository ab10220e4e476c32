/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The record stream between hosts (ec-nats, docs/FLEET.md): subject names,
 * the host field, message ids, and putting each publisher's records back in
 * the order it sent them. Nothing here talks to a server; cmd/ec-nats does,
 * with the NATS C client.
 *
 * Each publisher run is a session (a random id). It numbers its records
 * from 1 twice: within their scope, all the subjects of one host
 * ("ec.web1.*"), and within their subject. One header carries the four
 * (Ec-Order: "SESSION SEQ SUBJECT-SEQ SCOPE"). A record resent after a lost
 * acknowledgement can land in the stream after later ones; the subscriber
 * writes them in the order of the scope's numbers when its subjects take
 * in the whole scope ('ec.>'), else in the order of each subject's
 * ('ec.*.openssl' sees only some of a host's numbers). A record that comes
 * early is held for a bounded time, then the missing ones are a gap.
 */
#ifndef EC_FLEET_H
#define EC_FLEET_H

#include <stddef.h>
#include <stdint.h>

#include "stream.h"

#define EC_FLEET_ORDER_HDR "Ec-Order"
/* bytes of an orderer's session key (a session id and a scope or subject), NUL included */
#define EC_FLEET_SESSION_MAX 320

/*
 * s as one NATS subject token (a host name, a module): '.', '*', '>',
 * white space, control and non-ASCII bytes become '_'; empty becomes "_". Cut to fit
 * n (n > 1). Returns out.
 */
char *ec_fleet_token(const char *s, char *out, size_t n);

/* A record's place, as the Ec-Order header carries it. */
struct ec_fleet_tag {
	char session[33];
	uint64_t seq, subject_seq; /* from 1 */
	char scope[256];
};

/* The header's value for t into buf (n bytes): its length, or 0 when it does not fit. */
size_t ec_fleet_tag_format(const struct ec_fleet_tag *t, char *buf, size_t n);
/* Parse a header's value (anyone may set it): 0, or EC_ERR_INVAL. */
int ec_fleet_tag_parse(const char *v, struct ec_fleet_tag *t);
/* The scope of a default subject "ec.HOST.MODULE": "ec.HOST.*" into buf. */
char *ec_fleet_scope_of(const char *subject, char *buf, size_t n);

/*
 * Every subject scope matches, filter matches too (both NATS subjects,
 * tokens split by '.', '*' one token, '>' the rest): "ec.>" and
 * "ec.web1.>" cover "ec.web1.*", "ec.*.openssl" does not. 1 or 0.
 */
int ec_fleet_covers(const char *filter, const char *scope);

/*
 * The module part of a record's default subject ec.HOST.MODULE: the
 * event's source ("openssl", "gotls", "bash", "packet"...), "log" for a
 * process log or key-log line, "heartbeat" for a heartbeat.
 */
const char *ec_fleet_module(const EcLogEntry *e);

/*
 * The bytes that, appended to a serialized LogEntry, set its host
 * (LogEntry 18): written to out (at most cap bytes). Returns their count,
 * or 0 when they do not fit or host is empty.
 */
size_t ec_fleet_host_field(const char *host, uint8_t *out, size_t cap);

/*
 * A --since value: an RFC 3339 time ("2026-12-05T10:00:00Z", fractions and
 * "+01:00" offsets allowed) or a duration before now_ns ("90s", "10m",
 * "2h", "7d"). ns since the epoch in *out; 0, or EC_ERR_INVAL.
 */
int ec_fleet_parse_since(const char *s, int64_t now_ns, int64_t *out);
/* A duration: N with ms, s, m, h or d (plain N: seconds). ns; 0 or EC_ERR_INVAL. */
int ec_fleet_parse_duration(const char *s, int64_t *out);

/* What becomes of a record given to the orderer. */
enum ec_fleet_fate {
	EC_FLEET_WRITE,	 /* next in its session's order: write it */
	EC_FLEET_LATE,	 /* older than what was written, never written: write it */
	EC_FLEET_DUP,	 /* written already (a redelivery or a resend): drop it */
	EC_FLEET_FORGET, /* still held when the orderer is freed: not written */
};

struct ec_fleet_order_cb {
	void (*item)(void *arg, void *item, enum ec_fleet_fate fate);
	/* records from..to of session never came within the wait */
	void (*gap)(void *arg, const char *session, uint64_t from, uint64_t to);
	void *arg;
};

struct ec_fleet_order_stats {
	uint64_t written, late, dups, gaps, missing, sessions, evicted;
};

struct ec_fleet_order;

/*
 * wait_ns: how long a record that came early is held for the ones before
 * it (and, for a session first seen after its record 1, how long its first
 * records are gathered before the lowest is taken as its start). max_held
 * bounds the records held at once (over it, the oldest session's wait ends
 * now); max_sessions the sessions remembered (the least recently seen one
 * without held records is forgotten).
 */
struct ec_fleet_order *ec_fleet_order_new(const struct ec_fleet_order_cb *cb, int64_t wait_ns,
					  size_t max_held, size_t max_sessions);
/* Free it; each record still held gets EC_FLEET_FORGET. */
void ec_fleet_order_free(struct ec_fleet_order *o);

/*
 * One record: seq 0 or a NULL session is a record from outside ec-nats,
 * written at once. item's fate comes through cb, now or later.
 */
void ec_fleet_order_put(struct ec_fleet_order *o, const char *session, uint64_t seq, void *item,
			int64_t now_ns);
/* Let every wait that ended by now_ns end. */
void ec_fleet_order_tick(struct ec_fleet_order *o, int64_t now_ns);
/* Records held now. */
size_t ec_fleet_order_held(const struct ec_fleet_order *o);
void ec_fleet_order_stats(const struct ec_fleet_order *o, struct ec_fleet_order_stats *st);

#endif
