// SPDX-License-Identifier: GPL-2.0-only
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
#include "shell.bpf.h"

SEC("uretprobe")
int BPF_KRETPROBE(readline_return, const char *line)
{
	if (!line || !ec_wanted())
		return 0;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct ec_event *p = bpf_map_lookup_elem(&shell_pending, &tgid);
	if (p) { /* the previous line ran no command */
		shell_flush(p, tgid);
	}
	struct ec_event *e = ec_event_new(EC_KIND_LINE);
	if (!e)
		return 0;
	long n = bpf_probe_read_user_str(e->data, SHELL_LINE_MAX, line);
	if (n <= 1) /* empty line or unreadable: nothing will run */
		return 0;
	e->len = n - 1;
	e->call_len = n - 1;
	if (n == SHELL_LINE_MAX)
		e->flags |= EC_F_TRUNCATED;
	bpf_map_update_elem(&shell_pending, &tgid, e, BPF_ANY);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(execute_command_enter)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct ec_event *p = bpf_map_lookup_elem(&shell_pending, &tgid);
	if (p)
		p->aux++;
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(execute_command_return, int ret)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct ec_event *p = bpf_map_lookup_elem(&shell_pending, &tgid);
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
	shell_flush(p, tgid);
	return 0;
}
