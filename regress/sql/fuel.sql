-- Out of fuel: a documented SQLSTATE (54000), DETAIL with fuel consumed and
-- limit, HINT naming the setting; rollback; EXCEPTION blocks; per-function
-- limits; ceilings; precise and slacked modes agree on the outcome.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
RESET client_min_messages;
SELECT $m$
(module
  (func (export "spin") (result i32)
    loop $forever
      br $forever
    end
    i32.const 0)
  (func (export "count_to") (param $n i32) (result i32)
    (local $i i32)
    block $done
      loop $next
        local.get $i
        local.get $n
        i32.ge_s
        br_if $done
        local.get $i
        i32.const 1
        i32.add
        local.set $i
        br $next
      end
    end
    local.get $i))
$m$ AS fuelmod \gset
CREATE FUNCTION spin() RETURNS int LANGUAGE wasm AS :'fuelmod';
CREATE FUNCTION count_to(int) RETURNS int STRICT LANGUAGE wasm AS :'fuelmod';

-- precise: stops at the first fuel point past the limit.
SET slackfuel.fuel_mode = precise;
SET slackfuel.fuel_limit = '100k';
SELECT count_to(1000);
SELECT spin();
SELECT count_to(1000000);

-- slacked: the same outcomes; how far past the limit it ran may vary.
SET slackfuel.fuel_mode = slacked;
SELECT count_to(1000);
\set VERBOSITY terse
SELECT spin();
SELECT count_to(1000000);
\set VERBOSITY default
-- A call within its limit is never stopped, however often it runs.
SELECT count(*) FROM generate_series(1, 300) WHERE count_to(10000) = 10000;

-- Exactness: slackfuel_last_fuel_consumed() tells what a call used; that
-- much is enough in both modes, one unit less is not, every time.
RESET slackfuel.fuel_limit;
SELECT count_to(1000);
SELECT slackfuel_last_fuel_consumed() AS exact \gset
SELECT :exact AS fuel_of_count_to_1000, :exact - 1 AS just_below \gset
\echo count_to(1000) consumes :fuel_of_count_to_1000 fuel
CREATE FUNCTION fuel_verdicts(mode text, lim bigint, runs int) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE ok int := 0; out_of_fuel int := 0;
BEGIN
  PERFORM set_config('slackfuel.fuel_mode', mode, true);
  PERFORM set_config('slackfuel.fuel_limit', lim::text, true);
  FOR i IN 1..runs LOOP
    BEGIN
      PERFORM count_to(1000);
      ok := ok + 1;
    EXCEPTION WHEN program_limit_exceeded THEN
      out_of_fuel := out_of_fuel + 1;
    END;
  END LOOP;
  RETURN format('%s at %s: %s ok, %s out of fuel', mode, lim, ok, out_of_fuel);
END $$;
SELECT fuel_verdicts('precise', :fuel_of_count_to_1000, 50);
SELECT fuel_verdicts('precise', :just_below, 50);
SELECT fuel_verdicts('slacked', :fuel_of_count_to_1000, 200);
SELECT fuel_verdicts('slacked', :just_below, 200);
DROP FUNCTION fuel_verdicts(text, bigint, int);

-- Rollback: rows written before running out of fuel are gone.
CREATE TABLE fuel_rows (x int);
BEGIN;
INSERT INTO fuel_rows VALUES (1), (2);
\set VERBOSITY terse
SELECT spin();
COMMIT;
INSERT INTO fuel_rows SELECT g FROM generate_series(1, 10) g
 WHERE CASE WHEN g < 5 THEN count_to(g) ELSE spin() END >= 0;
\set VERBOSITY default
SELECT count(*) FROM fuel_rows;

-- An EXCEPTION block catches it; its subtransaction rolls back.
DO $$
BEGIN
  INSERT INTO fuel_rows VALUES (3);
  PERFORM spin();
EXCEPTION WHEN program_limit_exceeded THEN
  RAISE NOTICE 'caught: % (%)', SQLERRM, SQLSTATE;
