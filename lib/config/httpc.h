/* SPDX-License-Identifier: GPL-2.0-only */
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

struct ec_httpc_reply {
	long status; /* HTTP status */
	char *body;  /* malloc'd, NUL-terminated */
	size_t len;
};

/* Nonzero when target names a Unix socket (not an http:// or https:// URL). */
int ec_httpc_target_is_unix(const char *target);
/*
 * 0 when target is an http:// or https:// URL, or (unix_ok) a Unix socket
 * path; else -1 with a one-line reason in err (ftp://..., file://...).
 */
int ec_httpc_target_check(const char *target, int unix_ok, char *err, size_t errlen);
/* 0 when proxy is an http, https or socks proxy URL; else -1 and a reason. */
int ec_httpc_proxy_check(const char *proxy, char *err, size_t errlen);

/*
 * method ("GET", "POST") path ("/tls") on target; body may be NULL for GET.
 * token, when not NULL, is sent as "Authorization: Bearer TOKEN". The
 * connection goes straight to target, or through proxy when one is given:
 * proxy variables (http_proxy, ALL_PROXY...) are ignored, redirects are not
 * followed, so a token never travels a way the caller did not choose.
 * Returns 0 when an HTTP answer came (any status; free r->body), or
 * EC_ERR_IO with a one-line reason in err (connection refused, timeout, ...).
 */
int ec_httpc_request(const char *target, const char *proxy, const char *method, const char *path,
		     const char *body, size_t len, const char *token, long timeout_ms,
		     struct ec_httpc_reply *r, char *err, size_t errlen);

#endif
