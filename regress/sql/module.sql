-- Bad modules and bad declarations are refused at CREATE FUNCTION with a
-- message naming the function.  Decoder details are the engine's (terse).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
RESET client_min_messages;
\set VERBOSITY terse
-- Not hexadecimal, odd number of digits.
CREATE FUNCTION h1() RETURNS int LANGUAGE wasm AS '\x0061zz';
CREATE FUNCTION h2() RETURNS int LANGUAGE wasm AS '\x0061736';
-- Bad magic, truncated, empty.
CREATE FUNCTION h3() RETURNS int LANGUAGE wasm AS '\x0061736e01000000';
CREATE FUNCTION h4() RETURNS int LANGUAGE wasm AS '\x0061736d0100';
CREATE FUNCTION h5() RETURNS int LANGUAGE wasm AS '\x';
-- Well-formed but invalid: returns i64 where i32 is declared.
CREATE FUNCTION f() RETURNS int LANGUAGE wasm
  AS '\x0061736d010000000105016000017f03020100070501016600000a0601040042000b';
\set VERBOSITY default
-- Imports cannot be satisfied.
CREATE FUNCTION imp() RETURNS int LANGUAGE wasm
  AS '\x0061736d010000000108026000006000017f02090103656e760167000003020101070501016600010a0601040041010b';
-- Two exported functions, neither named like the SQL function.
CREATE FUNCTION two() RETURNS int LANGUAGE wasm
  AS '\x0061736d010000000105016000017f030302000007090201610000016200010a0b02040041010b040041020b';
-- No exported function at all.
CREATE FUNCTION nofunc() RETURNS int LANGUAGE wasm
  AS '\x0061736d010000000503010001070701036d656d0200';
-- The export's type does not match the SQL signature: both are shown.
CREATE FUNCTION sig(int) RETURNS int STRICT LANGUAGE wasm
  AS '\x0061736d0100000001060160017e017f030201000707010373696700000a0601040041010b';
CREATE FUNCTION sig(bigint) RETURNS bigint STRICT LANGUAGE wasm
  AS '\x0061736d0100000001060160017e017f030201000707010373696700000a0601040041010b';
CREATE FUNCTION sig() RETURNS void LANGUAGE wasm
  AS '\x0061736d0100000001060160017e017f030201000707010373696700000a0601040041010b';
-- text goes through memory: the module must export "memory" and cabi_realloc.
CREATE FUNCTION s(text) RETURNS int STRICT LANGUAGE wasm
  AS '\x0061736d0100000001070160027f7f017f03020100070501017300000a0601040041010b';
CREATE FUNCTION s(text) RETURNS int STRICT LANGUAGE wasm
  AS '\x0061736d0100000001070160027f7f017f030201000503010001070e02066d656d6f72790200017300000a0601040041010b';
-- With check_function_bodies off (as pg_dump restores), the body is not
-- examined until the first call.
SET check_function_bodies = off;
CREATE FUNCTION later() RETURNS int LANGUAGE wasm AS '\x0061736e01000000';
RESET check_function_bodies;
\set VERBOSITY terse
SELECT later();
\set VERBOSITY default
DROP FUNCTION later();
SELECT count(*) FROM pg_proc
 WHERE prolang = (SELECT oid FROM pg_language WHERE lanname = 'wasm');
