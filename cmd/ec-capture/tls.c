// SPDX-License-Identifier: GPL-2.0-only
/*
 * ec-capture tls (openssl, boringssl): SSL_read/SSL_write and the _ex
 * variants of OpenSSL's or BoringSSL's libssl (bpf/tls.bpf.c), with the
 * keys of each connection (lib/capture/sslsel.h) and, with --pcap, the
 * encrypted packets beside them (pcap.h). With no --libssl and no --pid it
 * follows the host (lib/capture/hostscan.h): every file any process maps
 * that defines SSL_write (a libssl of any version or place, BoringSSL, a
 * program linking one statically) is hooked once, with its own slot: the
 * probes' attach cookie, which picks its key offsets and names it in the
 * records.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "event.h"
#include "follow.h"
#include "keysonly.h"
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
	OPT_SNAP,
	OPT_MAXFILES,
	OPT_KEYSONLY
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
    {"keys-only", OPT_KEYSONLY, NULL,
     "hook the handshake only (no probe per SSL_read/SSL_write):\nkeys and IF's packets as "
     "records, for ec-parse to\ndecrypt (needs --ifname; docs/DECRYPT.md)"},
    {"ifname", OPT_IF, "IF", "the interface for --pcap or --keys-only"},
    {"snaplen", OPT_SNAP, "N", "bytes kept per packet (default and most 65535)"},
    {"max-files", OPT_MAXFILES, "N",
     "following the host: hook at most N files (default 64,\nmost 256)"},
    {NULL, 0, NULL, NULL},
};

static struct {
	struct ec_sslsel_opts keys;
	int check_keys;
	struct pktcap_opts pcap;
	struct pktcap *pc;
	struct tls_bpf *skel;
	unsigned max_files;
	struct bpf_link *sys_exit; /* following: shared by the files proving a row */
} t = {.pcap = {.snaplen = 65535}, .max_files = 64};

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
	case OPT_MAXFILES:
		return follow_max_opt(arg, &t.max_files);
	case OPT_KEYSONLY:
		t.pcap.keys_only = keysonly_on = 1;
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
	if (keysonly_check(m, &t.pcap, argc, argv, first, t.check_keys))
		return 2;
	/* the handshake's connection comes from its ClientHello: no fd needed */
	m->no_fds = t.pcap.keys_only;
	t.pcap.debug = m->o.debug;
	if (!strcmp(cmd, "boringssl"))
		m->source = EVENT__SOURCE__SOURCE_BORINGSSL;
	if (ec_sslsel_check_opts(&t.keys, cmd))
		return 2;
	return 0;
}

static const char *const sonames[] = {"libssl.so.3", "libssl.so.1.1", "libssl.so", NULL};
static const struct ec_target_lib libssl = {"--libssl", "libssl.so", sonames, "install OpenSSL"};

/* Its version and Source (BoringSSL names itself in its version). */
static void identify(struct follow_file *f, const char *path)
{
	if (ec_sslkeys_version(path, f->version, sizeof f->version))
		snprintf(f->version, sizeof f->version, "unknown version");
	if (!strncmp(f->version, "BoringSSL", 9))
		f->source = EVENT__SOURCE__SOURCE_BORINGSSL;
}

/* The key offsets of f (at path), in its slot of tls_offsets, and the hunt
 * for a table row's proof. 0, or 1 after a message. */
static int keys(struct ec_mod *m, struct follow_file *f, const char *path)
{
	int err;
	ec_sslsel_choose(&f->sel, m, &t.keys, path, f->version);
	f->sel.slot = f->slot;
	if (ec_sslsel_load(&f->sel, bpf_map__fd(t.skel->maps.tls_offsets)))
		return 1;
	struct ec_sslsel_progs p = {t.skel->progs.ssl_hs_enter,
				    t.skel->progs.ssl_hs_return,
				    m->discover ? NULL : t.skel->progs.sys_exit,
				    &t.skel->bss->verify_keys,
				    bpf_map__fd(t.skel->maps.tls_offsets),
				    f->slot};
	if ((err = ec_sslsel_start(&f->sel, path, &p))) {
		ec_warn("cannot hook the handshake to check the key offsets: %s", strerror(-err));
		return 1;
	}
	if (f->sel.check && m->discover && !t.sys_exit) {
		if (!(t.sys_exit = bpf_program__attach(t.skel->progs.sys_exit))) {
			ec_warn("cannot attach tp_btf/sys_exit: %s", strerror(errno));
			return 1;
		}
		follow_keep(t.sys_exit);
	}
	return 0;
}

