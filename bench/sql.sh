#!/usr/bin/env bash
# SQL benchmark rows (called by make bench): whole queries over many rows,
# with the same function written in wasm (slackfuel), C, PL/pgSQL and SQL;
# then a function that runs a one-row indexed query per call, against
# PL/pgSQL.
# Runs a private copy of the server with the extension (scripts/pginstall).
# Prints the median of RUNS timings (the backend's CPU time) per cell and
# ratios to C; SQL_BENCH_STAT=minimum prints the smallest instead (what a
# busy machine adds to CPU time, through caches and frequency, is never
# negative).
set -eu
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
if ! command -v pg_config >/dev/null; then
	echo "sql bench: skipped (no pg_config)"
	exit 0
fi
pg=$(scripts/pginstall)
export "$pg"
dir=$(mktemp -d /tmp/slackfuel-bench.XXXXXX)
chmod 755 "$dir"
trap 'scripts/pgcluster stop "$dir/pg"; rm -rf "$dir"' EXIT
cc -O2 -fPIC -shared -I"$(pg_config --includedir-server)" bench/sql_udf.c -o "$dir/sql_udf.so"
clang --target=wasm32 -O2 -nostdlib -mbulk-memory -Wl,--no-entry -Wl,--export-dynamic \
	bench/sql_guest.c -o "$dir/sql_guest.wasm"
guest="\\x$(od -An -v -tx1 "$dir/sql_guest.wasm" | tr -d ' \n')"
env=$(scripts/pgcluster start "$dir/pg")
export $env

# A build without the whole engine (compiler, text parser) cannot run wasm.
if ! err=$(psql -X -q -d postgres -v ON_ERROR_STOP=1 -c 'CREATE EXTENSION slackfuel' \
	-c 'DO $$ (module (func (export "main"))) $$ LANGUAGE wasm' 2>&1); then
	echo "sql bench: skipped: $err"
	exit 0
fi
psql -X -q -v ON_ERROR_STOP=1 -d postgres <<SQL
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
CREATE FUNCTION c_add1(int) RETURNS int AS '$dir/sql_udf.so', 'c_add1' LANGUAGE C STRICT IMMUTABLE;
CREATE FUNCTION c_fib(bigint) RETURNS bigint AS '$dir/sql_udf.so', 'c_fib' LANGUAGE C STRICT IMMUTABLE;
CREATE FUNCTION wasm_add1(int) RETURNS int STRICT IMMUTABLE LANGUAGE wasm AS
  '(module (func (export "wasm_add1") (param i32) (result i32) local.get 0 i32.const 1 i32.add))';
DO \$\$ BEGIN PERFORM slackfuel_install_module('bench_add1',
  '(module (func (export "add1") (param i32) (result i32) local.get 0 i32.const 1 i32.add))'); END \$\$;
CREATE FUNCTION named_add1(int) RETURNS int STRICT IMMUTABLE LANGUAGE wasm AS 'bench_add1:add1';
CREATE FUNCTION wasmcost1_add1(int) RETURNS int STRICT IMMUTABLE LANGUAGE wasm COST 1 AS
  '(module (func (export "wasmcost1_add1") (param i32) (result i32) local.get 0 i32.const 1 i32.add))';
CREATE FUNCTION plpgsql_add1(i int) RETURNS int STRICT IMMUTABLE LANGUAGE plpgsql AS
  'BEGIN RETURN i + 1; END';
CREATE FUNCTION sql_add1(int) RETURNS int STRICT IMMUTABLE LANGUAGE sql AS 'SELECT \$1 + 1';
CREATE FUNCTION wasm_fib(bigint) RETURNS bigint STRICT IMMUTABLE LANGUAGE wasm AS \$\$
(module (func (export "wasm_fib") (param \$n i64) (result i64)
  (local \$a i64) (local \$b i64) (local \$t i64)
  i64.const 1 local.set \$b
  block \$done
    loop \$next
      local.get \$n i64.eqz br_if \$done
      local.get \$a local.get \$b i64.add i64.const 1000000007 i64.rem_u local.set \$t
      local.get \$b local.set \$a
      local.get \$t local.set \$b
      local.get \$n i64.const 1 i64.sub local.set \$n
      br \$next
    end
  end
  local.get \$a))
\$\$;
CREATE FUNCTION plpgsql_fib(n bigint) RETURNS bigint STRICT IMMUTABLE LANGUAGE plpgsql AS \$\$
DECLARE a bigint := 0; b bigint := 1; t bigint;
BEGIN
  FOR i IN 1..n LOOP
    t := (a + b) % 1000000007; a := b; b := t;
  END LOOP;
  RETURN a;
