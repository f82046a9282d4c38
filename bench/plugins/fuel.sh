# shellcheck shell=bash
# Fuel metering (issue 4).  Sourced by bench/run; uses its OUT, ROUNDS,
# SFRUN, limited, stat_line, to_seconds and print_table.
#
# 1. The kernels under each fuel mode, one compiled module per mode, each
#    call given a limit it never reaches (10^18), as ratios to fuel off:
#    precise (add + jg at every fuel point), slacked (add only, no
#    watchdog), slacked with the watchdog ticking every 10 ms, and a
#    control: fuel off's code again, compiled separately, whose ratio to
#    fuel off shows how far the measurement alone moves one.  build/sffuel
#    runs all five in one process, interleaved, FUEL_ROUNDS rounds (default
#    14), each timed call in a fresh instance whose memory an untimed call
#    faulted in: separate processes, or one instance per mode, tie a mode
#    to the memory it got, which moved single kernels by 5-20% here.  That
#    runs FUEL_PASSES times (default 3), a pass over all kernels each, and
#    the rounds of all passes are pooled: what one round of fib costs in
#    slacked mode depends on the minute (on this 2-vCPU VM, one process
#    measured 0.99-1.01x in each of four copies of its code and another
#    1.05-1.08x in each, fuel off's copies 0.98-1.01x in both), so a kernel measured
#    in one window of 2-3 s got that window's ratio, and three windows
#    half a minute apart give a steadier one.  The
#    calls are short (FUEL_N below, about a tenth of the main table's work,
#    5-50 ms): this machine runs in phases of seconds that differ by up to
#    40% (the same libc compile took 1.35 ms in one and 1.9 ms in another;
#    nbody's full run took 0.38 s or 0.53 s), and a round of full-length
#    calls (1-2 s) often straddled a change of phase, so one mode got the
#    fast phase and the next the slow one.
# 2. The same kernels' instruction counts under valgrind's callgrind, with
#    smaller n: not what the targets are about (time), but deterministic,
#    so a change of a fraction of a percent shows on a noisy shared machine.
#    Each fuel add is one instruction: this is the count of executed charges.
# 3. A runaway loop in slacked mode with the watchdog at 10 ms, run
#    FUEL_RUNAWAY_RUNS times: how far past the limit it ran (overshoot, in
#    fuel units) and for how long (the time from exhaustion to the trap).
#    The loop burns fuel at a constant rate, so that time is the call's
#    time scaled by overshoot / consumed.

FUEL_BIG_LIMIT=1000000000000000000
FUEL_RUNAWAY_RUNS=${FUEL_RUNAWAY_RUNS:-30}
FUEL_RUNAWAY_LIMIT=${FUEL_RUNAWAY_LIMIT:-200000000}

FUEL_ROUNDS=${FUEL_ROUNDS:-14}
FUEL_PASSES=${FUEL_PASSES:-3}
SFFUEL=${SFFUEL:-build/sffuel}

# n for the timed fuel-mode runs and the callgrind counts (about a tenth of
# the work of the main table's runs); a kernel not listed runs its own n
declare -A FUEL_N=([fib]=30 [mandelbrot]=600 [matmul]=200 [nbody]=300000
	[quicksort]=300000 [sha256]=70 [sieve]=4000000)

# The rounds sffuel --raw printed (five times a line), pooled, on stdin:
# per mode "NAME BEST RATIO MEDIAN" as sffuel prints them itself (best
# time, its ratio to fuel off's best, median of the within-round ratio).
fuel_pool() {
	local rounds m best best0 med names=(off precise slacked slacked+watchdog off-again)
	rounds=$(cat)
	best0=$(awk 'NR == 1 || $1 < b { b = $1 } END { printf "%.9f", b }' <<<"$rounds")
	for m in 1 2 3 4 5; do
		best=$(awk -v m="$m" 'NR == 1 || $m < b { b = $m } END { printf "%.9f", b }' <<<"$rounds")
		read -r _ med _ <<<"$(awk -v m="$m" '{ printf "%.9f\n", $m / $1 }' <<<"$rounds" | fuel_stats '%.4f')"
		echo "${names[m - 1]} $best $(awk -v a="$best" -v b="$best0" 'BEGIN { printf "%.4f", a / b }') $med"
	done
}

