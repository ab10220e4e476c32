/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * HTTP/1.x message parser for one direction of a connection (push style,
 * like nghttp2's inflater: the caller owns the input, the parser keeps only
 * what a message needs). Request and response heads are kept as received;
 * bodies are framed by Content-Length, chunked coding (de-chunked) or the
 * connection's end. Every byte is read through lib/core/cursor.h.
 */
#ifndef EC_HTTP1_H
#define EC_HTTP1_H

#include <stddef.h>
#include <stdint.h>

enum ec_http1_kind {
	EC_HTTP1_NONE = 0,
	EC_HTTP1_REQUEST = 1,
	EC_HTTP1_RESPONSE = 2,
};

/* What a response parser must know about the request it answers. */
#define EC_HTTP1_REQ_HEAD 0x1	 /* HEAD: the response has no body */
#define EC_HTTP1_REQ_CONNECT 0x2 /* CONNECT: a 2xx starts a tunnel */

/* Flags of a completed message. */
#define EC_HTTP1_DECHUNKED 0x01	 /* body came in chunked coding */
#define EC_HTTP1_CUT 0x02	 /* body longer than max_body: cut */
#define EC_HTTP1_UPGRADE_WS 0x04 /* request asks for / 101 grants WebSocket */
#define EC_HTTP1_TUNNEL 0x08	 /* the rest of the connection is not HTTP/1 */
#define EC_HTTP1_EOF_BODY 0x10	 /* body ended by the connection's end */
#define EC_HTTP1_TRAILERS 0x20	 /* chunked trailers rendered as header lines */
#define EC_HTTP1_INFO 0x40	 /* 1xx interim response */

/* The longest head (start line + headers) accepted. */
#define EC_HTTP1_MAX_HEAD (64u << 10)

struct ec_http1_msg {
	enum ec_http1_kind kind;
	/* head as received (trailers before its empty line), body; may point into
	 * the input given to ec_http1_feed: valid until the next feed or reset */
	const uint8_t *data;
	size_t len;
	size_t head_len;
	uint64_t body_len; /* body bytes on the wire (after de-chunking), before any cut */
	unsigned flags;
	int status;	   /* responses */
	char method[16];   /* requests */
	char encoding[16]; /* Content-Encoding, lower case, "" if none */
	/* a message sent in parts (ec_http1_take_part): this is part `part`
	 * (from 1; 0 for a whole message), more follow unless it completes the
	 * message; only the first part holds the head (head_len 0 after) */
	unsigned part;
	int more;
	uint64_t kept;	    /* body bytes kept, all parts together */
	size_t trailer_len; /* parts only: trailer lines at the end of the last part */
};

struct ec_http1;

/* max_body: body bytes kept per message; longer bodies are cut. */
struct ec_http1 *ec_http1_new(size_t max_body);
void ec_http1_free(struct ec_http1 *h);

/*
 * Parse from p. Returns the bytes consumed (>= 0): bytes not consumed are
 * an incomplete line and must be offered again with more input appended.
 * Stops right after a message ends (ec_http1_done). EC_ERR_PROTO when the
 * bytes are not HTTP/1 here (nothing consumed; ec_http1_error says why),
 * EC_ERR_TOOBIG when a head passes EC_HTTP1_MAX_HEAD. req_flags describe
 * the request a response answers (EC_HTTP1_REQ_*).
 */
long ec_http1_feed(struct ec_http1 *h, const uint8_t *p, size_t n, unsigned req_flags);
/* The input ended (close, idle): completes a body framed by the end. */
int ec_http1_finish(struct ec_http1 *h);
/* A message is complete; read it, then ec_http1_reset. */
int ec_http1_done(const struct ec_http1 *h);
/* Part of a message has been consumed. */
int ec_http1_busy(const struct ec_http1 *h);
/* The message; an incomplete one holds what is known so far (after parts:
 * what came since the last, numbered as the last part). */
const struct ec_http1_msg *ec_http1_message(struct ec_http1 *h);
/*
 * A message that stays open (a chunked or streaming response, a long
 * body) goes out in parts: once its head is complete, take what is held —
 * the head and the body so far in the first part, the body since the last
 * part after that — into *part (valid until the next call on h) and drop
 * it from h. Returns the part's number, or 0 when there is nothing new (no
 * complete head, no body bytes since the last part). Parsing goes on as
 * before; the message that finally completes is the last part.
 */
unsigned ec_http1_take_part(struct ec_http1 *h, struct ec_http1_msg *part);
/* Forget the current message (complete or not). */
void ec_http1_reset(struct ec_http1 *h);
const char *ec_http1_error(const struct ec_http1 *h);

/*
 * Whether p could begin an HTTP/1 message: 1 yes, 0 no, -1 too short to
 * tell.
 */
int ec_http1_looks_like(const uint8_t *p, size_t n);
/* Offset of the first line start in p that begins a message; n if none. */
size_t ec_http1_find_start(const uint8_t *p, size_t n);

/*
 * Inflate a gzip (gzip != 0) or deflate body with zlib into a new buffer
 * of at most max bytes. EC_ERR_TOOBIG when it would be longer, EC_ERR_PROTO
 * when the data is not valid.
 */
int ec_http1_inflate(const uint8_t *in, size_t n, int gzip, size_t max, uint8_t **out,
		     size_t *outlen);

/* The HTTP/1 decoder ec-parse drives (lib/proto/parse.h). */
struct ec_parse_proto;
extern const struct ec_parse_proto ec_http1_proto;

#endif
