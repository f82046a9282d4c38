-- The canonical ABI beyond scalars and strings: NULL as option<T>, arrays
-- as list<T>, composites and OUT parameters as records, more than 16 flat
-- parameters through memory, results through a return area.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
RESET client_min_messages;

-- One module for all: a bump allocator (cabi_realloc) and the exports.
SELECT $m$
(module
  (memory (export "memory") 4)
  (global $top (mut i32) (i32.const 8192))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    global.get $top local.get 2 i32.add i32.const 1 i32.sub
    i32.const 0 local.get 2 i32.sub i32.and local.tee $p
    local.get 3 i32.add global.set $top
    global.get $top memory.size i32.const 16 i32.shl i32.gt_u if
      global.get $top i32.const 16 i32.shr_u i32.const 1 i32.add
      memory.size i32.sub memory.grow
      i32.const -1 i32.eq if unreachable end
    end
    local.get $p)
  ;; nn_add(a: option<s32>, b: option<s32>) -> option<s32>, at 16: disc, 20: value
  (func (export "nn_add") (param $da i32) (param $a i32) (param $db i32) (param $b i32) (result i32)
    local.get $da local.get $db i32.and
    if
      i32.const 16 i32.const 1 i32.store8
      i32.const 20 local.get $a local.get $b i32.add i32.store
    else
      i32.const 16 i32.const 0 i32.store8
    end
    i32.const 16)
  ;; is_missing(a: option<s32>) -> option<s32>: some(1) for none, else none
  (func (export "is_missing") (param $da i32) (param $a i32) (result i32)
    i32.const 16 local.get $da i32.eqz i32.store8
    i32.const 20 i32.const 1 i32.store
    i32.const 16)
  ;; bad_disc(a: option<s32>) -> option<s32>: discriminant 2
  (func (export "bad_disc") (param i32 i32) (result i32)
    i32.const 16 i32.const 2 i32.store8
    i32.const 16)
  ;; must_positive(a: option<s32>): traps unless some(a) with a > 0
  (func (export "must_positive") (param $da i32) (param $a i32)
    local.get $da i32.eqz if unreachable end
    local.get $a i32.const 0 i32.le_s if unreachable end)
  ;; sum_arr(list<s32>) -> s64
  (func (export "sum_arr") (param $p i32) (param $n i32) (result i64)
    (local $s i64)
    block $done loop $next
      local.get $n i32.eqz br_if $done
      local.get $s local.get $p i64.load32_s i64.add local.set $s
      local.get $p i32.const 4 i32.add local.set $p
      local.get $n i32.const 1 i32.sub local.set $n
      br $next end end
    local.get $s)
  ;; sum_f8(list<f64>) -> f64
  (func (export "sum_f8") (param $p i32) (param $n i32) (result f64)
    (local $s f64)
    block $done loop $next
      local.get $n i32.eqz br_if $done
      local.get $s local.get $p f64.load f64.add local.set $s
      local.get $p i32.const 8 i32.add local.set $p
      local.get $n i32.const 1 i32.sub local.set $n
      br $next end end
    local.get $s)
  ;; count_true(list<bool>) -> s32
  (func (export "count_true") (param $p i32) (param $n i32) (result i32)
    (local $s i32)
    block $done loop $next
      local.get $n i32.eqz br_if $done
      local.get $s local.get $p i32.load8_u i32.add local.set $s
      local.get $p i32.const 1 i32.add local.set $p
      local.get $n i32.const 1 i32.sub local.set $n
      br $next end end
    local.get $s)
  ;; total_len(list<string>) -> s32: the lengths at 8i + 4
  (func (export "total_len") (param $p i32) (param $n i32) (result i32)
    (local $s i32)
    block $done loop $next
      local.get $n i32.eqz br_if $done
      local.get $s local.get $p i32.load offset=4 i32.add local.set $s
      local.get $p i32.const 8 i32.add local.set $p
      local.get $n i32.const 1 i32.sub local.set $n
      br $next end end
    local.get $s)
  ;; iota(n: s32) -> list<s32>: 0..n-1 at 4096, the (ptr, len) pair at 32
  (func (export "iota") (param $n i32) (result i32)
    (local $i i32)
    block $done loop $next
      local.get $i local.get $n i32.ge_s br_if $done
      local.get $i i32.const 4 i32.mul i32.const 4096 i32.add local.get $i i32.store
      local.get $i i32.const 1 i32.add local.set $i
      br $next end end
    i32.const 32 i32.const 4096 i32.store
    i32.const 36 local.get $n i32.store
    i32.const 32)
  ;; huge() -> list<s32>: 2^31 - 1 elements at 0
  (func (export "huge") (result i32)
    i32.const 32 i32.const 0 i32.store
    i32.const 36 i32.const 0x7fffffff i32.store
    i32.const 32)
  ;; words() -> list<string>: ["ab", "", "wörld"]
  (func (export "words") (result i32)
    i32.const 32 i32.const 4096 i32.store
    i32.const 36 i32.const 3 i32.store
    i32.const 4096 i32.const 5000 i32.store  i32.const 4100 i32.const 2 i32.store
    i32.const 4104 i32.const 5000 i32.store  i32.const 4108 i32.const 0 i32.store
    i32.const 4112 i32.const 5002 i32.store  i32.const 4116 i32.const 6 i32.store
    i32.const 32)
  (data (i32.const 5000) "abw\c3\b6rld")
  ;; pt = record { x: option<s32>, y: option<f64> }: flat (i32 i32 i32 f64),
  ;; in memory x at 0 (disc, value at 4), y at 8 (disc, value at 16), 24 bytes
  (func (export "pt_sum") (param $dx i32) (param $x i32) (param $dy i32) (param $y f64) (result f64)
    (local $s f64)
    local.get $dx if local.get $x f64.convert_i32_s local.set $s end
    local.get $dy if local.get $s local.get $y f64.add local.set $s end
    local.get $s)
  (func (export "mk_pt") (param $x i32) (param $y f64) (result i32)
    i32.const 64 i32.const 1 i32.store8
    i32.const 68 local.get $x i32.store
    i32.const 72 i32.const 1 i32.store8
    i32.const 80 local.get $y f64.store
    i32.const 64)
  (func (export "mk_pt_nully") (param $x i32) (result i32)
    i32.const 64 i32.const 1 i32.store8
    i32.const 68 local.get $x i32.store
    i32.const 72 i32.const 0 i32.store8
    i32.const 64)
  ;; sum_xs(list<pt>) -> s32: the x of each 24-byte element that has one
  (func (export "sum_xs") (param $p i32) (param $n i32) (result i32)
    (local $s i32)
    block $done loop $next
      local.get $n i32.eqz br_if $done
      local.get $p i32.load8_u if
        local.get $s local.get $p i32.load offset=4 i32.add local.set $s end
      local.get $p i32.const 24 i32.add local.set $p
      local.get $n i32.const 1 i32.sub local.set $n
      br $next end end
    local.get $s)
  ;; seg = record { a: option<pt>, b: option<pt> }: 10 flat values
  (func (export "seg_x") (param i32 i32 i32 i32 f64 i32 i32 i32 i32 f64) (result i32)
    local.get 2 local.get 7 i32.add)
  ;; divmod-result = record { q: option<s32>, r: option<s32> } at 128
  (func (export "divmod") (param $a i32) (param $b i32) (result i32)
    i32.const 128 i32.const 1 i32.store8
    i32.const 132 local.get $a local.get $b i32.div_s i32.store
    i32.const 136 i32.const 1 i32.store8
    i32.const 140 local.get $a local.get $b i32.rem_s i32.store
    i32.const 128)
  ;; many(17 x s32) -> s32: one pointer to their tuple
  (func (export "many") (param $p i32) (result i32)
    (local $s i32) (local $i i32)
    block $done loop $next
      local.get $i i32.const 17 i32.ge_u br_if $done
      local.get $s local.get $p local.get $i i32.const 4 i32.mul i32.add i32.load i32.add local.set $s
      local.get $i i32.const 1 i32.add local.set $i
      br $next end end
    local.get $s)
  ;; misaligned() -> pt: a result pointer not aligned to 8
  (func (export "misaligned") (result i32) i32.const 65)
  ;; reset the heap after each call that used it
  (func (export "cabi_post_sum_arr") (param i64) i32.const 8192 global.set $top)
  (func (export "cabi_post_total_len") (param i32) i32.const 8192 global.set $top)
  (func (export "cabi_post_sum_xs") (param i32) i32.const 8192 global.set $top)
  (func (export "cabi_post_many") (param i32) i32.const 8192 global.set $top)
  (func (export "cabi_post_sum_f8") (param f64) i32.const 8192 global.set $top)
  (func (export "cabi_post_count_true") (param i32) i32.const 8192 global.set $top))
