// SPDX-License-Identifier: GPL-2.0-only
/* Which offsets row reads the keys, its proof, and the key log lines. */
#include "sslsel.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "event.h"
#include "mod.h"
#include "sslcal.h"
#include "sslkeys.h"
#include "sslrow.h"
#include "util.h"

#define EC_KEYS_CACHE "/var/cache/ec"

int ec_sslsel_row_opt(struct ec_sslsel_opts *o, const char *arg)
{
	size_t bad = 0;
	/* a row line as --check-keys prints it (a layout seen elsewhere) */
	if (strchr(arg, '=') && ec_sslrow_parse(arg, &o->keys_line, &bad)) {
		ec_warn("--keys-row: not a row line at byte %zu: '%.40s' (give a row name, or a "
			"line as --check-keys prints it after \"row \")",
			bad, arg + bad);
		return 2;
	}
	if (!strchr(arg, '=') && !ec_sslkeys_row_by_name(arg)) {
		char names[512] = "";
		size_t n;
		const struct ec_sslkeys_row *rows = ec_sslkeys_rows(&n);
		for (size_t i = 0; i < n; i++)
			snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
				 i ? ", " : "", rows[i].name);
		ec_warn("--keys-row: no row '%s' (rows: %s)", arg, names);
		return 2;
	}
	o->keys_row = arg;
	return 0;
}

int ec_sslsel_check_opts(const struct ec_sslsel_opts *o, const char *cmd)
{
	if (o->no_calibrate && o->no_keys_table) {
		ec_warn("%s: --no-calibrate and --no-keys-table leave no way to the keys", cmd);
		return 2;
	}
	if (o->keys_row && (o->no_calibrate || o->no_keys_table)) {
		ec_warn("%s: --keys-row names a table row: it goes with neither --no-calibrate "
			"nor --no-keys-table",
			cmd);
		return 2;
	}
	return 0;
}

