// SPDX-License-Identifier: GPL-2.0-only
#include "format.h"
#include "record.h"
#include "utf8.h"
#include "util.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* A string field's bytes: a raw extension field, else the wire's, else the C string. */
static const uint8_t *str_bytes(const char *cs, const struct ec_wire_str *w,
				const ProtobufCBinaryData *orig, size_t *n)
{
	if (orig && orig->len) {
		*n = orig->len;
		return orig->data;
	}
	if (w && w->set) {
		*n = w->n;
		return w->p;
	}
	*n = cs ? strlen(cs) : 0;
	return (const uint8_t *)(cs ? cs : "");
}

/* A name, note or log line: escaped unless EC_FMT_RAW. */
static void put_str(FILE *f, const uint8_t *p, size_t n, unsigned flags)
{
	if (flags & EC_FMT_RAW)
		fwrite(p, 1, n, f);
	else
		ec_utf8_escape(f, p, n, 0);
}

static void put_field(FILE *f, const char *cs, const struct ec_wire_str *w,
		      const ProtobufCBinaryData *orig, unsigned flags)
{
	size_t n;
	const uint8_t *p = str_bytes(cs, w, orig, &n);
	put_str(f, p, n, flags);
}

static void endpoint(FILE *f, const char *ip, const struct ec_wire_str *w, uint32_t port,
		     unsigned flags)
{
	size_t n;
	const uint8_t *p = str_bytes(ip, w, NULL, &n);
	if (!n) {
		fputc('-', f);
		return;
	}
	int v6 = memchr(p, ':', n) != NULL;
	if (v6)
		fputc('[', f);
	put_str(f, p, n, flags);
	fprintf(f, "%s:%u", v6 ? "]" : "", port);
}

/*
 * After ec_is_text (UTF-8, no control but tab, CR, LF) only a lone CR or a
 * C1 control (C2 80-9F) may still need escaping: found with memchr, as a
 * second full scan cost a tenth of ec-dump's time.
 */
static int text_needs_escape(const uint8_t *p, size_t n)
{
	const uint8_t *q, *end = p + n;
	for (q = p; (q = memchr(q, '\r', (size_t)(end - q))) && q + 1 < end; q += 2)
		if (q[1] != '\n')
			return 1;
	for (q = p; (q = memchr(q, 0xc2, (size_t)(end - q))) && q + 1 < end; q++)
		if (q[1] < 0xa0)
			return 1;
	return 0;
}

static void payload(FILE *f, const uint8_t *p, size_t n, unsigned flags)
{
	if (!n)
		return;
	if ((flags & EC_FMT_HEX) || (!(flags & EC_FMT_RAW) && !ec_is_text(p, n))) {
		ec_hexdump(f, p, n);
		return;
	}
	if ((flags & EC_FMT_RAW) || !text_needs_escape(p, n))
		fwrite(p, 1, n, f);
	else
		ec_utf8_escape(f, p, n, EC_UTF8_ESC_PAYLOAD);
	if (p[n - 1] != '\n')
		fputc('\n', f);
}

#define RAW(field) (raw ? &raw->field : NULL)

