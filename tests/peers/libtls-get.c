// SPDX-License-Identifier: GPL-2.0-only
/*
 * A libtls client for tests/bats/libtls.bats: one HTTP/1.0 GET PATH to
 * HOST:PORT over TLS (certificate not verified: a self-signed test server),
 * the answer on stdout. Exit 0, or 1 with a one-line error.
 */
#include <stdio.h>
#include <string.h>
#include <tls.h>

static int fail(struct tls *t, const char *what)
{
	fprintf(stderr, "libtls-get: %s: %s\n", what, t ? tls_error(t) : "out of memory");
	return 1;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: libtls-get HOST PORT PATH\n");
		return 2;
	}
	struct tls_config *cfg = tls_config_new();
	struct tls *t = tls_client();
	if (!cfg || !t)
		return fail(NULL, "setup");
	tls_config_insecure_noverifycert(cfg);
	tls_config_insecure_noverifyname(cfg);
	if (tls_configure(t, cfg) || tls_connect(t, argv[1], argv[2]))
		return fail(t, "connect");
	char buf[4096];
	int n = snprintf(buf, sizeof buf, "GET %s HTTP/1.0\r\n\r\n", argv[3]);
	for (int off = 0, tries = 0; off < n && tries < 1000; tries++) {
		ssize_t w = tls_write(t, buf + off, n - off);
		if (w == -1)
			return fail(t, "tls_write");
		if (w > 0)
			off += w;
	}
	for (int tries = 0; tries < 100000; tries++) {
		ssize_t r = tls_read(t, buf, sizeof buf);
		if (r == -1)
			return fail(t, "tls_read");
		if (r == 0)
			break;
		if (r > 0)
			fwrite(buf, 1, r, stdout);
	}
	tls_close(t);
	tls_free(t);
	tls_config_free(cfg);
	return 0;
}
