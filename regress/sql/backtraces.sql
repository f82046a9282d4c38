-- Trap and out-of-fuel errors give the wasm call stack in CONTEXT,
-- innermost first: each frame's function index, its name when the module
-- has a name section, and the byte offset in the module of the instruction
-- it was at (the trapping one, then the calls).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
RESET client_min_messages;

-- One module, built by wat2wasm with --debug-names (named) and without
-- (stripped); both have the same code at the same offsets:
--   func 0 $leaf     100 / x                 i32.div_u at 0x4a
--   func 1 $middle   1 + leaf(x)             call at 0x52
--   func 2 $top      2 + middle(x)           call at 0x5c   (export "top")
--   func 3 $spin     loop while x            loop at 0x62
--   func 4 $spin_top 3 + spin(x)             call at 0x72   (export "spin_top")
--   func 5 $peek     i32.load offset=4 x     load at 0x7a   (export "peek")
--   func 6 $rec      5 + rec(x)              call at 0x84   (export "rec")
\set named '\\x0061736d0100000001060160017f017f030807000000000000000503010001071f0403746f700002087370696e5f746f700004047065656b00050372656300060a4607080041e40020006e0b09004101200010006a0b09004102200010016a0b0b00034020000d000b41000b09004103200010036a0b070020002802040b09004105200010066a0b0047046e616d65012f0700046c65616601066d6964646c650203746f7003047370696e04087370696e5f746f7005047065656b0603726563020f070000010002000300040005000600'
\set stripped '\\x0061736d0100000001060160017f017f030807000000000000000503010001071f0403746f700002087370696e5f746f700004047065656b00050372656300060a4607080041e40020006e0b09004101200010006a0b09004102200010016a0b0b00034020000d000b41000b09004103200010036a0b070020002802040b09004105200010066a0b'
CREATE FUNCTION top(int) RETURNS int STRICT LANGUAGE wasm AS :'named';
CREATE FUNCTION spin_top(int) RETURNS int STRICT LANGUAGE wasm AS :'named';
CREATE FUNCTION peek(int) RETURNS int STRICT LANGUAGE wasm AS :'named';
CREATE FUNCTION rec(int) RETURNS int STRICT LANGUAGE wasm AS :'named';
SELECT slackfuel_install_module('bt_stripped', :'stripped');
CREATE FUNCTION top_stripped(int) RETURNS int STRICT LANGUAGE wasm AS 'bt_stripped:top';
CREATE FUNCTION spin_stripped(int) RETURNS int STRICT LANGUAGE wasm AS 'bt_stripped:spin_top';
SELECT top(4), top_stripped(4);

-- A trap three calls deep, with and without names.
SELECT top(0);
SELECT top_stripped(0);
-- A fault on a guard page: the load itself.
SELECT peek(65535);

-- Out of fuel in precise code: where the check that ran out stands (at the
-- loop body's first instruction, 0x64).
SET slackfuel.fuel_mode = precise;
SET slackfuel.fuel_limit = '1k';
SELECT spin_top(1);
SELECT spin_stripped(1);
-- Slacked code stopped by the tick (how far past the limit it ran varies,
-- so only the CONTEXT's first line is shown).  The loop has no instruction
-- that may trap or call: the frame names the last one before the stop, or
-- as here the function's first instruction (the loop, 0x62).
SET slackfuel.fuel_mode = slacked;
SET slackfuel.precise_below = 0;
SET slackfuel.fuel_limit = '20M';
DO $$
DECLARE
  ctx text;
BEGIN
  PERFORM spin_top(1);
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS ctx = PG_EXCEPTION_CONTEXT;
  RAISE NOTICE '%: %', SQLERRM, split_part(ctx, E'\n', 1);
END $$;
RESET slackfuel.fuel_limit;
RESET slackfuel.precise_below;
RESET slackfuel.fuel_mode;

-- Deeper than the 16 frames kept: the innermost ones (the first one at the
-- stack check of rec's entry, the others at its call), then how many more
-- (a number that depends on the stack size, so it is only compared).
DO $$
DECLARE
  ctx text;
  bt text;
BEGIN
  PERFORM rec(0);
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS ctx = PG_EXCEPTION_CONTEXT;
  bt := split_part(ctx, E'\n', 1);
  RAISE NOTICE '%', SQLERRM;
  RAISE NOTICE '%', regexp_replace(bt, ', #2 .*$', ', ...');
  RAISE NOTICE 'frames shown: %, more than 1000 left out: %',
    (SELECT count(*) FROM regexp_matches(bt, '#[0-9]+ func 6 "rec" at 0x8', 'g')),
    substring(bt FROM '\.\.\. ([0-9]+) more$')::int > 1000;
END $$;

-- The function works again after each error.
SELECT top(5), spin_top(0), peek(0), top_stripped(5);

DROP FUNCTION top(int), spin_top(int), peek(int), rec(int), top_stripped(int),
  spin_stripped(int);
SELECT slackfuel_drop_module('bt_stripped');
