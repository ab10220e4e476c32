/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A small HTTP/1.1 server on a Unix socket (libwebsockets), serviced from a
 * capture's poll loop without blocking: ec-capture --control. Each complete
 * request (method, path, body) goes to one handler that returns the status
 * and a JSON body. Strict: ambiguous framing is refused with 400 before the
 * handler runs (ec_control_framing); the handler runs only when the answer
 * can be written, the answer is written at once (also to a client that has
 * shut its sending side) and the connection closed, one request each.
 */
#ifndef EC_CONTROL_H
#define EC_CONTROL_H

#include <stddef.h>

struct ec_control;

/*
 * Answer one request: return a malloc'd body (JSON) and set *status (200,
 * 404, ...). method is "POST", "GET" or another verb; body is NUL-terminated.
 */
typedef char *(*ec_control_handler)(void *ctx, const char *method, const char *path,
				    const char *body, size_t len, int *status);

/*
 * Listen on the Unix socket path (mode 0600; its directory is created
 * 0755 if missing). A stale socket file (nobody accepting) is replaced; a
 * live one is an error (EC_ERR_BUSY). NULL on error with err filled.
 */
struct ec_control *ec_control_new(const char *path, size_t max_body, ec_control_handler fn,
				  void *ctx, char *err, size_t errlen);
/* Serve whatever is pending, without waiting. Negative ec_error on failure. */
int ec_control_service(struct ec_control *c);
/* Close and remove the socket file. */
void ec_control_free(struct ec_control *c);

struct lws;
/*
 * The request framing checks lws does not make (RFC 9112 6.1-6.3; the
 * ground of request smuggling), shared by every ec HTTP server: more than
 * one Content-Length, a Content-Length that is not a plain byte count,
 * Content-Length with Transfer-Encoding, a transfer coding other than
 * chunked: 400. chunked alone: 411 (we take Content-Length bodies only).
 * Returns 0 (with *clen the Content-Length, -1 when none) or the status,
 * with the reason in msg.
 */
int ec_control_framing(struct lws *wsi, long long *clen, char *msg, size_t len);

#endif
