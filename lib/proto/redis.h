/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Redis's RESP2 and RESP3 (also Valkey, KeyDB, Dragonfly): framing one
 * value, rendering commands and replies as redis-cli shows them, and the
 * ec-parse decoder (types EC_TYPE_REDIS_REQUEST/RESPONSE, docs/PARSE.md).
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

/*
 * The length of the one RESP value at p: > 0 when it is complete in the n
 * bytes, 0 when more bytes are needed, -1 when p does not start a RESP
 * value. inline_ok: a client's inline command (a line of words, "PING\r\n")
 * is a value too.
 */
long ec_redis_frame(const uint8_t *p, size_t n, int inline_ok);

/*
 * A complete value (n from ec_redis_frame) as redis-cli shows it: a
 * command as its words (`SET key "a b"`), a reply as `"value"`,
 * `(integer) 3`, `(nil)`, `(error) ERR ...`, numbered lines for arrays.
 */
void ec_redis_render(struct ec_text *t, const uint8_t *p, size_t n, int command);

extern const struct ec_parse_proto ec_redis_proto;

#endif
