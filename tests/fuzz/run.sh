#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Run each fuzz target for $1 seconds over its corpus (tests/fuzz/corpus/NAME).
set -eu
secs=$1
shift
for t in "$@"; do
	name=$(basename "$t")
	corpus=tests/fuzz/corpus/${name#fuzz_}
	work=build/fuzz/corpus-${name#fuzz_}
	mkdir -p "$work" tests/fuzz/artifacts
	[ -d "$corpus" ] && cp -n "$corpus"/* "$work"/ 2>/dev/null || true
	echo "fuzz: $name for ${secs}s"
	"$t" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=1024 \
		-artifact_prefix=tests/fuzz/artifacts/ "$work" 2>build/fuzz/$name.log ||
		{ tail -40 build/fuzz/$name.log >&2; echo "fuzz: $name FAILED" >&2; exit 1; }
	grep -E '^(#[0-9]+|Done)' build/fuzz/$name.log | tail -1
done
echo "fuzz: $# targets, no crash"
