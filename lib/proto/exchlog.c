// SPDX-License-Identifier: GPL-2.0-only
#include "exchlog.h"
#include "format.h"
#include "har.h"
#include "parse.h"
#include "utf8.h"
#include "util.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OPEN (1u << 16) /* requests awaiting their answer, remembered at once */
#define MAX_ROWS 10000	    /* --stats rows (host, path); the rest go to one "(other)" */
#define MAX_SAMPLES 100000  /* latencies kept per row (a uniform sample beyond) */

/* One exchange seen so far: its request, and its response's parts. */
struct open {
	uint64_t key; /* the exchange id, mixed with the host's name (0: a free slot) */
	uint64_t id;
	int64_t ts, pid;
	char *host, *comm, *method, *authority, *path;
	uint64_t req_bytes, resp_bytes;
	/* --har: the messages themselves, and where they went */
	uint8_t *req, *resp;
	size_t req_len, resp_len;
	char *server_ip;
	uint32_t server_port;
	uint64_t conn_id;
	int source;
	uint32_t type; /* the request's */
};

struct row {
	const char *proto; /* a static name: "http", "postgresql"... */
	char *host, *path;
	uint64_t count, errors, seen;
	int64_t *lat;
	size_t nlat, caplat;
};

struct ec_exchlog {
	FILE *out;
	struct ec_exchlog_opts o;
	struct open *tab; /* open addressing by id */
	size_t cap, n;
	uint64_t not_kept; /* requests not remembered: the table was full */
	/* exchanges answered before their request's record came (an early
	 * 413: ec-parse writes a request once it ends): its record, when it
	 * comes, is not a request awaiting an answer */
	uint64_t early[64];
	unsigned nearly;
	struct row *rows;
	size_t nrows, caprows;
	int64_t win_start, win_end; /* --stats: the window's first and last exchange */
	uint64_t win_count, rng;
	struct ec_har *har;
};

int ec_exchlog_statuses(const char *list, struct ec_exchlog_opts *o)
{
	struct ec_exchlog_opts t = *o;
	const char *p = list;
	while (*p) {
		size_t k = strcspn(p, ",");
		if (k == 3 && p[0] >= '1' && p[0] <= '5' && p[1] == 'x' && p[2] == 'x')
			t.statuses |= 1u << (p[0] - '0');
		else if (k == 4 && !strncmp(p, "none", 4))
			t.statuses |= 1;
		else if (k == 5 && !strncmp(p, "error", 5))
			t.statuses |= EC_EXCHLOG_FAILED;
		else if (k == 3 && p[0] >= '1' && p[0] <= '5' && p[1] >= '0' && p[1] <= '9' &&
			 p[2] >= '0' && p[2] <= '9' && t.ncodes < 16)
			t.codes[t.ncodes++] =
			    (uint16_t)((p[0] - '0') * 100 + (p[1] - '0') * 10 + p[2] - '0');
		else
			return -1;
		p += k;
		if (*p == ',' && *++p == 0)
			return -1;
	}
	if (p == list)
		return -1;
	*o = t;
	return 0;
}

struct ec_exchlog *ec_exchlog_new(FILE *out, const struct ec_exchlog_opts *o)
{
	struct ec_exchlog *x = ec_xcalloc(1, sizeof *x);
	x->out = out;
	x->o = *o;
	x->cap = 256;
	x->tab = ec_xcalloc(x->cap, sizeof *x->tab);
	x->rng = 0x9e3779b97f4a7c15ull;
	if (o->har)
		x->har = ec_har_open(o->har);
	return x;
}

/* Where id's probe starts (Fibonacci hashing: ids come in order). */
static size_t home(const struct ec_exchlog *x, uint64_t key)
{
	return (size_t)(key * 0x9e3779b97f4a7c15ull) & (x->cap - 1);
}

static size_t slot(const struct ec_exchlog *x, uint64_t key)
{
	size_t i = home(x, key);
	while (x->tab[i].key && x->tab[i].key != key)
		i = (i + 1) & (x->cap - 1);
	return i;
}

/*
 * Each ec-parse numbers its own exchanges: in a stream of many hosts
 * (ec-nats sub) the same id comes from each, so the host is in the key.
 */
