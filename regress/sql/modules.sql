-- Named modules: stored once in slackfuel.modules, shared by the functions
-- that refer to them as 'module:export' (one compiled copy per backend, one
-- instance per role), owned, granted, replaced, dropped and dumped.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
RESET client_min_messages;
CREATE SCHEMA modtest;
SET search_path = modtest, public;

-- A module with state: total() and bump() share the global $n.
SELECT slackfuel_install_module('counter', $$
(module
  (global $n (mut i32) (i32.const 0))
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "bump") (param i32) (result i32)
    global.get $n local.get 0 i32.add global.set $n global.get $n)
  (func (export "total") (result i32) global.get $n)
  (func (export "boom") (result i32) unreachable))
$$);
SELECT name, owner, acl, size, length(sha256) AS sha256_bytes FROM slackfuel.modules;
CREATE FUNCTION add(int, int) RETURNS int STRICT LANGUAGE wasm AS 'counter:add';
CREATE FUNCTION bump(int) RETURNS int STRICT LANGUAGE wasm AS 'counter:bump';
CREATE FUNCTION total() RETURNS int LANGUAGE wasm AS '  counter:total  ';
CREATE FUNCTION boom() RETURNS int LANGUAGE wasm AS 'counter:boom';
-- The functions share one instance: bump() changes what total() sees.
SELECT add(2, 3), bump(10), bump(5), total();
SELECT module, compiles, functions, instances FROM slackfuel_module_cache();
-- A trap discards the instance for every function of the module.
\set VERBOSITY terse
SELECT boom();
\set VERBOSITY default
SELECT total() AS fresh_instance, bump(1), total();

-- Bad references are refused at CREATE FUNCTION.
CREATE FUNCTION nope() RETURNS int LANGUAGE wasm AS 'counter:nope';
CREATE FUNCTION nope() RETURNS int LANGUAGE wasm AS 'missing:count';
CREATE FUNCTION nope(int) RETURNS int STRICT LANGUAGE wasm AS 'counter:add';
-- Hex without \x gets a hint; WAT and hex bodies still work as before.
CREATE FUNCTION nope() RETURNS int LANGUAGE wasm
  AS '0061736d010000000105016000017f03020100070a0106616e7377657200000a06010400412a0b';
CREATE FUNCTION answer() RETURNS int LANGUAGE wasm
  AS '\x0061736d010000000105016000017f03020100070a0106616e7377657200000a06010400412a0b';
SELECT answer();
-- Invalid names and modules.
SELECT slackfuel_install_module('9lives', '\x0061736d01000000');
SELECT slackfuel_install_module('bad name', '\x0061736d01000000');
SELECT slackfuel_install_module('broken', '\x0061736d0100');
SELECT slackfuel_install_module('broken', '(module (func (export "f") (result i32)))');
SELECT slackfuel_install_module('counter', '(module)');
SELECT slackfuel_install_module(NULL, '(module)');

-- Replacing: refused if a function would lose its export or its type;
-- otherwise every function uses the new module from its next call, and
-- the old instance (its state) is gone.
SELECT slackfuel_install_module('counter', '(module (func (export "add") (param i32 i32) (result i32) i32.const 0))', true);
SELECT slackfuel_install_module('counter', $$
(module
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.sub)
  (func (export "bump") (param i32) (result i64) i64.const 0)
  (func (export "total") (result i32) i32.const 7)
  (func (export "boom") (result i32) i32.const 0))
$$, true);
SELECT add(2, 3) AS still_old;
SELECT slackfuel_install_module('counter', $$
(module
  (global $n (mut i32) (i32.const 100))
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.sub)
  (func (export "bump") (param i32) (result i32)
    global.get $n local.get 0 i32.add global.set $n global.get $n)
  (func (export "total") (result i32) global.get $n)
  (func (export "boom") (result i32) i32.const 0))
$$, replace => true);
SELECT add(2, 3) AS new_add, total() AS new_state, bump(1), boom();
SELECT module, compiles, functions, instances FROM slackfuel_module_cache();
-- Another session replaces it: this backend notices at its next call.
\setenv PGDATABASE :DBNAME
\! psql -X -q -c "SELECT slackfuel_install_module('counter', '(module (func (export \"add\") (param i32 i32) (result i32) local.get 0 local.get 1 i32.mul) (func (export \"bump\") (param i32) (result i32) i32.const -1) (func (export \"total\") (result i32) i32.const -2) (func (export \"boom\") (result i32) unreachable))', true)" >/dev/null
SELECT add(6, 7) AS replaced_elsewhere, total();
SELECT module, compiles, functions, instances FROM slackfuel_module_cache();

-- Dropping a module in use is refused, naming the functions.
SELECT slackfuel_drop_module('counter');
SELECT slackfuel_drop_module('missing');
SELECT slackfuel_drop_module('missing', if_exists => true);
SELECT slackfuel_install_module('spare', '(module (func (export "f") (result i32) i32.const 1))');
SELECT slackfuel_drop_module('spare');
SELECT name FROM slackfuel.modules ORDER BY name;

