/*
** test_bulk.c -- the bulk memory and table operators: large operations done
** in chunks still give the spec's results (overlapping copies both ways),
** and a loop of them, which spends nearly all its time in the engine's C
** helpers where the asynchronous check cannot redirect it, stops at an
** interrupt request or exhausted fuel in every fuel mode.
**
** The loops count their iterations in an exported global: a loop that
** ignores the request runs all of them (the request is then honoured only
** at the return), one that honours it stops after a few.
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
#include <unistd.h>
#include <sys/syscall.h>
#include <cmocka.h>

#include "slackfuel.h"
#include "runtime.h"
#include "testwat.h"

static const sf_fuel_mode modes[] = {SF_FUEL_OFF, SF_FUEL_PRECISE, SF_FUEL_SLACKED};

typedef struct rig
{
	sf_module  *m;
	sf_store   *s;
	sf_instance *inst;
} rig;

/* Tables of up to 8M elements, past the defaults' 1M. */
static void
rig_new(rig *g, const char *wat, sf_fuel_mode mode)
{
	sf_config	cfg;
	sf_store_config scfg = {.max_table_elems = 10000000, .max_table_bytes = 128u << 20};
	sf_error	err;

	sf_config_default(&cfg);
	cfg.fuel_mode = mode;
	cfg.max_table_size = 10000000;
	g->m = load_wat_cfg(wat, &cfg);
	g->s = sf_store_new(&scfg, &err);
	assert_non_null(g->s);
	g->inst = sf_instance_new(g->s, g->m, NULL, 0, &err);
	if (g->inst == NULL)
		fail_msg("instantiate: %s", err.msg);
}

static void
rig_free(rig *g)
{
	sf_store_free(g->s);
	sf_module_free(g->m);
}

static sf_extern
export_of(rig *g, const char *name)
{
	sf_extern	ex;

	assert_int_equal(sf_instance_export(g->inst, name, strlen(name), &ex), SF_OK);
	return ex;
}

/* Call 'name' with i32 arguments; the status, the trap in *trap. */
static sf_status
call3(rig *g, const char *name, int32_t a, int32_t b, int32_t c,
	  uint64_t limit, sf_trap_kind *trap)
{
	sf_extern	ex = export_of(g, name);
	sf_functype ft;
	sf_val		args[3] = {{SF_I32, {.i32 = a}}, {SF_I32, {.i32 = b}}, {SF_I32, {.i32 = c}}};
	sf_call_opts opts = {.fuel_limit = limit};
	sf_error	err;
	sf_status	st;

	sf_func_type(ex.of.func, &ft);
	st = sf_call(ex.of.func, args, ft.nparams, NULL, 0, limit ? &opts : NULL, &err);
	*trap = st == SF_TRAP ? err.trap : SF_TRAP_NONE;
	return st;
}

/* ---- chunked work gives the spec's results -------------------------------------- */

static const char prog_ops[] =
	"(module (memory (export \"mem\") 200)\n"
	"  (table (export \"tab\") 400000 funcref)\n"
	"  (func $a) (func $b)\n"
	"  (elem declare func $a $b)\n"
	"  (func (export \"copy\") (param i32 i32 i32)\n"
	"    (memory.copy (local.get 0) (local.get 1) (local.get 2)))\n"
	"  (func (export \"fill\") (param i32 i32 i32)\n"
	"    (memory.fill (local.get 0) (local.get 1) (local.get 2)))\n"
	"  (func (export \"tcopy\") (param i32 i32 i32)\n"
	"    (table.copy (local.get 0) (local.get 1) (local.get 2)))\n"
	"  (func (export \"tfill_a\") (param i32 i32 i32)\n"
	"    (table.fill (local.get 0) (ref.func $a) (local.get 2)))\n"
	"  (func (export \"tgrow_b\") (param i32 i32 i32)\n"
	"    (drop (table.grow (ref.func $b) (local.get 0))))\n"
	")\n";

