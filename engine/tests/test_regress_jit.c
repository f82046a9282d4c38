/*
** test_regress_jit.c -- regression tests from adversarial testing of the JIT
** (make difftest, engine/tests/fuzz-run.sh, hand-written probes).
**
** The probes target what a single-pass compiler with register locals and
** flag reuse gets wrong: a local's old value still on the value stack when
** the local is overwritten (in a block, an if, a loop, across a call), a
** zero test reusing flags of an operation whose width or operand differs
** (i32.wrap_i64 of an i64.add), flags clobbered by fuel code between a
** producer and its test, and host calls that re-enter wasm or take more
** arguments than fit in registers, and a caller's register locals across
** a callee's C helper calls (memory.grow makes system calls, which
** clobber r11; memmove may use any register C may clobber).  Expected values come from V8 (Node.js)
** on the same module.  Every case runs in each fuel mode, with guard-page
** and with explicitly bounds-checked memory.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <cmocka.h>

#include "slackfuel.h"
#include "testwat.h"

static sf_func *
export_func(sf_instance *inst, const char *name)
{
	sf_extern	ex;

	assert_int_equal(sf_instance_export(inst, name, strlen(name), &ex), SF_OK);
	assert_int_equal(ex.kind, SF_EXTERN_FUNC);
	return ex.of.func;
}

static const char *probe_wat =
"(module\n"
"  (func $id (param i32) (result i32) local.get 0)\n"
"  (func (export \"lazy_block\") (param $x i32) (result i32)\n"
"    local.get $x\n"
"    block\n"
"      i32.const 5\n"
"      local.set $x\n"
"    end\n"
"    local.get $x\n"
"    i32.sub)\n"
"  (func (export \"lazy_if\") (param $x i32) (result i32)\n"
"    local.get $x\n"
"    local.get $x\n"
"    if\n"
"      (local.set $x (i32.const 77))\n"
"    else\n"
"      (local.set $x (i32.const 88))\n"
"    end\n"
"    local.get $x\n"
"    i32.mul)\n"
"  (func (export \"lazy_loop\") (param $x i32) (result i32) (local $i i32)\n"
"    local.get $x\n"
"    loop $l\n"
"      (local.set $x (i32.add (local.get $x) (i32.const 1)))\n"
"      (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
"      (br_if $l (i32.lt_u (local.get $i) (i32.const 5)))\n"
"    end\n"
"    local.get $x\n"
"    i32.sub)\n"
"  (func (export \"lazy_call\") (param $x i32) (result i32)\n"
"    local.get $x\n"
"    (local.set $x (call $id (i32.const 1000)))\n"
"    local.get $x\n"
"    i32.sub)\n"
"  (func (export \"lazy_brif\") (param $x i32) (result i32)\n"
"    (block $b (result i32)\n"
"      local.get $x\n"
"      (local.tee $x (i32.const 3))\n"
"      br_if $b\n"
"      drop\n"
"      i32.const 99)\n"
"    local.get $x\n"
"    i32.add)\n"
"  (func (export \"alias_old_copy\") (param $x i32) (param $y i32) (result i32)\n"
"    local.get $x\n"
"    local.get $x\n"
"    local.get $y\n"
"    i32.add\n"
"    local.set $x\n"
"    local.get $x\n"
"    i32.sub)\n"
"  (func (export \"sub_rev\") (param $x i32) (param $y i32) (result i32)\n"
"    local.get $y\n"
"    local.get $x\n"
"    i32.sub\n"
"    local.set $x\n"
"    local.get $x)\n"
"  (func (export \"shift_self\") (param $x i32) (param $y i32) (result i32)\n"
"    local.get $x\n"
"    local.get $x\n"
"    i32.shl\n"
"    local.set $x\n"
"    local.get $x\n"
"    local.get $y\n"
"    i32.rotr)\n"
"  (func (export \"shift_old\") (param $x i32) (param $y i32) (result i32)\n"
"    local.get $y\n"
"    local.get $x\n"
"    local.get $y\n"
"    i32.shr_u\n"
"    local.tee $y\n"
"    i32.shl)\n"
"  (func (export \"eqz_wrap\") (param $a i64) (param $b i64) (result i32)\n"
"    (i32.eqz (i32.wrap_i64 (i64.add (local.get $a) (local.get $b)))))\n"
"  (func (export \"brif_wrap\") (param $a i64) (param $b i64) (result i32)\n"
"    (block $x (result i32)\n"
"      (br_if $x (i32.const 7) (i32.wrap_i64 (i64.sub (local.get $a) (local.get $b))))\n"
"      drop\n"
"      (i32.const 9)))\n"
"  (func (export \"if_wrap_and\") (param $a i64) (param $b i64) (result i32)\n"
"    (if (result i32) (i32.wrap_i64 (i64.and (local.get $a) (local.get $b))) (then (i32.const 1)) (else (i32.const 2))))\n"
"  (func (export \"eqz_i64_sub\") (param $a i64) (param $b i64) (result i32)\n"
"    (i64.eqz (i64.sub (local.get $a) (local.get $b))))\n"
"  (func (export \"block_between\") (param $a i32) (param $b i32) (result i32)\n"
"    (i32.sub (local.get $a) (local.get $b))\n"
"    (block (param i32) (result i32) nop)\n"
"    (if (result i32) (then (i32.const 1)) (else (i32.const 0))))\n"
"  (func (export \"loop_between\") (param $a i32) (param $b i32) (result i32) (local $i i32)\n"
"    (i32.add (local.get $a) (local.get $b))\n"
"    (loop $l (param i32) (result i32)\n"
"      (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
"      (br_if $l (i32.lt_u (local.get $i) (i32.const 3)))\n"
"      )\n"
"    i32.eqz)\n"
"  (func (export \"shift0\") (param $a i32) (param $b i32) (result i32)\n"
"    (i32.add (local.get $a) (local.get $b))\n"
"    (i32.const 0)\n"
"    i32.shl\n"
"    i32.eqz)\n"
"  (func (export \"rotate_in_place\") (param $a i32) (param $b i32) (result i32)\n"
"    (local.set $a (i32.add (local.get $a) (local.get $b)))\n"
"    (local.set $a (i32.rotl (local.get $a) (i32.const 0)))\n"
"    (i32.eqz (local.get $a)))\n"
"  (func (export \"other_op_between\") (param $a i32) (param $b i32) (result i32) (local $v i32) (local $w i32)\n"
"    (local.set $v (i32.and (local.get $a) (local.get $b)))\n"
"    (local.set $w (i32.shl (local.get $a) (local.get $b)))\n"
"    (i32.add (local.get $w) (if (result i32) (local.get $v) (then (i32.const 1000)) (else (i32.const 2000)))))\n"
"  (func (export \"mul_between\") (param $a i32) (param $b i32) (result i32)\n"
"    (i32.add (local.get $a) (local.get $b))\n"
"    (i32.mul (local.get $a) (local.get $b))\n"
"    drop\n"
"    i32.eqz)\n"
"  (func (export \"cmp_then_test\") (param $a i32) (param $b i32) (result i32)\n"
"    (i32.sub (local.get $a) (local.get $b))\n"
"    (i32.lt_s (local.get $a) (local.get $b))\n"
"    i32.add\n"
"    i32.eqz)\n"
"  (func (export \"swap_test\") (param $a i32) (param $b i32) (result i32)\n"
"    (i32.add (local.get $a) (i32.const 0))\n"
"    (i32.sub (local.get $b) (local.get $b))\n"
"    drop\n"
"    i32.eqz)\n"
"  (func (export \"tee_eqz\") (param $a i32) (param $b i32) (result i32) (local $t i32)\n"
"    (i32.add (i32.eqz (local.tee $t (i32.xor (local.get $a) (local.get $b)))) (local.get $t)))\n"
"  (func (export \"inplace_test\") (param $a i32) (param $b i32) (result i32)\n"
"    (local.set $a (i32.sub (local.get $a) (local.get $b)))\n"
"    (if (result i32) (local.get $a) (then (i32.const 100)) (else (i32.const 200))))\n"
"  (memory 1)\n"
"  (func (export \"target_reader\") (param $x i32) (param $y i32) (result i32)\n"
"    local.get $x\n"
"    (local.set $x (i32.add (local.get $y) (i32.const 5)))\n"
"    local.get $x\n"
"    i32.sub)\n"
"  (func (export \"target_commute\") (param $x i32) (param $y i32) (result i32)\n"
"    local.get $x\n"
"    (local.set $x (i32.sub (call $id (local.get $y)) (local.get $x)))\n"
"    (local.set $y (i32.add (call $id (local.get $y)) (local.get $y)))\n"
"    (i32.mul (local.get $x) (i32.const 100))\n"
"    i32.add\n"
"    local.get $y\n"
"    i32.add)\n"
"  (func (export \"target_load_self\") (param $x i32) (param $y i32) (result i32)\n"
"    (i32.store (i32.const 8) (local.get $y))\n"
"    local.get $x\n"
"    (local.set $x (i32.load (local.get $x)))\n"
"    local.get $x\n"
"    i32.sub)\n"
"  (func (export \"target_mul\") (param $x i32) (param $y i32) (result i32)\n"
"    local.get $x\n"
"    (local.set $x (i32.mul (local.get $y) (i32.const 7)))\n"
"    (local.tee $y (i32.mul (i32.const 3) (local.get $x)))\n"
"    i32.sub\n"
"    local.get $x\n"
"    i32.add)\n"
"  (func (export \"target_flags\") (param $a i32) (param $b i32) (result i32) (local $t i32)\n"
"    (local.set $t (i32.lt_s (local.get $a) (local.get $b)))\n"
"    (i32.mul (local.get $t) (i32.const 10))\n"
"    (local.tee $t (i32.gt_u (local.get $a) (local.get $b)))\n"
"    i32.add)\n"
"  (func (export \"lea_forms\") (param $a i64) (param $b i64) (result i32)\n"
"    (i64.sub (local.get $a) (i64.const -2147483648))\n"
"    (i64.add (local.get $a) (local.get $b))\n"
"    i64.sub\n"
"    (i64.sub (local.get $b) (i64.const 5))\n"
"    i64.add\n"
"    (i64.const 2147483643)\n"
"    i64.eq)\n"
"  (func (export \"store8_imm\") (param $x i32) (param $y i32) (result i32)\n"
"    (i32.store (local.get $x) (i32.const 0x11223344))\n"
"    (i32.store8 offset=1 (local.get $x) (i32.const 0x1ff))\n"
"    (i64.store8 offset=2 (local.get $x) (i64.const 0x1234567800000080))\n"
"    (i32.store8 (i32.const 100) (i32.const -2))\n"
"    (i64.store8 (i32.add (local.get $x) (local.get $y)) (i64.const -1))\n"
"    (i32.add (i32.load (local.get $x)) (i32.load16_u (i32.const 100))))\n"
"  (func (export \"tee_mem_brif\") (param $n i32) (param $y i32) (result i32)\n"
"    (local $a i32) (local $b i32) (local $c i32) (local $d i32) (local $e i32)\n"
"    (loop $l\n"
"      (local.set $a (i32.add (local.get $a) (local.get $y)))\n"
"      (local.set $b (i32.xor (local.get $b) (local.get $a)))\n"
"      (local.set $c (i32.add (local.get $c) (local.get $b)))\n"
"      (local.set $d (i32.sub (local.get $d) (local.get $c)))\n"
"      (local.set $e (i32.add (local.get $e) (i32.add (local.get $d) (local.get $e))))\n"
"      (local.set $y (i32.add (local.get $y) (i32.const 3)))\n"
"      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))\n"
"    (i32.add (local.get $e) (i32.mul (local.get $n) (i32.const 1000))))\n"
"  (func (export \"tee_mem_if\") (param $n i32) (param $y i32) (result i32)\n"
"    (local $a i32) (local $b i32) (local $c i32) (local $d i32) (local $e i32)\n"
"    (local.set $a (i32.add (local.get $a) (local.get $y)))\n"
"    (local.set $b (i32.xor (local.get $b) (local.get $a)))\n"
"    (local.set $c (i32.add (local.get $c) (local.get $b)))\n"
"    (local.set $d (i32.sub (local.get $d) (local.get $c)))\n"
"    (local.set $e (i32.add (local.get $e) (i32.add (local.get $d) (local.get $e))))\n"
"    (local.set $y (i32.add (local.get $y) (i32.add (local.get $a) (local.get $b))))\n"
"    (local.set $y (i32.add (local.get $y) (i32.add (local.get $c) (local.get $d))))\n"
"    (if (result i32) (local.tee $n (i32.and (local.get $n) (local.get $y)))\n"
"      (then (i32.add (local.get $n) (local.get $e)))\n"
"      (else (i32.sub (local.get $y) (local.get $e)))))\n"
"  (func (export \"tee_mem_mul\") (param $n i32) (param $y i32) (result i32)\n"
"    (local $a i32) (local $b i32) (local $c i32) (local $d i32) (local $e i32)\n"
"    (local.set $a (i32.add (local.get $a) (local.get $y)))\n"
"    (local.set $b (i32.xor (local.get $b) (local.get $a)))\n"
"    (local.set $c (i32.add (local.get $c) (local.get $b)))\n"
"    (local.set $d (i32.sub (local.get $d) (local.get $c)))\n"
"    (local.set $e (i32.add (local.get $e) (i32.add (local.get $d) (local.get $e))))\n"
"    (local.set $y (i32.add (local.get $y) (i32.add (local.get $a) (local.get $b))))\n"
"    (local.set $y (i32.add (local.get $y) (i32.add (local.get $c) (local.get $d))))\n"
"    (if (result i32) (local.tee $n (i32.mul (local.get $n) (local.get $y)))\n"
"      (then (i32.add (local.get $n) (local.get $e)))\n"
"      (else (i32.sub (local.get $y) (local.get $e)))))\n"
"  (func $clobber_r9 (result i32)\n"
"    (i32.add (i32.load (i32.const 200))\n"
"      (i32.add (i32.load (i32.const 204))\n"
"        (i32.add (i32.load (i32.const 208)) (i32.load (i32.const 212))))))\n"
"  (func (export \"r9_across_call\") (param $a i32) (param $b i32) (result i32)\n"
"    (local $c i32) (local $d i32) (local $e i32)\n"
"    (i32.store (i32.const 200) (i32.const 1000))\n"
"    (i32.store (i32.const 204) (i32.const 2000))\n"
"    (i32.store (i32.const 208) (i32.const 3000))\n"
"    (i32.store (i32.const 212) (i32.const 4000))\n"
"    (local.set $c (i32.add (local.get $a) (local.get $b)))\n"
"    (local.set $d (i32.mul (local.get $c) (local.get $a)))\n"
"    (local.set $e (i32.xor (local.get $d) (local.get $b)))\n"
"    (local.set $c (i32.add (local.get $c) (local.get $e)))\n"
"    (local.set $d (i32.sub (local.get $d) (local.get $c)))\n"
"    (local.set $a (i32.add (local.get $a) (call $clobber_r9)))\n"
"    (i32.add (local.get $a) (i32.add (local.get $b) (i32.add (local.get $c)\n"
"      (i32.add (local.get $d) (i32.mul (local.get $e) (i32.const 7)))))))\n"
"  (func $helpers (result i32)\n"
"    (memory.copy (i32.const 1000) (i32.const 0) (i32.const 60000))\n"
"    (memory.copy (i32.const 8) (i32.const 1000) (i32.const 60000))\n"
"    (memory.copy (i32.const 3) (i32.const 40000) (i32.const 20000))\n"
"    (memory.fill (i32.const 30000) (i32.const 7) (i32.const 30000))\n"
"    (i32.ne (memory.grow (i32.const 1)) (i32.const -1)))\n"
"  (func (export \"locals_across_helper\") (param $a i32) (param $b i32) (result i32)\n"
"    (local $c i32) (local $d i32) (local $e i32) (local $x f64) (local $y f64)\n"
"    (local.set $c (i32.add (local.get $a) (local.get $b)))\n"
"    (local.set $d (i32.mul (local.get $c) (local.get $a)))\n"
"    (local.set $e (i32.xor (local.get $d) (local.get $b)))\n"
"    (local.set $x (f64.convert_i32_s (local.get $e)))\n"
"    (local.set $y (f64.mul (local.get $x) (f64.const 3)))\n"
"    (local.set $c (i32.add (local.get $c) (local.get $e)))\n"
"    (local.set $d (i32.sub (local.get $d) (local.get $c)))\n"
"    (local.set $a (i32.add (local.get $a) (call $helpers)))\n"
"    (i32.add (i32.trunc_f64_s (f64.sub (local.get $y) (local.get $x)))\n"
"      (i32.add (local.get $a) (i32.add (local.get $b) (i32.add (local.get $c)\n"
"        (i32.add (local.get $d) (i32.mul (local.get $e) (i32.const 7))))))))\n"
"  ;; all six float compares, f32 and f64, of a register with a constant and\n"
"  ;; with a local left in its frame slot (busier fillers hold the registers),\n"
"  ;; either side first; NaN when b = 0\n"
"  (func (export \"fcmp_operands\") (param $a i32) (param $b i32) (result i32)\n"
"    (local $x f64) (local $y f64) (local $p f32) (local $q f32)\n"
"    (local $f0 f64) (local $f1 f64) (local $f2 f64) (local $f3 f64) (local $f4 f64)\n"
"    (local $f5 f64) (local $f6 f64) (local $f7 f64) (local $f8 f64)\n"
"    (loop\n"
"    (local.set $f0 (f64.convert_i32_s (local.get $a)))\n"
"    (local.set $f1 (f64.add (local.get $f0) (local.get $f0)))\n"
"    (local.set $f2 (f64.add (local.get $f1) (local.get $f1)))\n"
"    (local.set $f3 (f64.add (local.get $f2) (local.get $f2)))\n"
"    (local.set $f4 (f64.add (local.get $f3) (local.get $f3)))\n"
"    (local.set $f5 (f64.add (local.get $f4) (local.get $f4)))\n"
"    (local.set $f6 (f64.add (local.get $f5) (local.get $f5)))\n"
"    (local.set $f7 (f64.add (local.get $f6) (local.get $f6)))\n"
"    (local.set $f8 (f64.add (local.get $f7) (local.get $f7))))\n"
"    (local.set $x (f64.mul (f64.convert_i32_s (local.get $a)) (f64.const 0.5)))\n"
"    (local.set $y (f64.mul (f64.div (f64.convert_i32_s (local.get $b)) (f64.convert_i32_s (local.get $b)))\n"
"                           (f64.const 2.5)))\n"
"    (local.set $p (f32.demote_f64 (local.get $x)))\n"
"    (local.set $q (f32.demote_f64 (local.get $y)))\n"
"    (i32.or\n"
"      (i32.or\n"
"        (i32.or\n"
"          (i32.or (f64.gt (local.get $x) (f64.const 2.5))\n"
"                  (i32.shl (f64.ge (local.get $x) (local.get $y)) (i32.const 1)))\n"
"          (i32.or (i32.shl (f64.lt (local.get $y) (local.get $x)) (i32.const 2))\n"
"                  (i32.shl (f64.le (f64.const 2.5) (local.get $x)) (i32.const 3))))\n"
"        (i32.or\n"
"          (i32.or (i32.shl (f64.eq (local.get $x) (local.get $y)) (i32.const 4))\n"
"                  (i32.shl (f64.ne (local.get $y) (f64.const 2.5)) (i32.const 5)))\n"
"          (i32.or (i32.shl (f32.gt (local.get $p) (f32.const 2.5)) (i32.const 6))\n"
"                  (i32.shl (f32.ge (local.get $p) (local.get $q)) (i32.const 7)))))\n"
"      (i32.or\n"
"        (i32.or\n"
"          (i32.or (i32.shl (f32.lt (local.get $q) (local.get $p)) (i32.const 8))\n"
"                  (i32.shl (f32.le (f32.const 2.5) (local.get $p)) (i32.const 9)))\n"
"          (i32.or (i32.shl (f32.eq (local.get $p) (local.get $q)) (i32.const 10))\n"
"                  (i32.shl (f32.ne (local.get $q) (f32.const 2.5)) (i32.const 11))))\n"
"        (i32.or\n"
"          (i32.or (i32.shl (f64.lt (local.get $x) (f64.const 2.5)) (i32.const 12))\n"
"                  (i32.shl (f64.ne (local.get $x) (local.get $y)) (i32.const 13)))\n"
"          (i32.shl (i32.trunc_f64_s (f64.add (local.get $f8) (local.get $f1))) (i32.const 14))))))\n"
"  (func (export \"lea_i32_wrap\") (param $a i32) (param $b i32) (result i32)\n"
"    (i32.sub (local.get $a) (i32.const -2147483648))\n"
"    (i32.add (local.get $a) (local.get $b))\n"
"    i32.add)\n"
"  ;; early returns before the local registers are set up: the early path\n"
"  ;; saves and restores none of them, the rest saves them, loads the\n"
"  ;; parameters and zeroes the locals; callers keep their register locals\n"
"  ;; across both paths\n"
"  (func $early_fib (export \"early_fib\") (param $n i32) (result i32) (local $a i32) (local $i i32)\n"
"    (if (i32.lt_s (local.get $n) (i32.const 2)) (then (return (local.get $n))))\n"
"    (local.set $i (local.get $n))\n"
"    (loop $l\n"
"      (local.set $a (i32.add (local.get $a) (call $early_fib (i32.sub (local.get $i) (i32.const 1)))))\n"
"      (local.set $i (i32.sub (local.get $i) (i32.const 2)))\n"
"      (br_if $l (i32.gt_s (local.get $i) (i32.const 1))))\n"
"    (i32.add (local.get $a) (local.get $i)))\n"
"  (func (export \"early_keeps_caller\") (param $x i32) (param $y i32) (result i32)\n"
"    (local $a i32) (local $b i32) (local $c i32) (local $d i32)\n"
"    (local.set $a (i32.add (local.get $x) (i32.const 1)))\n"
"    (local.set $b (i32.add (local.get $x) (i32.const 2)))\n"
"    (local.set $c (i32.add (local.get $y) (i32.const 3)))\n"
"    (local.set $d (i32.add (local.get $y) (i32.const 4)))\n"
"    (local.set $x (i32.add (i32.mul (call $early_fib (local.get $x)) (i32.const 1000))\n"
"                           (call $early_fib (local.get $y))))\n"
"    (i32.add (local.get $x)\n"
"      (i32.mul (i32.add (i32.mul (local.get $a) (i32.const 3)) (local.get $b))\n"
"               (i32.add (i32.mul (local.get $c) (i32.const 5)) (i32.mul (local.get $d) (local.get $y))))))\n"
"  ;; the early result from another parameter's slot, and a constant\n"
"  (func (export \"early_other\") (param $a i32) (param $b i32) (result i32) (local $t i32)\n"
"    (if (i32.ge_u (local.get $a) (local.get $b)) (then (return (local.get $b))))\n"
"    (local.set $t (i32.mul (local.get $a) (local.get $b)))\n"
"    (i32.sub (local.get $t) (local.get $a)))\n"
"  (func (export \"early_const\") (param $a i64) (param $b i64) (result i32) (local $s i64)\n"
"    (if (i64.eqz (local.get $a)) (then (return (i32.const -7))))\n"
"    (local.set $s (i64.add (local.get $a) (local.get $b)))\n"
"    (i32.wrap_i64 (i64.mul (local.get $s) (local.get $a))))\n"
"  ;; declared local 0 returned from its frame slot (the others are used\n"
"  ;; more, so it gets no register): its slot is not result 0's\n"
"  (func (export \"ret_decl0\") (result i32)\n"
"    (local $r i32) (local $a i32) (local $b i32) (local $c i32) (local $d i32) (local $e i32) (local $f i32)\n"
"    (local.set $r (i32.const 42))\n"
"    (local.set $a (i32.const 1)) (local.set $b (i32.const 2)) (local.set $c (i32.const 3))\n"
"    (local.set $d (i32.const 4)) (local.set $e (i32.const 5)) (local.set $f (i32.const 6))\n"
"    (local.set $a (i32.add (local.get $a) (local.get $b)))\n"
"    (local.set $c (i32.add (local.get $c) (local.get $d)))\n"
"    (local.set $e (i32.add (local.get $e) (local.get $f)))\n"
"    (drop (i32.add (i32.add (local.get $a) (local.get $b)) (i32.add (local.get $c) (local.get $d))))\n"
"    (drop (i32.add (local.get $e) (local.get $f)))\n"
"    (local.get $r))\n"
"  ;; ten float locals: the ninth hottest lives in caller-saved xmm7, kept\n"
"  ;; across a direct call and a call_indirect to a callee whose deep\n"
"  ;; expression uses every value register\n"
"  (type $ff (func (param f64) (result f64)))\n"
"  (table 1 funcref)\n"
"  (elem (i32.const 0) $clobber)\n"
"  (func $clobber (param $x f64) (result f64)\n"
"    (f64.add (f64.mul (local.get $x) (f64.const 1.5))\n"
"    (f64.add (f64.mul (local.get $x) (f64.const 2.5))\n"
"    (f64.add (f64.mul (local.get $x) (f64.const 3.5))\n"
"    (f64.add (f64.mul (local.get $x) (f64.const 4.5))\n"
"    (f64.add (f64.mul (local.get $x) (f64.const 5.5))\n"
"    (f64.add (f64.mul (local.get $x) (f64.const 6.5))\n"
"    (f64.add (f64.mul (local.get $x) (f64.const 7.5))\n"
"             (f64.mul (local.get $x) (f64.const 8.5))))))))))\n"
"  (func (export \"float_locals_calls\") (param $a i32) (param $b i32) (result i32)\n"
"    (local $f0 f64) (local $f1 f64) (local $f2 f64) (local $f3 f64) (local $f4 f64)\n"
"    (local $f5 f64) (local $f6 f64) (local $f7 f64) (local $f8 f64) (local $f9 f64) (local $i i32)\n"
"    (local.set $f0 (f64.convert_i32_s (local.get $a)))\n"
"    (local.set $f1 (f64.add (local.get $f0) (f64.const 1)))\n"
"    (local.set $f2 (f64.add (local.get $f1) (f64.const 1)))\n"
"    (local.set $f3 (f64.add (local.get $f2) (f64.const 1)))\n"
"    (local.set $f4 (f64.add (local.get $f3) (f64.const 1)))\n"
"    (local.set $f5 (f64.add (local.get $f4) (f64.const 1)))\n"
"    (local.set $f6 (f64.add (local.get $f5) (f64.const 1)))\n"
"    (local.set $f7 (f64.add (local.get $f6) (f64.const 1)))\n"
"    (local.set $f8 (f64.convert_i32_s (local.get $b)))\n"
"    (local.set $f9 (f64.add (local.get $f8) (f64.const 0.25)))\n"
"    (loop $l\n"
"      (local.set $f8 (f64.add (local.get $f8) (call $clobber (local.get $f9))))\n"
"      (local.set $f9 (f64.sub (local.get $f9)\n"
"                              (call_indirect (type $ff) (local.get $f8) (i32.const 0))))\n"
"      (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
"      (br_if $l (i32.lt_u (local.get $i) (i32.const 2))))\n"
"    ;; every value register at once, xmm7's local among them\n"
"    (i32.trunc_f64_s\n"
"      (f64.add\n"
"        (f64.add (f64.mul (local.get $f0) (f64.const 1))\n"
"        (f64.add (f64.mul (local.get $f1) (f64.const 3))\n"
"        (f64.add (f64.mul (local.get $f2) (f64.const 5))\n"
"        (f64.add (f64.mul (local.get $f3) (f64.const 7))\n"
"        (f64.add (f64.mul (local.get $f4) (f64.const 11))\n"
"        (f64.add (f64.mul (local.get $f5) (f64.const 13))\n"
"        (f64.add (f64.mul (local.get $f6) (f64.const 17))\n"
"                 (f64.mul (local.get $f7) (f64.const 19)))))))))\n"
"        (f64.add (f64.mul (local.get $f8) (f64.const 0.001)) (f64.mul (local.get $f9) (f64.const 0.0001))))))\n"
")\n";

typedef struct jit_case
{
	const char *name;
	int			is64;			/* parameters are i64, else i32 */
	int			nargs;
	int64_t		args[2];
	int32_t		expect;
} jit_case;

