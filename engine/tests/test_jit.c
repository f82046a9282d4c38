/*
** test_jit.c -- compile and run small modules: results, traps (with the
** trapping function named), host calls, linking between instances, limits,
** W^X, and the fault-handler chaining for faults outside JIT code.
**
** Modules are written in the text format and converted by sf_wat_to_wasm.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "slackfuel.h"
#include "codemem.h"
#include "runtime.h"
#include "testwat.h"

static sf_module *
load_wat(const char *text)
{
	return load_wat_cfg(text, NULL);
}

static sf_instance *
instantiate(sf_store *s, sf_module *m, const sf_extern *imports, uint32_t n)
{
	sf_error	err;
	sf_instance *inst = sf_instance_new(s, m, imports, n, &err);

	if (inst == NULL)
		fail_msg("instantiate: %s", err.msg);
	return inst;
}

static sf_func *
export_func(sf_instance *inst, const char *name)
{
	sf_extern	ex;

	assert_int_equal(sf_instance_export(inst, name, strlen(name), &ex), SF_OK);
	assert_int_equal(ex.kind, SF_EXTERN_FUNC);
	return ex.of.func;
}

static sf_val
i32v(int32_t v)
{
	sf_val		r;

	memset(&r, 0, sizeof(r));
	r.type = SF_I32;
	r.of.i32 = v;
	return r;
}

/* Call a function of (i32...) -> i32 and return the result. */
static sf_status
call_i32(sf_func *f, int nargs, const int32_t *args, int32_t *out, sf_error *err)
{
	sf_val		a[8], r;
	sf_status	st;

	for (int i = 0; i < nargs; i++)
		a[i] = i32v(args[i]);
	st = sf_call(f, a, (uint32_t) nargs, &r, 1, NULL, err);
	if (st == SF_OK)
		*out = r.of.i32;
	return st;
}

static const char *arith_wat =
"(module"
"  (func $fib (export \"fib\") (param i32) (result i32)"
"    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))"
"      (then (local.get 0))"
"      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))"
"                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))"
"  (func (export \"sum\") (param i32) (result i32) (local i32 i32)"
"    (block (loop"
"      (br_if 1 (i32.ge_s (local.get 1) (local.get 0)))"
"      (local.set 2 (i32.add (local.get 2) (local.get 1)))"
"      (local.set 1 (i32.add (local.get 1) (i32.const 1)))"
"      (br 0)))"
"    (local.get 2))"
"  (func (export \"swap\") (param i32 i32) (result i32 i32) (local.get 1) (local.get 0))"
"  (func (export \"switch\") (param i32) (result i32)"
"    (block (block (block (block (br_table 0 1 2 3 (local.get 0)))"
"      (return (i32.const 10))) (return (i32.const 11))) (return (i32.const 12)))"
"    (i32.const 13))"
"  (func (export \"fmin\") (param f64 f64) (result f64) (f64.min (local.get 0) (local.get 1)))"
"  (func (export \"trunc\") (param f64) (result i32) (i32.trunc_f64_s (local.get 0)))"
"  (func (export \"sat\") (param f64) (result i32) (i32.trunc_sat_f64_u (local.get 0)))"
")";

static void
test_arith(void **state)
{
	sf_module  *m = load_wat(arith_wat);
	sf_store   *s = sf_store_new(NULL, NULL);
	sf_instance *inst = instantiate(s, m, NULL, 0);
	sf_error	err;
	int32_t		r, a = 20, b2[2] = {3, 4};
	sf_val		args[2], res[2];

	assert_int_equal(call_i32(export_func(inst, "fib"), 1, &a, &r, &err), SF_OK);
	assert_int_equal(r, 6765);
	a = 100;
	assert_int_equal(call_i32(export_func(inst, "sum"), 1, &a, &r, &err), SF_OK);
	assert_int_equal(r, 4950);
	args[0] = i32v(b2[0]);
	args[1] = i32v(b2[1]);
	assert_int_equal(sf_call(export_func(inst, "swap"), args, 2, res, 2, NULL, &err), SF_OK);
	assert_int_equal(res[0].of.i32, 4);
	assert_int_equal(res[1].of.i32, 3);
	for (int i = 0; i < 6; i++)
	{
		assert_int_equal(call_i32(export_func(inst, "switch"), 1, &i, &r, &err), SF_OK);
		assert_int_equal(r, i < 3 ? 10 + i : 13);
	}
	/* min(-0, +0) is -0; NaN wins */
	{
		double		z = 0.0, nz = -0.0, nan = __builtin_nan("");

		args[0].type = args[1].type = SF_F64;
		memcpy(&args[0].of.f64_bits, &z, 8);
		memcpy(&args[1].of.f64_bits, &nz, 8);
		assert_int_equal(sf_call(export_func(inst, "fmin"), args, 2, res, 1, NULL, &err), SF_OK);
		assert_true(res[0].of.f64_bits == 0x8000000000000000ull);
		memcpy(&args[1].of.f64_bits, &nan, 8);
		assert_int_equal(sf_call(export_func(inst, "fmin"), args, 2, res, 1, NULL, &err), SF_OK);
		assert_true((res[0].of.f64_bits & 0x7ff8000000000000ull) == 0x7ff8000000000000ull);
	}
	/* trapping vs saturating conversion at the exact bounds */
	{
		double		ok = -2147483648.9, bad = 2147483648.0, neg = -5.0;

		args[0].type = SF_F64;
		memcpy(&args[0].of.f64_bits, &ok, 8);
		assert_int_equal(sf_call(export_func(inst, "trunc"), args, 1, res, 1, NULL, &err), SF_OK);
		assert_int_equal(res[0].of.i32, INT32_MIN);
		memcpy(&args[0].of.f64_bits, &bad, 8);
		assert_int_equal(sf_call(export_func(inst, "trunc"), args, 1, res, 1, NULL, &err), SF_TRAP);
		assert_int_equal(err.trap, SF_TRAP_INT_OVERFLOW);
		assert_int_equal(sf_call(export_func(inst, "sat"), args, 1, res, 1, NULL, &err), SF_OK);
		assert_int_equal(res[0].of.i32, (int32_t) 2147483648u);
		memcpy(&args[0].of.f64_bits, &neg, 8);
		assert_int_equal(sf_call(export_func(inst, "sat"), args, 1, res, 1, NULL, &err), SF_OK);
		assert_int_equal(res[0].of.i32, 0);
	}
	sf_store_free(s);
	sf_module_free(m);
}

static const char *trap_wat =
"(module"
"  (memory 1)"
"  (table 2 funcref)"
"  (type $v (func))"
"  (func $f0 (export \"div\") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))"
"  (func $f1 (export \"oob\") (param i32) (result i32) (i32.load offset=4 (local.get 0)))"
"  (func $f2 (export \"unreachable\") (unreachable))"
"  (func $f3 (export \"deep\") (param i32) (result i32)"
"    (i32.add (call $f3 (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))"
"  (func $f4 (export \"indirect\") (param i32) (call_indirect (type $v) (local.get 0)))"
"  (func $f5 (result i32) (i32.const 1))"
"  (elem (i32.const 0) $f5)"
")";

/* Append a name section naming function 2 "boom". */
static sf_module *
load_with_name(const char *text)
{
	uint8_t    *wasm, *w2;
	size_t		len;
	sf_error	err;
	sf_module  *m;
	static const uint8_t names[] = {
		0x00, 0x0e, 0x04, 'n', 'a', 'm', 'e',	/* custom section "name" */
		0x01, 0x07, 0x01, 0x02, 0x04, 'b', 'o', 'o', 'm'	/* func 2 = "boom" */
	};

	if (sf_wat_to_wasm(text, strlen(text), &wasm, &len, &err) != SF_OK)
		fail_msg("wat: %s", err.msg);
	w2 = malloc(len + sizeof(names));
	memcpy(w2, wasm, len);
	memcpy(w2 + len, names, sizeof(names));
	m = sf_module_load(w2, len + sizeof(names), NULL, &err);
	free(wasm);
	free(w2);
	if (m == NULL)
		fail_msg("load: %s", err.msg);
	return m;
}

