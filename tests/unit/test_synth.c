// SPDX-License-Identifier: GPL-2.0-only
/*
 * lib/pcapng/synth: the synthesized TCP is decoded here independently and every
 * header field checked: handshake, seq/ack per direction, checksums, MSS,
 * FIN, client/server choice, coalescing, key-log DSBs, skips.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/mman.h>

#include "error.h"
#include "pcapng.h"
#include "pcapng_walk.h"
#include "synth.h"

#define MAXB 4096

/* ---- an independent decoder ---- */

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* RFC 1071 the slow way: 16-bit big-endian words. */
static uint32_t sum16(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += be16(p + i);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static int folds_to_ffff(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s == 0xffff;
}

struct seg {
	int v6;
	uint8_t src[16], dst[16];
	uint16_t sport, dport, win, mss;
	uint32_t seq, ack;
	uint8_t flags;
	const uint8_t *pl;
	size_t n;
	uint64_t ts;
	uint32_t dir;
	char comment[256];
};

static void decode(const struct epb *e, struct seg *s)
{
	const uint8_t *p = e->data;
	size_t n = e->caplen;
	memset(s, 0, sizeof *s);
	assert_int_equal(e->caplen, e->origlen);
	assert_true(n >= 14 + 20 + 20);
	uint16_t et = be16(p + 12);
	p += 14;
	n -= 14;
	size_t tcplen;
	uint32_t ps = 0;
	if (et == 0x0800) {
		assert_int_equal(p[0], 0x45);
		assert_int_equal(be16(p + 2), n); /* IP total length = what follows */
		assert_int_equal(p[9], 6);
		assert_true(folds_to_ffff(sum16(0, p, 20))); /* IP header checksum */
		memcpy(s->src, p + 12, 4);
		memcpy(s->dst, p + 16, 4);
		tcplen = n - 20;
		ps = sum16(0, p + 12, 8) + 6 + (uint32_t)tcplen;
		p += 20;
		assert_true(n <= 1500);
	} else {
		assert_int_equal(et, 0x86dd);
		s->v6 = 1;
		assert_int_equal(p[0] >> 4, 6);
		assert_int_equal(be16(p + 4), n - 40);
		assert_int_equal(p[6], 6);
		memcpy(s->src, p + 8, 16);
		memcpy(s->dst, p + 24, 16);
		tcplen = n - 40;
		ps = sum16(0, p + 8, 32) + 6 + (uint32_t)tcplen;
		p += 40;
		assert_true(n <= 1500);
	}
	assert_true(folds_to_ffff(sum16(ps, p, tcplen))); /* TCP checksum */
	s->sport = be16(p);
	s->dport = be16(p + 2);
	s->seq = be32(p + 4);
	s->ack = be32(p + 8);
	size_t off = (size_t)(p[12] >> 4) * 4;
	assert_true(off >= 20 && off <= tcplen);
	s->flags = p[13];
	s->win = be16(p + 14);
	if (off > 20) {
		assert_int_equal(p[20], 2); /* MSS option first */
		s->mss = be16(p + 22);
	}
	s->pl = p + off;
	s->n = tcplen - off;
	s->ts = e->ts;
	uint16_t vl;
	const uint8_t *f = e->nopts ? find_opt(e->opts, e->nopts, 2, &vl) : NULL;
	s->dir = f ? rd32(f) : 0;
	epb_comment(e, s->comment, sizeof s->comment);
}

/* ---- running the synthesizer ---- */

struct out {
	uint8_t *file;
	size_t n, nblk, nseg;
	struct blk blk[MAXB];
	struct seg seg[MAXB];
	int dsb_first_at; /* index of the first DSB block, -1 none */
	int epb_first_at;
};

static struct ec_synth *S;
static struct ec_pcapng *W;
static int FD;

static void start(void)
{
	FD = memfd_create("synth", 0);
	assert_true(FD >= 0);
	W = ec_pcapng_new(FD, "t");
	S = ec_synth_new(W, -1);
	assert_non_null(S);
}

static struct out *finish(void)
{
	assert_int_equal(ec_synth_free(S), 0);
	assert_int_equal(ec_pcapng_free(W), 0);
	struct out *o = calloc(1, sizeof *o);
	o->file = slurp(FD, &o->n);
	close(FD);
	o->nblk = walk(o->file, o->n, o->blk, MAXB);
	o->dsb_first_at = o->epb_first_at = -1;
	for (size_t i = 0; i < o->nblk; i++) {
		if (o->blk[i].type == EC_PCAPNG_DSB && o->dsb_first_at < 0)
			o->dsb_first_at = (int)i;
		if (o->blk[i].type != EC_PCAPNG_EPB)
			continue;
		if (o->epb_first_at < 0)
			o->epb_first_at = (int)i;
		struct epb e = epb_of(&o->blk[i]);
		decode(&e, &o->seg[o->nseg++]);
	}
	return o;
}

static void outfree(struct out *o)
{
	free(o->file);
	free(o);
}

static EcEvent ev_init(void)
{
	EcEvent ev = EVENT__EVENT__INIT;
	ev.timestamp = 1764684000000000000ll;
	ev.src_ip = "127.0.0.1";
	ev.src_port = 40000;
	ev.dst_ip = "10.0.0.2";
	ev.dst_port = 443;
	ev.pid = 4242;
	ev.tid = 4243;
	ev.uid = 1000;
	ev.fd = 7;
	ev.pname = "curl";
	ev.source = EVENT__SOURCE__SOURCE_OPENSSL;
	ev.conn_id = 9;
	return ev;
}

static void feed_ev(EcEvent *ev, int dir, const void *p, size_t n)
{
	EcLogEntry e = EVENT__LOG_ENTRY__INIT;
	e.log_type = EVENT__LOG_TYPE__LOG_TYPE_EVENT;
	e.payload_case = EVENT__LOG_ENTRY__PAYLOAD_EVENT_PAYLOAD;
	e.event_payload = ev;
	ev->direction = dir;
	ev->payload.data = (uint8_t *)p;
	ev->payload.len = n;
	ev->length = (uint32_t)n;
	ev->timestamp += 1000;
	assert_int_equal(ec_synth_record(S, &e), 0);
}

static void feed_close(EcEvent *ev)
{
	ev->closed = 1;
	feed_ev(ev, EVENT__DIRECTION__DIRECTION_UNKNOWN, NULL, 0);
	ev->closed = 0;
}

static void feed_key(const char *line)
{
	EcLogEntry e = EVENT__LOG_ENTRY__INIT;
	e.log_type = EVENT__LOG_TYPE__LOG_TYPE_PROCESS_LOG;
	e.payload_case = EVENT__LOG_ENTRY__PAYLOAD_RUN_LOG;
	e.run_log = (char *)line;
	e.record_kind = EVENT__RECORD_KIND__RECORD_KIND_KEYLOG;
	assert_int_equal(ec_synth_record(S, &e), 0);
}

#define WR EVENT__DIRECTION__DIRECTION_WRITE
#define RD EVENT__DIRECTION__DIRECTION_READ
#define SYN 0x02
#define FIN 0x01
#define ACK 0x10
#define PSH 0x08

static uint8_t *pattern(size_t n, unsigned seed)
{
	uint8_t *p = malloc(n);
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)('a' + (i * 7 + seed) % 26);
	return p;
}

