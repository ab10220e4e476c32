/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one runner every ec-capture module is a spec over (bcc's sslsniff
 * drives three libraries from one program; here eight modules share one
 * user side). The runner owns:
 * - the options common to every module, with --help generated from their
 *   table and the module's own (lib/core/opt.h);
 * - the start-up checks (stdout, root, BTF, --pid), the output writer and
 *   its start-up facts, heartbeats and loss counting (lib/capture/capture.h);
 * - loading a skeleton's object whose maps come from bpf/common.bpf.h,
 *   the filter maps, attaching uprobes (by symbol or file offset) and
 *   tracepoints, --empty-probes, and a detach that waits one RCU grace
 *   period for all links together;
 * - the control socket and live config (POST /MODULE);
 * - struct ec_event -> Event record with a format cache, and key log lines
 *   (records, --keylogfile, a hook such as --pcap's).
 * A module supplies a struct ec_mod_spec: its name, its options, how it
 * finds and hooks its target (setup), and, where the default record is
 * not enough, its event decoder.
 */
#ifndef EC_MOD_H
#define EC_MOD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "capture.h"
#include "opt.h"

#define EC_MOD_MAX_NAMES 32
#define EC_MOD_MAX_LINKS 160
#define EC_MOD_MAX_MORE 3 /* BPF objects loaded besides the first (auto) */

struct bpf_object;
struct bpf_object_skeleton;
struct bpf_program;
struct bpf_link;
struct ec_event;
struct ec_control;
struct ec_config;
struct ec_mod;
struct cJSON;

/*
 * What a module hooks, found and checked by the runner before setup: a
 * library (explicit --PATH, the one --pid maps, ldconfig's) or a program
 * (explicit, /proc/PID/exe, candidates), which must define sym.
 */
struct ec_mod_target {
	const struct ec_target_lib *lib; /* a library, or */
	const char *const *bins;	 /* a program: candidate paths (globs), NULL-ended */
	const char *sym;		 /* a function it must define */
	int sym_prefix;			 /* sym is a name prefix (C++ mangled names) */
	const char *is;			 /* what it should be, for errors: "libgnutls", "zsh" */
	const char *hint;		 /* for a program: how to get one ("install zsh") */
};

/* ec_mod_spec.flags */
#define EC_MOD_ERRNUMBER 1 /* takes -e/--errnumber N (shells) */
#define EC_MOD_KEYLOG 2	   /* takes -k/--keylogfile FILE (its events carry keys) */
#define EC_MOD_OWN_START                                                                           \
	4 /* its setup calls ec_mod_start (else the runner does,                                   \
	   * once the target is found) */
#define EC_MOD_DISCOVER                                                                            \
	8 /* with no --PATH and no --pid it hooks what the host's processes                        \
	   * map (lib/capture/hostscan.h): m->discover is set, and m->path                         \
	   * is the system's file or empty (not an error) */

struct ec_mod_spec {
	const char *name;  /* subcommand, e.g. "bash" */
	const char *what;  /* one line for --help */
	const char *usage; /* after "MODULE" in --help, NULL = "[options] > out.pb" */
	int source;	   /* Event__Source of its records */
	unsigned flags;	   /* EC_MOD_* */
	/* the module's --PATH option: the library or program to hook */
	const char *path_opt;  /* e.g. "libssl", "gnutls", "elfpath" */
	int path_key;	       /* its letter, 0 = long only */
	const char *path_help; /* what PATH is */
	/* its own options, after the common ones in --help; NULL = none */
	const struct ec_opt *opts;
	int (*opt)(struct ec_mod *m, int key, const char *arg); /* 0, or 2 after ec_warn */
	int operands; /* non-option arguments allowed (tls: a pcap filter) */
	/* found into m->path and m->sym before setup; .sym NULL: setup finds it */
	struct ec_mod_target target;
	const void *data; /* the module's own table (rows of a shared setup) */
	/* after parsing: checks across options, the operands; 0 or 2 */
	int (*check)(struct ec_mod *m, int argc, char **argv, int first);
	/* open the skeleton, EC_MOD_LOAD, attach (m->path is the target found,
	 * the output started: see target, EC_MOD_OWN_START); 0 to run, else
	 * an exit status (EC_MOD_DONE: exit 0 now) */
	int (*setup)(struct ec_mod *m);
	/* one ring-buffer event (checked to hold e->len bytes of data); NULL:
	 * ec_mod_put for DATA/CLOSE/LINE/QUERY; a KEYLOG event comes here too
	 * after the runner wrote its line */
	int (*event)(struct ec_mod *m, const struct ec_event *e);
	/* after detach and before the writer is freed: status in, status out */
	int (*stop)(struct ec_mod *m, int status);
	void (*cleanup)(struct ec_mod *m); /* last: free what setup made */
	/* a key log line besides its record and --keylogfile (tls: --pcap) */
	int (*keyline)(struct ec_mod *m, const char *line);
	/* where a record came from when the module hooks many files: its
	 * Source and the file (ec_mod_put asks; NULL: the spec's source) */
	void (*origin)(struct ec_mod *m, const struct ec_event *e, int *source, const char **lib);
	/* called every few ms from the event loop (following the host) */
	void (*tick)(struct ec_mod *m);
	/* its part of GET /status on the control socket, added to o (a cJSON
	 * object) */
	void (*status)(struct ec_mod *m, struct cJSON *o);
};

#define EC_MOD_DONE (-1) /* setup: done (a dry run), exit 0 */

struct ec_mod_opts {
	long pid;
	long uid;
	int uid_set;
	char targets[EC_MOD_MAX_NAMES][16];
	int ntargets;
	char ignores[EC_MOD_MAX_NAMES][16];
	int nignores;
	uint64_t truncate;
	uint64_t ringbuf;
	unsigned heartbeat;
	int force;
	int debug;
	const char *path; /* the module's --PATH_OPT value, NULL if not given */
	long long errnumber;
	int errnumber_set;
	int empty;	     /* --empty-probes: attach an empty program (benchmarks) */
	const char *control; /* --control socket path, NULL = none */
	const char *keylog;  /* --keylogfile */
	const char *cgroups[EC_MOD_MAX_NAMES]; /* --cgroup PATH */
	int ncgroups;
	const char *containers[EC_MOD_MAX_NAMES]; /* --container ID (a prefix) */
	int ncontainers;
	int dry_run;  /* set by a module: no output, no root needed */
	FILE *say_to; /* set by a module: startup facts go here, not stderr */
};

struct ec_mod {
	const struct ec_mod_spec *spec;
	struct ec_mod_opts o;
	int source; /* Event__Source of its records: spec's, or set by setup */
	struct bpf_object *obj;
	struct bpf_link *links[EC_MOD_MAX_LINKS];
	int nlinks;
	struct ec_capture *cap;
	int ncpus;
	struct empty_bpf *empty;    /* with --empty-probes */
	struct ec_control *control; /* with --control */
	FILE *keylog;		    /* --keylogfile */
	char keylog_path[4096];
	uint64_t keylines; /* key log lines written */
	void *seen;	   /* key log lines already written */
	void *skel;	   /* the loaded skeleton (freed by the runner) */
	struct bpf_object_skeleton *skeleton;
	char path[4096]; /* spec->target found */
	char sym[512];	 /* its spec->target.sym, full name */
	void *priv;	 /* the module's own state */
	int discover;	 /* EC_MOD_DISCOVER in effect */
	int no_fds;	 /* set by a module: calls need no fd (ec_mod_hooks leaves sys_enter out) */
	struct ec_cgroup_cache *cgroups;		   /* cgroup id -> path, container */
	int64_t next_containers;			   /* when --container is looked up again */
	struct bpf_object_skeleton *more[EC_MOD_MAX_MORE]; /* ec_mod_load_more's */
	void *more_skel[EC_MOD_MAX_MORE];
	int nmore;
	char live_cgroups[EC_MOD_MAX_NAMES][512]; /* --cgroup, --container set live */
	char live_containers[EC_MOD_MAX_NAMES][72];
};

/* The whole life of a capture: parse argv (argv[0] = subcommand), check,
 * spec->setup, run until stopped, detach, clean up. Returns the exit status. */
int ec_mod_main(const struct ec_mod_spec *spec, int argc, char **argv);

/* Parse argv (argv[0] = subcommand) into a zeroed m: 0 with *first the
 * first operand, 2 after a one-line error, EC_OPT_HELP after --help. */
int ec_mod_parse(struct ec_mod *m, const struct ec_mod_spec *spec, int argc, char **argv,
		 int *first);

/* The man page section of one module (ec-capture(8)): synopsis and options. */
void ec_mod_man(FILE *f, const struct ec_mod_spec *spec);

/* The output writer, its start-up records and "target PATH (VERSION)". 0 or 1. */
int ec_mod_start(struct ec_mod *m, const char *target, const char *version);

/* A startup fact: on stderr (or o.say_to) and as a process-log record. */
void ec_mod_say(struct ec_mod *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Size the ring buffer, load an opened skeleton (skel: what X_bpf__open
 * returned, s: its ->skeleton; the runner frees it), write the filters.
 * 0, or 1 after a message (also when skel is NULL: the open failed).
 */
int ec_mod_load(struct ec_mod *m, void *skel, struct bpf_object_skeleton *s);
#define EC_MOD_LOAD(m, skel) ec_mod_load(m, skel, (skel) ? (skel)->skeleton : NULL)

/*
 * Load one more opened skeleton (after ec_mod_load) whose shared maps are
 * the first one's: the ring buffer, filters, lost counter, connections and
 * files told, so its events come in the same stream (auto: OpenSSL, Go,
 * GnuTLS and NSS programs in one run). The runner frees it. 0, or 1 after a
 * message. Give each object's ec_next_conn_id a range of its own first.
 */
int ec_mod_load_more(struct ec_mod *m, void *skel, struct bpf_object_skeleton *s);
#define EC_MOD_LOAD_MORE(m, skel) ec_mod_load_more(m, skel, (skel) ? (skel)->skeleton : NULL)

/* One library function to hook: entry and return programs. */
struct ec_mod_hook {
	const char *sym;
	struct bpf_program *enter, *ret;
	int required; /* else skipped (and said) when the library lacks it */
};

/*
 * The hooks' entry and return probes on path, their programs seeing cookie
 * (bpf_get_attach_cookie); a hook not required is skipped, and said, when
 * path lacks it. The links go into links (*nlinks of max), or to the
 * runner's when links is NULL; the names hooked into done. 0, or 1 after a
 * message.
 */
int ec_mod_hook_pairs(struct ec_mod *m, const char *path, uint64_t cookie,
		      const struct ec_mod_hook *h, size_t n, struct bpf_link **links, int *nlinks,
		      int max, char *done, size_t len);

/*
 * Attach each hook on m->path and, when the object has them, the
 * tracepoints of bpf/tlscall.bpf.h and bpf/conn.bpf.h; then say what was
 * hooked (with note). 0, or 1 after a message.
 */
int ec_mod_hooks(struct ec_mod *m, const struct ec_mod_hook *h, size_t n, const char *note);

/* Attach prog as a uprobe (or uretprobe) on sym in path. 0 or -errno. */
int ec_mod_uprobe(struct ec_mod *m, struct bpf_program *prog, const char *path, const char *sym,
		  int retprobe);

/* Attach prog as a uprobe (or uretprobe) on sym in path whose programs
 * see cookie (bpf_get_attach_cookie): the link, or NULL with errno set
 * after a message. The caller owns it (ec_mod_detach). */
struct bpf_link *ec_mod_uprobe_link(struct ec_mod *m, struct bpf_program *prog, const char *path,
				    const char *sym, int retprobe, uint64_t cookie);

/* The same at a file offset of path. */
struct bpf_link *ec_mod_uprobe_link_at(struct ec_mod *m, struct bpf_program *prog, const char *path,
				       uint64_t offset, uint64_t cookie);

/* Attach prog as a uprobe at a file offset of path. 0 or -errno. */
int ec_mod_uprobe_at(struct ec_mod *m, struct bpf_program *prog, const char *path, uint64_t offset);

/* Attach a tracepoint-style prog (tp_btf...). 0 or -errno, with a message. */
int ec_mod_attach(struct ec_mod *m, struct bpf_program *prog, const char *what);

/* Take a link the module attached itself (released with the others). 0 or -E2BIG. */
int ec_mod_keep(struct ec_mod *m, struct bpf_link *link);

/* Destroy links from a thread each, so they wait one RCU grace period
 * together rather than one each (~130 ms apiece here). */
void ec_mod_detach(struct bpf_link **links, int n);

/* Write e as an Event record with this payload (NULL = e->data) and note. */
int ec_mod_put(struct ec_mod *m, const struct ec_event *e, const void *payload, size_t len,
	       const char *note);
/* A RECORD_KIND_HANDSHAKE record: e's process and tuple finished the TLS
 * handshake whose ClientHello carried random (ec-capture tls --keys-only). */
int ec_mod_put_handshake(struct ec_mod *m, const struct ec_event *e, const uint8_t random[32]);

/* One NSS key log line: a key-log record (once per line), --keylogfile,
 * spec->keyline. 0 or a negative ec_error. */
int ec_mod_keyline(struct ec_mod *m, const char *line);

/* Kernel-side lost events so far (summed over CPUs). */
uint64_t ec_mod_lost(struct ec_mod *m);

/* The fd of the object's map name, or -ENOENT. */
int ec_mod_map_fd(struct ec_mod *m, const char *name);

#endif
