// SPDX-License-Identifier: GPL-2.0-only
#include "x86ret.h"
#include "error.h"

/* What follows an opcode byte. */
enum {
	O_BAD = 0, /* invalid in 64-bit mode, or unknown here */
	O_NONE,	   /* no operand bytes */
	O_M,	   /* ModRM (+ SIB, displacement) */
	O_MIB,	   /* ModRM, imm8 */
	O_MIZ,	   /* ModRM, imm16/32 */
	O_IB,	   /* imm8 */
	O_IW,	   /* imm16 */
	O_IZ,	   /* imm16/32 by operand size */
	O_I32,	   /* rel32 (call/jmp/jcc: 32 bits in 64-bit mode) */
	O_IV,	   /* imm16/32/64 (mov r, imm) */
	O_MOFFS,   /* 64-bit address (32 with 0x67) */
	O_ENTER,   /* imm16, imm8 */
	O_GRP3,	   /* F6/F7: ModRM, imm only for /0 and /1 */
	O_PREFIX,  /* legacy prefix */
	O_REX,	   /* 40-4F */
	O_ESC,	   /* 0F */
	O_VEX2,	   /* C5 */
	O_VEX3,	   /* C4 */
	O_EVEX,	   /* 62 */
};

static const unsigned char one_byte[256] = {
    [0x00 ... 0x03] = O_M,
    [0x04] = O_IB,
    [0x05] = O_IZ,
    [0x08 ... 0x0b] = O_M,
    [0x0c] = O_IB,
    [0x0d] = O_IZ,
    [0x0f] = O_ESC,
    [0x10 ... 0x13] = O_M,
    [0x14] = O_IB,
    [0x15] = O_IZ,
    [0x18 ... 0x1b] = O_M,
    [0x1c] = O_IB,
    [0x1d] = O_IZ,
    [0x20 ... 0x23] = O_M,
    [0x24] = O_IB,
    [0x25] = O_IZ,
    [0x26] = O_PREFIX,
    [0x28 ... 0x2b] = O_M,
    [0x2c] = O_IB,
    [0x2d] = O_IZ,
    [0x2e] = O_PREFIX,
    [0x30 ... 0x33] = O_M,
    [0x34] = O_IB,
    [0x35] = O_IZ,
    [0x36] = O_PREFIX,
    [0x38 ... 0x3b] = O_M,
    [0x3c] = O_IB,
    [0x3d] = O_IZ,
    [0x3e] = O_PREFIX,
    [0x40 ... 0x4f] = O_REX,
    [0x50 ... 0x5f] = O_NONE,
    [0x62] = O_EVEX,
    [0x63] = O_M,
    [0x64 ... 0x67] = O_PREFIX,
    [0x68] = O_IZ,
    [0x69] = O_MIZ,
    [0x6a] = O_IB,
    [0x6b] = O_MIB,
    [0x6c ... 0x6f] = O_NONE,
    [0x70 ... 0x7f] = O_IB,
    [0x80] = O_MIB,
    [0x81] = O_MIZ,
    [0x83] = O_MIB,
    [0x84 ... 0x8f] = O_M,
    [0x90 ... 0x99] = O_NONE,
    [0x9b ... 0x9f] = O_NONE,
    [0xa0 ... 0xa3] = O_MOFFS,
    [0xa4 ... 0xa7] = O_NONE,
    [0xa8] = O_IB,
    [0xa9] = O_IZ,
    [0xaa ... 0xaf] = O_NONE,
    [0xb0 ... 0xb7] = O_IB,
    [0xb8 ... 0xbf] = O_IV,
    [0xc0 ... 0xc1] = O_MIB,
    [0xc2] = O_IW,
    [0xc3] = O_NONE,
    [0xc4] = O_VEX3,
    [0xc5] = O_VEX2,
    [0xc6] = O_MIB,
    [0xc7] = O_MIZ,
    [0xc8] = O_ENTER,
    [0xc9] = O_NONE,
    [0xca] = O_IW,
    [0xcb ... 0xcc] = O_NONE,
    [0xcd] = O_IB,
    [0xcf] = O_NONE,
    [0xd0 ... 0xd3] = O_M,
    [0xd7] = O_NONE,
    [0xd8 ... 0xdf] = O_M,
    [0xe0 ... 0xe7] = O_IB,
    [0xe8 ... 0xe9] = O_I32,
    [0xeb] = O_IB,
    [0xec ... 0xef] = O_NONE,
    [0xf0] = O_PREFIX,
    [0xf1] = O_NONE,
    [0xf2 ... 0xf3] = O_PREFIX,
    [0xf4 ... 0xf5] = O_NONE,
    [0xf6 ... 0xf7] = O_GRP3,
    [0xf8 ... 0xfd] = O_NONE,
    [0xfe ... 0xff] = O_M,
};

