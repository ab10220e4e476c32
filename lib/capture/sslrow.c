// SPDX-License-Identifier: GPL-2.0-only
/* Offsets rows as text: one table of field names, so the writer and the
 * parser cannot drift apart. */
#include "sslrow.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIELD(f)                                                                                   \
	{                                                                                          \
#f, offsetof(struct tls_ssl_offsets, f)                                            \
	}
static const struct {
	const char *name;
	size_t off;
} fields[] = {
    FIELD(flags),
    FIELD(version),
    FIELD(s3),
    FIELD(s3_client_random),
    FIELD(session),
    FIELD(sess_master_key_length),
    FIELD(sess_master_key),
    FIELD(sess_cipher),
    FIELD(cipher_id),
    FIELD(handshake_secret),
    FIELD(handshake_traffic_hash),
    FIELD(client_hs_traffic_secret),
    FIELD(server_hs_traffic_secret),
    FIELD(client_app_traffic_secret),
    FIELD(server_app_traffic_secret),
    FIELD(exporter_master_secret),
    FIELD(server),
    FIELD(server_mask),
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

#define KNOWN_FLAGS                                                                                \
	(TLS_OFF_S3_PTR | TLS_OFF_HS_SECRETS | TLS_OFF_VERSION_U16 | TLS_OFF_SESS_IN_S3 |          \
	 TLS_OFF_MKLEN_U32 | TLS_OFF_NO_HS | TLS_OFF_TRAFFIC_RW | TLS_OFF_MKLEN_U8)
#define VALUE_MAX (1u << 20) /* no private struct is a megabyte long */

static __u32 *field(struct tls_ssl_offsets *off, size_t i)
{
	return (__u32 *)((char *)off + fields[i].off);
}

int ec_sslrow_format(const struct tls_ssl_offsets *off, char *buf, size_t len)
{
	size_t used = 0;

	for (size_t i = 0; i < NFIELDS; i++) {
		__u32 v = *field((struct tls_ssl_offsets *)off, i);
		int n = snprintf(buf + used, len - used,
				 i == 0 || i == NFIELDS - 1 ? "%s%s=0x%x" : "%s%s=%u", i ? " " : "",
				 fields[i].name, v);
		if (n < 0 || (size_t)n >= len - used)
			return -1;
		used += (size_t)n;
	}
	return (int)used;
}

int ec_sslrow_parse(const char *s, struct tls_ssl_offsets *off, size_t *bad)
{
	unsigned seen = 0;
	const char *p = s;

	memset(off, 0, sizeof(*off));
	while (*p) {
		const char *eq = strchr(p, '=');
		size_t i, nlen;
		char *end;
		unsigned long v;

		if (!eq)
			goto fail;
		nlen = (size_t)(eq - p);
		for (i = 0; i < NFIELDS; i++)
			if (strlen(fields[i].name) == nlen && !memcmp(fields[i].name, p, nlen))
				break;
		if (i == NFIELDS || (seen & (1u << i)))
			goto fail;
		p = eq + 1;
		if (*p < '0' || *p > '9')
			goto fail;
		v = strtoul(p, &end, 0);
		if (end == p || v >= VALUE_MAX || (*end != ' ' && *end != '\0'))
			goto fail;
		*field(off, i) = (__u32)v;
		seen |= 1u << i;
		p = *end ? end + 1 : end;
	}
	if (seen != (1u << NFIELDS) - 1 || (off->flags & ~KNOWN_FLAGS) || off->server_mask > 0xff)
		goto fail;
	return 0;
fail:
	if (bad)
		*bad = (size_t)(p - s);
	return -1;
}
