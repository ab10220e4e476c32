/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One read/write call of a TLS library (OpenSSL, GnuTLS, NSS, libtls...),
 * the way bcc's sslsniff drives three libraries from one program: the
 * entry probe keeps (handle, buffer, direction) per thread; tp_btf/sys_enter
 * notes the fd of the socket syscall the library makes inside the call (and
 * it is remembered per handle for the calls that make none); the return
 * probe emits the bytes actually transferred with the connection's tuple
 * (bpf/conn.bpf.h). Include after common.bpf.h and conn.bpf.h.
 *
 * A module may define, before including this file:
 * - EC_CALL_ON_DATA(key, e, c): called on each call's first data event
 *   with its handle key, the event header and its connection (or NULL);
 * - EC_CALL_ON_SYSCALL(task, a, regs, id): called for each socket syscall.
 */
#ifndef EC_TLSCALL_BPF_H
#define EC_TLSCALL_BPF_H

/* One library call in progress on a thread. */
struct ec_active {
	__u64 handle; /* SSL*, gnutls_session_t, PRFileDesc*... */
	__u64 buf;
	__u64 nbytes_ptr; /* size_t * of OpenSSL's _ex calls, 0 otherwise */
	__s32 fd;	  /* from a syscall inside the call, -1 until then */
	__u32 dir;
	__u32 depth; /* nested library calls on the same thread; 0 = none */
	__u32 slot;  /* the hooked file's slot: the probe's attach cookie */
};

struct ec_handle_key {
	__u64 handle;
	__u32 tgid;
	__u32 pad;
};

/* The call in progress on each thread (task storage: no hashing). */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ec_active);
} ec_active SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ec_handle_key);
	__type(value, __s32);
} ec_handle_fd SEC(".maps");

#ifndef EC_CALL_ON_DATA
#define EC_CALL_ON_DATA(key, e, c) ((void)(c))
#endif
#ifndef EC_CALL_ON_SYSCALL
#define EC_CALL_ON_SYSCALL(task, a, regs, id)
#endif

/* Is a library call in progress on this thread? */
static __always_inline int ec_call_busy(void)
{
	struct ec_active *a = bpf_task_storage_get(&ec_active, bpf_get_current_task_btf(), 0, 0);
	return a && a->depth;
}

/* Entry of a library call: keep it unless filtered out or nested. */
static __always_inline int ec_call_enter_ex(void *ctx, __u32 dir, __u64 handle, __u64 buf,
					    __u64 nbytes_ptr)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct ec_active *a = bpf_task_storage_get(&ec_active, task, 0, 0);
	if (a && a->depth) { /* SSL_write_ex -> SSL_write style nesting: keep the outer */
		a->depth++;
		return 0;
	}
	if (!ec_wanted())
		return 0;
	if (!a)
		a = bpf_task_storage_get(&ec_active, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!a)
		return 0;
	a->handle = handle;
	a->buf = buf;
	a->nbytes_ptr = nbytes_ptr;
	a->fd = -1;
	a->dir = dir;
	a->depth = 1;
	a->slot = (__u32)bpf_get_attach_cookie(ctx);
	return 0;
}

static __always_inline int ec_call_enter(void *ctx, __u32 dir, __u64 handle, __u64 buf)
{
	return ec_call_enter_ex(ctx, dir, handle, buf, 0);
}

/*
 * Return of a library call: the call kept at its entry into *st, and 0,
 * when this is the outermost call's return; 1 for a nested call's or a
 * call not kept (nothing to do).
 */
static __always_inline int ec_call_pop(struct ec_active *st)
{
	struct ec_active *a = bpf_task_storage_get(&ec_active, bpf_get_current_task_btf(), 0, 0);
	if (!a || !a->depth)
		return 1;
	if (a->depth > 1) {
		a->depth--;
		return 1;
	}
	*st = *a;
	a->depth = 0;
	return 0;
}

/* Return of a library call that returned ret: the bytes moved (ret, or
 * *nbytes_ptr when the call returned 1), 0 or less: nothing to emit. */
static __always_inline int ec_call_leave(__s64 ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct ec_active st;
	if (ec_call_pop(&st))
		return 0;
	if (!st.buf) {
		/* a call kept quiet (its data is captured elsewhere): only its fd is learnt */
		if (st.fd >= 0) {
			struct ec_handle_key k = {.handle = st.handle, .tgid = pid_tgid >> 32};
			bpf_map_update_elem(&ec_handle_fd, &k, &st.fd, BPF_ANY);
		}
		return 0;
	}

	__u64 len = 0;
	if (st.nbytes_ptr) {
		if (ret != 1 || bpf_probe_read_user(&len, sizeof(len), (const void *)st.nbytes_ptr))
			return 0;
	} else if (ret > 0) {
		len = ret;
	}
	if (!len)
		return 0;

	/* the fd: from this call's syscall, else the last one seen for this handle */
	__s32 fd = st.fd;
	struct ec_handle_key key = {.handle = st.handle, .tgid = pid_tgid >> 32};
	__s32 *pfd = bpf_map_lookup_elem(&ec_handle_fd, &key);
	if (fd >= 0) {
		if (!pfd || *pfd != fd) /* an update costs more than a lookup */
			bpf_map_update_elem(&ec_handle_fd, &key, &fd, BPF_ANY);
	} else if (pfd) {
		fd = *pfd;
	}

	struct ec_cfg *cfg = ec_cfg();
	struct ec_event *e = ec_event_new_data();
	if (!cfg || !e)
		return 0;
	e->dir = st.dir;
	e->fd = fd;
	e->handle = st.handle;
	e->aux = st.slot;
	__u64 seq0 = 0, nchunks = ec_chunks(e, cfg, len);
	struct ec_conn *c = ec_conn_of(e, fd, nchunks, &seq0);
	EC_CALL_ON_DATA(&key, e, c);
	ec_emit(e, cfg, st.buf, nchunks, seq0);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(ec_sys_enter, struct pt_regs *regs, long id)
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
	struct ec_active *a = bpf_task_storage_get(&ec_active, task, 0, 0);
	if (a && a->depth)
		a->fd = (__s32)BPF_CORE_READ(regs, di);
	EC_CALL_ON_SYSCALL(task, a, regs, id);
	return 0;
}

#endif