static void
test_traps(void **state)
{
	sf_module  *m = load_with_name(trap_wat);
	sf_store_config cfg = {.max_stack_bytes = 64 * 1024};
	sf_store   *s = sf_store_new(&cfg, NULL);
	sf_instance *inst = instantiate(s, m, NULL, 0);
	sf_error	err;
	int32_t		r, a2[2] = {INT32_MIN, -1}, one = 1;

	assert_int_equal(call_i32(export_func(inst, "div"), 2, a2, &r, &err), SF_TRAP);
	assert_int_equal(err.trap, SF_TRAP_INT_OVERFLOW);
	assert_int_equal(err.func_index, 0);
	a2[1] = 0;
	assert_int_equal(call_i32(export_func(inst, "div"), 2, a2, &r, &err), SF_TRAP);
	assert_int_equal(err.trap, SF_TRAP_DIV_BY_ZERO);
	a2[0] = 65532;
	assert_int_equal(call_i32(export_func(inst, "oob"), 1, a2, &r, &err), SF_TRAP);
	assert_int_equal(err.trap, SF_TRAP_MEMORY_OOB);
	assert_int_equal(err.func_index, 1);
	assert_int_equal(sf_call(export_func(inst, "unreachable"), NULL, 0, NULL, 0, NULL, &err), SF_TRAP);
	assert_int_equal(err.trap, SF_TRAP_UNREACHABLE);
	/* every field filled, as by sf_call: the offset is the unreachable's (test_backtrace) */
	assert_true(err.offset > 0);
	assert_int_equal(err.nframes, 1);
	assert_int_equal(err.frames[0].offset, err.offset);
	assert_non_null(strstr(err.msg, "boom"));
	assert_int_equal(call_i32(export_func(inst, "deep"), 1, &one, &r, &err), SF_TRAP);
	assert_int_equal(err.trap, SF_TRAP_STACK_EXHAUSTED);
	assert_int_equal(sf_call(export_func(inst, "indirect"), (sf_val[]) {i32v(0)}, 1, NULL, 0, NULL, &err), SF_TRAP);
	assert_int_equal(err.trap, SF_TRAP_INDIRECT_MISMATCH);
	assert_int_equal(sf_call(export_func(inst, "indirect"), (sf_val[]) {i32v(1)}, 1, NULL, 0, NULL, &err), SF_TRAP);
	assert_int_equal(err.trap, SF_TRAP_UNINIT_ELEMENT);
	assert_int_equal(sf_call(export_func(inst, "indirect"), (sf_val[]) {i32v(2)}, 1, NULL, 0, NULL, &err), SF_TRAP);
	assert_int_equal(err.trap, SF_TRAP_UNDEFINED_ELEMENT);
	/* the instance still works after traps */
	a2[0] = 7;
	a2[1] = 2;
	assert_int_equal(call_i32(export_func(inst, "div"), 2, a2, &r, &err), SF_OK);
	assert_int_equal(r, 3);
	sf_store_free(s);
	sf_module_free(m);
}

static int
host_add(sf_ctx *ctx, void *env, const sf_val *args, sf_val *results)
{
	(*(int *) env)++;
	if (args[0].of.i32 < 0)
	{
		sf_ctx_set_error(ctx, "negative input rejected by host");
		return 1;
	}
	results[0] = i32v(args[0].of.i32 + args[1].of.i32);
	return 0;
}

/* 'm' instantiated with host_add, counting its calls in '*calls', as env.add. */
static sf_instance *
instantiate_with_add(sf_store *s, sf_module *m, int *calls, sf_extern *imp)
{
	static const sf_valtype p[] = {SF_I32, SF_I32}, r1[] = {SF_I32};
	sf_functype ft = {2, 1, p, r1};

	imp->kind = SF_EXTERN_FUNC;
	imp->of.func = sf_func_new_host(s, &ft, host_add, calls, NULL);
	return instantiate(s, m, imp, 1);
}

static void
test_host_calls(void **state)
{
	sf_module  *m = load_wat(
		"(module (import \"env\" \"add\" (func $add (param i32 i32) (result i32)))"
		"  (func (export \"f\") (param i32) (result i32)"
		"    (i32.mul (call $add (local.get 0) (i32.const 10)) (i32.const 2))))");
	sf_store   *s = sf_store_new(NULL, NULL);
	int			calls = 0;
	sf_extern	imp;
	sf_instance *inst;
	sf_error	err;
	int32_t		r, a = 5;

	inst = instantiate_with_add(s, m, &calls, &imp);
	assert_int_equal(call_i32(export_func(inst, "f"), 1, &a, &r, &err), SF_OK);
	assert_int_equal(r, 30);
	a = -1;
	assert_int_equal(call_i32(export_func(inst, "f"), 1, &a, &r, &err), SF_TRAP);
	assert_int_equal(err.trap, SF_TRAP_HOST);
	assert_non_null(strstr(err.msg, "negative input rejected"));
	assert_int_equal(calls, 2);
	sf_store_free(s);
	sf_module_free(m);
}

/*
** sf_ctx_instance: a host function called by a start function reaches the
** instance being made and calls its export "get" before sf_instance_new
** returns; called with no wasm caller, it is NULL.
*/
static int
host_call_export(sf_ctx *ctx, void *env, const sf_val *args, sf_val *results)
{
	sf_instance *inst = sf_ctx_instance(ctx);
	sf_extern	ex;
	sf_error	err;
	sf_val		r;

	*(sf_instance **) env = inst;
	if (inst == NULL || sf_instance_export(inst, "get", 3, &ex) != SF_OK ||
		sf_call(ex.of.func, NULL, 0, &r, 1, NULL, &err) != SF_OK)
		return 1;
	results[0] = i32v(r.of.i32 + 1);
	return 0;
}

static void
test_ctx_instance(void **state)
{
	sf_module  *m = load_wat(
		"(module (import \"env\" \"h\" (func $h (result i32)))"
		"  (global $g (mut i32) (i32.const 41))"
		"  (func (export \"get\") (result i32) (global.get $g))"
		"  (func $start (global.set $g (call $h)))"
		"  (start $start))");
	sf_store   *s = sf_store_new(NULL, NULL);
	static const sf_valtype r1[] = {SF_I32};
	sf_functype ft = {0, 1, NULL, r1};
	sf_instance *seen = NULL;
	sf_extern	imp;
	sf_instance *inst;
	sf_error	err;
	int32_t		r;

	imp.kind = SF_EXTERN_FUNC;
	imp.of.func = sf_func_new_host(s, &ft, host_call_export, &seen, NULL);
	inst = instantiate(s, m, &imp, 1);
	assert_ptr_equal(seen, inst);
	assert_int_equal(call_i32(export_func(inst, "get"), 0, NULL, &r, &err), SF_OK);
	assert_int_equal(r, 42);
	/* called directly, not from wasm: no instance */
	assert_int_equal(call_i32(imp.of.func, 0, NULL, &r, &err), SF_TRAP);
	assert_null(seen);
	sf_store_free(s);
	sf_module_free(m);
}

