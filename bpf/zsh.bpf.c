// SPDX-License-Identifier: GPL-2.0
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
#include "zsh.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32); /* tid */
	__type(value, __u32);
} zsh_reading SEC(".maps");

/* lastval's address minus zleentry's, in the binary (both move with the load bias) */
const volatile __s64 lastval_delta = 0;

/* tgid -> the line waiting for its return code */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__uint(value_size, sizeof(struct ec_event) + ZSH_LINE_MAX);
} zsh_pending SEC(".maps");

static __always_inline void flush(struct ec_event *p, __u32 tgid)
{
	struct ec_cfg *cfg = ec_cfg();
	__u64 len = p->len;
	barrier_var(len);
	if (cfg && len <= ZSH_LINE_MAX &&
	    !(cfg->errnumber_set && (!(p->flags & EC_F_RETVAL) || p->retval != cfg->errnumber))) {
		if (bpf_ringbuf_output(&ec_events, p, sizeof(*p) + len, ec_wakeup(cfg)))
			ec_count_lost();
	}
	bpf_map_delete_elem(&zsh_pending, &tgid);
}

SEC("uprobe")
int BPF_KPROBE(zleentry_enter, int cmd)
{
	if (cmd != ZSH_CMD_READ)
		return 0;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct ec_event *p = bpf_map_lookup_elem(&zsh_pending, &tgid);
	if (p) { /* back at the prompt: the previous line's command has run */
		__s64 val = 0;
		if (!bpf_probe_read_user(&val, sizeof(val),
					 (void *)(PT_REGS_IP(ctx) + lastval_delta))) {
			p->retval = val;
			p->flags |= EC_F_RETVAL;
		}
		flush(p, tgid);
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
	long n = bpf_probe_read_user_str(e->data, ZSH_LINE_MAX, line);
	if (n <= 1)
		return 0;
	e->call_len = n - 1;
	if (n == ZSH_LINE_MAX)
		e->flags |= EC_F_TRUNCATED;
	if (!lastval_delta) {
		ec_submit(e, n - 1, ec_cfg());
		return 0;
	}
	e->len = n - 1;
	__u32 tgid = e->pid;
	bpf_map_update_elem(&zsh_pending, &tgid, e, BPF_ANY);
	return 0;
}

static __always_inline void ended(void)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;
	if (tgid != (__u32)pid_tgid)
		return;
	struct ec_event *p = bpf_map_lookup_elem(&zsh_pending, &tgid);
	if (!p)
		return;
	p->flags |= EC_F_EXITED;
	flush(p, tgid);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(process_exit, struct task_struct *task)
{
	ended();
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(process_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	ended();
	return 0;
}
