/* Check a BoringSSL row of lib/sslkeys_rows.h against a live BoringSSL: TLS
 * 1.2 and 1.3 handshakes between two SSL objects of the library at LIBDIR
 * (loaded on its own with RTLD_DEEPBIND, beside the OpenSSL lib/sslkeys
 * uses), each SSL read through the row with the BPF reader code, the lines
 * compared with the library's own key log callback.  Build from the top of
 * the tree (see docs/TLS-KEYS.md):
 *
 *   cc -D_GNU_SOURCE -Ilib -Ibpf tools/ssl-offsets/check-boringssl.c lib/sslkeys.c \
 *      lib/error.c -o check-boringssl -lcrypto -ldl
 *   ./check-boringssl LIBDIR ROW CERT.pem KEY.pem
 *
 * Exit 0 when every line we produce is one the library logged and the
 * TLS 1.2 line and the TLS 1.3 traffic/exporter lines are all there. */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "error.h"
#include "sslkeys.h"

static long read_self(void *dst, size_t size, const void *src)
{
	struct iovec local = {dst, size}, remote = {(void *)src, size};
	ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	return n == (ssize_t)size ? 0 : -EFAULT;
}
#define TLS_KEYS_READ(dst, size, src) read_self((dst), (size), (src))
#include "tls_keys.bpf.h"

/* the BoringSSL functions used, by their C names (opaque pointers) */
static struct {
	void *(*TLS_method)(void);
	void *(*SSL_CTX_new)(void *);
	void (*SSL_CTX_free)(void *);
	int (*SSL_CTX_set_min_proto_version)(void *, unsigned short);
	int (*SSL_CTX_set_max_proto_version)(void *, unsigned short);
	void (*SSL_CTX_set_keylog_callback)(void *, void (*)(const void *, const char *));
	int (*SSL_CTX_use_certificate_file)(void *, const char *, int);
	int (*SSL_CTX_use_PrivateKey_file)(void *, const char *, int);
	void *(*SSL_new)(void *);
	void (*SSL_free)(void *);
	void (*SSL_set_bio)(void *, void *, void *);
	void (*SSL_set_accept_state)(void *);
	void (*SSL_set_connect_state)(void *);
	int (*SSL_do_handshake)(void *);
	int (*SSL_get_error)(const void *, int);
	int (*SSL_write)(void *, const void *, int);
	int (*SSL_read)(void *, void *, int);
	int (*SSL_version)(const void *);
	int (*BIO_new_bio_pair)(void **, size_t, void **, size_t);
} B;

#define MAXLINES 16
struct lines {
	int n;
	char l[MAXLINES][EC_SSLKEYS_LINE_MAX];
};
static struct lines logged;

static void add(struct lines *ls, const char *line)
{
	for (int i = 0; i < ls->n; i++)
		if (!strcmp(ls->l[i], line))
			return;
	if (ls->n < MAXLINES)
		snprintf(ls->l[ls->n++], EC_SSLKEYS_LINE_MAX, "%s", line);
}

static void keylog_cb(const void *ssl, const char *line)
{
	(void)ssl;
	add(&logged, line);
}

static int on_line(const char *line, void *ctx)
{
	add(ctx, line);
	return 0;
}

static int has(const struct lines *ls, const char *prefix)
{
	for (int i = 0; i < ls->n; i++)
		if (!strncmp(ls->l[i], prefix, strlen(prefix)))
			return 1;
	return 0;
}

static void *sym(void *h1, void *h2, const char *name)
{
	void *p = dlsym(h1, name);
	if (!p)
		p = dlsym(h2, name);
	if (!p) {
		fprintf(stderr, "check-boringssl: %s not found\n", name);
		exit(1);
	}
	return p;
}

#define LOAD(name) *(void **)&B.name = sym(ssl, crypto, #name)

