-- The C guest SDK (sdk/c/slackfuel.h): its test guest (sdk/c/tests/guest.c)
-- built freestanding (schema sdk_c, the SDK's allocator) and against
-- wasi-libc (schema sdk_cw, malloc); both must behave the same.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
RESET client_min_messages;
\set free '\\x' `od -An -v -tx1 build/examples/sdk/c-freestanding.wasm | tr -d ' \n'`
\set wasi '\\x' `od -An -v -tx1 build/examples/sdk/c-wasi.wasm | tr -d ' \n'`
CREATE SCHEMA sdk_c;
CREATE SCHEMA sdk_cw;
CREATE FUNCTION sdk_c.not_b(bool) RETURNS bool STRICT LANGUAGE wasm AS :'free';
CREATE FUNCTION sdk_c.neg16(int2) RETURNS int2 STRICT LANGUAGE wasm AS :'free';
CREATE FUNCTION sdk_c.mix(int, bigint, real, float8, bool) RETURNS bigint STRICT LANGUAGE wasm AS :'free';
CREATE FUNCTION sdk_c.halve(float8) RETURNS float8 STRICT LANGUAGE wasm AS :'free';
CREATE FUNCTION sdk_c.twice(real) RETURNS real STRICT LANGUAGE wasm AS :'free';
CREATE FUNCTION sdk_c.echo(text) RETURNS text STRICT LANGUAGE wasm AS :'free';
CREATE FUNCTION sdk_c.slice(text, int, int) RETURNS text STRICT LANGUAGE wasm AS :'free';
CREATE FUNCTION sdk_c.concat(text, text) RETURNS text STRICT LANGUAGE wasm AS :'free';
CREATE FUNCTION sdk_c.greeting() RETURNS text LANGUAGE wasm AS :'free';
CREATE FUNCTION sdk_c.reversed(bytea) RETURNS bytea STRICT LANGUAGE wasm AS :'free';
CREATE FUNCTION sdk_c.byte_sum(bytea) RETURNS int STRICT LANGUAGE wasm AS :'free';
CREATE FUNCTION sdk_c.remember(text) RETURNS bigint STRICT LANGUAGE wasm AS :'free';
CREATE FUNCTION sdk_c.recall() RETURNS text LANGUAGE wasm AS :'free';
CREATE FUNCTION sdk_c.churn(int) RETURNS int STRICT LANGUAGE wasm AS :'free';
CREATE FUNCTION sdk_c.double_free() RETURNS int LANGUAGE wasm AS :'free';
CREATE FUNCTION sdk_c.hoard(int) RETURNS int STRICT LANGUAGE wasm AS :'free';
CREATE FUNCTION sdk_c.nothing() RETURNS void LANGUAGE wasm AS :'free';
CREATE FUNCTION sdk_cw.not_b(bool) RETURNS bool STRICT LANGUAGE wasm AS :'wasi';
CREATE FUNCTION sdk_cw.neg16(int2) RETURNS int2 STRICT LANGUAGE wasm AS :'wasi';
CREATE FUNCTION sdk_cw.mix(int, bigint, real, float8, bool) RETURNS bigint STRICT LANGUAGE wasm AS :'wasi';
CREATE FUNCTION sdk_cw.halve(float8) RETURNS float8 STRICT LANGUAGE wasm AS :'wasi';
CREATE FUNCTION sdk_cw.twice(real) RETURNS real STRICT LANGUAGE wasm AS :'wasi';
CREATE FUNCTION sdk_cw.echo(text) RETURNS text STRICT LANGUAGE wasm AS :'wasi';
CREATE FUNCTION sdk_cw.slice(text, int, int) RETURNS text STRICT LANGUAGE wasm AS :'wasi';
CREATE FUNCTION sdk_cw.concat(text, text) RETURNS text STRICT LANGUAGE wasm AS :'wasi';
CREATE FUNCTION sdk_cw.greeting() RETURNS text LANGUAGE wasm AS :'wasi';
CREATE FUNCTION sdk_cw.reversed(bytea) RETURNS bytea STRICT LANGUAGE wasm AS :'wasi';
CREATE FUNCTION sdk_cw.byte_sum(bytea) RETURNS int STRICT LANGUAGE wasm AS :'wasi';
CREATE FUNCTION sdk_cw.remember(text) RETURNS bigint STRICT LANGUAGE wasm AS :'wasi';
CREATE FUNCTION sdk_cw.recall() RETURNS text LANGUAGE wasm AS :'wasi';
CREATE FUNCTION sdk_cw.churn(int) RETURNS int STRICT LANGUAGE wasm AS :'wasi';
CREATE FUNCTION sdk_cw.hoard(int) RETURNS int STRICT LANGUAGE wasm AS :'wasi';
CREATE FUNCTION sdk_cw.nothing() RETURNS void LANGUAGE wasm AS :'wasi';

-- Scalars: bool, smallint, integer, bigint, real, double precision.
SELECT sdk_c.not_b(true), sdk_c.neg16(-32767::int2), sdk_c.mix(1, 10000000000, 1.5, 0.25, true),
       sdk_c.halve(-3), sdk_c.twice(1.25), sdk_c.nothing();
SELECT sdk_cw.not_b(true), sdk_cw.neg16(-32767::int2), sdk_cw.mix(1, 10000000000, 1.5, 0.25, true),
       sdk_cw.halve(-3), sdk_cw.twice(1.25), sdk_cw.nothing();

-- text and bytea: views of arguments, new strings, literals; empty values,
-- multibyte text and NUL bytes cross intact.
SELECT sdk_c.echo('grüße, 世界'), sdk_c.echo(''), sdk_c.slice('abcdef', 1, 4),
       sdk_c.concat('foo', 'bär'), sdk_c.concat('', ''), sdk_c.greeting();
SELECT sdk_cw.echo('grüße, 世界'), sdk_cw.echo(''), sdk_cw.slice('abcdef', 1, 4),
       sdk_cw.concat('foo', 'bär'), sdk_cw.concat('', ''), sdk_cw.greeting();
SELECT sdk_c.reversed('\x0001ff'), sdk_c.reversed(''), sdk_c.byte_sum('\xffff00'),
       sdk_cw.reversed('\x0001ff'), sdk_cw.reversed(''), sdk_cw.byte_sum('\xffff00');
SELECT length(sdk_c.echo(repeat('x', 5000000))) AS five_mb,
       length(sdk_cw.concat(repeat('y', 3000000), repeat('z', 2000000))) AS five_mb_too;
-- slice past the end traps (sf_trap); the instance is replaced.
\set VERBOSITY terse
SELECT sdk_c.slice('abc', 2, 9);
\set VERBOSITY default
SELECT sdk_c.slice('abc', 0, 1);

-- Argument buffers and the call's own strings are freed when the call
-- ends: 100,000 calls with 1 kB values run within 1 MB of linear memory,
-- where a leak of 100 MB would trap.
SET slackfuel.max_memory = '1MB';
SELECT count(*) FROM generate_series(1, 100000) g
 WHERE length(sdk_c.concat(repeat('a', 500), sdk_c.echo(repeat('b', 500)))) = 1000
   AND sdk_c.byte_sum(decode(repeat('01', 1000), 'hex')) = 1000;
SELECT count(*) FROM generate_series(1, 100000) g
 WHERE length(sdk_cw.concat(repeat('a', 500), sdk_cw.echo(repeat('b', 500)))) = 1000
   AND sdk_cw.byte_sum(decode(repeat('01', 1000), 'hex')) = 1000;
RESET slackfuel.max_memory;

-- The allocator under churn: every block intact, and a second run within
-- the memory of the first (-1 if it grew).
SELECT sdk_c.churn(500), sdk_cw.churn(500);

-- State kept between calls: a global and memory from sf_alloc.  Each SQL
-- function has an instance of its own, so recall() does not see what
-- remember() kept.
SELECT sdk_c.remember('first'), sdk_c.remember('second'), sdk_c.recall() AS other_instance;
SELECT sdk_cw.remember('wasi'), sdk_cw.remember('libc');

-- A double free is caught by the freestanding allocator: a trap, not a
-- corrupted heap.
\set VERBOSITY terse
SELECT sdk_c.double_free();
\set VERBOSITY default
SELECT sdk_c.echo('still fine');

-- Out of memory: sf_alloc returns NULL under slackfuel.max_memory; both
-- allocators stop at about the same place.
SET slackfuel.max_memory = '8MB';
SELECT sdk_c.hoard(100) BETWEEN 4 AND 8 AS stopped, sdk_cw.hoard(100) BETWEEN 4 AND 8 AS stopped_too;
RESET slackfuel.max_memory;

-- As a named module the functions share one instance per role: recall()
-- sees what remember() kept.
SELECT slackfuel_install_module('sdk_c', :'free');
CREATE FUNCTION sdk_c.remember2(text) RETURNS bigint STRICT LANGUAGE wasm AS 'sdk_c:remember';
CREATE FUNCTION sdk_c.recall2() RETURNS text LANGUAGE wasm AS 'sdk_c:recall';
CREATE FUNCTION sdk_c.concat2(text, text) RETURNS text STRICT LANGUAGE wasm AS 'sdk_c:concat';
SELECT sdk_c.remember2('kept'), sdk_c.recall2(), sdk_c.remember2('again'), sdk_c.recall2();
SELECT sdk_c.concat2('a', 'b');
SELECT sdk_c.remember2(repeat('m', 1000)) AS total;
SELECT count(*) FROM generate_series(1, 20000) g
 WHERE length(sdk_c.concat2(repeat('a', 500), repeat('b', 500))) = 1000;
SELECT length(sdk_c.recall2()) AS still_kept;
DROP FUNCTION sdk_c.remember2(text), sdk_c.recall2(), sdk_c.concat2(text, text);
SELECT slackfuel_drop_module('sdk_c');

-- The host interface: log and notice, raise, read-only SQL; the rows a
-- query returns belong to the call (20,000 calls within 1 MB).
CREATE FUNCTION sdk_c.talk(int) RETURNS int STRICT LANGUAGE wasm AS :'free';
CREATE FUNCTION sdk_c.fail_with(int) RETURNS int STRICT LANGUAGE wasm AS :'free';
CREATE FUNCTION sdk_c.queried(int) RETURNS text STRICT STABLE LANGUAGE wasm AS :'free';
CREATE FUNCTION sdk_cw.queried(int) RETURNS text STRICT STABLE LANGUAGE wasm AS :'wasi';
SELECT sdk_c.talk(8) AS warning_level;
SELECT sdk_c.talk(0) AS debug5_not_shown;
SELECT sdk_c.fail_with(1);
SELECT sdk_c.fail_with(2);
SELECT sdk_c.fail_with(3);
SELECT sdk_c.fail_with(0);
SELECT sdk_c.queried(10), sdk_cw.queried(5), sdk_c.queried(0);
SET slackfuel.max_memory = '1MB';
SELECT count(*) FROM generate_series(1, 20000) g WHERE sdk_c.queried(20) = '210 xxxxxxxxxxxxxxxxxxxx';
RESET slackfuel.max_memory;
SET client_min_messages = warning;
DROP SCHEMA sdk_c, sdk_cw CASCADE;
RESET client_min_messages;
