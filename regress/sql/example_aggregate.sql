-- An aggregate whose state, combine and final functions are wasm (C,
-- examples/c/approx_distinct.c): a HyperLogLog distinct count, run
-- serially and in parallel workers, whose sketches the combine function
-- merges.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
CREATE SCHEMA IF NOT EXISTS ex_c;
RESET client_min_messages;
\set hll '\\x' `od -An -v -tx1 build/examples/c/approx_distinct.wasm | tr -d ' \n'`
CREATE FUNCTION ex_c.hll_add(state bytea, value text) RETURNS bytea
  IMMUTABLE STRICT PARALLEL SAFE LANGUAGE wasm AS :'hll';
CREATE FUNCTION ex_c.hll_merge(a bytea, b bytea) RETURNS bytea
  IMMUTABLE STRICT PARALLEL SAFE LANGUAGE wasm AS :'hll';
CREATE FUNCTION ex_c.hll_count(state bytea) RETURNS bigint
  IMMUTABLE STRICT PARALLEL SAFE LANGUAGE wasm AS :'hll';
CREATE AGGREGATE ex_c.approx_count_distinct(text) (
  sfunc = ex_c.hll_add, stype = bytea, initcond = '',
  combinefunc = ex_c.hll_merge, finalfunc = ex_c.hll_count, parallel = safe);

SELECT ex_c.approx_count_distinct(x::text) AS none FROM generate_series(1, 0) x;
SELECT ex_c.approx_count_distinct(v) AS one FROM (VALUES ('a'), ('a'), ('a')) t(v);
-- Within 10% of the true count (the sketch's standard error is 3.3%).
SELECT n, abs(ex_c.approx_count_distinct((x % n)::text) - n) < n / 10 AS close
  FROM (VALUES (10), (1000), (20000), (150000)) v(n), LATERAL generate_series(1, 300000) x
 GROUP BY n ORDER BY n;

CREATE TABLE ex_c.visits AS SELECT g % 50000 AS visitor FROM generate_series(1, 300000) g;
ANALYZE ex_c.visits;
SELECT ex_c.approx_count_distinct(visitor::text) AS serial FROM ex_c.visits \gset
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT ex_c.approx_count_distinct(visitor::text) FROM ex_c.visits;
-- Merging the workers' sketches gives exactly the serial estimate.
SELECT ex_c.approx_count_distinct(visitor::text) = :serial AS parallel_equals_serial,
       abs(:serial - 50000) < 5000 AS close
  FROM ex_c.visits;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
-- A state that is not a sketch is refused (a trap, not a wrong count).
\set VERBOSITY terse
SELECT ex_c.hll_count('\x0102');
\set VERBOSITY default
SET client_min_messages = warning;
DROP SCHEMA ex_c CASCADE;
RESET client_min_messages;
