-- slackfuel:host/api: log and raise, import checks, and every function
-- with hostile arguments (pointers, lengths, UTF-8, levels, SQLSTATEs,
-- discriminants, handles).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
RESET client_min_messages;
CREATE SCHEMA regress_host;
SET search_path = regress_host, public;
\set VERBOSITY default
\set hostwat `cat regress/guests/host_calls.wat`
\set guest `regress/guests/hex build/guests/wasi/sqlguest.wasm`
CREATE FUNCTION h_log(int, int, int) RETURNS void STRICT LANGUAGE wasm AS :'hostwat';
CREATE FUNCTION h_raise(int, int, int, int, int, int, int, int, int, int) RETURNS void
  STRICT LANGUAGE wasm AS :'hostwat';
CREATE FUNCTION h_query(int, int, int, int, int) RETURNS int STRICT LANGUAGE wasm AS :'hostwat';
CREATE FUNCTION h_prepare(int, int, int, int) RETURNS int STRICT LANGUAGE wasm AS :'hostwat';
CREATE FUNCTION h_stmt(int) RETURNS int STRICT LANGUAGE wasm AS :'hostwat';
CREATE FUNCTION h_stmt_drop_twice() RETURNS int LANGUAGE wasm AS :'hostwat';
CREATE FUNCTION h_next(int, int) RETURNS int STRICT LANGUAGE wasm AS :'hostwat';
CREATE FUNCTION h_rows_drop(int) RETURNS void STRICT LANGUAGE wasm AS :'hostwat';
CREATE FUNCTION h_open_next(int) RETURNS int STRICT LANGUAGE wasm AS :'hostwat';
CREATE FUNCTION log_it(int, text) RETURNS void STRICT LANGUAGE wasm AS :'guest';
CREATE FUNCTION raise_it(text, text, text, text) RETURNS void STRICT LANGUAGE wasm AS :'guest';

-- log: ereport at the guest's level (debug5 .. warning), shown as
-- client_min_messages says.
SELECT log_it(8, 'a warning'), log_it(7, 'a notice'), log_it(6, 'info'),
       log_it(5, 'to the server log'), log_it(0, 'debug5');
SET client_min_messages = debug1;
SELECT log_it(4, 'debug1 shown');
RESET client_min_messages;
SELECT log_it(7, 'UTF-8 is fine: héllo wörld');
-- Bad levels, pointers, lengths, UTF-8, NUL bytes: errors naming them.
SELECT h_log(9, 0, 5);
SELECT h_log(-1, 0, 5);
SELECT h_log(7, 65530, 10);
SELECT h_log(7, 0, -1);
SELECT h_log(7, 8, 2);
SELECT h_log(7, 16, 5);
SELECT h_log(7, 0, 5) AS valid;

-- raise: the guest's ERROR, with SQLSTATE, detail and hint; PL/pgSQL sees
-- its SQLSTATE.
SELECT raise_it('22012', 'custom division by zero', 'the detail', 'the hint');
SELECT raise_it('', 'no SQLSTATE: P0001', '', '');
DO $$
BEGIN
  PERFORM raise_it('P0002', 'not found', '', '');
EXCEPTION WHEN no_data_found THEN
  RAISE NOTICE 'caught % (%)', SQLSTATE, SQLERRM;
END $$;
-- SQLSTATEs of the classes PostgreSQL and slackfuel report themselves are
-- refused, and so are malformed ones.
SELECT raise_it('57014', 'pretend to be a cancel', '', '');
SELECT raise_it('40001', 'pretend to be a serialization failure', '', '');
SELECT raise_it('54000', 'pretend to run out of fuel', '', '');
SELECT raise_it('XX000', 'pretend to be internal', '', '');
SELECT raise_it('38000', 'pretend to be a trap', '', '');
SELECT raise_it('01000', 'a warning is not an error', '', '');
SELECT raise_it('2201', 'too short', '', '');
SELECT raise_it('2201x', 'lower case', '', '');
-- Hostile arguments to raise.
SELECT h_raise(48, 5, 0, 5, 2, 0, 0, 0, 0, 0);
SELECT h_raise(48, 5, 0, 5, 1, 65535, 2, 0, 0, 0);
SELECT h_raise(48, 5, 8, 2, 0, 0, 0, 0, 0, 0);
SELECT h_raise(48, 5, 0, 5, 0, 0, 0, 1, 16, 5);
SELECT h_raise(64, 4, 0, 5, 0, 0, 0, 0, 0, 0);
SELECT h_raise(56, 5, 0, 5, 0, 0, 0, 0, 0, 0);
SELECT h_raise(48, 5, 0, 5, 1, 0, 5, 1, 0, 5) AS raised;