$m$ AS abimod \gset

-- NULL: a function that is not STRICT sees option<T> and returns one.
CREATE FUNCTION nn_add(a int, b int) RETURNS int LANGUAGE wasm AS :'abimod';
SELECT nn_add(1, 2), nn_add(NULL, 2) IS NULL AS a_null, nn_add(1, NULL) IS NULL AS b_null,
       nn_add(NULL, NULL) IS NULL AS both_null;
CREATE FUNCTION is_missing(a int) RETURNS int LANGUAGE wasm AS :'abimod';
SELECT is_missing(NULL), is_missing(5) IS NULL AS present;
CREATE FUNCTION bad_disc(a int) RETURNS int LANGUAGE wasm AS :'abimod';
SELECT bad_disc(1);
-- The same export under a STRICT declaration (plain s32s) does not fit.
CREATE FUNCTION nn_add_strict(a int, b int) RETURNS int STRICT LANGUAGE wasm AS $$
(module (func (export "nn_add_strict") (param i32 i32 i32 i32) (result i32)
  i32.const 0))
$$;

-- Procedures take arguments, as option<T>.
CREATE PROCEDURE must_positive(a int) LANGUAGE wasm AS :'abimod';
CALL must_positive(5);
CALL must_positive(-1);
CALL must_positive(NULL);

