// SPDX-License-Identifier: GPL-2.0-only
#include "serve.h"
#include "www.h"
#include "config.h"
#include "control.h"
#include "error.h"
#include "httpc.h"
#include "record.h"
#include "hub.h"
#include "record.h"
#include "stream.h"
#include "util.h"

#include <cjson/cJSON.h>
#include <libwebsockets.h>
#include <openssl/crypto.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#define WS_BATCH 64			 /* messages popped from the hub at once */
#define WS_COALESCE (64u << 10)		 /* bytes of frames sent in one write */
#define MAX_RELAYS 4			 /* config relays in flight */
#define BODY_DRAIN_MAX (16u << 20)	 /* oversize bodies up to this are read, then 413 */
#define DRAIN_GRACE (LWS_US_PER_SEC / 2) /* after --drain: for the final heartbeats */

struct pss;

struct relay_job {
	struct relay_job *next;
	struct ec_serve *s;
	struct lws *wsi; /* NULL once the client went away (under s->job_mu) */
	char route[32];
	char *body;
	size_t len;
	int get; /* GET /status of the capture (else POST /route) */
	int done;
	int status;
	char *resp;
};

struct ec_serve {
	const struct ec_serve_opts *o;
	struct lws_context *ctx;
	struct lws_vhost *api_vh; /* config routes only here (NULL: every vhost) */
	struct ec_hub *hub;
	char ws_host[256], http_host[256];
	int ws_port, http_port;
	struct pss *ws_list; /* WebSocket sessions (loop thread only) */
	size_t nws;
	lws_sorted_usec_list_t hb_sul, drain_sul;
	int64_t started;

	/* reader thread → loop */
	pthread_t reader;
	int reader_started;
	struct ec_reader *rd;  /* the reader's, freed by the loop when it was cancelled */
	struct ec_writer *tee; /* --tee output, the same */
	int eof;	       /* atomic: the input ended (or failed) */
	int exit_status;       /* written by the reader before eof is set */
	uint64_t events, bad;

	/* loop state */
	int draining, quit;

	pthread_mutex_t job_mu;
	pthread_cond_t job_cv;
	struct relay_job *jobs;
	int jobs_running;
};

enum { PSS_NONE, PSS_HTTP, PSS_WS };

struct pss {
	int kind;
	/* WebSocket */
	struct lws *wsi;
	struct pss *next, *prev;
	struct ec_hub_client *hc;
	struct ec_hub_msg *batch[WS_BATCH];
	size_t bi, bn;
	uint8_t *out; /* LWS_PRE + WS_COALESCE bytes for coalesced frames */
	uint64_t sent;
	uint64_t cut;	/* records discarded when --drain ran out */
	int final_sent; /* the end-of-input heartbeat is queued */
	char peer[64];
	/* HTTP */
	char route[32];
	char *body;
	size_t blen;
	int too_big;
	int status;
	const char *allow;
	int close_after;
	int closing;	     /* answered: close when lws has flushed it */
	unsigned char *resp; /* LWS_PRE headroom, then resp_len bytes */
	size_t resp_len;
	const char *ctype; /* a file of the page (lib/serve/www.h); NULL: JSON */
	struct relay_job *job;
};

static volatile sig_atomic_t got_signal;
static struct lws_context *signal_ctx;

void ec_serve_defaults(struct ec_serve_opts *o)
{
	memset(o, 0, sizeof *o);
	o->ws_addr = "127.0.0.1:28257";
	o->listen_addr = "127.0.0.1:28256";
	o->heartbeat_s = 15;
	o->ping_s = 30;
	o->drain_s = 5;
	o->queue_max = 8192;
	o->queue_bytes = 16u << 20;
	o->keep = 1000;
	o->keep_bytes = 16u << 20;
	o->max_clients = 64;
	o->relay_timeout_ms = 5000;
	o->max_record = EC_STREAM_MAX_DEFAULT;
	o->in_fd = 0;
	o->out_fd = 1;
}

int ec_serve_parse_addr(const char *s, char *host, size_t hostlen, int *port, char *err,
			size_t errlen)
{
	static const char *const prefixes[] = {"ws://", "wss://", "http://", "https://"};
	const char *p = s;
	for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++)
		if (!strncmp(p, prefixes[i], strlen(prefixes[i])))
			p += strlen(prefixes[i]);
	size_t n = strlen(p);
	if (n && p[n - 1] == '/')
		n--;
	const char *colon;
	size_t hl;
	if (n && *p == '[') {
		const char *close = memchr(p, ']', n);
		if (!close || close + 1 >= p + n || close[1] != ':') {
			snprintf(err, errlen, "\"%s\": expected [IPV6]:PORT", s);
			return -1;
		}
		hl = (size_t)(close - p - 1);
		if (hl >= hostlen)
			goto toolong;
		memcpy(host, p + 1, hl);
		host[hl] = 0;
		colon = close + 1;
	} else {
		colon = NULL;
		for (const char *q = p; q < p + n; q++)
			if (*q == ':')
				colon = q;
		if (!colon) {
			snprintf(err, errlen, "\"%s\": expected HOST:PORT, e.g. 127.0.0.1:28257",
				 s);
			return -1;
		}
		hl = (size_t)(colon - p);
		if (hl >= hostlen)
			goto toolong;
		memcpy(host, p, hl);
		host[hl] = 0;
	}
	char ps[16];
	size_t pl = (size_t)(p + n - colon - 1);
	if (!pl || pl >= sizeof ps) {
		snprintf(err, errlen, "\"%s\": missing or bad port", s);
		return -1;
	}
	memcpy(ps, colon + 1, pl);
	ps[pl] = 0;
	long long v;
	if (ec_util_parse_int(ps, 1, 65535, &v)) {
		snprintf(err, errlen, "\"%s\": port \"%s\" is not a number in 1-65535", s, ps);
		return -1;
	}
	*port = (int)v;
	return 0;
toolong:
	snprintf(err, errlen, "\"%s\": host name too long", s);
	return -1;
}

/* ---- records made by ec-serve itself ---- */

