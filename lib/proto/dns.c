// SPDX-License-Identifier: GPL-2.0-only
#include "dns.h"
#include "util.h"

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QMAX 256     /* queries awaiting their response, per connection */
#define MAX_HOPS 64  /* compression pointers followed in one name */
#define MAX_RRS 4096 /* records rendered per section (the rest counted) */

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

const char *ec_dns_type_name(uint16_t type, char *buf, size_t cap)
{
	static const struct {
		uint16_t t;
		const char *name;
	} names[] = {{1, "A"},	    {2, "NS"},	    {5, "CNAME"},  {6, "SOA"},	 {12, "PTR"},
		     {13, "HINFO"}, {15, "MX"},	    {16, "TXT"},   {28, "AAAA"}, {33, "SRV"},
		     {35, "NAPTR"}, {39, "DNAME"},  {41, "OPT"},   {43, "DS"},	 {46, "RRSIG"},
		     {47, "NSEC"},  {48, "DNSKEY"}, {50, "NSEC3"}, {52, "TLSA"}, {64, "SVCB"},
		     {65, "HTTPS"}, {99, "SPF"},    {252, "AXFR"}, {255, "ANY"}, {257, "CAA"}};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (names[i].t == type)
			return names[i].name;
	snprintf(buf, cap, "TYPE%u", type);
	return buf;
}

const char *ec_dns_rcode_name(int rcode, char *buf, size_t cap)
{
	static const char *const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
					    "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
					    "NXRRSET", "NOTAUTH", "NOTZONE"};
	if (rcode >= 0 && (size_t)rcode < sizeof names / sizeof *names)
		return names[rcode];
	snprintf(buf, cap, "RCODE%d", rcode);
	return buf;
}

static const char *class_name(uint16_t c, char *buf, size_t cap)
{
	if (c == 1)
		return "IN";
	if (c == 3)
		return "CH";
	if (c == 4)
		return "HS";
	if (c == 255)
		return "ANY";
	snprintf(buf, cap, "CLASS%u", c);
	return buf;
}

/*
 * The name at off: its presentation form in out (labels escaped as dig
 * does: \. \\ and \DDD), *next the offset after it where it stands. -1
 * when malformed (out of the message, a pointer loop, over 255 bytes).
 */
static int name_at(const uint8_t *m, size_t n, size_t off, char *out, size_t cap, size_t *next)
{
	size_t k = 0, total = 0;
	int hops = 0, jumped = 0;
	for (;;) {
		if (off >= n)
			return -1;
		uint8_t l = m[off];
		if ((l & 0xc0) == 0xc0) {
			if (off + 1 >= n || ++hops > MAX_HOPS)
				return -1;
			if (!jumped)
				*next = off + 2;
			jumped = 1;
			off = (size_t)(l & 0x3f) << 8 | m[off + 1];
			continue;
		}
		if (l & 0xc0)
			return -1; /* extended label types: obsolete */
		if (l == 0) {
			if (!jumped)
				*next = off + 1;
			break;
		}
		if (off + 1 + l > n || (total += l + 1u) > 255)
			return -1;
		for (size_t i = 0; i < l; i++) {
			uint8_t c = m[off + 1 + i];
			if (k + 6 >= cap)
				return -1;
			if (c == '.' || c == '\\' || c == '"' || c == ';' || c == '(' || c == ')')
				k += (size_t)snprintf(out + k, cap - k, "\\%c", c);
			else if (c > 0x20 && c < 0x7f)
				out[k++] = (char)c;
			else
				k += (size_t)snprintf(out + k, cap - k, "\\%03u", c);
		}
		out[k++] = '.';
		off += 1 + l;
	}
	if (!k)
		out[k++] = '.';
	out[k] = 0;
	return 0;
}

/* A character-string (TXT, CAA values) quoted, with \DDD for what is not printable. */
static void quoted(struct ec_text *t, const uint8_t *s, size_t n)
{
	ec_text_put(t, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			ec_text_fmt(t, "\\%c", s[i]);
		else if (s[i] >= 0x20 && s[i] < 0x7f)
			ec_text_put(t, s + i, 1);
		else
			ec_text_fmt(t, "\\%03u", s[i]);
	}
	ec_text_put(t, "\"", 1);
}

