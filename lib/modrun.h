/*
 * What every non-OpenSSL ec-capture module (gnutls, nss, bash, zsh, mysqld,
 * postgres) shares on the user side: the common options (--pid, --uid,
 * --target-process, --ignore-process, --truncate, --ringbuf, --heartbeat,
 * --force, --debug, the module's --NAME PATH, --errnumber), the start-up
 * checks, loading a skeleton's object whose maps come from
 * bpf/modcommon.bpf.h, attaching uprobes by symbol, the filter maps, the
 * capture loop and a clean detach, and turning a struct mod_event into an
 * Event record.
 */
#ifndef EC_MODRUN_H
#define EC_MODRUN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "capture.h"

#define EC_MOD_MAX_NAMES 32
#define EC_MOD_MAX_LINKS 32

struct bpf_object;
struct bpf_program;
struct bpf_link;
struct mod_event;
struct modempty_bpf;
struct ec_control;
struct ec_config;

struct ec_mod_spec {
	const char *name;      /* subcommand, e.g. "bash" */
	const char *what;      /* one line for --help */
	const char *path_opt;  /* --PATH_OPT PATH, e.g. "bash", "gnutls" */
	const char *path_help; /* what PATH is, e.g. "the bash binary" */
	int errnumber;	       /* accepts --errnumber N */
	int source;	       /* Event__Source of its records */
};

struct ec_mod_opts {
	long pid;
	long uid;
	int uid_set;
	char *targets[EC_MOD_MAX_NAMES];
	int ntargets;
	char *ignores[EC_MOD_MAX_NAMES];
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
};

struct ec_mod {
	const struct ec_mod_spec *spec;
	struct ec_mod_opts o;
	struct bpf_object *obj;
	struct bpf_link *links[EC_MOD_MAX_LINKS];
	int nlinks;
	struct ec_capture *cap;
	int ncpus;
	struct modempty_bpf *empty; /* with --empty-probes */
	struct ec_control *control; /* with --control */
	/* comm names set through the control socket (opts point here) */
	char names[2][EC_MOD_MAX_NAMES][16];
};

/* Parse argv (argv[0] = subcommand). 0, or an exit status (2); --help exits 0. */
int ec_mod_parse(struct ec_mod *m, const struct ec_mod_spec *spec, int argc, char **argv);

/* tty/root/BTF/--pid checks with a one-line error. 0, or the exit status. */
int ec_mod_check(struct ec_mod *m);

/* The output writer and the first startup facts. 0, or the exit status (1). */
int ec_mod_start(struct ec_mod *m, const char *target, const char *version);

/* A startup fact: on stderr and as a process-log record. */
void ec_mod_say(struct ec_mod *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Size the ring buffer, load obj (an opened skeleton's), write the filters. 0 or 1. */
int ec_mod_load(struct ec_mod *m, struct bpf_object *obj);

/* Rewrite the filter maps from m->o (also while running). 0 or -errno. */
int ec_mod_apply_filters(struct ec_mod *m);

/* Attach prog as a uprobe (or uretprobe) on sym in path. 0 or -errno. */
int ec_mod_uprobe(struct ec_mod *m, struct bpf_program *prog, const char *path, const char *sym,
		  int retprobe);

/* Attach a tracepoint-style prog (tp_btf...). 0 or -errno, with a message. */
int ec_mod_attach(struct ec_mod *m, struct bpf_program *prog, const char *what);

/*
 * Apply a parsed remote config (POST /MODULE on --control) to the running
 * capture: filter maps only, no detach. Returns an enum ec_resp code, msg
 * says what was applied and what was not.
 */
int ec_mod_apply_config(struct ec_mod *m, const struct ec_config *cfg, char *msg, size_t msglen);

/*
 * Poll until stopped; fn sees every sample; serves --control if given.
 * 0, or 1 after an error message.
 */
int ec_mod_run(struct ec_mod *m, ec_capture_sample_fn fn, void *ctx);

/* Detach everything, flush and free the writer; returns the final exit status. */
int ec_mod_finish(struct ec_mod *m, int status);

/* Write e as an Event record with this payload (NULL = e->data) and note. */
int ec_mod_put(struct ec_mod *m, const struct mod_event *e, const void *payload, size_t len,
	       const char *note);

/* Kernel-side lost events so far (summed over CPUs). */
uint64_t ec_mod_lost(struct ec_mod *m);

/*
 * The library to hook: explicit (checked), else the one pid maps whose file
 * name starts with base (pid > 0), else `ldconfig -p`'s entry named exactly
 * soname. On error, msg says what was tried.
 */
int ec_mod_find_lib(const char *explicit_path, pid_t pid, const char *base, const char *soname,
		    char *out, size_t len, char *msg, size_t msglen);

/*
 * The program binary to hook: explicit (checked), else /proc/PID/exe when
 * pid > 0, else the first readable of the NULL-terminated candidates
 * (glob patterns allowed: the last match in sort order wins).
 */
int ec_mod_find_bin(const char *explicit_path, pid_t pid, const char *const *candidates, char *out,
		    size_t len, char *msg, size_t msglen);

/*
 * A function defined in the ELF file path (.symtab, then .dynsym) named sym,
 * or, when prefix is set, whose name starts with sym (C++ mangled names:
 * "_Z16dispatch_command"; compiler clones such as NAME.cold are skipped);
 * its full name into out. 0, EC_ERR_NOTFOUND, or
 * EC_ERR_IO (unreadable) / EC_ERR_UNSUPPORTED (not ELF).
 */
int ec_mod_find_symbol(const char *path, const char *sym, int prefix, char *out, size_t len);

/* The value (link-time address) of any defined symbol name: 0 or negative. */
int ec_mod_symbol_value(const char *path, const char *name, uint64_t *value);

#define EC_MOD_SYM_LEN 256
/* Up to max distinct functions whose name starts with prefix: their count, or negative. */
int ec_mod_list_symbols(const char *path, const char *prefix, char (*names)[EC_MOD_SYM_LEN],
			int max);

#endif
