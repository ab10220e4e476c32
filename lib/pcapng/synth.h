/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Records → pcapng. Plaintext capture events become synthesized
 * Ethernet/IPv4-or-IPv6/TCP packets: per connection a three-way handshake,
 * sequence and acknowledgement numbers that follow the bytes in each
 * direction, IP and TCP checksums, segments of at most one MSS (1460 bytes
 * over IPv4, 1440 over IPv6) and a FIN exchange at the close marker. Each
 * packet carries a comment naming the process (pid, tid, comm, uid, fd,
 * source). Key-log records become Decryption Secrets Blocks written before
 * the next packet (and lines in an optional key log file); packet records
 * (RECORD_KIND_PACKET) are copied as they are onto their own interface.
 */
#ifndef EC_SYNTH_H
#define EC_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "pcapng.h"
#include "stream.h"

/* TCP payload per synthesized segment: 1500-byte MTU minus headers. */
#define EC_SYNTH_MSS4 1460u
#define EC_SYNTH_MSS6 1440u
/*
 * Bytes of a direction wait (coalesced into full segments) until the other
 * direction speaks, the connection closes, input ends, or a record's
 * timestamp (events, heartbeats) is this much later than their arrival.
 */
#define EC_SYNTH_HOLD_NS 50000000ll
/* Connections tracked at once; the least recently started is forgotten. */
#define EC_SYNTH_MAX_CONNS (1u << 16)

struct ec_synth_stats {
	uint64_t events;	  /* events turned into packets */
	uint64_t packets;	  /* EPBs written (synthesized + copied) */
	uint64_t conns;		  /* handshakes synthesized */
	uint64_t closes;	  /* FIN exchanges synthesized */
	uint64_t keylines;	  /* key log lines written */
	uint64_t raw_packets;	  /* RECORD_KIND_PACKET records copied */
	uint64_t skipped_typed;	  /* rendered events (type != 0): not wire bytes */
	uint64_t skipped_notuple; /* no usable addresses/ports or direction */
	uint64_t skipped_bad;	  /* malformed packet or key-log records */
	uint64_t evicted;	  /* connections forgotten at EC_SYNTH_MAX_CONNS */
};

struct ec_synth;

/*
 * Write into out (not freed by us; NULL: key log lines only). keylog_fd >= 0
 * also receives every key log line (NSS key log format); -1 for none.
 */
struct ec_synth *ec_synth_new(struct ec_pcapng *out, int keylog_fd);
/*
 * End of input: send every connection's pending bytes and key-log lines
 * (connections without a close marker get no FIN: their end was not seen).
 */
int ec_synth_finish(struct ec_synth *s);
/* ec_synth_finish, then free (the pcapng writer is not flushed or freed). */
int ec_synth_free(struct ec_synth *s);

/*
 * Process one record. Records that cannot become packets (heartbeats,
 * process logs, rendered events, events without a 4-tuple) are counted and
 * skipped, not errors. Returns 0 or a negative ec_error from the output.
 */
int ec_synth_record(struct ec_synth *s, const EcLogEntry *e);

/*
 * Live input: the records that follow arrived at mono_ns (CLOCK_MONOTONIC,
 * ec_reader_arrival); 0, the default, for a file.
 */
void ec_synth_arrival(struct ec_synth *s, int64_t mono_ns);
/*
 * The input is quiet (call it then, with the time now): write out every
 * block built so far, and first the bytes and key-log lines held for
 * coalescing that arrived EC_SYNTH_HOLD_NS or more before now, so a live
 * reader (wireshark -k -i -) sees each packet once the capture pauses.
 * *next_ns gets the time until the next held bytes fall due (0: none). A
 * file never pauses, nor does a fast pipe for that long: their packets are
 * the same, and depend on the records only.
 */
int ec_synth_idle(struct ec_synth *s, int64_t now, int64_t *next_ns);

/* Write pending key-log lines as a DSB now. */
int ec_synth_flush_keys(struct ec_synth *s);

const struct ec_synth_stats *ec_synth_stats(const struct ec_synth *s);

/*
 * For `ec-dump --pcapng PATH --keylog PATH`: open the outputs (either path
 * may be NULL; "-" is stdout, refused when it is a terminal) and a
 * synthesizer writing to them. NULL with a one-line reason in err.
 */
struct ec_synth *ec_synth_open(const char *pcapng, const char *keylog, char *err, size_t len);
/*
 * Finish, flush and close what ec_synth_open opened, then free. note gets
 * a remark about skipped records ("" if none). Returns the first error
 * (EC_ERR_IO: errno says why).
 */
int ec_synth_close(struct ec_synth *s, char *note, size_t len);

/* A TCP connection's addresses as a packet shows them (host-order ports). */
struct ec_synth_tuple {
	int family; /* 4 or 6 */
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
};

#define EC_SYNTH_LINKTYPE_RAW 101u

/*
 * The TCP 4-tuple of one link-layer packet (EC_LINKTYPE_ETHERNET, with up
 * to two VLAN tags, or EC_SYNTH_LINKTYPE_RAW). Returns 0, or EC_ERR_PROTO when it
 * is not TCP over IPv4/IPv6 or too short to tell (every read is bounded).
 */
int ec_synth_packet_tuple(uint32_t linktype, const uint8_t *p, size_t n, struct ec_synth_tuple *t);
/* The same, and where its TCP payload starts (*payload, <= n; n when the
 * TCP header is cut or malformed: no payload). */
int ec_synth_packet_l4(uint32_t linktype, const uint8_t *p, size_t n, struct ec_synth_tuple *t,
		       size_t *payload);

/* Internet checksum (RFC 1071) helpers, exposed for tests. */
uint64_t ec_synth_csum_add(uint64_t sum, const void *p, size_t n);
/* ec_synth_csum_add over src while copying it to dst. */
uint64_t ec_synth_csum_copy(uint64_t sum, void *dst, const void *src, size_t n);
uint16_t ec_synth_csum_fold(uint64_t sum);

#endif
