#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Check a HAR file against the HAR 1.2 schema with har-validator (npm),
# installed once into /var/cache/ec-tests/npm and kept there.
#   tests/har-validate.sh FILE.har     prints "valid", or the errors and exits 1
set -eu
dir=/var/cache/ec-tests/npm
if [ ! -f "$dir/node_modules/har-validator/package.json" ]; then
	mkdir -p "$dir"
	npm install --prefix "$dir" --no-audit --no-fund --silent har-validator@5.1.5 >&2
fi
exec node -e '
const v = require(process.argv[1] + "/node_modules/har-validator");
const har = JSON.parse(require("fs").readFileSync(process.argv[2], "utf8"));
v.har(har).then(() => console.log("valid"), (e) => {
	console.log(JSON.stringify(e.errors || String(e), null, 1));
	process.exit(1);
});' "$dir" "$1"
