// SPDX-License-Identifier: GPL-2.0-only
#include "record.h"
#include "cursor.h"
#include "error.h"
#include "utf8.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

char *ec_record_log_format(char *buf, size_t len, int64_t ts_ns, const char *level,
			   const char *text)
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
	return ec_record_log_line(
	    w, ec_record_log_format(line, sizeof line, ec_now_ns(), level, text));
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

/* One field: its number, wire type and, for length-delimited ones, the bytes. */
static int wire_field(struct ec_cur *c, uint32_t *num, const uint8_t **val, size_t *vlen)
{
	uint64_t key, n;
	int k = ec_varint_decode(ec_cur_ptr(c), ec_cur_left(c), &key);
	if (k <= 0 || (key >> 3) == 0 || (key >> 3) > 0x1fffffff)
		return EC_ERR_DECODE;
	ec_cur_skip(c, (size_t)k);
	*num = (uint32_t)(key >> 3);
	*val = NULL;
	*vlen = 0;
	switch (key & 7) {
	case 0: /* varint */
		k = ec_varint_decode(ec_cur_ptr(c), ec_cur_left(c), &n);
		return k > 0 ? ec_cur_skip(c, (size_t)k) : EC_ERR_DECODE;
	case 1: /* 64-bit */
		return ec_cur_skip(c, 8) ? EC_ERR_DECODE : 0;
	case 5: /* 32-bit */
		return ec_cur_skip(c, 4) ? EC_ERR_DECODE : 0;
	case 2: /* length-delimited */
		k = ec_varint_decode(ec_cur_ptr(c), ec_cur_left(c), &n);
		if (k <= 0 || ec_cur_skip(c, (size_t)k) || n > ec_cur_left(c))
			return EC_ERR_DECODE;
		*vlen = (size_t)n;
		return ec_cur_bytes(c, (size_t)n, val);
	}
	return EC_ERR_DECODE; /* groups: not in our schema */
}

static void wire_set(struct ec_wire_str *w, const uint8_t *p, size_t n)
{
	w->p = p;
	w->n = n;
	w->set = 1;
}

/* Event (sub = 2) or Heartbeat (sub = 3) fields. */
static int wire_sub(const uint8_t *p, size_t n, int sub, struct ec_record_strs *s)
{
	struct ec_cur c;
	ec_cur_init(&c, p, n);
	while (ec_cur_left(&c)) {
		uint32_t num;
		const uint8_t *v;
		size_t vl;
		if (wire_field(&c, &num, &v, &vl))
			return EC_ERR_DECODE;
		if (!v)
			continue;
		struct ec_wire_str *w = NULL;
		if (sub == 2)
			w = num == 2	? &s->uuid
			    : num == 3	? &s->src_ip
			    : num == 5	? &s->dst_ip
			    : num == 8	? &s->pname
			    : num == 30 ? &s->note
			    : num == 42 ? &s->method
			    : num == 43 ? &s->authority
			    : num == 44 ? &s->path
			    : num == 47 ? &s->cgroup
			    : num == 48 ? &s->container_id
			    : num == 49 ? &s->pod_uid
			    : num == 51 ? &s->lib
			    : num == 52 ? &s->summary
					: NULL;
		else
			w = num == 3 ? &s->message : num == 18 ? &s->origin : NULL;
		if (w)
			wire_set(w, v, vl);
	}
	return 0;
}

int ec_record_strs(const uint8_t *buf, size_t len, struct ec_record_strs *s)
{
	struct ec_cur c;
	memset(s, 0, sizeof *s);
	ec_cur_init(&c, buf, len);
	while (ec_cur_left(&c)) {
		uint32_t num;
		const uint8_t *v;
		size_t vl;
		if (wire_field(&c, &num, &v, &vl))
			return EC_ERR_DECODE;
		if (!v)
			continue;
		if (num == 4)
			wire_set(&s->run_log, v, vl);
		else if (num == 18)
			wire_set(&s->host, v, vl);
		else if ((num == 2 || num == 3) && wire_sub(v, vl, (int)num, s))
			return EC_ERR_DECODE;
	}
	return 0;
}

