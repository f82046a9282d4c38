#!/usr/bin/env bash
# Differential testing against V8 (make difftest).
#
#   engine/tests/difftest/run.sh         DIFFTEST_SECONDS (default 60), DIFFTEST_SEED,
#                                        DIFFTEST_CALLS (stop after this many export calls),
#                                        DIFFTEST_JOBS (copies run at once, default 1)
#   DIFFTEST_SFDIFF=build-san/sfdiff ... the same under ASan + UBSan
#                                        (make SANITIZE=1 build-san/sfdiff)
#
# Each round turns random bytes into a module with binaryen's wasm-opt -ttf
# (features limited to what slackfuel supports) and --denan, makes -O0 / -O3 / -Os
# variants of it, and runs every export of each variant in build/sfdiff and
# in Node.js (engine/tests/difftest/ref.mjs), in a rotating fuel mode (and
# with bounds-checked memory in odd rounds), then
# diffs the two transcripts (logs, results, trap classes, memory hashes,
# exported globals).  sfdiff runs once per variant; Node.js, whose start
# costs more than a module's calls, once per DIFFTEST_BATCH (default 32)
# variants (ref.mjs --batch), and alone on any the batch did not finish.
# It also compares precise with slacked fuel on each
# base module (same fuel consumed, same out-of-fuel calls).  A difference or a crash of sfdiff is kept under
# build/difftest/fail-*/ (module, both transcripts) and makes the run fail.
# Rounds are reproducible from DIFFTEST_SEED and the round number.
set -u
self=$(realpath "$0")
cd "$(dirname "$0")/../../.."
secs=${DIFFTEST_SECONDS:-60}
want_calls=${DIFFTEST_CALLS:-0}
seed=${DIFFTEST_SEED:-$(date +%s)}
jobs=${DIFFTEST_JOBS:-1}
job=${DIFFTEST_JOB:-}
out=build/difftest
ref=engine/tests/difftest/ref.mjs
mkdir -p "$out"
for tool in wasm-opt node; do
	command -v $tool >/dev/null || { echo "difftest: $tool not installed"; exit 1; }
done
sfdiff=${DIFFTEST_SFDIFF:-build/sfdiff}
[ -x "$sfdiff" ] || { echo "difftest: build $sfdiff first (make engine)"; exit 1; }

# DIFFTEST_JOBS=N: N copies of this script on disjoint rounds (copy k runs
# rounds k+1, k+1+N, ...: the same modules as one copy would, for the same
# seed), their counts added up.  Each round spends most of its time
# starting wasm-opt and sfdiff processes, which run one at a time.
if [ "$jobs" -gt 1 ] && [ -z "$job" ]; then
	pids=()
	for ((k = 0; k < jobs; k++)); do
		DIFFTEST_JOB=$k DIFFTEST_SEED=$seed DIFFTEST_CALLS=$(((want_calls + jobs - 1) / jobs)) \
			"$self" >"$out/job.$$.$k" 2>&1 &
		pids+=($!)
	done
	rc=0
	for p in "${pids[@]}"; do wait "$p" || rc=1; done
	grep -hv '^difftest: seed ' "$out"/job.$$.* || true
	# shellcheck disable=SC2046
	set -- $(sed -n 's/^difftest: seed [0-9]*, \([0-9]*\) rounds, \([0-9]*\) modules compared (\([0-9]*\) skipped), \([0-9]*\) export calls, \([0-9]*\) precise.slacked fuel comparisons, \([0-9]*\) differences$/\1 \2 \3 \4 \5 \6/p' "$out"/job.$$.* |
		awk '{ for (i = 1; i <= 6; i++) t[i] += $i; n++ } END { print n + 0, t[1] + 0, t[2] + 0, t[3] + 0, t[4] + 0, t[5] + 0, t[6] + 0 }')
	rm -f "$out"/job.$$.*
	[ "$1" -eq "$jobs" ] || { echo "difftest: only $1 of $jobs jobs finished"; rc=1; }
	echo "difftest: seed $seed, $jobs jobs, $2 rounds, $3 modules compared ($4 skipped)," \
		"$5 export calls, $6 precise/slacked fuel comparisons, $7 differences"
	[ "$7" -eq 0 ] || rc=1
	exit $rc
fi

base_features="--enable-bulk-memory --enable-sign-ext --enable-nontrapping-float-to-int
	--enable-multivalue --enable-mutable-globals"
