// SPDX-License-Identifier: GPL-2.0-only
/*
 * ec-nats pub: each record of stdin becomes one JetStream message, published
 * asynchronously with a bounded number in flight. A record stays ours until
 * the server acknowledges it: one whose acknowledgement does not come (a
 * node died, the connection dropped) is sent again with the same message
 * id, which JetStream's duplicate window turns into a no-op if the first
 * copy was stored after all. When the bound is reached the pipe blocks
 * (default), the record goes to the spill file (--spill), or it is dropped
 * and counted (--drop-when-full).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "error.h"
#include "fleet.h"
#include "nats.h"
#include "record.h"
#include "stream.h"
#include "utf8.h"
#include "util.h"

enum {
	O_HOST = 300,
	O_CREATE,
	O_REPLICAS,
	O_MAX_AGE,
	O_MAX_BYTES,
	O_STORAGE,
	O_DUP_WINDOW,
	O_MAX_PENDING,
	O_BUFFER,
	O_SPILL,
	O_SPILL_MAX,
	O_DROP,
	O_ACK_WAIT,
	O_HEARTBEAT,
	O_MAX_RECORD,
};

static const struct ec_opt pub_optv[] = {
    {"host", O_HOST, "NAME",
     "the host name records get when they have none (default: this\nhost's name)"},
    {"max-pending", O_MAX_PENDING, "N", "messages awaiting their acknowledgement (default 4096)"},
    {"buffer", O_BUFFER, "SIZE",
     "bytes of records held until acknowledged, in memory\n(default 64M; k, M, G suffixes)"},
    {"spill", O_SPILL, "FILE", "when the buffer is full, keep records in FILE (created)"},
    {"spill-max", O_SPILL_MAX, "SIZE", "the spill file's bound (default 1G)"},
    {"drop-when-full", O_DROP, NULL,
     "when buffer (and spill file) are full, drop records and count\nthem (default: block "
     "the pipe, nothing lost)"},
    {"ack-wait", O_ACK_WAIT, "DUR",
     "resend a record not acknowledged this long (default 5s;\nms, s, m suffixes)"},
    {"heartbeat", O_HEARTBEAT, "SECS",
     "publish a heartbeat with the counts every SECS (default 10,\n0: never)"},
    {"max-record", O_MAX_RECORD, "SIZE", "largest input record (default 16M)"},
    {NULL, 0, NULL, NULL},
};

static const struct ec_opt create_optv[] = {
    {"create", O_CREATE, NULL,
     "create the stream when the server has none of that name\n(subjects ec.> or SUBJECT)"},
    {"replicas", O_REPLICAS, "N", "copies of each message in a cluster (1-5, default 1)"},
    {"max-age", O_MAX_AGE, "DUR", "drop messages older than DUR (e.g. 7d; default: never)"},
    {"max-bytes", O_MAX_BYTES, "SIZE", "drop the oldest beyond SIZE (default: no bound)"},
    {"storage", O_STORAGE, "file|memory", "where the server keeps them (default file)"},
    {"dup-window", O_DUP_WINDOW, "DUR", "how long a message id is remembered (default 2m)"},
    {NULL, 0, NULL, NULL},
};

struct pub {
	struct nats_conn_opts c;
	const char *subject, *spill_path;
	char host[256];
	int create, storage_mem, drop;
	int64_t replicas, max_age, dup_window, max_pending, ack_wait_ms, heartbeat_ms;
	uint64_t max_bytes, buffer, spill_max;
	size_t max_record;

	natsConnection *nc;
	jsCtx *js;
	struct ec_decoder *dec;
	char session[17];
	uint64_t seq;	/* the last record published */
	void *counters; /* tsearch: the last record numbered in each scope and subject */

	pthread_mutex_t mu;
	pthread_cond_t cv;
	natsMsg **retry; /* ack never came: sent again first, in order */
	size_t nretry, capretry;
	uint64_t inflight, inflight_bytes; /* published or waiting to be resent */
	uint64_t acked, dups, failed, dropped, retried, spilled, records, unsent;
	int64_t resend_at; /* CLOCK_MONOTONIC ns: the next round of resends */
	int connected_once, checked, refusal_told, waiting;
	char fail_why[512], refusal[256];

	int spill_fd;
	uint64_t spill_w, spill_r, spill_n, spill_peak;
	uint8_t *sbuf;
	size_t sbufcap;
	int64_t next_hb;
};

static struct pub P = {
    .replicas = 1,
    .dup_window = 120000000000LL,
    .max_pending = 4096,
    .ack_wait_ms = 5000,
    .heartbeat_ms = 10000,
    .buffer = 64u << 20,
    .spill_max = 1u << 30,
    .spill_fd = -1,
};

