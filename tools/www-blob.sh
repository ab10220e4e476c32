#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The page's files as one object's read-only data (assembler on stdout):
# for each FILE, ec_www_NAME and ec_www_NAME_end around its bytes, NAME
# its base name with '.' and '-' as '_' (lib/serve/www.c lists them).
set -eu
printf '.section .rodata\n'
for f in "$@"; do
	n=ec_www_$(basename "$f" | tr '.-' '__')
	printf '.balign 16\n.globl %s\n.globl %s_end\n%s:\n.incbin "%s"\n%s_end:\n' "$n" "$n" "$n" "$f" "$n"
done
printf '.section .note.GNU-stack,"",@progbits\n'
