// SPDX-License-Identifier: GPL-2.0-only
/* The runner every ec-capture module is a spec over (see mod.h). */
#include "mod.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "cgroup.h"
#include "control.h"
#include "empty.skel.h"
#include "error.h"
#include "event.h"
#include "record.h"
#include "sslkeys.h"
#include "target.h"
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

/* Keys of the options every module shares (letters where they have one). */
enum {
	OPT_PATH = 256,
	OPT_ERRNO, /* long only: -e is gotls's --elfpath, one letter one meaning */
	OPT_CGROUP,
	OPT_CONTAINER,
};

static const struct ec_opt common_opts[] = {
    {"pid", 'p', "PID", "only this process (also finds its target)"},
    {"uid", 'u', "UID", "only this user id"},
    {"target-process", 't', "N,..", "only these commands (comm, 15 chars)"},
    {"ignore-process", 'i', "N,..", "never these commands"},
    {"cgroup", OPT_CGROUP, "PATH",
     "only processes in this cgroup or below it (a path\nbelow the cgroup2 mount; again for more)"},
    {"container", OPT_CONTAINER, "ID",
     "only processes of the containers whose id starts\nwith ID (docker, containerd, cri-o, "
     "podman id;\nnspawn machine name; again for more)"},
    {"truncate", 'T', "SIZE", "keep at most SIZE bytes of each call (k/M/G)"},
    {"ringbuf", 'r', "SIZE", "ring buffer size (default 8M, power of 2)"},
    {"heartbeat", 'b', "SECONDS", "heartbeat record interval (default 15, 0 = none)"},
    {"force", 'f', NULL, "write records even when stdout is a terminal"},
    {"debug", 'd', NULL, "libbpf and verifier messages on stderr"},
    {"control", 'c', "[PATH]",
     "take live config (HTTP POST /MODULE, JSON) on a Unix\nsocket (default " CONTROL_DEFAULT ")"},
    {"empty-probes", 'E', NULL,
     "attach a program doing nothing on the same uprobes\n(no records: to measure a bare "
     "uprobe's cost)"},
    {NULL, 0, NULL, NULL},
};

static int split_names(const char *arg, char (*names)[16], int *n, const char *opt)
{
	char buf[4096];
	int before = *n;
	snprintf(buf, sizeof buf, "%s", arg);
	for (char *s = strtok(buf, ","); s; s = strtok(NULL, ",")) {
		if (*n >= EC_MOD_MAX_NAMES) {
			ec_warn("%s: more than %d names", opt, EC_MOD_MAX_NAMES);
			return 2;
		}
		if (strlen(s) >= 16)
			ec_warn("%s: '%s' is longer than 15 characters: the kernel's comm is cut, "
				"matching '%.15s'",
				opt, s, s);
		snprintf(names[(*n)++], 16, "%.15s", s);
	}
	if (*n == before) {
		ec_warn("%s: empty name list; give NAME[,NAME...]", opt);
		return 2;
	}
	return 0;
}

static int common_opt(void *ctx, int key, const char *arg)
{
	struct ec_mod *m = ctx;
	struct ec_mod_opts *o = &m->o;
	long long v;
	if (key == m->spec->path_key)
		key = OPT_PATH;
	switch (key) {
	case 'p':
		if (ec_opt_int(arg, 1, 0x7fffffff, "a process id (a number > 0)", &v))
			return 2;
		o->pid = (long)v;
		return 0;
	case 'u':
		if (ec_opt_int(arg, 0, 0xfffffffe, "a user id (a number >= 0)", &v))
			return 2;
		o->uid = (long)v;
		o->uid_set = 1;
		return 0;
	case 't':
		return split_names(arg, o->targets, &o->ntargets, "--target-process");
	case 'i':
		return split_names(arg, o->ignores, &o->nignores, "--ignore-process");
	case 'T':
		return ec_opt_size(arg, 0, EC_CONFIG_TRUNCATE_MAX,
				   "a size from 0 to 1G (e.g. 4096, 64k)", &o->truncate);
	case 'r':
		return ec_opt_size(arg, 4096, 1ull << 30, "a size from 4k to 1G", &o->ringbuf);
	case 'b':
		if (ec_opt_int(arg, 0, 86400, "a number of seconds (0-86400)", &v))
			return 2;
		o->heartbeat = (unsigned)v;
		return 0;
	case 'f':
		o->force = 1;
		return 0;
	case 'd':
		o->debug = 1;
		return 0;
	case 'c':
		o->control = arg && *arg ? arg : CONTROL_DEFAULT;
		return 0;
	case 'E':
		o->empty = 1;
		return 0;
	case OPT_PATH:
	case 'k':
		if (!*arg) {
			ec_warn("%s: empty path", ec_opt_current());
			return 2;
		}
		*(key == 'k' ? &o->keylog : &o->path) = arg;
		return 0;
	case OPT_CGROUP:
	case OPT_CONTAINER: {
		int c = key == OPT_CGROUP;
		uint64_t id;
		if ((c ? o->ncgroups : o->ncontainers) >= EC_MOD_MAX_NAMES) {
			ec_warn("%s: more than %d", ec_opt_current(), EC_MOD_MAX_NAMES);
			return 2;
		}
		if (!*arg) {
			ec_warn("%s: empty %s", ec_opt_current(), c ? "path" : "id");
			return 2;
		}
		if (c && ec_cgroup_id_of_path(arg, &id)) {
			ec_warn("--cgroup %s: no such cgroup (give a path below the cgroup2 "
				"mount, as /proc/PID/cgroup shows it after \"0::\")",
				arg);
			return 2;
		}
		if (c)
			o->cgroups[o->ncgroups++] = arg;
		else
			o->containers[o->ncontainers++] = arg;
		return 0;
	}
	case OPT_ERRNO:
		if (ec_opt_int(arg, -2147483648LL, 2147483647LL, "a return code (an integer)",
			       &o->errnumber))
			return 2;
		o->errnumber_set = 1;
		return 0;
	}
	return 2;
}

