/*
** test_fuel.c -- fuel metering (off / precise / slacked), the asynchronous
** check, interrupts and the watchdog.
**
** Exactness: the programs below have fuel costs counted by hand from the
** cost table (docs/fuel.md: 1 unit per operator except nop, block, loop,
** else, end, drop); each count is derived next to its program.
** Determinism: slacked mode must make the same out-of-fuel decision, with
** the same host-visible side effects, as precise mode, whatever the
** watchdog interval and the machine load.
*/
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "slackfuel.h"
#include "runtime.h"
#include "target.h"
#include "fuel_ref.h"
#include "testwat.h"

#define NO_LIMIT UINT64_MAX

/* ---- host functions: module "env" ------------------------------------------------ */

static int64_t effects;			/* side effects the host performed */
static uint64_t seen_remaining; /* sf_ctx_fuel_remaining at the last effect */
static int	probe_result;		/* host_probe: the async checks' verdicts */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int
host_effect(sf_ctx *ctx, void *env, const sf_val *a, sf_val *r)
{
	effects++;
	seen_remaining = sf_ctx_fuel_remaining(ctx);
	return 0;
}

static int
host_charge(sf_ctx *ctx, void *env, const sf_val *a, sf_val *r)
{
	sf_ctx_charge_fuel(ctx, (uint64_t) a[0].of.i64);
	return 0;
}

/* Busy for a[0] microseconds, so that ticks land in host code. */
static int
host_spin(sf_ctx *ctx, void *env, const sf_val *a, sf_val *r)
{
	double		end = now_s() + a[0].of.i32 * 1e-6;

	while (now_s() < end)
		;
	effects++;
	return 0;
}

static int	host_probe(sf_ctx *ctx, void *env, const sf_val *a, sf_val *r);

typedef struct hostdef
{
	const char *name;
	sf_host_fn	fn;
	uint32_t	np;
	sf_valtype	p;
	uint32_t	nr;
	sf_valtype	rt;
} hostdef;

static const hostdef hostdefs[] = {
	{"effect", host_effect, 0, SF_I32, 0, SF_I32},
	{"charge", host_charge, 1, SF_I64, 0, SF_I32},
	{"spin", host_spin, 1, SF_I32, 0, SF_I32},
	{"probe", host_probe, 0, SF_I32, 1, SF_I32},
};

/* ---- building and calling ---------------------------------------------------------- */

typedef struct rig
{
	sf_module  *m;
	sf_store   *s;
	sf_instance *inst;
} rig;

static bool rig_checked;		/* rig_new_bytes compiles with bounds checks */

static void
rig_new_bytes(rig *g, const uint8_t *bytes, size_t len, sf_fuel_mode mode)
{
	sf_error	err;
	sf_config	cfg;
	sf_extern	imp[8];
	uint32_t	n;

	sf_config_default(&cfg);
	cfg.fuel_mode = mode;
	cfg.bounds_checked = rig_checked;
	g->m = sf_module_load(bytes, len, &cfg, &err);
	if (g->m == NULL)
		fail_msg("load: %s", err.msg);
	g->s = sf_store_new(NULL, &err);
	assert_non_null(g->s);
	n = sf_module_num_imports(g->m);
	assert_true(n <= 8);
	for (uint32_t i = 0; i < n; i++)
	{
		sf_import_desc d;
		size_t		k;

		sf_module_import(g->m, i, &d);
		for (k = 0; k < sizeof(hostdefs) / sizeof(hostdefs[0]); k++)
			if (strlen(hostdefs[k].name) == d.name_len &&
				memcmp(hostdefs[k].name, d.name, d.name_len) == 0)
				break;
		assert_true(k < sizeof(hostdefs) / sizeof(hostdefs[0]));
		{
			sf_functype ft = {hostdefs[k].np, hostdefs[k].nr, &hostdefs[k].p, &hostdefs[k].rt};

			imp[i].kind = SF_EXTERN_FUNC;
			imp[i].of.func = sf_func_new_host(g->s, &ft, hostdefs[k].fn, NULL, &err);
			assert_non_null(imp[i].of.func);
		}
	}
	g->inst = sf_instance_new(g->s, g->m, imp, n, &err);
	if (g->inst == NULL)
		fail_msg("instantiate: %s", err.msg);
}

static void
rig_new(rig *g, const char *wat, sf_fuel_mode mode)
{
	uint8_t    *bytes;
	size_t		len;
	sf_error	err;

	if (sf_wat_to_wasm(wat, strlen(wat), &bytes, &len, &err) != SF_OK)
		fail_msg("wat: %s", err.msg);
	rig_new_bytes(g, bytes, len, mode);
	free(bytes);
}

static void
rig_free(rig *g)
{
	sf_store_free(g->s);
	sf_module_free(g->m);
}

typedef struct outcome
{
	sf_status	st;
	sf_trap_kind trap;
	int64_t		result;
	int64_t		effects;
	uint64_t	consumed;
} outcome;

/* Call export 'name' with i32 'arg' (or an i64 if the export takes one). */
static outcome
run(rig *g, const char *name, int64_t arg, uint64_t limit)
{
	sf_extern	ex;
	sf_functype ft;
	sf_val		a = {0}, r = {0};
	sf_call_opts opts = {.fuel_limit = limit};
	sf_error	err;
	outcome		o;

	assert_int_equal(sf_instance_export(g->inst, name, strlen(name), &ex), SF_OK);
	sf_func_type(ex.of.func, &ft);
	a.type = ft.nparams ? ft.params[0] : SF_I32;
	if (a.type == SF_I64)
		a.of.i64 = arg;
	else
		a.of.i32 = (int32_t) arg;
	effects = 0;
	o.st = sf_call(ex.of.func, &a, ft.nparams, &r, ft.nresults, &opts, &err);
	o.consumed = opts.fuel_consumed;
	/* the same figure for callers that pass no options */
	assert_int_equal(sf_last_fuel_consumed(), o.consumed);
	o.trap = o.st == SF_TRAP ? err.trap : SF_TRAP_NONE;
	o.result = o.st == SF_OK && ft.nresults ? (r.type == SF_I64 ? r.of.i64 : r.of.i32) : 0;
	o.effects = effects;
	return o;
}

static const sf_fuel_mode counting_modes[] = {SF_FUEL_PRECISE, SF_FUEL_SLACKED};

/* A call's cost in the opcode table; entering a host function adds its own. */
#define CALL_FUEL ((uint64_t) sf_opinfo_table[SF_OP_CALL].fuel)
#define HOST_CALL_FUEL (CALL_FUEL + SF_FUEL_HOST_CALL)
/* prog_main's charge(x) without x, and an iteration of effects(n) */
#define CHARGE_OPS (2 + 2 * HOST_CALL_FUEL)
#define EFFECT_ITER (9 + HOST_CALL_FUEL)

/* ---- the programs --------------------------------------------------------------- */

/*
** count(n) = n, cost 9n + 5: each iteration that goes on costs 4 (two
** local.get, ge_s, br_if) + 4 (local.get, const, add, local.set) + 1 (br);
** the last test costs 4, the final local.get 1.
** fib(n): 5 when n < 2 (local.get, const, lt_s, if; local.get), else
** those 4 + 7 unit operators and two calls (CALL_FUEL each) in the else
** arm, + fib(n-1) + fib(n-2).
** sel(x): br_table, select-free paths through labels, if without else,
** br_if carrying a value out of the function (costs derived in sel_cost).
** effects(n): cost EFFECT_ITER n + 5 (9 operators of a unit and a host
** call an iteration).
*/
static const char prog_main[] =
	"(module\n"
	"  (import \"env\" \"effect\" (func $effect))\n"
	"  (import \"env\" \"charge\" (func $charge (param i64)))\n"
	"  (memory 1)\n"
	"  (func (export \"count\") (param $n i32) (result i32) (local $i i32)\n"
	"    (block $out (loop $l\n"
	"      (br_if $out (i32.ge_s (local.get $i) (local.get $n)))\n"
	"      (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
	"      (br $l)))\n"
	"    (local.get $i))\n"
	"  (func $fib (export \"fib\") (param i32) (result i32)\n"
	"    (if (result i32) (i32.lt_s (local.get 0) (i32.const 2))\n"
	"      (then (local.get 0))\n"
	"      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))\n"
	"                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))\n"
	"  (func (export \"sel\") (param $x i32) (result i32) (local $a i32)\n"
	"    nop\n"
	"    (block $d (block $c (block $b\n"
	"          (br_table $b $c $d (local.get $x)))\n"
	"        (local.set $a (i32.const 100))\n"
	"        (br $d))\n"
	"      (local.set $a (i32.const 200))\n"
	"      (drop (i32.const 7)))\n"
	"    (if (i32.eqz (local.get $a)) (then (local.set $a (i32.const 1))))\n"
	"    (drop (br_if 0 (local.get $a) (i32.gt_u (local.get $a) (i32.const 150))))\n"
	"    (i32.add (local.get $a) (i32.const 1)))\n"
	"  (func (export \"effects\") (param $n i32) (result i32) (local $i i32)\n"
	"    (block $out (loop $l\n"
	"      (br_if $out (i32.ge_s (local.get $i) (local.get $n)))\n"
	"      (call $effect)\n"
	"      (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
	"      (br $l)))\n"
	"    (local.get $i))\n"
	"  (func (export \"charge\") (param i64) (result i32)\n"
	"    (call $charge (local.get 0))\n"
	"    (call $effect)\n"
	"    (i32.const 1))\n"
	"  (func (export \"burn_unreachable\") (param $n i32) (result i32)\n"
	"    (drop (call 2 (local.get $n)))\n"
	"    unreachable)\n"
	"  (func (export \"burn_oob\") (param $n i32) (result i32)\n"
	"    (drop (call 2 (local.get $n)))\n"
	"    (i32.load (i32.const -4)))\n"
	")\n";

static uint64_t
fib_cost(int n)
{
	return n < 2 ? 5 : 11 + 2 * CALL_FUEL + fib_cost(n - 1) + fib_cost(n - 2);
}

static int
fib_val(int n)
{
	return n < 2 ? n : fib_val(n - 1) + fib_val(n - 2);
}

/*
** sel: local.get + br_table = 2, then
**   x=0: local.set 100 (2) + br (1); if: local.get, eqz, if (3); br_if part
**        (local.get, local.get, const, gt_u, br_if: 5) not taken; add (3)
**        = 2+3+3+5+3 = 16, result 101
**   x=1: local.set 200 (2), const+drop (1); if (3); br_if taken (5)
**        = 2+3+3+5 = 13, result 200
**   x>=2: if (3) + then (const, local.set: 2); br_if not taken (5); add (3)
**        = 2+5+5+3 = 15, result 2
*/
static void
sel_expect(int x, uint64_t *cost, int *val)
{
	*cost = x == 0 ? 16 : x == 1 ? 13 : 15;
	*val = x == 0 ? 101 : x == 1 ? 200 : 2;
}

/* ---- exactness ------------------------------------------------------------------- */

static void
expect_exact(rig *g, const char *name, int64_t arg, uint64_t cost, int64_t val)
{
	outcome		o = run(g, name, arg, NO_LIMIT);

	assert_int_equal(o.st, SF_OK);
	assert_int_equal(o.result, val);
	assert_int_equal(o.consumed, cost);
	/* precise and slacked agree on the boundary: cost passes, cost-1 not */
	o = run(g, name, arg, cost);
	assert_int_equal(o.st, SF_OK);
	assert_int_equal(o.consumed, cost);
	o = run(g, name, arg, cost - 1);
	assert_int_equal(o.st, SF_TRAP);
	assert_int_equal(o.trap, SF_TRAP_OUT_OF_FUEL);
	assert_true(o.consumed > cost - 1);
}

static void
test_exact_costs(void **state)
{
	for (int k = 0; k < 2; k++)
	{
		rig			g;

		rig_new(&g, prog_main, counting_modes[k]);
		for (int n = 0; n <= 50; n += 7)
			expect_exact(&g, "count", n, 9u * n + 5, n);
		for (int n = 0; n <= 15; n++)
			expect_exact(&g, "fib", n, fib_cost(n), fib_val(n));
		for (int x = 0; x <= 4; x++)
		{
			uint64_t	cost;
			int			val;

			sel_expect(x, &cost, &val);
			expect_exact(&g, "sel", x, cost, val);
		}
		for (int n = 0; n <= 30; n += 10)
		{
			outcome		o = run(&g, "effects", n, NO_LIMIT);

			assert_int_equal(o.consumed, EFFECT_ITER * n + 5);
			assert_int_equal(o.effects, n);
		}
		rig_free(&g);
	}
}

