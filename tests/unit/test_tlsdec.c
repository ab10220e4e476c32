// SPDX-License-Identifier: GPL-2.0-only
/*
 * lib/decrypt/tlsdec and tlskeys: real TLS made in-process by libssl (two
 * SSL objects joined by memory BIOs, a self-signed certificate made here),
 * its wire bytes fed to ec_tlsdec with the key log libssl wrote, and the
 * plaintext compared with what each side wrote.
 *
 * EC_TLSDEC_CORPUS=dir writes a few of these connections as fuzz_tlsdec
 * inputs (tests/fuzz/corpus/tlsdec).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "error.h"
#include "tlsdec.h"
#include "tlskeys.h"

struct buf {
	uint8_t *p;
	size_t n, cap;
};

static void put(struct buf *b, const void *p, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	if (n)
		memcpy(b->p + b->n, p, n);
	b->n += n;
}

static void bfree(struct buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* --- libssl on both ends --- */

static EVP_PKEY *g_key;
static X509 *g_cert;
#define NLOG 256
static char g_log[NLOG][300];
static int g_nlog;

static void keylog(const SSL *ssl, const char *line)
{
	(void)ssl;
	if (g_nlog < NLOG)
		snprintf(g_log[g_nlog++], sizeof(g_log[0]), "%s", line);
}

struct opt {
	int tls12;
	const char *suites;  /* TLS 1.3 */
	const char *ciphers; /* TLS 1.2 */
	const char *cgroups, *sgroups;
	int no_ticket, early;
};

struct ctxs {
	SSL_CTX *c, *s;
};

/* the wire: both directions' bytes in the order they were written */
struct seg {
	int dir;
	size_t off, len;
};

struct net {
	SSL *c, *s;
	BIO *c_in, *c_out, *s_in, *s_out;
	struct buf wire[2]; /* 0: client to server, 1: server to client */
	struct seg *segs;
	size_t nseg;
	struct buf sent[2], got[2];
};

static void ctxs_new(struct ctxs *x, const struct opt *o)
{
	int v = o->tls12 ? TLS1_2_VERSION : TLS1_3_VERSION;

	x->c = SSL_CTX_new(TLS_client_method());
	x->s = SSL_CTX_new(TLS_server_method());
	assert_non_null(x->c);
	assert_non_null(x->s);
	for (int i = 0; i < 2; i++) {
		SSL_CTX *c = i ? x->s : x->c;
		assert_true(SSL_CTX_set_min_proto_version(c, v));
		assert_true(SSL_CTX_set_max_proto_version(c, v));
		if (o->suites)
			assert_true(SSL_CTX_set_ciphersuites(c, o->suites));
		if (o->ciphers)
			assert_true(SSL_CTX_set_cipher_list(c, o->ciphers));
	}
	SSL_CTX_set_keylog_callback(x->c, keylog);
	assert_true(SSL_CTX_use_certificate(x->s, g_cert));
	assert_true(SSL_CTX_use_PrivateKey(x->s, g_key));
	if (o->cgroups)
		assert_true(SSL_CTX_set1_groups_list(x->c, o->cgroups));
	if (o->sgroups)
		assert_true(SSL_CTX_set1_groups_list(x->s, o->sgroups));
	if (o->no_ticket)
		SSL_CTX_set_options(x->s, SSL_OP_NO_TICKET);
	if (o->early) {
		assert_true(SSL_CTX_set_max_early_data(x->s, 65536));
		assert_true(SSL_CTX_set_recv_max_early_data(x->s, 65536));
	}
}

static void ctxs_free(struct ctxs *x)
{
	SSL_CTX_free(x->c);
	SSL_CTX_free(x->s);
}

static BIO *mem(void)
{
	BIO *b = BIO_new(BIO_s_mem());
	assert_non_null(b);
	BIO_set_mem_eof_return(b, -1); /* empty means "wait", not end of file */
	return b;
}

static void net_open(struct net *n, struct ctxs *x, SSL_SESSION *sess)
{
	memset(n, 0, sizeof(*n));
	n->c = SSL_new(x->c);
	n->s = SSL_new(x->s);
	n->c_in = mem();
	n->c_out = mem();
	n->s_in = mem();
	n->s_out = mem();
	SSL_set_bio(n->c, n->c_in, n->c_out);
	SSL_set_bio(n->s, n->s_in, n->s_out);
	SSL_set_connect_state(n->c);
	SSL_set_accept_state(n->s);
	if (sess)
		assert_true(SSL_set_session(n->c, sess));
}

static void net_free(struct net *n)
{
	SSL_free(n->c);
	SSL_free(n->s);
	for (int i = 0; i < 2; i++) {
		bfree(&n->wire[i]);
		bfree(&n->sent[i]);
		bfree(&n->got[i]);
	}
	free(n->segs);
}

static int move(struct net *n, int dir)
{
	BIO *from = dir ? n->s_out : n->c_out, *to = dir ? n->c_in : n->s_in;
	static char buf[1 << 16];
	int r, moved = 0;

	while ((r = BIO_read(from, buf, sizeof(buf))) > 0) {
		assert_int_equal(BIO_write(to, buf, r), r);
		n->segs = realloc(n->segs, (n->nseg + 1) * sizeof(*n->segs));
		assert_non_null(n->segs);
		n->segs[n->nseg++] = (struct seg){dir, n->wire[dir].n, (size_t)r};
		put(&n->wire[dir], buf, (size_t)r);
		moved = 1;
	}
	return moved;
}

static void ssl_ok(SSL *s, int r)
{
	int e = SSL_get_error(s, r);

	if (e == SSL_ERROR_SSL || e == SSL_ERROR_SYSCALL) {
		ERR_print_errors_fp(stderr);
		fail_msg("libssl error %d", e);
	}
}

static void reads(struct net *n, int side)
{
	SSL *s = side ? n->s : n->c;
	static uint8_t buf[1 << 16];
	int r;

	while ((r = SSL_read(s, buf, sizeof(buf))) > 0)
		put(&n->got[!side], buf, (size_t)r);
	ssl_ok(s, r);
}

/* move bytes until both ends are idle (handshakes finish on the way) */
static void pump(struct net *n)
{
	do {
		reads(n, 0);
		reads(n, 1);
	} while (move(n, 0) | move(n, 1));
}

