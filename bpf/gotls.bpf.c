// SPDX-License-Identifier: GPL-2.0
/*
 * ec-capture gotls: plaintext of Go crypto/tls, from plain uprobes only.
 *
 * - go_write, after the stack check of (*Conn).writeRecordLocked: when the
 *   record type is application data (23), emit the plaintext about to be
 *   sealed.
 * - go_read_enter, after the stack check of (*Conn).Read: remember the
 *   buffer per goroutine (the g pointer: R14 under the register ABI, the
 *   thread's TLS slot fs:-8 under the stack ABI); goroutines move between
 *   threads while they block, so a thread id would not find it again.
 * - go_read_ret, on every RET instruction of (*Conn).Read (never a
 *   uretprobe: it rewrites the return address on a stack the Go runtime
 *   moves): emit the n bytes the call returned.
 * - go_keylog, after the stack check of (*Config).writeKeyLog: label, client
 *   random and secret, for NSS key log lines (called whether or not the
 *   program set a KeyLogWriter).
 * The fd comes from a struct walk tls.Conn.conn (net.Conn) -> *net.TCPConn
 * -> *netFD -> poll.FD.Sysfd (offsets in rodata, set by user space), checked
 * to be a socket of the current process; its 4-tuple from the kernel's sock.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "gotls.h"
#include "sock.bpf.h"

#define RECORD_APPDATA 23

#ifndef barrier_var
#define barrier_var(var) asm volatile("" : "+r"(var))
#endif

char LICENSE[] SEC("license") = "GPL";

/* Set by user space before load. */
const volatile __u32 regabi = 1;	   /* Go >= 1.17 amd64 register ABI */
const volatile __u64 off_conn_data = 8;	   /* tls.Conn.conn's data word (iface) */
const volatile __u64 off_tcpconn_fd = 0;   /* net.TCPConn.conn.fd (*netFD) */
const volatile __u64 off_netfd_sysfd = 16; /* netFD.pfd.Sysfd */

struct read_key {
	__u64 g; /* the goroutine's g */
	__u32 tgid;
	__u32 pad;
};

struct read_call {
	__u64 conn;
	__u64 buf;
	__u64 cap;
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
	char comm[GOTLS_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} gotls_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gotls_cfg);
} gotls_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, char[GOTLS_COMM_LEN]);
	__type(value, __u32);
} gotls_comms SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} gotls_lost SEC(".maps");

/* Read calls in progress, by goroutine. LRU: a goroutine that dies inside Read is forgotten. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct read_key);
	__type(value, struct read_call);
} gotls_reads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64); /* struct sock * */
	__type(value, struct conn);
} gotls_conns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__uint(value_size, sizeof(struct gotls_event) + GOTLS_CHUNK);
} gotls_scratch SEC(".maps");

__u64 next_conn_id = 0;

static __always_inline void count_lost(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&gotls_lost, &zero);
	if (n)
		(*n)++;
}

