// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target for lib/proto/mysql, through the whole filter (script.h): port 3306. */
#include "script.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return run_script(data, size, 3306, "mariadb");
}
