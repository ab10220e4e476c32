/*
 * ec-capture nss (alias nspr): load bpf/nss.bpf.c, hook PR_Write/PR_Send/
 * PR_Read/PR_Recv in libnspr4, and write the plaintext of SSL sockets as
 * Event records (source nss), one per chunk, with fd and 4-tuple.
 */
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "event.h"
#include "mod.h"
#include "target.h"
#include "modules.h"
#include "nss.h"
#include "nss.skel.h"
#include "record.h"
#include "util.h"

static int event(struct ec_mod *m, const struct ec_event *e)
{
	if ((e->kind != EC_KIND_DATA && e->kind != EC_KIND_CLOSE))
		return 0;
	return ec_mod_put(m, e, NULL, 0, NULL);
}

static const char *const sonames[] = {NSPR_SONAME, NULL};
static const struct ec_target_lib lib = {"--nspr", "libnspr4.so", sonames, "install libnspr4"};
static struct nss_bpf *skel;

static int setup(struct ec_mod *m)
{
	char path[4096], msg[4352], sym[128];
	int err;

	if (ec_target_lib(&lib, m->o.path, (pid_t)m->o.pid, path, sizeof path, msg, sizeof msg)) {
		ec_warn("%s", msg);
		return 1;
	}
	err = ec_target_symbol(path, "PR_Write", 0, sym, sizeof sym);
	if (err) {
		ec_warn("%s: %s (is it libnspr4? give the right one with --nspr PATH)", path,
			err == EC_ERR_NOTFOUND ? "no PR_Write symbol"
			: err == EC_ERR_IO     ? strerror(errno)
					       : "not an ELF file");
		return 1;
	}
	if (ec_mod_start(m, path, NULL))
		return 1;
	skel = nss_bpf__open();
	if (!skel) {
		ec_warn("cannot open the BPF object: %s", strerror(errno));
		return 1;
	}
	if (ec_mod_load(m, skel->skeleton))
		return 1;
	static const struct {
		const char *sym;
		int write;
	} hooks[] = {
	    {"PR_Write", 1},
	    {"PR_Send", 1},
	    {"PR_Read", 0},
	    {"PR_Recv", 0},
	};
	for (size_t i = 0; i < sizeof hooks / sizeof *hooks; i++) {
		struct bpf_program *p =
		    hooks[i].write ? skel->progs.write_enter : skel->progs.read_enter;
		if ((err = ec_mod_uprobe(m, p, path, hooks[i].sym, 0)) ||
		    (err = ec_mod_uprobe(m, skel->progs.io_return, path, hooks[i].sym, 1))) {
			ec_warn("cannot attach uprobes to %s in %s: %s%s", hooks[i].sym, path,
				ec_capture_strerror(err),
				err == -ENOENT ? " (is it libnspr4? give it with --nspr PATH)"
					       : "");
			return 1;
		}
	}
	if (ec_mod_attach(m, skel->progs.ec_sys_enter, "tp_btf/sys_enter") ||
	    ec_mod_attach(m, skel->progs.ec_sock_state, "tp_btf/inet_sock_set_state"))
		return 1;
	ec_mod_say(
	    m,
	    "hooked PR_Write, PR_Send, PR_Read, PR_Recv (entry and return; SSL sockets only) "
	    "in %s; sys_enter, inet_sock_set_state",
	    path);
	return 0;
}

static void cleanup(struct ec_mod *m)
{
	(void)m;
	nss_bpf__destroy(skel);
}

const struct ec_mod_spec ec_mod_nss = {
    .name = "nss",
    .what = "Capture the plaintext of NSS SSL sockets through NSPR's PR_Write/PR_Read/PR_Send/"
	    "PR_Recv.",
    .path_opt = "nspr",
    .path_help = "the libnspr4 to hook (default: --pid's, ldconfig's libnspr4.so)",
    .source = EVENT__SOURCE__SOURCE_NSS,
    .setup = setup,
    .event = event,
    .cleanup = cleanup,
};
