#!/usr/bin/env bash
# Limits benchmarks (called by bench/plugins/limits.sh for make bench; runs
# alone too).  Each subcommand prints tab-separated rows, a header first:
#
#   bench/limits.sh cost   CPU time per unit of fuel across a mix: plain
#       loops, call-heavy code (direct, through a table, and a host
#       function), memory.copy and memory.fill (small, in cache, and
#       larger than the last-level cache), table.fill, memory.grow with
#       the first touch of its pages (what its charge pays for), and text
#       copied into linear memory by the extension.  Copies of a few
#       KiB or more that stay in cache are over-charged (the charge by
#       bytes is set for memory that is not in cache): a row of them
#       follows the largest / smallest line, which leaves it out, and a
#       second ratio takes it in.  Every row runs at
#       least about 200 ms of CPU time, LIMITS_COST_RUNS times (default
#       5), and prints the median.  Engine rows: build/sfrun's call CPU
#       time (CLOCK_THREAD_CPUTIME_ID), the better of 2 calls in one
#       instance (so copies run on memory already touched; memory.grow: 1
#       call, each run a new process), and the fuel it reports.  The text
#       row: a backend's CPU time (ns, /proc/PID/schedstat) for calls of a
#       function given a 1 MB text, less the same query without the call,
#       over the fuel the calls were charged.  The last row is the largest
#       over the smallest.
#   bench/limits.sh stop   How long a loop of 512 MB copies in a 1 GB
#       memory takes to stop after statement_timeout fires, or
#       pg_cancel_backend or pg_terminate_backend from another session, in
#       each fuel mode: median and largest of LIMITS_RUNS runs (default
#       30), timed by bench/limits_stop.c from the event to the error's
#       arrival.  Each run is a new session, so its memory is touched for
#       the first time as it is copied into.  For the slowest run, the
#       victim backend's CPU time in that interval and the time it, the
#       stopping session's backend and limits_stop itself spent waiting
#       for a CPU (/proc/PID/schedstat): a slow stop whose time was spent
#       waiting is the scheduler's, not ours.
#   bench/limits.sh small  20,000 calls that run out of fuel at
#       slackfuel.fuel_limit = 1000 in slacked mode, against 20,000 that
#       trap on unreachable, each in a PL/pgSQL loop with an EXCEPTION
#       block; and slacked code at that limit (slackfuel.precise_below = 0,
#       how it ran before), on LIMITS_SLOW_CALLS calls (default 100),
#       scaled to 20,000.
#
# The PostgreSQL rows run a private copy of the server with the extension
# (scripts/pginstall) on a scratch cluster, like bench/sql.sh.
set -eu
cd "$(dirname "$0")/.."
RUNS=${LIMITS_RUNS:-30}
COST_RUNS=${LIMITS_COST_RUNS:-5}
SLOW_CALLS=${LIMITS_SLOW_CALLS:-100}
SFRUN=${SFRUN:-build/sfrun}
OUT=bench/out/limits
mkdir -p "$OUT"

# ---- the engine's rows ---------------------------------------------------

