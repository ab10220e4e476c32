/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one event every ec-capture probe sends through the ring buffer, and
 * the settings every probe reads: bpf/common.bpf.h on the kernel side,
 * lib/capture/mod.c on the user side. Wire structs and limits only
 * (libbpf-tools style).
 */
#ifndef EC_BPF_EVENT_H
#define EC_BPF_EVENT_H

#define EC_COMM_LEN 16
#define EC_CHUNK 16384	    /* payload bytes per event; longer data is split */
#define EC_MAX_CHUNKS 65536 /* bpf_loop bound: 1 GiB per call */

enum ec_kind {
	EC_KIND_DATA = 1,   /* plaintext chunk of one read/write call */
	EC_KIND_CLOSE = 2,  /* the connection's socket reached TCP_CLOSE */
	EC_KIND_LINE = 3,   /* a shell command line (bash, zsh) */
	EC_KIND_QUERY = 4,  /* an SQL query (mysqld, postgres) */
	EC_KIND_KEYS = 5,   /* data: struct tls_keys of one SSL* (bpf/tls_keys.h) */
	EC_KIND_HELLO = 6,  /* data: the 32-byte client random of a ClientHello
			     * seen on the socket inside an SSL call (only while
			     * a table row is being verified) */
	EC_KIND_KEYLOG = 7, /* data: struct ec_keylog (Go's writeKeyLog) */
	EC_KIND_FILE = 8,   /* pid mapped an executable file not seen before
			     * (exec or mmap): data is struct ec_file_key */
	EC_KIND_SKIP = 9,   /* sock: connection conn_id carries TLS, its data
			     * is dropped from now on; data: the 5 bytes of
			     * the TLS record header seen */
};

enum ec_dir {
	EC_DIR_READ = 1,  /* received */
	EC_DIR_WRITE = 2, /* sent */
};

/* flags of an event */
#define EC_F_TRUNCATED 1 /* data stops before call_len (--truncate or a bound) */
#define EC_F_RETVAL 2	 /* retval is known */
#define EC_F_EXITED 4	 /* bash: the shell exited/exec'd before the command returned */
#define EC_F_ERROR 8	 /* retval is an error number (mysqld: the query failed) */

/* Runtime settings: array map ec_config, key 0. Changed without detach. */
struct ec_cfg {
	__u32 pid; /* only this tgid; 0 = all */
	__u32 uid; /* only this uid when uid_set */
	__u32 uid_set;
	__u32 n_target;	     /* > 0: only comms marked EC_COMM_TARGET */
	__u32 n_ignore;	     /* > 0: some comms are marked EC_COMM_IGNORE */
	__u32 errnumber_set; /* bash: only lines whose return code is errnumber */
	__s64 errnumber;
	__u64 truncate;	    /* > 0: emit at most this many bytes per call */
	__u64 wakeup_bytes; /* wake user space when this much data waits */
	__u32 n_cgroup;	    /* > 0: only tasks in (or below) a cgroup of ec_cgroups */
	__u32 pad;
};

#define EC_TLS_SLOTS 256    /* files one capture hooks at most (--max-files) */
#define EC_MAX_CGROUPS 1024 /* entries of ec_cgroups (--cgroup, --container) */
#define EC_CGROUP_DEPTH 16  /* ancestors looked at by the cgroup filter */

/* Values of map ec_comms (key: char[EC_COMM_LEN], NUL padded). */
#define EC_COMM_TARGET 1
#define EC_COMM_IGNORE 2

struct ec_event {
	__u32 kind;  /* enum ec_kind */
	__u32 dir;   /* enum ec_dir (DATA) */
	__u64 ts_ns; /* bpf_ktime_get_ns() */
	__u32 pid;   /* tgid */
	__u32 tid;
	__u32 uid;
	__s32 fd;	/* -1 when not known */
	__u64 conn_id;	/* 0 when not known */
	__u64 seq;	/* per (conn_id, dir) */
	__u64 call_len; /* bytes the call transferred / the text's full length */
	__u64 offset;	/* this chunk's offset within the call */
	__s64 retval;	/* return code / status, when flags has EC_F_RETVAL */
	__u64 handle;	/* the library's connection object: SSL*, *tls.Conn, session */
	__u32 len;	/* bytes in data[] */
	__u32 flags;	/* EC_F_* */
	__u32 aux;	/* module-specific: mysqld command code; TLS calls: the
			 * hooked file's slot (the probe's attach cookie) */
	__u16 family;	/* AF_INET, AF_INET6, AF_UNIX or 0 */
	__u16 sport;	/* local port, host order */
	__u16 dport;	/* remote port, host order */
	__u16 pad;
	__u32 nspid;	/* tgid in the task's own pid namespace */
	__u64 cgroup;	/* cgroup v2 id of the task */
	__u8 saddr[16]; /* local address (IPv4 in the first 4 bytes) */
	__u8 daddr[16]; /* remote address */
	char comm[EC_COMM_LEN];
	__u8 data[];
};

/* The data of an EC_KIND_FILE event, and the key of map ec_files: the
 * file's inode as the kernel names it (s_dev as MKDEV: major << 20 | minor). */
struct ec_file_key {
	__u64 ino;
	__u32 dev;
	__u32 pad;
};

#define EC_KEYLOG_LABEL 64  /* key log label ("CLIENT_HANDSHAKE_TRAFFIC_SECRET") */
#define EC_KEYLOG_SECRET 64 /* client random (32) and secrets (32/48) */

/* The data of an EC_KIND_KEYLOG event: one NSS key log line's parts. */
struct ec_keylog {
	__u32 label_len; /* bytes in label[] (cut at EC_KEYLOG_LABEL) */
	__u32 random_len;
	__u32 secret_len;
	__u32 pad;
	char label[EC_KEYLOG_LABEL];
	__u8 random[EC_KEYLOG_SECRET];
	__u8 secret[EC_KEYLOG_SECRET];
};

#endif