/* The 0F map (two-byte opcodes). */
static const unsigned char two_byte[256] = {
    [0x00 ... 0x03] = O_M,
    [0x05 ... 0x09] = O_NONE,
    [0x0b] = O_NONE,
    [0x0d] = O_M,
    [0x0e] = O_NONE,
    [0x0f] = O_MIB, /* 3DNow! */
    [0x10 ... 0x23] = O_M,
    [0x28 ... 0x2f] = O_M,
    [0x30 ... 0x37] = O_NONE,
    [0x40 ... 0x6f] = O_M,
    [0x70 ... 0x73] = O_MIB,
    [0x74 ... 0x76] = O_M,
    [0x77] = O_NONE,
    [0x78 ... 0x79] = O_M,
    [0x7c ... 0x7f] = O_M,
    [0x80 ... 0x8f] = O_I32,
    [0x90 ... 0x9f] = O_M,
    [0xa0 ... 0xa2] = O_NONE,
    [0xa3] = O_M,
    [0xa4] = O_MIB,
    [0xa5] = O_M,
    [0xa8 ... 0xaa] = O_NONE,
    [0xab] = O_M,
    [0xac] = O_MIB,
    [0xad ... 0xb9] = O_M,
    [0xba] = O_MIB,
    [0xbb ... 0xc1] = O_M,
    [0xc2] = O_MIB,
    [0xc3] = O_M,
    [0xc4 ... 0xc6] = O_MIB,
    [0xc7] = O_M,
    [0xc8 ... 0xcf] = O_NONE,
    [0xd0 ... 0xff] = O_M,
};

/* Does the VEX/EVEX opcode op of map `map` take an imm8? */
static int vex_imm8(unsigned map, uint8_t op)
{
	if (map == 3)
		return 1;
	if (map == 1)
		return (op >= 0x70 && op <= 0x73) || op == 0xc2 || (op >= 0xc4 && op <= 0xc6);
	return 0;
}

/* Bytes of ModRM + SIB + displacement at p (32/64-bit addressing). */
static int modrm_len(const uint8_t *p, size_t n)
{
	if (n < 1)
		return EC_ERR_TRUNCATED;
	unsigned mod = p[0] >> 6, rm = p[0] & 7;
	int len = 1;
	if (mod == 3)
		return 1;
	if (rm == 4) {
		if (n < 2)
			return EC_ERR_TRUNCATED;
		len++;
		if (mod == 0 && (p[1] & 7) == 5)
			len += 4;
	} else if (mod == 0 && rm == 5) {
		len += 4; /* RIP-relative */
	}
	if (mod == 1)
		len += 1;
	else if (mod == 2)
		len += 4;
	return len;
}

