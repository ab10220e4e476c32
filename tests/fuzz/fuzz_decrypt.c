// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for lib/decrypt/decrypt.c behind ec-parse: the input is
 * a record stream (varint-length-delimited LogEntry records, as
 * `ec-capture tls --keys-only` writes: packets, key log lines, handshakes).
 * Undecodable records are skipped, as `ec-parse --keep-going` does. Seeds
 * are real keys-only captures (tests/fixtures/keys-only.pb), so mutations
 * land in packet bytes, randoms and secrets. Whatever ec-parse writes must
 * decode again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "parse.h"
#include "record.h"
#include "stream.h"

static size_t varint(const uint8_t *p, size_t n, uint64_t *v)
{
	*v = 0;
	for (size_t i = 0; i < n && i < 10; i++) {
		*v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80))
			return i + 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int out = memfd_create("out", 0);
	struct ec_writer *w = ec_writer_new(out);
	struct ec_parse_opts o;
	ec_parse_opts_default(&o);
	o.max_conns = 4;
	o.decrypt_all = size & 1; /* the anonymous view too */
	struct ec_parse *p = ec_parse_new(&o, w);
	size_t i = 0;
	while (i < size) {
		uint64_t len;
		size_t k = varint(data + i, size - i, &len);
		if (!k || len > size - i - k)
			break;
		ec_parse_record(p, data + i + k, (size_t)len);
		i += k + (size_t)len;
	}
	ec_parse_finish(p);
	ec_parse_free(p);
	ec_writer_free(w);
	lseek(out, 0, SEEK_SET);
	struct ec_reader *r = ec_reader_new(out, "out", 0);
	const uint8_t *b;
	size_t n;
	while (ec_reader_next(r, &b, &n) > 0) {
		EcLogEntry *e = ec_record_decode(b, n);
		if (!e)
			abort();
		ec_record_free(e);
	}
	ec_reader_free(r);
	close(out);
	return 0;
}
