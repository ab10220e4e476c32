/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A pcapng writer (libpcap reads pcapng but cannot write it): Section
 * Header, Interface Description, Enhanced Packet and Decryption Secrets
 * blocks, in host byte order with nanosecond timestamps. Blocks are built
 * whole in a buffer and only whole blocks reach the file, so what was
 * flushed before an error or a kill is always a readable pcapng.
 */
#ifndef EC_PCAPNG_H
#define EC_PCAPNG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define EC_PCAPNG_SHB 0x0A0D0D0Au
#define EC_PCAPNG_IDB 0x00000001u
#define EC_PCAPNG_EPB 0x00000006u
#define EC_PCAPNG_DSB 0x0000000Au
#define EC_PCAPNG_BOM 0x1A2B3C4Du

/* Decryption Secrets Block secrets type: an NSS key log file ("TLSK"). */
#define EC_PCAPNG_SECRETS_TLS 0x544c534bu

/* epb_flags direction bits (pcapng spec, 4.3.1). */
#define EC_PCAPNG_INBOUND 1u
#define EC_PCAPNG_OUTBOUND 2u

#define EC_LINKTYPE_ETHERNET 1u

/* Largest packet we accept in one EPB. */
#define EC_PCAPNG_MAX_PACKET (256u << 10)

struct ec_pcapng;

/*
 * Write to fd (not closed by us). Writes the Section Header Block with
 * shb_userappl = appname (may be NULL) into the buffer at once.
 */
struct ec_pcapng *ec_pcapng_new(int fd, const char *appname);
/* Flush, then free. Returns the flush status. */
int ec_pcapng_free(struct ec_pcapng *w);

/*
 * Add an Interface Description Block (nanosecond if_tsresol). Returns the
 * interface id (>= 0) for ec_pcapng_epb, or a negative ec_error.
 */
int ec_pcapng_idb(struct ec_pcapng *w, uint16_t linktype, uint32_t snaplen, const char *name,
		  const char *description);

/*
 * Add an Enhanced Packet Block whose data is the concatenation of iov[0..n).
 * origlen is the length on the wire (>= the data length; 0 means equal).
 * flags: 0 or an EC_PCAPNG_INBOUND/OUTBOUND value (epb_flags). comment
 * (may be NULL) becomes an opt_comment option.
 */
int ec_pcapng_epbv(struct ec_pcapng *w, uint32_t ifid, int64_t ts_ns, const struct iovec *iov,
		   int n, uint32_t origlen, uint32_t flags, const char *comment);
/*
 * The same without a copy: returns where the caplen data bytes go (the
 * caller writes all of them before its next call on w), or NULL with *err.
 */
uint8_t *ec_pcapng_epb_begin(struct ec_pcapng *w, uint32_t ifid, int64_t ts_ns, size_t caplen,
			     uint32_t origlen, uint32_t flags, const char *comment, int *err);
int ec_pcapng_epb(struct ec_pcapng *w, uint32_t ifid, int64_t ts_ns, const uint8_t *pkt, size_t len,
		  uint32_t origlen, uint32_t flags, const char *comment);

/* Add a Decryption Secrets Block of secrets_type with len bytes of data. */
int ec_pcapng_dsb(struct ec_pcapng *w, uint32_t secrets_type, const uint8_t *data, size_t len);

/* Write every buffered block out. EC_ERR_PIPE when the reader left. */
int ec_pcapng_flush(struct ec_pcapng *w);

/* Blocks and bytes produced so far (buffered included). */
uint64_t ec_pcapng_blocks(const struct ec_pcapng *w);
uint64_t ec_pcapng_bytes(const struct ec_pcapng *w);

#endif