static void say(struct net *n, int side, const void *p, size_t len)
{
	SSL *s = side ? n->s : n->c;
	size_t w;

	if (len) {
		assert_int_equal(SSL_write_ex(s, p, len, &w), 1);
		assert_int_equal(w, len);
	}
	put(&n->sent[side], p, len);
	pump(n);
}

static uint8_t *noise(size_t len, uint32_t seed)
{
	uint8_t *p = malloc(len ? len : 1);
	uint32_t x = seed * 2654435761u + 1;

	assert_non_null(p);
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
	return p;
}

/* requests and responses of varied sizes, one of several records */
static void talk(struct net *n, int rounds)
{
	for (int i = 0; i < rounds; i++) {
		size_t ql = 20 + (size_t)i * 7, rl = i == 2 ? 50000 : 300 + (size_t)i * 1000;
		uint8_t *q = noise(ql, (uint32_t)i), *r = noise(rl, (uint32_t)i + 100);
		say(n, 0, q, ql);
		say(n, 1, r, rl);
		free(q);
		free(r);
	}
}

static void finish(struct net *n)
{
	SSL_shutdown(n->c);
	pump(n);
	SSL_shutdown(n->s);
	pump(n);
}

/* a handshake and a conversation */
static void converse(struct net *n, struct ctxs *x, SSL_SESSION *sess)
{
	net_open(n, x, sess);
	pump(n);
	assert_true(SSL_is_init_finished(n->c));
	assert_true(SSL_is_init_finished(n->s));
	talk(n, 5);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(n->got[i].n, n->sent[i].n);
		assert_memory_equal(n->got[i].p, n->sent[i].p, n->sent[i].n);
	}
}

/* the key log so far, without the lines whose label is in skip */
static struct ec_tlskeys *keys_from_log(const char *const *skip)
{
	struct ec_tlskeys *k = ec_tlskeys_new(64);

	assert_non_null(k);
	for (int i = 0; i < g_nlog; i++) {
		int drop = 0;
		for (const char *const *s = skip; s && *s; s++)
			drop |= !strncmp(g_log[i], *s, strlen(*s)) && g_log[i][strlen(*s)] == ' ';
		if (!drop && ec_tlskeys_add_line(k, g_log[i], strlen(g_log[i])) < 0)
			fail_msg("key log line refused: %s", g_log[i]);
	}
	return k;
}

/* --- the decoder's side --- */

#define NNOTE 64
struct out {
	struct buf plain[2];
	int nnotes;
	char notes[NNOTE][256];
	uint64_t lost[NNOTE];
	int64_t last_ts[2];
};

static void on_plain(void *ctx, int dir, const uint8_t *p, size_t n, int64_t ts)
{
	struct out *o = ctx;

	assert_true(dir == 0 || dir == 1);
	assert_true(n > 0);
	assert_true(ts >= o->last_ts[dir]);
	o->last_ts[dir] = ts;
	put(&o->plain[dir], p, n);
}

static void on_note(void *ctx, int dir, const char *what, uint64_t lost, int64_t ts)
{
	struct out *o = ctx;

	(void)ts;
	assert_true(dir == 0 || dir == 1);
	if (getenv("EC_TLSDEC_VERBOSE"))
		fprintf(stderr, "note dir %d lost %llu: %s\n", dir, (unsigned long long)lost, what);
	if (o->nnotes < NNOTE) {
		snprintf(o->notes[o->nnotes], sizeof(o->notes[0]), "%s", what);
		o->lost[o->nnotes] = lost;
	}
	o->nnotes++;
}

static const struct ec_tlsdec_cb cbs = {on_plain, on_note};

static void out_free(struct out *o)
{
	bfree(&o->plain[0]);
	bfree(&o->plain[1]);
}

/* the note that contains s, or -1 */
static int find_note(const struct out *o, const char *s)
{
	for (int i = 0; i < o->nnotes && i < NNOTE; i++)
		if (strstr(o->notes[i], s))
			return i;
	return -1;
}

enum chunking { WHOLE, BYTES, RANDOM, NCHUNK };

struct feed {
	enum chunking how;
	int flip;		 /* the client is direction 1 */
	struct ec_tlskeys *keys; /* looked up once the client random is known */
	int gap_dir;		 /* -1: none; else wire direction losing bytes */
	size_t gap_off, gap_len;
	unsigned seed;
};

static void give_keys(struct ec_tlsdec *t, struct ec_tlskeys *keys, int *given)
{
	const uint8_t *r = ec_tlsdec_client_random(t);

	if (!keys || *given || !r)
		return;
	*given = 1;
	if (ec_tlskeys_find(keys, r))
		ec_tlsdec_keys(t, ec_tlskeys_find(keys, r));
}

static void data(struct ec_tlsdec *t, const struct feed *f, int dir, const uint8_t *p, size_t len,
		 int64_t ts, int *given)
{
	unsigned seed = f->seed;

	while (len > 0) {
		size_t c = len;
		if (f->how == BYTES)
			c = 1;
		else if (f->how == RANDOM)
			c = 1 + (size_t)rand_r(&seed) % 3000;
		if (c > len)
			c = len;
		ec_tlsdec_data(t, dir ^ f->flip, p, c, ts);
		give_keys(t, f->keys, given);
		p += c;
		len -= c;
	}
}

/* feed the wire of n; returns the decoder, not ended */
static struct ec_tlsdec *feed(const struct net *n, const struct feed *f, struct out *o,
			      size_t max_held)
{
	struct ec_tlsdec *t = ec_tlsdec_new(&cbs, o, max_held);
	int given = 0;

	assert_non_null(t);
	memset(o, 0, sizeof(*o));
	for (size_t i = 0; i < n->nseg; i++) {
		const struct seg *s = &n->segs[i];
		const uint8_t *p = n->wire[s->dir].p + s->off;
		int64_t ts = (int64_t)i + 1;
		size_t a = s->off, b = s->off + s->len;
		if (s->dir != f->gap_dir || b <= f->gap_off || a >= f->gap_off + f->gap_len) {
			data(t, f, s->dir, p, s->len, ts, &given);
			continue;
		}
		/* the lost range cuts this segment */
		if (a < f->gap_off)
			data(t, f, s->dir, p, f->gap_off - a, ts, &given);
		if (a <= f->gap_off)
			ec_tlsdec_gap(t, s->dir ^ f->flip, f->gap_len, ts);
		if (b > f->gap_off + f->gap_len)
			data(t, f, s->dir, n->wire[s->dir].p + f->gap_off + f->gap_len,
			     b - (f->gap_off + f->gap_len), ts, &given);
	}
	return t;
}

