#!/usr/bin/env bash
# Build the regress suites' C guests (regress/guests/*.c) into OUTDIR
# (default build/guests), as wasi-libc reactors.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-build/guests}
mkdir -p "$out"
for c in "$here"/*.c; do
	w=$out/$(basename "$c" .c).wasm
	if [ "$c" -nt "$w" ]; then
		clang --target=wasm32-wasi --sysroot=/usr -O2 -Wall -Werror -mexec-model=reactor \
			"$c" -o "$w"
	fi
done
