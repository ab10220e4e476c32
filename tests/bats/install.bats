#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
# make install / uninstall with PREFIX and DESTDIR, and the man pages made
# from the same option tables as --help.

load helpers

setup_file() {
	ROOT=$BATS_FILE_TMPDIR/root
	make -s -C "$EC_ROOT" install DESTDIR="$ROOT" PREFIX=/usr >"$BATS_FILE_TMPDIR/make.out" 2>&1
	export ROOT
}

# the long options a --help lists (its option lines, not its prose)
long_opts() {
	grep -E '^ +(-[a-zA-Z], )?--' | sed -E 's/^ +(-[a-zA-Z], )?(--[a-z0-9-]+).*/\2/' | sort -u
}

# the man page as a reader sees it
page() {
	LC_ALL=C MANWIDTH=80 man -l "$1" 2>/dev/null
}

@test "install: the installed tools run with no checkout on PATH" {
	[ -x "$ROOT/usr/bin/ec-dump" ] || { cat "$BATS_FILE_TMPDIR/make.out"; false; }
	run env -i PATH=/usr/bin:/bin "$ROOT/usr/bin/ec-dump" --version
	assert_success
	assert_output --regexp '^ec-dump [0-9]+\.[0-9]+\.[0-9]+'
	# a replay: the installed ec-parse and ec-dump give what the checkout's do
	env -i PATH=/usr/bin:/bin sh -c "'$ROOT/usr/bin/ec-parse' <'$FIXTURES/parse-h1.pb' | '$ROOT/usr/bin/ec-dump' --json" >"$BATS_TEST_TMPDIR/inst.json"
	ec-parse <"$FIXTURES/parse-h1.pb" | ec-dump --json >"$BATS_TEST_TMPDIR/tree.json"
	[ -s "$BATS_TEST_TMPDIR/inst.json" ]
	cmp "$BATS_TEST_TMPDIR/inst.json" "$BATS_TEST_TMPDIR/tree.json"
}

@test "install: every man page renders without a warning" {
	local p n=0
	for p in "$ROOT"/usr/share/man/man1/*.1 "$ROOT"/usr/share/man/man5/*.5 \
		"$ROOT"/usr/share/man/man8/*.8; do
		run --separate-stderr env LC_ALL=C MANWIDTH=80 man --warnings -l "$p"
		assert_success
		[ -n "$output" ]
		# troff's and man's warnings go to stderr
		[ -z "$stderr" ] || { echo "$p: $stderr"; false; }
		n=$((n + 1))
	done
	[ "$n" = 8 ]
}

@test "install: ec-record(5) is docs/PROTOCOL.md, with every extension field of the schema" {
	page "$ROOT/usr/share/man/man5/ec-record.5" >"$BATS_TEST_TMPDIR/rec.txt"
	run lexgrog "$ROOT/usr/share/man/man5/ec-record.5"
	assert_output --partial '"ec-record - the record stream between ec tools'
	local f missing= n=0
	# the schema's extensions: every field numbered 16 and up
	for f in $(sed -nE 's/^ +[A-Za-z0-9_.]+ ([a-z_0-9]+) = (1[6-9]|[2-9][0-9]);.*/\1/p' \
		"$EC_ROOT/proto/ecaptureq.proto"); do
		grep -qw -- "$f" "$BATS_TEST_TMPDIR/rec.txt" || missing="$missing $f"
		n=$((n + 1))
	done
	[ "$n" -ge 28 ]
	[ -z "$missing" ] || { echo "not in ec-record(5):$missing"; false; }
	grep -q '^Reading rules' "$BATS_TEST_TMPDIR/rec.txt"
}

