// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target for lib/proto/parse, the whole filter: the input is a script
 * of capture events for four connections. Each step is an op byte
 * (connection = bits 0-1, direction = bit 2, kind = bits 3-5: 0-3 data,
 * 4 data with a seq gap, 5 close, 6 heartbeat reporting loss, 7 truncated
 * data), a length byte, then that many payload bytes. Tiny limits make
 * eviction (3 connections), cuts, buffer overflows and idle expiry happen;
 * protocol switches (HTTP/1 -> WebSocket, HTTP/2) come from the payloads.
 * The input is live: bits 6-7 of the op are also a pause on the arrival
 * clock, long enough for open messages to go out in parts.
 * The process name and uuid are the input's first bytes, whatever they are:
 * every record ec-parse writes must re-decode with strictly UTF-8 strings.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exchlog.h"
#include "parse.h"
#include "record.h"
#include "stream.h"
#include "utf8.h"

static void put_entry(struct ec_parse *p, const EcLogEntry *e)
{
	size_t n = event__log_entry__get_packed_size(e);
	uint8_t *b = malloc(n ? n : 1);
	event__log_entry__pack(e, b);
	ec_parse_record(p, b, n);
	free(b);
}

static void strict(const struct ec_wire_str *w)
{
	if (w->set && !ec_utf8_valid(w->p, w->n))
		abort();
}

/*
 * What ec-parse wrote: LogEntry records whose strings are all UTF-8; and
 * what ec-dump --exchanges, --stats and --har make of them.
 */
static void check(int fd, size_t seed)
{
	lseek(fd, 0, SEEK_SET);
	struct ec_reader *r = ec_reader_new(fd, "out", 0);
	static FILE *null;
	if (!null)
		null = fopen("/dev/null", "w");
	struct ec_exchlog_opts xo = {.stats = seed & 1,
				     .every_ns = 1000000,
				     .json = seed & 2,
				     .har = seed & 4 ? null : NULL};
	struct ec_exchlog *x = ec_exchlog_new(null, &xo);
	const uint8_t *b;
	size_t n;
	int rc;
	while ((rc = ec_reader_next(r, &b, &n)) > 0) {
		struct ec_record_strs st;
		EcLogEntry *e = ec_record_decode(b, n);
		if (!e || ec_record_strs(b, n, &st))
			abort();
		ec_exchlog_record(x, e);
		ec_record_free(e);
		strict(&st.run_log);
		strict(&st.uuid);
		strict(&st.src_ip);
		strict(&st.dst_ip);
		strict(&st.pname);
		strict(&st.note);
		strict(&st.message);
		strict(&st.origin);
		strict(&st.method);
		strict(&st.authority);
		strict(&st.path);
	}
	if (rc < 0)
		abort();
	ec_exchlog_finish(x);
	ec_reader_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[16] = "", uuid[32] = "";
	memcpy(name, data, size < 15 ? size : 15);
	memcpy(uuid, data, size < 31 ? size : 31);
	int out = memfd_create("out", 0);
	struct ec_writer *w = ec_writer_new(out);
	struct ec_parse_opts o;
	ec_parse_opts_default(&o);
	o.max_body = 64;
	o.max_buffer = 1024;
	o.max_conns = 3;
	o.idle_ns = 3000000000ll;
	o.decode_body = 1;
	struct ec_parse *p = ec_parse_new(&o, w);
	uint64_t seq[4][3] = {{0}};
	int64_t ts = 1000, now = 1;
	size_t i = 0;
	while (i + 2 <= size) {
		uint8_t op = data[i], len = data[i + 1];
		i += 2;
		if (len > size - i)
			len = (uint8_t)(size - i);
		unsigned conn = op & 3, kind = (op >> 3) & 7;
		int dir =
		    (op & 4) ? EVENT__DIRECTION__DIRECTION_READ : EVENT__DIRECTION__DIRECTION_WRITE;
		ts += (int64_t)(op >> 6) * 1000000000ll; /* sometimes a long pause */
		if (op >> 6) {
			int64_t next;
			now += (int64_t)(op >> 6) * 150000000ll;
			ec_parse_tick(p, now, &next);
		}
		ec_parse_arrival(p, now);
		EcLogEntry le = EVENT__LOG_ENTRY__INIT;
		if (kind == 6) {
			EcHeartbeat hb = EVENT__HEARTBEAT__INIT;
			hb.timestamp = ts;
			hb.events_lost = len;
			hb.origin = "ec-capture";
			le.log_type = EVENT__LOG_TYPE__LOG_TYPE_HEARTBEAT;
			le.payload_case = EVENT__LOG_ENTRY__PAYLOAD_HEARTBEAT_PAYLOAD;
			le.heartbeat_payload = &hb;
			put_entry(p, &le);
			continue;
		}
		EcEvent ev = EVENT__EVENT__INIT;
		ev.timestamp = ts++;
		ev.pid = 100 + conn;
		ev.pname = name;
		ev.uuid = uuid;
		ev.fd = 3;
		ev.tid = 7;
		ev.source = EVENT__SOURCE__SOURCE_OPENSSL;
		ev.conn_id = 1 + conn;
		ev.direction = dir;
		if (kind == 5) {
			ev.closed = 1;
			ev.direction = EVENT__DIRECTION__DIRECTION_UNKNOWN;
		} else {
			if (kind == 4)
				seq[conn][dir] += 2;
			ev.seq = seq[conn][dir]++;
			ev.payload.data = (uint8_t *)data + i;
			ev.payload.len = len;
			ev.truncated = kind == 7;
			i += len;
		}
		le.log_type = EVENT__LOG_TYPE__LOG_TYPE_EVENT;
		le.payload_case = EVENT__LOG_ENTRY__PAYLOAD_EVENT_PAYLOAD;
		le.event_payload = &ev;
		put_entry(p, &le);
	}
	ec_parse_finish(p);
	ec_parse_free(p);
	ec_writer_free(w);
	check(out, size);
	close(out);
	return 0;
}
