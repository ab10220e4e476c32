// SPDX-License-Identifier: GPL-2.0-only
/*
 * ec-capture zsh: the command lines an interactive zsh reads.
 *
 * zsh's line editor lives in the zle module (zle.so, loaded on demand);
 * the shell reaches it only through zleentry(cmd, ...) in the zsh binary.
 * The entry probe notes the threads calling it with ZLE_CMD_READ; the
 * return probe keeps the line it returns (metafied, ending in '\n') as the
 * shell's pending line. The next ZLE_CMD_READ (the next prompt) sends it
 * with the return code from zsh's global `lastval`, found at a fixed
 * distance from zleentry in the binary (lastval_delta, set by user space
 * from the symbol table; 0 = unknown: lines are sent at once). A shell that
 * exits first sends it from sched_process_exit/exec, without return code.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "common.bpf.h"
#include "shell.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32); /* tid */
	__type(value, __u32);
} zsh_reading SEC(".maps");

/* lastval's address minus zleentry's, in the binary (both move with the load bias) */
const volatile __s64 lastval_delta = 0;

SEC("uprobe")
int BPF_KPROBE(zleentry_enter, int cmd)
{
	if (cmd != ZSH_CMD_READ)
		return 0;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct ec_event *p = bpf_map_lookup_elem(&shell_pending, &tgid);
	if (p) { /* back at the prompt: the previous line's command has run */
		__s64 val = 0;
		if (!bpf_probe_read_user(&val, sizeof(val),
					 (void *)(PT_REGS_IP(ctx) + lastval_delta))) {
			p->retval = val;
			p->flags |= EC_F_RETVAL;
		}
		shell_flush(p, tgid);
	}
	if (!ec_wanted())
		return 0;
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), one = 1;
	bpf_map_update_elem(&zsh_reading, &tid, &one, BPF_ANY);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(zleentry_return, const char *line)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	if (!bpf_map_lookup_elem(&zsh_reading, &tid))
		return 0;
	bpf_map_delete_elem(&zsh_reading, &tid);
	if (!line)
		return 0;
	struct ec_event *e = ec_event_new(EC_KIND_LINE);
	if (!e)
		return 0;
	long n = bpf_probe_read_user_str(e->data, SHELL_LINE_MAX, line);
	if (n <= 1)
		return 0;
	e->call_len = n - 1;
	if (n == SHELL_LINE_MAX)
		e->flags |= EC_F_TRUNCATED;
	if (!lastval_delta) {
		ec_submit(e, n - 1, ec_cfg());
		return 0;
	}
	e->len = n - 1;
	__u32 tgid = e->pid;
	bpf_map_update_elem(&shell_pending, &tgid, e, BPF_ANY);
	return 0;
}