static int module_opt(void *ctx, int key, const char *arg)
{
	struct ec_mod *m = ctx;
	return m->spec->opt(m, key, arg);
}

/* The option tables of a module: its own --PATH/--keylogfile/--errnumber,
 * the shared ones, then its spec's; into own[4], groups[3] and os. */
static void tables(struct ec_mod *m, struct ec_opt *own, struct ec_opt_group *groups,
		   struct ec_opt_spec *os, const char *prog)
{
	const struct ec_mod_spec *s = m->spec;
	int n = 0;
	memset(own, 0, 4 * sizeof *own);
	if (s->path_opt)
		own[n++] = (struct ec_opt){s->path_opt, s->path_key ? s->path_key : OPT_PATH,
					   "PATH", s->path_help};
	if (s->flags & EC_MOD_KEYLOG)
		own[n++] = (struct ec_opt){"keylogfile", 'k', "FILE",
					   "also append the NSS key log lines to FILE"};
	if (s->flags & EC_MOD_ERRNUMBER)
		own[n++] = (struct ec_opt){"errnumber", OPT_ERRNO, "N",
					   "only commands whose return code is N"};
	groups[0] = (struct ec_opt_group){NULL, own, common_opt, m};
	groups[1] = (struct ec_opt_group){NULL, common_opts, common_opt, m};
	groups[2] = (struct ec_opt_group){NULL, s->opts, module_opt, m};
	*os = (struct ec_opt_spec){
	    .prog = prog,
	    .usage = s->usage ? s->usage : "[options] > out.pb   (or | ec-dump)",
	    .about = s->what,
	    .footer = "Needs root. Stops on SIGINT/SIGTERM or when the reader of stdout exits.",
	    .groups = groups,
	    .ngroups = s->opts ? 3 : 2,
	    .operands = s->operands,
	    .what = s->what,
	    .section = 8,
	};
}

int ec_mod_parse(struct ec_mod *m, const struct ec_mod_spec *s, int argc, char **argv, int *first)
{
	struct ec_opt own[4];
	struct ec_opt_group groups[3];
	struct ec_opt_spec os;
	char prog[128];
	memset(m, 0, sizeof *m);
	m->spec = s;
	m->source = s->source;
	m->o.ringbuf = 8u << 20;
	m->o.heartbeat = 15;
	snprintf(prog, sizeof prog, "%s %s", argv0, argv[0]);
	tables(m, own, groups, &os, prog);
	return ec_opt_parse(&os, argc, argv, first);
}

void ec_mod_man(FILE *f, const struct ec_mod_spec *s)
{
	struct ec_mod m = {.spec = s};
	struct ec_opt own[4];
	struct ec_opt_group groups[3];
	struct ec_opt_spec os;
	tables(&m, own, groups, &os, NULL);
	fprintf(f, ".SH \"MODULE %s\"\n", s->name);
	fprintf(f, ".nf\n\\fBec\\-capture %s\\fR ", s->name);
	ec_opt_roff(f, os.usage);
	fputs("\n.fi\n", f);
	ec_opt_roff(f, s->what);
	fputc('\n', f);
	ec_opt_man_options(f, &os);
}

static int check(struct ec_mod *m)
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
	return 0;
}

void ec_mod_say(struct ec_mod *m, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (m->o.say_to) {
		fprintf(m->o.say_to, "%s\n", buf);
		return;
	}
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
	if (!m->o.dry_run) {
		m->cap = ec_capture_new(STDOUT_FILENO, &co);
		if (!m->cap) {
			ec_warn("cannot set up the output: %s", strerror(errno));
			return 1;
		}
	}
	ec_capture_banner(m->cap, m->spec->name);
	if (target && version && *version)
		ec_mod_say(m, "target %s (%s)", target, version);
	else if (target)
		ec_mod_say(m, "target %s", target);
	if (m->o.keylog) {
		m->keylog = fopen(m->o.keylog, "ae");
		if (!m->keylog) {
			ec_warn("--keylogfile %s: %s", m->o.keylog, strerror(errno));
			return 1;
		}
		snprintf(m->keylog_path, sizeof m->keylog_path, "%s", m->o.keylog);
		ec_mod_say(m, "key log: appended to %s", m->o.keylog);
	}
	return 0;
}

static uint64_t pow2_at_least(uint64_t v)
{
	uint64_t p = 4096;
	while (p < v)
		p <<= 1;
	return p;
}

int ec_mod_map_fd(struct ec_mod *m, const char *name)
{
	struct bpf_map *map = m->obj ? bpf_object__find_map_by_name(m->obj, name) : NULL;
	return map ? bpf_map__fd(map) : -ENOENT;
}

/* The ids of --cgroup and of the containers of --container into map
 * ec_cgroups (emptied first when fresh; else only added to). 0 or -errno. */
