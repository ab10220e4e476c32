/*
 * ec-capture zsh: load bpf/zsh.bpf.c, hook zleentry in the zsh binary, and
 * write each line read by the line editor as an Event record (source zsh,
 * payload = the line, unmetafied, without its final newline).
 */
#include <bpf/libbpf.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "modevent.h"
#include "modrun.h"
#include "modules.h"
#include "record.h"
#include "util.h"
#include "zsh.h"
#include "zsh.skel.h"

#define ZSH_META 0x83 /* zsh's Meta byte: the next byte is XOR 32 */

static const struct ec_mod_spec spec = {
    .name = "zsh",
    .what = "Capture the command lines interactive zsh shells read with their line editor.",
    .path_opt = "zsh",
    .path_help = "the zsh binary (default: --pid's, /bin/zsh)",
    .errnumber = 1,
    .source = EVENT__SOURCE__SOURCE_ZSH,
};

static int on_event(void *ctx, const void *data, size_t size)
{
	const struct mod_event *e = data;
	uint8_t line[ZSH_LINE_MAX];
	size_t n = 0;
	if (size < sizeof *e || e->len > size - sizeof *e || e->kind != MOD_KIND_LINE ||
	    e->len > sizeof line)
		return 0;
	for (uint32_t i = 0; i < e->len; i++) {
		if (e->data[i] == ZSH_META && i + 1 < e->len)
			line[n++] = e->data[++i] ^ 32;
		else
			line[n++] = e->data[i];
	}
	if (n && line[n - 1] == '\n')
		n--;
	if (!n)
		return 0;
	const char *note = NULL;
	if (e->flags & MOD_F_EXITED)
		note = "no return code: the shell exited or exec'd";
	else if (!(e->flags & MOD_F_RETVAL))
		note = "no return code";
	return ec_mod_put(ctx, e, line, n, note);
}

int zsh_main(int argc, char **argv)
{
	static const char *const candidates[] = {"/bin/zsh", "/usr/bin/zsh", NULL};
	struct ec_mod mod, *m = &mod;
	struct zsh_bpf *skel = NULL;
	char path[4096], msg[4352], sym[128];
	int err, status = 1;

	if ((err = ec_mod_parse(m, &spec, argc, argv)) || (err = ec_mod_check(m)))
		return err;
	if (ec_mod_find_bin(m->o.path, (pid_t)m->o.pid, candidates, path, sizeof path, msg,
			    sizeof msg)) {
		ec_warn("zsh not found: %s (install zsh, or give it with --zsh PATH)", msg);
		return 1;
	}
	err = ec_mod_find_symbol(path, "zleentry", 0, sym, sizeof sym);
	if (err) {
		ec_warn("%s: %s (is it zsh? give the right binary with --zsh PATH)", path,
			err == EC_ERR_NOTFOUND ? "no zleentry symbol"
			: err == EC_ERR_IO     ? strerror(errno)
					       : "not an ELF file");
		return 1;
	}
	if (ec_mod_start(m, path, NULL))
		return 1;
	skel = zsh_bpf__open();
	if (!skel) {
		ec_warn("cannot open the BPF object: %s", strerror(errno));
		goto cleanup;
	}
	uint64_t zle = 0, lastval = 0;
	int have_lastval = !ec_mod_symbol_value(path, "zleentry", &zle) &&
			   !ec_mod_symbol_value(path, "lastval", &lastval) && zle && lastval;
	if (have_lastval)
		skel->rodata->lastval_delta = (int64_t)(lastval - zle);
	else
		ec_mod_say(m, "lastval: not in %s, lines come without return codes", path);
	if (ec_mod_load(m, skel->obj))
		goto cleanup;
	if ((err = ec_mod_uprobe(m, skel->progs.zleentry_enter, path, "zleentry", 0)) ||
	    (err = ec_mod_uprobe(m, skel->progs.zleentry_return, path, "zleentry", 1))) {
		ec_warn("cannot attach uprobes to zleentry in %s: %s", path,
			ec_capture_strerror(err));
		goto cleanup;
	}
	if (have_lastval &&
	    (ec_mod_attach(m, skel->progs.process_exit, "tp_btf/sched_process_exit") ||
	     ec_mod_attach(m, skel->progs.process_exec, "tp_btf/sched_process_exec")))
		goto cleanup;
	ec_mod_say(m, "hooked zleentry (entry and return) in %s%s", path,
		   have_lastval
		       ? "; return codes from lastval; sched_process_exit, sched_process_exec"
		       : "");
	status = ec_mod_run(m, on_event, m);
cleanup:
	status = ec_mod_finish(m, status);
	zsh_bpf__destroy(skel);
	return status;
}
