-- Every common SQL type on the canonical ABI (docs/types.md): text forms
-- (numeric, json, jsonb, char(n), name), uuid, dates and times from the
-- Unix epoch, interval, oid and regclass, enums, domains, VARIADIC, and
-- procedures with OUT and INOUT parameters.  The guest is C
-- (regress/guests/sqltypes.c).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
RESET client_min_messages;
\set m '\\x' `od -An -v -tx1 build/guests/sqltypes.wasm | tr -d ' \n'`

-- numeric: its decimal text, both ways; the result is checked by numeric's input.
CREATE FUNCTION num_echo(numeric) RETURNS numeric STRICT LANGUAGE wasm AS :'m';
SELECT num_echo(12.50), num_echo(-0.000001), num_echo('NaN'), num_echo('-Infinity'),
       num_echo(123456789012345678901234567890.123456789);
CREATE FUNCTION num_bad() RETURNS numeric LANGUAGE wasm AS :'m';
SELECT num_bad();

-- json as written; jsonb normalised by its input on the way back.
CREATE FUNCTION json_echo(json) RETURNS json STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION jsonb_echo(jsonb) RETURNS jsonb STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION jsonb_len(jsonb) RETURNS int STRICT LANGUAGE wasm AS :'m';
SELECT json_echo('{"b": 1,  "a": [true, null]}'), jsonb_echo('{"b": 1,  "a": [true, null], "b": 2}');
SELECT jsonb_len('{"é": "ü"}') AS utf8_bytes;
CREATE FUNCTION jsonb_bad() RETURNS jsonb LANGUAGE wasm AS :'m';
SELECT jsonb_bad();

-- char(n) with its padding, name; a name longer than 63 bytes is an error.
CREATE FUNCTION bp_echo(char(5)) RETURNS char(5) STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION name_echo(name) RETURNS name STRICT LANGUAGE wasm AS :'m';
SELECT '[' || bp_echo('ab')::text || ']' AS trimmed, octet_length(bp_echo('ab')) AS padded,
       name_echo('pg_class');
CREATE FUNCTION name_long() RETURNS name LANGUAGE wasm AS :'m';
SELECT name_long();

-- uuid: tuple<u64, u64>, the big-endian halves.
CREATE FUNCTION uuid_swap(uuid) RETURNS uuid STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION uuid_hi(uuid) RETURNS bigint STRICT LANGUAGE wasm AS :'m';
SELECT uuid_swap('00112233-4455-6677-8899-aabbccddeeff'),
       to_hex(uuid_hi('00112233-4455-6677-8899-aabbccddeeff'));

-- date: days since 1970-01-01; -infinity and infinity are the least and
-- greatest s32, unchanged.
CREATE FUNCTION date_days(date) RETURNS int STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION days_date(int) RETURNS date STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION date_next(date) RETURNS date STRICT LANGUAGE wasm AS :'m';
SELECT date_days('1970-01-01'), date_days('2000-01-01'), date_days('1969-12-31'),
       date_days('infinity'), date_days('-infinity');
SELECT days_date(0), days_date(19723), days_date(2147483647), days_date(-2147483648),
       date_next('2024-02-28'), date_next('4713-01-01 BC');
SELECT days_date(2147483646);
-- timestamp and timestamptz: microseconds since 1970-01-01 (UTC for timestamptz).
CREATE FUNCTION ts_us(timestamptz) RETURNS bigint STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION us_ts(bigint) RETURNS timestamptz STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION tsl_us(timestamp) RETURNS bigint STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION us_tsl(bigint) RETURNS timestamp STRICT LANGUAGE wasm AS :'m';
SET timezone = 'UTC';
SELECT ts_us('1970-01-01 00:00:00+00'), ts_us('2024-05-01 12:00:00.5+02'),
       tsl_us('1970-01-01 00:00:01'), ts_us('infinity') = 9223372036854775807 AS inf,
       tsl_us('-infinity') = -9223372036854775808 AS neg_inf;
SELECT us_ts(0), us_ts(1714557600500000), us_tsl(-1), us_ts(9223372036854775807),
       us_tsl(-9223372036854775808);
SELECT us_ts(9223372036854775806);
SELECT tsl_us('294276-12-31 23:59:59');
RESET timezone;
-- time: microseconds since midnight; interval: a record of its three parts.
CREATE FUNCTION time_us(time) RETURNS bigint STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION us_time(bigint) RETURNS time STRICT LANGUAGE wasm AS :'m';
SELECT time_us('00:00'), time_us('12:34:56.789'), us_time(86400000000), us_time(1);
SELECT us_time(86400000001);
SELECT us_time(-1);
CREATE FUNCTION iv_double(interval) RETURNS interval STRICT LANGUAGE wasm AS :'m';
SELECT iv_double('1 year 2 mons 3 days 04:05:06.7'), iv_double('-1 day');

-- oid and the reg* types: u32.
CREATE FUNCTION oid_next(oid) RETURNS oid STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION rc_echo(regclass) RETURNS regclass STRICT LANGUAGE wasm AS :'m';
SELECT oid_next(4294967294), oid_next(4294967295), rc_echo('pg_class');

