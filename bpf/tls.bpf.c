// SPDX-License-Identifier: GPL-2.0
/*
 * ec-capture tls: plaintext of OpenSSL/BoringSSL SSL_read/SSL_write.
 *
 * Entry uprobes stash the call's buffer per thread; tp_btf/sys_enter notes
 * the fd of the socket syscall made inside the call; the return probe emits
 * the bytes actually transferred, split in TLS_CHUNK pieces, with the
 * connection's 4-tuple from a CO-RE walk fd -> file -> socket -> sock.
 * tp_btf/inet_sock_set_state turns TCP_CLOSE into a close event.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "tls.h"
#include "tls_keys.bpf.h"
#include "sock.bpf.h"

#ifndef barrier_var
#define barrier_var(var) asm volatile("" : "+r"(var))
#endif

char LICENSE[] SEC("license") = "GPL";

/* One SSL call in progress on a thread. */
struct active {
	__u64 ssl;
	__u64 buf;
	__u64 nbytes_ptr; /* size_t * of the _ex calls, 0 otherwise */
	__s32 fd;	  /* from a syscall inside the call, -1 until then */
	__u32 dir;
	__u32 depth; /* nested SSL calls on the same thread */
	__u32 pad;
};

struct ssl_key {
	__u64 ssl;
	__u32 tgid;
	__u32 pad;
};

struct conn {
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
	char comm[TLS_COMM_LEN];
	__u64 keys_ssl; /* the SSL* whose keys were sent for this connection */
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} tls_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tls_cfg);
} tls_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, char[TLS_COMM_LEN]);
	__type(value, __u32);
} tls_comms SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} tls_lost SEC(".maps");

/* The SSL call in progress on each thread (task storage: no hashing). */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct active);
} tls_active SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ssl_key);
	__type(value, __s32);
} tls_ssl_fd SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64); /* struct sock * */
	__type(value, struct conn);
} tls_conns SEC(".maps");

/* Scratch for building one event (too big for the stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__uint(value_size, sizeof(struct tls_event) + TLS_CHUNK);
} tls_scratch SEC(".maps");

/* Key log: the offsets row of the hooked library (key 0; all zero = off) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tls_ssl_offsets);
} tls_offsets SEC(".maps");

/* Key log: first 8 bytes of the client random whose keys were sent per SSL*
 * (an SSL* address reused by a new connection has a new random) */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ssl_key);
	__type(value, __u64);
} tls_keys_sent SEC(".maps");

__u64 next_conn_id = 0;

/* Key log: a row from the table is trusted only once the client random it
 * reads equals the one a ClientHello carried on the socket.  User space
 * sets this while it waits for that proof and clears it after: meanwhile
 * the handshake calls are hooked too, and the socket reads and writes made
 * inside an SSL call are looked at. */
__u32 verify_keys = 0;

/* A handshake call (SSL_do_handshake, SSL_connect, SSL_accept) in progress
 * on a thread, and a read() whose buffer is to be looked at on return. */
struct hs {
	__u64 ssl;
	__u64 rssl; /* the SSL* of the read in flight */
	__u64 rbuf; /* its buffer, 0 when none */
	__u32 depth;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct hs);
} tls_hs SEC(".maps");

static __always_inline void count_lost(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&tls_lost, &zero);
	if (n)
		(*n)++;
}

static __always_inline __u64 wakeup_flags(const struct tls_cfg *cfg)
{
	__u64 want = cfg ? cfg->wakeup_bytes : 0;
	if (want && bpf_ringbuf_query(&tls_events, BPF_RB_AVAIL_DATA) >= want)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

/* Does the current task pass the pid/uid/comm filters? */
static __always_inline int wanted(void)
{
	__u32 zero = 0;
	struct tls_cfg *cfg = bpf_map_lookup_elem(&tls_config, &zero);
	if (!cfg)
		return 0;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	if (cfg->pid && (__u32)(pid_tgid >> 32) != cfg->pid)
		return 0;
	if (cfg->uid_set && (__u32)bpf_get_current_uid_gid() != cfg->uid)
		return 0;
	if (!cfg->n_target && !cfg->n_ignore)
		return 1; /* no name filters: skip the comm lookup */
	char comm[TLS_COMM_LEN] = {};
	bpf_get_current_comm(comm, sizeof(comm));
	__u32 *mark = bpf_map_lookup_elem(&tls_comms, comm);
	if (mark && *mark == TLS_COMM_IGNORE)
		return 0;
	if (cfg->n_target && !(mark && *mark == TLS_COMM_TARGET))
		return 0;
	return 1;
}

static __always_inline int enter(__u32 dir, void *ssl, const void *buf, __u64 nbytes_ptr)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct active *a = bpf_task_storage_get(&tls_active, task, 0, 0);
	if (a && a->depth) { /* SSL_write_ex -> SSL_write style nesting: keep the outer */
		a->depth++;
		return 0;
	}
	if (!wanted())
		return 0;
	if (!a)
		a = bpf_task_storage_get(&tls_active, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!a)
		return 0;
	a->ssl = (__u64)ssl;
	a->buf = (__u64)buf;
	a->nbytes_ptr = nbytes_ptr;
	a->fd = -1;
	a->dir = dir;
	a->depth = 1;
	return 0;
}

