// SPDX-License-Identifier: GPL-2.0-only
/*
 * ec-nats: carry the record stream through NATS JetStream, from many hosts
 * to one viewer (docs/FLEET.md). "pub" publishes each record as one
 * message, "sub" writes them back as the ordinary stream.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fleet.h"
#include "nats.h"
#include "util.h"

volatile sig_atomic_t nats_stop;
static volatile int closing; /* our own close: not news */

static void on_signal(int sig)
{
	(void)sig;
	nats_stop = 1;
}

void nats_on_signals(void)
{
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

enum {
	O_USER = 256,
	O_PASSWORD,
	O_TOKEN,
	O_CREDS,
	O_NKEY,
	O_NKEY_SEED,
	O_TLS_CA,
	O_TLS_CERT,
	O_TLS_KEY,
	O_STREAM,
	O_CONNECT_TIMEOUT,
};

const struct ec_opt nats_conn_optv[] = {
    {"server", 's', "URL[,URL..]",
     "NATS servers (default nats://127.0.0.1:4222); tls:// for TLS,\n"
     "nats://USER:PASS@HOST:PORT for credentials in the URL"},
    {"stream", O_STREAM, "NAME", "the JetStream stream (default EC)"},
    {"user", O_USER, "USER", "user name (with --password)"},
    {"password", O_PASSWORD, "PASS", "password of --user"},
    {"token", O_TOKEN, "TOKEN", "authentication token"},
    {"creds", O_CREDS, "FILE", "a user credentials file (JWT and NKey seed, nsc's .creds)"},
    {"nkey", O_NKEY, "PUBKEY", "NKey authentication: the user's public key (with --nkey-seed)"},
    {"nkey-seed", O_NKEY_SEED, "FILE", "the file holding that NKey's seed"},
    {"tls-ca", O_TLS_CA, "FILE", "trust the server certificates this CA file signed (implies TLS)"},
    {"tls-cert", O_TLS_CERT, "FILE", "client certificate chain for mutual TLS (with --tls-key)"},
    {"tls-key", O_TLS_KEY, "FILE", "the private key of --tls-cert"},
    {"connect-timeout", O_CONNECT_TIMEOUT, "SECS", "per connection attempt (default 2)"},
    {NULL, 0, NULL, NULL},
};

int nats_conn_option(void *ctx, int key, const char *arg)
{
	struct nats_conn_opts *c = ctx;
	long long v;
	switch (key) {
	case 's':
		c->servers = arg;
		return 0;
	case O_STREAM:
		if (!*arg || strpbrk(arg, ".*> \t")) {
			ec_warn("--stream: '%s' is not a stream name (no '.', '*', '>' or spaces)",
				arg);
			return 2;
		}
		c->stream = arg;
		c->stream_given = 1;
		return 0;
	case O_USER:
		c->user = arg;
		return 0;
	case O_PASSWORD:
		c->password = arg;
		return 0;
	case O_TOKEN:
		c->token = arg;
		return 0;
	case O_CREDS:
		c->creds = arg;
		return 0;
	case O_NKEY:
		c->nkey = arg;
		return 0;
	case O_NKEY_SEED:
		c->nkey_seed = arg;
		return 0;
	case O_TLS_CA:
		c->tls_ca = arg;
		return 0;
	case O_TLS_CERT:
		c->tls_cert = arg;
		return 0;
	case O_TLS_KEY:
		c->tls_key = arg;
		return 0;
	default: /* O_CONNECT_TIMEOUT */
		if (ec_opt_int(arg, 1, 3600, "a number of seconds in [1, 3600]", &v))
			return 2;
		c->connect_timeout_ms = v * 1000;
		return 0;
	}
}

int nats_duration(const char *arg, int64_t min_ns, int64_t *out)
{
	if (!ec_fleet_parse_duration(arg, out) && *out >= min_ns)
		return 0;
	char min[32] = "";
	if (min_ns)
		snprintf(min, sizeof min, min_ns % 1000000000 ? " from %lldms" : " from %llds",
			 (long long)(min_ns % 1000000000 ? min_ns / 1000000 : min_ns / 1000000000));
	ec_warn("%s: '%s' is not a duration%s (e.g. 500ms, 5s, 10m, 2h, 7d)", ec_opt_current(), arg,
		min);
	return 2;
}

int nats_conn_check(const struct nats_conn_opts *c)
{
	static const struct {
		int off_a, off_b;
		const char *a, *b;
	} pairs[] = {
	    {offsetof(struct nats_conn_opts, user), offsetof(struct nats_conn_opts, password),
	     "--user", "--password"},
	    {offsetof(struct nats_conn_opts, nkey), offsetof(struct nats_conn_opts, nkey_seed),
	     "--nkey", "--nkey-seed"},
	    {offsetof(struct nats_conn_opts, tls_cert), offsetof(struct nats_conn_opts, tls_key),
	     "--tls-cert", "--tls-key"},
	};
	for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
		const char *a = *(const char *const *)((const char *)c + pairs[i].off_a);
		const char *b = *(const char *const *)((const char *)c + pairs[i].off_b);
		if (!a != !b) {
			ec_warn("%s needs %s", a ? pairs[i].a : pairs[i].b,
				a ? pairs[i].b : pairs[i].a);
			return 2;
		}
	}
	if ((c->creds != NULL) + (c->nkey != NULL) + (c->token != NULL) + (c->user != NULL) > 1) {
		ec_warn("give one of --user, --token, --creds, --nkey");
		return 2;
	}
	const char *files[] = {c->creds, c->nkey_seed, c->tls_ca, c->tls_cert, c->tls_key};
	for (size_t i = 0; i < sizeof files / sizeof *files; i++)
		if (files[i] && access(files[i], R_OK)) {
			ec_warn("cannot read '%s': %s", files[i], strerror(errno));
			return 2;
		}
	return 0;
}

