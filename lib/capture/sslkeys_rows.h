/* SPDX-License-Identifier: GPL-2.0-only */
/* The offsets table: one row per TLS library release whose private struct
 * layouts were printed by tools/ssl-offsets/gen.sh (docs/TLS-KEYS.md says how
 * to add a row).  Data only; included by lib/capture/sslkeys.c alone.  A row covers
 * the releases first..last whose layouts are known to be the same. */
static const struct ec_sslkeys_row ec_sslkeys_table[] = {
    /* OpenSSL 3.0.22 25 Aug 2026, by tools/ssl-offsets/gen.sh; Debian 12
     * libssl3 3.0.22-1~deb12u2 checked against its key log callback by
     * tests/unit/test_sslkeys.c; 3.0.19-1~deb12u2 calibrated to the same
     * row (lib/capture/sslcal.h) */
    {
	.name = "openssl-3.0",
	.first = "3.0.19",
	.last = "3.0.22",
	.off =
	    {
		.flags = 0,
		.version = 0,
		.s3 = 168,
		.s3_client_random = 184,
		.session = 2328,
		.sess_master_key_length = 8,
		.sess_master_key = 80,
		.sess_cipher = 760,
		.cipher_id = 24,
		.handshake_secret = 1412,
		.handshake_traffic_hash = 1796,
		.client_app_traffic_secret = 1860,
		.server_app_traffic_secret = 1924,
		.exporter_master_secret = 1988,
	    },
    },
    /* OpenSSL 1.1.1w  11 Sep 2023, by tools/ssl-offsets/gen.sh; Debian 11
     * libssl1.1 1.1.1w-0+deb11u1 checked with tests/unit/test_sslkeys.c
     * built against it (docs/TLS-KEYS.md) */
    {
	.name = "openssl-1.1",
	.first = "1.1.1w",
	.last = "1.1.1w",
	.off =
	    {
		.flags = TLS_OFF_S3_PTR,
		.version = 0,
		.s3 = 168,
		.s3_client_random = 184,
		.session = 1296,
		.sess_master_key_length = 8,
		.sess_master_key = 80,
		.sess_cipher = 496,
		.cipher_id = 24,
		.handshake_secret = 380,
		.handshake_traffic_hash = 764,
		.client_app_traffic_secret = 828,
		.server_app_traffic_secret = 892,
		.exporter_master_secret = 956,
	    },
    },
    /* OpenSSL 3.5.7 9 Jun 2026, by tools/ssl-offsets/gen.sh from Debian 13's
     * source; Debian 13 libssl3t64 3.5.9-1~deb13u1 checked with
     * tests/unit/test_sslkeys.c (run under Debian 13's glibc); Debian's
     * libssl3t64 3.6.5-1 calibrated to the same row (lib/capture/sslcal.h) */
    {
	.name = "openssl-3.5",
	.first = "3.5.7",
	.last = "3.6.5",
	.off =
	    {
		.flags = 0,
		.version = 72,
		.s3 = 352,
		.s3_client_random = 40,
		.session = 2304,
		.sess_master_key_length = 8,
		.sess_master_key = 80,
		.sess_cipher = 760,
		.cipher_id = 24,
		.handshake_secret = 1468,
		.handshake_traffic_hash = 1852,
		.client_app_traffic_secret = 1916,
		.server_app_traffic_secret = 1980,
		.exporter_master_secret = 2044,
	    },
    },
    /* BoringSSL 1530333b25589ee4d4d52b10e78ee55dd82f6dcd (Android 13, Debian 12's
     * android-libboringssl 13.0.0+r24-2), printed by offsetof() over its
     * ssl/internal.h; checked with tools/ssl-offsets/check-boringssl.c.
     * BoringSSL has no version string: this row is used only when asked for
     * by name.  Its handshake secrets live in s3->hs, freed after the
     * handshake: TLS 1.3 gives the traffic and exporter secrets only. */
    {
	.name = "boringssl-android13",
	.first = "",
	.last = "",
	.off =
	    {
		.flags = TLS_OFF_S3_PTR | TLS_OFF_VERSION_U16 | TLS_OFF_SESS_IN_S3 |
			 TLS_OFF_MKLEN_U32 | TLS_OFF_NO_HS | TLS_OFF_TRAFFIC_RW,
		.version = 16,
		.s3 = 48,
		.s3_client_random = 48,
		.session = 456, /* s3->established_session */
		.sess_master_key_length = 12,
		.sess_master_key = 16,
		.sess_cipher = 208,
		.cipher_id = 16,
		.client_app_traffic_secret = 280, /* s3->write_traffic_secret */
		.server_app_traffic_secret = 328, /* s3->read_traffic_secret */
		.exporter_master_secret = 376,	  /* s3->exporter_secret */
		.server = 164,
		.server_mask = 0x1,
	    },
    },
};
