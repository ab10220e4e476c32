// SPDX-License-Identifier: GPL-2.0-only
/* The key log table (tlskeys.h): a ring of entries (oldest evicted first)
 * indexed by a chained hash of the client random. */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "tlskeys.h"

#define NIL UINT32_MAX

struct ec_tlskeys {
	size_t max;  /* slots */
	size_t n;    /* slots in use */
	size_t head; /* the oldest slot */
	struct ec_tlskeys_entry *e;
	uint32_t *next;			     /* hash chain, per slot */
	uint32_t *bucket;		     /* first slot of each chain */
	size_t nbucket;			     /* a power of two */
	const struct ec_tlskeys_entry *last; /* what the last add changed */
};

static const struct {
	const char *name;
	int label; /* -1: a known line this table has no use for */
} labels[] = {
    {"CLIENT_RANDOM", EC_TLSKEYS_CLIENT_RANDOM},
    {"CLIENT_EARLY_TRAFFIC_SECRET", EC_TLSKEYS_CLIENT_EARLY},
    {"CLIENT_HANDSHAKE_TRAFFIC_SECRET", EC_TLSKEYS_CLIENT_HS},
    {"SERVER_HANDSHAKE_TRAFFIC_SECRET", EC_TLSKEYS_SERVER_HS},
    {"CLIENT_TRAFFIC_SECRET_0", EC_TLSKEYS_CLIENT_APP},
    {"SERVER_TRAFFIC_SECRET_0", EC_TLSKEYS_SERVER_APP},
    {"EXPORTER_SECRET", EC_TLSKEYS_EXPORTER},
    {"EARLY_EXPORTER_SECRET", -1},
    {"RSA", -1},
    {"ECH_SECRET", -1},
    {"ECH_CONFIG", -1},
    /* OpenSSL's lines after a KeyUpdate: the decoder derives those itself */
    {"CLIENT_TRAFFIC_SECRET_N", -1},
    {"SERVER_TRAFFIC_SECRET_N", -1},
};

struct ec_tlskeys *ec_tlskeys_new(size_t max_randoms)
{
	struct ec_tlskeys *k;

	if (max_randoms == 0 || max_randoms >= NIL / 2)
		return NULL;
	k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	k->max = max_randoms;
	k->nbucket = 16;
	while (k->nbucket < 2 * max_randoms)
		k->nbucket <<= 1;
	k->e = calloc(max_randoms, sizeof(*k->e));
	k->next = calloc(max_randoms, sizeof(*k->next));
	k->bucket = malloc(k->nbucket * sizeof(*k->bucket));
	if (!k->e || !k->next || !k->bucket) {
		ec_tlskeys_free(k);
		return NULL;
	}
	for (size_t i = 0; i < k->nbucket; i++)
		k->bucket[i] = NIL;
	return k;
}

void ec_tlskeys_free(struct ec_tlskeys *k)
{
	if (!k)
		return;
	free(k->e);
	free(k->next);
	free(k->bucket);
	free(k);
}

static size_t hash(const struct ec_tlskeys *k, const uint8_t random[32])
{
	uint64_t h = 0xcbf29ce484222325ull;

	/* randoms are random, but a client may pick its own: FNV over all of it */
	for (int i = 0; i < 32; i++)
		h = (h ^ random[i]) * 0x100000001b3ull;
	return (size_t)(h ^ (h >> 29)) & (k->nbucket - 1);
}

static uint32_t lookup(const struct ec_tlskeys *k, const uint8_t random[32])
{
	for (uint32_t s = k->bucket[hash(k, random)]; s != NIL; s = k->next[s])
		if (memcmp(k->e[s].random, random, 32) == 0)
			return s;
	return NIL;
}

const struct ec_tlskeys_entry *ec_tlskeys_find(const struct ec_tlskeys *k, const uint8_t random[32])
{
	uint32_t s;

	if (!k || !random)
		return NULL;
	s = lookup(k, random);
	return s == NIL ? NULL : &k->e[s];
}

static void unlink_slot(struct ec_tlskeys *k, uint32_t s)
{
	uint32_t *p = &k->bucket[hash(k, k->e[s].random)];

	while (*p != NIL && *p != s)
		p = &k->next[*p];
	if (*p == s)
		*p = k->next[s];
}

static uint32_t insert(struct ec_tlskeys *k, const uint8_t random[32])
{
	uint32_t s;
	size_t h;

	if (k->n < k->max) {
		s = (uint32_t)((k->head + k->n) % k->max);
		k->n++;
	} else {
		s = (uint32_t)k->head;
		k->head = (k->head + 1) % k->max;
		unlink_slot(k, s);
	}
	memset(&k->e[s], 0, sizeof(k->e[s]));
	memcpy(k->e[s].random, random, 32);
	h = hash(k, random);
	k->next[s] = k->bucket[h];
	k->bucket[h] = s;
	return s;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* hex of exactly 2 * n digits into out */
static int unhex(const char *s, size_t n, uint8_t *out)
{
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* the next space-separated field of [*p, end) */
static size_t field(const char **p, const char *end, const char **start)
{
	const char *s = *p;

	while (s < end && is_space(*s))
		s++;
	*start = s;
	while (s < end && !is_space(*s))
		s++;
	*p = s;
	return (size_t)(s - *start);
}

int ec_tlskeys_add_line(struct ec_tlskeys *k, const char *line, size_t n)
{
	const char *p = line, *end = line + n, *f[4];
	size_t len[4];
	uint8_t random[32], secret[EC_TLSKEYS_SECRET_MAX];
	int label = -2;
	struct ec_tlskeys_entry *e;
	uint32_t s;

	if (!k || (!line && n))
		return EC_ERR_INVAL;
	len[0] = field(&p, end, &f[0]);
	if (len[0] == 0 || f[0][0] == '#')
		return 0;
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		if (strlen(labels[i].name) == len[0] && !memcmp(labels[i].name, f[0], len[0]))
			label = labels[i].label;
	if (label == -2)
		return EC_ERR_PROTO;
	if (label < 0)
		return 0;
	for (int i = 1; i < 4; i++)
		len[i] = field(&p, end, &f[i]);
	if (len[1] != 64 || len[2] == 0 || len[2] % 2 || len[2] / 2 > sizeof(secret) || len[3])
		return EC_ERR_PROTO;
	if (unhex(f[1], 32, random) || unhex(f[2], len[2] / 2, secret))
		return EC_ERR_PROTO;

	s = lookup(k, random);
	if (s != NIL) {
		e = &k->e[s];
		if ((e->have & (1u << label)) && e->len[label] == len[2] / 2 &&
		    !memcmp(e->secret[label], secret, len[2] / 2))
			return 0;
	} else {
		e = &k->e[insert(k, random)];
	}
	e->have |= 1u << label;
	e->len[label] = (uint8_t)(len[2] / 2);
	memcpy(e->secret[label], secret, len[2] / 2);
	k->last = e;
	return 1;
}

const struct ec_tlskeys_entry *ec_tlskeys_last(const struct ec_tlskeys *k)
{
	return k->last;
}
