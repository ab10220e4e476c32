/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * DNS messages (RFC 1035, EDNS0) rendered as dig shows them, and DNS over
 * TLS (RFC 7858: two-byte length framing) as the ec-parse decoder of types
 * EC_TYPE_DNS_QUERY/RESPONSE (docs/PARSE.md).
 */
#ifndef EC_DNS_H
#define EC_DNS_H

#include <stddef.h>
#include <stdint.h>

#include "http2.h"
#include "parse.h"
#include "text.h"

/* What a message says, for its record's facts. */
struct ec_dns_facts {
	uint16_t id, qtype, ancount;
	int qr, rcode;
	char qname[1100]; /* escaped presentation form (4 bytes a byte at most), "." the root */
};

/*
 * Render the message m (n bytes) into t like dig's sections and fill f.
 * 0, or -1 when the message is malformed (what could be read is rendered,
 * then a line saying where it broke).
 */
int ec_dns_render(struct ec_text *t, const uint8_t *m, size_t n, struct ec_dns_facts *f);

/* A type's mnemonic ("A", "AAAA", "TYPE65280"): into buf, returned. */
const char *ec_dns_type_name(uint16_t type, char *buf, size_t cap);
/* An rcode's name ("NOERROR", "NXDOMAIN", "RCODE12"). */
const char *ec_dns_rcode_name(int rcode, char *buf, size_t cap);

/*
 * DNS over HTTPS (RFC 8484) inside HTTP/2 (http2.c calls in, as for gRPC):
 * a request with a DNS message (POST application/dns-message, or GET
 * ?dns=BASE64URL) starts an exchange g beside the HTTP one, http; the
 * application/dns-message response of a started one answers it.
 */
void ec_dns_doh(struct ec_parse_dir *d, const struct ec_http2_msg *msg,
		const struct ec_parse_exchange *http, struct ec_parse_exchange *g, int64_t end_ts);

extern const struct ec_parse_proto ec_dns_proto;

#endif
