/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ec-parse's decryption (docs/DECRYPT.md): from the packet records
 * (RECORD_KIND_PACKET), the key log lines (RECORD_KIND_KEYLOG) and the
 * handshake records (RECORD_KIND_HANDSHAKE) of an `ec-capture tls
 * --keys-only` stream, the plaintext data events the per-call probes would
 * have written: each TCP connection reassembled (lib/decrypt/tcpflow.h),
 * its TLS decrypted (lib/decrypt/tlsdec.h), and every byte given to each
 * process a handshake record names for it, in that process's direction,
 * with its pid, comm and tuple. The events go on to ec-parse's decoders
 * like any capture's.
 *
 * A connection no handshake record names is decrypted only with
 * opts.all (ec-parse --decrypt): its events then name no process and read
 * as the client's (src the client end). Connections whose keys never come
 * and connections that began before the capture are reported, one line
 * each, never dropped silently.
 */
#ifndef EC_DECRYPT_H
#define EC_DECRYPT_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

struct ec_decrypt_opts {
	int all;	      /* decrypt connections no handshake record names */
	size_t max_conns;     /* TCP connections tracked at once (16384) */
	size_t max_held;      /* TLS bytes held per connection waiting for keys (1 MiB) */
	size_t max_waiting;   /* connections waiting for keys at once (1024) */
	int64_t keys_wait_ns; /* how long they wait, packet time (10 s) */
};

struct ec_decrypt_cb {
	/* A data event (type 0, payload set) or a close event (closed set). */
	void (*event)(void *ctx, const EcEvent *ev);
	/* One line for the user: why some bytes are not decrypted. */
	void (*say)(void *ctx, int64_t ts, const char *line);
};

struct ec_decrypt_stats {
	uint64_t packets, conns, tls_conns, decrypted_conns, plain_bytes, events;
	uint64_t no_keys, midstream, notes, gaps;
};

struct ec_decrypt;

void ec_decrypt_opts_default(struct ec_decrypt_opts *o);
struct ec_decrypt *ec_decrypt_new(const struct ec_decrypt_opts *o, const struct ec_decrypt_cb *cb,
				  void *ctx);
/*
 * A record of the stream. Packet records are taken (1: the caller passes
 * them on only if it wants the packets too); key log lines and handshake
 * records are read and left to the caller (0), as is every other record.
 */
int ec_decrypt_record(struct ec_decrypt *d, const EcLogEntry *e);
/* Packet time now: connections idle or waiting too long go. */
void ec_decrypt_expire(struct ec_decrypt *d, int64_t now);
/* End of input: every connection is closed (what it holds goes out or is reported). */
void ec_decrypt_finish(struct ec_decrypt *d);
void ec_decrypt_get_stats(const struct ec_decrypt *d, struct ec_decrypt_stats *s);
void ec_decrypt_free(struct ec_decrypt *d);

#endif
