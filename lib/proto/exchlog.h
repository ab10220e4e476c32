/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Exchanges as people read them (ec-dump --exchanges, --stats): from the
 * records ec-parse paired (Event.exchange_id and the fields a response
 * carries, docs/PROTOCOL.md), one access-log line per exchange, or per
 * host and path the count, errors and latency percentiles.
 */
#ifndef EC_EXCHLOG_H
#define EC_EXCHLOG_H

#include <stdint.h>
#include <stdio.h>

#include "record.h"

struct ec_exchlog_opts {
	int json;	    /* JSON lines instead of text */
	int stats;	    /* per host and path, not one line per exchange */
	int64_t every_ns;   /* --stats: a table every this much stream time; 0 at the end only */
	int64_t slow_ns;    /* only exchanges that took this long or more (0: all) */
	unsigned statuses;  /* only these status classes, bit k = kxx (bit 0: no response,
			     * EC_EXCHLOG_FAILED: failed in any protocol); 0 all */
	uint16_t codes[16]; /* ... or these exact codes */
	int ncodes;
	int quiet; /* no lines, no tables: only the HAR */
	FILE *har; /* also every exchange as a HAR 1.2 entry here (lib/proto/har.h) */
};

#define EC_EXCHLOG_FAILED (1u << 6)

/*
 * Parse --status's list ("4xx,5xx", "404,503", "none" for no response,
 * "error" for a failure in any protocol: no answer, an HTTP status of 400
 * or more, a database error, a gRPC status other than OK, a DNS rcode)
 * into o. 0, or -1 when an item is neither (o unchanged).
 */
int ec_exchlog_statuses(const char *list, struct ec_exchlog_opts *o);

struct ec_exchlog;

struct ec_exchlog *ec_exchlog_new(FILE *out, const struct ec_exchlog_opts *o);
/* One record of the stream (anything: only paired events count). */
void ec_exchlog_record(struct ec_exchlog *x, const EcLogEntry *e);
/*
 * End of input: requests that got no answer are lines of their own
 * (status "-"), and --stats prints its last table; the HAR is closed.
 * Frees x. 0, or -1 when writing the HAR failed (errno set).
 */
int ec_exchlog_finish(struct ec_exchlog *x);

#endif
