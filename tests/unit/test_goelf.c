// SPDX-License-Identifier: GPL-2.0-only
/* lib/capture/x86ret (instruction lengths, RETs, Go prologues) and lib/capture/goelf (pclntab
 * formats, build info, versions, ELF opening) on hand-made inputs. The bats
 * test tests/bats/gotls.bats checks both on real Go binaries against objdump. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "goelf.h"
#include "x86ret.h"

struct insn {
	const char *hex;
	int len; /* expected length or error */
};

static size_t unhex(const char *h, uint8_t *out, size_t max)
{
	size_t n = 0;
	while (*h && n < max) {
		if (*h == ' ') {
			h++;
			continue;
		}
		unsigned v;
		sscanf(h, "%2x", &v);
		out[n++] = (uint8_t)v;
		h += 2;
	}
	return n;
}

static void test_insn_len(void **state)
{
	(void)state;
	static const struct insn cases[] = {
	    {"49 3b 66 10", 4},			   /* cmp rsp,[r14+0x10] */
	    {"0f 86 c2 03 00 00", 6},		   /* jbe rel32 */
	    {"76 20", 2},			   /* jbe rel8 */
	    {"48 83 ec 68", 4},			   /* sub rsp,0x68 */
	    {"48 89 6c 24 60", 5},		   /* mov [rsp+0x60],rbp (SIB, disp8) */
	    {"48 8d 6c 24 60", 5},		   /* lea */
	    {"49 c7 c5 00 00 00 00", 7},	   /* mov r13,0 (imm32) */
	    {"48 81 ec d0 00 00 00", 7},	   /* sub rsp,imm32 */
	    {"48 b8 01 02 03 04 05 06 07 08", 10}, /* mov rax,imm64 */
	    {"b8 c3 00 00 00", 5},		   /* mov eax,0xc3 */
	    {"66 b8 c3 00", 4},			   /* mov ax,imm16 */
	    {"c3", 1},
	    {"c2 08 00", 3}, /* ret 8 */
	    {"cc", 1},
	    {"e8 2d e2 e8 ff", 5},	       /* call rel32 */
	    {"ff 15 00 00 00 00", 6},	       /* call [rip+0] */
	    {"66 0f 1f 44 00 00", 6},	       /* nopw */
	    {"0f 1f 80 00 00 00 00", 7},       /* nopl disp32 */
	    {"0f 1f 84 00 00 00 00 00", 8},    /* nopl SIB disp32 */
	    {"8b 04 25 10 00 00 00", 7},       /* mov eax,[0x10] (SIB, no base) */
	    {"64 48 8b 0c 25 f8 ff ff ff", 9}, /* mov rcx,fs:[-8] */
	    {"48 3b 61 10", 4},		       /* cmp rsp,[rcx+0x10] */
	    {"c5 f8 77", 3},		       /* vzeroupper */
	    {"c5 fe 6f 06", 4},		       /* vmovdqu ymm0,[rsi] */
	    {"c4 e2 79 18 05 00 00 00 00", 9}, /* vbroadcastss xmm0,[rip] */
	    {"c4 e3 7d 39 c1 01", 6},	       /* vextracti128 (map 3: imm8) */
	    {"62 f1 7c 48 10 00", 6},	       /* vmovups zmm0,[rax] */
	    {"62 f3 7d 48 39 c1 01", 7},       /* EVEX map 3 + imm8 */
	    {"f3 0f b8 c1", 4},		       /* popcnt */
	    {"66 41 0f 3a 0f c1 08", 7},       /* palignr */
	    {"66 0f 38 00 c1", 5},	       /* pshufb */
	    {"0f 70 c1 1b", 4},		       /* pshufw imm8 */
	    {"a1 01 02 03 04 05 06 07 08", 9}, /* mov eax,moffs64 */
	    {"67 a1 01 02 03 04", 6},	       /* moffs32 */
	    {"f6 c1 01", 3},		       /* test cl,1 */
	    {"f7 c1 01 00 00 00", 6},	       /* test ecx,imm32 */
	    {"f7 d8", 2},		       /* neg eax: no imm */
	    {"c8 10 00 00", 4},		       /* enter */
	    {"f0 48 0f b1 0a", 5},	       /* lock cmpxchg */
	    {"0f 05", 2},		       /* syscall */
	    {"d9 c9", 2},		       /* fxch (x87) */
	    {"06", EC_ERR_UNSUPPORTED},	       /* push es: invalid in 64-bit mode */
	    {"0f 04", EC_ERR_UNSUPPORTED},
	    {"48 48 90", EC_ERR_UNSUPPORTED},	    /* two REX */
	    {"c4 e0 79 18 00", EC_ERR_UNSUPPORTED}, /* VEX map 0 */
	    {"66 66 66 66 66 66 66 66 66 66 66 66 66 66 90", EC_ERR_UNSUPPORTED},
	    {"0f", EC_ERR_TRUNCATED},
	    {"e8 00", EC_ERR_TRUNCATED},
	    {"48", EC_ERR_TRUNCATED},
	    {"48 8b 04", EC_ERR_TRUNCATED},
	    {"c4 e2", EC_ERR_TRUNCATED},
	    {"", EC_ERR_TRUNCATED},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		uint8_t b[32];
		size_t n = unhex(cases[i].hex, b, sizeof b);
		int got = ec_x86_insn_len(b, n);
		if (got != cases[i].len)
			fail_msg("'%s': got %d, want %d", cases[i].hex, got, cases[i].len);
	}
}

