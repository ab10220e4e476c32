// SPDX-License-Identifier: GPL-2.0-only
/* The TLS modules following the host: hooked files by slot, of any kind. */
#include "follow.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "event.h"
#include "hostscan.h"
#include "mod.h"
#include "target.h"
#include "opt.h"
#include "util.h"

static struct {
	struct follow_file *slots[EC_TLS_SLOTS];
	const struct follow_kind *kinds[8];
	int nkinds;
	struct ec_hostscan *scan;
	struct bpf_object *teller; /* the object with bpf/files.bpf.h's programs */
	uint64_t mapped_ns;	   /* the EC_KIND_FILE event being handled: its time */
	struct bpf_link *extra[4]; /* follow_keep's */
	int nextra;
	struct {
		pid_t pid;
		int step;
		int64_t due;
	} again[64]; /* processes just exec'd, looked at again (their ld.so may be new) */
	unsigned nagain;
} fl;

struct follow_file *follow_new(struct ec_mod *m, const struct follow_kind *k, const char *name)
{
	struct follow_file *f;
	uint32_t slot = 0;
	(void)m;
	while (slot < EC_TLS_SLOTS && fl.slots[slot])
		slot++;
	if (slot == EC_TLS_SLOTS || !(f = calloc(1, sizeof *f)))
		return NULL;
	f->slot = f->sel.slot = slot;
	f->kind = k;
	f->name = name;
	f->source = k->source;
	snprintf(f->version, sizeof f->version, "unknown version");
	fl.slots[slot] = f;
	return f;
}

void follow_free(struct follow_file *f)
{
	if (!f)
		return;
	ec_sslsel_stop(&f->sel);
	ec_mod_detach(f->links, f->nlinks);
	fl.slots[f->slot] = NULL;
	free(f);
}

struct follow_file *follow_of(const struct ec_event *e)
{
	return e->aux < EC_TLS_SLOTS ? fl.slots[e->aux] : NULL;
}

void follow_keep(struct bpf_link *l)
{
	if (fl.nextra < (int)(sizeof fl.extra / sizeof *fl.extra))
		fl.extra[fl.nextra++] = l;
	else
		ec_mod_detach(&l, 1);
}

/* ---- ld.so: no TLS, but it tells when a process loads libraries ---- */

static int loader_is(const struct follow_kind *k, const char *path)
{
	(void)k;
	char sym[64];
	return ec_target_symbol(path, "_dl_debug_state", 0, sym, sizeof sym) == 0;
}

static int loader_hook(struct ec_mod *m, struct follow_file *f, const char *path, int pid)
{
	struct bpf_program *p = bpf_object__find_program_by_name(fl.teller, "ec_dl_state");
	struct bpf_link *l =
	    p ? ec_mod_uprobe_link(m, p, path, "_dl_debug_state", 0, f->slot) : NULL;
	if (!l)
		return -1;
	f->links[f->nlinks++] = l;
	ec_mod_say(
	    m, "hooked _dl_debug_state in %s (pid %d): the libraries its processes load are told",
	    f->name, pid);
	return 0;
}

static const struct follow_kind follow_loader = {"ld.so",     0,    NULL, loader_is,
						 loader_hook, NULL, NULL};

/* ---- hostscan's callbacks ---- */

static const struct follow_kind *kind_of(const char *path)
{
	if (loader_is(&follow_loader, path))
		return &follow_loader;
	for (int i = 0; i < fl.nkinds; i++)
		if (fl.kinds[i]->is(fl.kinds[i], path))
			return fl.kinds[i];
	return NULL;
}

static int want(void *ctx, struct ec_hostscan_file *hf)
{
	(void)ctx;
	hf->priv = (void *)kind_of(hf->open);
	return hf->priv != NULL;
}

static int hook(void *ctx, struct ec_hostscan_file *hf)
{
	struct ec_mod *m = ctx;
	const struct follow_kind *k = hf->priv;
	struct follow_file *f = follow_new(m, k, hf->path);
	hf->priv = NULL;
	if (!f) {
		ec_mod_say(m, "%s (pid %d): no slot left: not hooked", hf->path, (int)hf->pid);
		return -1;
	}
	if (k->hook(m, f, hf->open, (int)hf->pid)) {
		follow_free(f);
		return -1;
	}
	hf->priv = f;
	if (fl.mapped_ns)
		ec_mod_say(m, "%s (%s, slot %u) hooked %.1f ms after pid %d loaded it", hf->path,
			   k->name, f->slot, (double)(ec_mono_ns() - (int64_t)fl.mapped_ns) / 1e6,
			   (int)hf->pid);
	return 0;
}

