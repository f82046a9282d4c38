/* slackfuel--0.1--0.2.sql: statistics per function, fuel per statement and transaction */

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

-- Statistics per (database, function), flushed at transaction end.
CREATE FUNCTION slackfuel_stat_functions(
	OUT dbid oid, OUT funcid oid, OUT calls bigint,
	OUT total_fuel bigint, OUT max_fuel bigint, OUT total_time float8,
	OUT traps bigint, OUT out_of_fuel bigint, OUT cancels bigint,
	OUT traps_by_kind jsonb, OUT compiles bigint, OUT compile_time float8,
	OUT code_size bigint, OUT peak_memory bigint)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME' LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION slackfuel_stat_functions() IS
	'statistics of wasm functions in every database (needs shared_preload_libraries)';

CREATE FUNCTION slackfuel_stat_reset(funcid oid DEFAULT NULL) RETURNS void
	AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL RESTRICTED;
REVOKE ALL ON FUNCTION slackfuel_stat_reset(oid) FROM PUBLIC;
COMMENT ON FUNCTION slackfuel_stat_reset(oid) IS
	'forget the statistics of one wasm function, or of all, in the current database';

CREATE VIEW slackfuel.stat_functions AS
	SELECT s.funcid, n.nspname AS schemaname, p.proname AS funcname,
		   s.calls, s.total_fuel, s.max_fuel, s.total_time,
		   s.traps, s.out_of_fuel, s.cancels, s.traps_by_kind,
		   s.compiles, s.compile_time, s.code_size, s.peak_memory
	  FROM pg_catalog.slackfuel_stat_functions() s
	  JOIN pg_catalog.pg_proc p ON p.oid = s.funcid
	  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
	 WHERE s.dbid = (SELECT d.oid FROM pg_catalog.pg_database d
					  WHERE d.datname = pg_catalog.current_database());
GRANT SELECT ON slackfuel.stat_functions TO PUBLIC;
COMMENT ON VIEW slackfuel.stat_functions IS
	'statistics of the wasm functions of the current database';

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
