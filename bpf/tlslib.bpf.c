// SPDX-License-Identifier: GPL-2.0-only
/*
 * ec-capture's TLS-library modules other than OpenSSL, one program for all
 * as bcc's sslsniff: each module attaches the entry and return programs
 * that fit its functions (cmd/ec-capture/tlslibs.c), and bpf/tlscall.bpf.h
 * does the rest.
 *
 * - lib_*: (handle, buf, ...) -> ssize_t bytes moved: GnuTLS's
 *   gnutls_record_send/recv(session, data, size), libtls's tls_write/read.
 * - nspr_*: NSPR's PR_Write/PR_Send/PR_Read/PR_Recv(PRFileDesc *fd, void
 *   *buf, PRInt32 amount, ...) -> PRInt32, on NSS SSL sockets only: NSS's
 *   SSL layer is an NSPR I/O layer pushed on a TCP socket, so the fd must be
 *   a layered descriptor (fd->methods->file_type == PR_DESC_LAYERED) whose
 *   bottom layer (following fd->lower) is a TCP socket. Plain TCP sockets,
 *   files and pipes going through the same functions are skipped at entry.
 *
 *   struct PRFileDesc { const PRIOMethods *methods; PRFilePrivate *secret;
 *                       PRFileDesc *lower, *higher; ... };
 *   struct PRIOMethods { PRDescType file_type; ... };
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "common.bpf.h"
#include "conn.bpf.h"
#include "files.bpf.h"
#include "tlscall.bpf.h"
#include "nss.h"

SEC("uprobe")
int BPF_KPROBE(lib_read_enter, void *handle, void *buf)
{
	return ec_call_enter(ctx, EC_DIR_READ, (__u64)handle, (__u64)buf);
}

SEC("uretprobe")
int BPF_KRETPROBE(lib_return, long ret)
{
	return ec_call_leave(ret);
}

/*
 * GnuTLS's corking: sends on a corked session only fill a buffer that
 * gnutls_record_uncork sends at once, through gnutls_record_send2. The
 * buffered sends are kept quiet (no fd is known then) and the flush inside
 * uncork is captured, with the fd of its syscall.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct ec_handle_key);
	__type(value, __u8);
} ec_corked SEC(".maps");

SEC("uprobe")
int BPF_KPROBE(lib_cork_enter, void *handle)
{
	struct ec_handle_key k = {.handle = (__u64)handle,
				  .tgid = bpf_get_current_pid_tgid() >> 32};
	__u8 one = 1;
	bpf_map_update_elem(&ec_corked, &k, &one, BPF_ANY);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(lib_uncork_enter, void *handle)
{
	struct ec_handle_key k = {.handle = (__u64)handle,
				  .tgid = bpf_get_current_pid_tgid() >> 32};
	bpf_map_delete_elem(&ec_corked, &k);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(lib_write_enter, void *handle, const void *buf)
{
	struct ec_handle_key k = {.handle = (__u64)handle,
				  .tgid = bpf_get_current_pid_tgid() >> 32};
	if (bpf_map_lookup_elem(&ec_corked, &k))
		buf = 0; /* buffered: captured when uncork sends it */
	return ec_call_enter(ctx, EC_DIR_WRITE, (__u64)handle, (__u64)buf);
}
struct pr_file_desc {
	__u64 methods;
	__u64 secret;
	__u64 lower;
	__u64 higher;
};

static __always_inline __u32 desc_type(__u64 methods)
{
	__u32 t = 0;
	if (!methods || bpf_probe_read_user(&t, sizeof(t), (void *)methods))
		return 0;
	return t;
}

/* Is fd a layered descriptor over a TCP socket (an SSL socket)? */
static __always_inline int is_ssl_socket(__u64 fd)
{
	struct pr_file_desc d = {};
	if (!fd || bpf_probe_read_user(&d, sizeof(d), (void *)fd))
		return 0;
	if (desc_type(d.methods) != PR_DESC_LAYERED)
		return 0;
	for (int i = 0; i < NSS_MAX_LAYERS; i++) {
		if (!d.lower)
			return desc_type(d.methods) == PR_DESC_SOCKET_TCP;
		if (bpf_probe_read_user(&d, sizeof(d), (void *)d.lower))
			return 0;
	}
	return 0;
}

static __always_inline int nspr_enter(void *ctx, __u32 dir, void *fd, void *buf)
{
	/* nested calls are counted by ec_call_enter; check the outer one only */
	if (!ec_call_busy() && !is_ssl_socket((__u64)fd))
		return 0;
	return ec_call_enter(ctx, dir, (__u64)fd, (__u64)buf);
}

SEC("uprobe")
int BPF_KPROBE(nspr_write_enter, void *fd, const void *buf)
{
	return nspr_enter(ctx, EC_DIR_WRITE, fd, (void *)buf);
}

SEC("uprobe")
int BPF_KPROBE(nspr_read_enter, void *fd, void *buf)
{
	return nspr_enter(ctx, EC_DIR_READ, fd, buf);
}

SEC("uretprobe")
int BPF_KRETPROBE(nspr_return, int ret)
{
	return ec_call_leave(ret);
}
