-- Versions: the extension installs at its previous version, and
-- ALTER EXTENSION ... UPDATE brings it to the current one with the same
-- objects a fresh install has.  In a database of its own, so that DROP
-- EXTENSION touches no other suite's functions.
CREATE DATABASE regress_slackfuel_versions;
\c regress_slackfuel_versions
CREATE VIEW members AS
  SELECT pg_describe_object(classid, objid, objsubid) AS object
    FROM pg_depend
   WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
     AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'slackfuel');

SELECT name, version, installed FROM pg_available_extension_versions
 WHERE name = 'slackfuel' ORDER BY version;
SELECT source, target, path FROM pg_extension_update_paths('slackfuel')
 WHERE path IS NOT NULL ORDER BY source, target;

CREATE EXTENSION slackfuel VERSION '0.1';
SELECT extversion FROM pg_extension WHERE extname = 'slackfuel';
CREATE TABLE v01 AS SELECT object FROM members;
CREATE FUNCTION add(a int, b int) RETURNS int STRICT LANGUAGE wasm AS $$
(module (func (export "add") (param i32 i32) (result i32)
  local.get 0 local.get 1 i32.add))
$$;
SELECT add(2, 3);

ALTER EXTENSION slackfuel UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'slackfuel';
-- What the update added; it removed nothing.
SELECT object AS added FROM members EXCEPT SELECT object FROM v01 ORDER BY 1;
SELECT object AS removed FROM v01 EXCEPT SELECT object FROM members ORDER BY 1;
-- Functions created before the update still work.
SELECT add(40, 2);
CREATE TABLE updated AS SELECT object FROM members;

-- A fresh install of the current version has exactly the same objects.
DROP EXTENSION slackfuel CASCADE;
CREATE EXTENSION slackfuel;
SELECT extversion FROM pg_extension WHERE extname = 'slackfuel';
(SELECT object FROM members EXCEPT SELECT object FROM updated)
UNION ALL
(SELECT object FROM updated EXCEPT SELECT object FROM members);

-- Already current: nothing to do.
ALTER EXTENSION slackfuel UPDATE;
\c contrib_regression
DROP DATABASE regress_slackfuel_versions;
