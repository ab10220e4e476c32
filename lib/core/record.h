/* SPDX-License-Identifier: GPL-2.0-only */
/* Building records: process logs, heartbeats, key-log lines and names. */
#ifndef EC_RECORD_H
#define EC_RECORD_H

#include "stream.h"

/* Process-log levels, as eCapture's console log prints them. */
#define EC_LOG_INFO "INF"
#define EC_LOG_WARN "WRN"

/*
 * One process-log line the way eCapture writes its own start-up lines,
 * which eCaptureQ clients print as they come: "2025-08-02T14:16:10Z INF
 * text\n" (UTC, whole seconds). A newline or CR inside text becomes a space:
 * one line per record, ending in "\n". Returns buf (cut to fit len).
 */
char *ec_record_log_format(char *buf, size_t len, int64_t ts_ns, const char *level,
			   const char *text);
/* A process-log record (log_type 1): ec_record_log_format of the printf-style text, now. */
int ec_record_log(struct ec_writer *w, const char *level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A process-log record holding line as it is (already an ec_record_log_format). */
int ec_record_log_line(struct ec_writer *w, const char *line);
/* A heartbeat record (log_type 0). */
int ec_record_heartbeat(struct ec_writer *w, int64_t count, uint64_t lost, uint64_t dropped,
			const char *origin, const char *message);
/* An NSS key log line as its own record kind (log_type 1, record_kind KEYLOG). */
int ec_record_keylog(struct ec_writer *w, const char *line);

/* A string field's exact bytes in a serialized record (set: it was there). */
struct ec_wire_str {
	const uint8_t *p;
	size_t n;
	int set;
};

/*
 * The string fields of a serialized LogEntry as they are on the wire
 * (protobuf-c hands out C strings, cut at a NUL): the last occurrence of
 * each, pointing into the record.
 */
struct ec_record_strs {
	struct ec_wire_str run_log, host;		       /* LogEntry 4 18 */
	struct ec_wire_str uuid, src_ip, dst_ip, pname, note;  /* Event 2 3 5 8 30 */
	struct ec_wire_str method, authority, path;	       /* Event 42 43 44 */
	struct ec_wire_str cgroup, container_id, pod_uid, lib; /* Event 47 48 49 51 */
	struct ec_wire_str summary;			       /* Event 52 */
	struct ec_wire_str message, origin;		       /* Heartbeat 3 18 */
};

/* Find them. 0, or EC_ERR_DECODE when buf is not protobuf wire data. */
int ec_record_strs(const uint8_t *buf, size_t len, struct ec_record_strs *s);

/*
 * Every string field we write is well-formed UTF-8 (a proto3 rule: Python
 * and Go decoders refuse the whole record otherwise). ec_record_fix returns
 * e itself when its strings are, else a copy in fx whose bad strings have
 * U+FFFD for each ill-formed part and each NUL, with the original bytes of
 * pname in Event.pname_raw and of run_log in LogEntry.run_log_raw (unless
 * already set). raw, when not NULL, gives the strings' wire bytes (NULs
 * included) for a decoded record. Free fx with ec_record_fixed_free when
 * the result is not e.
 */
struct ec_record_fixed {
	EcLogEntry e;
	EcEvent ev;
	EcHeartbeat hb;
	char *owned[16];
	int nowned;
};
const EcLogEntry *ec_record_fix(const EcLogEntry *e, const struct ec_record_strs *raw,
				struct ec_record_fixed *fx);
void ec_record_fixed_free(struct ec_record_fixed *fx);

/*
 * The same for serialized bytes (pass-through writers, ec-serve): 0 when buf
 * can go out as it is, 1 with the fixed record in *out (malloc'd, *outlen
 * bytes), or EC_ERR_DECODE when buf is not a LogEntry. A record whose wire
 * form is not plain protobuf (a field number over 2^29, which protobuf-c
 * takes and other decoders refuse) is re-encoded without its unknown fields.
 */
int ec_record_sanitize(const uint8_t *buf, size_t len, uint8_t **out, size_t *outlen);

/*
 * Event.type (docs/PROTOCOL.md): what ec-parse made of a message. Each type
 * belongs to one protocol and is a request, a response or neither.
 */
enum ec_type {
	EC_TYPE_UNKNOWN,
	EC_TYPE_HTTP1_REQUEST,
	EC_TYPE_HTTP2_REQUEST,
	EC_TYPE_HTTP1_RESPONSE,
	EC_TYPE_HTTP2_RESPONSE,
	EC_TYPE_WEBSOCKET,
	EC_TYPE_GRPC_REQUEST,
	EC_TYPE_GRPC_RESPONSE,
	EC_TYPE_PGSQL_REQUEST,
	EC_TYPE_PGSQL_RESPONSE,
	EC_TYPE_MYSQL_REQUEST,
	EC_TYPE_MYSQL_RESPONSE,
	EC_TYPE_REDIS_REQUEST,
	EC_TYPE_REDIS_RESPONSE,
	EC_TYPE_DNS_QUERY,
	EC_TYPE_DNS_RESPONSE,
	EC_TYPE_COUNT
};

enum ec_role { EC_ROLE_NONE, EC_ROLE_REQUEST, EC_ROLE_RESPONSE };

/* A type's role; EC_ROLE_NONE for values out of range. */
enum ec_role ec_record_type_role(uint32_t type);
/* A type's protocol ("http", "postgresql", ...); "?" for values out of range. */
const char *ec_record_type_proto(uint32_t type);

/* Names used by ec-dump and --help; "?" for values out of range. */
const char *ec_record_type_name(uint32_t type);
const char *ec_record_source_name(int source);
const char *ec_record_direction_name(int dir);
const char *ec_record_log_type_name(int log_type);
/* Parse a source name ("openssl", "gotls", ...); -1 if unknown. */
int ec_record_source_parse(const char *s);
/* Parse an event type by number or name ("http1-request", ...); -1 if unknown. */
int ec_record_type_parse(const char *s);

#endif