/* A string field's bytes: from the wire when known, else the C string. */
static const uint8_t *field_bytes(const char *cs, const struct ec_wire_str *w, size_t *n)
{
	if (w && w->set) {
		*n = w->n;
		return w->p;
	}
	*n = cs ? strlen(cs) : 0;
	return (const uint8_t *)cs;
}

/* UTF-8, and (wire bytes only: a C string has none inside) no NUL. */
static int field_ok(const uint8_t *p, size_t n, const struct ec_wire_str *w)
{
	return ec_utf8_valid(p, n) && !(w && w->set && memchr(p, 0, n));
}

/*
 * Check one string field; when bad, point *dst at a fixed copy (owned by
 * fx) and return the original bytes in *orig. Returns 1 when fixed.
 */
static int fix_field(char **dst, const struct ec_wire_str *w, struct ec_record_fixed *fx,
		     ProtobufCBinaryData *orig)
{
	size_t n;
	const uint8_t *p = field_bytes(*dst, w, &n);
	if (!p || field_ok(p, n, w))
		return 0;
	char *s = ec_utf8_fixdup(p, n);
	fx->owned[fx->nowned++] = s;
	*dst = s;
	if (orig) {
		orig->data = (uint8_t *)p;
		orig->len = n;
	}
	return 1;
}

static int strs_ok(const EcLogEntry *e, const struct ec_record_strs *raw)
{
	size_t n;
	const uint8_t *p;
#define OK(cs, w) ((p = field_bytes((cs), (w), &n)) == NULL || field_ok(p, n, (w)))
	if (!OK(e->host, raw ? &raw->host : NULL))
		return 0;
	switch (e->payload_case) {
	case EVENT__LOG_ENTRY__PAYLOAD_RUN_LOG:
		return OK(e->run_log, raw ? &raw->run_log : NULL);
	case EVENT__LOG_ENTRY__PAYLOAD_EVENT_PAYLOAD: {
		const EcEvent *ev = e->event_payload;
		return OK(ev->pname, raw ? &raw->pname : NULL) &&
		       OK(ev->uuid, raw ? &raw->uuid : NULL) &&
		       OK(ev->src_ip, raw ? &raw->src_ip : NULL) &&
		       OK(ev->dst_ip, raw ? &raw->dst_ip : NULL) &&
		       OK(ev->note, raw ? &raw->note : NULL) &&
		       OK(ev->method, raw ? &raw->method : NULL) &&
		       OK(ev->authority, raw ? &raw->authority : NULL) &&
		       OK(ev->path, raw ? &raw->path : NULL) &&
		       OK(ev->cgroup, raw ? &raw->cgroup : NULL) &&
		       OK(ev->container_id, raw ? &raw->container_id : NULL) &&
		       OK(ev->pod_uid, raw ? &raw->pod_uid : NULL) &&
		       OK(ev->lib, raw ? &raw->lib : NULL) &&
		       OK(ev->summary, raw ? &raw->summary : NULL);
	}
	case EVENT__LOG_ENTRY__PAYLOAD_HEARTBEAT_PAYLOAD: {
		const EcHeartbeat *hb = e->heartbeat_payload;
		return OK(hb->message, raw ? &raw->message : NULL) &&
		       OK(hb->origin, raw ? &raw->origin : NULL);
	}
	default:
		return 1;
	}
#undef OK
}

