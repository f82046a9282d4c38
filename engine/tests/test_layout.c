/*
** test_layout.c -- where functions start (compile_module.c,
** starts_in_line): a function whose one small loop could cross a 64-byte
** line of code is placed so that the loop fits in one, in every fuel mode
** and whatever the code before the loop; the functions still run right.
**
** The loop is found in the machine code by a marker: an i32.xor with a
** constant no other operator carries, followed by the loop's back edge
** (a jcc rel32 back to a place before the marker, within 64 bytes); a
** peeled loop's first iteration, before it, has the marker too.
**
** Likewise the code a direct call runs first, from the call's target past
** its entry charge to the first branch: a recursive function (fib, whose
** loop calls it) has it within one line, in every fuel mode.  Only the
** target of a direct call is skewed off the 16-byte steps for it, and a
** skewed function's float constants still lie on 8-byte boundaries.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "slackfuel.h"
#include "runtime.h"
#include "testwat.h"

#define NFUNCS	48
#define MARKER	0x5A5A1234u
#define NFIBS	24
#define MARKER2	0x3C3C5678u

/* A module's text, appended to; any overflow fails the test. */
typedef struct text
{
	char	   *t;
	size_t		len, cap;
} text;

static void
put(text *x, const char *fmt,...)
{
	va_list		ap;
	int			n;

	if (x->t == NULL)
	{
		x->cap = 1 << 16;
		x->t = malloc(x->cap);
		assert_non_null(x->t);
	}
	va_start(ap, fmt);
	n = vsnprintf(x->t + x->len, x->cap - x->len, fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t) n < x->cap - x->len);
	x->len += (size_t) n;
}

/* 'count' statements of straight-line code on local 'var', the constants from 'seed' */
static void
put_statements(text *x, int count, const char *var, const char *other, int seed)
{
	for (int s = 0; s < count; s++)
		put(x, "(local.set %s (i32.add (local.get %s) (i32.mul (local.get %s) (i32.const %d))))\n",
			var, var, other, s * 7 + seed);
}

/* A module of n parts, part k written by part(x, k). */
static char *
module_of(int n, void (*part) (text *x, int k))
{
	text		x = {0};

	put(&x, "(module\n");
	for (int k = 0; k < n; k++)
		part(&x, k);
	put(&x, ")\n");
	return x.t;
}

/*
** Function k: k % 16 statements of straight-line code, so that its loop
** starts at many places in a line, then a loop of a few instructions,
** do { a ^= MARKER + i; i++ } while (i < x), and returns a.  The loop
** reads x from memory: a condition that comes from a load keeps slacked
** mode from unrolling it (compile_fuel.c), so it stays this small; when
** counting fuel, its first iteration is peeled off in front of it.
*/
static void
loop_func(text *x, int k)
{
	if (k == 0)
		put(x, "(memory 1)\n");
	put(x, "(func (export \"f%d\") (param $x i32) (result i32) (local $i i32) (local $a i32)\n", k);
	put_statements(x, k % 16, "$a", "$x", k + 3);
	put(x, "(i32.store (i32.const 0) (local.get $x))\n"
		"(loop $l (local.set $a (i32.xor (local.get $a) (i32.const %u)))\n"
		"  (local.set $a (i32.add (local.get $a) (local.get $i)))\n"
		"  (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
		"  (br_if $l (i32.lt_u (local.get $i) (i32.load (i32.const 0)))))\n"
		"(local.get $a))\n", MARKER);
}

/*
** Function r<k>: fib(n), recursive as clang compiles it (a loop that calls
** it), the marker just before its first branch; f<k>, before it, k % 13
** statements of straight-line code, so that the r<k> start at many places.
*/
static void
fib_funcs(text *x, int k)
{
	put(x, "(func (export \"f%d\") (param $x i32) (result i32)\n", k);
	put_statements(x, k % 13, "$x", "$x", k + 5);
	put(x, "(local.get $x))\n");
	put(x, "(func $r%d (export \"r%d\") (param $n i32) (result i32) (local $a i32)\n"
		"(local.set $a (i32.xor (local.get $a) (i32.const %u)))\n"
		"(if (i32.lt_s (local.get $n) (i32.const 2)) (then (return (local.get $n))))\n"
		"(local.set $a (i32.const 0))\n"
		"(loop $l\n"
		"  (local.set $a (i32.add (local.get $a) (call $r%d (i32.sub (local.get $n) (i32.const 1)))))\n"
		"  (local.set $n (i32.sub (local.get $n) (i32.const 2)))\n"
		"  (br_if $l (i32.gt_s (local.get $n) (i32.const 1))))\n"
		"(i32.add (local.get $a) (local.get $n)))\n", k, k, MARKER2, k);
}

