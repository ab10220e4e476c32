// SPDX-License-Identifier: GPL-2.0-only
/* Fuzz lib/capture/sslcal's report check and lib/capture/sslrow's parser: a calibration
 * helper's report is written by a process that ran a foreign library, so
 * every byte of it is untrusted. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "sslcal.h"
#include "sslrow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ec_sslcal_result res;
	struct tls_ssl_offsets off;
	char err[256], *s;
	size_t bad = 0;
	int rc;

	memset(&res, 0, sizeof(res));
	rc = ec_sslcal_check((const char *)data, size, &res, err, sizeof(err));
	if (rc != EC_OK && rc != EC_ERR_PROTO && rc != EC_ERR_UNSUPPORTED)
		abort();
	if (rc != EC_OK && !memchr(err, '\0', sizeof(err)))
		abort();
	if (!(s = malloc(size + 1)))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (ec_sslrow_parse(s, &off, &bad) == 0) {
		/* what parses formats back to a line that parses to the same row */
		char line[EC_SSLROW_MAX];
		struct tls_ssl_offsets again;
		if (ec_sslrow_format(&off, line, sizeof(line)) < 0 ||
		    ec_sslrow_parse(line, &again, NULL) || memcmp(&off, &again, sizeof(off)))
			abort();
	} else if (bad > size) {
		abort();
	}
	free(s);
	return 0;
}
