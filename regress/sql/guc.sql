-- slackfuel.* settings, their superuser-only ceilings, and who may set what.
LOAD 'slackfuel';
SELECT name, setting, unit, context, vartype FROM pg_settings
 WHERE name LIKE 'slackfuel.%' ORDER BY name;

-- The fuel limit is 64-bit: digits with a k/M/G/T suffix.
SET slackfuel.fuel_limit = '2500000000';
SHOW slackfuel.fuel_limit;
SET slackfuel.fuel_limit = '3G';
SHOW slackfuel.fuel_limit;
SET slackfuel.fuel_limit = 'lots';
SET slackfuel.fuel_limit = '-1';
SET slackfuel.fuel_limit = '99999999999999999999';
-- Above the ceiling: a SET is accepted, and every call uses
-- min(setting, ceiling) (fuel.sql); an ordinary role storing one is refused
-- (users.sql).
SET slackfuel.fuel_limit = '11G';
SET slackfuel.max_memory = '2GB';
SET slackfuel.max_stack = '2MB';
-- Unknown names under the reserved prefix are refused.
SET slackfuel.no_such_setting = 1;

-- SET LOCAL ends with the transaction.
BEGIN;
SET LOCAL slackfuel.fuel_limit = '5k';
SHOW slackfuel.fuel_limit;
COMMIT;
SHOW slackfuel.fuel_limit;
RESET slackfuel.fuel_limit;

-- A superuser raises the ceiling, then the limit.
SET slackfuel.fuel_limit_ceiling = '1T';
SET slackfuel.fuel_limit = '500G';
SHOW slackfuel.fuel_limit;
RESET slackfuel.fuel_limit;
RESET slackfuel.fuel_limit_ceiling;

-- An ordinary role may move its limits below the ceilings, nothing more.
CREATE ROLE regress_slackfuel_user;
SET ROLE regress_slackfuel_user;
SET slackfuel.fuel_limit = '1M';
SHOW slackfuel.fuel_limit;
SET slackfuel.fuel_limit = '20G';
SET slackfuel.fuel_limit_ceiling = '1T';
SET slackfuel.max_memory_ceiling = '4GB';
SET slackfuel.max_stack_ceiling = '64MB';
SET slackfuel.check_interval = '1s';
SET slackfuel.compile_threads = 4;
SET slackfuel.fuel_mode = precise;
SHOW slackfuel.fuel_mode;
SET slackfuel.fuel_mode = off;
SHOW slackfuel.fuel_mode;
SET slackfuel.max_memory = '1MB';
SHOW slackfuel.max_memory;
RESET ROLE;
SET slackfuel.fuel_mode = off;
SHOW slackfuel.fuel_mode;
RESET slackfuel.fuel_mode;

-- A superuser's ALTER ROLE ... SET is not held to the superuser's own
-- session ceiling (the role may get a ceiling of its own); every use is
-- clamped to the ceiling in force.  An ordinary role's is (see users).
ALTER ROLE regress_slackfuel_user SET slackfuel.fuel_limit = '50G';
ALTER ROLE regress_slackfuel_user SET slackfuel.fuel_limit = 'much';
ALTER ROLE regress_slackfuel_user SET slackfuel.fuel_limit = '7M';
SELECT setconfig FROM pg_db_role_setting
 WHERE setrole = 'regress_slackfuel_user'::regrole;
ALTER ROLE regress_slackfuel_user SET slackfuel.fuel_limit_ceiling = '100G';
SELECT setconfig FROM pg_db_role_setting
 WHERE setrole = 'regress_slackfuel_user'::regrole;
DROP ROLE regress_slackfuel_user;
