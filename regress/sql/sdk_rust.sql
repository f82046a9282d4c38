-- The Rust guest SDK (sdk/rust, slackfuel::export!): its test guest
-- (sdk/rust/tests/guest) built for wasm32-unknown-unknown.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
RESET client_min_messages;
\set m '\\x' `od -An -v -tx1 build/examples/sdk/rust.wasm | tr -d ' \n'`
CREATE SCHEMA sdk_rust;
SET search_path = sdk_rust, public;
CREATE FUNCTION not_b(bool) RETURNS bool STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION neg16(int2) RETURNS int2 STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION mix(int, bigint, real, float8, bool) RETURNS bigint STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION halve(float8) RETURNS float8 STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION twice(real) RETURNS real STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION echo(text) RETURNS text STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION slice(text, int, int) RETURNS text STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION shout(text) RETURNS text STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION concat(text, text) RETURNS text STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION greeting() RETURNS text LANGUAGE wasm AS :'m';
CREATE FUNCTION reversed(bytea) RETURNS bytea STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION byte_sum(bytea) RETURNS int STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION boxed(text) RETURNS text STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION char_count(text) RETURNS int STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION remember(text) RETURNS bigint STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION recall() RETURNS text LANGUAGE wasm AS :'m';
CREATE FUNCTION checked_div(int, int) RETURNS int STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION parse_int(text) RETURNS text STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION boom(text) RETURNS int STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION hoard(int) RETURNS int STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION nothing() RETURNS void LANGUAGE wasm AS :'m';
-- A bytea passed where the Rust function takes &str: not valid UTF-8.
CREATE FUNCTION char_count(bytea) RETURNS int STRICT LANGUAGE wasm AS :'m';

-- Scalars: bool, i16, i32, i64, f32, f64.
SELECT not_b(false), neg16(-32767::int2), mix(1, 10000000000, 1.5, 0.25, true),
       halve(-3), twice(1.25), nothing();

-- &str, String, &[u8], Vec<u8>, Box<str>, &'static str.
SELECT echo('grüße, 世界'), echo(''), slice('abcdef', 1, 4), shout('hey'),
       concat('foo', 'bär'), greeting(), boxed('ab'), char_count('grüße, 世界');
SELECT reversed('\x0001ff'), reversed(''), byte_sum('\xffff00');
SELECT length(echo(repeat('x', 5000000))) AS five_mb, length(shout(repeat('y', 1000000))) AS one_mb_plus_one;

-- Buffers are freed when the call ends: 100,000 calls with 1 kB values
-- run within 2 MB of linear memory (1 MB of it the stack), where
-- a leak of 100 MB would trap.
SET slackfuel.max_memory = '2MB';
SELECT count(*) FROM generate_series(1, 100000) g
 WHERE length(concat(repeat('a', 500 + g % 1), echo(repeat('b', 500 + g % 1)))) = 1000
   AND length(shout(repeat('c', 1000 + g % 1))) = 1001
   AND byte_sum(decode(repeat('01', 1000 + g % 1), 'hex')) = 1000;
RESET slackfuel.max_memory;

-- State kept between calls of one function (each SQL function has its own
-- instance).
SELECT remember('first'), remember('second'), recall() AS other_instance;

-- Err(e) and panics end the call with an error; the next call runs in a
-- fresh instance; the ERROR carries the message (slackfuel::host::raise).
\set VERBOSITY terse
SELECT checked_div(7, 2), parse_int(' 21 ');
SELECT checked_div(1, 0);
SELECT parse_int('twelve');
SELECT boom('now');
SELECT char_count('\xff'::bytea);
SELECT slice('abc', 2, 9);
\set VERBOSITY default
SELECT checked_div(9, 3), echo('fine again');

-- Out of memory in Rust's allocator aborts: a trap, bounded by
-- slackfuel.max_memory.
SET slackfuel.max_memory = '8MB';
SET slackfuel.fuel_limit = '1G';	-- growing to 8 MB costs about 128M
\set VERBOSITY terse
SELECT hoard(100);
\set VERBOSITY default
SELECT hoard(2);
RESET slackfuel.fuel_limit;
RESET slackfuel.max_memory;
RESET search_path;

-- As a named module the functions share one instance per role.
SELECT slackfuel_install_module('sdk_rust', :'m');
CREATE FUNCTION remember2(text) RETURNS bigint STRICT LANGUAGE wasm AS 'sdk_rust:remember';
CREATE FUNCTION recall2() RETURNS text LANGUAGE wasm AS 'sdk_rust:recall';
SELECT remember2('kept'), recall2(), remember2('again'), recall2();
DROP FUNCTION remember2(text), recall2();
SELECT slackfuel_drop_module('sdk_rust');

