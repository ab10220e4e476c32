/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Go ELF analysis for uprobes on Go programs: the Go version a binary was
 * built with (.go.buildinfo), which calling convention its functions use,
 * and where its functions are: from .symtab when present, else from the
 * runtime's own function table (.gopclntab), which stripped binaries
 * (-ldflags="-s -w") keep for stack traces. Works on PIE and non-PIE.
 *
 * libelf reads the ELF structure (sections, segments, symbols); the Go
 * tables are read by the bounds-checked parsers below, on the file image
 * in memory. See docs/GOTLS.md for the formats.
 */
#ifndef EC_GOELF_H
#define EC_GOELF_H

#include <stddef.h>
#include <stdint.h>

struct ec_goelf;

struct ec_gofunc {
	uint64_t addr;	     /* virtual address of the entry */
	uint64_t size;	     /* bytes of code (pclntab: up to the next function) */
	uint64_t offset;     /* file offset of the entry (what uprobes take) */
	const uint8_t *code; /* the function's bytes in the image (size long) */
	const char *from;    /* "symtab" or "pclntab" */
};

/*
 * Open an ELF file image (copied: the caller keeps buf). On failure, NULL
 * and msg says why (not ELF, not x86-64/arm64 64-bit, truncated...).
 */
struct ec_goelf *ec_goelf_open_mem(const uint8_t *buf, size_t len, char *msg, size_t msglen);
/* Open a file; msg names the path on failure. */
struct ec_goelf *ec_goelf_open(const char *path, char *msg, size_t msglen);
void ec_goelf_close(struct ec_goelf *g);

/* e_machine of the file (EM_X86_64 62, EM_AARCH64 183). */
int ec_goelf_machine(const struct ec_goelf *g);
/* The runtime.Version() string, e.g. "go1.19.8", or NULL if none found. */
const char *ec_goelf_version(const struct ec_goelf *g);
/* Has .symtab? Has a pclntab (and which format: "1.2", "1.16", "1.18", "1.20")? */
int ec_goelf_has_symtab(const struct ec_goelf *g);
const char *ec_goelf_pclntab_format(const struct ec_goelf *g);

/*
 * Find a function by its Go name ("crypto/tls.(*Conn).Read"): .symtab
 * first (unless pclntab_only), else the pclntab. EC_ERR_NOTFOUND if it is
 * in neither; EC_ERR_PROTO if the address is outside the file's segments.
 */
int ec_goelf_func(struct ec_goelf *g, const char *name, int pclntab_only, struct ec_gofunc *f);

/*
 * Parse a Go version string: "go1.19.8", "go1.21rc2", "go1.22.0 X:nocoverageredesign",
 * "devel go1.23-abcdef ...". Sets *major, *minor; returns 0, or EC_ERR_INVAL.
 */
int ec_go_version_parse(const char *v, int *major, int *minor);
/*
 * Does a Go binary of this version pass arguments in registers (the
 * internal register ABI: go1.17+ on amd64, go1.18+ on arm64)? A version
 * that names GOEXPERIMENT noregabi* turns it off.
 */
int ec_go_regabi(const char *version, int machine);

/*
 * The bounds-checked pclntab parser, on the table's bytes alone (also used
 * by the fuzz target). text_start is used when the table does not carry it
 * (before go1.18) or carries 0. Finds name; 0 with *entry, *size set;
 * EC_ERR_NOTFOUND; EC_ERR_PROTO for a malformed table.
 */
int ec_pclntab_find(const uint8_t *tab, size_t len, uint64_t text_start, const char *name,
		    uint64_t *entry, uint64_t *size);
/* The table's format name, or NULL when tab does not start with a pclntab header. */
const char *ec_pclntab_format(const uint8_t *tab, size_t len);

/*
 * The version in a .go.buildinfo blob (go1.18+ inline form). For the older
 * pointer form, returns EC_ERR_UNSUPPORTED and sets *ptr to the address of
 * the version's string header (read by the caller through the segments).
 */
int ec_gobuildinfo_version(const uint8_t *b, size_t len, char *out, size_t outlen, uint64_t *ptr,
			   int *ptrsize);

#endif
