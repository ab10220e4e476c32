// SPDX-License-Identifier: GPL-2.0-only
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
#include "shell.h"
#include "zsh.skel.h"

#define ZSH_META 0x83 /* zsh's Meta byte: the next byte is XOR 32 */

static int event(struct ec_mod *m, const struct ec_event *e)
{
	uint8_t line[SHELL_LINE_MAX];
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

static const char *const bins[] = {"/bin/zsh", "/usr/bin/zsh", NULL};

static int setup(struct ec_mod *m)
{
	const char *path = m->path;

	struct zsh_bpf *skel = zsh_bpf__open();
	uint64_t zle = 0, lastval = 0;
	int have_lastval = !ec_target_symbol_value(path, "zleentry", &zle) &&
			   !ec_target_symbol_value(path, "lastval", &lastval) && zle && lastval;
	if (have_lastval && skel)
		skel->rodata->lastval_delta = (int64_t)(lastval - zle);
	else if (!have_lastval)
		ec_mod_say(m, "lastval: not in %s, lines come without return codes", path);
	if (EC_MOD_LOAD(m, skel))
		return 1;
	if (ec_mod_uprobe(m, skel->progs.zleentry_enter, path, "zleentry", 0) ||
	    ec_mod_uprobe(m, skel->progs.zleentry_return, path, "zleentry", 1))
		return 1;
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

const struct ec_mod_spec ec_mod_zsh = {
    .name = "zsh",
    .what = "Capture the command lines interactive zsh shells read with their line editor.",
    .path_opt = "zsh",
    .path_help = "the zsh binary (default: --pid's, /bin/zsh)",
    .flags = EC_MOD_ERRNUMBER,
    .source = EVENT__SOURCE__SOURCE_ZSH,
    .target = {.bins = bins, .sym = "zleentry", .is = "zsh", .hint = "install zsh"},
    .setup = setup,
    .event = event,
};
