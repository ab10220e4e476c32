// SPDX-License-Identifier: GPL-2.0-only
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

#include "common.bpf.h"
#include "conn.bpf.h"
#include "files.bpf.h"

#define RECORD_APPDATA 23

/* The calling convention of each hooked program, by its slot (the probes'
 * attach cookie): 1 for Go >= 1.17's amd64 register ABI, else ABI0.
 * Set by user space before it attaches. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EC_TLS_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} gotls_abi SEC(".maps");

static __always_inline __u32 regabi_of(struct pt_regs *ctx)
{
	__u32 slot = (__u32)bpf_get_attach_cookie(ctx);
	__u32 *v = bpf_map_lookup_elem(&gotls_abi, &slot);
	return v ? *v : 1;
}

/* Set by user space before load. */
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

/* Read calls in progress, by goroutine. LRU: a goroutine that dies inside Read is forgotten. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct read_key);
	__type(value, struct read_call);
} gotls_reads SEC(".maps");

/* Argument word i (0-based) of the call: a register or a stack slot. */
static __always_inline __u64 arg(struct pt_regs *ctx, __u32 regabi, int i)
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
static __always_inline __u64 cur_g(struct pt_regs *ctx, __u32 regabi)
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

static __always_inline int emit(struct pt_regs *ctx, __u32 dir, __u64 goconn, __u64 buf, __u64 len)
{
	if (!len || !buf)
		return 0;
	struct ec_cfg *cfg = ec_cfg();
	struct ec_event *e = ec_event_new_data();
	if (!cfg || !e)
		return 0;
	e->dir = dir;
	e->handle = goconn;
	e->aux = (__u32)bpf_get_attach_cookie(ctx);
	e->fd = conn_fd(goconn);
	__u64 seq0 = 0, nchunks = ec_chunks(e, cfg, len);
	ec_conn_of(e, e->fd, nchunks, &seq0);
	ec_emit(e, cfg, buf, nchunks, seq0);
	return 0;
}

/* func (c *Conn) writeRecordLocked(typ recordType, data []byte) (int, error) */
SEC("uprobe")
int go_write(struct pt_regs *ctx)
{
	if (!ec_wanted())
		return 0;
	__u32 abi = regabi_of(ctx);
	__u64 typ = arg(ctx, abi, 1); /* recordType is a uint8 */
	if ((typ & 0xff) != RECORD_APPDATA)
		return 0;
	return emit(ctx, EC_DIR_WRITE, arg(ctx, abi, 0), arg(ctx, abi, 2), arg(ctx, abi, 3));
}

/* func (c *Conn) Read(b []byte) (int, error): entry */
SEC("uprobe")
int go_read_enter(struct pt_regs *ctx)
{
	if (!ec_wanted())
		return 0;
	__u32 abi = regabi_of(ctx);
	struct read_key k = {.g = cur_g(ctx, abi), .tgid = bpf_get_current_pid_tgid() >> 32};
	struct read_call c = {
	    .conn = arg(ctx, abi, 0), .buf = arg(ctx, abi, 1), .cap = arg(ctx, abi, 2)};
	if (!k.g)
		return 0;
	bpf_map_update_elem(&gotls_reads, &k, &c, BPF_ANY);
	return 0;
}

/* (*Conn).Read: at each RET instruction. Results: n in RAX, or above the args (ABI0). */
SEC("uprobe")
int go_read_ret(struct pt_regs *ctx)
{
	__u32 abi = regabi_of(ctx);
	struct read_key k = {.g = cur_g(ctx, abi), .tgid = bpf_get_current_pid_tgid() >> 32};
	struct read_call *p = bpf_map_lookup_elem(&gotls_reads, &k);
	if (!p)
		return 0;
	struct read_call c = *p;
	bpf_map_delete_elem(&gotls_reads, &k);
	__s64 n = abi ? (__s64)ctx->ax : (__s64)arg(ctx, abi, 4); /* c, b.ptr, b.len, b.cap, n */
	if (n <= 0 || (__u64)n > c.cap)
		return 0;
	return emit(ctx, EC_DIR_READ, c.conn, c.buf, (__u64)n);
}

/* func (c *Config) writeKeyLog(label string, clientRandom, secret []byte) error */
SEC("uprobe")
int go_keylog(struct pt_regs *ctx)
{
	if (!ec_wanted())
		return 0;
	__u32 abi = regabi_of(ctx);
	__u64 label = arg(ctx, abi, 1), label_len = arg(ctx, abi, 2);
	__u64 random = arg(ctx, abi, 3), random_len = arg(ctx, abi, 4);
	__u64 secret = arg(ctx, abi, 6), secret_len = arg(ctx, abi, 7);
	struct ec_event *e = ec_event_reserve(EC_KIND_KEYLOG, sizeof(struct ec_keylog));
	if (!e)
		return 0;
	struct ec_keylog *k = (struct ec_keylog *)e->data;
	__builtin_memset(k, 0, sizeof(*k));
	if (label_len > EC_KEYLOG_LABEL)
		label_len = EC_KEYLOG_LABEL;
	if (random_len > EC_KEYLOG_SECRET)
		random_len = EC_KEYLOG_SECRET;
	if (secret_len > EC_KEYLOG_SECRET)
		secret_len = EC_KEYLOG_SECRET;
	barrier_var(label_len);
	barrier_var(random_len);
	barrier_var(secret_len);
	if (label_len <= EC_KEYLOG_LABEL &&
	    !bpf_probe_read_user(k->label, label_len, (void *)label))
		k->label_len = label_len;
	if (random_len <= EC_KEYLOG_SECRET &&
	    !bpf_probe_read_user(k->random, random_len, (void *)random))
		k->random_len = random_len;
	if (secret_len <= EC_KEYLOG_SECRET &&
	    !bpf_probe_read_user(k->secret, secret_len, (void *)secret))
		k->secret_len = secret_len;
	bpf_ringbuf_submit(e, ec_wakeup(ec_cfg()));
	return 0;
}
