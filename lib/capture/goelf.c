// SPDX-License-Identifier: GPL-2.0-only
#include "goelf.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_LOADS 32
#define MAX_NFUNC 10000000u
#define BUILDINFO_MAGIC "\xff Go buildinf:"

struct seg {
	uint64_t vaddr, filesz, offset;
};

struct ec_goelf {
	uint8_t *buf;
	size_t len;
	int mapped; /* buf is an mmap of the file, else malloc'd */
	Elf *elf;
	int machine;
	struct seg loads[MAX_LOADS];
	int nloads;
	uint64_t text_addr; /* .text section address, 0 if none */
	Elf_Scn *symtab;
	uint64_t pcln_off, pcln_len; /* the pclntab in buf; len 0 = none */
	char version[128];
};

/* Little-endian unsigned read of sz bytes at off, bounds checked. */
static int rd(const uint8_t *t, size_t len, uint64_t off, unsigned sz, uint64_t *v)
{
	if (off > len || sz > len - off)
		return EC_ERR_PROTO;
	uint64_t x = 0;
	for (unsigned i = 0; i < sz; i++)
		x |= (uint64_t)t[off + i] << (8 * i);
	*v = x;
	return 0;
}

/* Is the NUL-terminated string at off exactly name? (bounded by len) */
static int name_is(const uint8_t *t, size_t len, uint64_t off, const char *name, size_t nlen)
{
	if (off > len || nlen + 1 > len - off)
		return 0;
	return memcmp(t + off, name, nlen) == 0 && t[off + nlen] == '\0';
}

const char *ec_pclntab_format(const uint8_t *tab, size_t len)
{
	uint64_t magic;
	if (rd(tab, len, 0, 4, &magic) || len < 16)
		return NULL;
	if (tab[4] != 0 || tab[5] != 0)
		return NULL;
	if (tab[6] != 1 && tab[6] != 2 && tab[6] != 4)
		return NULL;
	if (tab[7] != 4 && tab[7] != 8)
		return NULL;
	switch ((uint32_t)magic) {
	case 0xfffffffb:
		return "1.2";
	case 0xfffffffa:
		return "1.16";
	case 0xfffffff0:
		return "1.18";
	case 0xfffffff1:
		return "1.20";
	}
	return NULL;
}

int ec_pclntab_find(const uint8_t *t, size_t len, uint64_t text_start, const char *name,
		    uint64_t *entry, uint64_t *size)
{
	const char *fmt = ec_pclntab_format(t, len);
	if (!fmt)
		return EC_ERR_PROTO;
	unsigned p = t[7];
	size_t nlen = strlen(name);
	uint64_t nfunc, a, b;
	if (rd(t, len, 8, p, &nfunc) || nfunc > MAX_NFUNC)
		return EC_ERR_PROTO;

	if (!strcmp(fmt, "1.18") || !strcmp(fmt, "1.20")) { /* 32-bit offsets from textStart */
		uint64_t tstart, nameoff, pcln;
		if (rd(t, len, 8 + 2 * p, p, &tstart) || rd(t, len, 8 + 3 * p, p, &nameoff) ||
		    rd(t, len, 8 + 7 * p, p, &pcln))
			return EC_ERR_PROTO;
		if (!tstart)
			tstart = text_start;
		if (pcln > len || (nfunc + 1) * 8 > len - pcln)
			return EC_ERR_PROTO;
		for (uint64_t i = 0; i < nfunc; i++) {
			uint64_t fo, no;
			if (rd(t, len, pcln + i * 8 + 4, 4, &fo) ||
			    rd(t, len, pcln + fo + 4, 4, &no))
				return EC_ERR_PROTO;
			if (!name_is(t, len, nameoff + (uint64_t)(int64_t)(int32_t)no, name, nlen))
				continue;
			if (rd(t, len, pcln + i * 8, 4, &a) || rd(t, len, pcln + i * 8 + 8, 4, &b))
				return EC_ERR_PROTO;
			*entry = tstart + a;
			*size = b > a ? b - a : 0;
			return 0;
		}
		return EC_ERR_NOTFOUND;
	}

	/* 1.2 and 1.16: pointer-sized entries {entry, funcoff} */
	uint64_t functab, nameoff, funcbase;
	if (!strcmp(fmt, "1.2")) {
		functab = 8 + p;
		nameoff = 0;
		funcbase = 0;
	} else {
		if (rd(t, len, 8 + 2 * p, p, &nameoff) || rd(t, len, 8 + 6 * p, p, &functab))
			return EC_ERR_PROTO;
		funcbase = functab;
	}
	if (functab > len || (nfunc + 1) * 2 * p > len - functab)
		return EC_ERR_PROTO;
	for (uint64_t i = 0; i < nfunc; i++) {
		uint64_t fo, no;
		if (rd(t, len, functab + i * 2 * p + p, p, &fo) ||
		    rd(t, len, funcbase + fo + p, 4, &no))
			return EC_ERR_PROTO;
		if (!name_is(t, len, nameoff + (uint64_t)(int64_t)(int32_t)no, name, nlen))
			continue;
		if (rd(t, len, functab + i * 2 * p, p, &a) ||
		    rd(t, len, functab + (i + 1) * 2 * p, p, &b))
			return EC_ERR_PROTO;
		*entry = a;
		*size = b > a ? b - a : 0;
		return 0;
	}
	return EC_ERR_NOTFOUND;
}

