/*
 * A small HTTP client over libcurl for the config API: ec-serve relays
 * config bodies to ec-capture's control socket with it, ec-ctl posts them.
 * The target is either a URL ("http://127.0.0.1:28256") or the path of a
 * Unix socket speaking HTTP/1.1 (ec-capture --control).
 */
#ifndef EC_HTTPC_H
#define EC_HTTPC_H

#include <stddef.h>

/* Largest response body kept. */
#define EC_HTTPC_REPLY_MAX (1u << 20)

struct ec_http_reply {
	long status; /* HTTP status */
	char *body;  /* malloc'd, NUL-terminated */
	size_t len;
};

/* Nonzero when target names a Unix socket (not an http:// or https:// URL). */
int ec_http_target_is_unix(const char *target);

/*
 * method ("GET", "POST") path ("/tls") on target; body may be NULL for GET.
 * token, when not NULL, is sent as "Authorization: Bearer TOKEN". Returns 0
 * when an HTTP answer came (any status; free r->body), or EC_ERR_IO with a
 * one-line reason in err (connection refused, timeout, ...).
 */
int ec_http_request(const char *target, const char *method, const char *path, const char *body,
		    size_t len, const char *token, long timeout_ms, struct ec_http_reply *r,
		    char *err, size_t errlen);

#endif
