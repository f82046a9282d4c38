-- Examples over bytea: SHA-256 and HMAC-SHA-256 in C (one module with
-- several functions, built against wasi-libc) and in AssemblyScript,
-- checked against PostgreSQL's sha256() and pgcrypto's hmac().
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE SCHEMA IF NOT EXISTS ex_c;
CREATE SCHEMA IF NOT EXISTS ex_as;
RESET client_min_messages;
\set c_sha '\\x' `od -An -v -tx1 build/examples/c/sha256.wasm | tr -d ' \n'`
\set as_sha '\\x' `od -An -v -tx1 build/examples/assemblyscript/sha256.wasm | tr -d ' \n'`
CREATE FUNCTION ex_c.sha256(bytea) RETURNS bytea
  IMMUTABLE STRICT PARALLEL SAFE LANGUAGE wasm AS :'c_sha';
CREATE FUNCTION ex_c.hmac_sha256(key bytea, data bytea) RETURNS bytea
  IMMUTABLE STRICT PARALLEL SAFE LANGUAGE wasm AS :'c_sha';
CREATE FUNCTION ex_c.sha256_hex(text) RETURNS text
  IMMUTABLE STRICT PARALLEL SAFE LANGUAGE wasm AS :'c_sha';
CREATE FUNCTION ex_as.sha256(bytea) RETURNS bytea
  IMMUTABLE STRICT PARALLEL SAFE LANGUAGE wasm AS :'as_sha';
CREATE FUNCTION ex_as.hmac_sha256(key bytea, data bytea) RETURNS bytea
  IMMUTABLE STRICT PARALLEL SAFE LANGUAGE wasm AS :'as_sha';

SELECT ex_c.sha256('abc'), ex_as.sha256('') = sha256('') AS as_empty,
       ex_c.sha256_hex('abc') = encode(sha256('abc'), 'hex') AS hex_agrees;
-- RFC 4231 test cases 1 and 6 (a 131-byte key is hashed first).
SELECT ex_c.hmac_sha256('\x0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b', 'Hi There') AS c,
       ex_as.hmac_sha256('\x0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b', 'Hi There') AS asc;
SELECT ex_c.hmac_sha256(decode(repeat('aa', 131), 'hex'),
                        'Test Using Larger Than Block-Size Key - Hash Key First') AS c,
       ex_as.hmac_sha256(decode(repeat('aa', 131), 'hex'),
                         'Test Using Larger Than Block-Size Key - Hash Key First') AS asc;
-- Every length from 0 to 300 bytes (padding crosses block boundaries), and
-- keys from 0 to 150 bytes.
SELECT count(*) AS lengths,
       count(*) FILTER (WHERE ex_c.sha256(d) = sha256(d)) AS c_agrees,
       count(*) FILTER (WHERE ex_as.sha256(d) = sha256(d)) AS as_agrees
  FROM (SELECT convert_to(repeat(chr(65 + n % 26), n), 'UTF8') AS d
          FROM generate_series(0, 300) n) t;
SELECT count(*) AS keys,
       count(*) FILTER (WHERE ex_c.hmac_sha256(k, 'data') = hmac('data'::bytea, k, 'sha256')) AS c_agrees,
       count(*) FILTER (WHERE ex_as.hmac_sha256(k, 'data') = hmac('data'::bytea, k, 'sha256')) AS as_agrees
  FROM (SELECT decode(repeat(to_hex(16 + n % 200), n), 'hex') AS k
          FROM generate_series(0, 150) n) t;
-- A 1 MB value takes more fuel than the default limit allows (about 150M
-- in C, 550M in AssemblyScript).
SET slackfuel.fuel_limit = '1G';
SELECT ex_c.sha256(d) = sha256(d) AS c_1mb, ex_as.sha256(d) = sha256(d) AS as_1mb
  FROM (SELECT convert_to(repeat('0123456789abcdef', 65536), 'UTF8') AS d) t;
RESET slackfuel.fuel_limit;
SET client_min_messages = warning;
DROP SCHEMA ex_c, ex_as CASCADE;
DROP EXTENSION IF EXISTS pgcrypto;
RESET client_min_messages;
