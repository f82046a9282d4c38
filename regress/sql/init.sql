-- Instance initialisation: the start function and a WASI reactor's
-- _initialize run once when an instance is created, metered and stopped
-- like any call; a WASI command (_start) is not a function body.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
RESET client_min_messages;

-- A reactor built with clang --target=wasm32-wasi -O2 -mexec-model=reactor
-- -Wl,--strip-all from
--   static uint32_t table[256];
--   __attribute__((constructor)) static void init(void) { ... CRC-32 table ... }
--   __attribute__((export_name("crc_tab"))) uint32_t crc_tab(int i) { return table[i]; }
-- The constructor runs from _initialize; without it the table is zeros.
CREATE FUNCTION crc_tab(int) RETURNS int STRICT LANGUAGE wasm AS $$
\x0061736d0100000001090260000060017f017f03030200010503010002072203066d656d6f727902000b5f696e697469616c697a650000076372635f74616200010ae70102d50101047f4180082103034020032002410176220041a086e2ed7e73200020024101711b2200410176220141a086e2ed7e73200120004101711b2200410176220141a086e2ed7e73200120004101711b2200410176220141a086e2ed7e73200120004101711b2200410176220141a086e2ed7e73200120004101711b2200410176220141a086e2ed7e73200120004101711b2200410176220141a086e2ed7e73200120004101711b2200410176220141a086e2ed7e73200120004101711b360200200341046a2103200241016a2202418002470d000b0b0e0020004102744180086a2802000b
$$;
SELECT crc_tab(1) AS crc_tab_1, crc_tab(128) AS crc_tab_128;

-- Order: the start function, then _initialize; each instance once.
CREATE FUNCTION init_order() RETURNS int LANGUAGE wasm AS $$
(module
  (global $g (mut i32) (i32.const 0))
  (func $start (global.set $g (i32.const 1)))
  (start $start)
  (func (export "_initialize")
    (global.set $g (i32.add (i32.mul (global.get $g) (i32.const 10)) (i32.const 2))))
  (func (export "init_order") (result i32)
    (global.set $g (i32.add (global.get $g) (i32.const 100)))
    (global.get $g)))
$$;
SELECT init_order(), init_order();

-- Both are metered: one fuel limit for the two, and out of fuel reports
-- what they consumed.  Precise mode stops at the same point every time.
CREATE FUNCTION init_spins() RETURNS int LANGUAGE wasm AS $$
(module
  (func (export "_initialize") (loop $l (br $l)))
  (func (export "init_spins") (result i32) (i32.const 7)))
$$;
CREATE FUNCTION start_spins() RETURNS int LANGUAGE wasm AS $$
(module
  (func $s (loop $l (br $l)))
  (start $s)
  (func (export "start_spins") (result i32) (i32.const 7)))
$$;
SET slackfuel.fuel_mode = precise;
SET slackfuel.fuel_limit = '1000';
SELECT init_spins();
SELECT start_spins();
SELECT slackfuel_last_fuel_consumed();
SET slackfuel.fuel_mode = slacked;
\set VERBOSITY terse
SELECT init_spins();
\set VERBOSITY default
SELECT slackfuel_last_fuel_consumed() > 1000 AS ran_past_the_limit;
RESET slackfuel.fuel_limit;
RESET slackfuel.fuel_mode;

-- ... and stopped by statement_timeout.
SET slackfuel.fuel_limit = '10G';
SET statement_timeout = '200ms';
SELECT init_spins();
RESET statement_timeout;
RESET slackfuel.fuel_limit;

-- A WASI command is refused (clang --target=wasm32-wasi -O2 -Wl,--strip-all
-- of int main(void) { return 0; }), and so is a wrongly typed _initialize.
CREATE FUNCTION command() RETURNS void LANGUAGE wasm AS $$
\x0061736d01000000010401600000030201000503010002071302066d656d6f72790200065f737461727400000a05010300010b
$$;
CREATE FUNCTION bad_init() RETURNS int LANGUAGE wasm AS $$
(module
  (func (export "_initialize") (param i32))
  (func (export "bad_init") (result i32) (i32.const 7)))
$$;
DROP FUNCTION crc_tab(int), init_order(), init_spins(), start_spins();
