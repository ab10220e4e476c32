// SPDX-License-Identifier: GPL-2.0-only
/* ec-parse: turn captured TLS fragments into typed protocol messages. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "opt.h"
#include "parse.h"
#include "pbwire.h"
#include "stream.h"
#include "util.h"

/* long only, as ever; -k is the one letter */
enum {
	OPT_DECODE = 256,
	OPT_BODY,
	OPT_BUFFER,
	OPT_IDLE,
	OPT_CONNS,
	OPT_RECORD,
	OPT_PART,
	OPT_PROTO,
	OPT_STATS,
	OPT_DECRYPT,
	OPT_PACKETS
};

static const struct ec_opt opts[] = {
    {"decode-body", OPT_DECODE, NULL, "inflate gzip/deflate bodies (bounded by --max-body)"},
    {"max-body", OPT_BODY, "SIZE", "body bytes kept per message, longer ones are cut (1M)"},
    {"max-buffer", OPT_BUFFER, "SIZE",
     "bytes buffered per direction waiting for a message\nboundary; past it sync is given up "
     "(1M)"},
    {"idle-timeout", OPT_IDLE, "SECS", "forget connections idle this long, stream time (60)"},
    {"max-conns", OPT_CONNS, "N", "connections tracked at once, least recent evicted (16384)"},
    {"max-record", OPT_RECORD, "SIZE", "longest input record accepted (16M)"},
    {"part-after", OPT_PART, "MS|off",
     "live input (a pipe gone quiet): a message still open\nMS ms after its bytes came goes "
     "out in parts (200)"},
    {"proto", OPT_PROTO, "FILE",
     "gRPC messages' field names and types from a descriptor set\n(protoc "
     "--descriptor_set_out=FILE "
     "--include_imports)\nor a .proto file (protoc is run); else decoded raw"},
    {"decrypt", OPT_DECRYPT, NULL,
     "decrypt the TLS in packet records with the key log lines\nbeside them also for "
     "connections no handshake record\nnames (ec-capture --pcap, a pcap and a key log)"},
    {"keep-packets", OPT_PACKETS, NULL,
     "pass packet records on too (they are decrypted, then\ndropped)"},
    {"keep-going", 'k', NULL, "skip undecodable input instead of stopping"},
    {"stats", OPT_STATS, NULL, "print a summary on stderr at the end"},
    {NULL, 0, NULL, NULL},
};

struct args {
	struct ec_parse_opts o;
	size_t max_record;
	const char *proto;
	int keep_going, stats;
};

static int size_arg(const char *s, size_t *out)
{
	uint64_t v;
	if (ec_opt_size(s, 1, SIZE_MAX, "a size (e.g. 65536, 64k, 1M)", &v))
		return 2;
	*out = (size_t)v;
	return 0;
}

static int opt(void *ctx, int key, const char *arg)
{
	struct args *a = ctx;
	long long v;
	switch (key) {
	case OPT_DECODE:
		a->o.decode_body = 1;
		return 0;
	case OPT_BODY:
		return size_arg(arg, &a->o.max_body);
	case OPT_BUFFER:
		return size_arg(arg, &a->o.max_buffer);
	case OPT_IDLE:
		if (ec_opt_int(arg, 1, 86400 * 365, "a number of seconds (1 to 31536000)", &v))
			return 2;
		a->o.idle_ns = v * 1000000000ll;
		return 0;
	case OPT_CONNS:
		if (ec_opt_int(arg, 1, 100000000, "a count (1 to 100000000)", &v))
			return 2;
		a->o.max_conns = (size_t)v;
		return 0;
	case OPT_RECORD:
		if (ec_stream_parse_max(arg, &a->max_record)) {
			ec_warn(EC_STREAM_MAX_USAGE, arg);
			return 2;
		}
		return 0;
	case OPT_PART:
		if (!strcmp(arg, "off")) {
			a->o.part_ns = 0;
			return 0;
		}
		if (ec_opt_int(arg, 1, 3600000, "a number of milliseconds (1 to 3600000) or off",
			       &v))
			return 2;
		a->o.part_ns = v * 1000000ll;
		return 0;
	case OPT_PROTO:
		a->proto = arg;
		return 0;
	case 'k':
		a->keep_going = 1;
		return 0;
	case OPT_DECRYPT:
		a->o.decrypt_all = 1;
		return 0;
	case OPT_PACKETS:
		a->o.keep_packets = 1;
		return 0;
	default: /* OPT_STATS */
		a->stats = 1;
		return 0;
	}
}

