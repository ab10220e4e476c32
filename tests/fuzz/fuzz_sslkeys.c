// SPDX-License-Identifier: GPL-2.0-only
/* Fuzz lib/capture/sslkeys: arbitrary bytes as the key material a BPF event carries
 * (struct tls_keys) and as a library version string. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "sslkeys.h"

static int check_line(const char *line, void *ctx)
{
	size_t n = strlen(line);

	(void)ctx;
	if (n == 0 || n >= EC_SSLKEYS_LINE_MAX || strchr(line, '\n') || !strchr(line, ' '))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tls_keys k;
	char ver[128];
	int rc;

	memset(&k, 0, sizeof(k));
	memcpy(&k, data, size < sizeof(k) ? size : sizeof(k));
	rc = ec_sslkeys_lines(&k, check_line, NULL);
	if (rc == 0 || (rc < 0 && rc != EC_ERR_PROTO))
		abort();
	if (rc > 6)
		abort();

	/* the whole input as a library file */
	rc = ec_sslkeys_version_buf(data, size, ver, sizeof(ver));
	if (rc == EC_OK) {
		for (const char *p = ver; *p; p++)
			if (*p < 0x20 || *p > 0x7e)
				abort();
		(void)ec_sslkeys_find_row(ver);
	} else if (rc != EC_ERR_NOTFOUND) {
		abort();
	}

	/* the tail after the struct as a version string */
	if (size > sizeof(k)) {
		size_t n = size - sizeof(k);
		if (n >= sizeof(ver))
			n = sizeof(ver) - 1;
		memcpy(ver, data + sizeof(k), n);
		ver[n] = '\0';
		(void)ec_sslkeys_find_row(ver);
	}
	return 0;
}