write_modules() {
	cat >"$OUT/loop.wat" <<'EOF'
(module
  (func (export "run") (param $n i32) (result i32) (local $i i32)
    (block $out (loop $l
      (br_if $out (i32.ge_s (local.get $i) (local.get $n)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.get $i)))
EOF
	cat >"$OUT/calls.wat" <<'EOF'
(module
  (func $fib (export "run") (param i32) (result i32)
    (if (result i32) (i32.lt_s (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2))))))))
EOF
	# fib through the table, and a no-op host function in a loop
	cat >"$OUT/calls2.wat" <<'EOF'
(module
  (import "spectest" "print_i32" (func $p (param i32)))
  (type $t (func (param i32) (result i32)))
  (table 1 funcref)
  (elem (i32.const 0) $fibi)
  (func $fibi (export "fibi") (param i32) (result i32)
    (if (result i32) (i32.lt_s (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call_indirect (type $t) (i32.sub (local.get 0) (i32.const 1)) (i32.const 0))
                     (call_indirect (type $t) (i32.sub (local.get 0) (i32.const 2)) (i32.const 0))))))
  (func (export "host") (param $n i32) (result i32) (local $i i32)
    (block $out (loop $l
      (br_if $out (i32.ge_s (local.get $i) (local.get $n)))
      (call $p (local.get $i))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.get $i)))
EOF
	# run(size, reps): reps operations of 'size' bytes (elements)
	cat >"$OUT/bulk.wat" <<'EOF'
(module
  (memory 16384)
  (table 1000000 funcref)
  (func $f) (elem declare func $f)
  (func (export "copy") (param $sz i32) (param $n i32) (result i32)
    (block $out (loop $l
      (br_if $out (i32.eqz (local.get $n)))
      (memory.copy (i32.const 0) (local.get $sz) (local.get $sz))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $l)))
    (i32.const 0))
  (func (export "fill") (param $sz i32) (param $n i32) (result i32)
    (block $out (loop $l
      (br_if $out (i32.eqz (local.get $n)))
      (memory.fill (i32.const 0) (local.get $n) (local.get $sz))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $l)))
    (i32.const 0))
  (func (export "tfill") (param $sz i32) (param $n i32) (result i32)
    (block $out (loop $l
      (br_if $out (i32.eqz (local.get $n)))
      (table.fill (i32.const 0) (ref.func $f) (local.get $sz))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $l)))
    (i32.const 0)))
EOF
	# grow(n): n times, grow by a page and store into each of its 4 KiB pages
	cat >"$OUT/grow.wat" <<'EOF'
(module
  (memory 0)
  (func (export "grow") (param $n i32) (result i32) (local $p i32) (local $end i32)
    (block $out (loop $l
      (br_if $out (i32.eqz (local.get $n)))
      (local.set $p (i32.shl (memory.grow (i32.const 1)) (i32.const 16)))
      (local.set $end (i32.add (local.get $p) (i32.const 65536)))
      (block $d (loop $t
        (br_if $d (i32.ge_u (local.get $p) (local.get $end)))
        (i32.store8 (local.get $p) (i32.const 1))
        (local.set $p (i32.add (local.get $p) (i32.const 4096)))
        (br $t)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $l)))
    (memory.size)))
EOF
}

# ENGINE_ROW LABEL REPEAT FILE EXPORT ARG...: label, fuel, CPU seconds and
# ns a unit, the median of COST_RUNS processes (each the best of REPEAT calls)
engine_row() {
	local label=$1 repeat=$2 file=$3 r log=$OUT/sfrun.log fuel
	shift 3
	: >"$OUT/cpu.txt"
	for ((r = 0; r < COST_RUNS; r++)); do
		"$SFRUN" --stats --time --repeat="$repeat" "$OUT/$file" "$@" >/dev/null 2>"$log" ||
			{ echo "limits: sfrun $file $*: $(tail -1 "$log")" >&2; return 1; }
		fuel=$(sed -n 's/^fuel consumed: //p' "$log" | tail -1)
		sed -n 's/^call cpu time: //p' "$log" | tail -1 >>"$OUT/cpu.txt"
	done
	sort -g "$OUT/cpu.txt" | awk -v l="$label" -v f="$fuel" '
		{ c[NR] = $1 }
		END { m = c[int((NR + 1) / 2)]; printf "%s\t%.0f\t%.3f\t%.3f\n", l, f, m, m * 1e9 / f }'
}

cost_engine() {
	write_modules
	engine_row "plain loop (count to n)" 2 loop.wat run 400000000
	engine_row "call-heavy (recursive fib)" 2 calls.wat run 38
	engine_row "call_indirect-heavy (fib through a table)" 2 calls2.wat fibi 36
	engine_row "host calls (a no-op import in a loop)" 2 calls2.wat host 12000000
	engine_row "memory.copy, 64 B" 2 bulk.wat copy 64 20000000
	engine_row "memory.fill, 64 B" 2 bulk.wat fill 64 20000000
	engine_row "memory.copy, 512 B (in cache)" 2 bulk.wat copy 512 20000000
	engine_row "memory.copy, 64 MiB" 2 bulk.wat copy 67108864 64
	engine_row "memory.copy, 512 MiB (larger than the cache)" 2 bulk.wat copy 536870912 8
	engine_row "memory.fill, 64 MiB" 2 bulk.wat fill 67108864 64
	engine_row "memory.fill, 1 GiB (larger than the cache)" 2 bulk.wat fill 1073741824 4
	engine_row "table.fill, 1M elements" 2 bulk.wat tfill 1000000 2500
	engine_row "memory.grow + first touch, 1 page" 1 grow.wat grow 2000
}

