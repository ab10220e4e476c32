// SPDX-License-Identifier: GPL-2.0-only
#include "synth.h"
#include "error.h"
#include "record.h"
#include "utf8.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ETH_LEN 14
#define IP4_LEN 20
#define IP6_LEN 40
#define TCP_LEN 20
#define SYN_OPT_LEN 8 /* MSS, NOP, window scale */

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_PSH 0x08
#define TH_ACK 0x10

#define WSCALE 7
/* A receiver that has seen this much unacknowledged data sends a pure ACK. */
#define ACK_EVERY (256u << 10)
#define MAX_KEYS_PENDING (1u << 20)
#define MAX_KEYLINE 4096
#define MAX_RAW_IFS 256
#define COMMENT_LEN 256

struct conn {
	uint64_t key;
	struct conn *next;	    /* hash chain */
	struct conn *older, *newer; /* creation order, for eviction */
	int v6;
	int local_client;    /* the hooked process is the TCP client */
	uint8_t addr[2][16]; /* [0] client, [1] server */
	uint16_t port[2];    /* host order */
	uint32_t seq[2];     /* next sequence number each side sends */
	uint32_t acked[2];   /* highest ack each side has sent for the other */
	uint16_t ipid[2];
	/* Data not yet sent as a segment (at most one MSS), from side pend_from. */
	uint8_t *pend; /* EC_SYNTH_MSS4 bytes, allocated on first use */
	uint16_t npend;
	uint8_t pend_from;
	int64_t pend_ts;      /* timestamp of the newest pending byte */
	int64_t pend_since;   /* capture time the oldest pending byte arrived */
	int64_t pend_arrival; /* live input: when it reached us (monotonic ns) */
	/* the packet comment and the event fields it was made from */
	int64_t c_pid;
	uint32_t c_tid, c_uid;
	int32_t c_fd;
	int c_source;
	char c_comm[32];
	char comment[COMMENT_LEN];
	struct conn *dnext, *dprev;
};

struct raw_if {
	uint32_t link_type, ifindex;
	int id;
};

struct ec_synth {
	struct ec_pcapng *out;
	int keylog_fd;
	int synth_if; /* -1 until the first synthesized packet */
	struct conn **tab;
	size_t nb, count;
	struct conn *oldest, *newest;
	struct conn *dhead, *dtail; /* connections with pending bytes, oldest first */
	uint8_t *keys;
	size_t nkeys, capkeys;
	int64_t arrival, keys_arrival; /* live input (monotonic ns): see ec_synth_arrival */
	struct raw_if raw[MAX_RAW_IFS];
	int nraw;
	struct ec_synth_stats st;
	char comment[COMMENT_LEN];
	/* set by ec_synth_open: what ec_synth_close closes */
	struct ec_pcapng *own_out;
	int own_fd, own_keylog_fd;
};

/* ---- checksums ---- */

uint64_t ec_synth_csum_add(uint64_t sum, const void *p, size_t n)
{
	const uint8_t *b = p;
	/* 32-bit words into 64-bit sums: no carries lost below 2^32 words; the
	 * compiler vectorizes this loop */
	uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	while (n >= 16) {
		uint32_t w[4];
		memcpy(w, b, 16);
		s0 += w[0];
		s1 += w[1];
		s2 += w[2];
		s3 += w[3];
		b += 16;
		n -= 16;
	}
	sum += s0 + s1 + s2 + s3;
	while (n >= 4) {
		uint32_t w;
		memcpy(&w, b, 4);
		sum += w;
		b += 4;
		n -= 4;
	}
	while (n >= 2) {
		uint16_t v;
		memcpy(&v, b, 2);
		sum += v;
		b += 2;
		n -= 2;
	}
	if (n) {
		uint16_t v = 0;
		memcpy(&v, b, 1); /* the odd byte, padded with a zero byte after it */
		sum += v;
	}
	return sum;
}

/* 16 bytes as four 32-bit lanes (GCC/clang vector extension, any target). */
typedef uint32_t ec_v4u __attribute__((vector_size(16)));