static int fill_cgroups(struct ec_mod *m, int fresh)
{
	int fd = ec_mod_map_fd(m, "ec_cgroups");
	uint64_t key, ids[EC_MAX_CGROUPS];
	uint8_t one = 1;
	size_t n;
	if (fd < 0)
		return 0; /* an object without the map (none today) */
	while (fresh && bpf_map_get_next_key(fd, NULL, &key) == 0)
		bpf_map_delete_elem(fd, &key);
	for (int i = 0; i < m->o.ncgroups; i++)
		if (ec_cgroup_id_of_path(m->o.cgroups[i], &key) == 0 &&
		    bpf_map_update_elem(fd, &key, &one, BPF_ANY))
			return -errno;
	for (int i = 0; i < m->o.ncontainers; i++) {
		int err = ec_cgroup_find_containers(m->o.containers[i], ids, EC_MAX_CGROUPS, &n);
		if (err && err != EC_ERR_TOOBIG) /* too many: the map holds the first */
			continue;
		for (size_t k = 0; k < n; k++)
			if (bpf_map_update_elem(fd, &ids[k], &one, BPF_ANY) && errno != E2BIG)
				return -errno;
	}
	return 0;
}

/* Containers started after the filter was set: looked for once a second. */
static void refresh_containers(struct ec_mod *m)
{
	int64_t now = ec_mono_ns();
	if (!m->o.ncontainers || now < m->next_containers)
		return;
	m->next_containers = now + 1000000000LL;
	fill_cgroups(m, 0);
}

/* Write the filters into the maps (usable again while running). */
static int apply_filters(struct ec_mod *m)
{
	struct ec_cfg cfg = {0};
	uint32_t zero = 0;
	cfg.pid = (uint32_t)m->o.pid;
	cfg.uid = (uint32_t)m->o.uid;
	cfg.uid_set = (uint32_t)m->o.uid_set;
	cfg.n_target = (uint32_t)m->o.ntargets;
	cfg.n_ignore = (uint32_t)m->o.nignores;
	cfg.truncate = m->o.truncate;
	cfg.wakeup_bytes = m->o.ringbuf / 4;
	cfg.errnumber = m->o.errnumber;
	cfg.errnumber_set = (uint32_t)m->o.errnumber_set;
	cfg.n_cgroup = (m->o.ncgroups || m->o.ncontainers) ? 1 : 0; /* on, even while none match */
	int cfd = ec_mod_map_fd(m, "ec_comms"), kfd = ec_mod_map_fd(m, "ec_config"), err;
	if (cfd < 0 || kfd < 0)
		return -ENOENT;
	if ((err = fill_cgroups(m, 1)))
		return err;
	char key[EC_COMM_LEN], next[EC_COMM_LEN];
	while (bpf_map_get_next_key(cfd, NULL, next) == 0)
		bpf_map_delete_elem(cfd, next);
	for (int i = 0; i < m->o.nignores + m->o.ntargets; i++) {
		int ign = i < m->o.nignores;
		uint32_t v = ign ? EC_COMM_IGNORE : EC_COMM_TARGET;
		memset(key, 0, sizeof key);
		strncpy(key, ign ? m->o.ignores[i] : m->o.targets[i - m->o.nignores],
			EC_COMM_LEN - 1);
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
		n += (size_t)snprintf(buf + n, len - n, " errnumber=%lld", m->o.errnumber);
	for (int i = 0; i < m->o.ncgroups && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, " cgroup=%s", m->o.cgroups[i]);
	for (int i = 0; i < m->o.ncontainers && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, " container=%s", m->o.containers[i]);
	if (!buf[0])
		snprintf(buf, len, " none");
}

int ec_mod_load(struct ec_mod *m, void *skel, struct bpf_object_skeleton *s)
{
	char filters[1024];
	int err;
	if (!skel) {
		ec_warn("cannot open the BPF object: %s", strerror(errno));
		return 1;
	}
	m->skel = skel;
	m->skeleton = s;
	m->obj = *s->obj;
	struct bpf_map *rb = bpf_object__find_map_by_name(m->obj, "ec_events");
	if (!rb) {
		ec_warn("BPF object has no ec_events ring buffer (a build problem)");
		return 1;
	}
	m->o.ringbuf = pow2_at_least(m->o.ringbuf);
	bpf_map__set_max_entries(rb, (uint32_t)m->o.ringbuf);
	/* the skeleton's load: its bss/data pointers then reach the kernel's maps */
	if ((err = bpf_object__load_skeleton(s))) {
		ec_warn("cannot load the BPF programs: %s%s", ec_capture_strerror(err),
			m->o.debug ? " (verifier log above)"
				   : "; run with --debug to see the verifier's log");
		return 1;
	}
	m->ncpus = libbpf_num_possible_cpus();
	if (m->o.empty) {
		m->empty = empty_bpf__open_and_load();
		if (!m->empty) {
			ec_warn("cannot load the empty BPF program: %s", strerror(errno));
			return 1;
		}
		ec_mod_say(m, "--empty-probes: uprobes run an empty program, no records");
	}
	if ((err = apply_filters(m))) {
		ec_warn("cannot write the filter maps: %s", ec_capture_strerror(err));
		return 1;
	}
	describe_filters(m, filters, sizeof filters);
	ec_mod_say(m, "filters:%s", filters);
	return 0;
}

int ec_mod_load_more(struct ec_mod *m, void *skel, struct bpf_object_skeleton *s)
{
	static const char *const shared[] = {"ec_events", "ec_config", "ec_comms", "ec_cgroups",
					     "ec_lost",	  "ec_conns",  "ec_files"};
	int err;
	if (!skel) {
		ec_warn("cannot open the BPF object: %s", strerror(errno));
		return 1;
	}
	if (m->nmore == EC_MOD_MAX_MORE) {
		bpf_object__destroy_skeleton(s);
		free(skel);
		ec_warn("more than %d BPF objects (a build problem)", EC_MOD_MAX_MORE + 1);
		return 1;
	}
	m->more_skel[m->nmore] = skel;
	m->more[m->nmore++] = s;
	for (size_t i = 0; i < sizeof shared / sizeof *shared; i++) {
		struct bpf_map *mine = bpf_object__find_map_by_name(*s->obj, shared[i]);
		int fd = ec_mod_map_fd(m, shared[i]);
		if (mine && fd >= 0 && (err = bpf_map__reuse_fd(mine, fd))) {
			ec_warn("cannot share map %s: %s", shared[i], ec_capture_strerror(err));
			return 1;
		}
	}
	if ((err = bpf_object__load_skeleton(s))) {
		ec_warn("cannot load the BPF programs: %s%s", ec_capture_strerror(err),
			m->o.debug ? " (verifier log above)"
				   : "; run with --debug to see the verifier's log");
		return 1;
	}
	return 0;
}

int ec_mod_hook_pairs(struct ec_mod *m, const char *path, uint64_t cookie,
		      const struct ec_mod_hook *h, size_t n, struct bpf_link **links, int *nlinks,
		      int max, char *done, size_t len)
{
	char sym[512];
	done[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (!h[i].required && ec_target_symbol(path, h[i].sym, 0, sym, sizeof sym)) {
			ec_mod_say(m, "%s: not in %s, not hooked", h[i].sym, path);
			continue;
		}
		for (int ret = 0; ret < 2; ret++) {
			struct bpf_link *l = ec_mod_uprobe_link(m, ret ? h[i].ret : h[i].enter,
								path, h[i].sym, ret, cookie);
			if (!l)
				return 1;
			if (!links) {
				if (ec_mod_keep(m, l))
					return 1;
			} else if (*nlinks < max) {
				links[(*nlinks)++] = l;
			} else {
				ec_mod_detach(&l, 1);
				ec_warn("%s: more than %d probes", path, max);
				return 1;
			}
		}
		snprintf(done + strlen(done), len - strlen(done), "%s%s", done[0] ? ", " : "",
			 h[i].sym);
	}
	return 0;
}

int ec_mod_hooks(struct ec_mod *m, const struct ec_mod_hook *h, size_t n, const char *note)
{
	static const char *const tps[][2] = {{"ec_sys_enter", "sys_enter"},
					     {"ec_sock_state", "inet_sock_set_state"}};
	char done[8192];
	if (ec_mod_hook_pairs(m, m->path, 0, h, n, NULL, NULL, 0, done, sizeof done))
		return 1;
	if (n)
		snprintf(done + strlen(done), sizeof done - strlen(done),
			 " (entry and return%s%s) in %s;", note ? "; " : "", note ? note : "",
			 m->path);
	else
		snprintf(done, sizeof done, "no library yet;");
	for (size_t i = 0, k = 0; i < sizeof tps / sizeof *tps; i++) {
		struct bpf_program *p = bpf_object__find_program_by_name(m->obj, tps[i][0]);
		char what[64];
		snprintf(what, sizeof what, "tp_btf/%s", tps[i][1]);
		if (!p || (i == 0 && m->no_fds)) /* no fds wanted: every system call would pay */
			continue;
		if (ec_mod_attach(m, p, what))
			return 1;
		snprintf(done + strlen(done), sizeof done - strlen(done), "%s %s", k++ ? "," : "",
			 tps[i][1]);
	}
	ec_mod_say(m, "hooked %s", done);
	return 0;
}

int ec_mod_keep(struct ec_mod *m, struct bpf_link *link)
{
	if (m->nlinks >= EC_MOD_MAX_LINKS) {
		bpf_link__destroy(link);
		return -E2BIG;
	}
	m->links[m->nlinks++] = link;
	return 0;
}

static struct bpf_link *uprobe_link(struct ec_mod *m, struct bpf_program *prog, const char *path,
				    const char *sym, uint64_t offset, int retprobe, uint64_t cookie)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo, .func_name = sym, .retprobe = retprobe,
		    .bpf_cookie = cookie);
	if (m->empty)
		prog = m->empty->progs.empty;
	struct bpf_link *l = bpf_program__attach_uprobe_opts(prog, -1, path, offset, &uo);
	if (!l) {
		int err = -errno;
		if (sym)
			ec_warn("cannot attach a %s to %s in %s: %s",
				retprobe ? "uretprobe" : "uprobe", sym, path,
				ec_capture_strerror(err));
		else
			ec_warn("cannot attach a uprobe at offset 0x%llx of %s: %s",
				(unsigned long long)offset, path, ec_capture_strerror(err));
		errno = -err;
	}
	return l;
}

