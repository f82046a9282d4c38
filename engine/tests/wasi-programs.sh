#!/usr/bin/env bash
# WASI programs under sfrun: the example C program (wasi-libc: printf,
# snprintf, malloc) as a command and as a reactor, the example Rust library
# (println!, format!, HashMap, the clock, a panic whose message must reach
# stderr), all built from source by examples/wasi/build.sh, and small text
# modules for what those programs do not reach (exit codes, _initialize,
# import errors, hostile pointers, stdin, random).
# Prints "wasi-programs: N passed, N failed".  SFRUN picks the binary
# (default build/sfrun; build-san/sfrun for ASan + UBSan).
set -u
cd "$(dirname "$0")/../.."
SFRUN=${SFRUN:-build/sfrun}
out=build/wasi
pass=0 fail=0

if ! examples/wasi/build.sh "$out"; then
	echo "wasi-programs: building the examples failed"
	echo "wasi-programs: 0 passed, 1 failed"
	exit 1
fi

# expect NAME RC STDOUT STDERR_PATTERN -- CMD...: exit code and stdout
# exactly, stderr matching an extended regular expression ('' = empty;
# matched against the whole text, so '.' also matches a newline).
expect() {
	local name=$1 rc=$2 want_out=$3 want_err=$4 got_out got_err got_rc
	shift 5
	got_out=$("$@" 2>"$out/stderr")
	got_rc=$?
	got_err=$(cat "$out/stderr")
	if [ "$got_rc" != "$rc" ] || [ "$got_out" != "$want_out" ] ||
		{ [ -z "$want_err" ] && [ -n "$got_err" ]; } ||
		{ [ -n "$want_err" ] && ! printf %s "$got_err" | grep -Ezq -- "$want_err"; }; then
		fail=$((fail + 1))
		echo "FAIL $name: $*"
		echo "  exit $got_rc (expected $rc)"
		echo "  stdout: $(head -c 600 <<<"$got_out")"
		echo "  expected: $want_out"
		echo "  stderr: $(head -c 600 <<<"$got_err")"
		echo "  expected to match: $want_err"
	else
		pass=$((pass + 1))
	fi
}

wat() {	# NAME: write stdin to $out/NAME.wat
	cat >"$out/$1.wat"
}

# ---- the C program --------------------------------------------------------------

expect "C command: main through _start, exit(0) through proc_exit" 0 \
"0 -> 0.00
5 -> 0.05
-99 -> -0.99
123456789 -> 1,234,567.89
-9223372036854775808 -> -92,233,720,368,547,758.08" '^5 amounts$' \
	-- "$SFRUN" "$out/money-command.wasm"
expect "C command: _start named" 0 "$(printf '0 -> 0.00\n5 -> 0.05\n-99 -> -0.99\n123456789 -> 1,234,567.89\n-9223372036854775808 -> -92,233,720,368,547,758.08')" \
	'^5 amounts$' -- "$SFRUN" "$out/money-command.wasm" _start
expect "C reactor: an export after _initialize" 0 "-1,234.56
i32:9" '' -- "$SFRUN" "$out/money-reactor.wasm" print_money -123456
expect "C reactor: a reactor has no _start" 1 "" 'no exported function "_start"' \
	-- "$SFRUN" "$out/money-reactor.wasm"

# ---- the Rust library ------------------------------------------------------------

expect "Rust: println!, format!, HashMap" 0 "hello, guest number 1
hello, guest number 2
hello, guest number 3
i32:3" '' -- "$SFRUN" "$out/greet.wasm" greet 3
expect "Rust: checked_div returns" 0 "i32:3" '' -- "$SFRUN" "$out/greet.wasm" checked_div 7 2
expect "Rust: a panic's message reaches stderr, then the trap" 2 "" \
	"panicked at 'cannot divide 7 by zero', examples/wasi/greet.rs:[0-9]+:[0-9]+.*trap: unreachable" -- "$SFRUN" "$out/greet.wasm" checked_div 7 0
now=$(date +%s)
secs=$("$SFRUN" "$out/greet.wasm" unix_seconds 2>/dev/null | sed -n 's/^i64://p')
if [ -n "$secs" ] && [ $((secs - now)) -ge -5 ] && [ $((secs - now)) -le 5 ]; then
	pass=$((pass + 1))