static const struct ec_mod_hook *hooks(size_t *n)
{
	static struct ec_mod_hook h[4];
	if (t.pcap.keys_only) {
		/* SSL_connect and SSL_accept call it (BoringSSL's too) */
		h[0] = (struct ec_mod_hook){"SSL_do_handshake", t.skel->progs.ssl_hs_keys_enter,
					    t.skel->progs.ssl_hs_keys_return, 1};
		*n = 1;
		return h;
	}
	h[0] = (struct ec_mod_hook){"SSL_write", t.skel->progs.ssl_write_enter,
				    t.skel->progs.ssl_return, 1};
	h[1] = (struct ec_mod_hook){"SSL_read", t.skel->progs.ssl_read_enter,
				    t.skel->progs.ssl_return, 1};
	h[2] = (struct ec_mod_hook){"SSL_write_ex", t.skel->progs.ssl_write_ex_enter,
				    t.skel->progs.ssl_return, 0};
	h[3] = (struct ec_mod_hook){"SSL_read_ex", t.skel->progs.ssl_read_ex_enter,
				    t.skel->progs.ssl_return, 0};
	*n = 4;
	return h;
}

/* ---- the OpenSSL family as a kind of file to follow ---- */

static int ssl_load(struct ec_mod *m, int primary, uint64_t conn_base)
{
	if ((t.skel = tls_bpf__open()))
		t.skel->bss->ec_next_conn_id = conn_base;
	return primary ? EC_MOD_LOAD(m, t.skel) : EC_MOD_LOAD_MORE(m, t.skel);
}

static int ssl_is(const struct follow_kind *k, const char *path)
{
	char sym[64];
	(void)k;
	return ec_target_symbol(path, "SSL_write", 0, sym, sizeof sym) == 0;
}

static int ssl_hook(struct ec_mod *m, struct follow_file *f, const char *path, int pid)
{
	size_t n;
	const struct ec_mod_hook *h = hooks(&n);
	char done[256];
	if (ec_mod_hook_pairs(m, path, f->slot, h, n, f->links, &f->nlinks, FOLLOW_LINKS, done,
			      sizeof done))
		return -1;
	identify(f, path); /* after the hooks: the process may be about to write */
	ec_mod_say(m, "hooked %s in %s (%s; pid %d%s%s), slot %u", done, f->name, f->version, pid,
		   strcmp(path, f->name) ? ", through " : "", strcmp(path, f->name) ? path : "",
		   f->slot);
	return keys(m, f, path) ? -1 : 0;
}

static struct bpf_object *ssl_obj(void)
{
	return t.skel->obj;
}

const struct follow_kind follow_openssl = {
    "openssl", EVENT__SOURCE__SOURCE_OPENSSL, ssl_load, ssl_is, ssl_hook, ssl_obj, NULL};

static int setup_kinds(struct ec_mod *m, const struct follow_kind *const *kinds, int nkinds)
{
	const char *path = m->path;
	struct follow_file *f = NULL;
	int err;
	if (path[0] && !(f = follow_new(m, &follow_openssl, path)))
		return 1;
	if (f) {
		f->source = m->source; /* boringssl's alias says so */
		identify(f, path);
		if (!m->discover)
			m->source = f->source;
	}
	if (t.check_keys)
		return ec_sslsel_report(&f->sel, m, &t.keys, path, f->version) ? 1 : EC_MOD_DONE;
	if ((t.pcap.path || t.pcap.keys_only) && !(t.pc = pktcap_open(&t.pcap, &err)))
		return err;
	if (m->discover ? ec_mod_start(m, "every file processes map that defines SSL_write",
				       path[0] ? "following the host"
					       : "following the host; "
						 "no system libssl")
			: ec_mod_start(m, path, f->version))
		return 1;
	if (ssl_load(m, 1, 0))
		return 1;
	if (f) {
		size_t n;
		const struct ec_mod_hook *h = hooks(&n);
		if (ec_mod_hooks(m, h, n, NULL) || keys(m, f, path))
			return 1;
	} else if (ec_mod_hooks(m, NULL, 0, NULL)) { /* its tracepoints: no file yet */
		return 1;
	}
	if (m->discover && follow_start(m, kinds, nkinds, t.max_files))
		return 1;
	if (t.pc && pktcap_attach(t.pc, m->cap))
		return 1;
	return 0;
}