static int pub_option(void *ctx, int key, const char *arg)
{
	struct pub *p = ctx;
	long long v;
	uint64_t u;
	int64_t d;
	switch (key) {
	case O_HOST:
		if (!*arg || strlen(arg) >= sizeof p->host ||
		    !ec_utf8_valid((const uint8_t *)arg, strlen(arg))) {
			ec_warn("--host: '%s' is not a host name (1-255 bytes of UTF-8)", arg);
			return 2;
		}
		snprintf(p->host, sizeof p->host, "%s", arg);
		return 0;
	case O_CREATE:
		p->create = 1;
		return 0;
	case O_REPLICAS:
		if (ec_opt_int(arg, 1, 5, "a replica count in [1, 5]", &v))
			return 2;
		p->replicas = v;
		return 0;
	case O_MAX_AGE:
		return nats_duration(arg, 1000000000, &p->max_age);
	case O_MAX_BYTES:
		return ec_opt_size(arg, 1024, UINT64_C(1) << 50, "a size (e.g. 10G)",
				   &p->max_bytes);
	case O_STORAGE:
		if (strcmp(arg, "file") && strcmp(arg, "memory")) {
			ec_warn("--storage: '%s' is not file or memory", arg);
			return 2;
		}
		p->storage_mem = !strcmp(arg, "memory");
		return 0;
	case O_DUP_WINDOW:
		return nats_duration(arg, 100000000, &p->dup_window);
	case O_MAX_PENDING:
		if (ec_opt_int(arg, 1, 1000000, "a count in [1, 1000000]", &v))
			return 2;
		p->max_pending = v;
		return 0;
	case O_BUFFER:
		return ec_opt_size(arg, 4096, UINT64_C(1) << 40, "a size from 4k (e.g. 64M)",
				   &p->buffer);
	case O_SPILL:
		p->spill_path = arg;
		return 0;
	case O_SPILL_MAX:
		return ec_opt_size(arg, 4096, UINT64_C(1) << 50, "a size from 4k (e.g. 1G)",
				   &p->spill_max);
	case O_DROP:
		p->drop = 1;
		return 0;
	case O_ACK_WAIT:
		if (nats_duration(arg, 100000000, &d))
			return 2;
		p->ack_wait_ms = d / 1000000;
		return 0;
	case O_HEARTBEAT:
		if (ec_opt_int(arg, 0, 86400, "a number of seconds in [0, 86400]", &v))
			return 2;
		p->heartbeat_ms = v * 1000;
		return 0;
	default: /* O_MAX_RECORD */
		if (ec_stream_parse_max(arg, &p->max_record)) {
			ec_warn(EC_STREAM_MAX_USAGE, arg);
			return 2;
		}
		(void)u;
		return 0;
	}
}

static const struct ec_opt_group pub_groups[] = {
    {NULL, pub_optv, pub_option, &P},
    {"the stream (with --create)", create_optv, pub_option, &P},
    {"server", nats_conn_optv, nats_conn_option, &P.c},
};

static const struct ec_opt_spec pub_spec = {
    .prog = "ec-nats pub",
    .usage = "[SUBJECT] [options] < records.pb",
    .about = "Publishes each record of stdin as one message of a JetStream stream, on SUBJECT or\n"
	     "by default on ec.HOST.MODULE (MODULE: the record's source, e.g. openssl, gotls,\n"
	     "bash; log and heartbeat for the others). Each record gets the host field when it\n"
	     "has none, and a message id (this run's id and the record's number) that makes a\n"
	     "resent record a duplicate the server drops.",
    .footer =
	"Records stay held until the server acknowledges them; one not acknowledged in\n"
	"--ack-wait is sent again (the server drops the copy if the first was stored).\n"
	"While the server is away ec-nats reconnects by itself; when --buffer is full the\n"
	"pipe blocks, or records go to --spill, or with --drop-when-full they are dropped\n"
	"and counted. Heartbeats (origin \"ec-nats pub\") carry the counts; stderr says when\n"
	"the connection goes and comes back. Exit 1 if a record was refused or left\n"
	"unacknowledged at a signal.",
    .groups = pub_groups,
    .ngroups = 3,
    .operands = 1,
    .what = "publish the record stream to NATS JetStream",
};

const struct ec_opt_spec *nats_pub_spec(void)
{
	return &pub_spec;
}

/* ---- the connection's news, from the library's threads ---- */