/* Overlapping copies of several chunks, down and up, against memmove. */
static void
test_chunked_memory_ops_match_memmove(void **state)
{
	static const uint32_t cases[][3] = {
		{100, 3000000, 3u << 20},	/* down, overlapping */
		{3000000, 100, (3u << 20) + 7},	/* up, overlapping */
		{5, 6, 2500000},		/* by one byte */
		{6, 5, 2500001},
		{0, 8u << 20, 256u << 10},	/* one chunk exactly, disjoint */
	};
	const size_t size = 200u << 16;
	uint8_t    *shadow = malloc(size);

	assert_non_null(shadow);
	for (size_t md = 0; md < 3; md++)
	{
		rig			g;
		uint8_t    *mem;
		sf_trap_kind trap;

		rig_new(&g, prog_ops, modes[md]);
		mem = sf_memory_data(export_of(&g, "mem").of.memory);
		for (size_t i = 0; i < size; i++)
			mem[i] = shadow[i] = (uint8_t) (i * 2654435761u >> 13);
		for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
		{
			assert_int_equal(call3(&g, "copy", (int32_t) cases[c][0], (int32_t) cases[c][1],
								   (int32_t) cases[c][2], 0, &trap), SF_OK);
			memmove(shadow + cases[c][0], shadow + cases[c][1], cases[c][2]);
			assert_memory_equal(mem, shadow, size);
		}
		assert_int_equal(call3(&g, "fill", 12345, 0x5a, 5u << 20, 0, &trap), SF_OK);
		memset(shadow + 12345, 0x5a, 5u << 20);
		assert_memory_equal(mem, shadow, size);
		/* out of bounds by one byte: nothing is written */
		assert_int_equal(call3(&g, "fill", 0, 0, (int32_t) size + 1, 0, &trap), SF_TRAP);
		assert_int_equal(trap, SF_TRAP_MEMORY_OOB);
		assert_int_equal(call3(&g, "copy", 1, 0, (int32_t) size, 0, &trap), SF_TRAP);
		assert_memory_equal(mem, shadow, size);
		rig_free(&g);
	}
	free(shadow);
}

/* The same for tables: 400,000 elements are several chunks. */
static void
test_chunked_table_ops(void **state)
{
	for (size_t md = 0; md < 3; md++)
	{
		rig			g;
		sf_table   *t;
		void	   *a, *b;
		sf_trap_kind trap;

		rig_new(&g, prog_ops, modes[md]);
		t = export_of(&g, "tab").of.table;
		/* every element of a fill at an odd place and length, none beside */
		assert_int_equal(call3(&g, "tfill_a", 7, 0, 77777, 0, &trap), SF_OK);
		a = t->elems[7];
		assert_non_null(a);
		for (uint32_t i = 0; i < 100000; i++)
			if ((t->elems[i] == a) != (i >= 7 && i < 7 + 77777))
				fail_msg("table.fill at 7 of 77777: element %u is %p", i, t->elems[i]);
		assert_int_equal(call3(&g, "tfill_a", 0, 0, 300000, 0, &trap), SF_OK);
		for (uint32_t i = 0; i < 300000; i++)
			assert_ptr_equal(t->elems[i], a);
		assert_null(t->elems[300000]);
		/* up by 50,000 over itself: [50000, 350000) holds a */
		assert_int_equal(call3(&g, "tcopy", 50000, 0, 300000, 0, &trap), SF_OK);
		assert_ptr_equal(t->elems[0], a);
		assert_ptr_equal(t->elems[349999], a);
		assert_null(t->elems[350000]);
		/* down by 200,000: [0, 150000) from [200000, 350000) */
		assert_int_equal(call3(&g, "tcopy", 0, 200000, 200000, 0, &trap), SF_OK);
		assert_ptr_equal(t->elems[149999], a);
		assert_null(t->elems[150000]);
		assert_int_equal(call3(&g, "tgrow_b", 300000, 0, 0, 0, &trap), SF_OK);
		assert_int_equal(t->size, 700000);
		b = t->elems[400000];
		assert_non_null(b);
		assert_true(b != a);
		for (uint32_t i = 400000; i < 700000; i++)
			assert_ptr_equal(t->elems[i], b);
		assert_null(t->elems[399999]);
		rig_free(&g);
	}
}

/* ---- loops of bulk operators stop --------------------------------------------------- */

/*
** Each loop runs $n times, counting in $count; each iteration touches
** 32 MiB (table: 4M elements), some milliseconds of work.
*/
#define LOOP(name, body) \
	"  (func (export \"" name "\") (param $n i32)\n" \
	"    (block $out (loop $l\n" \
	"      (br_if $out (i32.eqz (local.get $n)))\n" \
	"      " body "\n" \
	"      (global.set $count (i32.add (global.get $count) (i32.const 1)))\n" \
	"      (local.set $n (i32.sub (local.get $n) (i32.const 1)))\n" \
	"      (br $l))))\n"

static const char prog_loops[] =
	"(module (memory 1024)\n"
	"  (global $count (export \"count\") (mut i32) (i32.const 0))\n"
	"  (table $t 8000000 funcref)\n"
	"  (func $f) (elem declare func $f)\n"
	LOOP("fill", "(memory.fill (i32.const 0) (local.get $n) (i32.const 0x2000000))")
	LOOP("copy", "(memory.copy (i32.const 0) (i32.const 0x2000000) (i32.const 0x2000000))")
	LOOP("tfill", "(table.fill $t (i32.const 0) (ref.func $f) (i32.const 4000000))")
	LOOP("tcopy", "(table.copy $t $t (i32.const 0) (i32.const 4000000) (i32.const 4000000))")
	")\n";

static const char *const loops[] = {"fill", "copy", "tfill", "tcopy"};

#define LOOP_N 300

static int32_t
count_of(rig *g)
{
	return sf_global_get(export_of(g, "count").of.global).of.i32;
}