static const jit_case cases[] = {
	{"lazy_block", 0, 1, {INT64_C(0), INT64_C(0)}, -5},
	{"lazy_block", 0, 1, {INT64_C(100), INT64_C(0)}, 95},
	{"lazy_if", 0, 1, {INT64_C(0), INT64_C(0)}, 0},
	{"lazy_if", 0, 1, {INT32_MIN, INT64_C(0)}, INT32_MIN},
	{"lazy_loop", 0, 1, {INT64_C(7), INT64_C(0)}, -5},
	{"lazy_call", 0, 1, {INT64_C(255), INT64_C(0)}, -745},
	{"lazy_brif", 0, 1, {INT64_C(0), INT64_C(0)}, 3},
	{"lazy_brif", 0, 1, {INT64_C(-5), INT64_C(0)}, -2},
	{"alias_old_copy", 0, 2, {INT64_C(10), INT64_C(3)}, -3},
	{"sub_rev", 0, 2, {INT64_C(10), INT64_C(3)}, -7},
	{"shift_self", 0, 2, {INT64_C(3), INT64_C(5)}, -1073741824},
	{"shift_old", 0, 2, {INT64_C(100), INT64_C(2)}, 67108864},
	{"eqz_wrap", 1, 2, {INT64_C(4294967296), INT64_C(0)}, 1},
	{"eqz_wrap", 1, 2, {INT64_C(4294967295), INT64_C(1)}, 1},
	{"brif_wrap", 1, 2, {INT64_C(4294967296), INT64_C(0)}, 9},
	{"if_wrap_and", 1, 2, {INT64_C(4294967296), INT64_C(-1)}, 2},
	{"eqz_i64_sub", 1, 2, {INT64_C(4294967296), INT64_C(0)}, 0},
	{"block_between", 0, 2, {INT64_C(5), INT64_C(5)}, 0},
	{"loop_between", 0, 2, {INT64_C(5), INT64_C(-5)}, 1},
	{"shift0", 0, 2, {INT64_C(5), INT64_C(-5)}, 1},
	{"rotate_in_place", 0, 2, {INT64_C(5), INT64_C(-5)}, 1},
	{"other_op_between", 0, 2, {INT64_C(1), INT64_C(2)}, 2004},
	{"mul_between", 0, 2, {INT64_C(5), INT64_C(-5)}, 1},
	{"cmp_then_test", 0, 2, {INT64_C(3), INT64_C(4)}, 1},
	{"swap_test", 0, 2, {INT64_C(0), INT64_C(7)}, 1},
	{"tee_eqz", 0, 2, {INT64_C(9), INT64_C(9)}, 1},
	{"inplace_test", 0, 2, {INT64_C(9), INT64_C(9)}, 200},
	{"target_reader", 0, 2, {INT64_C(10), INT64_C(3)}, 2},
	{"target_commute", 0, 2, {INT64_C(10), INT64_C(3)}, -684},
	{"target_load_self", 0, 2, {INT64_C(8), INT64_C(3)}, 5},
	{"target_mul", 0, 2, {INT64_C(10), INT64_C(3)}, -32},
	{"target_flags", 0, 2, {INT64_C(1), INT64_C(2)}, 10},
	{"target_flags", 0, 2, {INT64_C(-1), INT64_C(2)}, 11},
	{"lea_forms", 1, 2, {INT64_C(0x123456789), INT64_C(-7)}, 1},
	{"store8_imm", 0, 2, {INT64_C(16), INT64_C(3)}, -8323006},
	{"store8_imm", 0, 2, {INT64_C(1), INT64_C(100)}, 293732162},
	{"tee_mem_brif", 0, 2, {INT64_C(5), INT64_C(7)}, -1314},
	{"tee_mem_brif", 0, 2, {INT64_C(1), INT64_C(7)}, -7},
	{"tee_mem_if", 0, 2, {INT64_C(1), INT64_C(6)}, 24},
	{"tee_mem_if", 0, 2, {INT64_C(2), INT64_C(6)}, -4},
	{"tee_mem_if", 0, 2, {INT64_C(-1), INT64_C(6)}, 12},
	{"tee_mem_mul", 0, 2, {INT64_C(0), INT64_C(6)}, 24},
	{"tee_mem_mul", 0, 2, {INT64_C(3), INT64_C(6)}, 48},
	{"tee_mem_mul", 0, 2, {INT64_C(65536), INT64_C(65536)}, 262144},
	{"r9_across_call", 0, 2, {INT64_C(10), INT64_C(3)}, 11046},
	{"r9_across_call", 0, 2, {INT64_C(-5), INT64_C(100)}, 6491},
	{"locals_across_helper", 0, 2, {INT64_C(10), INT64_C(3)}, 1305},
	{"locals_across_helper", 0, 2, {INT64_C(-5), INT64_C(100)}, -4402},
	{"lea_i32_wrap", 0, 2, {INT64_C(-1), INT64_C(5)}, -2147483645},
	{"fcmp_operands", 0, 2, {INT64_C(5), INT64_C(1)}, 21137050},
	{"fcmp_operands", 0, 2, {INT64_C(4), INT64_C(1)}, 16920576},
	{"fcmp_operands", 0, 2, {INT64_C(5), INT64_C(0)}, 21146152},
	{"fcmp_operands", 0, 2, {INT64_C(7), INT64_C(3)}, 29598671},
	{"fcmp_operands", 0, 2, {INT64_C(-3), INT64_C(2)}, -12668928},
	{"fcmp_operands", 0, 2, {INT64_C(0), INT64_C(0)}, 14368},
	{"early_fib", 0, 1, {INT64_C(20)}, 6765},
	{"early_fib", 0, 1, {INT64_C(1)}, 1},
	{"early_fib", 0, 1, {INT64_C(0)}, 0},
	{"early_keeps_caller", 0, 2, {INT64_C(1), INT64_C(12)}, 3547},
	{"early_keeps_caller", 0, 2, {INT64_C(12), INT64_C(1)}, 145326},
	{"early_keeps_caller", 0, 2, {INT64_C(9), INT64_C(10)}, 42460},
	{"early_other", 0, 2, {INT64_C(5), INT64_C(3)}, 3},
	{"early_other", 0, 2, {INT64_C(3), INT64_C(5)}, 12},
	{"early_const", 1, 2, {INT64_C(0), INT64_C(9)}, -7},
	{"early_const", 1, 2, {INT64_C(3), INT64_C(4)}, 21},
	{"early_const", 1, 2, {INT64_C(-5), INT64_C(2)}, 15},
	{"ret_decl0", 0, 0, {0}, 42},
	{"float_locals_calls", 0, 2, {INT64_C(1), INT64_C(2)}, 894},
	{"float_locals_calls", 0, 2, {INT64_C(-7), INT64_C(100)}, 19533},
	{"float_locals_calls", 0, 2, {INT64_C(30), INT64_C(-3)}, 2116},
};

