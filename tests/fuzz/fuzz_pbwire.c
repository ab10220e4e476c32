// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for lib/proto/grpc's schemaless protobuf renderer (the
 * call framing runs inside HTTP/2, fuzzed by fuzz_http2 and fuzz_parse):
 * any bytes, rendered within a bound the first byte picks.
 */
#include <stdint.h>
#include <stdlib.h>

#include "pbwire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	struct ec_text t = {0};
	ec_text_reset(&t, 1 + (size_t)data[0] * 16);
	ec_pbwire_render(&t, NULL, NULL, data + 1, size - 1, 0);
	if (t.len > t.lim)
		abort();
	ec_text_free(&t);
	return 0;
}