/*
** sf_call_slots: raw slots in and out; counts checked; the upper half of
** an i32 slot is ignored (an address with garbage above bit 31 must not
** reach outside memory); traps and host functions as with sf_call.
** sf_call_slots_checked, for the functions sf_call_slots_ok accepts.
*/
static void
test_call_slots(void **state)
{
	sf_module  *m = load_wat(
		"(module (import \"env\" \"add\" (func $add (param i32 i32) (result i32)))"
		"  (memory 1) (data (i32.const 0) \"\\2a\")"
		"  (func (export \"swap\") (param i32 i64) (result i64 i32) (local.get 1) (local.get 0))"
		"  (func (export \"ld\") (param i32) (result i32) (i32.load8_u (local.get 0)))"
		"  (func (export \"ld3\") (param i64 i32 i32) (result i32)"
		"    (i32.add (i32.load8_u (local.get 1)) (i32.load8_u (local.get 2))))"
		"  (func (export \"boom\") (unreachable))"
		"  (func (export \"viahost\") (param i32) (result i32) (call $add (local.get 0) (i32.const 1))))");
	sf_store   *s = sf_store_new(NULL, NULL);
	int			calls = 0;
	sf_extern	imp;
	sf_instance *inst;
	sf_error	err;
	sf_call_opts opts = {.fuel_limit = 1000000};
	uint64_t	slots[2];

	inst = instantiate_with_add(s, m, &calls, &imp);

	slots[0] = UINT64_C(0xdeadbeef00000007);
	slots[1] = UINT64_C(0x123456789);
	assert_int_equal(sf_call_slots(export_func(inst, "swap"), slots, 2, 2, &opts, &err), SF_OK);
	assert_true(slots[0] == UINT64_C(0x123456789));
	assert_int_equal((uint32_t) slots[1], 7);

	slots[0] = UINT64_C(0xffffffff00000000);
	assert_int_equal(sf_call_slots(export_func(inst, "ld"), slots, 1, 1, NULL, &err), SF_OK);
	assert_int_equal((uint32_t) slots[0], 42);

	assert_int_equal(sf_call_slots(export_func(inst, "ld"), slots, 2, 1, NULL, &err), SF_BADARG);
	assert_int_equal(sf_call_slots(export_func(inst, "ld"), slots, 1, 0, NULL, &err), SF_BADARG);

	memset(&err, 0x55, sizeof(err));
	assert_int_equal(sf_call_slots(export_func(inst, "boom"), slots, 0, 0, &opts, &err), SF_TRAP);
	assert_int_equal(err.trap, SF_TRAP_UNREACHABLE);

	slots[0] = 41;
	assert_int_equal(sf_call_slots(export_func(inst, "viahost"), slots, 1, 1, &opts, &err), SF_OK);
	assert_int_equal((uint32_t) slots[0], 42);
	slots[0] = UINT64_C(0xffffffff00000002);	/* the host sees 2, not -1 */
	slots[1] = 3;
	assert_int_equal(sf_call_slots(imp.of.func, slots, 2, 1, NULL, &err), SF_OK);
	assert_int_equal((uint32_t) slots[0], 5);
	slots[0] = (uint32_t) -1;
	assert_int_equal(sf_call_slots(imp.of.func, slots, 2, 1, NULL, &err), SF_TRAP);
	assert_int_equal(err.trap, SF_TRAP_HOST);
	assert_int_equal(calls, 3);

	/* the checked form: its counts accepted once, i32 slots still narrowed */
	assert_true(sf_call_slots_ok(export_func(inst, "ld"), 1, 1));
	assert_false(sf_call_slots_ok(export_func(inst, "ld"), 2, 1));
	assert_false(sf_call_slots_ok(export_func(inst, "ld"), 1, 0));
	assert_false(sf_call_slots_ok(imp.of.func, 2, 1));
	assert_false(sf_call_slots_ok(NULL, 0, 0));
	slots[0] = UINT64_C(0xffffffff00000000);
	assert_int_equal(sf_call_slots_checked(export_func(inst, "ld"), slots, &opts, &err), SF_OK);
	assert_int_equal((uint32_t) slots[0], 42);
	{
		uint64_t	s3[3] = {UINT64_C(0xffffffffffffffff), UINT64_C(0xffffffff00000000),
		UINT64_C(0x8000000000000000)};

		assert_true(sf_call_slots_ok(export_func(inst, "ld3"), 3, 1));
		assert_int_equal(sf_call_slots_checked(export_func(inst, "ld3"), s3, &opts, &err), SF_OK);
		assert_int_equal((uint32_t) s3[0], 84);
	}
	assert_true(opts.fuel_consumed > 0);
	assert_true(sf_call_slots_ok(export_func(inst, "boom"), 0, 0));
	memset(&err, 0x55, sizeof(err));
	assert_int_equal(sf_call_slots_checked(export_func(inst, "boom"), slots, &opts, &err), SF_TRAP);
	assert_int_equal(err.trap, SF_TRAP_UNREACHABLE);
	sf_store_free(s);
	sf_module_free(m);
}

/*
** A prepared call: refused where sf_call_slots_checked is; its slots in and
** out, i32 slots narrowed; the fuel it reports equals sf_call_slots'; a
** trap is described by sf_prepared_error and the next call runs as fresh;
** an interrupt requested before it traps at once.
*/
static void
test_prepared_call(void **state)
{
	sf_module  *m = load_wat(
		"(module (import \"env\" \"add\" (func $add (param i32 i32) (result i32)))"
		"  (memory 1) (data (i32.const 0) \"\\2a\")"
		"  (func (export \"ld3\") (param i64 i32 i32) (result i32)"
		"    (i32.add (i32.load8_u (local.get 1)) (i32.load8_u (local.get 2))))"
		"  (func (export \"boom\") (param i32) (result i32) (if (local.get 0) (then unreachable)) (local.get 0))"
		"  (func (export \"ext\") (param i32) (result i64) (i64.extend_i32_u (local.get 0)))"
		"  (func (export \"ld1\") (param i32) (result i32) (i32.load8_u (local.get 0))))");
	sf_store   *s = sf_store_new(NULL, NULL);
	int			calls = 0;
	sf_extern	imp;
	sf_instance *inst;
	sf_error	err;
	sf_call_opts opts = {.fuel_limit = 1000000};
	void	   *mem = malloc(sf_prepared_size());
	void	   *mem2 = malloc(sf_prepared_size());
	sf_prepared *ld3 = mem, *boom = mem2;
	uint64_t   *slots, consumed = 0, s3[3];

	inst = instantiate_with_add(s, m, &calls, &imp);

	assert_false(sf_prepare(mem, imp.of.func, 2, 1));
	assert_false(sf_prepare(mem, export_func(inst, "ld3"), 2, 1));
	assert_false(sf_prepare(mem, export_func(inst, "ld3"), 3, 0));
	assert_true(sf_prepare(mem, export_func(inst, "ld3"), 3, 1));
	assert_true(sf_prepare(mem2, export_func(inst, "boom"), 1, 1));

	slots = sf_prepared_slots(ld3);
	for (int i = 0; i < 2; i++)
	{
		slots[0] = UINT64_C(0xffffffffffffffff);
		slots[1] = UINT64_C(0xffffffff00000000);
		slots[2] = UINT64_C(0x8000000000000000);
		assert_int_equal(sf_prepared_call(ld3, 1000000, &consumed), SF_OK);
		assert_int_equal((uint32_t) slots[0], 84);
	}
	s3[0] = 0;
	s3[1] = 0;
	s3[2] = 0;
	assert_int_equal(sf_call_slots_checked(export_func(inst, "ld3"), s3, &opts, &err), SF_OK);
	assert_true(consumed > 0);
	assert_true(consumed == opts.fuel_consumed);

	slots = sf_prepared_slots(boom);
	slots[0] = 1;
	assert_int_equal(sf_prepared_call(boom, 1000000, &consumed), SF_TRAP);
	slots[0] = 0;
	assert_int_equal(sf_prepared_call(boom, 1000000, &consumed), SF_OK);
	assert_int_equal((uint32_t) slots[0], 0);
	memset(&err, 0x55, sizeof(err));
	sf_prepared_error(boom, &err);
	assert_int_equal(err.status, SF_TRAP);
	assert_int_equal(err.trap, SF_TRAP_UNREACHABLE);
	assert_int_equal(err.func_index, 2);
	assert_non_null(strstr(err.msg, "unreachable"));

	sf_request_interrupt();
	slots[0] = 0;
	assert_int_equal(sf_prepared_call(boom, 1000000, &consumed), SF_TRAP);
	sf_prepared_error(boom, &err);
	assert_int_equal(err.trap, SF_TRAP_INTERRUPTED);
	slots[0] = 0;
	assert_int_equal(sf_prepared_call(boom, 1000000, &consumed), SF_OK);

	/* a first i32 parameter is narrowed too: its extension is 5 */
	assert_true(sf_prepare(mem, export_func(inst, "ext"), 1, 1));
	slots = sf_prepared_slots(ld3);
	slots[0] = UINT64_C(0xffffffff00000005);
	assert_int_equal(sf_prepared_call(ld3, 1000000, &consumed), SF_OK);
	assert_int_equal(slots[0], 5);
	/* and as an address: the upper half would take it out of memory */
	assert_true(sf_prepare(mem, export_func(inst, "ld1"), 1, 1));
	slots = sf_prepared_slots(ld3);
	slots[0] = UINT64_C(0xffffffff00000000);
	assert_int_equal(sf_prepared_call(ld3, 1000000, &consumed), SF_OK);
	assert_int_equal((uint32_t) slots[0], 42);
	/* and as the result: an i32 result slot's upper half is zero */
	slots = sf_prepared_slots(boom);
	slots[0] = UINT64_C(0xffffffff00000000);
	assert_int_equal(sf_prepared_call(boom, 1000000, &consumed), SF_OK);
	assert_int_equal(slots[0], 0);

	/* each call's own limit, a fresh prepared call's first one 0 */
	assert_true(sf_prepare(mem2, export_func(inst, "boom"), 1, 1));
	slots = sf_prepared_slots(boom);
	for (int i = 0; i < 2; i++)
	{
		uint64_t	limits[] = {0, 1000000, 1, 1000000};

		for (int j = 0; j < 4; j++)
		{
			slots[0] = 0;
			assert_int_equal(sf_prepared_call(boom, limits[j], &consumed),
							 limits[j] > 1 ? SF_OK : SF_TRAP);
			if (limits[j] <= 1)
			{
				sf_prepared_error(boom, &err);
				assert_int_equal(err.trap, SF_TRAP_OUT_OF_FUEL);
			}
			assert_true(consumed > 1);
		}
	}

	free(mem);
	free(mem2);
	sf_store_free(s);
	sf_module_free(m);
}

