// SPDX-License-Identifier: GPL-2.0-only
/*
 * ec-capture tls (openssl, boringssl): SSL_read/SSL_write and the _ex
 * variants of OpenSSL's or BoringSSL's libssl (bpf/tls.bpf.c), with the
 * keys of each connection (lib/capture/sslsel.h) and, with --pcap, the
 * encrypted packets beside them (pcap.h).
 */
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "event.h"
#include "mod.h"
#include "modules.h"
#include "pcap.h"
#include "record.h"
#include "sslkeys.h"
#include "sslsel.h"
#include "target.h"
#include "tls.skel.h"
#include "util.h"

enum {
	OPT_CACHE = 300,
	OPT_NOCAL,
	OPT_NOTABLE,
	OPT_CHECK,
	OPT_SYSROOT,
	OPT_PCAP,
	OPT_IF,
	OPT_SNAP
};

static const struct ec_opt opts[] = {
    {"keys-row", 'K', "NAME|LINE",
     "struct offsets row for the keys: a row of the built-in\ntable, or a line --check-keys "
     "printed (default:\ncalibrated on the library itself)"},
    {"keys-cache", OPT_CACHE, "DIR",
     "calibrated rows by build-id (default /var/cache/ec,\nor $XDG_CACHE_HOME/ec; '' for none)"},
    {"no-calibrate", OPT_NOCAL, NULL, "take the key offsets from the built-in table only"},
    {"no-keys-table", OPT_NOTABLE, NULL, "calibrate only, never fall back to the table"},
    {"check-keys", OPT_CHECK, NULL,
     "print how the key offsets for the library are found,\nand the row, then exit (nothing "
     "is hooked)"},
    {"sysroot", OPT_SYSROOT, "DIR",
     "the file system the library belongs to, for its\ncalibration (default /, or "
     "/proc/PID/root)"},
    {"pcap", OPT_PCAP, "FILE",
     "also write IF's packets (TC) to FILE as pcapng with\nthe TLS keys in it; FILTER: "
     "pcap-filter(7) words"},
    {"ifname", OPT_IF, "IF", "the interface for --pcap"},
    {"snaplen", OPT_SNAP, "N", "bytes kept per packet (default and most 65535)"},
    {NULL, 0, NULL, NULL},
};

static struct {
	struct ec_sslsel_opts keys;
	int check_keys;
	struct pktcap_opts pcap;
	struct pktcap *pc;
	struct ec_sslsel sel;
	struct tls_bpf *skel;
} t = {.pcap = {.snaplen = 65535}};

static int opt(struct ec_mod *m, int key, const char *arg)
{
	long long v;
	switch (key) {
	case 'K':
		return ec_sslsel_row_opt(&t.keys, arg);
	case OPT_CACHE:
		t.keys.keys_cache = arg;
		return 0;
	case OPT_NOCAL:
		t.keys.no_calibrate = 1;
		return 0;
	case OPT_NOTABLE:
		t.keys.no_keys_table = 1;
		return 0;
	case OPT_CHECK:
		t.check_keys = m->o.dry_run = 1;
		m->o.say_to = stdout;
		return 0;
	case OPT_SYSROOT:
		t.keys.sysroot = arg;
		return 0;
	case OPT_PCAP:
		t.pcap.path = arg;
		return 0;
	case OPT_IF:
		t.pcap.ifname = arg;
		return 0;
	default: /* OPT_SNAP */
		if (ec_opt_int(arg, 64, 65535, "a number from 64 to 65535", &v))
			return 2;
		t.pcap.snaplen = (uint32_t)v;
		return 0;
	}
}

static int check(struct ec_mod *m, int argc, char **argv, int first)
{
	const char *cmd = argv[0];
	if (pktcap_args(&t.pcap, argc, argv, first))
		return 2;
	t.pcap.debug = m->o.debug;
	if (!strcmp(cmd, "boringssl"))
		m->source = EVENT__SOURCE__SOURCE_BORINGSSL;
	if (ec_sslsel_check_opts(&t.keys, cmd))
		return 2;
	return 0;
}

static const char *const sonames[] = {"libssl.so.3", "libssl.so.1.1", "libssl.so", NULL};
static const struct ec_target_lib libssl = {"--libssl", "libssl.so", sonames, "install OpenSSL"};