uint64_t ec_synth_csum_copy(uint64_t sum, void *dst, const void *src, size_t n)
{
	const uint8_t *b = src;
	uint8_t *d = dst;
	while (n >= 32) {
		/* each lane adds two 16-bit words per step: 2^15 steps cannot overflow */
		ec_v4u a0 = {0, 0, 0, 0}, a1 = {0, 0, 0, 0};
		size_t steps = n / 32 < 32768 ? n / 32 : 32768;
		for (size_t i = 0; i < steps; i++) {
			ec_v4u v0, v1;
			memcpy(&v0, b, 16);
			memcpy(&v1, b + 16, 16);
			memcpy(d, &v0, 16);
			memcpy(d + 16, &v1, 16);
			a0 += (v0 & 0xffff) + (v0 >> 16);
			a1 += (v1 & 0xffff) + (v1 >> 16);
			b += 32;
			d += 32;
		}
		n -= steps * 32;
		sum += (uint64_t)a0[0] + a0[1] + a0[2] + a0[3] + a1[0] + a1[1] + a1[2] + a1[3];
	}
	if (n)
		memcpy(d, b, n);
	return ec_synth_csum_add(sum, b, n);
}

uint16_t ec_synth_csum_fold(uint64_t sum)
{
	sum = (sum & 0xffffffffu) + (sum >> 32);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* ---- connection table ---- */

static uint64_t mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

/* conn_id when the capture gave one, else a hash of pid, fd and 4-tuple. */
static uint64_t conn_key(const EcEvent *ev)
{
	if (ev->conn_id)
		return ev->conn_id;
	uint64_t h = 0xcbf29ce484222325ull;
	h = fnv(h, &ev->pid, sizeof ev->pid);
	h = fnv(h, &ev->fd, sizeof ev->fd);
	h = fnv(h, ev->src_ip, strlen(ev->src_ip));
	h = fnv(h, &ev->src_port, sizeof ev->src_port);
	h = fnv(h, ev->dst_ip, strlen(ev->dst_ip));
	h = fnv(h, &ev->dst_port, sizeof ev->dst_port);
	return h | (1ull << 63);
}

static struct conn **slot(struct ec_synth *s, uint64_t key)
{
	struct conn **pp = &s->tab[mix(key) & (s->nb - 1)];
	while (*pp && (*pp)->key != key)
		pp = &(*pp)->next;
	return pp;
}

static void dirty_unlink(struct ec_synth *s, struct conn *c)
{
	if (c->dprev)
		c->dprev->dnext = c->dnext;
	else if (s->dhead == c)
		s->dhead = c->dnext;
	if (c->dnext)
		c->dnext->dprev = c->dprev;
	else if (s->dtail == c)
		s->dtail = c->dprev;
	c->dnext = c->dprev = NULL;
}

static void conn_remove(struct ec_synth *s, struct conn *c)
{
	struct conn **pp = slot(s, c->key);
	if (*pp == c)
		*pp = c->next;
	if (c->older)
		c->older->newer = c->newer;
	else
		s->oldest = c->newer;
	if (c->newer)
		c->newer->older = c->older;
	else
		s->newest = c->older;
	s->count--;
	dirty_unlink(s, c);
	free(c->pend);
	free(c);
}

static int grow(struct ec_synth *s)
{
	size_t nb = s->nb * 2;
	struct conn **t = calloc(nb, sizeof *t);
	if (!t)
		return EC_ERR_NOMEM;
	for (size_t i = 0; i < s->nb; i++) {
		for (struct conn *c = s->tab[i], *n; c; c = n) {
			n = c->next;
			struct conn **b = &t[mix(c->key) & (nb - 1)];
			c->next = *b;
			*b = c;
		}
	}
	free(s->tab);
	s->tab = t;
	s->nb = nb;
	return 0;
}

/* ---- addresses ---- */

/* Parse an address; 4 or 6 on success (v4-mapped IPv6 gives 4), 0 if not. */
static int parse_addr(const char *str, uint8_t out[16])
{
	if (!str || !*str)
		return 0;
	if (inet_pton(AF_INET, str, out) == 1)
		return 4;
	if (inet_pton(AF_INET6, str, out) != 1)
		return 0;
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (!memcmp(out, mapped, 12)) {
		memmove(out, out + 12, 4);
		return 4;
	}
	return 6;
}

static void to_mapped(uint8_t a[16])
{
	memmove(a + 12, a, 4);
	memset(a, 0, 10);
	a[10] = a[11] = 0xff;
}

/* ---- packets ---- */

static uint8_t *put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return p + 4;
}

static int ensure_if(struct ec_synth *s)
{
	if (s->synth_if >= 0)
		return 0;
	int id = ec_pcapng_idb(s->out, EC_LINKTYPE_ETHERNET, 65535, "ec-synth",
			       "TCP synthesized by ec from TLS plaintext records");
	if (id < 0)
		return id;
	s->synth_if = id;
	return 0;
}

/*
 * One segment from side `from` (0 client, 1 server) carrying n payload
 * bytes; advances that side's sequence number by n (+1 for SYN/FIN).
 */