static void text_event(FILE *f, const EcEvent *ev, const char *host,
		       const struct ec_record_strs *raw, unsigned flags)
{
	char t[40];
	fprintf(f, "%s ", ec_fmt_time(ev->timestamp, t, sizeof t));
	size_t pn;
	str_bytes(ev->pname, RAW(pname), &ev->pname_raw, &pn);
	if (pn)
		put_field(f, ev->pname, RAW(pname), &ev->pname_raw, flags);
	else
		fputc('?', f);
	fprintf(f, "(%" PRId64 "/%u) uid=%u fd=%d ", ev->pid, ev->tid, ev->uid, ev->fd);
	endpoint(f, ev->src_ip, RAW(src_ip), ev->src_port, flags);
	fputs(" -> ", f);
	endpoint(f, ev->dst_ip, RAW(dst_ip), ev->dst_port, flags);
	fprintf(f, " %s %s %s len=%u conn=%" PRIu64 " seq=%" PRIu64,
		ec_record_direction_name(ev->direction), ec_record_source_name(ev->source),
		ec_record_type_name(ev->type), ev->length, ev->conn_id, ev->seq);
	if (ev->h2_stream_id)
		fprintf(f, " stream=%u", ev->h2_stream_id);
	if (ev->type == 5)
		fprintf(f, " ws-opcode=%u%s", ev->ws_opcode, ev->ws_fin ? " fin" : "");
	if (ev->truncated)
		fprintf(f, " truncated(orig=%" PRIu64 ")", ev->orig_length);
	if (ev->closed)
		fprintf(f, " closed");
	if (ev->client_random.len) { /* a handshake record (ec-capture tls --keys-only) */
		fputs(" handshake random=", f);
		for (size_t i = 0; i < ev->client_random.len; i++)
			fprintf(f, "%02x", ev->client_random.data[i]);
	}
	if (ev->desync)
		fprintf(f, " desync");
	if (ev->retval)
		fprintf(f, " ret=%" PRId64, ev->retval);
	if (ev->part)
		fprintf(f, " part=%u%s", ev->part, ev->more_parts ? " more" : " last");
	if (ev->exchange_id)
		fprintf(f, " exchange=%" PRIu64, ev->exchange_id);
	if (ev->status)
		fprintf(f, " status=%u", ev->status);
	size_t nn;
	if (ev->ns_pid)
		fprintf(f, " nspid=%u", ev->ns_pid);
	str_bytes(ev->container_id, RAW(container_id), NULL, &nn);
	if (nn) { /* docker ps's short form */
		fputs(" container=", f);
		put_field(f, ev->container_id, RAW(container_id), NULL, flags);
	}
	if (ev->exchange_id && ec_record_type_role(ev->type) == EC_ROLE_RESPONSE) {
		/* a response: how long after the request's last byte it came, and ended */
		fprintf(f, " latency=%.3fms", (double)ev->latency_first_ns / 1e6);
		if (ev->latency_last_ns)
			fprintf(f, "/%.3fms", (double)ev->latency_last_ns / 1e6);
	}
	if (ev->failed)
		fputs(" failed", f);
	str_bytes(ev->summary, RAW(summary), NULL, &nn);
	if (nn) {
		fputs(" summary=\"", f);
		put_field(f, ev->summary, RAW(summary), NULL, flags);
		fputc('"', f);
	}
	if (host) {
		fputs(" host=", f);
		put_field(f, host, RAW(host), NULL, flags);
	}
	str_bytes(ev->note, RAW(note), NULL, &nn);
	if (nn) {
		fputs(" note=\"", f);
		put_field(f, ev->note, RAW(note), NULL, flags);
		fputc('"', f);
	}
	fputc('\n', f);
	payload(f, ev->payload.data, ev->payload.len, flags);
}

