-- Every trap is an ERROR with its own SQLSTATE, the function's name, and a
-- DETAIL locating it; the backend survives and the function works again.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
RESET client_min_messages;
SELECT $m$
(module
  (type $v_i (func (result i32)))
  (type $i_i (func (param i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $zero)
  (memory 1)
  (func $zero (result i32) i32.const 0)
  (func (export "t_unreachable") (result i32) unreachable)
  (func (export "t_div") (param i32) (result i32)
    i32.const 100 local.get 0 i32.div_s)
  (func (export "t_rem") (param i64) (result i64)
    i64.const 100 local.get 0 i64.rem_u)
  (func (export "t_overflow") (param i32) (result i32)
    i32.const 0x80000000 local.get 0 i32.div_s)
  (func (export "t_conv") (param f64) (result i32)
    local.get 0 i32.trunc_f64_s)
  (func (export "t_load") (param i32) (result i32)
    local.get 0 i32.load)
  (func (export "t_store") (param i32) (result i32)
    local.get 0 i64.const 1 i64.store i32.const 0)
  (func (export "t_indirect") (param i32) (result i32)
    local.get 0 call_indirect (type $v_i))
  (func (export "t_mismatch") (result i32)
    i32.const 5 i32.const 0 call_indirect (type $i_i))
  (func $deep (export "t_stack") (param i32) (result i32)
    local.get 0 i32.const 1 i32.add call $deep))
$m$ AS traps \gset
CREATE FUNCTION t_unreachable() RETURNS int LANGUAGE wasm AS :'traps';
CREATE FUNCTION t_div(int) RETURNS int STRICT LANGUAGE wasm AS :'traps';
CREATE FUNCTION t_rem(bigint) RETURNS bigint STRICT LANGUAGE wasm AS :'traps';
CREATE FUNCTION t_overflow(int) RETURNS int STRICT LANGUAGE wasm AS :'traps';
CREATE FUNCTION t_conv(float8) RETURNS int STRICT LANGUAGE wasm AS :'traps';
CREATE FUNCTION t_load(int) RETURNS int STRICT LANGUAGE wasm AS :'traps';
CREATE FUNCTION t_store(int) RETURNS int STRICT LANGUAGE wasm AS :'traps';
CREATE FUNCTION t_indirect(int) RETURNS int STRICT LANGUAGE wasm AS :'traps';
CREATE FUNCTION t_mismatch() RETURNS int LANGUAGE wasm AS :'traps';
CREATE FUNCTION t_stack(int) RETURNS int STRICT LANGUAGE wasm AS :'traps';

-- Working calls first.
SELECT t_div(7), t_rem(7), t_overflow(1), t_conv(-3.9), t_load(65532),
       t_indirect(0);

SELECT t_unreachable();
SELECT t_div(0);
SELECT t_rem(0);
SELECT t_overflow(-1);
SELECT t_conv('NaN');
SELECT t_conv(3e9);
SELECT t_load(65533);
SELECT t_load(-1);
SELECT t_store(65536);
SELECT t_indirect(1);
SELECT t_indirect(2);
SELECT t_mismatch();
-- Stack exhaustion: how many frames fit depends on frame sizes, which the
-- compiler may change, so the backtrace's tail count is checked as a range.
DO $$
DECLARE
  msg text;
  ctx text;
BEGIN
  PERFORM t_stack(0);
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, ctx = PG_EXCEPTION_CONTEXT;
  RAISE NOTICE '%', msg;
  RAISE NOTICE '%', regexp_replace(split_part(ctx, E'\n', 1), '\.\.\. \d+ more$', '... N more');
  RAISE NOTICE 'more than 1000 frames: %',
    (regexp_match(ctx, '\.\.\. (\d+) more'))[1]::int > 1000;
END $$;

-- The SQLSTATEs, as a PL/pgSQL handler sees them.
DO $$
DECLARE
  q text;
BEGIN
  FOREACH q IN ARRAY ARRAY['t_unreachable()', 't_div(0)', 't_rem(0)',
    't_overflow(-1)', 't_conv(''Infinity'')', 't_load(70000)', 't_store(-4)',
    't_indirect(1)', 't_indirect(9)', 't_mismatch()', 't_stack(0)']
  LOOP
    BEGIN
      EXECUTE 'SELECT ' || q;
    EXCEPTION WHEN others THEN
      RAISE NOTICE '% -> % %', q, SQLSTATE, SQLERRM;
    END;
  END LOOP;
END $$;

-- The instances were discarded and are rebuilt: everything works again.
SELECT t_div(7), t_rem(7), t_overflow(1), t_conv(-3.9), t_load(65532),
       t_indirect(0);
-- A trap in a start function fails the first call (instantiation).
CREATE FUNCTION t_start() RETURNS int LANGUAGE wasm AS $$
(module (func $s unreachable) (start $s)
  (func (export "t_start") (result i32) i32.const 1))
$$;
SELECT t_start();
SELECT t_start();

-- A call needs slackfuel.max_stack more stack within max_stack_depth; a
-- query's call site follows max_stack_depth changed while the query runs:
-- the call after row 3's set_config is refused (the error rolls the setting
-- back), and with a setting that leaves room every row runs.
CREATE FUNCTION stack_depth_at(i int, at int, depth text) RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  IF i = at THEN
    PERFORM set_config('max_stack_depth', depth, false);
  END IF;
  RETURN 0;
END $$;
DO $$
DECLARE
  hint text;
BEGIN
  PERFORM sum(t_div(i) + stack_depth_at(i, 3, '256kB')) FROM generate_series(1, 5) i;
EXCEPTION WHEN statement_too_complex THEN
  GET STACKED DIAGNOSTICS hint = PG_EXCEPTION_HINT;
  RAISE NOTICE '%; %', SQLERRM, hint;
END $$;
SHOW max_stack_depth;
SELECT sum(t_div(i) + stack_depth_at(i, 3, '2MB')) FROM generate_series(1, 5) i;
DROP FUNCTION stack_depth_at(int, int, text);

DROP FUNCTION t_unreachable(), t_div(int), t_rem(bigint), t_overflow(int),
  t_conv(float8), t_load(int), t_store(int), t_indirect(int), t_mismatch(),
  t_stack(int), t_start();
