#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Run the golden tests listed in tests/TESTLIST. --update rewrites the
# expected files (review the diff before committing them).
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
export PATH="$root/bin:$root/build/rel/tests:$PATH"
update=0
[ "${1:-}" = --update ] && update=1
pass=0 fail=0
grep -v '^#' "$root/tests/TESTLIST" | sed '/^[[:space:]]*$/d' | {
	while read -r name cmd; do
		out=$(mktemp)
		(cd "$root/tests/fixtures" && sh -c "$cmd") > "$out" 2>&1
		if [ $update = 1 ]; then
			cp "$out" "$root/tests/expected/$name.txt"
			pass=$((pass + 1))
		elif cmp -s "$out" "$root/tests/expected/$name.txt"; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1))
			echo "golden FAIL: $name ($cmd)"
			diff -u "$root/tests/expected/$name.txt" "$out" | head -20
		fi
		rm -f "$out"
	done
	[ $update = 1 ] && { echo "golden: $pass updated"; exit 0; }
	echo "golden: $pass passed, $fail failed"
	[ $fail = 0 ]
}
