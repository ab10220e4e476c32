// SPDX-License-Identifier: GPL-2.0-only
/*
 * ec-capture MODULE --empty-probes: a program that does nothing, attached
 * on the module's uprobes instead of its own, to measure what a uprobe hit
 * costs by itself (bench/bench-modules.sh).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("uprobe")
int BPF_KPROBE(empty)
{
	return 0;
}
