-- Examples over text: levenshtein in C (freestanding), Rust and
-- AssemblyScript, which must agree with each other and with the
-- fuzzystrmatch extension; slugify in Rust.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;
CREATE SCHEMA IF NOT EXISTS ex_c;
CREATE SCHEMA IF NOT EXISTS ex_rust;
CREATE SCHEMA IF NOT EXISTS ex_as;
RESET client_min_messages;
\set c_lev '\\x' `od -An -v -tx1 build/examples/c/levenshtein.wasm | tr -d ' \n'`
\set rust_lev '\\x' `od -An -v -tx1 build/examples/rust/levenshtein.wasm | tr -d ' \n'`
\set as_lev '\\x' `od -An -v -tx1 build/examples/assemblyscript/levenshtein.wasm | tr -d ' \n'`
\set rust_slug '\\x' `od -An -v -tx1 build/examples/rust/slugify.wasm | tr -d ' \n'`
CREATE FUNCTION ex_c.levenshtein(a text, b text) RETURNS int
  IMMUTABLE STRICT PARALLEL SAFE LANGUAGE wasm AS :'c_lev';
CREATE FUNCTION ex_rust.levenshtein(a text, b text) RETURNS int
  IMMUTABLE STRICT PARALLEL SAFE LANGUAGE wasm AS :'rust_lev';
CREATE FUNCTION ex_as.levenshtein(a text, b text) RETURNS int
  IMMUTABLE STRICT PARALLEL SAFE LANGUAGE wasm AS :'as_lev';
CREATE FUNCTION ex_rust.slugify(title text) RETURNS text
  IMMUTABLE STRICT PARALLEL SAFE LANGUAGE wasm AS :'rust_slug';

SELECT a, b, ex_c.levenshtein(a, b) AS c, ex_rust.levenshtein(a, b) AS rust,
       ex_as.levenshtein(a, b) AS asc
  FROM (VALUES ('kitten', 'sitting'), ('', 'abc'), ('abc', ''), ('', ''),
               ('flaw', 'lawn'), ('héllo', 'hello'), ('日本語', '日本'),
               ('🐘🐘', '🐘'), ('Saturday', 'Sunday')) v(a, b);
-- Over 20,000 pairs of ASCII words the three agree with fuzzystrmatch
-- (which counts characters too).
SELECT count(*) AS pairs,
       count(*) FILTER (WHERE ex_c.levenshtein(a, b) = levenshtein(a, b)) AS c_agrees,
       count(*) FILTER (WHERE ex_rust.levenshtein(a, b) = levenshtein(a, b)) AS rust_agrees,
       count(*) FILTER (WHERE ex_as.levenshtein(a, b) = levenshtein(a, b)) AS as_agrees
  FROM (SELECT md5(g::text) AS a, md5((g * 31)::text) AS b FROM generate_series(1, 20000) g) p;
-- Multibyte: fuzzystrmatch works in characters in a UTF-8 database.
SELECT count(*) FILTER (WHERE ex_c.levenshtein(a, b) = levenshtein(a, b)
                          AND ex_rust.levenshtein(a, b) = levenshtein(a, b)
                          AND ex_as.levenshtein(a, b) = levenshtein(a, b)) AS agree
  FROM (SELECT translate(md5(g::text), 'abc', 'äβ中') AS a,
               translate(md5((g + 1)::text), 'abc', 'ä😀中') AS b
          FROM generate_series(1, 2000) g) p;

SELECT title, ex_rust.slugify(title)
  FROM (VALUES ('Hello, World!'), ('  Crème Brûlée: 10 Recipes  '), ('Straße & Łódź'),
               ('日本語 テキスト'), ('---'), (''), ('already-a-slug')) v(title);
SET client_min_messages = warning;
DROP SCHEMA ex_c, ex_rust, ex_as CASCADE;
DROP EXTENSION fuzzystrmatch;
RESET client_min_messages;