static uint64_t key_of(uint64_t id, const char *host)
{
	if (!id || !host || !*host)
		return id;
	uint64_t k = (id ^ ec_fnv1a(EC_FNV1A_INIT, host, strlen(host))) * 0x9e3779b97f4a7c15ull;
	return k ? k : 1;
}

static void grow(struct ec_exchlog *x)
{
	struct open *old = x->tab;
	size_t ocap = x->cap;
	x->cap *= 2;
	x->tab = ec_xcalloc(x->cap, sizeof *x->tab);
	for (size_t i = 0; i < ocap; i++)
		if (old[i].key)
			x->tab[slot(x, old[i].key)] = old[i];
	free(old);
}

static void open_free(struct open *e)
{
	free(e->host);
	free(e->comm);
	free(e->method);
	free(e->authority);
	free(e->path);
	free(e->req);
	free(e->resp);
	free(e->server_ip);
}

/* Take entry i out, keeping every other reachable (backward-shift deletion). */
static void drop(struct ec_exchlog *x, size_t i)
{
	struct open *e = &x->tab[i];
	open_free(e);
	memset(e, 0, sizeof *e);
	x->n--;
	for (size_t j = (i + 1) & (x->cap - 1); x->tab[j].key; j = (j + 1) & (x->cap - 1)) {
		size_t h = home(x, x->tab[j].key);
		/* j's entry may move to i when i lies on its probe path */
		if ((j > i && (h <= i || h > j)) || (j < i && h <= i && h > j)) {
			x->tab[i] = x->tab[j];
			memset(&x->tab[j], 0, sizeof x->tab[j]);
			i = j;
		}
	}
}

/* --har: a message's parts, one after the other. */
static void append(uint8_t **b, size_t *len, const uint8_t *p, size_t n)
{
	*b = ec_xrealloc(*b, *len + n + 1);
	if (n)
		memcpy(*b + *len, p, n);
	*len += n;
}

static char *dup_or_null(const char *s)
{
	return s && *s ? ec_xstrdup(s) : NULL;
}

/* The bytes a message took on the wire (before any cut). */
static uint64_t size_of(const EcEvent *ev)
{
	return ev->truncated && ev->orig_length ? ev->orig_length : ev->length;
}

/* The facts of one finished (or never answered) exchange. */
struct line {
	uint64_t id;
	int64_t ts, pid;
	const char *proto; /* "http", "postgresql"... */
	const char *host, *comm, *method, *authority, *path, *summary;
	uint32_t status;
	int answered, failed;
	uint64_t req_bytes, resp_bytes;
	int have_req, have_first, have_last;
	int64_t first, last;
};

static int is_http(const struct line *l)
{
	return !strcmp(l->proto, "http");
}

/* Failed: no answer, an HTTP status of 400 or more, or a failure the decoder saw. */
static int failed(const struct line *l)
{
	return !l->answered || l->failed || (is_http(l) && l->status >= 400);
}

static int wanted(const struct ec_exchlog *x, const struct line *l)
{
	int64_t total = l->have_last ? l->last : l->first;
	if (x->o.slow_ns && l->answered && total < x->o.slow_ns)
		return 0; /* (an exchange with no answer never finished: it is slow) */
	if (!x->o.statuses && !x->o.ncodes)
		return 1;
	if (!l->answered)
		return x->o.statuses & 1;
	if ((x->o.statuses & EC_EXCHLOG_FAILED) && failed(l))
		return 1;
	if (!is_http(l))
		return 0; /* status classes and codes are HTTP's */
	if (x->o.statuses & (1u << (l->status / 100)) & 0x3e)
		return 1;
	for (int i = 0; i < x->o.ncodes; i++)
		if (x->o.codes[i] == l->status)
			return 1;
	return 0;
}

static void text_str(FILE *f, const char *s)
{
	if (!s || !*s) {
		fputc('-', f);
		return;
	}
	ec_utf8_escape(f, (const uint8_t *)s, strlen(s), 0);
}

static void ms(FILE *f, int64_t ns, int have)
{
	if (have)
		fprintf(f, " %.3fms", (double)ns / 1e6);
	else
		fputs(" -", f);
}