struct bpf_link *ec_mod_uprobe_link(struct ec_mod *m, struct bpf_program *prog, const char *path,
				    const char *sym, int retprobe, uint64_t cookie)
{
	return uprobe_link(m, prog, path, sym, 0, retprobe, cookie);
}

struct bpf_link *ec_mod_uprobe_link_at(struct ec_mod *m, struct bpf_program *prog, const char *path,
				       uint64_t offset, uint64_t cookie)
{
	return uprobe_link(m, prog, path, NULL, offset, 0, cookie);
}

static int uprobe(struct ec_mod *m, struct bpf_program *prog, const char *path, const char *sym,
		  uint64_t offset, int retprobe)
{
	struct bpf_link *l = uprobe_link(m, prog, path, sym, offset, retprobe, 0);
	return l ? ec_mod_keep(m, l) : -errno;
}

int ec_mod_uprobe(struct ec_mod *m, struct bpf_program *prog, const char *path, const char *sym,
		  int retprobe)
{
	return uprobe(m, prog, path, sym, 0, retprobe);
}

int ec_mod_uprobe_at(struct ec_mod *m, struct bpf_program *prog, const char *path, uint64_t offset)
{
	return uprobe(m, prog, path, NULL, offset, 0);
}

int ec_mod_attach(struct ec_mod *m, struct bpf_program *prog, const char *what)
{
	if (m->empty) /* only uprobes run the empty program */
		return 0;
	struct bpf_link *l = bpf_program__attach(prog);
	if (!l) {
		int err = -errno;
		ec_warn("cannot attach %s: %s", what, ec_capture_strerror(err));
		return err;
	}
	return ec_mod_keep(m, l);
}