static void
run_cases(sf_fuel_mode mode, int bounds_checked)
{
	sf_config	cfg;
	sf_module  *m;
	sf_store   *s;
	sf_instance *inst;
	sf_error	err;

	sf_config_default(&cfg);
	cfg.fuel_mode = mode;
	cfg.bounds_checked = bounds_checked;
	/* the SSE forms where the CPU has AVX too */
	cfg.jit_no_avx = bounds_checked;
	m = load_wat_cfg(probe_wat, &cfg);
	s = sf_store_new(NULL, &err);
	assert_non_null(s);
	inst = sf_instance_new(s, m, NULL, 0, &err);
	if (inst == NULL)
		fail_msg("instantiate: %s", err.msg);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		const jit_case *c = &cases[i];
		sf_val		a[2], r;
		sf_call_opts opts = {.fuel_limit = 100000000};	/* a grow's page included */

		for (int k = 0; k < c->nargs; k++)
		{
			memset(&a[k], 0, sizeof(a[k]));
			a[k].type = c->is64 ? SF_I64 : SF_I32;
			if (c->is64)
				a[k].of.i64 = c->args[k];
			else
				a[k].of.i32 = (int32_t) c->args[k];
		}
		if (sf_call(export_func(inst, c->name), a, (uint32_t) c->nargs, &r, 1,
					mode == SF_FUEL_OFF ? NULL : &opts, &err) != SF_OK)
			fail_msg("%s (mode %d, bounds %d): %s", c->name, mode, bounds_checked, err.msg);
		if (r.of.i32 != c->expect)
			fail_msg("%s(%lld, %lld) (mode %d, bounds %d) = %d, expected %d", c->name,
					 (long long) c->args[0], (long long) c->args[1], mode, bounds_checked,
					 r.of.i32, c->expect);
	}
	sf_store_free(s);
	sf_module_free(m);
}