@test "install: every long option of every tool's --help is in its man page" {
	local t o missing=
	for t in ec-parse ec-dump ec-serve ec-forward ec-ctl; do
		page "$ROOT/usr/share/man/man1/$t.1" >"$BATS_TEST_TMPDIR/$t.txt"
		for o in $("$t" --help | long_opts); do
			grep -qF -- "$o" "$BATS_TEST_TMPDIR/$t.txt" || missing="$missing $t:$o"
		done
	done
	page "$ROOT/usr/share/man/man1/ec-nats.1" >"$BATS_TEST_TMPDIR/nats.txt"
	for t in pub sub; do
		for o in $(ec-nats "$t" --help | long_opts); do
			grep -qF -- "$o" "$BATS_TEST_TMPDIR/nats.txt" || missing="$missing ec-nats $t:$o"
		done
	done
	page "$ROOT/usr/share/man/man8/ec-capture.8" >"$BATS_TEST_TMPDIR/cap.txt"
	for t in tls gotls gnutls nss libtls bash zsh mysqld postgres sock; do
		grep -q "^MODULE $t\$" "$BATS_TEST_TMPDIR/cap.txt" || missing="$missing section:$t"
		for o in $(ec-capture "$t" --help | long_opts); do
			grep -qF -- "$o" "$BATS_TEST_TMPDIR/cap.txt" || missing="$missing $t:$o"
		done
	done
	[ -z "$missing" ] || { echo "not in the man page:$missing"; false; }
}

# command lines, one a line: a line ending in "|" or "\\" joined to the
# next, "# comments" dropped, blanks squeezed
commands() {
	awk '{ sub(/^ +/, ""); l = l (l == "" ? "" : " ") $0
		if (l ~ /[|\\] *$/) { sub(/\\ *$/, "", l); next }
		sub(/ +#.*/, "", l); gsub(/ +/, " ", l); print l; l = "" }'
}

@test "install: every man page's EXAMPLES are command lines the docs test runs" {
	"$EC_ROOT/tests/docs-examples.sh" list | cut -f3 | commands | sort -u >"$BATS_TEST_TMPDIR/docs"
	local p n=0 missing=
	for p in "$ROOT"/usr/share/man/man1/*.1 "$ROOT"/usr/share/man/man8/*.8; do
		page "$p" | awk '/^EXAMPLES$/ { on = 1; next } /^[A-Z]/ { on = 0 } on && NF' |
			commands >"$BATS_TEST_TMPDIR/ex"
		[ -s "$BATS_TEST_TMPDIR/ex" ] || missing="$missing ${p##*/}:none"
		while IFS= read -r l; do
			grep -qxF -- "$l" "$BATS_TEST_TMPDIR/docs" || missing="$missing ${p##*/}:[$l]"
			n=$((n + 1))
		done <"$BATS_TEST_TMPDIR/ex"
	done
	[ -z "$missing" ] || { echo "not a docs example:$missing"; false; }
	[ "$n" -ge 18 ]
}

# complete TOOL WORD...: what the installed bash completion offers for the last word
complete_words() {
	local tool=$1
	shift
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _${1//-/_}; echo "${COMPREPLY[*]}"' \
		_ "$ROOT/usr/share/bash-completion/completions/$tool" "$tool" "$@"
}

@test "install: bash and zsh completions offer every long option of --help, per module" {
	run complete_words ec-dump --js
	assert_output "--json"
	run complete_words ec-capture li
	assert_output "libtls"
	run complete_words ec-capture gotls --elf
	assert_output "--elfpath"
	run complete_words ec-ctl bash --bash
	assert_output "--bashpath"
	local t m o missing=
	for t in ec-parse ec-dump ec-serve ec-forward; do
		for o in $("$t" --help | long_opts); do
			[[ " $(complete_words "$t" --) " == *" $o "* ]] || missing="$missing $t:$o"
			grep -qE -- "[( ]$o[ )]" "$ROOT/usr/share/zsh/vendor-completions/_$t" || missing="$missing zsh:$t:$o"
		done
	done
	for m in tls gotls gnutls nss libtls bash zsh mysqld postgres sock; do
		for o in $(ec-capture "$m" --help | long_opts); do
			[[ " $(complete_words ec-capture "$m" --) " == *" $o "* ]] || missing="$missing $m:$o"
		done
	done
	[ -z "$missing" ] || { echo "not offered:$missing"; false; }
	for t in ec-capture ec-parse ec-dump ec-serve ec-forward ec-ctl; do
		zsh -n "$ROOT/usr/share/zsh/vendor-completions/_$t"
	done
}

@test "uninstall: nothing of ours is left" {
	make -s -C "$EC_ROOT" uninstall DESTDIR="$ROOT" PREFIX=/usr
	run find "$ROOT" -type f
	assert_output ""
}
