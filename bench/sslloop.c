// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench helper: the CPU cost of one SSL call. One thread owns both ends of
 * a TLS connection over TCP on 127.0.0.1 and does N rounds of SSL_write
 * (SIZE bytes, client) + SSL_read (server): 2N hooked calls, each with a
 * real socket syscall. Prints the thread's CPU time per SSL call in ns
 * (CLOCK_THREAD_CPUTIME_ID: uprobe handling runs in the traced thread and
 * is counted; waiting for a CPU on a busy machine is not).
 * Built by bench/bench-capture.sh against the system libssl.
 * usage: sslloop CERT KEY N SIZE
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "sslloop: %s\n", what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static double cpu_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc != 5)
		die("usage: sslloop CERT KEY N SIZE");
	long n = atol(argv[3]), size = atol(argv[4]);
	if (n <= 0 || size <= 0 || size > 16384)
		die("N > 0 and 0 < SIZE <= 16384");
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof sa;
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof sa) || listen(ls, 1) ||
	    getsockname(ls, (struct sockaddr *)&sa, &sl))
		die("listen on 127.0.0.1");
	int cfd = socket(AF_INET, SOCK_STREAM, 0);
	if (cfd < 0 || connect(cfd, (struct sockaddr *)&sa, sizeof sa))
		die("connect");
	int sfd = accept(ls, NULL, NULL);
	if (sfd < 0)
		die("accept");
	SSL_CTX *sctx = SSL_CTX_new(TLS_server_method());
	SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
	if (!sctx || !cctx || SSL_CTX_use_certificate_file(sctx, argv[1], SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_use_PrivateKey_file(sctx, argv[2], SSL_FILETYPE_PEM) != 1)
		die("certificate");
	SSL *c = SSL_new(cctx), *s = SSL_new(sctx);
	SSL_set_fd(c, cfd);
	SSL_set_fd(s, sfd);
	SSL_set_connect_state(c);
	SSL_set_accept_state(s);
	/* both handshakes in this thread: non-blocking until both are done */
	fcntl(cfd, F_SETFL, O_NONBLOCK);
	fcntl(sfd, F_SETFL, O_NONBLOCK);
	int cd = 0, sd = 0;
	for (int i = 0; i < 100000 && !(cd && sd); i++) {
		if (!cd) {
			int r = SSL_do_handshake(c);
			if (r == 1)
				cd = 1;
			else if (SSL_get_error(c, r) != SSL_ERROR_WANT_READ)
				die("client handshake");
		}
		if (!sd) {
			int r = SSL_do_handshake(s);
			if (r == 1)
				sd = 1;
			else if (SSL_get_error(s, r) != SSL_ERROR_WANT_READ)
				die("server handshake");
		}
	}
	if (!cd || !sd)
		die("handshake did not finish");
	fcntl(cfd, F_SETFL, 0);
	fcntl(sfd, F_SETFL, 0);
	char *out = malloc((size_t)size), *in = malloc((size_t)size);
	memset(out, 'x', (size_t)size);
	double t0 = cpu_ns();
	for (long i = 0; i < n; i++) {
		if (SSL_write(c, out, (int)size) != size)
			die("SSL_write");
		long got = 0;
		while (got < size) {
			int r = SSL_read(s, in + got, (int)(size - got));
			if (r <= 0)
				die("SSL_read");
			got += r;
		}
	}
	double t1 = cpu_ns();
	printf("%.0f\n", (t1 - t0) / (2.0 * (double)n));
	return 0;
}
