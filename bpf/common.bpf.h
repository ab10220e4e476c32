/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Maps and helpers every ec-capture probe shares: the ring buffer with
 * adaptive wakeups, the filter settings (pid, uid, comm), the per-CPU lost
 * counter, and the chunked emission of user memory as struct ec_event.
 * Included once by each bpf/X.bpf.c; lib/capture/mod.c finds the maps by
 * these names.
 */
#ifndef EC_COMMON_BPF_H
#define EC_COMMON_BPF_H

#include "event.h"

#ifndef barrier_var
#define barrier_var(var) asm volatile("" : "+r"(var))
#endif

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} ec_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ec_cfg);
} ec_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, char[EC_COMM_LEN]);
	__type(value, __u32);
} ec_comms SEC(".maps");

/* cgroup v2 ids wanted (--cgroup, --container): a task passes when its
 * cgroup or one of its ancestors is here */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EC_MAX_CGROUPS);
	__type(key, __u64);
	__type(value, __u8);
} ec_cgroups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} ec_lost SEC(".maps");

/* Scratch for building one event (too big for the stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__uint(value_size, sizeof(struct ec_event) + EC_CHUNK);
} ec_scratch SEC(".maps");

static __always_inline struct ec_cfg *ec_cfg(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&ec_config, &zero);
}

static __always_inline void ec_count_lost(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&ec_lost, &zero);
	if (n)
		(*n)++; /* per-CPU: no atomic needed */
}

/*
 * Wake the reader only when enough data waits: a wakeup costs more than a
 * probe hit, and the reader polls every few ms anyway (lib/capture/capture.h).
 */
static __always_inline __u64 ec_wakeup(const struct ec_cfg *cfg)
{
	__u64 want = cfg ? cfg->wakeup_bytes : 0;
	if (want && bpf_ringbuf_query(&ec_events, BPF_RB_AVAIL_DATA) >= want)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

/* Is the current task in (or below) a cgroup of ec_cgroups? */
static __always_inline int ec_in_cgroups(void)
{
	__u64 id = bpf_get_current_cgroup_id();
	if (bpf_map_lookup_elem(&ec_cgroups, &id))
		return 1;
	for (int level = EC_CGROUP_DEPTH - 1; level >= 0; level--) {
		id = bpf_get_current_ancestor_cgroup_id(level);
		if (id && bpf_map_lookup_elem(&ec_cgroups, &id))
			return 1;
	}
	return 0;
}

/* Does the current task pass the pid/uid/cgroup/comm filters? */
static __always_inline int ec_wanted(void)
{
	struct ec_cfg *cfg = ec_cfg();
	if (!cfg)
		return 0;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	if (cfg->pid && (__u32)(pid_tgid >> 32) != cfg->pid)
		return 0;
	if (cfg->uid_set && (__u32)bpf_get_current_uid_gid() != cfg->uid)
		return 0;
	if (cfg->n_cgroup && !ec_in_cgroups())
		return 0;
	if (!cfg->n_target && !cfg->n_ignore)
		return 1; /* no name filters: skip the comm lookup */
	char comm[EC_COMM_LEN] = {};
	bpf_get_current_comm(comm, sizeof(comm));
	__u32 *mark = bpf_map_lookup_elem(&ec_comms, comm);
	if (mark && *mark == EC_COMM_IGNORE)
		return 0;
	if (cfg->n_target && !(mark && *mark == EC_COMM_TARGET))
		return 0;
	return 1;
}

/* The current task's tgid as its own pid namespace numbers it. */
static __always_inline __u32 ec_nspid(void)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pid *p = task->group_leader->thread_pid;
	if (!p)
		return 0;
	unsigned int level = p->level;
	struct upid up = {};
	if (bpf_probe_read_kernel(&up, sizeof(up), &p->numbers[level & 31]))
		return 0;
	return up.nr;
}

/* Fill an event header for the current task. */
static __always_inline void ec_event_init(struct ec_event *e, __u32 kind)
{
	__builtin_memset(e, 0, sizeof(*e));
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	e->kind = kind;
	e->ts_ns = bpf_ktime_get_ns();
	e->pid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->fd = -1;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
}

/* Where the current task runs: its cgroup and its pid in its namespace
 * (a TLS call's event takes them from its connection instead: computed
 * once per connection, bpf/conn.bpf.h). */
