-- WASI preview 1 in the database: every call, output to NOTICE, the server
-- log or nowhere, hostile arguments, exits, and the capability settings.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS slackfuel;
RESET client_min_messages;
CREATE SCHEMA regress_wasi;
SET search_path = regress_wasi, public;
\set VERBOSITY default
\set wasi `cat regress/guests/wasi_calls.wat`
CREATE FUNCTION wasi_write(int, int, int) RETURNS int STRICT LANGUAGE wasm AS :'wasi';
CREATE FUNCTION wasi_write_raw(int, int, int, int) RETURNS int STRICT LANGUAGE wasm AS :'wasi';
CREATE FUNCTION wasi_long_line(int) RETURNS int STRICT LANGUAGE wasm AS :'wasi';
CREATE FUNCTION wasi_partial() RETURNS int LANGUAGE wasm AS :'wasi';
CREATE FUNCTION wasi_read(int) RETURNS int STRICT LANGUAGE wasm AS :'wasi';
CREATE FUNCTION wasi_close(int) RETURNS int STRICT LANGUAGE wasm AS :'wasi';
CREATE FUNCTION wasi_close_then_write() RETURNS int LANGUAGE wasm AS :'wasi';
CREATE FUNCTION wasi_fdstat(int) RETURNS bigint STRICT LANGUAGE wasm AS :'wasi';
CREATE FUNCTION wasi_fdstat_at(int, int) RETURNS int STRICT LANGUAGE wasm AS :'wasi';
CREATE FUNCTION wasi_set_rights(int, bigint) RETURNS int STRICT LANGUAGE wasm AS :'wasi';
CREATE FUNCTION wasi_filestat(int) RETURNS int STRICT LANGUAGE wasm AS :'wasi';
CREATE FUNCTION wasi_prestat(int) RETURNS int STRICT LANGUAGE wasm AS :'wasi';
CREATE FUNCTION wasi_prestat_dir_name(int) RETURNS int STRICT LANGUAGE wasm AS :'wasi';
CREATE FUNCTION wasi_refused(int) RETURNS bytea STRICT LANGUAGE wasm AS :'wasi';
CREATE FUNCTION wasi_poll() RETURNS int LANGUAGE wasm AS :'wasi';
CREATE FUNCTION wasi_raise_signal() RETURNS int LANGUAGE wasm AS :'wasi';
CREATE FUNCTION wasi_yield() RETURNS int LANGUAGE wasm AS :'wasi';
CREATE FUNCTION wasi_args() RETURNS bigint LANGUAGE wasm AS :'wasi';
CREATE FUNCTION wasi_environ() RETURNS bigint LANGUAGE wasm AS :'wasi';
CREATE FUNCTION wasi_args_at(int) RETURNS int STRICT LANGUAGE wasm AS :'wasi';
CREATE FUNCTION wasi_clock(int) RETURNS bigint STRICT LANGUAGE wasm AS :'wasi';
CREATE FUNCTION wasi_clock_res(int) RETURNS bigint STRICT LANGUAGE wasm AS :'wasi';
CREATE FUNCTION wasi_clock_at(int) RETURNS int STRICT LANGUAGE wasm AS :'wasi';
CREATE FUNCTION wasi_random(int) RETURNS int STRICT LANGUAGE wasm AS :'wasi';
CREATE FUNCTION wasi_random_at(int, int) RETURNS int STRICT LANGUAGE wasm AS :'wasi';
CREATE FUNCTION wasi_exit(int) RETURNS int STRICT LANGUAGE wasm AS :'wasi';
CREATE FUNCTION wasi_exit_void(int) RETURNS void STRICT LANGUAGE wasm AS :'wasi';

