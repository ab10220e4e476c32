// SPDX-License-Identifier: GPL-2.0-only
/*
 * ec-nats sub: the messages of one or more subjects back as the record
 * stream, through pull consumers (durable with --durable). Each publisher
 * session's records are written in the order they were published (the
 * orderer of lib/fleet), and a message is acknowledged only once its record
 * has been written to stdout: a subscriber that stops, however it stops,
 * gets again from its durable consumer what it had not written.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "fleet.h"
#include "nats.h"
#include "record.h"
#include "stream.h"
#include "util.h"

enum {
	O_DURABLE = 300,
	O_SINCE,
	O_FROM_SEQ,
	O_NEW,
	O_GAP_WAIT,
	O_MAX_HELD,
	O_COUNT,
	O_IDLE,
	O_BATCH,
	O_ACK_WAIT,
	O_HEARTBEAT,
};

static const struct ec_opt sub_optv[] = {
    {"durable", O_DURABLE, "NAME",
     "a durable consumer: a subscriber started again with the same\nname goes on where it "
     "stopped (several SUBJECTs: NAME-1, NAME-2..)"},
    {"since", O_SINCE, "TIME",
     "start at messages stored since TIME: RFC 3339\n(2026-12-05T10:00:00Z) or a duration "
     "ago (90s, 10m, 2h, 7d)"},
    {"from-seq", O_FROM_SEQ, "N", "start at the stream's message N"},
    {"new", O_NEW, NULL, "only messages stored from now on (default: all there are)"},
    {"gap-wait", O_GAP_WAIT, "DUR",
     "hold a record that came before one it follows this long\n(default 5s), then report the "
     "gap"},
    {"max-held", O_MAX_HELD, "N", "records held for order at once (default 100000)"},
    {"count", 'c', "N", "exit after writing N records"},
    {"idle", O_IDLE, "DUR", "exit once nothing came for DUR (e.g. 2s; default: never)"},
    {"batch", O_BATCH, "N", "messages asked for at once (default 2048)"},
    {"ack-wait", O_ACK_WAIT, "DUR",
     "the server sends again a message not acknowledged this long\n(default 30s, over "
     "--gap-wait)"},
    {"heartbeat", O_HEARTBEAT, "SECS",
     "write a heartbeat with the counts every SECS (default 0: never)"},
    {NULL, 0, NULL, NULL},
};

struct sub {
	struct nats_conn_opts c;
	const char *durable;
	const char *since;
	uint64_t from_seq;
	int deliver_new;
	int64_t gap_wait, idle, ack_wait, heartbeat_ms;
	int64_t max_held, batch;
	uint64_t count;

	struct ec_writer *w;
	struct ec_decoder *dec; /* (is a message a record at all) */
	natsMsg **to_ack;	/* written, acknowledged after the flush */
	size_t nack, capack;
	uint64_t written, bad, dups, late, gaps_said;
	int werr;
};

static struct sub S = {
    .gap_wait = 5000000000LL,
    .ack_wait = 30000000000LL,
    .max_held = 100000,
    .batch = 2048,
};

static int sub_option(void *ctx, int key, const char *arg)
{
	struct sub *s = ctx;
	long long v;
	int64_t t;
	switch (key) {
	case O_DURABLE:
		if (!*arg || strpbrk(arg, ".*> \t") || strlen(arg) > 200) {
			ec_warn(
			    "--durable: '%s' is not a consumer name (no '.', '*', '>' or spaces)",
			    arg);
			return 2;
		}
		s->durable = arg;
		return 0;
	case O_SINCE:
		if (ec_fleet_parse_since(arg, ec_now_ns(), &t)) {
			ec_warn("--since: '%s' is not a time (2026-12-05T10:00:00Z, with its zone) "
				"or a duration ago (10m, 2h)",
				arg);
			return 2;
		}
		s->since = arg;
		return 0;
	case O_FROM_SEQ:
		if (ec_opt_int(arg, 1, INT64_MAX, "a stream sequence (a number > 0)", &v))
			return 2;
		s->from_seq = (uint64_t)v;
		return 0;
	case O_NEW:
		s->deliver_new = 1;
		return 0;
	case O_GAP_WAIT:
		return nats_duration(arg, 0, &s->gap_wait);
	case O_MAX_HELD:
		if (ec_opt_int(arg, 1, 10000000, "a count in [1, 10000000]", &v))
			return 2;
		s->max_held = v;
		return 0;
	case 'c':
		if (ec_opt_int(arg, 1, INT64_MAX, "a record count (a number > 0)", &v))
			return 2;
		s->count = (uint64_t)v;
		return 0;
	case O_IDLE:
		return nats_duration(arg, 1000000, &s->idle);
	case O_BATCH:
		if (ec_opt_int(arg, 1, 10000, "a count in [1, 10000]", &v))
			return 2;
		s->batch = v;
		return 0;
	case O_ACK_WAIT:
		return nats_duration(arg, 1000000000, &s->ack_wait);
	default: /* O_HEARTBEAT */
		if (ec_opt_int(arg, 0, 86400, "a number of seconds in [0, 86400]", &v))
			return 2;
		s->heartbeat_ms = v * 1000;
		return 0;
	}
}

