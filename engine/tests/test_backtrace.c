/*
** test_backtrace.c -- a trap's wasm call stack (sf_error's frames): the
** function and the byte offset in the module of every frame, for traps
** three calls deep, in a callee reached through call_indirect, out of
** fuel from the asynchronous check and in precise mode (at a function's
** entry, before its frame exists, too), a host function's failure and a
** trap in wasm a host function called back; names from the name section
** or none when it is stripped; more frames than an sf_error keeps; traps
** in the out-of-line code of float-to-int conversions.
**
** Each expected offset is found in the module's bytes by a pattern that
** occurs once: the trapping instruction, or the call a frame is at.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "slackfuel.h"

static const char *prog_wat =
"(module\n"
"  (import \"env\" \"host\" (func $host (param i32) (result i32)))\n"	/* 0 */
"  (type $t (func (param i32) (result i32)))\n"
"  (table 2 funcref)\n"
"  (elem (i32.const 0) $leaf $spin)\n"
"  (memory 1)\n"
"  (func $leaf (param i32) (result i32)\n"	/* 1 */
"    (i32.div_u (i32.const 100) (local.get 0)))\n"
"  (func $middle (param i32) (result i32)\n"	/* 2 */
"    (i32.add (i32.const 1) (call $leaf (local.get 0))))\n"
"  (func $top (export \"top\") (param i32) (result i32)\n"	/* 3 */
"    (i32.add (i32.const 2) (call $middle (local.get 0))))\n"
"  (func $ind (export \"ind\") (param i32 i32) (result i32)\n"	/* 4 */
"    (call_indirect (type $t) (local.get 0) (local.get 1)))\n"
"  (func $spin (param i32) (result i32)\n"	/* 5 */
"    (loop $l (br_if $l (local.get 0))) (i32.const 0))\n"
"  (func $spin_top (export \"spin\") (param i32) (result i32)\n"	/* 6 */
"    (i32.add (i32.const 3) (call_indirect (type $t) (local.get 0) (i32.const 1))))\n"
"  (func $via_host (export \"via_host\") (param i32) (result i32)\n"	/* 7 */
"    (i32.add (i32.const 4) (call $host (local.get 0))))\n"
"  (func $rec (export \"rec\") (param i32) (result i32)\n"	/* 8 */
"    (i32.add (i32.const 5) (call $rec (local.get 0))))\n"
"  (func $load (export \"load\") (param i32) (result i32)\n"	/* 9 */
"    (i32.add (i32.const 6) (i32.load offset=7 (local.get 0))))\n"
"  (func $arm (export \"arm\") (param i32) (result i32)\n"	/* 10 */
"    (if (i32.lt_u (local.get 0) (i32.const 2))\n"
"      (then (return (i32.load offset=70000 (local.get 0)))))\n"
"    (i32.mul (i32.add (local.get 0) (i32.const 7)) (i32.sub (local.get 0) (i32.const 9)))))\n";

static const char *const names[] = {"host", "leaf", "middle", "top", "ind", "spin",
"spin_top", "via_host", "rec", "load", "arm"};

static uint8_t *wasm;
static size_t wasm_len;

/* Offset of the one occurrence of 'pat' in the module, plus 'at'. */
static uint32_t
find(const char *pat, size_t n, size_t at)
{
	const uint8_t *hit = NULL;

	for (size_t i = 0; i + n <= wasm_len; i++)
		if (memcmp(wasm + i, pat, n) == 0)
		{
			if (hit != NULL)
				fail_msg("pattern found twice");
			hit = wasm + i;
		}
	assert_non_null(hit);
	return (uint32_t) (hit - wasm + at);
}

#define FIND(pat, at) find(pat, sizeof(pat) - 1, at)

