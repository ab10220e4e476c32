/*
 * ec-capture gotls: find crypto/tls in a Go binary (symbols or, stripped,
 * the pclntab), hook it with plain uprobes (entries after Go's stack check,
 * every RET of (*Conn).Read), and turn ring-buffer events into records.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <gelf.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "config.h"
#include "control.h"
#include "error.h"
#include "goelf.h"
#include "gotls.h"
#include "gotls.skel.h"
#include "modules.h"
#include "record.h"
#include "util.h"
#include "x86ret.h"

#define MAX_LINKS 128
#define MAX_RETS 64
#define MAX_NAMES 32
#define CONTROL_DEFAULT "/run/ec/capture.sock"

#define FN_READ "crypto/tls.(*Conn).Read"
#define FN_WRITE "crypto/tls.(*Conn).writeRecordLocked"
#define FN_KEYLOG "crypto/tls.(*Config).writeKeyLog"

struct gotls_opts {
	long pid;
	long uid;
	int uid_set;
	char targets[MAX_NAMES][GOTLS_COMM_LEN];
	int ntargets;
	char ignores[MAX_NAMES][GOTLS_COMM_LEN];
	int nignores;
	uint64_t truncate;
	const char *elfpath;
	const char *keylogfile;
	uint64_t ringbuf;
	unsigned heartbeat;
	int abi; /* 0 = from the version, 1 = register, 2 = stack */
	int pclntab_only;
	int dry_run;
	int empty; /* --empty-probes: attach an empty program (benchmark baseline) */
	int force;
	int debug;
	const char *control; /* --control socket path, NULL = none */
};

/* One resolved probe point: a file offset and what it is. */
struct hook {
	const char *what;
	uint64_t offset;
	uint64_t addr;
};

struct gotls_run {
	struct gotls_opts o;
	struct gotls_bpf *skel;
	struct bpf_link *links[MAX_LINKS];
	int nlinks;
	struct ec_capture *cap;
	FILE *keylog;
	char keylog_path[4096];
	struct ec_control *control;
	int ncpus;
	uint64_t keylines;
};

static int debug_libbpf;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	if (!debug_libbpf)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void usage(FILE *f, const char *cmd)
{
	fprintf(
	    f,
	    "usage: %s %s (--elfpath BIN | --pid PID) [options] > out.pb   (or | ec-dump)\n"
	    "Capture the plaintext of Go programs' crypto/tls (stripped binaries too).\n"
	    "  -e, --elfpath BIN          the Go program to hook (any process running it)\n"
	    "  -p, --pid PID              only this process; without --elfpath, hook its\n"
	    "                             binary (/proc/PID/exe)\n"
	    "  -u, --uid UID              only this user id\n"
	    "  -t, --target-process N,..  only these commands (comm, 15 chars)\n"
	    "  -i, --ignore-process N,..  never these commands\n"
	    "  -T, --truncate SIZE        keep at most SIZE bytes of each call (k/M/G)\n"
	    "  -k, --keylogfile FILE      also append NSS key log lines to FILE\n"
	    "  -a, --abi reg|stack        Go calling convention (default: from the Go version)\n"
	    "  -P, --pclntab              find functions in .gopclntab even when .symtab exists\n"
	    "  -n, --dry-run              print the resolved hooks and exit (no root needed)\n"
	    "  -E, --empty-probes         attach an empty program at the same places\n"
	    "                             (the bare uprobe cost, for benchmarks; no events)\n"
	    "  -r, --ringbuf SIZE         ring buffer size (default 8M, power of 2)\n"
	    "  -b, --heartbeat SECONDS    heartbeat record interval (default 15, 0 = none)\n"
	    "  -f, --force                write records even when stdout is a terminal\n"
	    "  -d, --debug                libbpf and verifier messages on stderr\n"
	    "  -c, --control [PATH]       take live config (HTTP POST /gotls, JSON) on a Unix\n"
	    "                             socket (default " CONTROL_DEFAULT ")\n"
	    "  -h, --help                 this help\n"
	    "Needs root. Stops on SIGINT/SIGTERM or when the reader of stdout exits.\n",
	    argv0, cmd);
}

