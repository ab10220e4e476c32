#include "format.h"
#include "record.h"
#include "util.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static void endpoint(char *buf, size_t len, const char *ip, uint32_t port)
{
	if (!ip || !*ip)
		snprintf(buf, len, "-");
	else if (strchr(ip, ':'))
		snprintf(buf, len, "[%s]:%u", ip, port);
	else
		snprintf(buf, len, "%s:%u", ip, port);
}

static void text_event(FILE *f, const EcEvent *ev, unsigned flags)
{
	char t[40], src[80], dst[80];
	endpoint(src, sizeof src, ev->src_ip, ev->src_port);
	endpoint(dst, sizeof dst, ev->dst_ip, ev->dst_port);
	fprintf(f,
		"%s %s(%" PRId64 "/%u) uid=%u fd=%d %s -> %s %s %s %s len=%u conn=%" PRIu64
		" seq=%" PRIu64,
		ec_fmt_time(ev->timestamp, t, sizeof t), ev->pname && *ev->pname ? ev->pname : "?",
		ev->pid, ev->tid, ev->uid, ev->fd, src, dst, ec_direction_name(ev->direction),
		ec_source_name(ev->source), ec_type_name(ev->type), ev->length, ev->conn_id,
		ev->seq);
	if (ev->h2_stream_id)
		fprintf(f, " stream=%u", ev->h2_stream_id);
	if (ev->type == 5)
		fprintf(f, " ws-opcode=%u%s", ev->ws_opcode, ev->ws_fin ? " fin" : "");
	if (ev->truncated)
		fprintf(f, " truncated(orig=%" PRIu64 ")", ev->orig_length);
	if (ev->closed)
		fprintf(f, " closed");
	if (ev->desync)
		fprintf(f, " desync");
	if (ev->retval)
		fprintf(f, " ret=%" PRId64, ev->retval);
	if (ev->part)
		fprintf(f, " part=%u%s", ev->part, ev->more_parts ? " more" : " last");
	if (ev->note && *ev->note)
		fprintf(f, " note=\"%s\"", ev->note);
	fputc('\n', f);
	const uint8_t *p = ev->payload.data;
	size_t n = ev->payload.len;
	if (!n)
		return;
	if ((flags & EC_FMT_HEX) || !ec_is_text(p, n)) {
		ec_hexdump(f, p, n);
	} else {
		fwrite(p, 1, n, f);
		if (p[n - 1] != '\n')
			fputc('\n', f);
	}
}

int ec_format_text(FILE *f, const EcLogEntry *e, unsigned flags)
{
	char t[40];
	switch (e->payload_case) {
	case EVENT__LOG_ENTRY__PAYLOAD_EVENT_PAYLOAD:
		text_event(f, e->event_payload, flags);
		fputc('\n', f);
		break;
	case EVENT__LOG_ENTRY__PAYLOAD_HEARTBEAT_PAYLOAD: {
		const EcHeartbeat *hb = e->heartbeat_payload;
		fprintf(f,
			"-- heartbeat %s count=%" PRId64 " lost=%" PRIu64 " dropped=%" PRIu64
			"%s%s: %s\n",
			ec_fmt_time(hb->timestamp, t, sizeof t), hb->count, hb->events_lost,
			hb->records_dropped, hb->origin && *hb->origin ? " origin=" : "",
			hb->origin ? hb->origin : "", hb->message ? hb->message : "");
		break;
	}
	case EVENT__LOG_ENTRY__PAYLOAD_RUN_LOG: {
		/* a log line ends in its own newline (docs/PROTOCOL.md) */
		const char *l = e->run_log ? e->run_log : "";
		size_t n = strlen(l);
		if (n && l[n - 1] == '\n')
			n--;
		fprintf(f, "-- %s %.*s\n",
			e->record_kind == EVENT__RECORD_KIND__RECORD_KIND_KEYLOG ? "keylog" : "log",
			(int)n, l);
		break;
	}
	default:
		if (e->log_type == EVENT__LOG_TYPE__LOG_TYPE_HEARTBEAT)
			fprintf(f, "-- heartbeat (empty)\n");
		else
			fprintf(f, "-- %s record with no payload\n", ec_log_type_name(e->log_type));
	}
	return ferror(f) ? -1 : 0;
}