END $$;
SELECT count(*) FROM fuel_rows;
SELECT count_to(10);

-- Per-function limits.
ALTER FUNCTION count_to(int) SET slackfuel.fuel_limit = '1k';
\set VERBOSITY terse
SELECT count_to(50);
SELECT count_to(1000);
\set VERBOSITY default
ALTER FUNCTION count_to(int) RESET slackfuel.fuel_limit;
SELECT count_to(1000);

-- Lowering the ceiling below the setting takes effect at once.
SET slackfuel.fuel_mode = precise;
SET slackfuel.fuel_limit = '5G';
SET slackfuel.fuel_limit_ceiling = '10k';
SELECT count_to(100000);
RESET slackfuel.fuel_limit_ceiling;

-- A 64-bit limit is not truncated to 32 bits: 2^32 + 1000 allows more than
-- 1000 (a truncated limit would stop this call).
SET slackfuel.fuel_limit = '4294968296';
SELECT count_to(100000);

-- off (superusers only): no fuel counted.
SET slackfuel.fuel_mode = off;
SET slackfuel.fuel_limit = '1';
SELECT count_to(1000000);
RESET slackfuel.fuel_mode;
RESET slackfuel.fuel_limit;

-- A start function is metered too: one that never ends runs out of fuel
-- when the instance is created (regression: it used to run unmetered).
CREATE FUNCTION start_spins() RETURNS int LANGUAGE wasm STRICT AS
'(module (func $s (loop (br 0))) (start $s)
   (func (export "start_spins") (result i32) (i32.const 1)))';
SET slackfuel.fuel_limit = '1M';
SET statement_timeout = '20s';	-- without metering this would spin until then
\set VERBOSITY terse
SELECT start_spins();
\set VERBOSITY default
RESET statement_timeout;
RESET slackfuel.fuel_limit;
DROP FUNCTION start_spins();

-- Compiled by up to 4 threads, a module gives the same results.  (Whether
-- a helper takes part depends on the scheduler; the code is the same.)
-- 300 functions of ~130 bytes, each calling the one before.
SET slackfuel.compile_threads = 4;
DO $do$
BEGIN
  EXECUTE (SELECT format('CREATE FUNCTION chain(int) RETURNS int LANGUAGE wasm STRICT AS %L',
    '(module (func $f0 (param i32) (result i32) (local.get 0))' ||
    string_agg(format('(func $f%s (param i32) (result i32) %s (i32.add (call $f%s (local.get 0)) (i32.const %s)))',
                      i, repeat('(drop (i32.mul (local.get 0) (i32.const 7)))', 20), i - 1, i), ' ') ||
    '(func (export "chain") (param i32) (result i32) (call $f300 (local.get 0))))')
    FROM generate_series(1, 300) i);
END
$do$;
SELECT chain(5), chain(5) = 5 + 300 * 301 / 2 AS sums_right;
RESET slackfuel.compile_threads;
DROP FUNCTION chain(int);

-- Regression: in slacked mode a small limit was a 10 ms time limit:
-- fuel_limit = 1000 ran to tens of millions of units before the tick
-- stopped it.  Below slackfuel.precise_below (10M) a slacked session's
-- calls run precise code, compiled on first need: they stop exactly at
-- the first fuel point past the limit, as in precise mode.
SET slackfuel.fuel_mode = slacked;
SHOW slackfuel.precise_below;
SET slackfuel.fuel_limit = '1000';
SELECT spin();
SELECT slackfuel_last_fuel_consumed() AS consumed_at_1000;
SET slackfuel.fuel_limit = '9999999';
SELECT spin();
-- At and above it, slacked code (stopped by a check, how far past the
-- limit depends on when it comes).  A superuser can move the threshold.
SET slackfuel.fuel_limit = '10M';
SET slackfuel.precise_below = '20M';
SELECT spin();
RESET slackfuel.precise_below;
RESET slackfuel.fuel_limit;
RESET slackfuel.fuel_mode;

DROP TABLE fuel_rows;
DROP FUNCTION spin(), count_to(int);