/*
** Random programs (fuel_ref.h) against the reference interpreter: on every
** path, whatever the branches, the JIT charges exactly what the
** interpreter counts, and a precise limit of that count passes while one
** less runs out, in both counting modes.
*/
static void
test_random_programs_match_reference(void **state)
{
	static tmod t;
	static wbuf body, out;
	static const int32_t xs[] = {0, 1, 2, 7, -1};
	uint64_t	total = 0;

	for (uint64_t seed = 0; seed < 6000; seed++)
	{
		tm_init(&t);
		body.n = 0;
		fr_generate(&body, seed);
		tm_type(&t, "i", "i");
		tm_func(&t, 0, "", "\x20\x00\x41\x03\x6a\x0b");
		tm_func_n(&t, 0, "iiiiiiiiiiii", body.b, body.n);
		tm_export(&t, "f", 0, 1);
		tm_build(&t, &out);
		for (int k = 0; k < 2; k++)
		{
			rig			g;

			rig_new_bytes(&g, out.b, out.n, counting_modes[k]);
			for (size_t i = 0; i < sizeof(xs) / sizeof(xs[0]); i++)
			{
				uint64_t	fuel = 0;
				sf_trap_kind trap;
				int32_t		want = fr_run(body.b, xs[i], &fuel, &trap);
				outcome		o = run(&g, "f", xs[i], NO_LIMIT);

				assert_int_equal(trap, SF_TRAP_NONE);
				if (o.st != SF_OK || o.result != want || o.consumed != fuel)
					fail_msg("seed %llu x %d mode %d: status %d result %lld (want %d) "
							 "fuel %llu (want %llu)", (unsigned long long) seed, xs[i],
							 counting_modes[k], o.st, (long long) o.result, want,
							 (unsigned long long) o.consumed, (unsigned long long) fuel);
				o = run(&g, "f", xs[i], fuel);
				assert_int_equal(o.st, SF_OK);
				o = run(&g, "f", xs[i], fuel - 1);
				assert_int_equal(o.trap, SF_TRAP_OUT_OF_FUEL);
				total += fuel;
			}
			rig_free(&g);
		}
	}
	/* the programs do run: loops, calls and branches, not just a return */
	assert_true(total > 6000 * 5 * 2 * 20);
}

/*
** The same with operators that trap on some inputs (fuel_ref.h: a callee
** that traps, loads and a memory.fill past the end, a division by zero),
** before loops, in their bodies and in callees.  A call that returns is
** charged exactly what the reference counts; a call that traps traps the
** same way and is charged at least the operators it executed, the
** trapping one included, so that a limit one below that runs out of fuel
** instead (out of fuel wins over every other trap), and a limit of what
** it was charged lets the trap through.  Precise and slacked mode charge
** the same.
*/
static void
test_random_trapping_programs_charge_what_ran(void **state)
{
	static tmod t;
	static wbuf body, out;
	static const int32_t xs[] = {0, 1, 2, 3, 5, 6, -1};
	uint64_t	trapped = 0, returned = 0;

	for (uint64_t seed = 0; seed < 3000; seed++)
	{
		uint64_t	charged[2][sizeof(xs) / sizeof(xs[0])];

		tm_init(&t);
		body.n = 0;
		fr_generate_traps(&body, seed);
		tm_type(&t, "i", "i");
		tm_func(&t, 0, "", "\x20\x00\x41\x03\x6a\x0b");
		tm_func_n(&t, 0, "iiiiiiiiiiii", body.b, body.n);
		tm_func(&t, 0, "", FR_T_BODY);
		tm_memory(&t, 1, 1);
		tm_export(&t, "f", 0, 1);
		tm_build(&t, &out);
		for (int k = 0; k < 2; k++)
		{
			rig			g;

			rig_new_bytes(&g, out.b, out.n, counting_modes[k]);
			for (size_t i = 0; i < sizeof(xs) / sizeof(xs[0]); i++)
			{
				uint64_t	ran = 0;
				sf_trap_kind trap;
				int32_t		want = fr_run(body.b, xs[i], &ran, &trap);
				outcome		o = run(&g, "f", xs[i], NO_LIMIT);
				bool		bad;

				if (trap == SF_TRAP_NONE)
					bad = o.st != SF_OK || o.result != want || o.consumed != ran;
				else
					bad = o.st != SF_TRAP || o.trap != trap || o.consumed < ran;
				if (bad)
					fail_msg("seed %llu x %d mode %d: status %d trap %d result %lld fuel %llu; "
							 "reference: trap %d result %d fuel %llu", (unsigned long long) seed,
							 xs[i], counting_modes[k], o.st, o.trap, (long long) o.result,
							 (unsigned long long) o.consumed, trap, want, (unsigned long long) ran);
				charged[k][i] = o.consumed;
				o = run(&g, "f", xs[i], ran - 1);
				if (o.st != SF_TRAP || o.trap != SF_TRAP_OUT_OF_FUEL)
					fail_msg("seed %llu x %d mode %d: with a limit of %llu, one below what ran, "
							 "status %d trap %d", (unsigned long long) seed, xs[i],
							 counting_modes[k], (unsigned long long) ran - 1, o.st, o.trap);
				o = run(&g, "f", xs[i], charged[k][i]);
				assert_int_equal(o.trap, trap);
				if (trap != SF_TRAP_NONE)
					trapped++;
				else
					returned++;
			}
			rig_free(&g);
		}
		for (size_t i = 0; i < sizeof(xs) / sizeof(xs[0]); i++)
			assert_int_equal(charged[0][i], charged[1][i]);
	}
	/* both outcomes are common */
	assert_true(trapped > 3000 && returned > 3000);
}

/*
** Loops whose body is charged late (compile_fuel.c): the header, which
** ends in an exit, charges the rest of the body for the iteration before,
** and the run before the loop takes that back once.  A call that traps
** must still find every operator it executed charged: a(0) traps in a
** callee in the run before the loop, whose compensation may take back
** only what follows the call; b traps inside the late part; c later in
** an iteration whose late part was cut short by that same limit; d after
** a br_if back to the header that is not the loop's last operator; e
** after a br_table to a label inside the loop; f in the header run of a
** loop with no room (its entry jumps past the header charge, and the run
** before pays the first iteration's header), on the first iteration and
** on the third.  Each returns for the other argument, charged
** exactly.  Executed operators are counted by hand next to each case;
** t and the functions without a result charge nothing ahead that a trap
** could hide an under-charge behind.
*/
static const char prog_late_traps[] =
	"(module\n"
	"  (memory 1)\n"
	"  (func $t (param i32) (result i32)\n"
	"    (if (result i32) (i32.eqz (local.get 0)) (then unreachable) (else (local.get 0))))\n"
	"  (func (export \"a\") (param $x i32) (local $i i32) (local $s i32)\n"
	"    (block $out\n"
	"      (drop (call $t (local.get $x)))\n"
	"      (local.set $i (i32.const 0))\n"
	"      (local.set $s (i32.const 0))\n"
	"      (local.set $s (i32.const 0))\n"
	"      (loop $l\n"
	"        (br_if $out (i32.ge_u (local.get $i) (i32.const 3)))\n"
	"        (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
	"        (local.set $s (local.get $i))\n"
	"        (br $l))))\n"
	"  (func (export \"b\") (param $x i32) (result i32) (local $i i32) (local $s i32)\n"
	"    (local.set $i (i32.const 0))\n"
	"    (local.set $s (i32.const 0))\n"
	"    (local.set $s (i32.const 0))\n"
	"    (local.set $s (i32.const 0))\n"
	"    (local.set $s (i32.const 0))\n"
	"    (local.set $s (i32.const 0))\n"
	"    (local.set $s (i32.const 0))\n"
	"    (block $out\n"
	"      (loop $l\n"
	"        (br_if $out (i32.ge_u (local.get $i) (i32.const 3)))\n"
	"        (local.set $s (i32.add (local.get $s) (i32.const 1)))\n"
	"        (local.set $s (i32.add (local.get $s) (i32.load (i32.mul (local.get $i) (local.get $x)))))\n"
	"        (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
	"        (br $l)))\n"
	"    (local.get $s))\n"
	"  (func (export \"c\") (param $x i32) (local $i i32) (local $s i32)\n"
	"    (drop (call $t (i32.const 1)))\n"
	"    (local.set $i (i32.const 0))\n"
	"    (block $out\n"
	"      (loop $l\n"
	"        (br_if $out (i32.ge_u (local.get $i) (i32.const 3)))\n"
	"        (local.set $s (i32.add (local.get $s) (i32.const 1)))\n"
	"        (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
	"        (drop (i32.load (i32.mul (local.get $i) (local.get $x))))\n"
	"        (br $l))))\n"
	"  (func (export \"d\") (param $x i32) (result i32) (local $i i32) (local $s i32)\n"
	"    (local.set $i (i32.const 0))\n"
	"    (local.set $s (i32.const 0))\n"
	"    (local.set $s (i32.const 0))\n"
	"    (local.set $s (i32.const 0))\n"
	"    (block $out\n"
	"      (loop $l\n"
	"        (br_if $out (i32.ge_u (local.get $i) (i32.const 3)))\n"
	"        (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
	"        (br_if $l (i32.eqz (local.get $x)))\n"
	"        (local.set $s (i32.add (local.get $s) (i32.load (i32.mul (local.get $i) (local.get $x)))))\n"
	"        (br $l)))\n"
	"    (local.get $s))\n"
	"  (func (export \"e\") (param $x i32) (result i32) (local $i i32) (local $s i32)\n"
	"    (local.set $i (i32.const 0))\n"
	"    (local.set $s (i32.const 0))\n"
	"    (local.set $s (i32.const 0))\n"
	"    (local.set $s (i32.const 0))\n"
	"    (block $out\n"
	"      (loop $l\n"
	"        (block $in\n"
	"          (br_if $out (i32.ge_u (local.get $i) (i32.const 3)))\n"
	"          (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
	"          (br_table $in $l (i32.const 0)))\n"
	"        (local.set $s (i32.add (local.get $s) (i32.load (i32.mul (local.get $i) (local.get $x)))))\n"
	"        (br $l)))\n"
	"    (local.get $s))\n"
	"  (func (export \"f\") (param $x i32) (result i32) (local $i i32) (local $s i32)\n"
	"    (block $out\n"
	"      (loop $l\n"
	"        (local.set $s (i32.add (local.get $s)\n"
	"          (i32.load (i32.add (i32.shl (local.get $i) (i32.const 2)) (local.get $x)))))\n"
	"        (br_if $out (i32.ge_u (local.get $i) (i32.const 3)))\n"
	"        (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
	"        (br $l)))\n"
	"    (local.get $s)))\n";

typedef struct late_case
{
	const char *name;
	int32_t		trap_arg, ok_arg;
	sf_trap_kind trap;
	uint64_t	ran;			/* operators executed up to the trap, inclusive */
	uint64_t	ok_cost;
	uint64_t	calls;			/* calls among them: each costs CALL_FUEL, not 1 */
} late_case;

static const late_case late_cases[] = {
	/* local.get, call; t: local.get, eqz, if, unreachable */
	{"a", 0, 100000, SF_TRAP_UNREACHABLE, 6,
	/* 2 + t 4 + 6 before the loop, 3 x (header 4 + 7), header 4 */
	49, 1},
	/* 14 before the loop; i = 0: 4 + 4 + 7 + 4 + 1; i = 1: 4 + 4 + 5 (the load) */
	{"b", 100000, 0, SF_TRAP_MEMORY_OOB, 47,
	/* 14, 3 x 20, header 4, local.get */
	79, 0},
	/* const, call, t 4, const, set; header 4, 4, i = 1: 4, then 4 up to the load */
	{"c", 100000, 0, SF_TRAP_MEMORY_OOB, 24,
	/* 8, 3 x (4 + 4 + 4 + 4 + 1), header 4 */
	63, 1},
	/* 8; header 4, i = 1: 4, br_if not taken 3, then 5 up to the load */
	{"d", 100000, 0, SF_TRAP_MEMORY_OOB, 24,
	/* 8, 3 x (4 + 4 + 3), header 4, local.get */
	46, 0},
	/* 8; header 4, i = 1: 4, const + br_table 2, then 5 up to the load */
	{"e", 100000, 0, SF_TRAP_MEMORY_OOB, 23,
	/* 8, 3 x (4 + 4 + 2 + 7 + 1), header 4, local.get */
	67, 0},
	/* header up to the load: get, get, const, shl, get, add, load */
	{"f", 100000, 0, SF_TRAP_MEMORY_OOB, 7,
	/* 4 x header 13, 3 x 5, local.get */
	68, 0},
	/* i = 0, 1: 13 + 5 each, then 7 */
	{"f", 65528, 0, SF_TRAP_MEMORY_OOB, 43,
	68, 0},
};

static void
test_trapping_loops_charge_what_ran(void **state)
{
	for (int k = 0; k < 2; k++)
	{
		rig			g;

		rig_new(&g, prog_late_traps, counting_modes[k]);
		for (size_t i = 0; i < sizeof(late_cases) / sizeof(late_cases[0]); i++)
		{
			const late_case *lc = &late_cases[i];
			outcome		o = run(&g, lc->name, lc->ok_arg, NO_LIMIT);
			uint64_t	charged;
			uint64_t	ran = lc->ran + lc->calls * (CALL_FUEL - 1);

			assert_int_equal(o.st, SF_OK);
			assert_int_equal(o.consumed, lc->ok_cost + lc->calls * (CALL_FUEL - 1));
			o = run(&g, lc->name, lc->trap_arg, NO_LIMIT);
			assert_int_equal(o.st, SF_TRAP);
			assert_int_equal(o.trap, lc->trap);
			if (o.consumed < ran)
				fail_msg("%s(%d), mode %d: charged %llu, ran %llu", lc->name, lc->trap_arg,
						 counting_modes[k], (unsigned long long) o.consumed,
						 (unsigned long long) ran);
			charged = o.consumed;
			o = run(&g, lc->name, lc->trap_arg, ran - 1);
			assert_int_equal(o.trap, SF_TRAP_OUT_OF_FUEL);
			o = run(&g, lc->name, lc->trap_arg, charged);
			assert_int_equal(o.trap, lc->trap);
		}
		rig_free(&g);
	}
}

