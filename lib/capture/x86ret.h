/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A small x86-64 instruction length decoder, enough to walk a compiled
 * function instruction by instruction: find its RET instructions (return
 * probes on Go code, where uretprobes are unsafe) and the end of Go's
 * stack-check prologue (entry probes that fire once per call).
 *
 * It knows the length of every 64-bit-mode instruction of the general
 * purpose, x87, SSE*, AVX/AVX2 (VEX) and AVX-512 (EVEX) encodings; it does
 * not know what they do. Limits (docs/GOTLS.md): AMD XOP/3DNow! and 0F 78
 * with operand-size prefix (EXTRQ) are treated as errors; bytes that are
 * data inside .text (jump tables: Go puts none there) would be misread.
 */
#ifndef EC_X86RET_H
#define EC_X86RET_H

#include <stddef.h>
#include <stdint.h>

/*
 * Length of the instruction at code[0..n): 1..15, or EC_ERR_TRUNCATED when
 * it runs past n, EC_ERR_UNSUPPORTED for an opcode invalid in 64-bit mode
 * or one this decoder does not know.
 */
int ec_x86_insn_len(const uint8_t *code, size_t n);

/*
 * Offsets of every RET (C3, C2 iw) in the function code[0..n), walking it
 * from offset 0. At most max offsets are stored; *count gets how many there
 * are. Returns 0, or the decoder's error with *err_off the failing offset.
 * INT3 padding after the last instruction is walked like any instruction.
 */
int ec_x86_find_rets(const uint8_t *code, size_t n, uint32_t *offs, size_t max, size_t *count,
		     size_t *err_off);

/*
 * The offset just past Go's stack-growth check at a function's entry:
 *   [lea r12,[rsp-N]]  cmp rsp|r12,[r14+16] (register ABI) or
 *   mov rcx,fs:[-8] ... cmp rsp,[rcx+16] (stack ABI),  then jbe/jb.
 * The morestack path jumps back to the entry, so a probe there fires twice
 * for one call; a probe after the branch fires once. Returns 0 when the
 * function has no such prologue in its first 6 instructions.
 */
size_t ec_x86_go_body(const uint8_t *code, size_t n);

#endif
