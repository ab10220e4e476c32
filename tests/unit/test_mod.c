// SPDX-License-Identifier: GPL-2.0-only
/* lib/capture/mod: the options every capture module shares. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "mod.h"
#include "record.h"
#include "util.h"

static const struct ec_mod_spec bash_spec = {.name = "bash",
					     .what = "test",
					     .path_opt = "bash",
					     .path_help = "x",
					     .flags = EC_MOD_ERRNUMBER,
					     .source = EVENT__SOURCE__SOURCE_BASH};
static const struct ec_mod_spec zsh_spec = {.name = "zsh",
					    .what = "test",
					    .path_opt = "zsh",
					    .path_help = "x",
					    .source = EVENT__SOURCE__SOURCE_ZSH};

static int parse(const struct ec_mod_spec *s, struct ec_mod *m, int argc, const char **argv)
{
	char *copy[32];
	for (int i = 0; i < argc; i++)
		copy[i] = strdup(argv[i]);
	copy[argc] = NULL;
	int first, r = ec_mod_parse(m, s, argc, copy, &first);
	/* the options point into the copies: freed by the next parse */
	static char *kept[32];
	static int nkept;
	for (int i = 0; i < nkept; i++)
		free(kept[i]);
	memcpy(kept, copy, sizeof(char *) * (size_t)argc);
	nkept = argc;
	return r;
}

static void options(void **state)
{
	(void)state;
	struct ec_mod m;
	const char *ok[] = {"bash", "--pid",	  "12",		 "--uid", "0",
			    "-t",   "bash,zsh",	  "--errnumber", "-3",	  "--bash",
			    "/x",   "--truncate", "4k",		 "-i",	  "sshd"};
	assert_int_equal(parse(&bash_spec, &m, 15, ok), 0);
	assert_int_equal(m.o.pid, 12);
	assert_int_equal(m.o.uid, 0);
	assert_int_equal(m.o.uid_set, 1);
	assert_int_equal(m.o.ntargets, 2);
	assert_string_equal(m.o.targets[1], "zsh");
	assert_int_equal(m.o.nignores, 1);
	assert_int_equal(m.o.errnumber_set, 1);
	assert_int_equal(m.o.errnumber, -3);
	assert_string_equal(m.o.path, "/x");
	assert_int_equal(m.o.truncate, 4096);
	assert_int_equal(m.o.ringbuf, 8u << 20);
	assert_int_equal(m.o.heartbeat, 15);

	const char *badpid[] = {"bash", "--pid", "x"};
	assert_int_equal(parse(&bash_spec, &m, 3, badpid), 2);
	/* -e is gotls's --elfpath: --errnumber has no letter */
	const char *eletter[] = {"bash", "-e", "1"};
	assert_int_equal(parse(&bash_spec, &m, 3, eletter), 2);
	const char *noerr[] = {"zsh", "--errnumber", "1"};
	assert_int_equal(parse(&zsh_spec, &m, 3, noerr), 2);
	const char *wrongpath[] = {"zsh", "--bash", "/bin/bash"};
	assert_int_equal(parse(&zsh_spec, &m, 3, wrongpath), 2);
	const char *extra[] = {"zsh", "stray"};
	assert_int_equal(parse(&zsh_spec, &m, 2, extra), 2);
	const char *novalue[] = {"zsh", "--uid"};
	assert_int_equal(parse(&zsh_spec, &m, 2, novalue), 2);
	const char *ring[] = {"zsh", "--ringbuf", "1k"};
	assert_int_equal(parse(&zsh_spec, &m, 3, ring), 2);
	const char *empty[] = {"zsh", "--empty-probes", "--zsh", "/bin/zsh"};
	assert_int_equal(parse(&zsh_spec, &m, 4, empty), 0);
	assert_int_equal(m.o.empty, 1);
}

int main(void)
{
	ec_init("test_mod");
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(options),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
