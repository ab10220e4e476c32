// SPDX-License-Identifier: GPL-2.0-only
/* lib/core/stream: framing, every reader error with its index and offset, writer EPIPE,
 * and the writer's UTF-8 rule for string fields (lib/core/record). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "record.h"
#include "stream.h"
#include "utf8.h"

/* A readable fd holding exactly these bytes. */
static int memfd(const void *p, size_t n)
{
	int fd = memfd_create("t", 0);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

/* Serialize k process-log records "msg-0".. into a malloc'd buffer. */
static uint8_t *make_stream(int k, size_t *len)
{
	int p[2];
	assert_int_equal(pipe2(p, 0), 0);
	fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
	struct ec_writer *w = ec_writer_new(p[1]);
	for (int i = 0; i < k; i++) {
		char m[16];
		snprintf(m, sizeof m, "msg-%d", i);
		assert_int_equal(ec_record_log_line(w, m), 0);
	}
	assert_int_equal(ec_writer_free(w), 0);
	close(p[1]);
	uint8_t *buf = malloc(1 << 16);
	ssize_t n = read(p[0], buf, 1 << 16);
	assert_true(n > 0);
	close(p[0]);
	*len = (size_t)n;
	return buf;
}

static void roundtrip(void **state)
{
	(void)state;
	size_t n;
	uint8_t *s = make_stream(3, &n);
	int fd = memfd(s, n);
	struct ec_reader *r = ec_reader_new(fd, "t", 0);
	const uint8_t *b;
	size_t len;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(ec_reader_next(r, &b, &len), 1);
		assert_int_equal(ec_reader_index(r), i);
		EcLogEntry *e = ec_record_decode(b, len);
		assert_non_null(e);
		char want[16];
		snprintf(want, sizeof want, "msg-%d", i);
		assert_string_equal(e->run_log, want);
		ec_record_free(e);
	}
	assert_int_equal(ec_reader_next(r, &b, &len), 0);
	ec_reader_free(r);
	close(fd);
	free(s);
}

static void empty_input(void **state)
{
	(void)state;
	int fd = memfd("", 0);
	struct ec_reader *r = ec_reader_new(fd, "t", 0);
	const uint8_t *b;
	size_t len;
	assert_int_equal(ec_reader_next(r, &b, &len), 0);
	ec_reader_free(r);
	close(fd);
}

/* Cut the stream at every byte: whole records read, then TRUNCATED at the right offset. */
static void truncated_everywhere(void **state)
{
	(void)state;
	size_t n;
	uint8_t *s = make_stream(3, &n);
	size_t rec = n / 3; /* records are the same size */
	for (size_t cut = 1; cut < n; cut++) {
		int fd = memfd(s, cut);
		struct ec_reader *r = ec_reader_new(fd, "t", 0);
		const uint8_t *b;
		size_t len;
		int rc, got = 0;
		while ((rc = ec_reader_next(r, &b, &len)) == 1)
			got++;
		if (cut % rec == 0) {
			assert_int_equal(rc, 0);
		} else {
			assert_int_equal(rc, EC_ERR_TRUNCATED);
			assert_int_equal(ec_reader_index(r), cut / rec);
			assert_int_equal(ec_reader_offset(r), (cut / rec) * rec);
		}
		assert_int_equal(got, cut / rec);
		ec_reader_free(r);
		close(fd);
	}
	free(s);
}

static void bad_varint(void **state)
{
	(void)state;
	uint8_t bad[12];
	memset(bad, 0xff, sizeof bad);
	int fd = memfd(bad, sizeof bad);
	struct ec_reader *r = ec_reader_new(fd, "t", 0);
	const uint8_t *b;
	size_t len;
	assert_int_equal(ec_reader_next(r, &b, &len), EC_ERR_VARINT);
	assert_int_equal(ec_reader_offset(r), 0);
	char msg[256];
	ec_reader_errmsg(r, EC_ERR_VARINT, msg, sizeof msg);
	assert_non_null(strstr(msg, "record 0 at byte offset 0"));
	ec_reader_free(r);
	close(fd);
}