static void
test_locals_and_flags(void **state)
{
	static const sf_fuel_mode modes[] = {SF_FUEL_OFF, SF_FUEL_PRECISE, SF_FUEL_SLACKED};

	for (int i = 0; i < 3; i++)
		for (int b = 0; b < 2; b++)
			run_cases(modes[i], b);
}

/*
** A host function that calls back into wasm: nested activations, a trap
** in the inner one (caught by the host), register locals of the outer
** frame preserved across it.
*/
static sf_func *reenter_target;

static int
host_reenter(sf_ctx *ctx, void *env, const sf_val *args, sf_val *results)
{
	sf_val		x = args[0], y;
	sf_error	err;
	sf_status	st = sf_call(reenter_target, &x, 1, &y, 1, NULL, &err);

	results[0].type = SF_I32;
	results[0].of.i32 = st == SF_OK ? y.of.i32 : -1000 - (int32_t) err.trap;
	return 0;
}

static void
test_reentrant_host_call(void **state)
{
	sf_module  *m = load_wat_cfg(
		"(module (import \"env\" \"reenter\" (func $re (param i32) (result i32)))"
		" (func (export \"inner\") (param $x i32) (result i32)"
		"   (if (i32.eq (local.get $x) (i32.const 13)) (then unreachable))"
		"   (if (i32.gt_s (local.get $x) (i32.const 0))"
		"     (then (return (i32.add (call $re (i32.sub (local.get $x) (i32.const 1))) (local.get $x)))))"
		"   (local.get $x))"
		" (func (export \"outer\") (param $x i32) (result i32) (local $a i32) (local $b i32) (local $c i64)"
		"   (local.set $a (i32.mul (local.get $x) (i32.const 3)))"
		"   (local.set $b (i32.add (local.get $x) (i32.const 7)))"
		"   (local.set $c (i64.const 0x123456789))"
		"   (i32.add (i32.add (local.get $a) (call $re (local.get $x)))"
		"            (i32.add (local.get $b) (i32.wrap_i64 (local.get $c))))))", NULL);
	sf_store   *s = sf_store_new(NULL, NULL);
	static const sf_valtype p[] = {SF_I32};
	sf_functype ft = {1, 1, p, p};
	sf_extern	imp;
	sf_instance *inst;
	sf_error	err;
	static const int32_t in[] = {5, 20, 0, 3};
	/* 3x + inner(x) + x + 7 + 0x23456789; inner(20) = -1001 + (14 + ... + 20) */
	static const int32_t out[] = {591751091, 591750254, 591751056, 591751074};

	imp.kind = SF_EXTERN_FUNC;
	imp.of.func = sf_func_new_host(s, &ft, host_reenter, NULL, &err);
	inst = sf_instance_new(s, m, &imp, 1, &err);
	assert_non_null(inst);
	reenter_target = export_func(inst, "inner");
	for (int i = 0; i < 4; i++)
	{
		sf_val		a = {.type = SF_I32}, r;

		a.of.i32 = in[i];
		assert_int_equal(sf_call(export_func(inst, "outer"), &a, 1, &r, 1, NULL, &err), SF_OK);
		assert_int_equal(r.of.i32, out[i]);
	}
	sf_store_free(s);
	sf_module_free(m);
}