/* One handshake at version; 0 when our lines check out for both ends. */
static int run(const struct ec_sslkeys_row *row, unsigned short version, const char *cert,
	       const char *key)
{
	void *ctx[2], *s[2], *b0, *b1;
	int done[2] = {0, 0}, bad = 0;
	char buf[64];

	logged.n = 0;
	for (int i = 0; i < 2; i++) {
		ctx[i] = B.SSL_CTX_new(B.TLS_method());
		B.SSL_CTX_set_min_proto_version(ctx[i], version);
		B.SSL_CTX_set_max_proto_version(ctx[i], version);
		B.SSL_CTX_set_keylog_callback(ctx[i], keylog_cb);
	}
	if (B.SSL_CTX_use_certificate_file(ctx[0], cert, 1) != 1 ||
	    B.SSL_CTX_use_PrivateKey_file(ctx[0], key, 1) != 1) {
		fprintf(stderr, "check-boringssl: cannot load %s / %s\n", cert, key);
		exit(1);
	}
	s[0] = B.SSL_new(ctx[0]);
	s[1] = B.SSL_new(ctx[1]);
	B.BIO_new_bio_pair(&b0, 0, &b1, 0);
	B.SSL_set_bio(s[0], b0, b0);
	B.SSL_set_bio(s[1], b1, b1);
	B.SSL_set_accept_state(s[0]);
	B.SSL_set_connect_state(s[1]);
	for (int n = 0; n < 100 && !(done[0] && done[1]); n++)
		for (int i = 1; i >= 0; i--) {
			int rc = done[i] ? 1 : B.SSL_do_handshake(s[i]);
			if (rc == 1)
				done[i] = 1;
			else if (B.SSL_get_error(s[i], rc) != 2 /* WANT_READ */) {
				fprintf(stderr, "check-boringssl: handshake failed\n");
				exit(1);
			}
		}
	B.SSL_write(s[1], "GET / HTTP/1.1\r\n\r\n", 18);
	B.SSL_read(s[0], buf, sizeof(buf));
	B.SSL_write(s[0], "HTTP/1.1 200 OK\r\n\r\n", 19);
	B.SSL_read(s[1], buf, sizeof(buf));

	for (int i = 0; i < 2; i++) {
		struct tls_keys *k = calloc(1, sizeof(*k));
		struct lines ours = {0};
		int n;
		if (!k || tls_read_keys(s[i], &row->off, k) < 0) {
			fprintf(stderr, "check-boringssl: cannot read the SSL object\n");
			exit(1);
		}
		n = ec_sslkeys_lines(k, on_line, &ours);
		printf("%s TLS 0x%04x (SSL_version 0x%04x, suite 0x%08x): %d lines\n",
		       i ? "client" : "server", k->version, B.SSL_version(s[i]), k->cipher_id, n);
		if (k->version != (unsigned)B.SSL_version(s[i]))
			bad = 1;
		for (int j = 0; j < ours.n; j++) {
			int found = 0;
			for (int m = 0; m < logged.n; m++)
				found |= !strcmp(ours.l[j], logged.l[m]);
			printf("  %s %.40s...\n", found ? "ok  " : "BAD ", ours.l[j]);
			bad |= !found;
		}
		if (version == 0x0303)
			bad |= !has(&ours, "CLIENT_RANDOM ");
		else
			bad |= !has(&ours, "CLIENT_TRAFFIC_SECRET_0 ") ||
			       !has(&ours, "SERVER_TRAFFIC_SECRET_0 ") ||
			       !has(&ours, "EXPORTER_SECRET ");
		free(k);
	}
	for (int m = 0; m < logged.n; m++)
		printf("  logged by the library: %.40s...\n", logged.l[m]);
	for (int i = 0; i < 2; i++) {
		B.SSL_free(s[i]);
		B.SSL_CTX_free(ctx[i]);
	}
	return bad;
}

int main(int argc, char **argv)
{
	char path[4096];
	void *crypto, *ssl;
	const struct ec_sslkeys_row *row;
	int bad;

	if (argc != 5) {
		fprintf(stderr, "usage: %s LIBDIR ROW CERT.pem KEY.pem\n", argv[0]);
		return 2;
	}
	row = ec_sslkeys_row_by_name(argv[2]);
	if (!row) {
		fprintf(stderr, "check-boringssl: no row '%s' in lib/sslkeys_rows.h\n", argv[2]);
		return 2;
	}
	snprintf(path, sizeof(path), "%s/libcrypto.so.0", argv[1]);
	crypto = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
	snprintf(path, sizeof(path), "%s/libssl.so.0", argv[1]);
	ssl = crypto ? dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND) : NULL;
	if (!ssl) {
		fprintf(stderr, "check-boringssl: %s\n", dlerror());
		return 1;
	}
	LOAD(TLS_method);
	LOAD(SSL_CTX_new);
	LOAD(SSL_CTX_free);
	LOAD(SSL_CTX_set_min_proto_version);
	LOAD(SSL_CTX_set_max_proto_version);
	LOAD(SSL_CTX_set_keylog_callback);
	LOAD(SSL_CTX_use_certificate_file);
	LOAD(SSL_CTX_use_PrivateKey_file);
	LOAD(SSL_new);
	LOAD(SSL_free);
	LOAD(SSL_set_bio);
	LOAD(SSL_set_accept_state);
	LOAD(SSL_set_connect_state);
	LOAD(SSL_do_handshake);
	LOAD(SSL_get_error);
	LOAD(SSL_write);
	LOAD(SSL_read);
	LOAD(SSL_version);
	LOAD(BIO_new_bio_pair);
	bad = run(row, 0x0303, argv[3], argv[4]);
	bad |= run(row, 0x0304, argv[3], argv[4]);
	printf("%s: row %s %s\n", argv[0], row->name, bad ? "FAILED" : "ok");
	return bad;
}
