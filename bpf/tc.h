/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The packet sample ec-capture's TC programs send through the ring buffer,
 * shared by bpf/tc.bpf.c and cmd/ec-capture/pcap.c (wire struct and limits
 * only, libbpf-tools style).
 */
#ifndef EC_BPF_TC_H
#define EC_BPF_TC_H

#define TC_SNAP_MAX 65535 /* largest snap length (bytes copied per packet) */

struct tc_pkt {
	__u64 ts_ns;   /* bpf_ktime_get_ns() */
	__u64 cookie;  /* socket cookie of skb->sk, 0 when no socket is attached */
	__u32 ifindex; /* the device the program is attached to */
	__u32 len;     /* bytes on the wire (skb->len) */
	__u32 caplen;  /* bytes in data[] (at most the snap length) */
	__u32 egress;  /* 1: sent, 0: received */
	/* egress: the task running when it was sent (its tgid); the sender for a
	 * packet sent by a system call (a ClientHello), anyone for one sent
	 * from a timer or softirq */
	__u32 pid;
	__u32 pad;
	__u8 data[];
};

#endif
