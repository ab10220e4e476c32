/*
 * The events ec-capture's Go crypto/tls probes send through the ring buffer,
 * shared by bpf/gotls.bpf.c and cmd/ec-capture/gotls.c.
 */
#ifndef EC_BPF_GOTLS_H
#define EC_BPF_GOTLS_H

#define GOTLS_COMM_LEN 16
#define GOTLS_CHUNK 16384      /* payload bytes per event; longer calls are split */
#define GOTLS_MAX_CHUNKS 65536 /* bpf_loop bound: 1 GiB per call */
#define GOTLS_LABEL_MAX 64     /* key log label ("CLIENT_HANDSHAKE_TRAFFIC_SECRET") */
#define GOTLS_SECRET_MAX 64    /* client random (32) and secrets (32/48) */

enum gotls_kind {
	GOTLS_KIND_DATA = 1,   /* plaintext of one Read/writeRecordLocked chunk */
	GOTLS_KIND_CLOSE = 2,  /* the connection's socket reached TCP_CLOSE */
	GOTLS_KIND_KEYLOG = 3, /* one (*Config).writeKeyLog call: struct gotls_keylog */
};

enum gotls_dir {
	GOTLS_DIR_READ = 1,  /* (*Conn).Read: received */
	GOTLS_DIR_WRITE = 2, /* (*Conn).writeRecordLocked(application data): sent */
};

/* Runtime settings: array map gotls_config, key 0. Changed without detach. */
struct gotls_cfg {
	__u32 pid; /* only this tgid; 0 = all */
	__u32 uid; /* only this uid when uid_set */
	__u32 uid_set;
	__u32 n_target;	    /* > 0: only comms marked GOTLS_COMM_TARGET */
	__u64 truncate;	    /* > 0: emit at most this many bytes per call */
	__u64 wakeup_bytes; /* wake user space when this much data waits */
};

/* Values of map gotls_comms (key: char[GOTLS_COMM_LEN], NUL padded). */
#define GOTLS_COMM_TARGET 1
#define GOTLS_COMM_IGNORE 2

struct gotls_event {
	__u32 kind;  /* GOTLS_KIND_DATA or GOTLS_KIND_CLOSE */
	__u32 dir;   /* enum gotls_dir */
	__u64 ts_ns; /* bpf_ktime_get_ns() */
	__u32 pid;   /* tgid */
	__u32 tid;
	__u32 uid;
	__s32 fd;	 /* poll.FD.Sysfd of the tls.Conn's net.Conn, -1 if unknown */
	__u64 conn_id;	 /* 0 when the fd is not a socket */
	__u64 seq;	 /* per (conn_id, dir) */
	__u64 call_len;	 /* bytes the call transferred */
	__u64 offset;	 /* this chunk's offset within the call */
	__u32 len;	 /* bytes in data[] */
	__u32 truncated; /* data stops before call_len by --truncate */
	__u64 goconn;	 /* the *tls.Conn (user address) */
	__u16 family;	 /* AF_INET, AF_INET6, AF_UNIX or 0 */
	__u16 sport;	 /* local port, host order */
	__u16 dport;	 /* remote port, host order */
	__u16 pad;
	__u8 saddr[16]; /* local address (IPv4 in the first 4 bytes) */
	__u8 daddr[16]; /* remote address */
	char comm[GOTLS_COMM_LEN];
	__u8 data[];
};

struct gotls_keylog {
	__u32 kind; /* GOTLS_KIND_KEYLOG */
	__u32 pid;
	__u32 tid;
	__u32 label_len; /* bytes in label[] (cut at GOTLS_LABEL_MAX) */
	__u32 random_len;
	__u32 secret_len;
	__u64 ts_ns;
	char comm[GOTLS_COMM_LEN];
	char label[GOTLS_LABEL_MAX];
	__u8 random[GOTLS_SECRET_MAX];
	__u8 secret[GOTLS_SECRET_MAX];
};

#endif
