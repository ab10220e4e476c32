/* SPDX-License-Identifier: GPL-2.0-only */
/* ec-capture sock: limits both sides share (bpf/sock.bpf.c, cmd/ec-capture/sock.c). */
#ifndef EC_BPF_SOCK_H
#define EC_BPF_SOCK_H

#define EC_SOCK_IOVS 1024 /* iovecs of one call looked at: the kernel's UIO_MAXIOV */
#define EC_SOCK_PORTS 16  /* --port values */

#endif
