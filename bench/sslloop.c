/*
 * bench helper: N SSL_write calls of SIZE bytes from a client to a server
 * over TCP on 127.0.0.1 (the server, a forked child, SSL_reads them all),
 * and the mean time per SSL_write in ns on stdout. Built by
 * bench/bench-capture.sh; links the system libssl so its uprobes fire.
 * usage: sslloop CERT KEY N SIZE
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "sslloop: %s\n", what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

int main(int argc, char **argv)
{
	if (argc != 5)
		die("usage: sslloop CERT KEY N SIZE");
	long n = atol(argv[3]), size = atol(argv[4]);
	if (n <= 0 || size <= 0 || size > 65536)
		die("N > 0 and 0 < SIZE <= 65536");
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof sa;
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof sa) || listen(ls, 1) ||
	    getsockname(ls, (struct sockaddr *)&sa, &sl))
		die("listen on 127.0.0.1");
	pid_t child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		SSL_CTX *sctx = SSL_CTX_new(TLS_server_method());
		if (!sctx || SSL_CTX_use_certificate_file(sctx, argv[1], SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_use_PrivateKey_file(sctx, argv[2], SSL_FILETYPE_PEM) != 1)
			die("server certificate");
		int fd = accept(ls, NULL, NULL);
		SSL *s = SSL_new(sctx);
		SSL_set_fd(s, fd);
		if (SSL_accept(s) != 1)
			die("SSL_accept");
		char buf[65536];
		long want = n * size, got = 0;
		while (got < want) {
			int r = SSL_read(s, buf, sizeof buf);
			if (r <= 0)
				break;
			got += r;
		}
		SSL_write(s, "k", 1);
		_exit(got == want ? 0 : 1);
	}
	close(ls);
	SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (!cctx || fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa))
		die("connect");
	SSL *c = SSL_new(cctx);
	SSL_set_fd(c, fd);
	if (SSL_connect(c) != 1)
		die("SSL_connect");
	char *buf = malloc((size_t)size);
	memset(buf, 'x', (size_t)size);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++)
		if (SSL_write(c, buf, (int)size) != size)
			die("SSL_write");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	char k;
	SSL_read(c, &k, 1);
	int st = 0;
	waitpid(child, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		die("server side failed");
	double ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / n;
	printf("%.0f\n", ns);
	return 0;
}
