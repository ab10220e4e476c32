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

static struct postgres_bpf *skel;

static int setup(struct ec_mod *m)
{
	static const char *const candidates[] = {"/usr/lib/postgresql/*/bin/postgres",
						 "/usr/local/pgsql/bin/postgres",
						 "/usr/bin/postgres", NULL};
	char path[4096], msg[4352], sym[128];
	int err;

	if (ec_target_bin(m->o.path, (pid_t)m->o.pid, candidates, path, sizeof path, msg,
			  sizeof msg)) {
		ec_warn("postgres not found: %s (install postgresql, or give it with --postgres "
			"PATH)",
			msg);
		return 1;
	}
	err = ec_target_symbol(path, "pg_parse_query", 0, sym, sizeof sym);
	if (err) {
		ec_warn("%s: %s (is it the postgres server? give it with --postgres PATH)", path,
			err == EC_ERR_NOTFOUND ? "no pg_parse_query symbol"
			: err == EC_ERR_IO     ? strerror(errno)
					       : "not an ELF file");
		return 1;
	}
	if (ec_mod_start(m, path, NULL))
		return 1;
	skel = postgres_bpf__open();
	if (!skel) {
		ec_warn("cannot open the BPF object: %s", strerror(errno));
		return 1;
	}
	if (ec_mod_load(m, skel->skeleton))
		return 1;
	if ((err = ec_mod_uprobe(m, skel->progs.parse_enter, path, "pg_parse_query", 0))) {
		ec_warn("cannot attach a uprobe to pg_parse_query in %s: %s", path,
			ec_capture_strerror(err));
		return 1;
	}
	if ((err = ec_mod_uprobe(m, skel->progs.ready_enter, path, "ReadyForQuery", 0))) {
		ec_warn("cannot attach a uprobe to ReadyForQuery in %s: %s", path,
			ec_capture_strerror(err));
		return 1;
	}
	static const char *const errfns[] = {"errstart", "errstart_cold"};
	char done[128] = "";
	for (size_t i = 0; i < 2; i++) {
		if (ec_target_symbol(path, errfns[i], 0, sym, sizeof sym))
			continue;
		if ((err = ec_mod_uprobe(m, skel->progs.errstart_enter, path, errfns[i], 0))) {
			ec_warn("cannot attach a uprobe to %s in %s: %s", errfns[i], path,
				ec_capture_strerror(err));
			return 1;
		}
		strcat(done, ", ");
		strcat(done, errfns[i]);
	}
	if (!ec_target_symbol(path, "errcode", 0, sym, sizeof sym)) {
		if ((err = ec_mod_uprobe(m, skel->progs.errcode_enter, path, "errcode", 0))) {
			ec_warn("cannot attach a uprobe to errcode in %s: %s", path,
				ec_capture_strerror(err));
			return 1;
		}
		strcat(done, ", errcode");
	}
	ec_mod_say(m, "hooked pg_parse_query, ReadyForQuery%s in %s", done, path);
	return 0;
}

static void cleanup(struct ec_mod *m)
{
	(void)m;
	postgres_bpf__destroy(skel);
}

const struct ec_mod_spec ec_mod_postgres = {
    .name = "postgres",
    .what = "Capture the SQL queries a PostgreSQL server runs (simple and extended protocol).",
    .path_opt = "postgres",
    .path_help = "the postgres binary (default: --pid's, /usr/lib/postgresql/*/bin/postgres)",
    .source = EVENT__SOURCE__SOURCE_POSTGRES,
    .setup = setup,
    .event = event,
    .cleanup = cleanup,
};