/* A key log fact: "key log: " startup facts, or --check-keys' report. */
static void keys_say(struct ec_sslsel *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void keys_say(struct ec_sslsel *s, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	ec_mod_say(s->m, "%s%s", s->m->o.say_to ? "" : "key log: ", buf);
}

static const char *keys_cache_dir(const struct ec_sslsel_opts *o, char *buf, size_t len)
{
	const char *xdg = getenv("XDG_CACHE_HOME");
	if (o->keys_cache)
		return o->keys_cache;
	if (xdg && xdg[0] == '/') {
		snprintf(buf, len, "%s/ec", xdg);
		return buf;
	}
	return EC_KEYS_CACHE;
}

/* The key log offsets for the library at path: --keys-row's; else learnt
 * from the library itself (lib/capture/sslcal.h), or from the cache; else the
 * table's row for its version, or the nearest one.  0 when found. */
static int choose(struct ec_sslsel *s, const struct ec_sslsel_opts *o, const char *path,
		  const char *version)
{
	long pid;
	const struct ec_sslkeys_row *row;
	char err[512], cache[4096], root[64];
	const char *sysroot = o->sysroot;
	int exact = 0, n = 0;

	if (o->keys_row) {
		row = ec_sslkeys_row_by_name(o->keys_row);
		s->off = row ? row->off : o->keys_line;
		snprintf(s->from, sizeof s->from, "%s", row ? row->name : "given");
		keys_say(s, "offsets row %s (--keys-row)", s->from);
		return 0;
	}
	/* a library seen through /proc/PID/root belongs to that process's tree */
	if (!sysroot && sscanf(path, "/proc/%ld/root/%n", &pid, &n) == 1 && n > 0 &&
	    (size_t)n < sizeof root) {
		snprintf(root, sizeof root, "%.*s", n - 1, path);
		sysroot = root;
	}
	if (!o->no_calibrate) {
		struct ec_sslcal_opts co = {
		    .root = sysroot,
		    .cache_dir = keys_cache_dir(o, cache, sizeof cache),
		};
		struct ec_sslcal_result cr;
		int err_rc = ec_sslcal_row(path, &co, &cr, err, sizeof err);
		if (!err_rc) {
			s->off = cr.off;
			if (cr.cached)
				keys_say(s, "offsets cached for %s (%s, %.1f ms)", cr.id,
					 co.cache_dir, cr.us / 1000.0);
			else
				keys_say(s,
					 "calibrated for %s in %.0f ms: %d key log lines of %d SSL "
					 "objects reproduced%s%s",
					 cr.id, cr.us / 1000.0, cr.lines, cr.objects,
					 co.cache_dir[0] ? ", cached in " : "", co.cache_dir);
			if (cr.note[0])
				keys_say(s, "%s", cr.note);
			return 0;
		}
		keys_say(s, "calibration failed after %.0f ms: %s", cr.us / 1000.0, err);
	}
	if (!o->no_keys_table && (row = ec_sslkeys_nearest_row(version, &exact))) {
		s->off = row->off;
		snprintf(s->from, sizeof s->from, "%s", row->name);
		if (exact)
			keys_say(s, "offsets row %s (table, %s..%s)", row->name, row->first,
				 row->last);
		else
			keys_say(s, "offsets row %s (table, nearest to %s: %s..%s)", row->name,
				 version, row->first, row->last);
		return 0;
	}
	keys_say(s, "no offsets for %s: no TLS keys (docs/TLS-KEYS.md)", version);
	return -1;
}

int ec_sslsel_choose(struct ec_sslsel *s, struct ec_mod *m, const struct ec_sslsel_opts *o,
		     const char *path, const char *version)
{
	s->m = m;
	s->have_keys = choose(s, o, path, version) == 0;
	return s->have_keys ? 0 : -1;
}

int ec_sslsel_report(struct ec_sslsel *s, struct ec_mod *m, const struct ec_sslsel_opts *o,
		     const char *path, const char *version)
{
	char line[EC_SSLROW_MAX];
	printf("library %s (%s)\n", path, version);
	if (ec_sslsel_choose(s, m, o, path, version))
		return -1;
	ec_sslrow_format(&s->off, line, sizeof line);
	printf("row %s\n", line);
	return fflush(stdout) ? -1 : 0;
}

int ec_sslsel_load(struct ec_sslsel *s, int offsets_fd)
{
	if (s->have_keys && bpf_map_update_elem(offsets_fd, &s->slot, &s->off, BPF_ANY)) {
		ec_warn("cannot write the key log offsets map: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * A row from the table is not trusted until proven on this library: the
 * client random it reads for a connection must be the one that
 * connection's ClientHello carried on the socket (EC_KIND_HELLO events,
 * sent while the BPF global verify_keys is set).  Until then key events
 * wait here; the first connection seen both ways settles it.
 */
#define CHECK_HELLOS 1024
#define CHECK_HELD 4096
struct ec_sslsel_check {
	struct {
		uint32_t pid;
		uint64_t ssl;
		uint8_t random[TLS_KEYS_RANDOM_LEN];
	} hello[CHECK_HELLOS];
	size_t nhello, next;
	struct {
		uint32_t pid;
		uint64_t ssl;
		struct tls_keys k;
	} held[CHECK_HELD]; /* a ring: nheld entries from held_first on */
	size_t held_first, nheld;
	uint64_t dropped;
	struct bpf_link *links[8]; /* the handshake and sys_exit hooks */
	int nlinks;
};

static int emit_keys(struct ec_sslsel *s, uint32_t pid, uint64_t ssl, const struct tls_keys *k);
static int check_end(struct ec_sslsel *s, int proven, uint32_t pid, const uint8_t *read_rnd);

static int on_keyline(const char *line, void *m)
{
	return ec_mod_keyline(m, line);
}

#define HELD(c, i) (&(c)->held[((c)->held_first + (i)) % CHECK_HELD])

/* The wire's client random of (pid, ssl), or NULL. */
static const uint8_t *check_hello(struct ec_sslsel_check *c, uint32_t pid, uint64_t ssl)
{
	for (size_t i = 0; i < c->nhello; i++)
		if (c->hello[i].pid == pid && c->hello[i].ssl == ssl)
			return c->hello[i].random;
	return NULL;
}

/* 1 when what the row read for (pid, ssl) settles the question (the check
 * is over then), 0 when that connection's ClientHello was not seen; < 0 on
 * an output error. */
static int check_settle(struct ec_sslsel *s, uint32_t pid, uint64_t ssl, const struct tls_keys *k)
{
	const uint8_t *wire = check_hello(s->check, pid, ssl);
	int err;
	if (!wire)
		return 0;
	err = check_end(s, !memcmp(wire, k->client_random, TLS_KEYS_RANDOM_LEN), pid,
			k->client_random);
	return err < 0 ? err : 1;
}

static int on_hello(struct ec_sslsel *s, const struct ec_event *te)
{
	struct ec_sslsel_check *c = s->check;
	if (!c || te->len != TLS_KEYS_RANDOM_LEN)
		return 0;
	c->hello[c->next].pid = te->pid;
	c->hello[c->next].ssl = te->handle;
	memcpy(c->hello[c->next].random, te->data, TLS_KEYS_RANDOM_LEN);
	c->next = (c->next + 1) % CHECK_HELLOS;
	if (c->nhello < CHECK_HELLOS)
		c->nhello++;
	for (size_t i = 0; i < c->nheld; i++) {
		int rc;
		if (HELD(c, i)->pid != te->pid || HELD(c, i)->ssl != te->handle)
			continue;
		rc = check_settle(s, te->pid, te->handle, &HELD(c, i)->k);
		if (rc)
			return rc < 0 ? rc : 0;
	}
	return 0;
}

static int on_keys(struct ec_sslsel *s, const struct ec_event *te)
{
	struct tls_keys k;
	if (te->len != sizeof k)
		return 0;
	memcpy(&k, te->data, sizeof k);
	if (s->check) {
		struct ec_sslsel_check *c = s->check;
		if (c->nheld == CHECK_HELD) { /* the oldest waits no more */
			c->held_first = (c->held_first + 1) % CHECK_HELD;
			c->nheld--;
			c->dropped++;
		}
		HELD(c, c->nheld)->pid = te->pid;
		HELD(c, c->nheld)->ssl = te->handle;
		HELD(c, c->nheld)->k = k;
		c->nheld++;
		int rc = check_settle(s, te->pid, te->handle, &k);
		return rc < 0 ? rc : 0;
	}
	if (!s->have_keys)
		return 0; /* a row proven wrong: what was in flight is dropped */
	return emit_keys(s, te->pid, te->handle, &k);
}

static int emit_keys(struct ec_sslsel *s, uint32_t pid, uint64_t ssl, const struct tls_keys *k)
{
	int n = ec_sslkeys_lines(k, on_keyline, s->m);

	if (n == EC_ERR_PROTO) {
		if (s->m->o.debug)
			ec_warn("pid %u: key material of SSL* 0x%llx unusable (TLS version 0x%x, "
				"read 0x%x): no key log lines",
				pid, (unsigned long long)ssl, k->version, k->valid);
		return 0;
	}
	return n < 0 ? n : 0;
}

/* The runner's detach: all links wait out one RCU grace period together. */
static void *destroy_links(void *arg)
{
	struct ec_sslsel_check *c = arg;
	ec_mod_detach(c->links, c->nlinks);
	free(c);
	return NULL;
}

/* The proof is in, or the row is shown wrong: stop looking (the extra hooks
 * go in a thread: each detach waits out an RCU grace period), then release
 * or drop the key events that waited. */
static int check_end(struct ec_sslsel *s, int proven, uint32_t pid, const uint8_t *read_rnd)
{
	struct ec_sslsel_check *c = s->check;
	pthread_t th;
	int err = 0;

	s->check = NULL;
	if (*s->progs.verify)
		(*s->progs.verify)--;
	if (proven) {
		keys_say(s,
			 "offsets row %s proven on pid %u: the client random it reads is "
			 "the one its ClientHello carried",
			 s->from, pid);
		for (size_t i = 0; i < c->nheld && !err; i++)
			err = emit_keys(s, HELD(c, i)->pid, HELD(c, i)->ssl, &HELD(c, i)->k);
		if (c->dropped)
			keys_say(s, "%llu connections' keys waited too long and were dropped",
				 (unsigned long long)c->dropped);
	} else {
		struct tls_ssl_offsets none;
		keys_say(
		    s,
		    "offsets row %s is wrong for this library: it read client random "
		    "%02x%02x%02x%02x... for pid %u, whose ClientHello carried another: no TLS "
		    "keys (let calibration run, or --keys-row another row)",
		    s->from, read_rnd[0], read_rnd[1], read_rnd[2], read_rnd[3], pid);
		s->have_keys = 0;
		memset(&none, 0, sizeof none);
		bpf_map_update_elem(s->progs.offsets_fd, &s->slot, &none, BPF_ANY);
	}
	c->nheld = 0;
	if (pthread_create(&th, NULL, destroy_links, c) == 0)
		pthread_detach(th);
	else
		destroy_links(c);
	return err;
}

/* Look for the proof: the handshake calls hooked, sys_exit too, the BPF
 * side told to send the ClientHellos it sees. */
int ec_sslsel_start(struct ec_sslsel *s, const char *path, const struct ec_sslsel_progs *p)
{
	static const char *const syms[] = {"SSL_do_handshake", "SSL_connect", "SSL_accept"};
	struct ec_sslsel_check *c;
	struct bpf_link *l;

	if (!s->have_keys || !s->from[0])
		return 0; /* calibrated or given: nothing to prove */
	if (!(c = calloc(1, sizeof *c)))
		return -ENOMEM;
	s->progs = *p;
	for (size_t i = 0; i < sizeof syms / sizeof *syms; i++)
		for (int ret = 0; ret < 2; ret++) {
			LIBBPF_OPTS(bpf_uprobe_opts, uo, .func_name = syms[i], .retprobe = ret,
				    .bpf_cookie = p->cookie);
			l = bpf_program__attach_uprobe_opts(
			    ret ? s->progs.hs_return : s->progs.hs_enter, -1, path, 0, &uo);
			if (l)
				c->links[c->nlinks++] = l;
		}
	if (s->progs.sys_exit) {
		if (!(l = bpf_program__attach(s->progs.sys_exit))) {
			int err = -errno;
			destroy_links(c);
			return err;
		}
		c->links[c->nlinks++] = l;
	}
	s->check = c;
	(*s->progs.verify)++;
	keys_say(s,
		 "offsets row %s: its lines wait until the client random it reads is seen "
		 "in a ClientHello on the socket",
		 s->from);
	return 0;
}

int ec_sslsel_event(struct ec_sslsel *s, const struct ec_event *e)
{
	return e->kind == EC_KIND_KEYS ? on_keys(s, e) : on_hello(s, e);
}

void ec_sslsel_stop(struct ec_sslsel *s)
{
	if (!s->check)
		return;
	if (s->check->nheld)
		keys_say(s,
			 "offsets row %s never proven (no ClientHello seen for a connection whose "
			 "keys were read): %zu connections' keys not written",
			 s->from, s->check->nheld);
	destroy_links(s->check);
	s->check = NULL;
}
