/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TLS-library modules (gnutls, nss): the plaintext of one read/write call
 * with the connection it belongs to. Include after modcommon.bpf.h.
 *
 * The entry probe of a library call keeps (session, buffer, direction) per
 * thread; tp_btf/sys_enter notes the fd of the socket syscall the library
 * makes inside the call (and remembers it per session for the calls that
 * make none); the return probe emits the bytes actually transferred with
 * the 4-tuple from a CO-RE walk fd -> file -> socket -> sock, and a
 * per-connection sequence. tp_btf/inet_sock_set_state turns TCP_CLOSE
 * into a close event. Same design as bpf/tls.bpf.c, on the modules' maps.
 */
#ifndef EC_MODSOCK_BPF_H
#define EC_MODSOCK_BPF_H

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "sock.bpf.h"

struct mod_active {
	__u64 session; /* gnutls_session_t / PRFileDesc * */
	__u64 buf;
	__s32 fd; /* from a syscall inside the call, -1 until then */
	__u32 dir;
	__u32 depth; /* nested library calls on the same thread */
	__u32 pad;
};

struct mod_session_key {
	__u64 session;
	__u32 tgid;
	__u32 pad;
};

struct mod_conn {
	__u64 id;
	__u64 seq[2];
	__u32 pid;
	__u32 tid;
	__u32 uid;
	__s32 fd;
	__u16 family;
	__u16 sport;
	__u16 dport;
	__u16 pad;
	__u8 saddr[16];
	__u8 daddr[16];
	char comm[MOD_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32); /* tid */
	__type(value, struct mod_active);
} mod_active SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct mod_session_key);
	__type(value, __s32);
} mod_session_fd SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64); /* struct sock * */
	__type(value, struct mod_conn);
} mod_conns SEC(".maps");

__u64 mod_next_conn_id = 0;

/* Entry of a library call: keep it unless filtered out or nested. */
static __always_inline int mod_tls_enter(__u32 dir, __u64 session, __u64 buf)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct mod_active *a = bpf_map_lookup_elem(&mod_active, &tid);
	if (a) { /* e.g. gnutls_record_send -> gnutls_record_send2: keep the outer call */
		a->depth++;
		return 0;
	}
	if (!mod_wanted())
		return 0;
	struct mod_active n = {
	    .session = session,
	    .buf = buf,
	    .fd = -1,
	    .dir = dir,
	    .depth = 1,
	};
	bpf_map_update_elem(&mod_active, &tid, &n, BPF_ANY);
	return 0;
}

/* Return of a library call that moved len bytes (0: nothing to emit). */
static __always_inline int mod_tls_leave(__s64 len)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	struct mod_active *a = bpf_map_lookup_elem(&mod_active, &tid);
	if (!a)
		return 0;
	if (a->depth > 1) {
		a->depth--;
		return 0;
	}
	struct mod_active st = *a;
	bpf_map_delete_elem(&mod_active, &tid);
	if (len <= 0)
		return 0;

	__s32 fd = st.fd;
	struct mod_session_key key = {.session = st.session, .tgid = pid_tgid >> 32};
	if (fd >= 0) {
		bpf_map_update_elem(&mod_session_fd, &key, &fd, BPF_ANY);
	} else {
		__s32 *pfd = bpf_map_lookup_elem(&mod_session_fd, &key);
		if (pfd)
			fd = *pfd;
	}

	struct mod_cfg *cfg = mod_cfg();
	struct mod_event *e = mod_event_new(MOD_KIND_DATA);
	if (!cfg || !e)
		return 0;
	e->dir = st.dir;
	e->fd = fd;
	__u64 emit = len;
	if (cfg->truncate && emit > cfg->truncate)
		emit = cfg->truncate;
	__u64 nchunks = (emit + MOD_CHUNK - 1) / MOD_CHUNK;

	__u64 seq0 = 0;
	struct sock *sk = fd >= 0 ? ec_fd_sock(fd) : 0;
	if (sk) {
		__u64 skey = (__u64)sk;
		struct mod_conn *c = bpf_map_lookup_elem(&mod_conns, &skey);
		if (!c) {
			struct mod_conn n = {};
			n.id = __sync_fetch_and_add(&mod_next_conn_id, 1) + 1;
			n.pid = e->pid;
			n.tid = tid;
			n.uid = e->uid;
			n.fd = fd;
			__builtin_memcpy(n.comm, e->comm, sizeof(n.comm));
			ec_sock_tuple(sk, &n.family, n.saddr, n.daddr, &n.sport, &n.dport);
			bpf_map_update_elem(&mod_conns, &skey, &n, BPF_NOEXIST);
			c = bpf_map_lookup_elem(&mod_conns, &skey);
		}
		if (c) {
			e->conn_id = c->id;
			e->family = c->family;
			e->sport = c->sport;
			e->dport = c->dport;
			__builtin_memcpy(e->saddr, c->saddr, sizeof(e->saddr));
			__builtin_memcpy(e->daddr, c->daddr, sizeof(e->daddr));
			__u32 d = st.dir == MOD_DIR_WRITE ? 1 : 0;
			seq0 = __sync_fetch_and_add(&c->seq[d], nchunks);
		}
	}
	mod_emit(e, st.buf, len, seq0);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(mod_sys_enter, struct pt_regs *regs, long id)
{
	switch (id) {
	case NR_READ:
	case NR_WRITE:
	case NR_READV:
	case NR_WRITEV:
	case NR_SENDTO:
	case NR_RECVFROM:
	case NR_SENDMSG:
	case NR_RECVMSG:
		break;
	default:
		return 0;
	}
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct mod_active *a = bpf_map_lookup_elem(&mod_active, &tid);
	if (!a)
		return 0;
	a->fd = (__s32)BPF_CORE_READ(regs, di);
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(mod_sock_state, struct sock *sk, int oldstate, int newstate)
{
	if (newstate != TCP_CLOSE)
		return 0;
	__u64 key = (__u64)sk;
	struct mod_conn *c = bpf_map_lookup_elem(&mod_conns, &key);
	if (!c)
		return 0;
	struct mod_cfg *cfg = mod_cfg();
	struct mod_event *e = bpf_ringbuf_reserve(&mod_events, sizeof(*e), 0);
	if (!e) {
		mod_count_lost();
		bpf_map_delete_elem(&mod_conns, &key);
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->kind = MOD_KIND_CLOSE;
	e->ts_ns = bpf_ktime_get_ns();
	e->conn_id = c->id;
	e->pid = c->pid;
	e->tid = c->tid;
	e->uid = c->uid;
	e->fd = c->fd;
	e->family = c->family;
	e->sport = c->sport;
	e->dport = c->dport;
	__builtin_memcpy(e->saddr, c->saddr, sizeof(e->saddr));
	__builtin_memcpy(e->daddr, c->daddr, sizeof(e->daddr));
	__builtin_memcpy(e->comm, c->comm, sizeof(e->comm));
	bpf_map_delete_elem(&mod_conns, &key);
	bpf_ringbuf_submit(e, mod_wakeup(cfg));
	return 0;
}

#endif
