// SPDX-License-Identifier: GPL-2.0-only
/*
 * ec-capture's TLS libraries other than OpenSSL, rows of one table over one
 * BPF program (bpf/tlslib.bpf.c), as bcc's sslsniff drives three libraries:
 * a row names the library, the functions to hook and which of the
 * program's entry and return probes fit them.
 */
#include <linux/types.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "event.h"
#include "follow.h"

#include "mod.h"
#include "modules.h"
#include "record.h"
#include "target.h"
#include "tlslib.skel.h"

enum { LIB, NSPR };		    /* the program's probe pairs (bpf/tlslib.bpf.c) */
#define READ 0x10		    /* a row's function receives (else it sends) */
#define OPTIONAL 0x20		    /* not every version exports it */
#define CORK 0x40		    /* GnuTLS's cork (| READ: uncork): bpf/tlslib.bpf.c */
#define NSPR_SSL "SSL sockets only" /* what the NSPR probes skip */

struct row {
	const struct follow_kind *kind;
	const char *note;
	struct {
		const char *sym;
		int how; /* LIB or NSPR, | READ, | OPTIONAL, | CORK */
	} fns[6];
};

static struct {
	struct tlslib_bpf *skel;
} tl;

/* The row's functions as hooks on the program's probe pairs. */
static size_t row_hooks(const struct row *r, struct ec_mod_hook *h)
{
	struct bpf_program *enter[2][2] = {
	    {tl.skel->progs.lib_write_enter, tl.skel->progs.lib_read_enter},
	    {tl.skel->progs.nspr_write_enter, tl.skel->progs.nspr_read_enter}};
	size_t n = 0;
	for (; n < 6 && r->fns[n].sym; n++) {
		int lib = r->fns[n].how & NSPR;
		h[n] = (struct ec_mod_hook){r->fns[n].sym, enter[lib][!!(r->fns[n].how & READ)],
					    lib ? tl.skel->progs.nspr_return
						: tl.skel->progs.lib_return,
					    !(r->fns[n].how & OPTIONAL)};
		if (r->fns[n].how & CORK) /* (lib_return finds no call of theirs) */
			h[n].enter = r->fns[n].how & READ ? tl.skel->progs.lib_uncork_enter
							  : tl.skel->progs.lib_cork_enter;
	}
	return n;
}

/* One object for every row (GnuTLS and NSS alike): loaded once. */
static int lib_load(struct ec_mod *m, int primary, uint64_t conn_base)
{
	if (tl.skel)
		return 0;
	if ((tl.skel = tlslib_bpf__open()))
		tl.skel->bss->ec_next_conn_id = conn_base;
	return primary ? EC_MOD_LOAD(m, tl.skel) : EC_MOD_LOAD_MORE(m, tl.skel);
}

static struct bpf_object *lib_obj(void)
{
	return tl.skel->obj;
}

static int row_is(const struct follow_kind *k, const char *path)
{
	const struct row *r = k->data;
	char sym[128];
	return ec_target_symbol(path, r->fns[0].sym, 0, sym, sizeof sym) == 0;
}

static int row_hook(struct ec_mod *m, struct follow_file *f, const char *path, int pid)
{
	struct ec_mod_hook h[6];
	char done[256];
	if (ec_mod_hook_pairs(m, path, f->slot, h, row_hooks(f->kind->data, h), f->links,
			      &f->nlinks, FOLLOW_LINKS, done, sizeof done))
		return -1;
	ec_mod_say(m, "hooked %s in %s (pid %d), slot %u", done, f->name, pid, f->slot);
	return 0;
}

static int setup(struct ec_mod *m)
{
	const struct row *r = m->spec->data;
	const struct follow_kind *k = r->kind;
	struct ec_mod_hook h[6];
	if (lib_load(m, 1, 0))
		return 1;
	if (m->path[0] && !follow_new(m, k, m->path))
		return 1;
	if (ec_mod_hooks(m, h, m->path[0] ? row_hooks(r, h) : 0, r->note))
		return 1;
	return m->discover ? follow_start(m, &k, 1, 64) : 0;
}

static void cleanup(struct ec_mod *m)
{
	(void)m;
	follow_cleanup();
	tl.skel = NULL; /* the runner frees the object */
}

static const char *const gnutls_so[] = {"libgnutls.so.30", NULL};
static const struct ec_target_lib gnutls_lib = {"--gnutls", "libgnutls.so", gnutls_so,
						"install libgnutls30"};
