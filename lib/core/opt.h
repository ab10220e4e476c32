/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Command-line options from one table per tool: the table is both what
 * getopt_long parses and what --help prints, so the two cannot drift.
 * A tool lists its options in groups; ec-capture's modules put their own
 * group after the one every capture module shares (lib/capture/run.h).
 *
 * Built in to every parse: -h/--help (prints the help), --version, and
 * --man (hidden: prints the man page, which the build installs).
 * Long options take "--opt VALUE" and "--opt=VALUE"; an option whose arg
 * is written "[NAME]" takes its value only when one follows (see
 * ec_optarg_optional in util.h).
 */
#ifndef EC_OPT_H
#define EC_OPT_H

#include <stdint.h>
#include <stdio.h>

#define EC_OPT_HELP (-1) /* ec_opt_parse printed --help: exit 0 */

struct ec_opt {
	const char *name; /* long name without "--"; NULL ends a table */
	int key;	  /* a letter (also -KEY) or a value >= 256 (long only) */
	const char *arg;  /* NULL: a flag; "PID": a value; "[PATH]": optional */
	const char *help; /* one or more lines, separated by '\n'; NULL: hidden */
};

/*
 * fn sees each option of the group as it comes (arg NULL for a flag or an
 * optional value not given) and returns 0, or 2 after printing a one-line
 * error with ec_warn.
 */
struct ec_opt_group {
	const char *title; /* heading in --help, NULL = none */
	const struct ec_opt *opts;
	int (*fn)(void *ctx, int key, const char *arg);
	void *ctx;
};

struct ec_opt_spec {
	const char *prog;   /* a subcommand as --help shows it ("ec-capture tls"),
			     * its errors then start with argv[0]; NULL: the tool */
	const char *usage;  /* after "usage: PROG ", e.g. "[options] < in.pb" */
	const char *about;  /* lines after the usage line, or NULL */
	const char *footer; /* lines after the options, or NULL */
	const struct ec_opt_group *groups;
	int ngroups;
	int operands;	  /* how many non-option arguments are allowed */
	const char *what; /* the one line after the name in the man page */
	int section;	  /* man page section, 0 = 1 */
	/* the man page's EXAMPLES, NULL-terminated: command lines of README.md
	 * and docs/ as written there, which the docs test runs (install.bats
	 * checks each is one of them) */
	const char *const *examples;
};

/*
 * Parse argv (argv[0] is the tool, or the subcommand: "tls"). Returns 0
 * with *first set to the index of the first operand (argc when none), or
 * EC_OPT_HELP after printing --help on stdout, or 2 after a one-line usage
 * error on stderr. --version exits 0.
 */
int ec_opt_parse(const struct ec_opt_spec *s, int argc, char **argv, int *first);

/* The man page (man(7) macros) of the same table: NAME (with what),
 * SYNOPSIS, DESCRIPTION (about), OPTIONS, NOTES (footer), EXAMPLES, SEE ALSO. */
void ec_opt_man(FILE *f, const struct ec_opt_spec *s, const char *name, const char *what);

/* Text as roff would print it (hyphens, backslashes, leading dots escaped). */
void ec_opt_roff(FILE *f, const char *t);

/* Only the OPTIONS entries (a .SS per titled group), for a page of several. */
void ec_opt_man_options(FILE *f, const struct ec_opt_spec *s);

/* An EXAMPLES section of these command lines (NULL-terminated), unfilled. */
void ec_opt_man_examples(FILE *f, const char *const *examples);

/* The --help text: usage, about, each group's options, footer. */
void ec_opt_help(FILE *f, const struct ec_opt_spec *s, const char *cmd);

/*
 * Value parsers with the house error: "--OPT: 'VALUE' is not WHAT". The
 * option's name is that of the option being parsed. 0, or 2 after ec_warn.
 */
int ec_opt_int(const char *arg, long long min, long long max, const char *what, long long *out);
int ec_opt_size(const char *arg, uint64_t min, uint64_t max, const char *what, uint64_t *out);

/* "--name" of the option being parsed (for a tool's own error messages). */
const char *ec_opt_current(void);

#endif
