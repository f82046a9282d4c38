#!/usr/bin/env bash
# Differential testing against V8 (make difftest).
#
#   engine/tests/difftest/run.sh         DIFFTEST_SECONDS (default 60), DIFFTEST_SEED
#   DIFFTEST_SFDIFF=build-san/sfdiff ... the same under ASan + UBSan
#                                        (make SANITIZE=1 build-san/sfdiff)
#
# Each round turns random bytes into a module with binaryen's wasm-opt -ttf
# (features limited to what slackfuel supports) and --denan, makes -O0 / -O3 / -Os
# variants of it, and runs every export of each variant in build/sfdiff and
# in Node.js (engine/tests/difftest/ref.mjs), in a rotating fuel mode (and
# with bounds-checked memory in odd rounds), then
# diffs the two transcripts (logs, results, trap classes, memory hashes,
# exported globals); it also compares precise with slacked fuel on each
# base module (same fuel consumed, same out-of-fuel calls).  A difference or a crash of sfdiff is kept under
# build/difftest/fail-*/ (module, both transcripts) and makes the run fail.
# Rounds are reproducible from DIFFTEST_SEED and the round number.
set -u
cd "$(dirname "$0")/../../.."
secs=${DIFFTEST_SECONDS:-60}
seed=${DIFFTEST_SEED:-$(date +%s)}
out=build/difftest
ref=engine/tests/difftest/ref.mjs
mkdir -p "$out"
for tool in wasm-opt node; do
	command -v $tool >/dev/null || { echo "difftest: $tool not installed"; exit 1; }
done
sfdiff=${DIFFTEST_SFDIFF:-build/sfdiff}
[ -x "$sfdiff" ] || { echo "difftest: build $sfdiff first (make engine)"; exit 1; }

base_features="--enable-bulk-memory --enable-sign-ext --enable-nontrapping-float-to-int
	--enable-multivalue --enable-mutable-globals"
modes=(precise slacked off)
fuel_limits=(10 100 1000 100000)
end=$((SECONDS + secs))
round=0 modules=0 funcs=0 fails=0 skipped=0 fuelchecks=0
w=$out/work.$$
mkdir -p "$w"
trap 'rm -rf "$w"' EXIT

# one variant: 0 = same, 1 = differs (kept), 2 = skipped
compare() {
	local wasm=$1 mode=$2 tag=$3 fuel=()
	[ "$mode" = off ] || fuel=(--fuel=2000000000)
	# explicit bounds checks instead of guard pages in every other round
	[ $((round % 2)) -eq 1 ] && fuel+=(--bounds-checked)
	timeout 20 "$sfdiff" --fuel-mode="$mode" "${fuel[@]}" "$wasm" >"$w/sf.txt" 2>"$w/sf.err"
	local src=$?
	if [ $src -eq 3 ] || grep -q '^load error' "$w/sf.txt"; then
		# binaryen 108 writes some reference-types modules that are not wasm 2.0
		if grep -q '^load error' "$w/sf.txt" && ! wasm-validate "$wasm" >/dev/null 2>&1; then
			return 2
		fi
		[ $src -eq 3 ] && return 2
		keep "$wasm" "$tag" "rejected a module wasm-validate accepts"
		return 1
	fi
	if [ $src -ne 0 ] && [ $src -ne 124 ]; then
		keep "$wasm" "$tag" "sfdiff exited with $src (crash)"
		return 1
	fi
	timeout 20 node "$ref" "$wasm" >"$w/v8.txt" 2>"$w/v8.err"
	local vrc=$?
	# runaway code: out of fuel or too slow on either side proves nothing
	if [ $src -eq 124 ] || [ $vrc -ne 0 ] || grep -q '^trap timeout' "$w/sf.txt"; then
		return 2
	fi
	funcs=$((funcs + $(grep -c '^call ' "$w/sf.txt")))
	if ! cmp -s "$w/sf.txt" "$w/v8.txt"; then
		keep "$wasm" "$tag" "transcripts differ"
		return 1
	fi
	return 0
}