-- Arrays are lists; int2/int4/int8/float4/float8 arrays are copied whole.
CREATE FUNCTION sum_arr(int[]) RETURNS bigint STRICT LANGUAGE wasm AS :'abimod';
SELECT sum_arr(ARRAY[1, 2, 3]), sum_arr('{}'), sum_arr(ARRAY[-2147483648, -1]);
SELECT sum_arr(array_agg(g)) FROM generate_series(1, 100000) g;
SELECT sum_arr('[5:7]={10,20,30}'::int[]) AS any_lower_bound;
SELECT sum_arr(ARRAY[1, NULL, 3]);
SELECT sum_arr('{{1,2},{3,4}}');
CREATE FUNCTION sum_f8(float8[]) RETURNS float8 STRICT LANGUAGE wasm AS :'abimod';
SELECT sum_f8(ARRAY[0.5, 0.25, 2]);
CREATE FUNCTION count_true(bool[]) RETURNS int STRICT LANGUAGE wasm AS :'abimod';
SELECT count_true(ARRAY[true, false, true, true]);
CREATE FUNCTION total_len(text[]) RETURNS int STRICT LANGUAGE wasm AS :'abimod';
SELECT total_len(ARRAY['ab', '', 'wörld']);
CREATE FUNCTION iota(n int) RETURNS int[] STRICT LANGUAGE wasm AS :'abimod';
SELECT iota(5), iota(0), array_length(iota(1000), 1);
-- A list longer than memory is caught before anything is read.
CREATE FUNCTION huge() RETURNS int[] LANGUAGE wasm AS :'abimod';
SELECT huge();
CREATE FUNCTION words() RETURNS text[] LANGUAGE wasm AS :'abimod';
SELECT words();

