/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The ec-parse filter: reads capture records, re-emits connection bytes as
 * typed protocol messages (HTTP/1 requests and responses, HTTP/2 streams,
 * WebSocket frames; type 0 for the rest), decrypts the TLS of packet
 * records with the key log lines beside them (lib/decrypt/decrypt.h) into
 * such bytes first, and passes every other record (process logs,
 * heartbeats, key-log lines, handshakes, already typed events) through
 * unchanged and in order.
 */
#ifndef EC_PARSE_H
#define EC_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "reasm.h"
#include "record.h"
#include "stream.h"

struct ec_parse_opts {
	size_t max_body;   /* body bytes kept per message (cut beyond) */
	size_t max_buffer; /* unconsumed bytes buffered per direction */
	int64_t idle_ns;   /* forget connections idle this long (stream time) */
	size_t max_conns;  /* connections tracked at once (LRU eviction) */
	int decode_body;   /* inflate gzip/deflate bodies */
	int64_t part_ns;   /* live input: open messages go out in parts after this; 0 never */
	const struct ec_pbwire_schema *schema; /* --proto: gRPC messages' types; NULL none */
	/* packet records (ec-capture tls --keys-only): decrypted (lib/decrypt/decrypt.h),
	 * then dropped unless keep_packets; decrypt_all: also connections no
	 * handshake record names */
	int keep_packets, decrypt_all;
};

#define EC_PARSE_MAX_BODY_DEFAULT (1u << 20)
#define EC_PARSE_MAX_BUFFER_DEFAULT (1u << 20)
#define EC_PARSE_IDLE_DEFAULT (60ll * 1000000000ll)
#define EC_PARSE_MAX_CONNS_DEFAULT 16384
#define EC_PARSE_PART_DEFAULT (200ll * 1000000ll)

struct ec_pbwire_schema;

struct ec_parse_stats {
	uint64_t records, events, bytes, passed;
	uint64_t out[EC_TYPE_COUNT]; /* messages out by type */
	uint64_t desync, gaps, lost_reports, cut, evicted, expired;
	uint64_t decoded, closed;
	uint64_t parts; /* parts before the last of messages sent in parts */
	size_t peak_conns;
	/* decryption of packet records */
	uint64_t packets, decrypted_conns, plain_bytes, undecrypted_conns;
};

struct ec_parse;

void ec_parse_opts_default(struct ec_parse_opts *o);
struct ec_parse *ec_parse_new(const struct ec_parse_opts *o, struct ec_writer *w);
/*
 * One input record (its bytes without the length prefix). EC_ERR_DECODE
 * when they are not a LogEntry (nothing written), or the writer's error.
 */
int ec_parse_record(struct ec_parse *p, const uint8_t *buf, size_t len);
/*
 * Live input. The records that follow arrived at mono_ns (CLOCK_MONOTONIC,
 * ec_reader_arrival); 0, the default, for a file. Only records with an
 * arrival time can hold a message long enough to be sent in parts.
 */
void ec_parse_arrival(struct ec_parse *p, int64_t mono_ns);
/*
 * The input is quiet (call it then, with the time now): every direction
 * whose oldest byte not yet out arrived part_ns or more before now sends
 * what it holds of an open message as a part (Event.part = k, more_parts
 * set; the message's end is its last part, more_parts clear). *next_ns
 * gets the time until the next one is due, 0 if none. Returns the
 * writer's error, if any.
 */
int ec_parse_tick(struct ec_parse *p, int64_t now, int64_t *next_ns);
/* End of input: flush every connection (bodies ended by close complete). */
int ec_parse_finish(struct ec_parse *p);
void ec_parse_get_stats(const struct ec_parse *p, struct ec_parse_stats *s);
void ec_parse_free(struct ec_parse *p);

/*
 * ---- For protocol decoders ----
 *
 * A protocol decoder is one file (lib/proto/http1.c, http2.c, ws.c, ...) behind
 * one table, struct ec_parse_proto, listed in parse.c. parse.c keeps the
 * connections, buffers bytes no decoder took yet, numbers fragments, and
 * turns what decoders emit into Events; a decoder frames messages and says
 * what they mean for the connection (an upgrade, a tunnel).
 */

/* One direction of a connection, as a decoder sees it (parse.c owns it). */
struct ec_parse_dir {
	const struct ec_parse_opts *o;
	int di;				    /* 0 or 1: the direction's index in its connection */
	struct ec_parse_dir *peer;	    /* the connection's other direction */
	const struct ec_parse_proto *proto; /* what the connection speaks; NULL until detected */
	struct ec_mark start; /* first fragment of the message (or part) in progress */
	int desync;	      /* lost sync: wait for a message start */
	int hold;	      /* wait for the other direction's answer (ec_parse_release) */
	int mark_next;	      /* a part went out: the next byte starts the next part */
	uint64_t exchange;    /* the exchange that upgraded the connection (WebSocket) */
};

