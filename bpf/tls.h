/*
 * The event ec-capture's TLS probes send through the ring buffer, shared by
 * bpf/tls.bpf.c and cmd/ec-capture (libbpf-tools style: this header holds
 * the wire structs and limits, nothing else).
 */
#ifndef EC_BPF_TLS_H
#define EC_BPF_TLS_H

#define TLS_COMM_LEN 16
#define TLS_CHUNK 16384	     /* payload bytes per event; longer calls are split */
#define TLS_MAX_CHUNKS 65536 /* bpf_loop bound: 1 GiB per SSL call */
#define TLS_KEYS_MAX 512     /* bytes of a KEYS event's key material */

enum tls_kind {
	TLS_KIND_DATA = 1,  /* plaintext of one SSL_read/SSL_write chunk */
	TLS_KIND_CLOSE = 2, /* the connection's socket reached TCP_CLOSE */
	TLS_KIND_KEYS = 3,  /* key material of one SSL* (see tls_keys.h) */
	TLS_KIND_HELLO = 4, /* the 32-byte client random of a ClientHello that
			     * passed the socket inside an SSL call (only while
			     * a table row is being verified) */
};

enum tls_dir {
	TLS_DIR_READ = 1,  /* SSL_read / SSL_read_ex: received */
	TLS_DIR_WRITE = 2, /* SSL_write / SSL_write_ex: sent */
};

/* Runtime settings: array map tls_config, key 0. Changed without detach. */
struct tls_cfg {
	__u32 pid; /* only this tgid; 0 = all */
	__u32 uid; /* only this uid when uid_set */
	__u32 uid_set;
	__u32 n_target;	    /* > 0: only comms marked TLS_COMM_TARGET */
	__u64 truncate;	    /* > 0: emit at most this many bytes per call */
	__u64 wakeup_bytes; /* wake user space when this much data waits */
	__u32 n_ignore;	    /* > 0: some comms are marked TLS_COMM_IGNORE */
	__u32 pad;
};

/* Values of map tls_comms (key: char[TLS_COMM_LEN], NUL padded). */
#define TLS_COMM_TARGET 1
#define TLS_COMM_IGNORE 2

struct tls_event {
	__u32 kind;  /* enum tls_kind */
	__u32 dir;   /* enum tls_dir */
	__u64 ts_ns; /* bpf_ktime_get_ns() */
	__u32 pid;   /* tgid */
	__u32 tid;
	__u32 uid;
	__s32 fd;
	__u64 conn_id;	 /* 0 when the fd is not known */
	__u64 seq;	 /* per (conn_id, dir) */
	__u64 call_len;	 /* bytes the SSL call transferred */
	__u64 offset;	 /* this chunk's offset within the call */
	__u32 len;	 /* bytes in data[] */
	__u32 truncated; /* data stops before call_len by --truncate */
	__u64 ssl;	 /* the SSL* (user address) */
	__u16 family;	 /* AF_INET, AF_INET6, AF_UNIX or 0 */
	__u16 sport;	 /* local port, host order */
	__u16 dport;	 /* remote port, host order */
	__u16 pad;
	__u8 saddr[16]; /* local address (IPv4 in the first 4 bytes) */
	__u8 daddr[16]; /* remote address */
	char comm[TLS_COMM_LEN];
	__u8 data[];
};

#endif
