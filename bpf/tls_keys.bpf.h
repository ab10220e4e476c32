/* SPDX-License-Identifier: GPL-2.0-only */
/* Read the TLS key material of one OpenSSL connection (struct tls_keys) from
 * the hooked process, following the byte offsets of a struct tls_ssl_offsets.
 *
 * BPF side: include after vmlinux.h and <bpf/bpf_helpers.h>; reads go through
 * bpf_probe_read_user with constant sizes.  User space (the unit test that
 * checks a row against a live handshake) defines TLS_KEYS_READ to its own
 * reader first, so both sides run this very code.
 */
#ifndef EC_TLS_KEYS_BPF_H
#define EC_TLS_KEYS_BPF_H

#include "tls_keys.h"

#ifndef TLS_KEYS_READ
/* 0 on success, like bpf_probe_read_user */
#define TLS_KEYS_READ(dst, size, src) bpf_probe_read_user((dst), (size), (src))
#endif

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* Fill *out (which must not live on the BPF stack: 544 bytes).  Returns 0
 * when at least ssl->version could be read, -1 otherwise; out->valid says
 * which other parts were read.  Parts not read are left untouched, so
 * callers zero *out first (a ring-buffer reservation is not zeroed). */
static __always_inline int tls_read_keys(const void *ssl, const struct tls_ssl_offsets *off,
					 struct tls_keys *out)
{
	const char *p = (const char *)ssl;
	const char *s3 = 0, *sess = 0, *cipher = 0;
	__u64 mklen = 0;
	__u32 flags = off->flags;

	out->valid = 0;
	out->cipher_id = 0;
	out->master_key_len = 0;
	if (!p || TLS_KEYS_READ(&out->version, sizeof(out->version), p + off->version))
		return -1;
	if (flags & TLS_OFF_VERSION_U16)
		out->version &= 0xffff;

	/* s3.client_random (TLS 1.2 CLIENT_RANDOM; the 1.3 lines are keyed by it too) */
	if (flags & TLS_OFF_S3_PTR) {
		if (TLS_KEYS_READ(&s3, sizeof(s3), p + off->s3))
			s3 = 0;
	} else {
		s3 = p + off->s3;
	}
	if (s3 &&
	    !TLS_KEYS_READ(out->client_random, TLS_KEYS_RANDOM_LEN, s3 + off->s3_client_random))
		out->valid |= TLS_KEYS_HAVE_RANDOM;

	/* session->master_key (TLS 1.2) and session->cipher->id (1.3 hash) */
	if (flags & TLS_OFF_SESS_IN_S3) {
		if (!s3 || TLS_KEYS_READ(&sess, sizeof(sess), s3 + off->session))
			sess = 0;
	} else if (TLS_KEYS_READ(&sess, sizeof(sess), p + off->session)) {
		sess = 0;
	}
	if (sess) {
		if (flags & TLS_OFF_MKLEN_U8) {
			__u8 len8 = 0;
			if (TLS_KEYS_READ(&len8, sizeof(len8), sess + off->sess_master_key_length))
				len8 = 0;
			mklen = len8;
		} else if (flags & TLS_OFF_MKLEN_U32) {
			__u32 len32 = 0;
			if (TLS_KEYS_READ(&len32, sizeof(len32),
					  sess + off->sess_master_key_length))
				len32 = 0;
			mklen = len32;
		} else if (TLS_KEYS_READ(&mklen, sizeof(mklen),
					 sess + off->sess_master_key_length)) {
			mklen = 0;
		}
		if (mklen > 0 && mklen <= TLS_KEYS_MASTER_LEN &&
		    !TLS_KEYS_READ(out->master_key, TLS_KEYS_MASTER_LEN,
				   sess + off->sess_master_key)) {
			out->master_key_len = (__u32)mklen;
			out->valid |= TLS_KEYS_HAVE_MASTER;
		}
		if (!TLS_KEYS_READ(&cipher, sizeof(cipher), sess + off->sess_cipher) && cipher &&
		    !TLS_KEYS_READ(&out->cipher_id, sizeof(out->cipher_id),
				   cipher + off->cipher_id))
			out->valid |= TLS_KEYS_HAVE_CIPHER;
	}

	/* TLS 1.3 secrets, stored in the connection object (or in s3) */
	if (!(flags & TLS_OFF_NO_HS) &&
	    !TLS_KEYS_READ(out->handshake_secret, TLS_KEYS_SECRET_LEN, p + off->handshake_secret) &&
	    !TLS_KEYS_READ(out->handshake_traffic_hash, TLS_KEYS_SECRET_LEN,
			   p + off->handshake_traffic_hash))
		out->valid |= TLS_KEYS_HAVE_HS;
	if ((flags & TLS_OFF_HS_SECRETS) &&
	    !TLS_KEYS_READ(out->client_hs_traffic, TLS_KEYS_SECRET_LEN,
			   p + off->client_hs_traffic_secret) &&
	    !TLS_KEYS_READ(out->server_hs_traffic, TLS_KEYS_SECRET_LEN,
			   p + off->server_hs_traffic_secret))
		out->valid |= TLS_KEYS_HAVE_HS_TRAFFIC;
	const char *app = p;
	__u32 coff = off->client_app_traffic_secret, soff = off->server_app_traffic_secret;
	if (flags & TLS_OFF_TRAFFIC_RW) {
		__u8 bits = 0;
		app = s3;
		if (!s3 || TLS_KEYS_READ(&bits, sizeof(bits), p + off->server))
			return 0;
		if (bits & off->server_mask) { /* the server writes with the server secret */
			coff = off->server_app_traffic_secret;
			soff = off->client_app_traffic_secret;
		}
	}
	if (!TLS_KEYS_READ(out->client_app_traffic, TLS_KEYS_SECRET_LEN, app + coff) &&
	    !TLS_KEYS_READ(out->server_app_traffic, TLS_KEYS_SECRET_LEN, app + soff) &&
	    !TLS_KEYS_READ(out->exporter_secret, TLS_KEYS_SECRET_LEN,
			   app + off->exporter_master_secret))
		out->valid |= TLS_KEYS_HAVE_APP;
	return 0;
}

#endif
