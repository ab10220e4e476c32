/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Redis's RESP2 and RESP3 (also Valkey, KeyDB, Dragonfly): reading one
 * value in pieces as its bytes come, rendering commands and replies as
 * redis-cli shows them, and the ec-parse decoder (types
 * EC_TYPE_REDIS_REQUEST/RESPONSE, docs/PARSE.md).
 */
#ifndef EC_REDIS_H
#define EC_REDIS_H

#include <stddef.h>
#include <stdint.h>

#include "parse.h"
#include "text.h"

#define EC_REDIS_MAX_DEPTH 16	      /* aggregates nested deeper are not RESP to us */
#define EC_REDIS_MAX_LINE 65536	      /* longest simple string, error or inline command */
#define EC_REDIS_MAX_BULK (512 << 20) /* Redis's proto-max-bulk-len default */
#define EC_REDIS_WHOLE_BULK 4096      /* a command's bulks up to this long are taken whole */
#define EC_REDIS_FACTS 3	      /* top-level strings kept (a command's name, a push's kind) */
#define EC_REDIS_FACT_LEN 64	      /* bytes kept of each */
#define EC_REDIS_LINE_LEN 100	      /* bytes kept of a simple value's line or an error */

/* An aggregate being read. */
struct ec_redis_level {
	uint8_t type;	 /* '*' '~' '>' '%' '|' */
	uint8_t mute;	 /* an attribute or inside one: not shown */
	uint8_t shown;	 /* the element in progress has its number out */
	uint8_t w;	 /* digits of n */
	uint16_t indent; /* where its lines after the first start */
	uint32_t n, k;	 /* elements declared (pairs for '%' and '|'); values done */
};

/*
 * One value read in pieces. Zero it and set command and t before its first
 * byte; the facts at the end describe it once done.
 */
struct ec_redis_val {
	int command;	   /* a client's: an array of bulk strings or an inline line */
	struct ec_text *t; /* the rendering; NULL to frame only */
	size_t wire;	   /* bytes taken */
	int done;
	int depth; /* aggregates open in lv */
	struct ec_redis_level lv[EC_REDIS_MAX_DEPTH];
	/* a bulk string whose body is being read */
	uint8_t btype;
	long long bleft;      /* body bytes still to come */
	int crlf;	      /* then the "\r\n" bytes still to come */
	int bare, skip, fact; /* shown as a bare word; bytes not shown ("txt:"); its fact slot */
	/* facts: the type (an attribute's value's), a bulk's length or an
	 * aggregate's count (-1 null; an inline command's words), the line of a
	 * simple value or an error's first bytes, and the first strings of an
	 * aggregate (or an inline command's words); bit i of strs: s[i] is one */
	uint8_t type;
	long long len;
	uint8_t line[EC_REDIS_LINE_LEN];
	size_t line_n;
	uint8_t s[EC_REDIS_FACTS][EC_REDIS_FACT_LEN];
	size_t sn[EC_REDIS_FACTS];
	unsigned strs;
};

/*
 * Take bytes of the value v reads: how many (whole lines, a long bulk's
 * body in any pieces), -1 when p does not continue a RESP value. v->done
 * once the value is complete; bytes after it are not taken. Fewer than n
 * taken and not done: the rest (an incomplete line or short bulk) must
 * come again with the bytes after it.
 */
long ec_redis_feed(struct ec_redis_val *v, const uint8_t *p, size_t n);

/*
 * The length of the one RESP value at p: > 0 when it is complete in the n
 * bytes, 0 when more bytes are needed, -1 when p does not start a value.
 * command: a client's command (an array of bulk strings, or an inline
 * line of words such as "PING\r\n").
 */
long ec_redis_frame(const uint8_t *p, size_t n, int command);

/*
 * A complete value (n from ec_redis_frame) as redis-cli shows it: a
 * command as its words (`SET key "a b"`), a reply as `"value"`,
 * `(integer) 3`, `(nil)`, `(error) ERR ...`, numbered lines for arrays.
 */
void ec_redis_render(struct ec_text *t, const uint8_t *p, size_t n, int command);

extern const struct ec_parse_proto ec_redis_proto;

#endif
