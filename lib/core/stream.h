/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The record stream: varint-length-delimited LogEntry records, the framing
 * of protobuf's writeDelimitedTo. The reader hands out records in place
 * (no copy) and knows the index and byte offset of each; the writer
 * buffers and treats a closed reader as a normal end (EC_ERR_PIPE).
 */
#ifndef EC_STREAM_H
#define EC_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "ecaptureq.pb-c.h"

typedef Event__LogEntry EcLogEntry;
typedef Event__Event EcEvent;
typedef Event__Heartbeat EcHeartbeat;

#define EC_STREAM_MAX_DEFAULT (16u << 20)
/* --max-record's range: the same in every tool that has the option. */
#define EC_STREAM_MAX_MIN 16u
#define EC_STREAM_MAX_LIMIT (1u << 30)

/* A --max-record value (k/M/G suffixes): 0, or EC_ERR_INVAL out of range. */
int ec_stream_parse_max(const char *s, size_t *out);
/* The one message for a bad --max-record value. */
#define EC_STREAM_MAX_USAGE "--max-record: '%s' is not a size from 16 to 1G (e.g. 64M)"

struct ec_reader;

/* Read from fd (not closed by us); name is used in error messages. */
struct ec_reader *ec_reader_new(int fd, const char *name, size_t max_record);
void ec_reader_free(struct ec_reader *r);

/* Options of the reading tool that ec_reader_errmsg may suggest (none by default). */
enum ec_reader_hints {
	EC_READER_HINT_MAX_RECORD = 1, /* the tool has --max-record */
	EC_READER_HINT_KEEP_GOING = 2, /* the tool has --keep-going */
};
void ec_reader_set_hints(struct ec_reader *r, unsigned hints);

/*
 * Live input: fn is called when the input has nothing more for now, that
 * is when the next read of a pipe, socket or terminal would block (never
 * for a regular file, which is read straight through). It is the moment to
 * write out everything held back for batching: while input streams fast
 * reads never block and nothing is flushed early; once it goes quiet,
 * nothing waits. fn returns a negative ec_error to stop reading
 * (ec_reader_next returns it), 0 to wait for input as long as it takes, or
 * N > 0 to be called again after N ms if the input is still quiet.
 */
typedef int (*ec_reader_idle_fn)(void *arg);
void ec_reader_on_idle(struct ec_reader *r, ec_reader_idle_fn fn, void *arg);
/*
 * CLOCK_MONOTONIC ns of the last read that brought bytes: when the
 * current record had arrived at the latest (0 before any read).
 */
int64_t ec_reader_arrival(const struct ec_reader *r);

/*
 * Next record's bytes (without the prefix) in *buf and *len, valid until the
 * next call. Returns 1 for a record, 0 at a clean end of input, or a
 * negative ec_error; ec_reader_index/offset then say where.
 */
int ec_reader_next(struct ec_reader *r, const uint8_t **buf, size_t *len);
/* The record last returned or failed: its 0-based index and byte offset. */
uint64_t ec_reader_index(const struct ec_reader *r);
uint64_t ec_reader_offset(const struct ec_reader *r);
const char *ec_reader_name(const struct ec_reader *r);
/*
 * After an error: skip forward to the next offset where a decodable
 * record starts (--keep-going). Returns the bytes skipped; the next
 * ec_reader_next returns that record. At end of input skips the rest.
 */
uint64_t ec_reader_resync(struct ec_reader *r);
/* One stderr-ready line describing err at the current record. */
void ec_reader_errmsg(const struct ec_reader *r, int err, char *buf, size_t len);

/* Decode record bytes; NULL (EC_ERR_DECODE) when they are not a LogEntry. */
EcLogEntry *ec_record_decode(const uint8_t *buf, size_t len);
void ec_record_free(EcLogEntry *e);

/*
 * A decoder for record loops: decoding allocates a dozen small pieces that
 * die with the record, so they come from a bump arena reset per record
 * instead of malloc. The result lives until the next decode on the same
 * decoder; never pass it to ec_record_free.
 */
struct ec_decoder;
struct ec_decoder *ec_decoder_new(void);
EcLogEntry *ec_decoder_decode(struct ec_decoder *d, const uint8_t *buf, size_t len);
void ec_decoder_free(struct ec_decoder *d);

struct ec_writer;

struct ec_writer *ec_writer_new(int fd);
/* Flush, then free. Returns the flush status. */
int ec_writer_free(struct ec_writer *w);
/*
 * Append one record; a negative ec_error (EC_ERR_PIPE when the reader left).
 * String fields that are not UTF-8 are written fixed (ec_record_fix).
 */
int ec_writer_put(struct ec_writer *w, const EcLogEntry *e);
/* Append already-serialized record bytes (pass-through), unchanged unless a
 * string field is not UTF-8 (then fixed: ec_record_sanitize). */
int ec_writer_put_raw(struct ec_writer *w, const uint8_t *buf, size_t len);
int ec_writer_flush(struct ec_writer *w);
/* Text for an error err the writer returned: the system's reason for EC_ERR_IO. */
const char *ec_writer_strerror(const struct ec_writer *w, int err);
/* Records and bytes written so far. */
uint64_t ec_writer_records(const struct ec_writer *w);
uint64_t ec_writer_bytes(const struct ec_writer *w);

/* Varint codec used by the framing: returns bytes used, 0 if incomplete, -1 if bad. */
int ec_varint_decode(const uint8_t *p, size_t n, uint64_t *v);
size_t ec_varint_encode(uint64_t v, uint8_t *out);

#endif