static int split_names(char *arg, char (*names)[GOTLS_COMM_LEN], int *n, const char *opt)
{
	int before = *n;
	for (char *s = strtok(arg, ","); s; s = strtok(NULL, ",")) {
		if (*n >= MAX_NAMES) {
			ec_warn("%s: more than %d names", opt, MAX_NAMES);
			return -1;
		}
		if (strlen(s) >= GOTLS_COMM_LEN)
			ec_warn("%s: '%s' is longer than %d characters: the kernel's comm is cut, "
				"matching '%.*s'",
				opt, s, GOTLS_COMM_LEN - 1, GOTLS_COMM_LEN - 1, s);
		snprintf(names[(*n)++], GOTLS_COMM_LEN, "%s", s);
	}
	if (*n == before) {
		ec_warn("%s: empty name list; give NAME[,NAME...]", opt);
		return -1;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct gotls_opts *o)
{
	static const struct option longopts[] = {
	    {"elfpath", required_argument, 0, 'e'},
	    {"pid", required_argument, 0, 'p'},
	    {"uid", required_argument, 0, 'u'},
	    {"target-process", required_argument, 0, 't'},
	    {"ignore-process", required_argument, 0, 'i'},
	    {"truncate", required_argument, 0, 'T'},
	    {"keylogfile", required_argument, 0, 'k'},
	    {"abi", required_argument, 0, 'a'},
	    {"pclntab", no_argument, 0, 'P'},
	    {"dry-run", no_argument, 0, 'n'},
	    {"empty-probes", no_argument, 0, 'E'},
	    {"ringbuf", required_argument, 0, 'r'},
	    {"heartbeat", required_argument, 0, 'b'},
	    {"force", no_argument, 0, 'f'},
	    {"debug", no_argument, 0, 'd'},
	    {"control", optional_argument, 0, 'c'},
	    {"help", no_argument, 0, 'h'},
	    {0, 0, 0, 0},
	};
	long long v;
	int c;
	const char *cmd = argv[0];

	o->ringbuf = 8u << 20;
	o->heartbeat = 15;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":e:p:u:t:i:T:k:a:PnEr:b:fdc::h", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'e':
			o->elfpath = optarg;
			break;
		case 'p':
			if (ec_parse_int(optarg, 1, 0x7fffffff, &v)) {
				ec_warn("--pid: '%s' is not a process id (a number > 0)", optarg);
				return 2;
			}
			o->pid = (long)v;
			break;
		case 'u':
			if (ec_parse_int(optarg, 0, 0xfffffffe, &v)) {
				ec_warn("--uid: '%s' is not a user id (a number >= 0)", optarg);
				return 2;
			}
			o->uid = (long)v;
			o->uid_set = 1;
			break;
		case 't':
			if (split_names(optarg, o->targets, &o->ntargets, "--target-process"))
				return 2;
			break;
		case 'i':
			if (split_names(optarg, o->ignores, &o->nignores, "--ignore-process"))
				return 2;
			break;
		case 'T':
			if (ec_parse_size(optarg, &o->truncate) ||
			    o->truncate > EC_CONFIG_TRUNCATE_MAX) {
				ec_warn(
				    "--truncate: '%s' is not a size from 0 to 1G (e.g. 4096, 64k)",
				    optarg);
				return 2;
			}
			break;
		case 'k':
			o->keylogfile = optarg;
			break;
		case 'a':
			if (!strcmp(optarg, "reg"))
				o->abi = 1;
			else if (!strcmp(optarg, "stack"))
				o->abi = 2;
			else {
				ec_warn("--abi: '%s' is not 'reg' (Go >= 1.17) or 'stack'", optarg);
				return 2;
			}
			break;
		case 'P':
			o->pclntab_only = 1;
			break;
		case 'n':
			o->dry_run = 1;
			break;
		case 'E':
			o->empty = 1;
			break;
		case 'r':
			if (ec_parse_size(optarg, &o->ringbuf) || o->ringbuf < 4096 ||
			    o->ringbuf > (1ull << 30)) {
				ec_warn("--ringbuf: '%s' is not a size from 4k to 1G", optarg);
				return 2;
			}
			break;
		case 'b':
			if (ec_parse_int(optarg, 0, 86400, &v)) {
				ec_warn("--heartbeat: '%s' is not a number of seconds (0-86400)",
					optarg);
				return 2;
			}
			o->heartbeat = (unsigned)v;
			break;
		case 'f':
			o->force = 1;
			break;
		case 'd':
			o->debug = 1;
			break;
		case 'c':
			o->control = ec_optarg_optional(argc, argv);
			if (!o->control || !*o->control)
				o->control = CONTROL_DEFAULT;
			break;
		case 'h':
			usage(stdout, cmd);
			exit(0);
		case ':':
			ec_warn("%s: option %s needs a value (see --help)", cmd, argv[optind - 1]);
			return 2;
		default:
			ec_warn("%s: unknown option '%s' (see --help)", cmd, argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		ec_warn("%s: unexpected argument '%s' (see --help)", cmd, argv[optind]);
		return 2;
	}
	if (!o->elfpath && !o->pid) {
		ec_warn("%s: which Go program? give --elfpath BIN or --pid PID", cmd);
		return 2;
	}
	return 0;
}

/* A startup fact: on stderr and as a process-log record. */
static void say(struct gotls_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct gotls_run *r, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	ec_warn("%s", buf); /* escaped: paths and names are captured bytes */
	if (r->cap)
		ec_record_log(ec_capture_writer(r->cap), EC_LOG_INFO, "%s", buf);
}

static void fmt_addr(int family, const uint8_t *a, char *out, size_t len)
{
	if (family == 2)
		inet_ntop(AF_INET, a, out, (socklen_t)len);
	else if (family == 10)
		inet_ntop(AF_INET6, a, out, (socklen_t)len);
	else
		out[0] = '\0';
}

static int on_keylog(struct gotls_run *r, const struct gotls_keylog *k)
{
	static const char hex[] = "0123456789abcdef";
	char line[GOTLS_LABEL_MAX + 4 * GOTLS_SECRET_MAX + 8];
	size_t n = 0;
	if (!k->label_len || !k->random_len || !k->secret_len || k->label_len > GOTLS_LABEL_MAX ||
	    k->random_len > GOTLS_SECRET_MAX || k->secret_len > GOTLS_SECRET_MAX)
		return 0; /* unreadable arguments: nothing usable */
	for (uint32_t i = 0; i < k->label_len; i++) {
		char ch = k->label[i];
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_'))
			return 0; /* not a key log label: the probe read garbage */
		line[n++] = ch;
	}
	line[n++] = ' ';
	for (uint32_t i = 0; i < k->random_len; i++) {
		line[n++] = hex[k->random[i] >> 4];
		line[n++] = hex[k->random[i] & 15];
	}
	line[n++] = ' ';
	for (uint32_t i = 0; i < k->secret_len; i++) {
		line[n++] = hex[k->secret[i] >> 4];
		line[n++] = hex[k->secret[i] & 15];
	}
	line[n] = '\0';
	r->keylines++;
	if (r->keylog) {
		fprintf(r->keylog, "%s\n", line);
		fflush(r->keylog);
	}
	return ec_record_keylog(ec_capture_writer(r->cap), line);
}

static int on_event(void *ctx, const void *data, size_t size)
{
	struct gotls_run *r = ctx;
	if (size >= sizeof(uint32_t) && *(const uint32_t *)data == GOTLS_KIND_KEYLOG) {
		if (size < sizeof(struct gotls_keylog))
			return 0;
		return on_keylog(r, data);
	}
	const struct gotls_event *te = data;
	if (size < sizeof *te || te->len > size - sizeof *te)
		return 0;

	char comm[GOTLS_COMM_LEN + 1], src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], uuid[96];
	memcpy(comm, te->comm, GOTLS_COMM_LEN);
	comm[GOTLS_COMM_LEN] = '\0';
	fmt_addr(te->family, te->saddr, src, sizeof src);
	fmt_addr(te->family, te->daddr, dst, sizeof dst);
	snprintf(uuid, sizeof uuid, "%u_%u_%s_%d_%u", te->pid, te->tid, comm, te->fd, te->dir);

	EcEvent ev = EVENT__EVENT__INIT;
	ev.timestamp = ec_capture_walltime(te->ts_ns);
	ev.uuid = uuid;
	ev.src_ip = src;
	ev.src_port = te->sport;
	ev.dst_ip = dst;
	ev.dst_port = te->dport;
	ev.pid = te->pid;
	ev.pname = comm;
	ev.tid = te->tid;
	ev.uid = te->uid;
	ev.fd = te->fd;
	ev.conn_id = te->conn_id;
	ev.source = EVENT__SOURCE__SOURCE_GOTLS;
	if (te->kind == GOTLS_KIND_CLOSE) {
		ev.closed = 1;
		snprintf(uuid, sizeof uuid, "%u_%u_%s_%d_0", te->pid, te->tid, comm, te->fd);
	} else if (te->kind == GOTLS_KIND_DATA) {
		ev.direction = te->dir == GOTLS_DIR_READ ? EVENT__DIRECTION__DIRECTION_READ
							 : EVENT__DIRECTION__DIRECTION_WRITE;
		ev.length = te->len;
		ev.payload.data = (uint8_t *)te->data;
		ev.payload.len = te->len;
		ev.seq = te->seq;
		if (te->truncated) {
			ev.truncated = 1;
			ev.orig_length = te->call_len;
		}
	} else {
		return 0;
	}
	EcLogEntry e = EVENT__LOG_ENTRY__INIT;
	e.log_type = EVENT__LOG_TYPE__LOG_TYPE_EVENT;
	e.payload_case = EVENT__LOG_ENTRY__PAYLOAD_EVENT_PAYLOAD;
	e.event_payload = &ev;
	int err = ec_writer_put(ec_capture_writer(r->cap), &e);
	if (err)
		return err;
	ec_capture_count(r->cap, te->len);
	return 0;
}

