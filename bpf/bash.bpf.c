// SPDX-License-Identifier: GPL-2.0
/*
 * ec-capture bash: the command lines an interactive bash reads, with the
 * return code of the command.
 *
 * readline's return probe keeps the line per shell (tgid) as a pending
 * event; execute_command's entry/return probes count nesting and, when the
 * outermost call returns, the pending line is sent with its return code.
 * A line that never reaches execute_command (a comment, a continuation
 * line) is sent, without return code, when the next line is read; a line
 * whose command ends the shell (exit, exec, a signal) is sent from the
 * sched_process_exec/sched_process_exit tracepoints.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "common.bpf.h"
#include "bash.h"

/* tgid -> the line waiting for its return code (aux = execute_command depth) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BASH_PENDING);
	__type(key, __u32);
	__uint(value_size, sizeof(struct ec_event) + BASH_LINE_MAX);
} bash_pending SEC(".maps");

/* Send a pending line (a map value) unless --errnumber rules it out. */
static __always_inline void flush(struct ec_event *p)
{
	struct ec_cfg *cfg = ec_cfg();
	if (!cfg)
		return;
	if (cfg->errnumber_set && (!(p->flags & EC_F_RETVAL) || p->retval != cfg->errnumber))
		return;
	__u64 len = p->len;
	barrier_var(len);
	if (len > BASH_LINE_MAX)
		return;
	p->aux = 0;
	if (bpf_ringbuf_output(&ec_events, p, sizeof(*p) + len, ec_wakeup(cfg)))
		ec_count_lost();
}

SEC("uretprobe")
int BPF_KRETPROBE(readline_return, const char *line)
{
	if (!line || !ec_wanted())
		return 0;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct ec_event *p = bpf_map_lookup_elem(&bash_pending, &tgid);
	if (p) { /* the previous line ran no command */
		flush(p);
		bpf_map_delete_elem(&bash_pending, &tgid);
	}
	struct ec_event *e = ec_event_new(EC_KIND_LINE);
	if (!e)
		return 0;
	long n = bpf_probe_read_user_str(e->data, BASH_LINE_MAX, line);
	if (n <= 1) /* empty line or unreadable: nothing will run */
		return 0;
	e->len = n - 1;
	e->call_len = n - 1;
	if (n == BASH_LINE_MAX)
		e->flags |= EC_F_TRUNCATED;
	bpf_map_update_elem(&bash_pending, &tgid, e, BPF_ANY);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(execute_command_enter)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct ec_event *p = bpf_map_lookup_elem(&bash_pending, &tgid);
	if (p)
		p->aux++;
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(execute_command_return, int ret)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct ec_event *p = bpf_map_lookup_elem(&bash_pending, &tgid);
	if (!p)
		return 0;
	if (p->aux > 1) {
		p->aux--;
		return 0;
	}
	if (p->aux == 0) /* a call already running when the line was read (read -e) */
		return 0;
	p->retval = ret;
	p->flags |= EC_F_RETVAL;
	flush(p);
	bpf_map_delete_elem(&bash_pending, &tgid);
	return 0;
}

static __always_inline void ended(void)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;
	if (tgid != (__u32)pid_tgid)
		return;
	struct ec_event *p = bpf_map_lookup_elem(&bash_pending, &tgid);
	if (!p)
		return;
	p->flags |= EC_F_EXITED;
	flush(p);
	bpf_map_delete_elem(&bash_pending, &tgid);
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
