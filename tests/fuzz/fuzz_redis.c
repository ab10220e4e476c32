// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for lib/proto/redis: values framed one after the other
 * (the first byte: inline commands allowed, and the text bound), each
 * rendered as a command and as a reply; every prefix of a value must need
 * more bytes, never frame differently.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "redis.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int inl = data[0] & 1;
	struct ec_text t = {.lim = 1 + (size_t)(data[0] >> 1) * 16};
	data++;
	size--;
	size_t off = 0;
	while (off < size) {
		long k = ec_redis_frame(data + off, size - off, inl);
		if (k <= 0)
			break;
		if ((size_t)k > size - off)
			abort();
		/* a value's last byte is what completes it */
		if (ec_redis_frame(data + off, (size_t)k - 1, inl) > 0)
			abort();
		for (int cmd = 0; cmd < 2; cmd++) {
			ec_text_reset(&t, t.lim);
			ec_redis_render(&t, data + off, (size_t)k, cmd);
			if (t.len > t.lim)
				abort();
		}
		off += (size_t)k;
	}
	ec_text_free(&t);
	return 0;
}