static int setup(struct ec_mod *m)
{
	char version[128];
	const char *path = m->path;
	int err;
	if (ec_sslkeys_version(path, version, sizeof version))
		snprintf(version, sizeof version, "unknown version");
	if (!strncmp(version, "BoringSSL", 9))
		m->source = EVENT__SOURCE__SOURCE_BORINGSSL;
	if (t.check_keys)
		return ec_sslsel_report(&t.sel, m, &t.keys, path, version) ? 1 : EC_MOD_DONE;
	if (t.pcap.path && !(t.pc = pktcap_open(&t.pcap, &err)))
		return err;
	if (ec_mod_start(m, path, version))
		return 1;
	ec_sslsel_choose(&t.sel, m, &t.keys, path, version);
	t.skel = tls_bpf__open();
	if (EC_MOD_LOAD(m, t.skel) || ec_sslsel_load(&t.sel, bpf_map__fd(t.skel->maps.tls_offsets)))
		return 1;
	const struct ec_mod_hook hooks[] = {
	    {"SSL_write", t.skel->progs.ssl_write_enter, t.skel->progs.ssl_return, 1},
	    {"SSL_read", t.skel->progs.ssl_read_enter, t.skel->progs.ssl_return, 1},
	    {"SSL_write_ex", t.skel->progs.ssl_write_ex_enter, t.skel->progs.ssl_return, 0},
	    {"SSL_read_ex", t.skel->progs.ssl_read_ex_enter, t.skel->progs.ssl_return, 0}};
	if (ec_mod_hooks(m, hooks, sizeof hooks / sizeof *hooks, NULL))
		return 1;
	struct ec_sslsel_progs p = {t.skel->progs.ssl_hs_enter, t.skel->progs.ssl_hs_return,
				    t.skel->progs.sys_exit, &t.skel->bss->verify_keys,
				    bpf_map__fd(t.skel->maps.tls_offsets)};
	if ((err = ec_sslsel_start(&t.sel, path, &p))) {
		ec_warn("cannot hook the handshake to check the key offsets: %s", strerror(-err));
		return 1;
	}
	if (t.pc && pktcap_attach(t.pc, m->cap))
		return 1;
	return 0;
}

static int event(struct ec_mod *m, const struct ec_event *e)
{
	if (e->kind == EC_KIND_KEYS || e->kind == EC_KIND_HELLO)
		return ec_sslsel_event(&t.sel, e);
	if (e->kind != EC_KIND_DATA && e->kind != EC_KIND_CLOSE)
		return 0;
	pktcap_note_conn(t.pc, e);
	return ec_mod_put(m, e, NULL, 0, NULL);
}

static int keyline(struct ec_mod *m, const char *line)
{
	(void)m;
	return pktcap_keyline(t.pc, line);
}

static int stop(struct ec_mod *m, int status)
{
	int err;
	(void)m;
	ec_sslsel_stop(&t.sel);
	if ((err = pktcap_close(t.pc)) && err != EC_ERR_PIPE && status == 0) {
		ec_warn("--pcap %s: %s", t.pcap.path, ec_strerror(err));
		status = 1;
	}
	t.pc = NULL;
	return status;
}

const struct ec_mod_spec ec_mod_tls = {
    .name = "tls",
    .what = "Capture the plaintext of OpenSSL/BoringSSL SSL_read/SSL_write as records.",
    .usage = "[options] [--pcap FILE --ifname IF [FILTER...]] > out.pb",
    .source = EVENT__SOURCE__SOURCE_OPENSSL,
    .flags = EC_MOD_KEYLOG | EC_MOD_OWN_START,
    .path_opt = "libssl",
    .path_key = 'l',
    .path_help = "the library to hook (default: --pid's, ldconfig's)",
    .opts = opts,
    .opt = opt,
    .operands = 1 << 20,
    .check = check,
    .target = {.lib = &libssl,
	       .sym = "SSL_write",
	       .is = "OpenSSL's or BoringSSL's libssl, or a program linking it statically"},
    .setup = setup,
    .event = event,
    .stop = stop,
    .keyline = keyline,
};