static struct ec_hub_msg *pack_entry(struct ec_serve *s, const EcLogEntry *e)
{
	struct ec_record_fixed fx;
	const EcLogEntry *f = ec_record_fix(e, NULL, &fx);
	size_t n = event__log_entry__get_packed_size(f);
	struct ec_hub_msg *m = ec_hub_msg_new(s->hub, NULL, n);
	event__log_entry__pack(f, m->data);
	if (f != e)
		ec_record_fixed_free(&fx);
	return m;
}

static struct ec_hub_msg *make_log(struct ec_serve *s, const char *level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static struct ec_hub_msg *make_log(struct ec_serve *s, const char *level, const char *fmt, ...)
{
	char text[1024], line[1100];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	ec_record_log_format(line, sizeof line, ec_now_ns(), level, text);
	EcLogEntry e = EVENT__LOG_ENTRY__INIT;
	e.log_type = EVENT__LOG_TYPE__LOG_TYPE_PROCESS_LOG;
	e.payload_case = EVENT__LOG_ENTRY__PAYLOAD_RUN_LOG;
	e.run_log = line;
	return pack_entry(s, &e);
}

static struct ec_hub_msg *make_heartbeat(struct ec_serve *s, uint64_t dropped, const char *message)
{
	EcHeartbeat hb = EVENT__HEARTBEAT__INIT;
	hb.timestamp = ec_now_ns();
	hb.count = (int64_t)__atomic_load_n(&s->events, __ATOMIC_RELAXED);
	hb.records_dropped = dropped;
	hb.origin = (char *)"ec-serve";
	hb.message = (char *)message;
	EcLogEntry e = EVENT__LOG_ENTRY__INIT;
	e.log_type = EVENT__LOG_TYPE__LOG_TYPE_HEARTBEAT;
	e.payload_case = EVENT__LOG_ENTRY__PAYLOAD_HEARTBEAT_PAYLOAD;
	e.heartbeat_payload = &hb;
	return pack_entry(s, &e);
}

/* ---- the reader thread ---- */

static void wake_loop(void *arg)
{
	struct ec_serve *s = arg;
	lws_cancel_service(s->ctx);
}

static void tee_closed(struct ec_serve *s)
{
	ec_warn("--tee: stdout closed; no longer copying the stream");
	ec_writer_free(s->tee);
	s->tee = NULL;
}

/* The input went quiet: the --tee copy goes out now. */
static int flush_tee(void *arg)
{
	struct ec_serve *s = arg;
	if (s->tee && ec_writer_flush(s->tee) == EC_ERR_PIPE)
		tee_closed(s);
	return 0;
}

static void *reader_main(void *arg)
{
	struct ec_serve *s = arg;
	const struct ec_serve_opts *o = s->o;
	/* a signal cancels this thread, in its blocking read only (then the loop frees) */
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	struct ec_reader *r = ec_reader_new(o->in_fd, "stdin", o->max_record);
	if (r)
		ec_reader_set_hints(r, EC_READER_HINT_MAX_RECORD);
	struct ec_writer *w = o->tee ? ec_writer_new(o->out_fd) : NULL;
	int status = 0;
	if (!r)
		ec_die(1, "out of memory");
	s->rd = r;
	s->tee = w;
	if (w)
		ec_reader_on_idle(r, flush_tee, s);
	for (;;) {
		const uint8_t *buf;
		size_t len;
		pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
		int rc = ec_reader_next(r, &buf, &len);
		pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
		if (rc == 0)
			break;
		if (rc < 0) {
			char msg[512];
			ec_reader_errmsg(r, rc, msg, sizeof msg);
			ec_warn("%s", msg);
			status = 1;
			break;
		}
		EcLogEntry *e = ec_record_decode(buf, len);
		if (!e) {
			ec_warn("stdin: record %llu at byte offset %llu is not a LogEntry; skipped "
				"(is the input an ec record stream?)",
				(unsigned long long)ec_reader_index(r),
				(unsigned long long)ec_reader_offset(r));
			__atomic_add_fetch(&s->bad, 1, __ATOMIC_RELAXED);
			continue;
		}
		int log_type = e->log_type;
		ec_record_free(e);
		/* a string that is not UTF-8 would stop a client's decoder at this record */
		uint8_t *fixed = NULL;
		size_t flen;
		if (ec_record_sanitize(buf, len, &fixed, &flen) == 1) {
			buf = fixed;
			len = flen;
		}
		if (s->tee && ec_writer_put_raw(s->tee, buf, len) == EC_ERR_PIPE)
			tee_closed(s);
		if (log_type == EVENT__LOG_TYPE__LOG_TYPE_EVENT)
			__atomic_add_fetch(&s->events, 1, __ATOMIC_RELAXED);
		ec_hub_publish(s->hub, ec_hub_msg_new(s->hub, buf, len),
			       log_type == EVENT__LOG_TYPE__LOG_TYPE_PROCESS_LOG ? EC_HUB_KEEP_LOG
			       : log_type == EVENT__LOG_TYPE__LOG_TYPE_EVENT	 ? EC_HUB_KEEP_EVENT
										 : EC_HUB_LIVE);
		free(fixed);
	}
	if (s->tee && ec_writer_free(s->tee) == EC_ERR_IO)
		ec_warn("--tee: write to stdout failed: %s", strerror(errno));
	ec_reader_free(r);
	s->rd = NULL;
	s->tee = NULL;
	s->exit_status = status;
	__atomic_store_n(&s->eof, 1, __ATOMIC_RELEASE);
	lws_cancel_service(s->ctx);
	return NULL;
}

/* ---- HTTP: the config API and status ---- */

static int token_is(struct ec_serve *s, const char *got)
{
	size_t gl = strlen(got), tl = strlen(s->o->token);
	return gl == tl && CRYPTO_memcmp(got, s->o->token, tl) == 0;
}

/*
 * The token, in "Authorization: Bearer"; on a WebSocket upgrade (upgrade
 * set) also as ?token=, since a browser's WebSocket cannot send headers.
 */
static int auth_ok(struct ec_serve *s, struct lws *wsi, int upgrade)
{
	if (!s->o->token)
		return 1;
	char buf[1024];
	int n = lws_hdr_copy(wsi, buf, sizeof buf, WSI_TOKEN_HTTP_AUTHORIZATION);
	if (n > 7 && !strncasecmp(buf, "Bearer ", 7) && token_is(s, buf + 7))
		return 1;
	const char *q = upgrade ? lws_get_urlarg_by_name(wsi, "token=", buf, sizeof buf) : NULL;
	return q && token_is(s, q);
}

/*
 * An HTTP/1 connection (not an HTTP/2 stream, which lws lets write only
 * from its WRITEABLE callback): answers are written at once.
 */
static int is_h1(struct lws *wsi)
{
	return lws_get_network_wsi(wsi) == wsi;
}

/* Queue a response on the HTTP session; it is written when writable. */
static void respond(struct lws *wsi, struct pss *p, int status, const char *body, size_t len)
{
	free(p->resp);
	p->resp = ec_xmalloc(LWS_PRE + len + 1);
	memcpy(p->resp + LWS_PRE, body, len);
	p->resp_len = len;
	p->status = status;
	lws_callback_on_writable(wsi);
}

static void respond_code(struct lws *wsi, struct pss *p, int status, int code, const char *module,
			 const char *msg)
{
	char *j = ec_config_response(code, module, msg);
	respond(wsi, p, status, j, strlen(j));
	free(j);
}

static void respond_status(struct ec_serve *s, struct lws *wsi, struct pss *p)
{
	struct ec_hub_stats st;
	ec_hub_stats(s->hub, &st);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "version", EC_VERSION);
	cJSON_AddNumberToObject(o, "uptime_s", (double)((ec_mono_ns() - s->started) / 1000000000));
	cJSON_AddNumberToObject(o, "clients", (double)st.clients);
	cJSON_AddNumberToObject(o, "records", (double)st.records);
	cJSON_AddNumberToObject(o, "events", (double)__atomic_load_n(&s->events, __ATOMIC_RELAXED));
	cJSON_AddNumberToObject(o, "bytes", (double)st.bytes);
	cJSON_AddNumberToObject(o, "dropped", (double)st.dropped);
	cJSON_AddNumberToObject(o, "queued", (double)st.queued);
	cJSON_AddNumberToObject(o, "bad_records",
				(double)__atomic_load_n(&s->bad, __ATOMIC_RELAXED));
	cJSON_AddStringToObject(o, "stdin",
				__atomic_load_n(&s->eof, __ATOMIC_ACQUIRE) ? "closed" : "open");
	if (s->o->capture_control)
		cJSON_AddStringToObject(o, "capture_control", s->o->capture_control);
	else
		cJSON_AddNullToObject(o, "capture_control");
	cJSON *list = cJSON_AddArrayToObject(o, "client_list");
	for (struct pss *c = s->ws_list; c; c = c->next) {
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "peer", c->peer);
		cJSON_AddNumberToObject(e, "sent", (double)c->sent);
		cJSON_AddNumberToObject(e, "queued",
					(double)(ec_hub_pending(s->hub, c->hc) + (c->bn - c->bi)));
		cJSON_AddNumberToObject(e, "dropped", (double)ec_hub_dropped(s->hub, c->hc));
		cJSON_AddItemToArray(list, e);
	}
	char *j = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!j)
		ec_die(1, "out of memory");
	respond(wsi, p, 200, j, strlen(j));
	free(j);
}

