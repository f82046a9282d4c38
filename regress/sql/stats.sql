-- Statistics per function (slackfuel.stat_functions): counted per backend,
-- flushed into shared memory at transaction end, commit or abort.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
RESET client_min_messages;
SELECT slackfuel_stat_reset();

CREATE FUNCTION spin(n int) RETURNS int STRICT LANGUAGE wasm AS $$
(module (func (export "spin") (param $n i32) (result i32)
  block $done
    loop $next
      local.get $n i32.eqz br_if $done
      local.get $n i32.const 1 i32.sub local.set $n
      br $next
    end
  end
  local.get $n))
$$;
CREATE FUNCTION divide(a int, b int) RETURNS int STRICT LANGUAGE wasm AS $$
(module (func (export "divide") (param i32 i32) (result i32)
  local.get 0 local.get 1 i32.div_s))
$$;
-- One page of memory, grown by n pages per call.
CREATE FUNCTION grow(n int) RETURNS int STRICT LANGUAGE wasm AS $$
(module (memory 1) (func (export "grow") (param i32) (result i32)
  local.get 0 memory.grow))
$$;
CREATE FUNCTION forever() RETURNS int LANGUAGE wasm AS $$
(module (func (export "forever") (result i32) (loop $l (br $l)) i32.const 0))
$$;
ALTER FUNCTION forever() SET slackfuel.fuel_mode = off;

CREATE VIEW st AS
  SELECT funcname, calls, traps, out_of_fuel, cancels, traps_by_kind, compiles
    FROM slackfuel.stat_functions
   WHERE schemaname = 'public' ORDER BY funcname;

-- Calls and fuel, exactly: the sum and the largest of the calls' fuel.
SELECT spin(100);
SELECT slackfuel_last_fuel_consumed() AS f100 \gset
SELECT spin(10);
SELECT slackfuel_last_fuel_consumed() AS f10 \gset
SELECT funcname, calls, total_fuel = :f100 + :f10 AS total_fuel_ok,
       max_fuel = :f100 AS max_fuel_ok, compiles, code_size > 0 AS has_code,
       total_time > 0 AS timed, compile_time >= 0 AS compile_timed
  FROM slackfuel.stat_functions WHERE funcname = 'spin';

-- Not visible before the transaction ends; counted when it rolls back.
BEGIN;
SELECT spin(10);
SELECT calls FROM st WHERE funcname = 'spin';
COMMIT;
SELECT calls FROM st WHERE funcname = 'spin';
BEGIN;
SELECT spin(10);
ROLLBACK;
SELECT calls FROM st WHERE funcname = 'spin';

-- Traps by kind, out of fuel, cancels.
SELECT divide(7, 2);
SELECT divide(1, 0);
SELECT divide(1, 0);
SELECT divide(-2147483648, -1);
SET slackfuel.fuel_limit = '1k';
SELECT spin(1000);
RESET slackfuel.fuel_limit;
SET statement_timeout = '100ms';
SELECT forever();
RESET statement_timeout;
SELECT * FROM st;
SELECT max_fuel >= 1000 AS out_of_fuel_call_counted
  FROM slackfuel.stat_functions WHERE funcname = 'spin';

-- Peak memory: the largest linear memory an instance of it had.
SELECT grow(3);
SELECT grow(0);
SELECT funcname, peak_memory FROM slackfuel.stat_functions
 WHERE funcname IN ('grow', 'spin') ORDER BY funcname;
-- Growth in any call of a query counts (here in the 150th of 200 calls).
SELECT count(grow(CASE WHEN i = 150 THEN 2 ELSE 0 END)) FROM generate_series(1, 200) i;
SELECT peak_memory / 65536 AS peak_pages FROM slackfuel.stat_functions
 WHERE funcname = 'grow';

-- Many calls: past the first ones, a sample of the calls is timed; the
-- counts and fuel stay exact.
SELECT calls AS calls_before, total_fuel AS fuel_before,
       total_time AS time_before
  FROM slackfuel.stat_functions WHERE funcname = 'spin' \gset
SELECT sum(spin(1)) FROM generate_series(1, 5000);
SELECT slackfuel_last_statement_fuel() AS fuel_5000 \gset
SELECT calls - :calls_before AS new_calls,
       total_fuel - :fuel_before = :fuel_5000 AS fuel_exact,
       total_time > :time_before AS timed
  FROM slackfuel.stat_functions WHERE funcname = 'spin';

-- A call site counts its calls in batches: all of them are counted, those
-- of the statements of one transaction and of a query an error ends (at
-- its 500th row, after the 500th call of spin) included.
SELECT calls AS calls_before FROM st WHERE funcname = 'spin' \gset
BEGIN;
SELECT sum(spin(1)) FROM generate_series(1, 1000);
SELECT sum(spin(1)) FROM generate_series(1, 77);
COMMIT;
SELECT sum(spin(1) / (i - 500)) FROM generate_series(1, 1000) i;
SELECT calls - :calls_before AS counted FROM st WHERE funcname = 'spin';