-- fd_write: one NOTICE per line; an unfinished line comes out when the
-- call ends; errno 0 and the count written.
SELECT wasi_write(1, 16, 6);
SELECT wasi_write(2, 64, 28);
SELECT wasi_partial();
-- Not UTF-8, or NUL bytes: U+FFFD.  UTF-8 passes.
SELECT wasi_write(1, 48, 6), wasi_write(1, 96, 6);
-- Lines longer than 4096 bytes are cut there.
SELECT wasi_long_line(4100);
-- stdin cannot be written, other descriptors are not open.
SELECT wasi_write(0, 16, 6) AS enotcapable, wasi_write(3, 16, 6) AS ebadf,
       wasi_write(-1, 16, 6) AS ebadf;
-- Hostile pointers and lengths trap, naming the argument; nothing is written.
SELECT wasi_write(1, 131070, 6);
SELECT wasi_write(1, 16, -1);
SELECT wasi_write_raw(1, -8, 1, 8);
SELECT wasi_write_raw(1, 0, -1, 8);
SELECT wasi_write_raw(1, 0, 0, 131069);
-- A DO block writes too.
DO :'wasi' LANGUAGE wasm;

-- Where output goes: notice (default), log (the server log), none.
SET slackfuel.output = log;
SELECT wasi_write(1, 16, 6);
SET slackfuel.output = none;
SELECT wasi_write(1, 16, 6);
RESET slackfuel.output;

-- stdin is empty; stdout and stderr cannot be read.
SELECT wasi_read(0) AS nread, wasi_read(1) AS enotcapable, wasi_read(7) AS ebadf;
-- fd_close: then writes fail with EBADF, for the instance's life.
SELECT wasi_close_then_write() AS ebadf;
SELECT wasi_close(1) AS ebadf, wasi_close(9) AS ebadf;
-- fdstat: a character device; stdout may write, not seek or tell.
SELECT wasi_fdstat(1) >> 32 AS filetype, (wasi_fdstat(1) & 64) <> 0 AS fd_write,
       (wasi_fdstat(1) & (4 | 32)) = 0 AS no_seek_tell, wasi_fdstat(5) AS ebadf;
SELECT wasi_fdstat_at(1, 131060);
-- Rights only shrink.
SELECT wasi_set_rights(1, 8192) AS enotcapable, wasi_set_rights(8, 0) AS ebadf;
SELECT wasi_filestat(2) AS filetype, wasi_filestat(3) AS ebadf;
-- Nothing is preopened.
SELECT wasi_prestat(0), wasi_prestat(3), wasi_prestat_dir_name(3);
-- Every call that needs a right stdio lacks: ENOTCAPABLE (76) on stdio,
-- EBADF (8) elsewhere.
SELECT name, get_byte(wasi_refused(1), i::int - 1) AS on_stdout,
       get_byte(wasi_refused(4), i::int - 1) AS on_fd_4
  FROM unnest(ARRAY['fd_advise', 'fd_allocate', 'fd_datasync', 'fd_fdstat_set_flags',
                    'fd_filestat_set_size', 'fd_filestat_set_times', 'fd_pread', 'fd_pwrite',
                    'fd_readdir', 'fd_seek', 'fd_sync', 'fd_tell', 'path_create_directory',
                    'path_filestat_get', 'path_filestat_set_times', 'path_link', 'path_open',
                    'path_readlink', 'path_remove_directory', 'path_rename', 'path_symlink',
                    'path_unlink_file', 'sock_accept', 'sock_recv', 'sock_send',
                    'sock_shutdown', 'fd_renumber'])
       WITH ORDINALITY AS t(name, i);
-- No sleeping, no signals; yielding does nothing.
SELECT wasi_poll() AS enotcapable, wasi_raise_signal() AS enotcapable, wasi_yield();
-- No arguments, no environment.
SELECT wasi_args(), wasi_environ();
SELECT wasi_args_at(131070);

-- The clock: the real time, in microseconds; resolution 1000 ns.
SELECT abs(wasi_clock(0) / 1000 - (extract(epoch FROM clock_timestamp()) * 1e6)::bigint) < 5000000 AS realtime,
       wasi_clock(1) > 0 AS monotonic, wasi_clock(2) > 0 AS process_cpu,
       wasi_clock(3) > 0 AS thread_cpu, wasi_clock(0) % 1000 AS sub_microsecond,
       wasi_clock(4) AS einval, wasi_clock_res(0);