/*
 * An exchange (docs/PROTOCOL.md): a request as the records of its
 * response(s) name it. Decoders keep one per request awaiting its answer.
 */
struct ec_parse_exchange {
	uint64_t id;
	int64_t req_end;		 /* time of the request's last byte (so far) */
	char *method, *authority, *path; /* malloc'd; NULL when unknown */
};

/* Bytes a decoder works on: an event's payload, or a direction's buffer. */
struct ec_parse_src {
	const uint8_t *p;
	size_t n;
	const struct ec_rdir *rd; /* marks come from here when set */
	const struct ec_mark *m;  /* else every byte has this mark */
};

/* One Event out: a typed message, or bytes as type 0. */
struct ec_parse_out {
	uint32_t type;
	struct ec_mark m;     /* the fragment its first byte came in */
	const uint8_t *a, *b; /* payload: a then b */
	size_t an, bn;
	int desync, truncated;
	int decoded; /* the body was inflated (--decode-body): counted */
	uint64_t orig_length;
	const char *note;
	uint32_t h2_stream_id, ws_opcode;
	int ws_fin;
	unsigned part;	      /* of a message sent in parts; 0 whole */
	int more;	      /* more parts follow */
	uint64_t exchange_id; /* requests, WebSocket messages: their exchange (0 none) */
	/* responses: the request answered (NULL when it was not seen), the
	 * status, and the time of the last byte when this is the whole message
	 * or its last part (0 otherwise) */
	const struct ec_parse_exchange *answers;
	uint32_t status;
	int64_t end_ts;
	/* requests of the protocols past HTTP (types 6 and up): their exchange,
	 * whose id, method, authority and path the record carries */
	const struct ec_parse_exchange *asks;
	/* responses past HTTP: the outcome in words ("3 rows", "ERROR 42P01")
	 * and whether the request failed (Event.summary, Event.failed) */
	const char *summary;
	int failed;
};

/* What a decoder may use to tell which end of a connection speaks. */
struct ec_parse_hint {
	int sent; /* the traced process sent these bytes (else received them) */
	uint32_t local_port, remote_port; /* of the traced process's end; 0 unknown */
	const char *local_ip, *remote_ip; /* "" unknown; valid while the connection is */
};

/* d's hint, from its connection's capture metadata. */
void ec_parse_hint(const struct ec_parse_dir *d, struct ec_parse_hint *h);
/*
 * "IP:PORT" ("[IP6]:PORT") of the server when d carries requests: the
 * remote end when the traced process sent them, else its own (malloc'd);
 * NULL when the capture knows no address.
 */
char *ec_parse_server(const struct ec_parse_dir *d);

/*
 * A decoder. st is its state for one connection (both directions), made
 * (zeroed) the first time the connection speaks the protocol and released
 * with the connection. detect, finish and take_part may be NULL; the others
 * are required of every decoder in parse.c's list.
 */
struct ec_parse_proto {
	const char *name;
	/*
	 * From a connection's first bytes (in direction d; ec_parse_hint tells
	 * who sent them and the ports, which may confirm what the bytes suggest
	 * but never decide alone): 1 it speaks this protocol, 0 not, -1 too
	 * short to tell. Decoders are asked in list order; the first that does
	 * not answer 0 decides. NULL: entered only by ec_parse_switch.
	 */
	int (*detect)(const struct ec_parse_dir *d, const uint8_t *p, size_t n);
	size_t conn_size;		/* st's size: parse.c allocates it zeroed */
	void (*conn_release)(void *st); /* free what st holds (parse.c frees st) */
	/*
	 * Decode s from off while d->proto is this decoder, d->hold is clear
	 * and ec_parse_failed is not; emit each message (ec_parse_emit). Returns
	 * where it stopped: bytes it left are buffered and offered again, with
	 * what comes after them, on the next call.
	 */
	size_t (*consume)(struct ec_parse_dir *d, void *st, const struct ec_parse_src *s,
			  size_t off);
	/* Direction di holds part of a message. */
	int (*busy)(const void *st, int di);
	/* Forget direction di's message in progress (its bytes were given up). */
	void (*reset)(void *st, int di);
	/*
	 * The direction gives its bytes up (lost sync, close, idle, eviction,
	 * lost events): emit what can still go out typed, with note. Returns 0
	 * when it holds no open message (the next decoder is asked), 1 when it
	 * emitted what it held, 2 when the open message's bytes (from d->start)
	 * are left in *held and *held_len to go out as type 0.
	 */
	int (*give_up)(struct ec_parse_dir *d, void *st, const char *note, int desync,
		       const uint8_t **held, size_t *held_len);
	/*
	 * The input ended and nothing is buffered: complete a message framed by
	 * the end (an HTTP/1 body until close). 1 when it did and emitted it.
	 */
	int (*finish)(struct ec_parse_dir *d, void *st);
	/* Live input went quiet: emit what an open message holds as a part. */
	void (*take_part)(struct ec_parse_dir *d, void *st);
};

