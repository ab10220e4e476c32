// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for lib/proto/ws: WebSocket frames offered in pieces (the
 * first byte picks the size), with a small payload cap so cuts happen;
 * errors reset the parser like a desync does.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t piece = 1 + data[0] % 32;
	data++;
	size--;
	struct ec_ws *w = ec_ws_new(64);
	uint8_t *pend = malloc(size + 1);
	size_t plen = 0, pos = 0;
	volatile uint8_t sink = 0;
	(void)ec_ws_plausible(data, size);
	while (pos < size) {
		size_t n = size - pos < piece ? size - pos : piece;
		memcpy(pend + plen, data + pos, n);
		plen += n;
		pos += n;
		size_t off = 0;
		while (off < plen) {
			long k = ec_ws_feed(w, pend + off, plen - off);
			if (k < 0) {
				ec_ws_reset(w);
				off = plen;
				break;
			}
			off += (size_t)k;
			if (ec_ws_done(w)) {
				const struct ec_ws_msg *m = ec_ws_message(w);
				for (size_t i = 0; i < m->len; i++)
					sink ^= m->data[i];
				ec_ws_reset(w);
				continue;
			}
			if (k == 0)
				break;
		}
		memmove(pend, pend + off, plen - off);
		plen -= off;
	}
	if (ec_ws_busy(w))
		(void)ec_ws_message(w);
	free(pend);
	ec_ws_free(w);
	return 0;
}
