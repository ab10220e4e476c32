// SPDX-License-Identifier: GPL-2.0-only
/*
 * ec-forward: replay the HTTP requests of an ec-parse stream through an
 * intercepting proxy (Burp, mitmproxy, ZAP) or to a target, with libcurl.
 * Results become process-log records on stdout; a summary goes to stderr.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "error.h"
#include "forward.h"
#include "record.h"
#include "replay.h"
#include "opt.h"
#include "stream.h"
#include "utf8.h"
#include "util.h"

struct state {
	pthread_mutex_t mu;
	struct ec_writer *w; /* NULL when results go out as text */
	int werr;	     /* first write error */
	uint64_t answered, failed, sent;
};

static void emit(struct state *st, const char *level, const char *line)
{
	pthread_mutex_lock(&st->mu);
	if (!st->w) {
		/* a terminal: the URL is captured text */
		ec_utf8_escape(stdout, (const uint8_t *)line, strlen(line), EC_UTF8_ESC_PAYLOAD);
		putchar('\n');
		fflush(stdout);
	} else if (!st->werr) {
		int err = ec_record_log(st->w, level, "%s", line);
		if (!err)
			err = ec_writer_flush(st->w);
		if (err)
			st->werr = err;
	}
	pthread_mutex_unlock(&st->mu);
}

/* The input went quiet: --tee's copy and --dry-run's text go out now. */
static int flush_out(void *arg)
{
	struct state *st = arg;
	pthread_mutex_lock(&st->mu);
	if (st->w && !st->werr)
		st->werr = ec_writer_flush(st->w);
	int err = st->werr;
	pthread_mutex_unlock(&st->mu);
	if (!st->w)
		fflush(stdout);
	return err;
}

static void done(const struct ec_replay_result *res, void *arg)
{
	struct state *st = arg;
	char line[2048];
	if (res->ok)
		snprintf(line, sizeof line,
			 "ec-forward: record %llu %s %s -> %ld HTTP/%s, %llu bytes in %.3f s",
			 (unsigned long long)res->id, res->req->method, res->url, res->status,
			 res->http, (unsigned long long)res->bytes, res->secs);
	else
		snprintf(line, sizeof line,
			 "ec-forward: record %llu %s %s failed: %s (curl error %d) after %.3f s",
			 (unsigned long long)res->id, res->req->method, res->url, res->error,
			 res->curl_code, res->secs);
	pthread_mutex_lock(&st->mu);
	if (res->ok)
		st->answered++;
	else
		st->failed++;
	pthread_mutex_unlock(&st->mu);
	emit(st, res->ok ? EC_LOG_INFO : EC_LOG_WARN, line);
}

enum {
	O_PLAIN = 256,
	O_KEEPHOST,
	O_TIMEOUT,
	O_RATE,
	O_METHOD,
	O_HOST,
	O_PATH,
	O_CTYPE,
	O_PID,
	O_PNAME,
	O_TEE,
};

static const struct ec_opt opts[] = {
    {"proxy", 'p', "URL", "send through this HTTP proxy (https requests use CONNECT)"},
    {"target", 't', "URL",
     "send to URL's scheme and host:port (and path prefix)\ninstead of the captured Host / "
     ":authority"},
    {"plain", O_PLAIN, NULL, "send http:// (the proxy sees absolute-form requests)"},
    {"insecure", 'k', NULL, "do not verify TLS certificates (target and proxy)"},
    {"keep-host", O_KEEPHOST, NULL, "with --target, send the captured Host header"},
    {"concurrency", 'c', "N", "requests in flight (default 4)"},
    {"timeout", O_TIMEOUT, "SECS", "per request, 0 = none (default 30)"},
    {"rate", O_RATE, "N[/s]", "start at most N requests per second"},
    {"dry-run", 'n', NULL, "print each request as curl would send it; send nothing"},
    {"tee", O_TEE, NULL, "copy every input record to stdout too"},
    {NULL, 0, NULL, NULL},
};