static void test_find_rets(void **state)
{
	(void)state;
	uint8_t code[64];
	/* prologue; mov eax,0xc3 (a C3 byte that is no RET); ret; call; ret 8; int3 padding */
	size_t n = unhex("49 3b 66 10 76 10 48 83 ec 08 b8 c3 00 00 00 c3 "
			 "e8 00 00 00 00 c2 08 00 cc cc",
			 code, sizeof code);
	uint32_t offs[4];
	size_t count = 0, bad = 0;
	assert_int_equal(ec_x86_find_rets(code, n, offs, 4, &count, &bad), 0);
	assert_int_equal(count, 2);
	assert_int_equal(offs[0], 15);
	assert_int_equal(offs[1], 21);
	/* more RETs than room: all counted, max stored */
	assert_int_equal(ec_x86_find_rets(code, n, offs, 1, &count, &bad), 0);
	assert_int_equal(count, 2);
	/* an undecodable byte stops the walk and says where */
	code[16] = 0x06;
	assert_int_equal(ec_x86_find_rets(code, n, offs, 4, &count, &bad), EC_ERR_UNSUPPORTED);
	assert_int_equal(bad, 16);
	/* cut inside an instruction */
	assert_int_equal(ec_x86_find_rets(code, 13, offs, 4, &count, &bad), EC_ERR_TRUNCATED);
	assert_int_equal(bad, 10);
}

static void test_go_body(void **state)
{
	(void)state;
	uint8_t code[64];
	size_t n = unhex("49 3b 66 10 0f 86 c2 03 00 00 48 83 ec 68", code, sizeof code);
	assert_int_equal(ec_x86_go_body(code, n), 10); /* register ABI */
	n = unhex("4c 8d 64 24 f8 4d 3b 66 10 0f 86 0d 02 00 00 48 81 ec 88 00 00 00", code,
		  sizeof code);
	assert_int_equal(ec_x86_go_body(code, n), 15); /* big frame: lea r12 */
	n = unhex("64 48 8b 0c 25 f8 ff ff ff 48 3b 61 10 76 40 48 83 ec 20", code, sizeof code);
	assert_int_equal(ec_x86_go_body(code, n), 15); /* stack ABI, TLS g */
	n = unhex("55 48 89 e5 48 83 ec 10 c3", code, sizeof code);
	assert_int_equal(ec_x86_go_body(code, n), 0); /* no stack check (C, NOSPLIT) */
	n = unhex("49 3b 66 10 90 90", code, sizeof code);
	assert_int_equal(ec_x86_go_body(code, n), 0); /* a cmp not followed by the branch */
}

/* A go1.18-format pclntab with functions "main.a" (0x1000..0x1010) and
 * "crypto/tls.(*Conn).Read" (0x1010..0x1100), text at 0x400000. */
