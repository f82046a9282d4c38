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