static uint64_t read_lost(void *ctx)
{
	struct gotls_run *r = ctx;
	uint64_t vals[1024] = {0}, sum = 0;
	uint32_t zero = 0;
	if (r->ncpus <= 0 || r->ncpus > 1024)
		return 0;
	if (bpf_map_lookup_elem(bpf_map__fd(r->skel->maps.gotls_lost), &zero, vals))
		return 0;
	for (int i = 0; i < r->ncpus; i++)
		sum += vals[i];
	return sum;
}

static int apply_filters(struct gotls_run *r)
{
	struct gotls_cfg cfg = {0};
	uint32_t zero = 0;
	cfg.pid = (uint32_t)r->o.pid;
	cfg.uid = (uint32_t)r->o.uid;
	cfg.uid_set = (uint32_t)r->o.uid_set;
	cfg.n_target = (uint32_t)r->o.ntargets;
	cfg.truncate = r->o.truncate;
	cfg.wakeup_bytes = r->o.ringbuf / 4;
	int cfd = bpf_map__fd(r->skel->maps.gotls_comms);
	char key[GOTLS_COMM_LEN], next[GOTLS_COMM_LEN];
	while (bpf_map_get_next_key(cfd, NULL, next) == 0)
		bpf_map_delete_elem(cfd, next);
	for (int i = 0; i < r->o.nignores + r->o.ntargets; i++) {
		int ign = i < r->o.nignores;
		uint32_t v = ign ? GOTLS_COMM_IGNORE : GOTLS_COMM_TARGET;
		memset(key, 0, sizeof key);
		memcpy(key, ign ? r->o.ignores[i] : r->o.targets[i - r->o.nignores],
		       GOTLS_COMM_LEN - 1);
		if (bpf_map_update_elem(cfd, key, &v, BPF_ANY))
			return -errno;
	}
	if (bpf_map_update_elem(bpf_map__fd(r->skel->maps.gotls_config), &zero, &cfg, BPF_ANY))
		return -errno;
	return 0;
}