static void *destroy_link(void *link)
{
	bpf_link__destroy(link);
	return NULL;
}

void ec_mod_detach(struct bpf_link **links, int n)
{
	pthread_t th[EC_MOD_MAX_LINKS];
	int started[EC_MOD_MAX_LINKS];
	for (int at = 0; at < n; at += EC_MOD_MAX_LINKS) { /* a grace period per batch */
		int k = n - at < EC_MOD_MAX_LINKS ? n - at : EC_MOD_MAX_LINKS;
		for (int i = 0; i < k; i++)
			started[i] = pthread_create(&th[i], NULL, destroy_link, links[at + i]) == 0;
		for (int i = 0; i < k; i++) {
			if (started[i])
				pthread_join(th[i], NULL);
			else
				bpf_link__destroy(links[at + i]);
		}
	}
}

uint64_t ec_mod_lost(struct ec_mod *m)
{
	uint64_t vals[1024] = {0}, sum = 0;
	uint32_t zero = 0;
	int fd = ec_mod_map_fd(m, "ec_lost");
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

#define NOTE(buf, name)                                                                            \
	snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%s", buf[0] ? ", " : "", name)

/* Apply a parsed config to the running capture: maps only, no detach. */
static int apply_config(struct ec_mod *m, const struct ec_config *cfg, char *msg, size_t msglen)
{
	struct ec_mod_opts o = m->o;
	char applied[512] = "", ignored[512] = "", what[128];
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
		for (size_t i = 0; i < cfg->n_target && i < EC_MOD_MAX_NAMES; i++)
			snprintf(o.targets[o.ntargets++], 16, "%.15s", cfg->target_process[i]);
		NOTE(applied, "target_process");
	}
	if (cfg->present & EC_CF_IGNORE_PROCESS) {
		o.nignores = 0;
		for (size_t i = 0; i < cfg->n_ignore && i < EC_MOD_MAX_NAMES; i++)
			snprintf(o.ignores[o.nignores++], 16, "%.15s", cfg->ignore_process[i]);
		NOTE(applied, "ignore_process");
	}
	for (size_t i = 0; (cfg->present & EC_CF_CGROUPS) && i < cfg->n_cgroup; i++) {
		uint64_t id;
		if (ec_cgroup_id_of_path(cfg->cgroup[i], &id)) {
			snprintf(
			    msg, msglen,
			    "filters.cgroup[%zu]: %s: no such cgroup (a path below the cgroup2 "
			    "root, as /proc/PID/cgroup shows it after \"0::\")",
			    i, cfg->cgroup[i]);
			return EC_RESP_CHECK_FAILED;
		}
	}
	if (cfg->present & EC_CF_CGROUPS) {
		o.ncgroups = 0;
		for (size_t i = 0; i < cfg->n_cgroup && i < EC_MOD_MAX_NAMES; i++) {
			snprintf(m->live_cgroups[i], sizeof m->live_cgroups[i], "%s",
				 cfg->cgroup[i]);
			o.cgroups[o.ncgroups++] = m->live_cgroups[i];
		}
		NOTE(applied, "cgroup");
	}
	if (cfg->present & EC_CF_CONTAINERS) {
		o.ncontainers = 0;
		for (size_t i = 0; i < cfg->n_container && i < EC_MOD_MAX_NAMES; i++) {
			snprintf(m->live_containers[i], sizeof m->live_containers[i], "%s",
				 cfg->container[i]);
			o.containers[o.ncontainers++] = m->live_containers[i];
		}
		NOTE(applied, "container");
	}
	if ((cfg->present & EC_CF_ERRNO) && (m->spec->flags & EC_MOD_ERRNUMBER)) {
		o.errnumber = cfg->errno_filter;
		o.errnumber_set = 1;
		NOTE(applied, "errno");
	}
	if (cfg->present & EC_CF_DEBUG) {
		o.debug = cfg->debug;
		debug_libbpf = o.debug;
		NOTE(applied, "debug");
	}
	FILE *newlog = NULL;
	if ((cfg->present & EC_CF_KEYLOGFILE) && (m->spec->flags & EC_MOD_KEYLOG) &&
	    cfg->keylogfile && *cfg->keylogfile && strcmp(cfg->keylogfile, m->keylog_path)) {
		newlog = fopen(cfg->keylogfile, "ae");
		if (!newlog) {
			snprintf(msg, msglen, "keylogfile %s: %s", cfg->keylogfile,
				 strerror(errno));
			return EC_RESP_CHECK_FAILED;
		}
		NOTE(applied, "keylogfile");
	}
	if ((cfg->present & EC_CF_PATH) && cfg->path && *cfg->path) {
		snprintf(what, sizeof what, "%s (hooks stay where they were attached)",
			 m->spec->path_opt ? m->spec->path_opt : "path");
		NOTE(ignored, what);
	}
	if (cfg->present & EC_CF_HEX)
		NOTE(ignored, "hex (a display option: use ec-dump --hex)");
	if (cfg->present & ~(EC_CF_PID | EC_CF_UID | EC_CF_TRUNCATE_SIZE | EC_CF_TARGET_PROCESS |
			     EC_CF_IGNORE_PROCESS | EC_CF_ERRNO | EC_CF_DEBUG | EC_CF_PATH |
			     EC_CF_HEX | EC_CF_KEYLOGFILE | EC_CF_CGROUPS | EC_CF_CONTAINERS))
		NOTE(ignored, "other fields (need a restart)");
	struct ec_mod_opts old = m->o;
	m->o = o;
	int err = apply_filters(m);
	if (err) {
		m->o = old;
		apply_filters(m);
		if (newlog)
			fclose(newlog);
		snprintf(msg, msglen, "cannot update the BPF maps: %s", ec_capture_strerror(err));
		return EC_RESP_INTERNAL;
	}
	if (newlog) {
		if (m->keylog)
			fclose(m->keylog);
		m->keylog = newlog;
		snprintf(m->keylog_path, sizeof m->keylog_path, "%s", cfg->keylogfile);
		m->o.keylog = m->keylog_path;
	}
	char filters[1024];
	describe_filters(m, filters, sizeof filters);
	ec_mod_say(m, "control: config applied; filters:%s", filters);
	snprintf(msg, msglen, "applied: %s%s%s", applied[0] ? applied : "nothing",
		 ignored[0] ? "; not applied: " : "", ignored);
	return EC_RESP_OK;
}
#undef NOTE