/* what each side sent came out, in order, and nothing else */
static void expect_all(const struct net *n, const struct out *o, int flip)
{
	for (int i = 0; i < 2; i++) {
		assert_int_equal(o->plain[i ^ flip].n, n->sent[i].n);
		if (n->sent[i].n)
			assert_memory_equal(o->plain[i ^ flip].p, n->sent[i].p, n->sent[i].n);
	}
}

/* every chunking, both direction numberings: everything out, no note */
static void check_all(const struct net *n, struct ec_tlskeys *keys, const char *desc)
{
	for (int how = 0; how < NCHUNK; how++) {
		for (int flip = 0; flip < 2; flip++) {
			struct feed f = {(enum chunking)how, flip, keys, -1, 0, 0,
					 7u + (unsigned)how};
			struct out o;
			struct ec_tlsdec *t = feed(n, &f, &o, 1 << 20);
			ec_tlsdec_end(t, 1000);
			if (o.nnotes)
				fail_msg("unexpected note: %s", o.notes[0]);
			expect_all(n, &o, flip);
			assert_int_equal(ec_tlsdec_state(t), EC_TLSDEC_DECRYPTING);
			assert_int_equal(ec_tlsdec_client_dir(t), flip);
			if (desc)
				assert_string_equal(ec_tlsdec_describe(t), desc);
			ec_tlsdec_free(t);
			out_free(&o);
		}
	}
}

/* A fuzz_tlsdec input: the key log, then each segment as
 * [dir][length, 2 bytes little-endian][bytes]. */
static void dump_corpus(const char *name, const struct net *n)
{
	const char *dir = getenv("EC_TLSDEC_CORPUS");
	char path[512];
	struct buf b = {0};
	size_t kl = 0;
	FILE *fp;

	if (!dir)
		return;
	for (int i = 0; i < g_nlog; i++)
		kl += strlen(g_log[i]) + 1;
	put(&b, (uint8_t[]){(uint8_t)kl, (uint8_t)(kl >> 8)}, 2);
	for (int i = 0; i < g_nlog; i++) {
		put(&b, g_log[i], strlen(g_log[i]));
		put(&b, "\n", 1);
	}
	for (size_t i = 0; i < n->nseg; i++) {
		const struct seg *s = &n->segs[i];
		for (size_t off = 0; off < s->len; off += 0xffff) {
			size_t l = s->len - off > 0xffff ? 0xffff : s->len - off;
			put(&b, (uint8_t[]){(uint8_t)s->dir, (uint8_t)l, (uint8_t)(l >> 8)}, 3);
			put(&b, n->wire[s->dir].p + s->off + off, l);
		}
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(b.p, 1, b.n, fp), b.n);
	fclose(fp);
	bfree(&b);
}

/* --- the cases --- */

static void test_keys_table(void **state)
{
	struct ec_tlskeys *k = ec_tlskeys_new(2);
	const struct ec_tlskeys_entry *e;
	uint8_t r1[32], r2[32], r3[32];
	char line[300];

	(void)state;
	memset(r1, 0x1a, 32);
	memset(r2, 0x2b, 32);
	memset(r3, 0x3c, 32);
#define ADD(s) ec_tlskeys_add_line(k, s, strlen(s))
	assert_int_equal(ADD(""), 0);
	assert_int_equal(ADD("   \r\n"), 0);
	assert_int_equal(ADD("# SSL/TLS secrets log file"), 0);
	/* upper and lower case hex, a CR LF ending */
	snprintf(line, sizeof(line), "CLIENT_RANDOM %s %s\r\n",
		 "1A1a1A1a1A1a1A1a1A1a1A1a1A1a1A1a1A1a1A1a1A1a1A1a1A1a1A1a1A1a1A1a",
		 "00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff0011223344556677"
		 "8899aabbccddeeff");
	assert_int_equal(ADD(line), 1);
	assert_int_equal(ADD(line), 0); /* the same again adds nothing */
	e = ec_tlskeys_find(k, r1);
	assert_non_null(e);
	assert_int_equal(e->have, 1u << EC_TLSKEYS_CLIENT_RANDOM);
	assert_int_equal(e->len[EC_TLSKEYS_CLIENT_RANDOM], 48);
	assert_int_equal(e->secret[EC_TLSKEYS_CLIENT_RANDOM][10], 0xaa);
	snprintf(line, sizeof(line), "SERVER_TRAFFIC_SECRET_0 %s %s",
		 "1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a", "0102");
	assert_int_equal(ADD(line), 1);
	e = ec_tlskeys_find(k, r1);
	assert_int_equal(e->have, (1u << EC_TLSKEYS_CLIENT_RANDOM) | (1u << EC_TLSKEYS_SERVER_APP));
	/* changed */
	snprintf(line, sizeof(line), "SERVER_TRAFFIC_SECRET_0 %s %s",
		 "1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a", "0103");
	assert_int_equal(ADD(line), 1);
	assert_int_equal(ec_tlskeys_find(k, r1)->secret[EC_TLSKEYS_SERVER_APP][1], 3);
	/* known but of no use; unknown; malformed */
	snprintf(line, sizeof(line), "EARLY_EXPORTER_SECRET %s 0102",
		 "2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b");
	assert_int_equal(ADD(line), 0);
	assert_null(ec_tlskeys_find(k, r2));
	assert_int_equal(ADD("NO_SUCH_LABEL 00 00"), EC_ERR_PROTO);
	assert_int_equal(ADD("CLIENT_RANDOM 1a1a 0102"), EC_ERR_PROTO);
	snprintf(line, sizeof(line), "CLIENT_RANDOM %s 010",
		 "2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b");
	assert_int_equal(ADD(line), EC_ERR_PROTO);
	snprintf(line, sizeof(line), "CLIENT_RANDOM %s 01zz",
		 "2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b");
	assert_int_equal(ADD(line), EC_ERR_PROTO);
	snprintf(line, sizeof(line), "CLIENT_RANDOM %s 0102 extra",
		 "2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b");
	assert_int_equal(ADD(line), EC_ERR_PROTO);
	assert_int_equal(ADD("CLIENT_RANDOM"), EC_ERR_PROTO);
	assert_null(ec_tlskeys_find(k, r2));
	/* a third random evicts the oldest (r1), not the newest */
	snprintf(line, sizeof(line), "CLIENT_RANDOM %s 0102",
		 "2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b");
	assert_int_equal(ADD(line), 1);
	snprintf(line, sizeof(line), "CLIENT_HANDSHAKE_TRAFFIC_SECRET %s 0102",
		 "3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c");
	assert_int_equal(ADD(line), 1);
	assert_null(ec_tlskeys_find(k, r1));
	assert_non_null(ec_tlskeys_find(k, r2));
	assert_non_null(ec_tlskeys_find(k, r3));
	assert_int_equal(ec_tlskeys_find(k, r3)->have, 1u << EC_TLSKEYS_CLIENT_HS);
#undef ADD
	ec_tlskeys_free(k);
	assert_null(ec_tlskeys_new(0));
}

