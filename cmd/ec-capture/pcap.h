/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ec-capture tls --pcap FILE --ifname IF [FILTER]: the real (encrypted)
 * packets of an interface from TC programs (bpf/tc.bpf.c), written
 * to pcapng with the TLS key log in Decryption Secrets Blocks and each
 * packet's process in a comment; the same packets go to the record stream
 * as RECORD_KIND_PACKET events. See docs/PCAPNG.md.
 */
#ifndef EC_CAPTURE_PCAP_H
#define EC_CAPTURE_PCAP_H

#include <stdint.h>

#include "capture.h"
#include "event.h"

struct pktcap_opts {
	const char *path;   /* --pcap FILE */
	const char *ifname; /* --ifname IF */
	char *filter;	    /* pcap filter expression, NULL: every packet */
	uint32_t snaplen;   /* bytes kept per packet */
	int debug;
	/* --keys-only: the packets are what the records decrypt from, FILE is
	 * optional, and a packet goes out as soon as its connection's keys
	 * are in (pktcap_note_conn), else after the hold */
	int keys_only;
	int owned_only; /* a process filter is set: packets of no keyed connection are dropped */
};

struct pktcap;

/*
 * The operands argv[first..] as the pcap filter (tcpdump's way: words
 * joined), and --ifname without --pcap or --keys-only refused. 0, or 2 after a one-line
 * error.
 */
int pktcap_args(struct pktcap_opts *o, int argc, char **argv, int first);

/*
 * Check the options, compile the filter and create FILE if given (before any BPF).
 * NULL after a one-line error on stderr; *status is then the exit code.
 */
struct pktcap *pktcap_open(const struct pktcap_opts *o, int *status);
/*
 * Load bpf/tc.bpf.c, attach it to IF's ingress and egress as tcx links
 * (released by the kernel when the process ends, even killed), or on kernels
 * without tcx as clsact filters (creating the qdisc when there is none,
 * removing what a killed run left), and poll its ring buffer through cap.
 * Negative ec_error after a one-line error on stderr.
 */
int pktcap_attach(struct pktcap *p, struct ec_capture *cap);
/* A TLS data or keys event: remember which process owns its 4-tuple (packet
 * comments, records, and --keys-only's release). */
void pktcap_note_conn(struct pktcap *p, const struct ec_event *te);
/*
 * --keys-only: process te finished the handshake whose ClientHello carried
 * random. Its end of that connection (the ClientHello's sender if te's
 * process sent it, else its receiver) into te's family, addresses and
 * ports, and its packets let out. 0, or -1 when that ClientHello has not
 * been seen (yet).
 */
int pktcap_hello_conn(struct pktcap *p, struct ec_event *te, const uint8_t random[32]);
/* The capture loop's turn (every ≤ 10 ms): packets held long enough go out. */
void pktcap_tick(struct pktcap *p);
/* A key log line: into a Decryption Secrets Block at once. */
int pktcap_keyline(struct pktcap *p, const char *line);
/*
 * Detach the programs (close the links, or remove the filters and the
 * clsact qdisc if we created it), write the packets still held, close FILE,
 * free. Safe on NULL and after a failed pcap_attach. Returns 0 or a negative
 * ec_error (output).
 */
int pktcap_close(struct pktcap *p);

#endif
