-- The fuel of the session's last statement and transaction: every wasm
-- call counts, whatever its outcome, queries of PL/pgSQL included.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
RESET client_min_messages;
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

-- A statement's calls, summed; the statement after it called none.
DO $$
DECLARE
  t bigint := 0;
BEGIN
  FOR i IN 1..10 LOOP
    PERFORM spin(i * 10);
    t := t + slackfuel_last_fuel_consumed();
  END LOOP;
  RAISE NOTICE 'the calls consumed % in all', t;
END $$;
SELECT slackfuel_last_statement_fuel();
SELECT slackfuel_last_statement_fuel();
SELECT sum(spin(i * 10)) FROM generate_series(1, 10) i;
SELECT slackfuel_last_statement_fuel();

-- Copies through linear memory are charged to the call, and so to the
-- statement.
CREATE FUNCTION echo(s text) RETURNS text STRICT LANGUAGE wasm AS $$
(module
  (memory (export "memory") 1)
  (global $h (mut i32) (i32.const 1024))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) (local $p i32)
    global.get $h local.set $p
    global.get $h local.get 3 i32.add global.set $h
    local.get $p)
  (func (export "echo") (param $p i32) (param $n i32) (result i32)
    i32.const 0 local.get $p i32.store
    i32.const 4 local.get $n i32.store
    i32.const 0))
$$;
SELECT length(echo(repeat('x', 40000)));
SELECT slackfuel_last_statement_fuel() = slackfuel_last_fuel_consumed() AS copies_counted,
       slackfuel_last_fuel_consumed() > 10000 AS copies_charged;

-- wasm calls SQL calls wasm: the nested call's fuel is the outer call's
-- (regress query), and is counted once.
\set guest `regress/guests/hex build/guests/wasi/sqlguest.wasm`
CREATE FUNCTION q(text) RETURNS text STRICT STABLE LANGUAGE wasm AS :'guest';
CREATE FUNCTION lookup(int) RETURNS text STRICT STABLE LANGUAGE wasm AS :'guest';
CREATE TABLE host_items (id int PRIMARY KEY, name text);
INSERT INTO host_items VALUES (1, 'one'), (2, 'two');
SELECT lookup(2);
SELECT slackfuel_last_fuel_consumed() AS inner_fuel \gset
SELECT q('SELECT lookup(2)');
SELECT slackfuel_last_statement_fuel() = slackfuel_last_fuel_consumed() AS counted_once,
       slackfuel_last_fuel_consumed() > :inner_fuel AS outer_includes_inner;

-- A statement that ran out of fuel (precise mode stops at the limit).
SET slackfuel.fuel_mode = precise;
SET slackfuel.fuel_limit = '1000';
SELECT spin(1000);
SELECT slackfuel_last_statement_fuel() = slackfuel_last_fuel_consumed() AS same,
       slackfuel_last_statement_fuel() BETWEEN 1000 AND 1010 AS near_limit;
RESET slackfuel.fuel_limit;
RESET slackfuel.fuel_mode;

-- A transaction: its fuel so far, then once ended.
BEGIN;
SELECT slackfuel_transaction_fuel();
SELECT spin(100);
SELECT slackfuel_last_fuel_consumed() AS f100 \gset
SELECT spin(10);
SELECT slackfuel_last_fuel_consumed() AS f10 \gset
SELECT slackfuel_transaction_fuel() = :f100 + :f10 AS so_far;
COMMIT;
SELECT slackfuel_last_transaction_fuel() = :f100 + :f10 AS last_transaction,
       slackfuel_transaction_fuel() AS this_one;

-- Rolled back work, and a rolled back savepoint, still consumed fuel.
BEGIN;
SELECT spin(100);
SAVEPOINT s;
SELECT spin(100);
ROLLBACK TO s;
ROLLBACK;
SELECT slackfuel_last_transaction_fuel() = 2 * :f100 AS rolled_back_counted;

DROP FUNCTION spin(int), echo(text), q(text), lookup(int);
DROP TABLE host_items;
