// SPDX-License-Identifier: GPL-2.0-only
/* lib/proto/ws: frame headers, lengths, masks, control frames, cuts, every split point. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "error.h"
#include "ws.h"

#define MAXF 8

struct got {
	int n, err;
	uint8_t data[MAXF][70000];
	size_t len[MAXF];
	unsigned op[MAXF], flags[MAXF];
	int fin[MAXF];
};

static struct got g, want;

static size_t frame(uint8_t *out, unsigned op, int fin, const uint8_t *mask, const void *p,
		    size_t n)
{
	size_t k = 0;
	out[k++] = (uint8_t)((fin ? 0x80 : 0) | op);
	uint8_t m = mask ? 0x80 : 0;
	if (n < 126) {
		out[k++] = (uint8_t)(m | n);
	} else if (n < 65536) {
		out[k++] = m | 126;
		out[k++] = (uint8_t)(n >> 8);
		out[k++] = (uint8_t)n;
	} else {
		out[k++] = m | 127;
		for (int i = 7; i >= 0; i--)
			out[k++] = (uint8_t)((uint64_t)n >> (8 * i));
	}
	if (mask) {
		memcpy(out + k, mask, 4);
		k += 4;
	}
	for (size_t i = 0; i < n; i++)
		out[k + i] = ((const uint8_t *)p)[i] ^ (mask ? mask[i & 3] : 0);
	return k + n;
}

static void drive(const uint8_t *in, size_t n, size_t cut, size_t max, struct got *r)
{
	struct ec_ws *w = ec_ws_new(max);
	static uint8_t pend[200000];
	size_t plen = 0, pos = 0, ends[2] = {cut ? cut : n, n};
	memset(r, 0, sizeof *r);
	for (int i = 0; i < 2 && !r->err; i++) {
		memcpy(pend + plen, in + pos, ends[i] - pos);
		plen += ends[i] - pos;
		pos = ends[i];
		size_t off = 0;
		while (off < plen) {
			long k = ec_ws_feed(w, pend + off, plen - off);
			if (k < 0) {
				r->err = (int)k;
				break;
			}
			off += (size_t)k;
			if (ec_ws_done(w)) {
				const struct ec_ws_msg *m = ec_ws_message(w);
				assert_true(r->n < MAXF);
				memcpy(r->data[r->n], m->data, m->len);
				r->len[r->n] = m->len;
				r->op[r->n] = m->opcode;
				r->fin[r->n] = m->fin;
				r->flags[r->n] = m->flags;
				r->n++;
				ec_ws_reset(w);
				continue;
			}
			if (k == 0)
				break;
		}
		memmove(pend, pend + off, plen - off);
		plen -= off;
	}
	ec_ws_free(w);
}

static void test_frames_every_split(void **state)
{
	(void)state;
	static uint8_t in[200000];
	static uint8_t big[70000];
	const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
	size_t n = 0;
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (uint8_t)(i * 7);
	n += frame(in + n, 1, 1, mask, "Hello", 5);	 /* masked text (client) */
	n += frame(in + n, 1, 1, NULL, "Hello", 5);	 /* unmasked (server) */
	n += frame(in + n, 2, 0, mask, big, 300);	 /* 16-bit length, no FIN */
	n += frame(in + n, 9, 1, NULL, "", 0);		 /* ping interleaved */
	n += frame(in + n, 0, 1, mask, big + 300, 10);	 /* continuation, FIN */
	n += frame(in + n, 2, 1, NULL, big, sizeof big); /* 64-bit length */
	n += frame(in + n, 8, 1, mask,
		   "\x03\xe8"
		   "bye",
		   5);
	drive(in, n, 0, 1 << 20, &want);
	assert_int_equal(want.err, 0);
	assert_int_equal(want.n, 7);
	assert_memory_equal(want.data[0], "Hello", 5);
	assert_memory_equal(want.data[1], "Hello", 5);
	assert_int_equal(want.op[2], 2);
	assert_int_equal(want.fin[2], 0);
	assert_memory_equal(want.data[2], big, 300);
	assert_int_equal(want.op[3], 9);
	assert_int_equal(want.len[3], 0);
	assert_int_equal(want.op[4], 0);
	assert_int_equal(want.fin[4], 1);
	assert_int_equal(want.len[5], sizeof big);
	assert_memory_equal(want.data[5], big, sizeof big);
	assert_int_equal(want.op[6], 8);
	for (size_t k = 1; k < 400; k++) {
		drive(in, n, k, 1 << 20, &g);
		assert_int_equal(g.n, want.n);
		for (int i = 0; i < g.n; i++) {
			assert_int_equal(g.len[i], want.len[i]);
			assert_memory_equal(g.data[i], want.data[i], g.len[i]);
		}
	}
	for (size_t k = 400; k < n; k += 997) {
		drive(in, n, k, 1 << 20, &g);
		assert_int_equal(g.n, want.n);
		assert_memory_equal(g.data[5], want.data[5], want.len[5]);
	}
}

static void test_cut_and_rsv1(void **state)
{
	(void)state;
	uint8_t in[400];
	const uint8_t mask[4] = {1, 2, 3, 4};
	size_t n = frame(in, 1, 1, mask, "0123456789abcdef", 16);
	in[n] = 0xc1; /* FIN + RSV1 + text */
	in[n + 1] = 2;
	in[n + 2] = 'x';
	in[n + 3] = 'y';
	n += 4;
	drive(in, n, 0, 4, &g);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.len[0], 4);
	assert_memory_equal(g.data[0], "0123", 4);
	assert_true(g.flags[0] & EC_WS_CUT);
	assert_true(g.flags[1] & EC_WS_COMPRESSED);
}

static void test_errors(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "\x83\x00",			  /* reserved opcode 3 */
	    "\x8b\x00",			  /* reserved opcode 11 */
	    "\xa1\x00",			  /* RSV2 */
	    "\x09\x00",			  /* fragmented ping */
	    "\x89\x7e\x00\x80",		  /* ping longer than 125 */
	    "\x82\x7f\x80\0\0\0\0\0\0\0", /* 64-bit length, top bit */
	};
	static const size_t len[] = {2, 2, 2, 2, 4, 10};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		drive((const uint8_t *)bad[i], len[i], 0, 100, &g);
		if (g.err != EC_ERR_PROTO)
			fail_msg("case %zu: err %d", i, g.err);
	}
	struct ec_ws *w = ec_ws_new(10);
	assert_int_equal(ec_ws_feed(w, (const uint8_t *)"\x83\x00", 2), EC_ERR_PROTO);
	assert_non_null(strstr(ec_ws_error(w), "opcode"));
	ec_ws_free(w);
	assert_int_equal(ec_ws_plausible((const uint8_t *)"\x81\x85", 2), -1);
	assert_int_equal(ec_ws_plausible((const uint8_t *)"\x81\x05", 2), 1);
	assert_int_equal(ec_ws_plausible((const uint8_t *)"HT", 2), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_frames_every_split),
	    cmocka_unit_test(test_cut_and_rsv1),
	    cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests_name("ws", tests, NULL, NULL);
}
