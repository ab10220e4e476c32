// SPDX-License-Identifier: GPL-2.0-only
#include "fleet.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "record.h"
#include "util.h"

char *ec_fleet_token(const char *s, char *out, size_t n)
{
	size_t k = 0;
	for (; s && s[k] && k + 1 < n; k++) {
		unsigned char c = (unsigned char)s[k];
		out[k] = c == '.' || c == '*' || c == '>' || c <= ' ' || c >= 0x7f ? '_' : (char)c;
	}
	if (!k)
		out[k++] = '_';
	out[k] = 0;
	return out;
}

size_t ec_fleet_tag_format(const struct ec_fleet_tag *t, char *buf, size_t n)
{
	int k = snprintf(buf, n, "%s %" PRIu64 " %" PRIu64 " %s", t->session, t->seq,
			 t->subject_seq, t->scope);
	return k > 0 && (size_t)k < n ? (size_t)k : 0;
}

int ec_fleet_tag_parse(const char *v, struct ec_fleet_tag *t)
{
	const char *p = v;
	size_t k = v ? strcspn(v, " ") : 0;
	if (!k || k >= sizeof t->session || p[k] != ' ')
		return EC_ERR_INVAL;
	memcpy(t->session, p, k);
	t->session[k] = 0;
	p += k + 1;
	uint64_t *nums[] = {&t->seq, &t->subject_seq};
	for (int i = 0; i < 2; i++) {
		char *end;
		if (*p < '1' || *p > '9') /* (from 1, no leading zeros: one form per number) */
			return EC_ERR_INVAL;
		errno = 0;
		*nums[i] = strtoull(p, &end, 10);
		if (errno || !*nums[i] || *end != ' ')
			return EC_ERR_INVAL;
		p = end + 1;
	}
	k = strlen(p);
	if (!k || k >= sizeof t->scope || strchr(p, ' '))
		return EC_ERR_INVAL;
	memcpy(t->scope, p, k + 1);
	return 0;
}

char *ec_fleet_scope_of(const char *subject, char *buf, size_t n)
{
	const char *dot = strrchr(subject, '.');
	size_t k = dot ? (size_t)(dot - subject) : strlen(subject);
	snprintf(buf, n, "%.*s.*", (int)k, subject);
	return buf;
}

/* The token at *s (up to '.' or the end); *s moves past it and its dot. */
static size_t token(const char **s, const char **tok)
{
	*tok = *s;
	size_t n = strcspn(*s, ".");
	*s += n + ((*s)[n] == '.');
	return n;
}

int ec_fleet_covers(const char *filter, const char *scope)
{
	if (!filter || !scope || !*filter || !*scope)
		return 0;
	for (;;) {
		int fend = !*filter, send = !*scope;
		if (fend || send)
			return fend && send;
		const char *f, *t;
		size_t fn = token(&filter, &f), tn = token(&scope, &t);
		if (fn == 1 && *f == '>')
			return 1;
		if (tn == 1 && *t == '>')
			return 0; /* the scope goes on where the filter does not */
		if (fn == 1 && *f == '*')
			continue;
		if (fn != tn || memcmp(f, t, fn) || (tn == 1 && *t == '*'))
			return 0;
	}
}

const char *ec_fleet_module(const EcLogEntry *e)
{
	switch (e->payload_case) {
	case EVENT__LOG_ENTRY__PAYLOAD_EVENT_PAYLOAD:
		return ec_record_source_name(e->event_payload->source);
	case EVENT__LOG_ENTRY__PAYLOAD_HEARTBEAT_PAYLOAD:
		return "heartbeat";
	default:
		return e->log_type == EVENT__LOG_TYPE__LOG_TYPE_HEARTBEAT ? "heartbeat" : "log";
	}
}

size_t ec_fleet_host_field(const char *host, uint8_t *out, size_t cap)
{
	size_t n = host ? strlen(host) : 0;
	uint8_t v[10];
	size_t k = ec_varint_encode(n, v);
	if (!n || 2 + k + n > cap)
		return 0;
	size_t t = ec_varint_encode(18 << 3 | 2, out); /* field 18, length-delimited */
	memcpy(out + t, v, k);
	memcpy(out + t + k, host, n);
	return t + k + n;
}

int ec_fleet_parse_duration(const char *s, int64_t *out)
{
	char *end;
	if (!s || !isdigit((unsigned char)*s))
		return EC_ERR_INVAL;
	double v = strtod(s, &end);
	double unit = !*end || !strcmp(end, "s") ? 1e9
		      : !strcmp(end, "ms")	 ? 1e6
		      : !strcmp(end, "m")	 ? 60e9
		      : !strcmp(end, "h")	 ? 3600e9
		      : !strcmp(end, "d")	 ? 86400e9
						 : 0;
	if (!unit || v * unit > 9e18)
		return EC_ERR_INVAL;
	*out = (int64_t)(v * unit);
	return 0;
}

