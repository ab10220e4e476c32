// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: lib/decrypt/tcpflow. The input is a list of packets,
 * each a 5-byte head then its bytes: op (bits 0-2 the link type, bit 3
 * expire after it, bit 4 "built": the bytes are only the TCP fields of an
 * Ethernet/IPv4 packet the target builds, to reach reassembly often), the
 * time step, the length (2 bytes, little-endian) and how many bytes the
 * capture cut. Tiny bounds make eviction, holes and max_ooo happen. The
 * callbacks check that no connection hears anything after its close (its
 * state is freed there: ASan sees a use), and the stats add up.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "tcpflow.h"

#define MAX_CONNS 4

struct conn {
	uint64_t magic;
	uint64_t bytes, gaps;
};

struct totals {
	long live;
	uint64_t opens, bytes, gap_bytes, gaps;
};

static struct conn *user_of(void *user)
{
	struct conn *c = user;
	if (!c || c->magic != 0x7463706675u)
		abort();
	return c;
}

static void *on_open(void *ctx, const struct ec_tcpflow_tuple *t, int64_t ts)
{
	struct totals *tt = ctx;
	(void)ts;
	if (t->end[0].v6 != t->end[1].v6 || ++tt->live > MAX_CONNS)
		abort();
	tt->opens++;
	struct conn *c = calloc(1, sizeof *c);
	if (!c)
		abort();
	c->magic = 0x7463706675u;
	return c;
}

static void on_data(void *ctx, void *user, int dir, const uint8_t *p, size_t n, int64_t ts)
{
	struct totals *tt = ctx;
	struct conn *c = user_of(user);
	(void)ts;
	if ((dir != 0 && dir != 1) || n == 0 || n > 1 << 16)
		abort();
	volatile uint8_t x = p[0] ^ p[n - 1]; /* readable, for ASan */
	(void)x;
	c->bytes += n;
	tt->bytes += n;
}

static void on_gap(void *ctx, void *user, int dir, uint64_t n, int64_t ts)
{
	struct totals *tt = ctx;
	struct conn *c = user_of(user);
	(void)ts;
	if ((dir != 0 && dir != 1) || n == 0 || n >= 1ull << 32)
		abort();
	c->gaps++;
	tt->gaps++;
	tt->gap_bytes += n;
}

static void on_close(void *ctx, void *user, enum ec_tcpflow_why why, int64_t ts)
{
	struct totals *tt = ctx;
	struct conn *c = user_of(user);
	(void)ts;
	if (why > EC_TCPFLOW_END || --tt->live < 0)
		abort();
	c->magic = 0;
	free(c);
}

/* the bytes of a built packet: conn (bits 0-1 client port, bit 2 from the
 * server), TCP flags, seq (4 bytes), payload */
static size_t build(uint8_t *b, const uint8_t *in, size_t n)
{
	if (n < 6)
		return 0;
	int srv = in[0] >> 2 & 1;
	uint16_t cport = (uint16_t)(40000 + (in[0] & 3)), ports[2] = {cport, 443};
	size_t pay = n - 6;
	memset(b, 0, 54);
	b[12] = 0x08;
	uint8_t *ip = b + 14, *tcp = b + 34;
	ip[0] = 0x45;
	ip[2] = (uint8_t)((40 + pay) >> 8);
	ip[3] = (uint8_t)(40 + pay);
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, srv ? "\x0a\0\0\x02" : "\x0a\0\0\x01", 4);
	memcpy(ip + 16, srv ? "\x0a\0\0\x01" : "\x0a\0\0\x02", 4);
	tcp[0] = (uint8_t)(ports[srv] >> 8);
	tcp[1] = (uint8_t)ports[srv];
	tcp[2] = (uint8_t)(ports[!srv] >> 8);
	tcp[3] = (uint8_t)ports[!srv];
	memcpy(tcp + 4, in + 2, 4);
	tcp[12] = 5 << 4;
	tcp[13] = in[1];
	memcpy(tcp + 20, in + 6, pay);
	return 54 + pay;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t links[8] = {1, 101, 113, 0, 108, 1, 101, 147};
	static uint8_t b[54 + 65536];
	struct totals tt = {0};
	struct ec_tcpflow_opts o = {MAX_CONNS, 64, 1000, 100000};
	struct ec_tcpflow_cb cb = {on_open, on_data, on_gap, on_close};
	struct ec_tcpflow *f = ec_tcpflow_new(&o, &cb, &tt);
	if (!f)
		abort();
	uint64_t packets = 0;
	int64_t ts = 0;
	while (size >= 5) {
		uint8_t op = data[0], cut = data[4];
		size_t n = (size_t)(data[2] | data[3] << 8);
		ts += (int64_t)data[1] * 10;
		data += 5;
		size -= 5;
		if (n > size)
			n = size;
		const uint8_t *p = data;
		size_t len = n, orig;
		uint32_t link = links[op & 7];
		if (op & 0x10) {
			size_t pay = n >= 6 ? n - 6 : 0;
			len = build(b, data, n); /* 0 when too short: malformed */
			p = b;
			link = 1;
			orig = len;
			len -= cut < pay ? cut : pay;
		} else {
			orig = len + cut;
		}
		int rc = ec_tcpflow_packet(f, link, p, len, orig, ts);
		if (rc != 0 && rc != EC_ERR_PROTO)
			abort();
		packets++;
		if (op & 8)
			ec_tcpflow_expire(f, ts);
		data += n;
		size -= n;
	}
	struct ec_tcpflow_stats st;
	ec_tcpflow_get_stats(f, &st);
	if (st.packets != packets || st.conns != tt.opens || st.bytes != tt.bytes ||
	    st.gaps != tt.gaps || st.gap_bytes != tt.gap_bytes)
		abort();
	ec_tcpflow_free(f);
	if (tt.live != 0)
		abort();
	return 0;
}
