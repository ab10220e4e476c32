/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ec-serve's page (www/, docs/SERVE.md): the files built into the binary
 * (tools/www-blob.sh), served on the WebSocket port with a strict
 * Content-Security-Policy. Nothing captured is in them: they need no token.
 */
#ifndef EC_WWW_H
#define EC_WWW_H

#include <stddef.h>

struct ec_www_file {
	const char *path, *ctype;
	const unsigned char *data;
	size_t len;
};

/* The file served at path ("/" is the page), or NULL. */
int ec_www_find(const char *path, struct ec_www_file *out);

/* What the page may do: its own scripts and styles, its WebSocket, images
 * it makes from captured bytes (blob:) — no inline script, no frame, no form. */
#define EC_WWW_CSP                                                                                 \
	"default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "            \
	"img-src blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

#endif
