/*
** test_limits.c -- what a store's memories and tables may hold: the caps
** on tables (their number and size in a module, their bytes in a store),
** on a store's memories and tables together, and a budget that several
** stores share.  Past a cap, growing returns -1 and creating fails with
** SF_LIMIT naming the cap; freeing a store gives its share back.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "slackfuel.h"
#include "runtime.h"
#include "testwat.h"

static sf_module *
load(const char *wat)
{
	return load_wat_cfg(wat, NULL);
}

static sf_func *
export_func(sf_instance *inst, const char *name)
{
	sf_extern	ex;

	assert_int_equal(sf_instance_export(inst, name, strlen(name), &ex), SF_OK);
	return ex.of.func;
}

/* Call an (i32) -> i32 export. */
static int32_t
call_i32(sf_instance *inst, const char *name, int32_t x)
{
	sf_val		a = {SF_I32, {.i32 = x}}, r;
	sf_error	err;

	if (sf_call(export_func(inst, name), &a, 1, &r, 1, NULL, &err) != SF_OK)
		fail_msg("%s(%d): %s", name, x, err.msg);
	return r.of.i32;
}

/*
** Regression: twelve tables of 10M funcref elements, each table.fill'ed,
** took 959 MB for 49 fuel.  A table grows only within max_table_bytes
** (default 16 MiB, 2M elements) of all the store's tables together.
*/
static const char prog_tables[] =
	"(module\n"
	"  (table $a 0 funcref) (table $b 0 funcref) (table $c 0 funcref)\n"
	"  (func $f) (elem declare func $f)\n"
	"  (func (export \"grow_a\") (param i32) (result i32) (table.grow $a (ref.func $f) (local.get 0)))\n"
	"  (func (export \"grow_b\") (param i32) (result i32) (table.grow $b (ref.func $f) (local.get 0)))\n"
	"  (func (export \"grow_c\") (param i32) (result i32) (table.grow $c (ref.func $f) (local.get 0)))\n"
	"  (func (export \"fill_a\") (param i32) (result i32)\n"
	"    (table.fill $a (i32.const 0) (ref.func $f) (local.get 0)) (table.size $a)))\n";

static void
test_tables_grow_within_their_bytes(void **state)
{
	sf_module  *m = load(prog_tables);
	sf_error	err;
	sf_store   *s = sf_store_new(NULL, &err);
	sf_instance *inst = sf_instance_new(s, m, NULL, 0, &err);
	uint64_t	base = sf_store_bytes(s);	/* the instance's own structures */

	assert_non_null(inst);
	assert_true(base > 0 && base < 4096);
	/* past the table size cap, 1,000,000 elements */
	assert_int_equal(call_i32(inst, "grow_a", 1000001), -1);
	assert_int_equal(call_i32(inst, "grow_a", 1000000), 0);
	assert_int_equal(call_i32(inst, "fill_a", 1000000), 1000000);
	assert_int_equal(call_i32(inst, "grow_b", 1000000), 0);
	assert_int_equal(sf_store_bytes(s) - base, 16000000);
	assert_int_equal(call_i32(inst, "grow_c", 97153), -1);
	assert_int_equal(call_i32(inst, "grow_c", 97152), 0);
	assert_int_equal(sf_store_bytes(s) - base, 16u << 20);
	/* the 16 MiB are all taken: nothing more, in any table */
	assert_int_equal(call_i32(inst, "grow_c", 1), -1);
	assert_int_equal(call_i32(inst, "grow_b", 1), -1);
	assert_int_equal(call_i32(inst, "grow_c", 0), 97152);
	sf_store_free(s);
	sf_module_free(m);
}

/* The engine's defaults: a module of 101 tables, or of one of 1M + 1, fails to load. */
static void
test_table_defaults(void **state)
{
	char		wat[4096];
	size_t		n = 0;
	uint8_t    *bytes;
	size_t		len;
	sf_error	err;

	n += (size_t) snprintf(wat + n, sizeof(wat) - n, "(module");
	for (int i = 0; i < 101; i++)
		n += (size_t) snprintf(wat + n, sizeof(wat) - n, " (table 1 funcref)");
	snprintf(wat + n, sizeof(wat) - n, ")");
	assert_int_equal(sf_wat_to_wasm(wat, strlen(wat), &bytes, &len, &err), SF_OK);
	assert_null(sf_module_load(bytes, len, NULL, &err));
	assert_int_equal(err.status, SF_LIMIT);
	assert_non_null(strstr(err.msg, "too many tables: 101 (limit 100)"));
	free(bytes);
	snprintf(wat, sizeof(wat), "(module (table 1000001 funcref))");
	assert_int_equal(sf_wat_to_wasm(wat, strlen(wat), &bytes, &len, &err), SF_OK);
	assert_null(sf_module_load(bytes, len, NULL, &err));
	assert_int_equal(err.status, SF_LIMIT);
	free(bytes);
}