static const struct ec_opt_group sub_groups[] = {
    {NULL, sub_optv, sub_option, &S},
    {"server", nats_conn_optv, nats_conn_option, &S.c},
};

static const struct ec_opt_spec sub_spec = {
    .prog = "ec-nats sub",
    .usage = "SUBJECT... [options] > records.pb",
    .about = "Writes the records published on SUBJECT (NATS wildcards: 'ec.>' for all, "
	     "'ec.*.openssl',\n'ec.web1.>') as the ordinary record stream on stdout.",
    .footer = "Each publisher's records come out in the order it published them: a record that\n"
	      "arrives before one it follows (resent after a lost acknowledgement) is held up to\n"
	      "--gap-wait; records that never come are reported as a gap (a process-log record\n"
	      "and stderr). A message is acknowledged only after its record is written, so a\n"
	      "durable subscriber that is stopped and started again loses nothing; one killed\n"
	      "between a write and its acknowledgement gets that batch again.",
    .groups = sub_groups,
    .ngroups = 2,
    .operands = 64,
    .what = "write records from NATS JetStream as the record stream",
};

const struct ec_opt_spec *nats_sub_spec(void)
{
	return &sub_spec;
}

static void on_disconnected(void *arg)
{
	(void)arg;
	fprintf(stderr, "ec-nats sub: disconnected from the server; reconnecting\n");
}

static void on_reconnected(void *arg)
{
	(void)arg;
	fprintf(stderr, "ec-nats sub: connected again\n");
}

/* The orderer's verdict on one message. */
static void on_item(void *arg, void *item, enum ec_fleet_fate fate)
{
	struct sub *s = arg;
	natsMsg *m = item;
	if (fate == EC_FLEET_FORGET) { /* not written: the server sends it again */
		natsMsg_Destroy(m);
		return;
	}
	if (fate == EC_FLEET_DUP) {
		s->dups++;
		natsMsg_Ack(m, NULL);
		natsMsg_Destroy(m);
		return;
	}
	if (fate == EC_FLEET_LATE)
		s->late++;
	const uint8_t *d = (const uint8_t *)natsMsg_GetData(m);
	size_t n = (size_t)natsMsg_GetDataLength(m);
	/* a record (a string that is not UTF-8 decodes: the writer fixes it) */
	if (!n || !ec_decoder_decode(s->dec, d, n)) {
		/* not a record (someone else's message on the subject): said, not written */
		if (!s->bad++)
			ec_warn("message on %s (%zu bytes) is not a record: skipped (counted in "
				"heartbeats)",
				natsMsg_GetSubject(m), n);
		natsMsg_Ack(m, NULL);
		natsMsg_Destroy(m);
		return;
	}
	if (!s->werr)
		s->werr = ec_writer_put_raw(s->w, d, n);
	s->written++;
	if (s->nack == s->capack) {
		s->capack = s->capack ? 2 * s->capack : 1024;
		s->to_ack = ec_xrealloc(s->to_ack, s->capack * sizeof *s->to_ack);
	}
	s->to_ack[s->nack++] = m;
}

static void on_gap(void *arg, const char *session, uint64_t from, uint64_t to)
{
	struct sub *s = arg;
	char line[512];
	if (++s->gaps_said > 1000)
		return; /* (the heartbeats and the summary count the rest) */
	snprintf(line, sizeof line,
		 "ec-nats sub: publisher session and scope %s: records %" PRIu64 "-%" PRIu64
		 " never came (see its heartbeats' refused and dropped counts)",
		 session, from, to);
	if (s->gaps_said <= 10)
		fprintf(stderr, "%s%s\n", line,
			s->gaps_said == 10 ? " (further gaps: in the summary)" : "");
	if (!s->werr)
		s->werr = ec_record_log(s->w, EC_LOG_WARN, "%s", line);
}

/* Flush what was written, then acknowledge it. */
static int flush_acks(struct sub *s)
{
	if (!s->werr)
		s->werr = ec_writer_flush(s->w);
	if (s->werr)
		return s->werr; /* not written: not acknowledged */
	for (size_t i = 0; i < s->nack; i++) {
		natsMsg_Ack(s->to_ack[i], NULL);
		natsMsg_Destroy(s->to_ack[i]);
	}
	s->nack = 0;
	return 0;
}

