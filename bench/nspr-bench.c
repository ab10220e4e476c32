// SPDX-License-Identifier: GPL-2.0-only
/*
 * NSPR loop for bench/bench-modules.sh: ROUNDS PR_Write + PR_Read of 64
 * bytes through an NSPR pipe (not an SSL socket: the nss module's probes
 * run their SSL-socket check and skip it). Prints "rounds NS_PER_ROUND".
 */
#include <nspr.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 20000;
	PRFileDesc *r, *w;
	char buf[64] = {0};
	if (PR_CreatePipe(&r, &w) != PR_SUCCESS)
		return 1;
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < rounds; i++) {
		if (PR_Write(w, buf, sizeof buf) != sizeof buf ||
		    PR_Read(r, buf, sizeof buf) != sizeof buf)
			return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ns = (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
	printf("%ld %.0f\n", rounds, ns / rounds);
	return 0;
}