int ec_format_text(FILE *f, const EcLogEntry *e, const struct ec_record_strs *raw, unsigned flags)
{
	char t[40];
	size_t hn;
	str_bytes(e->host, RAW(host), NULL, &hn);
	const char *host = hn ? e->host : NULL; /* (ec-nats: where it came from) */
	switch (e->payload_case) {
	case EVENT__LOG_ENTRY__PAYLOAD_EVENT_PAYLOAD:
		text_event(f, e->event_payload, host, raw, flags);
		fputc('\n', f);
		break;
	case EVENT__LOG_ENTRY__PAYLOAD_HEARTBEAT_PAYLOAD: {
		const EcHeartbeat *hb = e->heartbeat_payload;
		fprintf(f, "-- heartbeat %s count=%" PRId64 " lost=%" PRIu64 " dropped=%" PRIu64,
			ec_fmt_time(hb->timestamp, t, sizeof t), hb->count, hb->events_lost,
			hb->records_dropped);
		size_t on;
		str_bytes(hb->origin, RAW(origin), NULL, &on);
		if (on) {
			fputs(" origin=", f);
			put_field(f, hb->origin, RAW(origin), NULL, flags);
		}
		if (host) {
			fputs(" host=", f);
			put_field(f, host, RAW(host), NULL, flags);
		}
		fputs(": ", f);
		put_field(f, hb->message, RAW(message), NULL, flags);
		fputc('\n', f);
		break;
	}
	case EVENT__LOG_ENTRY__PAYLOAD_RUN_LOG: {
		/* a log line ends in its own newline (docs/PROTOCOL.md): print it without */
		size_t n;
		const uint8_t *p = str_bytes(e->run_log, RAW(run_log), &e->run_log_raw, &n);
		if (n && p[n - 1] == '\n')
			n--;
		fprintf(f, "-- %s ",
			e->record_kind == EVENT__RECORD_KIND__RECORD_KIND_KEYLOG ? "keylog"
										 : "log");
		if (host) {
			fputs("host=", f);
			put_field(f, host, RAW(host), NULL, flags);
			fputc(' ', f);
		}
		put_str(f, p, n, flags);
		fputc('\n', f);
		break;
	}
	default:
		if (e->log_type == EVENT__LOG_TYPE__LOG_TYPE_HEARTBEAT)
			fprintf(f, "-- heartbeat (empty)\n");
		else
			fprintf(f, "-- %s record with no payload\n",
				ec_record_log_type_name(e->log_type));
	}
	return ferror(f) ? -1 : 0;
}

/* 64-bit values as JSON numbers without going through double. */
void ec_format_json_num(cJSON *o, const char *k, long long v)
{
	char b[24];
	snprintf(b, sizeof b, "%lld", v);
	cJSON_AddItemToObject(o, k, cJSON_CreateRaw(b));
}

static void unum(cJSON *o, const char *k, unsigned long long v)
{
	char b[24];
	snprintf(b, sizeof b, "%llu", v);
	cJSON_AddItemToObject(o, k, cJSON_CreateRaw(b));
}

static const char *enum_name(const ProtobufCEnumDescriptor *d, int v)
{
	const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(d, v);
	return ev ? ev->name : "?";
}

static void base64(cJSON *o, const char *k, const uint8_t *p, size_t n)
{
	char *s = ec_xmalloc(4 * ((n + 2) / 3) + 1);
	ec_base64(p, n, s);
	cJSON_AddStringToObject(o, k, s);
	free(s);
}

/*
 * A string field: as it is when it is UTF-8 text without NUL, else with
 * U+FFFD for each bad part and the exact bytes in base64 as KEY_raw.
 */
static void jstr(cJSON *o, const char *k, const char *cs, const struct ec_wire_str *w)
{
	size_t n;
	const uint8_t *p = str_bytes(cs, w, NULL, &n);
	if (ec_utf8_valid(p, n) && !memchr(p, 0, n)) {
		cJSON_AddStringToObject(o, k, cs ? cs : "");
		return;
	}
	char *fixed = ec_utf8_fixdup(p, n), rk[32];
	cJSON_AddStringToObject(o, k, fixed);
	free(fixed);
	snprintf(rk, sizeof rk, "%s_raw", k);
	base64(o, rk, p, n);
}