static void tls13_suite(const char *suite)
{
	struct opt o = {.suites = suite};
	struct ctxs x;
	struct net n;
	struct ec_tlskeys *k;
	char desc[80];

	g_nlog = 0;
	ctxs_new(&x, &o);
	converse(&n, &x, NULL);
	assert_string_equal(SSL_CIPHER_standard_name(SSL_get_current_cipher(n.c)), suite);
	finish(&n);
	k = keys_from_log(NULL);
	snprintf(desc, sizeof(desc), "TLS 1.3 %s", suite);
	check_all(&n, k, desc);
	ec_tlskeys_free(k);
	net_free(&n);
	ctxs_free(&x);
}

static void test_tls13_aes128gcm(void **state)
{
	(void)state;
	tls13_suite("TLS_AES_128_GCM_SHA256");
}

static void test_tls13_aes256gcm(void **state)
{
	(void)state;
	tls13_suite("TLS_AES_256_GCM_SHA384");
}

static void test_tls13_chacha(void **state)
{
	(void)state;
	tls13_suite("TLS_CHACHA20_POLY1305_SHA256");
}

static void test_tls13_ccm(void **state)
{
	(void)state;
	tls13_suite("TLS_AES_128_CCM_SHA256");
}

static void test_tls13_ccm8(void **state)
{
	(void)state;
	tls13_suite("TLS_AES_128_CCM_8_SHA256");
}

static void tls12_suite(const char *ossl, const char *iana)
{
	struct opt o = {.tls12 = 1, .ciphers = ossl};
	struct ctxs x;
	struct net n;
	struct ec_tlskeys *k;
	char desc[80];

	g_nlog = 0;
	ctxs_new(&x, &o);
	converse(&n, &x, NULL);
	finish(&n);
	k = keys_from_log(NULL);
	snprintf(desc, sizeof(desc), "TLS 1.2 %s", iana);
	check_all(&n, k, desc);
	ec_tlskeys_free(k);
	net_free(&n);
	ctxs_free(&x);
}

