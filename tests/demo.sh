#!/bin/sh
# make demo (until live capture lands): build a sample stream shaped like a
# capture and pretty-print it, so the pipeline can be seen end to end.
set -eu
cd "$(dirname "$0")/.."
export PATH="$PWD/bin:$PWD/build/rel/tests:$PATH"
echo "== generated sample (not a live capture): ec-gen | ec-dump" >&2
ec-gen --seed 3 --total-conns 2 --conns 1 --max-body 120 | ec-dump