static void *relay_main(void *arg)
{
	struct relay_job *j = arg;
	struct ec_serve *s = j->s;
	char path[40], err[512];
	struct ec_httpc_reply r;
	snprintf(path, sizeof path, "/%s", j->get ? "status" : j->route);
	int rc =
	    ec_httpc_request(s->o->capture_control, NULL, j->get ? "GET" : "POST", path, j->body,
			     j->len, NULL, s->o->relay_timeout_ms, &r, err, sizeof err);
	int status;
	char *resp;
	if (!rc && j->get) { /* the capture's status, passed through */
		status = (int)r.status;
		resp = r.body ? r.body : ec_xstrdup("");
	} else if (rc) {
		char msg[700];
		snprintf(msg, sizeof msg, "capture not reachable: %s", err);
		status = ec_config_http_status(EC_RESP_SEND_FAILED);
		resp = ec_config_response(EC_RESP_SEND_FAILED, j->route, msg);
	} else {
		int code;
		char msg[512];
		if (ec_config_response_parse(r.body, r.len, &code, msg, sizeof msg) == 0) {
			status = (int)r.status; /* capture's answer, passed through */
			resp = r.body;
			r.body = NULL;
		} else {
			char m[256];
			snprintf(m, sizeof m,
				 "capture answered HTTP %ld without a config response body",
				 r.status);
			status = ec_config_http_status(EC_RESP_INTERNAL);
			resp = ec_config_response(EC_RESP_INTERNAL, j->route, m);
		}
		free(r.body);
	}
	pthread_mutex_lock(&s->job_mu);
	j->status = status;
	j->resp = resp;
	j->done = 1;
	s->jobs_running--;
	pthread_cond_broadcast(&s->job_cv);
	pthread_mutex_unlock(&s->job_mu);
	lws_cancel_service(s->ctx);
	return NULL;
}

/* A parsed, valid config (or, get, a status request): relay it to the
 * capture in a thread. */
static void start_relay(struct ec_serve *s, struct lws *wsi, struct pss *p, int get)
{
	pthread_mutex_lock(&s->job_mu);
	int busy = s->jobs_running >= MAX_RELAYS;
	pthread_mutex_unlock(&s->job_mu);
	if (busy) {
		respond_code(wsi, p, 503, EC_RESP_SEND_FAILED, p->route,
			     "busy: too many config updates in flight; retry");
		return;
	}
	struct relay_job *j = ec_xcalloc(1, sizeof *j);
	j->s = s;
	j->wsi = wsi;
	memcpy(j->route, p->route, sizeof j->route);
	j->get = get;
	j->body = p->body ? p->body : ec_xstrdup("");
	j->len = p->blen;
	p->body = NULL;
	p->blen = 0;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_t t;
	pthread_mutex_lock(&s->job_mu);
	j->next = s->jobs;
	s->jobs = j;
	s->jobs_running++;
	int rc = pthread_create(&t, &attr, relay_main, j);
	if (rc) {
		s->jobs = j->next;
		s->jobs_running--;
	}
	pthread_mutex_unlock(&s->job_mu);
	pthread_attr_destroy(&attr);
	if (rc) {
		free(j->body);
		free(j);
		respond_code(wsi, p, 500, EC_RESP_INTERNAL, p->route, "cannot start relay thread");
		return;
	}
	p->job = j;
	/*
	 * Read nothing more until the answer is out: lws closes a connection on
	 * EOF, and a client that shut its sending side after the body is still
	 * owed the capture's answer (written from collect_relays).
	 */
	if (is_h1(wsi))
		lws_rx_flow_control(wsi, 0);
}