/* The module, with a name section naming every function when 'named'. */
static sf_module *
load(bool named, sf_fuel_mode mode)
{
	uint8_t		sec[512];
	size_t		n = 0,
				sub;
	sf_error	err;
	sf_config	cfg;
	sf_module  *m;
	uint8_t    *all;

	free(wasm);
	if (sf_wat_to_wasm(prog_wat, strlen(prog_wat), &wasm, &wasm_len, &err) != SF_OK)
		fail_msg("wat: %s", err.msg);
	all = wasm;
	if (named)
	{
		/* custom section "name", subsection 1: the function names */
		memcpy(sec + n, "\x04name\x01", 6);
		n += 6;
		sub = n++;
		sec[n++] = 11;
		for (uint8_t i = 0; i < 11; i++)
		{
			sec[n++] = i;
			sec[n++] = (uint8_t) strlen(names[i]);
			memcpy(sec + n, names[i], strlen(names[i]));
			n += strlen(names[i]);
		}
		sec[sub] = (uint8_t) (n - sub - 1);
		all = malloc(wasm_len + n + 2);
		assert_non_null(all);
		memcpy(all, wasm, wasm_len);
		all[wasm_len] = 0;
		all[wasm_len + 1] = (uint8_t) n;
		memcpy(all + wasm_len + 2, sec, n);
		free(wasm);
		wasm = all;
		wasm_len += n + 2;
	}
	sf_config_default(&cfg);
	cfg.fuel_mode = mode;
	m = sf_module_load(wasm, wasm_len, &cfg, &err);
	if (m == NULL)
		fail_msg("load: %s", err.msg);
	return m;
}

/* The host import: 0 fails; 1 calls back "top" (0), which traps. */
typedef struct host_env
{
	sf_instance *inst;
	sf_error	inner;
	sf_status	inner_st;
} host_env;

static int
host(sf_ctx *ctx, void *envp, const sf_val *args, sf_val *results)
{
	host_env   *env = envp;
	sf_extern	ex;
	sf_val		a = {.type = SF_I32}, r;

	if (args[0].of.i32 == 0)
	{
		sf_ctx_set_error(ctx, "the host refuses 0");
		return 1;
	}
	assert_int_equal(sf_instance_export(env->inst, "top", 3, &ex), SF_OK);
	env->inner_st = sf_call(ex.of.func, &a, 1, &r, 1, NULL, &env->inner);
	sf_ctx_set_error(ctx, "the callback trapped");
	return 1;
}

typedef struct rig
{
	sf_module  *m;
	sf_store   *s;
	sf_instance *inst;
	host_env	env;
} rig;

static void
rig_new(rig *g, bool named, sf_fuel_mode mode)
{
	static const sf_valtype i32[] = {SF_I32};
	sf_functype ft = {1, 1, i32, i32};
	sf_extern	imp;
	sf_error	err;

	memset(g, 0, sizeof(*g));
	g->m = load(named, mode);
	g->s = sf_store_new(NULL, NULL);
	assert_non_null(g->s);
	imp.kind = SF_EXTERN_FUNC;
	imp.of.func = sf_func_new_host(g->s, &ft, host, &g->env, NULL);
	g->inst = sf_instance_new(g->s, g->m, &imp, 1, &err);
	if (g->inst == NULL)
		fail_msg("instantiate: %s", err.msg);
	g->env.inst = g->inst;
}

static void
rig_free(rig *g)
{
	sf_store_free(g->s);
	sf_module_free(g->m);
}

static sf_status
call(rig *g, const char *name, int32_t a, int32_t b, uint64_t limit, sf_error *err)
{
	sf_extern	ex;
	sf_val		args[2] = {{.type = SF_I32, .of.i32 = a}, {.type = SF_I32, .of.i32 = b}},
				r;
	sf_call_opts opts = {.fuel_limit = limit};

	assert_int_equal(sf_instance_export(g->inst, name, strlen(name), &ex), SF_OK);
	return sf_call(ex.of.func, args, strcmp(name, "ind") == 0 ? 2 : 1, &r, 1,
				   limit ? &opts : NULL, err);
}

static void
frame_is(const sf_error *err, uint32_t i, const sf_module *m, uint32_t func, uint32_t offset)
{
	assert_true(i < err->nframes);
	assert_ptr_equal(err->frames[i].module, m);
	assert_int_equal(err->frames[i].func_index, func);
	assert_int_equal(err->frames[i].offset, offset);
}