static cJSON *json_event(const EcEvent *ev, const struct ec_record_strs *raw)
{
	char t[40];
	cJSON *o = cJSON_CreateObject();
	ec_format_json_num(o, "timestamp", ev->timestamp);
	cJSON_AddStringToObject(o, "time", ec_fmt_time(ev->timestamp, t, sizeof t));
	jstr(o, "uuid", ev->uuid, RAW(uuid));
	jstr(o, "src_ip", ev->src_ip, RAW(src_ip));
	unum(o, "src_port", ev->src_port);
	jstr(o, "dst_ip", ev->dst_ip, RAW(dst_ip));
	unum(o, "dst_port", ev->dst_port);
	ec_format_json_num(o, "pid", ev->pid);
	if (ev->pname_raw.len) {
		/* the writer fixed pname and kept the name's bytes */
		jstr(o, "pname", ev->pname, RAW(pname));
		cJSON_DeleteItemFromObjectCaseSensitive(o, "pname_raw");
		base64(o, "pname_raw", ev->pname_raw.data, ev->pname_raw.len);
	} else {
		jstr(o, "pname", ev->pname, RAW(pname));
	}
	unum(o, "type", ev->type);
	cJSON_AddStringToObject(o, "type_name", ec_record_type_name(ev->type));
	unum(o, "length", ev->length);
	cJSON_AddStringToObject(o, "source", enum_name(&event__source__descriptor, ev->source));
	cJSON_AddStringToObject(o, "direction",
				enum_name(&event__direction__descriptor, ev->direction));
	unum(o, "tid", ev->tid);
	unum(o, "uid", ev->uid);
	ec_format_json_num(o, "fd", ev->fd);
	unum(o, "conn_id", ev->conn_id);
	unum(o, "seq", ev->seq);
	if (ev->truncated) {
		cJSON_AddTrueToObject(o, "truncated");
		unum(o, "orig_length", ev->orig_length);
	}
	if (ev->closed)
		cJSON_AddTrueToObject(o, "closed");
	if (ev->client_random.len) {
		char hex[2 * 64 + 1];
		size_t n = ev->client_random.len < 64 ? ev->client_random.len : 64;
		for (size_t i = 0; i < n; i++)
			snprintf(hex + 2 * i, 3, "%02x", ev->client_random.data[i]);
		hex[2 * n] = '\0';
		cJSON_AddStringToObject(o, "client_random", hex);
	}
	if (ev->type == 5) {
		unum(o, "ws_opcode", ev->ws_opcode);
		cJSON_AddBoolToObject(o, "ws_fin", ev->ws_fin);
	}
	if (ev->h2_stream_id)
		unum(o, "h2_stream_id", ev->h2_stream_id);
	if (ev->desync)
		cJSON_AddTrueToObject(o, "desync");
	size_t nn;
	str_bytes(ev->note, RAW(note), NULL, &nn);
	if (nn)
		jstr(o, "note", ev->note, RAW(note));
	if (ev->retval)
		ec_format_json_num(o, "retval", ev->retval);
	if (ev->link_type)
		unum(o, "link_type", ev->link_type);
	if (ev->ifindex)
		unum(o, "ifindex", ev->ifindex);
	if (ev->egress)
		cJSON_AddTrueToObject(o, "egress");
	if (ev->first_seq)
		unum(o, "first_seq", ev->first_seq);
	if (ev->part) {
		unum(o, "part", ev->part);
		cJSON_AddBoolToObject(o, "more_parts", ev->more_parts);
	}
	if (ev->exchange_id)
		unum(o, "exchange_id", ev->exchange_id);
	if (ev->status)
		unum(o, "status", ev->status);
	if (ev->exchange_id && ec_record_type_role(ev->type) == EC_ROLE_RESPONSE) {
		ec_format_json_num(o, "latency_first_ns", ev->latency_first_ns);
		if (ev->latency_last_ns)
			ec_format_json_num(o, "latency_last_ns", ev->latency_last_ns);
	}
	/* the request's facts: on responses, and on requests past HTTP's */
	if (ev->exchange_id && (ec_record_type_role(ev->type) == EC_ROLE_RESPONSE ||
				ev->type >= EC_TYPE_GRPC_REQUEST)) {
		str_bytes(ev->method, RAW(method), NULL, &nn);
		if (nn)
			jstr(o, "method", ev->method, RAW(method));
		str_bytes(ev->authority, RAW(authority), NULL, &nn);
		if (nn)
			jstr(o, "authority", ev->authority, RAW(authority));
		str_bytes(ev->path, RAW(path), NULL, &nn);
		if (nn)
			jstr(o, "path", ev->path, RAW(path));
	}
	if (ev->failed)
		cJSON_AddTrueToObject(o, "failed");
	if (ev->cgroup_id)
		unum(o, "cgroup_id", ev->cgroup_id);
	static const struct {
		const char *name;
		size_t at, raw;
	} strs[] = {
	    {"cgroup", offsetof(EcEvent, cgroup), offsetof(struct ec_record_strs, cgroup)},
	    {"container_id", offsetof(EcEvent, container_id),
	     offsetof(struct ec_record_strs, container_id)},
	    {"pod_uid", offsetof(EcEvent, pod_uid), offsetof(struct ec_record_strs, pod_uid)},
	    {"lib", offsetof(EcEvent, lib), offsetof(struct ec_record_strs, lib)},
	    {"summary", offsetof(EcEvent, summary), offsetof(struct ec_record_strs, summary)},
	};
	for (size_t i = 0; i < sizeof strs / sizeof *strs; i++) {
		const char *v = *(char *const *)((const char *)ev + strs[i].at);
		const struct ec_wire_str *w =
		    raw ? (const void *)((const char *)raw + strs[i].raw) : NULL;
		str_bytes(v, w, NULL, &nn);
		if (nn)
			jstr(o, strs[i].name, v, w);
	}
	if (ev->ns_pid)
		unum(o, "ns_pid", ev->ns_pid);
	const uint8_t *p = ev->payload.data;
	size_t n = ev->payload.len;
	if (ec_is_utf8(p, n)) {
		char *s = ec_xmalloc(n + 1);
		if (n)
			memcpy(s, p, n);
		s[n] = 0;
		cJSON_AddStringToObject(o, "payload", s);
		cJSON_AddStringToObject(o, "payload_encoding", "utf8");
		free(s);
	} else {
		base64(o, "payload", p, n);
		cJSON_AddStringToObject(o, "payload_encoding", "base64");
	}
	return o;
}

