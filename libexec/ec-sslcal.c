// SPDX-License-Identifier: GPL-2.0-only
/* ec-sslcal: learns where an OpenSSL-family library keeps each TLS secret,
 * by running it.  ec-capture runs this program inside the calibration
 * sandbox (lib/capture/sslcal.c: no privileges, no network, read-only, seccomp, time
 * and memory limits); it is embedded in ec-capture, not installed.
 *
 *   ec-sslcal CRYPTO_FD SSL_FD
 *
 * The two descriptors are the target's own libcrypto and libssl files.  It
 * loads them, runs TLS 1.2 and 1.3 handshakes between two SSL objects over a
 * BIO pair (no sockets), takes the secrets from the library's key-log
 * callback and the transcript from its message callback, and searches the
 * connection, s3, session and cipher objects for where each value lives.
 * Then it reads every SSL object back through the row it found, with the
 * very reader the BPF side runs (bpf/tls_keys.bpf.h), and reports (stdout,
 * one item a line; lib/capture/sslcal.c checks every line):
 *
 *   version TEXT          the library's version text
 *   row FIELDS            the row (lib/capture/sslrow.h)
 *   note TEXT             what the row lacks, and why
 *   obj N ROLE VERSION    SSL object N: role c or s, TLS version (hex)
 *   cb N LINE             a line the key-log callback gave for object N
 *   keys N HEX            object N read through the row (struct tls_keys)
 *   error TEXT            calibration failed (last line)
 *   end                   the report is complete
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sslrow.h"

#include "tls_keys_self.h"

/* A fixed throwaway P-256 certificate and key: the client does not verify,
 * and every OpenSSL-family library can read PEM. */
static const char cert_pem[] = "-----BEGIN CERTIFICATE-----\n"
			       "MIIBfzCCASWgAwIBAgIUV4bN5gi/A05w8bzFLjifmIqkoywwCgYIKoZIzj0EAwIw\n"
			       "FDESMBAGA1UEAwwJZWMtc3NsY2FsMCAXDTI2MTIwNDIxMjYwM1oYDzIxMjYxMTEw\n"
			       "MjEyNjAzWjAUMRIwEAYDVQQDDAllYy1zc2xjYWwwWTATBgcqhkjOPQIBBggqhkjO\n"
			       "PQMBBwNCAAR873kBPeIWcdWeLes4ElQEi5IrMhD4F2yOfp5i81yVUZ5NO17+5RKa\n"
			       "gzpCMTZ9FvH7zW+W1LzlmUe04n9VaSpIo1MwUTAdBgNVHQ4EFgQUR9iHcNnvSEMZ\n"
			       "XTUtr4RnF7IjbycwHwYDVR0jBBgwFoAUR9iHcNnvSEMZXTUtr4RnF7IjbycwDwYD\n"
			       "VR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiAlVXB67LTJHOOYpDwmfGXS\n"
			       "SwmOeADQjoecl89B8cOfigIhAJFjVXIYJgcrACjIxXSW2dP2uX1uJ0lX8UbJsdsr\n"
			       "DWY7\n"
			       "-----END CERTIFICATE-----\n";
static const char key_pem[] = "-----BEGIN PRIVATE KEY-----\n"
			      "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgP3HrBuMA9w7TPGgQ\n"
			      "5baA9ux538BfCf/fTDFqg1uaApShRANCAAR873kBPeIWcdWeLes4ElQEi5IrMhD4\n"
			      "F2yOfp5i81yVUZ5NO17+5RKagzpCMTZ9FvH7zW+W1LzlmUe04n9VaSpI\n"
			      "-----END PRIVATE KEY-----\n";

/* --- the library, by symbol (opaque pointers; no OpenSSL headers) --------- */

