// SPDX-License-Identifier: GPL-2.0-only
#include "keysonly.h"

#include <string.h>
#include <time.h>

#include "error.h"
#include "util.h"

int keysonly_on;

/* (pid, random) pairs already named */
#define SEEN 256
static struct {
	uint32_t pid;
	uint8_t random[32];
} seen[SEEN];
static unsigned seen_next;

/* handshakes whose ClientHello was not seen yet */
#define WAITING 256
#define WAIT_NS 1000000000ll
static struct waiting {
	struct ec_event e; /* the header: who */
	uint8_t random[32];
	int64_t since;
	int used;
} waiting[WAITING];

static int64_t mono_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000ll + t.tv_nsec;
}

static int put(struct ec_mod *m, struct pktcap *pc, struct ec_event *e, const uint8_t *random,
	       int last)
{
	if (pktcap_hello_conn(pc, e, random) && !last)
		return 1;
	return ec_mod_put_handshake(m, e, random);
}

int keysonly_handshake(struct ec_mod *m, struct pktcap *pc, const struct ec_event *e,
		       const uint8_t random[32])
{
	for (unsigned i = 0; i < SEEN; i++)
		if (seen[i].pid == e->pid && !memcmp(seen[i].random, random, 32))
			return 0;
	seen[seen_next % SEEN].pid = e->pid;
	memcpy(seen[seen_next % SEEN].random, random, 32);
	seen_next++;
	struct ec_event h = *e;
	h.len = 0;
	int err = put(m, pc, &h, random, 0);
	if (err <= 0)
		return err;
	struct waiting *w = NULL, *oldest = &waiting[0];
	for (unsigned i = 0; i < WAITING && !w; i++) {
		if (!waiting[i].used)
			w = &waiting[i];
		else if (waiting[i].since < oldest->since)
			oldest = &waiting[i];
	}
	if (!w) { /* full: the oldest goes out as it is */
		w = oldest;
		if ((err = put(m, pc, &w->e, w->random, 1)))
			return err;
	}
	w->e = h;
	memcpy(w->random, random, 32);
	w->since = mono_ns();
	w->used = 1;
	return 0;
}

int keysonly_go_keylog(struct ec_mod *m, struct pktcap *pc, const struct ec_event *e)
{
	const struct ec_keylog *k = (const void *)e->data;
	if (!keysonly_on || e->kind != EC_KIND_KEYLOG || e->len < sizeof *k || k->random_len != 32)
		return 0;
	return keysonly_handshake(m, pc, e, k->random);
}

int keysonly_check(struct ec_mod *m, struct pktcap_opts *o, int argc, char **argv, int first,
		   int dry)
{
	if (pktcap_args(o, argc, argv, first))
		return 2;
	if (o->keys_only && !o->ifname && !dry) {
		ec_warn("%s: --keys-only needs --ifname IF: the interface whose packets are "
			"decrypted (e.g. lo, eth0)",
			argv[0]);
		return 2;
	}
	o->owned_only = o->keys_only && (m->o.pid || m->o.uid_set || m->o.ntargets ||
					 m->o.nignores || m->o.ncgroups || m->o.ncontainers);
	return 0;
}

void keysonly_tick(struct ec_mod *m, struct pktcap *pc)
{
	int64_t now = mono_ns();
	for (unsigned i = 0; keysonly_on && i < WAITING; i++) {
		struct waiting *w = &waiting[i];
		if (!w->used)
			continue;
		int err = put(m, pc, &w->e, w->random, now - w->since > WAIT_NS);
		if (err < 0) {
			ec_warn("cannot write a handshake record: %s", ec_strerror(err));
			break;
		}
		if (err == 0)
			w->used = 0;
	}
	pktcap_tick(pc);
}
