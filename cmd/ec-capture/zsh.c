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
#include "event.h"
#include "mod.h"
#include "target.h"
#include "modules.h"
#include "record.h"
#include "util.h"
#include "zsh.h"
#include "zsh.skel.h"

#define ZSH_META 0x83 /* zsh's Meta byte: the next byte is XOR 32 */

static int event(struct ec_mod *m, const struct ec_event *e)
{
	uint8_t line[ZSH_LINE_MAX];
	size_t n = 0;
	if (e->kind != EC_KIND_LINE || e->len > sizeof line)
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
	if (e->flags & EC_F_EXITED)
		note = "no return code: the shell exited or exec'd";
	else if (!(e->flags & EC_F_RETVAL))
		note = "no return code";
	return ec_mod_put(m, e, line, n, note);
}

static struct zsh_bpf *skel;

static int setup(struct ec_mod *m)
{
	static const char *const candidates[] = {"/bin/zsh", "/usr/bin/zsh", NULL};
	char path[4096], msg[4352], sym[128];
	int err;

	if (ec_target_bin(m->o.path, (pid_t)m->o.pid, candidates, path, sizeof path, msg,
			  sizeof msg)) {
		ec_warn("zsh not found: %s (install zsh, or give it with --zsh PATH)", msg);
		return 1;
	}
	err = ec_target_symbol(path, "zleentry", 0, sym, sizeof sym);
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
		return 1;
	}
	uint64_t zle = 0, lastval = 0;
	int have_lastval = !ec_target_symbol_value(path, "zleentry", &zle) &&
			   !ec_target_symbol_value(path, "lastval", &lastval) && zle && lastval;
	if (have_lastval)
		skel->rodata->lastval_delta = (int64_t)(lastval - zle);
	else
		ec_mod_say(m, "lastval: not in %s, lines come without return codes", path);
	if (ec_mod_load(m, skel->skeleton))
		return 1;
	if ((err = ec_mod_uprobe(m, skel->progs.zleentry_enter, path, "zleentry", 0)) ||
	    (err = ec_mod_uprobe(m, skel->progs.zleentry_return, path, "zleentry", 1))) {
		ec_warn("cannot attach uprobes to zleentry in %s: %s", path,
			ec_capture_strerror(err));
		return 1;
	}
	if (have_lastval &&
	    (ec_mod_attach(m, skel->progs.process_exit, "tp_btf/sched_process_exit") ||
	     ec_mod_attach(m, skel->progs.process_exec, "tp_btf/sched_process_exec")))
		return 1;
	ec_mod_say(m, "hooked zleentry (entry and return) in %s%s", path,
		   have_lastval
		       ? "; return codes from lastval; sched_process_exit, sched_process_exec"
		       : "");
	return 0;
}

static void cleanup(struct ec_mod *m)
{
	(void)m;
	zsh_bpf__destroy(skel);
}

const struct ec_mod_spec ec_mod_zsh = {
    .name = "zsh",
    .what = "Capture the command lines interactive zsh shells read with their line editor.",
    .path_opt = "zsh",
    .path_help = "the zsh binary (default: --pid's, /bin/zsh)",
    .flags = EC_MOD_ERRNUMBER,
    .source = EVENT__SOURCE__SOURCE_ZSH,
    .setup = setup,
    .event = event,
    .cleanup = cleanup,
};
