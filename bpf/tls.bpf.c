// SPDX-License-Identifier: GPL-2.0-only
/*
 * ec-capture tls: plaintext of OpenSSL/BoringSSL SSL_read/SSL_write (and the
 * _ex variants) through bpf/tlscall.bpf.h, plus what is OpenSSL's own: the
 * key material of each connection read out of the SSL object with an
 * offsets row (bpf/tls_keys.bpf.h), and, while a row from the table waits
 * for its proof, the client randoms of ClientHellos seen on the socket.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "common.bpf.h"
#include "conn.bpf.h"
#include "tls_keys.bpf.h"
#include "files.bpf.h"

struct ec_handle_key;
struct ec_active;
static __always_inline void tls_keys_once(const struct ec_handle_key *key, const struct ec_event *d,
					  struct ec_conn *c);
static __always_inline void tls_hello_syscall(struct task_struct *task, struct ec_active *a,
					      struct pt_regs *regs, long id);
#define EC_CALL_ON_DATA(key, e, c) tls_keys_once(key, e, c)
#define EC_CALL_ON_SYSCALL(task, a, regs, id) tls_hello_syscall(task, a, regs, id)
#include "tlscall.bpf.h"

/* Key log: the offsets row of each hooked file, by its slot (the attach
 * cookie of its probes); all zero = no keys */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, EC_TLS_SLOTS);
	__type(key, __u32);
	__type(value, struct tls_ssl_offsets);
} tls_offsets SEC(".maps");

/* Key log: first 8 bytes of the client random whose keys were sent per SSL*
 * (an SSL* address reused by a new connection has a new random) */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ec_handle_key);
	__type(value, __u64);
} tls_keys_sent SEC(".maps");

/* Key log: a row from the table is trusted only once the client random it
 * reads equals the one a ClientHello carried on the socket.  User space
 * sets this while it waits for that proof and clears it after: meanwhile
 * the handshake calls are hooked too, and the socket reads and writes made
 * inside an SSL call are looked at. */
__u32 verify_keys = 0; /* how many files wait for their proof */

/* A handshake call (SSL_do_handshake, SSL_connect, SSL_accept) in progress
 * on a thread, and a read() whose buffer is to be looked at on return. */
struct hs {
	__u64 ssl;
	__u64 rssl; /* the SSL* of the read in flight */
	__u64 rbuf; /* its buffer, 0 when none */
	__u32 rslot;
	__u32 pad;
	__u32 depth;
	__u32 slot; /* of the handshake call in progress */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct hs);
} tls_hs SEC(".maps");

/* The keys of an SSL* (+ client random) once, after its first successful
 * SSL_read/SSL_write: the handshake is done, the secrets are in place.
 * 0 when sent (or sent before), else not done. */
static __always_inline int emit_keys(const struct ec_handle_key *key, const struct ec_event *d)
{
	__u32 slot = d->aux;
	struct tls_ssl_offsets *off = bpf_map_lookup_elem(&tls_offsets, &slot);
	if (!off || !off->session)
		return 1; /* no offsets row (yet: a file just hooked): try on the next call */
	__u64 rnd = 0, *sent = bpf_map_lookup_elem(&tls_keys_sent, key);
	const char *s3 = (const char *)key->handle + off->s3;
	if (off->flags & TLS_OFF_S3_PTR) {
		s3 = 0;
		if (bpf_probe_read_user(&s3, sizeof(s3), (const char *)key->handle + off->s3))
			return -1;
	}
	if (!s3 || bpf_probe_read_user(&rnd, sizeof(rnd), s3 + off->s3_client_random) || !rnd)
		return -1;
	if (sent && *sent == rnd)
		return 0;
	struct ec_event *e =
	    bpf_ringbuf_reserve(&ec_events, sizeof(*e) + sizeof(struct tls_keys), 0);
	if (!e) {
		ec_count_lost();
		return -1;
	}
	__builtin_memcpy(e, d, sizeof(*e));
	e->kind = EC_KIND_KEYS;
	e->len = sizeof(struct tls_keys);
	e->seq = 0;
	e->offset = 0;
	e->flags = 0;
	struct tls_keys *k = (struct tls_keys *)e->data;
	__builtin_memset(k, 0, sizeof(*k));
	if (tls_read_keys((const void *)key->handle, off, k)) {
		bpf_ringbuf_discard(e, 0);
		return -1;
	}
	bpf_map_update_elem(&tls_keys_sent, key, &rnd, BPF_ANY);
	bpf_ringbuf_submit(e, ec_wakeup(ec_cfg()));
	return 0;
}

/* Once per connection: later calls skip the random's read. */
static __always_inline void tls_keys_once(const struct ec_handle_key *key, const struct ec_event *d,
					  struct ec_conn *c)
{
	if (!c)
		emit_keys(key, d);
	else if (c->keys_handle != key->handle && emit_keys(key, d) == 0)
		c->keys_handle = key->handle;
}

SEC("uprobe")
int BPF_KPROBE(ssl_write_enter, void *ssl, const void *buf, int num)
{
	return ec_call_enter(ctx, EC_DIR_WRITE, (__u64)ssl, (__u64)buf);
}