static void oversize(void **state)
{
	(void)state;
	size_t n;
	uint8_t *s = make_stream(1, &n);
	uint8_t big[16];
	size_t k = ec_varint_encode(2000, big);
	uint8_t *all = malloc(n + k);
	memcpy(all, s, n);
	memcpy(all + n, big, k);
	int fd = memfd(all, n + k);
	struct ec_reader *r = ec_reader_new(fd, "t", 1000);
	const uint8_t *b;
	size_t len;
	assert_int_equal(ec_reader_next(r, &b, &len), 1);
	assert_int_equal(ec_reader_next(r, &b, &len), EC_ERR_TOOBIG);
	assert_int_equal(ec_reader_index(r), 1);
	assert_int_equal(ec_reader_offset(r), n);
	/* the hints name only the options the reading tool has */
	char msg[512];
	ec_reader_errmsg(r, EC_ERR_TOOBIG, msg, sizeof msg);
	assert_non_null(strstr(msg, "2000 bytes, the limit is 1000"));
	assert_null(strstr(msg, "--"));
	ec_reader_set_hints(r, EC_READER_HINT_MAX_RECORD);
	ec_reader_errmsg(r, EC_ERR_TOOBIG, msg, sizeof msg);
	assert_non_null(strstr(msg, "--max-record"));
	assert_null(strstr(msg, "--keep-going"));
	ec_reader_set_hints(r, EC_READER_HINT_MAX_RECORD | EC_READER_HINT_KEEP_GOING);
	ec_reader_errmsg(r, EC_ERR_TOOBIG, msg, sizeof msg);
	assert_non_null(strstr(msg, "--keep-going"));
	ec_reader_free(r);
	close(fd);
	free(s);
	free(all);
}

static void undecodable(void **state)
{
	(void)state;
	/* field 1 with wire type 7 is invalid protobuf */
	static const uint8_t junk[] = {0x0f, 0x01, 0x02};
	assert_null(ec_record_decode(junk, sizeof junk));
	/* an empty record is a valid (default) heartbeat LogEntry */
	EcLogEntry *e = ec_record_decode(junk, 0);
	assert_non_null(e);
	ec_record_free(e);
}

static void resync_skips_garbage(void **state)
{
	(void)state;
	size_t n;
	uint8_t *s = make_stream(2, &n);
	size_t rec = n / 2;
	uint8_t *all = malloc(n + 7);
	memcpy(all, s, rec);
	memcpy(all + rec, "\xff\xff\xff\xff\xff\xff\xff", 7);
	memcpy(all + rec + 7, s + rec, rec);
	int fd = memfd(all, n + 7);
	struct ec_reader *r = ec_reader_new(fd, "t", 0);
	const uint8_t *b;
	size_t len;
	assert_int_equal(ec_reader_next(r, &b, &len), 1);
	int rc = ec_reader_next(r, &b, &len);
	assert_true(rc < 0);
	assert_int_equal(ec_reader_offset(r), rec);
	assert_int_equal(ec_reader_resync(r), 7);
	assert_int_equal(ec_reader_next(r, &b, &len), 1);
	EcLogEntry *e = ec_record_decode(b, len);
	assert_string_equal(e->run_log, "msg-1");
	ec_record_free(e);
	assert_int_equal(ec_reader_next(r, &b, &len), 0);
	ec_reader_free(r);
	close(fd);
	free(s);
	free(all);
}

static void large_record(void **state)
{
	(void)state;
	size_t big = 3u << 20; /* bigger than the read chunk and initial buffer */
	EcEvent ev = EVENT__EVENT__INIT;
	ev.payload.data = calloc(1, big);
	ev.payload.len = big;
	EcLogEntry e = EVENT__LOG_ENTRY__INIT;
	e.log_type = EVENT__LOG_TYPE__LOG_TYPE_EVENT;
	e.payload_case = EVENT__LOG_ENTRY__PAYLOAD_EVENT_PAYLOAD;
	e.event_payload = &ev;
	int fd = memfd_create("t", 0);
	struct ec_writer *w = ec_writer_new(fd);
	assert_int_equal(ec_writer_put(w, &e), 0);
	assert_int_equal(ec_writer_put(w, &e), 0);
	assert_int_equal(ec_writer_free(w), 0);
	lseek(fd, 0, SEEK_SET);
	struct ec_reader *r = ec_reader_new(fd, "t", 0);
	const uint8_t *b;
	size_t len;
	for (int i = 0; i < 2; i++) {
		assert_int_equal(ec_reader_next(r, &b, &len), 1);
		EcLogEntry *d = ec_record_decode(b, len);
		assert_non_null(d);
		assert_int_equal(d->event_payload->payload.len, big);
		ec_record_free(d);
	}
	assert_int_equal(ec_reader_next(r, &b, &len), 0);
	ec_reader_free(r);
	close(fd);
	free(ev.payload.data);
}