static size_t make_pcln118(uint8_t *t, size_t max, uint32_t magic)
{
	memset(t, 0, max);
	const unsigned p = 8;
	uint64_t hdr[8] = {2, 0, 0x400000, 0, 0, 0, 0, 0};
	size_t nameoff = 8 + 8 * p, pcln;
	memcpy(t, &magic, 4);
	t[6] = 1;
	t[7] = (uint8_t)p;
	const char names[] = "main.a\0crypto/tls.(*Conn).Read";
	memcpy(t + nameoff, names, sizeof names);
	pcln = (nameoff + sizeof names + 7) & ~7u;
	hdr[3] = nameoff;
	hdr[7] = pcln;
	memcpy(t + 8, hdr, sizeof hdr);
	uint32_t ftab[6] = {0x1000, 24, 0x1010, 32, 0x1100, 0};
	memcpy(t + pcln, ftab, sizeof ftab);
	uint32_t f0[2] = {0x1000, 0}, f1[2] = {0x1010, 7};
	memcpy(t + pcln + 24, f0, sizeof f0);
	memcpy(t + pcln + 32, f1, sizeof f1);
	return pcln + 40;
}

static void test_pclntab118(void **state)
{
	(void)state;
	uint8_t t[256];
	uint64_t e = 0, s = 0;
	size_t n = make_pcln118(t, sizeof t, 0xfffffff0);
	assert_string_equal(ec_pclntab_format(t, n), "1.18");
	assert_int_equal(ec_pclntab_find(t, n, 0, "crypto/tls.(*Conn).Read", &e, &s), 0);
	assert_int_equal(e, 0x401010);
	assert_int_equal(s, 0xf0);
	assert_int_equal(ec_pclntab_find(t, n, 0, "main.a", &e, &s), 0);
	assert_int_equal(e, 0x401000);
	assert_int_equal(s, 0x10);
	assert_int_equal(ec_pclntab_find(t, n, 0, "main", &e, &s), EC_ERR_NOTFOUND); /* prefix */
	assert_int_equal(ec_pclntab_find(t, n, 0, "crypto/tls.(*Conn).Reader", &e, &s),
			 EC_ERR_NOTFOUND);
	n = make_pcln118(t, sizeof t, 0xfffffff1);
	assert_string_equal(ec_pclntab_format(t, n), "1.20");
	/* textStart 0 in the table (not relocated): the caller's .text address */
	memset(t + 8 + 16, 0, 8);
	assert_int_equal(ec_pclntab_find(t, n, 0x500000, "main.a", &e, &s), 0);
	assert_int_equal(e, 0x501000);
	/* every cut of the table is refused or not found, never overread */
	for (size_t cut = 0; cut < n; cut++) {
		int rc = ec_pclntab_find(t, cut, 0, "crypto/tls.(*Conn).Read", &e, &s);
		assert_true(rc == EC_ERR_PROTO || rc == EC_ERR_NOTFOUND);
	}
	/* a function offset pointing past the end */
	n = make_pcln118(t, sizeof t, 0xfffffff0);
	uint64_t pcln;
	memcpy(&pcln, t + 8 + 7 * 8, 8);
	uint32_t bad = 0x7fffffff;
	memcpy(t + pcln + 4, &bad, 4);
	assert_int_equal(ec_pclntab_find(t, n, 0, "main.a", &e, &s), EC_ERR_PROTO);
	/* not a pclntab */
	t[0] = 0;
	assert_null(ec_pclntab_format(t, n));
	assert_int_equal(ec_pclntab_find(t, n, 0, "main.a", &e, &s), EC_ERR_PROTO);
}

