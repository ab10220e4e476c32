/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by the decoders' libFuzzer targets (fuzz_pgsql.c, fuzz_mysql.c):
 * the whole filter driven by a script of capture events for two
 * connections to one server port (so mid-stream detection is reached
 * too). Each step is an op byte (connection = bit 0, direction = bit 1:
 * write is the client's, kind = bits 2-4: 0-4 data, 5 data after a seq
 * gap, 6 close, 7 a loss report), a length byte, then that many payload
 * bytes. A tiny --max-body cuts renderings; a small --max-buffer gives up
 * long waits. Every record out must decode with UTF-8 strings, and
 * ec-dump --exchanges must take them.
 */
#ifndef EC_FUZZ_SCRIPT_H
#define EC_FUZZ_SCRIPT_H

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

static void check(int fd)
{
	lseek(fd, 0, SEEK_SET);
	struct ec_reader *r = ec_reader_new(fd, "out", 0);
	static FILE *null;
	if (!null)
		null = fopen("/dev/null", "w");
	struct ec_exchlog_opts xo = {.stats = 1, .every_ns = 1000000};
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
		strict(&st.method);
		strict(&st.authority);
		strict(&st.path);
		strict(&st.summary);
		strict(&st.note);
	}
	if (rc < 0)
		abort();
	ec_exchlog_finish(x);
	ec_reader_free(r);
}

/* Run the script in data against connections to port (pname: the client). */
static int run_script(const uint8_t *data, size_t size, uint32_t port, const char *pname)
{
	int out = memfd_create("out", 0);
	struct ec_writer *w = ec_writer_new(out);
	struct ec_parse_opts o;
	ec_parse_opts_default(&o);
	o.max_body = 64;
	o.max_buffer = 4096;
	struct ec_parse *p = ec_parse_new(&o, w);
	uint64_t seq[2][3] = {{0}};
	int64_t ts = 1000;
	size_t i = 0;
	while (i + 2 <= size) {
		uint8_t op = data[i], len = data[i + 1];
		i += 2;
		if (len > size - i)
			len = (uint8_t)(size - i);
		unsigned conn = op & 1, kind = (op >> 2) & 7;
		int dir =
		    (op & 2) ? EVENT__DIRECTION__DIRECTION_READ : EVENT__DIRECTION__DIRECTION_WRITE;
		EcLogEntry le = EVENT__LOG_ENTRY__INIT;
		if (kind == 7) {
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
		ev.pname = (char *)pname;
		ev.fd = 3;
		ev.tid = 7;
		ev.src_ip = ev.dst_ip = "127.0.0.1";
		ev.src_port = 40000 + conn;
		ev.dst_port = port;
		ev.source = EVENT__SOURCE__SOURCE_OPENSSL;
		ev.conn_id = 1 + conn;
		ev.direction = dir;
		if (kind == 6) {
			ev.closed = 1;
			ev.direction = EVENT__DIRECTION__DIRECTION_UNKNOWN;
		} else {
			if (kind == 5)
				seq[conn][dir] += 2;
			ev.seq = seq[conn][dir]++;
			ev.payload.data = (uint8_t *)data + i;
			ev.payload.len = len;
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
	check(out);
	close(out);
	return 0;
}

#endif
