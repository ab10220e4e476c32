/*
 * The event and settings shared by the non-OpenSSL ec-capture modules
 * (gnutls, nss, bash, zsh, mysqld, postgres): bpf/modcommon.bpf.h on the
 * kernel side, lib/modrun.c on the user side. Wire structs only.
 */
#ifndef EC_BPF_MODEVENT_H
#define EC_BPF_MODEVENT_H

#define MOD_COMM_LEN 16
#define MOD_CHUNK 16384	    /* payload bytes per event; longer data is split */
#define MOD_MAX_CHUNKS 4096 /* bpf_loop bound: 64 MiB per call */

enum mod_kind {
	MOD_KIND_DATA = 1,  /* TLS plaintext chunk (gnutls, nss) */
	MOD_KIND_CLOSE = 2, /* the connection's socket reached TCP_CLOSE */
	MOD_KIND_LINE = 3,  /* a shell command line (bash, zsh) */
	MOD_KIND_QUERY = 4, /* an SQL query (mysqld, postgres) */
};

enum mod_dir {
	MOD_DIR_READ = 1,
	MOD_DIR_WRITE = 2,
};

/* flags of an event */
#define MOD_F_TRUNCATED 1 /* data stops before call_len (--truncate or a bound) */
#define MOD_F_RETVAL 2	  /* retval is known */
#define MOD_F_EXITED 4	  /* bash: the shell exited/exec'd before the command returned */
#define MOD_F_ERROR 8	  /* retval is an error number (mysqld: the query failed) */

/* Runtime settings: array map mod_config, key 0. Changed without detach. */
struct mod_cfg {
	__u32 pid; /* only this tgid; 0 = all */
	__u32 uid; /* only this uid when uid_set */
	__u32 uid_set;
	__u32 n_target;	     /* > 0: only comms marked MOD_COMM_TARGET */
	__u64 truncate;	     /* > 0: emit at most this many bytes per call */
	__u64 wakeup_bytes;  /* wake user space when this much data waits */
	__s64 errnumber;     /* bash: only lines whose return code is this ... */
	__u32 errnumber_set; /* ... when set */
	__u32 pad;
};

/* Values of map mod_comms (key: char[MOD_COMM_LEN], NUL padded). */
#define MOD_COMM_TARGET 1
#define MOD_COMM_IGNORE 2

struct mod_event {
	__u32 kind;  /* enum mod_kind */
	__u32 dir;   /* enum mod_dir (DATA) */
	__u64 ts_ns; /* bpf_ktime_get_ns() */
	__u32 pid;   /* tgid */
	__u32 tid;
	__u32 uid;
	__s32 fd;	/* -1 when not known */
	__u64 conn_id;	/* 0 when not known */
	__u64 seq;	/* per (conn_id, dir) */
	__u64 call_len; /* bytes the call transferred / the text's full length */
	__u64 offset;	/* this chunk's offset within the call */
	__s64 retval;	/* return code / status, when flags has MOD_F_RETVAL */
	__u32 len;	/* bytes in data[] */
	__u32 flags;	/* MOD_F_* */
	__u32 aux;	/* module-specific: mysqld command code */
	__u16 family;	/* AF_INET, AF_INET6 or 0 */
	__u16 sport;	/* local port, host order */
	__u16 dport;	/* remote port, host order */
	__u16 pad;
	__u8 saddr[16]; /* local address (IPv4 in the first 4 bytes) */
	__u8 daddr[16]; /* remote address */
	char comm[MOD_COMM_LEN];
	__u8 data[];
};

#endif
