#!/usr/bin/env bash
# The scale-out row (part of make bench): SELECT sum(collatz(v)) over 1M
# rows, with collatz a wasm function, on one node against a Citus cluster
# of two workers on this machine (scripts/citus-install, citus-cluster).
#   one node          a plain table on the coordinator, one backend
#   1 worker          a distributed table whose 8 shards are all on worker 1
#   2 workers         a distributed table with 4 shards on each worker
# One session runs a warm-up of each, then RUNS rounds of the three
# interleaved; prints the median time of each and its ratio to one node.
# Every variant must give the same sum.  On a machine of few cores the
# workers share them, so the ratio shows the overhead and the parallelism
# of the cores, not what separate machines would give.
# A second table times statement_timeout (1 s) against SELECT sum(spin(v)),
# wasm that never returns, over 2, 8 and 32 shards, and 32 shards with one
# connection per worker (citus.max_adaptive_executor_pool_size = 1): how
# long past the timeout the statement takes to end, which grows with the
# tasks that run at once (docs/citus.md).
set -eu
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
ROWS=${CITUS_BENCH_ROWS:-1000000}
pg=$(scripts/citus-install)
export "${pg?}"
dir=$(mktemp -d /tmp/slackfuel-citus-bench.XXXXXX)
chmod 755 "$dir"
trap 'scripts/citus-cluster stop "$dir" >/dev/null 2>&1; rm -rf "$dir"' EXIT
declare -A H=() P=()
while read -r name host port; do H[$name]=$host P[$name]=$port; done < <(scripts/citus-cluster start "$dir")
[ -n "${P[w2]:-}" ] || { echo "citus bench: the cluster did not start" >&2; exit 1; }
c() { psql -X -q -v ON_ERROR_STOP=1 -h "${H[coord]}" -p "${P[coord]}" -U postgres -d postgres "$@"; }
c >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION slackfuel;
CREATE FUNCTION collatz(int) RETURNS int STRICT IMMUTABLE LANGUAGE wasm AS \$\$
(module (func (export "collatz") (param i32) (result i32) (local \$n i64) (local \$s i32)
  local.get 0 i64.extend_i32_s local.set \$n
  block \$done loop \$l
    local.get \$n i64.const 1 i64.le_s br_if \$done
    local.get \$n i64.const 1 i64.and i64.eqz
    if (result i64) local.get \$n i64.const 1 i64.shr_s
    else local.get \$n i64.const 3 i64.mul i64.const 1 i64.add end
    local.set \$n
    local.get \$s i32.const 1 i32.add local.set \$s
    br \$l end end
  local.get \$s))
\$\$;
CREATE FUNCTION spin(int) RETURNS int STRICT LANGUAGE wasm AS
  '(module (func (export "spin") (param i32) (result i32) loop \$l br \$l end local.get 0))';
ALTER FUNCTION spin(int) SET slackfuel.fuel_mode = off;
CREATE TABLE spin2 (k int, v int);
SELECT create_distributed_table('spin2', 'k', shard_count => 2, colocate_with => 'none');
CREATE TABLE spin8 (k int, v int);
SELECT create_distributed_table('spin8', 'k', shard_count => 8, colocate_with => 'none');
CREATE TABLE spin32 (k int, v int);
SELECT create_distributed_table('spin32', 'k', shard_count => 32, colocate_with => 'none');
INSERT INTO spin2 SELECT i, i FROM generate_series(1, 1000) i;
INSERT INTO spin8 SELECT i, i FROM generate_series(1, 1000) i;
INSERT INTO spin32 SELECT i, i FROM generate_series(1, 1000) i;
CREATE TABLE one_node AS SELECT i AS k, i AS v FROM generate_series(1, $ROWS) i;
SELECT citus_set_node_property('127.0.0.1', ${P[w2]}, 'shouldhaveshards', false);
CREATE TABLE one_worker (k int, v int);
SELECT create_distributed_table('one_worker', 'k', shard_count => 8, colocate_with => 'none');
SELECT citus_set_node_property('127.0.0.1', ${P[w2]}, 'shouldhaveshards', true);
CREATE TABLE two_workers (k int, v int);
SELECT create_distributed_table('two_workers', 'k', shard_count => 8, colocate_with => 'none');
INSERT INTO one_worker SELECT * FROM one_node;
INSERT INTO two_workers SELECT * FROM one_node;
VACUUM ANALYZE one_node;
VACUUM ANALYZE one_worker;
VACUUM ANALYZE two_workers;
SQL
placement=$(c -At -c "SELECT string_agg(t || ':' || n, ' ' ORDER BY t) FROM (
	SELECT table_name::text t, count(DISTINCT nodeport) n FROM citus_shards
	WHERE table_name::text LIKE '%_work%' GROUP BY 1) s")
