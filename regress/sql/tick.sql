-- The tick that stops runaway wasm runs only while wasm may run: once the
-- statement that called wasm has ended, a backend idle in a transaction
-- gets no timer signals and makes no timer system calls (strace, from the
-- client's side, for one second).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
RESET client_min_messages;
CREATE FUNCTION tick_one() RETURNS int LANGUAGE wasm AS $$
(module (func (export "tick_one") (result i32) i32.const 1))
$$;
SELECT pg_backend_pid() AS backend_pid \gset
\setenv BACKEND_PID :backend_pid
BEGIN;
SELECT count(*) FROM generate_series(1, 1000) WHERE tick_one() = 1;
-- Regression: the tick ran until the transaction ended, 100 a second.
\! strace -qq -e trace=setitimer -e signal=SIGALRM -p "$BACKEND_PID" -o build/regress/tick.trace & s=$!; sleep 1; kill $s; wait $s 2>/dev/null; echo "timer events while idle in transaction: $(grep -c -E 'setitimer|SIGALRM' build/regress/tick.trace)"
COMMIT;
DROP FUNCTION tick_one();