/* The module 'wat' (freed) compiled on one thread in 'mode'. */
static sf_module *
compile_text(char *wat, sf_fuel_mode mode)
{
	sf_config	cfg;
	sf_error	err;
	sf_module  *m;

	sf_config_default(&cfg);
	cfg.fuel_mode = mode;
	cfg.compile_threads = 1;
	m = load_wat_cfg(wat, &cfg);
	free(wat);
	if (sf_module_compile(m, &err) != SF_OK)
		fail_msg("compile: %s", err.msg);
	/* the block is page-aligned: offsets in it are offsets in a line */
	assert_int_equal((uintptr_t) m->jit->code & 63, 0);
	return m;
}

/* The i32 the export 'name' returns for 'arg'. */
static int32_t
call_i32(sf_instance *inst, const char *name, int32_t arg)
{
	sf_extern	ex;
	sf_val		in = {.type = SF_I32, .of.i32 = arg},
				out;
	sf_call_opts opts = {.fuel_limit = UINT64_C(1) << 40};
	sf_error	err;

	assert_int_equal(sf_instance_export(inst, name, strlen(name), &ex), SF_OK);
	if (sf_call(ex.of.func, &in, 1, &out, 1, &opts, &err) != SF_OK)
		fail_msg("%s: %s", name, err.msg);
	return out.of.i32;
}

/* The back edge after the marker at 'mark': [*head, *end); false if none. */
static bool
back_edge(const uint8_t *code, uint32_t len, uint32_t mark, uint32_t *head, uint32_t *end)
{
	for (uint32_t i = mark + 4; i + 6 <= len && i < mark + 64; i++)
	{
		int32_t		rel;
		int64_t		target;

		if (code[i] != 0x0F || (code[i + 1] & 0xF0) != 0x80)
			continue;
		memcpy(&rel, code + i + 2, 4);
		target = (int64_t) i + 6 + rel;
		if (rel < 0 && target <= mark && target + 64 > mark)
		{
			*head = (uint32_t) target;
			*end = i + 6;
			return true;
		}
	}
	return false;
}

/*
** The loop of the function in code[0, len): [*head, *end), or fail.  The
** marker is there 'copies' times: once, or, when the loop is peeled, a
** first time in its first iteration, which has no back edge.
*/
static void
find_loop(const uint8_t *code, uint32_t len, uint32_t copies, uint32_t *head, uint32_t *end)
{
	uint32_t	marks = 0, loops = 0;

	for (uint32_t i = 0; i + 4 <= len; i++)
	{
		uint32_t	v;

		memcpy(&v, code + i, 4);
		if (v != MARKER)
			continue;
		marks++;
		loops += back_edge(code, len, i, head, end);
	}
	assert_int_equal(marks, copies);
	if (loops != 1)
		fail_msg("%u back edges after the %u markers", loops, marks);
}

/* An instance of m in a store of its own (*s, to free). */
static sf_instance *
instantiate(sf_module *m, sf_store **s)
{
	sf_error	err;
	sf_instance *inst;

	*s = sf_store_new(NULL, NULL);
	assert_non_null(*s);
	inst = sf_instance_new(*s, m, NULL, 0, &err);
	if (inst == NULL)
		fail_msg("instantiate: %s", err.msg);
	return inst;
}

static void
check_mode(sf_fuel_mode mode)
{
	sf_module  *m = compile_text(module_of(NFUNCS, loop_func), mode);
	const struct sf_jit *j = m->jit;
	sf_store   *s;
	sf_instance *inst;
	uint32_t	moved = 0;

	for (uint32_t f = 0; f < j->nfuncs; f++)
	{
		uint32_t	head = 0, end = 0, off = j->func_off[f];

		find_loop(j->code + off, j->func_end[f] - off, mode == SF_FUEL_OFF ? 1 : 2, &head, &end);
		assert_true(end - head <= 48);
		if ((off + head) / 64 != (off + end - 1) / 64)
			fail_msg("function %u (fuel mode %d): its %u-byte loop at %u..%u of the block crosses a line",
					 f, (int) mode, end - head, off + head, off + end);
		/* where one thread would have put it without a choice: 16-aligned */
		if (f > 0 && off != ((j->func_end[f - 1] + 15) & ~15u))
			moved++;
	}
	/* the layout did have to move functions: the test can tell */
	assert_true(moved > 0);
	inst = instantiate(m, &s);
	for (int k = 0; k < NFUNCS; k += 7)
	{
		char		name[16];
		uint32_t	a = 0;

		snprintf(name, sizeof(name), "f%d", k);
		for (int st = 0; st < k % 16; st++)
			a += 5u * (uint32_t) (st * 7 + k + 3);
		for (uint32_t i = 0; i < 5; i++)
			a = (a ^ MARKER) + i;
		assert_int_equal((uint32_t) call_i32(inst, name, 5), a);
	}
	sf_store_free(s);
	sf_module_free(m);
}