static int http_write(struct ec_serve *s, struct lws *wsi, struct pss *p);

/* Hand finished relays' answers to their sessions (loop thread). */
static void collect_relays(struct ec_serve *s)
{
	pthread_mutex_lock(&s->job_mu);
	struct relay_job **pp = &s->jobs;
	while (*pp) {
		struct relay_job *j = *pp;
		if (!j->done) {
			pp = &j->next;
			continue;
		}
		*pp = j->next;
		if (j->wsi) {
			struct pss *p = lws_wsi_user(j->wsi);
			p->job = NULL;
			respond(j->wsi, p, j->status, j->resp, strlen(j->resp));
			/* written now: with its reading paused lws never calls it writable */
			if (is_h1(j->wsi) && http_write(s, j->wsi, p) < 0)
				lws_set_timeout(j->wsi, PENDING_TIMEOUT_CLOSE_SEND,
						LWS_TO_KILL_ASYNC);
		} else {
			ec_warn("POST /%s: the capture answered HTTP %d, but its client had gone: "
				"not answered",
				j->route, j->status);
		}
		free(j->resp);
		free(j->body);
		free(j);
	}
	pthread_mutex_unlock(&s->job_mu);
}

static void orphan_job(struct ec_serve *s, struct pss *p)
{
	if (!p->job)
		return;
	pthread_mutex_lock(&s->job_mu);
	p->job->wsi = NULL;
	pthread_mutex_unlock(&s->job_mu);
	p->job = NULL;
}

static void handle_config(struct ec_serve *s, struct lws *wsi, struct pss *p)
{
	struct ec_config cfg;
	char msg[512];
	int rc = ec_config_parse(p->route, p->body ? p->body : "", p->blen, &cfg, msg, sizeof msg);
	if (rc != EC_RESP_OK) {
		if (s->o->verbose)
			ec_warn("POST /%s: code %d: %s", p->route, rc, msg);
		respond_code(wsi, p, ec_config_http_status(rc), rc, p->route, msg);
		return;
	}
	ec_config_free(&cfg);
	if (!s->o->capture_control) {
		respond_code(wsi, p, 503, EC_RESP_SEND_FAILED, p->route,
			     "no capture to apply it to: start ec-serve with --capture-control "
			     "PATH");
		return;
	}
	start_relay(s, wsi, p, 0);
}

static int is_config_route(const char *path)
{
	return *path == '/' && ec_config_module(path + 1) && strlen(path) < 32;
}

static int http_request(struct ec_serve *s, struct lws *wsi, struct pss *p, const char *uri)
{
	char path[256], why[200];
	long long clen;
	snprintf(path, sizeof path, "%s", uri ? uri : "/");
	size_t n = strlen(path);
	if (n > 1 && path[n - 1] == '/')
		path[n - 1] = 0;
	int get = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0;
	int post = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;
	p->kind = PSS_HTTP;
	int bad = ec_control_framing(wsi, &clen, why, sizeof why);
	if (bad) {
		/* before anything else: its meaning depends on who parses it */
		if (s->o->verbose)
			ec_warn("%s %s refused (HTTP %d): %s",
				post  ? "POST"
				: get ? "GET"
				      : "request",
				path, bad, why);
		p->close_after = 1;
		respond_code(wsi, p, bad, EC_RESP_INVALID_REQUEST, "", why);
		return 0;
	}
	/* the page, on the WebSocket port: it holds nothing captured (no token) */
	struct ec_www_file wf;
	if (get && (!s->api_vh || lws_get_vhost(wsi) != s->api_vh) &&
	    ec_www_find(uri ? uri : "/", &wf)) {
		respond(wsi, p, 200, (const char *)wf.data, wf.len);
		p->ctype = wf.ctype;
		return 0;
	}
	if (!auth_ok(s, wsi, 0)) {
		p->close_after = post; /* its body is not read */
		respond_code(wsi, p, 401, EC_RESP_INVALID_REQUEST, "",
			     "missing or wrong \"Authorization: Bearer TOKEN\" header");
		return 0;
	}
	if (!strcmp(path, "/") || !strcmp(path, "/status")) {
		if (!get) {
			p->allow = "GET";
			p->close_after = post;
			respond_code(wsi, p, 405, EC_RESP_INVALID_REQUEST, "",
				     "method not allowed: use GET for the status");
			return 0;
		}
		respond_status(s, wsi, p);
		return 0;
	}
	if (!strcmp(path, "/capture/status")) { /* the capture's own GET /status */
		if (!get) {
			p->allow = "GET";
			p->close_after = post;
			respond_code(wsi, p, 405, EC_RESP_INVALID_REQUEST, "",
				     "method not allowed: use GET for the capture's status");
		} else if (!s->o->capture_control) {
			respond_code(
			    wsi, p, 503, EC_RESP_SEND_FAILED, "",
			    "no capture to ask: start ec-serve with --capture-control PATH");
		} else {
			snprintf(p->route, sizeof p->route, "capture/status");
			start_relay(s, wsi, p, 1);
		}
		return 0;
	}
	/* config routes: on --listen's port only (off with --listen off) */
	if (!is_config_route(path) || !s->o->listen_addr ||
	    (s->api_vh && lws_get_vhost(wsi) != s->api_vh)) {
		char msg[400];
		snprintf(msg, sizeof msg,
			 "no route %.200s; POST a config to /tls /openssl /boringssl /auto /gotls "
			 "/gnutls /nss /nspr /bash /mysqld /postgres /postgress, GET /status or "
			 "/capture/status",
			 path);
		p->close_after = post;
		respond_code(wsi, p, 404, EC_RESP_NOT_FOUND, "", msg);
		return 0;
	}
	snprintf(p->route, sizeof p->route, "%.31s", path + 1);
	if (!post) {
		p->allow = "POST";
		respond_code(wsi, p, 405, EC_RESP_INVALID_REQUEST, p->route,
			     "method not allowed: POST a JSON config body");
		return 0;
	}
	p->close_after = 1; /* one config per connection: nothing is read after it */
	if (clen > (long long)BODY_DRAIN_MAX) {
		char msg[200];
		snprintf(msg, sizeof msg, "body of %lld bytes is over the limit of %u bytes", clen,
			 EC_CONFIG_BODY_MAX);
		p->close_after = 1;
		respond_code(wsi, p, 413, EC_RESP_INVALID_REQUEST, p->route, msg);
		return 0;
	}
	if (clen <= 0) /* no body follows: decide now */
		handle_config(s, wsi, p);
	return 0;
}