static int segment(struct ec_synth *s, struct conn *c, int from, uint8_t flags, const uint8_t *pl,
		   size_t n, int64_t ts, const char *comment)
{
	int to = !from;
	size_t optlen = flags & TH_SYN ? SYN_OPT_LEN : 0;
	size_t tcplen = TCP_LEN + optlen + n;
	size_t hlen = ETH_LEN + (c->v6 ? IP6_LEN : IP4_LEN) + TCP_LEN + optlen;
	int rc = ensure_if(s);
	if (rc == 0 && s->nkeys)
		rc = ec_synth_flush_keys(s); /* keys before the packets they decrypt */
	if (rc)
		return rc;
	/* direction as the hooked process sees it */
	uint32_t dir =
	    (from == 0) == (c->local_client != 0) ? EC_PCAPNG_OUTBOUND : EC_PCAPNG_INBOUND;
	/* built in place in the output buffer: one pass copies and sums the payload */
	uint8_t *h =
	    ec_pcapng_epb_begin(s->out, (uint32_t)s->synth_if, ts, hlen + n, 0, dir, comment, &rc);
	if (!h)
		return rc;
	uint8_t *p = h;

	/* Ethernet: locally administered MACs, 02:ec:00:00:00:01 client, :02 server */
	static const uint8_t mac[2][6] = {{2, 0xec, 0, 0, 0, 1}, {2, 0xec, 0, 0, 0, 2}};
	memcpy(p, mac[to], 6);
	memcpy(p + 6, mac[from], 6);
	p = put16(p + 12, c->v6 ? 0x86dd : 0x0800);

	uint8_t pseudo[40];
	size_t plen;
	if (!c->v6) {
		uint8_t *ip = p;
		ip[0] = 0x45;
		ip[1] = 0;
		put16(ip + 2, (uint16_t)(IP4_LEN + tcplen));
		put16(ip + 4, c->ipid[from]++);
		put16(ip + 6, 0x4000); /* DF */
		ip[8] = 64;
		ip[9] = 6;
		ip[10] = ip[11] = 0;
		memcpy(ip + 12, c->addr[from], 4);
		memcpy(ip + 16, c->addr[to], 4);
		uint16_t ck = ec_synth_csum_fold(ec_synth_csum_add(0, ip, IP4_LEN));
		memcpy(ip + 10, &ck, 2);
		p += IP4_LEN;
		memcpy(pseudo, c->addr[from], 4);
		memcpy(pseudo + 4, c->addr[to], 4);
		pseudo[8] = 0;
		pseudo[9] = 6;
		put16(pseudo + 10, (uint16_t)tcplen);
		plen = 12;
	} else {
		uint8_t *ip = p;
		put32(ip, 0x60000000u);
		put16(ip + 4, (uint16_t)tcplen);
		ip[6] = 6;
		ip[7] = 64;
		memcpy(ip + 8, c->addr[from], 16);
		memcpy(ip + 24, c->addr[to], 16);
		p += IP6_LEN;
		memcpy(pseudo, c->addr[from], 16);
		memcpy(pseudo + 16, c->addr[to], 16);
		put32(pseudo + 32, (uint32_t)tcplen);
		put32(pseudo + 36, 6);
		plen = 40;
	}

	uint8_t *tcp = p;
	p = put16(p, c->port[from]);
	p = put16(p, c->port[to]);
	p = put32(p, c->seq[from]);
	uint32_t ack = flags & TH_ACK ? c->seq[to] : 0;
	p = put32(p, ack);
	*p++ = (uint8_t)(((TCP_LEN + optlen) / 4) << 4);
	*p++ = flags;
	p = put16(p, 65535); /* window (scaled by 2^WSCALE after the handshake) */
	p = put16(p, 0);     /* checksum */
	p = put16(p, 0);     /* urgent */
	if (optlen) {
		uint16_t mss = c->v6 ? EC_SYNTH_MSS6 : EC_SYNTH_MSS4;
		*p++ = 2;
		*p++ = 4;
		p = put16(p, mss);
		*p++ = 1; /* NOP */
		*p++ = 3;
		*p++ = 3;
		*p++ = WSCALE;
	}
	uint64_t sum = ec_synth_csum_add(0, pseudo, plen);
	sum = ec_synth_csum_add(sum, tcp, TCP_LEN + optlen);
	sum = ec_synth_csum_copy(sum, p, pl, n);
	uint16_t ck = ec_synth_csum_fold(sum);
	memcpy(tcp + 16, &ck, 2);

	if (flags & TH_ACK)
		c->acked[from] = ack;
	c->seq[from] += (uint32_t)n + ((flags & (TH_SYN | TH_FIN)) ? 1 : 0);

	s->st.packets++;
	return 0;
}

