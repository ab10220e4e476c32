/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Maps and helpers every non-OpenSSL ec-capture module shares: the ring
 * buffer with adaptive wakeups, the filter settings (pid, uid, comm), the
 * per-CPU lost counter, and the chunked emission of user memory. Included
 * once by each bpf/X.bpf.c; lib/modrun.c finds the maps by these names.
 */
#ifndef EC_MODCOMMON_BPF_H
#define EC_MODCOMMON_BPF_H

#include "modevent.h"

#ifndef barrier_var
#define barrier_var(var) asm volatile("" : "+r"(var))
#endif

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} mod_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mod_cfg);
} mod_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, char[MOD_COMM_LEN]);
	__type(value, __u32);
} mod_comms SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} mod_lost SEC(".maps");

/* Scratch for building one event (too big for the stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__uint(value_size, sizeof(struct mod_event) + MOD_CHUNK);
} mod_scratch SEC(".maps");

static __always_inline struct mod_cfg *mod_cfg(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&mod_config, &zero);
}

static __always_inline void mod_count_lost(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&mod_lost, &zero);
	if (n)
		__sync_fetch_and_add(n, 1);
}

/* Wake the reader only when enough data waits (a wakeup costs more than a hit). */
static __always_inline __u64 mod_wakeup(const struct mod_cfg *cfg)
{
	__u64 want = cfg ? cfg->wakeup_bytes : 0;
	if (!want || bpf_ringbuf_query(&mod_events, BPF_RB_AVAIL_DATA) >= want)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

/* Does the current task pass the pid/uid/comm filters? */
static __always_inline int mod_wanted(void)
{
	struct mod_cfg *cfg = mod_cfg();
	if (!cfg)
		return 0;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	if (cfg->pid && (__u32)(pid_tgid >> 32) != cfg->pid)
		return 0;
	if (cfg->uid_set && (__u32)bpf_get_current_uid_gid() != cfg->uid)
		return 0;
	char comm[MOD_COMM_LEN] = {};
	bpf_get_current_comm(comm, sizeof(comm));
	__u32 *mark = bpf_map_lookup_elem(&mod_comms, comm);
	if (mark && *mark == MOD_COMM_IGNORE)
		return 0;
	if (cfg->n_target && !(mark && *mark == MOD_COMM_TARGET))
		return 0;
	return 1;
}

/* The per-CPU scratch event, header zeroed and filled for the current task. */
static __always_inline struct mod_event *mod_event_new(__u32 kind)
{
	__u32 zero = 0;
	struct mod_event *e = bpf_map_lookup_elem(&mod_scratch, &zero);
	if (!e)
		return 0;
	__builtin_memset(e, 0, sizeof(*e));
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	e->kind = kind;
	e->ts_ns = bpf_ktime_get_ns();
	e->pid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->fd = -1;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	return e;
}

/* Send the scratch event e with its first len bytes of data. */
static __always_inline void mod_submit(struct mod_event *e, __u64 len, struct mod_cfg *cfg)
{
	barrier_var(len);
	if (len > MOD_CHUNK)
		len = MOD_CHUNK;
	e->len = len;
	__u64 size = sizeof(*e) + len;
	barrier_var(size);
	if (size > sizeof(*e) + MOD_CHUNK)
		return;
	if (bpf_ringbuf_output(&mod_events, e, size, mod_wakeup(cfg)))
		mod_count_lost();
}

struct mod_emit_ctx {
	struct mod_cfg *cfg;
	__u64 buf;
	__u64 len; /* bytes to emit */
	__u64 seq0;
};

static long mod_emit_chunk(__u64 i, struct mod_emit_ctx *c)
{
	__u32 zero = 0;
	__u64 off = i * MOD_CHUNK;
	if (off >= c->len)
		return 1;
	struct mod_event *e = bpf_map_lookup_elem(&mod_scratch, &zero);
	if (!e)
		return 1;
	__u64 n = c->len - off;
	if (n > MOD_CHUNK)
		n = MOD_CHUNK;
	barrier_var(n);
	if (n > MOD_CHUNK)
		return 1;
	e->seq = c->seq0 + i;
	e->offset = off;
	if (bpf_probe_read_user(e->data, n, (const void *)(c->buf + off))) {
		mod_count_lost(); /* unreadable buffer: the chunk is lost, say so */
		return 0;
	}
	mod_submit(e, n, c->cfg);
	return 0;
}

/*
 * Emit len bytes of user memory at buf as events built on the scratch
 * header (filled by the caller), split in MOD_CHUNK pieces numbered from
 * seq0; --truncate applies. Returns the number of chunks.
 */
static __always_inline __u64 mod_emit(struct mod_event *e, __u64 buf, __u64 len, __u64 seq0)
{
	struct mod_cfg *cfg = mod_cfg();
	if (!cfg)
		return 0;
	__u64 emit = len;
	e->call_len = len;
	if (cfg->truncate && emit > cfg->truncate) {
		emit = cfg->truncate;
		e->flags |= MOD_F_TRUNCATED;
	}
	__u64 n = (emit + MOD_CHUNK - 1) / MOD_CHUNK;
	if (n > MOD_MAX_CHUNKS)
		n = MOD_MAX_CHUNKS;
	struct mod_emit_ctx c = {.cfg = cfg, .buf = buf, .len = emit, .seq0 = seq0};
	bpf_loop(n, mod_emit_chunk, &c, 0);
	return n;
}

#endif
