/* SPDX-License-Identifier: GPL-2.0-only */
/* Calibration: the offsets row (bpf/tls_keys.h) of one OpenSSL-family
 * library, learnt by running that very library file.  The helper
 * libexec/ec-sslcal.c, embedded in the tools, loads it in a sandboxed child
 * (new PID, network, mount, IPC and UTS namespaces; read-only mounts; uid and
 * gid nobody, no capabilities, no new privileges; a seccomp allow-list; CPU,
 * memory, file-size and wall-time limits), handshakes TLS 1.2 and 1.3 in
 * memory and reports where each secret lives.  The report is accepted only if
 * the row, read back with the BPF reader, reproduces every line of the
 * library's own key-log callback.  Rows are cached by the library's GNU
 * build-id.  docs/TLS-KEYS.md tells the whole story. */
#ifndef EC_SSLCAL_H
#define EC_SSLCAL_H

#include <stddef.h>

#include "tls_keys.h"

#define EC_SSLCAL_TIMEOUT_MS 3000
#define EC_SSLCAL_MEM_LIMIT (1024u << 20)
#define EC_SSLCAL_REPORT_MAX (256u << 10)

struct ec_sslcal_opts {
	/* the file system root the library belongs to ("/" when NULL): a
	 * container's /proc/PID/root or an unpacked distribution tree.  Its
	 * own dynamic loader and library folders are tried first, then the
	 * host's (for a library that runs under either glibc). */
	const char *root;
	const char *cache_dir; /* NULL or "": no cache */
	int timeout_ms;	       /* 0: EC_SSLCAL_TIMEOUT_MS */
	const char *helper;    /* a helper program to run instead of the embedded
				* one (tests: a hostile helper); NULL normally */
};

struct ec_sslcal_result {
	struct tls_ssl_offsets off;
	char version[128]; /* the library's version text, "" if it has none */
	char id[144];	   /* "build-id HEX", or "sha256 HEX" without one */
	int cached;	   /* 1: the row came from the cache */
	unsigned us;	   /* wall time of the whole call, microseconds */
	int objects;	   /* SSL objects checked (0 when cached) */
	int lines;	   /* key-log lines reproduced (0 when cached) */
	char note[256];	   /* what the row cannot give, "" if nothing */
};

/* The calibrated row for the libssl at path (a host path, e.g. under
 * /proc/PID/root).  Its libcrypto is the file its DT_NEEDED names, in the
 * same folder or the root's library folders.  0 and *res filled; else an
 * ec_error with a one-line reason in err: EC_ERR_IO (a file cannot be read,
 * the cache cannot be written), EC_ERR_UNSUPPORTED (not an ELF shared
 * library, not OpenSSL-family, no key-log callback), EC_ERR_BUSY (the helper
 * ran out of time or memory, or was killed), EC_ERR_PROTO (its report is
 * malformed or the row does not reproduce the callback's lines). */
int ec_sslcal_row(const char *libssl, const struct ec_sslcal_opts *opts,
		  struct ec_sslcal_result *res, char *err, size_t errlen);

/* Check a helper report (the text format in libexec/ec-sslcal.c): the row
 * parses, every SSL object was read through it, and for each object the key
 * log lines lib/capture/sslkeys.c makes of what was read equal the callback's (all
 * of them; only the traffic and exporter secrets for TLS 1.3 when the row
 * says the library keeps no handshake secrets).  Fills res->off, version,
 * objects, lines, note.  0; EC_ERR_PROTO with the reason in err; or
 * EC_ERR_UNSUPPORTED with the helper's own "error" line in err.  Not
 * reentrant: its per-object scratch (300 KiB) is static. */
int ec_sslcal_check(const char *report, size_t n, struct ec_sslcal_result *res, char *err,
		    size_t errlen);

/* The GNU build-id of the ELF file open at fd as "build-id HEX", or a
 * SHA-256 of its contents as "sha256 HEX" when it has none.  0, or
 * EC_ERR_IO / EC_ERR_UNSUPPORTED (not an ELF shared object) with errno. */
int ec_sslcal_file_id(int fd, char *id, size_t len);

#endif
