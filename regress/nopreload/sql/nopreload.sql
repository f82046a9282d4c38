-- A server without shared_preload_libraries = 'slackfuel': the library is
-- loaded in a session at its first use (CREATE EXTENSION, CREATE FUNCTION,
-- a call, LOAD).  Until then PostgreSQL does not know the slackfuel.*
-- settings: SHOW fails, pg_settings has no rows, and SET accepts any name
-- under the prefix as a placeholder.  At load, a placeholder whose name is
-- not a setting is removed with a warning, and valid ones take effect.
SHOW shared_preload_libraries;
SELECT count(*) FROM pg_settings WHERE name LIKE 'slackfuel.%';
SHOW slackfuel.fuel_limit;
SET slackfuel.fuel_limt = '1M';
SHOW slackfuel.fuel_limt;
SET slackfuel.fuel_limit = '2k';
SET client_min_messages = warning;
CREATE EXTENSION slackfuel;
RESET client_min_messages;
SHOW slackfuel.fuel_limt;
SHOW slackfuel.fuel_limit;
SET slackfuel.fuel_limt = '1M';
SELECT count(*) > 0 AS settings_known FROM pg_settings WHERE name LIKE 'slackfuel.%';

CREATE FUNCTION spin(n int) RETURNS int STRICT LANGUAGE wasm AS $$
(module (func (export "spin") (param $n i32) (result i32)
  block $done
    loop $next
      local.get $n i32.eqz br_if $done
      local.get $n i32.const 1 i32.sub local.set $n
      br $next
    end
  end
  local.get $n))
$$;

-- A new session: again nothing is known until the first call loads the
-- library; a limit set before it is checked then, and applies to the call.
\c
SHOW slackfuel.fuel_limit;
SET slackfuel.fuel_limit = '1k';
SELECT spin(1000);
SHOW slackfuel.fuel_limit;
SELECT spin(10);

-- A placeholder above its ceiling is a SET like any other when the library
-- loads: kept, and capped where it is used.
\c
SET slackfuel.fuel_limit = '20G';
SELECT spin(10);
SHOW slackfuel.fuel_limit;

-- session_preload_libraries loads it at the start of each session of a
-- database (or role): settings are known from the start, misspelt names
-- are errors, but shared memory (statistics) still needs
-- shared_preload_libraries.
SELECT format('ALTER DATABASE %I SET session_preload_libraries = %L',
              current_database(), 'slackfuel') \gexec
\c
SHOW slackfuel.fuel_limit;
SET slackfuel.fuel_limt = '1M';

-- Without shared memory there are no statistics (the view says why, and
-- slackfuel.stat_functions_max does not exist); the fuel of statements and
-- transactions is the backend's own and works.
SELECT funcname, calls FROM slackfuel.stat_functions;
SHOW slackfuel.stat_functions_max;
SELECT spin(10);
SELECT slackfuel_last_statement_fuel() > 0 AS statement_fuel;
SELECT format('ALTER DATABASE %I RESET session_preload_libraries',
              current_database()) \gexec
DROP FUNCTION spin(int);
DROP EXTENSION slackfuel;
