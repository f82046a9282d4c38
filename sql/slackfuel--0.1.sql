/* slackfuel--0.1.sql: the trusted procedural language "wasm" */

\echo Use "CREATE EXTENSION slackfuel" to load this file. \quit

CREATE FUNCTION slackfuel_call_handler() RETURNS language_handler
	AS 'MODULE_PATHNAME' LANGUAGE C;

CREATE FUNCTION slackfuel_inline_handler(internal) RETURNS void
	AS 'MODULE_PATHNAME' LANGUAGE C STRICT;

CREATE FUNCTION slackfuel_validator(oid) RETURNS void
	AS 'MODULE_PATHNAME' LANGUAGE C STRICT;

CREATE TRUSTED LANGUAGE wasm
	HANDLER slackfuel_call_handler
	INLINE slackfuel_inline_handler
	VALIDATOR slackfuel_validator;

CREATE FUNCTION slackfuel_last_fuel_consumed() RETURNS bigint
	AS 'MODULE_PATHNAME' LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION slackfuel_last_fuel_consumed() IS
	'fuel consumed by the last wasm function call of this session';

COMMENT ON LANGUAGE wasm IS 'WebAssembly functions (slackfuel)';