static struct row *row_of(struct ec_exchlog *x, const char *proto, const char *host,
			  const char *path)
{
	/* a URL's query is not the path; a statement's '?' is a placeholder */
	size_t pl = !path ? 0 : !strcmp(proto, "http") ? strcspn(path, "?") : strlen(path);
	if (!host)
		host = "";
	for (size_t i = 0; i < x->nrows; i++)
		if (x->rows[i].proto == proto && !strcmp(x->rows[i].host, host) &&
		    strlen(x->rows[i].path) == pl &&
		    !strncmp(x->rows[i].path, path ? path : "", pl))
			return &x->rows[i];
	if (x->nrows >= MAX_ROWS) {
		/* one more row, "(other)", takes the rest */
		host = "(other)";
		proto = "-";
		pl = 0;
		for (size_t i = 0; i < x->nrows; i++)
			if (!strcmp(x->rows[i].host, host))
				return &x->rows[i];
	}
	if (x->nrows == x->caprows) {
		x->caprows = 2 * x->caprows + 2;
		x->rows = ec_xrealloc(x->rows, x->caprows * sizeof *x->rows);
	}
	struct row *r = &x->rows[x->nrows++];
	memset(r, 0, sizeof *r);
	r->proto = proto;
	r->host = ec_xstrdup(host);
	r->path = ec_xmalloc(pl + 1);
	memcpy(r->path, path ? path : "", pl);
	r->path[pl] = 0;
	return r;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static int cmp_row(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	int c = strcmp(x->proto, y->proto);
	if (!c)
		c = strcmp(x->host, y->host);
	return c ? c : strcmp(x->path, y->path);
}

/* Nearest rank: the smallest sample with at least p% at or below it. */
static int64_t pct(const struct row *r, int p)
{
	size_t k = (r->nlat * (size_t)p + 99) / 100;
	return r->lat[k ? k - 1 : 0];
}

static void stats_print(struct ec_exchlog *x)
{
	if (!x->nrows)
		return;
	char a[40], b[40];
	ec_fmt_time(x->win_start, a, sizeof a);
	ec_fmt_time(x->win_end, b, sizeof b);
	qsort(x->rows, x->nrows, sizeof *x->rows, cmp_row);
	if (!x->o.json)
		fprintf(x->out,
			"-- %" PRIu64 " exchanges from %s to %s\n%7s %7s %11s %11s %11s  %s\n",
			x->win_count, a, b, "count", "errors", "p50", "p90", "p99", "host path");
	for (size_t i = 0; i < x->nrows; i++) {
		struct row *r = &x->rows[i];
		if (r->nlat)
			qsort(r->lat, r->nlat, sizeof *r->lat, cmp_i64);
		if (x->o.json) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "from", a);
			cJSON_AddStringToObject(o, "to", b);
			if (strcmp(r->proto, "http") && strcmp(r->proto, "-"))
				cJSON_AddStringToObject(o, "protocol", r->proto);
			cJSON_AddStringToObject(o, "host", r->host);
			cJSON_AddStringToObject(o, "path", r->path);
			ec_format_json_num(o, "count", (int64_t)r->count);
			ec_format_json_num(o, "errors", (int64_t)r->errors);
			if (r->nlat) {
				ec_format_json_num(o, "p50_ns", pct(r, 50));
				ec_format_json_num(o, "p90_ns", pct(r, 90));
				ec_format_json_num(o, "p99_ns", pct(r, 99));
			}
			char *s = cJSON_PrintUnformatted(o);
			fprintf(x->out, "%s\n", s);
			free(s);
			cJSON_Delete(o);
		} else {
			fprintf(x->out, "%7" PRIu64 " %7" PRIu64, r->count, r->errors);
			for (int k = 0; k < 3; k++) {
				if (r->nlat)
					fprintf(x->out, " %9.3fms",
						(double)pct(r, k == 0	? 50
							       : k == 1 ? 90
									: 99) /
						    1e6);
				else
					fprintf(x->out, " %11s", "-");
			}
			fputs("  ", x->out);
			if (strcmp(r->proto, "http") && strcmp(r->proto, "-"))
				fprintf(x->out, "%s ", r->proto);
			text_str(x->out, r->host);
			fputc(' ', x->out);
			text_str(x->out, r->path);
			fputc('\n', x->out);
		}
		free(r->host);
		free(r->path);
		free(r->lat);
	}
	x->nrows = 0;
	x->win_count = 0;
}

