/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Following the host (ec-capture with no --PATH and no --pid): an
 * EC_KIND_FILE event when a process runs a program not seen before
 * (tp_btf/sched_process_exec: map ec_files holds the programs already told
 * about, so a known one costs one lookup) and when ld.so changes a
 * process's libraries (a uprobe on its _dl_debug_state), so user space can
 * look at the new files and hook them before the process gets far
 * (lib/capture/hostscan.h, cmd/ec-capture/follow.c). Include after
 * common.bpf.h and sock.bpf.h; user space attaches these programs only
 * when it follows the host.
 */
#ifndef EC_FILES_BPF_H
#define EC_FILES_BPF_H

/* Programs already told about (user space deletes one to hear of it again). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ec_file_key);
	__type(value, __u8);
} ec_files SEC(".maps");

static __always_inline int ec_file_key_of(struct file *f, struct ec_file_key *k)
{
	if (!f)
		return -1;
	k->ino = BPF_CORE_READ(f, f_inode, i_ino);
	k->dev = BPF_CORE_READ(f, f_inode, i_sb, s_dev);
	k->pad = 0;
	return k->ino ? 0 : -1;
}

/* Tell user space about k once: pid maps it now. */
static __always_inline void ec_file_tell(const struct ec_file_key *k)
{
	__u8 one = 1;
	if (bpf_map_update_elem(&ec_files, k, &one, BPF_NOEXIST))
		return; /* known */
	struct ec_event *e = ec_event_reserve(EC_KIND_FILE, sizeof(*k));
	if (!e)
		return;
	__builtin_memcpy(e->data, k, sizeof(*k));
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(ec_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct ec_file_key k;
	if (!ec_file_key_of(bprm->file, &k) && !bpf_map_lookup_elem(&ec_files, &k))
		ec_file_tell(&k);
	return 0;
}

/*
 * ld.so's _dl_debug_state, the function it calls for debuggers after each
 * change of a process's list of libraries (at start once they are all
 * mapped, then on each dlopen and dlclose): that process's maps are looked
 * at again. No key (ino 0): user space reads the maps. Nothing runs per
 * syscall.
 */
SEC("uprobe")
int ec_dl_state(struct pt_regs *ctx)
{
	struct ec_event *e = ec_event_reserve(EC_KIND_FILE, sizeof(struct ec_file_key));
	if (!e)
		return 0;
	__builtin_memset(e->data, 0, sizeof(struct ec_file_key));
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	return 0;
}

#endif
