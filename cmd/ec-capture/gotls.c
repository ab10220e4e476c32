// SPDX-License-Identifier: GPL-2.0-only
/*
 * ec-capture gotls: find crypto/tls in a Go binary (symbols or, stripped,
 * the pclntab), hook it with plain uprobes (entries after Go's stack check,
 * every RET of (*Conn).Read: never a uretprobe, the Go runtime moves
 * stacks), and write the plaintext and key log lines (bpf/gotls.bpf.c).
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <gelf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "event.h"
#include "follow.h"
#include "goelf.h"
#include "keysonly.h"
#include "pcap.h"
#include "gotls.skel.h"
#include "mod.h"
#include "modules.h"
#include "record.h"
#include "util.h"
#include "x86ret.h"

#define MAX_RETS 64
#define FN_READ "crypto/tls.(*Conn).Read"
#define FN_WRITE "crypto/tls.(*Conn).writeRecordLocked"
#define FN_KEYLOG "crypto/tls.(*Config).writeKeyLog"

enum { OPT_MAXFILES = 300, OPT_KEYSONLY, OPT_IF };

static const struct ec_opt opts[] = {
    {"abi", 'a', "reg|stack", "Go calling convention (default: from the Go version)"},
    {"max-files", OPT_MAXFILES, "N",
     "following the host: hook at most N programs (default\n64, most 256)"},
    {"pclntab", 'P', NULL, "find functions in .gopclntab even when .symtab exists"},
    {"dry-run", 'n', NULL, "print the resolved hooks and exit (no root needed)"},
    {"keys-only", OPT_KEYSONLY, NULL,
     "hook writeKeyLog only (no probe per Read/Write): keys\nand IF's packets as records, "
     "for ec-parse to decrypt\n(needs --ifname; docs/DECRYPT.md)"},
    {"ifname", OPT_IF, "IF", "the interface for --keys-only"},
    {NULL, 0, NULL, NULL},
};

/* One resolved probe point: a file offset and its address. */
struct hook {
	uint64_t offset;
	uint64_t addr;
};

static struct {
	int abi; /* 0 = from the version, 1 = register, 2 = stack */
	int pclntab_only;
	struct ec_goelf *g;
	struct gotls_bpf *skel;
	unsigned max_files;
	struct pktcap_opts pcap;
	struct pktcap *pc;
} go = {.max_files = 64, .pcap = {.snaplen = 65535}};

static int opt(struct ec_mod *m, int key, const char *arg)
{
	if (key == OPT_MAXFILES)
		return follow_max_opt(arg, &go.max_files);
	if (key == OPT_KEYSONLY) {
		go.pcap.keys_only = keysonly_on = 1;
		return 0;
	}
	if (key == OPT_IF) {
		go.pcap.ifname = arg;
		return 0;
	}
	if (key == 'P')
		go.pclntab_only = 1;
	else if (key == 'n')
		m->o.dry_run = 1;
	else if (!strcmp(arg, "reg") || !strcmp(arg, "stack"))
		go.abi = arg[0] == 'r' ? 1 : 2;
	else {
		ec_warn("--abi: '%s' is not 'reg' (Go >= 1.17) or 'stack'", arg);
		return 2;
	}
	return 0;
}

/*
 * The probe points of one function: the entry (after the stack check) or
 * every RET; said as startup facts. Their number, or -1 (message printed).
 */
static int resolve(struct ec_mod *m, const char *path, const char *fn, int rets, struct hook *out,
		   int max, const char **from)
{
	struct ec_gofunc f;
	uint32_t offs[MAX_RETS];
	size_t n = 0, bad = 0;
	int rc = ec_goelf_func(go.g, fn, go.pclntab_only, &f);
	if (rc == EC_ERR_NOTFOUND) {
		ec_warn("%s: function %s not found in .symtab%s nor .gopclntab: does the program "
			"use crypto/tls?",
			path, fn, ec_goelf_has_symtab(go.g) ? "" : " (stripped)");
		return -1;
	}
	if (rc) {
		ec_warn("%s: function %s: its address is outside the file's segments", path, fn);
		return -1;
	}
	*from = f.from;
	if (!rets) {
		offs[n++] = (uint32_t)ec_x86_go_body(f.code, f.size);
	} else if (ec_x86_find_rets(f.code, f.size, offs, MAX_RETS, &n, &bad)) {
		ec_warn("%s: cannot decode %s at +0x%zx (address 0x%llx, bytes %02x %02x %02x): "
			"its returns cannot be hooked",
			path, fn, bad, (unsigned long long)(f.addr + bad), f.code[bad],
			bad + 1 < f.size ? f.code[bad + 1] : 0,
			bad + 2 < f.size ? f.code[bad + 2] : 0);
		return -1;
	} else if (!n || n > (size_t)max) {
		ec_warn("%s: %s has %zu RET instructions (expected 1 to %d)", path, fn, n, max);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		out[i] = (struct hook){f.offset + offs[i], f.addr + offs[i]};
		ec_mod_say(m, "%s%s at 0x%llx: probe at file offset 0x%llx", fn, rets ? " RET" : "",
			   (unsigned long long)out[i].addr, (unsigned long long)out[i].offset);
	}
	return (int)n;
}

