// SPDX-License-Identifier: GPL-2.0-only
/*
 * The replay engine: a bounded queue filled by the caller, drained by one
 * worker thread that owns the curl multi handle. Only the worker touches
 * curl handles; the queue and counters are under rp->mu.
 */
#include "replay.h"
#include "error.h"
#include "util.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct job {
	struct ec_forward_request req;
	char *url;
	uint64_t id;
	void *user;
	CURL *easy;
	struct curl_slist *hdrs;
	uint64_t bytes;
	int64_t t_start; /* mono_ns when handed to curl */
	char errbuf[CURL_ERROR_SIZE];
	struct job *next;
};

struct ec_replay {
	struct ec_replay_opts o;
	ec_replay_cb cb;
	void *arg;
	CURLM *multi;
	pthread_t th;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t space;
	struct job *head, *tail;
	size_t qlen, qcap;
	unsigned running;
	int closing;
	int64_t next_start; /* CLOCK_MONOTONIC ns before which no request starts */
};

static void job_free(struct job *j)
{
	if (!j)
		return;
	ec_forward_request_free(&j->req);
	free(j->url);
	if (j->easy)
		curl_easy_cleanup(j->easy);
	curl_slist_free_all(j->hdrs);
	free(j);
}

static struct curl_slist *add(struct curl_slist *l, const char *name, const char *value)
{
	size_t n = strlen(name) + strlen(value) + 3;
	char *line = ec_xmalloc(n);
	if (value[0])
		snprintf(line, n, "%s: %s", name, value);
	else
		snprintf(line, n, "%s;", name); /* curl's way to send an empty value */
	struct curl_slist *nl = curl_slist_append(l, line);
	free(line);
	if (!nl)
		ec_die(1, "out of memory");
	return nl;
}

struct curl_slist *ec_replay_headers(const struct ec_forward_request *r, int keep_host)
{
	struct curl_slist *l = NULL;
	if (keep_host && r->orig_host)
		l = add(l, "Host", r->orig_host);
	for (size_t i = 0; i < r->nhdr; i++)
		l = add(l, r->hdr[i].name, r->hdr[i].value);
	/* "Name:" removes a header curl would add on its own */
	if (!r->has_accept)
		l = curl_slist_append(l, "Accept:");
	if (!r->has_content_type && ec_forward_sends_body(r))
		l = curl_slist_append(l, "Content-Type:");
	l = curl_slist_append(l, "Expect:");
	if (!l)
		ec_die(1, "out of memory");
	return l;
}

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	struct job *j = arg;
	j->bytes += size * n;
	return size * n;
}

#define SETOPT(h, opt, val)                                                                        \
	do {                                                                                       \
		if (curl_easy_setopt(h, opt, val) != CURLE_OK)                                     \
			return -1;                                                                 \
	} while (0)

