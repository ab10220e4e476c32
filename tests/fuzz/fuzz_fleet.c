// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the subscriber's orderer fed what any NATS client may
 * publish on our subjects (session ids and sequence numbers are headers
 * anyone can set), and --since values. Every record gets exactly one fate,
 * and each session's written records never go backwards except as "late".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"

#define MAXI 4096

struct st {
	unsigned char fate[MAXI]; /* 0: none yet, else fate + 1 */
	uint64_t seq[MAXI];
	int sess[MAXI];
	uint64_t last[8]; /* per session: the last written */
};

static void item(void *arg, void *it, enum ec_fleet_fate f)
{
	struct st *s = arg;
	size_t i = (size_t)(uintptr_t)it;
	if (s->fate[i])
		abort(); /* a second fate */
	s->fate[i] = (unsigned char)(f + 1);
	if (f == EC_FLEET_WRITE && s->seq[i] && s->sess[i] >= 0) {
		if (s->seq[i] <= s->last[s->sess[i]] && s->last[s->sess[i]])
			abort(); /* in-order writes go forward */
		s->last[s->sess[i]] = s->seq[i];
	}
}

static void gap(void *arg, const char *session, uint64_t from, uint64_t to)
{
	(void)arg;
	(void)session;
	if (from > to)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct st s;
	memset(&s, 0, sizeof s);
	struct ec_fleet_order_cb cb = {item, gap, &s};
	struct ec_fleet_order *o = ec_fleet_order_new(&cb, 50, 16, 8);
	static const char *const names[] = {"a", "b", "c", "d", "e", "f", NULL, ""};
	size_t n = 0;
	int64_t now = 0;
	for (size_t p = 0; p + 2 <= size && n < MAXI; p += 2) {
		uint8_t op = data[p], v = data[p + 1];
		now += op >> 6;
		if ((op & 0x30) == 0x30) {
			ec_fleet_order_tick(o, now);
			continue;
		}
		int k = op & 7;
		s.seq[n] = (op & 8) ? v : (uint64_t)v << 40;
		s.sess[n] = names[k] && *names[k] ? k : -1;
		ec_fleet_order_put(o, names[k], s.seq[n], (void *)(uintptr_t)n, now);
		n++;
	}
	ec_fleet_order_free(o);
	for (size_t i = 0; i < n; i++)
		if (!s.fate[i])
			abort(); /* every record's fate is told */
	/* --since values are anyone's typing */
	char *t = malloc(size + 1);
	if (t) {
		memcpy(t, data, size);
		t[size] = 0;
		int64_t out;
		ec_fleet_parse_since(t, 0, &out);
		char tok[64], v[400];
		ec_fleet_token(t, tok, sizeof tok);
		/* an Ec-Order header from anyone: what parses formats back the same */
		struct ec_fleet_tag g;
		if (!ec_fleet_tag_parse(t, &g) &&
		    (!ec_fleet_tag_format(&g, v, sizeof v) || strcmp(v, t)))
			abort();
		ec_fleet_covers(t, t + size / 2);
		if (strpbrk(tok, ".*> "))
			abort();
		free(t);
	}
	return 0;
}