static void stats_add(struct ec_exchlog *x, const struct line *l)
{
	if (x->o.every_ns && x->win_count && l->ts >= x->win_start + x->o.every_ns)
		stats_print(x);
	if (!x->win_count || l->ts < x->win_start)
		x->win_start = l->ts;
	if (l->ts > x->win_end || x->win_count == 0)
		x->win_end = l->ts;
	x->win_count++;
	struct row *r = row_of(x, l->proto, l->authority, l->path);
	r->count++;
	if (failed(l))
		r->errors++;
	if (!l->have_first)
		return;
	int64_t v = l->have_last ? l->last : l->first;
	r->seen++;
	if (r->nlat < MAX_SAMPLES) {
		if (r->nlat == r->caplat) {
			r->caplat = 2 * r->caplat + 2;
			r->lat = ec_xrealloc(r->lat, r->caplat * sizeof *r->lat);
		}
		r->lat[r->nlat++] = v;
		return;
	}
	/* reservoir sampling: each latency stays with the same chance */
	x->rng = x->rng * 6364136223846793005ull + 1442695040888963407ull;
	uint64_t k = (x->rng >> 11) % r->seen;
	if (k < MAX_SAMPLES)
		r->lat[k] = v;
}

/* The HAR entry of an exchange: e its request (NULL: not seen), resp its answer. */
static void har_out(struct ec_exchlog *x, const struct line *l, const struct open *e,
		    const EcEvent *resp)
{
	struct ec_har_exchange h = {
	    .ts = l->ts,
	    .pid = l->pid,
	    .comm = l->comm,
	    .server_ip = e	? e->server_ip
			 : resp ? resp->dst_ip
				: NULL,
	    .server_port = e	  ? e->server_port
			   : resp ? resp->dst_port
				  : 0,
	    .source = ec_record_source_name(e	   ? e->source
					    : resp ? (int)resp->source
						   : 0),
	    .conn_id = e      ? e->conn_id
		       : resp ? resp->conn_id
			      : 0,
	    .exchange_id = l->id,
	    .authority = l->authority,
	    .method = l->method,
	    .path = l->path,
	    .req = e ? e->req : NULL,
	    .req_len = e ? e->req_len : 0,
	    .resp = e && e->resp ? e->resp
		    : resp	 ? resp->payload.data
				 : NULL,
	    .resp_len = e && e->resp ? e->resp_len
			: resp	     ? resp->payload.len
				     : 0,
	    .first_ns = l->first,
	    .last_ns = l->last,
	    .have_latency = l->have_first,
	};
	ec_har_entry(x->har, &h);
}

/*
 * An exchange ended (resp its answer, NULL when it never came; e its
 * request, NULL when not seen): through the filters once, then to the HAR,
 * the lines or the tables.
 */
