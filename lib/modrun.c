#include "modrun.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <getopt.h>
#include <glob.h>
#include <libelf.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "control.h"
#include "error.h"
#include "modempty.skel.h"
#include "modevent.h"
#include "record.h"
#include "stream.h"
#include "util.h"

#define CONTROL_DEFAULT "/run/ec/capture.sock"

static int debug_libbpf;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	if (!debug_libbpf)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void usage(FILE *f, const struct ec_mod_spec *s)
{
	fprintf(f,
		"usage: %s %s [options] > out.pb   (or | ec-dump)\n"
		"%s\n"
		"  -p, --pid PID              only this process (also finds its %s)\n"
		"  -u, --uid UID              only this user id\n"
		"  -t, --target-process N,..  only these commands (comm, 15 chars)\n"
		"  -i, --ignore-process N,..  never these commands\n"
		"  -T, --truncate SIZE        keep at most SIZE bytes of each call (k/M/G)\n"
		"      --%s PATH%*s%s\n",
		argv0, s->name, s->what, s->path_opt, s->path_opt,
		(int)(strlen(s->path_opt) < 15 ? 16 - strlen(s->path_opt) : 1), "", s->path_help);
	if (s->errnumber)
		fprintf(f, "  -e, --errnumber N          only commands whose return code is N\n");
	fprintf(
	    f, "  -r, --ringbuf SIZE         ring buffer size (default 8M, power of 2)\n"
	       "  -b, --heartbeat SECONDS    heartbeat record interval (default 15, 0 = none)\n"
	       "  -f, --force                write records even when stdout is a terminal\n"
	       "  -d, --debug                libbpf and verifier messages on stderr\n"
	       "  -c, --control [PATH]       take live config (HTTP POST /MODULE, JSON) on a Unix\n"
	       "                             socket (default " CONTROL_DEFAULT ")\n"
	       "      --empty-probes         attach a program doing nothing on the same uprobes\n"
	       "                             (no records: to measure a bare uprobe's cost)\n"
	       "  -h, --help                 this help\n"
	       "Needs root. Stops on SIGINT/SIGTERM or when the reader of stdout exits.\n");
}

