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
-- Texts of 5 MB: growing memory for them (about 1M fuel a 64 KiB page)
-- takes more than the default fuel limit.
SET slackfuel.fuel_limit = '1G';
SELECT length(sdk_c.echo(repeat('x', 5000000))) AS five_mb,
       length(sdk_cw.concat(repeat('y', 3000000), repeat('z', 2000000))) AS five_mb_too;
RESET slackfuel.fuel_limit;
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
 WHERE length(sdk_c.concat(repeat('a', 500 + g % 1), sdk_c.echo(repeat('b', 500 + g % 1)))) = 1000
   AND sdk_c.byte_sum(decode(repeat('01', 1000 + g % 1), 'hex')) = 1000;
SELECT count(*) FROM generate_series(1, 100000) g
 WHERE length(sdk_cw.concat(repeat('a', 500 + g % 1), sdk_cw.echo(repeat('b', 500 + g % 1)))) = 1000
   AND sdk_cw.byte_sum(decode(repeat('01', 1000 + g % 1), 'hex')) = 1000;
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
SET slackfuel.fuel_limit = '1G';
SELECT sdk_c.hoard(100) BETWEEN 4 AND 8 AS stopped, sdk_cw.hoard(100) BETWEEN 4 AND 8 AS stopped_too;
RESET slackfuel.fuel_limit;
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
 WHERE length(sdk_c.concat2(repeat('a', 500 + g % 1), repeat('b', 500 + g % 1))) = 1000;
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
SELECT count(*) FROM generate_series(1, 20000) g WHERE sdk_c.queried(20 + g % 1) = '210 xxxxxxxxxxxxxxxxxxxx';
RESET slackfuel.max_memory;
-- Lists (arrays, and a set), options (functions that are not STRICT) and
-- triggers through SF_EXPORT; their buffers belong to the call too.
CREATE FUNCTION sdk_c.sum_i32(int[]) RETURNS bigint STRICT LANGUAGE wasm AS :'free';
CREATE FUNCTION sdk_c.scaled(float8[], float8) RETURNS float8[] STRICT LANGUAGE wasm AS :'free';
CREATE FUNCTION sdk_c.count_true(bool[]) RETURNS int STRICT LANGUAGE wasm AS :'free';
CREATE FUNCTION sdk_c.widths(bytea[]) RETURNS bigint[] STRICT LANGUAGE wasm AS :'free';
CREATE FUNCTION sdk_c.joined(text[], text) RETURNS text STRICT LANGUAGE wasm AS :'free';
CREATE FUNCTION sdk_c.words(text) RETURNS text[] STRICT LANGUAGE wasm AS :'free';
CREATE FUNCTION sdk_c.first_of(int, int) RETURNS int LANGUAGE wasm AS :'free';
CREATE FUNCTION sdk_c.halved(float8) RETURNS float8 LANGUAGE wasm AS :'free';
CREATE FUNCTION sdk_c.shout(text) RETURNS text LANGUAGE wasm AS :'free';
CREATE FUNCTION sdk_c.size_of(bytea) RETURNS bigint LANGUAGE wasm AS :'free';
CREATE FUNCTION sdk_c.stamp() RETURNS trigger LANGUAGE wasm AS :'free';
CREATE FUNCTION sdk_cw.joined(text[], text) RETURNS text STRICT LANGUAGE wasm AS :'wasi';
CREATE FUNCTION sdk_cw.widths(bytea[]) RETURNS bigint[] STRICT LANGUAGE wasm AS :'wasi';
CREATE FUNCTION sdk_cw.shout(text) RETURNS text LANGUAGE wasm AS :'wasi';
SELECT slackfuel_install_module('sdk_c_sets', :'free');
CREATE FUNCTION sdk_c.word_rows(text) RETURNS SETOF text STRICT LANGUAGE wasm
  AS 'sdk_c_sets:words';
SELECT sdk_c.sum_i32(ARRAY[1, 2, 2147483647]), sdk_c.sum_i32('{}'),
       sdk_c.scaled('{1.5,-2}', 2), sdk_c.scaled('{}', 2),
       sdk_c.count_true('{t,f,t,t}'),
       sdk_c.widths(ARRAY['\x0102'::bytea, '', 'abc']), sdk_cw.widths('{}');
SELECT sdk_c.joined(ARRAY['a', 'bé', '', 'c'], ', '), sdk_c.joined('{}', ','),
       sdk_cw.joined(ARRAY['x', 'y'], ' + '),
       sdk_c.words('  to be  or not '), sdk_c.words('');
SELECT * FROM sdk_c.word_rows('one two  three') WITH ORDINALITY;
SELECT sdk_c.first_of(NULL, 2), sdk_c.first_of(1, NULL), sdk_c.first_of(NULL, NULL),
       sdk_c.halved(3), sdk_c.halved(NULL), sdk_c.size_of('\x0102'), sdk_c.size_of(NULL);
SELECT sdk_c.shout('abc'), sdk_c.shout('') IS NULL AS empty, sdk_c.shout(NULL) IS NULL AS null,
       sdk_cw.shout('wasi');
SET slackfuel.max_memory = '1MB';
SELECT count(*) FROM generate_series(1, 50000) g
 WHERE sdk_c.joined(ARRAY[repeat('a', 100 + g % 1), repeat('b', 100 + g % 1)], '-') IS NOT NULL
   AND sdk_c.shout(repeat('c', 200 + g % 1)) IS NOT NULL
   AND sdk_c.widths(ARRAY[decode(repeat('00', 100 + g % 1), 'hex')]) = '{100}'
   AND sdk_cw.joined(ARRAY[repeat('a', 100 + g % 1), repeat('b', 100 + g % 1)], '-') IS NOT NULL;
RESET slackfuel.max_memory;
CREATE TABLE sdk_c.notes (id int, note text);
CREATE TRIGGER a_stamp BEFORE INSERT OR UPDATE ON sdk_c.notes
  FOR EACH ROW EXECUTE FUNCTION sdk_c.stamp();
CREATE TRIGGER b_skip BEFORE DELETE ON sdk_c.notes
  FOR EACH ROW EXECUTE FUNCTION sdk_c.stamp('skip');
INSERT INTO sdk_c.notes VALUES (1, 'x'), (2, NULL);
UPDATE sdk_c.notes SET id = 3 WHERE id = 2;
DELETE FROM sdk_c.notes;
SELECT * FROM sdk_c.notes ORDER BY id;
SET slackfuel.max_memory = '1MB';
INSERT INTO sdk_c.notes SELECT g, repeat('n', 100) FROM generate_series(10, 20009) g;
RESET slackfuel.max_memory;
SELECT count(*), count(*) FILTER (WHERE note = 'a_stamp insert on sdk_c.notes') FROM sdk_c.notes;
DROP FUNCTION sdk_c.word_rows(text);
SELECT slackfuel_drop_module('sdk_c_sets');

SET client_min_messages = warning;
DROP SCHEMA sdk_c, sdk_cw CASCADE;
RESET client_min_messages;