static void writer_epipe(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	int p[2];
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	struct ec_writer *w = ec_writer_new(p[1]);
	assert_int_equal(ec_record_log_line(w, "x"), 0); /* buffered */
	assert_int_equal(ec_writer_flush(w), EC_ERR_PIPE);
	assert_int_equal(ec_record_log_line(w, "y"), EC_ERR_PIPE);
	assert_int_equal(ec_writer_free(w), EC_ERR_PIPE);
	close(p[1]);
}

static void raw_equals_put(void **state)
{
	(void)state;
	size_t n;
	uint8_t *s = make_stream(1, &n);
	uint64_t len;
	int k = ec_varint_decode(s, n, &len);
	int fd = memfd_create("t", 0);
	struct ec_writer *w = ec_writer_new(fd);
	assert_int_equal(ec_writer_put_raw(w, s + k, len), 0);
	assert_int_equal(ec_writer_records(w), 1);
	assert_int_equal(ec_writer_bytes(w), n);
	assert_int_equal(ec_writer_free(w), 0);
	uint8_t back[256];
	assert_int_equal(pread(fd, back, sizeof back, 0), (ssize_t)n);
	assert_memory_equal(back, s, n);
	close(fd);
	free(s);
}

#define R "\xef\xbf\xbd" /* U+FFFD */
static const char pwn[] = "\xff\xfe\x1b]0;PWN\x07";

/* Every string field a decoder reads back is UTF-8 (what python3-protobuf insists on). */
static void assert_strs_utf8(const uint8_t *b, size_t len)
{
	struct ec_record_strs st;
	assert_int_equal(ec_record_strs(b, len, &st), 0);
	const struct ec_wire_str *all[] = {&st.run_log, &st.uuid,      &st.src_ip,  &st.dst_ip,
					   &st.pname,	&st.note,      &st.message, &st.origin,
					   &st.method,	&st.authority, &st.path};
	for (size_t i = 0; i < sizeof all / sizeof *all; i++)
		if (all[i]->set)
			assert_true(ec_utf8_valid(all[i]->p, all[i]->n));
}

/* The one record in fd: its bytes in buf, decoded. */
static EcLogEntry *read_back(int fd, uint8_t *buf, size_t cap, size_t *len)
{
	ssize_t n = pread(fd, buf, cap, 0);
	assert_true(n > 1);
	uint64_t l;
	int k = ec_varint_decode(buf, (size_t)n, &l);
	assert_true(k > 0 && (size_t)k + l == (size_t)n);
	memmove(buf, buf + k, l);
	*len = l;
	assert_strs_utf8(buf, l);
	EcLogEntry *e = ec_record_decode(buf, l);
	assert_non_null(e);
	return e;
}

