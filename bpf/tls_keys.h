/* SPDX-License-Identifier: GPL-2.0-only */
/* TLS key material read out of a live OpenSSL connection object.
 *
 * Shared by the BPF side (bpf/tls_keys.bpf.h, called from bpf/tls.bpf.c)
 * and user space (lib/capture/sslkeys.c, which turns a struct tls_keys into NSS key
 * log lines).  Nothing but plain fixed-size types: the same bytes travel in a
 * ring-buffer event.  The offsets come from a per-version row of
 * lib/capture/sslkeys_rows.h, produced by tools/ssl-offsets (see docs/TLS-KEYS.md).
 */
#ifndef EC_TLS_KEYS_H
#define EC_TLS_KEYS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define TLS_KEYS_RANDOM_LEN 32 /* SSL3_RANDOM_SIZE */
#define TLS_KEYS_MASTER_LEN 48 /* SSL3_MASTER_SECRET_SIZE */
#define TLS_KEYS_SECRET_LEN 64 /* EVP_MAX_MD_SIZE */

/* struct tls_ssl_offsets.flags */
#define TLS_OFF_S3_PTR 0x1	/* ssl_st.s3 is a pointer (1.1.1, BoringSSL), not inline (3.x) */
#define TLS_OFF_HS_SECRETS 0x2	/* client/server handshake traffic secrets are stored */
#define TLS_OFF_VERSION_U16 0x4 /* ssl version is a uint16_t (BoringSSL), not an int */
#define TLS_OFF_SESS_IN_S3                                                                         \
	0x8		       /* session: a pointer in s3, not in ssl (BoringSSL's                \
				* s3->established_session) */
#define TLS_OFF_MKLEN_U32 0x10 /* master key length is an int, not a size_t */
#define TLS_OFF_NO_HS 0x20     /* no handshake_secret/handshake_traffic_hash to read */
#define TLS_OFF_MKLEN_U8 0x80  /* master key length is a uint8_t (newer BoringSSL) */
#define TLS_OFF_TRAFFIC_RW                                                                         \
	0x40 /* TLS 1.3 secrets in s3 by direction (BoringSSL):                                    \
	      * client_app_traffic_secret = s3 write secret,                                       \
	      * server_app_traffic_secret = s3 read secret,                                        \
	      * swapped when the server bit is set;                                                \
	      * exporter_master_secret in s3 too */

/* Byte offsets inside the library's private structs.  An offset is relative to
 * the struct named in its comment; "ssl" is the SSL * the hooked function got
 * (struct ssl_st in 1.1.1/3.0/3.1, struct ssl_connection_st from 3.2 on, whose
 * first member is the public struct ssl_st, so the SSL * points at it). */
struct tls_ssl_offsets {
	__u32 flags;
	__u32 version;			 /* ssl: int version (0x0303 TLS 1.2, 0x0304 TLS 1.3) */
	__u32 s3;			 /* ssl: struct ssl3_state_st s3 (or pointer to it) */
	__u32 s3_client_random;		 /* s3: unsigned char client_random[32] */
	__u32 session;			 /* ssl: SSL_SESSION *session */
	__u32 sess_master_key_length;	 /* session: size_t master_key_length */
	__u32 sess_master_key;		 /* session: unsigned char master_key[] */
	__u32 sess_cipher;		 /* session: const SSL_CIPHER *cipher */
	__u32 cipher_id;		 /* cipher: uint32_t id (0x03001301...) */
	__u32 handshake_secret;		 /* ssl: unsigned char [EVP_MAX_MD_SIZE] */
	__u32 handshake_traffic_hash;	 /* ssl: hash of ClientHello..ServerHello */
	__u32 client_hs_traffic_secret;	 /* ssl: only with TLS_OFF_HS_SECRETS */
	__u32 server_hs_traffic_secret;	 /* ssl: only with TLS_OFF_HS_SECRETS */
	__u32 client_app_traffic_secret; /* ssl: CLIENT_TRAFFIC_SECRET_0 */
	__u32 server_app_traffic_secret; /* ssl: SERVER_TRAFFIC_SECRET_0 */
	__u32 exporter_master_secret;	 /* ssl: EXPORTER_SECRET */
	__u32 server;			 /* ssl: byte holding the server bit (TRAFFIC_RW) */
	__u32 server_mask;		 /* the bit in that byte */
};

/* The hash length of a TLS 1.3 cipher suite (SSL_CIPHER id): 32 (SHA-256),
 * 48 (SHA-384), or 0 for a suite that is not TLS 1.3's.  The secrets of a
 * connection are this long. */
static inline unsigned tls_keys_tls13_hash_len(__u32 id)
{
	switch (id) {
	case 0x03001301: /* TLS_AES_128_GCM_SHA256 */
	case 0x03001303: /* TLS_CHACHA20_POLY1305_SHA256 */
	case 0x03001304: /* TLS_AES_128_CCM_SHA256 */
	case 0x03001305: /* TLS_AES_128_CCM_8_SHA256 */
		return 32;
	case 0x03001302: /* TLS_AES_256_GCM_SHA384 */
		return 48;
	}
	return 0;
}

/* struct tls_keys.valid: which parts were read without a fault */
#define TLS_KEYS_HAVE_RANDOM 0x01
#define TLS_KEYS_HAVE_MASTER 0x02 /* master_key + master_key_len */
#define TLS_KEYS_HAVE_CIPHER 0x04
#define TLS_KEYS_HAVE_HS 0x08	      /* handshake_secret + handshake_traffic_hash */
#define TLS_KEYS_HAVE_HS_TRAFFIC 0x10 /* client/server_hs_traffic */
#define TLS_KEYS_HAVE_APP 0x20	      /* client/server_app_traffic + exporter */

/* The raw material: 536 bytes, too big for the BPF stack, so the BPF side
 * fills it in a map value or a ring-buffer reservation. */
struct tls_keys {
	__u32 version;	      /* ssl->version */
	__u32 cipher_id;      /* session->cipher->id, 0 if unknown */
	__u32 valid;	      /* TLS_KEYS_HAVE_* */
	__u32 master_key_len; /* session->master_key_length, clamped to 48 */
	__u8 client_random[TLS_KEYS_RANDOM_LEN];
	__u8 master_key[TLS_KEYS_MASTER_LEN];
	__u8 handshake_secret[TLS_KEYS_SECRET_LEN];
	__u8 handshake_traffic_hash[TLS_KEYS_SECRET_LEN];
	__u8 client_hs_traffic[TLS_KEYS_SECRET_LEN];
	__u8 server_hs_traffic[TLS_KEYS_SECRET_LEN];
	__u8 client_app_traffic[TLS_KEYS_SECRET_LEN];
	__u8 server_app_traffic[TLS_KEYS_SECRET_LEN];
	__u8 exporter_secret[TLS_KEYS_SECRET_LEN];
};

#endif
