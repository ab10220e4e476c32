/* SPDX-License-Identifier: GPL-2.0-only */
/* One offsets row (struct tls_ssl_offsets, bpf/tls_keys.h) as one line of
 * text, "flags=0x41 version=16 s3=48 ...": the form a calibrated row takes in
 * the key cache and on the calibration helper's report (lib/capture/sslcal.c,
 * libexec/ec-sslcal.c).  No dependencies beyond libc, so the sandboxed
 * helper links it too. */
#ifndef EC_SSLROW_H
#define EC_SSLROW_H

#include <stddef.h>

#include "tls_keys.h"

/* Longest line ec_sslrow_format writes, with its NUL. */
#define EC_SSLROW_MAX 512

/* Write off as "name=value ..." (every field, fixed order) into buf.
 * Returns the length, or -1 when len is too small. */
int ec_sslrow_format(const struct tls_ssl_offsets *off, char *buf, size_t len);

/* Parse a line written by ec_sslrow_format into *off.  Every field must be
 * there exactly once, each value a decimal or 0x hex number below 2^20
 * (flags and server_mask: known bits only).  Returns 0, or -1 with *bad set
 * to the byte offset in s where the line goes wrong. */
int ec_sslrow_parse(const char *s, struct tls_ssl_offsets *off, size_t *bad);

#endif
