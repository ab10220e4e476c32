// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for lib/proto/redis: values read one after the other
 * (the first byte: commands or replies, the text bound, the size of the
 * pieces), each whole and again in pieces; both readings must agree (the
 * same length, text and facts), a value must need its last byte, and the
 * text must stay in its bound.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "redis.h"

/* v fed p in pieces of step bytes, what it does not take offered again. */
static long pieces(struct ec_redis_val *v, const uint8_t *p, size_t n, size_t step)
{
	size_t have = 0, taken = 0;
	while (!v->done && have < n) {
		have = have + step < n ? have + step : n;
		long k = ec_redis_feed(v, p + taken, have - taken);
		if (k < 0)
			return -1;
		if ((size_t)k > have - taken)
			abort();
		taken += (size_t)k;
	}
	return v->done ? (long)taken : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	int command = data[0] & 1;
	size_t lim = 1 + (size_t)(data[0] >> 1) * 16, step = 1 + data[1] % 64;
	data += 2;
	size -= 2;
	struct ec_text tw = {0}, tp = {0};
	size_t off = 0;
	while (off < size) {
		ec_text_reset(&tw, lim);
		ec_text_reset(&tp, lim);
		struct ec_redis_val w = {.command = command, .t = &tw};
		struct ec_redis_val p = {.command = command, .t = &tp};
		long k = ec_redis_feed(&w, data + off, size - off);
		long kp = pieces(&p, data + off, size - off, step);
		if (k < 0 || !w.done) {
			/* not a value, or not complete: in pieces neither */
			if (kp > 0)
				abort();
			break;
		}
		if (kp != k || (size_t)k > size - off || p.wire != w.wire)
			abort();
		if (tw.len > lim || tw.len != tp.len ||
		    memcmp(ec_text_get(&tw), ec_text_get(&tp), tw.len))
			abort();
		if (p.type != w.type || p.len != w.len || p.strs != w.strs ||
		    p.line_n != w.line_n || memcmp(p.line, w.line, w.line_n))
			abort();
		/* a value's last byte is what completes it */
		if (ec_redis_frame(data + off, (size_t)k - 1, command) != 0)
			abort();
		off += (size_t)k;
	}
	ec_text_free(&tw);
	ec_text_free(&tp);
	return 0;
}
