-- slackfuel.perf_map (superuser): the backend appends the code of each
-- module it compiles to perf's map, /tmp/perf-<pid>.map, one line
-- "START SIZE wasm:FUNCTION:INDEX[:NAME]" per wasm function, names from
-- the module's name section.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
RESET client_min_messages;
SHOW slackfuel.perf_map;

-- Two functions: $square (index 0) and $named (1), with a name section
-- (wat2wasm --debug-names).
CREATE FUNCTION named(x int) RETURNS int STRICT LANGUAGE wasm AS
'\x0061736d0100000001060160017f017f0303020000070901056e616d656400010a130207002000'
'20006c0b09002000100041016a0b0024046e616d65011002000673717561726501056e616d656402'
'0b0200010001780101000178';
SET slackfuel.perf_map = on;
SELECT named(6);
DO $$ (module (func (export "main"))) $$ LANGUAGE wasm;

-- The map, read back (scripts/regress deletes the maps listed here).
SET client_min_messages = warning;
CREATE TABLE IF NOT EXISTS perf_map_pids (pid int);
RESET client_min_messages;
INSERT INTO perf_map_pids VALUES (pg_backend_pid());
SELECT regexp_replace(line, '^[0-9a-f]+ [0-9a-f]+ ', 'START SIZE ') AS line,
       line ~ '^[0-9a-f]{6,16} [0-9a-f]{1,8} ' AS hex,
       ('x' || lpad(split_part(line, ' ', 2), 16, '0'))::bit(64)::bigint > 0 AS has_size
  FROM regexp_split_to_table(pg_read_file('/tmp/perf-' || pg_backend_pid() || '.map'),
                             E'\n') WITH ORDINALITY AS l(line, n)
 WHERE line <> '' ORDER BY n;

-- Off, nothing more is written.
SET slackfuel.perf_map = off;
CREATE FUNCTION other() RETURNS int LANGUAGE wasm AS
  '(module (func (export "other") (result i32) i32.const 1))';
SELECT other();
SELECT count(*) FROM regexp_split_to_table(
  pg_read_file('/tmp/perf-' || pg_backend_pid() || '.map'), E'\n') line
 WHERE line LIKE '%wasm:other%';

-- Only superusers may set it.
CREATE ROLE regress_slackfuel_perf;
SET ROLE regress_slackfuel_perf;
SET slackfuel.perf_map = on;
RESET ROLE;
DROP ROLE regress_slackfuel_perf;
DROP FUNCTION named(int), other();