/*
** Interrupts during a prepared call: a CPU-time timer whose handler only
** requests one (no asynchronous check), so the function runs to its end and
** the request is found at the return.  'spin' counts 200M down: far more
** CPU time than the timer's millisecond.
*/
#define SPIN_N 200000000
#define SPIN_FUEL UINT64_C(1000000000000000)

static void
on_vtalrm(int sig)
{
	sf_request_interrupt();
}

static void
arm_interrupt(void)
{
	struct itimerval it = {{0, 0}, {0, 1000}};

	signal(SIGVTALRM, on_vtalrm);
	assert_int_equal(setitimer(ITIMER_VIRTUAL, &it, NULL), 0);
}

static void
disarm_interrupt(void)
{
	struct itimerval it = {{0, 0}, {0, 0}};

	setitimer(ITIMER_VIRTUAL, &it, NULL);
	signal(SIGVTALRM, SIG_DFL);
}

/* The host function 'h': a nested prepared call interrupted during its run. */
typedef struct nested_env
{
	sf_store   *s;
	int			busy;			/* sf_store_busy(s) in the host function */
	sf_prepared *p;
	sf_status	st[2];
	uint64_t	consumed[2];
	sf_trap_kind trap[2];
} nested_env;

static int
host_nested(sf_ctx *ctx, void *env, const sf_val *args, sf_val *results)
{
	nested_env *e = env;
	sf_error	err;

	e->busy = sf_store_busy(e->s);
	for (int i = 0; i < 2; i++)
	{
		if (i == 0)
			arm_interrupt();
		sf_prepared_slots(e->p)[0] = SPIN_N;
		e->st[i] = sf_prepared_call(e->p, SPIN_FUEL, &e->consumed[i]);
		if (i == 0)
			disarm_interrupt();
		sf_prepared_error(e->p, &err);
		e->trap[i] = err.trap;
	}
	results[0] = i32v(0);
	return 0;
}

/* A prepared call through sf_prepared_call (way 0) or its two halves. */
static sf_status
prepared_call_way(int way, sf_prepared *p, uint64_t fuel_limit, uint64_t *consumed)
{
	sf_prepared_ret ret;

	if (way == 0)
		return sf_prepared_call(p, fuel_limit, consumed);
	ret = sf_prepared_entry(p) (p, fuel_limit);
	if (ret.r == 0)
	{
		*consumed = ret.consumed;
		return SF_OK;
	}
	return sf_prepared_end(ret, consumed);
}