static void
three_deep(bool named)
{
	rig			g;
	sf_error	err;
	char		line[512];
	char		want[512];
	size_t		len;
	uint32_t	div, mid, top;
	sf_compile_stats cs;

	rig_new(&g, named, SF_FUEL_SLACKED);
	/* the code maps are counted with the code (an embedder's budget) */
	sf_module_compile_stats(g.m, &cs);
	assert_true(cs.map_bytes > 0 && cs.map_bytes < cs.code_bytes);
	div = FIND("\x41\xe4\x00\x20\x00\x6e", 5);
	mid = FIND("\x41\x01\x20\x00\x10\x01", 4);
	top = FIND("\x41\x02\x20\x00\x10\x02", 4);
	assert_int_equal(call(&g, "top", 0, 0, 0, &err), SF_TRAP);
	assert_int_equal(err.trap, SF_TRAP_DIV_BY_ZERO);
	assert_int_equal(err.nframes, 3);
	assert_int_equal(err.depth, 3);
	frame_is(&err, 0, g.m, 1, div);
	frame_is(&err, 1, g.m, 2, mid);
	frame_is(&err, 2, g.m, 3, top);
	assert_int_equal(err.func_index, 1);
	assert_int_equal(err.offset, div);
	len = sf_backtrace_format(&err, line, sizeof(line));
	assert_int_equal(len, strlen(line));
	if (named)
		snprintf(want, sizeof(want), "#0 func 1 \"leaf\" at 0x%x, #1 func 2 \"middle\" at 0x%x, "
				 "#2 func 3 \"top\" at 0x%x", div, mid, top);
	else
		snprintf(want, sizeof(want), "#0 func 1 at 0x%x, #1 func 2 at 0x%x, #2 func 3 at 0x%x",
				 div, mid, top);
	assert_string_equal(line, want);
	/* cut short, still terminated; the length is the whole line's */
	len = sf_backtrace_format(&err, line, 10);
	assert_int_equal(len, strlen(want));
	assert_int_equal(strlen(line), 9);
	rig_free(&g);
}

static void
test_three_deep_named(void **state)
{
	three_deep(true);
}

static void
test_three_deep_stripped(void **state)
{
	three_deep(false);
}

/* A fault on a guard page: the PC of the load itself. */
static void
test_memory_fault(void **state)
{
	rig			g;
	sf_error	err;

	rig_new(&g, true, SF_FUEL_SLACKED);
	assert_int_equal(call(&g, "load", 65535, 0, 0, &err), SF_TRAP);
	assert_int_equal(err.trap, SF_TRAP_MEMORY_OOB);
	assert_int_equal(err.nframes, 1);
	frame_is(&err, 0, g.m, 9, FIND("\x41\x06\x20\x00\x28\x02\x07", 4));
	rig_free(&g);
}

/*
** In slacked mode the arm that returns early loses its charge (its code
** moves up over it, compile_fuel.c): its load's point moves with it.
*/
static void
test_moved_arm(void **state)
{
	rig			g;
	sf_error	err;

	rig_new(&g, true, SF_FUEL_SLACKED);
	assert_int_equal(call(&g, "arm", 1, 0, 0, &err), SF_TRAP);
	assert_int_equal(err.trap, SF_TRAP_MEMORY_OOB);
	assert_int_equal(err.nframes, 1);
	frame_is(&err, 0, g.m, 10, FIND("\x20\x00\x28\x02\xf0\xa2\x04", 2));
	rig_free(&g);
}