static void describe_filters(struct gotls_run *r, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = '\0';
	if (r->o.pid)
		n += (size_t)snprintf(buf + n, len - n, " pid=%ld", r->o.pid);
	if (r->o.uid_set && n < len)
		n += (size_t)snprintf(buf + n, len - n, " uid=%ld", r->o.uid);
	for (int i = 0; i < r->o.ntargets && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, " target=%s", r->o.targets[i]);
	for (int i = 0; i < r->o.nignores && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, " ignore=%s", r->o.ignores[i]);
	if (r->o.truncate && n < len)
		snprintf(buf + n, len - n, " truncate=%llu", (unsigned long long)r->o.truncate);
	if (!buf[0])
		snprintf(buf, len, " none");
}

/* Apply a parsed config to the running capture: maps only, no detach. */
static int gotls_apply(struct gotls_run *r, const struct ec_config *cfg, char *msg, size_t msglen)
{
	struct gotls_opts o = r->o;
	char applied[512] = "", ignored[512] = "";
#define NOTE(buf, name)                                                                            \
	snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", buf[0] ? ", " : "", name)
	if (cfg->present & EC_CF_PID) {
		o.pid = (long)cfg->pid;
		NOTE(applied, "pid");
	}
	if (cfg->present & EC_CF_UID) {
		o.uid = (long)cfg->uid;
		o.uid_set = cfg->uid != 0; /* 0 = every user, as in eCapture */
		NOTE(applied, "uid");
	}
	if (cfg->present & EC_CF_TRUNCATE_SIZE) {
		o.truncate = cfg->truncate_size;
		NOTE(applied, "truncate_size");
	}
	if (cfg->present & EC_CF_TARGET_PROCESS) {
		o.ntargets = 0;
		for (size_t i = 0; i < cfg->n_target && i < MAX_NAMES; i++)
			snprintf(o.targets[o.ntargets++], GOTLS_COMM_LEN, "%s",
				 cfg->target_process[i]);
		NOTE(applied, "target_process");
	}
	if (cfg->present & EC_CF_IGNORE_PROCESS) {
		o.nignores = 0;
		for (size_t i = 0; i < cfg->n_ignore && i < MAX_NAMES; i++)
			snprintf(o.ignores[o.nignores++], GOTLS_COMM_LEN, "%s",
				 cfg->ignore_process[i]);
		NOTE(applied, "ignore_process");
	}
	if (cfg->present & EC_CF_DEBUG) {
		o.debug = cfg->debug;
		debug_libbpf = o.debug;
		NOTE(applied, "debug");
	}
	FILE *newlog = NULL;
	if ((cfg->present & EC_CF_KEYLOGFILE) && cfg->keylogfile && *cfg->keylogfile &&
	    strcmp(cfg->keylogfile, r->keylog_path)) {
		newlog = fopen(cfg->keylogfile, "ae");
		if (!newlog) {
			snprintf(msg, msglen, "keylogfile %s: %s", cfg->keylogfile,
				 strerror(errno));
			return EC_RESP_CHECK_FAILED;
		}
		NOTE(applied, "keylogfile");
	}
	if ((cfg->present & EC_CF_PATH) && cfg->path && *cfg->path)
		NOTE(ignored, "elfpath (hooks stay on the binary they were attached to)");
	if (cfg->present & EC_CF_HEX)
		NOTE(ignored, "hex (a display option: use ec-dump --hex)");
	if (cfg->present &
	    (EC_CF_PER_CPU_MAP_SIZE | EC_CF_BTF | EC_CF_MODEL | EC_CF_PCAPFILE | EC_CF_IFNAME))
		NOTE(ignored, "per_cpu_map_size/btf/model/pcap fields (need a restart)");
#undef NOTE
	struct gotls_opts old = r->o;
	r->o = o;
	int err = apply_filters(r);
	if (err) {
		r->o = old;
		apply_filters(r);
		if (newlog)
			fclose(newlog);
		snprintf(msg, msglen, "cannot update the BPF maps: %s", ec_capture_strerror(err));
		return EC_RESP_INTERNAL;
	}
	if (newlog) {
		if (r->keylog)
			fclose(r->keylog);
		r->keylog = newlog;
		snprintf(r->keylog_path, sizeof r->keylog_path, "%s", cfg->keylogfile);
		r->o.keylogfile = r->keylog_path;
	}
	char filters[1024];
	describe_filters(r, filters, sizeof filters);
	say(r, "control: config applied; filters:%s", filters);
	snprintf(msg, msglen, "applied: %s%s%s", applied[0] ? applied : "nothing",
		 ignored[0] ? "; not applied: " : "", ignored);
	return EC_RESP_OK;
}