static void on_disconnected(void *arg)
{
	struct pub *p = arg;
	fprintf(stderr,
		"ec-nats pub: disconnected from the server: holding records until it is back "
		"(%s when --buffer is full)\n",
		p->drop		? "dropping"
		: p->spill_path ? "spilling"
				: "blocking");
}

static void on_reconnected(void *arg)
{
	struct pub *p = arg;
	pthread_mutex_lock(&p->mu);
	p->connected_once = 1;
	uint64_t n = p->inflight;
	pthread_mutex_unlock(&p->mu);
	fprintf(stderr,
		"ec-nats pub: connected to %s; %" PRIu64 " records awaiting acknowledgement\n",
		P.c.servers ? P.c.servers : "nats://127.0.0.1:4222", n);
}

static int retryable(const jsPubAckErr *e)
{
	/* no answer, no stream leader yet, connection lost: the record is fine */
	return !e->ErrCode || e->Err == NATS_TIMEOUT || e->Err == NATS_NO_RESPONDERS ||
	       e->Err == NATS_CONNECTION_CLOSED || e->Err == NATS_CONNECTION_DISCONNECTED ||
	       e->ErrCode == JSClusterNotAvailErr || e->ErrCode == JSStreamNotFoundErr;
}

/* (under p->mu) m waits to be sent again, after those already waiting */
static void queue_retry(struct pub *p, natsMsg *m)
{
	if (p->nretry == p->capretry) {
		p->capretry = p->capretry ? 2 * p->capretry : 256;
		p->retry = ec_xrealloc(p->retry, p->capretry * sizeof *p->retry);
	}
	p->retry[p->nretry++] = m;
}

/* (under p->mu) a record the server refused: counted; the first one's reason kept */
static void refusal_locked(struct pub *p, const char *why)
{
	p->failed++;
	if (!p->fail_why[0])
		snprintf(p->fail_why, sizeof p->fail_why, "%s", why);
}

static void on_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *arg)
{
	(void)js;
	struct pub *p = arg;
	uint64_t len = (uint64_t)natsMsg_GetDataLength(msg);
	pthread_mutex_lock(&p->mu);
	if (pa || !pae) {
		p->acked++;
		if (pa && pa->Duplicate)
			p->dups++;
	} else if (retryable(pae)) {
		queue_retry(p, msg);
		p->retried++;
		/* a stream without its leader answers at once: not again before 100 ms */
		int64_t now = ec_mono_ns();
		if (p->resend_at < now)
			p->resend_at = now + 100000000;
		msg = NULL; /* ours again, to resend */
	} else {
		char why[400];
		snprintf(why, sizeof why, "%s (JetStream error %d)",
			 pae->ErrText ? pae->ErrText : natsStatus_GetText(pae->Err),
			 (int)pae->ErrCode);
		refusal_locked(p, why);
	}
	if (msg) {
		p->inflight--;
		p->inflight_bytes -= len;
	}
	if (p->waiting) /* (a wake-up per acknowledgement costs a context switch) */
		pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	natsMsg_Destroy(msg);
}

/* ---- making and sending messages ---- */

static void grow_sbuf(struct pub *p, size_t n)
{
	if (p->sbufcap < n) {
		p->sbufcap = n + n / 2;
		p->sbuf = ec_xrealloc(p->sbuf, p->sbufcap);
	}
}

/*
 * The message of record rec (not yet numbered): the host added when absent,
 * the subject, the id. NULL with *err set when rec is not a record.
 */
static natsMsg *make_msg(struct pub *p, const uint8_t *rec, size_t len, int *err)
{
	/* what goes in the stream is what a stock decoder reads (UTF-8 strings) */
	uint8_t *fixed = NULL;
	size_t flen;
	if (ec_record_sanitize(rec, len, &fixed, &flen) == 1) {
		rec = fixed;
		len = flen;
	}
	EcLogEntry *e = ec_decoder_decode(p->dec, rec, len);
	if (!e) {
		free(fixed);
		*err = EC_ERR_DECODE;
		return NULL;
	}
	const char *host = e->host && *e->host ? e->host : p->host;
	char tok[256], subj[512];
	ec_fleet_token(host, tok, sizeof tok);
	if (!p->subject)
		snprintf(subj, sizeof subj, "ec.%s.%s", tok, ec_fleet_module(e));
	const uint8_t *data = rec;
	size_t n = len;
	if (!(e->host && *e->host)) {
		grow_sbuf(p, len + 300);
		memcpy(p->sbuf, rec, len);
		n = len + ec_fleet_host_field(host, p->sbuf + len, 300);
		data = p->sbuf;
	}
	natsMsg *m = NULL;
	natsStatus s =
	    natsMsg_Create(&m, p->subject ? p->subject : subj, NULL, (const char *)data, (int)n);
	free(fixed);
	if (s != NATS_OK)
		ec_die(1, "making a message: %s", nats_why(s));
	return m;
}

