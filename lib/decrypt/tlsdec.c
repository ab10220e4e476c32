// SPDX-License-Identifier: GPL-2.0-only
/*
 * TLS decryption of one connection (tlsdec.h). Each direction is framed into
 * records; a record is either processed now or held in one queue shared by
 * both directions (so their order survives) until what it needs arrives: the
 * ServerHello or the secrets. A direction's next record is decrypted with the
 * key of its current epoch (TLS 1.3: early, handshake, application and its
 * KeyUpdate generations; TLS 1.2: the key block after ChangeCipherSpec), and
 * when that fails, by trial with the later epochs, which covers lost
 * handshake secrets, lost KeyUpdates and the resynchronisation after a gap.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "tlsdec.h"

#define HDR 5
#define REC_MAX (16384 + 2048)	       /* TLSCiphertext.length limit (RFC 5246 6.2.3) */
#define HS_MAX (1 << 17)	       /* a larger handshake message is skipped, not kept */
#define TRIALS 4096		       /* decryptions tried per record when resynchronising */
#define BUDGET (4 * TRIALS)	       /* and for one resynchronisation in all */
#define SCAN_MAX (2 * (HDR + REC_MAX)) /* a real header must be within this after a gap */

enum aead { A_GCM, A_CHACHA, A_CCM, A_CBC };

struct suite {
	uint16_t id;
	uint8_t tls13, aead, keylen, taglen, sha384;
	const char *name;
};

