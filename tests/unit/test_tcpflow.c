// SPDX-License-Identifier: GPL-2.0-only
/* lib/decrypt/tcpflow: link layers, order, retransmission, holes, gaps, wraparound, closes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "error.h"
#include "tcpflow.h"

/* What the callbacks saw, as text: "1 open syn 40000-443", "1>hello" (data
 * from end[0] of connection 1), "1<~5" (a gap of 5 from end[1]), "1 close fin". */
struct log {
	char s[4096];
	int conns;
	int closed[8192];
	int64_t last_ts;
};

static void logf_(struct log *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(struct log *l, const char *fmt, ...)
{
	size_t n = strlen(l->s);
	if (n + 2 >= sizeof l->s)
		return;
	if (n)
		l->s[n++] = ' ';
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(l->s + n, sizeof l->s - n, fmt, ap);
	va_end(ap);
}

static void *on_open(void *ctx, const struct ec_tcpflow_tuple *t, int64_t ts)
{
	struct log *l = ctx;
	(void)ts;
	l->conns++;
	logf_(l, "%d open%s %u-%u", l->conns, t->syn_seen ? " syn" : "", t->end[0].port,
	      t->end[1].port);
	return (void *)(intptr_t)l->conns;
}

static void on_data(void *ctx, void *user, int dir, const uint8_t *p, size_t n, int64_t ts)
{
	struct log *l = ctx;
	int id = (int)(intptr_t)user;
	assert_false(l->closed[id]);
	assert_true(n > 0);
	l->last_ts = ts;
	logf_(l, "%d%c%.*s", id, dir ? '<' : '>', (int)n, (const char *)p);
}

static void on_gap(void *ctx, void *user, int dir, uint64_t n, int64_t ts)
{
	struct log *l = ctx;
	int id = (int)(intptr_t)user;
	assert_false(l->closed[id]);
	l->last_ts = ts;
	logf_(l, "%d%c~%llu", id, dir ? '<' : '>', (unsigned long long)n);
}

static void on_close(void *ctx, void *user, enum ec_tcpflow_why why, int64_t ts)
{
	static const char *const name[] = {"fin", "rst", "idle", "evict", "end"};
	struct log *l = ctx;
	int id = (int)(intptr_t)user;
	(void)ts;
	assert_false(l->closed[id]);
	l->closed[id] = 1;
	logf_(l, "%d close %s", id, name[why]);
}

static const struct ec_tcpflow_cb cb = {on_open, on_data, on_gap, on_close};

enum link { ETH, VLAN, RAW, SLL, NUL, LOOP };
static const uint32_t linktype[] = {1, 1, 101, 113, 0, 108};

#define FIN 0x01
#define SYN 0x02
#define RST 0x04
#define ACK 0x10

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

/*
 * A packet from the client 10.0.0.1:40000 (2001:db8::1) to the server
 * 10.0.0.2:443 (2001:db8::2), or back when srv; port + k moves the
 * client's port (another connection). Returns its length.
 */
struct spec {
	enum link link;
	int v6, srv, k;
	uint32_t seq;
	uint8_t flags;
	const char *data;
};

static size_t build(uint8_t *b, const struct spec *s)
{
	size_t n = strlen(s->data), off = 0;
	unsigned ethertype = s->v6 ? 0x86dd : 0x0800;
	switch (s->link) {
	case ETH:
	case VLAN:
		memset(b, 0xaa, 12);
		if (s->link == VLAN) {
			put16(b + 12, 0x8100);
			put16(b + 14, 7);
			off = 4;
		}
		put16(b + 12 + off, ethertype);
		off += 14;
		break;
	case SLL:
		memset(b, 0, 16);
		put16(b + 2, 1);
		put16(b + 4, 6);
		put16(b + 14, ethertype);
		off = 16;
		break;
	case NUL: /* little-endian host */
		memcpy(b, s->v6 ? "\x0a\0\0\0" : "\x02\0\0\0", 4);
		off = 4;
		break;
	case LOOP:
		memcpy(b, s->v6 ? "\0\0\0\x1e" : "\0\0\0\x02", 4);
		off = 4;
		break;
	case RAW:
		break;
	}
	uint8_t *ip = b + off, *tcp;
	uint8_t a1[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1},
		a2[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
	if (s->v6) {
		/* with a hop-by-hop header to skip */
		memset(ip, 0, 48);
		ip[0] = 0x60;
		put16(ip + 4, (unsigned)(8 + 20 + n));
		ip[6] = 0;
		ip[7] = 64;
		memcpy(ip + 8, s->srv ? a2 : a1, 16);
		memcpy(ip + 24, s->srv ? a1 : a2, 16);
		ip[40] = 6;
		tcp = ip + 48;
	} else {
		memset(ip, 0, 20);
		ip[0] = 0x45;
		put16(ip + 2, (unsigned)(20 + 20 + n));
		put16(ip + 6, 0x4000); /* DF */
		ip[8] = 64;
		ip[9] = 6;
		memcpy(ip + 12, s->srv ? "\x0a\0\0\x02" : "\x0a\0\0\x01", 4);
		memcpy(ip + 16, s->srv ? "\x0a\0\0\x01" : "\x0a\0\0\x02", 4);
		tcp = ip + 20;
	}
	memset(tcp, 0, 20);
	put16(tcp, s->srv ? 443 : (unsigned)(40000 + s->k));
	put16(tcp + 2, s->srv ? (unsigned)(40000 + s->k) : 443);
	put32(tcp + 4, s->seq);
	tcp[12] = 5 << 4;
	tcp[13] = s->flags;
	put16(tcp + 14, 65535);
	memcpy(tcp + 20, s->data, n);
	return (size_t)(tcp + 20 + n - b);
}

/* client (srv 0) or server sends over Ethernet/IPv4 */
static int send_(struct ec_tcpflow *f, int srv, uint32_t seq, uint8_t flags, const char *data,
		 int64_t ts)
{
	uint8_t b[2048];
	struct spec s = {ETH, 0, srv, 0, seq, flags, data};
	size_t n = build(b, &s);
	return ec_tcpflow_packet(f, 1, b, n, n, ts);
}

static int send_k(struct ec_tcpflow *f, int k, int srv, uint32_t seq, uint8_t flags,
		  const char *data, int64_t ts)
{
	uint8_t b[2048];
	struct spec s = {ETH, 0, srv, k, seq, flags, data};
	size_t n = build(b, &s);
	return ec_tcpflow_packet(f, 1, b, n, n, ts);
}

static struct ec_tcpflow *mk(struct log *l, size_t max_conns, size_t max_ooo, int64_t hole_ns)
{
	struct ec_tcpflow_opts o;
	ec_tcpflow_opts_default(&o);
	o.max_conns = max_conns;
	o.max_ooo = max_ooo;
	o.hole_ns = hole_ns;
	o.idle_ns = 1000;
	memset(l, 0, sizeof *l);
	struct ec_tcpflow *f = ec_tcpflow_new(&o, &cb, l);
	assert_non_null(f);
	return f;
}

/* the handshake: client ISN 100 (data from 101), server ISN 500 (data from 501) */
static void handshake(struct ec_tcpflow *f)
{
	assert_int_equal(send_(f, 0, 100, SYN, "", 1), 0);
	assert_int_equal(send_(f, 1, 500, SYN | ACK, "", 2), 0);
	assert_int_equal(send_(f, 0, 101, ACK, "", 3), 0);
}

static void test_in_order(void **state)
{
	(void)state;
	struct log l;
	struct ec_tcpflow *f = mk(&l, 16, 1 << 20, 100);
	handshake(f);
	send_(f, 0, 101, ACK, "hello", 4);
	send_(f, 1, 501, ACK, "world", 5);
	send_(f, 0, 106, ACK, "!!", 6);
	assert_int_equal(l.last_ts, 6);
	/* TCP Fast Open: data on the SYN, after its one seq */
	send_k(f, 1, 0, 70, SYN, "tfo", 7);
	send_k(f, 1, 0, 71, ACK, "tfo+", 8);
	ec_tcpflow_free(f);
	assert_string_equal(l.s, "1 open syn 40000-443 1>hello 1<world 1>!! 2 open syn 40001-443 "
				 "2>tfo 2>+ 1 close end 2 close end");
}

static void test_retrans(void **state)
{
	(void)state;
	struct log l;
	struct ec_tcpflow *f = mk(&l, 16, 1 << 20, 100);
	handshake(f);
	send_(f, 0, 101, ACK, "hello", 4);
	send_(f, 0, 101, ACK, "hello", 5);    /* exact duplicate */
	send_(f, 0, 104, ACK, "lo world", 6); /* overlaps "lo" */
	send_(f, 0, 102, ACK, "ell", 7);      /* inside what was delivered */
	send_(f, 0, 111, ACK, "d!", 8);
	struct ec_tcpflow_stats st;
	ec_tcpflow_get_stats(f, &st);
	assert_int_equal(st.retrans, 4);
	assert_int_equal(st.bytes, 12);
	ec_tcpflow_free(f);
	assert_string_equal(l.s, "1 open syn 40000-443 1>hello 1> world 1>! 1 close end");
}

static void test_out_of_order(void **state)
{
	(void)state;
	struct log l;
	struct ec_tcpflow *f = mk(&l, 16, 1 << 20, 100);
	handshake(f);
	send_(f, 0, 101, ACK, "ab", 4);
	send_(f, 0, 107, ACK, "ghi", 5);
	send_(f, 0, 105, ACK, "efg", 6); /* "g" is held already: the first copy wins */
	send_(f, 0, 107, ACK, "GHI", 7); /* a held duplicate */
	assert_string_equal(l.s, "1 open syn 40000-443 1>ab");
	send_(f, 0, 103, ACK, "cdEFGHIjk", 8); /* fills the hole and goes past the held */
	struct ec_tcpflow_stats st;
	ec_tcpflow_get_stats(f, &st);
	assert_int_equal(st.ooo, 3);
	assert_int_equal(st.retrans, 3);
	assert_int_equal(st.gaps, 0);
	assert_int_equal(st.bytes, 11);
	ec_tcpflow_free(f);
	assert_string_equal(l.s, "1 open syn 40000-443 1>ab 1>cd 1>ef 1>ghi 1>jk 1 close end");
}

static void test_hole_timeout(void **state)
{
	(void)state;
	struct log l;
	struct ec_tcpflow *f = mk(&l, 16, 1 << 20, 100);
	handshake(f);
	send_(f, 0, 101, ACK, "ab", 10);
	send_(f, 0, 110, ACK, "jk", 20); /* 103..109 missing: the hole waits from 20 */
	send_(f, 1, 501, ACK, "x", 120); /* 100 later: still in time */
	assert_string_equal(l.s, "1 open syn 40000-443 1>ab 1<x");
	send_(f, 1, 502, ACK, "y", 121); /* past: given up on this connection's packet */
	assert_string_equal(l.s, "1 open syn 40000-443 1>ab 1<x 1<y 1>~7 1>jk");
	assert_int_equal(l.last_ts, 20); /* the held bytes keep their time */
	/* the same through expire, on the other direction */
	send_(f, 1, 504, ACK, "z", 130);
	ec_tcpflow_expire(f, 230);
	assert_string_equal(l.s, "1 open syn 40000-443 1>ab 1<x 1<y 1>~7 1>jk");
	ec_tcpflow_expire(f, 231);
	assert_string_equal(l.s, "1 open syn 40000-443 1>ab 1<x 1<y 1>~7 1>jk 1<~1 1<z");
	struct ec_tcpflow_stats st;
	ec_tcpflow_get_stats(f, &st);
	assert_int_equal(st.gaps, 2);
	assert_int_equal(st.gap_bytes, 8);
	ec_tcpflow_free(f);
}

static void test_max_ooo(void **state)
{
	(void)state;
	struct log l;
	struct ec_tcpflow *f = mk(&l, 16, 8, 1000000);
	handshake(f);
	send_(f, 0, 101, ACK, "a", 4);
	send_(f, 0, 104, ACK, "dddd", 5); /* held: 4 */
	send_(f, 0, 110, ACK, "jjjj", 6); /* held: 8, the limit */
	assert_string_equal(l.s, "1 open syn 40000-443 1>a");
	send_(f, 0, 120, ACK, "t", 7); /* 9: the first hole (2 bytes) goes */
	assert_string_equal(l.s, "1 open syn 40000-443 1>a 1>~2 1>dddd");
	send_(f, 0, 130, ACK, "0123456789", 8); /* more than max_ooo alone */
	assert_string_equal(l.s, "1 open syn 40000-443 1>a 1>~2 1>dddd 1>~2 1>jjjj 1>~6 1>t "
				 "1>~9 1>0123456789");
	ec_tcpflow_free(f);
}

static void test_wraparound(void **state)
{
	(void)state;
	struct log l;
	struct ec_tcpflow *f = mk(&l, 16, 1 << 20, 100);
	uint32_t isn = 0xfffffff8u; /* data from 0xfffffff9: byte 7 has seq 0 */
	send_(f, 0, isn, SYN, "", 1);
	send_(f, 0, isn + 11, ACK, "KLM", 2); /* seq 3: held after the wrap */
	send_(f, 0, isn + 1, ACK, "abcdefg", 3);
	send_(f, 0, isn + 8, ACK, "hij", 4); /* seq 0..2 */
	send_(f, 0, isn + 9, ACK, "ij", 5);  /* a retransmission past the wrap */
	assert_string_equal(l.s, "1 open syn 40000-443 1>abcdefg 1>hij 1>KLM");
	/* a hole across 2^32 given up: exact count */
	uint32_t s2 = 0xfffffff0u;
	send_k(f, 1, 0, s2, SYN, "", 10);
	send_k(f, 1, 0, s2 + 1, ACK, "x", 11);
	send_k(f, 1, 0, s2 + 40, ACK, "y", 12); /* seq 0x18; 0xfffffff2..0x17 missing */
	ec_tcpflow_expire(f, 200);
	ec_tcpflow_free(f);
	assert_string_equal(l.s, "1 open syn 40000-443 1>abcdefg 1>hij 1>KLM 2 open syn 40001-443 "
				 "2>x 2>~38 2>y 1 close end 2 close end");
}

static void test_fin_rst(void **state)
{
	(void)state;
	struct log l;
	struct ec_tcpflow *f = mk(&l, 16, 1 << 20, 100);
	handshake(f);
	send_(f, 0, 101, ACK, "req", 4);
	send_(f, 0, 104, FIN | ACK, "", 5);
	send_(f, 1, 504, FIN | ACK, "!", 6); /* the server's "res" not yet seen */
	assert_string_equal(l.s, "1 open syn 40000-443 1>req");
	send_(f, 1, 501, ACK, "res", 7);
	assert_string_equal(l.s, "1 open syn 40000-443 1>req 1<res 1<! 1 close fin");
	send_(f, 0, 105, ACK, "", 8);	     /* the last ACK */
	send_(f, 1, 504, FIN | ACK, "!", 9); /* a retransmission */
	/* reset: the held bytes go out after their gap, then the close */
	send_k(f, 1, 0, 1000, SYN, "", 10);
	send_k(f, 1, 0, 1001, ACK, "a", 11);
	send_k(f, 1, 0, 1005, ACK, "e", 12);
	send_k(f, 1, 1, 77, RST, "", 13);
	send_k(f, 1, 0, 1006, ACK, "f", 14); /* after the reset: nothing */
	/* a FIN whose bytes never come: their gap at the end */
	send_k(f, 2, 0, 1, ACK, "abc", 15);
	send_k(f, 2, 0, 9, FIN | ACK, "", 16);
	send_k(f, 2, 1, 1, FIN | ACK, "", 17);
	ec_tcpflow_expire(f, 200);
	assert_string_equal(l.s, "1 open syn 40000-443 1>req 1<res 1<! 1 close fin "
				 "2 open syn 40001-443 2>a 2>~3 2>e 2 close rst "
				 "3 open 40002-443 3>abc 3>~5 3 close fin");
	struct ec_tcpflow_stats st;
	ec_tcpflow_get_stats(f, &st);
	assert_int_equal(st.conns, 3);
	ec_tcpflow_free(f);
}

static void test_midstream(void **state)
{
	(void)state;
	struct log l;
	struct ec_tcpflow *f = mk(&l, 16, 1 << 20, 100);
	send_(f, 0, 100, ACK, "", 1);	   /* an ACK alone opens nothing */
	send_(f, 1, 7000, ACK, "late", 2); /* the server's segment is the first seen */
	send_(f, 0, 300, ACK, "more", 3);
	send_(f, 1, 6998, ACK, "xxlate!", 4);
	/* picked up at the SYN-ACK: end[0] is still the client */
	send_k(f, 1, 1, 50, SYN | ACK, "", 5);
	send_k(f, 1, 0, 20, SYN, "", 6); /* its SYN, seen late: no new connection */
	send_k(f, 1, 0, 21, ACK, "q", 7);
	ec_tcpflow_free(f);
	assert_string_equal(l.s, "1 open 443-40000 1>late 1<more 1>! 2 open syn 40001-443 2>q "
				 "1 close end 2 close end");
}

static void test_cut(void **state)
{
	(void)state;
	struct log l;
	struct ec_tcpflow *f = mk(&l, 16, 1 << 20, 100);
	handshake(f);
	uint8_t b[2048];
	struct spec s = {ETH, 0, 0, 0, 101, ACK, "hello world"};
	size_t n = build(b, &s);
	/* 6 bytes of the payload cut off by the snap length */
	assert_int_equal(ec_tcpflow_packet(f, 1, b, n - 6, n, 4), 0);
	send_(f, 0, 112, ACK, "!", 5);
	send_(f, 0, 106, ACK, " world", 6); /* too late: the gap was reported */
	/* cut while out of order: the lost tail waits in its place */
	s.seq = 120;
	s.data = "abcdef";
	n = build(b, &s);
	assert_int_equal(ec_tcpflow_packet(f, 1, b, n - 2, n, 7), 0);
	send_(f, 0, 113, ACK, "1234567", 8);
	/* an IPv4 header cut is malformed */
	assert_int_equal(ec_tcpflow_packet(f, 1, b, 14 + 19, n, 9), EC_ERR_PROTO);
	ec_tcpflow_free(f);
	assert_string_equal(l.s, "1 open syn 40000-443 1>hello 1>~6 1>! 1>1234567 1>abcd 1>~2 "
				 "1 close end");
}

static void test_malformed(void **state)
{
	(void)state;
	struct log l;
	struct ec_tcpflow *f = mk(&l, 16, 1 << 20, 100);
	uint8_t b[2048], c[2048];
	struct spec s = {ETH, 0, 0, 0, 1, ACK, "data"};
	size_t n = build(b, &s);
	int bad = 0, not_tcp = 0;
#define EXPECT_LINK(link, len, counter)                                                            \
	do {                                                                                       \
		assert_int_equal(ec_tcpflow_packet(f, link, c, (len), (len), 1), EC_ERR_PROTO);    \
		counter++;                                                                         \
	} while (0)
#define EXPECT(len, counter) EXPECT_LINK(1, len, counter)
#define EXPECT6(len, counter) EXPECT_LINK(101, len, counter)
	/* every truncation of a good packet inside its headers */
	for (size_t k = 0; k < 54; k++) {
		memcpy(c, b, n);
		EXPECT(k, bad);
	}
	memcpy(c, b, n);
	c[14] = 0x44; /* IHL 4 */
	EXPECT(n, bad);
	memcpy(c, b, n);
	c[14] = 0x4f; /* IHL 15: past the packet */
	EXPECT(n, bad);
	memcpy(c, b, n);
	c[34 + 12] = 4 << 4; /* data offset 4 */
	EXPECT(n, bad);
	memcpy(c, b, n);
	c[34 + 12] = 15 << 4; /* data offset 15: past the end */
	EXPECT(n, bad);
	memcpy(c, b, n);
	put16(c + 16, 200); /* IP length past the frame */
	EXPECT(n, bad);
	memcpy(c, b, n);
	put16(c + 16, 19); /* IP length shorter than its header */
	EXPECT(n, bad);
	memcpy(c, b, n);
	c[14] = 0x65; /* version 6 in an IPv4 ethertype */
	EXPECT(n, bad);
	memcpy(c, b, n);
	put16(c + 20, 0x2001); /* a fragment */
	EXPECT(n, not_tcp);
	memcpy(c, b, n);
	c[23] = 17; /* UDP */
	EXPECT(n, not_tcp);
	memcpy(c, b, n);
	put16(c + 12, 0x0806); /* ARP */
	EXPECT(n, not_tcp);
	/* IPv6: a fragment that is not whole, an extension header past the end */
	uint8_t v6[2048];
	struct spec s6 = {RAW, 1, 0, 0, 1, ACK, "data"};
	size_t n6 = build(v6, &s6);
	memcpy(c, v6, n6);
	c[6] = 44;
	put16(c + 42, 8); /* offset 1 */
	EXPECT6(n6, not_tcp);
	memcpy(c, v6, n6);
	c[41] = 200; /* hop-by-hop of 1608 bytes */
	EXPECT6(n6, bad);
	memcpy(c, v6, n6);
	c[40] = 50; /* ESP */
	EXPECT6(n6, not_tcp);
	assert_int_equal(ec_tcpflow_packet(f, 147, b, n, n, 1), EC_ERR_PROTO);
	not_tcp++;
	assert_int_equal(ec_tcpflow_packet(f, 0, (const uint8_t *)"\x07\0\0\0", 4, 4, 1),
			 EC_ERR_PROTO);
	not_tcp++;
#undef EXPECT
#undef EXPECT6
#undef EXPECT_LINK
	struct ec_tcpflow_stats st;
	ec_tcpflow_get_stats(f, &st);
	assert_int_equal(st.bad, bad);
	assert_int_equal(st.not_tcp, not_tcp);
	assert_int_equal(st.packets, bad + not_tcp);
	assert_int_equal(st.conns, 0);
	/* the good one still goes through */
	assert_int_equal(ec_tcpflow_packet(f, 1, b, n, n, 2), 0);
	ec_tcpflow_free(f);
	assert_string_equal(l.s, "1 open 40000-443 1>data 1 close end");
}

static void test_links(void **state)
{
	(void)state;
	struct log l;
	struct ec_tcpflow *f = mk(&l, 64, 1 << 20, 100);
	char want[4096] = "";
	int id = 0;
	for (int link = ETH; link <= LOOP; link++) {
		for (int v6 = 0; v6 < 2; v6++) {
			uint8_t b[2048], c[2048];
			int k = link * 2 + v6;
			struct spec s = {(enum link)link, v6, 0, k, 1, ACK, "ping"};
			size_t n = build(b, &s);
			struct spec r = {(enum link)link, v6, 1, k, 9, ACK, "pong"};
			size_t m = build(c, &r);
			/* Ethernet's minimum frame: padding past the IP length is ignored */
			memset(b + n, 0, 64);
			assert_int_equal(ec_tcpflow_packet(f, linktype[link], b, n + 8, n + 8, 1),
					 0);
			assert_int_equal(ec_tcpflow_packet(f, linktype[link], c, m, m, 2), 0);
			id++;
			snprintf(want + strlen(want), sizeof want - strlen(want),
				 "%s%d open %d-443 %d>ping %d<pong", id > 1 ? " " : "", id,
				 40000 + k, id, id);
		}
	}
	assert_string_equal(l.s, want);
	struct ec_tcpflow_stats st;
	ec_tcpflow_get_stats(f, &st);
	assert_int_equal(st.conns, 12);
	assert_int_equal(st.bad + st.not_tcp, 0);
	ec_tcpflow_free(f);
}

static void test_evict_idle(void **state)
{
	(void)state;
	struct log l;
	struct ec_tcpflow *f = mk(&l, 2, 1 << 20, 100);
	send_k(f, 1, 0, 1, ACK, "a", 1);
	send_k(f, 2, 0, 1, ACK, "b", 2);
	send_k(f, 1, 1, 1, ACK, "A", 3); /* 1 is now the most recent */
	send_k(f, 3, 0, 5, ACK, "c", 4); /* evicts 2 */
	send_k(f, 3, 0, 9, ACK, "held", 5);
	send_k(f, 1, 1, 2, ACK, "B", 6);
	send_k(f, 4, 0, 1, ACK, "d", 7); /* evicts 3, its held bytes first */
	assert_string_equal(l.s, "1 open 40001-443 1>a 2 open 40002-443 2>b 1<A 2 close evict "
				 "3 open 40003-443 3>c 1<B 3>~3 3>held 3 close evict "
				 "4 open 40004-443 4>d");
	l.s[0] = 0;
	struct ec_tcpflow_stats st;
	ec_tcpflow_get_stats(f, &st);
	assert_int_equal(st.evicted, 2);
	assert_int_equal(st.conns, 4);
	ec_tcpflow_expire(f, 1006); /* idle_ns 1000: 1 (ts 6) not yet */
	assert_string_equal(l.s, "");
	ec_tcpflow_expire(f, 1007);
	assert_string_equal(l.s, "1 close idle");
	ec_tcpflow_free(f);
	assert_string_equal(l.s, "1 close idle 4 close end");
}

static void test_port_reuse(void **state)
{
	(void)state;
	struct log l;
	struct ec_tcpflow *f = mk(&l, 16, 1 << 20, 100);
	handshake(f);
	send_(f, 0, 101, FIN | ACK, "bye", 4);
	send_(f, 1, 501, FIN | ACK, "", 5);
	send_(f, 0, 105, ACK, "", 6);
	send_(f, 0, 101, ACK, "bye", 7); /* a late retransmission opens nothing */
	send_(f, 0, 9000, SYN, "", 8);	 /* the same 4-tuple again */
	send_(f, 0, 9000, SYN, "", 9);	 /* its SYN retransmitted */
	send_(f, 0, 9001, ACK, "hi", 10);
	/* a new SYN on a live connection: the old one is reset */
	send_(f, 0, 12345, SYN, "", 11);
	send_(f, 0, 12346, ACK, "new", 12);
	ec_tcpflow_free(f);
	assert_string_equal(l.s, "1 open syn 40000-443 1>bye 1 close fin 2 open syn 40000-443 2>hi "
				 "2 close rst 3 open syn 40000-443 3>new 3 close end");
}

static void test_many(void **state)
{
	(void)state;
	struct log l;
	struct ec_tcpflow *f = mk(&l, 100000, 1 << 20, 100);
	/* the table grows and still finds each: every one sends twice, one open each */
	uint8_t b[2048];
	for (int r = 0; r < 2; r++) {
		for (int k = 0; k < 5000; k++) {
			struct spec s = {ETH, 0, r, k, (uint32_t)(1 + r * 10), ACK, "x"};
			size_t n = build(b, &s);
			l.s[0] = 0;
			assert_int_equal(ec_tcpflow_packet(f, 1, b, n, n, 1), 0);
		}
	}
	struct ec_tcpflow_stats st;
	ec_tcpflow_get_stats(f, &st);
	assert_int_equal(st.conns, 5000);
	assert_int_equal(st.bytes, 10000);
	l.s[0] = 0;
	ec_tcpflow_free(f);
	assert_int_equal(l.closed[1] + l.closed[2500] + l.closed[5000], 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_in_order),	 cmocka_unit_test(test_retrans),
	    cmocka_unit_test(test_out_of_order), cmocka_unit_test(test_hole_timeout),
	    cmocka_unit_test(test_max_ooo),	 cmocka_unit_test(test_wraparound),
	    cmocka_unit_test(test_fin_rst),	 cmocka_unit_test(test_midstream),
	    cmocka_unit_test(test_cut),		 cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_links),	 cmocka_unit_test(test_evict_idle),
	    cmocka_unit_test(test_port_reuse),	 cmocka_unit_test(test_many),
	};
	return cmocka_run_group_tests_name("tcpflow", tests, NULL, NULL);
}