/*
** Runs longer than basic blocks (compile_fuel.c): code after a frame that
** no branch leaves resumes the run before it, and an if/else moves what
** both arms cost in front of the if.  Each shape: the charge sites left
** in the code per mode, and for each argument the exact cost, with a
** limit of that cost passing and one less running out.
*/
typedef struct shape
{
	const char *wat;
	uint64_t	points_precise, points_slacked;
	int32_t		arg[3];
	uint64_t	cost[3];		/* counting a call as 1 */
	uint64_t	calls[3];		/* calls made: each costs CALL_FUEL */
} shape;

static const shape shapes[] = {
	/* diamond: entry 2 (+2 hoisted), then 2, else 4, after 3 (resumed) */
	{"(module (func (export \"f\") (param $x i32) (result i32) (local $a i32)\n"
	 "  (if (local.get $x)\n"
	 "    (then (local.set $a (i32.const 5)))\n"
	 "    (else (local.set $a (i32.add (local.get $x) (i32.const 9)))))\n"
	 "  (i32.add (local.get $a) (i32.const 1))))",
	 2, 2, {1, 0, -4}, {7, 9, 7}, {0, 0, 0}},
	/* a loop whose only branch is its back edge: after it resumes entry */
	{"(module (func (export \"f\") (param $n i32) (result i32) (local $i i32)\n"
	 "  (local.set $i (i32.const 0))\n"
	 "  (loop $l\n"
	 "    (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
	 "    (br_if $l (i32.lt_s (local.get $i) (local.get $n))))\n"
	 "  (i32.mul (local.get $i) (i32.const 2))))",
	 2, 2, {0, 1, 10}, {13, 13, 85}, {0, 0, 0}},
	/* a block left by a br_if to its own end: after it resumes entry */
	{"(module (func (export \"f\") (param $x i32) (result i32) (local $a i32)\n"
	 "  (block $b (br_if $b (local.get $x)) (local.set $a (i32.const 3)))\n"
	 "  (i32.add (local.get $a) (local.get $x))))",
	 2, 2, {1, 0, 5}, {5, 7, 5}, {0, 0, 0}},
	/* inner block left for the outer one: after it, no resume */
	{"(module (func (export \"f\") (param $x i32) (result i32) (local $a i32)\n"
	 "  (block $o\n"
	 "    (block $b (br_if $o (local.get $x)) (local.set $a (i32.const 3)))\n"
	 "    (local.set $a (i32.add (local.get $a) (i32.const 1))))\n"
	 "  (local.get $a)))",
	 2, 2, {1, 0, 2}, {3, 9, 3}, {0, 0, 0}},
	/* the else arm is the cheaper one: its charge goes */
	{"(module (func (export \"f\") (param $x i32) (result i32)\n"
	 "  (if (i32.eqz (local.get $x))\n"
	 "    (then (local.set $x (i32.mul (local.get $x) (i32.const 7))))\n"
	 "    (else (nop)(local.set $x (i32.const 1))))\n"
	 "  (i32.add (local.get $x) (i32.const 2))))",
	 2, 2, {0, 1, 9}, {10, 8, 8}, {0, 0, 0}},
	/* late loop: the header charges the rest of the body too, the run
	** before the loop takes that back once, the second exit charges on
	** its way out: 3 charges, where a charge after each br_if made 4 */
	{"(module (func (export \"f\") (param $n i32) (result i32) (local $i i32) (local $s i32)\n"
	 "  (local.set $i (i32.const 0)) (local.set $i (i32.const 0)) (local.set $i (i32.const 0))\n"
	 "  (local.set $i (i32.const 0)) (local.set $i (i32.const 0)) (local.set $i (i32.const 0))\n"
	 "  (local.set $i (i32.const 0))\n"
	 "  (block $out\n"
	 "    (loop $l\n"
	 "      (br_if $out (i32.ge_s (local.get $i) (local.get $n)))\n"
	 "      (local.set $s (i32.add (local.get $s) (local.get $i)))\n"
	 "      (br_if $out (i32.gt_s (local.get $s) (i32.const 100)))\n"
	 "      (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
	 "      (br $l)))\n"
	 "  (local.get $s)))",
	 3, 3, {0, 3, 20}, {19, 70, 265}, {0, 0, 0}},
	/* late loop whose late part outgrows what the run before it can take
	** back (1: the set after the load): the entry jumps past the header
	** charge, which the run before pays for the first iteration (3 + 4,
	** and 1 after the block, resumed), and the header charges the whole
	** late part (4 + 9) with no charge cut out of it: 2 charges, where
	** cutting the late part where the room ran out made 3 */
	{"(module (memory 1)\n"
	 " (func (export \"f\") (param $n i32) (result i32) (local $i i32) (local $s i32)\n"
	 "  (local.set $s (i32.load (i32.const 0)))\n"
	 "  (block $out\n"
	 "    (loop $l\n"
	 "      (br_if $out (i32.ge_s (local.get $i) (local.get $n)))\n"
	 "      (local.set $s (i32.add (local.get $s) (local.get $i)))\n"
	 "      (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
	 "      (br $l)))\n"
	 "  (local.get $s)))",
	 2, 2, {0, 1, 10}, {8, 21, 138}, {0, 0, 0}},
	/* the same loop inside another, entered from the outer header run,
	** which pays the inner header for the first iteration (2 + 4): per
	** outer iteration j, 2 + 13 j + 4 + 8, then 1; 3 charges, where the
	** cut made 4 */
	{"(module (func (export \"f\") (param $n i32) (result i32) (local $i i32) (local $s i32) (local $j i32)\n"
	 "  (block $done\n"
	 "    (loop $o\n"
	 "      (local.set $i (i32.const 0))\n"
	 "      (block $out\n"
	 "        (loop $l\n"
	 "          (br_if $out (i32.ge_s (local.get $i) (local.get $j)))\n"
	 "          (local.set $s (i32.add (local.get $s) (local.get $i)))\n"
	 "          (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
	 "          (br $l)))\n"
	 "      (local.set $j (i32.add (local.get $j) (i32.const 1)))\n"
	 "      (br_if $o (i32.le_s (local.get $j) (local.get $n)))))\n"
	 "  (local.get $s)))",
	 3, 3, {0, 1, 3}, {15, 42, 135}, {0, 0, 0}},
	/* the then arm returns: the else arm's run goes on after the end */
	{"(module (func (export \"f\") (param $x i32) (result i32)\n"
	 "  (if (i32.eqz (local.get $x))\n"
	 "    (then (return (i32.mul (local.get $x) (i32.const 7))))\n"
	 "    (else (nop)(local.set $x (i32.const 1))))\n"
	 "  (i32.add (local.get $x) (i32.const 2))))",
	 3, 3, {0, 1, 9}, {7, 8, 8}, {0, 0, 0}},
	/* a loop continued from an if arm (quicksort's partition loop): the
	** header's 12 move into the run before the loop (1 after it, resumed)
	** and the arm's 5, and the back edge jumps past the dropped header:
	** one charge per iteration; 12 per iteration, 5 per continue, 1 */
	{"(module (func (export \"f\") (param $n i32) (result i32) (local $i i32) (local $s i32)\n"
	 "  (loop $l\n"
	 "    (local.set $s (i32.add (local.get $s) (local.get $i)))\n"
	 "    (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
	 "    (if (i32.lt_s (local.get $i) (local.get $n))\n"
	 "      (then (local.set $s (i32.add (local.get $s) (i32.const 1))) (br $l))))\n"
	 "  (local.get $s)))",
	 2, 2, {0, 1, 5}, {13, 13, 81}, {0, 0, 0}},
	/* the same with a direct call in the header: linking adds the
	** callee's entry run (1) to the dropped header charge, which comes
	** back as a lea, so the back edge must not jump past it */
	{"(module (func $g (result i32) (i32.const 1))\n"
	 " (func (export \"f\") (param $n i32) (result i32) (local $i i32) (local $s i32)\n"
	 "  (loop $l\n"
	 "    (local.set $s (i32.add (local.get $s) (call $g)))\n"
	 "    (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
	 "    (if (i32.lt_s (local.get $i) (local.get $n)) (then (br $l))))\n"
	 "  (local.get $s)))",
	 4, 4, {0, 1, 5}, {14, 14, 70}, {1, 1, 5}},
};

static void
test_merged_runs_charge_exactly(void **state)
{
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
		for (int k = 0; k < 2; k++)
		{
			const shape *sh = &shapes[i];
			sf_compile_stats cs;
			rig			g;

			rig_new(&g, sh->wat, counting_modes[k]);
			sf_module_compile_stats(g.m, &cs);
			if (cs.fuel_points != (k == 0 ? sh->points_precise : sh->points_slacked))
				fail_msg("shape %zu mode %d: %llu charge sites", i, counting_modes[k],
						 (unsigned long long) cs.fuel_points);
			for (int a = 0; a < 3; a++)
			{
				outcome		o = run(&g, "f", sh->arg[a], NO_LIMIT);
				uint64_t	cost = sh->cost[a] + sh->calls[a] * (CALL_FUEL - 1);

				if (o.st != SF_OK || o.consumed != cost)
					fail_msg("shape %zu mode %d arg %d: status %d consumed %llu, want %llu",
							 i, counting_modes[k], sh->arg[a], o.st,
							 (unsigned long long) o.consumed, (unsigned long long) cost);
				assert_int_equal(run(&g, "f", sh->arg[a], cost).st, SF_OK);
				assert_int_equal(run(&g, "f", sh->arg[a], cost - 1).trap,
								 SF_TRAP_OUT_OF_FUEL);
			}
			rig_free(&g);
		}
}

/*
** An early return, 'if (x < 2) return x;': the then arm's 2 go before the
** if (entry 4 + 2), the code after the end keeps 1 of its 3.  In slacked
** mode the arm, plain code ending in a return, loses its emptied charge
** outright rather than run a NOP (compile_fuel.c, cg_fuel_drop_plain);
** an arm with a branch (the division's zero check) keeps its NOP.  The
** then arm of an if/else, ending in its jump to the end, loses it too (d);
** an else arm that starts with its emptied charge is entered past it (e).
** Exact in both modes either way.
*/
static const char early_return[] =
	"(module (func (export \"f\") (param $x i32) (result i32)\n"
	"  (if (i32.lt_s (local.get $x) (i32.const 2)) (then (return (local.get $x))))\n"
	"  (i32.add (local.get $x) (i32.const 10)))\n"
	" (func (export \"h\") (param $x i32) (result i32)\n"
	"  (if (i32.lt_s (local.get $x) (i32.const 2))\n"
	"    (then (return (i32.div_u (local.get $x) (i32.add (local.get $x) (i32.const 5))))))\n"
	"  (i32.add (i32.add (i32.add (local.get $x) (i32.const 10)) (i32.const 0)) (i32.const 0)))\n"
	" (func (export \"d\") (param $x i32) (result i32) (local $a i32)\n"
	"  (if (local.get $x)\n"
	"    (then (local.set $a (i32.const 5)))\n"
	"    (else (local.set $a (i32.add (local.get $x) (i32.const 9)))))\n"
	"  (i32.add (local.get $a) (i32.const 1)))\n"
	" (func (export \"e\") (param $x i32) (result i32) (local $a i32)\n"
	"  (if (local.get $x)\n"
	"    (then (local.set $a (i32.add (local.get $x) (i32.const 9))))\n"
	"    (else (local.set $a (i32.const 5))))\n"
	"  (i32.add (local.get $a) (i32.const 1))))";

/* Where function 'def' (defined index) has a 7-byte NOP, or -1. */
static int64_t
nop7_at(const sf_module *m, uint32_t def)
{
	static const uint8_t nop7[7] = {0x0F, 0x1F, 0x80, 0, 0, 0, 0};
	const struct sf_jit *j = m->jit;

	for (uint32_t i = j->func_off[def]; i + 7 <= j->func_end[def]; i++)
		if (memcmp(j->code + i, nop7, 7) == 0)
			return i;
	return -1;
}

static bool
has_nop7(const sf_module *m, uint32_t def)
{
	return nop7_at(m, def) >= 0;
}

/* Whether a jmp or jcc rel32 of function 'def' lands on 'target'. */
static bool
jumped_to(const sf_module *m, uint32_t def, int64_t target)
{
	const struct sf_jit *j = m->jit;

	for (uint32_t i = j->func_off[def]; i + 6 <= j->func_end[def]; i++)
	{
		int32_t		rel;

		if (j->code[i] == 0xE9)
		{
			memcpy(&rel, j->code + i + 1, 4);
			if ((int64_t) i + 5 + rel == target)
				return true;
		}
		if (j->code[i] == 0x0F && (j->code[i + 1] & 0xF0) == 0x80)
		{
			memcpy(&rel, j->code + i + 2, 4);
			if ((int64_t) i + 6 + rel == target)
				return true;
		}
	}
	return false;
}

static void
test_early_return_drops_its_charge(void **state)
{
	for (int k = 0; k < 2; k++)
	{
		rig			g;

		rig_new(&g, early_return, counting_modes[k]);
		for (int x = -1; x <= 3; x++)
		{
			expect_exact(&g, "f", x, x < 2 ? 6 : 7, x < 2 ? x : x + 10);
			/* h: 4 before the if, the arm 6, the code after the end 7 */
			expect_exact(&g, "h", x, x < 2 ? 4 + 6 : 4 + 7,
						 x < 2 ? (int64_t) ((uint32_t) x / (uint32_t) (x + 5)) : x + 10);
		}
		for (int x = 0; x <= 2; x++)
		{
			/* d: if 2, then 2 (all hoisted), else 4 (2 left), after 3 */
			expect_exact(&g, "d", x, x ? 7 : 9, x ? 6 : x + 10);
			/* e: the else arm is the cheaper one */
			expect_exact(&g, "e", x, x ? 9 : 7, x ? x + 10 : 6);
		}
		if (counting_modes[k] == SF_FUEL_SLACKED)
		{
			int64_t		at;

			assert_false(has_nop7(g.m, 0));
			assert_true(has_nop7(g.m, 1));
			/* d's then arm, ending in its jump to the end, lost its NOP */
			assert_false(has_nop7(g.m, 2));
			/* e's else arm starts with its NOP, which the if's jcc skips */
			at = nop7_at(g.m, 3);
			assert_true(at >= 0);
			assert_false(jumped_to(g.m, 3, at));
			assert_true(jumped_to(g.m, 3, at + 7));
		}
		rig_free(&g);
	}
}

