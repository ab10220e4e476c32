// SPDX-License-Identifier: GPL-2.0-only
/* lib/config/httpc: which targets and proxies are taken, and that proxy variables are not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "error.h"
#include "httpc.h"

static void targets(void **state)
{
	(void)state;
	char err[256];
	assert_int_equal(ec_httpc_target_check("http://127.0.0.1:28256", 0, err, sizeof err), 0);
	assert_int_equal(ec_httpc_target_check("HTTPS://example.org/", 0, err, sizeof err), 0);
	assert_int_equal(ec_httpc_target_check("/run/ec/capture.sock", 1, err, sizeof err), 0);
	assert_int_equal(ec_httpc_target_check("/run/ec/capture.sock", 0, err, sizeof err), -1);
	assert_int_equal(ec_httpc_target_check("ftp://127.0.0.1/", 1, err, sizeof err), -1);
	assert_non_null(strstr(err, "ftp:// is not HTTP"));
	assert_int_equal(ec_httpc_target_check("file:///etc/passwd", 1, err, sizeof err), -1);
	assert_int_equal(ec_httpc_target_check("", 1, err, sizeof err), -1);
	assert_int_equal(ec_httpc_proxy_check("http://127.0.0.1:8080", err, sizeof err), 0);
	assert_int_equal(ec_httpc_proxy_check("socks5h://127.0.0.1:1080", err, sizeof err), 0);
	assert_int_equal(ec_httpc_proxy_check("127.0.0.1:8080", err, sizeof err), -1);
	assert_int_equal(ec_httpc_proxy_check("http://", err, sizeof err), -1);
}

/* A listener on 127.0.0.1: its port; nothing ever accepts on it. */
static int listener(int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof sa;
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

static void no_proxy_from_environment(void **state)
{
	(void)state;
	int pport, tport;
	int pfd = listener(&pport), tfd = listener(&tport);
	close(tfd); /* the target refuses: a direct attempt fails at once */
	char proxy[64], url[64], err[600];
	snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", pport);
	snprintf(url, sizeof url, "http://127.0.0.1:%d", tport);
	setenv("http_proxy", proxy, 1);
	setenv("HTTP_PROXY", proxy, 1);
	setenv("ALL_PROXY", proxy, 1);
	struct ec_httpc_reply r;
	int rc = ec_httpc_request(url, NULL, "GET", "/status", NULL, 0, "s3cret", 2000, &r, err,
				  sizeof err);
	assert_int_equal(rc, EC_ERR_IO);
	char direct[64];
	snprintf(direct, sizeof direct, "Failed to connect to 127.0.0.1 port %d", tport);
	assert_non_null(strstr(err, direct)); /* went straight to the target */
	/* nothing reached the proxy: its backlog is empty */
	struct timeval tv = {0, 0};
	fd_set fds;
	FD_ZERO(&fds);
	FD_SET(pfd, &fds);
	assert_int_equal(select(pfd + 1, &fds, NULL, NULL, &tv), 0);
	close(pfd);
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("ALL_PROXY");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(targets),
	    cmocka_unit_test(no_proxy_from_environment),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