/* Once per connection (SSL* + client random), after its first successful
 * SSL_read/SSL_write: the handshake is done, the secrets are in place. */
static __always_inline int emit_keys(const struct ssl_key *sk_key, const struct tls_event *d,
				     const struct tls_cfg *cfg)
{
	__u32 zero = 0;
	struct tls_ssl_offsets *off = bpf_map_lookup_elem(&tls_offsets, &zero);
	if (!off || !off->session)
		return 0; /* no offsets row: nothing to send */
	__u64 rnd = 0, *sent = bpf_map_lookup_elem(&tls_keys_sent, sk_key);
	const char *s3 = (const char *)sk_key->ssl + off->s3;
	if (off->flags & TLS_OFF_S3_PTR) {
		s3 = 0;
		if (bpf_probe_read_user(&s3, sizeof(s3), (const char *)sk_key->ssl + off->s3))
			return -1;
	}
	if (!s3 || bpf_probe_read_user(&rnd, sizeof(rnd), s3 + off->s3_client_random) || !rnd)
		return -1;
	if (sent && *sent == rnd)
		return 0;
	struct tls_event *e =
	    bpf_ringbuf_reserve(&tls_events, sizeof(*e) + sizeof(struct tls_keys), 0);
	if (!e) {
		count_lost();
		return -1;
	}
	__builtin_memcpy(e, d, sizeof(*e));
	e->kind = TLS_KIND_KEYS;
	e->len = sizeof(struct tls_keys);
	e->seq = 0;
	e->offset = 0;
	e->ts_ns = bpf_ktime_get_ns();
	struct tls_keys *k = (struct tls_keys *)e->data;
	__builtin_memset(k, 0, sizeof(*k));
	if (tls_read_keys((const void *)sk_key->ssl, off, k)) {
		bpf_ringbuf_discard(e, 0);
		return -1;
	}
	bpf_map_update_elem(&tls_keys_sent, sk_key, &rnd, BPF_ANY);
	bpf_ringbuf_submit(e, wakeup_flags(cfg));
	return 0;
}

struct emit_ctx {
	struct tls_cfg *cfg;
	__u64 buf;
	__u64 len; /* bytes to emit (after --truncate) */
	__u64 seq0;
};

static long emit_chunk(__u64 i, struct emit_ctx *c)
{
	__u32 zero = 0;
	__u64 off = i * TLS_CHUNK;
	if (off >= c->len)
		return 1;
	struct tls_event *e = bpf_map_lookup_elem(&tls_scratch, &zero);
	if (!e)
		return 1;
	__u64 n = c->len - off;
	if (n > TLS_CHUNK)
		n = TLS_CHUNK;
	barrier_var(n);
	if (n > TLS_CHUNK)
		return 1;
	e->seq = c->seq0 + i;
	e->offset = off;
	e->len = n;
	e->ts_ns = bpf_ktime_get_ns();
	if (bpf_probe_read_user(e->data, n, (const void *)(c->buf + off))) {
		count_lost(); /* unreadable buffer: the chunk is lost, say so */
		return 0;
	}
	__u64 size = sizeof(*e) + n;
	barrier_var(size);
	if (size > sizeof(*e) + TLS_CHUNK)
		return 1;
	if (bpf_ringbuf_output(&tls_events, e, size, wakeup_flags(c->cfg)))
		count_lost();
	return 0;
}