enum { SENT, FULL, REFUSED };

struct counter {
	uint64_t n;
	char key[];
};

static int by_key(const void *a, const void *b)
{
	return strcmp(((const struct counter *)a)->key, ((const struct counter *)b)->key);
}

/* The records numbered so far in a scope or subject of this run. */
static uint64_t *counter(struct pub *p, const char *key)
{
	size_t n = strlen(key ? key : "");
	struct counter *c = ec_xcalloc(1, sizeof *c + n + 1);
	memcpy(c->key, key ? key : "", n);
	struct counter **f = tsearch(c, &p->counters, by_key);
	if (!f)
		ec_die(1, "out of memory");
	if (*f != c)
		free(c);
	return &(*f)->n;
}

/* A new record went out: its numbers are taken. */
static void numbered_one(struct pub *p, uint64_t *scope_n, uint64_t *subject_n)
{
	p->seq++;
	(*scope_n)++;
	if (subject_n != scope_n) /* (one subject for all: the same counter) */
		(*subject_n)++;
}

/* Publish m (numbered here when new); on SENT the library owns it. */
static int send_msg(struct pub *p, natsMsg **m, int numbered)
{
	uint64_t len = (uint64_t)natsMsg_GetDataLength(*m);
	pthread_mutex_lock(&p->mu);
	int full = p->inflight && p->inflight_bytes + len > p->buffer;
	if (!full) {
		p->inflight++;
		p->inflight_bytes += len;
	}
	/* before the first connection the library cannot send headers yet:
	 * the message waits in line with those to resend */
	int early = !full && !p->connected_once;
	pthread_mutex_unlock(&p->mu);
	if (full)
		return FULL;
	uint64_t *scope_n = NULL, *subject_n = NULL;
	if (!numbered) {
		/* the id is the record's place in this run: a resend has the same,
		 * while two records alike (a replayed capture) are two messages */
		char id[48], v[400];
		snprintf(id, sizeof id, "%s-%" PRIu64, p->session, p->seq + 1);
		struct ec_fleet_tag t;
		const char *subject = natsMsg_GetSubject(*m);
		/* the scope: a host's subjects, or the one subject given */
		if (p->subject)
			snprintf(t.scope, sizeof t.scope, "%s", p->subject);
		else
			ec_fleet_scope_of(subject, t.scope, sizeof t.scope);
		memcpy(t.session, p->session, sizeof p->session);
		scope_n = counter(p, t.scope);
		subject_n = counter(p, subject);
		t.seq = *scope_n + 1;
		t.subject_seq = *subject_n + 1;
		ec_fleet_tag_format(&t, v, sizeof v);
		if (natsMsgHeader_Set(*m, "Nats-Msg-Id", id) != NATS_OK ||
		    natsMsgHeader_Set(*m, EC_FLEET_ORDER_HDR, v) != NATS_OK)
			ec_die(1, "out of memory");
	}
	if (early) {
		pthread_mutex_lock(&p->mu);
		queue_retry(p, *m);
		pthread_mutex_unlock(&p->mu);
		*m = NULL;
		if (!numbered)
			numbered_one(p, scope_n, subject_n);
		return SENT;
	}
	jsPubOptions po;
	jsPubOptions_Init(&po);
	po.MaxWait = p->ack_wait_ms;
	natsStatus s = js_PublishMsgAsync(p->js, m, &po);
	if (s != NATS_OK) {
		pthread_mutex_lock(&p->mu);
		p->inflight--;
		p->inflight_bytes -= len;
		pthread_mutex_unlock(&p->mu);
		snprintf(p->refusal, sizeof p->refusal, "%s", nats_why(s));
	}
	if (s == NATS_OK) {
		if (!numbered)
			numbered_one(p, scope_n, subject_n);
		return SENT;
	}
	/* stalled at --max-pending, or the reconnect buffer is full */
	if (s == NATS_TIMEOUT || s == NATS_INSUFFICIENT_BUFFER || s == NATS_NOT_YET_CONNECTED ||
	    s == NATS_CONNECTION_DISCONNECTED)
		return FULL;
	return REFUSED;
}

static void refused(struct pub *p, natsMsg *m, const char *why)
{
	pthread_mutex_lock(&p->mu);
	refusal_locked(p, why);
	pthread_mutex_unlock(&p->mu);
	natsMsg_Destroy(m);
}