/* The canonical module name of ours the config library uses (nspr -> nss). */
static const char *config_name(const struct ec_mod *m)
{
	const char *c = ec_config_module(m->spec->name);
	return c ? c : m->spec->name;
}

/* GET /status: what runs, its filters and counts, and the module's part
 * (the files a host-following capture hooked). */
static char *status_json(struct ec_mod *m)
{
	char filters[1024];
	cJSON *o = cJSON_CreateObject();
	describe_filters(m, filters, sizeof filters);
	cJSON_AddStringToObject(o, "module", config_name(m));
	cJSON_AddStringToObject(o, "version", EC_VERSION);
	cJSON_AddStringToObject(o, "filters", filters + 1);
	cJSON_AddNumberToObject(o, "events", (double)ec_capture_events(m->cap));
	cJSON_AddNumberToObject(o, "lost", (double)ec_mod_lost(m));
	cJSON_AddNumberToObject(o, "key_log_lines", (double)m->keylines);
	cJSON_AddBoolToObject(o, "following_host", m->discover);
	if (m->spec->status)
		m->spec->status(m, o);
	char *j = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!j)
		ec_die(1, "out of memory");
	return j;
}

static char *on_control(void *ctx, const char *method, const char *path, const char *body,
			size_t len, int *status)
{
	struct ec_mod *m = ctx;
	char msg[1024] = "";
	const char *route = path[0] == '/' ? path + 1 : path;
	const char *module = ec_config_module(route);
	int code;
	if (!strcmp(method, "GET") && !strcmp(route, "status")) {
		*status = 200;
		return status_json(m);
	}
	if (strcmp(method, "POST")) {
		*status = 405;
		snprintf(msg, sizeof msg, "%s %s: use POST /%s with a JSON config body", method,
			 path, config_name(m));
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
			code = apply_config(m, &cfg, msg, sizeof msg);
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
	if (m->spec->tick)
		m->spec->tick(m);
	refresh_containers(m);
	return m->control ? ec_control_service(m->control) : 0;
}

/*
 * The strings of an event (comm, addresses, uuid) are the same for every
 * event of a thread on a connection: format them once and keep them in a
 * small direct-mapped cache (printf was a third of the per-event cost).
 */
struct fmt_key {
	uint32_t pid, tid, dir; /* dir 0 for a close event */
	int32_t fd;
	uint16_t family, pad;
	uint8_t saddr[16], daddr[16];
	char comm[EC_COMM_LEN];
};

struct fmt_entry {
	int valid;
	struct fmt_key k;
	char comm[EC_COMM_LEN + 1], src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], uuid[96];
};

static struct fmt_entry fmt_cache[64];

static void fmt_addr(int family, const uint8_t *a, char *out, size_t len)
{
	if (family == 2)
		inet_ntop(AF_INET, a, out, (socklen_t)len);
	else if (family == 10)
		inet_ntop(AF_INET6, a, out, (socklen_t)len);
	else
		out[0] = '\0';
}

static struct fmt_entry *fmt_cached(const struct ec_event *e)
{
	struct fmt_key k;
	memset(&k, 0, sizeof k);
	k.pid = e->pid;
	k.tid = e->tid;
	k.dir = e->kind == EC_KIND_CLOSE ? 0 : e->dir;
	k.fd = e->fd;
	k.family = e->family;
	memcpy(k.saddr, e->saddr, sizeof k.saddr);
	memcpy(k.daddr, e->daddr, sizeof k.daddr);
	memcpy(k.comm, e->comm, sizeof k.comm);
	struct fmt_entry *fe = &fmt_cache[(k.tid * 31u + (uint32_t)k.fd * 7u + k.dir) %
					  (sizeof fmt_cache / sizeof *fmt_cache)];
	if (fe->valid && !memcmp(&fe->k, &k, sizeof k))
		return fe;
	fe->valid = 1;
	fe->k = k;
	char comm[EC_COMM_LEN + 1];
	memcpy(comm, k.comm, EC_COMM_LEN);
	comm[EC_COMM_LEN] = '\0';
	memcpy(fe->comm, comm, sizeof comm);
	fmt_addr(k.family, k.saddr, fe->src, sizeof fe->src);
	fmt_addr(k.family, k.daddr, fe->dst, sizeof fe->dst);
	snprintf(fe->uuid, sizeof fe->uuid, "%u_%u_%s_%d_%u", k.pid, k.tid, comm, k.fd, k.dir);
	return fe;
}

