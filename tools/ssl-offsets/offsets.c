// SPDX-License-Identifier: GPL-2.0-only
/* Print one row of lib/capture/sslkeys_rows.h: the byte offsets ec-capture needs
 * inside the private structs of the OpenSSL release this file is compiled
 * against.  Build it with tools/ssl-offsets/gen.sh SRCDIR, which configures
 * the source tree so its private header ssl/ssl_local.h compiles:
 *
 *   cc -I SRCDIR -I SRCDIR/include tools/ssl-offsets/offsets.c
 *
 * Only offsetof() facts come out; nothing of the library is copied.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "ssl/ssl_local.h"

#if OPENSSL_VERSION_NUMBER < 0x10101000L
#error "OpenSSL before 1.1.1 has no TLS 1.3 secrets: not supported"
#endif

#ifdef SSL_TYPE_SSL_CONNECTION
/* 3.2 and later: SSL * of a TLS connection points at struct ssl_connection_st,
 * whose first member is the public struct ssl_st */
typedef struct ssl_connection_st conn_t;
_Static_assert(offsetof(struct ssl_connection_st, ssl) == 0, "ssl_st is not first");
#else
typedef struct ssl_st conn_t;
#endif

#if OPENSSL_VERSION_NUMBER < 0x30000000L
/* 1.1.1: SSL3_STATE *s3, allocated separately */
#define S3_FLAGS "TLS_OFF_S3_PTR"
#define S3_OFF offsetof(conn_t, s3)
#define S3_RANDOM offsetof(struct ssl3_state_st, client_random)
#else
/* 3.x: the s3 struct is inline; client_random offset is taken from ssl */
#define S3_FLAGS "0"
#define S3_OFF offsetof(conn_t, s3)
#define S3_RANDOM (offsetof(conn_t, s3.client_random) - offsetof(conn_t, s3))
#endif

#define F(name, value) printf("\t\t\t.%s = %zu,\n", name, (size_t)(value))

/* argv: [NAME [FIRST [LAST]]]; empty or missing ones come from the release */
int main(int argc, char **argv)
{
	char ver[32], defname[48];
	const char *name, *first, *last;

	/* "OpenSSL 3.0.22 25 Aug 2026" -> "3.0.22" */
	snprintf(ver, sizeof(ver), "%s", OPENSSL_VERSION_TEXT + 8);
	ver[strcspn(ver, " -")] = '\0';
	snprintf(defname, sizeof(defname), "openssl-%.*s", (int)(strrchr(ver, '.') - ver), ver);
	name = argc > 1 && argv[1][0] ? argv[1] : defname;
	first = argc > 2 && argv[2][0] ? argv[2] : ver;
	last = argc > 3 && argv[3][0] ? argv[3] : first;

	/* sanity: the sizes struct tls_keys relies on */
	_Static_assert(SSL3_RANDOM_SIZE == 32, "client_random is not 32 bytes");
	_Static_assert(EVP_MAX_MD_SIZE == 64, "secrets are not 64 bytes");
	_Static_assert(sizeof(((SSL_SESSION *)0)->master_key_length) == 8, "size_t");

	printf("\t/* %s, by tools/ssl-offsets/gen.sh */\n", OPENSSL_VERSION_TEXT);
	printf("\t{\n\t\t.name = \"%s\",\n\t\t.first = \"%s\",\n\t\t.last = \"%s\",\n", name, first,
	       last);
	printf("\t\t.off =\n\t\t{\n\t\t\t.flags = %s,\n", S3_FLAGS);
	F("version", offsetof(conn_t, version));
	F("s3", S3_OFF);
	F("s3_client_random", S3_RANDOM);
	F("session", offsetof(conn_t, session));
	F("sess_master_key_length", offsetof(SSL_SESSION, master_key_length));
	F("sess_master_key", offsetof(SSL_SESSION, master_key));
	F("sess_cipher", offsetof(SSL_SESSION, cipher));
	F("cipher_id", offsetof(SSL_CIPHER, id));
	F("handshake_secret", offsetof(conn_t, handshake_secret));
	F("handshake_traffic_hash", offsetof(conn_t, handshake_traffic_hash));
	F("client_app_traffic_secret", offsetof(conn_t, client_app_traffic_secret));
	F("server_app_traffic_secret", offsetof(conn_t, server_app_traffic_secret));
	F("exporter_master_secret", offsetof(conn_t, exporter_master_secret));
	printf("\t\t},\n\t},\n");
	return 0;
}