/* 16 mixed parameters and results: more than the argument registers hold. */
static int
host_many(sf_ctx *ctx, void *env, const sf_val *a, sf_val *r)
{
	uint64_t	sum = 0;			/* wraps */

	for (int i = 0; i < 16; i++)
	{
		float		f;
		double		d;

		switch (i % 4)
		{
			case 0:
				sum = sum * 31 + (uint64_t) (int64_t) a[i].of.i32;
				break;
			case 1:
				sum = sum * 31 + (uint64_t) a[i].of.i64;
				break;
			case 2:
				memcpy(&f, &a[i].of.f32_bits, 4);
				sum = sum * 31 + (uint64_t) (int64_t) f;
				break;
			default:
				memcpy(&d, &a[i].of.f64_bits, 8);
				sum = sum * 31 + (uint64_t) (int64_t) d;
				break;
		}
	}
	for (int i = 0; i < 16; i++)
		r[i] = a[i];
	r[0].of.i32 = (int32_t) (uint32_t) sum;
	return 0;
}

static void
test_many_host_args(void **state)
{
	sf_module  *m = load_wat_cfg(
		"(module (import \"env\" \"many\" (func $many"
		"   (param i32 i64 f32 f64 i32 i64 f32 f64 i32 i64 f32 f64 i32 i64 f32 f64)"
		"   (result i32 i64 f32 f64 i32 i64 f32 f64 i32 i64 f32 f64 i32 i64 f32 f64)))"
		" (func (export \"f\") (param $x i32) (result i64)"
		"   (local $l f64) (local $a i32) (local $b i64) (local $c f32) (local $d f64)"
		"   (local.set $l (f64.const 2.5))"
		"   (call $many (local.get $x) (i64.const 2) (f32.const 3) (f64.const 4) (i32.const 5)"
		"     (i64.const 6) (f32.const 7) (f64.const 8) (i32.const 9) (i64.const 10) (f32.const 11)"
		"     (f64.const 12) (i32.const 13) (i64.const 14) (f32.const 15) (f64.const 16))"
		"   (drop) (drop) (drop) (drop) (drop) (drop) (drop) (drop) (drop) (drop) (drop) (drop)"
		"   (local.set $d) (local.set $c) (local.set $b) (local.set $a)"
		"   (i64.add (i64.add (i64.extend_i32_s (local.get $a)) (i64.mul (local.get $b) (i64.const 1000)))"
		"     (i64.add (i64.trunc_f32_s (f32.mul (local.get $c) (f32.const 100000)))"
		"       (i64.trunc_f64_s (f64.mul (f64.add (local.get $d) (local.get $l)) (f64.const 10000000)))))))",
		NULL);
	sf_store   *s = sf_store_new(NULL, NULL);
	static const sf_valtype t[] = {SF_I32, SF_I64, SF_F32, SF_F64, SF_I32, SF_I64, SF_F32, SF_F64,
	SF_I32, SF_I64, SF_F32, SF_F64, SF_I32, SF_I64, SF_F32, SF_F64};
	sf_functype ft = {16, 16, t, t};
	sf_extern	imp;
	sf_instance *inst;
	sf_error	err;
	sf_val		a = {.type = SF_I32}, r;

	imp.kind = SF_EXTERN_FUNC;
	imp.of.func = sf_func_new_host(s, &ft, host_many, NULL, &err);
	inst = sf_instance_new(s, m, &imp, 1, &err);
	assert_non_null(inst);
	a.of.i32 = 100;
	assert_int_equal(sf_call(export_func(inst, "f"), &a, 1, &r, 1, NULL, &err), SF_OK);
	/* (int32) checksum(100, 2, ..., 16) + 2 * 1000 + 3 * 100000 + 6.5 * 1e7 */
	assert_int_equal(r.of.i64, -208483275);
	sf_store_free(s);
	sf_module_free(m);
}