/* me as an Event record; a handshake record when random is set (no payload). */
static int put(struct ec_mod *m, const struct ec_event *me, const void *payload, size_t len,
	       const char *note, const uint8_t *random)
{
	struct fmt_entry *fe = fmt_cached(me);
	if (!payload) {
		payload = me->data;
		len = me->len;
	}
	EcEvent ev = EVENT__EVENT__INIT;
	ev.timestamp = ec_capture_walltime(me->ts_ns);
	ev.uuid = fe->uuid;
	ev.src_ip = fe->src;
	ev.src_port = me->sport;
	ev.dst_ip = fe->dst;
	ev.dst_port = me->dport;
	ev.pid = me->pid;
	ev.pname = fe->comm;
	ev.tid = me->tid;
	ev.uid = me->uid;
	ev.fd = me->fd;
	ev.conn_id = me->conn_id;
	int source = m->source;
	const char *lib = NULL;
	if (m->spec->origin)
		m->spec->origin(m, me, &source, &lib);
	ev.source = (Event__Source)source;
	if (lib)
		ev.lib = (char *)lib;
	if (me->nspid && me->nspid != me->pid)
		ev.ns_pid = me->nspid;
	if (me->cgroup) {
		if (!m->cgroups && !(m->cgroups = calloc(1, sizeof *m->cgroups)))
			return EC_ERR_NOMEM;
		const struct ec_cgroup_entry *ce =
		    ec_cgroup_lookup(m->cgroups, me->cgroup, (pid_t)me->pid);
		ev.cgroup_id = me->cgroup;
		if (ce->found)
			ev.cgroup = (char *)ce->path;
		ev.container_id = (char *)ce->info.id;
		ev.pod_uid = (char *)ce->info.pod_uid;
	}
	if (note && *note)
		ev.note = (char *)note;
	if (me->flags & EC_F_RETVAL)
		ev.retval = me->retval;
	if (random) {
		ev.client_random.data = (uint8_t *)random;
		ev.client_random.len = 32;
	} else if (me->kind == EC_KIND_CLOSE) {
		ev.closed = 1;
	} else {
		if (me->dir)
			ev.direction = me->dir == EC_DIR_READ ? EVENT__DIRECTION__DIRECTION_READ
							      : EVENT__DIRECTION__DIRECTION_WRITE;
		ev.length = (uint32_t)len;
		ev.payload.data = (uint8_t *)payload;
		ev.payload.len = len;
		ev.seq = me->seq;
		if (me->flags & EC_F_TRUNCATED) {
			ev.truncated = 1;
			ev.orig_length = me->call_len;
		}
	}
	EcLogEntry e = EVENT__LOG_ENTRY__INIT;
	e.log_type = EVENT__LOG_TYPE__LOG_TYPE_EVENT;
	e.payload_case = EVENT__LOG_ENTRY__PAYLOAD_EVENT_PAYLOAD;
	e.event_payload = &ev;
	if (random)
		e.record_kind = EVENT__RECORD_KIND__RECORD_KIND_HANDSHAKE;
	int err = ec_writer_put(ec_capture_writer(m->cap), &e);
	if (err)
		return err;
	ec_capture_count(m->cap, len);
	return 0;
}

int ec_mod_put(struct ec_mod *m, const struct ec_event *me, const void *payload, size_t len,
	       const char *note)
{
	return put(m, me, payload, len, note, NULL);
}

int ec_mod_put_handshake(struct ec_mod *m, const struct ec_event *me, const uint8_t random[32])
{
	return put(m, me, NULL, 0, NULL, random);
}

int ec_mod_keyline(struct ec_mod *m, const char *line)
{
	if (!m->seen && !(m->seen = calloc(1, sizeof(struct ec_sslkeys_seen))))
		return EC_ERR_NOMEM;
	if (ec_sslkeys_seen(m->seen, line))
		return 0; /* the other end of the same connection */
	int err = ec_record_keylog(ec_capture_writer(m->cap), line);
	if (!err && m->spec->keyline)
		err = m->spec->keyline(m, line);
	if (err)
		return err;
	m->keylines++;
	if (m->keylog && (fprintf(m->keylog, "%s\n", line) < 0 || fflush(m->keylog))) {
		ec_warn("--keylogfile: cannot write: %s", strerror(errno));
		return EC_ERR_IO;
	}
	return 0;
}

/* A Go writeKeyLog call: the NSS line from its parts. */
static int on_keylog(struct ec_mod *m, const struct ec_event *e)
{
	static const char hex[] = "0123456789abcdef";
	const struct ec_keylog *k = (const void *)e->data;
	char line[EC_KEYLOG_LABEL + 4 * EC_KEYLOG_SECRET + 8];
	size_t n = 0;
	if (e->len < sizeof *k || !k->label_len || !k->random_len || !k->secret_len ||
	    k->label_len > EC_KEYLOG_LABEL || k->random_len > EC_KEYLOG_SECRET ||
	    k->secret_len > EC_KEYLOG_SECRET)
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
	return ec_mod_keyline(m, line);
}

static int on_sample(void *ctx, const void *data, size_t size)
{
	struct ec_mod *m = ctx;
	const struct ec_event *e = data;
	if (size < sizeof *e || e->len > size - sizeof *e)
		return 0; /* not ours: ignore rather than misread */
	if (e->kind == EC_KIND_KEYLOG) {
		int err = on_keylog(m, e);
		return err || !m->spec->event ? err : m->spec->event(m, e);
	}
	if (m->spec->event)
		return m->spec->event(m, e);
	if (e->kind == EC_KIND_DATA || e->kind == EC_KIND_CLOSE || e->kind == EC_KIND_LINE ||
	    e->kind == EC_KIND_QUERY)
		return ec_mod_put(m, e, NULL, 0, NULL);
	return 0;
}

