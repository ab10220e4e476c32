/*
 * ws-bench: the two ends of bench/bench-serve.sh.
 *
 *   ws-bench feed --rate R --count N [--size B]
 *       writes N event records to stdout at R records/s (0 = as fast as
 *       possible), each stamped with the time it is written (CLOCK_REALTIME).
 *   ws-bench sink --url ws://127.0.0.1:PORT/ --clients C [--latency FILE]
 *       opens C WebSocket clients (libwebsockets, one thread), counts the
 *       binary messages each receives until the server closes, and prints
 *       "clients C messages M min_per_client K first_ns T0 last_ns T1";
 *       with --latency, writes receive time minus the event's timestamp (ns)
 *       of every event message to FILE.
 *
 * Built by bench/bench-serve.sh (not by make): a benchmark tool only.
 */
#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "stream.h"
#include "util.h"

static int64_t realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int feed(long long rate, long long count, long long size)
{
	struct ec_writer *w = ec_writer_new(1);
	char *payload = ec_xmalloc((size_t)size + 1);
	memset(payload, 'x', (size_t)size);
	payload[size] = 0;
	int64_t start = realtime_ns();
	for (long long i = 0; i < count; i++) {
		if (rate > 0) {
			int64_t due = start + (int64_t)(i * 1000000000ll / rate);
			int64_t now = realtime_ns();
			if (due > now) {
				if (ec_writer_flush(w))
					return 1;
				struct timespec d = {(time_t)((due - now) / 1000000000),
						     (long)((due - now) % 1000000000)};
				nanosleep(&d, NULL);
			}
		}
		EcEvent ev = EVENT__EVENT__INIT;
		ev.timestamp = realtime_ns();
		ev.pid = 4242;
		ev.pname = (char *)"bench";
		ev.uuid = (char *)"4242_4242_bench_3_1";
		ev.length = (uint32_t)size;
		ev.payload.data = (uint8_t *)payload;
		ev.payload.len = (size_t)size;
		ev.seq = (uint64_t)i;
		EcLogEntry e = EVENT__LOG_ENTRY__INIT;
		e.log_type = EVENT__LOG_TYPE__LOG_TYPE_EVENT;
		e.payload_case = EVENT__LOG_ENTRY__PAYLOAD_EVENT_PAYLOAD;
		e.event_payload = &ev;
		if (ec_writer_put(w, &e))
			return 1;
		if (rate > 0 && rate <= 100000 && ec_writer_flush(w))
			return 1;
	}
	free(payload);
	return ec_writer_free(w) ? 1 : 0;
}

struct conn {
	struct lws *wsi;
	long long messages;
	int done;
	uint8_t *buf;
	size_t len, cap;
};

static struct conn *conns;
static int nconns, nclosed, nfailed;
static FILE *latf;
static int64_t first_ns, last_ns;

static int cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	(void)user;
	struct conn *me = NULL;
	for (int i = 0; i < nconns; i++)
		if (conns[i].wsi == wsi)
			me = &conns[i];
	switch (reason) {
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		fprintf(stderr, "ws-bench: connect failed: %s\n", in ? (char *)in : "?");
		nfailed++;
		nclosed++;
		if (me)
			me->done = 1;
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (!me)
			break;
		if (!first_ns)
			first_ns = realtime_ns();
		if (latf) {
			if (me->len + len > me->cap) {
				me->cap = (me->len + len) * 2;
				me->buf = ec_xrealloc(me->buf, me->cap);
			}
			memcpy(me->buf + me->len, in, len);
			me->len += len;
		}
		if (lws_is_final_fragment(wsi)) {
			me->messages++;
			last_ns = realtime_ns();
			if (latf) {
				EcLogEntry *e = ec_record_decode(me->buf, me->len);
				if (e && e->log_type == EVENT__LOG_TYPE__LOG_TYPE_EVENT &&
				    e->event_payload)
					fprintf(latf, "%lld\n",
						(long long)(last_ns - e->event_payload->timestamp));
				ec_record_free(e);
				me->len = 0;
			}
		}
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (me && !me->done) {
			me->done = 1;
			nclosed++;
		}
		break;
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols protocols[] = {
    {"ec-bench", cb, 0, 1 << 16, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static int sink(const char *url, int clients, const char *latency)
{
	char host[256], path[256] = "/";
	int port;
	if (sscanf(url, "ws://%255[^:]:%d%255s", host, &port, path) < 2) {
		fprintf(stderr, "ws-bench: --url ws://HOST:PORT/\n");
		return 2;
	}
	if (latency && !(latf = fopen(latency, "w"))) {
		perror(latency);
		return 1;
	}
	lws_set_log_level(LLL_ERR, NULL);
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof info);
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	struct lws_context *ctx = lws_create_context(&info);
	if (!ctx)
		return 1;
	conns = ec_xcalloc((size_t)clients, sizeof *conns);
	nconns = clients;
	for (int i = 0; i < clients; i++) {
		struct lws_client_connect_info ci;
		memset(&ci, 0, sizeof ci);
		ci.context = ctx;
		ci.address = host;
		ci.port = port;
		ci.path = path;
		ci.host = host;
		ci.origin = host;
		ci.protocol = NULL;
		ci.local_protocol_name = "ec-bench";
		ci.pwsi = &conns[i].wsi;
		if (!lws_client_connect_via_info(&ci)) {
			fprintf(stderr, "ws-bench: cannot start client %d\n", i);
			return 1;
		}
	}
	while (nclosed < clients)
		if (lws_service(ctx, 0) < 0)
			break;
	long long total = 0, min = -1;
	for (int i = 0; i < clients; i++) {
		total += conns[i].messages;
		if (min < 0 || conns[i].messages < min)
			min = conns[i].messages;
	}
	printf(
	    "clients %d messages %lld min_per_client %lld first_ns %lld last_ns %lld failed %d\n",
	    clients, total, min, (long long)first_ns, (long long)last_ns, nfailed);
	lws_context_destroy(ctx);
	if (latf)
		fclose(latf);
	return nfailed ? 1 : 0;
}

int main(int argc, char **argv)
{
	ec_init(argv[0]);
	if (argc < 2) {
		fprintf(stderr, "usage: ws-bench feed --rate R --count N [--size B] | "
				"sink --url URL --clients C [--latency FILE]\n");
		return 2;
	}
	long long rate = 0, count = 100000, size = 200, clients = 8;
	const char *url = NULL, *latency = NULL;
	for (int i = 2; i + 1 < argc; i += 2) {
		const char *o = argv[i], *v = argv[i + 1];
		if (!strcmp(o, "--rate"))
			rate = atoll(v);
		else if (!strcmp(o, "--count"))
			count = atoll(v);
		else if (!strcmp(o, "--size"))
			size = atoll(v);
		else if (!strcmp(o, "--clients"))
			clients = atoll(v);
		else if (!strcmp(o, "--url"))
			url = v;
		else if (!strcmp(o, "--latency"))
			latency = v;
		else
			ec_die(2, "unknown option %s", o);
	}
	if (!strcmp(argv[1], "feed"))
		return feed(rate, count, size);
	if (!strcmp(argv[1], "sink") && url)
		return sink(url, (int)clients, latency);
	ec_die(2, "feed or sink --url URL");
}
