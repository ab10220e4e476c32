/*
 * ec-capture bash: load bpf/bash.bpf.c, hook readline and execute_command in
 * the bash binary, and write each command line as an Event record (source
 * bash, payload = the line, retval = the command's return code).
 */
#include <bpf/libbpf.h>
#include <stdio.h>
#include <string.h>

#include "bash.h"
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

static struct bash_bpf *skel;

static int setup(struct ec_mod *m)
{
	static const char *const candidates[] = {"/bin/bash", "/usr/bin/bash", NULL};
	char path[4096], msg[4352], sym[128];
	int err;

	if (ec_target_bin(m->o.path, (pid_t)m->o.pid, candidates, path, sizeof path, msg,
			  sizeof msg)) {
		ec_warn("bash not found: %s (give it with --bash PATH)", msg);
		return 1;
	}
	err = ec_target_symbol(path, "readline", 0, sym, sizeof sym);
	if (err) {
		ec_warn("%s: %s (is it bash? give the right binary with --bash PATH)", path,
			err == EC_ERR_NOTFOUND ? "no readline symbol"
			: err == EC_ERR_IO     ? strerror(errno)
					       : "not an ELF file");
		return 1;
	}
	if (ec_mod_start(m, path, NULL))
		return 1;
	skel = bash_bpf__open();
	if (!skel) {
		ec_warn("cannot open the BPF object: %s", strerror(errno));
		return 1;
	}
	if (ec_mod_load(m, skel->skeleton))
		return 1;
	if ((err = ec_mod_uprobe(m, skel->progs.readline_return, path, "readline", 1))) {
		ec_warn("cannot attach a uretprobe to readline in %s: %s", path,
			ec_capture_strerror(err));
		return 1;
	}
	int have_exec = !ec_target_symbol(path, "execute_command", 0, sym, sizeof sym);
	if (have_exec) {
		if ((err = ec_mod_uprobe(m, skel->progs.execute_command_enter, path,
					 "execute_command", 0)) ||
		    (err = ec_mod_uprobe(m, skel->progs.execute_command_return, path,
					 "execute_command", 1))) {
			ec_warn("cannot attach uprobes to execute_command in %s: %s", path,
				ec_capture_strerror(err));
			return 1;
		}
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

static void cleanup(struct ec_mod *m)
{
	(void)m;
	bash_bpf__destroy(skel);
}

const struct ec_mod_spec ec_mod_bash = {
    .name = "bash",
    .what = "Capture the command lines interactive bash shells read, with return codes.",
    .path_opt = "bash",
    .path_help = "the bash binary (default: --pid's, /bin/bash)",
    .flags = EC_MOD_ERRNUMBER,
    .source = EVENT__SOURCE__SOURCE_BASH,
    .setup = setup,
    .event = event,
    .cleanup = cleanup,
};