static void http_body(struct pss *p, const void *in, size_t len)
{
	if (p->too_big || p->blen + len > EC_CONFIG_BODY_MAX) {
		p->too_big = 1;
		p->blen += len;
		free(p->body);
		p->body = NULL;
		return;
	}
	p->body = ec_xrealloc(p->body, p->blen + len + 1);
	memcpy(p->body + p->blen, in, len);
	p->blen += len;
	p->body[p->blen] = 0;
}

static void http_clear(struct ec_serve *s, struct pss *p)
{
	orphan_job(s, p);
	free(p->body);
	free(p->resp);
	p->body = NULL;
	p->resp = NULL;
	p->blen = 0;
	p->too_big = 0;
	p->allow = NULL;
	p->close_after = 0;
	p->route[0] = 0;
	p->ctype = NULL;
}

static int http_write(struct ec_serve *s, struct lws *wsi, struct pss *p)
{
	if (!p->resp)
		return 0;
	unsigned char hdr[LWS_PRE + 1024], *start = hdr + LWS_PRE, *q = start,
					   *end = hdr + sizeof hdr - 1;
	if (lws_add_http_common_headers(wsi, (unsigned)p->status,
					p->ctype ? p->ctype : "application/json", p->resp_len, &q,
					end))
		return -1;
	/* the page shows captured bytes: nothing of them may run or be sniffed */
	static const char *const page_headers[][2] = {
	    {"content-security-policy:", EC_WWW_CSP},
	    {"x-content-type-options:", "nosniff"},
	    {"referrer-policy:", "no-referrer"},
	    {"cache-control:", "no-store"},
	};
	for (size_t i = 0; p->ctype && i < sizeof page_headers / sizeof *page_headers; i++)
		if (lws_add_http_header_by_name(wsi, (const unsigned char *)page_headers[i][0],
						(const unsigned char *)page_headers[i][1],
						(int)strlen(page_headers[i][1]), &q, end))
			return -1;
	if (p->allow && lws_add_http_header_by_name(
			    wsi, (const unsigned char *)"allow:", (const unsigned char *)p->allow,
			    (int)strlen(p->allow), &q, end))
		return -1;
	if (p->status == 401 &&
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"www-authenticate:",
					(const unsigned char *)"Bearer", 6, &q, end))
		return -1;
	if (p->close_after && is_h1(wsi) &&
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"connection:",
					(const unsigned char *)"close", 5, &q, end))
		return -1;
	if (lws_finalize_write_http_header(wsi, start, &q, end))
		return -1;
	int n = lws_write(wsi, p->resp + LWS_PRE, p->resp_len, LWS_WRITE_HTTP_FINAL);
	int close_after = p->close_after && is_h1(wsi); /* an HTTP/2 stream just ends */
	/* done with this transaction; completing it may free p */
	http_clear(s, p);
	if (n < 0)
		return -1;
	if (close_after) {
		if (!lws_partial_buffered(wsi))
			return -1;
		/* lws holds part of it (TLS): close once WRITEABLE says it is flushed */
		p->closing = 1;
		lws_rx_flow_control(wsi, 1);
		lws_callback_on_writable(wsi);
		return 0;
	}
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* ---- WebSocket clients ---- */

static void ws_list_add(struct ec_serve *s, struct pss *p)
{
	p->prev = NULL;
	p->next = s->ws_list;
	if (s->ws_list)
		s->ws_list->prev = p;
	s->ws_list = p;
	s->nws++;
}

static void ws_list_del(struct ec_serve *s, struct pss *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		s->ws_list = p->next;
	if (p->next)
		p->next->prev = p->prev;
	s->nws--;
}

/* Stop the loop, waking it: lws_service may otherwise sleep until the next timer. */
static void set_quit(struct ec_serve *s)
{
	s->quit = 1;
	lws_cancel_service(s->ctx);
}

/*
 * The last records a client gets at the end of input, before the close: a
 * log line when it lost records since the last heartbeat, and a heartbeat
 * whose records_dropped is all it lost (what --drain cut included).
 */
static void final_heartbeat(struct ec_serve *s, struct pss *p)
{
	uint64_t fresh = ec_hub_take_unreported(s->hub, p->hc);
	uint64_t total = ec_hub_dropped(s->hub, p->hc);
	char msg[256];
	if (fresh)
		ec_hub_send(s->hub, p->hc,
			    make_log(s, EC_LOG_WARN,
				     "this client lost %llu records since the last heartbeat (%llu "
				     "in all)%s",
				     (unsigned long long)fresh, (unsigned long long)total,
				     p->cut
					 ? ": the input ended and --drain ran out before it read "
					   "them"
					 : ": it reads slower than the stream"));
	snprintf(msg, sizeof msg, "ec-serve %s: end of input; dropped for this client %llu",
		 EC_VERSION, (unsigned long long)total);
	ec_hub_send(s->hub, p->hc, make_heartbeat(s, total, msg));
	p->final_sent = 1;
}

