-- An aggregate written in wasm: state, combine (parallel aggregation) and
-- final functions over a composite state.  The guest is C
-- (regress/guests/agg.c); docs/types.md shows the same example.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
RESET client_min_messages;
\set m '\\x' `od -An -v -tx1 build/guests/agg.wasm | tr -d ' \n'`

CREATE TYPE avgst AS (n bigint, sum float8);
CREATE FUNCTION avg_step(avgst, float8) RETURNS avgst
  STRICT IMMUTABLE PARALLEL SAFE LANGUAGE wasm AS :'m';
CREATE FUNCTION avg_combine(avgst, avgst) RETURNS avgst
  STRICT IMMUTABLE PARALLEL SAFE LANGUAGE wasm AS :'m';
CREATE FUNCTION avg_final(avgst) RETURNS float8
  STRICT IMMUTABLE PARALLEL SAFE LANGUAGE wasm AS :'m';
CREATE AGGREGATE wasm_avg(float8) (
  sfunc = avg_step, stype = avgst, initcond = '(0,0)',
  combinefunc = avg_combine, finalfunc = avg_final, parallel = safe);

SELECT wasm_avg(x) FROM (VALUES (1.0), (2.0), (6.0)) v(x);
SELECT wasm_avg(x) AS no_rows FROM (SELECT 1.0::float8 WHERE false) v(x);
SELECT g % 3 AS k, wasm_avg(g), avg(g) FROM generate_series(1, 10) g GROUP BY 1 ORDER BY 1;

-- In parallel: partial aggregates in the workers, combined by avg_combine.
CREATE TABLE nums AS SELECT g::float8 AS x FROM generate_series(1, 200000) g;
ANALYZE nums;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT wasm_avg(x) FROM nums;
SELECT wasm_avg(x), avg(x) FROM nums;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

DROP TABLE nums;
DROP AGGREGATE wasm_avg(float8);
DROP FUNCTION avg_step(avgst, float8), avg_combine(avgst, avgst), avg_final(avgst);
DROP TYPE avgst;
