-- Read-only SQL from wasm (slackfuel:host/api): values of every case,
-- parameters, row limits, statements kept across calls, cursors; what is
-- refused; PostgreSQL errors inside a query (a failing query, a cancel,
-- statement_timeout, out of memory) re-thrown intact; nesting and
-- recursion through SQL; fuel.  The guest is regress/guests/wasi/sqlguest.c.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
RESET client_min_messages;
CREATE SCHEMA regress_query;
SET search_path = regress_query, public;
\set VERBOSITY default
\set guest `regress/guests/hex build/guests/wasi/sqlguest.wasm`
CREATE FUNCTION q(text) RETURNS text STRICT STABLE LANGUAGE wasm AS :'guest';
CREATE FUNCTION q1(text, text, text) RETURNS text STRICT LANGUAGE wasm AS :'guest';
CREATE FUNCTION qmax(text, int) RETURNS text STRICT LANGUAGE wasm AS :'guest';
CREATE FUNCTION qcount(text) RETURNS int STRICT LANGUAGE wasm AS :'guest';
CREATE FUNCTION lookup(int) RETURNS text STRICT STABLE LANGUAGE wasm AS :'guest';
CREATE FUNCTION cursor(text, int) RETURNS text STRICT LANGUAGE wasm AS :'guest';
CREATE FUNCTION kept_cursor(text) RETURNS int STRICT LANGUAGE wasm AS :'guest';
CREATE FUNCTION count_to(int) RETURNS int STRICT STABLE LANGUAGE wasm AS :'guest';
CREATE TABLE host_items (id int PRIMARY KEY, name text);
INSERT INTO host_items VALUES (1, 'one'), (2, 'two'), (3, 'three');
CREATE SEQUENCE host_seq;

-- Every case of the value variant; other types in their text form.
SELECT q($$SELECT true, 2::int2, 3, 4::int8, 1.5::float4, 2.5::float8, 'héllo'::text,
         'ab'::varchar, '\x01ff'::bytea, NULL::int, 1.25::numeric, '2024-01-02'::date,
         ARRAY[1, 2], ''::text$$);
SELECT q('SELECT g, g * g FROM generate_series(1, 3) g');
SELECT q('SELECT 1 WHERE false');
SELECT q('SELECT');
-- Parameters: each case; null and other are typed by the query.
SELECT q1('SELECT $1', 'bool', 't'), q1('SELECT $1', 'int2', '-7'),
       q1('SELECT $1 + 1', 'int4', '41'), q1('SELECT $1 * 2', 'int8', '4000000000');
SELECT q1('SELECT $1', 'float4', '0.25'), q1('SELECT $1', 'float8', '1e300'),
       q1('SELECT upper($1)', 'text', 'wörld'), q1('SELECT length($1)', 'bytea', 'abc');
SELECT q1('SELECT $1::date + 1', 'other', '2024-02-28'),
       q1('SELECT $1::timestamp + interval ''1 day''', 'other', '2024-01-01 10:00'),
       q1('SELECT $1 IS NULL', 'null', ''), q1('SELECT coalesce($1, 5)', 'null', '');
