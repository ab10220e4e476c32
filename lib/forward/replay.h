/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Replaying rebuilt requests with libcurl's multi interface, on a worker
 * thread so transfers progress while the caller waits for input. One
 * multi handle keeps connections alive between requests; concurrency,
 * timeout and a start rate bound the load.
 */
#ifndef EC_REPLAY_H
#define EC_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "forward.h"

struct ec_replay_opts {
	const char *proxy;    /* http://host:port; NULL = direct (env proxies ignored) */
	const char *target;   /* overrides scheme + authority (+ path prefix) */
	int plain;	      /* send http://, so a proxy sees absolute-form requests */
	int insecure;	      /* do not verify TLS certificates (target and proxy) */
	int keep_host;	      /* with target: send the captured Host, not the target's */
	unsigned concurrency; /* transfers in flight (>= 1) */
	long timeout_ms;      /* per request, 0 = none */
	double rate;	      /* request starts per second, 0 = unlimited */
};

struct ec_replay_result {
	uint64_t id; /* as submitted */
	void *user;  /* as submitted */
	const struct ec_forward_request *req;
	const char *url;
	int ok;		   /* a response arrived (any status) */
	long status;	   /* HTTP status, 0 without a response */
	const char *http;  /* "1.1", "2"... of the response */
	double secs;	   /* total transfer time */
	uint64_t bytes;	   /* response body bytes */
	int curl_code;	   /* CURLcode, 0 when ok */
	const char *error; /* curl's message when !ok */
};

/* Called on the worker thread for each finished request. */
typedef void (*ec_replay_cb)(const struct ec_replay_result *res, void *arg);

/* NULL with msg when the options are unusable (bad URL, no memory). */
struct ec_replay *ec_replay_new(const struct ec_replay_opts *o, ec_replay_cb cb, void *arg,
				char *msg, size_t msglen);
/*
 * Queue one request; takes *req (zeroed on return). Blocks while the
 * queue is full. Returns 0 or a negative ec_error (EC_ERR_INVAL with msg
 * when no URL can be made for it; the request is then not sent).
 */
int ec_replay_submit(struct ec_replay *rp, struct ec_forward_request *req, uint64_t id, void *user,
		     char *msg, size_t msglen);
/* Wait until everything queued has finished; stops the worker. */
void ec_replay_finish(struct ec_replay *rp);
void ec_replay_free(struct ec_replay *rp);

/* The header lines given to curl for r (curl_slist), for tests. */
struct curl_slist *ec_replay_headers(const struct ec_forward_request *r, int keep_host);

#endif
