/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A pcap-filter(7) expression compiled by libpcap and run in user space
 * with pcap_offline_filter. In its own file: <pcap/bpf.h> and <linux/bpf.h>
 * (libbpf) cannot share a translation unit.
 */
#ifndef EC_CAPTURE_PCAPFILTER_H
#define EC_CAPTURE_PCAPFILTER_H

#include <stddef.h>
#include <stdint.h>

struct pcapfilter;

/* linktype: a LINKTYPE_* value. NULL with libpcap's message in err. */
struct pcapfilter *pcapfilter_new(uint32_t linktype, uint32_t snaplen, const char *expr, char *err,
				  size_t errlen);
/* Nonzero when the packet passes. */
int pcapfilter_match(const struct pcapfilter *f, const uint8_t *pkt, uint32_t caplen, uint32_t len);
void pcapfilter_free(struct pcapfilter *f);

#endif
