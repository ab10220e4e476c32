/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ec-nats: the record stream through NATS JetStream (docs/FLEET.md).
 * main.c holds what pub and sub share: the server options, the connection
 * and the stream lookup; pub.c and sub.c are the two directions.
 */
#ifndef EC_NATS_H
#define EC_NATS_H

#include <nats/nats.h>
#include <signal.h>

#include "opt.h"

/* The connection options every subcommand takes (the "server" group). */
struct nats_conn_opts {
	const char *servers; /* comma-separated URLs */
	const char *user, *password, *token, *creds, *nkey, *nkey_seed;
	const char *tls_ca, *tls_cert, *tls_key;
	const char *stream;
	int stream_given;
	int64_t connect_timeout_ms;
};

extern const struct ec_opt nats_conn_optv[];
int nats_conn_option(void *ctx, int key, const char *arg);
/* A duration option's value (ec_fleet_parse_duration) of at least min_ns: 0, or 2 after the error.
 */
int nats_duration(const char *arg, int64_t min_ns, int64_t *out);
/* Usage errors of the group as a whole (a cert without its key...): 0 or 2. */
int nats_conn_check(const struct nats_conn_opts *c);

/* Callbacks the subcommand wants told (NULL: only logged). */
struct nats_conn_events {
	void (*disconnected)(void *arg);
	void (*reconnected)(void *arg);
	void *arg;
};

/*
 * Connect (retry_first: even when no server answers yet, reconnecting in
 * the background) and make the JetStream context with jo. 0, or 1 after
 * a one-line error.
 */
int nats_connect(const struct nats_conn_opts *c, const char *name, int retry_first,
		 const struct nats_conn_events *ev, jsOptions *jo, natsConnection **nc, jsCtx **js);
void nats_disconnect(natsConnection *nc, jsCtx *js);
/* The library's reason for the last failure, for messages. */
const char *nats_why(natsStatus s);

/* SIGINT/SIGTERM seen (both subcommands stop at it). */
extern volatile sig_atomic_t nats_stop;
void nats_on_signals(void);

int nats_pub_main(int argc, char **argv);
int nats_sub_main(int argc, char **argv);
/* Their option tables (for the man page), and the page's examples. */
const struct ec_opt_spec *nats_pub_spec(void);
const struct ec_opt_spec *nats_sub_spec(void);
extern const char *const nats_examples[];

#endif
