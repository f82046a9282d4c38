-- Set-returning functions: RETURNS SETOF and RETURNS TABLE as list<T>,
-- stored in a tuplestore, or as an iterator (<export>_next, one row per
-- call); fuel, limits and cancellation over the whole set.  The guest is
-- C (regress/guests/sets.c).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
RESET client_min_messages;
\set m '\\x' `od -An -v -tx1 build/guests/sets.wasm | tr -d ' \n'`

-- All at once: the export returns list<T>.
CREATE FUNCTION series(n int) RETURNS SETOF int STRICT LANGUAGE wasm AS :'m';
SELECT * FROM series(5);
SELECT series(3) AS in_select_list;
SELECT count(*) FROM series(0);
SELECT s, t FROM series(3) s, LATERAL series(s) t;
CREATE FUNCTION pairs(n int) RETURNS TABLE (i int, sq bigint) STRICT LANGUAGE wasm AS :'m';
SELECT * FROM pairs(4);
SELECT (pairs(2)).sq;
CREATE TYPE pairt AS (i int, sq bigint);
CREATE FUNCTION pairs_t(n int) RETURNS SETOF pairt STRICT LANGUAGE wasm AS :'m';
SELECT * FROM pairs_t(3);
SELECT pairs_t(2);
-- A domain over a row type checks every row.
CREATE DOMAIN pairsmall AS pairt CHECK ((VALUE).i < 3);
CREATE FUNCTION pairs_d(n int) RETURNS SETOF pairsmall STRICT LANGUAGE wasm AS :'m';
SELECT * FROM pairs_d(3);
SELECT * FROM pairs_d(4);
CREATE FUNCTION words() RETURNS SETOF text LANGUAGE wasm AS :'m';
SELECT * FROM words() WITH ORDINALITY;
-- Not STRICT: list<option<s32>>, none is a NULL row.
CREATE FUNCTION maybe(n int) RETURNS SETOF int LANGUAGE wasm AS :'m';
SELECT x IS NULL AS is_null, count(*) FROM maybe(5) x GROUP BY 1 ORDER BY 1;
SELECT count(*) FROM maybe(NULL);
CREATE FUNCTION bad_list() RETURNS SETOF int LANGUAGE wasm AS :'m';
SELECT * FROM bad_list();

-- One row per call: stream(n) returns an iterator, stream_next gives the
-- rows until none; a query that stops early calls stream_close.
CREATE FUNCTION stream(n int) RETURNS SETOF int STRICT LANGUAGE wasm AS :'m';
SELECT * FROM stream(4);
SELECT stream(3) AS in_select_list;
-- In a target list, each row's call starts a new set.
SELECT g, stream(g) FROM generate_series(1, 3) g;
-- The guest holds at most 8 iterators: this only passes if each one a
-- LIMIT stops early is closed.
SELECT count(*) FROM generate_series(1, 20) g WHERE (SELECT stream(g + 1) LIMIT 1) = 1;
SELECT a.x, b.x FROM stream(2) a(x), stream(2) b(x);
CREATE FUNCTION text_stream(n int) RETURNS SETOF text STRICT LANGUAGE wasm AS :'m';
SELECT * FROM text_stream(3);
-- A trap ends the set; the next call starts afresh.
CREATE FUNCTION trap_at(k int) RETURNS SETOF int STRICT LANGUAGE wasm AS :'m';
SELECT * FROM trap_at(3);
SELECT count(*) FROM stream(3);
-- An iterator export of the wrong type.
CREATE FUNCTION badnext(n int) RETURNS SETOF text STRICT LANGUAGE wasm AS $$
(module
  (memory (export "memory") 1)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 0)
  (func (export "badnext") (param i32) (result i32) i32.const 0)
  (func (export "badnext_next") (param i32) (result i32 i32) i32.const 0 i32.const 0))
$$;

-- Fuel is one budget for the whole set, in both forms.
SET slackfuel.fuel_limit = '100k';
SELECT count(*) FROM stream(1000);
\set VERBOSITY terse
SELECT count(*) FROM stream(100000);
SELECT slackfuel_last_fuel_consumed() >= 100000 AS whole_set_charged;
SELECT count(*) FROM series(100000);
\set VERBOSITY default
RESET slackfuel.fuel_limit;
-- Cancellation reaches an endless set (with fuel enough for seconds of
-- rows: 100M runs out in about 0.25 s here).
SET slackfuel.fuel_limit = '10G';
SET statement_timeout = '300ms';
SELECT count(*) FROM stream(-1);
RESET statement_timeout;
RESET slackfuel.fuel_limit;

-- A streamed set read by SQL that wasm runs: its fuel is charged to the
-- calling function once (each row's, not the running total's).
CREATE FUNCTION stream_i(n int) RETURNS SETOF int STRICT IMMUTABLE LANGUAGE wasm AS :'m';
CREATE FUNCTION outer_q() RETURNS int LANGUAGE wasm AS $$
(module
  (import "slackfuel:host/api" "query" (func $query (param i32 i32 i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 4096))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get 2) (i32.const 1)))
                           (i32.sub (i32.const 0) (local.get 2))))
    (global.set $heap (i32.add (local.get $p) (local.get 3)))
    (local.get $p))
  (data (i32.const 0) "SELECT count(*) FROM stream_i(3000)")
  ;; query(sql, params, max-rows) -> list<row>: the number of rows
  (func (export "outer_q") (result i32)
    (global.set $heap (i32.const 4096))
    (call $query (i32.const 0) (i32.const 35) (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 256))
    (i32.load offset=4 (i32.const 256))))
$$;
SELECT count(*) FROM stream_i(3000);
SELECT slackfuel_last_fuel_consumed() AS set_fuel \gset
SELECT outer_q();
SELECT slackfuel_last_fuel_consumed() < 4 * :set_fuel AS charged_once;
DROP FUNCTION outer_q(), stream_i(int);

-- A million rows in either form: the backend's memory stays flat (the
-- tuplestore spills to disk beyond work_mem; iterators hold one row).
-- Building a million strings takes more than the default fuel.
SET slackfuel.fuel_limit = '1G';
SELECT count(*), sum(x) FROM stream(100000) x;
SELECT count(*), sum(x) FROM series(100000) x;
SELECT (regexp_match(pg_read_file('/proc/self/status'), 'VmRSS:\s+(\d+)'))[1]::bigint AS rss0 \gset
SELECT count(*), sum(x) FROM stream(1000000) x;
SELECT count(*) FROM text_stream(1000000) x WHERE x LIKE 'row %';
SELECT count(*), sum(x) FROM series(1000000) x;
SELECT (regexp_match(pg_read_file('/proc/self/status'), 'VmRSS:\s+(\d+)'))[1]::bigint - :rss0 < 32768
  AS rss_grew_less_than_32mb;
RESET slackfuel.fuel_limit;

DROP FUNCTION series(int), pairs(int), pairs_t(int), pairs_d(int), words(), maybe(int), bad_list(), stream(int),
  text_stream(int), trap_at(int);
DROP DOMAIN pairsmall;
DROP TYPE pairt;