const char *nats_why(natsStatus s)
{
	/* (the thread's last error may be older than s: its text only if it is s) */
	natsStatus last = NATS_OK;
	const char *t = nats_GetLastError(&last);
	if (!t || !*t || last != s)
		return natsStatus_GetText(s);
	if (*t == '(' && strstr(t, "): ")) /* the library's "(conn.c:1905): " */
		t = strstr(t, "): ") + 3;
	return t;
}

static void on_disconnected(natsConnection *nc, void *arg)
{
	(void)nc;
	const struct nats_conn_events *ev = arg;
	if (ev->disconnected && !closing)
		ev->disconnected(ev->arg);
}

static void on_reconnected(natsConnection *nc, void *arg)
{
	(void)nc;
	const struct nats_conn_events *ev = arg;
	if (ev->reconnected)
		ev->reconnected(ev->arg);
}

static void on_connected(natsConnection *nc, void *arg)
{
	on_reconnected(nc, arg);
}

/* The server list: "a,b,c" into the library's array (URLs without a scheme get nats://). */
static int servers(natsOptions *o, const char *list)
{
	char *copy = ec_xstrdup(list ? list : "nats://127.0.0.1:4222");
	const char *v[64];
	int n = 0;
	for (char *save, *t = strtok_r(copy, ",", &save); t && n < 64;
	     t = strtok_r(NULL, ",", &save))
		v[n++] = t;
	natsStatus s = n ? natsOptions_SetServers(o, v, n) : NATS_INVALID_ARG;
	free(copy);
	if (s != NATS_OK)
		ec_warn("--server: '%s' is not a list of NATS URLs: %s", list ? list : "",
			nats_why(s));
	return s == NATS_OK ? 0 : 1;
}

int nats_connect(const struct nats_conn_opts *c, const char *name, int retry_first,
		 const struct nats_conn_events *ev, jsOptions *jo, natsConnection **nc, jsCtx **js)
{
	static struct nats_conn_events events;
	natsOptions *o = NULL;
	natsStatus s = natsOptions_Create(&o);
	if (s != NATS_OK)
		ec_die(1, "out of memory");
	if (ev)
		events = *ev;
	if (servers(o, c->servers)) {
		natsOptions_Destroy(o);
		return 2;
	}
	const char *what = "connection options";
	if (s == NATS_OK)
		s = natsOptions_SetName(o, name);
	if (s == NATS_OK)
		s = natsOptions_SetTimeout(o, c->connect_timeout_ms ? c->connect_timeout_ms : 2000);
	/* reconnect for ever, quickly: a restarted cluster node is back in a second */
	if (s == NATS_OK)
		s = natsOptions_SetMaxReconnect(o, -1);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectWait(o, 250);
	if (s == NATS_OK)
		s = natsOptions_SetDisconnectedCB(o, on_disconnected, &events);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectedCB(o, on_reconnected, &events);
	if (s == NATS_OK && c->user)
		s = natsOptions_SetUserInfo(o, c->user, c->password);
	if (s == NATS_OK && c->token)
		s = natsOptions_SetToken(o, c->token);
	if (s == NATS_OK && c->creds && (what = "--creds"))
		s = natsOptions_SetUserCredentialsFromFiles(o, c->creds, NULL);
	if (s == NATS_OK && c->nkey && (what = "--nkey-seed"))
		s = natsOptions_SetNKeyFromSeed(o, c->nkey, c->nkey_seed);
	if (s == NATS_OK && (c->tls_ca || c->tls_cert) && (what = "TLS"))
		s = natsOptions_SetSecure(o, true);
	if (s == NATS_OK && c->tls_ca && (what = "--tls-ca"))
		s = natsOptions_LoadCATrustedCertificates(o, c->tls_ca);
	if (s == NATS_OK && c->tls_cert && (what = "--tls-cert"))
		s = natsOptions_LoadCertificatesChain(o, c->tls_cert, c->tls_key);
	if (s != NATS_OK) {
		ec_warn("%s: %s", what, nats_why(s));
		natsOptions_Destroy(o);
		return 2;
	}
	s = natsConnection_Connect(nc, o);
	/* no server answers (and only that: a refused password is final): the
	 * library goes on trying in the background, and says when it is in */
	if (s == NATS_NO_SERVER && retry_first &&
	    natsOptions_SetRetryOnFailedConnect(o, true, on_connected, &events) == NATS_OK)
		s = natsConnection_Connect(nc, o);
	natsOptions_Destroy(o);
	if (s == NATS_NOT_YET_CONNECTED)
		s = NATS_OK;
	if (s != NATS_OK) {
		ec_warn("cannot connect to %s: %s%s",
			c->servers ? c->servers : "nats://127.0.0.1:4222", nats_why(s),
			s == NATS_NO_SERVER ? " (is nats-server running there?)"
			: s == NATS_NOT_PERMITTED || s == NATS_CONNECTION_AUTH_FAILED
			    ? " (check --user and --password, --token, --creds or --nkey)"
			    : "");
		return 1;
	}
	s = natsConnection_JetStream(js, *nc, jo);
	if (s != NATS_OK) {
		ec_warn("JetStream context: %s", nats_why(s));
		natsConnection_Destroy(*nc);
		return 1;
	}
	return 0;
}

