// SPDX-License-Identifier: GPL-2.0-only
/* ec-dump: print a record stream as text, hex or JSON. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "exchlog.h"
#include "format.h"
#include "opt.h"
#include "record.h"
#include "stream.h"
#include "synth.h"
#include "util.h"

static struct {
	unsigned fmt_flags;
	int json, events_only, keep_going;
	long long pid;
	int type, source;
	size_t max_record;
	uint64_t skipped_bytes, skipped_regions, records;
	const char *pcapng, *keylog;
	struct ec_synth *synth; /* --pcapng / --keylog output instead of text */
	int exchanges, filters; /* --exchanges or --stats; --slow, --status, --every given */
	const char *har;
	struct ec_exchlog_opts xo;
	struct ec_exchlog *xlog;
} opt = {.pid = -1, .type = -1, .source = -1, .max_record = EC_STREAM_MAX_DEFAULT};

enum {
	OPT_PID = 256,
	OPT_TYPE,
	OPT_SOURCE,
	OPT_KEEP,
	OPT_MAX,
	OPT_PCAPNG,
	OPT_KEYLOG,
	OPT_RAW,
	OPT_EXCH,
	OPT_STATS,
	OPT_EVERY,
	OPT_SLOW,
	OPT_STATUS,
	OPT_HAR,
};

static const struct ec_opt opts[] = {
    {"hex", 'x', NULL, "hex dumps of every payload (binary ones always)"},
    {"json", 'j', NULL, "one JSON object per line"},
    {"raw", OPT_RAW, NULL, "control and non-UTF-8 bytes as captured, not \\xNN"},
    {"events-only", 'e', NULL, "events only: no logs, heartbeats or key logs"},
    {"pid", OPT_PID, "PID", "only this process's events"},
    {"type", OPT_TYPE, "TYPE",
     "only this type: 0-15 or unknown, http1-request,\nhttp2-request, http1-response, "
     "http2-response, websocket,\ngrpc-, pgsql-, mysql-, redis- + request|response,\n"
     "dns-query, dns-response"},
    {"source", OPT_SOURCE, "SRC",
     "only this probe: openssl, boringssl, gotls, gnutls,\nnss, bash, zsh, mysqld, postgres, "
     "packet, libtls, sock"},
    {"keep-going", OPT_KEEP, NULL, "skip undecodable bytes to the next record (exit 1\nif any)"},
    {"max-record", OPT_MAX, "SIZE", "longest input record accepted (16M)"},
    {"pcapng", OPT_PCAPNG, "OUT",
     "pcapng instead of text ('-' is stdout): events become\nTCP packets, key-log records a "
     "Decryption Secrets Block\n(docs/PCAPNG.md)"},
    {"keylog", OPT_KEYLOG, "OUT", "the key-log records as an NSS key log file"},
    {NULL, 0, NULL, NULL},
};

static const struct ec_opt xopts[] = {
    {"exchanges", OPT_EXCH, NULL,
     "one line per exchange ec-parse paired: time, comm(pid),\nmethod, host, path, status, "
     "request and response\nbytes, latency to the first and the last byte\n(past HTTP: "
     "protocol, database, statement -> outcome)"},
    {"stats", OPT_STATS, NULL,
     "per host and path: count, errors (4xx, 5xx, no\nanswer, failed), p50/p90/p99 latency"},
    {"every", OPT_EVERY, "SECONDS", "--stats: a table per SECONDS of capture time"},
    {"slow", OPT_SLOW, "MS",
     "only exchanges that took MS milliseconds or more\n(or got no answer)"},
    {"status", OPT_STATUS, "LIST",
     "only these statuses: 4xx,5xx,404,none (no answer),\nerror (failed, any protocol)"},
    {"har", OPT_HAR, "OUT",
     "the exchanges as an HTTP Archive 1.2 ('-' is stdout),\nfor Chrome DevTools, HAR viewers, "
     "Postman, k6"},
    {NULL, 0, NULL, NULL},
};

