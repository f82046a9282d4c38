-- JSON validation in Rust (examples/rust/jsoncheck) over text, checked
-- against PostgreSQL's own json input on valid documents and on every
-- truncation and some corruptions of them.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
CREATE SCHEMA IF NOT EXISTS ex_rust;
RESET client_min_messages;
\set jsoncheck '\\x' `od -An -v -tx1 build/examples/rust/jsoncheck.wasm | tr -d ' \n'`
SELECT slackfuel_install_module('jsoncheck', :'jsoncheck');
CREATE FUNCTION ex_rust.json_valid(doc text) RETURNS boolean
  IMMUTABLE STRICT LANGUAGE wasm AS 'jsoncheck:json_valid';
CREATE FUNCTION ex_rust.json_depth(doc text) RETURNS integer
  IMMUTABLE STRICT LANGUAGE wasm AS 'jsoncheck:json_depth';
-- PostgreSQL's answer: does the json type accept it?
CREATE FUNCTION pg_temp.pg_json_valid(doc text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  PERFORM doc::json;
  RETURN true;
EXCEPTION WHEN invalid_text_representation THEN
  RETURN false;
END $$;

SELECT doc, ex_rust.json_valid(doc) AS wasm, pg_temp.pg_json_valid(doc) AS postgres
  FROM (VALUES ('{"a": [1, 2.5e-3, -0, true, null, "x\u00e9\n"]}'), ('[]'), ('  7 '),
               ('{"a" 1}'), ('[1,]'), ('01'), ('1.'), ('"tab	inside"'), ('"\x"'),
               ('{"k": "v"} x'), ('')) v(doc);
SELECT ex_rust.json_depth('3'), ex_rust.json_depth('{"a": [[], {"b": [1]}]}'),
       ex_rust.json_depth(repeat('[', 500) || repeat(']', 500));
\set VERBOSITY terse
SELECT ex_rust.json_depth('[1, 2');
\set VERBOSITY default
-- jsonb crosses as its JSON text (string in WIT): the same export serves it.
CREATE FUNCTION ex_rust.jsonb_depth(doc jsonb) RETURNS integer
  IMMUTABLE STRICT LANGUAGE wasm AS 'jsoncheck:json_depth';
SELECT ex_rust.jsonb_depth('{"a": [1, {"b": null}]}'), ex_rust.jsonb_depth('"just text"'),
       ex_rust.jsonb_depth(jsonb_build_object('k', jsonb_build_array(jsonb_build_array(1))));

-- Documents built by PostgreSQL, and every prefix of each: the two agree.
CREATE TEMP TABLE docs AS
  SELECT json_build_object('id', g, 'name', 'item ' || g, 'tags', json_build_array('a', g % 7, g * 1.5),
                           'nested', json_build_object('ok', g % 2 = 0, 'none', NULL, 'q', E'quote " and \\'))::text AS doc
    FROM generate_series(1, 40) g;
SELECT count(*) AS documents, count(*) FILTER (WHERE ex_rust.json_valid(doc)) AS valid FROM docs;
SELECT count(*) AS prefixes,
       count(*) FILTER (WHERE ex_rust.json_valid(p) = pg_temp.pg_json_valid(p)) AS agree
  FROM (SELECT left(doc, n) AS p FROM docs, generate_series(0, length(doc)) n) s;
-- One byte replaced by each of a few characters, at every position.
SELECT count(*) AS corruptions,
       count(*) FILTER (WHERE ex_rust.json_valid(c) = pg_temp.pg_json_valid(c)) AS agree
  FROM (SELECT overlay(doc PLACING ch FROM n FOR 1) AS c
          FROM (SELECT doc FROM docs LIMIT 5) d, generate_series(1, 120) n,
               unnest(ARRAY['{', ']', '"', ',', ':', '0', 'e', '\', ' ', 'x']) ch
         WHERE n <= length(doc)) s;

SET client_min_messages = warning;
DROP SCHEMA ex_rust CASCADE;
RESET client_min_messages;
SELECT slackfuel_drop_module('jsoncheck');
