-- What the validator checks before looking at the module: types that
-- cannot cross into wasm, sets, and procedures with OUT parameters.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
RESET client_min_messages;
SET check_function_bodies = off;

CREATE FUNCTION badarg(numeric) RETURNS int STRICT LANGUAGE wasm AS '(module)';
CREATE FUNCTION badret(int) RETURNS date STRICT LANGUAGE wasm AS '(module)';
CREATE FUNCTION sets(int) RETURNS SETOF int STRICT LANGUAGE wasm AS '(module)';
CREATE FUNCTION trig() RETURNS trigger LANGUAGE wasm AS '(module)';
CREATE FUNCTION anyrec(int) RETURNS record STRICT LANGUAGE wasm AS '(module)';
CREATE FUNCTION numarr(numeric[]) RETURNS int STRICT LANGUAGE wasm AS '(module)';
CREATE PROCEDURE procout(a int, OUT b int) LANGUAGE wasm AS '(module)';

-- These are fine: every supported type, functions that are not STRICT
-- (their arguments are option<T>), OUT parameters (a record result),
-- arrays, and procedures with arguments.
CREATE FUNCTION alltypes(bool, int2, int4, int8, float4, float8, text, varchar, bytea)
  RETURNS text STRICT LANGUAGE wasm AS '(module)';
CREATE FUNCTION noargs() RETURNS void LANGUAGE wasm AS '(module)';
CREATE PROCEDURE proc() LANGUAGE wasm AS '(module)';
CREATE FUNCTION nonstrict(int) RETURNS int LANGUAGE wasm AS '(module)';
CREATE FUNCTION outp(int, OUT a int, OUT b int) STRICT LANGUAGE wasm AS '(module)';
CREATE FUNCTION arr(int[]) RETURNS int STRICT LANGUAGE wasm AS '(module)';
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
DROP FUNCTION nonstrict(int);
DROP FUNCTION outp(int);
DROP FUNCTION arr(int[]);
DROP PROCEDURE procarg(int);
RESET check_function_bodies;