/* The callee of a call_indirect traps; then the call_indirect itself. */
static void
test_call_indirect(void **state)
{
	rig			g;
	sf_error	err;
	uint32_t	ci;

	rig_new(&g, true, SF_FUEL_SLACKED);
	ci = FIND("\x20\x00\x20\x01\x11\x00\x00", 4);
	assert_int_equal(call(&g, "ind", 0, 0, 0, &err), SF_TRAP);
	assert_int_equal(err.trap, SF_TRAP_DIV_BY_ZERO);
	assert_int_equal(err.nframes, 2);
	frame_is(&err, 0, g.m, 1, FIND("\x41\xe4\x00\x20\x00\x6e", 5));
	frame_is(&err, 1, g.m, 4, ci);
	assert_int_equal(call(&g, "ind", 0, 7, 0, &err), SF_TRAP);
	assert_int_equal(err.trap, SF_TRAP_UNDEFINED_ELEMENT);
	assert_int_equal(err.nframes, 1);
	frame_is(&err, 0, g.m, 4, ci);
	rig_free(&g);
}

/* Out of fuel inside 'spin', reached through call_indirect from 'spin_top'. */
static void
spin_frames(const rig *g, const sf_error *err)
{
	uint32_t	lo = FIND("\x03\x40\x20\x00\x0d\x00\x0b\x41\x00\x0b", 0);

	assert_int_equal(err->trap, SF_TRAP_OUT_OF_FUEL);
	assert_int_equal(err->nframes, 2);
	assert_int_equal(err->depth, 2);
	assert_int_equal(err->frames[0].func_index, 5);
	/* somewhere in spin's loop (the check stops it between instructions) */
	assert_true(err->frames[0].offset >= lo && err->frames[0].offset < lo + 10);
	frame_is(err, 1, g->m, 6, FIND("\x41\x03\x20\x00\x41\x01\x11\x00\x00", 6));
}

static void
test_out_of_fuel_precise(void **state)
{
	rig			g;
	sf_error	err;

	rig_new(&g, true, SF_FUEL_PRECISE);
	assert_int_equal(call(&g, "spin", 1, 0, 100000, &err), SF_TRAP);
	spin_frames(&g, &err);
	rig_free(&g);
}

/*
** Precise mode, every limit up to where spin(0) returns: some limit runs
** out at spin's entry charge, before its prologue made a frame; its
** caller must still be found.
*/
static void
test_out_of_fuel_at_entry(void **state)
{
	rig			g;
	sf_error	err;
	bool		at_entry = false;
	uint32_t	first = 0,
				ci;

	rig_new(&g, true, SF_FUEL_PRECISE);
	first = FIND("\x03\x40\x20\x00\x0d\x00\x0b\x41\x00\x0b", 0);
	ci = FIND("\x41\x03\x20\x00\x41\x01\x11\x00\x00", 6);
	for (uint64_t limit = 1; limit < 200; limit++)
	{
		if (call(&g, "spin", 0, 0, limit, &err) == SF_OK)
			break;
		assert_int_equal(err.trap, SF_TRAP_OUT_OF_FUEL);
		assert_true(err.nframes >= 1);
		if (err.frames[0].func_index == 5)
		{
			assert_int_equal(err.nframes, 2);
			frame_is(&err, 1, g.m, 6, ci);
			if (err.frames[0].offset == first)
				at_entry = true;
		}
		else
		{
			assert_int_equal(err.frames[0].func_index, 6);
			assert_int_equal(err.nframes, 1);
		}
	}
	assert_true(at_entry);
	rig_free(&g);
}

/* Slacked code stopped by the watchdog's asynchronous check. */
static void
test_out_of_fuel_async(void **state)
{
	rig			g;
	sf_error	err;

	assert_int_equal(sf_watchdog_start(2, &err), SF_OK);
	rig_new(&g, false, SF_FUEL_SLACKED);
	for (int i = 0; i < 5; i++)
	{
		assert_int_equal(call(&g, "spin", 1, 0, 2000000, &err), SF_TRAP);
		spin_frames(&g, &err);
	}
	rig_free(&g);
	sf_watchdog_stop();
}