static void out(struct ec_exchlog *x, const struct line *l, const struct open *e,
		const EcEvent *resp)
{
	if (!wanted(x, l))
		return;
	/* (a response whose request came before the capture names no URL: not an entry) */
	if (x->har && is_http(l) && (l->method || !resp))
		har_out(x, l, e, resp);
	if (x->o.quiet)
		return;
	if (x->o.stats) {
		stats_add(x, l);
		return;
	}
	char t[40];
	ec_fmt_time(l->ts, t, sizeof t);
	if (x->o.json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "time", t);
		ec_format_json_num(o, "timestamp", l->ts);
		if (l->host && *l->host)
			cJSON_AddStringToObject(o, "host", l->host);
		if (!is_http(l))
			cJSON_AddStringToObject(o, "protocol", l->proto);
		ec_format_json_num(o, "pid", l->pid);
		cJSON_AddStringToObject(o, "comm", l->comm ? l->comm : "");
		if (l->id)
			ec_format_json_num(o, "exchange_id", (int64_t)l->id);
		if (l->method)
			cJSON_AddStringToObject(o, "method", l->method);
		if (l->authority)
			cJSON_AddStringToObject(o, "authority", l->authority);
		if (l->path)
			cJSON_AddStringToObject(o, "path", l->path);
		if (l->status)
			cJSON_AddNumberToObject(o, "status", l->status);
		if (l->summary && *l->summary)
			cJSON_AddStringToObject(o, "summary", l->summary);
		if (!is_http(l) && l->answered)
			cJSON_AddBoolToObject(o, "failed", l->failed);
		if (l->have_req)
			ec_format_json_num(o, "request_bytes", (int64_t)l->req_bytes);
		if (l->answered)
			ec_format_json_num(o, "response_bytes", (int64_t)l->resp_bytes);
		if (l->have_first)
			ec_format_json_num(o, "latency_first_ns", l->first);
		if (l->have_last)
			ec_format_json_num(o, "latency_last_ns", l->last);
		char *s = cJSON_PrintUnformatted(o);
		fprintf(x->out, "%s\n", s);
		free(s);
		cJSON_Delete(o);
		return;
	}
	fprintf(x->out, "%s ", t);
	if (l->host && *l->host) {
		text_str(x->out, l->host);
		fputc(' ', x->out);
	}
	text_str(x->out, l->comm);
	fprintf(x->out, "(%" PRId64 ") ", l->pid);
	if (is_http(l)) {
		text_str(x->out, l->method);
		fputc(' ', x->out);
		text_str(x->out, l->authority);
		fputc(' ', x->out);
		text_str(x->out, l->path);
		if (l->status)
			fprintf(x->out, " %u", l->status);
		else
			fputs(" -", x->out);
	} else {
		/* "postgresql alice@shop SELECT * FROM items -> 3 rows" */
		fprintf(x->out, "%s ", l->proto);
		text_str(x->out, l->authority);
		fputc(' ', x->out);
		text_str(x->out, l->path);
		fputs(" -> ", x->out);
		text_str(x->out, l->answered ? l->summary : NULL);
	}
	if (l->have_req)
		fprintf(x->out, " %" PRIu64, l->req_bytes);
	else
		fputs(" -", x->out);
	if (l->answered)
		fprintf(x->out, " %" PRIu64, l->resp_bytes);
	else
		fputs(" -", x->out);
	ms(x->out, l->first, l->have_first);
	ms(x->out, l->last, l->have_last);
	fputc('\n', x->out);
}

static void request(struct ec_exchlog *x, const EcEvent *ev, const char *host, uint64_t key)
{
	for (unsigned i = 0; i < 64 && i < x->nearly; i++)
		if (x->early[i] == key)
			return;
	if (x->n >= MAX_OPEN) {
		x->not_kept++;
		return;
	}
	if (2 * (x->n + 1) > x->cap)
		grow(x);
	size_t i = slot(x, key);
	struct open *e = &x->tab[i];
	if (!e->key) {
		e->key = key;
		e->id = ev->exchange_id;
		e->host = dup_or_null(host);
		e->ts = ev->timestamp;
		e->pid = ev->pid;
		e->comm = dup_or_null(ev->pname);
		if (x->har) {
			e->server_ip = dup_or_null(ev->dst_ip);
			e->server_port = ev->dst_port;
			e->conn_id = ev->conn_id;
			e->source = ev->source;
		}
		/* from the head only: a body line is not a header */
		const uint8_t *p = ev->payload.data, *end = NULL;
		size_t n = ev->payload.len;
		if (n && (end = memmem(p, n, "\r\n\r\n", 4)))
			n = (size_t)(end - p);
		e->type = ev->type;
		if (*ev->method || *ev->path) {
			/* past HTTP the request carries its facts */
			e->method = dup_or_null(ev->method);
			e->authority = dup_or_null(ev->authority);
			e->path = dup_or_null(ev->path);
		} else {
			ec_parse_request_facts(p, n, &e->method, &e->authority, &e->path);
		}
		x->n++;
	}
	e->req_bytes += size_of(ev);
	if (x->har)
		append(&e->req, &e->req_len, ev->payload.data, ev->payload.len);
}

