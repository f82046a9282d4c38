#!/usr/bin/env bash
# Decode+validate throughput on large modules.
#   engine/tests/bench-validate.sh [OUTDIR]
# Builds two modules into OUTDIR (default build/bench-validate):
#   gen.wasm  a generated C program (many functions with loops, switches,
#             integer and float arithmetic, memory traffic) compiled with
#             clang --target=wasm32 -O2, about 1.5 MB;
#   ttf.wasm  wasm-opt -ttf output from fixed pseudo-random bytes (MVP +
#             sign-ext, sat conversions, bulk memory, multi-value);
# then prints size and best-of-N MB/s from build/sfcheck --time.
set -eu
cd "$(dirname "$0")/../.."
out=${1:-build/bench-validate}
nfuncs=${NFUNCS:-2500}
mkdir -p "$out"
make -s build/sfcheck

# The modules take a while to build (clang needs a minute or two): reuse
# them while this script is unchanged.
if [ ! "$out/gen.wasm" -nt "$0" ] || [ ! "$out/ttf.wasm" -nt "$0" ]; then
awk -v n="$nfuncs" 'BEGIN {
	print "typedef unsigned u32; typedef unsigned long long u64;"
	print "extern u32 mem[4096]; u32 mem[4096]; double dm[512];"
	for (i = 0; i < n; i++) {
		printf "__attribute__((noinline)) u32 f%d(u32 a, u32 b, double x) {\n", i
		printf "  u32 s = a * %d + b; u64 w = (u64)a << %d;\n", i + 1, i % 31
		printf "  for (u32 k = 0; k < (b & 63); k++) {\n"
		printf "    s = (s ^ (s >> %d)) * 0x9e3779b1u + mem[(s + k) & 4095];\n", i % 13 + 1
		printf "    if (s & %d) x = x * 1.0001 + (double)k; else x -= dm[k & 511];\n", 1 + i % 7
		printf "    mem[(a + k) & 4095] = s + (u32)w;\n  }\n"
		printf "  switch (s %% 7) {\n"
		for (c = 0; c < 6; c++)
			printf "  case %d: s += %d * a - (b >> %d); w ^= s; break;\n", c, c * 3 + i, c
		printf "  default: s = (u32)(x * %d.5); }\n", i % 11
		if (i > 0) printf "  if (s > %du) s += f%d(b, s, x * 0.5);\n", i * 97, i - 1
		printf "  dm[a & 511] = x + (double)s;\n"
		printf "  return s + (u32)(w >> 3);\n}\n"
	}
}' > "$out/gen.c"
clang --target=wasm32 -O2 -nostdlib -Wl,--no-entry -Wl,--export-all \
	-o "$out/gen.wasm" "$out/gen.c"

# Fixed input bytes, so every run measures the same module.
LC_ALL=C awk 'BEGIN { srand(42); for (i = 0; i < 600000; i++) printf "%c", int(rand() * 256) }' \
	> "$out/ttf.dat"
wasm-opt -ttf "$out/ttf.dat" -o "$out/ttf.wasm" --enable-bulk-memory \
	--enable-sign-ext --enable-nontrapping-float-to-int --enable-multivalue \
	--enable-mutable-globals 2>/dev/null
fi

build/sfcheck --time --reps "${REPS:-30}" "$out/gen.wasm" "$out/ttf.wasm"
