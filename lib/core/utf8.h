/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * UTF-8 for hostile bytes: a process name, a header or a payload may hold
 * anything. Records keep their proto3 string fields well-formed UTF-8
 * (ec_utf8_fix, U+FFFD for each ill-formed part) and ec-dump keeps a
 * terminal inert (ec_utf8_escape, control characters as \xNN).
 */
#ifndef EC_UTF8_H
#define EC_UTF8_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * The sequence at p (n >= 1 bytes): returns the length of one well-formed
 * character with *ok = 1, or of the maximal ill-formed subpart with *ok = 0
 * (Unicode 15 section 3.9, the parts Python's decode('utf-8', 'replace')
 * turns into one U+FFFD each).
 */
size_t ec_utf8_next(const uint8_t *p, size_t n, int *ok);

/* Nonzero when p is well-formed UTF-8 (NUL allowed, as in a proto3 string). */
int ec_utf8_valid(const uint8_t *p, size_t n);

/*
 * Text for a string field written as a C string: each ill-formed subpart
 * and each NUL becomes U+FFFD (EF BF BD). out holds 3 * n + 1 bytes; the
 * result is NUL-terminated and its length returned.
 */
size_t ec_utf8_fix(const uint8_t *p, size_t n, char *out);
/* The same, malloc'd (dies on out of memory). */
char *ec_utf8_fixdup(const uint8_t *p, size_t n);

enum ec_utf8_esc_flags {
	/*
	 * A payload: newline, tab and a CR before a newline pass as they are,
	 * and a backslash stays one backslash. Without it (a name, a note, a
	 * log line) every control character is escaped, and so are '\' (as
	 * "\\") and '"' (as "\""), so the escaped form reads back unambiguously.
	 */
	EC_UTF8_ESC_PAYLOAD = 1,
};

/*
 * Write p to f so that a terminal shows it and interprets nothing: C0
 * controls, DEL, C1 controls (U+0080-U+009F) and bytes that are not part
 * of well-formed UTF-8 become \xNN, one per byte (lower-case hex), as
 * `cat -v` and `less` make them visible. Printable UTF-8 passes unchanged.
 */
void ec_utf8_escape(FILE *f, const uint8_t *p, size_t n, unsigned flags);

#endif
