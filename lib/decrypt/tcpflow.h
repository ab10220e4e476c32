/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * TCP reassembly for ec-parse's decryption (docs/DECRYPT.md): link-layer
 * packets in (the payload of RECORD_KIND_PACKET records), each TCP
 * connection's bytes out, per direction, in order, once. Retransmitted and
 * overlapping segments are delivered once; out-of-order ones wait (bounded)
 * for the hole before them; a hole that is not filled in time or memory is
 * reported as a gap of so many bytes and the bytes after it are delivered.
 * A connection is picked up mid-stream too (its first segment seen sets the
 * start), so the caller learns it never saw the SYN.
 *
 * Bounds: at most max_conns connections (least recently active evicted) and
 * max_ooo bytes (and 4096 pieces) of out-of-order segments held per
 * direction; a hole older than hole_ns (packet time) is given up. Nothing is
 * unbounded.
 *
 * Where bytes overlap, the first copy seen wins. A connection closed by FIN
 * or RST stays known (counted in max_conns) until idle_ns or eviction, so its
 * late segments open nothing; a SYN on its 4-tuple starts a new one.
 */
#ifndef EC_TCPFLOW_H
#define EC_TCPFLOW_H

#include <stddef.h>
#include <stdint.h>

/* One end of a connection. Addresses are 16 bytes: IPv4 as ::ffff:a.b.c.d. */
struct ec_tcpflow_end {
	uint8_t addr[16];
	uint16_t port;
	int v6; /* the packets were IPv6 (else IPv4) */
};

/* A connection: ends[0] sent its first segment seen (the SYN's sender when
 * the SYN was seen), ends[1] the other end. Direction d means "sent by
 * ends[d]". */
struct ec_tcpflow_tuple {
	struct ec_tcpflow_end end[2];
	int syn_seen; /* the handshake was seen: end[0] is the client */
};

enum ec_tcpflow_why {
	EC_TCPFLOW_FIN = 0, /* both directions sent FIN (and their bytes are out) */
	EC_TCPFLOW_RST,	    /* a reset, or a new SYN on its 4-tuple */
	EC_TCPFLOW_IDLE,    /* no packet for idle_ns (ec_tcpflow_expire) */
	EC_TCPFLOW_EVICT,   /* pushed out by max_conns */
	EC_TCPFLOW_END,	    /* ec_tcpflow_free: end of input */
};

/* All four are required; none may call back into the same ec_tcpflow. */
struct ec_tcpflow_cb {
	/* A new connection; returns the caller's state for it (may be NULL). */
	void *(*open)(void *ctx, const struct ec_tcpflow_tuple *t, int64_t ts);
	/* n in-order bytes sent by end[dir], the segment carrying their first byte at ts;
	 * p is valid during the call only. */
	void (*data)(void *ctx, void *user, int dir, const uint8_t *p, size_t n, int64_t ts);
	/* n bytes sent by end[dir] were never seen; the next data follows them. */
	void (*gap)(void *ctx, void *user, int dir, uint64_t n, int64_t ts);
	/* The connection is gone (what was held is delivered or reported first). */
	void (*close)(void *ctx, void *user, enum ec_tcpflow_why why, int64_t ts);
};

struct ec_tcpflow_opts {
	size_t max_conns; /* 16384 */
	size_t max_ooo;	  /* out-of-order bytes held per direction: 4 MiB */
	int64_t hole_ns;  /* a hole waits this long for its bytes: 2 s */
	int64_t idle_ns;  /* connections idle this long go: 60 s */
};

struct ec_tcpflow_stats {
	uint64_t packets, not_tcp, bad; /* bad: malformed or cut headers */
	/* bytes delivered; retrans: segments with bytes seen before; ooo: segments
	 * held for a hole; gaps, gap_bytes reported; conns opened; evicted (live) */
	uint64_t bytes, retrans, ooo, gaps, gap_bytes, conns, evicted;
};

struct ec_tcpflow;

void ec_tcpflow_opts_default(struct ec_tcpflow_opts *o);
/* NULL when a callback is missing (or no memory); o NULL: the defaults. */
struct ec_tcpflow *ec_tcpflow_new(const struct ec_tcpflow_opts *o, const struct ec_tcpflow_cb *cb,
				  void *ctx);
/*
 * One packet as captured: link_type is pcap's LINKTYPE_ETHERNET (1, also
 * with 802.1Q tags), LINKTYPE_RAW (101), LINKTYPE_LINUX_SLL (113) or
 * LINKTYPE_NULL/LOOP (0, 108); caplen bytes at p, the packet being origlen
 * long on the wire: the payload bytes a cut packet misses are a gap when
 * their turn comes (a retransmission does not fill it). IPv4 (no
 * fragments reassembled: a fragment counts as not_tcp) and IPv6 (extension
 * headers skipped). Returns 0, or EC_ERR_PROTO for a packet that is not
 * TCP or is malformed (counted; nothing else happens).
 */
int ec_tcpflow_packet(struct ec_tcpflow *f, uint32_t link_type, const uint8_t *p, size_t caplen,
		      size_t origlen, int64_t ts);
/* Stream time now: give up holes older than hole_ns and idle connections. */
void ec_tcpflow_expire(struct ec_tcpflow *f, int64_t now);
void ec_tcpflow_get_stats(const struct ec_tcpflow *f, struct ec_tcpflow_stats *s);
/* Closes every connection (EC_TCPFLOW_END, held bytes delivered after their gaps) and frees. */
void ec_tcpflow_free(struct ec_tcpflow *f);

#endif