-- Enums: a WIT enum, the case of a label in the enum's order.
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE FUNCTION mood_next(mood) RETURNS mood STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION mood_count_ok(mood[]) RETURNS int STRICT LANGUAGE wasm AS :'m';
SELECT mood_next('sad'), mood_next('ok'), mood_count_ok('{ok,sad,ok,happy}');
SELECT mood_next('happy');
-- A label added before another is seen by the next call, in sort order.
ALTER TYPE mood ADD VALUE 'meh' BEFORE 'ok';
SELECT mood_next('sad'), mood_next('ok'), mood_count_ok('{meh,ok,sad}');
ALTER TYPE mood RENAME VALUE 'happy' TO 'Very Happy';
SELECT slackfuel_wit('mood_next(mood)');
CREATE TYPE clash AS ENUM ('a b', 'a-b');
CREATE FUNCTION clash_id(clash) RETURNS clash STRICT LANGUAGE wasm AS :'m';

-- Domains cross as their base type; results are checked against the domain.
CREATE DOMAIN posint AS int CHECK (VALUE > 0);
CREATE FUNCTION dom_dec(posint) RETURNS posint STRICT LANGUAGE wasm AS :'m';
SELECT dom_dec(5);
SELECT dom_dec(1);
CREATE DOMAIN nntext AS text NOT NULL;
CREATE FUNCTION nn_first(text) RETURNS nntext LANGUAGE wasm AS :'m';
SELECT nn_first('x');
SELECT nn_first(NULL);
CREATE FUNCTION vsum(VARIADIC int[]) RETURNS bigint STRICT LANGUAGE wasm AS :'m';
-- VARIADIC int[] is list<s32>.
SELECT vsum(1, 2, 3), vsum(VARIADIC ARRAY[10, 20]), vsum(VARIADIC '{}'::int[]);

-- Procedures with OUT and INOUT parameters: the OUT ones are no parameters
-- in WIT, the result is a record of the OUT and INOUT ones.
CREATE PROCEDURE pdiv(a int, b int, OUT q int, INOUT r int) LANGUAGE wasm AS :'m';
CALL pdiv(17, 5, NULL, 100);
CALL pdiv(17, 0, NULL, NULL);
SELECT slackfuel_wit('pdiv(int, int, int)');

SELECT slackfuel_wit('num_echo(numeric)', 'uuid_swap(uuid)', 'iv_double(interval)',
                     'dom_dec(posint)', 'vsum(int[])', 'ts_us(timestamptz)');

-- Two types whose names are one WIT identifier get distinct names in a world.
CREATE TYPE pair AS (a int);
CREATE TYPE "Pair" AS (b bigint);
CREATE FUNCTION pair_a(pair) RETURNS int STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION pair_b("Pair") RETURNS int STRICT LANGUAGE wasm AS :'m';
SELECT slackfuel_wit('pair_a(pair)', 'pair_b("Pair")');
DROP FUNCTION pair_a(pair), pair_b("Pair");
DROP TYPE pair, "Pair";

-- Arrays of converted types: each element converts as the type does.
CREATE FUNCTION date_min(date[]) RETURNS date STRICT LANGUAGE wasm AS :'m';
CREATE FUNCTION num_lens(numeric[]) RETURNS int[] STRICT LANGUAGE wasm AS :'m';
SELECT date_min(ARRAY['2024-03-01', '1969-07-20', 'infinity']::date[]),
       num_lens(ARRAY[1.5, -100, 'NaN', 0.000001]);
DROP FUNCTION date_min(date[]), num_lens(numeric[]);

-- NULL in each position of a function that is not STRICT: option<T> of
-- values of several flat values.
CREATE FUNCTION uuid_low_byte(uuid) RETURNS int LANGUAGE wasm AS :'m';
CREATE FUNCTION iv_days(interval) RETURNS int LANGUAGE wasm AS :'m';
SELECT uuid_low_byte('00112233-4455-6677-8899-aabbccddeeff'), uuid_low_byte(NULL) IS NULL AS u_null,
       iv_days('1 mon 5 days'), iv_days(NULL) IS NULL AS i_null;
DROP FUNCTION uuid_low_byte(uuid), iv_days(interval);

-- A bad value in a record names its field.
CREATE TYPE flagged AS (a int, b bool);
CREATE FUNCTION bad_bool_field() RETURNS flagged LANGUAGE wasm AS :'m';
CREATE FUNCTION bad_disc_field() RETURNS flagged LANGUAGE wasm AS :'m';
SELECT bad_bool_field();
SELECT bad_disc_field();
DROP FUNCTION bad_bool_field(), bad_disc_field();
DROP TYPE flagged;

-- Still refused, with the supported types listed.
CREATE FUNCTION pt(point) RETURNS int STRICT LANGUAGE wasm AS :'m';

DROP FUNCTION num_echo(numeric), num_bad(), json_echo(json), jsonb_echo(jsonb),
  jsonb_len(jsonb), jsonb_bad(), bp_echo(char), name_echo(name), name_long(),
  uuid_swap(uuid), uuid_hi(uuid), date_days(date), days_date(int), date_next(date),
  ts_us(timestamptz), us_ts(bigint), tsl_us(timestamp), us_tsl(bigint),
  time_us(time), us_time(bigint), iv_double(interval), oid_next(oid), rc_echo(regclass),
  mood_next(mood), mood_count_ok(mood[]), dom_dec(posint), nn_first(text), vsum(int[]);
DROP PROCEDURE pdiv(int, int, int, int);
DROP DOMAIN posint, nntext;
DROP TYPE mood, clash;
