-- The tick that stops runaway wasm runs only while wasm may run: once the
-- statement that called wasm has ended, a backend idle in a transaction
-- gets no timer signals and makes no timer system calls (strace, from the
-- client's side, for one second).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
RESET client_min_messages;
CREATE FUNCTION tick_one() RETURNS int LANGUAGE wasm AS $$
(module (func (export "tick_one") (result i32) i32.const 1))
$$;
SELECT pg_backend_pid() AS backend_pid \gset
\setenv BACKEND_PID :backend_pid
BEGIN;
SELECT count(*) FROM generate_series(1, 1000) WHERE tick_one() = 1;
-- Regression: the tick ran until the transaction ended, 100 a second.
\! strace -qq -e trace=setitimer -e signal=SIGALRM -p "$BACKEND_PID" -o build/regress/tick.trace & s=$!; sleep 1; kill $s; wait $s 2>/dev/null; echo "timer events while idle in transaction: $(grep -c -E 'setitimer|SIGALRM' build/regress/tick.trace)"
COMMIT;
-- An error disarms every timeout (disable_all_timeouts) and here aborts
-- only a subtransaction; a runaway call afterwards in the same transaction
-- (tick_spin, constant-folded while the statement is planned) is still
-- stopped by the tick soon after its limit (an interval's work, at most
-- some 200M units, past it), not when the statement_timeout's signal
-- comes (by then billions).
CREATE FUNCTION tick_spin() RETURNS int IMMUTABLE LANGUAGE wasm AS $$
(module (func (export "tick_spin") (result i32) (loop (br 0)) i32.const 0))
$$;
BEGIN;
SAVEPOINT s;
SELECT tick_one() + 1 / (i - 2) FROM generate_series(1, 3) i;
ROLLBACK TO SAVEPOINT s;
SET LOCAL slackfuel.fuel_mode = slacked;
SET LOCAL slackfuel.fuel_limit = '100M';
SET LOCAL statement_timeout = '20s';
\set VERBOSITY terse
SELECT tick_spin();
\set VERBOSITY default
ROLLBACK;
SELECT slackfuel_last_fuel_consumed() BETWEEN 100000000 AND 2000000000 AS stopped_by_the_tick;
DROP FUNCTION tick_spin();
DROP FUNCTION tick_one();

-- A call site kept across statements (a PL/pgSQL expression, kept for the
-- transaction) arms the tick again in each: the second statement's
-- runaway call is stopped by the tick, not by statement_timeout.
CREATE FUNCTION spin_if(n int) RETURNS int STRICT LANGUAGE wasm AS $$
(module (func (export "spin_if") (param i32) (result i32)
  (loop (br_if 0 (local.get 0))) i32.const 0))
$$;
CREATE FUNCTION pl_spin(n int) RETURNS int LANGUAGE plpgsql AS
  'BEGIN RETURN spin_if(n); END';
BEGIN;
SET LOCAL slackfuel.fuel_mode = slacked;
SET LOCAL slackfuel.fuel_limit = '100M';
SET LOCAL statement_timeout = '20s';
SELECT pl_spin(0);
\set VERBOSITY terse
SELECT pl_spin(1);
\set VERBOSITY default
ROLLBACK;
SELECT slackfuel_last_fuel_consumed() BETWEEN 100000000 AND 2000000000 AS stopped_by_the_tick;
DROP FUNCTION pl_spin(int), spin_if(int);

-- Wasm that runs outside every executor run (here folded by the planner:
-- IMMUTABLE, a constant argument) and runs SQL: the end of that SQL's
-- executor run must not stop the tick while the wasm goes on.
-- Regression: it did, and the loop after the query ran unmetered until
-- statement_timeout (11G of fuel in 3 s against a 50M limit).
CREATE FUNCTION query_then_spin(n int) RETURNS int IMMUTABLE STRICT LANGUAGE wasm AS $$
(module
  (import "slackfuel:host/api" "query" (func $query (param i32 i32 i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 32) "SELECT 1")
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 4096)
  (func (export "query_then_spin") (param $n i32) (result i32)
    (call $query (i32.const 32) (i32.const 8) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 1024))
    (loop $spin (br_if $spin (local.get $n)))
    (i32.const 0)))
$$;
-- slacked code (the limit is above slackfuel.precise_below), stopped by
-- the tick; statement_timeout only ends the test if the tick is lost
SET slackfuel.fuel_limit = '50M';
SET statement_timeout = '10s';
\set VERBOSITY terse
SELECT query_then_spin(1);
\set VERBOSITY default
SELECT slackfuel_last_fuel_consumed() BETWEEN 50000000 AND 2000000000 AS stopped_by_the_tick;
RESET statement_timeout;
RESET slackfuel.fuel_limit;
DROP FUNCTION query_then_spin(int);
