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

-- The exports above and below are plain functions over string,
-- Uint8Array, arrays and nullable types; the SDK's transform generated
-- their canonical-ABI wrappers.  Without it, echo(s: string): string
-- would be exported as (i32) -> i32 (a managed string's address) and
-- CREATE FUNCTION echo(text) would be refused.
-- Arrays: lists of numbers, strings and bytes, as arguments, results and
-- sets returned at once.
CREATE FUNCTION total_of(int[]) RETURNS bigint STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION scaled(float8[], float8) RETURNS float8[] STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION flags(bool[]) RETURNS bool[] STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION shorts(int2[], int2) RETURNS int2[] STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION longs(int) RETURNS SETOF bigint STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION words(text) RETURNS SETOF text STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION joined(text[], text) RETURNS text STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION byte_lengths(bytea[]) RETURNS int[] STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION halves(bytea) RETURNS bytea[] STRICT LANGUAGE wasm AS :'m';
SELECT total_of('{1,2,3,-4}'), total_of('{}'), scaled('{1.5,-2}', 2), flags('{t,f,f}'),
       shorts('{1,-2,32000}', 7::int2);
SELECT * FROM longs(3);
SELECT * FROM words('grüße aus 世界');
SELECT count(*) FROM words('');
SELECT joined('{a,bär,"",c}', '/'), byte_lengths('{"\\x01","","\\x0203"}'), halves('\x01020304ff');
-- Nullable types are option<T> in functions that are not STRICT.
CREATE FUNCTION or_default(text, text) RETURNS text LANGUAGE wasm AS :'m';
CREATE FUNCTION shout_or_null(text) RETURNS text LANGUAGE wasm AS :'m';
CREATE FUNCTION bytes_or_null(bytea) RETURNS bytea LANGUAGE wasm AS :'m';
CREATE FUNCTION count_or_null(int[]) RETURNS int[] LANGUAGE wasm AS :'m';
SELECT or_default('a', 'b'), or_default(NULL, 'b'), or_default(NULL, NULL) IS NULL AS both_null,
       shout_or_null('hey'), shout_or_null('') IS NULL AS empty, shout_or_null(NULL) IS NULL AS null_in;
SELECT bytes_or_null(NULL), bytes_or_null('') IS NULL AS empty, bytes_or_null('\xabcd'),
       count_or_null('{5,6}'), count_or_null(NULL) IS NULL AS null_in;
-- Twelve arguments flatten to 19 values, six options to 18: the wrappers
-- read them from a tuple in memory.
CREATE FUNCTION many(text, int, text, bigint, bytea, float8, text, bool, text, int2, real, text)
  RETURNS text STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION first_of(text, text, text, text, text, text) RETURNS text LANGUAGE wasm AS :'m';
SELECT many('a', 1, 'b', 2, '\x0102', 0.5, 'c', true, 'ü', 3::int2, 1.5, 'z'),
       many('', -1, '', -2, '', 0, '', false, '', 0::int2, 0, '');
SELECT first_of(NULL, NULL, 'c', 'd', NULL, 'f'), first_of(NULL, NULL, NULL, NULL, NULL, 'f'),
       first_of(NULL, NULL, NULL, NULL, NULL, NULL) IS NULL AS all_null;
-- Numbers that may be NULL are Box<T> | null in AssemblyScript: option<T>
-- with the number in the flat values, in a tuple, and in the return area.
CREATE FUNCTION add_or_null(int, int) RETURNS int LANGUAGE wasm AS :'m';
CREATE FUNCTION opt_kinds(bool, int2, bigint, real, float8, text) RETURNS text LANGUAGE wasm AS :'m';
CREATE FUNCTION negated(bool) RETURNS bool LANGUAGE wasm AS :'m';
CREATE FUNCTION shifted(int2) RETURNS int2 LANGUAGE wasm AS :'m';
CREATE FUNCTION sum_opts(bool, int2, int, bigint, real, float8, int, bigint, int2) RETURNS float8
  LANGUAGE wasm AS :'m';
SELECT add_or_null(2, 3), add_or_null(NULL, 3) IS NULL AS n1, add_or_null(2, NULL) IS NULL AS n2;
SELECT opt_kinds(true, -7::int2, 1099511627776, 1.5, -0.25, 'x'), opt_kinds(NULL, NULL, NULL, NULL, NULL, NULL);
SELECT negated(true), negated(false), negated(NULL) IS NULL AS n,
       shifted(-32767::int2), shifted(NULL) IS NULL AS n2;
SELECT sum_opts(true, 2::int2, 3, 4, 0.5, 0.25, 5, 6, -1::int2),
       sum_opts(NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 7::int2),
       sum_opts(NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL) IS NULL AS all_null;
-- An export in the raw style (ptr, len) is left as written.
CREATE FUNCTION raw_echo(text) RETURNS text STRICT LANGUAGE wasm AS :'m';
SELECT raw_echo('grüße'), raw_echo('');
-- Every buffer is freed: 20,000 calls of each within 1 MB.
SET slackfuel.max_memory = '1MB';
SELECT count(*) FROM generate_series(1, 20000) g
 WHERE total_of(array_fill(2, ARRAY[300 + g % 1])) = 600
   AND joined(string_to_array(repeat('ab ', 100 + g % 1), ' '), '') = repeat('ab', 100)
   AND array_length(byte_lengths(ARRAY[decode(repeat('01', 200 + g % 1), 'hex'), '\x']), 1) = 2
   AND length(or_default(NULL, repeat('q', 400 + g % 1))) = 400
   AND length(first_of(NULL, repeat('r', 200 + g % 1), 'x', NULL, 'y', NULL)) = 200
   AND sum_opts(NULL, NULL, g, NULL, NULL, NULL, NULL, NULL, NULL) = g
   AND length(raw_echo(repeat('s', 300 + g % 1))) = 304
   AND length(many(repeat('a', 100 + g % 1), 1, 'b', 2, '\x01', 0.5, 'c', true, 'd', 3::int2, 1.5, 'e')) > 100;
SELECT count(*) FROM generate_series(1, 2000) g, words(repeat('word ', 50 + g % 1)) w;
RESET slackfuel.max_memory;
RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA sdk_as CASCADE;
RESET client_min_messages;
