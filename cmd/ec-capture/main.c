// SPDX-License-Identifier: GPL-2.0-only
/* ec-capture: capture plaintext with eBPF and write it as records. */
#include <stdio.h>
#include <string.h>

#include "modules.h"
#include "opt.h"
#include "util.h"

static const struct {
	const char *name;
	const struct ec_mod_spec *spec;
	const char *help;
} cmds[] = {
    {"tls", &ec_mod_tls, "OpenSSL/BoringSSL SSL_read/SSL_write plaintext"},
    {"openssl", &ec_mod_tls, "alias of tls"},
    {"boringssl", &ec_mod_tls, "alias of tls (source boringssl)"},
    {"auto", &ec_mod_auto, "every TLS library on the host at once: OpenSSL, Go, GnuTLS, NSS"},
    {"bash", &ec_mod_bash, "command lines of interactive bash, with return codes"},
    {"zsh", &ec_mod_zsh, "command lines of interactive zsh (line editor)"},
    {"gotls", &ec_mod_gotls, "Go crypto/tls plaintext and keys (stripped binaries too)"},
    {"mysqld", &ec_mod_mysqld, "SQL queries of a MySQL/MariaDB server (dispatch_command)"},
    {"postgres", &ec_mod_postgres, "SQL queries of a PostgreSQL server"},
    {"gnutls", &ec_mod_gnutls, "GnuTLS gnutls_record_send/recv plaintext"},
    {"nss", &ec_mod_nss, "NSS (NSPR PR_Write/PR_Read...) SSL socket plaintext"},
    {"nspr", &ec_mod_nss, "alias of nss"},
    {"libtls", &ec_mod_libtls, "LibreSSL libtls tls_write/tls_read plaintext (LibreTLS)"},
    {"sock", &ec_mod_sock, "what TCP sockets send and receive without TLS (read/write...)"},
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s MODULE [options]   (records on stdout: pipe them, e.g. | ec-dump)\n"
		"       %s -h | --help | --version\n"
		"modules:\n",
		argv0, argv0);
	for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].help);
	fprintf(f, "'%s MODULE --help' lists a module's options.\n", argv0);
}

/* ec-capture(8)'s EXAMPLES: lines of README.md and docs/ the docs test runs */
static const char *const examples[] = {
    "sudo ec-capture tls | ec-parse | ec-serve --ws 127.0.0.1:28257   # live, to eCaptureQ",
    "sudo ec-capture tls > day.pb;  ec-parse < day.pb | ec-dump        # save, replay later",
    "sudo ec-capture tls --check-keys     # how the TLS key offsets are found, and the row",
    "sudo ec-capture gotls --elfpath ./server --keylogfile keys.log | ec-dump",
    "sudo ec-capture libtls | ec-parse | ec-dump",
    "sudo ec-capture sock --target-process redis-cli | ec-parse | ec-dump",
    "ec-capture tls --pcap out.pcapng --ifname lo tcp port 443 > out.pb",
    NULL,
};

/* ec-capture(8): every module's options, from the tables --help prints. */
static void man(void)
{
	printf(".TH ec-capture 8 \"\" \"ec %s\" \"ec manual\"\n.SH NAME\n"
	       "ec\\-capture \\- capture TLS plaintext, plaintext sockets, shell commands and SQL "
	       "queries "
	       "with eBPF\n"
	       ".SH SYNOPSIS\n.nf\n\\fBec\\-capture\\fR \\fIMODULE\\fR [options] > out.pb\n.fi\n"
	       ".SH DESCRIPTION\nWrites ec records (protobuf LogEntry, varint-length-delimited) "
	       "on stdout; pipe them into \\fBec\\-parse\\fR(1), \\fBec\\-dump\\fR(1) or "
	       "\\fBec\\-serve\\fR(1). Needs root. The modules:\n",
	       EC_VERSION);
	for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
		printf(".TP\n\\fB%s\\fR\n", cmds[i].name);
		ec_opt_roff(stdout, cmds[i].help);
		putchar('\n');
	}
	for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++)
		if (!i || cmds[i].spec != cmds[i - 1].spec)
			ec_mod_man(stdout, cmds[i].spec);
	printf(".SH \"EVERY MODULE\"\n.TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\nthe module's options\n"
	       ".TP\n\\fB\\-\\-version\\fR\nthe version\n");
	ec_opt_man_examples(stdout, examples);
	printf(".SH SEE ALSO\n\\fBec\\-parse\\fR(1), \\fBec\\-dump\\fR(1), "
	       "\\fBec\\-serve\\fR(1), \\fBec\\-forward\\fR(1), \\fBec\\-ctl\\fR(1)\n");
}

int main(int argc, char **argv)
{
	ec_init(argv[0]);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--version"))
		ec_version();
	if (!strcmp(argv[1], "--man")) { /* hidden: the man page, made at build time */
		man();
		return 0;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++)
		if (!strcmp(argv[1], cmds[i].name))
			return ec_mod_main(cmds[i].spec, argc - 1, argv + 1);
	ec_warn("unknown module '%s' (try: tls, openssl, boringssl; see --help)", argv[1]);
	return 2;
}