section_fuel_modes() {
	local k p out rows=() line
	local -A raw=()
	[ -x "$SFFUEL" ] || { echo "fuel modes: n/a ($SFFUEL not built)"; return 0; }
	for ((p = 0; p < FUEL_PASSES; p++)); do
		for k in "${KERNELS[@]}"; do
			if ! out=$(limited "$SFFUEL" --raw --rounds="$FUEL_ROUNDS" "$OUT/$k.wasm" run "${FUEL_N[$k]:-${K_N[$k]}}" 2>&1); then
				echo "fuel modes: $k: FAILED: $(printf '%s\n' "$out" | tail -1)"
				return 1
			fi
			raw[$k]+=$out$'\n'
		done
	done
	for k in "${KERNELS[@]}"; do
		line=$k$'\t'"${FUEL_N[$k]:-${K_N[$k]}}"
		while read -r _ best ratio med; do
			line+=$'\t'"$best"$'\t'"$ratio"$'\t'"$med"
		done < <(printf '%s' "${raw[$k]}" | fuel_pool)
		rows+=("$line")
	done
	echo "Fuel metering: CPU ms of one run(n) call, n about a tenth of the main table's (the n column), best of $FUEL_PASSES passes over all kernels of $FUEL_ROUNDS rounds each (one process per kernel and pass, modes interleaved), rounds pooled; ratio of bests to fuel off, and in brackets the median over the rounds of the ratio within a round"
	echo "(targets: slacked <= 1.02x geomean and <= 1.05x worst, precise <= 1.08x geomean; the control runs fuel off's code again, compiled separately: how far the measurement alone moves a ratio)"
	echo
	{
		printf 'benchmark\tn\tfuel off ms\tprecise ms (x off)\tslacked ms (x off)\tslacked+watchdog 10ms ms (x off)\tcontrol: fuel off again ms (x off)\n'
		printf '%s\n' "${rows[@]}" | awk -F'\t' '
			{ printf "%s\t%s\t%.2f", $1, $2, $3 * 1e3
			  for (m = 1; m <= 4; m++) {
				b = $(3 + 3 * m); r = $(4 + 3 * m); q = $(5 + 3 * m)
				printf "\t%.2f %.3fx (%.3fx)", b * 1e3, r, q
				lr[m] += log(r); lq[m] += log(q)
			  }
			  printf "\n"; n++ }
			END { printf "geomean\t\t"
			  for (m = 1; m <= 4; m++) printf "\t%.3fx (%.3fx)", exp(lr[m] / n), exp(lq[m] / n)
			  printf "\n" }'
	} | print_table
	return 0
}

register_section section_fuel_modes

# min, median and max of the numbers on stdin, formatted with FORMAT
fuel_stats() {		# FORMAT
	sort -g | awk -v f="$1" '{ v[NR] = $1 } END {
		if (NR == 0) { print "n/a\tn/a\tn/a"; exit }
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf f "\t" f "\t" f "\n", v[1], m, v[NR] }'
}

section_fuel_runaway() {
	local wat=$OUT/runaway.wat err=$OUT/runaway.err i rc consumed t over=() lat=() med mx
	[ -x "$SFRUN" ] || { echo "fuel runaway: n/a ($SFRUN not built)"; return 0; }
	cat >"$wat" <<'EOF'
(module
  (func (export "spin") (param $i i32) (result i32)
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l))
    (local.get $i)))
