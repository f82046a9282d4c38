-- Example wasm functions for `make run` (idempotent).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
ALTER EXTENSION slackfuel UPDATE;	-- a cluster made by an earlier version

-- The smallest function: text format, named export.
CREATE OR REPLACE FUNCTION add(a int, b int) RETURNS int STRICT LANGUAGE wasm AS $$
(module (func (export "add") (param i32 i32) (result i32)
  local.get 0 local.get 1 i32.add))
$$;

-- Iterative Fibonacci modulo 1e9+7 (the same as the SQL benchmark).
CREATE OR REPLACE FUNCTION fib(n bigint) RETURNS bigint STRICT LANGUAGE wasm AS $$
(module (func (export "fib") (param $n i64) (result i64)
  (local $a i64) (local $b i64) (local $t i64)
  i64.const 1 local.set $b
  block $done
    loop $next
      local.get $n i64.eqz br_if $done
      local.get $a local.get $b i64.add i64.const 1000000007 i64.rem_u local.set $t
      local.get $b local.set $a
      local.get $t local.set $b
      local.get $n i64.const 1 i64.sub local.set $n
      br $next
    end
  end
  local.get $a))
$$;

-- A binary module given in hex: (func (export "answer") (result i32) i32.const 42).
CREATE OR REPLACE FUNCTION answer() RETURNS int LANGUAGE wasm
  AS '\x0061736d010000000105016000017f03020100070a0106616e7377657200000a06010400412a0b';

-- Text through linear memory (canonical ABI: memory, cabi_realloc, (ptr, len)).
CREATE OR REPLACE FUNCTION upper_w(s text) RETURNS text STRICT LANGUAGE wasm AS $$
(module
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    global.get $heap local.set $p
    global.get $heap local.get 3 i32.add global.set $heap
    block $fits
      global.get $heap memory.size i32.const 16 i32.shl i32.le_u br_if $fits
      global.get $heap i32.const 16 i32.shr_u i32.const 1 i32.add memory.size i32.sub
      memory.grow i32.const -1 i32.ne br_if $fits
      unreachable
    end
    local.get $p)
  (func (export "upper_w") (param $p i32) (param $n i32) (result i32)
    (local $i i32) (local $c i32)
    block $done
      loop $next
        local.get $i local.get $n i32.ge_u br_if $done
        local.get $p local.get $i i32.add i32.load8_u local.set $c
        local.get $c i32.const 97 i32.ge_u local.get $c i32.const 122 i32.le_u i32.and
        if
          local.get $p local.get $i i32.add local.get $c i32.const 32 i32.sub i32.store8
        end
        local.get $i i32.const 1 i32.add local.set $i
        br $next
      end
    end
    i32.const 0 local.get $p i32.store
    i32.const 4 local.get $n i32.store
    i32.const 0)
  (func (export "cabi_post_upper_w") (param i32) i32.const 1024 global.set $heap))
$$;

-- Runs out of fuel: an infinite loop.
CREATE OR REPLACE FUNCTION burn() RETURNS int LANGUAGE wasm AS $$
(module (func (export "burn") (result i32) (loop $l (br $l)) i32.const 0))
$$;

-- The same loop, unmetered (off is for superusers): only statement_timeout
-- or a cancel stops it.
CREATE OR REPLACE FUNCTION forever() RETURNS int LANGUAGE wasm AS $$
(module (func (export "forever") (result i32) (loop $l (br $l)) i32.const 0))
$$;
ALTER FUNCTION forever() SET slackfuel.fuel_mode = off;

CREATE TABLE IF NOT EXISTS demo_rows (x int);