/*
 * RFC 6455 5.2 header of an unmasked, final, binary frame (server to
 * client) of n payload bytes; returns its length (2, 4 or 10).
 */
static size_t ws_frame_header(uint8_t *h, uint64_t n)
{
	h[0] = 0x82; /* FIN, opcode 2 */
	if (n < 126) {
		h[1] = (uint8_t)n;
		return 2;
	}
	if (n <= 0xffff) {
		h[1] = 126;
		h[2] = (uint8_t)(n >> 8);
		h[3] = (uint8_t)n;
		return 4;
	}
	h[1] = 127;
	for (int i = 0; i < 8; i++)
		h[2 + i] = (uint8_t)(n >> (56 - 8 * i));
	return 10;
}

/*
 * Send queued records. Small messages are framed together into one buffer
 * and handed to lws as raw bytes (LWS_WRITE_RAW: lws sends them as they
 * are, buffering what the socket does not take), so a busy client costs one
 * send() per WS_COALESCE bytes instead of one per record; a record larger
 * than the buffer goes out alone through lws' own framing. Whole frames
 * only, so lws' pings, pongs and close frames still fall between frames.
 */
static int ws_write(struct ec_serve *s, struct lws *wsi, struct pss *p)
{
	for (;;) {
		size_t used = 0;
		uint8_t *out = p->out + LWS_PRE;
		for (;;) {
			if (p->bi == p->bn) {
				p->bi = 0;
				p->bn = ec_hub_pop(s->hub, p->hc, p->batch, WS_BATCH);
				if (!p->bn)
					break;
			}
			struct ec_hub_msg *m = p->batch[p->bi];
			if (used + 10 + m->len > WS_COALESCE)
				break;
			used += ws_frame_header(out + used, m->len);
			memcpy(out + used, m->data, m->len);
			used += m->len;
			p->bi++;
			p->sent++;
			ec_hub_msg_unref(m);
		}
		if (used) {
			if (lws_write(wsi, out, used, LWS_WRITE_RAW) < 0)
				return -1;
		} else if (p->bi < p->bn) {
			struct ec_hub_msg *m = p->batch[p->bi++];
			int n = lws_write(wsi, m->data, m->len, LWS_WRITE_BINARY);
			ec_hub_msg_unref(m);
			if (n < 0)
				return -1;
			p->sent++;
		} else {
			break; /* nothing queued */
		}
		if (lws_send_pipe_choked(wsi))
			break;
	}
	if (p->bi < p->bn || ec_hub_pending(s->hub, p->hc)) {
		lws_callback_on_writable(wsi);
		return 0;
	}
	if (s->draining && !p->final_sent) {
		/* its queue is out: tell it what it lost, then close */
		final_heartbeat(s, p);
		lws_callback_on_writable(wsi);
		return 0;
	}
	if (s->draining) {
		static const char reason[] = "end of stream";
		lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, (unsigned char *)reason,
				 sizeof reason - 1);
		return -1;
	}
	return 0;
}

static void ws_closed(struct ec_serve *s, struct pss *p)
{
	/* losses are told on stderr, -v or not */
	uint64_t lost = ec_hub_dropped(s->hub, p->hc);
	uint64_t left = ec_hub_pending(s->hub, p->hc) + (p->bn - p->bi);
	char undelivered[64] = "";
	if (left)
		snprintf(undelivered, sizeof undelivered, ", %llu queued when it left",
			 (unsigned long long)left);
	if (lost || left || s->o->verbose)
		ec_warn("client %s gone: %llu sent, %llu lost%s%s", p->peer,
			(unsigned long long)p->sent, (unsigned long long)lost,
			!lost	 ? ""
			: p->cut ? " (it read slower than the stream; --drain ran out)"
				 : " (it read slower than the stream)",
			undelivered);
	for (; p->bi < p->bn; p->bi++)
		ec_hub_msg_unref(p->batch[p->bi]);
	ec_hub_leave(s->hub, p->hc);
	p->hc = NULL;
	free(p->out);
	p->out = NULL;
	ws_list_del(s, p);
	if (s->draining && !s->nws)
		set_quit(s);
}

static void wake_writers(struct ec_serve *s)
{
	for (struct pss *p = s->ws_list; p; p = p->next)
		if (s->draining || p->bi < p->bn || ec_hub_pending(s->hub, p->hc))
			lws_callback_on_writable(p->wsi);
}

static void heartbeat_cb(lws_sorted_usec_list_t *sul)
{
	struct ec_serve *s = lws_container_of(sul, struct ec_serve, hb_sul);
	struct ec_hub_stats st;
	ec_hub_stats(s->hub, &st);
	for (struct pss *p = s->ws_list; p && !s->draining; p = p->next) {
		uint64_t fresh = ec_hub_take_unreported(s->hub, p->hc);
		uint64_t total = ec_hub_dropped(s->hub, p->hc);
		char msg[256];
		snprintf(msg, sizeof msg,
			 "ec-serve %s: clients %zu, records %llu, dropped for this client %llu",
			 EC_VERSION, st.clients, (unsigned long long)st.records,
			 (unsigned long long)total);
		if (fresh)
			ec_hub_send(
			    s->hub, p->hc,
			    make_log(s, EC_LOG_WARN,
				     "ec-serve: this client lost %llu records since the last "
				     "heartbeat (%llu in all): it reads slower than the "
				     "stream",
				     (unsigned long long)fresh, (unsigned long long)total));
		ec_hub_send(s->hub, p->hc, make_heartbeat(s, total, msg));
	}
	wake_writers(s);
	lws_sul_schedule(s->ctx, 0, &s->hb_sul, heartbeat_cb,
			 (lws_usec_t)s->o->heartbeat_s * LWS_US_PER_SEC);
}

static void grace_cb(lws_sorted_usec_list_t *sul)
{
	set_quit(lws_container_of(sul, struct ec_serve, drain_sul));
}

/*
 * --drain ran out: what is still queued for a client is lost; its final
 * heartbeat (with that loss) gets DRAIN_GRACE to go out, then everyone is
 * closed.
 */
