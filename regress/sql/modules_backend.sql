-- Named modules within the backend's limits, statistics and perf maps.
-- The role's instance of a named module, shared by the module's
-- functions, counts against slackfuel.max_backend_memory like any other
-- and is evicted least recently used when idle, never while any of its
-- functions has a call on the stack; evicting it drops every function's
-- view of it.  The module's code is charged once, however many functions
-- use it.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
RESET client_min_messages;
CREATE SCHEMA modbackend;
SET search_path = modbackend, public;

-- 8 MiB of memory, a counter that the start function sets to 100,
-- bump(n) (grows memory by n pages, then counts) and peek().
SELECT $m$
(module (memory 128)
  (global $n (mut i32) (i32.const 0))
  (func $start (global.set $n (i32.const 100)))
  (start $start)
  (func (export "bump") (param i32) (result i32)
    (if (local.get 0) (then (drop (memory.grow (local.get 0)))))
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    (global.get $n))
  (func (export "peek") (result i32) (global.get $n)))
$m$ AS mod8 \gset
SELECT slackfuel_install_module('lru', :'mod8');
CREATE FUNCTION m_bump(int) RETURNS int STRICT LANGUAGE wasm AS 'lru:bump';
CREATE FUNCTION m_peek() RETURNS int LANGUAGE wasm AS 'lru:peek';
-- Functions embedding the same module (with bump as their one export).
SELECT replace(:'mod8', '(export "peek")', '') AS one8 \gset
CREATE FUNCTION x_a(int) RETURNS int STRICT LANGUAGE wasm AS :'one8';
CREATE FUNCTION x_b(int) RETURNS int STRICT LANGUAGE wasm AS :'one8';
CREATE FUNCTION x_c(int) RETURNS int STRICT LANGUAGE wasm AS :'one8';

SET slackfuel.max_backend_memory = '20MB';
SELECT m_bump(0), m_peek();
SELECT module, compiles, functions, instances FROM slackfuel_module_cache();
-- Two instances fit, a third does not: the least recently used, the
-- module's, is evicted (the module stays compiled).
SELECT x_a(0);
SELECT x_b(0);
SELECT module, compiles, functions, instances FROM slackfuel_module_cache();
-- Both functions lost their view of it: peek() starts a new instance
-- (start function again: 100) and bump() shares it.
SELECT m_peek() AS fresh, m_bump(0) AS same_instance;
SELECT module, compiles, functions, instances FROM slackfuel_module_cache();
-- That evicted a's instance, the least recently used then.
SELECT x_b(0) AS b_kept, x_a(0) AS a_again;

-- A call of any of the module's functions marks the shared instance as
-- running (not only the function's view of it), so it is not evicted in
-- the middle of the call: here, while the result is checked against a
-- domain whose check needs a new instance of x_c, room for which only the
-- module's instance could make.  That is refused instead; the instance
-- and its state stay.
CREATE DOMAIN checked_int AS int CHECK (x_c(VALUE) > 0);
CREATE FUNCTION m_bump_checked(int) RETURNS checked_int STRICT LANGUAGE wasm
  AS 'lru:bump';
SET slackfuel.max_backend_memory = '12MB';
SELECT m_peek();  -- a new instance again, the others evicted to make room
\set VERBOSITY terse
SELECT m_bump_checked(0);
\set VERBOSITY default
SELECT m_peek() AS kept;
RESET slackfuel.max_backend_memory;
-- x_c's new instance grows its memory by about 100 pages: more than the
-- default fuel limit pays for.
SET slackfuel.fuel_limit = '1G';
SELECT m_bump_checked(0);
RESET slackfuel.fuel_limit;

-- Code is charged once per module: ten functions over one module of about
-- 300 kB of code (x86-64 and wasm) fit in 1 MB; ten functions embedding
-- the same module do not.
DO $$
DECLARE
  big text;
BEGIN
  SELECT '(module ' || string_agg(format('(func (export "f%s") (param i32) (result i32) local.get 0 %s)',
           i, repeat('i32.const 3 i32.mul i32.const 1 i32.add ', 100)), ' ') || ')'
    INTO big FROM generate_series(1, 200) i;
  PERFORM slackfuel_install_module('big', convert_to(big, 'UTF8'));
  FOR i IN 1..10 LOOP
    EXECUTE format('CREATE FUNCTION nf%s(int) RETURNS int STRICT LANGUAGE wasm AS %L',
                   i, 'big:f' || i);
    EXECUTE format('CREATE FUNCTION ef%s(int) RETURNS int STRICT LANGUAGE wasm AS %L',
                   i, replace(big, format('(export "f%s")', i), format('(export "ef%s")', i)));
  END LOOP;
END $$;
\c -
SET search_path = modbackend, public;
SET slackfuel.max_backend_memory = '1MB';
SELECT num_nonnulls(nf1(1), nf2(1), nf3(1), nf4(1), nf5(1), nf6(1), nf7(1),
                    nf8(1), nf9(1), nf10(1)) AS ten_named;
SELECT module, compiles, functions, instances FROM slackfuel_module_cache();
-- (which copy is refused depends on the size of the compiled code)
DO $$
BEGIN
  PERFORM num_nonnulls(ef1(1), ef2(1), ef3(1), ef4(1), ef5(1), ef6(1), ef7(1),
                       ef8(1), ef9(1), ef10(1));
  RAISE NOTICE 'ten embedded copies fit';
EXCEPTION WHEN program_limit_exceeded THEN
  RAISE NOTICE '%', regexp_replace(SQLERRM, '"ef[0-9]+"', '"efN"');
END $$;
RESET slackfuel.max_backend_memory;

-- Statistics: calls count per function; the compile a new backend makes
-- counts for the function whose call needed it (the others share it).
\c -
SET search_path = modbackend, public;
SELECT slackfuel_stat_reset();
SELECT nf2(1) = nf1(1) AS same, nf1(2) = nf1(3) AS differ, m_bump(0), m_peek(), m_peek();
SELECT funcname, calls, total_fuel > 0 AS fuel, compiles, code_size > 0 AS code
  FROM slackfuel.stat_functions
 WHERE schemaname = 'modbackend' ORDER BY funcname;

-- Perf maps: a named module's code is written once, under its name.
\c -
SET search_path = modbackend, public;
SET client_min_messages = warning;
CREATE TABLE IF NOT EXISTS public.perf_map_pids (pid int);
RESET client_min_messages;
INSERT INTO public.perf_map_pids VALUES (pg_backend_pid());
SET slackfuel.perf_map = on;
SELECT m_peek(), m_bump(0);
SELECT regexp_replace(line, '^[0-9a-f]+ [0-9a-f]+ ', 'START SIZE ') AS line
  FROM regexp_split_to_table(pg_read_file('/tmp/perf-' || pg_backend_pid() || '.map'),
                             E'\n') WITH ORDINALITY AS l(line, n)
 WHERE line <> '' ORDER BY n;
RESET slackfuel.perf_map;

SET client_min_messages = warning;
DROP SCHEMA modbackend CASCADE;
RESET client_min_messages;
SELECT slackfuel_drop_module('lru'), slackfuel_drop_module('big');
