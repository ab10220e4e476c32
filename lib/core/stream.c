// SPDX-License-Identifier: GPL-2.0-only
#include "stream.h"
#include "error.h"
#include "record.h"
#include "util.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define READ_CHUNK (128u << 10)

struct ec_reader {
	int fd;
	const char *name;
	size_t max;
	uint8_t *buf;
	size_t cap, start, end; /* valid bytes are buf[start, end) */
	int eof;
	uint64_t base;	 /* stream offset of buf[0] */
	uint64_t index;	 /* index of the current record */
	uint64_t offset; /* offset of the current record */
	int have;	 /* a record was returned and must be consumed */
	size_t consume;	 /* its prefix + body length */
	int can_block;	 /* not a regular file: a read may wait */
	int no_nowait;	 /* preadv2(RWF_NOWAIT) is not offered for fd */
	ec_reader_idle_fn idle;
	void *idle_arg;
	int64_t arrival;  /* CLOCK_MONOTONIC ns of the last read with bytes */
	uint64_t claimed; /* the length prefix that was over the maximum */
	unsigned hints;	  /* enum ec_reader_hints */
};

int ec_stream_parse_max(const char *s, size_t *out)
{
	uint64_t v;
	if (ec_util_parse_size(s, &v) || v < EC_STREAM_MAX_MIN || v > EC_STREAM_MAX_LIMIT)
		return EC_ERR_INVAL;
	*out = (size_t)v;
	return 0;
}

void ec_reader_set_hints(struct ec_reader *r, unsigned hints)
{
	r->hints = hints;
}

struct ec_reader *ec_reader_new(int fd, const char *name, size_t max_record)
{
	struct ec_reader *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->fd = fd;
	r->name = name ? name : "stdin";
	r->max = max_record ? max_record : EC_STREAM_MAX_DEFAULT;
	r->cap = READ_CHUNK;
	r->buf = malloc(r->cap);
	if (!r->buf) {
		free(r);
		return NULL;
	}
	struct stat st;
	r->can_block = fstat(fd, &st) || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode));
	return r;
}

void ec_reader_on_idle(struct ec_reader *r, ec_reader_idle_fn fn, void *arg)
{
	r->idle = fn;
	r->idle_arg = arg;
}

int64_t ec_reader_arrival(const struct ec_reader *r)
{
	return r->arrival;
}

/*
 * A read that does not wait: bytes (> 0), 0 at the end, or -1 with errno
 * (EAGAIN: nothing there now). preadv2's RWF_NOWAIT makes it one syscall,
 * so streaming at full speed costs nothing more; where the kernel does not
 * offer it for this fd (a terminal, an older pipe), a poll asks first.
 */
static ssize_t read_now(struct ec_reader *r, uint8_t *buf, size_t n)
{
	if (!r->no_nowait) {
		struct iovec iov = {buf, n};
		ssize_t k = preadv2(r->fd, &iov, 1, -1, RWF_NOWAIT);
		if (k >= 0 || errno != EOPNOTSUPP)
			return k;
		r->no_nowait = 1;
	}
	struct pollfd p = {.fd = r->fd, .events = POLLIN};
	int k = poll(&p, 1, 0);
	if (k == 0) {
		errno = EAGAIN;
		return -1;
	}
	return k < 0 ? -1 : read(r->fd, buf, n);
}

/*
 * The input is quiet: call the idle hook, then wait until it is readable,
 * as long as the hook asks before calling it again.
 */
static int wait_input(struct ec_reader *r)
{
	struct pollfd p = {.fd = r->fd, .events = POLLIN};
	for (;;) {
		int rc = r->idle(r->idle_arg);
		if (rc < 0)
			return rc;
		int n;
		do
			n = poll(&p, 1, rc > 0 ? rc : -1);
		while (n < 0 && errno == EINTR);
		if (n != 0)
			return 0; /* readable, closed or failed: read() says which */
	}
}

void ec_reader_free(struct ec_reader *r)
{
	if (!r)
		return;
	free(r->buf);
	free(r);
}