static void test_tls12_aes128gcm(void **state)
{
	(void)state;
	tls12_suite("ECDHE-RSA-AES128-GCM-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
}

static void test_tls12_aes256gcm(void **state)
{
	(void)state;
	tls12_suite("ECDHE-RSA-AES256-GCM-SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");
}

static void test_tls12_chacha(void **state)
{
	(void)state;
	tls12_suite("ECDHE-RSA-CHACHA20-POLY1305", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");
}

static void test_tls12_ccm(void **state)
{
	(void)state;
	tls12_suite("AES128-CCM", "TLS_RSA_WITH_AES_128_CCM");
	tls12_suite("AES256-CCM8", "TLS_RSA_WITH_AES_256_CCM_8");
}

static void test_tls12_cbc(void **state)
{
	struct opt o = {.tls12 = 1, .ciphers = "ECDHE-RSA-AES128-SHA256"};
	struct ctxs x;
	struct net n;
	struct ec_tlskeys *k;
	struct feed f = {WHOLE, 0, NULL, -1, 0, 0, 1};
	struct out out;
	struct ec_tlsdec *t;

	(void)state;
	g_nlog = 0;
	ctxs_new(&x, &o);
	SSL_CTX_set_options(x.s, SSL_OP_NO_ENCRYPT_THEN_MAC);
	converse(&n, &x, NULL);
	k = keys_from_log(NULL);
	f.keys = k;
	t = feed(&n, &f, &out, 1 << 20);
	ec_tlsdec_end(t, 99);
	assert_int_equal(ec_tlsdec_state(t), EC_TLSDEC_FAILED);
	assert_true(find_note(&out, "cipher suite 0xc027 not decrypted (CBC)") >= 0);
	assert_true(find_note(&out, "bytes not decrypted") >= 0);
	assert_int_equal(out.plain[0].n + out.plain[1].n, 0);
	ec_tlsdec_free(t);
	out_free(&out);
	ec_tlskeys_free(k);
	net_free(&n);
	ctxs_free(&x);
}

static void test_key_update(void **state)
{
	struct opt o = {.suites = "TLS_AES_256_GCM_SHA384"};
	struct ctxs x;
	struct net n;
	struct ec_tlskeys *k;

	(void)state;
	g_nlog = 0;
	ctxs_new(&x, &o);
	converse(&n, &x, NULL);
	for (int i = 0; i < 3; i++) {
		assert_true(SSL_key_update(n.c, SSL_KEY_UPDATE_NOT_REQUESTED));
		say(&n, 0, "after the client's update", 25);
		say(&n, 1, "server, same keys", 17);
		assert_true(SSL_key_update(n.s, SSL_KEY_UPDATE_REQUESTED));
		say(&n, 1, "after the server's update", 25);
		say(&n, 0, "client, updated on request", 26);
	}
	talk(&n, 3);
	finish(&n);
	k = keys_from_log(NULL);
	check_all(&n, k, "TLS 1.3 TLS_AES_256_GCM_SHA384");
	ec_tlskeys_free(k);
	net_free(&n);
	ctxs_free(&x);
}

/* no handshake secrets: the handshake records are passed over by trial */
static void test_app_secrets_only(void **state)
{
	static const char *const no_hs[] = {"CLIENT_HANDSHAKE_TRAFFIC_SECRET",
					    "SERVER_HANDSHAKE_TRAFFIC_SECRET", NULL};
	struct opt o = {.suites = "TLS_AES_256_GCM_SHA384"};
	struct ctxs x;
	struct net n;
	struct ec_tlskeys *k;

	(void)state;
	g_nlog = 0;
	ctxs_new(&x, &o);
	converse(&n, &x, NULL);
	assert_true(SSL_key_update(n.s, SSL_KEY_UPDATE_REQUESTED));
	say(&n, 1, "updated", 7);
	say(&n, 0, "me too", 6);
	finish(&n);
	k = keys_from_log(no_hs);
	check_all(&n, k, "TLS 1.3 TLS_AES_256_GCM_SHA384");
	ec_tlskeys_free(k);
	net_free(&n);
	ctxs_free(&x);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_many_records(void **state)
{
	struct opt o = {.suites = "TLS_AES_128_GCM_SHA256"};
	struct ctxs x;
	struct net n;
	struct ec_tlskeys *k;
	uint8_t *big = noise(1 << 16, 5);
	size_t total = 0;
	double t0, dt;

	(void)state;
	g_nlog = 0;
	ctxs_new(&x, &o);
	converse(&n, &x, NULL);
	for (size_t i = 0; total < (2u << 20); i++) {
		size_t l = 1 + (i * 7919) % 40000;
		say(&n, 0, big, l);
		say(&n, 1, big + 100, l / 2 + 5000);
		total += l;
	}
	finish(&n);
	k = keys_from_log(NULL);
	for (int how = WHOLE; how <= RANDOM; how += RANDOM) {
		struct feed f = {(enum chunking)how, 0, k, -1, 0, 0, 3};
		struct out out;
		struct ec_tlsdec *t;
		t0 = now();
		t = feed(&n, &f, &out, 1 << 20);
		dt = now() - t0;
		ec_tlsdec_end(t, 1);
		assert_int_equal(out.nnotes, 0);
		expect_all(&n, &out, 0);
		if (how == WHOLE)
			fprintf(stderr, "tlsdec: %.1f MB of ciphertext in %.3f s: %.0f MB/s\n",
				(double)(n.wire[0].n + n.wire[1].n) / 1e6, dt,
				(double)(n.wire[0].n + n.wire[1].n) / 1e6 / dt);
		ec_tlsdec_free(t);
		out_free(&out);
	}
	free(big);
	ec_tlskeys_free(k);
	net_free(&n);
	ctxs_free(&x);
}

/* a first connection for its session, then a resumed one, decrypted */
static void resumed(const struct opt *o, const char *desc)
{
	struct ctxs x;
	struct net n1, n2;
	SSL_SESSION *sess;
	struct ec_tlskeys *k;

	g_nlog = 0;
	ctxs_new(&x, o);
	converse(&n1, &x, NULL);
	sess = SSL_get1_session(n1.c);
	assert_non_null(sess);
	assert_true(SSL_SESSION_is_resumable(sess));
	finish(&n1);
	converse(&n2, &x, sess);
	assert_true(SSL_session_reused(n2.c));
	finish(&n2);
	k = keys_from_log(NULL);
	check_all(&n2, k, desc);
	check_all(&n1, k, desc);
	ec_tlskeys_free(k);
	SSL_SESSION_free(sess);
	net_free(&n1);
	net_free(&n2);
	ctxs_free(&x);
}

static void test_resume_tls12_id(void **state)
{
	struct opt o = {.tls12 = 1, .ciphers = "ECDHE-RSA-AES128-GCM-SHA256", .no_ticket = 1};

	(void)state;
	resumed(&o, "TLS 1.2 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
}

static void test_resume_tls12_ticket(void **state)
{
	struct opt o = {.tls12 = 1, .ciphers = "ECDHE-RSA-CHACHA20-POLY1305"};

	(void)state;
	resumed(&o, "TLS 1.2 TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");
}

static void test_resume_tls13(void **state)
{
	struct opt o = {.suites = "TLS_AES_128_GCM_SHA256"};

	(void)state;
	resumed(&o, "TLS 1.3 TLS_AES_128_GCM_SHA256");
}

static void test_hrr(void **state)
{
	static const uint8_t hrr[32] = {0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11,
					0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
					0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e,
					0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};
	struct opt o = {.suites = "TLS_CHACHA20_POLY1305_SHA256",
			.cgroups = "X25519:P-256",
			.sgroups = "P-256"};
	struct ctxs x;
	struct net n;
	struct ec_tlskeys *k;

	(void)state;
	g_nlog = 0;
	ctxs_new(&x, &o);
	converse(&n, &x, NULL);
	finish(&n);
	/* the server's first message is a HelloRetryRequest */
	assert_true(n.wire[1].n > 11 + 32);
	assert_memory_equal(n.wire[1].p + 11, hrr, 32);
	k = keys_from_log(NULL);
	check_all(&n, k, "TLS 1.3 TLS_CHACHA20_POLY1305_SHA256");
	ec_tlskeys_free(k);
	net_free(&n);
	ctxs_free(&x);
}

static void test_early_data(void **state)
{
	struct opt o = {.suites = "TLS_AES_128_GCM_SHA256", .early = 1};
	static const char *const no_early[] = {"CLIENT_EARLY_TRAFFIC_SECRET", NULL};
	struct ctxs x;
	struct net n1, n;
	SSL_SESSION *sess;
	struct ec_tlskeys *k;
	uint8_t buf[4096];
	size_t w, rd, early_len;
	int r, spins = 0;

	(void)state;
	g_nlog = 0;
	ctxs_new(&x, &o);
	converse(&n1, &x, NULL);
	sess = SSL_get1_session(n1.c);
	assert_true(SSL_SESSION_get_max_early_data(sess) > 0);
	finish(&n1);

	net_open(&n, &x, sess);
	assert_int_equal(SSL_write_early_data(n.c, "early one ", 10, &w), 1);
	assert_int_equal(SSL_write_early_data(n.c, "early two", 9, &w), 1);
	put(&n.sent[0], "early one early two", 19);
	early_len = 19;
	move(&n, 0);
	for (;;) {
		r = SSL_read_early_data(n.s, buf, sizeof(buf), &rd);
		if (r == SSL_READ_EARLY_DATA_SUCCESS) {
			put(&n.got[0], buf, rd);
			continue;
		}
		if (r == SSL_READ_EARLY_DATA_FINISH)
			break;
		ssl_ok(n.s, 0);
		move(&n, 1);
		SSL_do_handshake(n.c);
		move(&n, 0);
		assert_true(++spins < 100);
	}
	assert_int_equal(SSL_get_early_data_status(n.s), SSL_EARLY_DATA_ACCEPTED);
	pump(&n);
	assert_true(SSL_session_reused(n.c));
	talk(&n, 3);
	assert_int_equal(n.got[0].n, n.sent[0].n);
	finish(&n);

	/* with the early secret: everything */
	k = keys_from_log(NULL);
	check_all(&n, k, "TLS 1.3 TLS_AES_128_GCM_SHA256");
	ec_tlskeys_free(k);

	/* without: a note, and the rest */
	k = keys_from_log(no_early);
	for (int how = 0; how < NCHUNK; how++) {
		struct feed f = {(enum chunking)how, 1, k, -1, 0, 0, 11};
		struct out out;
		struct ec_tlsdec *t = feed(&n, &f, &out, 1 << 20);
		int i;
		ec_tlsdec_end(t, 5);
		i = find_note(&out, "0-RTT data not decrypted: no CLIENT_EARLY_TRAFFIC_SECRET");
		assert_true(i >= 0);
		assert_true(out.lost[i] >= early_len);
		assert_int_equal(out.nnotes, 1);
		assert_int_equal(out.plain[1].n, n.sent[0].n - early_len);
		assert_memory_equal(out.plain[1].p, n.sent[0].p + early_len, out.plain[1].n);
		assert_int_equal(out.plain[0].n, n.sent[1].n);
		assert_memory_equal(out.plain[0].p, n.sent[1].p, n.sent[1].n);
		ec_tlsdec_free(t);
		out_free(&out);
	}
	ec_tlskeys_free(k);
	SSL_SESSION_free(sess);
	net_free(&n1);
	net_free(&n);
	ctxs_free(&x);
}

static void keys_late(const struct opt *o)
{
	static const char *const hs_only[] = {"CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0",
					      NULL};
	struct ctxs x;
	struct net n;
	struct ec_tlskeys *k, *part;
	struct feed f = {RANDOM, 0, NULL, -1, 0, 0, 5};
	struct out out;
	struct ec_tlsdec *t;

	g_nlog = 0;
	ctxs_new(&x, o);
	converse(&n, &x, NULL);
	finish(&n);
	k = keys_from_log(NULL);
	part = keys_from_log(hs_only);
	t = feed(&n, &f, &out, 1 << 20);
	assert_int_equal(ec_tlsdec_state(t), EC_TLSDEC_NEED_KEYS);
	assert_int_equal(out.plain[0].n + out.plain[1].n, 0);
	if (!o->tls12) {
		/* the handshake secrets only: still waiting */
		ec_tlsdec_keys(t, ec_tlskeys_find(part, ec_tlsdec_client_random(t)));
		assert_int_equal(ec_tlsdec_state(t), EC_TLSDEC_NEED_KEYS);
		assert_int_equal(out.plain[0].n + out.plain[1].n, 0);
	}
	ec_tlsdec_keys(t, ec_tlskeys_find(k, ec_tlsdec_client_random(t)));
	assert_int_equal(ec_tlsdec_state(t), EC_TLSDEC_DECRYPTING);
	ec_tlsdec_end(t, 9);
	assert_int_equal(out.nnotes, 0);
	expect_all(&n, &out, 0);
	ec_tlsdec_free(t);
	out_free(&out);
	ec_tlskeys_free(k);
	ec_tlskeys_free(part);
	net_free(&n);
	ctxs_free(&x);
}

static void test_keys_late_tls13(void **state)
{
	struct opt o = {.suites = "TLS_AES_128_CCM_SHA256"};

	(void)state;
	keys_late(&o);
}

static void test_keys_late_tls12(void **state)
{
	struct opt o = {.tls12 = 1, .ciphers = "ECDHE-RSA-AES256-GCM-SHA384"};

	(void)state;
	keys_late(&o);
}

static void test_keys_never(void **state)
{
	struct opt o = {.suites = "TLS_AES_128_GCM_SHA256"};
	struct ctxs x;
	struct net n;
	struct feed f = {WHOLE, 0, NULL, -1, 0, 0, 5};
	struct out out;
	struct ec_tlsdec *t;
	char want[200];
	int i;

	(void)state;
	g_nlog = 0;
	ctxs_new(&x, &o);
	converse(&n, &x, NULL);
	finish(&n);
	t = feed(&n, &f, &out, 1 << 20);
	assert_int_equal(ec_tlsdec_state(t), EC_TLSDEC_NEED_KEYS);
	assert_int_equal(out.nnotes, 0);
	ec_tlsdec_end(t, 9);
	assert_int_equal(out.nnotes, 1);
	strcpy(want, "no keys for client random ");
	for (int j = 0; j < 32; j++)
		sprintf(want + strlen(want), "%02x", ec_tlsdec_client_random(t)[j]);
	strcat(want, " (TLS 1.3 TLS_AES_128_GCM_SHA256): ");
	i = find_note(&out, want);
	assert_int_equal(i, 0);
	assert_true(out.lost[0] > n.sent[0].n + n.sent[1].n);
	assert_int_equal(out.plain[0].n + out.plain[1].n, 0);
	ec_tlsdec_end(t, 10); /* once */
	assert_int_equal(out.nnotes, 1);
	ec_tlsdec_free(t);
	out_free(&out);
	net_free(&n);
	ctxs_free(&x);
}

/* what came out of a direction is a tail of what was sent */
static void expect_tail(const struct buf *got, const struct buf *sent)
{
	assert_true(got->n <= sent->n);
	if (got->n)
		assert_memory_equal(got->p, sent->p + sent->n - got->n, got->n);
}

static void test_max_held(void **state)
{
	struct opt o = {.suites = "TLS_AES_128_GCM_SHA256"};
	struct ctxs x;
	struct net n;
	struct ec_tlskeys *k;
	struct feed f = {WHOLE, 0, NULL, -1, 0, 0, 5};
	struct out out;
	struct ec_tlsdec *t;
	int i;

	(void)state;
	g_nlog = 0;
	ctxs_new(&x, &o);
	converse(&n, &x, NULL);
	finish(&n);
	k = keys_from_log(NULL);
	t = feed(&n, &f, &out, 30000);
	assert_int_equal(out.nnotes, 0);
	ec_tlsdec_keys(t, ec_tlskeys_find(k, ec_tlsdec_client_random(t)));
	ec_tlsdec_end(t, 9);
	i = find_note(&out, "dropped while waiting for keys (max_held)");
	assert_true(i >= 0);
	assert_true(out.lost[i] > 0);
	/* the records kept decrypt: a tail of each direction */
	expect_tail(&out.plain[0], &n.sent[0]);
	expect_tail(&out.plain[1], &n.sent[1]);
	assert_true(out.plain[1].n > 0);
	assert_true(out.plain[1].n < n.sent[1].n);
	assert_true(out.plain[0].n + out.plain[1].n < 30000);
	ec_tlsdec_free(t);
	out_free(&out);
	ec_tlskeys_free(k);
	net_free(&n);
	ctxs_free(&x);
}

/* got is a head of sent, then a tail of it, with something missing between */
static void expect_hole(const struct buf *got, const struct buf *sent)
{
	size_t a = 0, rest;

	assert_true(got->n < sent->n);
	while (a < got->n && got->p[a] == sent->p[a])
		a++;
	rest = got->n - a;
	assert_true(rest > 0); /* records after the hole came out */
	assert_memory_equal(got->p + a, sent->p + sent->n - rest, rest);
}

static void big_server(struct net *n)
{
	uint8_t *big = noise(300000, 77);

	for (size_t off = 0; off < 300000; off += 10000)
		say(n, 1, big + off, 10000);
	free(big);
	say(n, 0, "bye", 3);
}

static void gap(const struct opt *o, size_t lost)
{
	struct ctxs x;
	struct net n;
	struct ec_tlskeys *k;
	struct out out;
	struct ec_tlsdec *t;
	int i;

	g_nlog = 0;
	ctxs_new(&x, o);
	converse(&n, &x, NULL);
	big_server(&n);
	finish(&n);
	k = keys_from_log(NULL);
	for (int how = 0; how < NCHUNK; how += 2) {
		struct feed f = {(enum chunking)how, 1, k, 1, n.wire[1].n / 2 + 123, lost, 9};
		t = feed(&n, &f, &out, 1 << 20);
		ec_tlsdec_end(t, 9);
		i = find_note(&out, " bytes lost, ");
		if (i < 0)
			fail_msg("no resynchronisation note (%d notes: %s)", out.nnotes,
				 out.nnotes ? out.notes[0] : "");
		assert_true(out.lost[i] >= lost);
		assert_int_equal(out.nnotes, 1);
		expect_hole(&out.plain[0], &n.sent[1]);
		assert_int_equal(out.plain[1].n, n.sent[0].n);
		assert_memory_equal(out.plain[1].p, n.sent[0].p, n.sent[0].n);
		ec_tlsdec_free(t);
		out_free(&out);
	}
	ec_tlskeys_free(k);
	net_free(&n);
	ctxs_free(&x);
}

static void test_gap_tls13(void **state)
{
	struct opt o = {.suites = "TLS_AES_256_GCM_SHA384"};

	(void)state;
	gap(&o, 40000);
	gap(&o, 7);
}

static void test_gap_tls12(void **state)
{
	struct opt o = {.tls12 = 1, .ciphers = "ECDHE-RSA-AES128-GCM-SHA256"};

	(void)state;
	gap(&o, 25000);
}

static void test_gap_give_up(void **state)
{
	struct opt o = {.suites = "TLS_AES_128_GCM_SHA256"};
	struct ctxs x;
	struct net n;
	struct ec_tlskeys *k;
	struct out out;
	struct ec_tlsdec *t;
	struct feed f = {WHOLE, 0, NULL, 1, 0, 100, 9};

	(void)state;
	g_nlog = 0;
	ctxs_new(&x, &o);
	converse(&n, &x, NULL);
	big_server(&n);
	finish(&n);
	k = keys_from_log(NULL);
	f.keys = k;
	f.gap_off = n.wire[1].n / 2;
	/* every record after the gap damaged (its header intact): nothing
	 * authenticates, the server's direction is given up */
	for (size_t off = 0; off + 5 <= n.wire[1].n;) {
		size_t l = (size_t)n.wire[1].p[off + 3] << 8 | n.wire[1].p[off + 4];
		if (off > f.gap_off && l > 20)
			n.wire[1].p[off + 5 + 10] ^= 0x55;
		off += 5 + l;
	}
	t = feed(&n, &f, &out, 1 << 20);
	ec_tlsdec_end(t, 9);
	assert_true(find_note(&out, "no record authenticated") >= 0);
	assert_int_equal(find_note(&out, " bytes lost, "), -1);
	assert_int_equal(out.plain[0].n, n.sent[0].n); /* the client side goes on */
	assert_memory_equal(out.plain[0].p, n.sent[0].p, n.sent[0].n);
	assert_true(out.plain[1].n < n.sent[1].n);
	assert_memory_equal(out.plain[1].p, n.sent[1].p, out.plain[1].n);
	ec_tlsdec_free(t);
	out_free(&out);
	ec_tlskeys_free(k);
	net_free(&n);
	ctxs_free(&x);
}

static void test_flipped_bit(void **state)
{
	struct opt o = {.suites = "TLS_AES_128_GCM_SHA256"};
	struct ctxs x;
	struct net n;
	struct ec_tlskeys *k;
	struct feed f = {RANDOM, 0, NULL, -1, 0, 0, 9};
	struct out out;
	struct ec_tlsdec *t;
	size_t off = 0, nrec = 0, target = 0;
	int i;

	(void)state;
	g_nlog = 0;
	ctxs_new(&x, &o);
	converse(&n, &x, NULL);
	big_server(&n);
	finish(&n);
	k = keys_from_log(NULL);
	f.keys = k;
	/* a record of big_server's, 10 before the server's last */
	for (int pass = 0; pass < 2; pass++) {
		size_t i = 0;
		for (off = 0; off + 5 <= n.wire[1].n; i++) {
			if (pass && i + 10 == nrec)
				target = off;
			off += 5 + ((size_t)n.wire[1].p[off + 3] << 8 | n.wire[1].p[off + 4]);
		}
		nrec = i;
	}
	assert_true(target > 0);
	n.wire[1].p[target + 5 + 100] ^= 0x04;
	t = feed(&n, &f, &out, 1 << 20);
	ec_tlsdec_end(t, 9);
	i = find_note(&out, "from the server did not authenticate");
	assert_true(i >= 0);
	assert_true(out.lost[i] > 100);
	assert_int_equal(out.nnotes, 1);
	expect_hole(&out.plain[1], &n.sent[1]);
	assert_int_equal(out.plain[1].n + 10000, n.sent[1].n);
	/* the client side, untouched */
	assert_int_equal(out.plain[0].n, n.sent[0].n);
	assert_memory_equal(out.plain[0].p, n.sent[0].p, n.sent[0].n);
	ec_tlsdec_free(t);
	out_free(&out);
	ec_tlskeys_free(k);
	net_free(&n);
	ctxs_free(&x);
}

static void test_not_tls(void **state)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: example\r\n\r\n";
	struct out out;
	struct ec_tlsdec *t;

	(void)state;
	memset(&out, 0, sizeof(out));
	t = ec_tlsdec_new(&cbs, &out, 1 << 16);
	assert_int_equal(ec_tlsdec_state(t), EC_TLSDEC_START);
	assert_null(ec_tlsdec_client_random(t));
	assert_int_equal(ec_tlsdec_client_dir(t), -1);
	assert_string_equal(ec_tlsdec_describe(t), "");
	ec_tlsdec_data(t, 0, (const uint8_t *)req, 3, 1);
	assert_int_equal(ec_tlsdec_state(t), EC_TLSDEC_START);
	ec_tlsdec_data(t, 0, (const uint8_t *)req + 3, sizeof(req) - 4, 1);
	assert_int_equal(ec_tlsdec_state(t), EC_TLSDEC_NOT_TLS);
	assert_int_equal(out.nnotes, 1);
	assert_true(find_note(&out, "not TLS") == 0);
	ec_tlsdec_data(t, 1, (const uint8_t *)"HTTP/1.1 200 OK\r\n", 17, 2);
	ec_tlsdec_gap(t, 1, 10, 3);
	ec_tlsdec_end(t, 4);
	assert_int_equal(out.nnotes, 1);
	assert_int_equal(out.plain[0].n + out.plain[1].n, 0);
	ec_tlsdec_free(t);
	out_free(&out);
}

/* EC_TLSDEC_CORPUS=dir: small real connections as fuzz_tlsdec seeds */
static void test_corpus(void **state)
{
	static const struct {
		const char *name;
		struct opt o;
	} cases[] = {
	    {"tls13_aes128gcm", {.suites = "TLS_AES_128_GCM_SHA256"}},
	    {"tls13_ccm8", {.suites = "TLS_AES_128_CCM_8_SHA256"}},
	    {"tls13_chacha_hrr",
	     {.suites = "TLS_CHACHA20_POLY1305_SHA256",
	      .cgroups = "X25519:P-256",
	      .sgroups = "P-256"}},
	    {"tls12_aes256gcm", {.tls12 = 1, .ciphers = "ECDHE-RSA-AES256-GCM-SHA384"}},
	    {"tls12_chacha", {.tls12 = 1, .ciphers = "ECDHE-RSA-CHACHA20-POLY1305"}},
	};
	struct ctxs x;
	struct net n;

	(void)state;
	if (!getenv("EC_TLSDEC_CORPUS"))
		skip();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		g_nlog = 0;
		ctxs_new(&x, &cases[i].o);
		net_open(&n, &x, NULL);
		pump(&n);
		talk(&n, 2);
		if (!cases[i].o.tls12) {
			assert_true(SSL_key_update(n.c, SSL_KEY_UPDATE_REQUESTED));
			say(&n, 0, "after a key update", 18);
			say(&n, 1, "and the server's", 16);
		}
		finish(&n);
		dump_corpus(cases[i].name, &n);
		net_free(&n);
		ctxs_free(&x);
	}
}

static int setup(void **state)
{
	X509_NAME *name;

	(void)state;
	g_key = EVP_RSA_gen(2048);
	g_cert = X509_new();
	if (!g_key || !g_cert)
		return -1;
	X509_set_version(g_cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(g_cert), 1);
	X509_gmtime_adj(X509_getm_notBefore(g_cert), 0);
	X509_gmtime_adj(X509_getm_notAfter(g_cert), 3600);
	X509_set_pubkey(g_cert, g_key);
	name = X509_get_subject_name(g_cert);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"ec-test", -1,
				   -1, 0);
	X509_set_issuer_name(g_cert, name);
	return X509_sign(g_cert, g_key, EVP_sha256()) > 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	X509_free(g_cert);
	EVP_PKEY_free(g_key);
	return 0;
}

int main(void)
{
	// clang-format off
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys_table),
		cmocka_unit_test(test_tls13_aes128gcm),
		cmocka_unit_test(test_tls13_aes256gcm),
		cmocka_unit_test(test_tls13_chacha),
		cmocka_unit_test(test_tls13_ccm),
		cmocka_unit_test(test_tls13_ccm8),
		cmocka_unit_test(test_tls12_aes128gcm),
		cmocka_unit_test(test_tls12_aes256gcm),
		cmocka_unit_test(test_tls12_chacha),
		cmocka_unit_test(test_tls12_ccm),
		cmocka_unit_test(test_tls12_cbc),
		cmocka_unit_test(test_key_update),
		cmocka_unit_test(test_app_secrets_only),
		cmocka_unit_test(test_many_records),
		cmocka_unit_test(test_resume_tls12_id),
		cmocka_unit_test(test_resume_tls12_ticket),
		cmocka_unit_test(test_resume_tls13),
		cmocka_unit_test(test_hrr),
		cmocka_unit_test(test_early_data),
		cmocka_unit_test(test_keys_late_tls13),
		cmocka_unit_test(test_keys_late_tls12),
		cmocka_unit_test(test_keys_never),
		cmocka_unit_test(test_max_held),
		cmocka_unit_test(test_gap_tls13),
		cmocka_unit_test(test_gap_tls12),
		cmocka_unit_test(test_gap_give_up),
		cmocka_unit_test(test_flipped_bit),
		cmocka_unit_test(test_not_tls),
		cmocka_unit_test(test_corpus),
	};
	// clang-format on
	return cmocka_run_group_tests_name("tlsdec", tests, setup, teardown);
}