static const struct ec_opt filter_opts[] = {
    {"method", O_METHOD, "M[,M..]", "request method(s)"},
    {"host", O_HOST, "GLOB", "host or host:port (fnmatch, case-insensitive)"},
    {"path", O_PATH, "GLOB", "path with query (fnmatch; * matches /)"},
    {"content-type", O_CTYPE, "GLOB", "request media type, e.g. 'application/*'"},
    {"pid", O_PID, "N", "process id"},
    {"pname", O_PNAME, "GLOB", "process name"},
    {NULL, 0, NULL, NULL},
};

struct args {
	struct ec_replay_opts ro;
	struct ec_forward_filter f;
	int dry, tee;
};

static int real(const char *s, const char *suffix, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || v < 0 || v > 1e9 || (*end && strcmp(end, suffix))) {
		ec_warn("%s: '%s' is not a non-negative number%s%s", ec_opt_current(), s,
			*suffix ? " (optionally followed by " : "", *suffix ? "/s)" : "");
		return 2;
	}
	*out = v;
	return 0;
}

static int option(void *ctx, int key, const char *arg)
{
	struct args *a = ctx;
	long long v;
	double d;
	switch (key) {
	case 'p':
		a->ro.proxy = arg;
		return 0;
	case 't':
		a->ro.target = arg;
		return 0;
	case O_PLAIN:
		a->ro.plain = 1;
		return 0;
	case 'k':
		a->ro.insecure = 1;
		return 0;
	case O_KEEPHOST:
		a->ro.keep_host = 1;
		return 0;
	case 'c':
		if (ec_opt_int(arg, 1, 1024, "a number in [1, 1024]", &v))
			return 2;
		a->ro.concurrency = (unsigned)v;
		return 0;
	case O_TIMEOUT:
		if (real(arg, "", &d))
			return 2;
		a->ro.timeout_ms = (long)(d * 1000);
		return 0;
	case O_RATE:
		return real(arg, "/s", &a->ro.rate);
	case 'n':
		a->dry = 1;
		return 0;
	case O_TEE:
		a->tee = 1;
		return 0;
	}
	return 2;
}

static int filter_option(void *ctx, int key, const char *arg)
{
	struct ec_forward_filter *f = &((struct args *)ctx)->f;
	long long v;
	switch (key) {
	case O_METHOD:
		f->methods = arg;
		return 0;
	case O_HOST:
		f->host = arg;
		return 0;
	case O_PATH:
		f->path = arg;
		return 0;
	case O_CTYPE:
		f->content_type = arg;
		return 0;
	case O_PID:
		if (ec_opt_int(arg, 1, INT64_MAX, "a process id (a number > 0)", &v))
			return 2;
		f->pid = v;
		return 0;
	default: /* O_PNAME */
		f->pname = arg;
		return 0;
	}
}