/*
** Both ways of a prepared call, the stub's ('spin': one slot) and C's
** ('spin2': a second i32 slot to narrow), each called by sf_prepared_call
** and by its halves (sf_prepared_entry, sf_prepared_end), decide as
** sf_call does: a trap,
** out of fuel at the return, an interrupt requested before the call (at
** once, nothing consumed) and during it (consumed by the outermost call,
** which clears the request), out of fuel winning over an interrupt during
** the call; a nested prepared call leaves the request for the call around
** it, and its next call traps at once.
*/
static void
test_prepared_decisions(void **state)
{
	sf_module  *m = load_wat(
		"(module (import \"env\" \"h\" (func $h (param i32) (result i32)))"
		"  (func $spin (export \"spin\") (param $n i32) (result i32)"
		"    (if (i32.lt_s (local.get $n) (i32.const 0)) (then unreachable))"
		"    (block $done (loop $l (br_if $done (i32.eqz (local.get $n)))"
		"      (local.set $n (i32.sub (local.get $n) (i32.const 1))) (br $l)))"
		"    (local.get $n))"
		"  (func (export \"spin2\") (param i32 i32) (result i32)"
		"    (call $spin (i32.add (local.get 0) (local.get 1))))"
		"  (func (export \"outer\") (param i32) (result i32) (call $h (local.get 0))))");
	sf_store   *s = sf_store_new(NULL, NULL);
	static const sf_valtype p1[] = {SF_I32}, r1[] = {SF_I32};
	sf_functype ft = {1, 1, p1, r1};
	nested_env	env;
	sf_extern	imp;
	sf_instance *inst;
	sf_error	err;
	int32_t		a = 0,
				r;
	void	   *mem[3];
	sf_prepared *ps[2];
	uint64_t	consumed;

	for (int i = 0; i < 3; i++)
		mem[i] = malloc(sf_prepared_size());
	memset(&env, 0, sizeof(env));
	imp.kind = SF_EXTERN_FUNC;
	imp.of.func = sf_func_new_host(s, &ft, host_nested, &env, NULL);
	inst = instantiate(s, m, &imp, 1);
	assert_true(sf_prepare(mem[0], export_func(inst, "spin"), 1, 1));
	assert_true(sf_prepare(mem[1], export_func(inst, "spin2"), 2, 1));
	ps[0] = mem[0];
	ps[1] = mem[1];
	assert_non_null(ps[0]->stub);
	assert_null(ps[1]->stub);
	assert_ptr_equal(sf_prepared_entry(ps[0]), ps[0]->stub);
	assert_ptr_not_equal(sf_prepared_entry(ps[1]), NULL);

	for (int way = 0; way < 2; way++)
		for (int k = 0; k < 2; k++)
		{
			sf_prepared *pp = ps[k];
			uint64_t   *slots = sf_prepared_slots(pp);

			/* a trap (the upper half of slot 0 is not the argument's) */
			slots[0] = UINT64_C(0xffffffff80000000);
			slots[1] = UINT64_C(0xffffffff00000000);
			assert_int_equal(prepared_call_way(way, pp, SPIN_FUEL, &consumed), SF_TRAP);
			sf_prepared_error(pp, &err);
			assert_int_equal(err.trap, SF_TRAP_UNREACHABLE);
			assert_true(consumed > 0);

			/* out of fuel at the return, then a run with room */
			slots[0] = 1000;
			slots[1] = 0;
			assert_int_equal(prepared_call_way(way, pp, 100, &consumed), SF_TRAP);
			sf_prepared_error(pp, &err);
			assert_int_equal(err.trap, SF_TRAP_OUT_OF_FUEL);
			assert_true(consumed > 100);
			slots[0] = 1000;
			slots[1] = 0;
			assert_int_equal(prepared_call_way(way, pp, SPIN_FUEL, &consumed), SF_OK);
			assert_int_equal((uint32_t) slots[0], 0);
			assert_true(consumed > 1000);

			/* an interrupt before the call: at once, nothing consumed */
			sf_request_interrupt();
			slots[0] = 5;
			slots[1] = 0;
			assert_int_equal(prepared_call_way(way, pp, SPIN_FUEL, &consumed), SF_TRAP);
			sf_prepared_error(pp, &err);
			assert_int_equal(err.trap, SF_TRAP_INTERRUPTED);
			assert_int_equal(consumed, 0);
			slots[0] = 5;
			assert_int_equal(prepared_call_way(way, pp, SPIN_FUEL, &consumed), SF_OK);

			/* during the call: found at the return, and cleared */
			slots[0] = SPIN_N;
			slots[1] = 0;
			arm_interrupt();
			assert_int_equal(prepared_call_way(way, pp, SPIN_FUEL, &consumed), SF_TRAP);
			disarm_interrupt();
			sf_prepared_error(pp, &err);
			assert_int_equal(err.trap, SF_TRAP_INTERRUPTED);
			assert_true(consumed > SPIN_N);
			slots[0] = 5;
			assert_int_equal(prepared_call_way(way, pp, SPIN_FUEL, &consumed), SF_OK);

			/* out of fuel wins over an interrupt during the call */
			slots[0] = SPIN_N;
			slots[1] = 0;
			arm_interrupt();
			assert_int_equal(prepared_call_way(way, pp, 1000, &consumed), SF_TRAP);
			disarm_interrupt();
			sf_prepared_error(pp, &err);
			assert_int_equal(err.trap, SF_TRAP_OUT_OF_FUEL);
			assert_true(consumed > SPIN_N);
			slots[0] = 5;
			assert_int_equal(prepared_call_way(way, pp, SPIN_FUEL, &consumed), SF_OK);
		}

	/* nested in a call of 'outer': the request stays for it */
	assert_true(sf_prepare(mem[2], export_func(inst, "spin"), 1, 1));
	env.p = mem[2];
	env.s = s;
	assert_false(sf_store_busy(s));
	assert_int_equal(call_i32(export_func(inst, "outer"), 1, &a, &r, &err), SF_TRAP);
	assert_true(env.busy);		/* a call of the store's runs */
	assert_false(sf_store_busy(s));
	assert_int_equal(err.trap, SF_TRAP_INTERRUPTED);
	assert_int_equal(env.st[0], SF_TRAP);
	assert_int_equal(env.trap[0], SF_TRAP_INTERRUPTED);
	assert_true(env.consumed[0] > SPIN_N);
	assert_int_equal(env.st[1], SF_TRAP);
	assert_int_equal(env.trap[1], SF_TRAP_INTERRUPTED);
	assert_int_equal(env.consumed[1], 0);
	/* the outermost call consumed the request */
	sf_prepared_slots(ps[0])[0] = 5;
	assert_int_equal(sf_prepared_call(ps[0], SPIN_FUEL, &consumed), SF_OK);

	for (int i = 0; i < 3; i++)
		free(mem[i]);
	sf_store_free(s);
	sf_module_free(m);
}

/* Instance B calls A's function through A's table and shares A's memory. */
static void
test_linking(void **state)
{
	sf_module  *ma = load_wat(
		"(module (memory (export \"mem\") 1 2) (global (export \"g\") (mut i32) (i32.const 5))"
		"  (table (export \"tab\") 2 funcref) (elem (i32.const 0) $get)"
		"  (func $get (export \"get\") (result i32) (i32.load (i32.const 0))))");
	sf_module  *mb = load_wat(
		"(module (import \"a\" \"mem\" (memory 1)) (import \"a\" \"g\" (global $g (mut i32)))"
		"  (import \"a\" \"tab\" (table 2 funcref))"
		"  (type $t (func (result i32)))"
		"  (func (export \"run\") (result i32)"
		"    (i32.store (i32.const 0) (i32.const 42))"
		"    (global.set $g (i32.add (global.get $g) (i32.const 1)))"
		"    (i32.add (call_indirect (type $t) (i32.const 0)) (global.get $g))))");
	sf_store   *s = sf_store_new(NULL, NULL);
	sf_instance *a = instantiate(s, ma, NULL, 0), *b;
	sf_extern	imps[3];
	sf_error	err;
	sf_val		res;
	sf_extern	g;

	assert_int_equal(sf_instance_export(a, "mem", 3, &imps[0]), SF_OK);
	assert_int_equal(sf_instance_export(a, "g", 1, &imps[1]), SF_OK);
	assert_int_equal(sf_instance_export(a, "tab", 3, &imps[2]), SF_OK);
	b = instantiate(s, mb, imps, 3);
	assert_int_equal(sf_call(export_func(b, "run"), NULL, 0, &res, 1, NULL, &err), SF_OK);
	assert_int_equal(res.of.i32, 42 + 6);
	assert_int_equal(sf_instance_export(a, "g", 1, &g), SF_OK);
	assert_int_equal(sf_global_get(g.of.global).of.i32, 6);
	/* a memory import demanding more than exists does not link */
	{
		sf_module  *mc = load_wat("(module (import \"a\" \"mem\" (memory 3)))");

		assert_null(sf_instance_new(s, mc, imps, 1, &err));
		assert_int_equal(err.status, SF_UNLINKABLE);
		sf_module_free(mc);
	}
	sf_store_free(s);
	sf_module_free(ma);
	sf_module_free(mb);
}

/* memory.grow stops at the store's cap; data segments trap in order. */
static void
test_memory_limits(void **state)
{
	sf_module  *m = load_wat(
		"(module (memory 1) (func (export \"grow\") (param i32) (result i32)"
		"  (memory.grow (local.get 0))))");
	sf_module  *bad = load_wat(
		"(module (memory (export \"m\") 1) (data (i32.const 0) \"ok\") (data (i32.const 65535) \"xx\"))");
	sf_store_config cfg = {.max_memory_bytes = 4 * 65536};
	sf_store   *s = sf_store_new(&cfg, NULL);
	sf_instance *inst = instantiate(s, m, NULL, 0);
	sf_error	err;
	int32_t		r, d = 3;
	const uint64_t *size = sf_memory_size_ref(sf_instance_memory(inst));

	assert_int_equal(*size, 65536);
	assert_int_equal(call_i32(export_func(inst, "grow"), 1, &d, &r, &err), SF_OK);
	assert_int_equal(r, 1);
	assert_int_equal(*size, 4 * 65536);	/* the same place, grown */
	d = 1;
	assert_int_equal(call_i32(export_func(inst, "grow"), 1, &d, &r, &err), SF_OK);
	assert_int_equal(r, -1);
	assert_int_equal(sf_memory_size(sf_instance_memory(inst)), 4 * 65536);
	assert_null(sf_instance_new(s, bad, NULL, 0, &err));
	assert_int_equal(err.status, SF_TRAP);
	assert_int_equal(err.trap, SF_TRAP_MEMORY_OOB);
	sf_store_free(s);
	sf_module_free(m);
	sf_module_free(bad);
}