-- Owners and grants.
CREATE ROLE regress_mod_alice;
CREATE ROLE regress_mod_bob;
GRANT USAGE, CREATE ON SCHEMA modtest TO regress_mod_alice, regress_mod_bob;
SET ROLE regress_mod_alice;
SELECT slackfuel_install_module('alice_mod', $$
(module
  (global $n (mut i32) (i32.const 0))
  (func (export "tick") (result i32)
    global.get $n i32.const 1 i32.add global.set $n global.get $n))
$$);
CREATE FUNCTION alice_tick() RETURNS int LANGUAGE wasm AS 'alice_mod:tick';
SELECT alice_tick(), alice_tick();
-- The table's bytes are not readable; what the functions show is.
SELECT bytes FROM slackfuel.modules;
SELECT name, owner FROM slackfuel.modules WHERE name = 'alice_mod';
SET ROLE regress_mod_bob;
CREATE FUNCTION bob_tick() RETURNS int LANGUAGE wasm AS 'alice_mod:tick';
SELECT slackfuel_install_module('alice_mod', '(module)', true);
SELECT slackfuel_drop_module('alice_mod');
SELECT slackfuel_grant_module('alice_mod', 'regress_mod_bob');
SET ROLE regress_mod_alice;
SELECT slackfuel_grant_module('alice_mod', 'regress_mod_bob');
SELECT acl FROM slackfuel.modules WHERE name = 'alice_mod';
SET ROLE regress_mod_bob;
CREATE FUNCTION bob_tick() RETURNS int LANGUAGE wasm AS 'alice_mod:tick';
-- One instance per role: bob's calls do not see alice's state.
SELECT bob_tick(), bob_tick(), alice_tick() AS alice_fn_as_bob;
SET ROLE regress_mod_alice;
SELECT alice_tick() AS alice_again;
SELECT slackfuel_revoke_module('alice_mod', 'regress_mod_bob');
SET ROLE regress_mod_bob;
-- bob's function stays, but no longer loads.
SELECT bob_tick();
SET ROLE regress_mod_alice;
SELECT slackfuel_grant_module('alice_mod', 'public');
SELECT acl FROM slackfuel.modules WHERE name = 'alice_mod';
SET ROLE regress_mod_bob;
SELECT bob_tick() AS public_again;
RESET ROLE;

-- Ten functions over one module of about 1 MB of code compile it once per
-- backend: at CREATE FUNCTION, and once in a new session for all ten.
\! awk 'BEGIN { print "(module"; for (f = 0; f < 2000; f++) { printf "(func $f%d (export \"f%d\") (param i32) (result i32) local.get 0", f, f; for (i = 0; i < 100; i++) printf " i32.const %d i32.add i32.const 3 i32.mul", i; print ")" } print ")" }' > build/regress/big_code.wat && wat2wasm build/regress/big_code.wat -o build/regress/big_code.wasm && test $(stat -c %s build/regress/big_code.wasm) -gt 1000000 && echo "module over 1 MB"
\! scripts/slackfuel-load --module big build/regress/big_code.wasm "CREATE FUNCTION modtest.f0(int) RETURNS int STRICT LANGUAGE wasm AS 'big:f0'" "CREATE FUNCTION modtest.f1(int) RETURNS int STRICT LANGUAGE wasm AS 'big:f1'" "CREATE FUNCTION modtest.f2(int) RETURNS int STRICT LANGUAGE wasm AS 'big:f2'" "CREATE FUNCTION modtest.f3(int) RETURNS int STRICT LANGUAGE wasm AS 'big:f3'" "CREATE FUNCTION modtest.f4(int) RETURNS int STRICT LANGUAGE wasm AS 'big:f4'" "CREATE FUNCTION modtest.f5(int) RETURNS int STRICT LANGUAGE wasm AS 'big:f5'" "CREATE FUNCTION modtest.f6(int) RETURNS int STRICT LANGUAGE wasm AS 'big:f6'" "CREATE FUNCTION modtest.f7(int) RETURNS int STRICT LANGUAGE wasm AS 'big:f7'" "CREATE FUNCTION modtest.f8(int) RETURNS int STRICT LANGUAGE wasm AS 'big:f8'" "CREATE FUNCTION modtest.f1999(int) RETURNS int STRICT LANGUAGE wasm AS 'big:f1999'"
\! rm -f build/regress/big_code.wat build/regress/big_code.wasm
SELECT name, size > 1000000 AS over_1mb FROM slackfuel.modules WHERE name = 'big';
\c
SET search_path = modtest, public;
SELECT f0(1), f1(1), f2(1), f3(1), f4(1), f5(1), f6(1), f7(1), f8(1), f1999(1);
SELECT module, compiles, functions, instances FROM slackfuel_module_cache() ORDER BY module;
-- pg_dump -s holds the functions but not the modules' bytes.
\setenv PGDATABASE :DBNAME
\! $PGBIN/pg_dump -s -n modtest | grep -c 'AS [$][$]big:f' 
\! $PGBIN/pg_dump -s -n modtest | wc -c | awk '{ print ($1 < 50000) ? "schema dump is small" : "schema dump is " $1 " bytes" }'

-- pg_dump dumps the modules with the extension; a restored database works.
CREATE DATABASE regress_modules_restore;
\! $PGBIN/pg_dump -n modtest -e slackfuel | psql -X -q -d regress_modules_restore 2>&1 >/dev/null
\c regress_modules_restore
SET search_path = modtest, public;
SELECT name, owner, acl FROM slackfuel.modules ORDER BY name;
SELECT add(6, 7), total(), f1999(1), alice_tick();
SET ROLE regress_mod_bob;
SELECT bob_tick();
RESET ROLE;
\c contrib_regression
DROP DATABASE regress_modules_restore;

-- Cleanup: modules go once their functions are gone.
SET client_min_messages = warning;
DROP SCHEMA modtest CASCADE;
RESET client_min_messages;
SELECT slackfuel_drop_module(name) FROM slackfuel.modules ORDER BY name;
SELECT count(*) FROM slackfuel.modules;
DROP ROLE regress_mod_alice;
DROP ROLE regress_mod_bob;
