/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Finding what a capture module hooks: a library (explicit path, the one a
 * running process maps, or the system's from `ldconfig -p`), a program
 * binary (explicit, /proc/PID/exe, or well-known places), and functions in
 * an ELF file by name. Go programs' functions are found by lib/capture/goelf.h.
 */
#ifndef EC_TARGET_H
#define EC_TARGET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A library as a module describes it. */
struct ec_target_lib {
	const char *opt;	    /* the option naming it explicitly, e.g. "--libssl" */
	const char *base;	    /* its file name's start in /proc/PID/maps, "libssl.so" */
	const char *const *sonames; /* `ldconfig -p` names by preference, NULL-ended */
	const char *hint;	    /* how to get one, e.g. "install libgnutls30" */
};

/*
 * The path of the first file process pid maps whose name starts with base,
 * into out. A path only reachable inside the process's mount namespace is
 * returned as /proc/PID/root/PATH. EC_ERR_NOTFOUND if it maps none,
 * EC_ERR_IO if the maps file cannot be read (errno set).
 */
int ec_target_maps(pid_t pid, const char *base, char *out, size_t len);

/* The first of sonames `ldconfig -p` lists (x86-64, readable). EC_ERR_NOTFOUND. */
int ec_target_ldconfig(const char *const *sonames, char *out, size_t len);

/*
 * The library to hook: explicit (checked to exist), else the one pid maps
 * (pid > 0), else ldconfig's. On error, msg says what was tried and how to
 * go on (the lib's hint and opt).
 */
int ec_target_lib(const struct ec_target_lib *lib, const char *explicit_path, pid_t pid, char *out,
		  size_t len, char *msg, size_t msglen);

/*
 * The program binary to hook: explicit (checked), else /proc/PID/exe when
 * pid > 0, else the first readable of the NULL-terminated candidates
 * (glob patterns allowed: the last match in sort order wins).
 */
int ec_target_bin(const char *explicit_path, pid_t pid, const char *const *candidates, char *out,
		  size_t len, char *msg, size_t msglen);

/*
 * A function defined in the ELF file path (.symtab, then .dynsym) named sym,
 * or, when prefix is set, whose name starts with sym (C++ mangled names:
 * "_Z16dispatch_command"; compiler clones such as NAME.cold are skipped);
 * its full name into out. 0, EC_ERR_NOTFOUND, or
 * EC_ERR_IO (unreadable) / EC_ERR_UNSUPPORTED (not ELF).
 */
int ec_target_symbol(const char *path, const char *sym, int prefix, char *out, size_t len);

/* The value (link-time address) of any defined symbol name: 0 or negative. */
int ec_target_symbol_value(const char *path, const char *name, uint64_t *value);

#define EC_TARGET_SYM_LEN 256
/* Up to max distinct functions whose name starts with prefix: their count, or negative. */
int ec_target_list_symbols(const char *path, const char *prefix, char (*names)[EC_TARGET_SYM_LEN],
			   int max);

/* Why ec_target_symbol failed on path, for "PATH: WHY" messages. */
const char *ec_target_strerror(int err);

#endif
