/* SPDX-License-Identifier: GPL-2.0-only */
/* NSPR constants bpf/tlslib.bpf.c reads NSS sockets with. */
#ifndef EC_BPF_NSS_H
#define EC_BPF_NSS_H

/* NSPR's PRDescType (prio.h): PRIOMethods.file_type */
#define PR_DESC_SOCKET_TCP 2
#define PR_DESC_LAYERED 4
#define NSS_MAX_LAYERS 8 /* PRFileDesc.lower links followed to the bottom layer */

#endif