/*
** Tables whose minimum sizes pass max_table_bytes fail instantiation with
** an error naming it.
*/
static void
test_instantiation_names_the_cap(void **state)
{
	sf_module  *m = load("(module (table 600000 funcref) (table 600000 funcref))");
	sf_store_config cfg = {.max_table_bytes = 8u << 20};
	sf_error	err;
	sf_store   *s = sf_store_new(&cfg, &err);

	assert_null(sf_instance_new(s, m, NULL, 0, &err));
	assert_int_equal(err.status, SF_LIMIT);
	assert_string_equal(err.msg, "a table of 4800000 bytes exceeds max_table_bytes: "
						"4800000 of 8388608 bytes in use");
	sf_store_free(s);
	sf_module_free(m);
}

/* max_store_bytes: memories and tables together (not the instance itself). */
static const char prog_mem_table[] =
	"(module (memory 16) (table 10000 funcref)\n"
	"  (func (export \"mgrow\") (param i32) (result i32) (memory.grow (local.get 0)))\n"
	"  (func (export \"tgrow\") (param i32) (result i32)\n"
	"    (table.grow (ref.null func) (local.get 0))))\n";

/* What an instance of 'm' takes besides 'mem' and 'table' bytes. */
static uint64_t
overhead(sf_module *m, uint64_t mem, uint64_t table)
{
	sf_error	err;
	sf_store   *s = sf_store_new(NULL, &err);
	uint64_t	n;

	assert_non_null(sf_instance_new(s, m, NULL, 0, &err));
	n = sf_store_bytes(s) - mem - table;
	sf_store_free(s);
	return n;
}

static void
test_memory_and_tables_together(void **state)
{
	sf_module  *m = load(prog_mem_table);
	uint64_t	over = overhead(m, 16u << 16, 80000);
	sf_store_config cfg = {.max_store_bytes = (32u << 16) + 80000};
	sf_error	err;
	sf_store   *s = sf_store_new(&cfg, &err);
	sf_instance *inst = sf_instance_new(s, m, NULL, 0, &err);

	assert_non_null(inst);
	assert_true(over > 0 && over < 4096);
	assert_int_equal(sf_store_bytes(s), (16u << 16) + 80000 + over);
	assert_int_equal(call_i32(inst, "mgrow", 17), -1);
	assert_int_equal(call_i32(inst, "mgrow", 16), 16);
	assert_int_equal(call_i32(inst, "tgrow", 1), -1);
	assert_int_equal(call_i32(inst, "mgrow", 1), -1);
	sf_store_free(s);
	cfg.max_store_bytes = 16u << 16;
	s = sf_store_new(&cfg, &err);
	assert_null(sf_instance_new(s, m, NULL, 0, &err));
	assert_int_equal(err.status, SF_LIMIT);
	assert_non_null(strstr(err.msg, "max_store_bytes"));
	sf_store_free(s);
	sf_module_free(m);
}

/*
** A budget shared by stores: what one holds, another cannot take; a
** freed store gives its share back; the host can take some for itself.
*/
static void
test_shared_budget(void **state)
{
	sf_module  *m = load(prog_mem_table);
	uint64_t	over = overhead(m, 16u << 16, 80000);
	sf_error	err;
	sf_budget  *b = sf_budget_new((40u << 16) + 2 * (80000 + over), &err);
	sf_store_config cfg = {.budget = b};
	sf_store   *s1 = sf_store_new(&cfg, &err),
			   *s2 = sf_store_new(&cfg, &err),
			   *s3 = sf_store_new(&cfg, &err);
	sf_instance *i1 = sf_instance_new(s1, m, NULL, 0, &err),
			   *i2 = sf_instance_new(s2, m, NULL, 0, &err);

	assert_non_null(i1);
	assert_non_null(i2);
	assert_int_equal(sf_budget_used(b), (32u << 16) + 2 * (80000 + over));
	assert_int_equal(call_i32(i1, "mgrow", 9), -1);
	assert_int_equal(call_i32(i1, "mgrow", 8), 16);
	assert_int_equal(call_i32(i2, "mgrow", 1), -1);
	/* a third instance does not fit */
	assert_null(sf_instance_new(s3, m, NULL, 0, &err));
	assert_int_equal(err.status, SF_LIMIT);
	assert_non_null(strstr(err.msg, "the shared budget"));
	sf_store_free(s1);
	assert_int_equal(sf_budget_used(b), (16u << 16) + 80000 + over);
	assert_int_equal(call_i32(i2, "mgrow", 8), 16);
	/* the host's own share */
	assert_int_equal(sf_budget_take(b, (16u << 16) + 80001 + over), 0);
	assert_int_equal(sf_budget_take(b, (16u << 16) + 80000 + over), 1);
	assert_int_equal(call_i32(i2, "tgrow", 1), -1);
	sf_budget_give(b, 80000);
	assert_int_equal(call_i32(i2, "tgrow", 10000), 10000);
	/* a lower limit holds back growth, and takes nothing away */
	sf_budget_set_limit(b, 1);
	assert_int_equal(call_i32(i2, "mgrow", 0), 24);
	assert_int_equal(call_i32(i2, "mgrow", 1), -1);
	assert_int_equal(sf_budget_limit(b), 1);
	sf_store_free(s2);
	sf_store_free(s3);
	assert_int_equal(sf_budget_used(b), (16u << 16) + over);
	sf_budget_free(b);
	sf_module_free(m);
}

