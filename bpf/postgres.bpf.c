// SPDX-License-Identifier: GPL-2.0-only
/*
 * ec-capture postgres: the queries a PostgreSQL backend runs, with the
 * SQLSTATE of the ones that fail.
 *
 * pg_parse_query(query_string) is where both the simple query protocol
 * (exec_simple_query) and the extended one (exec_parse_message) hand the
 * full query text to the parser: its entry probe keeps the text as the
 * backend's pending query. errstart/errstart_cold with an ERROR level and
 * the errcode that follows note the failure; ReadyForQuery, sent when the
 * backend is done with the query either way, sends the pending event.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "common.bpf.h"
#include "postgres.h"

/* tgid (one backend process per connection) -> pending query; aux = in an ERROR report */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PG_BACKENDS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__uint(value_size, sizeof(struct ec_event) + EC_CHUNK);
} pg_pending SEC(".maps");

static __always_inline void flush(struct ec_event *p, __u32 tgid)
{
	__u64 len = p->len;
	barrier_var(len);
	if (len <= EC_CHUNK) {
		p->aux = 0;
		if (bpf_ringbuf_output(&ec_events, p, sizeof(*p) + len, ec_wakeup(ec_cfg())))
			ec_count_lost();
	}
	bpf_map_delete_elem(&pg_pending, &tgid);
}

SEC("uprobe")
int BPF_KPROBE(parse_enter, const char *query)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct ec_event *p = bpf_map_lookup_elem(&pg_pending, &tgid);
	if (p) /* extended protocol: several Parse messages before one Sync */
		flush(p, tgid);
	if (!query || !ec_wanted())
		return 0;
	struct ec_cfg *cfg = ec_cfg();
	struct ec_event *e = ec_event_new(EC_KIND_QUERY);
	if (!cfg || !e)
		return 0;
	__u64 max = EC_CHUNK;
	if (cfg->truncate && cfg->truncate < max)
		max = cfg->truncate + 1;
	barrier_var(max);
	if (max > EC_CHUNK)
		max = EC_CHUNK;
	long n = bpf_probe_read_user_str(e->data, max, query);
	if (n <= 1)
		return 0;
	e->len = n - 1;
	e->call_len = n - 1;
	if ((__u64)n == max)
		e->flags |= EC_F_TRUNCATED;
	bpf_map_update_elem(&pg_pending, &tgid, e, BPF_ANY);
	return 0;
}

static __always_inline int on_errstart(int elevel)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct ec_event *p = bpf_map_lookup_elem(&pg_pending, &tgid);
	if (!p)
		return 0;
	p->aux = elevel >= PG_ERROR;
	if (p->aux && !(p->flags & EC_F_ERROR)) {
		p->retval = 0; /* the SQLSTATE comes with errcode; XX000 if none */
		p->flags |= EC_F_RETVAL | EC_F_ERROR;
	}
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(errstart_enter, int elevel)
{
	return on_errstart(elevel);
}

SEC("uprobe")
int BPF_KPROBE(errcode_enter, int sqlerrcode)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct ec_event *p = bpf_map_lookup_elem(&pg_pending, &tgid);
	if (p && p->aux && !p->retval)
		p->retval = sqlerrcode;
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(ready_enter)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct ec_event *p = bpf_map_lookup_elem(&pg_pending, &tgid);
	if (!p)
		return 0;
	if (!(p->flags & EC_F_RETVAL)) {
		p->retval = 0;
		p->flags |= EC_F_RETVAL;
	}
	flush(p, tgid);
	return 0;
}
