/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gRPC inside HTTP/2 (lib/proto/http2.c calls in): a call's request and
 * response messages (length-prefixed, gzip and deflate honoured) rendered
 * by lib/proto/pbwire.c — without a schema like `protoc --decode_raw`, with
 * --proto like `protoc --decode` — as records of types
 * EC_TYPE_GRPC_REQUEST/RESPONSE beside the HTTP/2 ones, the response with
 * grpc-status and grpc-message (docs/PARSE.md). A stream HTTP/2 sends in
 * parts (live input) gives gRPC records in parts too: each part with the
 * messages that became whole in it, so a server-streaming call shows its
 * messages as they come.
 */
#ifndef EC_GRPC_H
#define EC_GRPC_H

#include <stdint.h>

#include "http2.h"
#include "parse.h"

/* One call's state: its exchange, and each direction's message in progress. */
struct ec_grpc_call;

/*
 * HTTP/2 emitted msg (a whole request or response, or a part of one; not a
 * 1xx, not an incomplete stream that was never sent in parts); http is its
 * stream's HTTP exchange, *call the stream's gRPC state (NULL at first,
 * made here when the request says content-type application/grpc, freed
 * with ec_grpc_call_free), end_ts the time of the response's last byte.
 */
void ec_grpc_message(struct ec_parse_dir *d, const struct ec_http2_msg *msg,
		     const struct ec_parse_exchange *http, struct ec_grpc_call **call,
		     int64_t end_ts);
void ec_grpc_call_free(struct ec_grpc_call *c);

/* The name of a gRPC status code ("OK", "NOT_FOUND"; "?" past 16). */
const char *ec_grpc_status_name(unsigned status);

#endif