static int run(struct ec_mod *m)
{
	int err = ec_capture_add_ringbuf(m->cap, ec_mod_map_fd(m, "ec_events"), on_sample, m);
	if (err) {
		ec_warn("cannot poll the ring buffer: %s", strerror(errno));
		return 1;
	}
	ec_capture_set_tick(m->cap, control_tick, m);
	if (m->o.control) {
		char cerr[512];
		m->control = ec_control_new(m->o.control, EC_CONFIG_BODY_MAX, on_control, m, cerr,
					    sizeof cerr);
		if (!m->control) {
			ec_warn("--control: %s", cerr);
			return 1;
		}
		ec_mod_say(m, "control: HTTP on unix socket %s (POST /%s with a JSON config)",
			   m->o.control, config_name(m));
	}
	ec_capture_set_lost(m->cap, read_lost, m);
	ec_capture_handle_signals();
	ec_mod_say(m, "capturing (stop with SIGINT or SIGTERM)");
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

static int finish(struct ec_mod *m, int status)
{
	ec_control_free(m->control);
	m->control = NULL;
	ec_mod_detach(m->links, m->nlinks);
	m->nlinks = 0;
	empty_bpf__destroy(m->empty);
	m->empty = NULL;
	if (m->spec->stop)
		status = m->spec->stop(m, status);
	if (m->cap) {
		uint64_t ev = ec_capture_events(m->cap), lost = ec_mod_lost(m);
		if (status == 0)
			fprintf(stderr,
				"%s: stopped: %llu events, %llu lost, %llu key log lines, all "
				"probes detached\n",
				argv0, (unsigned long long)ev, (unsigned long long)lost,
				(unsigned long long)m->keylines);
		int err = ec_capture_free(m->cap);
		m->cap = NULL;
		if (err && err != EC_ERR_PIPE && status == 0) {
			ec_warn("cannot write to stdout: %s", ec_strerror(err));
			status = 1;
		}
	}
	if (m->keylog && fclose(m->keylog) && status == 0) {
		ec_warn("--keylogfile %s: %s", m->keylog_path, strerror(errno));
		status = 1;
	}
	free(m->seen);
	free(m->cgroups);
	ec_cgroup_close();
	for (int i = 0; i < m->nmore; i++) {
		bpf_object__destroy_skeleton(m->more[i]);
		free(m->more_skel[i]);
	}
	m->nmore = 0;
	if (m->skeleton)
		bpf_object__destroy_skeleton(m->skeleton);
	free(m->skel);
	if (m->spec->cleanup)
		m->spec->cleanup(m);
	return status;
}

/* spec->target into m->path and m->sym, with a clear error (none when
 * quiet). 0 or 1. */
static int find_target(struct ec_mod *m, int quiet)
{
	const struct ec_mod_spec *s = m->spec;
	const struct ec_mod_target *t = &s->target;
	char msg[4352];
	int err;
	if (t->lib ? ec_target_lib(t->lib, m->o.path, (pid_t)m->o.pid, m->path, sizeof m->path, msg,
				   sizeof msg)
		   : ec_target_bin(m->o.path, (pid_t)m->o.pid, t->bins, m->path, sizeof m->path,
				   msg, sizeof msg)) {
		if (quiet)
			return 1;
		if (t->lib)
			ec_warn("%s", msg);
		else
			ec_warn("%s not found: %s (%s, or give it with --%s PATH)", s->name, msg,
				t->hint, s->path_opt);
		return 1;
	}
	/* attaching to a file that is not the library fails with libbpf's own codes: say why first
	 */
	if ((err = ec_target_symbol(m->path, t->sym, t->sym_prefix, m->sym, sizeof m->sym))) {
		if (quiet)
			return 1;
		ec_warn("%s: %s%s%s (is it %s? give the right one with --%s PATH)", m->path,
			err == EC_ERR_NOTFOUND ? "no " : "",
			err == EC_ERR_NOTFOUND ? t->sym : ec_target_strerror(err),
			err == EC_ERR_NOTFOUND ? " function in it" : "", t->is, s->path_opt);
		return 1;
	}
	return 0;
}

int ec_mod_main(const struct ec_mod_spec *spec, int argc, char **argv)
{
	struct ec_mod mod, *m = &mod;
	int first, status;

	status = ec_mod_parse(m, spec, argc, argv, &first);
	if (status == EC_OPT_HELP)
		return 0;
	if (!status && spec->check)
		status = spec->check(m, argc, argv, first);
	if (status)
		return status;
	debug_libbpf = m->o.debug;
	libbpf_set_print(libbpf_print);
	if (!m->o.dry_run && (status = check(m)))
		return status;
	/* a module with no --PATH of its own (auto) follows the host even with --pid */
	m->discover = (spec->flags & EC_MOD_DISCOVER) && !m->o.path &&
		      (!m->o.pid || !spec->path_opt) && !m->o.dry_run;
	if (spec->target.sym && find_target(m, m->discover)) {
		if (!m->discover)
			return finish(m, 1);
		m->path[0] = m->sym[0] = '\0'; /* the host may map one later */
	}
	if (spec->target.sym && !(spec->flags & EC_MOD_OWN_START) &&
	    ec_mod_start(m, m->path[0] ? m->path : "what the host's processes map", NULL))
		return finish(m, 1);
	status = spec->setup(m);
	if (status == EC_MOD_DONE)
		status = 0;
	else if (status == 0)
		status = run(m);
	return finish(m, status);
}
