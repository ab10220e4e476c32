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
#include "event.h"
#include "mod.h"
#include "target.h"
#include "modules.h"
#include "record.h"
#include "util.h"

static int event(struct ec_mod *m, const struct ec_event *e)
{
	if ((e->kind != EC_KIND_DATA && e->kind != EC_KIND_CLOSE))
		return 0;
	return ec_mod_put(m, e, NULL, 0, NULL);
}

static const char *const sonames[] = {GNUTLS_SONAME, NULL};
static const struct ec_target_lib lib = {"--gnutls", "libgnutls.so", sonames,
					 "install libgnutls30"};
static struct gnutls_bpf *skel;

static int setup(struct ec_mod *m)
{
	char path[4096], msg[4352], sym[128];
	int err;

	if (ec_target_lib(&lib, m->o.path, (pid_t)m->o.pid, path, sizeof path, msg, sizeof msg)) {
		ec_warn("%s", msg);
		return 1;
	}
	err = ec_target_symbol(path, "gnutls_record_send", 0, sym, sizeof sym);
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
		return 1;
	}
	if (ec_mod_load(m, skel->skeleton))
		return 1;
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
		if (!hooks[i].required && ec_target_symbol(path, hooks[i].sym, 0, sym, sizeof sym))
			continue;
		struct bpf_program *p =
		    hooks[i].write ? skel->progs.send_enter : skel->progs.recv_enter;
		if ((err = ec_mod_uprobe(m, p, path, hooks[i].sym, 0)) ||
		    (err = ec_mod_uprobe(m, skel->progs.record_return, path, hooks[i].sym, 1))) {
			ec_warn("cannot attach uprobes to %s in %s: %s", hooks[i].sym, path,
				ec_capture_strerror(err));
			return 1;
		}
		strcat(done, done[0] ? ", " : "");
		strcat(done, hooks[i].sym);
	}
	if (ec_mod_attach(m, skel->progs.ec_sys_enter, "tp_btf/sys_enter") ||
	    ec_mod_attach(m, skel->progs.ec_sock_state, "tp_btf/inet_sock_set_state"))
		return 1;
	ec_mod_say(m, "hooked %s (entry and return) in %s; sys_enter, inet_sock_set_state", done,
		   path);
	return 0;
}

static void cleanup(struct ec_mod *m)
{
	(void)m;
	gnutls_bpf__destroy(skel);
}

const struct ec_mod_spec ec_mod_gnutls = {
    .name = "gnutls",
    .what = "Capture the plaintext of GnuTLS gnutls_record_send/gnutls_record_recv.",
    .path_opt = "gnutls",
    .path_help = "the libgnutls to hook (default: --pid's, ldconfig's libgnutls.so.30)",
    .source = EVENT__SOURCE__SOURCE_GNUTLS,
    .setup = setup,
    .event = event,
    .cleanup = cleanup,
};