static void unhook(void *ctx, struct ec_hostscan_file *hf)
{
	(void)ctx;
	follow_free(hf->priv);
	hf->priv = NULL;
}

static void say(void *ctx, const char *msg)
{
	ec_mod_say(ctx, "%s", msg);
}

static const struct ec_hostscan_ops ops = {want, hook, unhook, say};

int follow_start(struct ec_mod *m, const struct follow_kind *const *kinds, int n, unsigned max)
{
	static const char *const progs[] = {"ec_exec"};
	struct ec_hostscan_stats st;
	for (int i = 0; i < n && i < 8; i++)
		fl.kinds[i] = kinds[i];
	fl.nkinds = n < 8 ? n : 8;
	for (int i = 1; i < n; i++)
		if (kinds[i]->load(m, 0, (uint64_t)i << 48))
			return 1;
	if (!(fl.scan = ec_hostscan_new(&ops, m, max)))
		return 1;
	for (int i = 0; i < EC_TLS_SLOTS; i++)
		if (fl.slots[i])
			ec_hostscan_known(fl.scan, fl.slots[i]->name, fl.slots[i]);
	/* told before the scan: a process that maps a file meanwhile is heard */
	fl.teller = kinds[0]->obj();
	for (size_t i = 0; i < sizeof progs / sizeof *progs; i++) {
		struct bpf_program *p = bpf_object__find_program_by_name(fl.teller, progs[i]);
		if (!p) {
			ec_warn("BPF object has no %s program (a build problem)", progs[i]);
			return 1;
		}
		if (ec_mod_attach(m, p, progs[i]))
			return 1;
	}
	if (ec_hostscan_all(fl.scan, &st)) {
		ec_warn("cannot read /proc: %s", strerror(errno));
		return 1;
	}
	char what[128] = "";
	for (int i = 0; i < n; i++)
		snprintf(what + strlen(what), sizeof what - strlen(what), "%s%s", i ? ", " : "",
			 kinds[i]->name);
	ec_mod_say(m,
		   "following the host (%s): %u processes scanned in %.1f ms, %u executable "
		   "files, %zu hooked (of at most %u); new processes and libraries are followed",
		   what, st.processes, st.ns / 1e6, st.files, ec_hostscan_each(fl.scan, NULL, NULL),
		   max);
	return 0;
}

void follow_event(struct ec_mod *m, const struct ec_event *e)
{
	(void)m;
	if (!fl.scan || e->len < sizeof(struct ec_file_key))
		return;
	const struct ec_file_key *k = (const void *)e->data;
	fl.mapped_ns = e->ts_ns;
	/* a program gone before its maps were read: hear of it again */
	if (ec_hostscan_pid(fl.scan, (pid_t)e->pid) == EC_ERR_NOTFOUND && k->ino) {
		struct bpf_map *files = bpf_object__find_map_by_name(fl.teller, "ec_files");
		if (files)
			bpf_map_delete_elem(bpf_map__fd(files), e->data);
	}
	fl.mapped_ns = 0;
	if (k->ino) { /* an exec: its ld.so, if new, was hooked after it began */
		unsigned i = fl.nagain++ % (sizeof fl.again / sizeof *fl.again);
		fl.again[i].pid = (pid_t)e->pid;
		fl.again[i].step = 0;
		fl.again[i].due = ec_mono_ns() + 10000000LL;
	}
}

/* Processes exec'd a moment ago: their maps again at 10 and 100 ms. */
static void look_again(void)
{
	int64_t now = ec_mono_ns();
	for (size_t i = 0; i < sizeof fl.again / sizeof *fl.again; i++) {
		if (!fl.again[i].pid || now < fl.again[i].due)
			continue;
		if (ec_hostscan_pid(fl.scan, fl.again[i].pid) < 0 || ++fl.again[i].step == 2)
			fl.again[i].pid = 0;
		else
			fl.again[i].due = now + 90000000LL;
	}
}