static double cpu_secs(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int main(int argc, char **argv)
{
	ec_init(argv[0]);
	struct args a = {.ro = {.concurrency = 4, .timeout_ms = 30000}};
	struct ec_opt_group groups[] = {
	    {NULL, opts, option, &a}, {"filters (all must match)", filter_opts, filter_option, &a}};
	struct ec_opt_spec spec = {
	    .usage = "[--proxy URL | --target URL] [options] < parsed.pb > results.pb",
	    .what = "replay captured HTTP requests through a proxy or to a target",
	    .examples =
		(const char *const[]){
		    "ec-parse < day.pb | ec-forward --proxy http://127.0.0.1:8080 --insecure | "
		    "ec-dump",
		    "ec-parse < day.pb | ec-forward --dry-run --host '*.example.com'", NULL},
	    .about =
		"Replays every HTTP request (types 1 and 2) of an ec-parse stream with libcurl.",
	    .footer =
		"Headers are replayed as captured, COOKIES AND AUTHORIZATION INCLUDED; hop-by-hop\n"
		"headers (Connection and those it names, Keep-Alive, Proxy-*, TE, Trailer,\n"
		"Transfer-Encoding, Upgrade), HTTP/2 pseudo-headers, Content-Length and Expect "
		"are\n"
		"dropped (curl writes its own Host and Content-Length). Responses are not "
		"replayed,\n"
		"WebSocket frames are counted and skipped. Each result (status, time, error) is a\n"
		"process-log record on stdout (read it with ec-dump; text on a terminal). A "
		"failed\n"
		"replay never stops the stream; the exit status is 1 if any failed, 2 on bad "
		"usage.\n"
		"Proxy environment variables are ignored: use --proxy.",
	    .groups = groups,
	    .ngroups = 2,
	};
	int rc = ec_opt_parse(&spec, argc, argv, NULL);
	if (rc)
		return rc == EC_OPT_HELP ? 0 : rc;
	struct ec_replay_opts ro = a.ro;
	struct ec_forward_filter f = a.f;
	int dry = a.dry, tee = a.tee;
	if (dry && tee)
		ec_die(2, "--dry-run prints text; it cannot be combined with --tee");
	if (tee && isatty(1))
		ec_die(2, "--tee writes binary records; pipe stdout into ec-dump or a file");
	if (ro.plain && ro.target && !strncasecmp(ro.target, "https:", 6))
		ec_die(2, "--plain sends http://, but --target is https://; drop one");

	struct state st = {.mu = PTHREAD_MUTEX_INITIALIZER};
	struct ec_replay *rp = NULL;
	char msg[512];
	if (!dry) {
		if (!isatty(1))
			st.w = ec_writer_new(1);
		rp = ec_replay_new(&ro, done, &st, msg, sizeof msg);
		if (!rp)
			ec_die(2, "%s", msg);
	}
	struct ec_reader *rd = ec_reader_new(0, "stdin", 0);
	if (!rd)
		ec_die(1, "out of memory");
	ec_reader_on_idle(rd, flush_out, &st);
	struct ec_decoder *dec = ec_decoder_new();
	uint64_t requests = 0, filtered = 0, unreplayable = 0, bad = 0, responses = 0, ws = 0;
	int64_t t0 = ec_now_ns();
	double cpu0 = cpu_secs();
	int rerr = 0;
	const uint8_t *buf;
	size_t len;
	for (;;) {
		pthread_mutex_lock(&st.mu);
		int werr = st.werr;
		pthread_mutex_unlock(&st.mu);
		if (werr)
			break;
		int k = ec_reader_next(rd, &buf, &len);
		if (k <= 0) {
			pthread_mutex_lock(&st.mu);
			if (k == 0 || k != st.werr) /* else the flush failed, reported below */
				rerr = k;
			pthread_mutex_unlock(&st.mu);
			break;
		}
		uint64_t idx = ec_reader_index(rd);
		if (tee) {
			pthread_mutex_lock(&st.mu);
			if (!st.werr)
				st.werr = ec_writer_put_raw(st.w, buf, len);
			pthread_mutex_unlock(&st.mu);
		}
		EcLogEntry *e = ec_decoder_decode(dec, buf, len);
		if (!e) {
			rerr = EC_ERR_DECODE;
			break;
		}
		const EcEvent *ev = e->payload_case == EVENT__LOG_ENTRY__PAYLOAD_EVENT_PAYLOAD
					? e->event_payload
					: NULL;
		if (!ev || (ev->type != 1 && ev->type != 2)) {
			if (ev && (ev->type == 3 || ev->type == 4))
				responses++;
			else if (ev && ev->type == 5)
				ws++;
			continue;
		}
		if (ev->part > 1)
			continue; /* the rest of a request sent in parts: counted at its first */
		requests++;
		struct ec_forward_request r;
		char why[512], line[1024];
		int err =
		    ev->part ? EC_ERR_UNSUPPORTED : ec_forward_from_event(&r, ev, why, sizeof why);
		if (ev->part)
			snprintf(why, sizeof why,
				 "its body came in parts (still open on a live capture); replay it "
				 "from the saved capture, parsed whole");
		if (err) {
			snprintf(line, sizeof line,
				 "ec-forward: record %llu (offset %llu, type %u): %s request: %s",
				 (unsigned long long)idx, (unsigned long long)ec_reader_offset(rd),
				 ev->type,
				 err == EC_ERR_UNSUPPORTED ? "not replaying the"
							   : "cannot rebuild the",
				 why);
			if (err == EC_ERR_UNSUPPORTED) {
				unreplayable++;
			} else {
				bad++;
				ec_warn("%s", line + strlen("ec-forward: "));
			}
			if (!dry)
				emit(&st, EC_LOG_WARN, line);
			continue;
		}
		if (!ec_forward_match(&f, ev, &r)) {
			filtered++;
			ec_forward_request_free(&r);
			continue;
		}
		if (dry) {
			char *url = ec_forward_url(&r, ro.target, ro.plain, why, sizeof why);
			if (!url)
				ec_die(2, "%s", why);
			printf("* record %llu: pid %lld ", (unsigned long long)idx,
			       (long long)ev->pid);
			if (ev->pname)
				ec_utf8_escape(stdout, (const uint8_t *)ev->pname,
					       strlen(ev->pname), 0);
			printf(", conn %llu, %s from %s\n* %s ", (unsigned long long)ev->conn_id,
			       ev->type == 2 ? "HTTP/2" : "HTTP/1", r.from, r.method);
			ec_utf8_escape(stdout, (const uint8_t *)url, strlen(url),
				       EC_UTF8_ESC_PAYLOAD);
			printf("%s%s\n", ro.proxy ? " via " : "", ro.proxy ? ro.proxy : "");
			ec_forward_print(stdout, &r, url, ro.keep_host && ro.target);
			putchar('\n');
			free(url);
			ec_forward_request_free(&r);
			st.sent++;
		} else if (ec_replay_submit(rp, &r, idx, NULL, why, sizeof why)) {
			ec_die(2, "%s", why);
		} else {
			st.sent++;
		}
	}
	ec_decoder_free(dec);
	if (rp)
		ec_replay_finish(rp);
	double secs = (double)(ec_now_ns() - t0) / 1e9, cpu = cpu_secs() - cpu0;
	int status = 0;
	if (rerr < 0) {
		ec_reader_errmsg(rd, rerr, msg, sizeof msg);
		ec_warn("%s", msg);
		status = 1;
	}
	if (st.w) {
		int err = ec_writer_free(st.w);
		if (!st.werr)
			st.werr = err;
	}
	if (st.werr && st.werr != EC_ERR_PIPE) {
		ec_warn("writing results to stdout: %s", ec_strerror(st.werr));
		status = 1;
	}
	if (dry)
		fprintf(stderr,
			"ec-forward: dry run: %llu of %llu requests printed, %llu filtered out, "
			"%llu not replayable, %llu unparsable; %llu responses, %llu WebSocket "
			"frames skipped\n",
			(unsigned long long)st.sent, (unsigned long long)requests,
			(unsigned long long)filtered, (unsigned long long)unreplayable,
			(unsigned long long)bad, (unsigned long long)responses,
			(unsigned long long)ws);
	else
		fprintf(stderr,
			"ec-forward: %llu of %llu requests replayed: %llu answered, %llu failed; "
			"%llu filtered out, %llu not replayable, %llu unparsable; %llu responses, "
			"%llu WebSocket frames skipped; %.1f req/s, %.0f us CPU/request\n",
			(unsigned long long)st.sent, (unsigned long long)requests,
			(unsigned long long)st.answered, (unsigned long long)st.failed,
			(unsigned long long)filtered, (unsigned long long)unreplayable,
			(unsigned long long)bad, (unsigned long long)responses,
			(unsigned long long)ws, secs > 0 ? (double)st.sent / secs : 0.0,
			st.sent ? cpu * 1e6 / (double)st.sent : 0.0);
	ec_replay_free(rp);
	ec_reader_free(rd);
	if (st.failed || bad)
		status = 1;
	return status;
}
