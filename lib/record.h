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
char *ec_log_line(char *buf, size_t len, int64_t ts_ns, const char *level, const char *text);
/* A process-log record (log_type 1): ec_log_line of the printf-style text, now. */
int ec_record_log(struct ec_writer *w, const char *level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A process-log record holding line as it is (already an ec_log_line). */
int ec_record_log_line(struct ec_writer *w, const char *line);
/* A heartbeat record (log_type 0). */
int ec_record_heartbeat(struct ec_writer *w, int64_t count, uint64_t lost, uint64_t dropped,
			const char *origin, const char *message);
/* An NSS key log line as its own record kind (log_type 1, record_kind KEYLOG). */
int ec_record_keylog(struct ec_writer *w, const char *line);

/* Names used by ec-dump and --help; "?" for values out of range. */
const char *ec_type_name(uint32_t type);
const char *ec_source_name(int source);
const char *ec_direction_name(int dir);
const char *ec_log_type_name(int log_type);
/* Parse a source name ("openssl", "gotls", ...); -1 if unknown. */
int ec_source_parse(const char *s);
/* Parse an event type by number or name ("http1-request", ...); -1 if unknown. */
int ec_type_parse(const char *s);

#endif