/*
 * The process name for a comment, which pcapng wants UTF-8 (a name may be
 * any bytes: U+FFFD for the bad ones, at most 32 bytes of it).
 */
static const char *comm_text(const EcEvent *ev, char *buf)
{
	if (!ev->pname || !*ev->pname)
		return "?";
	size_t n = strlen(ev->pname);
	ec_utf8_fix((const uint8_t *)ev->pname, n < 32 ? n : 32, buf);
	return buf;
}

/* The connection's comment, remade only when the process fields change. */
static void conn_comment(struct conn *c, const EcEvent *ev)
{
	const char *raw = ev->pname ? ev->pname : "";
	if (c->comment[0] && c->c_pid == ev->pid && c->c_tid == ev->tid && c->c_uid == ev->uid &&
	    c->c_fd == ev->fd && c->c_source == (int)ev->source &&
	    !strncmp(c->c_comm, raw, sizeof c->c_comm))
		return;
	char fixed[3 * 32 + 1];
	const char *comm = comm_text(ev, fixed);
	c->c_pid = ev->pid;
	c->c_tid = ev->tid;
	c->c_uid = ev->uid;
	c->c_fd = ev->fd;
	c->c_source = (int)ev->source;
	strncpy(c->c_comm, raw, sizeof c->c_comm);
	snprintf(c->comment, sizeof c->comment,
		 "pid=%lld tid=%u comm=%s uid=%u fd=%d source=%s conn=%llu", (long long)ev->pid,
		 ev->tid, comm, ev->uid, ev->fd, ec_record_source_name(ev->source),
		 (unsigned long long)ev->conn_id);
}

static void make_comment(struct ec_synth *s, const EcEvent *ev)
{
	char fixed[3 * 32 + 1];
	snprintf(s->comment, sizeof s->comment,
		 "pid=%lld tid=%u comm=%s uid=%u fd=%d source=%s conn=%llu", (long long)ev->pid,
		 ev->tid, comm_text(ev, fixed), ev->uid, ev->fd, ec_record_source_name(ev->source),
		 (unsigned long long)ev->conn_id);
}

static int flush_pending(struct ec_synth *s, struct conn *c);

static struct conn *conn_open(struct ec_synth *s, const EcEvent *ev, uint64_t key, int *err)
{
	uint8_t la[16], ra[16];
	int lf = parse_addr(ev->src_ip, la), rf = parse_addr(ev->dst_ip, ra);
	*err = 0;
	if (!lf || !rf || !ev->src_port || !ev->dst_port || ev->src_port > 65535 ||
	    ev->dst_port > 65535)
		return NULL;
	if (s->count >= EC_SYNTH_MAX_CONNS) {
		if ((*err = flush_pending(s, s->oldest)))
			return NULL;
		conn_remove(s, s->oldest);
		s->st.evicted++;
	}
	if (s->count >= s->nb && (*err = grow(s)))
		return NULL;
	struct conn *c = calloc(1, sizeof *c);
	if (!c) {
		*err = EC_ERR_NOMEM;
		return NULL;
	}
	c->key = key;
	if (lf != rf) {
		if (lf == 4)
			to_mapped(la);
		else
			to_mapped(ra);
	}
	c->v6 = lf == 6 || rf == 6;
	/* The smaller port is the server's (443 vs an ephemeral port). */
	c->local_client = !(ev->src_port < ev->dst_port);
	int cl = c->local_client ? 0 : 1; /* index of the local end */
	memcpy(c->addr[cl], la, 16);
	memcpy(c->addr[!cl], ra, 16);
	c->port[cl] = (uint16_t)ev->src_port;
	c->port[!cl] = (uint16_t)ev->dst_port;
	uint64_t r = mix(key ^ 0x6563); /* deterministic initial sequence numbers */
	c->seq[0] = (uint32_t)r;
	c->seq[1] = (uint32_t)(r >> 32);
	c->ipid[0] = (uint16_t)(r >> 16);
	c->ipid[1] = (uint16_t)(r >> 48);

	struct conn **pp = slot(s, key);
	c->next = *pp;
	*pp = c;
	c->older = s->newest;
	if (s->newest)
		s->newest->newer = c;
	else
		s->oldest = c;
	s->newest = c;
	s->count++;
	s->st.conns++;