# Copies of a few KiB or more in cache, over-charged: the charge by bytes
# is set for memory that is not in cache, which takes 5-6 times as long
# per byte; such a copy costs more fuel than its CPU time, never less.
cost_over() {
	engine_row "memory.copy, 4 KiB (in cache; over-charged, not in the ratio)" 2 bulk.wat copy 4096 5000000
}

# ---- PostgreSQL ------------------------------------------------------------

pg_start() {
	local pg env
	pg=$(scripts/pginstall)
	# shellcheck disable=SC2163
	export "$pg"
	PGDIR=$(mktemp -d /tmp/slackfuel-limits.XXXXXX)
	chmod 755 "$PGDIR"
	trap 'scripts/pgcluster stop "$PGDIR/pg" >/dev/null 2>&1; rm -rf "$PGDIR"' EXIT
	env=$(scripts/pgcluster start "$PGDIR/pg")
	# shellcheck disable=SC2086
	export $env
	export PGDATABASE=postgres
	psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
ALTER DATABASE postgres SET slackfuel.max_memory = '1GB';
ALTER DATABASE postgres SET slackfuel.max_backend_memory = '2GB';
ALTER DATABASE postgres SET slackfuel.fuel_limit_ceiling = '1T';
ALTER DATABASE postgres SET slackfuel.fuel_limit = '1T';
-- n copies of 512 MiB, [512 MiB, 1 GiB) to [0, 512 MiB)
CREATE FUNCTION copies(int) RETURNS int STRICT LANGUAGE wasm AS $$
(module (memory 16384)
  (func (export "copies") (param $n i32) (result i32) (local $i i32)
    (block $out (loop $l
      (br_if $out (i32.ge_u (local.get $i) (local.get $n)))
      (memory.copy (i32.const 0) (i32.const 0x20000000) (i32.const 0x20000000))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.get $i)))
$$;
-- the length of a text, which crosses into linear memory at 64 KiB
CREATE FUNCTION tlen(text) RETURNS int STRICT LANGUAGE wasm AS $$
(module (memory (export "memory") 32)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 65536))
  (func (export "tlen") (param i32 i32) (result i32) (local.get 1)))
$$;
CREATE FUNCTION burn() RETURNS int LANGUAGE wasm AS
  '(module (func (export "burn") (result i32) (loop $l (br $l)) (i32.const 0)))';
CREATE FUNCTION unr() RETURNS int LANGUAGE wasm AS
  '(module (func (export "unr") (result i32) unreachable))';
SQL
}

# The text row, in one session: its backend's CPU time (ns, from
# /proc/PID/schedstat) around a query passing one 1 MB text to tlen 'rows'
# times, and around the same query taking its octet_length instead;
# COST_RUNS times, the median of the differences.
cost_text() {
	local rows=10000 fuel q log=$OUT/text.log r
	q="FROM (SELECT repeat('x', 1000000) || '0' AS t) s, generate_series(1, $rows) g"
	{
		echo "SELECT tlen(repeat('x', 1000000) || '0');"
		echo "SELECT 'fuel ' || slackfuel_last_fuel_consumed();"
		echo 'SELECT pg_backend_pid() AS pid \gset'
		echo '\setenv BPID :pid'
		for ((r = 0; r < COST_RUNS; r++)); do
			echo '\! echo "ns $(cut -d" " -f1 /proc/$BPID/schedstat)"'
			echo "SELECT sum(octet_length(t)) $q;"
			echo '\! echo "ns $(cut -d" " -f1 /proc/$BPID/schedstat)"'
			echo "SELECT sum(tlen(t)) $q;"
			echo '\! echo "ns $(cut -d" " -f1 /proc/$BPID/schedstat)"'
		done
	} | psql -X -qAt -v ON_ERROR_STOP=1 >"$log" 2>&1 || { echo "limits: text row: $(tail -1 "$log")" >&2; return 1; }
	fuel=$(sed -n 's/^fuel //p' "$log")
	awk '/^ns / { t[++k] = $2 }
		END {
			if (k < 3 || t[3] == "") { print "n/a"; exit }
			for (i = 1; i + 2 <= k; i += 3) print ((t[i + 2] - t[i + 1]) - (t[i + 1] - t[i])) / 1e9 }' "$log" |
		sort -g | awk -v l="text into linear memory, 1 MB (extension)" -v f="$fuel" -v n="$rows" '
		$1 == "n/a" { printf "%s\tn/a (no /proc)\n", l; exit }
		{ c[NR] = $1 }
		END { if (NR == 0) exit; m = c[int((NR + 1) / 2)]
			printf "%s\t%.0f\t%.3f\t%.3f\n", l, f * n, m, m * 1e9 / (f * n) }'
}