/* In off mode the same code runs uncounted and never runs out. */
static void
test_off_counts_nothing(void **state)
{
	rig			g;
	outcome		o;

	rig_new(&g, prog_main, SF_FUEL_OFF);
	o = run(&g, "count", 1000, 10);
	assert_int_equal(o.st, SF_OK);
	assert_int_equal(o.result, 1000);
	assert_int_equal(o.consumed, 0);
	o = run(&g, "charge", 1000000, 1);
	assert_int_equal(o.st, SF_OK);
	assert_int_equal(o.effects, 1);
	assert_true(seen_remaining == UINT64_MAX);
	rig_free(&g);
}

/* Limit 0 means no fuel at all: the first operator is one too many. */
static void
test_zero_limit(void **state)
{
	for (int k = 0; k < 2; k++)
	{
		rig			g;
		outcome		o;

		rig_new(&g, prog_main, counting_modes[k]);
		o = run(&g, "effects", 3, 0);
		assert_int_equal(o.st, SF_TRAP);
		assert_int_equal(o.trap, SF_TRAP_OUT_OF_FUEL);
		assert_int_equal(o.effects, 0);
		rig_free(&g);
	}
}

/*
** Regression: an out-of-fuel trap taken through a function's last trap
** thunk named no function, because the thunk's return address lies one
** past the function's code.
*/
static void
test_out_of_fuel_names_its_function(void **state)
{
	static const char wat[] =
		"(module (func (result i32) (i32.const 1))"
		" (func (export \"spin\") (loop (br 0))))";
	rig			g;
	sf_extern	ex;
	sf_call_opts opts = {.fuel_limit = 1000};
	sf_error	err;

	rig_new(&g, wat, SF_FUEL_PRECISE);
	assert_int_equal(sf_instance_export(g.inst, "spin", 4, &ex), SF_OK);
	assert_int_equal(sf_call(ex.of.func, NULL, 0, NULL, 0, &opts, &err), SF_TRAP);
	assert_int_equal(err.trap, SF_TRAP_OUT_OF_FUEL);
	assert_int_equal(err.func_index, 1);
	assert_non_null(strstr(err.msg, "in wasm function 1"));
	rig_free(&g);
}

/* 64 bits end to end: limits and charges past 2^32 are not truncated. */
static void
test_limits_above_2_32(void **state)
{
	const uint64_t big = (uint64_t) 1 << 33;

	for (int k = 0; k < 2; k++)
	{
		rig			g;
		outcome		o;

		rig_new(&g, prog_main, counting_modes[k]);
		/* truncated to 32 bits this limit would be 50 */
		o = run(&g, "count", 10, ((uint64_t) 1 << 32) + 50);
		assert_int_equal(o.st, SF_OK);
		assert_int_equal(o.consumed, 95);
		/* charge: local.get, const and two host calls, plus the charge */
		o = run(&g, "charge", (int64_t) (big - CHARGE_OPS), big);
		assert_int_equal(o.st, SF_OK);
		assert_int_equal(o.consumed, big);
		assert_int_equal(o.effects, 1);
		assert_int_equal(seen_remaining, 0);
		o = run(&g, "charge", (int64_t) (big - CHARGE_OPS + 1), big);
		assert_int_equal(o.st, SF_TRAP);
		assert_int_equal(o.trap, SF_TRAP_OUT_OF_FUEL);
		assert_int_equal(o.effects, 0);
		assert_int_equal(o.consumed, big + 1);
		/* a huge charge saturates instead of wrapping the counter */
		o = run(&g, "charge", INT64_MAX, NO_LIMIT);
		assert_int_equal(o.st, SF_TRAP);
		assert_int_equal(o.trap, SF_TRAP_OUT_OF_FUEL);
		rig_free(&g);
	}
}

/*
** Host calls: the host sees the remaining fuel (the current run is charged
** at its start, and entering the host charges SF_FUEL_HOST_CALL: in
** effects(n) iteration k has charged EFFECT_ITER (k + 1) when the host
** runs, plus 1 for the final local.get, which no branch skips and so is
** charged with the entry run); fuel is checked before the host function
** runs, once entering it is charged, so no side effect happens past the
** limit, and after it, so a host charge counts.
*/
static void
test_host_boundaries(void **state)
{
	for (int k = 0; k < 2; k++)
	{
		rig			g;
		outcome		o;

		rig_new(&g, prog_main, counting_modes[k]);
		o = run(&g, "effects", 5, 10000);
		assert_int_equal(o.st, SF_OK);
		assert_int_equal(seen_remaining, 10000 - (5 * EFFECT_ITER + 1));
		/* around iteration 3's host call, entering it and its run */
		for (uint64_t lim = 3 * EFFECT_ITER - SF_FUEL_HOST_CALL - 10;
			 lim <= 3 * EFFECT_ITER + 10; lim++)
		{
			o = run(&g, "effects", 100, lim);
			assert_int_equal(o.st, SF_TRAP);
			assert_int_equal(o.trap, SF_TRAP_OUT_OF_FUEL);
			/* iteration k calls the host iff EFFECT_ITER (k + 1) + 1 <= lim */
			assert_int_equal(o.effects, (int64_t) ((lim - 1) / EFFECT_ITER));
		}
		/* the charge exhausts the fuel: the following effect never runs */
		o = run(&g, "charge", 100, CHARGE_OPS + 99);
		assert_int_equal(o.st, SF_TRAP);
		assert_int_equal(o.trap, SF_TRAP_OUT_OF_FUEL);
		assert_int_equal(o.effects, 0);
		o = run(&g, "charge", 100, CHARGE_OPS + 100);
		assert_int_equal(o.st, SF_OK);
		assert_int_equal(o.effects, 1);
		assert_int_equal(o.consumed, CHARGE_OPS + 100);
		rig_free(&g);
	}
}

/* ---- bulk operators ---------------------------------------------------------------- */

/*
** Each function: call $effect (a host function), one bulk operator sized
** by $n, call $effect, local.get $n.  A call costs the call operator and
** SF_FUEL_HOST_CALL; the bulk operator costs its own (the opcode table's),
** its 2 or 3 constant and local.get operands (a unit each), and the bytes
** it touches (sf_fuel_for_bytes: memory.fill's n writes count twice,
** memory.copy and memory.init read and write n, table elements count 8
** bytes each; memory.grow costs SF_FUEL_PER_PAGE a page).  A grow that
** fails touches nothing and costs only its operators.
*/
static const char prog_bulk[] =
	"(module\n"
	"  (import \"env\" \"effect\" (func $effect))\n"
	"  (memory 64 80)\n"
	"  (table $t (export \"t\") 300000 funcref)\n"
	"  (table $u 300000 funcref)\n"
	"  (elem $e func $nop $nop $nop $nop)\n"
	"  (data $d \"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\")\n"
	"  (func $nop)\n"
	"  (func (export \"fill\") (param $n i32) (result i32)\n"
	"    (call $effect) (memory.fill (i32.const 16) (i32.const 0xab) (local.get $n))\n"
	"    (call $effect) (local.get $n))\n"
	"  (func (export \"copy\") (param $n i32) (result i32)\n"
	"    (call $effect) (memory.copy (i32.const 16) (i32.const 1000) (local.get $n))\n"
	"    (call $effect) (local.get $n))\n"
	"  (func (export \"init\") (param $n i32) (result i32)\n"
	"    (call $effect) (memory.init $d (i32.const 16) (i32.const 0) (local.get $n))\n"
	"    (call $effect) (local.get $n))\n"
	"  (func (export \"tfill\") (param $n i32) (result i32)\n"
	"    (call $effect) (table.fill $t (i32.const 0) (ref.func $nop) (local.get $n))\n"
	"    (call $effect) (local.get $n))\n"
	"  (func (export \"tcopy\") (param $n i32) (result i32)\n"
	"    (call $effect) (table.copy $u $t (i32.const 1) (i32.const 0) (local.get $n))\n"
	"    (call $effect) (local.get $n))\n"
	"  (func (export \"tinit\") (param $n i32) (result i32)\n"
	"    (call $effect) (table.init $t $e (i32.const 7) (i32.const 0) (local.get $n))\n"
	"    (call $effect) (local.get $n))\n"
	"  (func (export \"tgrow\") (param $n i32) (result i32)\n"
	"    (call $effect) (drop (table.grow $u (ref.null func) (local.get $n)))\n"
	"    (call $effect) (local.get $n))\n"
	"  (func (export \"mgrow\") (param $n i32) (result i32)\n"
	"    (call $effect) (drop (memory.grow (local.get $n)))\n"
	"    (call $effect) (local.get $n))\n"
	")\n";

typedef struct bulkcase
{
	const char *name;
	uint8_t		sub;			/* the bulk operator (0xFC prefix) */
	uint64_t	plain;			/* operators of a unit: operands, the last local.get */
	uint64_t	per_n;			/* fuel per unit of n, times 8 */
	uint32_t	n[4];
} bulkcase;

static const bulkcase bulkcases[] = {
	{"fill", 0x0B, 4, 2, {0, 3, 4, 3u << 20}},
	{"copy", 0x0A, 4, 2, {0, 3, 4, 3u << 20}},
	{"init", 0x08, 4, 2, {0, 3, 4, 64}},
	{"tfill", 0x11, 4, 8, {0, 1, 5000, 300000}},
	{"tcopy", 0x0E, 4, 16, {0, 1, 5000, 299999}},
	{"tinit", 0x0C, 4, 16, {0, 1, 2, 4}},
	{"tgrow", 0x0F, 3, 8, {0, 1, 5000, 20000}},
};

/* The two calls of $effect around the bulk operator. */
static uint64_t
effect_calls(void)
{
	return 2 * (sf_opinfo_table[SF_OP_CALL].fuel + SF_FUEL_HOST_CALL);
}

/* A bulk function's operators, without the bytes the bulk one touches. */
static uint64_t
bulk_ops(uint8_t prefix, uint8_t code, uint64_t plain)
{
	return effect_calls() + plain + sf_opinfo_table[sf_opcode_lookup(prefix, code)].fuel;
}

/*
** The exact cost passes; one less runs out at the second host call, before
** it runs.  SF_FUEL_HOST_CALL less still runs out at the bulk operator
** when it charges for bytes, before it touches anything (the first host
** effect happened), and at the first host call when it charges none: in
** both modes alike, the second host effect did not happen, and the memory
** or table is as it was.
*/
static void
expect_bulk(rig *g, const char *name, uint32_t n, uint64_t cost, bool charged)
{
	sf_memory  *mem = sf_instance_memory(g->inst);
	sf_extern	ex;
	void	   *t0;
	outcome		o;

	assert_int_equal(sf_instance_export(g->inst, "t", 1, &ex), SF_OK);
	o = run(g, name, n, NO_LIMIT);
	if (o.st != SF_OK || o.consumed != cost || o.effects != 2)
		fail_msg("%s(%u): status %d consumed %llu (want %llu) effects %lld", name, n, o.st,
				 (unsigned long long) o.consumed, (unsigned long long) cost,
				 (long long) o.effects);
	o = run(g, name, n, cost);
	assert_int_equal(o.st, SF_OK);
	assert_int_equal(o.consumed, cost);
	o = run(g, name, n, cost - 1);
	assert_int_equal(o.st, SF_TRAP);
	assert_int_equal(o.trap, SF_TRAP_OUT_OF_FUEL);
	assert_int_equal(o.effects, 1);
	memset(sf_memory_data(mem) + 16, 0, 64);
	t0 = ex.of.table->elems[0];
	ex.of.table->elems[0] = NULL;
	o = run(g, name, n, cost - SF_FUEL_HOST_CALL - 1);
	assert_int_equal(o.st, SF_TRAP);
	assert_int_equal(o.trap, SF_TRAP_OUT_OF_FUEL);
	assert_int_equal(o.effects, charged ? 1 : 0);
	for (int i = 0; i < 64; i++)
		assert_int_equal(sf_memory_data(mem)[16 + i], 0);
	assert_null(ex.of.table->elems[0]);
	ex.of.table->elems[0] = t0;
}