EOF
	for ((i = 0; i < FUEL_RUNAWAY_RUNS; i++)); do
		limited "$SFRUN" --time --stats --fuel-mode=slacked --fuel="$FUEL_RUNAWAY_LIMIT" \
			--interval-ms=10 "$wat" spin 0 >/dev/null 2>"$err"
		rc=$?
		if [ $rc -ne 2 ] || ! grep -q '^trap: out of fuel' "$err"; then
			echo "fuel runaway: FAILED: exit $rc: $(tail -1 "$err")"
			return 1
		fi
		consumed=$(stat_line "$err" "fuel consumed")
		t=$(to_seconds "$(stat_line "$err" "call time")")
		over+=("$((consumed - FUEL_RUNAWAY_LIMIT))")
		lat+=("$(awk -v t="$t" -v c="$consumed" -v l="$FUEL_RUNAWAY_LIMIT" \
			'BEGIN { printf "%.6f", t * (c - l) / c * 1e3 }')")
	done
	echo "Runaway loop, slacked fuel, watchdog every 10 ms, limit $FUEL_RUNAWAY_LIMIT, $FUEL_RUNAWAY_RUNS runs"
	echo "(targets: median stop latency <= 11 ms, max <= 20 ms)"
	echo
	{
		printf 'measure\tmin\tmedian\tmax\n'
		printf 'overshoot (fuel units past the limit)\t%s\n' "$(printf '%s\n' "${over[@]}" | fuel_stats '%.0f')"
		printf 'exhaustion to trap (ms)\t%s\n' "$(printf '%s\n' "${lat[@]}" | fuel_stats '%.2f')"
	} | print_table
	read -r _ med mx <<<"$(printf '%s\n' "${lat[@]}" | fuel_stats '%.6f')"
	awk -v m="$med" -v x="$mx" 'BEGIN { exit !(m <= 11 && x <= 20) }' ||
		echo "fuel runaway: stop latency above target (median $med ms, max $mx ms)"
	return 0
}

register_section section_fuel_runaway


fuel_instructions() {	# KERNEL MODE: instructions of one sfrun under callgrind
	local err=$OUT/fuel-cg.err
	valgrind --tool=callgrind --callgrind-out-file=/dev/null "$SFRUN" \
		--fuel-mode="$2" --fuel=$FUEL_BIG_LIMIT --interval-ms=0 \
		"$OUT/$1.wasm" run "${FUEL_N[$1]}" >"$OUT/fuel-cg.$2.out" 2>"$err" || return 1
	grep -o 'Collected : [0-9]*' "$err" | grep -o '[0-9]*$'
}

section_fuel_instructions() {
	local k off sl pr rows=() n=0
	command -v valgrind >/dev/null || { echo "fuel instructions: n/a (valgrind not installed)"; return 0; }
	[ -x "$SFRUN" ] || { echo "fuel instructions: n/a ($SFRUN not built)"; return 0; }
	for k in "${KERNELS[@]}"; do
		[ -n "${FUEL_N[$k]:-}" ] || continue
		off=$(fuel_instructions "$k" off) && sl=$(fuel_instructions "$k" slacked) &&
			cmp -s "$OUT/fuel-cg.off.out" "$OUT/fuel-cg.slacked.out" &&
			pr=$(fuel_instructions "$k" precise) &&
			cmp -s "$OUT/fuel-cg.off.out" "$OUT/fuel-cg.precise.out" || {
			echo "fuel instructions: $k: FAILED (a run failed or the results differ)"
			return 1
		}
		rows+=("$k	$off	$sl	$pr")
		n=$((n + 1))
	done
	[ "$n" -gt 0 ] || return 0
	echo "Fuel metering, instructions executed (valgrind callgrind, whole sfrun process, smaller n), ratio to fuel off"
	echo
	{
		printf 'kernel\tn\toff instructions\tslacked\tprecise\n'
		for r in "${rows[@]}"; do
			IFS=$'\t' read -r k off sl pr <<<"$r"
			printf '%s\t%s\t%s\t%.4fx\t%.4fx\n' "$k" "${FUEL_N[$k]}" "$off" \
				"$(awk -v a="$sl" -v b="$off" 'BEGIN { print a / b }')" \
				"$(awk -v a="$pr" -v b="$off" 'BEGIN { print a / b }')"
		done
		printf '%s\n' "${rows[@]}" | awk -F'\t' '{ s += log($3 / $2); p += log($4 / $2); n++ }
			END { printf "geomean\t\t\t%.4fx\t%.4fx\n", exp(s / n), exp(p / n) }'
	} | print_table
	return 0
}

register_section section_fuel_instructions
