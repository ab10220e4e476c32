/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One TLS connection decrypted from its TCP byte streams (docs/DECRYPT.md):
 * TLS records are framed per direction; the handshake gives the client
 * random, the version, the cipher suite and the server random; with the
 * secrets of that client random (lib/decrypt/tlskeys.h) traffic keys are
 * derived (TLS 1.2: the PRF from the master secret and both randoms; TLS
 * 1.3: HKDF-Expand-Label from the traffic secrets, following KeyUpdate),
 * and records are decrypted with libcrypto's EVP AEAD ciphers (AES-GCM,
 * ChaCha20-Poly1305, AES-CCM). Application data comes out in order;
 * nothing that does not authenticate ever comes out.
 *
 * Records that arrive before their keys are held (at most max_held bytes
 * per connection, then the oldest are dropped and reported) until
 * ec_tlsdec_keys.
 */
#ifndef EC_TLSDEC_H
#define EC_TLSDEC_H

#include <stddef.h>
#include <stdint.h>

#include "tlskeys.h"

/* Directions are the TCP layer's (lib/decrypt/tcpflow.h): 0 or 1. Which one
 * is the client is learnt from the ClientHello. */

enum ec_tlsdec_state {
	EC_TLSDEC_START = 0,  /* no ClientHello seen yet */
	EC_TLSDEC_NEED_KEYS,  /* client random known, waiting for its secrets */
	EC_TLSDEC_DECRYPTING, /* keys in use */
	EC_TLSDEC_NOT_TLS,    /* the bytes are not TLS: nothing will come out */
	EC_TLSDEC_FAILED,     /* gave up (the note said why) */
};

/* The callbacks must not call back into the same ec_tlsdec. */
struct ec_tlsdec_cb {
	/* n bytes of application data sent by direction dir, in order; ts is
	 * the time of the record that carried them. */
	void (*plain)(void *ctx, int dir, const uint8_t *p, size_t n, int64_t ts);
	/* Something the user must know, one line: "no keys for client random
	 * 1a2b..", "record 12 from the server did not authenticate: 16 kB lost",
	 * "0-RTT data not decrypted: no CLIENT_EARLY_TRAFFIC_SECRET". lost is
	 * the count of plaintext-or-ciphertext bytes that will never come out
	 * (0 for remarks). */
	void (*note)(void *ctx, int dir, const char *what, uint64_t lost, int64_t ts);
};

struct ec_tlsdec;

struct ec_tlsdec *ec_tlsdec_new(const struct ec_tlsdec_cb *cb, void *ctx, size_t max_held);
/* n in-order TCP bytes from direction dir. */
void ec_tlsdec_data(struct ec_tlsdec *t, int dir, const uint8_t *p, size_t n, int64_t ts);
/* n TCP bytes of direction dir were lost: resynchronise on the record
 * boundaries after them (trying the record sequence numbers the lost bytes
 * could have held) or give the direction up; never guess. */
void ec_tlsdec_gap(struct ec_tlsdec *t, int dir, uint64_t n, int64_t ts);
/* The client random from the ClientHello; NULL before it is seen. */
const uint8_t *ec_tlsdec_client_random(const struct ec_tlsdec *t);
/* The direction that sent the ClientHello; -1 before it is seen. */
int ec_tlsdec_client_dir(const struct ec_tlsdec *t);
enum ec_tlsdec_state ec_tlsdec_state(const struct ec_tlsdec *t);
/*
 * The secrets for this connection's client random: records held are
 * decrypted now, the rest as they come. May be called again when more
 * secrets of the same random arrive (a TLS 1.3 line after the others).
 */
void ec_tlsdec_keys(struct ec_tlsdec *t, const struct ec_tlskeys_entry *k);
/* The connection is over: a note for what never could be decrypted. */
void ec_tlsdec_end(struct ec_tlsdec *t, int64_t ts);
/* "TLS 1.3 TLS_AES_128_GCM_SHA256" once known, else "" (for notes). */
const char *ec_tlsdec_describe(const struct ec_tlsdec *t);
void ec_tlsdec_free(struct ec_tlsdec *t);

#endif
