// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target for lib/proto/pgsql, through the whole filter (script.h): port 5432. */
#include "script.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return run_script(data, size, 5432, "psql");
}
