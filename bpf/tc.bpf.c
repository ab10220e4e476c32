// SPDX-License-Identifier: GPL-2.0-only
/*
 * ec-capture tls --pcap: TC clsact ingress and egress programs that copy
 * each packet (up to the snap length) into a ring buffer and let it pass.
 * On a loopback device every packet crosses egress and then ingress, so
 * ingress is skipped there (skip_ingress) and each packet is seen once.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "tc.h"

/*
 * "Next": the packet goes on to the other programs and filters of the hook
 * (TCX_NEXT for tcx links, TC_ACT_UNSPEC for clsact filters). TC_ACT_OK
 * would be TCX_PASS, which skips them: a capture must not bypass a firewall.
 */
#define TC_NEXT (-1)

#ifndef barrier_var
#define barrier_var(var) asm volatile("" : "+r"(var))
#endif

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 snaplen = TC_SNAP_MAX;
const volatile __u32 skip_ingress = 0;
const volatile __u64 wakeup_bytes = 2 << 20; /* a quarter of the ring user space sizes */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} tc_packets SEC(".maps");

/*
 * One sample being built per CPU (TC programs do not migrate): a plain
 * array indexed by CPU, as a per-CPU value may not exceed 32 KiB. User
 * space sets max_entries to the number of possible CPUs.
 */
struct tc_sample {
	__u8 b[sizeof(struct tc_pkt) + TC_SNAP_MAX + 1];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tc_sample);
} tc_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} tc_lost SEC(".maps");

static __always_inline void lost(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&tc_lost, &zero);
	if (n)
		__sync_fetch_and_add(n, 1);
}

static __always_inline int copy(struct __sk_buff *skb, __u32 egress)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct tc_sample *s = bpf_map_lookup_elem(&tc_scratch, &cpu);
	if (!s)
		return TC_NEXT;
	struct tc_pkt *h = (struct tc_pkt *)s->b;
	__u64 n = skb->len; /* 64-bit: no zero-extended copy for the checks */
	if (n > snaplen)
		n = snaplen;
	/* one register for the checks and the call, so the verifier sees 1..MAX */
	barrier_var(n);
	if (n < 1 || n > TC_SNAP_MAX)
		return TC_NEXT;
	barrier_var(n);
	if (bpf_skb_load_bytes(skb, 0, s->b + sizeof(*h), n))
		return TC_NEXT;
	h->ts_ns = bpf_ktime_get_ns();
	h->cookie = bpf_get_socket_cookie(skb);
	h->ifindex = skb->ifindex;
	h->len = skb->len;
	h->caplen = (__u32)n;
	h->egress = egress;
	h->pid = egress ? bpf_get_current_pid_tgid() >> 32 : 0;
	/* user space drains the ring every turn of its loop (<= 10 ms): waking
	 * it per packet would cost a context switch each; only a filling ring
	 * is worth one */
	__u64 flags = bpf_ringbuf_query(&tc_packets, BPF_RB_AVAIL_DATA) > wakeup_bytes
			  ? BPF_RB_FORCE_WAKEUP
			  : BPF_RB_NO_WAKEUP;
	if (bpf_ringbuf_output(&tc_packets, s, sizeof(*h) + n, flags))
		lost();
	return TC_NEXT;
}

SEC("tc")
int tc_egress(struct __sk_buff *skb)
{
	return copy(skb, 1);
}

SEC("tc")
int tc_ingress(struct __sk_buff *skb)
{
	if (skip_ingress)
		return TC_NEXT;
	return copy(skb, 0);
}