-- Composites are records; their columns are option<T>.
CREATE TYPE pt AS (x int, y float8);
CREATE FUNCTION pt_sum(pt) RETURNS float8 STRICT LANGUAGE wasm AS :'abimod';
SELECT pt_sum(ROW(1, 2.5)::pt), pt_sum(ROW(NULL, 2.5)::pt), pt_sum(ROW(4, NULL)::pt);
CREATE FUNCTION mk_pt(int, float8) RETURNS pt STRICT LANGUAGE wasm AS :'abimod';
CREATE FUNCTION mk_pt_nully(int) RETURNS pt STRICT LANGUAGE wasm AS :'abimod';
SELECT mk_pt(1, 2.5), (mk_pt(7, -1)).y, mk_pt_nully(3), (mk_pt_nully(3)).y IS NULL AS y_null;
CREATE FUNCTION sum_xs(pt[]) RETURNS int STRICT LANGUAGE wasm AS :'abimod';
SELECT sum_xs(ARRAY[ROW(1, 0)::pt, ROW(NULL, 1)::pt, ROW(40, NULL)::pt]);
CREATE TYPE seg AS (a pt, b pt);
CREATE FUNCTION seg_x(seg) RETURNS int STRICT LANGUAGE wasm AS :'abimod';
SELECT seg_x(ROW(ROW(1, 0), ROW(2, 0))::seg);
CREATE FUNCTION misaligned() RETURNS pt LANGUAGE wasm AS :'abimod';
SELECT misaligned();

-- OUT parameters: a record result.
CREATE FUNCTION divmod(a int, b int, OUT q int, OUT r int) STRICT LANGUAGE wasm
  AS :'abimod';
SELECT * FROM divmod(17, 5);
SELECT (divmod(-7, 2)).r;

-- A composite type that changes is seen at the next call.
ALTER TYPE pt ADD ATTRIBUTE z int;
SELECT pt_sum(ROW(1, 2.5, 0)::pt);
ALTER TYPE pt DROP ATTRIBUTE z;
SELECT pt_sum(ROW(1, 2.5)::pt);

-- Beyond 16 flat parameters, one pointer to their tuple in memory.
CREATE FUNCTION many(int, int, int, int, int, int, int, int, int, int, int,
                     int, int, int, int, int, int) RETURNS int STRICT
  LANGUAGE wasm AS :'abimod';
SELECT many(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17);
-- Called many times, the allocator's heap is reset by cabi_post_many.
SELECT count(*) FROM generate_series(1, 10000) g
 WHERE many(g, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1) = g + 16;

-- A mismatch shows the WIT the SQL signature maps to.
CREATE FUNCTION sum_xs_wrong(pt[], text) RETURNS pt STRICT LANGUAGE wasm AS $$
(module (func (export "sum_xs_wrong") (param i32) (result i32) i32.const 0))
$$;

-- The WIT of functions, as one world, for bindings generators.
SELECT slackfuel_wit('pt_sum(pt)', 'divmod(int, int)', 'nn_add(int, int)',
                     'sum_xs(pt[])', 'seg_x(seg)', 'words()');
SELECT slackfuel_wit('must_positive(int)');
SELECT slackfuel_wit('numeric_abs(numeric)');

DROP FUNCTION nn_add(int, int), is_missing(int), bad_disc(int), sum_arr(int[]),
  sum_f8(float8[]), count_true(bool[]), total_len(text[]), iota(int), huge(), words(),
  pt_sum(pt), mk_pt(int, float8), mk_pt_nully(int), sum_xs(pt[]), seg_x(seg),
  misaligned(), divmod(int, int),
  many(int, int, int, int, int, int, int, int, int, int, int, int, int, int, int, int, int);
DROP PROCEDURE must_positive(int);
DROP TYPE seg, pt;
