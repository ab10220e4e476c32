/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shells (bash, zsh): a command line waits, one per shell process, for the
 * return code of the command it ran; it is sent when that is known, or when
 * the shell exits or execs first (EC_F_EXITED). --errnumber filters here.
 * Include after common.bpf.h.
 */
#ifndef EC_SHELL_BPF_H
#define EC_SHELL_BPF_H

#include "shell.h"

/* tgid -> the line waiting for its return code (aux: the module's own use) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SHELL_PENDING);
	__type(key, __u32);
	__uint(value_size, sizeof(struct ec_event) + SHELL_LINE_MAX);
} shell_pending SEC(".maps");

/* Send tgid's pending line p unless --errnumber rules it out, and forget it. */
static __always_inline void shell_flush(struct ec_event *p, __u32 tgid)
{
	struct ec_cfg *cfg = ec_cfg();
	__u64 len = p->len;
	barrier_var(len);
	p->aux = 0;
	if (cfg && len <= SHELL_LINE_MAX &&
	    !(cfg->errnumber_set && (!(p->flags & EC_F_RETVAL) || p->retval != cfg->errnumber))) {
		if (bpf_ringbuf_output(&ec_events, p, sizeof(*p) + len, ec_wakeup(cfg)))
			ec_count_lost();
	}
	bpf_map_delete_elem(&shell_pending, &tgid);
}

/* The shell's main thread exits or execs: its pending line goes without a code. */
static __always_inline void shell_ended(void)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;
	if (tgid != (__u32)pid_tgid)
		return;
	struct ec_event *p = bpf_map_lookup_elem(&shell_pending, &tgid);
	if (!p)
		return;
	p->flags |= EC_F_EXITED;
	shell_flush(p, tgid);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(process_exit, struct task_struct *task)
{
	shell_ended();
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(process_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	shell_ended();
	return 0;
}

#endif
