/*
** sffuel -- the cost of fuel metering, measured inside one process.
**
**   build/sffuel [--rounds=N] [--raw] FILE.wasm EXPORT [I32-ARG]
**
** Compiles FILE.wasm five times: fuel off, precise, slacked, slacked again
** to run with the watchdog ticking every 10 ms, and fuel off again: the
** control, identical code in a module of its own, whose ratio to fuel off
** is what the measurement itself moves (placement, the machine).  Then N rounds
** (default 7) time one call of EXPORT in each mode, the modes in an order
** that rotates with the rounds, each call in a fresh instance after an
** untimed call that faults its memory in (see measure()), timing it with
** the thread's CPU clock; every call must return the same result.  Prints, per mode, the best time, its
** ratio to fuel off's best, and the median over the rounds of the ratio
** of the mode's time to fuel off's in the same round, one line each:
**
**   off 0.312345 1.0000 1.0000
**   precise 0.318000 1.0181 1.0154
**   ...
**
** With --raw it prints instead every round's five times (seconds, in the
** order above), one round a line, for a caller that pools the rounds of
** several runs (bench/plugins/fuel.sh).
**
** The per-round ratio follows slow changes of the machine's speed (a
** shared VM's neighbours), which move all five calls of a round alike.
**
** Separate processes (build/sfrun per mode) also differ in what the
** process got: where the kernel placed memory, huge pages or not, what the
** other tenants of a shared machine did meanwhile.  Here every mode runs
** in the same process, interleaved, with memories that rotate among
** them, so only the code differs.  Calls have
** a fuel limit they never reach (10^18).  Exit status 1 on any failure.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "slackfuel.h"
#include "read_file.h"

#define NMODES 5
#define WATCHDOG_MODE 3

static const char *const names[NMODES] = {"off", "precise", "slacked", "slacked+watchdog",
"off-again"};
static const sf_fuel_mode modes[NMODES] = {SF_FUEL_OFF, SF_FUEL_PRECISE, SF_FUEL_SLACKED,
SF_FUEL_SLACKED, SF_FUEL_OFF};

static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double) ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a, y = *(const double *) b;

	return x < y ? -1 : x > y;
}

static int
fail(const char *what, const sf_error *err)
{
	fprintf(stderr, "sffuel: %s: %s\n", what, err->msg);
	return 1;
}

/*
** One timed call of EXPORT in mode m, in an instance of its own: a new
** store, so a new linear memory, faulted in by an untimed first call.
** Which physical pages a memory gets moves kernels such as sieve (40 MB
** of bytes) by up to 15%; a memory per call, in an order that rotates
** with the rounds, spreads that over all modes alike instead of tying
** each mode to the pages it happened to get.
*/
static int
measure(sf_module *mod, int m, const char *export, const sf_val *arg, double *t,
		sf_val *first, int *have_first)
{
	sf_call_opts opts = {.fuel_limit = 1000000000000000000ull};
	sf_error	err;
	sf_store   *store;
	sf_instance *inst;
	sf_extern	ex;
	sf_functype ft;
	sf_val		res = {0};
	sf_status	st;

	store = sf_store_new(NULL, &err);
	if (store == NULL)
		return fail("store", &err);
	inst = sf_instance_new(store, mod, NULL, 0, &err);
	if (inst == NULL)
		return fail("instantiate", &err);
	if (sf_instance_export(inst, export, strlen(export), &ex) != SF_OK ||
		ex.kind != SF_EXTERN_FUNC)
	{
		fprintf(stderr, "sffuel: no exported function %s\n", export);
		return 1;
	}
	sf_func_type(ex.of.func, &ft);
	if (sf_call(ex.of.func, arg, ft.nparams, &res, ft.nresults, &opts, &err) != SF_OK)
		return fail(names[m], &err);
	if (m == WATCHDOG_MODE && sf_watchdog_start(10, &err) != SF_OK)
		return fail("watchdog", &err);
	*t = cpu_now();
	st = sf_call(ex.of.func, arg, ft.nparams, &res, ft.nresults, &opts, &err);
	*t = cpu_now() - *t;
	if (m == WATCHDOG_MODE)
		sf_watchdog_stop();
	if (st != SF_OK)
		return fail(names[m], &err);
	if (!*have_first)
	{
		*first = res;
		*have_first = 1;
	}
	else if (ft.nresults && memcmp(&res.of, &first->of, sizeof(res.of)) != 0)
	{
		fprintf(stderr, "sffuel: %s returned a different result\n", names[m]);
		return 1;
	}
	sf_store_free(store);
	return 0;
}

