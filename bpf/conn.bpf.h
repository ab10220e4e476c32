/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Connections of the TLS modules and of ec-capture sock: the 4-tuple of a
 * socket fd from a CO-RE walk fd -> file -> socket -> sock
 * (bpf/sock.bpf.h), an id and a sequence per direction for each
 * connection, and tp_btf/inet_sock_set_state turning TCP_CLOSE into an
 * EC_KIND_CLOSE event. Include after common.bpf.h.
 */
#ifndef EC_CONN_BPF_H
#define EC_CONN_BPF_H

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "sock.bpf.h"

struct ec_conn {
	__u64 id;
	__u64 seq[2];
	__u64 keys_handle; /* tls: the SSL* whose keys were sent for it */
	__u32 pid;
	__u32 tid;
	__u32 uid;
	__s32 fd;
	__u16 family;
	__u16 sport;
	__u16 dport;
	__u16 flags; /* EC_CONN_* */
	__u32 nspid;
	__u32 aux; /* the slot of the file whose calls made it */
	__u64 cgroup;
	__u8 saddr[16];
	__u8 daddr[16];
	char comm[EC_COMM_LEN];
};

/* ec_conn.flags */
#define EC_CONN_SKIPPED 1 /* sock: carries TLS, its data is dropped from now on */

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64); /* struct sock * */
	__type(value, struct ec_conn);
} ec_conns SEC(".maps");

__u64 ec_next_conn_id = 0;

/*
 * The connection of socket sk (fd in the current task; created on first
 * sight), its tuple and where its process runs (cgroup, pid in its
 * namespace: as at the connection's first event) copied into e, and
 * nchunks sequence numbers taken in e->dir: the first into *seq0. NULL
 * when sk is 0 or the table is full (then e has where the current task
 * runs).
 */
static __always_inline struct ec_conn *ec_conn_of_sk(struct ec_event *e, struct sock *sk, __s32 fd,
						     __u64 nchunks, __u64 *seq0)
{
	if (!sk) {
		ec_event_where(e);
		return 0;
	}
	__u64 key = (__u64)sk;
	struct ec_conn *c = bpf_map_lookup_elem(&ec_conns, &key);
	if (!c) {
		struct ec_conn n = {};
		n.id = __sync_fetch_and_add(&ec_next_conn_id, 1) + 1;
		n.pid = e->pid;
		n.tid = e->tid;
		n.uid = e->uid;
		n.fd = fd;
		n.nspid = ec_nspid();
		n.aux = e->aux;
		n.cgroup = bpf_get_current_cgroup_id();
		__builtin_memcpy(n.comm, e->comm, sizeof(n.comm));
		ec_sock_tuple(sk, &n.family, n.saddr, n.daddr, &n.sport, &n.dport);
		bpf_map_update_elem(&ec_conns, &key, &n, BPF_NOEXIST);
		c = bpf_map_lookup_elem(&ec_conns, &key);
		if (!c) {
			ec_event_where(e);
			return 0;
		}
	}
	e->nspid = c->nspid;
	e->cgroup = c->cgroup;
	e->conn_id = c->id;
	e->family = c->family;
	e->sport = c->sport;
	e->dport = c->dport;
	__builtin_memcpy(e->saddr, c->saddr, sizeof(e->saddr));
	__builtin_memcpy(e->daddr, c->daddr, sizeof(e->daddr));
	*seq0 = __sync_fetch_and_add(&c->seq[e->dir == EC_DIR_WRITE ? 1 : 0], nchunks);
	return c;
}

/* The same for socket fd of the current task: NULL when it is not a socket. */
static __always_inline struct ec_conn *ec_conn_of(struct ec_event *e, __s32 fd, __u64 nchunks,
						  __u64 *seq0)
{
	return ec_conn_of_sk(e, fd >= 0 ? ec_fd_sock(fd) : 0, fd, nchunks, seq0);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(ec_sock_state, struct sock *sk, int oldstate, int newstate)
{
	if (newstate != TCP_CLOSE)
		return 0;
	__u64 key = (__u64)sk;
	struct ec_conn *c = bpf_map_lookup_elem(&ec_conns, &key);
	if (!c)
		return 0;
	if (!c->seq[0] &&
	    !c->seq[1]) { /* none of its data was sent (sock: TLS): nothing to close */
		bpf_map_delete_elem(&ec_conns, &key);
		return 0;
	}
	struct ec_event *e = bpf_ringbuf_reserve(&ec_events, sizeof(*e), 0);
	if (!e) {
		ec_count_lost();
		bpf_map_delete_elem(&ec_conns, &key);
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->kind = EC_KIND_CLOSE;
	e->ts_ns = bpf_ktime_get_ns();
	e->conn_id = c->id;
	e->pid = c->pid;
	e->tid = c->tid;
	e->uid = c->uid;
	e->fd = c->fd;
	e->nspid = c->nspid;
	e->aux = c->aux;
	e->cgroup = c->cgroup;
	e->family = c->family;
	e->sport = c->sport;
	e->dport = c->dport;
	__builtin_memcpy(e->saddr, c->saddr, sizeof(e->saddr));
	__builtin_memcpy(e->daddr, c->daddr, sizeof(e->daddr));
	__builtin_memcpy(e->comm, c->comm, sizeof(e->comm));
	bpf_map_delete_elem(&ec_conns, &key);
	bpf_ringbuf_submit(e, ec_wakeup(ec_cfg()));
	return 0;
}

#endif