static void hexdata(struct ec_text *t, const uint8_t *p, size_t n)
{
	ec_text_fmt(t, "\\# %zu ", n);
	for (size_t i = 0; i < n && i < 512; i++)
		ec_text_fmt(t, "%02x", p[i]);
	if (n > 512)
		ec_text_str(t, "...");
}

/* One record's data, in the presentation form of its type. */
static int rdata(struct ec_text *t, const uint8_t *m, uint16_t type, size_t off, size_t len)
{
	char name[1100], name2[1100];
	size_t next, end = off + len;
	const uint8_t *p = m + off;
	switch (type) {
	case 1:
	case 28: {
		char a[INET6_ADDRSTRLEN];
		if (len != (type == 1 ? 4u : 16u))
			break;
		inet_ntop(type == 1 ? AF_INET : AF_INET6, p, a, sizeof a);
		ec_text_str(t, a);
		return 0;
	}
	case 2:
	case 5:
	case 12:
	case 39:
		if (name_at(m, end, off, name, sizeof name, &next) || next != end)
			return -1;
		ec_text_str(t, name);
		return 0;
	case 15:
		if (len < 3 || name_at(m, end, off + 2, name, sizeof name, &next) || next != end)
			return -1;
		ec_text_fmt(t, "%u %s", be16(p), name);
		return 0;
	case 33:
		if (len < 7 || name_at(m, end, off + 6, name, sizeof name, &next) || next != end)
			return -1;
		ec_text_fmt(t, "%u %u %u %s", be16(p), be16(p + 2), be16(p + 4), name);
		return 0;
	case 6: {
		size_t n2;
		if (name_at(m, end, off, name, sizeof name, &next) ||
		    name_at(m, end, next, name2, sizeof name2, &n2) || end - n2 != 20)
			return -1;
		const uint8_t *q = m + n2;
		ec_text_fmt(t, "%s %s %u %u %u %u %u", name, name2, be32(q), be32(q + 4),
			    be32(q + 8), be32(q + 12), be32(q + 16));
		return 0;
	}
	case 16:
	case 99:
		for (size_t i = 0; i < len;) {
			size_t l = p[i];
			if (i + 1 + l > len)
				return -1;
			if (i)
				ec_text_put(t, " ", 1);
			quoted(t, p + i + 1, l);
			i += 1 + l;
		}
		return 0;
	case 257:
		if (len < 2 || 2u + p[1] > len)
			return -1;
		ec_text_fmt(t, "%u ", p[0]);
		ec_text_put(t, p + 2, p[1]);
		ec_text_put(t, " ", 1);
		quoted(t, p + 2 + p[1], len - 2 - p[1]);
		return 0;
	default:
		break;
	}
	hexdata(t, p, len); /* RFC 3597's generic form */
	return 0;
}