SELECT wasi_clock_at(131066);
-- Random bytes from pg_strong_random: not all zero; large fills work.
SELECT wasi_random(32) > 16 AS random, wasi_random(0), wasi_random(100000) > 99000 AS large;
SELECT wasi_random_at(131000, 100);
SELECT wasi_random_at(0, -1);

-- proc_exit(0) ends the call normally (the unfinished line is written
-- first); a function with a result cannot return one then.  Other codes
-- are errors.
SELECT wasi_exit_void(0);
SELECT wasi_exit(0);
SELECT wasi_exit(3);
SELECT wasi_exit_void(-1);

-- Capabilities: each can be turned off; ordinary users cannot turn one on
-- past its superuser ceiling.
SET slackfuel.allow_clock = off;
SELECT wasi_clock(0) AS enotcapable, wasi_clock_res(0) AS enotcapable;
RESET slackfuel.allow_clock;
SET slackfuel.allow_random = off;
SELECT wasi_random(8) AS enotcapable;
RESET slackfuel.allow_random;
CREATE ROLE regress_slackfuel_wasi;
GRANT USAGE ON SCHEMA regress_wasi TO regress_slackfuel_wasi;
SET slackfuel.allow_clock_ceiling = off;
SET slackfuel.output_ceiling = notice;
SET ROLE regress_slackfuel_wasi;
-- A SET above the ceiling is taken and capped where used, as the fuel
-- settings are; storing one for later is refused.
SET slackfuel.allow_clock = on;
SET slackfuel.output = log;
SELECT wasi_clock(0) AS enotcapable;
SELECT wasi_write(1, 16, 6);
ALTER ROLE regress_slackfuel_wasi SET slackfuel.allow_clock = on;
ALTER ROLE regress_slackfuel_wasi SET slackfuel.output = log;
RESET ROLE;
RESET slackfuel.allow_clock;
RESET slackfuel.output;
-- With a ceiling off, the capability is off whatever the setting says.
SET slackfuel.allow_random_ceiling = off;
SELECT wasi_clock(0) AS enotcapable, wasi_random(8) AS enotcapable;
RESET slackfuel.allow_clock_ceiling;
RESET slackfuel.allow_random_ceiling;
RESET slackfuel.output_ceiling;
-- Per function, like the fuel settings.
ALTER FUNCTION wasi_clock(int) SET slackfuel.allow_clock = off;
SELECT wasi_clock(0) AS enotcapable, wasi_clock_res(0) > 0 AS res_allowed;
ALTER FUNCTION wasi_clock(int) RESET slackfuel.allow_clock;
REVOKE USAGE ON SCHEMA regress_wasi FROM regress_slackfuel_wasi;
DROP ROLE regress_slackfuel_wasi;

-- Imports are checked when the function is created.
CREATE FUNCTION bad_wasi() RETURNS int LANGUAGE wasm AS $$
(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32) (result i32)))
  (func (export "bad_wasi") (result i32) i32.const 0))
$$;
CREATE FUNCTION bad_wasi() RETURNS int LANGUAGE wasm AS $$
(module (import "wasi_snapshot_preview1" "path_open_any" (func))
  (func (export "bad_wasi") (result i32) i32.const 0))
$$;
CREATE FUNCTION bad_wasi() RETURNS int LANGUAGE wasm AS $$
(module (import "wasi_unstable" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
  (func (export "bad_wasi") (result i32) i32.const 0))
$$;
CREATE FUNCTION bad_wasi() RETURNS int LANGUAGE wasm AS $$
(module (import "wasi_snapshot_preview1" "fd_write" (global i32))
  (func (export "bad_wasi") (result i32) i32.const 0))
$$;

-- Everything this suite made goes.
RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA regress_wasi CASCADE;
RESET client_min_messages;
