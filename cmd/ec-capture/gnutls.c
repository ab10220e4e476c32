/*
 * ec-capture gnutls: load bpf/gnutls.bpf.c, hook gnutls_record_send/recv
 * (and the send2/recv_seq variants) in libgnutls, and write the plaintext as
 * Event records (source gnutls), one per chunk, with fd and 4-tuple.
 */
#include <bpf/libbpf.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "gnutls.h"
#include "gnutls.skel.h"
#include "modevent.h"
#include "modrun.h"
#include "modules.h"
#include "record.h"
#include "util.h"

static const struct ec_mod_spec spec = {
    .name = "gnutls",
    .what = "Capture the plaintext of GnuTLS gnutls_record_send/gnutls_record_recv.",
    .path_opt = "gnutls",
    .path_help = "the libgnutls to hook (default: --pid's, ldconfig's libgnutls.so.30)",
    .source = EVENT__SOURCE__SOURCE_GNUTLS,
};

static int on_event(void *ctx, const void *data, size_t size)
{
	const struct mod_event *e = data;
	if (size < sizeof *e || e->len > size - sizeof *e ||
	    (e->kind != MOD_KIND_DATA && e->kind != MOD_KIND_CLOSE))
		return 0;
	return ec_mod_put(ctx, e, NULL, 0, NULL);
}

int gnutls_main(int argc, char **argv)
{
	struct ec_mod mod, *m = &mod;
	struct gnutls_bpf *skel = NULL;
	char path[4096], msg[4352], sym[128];
	int err, status = 1;

	if ((err = ec_mod_parse(m, &spec, argc, argv)) || (err = ec_mod_check(m)))
		return err;
	if (ec_mod_find_lib(m->o.path, (pid_t)m->o.pid, "libgnutls.so", GNUTLS_SONAME, path,
			    sizeof path, msg, sizeof msg)) {
		ec_warn("%s (install libgnutls30, or give it with --gnutls PATH)", msg);
		return 1;
	}
	err = ec_mod_find_symbol(path, "gnutls_record_send", 0, sym, sizeof sym);
	if (err) {
		ec_warn("%s: %s (is it libgnutls? give the right one with --gnutls PATH)", path,
			err == EC_ERR_NOTFOUND ? "no gnutls_record_send symbol"
			: err == EC_ERR_IO     ? strerror(errno)
					       : "not an ELF file");
		return 1;
	}
	if (ec_mod_start(m, path, NULL))
		return 1;
	skel = gnutls_bpf__open();
	if (!skel) {
		ec_warn("cannot open the BPF object: %s", strerror(errno));
		goto cleanup;
	}
	if (ec_mod_load(m, skel->obj))
		goto cleanup;
	static const struct {
		const char *sym;
		int write, required;
	} hooks[] = {
	    {"gnutls_record_send", 1, 1},
	    {"gnutls_record_recv", 0, 1},
	    {"gnutls_record_send2", 1, 0},
	    {"gnutls_record_recv_seq", 0, 0},
	};
	char done[256] = "";
	for (size_t i = 0; i < sizeof hooks / sizeof *hooks; i++) {
		if (!hooks[i].required &&
		    ec_mod_find_symbol(path, hooks[i].sym, 0, sym, sizeof sym))
			continue;
		struct bpf_program *p =
		    hooks[i].write ? skel->progs.send_enter : skel->progs.recv_enter;
		if ((err = ec_mod_uprobe(m, p, path, hooks[i].sym, 0)) ||
		    (err = ec_mod_uprobe(m, skel->progs.record_return, path, hooks[i].sym, 1))) {
			ec_warn("cannot attach uprobes to %s in %s: %s", hooks[i].sym, path,
				ec_capture_strerror(err));
			goto cleanup;
		}
		strcat(done, done[0] ? ", " : "");
		strcat(done, hooks[i].sym);
	}
	if (ec_mod_attach(m, skel->progs.mod_sys_enter, "tp_btf/sys_enter") ||
	    ec_mod_attach(m, skel->progs.mod_sock_state, "tp_btf/inet_sock_set_state"))
		goto cleanup;
	ec_mod_say(m, "hooked %s (entry and return) in %s; sys_enter, inet_sock_set_state", done,
		   path);
	status = ec_mod_run(m, on_event, m);
cleanup:
	status = ec_mod_finish(m, status);
	gnutls_bpf__destroy(skel);
	return status;
}
