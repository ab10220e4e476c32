// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: records → synthesized TCP → pcapng. The input is a
 * record stream (varint-delimited LogEntry records); every decodable record
 * goes through ec_synth_record, then the pending bytes are flushed. The
 * same bytes are also read as one Ethernet and one raw IP packet.
 */
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

#include "pcapng.h"
#include "stream.h"
#include "synth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ec_synth_tuple t;
	ec_synth_packet_tuple(EC_LINKTYPE_ETHERNET, data, size, &t);
	ec_synth_packet_tuple(EC_SYNTH_LINKTYPE_RAW, data, size, &t);
	static int null = -1;
	if (null < 0)
		null = open("/dev/null", O_WRONLY);
	struct ec_pcapng *w = ec_pcapng_new(null, "fuzz");
	struct ec_synth *s = ec_synth_new(w, null);
	size_t off = 0;
	while (off < size) {
		uint64_t len;
		int k = ec_varint_decode(data + off, size - off, &len);
		if (k <= 0 || len > size - off - (size_t)k)
			break;
		off += (size_t)k;
		EcLogEntry *e = ec_record_decode(data + off, (size_t)len);
		off += (size_t)len;
		if (!e)
			continue;
		if (ec_synth_record(s, e)) {
			ec_record_free(e);
			break;
		}
		ec_record_free(e);
	}
	ec_synth_free(s);
	ec_pcapng_free(w);
	return 0;
}
