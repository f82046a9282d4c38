-- Trigger functions: func(data: trigger-data) -> trigger-result, with OLD
-- and NEW as JSON objects, so that one guest serves any table.  The guest
-- is C (regress/guests/trig.c); CREATE TRIGGER's first argument tells it
-- what to do.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
RESET client_min_messages;
\set m '\\x' `od -An -v -tx1 build/guests/trig.wasm | tr -d ' \n'`

CREATE FUNCTION trig() RETURNS trigger LANGUAGE wasm AS :'m';
SELECT slackfuel_wit('trig()');
CREATE TABLE tt (id int PRIMARY KEY, name text, tags text[], at timestamptz, note text);

-- BEFORE ROW: the returned row is stored; keys missing keep NEW's values.
CREATE TRIGGER stamp BEFORE INSERT OR UPDATE ON tt
  FOR EACH ROW EXECUTE FUNCTION trig('stamp', 'a "quoted" arg', 'x');
INSERT INTO tt VALUES (1, 'one', '{a,b}', '2024-01-01 00:00+00'), (2, 'two', NULL, NULL);
UPDATE tt SET name = 'uno' WHERE id = 1;
SELECT id, name, tags, at AT TIME ZONE 'UTC' AS at, note FROM tt ORDER BY id;
DROP TRIGGER stamp ON tt;

-- OLD and NEW as the guest sees them.
CREATE TRIGGER describe BEFORE UPDATE OR DELETE ON tt
  FOR EACH ROW EXECUTE FUNCTION trig('describe');
UPDATE tt SET tags = '{"x,y", z}' WHERE id = 2;
SELECT note FROM tt WHERE id = 2;
DROP TRIGGER describe ON tt;

-- The row given back unchanged round-trips every column.
CREATE TRIGGER echo BEFORE UPDATE ON tt FOR EACH ROW EXECUTE FUNCTION trig('echo');
UPDATE tt SET name = name || '!';
SELECT id, name, tags, at AT TIME ZONE 'UTC' AS at, note FROM tt ORDER BY id;
DROP TRIGGER echo ON tt;

-- skip: the row operation does not happen; keep: it does.
CREATE TRIGGER nodelete BEFORE DELETE ON tt FOR EACH ROW EXECUTE FUNCTION trig('skip');
DELETE FROM tt WHERE id = 1;
SELECT count(*) FROM tt;
DROP TRIGGER nodelete ON tt;
CREATE TRIGGER keep BEFORE DELETE ON tt FOR EACH ROW EXECUTE FUNCTION trig('keep');
DELETE FROM tt WHERE id = 1;
SELECT count(*) FROM tt;
DROP TRIGGER keep ON tt;

-- Event, timing and level reach the guest: trap-if traps exactly when
-- they are its arguments (and OLD and NEW are there or not as they should).
CREATE TRIGGER t1 AFTER DELETE ON tt FOR EACH ROW EXECUTE FUNCTION trig('trap-if', 'delete', 'after', 'row');
UPDATE tt SET name = 'n';
DELETE FROM tt;
DROP TRIGGER t1 ON tt;
CREATE TRIGGER t2 AFTER INSERT ON tt FOR EACH STATEMENT EXECUTE FUNCTION trig('trap-if', 'insert', 'after', 'statement');
INSERT INTO tt VALUES (3, 'three');
DROP TRIGGER t2 ON tt;
CREATE TRIGGER t3 BEFORE UPDATE ON tt FOR EACH STATEMENT EXECUTE FUNCTION trig('trap-if', 'update', 'before', 'statement');
UPDATE tt SET name = 'm';
DROP TRIGGER t3 ON tt;
CREATE TRIGGER t4 AFTER UPDATE ON tt FOR EACH ROW EXECUTE FUNCTION trig('trap-if', 'update', 'after', 'row');
UPDATE tt SET name = 'k';
DROP TRIGGER t4 ON tt;
CREATE TRIGGER t5 BEFORE INSERT ON tt FOR EACH ROW EXECUTE FUNCTION trig('trap-if', 'insert', 'before', 'row');
INSERT INTO tt VALUES (4, 'four');
DROP TRIGGER t5 ON tt;
CREATE TRIGGER t6 BEFORE TRUNCATE ON tt FOR EACH STATEMENT EXECUTE FUNCTION trig('trap-if', 'truncate', 'before', 'statement');
TRUNCATE tt;
DROP TRIGGER t6 ON tt;
-- Not matching: nothing happens.
CREATE TRIGGER t7 AFTER INSERT ON tt FOR EACH ROW EXECUTE FUNCTION trig('trap-if', 'insert', 'before', 'row');
INSERT INTO tt VALUES (5, 'five');
DROP TRIGGER t7 ON tt;
SELECT id, name FROM tt ORDER BY id;

-- INSTEAD OF on a view, and the same function on another table.
CREATE VIEW tv AS SELECT id, name, note FROM tt;
CREATE TRIGGER tvi INSTEAD OF INSERT ON tv FOR EACH ROW EXECUTE FUNCTION trig('trap-if', 'insert', 'instead-of', 'row');
INSERT INTO tv VALUES (6, 'six');
DROP VIEW tv;
CREATE TABLE other (k bigint, note text, extra jsonb);
CREATE TRIGGER stamp BEFORE INSERT ON other FOR EACH ROW EXECUTE FUNCTION trig('stamp');
INSERT INTO other VALUES (7, NULL, '{"a": [1]}');
SELECT * FROM other;

-- A row that is not right is an error naming the function.
CREATE TRIGGER bad BEFORE INSERT ON tt FOR EACH ROW EXECUTE FUNCTION trig('badkey');
INSERT INTO tt VALUES (8, 'eight');
DROP TRIGGER bad ON tt;
CREATE TRIGGER bad BEFORE INSERT ON tt FOR EACH ROW EXECUTE FUNCTION trig('badjson');
INSERT INTO tt VALUES (8, 'eight');
DROP TRIGGER bad ON tt;
CREATE TRIGGER bad BEFORE INSERT ON tt FOR EACH ROW EXECUTE FUNCTION trig('badcase');
INSERT INTO tt VALUES (8, 'eight');
DROP TRIGGER bad ON tt;
SELECT count(*) FROM tt WHERE id = 8;

DROP TABLE tt, other;
DROP FUNCTION trig();
