/*
** test_compile_threads.c -- compiling on several threads (compile_module.c)
** gives the same code and code maps, byte for byte, as one thread, in every
** fuel mode, and the same results and fuel; small modules stay on one
** thread.
**
** Whether a helper thread gets to compile anything depends on the
** scheduler, so each comparison compiles until a helper did take part (at
** most ATTEMPTS times) and fails if none ever did.
*/
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cmocka.h>

#include "slackfuel.h"
#include "runtime.h"
#include "testwat.h"

#define NFUNCS		600
#define ATTEMPTS	40

typedef struct text
{
	char	   *p;
	size_t		len,
				cap;
} text;

static void
put(text *t, const char *fmt, ...)
{
	va_list		ap;
	int			n;

	for (;;)
	{
		va_start(ap, fmt);
		n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		assert_true(n >= 0);
		if (t->len + (size_t) n < t->cap)
			break;
		t->cap = t->cap * 2 + (size_t) n + 1;
		t->p = realloc(t->p, t->cap);
		assert_non_null(t->p);
	}
	t->len += (size_t) n;
}

/*
** NFUNCS functions of varied size (one a hundred times the others), each
** with a loop, a br_table and a direct call to the one before; 'run' calls
** one of them through the table.  'dense' makes each function a row of
** i64 divisions, whose code is several times the wasm: the buffers then
** overflow their regions, and the code takes the slower ways to its place.
*/
static char *
many_functions(bool dense)
{
	text		t = {malloc(1 << 16), 0, 1 << 16};

	assert_non_null(t.p);
	put(&t, "(module (type $t (func (param i32) (result i32))) (memory 1)\n");
	put(&t, "(table %d funcref) (elem (i32.const 0)", NFUNCS);
	for (int k = 0; k < NFUNCS; k++)
		put(&t, " $f%d", k);
	put(&t, ")\n(func $f0 (param i32) (result i32) local.get 0 i32.const 1 i32.add)\n");
	for (int k = 1; k < NFUNCS; k++)
	{
		int			reps = k == NFUNCS / 2 ? 300 : 1 + k % 7;

		put(&t, "(func $f%d (param $x i32) (result i32) (local $i i32) (local $a i32) (local $w i64)\n", k);
		for (int r = 0; r < reps; r++)
		{
			if (dense)
				put(&t, "(local.set $w (i64.add (local.get $w) (i64.div_s (i64.extend_i32_s "
					"(local.get $x)) (i64.const %d))))\n", r + 2);
			else
				put(&t, "(local.set $a (i32.add (local.get $a) (i32.mul (local.get $x) (i32.const %d))))\n"
					"(local.set $i (i32.const 0))\n"
					"(block (loop (br_if 1 (i32.ge_u (local.get $i) (i32.const 3)))\n"
					"  (local.set $a (i32.xor (local.get $a) (i32.shl (local.get $i) (i32.const %d))))\n"
					"  (local.set $i (i32.add (local.get $i) (i32.const 1))) (br 0)))\n"
					"(block (block (block (br_table 0 1 2 (i32.and (local.get $a) (i32.const 3))))\n"
					"  (local.set $a (i32.add (local.get $a) (i32.const 7))))\n"
					"  (local.set $a (i32.sub (local.get $a) (i32.const 5))))\n", k, r % 31);
		}
		put(&t, "(i32.add (i32.add (local.get $a) (i32.wrap_i64 (local.get $w)))\n"
			"  (call $f%d (i32.and (local.get $x) (i32.const 255)))))\n", k - 1);
	}
	put(&t, "(func (export \"run\") (param $x i32) (result i32)\n"
		"  (call_indirect (type $t) (local.get $x) (i32.rem_u (local.get $x) (i32.const %d)))))\n",
		NFUNCS);
	return t.p;
}

typedef struct compiled
{
	sf_module  *m;
	uint32_t	threads;		/* that took part */
} compiled;

