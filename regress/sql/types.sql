-- SQL types in and out of wasm; bodies as text or hex; export selection.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
RESET client_min_messages;

CREATE FUNCTION add(a int, b int) RETURNS int STRICT LANGUAGE wasm AS $$
(module
  (func (export "add") (param i32 i32) (result i32)
    local.get 0
    local.get 1
    i32.add))
$$;
SELECT add(2, 3), add(-7, 7), add(2147483647, 1) AS wraps;
-- STRICT: a NULL argument gives NULL without running wasm.
SELECT add(NULL, 1) IS NULL AS is_null;

CREATE FUNCTION add8(bigint, bigint) RETURNS bigint STRICT LANGUAGE wasm AS $$
(module (func (export "add8") (param i64 i64) (result i64)
  local.get 0 local.get 1 i64.add))
$$;
SELECT add8(9000000000, 1), add8(-9223372036854775808, -1) AS wraps;

-- smallint results outside -32768..32767 are errors, not truncations.
CREATE FUNCTION neg2(smallint) RETURNS smallint STRICT LANGUAGE wasm AS $$
(module (func (export "neg2") (param i32) (result i32)
  i32.const 0 local.get 0 i32.sub))
$$;
SELECT neg2(5::smallint), neg2(32767::smallint);
SELECT neg2((-32768)::smallint);

-- booleans are 0 or 1; anything else is an error.
CREATE FUNCTION not_w(bool) RETURNS bool STRICT LANGUAGE wasm AS $$
(module (func (export "not_w") (param i32) (result i32) local.get 0 i32.eqz))
$$;
SELECT not_w(true), not_w(false);
CREATE FUNCTION as_bool(int) RETURNS bool STRICT LANGUAGE wasm AS $$
(module (func (export "as_bool") (param i32) (result i32) local.get 0))
$$;
SELECT as_bool(0), as_bool(1);
SELECT as_bool(2);

CREATE FUNCTION half(real) RETURNS real STRICT LANGUAGE wasm AS $$
(module (func (export "half") (param f32) (result f32)
  local.get 0 f32.const 0.5 f32.mul))
$$;
CREATE FUNCTION hyp(float8, float8) RETURNS float8 STRICT LANGUAGE wasm AS $$
(module (func (export "hyp") (param f64 f64) (result f64)
  local.get 0 local.get 0 f64.mul
  local.get 1 local.get 1 f64.mul
  f64.add f64.sqrt))
$$;
SELECT half(3), half('Infinity'), half('-0'), hyp(3, 4), hyp('NaN', 1);

-- Many arguments of mixed types.
CREATE FUNCTION mix(int2, int4, int8, float4, float8, bool, int8, int4)
  RETURNS float8 STRICT LANGUAGE wasm AS $$
(module (func (export "mix")
  (param i32 i32 i64 f32 f64 i32 i64 i32) (result f64)
  local.get 0 f64.convert_i32_s
  local.get 1 f64.convert_i32_s f64.add
  local.get 2 f64.convert_i64_s f64.add
  local.get 3 f64.promote_f32 f64.add
  local.get 4 f64.add
  local.get 5 f64.convert_i32_u f64.add
  local.get 6 f64.convert_i64_s f64.add
  local.get 7 f64.convert_i32_s f64.add))
$$;
SELECT mix(1::int2, 20, 300, 0.5, 0.25, true, -4000000000, 7);
DROP FUNCTION mix(int2, int4, int8, float4, float8, bool, int8, int4);

-- A body in hex; the only exported function is called whatever its name.
CREATE FUNCTION answer() RETURNS int LANGUAGE wasm
  AS '\x0061736d010000000105016000017f03020100070a0106616e7377657200000a06010400412a0b';
CREATE FUNCTION the_answer() RETURNS int LANGUAGE wasm
  AS '\x0061736d010000000105016000017f03020100070a0106616e7377657200000a06010400412a0b';
CREATE FUNCTION spaced() RETURNS int LANGUAGE wasm
  AS '\x 0061736d 01000000 0105016000017f 03020100 070a0106616e737765720000 0a06010400412a0b';
SELECT answer(), the_answer(), spaced();

-- With several exports, the one named like the SQL function is called.
CREATE FUNCTION second() RETURNS int LANGUAGE wasm AS $$
(module
  (func (export "first") (result i32) i32.const 1)
  (func (export "second") (result i32) i32.const 2))
$$;
SELECT second();

-- void results, and procedures.
CREATE FUNCTION nothing() RETURNS void LANGUAGE wasm AS '(module (func (export "nothing")))';
SELECT nothing();
CREATE PROCEDURE noop() LANGUAGE wasm AS '(module (func (export "noop")))';
CALL noop();

