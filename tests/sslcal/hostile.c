// SPDX-License-Identifier: GPL-2.0-only
/* A hostile "libssl" for the calibration tests (tests/bats/calibrate.bats):
 * built once per MODE, it acts from its constructor, the moment the
 * calibration helper loads it.  Its SSL_read/SSL_write let ec-capture hook it.
 *
 *   cc -shared -fPIC -DMODE=MODE_HANG hostile.c -o hang.so
 *
 * MODE_PROBE writes a helper report line describing the sandbox it finds:
 * "error probe: uid=U gid=G capeff=HEX socket=... write=... fork=... pid=P". */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MODE_PROBE 1
#define MODE_HANG 2
#define MODE_CRASH 3
#define MODE_FLOOD 4
#define MODE_HOG 5
#define MODE_PLAIN 6 /* does nothing: a library that is not a libssl */

int SSL_read(void *ssl, void *buf, int n)
{
	(void)ssl, (void)buf;
	return n;
}

int SSL_write(void *ssl, const void *buf, int n)
{
	(void)ssl, (void)buf;
	return n;
}

static const char *denied(int rc)
{
	return rc < 0 ? (errno == EPERM || errno == EACCES || errno == EROFS ? "denied" : "failed")
		      : "ALLOWED";
}

__attribute__((constructor)) static void act(void)
{
#if MODE == MODE_PROBE
	char line[256], cap[32] = "?";
	FILE *f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "CapEff:", 7))
			sscanf(line + 7, "%31s", cap);
	if (f)
		fclose(f);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	const char *sock = denied(s);
	int w = open("/var/tmp/ec-sslcal-probe", O_WRONLY | O_CREAT, 0600);
	const char *wr = denied(w);
	pid_t p = fork();
	if (p == 0)
		_exit(0);
	printf("error probe: uid=%d gid=%d capeff=%s socket=%s write=%s fork=%s pid=%d\n",
	       (int)getuid(), (int)getgid(), cap, sock, wr, denied(p), (int)getpid());
	fflush(stdout);
	_exit(0);
#elif MODE == MODE_HANG
	for (;;)
		;
#elif MODE == MODE_CRASH
	*(volatile int *)8 = 1; /* a real fault: raise() is ignored by a PID namespace's init */
#elif MODE == MODE_FLOOD
	static char junk[65536];
	memset(junk, 'x', sizeof(junk));
	for (int i = 0; i < 64; i++)
		if (write(1, junk, sizeof(junk)) < 0)
			break;
	_exit(0);
#elif MODE == MODE_HOG
	size_t n = (size_t)2 << 30;
	char *p = malloc(n);
	if (p)
		memset(p, 1, n);
	printf("error hog: %s\n", p ? "got 2 GiB" : "refused 2 GiB");
	fflush(stdout);
	_exit(0);
#endif
}