static void drain_timeout_cb(lws_sorted_usec_list_t *sul)
{
	struct ec_serve *s = lws_container_of(sul, struct ec_serve, drain_sul);
	if (s->nws)
		ec_warn("%zu client(s) did not drain in %d s (--drain): the rest of their queue "
			"is dropped",
			s->nws, s->o->drain_s);
	for (struct pss *p = s->ws_list; p; p = p->next) {
		if (p->final_sent)
			continue;
		for (size_t i = p->bi; i < p->bn; i++)
			ec_hub_msg_unref(p->batch[i]);
		p->cut = ec_hub_discard(s->hub, p->hc, p->bn - p->bi);
		p->bi = p->bn = 0;
		final_heartbeat(s, p);
		lws_callback_on_writable(p->wsi);
	}
	lws_sul_schedule(s->ctx, 0, &s->drain_sul, grace_cb, DRAIN_GRACE);
}

static void start_drain(struct ec_serve *s)
{
	if (s->draining)
		return;
	s->draining = 1;
	if (!s->nws) {
		set_quit(s);
		return;
	}
	wake_writers(s);
	lws_sul_schedule(s->ctx, 0, &s->drain_sul, drain_timeout_cb,
			 (lws_usec_t)s->o->drain_s * LWS_US_PER_SEC);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		    size_t len)
{
	struct lws_context *ctx = lws_get_context(wsi);
	struct ec_serve *s = ctx ? lws_context_user(ctx) : NULL;
	struct pss *p = user;
	if (!s)
		return 0;

	switch (reason) {
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		ec_hub_wake_ack(s->hub);
		wake_writers(s);
		collect_relays(s);
		if (__atomic_load_n(&s->eof, __ATOMIC_ACQUIRE) || got_signal)
			start_drain(s);
		return 0;

	/* HTTP */
	case LWS_CALLBACK_HTTP:
		http_request(s, wsi, p, in);
		/* answered now, from the request's callback: also to a half-closed client */
		return p->resp && is_h1(wsi) ? http_write(s, wsi, p) : 0;
	case LWS_CALLBACK_HTTP_BODY:
		if (p->kind == PSS_HTTP && p->route[0])
			http_body(p, in, len);
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (p->kind != PSS_HTTP || !p->route[0] || p->resp || p->job)
			return 0;
		if (p->too_big) {
			char msg[200];
			snprintf(msg, sizeof msg, "body of %zu bytes is over the limit of %u bytes",
				 p->blen, EC_CONFIG_BODY_MAX);
			respond_code(wsi, p, 413, EC_RESP_INVALID_REQUEST, p->route, msg);
			return is_h1(wsi) ? http_write(s, wsi, p) : 0;
		}
		handle_config(s, wsi, p);
		return p->resp && is_h1(wsi) ? http_write(s, wsi, p) : 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (p && p->closing)
			return -1;
		return p ? http_write(s, wsi, p) : 0;
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
	case LWS_CALLBACK_CLOSED_HTTP:
		if (p && p->kind == PSS_HTTP)
			http_clear(s, p);
		return 0;

	/* WebSocket */
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: {
		char why[200];
		long long clen;
		int bad = ec_control_framing(wsi, &clen, why, sizeof why);
		if (bad || clen > 0) {
			if (!bad)
				snprintf(why, sizeof why, "a WebSocket upgrade has no body");
			lws_return_http_status(wsi, HTTP_STATUS_BAD_REQUEST, why);
			return 1;
		}
	}
		if (!auth_ok(s, wsi, 1)) {
			if (s->o->verbose)
				ec_warn("WebSocket upgrade refused: missing or wrong token");
			lws_return_http_status(wsi, HTTP_STATUS_UNAUTHORIZED,
					       "missing or wrong \"Authorization: Bearer TOKEN\"");
			return 1;
		}
		char uri[64];
		if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) <= 0 ||
		    (strcmp(uri, "/") && strcmp(uri, "/ws"))) {
			lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND,
					       "the stream is at ws://HOST:PORT/");
			return 1;
		}
		if (s->draining || (int)s->nws >= s->o->max_clients) {
			lws_return_http_status(wsi, HTTP_STATUS_SERVICE_UNAVAILABLE,
					       s->draining ? "stream ended" : "too many clients");
			return 1;
		}
		return 0;
	case LWS_CALLBACK_ESTABLISHED:
		memset(p, 0, sizeof *p);
		p->kind = PSS_WS;
		p->wsi = wsi;
		lws_get_peer_simple(wsi, p->peer, sizeof p->peer);
		p->out = ec_xmalloc(LWS_PRE + WS_COALESCE);
		{
			/* ?replay=1: the kept events first (a page opened after traffic) */
			char arg[32];
			const char *r = lws_get_urlarg_by_name(wsi, "replay=", arg, sizeof arg);
			p->hc = r && !strcmp(r, "1") ? ec_hub_join_kept(s->hub, p)
						     : ec_hub_join(s->hub, p);
		}
		ws_list_add(s, p);
		if (s->o->verbose)
			ec_warn("client %s connected (%zu now)", p->peer, s->nws);
		lws_callback_on_writable(wsi);
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (p->kind != PSS_WS)
			return 0;
		return ws_write(s, wsi, p);
	case LWS_CALLBACK_RECEIVE:
		return 0; /* clients have nothing to say; pings are answered by lws */
	case LWS_CALLBACK_CLOSED:
		if (p && p->kind == PSS_WS)
			ws_closed(s, p);
		return 0;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols protocols[] = {
    {"ec-stream", callback, sizeof(struct pss), 4096, 0, NULL, 256 * 1024},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void lws_log(int level, const char *line)
{
	(void)level;
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == ' '))
		n--;
	ec_warn("libwebsockets: %.*s", (int)n, line);
}

static void on_signal(int sig)
{
	(void)sig;
	got_signal = 1;
	if (signal_ctx)
		lws_cancel_service(signal_ctx);
}

