-- statement_timeout, pg_cancel_backend and pg_terminate_backend stop wasm
-- that never leaves its loop, with PostgreSQL's usual errors.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
RESET client_min_messages;
CREATE FUNCTION forever() RETURNS int LANGUAGE wasm AS $$
(module (func (export "forever") (result i32)
  loop $l
    br $l
  end
  i32.const 0))
$$;
CREATE FUNCTION one() RETURNS int LANGUAGE wasm AS $$
(module (func (export "one") (result i32) i32.const 1))
$$;

-- Unmetered (off) and with a limit it would take minutes to reach.
SET slackfuel.fuel_mode = off;
SET statement_timeout = '200ms';
SELECT forever();
SELECT one();
SET slackfuel.fuel_mode = slacked;
SET slackfuel.fuel_limit_ceiling = '1T';
SET slackfuel.fuel_limit = '1T';
SELECT forever();
SET slackfuel.fuel_mode = precise;
SELECT forever();
RESET statement_timeout;
SELECT one();

-- Many short calls: the ticks and the timeout mostly land in PostgreSQL's
-- own code, where the interrupted registers must be left alone.
SET statement_timeout = '300ms';
SELECT count(*) FROM generate_series(1, 100000) a, generate_series(1, 100000) b
 WHERE one() = a - a + 1;
RESET statement_timeout;
SELECT one();

-- A timeout stops start functions too.
CREATE FUNCTION start_loop() RETURNS int LANGUAGE wasm AS $$
(module (func $s (loop $l (br $l))) (start $s)
  (func (export "start_loop") (result i32) i32.const 1))
$$;
SET statement_timeout = '200ms';
SELECT start_loop();
DO $$ (module (func $s (loop $l (br $l))) (start $s)) $$ LANGUAGE wasm;
RESET statement_timeout;
DROP FUNCTION start_loop();

-- The same timeout inside a transaction: it rolls back.
CREATE TABLE cancel_rows (x int);
BEGIN;
INSERT INTO cancel_rows VALUES (1);
SET LOCAL statement_timeout = '100ms';
SELECT forever();
COMMIT;
SELECT count(*) FROM cancel_rows;
DROP TABLE cancel_rows;

-- pg_cancel_backend from another session.
SET slackfuel.fuel_mode = off;
SET statement_timeout = '60s';
\! (sleep 1; psql -X -q -d postgres -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query = 'SELECT forever() AS cancel_me;'") >/dev/null 2>&1 &
SELECT forever() AS cancel_me;
SELECT one();

-- pg_terminate_backend ends a session running wasm (run by another psql).
SELECT current_database() AS db \gset
\setenv SLACKFUEL_DB :db
\! PGOPTIONS="-c slackfuel.fuel_mode=off" psql -X -q -d "$SLACKFUEL_DB" -c "SELECT forever() AS terminate_me" >build/regress/terminate.out 2>&1 &
DO $$
BEGIN
  FOR i IN 1..100 LOOP
    PERFORM pg_stat_clear_snapshot();
    EXIT WHEN EXISTS (SELECT FROM pg_stat_activity
                      WHERE query = 'SELECT forever() AS terminate_me' AND state = 'active');
    PERFORM pg_sleep(0.1);
  END LOOP;
END $$;
SELECT pg_terminate_backend(pid) FROM pg_stat_activity
 WHERE query = 'SELECT forever() AS terminate_me';
DO $$
BEGIN
  FOR i IN 1..100 LOOP
    PERFORM pg_stat_clear_snapshot();
    EXIT WHEN NOT EXISTS (SELECT FROM pg_stat_activity
                          WHERE query = 'SELECT forever() AS terminate_me');
    PERFORM pg_sleep(0.1);
  END LOOP;
END $$;
SELECT count(*) AS still_running FROM pg_stat_activity
 WHERE query = 'SELECT forever() AS terminate_me';
SELECT pg_sleep(0.2);
\! grep -v '^$' build/regress/terminate.out
RESET statement_timeout;
RESET slackfuel.fuel_mode;
RESET slackfuel.fuel_limit;
RESET slackfuel.fuel_limit_ceiling;
DROP FUNCTION forever(), one();
