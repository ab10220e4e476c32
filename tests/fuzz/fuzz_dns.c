// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for lib/proto/dns: the input rendered as one DNS message
 * (names, compression, every record type), then as a script of DNS over
 * TLS traffic through the whole filter (script.h, port 853).
 */
#include "dns.h"
#include "script.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ec_text t = {0};
	struct ec_dns_facts f;
	ec_text_reset(&t, 1 + (size_t)(size ? data[0] : 0) * 8);
	ec_dns_render(&t, data, size, &f);
	if (t.len > t.lim || !memchr(f.qname, 0, sizeof f.qname))
		abort();
	ec_text_free(&t);
	return run_script(data, size, 853, "kdig");
}