static void
test_bulk_exact_costs(void **state)
{
	for (int k = 0; k < 2; k++)
	{
		rig			g;
		uint64_t	grow;

		rig_new(&g, prog_bulk, counting_modes[k]);
		for (size_t c = 0; c < sizeof(bulkcases) / sizeof(bulkcases[0]); c++)
			for (int i = 0; i < 4; i++)
			{
				const bulkcase *b = &bulkcases[c];
				uint64_t	bytes = (uint64_t) b->n[i] * b->per_n;

				expect_bulk(&g, b->name, b->n[i],
							bulk_ops(0xFC, b->sub, b->plain) + sf_fuel_for_bytes(bytes),
							sf_fuel_for_bytes(bytes) > 0);
			}
		/*
		** memory.grow: a page costs SF_FUEL_PER_PAGE; 64 of 80 pages are in
		** use, and three of the four runs of each case grow
		*/
		grow = bulk_ops(0x00, 0x40, 2);
		expect_bulk(&g, "mgrow", 0, grow, false);
		expect_bulk(&g, "mgrow", 1, grow + SF_FUEL_PER_PAGE, true);
		expect_bulk(&g, "mgrow", 3, grow + 3 * SF_FUEL_PER_PAGE, true);
		assert_int_equal(sf_memory_size(sf_instance_memory(g.inst)), 76u << 16);
		/* grows that fail touch nothing and cost their operators only */
		assert_int_equal(run(&g, "mgrow", 9, NO_LIMIT).consumed, grow);
		assert_int_equal(run(&g, "tgrow", 20000000, NO_LIMIT).consumed, bulk_ops(0xFC, 0x0F, 3));
		rig_free(&g);
	}
}

/*
** A bulk operator in a loop's late part (compile_fuel.c: charged by the
** next header, for the iteration before) is paid for before it touches
** anything, as a call there is: the helper call charges the late part so
** far first.  lfill(n) fills 64-byte block i in iteration i; after the
** fill of block k, 10 operators remain when the loop stops after it
** (local.get, const, add, local.set, br; the header's 4; local.get), so
** C(k+1) - 10 is the fuel consumed once that fill is done, C(n) being the
** cost of lfill(n).  In both modes a block is written only if the limit
** covers it.  (The ten local.set before the loop give the loop's entry
** the room to take a late part back: without them the loop is not late.)
*/
static const char prog_late_fill[] =
	"(module (memory 1)\n"
	"  (func (export \"lfill\") (param $n i32) (result i32) (local $i i32) (local $j i32)\n"
	"    (local.set $j (i32.const 0)) (local.set $j (i32.const 0)) (local.set $j (i32.const 0))\n"
	"    (local.set $j (i32.const 0)) (local.set $j (i32.const 0)) (local.set $j (i32.const 0))\n"
	"    (local.set $j (i32.const 0)) (local.set $j (i32.const 0)) (local.set $j (i32.const 0))\n"
	"    (local.set $j (i32.const 0))\n"
	"    (block $out (loop $l\n"
	"      (br_if $out (i32.ge_u (local.get $i) (local.get $n)))\n"
	"      (memory.fill (i32.mul (local.get $i) (i32.const 64)) (i32.const 0xab) (i32.const 64))\n"
	"      (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
	"      (br $l)))\n"
	"    (local.get $i)))\n";

static void
test_bulk_in_late_loop_is_paid_for(void **state)
{
	for (int k = 0; k < 2; k++)
	{
		rig			g;
		uint64_t	c[4];
		uint8_t    *mem;

		rig_new(&g, prog_late_fill, counting_modes[k]);
		mem = sf_memory_data(sf_instance_memory(g.inst));
		for (int n = 1; n <= 3; n++)
			c[n] = run(&g, "lfill", n, NO_LIMIT).consumed;
		for (uint64_t lim = c[1] - 30; lim < c[3]; lim++)
		{
			outcome		o;

			memset(mem, 0, 256);
			o = run(&g, "lfill", 3, lim);
			assert_int_equal(o.st, SF_TRAP);
			for (int b = 0; b < 3; b++)
				if (mem[64 * b] != 0 && lim < c[b + 1] - 10)
					fail_msg("mode %d limit %llu: block %d written, its fill done at %llu",
							 counting_modes[k], (unsigned long long) lim, b,
							 (unsigned long long) (c[b + 1] - 10));
		}
		rig_free(&g);
	}
}

/*
** Random programs with memory.fill and memory.copy of sizes computed at
** run time (fuel_ref.h) against the reference interpreter: the exact count
** passes, one less runs out, and for limits in between precise and
** slacked mode end the same way.
*/
static void
test_random_bulk_programs_match_reference(void **state)
{
	static tmod t;
	static wbuf body, out;
	static const int32_t xs[] = {0, 1, 2, 7, -1};
	int			with_bulk = 0;

	for (uint64_t seed = 0; seed < 1500; seed++)
	{
		rig			g[2];

		tm_init(&t);
		body.n = 0;
		fr_generate_bulk(&body, seed);
		tm_type(&t, "i", "i");
		tm_memory(&t, 1, -1);
		tm_func(&t, 0, "", "\x20\x00\x41\x03\x6a\x0b");
		tm_func_n(&t, 0, "iiiiiiiiiiii", body.b, body.n);
		tm_export(&t, "f", 0, 1);
		tm_build(&t, &out);
		with_bulk += memchr(body.b, 0xfc, body.n) != NULL;
		for (int k = 0; k < 2; k++)
			rig_new_bytes(&g[k], out.b, out.n, counting_modes[k]);
		for (size_t i = 0; i < sizeof(xs) / sizeof(xs[0]); i++)
		{
			uint64_t	fuel = 0;
			sf_trap_kind trap;
			int32_t		want = fr_run(body.b, xs[i], &fuel, &trap);
			uint64_t	lims[4] = {fuel, fuel - 1, fuel / 2, fuel / 5};

			for (int k = 0; k < 2; k++)
			{
				outcome		o = run(&g[k], "f", xs[i], NO_LIMIT);

				if (o.st != SF_OK || o.result != want || o.consumed != fuel)
					fail_msg("seed %llu x %d mode %d: status %d result %lld (want %d) "
							 "fuel %llu (want %llu)", (unsigned long long) seed, xs[i],
							 counting_modes[k], o.st, (long long) o.result, want,
							 (unsigned long long) o.consumed, (unsigned long long) fuel);
			}
			for (int l = 0; l < 4; l++)
			{
				outcome		p = run(&g[0], "f", xs[i], lims[l]);
				outcome		q = run(&g[1], "f", xs[i], lims[l]);

				if (p.st != q.st || p.trap != q.trap ||
					(p.st == SF_OK) != (lims[l] >= fuel) || (p.st == SF_OK && p.consumed != q.consumed))
					fail_msg("seed %llu x %d limit %llu: precise %d/%d/%llu, slacked %d/%d/%llu",
							 (unsigned long long) seed, xs[i], (unsigned long long) lims[l],
							 p.st, p.trap, (unsigned long long) p.consumed,
							 q.st, q.trap, (unsigned long long) q.consumed);
			}
		}
		for (int k = 0; k < 2; k++)
			rig_free(&g[k]);
	}
	/* most programs have bulk statements */
	assert_true(with_bulk > 1000);
}

/*
** cmocka replaces the SIGSEGV handler for the duration of every test, so
** the engine's handler, saved in main(), is put back for the guard-page
** trap below.
*/
static struct sigaction engine_segv;

/* Out of fuel wins over a trap that comes later in the same call. */
static void
test_out_of_fuel_wins_over_traps(void **state)
{
	assert_int_equal(sigaction(SIGSEGV, &engine_segv, NULL), 0);
	for (int k = 0; k < 2; k++)
	{
		rig			g;
		outcome		o;

		rig_new(&g, prog_main, counting_modes[k]);
		o = run(&g, "burn_unreachable", 100, NO_LIMIT);
		assert_int_equal(o.trap, SF_TRAP_UNREACHABLE);
		o = run(&g, "burn_unreachable", 100, 500);
		assert_int_equal(o.trap, SF_TRAP_OUT_OF_FUEL);
		o = run(&g, "burn_oob", 100, NO_LIMIT);
		assert_int_equal(o.trap, SF_TRAP_MEMORY_OOB);
		o = run(&g, "burn_oob", 100, 500);
		assert_int_equal(o.trap, SF_TRAP_OUT_OF_FUEL);
		rig_free(&g);
	}
}

/* ---- interrupts and the asynchronous check ------------------------------------------- */

/*
** A per-thread timer that requests an interrupt after 'ms' and then every
** millisecond (like sfrun --timeout-ms), running the async check each time.
*/
#define KILL_SIGNAL (SIGRTMAX - 4)
static timer_t kill_timer;

static void
kill_handler(int sig, siginfo_t *info, void *uc)
{
	int			saved = errno;

	if (info->si_code == SI_TIMER)
	{
		sf_request_interrupt();
		sf_async_check(uc);
	}
	errno = saved;
}

static void
kill_after(long ms)
{
	struct sigaction sa;
	struct sigevent sev;
	struct itimerspec its;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = kill_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(KILL_SIGNAL, &sa, NULL), 0);
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = KILL_SIGNAL;
	sev._sigev_un._tid = (pid_t) syscall(SYS_gettid);
	assert_int_equal(timer_create(CLOCK_MONOTONIC, &sev, &kill_timer), 0);
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = ms / 1000;
	its.it_value.tv_nsec = (ms % 1000) * 1000000L;
	its.it_interval.tv_nsec = 1000000L;
	assert_int_equal(timer_settime(kill_timer, 0, &its, NULL), 0);
}

static void
kill_cancel(void)
{
	sigset_t	set, old;
	struct timespec zero = {0, 0};

	/*
	** The timer ticks every millisecond until deleted: a tick already
	** queued would request an interrupt of whatever runs next.  Block the
	** signal, delete the timer, drain what is queued, and drop a request
	** made after the interrupted call returned.
	*/
	sigemptyset(&set);
	sigaddset(&set, KILL_SIGNAL);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	timer_delete(kill_timer);
	while (sigtimedwait(&set, NULL, &zero) > 0)
		;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	sf_clear_interrupt();
}

static const char prog_runaway[] =
	"(module\n"
	"  (import \"env\" \"spin\" (func $spin (param i32)))\n"
	"  (func (export \"spin\") (loop $l (br $l)))\n"
	"  (func $rec (export \"rec\") (param i32) (result i32)\n"
	"    (i32.add (call $rec (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))\n"
	"  (func $tree (export \"tree\") (param $d i32)\n"
	"    (if (local.get $d) (then\n"
	"      (call $tree (i32.sub (local.get $d) (i32.const 1)))\n"
	"      (call $tree (i32.sub (local.get $d) (i32.const 1))))))\n"
	"  (func (export \"hostspin\") (param $n i32)\n"
	"    (loop $l\n"
	"      (call $spin (i32.const 200))\n"
	"      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))\n"
	"  (func (export \"peeled\") (param $x i32) (local $i i32)\n"
	"    (block $out (loop $l\n"
	"      (br_if $out (i32.eq (local.get $x) (i32.const 7)))\n"
	"      (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
	"      (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
	"      (br $l))))\n"
	"  (func (export \"unrolled\") (param $x i32) (local $i i32)\n"
	"    (loop $l\n"
	"      (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
	"      (br_if $l (i32.ne (local.get $x) (i32.const 7)))))\n"
	")\n";

/*
** Every mode stops runaway code: off by interrupt, the others by fuel,
** a peeled loop too (entered past its header charge, which its branch
** back runs: compile_fuel.c), and one that slacked mode unrolls (its
** copies charge ahead, which the asynchronous check allows for), with an
** interrupt after 4 s as the backstop that fails the test instead of
** hanging it.
*/
static void
test_runaway_stops(void **state)
{
	static const char *const fns[] = {"spin", "rec", "tree", "peeled", "unrolled"};
	sf_error	err;

	assert_int_equal(sf_watchdog_start(5, &err), SF_OK);
	for (int mode = SF_FUEL_OFF; mode <= SF_FUEL_SLACKED; mode++)
	{
		rig			g;

		rig_new(&g, prog_runaway, (sf_fuel_mode) mode);
		for (int f = 0; f < 5; f++)
		{
			double		t0 = now_s();
			outcome		o;

			/* 'rec' ends on its own at the stack limit: no interrupt races it. */
			bool		kill = (mode == SF_FUEL_OFF && f != 1) || f >= 3;

			if (kill)
				kill_after(mode == SF_FUEL_OFF ? 30 : 4000);
			o = run(&g, fns[f], f == 2 ? 60 : 0, mode == SF_FUEL_OFF ? NO_LIMIT : 20000000);
			if (kill)
				kill_cancel();
			sf_clear_interrupt();
			assert_int_equal(o.st, SF_TRAP);
			if (f == 1)
				assert_true(o.trap == SF_TRAP_STACK_EXHAUSTED || o.trap == SF_TRAP_OUT_OF_FUEL);
			else if (mode == SF_FUEL_OFF)
				assert_int_equal(o.trap, SF_TRAP_INTERRUPTED);
			else
				assert_int_equal(o.trap, SF_TRAP_OUT_OF_FUEL);
			assert_true(now_s() - t0 < 5.0);
		}
		rig_free(&g);
	}
	sf_watchdog_stop();
}

/* An interrupted call reports the fuel it consumed until it was stopped. */
static void
test_interrupted_call_reports_fuel(void **state)
{
	for (int k = 0; k < 2; k++)
	{
		rig			g;
		outcome		o;

		rig_new(&g, prog_runaway, counting_modes[k]);
		kill_after(20);
		o = run(&g, "spin", 0, NO_LIMIT);
		kill_cancel();
		assert_int_equal(o.trap, SF_TRAP_INTERRUPTED);
		assert_true(o.consumed > 1000);
		rig_free(&g);
	}
}

/*
** A request made before the call is not lost (one made while a module
** loads or compiles stops that: test_interrupt_stops_loading_and_compiling).
*/
static void
test_interrupt_before_entry(void **state)
{
	rig			g;
	outcome		o;

	rig_new(&g, prog_main, SF_FUEL_SLACKED);
	sf_request_interrupt();
	o = run(&g, "effects", 3, NO_LIMIT);
	assert_int_equal(o.trap, SF_TRAP_INTERRUPTED);
	assert_int_equal(o.effects, 0);
	assert_int_equal(o.consumed, 0);
	/* the interrupted call consumed the request */
	o = run(&g, "effects", 3, NO_LIMIT);
	assert_int_equal(o.st, SF_OK);
	sf_request_interrupt();
	sf_clear_interrupt();
	o = run(&g, "effects", 3, NO_LIMIT);
	assert_int_equal(o.st, SF_OK);
	rig_free(&g);
}

