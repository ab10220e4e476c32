// SPDX-License-Identifier: GPL-2.0-only
/*
 * ec-serve: serve the record stream on stdin to eCaptureQ WebSocket clients
 * and expose the remote config API, relayed to ec-capture's control socket.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "httpc.h"
#include "opt.h"
#include "stream.h"
#include "util.h"
#include "serve.h"

enum {
	O_WS = 256,
	O_LISTEN,
	O_CAPTURE,
	O_TOKEN,
	O_TOKEN_FILE,
	O_CERT,
	O_KEY,
	O_HB,
	O_PING,
	O_DRAIN,
	O_QUEUE,
	O_QBYTES,
	O_MAXCL,
	O_KEEP,
	O_KEEPB,
	O_MAXREC,
	O_TEE,
};

static const struct ec_opt opts[] = {
    {"ws", O_WS, "HOST:PORT", "WebSocket clients: ws://HOST:PORT/ (127.0.0.1:28257)"},
    {"listen", O_LISTEN, "HOST:PORT|off", "config API and GET /status (127.0.0.1:28256)"},
    {"capture-control", O_CAPTURE, "PATH",
     "ec-capture's --control socket to relay configs to\n(a URL works too); without it "
     "configs answer code 6"},
    {"token", O_TOKEN, "SECRET",
     "require \"Authorization: Bearer SECRET\" on the\nWebSocket upgrade and every HTTP route "
     "(or EC_TOKEN)"},
    {"token-file", O_TOKEN_FILE, "FILE",
     "--token's secret from FILE's one line (kept off\nthe command line; systemd's "
     "LoadCredential=)"},
    {"tls-cert", O_CERT, "FILE", "with --tls-key: serve wss:// and https://"},
    {"tls-key", O_KEY, "FILE", "the key of --tls-cert"},
    {"heartbeat", O_HB, "SECONDS", "heartbeat to every client (15)"},
    {"ping", O_PING, "SECONDS",
     "idle time before a PING; no answer in twice that\ncloses the client (30)"},
    {"drain", O_DRAIN, "SECONDS", "at end of input, time for clients to drain (5)"},
    {"queue", O_QUEUE, "N", "records queued per client before the oldest drop (8192)"},
    {"queue-bytes", O_QBYTES, "SIZE", "bytes queued per client before the oldest drop (16M)"},
    {"max-clients", O_MAXCL, "N", "WebSocket clients at once (64)"},
    {"keep", O_KEEP, "N",
     "the last N events, sent first to a client that\nasks: ws://HOST:PORT/?replay=1 (1000; 0 "
     "none)"},
    {"keep-bytes", O_KEEPB, "SIZE", "... and no more than SIZE bytes of them (16M)"},
    {"max-record", O_MAXREC, "SIZE", "largest input record (16M)"},
    {"tee", O_TEE, NULL, "also copy the stream to stdout"},
    {"verbose", 'v', NULL, "log clients and config requests on stderr (twice: lws)"},
    {NULL, 0, NULL, NULL},
};

static int num(const char *s, long long min, long long max, int *out)
{
	long long v;
	if (ec_util_parse_int(s, min, max, &v)) {
		ec_warn("%s \"%s\": expected a whole number in %lld-%lld", ec_opt_current(), s, min,
			max);
		return 2;
	}
	*out = (int)v;
	return 0;
}

/* read once the options are parsed: an unreadable file is a runtime error */
static const char *token_file;
static int token_given;

/* A byte count from 1 KiB to 16 GiB (4096, 64k, 16M...). */
static int bytes(const char *arg, size_t *out)
{
	uint64_t v;
	if (ec_util_parse_size(arg, &v) || v < 1024 || v > (1ull << 34)) {
		ec_warn("%s \"%s\": expected a size like 4096, 64k or 16M, from 1024 to %llu",
			ec_opt_current(), arg, 1ull << 34);
		return 2;
	}
	*out = (size_t)v;
	return 0;
}

