/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gRPC inside HTTP/2 (lib/proto/http2.c calls in): a call's request and
 * response messages (length-prefixed, gzip honoured) rendered without a
 * schema like `protoc --decode_raw`, as records of types
 * EC_TYPE_GRPC_REQUEST/RESPONSE beside the HTTP/2 ones, the response with
 * grpc-status and grpc-message (docs/PARSE.md).
 */
#ifndef EC_GRPC_H
#define EC_GRPC_H

#include <stddef.h>
#include <stdint.h>

#include "http2.h"
#include "parse.h"
#include "text.h"

/*
 * Protobuf wire format without a schema, as protoc --decode_raw shows it
 * (`1: 150`, `2: "text"`, `3 { 1: 2 }`). 0, or -1 when p is not a
 * message (what could be read is rendered).
 */
int ec_grpc_decode_raw(struct ec_text *t, const uint8_t *p, size_t n);

/*
 * HTTP/2 emitted msg, a whole request or response; http is its HTTP
 * exchange, g the call's gRPC exchange (kept beside it, cleared with it).
 * A request with content-type application/grpc starts the call (its
 * record asks g); the response of a started call answers it.
 */
void ec_grpc_message(struct ec_parse_dir *d, const struct ec_http2_msg *msg,
		     const struct ec_parse_exchange *http, struct ec_parse_exchange *g,
		     int64_t end_ts);

#endif