/*
** The budget's reclaim: when bytes do not fit, the host frees stores it
** holds (here, idle ones in the order given), then the take goes on; a
** memory.grow inside a call reclaims too.  When nothing is left to free,
** the take is refused and counted.
*/
static sf_store *idle[4];
static int	nidle, reclaims;

static uint64_t
free_idle(void *env, uint64_t bytes)
{
	uint64_t	n;

	reclaims++;
	if (nidle == 0)
		return 0;
	n = sf_store_bytes(idle[--nidle]);
	sf_store_free(idle[nidle]);
	return n;
}

static void
test_budget_reclaims(void **state)
{
	sf_module  *m = load(prog_mem_table);
	uint64_t	one = (16u << 16) + 80000 + overhead(m, 16u << 16, 80000);
	sf_error	err;
	sf_budget  *b = sf_budget_new(3 * one, &err);
	sf_store_config cfg = {.budget = b};
	sf_store   *s;
	sf_instance *inst;

	sf_budget_set_reclaim(b, free_idle, NULL);
	nidle = reclaims = 0;
	for (int i = 0; i < 3; i++)
	{
		idle[nidle] = sf_store_new(&cfg, &err);
		assert_non_null(sf_instance_new(idle[nidle], m, NULL, 0, &err));
		nidle++;
	}
	assert_int_equal(reclaims, 0);
	/* a fourth fits once one idle store is freed */
	s = sf_store_new(&cfg, &err);
	inst = sf_instance_new(s, m, NULL, 0, &err);
	assert_non_null(inst);
	assert_int_equal(nidle, 2);
	assert_int_equal(sf_budget_refusals(b), 0);
	/* growing by 16 pages frees one more idle store, in the call */
	assert_int_equal(call_i32(inst, "mgrow", 16), 16);
	assert_int_equal(nidle, 1);
	/* more than all there is: the last idle store goes, and it is refused */
	assert_int_equal(call_i32(inst, "mgrow", 100), -1);
	assert_int_equal(nidle, 0);
	assert_int_equal(sf_budget_refusals(b), 1);
	assert_int_equal(sf_budget_take(b, 1 << 30), 0);
	assert_int_equal(sf_budget_refusals(b), 2);
	sf_store_free(s);
	assert_int_equal(sf_budget_used(b), 0);
	sf_budget_free(b);
	sf_module_free(m);
}

/*
** Regression: with too little address space for a memory's 8 GiB
** reservation (ulimit -v), every function with a memory failed.  The
** instance now runs bounds-checked code, with the same results and traps.
** In a child process, under an address-space limit of what it has mapped
** plus 3 GiB; the exit status says which check failed.
*/
static const char prog_poke[] =
	"(module (memory 1 4)\n"
	"  (func (export \"poke\") (param i32) (result i32)\n"
	"    (i32.store (local.get 0) (i32.const 7)) (i32.load (local.get 0)))\n"
	"  (func (export \"grow\") (param i32) (result i32) (memory.grow (local.get 0))))\n";