static __always_inline int leave(struct pt_regs *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	struct active *a = bpf_task_storage_get(&tls_active, bpf_get_current_task_btf(), 0, 0);
	if (!a || !a->depth)
		return 0;
	if (a->depth > 1) {
		a->depth--;
		return 0;
	}
	struct active st = *a;
	a->depth = 0;

	int ret = (int)PT_REGS_RC(ctx); /* SSL_* return int: rax's top half is junk */
	__u64 len = 0;
	if (st.nbytes_ptr) {
		if (ret != 1)
			return 0;
		if (bpf_probe_read_user(&len, sizeof(len), (const void *)st.nbytes_ptr))
			return 0;
	} else {
		if (ret <= 0)
			return 0;
		len = ret;
	}
	if (!len)
		return 0;

	/* the fd: from this call's syscall, else the last one seen for this SSL* */
	__s32 fd = st.fd;
	struct ssl_key sk_key = {.ssl = st.ssl, .tgid = pid_tgid >> 32};
	__s32 *pfd = bpf_map_lookup_elem(&tls_ssl_fd, &sk_key);
	if (fd >= 0) {
		if (!pfd || *pfd != fd) /* an update costs more than a lookup */
			bpf_map_update_elem(&tls_ssl_fd, &sk_key, &fd, BPF_ANY);
	} else if (pfd) {
		fd = *pfd;
	}

	__u32 zero = 0;
	struct tls_cfg *cfg = bpf_map_lookup_elem(&tls_config, &zero);
	struct tls_event *e = bpf_map_lookup_elem(&tls_scratch, &zero);
	if (!cfg || !e)
		return 0;

	__u64 emit = len;
	__u32 truncated = 0;
	if (cfg->truncate && emit > cfg->truncate) {
		emit = cfg->truncate;
		truncated = 1;
	}
	__u64 nchunks = (emit + TLS_CHUNK - 1) / TLS_CHUNK;

	__builtin_memset(e, 0, sizeof(*e));
	e->kind = TLS_KIND_DATA;
	e->dir = st.dir;
	e->pid = pid_tgid >> 32;
	e->tid = tid;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->fd = fd;
	e->call_len = len;
	e->truncated = truncated;
	e->ssl = st.ssl;
	bpf_get_current_comm(e->comm, sizeof(e->comm));

	__u64 seq0 = 0;
	int keys_done = 0;
	struct sock *sk = fd >= 0 ? ec_fd_sock(fd) : 0;
	if (sk) {
		__u64 key = (__u64)sk;
		struct conn *c = bpf_map_lookup_elem(&tls_conns, &key);
		if (!c) {
			struct conn n = {};
			n.id = __sync_fetch_and_add(&next_conn_id, 1) + 1;
			n.pid = e->pid;
			n.tid = tid;
			n.uid = e->uid;
			n.fd = fd;
			__builtin_memcpy(n.comm, e->comm, sizeof(n.comm));
			ec_sock_tuple(sk, &n.family, n.saddr, n.daddr, &n.sport, &n.dport);
			bpf_map_update_elem(&tls_conns, &key, &n, BPF_NOEXIST);
			c = bpf_map_lookup_elem(&tls_conns, &key);
		}
		if (c) {
			e->conn_id = c->id;
			e->family = c->family;
			e->sport = c->sport;
			e->dport = c->dport;
			__builtin_memcpy(e->saddr, c->saddr, sizeof(e->saddr));
			__builtin_memcpy(e->daddr, c->daddr, sizeof(e->daddr));
			__u32 d = st.dir == TLS_DIR_WRITE ? 1 : 0;
			seq0 = __sync_fetch_and_add(&c->seq[d], nchunks);
			/* keys once per connection: later calls skip the random's read */
			if (c->keys_ssl == st.ssl)
				keys_done = 1;
			else if (emit_keys(&sk_key, e, cfg) == 0)
				c->keys_ssl = st.ssl;
			keys_done = 1;
		}
	}
	if (!keys_done)
		emit_keys(&sk_key, e, cfg);

	struct emit_ctx ec = {.cfg = cfg, .buf = st.buf, .len = emit, .seq0 = seq0};
	if (nchunks > TLS_MAX_CHUNKS)
		nchunks = TLS_MAX_CHUNKS;
	bpf_loop(nchunks, emit_chunk, &ec, 0);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(ssl_write_enter, void *ssl, const void *buf, int num)
{
	return enter(TLS_DIR_WRITE, ssl, buf, 0);
}

SEC("uprobe")
int BPF_KPROBE(ssl_read_enter, void *ssl, void *buf, int num)
{
	return enter(TLS_DIR_READ, ssl, buf, 0);
}

SEC("uprobe")
int BPF_KPROBE(ssl_write_ex_enter, void *ssl, const void *buf, __u64 num, __u64 *written)
{
	return enter(TLS_DIR_WRITE, ssl, buf, (__u64)written);
}

SEC("uprobe")
int BPF_KPROBE(ssl_read_ex_enter, void *ssl, void *buf, __u64 num, __u64 *readbytes)
{
	return enter(TLS_DIR_READ, ssl, buf, (__u64)readbytes);
}

SEC("uretprobe")
int BPF_KRETPROBE(ssl_return)
{
	return leave(ctx);
}

/* A ClientHello at buf (a TLS record, or a handshake message read on its
 * own after its 5-byte record header): its client random as an event. */
static __always_inline void emit_hello(__u64 ssl, const void *buf, long got)
{
	__u8 b[43];
	if (bpf_probe_read_user(b, sizeof(b), buf))
		return;
	int rec = b[0] == 0x16 && b[1] == 0x03 && b[5] == 0x01 && b[9] == 0x03 && b[10] <= 0x04;
	int msg = b[0] == 0x01 && b[4] == 0x03 && b[5] <= 0x04;
	if ((!rec && !msg) || (got >= 0 && got < (rec ? 43 : 38)))
		return;
	struct tls_event *e = bpf_ringbuf_reserve(&tls_events, sizeof(*e) + 32, 0);
	if (!e) {
		count_lost();
		return;
	}
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__builtin_memset(e, 0, sizeof(*e));
	e->kind = TLS_KIND_HELLO;
	e->ts_ns = bpf_ktime_get_ns();
	e->pid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->ssl = ssl;
	e->len = 32;
	if (rec)
		__builtin_memcpy(e->data, b + 11, 32);
	else
		__builtin_memcpy(e->data, b + 6, 32);
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
}

/* While a row is verified: a write inside an SSL call may carry a
 * ClientHello now, a read after it returns (sys_exit). */
static __always_inline void hello_enter(struct task_struct *task, struct active *a,
					struct pt_regs *regs, long id)
{
	struct hs *h = bpf_task_storage_get(&tls_hs, task, 0, 0);
	__u64 ssl = h && h->depth ? h->ssl : (a && a->depth ? a->ssl : 0);
	if (!ssl)
		return;
	const void *buf = (const void *)BPF_CORE_READ(regs, si);
	if (id == NR_WRITE || id == NR_SENDTO) {
		emit_hello(ssl, buf, -1);
		return;
	}
	if (id != NR_READ && id != NR_RECVFROM)
		return;
	if (!h)
		h = bpf_task_storage_get(&tls_hs, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (h) {
		h->rssl = ssl;
		h->rbuf = (__u64)buf;
	}
}

SEC("uprobe")
int BPF_KPROBE(ssl_hs_enter, void *ssl)
{
	if (!verify_keys || !wanted())
		return 0;
	struct hs *h = bpf_task_storage_get(&tls_hs, bpf_get_current_task_btf(), 0,
					    BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (h && h->depth++ == 0)
		h->ssl = (__u64)ssl;
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(ssl_hs_return)
{
	struct hs *h = bpf_task_storage_get(&tls_hs, bpf_get_current_task_btf(), 0, 0);
	if (h && h->depth)
		h->depth--;
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	if (!verify_keys)
		return 0;
	struct hs *h = bpf_task_storage_get(&tls_hs, bpf_get_current_task_btf(), 0, 0);
	if (!h || !h->rbuf)
		return 0;
	__u64 buf = h->rbuf;
	h->rbuf = 0;
	if (ret > 0)
		emit_hello(h->rssl, (const void *)buf, ret);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long id)
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
	struct task_struct *task = bpf_get_current_task_btf();
	struct active *a = bpf_task_storage_get(&tls_active, task, 0, 0);
	if (a && a->depth)
		a->fd = (__s32)BPF_CORE_READ(regs, di);
	if (verify_keys)
		hello_enter(task, a, regs, id);
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(sock_state, struct sock *sk, int oldstate, int newstate)
{
	if (newstate != TCP_CLOSE)
		return 0;
	__u64 key = (__u64)sk;
	struct conn *c = bpf_map_lookup_elem(&tls_conns, &key);
	if (!c)
		return 0;
	__u32 zero = 0;
	struct tls_cfg *cfg = bpf_map_lookup_elem(&tls_config, &zero);
	struct tls_event *e = bpf_ringbuf_reserve(&tls_events, sizeof(*e), 0);
	if (!e) {
		count_lost();
		bpf_map_delete_elem(&tls_conns, &key);
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->kind = TLS_KIND_CLOSE;
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
	bpf_map_delete_elem(&tls_conns, &key);
	bpf_ringbuf_submit(e, wakeup_flags(cfg));
	return 0;
}
