-- The AssemblyScript guest SDK (sdk/assemblyscript): its test guest
-- (sdk/assemblyscript/tests/guest.ts).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
RESET client_min_messages;
\set m '\\x' `od -An -v -tx1 build/examples/sdk/assemblyscript.wasm | tr -d ' \n'`
CREATE SCHEMA sdk_as;
SET search_path = sdk_as, public;
CREATE FUNCTION not_b(bool) RETURNS bool STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION neg16(int2) RETURNS int2 STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION mix(int, bigint, real, float8, bool) RETURNS bigint STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION halve(float8) RETURNS float8 STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION twice(real) RETURNS real STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION echo(text) RETURNS text STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION concat(text, text) RETURNS text STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION char_count(text) RETURNS int STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION reversed(bytea) RETURNS bytea STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION byte_sum(bytea) RETURNS int STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION remember(text) RETURNS bigint STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION recall() RETURNS text LANGUAGE wasm AS :'m';
CREATE FUNCTION checked(int) RETURNS int STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION at(int) RETURNS int STRICT LANGUAGE wasm AS :'m';

-- Scalars: bool, i16, i32, i64, f32, f64.
SELECT not_b(false), neg16(-32767::int2), mix(1, 10000000000, 1.5, 0.25, true),
       halve(-3), twice(1.25);

-- text crosses as UTF-8 (AssemblyScript strings are UTF-16 inside), bytea
-- as bytes; empty values too.
SELECT echo('grüße, 世界 🐘'), echo(''), concat('foo', 'bär'), char_count('grüße, 世界 🐘');
SELECT reversed('\x0001ff'), reversed(''), byte_sum('\xffff00');
SELECT length(echo(repeat('x', 500000))) AS half_mb;

-- Argument buffers are freed as they are read and results after the host
-- copied them; the garbage collector frees the strings: 100,000 calls
-- with 1 kB values run within 1 MB of linear memory.
SET slackfuel.max_memory = '1MB';
SELECT count(*) FROM generate_series(1, 100000) g
 WHERE length(concat(repeat('a', 500 + g % 1), echo(repeat('b', 500 + g % 1)))) = 1000
   AND byte_sum(decode(repeat('01', 1000 + g % 1), 'hex')) = 1000;
RESET slackfuel.max_memory;

-- Globals keep their values between calls of one function.
SELECT remember('first'), remember('second'), recall() AS other_instance;

-- A failed assertion or an index out of range ends the call (abort traps).
\set VERBOSITY terse
SELECT checked(21), at(3);
SELECT checked(-1);
SELECT at(4);
\set VERBOSITY default
SELECT checked(1);
RESET search_path;

-- As a named module the functions share one instance per role.
SELECT slackfuel_install_module('sdk_as', :'m');
CREATE FUNCTION sdk_as.remember2(text) RETURNS bigint STRICT LANGUAGE wasm AS 'sdk_as:remember';
CREATE FUNCTION sdk_as.recall2() RETURNS text LANGUAGE wasm AS 'sdk_as:recall';
SELECT sdk_as.remember2('kept'), sdk_as.recall2(), sdk_as.remember2('again'), sdk_as.recall2();
DROP FUNCTION sdk_as.remember2(text), sdk_as.recall2();
SELECT slackfuel_drop_module('sdk_as');

-- The host interface: log, raise; abort (assert, throw) carries its message.
SET search_path = sdk_as, public;
CREATE FUNCTION talk(text) RETURNS int STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION fail_with(int) RETURNS int STRICT LANGUAGE wasm AS :'m';
SELECT talk('a warning from AssemblyScript');
SELECT fail_with(1);
SELECT fail_with(2);
SELECT checked(-1);
SELECT fail_with(0);

-- Read-only SQL through query(): parameters and rows as Values, every
-- kind; the host's row buffers are freed (20,000 calls within 1 MB).
CREATE FUNCTION queried(int) RETURNS text STRICT STABLE LANGUAGE wasm AS :'m';
CREATE FUNCTION kinds() RETURNS text STABLE LANGUAGE wasm AS :'m';
CREATE FUNCTION misread() RETURNS int STABLE LANGUAGE wasm AS :'m';
SELECT queried(10), queried(0);
SELECT kinds();
SELECT misread();
SET slackfuel.max_memory = '1MB';
SELECT count(*) FROM generate_series(1, 20000) g WHERE queried(20 + g % 1) = '210 xxxxxxxxxxxxxxxxxxxx';
RESET slackfuel.max_memory;
RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA sdk_as CASCADE;
RESET client_min_messages;