static compiled
compile(const char *wat, sf_fuel_mode mode, uint32_t threads)
{
	sf_config	cfg;
	sf_error	err;
	sf_compile_stats cs;
	compiled	c;

	sf_config_default(&cfg);
	cfg.fuel_mode = mode;
	cfg.compile_threads = threads;
	c.m = load_wat_cfg(wat, &cfg);
	if (sf_module_compile(c.m, &err) != SF_OK)
		fail_msg("compile: %s", err.msg);
	sf_module_compile_stats(c.m, &cs);
	c.threads = cs.compile_threads;
	assert_true(c.threads >= 1 && c.threads <= (threads ? threads : 4));
	return c;
}

/* run(x) for a few x: each result and the fuel it consumed. */
static void
run_some(sf_module *m, uint32_t *res, uint64_t *fuel)
{
	sf_store   *s = sf_store_new(NULL, NULL);
	sf_error	err;
	sf_instance *inst;
	sf_extern	ex;

	assert_non_null(s);
	inst = sf_instance_new(s, m, NULL, 0, &err);
	if (inst == NULL)
		fail_msg("instantiate: %s", err.msg);
	assert_int_equal(sf_instance_export(inst, "run", 3, &ex), SF_OK);
	for (int i = 0; i < 4; i++)
	{
		sf_val		arg = {.type = SF_I32, .of.i32 = i * 151 + 299};
		sf_val		out;
		sf_call_opts opts = {.fuel_limit = UINT64_C(1) << 40};

		if (sf_call(ex.of.func, &arg, 1, &out, 1, &opts, &err) != SF_OK)
			fail_msg("run: %s", err.msg);
		res[i] = (uint32_t) out.of.i32;
		fuel[i] = opts.fuel_consumed;
	}
	sf_store_free(s);
}

static void
same_code(const sf_module *a, const sf_module *b)
{
	const struct sf_jit *x = a->jit,
			   *y = b->jit;

	assert_int_equal(x->nfuncs, y->nfuncs);
	for (uint32_t i = 0; i < x->nfuncs; i++)
		if (x->func_end[i] - x->func_off[i] != y->func_end[i] - y->func_off[i] ||
			memcmp(x->code + x->func_off[i], y->code + y->func_off[i], x->func_end[i] - x->func_off[i]) != 0)
			fail_msg("function %u differs: %u bytes at %u, %u bytes at %u (fuel mode %d)", i,
					 x->func_end[i] - x->func_off[i], x->func_off[i],
					 y->func_end[i] - y->func_off[i], y->func_off[i], (int) a->cfg.fuel_mode);
	assert_int_equal(x->code_len, y->code_len);
	assert_memory_equal(x->func_off, y->func_off, x->nfuncs * sizeof(uint32_t));
	assert_memory_equal(x->func_end, y->func_end, x->nfuncs * sizeof(uint32_t));
	assert_memory_equal(x->code, y->code, x->code_len);
	assert_int_equal(a->stats.fuel_points, b->stats.fuel_points);
	/* the code maps (backtraces) moved with their functions */
	for (uint32_t i = 0; i < x->nfuncs; i++)
		if (x->map_end[i] - x->map_off[i] != y->map_end[i] - y->map_off[i] ||
			memcmp(x->maps + x->map_off[i], y->maps + y->map_off[i], x->map_end[i] - x->map_off[i]) != 0)
			fail_msg("the code map of function %u differs (fuel mode %d)", i, (int) a->cfg.fuel_mode);
}