static const struct suite suites[] = {
    {0x1301, 1, A_GCM, 16, 16, 0, "TLS_AES_128_GCM_SHA256"},
    {0x1302, 1, A_GCM, 32, 16, 1, "TLS_AES_256_GCM_SHA384"},
    {0x1303, 1, A_CHACHA, 32, 16, 0, "TLS_CHACHA20_POLY1305_SHA256"},
    {0x1304, 1, A_CCM, 16, 16, 0, "TLS_AES_128_CCM_SHA256"},
    {0x1305, 1, A_CCM, 16, 8, 0, "TLS_AES_128_CCM_8_SHA256"},
    {0x009c, 0, A_GCM, 16, 16, 0, "TLS_RSA_WITH_AES_128_GCM_SHA256"},
    {0x009d, 0, A_GCM, 32, 16, 1, "TLS_RSA_WITH_AES_256_GCM_SHA384"},
    {0x009e, 0, A_GCM, 16, 16, 0, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"},
    {0x009f, 0, A_GCM, 32, 16, 1, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"},
    {0x00a2, 0, A_GCM, 16, 16, 0, "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256"},
    {0x00a3, 0, A_GCM, 32, 16, 1, "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384"},
    {0xc02b, 0, A_GCM, 16, 16, 0, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
    {0xc02c, 0, A_GCM, 32, 16, 1, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
    {0xc02d, 0, A_GCM, 16, 16, 0, "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256"},
    {0xc02e, 0, A_GCM, 32, 16, 1, "TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384"},
    {0xc02f, 0, A_GCM, 16, 16, 0, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
    {0xc030, 0, A_GCM, 32, 16, 1, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
    {0xc031, 0, A_GCM, 16, 16, 0, "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256"},
    {0xc032, 0, A_GCM, 32, 16, 1, "TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384"},
    {0xcca8, 0, A_CHACHA, 32, 16, 0, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
    {0xcca9, 0, A_CHACHA, 32, 16, 0, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
    {0xccaa, 0, A_CHACHA, 32, 16, 0, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
    {0xc09c, 0, A_CCM, 16, 16, 0, "TLS_RSA_WITH_AES_128_CCM"},
    {0xc09d, 0, A_CCM, 32, 16, 0, "TLS_RSA_WITH_AES_256_CCM"},
    {0xc09e, 0, A_CCM, 16, 16, 0, "TLS_DHE_RSA_WITH_AES_128_CCM"},
    {0xc09f, 0, A_CCM, 32, 16, 0, "TLS_DHE_RSA_WITH_AES_256_CCM"},
    {0xc0a0, 0, A_CCM, 16, 8, 0, "TLS_RSA_WITH_AES_128_CCM_8"},
    {0xc0a1, 0, A_CCM, 32, 8, 0, "TLS_RSA_WITH_AES_256_CCM_8"},
    {0xc0a2, 0, A_CCM, 16, 8, 0, "TLS_DHE_RSA_WITH_AES_128_CCM_8"},
    {0xc0a3, 0, A_CCM, 32, 8, 0, "TLS_DHE_RSA_WITH_AES_256_CCM_8"},
    {0xc0ac, 0, A_CCM, 16, 16, 0, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM"},
    {0xc0ad, 0, A_CCM, 32, 16, 0, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM"},
    {0xc0ae, 0, A_CCM, 16, 8, 0, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8"},
    {0xc0af, 0, A_CCM, 32, 8, 0, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8"},
    /* named only for the notes: MAC-then-encrypt is not decrypted */
    {0x000a, 0, A_CBC, 0, 0, 0, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"},
    {0x002f, 0, A_CBC, 0, 0, 0, "TLS_RSA_WITH_AES_128_CBC_SHA"},
    {0x0033, 0, A_CBC, 0, 0, 0, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"},
    {0x0035, 0, A_CBC, 0, 0, 0, "TLS_RSA_WITH_AES_256_CBC_SHA"},
    {0x0039, 0, A_CBC, 0, 0, 0, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"},
    {0x003c, 0, A_CBC, 0, 0, 0, "TLS_RSA_WITH_AES_128_CBC_SHA256"},
    {0x003d, 0, A_CBC, 0, 0, 0, "TLS_RSA_WITH_AES_256_CBC_SHA256"},
    {0x0067, 0, A_CBC, 0, 0, 0, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256"},
    {0x006b, 0, A_CBC, 0, 0, 0, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256"},
    {0xc009, 0, A_CBC, 0, 0, 0, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"},
    {0xc00a, 0, A_CBC, 0, 0, 0, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"},
    {0xc013, 0, A_CBC, 0, 0, 0, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"},
    {0xc014, 0, A_CBC, 0, 0, 0, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"},
    {0xc023, 0, A_CBC, 0, 0, 0, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"},
    {0xc024, 0, A_CBC, 0, 0, 0, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384"},
    {0xc027, 0, A_CBC, 0, 0, 0, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"},
    {0xc028, 0, A_CBC, 0, 0, 0, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"},
};

/* libcrypto's algorithms, fetched once per process */
enum { C_GCM128, C_GCM256, C_CHACHA, C_CCM128, C_CCM256, NCIPHER };
static EVP_CIPHER *ciphers[NCIPHER];
static EVP_KDF *kdf_hkdf, *kdf_prf;
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;

static void fetch_all(void)
{
	static const char *names[NCIPHER] = {"AES-128-GCM", "AES-256-GCM", "ChaCha20-Poly1305",
					     "AES-128-CCM", "AES-256-CCM"};

	for (int i = 0; i < NCIPHER; i++)
		ciphers[i] = EVP_CIPHER_fetch(NULL, names[i], NULL);
	kdf_hkdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	kdf_prf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
}

static EVP_CIPHER *suite_cipher(const struct suite *s)
{
	switch (s->aead) {
	case A_GCM:
		return ciphers[s->keylen == 16 ? C_GCM128 : C_GCM256];
	case A_CHACHA:
		return ciphers[C_CHACHA];
	case A_CCM:
		return ciphers[s->keylen == 16 ? C_CCM128 : C_CCM256];
	}
	return NULL;
}

/* key epochs of a direction */
enum { EP_EARLY, EP_HS, EP_APP, EP_NEXT, NEP };

struct key {
	EVP_CIPHER_CTX *ctx; /* kept across epochs: only re-keyed */
	uint8_t iv[12];	     /* TLS 1.2 GCM/CCM: the 4-byte salt */
	uint64_t seq;
	int ready;
};

enum { R_DONE, R_WAIT, R_FAIL };

struct dir {
	uint8_t *in; /* a partial record (or, after a gap, the bytes being scanned) */
	size_t in_len, in_cap;
	int64_t in_ts;
	uint8_t *hs; /* a partial handshake message */
	size_t hs_len, hs_cap;
	uint32_t hs_skip; /* bytes of a too large message still to skip */
	uint8_t *out;	  /* one record's plaintext */
	int ep;		  /* the epoch of the next record */
	struct key k[NEP];
	uint8_t app_secret[48], next_secret[48]; /* TLS 1.3 generation n and n+1 */
	int ccs;				 /* TLS 1.2: ChangeCipherSpec seen */
	int nch;				 /* ClientHellos sent */
	int dead;				 /* given up: the note said why */
	size_t nheld;				 /* records in the queue */
	/* after a gap or dropped records: the next record's sequence number is
	 * seq + [0, rs_hi], most likely seq + rs_k0 */
	int rs, scan;
	uint64_t rs_hi, rs_k0, rs_seq, scan_lost, scanned;
	uint32_t budget;	  /* decryptions left for that search: hostile bytes stay cheap */
	uint64_t recs, rec_bytes; /* records decrypted, for their mean size */
	uint64_t undone;	  /* ciphertext bytes never decrypted, not yet in a note */
	uint64_t early_lost;	  /* 0-RTT bytes skipped, not yet in a note */
	uint64_t dropped, dropped_bytes; /* held records dropped, not yet in a note */
};

struct qhdr {
	int64_t ts;
	uint32_t len;
	int32_t dir;
};

struct ec_tlsdec {
	struct ec_tlsdec_cb cb;
	void *ctx;
	size_t max_held;
	enum ec_tlsdec_state state;
	int client_dir, have_random, seen_record, ended;
	int early_offered, hrr, have_sh;
	uint16_t version;
	const struct suite *suite; /* NULL: not decrypted */
	uint8_t crandom[32], srandom[32];
	int have_keys;
	struct ec_tlskeys_entry keys;
	struct dir d[2];
	uint8_t *q; /* held records: struct qhdr then the record, 8-aligned */
	size_t q_off, q_len, q_cap, q_bytes;
	char desc[80];
};

static void note(struct ec_tlsdec *t, int dir, uint64_t lost, int64_t ts, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void note(struct ec_tlsdec *t, int dir, uint64_t lost, int64_t ts, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (t->cb.note)
		t->cb.note(t->ctx, dir, buf, lost, ts);
}

static const char *who(const struct ec_tlsdec *t, int dir)
{
	return dir == t->client_dir ? "client" : "server";
}

static int is13(const struct ec_tlsdec *t)
{
	return t->version >= 0x0304;
}

static int grow(uint8_t **p, size_t *cap, size_t need)
{
	size_t c = *cap ? *cap : 256;
	uint8_t *n;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	n = realloc(*p, c);
	if (!n)
		return -1;
	*p = n;
	*cap = c;
	return 0;
}

static void give_up(struct ec_tlsdec *t, int dir)
{
	t->d[dir].dead = 1;
	if (t->d[!dir].dead && t->state != EC_TLSDEC_NOT_TLS)
		t->state = EC_TLSDEC_FAILED;
}

static void fail(struct ec_tlsdec *t)
{
	t->d[0].dead = t->d[1].dead = 1;
	t->state = EC_TLSDEC_FAILED;
}

static void hex(char *out, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* --- key derivation --- */

static int hkdf_label(const char *digest, const uint8_t *secret, size_t slen, const char *label,
		      uint8_t *out, size_t olen)
{
	uint8_t info[2 + 1 + 255 + 1];
	size_t ll = strlen(label), n = 0;
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY, rc;
	OSSL_PARAM params[5];
	EVP_KDF_CTX *kctx;

	/* HkdfLabel (RFC 8446 7.1): length, "tls13 " label, empty context */
	info[n++] = (uint8_t)(olen >> 8);
	info[n++] = (uint8_t)olen;
	info[n++] = (uint8_t)(6 + ll);
	memcpy(info + n, "tls13 ", 6);
	memcpy(info + n + 6, label, ll);
	n += 6 + ll;
	info[n++] = 0;
	if (!kdf_hkdf || !(kctx = EVP_KDF_CTX_new(kdf_hkdf)))
		return -1;
	params[0] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	params[1] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)digest, 0);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)secret, slen);
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, n);
	params[4] = OSSL_PARAM_construct_end();
	rc = EVP_KDF_derive(kctx, out, olen, params) == 1 ? 0 : -1;
	EVP_KDF_CTX_free(kctx);
	return rc;
}

static int tls12_prf(const char *digest, const uint8_t *master, size_t mlen, const uint8_t *seed,
		     size_t slen, uint8_t *out, size_t olen)
{
	OSSL_PARAM params[4];
	EVP_KDF_CTX *kctx;
	int rc;

	if (!kdf_prf || !(kctx = EVP_KDF_CTX_new(kdf_prf)))
		return -1;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)digest, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, (void *)master, mlen);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, (void *)seed, slen);
	params[3] = OSSL_PARAM_construct_end();
	rc = EVP_KDF_derive(kctx, out, olen, params) == 1 ? 0 : -1;
	EVP_KDF_CTX_free(kctx);
	return rc;
}

static int key_set(const struct suite *s, struct key *k, const uint8_t *key, const uint8_t *iv,
		   size_t ivlen)
{
	EVP_CIPHER *c = suite_cipher(s);

	if (!c)
		return -1;
	if (!k->ctx && !(k->ctx = EVP_CIPHER_CTX_new()))
		return -1;
	if (EVP_DecryptInit_ex(k->ctx, c, NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(k->ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) != 1)
		return -1;
	/* CCM fixes its tag length with the key */
	if (s->aead == A_CCM &&
	    EVP_CIPHER_CTX_ctrl(k->ctx, EVP_CTRL_AEAD_SET_TAG, s->taglen, NULL) != 1)
		return -1;
	if (EVP_DecryptInit_ex(k->ctx, NULL, NULL, key, NULL) != 1)
		return -1;
	memcpy(k->iv, iv, ivlen);
	k->seq = 0;
	k->ready = 1;
	return 0;
}

static size_t hash_len(const struct suite *s)
{
	return s->sha384 ? 48 : 32;
}

static const char *digest_name(const struct suite *s)
{
	return s->sha384 ? "SHA384" : "SHA256";
}

static int key13(const struct suite *s, struct key *k, const uint8_t *secret)
{
	uint8_t key[32], iv[12];
	int rc;

	if (hkdf_label(digest_name(s), secret, hash_len(s), "key", key, s->keylen) ||
	    hkdf_label(digest_name(s), secret, hash_len(s), "iv", iv, 12))
		return -1;
	rc = key_set(s, k, key, iv, 12);
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

/* TLS 1.2: both directions' keys from the master secret */
static int keys12(struct ec_tlsdec *t, const uint8_t *master, size_t mlen)
{
	const struct suite *s = t->suite;
	uint8_t seed[13 + 64], kb[2 * 32 + 2 * 12];
	size_t ivlen = s->aead == A_CHACHA ? 12 : 4, kl = s->keylen;
	int c = t->client_dir, rc;

	memcpy(seed, "key expansion", 13);
	memcpy(seed + 13, t->srandom, 32);
	memcpy(seed + 45, t->crandom, 32);
	/* key_block: client key, server key, client IV, server IV (no MAC keys) */
	if (tls12_prf(digest_name(s), master, mlen, seed, sizeof(seed), kb, 2 * kl + 2 * ivlen))
		return -1;
	rc = key_set(s, &t->d[c].k[EP_APP], kb, kb + 2 * kl, ivlen) ||
	     key_set(s, &t->d[!c].k[EP_APP], kb + kl, kb + 2 * kl + ivlen, ivlen);
	OPENSSL_cleanse(kb, sizeof(kb));
	return rc ? -1 : 0;
}

/* Whether epoch e of dir has its key: 1 ready, 0 secret not known (yet), -1
 * unusable (noted, direction given up). */
static int key_get(struct ec_tlsdec *t, int dir, int e, int64_t ts)
{
	struct dir *d = &t->d[dir];
	const struct ec_tlskeys_entry *k = &t->keys;
	int client = dir == t->client_dir, label;
	size_t hl = hash_len(t->suite);

	if (d->k[e].ready)
		return 1;
	if (!t->have_keys)
		return 0;
	if (!is13(t)) {
		if (e != EP_APP || !(k->have & (1u << EC_TLSKEYS_CLIENT_RANDOM)))
			return 0;
		if (k->len[EC_TLSKEYS_CLIENT_RANDOM] != 48) {
			note(t, dir, 0, ts, "CLIENT_RANDOM master secret of %u bytes, not 48",
			     k->len[EC_TLSKEYS_CLIENT_RANDOM]);
			fail(t);
			return -1;
		}
		if (keys12(t, k->secret[EC_TLSKEYS_CLIENT_RANDOM], 48))
			goto bad;
		return 1;
	}
	if (e == EP_NEXT) {
		if (!d->k[EP_APP].ready)
			return 0;
		if (hkdf_label(digest_name(t->suite), d->app_secret, hl, "traffic upd",
			       d->next_secret, hl) ||
		    key13(t->suite, &d->k[EP_NEXT], d->next_secret))
			goto bad;
		return 1;
	}
	if (e == EP_EARLY)
		label = client ? EC_TLSKEYS_CLIENT_EARLY : -1;
	else if (e == EP_HS)
		label = client ? EC_TLSKEYS_CLIENT_HS : EC_TLSKEYS_SERVER_HS;
	else
		label = client ? EC_TLSKEYS_CLIENT_APP : EC_TLSKEYS_SERVER_APP;
	if (label < 0 || !(k->have & (1u << label)))
		return 0;
	if (k->len[label] != hl) {
		note(t, dir, 0, ts, "a %u-byte traffic secret for %s: not decrypted", k->len[label],
		     t->suite->name);
		give_up(t, dir);
		return -1;
	}
	if (key13(t->suite, &d->k[e], k->secret[label]))
		goto bad;
	if (e == EP_APP)
		memcpy(d->app_secret, k->secret[label], hl);
	return 1;
bad:
	note(t, dir, 0, ts, "libcrypto could not derive the keys of %s", t->suite->name);
	fail(t);
	return -1;
}

/* --- AEAD --- */

/* Decrypt body (len bytes) of record hdr with k at sequence seq into out;
 * the plaintext length, or -1 when it does not authenticate. */
static long aead_open(const struct ec_tlsdec *t, const struct key *k, uint64_t seq,
		      const uint8_t *hdr, const uint8_t *body, size_t len, uint8_t *out)
{
	const struct suite *s = t->suite;
	size_t tl = s->taglen, expl = 0;
	uint8_t nonce[12], aad[13];
	size_t aadlen, ctlen;
	int l;

	if (!is13(t) && s->aead != A_CHACHA)
		expl = 8; /* TLS 1.2 GCM and CCM: an explicit nonce before the ciphertext */
	if (len < expl + tl)
		return -1;
	ctlen = len - expl - tl;
	if (expl) {
		memcpy(nonce, k->iv, 4);
		memcpy(nonce + 4, body, 8);
	} else {
		memcpy(nonce, k->iv, 12);
		for (int i = 0; i < 8; i++)
			nonce[4 + i] ^= (uint8_t)(seq >> (56 - 8 * i));
	}
	if (is13(t)) {
		memcpy(aad, hdr, HDR);
		aadlen = HDR;
	} else {
		for (int i = 0; i < 8; i++)
			aad[i] = (uint8_t)(seq >> (56 - 8 * i));
		aad[8] = hdr[0];
		aad[9] = hdr[1];
		aad[10] = hdr[2];
		aad[11] = (uint8_t)(ctlen >> 8);
		aad[12] = (uint8_t)ctlen;
		aadlen = 13;
	}
	if (EVP_DecryptInit_ex(k->ctx, NULL, NULL, NULL, nonce) != 1 ||
	    EVP_CIPHER_CTX_ctrl(k->ctx, EVP_CTRL_AEAD_SET_TAG, (int)tl,
				(void *)(body + len - tl)) != 1)
		return -1;
	if (s->aead == A_CCM) {
		/* CCM authenticates within the last update and needs the length first */
		if (EVP_DecryptUpdate(k->ctx, NULL, &l, NULL, (int)ctlen) != 1 ||
		    EVP_DecryptUpdate(k->ctx, NULL, &l, aad, (int)aadlen) != 1 ||
		    EVP_DecryptUpdate(k->ctx, out, &l, body + expl, (int)ctlen) != 1)
			return -1;
		return (long)ctlen;
	}
	if (EVP_DecryptUpdate(k->ctx, NULL, &l, aad, (int)aadlen) != 1 ||
	    EVP_DecryptUpdate(k->ctx, out, &l, body + expl, (int)ctlen) != 1 ||
	    EVP_DecryptFinal_ex(k->ctx, out + l, &l) != 1)
		return -1;
	return (long)ctlen;
}

/* Try epoch e for the record: at its next sequence number, or over the
 * resynchronisation window (nearest the likely one first). */
static long trial(struct ec_tlsdec *t, int dir, int e, const uint8_t *rec, size_t len,
		  uint64_t *seq)
{
	struct dir *d = &t->d[dir];
	struct key *k = &d->k[e];
	uint64_t k0, base = k->seq;
	long n;

	if (!d->rs) {
		*seq = base;
		return aead_open(t, k, base, rec, rec + HDR, len - HDR, d->out);
	}
	/* a later epoch started within the lost records: near its start */
	k0 = e == d->ep ? d->rs_k0 : 0;
	if (k0 > d->rs_hi)
		k0 = d->rs_hi;
	/* k0, k0 + 1, k0 - 1, k0 + 2, ... within [0, rs_hi] */
	for (uint64_t i = 0, tries = 0; tries < TRIALS; i++) {
		int any = 0;
		for (int below = 0; below < 2; below++) {
			uint64_t off;
			if (!below && k0 + i <= d->rs_hi)
				off = k0 + i;
			else if (below && i > 0 && i <= k0)
				off = k0 - i;
			else
				continue;
			if (!d->budget)
				return -1;
			d->budget--;
			any = 1;
			tries++;
			n = aead_open(t, k, base + off, rec, rec + HDR, len - HDR, d->out);
			if (n >= 0) {
				*seq = base + off;
				return n;
			}
		}
		if (!any)
			break;
	}
	return -1;
}

/* --- handshake --- */

static const uint8_t hrr_random[32] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};

static uint32_t be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

/* Walk the extensions after a hello's fixed part at p[0..n); calls back per
 * extension. -1 when malformed. */
static int walk_exts(const uint8_t *p, size_t n,
		     void (*fn)(struct ec_tlsdec *, uint32_t, const uint8_t *, size_t),
		     struct ec_tlsdec *t)
{
	size_t el;

	if (n == 0)
		return 0; /* no extensions */
	if (n < 2 || (el = be16(p)) > n - 2)
		return -1;
	p += 2;
	while (el >= 4) {
		uint32_t type = be16(p);
		size_t l = be16(p + 2);
		if (l > el - 4)
			return -1;
		fn(t, type, p + 4, l);
		p += 4 + l;
		el -= 4 + l;
	}
	return el ? -1 : 0;
}

static void ch_ext(struct ec_tlsdec *t, uint32_t type, const uint8_t *p, size_t n)
{
	(void)p;
	(void)n;
	if (type == 42) /* early_data */
		t->early_offered = 1;
}

static void sh_ext(struct ec_tlsdec *t, uint32_t type, const uint8_t *p, size_t n)
{
	if (type == 43 && n == 2) /* supported_versions: the one chosen */
		t->version = (uint16_t)be16(p);
}

static void client_hello(struct ec_tlsdec *t, int dir, const uint8_t *p, size_t n, int64_t ts)
{
	struct dir *d = &t->d[dir];
	size_t off;

	if (t->client_dir >= 0 && dir != t->client_dir) {
		note(t, dir, 0, ts, "a ClientHello from both ends: not decrypted");
		fail(t);
		return;
	}
	if (n < 2 + 32 + 1) {
		note(t, dir, 0, ts, "a truncated ClientHello: not decrypted");
		fail(t);
		return;
	}
	d->nch++;
	if (t->have_random) {
		/* the second one, after a HelloRetryRequest: same random */
		if (memcmp(t->crandom, p + 2, 32)) {
			note(t, dir, 0, ts, "a second ClientHello with another random");
			fail(t);
		}
		return;
	}
	t->client_dir = dir;
	memcpy(t->crandom, p + 2, 32);
	t->have_random = 1;
	if (t->have_keys && memcmp(t->keys.random, t->crandom, 32))
		t->have_keys = 0; /* given before, for another connection */
	t->state = t->have_keys ? EC_TLSDEC_DECRYPTING : EC_TLSDEC_NEED_KEYS;
	/* session id, cipher suites, compression methods, extensions */
	off = 34;
	if (off + 1 > n || off + 1 + p[off] > n)
		return;
	off += 1 + p[off];
	if (off + 2 > n || off + 2 + be16(p + off) > n)
		return;
	off += 2 + be16(p + off);
	if (off + 1 > n || off + 1 + p[off] > n)
		return;
	off += 1 + p[off];
	(void)walk_exts(p + off, n - off, ch_ext, t);
}

static void server_hello(struct ec_tlsdec *t, int dir, const uint8_t *p, size_t n, int64_t ts)
{
	uint16_t id;
	size_t off = 34;
	int hrr;

	if (t->client_dir < 0 || dir == t->client_dir || t->have_sh) {
		note(t, dir, 0, ts, "a ServerHello out of place: not decrypted");
		fail(t);
		return;
	}
	if (n < 35 || off + 1 + p[off] + 3 > n) {
		note(t, dir, 0, ts, "a truncated ServerHello: not decrypted");
		fail(t);
		return;
	}
	t->version = (uint16_t)be16(p);
	off += 1 + p[off];
	id = (uint16_t)be16(p + off);
	off += 3;
	if (walk_exts(p + off, n - off, sh_ext, t)) {
		note(t, dir, 0, ts, "a malformed ServerHello: not decrypted");
		fail(t);
		return;
	}
	hrr = !memcmp(p + 2, hrr_random, 32);
	if (hrr) {
		/* the client is asked for another ClientHello: wait for the real one */
		t->hrr = 1;
		return;
	}
	memcpy(t->srandom, p + 2, 32);
	t->have_sh = 1;
	t->suite = NULL;
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		if (suites[i].id == id)
			t->suite = &suites[i];
	if (t->version < 0x0303 || t->version > 0x0304) {
		snprintf(t->desc, sizeof(t->desc), "version 0x%04x", t->version);
		note(t, dir, 0, ts, "%s 0x%04x not decrypted",
		     t->version < 0x0303 ? "TLS before 1.2," : "TLS version", t->version);
		t->suite = NULL;
		fail(t);
		return;
	}
	if (t->suite)
		snprintf(t->desc, sizeof(t->desc), "TLS 1.%d %s", is13(t) ? 3 : 2, t->suite->name);
	else
		snprintf(t->desc, sizeof(t->desc), "TLS 1.%d cipher suite 0x%04x", is13(t) ? 3 : 2,
			 id);
	if (!t->suite || t->suite->aead == A_CBC || t->suite->tls13 != is13(t)) {
		note(t, dir, 0, ts, "cipher suite 0x%04x not decrypted%s", id,
		     t->suite && t->suite->aead == A_CBC ? " (CBC)" : "");
		t->suite = NULL;
		fail(t);
		return;
	}
	if (is13(t)) {
		t->d[dir].ep = EP_HS;
		t->d[t->client_dir].ep = t->early_offered && !t->hrr ? EP_EARLY : EP_HS;
	} else {
		t->d[0].ep = t->d[1].ep = EP_APP;
	}
}

static void flush_early(struct ec_tlsdec *t, int dir, int64_t ts)
{
	struct dir *d = &t->d[dir];

	if (!d->early_lost)
		return;
	if (t->hrr)
		note(t, dir, d->early_lost, ts,
		     "0-RTT data not decrypted: rejected by a HelloRetryRequest");
	else
		note(t, dir, d->early_lost, ts,
		     "0-RTT data not decrypted: no CLIENT_EARLY_TRAFFIC_SECRET");
	d->early_lost = 0;
}

/* KeyUpdate: the next generation becomes the current one */
static int key_update(struct ec_tlsdec *t, int dir, int64_t ts)
{
	struct dir *d = &t->d[dir];
	struct key tmp;

	if (key_get(t, dir, EP_NEXT, ts) != 1)
		return -1;
	tmp = d->k[EP_APP];
	d->k[EP_APP] = d->k[EP_NEXT];
	d->k[EP_NEXT] = tmp;
	d->k[EP_NEXT].ready = 0;
	memcpy(d->app_secret, d->next_secret, sizeof(d->app_secret));
	return 0;
}

static void hs_msg(struct ec_tlsdec *t, int dir, int enc, uint8_t type, const uint8_t *p, size_t n,
		   int64_t ts)
{
	struct dir *d = &t->d[dir];

	if (!enc) {
		if (type == 1)
			client_hello(t, dir, p, n, ts);
		else if (type == 2)
			server_hello(t, dir, p, n, ts);
		return;
	}
	if (!is13(t)) {
		if (type == 1 || type == 2) {
			note(t, dir, 0, ts, "renegotiation is not decrypted");
			fail(t);
		}
		return;
	}
	switch (type) {
	case 5: /* EndOfEarlyData */
		if (d->ep == EP_EARLY)
			d->ep = EP_HS;
		break;
	case 20: /* Finished: the application secrets from the next record on */
		if (d->ep == EP_HS)
			d->ep = EP_APP;
		break;
	case 24: /* KeyUpdate: this direction's next records use the next secret */
		if (d->ep == EP_APP && key_update(t, dir, ts)) {
			note(t, dir, 0, ts, "the %s's KeyUpdate could not be followed",
			     who(t, dir));
			give_up(t, dir);
		}
		break;
	}
}

/* Handshake bytes of dir (a record's fragment): messages may span records
 * and share them. */
static void hs_feed(struct ec_tlsdec *t, int dir, int enc, const uint8_t *p, size_t n, int64_t ts)
{
	struct dir *d = &t->d[dir];

	while (n > 0 && !d->dead) {
		size_t take, mlen;

		if (d->hs_skip) {
			take = n < d->hs_skip ? n : d->hs_skip;
			d->hs_skip -= (uint32_t)take;
			p += take;
			n -= take;
			continue;
		}
		if (d->hs_len < 4) {
			take = 4 - d->hs_len < n ? 4 - d->hs_len : n;
			if (grow(&d->hs, &d->hs_cap, 4))
				goto nomem;
			memcpy(d->hs + d->hs_len, p, take);
			d->hs_len += take;
			p += take;
			n -= take;
			continue;
		}
		mlen = (size_t)d->hs[1] << 16 | (size_t)d->hs[2] << 8 | d->hs[3];
		if (mlen > HS_MAX) {
			if (d->hs[0] == 1 || d->hs[0] == 2) {
				note(t, dir, 0, ts, "a %zu-byte hello: not decrypted", mlen);
				fail(t);
				return;
			}
			d->hs_skip = (uint32_t)mlen;
			d->hs_len = 0;
			continue;
		}
		take = 4 + mlen - d->hs_len < n ? 4 + mlen - d->hs_len : n;
		if (grow(&d->hs, &d->hs_cap, 4 + mlen))
			goto nomem;
		memcpy(d->hs + d->hs_len, p, take);
		d->hs_len += take;
		p += take;
		n -= take;
		if (d->hs_len == 4 + mlen) {
			d->hs_len = 0;
			hs_msg(t, dir, enc, d->hs[0], d->hs + 4, mlen, ts);
		}
	}
	if (n == 0 && d->hs_len >= 4 && !d->dead) {
		/* a complete empty-bodied message (EndOfEarlyData) */
		size_t mlen = (size_t)d->hs[1] << 16 | (size_t)d->hs[2] << 8 | d->hs[3];
		if (mlen == 0) {
			d->hs_len = 0;
			hs_msg(t, dir, enc, d->hs[0], d->hs + 4, 0, ts);
		}
	}
	return;
nomem:
	note(t, dir, 0, ts, "out of memory: the %s's handshake is lost", who(t, dir));
	give_up(t, dir);
}

static void alert(struct ec_tlsdec *t, int dir, const uint8_t *p, size_t n, int64_t ts)
{
	if (n >= 2 && p[1] != 0) /* close_notify is the normal end */
		note(t, dir, 0, ts, "%s alert %u from the %s", p[0] == 2 ? "fatal" : "warning",
		     p[1], who(t, dir));
}

/* --- records --- */

/* The plaintext of a record that authenticated. */
static void deliver(struct ec_tlsdec *t, int dir, uint8_t type, uint8_t *p, size_t n, int64_t ts)
{
	if (is13(t)) {
		/* TLSInnerPlaintext: content, real type, zero padding */
		while (n > 0 && p[n - 1] == 0)
			n--;
		if (n == 0) {
			note(t, dir, 0, ts, "a record from the %s without a content type",
			     who(t, dir));
			return;
		}
		type = p[--n];
	}
	switch (type) {
	case 23:
		if (n && t->cb.plain)
			t->cb.plain(t->ctx, dir, p, n, ts);
		break;
	case 22:
		hs_feed(t, dir, 1, p, n, ts);
		break;
	case 21:
		alert(t, dir, p, n, ts);
		break;
	}
}

static int dec_record(struct ec_tlsdec *t, int dir, const uint8_t *rec, size_t len, int scanning,
		      int64_t ts)
{
	struct dir *d = &t->d[dir];
	int cand[NEP], nc = 0, unknown_cur = 0, have[NEP] = {0};
	size_t body = len - HDR;
	uint64_t seq;
	long n;

	if (!t->have_sh)
		return R_WAIT; /* the cipher suite and version come with the ServerHello */
	if (!t->suite) {
		d->undone += body;
		return R_DONE;
	}
	if (!is13(t) && !d->ccs) {
		note(t, dir, body, ts, "an encrypted record from the %s before ChangeCipherSpec",
		     who(t, dir));
		return R_DONE;
	}
	if (is13(t) && dir == t->client_dir && t->hrr && d->nch < 2) {
		d->early_lost += body; /* 0-RTT sent with the first ClientHello */
		return R_DONE;
	}
	if (!d->out && !(d->out = malloc(REC_MAX))) {
		note(t, dir, body, ts, "out of memory: the %s's records are lost", who(t, dir));
		give_up(t, dir);
		return R_DONE;
	}
	if (is13(t)) {
		for (int e = d->ep; e <= EP_APP; e++)
			cand[nc++] = e;
		cand[nc++] = EP_NEXT;
	} else {
		cand[nc++] = EP_APP;
	}
	for (int i = 0; i < nc; i++) {
		int e = cand[i], kr = key_get(t, dir, e, ts);
		if (kr < 0)
			return R_DONE;
		if (kr == 0) {
			unknown_cur |= i == 0;
			continue;
		}
		have[e] = 1;
		n = trial(t, dir, e, rec, len, &seq);
		if (n < 0)
			continue;
		if (e != d->ep) {
			d->hs_len = d->hs_skip = 0;
			if (d->ep == EP_EARLY)
				flush_early(t, dir, ts);
		}
		if (d->rs)
			d->rs_seq = seq - d->k[e].seq;
		d->rs = 0;
		d->rs_hi = d->rs_k0 = 0;
		if (e == EP_NEXT) {
			key_update(t, dir, ts);
			e = EP_APP;
		}
		d->ep = e;
		d->k[e].seq = seq + 1;
		d->recs++;
		d->rec_bytes += len;
		deliver(t, dir, rec[0], d->out, (size_t)n, ts);
		return R_DONE;
	}
	if (scanning)
		return R_FAIL;
	if (unknown_cur) {
		if (d->ep == EP_EARLY && (have[EP_HS] || have[EP_APP])) {
			/* fails the later keys: 0-RTT data, without its secret */
			d->early_lost += body;
			return R_DONE;
		}
		if (d->ep == EP_HS && have[EP_APP])
			return R_DONE; /* handshake, without its secret: nothing lost */
		t->state = EC_TLSDEC_NEED_KEYS;
		return R_WAIT;
	}
	if (d->rs) {
		note(t, dir, body, ts,
		     "no record from the %s authenticated after %" PRIu64
		     " dropped: direction given up",
		     who(t, dir), d->rs_hi);
		give_up(t, dir);
		return R_DONE;
	}
	note(t, dir, body, ts,
	     "record %" PRIu64 " from the %s did not authenticate: %zu bytes lost", d->k[d->ep].seq,
	     who(t, dir), body);
	d->k[d->ep].seq++;
	return R_DONE;
}

static int process(struct ec_tlsdec *t, int dir, const uint8_t *rec, size_t len, int scanning,
		   int64_t ts)
{
	struct dir *d = &t->d[dir];
	uint8_t type = rec[0];

	if (d->dead) {
		d->undone += len - HDR;
		return R_DONE;
	}
	if (type == 23 || d->ccs)
		return dec_record(t, dir, rec, len, scanning, ts);
	switch (type) {
	case 20: /* ChangeCipherSpec: TLS 1.2 encrypts from here, 1.3 ignores it */
		if (!t->version)
			return R_WAIT;
		if (!is13(t)) {
			d->ccs = 1;
			d->k[EP_APP].seq = 0;
		}
		break;
	case 21:
		alert(t, dir, rec + HDR, len - HDR, ts);
		break;
	case 22:
		hs_feed(t, dir, 0, rec + HDR, len - HDR, ts);
		break;
	}
	return R_DONE;
}

/* --- the held queue --- */

static size_t q_entry(size_t len)
{
	return sizeof(struct qhdr) + ((len + 7) & ~(size_t)7);
}

static void q_pop(struct ec_tlsdec *t)
{
	struct qhdr *h = (struct qhdr *)(t->q + t->q_off);

	t->d[h->dir].nheld--;
	t->q_bytes -= h->len;
	t->q_off += q_entry(h->len);
	if (t->q_off == t->q_len)
		t->q_off = t->q_len = 0;
}

static void drop_front(struct ec_tlsdec *t)
{
	struct qhdr *h = (struct qhdr *)(t->q + t->q_off);
	struct dir *d = &t->d[h->dir];

	if (t->q[t->q_off + sizeof(*h)] == 23 || d->ccs) {
		/* its sequence number is lost with it: the next one is looked for */
		d->rs = 1;
		d->rs_hi++;
		d->rs_k0 = d->rs_hi;
		d->budget = BUDGET;
	}
	d->dropped++;
	d->dropped_bytes += h->len - HDR;
	q_pop(t);
}

static void hold(struct ec_tlsdec *t, int dir, const uint8_t *rec, size_t len, int64_t ts)
{
	struct qhdr h = {ts, (uint32_t)len, dir};
	size_t need = q_entry(len);

	if (len > t->max_held) {
		t->d[dir].dropped++;
		t->d[dir].dropped_bytes += len - HDR;
		if (rec[0] == 23 || t->d[dir].ccs) {
			t->d[dir].rs = 1;
			t->d[dir].rs_k0 = ++t->d[dir].rs_hi;
			t->d[dir].budget = BUDGET;
		}
		return;
	}
	while (t->q_bytes + len > t->max_held)
		drop_front(t);
	if (t->q_off && t->q_len + need > t->q_cap) {
		memmove(t->q, t->q + t->q_off, t->q_len - t->q_off);
		t->q_len -= t->q_off;
		t->q_off = 0;
	}
	if (grow(&t->q, &t->q_cap, t->q_len + need)) {
		note(t, dir, len - HDR, ts, "out of memory: a record from the %s is lost",
		     who(t, dir));
		give_up(t, dir);
		return;
	}
	memcpy(t->q + t->q_len, &h, sizeof(h));
	memcpy(t->q + t->q_len + sizeof(h), rec, len);
	t->q_len += need;
	t->q_bytes += len;
	t->d[dir].nheld++;
}

static void flush_drops(struct ec_tlsdec *t, int64_t ts)
{
	for (int i = 0; i < 2; i++) {
		struct dir *d = &t->d[i];
		if (!d->dropped)
			continue;
		note(t, i, d->dropped_bytes, ts,
		     "%" PRIu64 " records from the %s dropped while waiting for keys (max_held)",
		     d->dropped, who(t, i));
		d->dropped = d->dropped_bytes = 0;
	}
}

static void drain(struct ec_tlsdec *t)
{
	if (t->q_len > t->q_off)
		flush_drops(t, ((struct qhdr *)(t->q + t->q_off))->ts);
	while (t->q_len > t->q_off) {
		struct qhdr *h = (struct qhdr *)(t->q + t->q_off);
		if (process(t, h->dir, t->q + t->q_off + sizeof(*h), h->len, 0, h->ts) == R_WAIT)
			break;
		q_pop(t);
	}
}

static void on_record(struct ec_tlsdec *t, int dir, const uint8_t *rec, size_t len, int64_t ts)
{
	struct dir *d = &t->d[dir];
	int enc = rec[0] == 23 || d->ccs;

	t->seen_record = 1;
	/* behind held records of its own direction, or of the other if it
	 * carries data (the two directions' order is kept) */
	if (d->nheld || (enc && t->q_len > t->q_off)) {
		hold(t, dir, rec, len, ts);
		return;
	}
	if (process(t, dir, rec, len, 0, ts) == R_WAIT)
		hold(t, dir, rec, len, ts);
	else if (t->q_len > t->q_off)
		drain(t);
}

/* --- framing --- */

/* 1 a plausible record header, 0 not */
static int hdr_ok(const uint8_t *h)
{
	return h[0] >= 20 && h[0] <= 24 && h[1] == 3 && h[2] <= 4 && be16(h + 3) <= REC_MAX;
}

/* A header that fails: not TLS at all, or this direction's framing is lost */
static void bad_hdr(struct ec_tlsdec *t, int dir, const uint8_t *h, int64_t ts)
{
	if (!t->seen_record) {
		t->state = EC_TLSDEC_NOT_TLS;
		t->d[0].dead = t->d[1].dead = 1;
		note(t, dir, 0, ts, "not TLS (the first bytes are %02x %02x %02x %02x %02x)", h[0],
		     h[1], h[2], h[3], h[4]);
		return;
	}
	note(t, dir, 0, ts, "the %s's bytes are no TLS record: direction given up", who(t, dir));
	give_up(t, dir);
}

static int first_ok(const struct ec_tlsdec *t, const uint8_t *h)
{
	/* a connection starts with a handshake record */
	return t->seen_record || h[0] == 22;
}

static void frame(struct ec_tlsdec *t, int dir, const uint8_t *p, size_t n, int64_t ts)
{
	struct dir *d = &t->d[dir];
	size_t take, total;

	while (d->in_len > 0 && !d->dead) {
		if (d->in_len < HDR) {
			take = HDR - d->in_len < n ? HDR - d->in_len : n;
			memcpy(d->in + d->in_len, p, take);
			d->in_len += take;
			p += take;
			n -= take;
			if (d->in_len < HDR)
				return;
		}
		if (!hdr_ok(d->in) || !first_ok(t, d->in)) {
			bad_hdr(t, dir, d->in, ts);
			return;
		}
		total = HDR + be16(d->in + 3);
		if (grow(&d->in, &d->in_cap, total)) {
			note(t, dir, 0, ts, "out of memory: direction given up");
			give_up(t, dir);
			return;
		}
		if (d->in_len < total) {
			take = total - d->in_len < n ? total - d->in_len : n;
			memcpy(d->in + d->in_len, p, take);
			d->in_len += take;
			p += take;
			n -= take;
			if (d->in_len < total)
				return;
		}
		on_record(t, dir, d->in, total, d->in_ts);
		/* more than one record is buffered only after a resynchronisation */
		memmove(d->in, d->in + total, d->in_len - total);
		d->in_len -= total;
	}
	while (n > 0 && !d->dead) {
		if (n >= HDR) {
			if (!hdr_ok(p) || !first_ok(t, p)) {
				bad_hdr(t, dir, p, ts);
				return;
			}
			total = HDR + be16(p + 3);
			if (n >= total) {
				on_record(t, dir, p, total, ts);
				p += total;
				n -= total;
				continue;
			}
		}
		if (grow(&d->in, &d->in_cap, n < HDR ? HDR : HDR + be16(p + 3))) {
			note(t, dir, 0, ts, "out of memory: direction given up");
			give_up(t, dir);
			return;
		}
		memcpy(d->in, p, n);
		d->in_len = n;
		d->in_ts = ts;
		return;
	}
}

/* After a gap: look for a record that authenticates. */
static void scan(struct ec_tlsdec *t, int dir, const uint8_t *p, size_t n, int64_t ts)
{
	struct dir *d = &t->d[dir];
	size_t min = t->suite->taglen + (is13(t) ? 1 : t->suite->aead == A_CHACHA ? 0 : 8);
	size_t max = is13(t) ? 16384 + 256 : REC_MAX;

	while (n > 0 && d->scan && !d->dead) {
		size_t take = SCAN_MAX - d->in_len < n ? SCAN_MAX - d->in_len : n, i, l = 0;
		int found = 0;

		if (d->in_len == 0)
			d->in_ts = ts;
		memcpy(d->in + d->in_len, p, take);
		d->in_len += take;
		p += take;
		n -= take;
		for (i = 0; i + HDR <= d->in_len; i++) {
			const uint8_t *h = d->in + i;
			l = be16(h + 3);
			if (h[0] != 23 || h[1] != 3 || h[2] != 3 || l < min || l > max)
				continue;
			if (i + HDR + l > d->in_len)
				break; /* wait for the whole candidate */
			if (process(t, dir, h, HDR + l, 1, d->in_ts) == R_DONE) {
				found = 1;
				break;
			}
		}
		d->scan_lost += i;
		d->scanned += i;
		if (found) {
			d->scan = 0;
			note(t, dir, d->scan_lost, ts,
			     "%" PRIu64 " bytes lost, %" PRIu64 " records, from the %s",
			     d->scan_lost, d->rs_seq, who(t, dir));
			i += HDR + l;
		} else if (d->scanned > SCAN_MAX || !d->budget) {
			/* a real header was within reach: it did not authenticate */
			uint64_t lost = d->scan_lost + (d->in_len - i) + n;
			note(t, dir, lost, ts,
			     "%" PRIu64 " bytes lost from the %s: no record authenticated after "
			     "them, direction given up",
			     lost, who(t, dir));
			d->scan = d->rs = 0;
			d->in_len = 0;
			give_up(t, dir);
			return;
		}
		memmove(d->in, d->in + i, d->in_len - i);
		d->in_len -= i;
	}
	if (!d->scan && !d->dead && (d->in_len || n)) {
		/* framing is back: the rest goes the normal way */
		uint8_t *rest = d->in;
		size_t rl = d->in_len;

		d->in = NULL;
		d->in_cap = d->in_len = 0;
		frame(t, dir, rest, rl, ts);
		free(rest);
		if (n)
			frame(t, dir, p, n, ts);
	}
}

/* --- the interface --- */

struct ec_tlsdec *ec_tlsdec_new(const struct ec_tlsdec_cb *cb, void *ctx, size_t max_held)
{
	struct ec_tlsdec *t;

	pthread_once(&fetch_once, fetch_all);
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	if (cb)
		t->cb = *cb;
	t->ctx = ctx;
	t->max_held = max_held;
	t->client_dir = -1;
	return t;
}

void ec_tlsdec_data(struct ec_tlsdec *t, int dir, const uint8_t *p, size_t n, int64_t ts)
{
	struct dir *d;

	if (!t || dir < 0 || dir > 1 || !p || !n || t->state == EC_TLSDEC_NOT_TLS)
		return;
	d = &t->d[dir];
	if (d->dead) {
		d->undone += n;
		return;
	}
	if (d->scan)
		scan(t, dir, p, n, ts);
	else
		frame(t, dir, p, n, ts);
}

/* The resynchronisation window after n more bytes lost: at least a minimal
 * record each, most likely records of the mean size seen. */
static void widen(struct ec_tlsdec *t, struct dir *d, uint64_t n)
{
	uint64_t min = HDR + t->suite->taglen + (is13(t) ? 1 : 0);
	uint64_t mean = d->recs ? d->rec_bytes / d->recs : min;

	d->rs = 1;
	d->rs_hi += n / min + 2;
	d->rs_k0 += n / mean + 1;
}

void ec_tlsdec_gap(struct ec_tlsdec *t, int dir, uint64_t n, int64_t ts)
{
	struct dir *d;
	int usable = 0;

	if (!t || dir < 0 || dir > 1 || !n || t->state == EC_TLSDEC_NOT_TLS)
		return;
	d = &t->d[dir];
	if (d->dead) {
		d->undone += n;
		return;
	}
	if (d->scan) {
		d->scan_lost += n + d->in_len;
		d->in_len = 0;
		widen(t, d, n);
		return;
	}
	/* resynchronising needs the keys now and the handshake behind */
	if (t->have_sh && t->suite && !d->nheld && (is13(t) || d->ccs) && d->ep != EP_EARLY &&
	    !(t->hrr && d->nch == 1))
		for (int e = d->ep; e <= EP_APP && !usable; e++)
			usable = key_get(t, dir, e, ts) == 1;
	if (d->dead)
		return;
	if (!usable) {
		note(t, dir, n, ts, "%" PRIu64 " bytes lost from the %s %s: direction given up", n,
		     who(t, dir),
		     t->client_dir < 0			   ? "before the handshake"
		     : !t->have_sh || !(is13(t) || d->ccs) ? "in the handshake"
							   : "before its keys");
		if (t->client_dir < 0)
			fail(t);
		else
			give_up(t, dir);
		return;
	}
	if (grow(&d->in, &d->in_cap, SCAN_MAX)) {
		note(t, dir, n, ts, "out of memory: direction given up");
		give_up(t, dir);
		return;
	}
	d->scan = 1;
	d->scan_lost = n + d->in_len;
	d->scanned = 0;
	d->budget = BUDGET;
	d->rs_hi = d->rs_k0 = d->rs_seq = 0;
	/* a partial record is lost too: the next one is one further */
	widen(t, d, n);
	if (!d->in_len)
		d->rs_k0--;
	d->in_len = 0;
	d->hs_len = d->hs_skip = 0;
}

const uint8_t *ec_tlsdec_client_random(const struct ec_tlsdec *t)
{
	return t && t->have_random ? t->crandom : NULL;
}

int ec_tlsdec_client_dir(const struct ec_tlsdec *t)
{
	return t ? t->client_dir : -1;
}

enum ec_tlsdec_state ec_tlsdec_state(const struct ec_tlsdec *t)
{
	return t ? t->state : EC_TLSDEC_FAILED;
}

void ec_tlsdec_keys(struct ec_tlsdec *t, const struct ec_tlskeys_entry *k)
{
	if (!t || !k || t->state == EC_TLSDEC_NOT_TLS || t->state == EC_TLSDEC_FAILED)
		return;
	if (t->have_random && memcmp(k->random, t->crandom, 32))
		return;
	if (!t->have_keys || memcmp(t->keys.random, k->random, 32)) {
		memset(&t->keys, 0, sizeof(t->keys));
		memcpy(t->keys.random, k->random, 32);
	}
	for (int l = 0; l < EC_TLSKEYS_NLABELS; l++) {
		if (!(k->have & (1u << l)) || k->len[l] > EC_TLSKEYS_SECRET_MAX)
			continue;
		t->keys.have |= 1u << l;
		t->keys.len[l] = k->len[l];
		memcpy(t->keys.secret[l], k->secret[l], k->len[l]);
	}
	t->have_keys = 1;
	if (t->have_random)
		t->state = EC_TLSDEC_DECRYPTING;
	drain(t);
}

void ec_tlsdec_end(struct ec_tlsdec *t, int64_t ts)
{
	uint64_t total = 0;
	char rnd[65];
	int dir;

	if (!t || t->ended)
		return;
	t->ended = 1;
	flush_drops(t, ts);
	for (int i = 0; i < 2; i++) {
		flush_early(t, i, ts);
		if (t->d[i].scan) {
			note(t, i, t->d[i].scan_lost + t->d[i].in_len, ts,
			     "%" PRIu64
			     " bytes lost from the %s: no record authenticated after them",
			     t->d[i].scan_lost + t->d[i].in_len, who(t, i));
			t->d[i].scan = 0;
		} else {
			t->d[i].undone += t->d[i].in_len;
		}
		t->d[i].in_len = 0;
	}
	while (t->q_len > t->q_off) {
		struct qhdr *h = (struct qhdr *)(t->q + t->q_off);
		t->d[h->dir].undone += h->len - HDR;
		q_pop(t);
	}
	total = t->d[0].undone + t->d[1].undone;
	if (!total || t->state == EC_TLSDEC_NOT_TLS)
		return;
	dir = t->client_dir < 0 ? 0 : t->client_dir;
	if (!t->have_random) {
		note(t, dir, total, ts, "no ClientHello seen: %" PRIu64 " bytes not decrypted",
		     total);
		return;
	}
	hex(rnd, t->crandom, 32);
	if (!t->have_keys)
		note(t, dir, total, ts,
		     "no keys for client random %s (%s): %" PRIu64 " bytes not decrypted", rnd,
		     t->desc[0] ? t->desc : "TLS", total);
	else if (t->state == EC_TLSDEC_NEED_KEYS)
		note(t, dir, total, ts,
		     "not all secrets for client random %s (%s): %" PRIu64 " bytes not decrypted",
		     rnd, t->desc[0] ? t->desc : "TLS", total);
	else
		note(t, dir, total, ts, "%s: %" PRIu64 " bytes not decrypted",
		     t->desc[0] ? t->desc : "TLS", total);
}

const char *ec_tlsdec_describe(const struct ec_tlsdec *t)
{
	return t ? t->desc : "";
}

void ec_tlsdec_free(struct ec_tlsdec *t)
{
	if (!t)
		return;
	for (int i = 0; i < 2; i++) {
		for (int e = 0; e < NEP; e++)
			EVP_CIPHER_CTX_free(t->d[i].k[e].ctx);
		OPENSSL_cleanse(t->d[i].app_secret, sizeof(t->d[i].app_secret));
		OPENSSL_cleanse(t->d[i].next_secret, sizeof(t->d[i].next_secret));
		free(t->d[i].in);
		free(t->d[i].hs);
		free(t->d[i].out);
	}
	OPENSSL_cleanse(&t->keys, sizeof(t->keys));
	free(t->q);
	free(t);
}