static __always_inline void ec_event_where(struct ec_event *e)
{
	e->cgroup = bpf_get_current_cgroup_id();
	e->nspid = ec_nspid();
}

/* The per-CPU scratch event, header filled for the current task. */
static __always_inline struct ec_event *ec_event_new(__u32 kind)
{
	__u32 zero = 0;
	struct ec_event *e = bpf_map_lookup_elem(&ec_scratch, &zero);
	if (e) {
		ec_event_init(e, kind);
		ec_event_where(e);
	}
	return e;
}

/* The same for a TLS call's data: ec_conn_of fills where it runs. */
static __always_inline struct ec_event *ec_event_new_data(void)
{
	__u32 zero = 0;
	struct ec_event *e = bpf_map_lookup_elem(&ec_scratch, &zero);
	if (e)
		ec_event_init(e, EC_KIND_DATA);
	return e;
}

/* An event of the current task with size bytes of data, reserved in the
 * ring (header filled, data not): submit or discard it. */
static __always_inline struct ec_event *ec_event_reserve(__u32 kind, __u32 size)
{
	struct ec_event *e = bpf_ringbuf_reserve(&ec_events, sizeof(*e) + size, 0);
	if (!e) {
		ec_count_lost();
		return 0;
	}
	ec_event_init(e, kind);
	ec_event_where(e);
	e->len = size;
	return e;
}

/* Send the scratch event e with its first len bytes of data. */
static __always_inline void ec_submit(struct ec_event *e, __u64 len, struct ec_cfg *cfg)
{
	barrier_var(len);
	if (len > EC_CHUNK)
		len = EC_CHUNK;
	e->len = len;
	__u64 size = sizeof(*e) + len;
	barrier_var(size);
	if (size > sizeof(*e) + EC_CHUNK)
		return;
	if (bpf_ringbuf_output(&ec_events, e, size, ec_wakeup(cfg)))
		ec_count_lost();
}

struct ec_emit_ctx {
	struct ec_cfg *cfg;
	__u64 buf;
	__u64 len; /* bytes to emit */
	__u64 seq0;
};

static long ec_emit_chunk(__u64 i, struct ec_emit_ctx *c)
{
	__u32 zero = 0;
	__u64 off = i * EC_CHUNK;
	if (off >= c->len)
		return 1;
	struct ec_event *e = bpf_map_lookup_elem(&ec_scratch, &zero);
	if (!e)
		return 1;
	__u64 n = c->len - off;
	if (n > EC_CHUNK)
		n = EC_CHUNK;
	barrier_var(n);
	if (n > EC_CHUNK)
		return 1;
	e->seq = c->seq0 + i;
	e->offset = off;
	if (bpf_probe_read_user(e->data, n, (const void *)(c->buf + off))) {
		ec_count_lost(); /* unreadable buffer: the chunk is lost, say so */
		return 0;
	}
	ec_submit(e, n, c->cfg);
	return 0;
}

/* How many chunks len bytes make after --truncate (EC_F_TRUNCATED set in e). */
static __always_inline __u64 ec_chunks(struct ec_event *e, const struct ec_cfg *cfg, __u64 len)
{
	__u64 emit = len;
	e->call_len = len;
	if (cfg->truncate && emit > cfg->truncate) {
		emit = cfg->truncate;
		e->flags |= EC_F_TRUNCATED;
	}
	__u64 n = (emit + EC_CHUNK - 1) / EC_CHUNK;
	return n > EC_MAX_CHUNKS ? EC_MAX_CHUNKS : n;
}

/*
 * Emit the call's bytes at user address buf as events built on the scratch
 * header e (filled by the caller, then sized by ec_chunks), nchunks pieces
 * of EC_CHUNK numbered from seq0.
 */
static __always_inline void ec_emit(struct ec_event *e, struct ec_cfg *cfg, __u64 buf,
				    __u64 nchunks, __u64 seq0)
{
	__u64 len = e->flags & EC_F_TRUNCATED ? cfg->truncate : e->call_len;
	struct ec_emit_ctx c = {.cfg = cfg, .buf = buf, .len = len, .seq0 = seq0};
	bpf_loop(nchunks, ec_emit_chunk, &c, 0);
}

#endif
