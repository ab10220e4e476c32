// SPDX-License-Identifier: GPL-2.0-only
/* Options from one table per tool: getopt_long's arrays and --help. */
#include "opt.h"

#include <getopt.h>
#include <string.h>

#include "util.h"

#define MAX_OPTS 96
#define HELP_COL 29

static const char *current = "";

const char *ec_opt_current(void)
{
	return current;
}

static int optional(const struct ec_opt *o)
{
	return o->arg && o->arg[0] == '[';
}

static void help_line(FILE *f, const struct ec_opt *o)
{
	char head[128];
	int n;
	if (o->key > 0 && o->key < 256)
		n = snprintf(head, sizeof head, "  -%c, --%s", o->key, o->name);
	else
		n = snprintf(head, sizeof head, "      --%s", o->name);
	if (o->arg && n > 0 && (size_t)n < sizeof head)
		snprintf(head + n, sizeof head - n, " %s", o->arg);
	fputs(head, f);
	int col = (int)strlen(head);
	const char *h = o->help;
	while (*h) {
		const char *nl = strchr(h, '\n');
		int len = nl ? (int)(nl - h) : (int)strlen(h);
		if (col >= HELP_COL - 1) {
			fputc('\n', f);
			col = 0;
		}
		fprintf(f, "%*s%.*s\n", HELP_COL - col, "", len, h);
		col = 0;
		h += len + (nl != NULL);
	}
}

void ec_opt_help(FILE *f, const struct ec_opt_spec *s, const char *cmd)
{
	fprintf(f, "usage: %s %s\n", cmd, s->usage);
	if (s->about)
		fprintf(f, "%s\n", s->about);
	for (int g = 0; g < s->ngroups; g++) {
		if (s->groups[g].title)
			fprintf(f, "%s:\n", s->groups[g].title);
		for (const struct ec_opt *o = s->groups[g].opts; o->name; o++)
			if (o->help)
				help_line(f, o);
	}
	fprintf(f, "  -h, --help                 this help\n"
		   "      --version              the version\n");
	if (s->footer)
		fprintf(f, "%s\n", s->footer);
}

/* Text for roff: backslashes and hyphens escaped, no line starting a request. */
static void roff(FILE *f, const char *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if ((i == 0 || t[i - 1] == '\n') && (t[i] == '.' || t[i] == '\''))
			fputs("\\&", f);
		if (t[i] == '\\')
			fputs("\\e", f);
		else if (t[i] == '-')
			fputs("\\-", f);
		else
			fputc(t[i], f);
	}
}

void ec_opt_roff(FILE *f, const char *t)
{
	roff(f, t, strlen(t));
}

void ec_opt_man_options(FILE *f, const struct ec_opt_spec *s)
{
	for (int g = 0; g < s->ngroups; g++) {
		if (s->groups[g].title) {
			fputs(".SS ", f);
			ec_opt_roff(f, s->groups[g].title);
			fputc('\n', f);
		}
		for (const struct ec_opt *o = s->groups[g].opts; o->name; o++) {
			if (!o->help)
				continue;
			fputs(".TP\n", f);
			if (o->key > 0 && o->key < 256)
				fprintf(f, "\\fB\\-%c\\fR, ", o->key);
			fputs("\\fB\\-\\-", f);
			ec_opt_roff(f, o->name);
			fputs("\\fR", f);
			if (o->arg) {
				fputs(" \\fI", f);
				ec_opt_roff(f, o->arg);
				fputs("\\fR", f);
			}
			fputc('\n', f);
			/* the help's lines are one paragraph in a man page */
			for (const char *h = o->help; *h; h++)
				if (*h == '\n')
					fputc(' ', f);
				else
					roff(f, h, 1);
			fputc('\n', f);
		}
	}
}

void ec_opt_man_examples(FILE *f, const char *const *examples)
{
	fputs(".SH EXAMPLES\n.nf\n", f);
	for (; *examples; examples++) {
		ec_opt_roff(f, *examples);
		fputc('\n', f);
	}
	fputs(".fi\n", f);
}

