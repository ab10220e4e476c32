/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * HTTP/2 frame parser for one direction of a connection: the client
 * preface, DATA, HEADERS, CONTINUATION, SETTINGS, PING, RST_STREAM, GOAWAY,
 * WINDOW_UPDATE, PRIORITY, PUSH_PROMISE (padding handled). Header blocks
 * are decoded by nghttp2's HPACK inflater (nghttp2_hd_inflate_hd2), one per
 * direction, never by hand. Each stream's message ends at END_STREAM and is
 * rendered as text: "METHOD PATH HTTP/2.0" or "HTTP/2.0 STATUS", every
 * header field as received ("name: value", pseudo-headers included,
 * trailers after them), an empty line, then the DATA bytes. Frame headers
 * and fields are read through lib/core/cursor.h.
 */
#ifndef EC_HTTP2_H
#define EC_HTTP2_H

#include <stddef.h>
#include <stdint.h>

#include "reasm.h"

#define EC_HTTP2_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define EC_HTTP2_PREFACE_LEN 24

enum ec_http2_kind {
	EC_HTTP2_UNKNOWN = 0, /* DATA without a HEADERS seen */
	EC_HTTP2_REQUEST = 1,
	EC_HTTP2_RESPONSE = 2,
};

/* Flags of a message. */
#define EC_HTTP2_CUT 0x01	 /* body longer than max_body: cut */
#define EC_HTTP2_RESET 0x02	 /* ended by RST_STREAM, not END_STREAM */
#define EC_HTTP2_PUSH 0x04	 /* request promised by PUSH_PROMISE */
#define EC_HTTP2_INFO 0x08	 /* 1xx interim response */
#define EC_HTTP2_TRAILERS 0x10	 /* a trailer block was rendered */
#define EC_HTTP2_INCOMPLETE 0x20 /* flushed before its end (ec_http2_flush) */
#define EC_HTTP2_EVICTED 0x40	 /* pushed out by too many open streams */

/* The longest decoded header list of a message (HPACK can expand a lot). */
#define EC_HTTP2_MAX_HEAD (256u << 10)

/* Open streams kept per direction. */
#define EC_HTTP2_MAX_STREAMS 128

struct ec_http2_msg {
	enum ec_http2_kind kind;
	uint32_t stream_id;
	struct ec_mark start; /* fragment of the stream's first frame */
	const uint8_t *data;
	size_t len, head_len;
	uint64_t body_len; /* DATA bytes received, before any cut */
	uint64_t kept;	   /* DATA bytes kept, all parts together */
	unsigned flags;
	uint32_t error_code; /* RST_STREAM's */
	/* a stream sent in parts (ec_http2_take_part): this is part `part` (from
	 * 1; 0 for a whole message), more follow unless the stream ended; only
	 * the first part holds the head (head_len 0 after), trailers come at
	 * the end of the last part */
	unsigned part;
	int more;
	size_t trailer_len;
};

struct ec_http2;

/*
 * max_body: DATA bytes kept per message; max_frame: the longest frame
 * accepted (and the header block limit).
 */
struct ec_http2 *ec_http2_new(size_t max_body, size_t max_frame);
void ec_http2_free(struct ec_http2 *h);

/*
 * Parse at most one frame (or the preface) from p; m is the fragment of
 * p's first byte. Returns bytes consumed: 0 when the frame is not complete
 * yet (offer it again with more bytes). A frame that ends a message leaves
 * ec_http2_done set; take the message, ec_http2_release it, and go on. Errors:
 * EC_ERR_PROTO (framing or HPACK broken; ec_http2_error says why; the
 * direction must resynchronise), EC_ERR_TOOBIG (frame over max_frame).
 */
long ec_http2_feed(struct ec_http2 *h, const uint8_t *p, size_t n, const struct ec_mark *m);
int ec_http2_done(const struct ec_http2 *h);
const struct ec_http2_msg *ec_http2_message(const struct ec_http2 *h);
void ec_http2_release(struct ec_http2 *h);
const char *ec_http2_error(const struct ec_http2 *h);

/*
 * After the input ended: hand out the next incomplete stream as a message
 * (EC_HTTP2_INCOMPLETE); 0 when none is left.
 */
int ec_http2_flush(struct ec_http2 *h);
/*
 * Streams that stay open (server-sent events, gRPC, a long download) go
 * out in parts: hand out the next open stream with something new since it
 * began or since its last part — its head and the body so far in the first
 * part, the body since the last part after that — as the message (read it,
 * ec_http2_release, call again); 0 when none is left. Streams whose head is
 * not complete wait. The stream goes on; its end is its last part.
 */
int ec_http2_take_part(struct ec_http2 *h);
/* The peer reset stream sid: its message here ends (1) if open. */
int ec_http2_abort(struct ec_http2 *h, uint32_t sid);
/* A RST_STREAM this direction sent last feed (0 if none), cleared on read. */
uint32_t ec_http2_take_reset(struct ec_http2 *h);
/*
 * SETTINGS_HEADER_TABLE_SIZE this direction announced last feed (-1 if
 * none), cleared on read: the other direction's inflater may be sent
 * tables that large (ec_http2_table_size).
 */
long ec_http2_take_table_setting(struct ec_http2 *h);
int ec_http2_table_size(struct ec_http2 *h, size_t size);
/* Forget everything (after lost sync), with a fresh HPACK inflater. */
void ec_http2_reset(struct ec_http2 *h);
/* Streams open now. */
size_t ec_http2_open_streams(const struct ec_http2 *h);
/* Whether p could be a frame header: type known, sizes and stream id sane. */
int ec_http2_plausible_frame(const uint8_t *p, size_t n);

/* The HTTP/2 decoder ec-parse drives (lib/proto/parse.h). */
struct ec_parse_proto;
extern const struct ec_parse_proto ec_http2_proto;

#endif