# precise and slacked fuel must agree on fuel consumed, results and logs up
# to the first call that runs out of fuel, and on that call running out.
# After it the states may differ: slacked mode may run past the limit (to
# the next boundary check), changing memory and globals on the way.
crashed() { [ "$1" -ne 0 ] && [ "$1" -ne 141 ]; }

compare_fuel() {
	local wasm=$1 lim=$2 tag=$3
	timeout 20 "$sfdiff" --fuel-mode=precise --fuel="$lim" --show-fuel "$wasm" 2>"$w/sf.err" |
		sed '/^trap timeout/q' | grep -v '^memory' >"$w/sf.txt"
	local prc=${PIPESTATUS[0]}
	# slacked with a 1 ms watchdog: the asynchronous check must not change the outcome
	timeout 20 "$sfdiff" --fuel-mode=slacked --fuel="$lim" --show-fuel --watchdog-ms=1 "$wasm" \
		2>>"$w/sf.err" |
		sed '/^trap timeout/q' | grep -v '^memory' >"$w/v8.txt"
	local src=${PIPESTATUS[0]}
	# 141: SIGPIPE once sed has seen the out-of-fuel trap
	if crashed "$prc" || crashed "$src" || ! cmp -s "$w/sf.txt" "$w/v8.txt"; then
		keep "$wasm" "$tag-fuel$lim" "precise and slacked fuel differ (v8.txt: slacked)"
		return 1
	fi
	fuelchecks=$((fuelchecks + 1))
	return 0
}

keep() {
	local d=$out/fail-$seed-$2
	mkdir -p "$d"
	cp "$1" "$d/module.wasm"
	cp "$w/sf.txt" "$d/slackfuel.txt"
	cp "$w/sf.err" "$d/slackfuel.err"
	[ -f "$w/v8.txt" ] && cp "$w/v8.txt" "$d/v8.txt"
	echo "difftest: $3: $d  (diff $d/slackfuel.txt $d/v8.txt)"
	diff "$d/slackfuel.txt" "$d/v8.txt" 2>/dev/null | head -6
	fails=$((fails + 1))
}

while [ $SECONDS -lt $end ]; do
	round=$((round + 1))
	python3 -c "import random,sys; r=random.Random($seed*100003+$round); \
sys.stdout.buffer.write(bytes(r.getrandbits(8) for _ in range(r.randint(500, 30000))))" >"$w/in.dat"
	feats=$base_features
	[ $((round % 3)) -eq 0 ] && feats="$feats --enable-reference-types"
	# shellcheck disable=SC2086
	# --denan: a NaN's bits may differ between engines (the spec allows it)
	# and would leak into memory through stores; turn NaNs into 0 instead
	wasm-opt -ttf "$w/in.dat" $feats -o "$w/t.wasm" >/dev/null 2>&1 || continue
	wasm-opt "$w/t.wasm" $feats --denan -o "$w/m.wasm" >/dev/null 2>&1 || continue
	v=0
	for opt in "" -O0 -O3 -Os; do
		v=$((v + 1))
		if [ -n "$opt" ]; then
			# shellcheck disable=SC2086
			wasm-opt "$w/m.wasm" $feats $opt -o "$w/v.wasm" >/dev/null 2>&1 || continue
		else
			cp "$w/m.wasm" "$w/v.wasm"
		fi
		rm -f "$w/v8.txt"
		compare "$w/v.wasm" "${modes[$(((round + v) % 3))]}" "$round${opt}"
		case $? in
			0|1) modules=$((modules + 1)) ;;
			2) skipped=$((skipped + 1)); continue ;;
		esac
		[ -z "$opt" ] && compare_fuel "$w/v.wasm" "${fuel_limits[$((round % 4))]}" "$round"
	done
done
echo "difftest: seed $seed, $round rounds, $modules modules compared ($skipped skipped)," \
	"$funcs export calls, $fuelchecks precise/slacked fuel comparisons, $fails differences"
[ $fails -eq 0 ]
