// SPDX-License-Identifier: GPL-2.0-only
/* lib/config/control: HTTP/1.1 on a Unix socket, serviced without blocking. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "util.h"

static char dir[] = "/tmp/ec-test-control-XXXXXX";
static char sock[100];
static int calls;
static char last_method[16], last_path[64], last_body[128];

/* Echo what was asked, as JSON; 201 for POST so the status is checked. */
static char *handler(void *ctx, const char *method, const char *path, const char *body, size_t len,
		     int *status)
{
	(void)ctx;
	calls++;
	snprintf(last_method, sizeof last_method, "%s", method);
	snprintf(last_path, sizeof last_path, "%s", path);
	snprintf(last_body, sizeof last_body, "%.*s", (int)len, body);
	*status = strcmp(method, "POST") ? 405 : 201;
	char *out = ec_xmalloc(256);
	snprintf(out, 256, "{\"method\":\"%s\",\"len\":%zu}", method, len);
	return out;
}

/*
 * Send req (shutting the sending side after it when half is set), then
 * service the server until the response has arrived or the server closed.
 */
static void exchange(struct ec_control *c, const char *req, int half, char *resp, size_t cap)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	size_t off = 0, n = strlen(req);
	size_t got = 0;
	resp[0] = '\0';
	for (int i = 0; i < 3000; i++) {
		if (off < n) {
			ssize_t w = write(fd, req + off, n - off);
			if (w > 0)
				off += (size_t)w;
			if (off == n && half)
				shutdown(fd, SHUT_WR);
		}
		assert_int_equal(ec_control_service(c), 0);
		ssize_t r = read(fd, resp + got, cap - 1 - got);
		if (r == 0)
			break;
		if (r > 0) {
			got += (size_t)r;
			resp[got] = '\0';
			const char *body = strstr(resp, "\r\n\r\n");
			const char *cl = strstr(resp, "content-length: ");
			if (body && cl && strlen(body + 4) >= (size_t)atoi(cl + 16))
				break;
		}
		usleep(1000);
	}
	close(fd);
}

static void roundtrip(struct ec_control *c, const char *req, char *resp, size_t cap)
{
	exchange(c, req, 0, resp, cap);
}

static void post_get_and_limits(void **state)
{
	(void)state;
	char err[256], resp[4096];
	struct ec_control *c = ec_control_new(sock, 64, handler, NULL, err, sizeof err);
	assert_non_null(c);
	struct stat st;
	assert_int_equal(stat(sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));

	roundtrip(c, "POST /tls HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n{\"pid\":123}",
		  resp, sizeof resp);
	assert_non_null(strstr(resp, "HTTP/1.1 201"));
	assert_non_null(strstr(resp, "{\"method\":\"POST\",\"len\":11}"));
	assert_string_equal(last_path, "/tls");
	assert_string_equal(last_body, "{\"pid\":123}");

	roundtrip(c, "GET /tls HTTP/1.1\r\nHost: x\r\n\r\n", resp, sizeof resp);
	assert_non_null(strstr(resp, "HTTP/1.1 405"));
	assert_string_equal(last_method, "GET");

	/* over max_body (64): 413 without calling the handler */
	int before = calls;
	roundtrip(c, "POST /tls HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n", resp,
		  sizeof resp);
	assert_non_null(strstr(resp, "HTTP/1.1 413"));
	assert_int_equal(calls, before);

	/* a live socket cannot be taken over */
	struct ec_control *c2 = ec_control_new(sock, 64, handler, NULL, err, sizeof err);
	assert_null(c2);
	assert_non_null(strstr(err, "in use"));
	ec_control_free(c);
	assert_int_equal(access(sock, F_OK), -1); /* removed */
}

/* Ambiguous framing is refused before the handler runs; answers always come. */
static void strict_framing(void **state)
{
	(void)state;
	char err[256], resp[4096];
	struct ec_control *c = ec_control_new(sock, 64, handler, NULL, err, sizeof err);
	assert_non_null(c);
	static const struct {
		const char *req;
		const char *status;
	} bad[] = {
	    {"POST /tls HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 50\r\n\r\n{}",
	     "HTTP/1.1 400"},
	    {"POST /tls HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: "
	     "chunked\r\n\r\n{}",
	     "HTTP/1.1 400"},
	    {"POST /tls HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", "HTTP/1.1 400"},
	    {"POST /tls HTTP/1.1\r\nHost: x\r\nContent-Length: 2, 2\r\n\r\n{}", "HTTP/1.1 400"},
	    {"POST /tls HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", "HTTP/1.1 400"},
	    {"POST /tls HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
	     "chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
	     "HTTP/1.1 411"},
	};
	int before = calls;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		roundtrip(c, bad[i].req, resp, sizeof resp);
		assert_non_null(strstr(resp, bad[i].status));
		assert_non_null(strstr(resp, "\"code\":1"));
	}
	assert_int_equal(calls, before); /* nothing applied */

	/* a client that shuts its sending side after the body still gets the answer */
	exchange(c, "POST /tls HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}", 1, resp,
		 sizeof resp);
	assert_non_null(strstr(resp, "HTTP/1.1 201"));
	assert_int_equal(calls, before + 1);

	/* one request per connection: a pipelined second one is not applied */
	roundtrip(c,
		  "POST /tls HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"
		  "POST /tls HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n{} ",
		  resp, sizeof resp);
	assert_non_null(strstr(resp, "connection: close"));
	for (int i = 0; i < 50; i++) { /* let the server see the rest, if it would */
		ec_control_service(c);
		usleep(1000);
	}
	assert_int_equal(calls, before + 2);
	assert_string_equal(last_body, "{}");
	ec_control_free(c);
}

static void stale_and_bad_paths(void **state)
{
	(void)state;
	char err[256];
	/* a socket file nobody listens on is replaced */
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	close(fd);
	struct ec_control *c = ec_control_new(sock, 64, handler, NULL, err, sizeof err);
	assert_non_null(c);
	ec_control_free(c);
	/* a regular file is not touched */
	FILE *f = fopen(sock, "w");
	assert_non_null(f);
	fclose(f);
	assert_null(ec_control_new(sock, 64, handler, NULL, err, sizeof err));
	assert_non_null(strstr(err, "not a socket"));
	unlink(sock);
	char longp[200];
	memset(longp, 'a', sizeof longp - 1);
	longp[sizeof longp - 1] = '\0';
	assert_null(ec_control_new(longp, 64, handler, NULL, err, sizeof err));
	assert_non_null(strstr(err, "path"));
	/* a socket that cannot be bound is an error, not a capture without it */
	assert_null(ec_control_new("/nonexistent/dir/c.sock", 64, handler, NULL, err, sizeof err));
	assert_non_null(strstr(err, "No such file or directory"));
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(sock, sizeof sock, "%s/sub/ctl.sock", dir); /* sub/ is created */
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char sub[160];
	unlink(sock);
	snprintf(sub, sizeof sub, "%s/sub", dir);
	rmdir(sub);
	rmdir(dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(post_get_and_limits),
	    cmocka_unit_test(strict_framing),
	    cmocka_unit_test(stale_and_bad_paths),
	};
	return cmocka_run_group_tests_name("control", tests, setup, teardown);
}