/* Resend what was not acknowledged, oldest first. 1 if all went out. */
static int resend(struct pub *p)
{
	for (;;) {
		pthread_mutex_lock(&p->mu);
		natsMsg *m = p->nretry ? p->retry[0] : NULL;
		if (m && (!p->connected_once || ec_mono_ns() < p->resend_at)) {
			pthread_mutex_unlock(&p->mu);
			return 0;
		}
		if (m) {
			memmove(p->retry, p->retry + 1, --p->nretry * sizeof *p->retry);
			/* (it stays counted in flight: it was never given back) */
			p->inflight--;
			p->inflight_bytes -= (uint64_t)natsMsg_GetDataLength(m);
		}
		pthread_mutex_unlock(&p->mu);
		if (!m)
			return 1;
		int r = send_msg(p, &m, 1);
		if (r == SENT)
			continue;
		if (r == REFUSED) {
			refused(p, m, p->refusal);
			continue;
		}
		pthread_mutex_lock(&p->mu);
		memmove(p->retry + 1, p->retry, p->nretry * sizeof *p->retry);
		p->retry[0] = m;
		p->nretry++;
		p->inflight++;
		p->inflight_bytes += (uint64_t)natsMsg_GetDataLength(m);
		pthread_mutex_unlock(&p->mu);
		return 0;
	}
}

/* Wait up to ms for an acknowledgement (or a resend to be due). */
static void wait_acks(struct pub *p, int ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += (long)ms * 1000000;
	ts.tv_sec += ts.tv_nsec / 1000000000;
	ts.tv_nsec %= 1000000000;
	pthread_mutex_lock(&p->mu);
	p->waiting++;
	pthread_cond_timedwait(&p->cv, &p->mu, &ts);
	p->waiting--;
	pthread_mutex_unlock(&p->mu);
}

/* ---- the spill file: records in stream framing, read back in order ---- */

static int spill_put(struct pub *p, const uint8_t *rec, size_t len)
{
	uint8_t v[10];
	size_t k = ec_varint_encode(len, v);
	if (p->spill_fd < 0 || p->spill_w + k + len > p->spill_max)
		return -1;
	if (pwrite(p->spill_fd, v, k, (off_t)p->spill_w) != (ssize_t)k ||
	    pwrite(p->spill_fd, rec, len, (off_t)(p->spill_w + k)) != (ssize_t)len) {
		ec_warn("writing the spill file %s: %s; records now %s when the buffer is full",
			p->spill_path, strerror(errno), p->drop ? "dropped" : "wait");
		p->spill_max = 0; /* no more writes; what it holds is still read */
		return -1;
	}
	p->spill_w += k + len;
	p->spill_n++;
	p->spilled++;
	if (p->spill_w > p->spill_peak)
		p->spill_peak = p->spill_w;
	return 0;
}

/* The spill file's first record into p->sbuf: its length, 0 when empty. */
static size_t spill_peek(struct pub *p, size_t *hdr)
{
	if (!p->spill_n)
		return 0;
	uint8_t v[10];
	ssize_t got = pread(p->spill_fd, v, sizeof v, (off_t)p->spill_r);
	uint64_t len;
	int k = got > 0 ? ec_varint_decode(v, (size_t)got, &len) : -1;
	if (k <= 0)
		ec_die(1, "the spill file %s changed under us at byte %" PRIu64, p->spill_path,
		       p->spill_r);
	grow_sbuf(p, len + 300);
	if (pread(p->spill_fd, p->sbuf, len, (off_t)(p->spill_r + (uint64_t)k)) != (ssize_t)len)
		ec_die(1, "reading the spill file %s: %s", p->spill_path, strerror(errno));
	*hdr = (size_t)k;
	return (size_t)len;
}

static void spill_pop(struct pub *p, size_t hdr, size_t len)
{
	p->spill_r += hdr + len;
	if (!--p->spill_n) { /* all sent: start the file again */
		p->spill_r = p->spill_w = 0;
		if (ftruncate(p->spill_fd, 0))
			ec_warn("truncating the spill file %s: %s", p->spill_path, strerror(errno));
	}
}

/*
 * One record (from stdin, or the spill file: from_spill) out: sent, or held
 * where the options say when full. Returns 0, FULL when it must wait (only
 * from the spill file), or a negative ec_error.
 */