-- Hostile arguments to query: the SQL text, the parameter list, values,
-- the return pointer.
SELECT h_query(32, 8, 0, 0, 1024) AS one_row;
SELECT h_query(65530, 8, 0, 0, 1024);
SELECT h_query(8, 2, 0, 0, 1024);
SELECT h_query(32, 8, 0, 0, 65532);
SELECT h_query(32, 8, 0, 0, 1026);
SELECT h_query(80, 9, 129, 1, 1024);
SELECT h_query(80, 9, 65520, 2, 1024);
SELECT h_query(80, 9, 0, -1, 1024);
SELECT h_query(80, 9, 144, 1, 1024);
SELECT h_query(80, 9, 160, 1, 1024);
SELECT h_query(80, 9, 0, 0, 1024);
SELECT h_query(80, 9, 128, 1, 1024) AS one_row;
-- A parameter the query does not use is allowed.
SELECT h_query(32, 8, 128, 1, 1024) AS one_row;
-- Statements: bad type names, handles that are not statements, a drop twice.
SELECT h_prepare(80, 9, 184, 1);
SELECT h_prepare(80, 9, 104, 100000);
SELECT h_prepare(80, 9, 106, 1);
SELECT h_stmt(0) AS one_row;
SELECT h_stmt(7);
SELECT h_stmt(-1);
SELECT h_stmt_drop_twice();
-- Cursors: bad handles and return pointers.
SELECT h_next(1, 1024);
SELECT h_rows_drop(3);
SELECT h_open_next(65530);
SELECT h_open_next(1025);
SELECT h_open_next(1024) AS some;

-- Imports of our module are checked when the function is created.
CREATE FUNCTION bad_host() RETURNS int LANGUAGE wasm AS $$
(module (import "slackfuel:host/api" "log" (func (param i32 i32)))
  (func (export "bad_host") (result i32) i32.const 0))
$$;
CREATE FUNCTION bad_host() RETURNS int LANGUAGE wasm AS $$
(module (import "slackfuel:host/api" "exec" (func (param i32 i32)))
  (func (export "bad_host") (result i32) i32.const 0))
$$;
CREATE FUNCTION bad_host() RETURNS int LANGUAGE wasm AS $$
(module (import "slackfuel" "log" (func (param i32 i32 i32)))
  (func (export "bad_host") (result i32) i32.const 0))
$$;
-- A module that receives lists needs memory and cabi_realloc.
CREATE FUNCTION bad_host() RETURNS int LANGUAGE wasm AS $$
(module (import "slackfuel:host/api" "query" (func (param i32 i32 i32 i32 i32 i32)))
  (func (export "bad_host") (result i32) i32.const 0))
