// SPDX-License-Identifier: GPL-2.0-only
/*
 * ec-capture mysqld: load bpf/mysqld.bpf.c, hook dispatch_command in the
 * MySQL/MariaDB server binary, and write each text query as an Event record
 * (source mysqld, payload = the query, retval = dispatch_command's value).
 */
#include <bpf/libbpf.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "event.h"
#include "mod.h"
#include "target.h"
#include "modules.h"
#include "mysqld.h"
#include "mysqld.skel.h"
#include "record.h"
#include "util.h"

#define DISPATCH "_Z16dispatch_command"
#define ERRSTATUS "_ZN16Diagnostics_area16set_error_status"

static int event(struct ec_mod *m, const struct ec_event *e)
{
	if (e->kind != EC_KIND_QUERY)
		return 0;
	char note[64];
	if (e->flags & EC_F_ERROR)
		snprintf(note, sizeof note, "COM_QUERY failed: error %lld", (long long)e->retval);
	else
		snprintf(note, sizeof note, "COM_QUERY");
	return ec_mod_put(m, e, NULL, 0, note);
}

static const char *const bins[] = {"/usr/sbin/mariadbd", "/usr/sbin/mysqld",
				   "/usr/local/mysql/bin/mysqld", NULL};

static int setup(struct ec_mod *m)
{
	const char *path = m->path, *sym = m->sym;

	const char *args = sym + strlen(DISPATCH);
	unsigned layout;
	if (!strncmp(args, "19enum_server_command", 21))
		layout = MYSQLD_MARIADB;
	else if (!strncmp(args, "P3THDPK8COM_DATA", 16))
		layout = MYSQLD_MYSQL;
	else {
		ec_warn("%s: dispatch_command has an unknown signature (%s): not MariaDB's "
			"(enum_server_command, THD*, char*, uint, bool) nor MySQL's (THD*, const "
			"COM_DATA*, enum_server_command)",
			path, sym);
		return 1;
	}
	ec_mod_say(m, "%s: %s layout", sym, layout == MYSQLD_MARIADB ? "MariaDB" : "MySQL");
	struct mysqld_bpf *skel = mysqld_bpf__open();
	if (skel)
		skel->rodata->layout = layout;
	if (EC_MOD_LOAD(m, skel))
		return 1;
	if (ec_mod_uprobe(m, skel->progs.dispatch_enter, path, sym, 0) ||
	    ec_mod_uprobe(m, skel->progs.dispatch_return, path, sym, 1))
		return 1;
	char errs[8][EC_TARGET_SYM_LEN];
	int nerr = ec_target_list_symbols(path, ERRSTATUS, errs, 8);
	for (int i = 0; i < nerr; i++) {
		if (ec_mod_uprobe(m, skel->progs.set_error_enter, path, errs[i], 0))
			return 1;
	}
	if (nerr <= 0)
		ec_mod_say(m,
			   "Diagnostics_area::set_error_status: not in %s, failed queries are "
			   "not told apart",
			   path);
	ec_mod_say(m, "hooked %s (entry and return), %d set_error_status in %s", sym,
		   nerr > 0 ? nerr : 0, path);
	return 0;
}

const struct ec_mod_spec ec_mod_mysqld = {
    .name = "mysqld",
    .what = "Capture the SQL queries a MySQL/MariaDB server executes (dispatch_command).",
    .path_opt = "mysqld",
    .path_help = "the server binary (default: --pid's, mariadbd, mysqld)",
    .source = EVENT__SOURCE__SOURCE_MYSQLD,
    .target = {.bins = bins,
	       .sym = DISPATCH,
	       .sym_prefix = 1,
	       .is = "a MySQL/MariaDB server",
	       .hint = "install mariadb-server"},
    .setup = setup,
    .event = event,
};
