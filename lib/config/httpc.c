// SPDX-License-Identifier: GPL-2.0-only
#include "httpc.h"
#include "error.h"
#include "util.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int ec_httpc_target_is_unix(const char *target)
{
	return strncasecmp(target, "http://", 7) && strncasecmp(target, "https://", 8);
}

/* The scheme of a URL ("ftp" of "ftp://x"), or 0 when target has none. */
static size_t scheme_len(const char *target)
{
	const char *sep = strstr(target, "://");
	if (!sep)
		return 0;
	size_t n = (size_t)(sep - target);
	return n && strspn(target,
			   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-") == n
		   ? n
		   : 0;
}

int ec_httpc_target_check(const char *target, int unix_ok, char *err, size_t errlen)
{
	if (!ec_httpc_target_is_unix(target))
		return 0;
	size_t n = scheme_len(target);
	if (n) {
		snprintf(err, errlen,
			 "\"%s\": %.*s:// is not HTTP; give an http:// or https:// URL", target,
			 (int)n, target);
		return -1;
	}
	if (!unix_ok || !*target) {
		snprintf(err, errlen, "\"%s\": not an http:// or https:// URL", target);
		return -1;
	}
	return 0;
}

int ec_httpc_proxy_check(const char *proxy, char *err, size_t errlen)
{
	static const char *const ok[] = {"http://",    "https://",  "socks4://",
					 "socks4a://", "socks5://", "socks5h://"};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
		if (!strncasecmp(proxy, ok[i], strlen(ok[i])) && proxy[strlen(ok[i])])
			return 0;
	snprintf(err, errlen, "\"%s\": not a proxy URL (http://, https://, socks5://... HOST:PORT)",
		 proxy);
	return -1;
}

struct sink {
	char *p;
	size_t len, cap;
	int over;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	size_t n = size * nmemb;
	if (s->len + n > EC_HTTPC_REPLY_MAX) {
		s->over = 1;
		return 0; /* abort the transfer */
	}
	if (s->len + n + 1 > s->cap) {
		s->cap = (s->len + n + 1) * 2;
		s->p = ec_xrealloc(s->p, s->cap);
	}
	memcpy(s->p + s->len, ptr, n);
	s->len += n;
	s->p[s->len] = 0;
	return n;
}

int ec_httpc_request(const char *target, const char *proxy, const char *method, const char *path,
		     const char *body, size_t len, const char *token, long timeout_ms,
		     struct ec_httpc_reply *r, char *err, size_t errlen)
{
	memset(r, 0, sizeof *r);
	CURL *c = curl_easy_init();
	if (!c) {
		snprintf(err, errlen, "curl_easy_init failed");
		return EC_ERR_NOMEM;
	}
	char url[2048];
	int is_unix = ec_httpc_target_is_unix(target);
	if (is_unix) {
		snprintf(url, sizeof url, "http://localhost%s", path);
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, target);
	} else {
		size_t n = strlen(target);
		while (n && target[n - 1] == '/')
			n--;
		snprintf(url, sizeof url, "%.*s%s", (int)n, target, path);
	}
	struct curl_slist *hdrs = NULL;
	char auth[1024];
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, "Expect:");
	if (token) {
		snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
		hdrs = curl_slist_append(hdrs, auth);
	}
	struct sink s = {0};
	char cerr[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	/* "" is no proxy at all: http_proxy and friends never see the token */
	curl_easy_setopt(c, CURLOPT_PROXY, proxy && !is_unix ? proxy : "");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	if (!strcmp(method, "POST")) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? len : 0));
	} else if (strcmp(method, "GET")) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	}
	CURLcode rc = curl_easy_perform(c);
	int ret = 0;
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s%s: %s", is_unix ? "unix socket " : "", target,
			 s.over	   ? "answer larger than 1 MiB"
			 : cerr[0] ? cerr
				   : curl_easy_strerror(rc));
		free(s.p);
		ret = EC_ERR_IO;
	} else {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
		if (!s.p)
			s.p = ec_xstrdup("");
		r->body = s.p;
		r->len = s.len;
	}
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	return ret;
}