-- A new definition compiles again; other sessions see the same figures.
CREATE OR REPLACE FUNCTION divide(a int, b int) RETURNS int STRICT LANGUAGE wasm AS $$
(module (func (export "divide") (param i32 i32) (result i32)
  local.get 0 local.get 1 i32.div_u))
$$;
SELECT divide(9, 3);
\c
SELECT funcname, calls, compiles FROM st WHERE funcname = 'divide';

-- DO blocks are no function: not counted.
DO $$ (module (func (export "main"))) $$ LANGUAGE wasm;
SELECT count(*) AS not_functions FROM slackfuel_stat_functions() s
 WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
   AND NOT EXISTS (SELECT FROM pg_proc p WHERE p.oid = s.funcid);

-- slackfuel.track_functions = off (superuser only) stops the counting.
SET slackfuel.track_functions = off;
SELECT spin(5);
RESET slackfuel.track_functions;
SELECT calls FROM st WHERE funcname = 'spin';
-- A call site sees the setting change while its query runs: set_config in
-- the same query turns the counting off after row 3's call of spin, and on
-- again after row 8's.
CREATE FUNCTION track_at(i int, at int, track text) RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  IF i = at THEN
    PERFORM set_config('slackfuel.track_functions', track, false);
  END IF;
  RETURN 0;
END $$;
SELECT calls AS calls_before FROM st WHERE funcname = 'spin' \gset
SELECT sum(spin(i) + track_at(i, 3, 'off')) FROM generate_series(1, 10) i;
SELECT sum(spin(i) + track_at(i, 8, 'on')) FROM generate_series(1, 10) i;
RESET slackfuel.track_functions;
SELECT calls - :calls_before AS counted_while_on FROM st WHERE funcname = 'spin';
DROP FUNCTION track_at(int, int, text);

-- Ordinary users read the view; only superusers reset (unless granted).
CREATE ROLE regress_slackfuel_stats;
SET ROLE regress_slackfuel_stats;
SELECT funcname, calls FROM slackfuel.stat_functions WHERE funcname = 'divide';
SET slackfuel.track_functions = off;
SELECT slackfuel_stat_reset();
RESET ROLE;
DROP ROLE regress_slackfuel_stats;

-- The table keeps slackfuel.stat_functions_max entries, over all
-- databases (scripts/regress sets 100): the least called make room.
SHOW slackfuel.stat_functions_max;
DO $$ BEGIN
  FOR i IN 1..120 LOOP
    EXECUTE format('CREATE FUNCTION many_%s() RETURNS int LANGUAGE wasm AS %L', i,
                   '(module (func (export "f") (result i32) i32.const 1))');
  END LOOP;
END $$;
DO $$ BEGIN
  FOR i IN 1..120 LOOP
    EXECUTE format('SELECT many_%s()', i);
  END LOOP;
END $$;
SELECT count(*) AS entries FROM slackfuel_stat_functions();
SELECT funcname, calls FROM st WHERE calls > 1;
DO $$ BEGIN
  FOR i IN 1..120 LOOP
    EXECUTE format('DROP FUNCTION many_%s()', i);
  END LOOP;
END $$;

-- A streamed set (an iterator: the executor calls the function for each
-- row) is one call, as PostgreSQL counts one; each row adds its own fuel,
-- its copy out of guest memory included: the rows add up to the set's
-- fuel, which is also the last call's and the statement's.
\set sets '\\x' `od -An -v -tx1 build/guests/sets.wasm | tr -d ' \n'`
CREATE FUNCTION stream(n int) RETURNS SETOF int STRICT LANGUAGE wasm AS :'sets';
SELECT count(*) FROM stream(1000);
SELECT slackfuel_last_fuel_consumed() AS set_fuel,
       slackfuel_last_statement_fuel() AS statement_fuel \gset
SELECT :set_fuel = :statement_fuel AS set_is_statement, :set_fuel > 50000 AS rows_charged;
SELECT calls, total_fuel = :set_fuel AS total_is_set, max_fuel = :set_fuel AS max_is_set
  FROM slackfuel.stat_functions WHERE funcname = 'stream';
-- A set the query stops reading is closed (stream_close): one call still.
SELECT (SELECT count(*) FROM (SELECT stream(5) LIMIT 2) q) AS rows_read;
SELECT calls FROM slackfuel.stat_functions WHERE funcname = 'stream';
DROP FUNCTION stream(int);

-- Reset one function, then all of the database.
SELECT slackfuel_stat_reset('spin'::regproc);
SELECT funcname FROM st WHERE calls > 1;
BEGIN;
SELECT divide(4, 2);
SELECT slackfuel_stat_reset();
COMMIT;
SELECT count(*) FROM slackfuel.stat_functions;

DROP VIEW st;
DROP FUNCTION spin(int), divide(int, int), grow(int), forever();