SELECT q1('SELECT name FROM host_items WHERE id = $1', 'int4', '2');
SELECT q1('SELECT $1::int', 'other', 'forty-two');
-- max-rows bounds what a query returns.
SELECT qmax('SELECT g FROM generate_series(1, 1000000) g', 3);
SELECT qmax('SELECT g FROM generate_series(1, 2) g', 0);
-- A large result goes straight into guest memory, bounded by its limit.
SELECT length(q('SELECT g FROM generate_series(1, 5000) g'));
SET slackfuel.max_memory = '1MB';
SELECT qcount('SELECT repeat(''x'', 1000) FROM generate_series(1, 500) g');
SELECT qcount('SELECT repeat(''x'', 1000) FROM generate_series(1, 2000) g');
RESET slackfuel.max_memory;
-- A statement is prepared once per instance and kept across calls.
SELECT lookup(1), lookup(2), lookup(7);
SELECT lookup(3);
-- Its plan follows schema changes; one that breaks its text is
-- PostgreSQL's error at the replan (and a new instance prepares again).
ALTER TABLE host_items ADD COLUMN extra int;
SELECT lookup(1);
ALTER TABLE host_items RENAME COLUMN name TO label;
SELECT lookup(1);
ALTER TABLE host_items RENAME COLUMN label TO name;
SELECT lookup(1);
-- Cursors: rows one at a time, closed when dropped.
SELECT cursor('SELECT id, name FROM host_items ORDER BY id', 2);
SELECT cursor('SELECT id, name FROM host_items ORDER BY id', 10);
-- A cursor lasts for the call that opened it.
SELECT kept_cursor('SELECT 1') < 0 AS opened;
SELECT kept_cursor('SELECT 1');
-- Many queries in one call.
SELECT count_to(1000);
-- Typed rows: a statement's rows as the record of its columns that the
-- type mapping gives (docs/types.md), each column an option<T>.
CREATE FUNCTION row_type(text) RETURNS text STRICT LANGUAGE wasm AS :'guest';
CREATE FUNCTION typed(text, int, int) RETURNS text STRICT LANGUAGE wasm AS :'guest';
CREATE FUNCTION typed_cursor(text) RETURNS text STRICT LANGUAGE wasm AS :'guest';
CREATE FUNCTION typed_at(text, int) RETURNS int STRICT LANGUAGE wasm AS :'guest';
CREATE TYPE host_mood AS ENUM ('sad', 'fine');
SELECT row_type($$SELECT true AS b, 2::int2 AS "Small Int", 3 AS i, 4::int8, 1.5::float4,
         2.5::float8, 'x'::text, 'y'::varchar(3), 'z'::char(2), '\x01'::bytea, 1.25::numeric,
         '{}'::jsonb, '2024-01-02'::date, '2024-01-02 03:04'::timestamptz, '01:02'::time,
         '1 day'::interval, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, 'fine'::host_mood,
         ARRAY['a', NULL], (SELECT h FROM host_items h LIMIT 1) AS item,
         'pg_class'::regclass, 1 AS i$$);
SELECT row_type('SELECT * FROM host_items');
SELECT typed($$SELECT id, name, id * 1.5::float8 AS score, ARRAY[id, id * 10] AS pair,
               CASE WHEN id <> 2 THEN date '1970-01-01' + id END AS day
             FROM host_items WHERE id > $1
             UNION ALL SELECT NULL, NULL, NULL, NULL, NULL ORDER BY 1$$, 0, 0);
-- max-rows bounds them too.
SELECT typed('SELECT id, name, 0.5::float8, ARRAY[]::int[], 0 FROM host_items WHERE id > $1 ORDER BY id',
             2, 0);
SELECT typed_cursor($$SELECT id, name, id * 1.5::float8, ARRAY[id], NULL::date
                    FROM host_items WHERE id > $1 ORDER BY id$$);
-- An enum is its case, a composite its record, as in a function's
-- arguments: (some, case 1), (some, record (some, 7), (none)), 2 rows.
CREATE FUNCTION typed_bytes(text, int) RETURNS bytea STRICT LANGUAGE wasm AS :'guest';
CREATE TYPE host_pair AS (a int, b int);
SELECT typed_bytes($$SELECT 'fine'::host_mood, ROW(7, NULL)::host_pair
                    UNION ALL SELECT 'sad', NULL$$, 48);
-- A kept statement's record follows a label added to its enum: a case is
-- the label's place in the enum's order (fine is 1 of sad, fine; then 2 of
-- glad, sad, fine).  Each row is (some, case).
CREATE FUNCTION kept_typed_bytes(text, int) RETURNS bytea STRICT LANGUAGE wasm AS :'guest';
CREATE TABLE host_moods (m host_mood);
INSERT INTO host_moods VALUES ('fine');
SELECT kept_typed_bytes('SELECT m FROM host_moods ORDER BY m', 2);
ALTER TYPE host_mood ADD VALUE 'glad' BEFORE 'sad';
INSERT INTO host_moods VALUES ('glad');
SELECT kept_typed_bytes('SELECT m FROM host_moods ORDER BY m', 4);
-- An array with a NULL element has no list<T>: an error naming the column.
SELECT typed('SELECT id, name, 0.5::float8, ARRAY[id, NULL], 0 FROM host_items WHERE id > $1',
             0, 0);
