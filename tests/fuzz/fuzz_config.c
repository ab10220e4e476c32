// SPDX-License-Identifier: GPL-2.0-only
/*
 * lib/config/config: any body for any module either parses (then serializes and
 * parses again to the same fields) or fails with a code and a message.
 * The first byte picks the module.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	static const char *const mods[] = {"tls",  "gotls",  "gnutls",	 "nss",
					   "bash", "mysqld", "postgres", "nope"};
	const char *mod = mods[data[0] % 8];
	char msg[256];
	struct ec_config cfg;
	int rc = ec_config_parse(mod, (const char *)data + 1, size - 1, &cfg, msg, sizeof msg);
	if (rc < 0 || rc > EC_RESP_SEND_FAILED)
		abort();
	if (rc != EC_RESP_OK) {
		if (!msg[0])
			abort();
		return 0;
	}
	char *j = ec_config_to_json(&cfg);
	struct ec_config again;
	if (ec_config_parse(mod, j, strlen(j), &again, msg, sizeof msg) != EC_RESP_OK ||
	    again.present != cfg.present || again.pid != cfg.pid || again.n_target != cfg.n_target)
		abort();
	ec_config_free(&again);
	free(j);
	char *r = ec_config_response(rc, mod, msg);
	int code;
	if (ec_config_response_parse(r, strlen(r), &code, msg, sizeof msg) || code != rc)
		abort();
	free(r);
	ec_config_free(&cfg);
	return 0;
}