static int split_names(char *arg, char **names, int *n, const char *opt)
{
	char *save = NULL;
	int before = *n;
	for (char *s = strtok_r(arg, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
		if (*n >= EC_MOD_MAX_NAMES) {
			ec_warn("%s: more than %d names", opt, EC_MOD_MAX_NAMES);
			return -1;
		}
		if (strlen(s) >= MOD_COMM_LEN)
			ec_warn("%s: '%s' is longer than %d characters: the kernel's comm is cut, "
				"matching '%.*s'",
				opt, s, MOD_COMM_LEN - 1, MOD_COMM_LEN - 1, s);
		names[(*n)++] = s;
	}
	if (*n == before) {
		ec_warn("%s: empty name list; give NAME[,NAME...]", opt);
		return -1;
	}
	return 0;
}

int ec_mod_parse(struct ec_mod *m, const struct ec_mod_spec *spec, int argc, char **argv)
{
	struct option longopts[] = {
	    {"pid", required_argument, 0, 'p'},
	    {"uid", required_argument, 0, 'u'},
	    {"target-process", required_argument, 0, 't'},
	    {"ignore-process", required_argument, 0, 'i'},
	    {"truncate", required_argument, 0, 'T'},
	    {spec->path_opt, required_argument, 0, 'P'},
	    {"ringbuf", required_argument, 0, 'r'},
	    {"heartbeat", required_argument, 0, 'b'},
	    {"force", no_argument, 0, 'f'},
	    {"debug", no_argument, 0, 'd'},
	    {"help", no_argument, 0, 'h'},
	    {"empty-probes", no_argument, 0, 'E'},
	    {"control", optional_argument, 0, 'c'},
	    {"errnumber", required_argument, 0, 'e'}, /* last: cleared when not accepted */
	    {0, 0, 0, 0},
	};
	struct ec_mod_opts *o = &m->o;
	const char *cmd = argv[0];
	long long v;
	int c;

	if (!spec->errnumber)
		memset(&longopts[sizeof longopts / sizeof *longopts - 2], 0, sizeof *longopts);
	memset(m, 0, sizeof *m);
	m->spec = spec;
	o->ringbuf = 8u << 20;
	o->heartbeat = 15;
	opterr = 0;
	optind = 1;
	while (
	    (c = getopt_long(argc, argv,
			     spec->errnumber ? ":p:u:t:i:T:r:b:e:c::fdh" : ":p:u:t:i:T:r:b:c::fdh",
			     longopts, NULL)) != -1) {
		switch (c) {
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
		case 'P':
			if (!*optarg) {
				ec_warn("--%s: empty path", spec->path_opt);
				return 2;
			}
			o->path = optarg;
			break;
		case 'e':
			if (ec_parse_int(optarg, -2147483648LL, 2147483647LL, &v)) {
				ec_warn("--errnumber: '%s' is not a return code (an integer)",
					optarg);
				return 2;
			}
			o->errnumber = v;
			o->errnumber_set = 1;
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
		case 'E':
			o->empty = 1;
			break;
		case 'c':
			o->control = ec_optarg_optional(argc, argv);
			if (!o->control || !*o->control)
				o->control = CONTROL_DEFAULT;
			break;
		case 'h':
			usage(stdout, spec);
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
	return 0;
}

int ec_mod_check(struct ec_mod *m)
{
	if (isatty(STDOUT_FILENO) && !m->o.force) {
		ec_warn("stdout is a terminal and records are binary: pipe them (%s %s | ec-dump) "
			"or redirect (> out.pb); --force writes anyway",
			argv0, m->spec->name);
		return 2;
	}
	if (geteuid() != 0) {
		ec_warn("needs root (BPF and uprobes): run it with sudo");
		return 1;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		ec_warn("no kernel BTF at /sys/kernel/btf/vmlinux (%s): needs a kernel built with "
			"CONFIG_DEBUG_INFO_BTF=y",
			strerror(errno));
		return 1;
	}
	if (m->o.pid && kill((pid_t)m->o.pid, 0) != 0 && errno == ESRCH) {
		ec_warn("--pid %ld: no such process", m->o.pid);
		return 1;
	}
	debug_libbpf = m->o.debug;
	libbpf_set_print(libbpf_print);
	return 0;
}

void ec_mod_say(struct ec_mod *m, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	ec_warn("%s", buf); /* escaped: paths and names are captured bytes */
	if (m->cap)
		ec_record_log(ec_capture_writer(m->cap), EC_LOG_INFO, "%s", buf);
}

int ec_mod_start(struct ec_mod *m, const char *target, const char *version)
{
	struct ec_capture_opts co = {
	    .origin = "ec-capture",
	    .heartbeat_s = m->o.heartbeat,
	    .tty_counters = -1,
	};
	m->cap = ec_capture_new(STDOUT_FILENO, &co);
	if (!m->cap) {
		ec_warn("cannot set up the output: %s", strerror(errno));
		return 1;
	}
	ec_capture_banner(m->cap, m->spec->name);
	if (version && *version)
		ec_mod_say(m, "target %s (%s)", target, version);
	else
		ec_mod_say(m, "target %s", target);
	return 0;
}

static uint64_t pow2_at_least(uint64_t v)
{
	uint64_t p = 4096;
	while (p < v)
		p <<= 1;
	return p;
}

static int map_fd(struct ec_mod *m, const char *name)
{
	struct bpf_map *map = bpf_object__find_map_by_name(m->obj, name);
	return map ? bpf_map__fd(map) : -ENOENT;
}

int ec_mod_apply_filters(struct ec_mod *m)
{
	struct mod_cfg cfg = {0};
	uint32_t zero = 0;
	cfg.pid = (uint32_t)m->o.pid;
	cfg.uid = (uint32_t)m->o.uid;
	cfg.uid_set = (uint32_t)m->o.uid_set;
	cfg.n_target = (uint32_t)m->o.ntargets;
	cfg.truncate = m->o.truncate;
	cfg.wakeup_bytes = m->o.ringbuf / 4;
	cfg.errnumber = m->o.errnumber;
	cfg.errnumber_set = (uint32_t)m->o.errnumber_set;
	int cfd = map_fd(m, "mod_comms"), kfd = map_fd(m, "mod_config");
	if (cfd < 0 || kfd < 0)
		return -ENOENT;
	char key[MOD_COMM_LEN], next[MOD_COMM_LEN];
	while (bpf_map_get_next_key(cfd, NULL, next) == 0)
		bpf_map_delete_elem(cfd, next);
	for (int i = 0; i < m->o.nignores + m->o.ntargets; i++) {
		int ign = i < m->o.nignores;
		uint32_t v = ign ? MOD_COMM_IGNORE : MOD_COMM_TARGET;
		memset(key, 0, sizeof key);
		strncpy(key, ign ? m->o.ignores[i] : m->o.targets[i - m->o.nignores],
			MOD_COMM_LEN - 1);
		if (bpf_map_update_elem(cfd, key, &v, BPF_ANY))
			return -errno;
	}
	if (bpf_map_update_elem(kfd, &zero, &cfg, BPF_ANY))
		return -errno;
	return 0;
}

static void describe_filters(struct ec_mod *m, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = '\0';
	if (m->o.pid)
		n += (size_t)snprintf(buf + n, len - n, " pid=%ld", m->o.pid);
	if (m->o.uid_set && n < len)
		n += (size_t)snprintf(buf + n, len - n, " uid=%ld", m->o.uid);
	for (int i = 0; i < m->o.ntargets && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, " target=%s", m->o.targets[i]);
	for (int i = 0; i < m->o.nignores && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, " ignore=%s", m->o.ignores[i]);
	if (m->o.truncate && n < len)
		n += (size_t)snprintf(buf + n, len - n, " truncate=%llu",
				      (unsigned long long)m->o.truncate);
	if (m->o.errnumber_set && n < len)
		snprintf(buf + n, len - n, " errnumber=%lld", m->o.errnumber);
	if (!buf[0])
		snprintf(buf, len, " none");
}

int ec_mod_load(struct ec_mod *m, struct bpf_object *obj)
{
	char filters[1024];
	int err;
	m->obj = obj;
	struct bpf_map *rb = bpf_object__find_map_by_name(obj, "mod_events");
	if (!rb) {
		ec_warn("BPF object has no mod_events ring buffer (a build problem)");
		return 1;
	}
	m->o.ringbuf = pow2_at_least(m->o.ringbuf);
	bpf_map__set_max_entries(rb, (uint32_t)m->o.ringbuf);
	if ((err = bpf_object__load(obj))) {
		ec_warn("cannot load the BPF programs: %s%s", ec_capture_strerror(err),
			m->o.debug ? " (verifier log above)"
				   : "; run with --debug to see the verifier's log");
		return 1;
	}
	m->ncpus = libbpf_num_possible_cpus();
	if (m->o.empty) {
		m->empty = modempty_bpf__open_and_load();
		if (!m->empty) {
			ec_warn("cannot load the empty BPF program: %s", strerror(errno));
			return 1;
		}
		ec_mod_say(m, "--empty-probes: uprobes run an empty program, no records");
	}
	if ((err = ec_mod_apply_filters(m))) {
		ec_warn("cannot write the filter maps: %s", ec_capture_strerror(err));
		return 1;
	}
	describe_filters(m, filters, sizeof filters);
	ec_mod_say(m, "filters:%s", filters);
	return 0;
}

int ec_mod_uprobe(struct ec_mod *m, struct bpf_program *prog, const char *path, const char *sym,
		  int retprobe)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo, .func_name = sym, .retprobe = retprobe);
	if (m->nlinks >= EC_MOD_MAX_LINKS)
		return -E2BIG;
	if (m->empty)
		prog = m->empty->progs.empty;
	struct bpf_link *l = bpf_program__attach_uprobe_opts(prog, -1, path, 0, &uo);
	if (!l)
		return -errno;
	m->links[m->nlinks++] = l;
	return 0;
}

int ec_mod_attach(struct ec_mod *m, struct bpf_program *prog, const char *what)
{
	if (m->empty) /* only uprobes run the empty program */
		return 0;
	if (m->nlinks >= EC_MOD_MAX_LINKS)
		return -E2BIG;
	struct bpf_link *l = bpf_program__attach(prog);
	if (!l) {
		int err = -errno;
		ec_warn("cannot attach %s: %s", what, ec_capture_strerror(err));
		return err;
	}
	m->links[m->nlinks++] = l;
	return 0;
}

uint64_t ec_mod_lost(struct ec_mod *m)
{
	uint64_t vals[1024] = {0}, sum = 0;
	uint32_t zero = 0;
	int fd = m->obj ? map_fd(m, "mod_lost") : -1;
	if (fd < 0 || m->ncpus <= 0 || m->ncpus > 1024)
		return 0;
	if (bpf_map_lookup_elem(fd, &zero, vals))
		return 0;
	for (int i = 0; i < m->ncpus; i++)
		sum += vals[i];
	return sum;
}

static uint64_t read_lost(void *ctx)
{
	return ec_mod_lost(ctx);
}

int ec_mod_apply_config(struct ec_mod *m, const struct ec_config *cfg, char *msg, size_t msglen)
{
	struct ec_mod_opts o = m->o;
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
	if (cfg->present & (EC_CF_TARGET_PROCESS | EC_CF_IGNORE_PROCESS)) {
		/* copy both lists: the old pointers may be argv's or this buffer's */
		char keep[2][EC_MOD_MAX_NAMES][16];
		for (int i = 0; i < o.ntargets; i++)
			snprintf(keep[0][i], 16, "%s", o.targets[i]);
		for (int i = 0; i < o.nignores; i++)
			snprintf(keep[1][i], 16, "%s", o.ignores[i]);
		if (cfg->present & EC_CF_TARGET_PROCESS) {
			o.ntargets = 0;
			for (size_t i = 0; i < cfg->n_target && i < EC_MOD_MAX_NAMES; i++)
				snprintf(keep[0][o.ntargets++], 16, "%s", cfg->target_process[i]);
			NOTE(applied, "target_process");
		}
		if (cfg->present & EC_CF_IGNORE_PROCESS) {
			o.nignores = 0;
			for (size_t i = 0; i < cfg->n_ignore && i < EC_MOD_MAX_NAMES; i++)
				snprintf(keep[1][o.nignores++], 16, "%s", cfg->ignore_process[i]);
			NOTE(applied, "ignore_process");
		}
		memcpy(m->names, keep, sizeof keep);
		for (int i = 0; i < o.ntargets; i++)
			o.targets[i] = m->names[0][i];
		for (int i = 0; i < o.nignores; i++)
			o.ignores[i] = m->names[1][i];
	}
	if ((cfg->present & EC_CF_ERRNO) && m->spec->errnumber) {
		o.errnumber = cfg->errno_filter;
		o.errnumber_set = 1;
		NOTE(applied, "errno");
	}
	if (cfg->present & EC_CF_DEBUG) {
		o.debug = cfg->debug;
		debug_libbpf = o.debug;
		NOTE(applied, "debug");
	}
	if ((cfg->present & EC_CF_PATH) && cfg->path && *cfg->path)
		NOTE(ignored, "path (hooks stay where they were attached)");
	if (cfg->present & EC_CF_HEX)
		NOTE(ignored, "hex (a display option: use ec-dump --hex)");
	if (cfg->present &
	    ~(EC_CF_PID | EC_CF_UID | EC_CF_TRUNCATE_SIZE | EC_CF_TARGET_PROCESS |
	      EC_CF_IGNORE_PROCESS | EC_CF_ERRNO | EC_CF_DEBUG | EC_CF_PATH | EC_CF_HEX))
		NOTE(ignored, "other fields (need a restart)");
#undef NOTE
	struct ec_mod_opts old = m->o;
	m->o = o;
	int err = ec_mod_apply_filters(m);
	if (err) {
		m->o = old;
		ec_mod_apply_filters(m);
		snprintf(msg, msglen, "cannot update the BPF maps: %s", ec_capture_strerror(err));
		return EC_RESP_INTERNAL;
	}
	char filters[1024];
	describe_filters(m, filters, sizeof filters);
	ec_mod_say(m, "control: config applied; filters:%s", filters);
	snprintf(msg, msglen, "applied: %s%s%s", applied[0] ? applied : "nothing",
		 ignored[0] ? "; not applied: " : "", ignored);
	return EC_RESP_OK;
}

/* The canonical module name of ours the config library uses (nspr -> nss). */
static const char *config_name(const struct ec_mod *m)
{
	const char *c = ec_config_module(m->spec->name);
	return c ? c : m->spec->name;
}

static char *on_control(void *ctx, const char *method, const char *path, const char *body,
			size_t len, int *status)
{
	struct ec_mod *m = ctx;
	char msg[1024] = "";
	const char *route = path[0] == '/' ? path + 1 : path;
	const char *module = ec_config_module(route);
	int code;
	if (strcmp(method, "POST")) {
		*status = 405;
		snprintf(msg, sizeof msg, "%s %s: use POST /%s with a JSON config body", method,
			 path, m->spec->name);
		return ec_config_response(EC_RESP_INVALID_REQUEST, module ? module : config_name(m),
					  msg);
	}
	struct ec_config cfg;
	code = ec_config_parse(route, body, len, &cfg, msg, sizeof msg);
	if (code == EC_RESP_OK) {
		if (strcmp(cfg.module, config_name(m))) {
			code = EC_RESP_NOT_FOUND;
			snprintf(msg, sizeof msg, "this ec-capture runs module %s, not %s",
				 config_name(m), cfg.module);
		} else {
			code = ec_mod_apply_config(m, &cfg, msg, sizeof msg);
		}
		ec_config_free(&cfg);
	}
	if (code != EC_RESP_OK)
		ec_mod_say(m, "control: POST %s refused: %s", path, msg);
	*status = ec_config_http_status(code);
	return ec_config_response(code, module ? module : config_name(m), msg);
}

static int control_tick(void *ctx)
{
	struct ec_mod *m = ctx;
	return m->control ? ec_control_service(m->control) : 0;
}

int ec_mod_run(struct ec_mod *m, ec_capture_sample_fn fn, void *ctx)
{
	int err = ec_capture_add_ringbuf(m->cap, map_fd(m, "mod_events"), fn, ctx);
	if (err) {
		ec_warn("cannot poll the ring buffer: %s", strerror(errno));
		return 1;
	}
	if (m->o.control) {
		char cerr[512];
		m->control = ec_control_new(m->o.control, EC_CONFIG_BODY_MAX, on_control, m, cerr,
					    sizeof cerr);
		if (!m->control) {
			ec_warn("--control: %s", cerr);
			return 1;
		}
		ec_capture_set_tick(m->cap, control_tick, m);
		ec_mod_say(m, "control: HTTP on unix socket %s (POST /%s with a JSON config)",
			   m->o.control, m->spec->name);
	}
	ec_capture_set_lost(m->cap, read_lost, m);
	ec_capture_handle_signals();
	if (ec_writer_flush(ec_capture_writer(m->cap)) == EC_ERR_IO) {
		ec_warn("cannot write to stdout: %s", strerror(errno));
		return 1;
	}
	err = ec_capture_run(m->cap);
	if (err) {
		ec_warn("capture stopped: %s", ec_strerror(err));
		return 1;
	}
	return 0;
}

int ec_mod_finish(struct ec_mod *m, int status)
{
	for (int i = m->nlinks - 1; i >= 0; i--)
		bpf_link__destroy(m->links[i]);
	m->nlinks = 0;
	modempty_bpf__destroy(m->empty);
	m->empty = NULL;
	ec_control_free(m->control);
	m->control = NULL;
	if (m->cap) {
		uint64_t ev = ec_capture_events(m->cap), lost = ec_mod_lost(m);
		if (status == 0)
			fprintf(stderr,
				"%s: stopped: %llu events, %llu lost, all probes detached\n", argv0,
				(unsigned long long)ev, (unsigned long long)lost);
		int err = ec_capture_free(m->cap);
		m->cap = NULL;
		if (err && err != EC_ERR_PIPE && status == 0) {
			ec_warn("cannot write to stdout: %s", ec_strerror(err));
			status = 1;
		}
	}
	return status;
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

int ec_mod_put(struct ec_mod *m, const struct mod_event *me, const void *payload, size_t len,
	       const char *note)
{
	char comm[MOD_COMM_LEN + 1], src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], uuid[96];
	memcpy(comm, me->comm, MOD_COMM_LEN);
	comm[MOD_COMM_LEN] = '\0';
	fmt_addr(me->family, me->saddr, src, sizeof src);
	fmt_addr(me->family, me->daddr, dst, sizeof dst);
	unsigned dir = me->kind == MOD_KIND_CLOSE ? 0 : me->dir;
	snprintf(uuid, sizeof uuid, "%u_%u_%s_%d_%u", me->pid, me->tid, comm, me->fd, dir);
	if (!payload) {
		payload = me->data;
		len = me->len;
	}

	EcEvent ev = EVENT__EVENT__INIT;
	ev.timestamp = ec_capture_walltime(me->ts_ns);
	ev.uuid = uuid;
	ev.src_ip = src;
	ev.src_port = me->sport;
	ev.dst_ip = dst;
	ev.dst_port = me->dport;
	ev.pid = me->pid;
	ev.pname = comm;
	ev.tid = me->tid;
	ev.uid = me->uid;
	ev.fd = me->fd;
	ev.conn_id = me->conn_id;
	ev.source = (Event__Source)m->spec->source;
	if (note && *note)
		ev.note = (char *)note;
	if (me->flags & MOD_F_RETVAL)
		ev.retval = me->retval;
	if (me->kind == MOD_KIND_CLOSE) {
		ev.closed = 1;
	} else {
		if (me->dir)
			ev.direction = me->dir == MOD_DIR_READ ? EVENT__DIRECTION__DIRECTION_READ
							       : EVENT__DIRECTION__DIRECTION_WRITE;
		ev.length = (uint32_t)len;
		ev.payload.data = (uint8_t *)payload;
		ev.payload.len = len;
		ev.seq = me->seq;
		if (me->flags & MOD_F_TRUNCATED) {
			ev.truncated = 1;
			ev.orig_length = me->call_len;
		}
	}
	EcLogEntry e = EVENT__LOG_ENTRY__INIT;
	e.log_type = EVENT__LOG_TYPE__LOG_TYPE_EVENT;
	e.payload_case = EVENT__LOG_ENTRY__PAYLOAD_EVENT_PAYLOAD;
	e.event_payload = &ev;
	int err = ec_writer_put(ec_capture_writer(m->cap), &e);
	if (err)
		return err;
	ec_capture_count(m->cap, len);
	return 0;
}

/* Does the file name (after the last '/') start with base? */
static int base_is(const char *path, const char *base)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	return !strncmp(b, base, strlen(base));
}

