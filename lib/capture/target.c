// SPDX-License-Identifier: GPL-2.0-only
/* Finding what a capture module hooks: libraries, binaries, ELF functions. */
#include "target.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <glob.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"

/* Does the file name (after the last '/') start with base? */
static int base_is(const char *path, const char *base)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	return !strncmp(b, base, strlen(base));
}

int ec_target_maps(pid_t pid, const char *base, char *out, size_t len)
{
	char fn[64], line[4096];
	snprintf(fn, sizeof fn, "/proc/%d/maps", (int)pid);
	FILE *f = fopen(fn, "r");
	if (!f)
		return EC_ERR_IO;
	int found = 0;
	while (!found && fgets(line, sizeof line, f)) {
		char *p = strchr(line, '/');
		if (!p)
			continue;
		p[strcspn(p, "\n")] = '\0';
		if (strstr(p, " (deleted)") || !base_is(p, base))
			continue;
		if (access(p, R_OK) == 0)
			snprintf(out, len, "%s", p);
		else
			snprintf(out, len, "/proc/%d/root%s", (int)pid, p);
		found = 1;
	}
	fclose(f);
	return found ? 0 : EC_ERR_NOTFOUND;
}

int ec_target_ldconfig(const char *const *sonames, char *out, size_t len)
{
	char best[8][4096] = {{0}};
	char line[4096];
	int n = 0;
	while (n < 8 && sonames[n])
		n++;
	FILE *f = popen("ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null", "r");
	if (!f)
		return EC_ERR_IO;
	while (fgets(line, sizeof line, f)) {
		/* "\tlibssl.so.3 (libc6,x86-64) => /lib/x86_64-linux-gnu/libssl.so.3" */
		char *name = line;
		while (isspace((unsigned char)*name))
			name++;
		char *arrow = strstr(line, "=> ");
		if (!arrow || !strstr(line, "x86-64"))
			continue;
		char *path = arrow + 3;
		path[strcspn(path, "\n")] = '\0';
		for (int i = 0; i < n; i++) {
			size_t k = strlen(sonames[i]);
			if (!strncmp(name, sonames[i], k) && name[k] == ' ' && !best[i][0] &&
			    access(path, R_OK) == 0)
				snprintf(best[i], sizeof best[i], "%s", path);
		}
	}
	pclose(f);
	for (int i = 0; i < n; i++)
		if (best[i][0]) {
			snprintf(out, len, "%s", best[i]);
			return 0;
		}
	return EC_ERR_NOTFOUND;
}

int ec_target_lib(const struct ec_target_lib *lib, const char *explicit_path, pid_t pid, char *out,
		  size_t len, char *msg, size_t msglen)
{
	if (explicit_path) {
		if (access(explicit_path, R_OK) != 0) {
			snprintf(msg, msglen, "%s %s: %s", lib->opt, explicit_path,
				 strerror(errno));
			return EC_ERR_NOTFOUND;
		}
		snprintf(out, len, "%s", explicit_path);
		return 0;
	}
	if (pid > 0) {
		int err = ec_target_maps(pid, lib->base, out, len);
		if (!err)
			return 0;
		if (err == EC_ERR_IO) {
			snprintf(msg, msglen, "--pid %d: cannot read /proc/%d/maps: %s", (int)pid,
				 (int)pid, strerror(errno));
			return EC_ERR_NOTFOUND;
		}
	}
	if (!ec_target_ldconfig(lib->sonames, out, len))
		return 0;
	snprintf(msg, msglen, "%s not found%s in `ldconfig -p`: %s, or give %s PATH",
		 lib->sonames[0], pid > 0 ? " in the process's maps nor" : "", lib->hint, lib->opt);
	return EC_ERR_NOTFOUND;
}

int ec_target_bin(const char *explicit_path, pid_t pid, const char *const *candidates, char *out,
		  size_t len, char *msg, size_t msglen)
{
	if (explicit_path) {
		if (access(explicit_path, R_OK) != 0) {
			snprintf(msg, msglen, "%s: %s", explicit_path, strerror(errno));
			return EC_ERR_NOTFOUND;
		}
		snprintf(out, len, "%s", explicit_path);
		return 0;
	}
	if (pid > 0) {
		char fn[64], exe[4096];
		snprintf(fn, sizeof fn, "/proc/%d/exe", (int)pid);
		ssize_t n = readlink(fn, exe, sizeof exe - 1);
		if (n > 0) {
			exe[n] = '\0';
			if (access(exe, R_OK) == 0)
				snprintf(out, len, "%s", exe);
			else
				snprintf(out, len, "%s", fn);
			return 0;
		}
	}
	size_t used = (size_t)snprintf(msg, msglen, "none of");
	for (int i = 0; candidates[i]; i++) {
		glob_t g;
		if (glob(candidates[i], 0, NULL, &g) == 0) {
			for (size_t j = g.gl_pathc; j-- > 0;) {
				if (access(g.gl_pathv[j], R_OK) == 0) {
					snprintf(out, len, "%s", g.gl_pathv[j]);
					globfree(&g);
					return 0;
				}
			}
			globfree(&g);
		}
		if (used < msglen)
			used += (size_t)snprintf(msg + used, msglen - used, " %s", candidates[i]);
	}
	if (used < msglen)
		snprintf(msg + used, msglen - used, " exists");
	return EC_ERR_NOTFOUND;
}