static void writer_fixes_strings(void **state)
{
	(void)state;
	char uuid[64];
	snprintf(uuid, sizeof uuid, "1_1_%s_3_1", pwn);
	EcEvent ev = EVENT__EVENT__INIT;
	ev.pname = (char *)pwn;
	ev.uuid = uuid;
	ev.src_ip = "127.0.0.1";
	ev.note = "bad \xc3";
	ev.payload.data = (uint8_t *)"\x1b\0\xff";
	ev.payload.len = 3;
	EcLogEntry e = EVENT__LOG_ENTRY__INIT;
	e.log_type = EVENT__LOG_TYPE__LOG_TYPE_EVENT;
	e.payload_case = EVENT__LOG_ENTRY__PAYLOAD_EVENT_PAYLOAD;
	e.event_payload = &ev;
	int fd = memfd_create("t", 0);
	struct ec_writer *w = ec_writer_new(fd);
	assert_int_equal(ec_writer_put(w, &e), 0);
	assert_int_equal(ec_writer_free(w), 0);
	uint8_t buf[512];
	size_t len;
	EcLogEntry *d = read_back(fd, buf, sizeof buf, &len);
	close(fd);
	const EcEvent *o = d->event_payload;
	assert_string_equal(o->pname, R R "\x1b]0;PWN\x07");
	assert_int_equal(o->pname_raw.len, strlen(pwn));
	assert_memory_equal(o->pname_raw.data, pwn, strlen(pwn));
	assert_string_equal(o->uuid, "1_1_" R R "\x1b]0;PWN\x07_3_1");
	assert_string_equal(o->note, "bad " R);
	assert_string_equal(o->src_ip, "127.0.0.1");
	assert_int_equal(o->payload.len, 3); /* bytes fields are not touched */
	assert_memory_equal(o->payload.data, "\x1b\0\xff", 3);
	ec_record_free(d);
	/* the caller's record is left as it was */
	assert_ptr_equal(ev.pname, pwn);
	assert_int_equal(ev.pname_raw.len, 0);

	/* run logs and heartbeats too */
	fd = memfd_create("t", 0);
	w = ec_writer_new(fd);
	char line[64];
	snprintf(line, sizeof line, "library %s\n", pwn);
	assert_int_equal(ec_record_log_line(w, line), 0);
	assert_int_equal(ec_writer_free(w), 0);
	d = read_back(fd, buf, sizeof buf, &len);
	close(fd);
	assert_string_equal(d->run_log, "library " R R "\x1b]0;PWN\x07\n");
	assert_int_equal(d->run_log_raw.len, strlen(line));
	ec_record_free(d);
	fd = memfd_create("t", 0);
	w = ec_writer_new(fd);
	assert_int_equal(ec_record_heartbeat(w, 1, 0, 0, "o\xff", "m\xfe"), 0);
	assert_int_equal(ec_writer_free(w), 0);
	d = read_back(fd, buf, sizeof buf, &len);
	close(fd);
	assert_string_equal(d->heartbeat_payload->origin, "o" R);
	assert_string_equal(d->heartbeat_payload->message, "m" R);
	ec_record_free(d);
}

/* Every string field of a message the descriptor lists set to bad bytes. */
static void set_strings(const ProtobufCMessageDescriptor *d, void *m, char *bad)
{
	for (unsigned i = 0; i < d->n_fields; i++)
		if (d->fields[i].type == PROTOBUF_C_TYPE_STRING &&
		    d->fields[i].label != PROTOBUF_C_LABEL_REPEATED)
			*(char **)((char *)m + d->fields[i].offset) = bad;
}

/* Every string field of m is UTF-8; returns how many were checked. */
static unsigned check_strings(const ProtobufCMessageDescriptor *d, const void *m)
{
	unsigned n = 0;
	for (unsigned i = 0; i < d->n_fields; i++)
		if (d->fields[i].type == PROTOBUF_C_TYPE_STRING &&
		    d->fields[i].label != PROTOBUF_C_LABEL_REPEATED) {
			const char *s = *(char *const *)((const char *)m + d->fields[i].offset);
			assert_true(ec_utf8_valid((const uint8_t *)s, strlen(s)));
			assert_non_null(strstr(s, R)); /* it was rewritten, not dropped */
			n++;
		}
	return n;
}

/*
 * A string field added to the schema is covered by the writer's rule
 * without anyone remembering it: every one the descriptors list, set to
 * ill-formed bytes, comes out fixed, through both writer paths.
 */
static void every_string_field_fixed(void **state)
{
	(void)state;
	char bad[] = "x\xff";
	EcEvent ev = EVENT__EVENT__INIT;
	EcHeartbeat hb = EVENT__HEARTBEAT__INIT;
	set_strings(&event__event__descriptor, &ev, bad);
	set_strings(&event__heartbeat__descriptor, &hb, bad);
	EcLogEntry e = EVENT__LOG_ENTRY__INIT;
	e.log_type = EVENT__LOG_TYPE__LOG_TYPE_EVENT;
	for (int pass = 0; pass < 4; pass++) {
		/* an event, a heartbeat; by ec_writer_put, then by ec_writer_put_raw */
		e.payload_case = pass % 2 ? EVENT__LOG_ENTRY__PAYLOAD_HEARTBEAT_PAYLOAD
					  : EVENT__LOG_ENTRY__PAYLOAD_EVENT_PAYLOAD;
		if (pass % 2)
			e.heartbeat_payload = &hb;
		else
			e.event_payload = &ev;
		int fd = memfd_create("t", 0);
		struct ec_writer *w = ec_writer_new(fd);
		if (pass < 2) {
			assert_int_equal(ec_writer_put(w, &e), 0);
		} else {
			uint8_t raw[1024];
			size_t n = event__log_entry__get_packed_size(&e);
			assert_true(n <= sizeof raw);
			event__log_entry__pack(&e, raw);
			assert_int_equal(ec_writer_put_raw(w, raw, n), 0);
		}
		assert_int_equal(ec_writer_free(w), 0);
		uint8_t buf[2048];
		size_t len;
		EcLogEntry *d = read_back(fd, buf, sizeof buf, &len);
		close(fd);
		unsigned n =
		    pass % 2 ? check_strings(&event__heartbeat__descriptor, d->heartbeat_payload)
			     : check_strings(&event__event__descriptor, d->event_payload);
		assert_true(n >= (pass % 2 ? 2u : 8u));
		ec_record_free(d);
	}
}