/*
** In function code[0, len) at 'off': where its recursive call enters
** (*target) and the end of the jcc rel32 after the marker (*end), or fail.
*/
static void
find_entry(const uint8_t *code, uint32_t len, uint32_t off, uint32_t *target, uint32_t *end)
{
	uint32_t	mark = UINT32_MAX;

	*target = UINT32_MAX;
	for (uint32_t i = 0; i + 5 <= len; i++)
	{
		uint32_t	v;
		int32_t		rel;

		memcpy(&v, code + i, 4);
		if (v == MARKER2)
			mark = i;
		memcpy(&rel, code + i + 1, 4);
		/* a call to the function itself: past its entry charge, if any */
		if (code[i] == 0xE8 && mark != UINT32_MAX && (int64_t) i + 5 + rel >= 0 &&
			(int64_t) i + 5 + rel <= 16)
			*target = (uint32_t) ((int64_t) i + 5 + rel);
	}
	if (mark == UINT32_MAX || *target == UINT32_MAX)
		fail_msg("function at %u: no marker or no recursive call", off);
	for (uint32_t i = mark + 4; i + 6 <= len && i < mark + 32; i++)
		if (code[i] == 0x0F && (code[i + 1] & 0xF0) == 0x80)
		{
			*end = i + 6;
			return;
		}
	fail_msg("function at %u: no branch after the marker at %u", off, mark);
}

static void
check_entries(sf_fuel_mode mode)
{
	sf_module  *m = compile_text(module_of(NFIBS, fib_funcs), mode);
	const struct sf_jit *j = m->jit;
	sf_store   *s;
	sf_instance *inst;
	uint32_t	skewed = 0;

	for (uint32_t f = 1; f < j->nfuncs; f += 2)
	{
		uint32_t	target = 0, end = 0, off = j->func_off[f];

		find_entry(j->code + off, j->func_end[f] - off, off, &target, &end);
		/* the call skips the entry charge exactly when fuel is counted */
		assert_true((target == 0) == (mode == SF_FUEL_OFF));
		if (end - target > 64)
			fail_msg("function %u: its entry is %u bytes, more than a line", f, end - target);
		if ((off + target) / 64 != (off + end - 1) / 64)
			fail_msg("function %u (fuel mode %d): its %u-byte entry at %u..%u of the block crosses a line",
					 f, (int) mode, end - target, off + target, off + end);
		if (off % 16 != 0)
			skewed++;
	}
	/* past an entry charge, the start had to leave the 16-byte steps */
	assert_true((skewed > 0) == (mode != SF_FUEL_OFF));
	inst = instantiate(m, &s);
	for (int k = 0; k < NFIBS; k += 5)
	{
		char		name[16];

		snprintf(name, sizeof(name), "r%d", k);
		assert_int_equal(call_i32(inst, name, 12), 144);
	}
	sf_store_free(s);
	sf_module_free(m);
}

static void
test_entries_in_one_line_off(void **state)
{
	(void) state;
	check_entries(SF_FUEL_OFF);
}

static void
test_entries_in_one_line_precise(void **state)
{
	(void) state;
	check_entries(SF_FUEL_PRECISE);
}

static void
test_entries_in_one_line_slacked(void **state)
{
	(void) state;
	check_entries(SF_FUEL_SLACKED);
}

/*
** Part k of a module of callee/caller pairs: "c<k>", which a 'call'
** targets, and "u<k>", exported but the target of no 'call' (its caller
** "u<k>" is the host); each is a few instructions, which fit in a line
** from any 16-byte step, so only the skew can move their starts.
*/
static void
skew_funcs(text *x, int k)
{
	put(x, "(func $c%d (param i32) (result i32) (i32.add (local.get 0) (i32.const %d)))\n", k, k + 1);
	put(x, "(func (export \"u%d\") (param i32) (result i32)\n"
		"  (call $c%d (i32.mul (local.get 0) (i32.const 3))))\n", k, k);
}

