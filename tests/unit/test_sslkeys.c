// SPDX-License-Identifier: GPL-2.0-only
/* lib/capture/sslkeys + bpf/tls_keys.bpf.h: version detection, the offsets table and
 * NSS key log lines.  The live tests run TLS 1.2 and 1.3 handshakes in this
 * process with the machine's libssl, read each SSL object through the row's
 * offsets with the very reader the BPF side runs (tls_read_keys, here over
 * process_vm_readv instead of bpf_probe_read_user), and compare the lines
 * with what libssl's own key log callback printed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "error.h"
#include "sslcal.h"
#include "sslkeys.h"

#include "tls_keys_self.h"

/* --- collected lines ----------------------------------------------------- */

#define MAXLINES 16
struct lines {
	int n;
	char l[MAXLINES][EC_SSLKEYS_LINE_MAX];
};

static int add_line(struct lines *ls, const char *line)
{
	for (int i = 0; i < ls->n; i++)
		if (strcmp(ls->l[i], line) == 0)
			return 0;
	if (ls->n == MAXLINES)
		return -1;
	snprintf(ls->l[ls->n++], EC_SSLKEYS_LINE_MAX, "%s", line);
	return 0;
}

static int on_line(const char *line, void *ctx)
{
	assert_true(strlen(line) < EC_SSLKEYS_LINE_MAX);
	assert_null(strchr(line, '\n'));
	return add_line(ctx, line);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void assert_same_lines(struct lines *a, struct lines *b)
{
	qsort(a->l, (size_t)a->n, sizeof(a->l[0]), cmp_str);
	qsort(b->l, (size_t)b->n, sizeof(b->l[0]), cmp_str);
	for (int i = 0; i < a->n && i < b->n; i++)
		assert_string_equal(a->l[i], b->l[i]);
	assert_int_equal(a->n, b->n);
}

/* --- an in-process TLS client and server --------------------------------- */

static struct lines cb_lines; /* what libssl's key log callback printed */

static void keylog_cb(const SSL *ssl, const char *line)
{
	(void)ssl;
	assert_int_equal(add_line(&cb_lines, line), 0);
}

static EVP_PKEY *pkey;
static X509 *cert;

static void make_cert(void)
{
	X509_NAME *name;

	if (cert)
		return;
#if OPENSSL_VERSION_NUMBER < 0x30000000L
	/* built against 1.1.1 to check a 1.1.1 row (docs/TLS-KEYS.md) */
	EC_KEY *ec = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
	assert_non_null(ec);
	assert_int_equal(EC_KEY_generate_key(ec), 1);
	pkey = EVP_PKEY_new();
	assert_non_null(pkey);
	EVP_PKEY_assign_EC_KEY(pkey, ec);
#else
	pkey = EVP_EC_gen("P-256");
	assert_non_null(pkey);
#endif
	cert = X509_new();
	assert_non_null(cert);
	X509_set_version(cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
	X509_gmtime_adj(X509_getm_notBefore(cert), -60);
	X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
	X509_set_pubkey(cert, pkey);
	name = X509_get_subject_name(cert);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"ec-test", -1,
				   -1, 0);
	X509_set_issuer_name(cert, name);
	assert_true(X509_sign(cert, pkey, EVP_sha256()) > 0);
}

struct pair {
	SSL_CTX *sctx, *cctx;
	SSL *s, *c;
};

/* Connect a client and a server over a BIO pair; version is TLS1_2_VERSION
 * or TLS1_3_VERSION, suites a TLS 1.3 suite list or a TLS 1.2 cipher list. */
static void handshake(struct pair *p, int version, const char *suites, SSL_SESSION *resume)
{
	BIO *bs, *bc;
	int sdone = 0, cdone = 0;

	make_cert();
	if (resume) /* same contexts: the server's ticket key and cache */
		goto connect;
	p->sctx = SSL_CTX_new(TLS_server_method());
	p->cctx = SSL_CTX_new(TLS_client_method());
	assert_non_null(p->sctx);
	assert_non_null(p->cctx);
	for (int i = 0; i < 2; i++) {
		SSL_CTX *ctx = i ? p->cctx : p->sctx;
		SSL_CTX_set_min_proto_version(ctx, version);
		SSL_CTX_set_max_proto_version(ctx, version);
		SSL_CTX_set_keylog_callback(ctx, keylog_cb);
		if (version == TLS1_3_VERSION)
			assert_int_equal(SSL_CTX_set_ciphersuites(ctx, suites), 1);
		else
			assert_int_equal(SSL_CTX_set_cipher_list(ctx, suites), 1);
	}
	SSL_CTX_set_session_cache_mode(p->sctx, SSL_SESS_CACHE_SERVER);
	SSL_CTX_set_session_id_context(p->sctx, (const unsigned char *)"ec", 2);
	assert_int_equal(SSL_CTX_use_certificate(p->sctx, cert), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(p->sctx, pkey), 1);
connect:
	p->s = SSL_new(p->sctx);
	p->c = SSL_new(p->cctx);
	assert_int_equal(BIO_new_bio_pair(&bs, 0, &bc, 0), 1);
	SSL_set_bio(p->s, bs, bs);
	SSL_set_bio(p->c, bc, bc);
	SSL_set_accept_state(p->s);
	SSL_set_connect_state(p->c);
	if (resume)
		assert_int_equal(SSL_set_session(p->c, resume), 1);
	for (int i = 0; i < 100 && !(sdone && cdone); i++) {
		int rc;
		if (!cdone) {
			rc = SSL_do_handshake(p->c);
			if (rc == 1)
				cdone = 1;
			else
				assert_int_equal(SSL_get_error(p->c, rc), SSL_ERROR_WANT_READ);
		}
		if (!sdone) {
			rc = SSL_do_handshake(p->s);
			if (rc == 1)
				sdone = 1;
			else
				assert_int_equal(SSL_get_error(p->s, rc), SSL_ERROR_WANT_READ);
		}
	}
	assert_true(sdone && cdone);
	assert_int_equal(SSL_version(p->c), version);
}

/* one request and response, so TLS 1.3 session tickets get processed */
static void exchange(struct pair *p)
{
	char buf[64];
	assert_int_equal(SSL_write(p->c, "GET / HTTP/1.1\r\n\r\n", 18), 18);
	assert_int_equal(SSL_read(p->s, buf, sizeof(buf)), 18);
	assert_int_equal(SSL_write(p->s, "HTTP/1.1 200 OK\r\n\r\n", 19), 19);
	assert_int_equal(SSL_read(p->c, buf, sizeof(buf)), 19);
}

static void conn_free(struct pair *p)
{
	/* a clean close keeps the session resumable */
	SSL_set_shutdown(p->s, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	SSL_set_shutdown(p->c, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	SSL_free(p->s);
	SSL_free(p->c);
	p->s = p->c = NULL;
}

static void pair_free(struct pair *p)
{
	conn_free(p);
	SSL_CTX_free(p->sctx);
	SSL_CTX_free(p->cctx);
}

/* The row for the libssl this test runs with, calibrated on that very file
 * (lib/capture/sslcal.h), so the test holds for whatever release is installed.
 * Calibration runs its helper in namespaces as nobody: it needs root. */
static const struct ec_sslkeys_row *running_row(void)
{
	static struct ec_sslkeys_row row = {.name = "calibrated", .first = "", .last = ""};
	static int done;
	struct ec_sslcal_result res;
	char err[512];
	Dl_info info;

	if (geteuid() != 0)
		skip();
	if (!done) {
		assert_true(dladdr((void *)SSL_new, &info) != 0);
		if (ec_sslcal_row(info.dli_fname, NULL, &res, err, sizeof(err)))
			fail_msg("calibrating %s: %s", info.dli_fname, err);
		row.off = res.off;
		done = 1;
	}
	return &row;
}

/* Read one side through the row, format, compare with the callback. */
static void check_side(SSL *ssl, const struct ec_sslkeys_row *row, int want_lines)
{
	struct tls_keys *k = calloc(1, sizeof(*k));
	struct lines ours = {0};
	int rc;

	assert_non_null(k);
	assert_int_equal(tls_read_keys(ssl, &row->off, k), 0);
	assert_int_equal(k->version, (uint32_t)SSL_version(ssl));
	rc = ec_sslkeys_lines(k, on_line, &ours);
	assert_int_equal(rc, want_lines);
	assert_same_lines(&ours, &cb_lines);
	free(k);
}

static void live(int version, const char *suites, int want_lines)
{
	const struct ec_sslkeys_row *row = running_row();
	struct pair p = {0};
	SSL_SESSION *sess;

	/* full handshake, then a resumed one */
	cb_lines.n = 0;
	handshake(&p, version, suites, NULL);
	exchange(&p);
	assert_int_equal(cb_lines.n, want_lines);
	check_side(p.c, row, want_lines);
	check_side(p.s, row, want_lines);
	sess = SSL_get1_session(p.c);
	assert_non_null(sess);
	conn_free(&p);

	cb_lines.n = 0;
	handshake(&p, version, suites, sess);
	exchange(&p);
	assert_int_equal(SSL_session_reused(p.c), 1);
	check_side(p.c, row, want_lines);
	check_side(p.s, row, want_lines);
	pair_free(&p);
	SSL_SESSION_free(sess);
}

static void test_live_tls12_aes128(void **state)
{
	(void)state;
	live(TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256", 1);
}

static void test_live_tls12_chacha(void **state)
{
	(void)state;
	live(TLS1_2_VERSION, "ECDHE-ECDSA-CHACHA20-POLY1305", 1);
}

static void test_live_tls13_aes128(void **state)
{
	(void)state;
	live(TLS1_3_VERSION, "TLS_AES_128_GCM_SHA256", 5);
}

static void test_live_tls13_aes256(void **state)
{
	(void)state;
	live(TLS1_3_VERSION, "TLS_AES_256_GCM_SHA384", 5);
}

static void test_live_tls13_chacha(void **state)
{
	(void)state;
	live(TLS1_3_VERSION, "TLS_CHACHA20_POLY1305_SHA256", 5);
}

/* before the handshake nothing usable is there: no lines, no crash */
static void test_live_before_handshake(void **state)
{
	const struct ec_sslkeys_row *row = running_row();
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = SSL_new(ctx);
	struct tls_keys *k = calloc(1, sizeof(*k));
	struct lines ours = {0};

	(void)state;
	assert_non_null(k);
	assert_int_equal(tls_read_keys(ssl, &row->off, k), 0);
	assert_int_equal(ec_sslkeys_lines(k, on_line, &ours), EC_ERR_PROTO);
	assert_int_equal(ours.n, 0);
	/* an unmapped SSL pointer: the reader fails cleanly */
	assert_int_equal(tls_read_keys((void *)8, &row->off, k), -1);
	assert_int_equal(tls_read_keys(NULL, &row->off, k), -1);
	free(k);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
}

/* --- version strings ----------------------------------------------------- */

static char tmpdir[64];

static void write_file(const char *name, const void *data, size_t n)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	fclose(f);
}

static int version_of(const char *name, char *ver, size_t len)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return ec_sslkeys_version(path, ver, len);
}

static int setup_tmp(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ec-sslkeys-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_tmp(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_version_installed(void **state)
{
	Dl_info info;
	char ver[128];

	(void)state;
	/* the libssl this test runs with: its libcrypto holds the string */
	assert_true(dladdr((void *)SSL_new, &info) != 0);
	assert_int_equal(ec_sslkeys_version(info.dli_fname, ver, sizeof(ver)), EC_OK);
	assert_string_equal(ver, OpenSSL_version(OPENSSL_VERSION));
}

/* Where the table has a row for the running release, it must read what
 * calibration reads: the same lines from every live connection.  (Offsets
 * may differ where a field lives twice, e.g. s3 inline vs. its random.) */
static void test_table_row_installed(void **state)
{
	const struct ec_sslkeys_row *table = ec_sslkeys_find_row(OpenSSL_version(OPENSSL_VERSION));

	(void)state;
	if (!table)
		skip(); /* the table does not cover this release: calibration does */
	running_row();
	for (int v = 0; v < 2; v++) {
		struct pair p = {0};
		cb_lines.n = 0;
		handshake(&p, v ? TLS1_3_VERSION : TLS1_2_VERSION,
			  v ? "TLS_AES_128_GCM_SHA256" : "ECDHE-ECDSA-AES128-GCM-SHA256", NULL);
		exchange(&p);
		check_side(p.c, table, v ? 5 : 1);
		check_side(p.s, table, v ? 5 : 1);
		pair_free(&p);
	}
}

static void test_version_files(void **state)
{
	static const char v111[] = "\x7f"
				   "ELF junk OpenSSL 9 not this\0OpenSSL 1.1.1w  11 Sep 2023\0more";
	static const char boring[] = "xx\0OpenSSL 1.1.1 (compatible; BoringSSL)\0";
	static const char libre[] = "\0LibreSSL 3.8.2\0";
	static const char none[] = "OpenSSL\0OpenSSL 3.x\0OpenSSL 3.0.1x1\0 OpenSSL 3.0.1\0";
	static const char tail[] = "\0OpenSSL 3.0.1"; /* no NUL at the end of the file */
	char ver[64], small[8];

	(void)state;
	write_file("a.so", v111, sizeof(v111) - 1);
	assert_int_equal(version_of("a.so", ver, sizeof(ver)), EC_OK);
	assert_string_equal(ver, "OpenSSL 1.1.1w  11 Sep 2023");
	assert_int_equal(version_of("a.so", small, sizeof(small)), EC_OK);
	assert_string_equal(small, "OpenSSL"); /* cut to the buffer */

	write_file("b.so", boring, sizeof(boring) - 1);
	assert_int_equal(version_of("b.so", ver, sizeof(ver)), EC_OK);
	assert_string_equal(ver, "BoringSSL");
	assert_null(ec_sslkeys_find_row(ver)); /* no BoringSSL row yet */

	write_file("c.so", libre, sizeof(libre) - 1);
	assert_int_equal(version_of("c.so", ver, sizeof(ver)), EC_OK);
	assert_string_equal(ver, "LibreSSL 3.8.2");
	assert_null(ec_sslkeys_find_row(ver));

	write_file("d.so", none, sizeof(none) - 1);
	assert_int_equal(version_of("d.so", ver, sizeof(ver)), EC_ERR_NOTFOUND);
	write_file("e.so", tail, sizeof(tail) - 1);
	assert_int_equal(version_of("e.so", ver, sizeof(ver)), EC_ERR_NOTFOUND);
	write_file("empty.so", "", 0);
	assert_int_equal(version_of("empty.so", ver, sizeof(ver)), EC_ERR_NOTFOUND);
	assert_int_equal(version_of("missing.so", ver, sizeof(ver)), EC_ERR_IO);
	assert_int_equal(ec_sslkeys_version(tmpdir, ver, sizeof(ver)), EC_ERR_IO); /* a dir */
	assert_int_equal(ec_sslkeys_version(NULL, ver, sizeof(ver)), EC_ERR_INVAL);
	assert_int_equal(ec_sslkeys_version("x", ver, 0), EC_ERR_INVAL);

	/* libssl without a string: its libcrypto sibling is read */
	write_file("libssl.so.9", "no version here", 15);
	assert_int_equal(version_of("libssl.so.9", ver, sizeof(ver)), EC_ERR_NOTFOUND);
	write_file("libcrypto.so.9", "\0OpenSSL 3.0.22 25 Aug 2026\0", 29);
	assert_int_equal(version_of("libssl.so.9", ver, sizeof(ver)), EC_OK);
	assert_string_equal(ver, "OpenSSL 3.0.22 25 Aug 2026");
}

static void test_find_row(void **state)
{
	const struct ec_sslkeys_row *rows, *r;
	size_t n;

	(void)state;
	rows = ec_sslkeys_rows(&n);
	assert_true(n >= 1);
	/* every row: a version range, offsets inside sane bounds */
	for (size_t i = 0; i < n; i++) {
		char ver[64];
		assert_non_null(rows[i].name);
		assert_ptr_equal(ec_sslkeys_row_by_name(rows[i].name), &rows[i]);
		if (strncmp(rows[i].name, "boringssl", 9) == 0)
			continue;
		snprintf(ver, sizeof(ver), "OpenSSL %s", rows[i].first);
		assert_ptr_equal(ec_sslkeys_find_row(ver), &rows[i]);
		snprintf(ver, sizeof(ver), "OpenSSL %s", rows[i].last);
		assert_ptr_equal(ec_sslkeys_find_row(ver), &rows[i]);
		assert_true(rows[i].off.handshake_secret < 1u << 16);
	}
	r = ec_sslkeys_find_row("OpenSSL 3.0.22 25 Aug 2026");
	assert_non_null(r);
	assert_string_equal(r->name, "openssl-3.0");
	r = ec_sslkeys_find_row("OpenSSL 3.0.21 1 Jan 2026"); /* inside the range */
	assert_non_null(r);
	assert_string_equal(r->name, "openssl-3.0");
	r = ec_sslkeys_find_row("OpenSSL 1.1.1w  11 Sep 2023");
	assert_non_null(r);
	assert_true(r->off.flags & TLS_OFF_S3_PTR);
	r = ec_sslkeys_find_row("OpenSSL 3.5.8 1 Jul 2026");
	assert_non_null(r);
	assert_string_equal(r->name, "openssl-3.5");
	assert_null(ec_sslkeys_find_row("OpenSSL 1.1.1v  1 Aug 2023")); /* letter order */
	assert_null(ec_sslkeys_find_row("OpenSSL 1.1.1"));
	assert_null(ec_sslkeys_find_row("OpenSSL 3.6.6 1 Jan 2027"));
	assert_null(ec_sslkeys_find_row("OpenSSL 3.0.2 1 Jan 2022"));
	/* nearest: same major.minor line only */
	int exact = -1;
	r = ec_sslkeys_nearest_row("OpenSSL 3.0.2 1 Jan 2022", &exact);
	assert_non_null(r);
	assert_string_equal(r->name, "openssl-3.0");
	assert_int_equal(exact, 0);
	r = ec_sslkeys_nearest_row("OpenSSL 3.0.20 1 Jan 2026", &exact);
	assert_non_null(r);
	assert_int_equal(exact, 1);
	r = ec_sslkeys_nearest_row("OpenSSL 3.6.9 1 Jan 2027", &exact);
	assert_non_null(r);
	assert_string_equal(r->name, "openssl-3.5");
	assert_int_equal(exact, 0);
	assert_null(ec_sslkeys_nearest_row("OpenSSL 3.2.1 1 Jan 2024", &exact));
	assert_null(ec_sslkeys_nearest_row("OpenSSL 1.0.2u 1 Jan 2020", &exact));
	assert_null(ec_sslkeys_nearest_row("BoringSSL", &exact));
	assert_null(ec_sslkeys_nearest_row(NULL, NULL));
	assert_null(ec_sslkeys_find_row("OpenSSL 0.9.8 x"));
	assert_null(ec_sslkeys_find_row("OpenSSL 3.0"));
	assert_null(ec_sslkeys_find_row("3.0.22"));
	assert_null(ec_sslkeys_find_row(""));
	assert_null(ec_sslkeys_find_row(NULL));
	assert_null(ec_sslkeys_find_row("BoringSSL")); /* by name only */
	r = ec_sslkeys_row_by_name("boringssl-android13");
	assert_non_null(r);
	assert_true(r->off.flags & TLS_OFF_TRAFFIC_RW);
	assert_null(ec_sslkeys_row_by_name("openssl-9.9"));
	assert_null(ec_sslkeys_row_by_name(NULL));
}

/* --- lines from synthetic material --------------------------------------- */

static void unhex(uint8_t *out, const char *hex)
{
	for (size_t i = 0; hex[2 * i]; i++) {
		unsigned v;
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static struct tls_keys *tls12_keys(void)
{
	struct tls_keys *k = calloc(1, sizeof(*k));
	assert_non_null(k);
	k->version = 0x0303;
	k->valid = TLS_KEYS_HAVE_RANDOM | TLS_KEYS_HAVE_MASTER;
	k->master_key_len = 48;
	for (int i = 0; i < 32; i++)
		k->client_random[i] = (uint8_t)i;
	for (int i = 0; i < 48; i++)
		k->master_key[i] = (uint8_t)(0xf0 + (i & 15));
	return k;
}

static void test_lines_tls12(void **state)
{
	struct tls_keys *k = tls12_keys();
	struct lines ls = {0};

	(void)state;
	assert_int_equal(ec_sslkeys_lines(k, on_line, &ls), 1);
	assert_string_equal(ls.l[0],
			    "CLIENT_RANDOM "
			    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f "
			    "f0f1f2f3f4f5f6f7f8f9fafbfcfdfefff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"
			    "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
	k->version = 0x0301;
	assert_int_equal(ec_sslkeys_lines(k, on_line, &ls), 1);

	/* inconsistent or empty material */
	k->master_key_len = 47;
	assert_int_equal(ec_sslkeys_lines(k, on_line, &ls), EC_ERR_PROTO);
	k->master_key_len = 48;
	k->valid &= ~TLS_KEYS_HAVE_MASTER;
	assert_int_equal(ec_sslkeys_lines(k, on_line, &ls), EC_ERR_PROTO);
	k->valid |= TLS_KEYS_HAVE_MASTER;
	memset(k->master_key, 0, sizeof(k->master_key));
	assert_int_equal(ec_sslkeys_lines(k, on_line, &ls), EC_ERR_PROTO);
	free(k);

	k = tls12_keys();
	memset(k->client_random, 0, sizeof(k->client_random));
	assert_int_equal(ec_sslkeys_lines(k, on_line, &ls), EC_ERR_PROTO);
	free(k);
	k = tls12_keys();
	k->valid &= ~TLS_KEYS_HAVE_RANDOM;
	assert_int_equal(ec_sslkeys_lines(k, on_line, &ls), EC_ERR_PROTO);
	k->valid |= TLS_KEYS_HAVE_RANDOM;
	k->version = 0x0300; /* SSL 3.0 */
	assert_int_equal(ec_sslkeys_lines(k, on_line, &ls), EC_ERR_PROTO);
	k->version = 0;
	assert_int_equal(ec_sslkeys_lines(k, on_line, &ls), EC_ERR_PROTO);
	assert_int_equal(ec_sslkeys_lines(NULL, on_line, &ls), EC_ERR_INVAL);
	assert_int_equal(ec_sslkeys_lines(k, NULL, &ls), EC_ERR_INVAL);
	free(k);
}

static int stop_line(const char *line, void *ctx)
{
	(void)line;
	++*(int *)ctx;
	return EC_ERR_IO;
}

/* RFC 8448 section 3 (simple 1-RTT handshake, TLS_AES_128_GCM_SHA256):
 * the handshake secret and the hash of ClientHello..ServerHello give the
 * client and server handshake traffic secrets */
static void test_lines_tls13_rfc8448(void **state)
{
	struct tls_keys *k = calloc(1, sizeof(*k));
	struct lines ls = {0};
	char want[EC_SSLKEYS_LINE_MAX];
	int calls = 0;

	(void)state;
	assert_non_null(k);
	k->version = 0x0304;
	k->cipher_id = 0x03001301;
	k->valid = TLS_KEYS_HAVE_RANDOM | TLS_KEYS_HAVE_CIPHER | TLS_KEYS_HAVE_HS;
	memset(k->client_random, 0xab, 32);
	unhex(k->handshake_secret,
	      "1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac");
	unhex(k->handshake_traffic_hash,
	      "860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8");
	assert_int_equal(ec_sslkeys_lines(k, on_line, &ls), 2);
	snprintf(want, sizeof(want), "CLIENT_HANDSHAKE_TRAFFIC_SECRET %s %s",
		 "abababababababababababababababababababababababababababababababab",
		 "b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21");
	assert_string_equal(ls.l[0], want);
	snprintf(want, sizeof(want), "SERVER_HANDSHAKE_TRAFFIC_SECRET %s %s",
		 "abababababababababababababababababababababababababababababababab",
		 "b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38");
	assert_string_equal(ls.l[1], want);

	/* stored handshake traffic secrets win over derivation */
	ls.n = 0;
	k->valid |= TLS_KEYS_HAVE_HS_TRAFFIC;
	memset(k->client_hs_traffic, 0x11, 32);
	memset(k->server_hs_traffic, 0x22, 32);
	assert_int_equal(ec_sslkeys_lines(k, on_line, &ls), 2);
	assert_non_null(strstr(ls.l[0], " 1111111111"));
	assert_non_null(strstr(ls.l[1], " 2222222222"));

	/* application secrets, SHA-384: 48-byte secrets; zero ones skipped */
	ls.n = 0;
	k->cipher_id = 0x03001302;
	k->valid = TLS_KEYS_HAVE_RANDOM | TLS_KEYS_HAVE_CIPHER | TLS_KEYS_HAVE_APP;
	memset(k->client_app_traffic, 0x33, 64);
	memset(k->server_app_traffic, 0x44, 64);
	assert_int_equal(ec_sslkeys_lines(k, on_line, &ls), 2);
	assert_int_equal(strlen(ls.l[0]), strlen("CLIENT_TRAFFIC_SECRET_0") + 2 + 64 + 96);
	assert_non_null(strstr(ls.l[1], "SERVER_TRAFFIC_SECRET_0 "));

	/* the callback's error stops at the first line */
	assert_int_equal(ec_sslkeys_lines(k, stop_line, &calls), EC_ERR_IO);
	assert_int_equal(calls, 1);

	/* unknown suite, no suite, nothing present */
	k->cipher_id = 0x0300c02f;
	assert_int_equal(ec_sslkeys_lines(k, on_line, &ls), EC_ERR_PROTO);
	k->cipher_id = 0x03001301;
	k->valid &= ~TLS_KEYS_HAVE_CIPHER;
	assert_int_equal(ec_sslkeys_lines(k, on_line, &ls), EC_ERR_PROTO);
	k->valid |= TLS_KEYS_HAVE_CIPHER;
	memset(k->client_app_traffic, 0, 64);
	memset(k->server_app_traffic, 0, 64);
	assert_int_equal(ec_sslkeys_lines(k, on_line, &ls), EC_ERR_PROTO);
	k->valid |= TLS_KEYS_HAVE_HS; /* handshake_secret is zero */
	memset(k->handshake_secret, 0, 64);
	assert_int_equal(ec_sslkeys_lines(k, on_line, &ls), EC_ERR_PROTO);
	free(k);
}

static void test_seen(void **state)
{
	static struct ec_sslkeys_seen seen;
	char line[64];

	(void)state;
	assert_int_equal(ec_sslkeys_seen(&seen, "CLIENT_RANDOM aa bb"), 0);
	assert_int_equal(ec_sslkeys_seen(&seen, "CLIENT_RANDOM aa bb"), 1);
	assert_int_equal(ec_sslkeys_seen(&seen, "CLIENT_RANDOM aa bc"), 0);
	/* the oldest is forgotten once EC_SSLKEYS_SEEN_MAX others came */
	for (int i = 0; i < EC_SSLKEYS_SEEN_MAX - 2; i++) {
		snprintf(line, sizeof(line), "EXPORTER_SECRET %d x", i);
		assert_int_equal(ec_sslkeys_seen(&seen, line), 0);
	}
	assert_int_equal(ec_sslkeys_seen(&seen, "CLIENT_RANDOM aa bb"), 1);
	assert_int_equal(ec_sslkeys_seen(&seen, "another"), 0);
	assert_int_equal(ec_sslkeys_seen(&seen, "CLIENT_RANDOM aa bb"), 0);
	assert_int_equal(ec_sslkeys_seen(&seen, "EXPORTER_SECRET 4093 x"), 1);
}

/* The BoringSSL-style paths of tls_read_keys on a hand-made object: s3
 * behind a pointer, a uint16_t version, the session in s3 with an int key
 * length, TLS 1.3 secrets in s3 by direction, swapped for a server. */
static void test_read_flags(void **state)
{
	static struct {
		uint8_t ssl[64], s3[256], sess[128], cipher[32];
	} m;
	const struct tls_ssl_offsets off = {
	    .flags = TLS_OFF_S3_PTR | TLS_OFF_VERSION_U16 | TLS_OFF_SESS_IN_S3 | TLS_OFF_MKLEN_U32 |
		     TLS_OFF_NO_HS | TLS_OFF_TRAFFIC_RW,
	    .version = 2,
	    .s3 = 8,
	    .s3_client_random = 0,
	    .session = 32,
	    .sess_master_key_length = 4,
	    .sess_master_key = 8,
	    .sess_cipher = 64,
	    .cipher_id = 4,
	    .client_app_traffic_secret = 48,  /* write */
	    .server_app_traffic_secret = 112, /* read */
	    .exporter_master_secret = 176,
	    .server = 20,
	    .server_mask = 0x4,
	};
	struct tls_keys *k = calloc(1, sizeof(*k));
	const void *p;
	uint16_t v = 0x0304;
	int32_t len = 48;
	uint32_t id = 0x03001302;

	(void)state;
	assert_non_null(k);
	memset(&m, 0xee, sizeof(m));
	memcpy(m.ssl + 2, &v, 2); /* 0xeeee after it must not leak in */
	p = m.s3;
	memcpy(m.ssl + 8, &p, sizeof(p));
	m.ssl[20] = 0xfb; /* server bit clear: a client */
	memset(m.s3, 0x01, 32);
	p = m.sess;
	memcpy(m.s3 + 32, &p, sizeof(p));
	memset(m.s3 + 48, 0x0c, 64);
	memset(m.s3 + 112, 0x05, 64);
	memset(m.s3 + 176, 0x0e, 64);
	memcpy(m.sess + 4, &len, 4);
	memset(m.sess + 8, 0x4d, 48);
	p = m.cipher;
	memcpy(m.sess + 64, &p, sizeof(p));
	memcpy(m.cipher + 4, &id, 4);

	assert_int_equal(tls_read_keys(m.ssl, &off, k), 0);
	assert_int_equal(k->version, 0x0304);
	assert_int_equal(k->cipher_id, 0x03001302);
	assert_int_equal(k->master_key_len, 48);
	assert_int_equal(k->valid, TLS_KEYS_HAVE_RANDOM | TLS_KEYS_HAVE_MASTER |
				       TLS_KEYS_HAVE_CIPHER | TLS_KEYS_HAVE_APP);
	assert_int_equal(k->client_random[31], 0x01);
	assert_int_equal(k->master_key[47], 0x4d);
	assert_int_equal(k->client_app_traffic[0], 0x0c);
	assert_int_equal(k->server_app_traffic[0], 0x05);
	assert_int_equal(k->exporter_secret[0], 0x0e);
	assert_int_equal(k->handshake_secret[0], 0); /* TLS_OFF_NO_HS: not read */

	m.ssl[20] = 0x04; /* a server: it writes with the server secret */
	assert_int_equal(tls_read_keys(m.ssl, &off, k), 0);
	assert_int_equal(k->client_app_traffic[0], 0x05);
	assert_int_equal(k->server_app_traffic[0], 0x0c);

	/* a session pointer to nowhere: no master key, no cipher, no crash */
	p = (const void *)8;
	memcpy(m.s3 + 32, &p, sizeof(p));
	assert_int_equal(tls_read_keys(m.ssl, &off, k), 0);
	assert_int_equal(k->valid, TLS_KEYS_HAVE_RANDOM | TLS_KEYS_HAVE_APP);
	/* no s3: version only */
	memset(m.ssl + 8, 0, 8);
	assert_int_equal(tls_read_keys(m.ssl, &off, k), 0);
	assert_int_equal(k->valid, 0);
	free(k);
}

static void test_layout(void **state)
{
	(void)state;
	/* the event layout the BPF side and user space share */
	assert_int_equal(sizeof(struct tls_keys), 544);
	assert_int_equal(offsetof(struct tls_keys, client_random), 16);
	assert_int_equal(sizeof(struct tls_ssl_offsets), 18 * 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_layout),
	    cmocka_unit_test(test_seen),
	    cmocka_unit_test(test_read_flags),
	    cmocka_unit_test(test_find_row),
	    cmocka_unit_test(test_version_installed),
	    cmocka_unit_test(test_table_row_installed),
	    cmocka_unit_test_setup_teardown(test_version_files, setup_tmp, teardown_tmp),
	    cmocka_unit_test(test_lines_tls12),
	    cmocka_unit_test(test_lines_tls13_rfc8448),
	    cmocka_unit_test(test_live_before_handshake),
	    cmocka_unit_test(test_live_tls12_aes128),
	    cmocka_unit_test(test_live_tls12_chacha),
	    cmocka_unit_test(test_live_tls13_aes128),
	    cmocka_unit_test(test_live_tls13_aes256),
	    cmocka_unit_test(test_live_tls13_chacha),
	};
	int rc = cmocka_run_group_tests_name("sslkeys", tests, NULL, NULL);
	X509_free(cert);
	EVP_PKEY_free(pkey);
	return rc;
}