static void heartbeat(struct sub *s, struct ec_fleet_order *o)
{
	struct ec_fleet_order_stats st;
	ec_fleet_order_stats(o, &st);
	char msg[400];
	snprintf(msg, sizeof msg,
		 "%" PRIu64 " records written, %" PRIu64 " duplicates dropped, %" PRIu64
		 " out of order, %" PRIu64 " gaps (%" PRIu64 " records), %zu held, %" PRIu64
		 " not records, %" PRIu64 " publisher sessions",
		 s->written, s->dups, s->late, st.gaps, st.missing, ec_fleet_order_held(o), s->bad,
		 st.sessions);
	if (!s->werr)
		s->werr = ec_record_heartbeat(s->w, (int64_t)s->written, 0, st.missing + s->bad,
					      "ec-nats sub", msg);
}

/*
 * What m is ordered within, and its number there: its publisher session's
 * scope when our subjects take the whole scope, else its subject; 0 for a
 * message without a tag (another publisher's), written as it comes.
 */
static uint64_t order_key(natsMsg *m, char **subjects, int nsub, char *key, size_t cap)
{
	const char *v = NULL;
	struct ec_fleet_tag t;
	if (natsMsgHeader_Get(m, EC_FLEET_ORDER_HDR, &v) != NATS_OK || ec_fleet_tag_parse(v, &t))
		return 0;
	for (int i = 0; i < nsub; i++)
		if (ec_fleet_covers(subjects[i], t.scope)) {
			snprintf(key, cap, "%s %s", t.session, t.scope);
			return t.seq;
		}
	snprintf(key, cap, "%s %s", t.session, natsMsg_GetSubject(m));
	return t.subject_seq;
}

/* One pull consumer per subject: durable NAME (NAME-k for several). */
static int subscribe(struct sub *s, jsCtx *js, const char *subject, int k, int n,
		     natsSubscription **out)
{
	char durable[256];
	if (s->durable)
		snprintf(durable, sizeof durable, n > 1 ? "%s-%d" : "%s", s->durable, k + 1);
	jsSubOptions so;
	jsSubOptions_Init(&so);
	so.Stream = s->c.stream;
	so.Config.AckPolicy = js_AckExplicit;
	so.Config.AckWait = s->ack_wait;
	/* room for what is held waiting for a gap, and a batch on top */
	so.Config.MaxAckPending = s->max_held + 4 * s->batch;
	/* where to start matters only when the consumer is made: an existing
	 * durable goes on where it stopped */
	jsConsumerInfo *ci = NULL;
	int exists =
	    s->durable && js_GetConsumerInfo(&ci, js, s->c.stream, durable, NULL, NULL) == NATS_OK;
	if (ci)
		jsConsumerInfo_Destroy(ci);
	if (exists && (s->since || s->from_seq || s->deliver_new))
		fprintf(stderr,
			"ec-nats sub: consumer %s exists: it goes on where it stopped (--since, "
			"--from-seq and --new apply when it is made)\n",
			durable);
	if (exists) {
		so.Consumer = durable;
	} else if (s->since) {
		so.Config.DeliverPolicy = js_DeliverByStartTime;
		ec_fleet_parse_since(s->since, ec_now_ns(), &so.Config.OptStartTime);
	} else if (s->from_seq) {
		so.Config.DeliverPolicy = js_DeliverByStartSequence;
		so.Config.OptStartSeq = s->from_seq;
	} else if (s->deliver_new) {
		so.Config.DeliverPolicy = js_DeliverNew;
	}
	jsErrCode jerr = 0;
	natsStatus st =
	    js_PullSubscribe(out, js, subject, s->durable ? durable : NULL, NULL, &so, &jerr);
	if (st != NATS_OK) {
		ec_warn("subscribing to %s on stream %s: %s%s", subject, s->c.stream, nats_why(st),
			jerr == JSStreamNotFoundErr ? " (no such stream: --stream names it)" : "");
		return 1;
	}
	return 0;
}