static int maps_find(pid_t pid, const char *base, char *out, size_t len)
{
	char fn[64], line[4096];
	snprintf(fn, sizeof fn, "/proc/%d/maps", (int)pid);
	FILE *f = fopen(fn, "r");
	if (!f)
		return EC_ERR_IO;
	int found = 0;
	while (!found && fgets(line, sizeof line, f)) {
		char *p = strchr(line, '/');
		if (!p)
			continue;
		p[strcspn(p, "\n")] = '\0';
		if (strstr(p, " (deleted)") || !base_is(p, base))
			continue;
		if (access(p, R_OK) == 0)
			snprintf(out, len, "%s", p);
		else
			snprintf(out, len, "/proc/%d/root%s", (int)pid, p);
		found = 1;
	}
	fclose(f);
	return found ? 0 : EC_ERR_NOTFOUND;
}

static int ldconfig_find(const char *soname, char *out, size_t len)
{
	char line[4096];
	size_t n = strlen(soname);
	int found = 0;
	FILE *f = popen("ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null", "r");
	if (!f)
		return EC_ERR_IO;
	while (fgets(line, sizeof line, f)) {
		char *name = line;
		while (isspace((unsigned char)*name))
			name++;
		char *arrow = strstr(line, "=> ");
		if (found || !arrow || !strstr(line, "x86-64") || strncmp(name, soname, n) ||
		    name[n] != ' ')
			continue;
		char *path = arrow + 3;
		path[strcspn(path, "\n")] = '\0';
		if (access(path, R_OK) == 0) {
			snprintf(out, len, "%s", path);
			found = 1;
		}
	}
	pclose(f);
	return found ? 0 : EC_ERR_NOTFOUND;
}

