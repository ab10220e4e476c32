// SPDX-License-Identifier: GPL-2.0-only
/*
 * lib/forward/forward: any payload as a type 1 or 2 request either rebuilds into a
 * request whose parts are sane (then URL, curl header list, dry-run
 * printing and filters run on it) or fails with a message naming a byte
 * offset. The first byte picks the type, the note and the fallback address.
 */
#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "forward.h"
#include "replay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	uint32_t type = 1 + (data[0] & 1);
	const char *note = data[0] & 2 ? "decoded gzip" : NULL;
	const char *ip = data[0] & 4 ? "::1" : data[0] & 8 ? "" : "127.0.0.1";
	struct ec_forward_request r;
	char msg[256];
	int err = ec_forward_parse(&r, type, data + 1, size - 1, ip, data[0] & 16 ? 0 : 443, note,
				   msg, sizeof msg);
	if (err) {
		if (strncmp(msg, "at byte ", 8) || r.method || r.hdr || r.body)
			abort();
		if (err != EC_ERR_PROTO && err != EC_ERR_UNSUPPORTED)
			abort();
		return 0;
	}
	if (!r.method[0] || !r.authority[0] || !r.path[0] || !r.scheme || !r.from ||
	    r.body_len > size)
		abort();
	for (size_t i = 0; i < r.nhdr; i++)
		if (strpbrk(r.hdr[i].value, "\r\n") || ec_forward_hop_by_hop(r.hdr[i].name) ||
		    r.hdr[i].name[0] == ':')
			abort();
	char *u = ec_forward_url(&r, data[0] & 32 ? "http://127.0.0.1:1/p" : NULL, data[0] & 64,
				 msg, sizeof msg);
	if (!u)
		abort();
	FILE *f = fopen("/dev/null", "w");
	ec_forward_print(f, &r, u, data[0] & 128);
	fclose(f);
	struct curl_slist *l = ec_replay_headers(&r, 1);
	curl_slist_free_all(l);
	EcEvent ev = EVENT__EVENT__INIT;
	ev.pname = "x";
	struct ec_forward_filter flt = {
	    .methods = "GET,POST", .host = "*", .path = "/*", .content_type = "*/*", .pname = "?"};
	(void)ec_forward_match(&flt, &ev, &r);
	free(u);
	ec_forward_request_free(&r);
	return 0;
}