static char *on_control(void *ctx, const char *method, const char *path, const char *body,
			size_t len, int *status)
{
	struct gotls_run *r = ctx;
	char msg[1024] = "";
	const char *route = path[0] == '/' ? path + 1 : path;
	const char *module = ec_config_module(route);
	int code;
	if (strcmp(method, "POST")) {
		*status = 405;
		snprintf(msg, sizeof msg, "%s %s: use POST /gotls with a JSON config body", method,
			 path);
		return ec_config_response(EC_RESP_INVALID_REQUEST, module ? module : "gotls", msg);
	}
	struct ec_config cfg;
	code = ec_config_parse(route, body, len, &cfg, msg, sizeof msg);
	if (code == EC_RESP_OK) {
		if (strcmp(cfg.module, "gotls")) {
			code = EC_RESP_NOT_FOUND;
			snprintf(msg, sizeof msg, "this ec-capture runs module gotls, not %s",
				 cfg.module);
		} else {
			code = gotls_apply(r, &cfg, msg, sizeof msg);
		}
		ec_config_free(&cfg);
	}
	if (code != EC_RESP_OK)
		say(r, "control: POST %s refused: %s", path, msg);
	*status = ec_config_http_status(code);
	return ec_config_response(code, module ? module : "gotls", msg);
}

