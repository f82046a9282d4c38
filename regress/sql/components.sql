-- WebAssembly components (one core module plus canon lift, as jco new and
-- wasm-tools component new make them) wherever a module goes: function
-- bodies and named modules.  Their WIT types are checked exactly against
-- the SQL signature; slackfuel_create_functions derives the functions.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
RESET client_min_messages;
CREATE SCHEMA comp;
SET search_path = comp, public;
\set lev '\\x' `od -An -v -tx1 build/examples/components/levenshtein.wasm | tr -d ' \n'`
\set crypto '\\x' `od -An -v -tx1 build/examples/components/crypto.wasm | tr -d ' \n'`
\set hav '\\x' `od -An -v -tx1 build/examples/components/haversine.wasm | tr -d ' \n'`
\set imports '\\x' `od -An -v -tx1 build/examples/components/tests/imports.wasm | tr -d ' \n'`
\set interface '\\x' `od -An -v -tx1 build/examples/components/tests/interface.wasm | tr -d ' \n'`
\set types '\\x' `od -An -v -tx1 build/examples/components/tests/types.wasm | tr -d ' \n'`

-- As a function body (jco new of examples/c/levenshtein.c and its world).
CREATE FUNCTION levenshtein(a text, b text) RETURNS int STRICT LANGUAGE wasm AS :'lev';
SELECT levenshtein('kitten', 'sitting'), levenshtein('héllo', 'hello');
-- The WIT type must be the one the SQL signature maps to: s32, not s64.
CREATE FUNCTION lev64(a text, b text) RETURNS bigint STRICT LANGUAGE wasm AS :'lev';
CREATE FUNCTION lev_bytes(a bytea, b bytea) RETURNS int STRICT LANGUAGE wasm AS :'lev';
-- Exactly, even where the core types agree: u32 and s32 are both i32.
CREATE FUNCTION "unsigned"(x int) RETURNS int STRICT LANGUAGE wasm AS :'types';
CREATE FUNCTION signed(x int) RETURNS int STRICT LANGUAGE wasm AS :'types';
CREATE FUNCTION flag(x bool) RETURNS bool STRICT LANGUAGE wasm AS :'types';
SELECT signed(-5), flag(false);

-- A component needing imports fails, naming them; so do unsupported shapes.
CREATE FUNCTION f() RETURNS int LANGUAGE wasm AS :'imports';
CREATE FUNCTION f() RETURNS int LANGUAGE wasm AS :'interface';
CREATE FUNCTION f() RETURNS int LANGUAGE wasm AS '\x0061736d0d000100';
SELECT slackfuel_install_module('needs_imports', :'imports');

-- As named modules, and a SQL function per exported WIT function.
SELECT slackfuel_install_module('lev', :'lev');
SELECT slackfuel_install_module('crypto', :'crypto');
SELECT slackfuel_install_module('geo', :'hav');
SELECT slackfuel_install_module('typed', :'types');
SELECT slackfuel_create_functions('crypto');
SELECT slackfuel_create_functions('geo', 'public');
-- Exports whose types map to no SQL type are skipped with a warning.
CREATE SCHEMA comp_typed;
SELECT slackfuel_create_functions('typed', 'comp_typed');
SELECT p.oid::regprocedure AS created, prosrc, proisstrict
  FROM pg_proc p WHERE prolang = (SELECT oid FROM pg_language WHERE lanname = 'wasm')
   AND prosrc LIKE '%:%' ORDER BY p.oid::regprocedure::text;
SELECT encode(sha256('abc'), 'hex') = encode(comp.sha256('abc'), 'hex') AS sha256_agrees,
       round(public.haversine(48.8566, 2.3522, 51.5074, -0.1278)::numeric, 3) AS paris_london,
       comp_typed.signed(7), comp_typed.flag(true), comp_typed.unsigned(4000000000::oid),
       comp_typed.total(ARRAY[1, 2, 2147483647]), comp_typed.maybe(41), comp_typed.maybe(NULL);
CREATE FUNCTION lev2(a text, b text) RETURNS int STRICT LANGUAGE wasm AS 'lev:levenshtein';
SELECT lev2('flaw', 'lawn');
-- Creating them again collides with the functions that exist.
SELECT slackfuel_create_functions('crypto');
-- A core module has no WIT types to create functions from.
SELECT slackfuel_install_module('core', '(module (func (export "f") (result i32) i32.const 1))');
SELECT slackfuel_create_functions('core');
SELECT slackfuel_create_functions('missing');

-- Replacing a component with one whose WIT type differs is refused.
SELECT slackfuel_install_module('lev', :'types', true);

SET client_min_messages = warning;
DROP SCHEMA comp, comp_typed CASCADE;
DROP FUNCTION public.haversine(double precision, double precision, double precision, double precision);
RESET client_min_messages;
SELECT slackfuel_drop_module(name) FROM slackfuel.modules ORDER BY name;