else
	fail=$((fail + 1))
	echo "FAIL Rust: SystemTime::now() through clock_time_get: got '$secs', date says $now"
fi

# ---- exit codes, _initialize, imports, hostile arguments, stdin, random ------------

wat exit7 <<'EOF'
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\10\00\00\00\07\00\00\00")
  (data (i32.const 16) "partial")
  (func (export "_start")
    (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 64)))
    (call $exit (i32.const 7))
    (unreachable)))
EOF
expect "proc_exit(7): exit code 7, the unfinished line flushed" 7 "partial" '' \
	-- "$SFRUN" "$out/exit7.wat"

wat exit0 <<'EOF'
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (func (export "f") (result i32) (call $exit (i32.const 0)) (i32.const 5)))
EOF
expect "proc_exit(0) in an export with a result: exit 0, no result printed" 0 "" '' \
	-- "$SFRUN" "$out/exit0.wat" f

wat reactor <<'EOF'
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\20\00\00\00\05\00\00\00\25\00\00\00\02\00\00\00")
  (data (i32.const 32) "init\0af\0a")
  (global $ready (mut i32) (i32.const 0))
  (func (export "_initialize")
    (global.set $ready (i32.const 1))
    (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 64))))
  (func (export "f") (result i32)
    (drop (call $w (i32.const 1) (i32.const 8) (i32.const 1) (i32.const 64)))
    (global.get $ready)))
EOF
expect "a reactor's _initialize runs once, before the export" 0 "init
f
f
i32:1" '' -- "$SFRUN" --repeat=2 "$out/reactor.wat" f

wat unknown <<'EOF'
(module (import "wasi_snapshot_preview1" "path_open_everything" (func)))
EOF
expect "an unknown WASI import is refused by name" 1 "" \
	'unknown import "wasi_snapshot_preview1" "path_open_everything"' -- "$SFRUN" "$out/unknown.wat"

wat badtype <<'EOF'
(module (import "wasi_snapshot_preview1" "random_get" (func (param i32) (result i32))))
EOF
expect "a WASI import of the wrong type is refused with the right type" 1 "" \
	'"random_get" has the wrong type: it must be \(func \(param i32 i32\) \(result i32\)\)' \
	-- "$SFRUN" "$out/badtype.wat"

wat hostile <<'EOF'
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory 1)
  (func (export "f") (param i32 i32) (result i32)
    (call $w (i32.const 1) (local.get 0) (local.get 1) (i32.const 64))))
EOF
expect "fd_write with its iovec array outside memory traps" 2 "" \
	'^trap: wasi fd_write: iovec array \[0xfffffff0, \+80\) is outside linear memory \(65536 bytes\).wasm backtrace: #0 func 1 at 0x[0-9a-f]+$' \
	-- "$SFRUN" "$out/hostile.wat" f 0xfffffff0 10
expect "fd_write with a huge iovec count traps" 2 "" 'trap: wasi fd_write: iovec array' \
	-- "$SFRUN" "$out/hostile.wat" f 0 0xffffffff

wat stdin <<'EOF'
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $r (param i32 i32 i32 i32) (result i32)))
  (memory 1)
  (data (i32.const 0) "\10\00\00\00\10\00\00\00")
  (data (i32.const 64) "\ff\ff\ff\ff")
  (func (export "f") (result i32 i32)
    (call $r (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 64))
    (i32.load (i32.const 64))))
EOF
expect "stdin reads as empty, whatever sfrun's own stdin holds" 0 "i32:0
i32:0" '' -- "$SFRUN" "$out/stdin.wat" f <<<"not for the guest"

wat random <<'EOF'
(module
  (import "wasi_snapshot_preview1" "random_get" (func $g (param i32 i32) (result i32)))
  (memory 1)
  (func (export "f") (result i32 i32)
    (call $g (i32.const 8) (i32.const 32))
    (i64.ne (i64.or (i64.load (i32.const 8)) (i64.load (i32.const 16))) (i64.const 0))))
EOF
expect "random_get fills the buffer from getrandom" 0 "i32:0
i32:1" '' -- "$SFRUN" "$out/random.wat" f

echo "wasi-programs: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