/*
 * What a connection's requests await, first in first out (pipelining): a
 * ring of elements of one size (each a decoder's own struct, its exchange
 * and what answering needs), grown as needed. Zeroed is empty.
 */
struct ec_parse_queue {
	char *p;
	size_t size, head, n, cap;
};

/* Copy e (size bytes, the same for every push) to the tail; returns its slot. */
void *ec_parse_queue_push(struct ec_parse_queue *q, const void *e, size_t size);
/* The oldest element; NULL when empty. */
void *ec_parse_queue_head(const struct ec_parse_queue *q);
/* The i-th element from the oldest (i < q->n). */
void *ec_parse_queue_at(const struct ec_parse_queue *q, size_t i);
/* Drop the oldest (what it holds is the caller's to free first). */
void ec_parse_queue_pop(struct ec_parse_queue *q);
void ec_parse_queue_free(struct ec_parse_queue *q);

/*
 * busy and reset of a decoder that takes whole messages from parse.c's
 * buffer and so holds no message of its own between calls (redis, dns).
 */
int ec_parse_busy_never(const void *st, int di);
void ec_parse_reset_nothing(void *st, int di);

/* A tunnel (CONNECT, 101 to something other than WebSocket): bytes as type 0. */
extern const struct ec_parse_proto ec_parse_tunnel;

/* The fragment byte off of s came in. */
struct ec_mark ec_parse_mark(const struct ec_parse_src *s, size_t off);
/* o out as one Event with d's connection metadata, counted in the stats (nothing once the
 * writer failed). */
void ec_parse_emit(struct ec_parse_dir *d, const struct ec_parse_out *o);
/* Bytes a then b out as type 0 from mark m (one Event). */
void ec_parse_untyped(struct ec_parse_dir *d, struct ec_mark m, const uint8_t *a, size_t an,
		      const uint8_t *b, size_t bn, int desync, const char *note);
/* A message was cut at --max-body: counted, and logged now and then. */
void ec_parse_cut(struct ec_parse_dir *d, const char *what);
/* Append s to the note in buf ("; " between notes). */
void ec_parse_note(char *buf, size_t cap, const char *s);
/* The notes every part of a message sent in parts carries. */
void ec_parse_part_notes(const struct ec_parse_dir *d, char *note, size_t cap, unsigned part,
			 int more, size_t trailer_len, const char *encoding);
/* From now on the connection (both directions) speaks pr. */
void ec_parse_switch(struct ec_parse_dir *d, const struct ec_parse_proto *pr);
/* Clear d->hold and decode the bytes d buffered meanwhile. */
void ec_parse_release(struct ec_parse_dir *d);
/* A new exchange id (from 1, in the order requests are seen). */
uint64_t ec_parse_exchange_id(struct ec_parse_dir *d);
/*
 * x from a request's rendered head (start line "METHOD TARGET VERSION",
 * then "Host:" or ":authority:"; an absolute-form target gives both
 * authority and path, CONNECT's authority-form the authority), its id
 * kept when set, else a new one. Strings replaced, not leaked.
 */
void ec_parse_exchange_set(struct ec_parse_dir *d, struct ec_parse_exchange *x, const uint8_t *head,
			   size_t n);
/*
 * The value of header name (with its colon: "host:") in head's lines, case
 * insensitive, without the whitespace around it; NULL when there is none.
 */
const uint8_t *ec_parse_header(const uint8_t *head, size_t n, const char *name, size_t *vlen);
/* The method, authority and path of a request head, as for an exchange (malloc'd; NULL unknown). */
void ec_parse_request_facts(const uint8_t *head, size_t n, char **method, char **authority,
			    char **path);
/* Free x's strings and zero it. */
void ec_parse_exchange_clear(struct ec_parse_exchange *x);
/* The status code of a response's start line ("HTTP/1.1 200 OK", "HTTP/2.0 204"); 0 if none. */
uint32_t ec_parse_status(const uint8_t *head, size_t n);

/* The writer failed: decoders stop. */
int ec_parse_failed(const struct ec_parse_dir *d);

#endif
