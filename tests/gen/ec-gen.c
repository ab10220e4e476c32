// SPDX-License-Identifier: GPL-2.0-only
/*
 * ec-gen: write a deterministic record stream shaped like ec-capture's
 * output (HTTP/1.1 and HTTP/2 connections over TLS, split into fragments
 * the way SSL_write/SSL_read return them, interleaved, with key-log lines,
 * process logs and heartbeats). Fixtures and benchmarks come from here, so
 * no test depends on hand-typed bytes. HTTP/2 headers are real HPACK from
 * nghttp2's deflater.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "record.h"
#include "stream.h"
#include "util.h"

static uint64_t rng_state = 42;

static uint64_t rnd(void)
{
	/* splitmix64: deterministic across machines */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rndn(uint64_t n)
{
	return n ? rnd() % n : 0;
}

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void put(struct buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->p = ec_xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void putf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct buf *b, const char *fmt, ...)
{
	char tmp[2048];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void fill_body(struct buf *b, size_t n, int binary)
{
	static const char words[] = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do "
				    "eiusmod tempor incididunt ut labore et dolore magna aliqua ";
	for (size_t i = 0; i < n; i++) {
		uint8_t c =
		    binary ? (uint8_t)rnd() : (uint8_t)words[(i * 7 + n) % (sizeof words - 1)];
		put(b, &c, 1);
	}
}

/* One message: bytes in one direction. */
struct msg {
	int dir; /* EVENT__DIRECTION__* */
	struct buf data;
};

struct conn {
	uint64_t id;
	int pid, tid, fd, uid;
	const char *comm;
	char lip[48], rip[48];
	unsigned lport, rport;
	struct msg *msgs;
	size_t nmsg, cur, off;
	uint64_t seq[3];
};

static const char *const comms[] = {"curl", "python3", "nginx", "wget", "node"};
static const char *const paths[] = {"/",      "/index.html",	"/api/v1/items",
				    "/login", "/static/app.js", "/search?q=ec+capture"};

static struct opts {
	uint64_t seed, conns, total_conns, records, size, max_body, heartbeat;
	unsigned h2pct;
	int binary, keylog, v6pct;
	const char *from;
} o = {.seed = 1,
       .conns = 8,
       .total_conns = 64,
       .max_body = 4096,
       .heartbeat = 5000,
       .keylog = 1,
       .v6pct = 20};

static struct msg *newmsg(struct conn *c, int dir)
{
	c->msgs = ec_xrealloc(c->msgs, (c->nmsg + 1) * sizeof *c->msgs);
	struct msg *m = &c->msgs[c->nmsg++];
	memset(m, 0, sizeof *m);
	m->dir = dir;
	return m;
}

/* host:port as it appears in Host and :authority (IPv6 in brackets). */
static const char *authority(const struct conn *c, char *buf, size_t len)
{
	snprintf(buf, len, strchr(c->rip, ':') ? "[%s]:%u" : "%s:%u", c->rip, c->rport);
	return buf;
}

static void h1_exchange(struct conn *c, int last)
{
	char auth[80];
	const char *path = paths[rndn(sizeof paths / sizeof *paths)];
	int post = rndn(4) == 0;
	size_t reqbody = post ? rndn(o.max_body / 4 + 1) : 0;
	struct msg *m = newmsg(c, EVENT__DIRECTION__DIRECTION_WRITE);
	putf(&m->data, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s/8.1\r\nAccept: */*\r\n",
	     post ? "POST" : "GET", path, authority(c, auth, sizeof auth), c->comm);
	if (post)
		putf(&m->data, "Content-Type: application/json\r\nContent-Length: %zu\r\n",
		     reqbody);
	if (last)
		putf(&m->data, "Connection: close\r\n");
	putf(&m->data, "\r\n");
	fill_body(&m->data, reqbody, 0);

	size_t body = rndn(o.max_body + 1);
	int binary = o.binary && rndn(4) == 0;
	m = newmsg(c, EVENT__DIRECTION__DIRECTION_READ);
	putf(&m->data, "HTTP/1.1 200 OK\r\nServer: gen\r\nContent-Type: %s\r\n",
	     binary ? "application/octet-stream" : "text/html");
	if (rndn(3) == 0) { /* chunked */
		putf(&m->data, "Transfer-Encoding: chunked\r\n\r\n");
		size_t left = body;
		while (left) {
			size_t n = 1 + rndn(left < 1024 ? left : 1024);
			putf(&m->data, "%zx\r\n", n);
			fill_body(&m->data, n, binary);
			putf(&m->data, "\r\n");
			left -= n;
		}
		putf(&m->data, "0\r\n\r\n");
	} else {
		putf(&m->data, "Content-Length: %zu\r\n\r\n", body);
		fill_body(&m->data, body, binary);
	}
}

static void h2_frame(struct buf *b, uint8_t type, uint8_t flags, uint32_t sid, const uint8_t *p,
		     size_t n)
{
	uint8_t h[9] = {(uint8_t)(n >> 16),
			(uint8_t)(n >> 8),
			(uint8_t)n,
			type,
			flags,
			(uint8_t)(sid >> 24 & 0x7f),
			(uint8_t)(sid >> 16),
			(uint8_t)(sid >> 8),
			(uint8_t)sid};
	put(b, h, 9);
	if (n)
		put(b, p, n);
}

static void h2_headers(nghttp2_hd_deflater *d, struct buf *b, uint32_t sid, nghttp2_nv *nv,
		       size_t n, int end)
{
	uint8_t blk[8192];
	ssize_t k = nghttp2_hd_deflate_hd(d, blk, sizeof blk, nv, n);
	if (k < 0)
		ec_die(1, "hpack deflate: %s", nghttp2_strerror((int)k));
	h2_frame(b, 1, 0x4 | (end ? 0x1 : 0), sid, blk, (size_t)k);
}

#define NV(n, v)                                                                                   \
	{                                                                                          \
		(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, strlen(v), NGHTTP2_NV_FLAG_NONE     \
	}

static void h2_conn(struct conn *c, int nreq)
{
	nghttp2_hd_deflater *cd, *sd;
	if (nghttp2_hd_deflate_new(&cd, 4096) || nghttp2_hd_deflate_new(&sd, 4096))
		ec_die(1, "out of memory");
	struct msg *m = newmsg(c, EVENT__DIRECTION__DIRECTION_WRITE);
	put(&m->data, NGHTTP2_CLIENT_MAGIC, NGHTTP2_CLIENT_MAGIC_LEN);
	uint8_t settings[6] = {0, 3, 0, 0, 0, 100};
	h2_frame(&m->data, 4, 0, 0, settings, 6);
	m = newmsg(c, EVENT__DIRECTION__DIRECTION_READ);
	h2_frame(&m->data, 4, 0, 0, settings, 6);
	h2_frame(&m->data, 4, 1, 0, NULL, 0);
	m = newmsg(c, EVENT__DIRECTION__DIRECTION_WRITE);
	h2_frame(&m->data, 4, 1, 0, NULL, 0);
	char auth[80], len[24];
	authority(c, auth, sizeof auth);
	for (int i = 0; i < nreq; i++) {
		uint32_t sid = 1 + 2 * (uint32_t)i;
		const char *path = paths[rndn(sizeof paths / sizeof *paths)];
		nghttp2_nv req[] = {NV(":method", "GET"),      NV(":scheme", "https"),
				    NV(":authority", auth),    NV(":path", path),
				    NV("user-agent", c->comm), NV("accept", "*/*")};
		m = newmsg(c, EVENT__DIRECTION__DIRECTION_WRITE);
		h2_headers(cd, &m->data, sid, req, sizeof req / sizeof *req, 1);
		size_t body = rndn(o.max_body + 1);
		snprintf(len, sizeof len, "%zu", body);
		nghttp2_nv resp[] = {NV(":status", "200"), NV("content-type", "text/html"),
				     NV("content-length", len), NV("server", "gen")};
		m = newmsg(c, EVENT__DIRECTION__DIRECTION_READ);
		h2_headers(sd, &m->data, sid, resp, sizeof resp / sizeof *resp, body == 0);
		struct buf data = {0};
		fill_body(&data, body, 0);
		for (size_t off = 0; off < body;) {
			size_t n = body - off < 16384 ? body - off : 16384;
			h2_frame(&m->data, 0, off + n == body ? 1 : 0, sid, data.p + off, n);
			off += n;
		}
		free(data.p);
	}
	nghttp2_hd_deflate_del(cd);
	nghttp2_hd_deflate_del(sd);
}

static uint64_t next_id = 1;

static void conn_new(struct conn *c)
{
	memset(c, 0, sizeof *c);
	c->id = next_id++;
	c->pid = 1000 + (int)rndn(30000);
	c->tid = c->pid + (int)rndn(3);
	c->fd = 3 + (int)rndn(60);
	c->uid = rndn(2) ? 1000 : 0;
	c->comm = comms[rndn(sizeof comms / sizeof *comms)];
	if (rndn(100) < (uint64_t)o.v6pct) {
		snprintf(c->lip, sizeof c->lip, "::1");
		snprintf(c->rip, sizeof c->rip, "::1");
	} else {
		snprintf(c->lip, sizeof c->lip, "127.0.0.1");
		snprintf(c->rip, sizeof c->rip, "127.0.%u.%u", (unsigned)rndn(4),
			 1 + (unsigned)rndn(250));
	}
	c->lport = 32768 + (unsigned)rndn(28000);
	c->rport = rndn(2) ? 443 : 8443;
	int nreq = 1 + (int)rndn(4);
	if (rndn(100) < o.h2pct)
		h2_conn(c, nreq);
	else
		for (int i = 0; i < nreq; i++)
			h1_exchange(c, i == nreq - 1);
}

static void conn_free(struct conn *c)
{
	for (size_t i = 0; i < c->nmsg; i++)
		free(c->msgs[i].data.p);
	free(c->msgs);
	c->msgs = NULL;
	c->nmsg = 0;
}

static int64_t now_ns = 1764684000000000000ll; /* 2025-12-02T14:00:00Z */

static int emit_event(struct ec_writer *w, struct conn *c, int dir, const uint8_t *p, size_t n,
		      int closed)
{
	char uuid[96];
	EcEvent ev = EVENT__EVENT__INIT;
	now_ns += 1000 + (int64_t)rndn(50000);
	ev.timestamp = now_ns;
	snprintf(uuid, sizeof uuid, "%d_%d_%s_%d_%d", c->pid, c->tid, c->comm, c->fd, dir);
	ev.uuid = uuid;
	ev.src_ip = c->lip;
	ev.src_port = c->lport;
	ev.dst_ip = c->rip;
	ev.dst_port = c->rport;
	ev.pid = c->pid;
	ev.pname = (char *)c->comm;
	ev.length = (uint32_t)n;
	ev.payload.data = (uint8_t *)p;
	ev.payload.len = n;
	ev.source = EVENT__SOURCE__SOURCE_OPENSSL;
	ev.direction = dir;
	ev.tid = (uint32_t)c->tid;
	ev.uid = (uint32_t)c->uid;
	ev.fd = c->fd;
	ev.conn_id = c->id;
	ev.seq = closed ? 0 : c->seq[dir]++;
	ev.closed = closed;
	EcLogEntry e = EVENT__LOG_ENTRY__INIT;
	e.log_type = EVENT__LOG_TYPE__LOG_TYPE_EVENT;
	e.payload_case = EVENT__LOG_ENTRY__PAYLOAD_EVENT_PAYLOAD;
	e.event_payload = &ev;
	return ec_writer_put(w, &e);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: %s [--seed N] [--conns N] [--total-conns N] [--records N] [--size BYTES]\n"
		"          [--h2 PERCENT] [--v6 PERCENT] [--max-body N] [--heartbeat N]\n"
		"          [--binary] [--no-keylog] [--from FILE]\n"
		"Writes a deterministic ec record stream on stdout. Stops after --total-conns\n"
		"connections, or when --records or --size is reached (connections restart).\n"
		"--from FILE: the events of a recorded stream, replayed by --conns copies at a\n"
		"time (each copy's connections get ids and ports of their own).\n",
		argv0);
	exit(2);
}

/* One copy of --from's events in flight: where it is, and its id base. */
struct copy {
	size_t next;
	uint64_t base;
};

/*
 * --from: any protocol's recorded conversation becomes a stream of any size
 * with --conns connections open at once (benchmarks of the decoders), the
 * copies interleaved at random, on the generated clock.
 */
static int replay(struct ec_writer *w, const char *file)
{
	int fd = open(file, O_RDONLY);
	if (fd < 0)
		ec_die(1, "--from: %s: %s", file, strerror(errno));
	struct ec_reader *r = ec_reader_new(fd, file, 16u << 20);
	EcLogEntry **ev = NULL;
	uint64_t *ids = NULL; /* the file's conn_ids, in order of first use */
	size_t n = 0, nids = 0;
	const uint8_t *buf;
	size_t len;
	int rc;
	while ((rc = ec_reader_next(r, &buf, &len)) == 1) {
		EcLogEntry *e = ec_record_decode(buf, len);
		if (!e)
			ec_die(1, "--from: %s: record %llu is not a LogEntry", file,
			       (unsigned long long)ec_reader_index(r));
		if (e->payload_case != EVENT__LOG_ENTRY__PAYLOAD_EVENT_PAYLOAD) {
			ec_record_free(e);
			continue;
		}
		size_t j = 0;
		while (j < nids && ids[j] != e->event_payload->conn_id)
			j++;
		if (j == nids) {
			ids = ec_xrealloc(ids, (nids + 1) * sizeof *ids);
			ids[nids++] = e->event_payload->conn_id;
		}
		e->event_payload->conn_id = j; /* the index; each copy adds its base */
		ev = ec_xrealloc(ev, (n + 1) * sizeof *ev);
		ev[n++] = e;
	}
	if (rc < 0) {
		char msg[512];
		ec_reader_errmsg(r, rc, msg, sizeof msg);
		ec_die(1, "--from: %s", msg);
	}
	if (!n)
		ec_die(1, "--from: %s holds no events", file);
	ec_reader_free(r);
	close(fd);
	struct copy *cs = ec_xcalloc(o.conns, sizeof *cs);
	uint64_t started = 0;
	for (uint64_t i = 0; i < o.conns; i++)
		cs[i].base = nids * started++ + 1;
	int unbounded = o.records || o.size, err = 0;
	uint64_t active = o.conns;
	while (active && !err) {
		if ((o.records && ec_writer_records(w) >= o.records) ||
		    (o.size && ec_writer_bytes(w) >= o.size))
			break;
		struct copy *c = &cs[rndn(o.conns)];
		if (c->next == n)
			continue;
		EcEvent *e = ev[c->next]->event_payload, saved = *e;
		e->conn_id = c->base + saved.conn_id;
		e->src_port = 1024 + (uint32_t)(e->conn_id % 60000);
		now_ns += 1000 + (int64_t)rndn(50000);
		e->timestamp = now_ns;
		err = ec_writer_put(w, ev[c->next]);
		*e = saved;
		if (++c->next < n)
			continue;
		if (unbounded || started < o.total_conns) {
			c->next = 0;
			c->base = nids * started++ + 1;
		} else {
			active--;
		}
	}
	for (size_t i = 0; i < n; i++)
		ec_record_free(ev[i]);
	free(ev);
	free(ids);
	free(cs);
	return err;
}

static uint64_t num(const char *s, const char *what)
{
	uint64_t v;
	if (ec_util_parse_size(s, &v))
		ec_die(2, "%s: '%s' is not a number (e.g. 100, 64k, 1G)", what, s);
	return v;
}

int main(int argc, char **argv)
{
	ec_init(argv[0]);
	static const struct option lo[] = {
	    {"seed", 1, 0, 's'},    {"conns", 1, 0, 'c'},     {"total-conns", 1, 0, 'T'},
	    {"records", 1, 0, 'r'}, {"size", 1, 0, 'S'},      {"h2", 1, 0, '2'},
	    {"v6", 1, 0, '6'},	    {"max-body", 1, 0, 'b'},  {"heartbeat", 1, 0, 'H'},
	    {"binary", 0, 0, 'B'},  {"no-keylog", 0, 0, 'K'}, {"from", 1, 0, 'F'},
	    {"help", 0, 0, 'h'},    {"version", 0, 0, 'V'},   {0, 0, 0, 0}};
	int ch;
	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (ch) {
		case 's':
			o.seed = num(optarg, "--seed");
			break;
		case 'c':
			o.conns = num(optarg, "--conns");
			break;
		case 'T':
			o.total_conns = num(optarg, "--total-conns");
			break;
		case 'r':
			o.records = num(optarg, "--records");
			break;
		case 'S':
			o.size = num(optarg, "--size");
			break;
		case '2':
			o.h2pct = (unsigned)num(optarg, "--h2");
			break;
		case '6':
			o.v6pct = (int)num(optarg, "--v6");
			break;
		case 'b':
			o.max_body = num(optarg, "--max-body");
			break;
		case 'H':
			o.heartbeat = num(optarg, "--heartbeat");
			break;
		case 'B':
			o.binary = 1;
			break;
		case 'K':
			o.keylog = 0;
			break;
		case 'F':
			o.from = optarg;
			break;
		case 'V':
			ec_version();
		default:
			usage();
		}
	}
	if (optind != argc || o.conns == 0 || o.conns > 1000000)
		usage();
	if (isatty(1))
		ec_die(2, "refusing to write binary records to a terminal; pipe into ec-dump");
	rng_state = o.seed;
	struct ec_writer *w = ec_writer_new(1);
	struct conn *cs = ec_xcalloc(o.conns, sizeof *cs);
	uint64_t started = 0, active = 0;
	int unbounded = o.records || o.size;
	char text[128], line[160];
	snprintf(text, sizeof text, "ec-gen: seed=%llu conns=%llu (generated, not captured)",
		 (unsigned long long)o.seed, (unsigned long long)o.conns);
	/* stamped with the generated clock: the same seed gives the same bytes */
	ec_record_log_line(w, ec_record_log_format(line, sizeof line, now_ns, EC_LOG_INFO, text));
	if (o.from) {
		int err = replay(w, o.from), ferr = ec_writer_free(w);
		err = err ? err : ferr;
		if (err && err != EC_ERR_PIPE)
			ec_die(1, "write: %s", ec_strerror(err));
		return 0;
	}
	for (uint64_t i = 0; i < o.conns && (unbounded || started < o.total_conns); i++) {
		conn_new(&cs[i]);
		started++;
		active++;
	}
	int err = 0;
	uint64_t events = 0;
	while (active && !err) {
		if (o.records && ec_writer_records(w) >= o.records)
			break;
		if (o.size && ec_writer_bytes(w) >= o.size)
			break;
		struct conn *c = &cs[rndn(o.conns)];
		if (!c->msgs)
			continue;
		if (c->cur == 0 && c->off == 0 && o.keylog) {
			char line[256], hex[65];
			for (int j = 0; j < 32; j++)
				snprintf(hex + 2 * j, 3, "%02x",
					 (unsigned)(c->id * 31 + (unsigned)j) & 0xff);
			snprintf(line, sizeof line, "CLIENT_RANDOM %s %s%.32s", hex, hex, hex);
			err = ec_record_keylog(w, line);
		}
		struct msg *m = &c->msgs[c->cur];
		size_t left = m->data.len - c->off;
		/* most writes go out whole; some are split like partial SSL_read returns */
		size_t n = rndn(3) ? left : 1 + rndn(left);
		if (n > 16384)
			n = 16384;
		err = err ? err : emit_event(w, c, m->dir, m->data.p + c->off, n, 0);
		events++;
		c->off += n;
		if (c->off == m->data.len) {
			c->cur++;
			c->off = 0;
		}
		if (c->cur == c->nmsg) {
			err =
			    err ? err
				: emit_event(w, c, EVENT__DIRECTION__DIRECTION_UNKNOWN, NULL, 0, 1);
			conn_free(c);
			active--;
			if (unbounded || started < o.total_conns) {
				conn_new(c);
				started++;
				active++;
			}
		}
		if (!err && o.heartbeat && events % o.heartbeat == 0)
			err = ec_record_heartbeat(w, (int64_t)events, 0, 0, "ec-gen", "generated");
	}
	for (uint64_t i = 0; i < o.conns; i++)
		conn_free(&cs[i]);
	free(cs);
	int ferr = ec_writer_free(w);
	err = err ? err : ferr;
	if (err && err != EC_ERR_PIPE)
		ec_die(1, "write: %s", ec_strerror(err));
	return 0;
}
