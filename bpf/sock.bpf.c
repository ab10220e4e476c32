// SPDX-License-Identifier: GPL-2.0-only
/*
 * ec-capture sock: what processes send and receive on TCP sockets, at the
 * system calls (no library to hook: plaintext protocols). tp_btf/sys_enter
 * keeps, for a read, write, readv, writev, recvfrom, sendto, recvmsg or
 * sendmsg on a TCP socket (IPv4/IPv6, SOCK_STREAM) of a wanted task, the
 * socket and its buffer or iovec array per thread; tp_btf/sys_exit emits
 * the bytes the call moved (its return value), gathered over its iovecs in
 * 16 KiB events with the connection's conn_id, seq and 4-tuple
 * (bpf/conn.bpf.h); tp_btf/inet_sock_set_state tells closes.
 *
 * TLS is dropped here, not in user space: on most hosts TLS is the bulk of
 * TCP traffic, and copying it through the ring only to drop it would cost
 * the copy, the ring's room (lost events) and the reader's time. A call
 * whose bytes start with a TLS handshake record header (a ClientHello or
 * ServerHello, also after a STARTTLS-style upgrade such as PostgreSQL's
 * SSLRequest), or a connection whose first call seen starts with any TLS
 * record header (one open before the capture), marks the connection
 * skipped: one EC_KIND_SKIP event, then nothing more of it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "common.bpf.h"
#include "conn.bpf.h"
#include "sock.h"

#define MSG_PEEK 2

/* --port: only connections with one of these ports at either end */
const volatile __u32 sock_nports = 0;
const volatile __u16 sock_ports[EC_SOCK_PORTS] = {};

/* A socket call in progress on a thread, from sys_enter to sys_exit. */
struct sock_call {
	__u64 sk;     /* struct sock *, 0 = none */
	__u64 buf;    /* the buffer, or the iovec array */
	__u64 iovcnt; /* 0: buf is one buffer */
	__s32 fd;
	__u32 dir;
	__u32 nr; /* the syscall */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sock_call);
} sock_calls SEC(".maps");

/* Gathering a call's bytes over its iovecs into events: a step copies
 * what fits of the current iovec into the event being filled, and sends
 * it when full or done; each step ends an iovec or an event. The state is
 * in a map, not on the stack: the verifier would follow every value of a
 * stack counter through the loop. */
struct sock_work {
	__u64 niov;		      /* iovecs in v */
	__u64 total;		      /* bytes to emit */
	__u64 done;		      /* bytes copied */
	__u64 idx;		      /* current iovec */
	__u64 off;		      /* bytes of it copied */
	__u64 filled;		      /* bytes in the event being filled */
	__u64 seq;		      /* its seq */
	__u64 bad;		      /* a copy into it failed */
	struct iovec v[EC_SOCK_IOVS]; /* the call's iovecs, read at once */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sock_work);
} sock_work SEC(".maps");

/*
 * One event being filled from several iovecs, per CPU (key: the CPU,
 * max_entries set to their number by user space). Room for two chunks of
 * data so that the verifier sees every copy in bounds: a copy starts
 * before EC_CHUNK and is at most EC_CHUNK long. A per-CPU array cannot
 * hold values this big.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__uint(value_size, sizeof(struct ec_event) + 2 * EC_CHUNK);
} sock_buf SEC(".maps");

static __always_inline int sock_dir(long nr)
{
	switch (nr) {
	case NR_READ:
	case NR_READV:
	case NR_RECVFROM:
	case NR_RECVMSG:
		return EC_DIR_READ;
	case NR_WRITE:
	case NR_WRITEV:
	case NR_SENDTO:
	case NR_SENDMSG:
		return EC_DIR_WRITE;
	}
	return 0;
}

static __always_inline int port_wanted(struct sock *sk)
{
	__u16 local = BPF_CORE_READ(sk, __sk_common.skc_num);
	__u16 remote = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	for (__u32 i = 0; i < EC_SOCK_PORTS && i < sock_nports; i++)
		if (sock_ports[i] == local || sock_ports[i] == remote)
			return 1;
	return 0;
}

/* ec's own tools (ec-capture, ec-serve, ec-nats, ec-forward...): what they
 * send is what was captured, and capturing it again would loop. */
