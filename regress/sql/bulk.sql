-- Bulk operators pay for their work and stop at a cancel: memory.copy,
-- memory.fill, table.fill and the extension's own copies of text charge
-- fuel by the bytes they touch (docs/fuel.md), and a loop of them, which
-- runs nearly all its time outside generated code, stops at
-- statement_timeout and pg_cancel_backend.  Tables count against
-- slackfuel.max_memory.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
RESET client_min_messages;
SELECT $m$
(module
  (memory (export "memory") 768)
  (table $t 1000000 funcref)
  (func $f) (elem declare func $f)
  (global $heap (mut i32) (i32.const 0x2000000))
  ;; a bump allocator from 32 MiB; the text's length is all that is kept
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (global.get $heap))
  (func (export "tlen") (param i32 i32) (result i32) (local.get 1))
  ;; $n copies of 16 MiB, [16 MiB, 32 MiB) to [0, 16 MiB)
  (func (export "copies") (param $n i32) (result i32) (local $i i32)
    (block $out (loop $l
      (br_if $out (i32.ge_u (local.get $i) (local.get $n)))
      (memory.copy (i32.const 0) (i32.const 0x1000000) (i32.const 0x1000000))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.get $i))
  ;; $n rounds of a 32 MiB fill and a 16 MiB copy
  (func (export "fill_copy") (param $n i32) (result i32) (local $i i32)
    (block $out (loop $l
      (br_if $out (i32.ge_u (local.get $i) (local.get $n)))
      (memory.fill (i32.const 0) (local.get $i) (i32.const 0x2000000))
      (memory.copy (i32.const 0) (i32.const 0x1000000) (i32.const 0x1000000))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.get $i))
  (func (export "tfills") (param $n i32) (result i32) (local $i i32)
    (block $out (loop $l
      (br_if $out (i32.ge_u (local.get $i) (local.get $n)))
      (table.fill $t (i32.const 0) (ref.func $f) (i32.const 1000000))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.get $i)))
$m$ AS bulkmod \gset
CREATE FUNCTION copies(int) RETURNS int STRICT LANGUAGE wasm AS :'bulkmod';
CREATE FUNCTION fill_copy(int) RETURNS int STRICT LANGUAGE wasm AS :'bulkmod';
CREATE FUNCTION tfills(int) RETURNS int STRICT LANGUAGE wasm AS :'bulkmod';
CREATE FUNCTION tlen(text) RETURNS int STRICT LANGUAGE wasm AS :'bulkmod';

-- A copy of 16 MiB reads and writes 32 MiB: 5,592,405 units (one per 6
-- bytes) beside its operators' 57 (the loop's, memory.copy's own 40 among
-- them, and 4 to leave it).
SET slackfuel.fuel_mode = precise;
SELECT copies(1), slackfuel_last_fuel_consumed();
SELECT copies(10), slackfuel_last_fuel_consumed();
SELECT tfills(2), slackfuel_last_fuel_consumed();

-- Regression: 200 rounds of a large fill and copy cost 3,405 fuel; with
-- the default limit (100M) they run out in the 5th round, before its fill.
SELECT fill_copy(200);
SET slackfuel.fuel_mode = slacked;
\set VERBOSITY terse
SELECT fill_copy(200);
\set VERBOSITY default

-- Text crosses into memory charged the same way: 10 MB read and written.
SET slackfuel.fuel_mode = precise;
SELECT tlen(repeat('x', 10000000)), slackfuel_last_fuel_consumed();
SET slackfuel.fuel_limit = '2M';
SELECT tlen(repeat('x', 10000000));
RESET slackfuel.fuel_limit;

-- Regression: statement_timeout = 1s stopped a loop of 32 MB copies after
-- 14 to 147 seconds.  In every mode it stops now, well before the 20,000
-- copies (320 GB) are done.
SET slackfuel.fuel_limit = '10G';
SET statement_timeout = '300ms';
SET slackfuel.fuel_mode = slacked;
SELECT copies(20000);
SET slackfuel.fuel_mode = precise;
SELECT copies(20000);
SET slackfuel.fuel_mode = off;
SELECT copies(20000);
SELECT tfills(100000);
RESET statement_timeout;

-- pg_cancel_backend from another session, the same.
\! (sleep 1; psql -X -q -d postgres -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query = 'SELECT copies(20000) AS cancel_me;'") >/dev/null 2>&1 &
SELECT copies(20000) AS cancel_me;
SELECT copies(1);
RESET slackfuel.fuel_mode;
RESET slackfuel.fuel_limit;

-- Regression: twelve tables of 10M elements, table.fill'ed, took 959 MB
-- for 49 fuel with max_memory = 64MB.  Tables count against max_memory
-- with the linear memory: a table grows while they fit (8 of 1M elements,
-- 8 MB each, in 64 MB), and a module whose tables do not fit is refused
-- when its instance is created.
CREATE FUNCTION grow_tables() RETURNS int LANGUAGE wasm AS $$
(module
  (table $a 0 funcref) (table $b 0 funcref) (table $c 0 funcref)
  (table $d 0 funcref) (table $e 0 funcref) (table $f 0 funcref)
  (table $g 0 funcref) (table $h 0 funcref) (table $i 0 funcref)
  (table $j 0 funcref) (table $k 0 funcref) (table $l 0 funcref)
  (func (export "grow_tables") (result i32)
    (i32.add (i32.add (i32.add (i32.add
      (i32.ne (table.grow $a (ref.null func) (i32.const 1000000)) (i32.const -1))
      (i32.ne (table.grow $b (ref.null func) (i32.const 1000000)) (i32.const -1)))
     (i32.add (i32.ne (table.grow $c (ref.null func) (i32.const 1000000)) (i32.const -1))
      (i32.ne (table.grow $d (ref.null func) (i32.const 1000000)) (i32.const -1))))
     (i32.add (i32.add
      (i32.ne (table.grow $e (ref.null func) (i32.const 1000000)) (i32.const -1))
      (i32.ne (table.grow $f (ref.null func) (i32.const 1000000)) (i32.const -1)))
     (i32.add (i32.ne (table.grow $g (ref.null func) (i32.const 1000000)) (i32.const -1))
      (i32.ne (table.grow $h (ref.null func) (i32.const 1000000)) (i32.const -1)))))
     (i32.add (i32.add
      (i32.ne (table.grow $i (ref.null func) (i32.const 1000000)) (i32.const -1))
      (i32.ne (table.grow $j (ref.null func) (i32.const 1000000)) (i32.const -1)))
     (i32.add (i32.ne (table.grow $k (ref.null func) (i32.const 1000000)) (i32.const -1))
      (i32.ne (table.grow $l (ref.null func) (i32.const 1000000)) (i32.const -1)))))))
$$;
SELECT grow_tables() AS tables_grown;
SET slackfuel.max_memory = '16MB';
SELECT grow_tables() AS tables_grown;
CREATE FUNCTION big_tables() RETURNS int LANGUAGE wasm AS $$
(module (table 1000000 funcref) (table 1000000 funcref) (table 1000000 funcref)
  (func (export "big_tables") (result i32) (table.size 2)))
$$;
SELECT big_tables();
RESET slackfuel.max_memory;
SELECT big_tables();
DROP FUNCTION copies(int), fill_copy(int), tfills(int), tlen(text), grow_tables(), big_tables();