static int job_setup(struct ec_replay *rp, struct job *j)
{
	const struct ec_forward_request *r = &j->req;
	CURL *h = j->easy = curl_easy_init();
	if (!h)
		return -1;
	SETOPT(h, CURLOPT_URL, j->url);
	SETOPT(h, CURLOPT_PATH_AS_IS, 1L);
	if (!strcmp(r->path, "*"))
		SETOPT(h, CURLOPT_REQUEST_TARGET, "*");
	SETOPT(h, CURLOPT_PRIVATE, j);
	SETOPT(h, CURLOPT_ERRORBUFFER, j->errbuf);
	SETOPT(h, CURLOPT_NOSIGNAL, 1L);
	SETOPT(h, CURLOPT_WRITEFUNCTION, discard);
	SETOPT(h, CURLOPT_WRITEDATA, j);
	SETOPT(h, CURLOPT_PIPEWAIT, 1L);
	SETOPT(h, CURLOPT_PROXY, rp->o.proxy ? rp->o.proxy : "");
	if (rp->o.insecure) {
		SETOPT(h, CURLOPT_SSL_VERIFYPEER, 0L);
		SETOPT(h, CURLOPT_SSL_VERIFYHOST, 0L);
		SETOPT(h, CURLOPT_PROXY_SSL_VERIFYPEER, 0L);
		SETOPT(h, CURLOPT_PROXY_SSL_VERIFYHOST, 0L);
	}
	if (rp->o.timeout_ms) {
		SETOPT(h, CURLOPT_TIMEOUT_MS, rp->o.timeout_ms);
		SETOPT(h, CURLOPT_CONNECTTIMEOUT_MS, rp->o.timeout_ms);
	}
	long ver = r->version == 10   ? CURL_HTTP_VERSION_1_0
		   : r->version == 20 ? CURL_HTTP_VERSION_2TLS
				      : CURL_HTTP_VERSION_1_1;
	SETOPT(h, CURLOPT_HTTP_VERSION, ver);
	if (!strcmp(r->method, "HEAD")) {
		SETOPT(h, CURLOPT_NOBODY, 1L);
	} else if (ec_forward_sends_body(r)) {
		SETOPT(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
		SETOPT(h, CURLOPT_POSTFIELDS, (char *)r->body);
		if (strcmp(r->method, "POST"))
			SETOPT(h, CURLOPT_CUSTOMREQUEST, r->method);
	} else {
		SETOPT(h, CURLOPT_HTTPGET, 1L);
		if (strcmp(r->method, "GET"))
			SETOPT(h, CURLOPT_CUSTOMREQUEST, r->method);
	}
	j->hdrs = ec_replay_headers(r, rp->o.keep_host && rp->o.target);
	SETOPT(h, CURLOPT_HTTPHEADER, j->hdrs);
	return 0;
}

static const char *http_name(long v)
{
	switch (v) {
	case CURL_HTTP_VERSION_1_0:
		return "1.0";
	case CURL_HTTP_VERSION_1_1:
		return "1.1";
	case CURL_HTTP_VERSION_2_0:
		return "2";
	case CURL_HTTP_VERSION_3:
		return "3";
	default:
		return "?";
	}
}

static void finish(struct ec_replay *rp, struct job *j, CURLcode code)
{
	struct ec_replay_result res = {.id = j->id, .user = j->user, .req = &j->req, .url = j->url};
	long status = 0, ver = 0;
	curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(j->easy, CURLINFO_HTTP_VERSION, &ver);
	res.ok = code == CURLE_OK;
	res.status = res.ok ? status : 0;
	res.http = http_name(ver);
	res.secs =
	    (double)(ec_mono_ns() - j->t_start) / 1e9; /* includes waiting for a connection */
	res.bytes = j->bytes;
	res.curl_code = (int)code;
	res.error = res.ok ? NULL : j->errbuf[0] ? j->errbuf : curl_easy_strerror(code);
	curl_multi_remove_handle(rp->multi, j->easy);
	rp->cb(&res, rp->arg);
	job_free(j);
	pthread_mutex_lock(&rp->mu);
	rp->running--;
	pthread_mutex_unlock(&rp->mu);
}

static void fail_start(struct ec_replay *rp, struct job *j, const char *why)
{
	struct ec_replay_result res = {.id = j->id, .user = j->user, .req = &j->req, .url = j->url};
	res.http = "?";
	res.curl_code = -1;
	res.error = why;
	rp->cb(&res, rp->arg);
	job_free(j);
}

static void *worker(void *arg)
{
	struct ec_replay *rp = arg;
	int64_t interval = rp->o.rate > 0 ? (int64_t)(1e9 / rp->o.rate) : 0;
	for (;;) {
		int wait_ms = 1000;
		struct job *start = NULL, **tail = &start;
		pthread_mutex_lock(&rp->mu);
		while (rp->head && rp->running < rp->o.concurrency) {
			if (interval) {
				int64_t now = ec_mono_ns();
				if (now < rp->next_start) {
					wait_ms = (int)((rp->next_start - now) / 1000000) + 1;
					break;
				}
				rp->next_start = now + interval;
			}
			struct job *j = rp->head;
			rp->head = j->next;
			if (!rp->head)
				rp->tail = NULL;
			rp->qlen--;
			j->next = NULL;
			*tail = j;
			tail = &j->next;
			rp->running++;
		}
		int done = rp->closing && !rp->head && !rp->running;
		pthread_cond_broadcast(&rp->space);
		pthread_mutex_unlock(&rp->mu);
		if (done)
			break;
		while (start) {
			struct job *j = start;
			start = j->next;
			j->t_start = ec_mono_ns();
			if (job_setup(rp, j) || curl_multi_add_handle(rp->multi, j->easy)) {
				pthread_mutex_lock(&rp->mu);
				rp->running--;
				pthread_mutex_unlock(&rp->mu);
				fail_start(rp, j, "could not set up the curl transfer");
			}
		}
		int still = 0, left, finished = 0;
		curl_multi_perform(rp->multi, &still);
		CURLMsg *m;
		while ((m = curl_multi_info_read(rp->multi, &left))) {
			if (m->msg != CURLMSG_DONE)
				continue;
			struct job *j = NULL;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&j);
			finish(rp, j, m->data.result);
			finished = 1;
		}
		if (!finished)
			curl_multi_poll(rp->multi, NULL, 0, wait_ms, NULL);
	}
	return NULL;
}