-- Lists (arrays, sets), options (NULL in functions that are not STRICT)
-- and triggers.
SELECT slackfuel_install_module('sdk_rust_more', :'m');
CREATE FUNCTION words(text) RETURNS SETOF text STRICT LANGUAGE wasm AS 'sdk_rust_more:words';
CREATE FUNCTION shout_all(text[]) RETURNS text[] STRICT LANGUAGE wasm AS 'sdk_rust_more:shout_all';
CREATE FUNCTION sum_ints(int[]) RETURNS bigint STRICT LANGUAGE wasm AS 'sdk_rust_more:sum_ints';
CREATE FUNCTION doubled(float8[]) RETURNS float8[] STRICT LANGUAGE wasm AS 'sdk_rust_more:doubled';
CREATE FUNCTION squares(int) RETURNS SETOF bigint STRICT LANGUAGE wasm AS 'sdk_rust_more:squares';
CREATE FUNCTION maybe_len(text) RETURNS int LANGUAGE wasm AS 'sdk_rust_more:maybe_len';
CREATE FUNCTION maybe_greet(text, bigint) RETURNS text LANGUAGE wasm AS 'sdk_rust_more:maybe_greet';
CREATE FUNCTION maybe_half(float8) RETURNS float8 LANGUAGE wasm AS 'sdk_rust_more:maybe_half';
CREATE FUNCTION audit() RETURNS trigger LANGUAGE wasm AS 'sdk_rust_more:audit';
SELECT * FROM words('  the quick  brown fox ');
SELECT shout_all(ARRAY['a', 'bé', '']), shout_all('{}'), sum_ints(ARRAY[1, 2, 3, 2147483647]),
       sum_ints('{}'), doubled(ARRAY[1.5, -2, 0]);
SELECT array_agg(s) FROM squares(5) s;
SELECT maybe_len('héllo'), maybe_len(NULL), maybe_greet('hi', NULL), maybe_greet(NULL, 3),
       maybe_greet('x', 3), maybe_half(5), maybe_half(NULL);
CREATE TABLE audited (id int, note text);
CREATE TRIGGER stamp BEFORE INSERT ON audited FOR EACH ROW EXECUTE FUNCTION audit('stamp', 'x');
CREATE TRIGGER protect BEFORE DELETE ON audited FOR EACH ROW EXECUTE FUNCTION audit('protect');
INSERT INTO audited VALUES (1, 'orig'), (2, NULL);
DELETE FROM audited WHERE id = 1;
SELECT * FROM audited ORDER BY id;
-- Lists, options and trigger data are freed too: 20,000 calls in 2 MB.
SET slackfuel.max_memory = '2MB';
SELECT count(*) FROM generate_series(1, 20000) g,
  LATERAL (SELECT count(*) FROM words(repeat('ab cd ', 50))) w
 WHERE array_length(shout_all(ARRAY[repeat('x', 100), 'y']), 1) = 2
   AND maybe_greet(repeat('z', 500), g) IS NOT NULL AND sum_ints(ARRAY[g, g]) = 2 * g;
INSERT INTO audited SELECT g, repeat('n', 300) FROM generate_series(3, 20002) g;
SELECT count(*) FROM audited;
RESET slackfuel.max_memory;
DROP TABLE audited;
DROP FUNCTION words(text), shout_all(text[]), sum_ints(int[]), doubled(float8[]), squares(int),
  maybe_len(text), maybe_greet(text, bigint), maybe_half(float8), audit();
SELECT slackfuel_drop_module('sdk_rust_more');

-- The host interface: log, raise, read-only SQL.
SELECT slackfuel_install_module('sdk_rust_host', :'m');
CREATE FUNCTION talk(text) RETURNS int STRICT LANGUAGE wasm AS 'sdk_rust_host:talk';
CREATE FUNCTION fail_with(text, text) RETURNS int STRICT LANGUAGE wasm AS 'sdk_rust_host:fail_with';
CREATE FUNCTION table_sizes(text) RETURNS SETOF text STRICT STABLE LANGUAGE wasm AS 'sdk_rust_host:table_sizes';
SELECT talk('a warning from Rust');
SELECT fail_with('22023', 'bad value');
SELECT fail_with('', 'plain');
SELECT * FROM table_sizes('pg_ts_');
DROP FUNCTION talk(text), fail_with(text, text), table_sizes(text);
SELECT slackfuel_drop_module('sdk_rust_host');
SET client_min_messages = warning;
DROP SCHEMA sdk_rust CASCADE;
RESET client_min_messages;