int
main(int argc, char **argv)
{
	int			rounds = 7, ai = 1, raw = 0;
	size_t		len;
	uint8_t    *bytes;
	sf_error	err;
	sf_module  *mod[NMODES];
	double		best[NMODES], *t_all;
	sf_val		arg = {0}, first = {0};
	int			have_first = 0;

	for (; ai < argc && strncmp(argv[ai], "--", 2) == 0; ai++)
	{
		if (strncmp(argv[ai], "--rounds=", 9) == 0)
			rounds = atoi(argv[ai] + 9);
		else if (strcmp(argv[ai], "--raw") == 0)
			raw = 1;
		else
		{
			fprintf(stderr, "sffuel: unknown option %s\n", argv[ai]);
			rounds = 0;			/* the usage line below */
			break;
		}
	}
	if (argc - ai < 2 || argc - ai > 3 || rounds < 1)
	{
		fprintf(stderr, "usage: sffuel [--rounds=N] [--raw] FILE.wasm EXPORT [I32-ARG]\n");
		return 1;
	}
	bytes = read_file(argv[ai], &len);
	if (bytes == NULL)
	{
		fprintf(stderr, "sffuel: cannot read %s\n", argv[ai]);
		return 1;
	}
	t_all = calloc((size_t) rounds * NMODES, sizeof(double));
	if (t_all == NULL)
	{
		fprintf(stderr, "sffuel: out of memory\n");
		return 1;
	}
	arg.type = SF_I32;
	arg.of.i32 = argc - ai == 3 ? (int32_t) strtol(argv[ai + 2], NULL, 0) : 0;
	for (int m = 0; m < NMODES; m++)
	{
		sf_config	cfg;

		sf_config_default(&cfg);
		cfg.fuel_mode = modes[m];
		mod[m] = sf_module_load(bytes, len, &cfg, &err);
		if (mod[m] == NULL || sf_module_compile(mod[m], &err) != SF_OK)
			return fail("compile", &err);
		best[m] = 1e300;
	}
	for (int r = 0; r < rounds; r++)
		for (int i = 0; i < NMODES; i++)
		{
			int			m = (r + i) % NMODES;
			double		t;

			if (measure(mod[m], m, argv[ai + 1], &arg, &t, &first, &have_first) != 0)
				return 1;
			if (t < best[m])
				best[m] = t;
			t_all[r * NMODES + m] = t;
		}
	if (raw)
	{
		for (int r = 0; r < rounds; r++)
			for (int m = 0; m < NMODES; m++)
				printf("%.9f%c", t_all[r * NMODES + m], m + 1 < NMODES ? ' ' : '\n');
		return 0;
	}
	for (int m = 0; m < NMODES; m++)
	{
		double	   *q = calloc((size_t) rounds, sizeof(double));

		if (q == NULL)
			return 1;
		for (int r = 0; r < rounds; r++)
			q[r] = t_all[r * NMODES + m] / t_all[r * NMODES];
		qsort(q, (size_t) rounds, sizeof(double), cmp_double);
		printf("%s %.6f %.4f %.4f\n", names[m], best[m], best[m] / best[0],
			   rounds % 2 ? q[rounds / 2] : (q[rounds / 2 - 1] + q[rounds / 2]) / 2);
		free(q);
	}
	return 0;
}