struct ec_replay *ec_replay_new(const struct ec_replay_opts *o, ec_replay_cb cb, void *arg,
				char *msg, size_t msglen)
{
	if (o->target && strncasecmp(o->target, "http://", 7) &&
	    strncasecmp(o->target, "https://", 8)) {
		snprintf(msg, msglen, "--target '%s' is not an http:// or https:// URL", o->target);
		return NULL;
	}
	if (o->proxy && strncasecmp(o->proxy, "http://", 7) &&
	    strncasecmp(o->proxy, "https://", 8)) {
		snprintf(msg, msglen, "--proxy '%s' is not an http:// or https:// URL", o->proxy);
		return NULL;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		snprintf(msg, msglen, "curl_global_init failed");
		return NULL;
	}
	struct ec_replay *rp = ec_xcalloc(1, sizeof *rp);
	rp->o = *o;
	if (!rp->o.concurrency)
		rp->o.concurrency = 1;
	rp->cb = cb;
	rp->arg = arg;
	rp->qcap = (size_t)rp->o.concurrency * 2;
	rp->multi = curl_multi_init();
	if (!rp->multi) {
		snprintf(msg, msglen, "curl_multi_init failed");
		free(rp);
		return NULL;
	}
	curl_multi_setopt(rp->multi, CURLMOPT_MAXCONNECTS, (long)rp->o.concurrency + 4);
	pthread_mutex_init(&rp->mu, NULL);
	pthread_cond_init(&rp->space, NULL);
	if (pthread_create(&rp->th, NULL, worker, rp)) {
		snprintf(msg, msglen, "cannot start the replay thread");
		ec_replay_free(rp);
		return NULL;
	}
	rp->started = 1;
	return rp;
}

int ec_replay_submit(struct ec_replay *rp, struct ec_forward_request *req, uint64_t id, void *user,
		     char *msg, size_t msglen)
{
	char *url = ec_forward_url(req, rp->o.target, rp->o.plain, msg, msglen);
	if (!url) {
		ec_forward_request_free(req);
		return EC_ERR_INVAL;
	}
	struct job *j = ec_xcalloc(1, sizeof *j);
	j->req = *req;
	memset(req, 0, sizeof *req);
	j->url = url;
	j->id = id;
	j->user = user;
	pthread_mutex_lock(&rp->mu);
	while (rp->qlen >= rp->qcap)
		pthread_cond_wait(&rp->space, &rp->mu);
	if (rp->tail)
		rp->tail->next = j;
	else
		rp->head = j;
	rp->tail = j;
	rp->qlen++;
	pthread_mutex_unlock(&rp->mu);
	curl_multi_wakeup(rp->multi);
	return 0;
}

void ec_replay_finish(struct ec_replay *rp)
{
	if (!rp || !rp->started)
		return;
	pthread_mutex_lock(&rp->mu);
	rp->closing = 1;
	pthread_mutex_unlock(&rp->mu);
	curl_multi_wakeup(rp->multi);
	pthread_join(rp->th, NULL);
	rp->started = 0;
}

void ec_replay_free(struct ec_replay *rp)
{
	if (!rp)
		return;
	ec_replay_finish(rp);
	while (rp->head) {
		struct job *j = rp->head;
		rp->head = j->next;
		job_free(j);
	}
	curl_multi_cleanup(rp->multi);
	pthread_mutex_destroy(&rp->mu);
	pthread_cond_destroy(&rp->space);
	free(rp);
	curl_global_cleanup();
}