/* Hand-made wire bytes: LogEntry{log_type 2, event{pname, note}} with a NUL and 0xff in note. */
static const uint8_t hostile_rec[] = {0x08, 0x02, 0x12, 0x0d, 0x42, 0x03, 'c',	'a', 't',
				      0xf2, 0x01, 0x05, 'a',  0x00, 'b',  0xff, 'c'};

static void raw_pass_through(void **state)
{
	(void)state;
	struct ec_record_strs st;
	assert_int_equal(ec_record_strs(hostile_rec, sizeof hostile_rec, &st), 0);
	assert_true(st.pname.set && st.pname.n == 3);
	assert_true(st.note.set && st.note.n == 5); /* the NUL does not cut it */
	assert_false(st.run_log.set);
	assert_int_equal(ec_record_strs(hostile_rec, sizeof hostile_rec - 1, &st), EC_ERR_DECODE);

	int fd = memfd_create("t", 0);
	struct ec_writer *w = ec_writer_new(fd);
	assert_int_equal(ec_writer_put_raw(w, hostile_rec, sizeof hostile_rec), 0);
	assert_int_equal(ec_writer_free(w), 0);
	uint8_t buf[256];
	size_t len;
	EcLogEntry *d = read_back(fd, buf, sizeof buf, &len);
	close(fd);
	assert_string_equal(d->event_payload->pname, "cat");
	assert_int_equal(d->event_payload->pname_raw.len, 0);
	assert_string_equal(d->event_payload->note, "a" R "b" R "c");
	ec_record_free(d);

	/* a NUL alone is valid UTF-8: the record goes unchanged */
	uint8_t nul[sizeof hostile_rec];
	memcpy(nul, hostile_rec, sizeof nul);
	nul[sizeof nul - 2] = 'x';
	uint8_t *out;
	size_t outlen;
	assert_int_equal(ec_record_sanitize(nul, sizeof nul, &out, &outlen), 0);
	assert_int_equal(ec_record_sanitize(hostile_rec, sizeof hostile_rec, &out, &outlen), 1);
	assert_strs_utf8(out, outlen);
	free(out);
	uint8_t junk[] = {0x0a, 0x20};
	assert_int_equal(ec_record_sanitize(junk, sizeof junk, &out, &outlen), EC_ERR_DECODE);
}

/* A pname_raw set upstream (the capture's) survives a second writer (ec-parse). */
static void raw_kept(void **state)
{
	(void)state;
	EcEvent ev = EVENT__EVENT__INIT;
	ev.pname = "\xff"; /* cut by a copy, say */
	ev.pname_raw.data = (uint8_t *)pwn;
	ev.pname_raw.len = strlen(pwn);
	EcLogEntry e = EVENT__LOG_ENTRY__INIT;
	e.log_type = EVENT__LOG_TYPE__LOG_TYPE_EVENT;
	e.payload_case = EVENT__LOG_ENTRY__PAYLOAD_EVENT_PAYLOAD;
	e.event_payload = &ev;
	struct ec_record_fixed fx;
	const EcLogEntry *f = ec_record_fix(&e, NULL, &fx);
	assert_ptr_not_equal(f, &e);
	assert_string_equal(f->event_payload->pname, R);
	assert_int_equal(f->event_payload->pname_raw.len, strlen(pwn));
	ec_record_fixed_free(&fx);
	ev.pname = "fine";
	assert_ptr_equal(ec_record_fix(&e, NULL, &fx), &e);
}