static int publish(struct pub *p, const uint8_t *rec, size_t len, int from_spill)
{
	int err = 0;
	natsMsg *m = make_msg(p, rec, len, &err);
	if (!m)
		return err;
	for (;;) {
		if (!resend(p)) {
			if (from_spill) {
				natsMsg_Destroy(m);
				return FULL;
			}
		} else {
			int r = send_msg(p, &m, 0);
			if (r == SENT)
				return 0;
			if (r == REFUSED) {
				char why[400];
				snprintf(why, sizeof why, "record of %zu bytes refused: %s", len,
					 p->refusal);
				refused(p, m, why);
				return 0;
			}
			if (from_spill) {
				natsMsg_Destroy(m);
				return FULL;
			}
		}
		/* full */
		if (spill_put(p, rec, len) == 0) {
			natsMsg_Destroy(m);
			return 0;
		}
		if (p->drop) {
			pthread_mutex_lock(&p->mu);
			p->dropped++;
			pthread_mutex_unlock(&p->mu);
			natsMsg_Destroy(m);
			return 0;
		}
		if (nats_stop) {
			natsMsg_Destroy(m);
			p->unsent++; /* (read, never sent: counted with the unacknowledged) */
			return EC_ERR_BUSY;
		}
		wait_acks(p, 20);
	}
}

/* Send what the spill file holds, until full. 1 when it is empty. */
static int drain_spill(struct pub *p)
{
	while (p->spill_n) {
		size_t hdr, len = spill_peek(p, &hdr);
		uint8_t *copy = ec_xmalloc(len ? len : 1); /* (make_msg writes p->sbuf) */
		memcpy(copy, p->sbuf, len);
		int r = publish(p, copy, len, 1);
		free(copy);
		if (r == FULL)
			return 0;
		spill_pop(p, hdr, len);
		if (r < 0)
			return 1;
	}
	return 1;
}

/* While the spill file holds records, a new one goes behind them (order). */
static int behind_spill(struct pub *p, const uint8_t *rec, size_t len)
{
	while (spill_put(p, rec, len)) {
		if (!p->spill_n) /* drained while full: straight out */
			return publish(p, rec, len, 0);
		if (p->drop) {
			pthread_mutex_lock(&p->mu);
			p->dropped++;
			pthread_mutex_unlock(&p->mu);
			return 0;
		}
		if (nats_stop)
			return EC_ERR_BUSY;
		drain_spill(p);
		wait_acks(p, 20);
	}
	return 0;
}

static void counts(struct pub *p, char *buf, size_t n)
{
	pthread_mutex_lock(&p->mu);
	snprintf(buf, n,
		 "ec-nats pub: %" PRIu64 " records read; %" PRIu64 " acknowledged (%" PRIu64
		 " duplicates), %" PRIu64 " refused, %" PRIu64 " dropped, %" PRIu64
		 " awaiting acknowledgement, %" PRIu64 " resent, %" PRIu64 " spilled (%" PRIu64
		 " waiting in the spill file); %s",
		 p->records, p->acked, p->dups, p->failed, p->dropped, p->inflight, p->retried,
		 p->spilled, p->spill_n,
		 natsConnection_Status(p->nc) == NATS_CONN_STATUS_CONNECTED ? "connected"
									    : "not connected");
	pthread_mutex_unlock(&p->mu);
}

/* A heartbeat record with the counts, published like any other. */
static int heartbeat(struct pub *p)
{
	char msg[512];
	counts(p, msg, sizeof msg);
	EcHeartbeat hb = EVENT__HEARTBEAT__INIT;
	hb.timestamp = ec_now_ns();
	pthread_mutex_lock(&p->mu);
	hb.count = (int64_t)p->acked;
	hb.records_dropped = p->dropped + p->failed;
	pthread_mutex_unlock(&p->mu);
	hb.message = msg + strlen("ec-nats pub: ");
	hb.origin = "ec-nats pub";
	EcLogEntry e = EVENT__LOG_ENTRY__INIT;
	e.log_type = EVENT__LOG_TYPE__LOG_TYPE_HEARTBEAT;
	e.payload_case = EVENT__LOG_ENTRY__PAYLOAD_HEARTBEAT_PAYLOAD;
	e.heartbeat_payload = &hb;
	e.host = p->host;
	uint8_t buf[1024];
	size_t len = event__log_entry__get_packed_size(&e);
	if (len > sizeof buf)
		return 0;
	event__log_entry__pack(&e, buf);
	return p->spill_n ? spill_put(p, buf, len) : publish(p, buf, len, 0);
}

static int check_stream(struct pub *p);