-- A type without a WIT type, a wrong return pointer.
SELECT row_type('SELECT ''(1,2)''::point');
SELECT typed_at('SELECT 1', 2147483640);
SELECT typed_at('SELECT 1', 2);
SELECT typed_at('SELECT 1.5::float8', -4);

-- Read-only: each of these fails before it runs, naming what it is.
SELECT q('INSERT INTO host_items VALUES (9, ''nine'')');
SELECT q('UPDATE host_items SET name = ''x''');
SELECT q('DELETE FROM host_items');
SELECT q('SELECT * FROM host_items FOR UPDATE');
SELECT q('SELECT * FROM host_items FOR SHARE');
SELECT q('WITH d AS (DELETE FROM host_items RETURNING *) SELECT * FROM d');
SELECT q('SELECT nextval(''host_seq'')');
SELECT q('SELECT set_config(''work_mem'', ''1MB'', false)');
SELECT q('SELECT random()');
SELECT q('CREATE TABLE host_new (a int)');
SELECT q('DROP TABLE host_items');
SELECT q('SET work_mem = ''1MB''');
SELECT q('SELECT 1; SELECT 2');
-- ... also when hidden in a subquery, a sublink, a CTE or a view.
SELECT q('SELECT * FROM (SELECT * FROM host_items FOR UPDATE) s');
SELECT q('SELECT 1 WHERE 1 IN (SELECT id FROM host_items FOR KEY SHARE)');
SELECT q('WITH c AS (SELECT * FROM host_items FOR SHARE) SELECT * FROM c');
CREATE VIEW host_locked AS SELECT * FROM host_items FOR UPDATE;
CREATE VIEW host_next AS SELECT nextval('host_seq') AS n;
SELECT q('SELECT * FROM host_locked');
SELECT q('SELECT * FROM host_next');
SELECT q('SELECT (SELECT set_config(''work_mem'', ''1MB'', false))');
SELECT count(*) FROM host_items;
-- A function that lies about its volatility still cannot write: the
-- transaction is read-only while the query runs.
CREATE FUNCTION sneaky_insert() RETURNS int STABLE LANGUAGE sql
  AS 'INSERT INTO host_items VALUES (10, ''ten'') RETURNING id';
SELECT q('SELECT sneaky_insert()');
CREATE FUNCTION sneaky_nextval() RETURNS bigint IMMUTABLE LANGUAGE plpgsql
  AS $$ BEGIN RETURN nextval('host_seq'); END $$;
SELECT q('SELECT sneaky_nextval()');
SELECT count(*) FROM host_items, (SELECT last_value FROM host_seq) s;
-- The capability: off, SQL is refused.
SET slackfuel.allow_sql = off;
SELECT q('SELECT 1');
RESET slackfuel.allow_sql;
-- Its superuser ceiling caps it, whatever the setting says; per function
-- it goes with the function.
SET slackfuel.allow_sql_ceiling = off;
SET slackfuel.allow_sql = on;
SELECT q('SELECT 1');
RESET slackfuel.allow_sql_ceiling;
RESET slackfuel.allow_sql;
ALTER FUNCTION q(text) SET slackfuel.allow_sql = off;
SELECT q('SELECT 1');
SELECT qcount('SELECT 1');
ALTER FUNCTION q(text) RESET slackfuel.allow_sql;
SELECT q('SELECT 1');

-- PostgreSQL errors inside a query are caught in the host function, the
-- wasm call unwinds, and the error is raised again as it was (SQLSTATE,
-- message, context); the instance is discarded.
SELECT q('SELECT 1/0');
SELECT q('SELECT no_such_column FROM host_items');
SELECT q('SELECT * FROM no_such_table');
SELECT q('SELECT (''x'' || repeat(''y'', 10))::int');
DO $$
BEGIN
  PERFORM q('SELECT 1/0');
EXCEPTION WHEN division_by_zero THEN
  RAISE NOTICE 'caught %: %', SQLSTATE, SQLERRM;
