/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * WebSocket (RFC 6455) frame parser for one direction, after an HTTP/1.1
 * 101 upgrade. Push style like lib/proto/http1: the frame header is read through
 * lib/core/cursor.h once complete, the payload is unmasked while copied, up to
 * max_payload bytes (longer payloads are cut but consumed whole). Frames
 * are reported one by one (no message reassembly): opcode and FIN go into
 * the event. libwebsockets has no stand-alone frame decoder for captured
 * bytes, so the framing (two bytes, a length, a mask) is decoded here.
 */
#ifndef EC_WS_H
#define EC_WS_H

#include <stddef.h>
#include <stdint.h>

#define EC_WS_CUT 0x1	     /* payload longer than max_payload: cut */
#define EC_WS_COMPRESSED 0x2 /* RSV1: permessage-deflate, payload left compressed */

struct ec_ws_msg {
	unsigned opcode; /* 0 continuation, 1 text, 2 binary, 8 close, 9 ping, 10 pong */
	int fin, masked;
	const uint8_t *data; /* unmasked payload (cut at max_payload) */
	size_t len;
	uint64_t payload_len; /* on the wire */
	unsigned flags;
};

struct ec_ws;

struct ec_ws *ec_ws_new(size_t max_payload);
void ec_ws_free(struct ec_ws *w);
/*
 * Parse from p; returns bytes consumed (an incomplete frame header is not
 * consumed: offer it again with more). Stops after a frame ends
 * (ec_ws_done). EC_ERR_PROTO when the bytes are not a valid frame header.
 */
long ec_ws_feed(struct ec_ws *w, const uint8_t *p, size_t n);
int ec_ws_done(const struct ec_ws *w);
/* Part of a frame was consumed. */
int ec_ws_busy(const struct ec_ws *w);
const struct ec_ws_msg *ec_ws_message(struct ec_ws *w);
void ec_ws_reset(struct ec_ws *w);
const char *ec_ws_error(const struct ec_ws *w);
/* Whether p starts with a plausible frame header (1), not (0), can't tell yet (-1). */
int ec_ws_plausible(const uint8_t *p, size_t n);

/* The WebSocket decoder ec-parse drives (lib/proto/parse.h). */
struct ec_parse_proto;
extern const struct ec_parse_proto ec_ws_proto;

#endif
