// SPDX-License-Identifier: GPL-2.0-only
/*
 * GnuTLS ping-pong for bench/bench-modules.sh: a client and a server thread
 * over a socketpair (anonymous ECDH, no certificates), ROUNDS round trips of
 * a 64-byte gnutls_record_send + gnutls_record_recv each way.
 * Prints "rounds NS_PER_ROUND_TRIP".
 */
#include <gnutls/gnutls.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

static long rounds;

static gnutls_session_t open_session(int fd, unsigned flags)
{
	gnutls_session_t s;
	gnutls_init(&s, flags);
	gnutls_priority_set_direct(s, "NORMAL:-VERS-TLS1.3:+ANON-ECDH", NULL);
	if (flags & GNUTLS_SERVER) {
		gnutls_anon_server_credentials_t c;
		gnutls_anon_allocate_server_credentials(&c);
		gnutls_credentials_set(s, GNUTLS_CRD_ANON, c);
	} else {
		gnutls_anon_client_credentials_t c;
		gnutls_anon_allocate_client_credentials(&c);
		gnutls_credentials_set(s, GNUTLS_CRD_ANON, c);
	}
	gnutls_transport_set_int(s, fd);
	int r;
	do
		r = gnutls_handshake(s);
	while (r < 0 && !gnutls_error_is_fatal(r));
	if (r < 0) {
		fprintf(stderr, "gnutls-bench: handshake: %s\n", gnutls_strerror(r));
		exit(1);
	}
	return s;
}

static void exchange(gnutls_session_t s, int first_send)
{
	char buf[64] = "ping-pong 0123456789abcdef0123456789abcdef0123456789abcdef01234";
	for (long i = 0; i < rounds; i++) {
		for (int step = 0; step < 2; step++) {
			if ((step == 0) == first_send) {
				if (gnutls_record_send(s, buf, sizeof buf) != sizeof buf)
					exit(1);
			} else {
				size_t got = 0;
				while (got < sizeof buf) {
					ssize_t n =
					    gnutls_record_recv(s, buf + got, sizeof buf - got);
					if (n <= 0)
						exit(1);
					got += (size_t)n;
				}
			}
		}
	}
}

static void *server(void *arg)
{
	gnutls_session_t s = open_session(*(int *)arg, GNUTLS_SERVER);
	exchange(s, 0);
	return NULL;
}

int main(int argc, char **argv)
{
	int sv[2];
	rounds = argc > 1 ? atol(argv[1]) : 20000;
	gnutls_global_init();
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return 1;
	pthread_t t;
	pthread_create(&t, NULL, server, &sv[1]);
	gnutls_session_t c = open_session(sv[0], GNUTLS_CLIENT);
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	exchange(c, 1);
	clock_gettime(CLOCK_MONOTONIC, &b);
	pthread_join(t, NULL);
	double ns = (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
	printf("%ld %.0f\n", rounds, ns / rounds);
	return 0;
}