$$;
CREATE FUNCTION bad_host() RETURNS int LANGUAGE wasm AS $$
(module (import "slackfuel:host/api" "query" (func (param i32 i32 i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (func (export "bad_host") (result i32) i32.const 0))
$$;
-- log alone needs neither.
CREATE FUNCTION good_host() RETURNS void LANGUAGE wasm AS $$
(module (import "slackfuel:host/api" "log" (func $log (param i32 i32 i32)))
  (memory 1) (data (i32.const 0) "from a module without exports")
  (func (export "good_host") (call $log (i32.const 7) (i32.const 0) (i32.const 29))))
$$;
SELECT good_host();
-- A start function may call host functions too.
CREATE FUNCTION start_logs() RETURNS int LANGUAGE wasm AS $$
(module (import "slackfuel:host/api" "log" (func $log (param i32 i32 i32)))
  (memory 1) (data (i32.const 0) "started")
  (func $start (call $log (i32.const 7) (i32.const 0) (i32.const 7)))
  (start $start)
  (func (export "start_logs") (result i32) i32.const 1))
$$;
SELECT start_logs(), start_logs();
-- ... and run SQL: the allocator is found while the instance is still
-- being made (a start function here, a reactor's _initialize below).
CREATE FUNCTION start_queries() RETURNS int LANGUAGE wasm AS $$
(module (import "slackfuel:host/api" "query" (func $query (param i32 i32 i32 i32 i32 i32)))
  (memory (export "memory") 1) (data (i32.const 0) "SELECT 41")
  (global $heap (mut i32) (i32.const 4096))
  (func (export "cabi_realloc") (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
                           (i32.sub (i32.const 0) (local.get $align))))
    (global.set $heap (i32.add (local.get $p) (local.get $size)))
    (memory.copy (local.get $p) (local.get $old) (local.get $old_size))
    (local.get $p))
  (func $start (call $query (i32.const 0) (i32.const 9) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 64)))
  (start $start)
  ;; the list<row> the start function got, at 64: row 0, value 0, its s32
  (func (export "start_queries") (result i32)
    (i32.load offset=8 (i32.load (i32.load (i32.const 64))))))
$$;
SELECT start_queries();
-- _initialize prepares a statement once; every call uses it.
CREATE FUNCTION init_prepares(int) RETURNS int STRICT LANGUAGE wasm AS $$
(module
  (import "slackfuel:host/api" "[constructor]statement" (func $prepare (param i32 i32 i32 i32) (result i32)))
  (import "slackfuel:host/api" "[method]statement.query" (func $stmt_query (param i32 i32 i32 i32 i32)))
  (memory (export "memory") 1) (data (i32.const 0) "SELECT $1 * 10")
  (global $heap (mut i32) (i32.const 4096))
  (global $stmt (mut i32) (i32.const 0))
  (func (export "cabi_realloc") (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
                           (i32.sub (i32.const 0) (local.get $align))))
    (global.set $heap (i32.add (local.get $p) (local.get $size)))
    (memory.copy (local.get $p) (local.get $old) (local.get $old_size))
    (local.get $p))
  (func (export "_initialize")
    (global.set $stmt (call $prepare (i32.const 0) (i32.const 14) (i32.const 0) (i32.const 0))))
  ;; value int4(n) at 32; list<row> back at 64
  (func (export "init_prepares") (param $n i32) (result i32)
    (i32.store8 (i32.const 32) (i32.const 3))
    (i32.store (i32.const 40) (local.get $n))
    (call $stmt_query (global.get $stmt) (i32.const 32) (i32.const 1) (i32.const 0) (i32.const 64))
    (i32.add (i32.mul (global.get $stmt) (i32.const 1000))
             (i32.load offset=8 (i32.load (i32.load (i32.const 64)))))))
$$;
SELECT init_prepares(1) AS "stmt 1: 10", init_prepares(2) AS "stmt 1: 20";
-- An error in a start function's query is raised as it is; the instance
-- is not made, and the next call tries again.
CREATE FUNCTION start_fails() RETURNS int LANGUAGE wasm AS $$
(module (import "slackfuel:host/api" "query" (func $query (param i32 i32 i32 i32 i32 i32)))
  (import "slackfuel:host/api" "log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 1) (data (i32.const 0) "SELECT 1/0") (data (i32.const 16) "starting")
  (global $heap (mut i32) (i32.const 4096))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (global.set $heap (i32.add (global.get $heap) (i32.const 64))) (global.get $heap))
  (func $start
    (call $log (i32.const 7) (i32.const 16) (i32.const 8))
    (call $query (i32.const 0) (i32.const 10) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 64)))
  (start $start)
  (func (export "start_fails") (result i32) i32.const 1))
$$;
SELECT start_fails();
SELECT start_fails();

-- Everything this suite made goes.
RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA regress_host CASCADE;
RESET client_min_messages;
