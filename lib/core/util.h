/* SPDX-License-Identifier: GPL-2.0-only */
/* Tiny helpers every command uses (sbase's util). */
#ifndef EC_UTIL_H
#define EC_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

extern const char *argv0;

/* Call first in main(): sets argv0, ignores SIGPIPE (EPIPE is handled). */
void ec_init(const char *prog);
/* "prog: message" on stderr; control bytes in it shown as \xNN (lib/core/utf8). */
void ec_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* ec_warn, then exit(status). */
void ec_die(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
void *ec_xmalloc(size_t n);
void *ec_xcalloc(size_t n, size_t m);
void *ec_xrealloc(void *p, size_t n);
char *ec_xstrdup(const char *s);
/* Print "prog VERSION" on stdout and exit 0. */
void ec_version(void) __attribute__((noreturn));

/* Parse an unsigned integer with optional k/M/G suffix (powers of 1024). */
int ec_util_parse_size(const char *s, uint64_t *out);
/* Parse a decimal integer in [min, max]. */
int ec_util_parse_int(const char *s, long long min, long long max, long long *out);

/*
 * The value of an option getopt_long declares optional_argument: getopt
 * only sees "--opt=VALUE", people type "--opt VALUE" too. Returns optarg,
 * else the next argument when it does not start with '-' (taken: optind
 * moves past it), else NULL (the option alone, for its default).
 */
const char *ec_optarg_optional(int argc, char **argv);

/*
 * The secret of a token file (--token-file, systemd's LoadCredential=): its
 * one line, a final newline dropped, of visible ASCII only (it goes into an
 * HTTP header). Returns the secret (malloc'd), or NULL after a one-line
 * error naming OPT, the file and the fix (the caller exits 1).
 */
char *ec_util_read_token(const char *opt, const char *path);

/* Base64 (RFC 4648) of n bytes into out, which holds 4*((n+2)/3)+1 bytes. */
size_t ec_base64(const uint8_t *in, size_t n, char *out);
/* Nonzero when the bytes are printable text (UTF-8, tabs, newlines). */
int ec_is_text(const uint8_t *p, size_t n);
/* Nonzero when the bytes are valid UTF-8 without NULs. */
int ec_is_utf8(const uint8_t *p, size_t n);
/* hexdump -C style dump of n bytes to f. */
void ec_hexdump(FILE *f, const uint8_t *p, size_t n);
/* ns since the epoch, now (CLOCK_REALTIME). */
int64_t ec_now_ns(void);
/* ns on CLOCK_MONOTONIC (bpf_ktime_get_ns's clock): for delays and deadlines. */
int64_t ec_mono_ns(void);
/* FNV-1a of n bytes, on from h (EC_FNV1A_INIT to start): a hash for tables and seen-sets. */
#define EC_FNV1A_INIT 0xcbf29ce484222325ull
uint64_t ec_fnv1a(uint64_t h, const void *p, size_t n);
/* ns since the epoch → "2026-12-02T14:20:31.123456789Z" (buf >= 32). */
char *ec_fmt_time(int64_t ns, char *buf, size_t len);

#endif