	int64_t ts = ev->timestamp;
	conn_comment(c, ev);
	if ((*err = segment(s, c, 0, TH_SYN, NULL, 0, ts - 3000, c->comment)) ||
	    (*err = segment(s, c, 1, TH_SYN | TH_ACK, NULL, 0, ts - 2000, c->comment)) ||
	    (*err = segment(s, c, 0, TH_ACK, NULL, 0, ts - 1000, c->comment)))
		return NULL;
	return c;
}

/* Send what is pending as one segment (PSH: the end of what we know). */
static int flush_pending(struct ec_synth *s, struct conn *c)
{
	if (!c->npend)
		return 0;
	size_t n = c->npend;
	c->npend = 0;
	dirty_unlink(s, c);
	return segment(s, c, c->pend_from, TH_ACK | TH_PSH, c->pend, n, c->pend_ts, c->comment);
}

/*
 * Full-sized segments go out at once; the tail waits in c->pend for more
 * bytes in the same direction, so segment boundaries do not follow the
 * SSL_read/SSL_write boundaries (TCP's are unrelated to them anyway). A
 * segment never ends between CR and LF when more bytes follow: Wireshark
 * 4.0's HTTP dissector takes a CR at a segment end for a line end and
 * reports the rest of a chunked body as malformed.
 */
static int append(struct ec_synth *s, struct conn *c, const EcEvent *ev, int from)
{
	int rc;
	const uint8_t *p = ev->payload.data;
	size_t n = ev->payload.len;
	int64_t ts = ev->timestamp;
	size_t mss = c->v6 ? EC_SYNTH_MSS6 : EC_SYNTH_MSS4;
	if (c->npend && c->pend_from != from && (rc = flush_pending(s, c)))
		return rc;
	conn_comment(c, ev);
	while (n) {
		if (!c->npend && n > mss) {
			size_t k = p[mss - 1] == '\r' ? mss - 1 : mss;
			if ((rc = segment(s, c, from, TH_ACK, p, k, ts, c->comment)))
				return rc;
			p += k;
			n -= k;
			continue;
		}
		if (!c->pend && !(c->pend = malloc(EC_SYNTH_MSS4)))
			return EC_ERR_NOMEM;
		if (!c->npend) { /* now pending: join the end of the dirty list */
			c->pend_since = ts;
			c->pend_arrival = s->arrival;
			c->dprev = s->dtail;
			c->dnext = NULL;
			if (s->dtail)
				s->dtail->dnext = c;
			else
				s->dhead = c;
			s->dtail = c;
		}
		size_t take = mss - c->npend < n ? mss - c->npend : n;
		memcpy(c->pend + c->npend, p, take);
		c->npend = (uint16_t)(c->npend + take);
		c->pend_from = (uint8_t)from;
		c->pend_ts = ts;
		p += take;
		n -= take;
		if (c->npend == mss && n) {
			size_t k = c->pend[mss - 1] == '\r' ? mss - 1 : mss;
			if ((rc = segment(s, c, from, TH_ACK, c->pend, k, ts, c->comment)))
				return rc;
			memmove(c->pend, c->pend + k, mss - k);
			c->npend = (uint16_t)(mss - k);
			if (!c->npend)
				dirty_unlink(s, c);
		}
	}
	return 0;
}

static int close_conn(struct ec_synth *s, struct conn *c, const EcEvent *ev)
{
	int l = c->local_client ? 0 : 1;
	int64_t ts = ev->timestamp;
	int rc = flush_pending(s, c);
	if (rc)
		return rc;
	conn_comment(c, ev);
	if ((rc = segment(s, c, l, TH_FIN | TH_ACK, NULL, 0, ts, c->comment)) ||
	    (rc = segment(s, c, !l, TH_FIN | TH_ACK, NULL, 0, ts + 1000, c->comment)) ||
	    (rc = segment(s, c, l, TH_ACK, NULL, 0, ts + 2000, c->comment)))
		return rc;
	s->st.closes++;
	conn_remove(s, c);
	return 0;
}

