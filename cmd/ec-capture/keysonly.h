/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * --keys-only (docs/DECRYPT.md): the modules hook only what runs once per
 * handshake (OpenSSL's SSL_do_handshake, Go's writeKeyLog), and the
 * interface's packets go to the records (pcap.h) for ec-parse to decrypt.
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
 * A Go writeKeyLog call (EC_KIND_KEYLOG): the first time its process and
 * client random are seen, a handshake record naming the process (Go gives
 * no socket: the record has no tuple), and its packets are let out (pc:
 * the ClientHello's tuple). 0 or a negative ec_error.
 */
int keysonly_go_keylog(struct ec_mod *m, struct pktcap *pc, const struct ec_event *e);

#endif
