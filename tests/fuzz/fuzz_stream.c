// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: the record stream reader, decoder, resync and formatters. */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "format.h"
#include "stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz", 0);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	lseek(fd, 0, SEEK_SET);
	static FILE *null;
	if (!null)
		null = fopen("/dev/null", "w");
	struct ec_reader *r = ec_reader_new(fd, "fuzz", 1 << 16);
	for (int i = 0; i < 10000; i++) {
		const uint8_t *buf;
		size_t len;
		int rc = ec_reader_next(r, &buf, &len);
		if (rc == 0)
			break;
		if (rc > 0) {
			EcLogEntry *e = ec_record_decode(buf, len);
			if (e) {
				struct ec_record_strs st,
				    *raw = ec_record_strs(buf, len, &st) ? NULL : &st;
				ec_format_text(null, e, raw, 0);
				ec_format_text(null, e, raw, EC_FMT_RAW);
				ec_format_json(null, e, raw);
				ec_record_free(e);
				continue;
			}
		}
		ec_reader_resync(r);
	}
	ec_reader_free(r);
	close(fd);
	return 0;
}
