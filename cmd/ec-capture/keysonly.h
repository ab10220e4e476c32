/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * --keys-only (docs/DECRYPT.md): the modules hook only what runs once per
 * handshake (OpenSSL's SSL_do_handshake, Go's writeKeyLog), and the
 * interface's packets go to the records (pcap.h) for ec-parse to decrypt.
 * No probe reads a socket: a handshake's connection is the one whose
 * ClientHello carried its client random.
 */
#ifndef EC_CAPTURE_KEYSONLY_H
#define EC_CAPTURE_KEYSONLY_H

#include <linux/types.h>

#include "event.h"
#include "mod.h"
#include "pcap.h"

/* Set by --keys-only: the follow kinds hook handshakes only. */
extern int keysonly_on;

/*
 * Process e finished the handshake whose ClientHello carried random: a
 * handshake record naming it and its end of the connection, and its
 * packets let out. Its ClientHello may still wait in the packet ring:
 * then the record waits (keysonly_tick), at most 1 s, after which it goes
 * out without a tuple. Once per process and random (Go logs up to five
 * secrets a handshake). 0 or a negative ec_error.
 */
int keysonly_handshake(struct ec_mod *m, struct pktcap *pc, const struct ec_event *e,
		       const uint8_t random[32]);
/* A Go writeKeyLog call (EC_KIND_KEYLOG): keysonly_handshake with its random. */
int keysonly_go_keylog(struct ec_mod *m, struct pktcap *pc, const struct ec_event *e);
/*
 * A module's check of its packet options o (--keys-only, --ifname, the
 * FILTER operands argv[first..]; dry: nothing will be captured): a usage
 * error, or which packets --keys-only lets out (with a process filter,
 * only those of connections a selected process keyed). 0, or 2 after a
 * one-line error.
 */
int keysonly_check(struct ec_mod *m, struct pktcap_opts *o, int argc, char **argv, int first,
		   int dry);
/* The capture loop's turn: the handshakes waiting for their ClientHello,
 * then the packets held long enough. */
void keysonly_tick(struct ec_mod *m, struct pktcap *pc);

#endif