static __always_inline int ec_tool(void)
{
	char comm[4] = {};
	bpf_get_current_comm(comm, sizeof(comm));
	return comm[0] == 'e' && comm[1] == 'c' && comm[2] == '-';
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sock_enter, struct pt_regs *regs, long nr)
{
	int dir = sock_dir(nr);
	if (!dir || !ec_wanted())
		return 0;
	/* a peek leaves the bytes to the next read: they are taken then */
	if ((nr == NR_RECVFROM && (regs->r10 & MSG_PEEK)) ||
	    (nr == NR_RECVMSG && (regs->dx & MSG_PEEK)))
		return 0;
	int fd = (int)regs->di;
	struct sock *sk = ec_fd_tcp(fd);
	if (!sk || (sock_nports && !port_wanted(sk)) || ec_tool())
		return 0;
	__u64 key = (__u64)sk;
	struct ec_conn *c = bpf_map_lookup_elem(&ec_conns, &key);
	if (c && (c->flags & EC_CONN_SKIPPED))
		return 0;
	struct sock_call *a = bpf_task_storage_get(&sock_calls, bpf_get_current_task_btf(), 0,
						   BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!a)
		return 0;
	__u64 arg = regs->si;
	a->buf = arg;
	a->iovcnt = 0;
	if (nr == NR_READV || nr == NR_WRITEV) {
		a->iovcnt = regs->dx;
	} else if (nr == NR_RECVMSG || nr == NR_SENDMSG) {
		struct user_msghdr mh;
		if (bpf_probe_read_user(&mh, sizeof(mh), (const void *)arg))
			return 0;
		a->buf = (__u64)mh.msg_iov;
		a->iovcnt = mh.msg_iovlen;
	}
	if (a->iovcnt > EC_SOCK_IOVS) /* the kernel refuses the call (EMSGSIZE/EINVAL) */
		return 0;
	a->sk = key;
	a->fd = fd;
	a->dir = dir;
	a->nr = nr;
	return 0;
}

/* Is h (5 bytes) a TLS record header: a handshake record, or any record
 * when any is set? Versions 3.0 (SSL 3) to 3.4, a length up to 2^14 + 2048. */
static __always_inline int tls_record(const __u8 *h, int any)
{
	__u32 len = (__u32)h[3] << 8 | h[4];
	if (h[1] != 3 || h[2] > 4 || !len || len > 16384 + 2048)
		return 0;
	return h[0] == 0x16 || (any && h[0] >= 0x14 && h[0] <= 0x17);
}

/* The connection carries TLS: skip it from now on, and say so once. */
static __always_inline void skip_conn(struct sock *sk, const struct sock_call *st, const __u8 *h)
{
	struct ec_event *e = ec_event_reserve(EC_KIND_SKIP, 5);
	if (!e)
		return;
	__u64 seq0;
	e->dir = st->dir;
	e->fd = st->fd;
	struct ec_conn *c = ec_conn_of_sk(e, sk, st->fd, 0, &seq0);
	if (!c) {
		bpf_ringbuf_discard(e, 0);
		return;
	}
	c->flags |= EC_CONN_SKIPPED;
	__builtin_memcpy(e->data, h, 5);
	bpf_ringbuf_submit(e, ec_wakeup(ec_cfg()));
}

