/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ec-serve's engine: the record stream on an fd served to eCaptureQ
 * WebSocket clients (one binary message per serialized LogEntry) and the
 * remote config API (seed 000) relayed to ec-capture's control socket,
 * both on one libwebsockets event loop. See docs/SERVE.md.
 *
 * Threads: a reader thread reads the stream (blocking reads), publishes each
 * record into the hub and wakes the loop with lws_cancel_service; it never
 * waits for a client. Config relays run one short-lived thread each
 * (libcurl), so a slow capture never stalls the stream either.
 */
#ifndef EC_SERVE_H
#define EC_SERVE_H

#include <stddef.h>

struct ec_serve_opts {
	const char *ws_addr;	     /* HOST:PORT for WebSocket clients */
	const char *listen_addr;     /* HOST:PORT for the config API; NULL = off */
	const char *capture_control; /* ec-capture's control socket (or URL); NULL = none */
	const char *token;	     /* required "Authorization: Bearer" value; NULL = none */
	const char *tls_cert, *tls_key;
	int heartbeat_s; /* heartbeat interval, seconds (>= 1) */
	int ping_s;	 /* idle seconds before a PING; twice that without answer closes */
	int drain_s;	 /* at end of input, seconds to let clients drain their queues */
	int tee;	 /* copy the stream to out_fd */
	size_t queue_max, queue_bytes;
	size_t keep, keep_bytes; /* events kept for a client that asks (?replay=1) */
	int max_clients;
	long relay_timeout_ms;
	size_t max_record;
	int in_fd, out_fd;
	int verbose;
};

/* Fill o with the defaults (ws 127.0.0.1:28257, listen 127.0.0.1:28256, ...). */
void ec_serve_defaults(struct ec_serve_opts *o);

/*
 * Split "HOST:PORT" ("[::1]:PORT", ":PORT", an optional ws:// wss:// http://
 * https:// prefix and trailing '/') into host (empty = any) and port.
 * Returns 0 or -1 with a reason in err.
 */
int ec_serve_parse_addr(const char *s, char *host, size_t hostlen, int *port, char *err,
			size_t errlen);

/* Serve until the input ends (and clients drained) or SIGINT/SIGTERM. Exit status. */
int ec_serve_run(const struct ec_serve_opts *o);

#endif