SEC("uprobe")
int BPF_KPROBE(ssl_read_enter, void *ssl, void *buf, int num)
{
	return ec_call_enter(ctx, EC_DIR_READ, (__u64)ssl, (__u64)buf);
}

SEC("uprobe")
int BPF_KPROBE(ssl_write_ex_enter, void *ssl, const void *buf, __u64 num, __u64 *written)
{
	return ec_call_enter_ex(ctx, EC_DIR_WRITE, (__u64)ssl, (__u64)buf, (__u64)written);
}

SEC("uprobe")
int BPF_KPROBE(ssl_read_ex_enter, void *ssl, void *buf, __u64 num, __u64 *readbytes)
{
	return ec_call_enter_ex(ctx, EC_DIR_READ, (__u64)ssl, (__u64)buf, (__u64)readbytes);
}

SEC("uretprobe")
int BPF_KRETPROBE(ssl_return)
{
	return ec_call_leave((int)PT_REGS_RC(ctx)); /* SSL_* return int: rax's top half is junk */
}

/*
 * --keys-only: the keys once per handshake instead of data per call. A
 * handshake call (SSL_do_handshake, which SSL_connect and SSL_accept call
 * too) is kept like a data call without a buffer; when it returns 1 the
 * handshake is done and the keys go out. No socket is read here (sys_enter
 * is not attached): user space finds the connection by the ClientHello's
 * random (cmd/ec-capture/keysonly.h). Nothing fires per SSL_read/SSL_write.
 */
SEC("uprobe")
int BPF_KPROBE(ssl_hs_keys_enter, void *ssl)
{
	return ec_call_enter(ctx, EC_DIR_WRITE, (__u64)ssl, 0);
}

SEC("uretprobe")
int BPF_KRETPROBE(ssl_hs_keys_return)
{
	struct ec_active st;
	if (ec_call_pop(&st) || (int)PT_REGS_RC(ctx) != 1)
		return 0;
	struct ec_event *e = ec_event_new(EC_KIND_DATA);
	if (!e)
		return 0;
	e->dir = EC_DIR_WRITE;
	e->handle = st.handle;
	e->aux = st.slot;
	struct ec_handle_key key = {.handle = st.handle, .tgid = e->pid};
	emit_keys(&key, e);
	return 0;
}

/* A ClientHello at buf (a TLS record, or a handshake message read on its
 * own after its 5-byte record header): its client random as an event. */
static __always_inline void emit_hello(__u64 ssl, __u32 slot, const void *buf, long got)
{
	__u8 b[43];
	if (bpf_probe_read_user(b, sizeof(b), buf))
		return;
	int rec = b[0] == 0x16 && b[1] == 0x03 && b[5] == 0x01 && b[9] == 0x03 && b[10] <= 0x04;
	int msg = b[0] == 0x01 && b[4] == 0x03 && b[5] <= 0x04;
	if ((!rec && !msg) || (got >= 0 && got < (rec ? 43 : 38)))
		return;
	struct ec_event *e = ec_event_reserve(EC_KIND_HELLO, 32);
	if (!e)
		return;
	e->handle = ssl;
	e->aux = slot;
	if (rec)
		__builtin_memcpy(e->data, b + 11, 32);
	else
		__builtin_memcpy(e->data, b + 6, 32);
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
}

/* While a row is verified: a write inside an SSL call may carry a
 * ClientHello now, a read after it returns (sys_exit). */
static __always_inline void tls_hello_syscall(struct task_struct *task, struct ec_active *a,
					      struct pt_regs *regs, long id)
{
	if (!verify_keys)
		return;
	struct hs *h = bpf_task_storage_get(&tls_hs, task, 0, 0);
	int in_hs = h && h->depth;
	__u64 ssl = in_hs ? h->ssl : (a && a->depth ? a->handle : 0);
	__u32 slot = in_hs ? h->slot : (a ? a->slot : 0);
	if (!ssl)
		return;
	const void *buf = (const void *)BPF_CORE_READ(regs, si);
	if (id == NR_WRITE || id == NR_SENDTO) {
		emit_hello(ssl, slot, buf, -1);
		return;
	}
	if (id != NR_READ && id != NR_RECVFROM)
		return;
	if (!h)
		h = bpf_task_storage_get(&tls_hs, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (h) {
		h->rssl = ssl;
		h->rbuf = (__u64)buf;
		h->rslot = slot;
	}
}

SEC("uprobe")
int BPF_KPROBE(ssl_hs_enter, void *ssl)
{
	if (!verify_keys || !ec_wanted())
		return 0;
	struct hs *h = bpf_task_storage_get(&tls_hs, bpf_get_current_task_btf(), 0,
					    BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (h && h->depth++ == 0) {
		h->ssl = (__u64)ssl;
		h->slot = (__u32)bpf_get_attach_cookie(ctx);
	}
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
		emit_hello(h->rssl, h->rslot, (const void *)buf, ret);
	return 0;
}