/* Between records and while stdin is quiet: resend, drain the spill file, heartbeat. */
static int tick(struct pub *p)
{
	pthread_mutex_lock(&p->mu);
	int check = p->connected_once && !p->checked;
	pthread_mutex_unlock(&p->mu);
	if (check) { /* (started with no server: the stream is looked at once there is one) */
		p->checked = 1;
		if (check_stream(p))
			return EC_ERR_NOTFOUND;
	}
	resend(p);
	if (p->spill_n)
		drain_spill(p);
	if (p->heartbeat_ms && ec_mono_ns() >= p->next_hb) {
		p->next_hb = ec_mono_ns() + p->heartbeat_ms * 1000000;
		int err = heartbeat(p);
		if (err < 0)
			return err;
	}
	pthread_mutex_lock(&p->mu);
	if (p->fail_why[0] && !p->refusal_told) { /* the first, once */
		p->refusal_told = 1;
		ec_warn("a record was refused: %s (the heartbeats count them)", p->fail_why);
	}
	pthread_mutex_unlock(&p->mu);
	return 0;
}

/* Wait until everything is out and acknowledged, or a signal. */
static void drain_all(struct pub *p)
{
	int64_t said = ec_mono_ns();
	for (;;) {
		resend(p);
		drain_spill(p);
		pthread_mutex_lock(&p->mu);
		uint64_t left = p->inflight + p->spill_n;
		pthread_mutex_unlock(&p->mu);
		if (!left || nats_stop)
			return;
		if (ec_mono_ns() - said > 10000000000LL) {
			said = ec_mono_ns();
			fprintf(stderr,
				"ec-nats pub: input ended; waiting for %" PRIu64
				" records to be acknowledged (a signal stops the wait)\n",
				left);
		}
		wait_acks(p, 50);
	}
}

static int on_idle(void *arg)
{
	struct pub *p = arg;
	if (nats_stop)
		return EC_ERR_BUSY;
	int err = tick(p);
	if (err < 0)
		return err;
	pthread_mutex_lock(&p->mu);
	int busy = p->nretry || p->spill_n;
	pthread_mutex_unlock(&p->mu);
	return busy ? 20 : 200;
}

/* The stream: there, or made with --create; a subject no stream takes is an error. */
static int check_stream(struct pub *p)
{
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	natsStatus s = js_GetStreamInfo(&si, p->js, p->c.stream, NULL, &jerr);
	if (s == NATS_OK) {
		if (p->create)
			fprintf(stderr, "ec-nats pub: stream %s exists: using it as it is\n",
				p->c.stream);
		jsStreamInfo_Destroy(si);
		return 0;
	}
	if (s != NATS_NOT_FOUND || jerr != JSStreamNotFoundErr) {
		ec_warn("looking up stream %s: %s (does the server run with JetStream, -js?)",
			p->c.stream, nats_why(s));
		return 1;
	}
	if (!p->create) {
		ec_warn("the server has no stream %s: add --create (or name yours with --stream)",
			p->c.stream);
		return 1;
	}
	jsStreamConfig cfg;
	jsStreamConfig_Init(&cfg);
	const char *subjects[] = {p->subject ? p->subject : "ec.>"};
	cfg.Name = p->c.stream;
	cfg.Subjects = subjects;
	cfg.SubjectsLen = 1;
	cfg.Storage = p->storage_mem ? js_MemoryStorage : js_FileStorage;
	cfg.Replicas = p->replicas;
	cfg.MaxAge = p->max_age;
	cfg.MaxBytes = p->max_bytes ? (int64_t)p->max_bytes : -1;
	cfg.Duplicates = p->dup_window;
	s = js_AddStream(&si, p->js, &cfg, NULL, &jerr);
	if (s != NATS_OK) {
		ec_warn("creating stream %s: %s (JetStream error %d)", p->c.stream, nats_why(s),
			(int)jerr);
		return 1;
	}
	jsStreamInfo_Destroy(si);
	fprintf(stderr, "ec-nats pub: created stream %s (subjects %s, %" PRId64 " replicas, %s)\n",
		p->c.stream, subjects[0], p->replicas, p->storage_mem ? "memory" : "file");
	return 0;
}