static void print_stats(const struct ec_parse_stats *s, double secs)
{
	uint64_t msgs = 0;
	for (int t = 1; t < EC_TYPE_COUNT; t++)
		msgs += s->out[t];
	/* the protocols past HTTP, by request and response count, when seen */
	char more[256] = "";
	size_t k = 0;
	for (int t = EC_TYPE_GRPC_REQUEST; t + 1 < EC_TYPE_COUNT && k < sizeof more; t += 2)
		if (s->out[t] || s->out[t + 1])
			k += (size_t)snprintf(
			    more + k, sizeof more - k, ", %s %llu req / %llu resp",
			    ec_record_type_proto((uint32_t)t), (unsigned long long)s->out[t],
			    (unsigned long long)s->out[t + 1]);
	fprintf(stderr,
		"%s: %llu records in (%llu events, %llu bytes of payload), %llu passed through\n"
		"%s: out: %llu messages (http1 %llu req / %llu resp, http2 %llu req / %llu resp, "
		"websocket %llu%s), %llu untyped\n"
		"%s: desync %llu, seq gaps %llu, loss reports %llu, cut %llu, evicted %llu, "
		"idle %llu, closed %llu, decoded %llu, parts %llu, peak connections %zu\n"
		"%s: %.3f s, %.1f MB/s of payload, %.0f messages/s\n",
		argv0, (unsigned long long)s->records, (unsigned long long)s->events,
		(unsigned long long)s->bytes, (unsigned long long)s->passed, argv0,
		(unsigned long long)msgs, (unsigned long long)s->out[1],
		(unsigned long long)s->out[3], (unsigned long long)s->out[2],
		(unsigned long long)s->out[4], (unsigned long long)s->out[5], more,
		(unsigned long long)s->out[0], argv0, (unsigned long long)s->desync,
		(unsigned long long)s->gaps, (unsigned long long)s->lost_reports,
		(unsigned long long)s->cut, (unsigned long long)s->evicted,
		(unsigned long long)s->expired, (unsigned long long)s->closed,
		(unsigned long long)s->decoded, (unsigned long long)s->parts, s->peak_conns, argv0,
		secs, secs > 0 ? s->bytes / secs / 1e6 : 0.0, secs > 0 ? msgs / secs : 0.0);
	if (s->packets)
		fprintf(stderr,
			"%s: decrypted: %llu packets in, %llu connections, %llu bytes of "
			"plaintext; %llu connections not decrypted (said why)\n",
			argv0, (unsigned long long)s->packets,
			(unsigned long long)s->decrypted_conns, (unsigned long long)s->plain_bytes,
			(unsigned long long)s->undecrypted_conns);
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
	uint64_t msgs = 0;
	for (int t = 1; t < EC_TYPE_COUNT; t++)
		msgs += s.out[t];
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
	struct args a = {.max_record = EC_STREAM_MAX_DEFAULT};
	ec_parse_opts_default(&a.o);
	struct ec_opt_group groups[] = {{NULL, opts, opt, &a}};
	struct ec_opt_spec spec = {
	    .usage = "[options] [FILE...]",
	    .what = "turn captured TLS bytes into HTTP/1, HTTP/2 and WebSocket messages",
	    .examples =
		(const char *const[]){
		    "ec-capture tls | ec-parse | ec-dump", "ec-parse < day.pb > day-parsed.pb",
		    "ec-parse --decode-body --stats capture.pb | ec-dump --type http1-response",
		    NULL},
	    .about =
		"Reads an ec record stream (FILEs or stdin), writes it on stdout with captured\n"
		"connection bytes turned into HTTP/1, HTTP/2 and WebSocket messages.",
	    .groups = groups,
	    .ngroups = 1,
	    .operands = argc,
	};
	int optind, rc = ec_opt_parse(&spec, argc, argv, &optind);
	if (rc)
		return rc == EC_OPT_HELP ? 0 : rc;
	struct ec_parse_opts o = a.o;
	size_t max_record = a.max_record;
	int keep_going = a.keep_going, stats = a.stats;
	if (o.max_buffer < 1024)
		ec_die(2, "--max-buffer: %zu is too small (at least 1k)", o.max_buffer);
	struct ec_pbwire_schema *schema = NULL;
	if (a.proto) {
		char err[512];
		if (!(schema = ec_pbwire_load(a.proto, err, sizeof err)))
			ec_die(2, "--proto: %s", err);
		o.schema = schema;
	}
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
	ec_pbwire_free(schema);
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