int ec_x86_insn_len(const uint8_t *code, size_t n)
{
	size_t i = 0;
	int opsize16 = 0, addr32 = 0, rexw = 0;
	unsigned kind;

	/* legacy prefixes, then at most one REX right before the opcode */
	for (;;) {
		if (i >= n)
			return EC_ERR_TRUNCATED;
		if (i >= 14)
			return EC_ERR_UNSUPPORTED; /* 15-byte limit */
		kind = one_byte[code[i]];
		if (kind == O_PREFIX) {
			if (code[i] == 0x66)
				opsize16 = 1;
			else if (code[i] == 0x67)
				addr32 = 1;
			i++;
			continue;
		}
		if (kind == O_REX) {
			rexw = (code[i] & 8) != 0;
			i++;
			if (i >= n)
				return EC_ERR_TRUNCATED;
			kind = one_byte[code[i]];
			if (kind == O_PREFIX || kind == O_REX)
				return EC_ERR_UNSUPPORTED; /* REX must come last */
		}
		break;
	}
	uint8_t op = code[i++];
	int m = 0, imm = 0;

	switch (kind) {
	case O_ESC: {
		if (i >= n)
			return EC_ERR_TRUNCATED;
		uint8_t op2 = code[i++];
		if (op2 == 0x38) {
			if (i >= n)
				return EC_ERR_TRUNCATED;
			i++;
			m = 1;
		} else if (op2 == 0x3a) {
			if (i >= n)
				return EC_ERR_TRUNCATED;
			i++;
			m = 1;
			imm = 1;
		} else {
			switch (two_byte[op2]) {
			case O_NONE:
				break;
			case O_M:
				m = 1;
				break;
			case O_MIB:
				m = 1;
				imm = 1;
				break;
			case O_I32:
				imm = 4;
				break;
			default:
				return EC_ERR_UNSUPPORTED;
			}
		}
		break;
	}
	case O_VEX2:
	case O_VEX3:
	case O_EVEX: {
		size_t plen = kind == O_VEX2 ? 1 : kind == O_VEX3 ? 2 : 3;
		if (i + plen >= n)
			return EC_ERR_TRUNCATED;
		unsigned map = kind == O_VEX2	? 1
			       : kind == O_VEX3 ? (code[i] & 0x1f)
						: (code[i] & 7);
		if (map < 1 || (map > 3 && !(kind == O_EVEX && (map == 5 || map == 6))))
			return EC_ERR_UNSUPPORTED;
		i += plen;
		uint8_t vop = code[i++];
		if (!(map == 1 && vop == 0x77)) /* vzeroupper/vzeroall: no ModRM */
			m = 1;
		imm = vex_imm8(map, vop);
		break;
	}
	case O_NONE:
		break;
	case O_M:
		m = 1;
		break;
	case O_MIB:
		m = 1;
		imm = 1;
		break;
	case O_MIZ:
		m = 1;
		imm = opsize16 && !rexw ? 2 : 4;
		break;
	case O_IB:
		imm = 1;
		break;
	case O_IW:
		imm = 2;
		break;
	case O_IZ:
		imm = opsize16 && !rexw ? 2 : 4;
		break;
	case O_I32:
		imm = 4;
		break;
	case O_IV:
		imm = rexw ? 8 : opsize16 ? 2 : 4;
		break;
	case O_MOFFS:
		imm = addr32 ? 4 : 8;
		break;
	case O_ENTER:
		imm = 3;
		break;
	case O_GRP3:
		if (i >= n)
			return EC_ERR_TRUNCATED;
		m = 1;
		if (((code[i] >> 3) & 7) < 2)
			imm = op == 0xf6 ? 1 : (opsize16 && !rexw ? 2 : 4);
		break;
	default:
		return EC_ERR_UNSUPPORTED;
	}
	if (m) {
		int ml = modrm_len(code + i, n - i);
		if (ml < 0)
			return ml;
		i += (size_t)ml;
	}
	i += (size_t)imm;
	if (i > 15)
		return EC_ERR_UNSUPPORTED;
	if (i > n)
		return EC_ERR_TRUNCATED;
	return (int)i;
}

int ec_x86_find_rets(const uint8_t *code, size_t n, uint32_t *offs, size_t max, size_t *count,
		     size_t *err_off)
{
	size_t off = 0, c = 0;
	while (off < n) {
		int len = ec_x86_insn_len(code + off, n - off);
		if (len < 0) {
			if (err_off)
				*err_off = off;
			*count = c;
			return len;
		}
		/* the opcode byte: skip legacy prefixes (Go writes no REX on RET) */
		size_t p = off;
		while (p < off + (size_t)len - 1 && one_byte[code[p]] == O_PREFIX)
			p++;
		if ((code[p] == 0xc3 || code[p] == 0xc2) &&
		    p + (code[p] == 0xc3 ? 1 : 3) == off + (size_t)len) {
			if (c < max)
				offs[c] = (uint32_t)off;
			c++;
		}
		off += (size_t)len;
	}
	*count = c;
	return 0;
}

size_t ec_x86_go_body(const uint8_t *code, size_t n)
{
	size_t off = 0;
	int saw_cmp = 0;
	for (int k = 0; k < 6 && off < n; k++) {
		int len = ec_x86_insn_len(code + off, n - off);
		if (len < 0)
			return 0;
		const uint8_t *p = code + off;
		/* cmp reg, [reg+0x10] : [REX] 3B ModRM(mod=01) [SIB] 10 */
		size_t j = 0;
		if ((p[0] & 0xf0) == 0x40)
			j = 1;
		if ((size_t)len > j + 2 && p[j] == 0x3b && (p[j + 1] >> 6) == 1 &&
		    p[len - 1] == 0x10)
			saw_cmp = 1;
		off += (size_t)len;
		if (saw_cmp) {
			/* the next instruction must be the branch to morestack */
			int bl = ec_x86_insn_len(code + off, n - off);
			if (bl < 0)
				return 0;
			const uint8_t *b = code + off;
			if ((bl == 2 && (b[0] == 0x76 || b[0] == 0x72)) ||
			    (bl == 6 && b[0] == 0x0f && (b[1] == 0x86 || b[1] == 0x82)))
				return off + (size_t)bl;
			return 0;
		}
	}
	return 0;
}