static int option(void *ctx, int key, const char *arg)
{
	(void)ctx;
	switch (key) {
	case 'x':
		opt.fmt_flags |= EC_FMT_HEX;
		return 0;
	case 'j':
		opt.json = 1;
		return 0;
	case OPT_RAW:
		opt.fmt_flags |= EC_FMT_RAW;
		return 0;
	case 'e':
		opt.events_only = 1;
		return 0;
	case OPT_PID:
		return ec_opt_int(arg, 0, INT64_MAX, "a process id", &opt.pid);
	case OPT_TYPE:
		if ((opt.type = ec_record_type_parse(arg)) >= 0)
			return 0;
		ec_warn("--type: '%s' is not an event type (0-5 or a name; see --help)", arg);
		return 2;
	case OPT_SOURCE:
		if ((opt.source = ec_record_source_parse(arg)) >= 0)
			return 0;
		ec_warn("--source: unknown source '%s' (see --help)", arg);
		return 2;
	case OPT_KEEP:
		opt.keep_going = 1;
		return 0;
	case OPT_MAX:
		if (!ec_stream_parse_max(arg, &opt.max_record))
			return 0;
		ec_warn(EC_STREAM_MAX_USAGE, arg);
		return 2;
	case OPT_PCAPNG:
		opt.pcapng = arg;
		return 0;
	default: /* OPT_KEYLOG */
		opt.keylog = arg;
		return 0;
	}
}

/* A whole number of units (unit_ns each) in [min, max], as ns. */
static int duration(const char *arg, long long min, long long max, long long unit_ns,
		    const char *what, int64_t *out)
{
	long long v;
	if (ec_opt_int(arg, min, max, what, &v))
		return 2;
	*out = v * unit_ns;
	return 0;
}

static int xoption(void *ctx, int key, const char *arg)
{
	(void)ctx;
	switch (key) {
	case OPT_EXCH:
		opt.exchanges = 1;
		return 0;
	case OPT_STATS:
		opt.exchanges = 1;
		opt.xo.stats = 1;
		return 0;
	case OPT_EVERY:
		opt.filters = 1;
		return duration(arg, 1, 86400, 1000000000ll, "a number of seconds (1-86400)",
				&opt.xo.every_ns);
	case OPT_SLOW:
		opt.filters = 1;
		return duration(arg, 0, 86400000, 1000000ll, "milliseconds (0-86400000)",
				&opt.xo.slow_ns);
	case OPT_HAR:
		opt.har = arg;
		return 0;
	default: /* OPT_STATUS */
		opt.filters = 1;
		if (!ec_exchlog_statuses(arg, &opt.xo))
			return 0;
		ec_warn("--status: '%s' is not a list of statuses (like 4xx,5xx,404,none,error; at "
			"most "
			"16 codes)",
			arg);
		return 2;
	}
}

static int selected(const EcLogEntry *e)
{
	if (e->payload_case != EVENT__LOG_ENTRY__PAYLOAD_EVENT_PAYLOAD)
		return !opt.events_only && opt.pid < 0 && opt.type < 0 && opt.source < 0;
	const EcEvent *ev = e->event_payload;
	return (opt.pid < 0 || ev->pid == opt.pid) && (opt.type < 0 || (int)ev->type == opt.type) &&
	       (opt.source < 0 || (int)ev->source == opt.source);
}

/* Output errors: EPIPE is a normal end (like head closing the pipe). */
static void check_out(void)
{
	if (!ferror(stdout))
		return;
	if (errno == EPIPE)
		exit(0);
	ec_die(1, "write to stdout: %s", strerror(errno));
}

static void synth_fail(int err) __attribute__((noreturn));
static void synth_fail(int err)
{
	if (err == EC_ERR_PIPE)
		exit(0);
	ec_die(1, "writing %s: %s", opt.pcapng ? opt.pcapng : opt.keylog,
	       err == EC_ERR_IO ? strerror(errno) : ec_strerror(err));
}