END $$;
SELECT q('SELECT 42');
-- statement_timeout and a cancel during a query.
SET statement_timeout = '200ms';
SELECT q('SELECT count(*) FROM generate_series(1, 1000000000)');
RESET statement_timeout;
SELECT q('SELECT 43');
\! (sleep 1; psql -X -q -d postgres -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE 'SELECT q(%) AS cancel_me;'") >/dev/null 2>&1 &
SELECT q('SELECT count(*) FROM generate_series(1, 1000000000)') AS cancel_me;
SELECT q('SELECT 44');
-- Out of memory inside a query: this transaction fills the shared lock
-- table with advisory locks, so that the query's locks fail with "out of
-- shared memory" (53200), caught and raised again like any error; nothing
-- is allocated between.
DO $$ BEGIN
  FOR i IN 1..20 LOOP EXECUTE format('CREATE TABLE host_lock_%s (a int)', i); END LOOP;
END $$;
BEGIN;
DO $$
DECLARE n int := 0;
BEGIN
  LOOP
    BEGIN
      PERFORM pg_advisory_xact_lock(n + g) FROM generate_series(1, 100) g;
      n := n + 100;
    EXCEPTION WHEN out_of_memory THEN EXIT;
    END;
  END LOOP;
  LOOP
    BEGIN
      PERFORM pg_advisory_xact_lock(n + 1);
      n := n + 1;
    EXCEPTION WHEN out_of_memory THEN EXIT;
    END;
  END LOOP;
END $$;
\set VERBOSITY sqlstate
SELECT q('SELECT count(*) FROM ' || string_agg('host_lock_' || g, ', '))
  FROM generate_series(1, 20) g;
\set VERBOSITY default
ROLLBACK;
SELECT q('SELECT 45');

-- Nesting: wasm calls SQL calls wasm, each call its own activation, in
-- the same function (and instance) or another.
SELECT q('SELECT lookup(2)');
SELECT q('SELECT q(''SELECT lookup(3)'')');
-- Recursion through SQL ends cleanly at a depth limit: here the instance's
-- wasm stack (slackfuel.max_stack), which holds every level running in it.
CREATE FUNCTION rec(n int) RETURNS text STABLE LANGUAGE sql
  AS $$ SELECT q(format('SELECT rec(%s)', n + 1)) $$;
\set VERBOSITY terse
SELECT rec(1);
\set VERBOSITY default
SELECT q('SELECT 46');
-- Fuel: a nested call's limit is what the outer call has left, and what
-- it consumes is the outer call's, so recursion shares one budget: a
-- larger budget goes deeper, and both end well before the stack does.
CREATE FUNCTION fuel_depth(budget text) RETURNS int LANGUAGE plpgsql AS $$
DECLARE ctx text;
BEGIN
  PERFORM set_config('slackfuel.fuel_limit', budget, true);
  PERFORM rec(1);
  RETURN NULL;
EXCEPTION WHEN program_limit_exceeded THEN
  GET STACKED DIAGNOSTICS ctx = PG_EXCEPTION_CONTEXT;
  RETURN (SELECT count(*) FROM regexp_matches(ctx, 'SELECT rec', 'g'));
END $$;
SELECT fuel_depth('3k') AS depth_3k, fuel_depth('6k') AS depth_6k;
-- Fuel spent by the guest's cabi_realloc while the host returns rows is
-- the caller's too: out of fuel, with the caller's numbers.
SET slackfuel.fuel_limit = '1M';
SELECT count_to(100000);
RESET slackfuel.fuel_limit;
SELECT q('SELECT 47');
-- Typed rows of scalars call cabi_realloc only to grow the list (here in
-- place, at no cost): the query stops at the row where the caller's fuel
-- runs out, not after the last.
CREATE FUNCTION typed_scalars() RETURNS int LANGUAGE wasm AS $$
(module
  (import "slackfuel:host/api" "[constructor]statement" (func $prepare (param i32 i32 i32 i32) (result i32)))
  (import "slackfuel:host/api" "[method]statement.query-typed" (func $query (param i32 i32 i32 i32 i32)))
  (memory (export "memory") 200)
  (data (i32.const 0) "SELECT g FROM generate_series(1, 1000000) g")
  (func (export "cabi_realloc") (param $old i32) (param i32 i32 i32) (result i32)
    (if (result i32) (local.get $old) (then (local.get $old)) (else (i32.const 4096))))
  (func (export "typed_scalars") (result i32)
    (call $query (call $prepare (i32.const 0) (i32.const 43) (i32.const 0) (i32.const 0))
                 (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 64))
    (i32.load offset=4 (i32.const 64))))
$$;
SELECT typed_scalars();
SET slackfuel.fuel_limit = 100000;
SELECT typed_scalars();
RESET slackfuel.fuel_limit;
-- A statement cannot be dropped by the cabi_realloc its own query calls.
CREATE FUNCTION drop_running() RETURNS int LANGUAGE wasm AS $$
(module
  (import "slackfuel:host/api" "[constructor]statement" (func $prepare (param i32 i32 i32 i32) (result i32)))
  (import "slackfuel:host/api" "[method]statement.query" (func $query (param i32 i32 i32 i32 i32)))
  (import "slackfuel:host/api" "[resource-drop]statement" (func $drop (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "SELECT g FROM generate_series(1, 10) g")
  (global $stmt (mut i32) (i32.const 0))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (call $drop (global.get $stmt))
    (i32.const 4096))
  (func (export "drop_running") (result i32)
    (global.set $stmt (call $prepare (i32.const 0) (i32.const 38) (i32.const 0) (i32.const 0)))
    (call $query (global.get $stmt) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 64))
    (i32.load offset=4 (i32.const 64))))
$$;
CREATE FUNCTION drop_running_typed() RETURNS int LANGUAGE wasm AS $$
(module
  (import "slackfuel:host/api" "[constructor]statement" (func $prepare (param i32 i32 i32 i32) (result i32)))
  (import "slackfuel:host/api" "[method]statement.query-typed" (func $query (param i32 i32 i32 i32 i32)))
  (import "slackfuel:host/api" "[resource-drop]statement" (func $drop (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "SELECT g FROM generate_series(1, 10) g")
  (global $stmt (mut i32) (i32.const 0))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (call $drop (global.get $stmt))
    (i32.const 4096))
  (func (export "drop_running_typed") (result i32)
    (global.set $stmt (call $prepare (i32.const 0) (i32.const 38) (i32.const 0) (i32.const 0)))
    (call $query (global.get $stmt) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 64))
    (i32.load offset=4 (i32.const 64))))
$$;
SELECT drop_running();
SELECT drop_running_typed();
-- Errors in a nested call come back through every level.
SELECT q('SELECT q(''SELECT 1/0'')');
SELECT q('SELECT q(''SELECT 48'')');
-- A function without imports: its calls from a query keep their
-- activation, argument slots and trap in their call site; inside another
-- call's SQL they take the general path.  A trap in either is reported as
-- its own, and other call sites of the function, before and after, run on.
CREATE FUNCTION div10(int) RETURNS int STRICT IMMUTABLE LANGUAGE wasm AS
  '(module (func (export "div10") (param i32) (result i32) i32.const 10 local.get 0 i32.div_s))';
SELECT div10(2) AS a, div10(5) AS b, q('SELECT div10(1)') AS nested;
SELECT div10(i) FROM generate_series(-1, 1) i;
SELECT q('SELECT div10(0)');
SELECT div10(-2) AS a, q('SELECT div10(0)') AS nested;
SELECT q('SELECT div10(i) FROM generate_series(-1, 1) i');
SELECT sum(div10(i)) AS s, q('SELECT sum(div10(i)) FROM generate_series(1, 3) i') AS nested
  FROM generate_series(1, 3) i;
-- A call site set up outside any call's SQL (a PL/pgSQL expression, kept
-- for the transaction) and called again inside one runs nested: its fuel
-- is the outer call's (q's, here over 100000 for 100000 loops).
CREATE FUNCTION spin_q(n int) RETURNS int STRICT STABLE LANGUAGE wasm AS $$
(module (func (export "spin_q") (param $n i32) (result i32)
  (block $d (loop $l (br_if $d (i32.eqz (local.get $n)))
    (local.set $n (i32.sub (local.get $n) (i32.const 1))) (br $l)))
  (local.get $n)))
$$;
CREATE FUNCTION spin_pl(n int) RETURNS int STABLE LANGUAGE plpgsql AS
  'BEGIN RETURN spin_q(n); END';
BEGIN;
SELECT spin_pl(1);
SELECT q('SELECT spin_pl(100000)');
SELECT slackfuel_last_fuel_consumed() > 100000 AS nested_fuel_is_outer;
COMMIT;

-- Everything this suite made goes.
RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA regress_query CASCADE;
RESET client_min_messages;
