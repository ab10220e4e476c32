/* SPDX-License-Identifier: GPL-2.0-only */
/* The BPF key reader (tls_keys.bpf.h) run in user space on the process's
 * own memory: the calibration helper (libexec/ec-sslcal.c) and the unit
 * test read SSL objects with the very code the kernel runs.  A faulting
 * address fails like bpf_probe_read_user does instead of crashing. */
#ifndef EC_TLS_KEYS_SELF_H
#define EC_TLS_KEYS_SELF_H

#include <errno.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/types.h>

/* 0, or -EFAULT when any of the size bytes at src cannot be read */
static inline long tls_keys_read_self(void *dst, size_t size, const void *src)
{
	struct iovec local = {dst, size}, remote = {(void *)src, size};
	ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	return n == (ssize_t)size ? 0 : -EFAULT;
}

#define TLS_KEYS_READ(dst, size, src) tls_keys_read_self((dst), (size), (src))
#include "tls_keys.bpf.h"

#endif
