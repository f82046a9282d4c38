-- Ordinary programs built for wasm32-wasi, from source, as SQL functions
-- (examples/wasi, built by examples/wasi/build.sh): C against wasi-libc
-- (printf, snprintf, malloc, exit) and Rust with Debian's rustc
-- (println!, format!, HashMap, SystemTime, a panic).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
RESET client_min_messages;
CREATE SCHEMA regress_programs;
SET search_path = regress_programs, public;
\set VERBOSITY default
\set money_reactor `regress/guests/hex build/wasi/money-reactor.wasm`
\set money_command `regress/guests/hex build/wasi/money-command.wasm`
\set greet `regress/guests/hex build/wasi/greet.wasm`

-- C: snprintf and malloc behind a text result; printf to NOTICE.
CREATE FUNCTION fmt_money(bigint) RETURNS text STRICT IMMUTABLE LANGUAGE wasm
  AS :'money_reactor';
CREATE FUNCTION print_money(bigint) RETURNS int STRICT LANGUAGE wasm AS :'money_reactor';
SELECT fmt_money(123456789), fmt_money(-5), fmt_money(0),
       fmt_money(-9223372036854775808);
SELECT sum(length(fmt_money(g * 1001))) FROM generate_series(1, 10000) g;
SELECT print_money(-123456), print_money(42);
-- The command: main runs through _start, and exit(0) ends it normally.
DO :'money_command' LANGUAGE wasm;

-- Rust: println! lines, format!, a HashMap (seeded through random_get)
-- and the clock.
CREATE FUNCTION greet(int) RETURNS int STRICT LANGUAGE wasm AS :'greet';
CREATE FUNCTION describe(int) RETURNS text STRICT IMMUTABLE LANGUAGE wasm AS :'greet';
CREATE FUNCTION unix_seconds() RETURNS bigint LANGUAGE wasm AS :'greet';
CREATE FUNCTION checked_div(int, int) RETURNS int STRICT IMMUTABLE LANGUAGE wasm AS :'greet';
SELECT greet(3);
SELECT describe(7), describe(-2);
SELECT abs(unix_seconds() - extract(epoch FROM clock_timestamp())::bigint) < 60 AS clock_ok;
-- A panic is a clean ERROR carrying its message and where it happened
-- (the panic hook's lines on stderr come first, as NOTICEs).
SELECT checked_div(7, 2);
SELECT checked_div(7, 0);
-- The instance was discarded; the next call gets a fresh one.
SELECT checked_div(9, 3);
SET slackfuel.output = none;
SELECT checked_div(1, 0);
RESET slackfuel.output;
-- Without random bytes a HashMap cannot be seeded: Rust panics, cleanly
-- (ALTER FUNCTION makes a new instance, whose first HashMap asks).
ALTER FUNCTION greet(int) SET slackfuel.allow_random = off;
SELECT greet(1);
ALTER FUNCTION greet(int) RESET slackfuel.allow_random;
SELECT greet(1);

-- Everything this suite made goes.
RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA regress_programs CASCADE;
RESET client_min_messages;