static int data_event(struct ec_synth *s, const EcEvent *ev)
{
	int rc = 0;
	uint64_t key = conn_key(ev);
	struct conn *c = *slot(s, key);
	if (ev->closed)
		return c ? close_conn(s, c, ev) : 0;
	int local_write = ev->direction == EVENT__DIRECTION__DIRECTION_WRITE;
	if (!local_write && ev->direction != EVENT__DIRECTION__DIRECTION_READ) {
		s->st.skipped_notuple++;
		return 0;
	}
	if (ev->payload.len == 0)
		return 0;
	if (!c && !(c = conn_open(s, ev, key, &rc))) {
		if (!rc)
			s->st.skipped_notuple++;
		return rc;
	}
	int from = local_write == (c->local_client != 0) ? 0 : 1;
	if ((rc = append(s, c, ev, from)))
		return rc;
	/* bytes the capture cut (--truncate): leave a sequence gap, as lost data */
	if (ev->truncated && ev->orig_length > ev->payload.len) {
		if ((rc = flush_pending(s, c)))
			return rc;
		c->seq[from] += (uint32_t)(ev->orig_length - ev->payload.len);
	}
	if (c->seq[from] - c->acked[!from] >= ACK_EVERY)
		rc = segment(s, c, !from, TH_ACK, NULL, 0, ev->timestamp + 1, c->comment);
	s->st.events++;
	return rc;
}

static int raw_packet(struct ec_synth *s, const EcEvent *ev)
{
	if (ev->link_type > 0xffff || ev->payload.len == 0 ||
	    ev->payload.len > EC_PCAPNG_MAX_PACKET) {
		s->st.skipped_bad++;
		return 0;
	}
	int id = -1;
	for (int i = 0; i < s->nraw; i++)
		if (s->raw[i].link_type == ev->link_type && s->raw[i].ifindex == ev->ifindex)
			id = s->raw[i].id;
	int rc;
	if (id < 0) {
		if (s->nraw == MAX_RAW_IFS) {
			s->st.skipped_bad++;
			return 0;
		}
		char name[32];
		snprintf(name, sizeof name, "ifindex%u", ev->ifindex);
		id = ec_pcapng_idb(s->out, (uint16_t)ev->link_type, 0, name,
				   "packets captured by ec-capture (TC)");
		if (id < 0)
			return id;
		s->raw[s->nraw++] = (struct raw_if){ev->link_type, ev->ifindex, id};
	}
	if (s->nkeys && (rc = ec_synth_flush_keys(s)))
		return rc;
	const char *comment = NULL;
	if (ev->pid) {
		make_comment(s, ev);
		comment = s->comment;
	}
	uint64_t orig = ev->orig_length > ev->payload.len ? ev->orig_length : ev->payload.len;
	rc = ec_pcapng_epb(s->out, (uint32_t)id, ev->timestamp, ev->payload.data, ev->payload.len,
			   orig > UINT32_MAX ? UINT32_MAX : (uint32_t)orig,
			   ev->egress ? EC_PCAPNG_OUTBOUND : EC_PCAPNG_INBOUND, comment);
	if (rc == 0) {
		s->st.packets++;
		s->st.raw_packets++;
	}
	return rc;
}

