/* ec-parse: turn captured TLS fragments into typed protocol messages. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "parse.h"
#include "stream.h"
#include "util.h"

static void usage(int status) __attribute__((noreturn));
static void usage(int status)
{
	fprintf(
	    status ? stderr : stdout,
	    "usage: %s [--decode-body] [--max-body SIZE] [--max-buffer SIZE]\n"
	    "          [--idle-timeout SECONDS] [--max-conns N] [--max-record SIZE]\n"
	    "          [--part-after MS|off] [--keep-going] [--stats] [FILE...]\n"
	    "Reads an ec record stream (FILEs or stdin), writes it on stdout with captured\n"
	    "connection bytes turned into HTTP/1, HTTP/2 and WebSocket messages.\n"
	    "  --decode-body         inflate gzip/deflate bodies (bounded by --max-body)\n"
	    "  --max-body SIZE       body bytes kept per message, longer ones are cut (1M)\n"
	    "  --max-buffer SIZE     bytes buffered per direction waiting for a message\n"
	    "                        boundary; past it sync is given up (1M)\n"
	    "  --idle-timeout SECS   forget connections idle this long, stream time (60)\n"
	    "  --max-conns N         connections tracked at once, least recent evicted (16384)\n"
	    "  --max-record SIZE     longest input record accepted (16M)\n"
	    "  --part-after MS|off   live input (a pipe gone quiet): a message still open\n"
	    "                        MS ms after its bytes came goes out in parts (200)\n"
	    "  --keep-going          skip undecodable input instead of stopping\n"
	    "  --stats               print a summary on stderr at the end\n",
	    argv0);
	exit(status);
}

static uint64_t size_arg(const char *s, const char *opt)
{
	uint64_t v;
	if (ec_parse_size(s, &v) || v == 0)
		ec_die(2, "%s: '%s' is not a size (e.g. 65536, 64k, 1M)", opt, s);
	return v;
}

static void print_stats(const struct ec_parse_stats *s, double secs)
{
	uint64_t msgs = s->out[1] + s->out[2] + s->out[3] + s->out[4] + s->out[5];
	fprintf(stderr,
		"%s: %llu records in (%llu events, %llu bytes of payload), %llu passed through\n"
		"%s: out: %llu messages (http1 %llu req / %llu resp, http2 %llu req / %llu resp, "
		"websocket %llu), %llu untyped\n"
		"%s: desync %llu, seq gaps %llu, loss reports %llu, cut %llu, evicted %llu, "
		"idle %llu, closed %llu, decoded %llu, parts %llu, peak connections %zu\n"
		"%s: %.3f s, %.1f MB/s of payload, %.0f messages/s\n",
		argv0, (unsigned long long)s->records, (unsigned long long)s->events,
		(unsigned long long)s->bytes, (unsigned long long)s->passed, argv0,
		(unsigned long long)msgs, (unsigned long long)s->out[1],
		(unsigned long long)s->out[3], (unsigned long long)s->out[2],
		(unsigned long long)s->out[4], (unsigned long long)s->out[5],
		(unsigned long long)s->out[0], argv0, (unsigned long long)s->desync,
		(unsigned long long)s->gaps, (unsigned long long)s->lost_reports,
		(unsigned long long)s->cut, (unsigned long long)s->evicted,
		(unsigned long long)s->expired, (unsigned long long)s->closed,
		(unsigned long long)s->decoded, (unsigned long long)s->parts, s->peak_conns, argv0,
		secs, secs > 0 ? s->bytes / secs / 1e6 : 0.0, secs > 0 ? msgs / secs : 0.0);
}

/* A terminal on stderr gets live counters, once a second. */
static int live;
static struct timespec live_last;

static void live_counters(struct ec_parse *P, int final)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!final && now.tv_sec == live_last.tv_sec)
		return;
	live_last = now;
	struct ec_parse_stats s;
	ec_parse_get_stats(P, &s);
	uint64_t msgs = s.out[1] + s.out[2] + s.out[3] + s.out[4] + s.out[5];
	fprintf(stderr, "\r%s: %llu events, %.1f MB, %llu messages, %llu untyped, %llu desync%s",
		argv0, (unsigned long long)s.events, s.bytes / 1e6, (unsigned long long)msgs,
		(unsigned long long)s.out[0], (unsigned long long)s.desync, final ? "\n" : "");
}

struct live_out {
	struct ec_parse *P;
	struct ec_writer *w;
};

/*
 * The input went quiet: open messages whose bytes waited --part-after go
 * out as parts, and everything parsed so far is written now. Called again
 * when the next part falls due.
 */
static int flush_out(void *arg)
{
	struct live_out *lo = arg;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	int64_t next;
	int err = ec_parse_tick(lo->P, (int64_t)now.tv_sec * 1000000000 + now.tv_nsec, &next);
	if (!err)
		err = ec_writer_flush(lo->w);
	if (err)
		return err;
	return next > 0 ? (int)((next + 999999) / 1000000) : 0;
}

