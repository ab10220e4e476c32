// SPDX-License-Identifier: GPL-2.0-only
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>

#include "pcapfilter.h"

struct pcapfilter {
	struct bpf_program prog;
};

struct pcapfilter *pcapfilter_new(uint32_t linktype, uint32_t snaplen, const char *expr, char *err,
				  size_t errlen)
{
	pcap_t *dead = pcap_open_dead(linktype == 1 ? DLT_EN10MB : DLT_RAW, (int)snaplen);
	if (!dead) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	struct pcapfilter *f = calloc(1, sizeof *f);
	if (!f || pcap_compile(dead, &f->prog, expr, 1, PCAP_NETMASK_UNKNOWN)) {
		snprintf(err, errlen, "%s", f ? pcap_geterr(dead) : "out of memory");
		free(f);
		f = NULL;
	}
	pcap_close(dead);
	return f;
}

int pcapfilter_match(const struct pcapfilter *f, const uint8_t *pkt, uint32_t caplen, uint32_t len)
{
	struct pcap_pkthdr h = {.caplen = caplen, .len = len};
	return pcap_offline_filter(&f->prog, &h, pkt) != 0;
}

void pcapfilter_free(struct pcapfilter *f)
{
	if (!f)
		return;
	pcap_freecode(&f->prog);
	free(f);
}