static void max_record_range(void **state)
{
	(void)state;
	size_t v;
	assert_int_equal(ec_stream_parse_max("64M", &v), 0);
	assert_int_equal(v, 64u << 20);
	assert_int_equal(ec_stream_parse_max("1G", &v), 0);
	assert_int_equal(ec_stream_parse_max("16", &v), 0);
	assert_int_equal(ec_stream_parse_max("15", &v), EC_ERR_INVAL);
	assert_int_equal(ec_stream_parse_max("1025M", &v), EC_ERR_INVAL);
	assert_int_equal(ec_stream_parse_max("1099511627776", &v), EC_ERR_INVAL);
}

static void varints(void **state)
{
	(void)state;
	const uint64_t vals[] = {0, 1, 127, 128, 16383, 16384, UINT32_MAX, UINT64_MAX};
	for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
		uint8_t b[10];
		size_t k = ec_varint_encode(vals[i], b);
		uint64_t v;
		assert_int_equal(ec_varint_decode(b, k, &v), (int)k);
		assert_true(v == vals[i]);
		if (k > 1)
			assert_int_equal(ec_varint_decode(b, k - 1, &v), 0);
	}
	/* tenth byte may only carry bit 63 */
	uint8_t over[10] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
	uint64_t v;
	assert_int_equal(ec_varint_decode(over, 10, &v), -1);
}

/* The idle hook's view: what the test does when the reader says "quiet". */
struct idle_t {
	int calls;
	int wfd;	    /* the pipe's write end */
	const uint8_t *rec; /* one framed record to write at the first call */
	size_t reclen;
	uint64_t seen_at[4]; /* records handed out when each call came */
	struct ec_reader *r;
	int first_ms; /* what the first call returns */
	int64_t t[4];
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int on_idle(void *arg)
{
	struct idle_t *t = arg;
	int k = t->calls++;
	t->seen_at[k] = ec_reader_index(t->r);
	t->t[k] = now_ms();
	if (k == 0 && t->first_ms)
		return t->first_ms; /* call me again: nothing written yet */
	if (t->rec) {
		assert_int_equal(write(t->wfd, t->rec, t->reclen), (ssize_t)t->reclen);
		t->rec = NULL;
		return 0;
	}
	close(t->wfd); /* the input ends */
	return 0;
}

/*
 * A pipe: records already waiting are read without a call; the hook comes
 * only when the next read would block, once per quiet spell.
 */
static void idle_hook_when_quiet(void **state)
{
	(void)state;
	size_t n;
	uint8_t *s = make_stream(3, &n);
	size_t one = (size_t)s[0] + 1; /* each "msg-i" record is short: a 1-byte prefix */
	int p[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], s, 2 * one), (ssize_t)(2 * one));
	struct idle_t t = {.wfd = p[1], .rec = s + 2 * one, .reclen = one};
	struct ec_reader *r = ec_reader_new(p[0], "pipe", 0);
	t.r = r;
	ec_reader_on_idle(r, on_idle, &t);
	const uint8_t *b;
	size_t len;
	assert_int_equal(ec_reader_next(r, &b, &len), 1);
	assert_int_equal(ec_reader_next(r, &b, &len), 1);
	assert_int_equal(t.calls, 0);
	assert_true(ec_reader_arrival(r) > 0);
	int64_t a1 = ec_reader_arrival(r);
	assert_int_equal(ec_reader_next(r, &b, &len), 1); /* written by the hook */
	assert_int_equal(t.calls, 1);
	assert_int_equal(t.seen_at[0], 2); /* both records were out before */
	assert_memory_equal(b + len - 5, "msg-2", 5);
	assert_true(ec_reader_arrival(r) >= a1);
	assert_int_equal(ec_reader_next(r, &b, &len), 0); /* the hook closed it */
	assert_int_equal(t.calls, 2);
	ec_reader_free(r);
	close(p[0]);
	free(s);
}

/* A hook that asks for a timer is called again after that long, if still quiet. */
static void idle_hook_timer(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	struct idle_t t = {.wfd = p[1], .first_ms = 30};
	struct ec_reader *r = ec_reader_new(p[0], "pipe", 0);
	t.r = r;
	ec_reader_on_idle(r, on_idle, &t);
	const uint8_t *b;
	size_t len;
	assert_int_equal(ec_reader_next(r, &b, &len), 0);
	assert_int_equal(t.calls, 2);
	assert_true(t.t[1] - t.t[0] >= 30);
	ec_reader_free(r);
	close(p[0]);
}

