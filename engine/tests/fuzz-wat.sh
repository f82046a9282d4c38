#!/usr/bin/env bash
# Fuzz sf_wat_to_wasm with libFuzzer under ASan + UBSan.
#   engine/tests/fuzz-wat.sh [SECONDS]        (default 120)
# Seeds: the text modules of the converted spec suite (make spec first):
# the assert_malformed .wat files and wasm2wat renderings of the binary
# modules.  A dictionary of every mnemonic and keyword comes from
# engine/opcodes.h.  Crashing inputs land in build/fuzz-wat/ as crash-*;
# turn each into a regression test in test_wat.c named after what broke.
set -eu
cd "$(dirname "$0")/../.."
secs=${1:-120}
out=build/fuzz-wat
mkdir -p "$out/corpus" "$out/seeds"
clang -g -O1 -std=gnu11 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -Iengine/include -Iengine \
	engine/tests/fuzz_wat.c $(ls engine/*.c engine/x64/*.c) -o "$out/fuzz_wat" -lm -lpthread
if [ -z "$(ls "$out/seeds")" ]; then
	cp build/spec/*.wat "$out/seeds/" 2>/dev/null || true
	# wasm2wat crashes on a few malformed spec binaries; those are skipped
	for f in build/spec/*.wasm; do
		[ -e "$f" ] || break
		{ wasm2wat --no-check "$f" -o "$out/seeds/$(basename "$f" .wasm).wat" ||
			true; } 2>/dev/null
		{ wasm2wat --no-check --fold-exprs "$f" \
			-o "$out/seeds/$(basename "$f" .wasm).folded.wat" || true; } 2>/dev/null
	done
fi
{
	sed -n 's/^\s*X([A-Z0-9_]*, *\("[^"]*"\).*/\1/p' engine/opcodes.h | sort -u
	for k in module type func param result local import export table memory \
		global mut elem data start offset item declare then else end funcref \
		externref extern i32 i64 f32 f64 '$x' 'offset=' 'align=' inf nan \
		'nan:0x' 0x '(' ')' '(;' ';)' ';;' '"' '\u{' ; do
		printf '"%s"\n' "$(printf '%s' "$k" | sed 's/\\/\\\\/g; s/"/\\"/g')"
	done
} >"$out/wat.dict"
cd "$out"
./fuzz_wat -max_total_time="$secs" -max_len=16384 -rss_limit_mb=1024 \
	-dict=wat.dict -print_final_stats=1 corpus seeds 2>&1 | tail -15