int nats_pub_main(int argc, char **argv)
{
	struct pub *p = &P;
	int first;
	int rc = ec_opt_parse(&pub_spec, argc, argv, &first);
	if (rc)
		return rc == EC_OPT_HELP ? 0 : rc;
	if (first < argc) {
		p->subject = argv[first];
		if (!*p->subject || strpbrk(p->subject, "*> \t") || p->subject[0] == '.' ||
		    strstr(p->subject, "..") || p->subject[strlen(p->subject) - 1] == '.')
			ec_die(2,
			       "'%s' is not a subject to publish on (tokens split by '.', no "
			       "wildcards)",
			       p->subject);
	}
	if (nats_conn_check(&p->c))
		return 2;
	if (!p->c.stream)
		p->c.stream = "EC";
	if (!p->host[0] && gethostname(p->host, sizeof p->host - 1))
		snprintf(p->host, sizeof p->host, "localhost");
	if (p->spill_path) {
		p->spill_fd = open(p->spill_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (p->spill_fd < 0)
			ec_die(2, "--spill: cannot create '%s': %s", p->spill_path,
			       strerror(errno));
	}
	uint8_t rnd[8];
	if (getrandom(rnd, sizeof rnd, 0) != sizeof rnd)
		ec_die(1, "getrandom: %s", strerror(errno));
	for (int i = 0; i < 8; i++)
		snprintf(p->session + 2 * i, 3, "%02x", rnd[i]);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	nats_on_signals();

	jsOptions jo;
	jsOptions_Init(&jo);
	jo.PublishAsync.MaxPending = p->max_pending;
	jo.PublishAsync.AckHandler = on_ack;
	jo.PublishAsync.AckHandlerClosure = p;
	jo.PublishAsync.StallWait = 20;
	struct nats_conn_events ev = {on_disconnected, on_reconnected, p};
	char name[300];
	snprintf(name, sizeof name, "ec-nats pub %.255s", p->host);
	rc = nats_connect(&p->c, name, 1, &ev, &jo, &p->nc, &p->js);
	if (rc)
		return rc;
	if (natsConnection_Status(p->nc) == NATS_CONN_STATUS_CONNECTED) {
		p->connected_once = p->checked = 1;
		if (check_stream(p)) {
			nats_disconnect(p->nc, p->js);
			return 1;
		}
	} else {
		fprintf(stderr, "ec-nats pub: no server answers yet: holding records and trying "
				"again\n");
	}

	p->dec = ec_decoder_new();
	struct ec_reader *rd = ec_reader_new(0, "stdin", p->max_record);
	if (!rd || !p->dec)
		ec_die(1, "out of memory");
	ec_reader_set_hints(rd, EC_READER_HINT_MAX_RECORD);
	ec_reader_on_idle(rd, on_idle, p);
	p->next_hb = ec_mono_ns() + p->heartbeat_ms * 1000000;
	const uint8_t *buf;
	size_t len;
	int err = 0;
	for (;;) {
		err = ec_reader_next(rd, &buf, &len);
		if (err <= 0)
			break;
		p->records++;
		err = p->spill_n ? behind_spill(p, buf, len) : publish(p, buf, len, 0);
		if (err == 0)
			err = tick(p);
		if (err < 0)
			break;
		if (nats_stop) {
			err = EC_ERR_BUSY;
			break;
		}
	}
	int status = 0;
	char msg[512];
	if (err == EC_ERR_NOTFOUND) {
		status = 1; /* (check_stream said why) */
	} else if (err < 0 && err != EC_ERR_BUSY) {
		ec_reader_errmsg(rd, err, msg, sizeof msg);
		ec_warn("%s (the records before it are published)", msg);
		status = 1;
	}
	/* the end of input: everything out and acknowledged, then a last
	 * heartbeat with the final counts (and that acknowledged too) */
	if (err != EC_ERR_NOTFOUND)
		drain_all(p);
	if (p->heartbeat_ms && !nats_stop && err != EC_ERR_NOTFOUND) {
		heartbeat(p);
		drain_all(p);
	}
	counts(p, msg, sizeof msg);
	fprintf(stderr, "%s\n", msg);
	pthread_mutex_lock(&p->mu);
	uint64_t lost = p->inflight + p->spill_n + p->unsent;
	if (p->failed || lost)
		status = 1;
	if (p->fail_why[0])
		ec_warn("first refusal: %s", p->fail_why);
	pthread_mutex_unlock(&p->mu);
	if (lost)
		ec_warn("%" PRIu64 " records were not acknowledged when stopped%s", lost,
			p->spill_n ? " (those in the spill file are still there)" : "");
	ec_reader_free(rd);
	ec_decoder_free(p->dec);
	/* records never acknowledged: the library gives them back to be freed */
	natsMsgList pend;
	/* (libnats 3.4 crashes asking when nothing was ever published) */
	if (p->inflight > p->nretry && js_PublishAsyncGetPendingList(&pend, p->js) == NATS_OK)
		natsMsgList_Destroy(&pend);
	for (size_t i = 0; i < p->nretry; i++)
		natsMsg_Destroy(p->retry[i]);
	free(p->retry);
	free(p->sbuf);
	tdestroy(p->counters, free);
	nats_disconnect(p->nc, p->js);
	if (p->spill_fd >= 0) {
		close(p->spill_fd);
		if (!p->spill_n)
			unlink(p->spill_path);
	}
	return status;
}
