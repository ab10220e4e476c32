// SPDX-License-Identifier: GPL-2.0
/*
 * ec-capture mysqld: the text queries (COM_QUERY) a MySQL/MariaDB server
 * executes, with dispatch_command's return value.
 *
 * The entry probe copies the query (the network buffer is reused for the
 * reply, so it cannot be read at return) into a per-thread pending event;
 * Diagnostics_area::set_error_status (every overload) notes the error
 * number of a query that fails; the return probe sets retval to it, or to
 * dispatch_command's return value (0) when none, and sends the event.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "modcommon.bpf.h"
#include "mysqld.h"

const volatile __u32 layout = MYSQLD_MARIADB;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MYSQL_INFLIGHT);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32); /* tid */
	__uint(value_size, sizeof(struct mod_event) + MOD_CHUNK);
} mysqld_pending SEC(".maps");

struct com_query {
	__u64 query;
	__u32 length;
};

SEC("uprobe")
int BPF_KPROBE(dispatch_enter, __u64 a0, __u64 a1, __u64 a2, __u64 a3)
{
	__u64 cmd, query, len;
	if (layout == MYSQLD_MARIADB) {
		cmd = (__u32)a0;
		query = a2;
		len = (__u32)a3;
	} else {
		struct com_query cq = {};
		cmd = (__u32)a2;
		if (cmd != MYSQL_COM_QUERY || bpf_probe_read_user(&cq, sizeof(cq), (void *)a1))
			return 0;
		query = cq.query;
		len = cq.length;
	}
	if (cmd != MYSQL_COM_QUERY || !query || !mod_wanted())
		return 0;
	struct mod_cfg *cfg = mod_cfg();
	struct mod_event *e = mod_event_new(MOD_KIND_QUERY);
	if (!cfg || !e)
		return 0;
	e->aux = cmd;
	e->call_len = len;
	__u64 n = len;
	if (cfg->truncate && n > cfg->truncate)
		n = cfg->truncate;
	if (n > MOD_CHUNK)
		n = MOD_CHUNK;
	if (n < len)
		e->flags |= MOD_F_TRUNCATED;
	barrier_var(n);
	if (n > MOD_CHUNK)
		return 0;
	if (bpf_probe_read_user(e->data, n, (void *)query)) {
		mod_count_lost();
		return 0;
	}
	e->len = n;
	__u32 tid = e->tid;
	bpf_map_update_elem(&mysqld_pending, &tid, e, BPF_ANY);
	return 0;
}

/* Diagnostics_area::set_error_status(this, unsigned sql_errno, ...) */
SEC("uprobe")
int BPF_KPROBE(set_error_enter, void *da, unsigned int sql_errno)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct mod_event *p = bpf_map_lookup_elem(&mysqld_pending, &tid);
	if (p && !(p->flags & MOD_F_RETVAL)) {
		p->retval = sql_errno;
		p->flags |= MOD_F_RETVAL | MOD_F_ERROR;
	}
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(dispatch_return, __u64 ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct mod_event *p = bpf_map_lookup_elem(&mysqld_pending, &tid);
	if (!p)
		return 0;
	if (!(p->flags & MOD_F_ERROR)) {
		p->retval = (__u8)ret; /* bool (MariaDB, MySQL 5.7) or a small enum */
		p->flags |= MOD_F_RETVAL;
	}
	__u64 len = p->len;
	barrier_var(len);
	if (len <= MOD_CHUNK) {
		struct mod_cfg *cfg = mod_cfg();
		if (bpf_ringbuf_output(&mod_events, p, sizeof(*p) + len, mod_wakeup(cfg)))
			mod_count_lost();
	}
	bpf_map_delete_elem(&mysqld_pending, &tid);
	return 0;
}