static int control_tick(void *ctx)
{
	struct gotls_run *r = ctx;
	return r->control ? ec_control_service(r->control) : 0;
}

/*
 * Resolve the probe points of one function: the entry (after the stack
 * check) or every RET. Returns the number of hooks stored, or -1 (message
 * printed).
 */
static int resolve(struct ec_goelf *g, const char *path, const char *fn, int rets, int pclntab,
		   struct hook *out, int max, const char **from)
{
	struct ec_gofunc f;
	int rc = ec_goelf_func(g, fn, pclntab, &f);
	if (rc == EC_ERR_NOTFOUND) {
		ec_warn("%s: function %s not found in .symtab%s nor .gopclntab: does the program "
			"use crypto/tls?",
			path, fn, ec_goelf_has_symtab(g) ? "" : " (stripped)");
		return -1;
	}
	if (rc) {
		ec_warn("%s: function %s: its address is outside the file's segments", path, fn);
		return -1;
	}
	*from = f.from;
	if (!rets) {
		size_t body = ec_x86_go_body(f.code, f.size);
		out[0] = (struct hook){fn, f.offset + body, f.addr + body};
		return 1;
	}
	uint32_t offs[MAX_RETS];
	size_t n = 0, bad = 0;
	rc = ec_x86_find_rets(f.code, f.size, offs, MAX_RETS, &n, &bad);
	if (rc) {
		ec_warn("%s: cannot decode %s at +0x%zx (address 0x%llx, bytes %02x %02x %02x): "
			"its returns cannot be hooked",
			path, fn, bad, (unsigned long long)(f.addr + bad), f.code[bad],
			bad + 1 < f.size ? f.code[bad + 1] : 0,
			bad + 2 < f.size ? f.code[bad + 2] : 0);
		return -1;
	}
	if (!n || n > (size_t)max) {
		ec_warn("%s: %s has %zu RET instructions (expected 1 to %d)", path, fn, n, max);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = (struct hook){fn, f.offset + offs[i], f.addr + offs[i]};
	return (int)n;
}

static int attach_at(struct gotls_run *r, struct bpf_program *prog, const char *path,
		     uint64_t offset)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo);
	if (r->nlinks >= MAX_LINKS)
		return -E2BIG;
	struct bpf_link *l = bpf_program__attach_uprobe_opts(prog, -1, path, offset, &uo);
	if (!l)
		return -errno;
	r->links[r->nlinks++] = l;
	return 0;
}

static void detach_all(struct gotls_run *r)
{
	for (int i = r->nlinks - 1; i >= 0; i--)
		bpf_link__destroy(r->links[i]);
	r->nlinks = 0;
}

static uint64_t pow2_at_least(uint64_t v)
{
	uint64_t p = 4096;
	while (p < v)
		p <<= 1;
	return p;
}

