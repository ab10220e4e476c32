// SPDX-License-Identifier: GPL-2.0-only
/*
 * ec-capture bash: load bpf/bash.bpf.c, hook readline and execute_command in
 * the bash binary, and write each command line as an Event record (source
 * bash, payload = the line, retval = the command's return code).
 */
#include <bpf/libbpf.h>
#include <stdio.h>
#include <string.h>

#include "shell.h"
#include "bash.skel.h"
#include "error.h"
#include "event.h"
#include "mod.h"
#include "target.h"
#include "modules.h"
#include "record.h"
#include "util.h"

static int event(struct ec_mod *m, const struct ec_event *e)
{
	if (e->kind != EC_KIND_LINE)
		return 0;
	const char *note = NULL;
	if (e->flags & EC_F_EXITED)
		note = "no return code: the shell exited or exec'd";
	else if (!(e->flags & EC_F_RETVAL))
		note = "no return code: the line ran no command";
	return ec_mod_put(m, e, NULL, 0, note);
}

static const char *const bins[] = {"/bin/bash", "/usr/bin/bash", NULL};

static int setup(struct ec_mod *m)
{
	const char *path = m->path;
	char sym[128];

	struct bash_bpf *skel = bash_bpf__open();
	if (EC_MOD_LOAD(m, skel))
		return 1;
	if (ec_mod_uprobe(m, skel->progs.readline_return, path, "readline", 1))
		return 1;
	int have_exec = !ec_target_symbol(path, "execute_command", 0, sym, sizeof sym);
	if (have_exec) {
		if (ec_mod_uprobe(m, skel->progs.execute_command_enter, path, "execute_command",
				  0) ||
		    ec_mod_uprobe(m, skel->progs.execute_command_return, path, "execute_command",
				  1))
			return 1;
	} else {
		ec_mod_say(m, "execute_command: not in %s, lines come without return codes", path);
	}
	if (ec_mod_attach(m, skel->progs.process_exit, "tp_btf/sched_process_exit") ||
	    ec_mod_attach(m, skel->progs.process_exec, "tp_btf/sched_process_exec"))
		return 1;
	ec_mod_say(m, "hooked readline (return)%s in %s; sched_process_exit, sched_process_exec",
		   have_exec ? ", execute_command (entry and return)" : "", path);
	return 0;
}

const struct ec_mod_spec ec_mod_bash = {
    .name = "bash",
    .what = "Capture the command lines interactive bash shells read, with return codes.",
    .path_opt = "bash",
    .path_help = "the bash binary (default: --pid's, /bin/bash)",
    .flags = EC_MOD_ERRNUMBER,
    .source = EVENT__SOURCE__SOURCE_BASH,
    .target = {.bins = bins, .sym = "readline", .is = "bash", .hint = "install bash"},
    .setup = setup,
    .event = event,
};
