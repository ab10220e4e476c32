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
#include "modevent.h"
#include "modrun.h"
#include "modules.h"
#include "nss.h"
#include "nss.skel.h"
#include "record.h"
#include "util.h"

static const struct ec_mod_spec spec = {
    .name = "nss",
    .what = "Capture the plaintext of NSS SSL sockets through NSPR's PR_Write/PR_Read/PR_Send/"
	    "PR_Recv.",
    .path_opt = "nspr",
    .path_help = "the libnspr4 to hook (default: --pid's, ldconfig's libnspr4.so)",
    .source = EVENT__SOURCE__SOURCE_NSS,
};

static int on_event(void *ctx, const void *data, size_t size)
{
	const struct mod_event *e = data;
	if (size < sizeof *e || e->len > size - sizeof *e ||
	    (e->kind != MOD_KIND_DATA && e->kind != MOD_KIND_CLOSE))
		return 0;
	return ec_mod_put(ctx, e, NULL, 0, NULL);
}

int nss_main(int argc, char **argv)
{
	struct ec_mod mod, *m = &mod;
	struct nss_bpf *skel = NULL;
	char path[4096], msg[4352], sym[128];
	int err, status = 1;

	if ((err = ec_mod_parse(m, &spec, argc, argv)) || (err = ec_mod_check(m)))
		return err;
	if (ec_mod_find_lib(m->o.path, (pid_t)m->o.pid, "libnspr4.so", NSPR_SONAME, path,
			    sizeof path, msg, sizeof msg)) {
		ec_warn("%s (install libnspr4, or give it with --nspr PATH)", msg);
		return 1;
	}
	err = ec_mod_find_symbol(path, "PR_Write", 0, sym, sizeof sym);
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
		goto cleanup;
	}
	if (ec_mod_load(m, skel->obj))
		goto cleanup;
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
			goto cleanup;
		}
	}
	if (ec_mod_attach(m, skel->progs.mod_sys_enter, "tp_btf/sys_enter") ||
	    ec_mod_attach(m, skel->progs.mod_sock_state, "tp_btf/inet_sock_set_state"))
		goto cleanup;
	ec_mod_say(
	    m,
	    "hooked PR_Write, PR_Send, PR_Read, PR_Recv (entry and return; SSL sockets only) "
	    "in %s; sys_enter, inet_sock_set_state",
	    path);
	status = ec_mod_run(m, on_event, m);
cleanup:
	status = ec_mod_finish(m, status);
	nss_bpf__destroy(skel);
	return status;
}
