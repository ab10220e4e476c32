// SPDX-License-Identifier: GPL-2.0
/*
 * ec-capture gnutls: plaintext of GnuTLS gnutls_record_send/recv.
 *
 *   ssize_t gnutls_record_send(gnutls_session_t, const void *data, size_t);
 *   ssize_t gnutls_record_send2(gnutls_session_t, const void *, size_t,
 *                               size_t pad, unsigned flags);
 *   ssize_t gnutls_record_recv(gnutls_session_t, void *data, size_t);
 *   ssize_t gnutls_record_recv_seq(gnutls_session_t, void *, size_t,
 *                                  unsigned char *seq);
 * Return value > 0: bytes sent/received. The fd and 4-tuple come from the
 * socket syscall GnuTLS's default transport makes inside the call.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "common.bpf.h"
#include "conn.bpf.h"
#include "tlscall.bpf.h"
#include "gnutls.h"

SEC("uprobe")
int BPF_KPROBE(send_enter, void *session, const void *data)
{
	return ec_call_enter(EC_DIR_WRITE, (__u64)session, (__u64)data);
}

SEC("uprobe")
int BPF_KPROBE(recv_enter, void *session, void *data)
{
	return ec_call_enter(EC_DIR_READ, (__u64)session, (__u64)data);
}

SEC("uretprobe")
int BPF_KRETPROBE(record_return, long ret)
{
	return ec_call_leave(ret);
}
