// SPDX-License-Identifier: GPL-2.0-only
/* lib/core/opt: one table parsed by getopt_long and printed by --help. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opt.h"
#include "util.h"

enum { O_LONG = 256, O_MAYBE };

static const struct ec_opt opts[] = {
    {"flag", 'f', NULL, "a flag"},
    {"value", 'v', "N", "a value\nover two lines"},
    {"long-only", O_LONG, "X", "no letter"},
    {"maybe", O_MAYBE, "[PATH]", "an optional value"},
    {"hidden", 'H', NULL, NULL},
    {NULL, 0, NULL, NULL},
};

struct seen {
	int flag, hidden, n;
	long long value;
	const char *lng, *maybe, *name;
	int maybe_seen;
};

static int cb(void *ctx, int key, const char *arg)
{
	struct seen *s = ctx;
	s->n++;
	s->name = ec_opt_current();
	switch (key) {
	case 'f':
		s->flag++;
		return 0;
	case 'v':
		return ec_opt_int(arg, 0, 100, "a number from 0 to 100", &s->value);
	case O_LONG:
		s->lng = arg;
		return 0;
	case O_MAYBE:
		s->maybe = arg;
		s->maybe_seen = 1;
		return 0;
	default:
		s->hidden = 1;
		return 0;
	}
}

static int parse(struct seen *s, int operands, int *first, int argc, ...)
{
	static char *argv[16];
	va_list ap;
	va_start(ap, argc);
	for (int i = 0; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	argv[argc] = NULL;
	memset(s, 0, sizeof *s);
	struct ec_opt_group g[] = {{"things", opts, cb, s}};
	struct ec_opt_spec spec = {
	    .usage = "[options]", .groups = g, .ngroups = 1, .operands = operands};
	return ec_opt_parse(&spec, argc, argv, first);
}

static void spellings(void **state)
{
	(void)state;
	struct seen s;
	int first;
	assert_int_equal(parse(&s, 0, &first, 5, "t", "--value", "7", "--long-only=x", "-ff"), 0);
	assert_int_equal(s.value, 7);
	assert_string_equal(s.lng, "x");
	assert_int_equal(s.flag, 2);
	assert_int_equal(first, 5);
	assert_int_equal(parse(&s, 0, &first, 3, "t", "--value=8", "-v9"), 0);
	assert_int_equal(s.value, 9);
	/* an optional value: only when one follows that is not an option */
	assert_int_equal(parse(&s, 0, &first, 3, "t", "--maybe", "-f"), 0);
	assert_int_equal(s.maybe_seen, 1);
	assert_null(s.maybe);
	assert_int_equal(parse(&s, 0, &first, 3, "t", "--maybe", "/p"), 0);
	assert_string_equal(s.maybe, "/p");
	assert_int_equal(parse(&s, 0, &first, 2, "t", "--maybe=/q"), 0);
	assert_string_equal(s.maybe, "/q");
	assert_int_equal(parse(&s, 0, &first, 2, "t", "--hidden"), 0);
	assert_int_equal(s.hidden, 1);
	assert_string_equal(s.name, "--hidden");
	/* operands */
	assert_int_equal(parse(&s, 2, &first, 4, "t", "a", "-f", "b"), 0);
	assert_int_equal(first, 2);
}

static void errors(void **state)
{
	(void)state;
	struct seen s;
	int first;
	assert_int_equal(parse(&s, 0, &first, 2, "t", "--nope"), 2);
	assert_int_equal(parse(&s, 0, &first, 2, "t", "-z"), 2);
	assert_int_equal(parse(&s, 0, &first, 2, "t", "--value"), 2);
	assert_int_equal(parse(&s, 0, &first, 3, "t", "--value", "101"), 2);
	assert_int_equal(parse(&s, 0, &first, 2, "t", "stray"), 2);
	assert_int_equal(parse(&s, 1, &first, 3, "t", "a", "b"), 2);
	assert_int_equal(parse(&s, 0, &first, 3, "t", "--flag=1", "-f"), 2);
}

static void help(void **state)
{
	(void)state;
	struct seen s;
	char buf[4096] = "";
	FILE *f = fmemopen(buf, sizeof buf - 1, "w");
	struct ec_opt_group g[] = {{"things", opts, cb, &s}};
	struct ec_opt_spec spec = {.usage = "[options]",
				   .about = "About it.",
				   .footer = "The end.",
				   .groups = g,
				   .ngroups = 1};
	ec_opt_help(f, &spec, "tool");
	fclose(f);
	assert_non_null(strstr(buf, "usage: tool [options]\nAbout it.\nthings:\n"));
	assert_non_null(strstr(buf, "  -f, --flag                 a flag\n"));
	assert_non_null(strstr(buf, "  -v, --value N              a value\n"
				    "                             over two lines\n"));
	assert_non_null(strstr(buf, "      --long-only X          no letter\n"));
	assert_non_null(strstr(buf, "      --maybe [PATH]         an optional value\n"));
	assert_null(strstr(buf, "hidden"));
	assert_non_null(strstr(buf, "  -h, --help"));
	assert_non_null(strstr(buf, "The end.\n"));
	/* the man page from the same table: escaped for roff, hidden options out */
	memset(buf, 0, sizeof buf);
	f = fmemopen(buf, sizeof buf - 1, "w");
	spec.what = "a test-tool";
	ec_opt_man(f, &spec, "tool", spec.what);
	fclose(f);
	assert_non_null(strstr(buf, ".TH tool 1 "));
	assert_non_null(strstr(buf, "tool \\- a test\\-tool\n"));
	assert_non_null(strstr(buf, ".SS things\n"));
	assert_non_null(strstr(
	    buf, ".TP\n\\fB\\-v\\fR, \\fB\\-\\-value\\fR \\fIN\\fR\na value over two lines\n"));
	assert_null(strstr(buf, "hidden"));
	/* --help from the parser: EC_OPT_HELP, nothing else parsed */
	fflush(stdout);
	assert_int_equal(parse(&s, 0, NULL, 3, "t", "-f", "--help"), EC_OPT_HELP);
}

static void sizes(void **state)
{
	(void)state;
	uint64_t v;
	assert_int_equal(ec_opt_size("64k", 1, 1 << 20, "a size", &v), 0);
	assert_int_equal(v, 65536);
	assert_int_equal(ec_opt_size("2M", 1, 1 << 20, "a size", &v), 2);
	assert_int_equal(ec_opt_size("x", 1, 1 << 20, "a size", &v), 2);
}

int main(void)
{
	ec_init("test_opt");
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(spellings),
	    cmocka_unit_test(errors),
	    cmocka_unit_test(help),
	    cmocka_unit_test(sizes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
