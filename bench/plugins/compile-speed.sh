# shellcheck shell=bash
# Compile speed on modules large enough to show throughput past fixed
# costs: bench/libc-module.c linked with wasi-libc (~90 KB), and
# bench/large-module.rs (Rust, about 1 MB of code section), where the
# default threads matter.  Sourced by bench/run; uses its OUT, ROUNDS,
# SFRUN, NODE, V8_LIFTOFF, limited, stat_line, to_seconds, normalize and
# print_table.  V8's figure is the whole new WebAssembly.Module with every
# function compiled by Liftoff (decoding and validation included; V8 may
# use background threads).

COMPILE_MODULE_N=1000
# run(7) of the large module: a few ms of work after the compile
LARGE_MODULE_N=7
# Fresh processes per engine: each is a few ms, and the best of many is
# what a shared machine's noisy minutes leave of the compiler's own speed.
COMPILE_ROUNDS=${COMPILE_ROUNDS:-21}
# The last row compiles the module this many times in one process and
# times the last (sfrun --compile-repeat): the compiler once its process
# has run it, as in a PostgreSQL backend, apart from the first touches of
# fresh memory and the cold caches and predictors of a fresh process.
WARM_COMPILES=5

compile_module_build() {	# WASM
	clang --target=wasm32-wasi --sysroot=/usr -O2 -nostartfiles -Wl,--no-entry \
		-Wl,--export=run -Wl,--strip-debug bench/libc-module.c -lm -o "$1"
}

# Debian's rustc (the rustup one on PATH has no wasm target); ~1 min, so
# the module is rebuilt only when its source changed.
large_module_build() {	# WASM
	[ "$1" -nt bench/large-module.rs ] && return 0
	/usr/bin/rustc --edition 2021 --target wasm32-unknown-unknown -C opt-level=2 \
		-C panic=abort -C strip=symbols --crate-type cdylib bench/large-module.rs -o "$1"
}

# Each row's compile time over COMPILE_ROUNDS rounds, the rows interleaved:
# every round runs each command once, in turn, so that a shared machine's
# load, which changes over minutes, weighs on every row alike (run one row
# after another, the rows compared the load of different minutes).  The
# commands are given as CS_CMD[0..n-1] (one string each, split on blanks);
# for row k this sets CS_TIMES[k] (seconds, one per round), CS_SUMS[k],
# CS_CODES[k] and CS_THREADS[k] (each round's "compile threads", when
# printed), or CS_FAILS[k] with the reason (and stops running it); the
# last round's output and errors stay in $OUT/compile.K.out and .err.
declare -a CS_CMD=() CS_TIMES=() CS_SUMS=() CS_CODES=() CS_FAILS=() CS_THREADS=()