/* go1.2 and go1.16 formats: pointer-sized {entry, funcoff} pairs */
static void test_pclntab_old(void **state)
{
	(void)state;
	uint8_t t[256];
	uint64_t e = 0, s = 0;
	/* 1.2: header 16 bytes, functab at 16: {0x401000, 48} {0x401040, 64} {0x401100, -} */
	memset(t, 0, sizeof t);
	uint32_t magic = 0xfffffffb;
	memcpy(t, &magic, 4);
	t[6] = 1;
	t[7] = 8;
	uint64_t nf = 2, ft[5] = {0x401000, 72, 0x401040, 84, 0x401100};
	memcpy(t + 8, &nf, 8);
	memcpy(t + 16, ft, sizeof ft);
	uint64_t ent0 = 0x401000, ent1 = 0x401040;
	int32_t no0 = 100, no1 = 110;
	memcpy(t + 72, &ent0, 8);
	memcpy(t + 80, &no0, 4);
	memcpy(t + 84, &ent1, 8);
	memcpy(t + 92, &no1, 4);
	memcpy(t + 100, "main.b\0", 7);
	memcpy(t + 110, "main.main", 10);
	assert_string_equal(ec_pclntab_format(t, 128), "1.2");
	assert_int_equal(ec_pclntab_find(t, 128, 0, "main.main", &e, &s), 0);
	assert_int_equal(e, 0x401040);
	assert_int_equal(s, 0xc0);
	assert_int_equal(ec_pclntab_find(t, 128, 0, "main.b", &e, &s), 0);
	assert_int_equal(e, 0x401000);
	assert_int_equal(ec_pclntab_find(t, 115, 0, "main.main", &e, &s), EC_ERR_NOTFOUND);
	/* 1.16: offsets in the header; names at nameoff, functab at pclnoff */
	memset(t, 0, sizeof t);
	magic = 0xfffffffa;
	memcpy(t, &magic, 4);
	t[6] = 1;
	t[7] = 8;
	uint64_t hdr[7] = {1, 0, 64, 0, 0, 0, 80};
	memcpy(t + 8, hdr, sizeof hdr);
	memcpy(t + 64, "x\0main.main", 12);
	uint64_t ft16[3] = {0x402000, 24, 0x402080};
	memcpy(t + 80, ft16, sizeof ft16);
	uint64_t ent = 0x402000;
	int32_t no = 2;
	memcpy(t + 80 + 24, &ent, 8);
	memcpy(t + 80 + 32, &no, 4);
	assert_string_equal(ec_pclntab_format(t, 128), "1.16");
	assert_int_equal(ec_pclntab_find(t, 128, 0, "main.main", &e, &s), 0);
	assert_int_equal(e, 0x402000);
	assert_int_equal(s, 0x80);
}

static void test_buildinfo(void **state)
{
	(void)state;
	uint8_t b[64] = "\xff Go buildinf:";
	char v[32];
	uint64_t ptr = 0;
	int psz = 0;
	b[14] = 8;
	b[15] = 2;
	b[32] = 8;
	memcpy(b + 33, "go1.19.8", 8);
	assert_int_equal(ec_gobuildinfo_version(b, sizeof b, v, sizeof v, &ptr, &psz), 0);
	assert_string_equal(v, "go1.19.8");
	/* a length running past the blob */
	b[32] = 60;
	assert_int_equal(ec_gobuildinfo_version(b, sizeof b, v, sizeof v, &ptr, &psz),
			 EC_ERR_PROTO);
	/* pre-1.18: pointers to runtime.buildVersion */
	b[15] = 0;
	uint64_t p = 0x8dcf70;
	memcpy(b + 16, &p, 8);
	assert_int_equal(ec_gobuildinfo_version(b, sizeof b, v, sizeof v, &ptr, &psz),
			 EC_ERR_UNSUPPORTED);
	assert_int_equal(ptr, 0x8dcf70);
	assert_int_equal(psz, 8);
	b[1] = 'x';
	assert_int_equal(ec_gobuildinfo_version(b, sizeof b, v, sizeof v, &ptr, &psz),
			 EC_ERR_PROTO);
}

static void test_versions(void **state)
{
	(void)state;
	int ma = 0, mi = 0;
	assert_int_equal(ec_go_version_parse("go1.19.8", &ma, &mi), 0);
	assert_int_equal(ma, 1);
	assert_int_equal(mi, 19);
	assert_int_equal(ec_go_version_parse("devel go1.23-abcdef Tue", &ma, &mi), 0);
	assert_int_equal(mi, 23);
	assert_int_equal(ec_go_version_parse("go1.21rc2", &ma, &mi), 0);
	assert_int_equal(mi, 21);
	assert_int_equal(ec_go_version_parse("gopher", &ma, &mi), EC_ERR_INVAL);
	assert_int_equal(ec_go_version_parse("go1", &ma, &mi), EC_ERR_INVAL);
	assert_true(ec_go_regabi("go1.19.8", EM_X86_64));
	assert_true(ec_go_regabi("go1.17", EM_X86_64));
	assert_false(ec_go_regabi("go1.16.15", EM_X86_64));
	assert_false(ec_go_regabi("go1.19.8 X:noregabiargs,noregabiwrappers", EM_X86_64));
	assert_false(ec_go_regabi("go1.17.2", EM_AARCH64));
	assert_true(ec_go_regabi("go1.18", EM_AARCH64));
	assert_false(ec_go_regabi(NULL, EM_X86_64));
	assert_false(ec_go_regabi("go1.19", 3 /* EM_386 */));
}

