-- Modules compile once per backend per catalog version; each role has its
-- own instance, kept across calls and discarded after a trap.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
RESET client_min_messages;
CREATE FUNCTION version_w() RETURNS int LANGUAGE wasm AS $$
(module (func (export "version_w") (result i32) i32.const 1))
$$;
SELECT version_w();
CREATE OR REPLACE FUNCTION version_w() RETURNS int LANGUAGE wasm AS $$
(module (func (export "version_w") (result i32) i32.const 2))
$$;
SELECT version_w();
-- In a transaction, and rolled back.
BEGIN;
CREATE OR REPLACE FUNCTION version_w() RETURNS int LANGUAGE wasm AS $$
(module (func (export "version_w") (result i32) i32.const 3))
$$;
SELECT version_w();
ROLLBACK;
SELECT version_w();
-- A running query picks up the new version at its next call.
BEGIN;
DECLARE c CURSOR FOR SELECT version_w() FROM generate_series(1, 3);
FETCH 1 FROM c;
CREATE OR REPLACE FUNCTION version_w() RETURNS int LANGUAGE wasm AS $$
(module (func (export "version_w") (result i32) i32.const 9))
$$;
FETCH 1 FROM c;
DROP FUNCTION version_w();
FETCH 1 FROM c;
ROLLBACK;
DROP FUNCTION version_w();
SELECT version_w();

-- State lives in the instance: a counter that 'bump(0)' traps on.
CREATE FUNCTION bump(int) RETURNS int STRICT LANGUAGE wasm AS $$
(module
  (global $n (mut i32) (i32.const 0))
  (func (export "bump") (param i32) (result i32)
    i32.const 1
    local.get 0
    i32.div_u
    global.get $n
    i32.add
    global.set $n
    global.get $n))
$$;
-- (GRANT rewrites the pg_proc row, so it comes before the calls.)
CREATE ROLE regress_slackfuel_cache;
GRANT EXECUTE ON FUNCTION bump(int) TO regress_slackfuel_cache;
SELECT bump(1), bump(1), bump(1);
SELECT bump(1);
SET ROLE regress_slackfuel_cache;
SELECT bump(1), bump(1);
RESET ROLE;
SELECT bump(1);
-- A trap discards the instance: the counter starts again.
SELECT bump(0);
SELECT bump(1), bump(1);
-- Each fuel mode has its own compiled module and instances: switching to
-- another instantiates anew, switching back finds the earlier one.
SET slackfuel.fuel_mode = precise;
SELECT bump(1), bump(1);
RESET slackfuel.fuel_mode;
SELECT bump(1);
-- New memory limits give the role a new instance.
SET slackfuel.max_memory = '1MB';
SELECT bump(1), bump(1);
RESET slackfuel.max_memory;
-- A PL/pgSQL simple expression keeps its call site for the whole
-- transaction: after SET ROLE the same call site calls the role's own
-- instance (the role's counter goes on from 2), and back again.
CREATE FUNCTION bump_pl(int) RETURNS int LANGUAGE plpgsql AS
'BEGIN RETURN bump($1); END';
GRANT EXECUTE ON FUNCTION bump_pl(int) TO regress_slackfuel_cache;
BEGIN;
SELECT bump_pl(1), bump_pl(1);
SET LOCAL ROLE regress_slackfuel_cache;
SELECT bump_pl(1), bump_pl(1);
RESET ROLE;
SELECT bump_pl(1);
COMMIT;
DROP FUNCTION bump_pl(int);
-- Within one query too: the role changes after row 2's call (set_config),
-- and from row 3 on the same call site calls the role's own instance.
SELECT i, bump(1),
       CASE WHEN i = 2 THEN set_config('role', 'regress_slackfuel_cache', false) END AS role
  FROM generate_series(1, 4) i;
RESET ROLE;
DROP FUNCTION bump(int);
DROP ROLE regress_slackfuel_cache;