int follow_spec_event(struct ec_mod *m, const struct ec_event *e)
{
	if (e->kind == EC_KIND_FILE) {
		follow_event(m, e);
		return 0;
	}
	if (e->kind == EC_KIND_DATA || e->kind == EC_KIND_CLOSE)
		return ec_mod_put(m, e, NULL, 0, NULL);
	return 0;
}

int follow_spec_stop(struct ec_mod *m, int status)
{
	(void)m;
	follow_stop();
	return status;
}

void follow_tick(struct ec_mod *m)
{
	(void)m;
	if (!fl.scan)
		return;
	look_again();
	ec_hostscan_tick(fl.scan);
}

void follow_origin(struct ec_mod *m, const struct ec_event *e, int *source, const char **lib)
{
	struct follow_file *f = follow_of(e);
	(void)m;
	if (f && e->kind != EC_KIND_KEYLOG) {
		*source = f->source;
		*lib = f->name;
	}
}

static void file_json(struct follow_file *f, cJSON *o)
{
	static const char *const implementations[] = {[EVENT__SOURCE__SOURCE_OPENSSL] = "openssl",
						      [EVENT__SOURCE__SOURCE_BORINGSSL] =
							  "boringssl",
						      [EVENT__SOURCE__SOURCE_GOTLS] = "gotls",
						      [EVENT__SOURCE__SOURCE_GNUTLS] = "gnutls",
						      [EVENT__SOURCE__SOURCE_NSS] = "nss"};
	const char *impl =
	    f->source >= 0 && f->source < (int)(sizeof implementations / sizeof *implementations)
		? implementations[f->source]
		: NULL;
	cJSON_AddNumberToObject(o, "slot", f->slot);
	cJSON_AddStringToObject(o, "version", f->version);
	cJSON_AddStringToObject(o, "implementation", impl ? impl : f->kind->name);
	if (f->kind->source == EVENT__SOURCE__SOURCE_OPENSSL)
		cJSON_AddStringToObject(o, "keys",
					!f->sel.have_keys ? "none"
					: f->sel.check	  ? "waiting for proof"
					: f->sel.from[0]  ? f->sel.from
							  : "calibrated");
}

static void file_json_cb(void *arg, struct ec_hostscan_file *hf, cJSON *o)
{
	(void)arg;
	if (hf->priv)
		file_json(hf->priv, o);
}

void follow_status(struct ec_mod *m, cJSON *o)
{
	cJSON *arr = cJSON_AddArrayToObject(o, "files");
	(void)m;
	if (!arr)
		return;
	if (fl.scan) {
		ec_hostscan_json(fl.scan, arr, file_json_cb, NULL);
		return;
	}
	for (int i = 0; i < EC_TLS_SLOTS; i++) {
		cJSON *f;
		if (!fl.slots[i] || !(f = cJSON_CreateObject()))
			continue;
		cJSON_AddStringToObject(f, "path", fl.slots[i]->name);
		file_json(fl.slots[i], f);
		cJSON_AddItemToArray(arr, f);
	}
}

void follow_stop(void)
{
	static struct bpf_link *links[EC_TLS_SLOTS * FOLLOW_LINKS + 4];
	int n = 0;
	for (int i = 0; i < EC_TLS_SLOTS; i++) {
		struct follow_file *f = fl.slots[i];
		if (!f)
			continue;
		ec_sslsel_stop(&f->sel);
		for (int k = 0; k < f->nlinks; k++)
			links[n++] = f->links[k];
		f->nlinks = 0;
	}
	for (int i = 0; i < fl.nextra; i++)
		links[n++] = fl.extra[i];
	fl.nextra = 0;
	ec_mod_detach(links, n); /* every file's hooks in one go, as the runner's */
}

void follow_cleanup(void)
{
	for (int i = 0; i < EC_TLS_SLOTS; i++)
		follow_free(fl.slots[i]);
	ec_hostscan_free(fl.scan);
	fl.scan = NULL;
}

int follow_max_opt(const char *arg, unsigned *max)
{
	long long v;
	if (ec_opt_int(arg, 1, EC_TLS_SLOTS, "a number from 1 to 256", &v))
		return 2;
	*max = (unsigned)v;
	return 0;
}
