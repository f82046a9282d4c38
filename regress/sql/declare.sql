-- What the validator checks before looking at the module: types that
-- cannot cross into wasm, sets, OUT parameters, and STRICT.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
RESET client_min_messages;
SET check_function_bodies = off;

CREATE FUNCTION nonstrict(int) RETURNS int LANGUAGE wasm AS '(module)';
CREATE FUNCTION badarg(numeric) RETURNS int STRICT LANGUAGE wasm AS '(module)';
CREATE FUNCTION badret(int) RETURNS date STRICT LANGUAGE wasm AS '(module)';
CREATE FUNCTION sets(int) RETURNS SETOF int STRICT LANGUAGE wasm AS '(module)';
CREATE FUNCTION outp(int, OUT a int, OUT b int) STRICT LANGUAGE wasm AS '(module)';
CREATE FUNCTION trig() RETURNS trigger LANGUAGE wasm AS '(module)';
CREATE FUNCTION arr(int[]) RETURNS int STRICT LANGUAGE wasm AS '(module)';

-- These are fine: every supported type, and no arguments need no STRICT.
CREATE FUNCTION alltypes(bool, int2, int4, int8, float4, float8, text, varchar, bytea)
  RETURNS text STRICT LANGUAGE wasm AS '(module)';
CREATE FUNCTION noargs() RETURNS void LANGUAGE wasm AS '(module)';
CREATE PROCEDURE proc() LANGUAGE wasm AS '(module)';
-- Procedures cannot be STRICT, so they cannot take arguments.
CREATE PROCEDURE procarg(int) LANGUAGE wasm AS '(module)';
SELECT proname, proisstrict FROM pg_proc
 WHERE prolang = (SELECT oid FROM pg_language WHERE lanname = 'wasm')
 ORDER BY proname;

-- ALTER FUNCTION ... SET is validated.
ALTER FUNCTION noargs() SET slackfuel.fuel_limit = '1k';
ALTER FUNCTION noargs() SET slackfuel.fuel_limit = '1e9';
ALTER FUNCTION noargs() SET slackfuel.fuel_mode = 'fast';
SELECT proconfig FROM pg_proc WHERE proname = 'noargs';

DROP FUNCTION alltypes(bool, int2, int4, int8, float4, float8, text, varchar, bytea);
DROP FUNCTION noargs();
DROP PROCEDURE proc();
RESET check_function_bodies;
