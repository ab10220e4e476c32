/*
 * The ec-parse filter: reads capture records, re-emits connection bytes as
 * typed protocol messages (HTTP/1 requests and responses, HTTP/2 streams,
 * WebSocket frames; type 0 for the rest) and passes every other record
 * (process logs, heartbeats, key-log lines, packets, already typed events)
 * through unchanged and in order.
 */
#ifndef EC_PARSE_H
#define EC_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "stream.h"

struct ec_parse_opts {
	size_t max_body;   /* body bytes kept per message (cut beyond) */
	size_t max_buffer; /* unconsumed bytes buffered per direction */
	int64_t idle_ns;   /* forget connections idle this long (stream time) */
	size_t max_conns;  /* connections tracked at once (LRU eviction) */
	int decode_body;   /* inflate gzip/deflate bodies */
	int64_t part_ns;   /* live input: open messages go out in parts after this; 0 never */
};

#define EC_PARSE_MAX_BODY_DEFAULT (1u << 20)
#define EC_PARSE_MAX_BUFFER_DEFAULT (1u << 20)
#define EC_PARSE_IDLE_DEFAULT (60ll * 1000000000ll)
#define EC_PARSE_MAX_CONNS_DEFAULT 16384
#define EC_PARSE_PART_DEFAULT (200ll * 1000000ll)

struct ec_parse_stats {
	uint64_t records, events, bytes, passed;
	uint64_t out[6]; /* messages out by type */
	uint64_t desync, gaps, lost_reports, cut, evicted, expired;
	uint64_t decoded, closed;
	uint64_t parts; /* parts before the last of messages sent in parts */
	size_t peak_conns;
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

#endif