int ec_mod_find_lib(const char *explicit_path, pid_t pid, const char *base, const char *soname,
		    char *out, size_t len, char *msg, size_t msglen)
{
	if (explicit_path) {
		if (access(explicit_path, R_OK) != 0) {
			snprintf(msg, msglen, "%s: %s", explicit_path, strerror(errno));
			return EC_ERR_NOTFOUND;
		}
		snprintf(out, len, "%s", explicit_path);
		return 0;
	}
	if (pid > 0) {
		int err = maps_find(pid, base, out, len);
		if (!err)
			return 0;
		if (err == EC_ERR_IO) {
			snprintf(msg, msglen, "cannot read /proc/%d/maps: %s", (int)pid,
				 strerror(errno));
			return err;
		}
	}
	if (!ldconfig_find(soname, out, len))
		return 0;
	if (pid > 0)
		snprintf(msg, msglen,
			 "%s not found: process %d maps no %s* and `ldconfig -p` lists no %s "
			 "(install it, or give the path)",
			 soname, (int)pid, base, soname);
	else
		snprintf(msg, msglen,
			 "%s not found: `ldconfig -p` lists none (install it, or give the path)",
			 soname);
	return EC_ERR_NOTFOUND;
}

int ec_mod_find_bin(const char *explicit_path, pid_t pid, const char *const *candidates, char *out,
		    size_t len, char *msg, size_t msglen)
{
	if (explicit_path) {
		if (access(explicit_path, R_OK) != 0) {
			snprintf(msg, msglen, "%s: %s", explicit_path, strerror(errno));
			return EC_ERR_NOTFOUND;
		}
		snprintf(out, len, "%s", explicit_path);
		return 0;
	}
	if (pid > 0) {
		char fn[64], exe[4096];
		snprintf(fn, sizeof fn, "/proc/%d/exe", (int)pid);
		ssize_t n = readlink(fn, exe, sizeof exe - 1);
		if (n > 0) {
			exe[n] = '\0';
			if (access(exe, R_OK) == 0)
				snprintf(out, len, "%s", exe);
			else
				snprintf(out, len, "%s", fn);
			return 0;
		}
	}
	size_t used = (size_t)snprintf(msg, msglen, "none of");
	for (int i = 0; candidates[i]; i++) {
		glob_t g;
		if (glob(candidates[i], 0, NULL, &g) == 0) {
			for (size_t j = g.gl_pathc; j-- > 0;) {
				if (access(g.gl_pathv[j], R_OK) == 0) {
					snprintf(out, len, "%s", g.gl_pathv[j]);
					globfree(&g);
					return 0;
				}
			}
			globfree(&g);
		}
		if (used < msglen)
			used += (size_t)snprintf(msg + used, msglen - used, " %s", candidates[i]);
	}
	if (used < msglen)
		snprintf(msg + used, msglen - used, " exists");
	return EC_ERR_NOTFOUND;
}