int ec_fleet_parse_since(const char *s, int64_t now_ns, int64_t *out)
{
	int64_t d;
	if (!ec_fleet_parse_duration(s, &d)) {
		*out = now_ns - d;
		return 0;
	}
	struct tm tm = {0};
	const char *p = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	if (!p)
		return EC_ERR_INVAL;
	int64_t frac = 0;
	if (*p == '.') {
		int64_t scale = 100000000;
		for (p++; isdigit((unsigned char)*p); p++, scale /= 10)
			frac += scale * (*p - '0');
		if (p[-1] == '.')
			return EC_ERR_INVAL;
	}
	int64_t off = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) &&
		   isdigit((unsigned char)p[2]) && p[3] == ':' && isdigit((unsigned char)p[4]) &&
		   isdigit((unsigned char)p[5])) {
		off =
		    ((p[1] - '0') * 10 + p[2] - '0') * 3600 + ((p[4] - '0') * 10 + p[5] - '0') * 60;
		if (*p == '-')
			off = -off;
		p += 6;
	} else {
		return EC_ERR_INVAL; /* a time without its zone means nothing to a fleet */
	}
	if (*p)
		return EC_ERR_INVAL;
	time_t t = timegm(&tm);
	if (t == (time_t)-1 || (int64_t)t - off < 0 || (int64_t)t - off > 9000000000LL)
		return EC_ERR_INVAL; /* (from 1970 to 2255: what fits in ns) */
	*out = ((int64_t)t - off) * 1000000000 + frac;
	return 0;
}

/* ---- per-session order ---- */

#define MAX_GAPS 32

struct held {
	uint64_t seq;
	void *item;
	int64_t t;
};

struct session {
	char name[EC_FLEET_SESSION_MAX];
	uint64_t base, next; /* first written this run, next to write (0: not started) */
	int64_t since;	     /* when the oldest record held came */
	int64_t last;	     /* last record seen (eviction) */
	struct held *held;   /* ascending by seq */
	size_t nheld, cap;
	/* the latest gaps skipped: a record of one that comes after all is
	 * written (late), not taken for a duplicate */
	struct {
		uint64_t from, to;
	} gaps[MAX_GAPS];
	unsigned ngaps;
	size_t at; /* index in o->all */
};

struct ec_fleet_order {
	struct ec_fleet_order_cb cb;
	int64_t wait;
	size_t max_held, max_sessions, nheld;
	void *tree;	      /* tsearch by name */
	struct session **all; /* the same sessions, for tick */
	size_t nall;
	struct ec_fleet_order_stats st;
};

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct session *)a)->name, ((const struct session *)b)->name);
}

struct ec_fleet_order *ec_fleet_order_new(const struct ec_fleet_order_cb *cb, int64_t wait_ns,
					  size_t max_held, size_t max_sessions)
{
	struct ec_fleet_order *o = ec_xcalloc(1, sizeof *o);
	o->cb = *cb;
	o->wait = wait_ns;
	o->max_held = max_held ? max_held : 1;
	o->max_sessions = max_sessions ? max_sessions : 1;
	o->all = ec_xcalloc(o->max_sessions, sizeof *o->all);
	return o;
}

static void fate(struct ec_fleet_order *o, void *item, enum ec_fleet_fate f)
{
	if (f == EC_FLEET_WRITE)
		o->st.written++;
	else if (f == EC_FLEET_LATE)
		o->st.late++;
	else if (f == EC_FLEET_DUP)
		o->st.dups++;
	o->cb.item(o->cb.arg, item, f);
}

/* Write the held records that are next in order (and drop held duplicates). */
static void release(struct ec_fleet_order *o, struct session *s)
{
	size_t k = 0;
	for (; k < s->nheld && s->held[k].seq <= s->next; k++) {
		if (s->held[k].seq == s->next) {
			s->next++;
			fate(o, s->held[k].item, EC_FLEET_WRITE);
		} else {
			fate(o, s->held[k].item, EC_FLEET_DUP);
		}
	}
	if (k) {
		memmove(s->held, s->held + k, (s->nheld - k) * sizeof *s->held);
		s->nheld -= k;
		o->nheld -= k;
		s->since = INT64_MAX;
		for (size_t i = 0; i < s->nheld; i++)
			if (s->held[i].t < s->since)
				s->since = s->held[i].t;
	}
}

static void gap_add(struct session *s, uint64_t from, uint64_t to)
{
	if (s->ngaps == MAX_GAPS) /* the oldest is forgotten */
		memmove(s->gaps, s->gaps + 1, --s->ngaps * sizeof *s->gaps);
	s->gaps[s->ngaps].from = from;
	s->gaps[s->ngaps++].to = to;
}

/* seq was in a gap: take it out of it. 0 when it was not (a duplicate). */
static int gap_take(struct session *s, uint64_t seq)
{
	for (unsigned i = 0; i < s->ngaps; i++) {
		uint64_t from = s->gaps[i].from, to = s->gaps[i].to;
		if (seq < from || seq > to)
			continue;
		if (from == to) {
			memmove(s->gaps + i, s->gaps + i + 1, (--s->ngaps - i) * sizeof *s->gaps);
		} else if (seq == from) {
			s->gaps[i].from++;
		} else if (seq == to) {
			s->gaps[i].to--;
		} else {
			s->gaps[i].to = seq - 1;
			gap_add(s, seq + 1, to);
		}
		return 1;
	}
	return 0;
}

