// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for lib/proto/http2 (frames + nghttp2 HPACK inflation): the
 * input is offered in pieces (the first byte picks the size) as ec-parse
 * offers reassembled bytes; errors reset the parser the way a desync does,
 * open streams are flushed at the end. Small body and frame limits make
 * the cut and too-big paths run.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t piece = 1 + data[0] % 128;
	data++;
	size--;
	struct ec_http2 *h = ec_http2_new(512, 4096);
	struct ec_mark m = {1, 2, 3};
	uint8_t *pend = malloc(size + 1);
	size_t plen = 0, pos = 0;
	volatile uint8_t sink = 0;
	while (pos < size) {
		size_t n = size - pos < piece ? size - pos : piece;
		memcpy(pend + plen, data + pos, n);
		plen += n;
		pos += n;
		size_t off = 0;
		while (off < plen) {
			long k = ec_http2_feed(h, pend + off, plen - off, &m);
			if (k < 0) {
				ec_http2_reset(h);
				off = plen;
				break;
			}
			off += (size_t)k;
			long ts = ec_http2_take_table_setting(h);
			if (ts >= 0)
				ec_http2_table_size(h, (size_t)ts);
			(void)ec_http2_take_reset(h);
			if (ec_http2_done(h)) {
				const struct ec_http2_msg *msg = ec_http2_message(h);
				for (size_t i = 0; i < msg->len; i++)
					sink ^= msg->data[i];
				ec_http2_release(h);
				continue;
			}
			if (k == 0)
				break;
		}
		memmove(pend, pend + off, plen - off);
		plen -= off;
	}
	while (ec_http2_flush(h))
		ec_http2_release(h);
	ec_http2_abort(h, 1);
	free(pend);
	ec_http2_free(h);
	return 0;
}
