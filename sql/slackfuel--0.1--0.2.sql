/* slackfuel--0.1--0.2.sql: observability (statistics, fuel per statement) */

\echo Use "ALTER EXTENSION slackfuel UPDATE TO '0.2'" to load this file. \quit

-- Views cannot live in pg_catalog (the extension's schema), so relations
-- go into a schema of their own; functions stay in pg_catalog.
CREATE SCHEMA slackfuel;
GRANT USAGE ON SCHEMA slackfuel TO PUBLIC;
COMMENT ON SCHEMA slackfuel IS 'views of the slackfuel extension';

-- The WIT world of wasm functions: their signatures as the Component
-- Model sees them, for bindings generators (docs/types.md).
CREATE FUNCTION slackfuel_wit(VARIADIC functions regprocedure[]) RETURNS text
  AS 'MODULE_PATHNAME', 'slackfuel_wit' LANGUAGE C STRICT STABLE;
COMMENT ON FUNCTION slackfuel_wit(regprocedure[]) IS
  'the WIT world of the given functions'' signatures on the canonical ABI';