/* Make at least want bytes available from start, unless input ends first. */
static int fill(struct ec_reader *r, size_t want)
{
	while (r->end - r->start < want && !r->eof) {
		if (r->start && r->cap - r->end < READ_CHUNK) {
			memmove(r->buf, r->buf + r->start, r->end - r->start);
			r->base += r->start;
			r->end -= r->start;
			r->start = 0;
		}
		size_t need = want > READ_CHUNK ? want : READ_CHUNK;
		if (r->cap - r->end < need) {
			size_t ncap = r->end + need;
			uint8_t *nb = realloc(r->buf, ncap);
			if (!nb)
				return EC_ERR_NOMEM;
			r->buf = nb;
			r->cap = ncap;
		}
		ssize_t n;
		if (r->idle && r->can_block) {
			n = read_now(r, r->buf + r->end, r->cap - r->end);
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
				int err = wait_input(r);
				if (err)
					return err;
				n = read(r->fd, r->buf + r->end, r->cap - r->end);
			}
		} else {
			n = read(r->fd, r->buf + r->end, r->cap - r->end);
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return EC_ERR_IO;
		}
		if (n == 0)
			r->eof = 1;
		else if (r->can_block)
			r->arrival = ec_mono_ns();
		r->end += (size_t)n;
	}
	return 0;
}

int ec_varint_decode(const uint8_t *p, size_t n, uint64_t *v)
{
	uint64_t x = 0;
	for (size_t i = 0; i < 10; i++) {
		if (i >= n)
			return 0;
		uint8_t b = p[i];
		if (i == 9 && b > 1)
			return -1;
		x |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			*v = x;
			return (int)i + 1;
		}
	}
	return -1;
}

