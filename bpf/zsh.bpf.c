// SPDX-License-Identifier: GPL-2.0
/*
 * ec-capture zsh: the command lines an interactive zsh reads.
 *
 * zsh's line editor lives in the zle module (zle.so, loaded on demand);
 * the shell reaches it only through zleentry(cmd, ...) in the zsh binary.
 * The entry probe notes the threads calling it with ZLE_CMD_READ; the
 * return probe sends the line it returns (metafied, ending in '\n').
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "modcommon.bpf.h"
#include "zsh.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32); /* tid */
	__type(value, __u32);
} zsh_reading SEC(".maps");

SEC("uprobe")
int BPF_KPROBE(zleentry_enter, int cmd)
{
	if (cmd != ZSH_CMD_READ || !mod_wanted())
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
	struct mod_event *e = mod_event_new(MOD_KIND_LINE);
	if (!e)
		return 0;
	long n = bpf_probe_read_user_str(e->data, ZSH_LINE_MAX, line);
	if (n <= 1)
		return 0;
	e->call_len = n - 1;
	if (n == ZSH_LINE_MAX)
		e->flags |= MOD_F_TRUNCATED;
	mod_submit(e, n - 1, mod_cfg());
	return 0;
}