compile_module_measure_rows() {
	local i k rc t err out n=${#CS_CMD[@]} cmd=()
	CS_TIMES=() CS_SUMS=() CS_CODES=() CS_FAILS=() CS_THREADS=()
	for ((i = 0; i < COMPILE_ROUNDS; i++)); do
		for ((k = 0; k < n; k++)); do
			[ -z "${CS_FAILS[k]:-}" ] || continue
			read -ra cmd <<<"${CS_CMD[k]}"
			err=$OUT/compile.$k.err out=$OUT/compile.$k.out
			"${cmd[@]}" >"$out" 2>"$err"
			rc=$?
			if [ $rc -ne 0 ]; then
				CS_FAILS[k]="exit $rc: $(grep -v '^[[:space:]]*$' "$err" | tail -1)"
				continue
			fi
			t=$(stat_line "$err" "compile time")
			CS_SUMS[k]=$(grep -m1 -E '^(i32|i64|f64):' "$out")
			if [ -z "$t" ] || [ -z "${CS_SUMS[k]}" ]; then
				CS_FAILS[k]="no checksum or no compile time in its output"
				continue
			fi
			CS_SUMS[k]=$(normalize "${CS_SUMS[k]}")
			CS_TIMES[k]+="$(to_seconds "$t") "
			CS_CODES[k]=$(stat_line "$err" "code size")
			CS_THREADS[k]+="$(stat_line "$err" "compile threads") "
		done
	done
}

# Row k's best and median into CS_TIME, CS_MEDIAN, CS_SUM, CS_CODE, CS_FAIL.
compile_row_stats() {	# K
	CS_FAIL=${CS_FAILS[$1]:-} CS_SUM=${CS_SUMS[$1]:-} CS_CODE=${CS_CODES[$1]:-}
	CS_TIME="" CS_MEDIAN=""
	[ -z "$CS_FAIL" ] || return 0
	read -r CS_TIME CS_MEDIAN < <(printf '%s\n' ${CS_TIMES[$1]} | sort -g | awk '{ v[NR] = $1 }
		END { print v[1], NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
}

compile_speed_row() {	# LABEL CODE_SECTION_BYTES
	if [ -n "$CS_FAIL" ]; then
		printf '%s\tFAILED\t\t\t\t\t\n' "$1"
		return
	fi
	awk -v l="$1" -v s="$2" -v t="$CS_TIME" -v m="$CS_MEDIAN" -v c="${CS_CODE%% *}" -v sum="$CS_SUM" 'BEGIN {
		printf "%s\t%s\t%s\t%.3f ms\t%.1f\t%.3f ms\t%.1f\n", l, sum, c == "" ? "n/a" : c " B",
			t * 1e3, s / t / 1e6, m * 1e3, s / m / 1e6 }'
}

# One module's table: slackfuel with the default threads and with one,
# and V8 Liftoff, measured in interleaved rounds; returns 1 on a failure
# or a checksum unlike V8's.
compile_speed_table() {	# WASM N TITLE
	local wasm=$1 n=$2 title=$3 size sf_row="" v8_row v8_sum status=0 problems="" k used
	size=$(code_section_bytes "$wasm")
	echo "$title, $(stat -c %s "$wasm") B of wasm ($size B of code section), best and median of $COMPILE_ROUNDS fresh processes each, the rows interleaved"
	echo
	CS_CMD=("limited $NODE $V8_LIFTOFF bench/run-node.mjs $wasm $n --type=i32 --warmup=0")
	# the default (threads chosen by the engine), one thread alone, and one
	# thread in a process that has compiled the module before
	if [ -x "$SFRUN" ]; then
		CS_CMD+=("limited $SFRUN --stats --compile-threads=0 $wasm run $n"
			"limited $SFRUN --stats --compile-threads=1 $wasm run $n"
			"limited $SFRUN --stats --compile-threads=1 --compile-repeat=$WARM_COMPILES $wasm run $n")
	fi
	compile_module_measure_rows
	compile_row_stats 0
	v8_sum=$CS_SUM
	v8_row=$(compile_speed_row "V8 Liftoff (new WebAssembly.Module)" "$size")
	[ -z "$CS_FAIL" ] || { problems+="V8 Liftoff FAILED: $CS_FAIL"$'\n'; status=1; }
	if [ ! -x "$SFRUN" ]; then
		sf_row+=$(printf 'slackfuel\tn/a\tn/a\tn/a (%s not built)\tn/a\tn/a\tn/a' "$SFRUN")$'\n'
	fi
	for ((k = 1; k < ${#CS_CMD[@]}; k++)); do
		compile_row_stats $k
		if [ $k = 1 ]; then
			# the threads that took part, which the engine decides per run
			used=$(printf '%s\n' ${CS_THREADS[1]:-} | sort -n | uniq | paste -sd/)
			[ "$used" = 1 ] && used="1 thread" || used="${used:-?} threads"
			sf_row+=$(compile_speed_row "slackfuel (sfrun --stats; $used)" "$size")$'\n'
		elif [ $k = 2 ]; then
			sf_row+=$(compile_speed_row "slackfuel, one thread (--compile-threads=1)" "$size")$'\n'
		else
			sf_row+=$(compile_speed_row "slackfuel, one thread, compile $WARM_COMPILES of $WARM_COMPILES in one process" "$size")$'\n'
		fi
		if [ -n "$CS_FAIL" ]; then
			problems+="slackfuel FAILED: $CS_FAIL"$'\n'
			status=1
		elif [ "$CS_SUM" != "$v8_sum" ]; then
			problems+="slackfuel CHECKSUM MISMATCH on $(basename "$wasm"): $CS_SUM, V8 $v8_sum"$'\n'
			status=1
		fi
	done
	{
		printf 'engine\tchecksum run(%s)\tcode size\tbest compile time\tbest MB/s\tmedian time\tmedian MB/s\n' "$n"
		printf '%s%s\n' "$sf_row" "$v8_row"
	} | print_table
	[ -z "$problems" ] || printf '\n%s' "$problems"
	return $status
}

section_compile_speed() {
	local wasm=$OUT/libc-module.wasm large=$OUT/large-module.wasm status=0
	if ! compile_module_build "$wasm"; then
		echo "compile speed: building bench/libc-module.c failed"
		return 1
	fi
	compile_speed_table "$wasm" "$COMPILE_MODULE_N" \
		"Compile speed on a larger module: bench/libc-module.c with wasi-libc" || status=1
	echo
	if ! large_module_build "$large"; then
		echo "compile speed: building bench/large-module.rs failed"
		return 1
	fi
	compile_speed_table "$large" "$LARGE_MODULE_N" \
		"Compile speed on a module of about 1 MB: bench/large-module.rs (Rust)" || status=1
	return $status
}

register_section section_compile_speed
