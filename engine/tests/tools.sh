#!/usr/bin/env bash
# Flags of the engine's command-line tools, checked by running the tools.
# Prints "tools: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "tools: FAILED: $*"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# sfrun --perf-map: perf's map names each defined function of the module,
# with the name section's names (wat2wasm --debug-names keeps them).
cat >"$tmp/named.wat" <<'WAT'
(module
  (func $fib (export "fib") (param $n i32) (result i32)
    local.get $n i32.const 2 i32.lt_u
    if (result i32) local.get $n
    else
      local.get $n i32.const 1 i32.sub call $fib
      local.get $n i32.const 2 i32.sub call $fib i32.add
    end)
  (func (export "main") (param i32) (result i32) local.get 0 call $fib))
WAT
wat2wasm --debug-names "$tmp/named.wat" -o "$tmp/named.wasm"
out=$(build/sfrun --perf-map "$tmp/named.wasm" main 20 2>"$tmp/err")
map=$(sed -n 's/^perf map: //p' "$tmp/err")
if [ "$out" = "i32:6765" ]; then ok; else bad "sfrun --perf-map: result $out"; fi
pid=$(sed -n 's|^perf map: /tmp/perf-\([0-9]*\)\.map$|\1|p' "$tmp/err")
if [ -n "$pid" ] && [ -f "$map" ]; then
	ok
	# two lines "START SIZE NAME" in hex, in order, not overlapping
	mapfile -t lines <"$map"
	rm -f "$map"
	read -r s1 z1 n1 rest1 <<<"${lines[0]:-}"
	read -r s2 z2 n2 rest2 <<<"${lines[1]:-}"
	if [ ${#lines[@]} -eq 2 ] && [[ "$s1$z1$s2$z2" =~ ^[0-9a-f]+$ ]] &&
		[ -z "$rest1$rest2" ] && [ "$n1" = wasm:named.wasm:0:fib ] &&
		[ "$n2" = wasm:named.wasm:1 ] && ((0x$z1 > 0 && 0x$z2 > 0 && 0x$s1 + 0x$z1 <= 0x$s2)); then
		ok
	else
		bad "sfrun --perf-map: map lines: ${lines[*]}"
	fi
else
	bad "sfrun --perf-map: no map file ($(cat "$tmp/err"))"
fi
# Without the flag, no map is written.
build/sfrun "$tmp/named.wasm" main 5 >/dev/null 2>"$tmp/err"
if ! grep -q 'perf map' "$tmp/err"; then ok; else bad "sfrun without --perf-map wrote a map"; fi

# sfrun --dump-code=DIR: each defined function's code in DIR/func-INDEX.bin,
# with the objdump command that disassembles it at its address; fib's code
# starts with its entry charge (add to r15) and holds its two calls.
mkdir "$tmp/dump"
out=$(build/sfrun --dump-code="$tmp/dump" "$tmp/named.wasm" main 20 2>"$tmp/err")
cmd=$(sed -n 's/^code: func 0 "fib": //p' "$tmp/err")
if [ "$out" = "i32:6765" ] && [ -n "$cmd" ] && [ -s "$tmp/dump/func-0.bin" ] && [ -s "$tmp/dump/func-1.bin" ] &&
	grep -q '^code: func 1: objdump ' "$tmp/err"; then
	# shellcheck disable=SC2086  # the printed command line is split into words
	dis=$($cmd 2>&1)
	if grep -q 'add  *$0x[0-9a-f]*,%r15' <<<"$dis" && [ "$(grep -c 'call ' <<<"$dis")" -ge 2 ]; then
		ok
	else
		bad "sfrun --dump-code: objdump of fib: $dis"
	fi
else
	bad "sfrun --dump-code: result $out, $(cat "$tmp/err")"
fi
if ! build/sfrun --dump-code="$tmp/none/x" "$tmp/named.wasm" main 5 >/dev/null 2>"$tmp/err" &&
	grep -q "^sfrun: cannot write $tmp/none/x/func-0.bin: " "$tmp/err"; then
	ok
else
	bad "sfrun --dump-code to a missing directory: $(cat "$tmp/err")"
fi

# sfrun --compile-repeat=N: the module compiled N times in the process,
# the last one run, with the same result and code size as a single
# compile; a module that does not validate fails with the same error.
one=$(build/sfrun --stats "$tmp/named.wasm" main 20 2>&1 | grep -E '^(i32:|code size:)')
three=$(build/sfrun --stats --compile-repeat=3 "$tmp/named.wasm" main 20 2>&1 | grep -E '^(i32:|code size:)')
if [ "$(grep -c . <<<"$one")" = 2 ] && [ "$one" = "$three" ]; then
	ok
else
	bad "sfrun --compile-repeat=3: $three, without it: $one"
fi
printf '\0asm\1\0\0\0\1\4\1\x60\0\0\3\2\1\0\n\5\1\3\0\x6a\v' >"$tmp/bad.wasm"
build/sfrun "$tmp/bad.wasm" >/dev/null 2>"$tmp/err1"
rc1=$?
build/sfrun --compile-repeat=3 "$tmp/bad.wasm" >/dev/null 2>"$tmp/err3"
rc3=$?
if [ $rc1 -eq 1 ] && [ $rc3 -eq 1 ] && grep -q 'sfrun: .*bad.wasm: ' "$tmp/err1" && cmp -s "$tmp/err1" "$tmp/err3"; then
	ok
else
	bad "sfrun --compile-repeat=3 on a bad module (exit $rc3): $(cat "$tmp/err3"), without it (exit $rc1): $(cat "$tmp/err1")"
fi

# sfrun after a trap: the message, then the wasm call stack on a line of
# its own (fib(-1) never reaches its base case: the stack runs out at the
# check on fib's entry, its first instruction, 0x2a; the other 15 frames
# kept are at its first recursive call, 0x39; main's call is further out).
build/sfrun "$tmp/named.wasm" main -1 >/dev/null 2>"$tmp/err"
rc=$?
want='^wasm backtrace: #0 func 0 "fib" at 0x2a, #1 func 0 "fib" at 0x39, .*#15 func 0 "fib" at 0x39, \.\.\. [0-9]+ more$'
if [ $rc -eq 2 ] && grep -q '^trap: call stack exhausted (in wasm function 0 "fib")$' "$tmp/err" &&
	grep -Eq "$want" "$tmp/err"; then
	ok
else
	bad "sfrun backtrace (exit $rc): $(cut -c1-300 "$tmp/err")"
fi

echo "tools: $pass passed, $fail failed"
[ $fail -eq 0 ]