/*
** Ticks that land in a host function are ignored; an interrupt requested
** there is honoured when the host returns, before wasm goes on.
*/
static void
test_interrupt_in_host(void **state)
{
	rig			g;
	outcome		o;
	sf_error	err;

	rig_new(&g, prog_runaway, SF_FUEL_OFF);
	assert_int_equal(sf_watchdog_start(1, &err), SF_OK);
	o = run(&g, "hostspin", 50, NO_LIMIT);
	assert_int_equal(o.st, SF_OK);
	assert_int_equal(o.effects, 50);
	kill_after(20);
	o = run(&g, "hostspin", 100000, NO_LIMIT);
	kill_cancel();
	sf_watchdog_stop();
	assert_int_equal(o.trap, SF_TRAP_INTERRUPTED);
	assert_true(o.effects > 0 && o.effects < 20000);
	/*
	** the next call runs (that the interrupted call consumes the request
	** is checked without a ticking timer in test_interrupt_before_entry)
	*/
	o = run(&g, "hostspin", 3, NO_LIMIT);
	assert_int_equal(o.st, SF_OK);
	rig_free(&g);
}

/*
** A loop that spends much of its time in the host-call stub and the host:
** ticks every millisecond land there too, are ignored, and slacked mode
** still stops exactly where precise mode does.
*/
static void
test_ticks_in_stubs_and_host(void **state)
{
	rig			pg, sg;
	sf_error	err;
	const int	n = 300000;
	uint64_t	exact;

	rig_new(&pg, prog_main, SF_FUEL_PRECISE);
	rig_new(&sg, prog_main, SF_FUEL_SLACKED);
	exact = 10u * n + 5;
	assert_int_equal(sf_watchdog_start(1, &err), SF_OK);
	for (int rep = 0; rep < 5; rep++)
	{
		uint64_t	lim = rep == 4 ? exact : exact / 2 + 7 * (uint64_t) rep;
		outcome		p = run(&pg, "effects", n, lim);
		outcome		q = run(&sg, "effects", n, lim);

		assert_int_equal(q.st, p.st);
		assert_int_equal(q.trap, p.trap);
		assert_int_equal(q.effects, p.effects);
		assert_int_equal(q.result, p.result);
	}
	sf_watchdog_stop();
	rig_free(&pg);
	rig_free(&sg);
}

/* ---- unrolled loops (slacked mode) ------------------------------------------------ */

/*
** do { mem[base + i] = i; i++ } while (i < n), with base and n from the
** argument (base = 65536 - (arg >> 16), n = arg & 0xFFFF), returning i: a straight loop of a small body that slacked mode
** unrolls 3 times; 'wide' the same with a body between 32 and 128 bytes
** (2 copies).
*/
static const char prog_unroll[] =
	"(module (memory 1)\n"
	"  (func (export \"small\") (param $a i32) (result i32) (local $i i32) (local $b i32)\n"
	"    (local.set $b (i32.sub (i32.const 65536) (i32.shr_u (local.get $a) (i32.const 16))))\n"
	"    (local.set $a (i32.and (local.get $a) (i32.const 0xFFFF)))\n"
	"    (loop $l\n"
	"      (i32.store8 (i32.add (local.get $b) (local.get $i)) (local.get $i))\n"
	"      (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
	"      (br_if $l (i32.lt_u (local.get $i) (local.get $a))))\n"
	"    (local.get $i))\n"
	"  (func (export \"wide\") (param $a i32) (result i32) (local $i i32) (local $b i32) (local $x i32)\n"
	"    (local.set $b (i32.sub (i32.const 65536) (i32.shr_u (local.get $a) (i32.const 16))))\n"
	"    (local.set $a (i32.and (local.get $a) (i32.const 0xFFFF)))\n"
	"    (loop $l\n"
	"      (local.set $x (i32.mul (local.get $i) (i32.const 0x01000193)))\n"
	"      (local.set $x (i32.xor (local.get $x) (i32.shr_u (local.get $x) (i32.const 13))))\n"
	"      (local.set $x (i32.add (local.get $x) (i32.rotl (local.get $x) (i32.const 7))))\n"
	"      (local.set $x (i32.xor (local.get $x) (i32.shr_u (local.get $x) (i32.const 17))))\n"
	"      (local.set $x (i32.add (local.get $x) (i32.mul (local.get $x) (i32.const 0x2545F491))))\n"
	"      (i32.store8 (i32.add (local.get $b) (local.get $i)) (local.get $x))\n"
	"      (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
	"      (br_if $l (i32.lt_u (local.get $i) (local.get $a))))\n"
	"    (local.get $i))\n"
	")\n";

/*
** Export 'name' of 'arg' traps out of bounds alike in the precise rig pg
** and the slacked rig sg, charged the same, at least 'ran'; out of fuel
** wins over the trap alike, at the limit just below what it was charged.
*/
static void
expect_oob_alike(rig *pg, rig *sg, const char *name, int64_t arg, uint64_t ran)
{
	outcome		p = run(pg, name, arg, NO_LIMIT),
				q = run(sg, name, arg, NO_LIMIT);

	assert_int_equal(p.st, SF_TRAP);
	assert_int_equal(p.trap, SF_TRAP_MEMORY_OOB);
	assert_int_equal(q.st, SF_TRAP);
	assert_int_equal(q.trap, SF_TRAP_MEMORY_OOB);
	assert_int_equal(q.consumed, p.consumed);
	assert_true(p.consumed >= ran);
	p = run(pg, name, arg, p.consumed - 1);
	q = run(sg, name, arg, q.consumed - 1);
	assert_int_equal(p.trap, SF_TRAP_OUT_OF_FUEL);
	assert_int_equal(q.trap, SF_TRAP_OUT_OF_FUEL);
}

/*
** Unrolled in slacked mode only, with each way out of the copies (every
** trip count mod 3 and 2), a trap in each copy (an out-of-bounds store at
** iteration j), with guard pages and with bounds checks, and each fuel
** limit around what the call consumes: the same results, the same fuel
** and the same outcome as precise mode, which does not unroll.
*/
static void
test_unrolled_loops_count_alike(void **state)
{
	static const char *const fns[] = {"small", "wide"};

	for (int checked = 0; checked < 2; checked++)
	{
		rig			pg, sg;

		rig_checked = checked;
		rig_new(&pg, prog_unroll, SF_FUEL_PRECISE);
		rig_new(&sg, prog_unroll, SF_FUEL_SLACKED);
		rig_checked = false;
		assert_int_equal(pg.m->jit->nahead, 0);
		/* a range per copy but the last, and per give-back, in both loops */
		assert_true(sg.m->jit->nahead >= 2 + 2 + 1 + 1);
		for (int f = 0; f < 2; f++)
		{
			for (int64_t n = 0; n <= 13; n++)
			{
				int64_t		arg = (1000 << 16) | n;
				outcome		p = run(&pg, fns[f], arg, NO_LIMIT),
							q = run(&sg, fns[f], arg, NO_LIMIT);

				assert_int_equal(p.st, SF_OK);
				assert_int_equal(q.st, SF_OK);
				assert_int_equal(q.result, n > 0 ? n : 1);
				assert_int_equal(q.result, p.result);
				assert_int_equal(q.consumed, p.consumed);
				for (uint64_t lim = p.consumed - 12; lim <= p.consumed + 2; lim++)
				{
					outcome		pl = run(&pg, fns[f], arg, lim),
								ql = run(&sg, fns[f], arg, lim);

					assert_int_equal(ql.st, pl.st);
					assert_int_equal(ql.trap, pl.trap);
				}
			}
			/* the store at iteration j falls past the memory's end: a trap in copy j % 3 */
			for (int64_t j = 0; j <= 9; j++)
				expect_oob_alike(&pg, &sg, fns[f], (j << 16) | 100, 0);
		}
		rig_free(&pg);
		rig_free(&sg);
	}
}

/*
** Search loops: the condition comes from the last load, directly
** ("search") or through a local ("through"), and the scan stops at the
** byte 9 at address 100.  A byte past the memory's end traps.  "after"
** makes a host call just before its loop, in the run that pays the
** loop's first iteration.
*/
static const char prog_search[] =
	"(module\n"
	"  (import \"env\" \"effect\" (func $effect))\n"
	"  (memory 1) (data (i32.const 100) \"\\09\")\n"
	"  (func (export \"search\") (param $a i32) (result i32) (local $i i32)\n"
	"    (local.set $i (local.get $a))\n"
	"    (loop $l\n"
	"      (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
	"      (br_if $l (i32.lt_u (i32.load8_u (local.get $i)) (i32.const 9))))\n"
	"    (local.get $i))\n"
	"  (func (export \"through\") (param $a i32) (result i32) (local $i i32) (local $v i32)\n"
	"    (local.set $i (local.get $a))\n"
	"    (loop $l\n"
	"      (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
	"      (local.set $v (i32.load8_u (local.get $i)))\n"
	"      (local.set $a (i32.add (local.get $a) (i32.const 1)))\n"
	"      (br_if $l (i32.lt_u (local.get $v) (i32.const 9))))\n"
	"    (local.get $i))\n"
	"  (func (export \"after\") (param $a i32) (result i32) (local $i i32)\n"
	"    (call $effect)\n"
	"    (local.set $i (local.get $a))\n"
	"    (loop $l\n"
	"      (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
	"      (br_if $l (i32.lt_u (i32.load8_u (local.get $i)) (i32.const 9))))\n"
	"    (local.get $i)))\n";

/* The opcode table's costs of a list of operators, ended by SF_OP_COUNT. */
static uint64_t
ops_fuel(const int *ops)
{
	uint64_t	n = 0;

	for (; *ops != SF_OP_COUNT; ops++)
		n += sf_opinfo_table[*ops].fuel;
	return n;
}

/*
** The fuel of prog_search's function f (0: "search", ...): with k
** iterations to the end; or (ran) up to the load of iteration k.
*/
static uint64_t
search_fuel(int f, uint64_t k, bool ran)
{
	static const int before[][6] = {
		{SF_OP_LOCAL_GET, SF_OP_LOCAL_SET, SF_OP_LOOP, SF_OP_COUNT},
		{SF_OP_LOCAL_GET, SF_OP_LOCAL_SET, SF_OP_LOOP, SF_OP_COUNT},
		{SF_OP_CALL, SF_OP_LOCAL_GET, SF_OP_LOCAL_SET, SF_OP_LOOP, SF_OP_COUNT},
	};
	static const int to_load[] = {SF_OP_LOCAL_GET, SF_OP_I32_CONST, SF_OP_I32_ADD, SF_OP_LOCAL_SET,
	SF_OP_LOCAL_GET, SF_OP_I32_LOAD8_U, SF_OP_COUNT};
	static const int iteration[][16] = {
		{SF_OP_LOCAL_GET, SF_OP_I32_CONST, SF_OP_I32_ADD, SF_OP_LOCAL_SET, SF_OP_LOCAL_GET,
		SF_OP_I32_LOAD8_U, SF_OP_I32_CONST, SF_OP_I32_LT_U, SF_OP_BR_IF, SF_OP_COUNT},
		{SF_OP_LOCAL_GET, SF_OP_I32_CONST, SF_OP_I32_ADD, SF_OP_LOCAL_SET, SF_OP_LOCAL_GET,
			SF_OP_I32_LOAD8_U, SF_OP_LOCAL_SET, SF_OP_LOCAL_GET, SF_OP_I32_CONST, SF_OP_I32_ADD,
		SF_OP_LOCAL_SET, SF_OP_LOCAL_GET, SF_OP_I32_CONST, SF_OP_I32_LT_U, SF_OP_BR_IF, SF_OP_COUNT},
		{SF_OP_LOCAL_GET, SF_OP_I32_CONST, SF_OP_I32_ADD, SF_OP_LOCAL_SET, SF_OP_LOCAL_GET,
		SF_OP_I32_LOAD8_U, SF_OP_I32_CONST, SF_OP_I32_LT_U, SF_OP_BR_IF, SF_OP_COUNT},
	};
	static const int after[] = {SF_OP_END, SF_OP_LOCAL_GET, SF_OP_END, SF_OP_COUNT};

	/* the host call's entry into its host function costs its own */
	uint64_t	n = ops_fuel(before[f]) + (f == 2 ? SF_FUEL_HOST_CALL : 0);

	if (ran)
		return n + (k - 1) * ops_fuel(iteration[f]) + ops_fuel(to_load);
	return n + k * ops_fuel(iteration[f]) + ops_fuel(after);
}

/*
** A precise and a slacked rig of 'wat', bounds-checked or not, with
** 'peeled' loops peeled in each, none unrolled, no range standing ahead.
*/
static void
rigs_peeled(rig *pg, rig *sg, const char *wat, int checked, uint32_t peeled)
{
	sf_compile_stats cs;

	rig_checked = checked;
	rig_new(pg, wat, SF_FUEL_PRECISE);
	rig_new(sg, wat, SF_FUEL_SLACKED);
	rig_checked = false;
	sf_module_compile_stats(pg->m, &cs);
	assert_int_equal(cs.loops_peeled, peeled);
	sf_module_compile_stats(sg->m, &cs);
	assert_int_equal(cs.loops_peeled, peeled);
	assert_int_equal(cs.loops_unrolled, 0);
	assert_int_equal(sg->m->jit->nahead, 0);
}