/*
** A host function's failure starts at its wasm caller; wasm it calls back
** has a call stack of its own (its activation's), and the host's failure
** after it has the outer one.
*/
static void
test_host(void **state)
{
	rig			g;
	sf_error	err;
	uint32_t	hc;

	rig_new(&g, true, SF_FUEL_SLACKED);
	hc = FIND("\x41\x04\x20\x00\x10\x00", 4);
	assert_int_equal(call(&g, "via_host", 0, 0, 0, &err), SF_TRAP);
	assert_int_equal(err.trap, SF_TRAP_HOST);
	assert_int_equal(err.nframes, 1);
	assert_int_equal(err.depth, 1);
	frame_is(&err, 0, g.m, 7, hc);

	assert_int_equal(call(&g, "via_host", 1, 0, 0, &err), SF_TRAP);
	assert_int_equal(err.trap, SF_TRAP_HOST);
	assert_int_equal(err.nframes, 1);
	frame_is(&err, 0, g.m, 7, hc);
	assert_int_equal(g.env.inner_st, SF_TRAP);
	assert_int_equal(g.env.inner.trap, SF_TRAP_DIV_BY_ZERO);
	assert_int_equal(g.env.inner.nframes, 3);
	assert_int_equal(g.env.inner.depth, 3);
	frame_is(&g.env.inner, 0, g.m, 1, FIND("\x41\xe4\x00\x20\x00\x6e", 5));
	frame_is(&g.env.inner, 2, g.m, 3, FIND("\x41\x02\x20\x00\x10\x02", 4));
	rig_free(&g);
}

/* Deeper than an sf_error keeps: the innermost frames, and the count. */
static void
test_deep(void **state)
{
	rig			g;
	sf_error	err;
	char		line[2048];
	uint32_t	rc;

	rig_new(&g, true, SF_FUEL_SLACKED);
	rc = FIND("\x41\x05\x20\x00\x10\x08", 4);
	assert_int_equal(call(&g, "rec", 0, 0, 0, &err), SF_TRAP);
	assert_int_equal(err.trap, SF_TRAP_STACK_EXHAUSTED);
	assert_int_equal(err.nframes, SF_BACKTRACE_MAX);
	assert_true(err.depth > 1000);
	/* the stack check is in the prologue: the function's first instruction */
	frame_is(&err, 0, g.m, 8, FIND("\x41\x05\x20\x00\x10\x08", 0));
	for (uint32_t i = 1; i < SF_BACKTRACE_MAX; i++)
		frame_is(&err, i, g.m, 8, rc);
	sf_backtrace_format(&err, line, sizeof(line));
	snprintf(line + 1000, 100, ", ... %u more", err.depth - SF_BACKTRACE_MAX);
	assert_non_null(strstr(line, line + 1000));
	rig_free(&g);
}

/*
** A name as printed: control characters, quotes and backslashes as '?',
** at most 80 bytes then "...".
*/
static void
test_name_shown(void **state)
{
	static const char wat[] = "(module (func))";
	char		name[100];
	uint8_t		sec[128];
	uint8_t    *bin,
			   *all;
	size_t		len,
				n = 0;
	sf_error	err;
	sf_config	cfg;
	sf_module  *m;
	char		line[256],
				want[256];

	if (sf_wat_to_wasm(wat, strlen(wat), &bin, &len, &err) != SF_OK)
		fail_msg("wat: %s", err.msg);
	memcpy(sec + n, "\x04name\x01", 6);
	n += 6;
	sec[n++] = 0;				/* the subsection's size, below */
	sec[n++] = 1;
	sec[n++] = 0;
	memcpy(name, "a\"b\nc\\d", 7);
	memset(name + 7, 'x', 93);
	sec[n++] = 100;
	memcpy(sec + n, name, 100);
	n += 100;
	sec[6] = (uint8_t) (n - 7);
	all = malloc(len + 2 + n);
	assert_non_null(all);
	memcpy(all, bin, len);
	all[len] = 0;
	all[len + 1] = (uint8_t) n;
	memcpy(all + len + 2, sec, n);
	sf_config_default(&cfg);
	m = sf_module_load(all, len + 2 + n, &cfg, &err);
	if (m == NULL)
		fail_msg("load: %s", err.msg);
	memset(&err, 0, sizeof(err));
	err.nframes = err.depth = 1;
	err.frames[0] = (sf_frame) {m, 0, 0x1f};
	sf_backtrace_format(&err, line, sizeof(line));
	snprintf(want, sizeof(want), "#0 func 0 \"a?b?c?d%.73s...\" at 0x1f", name + 7);
	assert_string_equal(line, want);
	sf_module_free(m);
	free(all);
	free(bin);
}