END \$\$;
-- One-row indexed query per call: the wasm function keeps a statement
-- (slackfuel:host/api) in its instance, as PL/pgSQL keeps its plan.
CREATE TABLE bench_items (id int PRIMARY KEY, val int);
INSERT INTO bench_items SELECT g, g * 7 % 1000 FROM generate_series(1, 1000) g;
ANALYZE bench_items;
CREATE FUNCTION plpgsql_lookup(k int) RETURNS int STRICT STABLE LANGUAGE plpgsql AS \$\$
DECLARE v int;
BEGIN
  SELECT val INTO v FROM bench_items WHERE id = k;
  RETURN v;
END \$\$;
CREATE FUNCTION sql_lookup(int) RETURNS int STRICT STABLE LANGUAGE sql
  AS 'SELECT val FROM bench_items WHERE id = \$1';
CREATE FUNCTION wasm_lookup(int) RETURNS int STRICT STABLE LANGUAGE wasm AS \$\$
(module
  (import "slackfuel:host/api" "[constructor]statement"
    (func \$prepare (param i32 i32 i32 i32) (result i32)))
  (import "slackfuel:host/api" "[method]statement.query"
    (func \$query (param i32 i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "SELECT val FROM bench_items WHERE id = \$1")
  (data (i32.const 64) "int4")
  (data (i32.const 72) "\\40\\00\\00\\00\\04\\00\\00\\00")
  (global \$stmt (mut i32) (i32.const 0))
  (global \$heap (mut i32) (i32.const 4096))
  ;; each call's lists live until the next call: a bump allocator
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local \$p i32)
    (local.set \$p (i32.and (i32.add (global.get \$heap) (i32.sub (local.get 2) (i32.const 1)))
                            (i32.sub (i32.const 0) (local.get 2))))
    (global.set \$heap (i32.add (local.get \$p) (local.get 3)))
    (memory.copy (local.get \$p) (local.get 0) (local.get 1))
    (local.get \$p))
  (func (export "wasm_lookup") (param \$k i32) (result i32)
    (global.set \$heap (i32.const 4096))
    (if (i32.eqz (global.get \$stmt))
      (then (global.set \$stmt (call \$prepare (i32.const 0) (i32.const 41)
                                               (i32.const 72) (i32.const 1)))))
    ;; one parameter, int4(k), at 128; the result list<row> at 160
    (i32.store8 (i32.const 128) (i32.const 3))
    (i32.store (i32.const 136) (local.get \$k))
    (call \$query (global.get \$stmt) (i32.const 128) (i32.const 1) (i32.const 1) (i32.const 160))
    (if (result i32) (i32.eqz (i32.load offset=4 (i32.const 160)))
      (then (i32.const -1))
      (else (i32.load offset=8 (i32.load (i32.load (i32.const 160))))))))
\$\$;
-- The same with typed rows: each row the record { val: option<s32> }.
CREATE FUNCTION wasmtyped_lookup(int) RETURNS int STRICT STABLE LANGUAGE wasm AS \$\$
(module
  (import "slackfuel:host/api" "[constructor]statement"
    (func \$prepare (param i32 i32 i32 i32) (result i32)))
  (import "slackfuel:host/api" "[method]statement.query-typed"
    (func \$query (param i32 i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "SELECT val FROM bench_items WHERE id = \$1")
  (data (i32.const 64) "int4")
  (data (i32.const 72) "\\40\\00\\00\\00\\04\\00\\00\\00")
  (global \$stmt (mut i32) (i32.const 0))
  (global \$heap (mut i32) (i32.const 4096))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local \$p i32)
    (local.set \$p (i32.and (i32.add (global.get \$heap) (i32.sub (local.get 2) (i32.const 1)))
                            (i32.sub (i32.const 0) (local.get 2))))
    (global.set \$heap (i32.add (local.get \$p) (local.get 3)))
    (memory.copy (local.get \$p) (local.get 0) (local.get 1))
    (local.get \$p))
  (func (export "wasmtyped_lookup") (param \$k i32) (result i32)
    (global.set \$heap (i32.const 4096))
    (if (i32.eqz (global.get \$stmt))
      (then (global.set \$stmt (call \$prepare (i32.const 0) (i32.const 41)
                                               (i32.const 72) (i32.const 1)))))
    ;; one parameter, int4(k), at 128; the result list<row> at 160, a row
    ;; being the discriminant of option<s32> at 0 and its value at 4
    (i32.store8 (i32.const 128) (i32.const 3))
    (i32.store (i32.const 136) (local.get \$k))
    (call \$query (global.get \$stmt) (i32.const 128) (i32.const 1) (i32.const 1) (i32.const 160))
    (if (result i32) (i32.eqz (i32.load offset=4 (i32.const 160)))
      (then (i32.const -1))
      (else (i32.load offset=4 (i32.load (i32.const 160)))))))
