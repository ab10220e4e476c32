/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The key log of an OpenSSL-family capture: which offsets row reads the
 * keys of the hooked library (--keys-row, else calibrated on the library
 * itself, lib/capture/sslcal.h, else the built-in table), the proof a row
 * from the table must give before its lines are trusted (the client random
 * it reads equals the one the connection's ClientHello carried on the
 * socket), and the NSS key log lines of EC_KIND_KEYS events.
 */
#ifndef EC_SSLSEL_H
#define EC_SSLSEL_H

#include <stddef.h>
#include <stdint.h>

#include "tls_keys.h"

struct ec_mod;
struct ec_event;
struct bpf_program;

struct ec_sslsel_opts {
	const char *keys_row;		  /* --keys-row: a row name, or NULL */
	struct tls_ssl_offsets keys_line; /* --keys-row with a row line, parsed */
	const char *keys_cache;		  /* --keys-cache DIR, "" = none, NULL = default */
	const char *sysroot;		  /* --sysroot: the library's file system */
	int no_calibrate;		  /* --no-calibrate: the table only */
	int no_keys_table;		  /* --no-keys-table: calibration only */
};

/* The hooks that look for the proof (bpf/tls.bpf.c). */
struct ec_sslsel_progs {
	struct bpf_program *hs_enter, *hs_return;
	struct bpf_program *sys_exit; /* NULL: the caller keeps it attached */
	volatile unsigned *verify;    /* the BPF global verify_keys: files waiting */
	int offsets_fd;		      /* the tls_offsets map */
	uint64_t cookie;	      /* the handshake hooks' (the file's slot) */
};

struct ec_sslsel {
	struct ec_mod *m;
	uint32_t slot; /* the file's: its row's key in tls_offsets */
	int have_keys; /* a row was found: off */
	struct tls_ssl_offsets off;
	char from[64];		       /* the row's name ("given" for a line), "" when calibrated */
	struct ec_sslsel_check *check; /* a table row waiting for its proof */
	struct ec_sslsel_progs progs;
};

/* --keys-row NAME|LINE into o: 0, or 2 after a one-line error. */
int ec_sslsel_row_opt(struct ec_sslsel_opts *o, const char *arg);

/* Options that leave no way to the keys: 0, or 2 after a one-line error. */
int ec_sslsel_check_opts(const struct ec_sslsel_opts *o, const char *cmd);

/*
 * Choose the row for the library at path (of this version; the file
 * system of PID when it lies under /proc/PID/root), saying how
 * (startup facts: "key log: ..."). Sets s->have_keys, s->off, s->from.
 * 0 when a row was found, -1 when there are no keys.
 */
int ec_sslsel_choose(struct ec_sslsel *s, struct ec_mod *m, const struct ec_sslsel_opts *o,
		     const char *path, const char *version);

/* --check-keys: "library PATH (VERSION)", how the row is found, "row LINE"
 * on stdout. 0, or -1 when there is none. */
int ec_sslsel_report(struct ec_sslsel *s, struct ec_mod *m, const struct ec_sslsel_opts *o,
		     const char *path, const char *version);

/* Write the chosen row into the loaded tls_offsets map. 0, or -1 after a message. */
int ec_sslsel_load(struct ec_sslsel *s, int offsets_fd);

/* A row from the table: hook the handshake of path and wait for the
 * proof. 0 or -errno. (Nothing to do for a calibrated or given row.) */
int ec_sslsel_start(struct ec_sslsel *s, const char *path, const struct ec_sslsel_progs *p);

/* An EC_KIND_KEYS or EC_KIND_HELLO event. 0 or a negative ec_error. */
int ec_sslsel_event(struct ec_sslsel *s, const struct ec_event *e);

/* Stop looking for the proof (say what waited in vain). */
void ec_sslsel_stop(struct ec_sslsel *s);

#endif