int ec_dns_render(struct ec_text *t, const uint8_t *m, size_t n, struct ec_dns_facts *f)
{
	char b1[24], b2[24], name[1100];
	memset(f, 0, sizeof *f);
	if (n < 12) {
		ec_text_fmt(t, ";; short message: %zu bytes, a header is 12\n", n);
		return -1;
	}
	uint16_t flags = be16(m + 2), count[4];
	for (int i = 0; i < 4; i++)
		count[i] = be16(m + 4 + 2 * i);
	f->id = be16(m);
	f->qr = flags >> 15;
	f->rcode = flags & 15;
	f->ancount = count[1];
	static const char *const ops[] = {"QUERY", "IQUERY", "STATUS", "3", "NOTIFY", "UPDATE"};
	unsigned op = (flags >> 11) & 15;
	/* the rcode once EDNS's upper bits are known: the header is written last */
	struct ec_text body = {0};
	ec_text_reset(&body, t->lim);
	static const char *const secs[] = {"QUESTION", "ANSWER", "AUTHORITY", "ADDITIONAL"};
	size_t off = 12;
	int rc = 0;
	for (int s = 0; s < 4 && !rc; s++) {
		if (!count[s])
			continue;
		int header = 0;
		for (unsigned i = 0; i < count[s]; i++) {
			size_t next;
			if (name_at(m, n, off, name, sizeof name, &next) ||
			    next + (s ? 10u : 4u) > n) {
				rc = -1;
				break;
			}
			uint16_t type = be16(m + next), cls = be16(m + next + 2);
			if (s == 0) {
				if (!i) {
					memcpy(f->qname, name, strlen(name) + 1);
					f->qtype = type;
				}
				if (!header++)
					ec_text_str(&body, "\n;; QUESTION SECTION:\n");
				ec_text_fmt(&body, ";%s\t\t%s\t%s\n", name,
					    class_name(cls, b1, sizeof b1),
					    ec_dns_type_name(type, b2, sizeof b2));
				off = next + 4;
				continue;
			}
			uint32_t ttl = be32(m + next + 4);
			uint16_t len = be16(m + next + 8);
			size_t rd = next + 10;
			if (rd + len > n) {
				rc = -1;
				break;
			}
			off = rd + len;
			if (type == 41) {
				/* EDNS: the pseudo-record's class is the UDP size, its TTL flags */
				f->rcode |= (int)(ttl >> 24) << 4;
				ec_text_fmt(&body,
					    "\n;; OPT PSEUDOSECTION:\n; EDNS: version: %u, "
					    "flags:%s; udp: %u\n",
					    (ttl >> 16) & 0xff, ttl & 0x8000 ? " do" : "", cls);
				header = 0;
				continue;
			}
			if (i >= MAX_RRS)
				continue;
			if (!header++)
				ec_text_fmt(&body, "\n;; %s SECTION:\n", secs[s]);
			ec_text_fmt(&body, "%s\t%u\t%s\t%s\t", name, ttl,
				    class_name(cls, b1, sizeof b1),
				    ec_dns_type_name(type, b2, sizeof b2));
			if (rdata(&body, m, type, rd, len))
				hexdata(&body, m + rd, len);
			ec_text_put(&body, "\n", 1);
		}
	}
	ec_text_fmt(t, ";; ->>HEADER<<- opcode: %s, status: %s, id: %u\n;; flags:",
		    op < 6 ? ops[op] : "?", ec_dns_rcode_name(f->rcode, b1, sizeof b1), f->id);
	static const struct {
		uint16_t bit;
		const char *name;
	} fl[] = {{0x8000, "qr"}, {0x400, "aa"}, {0x200, "tc"}, {0x100, "rd"},
		  {0x80, "ra"},	  {0x20, "ad"},	 {0x10, "cd"}};
	for (size_t i = 0; i < sizeof fl / sizeof *fl; i++)
		if (flags & fl[i].bit)
			ec_text_fmt(t, " %s", fl[i].name);
	ec_text_fmt(t, "; QUERY: %u, ANSWER: %u, AUTHORITY: %u, ADDITIONAL: %u\n", count[0],
		    count[1], count[2], count[3]);
	ec_text_put(t, ec_text_get(&body), body.len);
	if (rc)
		ec_text_fmt(t, ";; malformed at byte %zu of %zu\n", off, n);
	ec_text_free(&body);
	return rc;
}

/* ---- DNS over HTTPS ---- */

/* GET's ?dns= parameter, base64url without padding, decoded (malloc'd). */
static uint8_t *dns_param(const char *path, size_t *n)
{
	const char *q = strchr(path, '?');
	while (q && strncmp(q + 1, "dns=", 4))
		q = strchr(q + 1, '&');
	if (!q)
		return NULL;
	q += 5;
	size_t k = strcspn(q, "&");
	char *b = ec_xmalloc(k + 4);
	for (size_t i = 0; i < k; i++)
		b[i] = q[i] == '-' ? '+' : q[i] == '_' ? '/' : q[i];
	while (k % 4)
		b[k++] = '=';
	b[k] = 0;
	uint8_t *out = ec_xmalloc(k / 4 * 3 + 1);
	int r = EVP_DecodeBlock(out, (const unsigned char *)b, (int)k);
	if (r < 0) {
		free(b);
		free(out);
		return NULL;
	}
	/* EVP_DecodeBlock counts the padding's bytes too */
	for (size_t i = k; i > 0 && b[i - 1] == '='; i--)
		r--;
	free(b);
	*n = (size_t)r;
	return out;
}