/*
** A search loop mostly leaves after an iteration or two: it is not
** unrolled, but peeled in both counting modes, its first iteration paid by
** the run before the loop.  Each trip count, the first iteration's way out
** included, costs exactly what its operators cost, and a limit of that
** passes while one less runs out of fuel, alike in both modes.  A scan
** that runs off the memory traps in the first iteration or a later one,
** with guard pages and with bounds checks: precise and slacked mode charge
** the same, at least what ran, and out of fuel wins alike at the limit
** just below.
*/
static void
test_search_loops_peeled(void **state)
{
	static const char *const fns[] = {"search", "through", "after"};
	sf_compile_stats cs;
	rig			g;

	rig_new(&g, prog_search, SF_FUEL_OFF);
	sf_module_compile_stats(g.m, &cs);
	assert_int_equal(cs.loops_peeled, 0);
	rig_free(&g);
	for (int checked = 0; checked < 2; checked++)
	{
		rig			pg, sg;

		rigs_peeled(&pg, &sg, prog_search, checked, 3);
		for (int f = 0; f < 3; f++)
		{
			for (int64_t k = 1; k <= 7; k++)
			{
				uint64_t	cost = search_fuel(f, (uint64_t) k, false);

				expect_exact(&pg, fns[f], 100 - k, cost, 100);
				expect_exact(&sg, fns[f], 100 - k, cost, 100);
			}
			/* the load of address 65536, in iteration j, traps */
			/* a trapping operator counts as executed */
			for (int64_t j = 1; j <= 4; j++)
				expect_oob_alike(&pg, &sg, fns[f], 65536 - j, search_fuel(f, (uint64_t) j, true));
		}
		rig_free(&pg);
		rig_free(&sg);
	}
}

/* ---- the asynchronous check on crafted machine contexts --------------------------- */

static const char prog_probe[] =
	"(module\n"
	"  (import \"env\" \"probe\" (func $probe (result i32)))\n"
	"  (func (export \"probe\") (result i32) (call $probe)))\n";

static rig probe_rig;

static int
check_at(uintptr_t pc, int64_t r15, greg_t *rip_out, greg_t *rax_out)
{
	ucontext_t	uc;
	int			r;

	memset(&uc, 0, sizeof(uc));
	uc.uc_mcontext.gregs[REG_RIP] = (greg_t) pc;
	uc.uc_mcontext.gregs[REG_R15] = (greg_t) r15;
	r = sf_async_check(&uc);
	*rip_out = uc.uc_mcontext.gregs[REG_RIP];
	*rax_out = uc.uc_mcontext.gregs[REG_RAX];
	return r;
}

/* Runs inside a call: the activation is live, so the PC test decides. */
static int
host_probe(sf_ctx *ctx, void *env, const sf_val *a, sf_val *r)
{
	sf_activation *act = sf_call_current();
	uintptr_t	body = (uintptr_t) probe_rig.m->jit->code + probe_rig.m->jit->func_off[0];
	uintptr_t	stub = (uintptr_t) sf_stubs_get(NULL)->host_call;
	greg_t		rip, rax;
	int			ok = act != NULL;

	/* outside JIT bodies nothing happens, even with fuel gone */
	ok &= check_at(stub, 5, &rip, &rax) == 0 && rip == (greg_t) stub;
	ok &= check_at((uintptr_t) host_probe, 5, &rip, &rax) == 0;
	ok &= check_at(body, -5, &rip, &rax) == 0 && rip == (greg_t) body;
	ok &= check_at(body, SF_FUEL_AHEAD_MAX + 1, &rip, &rax) == 1 &&
		rax == SF_TRAP_OUT_OF_FUEL && rip == (greg_t) act->trap_stub;
	/* a count that may stand ahead (an unrolled loop) waits for a later tick */
	ok &= check_at(body, SF_FUEL_AHEAD_MAX, &rip, &rax) == 0 && rip == (greg_t) body;
	sf_request_interrupt();
	ok &= check_at(stub, -5, &rip, &rax) == 0;
	ok &= check_at(body, -5, &rip, &rax) == 1 && rax == SF_TRAP_INTERRUPTED;
	/* out of fuel wins over the interrupt; below the threshold C decides */
	ok &= check_at(body, SF_FUEL_AHEAD_MAX + 1, &rip, &rax) == 1 && rax == SF_TRAP_OUT_OF_FUEL;
	ok &= check_at(body, 5, &rip, &rax) == 1 && rax == SF_TRAP_INTERRUPTED;
	sf_clear_interrupt();
	probe_result = ok;
	r[0].type = SF_I32;
	r[0].of.i32 = 7;
	return 0;
}

static void
test_async_check_pc_rules(void **state)
{
	greg_t		rip, rax;
	outcome		o;

	rig_new(&probe_rig, prog_probe, SF_FUEL_SLACKED);
	/* no activation: never redirected */
	sf_request_interrupt();
	assert_int_equal(check_at((uintptr_t) probe_rig.m->jit->code, 5, &rip, &rax), 0);
	sf_clear_interrupt();
	assert_int_equal(sf_async_check(NULL), 0);
	probe_result = 0;
	o = run(&probe_rig, "probe", 0, 1000);
	assert_int_equal(o.st, SF_OK);
	assert_int_equal(o.result, 7);
	assert_true(probe_result);
	rig_free(&probe_rig);
}

/* Compiling while the watchdog ticks every millisecond is harmless. */
static void
test_ticks_during_compilation(void **state)
{
	sf_error	err;
	size_t		cap = 1 << 20, n = 0;
	char	   *wat = malloc(cap);

	assert_non_null(wat);
	n += (size_t) snprintf(wat + n, cap - n, "(module\n");
	for (int i = 0; i < 3000; i++)
		n += (size_t) snprintf(wat + n, cap - n,
							   "(func (export \"f%d\") (param i32) (result i32)"
							   " (block (loop (br_if 1 (i32.eqz (local.get 0)))"
							   " (local.set 0 (i32.sub (local.get 0) (i32.const 1))) (br 0)))"
							   " (i32.add (local.get 0) (i32.const %d)))\n", i, i);
	n += (size_t) snprintf(wat + n, cap - n, ")\n");
	assert_true(n < cap);
	assert_int_equal(sf_watchdog_start(1, &err), SF_OK);
	for (int rep = 0; rep < 3; rep++)
	{
		rig			g;
		outcome		o;

		rig_new(&g, wat, rep == 1 ? SF_FUEL_PRECISE : SF_FUEL_SLACKED);
		o = run(&g, "f2999", 10, NO_LIMIT);
		assert_int_equal(o.st, SF_OK);
		assert_int_equal(o.result, 2999);
		rig_free(&g);
	}
	sf_watchdog_stop();
	free(wat);
}

/* A growing byte buffer for modules larger than a wbuf. */
typedef struct bigbuf
{
	uint8_t    *b;
	size_t		n, cap;
} bigbuf;

