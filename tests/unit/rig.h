/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by the decoders' unit tests (test_pgsql.c, test_mysql.c,
 * test_grpc.c): one connection's capture events fed to ec-parse, its
 * records read back.
 *
 *	struct rig g;
 *	rig_open(&g, 5432, "psql", 0);
 *	ev(&g, W, 1000, bytes, n);	// NULL bytes: the connection closed
 *	rig_done(&g);			// g.out[0..nout) holds what came out
 *	rig_free(&g);
 */
#ifndef EC_TEST_RIG_H
#define EC_TEST_RIG_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "record.h"
#include "stream.h"

#define W EVENT__DIRECTION__DIRECTION_WRITE
#define R EVENT__DIRECTION__DIRECTION_READ

struct rig {
	FILE *f;
	struct ec_writer *w;
	struct ec_parse *p;
	uint64_t seq[3];
	uint32_t port;
	const char *pname;
	EcLogEntry *out[64];
	int nout;
};

/* ec-parse with its defaults, --max-body max_body when not 0; the server on port. */
static inline void rig_open(struct rig *g, uint32_t port, const char *pname, size_t max_body)
{
	memset(g, 0, sizeof *g);
	g->f = tmpfile();
	assert_non_null(g->f);
	g->w = ec_writer_new(fileno(g->f));
	struct ec_parse_opts o;
	ec_parse_opts_default(&o);
	if (max_body)
		o.max_body = max_body;
	g->p = ec_parse_new(&o, g->w);
	g->port = port;
	g->pname = pname;
}

/* One capture event of the client (pid 100) in direction dir at ts. */
static inline void ev(struct rig *g, int dir, int64_t ts, const void *p, size_t n)
{
	EcEvent e = EVENT__EVENT__INIT;
	e.timestamp = ts;
	e.pid = 100;
	e.pname = (char *)g->pname;
	e.tid = 100;
	e.fd = 3;
	e.src_ip = e.dst_ip = "127.0.0.1";
	e.src_port = 40000;
	e.dst_port = g->port;
	e.source = EVENT__SOURCE__SOURCE_OPENSSL;
	e.direction = dir;
	e.conn_id = 1;
	e.seq = g->seq[dir]++;
	e.payload.data = (uint8_t *)p;
	e.payload.len = n;
	e.length = (uint32_t)n;
	e.closed = !p;
	EcLogEntry le = EVENT__LOG_ENTRY__INIT;
	le.log_type = EVENT__LOG_TYPE__LOG_TYPE_EVENT;
	le.payload_case = EVENT__LOG_ENTRY__PAYLOAD_EVENT_PAYLOAD;
	le.event_payload = &e;
	size_t k = event__log_entry__get_packed_size(&le);
	uint8_t *b = malloc(k);
	event__log_entry__pack(&le, b);
	assert_int_equal(ec_parse_record(g->p, b, k), 0);
	free(b);
}

/* End of input: every record out, decoded, in g->out. */
static inline void rig_done(struct rig *g)
{
	assert_int_equal(ec_parse_finish(g->p), 0);
	ec_parse_free(g->p);
	assert_int_equal(ec_writer_free(g->w), 0);
	rewind(g->f);
	struct ec_reader *r = ec_reader_new(fileno(g->f), "out", 0);
	const uint8_t *b;
	size_t n;
	while (ec_reader_next(r, &b, &n) == 1) {
		assert_true(g->nout < 64);
		g->out[g->nout] = ec_record_decode(b, n);
		assert_non_null(g->out[g->nout]);
		g->nout++;
	}
	ec_reader_free(r);
	fclose(g->f);
}

static inline void rig_free(struct rig *g)
{
	for (int i = 0; i < g->nout; i++)
		ec_record_free(g->out[i]);
}

/* The i-th event out (process logs skipped: a cut is also logged). */
static inline const EcEvent *nth(const struct rig *g, int i)
{
	for (int k = 0; k < g->nout; k++)
		if (g->out[k]->payload_case == EVENT__LOG_ENTRY__PAYLOAD_EVENT_PAYLOAD && i-- == 0)
			return g->out[k]->event_payload;
	fail_msg("no event %d", i);
	return NULL;
}

/* The i-th event out of type t; NULL when there is none. */
static inline const EcEvent *nth_type(const struct rig *g, uint32_t t, int i)
{
	for (int k = 0; k < g->nout; k++) {
		const EcEvent *e = g->out[k]->event_payload;
		if (g->out[k]->payload_case == EVENT__LOG_ENTRY__PAYLOAD_EVENT_PAYLOAD &&
		    e->type == t && i-- == 0)
			return e;
	}
	return NULL;
}

static inline int events(const struct rig *g)
{
	int n = 0;
	for (int k = 0; k < g->nout; k++)
		n += g->out[k]->payload_case == EVENT__LOG_ENTRY__PAYLOAD_EVENT_PAYLOAD;
	return n;
}

static inline void assert_text(const EcEvent *e, const char *s)
{
	if (e->payload.len != strlen(s) || memcmp(e->payload.data, s, e->payload.len))
		fail_msg("payload \"%.*s\" != \"%s\"", (int)e->payload.len,
			 (const char *)e->payload.data, s);
}

#endif
