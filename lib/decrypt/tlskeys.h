/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The TLS secrets ec-parse has seen, by client random: NSS key log lines
 * (the run_log of RECORD_KIND_KEYLOG records, or a --keylog file) parsed
 * and kept in a bounded table (oldest client random dropped first).
 */
#ifndef EC_TLSKEYS_H
#define EC_TLSKEYS_H

#include <stddef.h>
#include <stdint.h>

#define EC_TLSKEYS_SECRET_MAX 64

enum ec_tlskeys_label {
	EC_TLSKEYS_CLIENT_RANDOM = 0, /* TLS 1.0-1.2 master secret (48 bytes) */
	EC_TLSKEYS_CLIENT_EARLY,      /* CLIENT_EARLY_TRAFFIC_SECRET */
	EC_TLSKEYS_CLIENT_HS,	      /* CLIENT_HANDSHAKE_TRAFFIC_SECRET */
	EC_TLSKEYS_SERVER_HS,	      /* SERVER_HANDSHAKE_TRAFFIC_SECRET */
	EC_TLSKEYS_CLIENT_APP,	      /* CLIENT_TRAFFIC_SECRET_0 */
	EC_TLSKEYS_SERVER_APP,	      /* SERVER_TRAFFIC_SECRET_0 */
	EC_TLSKEYS_EXPORTER,	      /* EXPORTER_SECRET */
	EC_TLSKEYS_NLABELS
};

struct ec_tlskeys_entry {
	uint8_t random[32];
	uint32_t have; /* bit (1u << label) when that secret is known */
	uint8_t len[EC_TLSKEYS_NLABELS];
	uint8_t secret[EC_TLSKEYS_NLABELS][EC_TLSKEYS_SECRET_MAX];
};

struct ec_tlskeys;

struct ec_tlskeys *ec_tlskeys_new(size_t max_randoms);
/*
 * One NSS key log line ("LABEL <64 hex random> <hex secret>", hex in either
 * case, no newline needed; comments and blank lines are ignored: 0). Returns
 * 1 when it added a secret (or changed one), 0 for a line that adds nothing
 * (already known, or a label kept by nobody: EARLY_EXPORTER_SECRET, RSA,
 * ECH_*, OpenSSL's *_TRAFFIC_SECRET_N after a KeyUpdate), EC_ERR_PROTO for a
 * malformed line or an unknown label. Secrets are 1 to 64 bytes.
 */
int ec_tlskeys_add_line(struct ec_tlskeys *k, const char *line, size_t n);
/* The entry the last ec_tlskeys_add_line that returned 1 changed; valid
 * until the next add. */
const struct ec_tlskeys_entry *ec_tlskeys_last(const struct ec_tlskeys *k);
/* The secrets of a client random; NULL when none. Valid until the next add. */
const struct ec_tlskeys_entry *ec_tlskeys_find(const struct ec_tlskeys *k,
					       const uint8_t random[32]);
void ec_tlskeys_free(struct ec_tlskeys *k);

#endif
