#!/usr/bin/env bash
# Differential test of the text parser against wat2wasm on random modules:
# binaryen's wasm-opt -ttf makes a module, wasm2wat prints it four ways
# (flat, folded, with generated names, with inline exports/imports), and
# build/sfwast's encoding of each text must equal wat2wasm's byte for byte.
#   engine/tests/wat-diff.sh [N]     (N random modules, default 50)
# Differing texts are kept in build/wat-diff/ for a regression test.
set -u
cd "$(dirname "$0")/../.."
n=${1:-50}
dir=build/wat-diff
mkdir -p "$dir"
same=0 differ=0 failed=0
for i in $(seq 1 "$n"); do
	head -c 10000 /dev/urandom >"$dir/r.dat"
	wasm-opt -ttf "$dir/r.dat" -o "$dir/r.wasm" --enable-bulk-memory \
		--enable-sign-ext --enable-nontrapping-float-to-int \
		--enable-multivalue --enable-mutable-globals 2>/dev/null || continue
	for opts in "" "--fold-exprs" "--generate-names" \
		"--fold-exprs --generate-names --inline-exports --inline-imports"; do
		# shellcheck disable=SC2086
		wasm2wat $opts "$dir/r.wasm" -o "$dir/m.wat" 2>/dev/null || continue
		wat2wasm "$dir/m.wat" -o "$dir/ref.wasm" 2>/dev/null || continue
		if ! build/sfwast "$dir/m.wat" -o "$dir/m.json" 2>"$dir/err.txt" ||
			! [ -f "$dir/m.0.wasm" ]; then
			failed=$((failed + 1))
			cp "$dir/m.wat" "$dir/failed$failed.wat"
			head -2 "$dir/err.txt"
		elif cmp -s "$dir/ref.wasm" "$dir/m.0.wasm"; then
			same=$((same + 1))
		else
			differ=$((differ + 1))
			cp "$dir/m.wat" "$dir/differ$differ.wat"
		fi
		rm -f "$dir/m.0.wasm" "$dir/m.0.wat"
	done
done
echo "wat-diff: $same identical, $differ different, $failed rejected"
[ $((differ + failed)) -eq 0 ]
