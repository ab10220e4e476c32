#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Fetch the npm packages listed in .ci/npm into the build's npm cache
# ($EC_NPM, default ~/.cache/ec/npm), once: the build then bundles them
# with no network (ec-serve's page, www/). Idempotent and quiet.
set -eu
cd "$(dirname "$0")/.."
dir=${EC_NPM:-$HOME/.cache/ec/npm}
pkgs=$(sed 's/#.*//' .ci/npm | tr -s ' \n' '\n' | sed '/^$/d')
missing=
for p in $pkgs; do
	name=${p%@*}
	want=${p##*@}
	have=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$dir/node_modules/$name/package.json" 2>/dev/null || true)
	[ "$have" = "$want" ] || missing="$missing $p"
done
[ -z "$missing" ] && { echo "npm deps: all there ($dir)"; exit 0; }
command -v npm >/dev/null || { echo "npm deps: npm is missing: run make deps as root" >&2; exit 1; }
echo "npm deps: fetching$missing into $dir"
mkdir -p "$dir"
# shellcheck disable=SC2086
npm install --prefix "$dir" --no-audit --no-fund --silent $missing