void ec_opt_man(FILE *f, const struct ec_opt_spec *s, const char *name, const char *what)
{
	int section = s->section ? s->section : 1;
	fprintf(f, ".TH %s %d \"\" \"ec %s\" \"ec manual\"\n.SH NAME\n", name, section, EC_VERSION);
	ec_opt_roff(f, name);
	fputs(" \\- ", f);
	ec_opt_roff(f, what);
	fputs("\n.SH SYNOPSIS\n.nf\n\\fB", f);
	ec_opt_roff(f, name);
	fputs("\\fR ", f);
	ec_opt_roff(f, s->usage);
	fputs("\n.fi\n", f);
	if (s->about) {
		fputs(".SH DESCRIPTION\n", f);
		ec_opt_roff(f, s->about);
		fputc('\n', f);
	}
	fputs(".SH OPTIONS\n", f);
	ec_opt_man_options(f, s);
	fputs(".TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\nthis help\n"
	      ".TP\n\\fB\\-\\-version\\fR\nthe version\n",
	      f);
	if (s->footer) {
		fputs(".SH NOTES\n.nf\n", f);
		ec_opt_roff(f, s->footer);
		fputs("\n.fi\n", f);
	}
	if (s->examples)
		ec_opt_man_examples(f, s->examples);
	fputs(".SH SEE ALSO\n\\fBec\\-capture\\fR(8), \\fBec\\-parse\\fR(1), "
	      "\\fBec\\-dump\\fR(1), \\fBec\\-serve\\fR(1), \\fBec\\-forward\\fR(1), "
	      "\\fBec\\-ctl\\fR(1)\n",
	      f);
}

/* The option of getopt's return value c: its group and entry. */
static const struct ec_opt *find(const struct ec_opt_spec *s, int c, int *group)
{
	for (int g = 0; g < s->ngroups; g++)
		for (const struct ec_opt *o = s->groups[g].opts; o->name; o++)
			if (o->key == c) {
				*group = g;
				return o;
			}
	return NULL;
}

int ec_opt_parse(const struct ec_opt_spec *s, int argc, char **argv, int *first)
{
	struct option lo[MAX_OPTS + 3];
	char so[3 * MAX_OPTS + 8] = ":h";
	size_t n = 0, sn = 2;
	/* errors name a subcommand (ec-capture tls); ec_warn names the tool */
	char who[64] = "";
	if (s->prog)
		snprintf(who, sizeof who, "%s: ", argv[0]);

	for (int g = 0; g < s->ngroups; g++)
		for (const struct ec_opt *o = s->groups[g].opts; o->name && n < MAX_OPTS; o++) {
			int has = !o->arg	? no_argument
				  : optional(o) ? optional_argument
						: required_argument;
			lo[n++] = (struct option){o->name, has, 0, o->key};
			if (o->key > 0 && o->key < 256) {
				so[sn++] = (char)o->key;
				if (has != no_argument)
					so[sn++] = ':';
				if (has == optional_argument)
					so[sn++] = ':';
			}
		}
	so[sn] = 0;
	lo[n++] = (struct option){"help", no_argument, 0, 'h'};
	lo[n++] = (struct option){"version", no_argument, 0, 0x7fff};
	lo[n++] = (struct option){"man", no_argument, 0, 0x7ffe};
	lo[n] = (struct option){0, 0, 0, 0};

	opterr = 0;
	optind = 1;
	int c, g;
	while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		if (c == 'h') {
			ec_opt_help(stdout, s, s->prog ? s->prog : argv0);
			return EC_OPT_HELP;
		}
		if (c == 0x7fff)
			ec_version();
		if (c == 0x7ffe) { /* hidden: the man page, made at build time */
			ec_opt_man(stdout, s, s->prog ? s->prog : argv0, s->what ? s->what : "");
			return EC_OPT_HELP;
		}
		if (c == ':') {
			ec_warn("%soption %s needs a value (see --help)", who, argv[optind - 1]);
			return 2;
		}
		const struct ec_opt *o = c == '?' ? NULL : find(s, c, &g);
		if (!o) {
			ec_warn("%sunknown option '%s' (see --help)", who, argv[optind - 1]);
			return 2;
		}
		static char name[72];
		snprintf(name, sizeof name, "--%s", o->name);
		current = name;
		const char *arg = optional(o) ? ec_optarg_optional(argc, argv) : optarg;
		int err = s->groups[g].fn(s->groups[g].ctx, c, o->arg ? arg : NULL);
		current = "";
		if (err)
			return err;
	}
	if (argc - optind > s->operands) {
		ec_warn("%sunexpected argument '%s' (see --help)", who, argv[optind + s->operands]);
		return 2;
	}
	if (first)
		*first = optind;
	return 0;
}

int ec_opt_int(const char *arg, long long min, long long max, const char *what, long long *out)
{
	if (ec_util_parse_int(arg, min, max, out)) {
		ec_warn("%s: '%s' is not %s", current, arg, what);
		return 2;
	}
	return 0;
}

int ec_opt_size(const char *arg, uint64_t min, uint64_t max, const char *what, uint64_t *out)
{
	if (ec_util_parse_size(arg, out) || *out < min || *out > max) {
		ec_warn("%s: '%s' is not %s", current, arg, what);
		return 2;
	}
	return 0;
}