static void response(struct ec_exchlog *x, const EcEvent *ev, const char *host, uint64_t key)
{
	struct open *e = NULL;
	size_t i = 0;
	if (ev->exchange_id) {
		i = slot(x, key);
		e = x->tab[i].key ? &x->tab[i] : NULL;
	}
	const char *proto = ec_record_type_proto(ev->type);
	/* a 1xx other than 101 is not the answer */
	if (!strcmp(proto, "http") && ev->status && ev->status < 200 && ev->status != 101)
		return;
	if (ev->more_parts) {
		if (e) {
			e->resp_bytes += size_of(ev);
			if (x->har)
				append(&e->resp, &e->resp_len, ev->payload.data, ev->payload.len);
		}
		return;
	}
	if (e && e->resp && x->har)
		append(&e->resp, &e->resp_len, ev->payload.data, ev->payload.len);
	struct line l = {
	    .id = ev->exchange_id,
	    .ts = e ? e->ts : ev->timestamp,
	    .pid = ev->pid,
	    .proto = proto,
	    .answered = 1,
	    .failed = ev->failed,
	    .summary = ev->summary,
	    .host = host,
	    .comm = ev->pname,
	    .method = *ev->method ? ev->method
		      : e	  ? e->method
				  : NULL,
	    .authority = *ev->authority ? ev->authority
			 : e		? e->authority
					: NULL,
	    .path = *ev->path ? ev->path
		    : e	      ? e->path
			      : NULL,
	    .status = ev->status,
	    .req_bytes = e ? e->req_bytes : 0,
	    .resp_bytes = (e ? e->resp_bytes : 0) + size_of(ev),
	    .have_req = e != NULL,
	    .have_first = ev->exchange_id != 0,
	    .first = ev->latency_first_ns,
	    .have_last = ev->latency_last_ns != 0,
	    .last = ev->latency_last_ns,
	};
	out(x, &l, e, ev);
	if (e)
		drop(x, i);
	else if (ev->exchange_id)
		x->early[x->nearly++ % 64] = key;
}

void ec_exchlog_record(struct ec_exchlog *x, const EcLogEntry *e)
{
	if (e->payload_case != EVENT__LOG_ENTRY__PAYLOAD_EVENT_PAYLOAD)
		return;
	const EcEvent *ev = e->event_payload;
	uint64_t key = key_of(ev->exchange_id, e->host);
	enum ec_role role = ec_record_type_role(ev->type);
	if (role == EC_ROLE_REQUEST && ev->exchange_id)
		request(x, ev, e->host, key);
	else if (role == EC_ROLE_RESPONSE && (ev->exchange_id || ev->status))
		response(x, ev, e->host, key);
}

static int by_id(const void *a, const void *b)
{
	const struct open *x = a, *y = b;
	return (x->id > y->id) - (x->id < y->id);
}

int ec_exchlog_finish(struct ec_exchlog *x)
{
	/* requests never answered, in the order they were made */
	size_t k = 0;
	for (size_t i = 0; i < x->cap; i++)
		if (x->tab[i].key)
			x->tab[k++] = x->tab[i];
	qsort(x->tab, k, sizeof *x->tab, by_id);
	for (size_t i = 0; i < k; i++) {
		struct open *e = &x->tab[i];
		struct line l = {.id = e->id,
				 .ts = e->ts,
				 .pid = e->pid,
				 .proto = ec_record_type_proto(e->type),
				 .host = e->host,
				 .comm = e->comm,
				 .method = e->method,
				 .authority = e->authority,
				 .path = e->path,
				 .req_bytes = e->req_bytes,
				 .have_req = 1};
		out(x, &l, e, NULL);
		open_free(e);
	}
	if (x->o.stats)
		stats_print(x);
	if (x->not_kept)
		ec_warn("%" PRIu64 " requests were not kept: over %u awaited an answer at once",
			x->not_kept, MAX_OPEN);
	int rc = x->har ? ec_har_close(x->har) : 0;
	free(x->rows);
	free(x->tab);
	free(x);
	return rc;
}
