/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by the capture programs: the struct sock behind a file descriptor
 * of the current task (CO-RE walk task -> files -> fdt -> file -> socket)
 * and its 4-tuple. Include after vmlinux.h.
 */
#ifndef EC_SOCK_BPF_H
#define EC_SOCK_BPF_H

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define SOCK_STREAM 1
#define IPPROTO_TCP 6

/* x86_64 syscall numbers whose first argument is the fd */
#define NR_READ 0
#define NR_WRITE 1
#define NR_READV 19
#define NR_WRITEV 20
#define NR_SENDTO 44
#define NR_RECVFROM 45
#define NR_SENDMSG 46
#define NR_RECVMSG 47

/* The struct file * behind fd of the current task, 0 if none. */
static __always_inline struct file *ec_fd_file(int fd)
{
	/* task, files and fdt are BTF pointers: plain (fault-safe) loads, no helper calls */
	struct task_struct *task = bpf_get_current_task_btf();
	struct files_struct *files = task->files;
	if (!files)
		return 0;
	struct fdtable *fdt = files->fdt;
	if (!fdt)
		return 0;
	unsigned int max = fdt->max_fds;
	if (fd < 0 || (unsigned int)fd >= max)
		return 0;
	struct file **fds = fdt->fd;
	struct file *f = 0;
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]))
		return 0;
	return f;
}

/* The struct socket * behind fd of the current task, 0 if not a socket. */
static __always_inline struct socket *ec_fd_socket(int fd)
{
	struct file *f = ec_fd_file(fd);
	if (!f)
		return 0;
	umode_t mode = BPF_CORE_READ(f, f_inode, i_mode);
	if ((mode & S_IFMT) != S_IFSOCK)
		return 0;
	return BPF_CORE_READ(f, private_data);
}

/* The struct sock * behind fd of the current task, 0 if not a socket. */
static __always_inline struct sock *ec_fd_sock(int fd)
{
	struct socket *sock = ec_fd_socket(fd);
	return sock ? BPF_CORE_READ(sock, sk) : 0;
}

/* The same, 0 unless it is a TCP socket over IPv4 or IPv6. */
static __always_inline struct sock *ec_fd_tcp(int fd)
{
	struct socket *sock = ec_fd_socket(fd);
	if (!sock || BPF_CORE_READ(sock, type) != SOCK_STREAM)
		return 0;
	struct sock *sk = BPF_CORE_READ(sock, sk);
	if (!sk || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	return family == AF_INET || family == AF_INET6 ? sk : 0;
}

/*
 * The family, local/remote address (IPv4 in the first 4 bytes of 16) and
 * ports in host order of sk; addresses and ports stay untouched for
 * families other than IPv4/IPv6.
 */
static __always_inline void ec_sock_tuple(struct sock *sk, __u16 *family, __u8 *saddr, __u8 *daddr,
					  __u16 *sport, __u16 *dport)
{
	*family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (*family == AF_INET) {
		bpf_core_read(saddr, 4, &sk->__sk_common.skc_rcv_saddr);
		bpf_core_read(daddr, 4, &sk->__sk_common.skc_daddr);
	} else if (*family == AF_INET6) {
		bpf_core_read(saddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(daddr, 16, &sk->__sk_common.skc_v6_daddr);
	} else {
		return;
	}
	*sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	*dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
}

#endif