typedef void V;
static struct {
	V *(*TLS_method)(void);
	V *(*SSL_CTX_new)(V *);
	long (*SSL_CTX_ctrl)(V *, int, long, V *);
	int (*SSL_CTX_set_min_proto_version)(V *, uint16_t);
	int (*SSL_CTX_set_max_proto_version)(V *, uint16_t);
	void (*SSL_CTX_set_keylog_callback)(V *, void (*)(const V *, const char *));
	void (*SSL_CTX_set_msg_callback)(V *, void (*)(int, int, int, const V *, size_t, V *, V *));
	int (*SSL_CTX_set_ciphersuites)(V *, const char *);
	int (*SSL_CTX_set_cipher_list)(V *, const char *);
	int (*SSL_CTX_set_session_id_context)(V *, const unsigned char *, unsigned);
	int (*SSL_CTX_use_certificate)(V *, V *);
	int (*SSL_CTX_use_PrivateKey)(V *, V *);
	V *(*SSL_new)(V *);
	void (*SSL_set_bio)(V *, V *, V *);
	void (*SSL_set_accept_state)(V *);
	void (*SSL_set_connect_state)(V *);
	int (*SSL_do_handshake)(V *);
	int (*SSL_get_error)(const V *, int);
	int (*SSL_write)(V *, const V *, int);
	int (*SSL_read)(V *, V *, int);
	int (*SSL_version)(const V *);
	int (*SSL_set_session)(V *, V *);
	V *(*SSL_get1_session)(V *);
	V *(*SSL_get_session)(const V *);
	size_t (*SSL_get_client_random)(const V *, unsigned char *, size_t);
	size_t (*SSL_SESSION_get_master_key)(const V *, unsigned char *, size_t);
	const V *(*SSL_SESSION_get0_cipher)(const V *);
	const V *(*SSL_get_current_cipher)(const V *);
	uint32_t (*SSL_CIPHER_get_id)(const V *);
	int (*BIO_new_bio_pair)(V **, size_t, V **, size_t);
	V *(*BIO_new_mem_buf)(const V *, int);
	V *(*PEM_read_bio_X509)(V *, V *, V *, V *);
	V *(*PEM_read_bio_PrivateKey)(V *, V *, V *, V *);
	unsigned char *(*HMAC)(const V *, const V *, size_t, const unsigned char *, size_t,
			       unsigned char *, unsigned *);
	int (*EVP_Digest)(const V *, size_t, unsigned char *, unsigned *, const V *, V *);
	const V *(*EVP_sha256)(void);
	const V *(*EVP_sha384)(void);
	const char *(*OpenSSL_version)(int);
} L;

static void *hcrypto, *hssl;

static void *sym(const char *name)
{
	void *p = dlsym(hssl, name);
	return p ? p : dlsym(hcrypto, name);
}

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void __attribute__((noreturn)) die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
	va_list ap;
	fputs("error ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	exit(1);
}

