# shellcheck shell=bash
# Fuel metering (issue 4).  Sourced by bench/run; uses its OUT, ROUNDS,
# SFRUN, limited, stat_line, to_seconds and print_table.
#
# 1. The kernels under each fuel mode, one compiled module per mode, each
#    call given a limit it never reaches (10^18), as ratios to fuel off:
#    precise (add + jg at every fuel point), slacked (add only, no
#    watchdog), slacked with the watchdog ticking every 10 ms.
# 2. A runaway loop in slacked mode with the watchdog at 10 ms, run
#    FUEL_RUNAWAY_RUNS times: how far past the limit it ran (overshoot, in
#    fuel units) and for how long (the time from exhaustion to the trap).
#    The loop burns fuel at a constant rate, so that time is the call's
#    time scaled by overshoot / consumed.

FUEL_BIG_LIMIT=1000000000000000000
FUEL_RUNAWAY_RUNS=${FUEL_RUNAWAY_RUNS:-30}
FUEL_RUNAWAY_LIMIT=${FUEL_RUNAWAY_LIMIT:-200000000}

register_variant fuel_off "fuel off" run_sfrun --fuel-mode=off
register_variant fuel_precise "precise" run_sfrun --fuel-mode=precise --fuel=$FUEL_BIG_LIMIT
register_variant fuel_slacked "slacked" run_sfrun --fuel-mode=slacked --fuel=$FUEL_BIG_LIMIT --interval-ms=0
register_variant fuel_slacked_wd "slacked+watchdog 10ms" run_sfrun --fuel-mode=slacked --fuel=$FUEL_BIG_LIMIT --interval-ms=10
register_table "Fuel metering, ratio to fuel off (targets: slacked <= 1.02x geomean, precise <= 1.08x)" \
	fuel_off fuel_precise fuel_slacked fuel_slacked_wd

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
