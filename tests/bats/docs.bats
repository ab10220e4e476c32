#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# Docs are code: every ec- command line of README.md and docs/*.md runs as
# written (tests/docs-examples.sh), in a private network and mount
# namespace. Root, and under /work/notes/capture.lock: examples attach probes.

load helpers

DOCS=$EC_ROOT/tests/docs-examples.sh

@test "docs: the examples are found; each one that cannot run here says why, visibly" {
	run "$DOCS" list
	assert_success
	[ "${#lines[@]}" -ge 20 ]
	assert_line $'README.md:12\trun\tsudo ec-capture tls | ec-parse | ec-serve --ws 127.0.0.1:28257   # live, to eCaptureQ'
	# a pipeline split over two lines is one example
	assert_line --partial $'docs/SERVE.md:4\trun\tec-capture tls --control /run/ec/capture.sock | ec-parse | ec-serve --ws'
	for l in "${lines[@]}"; do
		[[ $l != *$'\tcheck\t'* ]] || [[ $l =~ \#\ \(options\ checked,\ not\ run:\ [a-zA-Z] ]]
	done
}

@test "docs: the harness fails an example with a usage error in any stage, or a failing one" {
	require_root
	T=$BATS_TEST_TMPDIR
	cat >"$T/bad.md" <<'MD'
```
ec-parse --no-such-option < day.pb | ec-dump
ec-parse < day.pb | ec-dump --type nosuch
ec-dump no-such-file.pb
ec-dump --json missing.pb   # (options checked, not run: a missing file is fine here)
ec-parse < day.pb | ec-dump --json
```
MD
	EC_DOCS=$T/bad.md run unshare -n -m --propagation private "$DOCS" run "$T/w"
	assert_failure
	assert_line --regexp '^FAIL .*bad.md:2: ec-parse: usage error'
	assert_line --regexp '^FAIL .*bad.md:3: ec-dump: usage error'
	assert_line --regexp '^FAIL .*bad.md:4: ec-dump exited 1'
	assert_line --regexp '^ok .*bad.md:5 \(check\)'
	assert_line --regexp '^ok .*bad.md:6 \(run\)'
	assert_line 'docs: 5 examples, 3 failed'
}

@test "docs: every example in README.md and docs/ runs as written (marked ones: their options parse)" {
	require_root
	run unshare -n -m --propagation private "$DOCS" run "$BATS_TEST_TMPDIR/docs"
	echo "$output"
	assert_success
}