/* Parse one input; 0, or the exit status to stop with. */
static int parse_input(struct ec_parse *P, struct ec_writer *w, int fd, const char *name,
		       size_t max_record, int keep_going)
{
	struct ec_reader *r = ec_reader_new(fd, name, max_record);
	if (!r)
		ec_die(1, "out of memory");
	struct live_out lo = {P, w};
	ec_reader_on_idle(r, flush_out, &lo);
	ec_reader_set_hints(r, EC_READER_HINT_MAX_RECORD | EC_READER_HINT_KEEP_GOING);
	const uint8_t *buf;
	size_t len;
	int rc, status = 0;
	char msg[512];
	while ((rc = ec_reader_next(r, &buf, &len)) != 0) {
		if (rc > 0) {
			ec_parse_arrival(P, ec_reader_arrival(r));
			rc = ec_parse_record(P, buf, len);
		}
		if (live && (ec_reader_index(r) & 1023) == 0)
			live_counters(P, 0);
		if (rc == 0)
			continue;
		if (rc == EC_ERR_PIPE) {
			status = -1;
			break;
		}
		if (rc == EC_ERR_DECODE || rc == EC_ERR_TRUNCATED || rc == EC_ERR_VARINT ||
		    rc == EC_ERR_TOOBIG) {
			ec_reader_errmsg(r, rc, msg, sizeof msg);
			ec_warn("%s", msg);
			if (keep_going) {
				uint64_t k = ec_reader_resync(r);
				ec_warn("%s: skipped %llu bytes", name, (unsigned long long)k);
				status = 1;
				continue;
			}
			status = 1;
			break;
		}
		/* a write error: main reports it, once */
		status = 1;
		break;
	}
	ec_reader_free(r);
	return status;
}

int main(int argc, char **argv)
{
	ec_init(argv[0]);
	static const struct option lo[] = {
	    {"decode-body", 0, 0, 'd'},	 {"max-body", 1, 0, 'b'},   {"max-buffer", 1, 0, 'B'},
	    {"idle-timeout", 1, 0, 'i'}, {"max-conns", 1, 0, 'c'},  {"max-record", 1, 0, 'r'},
	    {"part-after", 1, 0, 'P'},	 {"keep-going", 0, 0, 'k'}, {"stats", 0, 0, 's'},
	    {"help", 0, 0, 'h'},	 {"version", 0, 0, 'V'},    {0, 0, 0, 0}};
	struct ec_parse_opts o;
	ec_parse_opts_default(&o);
	size_t max_record = EC_STREAM_MAX_DEFAULT;
	int keep_going = 0, stats = 0, ch;
	long long v;
	while ((ch = getopt_long(argc, argv, "hk", lo, NULL)) != -1) {
		switch (ch) {
		case 'd':
			o.decode_body = 1;
			break;
		case 'b':
			o.max_body = size_arg(optarg, "--max-body");
			break;
		case 'B':
			o.max_buffer = size_arg(optarg, "--max-buffer");
			break;
		case 'i':
			if (ec_parse_int(optarg, 1, 86400 * 365, &v))
				ec_die(2,
				       "--idle-timeout: '%s' is not a number of seconds "
				       "(1 to 31536000)",
				       optarg);
			o.idle_ns = v * 1000000000ll;
			break;
		case 'c':
			if (ec_parse_int(optarg, 1, 100000000, &v))
				ec_die(2, "--max-conns: '%s' is not a count (1 to 100000000)",
				       optarg);
			o.max_conns = (size_t)v;
			break;
		case 'r':
			if (ec_stream_parse_max(optarg, &max_record))
				ec_die(2, EC_STREAM_MAX_USAGE, optarg);
			break;
		case 'P':
			if (!strcmp(optarg, "off"))
				o.part_ns = 0;
			else if (ec_parse_int(optarg, 1, 3600000, &v))
				ec_die(2,
				       "--part-after: '%s' is not a number of milliseconds "
				       "(1 to 3600000) or off",
				       optarg);
			else
				o.part_ns = v * 1000000ll;
			break;
		case 'k':
			keep_going = 1;
			break;
		case 's':
			stats = 1;
			break;
		case 'V':
			ec_version();
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	if (o.max_buffer < 1024)
		ec_die(2, "--max-buffer: %zu is too small (at least 1k)", o.max_buffer);
	if (isatty(1))
		ec_die(2, "refusing to write binary records to a terminal; pipe into ec-dump");
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct ec_writer *w = ec_writer_new(1);
	if (!w)
		ec_die(1, "out of memory");
	struct ec_parse *P = ec_parse_new(&o, w);
	int status = 0;
	live = isatty(2);
	if (optind == argc) {
		status = parse_input(P, w, 0, "stdin", max_record, keep_going);
	} else {
		for (int i = optind; i < argc && status >= 0 && (status == 0 || keep_going); i++) {
			int fd = strcmp(argv[i], "-") ? open(argv[i], O_RDONLY) : 0;
			if (fd < 0) {
				ec_warn("%s: %s (check the path)", argv[i], strerror(errno));
				status = 1;
				continue;
			}
			int s = parse_input(P, w, fd, argv[i], max_record, keep_going);
			if (fd)
				close(fd);
			status = s ? s : status;
		}
	}
	int err = status < 0 ? 0 : ec_parse_finish(P);
	if (live)
		live_counters(P, 1);
	struct ec_parse_stats st;
	ec_parse_get_stats(P, &st);
	ec_parse_free(P);
	int ferr = ec_writer_flush(w);
	if (!err)
		err = ferr;
	if (err && err != EC_ERR_PIPE) {
		ec_warn("write to stdout: %s", ec_writer_strerror(w, err));
		status = 1;
	}
	ec_writer_free(w);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (stats)
		print_stats(&st, (double)(t1.tv_sec - t0.tv_sec) +
				     (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return status < 0 ? 0 : status;
}