/* 64-bit values as JSON numbers without going through double. */
static void num(cJSON *o, const char *k, long long v)
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

static cJSON *json_event(const EcEvent *ev)
{
	char t[40];
	cJSON *o = cJSON_CreateObject();
	num(o, "timestamp", ev->timestamp);
	cJSON_AddStringToObject(o, "time", ec_fmt_time(ev->timestamp, t, sizeof t));
	cJSON_AddStringToObject(o, "uuid", ev->uuid ? ev->uuid : "");
	cJSON_AddStringToObject(o, "src_ip", ev->src_ip ? ev->src_ip : "");
	unum(o, "src_port", ev->src_port);
	cJSON_AddStringToObject(o, "dst_ip", ev->dst_ip ? ev->dst_ip : "");
	unum(o, "dst_port", ev->dst_port);
	num(o, "pid", ev->pid);
	cJSON_AddStringToObject(o, "pname", ev->pname ? ev->pname : "");
	unum(o, "type", ev->type);
	cJSON_AddStringToObject(o, "type_name", ec_type_name(ev->type));
	unum(o, "length", ev->length);
	cJSON_AddStringToObject(o, "source", enum_name(&event__source__descriptor, ev->source));
	cJSON_AddStringToObject(o, "direction",
				enum_name(&event__direction__descriptor, ev->direction));
	unum(o, "tid", ev->tid);
	unum(o, "uid", ev->uid);
	num(o, "fd", ev->fd);
	unum(o, "conn_id", ev->conn_id);
	unum(o, "seq", ev->seq);
	if (ev->truncated) {
		cJSON_AddTrueToObject(o, "truncated");
		unum(o, "orig_length", ev->orig_length);
	}
	if (ev->closed)
		cJSON_AddTrueToObject(o, "closed");
	if (ev->type == 5) {
		unum(o, "ws_opcode", ev->ws_opcode);
		cJSON_AddBoolToObject(o, "ws_fin", ev->ws_fin);
	}
	if (ev->h2_stream_id)
		unum(o, "h2_stream_id", ev->h2_stream_id);
	if (ev->desync)
		cJSON_AddTrueToObject(o, "desync");
	if (ev->note && *ev->note)
		cJSON_AddStringToObject(o, "note", ev->note);
	if (ev->retval)
		num(o, "retval", ev->retval);
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
		char *s = ec_xmalloc(4 * ((n + 2) / 3) + 1);
		ec_base64(p, n, s);
		cJSON_AddStringToObject(o, "payload", s);
		cJSON_AddStringToObject(o, "payload_encoding", "base64");
		free(s);
	}
	return o;
}

int ec_format_json(FILE *f, const EcLogEntry *e)
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
	switch (e->payload_case) {
	case EVENT__LOG_ENTRY__PAYLOAD_EVENT_PAYLOAD:
		cJSON_AddItemToObject(o, "event_payload", json_event(e->event_payload));
		break;
	case EVENT__LOG_ENTRY__PAYLOAD_HEARTBEAT_PAYLOAD: {
		const EcHeartbeat *hb = e->heartbeat_payload;
		cJSON *h = cJSON_CreateObject();
		num(h, "timestamp", hb->timestamp);
		cJSON_AddStringToObject(h, "time", ec_fmt_time(hb->timestamp, t, sizeof t));
		num(h, "count", hb->count);
		cJSON_AddStringToObject(h, "message", hb->message ? hb->message : "");
		unum(h, "events_lost", hb->events_lost);
		unum(h, "records_dropped", hb->records_dropped);
		cJSON_AddStringToObject(h, "origin", hb->origin ? hb->origin : "");
		cJSON_AddItemToObject(o, "heartbeat_payload", h);
		break;
	}
	case EVENT__LOG_ENTRY__PAYLOAD_RUN_LOG:
		cJSON_AddStringToObject(o, "run_log", e->run_log ? e->run_log : "");
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