/*
** Trapping float-to-int conversions convert inline and check the rare
** case out of line, after the function's code (compile_float.c), reading
** constants from the pool after that: a trap there names the conversion
** and the function, and the caller's frame is found.  Three conversions in
** one function, none of them its last instruction; the caller converts
** too (its own out-of-line code and pool).
*/
static const char *conv_wat =
"(module\n"
"  (func $conv (param f64 f32 f64) (result i32)\n"	/* 0 */
"    (i32.mul (i32.const 3)\n"
"      (i32.add\n"
"        (i32.add (i32.trunc_f64_s (f64.add (local.get 0) (f64.const 0.5)))\n"
"                 (i32.trunc_f32_u (local.get 1)))\n"
"        (i32.wrap_i64 (i64.shr_s (i64.trunc_f64_s (local.get 2)) (i64.const 60))))))\n"
"  (func $outer (export \"outer\") (param f64 f32 f64) (result i32)\n"	/* 1 */
"    (i32.add (i32.trunc_f32_s (f32.const 1.5))\n"
"      (call $conv (local.get 0) (local.get 1) (local.get 2)))))\n";

static sf_status
call_conv(sf_instance *inst, double a, float b, double c, int32_t *res, sf_error *err)
{
	sf_extern	ex;
	sf_val		args[3] = {{.type = SF_F64}, {.type = SF_F32}, {.type = SF_F64}},
				r;
	sf_status	st;

	memcpy(&args[0].of.f64_bits, &a, 8);
	memcpy(&args[1].of.f32_bits, &b, 4);
	memcpy(&args[2].of.f64_bits, &c, 8);
	assert_int_equal(sf_instance_export(inst, "outer", 5, &ex), SF_OK);
	st = sf_call(ex.of.func, args, 3, &r, 1, NULL, err);
	*res = r.of.i32;
	return st;
}

