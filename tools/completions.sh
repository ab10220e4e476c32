#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Write bash and zsh completions for every tool into OUT/bash and OUT/zsh,
# from what each tool's --help lists (--help is printed from the option
# tables, so the completions follow them). Usage: completions.sh BIN OUT
set -eu
BIN=$1
OUT=$2
mkdir -p "$OUT/bash" "$OUT/zsh"

# long options of one --help: the option lines only, not the prose
opts() {
	"$@" --help | grep -E '^ +(-[a-zA-Z], )?--' |
		sed -E 's/^ +(-[a-zA-Z], )?(--[a-z0-9-]+).*/\2/' | sort -u | tr '\n' ' '
}

# subcommands: ec-capture's modules, ec-ctl's routes and status
subs() {
	case $1 in
	ec-capture) "$BIN/ec-capture" --help | sed -n '/^modules:/,/^[^ ]/s/^  \([a-z0-9]*\) .*/\1/p' ;;
	ec-nats) printf 'pub\nsub\n' ;;
	ec-ctl) echo status; "$BIN/ec-ctl" --help |
		sed -n '/^Modules and/,/^$/s/^  \([a-z].*\)$/\1/p' | tr ',' '\n' | tr -d ' ' ;;
	esac
}

for tool in $(ls "$BIN"); do
	fn=_$(echo "$tool" | tr - _)
	list=$(subs "$tool" | tr '\n' ' ')
	b=$OUT/bash/$tool
	z=$OUT/zsh/_$tool
	{
		echo "# $tool: generated from its --help by tools/completions.sh"
		echo "$fn() {"
		echo '	local cur=${COMP_WORDS[COMP_CWORD]} opts'
		if [ -n "$list" ]; then
			echo '	if ((COMP_CWORD == 1)); then'
			echo "		COMPREPLY=(\$(compgen -W \"$list\" -- \"\$cur\"))"
			echo '		return'
			echo '	fi'
			echo '	case ${COMP_WORDS[1]} in'
			for s in $list; do
				echo "	$s) opts=\"$(opts "$BIN/$tool" "$s")\" ;;"
			done
			echo '	esac'
		else
			echo "	opts=\"$(opts "$BIN/$tool")\""
		fi
		echo '	if [[ $cur == -* ]]; then'
		echo '		COMPREPLY=($(compgen -W "$opts" -- "$cur"))'
		echo '	else'
		echo '		COMPREPLY=($(compgen -f -- "$cur"))'
		echo '	fi'
		echo '}'
		echo "complete -F $fn $tool"
	} >"$b"
	{
		echo "#compdef $tool"
		echo "# $tool: generated from its --help by tools/completions.sh"
		echo 'local -a opts'
		if [ -n "$list" ]; then
			echo 'if ((CURRENT == 2)); then'
			echo "	compadd -- $list"
			echo '	return'
			echo 'fi'
			echo 'case $words[2] in'
			for s in $list; do
				echo "$s) opts=($(opts "$BIN/$tool" "$s")) ;;"
			done
			echo 'esac'
		else
			echo "opts=($(opts "$BIN/$tool"))"
		fi
		echo 'if [[ $PREFIX == -* ]]; then'
		echo '	compadd -- $opts'
		echo 'else'
		echo '	_files'
		echo 'fi'
	} >"$z"
done
