/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The MySQL/MariaDB client/server protocol (protocol 41): packets, the
 * login, commands (COM_QUERY, prepared statements with their binary
 * parameters), OK/ERR and result sets (text and binary rows), as the
 * ec-parse decoder of types EC_TYPE_MYSQL_REQUEST/RESPONSE (docs/PARSE.md).
 */
#ifndef EC_MYSQL_H
#define EC_MYSQL_H

#include <stddef.h>
#include <stdint.h>

#include "parse.h"

#define EC_MYSQL_MAX_PACKET 0xffffff /* a payload this long continues in the next packet */

/*
 * The packet at p: 1 with its payload (*pl, *plen) and sequence id, 0 when
 * more bytes are needed, -1 when p cannot start a packet (an empty one).
 */
int ec_mysql_packet(const uint8_t *p, size_t n, const uint8_t **pl, size_t *plen, uint8_t *seq);

/* A length-encoded integer at *p (advanced past it); -1 when truncated or 0xff. */
int ec_mysql_lenenc(const uint8_t **p, const uint8_t *end, uint64_t *v);

extern const struct ec_parse_proto ec_mysql_proto;

#endif
