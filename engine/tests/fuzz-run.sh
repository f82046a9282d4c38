#!/usr/bin/env bash
# Fuzz load + compile + instantiate + call with libFuzzer under ASan + UBSan.
#   engine/tests/fuzz-run.sh [SECONDS]        (default 120)
# Seeds: wasm-opt -ttf modules (the difftest feature set) and, when built,
# the spec suite's modules; mutations of them reach the JIT and the
# runtime.  Crashing inputs land in build/fuzz-run/ as crash-*; turn each
# into a regression test named after what broke.
set -eu
cd "$(dirname "$0")/../.."
secs=${1:-120}
out=build/fuzz-run
mkdir -p "$out/corpus" "$out/seeds"
clang -g -O1 -std=gnu11 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -Iengine/include -Iengine \
	engine/tests/fuzz_run.c $(ls engine/*.c engine/x64/*.c) -o "$out/fuzz_run" -lm -lpthread
for i in $(seq 1 16); do
	[ -f "$out/seeds/ttf$i.wasm" ] && continue
	head -c $((i * 1500)) /dev/urandom >"$out/ttf$i.dat"
	wasm-opt -ttf "$out/ttf$i.dat" -o "$out/seeds/ttf$i.wasm" --enable-bulk-memory \
		--enable-sign-ext --enable-nontrapping-float-to-int --enable-multivalue \
		--enable-mutable-globals 2>/dev/null || true
done
if ls build/spec/*.wasm >/dev/null 2>&1; then
	cp -n build/spec/*.wasm "$out/seeds/" 2>/dev/null || true
fi
cd "$out"
ASAN_OPTIONS=handle_segv=0:allow_user_segv_handler=1:detect_leaks=1 \
./fuzz_run -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 -timeout=20 \
	-print_final_stats=1 corpus seeds 2>&1 | tail -15