/* Decode a uvarint at b[*off..len). */
static int uvarint(const uint8_t *b, size_t len, size_t *off, uint64_t *v)
{
	uint64_t x = 0;
	for (unsigned s = 0; s < 64; s += 7) {
		if (*off >= len)
			return EC_ERR_PROTO;
		uint8_t c = b[(*off)++];
		x |= (uint64_t)(c & 0x7f) << s;
		if (!(c & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return EC_ERR_PROTO;
}

int ec_gobuildinfo_version(const uint8_t *b, size_t len, char *out, size_t outlen, uint64_t *ptr,
			   int *ptrsize)
{
	if (len < 32 || memcmp(b, BUILDINFO_MAGIC, 14) != 0 || !outlen)
		return EC_ERR_PROTO;
	int psz = b[14];
	uint8_t flags = b[15];
	if (flags & 1)
		return EC_ERR_UNSUPPORTED; /* big-endian */
	if (flags & 2) {
		size_t off = 32;
		uint64_t n;
		if (uvarint(b, len, &off, &n) || n > len - off || n == 0)
			return EC_ERR_PROTO;
		if (n >= outlen)
			n = outlen - 1;
		memcpy(out, b + off, n);
		out[n] = '\0';
		for (size_t i = 0; i < n; i++)
			if (out[i] < 0x20 || out[i] > 0x7e)
				return EC_ERR_PROTO;
		return 0;
	}
	if (psz != 4 && psz != 8)
		return EC_ERR_PROTO;
	uint64_t v;
	if (rd(b, len, 16, (unsigned)psz, &v))
		return EC_ERR_PROTO;
	if (ptr)
		*ptr = v;
	if (ptrsize)
		*ptrsize = psz;
	return EC_ERR_UNSUPPORTED;
}

int ec_go_version_parse(const char *v, int *major, int *minor)
{
	const char *s = strstr(v, "go");
	while (s && !(s[2] >= '0' && s[2] <= '9'))
		s = strstr(s + 2, "go");
	if (!s)
		return EC_ERR_INVAL;
	char *end;
	long ma = strtol(s + 2, &end, 10);
	if (*end != '.' || end[1] < '0' || end[1] > '9')
		return EC_ERR_INVAL;
	long mi = strtol(end + 1, &end, 10);
	if (ma < 1 || ma > 99 || mi < 0 || mi > 999)
		return EC_ERR_INVAL;
	*major = (int)ma;
	*minor = (int)mi;
	return 0;
}

int ec_go_regabi(const char *version, int machine)
{
	int ma, mi;
	if (!version || ec_go_version_parse(version, &ma, &mi))
		return 0;
	if (strstr(version, "noregabi"))
		return 0;
	if (ma > 1)
		return 1;
	if (machine == EM_X86_64)
		return mi >= 17;
	if (machine == EM_AARCH64)
		return mi >= 18;
	return 0;
}

/* vaddr -> file offset through the PT_LOAD segments; *avail = bytes from there. */
static int v2off(const struct ec_goelf *g, uint64_t va, uint64_t *off, uint64_t *avail)
{
	for (int i = 0; i < g->nloads; i++) {
		const struct seg *s = &g->loads[i];
		if (va >= s->vaddr && va - s->vaddr < s->filesz) {
			*off = s->offset + (va - s->vaddr);
			*avail = s->filesz - (va - s->vaddr);
			return 0;
		}
	}
	return EC_ERR_PROTO;
}

static void find_version(struct ec_goelf *g, const uint8_t *bi, size_t bilen)
{
	uint64_t ptr = 0, off, avail, sptr, slen;
	int psz = 8;
	int rc = ec_gobuildinfo_version(bi, bilen, g->version, sizeof g->version, &ptr, &psz);
	if (rc == 0 || rc != EC_ERR_UNSUPPORTED || !ptr)
		return;
	/* pre-1.18: a pointer to runtime.buildVersion, a Go string header */
	g->version[0] = '\0';
	if (v2off(g, ptr, &off, &avail) || avail < 2u * (unsigned)psz ||
	    rd(g->buf, g->len, off, (unsigned)psz, &sptr) ||
	    rd(g->buf, g->len, off + (unsigned)psz, (unsigned)psz, &slen))
		return;
	if (!slen || slen >= sizeof g->version || v2off(g, sptr, &off, &avail) || avail < slen)
		return;
	memcpy(g->version, g->buf + off, slen);
	g->version[slen] = '\0';
	for (size_t i = 0; i < slen; i++)
		if (g->version[i] < 0x20 || g->version[i] > 0x7e) {
			g->version[0] = '\0';
			return;
		}
}

static void set_msg(char *msg, size_t len, const char *fmt, const char *arg)
{
	if (msg && len)
		snprintf(msg, len, fmt, arg);
}

static int setup(struct ec_goelf *g, char *msg, size_t msglen)
{
	elf_version(EV_CURRENT);
	g->elf = elf_memory((char *)g->buf, g->len);
	if (!g->elf || elf_kind(g->elf) != ELF_K_ELF) {
		set_msg(msg, msglen, "not an ELF file%s", "");
		return EC_ERR_PROTO;
	}
	GElf_Ehdr eh;
	if (!gelf_getehdr(g->elf, &eh) || gelf_getclass(g->elf) != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB) {
		set_msg(msg, msglen, "not a 64-bit little-endian ELF file%s", "");
		return EC_ERR_UNSUPPORTED;
	}
	g->machine = eh.e_machine;
	size_t nph = 0;
	if (elf_getphdrnum(g->elf, &nph))
		nph = 0;
	for (size_t i = 0; i < nph && g->nloads < MAX_LOADS; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(g->elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (ph.p_offset > g->len || ph.p_filesz > g->len - ph.p_offset)
			continue; /* points past the file: ignore */
		g->loads[g->nloads++] = (struct seg){ph.p_vaddr, ph.p_filesz, ph.p_offset};
	}
	if (!g->nloads) {
		set_msg(msg, msglen, "no loadable segment (not an executable?)%s", "");
		return EC_ERR_PROTO;
	}

	size_t shstrndx = 0;
	const uint8_t *bi = NULL;
	size_t bilen = 0;
	if (elf_getshdrstrndx(g->elf, &shstrndx))
		shstrndx = 0;
	for (Elf_Scn *scn = elf_nextscn(g->elf, NULL); scn && shstrndx;
	     scn = elf_nextscn(g->elf, scn)) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			continue;
		const char *name = elf_strptr(g->elf, shstrndx, sh.sh_name);
		if (!name)
			continue;
		if (sh.sh_type == SHT_SYMTAB) {
			g->symtab = scn;
			continue;
		}
		if (sh.sh_type == SHT_NOBITS || sh.sh_offset > g->len ||
		    sh.sh_size > g->len - sh.sh_offset)
			continue;
		if (!strcmp(name, ".text"))
			g->text_addr = sh.sh_addr;
		else if (!strcmp(name, ".gopclntab") || !strcmp(name, ".data.rel.ro.gopclntab")) {
			g->pcln_off = sh.sh_offset;
			g->pcln_len = sh.sh_size;
		} else if (!strcmp(name, ".go.buildinfo")) {
			bi = g->buf + sh.sh_offset;
			bilen = sh.sh_size;
		}
	}

	/* no section headers to go by: search the segments' bytes */
	if (!bi)
		for (size_t o = 0; o + 32 <= g->len; o += 16)
			if (!memcmp(g->buf + o, BUILDINFO_MAGIC, 14)) {
				bi = g->buf + o;
				bilen = g->len - o < 4096 ? g->len - o : 4096;
				break;
			}
	if (bi)
		find_version(g, bi, bilen);
	if (!g->pcln_len) {
		for (int i = 0; i < g->nloads && !g->pcln_len; i++) {
			const struct seg *s = &g->loads[i];
			for (uint64_t o = s->offset & ~7ull; o + 64 <= s->offset + s->filesz;
			     o += 8) {
				const uint8_t *t = g->buf + o;
				if (t[1] != 0xff || t[2] != 0xff || t[3] != 0xff)
					continue;
				size_t rest = s->offset + s->filesz - o;
				uint64_t e, z;
				if (ec_pclntab_format(t, rest) &&
				    ec_pclntab_find(t, rest, g->text_addr, "runtime.main", &e,
						    &z) == 0) {
					g->pcln_off = o;
					g->pcln_len = rest;
					break;
				}
			}
		}
	}
	return 0;
}

struct ec_goelf *ec_goelf_open_mem(const uint8_t *buf, size_t len, char *msg, size_t msglen)
{
	struct ec_goelf *g = calloc(1, sizeof *g);
	if (!g) {
		set_msg(msg, msglen, "out of memory%s", "");
		return NULL;
	}
	g->buf = malloc(len ? len : 1);
	if (!g->buf) {
		free(g);
		set_msg(msg, msglen, "out of memory%s", "");
		return NULL;
	}
	memcpy(g->buf, buf, len);
	g->len = len;
	if (setup(g, msg, msglen)) {
		ec_goelf_close(g);
		return NULL;
	}
	return g;
}

struct ec_goelf *ec_goelf_open(const char *path, char *msg, size_t msglen)
{
	char why[160];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st)) {
		snprintf(msg, msglen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || st.st_size < 64) {
		snprintf(msg, msglen, "%s: not a regular file of at least 64 bytes", path);
		close(fd);
		return NULL;
	}
	struct ec_goelf *g = calloc(1, sizeof *g);
	if (!g) {
		close(fd);
		snprintf(msg, msglen, "%s: out of memory", path);
		return NULL;
	}
	/* private writable mapping: libelf may touch the image, the file never changes */
	void *m = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		snprintf(msg, msglen, "%s: mmap: %s", path, strerror(errno));
		free(g);
		return NULL;
	}
	g->buf = m;
	g->len = (size_t)st.st_size;
	g->mapped = 1;
	if (setup(g, why, sizeof why)) {
		snprintf(msg, msglen, "%s: %s", path, why);
		ec_goelf_close(g);
		return NULL;
	}
	return g;
}

void ec_goelf_close(struct ec_goelf *g)
{
	if (!g)
		return;
	if (g->elf)
		elf_end(g->elf);
	if (g->mapped)
		munmap(g->buf, g->len);
	else
		free(g->buf);
	free(g);
}

int ec_goelf_machine(const struct ec_goelf *g)
{
	return g->machine;
}

const char *ec_goelf_version(const struct ec_goelf *g)
{
	return g->version[0] ? g->version : NULL;
}

int ec_goelf_has_symtab(const struct ec_goelf *g)
{
	return g->symtab != NULL;
}

const char *ec_goelf_pclntab_format(const struct ec_goelf *g)
{
	return g->pcln_len ? ec_pclntab_format(g->buf + g->pcln_off, g->pcln_len) : NULL;
}

static int symtab_find(struct ec_goelf *g, const char *name, uint64_t *addr, uint64_t *size)
{
	GElf_Shdr sh;
	if (!g->symtab || !gelf_getshdr(g->symtab, &sh) || !sh.sh_entsize)
		return EC_ERR_NOTFOUND;
	Elf_Data *d = elf_getdata(g->symtab, NULL);
	if (!d)
		return EC_ERR_NOTFOUND;
	size_t n = sh.sh_size / sh.sh_entsize;
	for (size_t i = 0; i < n; i++) {
		GElf_Sym s;
		if (!gelf_getsym(d, (int)i, &s))
			break;
		if (GELF_ST_TYPE(s.st_info) != STT_FUNC || !s.st_value)
			continue;
		const char *sn = elf_strptr(g->elf, sh.sh_link, s.st_name);
		if (sn && !strcmp(sn, name)) {
			*addr = s.st_value;
			*size = s.st_size;
			return 0;
		}
	}
	return EC_ERR_NOTFOUND;
}

int ec_goelf_func(struct ec_goelf *g, const char *name, int pclntab_only, struct ec_gofunc *f)
{
	uint64_t addr = 0, size = 0, off, avail;
	int rc = EC_ERR_NOTFOUND;
	memset(f, 0, sizeof *f);
	if (!pclntab_only && (rc = symtab_find(g, name, &addr, &size)) == 0)
		f->from = "symtab";
	if (rc && g->pcln_len) {
		rc = ec_pclntab_find(g->buf + g->pcln_off, g->pcln_len, g->text_addr, name, &addr,
				     &size);
		if (rc == 0)
			f->from = "pclntab";
	}
	if (rc)
		return rc;
	if (v2off(g, addr, &off, &avail))
		return EC_ERR_PROTO;
	if (!size)
		return EC_ERR_PROTO; /* a function without code: walking it would misread */
	if (size > avail)
		size = avail;
	f->addr = addr;
	f->size = size;
	f->offset = off;
	f->code = g->buf + off;
	return 0;
}