static int load(const char *cryptofd, const char *sslfd)
{
	char path[64];

	/* libcrypto first: libssl's DT_NEEDED then matches its soname */
	snprintf(path, sizeof(path), "/proc/self/fd/%s", cryptofd);
	if (!(hcrypto = dlopen(path, RTLD_NOW | RTLD_LOCAL)))
		die("cannot load libcrypto: %s", dlerror());
	snprintf(path, sizeof(path), "/proc/self/fd/%s", sslfd);
	if (!(hssl = dlopen(path, RTLD_NOW | RTLD_LOCAL)))
		die("cannot load libssl: %s", dlerror());

#define NEED(f)                                                                                    \
	do {                                                                                       \
		if (!(*(void **)&L.f = sym(#f)))                                                   \
			die("the library has no %s: not an OpenSSL-family libssl", #f);            \
	} while (0)
#define WANT(f) (*(void **)&L.f = sym(#f))
	NEED(TLS_method);
	NEED(SSL_CTX_new);
	NEED(SSL_CTX_set_keylog_callback);
	NEED(SSL_CTX_set_msg_callback);
	NEED(SSL_CTX_set_cipher_list);
	NEED(SSL_CTX_set_session_id_context);
	NEED(SSL_CTX_use_certificate);
	NEED(SSL_CTX_use_PrivateKey);
	NEED(SSL_new);
	NEED(SSL_set_bio);
	NEED(SSL_set_accept_state);
	NEED(SSL_set_connect_state);
	NEED(SSL_do_handshake);
	NEED(SSL_get_error);
	NEED(SSL_write);
	NEED(SSL_read);
	NEED(SSL_version);
	NEED(SSL_set_session);
	NEED(SSL_get1_session);
	NEED(SSL_get_session);
	NEED(SSL_get_client_random);
	NEED(SSL_SESSION_get_master_key);
	NEED(SSL_CIPHER_get_id);
	NEED(BIO_new_bio_pair);
	NEED(BIO_new_mem_buf);
	NEED(PEM_read_bio_X509);
	NEED(PEM_read_bio_PrivateKey);
	NEED(HMAC);
	NEED(EVP_Digest);
	NEED(EVP_sha256);
	NEED(EVP_sha384);
	WANT(SSL_CTX_ctrl);
	WANT(SSL_CTX_set_min_proto_version);
	WANT(SSL_CTX_set_max_proto_version);
	WANT(SSL_CTX_set_ciphersuites);
	WANT(SSL_SESSION_get0_cipher);
	WANT(SSL_get_current_cipher);
	WANT(OpenSSL_version);
	if (!L.SSL_SESSION_get0_cipher && !L.SSL_get_current_cipher)
		die("the library has no SSL_SESSION_get0_cipher or SSL_get_current_cipher");
	if (!L.SSL_CTX_set_max_proto_version && !L.SSL_CTX_ctrl)
		die("the library has no SSL_CTX_set_max_proto_version or SSL_CTX_ctrl");
	return 0;
}

/* OpenSSL's macros over SSL_CTX_ctrl; BoringSSL and LibreSSL export functions */
#define CTRL_SET_MIN_PROTO 123
#define CTRL_SET_MAX_PROTO 124
static void set_versions(V *ctx, int min, int max)
{
	if (L.SSL_CTX_set_min_proto_version) {
		L.SSL_CTX_set_min_proto_version(ctx, (uint16_t)min);
		L.SSL_CTX_set_max_proto_version(ctx, (uint16_t)max);
	} else {
		L.SSL_CTX_ctrl(ctx, CTRL_SET_MIN_PROTO, min, NULL);
		L.SSL_CTX_ctrl(ctx, CTRL_SET_MAX_PROTO, max, NULL);
	}
}

/* --- the connections -------------------------------------------------------- */

#define TLS12 0x0303
#define TLS13 0x0304
#define MAXOBJ 16
#define MAXCB 8
#define LINE_MAX_ 256

struct obj {
	V *ssl;
	int server, version;
	unsigned char random[32];
	V *sess;
	unsigned char master[64];
	size_t master_len;
	const V *cipher;
	uint32_t cipher_id;
	size_t hlen;	      /* TLS 1.3 hash length */
	unsigned char th[64]; /* TLS 1.3 transcript hash ClientHello..ServerHello */
	int have_th;
	int ncb;
	char cb[MAXCB][LINE_MAX_];
	/* the callback's secrets for this connection */
	unsigned char cts[64], sts[64], exp[64], chts[64], shts[64];
	int have_app, have_hs;
};
static struct obj objs[MAXOBJ];
static int nobj;

/* handshake messages seen by the current client, for the transcript */
static unsigned char hello[2][4096];
static size_t hello_len[2];
static V *msg_client;

static struct obj *obj_of(const V *ssl)
{
	for (int i = 0; i < nobj; i++)
		if (objs[i].ssl == ssl)
			return &objs[i];
	return NULL;
}

static void keylog_cb(const V *ssl, const char *line)
{
	struct obj *o = obj_of(ssl);
	if (!o || o->ncb == MAXCB || strlen(line) >= LINE_MAX_)
		return;
	for (int i = 0; i < o->ncb; i++)
		if (!strcmp(o->cb[i], line))
			return;
	snprintf(o->cb[o->ncb++], LINE_MAX_, "%s", line);
}

static void msg_cb(int write_p, int version, int type, const V *buf, size_t len, V *ssl, V *arg)
{
	const unsigned char *b = buf;
	(void)write_p, (void)version, (void)arg;
	if (ssl != msg_client || type != 22 || len < 4)
		return;
	/* ClientHello (1) and ServerHello (2); a second ClientHello (after a
	 * HelloRetryRequest) spoils the simple transcript: mark it unusable */
	if (b[0] == 1 || b[0] == 2) {
		int i = b[0] - 1;
		if (hello_len[i] || len > sizeof(hello[i])) {
			hello_len[i] = (size_t)-1;
			return;
		}
		memcpy(hello[i], b, len);
		hello_len[i] = len;
	}
}

static V *new_ctx(int server, int max, const char *suites13, const char *list12)
{
	V *ctx = L.SSL_CTX_new(L.TLS_method());
	if (!ctx)
		die("SSL_CTX_new failed");
	set_versions(ctx, TLS12, max);
	L.SSL_CTX_set_keylog_callback(ctx, keylog_cb);
	L.SSL_CTX_set_msg_callback(ctx, msg_cb);
	if (suites13 && L.SSL_CTX_set_ciphersuites &&
	    L.SSL_CTX_set_ciphersuites(ctx, suites13) != 1)
		die("SSL_CTX_set_ciphersuites(%s) failed", suites13);
	if (list12 && L.SSL_CTX_set_cipher_list(ctx, list12) != 1)
		die("SSL_CTX_set_cipher_list(%s) failed", list12);
	if (server) {
		V *b = L.BIO_new_mem_buf(cert_pem, -1), *x, *k;
		if (!b || !(x = L.PEM_read_bio_X509(b, NULL, NULL, NULL)))
			die("cannot read the certificate");
		if (!(b = L.BIO_new_mem_buf(key_pem, -1)) ||
		    !(k = L.PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)))
			die("cannot read the key");
		if (L.SSL_CTX_use_certificate(ctx, x) != 1 || L.SSL_CTX_use_PrivateKey(ctx, k) != 1)
			die("cannot use the certificate");
		L.SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"ec", 2);
	}
	return ctx;
}

/* the library's own digest for a TLS 1.3 suite, and its length */
static const V *hash_md(uint32_t id, size_t *len)
{
	*len = tls_keys_tls13_hash_len(id);
	return *len == 32 ? L.EVP_sha256() : *len == 48 ? L.EVP_sha384() : NULL;
}

static void fill(struct obj *o)
{
	o->version = L.SSL_version(o->ssl);
	if (L.SSL_get_client_random(o->ssl, o->random, 32) != 32)
		die("SSL_get_client_random gave no 32 bytes");
	o->sess = L.SSL_get_session(o->ssl);
	if (!o->sess)
		die("no session after the handshake");
	o->master_len = L.SSL_SESSION_get_master_key(o->sess, o->master, sizeof(o->master));
	if (o->master_len == 0 || o->master_len > 48)
		die("SSL_SESSION_get_master_key gave %zu bytes", o->master_len);
	o->cipher = L.SSL_SESSION_get0_cipher ? L.SSL_SESSION_get0_cipher(o->sess)
					      : L.SSL_get_current_cipher(o->ssl);
	if (!o->cipher)
		die("no cipher after the handshake");
	o->cipher_id = L.SSL_CIPHER_get_id(o->cipher);
}

static int unhex(const char *s, unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		b[i] = (unsigned char)v;
	}
	return s[2 * n] == '\0' ? 0 : -1;
}

/* the callback's secrets, by label, for object o */
static void secrets(struct obj *o)
{
	static const char *labels[] = {"CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0",
				       "EXPORTER_SECRET", "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
				       "SERVER_HANDSHAKE_TRAFFIC_SECRET"};
	unsigned char *dst[] = {o->cts, o->sts, o->exp, o->chts, o->shts};
	int found = 0;

	for (int i = 0; i < o->ncb; i++)
		for (int j = 0; j < 5; j++) {
			size_t l = strlen(labels[j]);
			if (strncmp(o->cb[i], labels[j], l) || o->cb[i][l] != ' ')
				continue;
			if (unhex(o->cb[i] + l + 1 + 64 + 1, dst[j], o->hlen) == 0)
				found |= 1 << j;
		}
	o->have_app = (found & 7) == 7;
	o->have_hs = (found & 24) == 24;
}

/* One connection: a fresh client and server (or a resumption of sess),
 * handshake, one request and response, both objects kept for the search. */
static V *connect_pair(V *cctx, V *sctx, V *resume)
{
	struct obj *c = &objs[nobj], *s = &objs[nobj + 1];
	V *bc, *bs;
	int cdone = 0, sdone = 0;
	char buf[64];

	if (nobj + 2 > MAXOBJ)
		die("too many connections");
	memset(c, 0, 2 * sizeof(*c));
	c->ssl = L.SSL_new(cctx);
	s->ssl = L.SSL_new(sctx);
	s->server = 1;
	if (!c->ssl || !s->ssl || L.BIO_new_bio_pair(&bs, 0, &bc, 0) != 1)
		die("SSL_new or BIO_new_bio_pair failed");
	nobj += 2;
	L.SSL_set_bio(s->ssl, bs, bs);
	L.SSL_set_bio(c->ssl, bc, bc);
	L.SSL_set_accept_state(s->ssl);
	L.SSL_set_connect_state(c->ssl);
	if (resume && L.SSL_set_session(c->ssl, resume) != 1)
		die("SSL_set_session failed");
	msg_client = c->ssl;
	hello_len[0] = hello_len[1] = 0;
	for (int i = 0; i < 100 && !(cdone && sdone); i++) {
		int rc;
		if (!cdone && (rc = L.SSL_do_handshake(c->ssl)) == 1)
			cdone = 1;
		else if (!cdone && L.SSL_get_error(c->ssl, rc) != 2 /* WANT_READ */)
			die("client handshake failed (SSL_get_error %d)",
			    L.SSL_get_error(c->ssl, rc));
		if (!sdone && (rc = L.SSL_do_handshake(s->ssl)) == 1)
			sdone = 1;
		else if (!sdone && L.SSL_get_error(s->ssl, rc) != 2)
			die("server handshake failed (SSL_get_error %d)",
			    L.SSL_get_error(s->ssl, rc));
	}
	if (!cdone || !sdone)
		die("the handshake did not finish");
	if (L.SSL_write(c->ssl, "GET / HTTP/1.1\r\n\r\n", 18) != 18 ||
	    L.SSL_read(s->ssl, buf, sizeof(buf)) != 18 ||
	    L.SSL_write(s->ssl, "HTTP/1.1 200 OK\r\n\r\n", 19) != 19 ||
	    L.SSL_read(c->ssl, buf, sizeof(buf)) != 19)
		die("the request and response did not pass");
	msg_client = NULL;

	for (struct obj *o = c; o <= s; o++) {
		fill(o);
		if (o->version == TLS13) {
			const V *md = hash_md(o->cipher_id, &o->hlen);
			unsigned n = 0;
			unsigned char both[8192];
			if (!md)
				die("unknown TLS 1.3 suite %#x", o->cipher_id);
			secrets(o);
			if (hello_len[0] && hello_len[1] && hello_len[0] != (size_t)-1 &&
			    hello_len[1] != (size_t)-1) {
				memcpy(both, hello[0], hello_len[0]);
				memcpy(both + hello_len[0], hello[1], hello_len[1]);
				o->have_th = L.EVP_Digest(both, hello_len[0] + hello_len[1], o->th,
							  &n, md, NULL) == 1 &&
					     n == o->hlen;
			}
		}
	}
	return L.SSL_get1_session(c->ssl);
}

/* --- the search ----------------------------------------------------------- */

#define DUMP_SSL 8192 /* struct ssl_connection_st is about 6 KiB in 3.5 */
#define DUMP_SUB 2048 /* s3 (a pointer in 1.1.1 and BoringSSL), session */
#define DUMP_CIPHER 256

/* Copy up to max bytes at p, page by page; a fault ends the copy. */
static size_t dump(const void *p, unsigned char *buf, size_t max)
{
	size_t got = 0;
	while (got < max) {
		uintptr_t a = (uintptr_t)p + got;
		size_t n = 4096 - (a & 4095);
		if (n > max - got)
			n = max - got;
		if (tls_keys_read_self(buf + got, n, (const void *)a))
			break;
		got += n;
	}
	return got;
}

struct mem {
	unsigned char b[DUMP_SSL];
	size_t n;
};
static struct mem ssl_mem[MAXOBJ];

/* Offsets (step-aligned) where the n bytes v sit in m, for every object
 * that pred selects; offsets must agree across objects.  The lowest is
 * taken.  get(i) gives the value for object i, NULL to skip it. */
typedef const unsigned char *(*value_fn)(int i, size_t *n);
typedef const struct mem *(*mem_fn)(int i);

static long find_common(mem_fn mem, value_fn val, size_t step)
{
	int first = -1;
	size_t n = 0;

	for (int i = 0; i < nobj && first < 0; i++)
		if (val(i, &n) && mem(i))
			first = i;
	if (first < 0)
		return -1;
	const struct mem *m0 = mem(first);
	for (size_t off = 0; off + n <= m0->n; off += step) {
		size_t vn;
		const unsigned char *v = val(first, &vn);
		int ok = 1;
		if (memcmp(m0->b + off, v, vn))
			continue;
		for (int i = first + 1; i < nobj && ok; i++) {
			const struct mem *m = mem(i);
			if (!(v = val(i, &vn)))
				continue;
			ok = m && off + vn <= m->n && !memcmp(m->b + off, v, vn);
		}
		if (ok)
			return (long)off;
	}
	return -1;
}

static const struct mem *mem_ssl(int i)
{
	return &ssl_mem[i];
}

/* the object behind a pointer stored at offset cur_ptr of the SSL object */
static struct mem sub_mem[MAXOBJ];
static const struct mem *mem_sub(int i)
{
	return sub_mem[i].n ? &sub_mem[i] : NULL;
}
static void load_sub(long ptr_off, size_t max)
{
	for (int i = 0; i < nobj; i++) {
		uintptr_t p = 0;
		sub_mem[i].n = 0;
		if (ptr_off + 8 <= (long)ssl_mem[i].n) {
			memcpy(&p, ssl_mem[i].b + ptr_off, 8);
			if (p >= 4096 && p < (1ull << 47))
				sub_mem[i].n = dump((const void *)p, sub_mem[i].b, max);
		}
	}
}

/* values */
static int want_version13 = -1; /* -1 all, else only objects of that TLS version */
static int want_role = -1;	/* -1 all, 0 clients, 1 servers */
static int selected(int i)
{
	return (want_version13 < 0 || (objs[i].version == TLS13) == want_version13) &&
	       (want_role < 0 || objs[i].server == want_role);
}
static uint32_t tmp32[MAXOBJ];
static uint16_t tmp16[MAXOBJ];
static uint8_t tmp8[MAXOBJ];
static uintptr_t tmpptr[MAXOBJ];
#define VALUE_FN(name, expr, len)                                                                  \
	static const unsigned char *name(int i, size_t *n)                                         \
	{                                                                                          \
		if (!selected(i))                                                                  \
			return NULL;                                                               \
		*n = (len);                                                                        \
		return (const unsigned char *)(expr);                                              \
	}
VALUE_FN(v_version16, (tmp16[i] = (uint16_t)objs[i].version, &tmp16[i]), 2)
VALUE_FN(v_random, objs[i].random, 32)
VALUE_FN(v_session, (tmpptr[i] = (uintptr_t)objs[i].sess, &tmpptr[i]), 8)
VALUE_FN(v_master, objs[i].master, objs[i].master_len)
VALUE_FN(v_mklen32, (tmp32[i] = (uint32_t)objs[i].master_len, &tmp32[i]), 4)
VALUE_FN(v_mklen8, (tmp8[i] = (uint8_t)objs[i].master_len, &tmp8[i]), 1)
VALUE_FN(v_cipher, (tmpptr[i] = (uintptr_t)objs[i].cipher, &tmpptr[i]), 8)
VALUE_FN(v_cipher_id, (tmp32[i] = objs[i].cipher_id, &tmp32[i]), 4)
VALUE_FN(v_cts, objs[i].have_app ? objs[i].cts : NULL, objs[i].hlen)
VALUE_FN(v_sts, objs[i].have_app ? objs[i].sts : NULL, objs[i].hlen)
VALUE_FN(v_exp, objs[i].have_app ? objs[i].exp : NULL, objs[i].hlen)
VALUE_FN(v_chts, objs[i].have_hs ? objs[i].chts : NULL, objs[i].hlen)
VALUE_FN(v_shts, objs[i].have_hs ? objs[i].shts : NULL, objs[i].hlen)
VALUE_FN(v_th, objs[i].have_th &&objs[i].have_hs ? objs[i].th : NULL, objs[i].hlen)

/* Search value in the SSL object itself, else behind each pointer in its
 * first DUMP_SUB bytes: *ptr_off gets that pointer's offset (-1: inline). */
static long find_deep(value_fn val, size_t step, long *ptr_off)
{
	long off = find_common(mem_ssl, val, step);
	*ptr_off = -1;
	if (off >= 0)
		return off;
	for (long p = 0; p + 8 <= DUMP_SUB; p += 8) {
		load_sub(p, DUMP_SUB);
		if ((off = find_common(mem_sub, val, step)) >= 0) {
			*ptr_off = p;
			return off;
		}
	}
	return -1;
}

/* HKDF-Expand-Label(secret, "c hs traffic", th, hlen) == chts, with the
 * library's own HMAC (one block: hlen is at most the hash length) */
static int derives_chts(const struct obj *o, const unsigned char *secret)
{
	unsigned char info[2 + 1 + 18 + 1 + 64 + 1], mac[64];
	size_t n = 0;
	unsigned mlen = 0;
	size_t hl;
	const V *md = hash_md(o->cipher_id, &hl);

	info[n++] = 0;
	info[n++] = (unsigned char)o->hlen;
	info[n++] = 18;
	memcpy(info + n, "tls13 c hs traffic", 18);
	n += 18;
	info[n++] = (unsigned char)o->hlen;
	memcpy(info + n, o->th, o->hlen);
	n += o->hlen;
	info[n++] = 1;
	if (!L.HMAC(md, secret, o->hlen, info, n, mac, &mlen) || mlen < o->hlen)
		return 0;
	return !memcmp(mac, o->chts, o->hlen);
}

static long find_hs_secret(void)
{
	int first = -1;
	for (int i = 0; i < nobj && first < 0; i++)
		if (objs[i].version == TLS13 && objs[i].have_hs && objs[i].have_th)
			first = i;
	if (first < 0)
		return -1;
	for (size_t off = 0; off + 64 <= ssl_mem[first].n; off += 4) {
		int ok = derives_chts(&objs[first], ssl_mem[first].b + off);
		for (int i = first + 1; ok && i < nobj; i++)
			if (objs[i].version == TLS13 && objs[i].have_hs && objs[i].have_th)
				ok = off + 64 <= ssl_mem[i].n &&
				     derives_chts(&objs[i], ssl_mem[i].b + off);
		if (ok)
			return (long)off;
	}
	return -1;
}

/* Whether the aligned word holding byte off of object i points at mapped
 * memory: the bits of a code or heap address differ from run to run. */
static int in_pointer(int i, size_t off)
{
	uintptr_t w;
	unsigned char b;
	size_t at = off & ~(size_t)7;

	if (at + 8 > ssl_mem[i].n)
		return 0;
	memcpy(&w, ssl_mem[i].b + at, 8);
	return w >= 4096 && w < (1ull << 47) && tls_keys_read_self(&b, 1, (const void *)w) == 0;
}

/* The byte and bit that is set in every server object and clear in every
 * client object, outside any pointer; a byte whose whole value is 0 or the
 * bit is preferred. */
static int find_server_bit(__u32 *byte, __u32 *mask)
{
	for (int pass = 0; pass < 2; pass++)
		for (size_t off = 0; off < 1024; off++)
			for (int bit = 0; bit < 8; bit++) {
				unsigned char m = (unsigned char)(1u << bit);
				int ok = 1;
				for (int i = 0; i < nobj && ok; i++)
					ok = !in_pointer(i, off);
				for (int i = 0; i < nobj && ok; i++) {
					unsigned char b =
					    off < ssl_mem[i].n ? ssl_mem[i].b[off] : 0;
					ok = off < ssl_mem[i].n && !!(b & m) == objs[i].server &&
					     (pass || b == (objs[i].server ? m : 0));
				}
				if (ok) {
					*byte = (__u32)off;
					*mask = m;
					return 0;
				}
			}
	return -1;
}

static void hexout(const char *tag, int i, const void *p, size_t n)
{
	const unsigned char *b = p;
	printf("%s %d ", tag, i);
	for (size_t k = 0; k < n; k++)
		printf("%02x", b[k]);
	putchar('\n');
}

int main(int argc, char **argv)
{
	struct tls_ssl_offsets row = {0};
	long off, ptr;
	int n13 = 0, n12 = 0;

	if (argc != 3)
		die("usage: ec-sslcal CRYPTO_FD SSL_FD");
	load(argv[1], argv[2]);
	if (L.OpenSSL_version) {
		char v[128];
		snprintf(v, sizeof(v), "%s", L.OpenSSL_version(0));
		for (char *p = v; *p; p++)
			if (*p < 0x20 || *p > 0x7e)
				*p = '?';
		out("version %s", v);
	}

	/* Connections chosen so that no other field moves with the ones we
	 * want: both roles, the version configured differently from the one
	 * negotiated, three suites, fresh and resumed sessions. */
	static const struct {
		int cmax, smax;
		const char *suites, *list;
		int resume;
	} runs[] = {
	    {TLS13, TLS13, "TLS_AES_128_GCM_SHA256", NULL, 0},
	    {TLS13, TLS13, "TLS_AES_128_GCM_SHA256", NULL, 1},
	    {TLS13, TLS13, "TLS_AES_256_GCM_SHA384", NULL, 0},
	    {TLS13, TLS13, "TLS_CHACHA20_POLY1305_SHA256", NULL, 0},
	    {TLS13, TLS12, NULL, "ECDHE-ECDSA-AES128-GCM-SHA256", 0},
	    {TLS13, TLS12, NULL, "ECDHE-ECDSA-AES128-GCM-SHA256", 1},
	    {TLS12, TLS13, NULL, "ECDHE-ECDSA-CHACHA20-POLY1305", 0},
	    {TLS12, TLS12, NULL, "ECDHE-ECDSA-AES256-GCM-SHA384", 0},
	};
	V *cctx = NULL, *sctx = NULL, *sess = NULL;
	for (size_t r = 0; r < sizeof(runs) / sizeof(runs[0]); r++) {
		if (!runs[r].resume) {
			cctx = new_ctx(0, runs[r].cmax, runs[r].suites, runs[r].list);
			sctx = new_ctx(1, runs[r].smax, runs[r].suites, runs[r].list);
		}
		sess = connect_pair(cctx, sctx, runs[r].resume ? sess : NULL);
	}
	for (int i = 0; i < nobj; i++) {
		ssl_mem[i].n = dump(objs[i].ssl, ssl_mem[i].b, DUMP_SSL);
		if (objs[i].version == TLS13)
			n13++;
		else if (objs[i].version == TLS12)
			n12++;
	}
	if (!n13 || !n12)
		die("needs TLS 1.2 and 1.3 connections: got %d and %d objects", n12, n13);
	int ncb = 0;
	for (int i = 0; i < nobj; i++)
		ncb += objs[i].ncb;
	if (!ncb)
		die("the library's key-log callback gave no lines");

	/* version: read as 16 bits, whether the field is an int (OpenSSL) or a
	 * uint16_t (BoringSSL): every TLS version fits, and a wider read of a
	 * narrow field would take its neighbour's bytes along */
	if ((off = find_common(mem_ssl, v_version16, 2)) < 0)
		die("TLS version not found in the SSL object");
	row.flags |= TLS_OFF_VERSION_U16;
	row.version = (__u32)off;

	/* client random: in the SSL object (3.x s3 is inline), or in s3 */
	if ((off = find_deep(v_random, 1, &ptr)) < 0)
		die("client random not found");
	if (ptr >= 0) {
		row.flags |= TLS_OFF_S3_PTR;
		row.s3 = (__u32)ptr;
	}
	row.s3_client_random = (__u32)off;
	if (ptr >= 0)
		load_sub(ptr, DUMP_SUB); /* s3, for the fields that may live in it */

	/* the session pointer: in the SSL object, else in s3 (BoringSSL) */
	if ((off = find_common(mem_ssl, v_session, 8)) < 0) {
		if (!(row.flags & TLS_OFF_S3_PTR) || (off = find_common(mem_sub, v_session, 8)) < 0)
			die("session pointer not found");
		row.flags |= TLS_OFF_SESS_IN_S3;
	}
	row.session = (__u32)off;

	/* the session: master key, its length, the cipher and its id */
	static struct mem sess_mem[MAXOBJ], cipher_mem[MAXOBJ];
	for (int i = 0; i < nobj; i++) {
		sess_mem[i].n = dump(objs[i].sess, sess_mem[i].b, DUMP_SUB);
		cipher_mem[i].n = dump(objs[i].cipher, cipher_mem[i].b, DUMP_CIPHER);
	}
	for (int i = 0; i < nobj; i++)
		sub_mem[i] = sess_mem[i];
	if ((off = find_common(mem_sub, v_master, 1)) < 0)
		die("master key not found in the session");
	row.sess_master_key = (__u32)off;
	/* its length likewise as 32 bits, whether a size_t or an int; else a
	 * byte (newer BoringSSL) */
	if ((off = find_common(mem_sub, v_mklen32, 4)) >= 0) {
		row.flags |= TLS_OFF_MKLEN_U32;
	} else if ((off = find_common(mem_sub, v_mklen8, 1)) >= 0) {
		row.flags |= TLS_OFF_MKLEN_U8;
	} else {
		die("master key length not found in the session");
	}
	row.sess_master_key_length = (__u32)off;
	if ((off = find_common(mem_sub, v_cipher, 8)) < 0)
		die("cipher pointer not found in the session");
	row.sess_cipher = (__u32)off;
	for (int i = 0; i < nobj; i++)
		sub_mem[i] = cipher_mem[i];
	if ((off = find_common(mem_sub, v_cipher_id, 4)) < 0)
		die("cipher id not found");
	row.cipher_id = (__u32)off;

	/* TLS 1.3 traffic and exporter secrets: in the SSL object, else in s3
	 * by direction (write/read: client and server swap) */
	want_version13 = 1;
	if ((off = find_common(mem_ssl, v_cts, 1)) >= 0) {
		row.client_app_traffic_secret = (__u32)off;
		if ((off = find_common(mem_ssl, v_sts, 1)) < 0 ||
		    (row.server_app_traffic_secret = (__u32)off,
		     (off = find_common(mem_ssl, v_exp, 1)) < 0))
			die("server traffic or exporter secret not found");
		row.exporter_master_secret = (__u32)off;
	} else {
		long w, r, e;
		if (!(row.flags & TLS_OFF_S3_PTR))
			die("TLS 1.3 traffic secrets not found");
		load_sub(row.s3, DUMP_SUB);
		want_role = 0;
		w = find_common(mem_sub, v_cts, 1);
		want_role = 1;
		r = find_common(mem_sub, v_cts, 1);
		want_role = -1;
		e = find_common(mem_sub, v_exp, 1);
		if (w < 0 || r < 0 || e < 0)
			die("TLS 1.3 traffic secrets not found in the SSL object or s3");
		row.flags |= TLS_OFF_TRAFFIC_RW;
		row.client_app_traffic_secret = (__u32)w;
		row.server_app_traffic_secret = (__u32)r;
		row.exporter_master_secret = (__u32)e;
		want_version13 = -1;
		if (find_server_bit(&row.server, &row.server_mask) < 0)
			die("the server flag was not found in the SSL object");
	}

	/* handshake traffic secrets: stored, else their inputs */
	want_version13 = 1;
	if ((off = find_common(mem_ssl, v_chts, 1)) >= 0 &&
	    (ptr = find_common(mem_ssl, v_shts, 1)) >= 0) {
		row.flags |= TLS_OFF_HS_SECRETS;
		row.client_hs_traffic_secret = (__u32)off;
		row.server_hs_traffic_secret = (__u32)ptr;
	} else if ((off = find_common(mem_ssl, v_th, 1)) >= 0 && (ptr = find_hs_secret()) >= 0) {
		row.handshake_traffic_hash = (__u32)off;
		row.handshake_secret = (__u32)ptr;
	} else {
		row.flags |= TLS_OFF_NO_HS;
		out("note the handshake secrets and their inputs are not kept after the handshake: "
		    "TLS 1.3 gives traffic and exporter secrets only");
	}
	want_version13 = -1;

	char line[EC_SSLROW_MAX];
	if (ec_sslrow_format(&row, line, sizeof(line)) < 0)
		die("row too long");
	out("row %s", line);
	for (int i = 0; i < nobj; i++) {
		struct tls_keys k;
		memset(&k, 0, sizeof(k));
		out("obj %d %c 0x%04x", i, objs[i].server ? 's' : 'c', objs[i].version);
		for (int j = 0; j < objs[i].ncb; j++)
			out("cb %d %s", i, objs[i].cb[j]);
		if (tls_read_keys(objs[i].ssl, &row, &k) < 0)
			die("object %d cannot be read through the row", i);
		hexout("keys", i, &k, sizeof(k));
	}
	out("end");
	/* no exit handlers: the library's destructors are not ours to run */
	_exit(fflush(stdout) ? 1 : 0);
}