-- Strings: a module with memory, a growing bump allocator, and functions
-- over text and bytea.  cabi_post_* resets the heap after each call.
SELECT $m$
(module
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32) (local $end i32)
    global.get $heap
    local.set $p
    local.get $p
    local.get 3
    i32.add
    local.set $end
    block $fits
      local.get $end
      memory.size
      i32.const 16
      i32.shl
      i32.le_u
      br_if $fits
      local.get $end
      i32.const 16
      i32.shr_u
      i32.const 1
      i32.add
      memory.size
      i32.sub
      memory.grow
      i32.const -1
      i32.ne
      br_if $fits
      unreachable
    end
    local.get $end
    global.set $heap
    local.get $p)
  (func $ret (param $p i32) (param $n i32) (result i32)
    i32.const 0
    local.get $p
    i32.store
    i32.const 4
    local.get $n
    i32.store
    i32.const 0)
  (func (export "upper_w") (param $p i32) (param $n i32) (result i32)
    (local $i i32) (local $c i32)
    block $done
      loop $next
        local.get $i
        local.get $n
        i32.ge_u
        br_if $done
        local.get $p
        local.get $i
        i32.add
        i32.load8_u
        local.set $c
        local.get $c
        i32.const 97
        i32.ge_u
        local.get $c
        i32.const 122
        i32.le_u
        i32.and
        if
          local.get $p
          local.get $i
          i32.add
          local.get $c
          i32.const 32
          i32.sub
          i32.store8
        end
        local.get $i
        i32.const 1
        i32.add
        local.set $i
        br $next
      end
    end
    local.get $p
    local.get $n
    call $ret)
  (func (export "cabi_post_upper_w") (param i32)
    i32.const 1024
    global.set $heap)
  (func (export "len_w") (param i32 i32) (result i32) local.get 1)
  (func (export "echo_w") (param i32 i32) (result i32) local.get 0 local.get 1 call $ret)
  (func (export "bad_pair") (result i32) i32.const -8)
  (func (export "bad_span") (result i32)
    (call $ret (i32.const 0x7fff0000) (i32.const 0x20000)))
  (func (export "bad_utf8") (result i32)
    i32.const 100
    i32.const 0xff
    i32.store8
    (call $ret (i32.const 100) (i32.const 1)))
  (func (export "nul_w") (result i32)
    i32.const 100
    i32.const 0
    i32.store8
    (call $ret (i32.const 100) (i32.const 1))))
$m$ AS strmod \gset

CREATE FUNCTION upper_w(text) RETURNS text STRICT LANGUAGE wasm AS :'strmod';
CREATE FUNCTION len_w(bytea) RETURNS int STRICT LANGUAGE wasm AS :'strmod';
CREATE FUNCTION echo_w(varchar) RETURNS varchar STRICT LANGUAGE wasm AS :'strmod';
CREATE FUNCTION echo_w(bytea) RETURNS bytea STRICT LANGUAGE wasm AS :'strmod';
CREATE FUNCTION bad_pair() RETURNS text LANGUAGE wasm AS :'strmod';
CREATE FUNCTION bad_span() RETURNS bytea LANGUAGE wasm AS :'strmod';
CREATE FUNCTION bad_utf8() RETURNS text LANGUAGE wasm AS :'strmod';
CREATE FUNCTION nul_w() RETURNS text LANGUAGE wasm AS :'strmod';
-- A text function over a module without the ABI exports is refused.
CREATE FUNCTION upper_bare(text) RETURNS text STRICT LANGUAGE wasm AS $$
(module (func (export "upper_bare") (param i32 i32) (result i32) i32.const 0))
$$;

SELECT upper_w('hello, wörld'), upper_w(''), length(upper_w(repeat('ab', 100000)));
-- Repeated calls reuse the instance; cabi_post_upper_w resets the heap.
SELECT count(*) FROM generate_series(1, 1000) g WHERE upper_w('x' || g) = 'X' || g;
SELECT len_w('\x00ff00'::bytea), len_w(''::bytea), len_w(convert_to('wörld', 'UTF8'));
SELECT echo_w('varchar ok'::varchar), echo_w('\xdeadbeef'::bytea);
SELECT echo_w('\x00ff0000'::bytea) AS nul_bytes_survive, echo_w(''::bytea) AS empty;
-- slackfuel.max_memory caps memory.grow: the allocator cannot get 200 kB.
SET slackfuel.max_memory = '128kB';
SELECT length(upper_w(repeat('ab', 100000)));
SELECT upper_w('small is fine');
RESET slackfuel.max_memory;
SELECT length(upper_w(repeat('ab', 100000)));
-- Guest pointers and lengths are checked against the memory size.
SELECT bad_pair();
SELECT bad_span();
-- Text results must be valid UTF-8 (and hold no NUL).
SELECT bad_utf8();
SELECT nul_w();

-- DO blocks call "main" (or the only export), which takes no arguments.
DO $$ (module (func (export "main"))) $$ LANGUAGE wasm;
DO $$ (module (func (export "main") (result i32) i32.const 7)) $$ LANGUAGE wasm;
DO $$ (module (func $s) (start $s)) $$ LANGUAGE wasm;
DO $$ (module (func (export "main") (param i32))) $$ LANGUAGE wasm;
DO $$ (module (func (export "main") unreachable)) $$ LANGUAGE wasm;
\set VERBOSITY terse
DO $$ (module (func (export "main")) $$ LANGUAGE wasm;
\set VERBOSITY default

DROP FUNCTION add(int, int), add8(bigint, bigint), neg2(smallint), not_w(bool),
  as_bool(int), half(real), hyp(float8, float8), answer(), the_answer(), spaced(),
  second(), nothing(), upper_w(text), len_w(bytea), echo_w(varchar),
  echo_w(bytea), bad_pair(), bad_span(), bad_utf8(), nul_w();
DROP PROCEDURE noop();