static struct lws_vhost *make_vhost(struct ec_serve *s, const char *name, const char *host,
				    int port, const lws_retry_bo_t *retry)
{
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof info);
	info.vhost_name = name;
	info.port = port;
	info.iface = *host ? host : NULL;
	info.protocols = protocols;
	info.options = LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
	if (strchr(host, ':') == NULL && *host)
		info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
	info.retry_and_idle_policy = retry;
	info.keepalive_timeout = 30;
	if (s->o->tls_cert) {
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.ssl_cert_filepath = s->o->tls_cert;
		info.ssl_private_key_filepath = s->o->tls_key;
	}
	return lws_create_vhost(s->ctx, &info);
}

int ec_serve_run(const struct ec_serve_opts *o)
{
	struct ec_serve sv, *s = &sv;
	char err[300];
	memset(s, 0, sizeof *s);
	s->o = o;
	s->started = ec_mono_ns();
	if (ec_serve_parse_addr(o->ws_addr, s->ws_host, sizeof s->ws_host, &s->ws_port, err,
				sizeof err))
		ec_die(2, "--ws %s", err);
	if (o->listen_addr && ec_serve_parse_addr(o->listen_addr, s->http_host, sizeof s->http_host,
						  &s->http_port, err, sizeof err))
		ec_die(2, "--listen %s", err);
	int shared =
	    o->listen_addr && s->http_port == s->ws_port && !strcmp(s->http_host, s->ws_host);
	pthread_mutex_init(&s->job_mu, NULL);
	pthread_cond_init(&s->job_cv, NULL);

	struct ec_hub_limits hl = {.headroom = LWS_PRE,
				   .queue_max = o->queue_max,
				   .queue_bytes = o->queue_bytes,
				   .replay = EC_HUB_REPLAY,
				   .keep = o->keep,
				   .keep_bytes = o->keep_bytes,
				   .wake = wake_loop,
				   .wake_arg = s};
	s->hub = ec_hub_new(&hl);

	lws_set_log_level(o->verbose > 1 ? LLL_ERR | LLL_WARN | LLL_NOTICE : LLL_ERR, lws_log);
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof info);
	info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
	if (o->tls_cert)
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.user = s;
	info.count_threads = 1;
	s->ctx = lws_create_context(&info);
	if (!s->ctx)
		ec_die(1, "cannot create the libwebsockets context");
	static lws_retry_bo_t retry;
	retry.secs_since_valid_ping = (uint16_t)o->ping_s;
	retry.secs_since_valid_hangup = (uint16_t)(o->ping_s * 2);
	const char *scheme = o->tls_cert ? "s" : "";
	struct lws_vhost *ws_vh = make_vhost(s, "ws", s->ws_host, s->ws_port, &retry);
	if (!ws_vh) {
		lws_context_destroy(s->ctx);
		ec_die(1, "--ws %s: cannot listen there (in use, or not a local address?)",
		       o->ws_addr);
	}
	if (o->listen_addr && !shared &&
	    !(s->api_vh = make_vhost(s, "api", s->http_host, s->http_port, &retry))) {
		lws_context_destroy(s->ctx);
		ec_die(1, "--listen %s: cannot listen there (in use, or not a local address?)",
		       o->listen_addr);
	}
	/* ec-serve's own startup logs open the replay, as eCapture's do */
	struct utsname u;
	uname(&u);
	ec_hub_publish(s->hub, make_log(s, EC_LOG_INFO, "AppName=ec-serve"), 1);
	ec_hub_publish(
	    s->hub,
	    make_log(s, EC_LOG_INFO, "Version=linux_%s:%s:%s", u.machine, EC_VERSION, u.release),
	    1);
	if (o->listen_addr)
		ec_hub_publish(s->hub,
			       make_log(s, EC_LOG_INFO, "Listen=http%s://%s:%d (config API%s)",
					scheme, *s->http_host ? s->http_host : "*", s->http_port,
					o->capture_control ? ", relayed to capture" : ""),
			       1);
	ec_hub_publish(s->hub,
		       make_log(s, EC_LOG_INFO, "Listen for eCaptureQ=ws%s://%s:%d/", scheme,
				*s->ws_host ? s->ws_host : "*", s->ws_port),
		       1);
	if (o->verbose)
		ec_warn("serving ws%s://%s:%d/%s%s", scheme, s->ws_host, s->ws_port,
			o->listen_addr ? ", config API on " : "",
			o->listen_addr ? o->listen_addr : "");

	signal_ctx = s->ctx;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	lws_sul_schedule(s->ctx, 0, &s->hb_sul, heartbeat_cb,
			 (lws_usec_t)o->heartbeat_s * LWS_US_PER_SEC);
	/* the reader may only start once the loop can be woken */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if (pthread_create(&s->reader, NULL, reader_main, s))
		ec_die(1, "cannot start the reader thread");
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	s->reader_started = 1;

	while (!s->quit) {
		if (lws_service(s->ctx, 0) < 0)
			break;
		if (got_signal || __atomic_load_n(&s->eof, __ATOMIC_ACQUIRE))
			start_drain(s);
	}
	lws_sul_cancel(&s->hb_sul);
	lws_sul_cancel(&s->drain_sul);

	/* relays in flight finish within their timeout */
	pthread_mutex_lock(&s->job_mu);
	while (s->jobs_running)
		pthread_cond_wait(&s->job_cv, &s->job_mu);
	pthread_mutex_unlock(&s->job_mu);
	int status = 0;
	if (__atomic_load_n(&s->eof, __ATOMIC_ACQUIRE)) {
		pthread_join(s->reader, NULL);
		status = s->exit_status;
	} else {
		/* stopped by a signal while the reader waits for input */
		pthread_cancel(s->reader);
		pthread_join(s->reader, NULL);
		ec_writer_free(s->tee); /* what was copied so far goes out */
		ec_reader_free(s->rd);
	}
	signal_ctx = NULL;
	lws_context_destroy(s->ctx);
	collect_relays(s);
	struct ec_hub_stats st;
	ec_hub_stats(s->hub, &st);
	if (o->verbose || st.dropped)
		ec_warn("done: %llu records, %llu events, %llu dropped for slow clients",
			(unsigned long long)st.records, (unsigned long long)s->events,
			(unsigned long long)st.dropped);
	ec_hub_free(s->hub);
	pthread_mutex_destroy(&s->job_mu);
	pthread_cond_destroy(&s->job_cv);
	return status;
}