static void test_open(void **state)
{
	(void)state;
	char msg[256];
	uint8_t junk[128] = "not an elf";
	assert_null(ec_goelf_open_mem(junk, sizeof junk, msg, sizeof msg));
	assert_non_null(strstr(msg, "not an ELF"));
	assert_null(ec_goelf_open("/nonexistent/x", msg, sizeof msg));
	assert_non_null(strstr(msg, "/nonexistent/x: No such file"));
	/* this test program: an ELF, but no Go in it */
	struct ec_goelf *g = ec_goelf_open("/proc/self/exe", msg, sizeof msg);
	assert_non_null(g);
	assert_int_equal(ec_goelf_machine(g), EM_X86_64);
	assert_null(ec_goelf_version(g));
	assert_null(ec_goelf_pclntab_format(g));
	struct ec_gofunc f;
	assert_int_equal(ec_goelf_func(g, "crypto/tls.(*Conn).Read", 0, &f), EC_ERR_NOTFOUND);
	/* its own C functions come from .symtab, with their code */
	if (ec_goelf_has_symtab(g)) {
		assert_int_equal(ec_goelf_func(g, "ec_x86_insn_len", 0, &f), 0);
		assert_string_equal(f.from, "symtab");
		assert_true(f.size > 0);
		assert_memory_equal(f.code, (const void *)ec_x86_insn_len, 16);
	}
	ec_goelf_close(g);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("%s: missing (regenerate with tools/goelf-seeds.py)", path);
	static uint8_t buf[8192];
	*len = fread(buf, 1, sizeof buf, f);
	fclose(f);
	return buf;
}

/* tools/goelf-seeds.py's tiny Go-shaped ELF files, with and without section headers */
static void test_open_mini(void **state)
{
	(void)state;
	static const char *const files[] = {"tests/fuzz/corpus/goelf/mini.elf",
					    "tests/fuzz/corpus/goelf/mini-noshdr.elf"};
	for (int k = 0; k < 2; k++) {
		char msg[256];
		size_t len;
		uint8_t *buf = slurp(files[k], &len);
		struct ec_goelf *g = ec_goelf_open_mem(buf, len, msg, sizeof msg);
		assert_non_null(g);
		assert_string_equal(ec_goelf_version(g), "go1.19.8");
		assert_string_equal(ec_goelf_pclntab_format(g), "1.18");
		assert_false(ec_goelf_has_symtab(g));
		struct ec_gofunc f;
		assert_int_equal(ec_goelf_func(g, "crypto/tls.(*Conn).Read", 0, &f), 0);
		assert_string_equal(f.from, "pclntab");
		assert_int_equal(f.addr, 0x400100);
		assert_int_equal(f.offset, 0x100);
		assert_int_equal(f.size, 32); /* up to the next function, padding included */
		uint32_t offs[4];
		size_t n, bad;
		assert_int_equal(ec_x86_find_rets(f.code, f.size, offs, 4, &n, &bad), 0);
		assert_int_equal(n, 2);
		assert_int_equal(offs[0], 15);
		assert_int_equal(offs[1], 21);
		assert_int_equal(ec_x86_go_body(f.code, f.size), 6);
		assert_int_equal(ec_goelf_func(g, "crypto/tls.(*Config).writeKeyLog", 1, &f), 0);
		assert_int_equal(ec_x86_go_body(f.code, f.size), 15);
		assert_int_equal(ec_goelf_func(g, "crypto/tls.(*Conn).Write", 0, &f),
				 EC_ERR_NOTFOUND);
		ec_goelf_close(g);
		/* every cut of the file: refused or partial, never an overread (ASan) */
		for (size_t cut = 0; cut < len; cut += 8) {
			g = ec_goelf_open_mem(buf, cut, msg, sizeof msg);
			if (!g)
				continue;
			if (ec_goelf_func(g, "crypto/tls.(*Conn).Read", 0, &f) == 0)
				assert_true(f.offset + f.size <= cut);
			ec_goelf_close(g);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_insn_len),	cmocka_unit_test(test_find_rets),
	    cmocka_unit_test(test_go_body),	cmocka_unit_test(test_pclntab118),
	    cmocka_unit_test(test_pclntab_old), cmocka_unit_test(test_buildinfo),
	    cmocka_unit_test(test_versions),	cmocka_unit_test(test_open),
	    cmocka_unit_test(test_open_mini),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