/*
 * Check the whole connection: handshake, then every data segment's seq
 * continues its side's stream and acks all the other side sent; the
 * payload of each side concatenates to want[side]. Returns the index
 * after the last segment examined.
 */
static size_t check_conn(struct out *o, size_t i, const uint8_t *want[2], size_t wlen[2],
			 uint16_t mss, int expect_fin)
{
	struct seg *s = o->seg;
	assert_true(o->nseg >= i + 3);
	assert_int_equal(s[i].flags, SYN);
	assert_int_equal(s[i].mss, mss);
	assert_int_equal(s[i + 1].flags, SYN | ACK);
	assert_int_equal(s[i + 1].mss, mss);
	assert_int_equal(s[i + 1].ack, s[i].seq + 1);
	assert_int_equal(s[i + 2].flags, ACK);
	uint16_t cport = s[i].sport, sport = s[i].dport;
	assert_int_equal(s[i + 1].sport, sport);
	uint32_t next[2] = {s[i].seq + 1, s[i + 1].seq + 1};
	size_t got[2] = {0, 0};
	int fins = 0;
	size_t j;
	for (j = i + 2; j < o->nseg && fins < 2 + 1; j++) {
		int side = s[j].sport == cport ? 0 : 1;
		if (s[j].sport != cport && s[j].sport != sport)
			continue; /* another connection */
		assert_int_equal(s[j].dport, side ? cport : sport);
		assert_true(s[j].flags & ACK);
		assert_int_equal(s[j].seq, next[side]);
		assert_int_equal(s[j].ack, next[!side]);
		assert_true(s[j].n <= mss);
		assert_true(got[side] + s[j].n <= wlen[side]);
		if (s[j].n)
			assert_memory_equal(s[j].pl, want[side] + got[side], s[j].n);
		got[side] += s[j].n;
		next[side] += (uint32_t)s[j].n + (s[j].flags & FIN ? 1 : 0);
		if (s[j].flags & FIN)
			fins++;
		else if (fins == 2)
			fins++; /* the last ACK */
	}
	assert_int_equal(got[0], wlen[0]);
	assert_int_equal(got[1], wlen[1]);
	assert_int_equal(fins, expect_fin ? 3 : 0);
	return j;
}

