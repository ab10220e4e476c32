// SPDX-License-Identifier: GPL-2.0-only
/*
 * ec-capture gotls: find crypto/tls in a Go binary (symbols or, stripped,
 * the pclntab), hook it with plain uprobes (entries after Go's stack check,
 * every RET of (*Conn).Read: never a uretprobe, the Go runtime moves
 * stacks), and write the plaintext and key log lines (bpf/gotls.bpf.c).
 */
#include <bpf/libbpf.h>
#include <errno.h>
#include <gelf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "goelf.h"
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

static const struct ec_opt opts[] = {
    {"abi", 'a', "reg|stack", "Go calling convention (default: from the Go version)"},
    {"pclntab", 'P', NULL, "find functions in .gopclntab even when .symtab exists"},
    {"dry-run", 'n', NULL, "print the resolved hooks and exit (no root needed)"},
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
} go;

static int opt(struct ec_mod *m, int key, const char *arg)
{
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

static int check(struct ec_mod *m, int argc, char **argv, int first)
{
	(void)argc, (void)first;
	if (!m->o.path && !m->o.pid) {
		ec_warn("%s: which Go program? give --elfpath BIN or --pid PID", argv[0]);
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

static int setup(struct ec_mod *m)
{
	char exe[64], shown[4096], msg[4352];
	struct hook wr, rd, kl, rets[MAX_RETS];
	const char *from = "", *kfrom = "", *path = m->o.path;
	int nrets, have_kl;

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
	if (ec_mod_start(m, NULL, NULL))
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
	struct gotls_bpf *skel = gotls_bpf__open();
	if (skel)
		skel->rodata->regabi = (uint32_t)regabi;
	if (EC_MOD_LOAD(m, skel))
		return 1;
	if (ec_mod_uprobe_at(m, skel->progs.go_write, path, wr.offset) ||
	    ec_mod_uprobe_at(m, skel->progs.go_read_enter, path, rd.offset) ||
	    (have_kl && ec_mod_uprobe_at(m, skel->progs.go_keylog, path, kl.offset)))
		return 1;
	for (int i = 0; i < nrets; i++)
		if (ec_mod_uprobe_at(m, skel->progs.go_read_ret, path, rets[i].offset))
			return 1;
	if (ec_mod_attach(m, skel->progs.ec_sock_state, "tp_btf/inet_sock_set_state"))
		return 1;
	ec_mod_say(m, "hooked %s, %s (entry and %d RETs)%s in %s", FN_WRITE, FN_READ, nrets,
		   have_kl ? ", " FN_KEYLOG : "", shown);
	return 0;
}

static void cleanup(struct ec_mod *m)
{
	(void)m;
	ec_goelf_close(go.g);
}

const struct ec_mod_spec ec_mod_gotls = {
    .name = "gotls",
    .what = "Capture the plaintext of Go programs' crypto/tls (stripped binaries too).",
    .usage = "(--elfpath BIN | --pid PID) [options] > out.pb   (or | ec-dump)",
    .source = EVENT__SOURCE__SOURCE_GOTLS,
    .flags = EC_MOD_KEYLOG,
    .path_opt = "elfpath",
    .path_key = 'e',
    .path_help = "the Go program to hook (any process running it)",
    .opts = opts,
    .opt = opt,
    .check = check,
    .setup = setup,
    .cleanup = cleanup,
};