int nats_sub_main(int argc, char **argv)
{
	struct sub *s = &S;
	int first;
	int rc = ec_opt_parse(&sub_spec, argc, argv, &first);
	if (rc)
		return rc == EC_OPT_HELP ? 0 : rc;
	if (first >= argc)
		ec_die(2, "which subjects? e.g. ec-nats sub 'ec.>' (every host, every module)");
	if (!!s->since + !!s->from_seq + s->deliver_new > 1)
		ec_die(2, "give one of --since, --from-seq, --new");
	if (s->ack_wait <= s->gap_wait)
		ec_die(2, "--ack-wait must be longer than --gap-wait (held records would be sent "
			  "again)");
	if (nats_conn_check(&s->c))
		return 2;
	if (!s->c.stream)
		s->c.stream = "EC";
	if (isatty(1))
		ec_die(2, "stdout is a terminal: pipe the records into ec-dump (or a file)");
	nats_on_signals();
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	struct nats_conn_events ev = {on_disconnected, on_reconnected, s};
	rc = nats_connect(&s->c, "ec-nats sub", 0, &ev, NULL, &nc, &js);
	if (rc)
		return rc;
	int nsub = argc - first;
	natsSubscription **subs = ec_xcalloc((size_t)nsub, sizeof *subs);
	for (int i = 0; i < nsub; i++)
		if (subscribe(s, js, argv[first + i], i, nsub, &subs[i])) {
			for (int j = 0; j < i; j++)
				natsSubscription_Destroy(subs[j]);
			free(subs);
			nats_disconnect(nc, js);
			return 1;
		}
	s->w = ec_writer_new(1);
	s->dec = ec_decoder_new();
	if (!s->w || !s->dec)
		ec_die(1, "out of memory");
	struct ec_fleet_order_cb cb = {on_item, on_gap, s};
	struct ec_fleet_order *o = ec_fleet_order_new(&cb, s->gap_wait, (size_t)s->max_held, 65536);
	int64_t last_msg = ec_mono_ns(), next_hb = ec_mono_ns() + s->heartbeat_ms * 1000000;
	int status = 0, fetch_said = 0;
	while (!nats_stop && !s->werr && (!s->count || s->written < s->count)) {
		int got = 0;
		for (int i = 0; i < nsub && !nats_stop; i++) {
			natsMsgList list = {0};
			int64_t wait = nsub > 1 ? 20 : 200;
			natsStatus st =
			    natsSubscription_Fetch(&list, subs[i], (int)s->batch, wait, NULL);
			if (st != NATS_OK && st != NATS_TIMEOUT) {
				/* a node gone, a leader being elected: the library
				 * reconnects; said once, and not asked again at once */
				if (natsConnection_IsClosed(nc)) {
					ec_warn("the connection is closed: %s", nats_why(st));
					status = 1;
					nats_stop = 1;
					break;
				}
				if (!fetch_said++)
					fprintf(stderr,
						"ec-nats sub: fetching from %s: %s; trying again\n",
						argv[first + i], nats_why(st));
				usleep(100000);
				continue;
			}
			fetch_said = 0;
			int64_t now = ec_mono_ns();
			for (int k = 0; k < list.Count; k++) {
				natsMsg *m = list.Msgs[k];
				list.Msgs[k] = NULL;
				char key[EC_FLEET_SESSION_MAX];
				uint64_t n = order_key(m, argv + first, nsub, key, sizeof key);
				ec_fleet_order_put(o, key, n, m, now);
				got++;
				if (s->count && s->written >= s->count)
					break;
			}
			natsMsgList_Destroy(&list); /* (what the count left is sent again) */
		}
		int64_t now = ec_mono_ns();
		ec_fleet_order_tick(o, now);
		if (s->heartbeat_ms && now >= next_hb) {
			next_hb = now + s->heartbeat_ms * 1000000;
			heartbeat(s, o);
		}
		if (flush_acks(s))
			break;
		if (got)
			last_msg = now;
		else if (s->idle && now - last_msg >= s->idle && !ec_fleet_order_held(o))
			break;
	}
	flush_acks(s);
	struct ec_fleet_order_stats st;
	ec_fleet_order_stats(o, &st);
	size_t held = ec_fleet_order_held(o);
	ec_fleet_order_free(o); /* held ones: not acknowledged, so sent again next time */
	int werr = s->werr ? s->werr : ec_writer_free(s->w);
	if (s->werr)
		ec_writer_free(s->w);
	if (werr && werr != EC_ERR_PIPE) {
		ec_warn("writing records to stdout: %s", ec_strerror(werr));
		status = 1;
	}
	fprintf(stderr,
		"ec-nats sub: %" PRIu64 " records written, %" PRIu64 " duplicates dropped, %" PRIu64
		" out of order, %" PRIu64 " gaps (%" PRIu64 " records), %zu left held (not "
		"acknowledged), %" PRIu64 " not records\n",
		s->written, s->dups, s->late, st.gaps, st.missing, held, s->bad);
	for (int i = 0; i < nsub; i++)
		natsSubscription_Destroy(subs[i]); /* (no unsubscribe: a durable stays) */
	free(subs);
	for (size_t i = 0; i < s->nack; i++) /* (written but not flushed: not acknowledged) */
		natsMsg_Destroy(s->to_ack[i]);
	free(s->to_ack);
	ec_decoder_free(s->dec);
	nats_disconnect(nc, js);
	return status;
}
