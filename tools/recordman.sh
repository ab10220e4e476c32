#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# ec-record(5) from docs/PROTOCOL.md: the record stream is written down once.
#   tools/recordman.sh VERSION < docs/PROTOCOL.md > ec-record.5
set -eu
{
	printf '%% ec-record 5 "" "ec %s" "ec manual"\n\n# NAME\n\n' "$1"
	printf 'ec-record - the record stream between ec tools: varint-length-delimited protobuf LogEntry\n\n'
	printf '# DESCRIPTION\n\n'
	# the document's title is the page's NAME; its sections are the page's
	sed -e '1d' -e 's/^## /# /'
	printf '\n# SEE ALSO\n\n**ec-capture**(8), **ec-parse**(1), **ec-dump**(1), **ec-serve**(1), **ec-forward**(1), **ec-ctl**(1), **ec-nats**(1)\n'
} | go-md2man |
	# go-md2man's tables: every cell a text block, the last column expanded to
	# the line, so a table wraps within the page; ragged right, as long code
	# words cannot be adjusted
	awk '
	NR == 1 { print ".ad l" }
	/^\.TS/ { tbl = 1; fmt = 0; print; next }
	/^\.TE/ { tbl = 0; print; next }
	tbl && !fmt {
		if ($0 ~ /\.$/) fmt = 1
		sub(/l *\.?$/, "lx" ($0 ~ /\.$/ ? " ." : ""))
		print; next
	}
	tbl && /\tT\{$/ { blk = 1 }
	tbl && blk { print; if ($0 == "T}") blk = 0; next }
	tbl && /\t/ {
		n = split($0, c, "\t")
		for (i = 1; i <= n; i++)
			printf "%sT{\n%s\nT}", (i > 1 ? "\t" : ""), c[i]
		print ""; next
	}
	{ print }'