static void
reset_count(rig *g)
{
	sf_val		z = {SF_I32, {.i32 = 0}};

	sf_global_set(export_of(g, "count").of.global, z);
}

/* A timer that requests an interrupt after 'ms', like a cancel would. */
#define KILL_SIGNAL (SIGRTMAX - 4)
static timer_t kill_timer;

static void
kill_handler(int sig, siginfo_t *info, void *uc)
{
	int			saved = errno;

	sf_request_interrupt();
	sf_async_check(uc);
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
	its.it_value.tv_nsec = ms * 1000000L;
	assert_int_equal(timer_settime(kill_timer, 0, &its, NULL), 0);
}

static void
kill_cancel(void)
{
	timer_delete(kill_timer);
	sf_clear_interrupt();
}

/*
** Regression: cancel, statement_timeout and terminate waited for a tick
** to land in JIT code, which a loop of bulk operators almost never runs;
** 32 MB copies went on for tens of seconds.
*/
static void
test_interrupt_stops_bulk_loops(void **state)
{
	for (size_t md = 0; md < 3; md++)
	{
		rig			g;

		rig_new(&g, prog_loops, modes[md]);
		for (size_t l = 0; l < sizeof(loops) / sizeof(loops[0]); l++)
		{
			sf_trap_kind trap;
			sf_status	st;

			reset_count(&g);
			kill_after(20);
			st = call3(&g, loops[l], LOOP_N, 0, 0, 0, &trap);
			kill_cancel();
			if (st != SF_TRAP || trap != SF_TRAP_INTERRUPTED || count_of(&g) >= LOOP_N)
				fail_msg("mode %d %s: status %d trap %d after %d of %d iterations",
						 modes[md], loops[l], st, trap, count_of(&g), LOOP_N);
		}
		rig_free(&g);
	}
}

/*
** Regression: a bulk operator cost one unit whatever its size, so such a
** loop ran to its end on a limit meant for a few of its iterations.  Here
** a limit of 10M stops each loop in its second iteration (the first costs
** 4M or 8M), in slacked mode without any watchdog as in precise mode.
*/
static void
test_fuel_stops_bulk_loops(void **state)
{
	for (size_t md = 1; md < 3; md++)
	{
		rig			g;

		rig_new(&g, prog_loops, modes[md]);
		for (size_t l = 0; l < sizeof(loops) / sizeof(loops[0]); l++)
		{
			sf_trap_kind trap;
			sf_status	st;

			reset_count(&g);
			st = call3(&g, loops[l], LOOP_N, 0, 0, 10000000, &trap);
			if (st != SF_TRAP || trap != SF_TRAP_OUT_OF_FUEL || count_of(&g) > 2)
				fail_msg("mode %d %s: status %d trap %d after %d iterations",
						 modes[md], loops[l], st, trap, count_of(&g));
			assert_true(sf_last_fuel_consumed() > 10000000);
		}
		rig_free(&g);
	}
}

/*
** A pending request stops a bulk operator before it starts, and table.grow
** leaves the table as it was.
*/
static void
test_helpers_honour_a_pending_request(void **state)
{
	rig			g;
	sf_vmctx   *vm;
	sf_table   *t;

	rig_new(&g, prog_ops, SF_FUEL_OFF);
	vm = g.inst->vm;
	t = export_of(&g, "tab").of.table;
	sf_request_interrupt();
	assert_int_equal(sf_rt_memory_fill(vm, 0, 1, 10), SF_TRAP_INTERRUPTED);
	assert_int_equal(sf_rt_memory_copy(vm, 0, 10, 10), SF_TRAP_INTERRUPTED);
	assert_int_equal(sf_rt_table_fill(vm, 0, 0, NULL, 10), SF_TRAP_INTERRUPTED);
	assert_int_equal(sf_rt_table_grow(vm, 0, NULL, 10), SF_RT_TRAP(SF_TRAP_INTERRUPTED));
	assert_int_equal(t->size, 400000);
	/* out of bounds is checked first, and growing nothing does nothing */
	assert_int_equal(sf_rt_memory_fill(vm, 0, 1, 200u << 16 | 1), SF_TRAP_MEMORY_OOB);
	assert_int_equal(sf_rt_table_grow(vm, 0, NULL, 0), 400000);
	sf_clear_interrupt();
	assert_int_equal(sf_rt_table_grow(vm, 0, NULL, 10), 400000);
	assert_int_equal(t->size, 400010);
	assert_int_equal(sf_memory_data(export_of(&g, "mem").of.memory)[0], 0);
	rig_free(&g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chunked_memory_ops_match_memmove),
		cmocka_unit_test(test_chunked_table_ops),
		cmocka_unit_test(test_interrupt_stops_bulk_loops),
		cmocka_unit_test(test_fuel_stops_bulk_loops),
		cmocka_unit_test(test_helpers_honour_a_pending_request),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
