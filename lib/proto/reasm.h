/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reassembly bookkeeping for ec-parse: one record per connection (keyed by
 * the capture's conn_id, else pid+fd, else the 4-tuple) with two directions.
 * Each direction holds the capture metadata rendered events copy, the next
 * expected seq (gap detection), and a bounded buffer of bytes a parser has
 * not consumed yet, with the seq/timestamp of the fragment each byte came
 * from. The table is bounded: past max_conns the least recently used
 * connection is evicted; ec_reasm_expire drops connections idle too long.
 * Dropped connections go through the owner's drop callback first, so the
 * owner can flush what it knows.
 */
#ifndef EC_REASM_H
#define EC_REASM_H

#include <stddef.h>
#include <stdint.h>

#include "stream.h"

/* Where a byte came from: the fragment's seq, timestamp and thread. */
struct ec_mark {
	uint64_t seq;
	int64_t ts;
	uint32_t tid;
};

/* Capture metadata copied into every rendered event of a direction. */
struct ec_meta {
	int64_t pid;
	uint64_t conn_id;
	uint32_t uid, src_port, dst_port;
	int32_t fd;
	int source, direction;
	char pname[32];
	char src_ip[48], dst_ip[48];
	char uuid[96];
	uint8_t pname_raw[32]; /* Event.pname_raw (a name that is not UTF-8) */
	size_t pname_raw_len;
	uint64_t cgroup_id;
	uint32_t ns_pid;
	char container_id[72], pod_uid[40];
	char *cgroup, *lib; /* NULL when empty; freed with the connection */
};

#define EC_REASM_MARKS 8

struct ec_rdir {
	struct ec_meta meta;
	int have_meta;
	int seq_known;
	uint64_t next_seq;
	uint8_t *buf; /* unconsumed bytes; NULL when empty */
	size_t len, cap;
	unsigned nmarks;
	struct {
		size_t off; /* first byte in buf this mark covers */
		struct ec_mark m;
	} marks[EC_REASM_MARKS];
};

enum ec_reasm_why {
	EC_REASM_CLOSE = 0, /* the capture reported the close */
	EC_REASM_IDLE,	    /* idle longer than the timeout */
	EC_REASM_EVICT,	    /* pushed out by --max-conns */
	EC_REASM_END,	    /* end of input */
};

struct ec_rconn {
	int kind; /* key: 0 conn_id, 1 pid+fd, 2 4-tuple hash */
	uint64_t id;
	struct ec_rconn *hnext, *prev, *next;
	int64_t last_ts;
	struct ec_rdir dir[2]; /* EC_DIR_WRITE, EC_DIR_READ */
	void *user;	       /* the owner's protocol state */
};

#define EC_DIR_WRITE 0
#define EC_DIR_READ 1

struct ec_reasm;
typedef void (*ec_reasm_drop_fn)(struct ec_rconn *c, enum ec_reasm_why why, void *arg);

struct ec_reasm *ec_reasm_new(size_t max_conns, ec_reasm_drop_fn drop, void *arg);
/* Drops every connection (EC_REASM_END), then frees. */
void ec_reasm_free(struct ec_reasm *r);

/*
 * The connection an event belongs to, created (possibly evicting the least
 * recently used one) when create is set; NULL when absent. Marks it used at
 * the event's timestamp.
 */
struct ec_rconn *ec_reasm_lookup(struct ec_reasm *r, const EcEvent *ev, int create);
/* Drop one connection: callback with why, then free. */
void ec_reasm_remove(struct ec_reasm *r, struct ec_rconn *c, enum ec_reasm_why why);
/* Drop connections not used since now - idle_ns. Returns how many. */
size_t ec_reasm_expire(struct ec_reasm *r, int64_t now, int64_t idle_ns);
/* Call fn on every connection (most recently used first). */
void ec_reasm_foreach(struct ec_reasm *r, void (*fn)(struct ec_rconn *c, void *arg), void *arg);
size_t ec_reasm_count(const struct ec_reasm *r);
uint64_t ec_reasm_evicted(const struct ec_reasm *r);
uint64_t ec_reasm_expired(const struct ec_reasm *r);
size_t ec_reasm_peak(const struct ec_reasm *r);

/* Index of a capture direction in ec_rconn.dir, -1 for none. */
int ec_reasm_dir_index(int direction);
/* Fill a meta from an event. */
void ec_reasm_meta(struct ec_meta *m, const EcEvent *ev);
/* Release what ec_reasm_meta allocated (the connection's removal does). */
void ec_reasm_meta_free(struct ec_meta *m);

/*
 * Check an event's seq against the expected one and advance: 0 in order,
 * else the number of missing events (a gap; duplicates and reordering count
 * as 1).
 */
uint64_t ec_reasm_seq(struct ec_rdir *d, uint64_t seq);
/*
 * Append n bytes from the fragment described by m. EC_ERR_TOOBIG (nothing
 * appended) when the buffer would pass max bytes.
 */
int ec_reasm_append(struct ec_rdir *d, const uint8_t *p, size_t n, const struct ec_mark *m,
		    size_t max);
/* Remove the first n buffered bytes. */
void ec_reasm_consume(struct ec_rdir *d, size_t n);
/* Empty the buffer and release its memory. */
void ec_reasm_clear(struct ec_rdir *d);
/* The mark of buffered byte off (the last mark when off is past the end). */
struct ec_mark ec_reasm_mark_at(const struct ec_rdir *d, size_t off);

#endif