static int
low_address_space_child(void)
{
	sf_module  *m = load(prog_poke);
	sf_error	err;
	sf_store   *s = sf_store_new(NULL, &err);
	sf_instance *inst;
	sf_val		a = {SF_I32, {.i32 = 65532}}, r;
	unsigned long pages = 0;
	FILE	   *f = fopen("/proc/self/statm", "r");
	struct rlimit rl;

	if (f == NULL || fscanf(f, "%lu", &pages) != 1)
		return 10;
	fclose(f);
	rl.rlim_cur = rl.rlim_max = (rlim_t) pages * (rlim_t) sysconf(_SC_PAGESIZE) + ((rlim_t) 3 << 30);
	if (setrlimit(RLIMIT_AS, &rl) != 0)
		return 11;
	inst = sf_instance_new(s, m, NULL, 0, &err);
	if (inst == NULL)
		return 12;
	if (!sf_instance_bounds_checked(inst))
		return 13;
	if (sf_call(export_func(inst, "poke"), &a, 1, &r, 1, NULL, &err) != SF_OK || r.of.i32 != 7)
		return 14;
	a.of.i32 = 65533;
	if (sf_call(export_func(inst, "poke"), &a, 1, &r, 1, NULL, &err) != SF_TRAP ||
		err.trap != SF_TRAP_MEMORY_OOB)
		return 15;
	a.of.i32 = 1;
	if (sf_call(export_func(inst, "grow"), &a, 1, &r, 1, NULL, &err) != SF_OK || r.of.i32 != 1)
		return 16;
	a.of.i32 = 65533;
	if (sf_call(export_func(inst, "poke"), &a, 1, &r, 1, NULL, &err) != SF_OK || r.of.i32 != 7)
		return 17;
	/* a second instance reuses the bounds-checked code */
	if ((inst = sf_instance_new(s, m, NULL, 0, &err)) == NULL || !sf_instance_bounds_checked(inst))
		return 18;
	sf_module_free(m);
	/* without a maximum, as much as the address space holds, and no more */
	m = load("(module (memory 1) (func (export \"grow\") (param i32) (result i32)"
			 " (memory.grow (local.get 0))))");
	if ((inst = sf_instance_new(s, m, NULL, 0, &err)) == NULL)
		return 19;
	a.of.i32 = 65535;
	if (sf_call(export_func(inst, "grow"), &a, 1, &r, 1, NULL, &err) != SF_OK || r.of.i32 != -1)
		return 20;
	sf_store_free(s);
	sf_module_free(m);
	return 0;
}

/*
** The address-space wall (some 16,000 memories in a process): where even a
** bounds-checked memory's reservation fails, the budget's reclaim frees
** idle stores and creating goes on.  In a child under an address-space
** limit of what it has mapped plus 48 MiB, 300 instances with a 1 MiB
** memory each, the oldest freed by the reclaim: before it, creating failed
** after some 40 ("cannot reserve").
*/
static sf_store *ring[300];
static int	ring_lo,
			ring_hi;

static uint64_t
free_oldest(void *env, uint64_t bytes)
{
	uint64_t	n;

	if (ring_lo == ring_hi)
		return 0;
	n = sf_store_bytes(ring[ring_lo]);
	sf_store_free(ring[ring_lo++]);
	return n;
}

static int
address_wall_child(void)
{
	sf_module  *m = load("(module (memory 16))");
	sf_error	err;
	sf_budget  *b = sf_budget_new(UINT64_MAX, &err);
	sf_store_config cfg = {.budget = b};
	unsigned long pages = 0;
	FILE	   *f = fopen("/proc/self/statm", "r");
	struct rlimit rl;

	sf_budget_set_reclaim(b, free_oldest, NULL);
	if (f == NULL || fscanf(f, "%lu", &pages) != 1)
		return 10;
	fclose(f);
	rl.rlim_cur = rl.rlim_max = (rlim_t) pages * (rlim_t) sysconf(_SC_PAGESIZE) + ((rlim_t) 48 << 20);
	if (setrlimit(RLIMIT_AS, &rl) != 0)
		return 11;
	for (int i = 0; i < 300; i++)
	{
		ring[ring_hi] = sf_store_new(&cfg, &err);
		if (ring[ring_hi] == NULL || sf_instance_new(ring[ring_hi], m, NULL, 0, &err) == NULL)
			return 12;
		ring_hi++;
	}
	/* the reclaim freed some, and the memories were bounds-checked */
	return ring_lo > 0 ? 0 : 13;
}

static void
test_address_wall_reclaims(void **state)
{
	pid_t		pid = fork();
	int			status;

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(address_wall_child());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void
test_low_address_space_falls_back(void **state)
{
	sf_module  *m = load(prog_poke);
	sf_error	err;
	sf_store   *s = sf_store_new(NULL, &err);
	sf_instance *inst = sf_instance_new(s, m, NULL, 0, &err);
	pid_t		pid;
	int			status;

	/* with room, the guard pages */
	assert_non_null(inst);
	assert_false(sf_instance_bounds_checked(inst));
	sf_store_free(s);
	sf_module_free(m);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(low_address_space_child());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tables_grow_within_their_bytes),
		cmocka_unit_test(test_table_defaults),
		cmocka_unit_test(test_instantiation_names_the_cap),
		cmocka_unit_test(test_memory_and_tables_together),
		cmocka_unit_test(test_shared_budget),
		cmocka_unit_test(test_budget_reclaims),
		cmocka_unit_test(test_low_address_space_falls_back),
		cmocka_unit_test(test_address_wall_reclaims),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
