-- The recommended configuration, shared_preload_libraries = 'slackfuel':
-- the settings exist in every session before the library's first use, and
-- a misspelt name under the reserved prefix is an error.  (The suite
-- regress/nopreload shows the other configurations.)
SHOW shared_preload_libraries;
SHOW slackfuel.fuel_limit;
SELECT name, setting FROM pg_settings
 WHERE name IN ('slackfuel.fuel_limit', 'slackfuel.fuel_mode') ORDER BY name;
SET slackfuel.fuel_limt = '1M';
SHOW slackfuel.fuel_limt;
ALTER ROLE CURRENT_USER SET slackfuel.fuel_limt = '1M';
SELECT format('ALTER DATABASE %I SET slackfuel.max_memroy = %L',
              current_database(), '1MB') \gexec
SET slackfuel.fuel_limit = '1k';
SHOW slackfuel.fuel_limit;
