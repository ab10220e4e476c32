// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: the container a cgroup path names (a cgroup's name is
 * whatever the process that made it chose). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"

/* A field is a string within its bounds. */
static int bounded(const char *s, size_t len)
{
	return memchr(s, '\0', len) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ec_cgroup_info c;
	char *p = malloc(size + 1);
	if (!p)
		return 0;
	memcpy(p, data, size);
	p[size] = '\0';
	int err = ec_cgroup_container(p, &c);
	if (!bounded(c.id, sizeof c.id) || !bounded(c.pod_uid, sizeof c.pod_uid))
		abort();
	if (err == 0 && (!c.kind || !c.id[0]))
		abort(); /* a container has a kind and an id */
	if (err != 0 && (c.kind || c.id[0] || c.pod_uid[0]))
		abort(); /* none: all emptied */
	free(p);
	return 0;
}
