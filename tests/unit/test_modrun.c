/* lib/modrun: option parsing, ELF symbol lookup, binary and library search. */
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
#include "modrun.h"
#include "record.h"
#include "util.h"

static const struct ec_mod_spec bash_spec = {.name = "bash",
					     .what = "test",
					     .path_opt = "bash",
					     .path_help = "x",
					     .errnumber = 1,
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
	int r = ec_mod_parse(m, s, argc, copy);
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

static void symbols(void **state)
{
	(void)state;
	char name[256], self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	assert_true(n > 0);
	self[n] = '\0';
	assert_int_equal(ec_mod_find_symbol(self, "ec_mod_find_symbol", 0, name, sizeof name), 0);
	assert_string_equal(name, "ec_mod_find_symbol");
	assert_int_equal(ec_mod_find_symbol(self, "ec_mod_find_sym", 1, name, sizeof name), 0);
	assert_string_equal(name, "ec_mod_find_symbol");
	assert_int_equal(ec_mod_find_symbol(self, "ec_mod_find_sym", 0, name, sizeof name),
			 EC_ERR_NOTFOUND);
	assert_int_equal(ec_mod_find_symbol(self, "no_such_function_here", 0, name, sizeof name),
			 EC_ERR_NOTFOUND);
	uint64_t v = 0;
	assert_int_equal(ec_mod_symbol_value(self, "ec_mod_symbol_value", &v), 0);
	assert_true(v != 0);
	assert_int_equal(ec_mod_symbol_value(self, "no_such_symbol_here", &v), EC_ERR_NOTFOUND);
	char list[8][EC_MOD_SYM_LEN];
	int k = ec_mod_list_symbols(self, "ec_mod_find_", list, 8);
	assert_int_equal(k, 3); /* find_symbol, find_lib, find_bin; never a .cold clone */
	for (int i = 0; i < k; i++)
		assert_null(strchr(list[i], '.'));
	assert_int_equal(ec_mod_list_symbols(self, "ec_mod_find_", list, 1), 1);

	char tmp[] = "/tmp/test_modrun.XXXXXX";
	int fd = mkstemp(tmp);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "not an ELF file\n", 16), 16);
	close(fd);
	assert_int_equal(ec_mod_find_symbol(tmp, "main", 0, name, sizeof name), EC_ERR_UNSUPPORTED);
	unlink(tmp);
	assert_int_equal(ec_mod_find_symbol("/nonexistent/x", "main", 0, name, sizeof name),
			 EC_ERR_IO);
}

static void binaries(void **state)
{
	(void)state;
	char out[4096], msg[4352], dir[] = "/tmp/test_modrun_d.XXXXXX", f[4200];
	assert_non_null(mkdtemp(dir));
	for (int i = 1; i <= 2; i++) {
		snprintf(f, sizeof f, "%s/srv%d", dir, i);
		FILE *fp = fopen(f, "w");
		assert_non_null(fp);
		fclose(fp);
	}
	char pat[4200];
	snprintf(pat, sizeof pat, "%s/srv*", dir);
	const char *const cands[] = {"/nonexistent/a", pat, NULL};
	assert_int_equal(ec_mod_find_bin(NULL, 0, cands, out, sizeof out, msg, sizeof msg), 0);
	snprintf(f, sizeof f, "%s/srv2", dir); /* the last in sort order (newest version) */
	assert_string_equal(out, f);
	const char *const none[] = {"/nonexistent/a", "/nonexistent/b*", NULL};
	assert_int_equal(ec_mod_find_bin(NULL, 0, none, out, sizeof out, msg, sizeof msg),
			 EC_ERR_NOTFOUND);
	assert_non_null(strstr(msg, "/nonexistent/b*"));
	assert_int_equal(
	    ec_mod_find_bin("/nonexistent/explicit", 0, cands, out, sizeof out, msg, sizeof msg),
	    EC_ERR_NOTFOUND);
	assert_non_null(strstr(msg, "/nonexistent/explicit"));
	/* --pid: the process's own executable */
	assert_int_equal(ec_mod_find_bin(NULL, getpid(), none, out, sizeof out, msg, sizeof msg),
			 0);
	assert_non_null(strstr(out, "test_modrun"));
	for (int i = 1; i <= 2; i++) {
		snprintf(f, sizeof f, "%s/srv%d", dir, i);
		unlink(f);
	}
	rmdir(dir);
}

static void libraries(void **state)
{
	(void)state;
	char out[4096], msg[4352];
	/* this process maps libc: found through /proc/PID/maps */
	assert_int_equal(ec_mod_find_lib(NULL, getpid(), "libc.so", "libnosuch.so.9", out,
					 sizeof out, msg, sizeof msg),
			 0);
	assert_non_null(strstr(out, "libc.so"));
	assert_int_equal(ec_mod_find_lib(NULL, 0, "libnosuch", "libnosuch.so.9", out, sizeof out,
					 msg, sizeof msg),
			 EC_ERR_NOTFOUND);
	assert_non_null(strstr(msg, "libnosuch.so.9"));
	assert_int_equal(
	    ec_mod_find_lib("/nonexistent/lib.so", 0, "x", "x", out, sizeof out, msg, sizeof msg),
	    EC_ERR_NOTFOUND);
	assert_non_null(strstr(msg, "/nonexistent/lib.so"));
}

int main(void)
{
	ec_init("test_modrun");
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(options),
	    cmocka_unit_test(symbols),
	    cmocka_unit_test(binaries),
	    cmocka_unit_test(libraries),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
