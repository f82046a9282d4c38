/* slackfuel--0.1--0.2.sql: observability (statistics, fuel per statement) */

\echo Use "ALTER EXTENSION slackfuel UPDATE TO '0.2'" to load this file. \quit

-- Views cannot live in pg_catalog (the extension's schema), so relations
-- go into a schema of their own; functions stay in pg_catalog.
CREATE SCHEMA slackfuel;
GRANT USAGE ON SCHEMA slackfuel TO PUBLIC;
COMMENT ON SCHEMA slackfuel IS 'views of the slackfuel extension';