int gotls_main(int argc, char **argv)
{
	struct gotls_run run, *r = &run;
	char exe[64], shown[4096], msg[4352];
	struct hook wr, rd, kl, rets[MAX_RETS];
	const char *from_wr = "", *from_rd = "", *from_kl = "", *from_x = "";
	int err, nrets, status = 1;
	struct ec_goelf *g = NULL;

	memset(r, 0, sizeof *r);
	if ((err = parse_args(argc, argv, &r->o)))
		return err;
	debug_libbpf = r->o.debug;
	libbpf_set_print(libbpf_print);

	const char *path = r->o.elfpath;
	if (!path) {
		snprintf(exe, sizeof exe, "/proc/%ld/exe", r->o.pid);
		path = exe;
		ssize_t n = readlink(exe, shown, sizeof shown - 1);
		if (n < 0) {
			ec_warn("--pid %ld: cannot read %s: %s", r->o.pid, exe,
				errno == ENOENT ? "no such process" : strerror(errno));
			return 1;
		}
		shown[n] = '\0';
	} else {
		snprintf(shown, sizeof shown, "%s", path);
	}
	if (!r->o.dry_run && isatty(STDOUT_FILENO) && !r->o.force) {
		ec_warn("stdout is a terminal and records are binary: pipe them (%s gotls ... | "
			"ec-dump) or redirect (> out.pb); --force writes anyway",
			argv0);
		return 2;
	}
	if (!r->o.dry_run && geteuid() != 0) {
		ec_warn("needs root (BPF and uprobes): run it with sudo");
		return 1;
	}

	g = ec_goelf_open(path, msg, sizeof msg);
	if (!g) {
		ec_warn("%s", msg);
		return 1;
	}
	if (ec_goelf_machine(g) != EM_X86_64) {
		ec_warn("%s: machine %d is not x86-64: only x86-64 Go binaries are supported",
			shown, ec_goelf_machine(g));
		goto cleanup;
	}
	const char *version = ec_goelf_version(g);
	int regabi = r->o.abi ? r->o.abi == 1 : ec_go_regabi(version, EM_X86_64);
	if (!version && !r->o.abi) {
		ec_warn("%s: no Go version found (no .go.buildinfo): not a Go program, or give "
			"--abi reg|stack",
			shown);
		goto cleanup;
	}
	if (resolve(g, shown, FN_WRITE, 0, r->o.pclntab_only, &wr, 1, &from_wr) < 0 ||
	    resolve(g, shown, FN_READ, 0, r->o.pclntab_only, &rd, 1, &from_rd) < 0 ||
	    (nrets = resolve(g, shown, FN_READ, 1, r->o.pclntab_only, rets, MAX_RETS, &from_x)) < 0)
		goto cleanup;
	int have_kl = resolve(g, shown, FN_KEYLOG, 0, r->o.pclntab_only, &kl, 1, &from_kl) > 0;

	struct ec_capture_opts co = {
	    .origin = "ec-capture",
	    .heartbeat_s = r->o.heartbeat,
	    .tty_counters = -1,
	};
	if (!r->o.dry_run) {
		r->cap = ec_capture_new(STDOUT_FILENO, &co);
		if (!r->cap) {
			ec_warn("cannot set up the output: %s", strerror(errno));
			goto cleanup;
		}
	}
	ec_capture_banner(r->cap, "gotls");
	say(r, "program %s: %s, %s ABI, symbols from %s (.symtab %s, pclntab %s)", shown,
	    version ? version : "unknown Go version", regabi ? "register" : "stack", from_rd,
	    ec_goelf_has_symtab(g) ? "present" : "absent",
	    ec_goelf_pclntab_format(g) ? ec_goelf_pclntab_format(g) : "absent");
	say(r, "%s at 0x%llx: probe at file offset 0x%llx", FN_WRITE, (unsigned long long)wr.addr,
	    (unsigned long long)wr.offset);
	say(r, "%s at 0x%llx: probe at file offset 0x%llx", FN_READ, (unsigned long long)rd.addr,
	    (unsigned long long)rd.offset);
	for (int i = 0; i < nrets; i++)
		say(r, "%s RET at 0x%llx: probe at file offset 0x%llx", FN_READ,
		    (unsigned long long)rets[i].addr, (unsigned long long)rets[i].offset);
	if (have_kl)
		say(r, "%s at 0x%llx: probe at file offset 0x%llx", FN_KEYLOG,
		    (unsigned long long)kl.addr, (unsigned long long)kl.offset);
	else
		say(r, "%s not found: no key log", FN_KEYLOG);
	if (r->o.dry_run) {
		status = 0;
		goto cleanup;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		ec_warn("no kernel BTF at /sys/kernel/btf/vmlinux (%s): needs a kernel built with "
			"CONFIG_DEBUG_INFO_BTF=y",
			strerror(errno));
		goto cleanup;
	}
	if (r->o.keylogfile) {
		r->keylog = fopen(r->o.keylogfile, "ae");
		if (!r->keylog) {
			ec_warn("--keylogfile %s: %s", r->o.keylogfile, strerror(errno));
			goto cleanup;
		}
		snprintf(r->keylog_path, sizeof r->keylog_path, "%s", r->o.keylogfile);
	}

	r->skel = gotls_bpf__open();
	if (!r->skel) {
		ec_warn("cannot open the BPF object: %s", strerror(errno));
		goto cleanup;
	}
	r->skel->rodata->regabi = (uint32_t)regabi;
	r->o.ringbuf = pow2_at_least(r->o.ringbuf);
	bpf_map__set_max_entries(r->skel->maps.gotls_events, (uint32_t)r->o.ringbuf);
	if ((err = gotls_bpf__load(r->skel))) {
		ec_warn("cannot load the BPF programs: %s%s", ec_capture_strerror(err),
			r->o.debug ? " (verifier log above)"
				   : "; run with --debug to see the verifier's log");
		goto cleanup;
	}
	r->ncpus = libbpf_num_possible_cpus();
	if ((err = apply_filters(r))) {
		ec_warn("cannot write the filter maps: %s", ec_capture_strerror(err));
		goto cleanup;
	}
	struct bpf_program *empty = r->o.empty ? r->skel->progs.go_empty : NULL;
	if ((err = attach_at(r, empty ? empty : r->skel->progs.go_write, path, wr.offset)) ||
	    (err = attach_at(r, empty ? empty : r->skel->progs.go_read_enter, path, rd.offset)))
		goto attach_failed;
	for (int i = 0; i < nrets; i++)
		if ((err = attach_at(r, empty ? empty : r->skel->progs.go_read_ret, path,
				     rets[i].offset)))
			goto attach_failed;
	if (have_kl &&
	    (err = attach_at(r, empty ? empty : r->skel->progs.go_keylog, path, kl.offset)))
		goto attach_failed;
	struct bpf_link *l = bpf_program__attach(r->skel->progs.go_sock_state);
	if (!l) {
		ec_warn("cannot attach tp_btf/inet_sock_set_state: %s", strerror(errno));
		goto cleanup;
	}
	r->links[r->nlinks++] = l;
	if (r->o.control) {
		char cerr[512];
		r->control = ec_control_new(r->o.control, EC_CONFIG_BODY_MAX, on_control, r, cerr,
					    sizeof cerr);
		if (!r->control) {
			ec_warn("--control: %s", cerr);
			goto cleanup;
		}
		ec_capture_set_tick(r->cap, control_tick, r);
		say(r, "control: HTTP on unix socket %s (POST /gotls with a JSON config)",
		    r->o.control);
	}
	char filters[1024];
	describe_filters(r, filters, sizeof filters);
	say(r, "hooked %s, %s (entry and %d RETs)%s in %s; filters:%s%s", FN_WRITE, FN_READ, nrets,
	    have_kl ? ", " FN_KEYLOG : "", shown, filters,
	    empty ? " (empty probes: no events)" : "");

	err = ec_capture_add_ringbuf(r->cap, bpf_map__fd(r->skel->maps.gotls_events), on_event, r);
	if (err) {
		ec_warn("cannot poll the ring buffer: %s", strerror(errno));
		goto cleanup;
	}
	ec_capture_set_lost(r->cap, read_lost, r);
	ec_capture_handle_signals();
	if (ec_writer_flush(ec_capture_writer(r->cap)) == EC_ERR_IO) {
		ec_warn("cannot write to stdout: %s", strerror(errno));
		goto cleanup;
	}
	err = ec_capture_run(r->cap);
	if (err) {
		ec_warn("capture stopped: %s", ec_strerror(err));
		goto cleanup;
	}
	status = 0;
	goto cleanup;
attach_failed:
	ec_warn("cannot attach a uprobe in %s: %s", shown, ec_capture_strerror(err));
cleanup:
	detach_all(r);
	if (r->cap) {
		uint64_t ev = ec_capture_events(r->cap), lost = r->skel ? read_lost(r) : 0;
		if (status == 0)
			fprintf(stderr,
				"%s: stopped: %llu events, %llu key log lines, %llu lost, all "
				"probes detached\n",
				argv0, (unsigned long long)ev, (unsigned long long)r->keylines,
				(unsigned long long)lost);
		err = ec_capture_free(r->cap);
		if (err && err != EC_ERR_PIPE && status == 0) {
			ec_warn("cannot write to stdout: %s", ec_strerror(err));
			status = 1;
		}
	}
	ec_control_free(r->control);
	if (r->keylog)
		fclose(r->keylog);
	gotls_bpf__destroy(r->skel);
	ec_goelf_close(g);
	return status;
}