/* Call fn for every defined function symbol matching sym (a prefix when prefix). */
static int each_symbol(const char *path, const char *sym, int prefix, int funcs_only,
		       int (*fn)(void *ctx, const char *name, uint64_t value), void *ctx)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), found = 0;
	if (fd < 0)
		return EC_ERR_IO;
	elf_version(EV_CURRENT);
	Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		if (elf)
			elf_end(elf);
		close(fd);
		return EC_ERR_UNSUPPORTED;
	}
	size_t n = strlen(sym);
	int stop = 0;
	/* .symtab first; .dynsym only when there is no match there */
	for (int pass = 0; pass < 2 && !found && !stop; pass++) {
		Elf_Scn *scn = NULL;
		Elf64_Word want = pass == 0 ? SHT_SYMTAB : SHT_DYNSYM;
		while (!stop && (scn = elf_nextscn(elf, scn))) {
			GElf_Shdr sh;
			if (!gelf_getshdr(scn, &sh) || sh.sh_type != want || !sh.sh_entsize)
				continue;
			Elf_Data *d = elf_getdata(scn, NULL);
			size_t count = sh.sh_size / sh.sh_entsize;
			for (size_t i = 0; d && i < count && !stop; i++) {
				GElf_Sym s;
				if (!gelf_getsym(d, (int)i, &s) ||
				    (funcs_only && GELF_ST_TYPE(s.st_info) != STT_FUNC) ||
				    s.st_shndx == SHN_UNDEF || !s.st_value)
					continue;
				const char *name = elf_strptr(elf, sh.sh_link, s.st_name);
				if (!name || strncmp(name, sym, n) || (!prefix && name[n]))
					continue;
				if (prefix && strchr(name + n, '.')) /* .cold, .part.0, .isra.0 */
					continue;
				found++;
				stop = fn(ctx, name, s.st_value);
			}
		}
	}
	elf_end(elf);
	close(fd);
	return found ? 0 : EC_ERR_NOTFOUND;
}

struct first_ctx {
	char *out;
	size_t len;
};

static int take_first(void *ctx, const char *name, uint64_t value)
{
	(void)value;
	struct first_ctx *c = ctx;
	snprintf(c->out, c->len, "%s", name);
	return 1;
}

int ec_target_symbol(const char *path, const char *sym, int prefix, char *out, size_t len)
{
	struct first_ctx c = {out, len};
	return each_symbol(path, sym, prefix, 1, take_first, &c);
}

static int take_value(void *ctx, const char *name, uint64_t value)
{
	(void)name;
	*(uint64_t *)ctx = value;
	return 1;
}

int ec_target_symbol_value(const char *path, const char *name, uint64_t *value)
{
	return each_symbol(path, name, 0, 0, take_value, value);
}

struct list_ctx {
	char (*names)[EC_TARGET_SYM_LEN];
	int max, n;
};

static int take_all(void *ctx, const char *name, uint64_t value)
{
	(void)value;
	struct list_ctx *c = ctx;
	for (int i = 0; i < c->n; i++)
		if (!strcmp(c->names[i], name))
			return 0;
	if (c->n < c->max && strlen(name) < EC_TARGET_SYM_LEN)
		snprintf(c->names[c->n++], EC_TARGET_SYM_LEN, "%s", name);
	return c->n >= c->max;
}

int ec_target_list_symbols(const char *path, const char *prefix, char (*names)[EC_TARGET_SYM_LEN],
			   int max)
{
	struct list_ctx c = {names, max, 0};
	int err = each_symbol(path, prefix, 1, 1, take_all, &c);
	return err ? err : c.n;
}

const char *ec_target_strerror(int err)
{
	return err == EC_ERR_NOTFOUND ? "no such function in it"
	       : err == EC_ERR_IO     ? strerror(errno)
				      : "not an ELF file";
}
