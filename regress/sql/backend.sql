-- A backend's wasm memory is bounded: every instance's linear memory,
-- tables and structures and every compiled module's code count against
-- slackfuel.max_backend_memory (superuser).  When it would be exceeded,
-- the least recently used instances with no call running are evicted (an
-- evicted instance's next call starts afresh, its start function running
-- again); when even that cannot make room, the error names the setting.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
RESET client_min_messages;
SHOW slackfuel.max_backend_memory;
-- Each function: 8 MiB of memory, a counter that its start function sets
-- to 100 and each call bumps, and a grow(n) that grows memory by n pages.
SELECT $m$
(module (memory 128)
  (global $n (mut i32) (i32.const 0))
  (func $start (global.set $n (i32.const 100)))
  (start $start)
  (func (export "bump") (param i32) (result i32)
    (if (local.get 0) (then (drop (memory.grow (local.get 0)))))
    (global.set $n (i32.add (global.get $n) (i32.const 1)))
    (global.get $n)))
$m$ AS mod8 \gset
CREATE FUNCTION bump_a(int) RETURNS int STRICT LANGUAGE wasm AS :'mod8';
CREATE FUNCTION bump_b(int) RETURNS int STRICT LANGUAGE wasm AS :'mod8';
CREATE FUNCTION bump_c(int) RETURNS int STRICT LANGUAGE wasm AS :'mod8';
SET slackfuel.max_backend_memory = '20MB';
SELECT bump_a(0), bump_a(0), bump_b(0), bump_b(0);
-- A third instance does not fit with two: the least recently used, a's,
-- is evicted, and a's next call starts again from its start function.
SELECT bump_c(0), bump_c(0);
SELECT bump_b(0) AS b_kept, bump_a(0) AS a_again;
-- Growing memory in a call evicts others when it must, never the instance
-- growing (it has a call running): 4 MiB more for b evicts a.
SELECT bump_b(64) AS b_grew;
SELECT bump_a(0) AS a_again;
-- What cannot fit even alone is refused, naming the setting (the DETAIL
-- gives the bytes compiled code holds, which vary with the compiler).
CREATE FUNCTION bump_big(int) RETURNS int STRICT LANGUAGE wasm AS $$
(module (memory 384)
  (func (export "bump_big") (param i32) (result i32) (i32.const 7)))
$$;
\set VERBOSITY terse
SELECT bump_big(0);
\set VERBOSITY default
-- Within max_memory (64 MB here), growing past the backend's room fails
-- as growth does: memory.grow returns -1.
CREATE FUNCTION grow_far(int) RETURNS int STRICT LANGUAGE wasm AS $$
(module (memory 1)
  (func (export "grow_far") (param i32) (result i32) (memory.grow (local.get 0))))
$$;
SET slackfuel.fuel_mode = off;
SELECT grow_far(250) AS grown_16mb, grow_far(128) AS refused;
RESET slackfuel.fuel_mode;
RESET slackfuel.max_backend_memory;
-- Regression: instances were never evicted; three functions, each within
-- its own max_memory of 1 GB, held 3 GB together.  Growth of each to 240
-- MB in a 512 MB backend evicts the instance used least recently.
SET slackfuel.max_memory = '1GB';
SET slackfuel.fuel_mode = off;
SELECT bump_a(3840) - 100 AS a, bump_b(3840) - 100 AS b;
SELECT bump_c(3840) - 100 AS c;
SELECT bump_b(0) - 100 AS b_kept, bump_a(0) - 100 AS a_again;
RESET slackfuel.fuel_mode;
RESET slackfuel.max_memory;
DROP FUNCTION bump_a(int), bump_b(int), bump_c(int), bump_big(int), grow_far(int);
