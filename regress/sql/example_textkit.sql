-- One Rust module exporting several functions (examples/rust/textkit),
-- with errors returned as Err(...).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
CREATE SCHEMA IF NOT EXISTS ex_rust;
RESET client_min_messages;
\set textkit '\\x' `od -An -v -tx1 build/examples/rust/textkit.wasm | tr -d ' \n'`
CREATE FUNCTION ex_rust.word_count(text) RETURNS int
  IMMUTABLE STRICT LANGUAGE wasm AS :'textkit';
CREATE FUNCTION ex_rust.initials(text) RETURNS text
  IMMUTABLE STRICT LANGUAGE wasm AS :'textkit';
CREATE FUNCTION ex_rust.to_roman(int) RETURNS text
  IMMUTABLE STRICT LANGUAGE wasm AS :'textkit';
CREATE FUNCTION ex_rust.from_roman(text) RETURNS int
  IMMUTABLE STRICT LANGUAGE wasm AS :'textkit';
CREATE FUNCTION ex_rust.calls() RETURNS bigint LANGUAGE wasm AS :'textkit';

SELECT ex_rust.word_count('the quick  brown fox'), ex_rust.word_count(''),
       ex_rust.initials('ada augusta lovelace'), ex_rust.initials('élise ödön');
SELECT n, ex_rust.to_roman(n), ex_rust.from_roman(ex_rust.to_roman(n)) = n AS round_trip
  FROM (VALUES (1), (4), (9), (14), (40), (90), (400), (1994), (2024), (3999)) v(n);
SELECT count(*) FILTER (WHERE ex_rust.from_roman(ex_rust.to_roman(n)) = n) AS round_trips
  FROM generate_series(1, 3999) n;
SELECT ex_rust.from_roman(' mcmxciv ');
\set VERBOSITY terse
SELECT ex_rust.to_roman(0);
SELECT ex_rust.to_roman(4000);
SELECT ex_rust.from_roman('IIII');
SELECT ex_rust.from_roman('hello');
\set VERBOSITY default
-- calls() counts the calls of its own instance: each SQL function whose
-- body is the module has one.
SELECT ex_rust.calls();
-- Over the named module, the functions share one instance per role, so
-- calls() counts the calls of all of them.
SELECT slackfuel_install_module('textkit', :'textkit');
CREATE FUNCTION ex_rust.wc(text) RETURNS int IMMUTABLE STRICT LANGUAGE wasm AS 'textkit:word_count';
CREATE FUNCTION ex_rust.roman(int) RETURNS text IMMUTABLE STRICT LANGUAGE wasm AS 'textkit:to_roman';
CREATE FUNCTION ex_rust.textkit_calls() RETURNS bigint LANGUAGE wasm AS 'textkit:calls';
SELECT ex_rust.wc('one two'), ex_rust.roman(12), ex_rust.wc('three'), ex_rust.textkit_calls();
SET client_min_messages = warning;
DROP SCHEMA ex_rust CASCADE;
RESET client_min_messages;
SELECT slackfuel_drop_module('textkit');
