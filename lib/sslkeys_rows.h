/* The offsets table: one row per TLS library release whose private struct
 * layouts were printed by tools/ssl-offsets/gen.sh (docs/TLS-KEYS.md says how
 * to add a row).  Data only; included by lib/sslkeys.c alone.  A row covers
 * the releases first..last whose layouts are known to be the same. */
static const struct ec_sslkeys_row ec_sslkeys_table[] = {
    /* OpenSSL 3.0.22 25 Aug 2026, by tools/ssl-offsets/gen.sh; Debian 12
     * libssl3 3.0.22-1~deb12u2 checked against its key log callback by
     * tests/unit/test_sslkeys.c */
    {
	.name = "openssl-3.0",
	.first = "3.0.22",
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
};