/* The wait for s's first held record is over: start there, or skip a gap to it. */
static void end_wait(struct ec_fleet_order *o, struct session *s)
{
	if (!s->nheld)
		return;
	uint64_t first = s->held[0].seq;
	if (!s->next) {
		s->base = s->next = first;
	} else if (first > s->next) {
		o->st.gaps++;
		o->st.missing += first - s->next;
		if (o->cb.gap)
			o->cb.gap(o->cb.arg, s->name, s->next, first - 1);
		gap_add(s, s->next, first - 1);
		s->next = first;
	}
	release(o, s);
}

static void session_free(struct ec_fleet_order *o, struct session *s, enum ec_fleet_fate f)
{
	for (size_t i = 0; i < s->nheld; i++)
		fate(o, s->held[i].item, f);
	o->nheld -= s->nheld;
	free(s->held);
	free(s);
}

/* Make room for one more session: forget the one seen longest ago, held records first. */
static void evict(struct ec_fleet_order *o)
{
	struct session *v = NULL;
	for (size_t i = 0; i < o->nall; i++)
		if ((!v || (!o->all[i]->nheld && v->nheld) ||
		     (!o->all[i]->nheld == !v->nheld && o->all[i]->last < v->last)))
			v = o->all[i];
	while (v->nheld)
		end_wait(o, v);
	tdelete(v, &o->tree, by_name);
	o->all[v->at] = o->all[--o->nall];
	o->all[v->at]->at = v->at;
	o->st.evicted++;
	session_free(o, v, EC_FLEET_FORGET);
}

static struct session *session_of(struct ec_fleet_order *o, const char *name)
{
	struct session key;
	snprintf(key.name, sizeof key.name, "%s", name);
	void *f = tfind(&key, &o->tree, by_name);
	if (f)
		return *(struct session **)f;
	if (o->nall == o->max_sessions)
		evict(o);
	struct session *s = ec_xcalloc(1, sizeof *s);
	memcpy(s->name, key.name, sizeof s->name);
	if (!tsearch(s, &o->tree, by_name))
		ec_die(1, "out of memory");
	s->at = o->nall;
	o->all[o->nall++] = s;
	o->st.sessions++;
	return s;
}

static void hold(struct ec_fleet_order *o, struct session *s, uint64_t seq, void *item, int64_t now)
{
	size_t lo = 0, hi = s->nheld;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (s->held[mid].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < s->nheld && s->held[lo].seq == seq) {
		fate(o, item, EC_FLEET_DUP);
		return;
	}
	if (s->nheld == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->held = ec_xrealloc(s->held, s->cap * sizeof *s->held);
	}
	memmove(s->held + lo + 1, s->held + lo, (s->nheld - lo) * sizeof *s->held);
	s->held[lo] = (struct held){seq, item, now};
	if (!s->nheld++ || now < s->since)
		s->since = now;
	o->nheld++;
}

/* Over max_held: the session whose oldest held record came first stops waiting. */
static void shed(struct ec_fleet_order *o)
{
	while (o->nheld > o->max_held) {
		struct session *v = NULL;
		for (size_t i = 0; i < o->nall; i++) {
			struct session *s = o->all[i];
			if (s->nheld && (!v || s->since < v->since))
				v = s;
		}
		end_wait(o, v);
	}
}

void ec_fleet_order_put(struct ec_fleet_order *o, const char *session, uint64_t seq, void *item,
			int64_t now)
{
	if (!session || !*session || !seq) {
		fate(o, item, EC_FLEET_WRITE);
		return;
	}
	struct session *s = session_of(o, session);
	s->last = now;
	if (!s->next && seq == 1)
		s->base = s->next = 1;
	if (!s->next || seq > s->next) {
		hold(o, s, seq, item, now);
		shed(o);
		return;
	}
	if (seq < s->next) {
		fate(o, item, seq >= s->base && !gap_take(s, seq) ? EC_FLEET_DUP : EC_FLEET_LATE);
		return;
	}
	s->next++;
	fate(o, item, EC_FLEET_WRITE);
	release(o, s);
}

void ec_fleet_order_tick(struct ec_fleet_order *o, int64_t now)
{
	for (size_t i = 0; i < o->nall; i++) {
		struct session *s = o->all[i];
		while (s->nheld && s->since + o->wait <= now)
			end_wait(o, s);
	}
}

size_t ec_fleet_order_held(const struct ec_fleet_order *o)
{
	return o->nheld;
}

void ec_fleet_order_stats(const struct ec_fleet_order *o, struct ec_fleet_order_stats *st)
{
	*st = o->st;
}

static void no_free(void *p)
{
	(void)p;
}

void ec_fleet_order_free(struct ec_fleet_order *o)
{
	if (!o)
		return;
	tdestroy(o->tree, no_free);
	for (size_t i = 0; i < o->nall; i++)
		session_free(o, o->all[i], EC_FLEET_FORGET);
	free(o->all);
	free(o);
}