static void synth_record(const EcLogEntry *e)
{
	int err = ec_synth_record(opt.synth, e);
	if (err)
		synth_fail(err);
}

/* The input went quiet: what is buffered goes out now (pcapng: once due). */
static int flush_out(void *arg)
{
	(void)arg;
	if (!opt.synth) {
		fflush(stdout);
		check_out();
		return 0;
	}
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	int64_t next;
	int err = ec_synth_idle(opt.synth, (int64_t)now.tv_sec * 1000000000 + now.tv_nsec, &next);
	if (err)
		synth_fail(err);
	return next > 0 ? (int)((next + 999999) / 1000000) : 0;
}

static int dump(int fd, const char *name)
{
	struct ec_reader *r = ec_reader_new(fd, name, opt.max_record);
	if (!r)
		ec_die(1, "out of memory");
	ec_reader_on_idle(r, flush_out, NULL);
	ec_reader_set_hints(r, EC_READER_HINT_MAX_RECORD | EC_READER_HINT_KEEP_GOING);
	struct ec_decoder *dec = ec_decoder_new();
	int status = 0;
	for (;;) {
		const uint8_t *buf;
		size_t len;
		int rc = ec_reader_next(r, &buf, &len);
		if (rc == 0)
			break;
		EcLogEntry *e = NULL;
		struct ec_record_strs strs, *raw = NULL;
		if (rc > 0) {
			/* the strings as on the wire: a NUL in one must not cut what is shown */
			raw = ec_record_strs(buf, len, &strs) ? NULL : &strs;
			e = ec_decoder_decode(dec, buf, len);
			if (!e)
				rc = EC_ERR_DECODE;
		}
		if (rc < 0) {
			char msg[512];
			ec_reader_errmsg(r, rc, msg, sizeof msg);
			fflush(stdout);
			ec_warn("%s", msg);
			if (!opt.keep_going || rc == EC_ERR_IO || rc == EC_ERR_NOMEM) {
				status = 1;
				break;
			}
			opt.skipped_bytes += ec_reader_resync(r);
			opt.skipped_regions++;
			continue;
		}
		opt.records++;
		if (opt.synth) {
			ec_synth_arrival(opt.synth, ec_reader_arrival(r));
			/* keys always pass the filters: later packets may need them */
			if (selected(e) || e->record_kind == EVENT__RECORD_KIND__RECORD_KIND_KEYLOG)
				synth_record(e);
		} else if (opt.xlog) {
			if (selected(e))
				ec_exchlog_record(opt.xlog, e);
		} else if (selected(e)) {
			if (opt.json)
				ec_format_json(stdout, e, raw);
			else
				ec_format_text(stdout, e, raw, opt.fmt_flags);
			check_out();
		}
	}
	ec_decoder_free(dec);
	ec_reader_free(r);
	return status;
}