static int option(void *ctx, int key, const char *arg)
{
	struct ec_serve_opts *o = ctx;
	int n;
	switch (key) {
	case O_WS:
		o->ws_addr = arg;
		return 0;
	case O_LISTEN:
		o->listen_addr = strcmp(arg, "off") ? arg : NULL;
		return 0;
	case O_CAPTURE:
		o->capture_control = *arg ? arg : NULL;
		return 0;
	case O_TOKEN:
		if (!*arg) {
			ec_warn("--token: empty secret; give one, or leave --token out");
			return 2;
		}
		o->token = arg;
		token_given = 1;
		return 0;
	case O_TOKEN_FILE:
		token_file = arg;
		return 0;
	case O_CERT:
		o->tls_cert = arg;
		return 0;
	case O_KEY:
		o->tls_key = arg;
		return 0;
	case O_HB:
		return num(arg, 1, 86400, &o->heartbeat_s);
	case O_PING:
		return num(arg, 1, 3600, &o->ping_s);
	case O_DRAIN:
		return num(arg, 0, 3600, &o->drain_s);
	case O_QUEUE:
		if (num(arg, 1, 10000000, &n))
			return 2;
		o->queue_max = (size_t)n;
		return 0;
	case O_QBYTES:
		return bytes(arg, &o->queue_bytes);
	case O_MAXCL:
		return num(arg, 1, 100000, &o->max_clients);
	case O_KEEP:
		if (num(arg, 0, 1000000, &n))
			return 2;
		o->keep = (size_t)n;
		return 0;
	case O_KEEPB:
		return bytes(arg, &o->keep_bytes);
	case O_MAXREC:
		if (!ec_stream_parse_max(arg, &o->max_record))
			return 0;
		ec_warn(EC_STREAM_MAX_USAGE, arg);
		return 2;
	case O_TEE:
		o->tee = 1;
		return 0;
	default: /* 'v' */
		o->verbose++;
		return 0;
	}
}

int main(int argc, char **argv)
{
	struct ec_serve_opts o;

	ec_init(argv[0]);
	ec_serve_defaults(&o);
	o.token = getenv("EC_TOKEN");
	if (o.token && !*o.token)
		o.token = NULL;
	struct ec_opt_group groups[] = {{NULL, opts, option, &o}};
	struct ec_opt_spec spec = {
	    .usage = "[options] < records",
	    .what = "serve an ec record stream to eCaptureQ WebSocket clients, and the config API",
	    .examples =
		(const char *const[]){
		    "sudo ec-capture tls | ec-parse | ec-serve --ws 127.0.0.1:28257",
		    "ec-capture tls --control /run/ec/capture.sock | ec-parse |\n"
		    "    ec-serve --ws 127.0.0.1:28257 --listen 127.0.0.1:28256 \\\n"
		    "    --capture-control /run/ec/capture.sock",
		    NULL},
	    .about =
		"Serve an ec record stream (stdin) to eCaptureQ WebSocket clients, one binary\n"
		"message per LogEntry, and the remote config API (POST /tls ...), relayed to\n"
		"ec-capture's control socket.",
	    .footer = "Input ends: queued records are sent, clients closed politely, exit 0.\n"
		      "Exit 1 on a broken input stream, a listen failure or an unreadable\n"
		      "--token-file, 2 on bad usage.",
	    .groups = groups,
	    .ngroups = 1,
	};
	int rc = ec_opt_parse(&spec, argc, argv, NULL);
	if (rc)
		return rc == EC_OPT_HELP ? 0 : rc;
	if (token_file && token_given)
		ec_die(2, "--token and --token-file: give the secret one way");
	if (token_file && !(o.token = ec_util_read_token("--token-file", token_file)))
		return 1;
	char why[300];
	if (o.capture_control && ec_httpc_target_check(o.capture_control, 1, why, sizeof why))
		ec_die(2, "--capture-control %s (or the path of ec-capture's --control socket)",
		       why);
	if (!o.tls_cert != !o.tls_key)
		ec_die(2, "--tls-cert and --tls-key go together: give both or neither");
	if (o.tls_cert && access(o.tls_cert, R_OK))
		ec_die(2, "--tls-cert %s: %s", o.tls_cert, strerror(errno));
	if (o.tls_key && access(o.tls_key, R_OK))
		ec_die(2, "--tls-key %s: %s", o.tls_key, strerror(errno));
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int status = ec_serve_run(&o);
	curl_global_cleanup();
	return status;
}