cost() {
	printf 'workload\tfuel\tCPU s\tns per unit\n'
	{
		cost_engine
		pg_start
		cost_text
	} | tee "$OUT/cost.tsv"
	awk -F '\t' '$4 + 0 > 0 { if (min == "" || $4 < min) min = $4; if ($4 > max) max = $4 }
		END { printf "largest / smallest\t\t\t%.1fx\n", max / min }' "$OUT/cost.tsv"
	cost_over | tee -a "$OUT/cost.tsv"
	awk -F '\t' '$4 + 0 > 0 { if (min == "" || $4 < min) min = $4; if ($4 > max) max = $4 }
		END { printf "largest / smallest, with the over-charged row\t\t\t%.1fx\n", max / min }' "$OUT/cost.tsv"
}

stop() {
	local stopper=$OUT/limits_stop kind mode line
	cc -O2 -Wall bench/limits_stop.c -o "$stopper" -I"$(pg_config --includedir)" -lpq
	pg_start
	printf 'event\tfuel mode\tmedian ms\tlargest ms\truns\tlargest: victim CPU ms\tlargest: waiting for a CPU ms\n'
	for kind in timeout cancel terminate; do
		for mode in off precise slacked; do
			line=$("$stopper" "$kind" "$mode" "$RUNS" 'SELECT copies(1000000)' 'SELECT copies(0)')
			# "median M max X runs N cpu C wait W"
			# shellcheck disable=SC2086
			set -- $line
			printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
				"$(case $kind in timeout) echo statement_timeout ;; cancel) echo pg_cancel_backend ;; *) echo pg_terminate_backend ;; esac)" \
				"$mode" "$2" "$4" "$6" "$8" "${10}"
		done
	done
}

# SECONDS for N calls of FUNC in a PL/pgSQL loop catching SQLSTATE
loop_seconds() {
	local n=$1 func=$2 state=$3 setting=$4
	psql -X -qAt <<SQL | tail -1
SET slackfuel.fuel_mode = slacked;
SET slackfuel.fuel_limit = '1000';
$setting
CREATE TEMP TABLE t0 AS SELECT clock_timestamp() AS t;
DO \$\$ BEGIN FOR i IN 1..$n LOOP
  BEGIN PERFORM $func(); EXCEPTION WHEN $state THEN NULL; END;
END LOOP; END \$\$;
SELECT extract(epoch FROM clock_timestamp() - t) FROM t0;
SQL
}

small() {
	local oof unr slow
	pg_start
	oof=$(loop_seconds 20000 burn program_limit_exceeded "")
	unr=$(loop_seconds 20000 unr external_routine_exception "")
	slow=$(loop_seconds "$SLOW_CALLS" burn program_limit_exceeded "SET slackfuel.precise_below = '0';")
	printf 'calls (fuel_limit = 1000, slacked mode)\tseconds\tratio to unreachable\n'
	awk -v o="$oof" -v u="$unr" -v s="$slow" -v n="$SLOW_CALLS" 'BEGIN {
		printf "20,000 out of fuel (precise code below slackfuel.precise_below)\t%.2f\t%.2fx\n", o, o / u
		printf "20,000 trapping on unreachable\t%.2f\t1.00x\n", u
		printf "20,000 out of fuel on slacked code (precise_below = 0; %d run, scaled)\t%.1f\t%.0fx\n", n, s * 20000 / n, s * 20000 / n / u }'
}

case ${1:-} in
cost | stop | small) "$1" ;;
*) echo "usage: bench/limits.sh cost|stop|small" >&2; exit 1 ;;
esac