/* Call fn for every defined function symbol matching sym (a prefix when prefix). */
static int each_symbol(const char *path, const char *sym, int prefix, int funcs_only,
		       int (*fn)(void *ctx, const char *name, uint64_t value), void *ctx)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), found = 0;
	if (fd < 0)
		return EC_ERR_IO;
	elf_version(EV_CURRENT);
	Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		if (elf)
			elf_end(elf);
		close(fd);
		return EC_ERR_UNSUPPORTED;
	}
	size_t n = strlen(sym);
	int stop = 0;
	/* .symtab first; .dynsym only when there is no match there */
	for (int pass = 0; pass < 2 && !found && !stop; pass++) {
		Elf_Scn *scn = NULL;
		Elf64_Word want = pass == 0 ? SHT_SYMTAB : SHT_DYNSYM;
		while (!stop && (scn = elf_nextscn(elf, scn))) {
			GElf_Shdr sh;
			if (!gelf_getshdr(scn, &sh) || sh.sh_type != want || !sh.sh_entsize)
				continue;
			Elf_Data *d = elf_getdata(scn, NULL);
			size_t count = sh.sh_size / sh.sh_entsize;
			for (size_t i = 0; d && i < count && !stop; i++) {
				GElf_Sym s;
				if (!gelf_getsym(d, (int)i, &s) ||
				    (funcs_only && GELF_ST_TYPE(s.st_info) != STT_FUNC) ||
				    s.st_shndx == SHN_UNDEF || !s.st_value)
					continue;
				const char *name = elf_strptr(elf, sh.sh_link, s.st_name);
				if (!name || strncmp(name, sym, n) || (!prefix && name[n]))
					continue;
				if (prefix && strchr(name + n, '.')) /* .cold, .part.0, .isra.0 */
					continue;
				found++;
				stop = fn(ctx, name, s.st_value);
			}
		}
	}
	elf_end(elf);
	close(fd);
	return found ? 0 : EC_ERR_NOTFOUND;
}