[ "$placement" = "one_worker:1 two_workers:2" ] ||
	{ echo "citus bench: shards placed as $placement" >&2; exit 1; }
variants=(one_node one_worker two_workers)
ref=$(c -At -c "SELECT sum(collatz(v)) FROM one_node")
for v in "${variants[@]:1}"; do
	got=$(c -At -c "SELECT sum(collatz(v)) FROM $v")
	[ "$got" = "$ref" ] || { echo "citus bench: $v gave $got, one node $ref" >&2; exit 1; }
done
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mapfile -t times < <({
	echo '\timing on'
	for ((r = 0; r <= RUNS; r++)); do
		for v in "${variants[@]}"; do echo "SELECT sum(collatz(v)) FROM $v;"; done
	done
} | c 2>&1 | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
n=${#variants[@]}
[ ${#times[@]} -eq $(((RUNS + 1) * n)) ] || { echo "citus bench: got ${#times[@]} timings" >&2; exit 1; }
echo "Citus: SELECT sum(collatz(v)) over $ROWS rows, 8 shards, median of $RUNS runs (ms, ratio to one node; lower is better; $(nproc) cores shared by every node)"
printf '%-12s %17s %17s %17s\n' "" "one node" "1 worker" "2 workers"
printf '%-12s' "sum(f(x))"
base=""
for ((i = 0; i < n; i++)); do
	t=$(for ((r = 1; r <= RUNS; r++)); do echo "${times[r * n + i]}"; done | median)
	base=${base:-$t}
	awk -v t="$t" -v c="$base" 'BEGIN { printf " %9.1f %6.2fx", t, t / c }'
done
echo

# The last column runs spin32 with one connection per worker, so two tasks
# at a time.
cancel_cols=("spin2" "spin8" "spin32" "spin32 pool1")
mapfile -t out < <({
	echo "SET statement_timeout = '1s';"
	echo '\timing on'
	for ((r = 1; r <= RUNS; r++)); do
		for v in "${cancel_cols[@]}"; do
			[ "${v#* }" = pool1 ] && echo "SET citus.max_adaptive_executor_pool_size = 1;"
			echo "SELECT sum(spin(v)) FROM ${v% *};"
			echo "RESET citus.max_adaptive_executor_pool_size;"
		done
	done
} | c -v ON_ERROR_STOP=0 2>&1)
n=${#cancel_cols[@]}
timeouts=$(printf '%s\n' "${out[@]}" | grep -c 'canceling statement due to statement timeout')
mapfile -t times < <(printf '%s\n' "${out[@]}" | awk '
	/canceling statement due to statement timeout/ { grab = 1; next }
	grab && /^Time: / { print $2; grab = 0 }')
if [ "$timeouts" -ne $((RUNS * n)) ] || [ ${#times[@]} -ne $((RUNS * n)) ]; then
	printf 'citus bench: the spin queries printed:\n%s\n' "${out[*]}" >&2
	exit 1
fi
echo
echo "Citus: statement_timeout = 1s on SELECT sum(spin(v)), wasm that never returns, one task per shard: ms past the timeout until the statement ends, median of $RUNS runs"
printf '%-12s %10s %10s %10s %24s\n' "" "2 shards" "8 shards" "32 shards" "32 shards, pool size 1"
printf '%-12s' "ms"
for ((i = 0; i < n; i++)); do
	t=$(for ((r = 0; r < RUNS; r++)); do echo "${times[r * n + i]}"; done | median)
	awk -v t="$t" -v w=$((i == 3 ? 24 : 10)) 'BEGIN { printf " %*.0f", w, t - 1000 }'
done
echo