size_t ec_varint_encode(uint64_t v, uint8_t *out)
{
	size_t i = 0;
	while (v >= 0x80) {
		out[i++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[i++] = (uint8_t)v;
	return i;
}

/*
 * Decode the length prefix at start, reading only while it is incomplete:
 * a short record already here is handed out without waiting for more
 * input. Returns its size (> 0), 0 when input ended first, EC_ERR_VARINT
 * or the read's error.
 */
static int varint_at(struct ec_reader *r, uint64_t *n)
{
	for (;;) {
		int k = ec_varint_decode(r->buf + r->start, r->end - r->start, n);
		if (k < 0)
			return EC_ERR_VARINT;
		if (k > 0 || r->eof)
			return k;
		int err = fill(r, r->end - r->start + 1);
		if (err)
			return err;
	}
}

int ec_reader_next(struct ec_reader *r, const uint8_t **buf, size_t *len)
{
	if (r->have) {
		r->start += r->consume;
		r->index++;
		r->have = 0;
	}
	r->offset = r->base + r->start;
	uint64_t n;
	int k = varint_at(r, &n);
	if (k < 0)
		return k;
	if (r->end == r->start)
		return 0;
	if (k == 0)
		return EC_ERR_TRUNCATED;
	if (n > r->max) {
		r->claimed = n;
		return EC_ERR_TOOBIG;
	}
	int err = fill(r, (size_t)k + (size_t)n);
	if (err)
		return err;
	if (r->end - r->start < (size_t)k + n)
		return EC_ERR_TRUNCATED;
	*buf = r->buf + r->start + k;
	*len = (size_t)n;
	r->have = 1;
	r->consume = (size_t)k + (size_t)n;
	return 1;
}

uint64_t ec_reader_index(const struct ec_reader *r)
{
	return r->index;
}

uint64_t ec_reader_offset(const struct ec_reader *r)
{
	return r->offset;
}

const char *ec_reader_name(const struct ec_reader *r)
{
	return r->name;
}

/*
 * A plausible record start: protobuf-c writes fields in number order, so a
 * LogEntry begins with log_type (tag 0x08, value 0..2) or, when log_type is
 * the default 0, with one of the payload tags. Checking this first keeps
 * resync cheap on garbage.
 */
static int plausible(const uint8_t *p, size_t n)
{
	if (n == 0)
		return 1; /* an empty LogEntry is a valid heartbeat */
	if (p[0] == 0x08)
		return n >= 2 && p[1] <= 2;
	return p[0] == 0x12 || p[0] == 0x1a || p[0] == 0x22 || p[0] == 0x80;
}

uint64_t ec_reader_resync(struct ec_reader *r)
{
	uint64_t skipped = 0;
	r->have = 0; /* a returned record that did not decode is skipped too */
	r->index++;
	for (;;) {
		if (fill(r, 1) || r->end == r->start)
			return skipped;
		r->start++;
		skipped++;
		uint64_t n;
		int k = varint_at(r, &n);
		if ((k < 0 && k != EC_ERR_VARINT) || r->end == r->start)
			return skipped;
		if (k <= 0 || n > r->max)
			continue;
		if (fill(r, (size_t)k + (n < 2 ? (size_t)n : 2)))
			return skipped;
		size_t avail = r->end - r->start - (size_t)k;
		if (!plausible(r->buf + r->start + k, avail < n ? avail : n))
			continue;
		if (fill(r, (size_t)k + (size_t)n))
			return skipped;
		if (r->end - r->start < (size_t)k + n)
			continue;
		EcLogEntry *e = ec_record_decode(r->buf + r->start + k, (size_t)n);
		if (!e)
			continue;
		ec_record_free(e);
		return skipped;
	}
}

void ec_reader_errmsg(const struct ec_reader *r, int err, char *buf, size_t len)
{
	char hint[256] = "";
	int kg = r->hints & EC_READER_HINT_KEEP_GOING, mr = r->hints & EC_READER_HINT_MAX_RECORD;
	switch (err) {
	case EC_ERR_TRUNCATED:
		snprintf(hint, sizeof hint, " (the input was cut short%s)",
			 kg ? "; use --keep-going to read what is before it" : "");
		break;
	case EC_ERR_TOOBIG:
		snprintf(hint, sizeof hint, " (%llu bytes, the limit is %zu%s%s%s)",
			 (unsigned long long)r->claimed, r->max,
			 mr ? "; raise --max-record if the record is genuine" : "",
			 kg ? (mr ? ", or use" : "; use") : "",
			 kg ? " --keep-going to skip it" : "");
		break;
	case EC_ERR_VARINT:
	case EC_ERR_DECODE:
		snprintf(hint, sizeof hint, " (not an ec record stream here%s)",
			 kg ? "; --keep-going skips to the next record" : "");
		break;
	case EC_ERR_IO:
		snprintf(hint, sizeof hint, " (%s)", strerror(errno));
		break;
	}
	snprintf(buf, len, "%s: record %llu at byte offset %llu: %s%s", r->name,
		 (unsigned long long)r->index, (unsigned long long)r->offset, ec_strerror(err),
		 hint);
}

EcLogEntry *ec_record_decode(const uint8_t *buf, size_t len)
{
	return event__log_entry__unpack(NULL, len, buf);
}

void ec_record_free(EcLogEntry *e)
{
	if (e)
		event__log_entry__free_unpacked(e, NULL);
}

struct arena {
	uint8_t *p; /* bump region for decoding one record */
	size_t cap, used, want;
	void **big; /* allocations that did not fit, freed at reset */
	size_t nbig, capbig;
};

/*
 * Decoding a record allocates a dozen small pieces and frees them right
 * after: a bump arena reset per record does it without malloc.
 */
static void *arena_alloc(void *data, size_t size)
{
	struct arena *a = data;
	size = (size + 15) & ~(size_t)15;
	if (a->used + size <= a->cap) {
		void *p = a->p + a->used;
		a->used += size;
		return p;
	}
	a->want += size;
	if (a->nbig == a->capbig) {
		size_t nc = a->capbig ? a->capbig * 2 : 8;
		void **nb = realloc(a->big, nc * sizeof *nb);
		if (!nb)
			return NULL;
		a->big = nb;
		a->capbig = nc;
	}
	void *p = malloc(size);
	if (p)
		a->big[a->nbig++] = p;
	return p;
}

static void arena_free(void *data, void *p)
{
	(void)data;
	(void)p; /* everything goes at the reset */
}

static void arena_reset(struct arena *a)
{
	for (size_t i = 0; i < a->nbig; i++)
		free(a->big[i]);
	a->nbig = 0;
	/* grow to what the last record needed, up to a bound */
	size_t need = a->used + a->want;
	if (need > a->cap && need <= (32u << 20)) {
		free(a->p);
		a->cap = need * 2;
		a->p = ec_xmalloc(a->cap);
	}
	a->used = a->want = 0;
}

struct ec_decoder {
	struct arena arena;
	ProtobufCAllocator alloc;
};

struct ec_decoder *ec_decoder_new(void)
{
	struct ec_decoder *d = ec_xcalloc(1, sizeof *d);
	d->arena.cap = 64u << 10;
	d->arena.p = ec_xmalloc(d->arena.cap);
	d->alloc.alloc = arena_alloc;
	d->alloc.free = arena_free;
	d->alloc.allocator_data = &d->arena;
	return d;
}

EcLogEntry *ec_decoder_decode(struct ec_decoder *d, const uint8_t *buf, size_t len)
{
	arena_reset(&d->arena);
	return event__log_entry__unpack(&d->alloc, len, buf);
}

void ec_decoder_free(struct ec_decoder *d)
{
	if (!d)
		return;
	arena_reset(&d->arena);
	free(d->arena.p);
	free(d->arena.big);
	free(d);
}

struct ec_writer {
	int fd;
	uint8_t *buf;
	size_t cap, len;
	uint64_t records, bytes;
	int err;
	int errnum; /* errno of the failed write */
};

#define WBUF (256u << 10)

struct ec_writer *ec_writer_new(int fd)
{
	struct ec_writer *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	w->fd = fd;
	w->cap = WBUF;
	w->buf = malloc(w->cap);
	if (!w->buf) {
		free(w);
		return NULL;
	}
	return w;
}

int ec_writer_flush(struct ec_writer *w)
{
	size_t off = 0;
	if (w->err)
		return w->err;
	while (off < w->len) {
		ssize_t n = write(w->fd, w->buf + off, w->len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			w->errnum = errno;
			w->err = errno == EPIPE ? EC_ERR_PIPE : EC_ERR_IO;
			return w->err;
		}
		off += (size_t)n;
	}
	w->len = 0;
	return 0;
}

int ec_writer_free(struct ec_writer *w)
{
	if (!w)
		return 0;
	int err = ec_writer_flush(w);
	free(w->buf);
	free(w);
	return err;
}

/* Room for n more bytes, flushing or growing as needed. */
static int reserve(struct ec_writer *w, size_t n)
{
	if (w->cap - w->len >= n)
		return 0;
	int err = ec_writer_flush(w);
	if (err)
		return err;
	if (w->cap < n) {
		uint8_t *nb = realloc(w->buf, n);
		if (!nb)
			return EC_ERR_NOMEM;
		w->buf = nb;
		w->cap = n;
	}
	return 0;
}

int ec_writer_put(struct ec_writer *w, const EcLogEntry *e)
{
	if (w->err)
		return w->err;
	/* every writer's strings go out as UTF-8, whatever a process named itself */
	struct ec_record_fixed fx;
	const EcLogEntry *f = ec_record_fix(e, NULL, &fx);
	size_t n = event__log_entry__get_packed_size(f);
	int err = reserve(w, n + 10);
	if (!err) {
		size_t k = ec_varint_encode(n, w->buf + w->len);
		event__log_entry__pack(f, w->buf + w->len + k);
		w->len += k + n;
		w->records++;
		w->bytes += k + n;
	}
	if (f != e)
		ec_record_fixed_free(&fx);
	return err;
}

int ec_writer_put_raw(struct ec_writer *w, const uint8_t *buf, size_t len)
{
	if (w->err)
		return w->err;
	uint8_t *fixed;
	size_t flen;
	if (ec_record_sanitize(buf, len, &fixed, &flen) == 1) {
		int err = ec_writer_put_raw(w, fixed, flen);
		free(fixed);
		return err;
	}
	int err = reserve(w, len + 10);
	if (err)
		return err;
	size_t k = ec_varint_encode(len, w->buf + w->len);
	memcpy(w->buf + w->len + k, buf, len);
	w->len += k + len;
	w->records++;
	w->bytes += k + len;
	return 0;
}

const char *ec_writer_strerror(const struct ec_writer *w, int err)
{
	return err == EC_ERR_IO && w->errnum ? strerror(w->errnum) : ec_strerror(err);
}

uint64_t ec_writer_records(const struct ec_writer *w)
{
	return w->records;
}

uint64_t ec_writer_bytes(const struct ec_writer *w)
{
	return w->bytes;
}