static void
conv_in(sf_fuel_mode mode)
{
	sf_error	err;
	sf_config	cfg;
	sf_module  *m;
	sf_store   *s;
	sf_instance *inst;
	int32_t		res = 0;
	uint32_t	s32, u32, s64, call;

	free(wasm);
	if (sf_wat_to_wasm(conv_wat, strlen(conv_wat), &wasm, &wasm_len, &err) != SF_OK)
		fail_msg("wat: %s", err.msg);
	sf_config_default(&cfg);
	cfg.fuel_mode = mode;
	m = sf_module_load(wasm, wasm_len, &cfg, &err);
	if (m == NULL)
		fail_msg("load: %s", err.msg);
	s = sf_store_new(NULL, NULL);
	assert_non_null(s);
	inst = sf_instance_new(s, m, NULL, 0, &err);
	if (inst == NULL)
		fail_msg("instantiate: %s", err.msg);
	/* f64.add, then i32.trunc_f64_s; local.get 1, i32.trunc_f32_u; ... */
	s32 = FIND("\xa0\xaa", 1);
	u32 = FIND("\x20\x01\xa9", 2);
	s64 = FIND("\x20\x02\xb0", 2);
	call = FIND("\x20\x00\x20\x01\x20\x02\x10\x00", 6);

	/* in range; the sentinels that are true results go back in line */
	assert_int_equal(call_conv(inst, 2.0, 3.0f, 1.0, &res, &err), SF_OK);
	assert_int_equal(res, 1 + 3 * (2 + 3));
	assert_int_equal(call_conv(inst, -2147483648.75, 2147483648.0f, -9223372036854775808.0,
							   &res, &err), SF_OK);
	/* INT32_MIN + 2^31 + (INT64_MIN >> 60), times 3, plus 1 */
	assert_int_equal(res, 1 + 3 * -8);

	/* NaN: an invalid conversion at the first */
	assert_int_equal(call_conv(inst, __builtin_nan(""), 1.0f, 1.0, &res, &err), SF_TRAP);
	assert_int_equal(err.trap, SF_TRAP_INVALID_CONV);
	assert_int_equal(err.nframes, 2);
	frame_is(&err, 0, m, 0, s32);
	frame_is(&err, 1, m, 1, call);
	assert_int_equal(err.func_index, 0);
	assert_int_equal(err.offset, s32);
	/* too low for i32 */
	assert_int_equal(call_conv(inst, -2147483649.5, 1.0f, 1.0, &res, &err), SF_TRAP);
	assert_int_equal(err.trap, SF_TRAP_INT_OVERFLOW);
	assert_int_equal(err.nframes, 2);
	frame_is(&err, 0, m, 0, s32);
	frame_is(&err, 1, m, 1, call);
	/* negative for u32 */
	assert_int_equal(call_conv(inst, 1.0, -1.0f, 1.0, &res, &err), SF_TRAP);
	assert_int_equal(err.trap, SF_TRAP_INT_OVERFLOW);
	assert_int_equal(err.nframes, 2);
	frame_is(&err, 0, m, 0, u32);
	frame_is(&err, 1, m, 1, call);
	/* too high for u32 */
	assert_int_equal(call_conv(inst, 1.0, 4294967296.0f, 1.0, &res, &err), SF_TRAP);
	assert_int_equal(err.trap, SF_TRAP_INT_OVERFLOW);
	frame_is(&err, 0, m, 0, u32);
	/* NaN and too high for i64 */
	assert_int_equal(call_conv(inst, 1.0, 1.0f, -__builtin_nan(""), &res, &err), SF_TRAP);
	assert_int_equal(err.trap, SF_TRAP_INVALID_CONV);
	assert_int_equal(err.nframes, 2);
	frame_is(&err, 0, m, 0, s64);
	frame_is(&err, 1, m, 1, call);
	assert_int_equal(call_conv(inst, 1.0, 1.0f, 9223372036854775808.0, &res, &err), SF_TRAP);
	assert_int_equal(err.trap, SF_TRAP_INT_OVERFLOW);
	frame_is(&err, 0, m, 0, s64);
	frame_is(&err, 1, m, 1, call);
	sf_store_free(s);
	sf_module_free(m);
}

static void
test_out_of_line_conversion(void **state)
{
	conv_in(SF_FUEL_SLACKED);
	conv_in(SF_FUEL_PRECISE);
}

/* No trap, no frames; an error that is not a trap has none either. */
static void
test_no_frames(void **state)
{
	rig			g;
	sf_error	err;
	char		line[64] = "x";

	rig_new(&g, true, SF_FUEL_SLACKED);
	assert_int_equal(call(&g, "top", 5, 0, 0, &err), SF_OK);
	assert_int_equal(err.nframes, 0);
	assert_int_equal(sf_backtrace_format(&err, line, sizeof(line)), 0);
	assert_string_equal(line, "");
	rig_free(&g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_three_deep_named),
		cmocka_unit_test(test_three_deep_stripped),
		cmocka_unit_test(test_memory_fault),
		cmocka_unit_test(test_moved_arm),
		cmocka_unit_test(test_call_indirect),
		cmocka_unit_test(test_out_of_fuel_precise),
		cmocka_unit_test(test_out_of_fuel_at_entry),
		cmocka_unit_test(test_out_of_fuel_async),
		cmocka_unit_test(test_host),
		cmocka_unit_test(test_deep),
		cmocka_unit_test(test_name_shown),
		cmocka_unit_test(test_out_of_line_conversion),
		cmocka_unit_test(test_no_frames),
	};
	int			rc = cmocka_run_group_tests(tests, NULL, NULL);

	free(wasm);
	return rc;
}