/*
** Bug: the stack limit was max_stack_bytes below the caller's frame even
** when the thread's stack ends sooner, so deep recursion on a thread with
** a small stack (default 1 MiB limit, 256 KiB thread), or with a limit
** larger than the stack, ran into the guard page: SIGSEGV killed the
** process instead of trapping with "call stack exhausted".
*/
typedef struct stack_run
{
	uint64_t	max_stack_bytes;
	int			via_host;		/* recurse through a re-entrant host call */
	sf_status	status;
	sf_trap_kind trap;
	int			again_ok;		/* the store still works afterwards */
} stack_run;

static sf_func *recurse_target;

static int
host_recurse(sf_ctx *ctx, void *env, const sf_val *args, sf_val *results)
{
	sf_val		y;
	sf_error	err;

	results[0].type = SF_I32;
	if (sf_call(recurse_target, args, 1, &y, 1, NULL, &err) != SF_OK)
	{
		sf_ctx_set_error(ctx, err.msg);
		return 1;
	}
	results[0].of.i32 = y.of.i32 + 1;
	return 0;
}

static void *
stack_thread(void *arg)
{
	stack_run  *run = arg;
	sf_module  *m = load_wat_cfg(
		"(module (import \"env\" \"h\" (func $h (param i32) (result i32)))"
		" (func $f (export \"f\") (param i32) (result i32) (local f64 f64 f64 f64)"
		"   (if (result i32) (local.get 0)"
		"     (then (i32.add (call $f (local.get 0)) (i32.const 1)))"
		"     (else (call $h (local.get 0)))))"
		" (func (export \"small\") (result i32) (i32.const 42)))", NULL);
	sf_store_config scfg = {.max_stack_bytes = run->max_stack_bytes};
	sf_store   *s = sf_store_new(&scfg, NULL);
	static const sf_valtype p[] = {SF_I32};
	sf_functype ft = {1, 1, p, p};
	sf_extern	imp = {.kind = SF_EXTERN_FUNC}, x;
	sf_instance *inst;
	sf_error	err;
	sf_val		a = {.type = SF_I32}, r;

	imp.of.func = sf_func_new_host(s, &ft, host_recurse, NULL, &err);
	inst = sf_instance_new(s, m, &imp, 1, &err);
	assert_non_null(inst);
	assert_int_equal(sf_instance_export(inst, "f", 1, &x), SF_OK);
	recurse_target = x.of.func;
	a.of.i32 = run->via_host ? 0 : 1;
	run->status = sf_call(x.of.func, &a, 1, &r, 1, NULL, &err);
	run->trap = err.trap;
	assert_int_equal(sf_instance_export(inst, "small", 5, &x), SF_OK);
	run->again_ok = sf_call(x.of.func, NULL, 0, &r, 1, NULL, &err) == SF_OK && r.of.i32 == 42;
	sf_store_free(s);
	sf_module_free(m);
	return NULL;
}

