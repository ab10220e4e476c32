#include "record.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

char *ec_log_line(char *buf, size_t len, int64_t ts_ns, const char *level, const char *text)
{
	time_t t = (time_t)(ts_ns / 1000000000);
	struct tm tm;
	char ts[32];
	gmtime_r(&t, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
	int k = snprintf(buf, len, "%s %s ", ts, level);
	size_t n = k < 0 ? 0 : (size_t)k < len ? (size_t)k : len - 1;
	/* the text, one line: room is kept for the final newline */
	for (const char *p = text; *p && n + 2 < len; p++)
		buf[n++] = *p == '\n' || *p == '\r' ? ' ' : *p;
	buf[n++] = '\n';
	buf[n] = 0;
	return buf;
}

int ec_record_log_line(struct ec_writer *w, const char *line)
{
	EcLogEntry e = EVENT__LOG_ENTRY__INIT;
	e.log_type = EVENT__LOG_TYPE__LOG_TYPE_PROCESS_LOG;
	e.payload_case = EVENT__LOG_ENTRY__PAYLOAD_RUN_LOG;
	e.run_log = (char *)line;
	return ec_writer_put(w, &e);
}

int ec_record_log(struct ec_writer *w, const char *level, const char *fmt, ...)
{
	char text[4000], line[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	return ec_record_log_line(w, ec_log_line(line, sizeof line, ec_now_ns(), level, text));
}

int ec_record_heartbeat(struct ec_writer *w, int64_t count, uint64_t lost, uint64_t dropped,
			const char *origin, const char *message)
{
	EcHeartbeat hb = EVENT__HEARTBEAT__INIT;
	hb.timestamp = ec_now_ns();
	hb.count = count;
	hb.events_lost = lost;
	hb.records_dropped = dropped;
	hb.origin = (char *)(origin ? origin : "");
	hb.message = (char *)(message ? message : "");
	EcLogEntry e = EVENT__LOG_ENTRY__INIT;
	e.log_type = EVENT__LOG_TYPE__LOG_TYPE_HEARTBEAT;
	e.payload_case = EVENT__LOG_ENTRY__PAYLOAD_HEARTBEAT_PAYLOAD;
	e.heartbeat_payload = &hb;
	return ec_writer_put(w, &e);
}

int ec_record_keylog(struct ec_writer *w, const char *line)
{
	EcLogEntry e = EVENT__LOG_ENTRY__INIT;
	e.log_type = EVENT__LOG_TYPE__LOG_TYPE_PROCESS_LOG;
	e.payload_case = EVENT__LOG_ENTRY__PAYLOAD_RUN_LOG;
	e.run_log = (char *)line;
	e.record_kind = EVENT__RECORD_KIND__RECORD_KIND_KEYLOG;
	return ec_writer_put(w, &e);
}

static const char *const type_names[] = {"unknown",	   "http1-request",  "http2-request",
					 "http1-response", "http2-response", "websocket"};
static const char *const source_names[] = {"unknown", "openssl",  "boringssl", "gotls",
					   "gnutls",  "nss",	  "bash",      "zsh",
					   "mysqld",  "postgres", "packet"};

const char *ec_type_name(uint32_t type)
{
	return type < sizeof type_names / sizeof *type_names ? type_names[type] : "?";
}

const char *ec_source_name(int source)
{
	return source >= 0 && (size_t)source < sizeof source_names / sizeof *source_names
		   ? source_names[source]
		   : "?";
}

const char *ec_direction_name(int dir)
{
	return dir == EVENT__DIRECTION__DIRECTION_READ	  ? "read"
	       : dir == EVENT__DIRECTION__DIRECTION_WRITE ? "write"
							  : "-";
}

const char *ec_log_type_name(int log_type)
{
	switch (log_type) {
	case EVENT__LOG_TYPE__LOG_TYPE_HEARTBEAT:
		return "heartbeat";
	case EVENT__LOG_TYPE__LOG_TYPE_PROCESS_LOG:
		return "log";
	case EVENT__LOG_TYPE__LOG_TYPE_EVENT:
		return "event";
	}
	return "?";
}

int ec_source_parse(const char *s)
{
	for (size_t i = 0; i < sizeof source_names / sizeof *source_names; i++)
		if (!strcasecmp(s, source_names[i]))
			return (int)i;
	if (!strcasecmp(s, "nspr"))
		return EVENT__SOURCE__SOURCE_NSS;
	if (!strcasecmp(s, "postgress"))
		return EVENT__SOURCE__SOURCE_POSTGRES;
	return -1;
}

int ec_type_parse(const char *s)
{
	long long v;
	if (ec_parse_int(s, 0, 5, &v) == 0)
		return (int)v;
	for (size_t i = 0; i < sizeof type_names / sizeof *type_names; i++)
		if (!strcasecmp(s, type_names[i]))
			return (int)i;
	return -1;
}