\$\$;

-- The type rows: an int[] summed, a composite in and out, a set, jsonb.
CREATE TYPE trip AS (a int, b float8, c bigint);
CREATE FUNCTION c_arrsum(int[]) RETURNS bigint AS '$dir/sql_udf.so', 'c_arrsum' LANGUAGE C STRICT IMMUTABLE;
CREATE FUNCTION c_trip(trip) RETURNS trip AS '$dir/sql_udf.so', 'c_trip' LANGUAGE C STRICT IMMUTABLE;
CREATE FUNCTION c_series(int) RETURNS SETOF int AS '$dir/sql_udf.so', 'c_series' LANGUAGE C STRICT IMMUTABLE;
CREATE FUNCTION c_tag(jsonb) RETURNS jsonb AS '$dir/sql_udf.so', 'c_tag' LANGUAGE C STRICT IMMUTABLE;
CREATE FUNCTION wasm_arrsum(int[]) RETURNS bigint STRICT IMMUTABLE LANGUAGE wasm AS '$guest';
CREATE FUNCTION wasm_trip(trip) RETURNS trip STRICT IMMUTABLE LANGUAGE wasm AS '$guest';
CREATE FUNCTION wasm_series(int) RETURNS SETOF int STRICT IMMUTABLE LANGUAGE wasm AS '$guest';
CREATE FUNCTION wasm_stream(int) RETURNS SETOF int STRICT IMMUTABLE LANGUAGE wasm AS '$guest';
CREATE FUNCTION wasm_tag(jsonb) RETURNS jsonb STRICT IMMUTABLE LANGUAGE wasm AS '$guest';
CREATE FUNCTION plpgsql_arrsum(a int[]) RETURNS bigint STRICT IMMUTABLE LANGUAGE plpgsql AS \$\$
DECLARE s bigint := 0; x int;
BEGIN
  FOREACH x IN ARRAY a LOOP s := s + x; END LOOP;
  RETURN s;
END \$\$;
CREATE FUNCTION plpgsql_trip(t trip) RETURNS trip STRICT IMMUTABLE LANGUAGE plpgsql AS \$\$
BEGIN
  RETURN ROW(t.a + 1, t.b * 2, t.c + t.a)::trip;
END \$\$;
CREATE FUNCTION plpgsql_series(n int) RETURNS SETOF int STRICT IMMUTABLE LANGUAGE plpgsql AS \$\$
BEGIN
  FOR i IN 1..n LOOP RETURN NEXT i; END LOOP;
END \$\$;
CREATE FUNCTION plpgsql_tag(j jsonb) RETURNS jsonb STRICT IMMUTABLE LANGUAGE plpgsql AS \$\$
BEGIN
  RETURN j || '{"seen": true}';
END \$\$;
CREATE TABLE docs AS SELECT jsonb_build_object('id', i, 'name', 'item ' || i, 'tags', jsonb_build_array('a', i % 7)) AS j
  FROM generate_series(1, 100000) i;
ANALYZE docs;
SQL

