-- A set-returning function in Rust (examples/rust/split): text split into
-- rows, returned as list<string> of views of the argument.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
CREATE SCHEMA IF NOT EXISTS ex_rust;
RESET client_min_messages;
\set split '\\x' `od -An -v -tx1 build/examples/rust/split.wasm | tr -d ' \n'`
SELECT slackfuel_install_module('split', :'split');
CREATE FUNCTION ex_rust.split_words(text) RETURNS SETOF text
  IMMUTABLE STRICT LANGUAGE wasm AS 'split:split_words';
CREATE FUNCTION ex_rust.split_on(text, sep text) RETURNS SETOF text
  IMMUTABLE STRICT LANGUAGE wasm AS 'split:split_on';

SELECT * FROM ex_rust.split_words('  the quick  brown fox ') WITH ORDINALITY;
SELECT * FROM ex_rust.split_on('a,b,,c', ',');
SELECT count(*) FROM ex_rust.split_words('');
-- As PostgreSQL splits: regexp_split_to_table on white space, string_to_table.
SELECT count(*) AS texts,
       count(*) FILTER (WHERE (SELECT array_agg(w) FROM ex_rust.split_words(t) w)
         IS NOT DISTINCT FROM (SELECT array_agg(w) FROM regexp_split_to_table(btrim(t), '\s+') w WHERE w <> '')) AS words_agree,
       count(*) FILTER (WHERE (SELECT array_agg(w) FROM ex_rust.split_on(t, ' ') w)
         = (SELECT array_agg(w) FROM string_to_table(t, ' ') w)) AS split_agrees
  FROM (SELECT translate(md5(g::text), '0123', '    ') AS t FROM generate_series(1, 2000) g) s;
-- A large set: 100,000 rows from one call, within 4 MB of linear memory.
SET slackfuel.max_memory = '4MB';
SELECT count(*), max(length(w)) FROM ex_rust.split_words(repeat('word ', 100000)) w;
RESET slackfuel.max_memory;
-- In a lateral join, one call per row.
SELECT t.id, w FROM (VALUES (1, 'x y'), (2, 'z')) t(id, s), LATERAL ex_rust.split_words(t.s) w;
\set VERBOSITY terse
SELECT * FROM ex_rust.split_on('abc', '');
\set VERBOSITY default

SET client_min_messages = warning;
DROP SCHEMA ex_rust CASCADE;
RESET client_min_messages;
SELECT slackfuel_drop_module('split');
