// SPDX-License-Identifier: GPL-2.0-only
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

#include "common.bpf.h"
#include "mysqld.h"

const volatile __u32 layout = MYSQLD_MARIADB;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MYSQL_INFLIGHT);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32); /* tid */
	__uint(value_size, sizeof(struct ec_event) + EC_CHUNK);
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
	if (cmd != MYSQL_COM_QUERY || !query || !ec_wanted())
		return 0;
	struct ec_cfg *cfg = ec_cfg();
	struct ec_event *e = ec_event_new(EC_KIND_QUERY);
	if (!cfg || !e)
		return 0;
	e->aux = cmd;
	e->call_len = len;
	__u64 n = len;
	if (cfg->truncate && n > cfg->truncate)
		n = cfg->truncate;
	if (n > EC_CHUNK)
		n = EC_CHUNK;
	if (n < len)
		e->flags |= EC_F_TRUNCATED;
	barrier_var(n);
	if (n > EC_CHUNK)
		return 0;
	if (bpf_probe_read_user(e->data, n, (void *)query)) {
		ec_count_lost();
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
	struct ec_event *p = bpf_map_lookup_elem(&mysqld_pending, &tid);
	if (p && !(p->flags & EC_F_RETVAL)) {
		p->retval = sql_errno;
		p->flags |= EC_F_RETVAL | EC_F_ERROR;
	}
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(dispatch_return, __u64 ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct ec_event *p = bpf_map_lookup_elem(&mysqld_pending, &tid);
	if (!p)
		return 0;
	if (!(p->flags & EC_F_ERROR)) {
		p->retval = (__u8)ret; /* bool (MariaDB, MySQL 5.7) or a small enum */
		p->flags |= EC_F_RETVAL;
	}
	__u64 len = p->len;
	barrier_var(len);
	if (len <= EC_CHUNK) {
		struct ec_cfg *cfg = ec_cfg();
		if (bpf_ringbuf_output(&ec_events, p, sizeof(*p) + len, ec_wakeup(cfg)))
			ec_count_lost();
	}
	bpf_map_delete_elem(&mysqld_pending, &tid);
	return 0;
}
