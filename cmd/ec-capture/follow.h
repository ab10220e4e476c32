/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The TLS modules following the host (lib/capture/hostscan.h underneath):
 * one table of hooked files, each in a slot (the attach cookie of its
 * probes, which the BPF side puts in each event's aux), of any kind a
 * module brings: an OpenSSL-family libssl (tls.c), a Go program (gotls.c),
 * GnuTLS or NSPR (tlslibs.c). `tls`, `gotls`, `gnutls` and `nss` follow
 * their own kind when given no path and no --pid; `auto` follows all four
 * in one stream, each kind's BPF object sharing the first one's maps.
 */
#ifndef EC_FOLLOW_H
#define EC_FOLLOW_H

#include <stddef.h>
#include <stdint.h>

#include "sslsel.h"

struct ec_mod;
struct ec_event;
struct cJSON;
struct bpf_link;
struct bpf_object;

#define FOLLOW_LINKS 80 /* a Go program: 3 entries and up to 64 RETs */

/* One hooked file. */
struct follow_file {
	uint32_t slot;
	const struct follow_kind *kind;
	int source; /* Event__Source of its records */
	char version[128];
	const char *name;     /* as its process names it */
	struct ec_sslsel sel; /* OpenSSL: its key offsets */
	struct bpf_link *links[FOLLOW_LINKS];
	int nlinks;
};

/* What a module brings to follow its kind of file. */
struct follow_kind {
	const char *name; /* "openssl", "gotls", "gnutls", "nss": the status' implementation */
	int source;
	/* load its BPF object: the first one of the run (primary, ec_mod_load)
	 * or one more sharing its maps (ec_mod_load_more, its connection ids
	 * from conn_base); 0, or 1 after a message */
	int (*load)(struct ec_mod *m, int primary, uint64_t conn_base);
	/* 1 when the file at path is of this kind */
	int (*is)(const struct follow_kind *k, const char *path);
	/* attach its probes with cookie f->slot, keeping the links in f; 0,
	 * or -1 after a message; says what it hooked */
	int (*hook)(struct ec_mod *m, struct follow_file *f, const char *path, int pid);
	/* the BPF object whose programs tell new files (bpf/files.bpf.h) */
	struct bpf_object *(*obj)(void);
	const void *data; /* the module's own (tlslibs.c: its row) */
};

/* The kinds: tls.c, gotls.c, tlslibs.c. */
extern const struct follow_kind follow_openssl, follow_gotls, follow_gnutls, follow_nss;

/* A new slot for a file named name (source: the kind's). NULL when full. */
struct follow_file *follow_new(struct ec_mod *m, const struct follow_kind *k, const char *name);

/* Release a slot: its hooks detached. */
void follow_free(struct follow_file *f);

/* A link released with the files' (follow_stop). */
void follow_keep(struct bpf_link *l);

/* The file of an event (its aux), or NULL. */
struct follow_file *follow_of(const struct ec_event *e);

/* Start following: kinds[0] loaded first (it tells new files), the others
 * after, each known file (m->path, already in slot 0) kept out of the
 * scan; the scan of /proc; at most max files. 0, or 1 after a message. */
int follow_start(struct ec_mod *m, const struct follow_kind *const *kinds, int n, unsigned max);

/* The runner's callbacks for a following module. */
void follow_event(struct ec_mod *m, const struct ec_event *e); /* EC_KIND_FILE */
/* spec->event of a module whose records are the default ones, and its stop */
int follow_spec_event(struct ec_mod *m, const struct ec_event *e);
int follow_spec_stop(struct ec_mod *m, int status);
void follow_tick(struct ec_mod *m);
void follow_origin(struct ec_mod *m, const struct ec_event *e, int *source, const char **lib);
void follow_status(struct ec_mod *m, struct cJSON *o);
/* detach every file's hooks in one go (spec->stop), then free (cleanup) */
void follow_stop(void);
void follow_cleanup(void);

/* --max-files N: 0, or 2 after a message */
int follow_max_opt(const char *arg, unsigned *max);

#endif
