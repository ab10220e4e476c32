// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzz lib/decrypt/tlsdec and tlskeys. The input is a key log (a 2-byte
 * little-endian length, then NSS lines) and then operations:
 *   0 or 1, a 2-byte length, bytes: data of that direction
 *   0x80 or 0x81, a 2-byte count: that many bytes of the direction lost
 *   0x82: the keys of the client random, now
 * The secrets are also given as soon as the ClientHello is seen (the seed
 * corpus is real connections, tests/unit/test_tlsdec.c EC_TLSDEC_CORPUS).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "tlsdec.h"
#include "tlskeys.h"

static size_t sink;

static void on_plain(void *ctx, int dir, const uint8_t *p, size_t n, int64_t ts)
{
	(void)ctx;
	(void)ts;
	if ((dir != 0 && dir != 1) || n == 0)
		abort();
	for (size_t i = 0; i < n; i++) /* every byte readable */
		sink += p[i];
}

static void on_note(void *ctx, int dir, const char *what, uint64_t lost, int64_t ts)
{
	(void)ctx;
	(void)lost;
	(void)ts;
	if ((dir != 0 && dir != 1) || !what[0] || strlen(what) > 255)
		abort();
}

static void keys(struct ec_tlsdec *t, struct ec_tlskeys *k)
{
	const uint8_t *r = ec_tlsdec_client_random(t);

	if (r)
		ec_tlsdec_keys(t, ec_tlskeys_find(k, r));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct ec_tlsdec_cb cb = {on_plain, on_note};
	struct ec_tlskeys *k = ec_tlskeys_new(4);
	struct ec_tlsdec *t;
	size_t kl, off, given = 0;

	if (!k || size < 2)
		goto out;
	kl = (size_t)data[0] | (size_t)data[1] << 8;
	if (kl > size - 2)
		kl = size - 2;
	for (size_t a = 2, b; a < 2 + kl; a = b + 1) {
		int rc;
		for (b = a; b < 2 + kl && data[b] != '\n'; b++)
			;
		rc = ec_tlskeys_add_line(k, (const char *)data + a, b - a);
		if (rc != 0 && rc != 1 && rc != EC_ERR_PROTO)
			abort();
	}
	t = ec_tlsdec_new(&cb, NULL, 1 << 16);
	if (!t)
		goto out;
	off = 2 + kl;
	while (off < size) {
		uint8_t op = data[off++];
		size_t n = 0;
		if (op != 0x82) {
			if (size - off < 2)
				break;
			n = (size_t)data[off] | (size_t)data[off + 1] << 8;
			off += 2;
		}
		if (op <= 1) {
			if (n > size - off)
				n = size - off;
			ec_tlsdec_data(t, op, data + off, n, (int64_t)off);
			off += n;
		} else if (op == 0x80 || op == 0x81) {
			ec_tlsdec_gap(t, op & 1, n, (int64_t)off);
		} else if (op == 0x82) {
			keys(t, k);
		}
		if (!given && ec_tlsdec_client_random(t)) {
			given = 1;
			keys(t, k);
		}
		if (ec_tlsdec_client_dir(t) > 1 || ec_tlsdec_state(t) > EC_TLSDEC_FAILED)
			abort();
	}
	(void)ec_tlsdec_describe(t);
	ec_tlsdec_end(t, (int64_t)size);
	ec_tlsdec_free(t);
out:
	ec_tlskeys_free(k);
	return 0;
}
