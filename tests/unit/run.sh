#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Run every cmocka test binary; print one summary line CI can read.
set -u
pass=0 fail=0
for t in "$@"; do
	if "$t"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAILED: $t" >&2; fi
done
echo "unit: $pass suites passed, $fail failed"
[ "$fail" = 0 ]