void nats_disconnect(natsConnection *nc, jsCtx *js)
{
	jsCtx_Destroy(js);
	if (nc) {
		/* acknowledgements are sent asynchronously: out before closing */
		natsConnection_FlushTimeout(nc, 2000);
		closing = 1;
		natsConnection_Close(nc);
		natsConnection_Destroy(nc);
	}
	nats_CloseAndWait(2000);
}

/* ec-nats(1)'s EXAMPLES: lines of docs/FLEET.md, which the docs test runs */
const char *const nats_examples[] = {
    "sudo ec-capture tls | ec-parse | ec-nats pub --create --max-age 7d",
    "ec-nats sub 'ec.>' --durable viewer | ec-serve --ws 127.0.0.1:28257",
    "ec-nats sub 'ec.web1.>' --since 1h --idle 2s | ec-dump --exchanges",
    NULL,
};

/* ec-nats(1): both subcommands' options, from the tables --help prints. */
static void man(void)
{
	printf(".TH ec-nats 1 \"\" \"ec %s\" \"ec manual\"\n.SH NAME\n"
	       "ec\\-nats \\- carry the record stream through NATS JetStream, from many hosts "
	       "to one viewer\n"
	       ".SH SYNOPSIS\n.nf\n\\fBec\\-nats pub\\fR [\\fISUBJECT\\fR] [options] < in.pb\n"
	       "\\fBec\\-nats sub\\fR \\fISUBJECT\\fR... [options] > out.pb\n.fi\n"
	       ".SH DESCRIPTION\n\\fBpub\\fR publishes each record of the stream on stdin as "
	       "one JetStream message, with a message id that makes a resent record a "
	       "duplicate; \\fBsub\\fR writes the messages back as the ordinary stream, each "
	       "host's records in the order they were published, acknowledging only what it "
	       "has written. docs/FLEET.md has the deployment.\n",
	       EC_VERSION);
	printf(".SH \"PUB OPTIONS\"\n");
	ec_opt_man_options(stdout, nats_pub_spec());
	printf(".SH \"SUB OPTIONS\"\n");
	ec_opt_man_options(stdout, nats_sub_spec());
	printf(".SH \"EVERY COMMAND\"\n.TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\nthe command's "
	       "options\n.TP\n\\fB\\-\\-version\\fR\nthe version\n");
	ec_opt_man_examples(stdout, nats_examples);
	printf(
	    ".SH SEE ALSO\n\\fBec\\-capture\\fR(8), \\fBec\\-parse\\fR(1), \\fBec\\-dump\\fR(1), "
	    "\\fBec\\-serve\\fR(1), \\fBnats\\-server\\fR(8), \\fBec\\-record\\fR(5)\n");
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s pub [SUBJECT] [options] < in.pb    publish each record to JetStream\n"
		"       %s sub SUBJECT... [options] > out.pb  write them back as the stream\n"
		"       %s -h | --help | --version\n"
		"commands:\n"
		"  pub        one JetStream message per record (default subject ec.HOST.MODULE)\n"
		"  sub        the records of SUBJECT (e.g. 'ec.>'), each host's in order\n"
		"'%s COMMAND --help' lists a command's options.\n",
		argv0, argv0, argv0, argv0);
}

int main(int argc, char **argv)
{
	ec_init(argv[0]);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--version"))
		ec_version();
	if (!strcmp(argv[1], "--man")) { /* hidden: the man page, made at build time */
		man();
		return 0;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "pub"))
		return nats_pub_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "sub"))
		return nats_sub_main(argc - 1, argv + 1);
	ec_warn("unknown command '%s' (pub or sub; see --help)", argv[1]);
	return 2;
}
