-- The demo `make run` prints when stdin is not a terminal.
SELECT add(2, 3), answer(), fib(90), upper_w('hello, world');
SELECT sum(add(i, 1)) FROM generate_series(1, 1000000) i;
SELECT sum(fib(i % 100)) FROM generate_series(1, 100000) i;
SELECT slackfuel_last_statement_fuel();
SHOW slackfuel.fuel_limit;
-- Out of fuel: the transaction's rows are rolled back.
BEGIN;
INSERT INTO demo_rows VALUES (1);
SELECT burn();
ROLLBACK;
SELECT count(*) AS rows_left FROM demo_rows;
-- Caught in PL/pgSQL.
DO $$ BEGIN PERFORM burn(); EXCEPTION WHEN program_limit_exceeded THEN
  RAISE NOTICE 'caught: %', SQLERRM; END $$;
-- A per-call limit, set for one transaction.
BEGIN;
SET LOCAL slackfuel.fuel_limit = '1M';
SELECT fib(100000);
ROLLBACK;
-- Unmetered, stopped by statement_timeout.
SET statement_timeout = '300ms';
\timing on
SELECT forever();
\timing off
RESET statement_timeout;
SELECT add(40, 2) AS still_serving;
-- What every function did (statistics are flushed at transaction end).
SELECT funcname, calls, total_fuel, max_fuel, round(total_time::numeric, 1) AS total_ms,
       traps, out_of_fuel, cancels, compiles, code_size, peak_memory
  FROM slackfuel.stat_functions ORDER BY funcname;