int ec_format_json(FILE *f, const EcLogEntry *e, const struct ec_record_strs *raw)
{
	char t[40];
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return -1;
	cJSON_AddStringToObject(o, "log_type",
				enum_name(&event__log_type__descriptor, e->log_type));
	if (e->record_kind)
		cJSON_AddStringToObject(o, "record_kind",
					enum_name(&event__record_kind__descriptor, e->record_kind));
	size_t hn;
	str_bytes(e->host, RAW(host), NULL, &hn);
	if (hn)
		jstr(o, "host", e->host, RAW(host));
	switch (e->payload_case) {
	case EVENT__LOG_ENTRY__PAYLOAD_EVENT_PAYLOAD:
		cJSON_AddItemToObject(o, "event_payload", json_event(e->event_payload, raw));
		break;
	case EVENT__LOG_ENTRY__PAYLOAD_HEARTBEAT_PAYLOAD: {
		const EcHeartbeat *hb = e->heartbeat_payload;
		cJSON *h = cJSON_CreateObject();
		ec_format_json_num(h, "timestamp", hb->timestamp);
		cJSON_AddStringToObject(h, "time", ec_fmt_time(hb->timestamp, t, sizeof t));
		ec_format_json_num(h, "count", hb->count);
		jstr(h, "message", hb->message, RAW(message));
		unum(h, "events_lost", hb->events_lost);
		unum(h, "records_dropped", hb->records_dropped);
		jstr(h, "origin", hb->origin, RAW(origin));
		cJSON_AddItemToObject(o, "heartbeat_payload", h);
		break;
	}
	case EVENT__LOG_ENTRY__PAYLOAD_RUN_LOG:
		jstr(o, "run_log", e->run_log, RAW(run_log));
		if (e->run_log_raw.len) {
			cJSON_DeleteItemFromObjectCaseSensitive(o, "run_log_raw");
			base64(o, "run_log_raw", e->run_log_raw.data, e->run_log_raw.len);
		}
		break;
	default:
		break;
	}
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!s)
		return -1;
	fputs(s, f);
	fputc('\n', f);
	cJSON_free(s);
	return ferror(f) ? -1 : 0;
}
