-- An ordinary role creates and calls wasm functions within the limits a
-- superuser allows.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
RESET client_min_messages;
CREATE ROLE regress_slackfuel_dev;
GRANT CREATE ON SCHEMA public TO regress_slackfuel_dev;
SET ROLE regress_slackfuel_dev;
CREATE FUNCTION mul(int, int) RETURNS int STRICT LANGUAGE wasm AS $$
(module (func (export "mul") (param i32 i32) (result i32)
  local.get 0 local.get 1 i32.mul))
$$;
SELECT mul(6, 7), mul(-3, 3);
SELECT proname, proowner::regrole FROM pg_proc WHERE proname = 'mul';
-- Its own limits, below the ceilings, per session and per function.
SET slackfuel.fuel_limit = '10k';
SET slackfuel.max_memory = '128kB';
ALTER FUNCTION mul(int, int) SET slackfuel.fuel_limit = '1k';
SELECT mul(7, 7);
-- It cannot raise its limits past the ceilings, nor turn metering off,
-- not even for its own function.  A SET above a ceiling is capped where it
-- is used (a function's SET clause is applied as a SET when it is called);
-- storing one, or raising a ceiling, is refused.
SET slackfuel.fuel_limit = '1T';
SELECT mul(8, 8);
RESET slackfuel.fuel_limit;
SET slackfuel.fuel_limit_ceiling = '1T';
SET slackfuel.fuel_mode = off;
ALTER FUNCTION mul(int, int) SET slackfuel.fuel_mode = off;
ALTER FUNCTION mul(int, int) SET slackfuel.fuel_limit = '20G';
ALTER FUNCTION mul(int, int) SET slackfuel.max_memory = '2GB';
RESET ROLE;

-- Regression: a superuser's ALTER FUNCTION ... SET above the ceiling of
-- the role calling it failed the call ("cannot exceed").  The call runs
-- with min(setting, ceiling), which the out-of-fuel DETAIL shows.
CREATE FUNCTION spin_w() RETURNS int LANGUAGE wasm AS $$
(module (func (export "spin_w") (result i32) (loop $l (br $l)) (i32.const 0)))
$$;
ALTER FUNCTION spin_w() SET slackfuel.fuel_limit = '1G';
ALTER FUNCTION spin_w() SET slackfuel.fuel_mode = precise;
SET slackfuel.fuel_limit_ceiling = '10M';
SET ROLE regress_slackfuel_dev;
SELECT spin_w();
RESET ROLE;
RESET slackfuel.fuel_limit_ceiling;
DROP FUNCTION spin_w();

-- A SECURITY DEFINER function runs as its owner, in the owner's instance:
-- its state is the one the owner's own calls see.  An ordinary function
-- runs in the caller's instance.
SET ROLE regress_slackfuel_dev;
CREATE FUNCTION tally_definer() RETURNS int SECURITY DEFINER LANGUAGE wasm AS $$
(module (global $n (mut i32) (i32.const 0))
  (func (export "tally_definer") (result i32)
    (global.set $n (i32.add (global.get $n) (i32.const 1))) (global.get $n)))
$$;
CREATE FUNCTION tally_invoker() RETURNS int LANGUAGE wasm AS $$
(module (global $n (mut i32) (i32.const 0))
  (func (export "tally_invoker") (result i32)
    (global.set $n (i32.add (global.get $n) (i32.const 1))) (global.get $n)))
$$;
SELECT tally_definer(), tally_invoker();
SELECT tally_definer(), tally_invoker();
RESET ROLE;
SELECT tally_definer(), tally_invoker();
SET ROLE regress_slackfuel_dev;
SELECT tally_definer(), tally_invoker();
RESET ROLE;
DROP FUNCTION tally_definer(), tally_invoker();

-- A superuser may give the role a higher ceiling (first) and limit.
ALTER ROLE regress_slackfuel_dev SET slackfuel.fuel_limit_ceiling = '50G';
ALTER ROLE regress_slackfuel_dev SET slackfuel.fuel_limit = '40G';
SELECT setconfig FROM pg_db_role_setting
 WHERE setrole = 'regress_slackfuel_dev'::regrole;
DROP FUNCTION mul(int, int);
REVOKE CREATE ON SCHEMA public FROM regress_slackfuel_dev;
DROP ROLE regress_slackfuel_dev;