modes=(precise slacked off)
fuel_limits=(10 100 1000 100000)
end=$((SECONDS + secs))
round=0 rounds=0 modules=0 funcs=0 fails=0 skipped=0 fuelchecks=0
# rounds first, first+step, ...: all of them for one copy, a share for DIFFTEST_JOB
step=$jobs first=$((${job:-0} + 1))
[ -n "$job" ] || step=1 first=1
w=$out/work.$$
mkdir -p "$w"
trap 'rm -rf "$w"' EXIT

# Each variant's sfdiff run (pending for V8), then V8's runs of a whole
# batch of them in one Node.js process (ref.mjs --batch).  A variant's
# files are $base.wasm, its transcripts $base.sf.txt / .sf.err, and
# ref.mjs's $base.wasm.v8.txt (or .v8.skip).
batch=${DIFFTEST_BATCH:-32}
pending=()

# sfdiff on one variant: 0 = pending V8, 1 = differs (kept), 2 = skipped
run_sf() {
	local base=$1 mode=$2 tag=$3 fuel=()
	[ "$mode" = off ] || fuel=(--fuel=2000000000)
	# explicit bounds checks instead of guard pages in every other round
	[ $((round % 2)) -eq 1 ] && fuel+=(--bounds-checked)
	timeout 20 "$sfdiff" --fuel-mode="$mode" "${fuel[@]}" "$base.wasm" >"$base.sf.txt" 2>"$base.sf.err"
	local src=$? txt
	# the transcript read by the shell itself: a grep process costs more
	# than the checks (10-15 ms a process on a loaded machine)
	IFS= read -r -d '' txt <"$base.sf.txt"
	txt=$'\n'$txt
	if [ $src -eq 3 ] || [[ $txt == *$'\nload error'* ]]; then
		# binaryen 108 writes some reference-types modules that are not wasm 2.0
		if [[ $txt == *$'\nload error'* ]] && ! wasm-validate "$base.wasm" >/dev/null 2>&1; then
			return 2
		fi
		[ $src -eq 3 ] && return 2
		keep "$base" "$tag" "rejected a module wasm-validate accepts"
		return 1
	fi
	if [ $src -ne 0 ] && [ $src -ne 124 ]; then
		keep "$base" "$tag" "sfdiff exited with $src (crash)"
		return 1
	fi
	# runaway code: out of fuel or too slow proves nothing
	if [ $src -eq 124 ] || [[ $txt == *$'\ntrap timeout'* ]]; then
		return 2
	fi
	pending+=("$base $tag")
	return 0
}