void ec_dns_doh(struct ec_parse_dir *d, const struct ec_http2_msg *msg,
		const struct ec_parse_exchange *http, struct ec_parse_exchange *g, int64_t end_ts)
{
	size_t vl, bn = msg->len - msg->head_len - msg->trailer_len;
	const uint8_t *ct = ec_parse_header(msg->data, msg->head_len, "content-type:", &vl);
	int dm = ct && vl >= 23 && !memcmp(ct, "application/dns-message", 23);
	int request = msg->kind == EC_HTTP2_REQUEST;
	uint8_t *get = NULL;
	const uint8_t *m = msg->data + msg->head_len;
	size_t n = bn;
	if (request && !dm && http && http->method && !strcmp(http->method, "GET") && http->path)
		m = get = dns_param(http->path, &n);
	if (request ? (!dm && !get) || !http : !dm || !g->id) {
		free(get);
		return;
	}
	struct ec_dns_facts f;
	char b1[24], sum[64];
	struct ec_text t = {0};
	ec_text_reset(&t, d->o->max_body);
	int bad = ec_dns_render(&t, m, n, &f);
	struct ec_parse_out o = {.m = msg->start, .h2_stream_id = msg->stream_id};
	o.note = bad ? "malformed DNS message" : NULL;
	if (request) {
		ec_parse_exchange_clear(g);
		g->id = ec_parse_exchange_id(d);
		g->req_end = http->req_end;
		g->method = ec_xstrdup(ec_dns_type_name(f.qtype, b1, sizeof b1));
		size_t pl = strlen(f.qname) + 32;
		g->path = ec_xmalloc(pl);
		snprintf(g->path, pl, "%s IN %s", f.qname, g->method);
		g->authority = http->authority ? ec_xstrdup(http->authority) : NULL;
		o.type = EC_TYPE_DNS_QUERY;
		o.asks = g;
	} else {
		const char *rc = ec_dns_rcode_name(f.rcode, b1, sizeof b1);
		if (bad)
			snprintf(sum, sizeof sum, "malformed %s message", rc);
		else if (f.rcode)
			snprintf(sum, sizeof sum, "%s", rc);
		else
			snprintf(sum, sizeof sum, "%s %u answer%s", rc, f.ancount,
				 f.ancount == 1 ? "" : "s");
		o.type = EC_TYPE_DNS_RESPONSE;
		o.summary = sum;
		o.status = (uint32_t)f.rcode;
		o.failed = f.rcode != 0 || bad;
		o.answers = g;
		o.end_ts = end_ts;
	}
	o.a = (const uint8_t *)ec_text_get(&t);
	o.an = t.len;
	ec_parse_emit(d, &o);
	ec_text_free(&t);
	free(get);
}

/* ---- DNS over TLS: the decoder ec-parse drives (lib/proto/parse.h) ---- */

struct open {
	uint16_t id;
	struct ec_parse_exchange x;
};

struct dnsconn {
	struct open *q; /* queries awaiting their response (any order) */
	size_t qn;
	struct ec_text t;
};

static void forget(struct dnsconn *c)
{
	for (size_t i = 0; i < c->qn; i++)
		ec_parse_exchange_clear(&c->q[i].x);
	c->qn = 0;
}

