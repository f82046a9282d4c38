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
