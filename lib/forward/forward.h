/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Rebuilding a replayable HTTP request from a rendered ec-parse event
 * (type 1: HTTP/1 request, type 2: HTTP/2 request; see docs/FORWARD.md),
 * and the filters ec-forward selects requests with.
 *
 * The parser reads the payload through one bounds-checked cursor; every
 * rejection names the byte offset and what was wrong. The result owns
 * copies of everything (the body too), so it outlives the record buffer.
 */
#ifndef EC_FORWARD_H
#define EC_FORWARD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "stream.h"

#define EC_FORWARD_MAX_HEADERS 256

struct ec_forward_header {
	char *name;
	char *value;
};

struct ec_forward_request {
	int version;		       /* 10, 11 or 20: the captured protocol */
	char *method;		       /* "GET" */
	char *scheme;		       /* "https" unless the capture said otherwise */
	char *authority;	       /* "host[:port]", IPv6 bracketed */
	char *host;		       /* authority without the port (no brackets) */
	char *path;		       /* origin-form target, "/..." or "*" */
	const char *from;	       /* where authority came from: "host", ":authority",
					  "absolute-form", "destination", or "destination
					  (Host unusable)" and the like */
	char *orig_host;	       /* the captured Host / :authority, or NULL; when it is
					  not a valid host[:port] the destination is used */
	struct ec_forward_header *hdr; /* end-to-end headers, in captured order */
	size_t nhdr;
	size_t ndropped;	  /* hop-by-hop, pseudo and regenerated headers dropped */
	const char *content_type; /* points into hdr, or NULL */
	uint8_t *body;
	size_t body_len;
	int has_accept;		/* an Accept header was captured */
	int has_content_type;	/* a Content-Type header was captured */
	int has_content_length; /* a Content-Length header was captured */
};

/*
 * Parse a rendered request payload. type is 1 or 2; dst_ip/dst_port are
 * the fallback authority; note is the Event's note ("decoded gzip" makes
 * Content-Encoding go). On failure returns a negative ec_error and writes
 * "at byte N: what" to msg: EC_ERR_PROTO for malformed input,
 * EC_ERR_UNSUPPORTED for requests that cannot be replayed (CONNECT,
 * extended CONNECT), EC_ERR_INVAL for an unknown type.
 */
int ec_forward_parse(struct ec_forward_request *r, uint32_t type, const uint8_t *p, size_t n,
		     const char *dst_ip, uint32_t dst_port, const char *note, char *msg,
		     size_t msglen);
/* The same from an Event (type, payload, dst_ip/dst_port, note). */
int ec_forward_from_event(struct ec_forward_request *r, const EcEvent *ev, char *msg,
			  size_t msglen);
void ec_forward_request_free(struct ec_forward_request *r);

/* Nonzero when name is hop-by-hop by itself (Connection, Keep-Alive,
 * Proxy-*, TE, Trailer, Transfer-Encoding, Upgrade). */
int ec_forward_hop_by_hop(const char *name);

/*
 * The URL to request: scheme://authority/path, or with target
 * ("https://host:port[/prefix]") its scheme, authority and prefix
 * instead; plain forces the scheme to http. malloc'd; NULL and msg when
 * target is not an http(s) URL.
 */
char *ec_forward_url(const struct ec_forward_request *r, const char *target, int plain, char *msg,
		     size_t msglen);

/* Nonzero when the replay carries a body (and so a Content-Length). */
int ec_forward_sends_body(const struct ec_forward_request *r);

/* Print the request the way curl -v shows what it sends ("> " lines). */
void ec_forward_print(FILE *f, const struct ec_forward_request *r, const char *url, int keep_host);

/* Selection: every set member must match (NULL / 0 = any). */
struct ec_forward_filter {
	const char *methods;	  /* comma-separated, case-insensitive */
	const char *host;	  /* glob on host or host:port */
	const char *path;	  /* glob on path (with query) */
	const char *content_type; /* glob on the media type (before ';') */
	int64_t pid;		  /* 0 = any */
	const char *pname;	  /* glob on the process name */
};

/* Nonzero when the request (from ev) passes every filter. */
int ec_forward_match(const struct ec_forward_filter *f, const EcEvent *ev,
		     const struct ec_forward_request *r);

#endif