const EcLogEntry *ec_record_fix(const EcLogEntry *e, const struct ec_record_strs *raw,
				struct ec_record_fixed *fx)
{
	fx->nowned = 0;
	if (strs_ok(e, raw))
		return e;
	fx->e = *e;
	ProtobufCBinaryData orig = {0, NULL};
#define W(f) (raw ? &raw->f : NULL)
	fix_field(&fx->e.host, W(host), fx, NULL);
	switch (e->payload_case) {
	case EVENT__LOG_ENTRY__PAYLOAD_RUN_LOG:
		if (fix_field(&fx->e.run_log, W(run_log), fx, &orig) && !e->run_log_raw.len)
			fx->e.run_log_raw = orig;
		break;
	case EVENT__LOG_ENTRY__PAYLOAD_EVENT_PAYLOAD:
		fx->ev = *e->event_payload;
		fx->e.event_payload = &fx->ev;
		if (fix_field(&fx->ev.pname, W(pname), fx, &orig) && !fx->ev.pname_raw.len)
			fx->ev.pname_raw = orig;
		fix_field(&fx->ev.uuid, W(uuid), fx, NULL);
		fix_field(&fx->ev.src_ip, W(src_ip), fx, NULL);
		fix_field(&fx->ev.dst_ip, W(dst_ip), fx, NULL);
		fix_field(&fx->ev.note, W(note), fx, NULL);
		fix_field(&fx->ev.method, W(method), fx, NULL);
		fix_field(&fx->ev.authority, W(authority), fx, NULL);
		fix_field(&fx->ev.path, W(path), fx, NULL);
		fix_field(&fx->ev.cgroup, W(cgroup), fx, NULL);
		fix_field(&fx->ev.container_id, W(container_id), fx, NULL);
		fix_field(&fx->ev.pod_uid, W(pod_uid), fx, NULL);
		fix_field(&fx->ev.lib, W(lib), fx, NULL);
		fix_field(&fx->ev.summary, W(summary), fx, NULL);
		break;
	case EVENT__LOG_ENTRY__PAYLOAD_HEARTBEAT_PAYLOAD:
		fx->hb = *e->heartbeat_payload;
		fx->e.heartbeat_payload = &fx->hb;
		fix_field(&fx->hb.message, W(message), fx, NULL);
		fix_field(&fx->hb.origin, W(origin), fx, NULL);
		break;
	default:
		break;
	}
#undef W
	return &fx->e;
}

void ec_record_fixed_free(struct ec_record_fixed *fx)
{
	for (int i = 0; i < fx->nowned; i++)
		free(fx->owned[i]);
	fx->nowned = 0;
}

static int wire_ok(const struct ec_wire_str *w)
{
	return !w->set || ec_utf8_valid(w->p, w->n);
}

int ec_record_sanitize(const uint8_t *buf, size_t len, uint8_t **out, size_t *outlen)
{
	struct ec_record_strs s;
	int walked = ec_record_strs(buf, len, &s) == 0;
	const struct ec_wire_str *all[] = {
	    &s.run_log, &s.host,   &s.uuid,	 &s.src_ip,  &s.dst_ip, &s.pname,
	    &s.note,	&s.method, &s.authority, &s.path,    &s.cgroup, &s.container_id,
	    &s.pod_uid, &s.lib,	   &s.summary,	 &s.message, &s.origin,
	};
	size_t ok = 0;
	while (walked && ok < sizeof all / sizeof *all && wire_ok(all[ok]))
		ok++;
	if (walked && ok == sizeof all / sizeof *all)
		return 0; /* NULs are valid UTF-8: the bytes go as they are */
	EcLogEntry *e = ec_record_decode(buf, len);
	if (!e)
		return EC_ERR_DECODE;
	/*
	 * Re-encoded from the decoded form. Unknown fields go: when the wire
	 * could not be walked they are what other decoders refuse (a field
	 * number over 2^29, say), which protobuf-c keeps.
	 */
	EcLogEntry le = *e;
	EcEvent ev;
	EcHeartbeat hb;
	le.base.n_unknown_fields = 0;
	le.base.unknown_fields = NULL;
	if (le.payload_case == EVENT__LOG_ENTRY__PAYLOAD_EVENT_PAYLOAD) {
		ev = *le.event_payload;
		ev.base.n_unknown_fields = 0;
		ev.base.unknown_fields = NULL;
		le.event_payload = &ev;
	} else if (le.payload_case == EVENT__LOG_ENTRY__PAYLOAD_HEARTBEAT_PAYLOAD) {
		hb = *le.heartbeat_payload;
		hb.base.n_unknown_fields = 0;
		hb.base.unknown_fields = NULL;
		le.heartbeat_payload = &hb;
	}
	struct ec_record_fixed fx;
	const EcLogEntry *f = ec_record_fix(&le, walked ? &s : NULL, &fx);
	*outlen = event__log_entry__get_packed_size(f);
	*out = ec_xmalloc(*outlen ? *outlen : 1);
	event__log_entry__pack(f, *out);
	if (f != &le)
		ec_record_fixed_free(&fx);
	ec_record_free(e);
	return 1;
}

