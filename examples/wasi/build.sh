#!/usr/bin/env bash
# Build the WASI example programs into OUTDIR (default build/wasi):
#   money-command.wasm  money.c as a command (_start runs main)
#   money-reactor.wasm  money.c as a reactor (_initialize, then its exports)
#   greet.wasm          greet.rs, a Rust cdylib for wasm32-wasi
# Rust is Debian's /usr/bin/rustc with libstd-rust-dev-wasm32 (a rustup
# toolchain earlier in PATH has no wasm32-wasi standard library offline).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-build/wasi}
mkdir -p "$out"
cflags=(--target=wasm32-wasi --sysroot=/usr -O2 -Wall -Werror)
if [ "$here/money.c" -nt "$out/money-command.wasm" ]; then
	clang "${cflags[@]}" "$here/money.c" -o "$out/money-command.wasm"
fi
if [ "$here/money.c" -nt "$out/money-reactor.wasm" ]; then
	clang "${cflags[@]}" -mexec-model=reactor "$here/money.c" -o "$out/money-reactor.wasm"
fi
if [ "$here/greet.rs" -nt "$out/greet.wasm" ]; then
	/usr/bin/rustc --target wasm32-wasi -O -C strip=debuginfo --crate-type=cdylib \
		--remap-path-prefix="$here=examples/wasi" \
		"$here/greet.rs" -o "$out/greet.wasm"
fi
