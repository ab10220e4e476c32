// SPDX-License-Identifier: GPL-2.0-only
/*
 * ec-capture postgres: load bpf/postgres.bpf.c, hook pg_parse_query,
 * errstart/errcode and ReadyForQuery in the postgres server binary, and write
 * each query as an Event record (source postgres, payload = the query,
 * retval = 0, or the packed SQLSTATE of the error that ended it; the note
 * spells the SQLSTATE).
 */
#include <bpf/libbpf.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "event.h"
#include "mod.h"
#include "target.h"
#include "modules.h"
#include "postgres.h"
#include "postgres.skel.h"
#include "record.h"
#include "util.h"

static int event(struct ec_mod *m, const struct ec_event *e)
{
	if (e->kind != EC_KIND_QUERY)
		return 0;
	char note[64] = "";
	size_t n = 0;
	if (e->flags & EC_F_ERROR) {
		/* MAKE_SQLSTATE: five 6-bit characters from '0', first in the low bits */
		char state[6];
		unsigned code = e->retval ? (unsigned)e->retval : 0;
		for (int i = 0; i < 5; i++, code >>= 6)
			state[i] = (char)((code & 0x3f) + '0');
		state[5] = '\0';
		n = (size_t)snprintf(note, sizeof note, "ERROR %s",
				     e->retval ? state : "(no SQLSTATE given: XX000)");
	}
	if (e->flags & EC_F_TRUNCATED)
		snprintf(note + n, sizeof note - n, "%struncated at %u bytes", n ? "; " : "",
			 e->len);
	return ec_mod_put(m, e, NULL, 0, note);
}

static const char *const bins[] = {"/usr/lib/postgresql/*/bin/postgres",
				   "/usr/local/pgsql/bin/postgres", "/usr/bin/postgres", NULL};

static int setup(struct ec_mod *m)
{
	const char *path = m->path;
	char sym[128];

	struct postgres_bpf *skel = postgres_bpf__open();
	if (EC_MOD_LOAD(m, skel))
		return 1;
	if (ec_mod_uprobe(m, skel->progs.parse_enter, path, "pg_parse_query", 0))
		return 1;
	if (ec_mod_uprobe(m, skel->progs.ready_enter, path, "ReadyForQuery", 0))
		return 1;
	static const char *const errfns[] = {"errstart", "errstart_cold"};
	char done[128] = "";
	for (size_t i = 0; i < 2; i++) {
		if (ec_target_symbol(path, errfns[i], 0, sym, sizeof sym))
			continue;
		if (ec_mod_uprobe(m, skel->progs.errstart_enter, path, errfns[i], 0))
			return 1;
		strcat(done, ", ");
		strcat(done, errfns[i]);
	}
	if (!ec_target_symbol(path, "errcode", 0, sym, sizeof sym)) {
		if (ec_mod_uprobe(m, skel->progs.errcode_enter, path, "errcode", 0))
			return 1;
		strcat(done, ", errcode");
	}
	ec_mod_say(m, "hooked pg_parse_query, ReadyForQuery%s in %s", done, path);
	return 0;
}

const struct ec_mod_spec ec_mod_postgres = {
    .name = "postgres",
    .what = "Capture the SQL queries a PostgreSQL server runs (simple and extended protocol).",
    .path_opt = "postgres",
    .path_help = "the postgres binary (default: --pid's, /usr/lib/postgresql/*/bin/postgres)",
    .source = EVENT__SOURCE__SOURCE_POSTGRES,
    .target = {.bins = bins,
	       .sym = "pg_parse_query",
	       .is = "the postgres server",
	       .hint = "install postgresql"},
    .setup = setup,
    .event = event,
};