static int go_load(struct ec_mod *m, int primary, uint64_t conn_base);

static int check(struct ec_mod *m, int argc, char **argv, int first)
{
	if (keysonly_check(m, &go.pcap, argc, argv, first, m->o.dry_run))
		return 2;
	if (m->o.dry_run && !m->o.path && !m->o.pid) {
		ec_warn("%s --dry-run: which Go program? give --elfpath BIN or --pid PID", argv[0]);
		return 2;
	}
	return 0;
}

/*
 * Resolve the Go program at path (shown as shown) and, unless a dry run,
 * hook it with cookie slot, its links kept in f (following) or by the
 * runner (f NULL: the output is started and the object loaded here).
 * go.g is left open on it. 0, EC_MOD_DONE (dry run), or 1 after a message.
 */
static int hook_file(struct ec_mod *m, const char *path, const char *shown, uint32_t slot,
		     struct follow_file *f)
{
	char msg[4352];
	struct hook wr, rd, kl, rets[MAX_RETS];
	const char *from = "", *kfrom = "";
	int nrets, have_kl;
	ec_goelf_close(go.g);
	if (!(go.g = ec_goelf_open(path, msg, sizeof msg))) {
		ec_warn("%s", msg);
		return 1;
	}
	if (ec_goelf_machine(go.g) != EM_X86_64) {
		ec_warn("%s: machine %d is not x86-64: only x86-64 Go binaries are supported",
			shown, ec_goelf_machine(go.g));
		return 1;
	}
	const char *version = ec_goelf_version(go.g);
	int regabi = go.abi ? go.abi == 1 : ec_go_regabi(version, EM_X86_64);
	if (!version && !go.abi) {
		ec_warn("%s: no Go version found (no .go.buildinfo): not a Go program, or give "
			"--abi reg|stack",
			shown);
		return 1;
	}
	if (!f && ec_mod_start(m, NULL, NULL))
		return 1;
	if (resolve(m, shown, FN_WRITE, 0, &wr, 1, &from) < 0 ||
	    resolve(m, shown, FN_READ, 0, &rd, 1, &from) < 0 ||
	    (nrets = resolve(m, shown, FN_READ, 1, rets, MAX_RETS, &from)) < 0)
		return 1;
	ec_mod_say(m, "program %s: %s, %s ABI, symbols from %s (.symtab %s, pclntab %s)", shown,
		   version ? version : "unknown Go version", regabi ? "register" : "stack", from,
		   ec_goelf_has_symtab(go.g) ? "present" : "absent",
		   ec_goelf_pclntab_format(go.g) ? ec_goelf_pclntab_format(go.g) : "absent");
	if (!(have_kl = resolve(m, shown, FN_KEYLOG, 0, &kl, 1, &kfrom) > 0))
		ec_mod_say(m, "%s not found: no key log", FN_KEYLOG);
	if (m->o.dry_run)
		return EC_MOD_DONE;
	if (!f && go_load(m, 1, 0))
		return 1;
	if (f)
		snprintf(f->version, sizeof f->version, "%s", version ? version : "unknown");
	uint32_t abi = (uint32_t)regabi;
	if (bpf_map_update_elem(bpf_map__fd(go.skel->maps.gotls_abi), &slot, &abi, BPF_ANY)) {
		ec_warn("cannot write the gotls_abi map: %s", strerror(errno));
		return 1;
	}
	struct {
		struct bpf_program *p;
		uint64_t off;
	} at[MAX_RETS + 3];
	int n = 0;
	if (keysonly_on && !have_kl) {
		ec_warn("%s: --keys-only: no %s to hook", shown, FN_KEYLOG);
		return 1;
	}
	if (!keysonly_on) {
		at[n++] = (typeof(at[0])){go.skel->progs.go_write, wr.offset};
		at[n++] = (typeof(at[0])){go.skel->progs.go_read_enter, rd.offset};
		for (int i = 0; i < nrets; i++)
			at[n++] = (typeof(at[0])){go.skel->progs.go_read_ret, rets[i].offset};
	}
	if (have_kl)
		at[n++] = (typeof(at[0])){go.skel->progs.go_keylog, kl.offset};
	for (int i = 0; i < n; i++) {
		struct bpf_link *l = ec_mod_uprobe_link_at(m, at[i].p, path, at[i].off, slot);
		if (!l || (f ? (f->links[f->nlinks++] = l, 0) : ec_mod_keep(m, l)))
			return 1;
	}
	if (keysonly_on)
		ec_mod_say(m, "hooked %s only (--keys-only) in %s", FN_KEYLOG, shown);
	else
		ec_mod_say(m, "hooked %s, %s (entry and %d RETs)%s in %s", FN_WRITE, FN_READ, nrets,
			   have_kl ? ", " FN_KEYLOG : "", shown);
	return 0;
}