check() {	# every variant must compute the same result
	local r; r=$(psql -X -qAt -d postgres -c "$1")
	[ "$r" = "$2" ] || { echo "sql bench: $1 gave $r, expected $2" >&2; exit 1; }
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
minimum() { sort -n | head -1; }
# row LABEL QUERY-WITH-@ VARIANTS...: the first variant is the base.  One
# session runs a warm-up of each variant, then RUNS rounds of all of them
# interleaved, so that the machine's load hits every variant alike.  Each
# query is timed by the CPU time its backend spent on it (the first field
# of /proc/PID/schedstat, in ns, read before and after it), which a CPU
# shared with other work leaves alone, unlike the wall time.
row() {
	local label=$1 q=$2 v i r t base="" ref
	shift 2
	local n=$#
	ref=$(psql -X -qAt -d postgres -c "${q//@/$1}")
	for v in "$@"; do check "${q//@/$v}" "$ref"; done
	mapfile -t cpu < <({
		echo 'SELECT pg_backend_pid() AS pid \gset'
		echo '\setenv SF_BACKEND :pid'
		echo '\! echo "cpu $(cut -d" " -f1 /proc/$SF_BACKEND/schedstat)"'
		for ((r = 0; r <= RUNS; r++)); do
			for v in "$@"; do
				echo "${q//@/$v};"
				echo '\! echo "cpu $(cut -d" " -f1 /proc/$SF_BACKEND/schedstat)"'
			done
		done
	} | psql -X -q -o /dev/null -d postgres 2>&1 | sed -n 's/^cpu \([0-9]*\)$/\1/p')
	printf '%-40s' "$label"
	i=0
	local pl="" wasm=""
	for v in "$@"; do
		t=$(for ((r = 1; r <= RUNS; r++)); do
			k=$((r * n + i))
			echo $(((cpu[k + 1] - cpu[k]) / 1000))
		done | ${SQL_BENCH_STAT:-median})
		base=${base:-$t}
		awk -v t="$t" -v c="$base" 'BEGIN { printf " %9.1f %6.2fx", t / 1000, t / c }'
		case $v in plpgsql*) pl=$t ;; wasm*) wasm=${wasm:-$t} ;; esac
		i=$((i + 1))
	done
	# how many times faster than PL/pgSQL the first variant (C) and wasm
	# are: where C itself is not 5x faster, no extension's function can be
	if [ -n "$pl" ] && [ -n "$wasm" ] && [ "${1#plpgsql}" = "$1" ]; then
		awk -v p="$pl" -v c="$base" -v w="$wasm" \
			'BEGIN { printf "   %6.1fx %6.1fx", p / c, p / w }'
	fi
	echo
}
echo "SQL benchmark: ${SQL_BENCH_STAT:-median} of $RUNS runs, the backend's CPU ms and ratio to C (lower is better)"
printf '%-40s %17s %17s %17s %17s %26s\n' query C wasm PL/pgSQL SQL "PL/pgSQL÷C  PL/pgSQL÷wasm"
row "sum(f(i)), trivial f, 1M rows" \
	"SELECT sum(@_add1(i)) FROM generate_series(1, 1000000) i" c wasm plpgsql sql
PGOPTIONS="${PGOPTIONS:-} -c slackfuel.track_functions=off" row \
	"the same, statistics off" \
	"SELECT sum(@_add1(i)) FROM generate_series(1, 1000000) i" c wasm
# A wasm function's COST defaults to 100 (C's to 1), so that the planner
# compiles the wasm query with LLVM (jit_above_cost) and not C's: the same
# function declared COST 1.
row "the same, wasm declared COST 1" \
	"SELECT sum(@_add1(i)) FROM generate_series(1, 1000000) i" c wasmcost1
row "sum(fib(1000)) mod 1e9+7, 1000 rows" \
	"SELECT sum(@_fib(1000 + i % 2)) FROM generate_series(1, 1000) i" c wasm plpgsql
echo
echo "SQL from the function: median of $RUNS runs, ms and ratio to PL/pgSQL (target: wasm at most 1.20x)"
printf '%-40s %17s %17s %17s %17s\n' query PL/pgSQL wasm "wasm typed rows" SQL
row "sum(lookup(k)), indexed, 100k calls" \
	"SELECT sum(@_lookup(1 + i % 1000)) FROM generate_series(1, 100000) i" plpgsql wasm wasmtyped sql
echo
echo "Types on the canonical ABI: median of $RUNS runs, ms and ratio to C (targets: wasm at most 2x C, at least 5x faster than PL/pgSQL)"
printf '%-40s %17s %17s %17s %26s\n' query C wasm PL/pgSQL "PL/pgSQL÷C  PL/pgSQL÷wasm"
row "sum(f(a)), int[] of 1,000, 10k calls" \
	"SELECT sum(@_arrsum(a)) FROM (SELECT array_agg(g) AS a FROM generate_series(1, 1000) g) s, generate_series(1, 10000)" c wasm plpgsql
row "sum((f(row)).c), 3-field composite, 1M" \
	"SELECT sum((@_trip(ROW(i, i, i)::trip)).c) FROM generate_series(1, 1000000) i" c wasm plpgsql
row "sum(x) FROM f(1M), SRF of 1M rows" \
	"SELECT sum(x) FROM @_series(1000000) x" c wasm plpgsql
row "the same SRF, wasm as an iterator" \
	"SELECT sum(x) FROM @(1000000) x" c_series wasm_stream plpgsql_series
row "sum(length(f(j))), jsonb, 100k rows" \
	"SELECT sum(length(@_tag(j)::text)) FROM docs" c wasm plpgsql
# The same wasm function with its module in its body and as a named module
# (AS 'module:export'): the call path is the same once loaded.
printf '%-40s %17s %17s %17s\n' query C "wasm in body" "wasm named"
row "sum(f(i)), trivial f, 1M rows" \
	"SELECT sum(@_add1(i)) FROM generate_series(1, 1000000) i" c wasm named