static int setup(struct ec_mod *m)
{
	static const struct follow_kind *const kinds[] = {&follow_openssl};
	return setup_kinds(m, kinds, 1);
}

/* auto: every kind, the OpenSSL family's object first (it tells new files) */
static int setup_auto(struct ec_mod *m)
{
	static const struct follow_kind *const kinds[] = {&follow_openssl, &follow_gotls,
							  &follow_gnutls, &follow_nss};
	if (keysonly_on) /* GnuTLS and NSS have no handshake hook yet: they would cost per call */
		ec_mod_say(m,
			   "--keys-only: OpenSSL/BoringSSL and Go only, GnuTLS and NSS not hooked");
	return setup_kinds(m, kinds, keysonly_on ? 2 : 4);
}

/* --keys-only: who finished the handshake of which connection, after its
 * key lines; its packets may go out from now on. */
static int handshake(struct ec_mod *m, const struct ec_event *e)
{
	const struct tls_keys *k = (const void *)e->data;
	if (e->len < sizeof *k || !(k->valid & TLS_KEYS_HAVE_RANDOM))
		return 0;
	return keysonly_handshake(m, t.pc, e, k->client_random);
}

static int event(struct ec_mod *m, const struct ec_event *e)
{
	if (e->kind == EC_KIND_FILE) {
		follow_event(m, e);
		return 0;
	}
	if (e->kind == EC_KIND_KEYS || e->kind == EC_KIND_HELLO) {
		struct follow_file *f = follow_of(e);
		int err = f ? ec_sslsel_event(&f->sel, e) : 0;
		if (!err && e->kind == EC_KIND_KEYS && t.pcap.keys_only)
			err = handshake(m, e);
		return err;
	}
	if (e->kind == EC_KIND_KEYLOG) /* a Go program's, in auto */
		return keysonly_go_keylog(m, t.pc, e);
	if (e->kind != EC_KIND_DATA && e->kind != EC_KIND_CLOSE)
		return 0;
	pktcap_note_conn(t.pc, e);
	return ec_mod_put(m, e, NULL, 0, NULL);
}

static void tick(struct ec_mod *m)
{
	follow_tick(m);
	keysonly_tick(m, t.pc);
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
	follow_stop();
	t.sys_exit = NULL;
	if ((err = pktcap_close(t.pc)) && err != EC_ERR_PIPE && status == 0) {
		ec_warn("--pcap %s: %s", t.pcap.path, ec_strerror(err));
		status = 1;
	}
	t.pc = NULL;
	return status;
}

static void cleanup(struct ec_mod *m)
{
	(void)m;
	follow_cleanup();
}

const struct ec_mod_spec ec_mod_tls = {
    .name = "tls",
    .what = "Capture the plaintext of OpenSSL/BoringSSL SSL_read/SSL_write as records.",
    .usage = "[options] [--keys-only] [--pcap FILE] [--ifname IF [FILTER...]] > out.pb",
    .source = EVENT__SOURCE__SOURCE_OPENSSL,
    .flags = EC_MOD_KEYLOG | EC_MOD_OWN_START | EC_MOD_DISCOVER,
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
    .origin = follow_origin,
    .tick = tick,
    .status = follow_status,
    .cleanup = cleanup,
};

const struct ec_mod_spec ec_mod_auto = {
    .name = "auto",
    .what = "Capture the plaintext of every TLS library on the host: OpenSSL/BoringSSL, Go "
	    "crypto/tls, GnuTLS and NSS, as processes map them.",
    .usage = "[options] > out.pb   (or | ec-dump)",
    .source = EVENT__SOURCE__SOURCE_OPENSSL,
    .flags = EC_MOD_KEYLOG | EC_MOD_OWN_START | EC_MOD_DISCOVER,
    .opts = opts,
    .opt = opt,
    .check = check,
    .target = {.lib = &libssl,
	       .sym = "SSL_write",
	       .is = "OpenSSL's or BoringSSL's libssl, or a program linking it statically"},
    .setup = setup_auto,
    .event = event,
    .stop = stop,
    .keyline = keyline,
    .origin = follow_origin,
    .tick = tick,
    .status = follow_status,
    .cleanup = cleanup,
};
