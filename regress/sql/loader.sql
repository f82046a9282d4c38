-- scripts/slackfuel-load: modules of any size from a file, streamed
-- through psql's standard input; the statements it is given get the module
-- as their body, all in one transaction.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
RESET client_min_messages;
\setenv PGDATABASE :DBNAME
CREATE SCHEMA loader;
\! scripts/slackfuel-load build/examples/c/sha256.wasm 'CREATE FUNCTION loader.sha256(bytea) RETURNS bytea STRICT LANGUAGE wasm' 'CREATE FUNCTION loader.sha256_hex(text) RETURNS text STRICT LANGUAGE wasm'
SELECT loader.sha256('abc') = sha256('abc') AS same, loader.sha256_hex('');
-- A 3 MB module (most of it a data segment): too big for a command line.
\! { printf '(module (memory 48) (data (i32.const 16) "'; head -c 3000000 /dev/zero | tr '\0' 'x'; printf '")\n (func (export "big") (result i32) i32.const 2999999 i32.load8_u))'; } > build/regress/big.wat && wat2wasm build/regress/big.wat -o build/regress/big.wasm && wc -c < build/regress/big.wasm
\! scripts/slackfuel-load -d "dbname=$PGDATABASE" build/regress/big.wasm 'CREATE FUNCTION loader.big() RETURNS int LANGUAGE wasm'
SELECT loader.big() AS x_is_120, length(prosrc) AS hex_body FROM pg_proc WHERE oid = 'loader.big'::regproc;
-- A failing statement rolls back the others.
\! scripts/slackfuel-load build/examples/c/sha256.wasm 'CREATE FUNCTION loader.hmac_sha256(bytea, bytea) RETURNS bytea STRICT LANGUAGE wasm' 'CREATE FUNCTION loader.nope(int) RETURNS int STRICT LANGUAGE wasm'; echo "exit status $?"
SELECT count(*) FROM pg_proc WHERE pronamespace = 'loader'::regnamespace;
-- Files that are not modules, and bad usage.
\! scripts/slackfuel-load build/regress/big.wat 'CREATE FUNCTION loader.x() RETURNS int LANGUAGE wasm'; echo "exit status $?"
\! scripts/slackfuel-load build/regress/missing.wasm 'CREATE FUNCTION loader.x() RETURNS int LANGUAGE wasm' 2>&1; echo "exit status $?"
\! scripts/slackfuel-load build/regress/big.wasm 2>&1; echo "exit status $?"
\! rm -f build/regress/big.wat build/regress/big.wasm
SET client_min_messages = warning;
DROP SCHEMA loader CASCADE;
RESET client_min_messages;
