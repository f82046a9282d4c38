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

-- Named modules: a module stored once and shared by the functions that
-- refer to it (AS 'module:export').  The rows are configuration data, so
-- pg_dump dumps them; the bytes are readable by no one but the table's
-- owner: use the functions below.
CREATE TABLE slackfuel.modules (
	name text PRIMARY KEY
		CHECK (name ~ '^[A-Za-z_][A-Za-z0-9_.-]{0,62}$'),
	owner regrole NOT NULL,
	acl aclitem[],
	size integer NOT NULL,
	sha256 bytea NOT NULL,
	installed timestamptz NOT NULL DEFAULT now(),
	bytes bytea NOT NULL
);
SELECT pg_catalog.pg_extension_config_dump('slackfuel.modules', '');
REVOKE ALL ON slackfuel.modules FROM PUBLIC;
GRANT SELECT (name, owner, acl, size, sha256, installed) ON slackfuel.modules TO PUBLIC;
COMMENT ON TABLE slackfuel.modules IS
	'named WebAssembly modules; change with slackfuel_install_module, slackfuel_drop_module, slackfuel_grant_module';

CREATE FUNCTION slackfuel_install_module(name text, module bytea, replace boolean DEFAULT false)
	RETURNS void AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION slackfuel_install_module(text, bytea, boolean) IS
	'store a wasm module (binary or text) under a name, owned by the caller; replace => true replaces one the caller owns';

CREATE FUNCTION slackfuel_drop_module(name text, if_exists boolean DEFAULT false)
	RETURNS void AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION slackfuel_drop_module(text, boolean) IS
	'remove a wasm module the caller owns; refused while functions use it';

CREATE FUNCTION slackfuel_grant_module(name text, grantee text)
	RETURNS void AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION slackfuel_grant_module(text, text) IS
	'let a role (or PUBLIC) create functions over a wasm module the caller owns';

CREATE FUNCTION slackfuel_revoke_module(name text, grantee text)
	RETURNS void AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION slackfuel_revoke_module(text, text) IS
	'take back what slackfuel_grant_module gave';

CREATE FUNCTION slackfuel_module_cache(OUT module text, OUT fuel_mode text,
	OUT compiles bigint, OUT functions integer, OUT instances integer)
	RETURNS SETOF record AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION slackfuel_module_cache() IS
	'named wasm modules compiled by this backend: times compiled, functions and role instances sharing each';

CREATE FUNCTION slackfuel_create_functions(module text, schema name DEFAULT NULL)
	RETURNS SETOF regprocedure AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION slackfuel_create_functions(text, name) IS
	'create one SQL function per function a component module exports, with the SQL types its WIT types map to';