static void message(struct ec_parse_dir *d, struct dnsconn *c, const uint8_t *m, size_t n,
		    struct ec_mark mk, int64_t end, size_t wire)
{
	struct ec_dns_facts f;
	char b1[24], b2[24];
	ec_text_reset(&c->t, d->o->max_body);
	int bad = ec_dns_render(&c->t, m, n, &f);
	struct ec_parse_out o = {.type = f.qr ? EC_TYPE_DNS_RESPONSE : EC_TYPE_DNS_QUERY, .m = mk};
	o.a = (const uint8_t *)ec_text_get(&c->t);
	o.an = c->t.len;
	if (ec_text_cut(&c->t)) {
		o.truncated = 1;
		o.orig_length = wire;
	}
	o.note = bad ? "malformed DNS message" : NULL;
	if (!f.qr) {
		struct ec_parse_exchange x = {.req_end = end};
		x.method = ec_xstrdup(ec_dns_type_name(f.qtype, b1, sizeof b1));
		size_t pl = strlen(f.qname) + 32;
		x.path = ec_xmalloc(pl);
		snprintf(x.path, pl, "%s IN %s", f.qname, x.method);
		x.authority = ec_parse_server(d);
		if (c->qn == QMAX) {
			o.asks = &x; /* too many awaiting: no exchange */
			ec_parse_emit(d, &o);
			ec_parse_exchange_clear(&x);
			return;
		}
		x.id = ec_parse_exchange_id(d);
		c->q = ec_xrealloc(c->q, (c->qn + 1) * sizeof *c->q);
		c->q[c->qn].id = f.id;
		c->q[c->qn].x = x;
		o.asks = &c->q[c->qn++].x;
		ec_parse_emit(d, &o);
		return;
	}
	char sum[64];
	const char *rc = ec_dns_rcode_name(f.rcode, b2, sizeof b2);
	if (bad)
		snprintf(sum, sizeof sum, "malformed %s message", rc);
	else if (f.rcode)
		snprintf(sum, sizeof sum, "%s", rc);
	else
		snprintf(sum, sizeof sum, "%s %u answer%s", rc, f.ancount,
			 f.ancount == 1 ? "" : "s");
	o.summary = sum;
	o.status = (uint32_t)f.rcode;
	o.failed = f.rcode != 0 || bad;
	o.end_ts = end;
	/* answered in any order (RFC 7766): the query of the same id */
	size_t i = 0;
	while (i < c->qn && c->q[i].id != f.id)
		i++;
	o.answers = i < c->qn ? &c->q[i].x : NULL;
	ec_parse_emit(d, &o);
	if (i < c->qn) {
		ec_parse_exchange_clear(&c->q[i].x);
		memmove(&c->q[i], &c->q[i + 1], (c->qn - i - 1) * sizeof *c->q);
		c->qn--;
	}
}

static size_t consume(struct ec_parse_dir *d, void *st, const struct ec_parse_src *s, size_t off)
{
	struct dnsconn *c = st;
	while (off + 2 <= s->n && d->proto == &ec_dns_proto && !ec_parse_failed(d)) {
		size_t len = be16(s->p + off);
		if (len < 12) {
			forget(c);
			ec_parse_untyped(d, ec_parse_mark(s, off), s->p + off, s->n - off, NULL, 0,
					 1, "DNS: a length shorter than a header");
			d->desync = 1;
			return s->n;
		}
		if (s->n - off < 2 + len)
			break;
		d->desync = 0;
		message(d, c, s->p + off + 2, len, ec_parse_mark(s, off),
			ec_parse_mark(s, off + 1 + len).ts, 2 + len);
		off += 2 + len;
	}
	return off;
}

static void conn_release(void *st)
{
	struct dnsconn *c = st;
	forget(c);
	free(c->q);
	ec_text_free(&c->t);
}

static int give_up(struct ec_parse_dir *d, void *st, const char *note, int desync,
		   const uint8_t **held, size_t *held_len)
{
	(void)d;
	(void)note;
	(void)held;
	(void)held_len;
	if (desync)
		forget(st);
	return 0;
}

/*
 * A query as a client's first message: a two-byte length, then a header
 * (QR clear, opcode QUERY, one question, no answers) and a question that
 * ends where its class does, or before EDNS's OPT; on port 853 any message
 * that parses.
 */
static int detect(const struct ec_parse_dir *d, const uint8_t *p, size_t n)
{
	struct ec_parse_hint h;
	ec_parse_hint(d, &h);
	int port = h.local_port == 853 || h.remote_port == 853;
	if (n < 2)
		return -1;
	size_t len = be16(p);
	if (len < 17)
		return 0;
	const uint8_t *m = p + 2;
	if (n < 2 + 12 && !port)
		return n >= 5 && (m[2] & 0xf8) ? 0 : -1;
	if (!port &&
	    (m[2] & 0xf8 || be16(m + 4) != 1 || be16(m + 6) || be16(m + 8) || be16(m + 10) > 2))
		return 0;
	if (n < 2 + len)
		return -1;
	char name[1100];
	size_t next;
	if (name_at(m, len, 12, name, sizeof name, &next) || next + 4 > len)
		return 0;
	return port || next + 4 == len || be16(m + 10) > 0;
}

const struct ec_parse_proto ec_dns_proto = {
    .name = "dns",
    .detect = detect,
    .conn_size = sizeof(struct dnsconn),
    .conn_release = conn_release,
    .consume = consume,
    .busy = ec_parse_busy_never,
    .reset = ec_parse_reset_nothing,
    .give_up = give_up,
};