static int write_all(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	while (n) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return errno == EPIPE ? EC_ERR_PIPE : EC_ERR_IO;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static int keylog(struct ec_synth *s, const char *line)
{
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	if (n == 0 || n > MAX_KEYLINE || memchr(line, '\n', n) || memchr(line, '\r', n)) {
		s->st.skipped_bad++;
		return 0;
	}
	if (s->nkeys + n + 1 > s->capkeys) {
		size_t cap = s->capkeys ? s->capkeys * 2 : 4096;
		while (cap < s->nkeys + n + 1)
			cap *= 2;
		uint8_t *k = realloc(s->keys, cap);
		if (!k)
			return EC_ERR_NOMEM;
		s->keys = k;
		s->capkeys = cap;
	}
	if (!s->nkeys)
		s->keys_arrival = s->arrival;
	memcpy(s->keys + s->nkeys, line, n);
	s->keys[s->nkeys + n] = '\n';
	if (s->keylog_fd >= 0) {
		int rc = write_all(s->keylog_fd, s->keys + s->nkeys, n + 1);
		if (rc)
			return rc;
	}
	s->nkeys += n + 1;
	s->st.keylines++;
	return s->nkeys >= MAX_KEYS_PENDING ? ec_synth_flush_keys(s) : 0;
}

int ec_synth_flush_keys(struct ec_synth *s)
{
	if (!s->out)
		s->nkeys = 0; /* key log file only */
	if (!s->nkeys)
		return 0;
	int rc = ec_pcapng_dsb(s->out, EC_PCAPNG_SECRETS_TLS, s->keys, s->nkeys);
	if (rc == 0)
		s->nkeys = 0;
	return rc;
}

int ec_synth_record(struct ec_synth *s, const EcLogEntry *e)
{
	int rc = 0;
	if (e->payload_case == EVENT__LOG_ENTRY__PAYLOAD_RUN_LOG &&
	    e->record_kind == EVENT__RECORD_KIND__RECORD_KIND_KEYLOG)
		rc = keylog(s, e->run_log ? e->run_log : "");
	else if (!s->out)
		return 0;
	else if (e->payload_case == EVENT__LOG_ENTRY__PAYLOAD_EVENT_PAYLOAD && e->event_payload) {
		const EcEvent *ev = e->event_payload;
		if (e->record_kind == EVENT__RECORD_KIND__RECORD_KIND_PACKET)
			rc = raw_packet(s, ev);
		else if (e->record_kind == EVENT__RECORD_KIND__RECORD_KIND_HANDSHAKE)
			; /* its connection's packets carry what it says */
		else if (ev->type != 0)
			s->st.skipped_typed++;
		else
			rc = data_event(s, ev);
	}
	/* records carry the clock: bytes pending longer than EC_SYNTH_HOLD_NS go out */
	int64_t now = 0;
	if (e->payload_case == EVENT__LOG_ENTRY__PAYLOAD_EVENT_PAYLOAD && e->event_payload)
		now = e->event_payload->timestamp;
	else if (e->payload_case == EVENT__LOG_ENTRY__PAYLOAD_HEARTBEAT_PAYLOAD &&
		 e->heartbeat_payload)
		now = e->heartbeat_payload->timestamp;
	while (rc == 0 && now && s->dhead && now - s->dhead->pend_since > EC_SYNTH_HOLD_NS)
		rc = flush_pending(s, s->dhead);
	return rc;
}

struct ec_synth *ec_synth_new(struct ec_pcapng *out, int keylog_fd)
{
	struct ec_synth *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->out = out;
	s->keylog_fd = keylog_fd;
	s->synth_if = -1;
	s->own_fd = s->own_keylog_fd = -1;
	s->nb = 1024;
	s->tab = calloc(s->nb, sizeof *s->tab);
	if (!s->tab) {
		free(s);
		return NULL;
	}
	return s;
}

int ec_synth_finish(struct ec_synth *s)
{
	int rc = 0;
	for (struct conn *c = s->oldest; c && !rc; c = c->newer)
		rc = flush_pending(s, c);
	return rc ? rc : ec_synth_flush_keys(s);
}

int ec_synth_free(struct ec_synth *s)
{
	if (!s)
		return 0;
	int rc = ec_synth_finish(s);
	while (s->oldest)
		conn_remove(s, s->oldest);
	free(s->tab);
	free(s->keys);
	free(s);
	return rc;
}

void ec_synth_arrival(struct ec_synth *s, int64_t mono_ns)
{
	s->arrival = mono_ns;
}

int ec_synth_idle(struct ec_synth *s, int64_t now, int64_t *next_ns)
{
	int rc = 0;
	while (rc == 0 && s->dhead && now - s->dhead->pend_arrival >= EC_SYNTH_HOLD_NS)
		rc = flush_pending(s, s->dhead);
	if (rc == 0 && s->nkeys && now - s->keys_arrival >= EC_SYNTH_HOLD_NS)
		rc = ec_synth_flush_keys(s);
	if (rc == 0 && s->out)
		rc = ec_pcapng_flush(s->out);
	int64_t next = 0;
	if (s->dhead)
		next = s->dhead->pend_arrival + EC_SYNTH_HOLD_NS - now;
	if (s->out && s->nkeys && (!next || s->keys_arrival + EC_SYNTH_HOLD_NS - now < next))
		next = s->keys_arrival + EC_SYNTH_HOLD_NS - now;
	*next_ns = next > 0 ? next : 0;
	return rc;
}

const struct ec_synth_stats *ec_synth_stats(const struct ec_synth *s)
{
	return &s->st;
}

static int open_out(const char *path, const char *what, char *err, size_t len)
{
	if (!strcmp(path, "-")) {
		if (isatty(1)) {
			snprintf(err, len,
				 "%s -: refusing to write binary output to a terminal; "
				 "redirect it or pipe it (e.g. into wireshark -k -i -)",
				 what);
			return -1;
		}
		return 1;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		snprintf(err, len, "%s %s: %s", what, path, strerror(errno));
	return fd;
}

struct ec_synth *ec_synth_open(const char *pcapng, const char *keylog, char *err, size_t len)
{
	int pfd = -1, kfd = -1;
	struct ec_pcapng *out = NULL;
	struct ec_synth *s = NULL;
	if (pcapng && keylog && !strcmp(pcapng, "-") && !strcmp(keylog, "-")) {
		snprintf(err, len, "--pcapng - and --keylog -: only one of them can be stdout");
		return NULL;
	}
	if (keylog && (kfd = open_out(keylog, "--keylog", err, len)) < 0)
		goto fail;
	if (pcapng && (pfd = open_out(pcapng, "--pcapng", err, len)) < 0)
		goto fail;
	if (pcapng && !(out = ec_pcapng_new(pfd, "ec-dump " EC_VERSION)))
		goto nomem;
	if (!(s = ec_synth_new(out, kfd)))
		goto nomem;
	s->own_out = out;
	s->own_fd = pfd;
	s->own_keylog_fd = kfd;
	return s;
nomem:
	snprintf(err, len, "out of memory");
fail:
	ec_pcapng_free(out);
	if (pfd > 1)
		close(pfd);
	if (kfd > 1)
		close(kfd);
	return NULL;
}

int ec_synth_close(struct ec_synth *s, char *note, size_t len)
{
	struct ec_synth_stats st = s->st;
	struct ec_pcapng *out = s->own_out;
	int pfd = s->own_fd, kfd = s->own_keylog_fd;
	int rc = ec_synth_free(s);
	int rc2 = ec_pcapng_free(out);
	rc = rc ? rc : rc2;
	int saved = errno; /* of the failed write, for the caller's message */
	if (pfd > 1 && close(pfd) && !rc)
		rc = EC_ERR_IO, saved = errno;
	if (kfd > 1 && close(kfd) && !rc)
		rc = EC_ERR_IO, saved = errno;
	errno = saved;
	note[0] = 0;
	if (st.skipped_typed || st.skipped_notuple || st.skipped_bad)
		snprintf(note, len,
			 "skipped %llu rendered event(s) (ec-parse output is not wire bytes: "
			 "give ec-capture's records), %llu event(s) without an address pair "
			 "or direction, %llu bad packet/key-log record(s)",
			 (unsigned long long)st.skipped_typed,
			 (unsigned long long)st.skipped_notuple,
			 (unsigned long long)st.skipped_bad);
	return rc;
}

static uint16_t rd16be(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int ec_synth_packet_tuple(uint32_t linktype, const uint8_t *p, size_t n, struct ec_synth_tuple *t)
{
	return ec_synth_packet_l4(linktype, p, n, t, NULL);
}

int ec_synth_packet_l4(uint32_t linktype, const uint8_t *p, size_t n, struct ec_synth_tuple *t,
		       size_t *payload)
{
	size_t off = 0;
	uint16_t et;
	memset(t, 0, sizeof *t);
	if (linktype == EC_LINKTYPE_ETHERNET) {
		if (n < 14)
			return EC_ERR_PROTO;
		et = rd16be(p + 12);
		off = 14;
		for (int tags = 0; tags < 2 && (et == 0x8100 || et == 0x88a8); tags++) {
			if (n - off < 4)
				return EC_ERR_PROTO;
			et = rd16be(p + off + 2);
			off += 4;
		}
	} else if (linktype == EC_SYNTH_LINKTYPE_RAW) {
		if (n < 1)
			return EC_ERR_PROTO;
		et = (p[0] >> 4) == 6 ? 0x86dd : 0x0800;
	} else {
		return EC_ERR_PROTO;
	}
	size_t l4;
	if (et == 0x0800) {
		if (n - off < 20 || (p[off] >> 4) != 4 || p[off + 9] != 6)
			return EC_ERR_PROTO;
		size_t ihl = (size_t)(p[off] & 0xf) * 4;
		if (ihl < 20 || rd16be(p + off + 6) & 0x1fff) /* no header, or a later fragment */
			return EC_ERR_PROTO;
		t->family = 4;
		memcpy(t->src, p + off + 12, 4);
		memcpy(t->dst, p + off + 16, 4);
		l4 = off + ihl;
	} else if (et == 0x86dd) {
		if (n - off < 40 || (p[off] >> 4) != 6 || p[off + 6] != 6)
			return EC_ERR_PROTO; /* extension headers are not followed */
		t->family = 6;
		memcpy(t->src, p + off + 8, 16);
		memcpy(t->dst, p + off + 24, 16);
		l4 = off + 40;
	} else {
		return EC_ERR_PROTO;
	}
	if (l4 > n || n - l4 < 4) {
		t->family = 0;
		return EC_ERR_PROTO;
	}
	t->sport = rd16be(p + l4);
	t->dport = rd16be(p + l4 + 2);
	if (payload) { /* a cut or bad TCP header: no payload, the tuple stands */
		size_t doff = n - l4 >= 13 ? (size_t)(p[l4 + 12] >> 4) * 4 : 0;
		*payload = doff < 20 || doff > n - l4 ? n : l4 + doff;
	}
	return 0;
}