static void
compare_threads(bool dense)
{
	char	   *wat = many_functions(dense);
	static const sf_fuel_mode modes[] = {SF_FUEL_OFF, SF_FUEL_PRECISE, SF_FUEL_SLACKED};

	for (size_t k = 0; k < sizeof(modes) / sizeof(modes[0]); k++)
	{
		compiled	one = compile(wat, modes[k], 1);
		uint32_t	res1[4], res[4];
		uint64_t	fuel1[4], fuel[4];

		assert_int_equal(one.threads, 1);
		run_some(one.m, res1, fuel1);
		for (uint32_t threads = 2; threads <= 4; threads += 2)
		{
			int			tries = 0;
			compiled	par;

			/* until a helper took part; the code must match every time */
			do
			{
				if (tries > 0)
					sf_module_free(par.m);
				par = compile(wat, modes[k], threads);
				same_code(one.m, par.m);
			} while (par.threads == 1 && ++tries < ATTEMPTS);
			if (par.threads == 1)
				fail_msg("no helper thread compiled anything in %d compiles", ATTEMPTS);
			run_some(par.m, res, fuel);
			assert_memory_equal(res, res1, sizeof(res));
			assert_memory_equal(fuel, fuel1, sizeof(fuel));
			sf_module_free(par.m);
		}
		sf_module_free(one.m);
	}
	free(wat);
}

static void
test_threads_same_code(void **state)
{
	(void) state;
	compare_threads(false);
}

static void
test_threads_same_code_overflowing(void **state)
{
	(void) state;
	compare_threads(true);
}

/*
** Helpers block every signal: signals sent while threads compile reach the
** calling thread only (a PostgreSQL backend's handlers assume they are
** its own).  A signaller thread sends SIGUSR1 to the process and to every
** other thread of it by thread id; a helper must never run the handler.
*/
static volatile sig_atomic_t got_main, got_other;
static pid_t main_tid;
static volatile int signalling;
static int	sent_to_others;

static void
on_usr1(int sig)
{
	(void) sig;
	if (gettid() == main_tid)
		got_main = got_main + 1;
	else
		got_other = got_other + 1;
}

static void *
signaller(void *arg)
{
	sigset_t	usr1;
	pid_t		self = gettid();

	(void) arg;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &usr1, NULL);
	while (signalling)
	{
		DIR		   *d = opendir("/proc/self/task");
		struct dirent *e;

		kill(getpid(), SIGUSR1);
		while (d != NULL && (e = readdir(d)) != NULL)
		{
			pid_t		tid = (pid_t) atoi(e->d_name);

			if (tid > 0 && tid != self && tid != main_tid &&
				syscall(SYS_tgkill, getpid(), tid, SIGUSR1) == 0)
				sent_to_others++;
		}
		if (d != NULL)
			closedir(d);
		usleep(20);
	}
	return NULL;
}

static void
test_signals_reach_the_caller_only(void **state)
{
	char	   *wat = many_functions(false);
	struct sigaction sa, old;
	pthread_t	tid;
	compiled	one = compile(wat, SF_FUEL_SLACKED, 1);
	bool		helped = false;

	(void) state;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
	main_tid = gettid();
	got_main = got_other = 0;
	signalling = 1;
	assert_int_equal(pthread_create(&tid, NULL, signaller, NULL), 0);
	sent_to_others = 0;
	for (int k = 0; k < ATTEMPTS && !(helped && got_main > 0 && sent_to_others > 0); k++)
	{
		compiled	par = compile(wat, SF_FUEL_SLACKED, 2);

		same_code(one.m, par.m);
		helped |= par.threads > 1;
		sf_module_free(par.m);
	}
	signalling = 0;
	pthread_join(tid, NULL);
	sigaction(SIGUSR1, &old, NULL);
	assert_true(helped);
	assert_true(got_main > 0);
	assert_true(sent_to_others > 0);
	assert_int_equal(got_other, 0);
	sf_module_free(one.m);
	free(wat);
}

/* Automatic: a small module is not worth a thread. */
static void
test_small_module_one_thread(void **state)
{
	compiled	c;

	(void) state;
	c = compile("(module (func (export \"f\") (result i32) i32.const 1)"
				" (func (result i32) i32.const 2))", SF_FUEL_SLACKED, 0);
	assert_int_equal(c.threads, 1);
	sf_module_free(c.m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads_same_code),
		cmocka_unit_test(test_threads_same_code_overflowing),
		cmocka_unit_test(test_signals_reach_the_caller_only),
		cmocka_unit_test(test_small_module_one_thread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
