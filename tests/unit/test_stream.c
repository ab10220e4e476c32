/* lib/stream: framing, every reader error with its index and offset, writer EPIPE. */
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
	};
	return cmocka_run_group_tests_name("stream", tests, NULL, NULL);
}
