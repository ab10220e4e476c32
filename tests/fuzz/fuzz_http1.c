// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for lib/proto/http1: the input is offered in pieces (the
 * first byte picks the piece size) the way ec-parse offers reassembled
 * bytes, as a request/response direction, with a tiny body cap so the cut
 * path runs too; gzip bodies go through the bounded inflater.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t piece = 1 + data[0] % 64;
	unsigned req_flags = data[0] >> 6;
	data++;
	size--;
	struct ec_http1 *h = ec_http1_new(256);
	uint8_t *pend = malloc(size + 1);
	size_t plen = 0, pos = 0;
	while (pos < size) {
		size_t n = size - pos < piece ? size - pos : piece;
		memcpy(pend + plen, data + pos, n);
		plen += n;
		pos += n;
		size_t off = 0;
		while (off < plen) {
			long k = ec_http1_feed(h, pend + off, plen - off, req_flags);
			if (k < 0) {
				ec_http1_reset(h);
				off = plen; /* give the rest up, like a desync */
				break;
			}
			off += (size_t)k;
			if (ec_http1_done(h)) {
				const struct ec_http1_msg *m = ec_http1_message(h);
				volatile uint8_t sink = 0;
				for (size_t i = 0; i < m->len; i++)
					sink ^= m->data[i];
				if (m->len > m->head_len) {
					uint8_t *out;
					size_t outlen;
					if (!ec_http1_inflate(m->data + m->head_len,
							      m->len - m->head_len, 1, 4096, &out,
							      &outlen))
						free(out);
				}
				ec_http1_reset(h);
				continue;
			}
			if (k == 0)
				break;
		}
		memmove(pend, pend + off, plen - off);
		plen -= off;
	}
	ec_http1_finish(h);
	(void)ec_http1_message(h);
	free(pend);
	ec_http1_free(h);
	return 0;
}
