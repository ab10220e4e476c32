/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * HTTP Archive 1.2 (ec-dump --har): the exchanges ec-parse paired as HAR
 * entries, written as they end, so a capture of any length streams out in
 * bounded memory and opens in Chrome DevTools' Network panel, HAR viewers,
 * Postman, Insomnia or k6.
 */
#ifndef EC_HAR_H
#define EC_HAR_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* One exchange as the two messages ec-parse rendered (head, empty line, body). */
struct ec_har_exchange {
	int64_t ts; /* the request's first byte, ns since the epoch */
	int64_t pid;
	const char *comm, *server_ip, *source; /* source: the probe (openssl, gotls...) */
	uint32_t server_port;
	uint64_t conn_id, exchange_id;
	const char *authority;	   /* for the URL when the target is not absolute */
	const char *method, *path; /* the response's word for them, when the request was not seen */
	const uint8_t *req, *resp; /* NULL: not seen (resp: never answered) */
	size_t req_len, resp_len;
	int64_t first_ns, last_ns; /* latency to the response's first and last byte */
	int have_latency;
};

struct ec_har;

/* Start the archive on f (its log, creator, the entries array). */
struct ec_har *ec_har_open(FILE *f);
/* One entry, written now. */
void ec_har_entry(struct ec_har *h, const struct ec_har_exchange *x);
/* End the archive; 0, or -1 when writing failed (errno set). Frees h. */
int ec_har_close(struct ec_har *h);

#endif