static const struct {
	const char *name, *proto;
	enum ec_role role;
} types[EC_TYPE_COUNT] = {
    [EC_TYPE_UNKNOWN] = {"unknown", "-", EC_ROLE_NONE},
    [EC_TYPE_HTTP1_REQUEST] = {"http1-request", "http", EC_ROLE_REQUEST},
    [EC_TYPE_HTTP2_REQUEST] = {"http2-request", "http", EC_ROLE_REQUEST},
    [EC_TYPE_HTTP1_RESPONSE] = {"http1-response", "http", EC_ROLE_RESPONSE},
    [EC_TYPE_HTTP2_RESPONSE] = {"http2-response", "http", EC_ROLE_RESPONSE},
    [EC_TYPE_WEBSOCKET] = {"websocket", "websocket", EC_ROLE_NONE},
    [EC_TYPE_GRPC_REQUEST] = {"grpc-request", "grpc", EC_ROLE_REQUEST},
    [EC_TYPE_GRPC_RESPONSE] = {"grpc-response", "grpc", EC_ROLE_RESPONSE},
    [EC_TYPE_PGSQL_REQUEST] = {"pgsql-request", "postgresql", EC_ROLE_REQUEST},
    [EC_TYPE_PGSQL_RESPONSE] = {"pgsql-response", "postgresql", EC_ROLE_RESPONSE},
    [EC_TYPE_MYSQL_REQUEST] = {"mysql-request", "mysql", EC_ROLE_REQUEST},
    [EC_TYPE_MYSQL_RESPONSE] = {"mysql-response", "mysql", EC_ROLE_RESPONSE},
    [EC_TYPE_REDIS_REQUEST] = {"redis-request", "redis", EC_ROLE_REQUEST},
    [EC_TYPE_REDIS_RESPONSE] = {"redis-response", "redis", EC_ROLE_RESPONSE},
    [EC_TYPE_DNS_QUERY] = {"dns-query", "dns", EC_ROLE_REQUEST},
    [EC_TYPE_DNS_RESPONSE] = {"dns-response", "dns", EC_ROLE_RESPONSE},
};
static const char *const source_names[] = {"unknown", "openssl", "boringssl", "gotls",	"gnutls",
					   "nss",     "bash",	 "zsh",	      "mysqld", "postgres",
					   "packet",  "libtls",	 "sock"};

const char *ec_record_type_name(uint32_t type)
{
	return type < EC_TYPE_COUNT ? types[type].name : "?";
}

const char *ec_record_type_proto(uint32_t type)
{
	return type < EC_TYPE_COUNT ? types[type].proto : "?";
}

enum ec_role ec_record_type_role(uint32_t type)
{
	return type < EC_TYPE_COUNT ? types[type].role : EC_ROLE_NONE;
}

const char *ec_record_source_name(int source)
{
	return source >= 0 && (size_t)source < sizeof source_names / sizeof *source_names
		   ? source_names[source]
		   : "?";
}

const char *ec_record_direction_name(int dir)
{
	return dir == EVENT__DIRECTION__DIRECTION_READ	  ? "read"
	       : dir == EVENT__DIRECTION__DIRECTION_WRITE ? "write"
							  : "-";
}

const char *ec_record_log_type_name(int log_type)
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

int ec_record_source_parse(const char *s)
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

int ec_record_type_parse(const char *s)
{
	long long v;
	if (ec_util_parse_int(s, 0, EC_TYPE_COUNT - 1, &v) == 0)
		return (int)v;
	for (size_t i = 0; i < EC_TYPE_COUNT; i++)
		if (!strcasecmp(s, types[i].name))
			return (int)i;
	return -1;
}