static void
bb_bytes(bigbuf *w, const void *p, size_t n)
{
	if (w->n + n > w->cap)
	{
		w->cap = (w->n + n) * 2;
		w->b = realloc(w->b, w->cap);
		assert_non_null(w->b);
	}
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

static void
bb_u32(bigbuf *w, uint32_t v)
{
	do
	{
		uint8_t		b = v & 0x7f;

		v >>= 7;
		bb_bytes(w, &(uint8_t) {b | (v ? 0x80 : 0)}, 1);
	} while (v);
}

static void
bb_section(bigbuf *out, uint8_t id, const bigbuf *content)
{
	bb_bytes(out, &id, 1);
	bb_u32(out, (uint32_t) content->n);
	bb_bytes(out, content->b, content->n);
}

/*
** 'n' functions (i32) -> i32 of about 250 bytes each, exporting the last
** as "f": megabytes, tens of milliseconds to validate and more to compile.
*/
static void
big_module(bigbuf *out, uint32_t n)
{
	bigbuf		sec = {0}, body = {0};

	bb_bytes(out, "\0asm\1\0\0\0", 8);
	bb_bytes(&sec, "\x01\x60\x01\x7f\x01\x7f", 6);
	bb_section(out, 1, &sec);
	sec.n = 0;
	bb_u32(&sec, n);
	for (uint32_t f = 0; f < n; f++)
		bb_u32(&sec, 0);
	bb_section(out, 3, &sec);
	sec.n = 0;
	bb_bytes(&sec, "\x01\x00\x01", 3);
	bb_section(out, 5, &sec);
	sec.n = 0;
	bb_bytes(&sec, "\x01\x01\x66\x00", 4);
	bb_u32(&sec, n - 1);
	bb_section(out, 7, &sec);
	sec.n = 0;
	bb_u32(&sec, n);
	for (uint32_t f = 0; f < n; f++)
	{
		body.n = 0;
		bb_bytes(&body, "\x01\x01\x7f", 3);
		for (uint32_t k = 0; k < 20; k++)
		{
			/* local.set 1 (i32.add (i32.mul (local.get 0) (i32.const K)) (i32.load (local.get 1))) */
			bb_bytes(&body, "\x20\x00\x41\xff\xff\x03", 6);
			bb_bytes(&body, "\x6c\x20\x01\x28\x02\x00\x6a\x21\x01", 9);
		}
		bb_bytes(&body, "\x20\x01\x0b", 3);
		bb_u32(&sec, (uint32_t) body.n);
		bb_bytes(&sec, body.b, body.n);
	}
	bb_section(out, 10, &sec);
	free(sec.b);
	free(body.b);
}

/*
** Regression: a cancel during CREATE FUNCTION of a large module waited for
** the whole validation and compilation.  Text parsing, validation and
** compiling (on one thread or several) stop between functions once a stop
** is requested, and once the request is cleared the module compiles.
*/
static void
test_interrupt_stops_loading_and_compiling(void **state)
{
	bigbuf		mod = {0};
	sf_config	cfg;
	sf_error	err;
	sf_module  *m;
	char	   *wat;
	size_t		cap = 8u << 20, n = 0;
	uint8_t    *bytes;
	size_t		len;

	big_module(&mod, 40000);
	sf_config_default(&cfg);
	kill_after(2);
	m = sf_module_load(mod.b, mod.n, &cfg, &err);
	kill_cancel();
	assert_null(m);
	assert_int_equal(err.status, SF_TRAP);
	assert_int_equal(err.trap, SF_TRAP_INTERRUPTED);
	for (uint32_t threads = 1; threads <= 4; threads += 3)
	{
		cfg.compile_threads = threads;
		m = sf_module_load(mod.b, mod.n, &cfg, &err);
		assert_non_null(m);
		kill_after(2);
		assert_int_equal(sf_module_compile(m, &err), SF_TRAP);
		kill_cancel();
		assert_int_equal(err.trap, SF_TRAP_INTERRUPTED);
		assert_int_equal(sf_module_compile(m, &err), SF_OK);
		sf_module_free(m);
	}
	wat = malloc(cap);
	assert_non_null(wat);
	n += (size_t) snprintf(wat + n, cap - n, "(module\n");
	while (n < cap - 200)
		n += (size_t) snprintf(wat + n, cap - n,
							   "(func (param i32) (result i32) (i32.add (local.get 0) (i32.const %zu)))\n", n);
	n += (size_t) snprintf(wat + n, cap - n, ")\n");
	kill_after(2);
	assert_int_equal(sf_wat_to_wasm(wat, n, &bytes, &len, &err), SF_TRAP);
	kill_cancel();
	assert_int_equal(err.trap, SF_TRAP_INTERRUPTED);
	assert_int_equal(sf_wat_to_wasm(wat, n, &bytes, &len, &err), SF_OK);
	free(bytes);
	free(wat);
	free(mod.b);
}

/* ---- instance initialisation ------------------------------------------------------- */

/*
** Regression: a reactor's "_initialize" (clang -mexec-model=reactor: static
** constructors, e.g. a CRC table) was never called, so its functions ran
** on zeroed data.  It runs once, after the start function: start sets g to
** 1 (cost 2), _initialize to g * 10 + 2 (cost 6, and 2 for each turn of
** its loop, which spins while n is not 0).
*/
static const char prog_reactor[] =
	"(module\n"
	"  (global $g (mut i32) (i32.const 0))\n"
	"  (global $n (export \"n\") (mut i32) (i32.const 0))\n"
	"  (func $start (global.set $g (i32.const 1)))\n"
	"  (start $start)\n"
	"  (func (export \"_initialize\")\n"
	"    (global.set $g (i32.add (i32.mul (global.get $g) (i32.const 10)) (i32.const 2)))\n"
	"    (loop $l (br_if $l (global.get $n))))\n"
	"  (func (export \"g\") (result i32) (global.get $g)))\n";

static uint64_t init_fuel;		/* sf_last_fuel_consumed after instantiating */

static void
reactor_store(rig *g, sf_fuel_mode mode, bool meter, uint64_t limit, int32_t spin)
{
	sf_config	cfg;
	sf_store_config scfg = {.meter_start = meter, .start_fuel_limit = limit};
	sf_error	err;

	sf_config_default(&cfg);
	cfg.fuel_mode = mode;
	g->m = load_wat_cfg(prog_reactor, &cfg);
	if (spin)
	{
		/* the same module, with $n's initial value set: _initialize spins */
		static char wat[sizeof(prog_reactor) + 16];
		char	   *at;

		sf_module_free(g->m);
		snprintf(wat, sizeof(wat), "%s", prog_reactor);
		at = strstr(wat, "(mut i32) (i32.const 0))\n  (func $start");
		assert_non_null(at);
		at[21] = '1';
		g->m = load_wat_cfg(wat, &cfg);
	}
	g->s = sf_store_new(&scfg, &err);
	assert_non_null(g->s);
	g->inst = sf_instance_new(g->s, g->m, NULL, 0, &err);
	init_fuel = sf_last_fuel_consumed();
}

static void
test_reactor_initialize(void **state)
{
	sf_error	err;

	for (int mode = SF_FUEL_OFF; mode <= SF_FUEL_SLACKED; mode++)
	{
		rig			g;
		outcome		o;

		reactor_store(&g, (sf_fuel_mode) mode, true, 1000, 0);
		assert_non_null(g.inst);
		o = run(&g, "g", 0, NO_LIMIT);
		assert_int_equal(o.result, 12);
		/* start 2, _initialize 8 */
		assert_int_equal(init_fuel, mode == SF_FUEL_OFF ? 0 : 10);
		rig_free(&g);
		if (mode == SF_FUEL_OFF)
			continue;
		/* one limit for both: 10 passes, 9 runs out in _initialize */
		reactor_store(&g, (sf_fuel_mode) mode, true, 10, 0);
		assert_non_null(g.inst);
		rig_free(&g);
		reactor_store(&g, (sf_fuel_mode) mode, true, 9, 0);
		assert_null(g.inst);
		assert_true(init_fuel > 9);
		rig_free(&g);
		/* a runaway _initialize runs out of fuel like any call */
		assert_int_equal(sf_watchdog_start(5, &err), SF_OK);
		reactor_store(&g, (sf_fuel_mode) mode, true, 100000, 1);
		sf_watchdog_stop();
		assert_null(g.inst);
		assert_true(init_fuel > 100000);
		rig_free(&g);
	}
}

/* ... and is interrupted like any call; a wrongly typed one is refused. */
static void
test_reactor_initialize_stops(void **state)
{
	rig			g;
	sf_error	err;
	sf_module  *m;
	sf_store   *s;

	kill_after(20);
	reactor_store(&g, SF_FUEL_OFF, false, 0, 1);
	kill_cancel();
	assert_null(g.inst);
	rig_free(&g);
	m = load_wat_cfg("(module (func (export \"_initialize\") (param i32)))", NULL);
	s = sf_store_new(NULL, &err);
	assert_null(sf_instance_new(s, m, NULL, 0, &err));
	assert_int_equal(err.status, SF_INVALID);
	assert_string_equal(err.msg, "export \"_initialize\" must be a function of type [] -> []");
	sf_store_free(s);
	sf_module_free(m);
}

/* ---- determinism ------------------------------------------------------------------- */

static const char prog_det[] =
	"(module\n"
	"  (import \"env\" \"effect\" (func $effect))\n"
	"  (func (export \"det\") (param $n i32) (result i32)\n"
	"    (local $i i32) (local $j i32) (local $acc i32)\n"
	"    (block $out (loop $l\n"
	"      (br_if $out (i32.ge_s (local.get $i) (local.get $n)))\n"
	"      (call $effect)\n"
	"      (local.set $j (i32.const 0))\n"
	"      (block $ib (loop $il\n"
	"        (br_if $ib (i32.ge_s (local.get $j) (i32.const 1000)))\n"
	"        (local.set $acc (i32.add (i32.mul (local.get $acc) (i32.const 31)) (local.get $j)))\n"
	"        (local.set $j (i32.add (local.get $j) (i32.const 1)))\n"
	"        (br $il)))\n"
	"      (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
	"      (br $l)))\n"
	"    (local.get $acc))\n"
	")\n";

static pid_t
start_load(void)
{
	pid_t		p = fork();

	if (p == 0)
	{
		volatile unsigned long x = 0;
		double		end = now_s() + 30;

		while (now_s() < end)
			x++;
		_exit(0);
	}
	return p;
}

/*
** For limits below, at and above the exact cost (and one that runs out
** half way), slacked mode with the watchdog at 1..50 ms gives precise
** mode's decision, result and number of host side effects: 4 limits x 10
** intervals x 3 repetitions = 120 runs, the last third under CPU load.
*/
static void
test_slacked_is_deterministic(void **state)
{
	static const uint32_t intervals[] = {1, 2, 3, 5, 7, 10, 15, 20, 30, 50};
	rig			pg, sg;
	outcome		ref[4];
	uint64_t	limits[4], exact;
	const int	n = 4000;
	int			runs = 0;
	pid_t		load = -1;

	rig_new(&pg, prog_det, SF_FUEL_PRECISE);
	rig_new(&sg, prog_det, SF_FUEL_SLACKED);
	exact = run(&pg, "det", n, NO_LIMIT).consumed;
	limits[0] = exact / 2;
	limits[1] = exact - 1;
	limits[2] = exact;
	limits[3] = exact + 1;
	for (int l = 0; l < 4; l++)
	{
		ref[l] = run(&pg, "det", n, limits[l]);
		assert_int_equal(ref[l].st, l < 2 ? SF_TRAP : SF_OK);
	}
	for (int rep = 0; rep < 3; rep++)
	{
		if (rep == 2)
			load = start_load();
		for (size_t iv = 0; iv < sizeof(intervals) / sizeof(intervals[0]); iv++)
		{
			sf_error	err;

			assert_int_equal(sf_watchdog_start(intervals[iv], &err), SF_OK);
			for (int l = 0; l < 4; l++)
			{
				outcome		o = run(&sg, "det", n, limits[l]);

				assert_int_equal(o.st, ref[l].st);
				assert_int_equal(o.trap, ref[l].trap);
				assert_int_equal(o.result, ref[l].result);
				assert_int_equal(o.effects, ref[l].effects);
				if (o.st == SF_OK)
					assert_int_equal(o.consumed, ref[l].consumed);
				else
					assert_true(o.consumed > limits[l]);
				runs++;
			}
			sf_watchdog_stop();
		}
	}
	if (load > 0)
	{
		kill(load, SIGKILL);
		waitpid(load, NULL, 0);
	}
	assert_true(runs >= 100);
	rig_free(&pg);
	rig_free(&sg);
}

/* ---- the watchdog ---------------------------------------------------------------- */

static volatile sig_atomic_t alarms;

static void
on_alarm(int sig)
{
	alarms++;
}

/* ---- the call's own report ---------------------------------------------------------- */

static sf_func *reenter_target;
static uint64_t reenter_consumed;

/* Calls back into wasm: a nested call, with its own limit and report. */
static int
host_reenter(sf_ctx *ctx, void *env, const sf_val *a, sf_val *r)
{
	sf_val		arg = {.type = SF_I32, .of.i32 = 3}, res;
	sf_call_opts opts = {.fuel_limit = 1000};
	sf_error	err;

	if (sf_call(reenter_target, &arg, 1, &res, 1, &opts, &err) != SF_OK)
		return 1;
	reenter_consumed = opts.fuel_consumed;
	return 0;
}

/*
** sf_call reports the fuel it consumed in its options, whatever the
** outcome: its own figure when a host function it calls makes a call of
** its own, 0 when it does not reach JIT code (a host function, bad
** arguments); sf_last_fuel_consumed gives the same figure.
*/
static void
test_call_reports_its_fuel(void **state)
{
	static const char wat[] =
		"(module (import \"env\" \"reenter\" (func $reenter))\n"
		"  (func (export \"count\") (param $n i32) (result i32) (local $i i32)\n"
		"    (block $out (loop $l\n"
		"      (br_if $out (i32.ge_s (local.get $i) (local.get $n)))\n"
		"      (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
		"      (br $l)))\n"
		"    (local.get $i))\n"
		"  (func (export \"outer\") (result i32) (call $reenter) (i32.const 7)))";
	static const sf_valtype none[1];
	sf_functype ft = {0, 0, none, none};
	sf_module  *m;
	sf_store   *s;
	sf_instance *inst;
	sf_extern	imp, ex;
	sf_call_opts opts = {.fuel_limit = 1000000};
	sf_val		arg = {.type = SF_I32, .of.i32 = 10}, res;
	sf_error	err;
	uint8_t    *bytes;
	size_t		len;
	sf_config	cfg;

	assert_int_equal(sf_wat_to_wasm(wat, strlen(wat), &bytes, &len, &err), SF_OK);
	sf_config_default(&cfg);
	cfg.fuel_mode = SF_FUEL_SLACKED;
	m = sf_module_load(bytes, len, &cfg, &err);
	free(bytes);
	assert_non_null(m);
	s = sf_store_new(NULL, &err);
	imp.kind = SF_EXTERN_FUNC;
	imp.of.func = sf_func_new_host(s, &ft, host_reenter, NULL, &err);
	inst = sf_instance_new(s, m, &imp, 1, &err);
	assert_non_null(inst);
	assert_int_equal(sf_instance_export(inst, "count", 5, &ex), SF_OK);
	reenter_target = ex.of.func;

	/* count(10) costs 9n + 5 (test_exact_costs) */
	assert_int_equal(sf_call(ex.of.func, &arg, 1, &res, 1, &opts, &err), SF_OK);
	assert_int_equal(opts.fuel_consumed, 95);
	assert_int_equal(sf_last_fuel_consumed(), 95);
	/* outer: a host call and a const; the nested count(3) = 32 is its own */
	assert_int_equal(sf_instance_export(inst, "outer", 5, &ex), SF_OK);
	assert_int_equal(sf_call(ex.of.func, NULL, 0, &res, 1, &opts, &err), SF_OK);
	assert_int_equal(res.of.i32, 7);
	assert_int_equal(opts.fuel_consumed, HOST_CALL_FUEL + 1);
	assert_int_equal(reenter_consumed, 32);
	assert_int_equal(sf_last_fuel_consumed(), HOST_CALL_FUEL + 1);
	/* bad arguments, and a host function: nothing consumed */
	assert_int_equal(sf_call(ex.of.func, &arg, 1, &res, 1, &opts, &err), SF_BADARG);
	assert_int_equal(opts.fuel_consumed, 0);
	assert_int_equal(sf_last_fuel_consumed(), 0);
	opts.fuel_consumed = 99;
	assert_int_equal(sf_call(imp.of.func, NULL, 0, NULL, 0, &opts, &err), SF_OK);
	assert_int_equal(opts.fuel_consumed, 0);
	assert_int_equal(sf_call_slots(ex.of.func, NULL, 1, 1, &opts, &err), SF_BADARG);
	assert_int_equal(opts.fuel_consumed, 0);
	sf_store_free(s);
	sf_module_free(m);
}

/* The watchdog leaves SIGALRM and setitimer() to the program. */
static void
test_watchdog_leaves_other_timers_alone(void **state)
{
	struct sigaction sa, old;
	struct itimerval it = {{0, 2000}, {0, 2000}}, off = {{0, 0}, {0, 0}};
	sf_error	err;
	double		end;

	assert_int_equal(sf_watchdog_start(0, &err), SF_BADARG);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
	alarms = 0;
	assert_int_equal(sf_watchdog_start(1, &err), SF_OK);
	assert_int_equal(sf_watchdog_start(3, &err), SF_OK);	/* restart */
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	/* pending alarms coalesce, so a loaded machine may deliver few: wait for 5 */
	end = now_s() + 5;
	while (alarms < 5 && now_s() < end)
		;
	setitimer(ITIMER_REAL, &off, NULL);
	sf_watchdog_stop();
	sf_watchdog_stop();
	sigaction(SIGALRM, &old, NULL);
	assert_true(alarms >= 5);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_costs),
		cmocka_unit_test(test_random_programs_match_reference),
		cmocka_unit_test(test_random_trapping_programs_charge_what_ran),
		cmocka_unit_test(test_trapping_loops_charge_what_ran),
		cmocka_unit_test(test_merged_runs_charge_exactly),
		cmocka_unit_test(test_early_return_drops_its_charge),
		cmocka_unit_test(test_off_counts_nothing),
		cmocka_unit_test(test_zero_limit),
		cmocka_unit_test(test_out_of_fuel_names_its_function),
		cmocka_unit_test(test_limits_above_2_32),
		cmocka_unit_test(test_host_boundaries),
		cmocka_unit_test(test_bulk_exact_costs),
		cmocka_unit_test(test_bulk_in_late_loop_is_paid_for),
		cmocka_unit_test(test_random_bulk_programs_match_reference),
		cmocka_unit_test(test_out_of_fuel_wins_over_traps),
		cmocka_unit_test(test_runaway_stops),
		cmocka_unit_test(test_interrupted_call_reports_fuel),
		cmocka_unit_test(test_interrupt_before_entry),
		cmocka_unit_test(test_interrupt_in_host),
		cmocka_unit_test(test_ticks_in_stubs_and_host),
		cmocka_unit_test(test_async_check_pc_rules),
		cmocka_unit_test(test_ticks_during_compilation),
		cmocka_unit_test(test_interrupt_stops_loading_and_compiling),
		cmocka_unit_test(test_reactor_initialize),
		cmocka_unit_test(test_reactor_initialize_stops),
		cmocka_unit_test(test_slacked_is_deterministic),
		cmocka_unit_test(test_watchdog_leaves_other_timers_alone),
		cmocka_unit_test(test_call_reports_its_fuel),
		cmocka_unit_test(test_unrolled_loops_count_alike),
		cmocka_unit_test(test_search_loops_peeled),
	};

	sf_store   *s = sf_store_new(NULL, NULL);	/* installs the engine's handler */

	sigaction(SIGSEGV, NULL, &engine_segv);
	sf_store_free(s);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
