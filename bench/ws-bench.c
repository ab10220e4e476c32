// SPDX-License-Identifier: GPL-2.0-only
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
 *       of every event message to FILE; with --arrivals, the receive time
 *       (CLOCK_REALTIME ns) and the first line of the payload of every
 *       event message (bench/bench-e2e.sh matches them to its requests).
 *   ws-bench rawsink --url ws://127.0.0.1:PORT/
 *       one client that only counts frames: after the opening handshake it
 *       reads 256 KiB at a time and walks the frame headers (RFC 6455 5.2)
 *       without touching payloads, so that the clients' cost does not hide
 *       the server's throughput on a small machine; same output line.
 *
 * Built by bench/bench-serve.sh (not by make): a benchmark tool only.
 */
#include <libwebsockets.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <errno.h>
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
static FILE *latf, *arrf;
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
		if (latf || arrf) {
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
			if (latf || arrf) {
				EcLogEntry *e = ec_record_decode(me->buf, me->len);
				const EcEvent *ev =
				    e && e->log_type == EVENT__LOG_TYPE__LOG_TYPE_EVENT
					? e->event_payload
					: NULL;
				if (ev && latf)
					fprintf(latf, "%lld\n",
						(long long)(last_ns - ev->timestamp));
				if (ev && arrf) {
					size_t k = 0;
					while (k < ev->payload.len && k < 120 &&
					       ev->payload.data[k] != '\r' &&
					       ev->payload.data[k] != '\n')
						k++;
					fprintf(arrf, "%lld %.*s\n", (long long)last_ns, (int)k,
						(const char *)ev->payload.data);
				}
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

static int sink(const char *url, int clients, const char *latency, const char *arrivals)
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
	if (arrivals && !(arrf = fopen(arrivals, "w"))) {
		perror(arrivals);
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
	if (arrf)
		fclose(arrf);
	return nfailed ? 1 : 0;
}

static int rawsink(const char *url)
{
	char host[256];
	int port;
	if (sscanf(url, "ws://%255[^:]:%d", host, &port) != 2) {
		fprintf(stderr, "ws-bench: --url ws://IPV4:PORT/\n");
		return 2;
	}
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		ec_die(2, "rawsink: %s is not an IPv4 address", host);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa))
		ec_die(1, "rawsink: connect %s:%d: %s", host, port, strerror(errno));
	char req[512];
	int n = snprintf(req, sizeof req,
			 "GET / HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
			 "Connection: Upgrade\r\nSec-WebSocket-Key: ZWMtYmVuY2gtcmF3c2luaw==\r\n"
			 "Sec-WebSocket-Version: 13\r\n\r\n",
			 host, port);
	if (write(fd, req, (size_t)n) != n)
		ec_die(1, "rawsink: write: %s", strerror(errno));
	static uint8_t buf[256 * 1024];
	size_t have = 0;
	uint8_t *hdr_end = NULL;
	while (!hdr_end) {
		ssize_t r = read(fd, buf + have, sizeof buf - have);
		if (r <= 0)
			ec_die(1, "rawsink: no handshake answer");
		have += (size_t)r;
		hdr_end = memmem(buf, have, "\r\n\r\n", 4);
	}
	if (memcmp(buf, "HTTP/1.1 101", 12))
		ec_die(1, "rawsink: handshake refused: %.40s", buf);
	size_t off = (size_t)(hdr_end + 4 - buf);
	long long messages = 0;
	uint64_t skip = 0; /* payload bytes of the current frame still to come */
	int closed = 0;
	for (;;) {
		/* walk whole frame headers in buf[off, have) */
		while (!closed) {
			if (skip) {
				uint64_t k = have - off < skip ? have - off : skip;
				off += k;
				skip -= k;
				if (skip)
					break;
			}
			if (have - off < 2)
				break;
			uint8_t op = buf[off] & 0x0f, l7 = buf[off + 1] & 0x7f;
			size_t hl = l7 == 126 ? 4 : l7 == 127 ? 10 : 2;
			if (have - off < hl)
				break;
			uint64_t len = l7;
			if (l7 == 126)
				len = (uint64_t)buf[off + 2] << 8 | buf[off + 3];
			else if (l7 == 127)
				for (int i = 0; i < 8; i++)
					len = len << 8 | buf[off + 2 + i];
			off += hl;
			skip = len;
			if (op == 2) {
				messages++;
				if (!first_ns)
					first_ns = realtime_ns();
				last_ns = realtime_ns();
			} else if (op == 8) {
				closed = 1;
			}
		}
		if (closed)
			break;
		memmove(buf, buf + off, have - off);
		have -= off;
		off = 0;
		ssize_t r = read(fd, buf + have, sizeof buf - have);
		if (r <= 0)
			break;
		have += (size_t)r;
	}
	close(fd);
	printf("clients 1 messages %lld min_per_client %lld first_ns %lld last_ns %lld failed 0\n",
	       messages, messages, (long long)first_ns, (long long)last_ns);
	return 0;
}

int main(int argc, char **argv)
{
	ec_init(argv[0]);
	if (argc < 2) {
		fprintf(stderr, "usage: ws-bench feed --rate R --count N [--size B] | "
				"sink --url URL --clients C [--latency FILE] [--arrivals FILE]\n");
		return 2;
	}
	long long rate = 0, count = 100000, size = 200, clients = 8;
	const char *url = NULL, *latency = NULL, *arrivals = NULL;
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
		else if (!strcmp(o, "--arrivals"))
			arrivals = v;
		else
			ec_die(2, "unknown option %s", o);
	}
	if (!strcmp(argv[1], "feed"))
		return feed(rate, count, size);
	if (!strcmp(argv[1], "rawsink") && url)
		return rawsink(url);
	if (!strcmp(argv[1], "sink") && url)
		return sink(url, (int)clients, latency, arrivals);
	ec_die(2, "feed or sink --url URL");
}