/* ---- tests ---- */

static void checksum_vector(void **state)
{
	(void)state;
	/* a real IPv4 header; its checksum is 0xb861 */
	uint8_t h[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
			 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
	uint16_t ck = ec_synth_csum_fold(ec_synth_csum_add(0, h, 20));
	memcpy(h + 10, &ck, 2);
	assert_int_equal(h[10], 0xb8);
	assert_int_equal(h[11], 0x61);
	assert_int_equal(ec_synth_csum_fold(ec_synth_csum_add(0, h, 20)), 0);
	/* odd lengths and split sums agree with the slow reference */
	uint8_t *p = pattern(70001, 3);
	for (size_t n = 0; n <= 70001; n += n < 2000 ? 37 : 9973) {
		uint32_t ref = sum16(0, p, n);
		while (ref >> 16)
			ref = (ref & 0xffff) + (ref >> 16);
		uint16_t got = ec_synth_csum_fold(ec_synth_csum_add(
		    ec_synth_csum_add(0, p, n & ~1u), p + (n & ~1u), n - (n & ~1u)));
		uint8_t b[2];
		memcpy(b, &got, 2);
		assert_int_equal(be16(b), (uint16_t)~ref);
		/* the copying variant: same sum, same bytes */
		uint8_t *d = malloc(n + 1);
		assert_int_equal(ec_synth_csum_fold(ec_synth_csum_copy(0, d, p, n)), got);
		assert_memory_equal(d, p, n);
		free(d);
	}
	free(p);
}

static void client_conn_v4(void **state)
{
	(void)state;
	start();
	EcEvent ev = ev_init();
	uint8_t *req = pattern(100, 1), *resp = pattern(5000, 2);
	feed_ev(&ev, WR, req, 100);
	feed_ev(&ev, RD, resp, 3000); /* two reads of one response */
	feed_ev(&ev, RD, resp + 3000, 2000);
	feed_close(&ev);
	struct out *o = finish();
	const uint8_t *want[2] = {req, resp};
	size_t wl[2] = {100, 5000};
	/* SYN ACK ACK, 100, 1460 1460 1460 620, FIN FIN ACK */
	assert_int_equal(o->nseg, 3 + 1 + 4 + 3);
	assert_int_equal(check_conn(o, 0, want, wl, 1460, 1), o->nseg);
	struct seg *s = o->seg;
	/* local 127.0.0.1:40000 is the client (the smaller port is the server's) */
	assert_int_equal(s[0].sport, 40000);
	assert_int_equal(s[0].dport, 443);
	assert_memory_equal(s[0].src, "\x7f\0\0\x01", 4);
	assert_memory_equal(s[0].dst, "\x0a\0\0\x02", 4);
	assert_int_equal(s[3].dir, EC_PCAPNG_OUTBOUND);
	assert_int_equal(s[4].dir, EC_PCAPNG_INBOUND);
	assert_int_equal(s[3].flags, ACK | PSH);
	assert_int_equal(s[4].flags, ACK); /* more of the same write follows */
	assert_int_equal(s[7].n, 620);
	assert_int_equal(s[7].flags, ACK | PSH);
	/* handshake before the first data, in time too */
	assert_true(s[0].ts < s[1].ts && s[1].ts < s[2].ts && s[2].ts < s[3].ts);
	assert_string_equal(s[3].comment,
			    "pid=4242 tid=4243 comm=curl uid=1000 fd=7 source=openssl conn=9");
	assert_int_equal(o->seg[8].flags, FIN | ACK);
	assert_int_equal(o->seg[8].sport, 40000); /* the hooked process closed */
	free(req);
	free(resp);
	outfree(o);
}

/* Local port 443: the hooked process is the server; the peer sends SYN. */
static void server_side(void **state)
{
	(void)state;
	start();
	EcEvent ev = ev_init();
	ev.src_port = 443;
	ev.dst_port = 51000;
	uint8_t *req = pattern(50, 1), *resp = pattern(70, 2);
	feed_ev(&ev, RD, req, 50);
	feed_ev(&ev, WR, resp, 70);
	feed_close(&ev);
	struct out *o = finish();
	const uint8_t *want[2] = {req, resp};
	size_t wl[2] = {50, 70};
	check_conn(o, 0, want, wl, 1460, 1);
	assert_int_equal(o->seg[0].sport, 51000);
	assert_memory_equal(o->seg[0].src, "\x0a\0\0\x02", 4);
	assert_int_equal(o->seg[3].dir, EC_PCAPNG_INBOUND);
	assert_int_equal(o->seg[4].dir, EC_PCAPNG_OUTBOUND);
	free(req);
	free(resp);
	outfree(o);
}

static void ipv6_and_mapped(void **state)
{
	(void)state;
	start();
	EcEvent ev = ev_init();
	ev.src_ip = "::1";
	ev.dst_ip = "2001:db8::7";
	uint8_t *big = pattern(4000, 5);
	feed_ev(&ev, WR, big, 4000);
	feed_close(&ev);
	/* v4-mapped addresses are IPv4 */
	EcEvent m = ev_init();
	m.conn_id = 10;
	m.src_ip = "::ffff:10.1.2.3";
	m.dst_ip = "10.1.2.4";
	feed_ev(&m, WR, big, 10);
	/* one IPv6 end, one IPv4 end: IPv6 with the v4 end mapped */
	EcEvent x = ev_init();
	x.conn_id = 11;
	x.dst_ip = "::2";
	feed_ev(&x, WR, big, 10);
	struct out *o = finish();
	const uint8_t *want[2] = {big, NULL};
	size_t wl[2] = {4000, 0};
	size_t j = check_conn(o, 0, want, wl, 1440, 1);
	assert_true(o->seg[0].v6);
	assert_memory_equal(o->seg[0].dst, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x07", 16);
	assert_int_equal(o->seg[3].n, 1440);
	/* both handshakes, then both pending writes at the end of input */
	assert_false(o->seg[j].v6);
	assert_memory_equal(o->seg[j].src, "\x0a\x01\x02\x03", 4);
	assert_true(o->seg[j + 3].v6);
	assert_memory_equal(o->seg[j + 3].src, "\0\0\0\0\0\0\0\0\0\0\xff\xff\x7f\0\0\x01", 16);
	assert_int_equal(o->nseg, j + 8);
	assert_false(o->seg[j + 6].v6);
	assert_int_equal(o->seg[j + 6].n, 10);
	free(big);
	outfree(o);
}

/* Small writes coalesce; a segment never ends with CR when more follows. */
static void coalesce_and_cr(void **state)
{
	(void)state;
	start();
	EcEvent ev = ev_init();
	uint8_t *p = pattern(3000, 9);
	p[1459] = '\r';
	p[1460] = '\n';
	feed_ev(&ev, WR, p, 10);
	feed_ev(&ev, WR, p + 10, 10);
	feed_ev(&ev, WR, p + 20, 10);
	feed_ev(&ev, WR, p + 30, 2970);
	feed_close(&ev);
	struct out *o = finish();
	const uint8_t *want[2] = {p, NULL};
	size_t wl[2] = {3000, 0};
	check_conn(o, 0, want, wl, 1460, 1);
	assert_int_equal(o->seg[3].n, 1459);
	assert_int_equal(o->seg[4].n, 1460);
	assert_int_equal(o->seg[5].n, 81);
	free(p);
	outfree(o);
}

/* The same from one large write (no bytes pending before it). */
static void cr_in_one_write(void **state)
{
	(void)state;
	start();
	EcEvent ev = ev_init();
	uint8_t *p = pattern(3000, 9);
	p[1459] = '\r';
	p[1460] = '\n';
	feed_ev(&ev, WR, p, 3000);
	feed_close(&ev);
	struct out *o = finish();
	const uint8_t *want[2] = {p, NULL};
	size_t wl[2] = {3000, 0};
	check_conn(o, 0, want, wl, 1460, 1);
	assert_int_equal(o->seg[3].n, 1459);
	assert_int_equal(o->seg[4].n, 1460);
	assert_int_equal(o->seg[5].n, 81);
	free(p);
	outfree(o);
}

static void keys_before_packets(void **state)
{
	(void)state;
	int kfd = memfd_create("keys", 0);
	FD = memfd_create("synth", 0);
	W = ec_pcapng_new(FD, "t");
	S = ec_synth_new(W, kfd);
	feed_key("CLIENT_RANDOM aa bb\n");
	feed_key("bad\nline");
	feed_key("");
	EcEvent ev = ev_init();
	feed_ev(&ev, WR, "hello", 5);
	feed_key("CLIENT_RANDOM cc dd");
	feed_ev(&ev, RD, "world", 5);
	assert_int_equal(ec_synth_stats(S)->keylines, 2);
	assert_int_equal(ec_synth_stats(S)->skipped_bad, 2);
	struct out *o = finish();
	/*
	 * SHB, IDB, DSB(aa), handshake EPB x3, DSB(cc), EPB(hello: held for
	 * coalescing until the reply), EPB(world)
	 */
	assert_int_equal(o->blk[2].type, EC_PCAPNG_DSB);
	assert_int_equal(o->dsb_first_at, 2);
	assert_int_equal(o->epb_first_at, 3);
	assert_int_equal(rd32(o->blk[2].body), EC_PCAPNG_SECRETS_TLS);
	assert_int_equal(rd32(o->blk[2].body + 4), 20);
	assert_memory_equal(o->blk[2].body + 8, "CLIENT_RANDOM aa bb\n", 20);
	assert_int_equal(o->blk[6].type, EC_PCAPNG_DSB);
	assert_memory_equal(o->blk[6].body + 8, "CLIENT_RANDOM cc dd\n", 20);
	assert_int_equal(o->nblk, 9);
	assert_int_equal(o->nseg, 5);
	size_t n;
	uint8_t *k = slurp(kfd, &n);
	assert_int_equal(n, 40);
	assert_memory_equal(k, "CLIENT_RANDOM aa bb\nCLIENT_RANDOM cc dd\n", 40);
	free(k);
	close(kfd);
	outfree(o);
}

/* Without a pcapng writer only the key log file is written. */
static void keylog_only(void **state)
{
	(void)state;
	int kfd = memfd_create("keys", 0);
	S = ec_synth_new(NULL, kfd);
	feed_key("CLIENT_RANDOM aa bb");
	EcEvent ev = ev_init();
	feed_ev(&ev, WR, "hello", 5);
	assert_int_equal(ec_synth_free(S), 0);
	size_t n;
	uint8_t *k = slurp(kfd, &n);
	assert_int_equal(n, 20);
	free(k);
	close(kfd);
}

static void skipped(void **state)
{
	(void)state;
	start();
	EcEvent ev = ev_init();
	ev.type = 1; /* rendered by ec-parse */
	feed_ev(&ev, WR, "GET / HTTP/1.1\r\n\r\n", 18);
	ev = ev_init();
	ev.src_ip = "";
	feed_ev(&ev, WR, "x", 1);
	ev = ev_init();
	ev.dst_ip = "not-an-address";
	feed_ev(&ev, WR, "x", 1);
	ev = ev_init();
	ev.dst_port = 70000;
	feed_ev(&ev, WR, "x", 1);
	ev = ev_init();
	feed_ev(&ev, EVENT__DIRECTION__DIRECTION_UNKNOWN, "x", 1);
	feed_close(&ev); /* close of a connection never seen: nothing */
	EcLogEntry hb = EVENT__LOG_ENTRY__INIT;
	assert_int_equal(ec_synth_record(S, &hb), 0);
	const struct ec_synth_stats *st = ec_synth_stats(S);
	assert_int_equal(st->skipped_typed, 1);
	assert_int_equal(st->skipped_notuple, 4);
	assert_int_equal(st->packets, 0);
	struct out *o = finish();
	assert_int_equal(o->nblk, 1); /* the SHB alone */
	outfree(o);
}

static void truncated_gap_and_keying(void **state)
{
	(void)state;
	start();
	EcEvent ev = ev_init();
	ev.conn_id = 0; /* keyed by pid, fd and 4-tuple instead */
	feed_ev(&ev, WR, "abc", 3);
	ev.truncated = 1;
	ev.orig_length = 1000;
	feed_ev(&ev, WR, "defg", 4);
	ev.truncated = 0;
	ev.orig_length = 0;
	feed_ev(&ev, RD, "ok", 2);
	struct out *o = finish();
	/* one handshake only */
	assert_int_equal(o->nseg, 3 + 2);
	assert_int_equal(o->seg[3].n, 7);
	assert_int_equal(o->seg[4].ack, o->seg[3].seq + 7 + 996); /* the cut bytes are a gap */
	outfree(o);
}

/* The same conn_id after its close marker is a new connection. */
static void reopen(void **state)
{
	(void)state;
	start();
	EcEvent ev = ev_init();
	feed_ev(&ev, WR, "one", 3);
	feed_close(&ev);
	feed_ev(&ev, WR, "two", 3);
	feed_close(&ev);
	struct out *o = finish();
	assert_int_equal(o->nseg, 2 * (3 + 1 + 3));
	assert_int_equal(o->seg[7].flags, SYN);
	outfree(o);
}

static void raw_packets(void **state)
{
	(void)state;
	start();
	uint8_t frame[60] = {0};
	EcEvent ev = ev_init();
	ev.link_type = 1;
	ev.ifindex = 2;
	ev.egress = 1;
	ev.truncated = 1;
	ev.orig_length = 1514;
	ev.source = EVENT__SOURCE__SOURCE_PACKET;
	EcLogEntry e = EVENT__LOG_ENTRY__INIT;
	e.log_type = EVENT__LOG_TYPE__LOG_TYPE_EVENT;
	e.payload_case = EVENT__LOG_ENTRY__PAYLOAD_EVENT_PAYLOAD;
	e.record_kind = EVENT__RECORD_KIND__RECORD_KIND_PACKET;
	e.event_payload = &ev;
	ev.payload.data = frame;
	ev.payload.len = sizeof frame;
	assert_int_equal(ec_synth_record(S, &e), 0);
	ev.egress = 0;
	ev.pid = 0;
	assert_int_equal(ec_synth_record(S, &e), 0);
	ev.ifindex = 3;
	assert_int_equal(ec_synth_record(S, &e), 0);
	ev.payload.len = 0; /* nothing to write: counted as bad */
	assert_int_equal(ec_synth_record(S, &e), 0);
	assert_int_equal(ec_synth_stats(S)->raw_packets, 3);
	assert_int_equal(ec_synth_stats(S)->skipped_bad, 1);
	assert_int_equal(ec_synth_free(S), 0);
	assert_int_equal(ec_pcapng_free(W), 0);
	size_t n;
	uint8_t *b = slurp(FD, &n);
	close(FD);
	struct blk k[8];
	assert_int_equal(walk(b, n, k, 8), 6); /* SHB IDB EPB EPB IDB EPB */
	assert_int_equal(k[1].type, EC_PCAPNG_IDB);
	assert_int_equal(k[4].type, EC_PCAPNG_IDB);
	struct epb p = epb_of(&k[2]);
	assert_int_equal(p.caplen, 60);
	assert_int_equal(p.origlen, 1514);
	char c[256];
	assert_true(strstr(epb_comment(&p, c, sizeof c), "pid=4242") != NULL);
	uint16_t vl;
	assert_int_equal(rd32(find_opt(p.opts, p.nopts, 2, &vl)), EC_PCAPNG_OUTBOUND);
	p = epb_of(&k[3]);
	assert_string_equal(epb_comment(&p, c, sizeof c), "");
	assert_int_equal(rd32(find_opt(p.opts, p.nopts, 2, &vl)), EC_PCAPNG_INBOUND);
	assert_int_equal(epb_of(&k[5]).ifid, 1);
	free(b);
}

/*
 * Live output (a pipe): nothing reaches it until ec_synth_idle (the input
 * went quiet), which writes the blocks built so far, and the pending bytes
 * and key lines once they have waited EC_SYNTH_HOLD_NS since they arrived;
 * pending bytes also leave once a later record is EC_SYNTH_HOLD_NS on.
 */
static void live_flush(void **state)
{
	(void)state;
	int out[2];
	assert_int_equal(pipe2(out, O_NONBLOCK), 0);
	fcntl(out[1], F_SETPIPE_SZ, 1 << 20);
	W = ec_pcapng_new(out[1], "t");
	S = ec_synth_new(W, -1);
	EcEvent ev = ev_init(), other = ev_init();
	other.conn_id = 77;
	other.src_port = 40001;
	uint8_t buf[1 << 16];
	const int64_t t = 1000000000, hold = EC_SYNTH_HOLD_NS;
	int64_t next;
	ec_synth_arrival(S, t);
	feed_ev(&ev, WR, "hello\r", 6);
	assert_int_equal(read(out[0], buf, sizeof buf), -1); /* batched */
	assert_int_equal(ec_synth_idle(S, t + hold / 2, &next), 0);
	assert_int_equal(next, hold / 2);
	ssize_t k = read(out[0], buf, sizeof buf);
	struct blk b[16];
	assert_int_equal(walk(buf, (size_t)k, b, 16), 5); /* SHB, IDB, the handshake */
	assert_int_equal(ec_synth_idle(S, t + hold, &next), 0);
	assert_int_equal(next, 0);
	k = read(out[0], buf, sizeof buf);
	assert_int_equal(walk(buf, (size_t)k, b, 16), 1); /* the held bytes, now due */
	assert_memory_equal(epb_of(&b[0]).data + 54, "hello\r", 6);
	ec_synth_arrival(S, 2 * t);
	feed_ev(&ev, WR, "\n", 1);
	feed_key("CLIENT_RANDOM 00 11");
	/* a record EC_SYNTH_HOLD_NS later in capture time sends the held byte */
	other.timestamp = ev.timestamp + hold;
	feed_ev(&other, WR, "x", 1);
	assert_int_equal(read(out[0], buf, sizeof buf), -1);
	assert_int_equal(ec_synth_idle(S, 2 * t + 1, &next), 0);
	assert_int_equal(next, hold - 1);
	k = read(out[0], buf, sizeof buf);
	/* the keys (before the next packet), other's handshake, the held "\n" */
	assert_int_equal(walk(buf, (size_t)k, b, 16), 5);
	assert_int_equal(b[0].type, EC_PCAPNG_DSB);
	assert_memory_equal(epb_of(&b[4]).data + 54, "\n", 1);
	assert_int_equal(ec_synth_idle(S, 2 * t + hold, &next), 0);
	k = read(out[0], buf, sizeof buf);
	assert_int_equal(walk(buf, (size_t)k, b, 16), 1);
	assert_memory_equal(epb_of(&b[0]).data + 54, "x", 1);
	assert_int_equal(ec_synth_idle(S, 3 * t, &next), 0);
	assert_int_equal(read(out[0], buf, sizeof buf), -1); /* nothing left */
	/* key lines alone wait their turn too */
	ec_synth_arrival(S, 4 * t);
	feed_key("CLIENT_RANDOM 22 33");
	assert_int_equal(ec_synth_idle(S, 4 * t + 1, &next), 0);
	assert_int_equal(next, hold - 1);
	assert_int_equal(read(out[0], buf, sizeof buf), -1);
	assert_int_equal(ec_synth_idle(S, 4 * t + hold, &next), 0);
	k = read(out[0], buf, sizeof buf);
	assert_int_equal(walk(buf, (size_t)k, b, 16), 1);
	assert_int_equal(b[0].type, EC_PCAPNG_DSB);
	assert_int_equal(ec_synth_free(S), 0);
	assert_int_equal(ec_pcapng_free(W), 0);
	close(out[0]);
	close(out[1]);
}

/* The 4-tuple of our own synthesized packets, and of odd frames. */
static void packet_tuples(void **state)
{
	(void)state;
	start();
	EcEvent ev = ev_init();
	feed_ev(&ev, WR, "x", 1);
	EcEvent v6 = ev_init();
	v6.conn_id = 2;
	v6.src_ip = "2001:db8::1";
	v6.dst_ip = "2001:db8::2";
	feed_ev(&v6, WR, "y", 1);
	struct out *o = finish();
	struct ec_synth_tuple t;
	struct epb e = epb_of(&o->blk[2]);
	assert_int_equal(ec_synth_packet_tuple(EC_LINKTYPE_ETHERNET, e.data, e.caplen, &t), 0);
	assert_int_equal(t.family, 4);
	assert_memory_equal(t.src, "\x7f\0\0\x01", 4);
	assert_memory_equal(t.dst, "\x0a\0\0\x02", 4);
	assert_int_equal(t.sport, 40000);
	assert_int_equal(t.dport, 443);
	/* the same packet as raw IP, and behind a VLAN tag */
	assert_int_equal(
	    ec_synth_packet_tuple(EC_SYNTH_LINKTYPE_RAW, e.data + 14, e.caplen - 14, &t), 0);
	assert_int_equal(t.sport, 40000);
	uint8_t vl[128];
	memcpy(vl, e.data, 12);
	memcpy(vl + 12, "\x81\x00\x00\x05", 4);
	memcpy(vl + 16, e.data + 12, e.caplen - 12);
	assert_int_equal(ec_synth_packet_tuple(EC_LINKTYPE_ETHERNET, vl, e.caplen + 4, &t), 0);
	assert_int_equal(t.dport, 443);
	/* every cut of the frame is refused, none is overread (ASan) */
	for (size_t n = 0; n < 14 + 20 + 4; n++) {
		uint8_t *cut = malloc(n ? n : 1);
		memcpy(cut, e.data, n);
		assert_int_equal(ec_synth_packet_tuple(EC_LINKTYPE_ETHERNET, cut, n, &t),
				 EC_ERR_PROTO);
		free(cut);
	}
	/* not TCP; a later fragment; an unknown link type */
	memcpy(vl, e.data, e.caplen);
	vl[14 + 9] = 17;
	assert_int_equal(ec_synth_packet_tuple(EC_LINKTYPE_ETHERNET, vl, e.caplen, &t),
			 EC_ERR_PROTO);
	vl[14 + 9] = 6;
	vl[14 + 7] = 0x10;
	assert_int_equal(ec_synth_packet_tuple(EC_LINKTYPE_ETHERNET, vl, e.caplen, &t),
			 EC_ERR_PROTO);
	assert_int_equal(ec_synth_packet_tuple(113, e.data, e.caplen, &t), EC_ERR_PROTO);
	/* IPv6 */
	size_t i;
	for (i = 0; i < o->nblk; i++) {
		if (o->blk[i].type != EC_PCAPNG_EPB)
			continue;
		e = epb_of(&o->blk[i]);
		if (e.data[12] == 0x86)
			break;
	}
	assert_true(i < o->nblk);
	assert_int_equal(ec_synth_packet_tuple(EC_LINKTYPE_ETHERNET, e.data, e.caplen, &t), 0);
	assert_int_equal(t.family, 6);
	assert_int_equal(t.src[15], 1);
	assert_int_equal(t.dst[15], 2);
	assert_int_equal(
	    ec_synth_packet_tuple(EC_SYNTH_LINKTYPE_RAW, e.data + 14, e.caplen - 14, &t), 0);
	assert_int_equal(t.family, 6);
	outfree(o);
}

static void open_close(void **state)
{
	(void)state;
	char err[256], note[512];
	assert_null(ec_synth_open("/nonexistent-dir/x.pcapng", NULL, err, sizeof err));
	assert_true(strstr(err, "--pcapng /nonexistent-dir/x.pcapng: ") == err);
	char dir[] = "/tmp/ec-synth-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char pp[64], kp[64];
	snprintf(pp, sizeof pp, "%s/o.pcapng", dir);
	snprintf(kp, sizeof kp, "%s/k.log", dir);
	S = ec_synth_open(pp, kp, err, sizeof err);
	assert_non_null(S);
	feed_key("CLIENT_RANDOM 01 02");
	EcEvent ev = ev_init();
	ev.type = 2;
	feed_ev(&ev, WR, "x", 1);
	assert_int_equal(ec_synth_close(S, note, sizeof note), 0);
	assert_true(strstr(note, "skipped 1 rendered event(s)") == note);
	int fd = open(pp, O_RDONLY);
	size_t n;
	uint8_t *b = slurp(fd, &n);
	struct blk k[4];
	assert_int_equal(walk(b, n, k, 4), 2); /* SHB and the DSB */
	assert_int_equal(k[1].type, EC_PCAPNG_DSB);
	free(b);
	close(fd);
	unlink(pp);
	unlink(kp);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(checksum_vector),
	    cmocka_unit_test(client_conn_v4),
	    cmocka_unit_test(server_side),
	    cmocka_unit_test(ipv6_and_mapped),
	    cmocka_unit_test(coalesce_and_cr),
	    cmocka_unit_test(cr_in_one_write),
	    cmocka_unit_test(keys_before_packets),
	    cmocka_unit_test(keylog_only),
	    cmocka_unit_test(skipped),
	    cmocka_unit_test(truncated_gap_and_keying),
	    cmocka_unit_test(reopen),
	    cmocka_unit_test(raw_packets),
	    cmocka_unit_test(live_flush),
	    cmocka_unit_test(packet_tuples),
	    cmocka_unit_test(open_close),
	};
	return cmocka_run_group_tests_name("synth", tests, NULL, NULL);
}
