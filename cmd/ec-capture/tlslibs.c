// SPDX-License-Identifier: GPL-2.0-only
/*
 * ec-capture's TLS libraries other than OpenSSL, rows of one table over one
 * BPF program (bpf/tlslib.bpf.c), as bcc's sslsniff drives three libraries:
 * a row names the library, the functions to hook and which of the
 * program's entry and return probes fit them.
 */
#include <stddef.h>

#include "mod.h"
#include "modules.h"
#include "record.h"
#include "target.h"
#include "tlslib.skel.h"

enum { LIB, NSPR };		    /* the program's probe pairs (bpf/tlslib.bpf.c) */
#define READ 0x10		    /* a row's function receives (else it sends) */
#define OPTIONAL 0x20		    /* not every version exports it */
#define NSPR_SSL "SSL sockets only" /* what the NSPR probes skip */

struct row {
	const char *note;
	struct {
		const char *sym;
		int how; /* LIB or NSPR, | READ, | OPTIONAL */
	} fns[6];
};

static int setup(struct ec_mod *m)
{
	const struct row *r = m->spec->data;
	struct ec_mod_hook h[6];
	size_t n = 0;
	struct tlslib_bpf *skel = tlslib_bpf__open();
	if (EC_MOD_LOAD(m, skel))
		return 1;
	struct bpf_program *enter[2][2] = {
	    {skel->progs.lib_write_enter, skel->progs.lib_read_enter},
	    {skel->progs.nspr_write_enter, skel->progs.nspr_read_enter}};
	for (; n < 6 && r->fns[n].sym; n++) {
		int lib = r->fns[n].how & NSPR;
		h[n] = (struct ec_mod_hook){r->fns[n].sym, enter[lib][!!(r->fns[n].how & READ)],
					    lib ? skel->progs.nspr_return : skel->progs.lib_return,
					    !(r->fns[n].how & OPTIONAL)};
	}
	return ec_mod_hooks(m, h, n, r->note);
}

static const char *const gnutls_so[] = {"libgnutls.so.30", NULL};
static const struct ec_target_lib gnutls_lib = {"--gnutls", "libgnutls.so", gnutls_so,
						"install libgnutls30"};
static const struct row gnutls = {NULL,
				  {{"gnutls_record_send", LIB},
				   {"gnutls_record_recv", LIB | READ},
				   {"gnutls_record_send2", LIB | OPTIONAL},
				   {"gnutls_record_recv_seq", LIB | READ | OPTIONAL}}};

const struct ec_mod_spec ec_mod_gnutls = {
    .name = "gnutls",
    .what = "Capture the plaintext of GnuTLS gnutls_record_send/gnutls_record_recv.",
    .path_opt = "gnutls",
    .path_help = "the libgnutls to hook (default: --pid's, ldconfig's libgnutls.so.30)",
    .source = EVENT__SOURCE__SOURCE_GNUTLS,
    .target = {.lib = &gnutls_lib, .sym = "gnutls_record_send", .is = "libgnutls"},
    .data = &gnutls,
    .setup = setup,
};

static const char *const nspr_so[] = {"libnspr4.so", NULL};
static const struct ec_target_lib nspr_lib = {"--nspr", "libnspr4.so", nspr_so, "install libnspr4"};
static const struct row nss = {
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
};

static const char *const libtls_so[] = {"libtls.so.26", NULL};
static const struct ec_target_lib libtls_lib = {"--libtls", "libtls.so", libtls_so,
						"install libtls26"};
static const struct row libtls = {NULL, {{"tls_write", LIB}, {"tls_read", LIB | READ}}};

const struct ec_mod_spec ec_mod_libtls = {
    .name = "libtls",
    .what = "Capture the plaintext of LibreSSL's libtls tls_write/tls_read (LibreTLS).",
    .path_opt = "libtls",
    .path_help = "the libtls to hook (default: --pid's, ldconfig's libtls.so.26)",
    .source = EVENT__SOURCE__SOURCE_LIBTLS,
    .target = {.lib = &libtls_lib, .sym = "tls_write", .is = "libtls"},
    .data = &libtls,
    .setup = setup,
};
