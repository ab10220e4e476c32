// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: Go ELF analysis (libelf + our pclntab/buildinfo parsers)
 * and the x86-64 length decoder, on arbitrary bytes. */
#include <stdint.h>
#include <string.h>

#include "goelf.h"
#include "x86ret.h"

static const char *const names[] = {
    "crypto/tls.(*Conn).Read",
    "crypto/tls.(*Conn).writeRecordLocked",
    "runtime.main",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t offs[64];
	size_t count, bad;
	uint64_t e, s, ptr;
	int psz;
	char v[64];

	/* the raw parsers on the input itself */
	ec_x86_find_rets(data, size, offs, 64, &count, &bad);
	ec_x86_go_body(data, size);
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		ec_pclntab_find(data, size, 0x401000, names[i], &e, &s);
	ec_gobuildinfo_version(data, size, v, sizeof v, &ptr, &psz);
	if (size && size < sizeof v) {
		memcpy(v, data, size);
		v[size] = '\0';
		ec_go_regabi(v, 62);
	}

	/* the whole file path: ELF through libelf, then our tables */
	char msg[256];
	struct ec_goelf *g = ec_goelf_open_mem(data, size, msg, sizeof msg);
	if (!g)
		return 0;
	ec_goelf_version(g);
	ec_goelf_pclntab_format(g);
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		for (int po = 0; po < 2; po++) {
			struct ec_gofunc f;
			if (ec_goelf_func(g, names[i], po, &f) == 0) {
				ec_x86_find_rets(f.code, f.size, offs, 64, &count, &bad);
				ec_x86_go_body(f.code, f.size);
			}
		}
	ec_goelf_close(g);
	return 0;
}
