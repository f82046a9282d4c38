/* slackfuel--0.1--0.2.sql: fuel per statement and transaction */

\echo Use "ALTER EXTENSION slackfuel UPDATE TO '0.2'" to load this file. \quit

-- Views cannot live in pg_catalog (the extension's schema), so relations
-- go into a schema of their own; functions stay in pg_catalog.
CREATE SCHEMA slackfuel;
GRANT USAGE ON SCHEMA slackfuel TO PUBLIC;
COMMENT ON SCHEMA slackfuel IS 'views of the slackfuel extension';

-- Fuel of the session's last statement and transaction.
CREATE FUNCTION slackfuel_last_statement_fuel() RETURNS bigint
	AS 'MODULE_PATHNAME' LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION slackfuel_last_statement_fuel() IS
	'fuel consumed by the wasm calls of the session''s previous statement';
CREATE FUNCTION slackfuel_transaction_fuel() RETURNS bigint
	AS 'MODULE_PATHNAME' LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION slackfuel_transaction_fuel() IS
	'fuel consumed by the wasm calls of the current transaction so far';
CREATE FUNCTION slackfuel_last_transaction_fuel() RETURNS bigint
	AS 'MODULE_PATHNAME' LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION slackfuel_last_transaction_fuel() IS
	'fuel consumed by the wasm calls of the session''s last ended transaction';
