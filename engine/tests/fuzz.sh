#!/usr/bin/env bash
# Fuzz sf_module_load with libFuzzer under ASan + UBSan.
#   engine/tests/fuzz.sh [SECONDS]        (default 120)
# Seeds: every module of the converted spec suite (make spec first) and a
# few wasm-opt -ttf modules.  Crashing inputs land in build/fuzz/ as
# crash-*; turn each into a regression test named after what broke.
set -eu
cd "$(dirname "$0")/../.."
secs=${1:-120}
out=build/fuzz
mkdir -p "$out/corpus" "$out/seeds"
clang -g -O1 -std=gnu11 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -Iengine/include -Iengine \
	engine/tests/fuzz_load.c $(ls engine/*.c engine/x64/*.c) -o "$out/fuzz_load" -lm -lpthread
if ls build/spec/*.wasm >/dev/null 2>&1; then
	cp -n build/spec/*.wasm "$out/seeds/" 2>/dev/null || true
fi
for i in 1 2 3 4; do
	[ -f "$out/seeds/ttf$i.wasm" ] && continue
	head -c 20000 /dev/urandom >"$out/ttf$i.dat"
	wasm-opt -ttf "$out/ttf$i.dat" -o "$out/seeds/ttf$i.wasm" --enable-bulk-memory \
		--enable-sign-ext --enable-nontrapping-float-to-int --enable-multivalue \
		--enable-mutable-globals 2>/dev/null || true
done
cd "$out"
./fuzz_load -max_total_time="$secs" -max_len=65536 -rss_limit_mb=1024 \
	-print_final_stats=1 corpus seeds 2>&1 | tail -15