/* ---- Go programs as a kind of file to follow ---- */

static int go_load(struct ec_mod *m, int primary, uint64_t conn_base)
{
	if ((go.skel = gotls_bpf__open()))
		go.skel->bss->ec_next_conn_id = conn_base;
	return primary ? EC_MOD_LOAD(m, go.skel) : EC_MOD_LOAD_MORE(m, go.skel);
}

/* A Go program that uses crypto/tls: its build info and Conn.Write. */
static int go_is(const struct follow_kind *k, const char *path)
{
	(void)k;
	char msg[512];
	struct ec_gofunc fn;
	struct ec_goelf *g = ec_goelf_open(path, msg, sizeof msg);
	int yes = g && ec_goelf_machine(g) == EM_X86_64 && ec_goelf_version(g) &&
		  ec_goelf_func(g, FN_WRITE, 0, &fn) == 0;
	ec_goelf_close(g);
	return yes;
}

static int go_hook(struct ec_mod *m, struct follow_file *f, const char *path, int pid)
{
	(void)pid;
	return hook_file(m, path, f->name, f->slot, f) ? -1 : 0;
}

static struct bpf_object *go_obj(void)
{
	return go.skel->obj;
}

const struct follow_kind follow_gotls = {
    "gotls", EVENT__SOURCE__SOURCE_GOTLS, go_load, go_is, go_hook, go_obj, NULL};

static int setup_hooks(struct ec_mod *m);

static int setup(struct ec_mod *m)
{
	int err;
	if (go.pcap.keys_only && !m->o.dry_run && !(go.pc = pktcap_open(&go.pcap, &err)))
		return err;
	if ((err = setup_hooks(m)))
		return err;
	return go.pc && pktcap_attach(go.pc, m->cap) ? 1 : 0;
}

static int event(struct ec_mod *m, const struct ec_event *e)
{
	if (e->kind == EC_KIND_KEYLOG)
		return keysonly_go_keylog(m, go.pc, e);
	return follow_spec_event(m, e);
}

static void tick(struct ec_mod *m)
{
	follow_tick(m);
	keysonly_tick(m, go.pc);
}

static int stop(struct ec_mod *m, int status)
{
	int err;
	follow_spec_stop(m, status);
	if ((err = pktcap_close(go.pc)) && err != EC_ERR_PIPE && status == 0) {
		ec_warn("--keys-only: %s", ec_strerror(err));
		status = 1;
	}
	go.pc = NULL;
	return status;
}

static int setup_hooks(struct ec_mod *m)
{
	static const struct follow_kind *const kinds[] = {&follow_gotls};
	char exe[64], shown[4096];
	const char *path = m->o.path;
	if (m->discover) {
		if (ec_mod_start(m, "every Go program processes run that uses crypto/tls",
				 "following the host") ||
		    go_load(m, 1, 0) ||
		    ec_mod_attach(m, go.skel->progs.ec_sock_state, "tp_btf/inet_sock_set_state"))
			return 1;
		return follow_start(m, kinds, 1, go.max_files);
	}
	if (!path) {
		snprintf(exe, sizeof exe, "/proc/%ld/exe", m->o.pid);
		ssize_t n = readlink(path = exe, shown, sizeof shown - 1);
		if (n < 0) {
			ec_warn("--pid %ld: cannot read %s: %s", m->o.pid, exe,
				errno == ENOENT ? "no such process" : strerror(errno));
			return 1;
		}
		shown[n] = '\0';
	} else {
		snprintf(shown, sizeof shown, "%s", path);
	}
	int rc = hook_file(m, path, shown, 0, NULL);
	if (rc)
		return rc;
	/* slot 0, the cookie its probes got: its records name it */
	static char name[4096];
	snprintf(name, sizeof name, "%s", shown);
	if (!follow_new(m, &follow_gotls, name))
		return 1;
	if (ec_mod_attach(m, go.skel->progs.ec_sock_state, "tp_btf/inet_sock_set_state"))
		return 1;
	return 0;
}

static void cleanup(struct ec_mod *m)
{
	(void)m;
	ec_goelf_close(go.g);
	go.g = NULL;
	follow_cleanup();
}

const struct ec_mod_spec ec_mod_gotls = {
    .name = "gotls",
    .what = "Capture the plaintext of Go programs' crypto/tls (stripped binaries too).",
    .usage = "[--elfpath BIN | --pid PID] [options] [--keys-only --ifname IF [FILTER...]] > "
	     "out.pb",
    .source = EVENT__SOURCE__SOURCE_GOTLS,
    .flags = EC_MOD_KEYLOG | EC_MOD_DISCOVER,
    .path_opt = "elfpath",
    .path_key = 'e',
    .path_help = "the Go program to hook (any process running it;\ndefault: every Go program "
		 "processes run)",
    .opts = opts,
    .opt = opt,
    .operands = 1 << 20,
    .check = check,
    .setup = setup,
    .event = event,
    .stop = stop,
    .origin = follow_origin,
    .tick = tick,
    .status = follow_status,
    .cleanup = cleanup,
};