/*
** Only a direct call's target is skewed off the 16-byte steps (so that
** the call, past the entry charge, lands on one); a function no 'call'
** targets starts on a step.  Fails with the skew applied to every function.
*/
static void
check_skews(sf_fuel_mode mode)
{
	sf_module  *m = compile_text(module_of(8, skew_funcs), mode);
	const struct sf_jit *j = m->jit;
	sf_store   *s;
	sf_instance *inst;

	assert_int_equal(j->nfuncs, 16);
	for (uint32_t f = 0; f < j->nfuncs; f++)
	{
		uint32_t	off = j->func_off[f];

		/* even: a callee, skewed past its 7-byte charge; odd: no 'call' targets it */
		if (f % 2 == 0 && mode != SF_FUEL_OFF && off % 16 == 0)
			fail_msg("callee %u (fuel mode %d) at %u: not skewed for its callers", f, (int) mode, off);
		if ((f % 2 == 1 || mode == SF_FUEL_OFF) && off % 16 != 0)
			fail_msg("function %u (fuel mode %d) at %u: off the 16-byte steps", f, (int) mode, off);
	}
	inst = instantiate(m, &s);
	for (int k = 0; k < 8; k++)
	{
		char		name[16];

		snprintf(name, sizeof(name), "u%d", k);
		assert_int_equal(call_i32(inst, name, 5), 15 + k + 1);
	}
	sf_store_free(s);
	sf_module_free(m);
}

static void
test_skews(void **state)
{
	(void) state;
	check_skews(SF_FUEL_OFF);
	check_skews(SF_FUEL_PRECISE);
	check_skews(SF_FUEL_SLACKED);
}

/*
** Part k of a module whose callees "f<k>" read a float constant of their
** own (1000.5 + 100 k) from their pool; "g<k>" calls f<k>.
*/
static void
pool_funcs(text *x, int k)
{
	put(x, "(func $f%d (param i32) (result i32)\n"
		"  (i32.trunc_f64_s (f64.add (f64.convert_i32_s (local.get 0)) (f64.const %d.5))))\n",
		k, 1000 + 100 * k);
	put(x, "(func (export \"g%d\") (param i32) (result i32) (call $f%d (local.get 0)))\n", k, k);
}

/*
** A function moved off the 16-byte steps (a callee, in a counting mode)
** still has its pool's entries on 8-byte boundaries in memory: an entry
** off them would cross a line of cache one time in eight.  Fails when the
** pool moves with the function's skew.
*/
static void
check_pool(sf_fuel_mode mode)
{
	sf_module  *m = compile_text(module_of(8, pool_funcs), mode);
	const struct sf_jit *j = m->jit;
	sf_store   *s;
	sf_instance *inst;
	uint32_t	skewed = 0;

	assert_int_equal(j->nfuncs, 16);
	for (uint32_t f = 0; f < j->nfuncs; f += 2)
	{
		const uint8_t *code = j->code + j->func_off[f];
		uint32_t	len = j->func_end[f] - j->func_off[f],
					found = 0;
		double		k = 1000.5 + 100 * (f / 2);

		skewed += j->func_off[f] % 8 != 0;
		for (uint32_t at = 0; at + 8 <= len; at++)
			if (memcmp(code + at, &k, 8) == 0)
			{
				found++;
				if ((uintptr_t) (code + at) % 8 != 0)
					fail_msg("function %u (fuel mode %d) at %u: its constant %g at %p, off 8 bytes",
							 f, (int) mode, j->func_off[f], k, (void *) (code + at));
			}
		if (found != 1)
			fail_msg("function %u: its constant %g found %u times", f, k, found);
	}
	/* the test means something only where callees were moved off 8 bytes */
	assert_true((skewed > 0) == (mode != SF_FUEL_OFF));
	inst = instantiate(m, &s);
	for (int k = 0; k < 8; k++)
	{
		char		name[16];

		snprintf(name, sizeof(name), "g%d", k);
		assert_int_equal(call_i32(inst, name, 7), 1007 + 100 * k);
		assert_int_equal(call_i32(inst, name, -3000), -1999 + 100 * k);
	}
	sf_store_free(s);
	sf_module_free(m);
}

static void
test_pool_aligned(void **state)
{
	(void) state;
	check_pool(SF_FUEL_OFF);
	check_pool(SF_FUEL_PRECISE);
	check_pool(SF_FUEL_SLACKED);
}

static void
test_loops_in_one_line_off(void **state)
{
	(void) state;
	check_mode(SF_FUEL_OFF);
}

static void
test_loops_in_one_line_precise(void **state)
{
	(void) state;
	check_mode(SF_FUEL_PRECISE);
}

static void
test_loops_in_one_line_slacked(void **state)
{
	(void) state;
	check_mode(SF_FUEL_SLACKED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loops_in_one_line_off),
		cmocka_unit_test(test_loops_in_one_line_precise),
		cmocka_unit_test(test_loops_in_one_line_slacked),
		cmocka_unit_test(test_entries_in_one_line_off),
		cmocka_unit_test(test_entries_in_one_line_precise),
		cmocka_unit_test(test_entries_in_one_line_slacked),
		cmocka_unit_test(test_skews),
		cmocka_unit_test(test_pool_aligned),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