# V8 on every pending variant, then each compared: one Node.js process for
# the batch, and alone (20 s each, as a hang needs) for any it did not reach.
run_v8() {
	local p base tag sf v8 calls files=()
	[ ${#pending[@]} -gt 0 ] || return 0
	for p in "${pending[@]}"; do files+=("${p%% *}.wasm"); done
	timeout 60 node "$ref" --batch "${files[@]}" 2>"$w/v8batch.err"
	for p in "${pending[@]}"; do
		base=${p%% *} tag=${p#* }
		if [ ! -f "$base.wasm.v8.txt" ] && [ ! -f "$base.wasm.v8.skip" ]; then
			timeout 20 node "$ref" "$base.wasm" >"$base.wasm.v8.txt" 2>"$base.wasm.v8.err" ||
				mv "$base.wasm.v8.txt" "$base.wasm.v8.skip"
		fi
		# V8 rejected it or ran too long: the variant proves nothing
		if [ -f "$base.wasm.v8.skip" ]; then
			skipped=$((skipped + 1))
			continue
		fi
		modules=$((modules + 1))
		sf="" v8=""
		IFS= read -r -d '' sf <"$base.sf.txt"
		IFS= read -r -d '' v8 <"$base.wasm.v8.txt"
		calls=${sf//$'\ncall '/}
		funcs=$((funcs + (${#sf} - ${#calls}) / 6))
		[[ $sf == "call "* ]] && funcs=$((funcs + 1))
		if [ "$sf" != "$v8" ]; then
			keep "$base" "$tag" "transcripts differ"
		fi
	done
	pending=()
	rm -f "$w"/b/*
}

# precise and slacked fuel must agree on fuel consumed, results and logs up
# to the first call that runs out of fuel, and on that call running out.
# After it the states may differ: slacked mode may run past the limit (to
# the next boundary check), changing memory and globals on the way.
crashed() { [ "$1" -ne 0 ] && [ "$1" -ne 141 ]; }

compare_fuel() {
	local base=$1 lim=$2 tag=$3 f=$1.fuel
	timeout 20 "$sfdiff" --fuel-mode=precise --fuel="$lim" --show-fuel "$base.wasm" 2>"$f.sf.err" |
		sed '/^trap timeout/q' | grep -v '^memory' >"$f.sf.txt"
	local prc=${PIPESTATUS[0]}
	# slacked with a 1 ms watchdog: the asynchronous check must not change the outcome
	timeout 20 "$sfdiff" --fuel-mode=slacked --fuel="$lim" --show-fuel --watchdog-ms=1 "$base.wasm" \
		2>>"$f.sf.err" |
		sed '/^trap timeout/q' | grep -v '^memory' >"$f.wasm.v8.txt"
	local src=${PIPESTATUS[0]}
	# 141: SIGPIPE once sed has seen the out-of-fuel trap
	if crashed "$prc" || crashed "$src" || ! cmp -s "$f.sf.txt" "$f.wasm.v8.txt"; then
		cp "$base.wasm" "$f.wasm"
		keep "$f" "$tag-fuel$lim" "precise and slacked fuel differ (v8.txt: slacked)"
		return 1
	fi
	fuelchecks=$((fuelchecks + 1))
	return 0
}

keep() {	# BASE TAG REASON
	local d=$out/fail-$seed-$2
	mkdir -p "$d"
	cp "$1.wasm" "$d/module.wasm"
	cp "$1.sf.txt" "$d/slackfuel.txt"
	cp "$1.sf.err" "$d/slackfuel.err"
	[ -f "$1.wasm.v8.txt" ] && cp "$1.wasm.v8.txt" "$d/v8.txt"
	echo "difftest: $3: $d  (diff $d/slackfuel.txt $d/v8.txt)"
	diff "$d/slackfuel.txt" "$d/v8.txt" 2>/dev/null | head -6
	fails=$((fails + 1))
}

# The random input of N rounds from FIRST, STEP apart, into $w/in.ROUND.dat,
# each from DIFFTEST_SEED and its round number: one Python start for them all.
make_inputs() {	# FIRST N STEP
	python3 - "$seed" "$1" "$2" "$3" "$w" <<'PY'
import random, sys
seed, first, n, step = (int(a) for a in sys.argv[1:5])
w = sys.argv[5]
for rnd in range(first, first + n * step, step):
    r = random.Random(seed * 100003 + rnd)
    with open(f"{w}/in.{rnd}.dat", "wb") as f:
        f.write(bytes(r.getrandbits(8) for _ in range(r.randint(500, 30000))))
PY
}

mkdir -p "$w/b"
made=0
while [ $SECONDS -lt $end ] && { [ "$want_calls" -eq 0 ] || [ $funcs -lt "$want_calls" ]; }; do
	round=$((round == 0 ? first : round + step))
	rounds=$((rounds + 1))
	if [ $round -gt $made ]; then
		rm -f "$w"/in.*.dat
		make_inputs "$round" 16 "$step"
		made=$((round + 15 * step))
	fi
	feats=$base_features
	[ $((round % 3)) -eq 0 ] && feats="$feats --enable-reference-types"
	# shellcheck disable=SC2086
	# --denan: a NaN's bits may differ between engines (the spec allows it)
	# and would leak into memory through stores; turn NaNs into 0 instead
	wasm-opt -ttf "$w/in.$round.dat" $feats -o "$w/t.wasm" >/dev/null 2>&1 || continue
	wasm-opt "$w/t.wasm" $feats --denan -o "$w/m.wasm" >/dev/null 2>&1 || continue
	v=0
	for opt in "" -O0 -O3 -Os; do
		v=$((v + 1))
		base=$w/b/$round-$v
		if [ -n "$opt" ]; then
			# shellcheck disable=SC2086
			wasm-opt "$w/m.wasm" $feats $opt -o "$base.wasm" >/dev/null 2>&1 || continue
		else
			cp "$w/m.wasm" "$base.wasm"
		fi
		run_sf "$base" "${modes[$(((round + v) % 3))]}" "$round${opt}"
		case $? in
			1) modules=$((modules + 1)) ;;
			2) skipped=$((skipped + 1)); continue ;;
		esac
		[ -z "$opt" ] && compare_fuel "$base" "${fuel_limits[$((round % 4))]}" "$round"
	done
	[ ${#pending[@]} -ge "$batch" ] && run_v8
done
run_v8
echo "difftest: seed $seed, $rounds rounds, $modules modules compared ($skipped skipped)," \
	"$funcs export calls, $fuelchecks precise/slacked fuel comparisons, $fails differences"
[ $fails -eq 0 ]