static long sock_step(__u64 i, void *unused)
{
	__u32 zero = 0, cpu = bpf_get_smp_processor_id();
	struct sock_work *w = bpf_map_lookup_elem(&sock_work, &zero);
	struct ec_event *e = bpf_map_lookup_elem(&sock_buf, &cpu);
	if (!w || !e || w->done >= w->total)
		return 1;
	__u64 idx = w->idx;
	if (idx >= w->niov || idx >= EC_SOCK_IOVS)
		return 1;
	__u64 base = (__u64)w->v[idx].iov_base, len = w->v[idx].iov_len;
	__u64 n = len > w->off ? len - w->off : 0;
	if (n > EC_CHUNK - w->filled)
		n = EC_CHUNK - w->filled;
	if (n > w->total - w->done)
		n = w->total - w->done;
	if (n) {
		__u64 at = w->filled;
		barrier_var(at);
		barrier_var(n);
		if (at >= EC_CHUNK || n > EC_CHUNK)
			return 1;
		if (bpf_probe_read_user(e->data + at, n, (const void *)(base + w->off)))
			w->bad = 1;
		w->filled += n;
		w->off += n;
		w->done += n;
	}
	if (w->off >= len) {
		w->idx++;
		w->off = 0;
	}
	if (w->filled == EC_CHUNK || w->done >= w->total) {
		e->seq = w->seq++;
		e->offset = w->done - w->filled;
		if (w->bad)
			ec_count_lost(); /* unreadable buffer: the event is lost, say so */
		else
			ec_submit(e, w->filled, ec_cfg());
		w->filled = 0;
		w->bad = 0;
	}
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sock_exit, struct pt_regs *regs, long ret)
{
	long nr = regs->orig_ax;
	if (!sock_dir(nr))
		return 0;
	struct sock_call *a = bpf_task_storage_get(&sock_calls, bpf_get_current_task_btf(), 0, 0);
	if (!a || !a->sk)
		return 0;
	struct sock_call st = *a;
	a->sk = 0;
	if (ret <= 0 || st.nr != nr)
		return 0;

	__u32 zero = 0, cpu = bpf_get_smp_processor_id();
	struct sock_work *w = bpf_map_lookup_elem(&sock_work, &zero);
	struct ec_event *e = bpf_map_lookup_elem(&sock_buf, &cpu);
	struct ec_cfg *cfg = ec_cfg();
	if (!w || !e || !cfg)
		return 0;
	__u64 niov = st.iovcnt;
	if (!niov) {
		w->v[0].iov_base = (void *)st.buf;
		w->v[0].iov_len = ret;
		niov = 1;
	} else {
		barrier_var(niov);
		if (niov > EC_SOCK_IOVS)
			return 0;
		if (bpf_probe_read_user(w->v, niov * sizeof(struct iovec), (const void *)st.buf)) {
			ec_count_lost();
			return 0;
		}
	}

	/* TLS? the first bytes of the call (of its first iovec) */
	struct sock *sk = (struct sock *)st.sk;
	__u64 key = st.sk;
	struct ec_conn *c = bpf_map_lookup_elem(&ec_conns, &key);
	if (c && (c->flags & EC_CONN_SKIPPED)) /* skipped while this call was in flight */
		return 0;
	__u8 h[5];
	if (ret >= 5 && (__u64)w->v[0].iov_len >= 5 &&
	    !bpf_probe_read_user(h, sizeof(h), w->v[0].iov_base) && tls_record(h, !c)) {
		skip_conn(sk, &st, h);
		return 0;
	}

	ec_event_init(e, EC_KIND_DATA);
	e->dir = st.dir;
	e->fd = st.fd;
	__u64 seq0 = 0, nchunks = ec_chunks(e, cfg, ret);
	if (!ec_conn_of_sk(e, sk, st.fd, nchunks, &seq0))
		return 0;
	__u64 total = e->flags & EC_F_TRUNCATED ? cfg->truncate : e->call_len;
	if (total > nchunks * EC_CHUNK)
		total = nchunks * EC_CHUNK;
	w->niov = niov;
	w->total = total;
	w->done = w->idx = w->off = w->filled = w->bad = 0;
	w->seq = seq0;
	bpf_loop(nchunks + niov, sock_step, 0, 0);
	return 0;
}