static void
test_stack_exhaustion_on_small_thread_stack(void **state)
{
	static const struct
	{
		size_t		thread_stack;
		uint64_t	max_stack_bytes;
	}			cfgs[] = {{256 << 10, 0}, {512 << 10, 64 << 20}, {1 << 20, 0}};

	for (int i = 0; i < 3; i++)
		for (int via_host = 0; via_host < 2; via_host++)
		{
			stack_run	run = {.max_stack_bytes = cfgs[i].max_stack_bytes, .via_host = via_host};
			pthread_attr_t attr;
			pthread_t	th;

			assert_int_equal(pthread_attr_init(&attr), 0);
			assert_int_equal(pthread_attr_setstacksize(&attr, cfgs[i].thread_stack), 0);
			assert_int_equal(pthread_create(&th, &attr, stack_thread, &run), 0);
			assert_int_equal(pthread_join(th, NULL), 0);
			pthread_attr_destroy(&attr);
			assert_int_equal(run.status, SF_TRAP);
			/* through the host the innermost exhaustion surfaces as a host failure */
			if (!via_host)
				assert_int_equal(run.trap, SF_TRAP_STACK_EXHAUSTED);
			assert_true(run.again_ok);
		}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_locals_and_flags),
		cmocka_unit_test(test_reentrant_host_call),
		cmocka_unit_test(test_many_host_args),
		cmocka_unit_test(test_stack_exhaustion_on_small_thread_stack),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