/* No mapping of the process may be writable and executable at once. */
static void
test_wx(void **state)
{
	sf_module  *m = load_wat(arith_wat);
	FILE	   *f;
	char		line[512];
	int			wx = 0, x = 0;

	assert_int_equal(sf_module_compile(m, NULL), SF_OK);
	f = fopen("/proc/self/maps", "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
	{
		char		perms[8];

		if (sscanf(line, "%*s %7s", perms) != 1)
			continue;
		if (perms[1] == 'w' && perms[2] == 'x')
			wx++;
		if (perms[2] == 'x')
			x++;
	}
	fclose(f);
	assert_int_equal(wx, 0);
	assert_true(x > 0);
	sf_module_free(m);
}

static void
child_handler(int sig)
{
	_exit(42);
}

/* The child of test_foreign_fault_chains: fault outside JIT code. */
static int
fault_child(void)
{
	sf_store   *s;

	signal(SIGSEGV, child_handler);
	s = sf_store_new(NULL, NULL);	/* installs ours on top of child_handler */
	if (s == NULL)
		return 1;
	raise(SIGSEGV);
	return 2;
}

/* A fault outside JIT code goes to the handler installed before ours. */
static void
test_foreign_fault_chains(void **state)
{
	pid_t		pid;
	int			status;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
	{
		execl("/proc/self/exe", "test_jit", "fault-child", (char *) NULL);
		_exit(3);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 42);
}

/*
** Regression: i32.mul by a constant reused its operand's register without
** marking it busy, so the next allocation handed the same register out
** (x - x / 13 * 13 came out as 0).
*/
static void
test_mul_imm_keeps_register(void **state)
{
	sf_module  *m = load_wat(
		"(module (func (export \"f\") (param i32) (result i32)"
		"  local.get 0 local.get 0 i32.const 13 i32.div_u i32.const 13 i32.mul i32.sub))");
	sf_store   *s = sf_store_new(NULL, NULL);
	sf_instance *inst = instantiate(s, m, NULL, 0);
	sf_error	err;
	int32_t		r, a = 20;

	assert_int_equal(call_i32(export_func(inst, "f"), 1, &a, &r, &err), SF_OK);
	assert_int_equal(r, 7);
	sf_store_free(s);
	sf_module_free(m);
}

/* Locals in registers survive calls and are re-read after local.set. */
static void
test_register_locals(void **state)
{
	sf_module  *m = load_wat(
		"(module (func $id (param i32) (result i32) (local.get 0))"
		"  (func (export \"f\") (param i32) (result i32) (local i32 f64)"
		"    (local.set 1 (i32.const 5))"
		"    (local.set 2 (f64.const 1.5))"
		"    (local.get 1)"
		"    (local.set 1 (call $id (i32.add (local.get 0) (local.get 1))))"
		"    (i32.add (local.get 1))"
		"    (i32.add (i32.trunc_f64_s (f64.mul (local.get 2) (f64.const 2))))))");
	sf_store   *s = sf_store_new(NULL, NULL);
	sf_instance *inst = instantiate(s, m, NULL, 0);
	sf_error	err;
	int32_t		r, a = 10;

	/* 5 (old local 1) + 15 (new local 1) + 3 */
	assert_int_equal(call_i32(export_func(inst, "f"), 1, &a, &r, &err), SF_OK);
	assert_int_equal(r, 23);
	sf_store_free(s);
	sf_module_free(m);
}

/*
** Hostile input: a br_table with 60000 targets must compile in linear time
** (trampolines are shared per target depth, not searched for).
*/
static void
test_br_table_large(void **state)
{
	size_t		cap = 400000;
	char	   *text = malloc(cap);
	size_t		n = 0;
	sf_module  *m;
	sf_store   *s = sf_store_new(NULL, NULL);
	sf_instance *inst;
	sf_error	err;
	int32_t		r, a;

	n += (size_t) snprintf(text + n, cap - n, "(module (func (export \"f\") (param i32) (result i32)"
						   " (block (block (br_table");
	for (int i = 0; i < 60000; i++)
		n += (size_t) snprintf(text + n, cap - n, " %d", i & 1);
	snprintf(text + n, cap - n, " 0 (local.get 0))) (return (i32.const 1))) (i32.const 2)))");
	m = load_wat(text);
	free(text);
	inst = instantiate(s, m, NULL, 0);
	a = 0;
	assert_int_equal(call_i32(export_func(inst, "f"), 1, &a, &r, &err), SF_OK);
	assert_int_equal(r, 1);
	a = 59999;
	assert_int_equal(call_i32(export_func(inst, "f"), 1, &a, &r, &err), SF_OK);
	assert_int_equal(r, 2);
	a = -1;						/* out of range: the default, depth 0 */
	assert_int_equal(call_i32(export_func(inst, "f"), 1, &a, &r, &err), SF_OK);
	assert_int_equal(r, 1);
	sf_store_free(s);
	sf_module_free(m);
}

/*
** Code is written in place into a block of 3x the wasm size; code that
** outgrows it moves to a growing buffer and is copied into place.  Both
** paths must give running code: memory.size + drop (3 bytes of wasm)
** compile to over 12 bytes of x86, so this body takes the second path.
*/
static void
test_code_outgrows_estimate(void **state)
{
	size_t		cap = 200000;
	char	   *text = malloc(cap);
	size_t		n = 0;
	sf_module  *m;
	sf_store   *s = sf_store_new(NULL, NULL);
	sf_instance *inst;
	sf_compile_stats st;
	sf_error	err;
	int32_t		r;

	n += (size_t) snprintf(text + n, cap - n, "(module (memory 1)"
						   " (func (export \"small\") (result i32) (i32.const 5))"
						   " (func (export \"big\") (result i32)");
	for (int i = 0; i < 8000; i++)
		n += (size_t) snprintf(text + n, cap - n, " (drop (memory.size))");
	snprintf(text + n, cap - n, " (i32.const 7)))");
	m = load_wat(text);
	free(text);
	inst = instantiate(s, m, NULL, 0);
	sf_module_compile_stats(m, &st);
	assert_true(st.code_bytes > 3 * st.wasm_code_bytes + 4096);
	/* a small block holds its code's whole pages */
	assert_int_equal(st.code_held_bytes, (st.code_bytes + 4095) & ~(uint64_t) 4095);
	assert_int_equal(call_i32(export_func(inst, "big"), 0, NULL, &r, &err), SF_OK);
	assert_int_equal(r, 7);
	assert_int_equal(call_i32(export_func(inst, "small"), 0, NULL, &r, &err), SF_OK);
	assert_int_equal(r, 5);
	sf_store_free(s);
	sf_module_free(m);
}

/*
** The compiler's arrays start in one block sized by estimates from the
** module (compile_module.c, presize); one that outgrows its part moves to
** a malloc of its own.  This module outgrows every estimate: a body of
** 6-byte calls (the call fixups), blocks nested 150 deep (the control
** stack), 300 float constants (the constant pool and its uses), 300
** divisions (trap branches) and 300 if-without-else (fuel's hoists), in
** each fuel mode.  The results, and the fuel of precise and slacked mode,
** must agree.
*/
static void
test_arrays_outgrow_presize(void **state)
{
	size_t		cap = 400000;
	char	   *text = malloc(cap);
	size_t		n = 0;
	uint64_t	fuel[3];

	n += (size_t) snprintf(text + n, cap - n, "(module"
						   " (func $leaf (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))"
						   " (func (export \"many\") (param i32) (result i32)");
	for (int i = 0; i < 2000; i++)
		n += (size_t) snprintf(text + n, cap - n, " (local.set 0 (call $leaf (local.get 0)))");
	n += (size_t) snprintf(text + n, cap - n, " (local.get 0))"
						   " (func (export \"deep\") (param i32) (result i32)");
	for (int i = 0; i < 150; i++)
		n += (size_t) snprintf(text + n, cap - n, " (block");
	n += (size_t) snprintf(text + n, cap - n, " (br_if 75 (local.get 0))");
	for (int i = 0; i < 150; i++)
		n += (size_t) snprintf(text + n, cap - n, " (local.set 0 (i32.add (local.get 0) (i32.const 1))))");
	n += (size_t) snprintf(text + n, cap - n, " (local.get 0))"
						   " (func (export \"mixed\") (param i32) (result i32) (local f64 i32)");
	for (int i = 0; i < 300; i++)
		n += (size_t) snprintf(text + n, cap - n,
							   " (local.set 1 (f64.add (local.get 1) (f64.const %d.5)))"
							   " (local.set 2 (i32.add (local.get 2) (i32.div_s (i32.const %d) (local.get 0))))"
							   " (if (i32.eq (local.get 2) (i32.const %d)) (then (local.set 2 (i32.const 0))))",
							   i, 1000 + i, -1 - i);
	snprintf(text + n, cap - n,
			 " (i32.add (local.get 2) (i32.trunc_f64_s (local.get 1)))))");
	for (int mode = 0; mode < 3; mode++)
	{
		static const sf_fuel_mode modes[3] = {SF_FUEL_OFF, SF_FUEL_SLACKED, SF_FUEL_PRECISE};
		sf_config	cfg;
		sf_module  *m;
		sf_store   *s = sf_store_new(NULL, NULL);
		sf_instance *inst;
		sf_call_opts opts = {.fuel_limit = UINT64_MAX};
		sf_val		a = i32v(3), r;
		sf_error	err;
		int32_t		got;
		int32_t		divs = 0;

		sf_config_default(&cfg);
		cfg.fuel_mode = modes[mode];
		cfg.compile_threads = 1;
		m = load_wat_cfg(text, &cfg);
		inst = instantiate(s, m, NULL, 0);
		assert_int_equal(call_i32(export_func(inst, "many"), 1, (int32_t[]) {5}, &got, &err), SF_OK);
		assert_int_equal(got, 2005);
		/* the branch leaves 76 blocks: the 74 adds after the 76th run */
		assert_int_equal(call_i32(export_func(inst, "deep"), 1, (int32_t[]) {1}, &got, &err), SF_OK);
		assert_int_equal(got, 75);
		assert_int_equal(call_i32(export_func(inst, "deep"), 1, (int32_t[]) {0}, &got, &err), SF_OK);
		assert_int_equal(got, 150);
		for (int i = 0; i < 300; i++)
			divs += (1000 + i) / 3;
		assert_int_equal(sf_call(export_func(inst, "mixed"), &a, 1, &r, 1, &opts, &err), SF_OK);
		/* the sum of i + 0.5 for i < 300 is 45,000, and no if fires */
		assert_int_equal(r.of.i32, divs + 45000);
		fuel[mode] = opts.fuel_consumed;
		sf_store_free(s);
		sf_module_free(m);
	}
	assert_int_equal(fuel[0], 0);
	assert_true(fuel[1] > 300 * 10);
	assert_int_equal(fuel[1], fuel[2]);
	free(text);
}

/*
** A module of about 1 MB of wasm: its code block (3x the wasm) is over
** 2 MiB, so it starts on a 2 MiB boundary (codemem.c asks for huge pages
** there), its first function within the first 64-byte line or two, and it
** runs as any other.  Without the alignment the block starts wherever the
** arena's first hole is (past the stubs' page).
*/
static void
test_code_block_huge_aligned(void **state)
{
	const int	nfuncs = 100,
				reps = 1200;
	size_t		cap = (size_t) nfuncs * reps * 64 + 4096;
	char	   *text = malloc(cap);
	size_t		n = 0;
	sf_module  *m;
	sf_store   *s = sf_store_new(NULL, NULL);
	sf_instance *inst;
	sf_compile_stats st;
	sf_code_range r;
	int32_t		arg = 3,
				res;
	sf_error	err;
	int			wx = 0;
	FILE	   *f;
	char		line[512];

	assert_non_null(text);
	n += (size_t) snprintf(text + n, cap - n, "(module");
	for (int k = 0; k < nfuncs; k++)
	{
		n += (size_t) snprintf(text + n, cap - n, " (func $f%d (export \"f%d\") (param i32) (result i32)", k, k);
		for (int i = 0; i < reps; i++)
			n += (size_t) snprintf(text + n, cap - n,
								   " (local.set 0 (i32.add (local.get 0) (i32.const %d)))", 1000 + i);
		n += (size_t) snprintf(text + n, cap - n, " (local.get 0))");
	}
	snprintf(text + n, cap - n, ")");
	m = load_wat(text);
	free(text);
	inst = instantiate(s, m, NULL, 0);
	sf_module_compile_stats(m, &st);
	assert_true(st.wasm_code_bytes * 3 + 4096 >= (2u << 20));
	sf_module_code_range(m, 0, &r);
	assert_true(((uintptr_t) r.start & ((2u << 20) - 1)) < 128);
	/* the memory the code holds is counted in whole huge pages */
	assert_true(st.code_held_bytes >= st.code_bytes);
	assert_int_equal(st.code_held_bytes % (2u << 20), 0);
	/* f99(3) = 3 + the sum of 1000..2199 */
	assert_int_equal(call_i32(export_func(inst, "f99"), 1, &arg, &res, &err), SF_OK);
	assert_int_equal(res, 3 + reps * 1000 + reps * (reps - 1) / 2);
	f = fopen("/proc/self/maps", "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
	{
		char		perms[8];

		if (sscanf(line, "%*s %7s", perms) == 1 && perms[1] == 'w' && perms[2] == 'x')
			wx++;
	}
	fclose(f);
	assert_int_equal(wx, 0);
	sf_store_free(s);
	sf_module_free(m);
}

/*
** A block of a huge page or more whose size fits a hole of the arena, but
** not with the room to align it, is still reserved (unaligned): the arena
** is filled with 1 MiB blocks, two neighbours are freed, and 2 MiB go in
** their place.
*/
static void
test_code_block_huge_fits_unaligned(void **state)
{
	enum
	{
	MAX_BLOCKS = 1100};
	static void *blocks[MAX_BLOCKS];
	int			n = 0,
				k;
	void	   *big;

	/* the arena's first block (the stubs) is made before anything else */
	sf_module_free(load_wat(arith_wat));
	while (n < MAX_BLOCKS && (blocks[n] = sf_codemem_reserve(1u << 20, NULL)) != NULL)
		n++;
	assert_true(n > 2 && n < MAX_BLOCKS);
	assert_null(sf_codemem_reserve(SF_CODEMEM_HUGE_PAGE, NULL));
	/* two neighbours (first fit hands blocks out in address order) */
	for (k = 0; k + 1 < n && (uint8_t *) blocks[k] + (1u << 20) != blocks[k + 1]; k++)
		;
	assert_true(k + 1 < n);
	sf_codemem_free(blocks[k], 1u << 20);
	sf_codemem_free(blocks[k + 1], 1u << 20);
	big = sf_codemem_reserve(SF_CODEMEM_HUGE_PAGE, NULL);
	/* in the hole (which may have merged with a smaller one before it) */
	assert_non_null(big);
	assert_true((uint8_t *) big <= (uint8_t *) blocks[k] &&
				(uint8_t *) big + (1u << 20) >= (uint8_t *) blocks[k]);
	memset(big, 0xCC, SF_CODEMEM_HUGE_PAGE);
	sf_codemem_free(big, SF_CODEMEM_HUGE_PAGE);
	blocks[k] = blocks[k + 1] = NULL;
	for (int i = 0; i < n; i++)
		sf_codemem_free(blocks[i], 1u << 20);
}

/*
** Canonical type ids: equal types get one id, different ones different
** ids, and an id stays the same as the registry grows (it starts small
** and doubles): 300 types of 1-300 i32 parameters, each asked for twice,
** the second time after all of them were registered.
*/
static void
test_type_ids(void **state)
{
	enum
	{
	N = 300};
	static sf_valtype params[N];
	static uint32_t ids[N];
	sf_valtype	result = SF_I64;
	sf_error	err;

	for (int i = 0; i < N; i++)
		params[i] = SF_I32;
	for (int i = 0; i < N; i++)
	{
		sf_functype t = {(uint32_t) i + 1, 1, params, &result};

		ids[i] = sf_typeid_get(&t, &err);
		assert_int_not_equal(ids[i], 0);
		for (int k = 0; k < i; k++)
			assert_int_not_equal(ids[k], ids[i]);
	}
	for (int i = 0; i < N; i++)
	{
		sf_functype t = {(uint32_t) i + 1, 1, params, &result};

		assert_int_equal(sf_typeid_get(&t, &err), ids[i]);
	}
}

/* The protection of the page at 'p' in /proc/self/maps ("r-xp" etc.), or "". */
static const char *
page_perms(const void *p)
{
	static char perms[8];
	char		line[512];
	FILE	   *f = fopen("/proc/self/maps", "r");

	perms[0] = '\0';
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
	{
		unsigned long lo, hi;
		char		pr[8];

		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, pr) == 3 &&
			(uintptr_t) p >= lo && (uintptr_t) p < hi)
			strcpy(perms, pr);
	}
	fclose(f);
	return perms;
}