static const struct row gnutls;
const struct follow_kind follow_gnutls = {
    "gnutls", EVENT__SOURCE__SOURCE_GNUTLS, lib_load, row_is, row_hook, lib_obj, &gnutls};
static const struct row gnutls = {&follow_gnutls,
				  NULL,
				  {{"gnutls_record_send", LIB},
				   {"gnutls_record_recv", LIB | READ},
				   {"gnutls_record_send2", LIB | OPTIONAL},
				   {"gnutls_record_recv_seq", LIB | READ | OPTIONAL},
				   /* a corked session's sends go out at uncork (kdig corks) */
				   {"gnutls_record_cork", LIB | CORK | OPTIONAL},
				   {"gnutls_record_uncork", LIB | CORK | READ | OPTIONAL}}};

const struct ec_mod_spec ec_mod_gnutls = {
    .name = "gnutls",
    .what = "Capture the plaintext of GnuTLS gnutls_record_send/gnutls_record_recv.",
    .path_opt = "gnutls",
    .path_help = "the libgnutls to hook (default: --pid's, ldconfig's libgnutls.so.30)",
    .source = EVENT__SOURCE__SOURCE_GNUTLS,
    .target = {.lib = &gnutls_lib, .sym = "gnutls_record_send", .is = "libgnutls"},
    .data = &gnutls,
    .setup = setup,
    .flags = EC_MOD_DISCOVER,
    .event = follow_spec_event,
    .stop = follow_spec_stop,
    .origin = follow_origin,
    .tick = follow_tick,
    .status = follow_status,
    .cleanup = cleanup,
};

static const char *const nspr_so[] = {"libnspr4.so", NULL};
static const struct ec_target_lib nspr_lib = {"--nspr", "libnspr4.so", nspr_so, "install libnspr4"};
static const struct row nss;
const struct follow_kind follow_nss = {
    "nss", EVENT__SOURCE__SOURCE_NSS, lib_load, row_is, row_hook, lib_obj, &nss};
static const struct row nss = {
    &follow_nss,
    NSPR_SSL,
    {{"PR_Write", NSPR}, {"PR_Send", NSPR}, {"PR_Read", NSPR | READ}, {"PR_Recv", NSPR | READ}}};

const struct ec_mod_spec ec_mod_nss = {
    .name = "nss",
    .what = "Capture the plaintext of NSS SSL sockets through NSPR's PR_Write/PR_Read/PR_Send/"
	    "PR_Recv.",
    .path_opt = "nspr",
    .path_help = "the libnspr4 to hook (default: --pid's, ldconfig's libnspr4.so)",
    .source = EVENT__SOURCE__SOURCE_NSS,
    .target = {.lib = &nspr_lib, .sym = "PR_Write", .is = "libnspr4"},
    .data = &nss,
    .setup = setup,
    .flags = EC_MOD_DISCOVER,
    .event = follow_spec_event,
    .stop = follow_spec_stop,
    .origin = follow_origin,
    .tick = follow_tick,
    .status = follow_status,
    .cleanup = cleanup,
};

static const char *const libtls_so[] = {"libtls.so.26", NULL};
static const struct ec_target_lib libtls_lib = {"--libtls", "libtls.so", libtls_so,
						"install libtls26"};
static const struct row libtls;
static const struct follow_kind follow_libtls = {
    "libtls", EVENT__SOURCE__SOURCE_LIBTLS, lib_load, row_is, row_hook, lib_obj, &libtls};
static const struct row libtls = {
    &follow_libtls, NULL, {{"tls_write", LIB}, {"tls_read", LIB | READ}}};

const struct ec_mod_spec ec_mod_libtls = {
    .name = "libtls",
    .what = "Capture the plaintext of LibreSSL's libtls tls_write/tls_read (LibreTLS).",
    .path_opt = "libtls",
    .path_help = "the libtls to hook (default: --pid's, ldconfig's libtls.so.26)",
    .source = EVENT__SOURCE__SOURCE_LIBTLS,
    .target = {.lib = &libtls_lib, .sym = "tls_write", .is = "libtls"},
    .data = &libtls,
    .setup = setup,
    .flags = EC_MOD_DISCOVER,
    .event = follow_spec_event,
    .stop = follow_spec_stop,
    .origin = follow_origin,
    .tick = follow_tick,
    .status = follow_status,
    .cleanup = cleanup,
};
