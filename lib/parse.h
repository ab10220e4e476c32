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
};

#define EC_PARSE_MAX_BODY_DEFAULT (1u << 20)
#define EC_PARSE_MAX_BUFFER_DEFAULT (1u << 20)
#define EC_PARSE_IDLE_DEFAULT (60ll * 1000000000ll)
#define EC_PARSE_MAX_CONNS_DEFAULT 16384

struct ec_parse_stats {
	uint64_t records, events, bytes, passed;
	uint64_t out[6]; /* messages out by type */
	uint64_t desync, gaps, lost_reports, cut, evicted, expired;
	uint64_t decoded, closed;
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
/* End of input: flush every connection (bodies ended by close complete). */
int ec_parse_finish(struct ec_parse *p);
void ec_parse_get_stats(const struct ec_parse *p, struct ec_parse_stats *s);
void ec_parse_free(struct ec_parse *p);

#endif