static int fail_idle(void *arg)
{
	(*(int *)arg)++;
	return EC_ERR_PIPE;
}

/* A hook's error stops the reader; a regular file never calls the hook. */
static void idle_hook_error_and_files(void **state)
{
	(void)state;
	int p[2], calls = 0;
	assert_int_equal(pipe(p), 0);
	struct ec_reader *r = ec_reader_new(p[0], "pipe", 0);
	ec_reader_on_idle(r, fail_idle, &calls);
	const uint8_t *b;
	size_t len;
	assert_int_equal(ec_reader_next(r, &b, &len), EC_ERR_PIPE);
	assert_int_equal(calls, 1);
	ec_reader_free(r);
	close(p[0]);
	close(p[1]);

	size_t n;
	uint8_t *s = make_stream(100, &n);
	int fd = memfd(s, n);
	r = ec_reader_new(fd, "file", 0);
	ec_reader_on_idle(r, fail_idle, &calls);
	int k = 0;
	while (ec_reader_next(r, &b, &len) == 1)
		k++;
	assert_int_equal(k, 100);
	assert_int_equal(calls, 1);
	assert_int_equal(ec_reader_arrival(r), 0);
	ec_reader_free(r);
	close(fd);
	free(s);
}

/* A terminal in raw mode has no RWF_NOWAIT reads: the hook comes all the same. */
static int tty_idle(void *arg)
{
	struct idle_t *t = arg;
	if (t->calls++ == 0) {
		assert_int_equal(write(t->wfd, t->rec, t->reclen), (ssize_t)t->reclen);
		return 0;
	}
	return EC_ERR_PIPE;
}

static void idle_hook_on_a_terminal(void **state)
{
	(void)state;
	size_t n;
	uint8_t *s = make_stream(2, &n);
	size_t one = (size_t)s[0] + 1;
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(m >= 0);
	assert_int_equal(grantpt(m), 0);
	assert_int_equal(unlockpt(m), 0);
	int sl = open(ptsname(m), O_RDWR | O_NOCTTY);
	assert_true(sl >= 0);
	struct termios tio;
	assert_int_equal(tcgetattr(sl, &tio), 0);
	cfmakeraw(&tio);
	assert_int_equal(tcsetattr(sl, TCSANOW, &tio), 0);
	assert_int_equal(write(m, s, one), (ssize_t)one);
	struct idle_t t = {.wfd = m, .rec = s + one, .reclen = one};
	struct ec_reader *r = ec_reader_new(sl, "tty", 0);
	t.r = r;
	ec_reader_on_idle(r, tty_idle, &t);
	const uint8_t *b;
	size_t len;
	assert_int_equal(ec_reader_next(r, &b, &len), 1);
	assert_int_equal(t.calls, 0);
	assert_int_equal(ec_reader_next(r, &b, &len), 1);
	assert_int_equal(t.calls, 1);
	assert_memory_equal(b + len - 5, "msg-1", 5);
	assert_int_equal(ec_reader_next(r, &b, &len), EC_ERR_PIPE);
	assert_int_equal(t.calls, 2);
	ec_reader_free(r);
	close(sl);
	close(m);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(roundtrip),
	    cmocka_unit_test(empty_input),
	    cmocka_unit_test(truncated_everywhere),
	    cmocka_unit_test(bad_varint),
	    cmocka_unit_test(oversize),
	    cmocka_unit_test(undecodable),
	    cmocka_unit_test(resync_skips_garbage),
	    cmocka_unit_test(large_record),
	    cmocka_unit_test(writer_epipe),
	    cmocka_unit_test(raw_equals_put),
	    cmocka_unit_test(varints),
	    cmocka_unit_test(idle_hook_when_quiet),
	    cmocka_unit_test(idle_hook_timer),
	    cmocka_unit_test(idle_hook_error_and_files),
	    cmocka_unit_test(idle_hook_on_a_terminal),
	    cmocka_unit_test(max_record_range),
	    cmocka_unit_test(writer_fixes_strings),
	    cmocka_unit_test(every_string_field_fixed),
	    cmocka_unit_test(raw_pass_through),
	    cmocka_unit_test(raw_kept),
	};
	return cmocka_run_group_tests_name("stream", tests, NULL, NULL);
}
