#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# make bench: every bench/bench-*.sh, one after the other (they share the
# generated stream). Figures are ratios measured in the same run.
set -u
cd "$(dirname "$0")/.."
status=0
for b in bench/bench-*.sh; do
	echo "== $b"
	sh "$b" || { echo "$b failed" >&2; status=1; }
done
exit $status