struct first_ctx {
	char *out;
	size_t len;
};

static int take_first(void *ctx, const char *name, uint64_t value)
{
	(void)value;
	struct first_ctx *c = ctx;
	snprintf(c->out, c->len, "%s", name);
	return 1;
}

int ec_mod_find_symbol(const char *path, const char *sym, int prefix, char *out, size_t len)
{
	struct first_ctx c = {out, len};
	return each_symbol(path, sym, prefix, 1, take_first, &c);
}

static int take_value(void *ctx, const char *name, uint64_t value)
{
	(void)name;
	*(uint64_t *)ctx = value;
	return 1;
}

int ec_mod_symbol_value(const char *path, const char *name, uint64_t *value)
{
	return each_symbol(path, name, 0, 0, take_value, value);
}

struct list_ctx {
	char (*names)[EC_MOD_SYM_LEN];
	int max, n;
};

static int take_all(void *ctx, const char *name, uint64_t value)
{
	(void)value;
	struct list_ctx *c = ctx;
	for (int i = 0; i < c->n; i++)
		if (!strcmp(c->names[i], name))
			return 0;
	if (c->n < c->max && strlen(name) < EC_MOD_SYM_LEN)
		snprintf(c->names[c->n++], EC_MOD_SYM_LEN, "%s", name);
	return c->n >= c->max;
}

int ec_mod_list_symbols(const char *path, const char *prefix, char (*names)[EC_MOD_SYM_LEN],
			int max)
{
	struct list_ctx c = {names, max, 0};
	int err = each_symbol(path, prefix, 1, 1, take_all, &c);
	return err ? err : c.n;
}