/*
** Sealing a block in place: with little faulted in past the code, the
** whole block turns read-execute (one mprotect), stays with the code
** (kept) and holds what was faulted in; with more, the code's pages are
** sealed and the rest goes back to the arena.  Freed with its kept
** length, a block's whole room is free again: the next reserve of that
** size, first fit, gets the same place.
*/
static void
test_code_block_seal(void **state)
{
	size_t		pg = 4096, len = 53 * pg, kept, held;
	uint8_t    *b;
	sf_error	err;

	sf_module_free(load_wat(arith_wat));	/* the arena and its stubs */
	/* 38 pages of code, 43 faulted in: the whole block stays */
	b = sf_codemem_reserve(len, NULL);
	assert_non_null(b);
	sf_codemem_prefault(b, 43 * pg);
	memset(b, 0xC3, 38 * pg - 100);
	assert_true(sf_codemem_seal(b, len, 38 * pg - 100, 43 * pg, &kept, &held, &err));
	assert_int_equal(kept, len);
	assert_int_equal(held, 43 * pg);
	assert_string_equal(page_perms(b), "r-xp");
	assert_string_equal(page_perms(b + len - 1), "r-xp");
	assert_int_equal(b[0], 0xC3);
	sf_codemem_free(b, kept);
	assert_ptr_equal(sf_codemem_reserve(len, NULL), b);
	/* 20 pages of code, 43 faulted in: the tail goes back */
	sf_codemem_prefault(b, 43 * pg);
	memset(b, 0xC3, 20 * pg);
	assert_true(sf_codemem_seal(b, len, 20 * pg, 43 * pg, &kept, &held, &err));
	assert_int_equal(kept, 20 * pg);
	assert_int_equal(held, 20 * pg);
	assert_string_equal(page_perms(b + 19 * pg), "r-xp");
	assert_string_equal(page_perms(b + 20 * pg), "---p");
	sf_codemem_free(b, kept);
	assert_ptr_equal(sf_codemem_reserve(len, NULL), b);
	sf_codemem_free(b, len);
}

