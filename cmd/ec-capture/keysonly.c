// SPDX-License-Identifier: GPL-2.0-only
#include "keysonly.h"

#include <string.h>

int keysonly_on;

/* (pid, random) pairs already named: Go logs up to five secrets a handshake */
#define SEEN 256
static struct {
	uint32_t pid;
	uint8_t random[32];
} seen[SEEN];
static unsigned seen_next;

int keysonly_go_keylog(struct ec_mod *m, struct pktcap *pc, const struct ec_event *e)
{
	const struct ec_keylog *k = (const void *)e->data;
	if (!keysonly_on || e->kind != EC_KIND_KEYLOG || e->len < sizeof *k || k->random_len != 32)
		return 0;
	for (unsigned i = 0; i < SEEN; i++)
		if (seen[i].pid == e->pid && !memcmp(seen[i].random, k->random, 32))
			return 0;
	seen[seen_next % SEEN].pid = e->pid;
	memcpy(seen[seen_next % SEEN].random, k->random, 32);
	seen_next++;
	pktcap_note_random(pc, e, k->random);
	return ec_mod_put_handshake(m, e, k->random);
}
