/* SPDX-License-Identifier: GPL-2.0-only */
/* TLS key log: which struct offsets fit a TLS library, and NSS key log lines
 * from the raw key material the BPF side read (bpf/tls_keys.h).
 * docs/TLS-KEYS.md explains the table and how a row is produced. */
#ifndef EC_SSLKEYS_H
#define EC_SSLKEYS_H

#include <stddef.h>
#include <stdint.h>

#include "tls_keys.h"

/* One row of the offsets table (lib/capture/sslkeys_rows.h): struct layouts checked
 * for the library versions first..last (inclusive, "3.0.22", "1.1.1w"). */
struct ec_sslkeys_row {
	const char *name; /* "openssl-3.0" */
	const char *first;
	const char *last;
	struct tls_ssl_offsets off;
};

/* Longest NSS key log line ec_sslkeys_lines produces, with its NUL. */
#define EC_SSLKEYS_LINE_MAX 256

/* The version string of the TLS library at libpath, e.g. "OpenSSL 3.0.22 25
 * Aug 2026", "BoringSSL" or "LibreSSL 3.8.2", copied into ver (NUL-terminated,
 * cut to len).  OpenSSL 3's libssl carries no version string: the libcrypto
 * beside it (same directory, "libssl" in the name replaced by "libcrypto") is
 * read then.  EC_ERR_IO: cannot open or map the file (errno set);
 * EC_ERR_NOTFOUND: no version string; EC_ERR_INVAL: bad arguments. */
int ec_sslkeys_version(const char *libpath, char *ver, size_t len);
/* The same search in the n bytes at buf (a mapped library, a test buffer). */
int ec_sslkeys_version_buf(const void *buf, size_t n, char *ver, size_t len);

/* The row whose version range holds the OpenSSL version in ver (a string as
 * from ec_sslkeys_version); NULL when the library or version has no row.
 * BoringSSL carries no version: its rows are only found by name. */
const struct ec_sslkeys_row *ec_sslkeys_find_row(const char *ver);

/* For a version no row covers, the row of the same major.minor release
 * whose range is nearest (3.0.2 -> openssl-3.0): a guess, to be used only
 * where calibration (lib/capture/sslcal.h) cannot run.  *exact is 1 when a row covers
 * ver itself (ec_sslkeys_find_row's answer).  NULL when no row shares the
 * release line, and for BoringSSL. */
const struct ec_sslkeys_row *ec_sslkeys_nearest_row(const char *ver, int *exact);

/* The row called name ("openssl-3.0", "boringssl-android13"), or NULL. */
const struct ec_sslkeys_row *ec_sslkeys_row_by_name(const char *name);

/* All rows, for --help and docs; *n gets the count. */
const struct ec_sslkeys_row *ec_sslkeys_rows(size_t *n);

/* The NSS key log lines (no newline) for one connection's key material:
 * TLS 1.0-1.2 "CLIENT_RANDOM <random> <master>"; TLS 1.3
 * CLIENT_HANDSHAKE_TRAFFIC_SECRET and SERVER_HANDSHAKE_TRAFFIC_SECRET (stored,
 * or derived from handshake_secret and handshake_traffic_hash with
 * HKDF-Expand-Label), CLIENT_TRAFFIC_SECRET_0, SERVER_TRAFFIC_SECRET_0 and
 * EXPORTER_SECRET, each only when its secret is present (not all zeros).
 * on_line is called once per line; a nonzero return stops and is returned.
 * Returns the number of lines (> 0), or EC_ERR_PROTO when the material is
 * unusable (unknown version, all-zero random or secrets, bad master key
 * length, unknown TLS 1.3 cipher suite), EC_ERR_INVAL for NULL arguments. */
int ec_sslkeys_lines(const struct tls_keys *k, int (*on_line)(const char *line, void *ctx),
		     void *ctx);

/* The last lines written, to drop repeats: both ends of a connection on one
 * machine are hooked, and give the same lines.  Zero it to start. */
#define EC_SSLKEYS_SEEN_MAX 4096
struct ec_sslkeys_seen {
	uint64_t hash[EC_SSLKEYS_SEEN_MAX]; /* FNV-1a of each line */
	size_t n, next;
};

/* 1 when line is among the last EC_SSLKEYS_SEEN_MAX distinct lines (a
 * repeat), else 0 after remembering it in place of the oldest. */
int ec_sslkeys_seen(struct ec_sslkeys_seen *s, const char *line);

#endif
