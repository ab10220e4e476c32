// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench helper for bench/bench-e2e.sh: N HTTPS requests at R requests/s
 * over one keep-alive TLS connection on 127.0.0.1, to a server thread of
 * this same process. The client thread (comm "e2e-client", the one the
 * capture hooks with -t) writes "GET /lat/I HTTP/1.1" with one SSL_write and
 * prints "I NS" on stdout, NS being CLOCK_REALTIME right after SSL_write
 * returned; then it reads the answer. The server thread is named
 * "e2e-server" so the capture leaves it out.
 * Built by bench/bench-e2e.sh against the system libssl.
 * usage: e2e-client CERT KEY RATE N
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "e2e-client: %s\n", what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static long long now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (long long)t.tv_sec * 1000000000 + t.tv_nsec;
}

static SSL_CTX *sctx;
static int lfd;

/* Answer every request head with a 2-byte body until the client leaves. */
static void *server(void *arg)
{
	(void)arg;
	prctl(PR_SET_NAME, "e2e-server");
	int fd = accept(lfd, NULL, NULL);
	SSL *s = SSL_new(sctx);
	SSL_set_fd(s, fd);
	if (SSL_accept(s) != 1)
		die("server handshake");
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
	char buf[4096];
	size_t have = 0;
	for (;;) {
		int n = SSL_read(s, buf + have, (int)(sizeof buf - have - 1));
		if (n <= 0)
			break;
		have += (size_t)n;
		buf[have] = 0;
		char *end;
		while ((end = strstr(buf, "\r\n\r\n"))) {
			if (SSL_write(s, resp, sizeof resp - 1) <= 0)
				die("server write");
			size_t k = (size_t)(end + 4 - buf);
			memmove(buf, buf + k, have - k + 1);
			have -= k;
		}
	}
	SSL_free(s);
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 5)
		die("usage: e2e-client CERT KEY RATE N");
	long rate = atol(argv[3]), n = atol(argv[4]);
	if (rate <= 0 || n <= 0)
		die("RATE and N must be > 0");
	sctx = SSL_CTX_new(TLS_server_method());
	if (!sctx || SSL_CTX_use_certificate_file(sctx, argv[1], SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_use_PrivateKey_file(sctx, argv[2], SSL_FILETYPE_PEM) != 1)
		die("server certificate");
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof sa;
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) || listen(lfd, 1) ||
	    getsockname(lfd, (struct sockaddr *)&sa, &sl))
		die("listen on 127.0.0.1");
	pthread_t th;
	if (pthread_create(&th, NULL, server, NULL))
		die("server thread");
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa))
		die("connect");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
	SSL *c = SSL_new(cctx);
	SSL_set_fd(c, fd);
	if (SSL_connect(c) != 1)
		die("client handshake");
	char req[128], buf[256];
	long long start = now_ns();
	for (long i = 0; i < n; i++) {
		long long due = start + i * 1000000000ll / rate, t = now_ns();
		if (due > t) {
			struct timespec d = {(time_t)((due - t) / 1000000000),
					     (long)((due - t) % 1000000000)};
			nanosleep(&d, NULL);
		}
		int k = snprintf(req, sizeof req, "GET /lat/%ld HTTP/1.1\r\nHost: e2e\r\n\r\n", i);
		if (SSL_write(c, req, k) != k)
			die("client write");
		printf("%ld %lld\n", i, now_ns());
		/* the whole answer: head and its 2-byte body */
		size_t have = 0;
		while (have < 4 || !strstr(buf, "\r\n\r\nok")) {
			int r = SSL_read(c, buf + have, (int)(sizeof buf - have - 1));
			if (r <= 0)
				die("client read");
			have += (size_t)r;
			buf[have] = 0;
		}
	}
	SSL_shutdown(c);
	SSL_free(c);
	close(fd);
	pthread_join(th, NULL);
	return 0;
}
