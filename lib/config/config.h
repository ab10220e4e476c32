/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The remote config API's body: eCapture's JSON config (seed 000) parsed
 * and checked with cJSON, the unified response {"code","module_type","msg",
 * "data"} and its codes. Shared by ec-serve (config routes), ec-ctl
 * (builds bodies) and ec-capture (--control socket applies them).
 */
#ifndef EC_CONFIG_H
#define EC_CONFIG_H

#include <stddef.h>
#include <stdint.h>

/* Response codes: eCapture's Status values (cli/http/resp.go). */
enum ec_resp {
	EC_RESP_OK = 0,
	EC_RESP_INVALID_REQUEST = 1, /* bad method, size, auth: the request itself */
	EC_RESP_INTERNAL = 2,
	EC_RESP_NOT_FOUND = 3,	   /* unknown module (route) */
	EC_RESP_DECODE_FAILED = 4, /* malformed JSON, wrong types, unknown fields */
	EC_RESP_CHECK_FAILED = 5,  /* well-formed but invalid values */
	EC_RESP_SEND_FAILED = 6,   /* capture busy or not reachable */
};

/* Largest config body accepted (HTTP 413 above). */
#define EC_CONFIG_BODY_MAX (64u * 1024)
/* Process filters: at most this many names, each shorter than TASK_COMM_LEN. */
#define EC_CONFIG_MAX_PROCS 16
#define EC_CONFIG_COMM_LEN 16
#define EC_CONFIG_MAX_CGROUPS 16 /* filters.cgroup / filters.container entries */
#define EC_CONFIG_CGROUP_LEN 512
/* Largest accepted pid (the kernel's PID_MAX_LIMIT) and uid (uid_t minus -1). */
#define EC_CONFIG_PID_MAX 4194304ull
#define EC_CONFIG_UID_MAX 4294967294ull
#define EC_CONFIG_MAP_SIZE_MAX (1 << 20)
/* Largest truncate_size, and ec-capture's --truncate: the same limit everywhere. */
#define EC_CONFIG_TRUNCATE_MAX (1ull << 30)
#define EC_CONFIG_PATH_MAX 4096

/* Bits of ec_config.present: which fields the body gave. */
enum ec_config_field {
	EC_CF_PID = 1u << 0,
	EC_CF_UID = 1u << 1,
	EC_CF_DEBUG = 1u << 2,
	EC_CF_HEX = 1u << 3,
	EC_CF_BTF = 1u << 4,
	EC_CF_PER_CPU_MAP_SIZE = 1u << 5,
	EC_CF_TRUNCATE_SIZE = 1u << 6,
	EC_CF_TARGET_PROCESS = 1u << 7,
	EC_CF_IGNORE_PROCESS = 1u << 8,
	/* module fields */
	EC_CF_PATH = 1u << 9, /* libssl / elfpath / gnutls / nspr / bashpath / ... */
	EC_CF_MODEL = 1u << 10,
	EC_CF_KEYLOGFILE = 1u << 11,
	EC_CF_PCAPFILE = 1u << 12,
	EC_CF_IFNAME = 1u << 13,
	EC_CF_CGROUP_PATH = 1u << 14,
	EC_CF_SSL_VERSION = 1u << 15,
	EC_CF_READLINE = 1u << 16,
	EC_CF_ERRNO = 1u << 17,
	EC_CF_FUNCNAME = 1u << 18,
	EC_CF_OFFSET = 1u << 19,
	EC_CF_CGROUPS = 1u << 20,    /* filters.cgroup (ec) */
	EC_CF_CONTAINERS = 1u << 21, /* filters.container (ec) */
};

struct ec_config {
	char route[16];	 /* as requested: "openssl", "postgress", ... */
	char module[16]; /* canonical: tls gotls gnutls nss bash mysqld postgres */
	uint32_t present;
	uint64_t pid; /* 0 = all */
	uint64_t uid; /* 0 = all */
	int debug, hex;
	uint8_t btf; /* 0 auto, 1 CO-RE, 2 non-CO-RE */
	int64_t per_cpu_map_size;
	uint64_t truncate_size; /* 0 = no limit */
	char target_process[EC_CONFIG_MAX_PROCS][EC_CONFIG_COMM_LEN];
	size_t n_target;
	char ignore_process[EC_CONFIG_MAX_PROCS][EC_CONFIG_COMM_LEN];
	size_t n_ignore;
	char cgroup[EC_CONFIG_MAX_CGROUPS][EC_CONFIG_CGROUP_LEN]; /* paths below the cgroup2 root */
	size_t n_cgroup;
	char container[EC_CONFIG_MAX_CGROUPS][72]; /* container id prefixes */
	size_t n_container;
	/* module fields (malloc'd, NULL when absent) */
	char *path;  /* the module's library or binary; JSON key from ec_config_path_key */
	char *model; /* text pcap pcapng key keylog */
	char *keylogfile, *pcapfile, *ifname, *cgroup_path, *ssl_version, *readline, *funcname;
	int64_t errno_filter; /* bash: "errno" */
	uint64_t offset;      /* mysqld: function offset */
};

/*
 * Parse and check a config body for module (a route name, with or without
 * the leading '/'). Returns an enum ec_resp; on failure msg holds one line
 * naming the field and the fix. cfg is filled (free with ec_config_free)
 * only when EC_RESP_OK is returned; on failure nothing needs freeing.
 */
int ec_config_parse(const char *module, const char *body, size_t len, struct ec_config *cfg,
		    char *msg, size_t msglen);
void ec_config_free(struct ec_config *cfg);

/* Canonical module for a route name ("/openssl" → "tls"); NULL if unknown. */
const char *ec_config_module(const char *route);
/* Every accepted route, NULL-terminated (for --help and the HTTP router). */
extern const char *const ec_config_routes[];
/* JSON key of the module's path field ("libssl", "elfpath", ...); NULL if none. */
const char *ec_config_path_key(const char *module);
/* The module's fields, a short help line each, NULL-terminated pairs. */
const char *const *ec_config_module_fields(const char *module);

/* The body for cfg: only the present fields, in the seeds' layout (malloc'd). */
char *ec_config_to_json(const struct ec_config *cfg);

/* {"code":N,"module_type":"tls","msg":"...","data":null} (malloc'd). */
char *ec_config_response(int code, const char *module, const char *msg);
/*
 * Read a response body: its code and msg. Returns 0, or -1 (msg says why)
 * when the body is not a response.
 */
int ec_config_response_parse(const char *body, size_t len, int *code, char *msg, size_t msglen);
/* HTTP status for a code: 0→200, 3→404, 4/5→400, 6→503, else 500. */
int ec_config_http_status(int code);
/* "RespOK", "RespConfigDecodeFailed", ... */
const char *ec_config_code_name(int code);

#endif