static __always_inline __u64 wakeup_flags(const struct gotls_cfg *cfg)
{
	__u64 want = cfg ? cfg->wakeup_bytes : 0;
	if (want && bpf_ringbuf_query(&gotls_events, BPF_RB_AVAIL_DATA) >= want)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

static __always_inline int wanted(void)
{
	__u32 zero = 0;
	struct gotls_cfg *cfg = bpf_map_lookup_elem(&gotls_config, &zero);
	if (!cfg)
		return 0;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	if (cfg->pid && (__u32)(pid_tgid >> 32) != cfg->pid)
		return 0;
	if (cfg->uid_set && (__u32)bpf_get_current_uid_gid() != cfg->uid)
		return 0;
	char comm[GOTLS_COMM_LEN] = {};
	bpf_get_current_comm(comm, sizeof(comm));
	__u32 *mark = bpf_map_lookup_elem(&gotls_comms, comm);
	if (mark && *mark == GOTLS_COMM_IGNORE)
		return 0;
	if (cfg->n_target && !(mark && *mark == GOTLS_COMM_TARGET))
		return 0;
	return 1;
}

/* Argument word i (0-based) of the call: a register or a stack slot. */
static __always_inline __u64 arg(struct pt_regs *ctx, int i)
{
	if (regabi) {
		switch (i) { /* amd64 ABIInternal integer registers */
		case 0:
			return ctx->ax;
		case 1:
			return ctx->bx;
		case 2:
			return ctx->cx;
		case 3:
			return ctx->di;
		case 4:
			return ctx->si;
		case 5:
			return ctx->r8;
		case 6:
			return ctx->r9;
		case 7:
			return ctx->r10;
		default:
			return ctx->r11;
		}
	}
	__u64 v = 0; /* ABI0: arguments above the return address */
	bpf_probe_read_user(&v, sizeof(v), (void *)(ctx->sp + 8 + 8 * (__u64)i));
	return v;
}

/* The current goroutine's g. */
static __always_inline __u64 cur_g(struct pt_regs *ctx)
{
	if (regabi)
		return ctx->r14;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task_btf();
	__u64 fsbase = BPF_CORE_READ(task, thread.fsbase), g = 0;
	bpf_probe_read_user(&g, sizeof(g), (void *)(fsbase - 8));
	return g;
}

/* tls.Conn -> net.Conn -> *net.TCPConn -> *netFD -> Sysfd; -1 if unreadable. */
static __always_inline int conn_fd(__u64 conn)
{
	__u64 tcpconn = 0, netfd = 0;
	__s64 sysfd = -1;
	if (bpf_probe_read_user(&tcpconn, sizeof(tcpconn), (void *)(conn + off_conn_data)) ||
	    !tcpconn)
		return -1;
	if (bpf_probe_read_user(&netfd, sizeof(netfd), (void *)(tcpconn + off_tcpconn_fd)) ||
	    !netfd)
		return -1;
	if (bpf_probe_read_user(&sysfd, sizeof(sysfd), (void *)(netfd + off_netfd_sysfd)))
		return -1;
	if (sysfd < 0 || sysfd > 0x7fffffff)
		return -1;
	return (int)sysfd;
}

struct emit_ctx {
	struct gotls_cfg *cfg;
	__u64 buf;
	__u64 len;
	__u64 seq0;
};

static long emit_chunk(__u64 i, struct emit_ctx *c)
{
	__u32 zero = 0;
	__u64 off = i * GOTLS_CHUNK;
	if (off >= c->len)
		return 1;
	struct gotls_event *e = bpf_map_lookup_elem(&gotls_scratch, &zero);
	if (!e)
		return 1;
	__u64 n = c->len - off;
	if (n > GOTLS_CHUNK)
		n = GOTLS_CHUNK;
	barrier_var(n);
	if (n > GOTLS_CHUNK)
		return 1;
	e->seq = c->seq0 + i;
	e->offset = off;
	e->len = n;
	e->ts_ns = bpf_ktime_get_ns();
	if (bpf_probe_read_user(e->data, n, (const void *)(c->buf + off))) {
		count_lost();
		return 0;
	}
	__u64 size = sizeof(*e) + n;
	barrier_var(size);
	if (size > sizeof(*e) + GOTLS_CHUNK)
		return 1;
	if (bpf_ringbuf_output(&gotls_events, e, size, wakeup_flags(c->cfg)))
		count_lost();
	return 0;
}

static __always_inline int emit(__u32 dir, __u64 goconn, __u64 buf, __u64 len)
{
	if (!len || !buf)
		return 0;
	__u32 zero = 0;
	struct gotls_cfg *cfg = bpf_map_lookup_elem(&gotls_config, &zero);
	struct gotls_event *e = bpf_map_lookup_elem(&gotls_scratch, &zero);
	if (!cfg || !e)
		return 0;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 out = len;
	__u32 truncated = 0;
	if (cfg->truncate && out > cfg->truncate) {
		out = cfg->truncate;
		truncated = 1;
	}
	__u64 nchunks = (out + GOTLS_CHUNK - 1) / GOTLS_CHUNK;

	__builtin_memset(e, 0, sizeof(*e));
	e->kind = GOTLS_KIND_DATA;
	e->dir = dir;
	e->pid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->call_len = len;
	e->truncated = truncated;
	e->goconn = goconn;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	int fd = conn_fd(goconn);
	e->fd = fd;

	__u64 seq0 = 0;
	struct sock *sk = fd >= 0 ? ec_fd_sock(fd) : 0;
	if (sk) {
		__u64 key = (__u64)sk;
		struct conn *c = bpf_map_lookup_elem(&gotls_conns, &key);
		if (!c) {
			struct conn n = {};
			n.id = __sync_fetch_and_add(&next_conn_id, 1) + 1;
			n.pid = e->pid;
			n.tid = e->tid;
			n.uid = e->uid;
			n.fd = fd;
			__builtin_memcpy(n.comm, e->comm, sizeof(n.comm));
			ec_sock_tuple(sk, &n.family, n.saddr, n.daddr, &n.sport, &n.dport);
			bpf_map_update_elem(&gotls_conns, &key, &n, BPF_NOEXIST);
			c = bpf_map_lookup_elem(&gotls_conns, &key);
		}
		if (c) {
			e->conn_id = c->id;
			e->family = c->family;
			e->sport = c->sport;
			e->dport = c->dport;
			__builtin_memcpy(e->saddr, c->saddr, sizeof(e->saddr));
			__builtin_memcpy(e->daddr, c->daddr, sizeof(e->daddr));
			__u32 d = dir == GOTLS_DIR_WRITE ? 1 : 0;
			seq0 = __sync_fetch_and_add(&c->seq[d], nchunks);
		}
	} else {
		e->fd = fd >= 0 ? fd : -1;
	}

	struct emit_ctx ec = {.cfg = cfg, .buf = buf, .len = out, .seq0 = seq0};
	if (nchunks > GOTLS_MAX_CHUNKS)
		nchunks = GOTLS_MAX_CHUNKS;
	bpf_loop(nchunks, emit_chunk, &ec, 0);
	return 0;
}

/* func (c *Conn) writeRecordLocked(typ recordType, data []byte) (int, error) */
SEC("uprobe")
int go_write(struct pt_regs *ctx)
{
	if (!wanted())
		return 0;
	__u64 typ = arg(ctx, 1); /* recordType is a uint8 */
	if ((typ & 0xff) != RECORD_APPDATA)
		return 0;
	return emit(GOTLS_DIR_WRITE, arg(ctx, 0), arg(ctx, 2), arg(ctx, 3));
}

/* func (c *Conn) Read(b []byte) (int, error): entry */
SEC("uprobe")
int go_read_enter(struct pt_regs *ctx)
{
	if (!wanted())
		return 0;
	struct read_key k = {.g = cur_g(ctx), .tgid = bpf_get_current_pid_tgid() >> 32};
	struct read_call c = {.conn = arg(ctx, 0), .buf = arg(ctx, 1), .cap = arg(ctx, 2)};
	if (!k.g)
		return 0;
	bpf_map_update_elem(&gotls_reads, &k, &c, BPF_ANY);
	return 0;
}

/* (*Conn).Read: at each RET instruction. Results: n in RAX, or above the args (ABI0). */
SEC("uprobe")
int go_read_ret(struct pt_regs *ctx)
{
	struct read_key k = {.g = cur_g(ctx), .tgid = bpf_get_current_pid_tgid() >> 32};
	struct read_call *p = bpf_map_lookup_elem(&gotls_reads, &k);
	if (!p)
		return 0;
	struct read_call c = *p;
	bpf_map_delete_elem(&gotls_reads, &k);
	__s64 n = regabi ? (__s64)ctx->ax : (__s64)arg(ctx, 4); /* c, b.ptr, b.len, b.cap, n */
	if (n <= 0 || (__u64)n > c.cap)
		return 0;
	return emit(GOTLS_DIR_READ, c.conn, c.buf, (__u64)n);
}

/* func (c *Config) writeKeyLog(label string, clientRandom, secret []byte) error */
SEC("uprobe")
int go_keylog(struct pt_regs *ctx)
{
	if (!wanted())
		return 0;
	__u64 label = arg(ctx, 1), label_len = arg(ctx, 2);
	__u64 random = arg(ctx, 3), random_len = arg(ctx, 4);
	__u64 secret = arg(ctx, 6), secret_len = arg(ctx, 7);
	struct gotls_keylog *e = bpf_ringbuf_reserve(&gotls_events, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	e->kind = GOTLS_KIND_KEYLOG;
	e->pid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->ts_ns = bpf_ktime_get_ns();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	if (label_len > GOTLS_LABEL_MAX)
		label_len = GOTLS_LABEL_MAX;
	if (random_len > GOTLS_SECRET_MAX)
		random_len = GOTLS_SECRET_MAX;
	if (secret_len > GOTLS_SECRET_MAX)
		secret_len = GOTLS_SECRET_MAX;
	barrier_var(label_len);
	barrier_var(random_len);
	barrier_var(secret_len);
	if (label_len <= GOTLS_LABEL_MAX &&
	    !bpf_probe_read_user(e->label, label_len, (void *)label))
		e->label_len = label_len;
	if (random_len <= GOTLS_SECRET_MAX &&
	    !bpf_probe_read_user(e->random, random_len, (void *)random))
		e->random_len = random_len;
	if (secret_len <= GOTLS_SECRET_MAX &&
	    !bpf_probe_read_user(e->secret, secret_len, (void *)secret))
		e->secret_len = secret_len;
	__u32 zero = 0;
	bpf_ringbuf_submit(e, wakeup_flags(bpf_map_lookup_elem(&gotls_config, &zero)));
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(go_sock_state, struct sock *sk, int oldstate, int newstate)
{
	if (newstate != TCP_CLOSE)
		return 0;
	__u64 key = (__u64)sk;
	struct conn *c = bpf_map_lookup_elem(&gotls_conns, &key);
	if (!c)
		return 0;
	__u32 zero = 0;
	struct gotls_cfg *cfg = bpf_map_lookup_elem(&gotls_config, &zero);
	struct gotls_event *e = bpf_ringbuf_reserve(&gotls_events, sizeof(*e), 0);
	if (!e) {
		count_lost();
		bpf_map_delete_elem(&gotls_conns, &key);
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->kind = GOTLS_KIND_CLOSE;
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
	bpf_map_delete_elem(&gotls_conns, &key);
	bpf_ringbuf_submit(e, wakeup_flags(cfg));
	return 0;
}

/* --empty-probes: the same attach points with nothing to do (the baseline cost of a uprobe). */
SEC("uprobe")
int go_empty(struct pt_regs *ctx)
{
	return 0;
}