int main(int argc, char **argv)
{
	ec_init(argv[0]);
	struct ec_opt_group groups[] = {
	    {NULL, opts, option, NULL},
	    {"exchanges (records ec-parse paired)", xopts, xoption, NULL}};
	struct ec_opt_spec spec = {
	    .usage = "[options] [FILE...]",
	    .what = "print ec records as text, hex dumps, JSON, pcapng or a key log",
	    .examples =
		(const char *const[]){
		    "ec-dump day.pb                  # text, safe on a terminal",
		    "ec-dump --raw day.pb > raw.txt  # names and payloads as captured",
		    "ec-dump --json day.pb | jq .    # one JSON object per record, always UTF-8",
		    "ec-dump --pcapng out.pcapng --keylog keys.log day.pb",
		    "sudo ec-capture tls | ec-parse | ec-dump --exchanges                 # live, "
		    "an "
		    "access log",
		    "ec-parse < day.pb | ec-dump --stats --every 10                       # per "
		    "host "
		    "and path",
		    NULL},
	    .about =
		"Print ec records (stdin, or each FILE; '-' is stdin) as text like eCapture's,\n"
		"hex dumps (--hex; binary payloads always), or one JSON object per line (--json).\n"
		"Text is terminal-safe: control characters and bytes that are not UTF-8, in\n"
		"names, notes, logs and payloads, show as \\xNN. --raw writes them as captured\n"
		"(binary payloads too, unless --hex). JSON lines are always UTF-8: a string\n"
		"that is not has U+FFFD in it and its bytes in base64 as FIELD_raw.\n"
		"Filters (--pid, --type, --source) apply to events.",
	    .groups = groups,
	    .ngroups = 2,
	    .operands = argc,
	};
	int optind, rc = ec_opt_parse(&spec, argc, argv, &optind);
	if (rc)
		return rc == EC_OPT_HELP ? 0 : rc;
	if (opt.filters && !opt.exchanges && !opt.har)
		ec_die(2, "--slow, --status and --every go with --exchanges, --stats or --har");
	if (opt.har && !strcmp(opt.har, "-") && opt.exchanges)
		ec_die(2, "--har - writes the archive on stdout: not with --exchanges or --stats");
	if (opt.har && (opt.pcapng || opt.keylog))
		ec_die(2, "--har is one output, --pcapng and --keylog others: one at a time");
	if (opt.xo.every_ns && !opt.xo.stats)
		ec_die(2, "--every goes with --stats");
	if (opt.exchanges && (opt.pcapng || opt.keylog))
		ec_die(2,
		       "--exchanges and --stats print text or JSON: not with --pcapng or --keylog");
	if (opt.exchanges && (opt.fmt_flags & (EC_FMT_HEX | EC_FMT_RAW)))
		ec_die(2, "--hex and --raw are for records, not --exchanges or --stats");
	opt.xo.json = opt.json;
	static char obuf[1 << 20];
	setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
	char msg[512];
	if ((opt.pcapng || opt.keylog) &&
	    !(opt.synth = ec_synth_open(opt.pcapng, opt.keylog, msg, sizeof msg)))
		ec_die(1, "%s", msg);
	FILE *har = NULL;
	if (opt.har && !(har = strcmp(opt.har, "-") ? fopen(opt.har, "w") : stdout))
		ec_die(1, "%s: %s", opt.har, strerror(errno));
	if (opt.har) {
		opt.xo.har = har;
		opt.xo.quiet = !opt.exchanges;
		opt.exchanges = 1;
	}
	if (opt.exchanges)
		opt.xlog = ec_exchlog_new(stdout, &opt.xo);
	int status = 0;
	if (optind == argc) {
		status = dump(0, "stdin");
	} else {
		for (int i = optind; i < argc && !status; i++) {
			if (!strcmp(argv[i], "-")) {
				status = dump(0, "stdin");
				continue;
			}
			int fd = open(argv[i], O_RDONLY);
			if (fd < 0)
				ec_die(1, "%s: %s", argv[i], strerror(errno));
			status = dump(fd, argv[i]);
			close(fd);
		}
	}
	if (opt.xlog && ec_exchlog_finish(opt.xlog))
		ec_die(1, "writing %s: %s", opt.har, strerror(errno));
	if (har && har != stdout && fclose(har))
		ec_die(1, "writing %s: %s", opt.har, strerror(errno));
	if (opt.synth) {
		int err = ec_synth_close(opt.synth, msg, sizeof msg);
		if (err && err != EC_ERR_PIPE)
			ec_die(1, "writing %s: %s", opt.pcapng ? opt.pcapng : opt.keylog,
			       err == EC_ERR_IO ? strerror(errno) : ec_strerror(err));
		if (*msg)
			ec_warn("%s", msg);
	}
	fflush(stdout);
	check_out();
	if (opt.skipped_regions) {
		ec_warn("skipped %llu bad region(s), %llu bytes; %llu records read",
			(unsigned long long)opt.skipped_regions,
			(unsigned long long)opt.skipped_bytes, (unsigned long long)opt.records);
		status = 1;
	}
	return status;
}
