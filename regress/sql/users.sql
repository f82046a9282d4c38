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
-- not even for its own function.
SET slackfuel.fuel_limit = '1T';
SET slackfuel.fuel_limit_ceiling = '1T';
SET slackfuel.fuel_mode = off;
ALTER FUNCTION mul(int, int) SET slackfuel.fuel_mode = off;
ALTER FUNCTION mul(int, int) SET slackfuel.fuel_limit = '20G';
ALTER FUNCTION mul(int, int) SET slackfuel.max_memory = '2GB';
RESET ROLE;
-- A superuser may give the role a higher ceiling (first) and limit.
ALTER ROLE regress_slackfuel_dev SET slackfuel.fuel_limit_ceiling = '50G';
ALTER ROLE regress_slackfuel_dev SET slackfuel.fuel_limit = '40G';
SELECT setconfig FROM pg_db_role_setting
 WHERE setrole = 'regress_slackfuel_dev'::regrole;
DROP FUNCTION mul(int, int);
REVOKE CREATE ON SCHEMA public FROM regress_slackfuel_dev;
DROP ROLE regress_slackfuel_dev;
