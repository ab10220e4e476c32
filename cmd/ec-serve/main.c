/*
 * ec-serve: serve the record stream on stdin to eCaptureQ WebSocket clients
 * and expose the remote config API, relayed to ec-capture's control socket.
 */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "httpc.h"
#include "stream.h"
#include "util.h"
#include "serve.h"

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: %s [options] < records\n"
	    "Serve an ec record stream (stdin) to eCaptureQ WebSocket clients, one binary\n"
	    "message per LogEntry, and the remote config API (POST /tls ...), relayed to\n"
	    "ec-capture's control socket.\n"
	    "\n"
	    "  --ws HOST:PORT          WebSocket clients: ws://HOST:PORT/ (127.0.0.1:28257)\n"
	    "  --listen HOST:PORT|off  config API and GET /status (127.0.0.1:28256)\n"
	    "  --capture-control PATH  ec-capture's --control socket to relay configs to\n"
	    "                          (a URL works too); without it configs answer code 6\n"
	    "  --token SECRET          require \"Authorization: Bearer SECRET\" on the\n"
	    "                          WebSocket upgrade and every HTTP route (or EC_TOKEN)\n"
	    "  --tls-cert FILE --tls-key FILE   serve wss:// and https://\n"
	    "  --heartbeat SECONDS     heartbeat to every client (15)\n"
	    "  --ping SECONDS          idle time before a PING; no answer in twice that\n"
	    "                          closes the client (30)\n"
	    "  --drain SECONDS         at end of input, time for clients to drain (5)\n"
	    "  --queue N               records queued per client before the oldest drop (8192)\n"
	    "  --queue-bytes SIZE      bytes queued per client before the oldest drop (16M)\n"
	    "  --max-clients N         WebSocket clients at once (64)\n"
	    "  --max-record SIZE       largest input record (16M)\n"
	    "  --tee                   also copy the stream to stdout\n"
	    "  -v, --verbose           log clients and config requests on stderr (twice: lws)\n"
	    "  -h, --help              this help\n"
	    "      --version           print the version\n"
	    "\n"
	    "Input ends: queued records are sent, clients closed politely, exit 0.\n"
	    "Exit 1 on a broken input stream or listen failure, 2 on bad usage.\n",
	    argv0);
}

static long long num(const char *opt, const char *s, long long min, long long max)
{
	long long v;
	if (ec_parse_int(s, min, max, &v))
		ec_die(2, "%s \"%s\": expected a whole number in %lld-%lld", opt, s, min, max);
	return v;
}

static size_t size(const char *opt, const char *s, uint64_t min, uint64_t max)
{
	uint64_t v;
	if (ec_parse_size(s, &v) || v < min || v > max)
		ec_die(2, "%s \"%s\": expected a size like 4096, 64k or 16M, from %llu to %llu",
		       opt, s, (unsigned long long)min, (unsigned long long)max);
	return (size_t)v;
}

int main(int argc, char **argv)
{
	enum {
		O_WS = 256,
		O_LISTEN,
		O_CAPTURE,
		O_TOKEN,
		O_CERT,
		O_KEY,
		O_HB,
		O_PING,
		O_DRAIN,
		O_QUEUE,
		O_QBYTES,
		O_MAXCL,
		O_MAXREC,
		O_TEE,
		O_VERSION
	};
	static const struct option longopts[] = {
	    {"ws", required_argument, NULL, O_WS},
	    {"listen", required_argument, NULL, O_LISTEN},
	    {"capture-control", required_argument, NULL, O_CAPTURE},
	    {"token", required_argument, NULL, O_TOKEN},
	    {"tls-cert", required_argument, NULL, O_CERT},
	    {"tls-key", required_argument, NULL, O_KEY},
	    {"heartbeat", required_argument, NULL, O_HB},
	    {"ping", required_argument, NULL, O_PING},
	    {"drain", required_argument, NULL, O_DRAIN},
	    {"queue", required_argument, NULL, O_QUEUE},
	    {"queue-bytes", required_argument, NULL, O_QBYTES},
	    {"max-clients", required_argument, NULL, O_MAXCL},
	    {"max-record", required_argument, NULL, O_MAXREC},
	    {"tee", no_argument, NULL, O_TEE},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, O_VERSION},
	    {NULL, 0, NULL, 0},
	};
	struct ec_serve_opts o;
	int c;

	ec_init(argv[0]);
	ec_serve_defaults(&o);
	o.token = getenv("EC_TOKEN");
	if (o.token && !*o.token)
		o.token = NULL;
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case O_WS:
			o.ws_addr = optarg;
			break;
		case O_LISTEN:
			o.listen_addr = strcmp(optarg, "off") ? optarg : NULL;
			break;
		case O_CAPTURE:
			o.capture_control = *optarg ? optarg : NULL;
			break;
		case O_TOKEN:
			if (!*optarg)
				ec_die(2, "--token: empty secret; give one, or leave --token out");
			o.token = optarg;
			break;
		case O_CERT:
			o.tls_cert = optarg;
			break;
		case O_KEY:
			o.tls_key = optarg;
			break;
		case O_HB:
			o.heartbeat_s = (int)num("--heartbeat", optarg, 1, 86400);
			break;
		case O_PING:
			o.ping_s = (int)num("--ping", optarg, 1, 3600);
			break;
		case O_DRAIN:
			o.drain_s = (int)num("--drain", optarg, 0, 3600);
			break;
		case O_QUEUE:
			o.queue_max = (size_t)num("--queue", optarg, 1, 10000000);
			break;
		case O_QBYTES:
			o.queue_bytes = size("--queue-bytes", optarg, 1024, 1ull << 34);
			break;
		case O_MAXCL:
			o.max_clients = (int)num("--max-clients", optarg, 1, 100000);
			break;
		case O_MAXREC:
			if (ec_stream_parse_max(optarg, &o.max_record))
				ec_die(2, EC_STREAM_MAX_USAGE, optarg);
			break;
		case O_TEE:
			o.tee = 1;
			break;
		case 'v':
			o.verbose++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case O_VERSION:
			ec_version();
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		ec_warn("unexpected argument \"%s\": the stream comes on stdin", argv[optind]);
		usage(stderr);
		return 2;
	}
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