/*
** Bounds-checked mode: explicit checks, a small reservation; a module
** compiled for guard pages that imports such a memory runs its
** bounds-checked code instead.
*/
static void
test_bounds_checked(void **state)
{
	const char *text =
		"(module (memory (export \"m\") 1 3)"
		"  (func (export \"poke\") (param i32) (result i32)"
		"    (i32.store offset=4 (local.get 0) (i32.const 7)) (i32.load offset=4 (local.get 0)))"
		"  (func (export \"grow\") (result i32) (memory.grow (i32.const 1))))";
	uint8_t    *wasm;
	size_t		len;
	sf_config	cfg;
	sf_error	err;
	sf_module  *m, *plain;
	sf_store   *s = sf_store_new(NULL, NULL);
	sf_instance *inst;
	sf_extern	mem;
	int32_t		r, a;

	assert_int_equal(sf_wat_to_wasm(text, strlen(text), &wasm, &len, &err), SF_OK);
	sf_config_default(&cfg);
	cfg.bounds_checked = 1;
	m = sf_module_load(wasm, len, &cfg, &err);
	free(wasm);
	assert_non_null(m);
	inst = instantiate(s, m, NULL, 0);
	a = 65528;
	assert_int_equal(call_i32(export_func(inst, "poke"), 1, &a, &r, &err), SF_OK);
	assert_int_equal(r, 7);
	a = 65529;					/* the last byte of the store is past the end */
	assert_int_equal(call_i32(export_func(inst, "poke"), 1, &a, &r, &err), SF_TRAP);
	assert_int_equal(err.trap, SF_TRAP_MEMORY_OOB);
	a = -1;
	assert_int_equal(call_i32(export_func(inst, "poke"), 1, &a, &r, &err), SF_TRAP);
	assert_int_equal(call_i32(export_func(inst, "grow"), 0, NULL, &r, &err), SF_OK);
	assert_int_equal(r, 1);
	a = 65529;
	assert_int_equal(call_i32(export_func(inst, "poke"), 1, &a, &r, &err), SF_OK);
	assert_true(sf_instance_bounds_checked(inst));
	/* code for guard pages never runs on a memory without them */
	assert_int_equal(sf_instance_export(inst, "m", 1, &mem), SF_OK);
	plain = load_wat("(module (import \"a\" \"m\" (memory 1))"
					 "  (func (export \"peek\") (param i32) (result i32) (i32.load (local.get 0))))");
	inst = sf_instance_new(s, plain, &mem, 1, &err);
	assert_non_null(inst);
	assert_true(sf_instance_bounds_checked(inst));
	a = 65536 * 2 - 4;
	assert_int_equal(call_i32(export_func(inst, "peek"), 1, &a, &r, &err), SF_OK);
	a = 65536 * 2 - 3;
	assert_int_equal(call_i32(export_func(inst, "peek"), 1, &a, &r, &err), SF_TRAP);
	assert_int_equal(err.trap, SF_TRAP_MEMORY_OOB);
	sf_store_free(s);
	sf_module_free(m);
	sf_module_free(plain);
}

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "fault-child") == 0)
		return fault_child();

	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arith),
		cmocka_unit_test(test_traps),
		cmocka_unit_test(test_host_calls),
		cmocka_unit_test(test_ctx_instance),
		cmocka_unit_test(test_call_slots),
		cmocka_unit_test(test_prepared_call),
		cmocka_unit_test(test_prepared_decisions),
		cmocka_unit_test(test_linking),
		cmocka_unit_test(test_memory_limits),
		cmocka_unit_test(test_wx),
		cmocka_unit_test(test_foreign_fault_chains),
		cmocka_unit_test(test_mul_imm_keeps_register),
		cmocka_unit_test(test_register_locals),
		cmocka_unit_test(test_br_table_large),
		cmocka_unit_test(test_bounds_checked),
		cmocka_unit_test(test_code_outgrows_estimate),
		cmocka_unit_test(test_arrays_outgrow_presize),
		cmocka_unit_test(test_code_block_huge_aligned),
		cmocka_unit_test(test_code_block_huge_fits_unaligned),
		cmocka_unit_test(test_code_block_seal),
		cmocka_unit_test(test_type_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
