/*
** fuzz_run.c -- libFuzzer target: load, compile, instantiate and call every
** export of arbitrary bytes.  Built and run by engine/tests/fuzz-run.sh
** (clang, ASan + UBSan), seeded with wasm-opt -ttf modules and spec
** modules, so that byte mutations of valid modules reach the JIT and the
** runtime.  Every import is satisfied with a zero-valued host object;
** calls get zero arguments and a fuel limit so that loops end.  The fuel
** mode is picked from the input's length so all three are exercised.
*/
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>

#include "slackfuel.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
host_zero(sf_ctx *ctx, void *env, const sf_val *args, sf_val *results)
{
	const sf_functype *ft = env;

	for (uint32_t i = 0; i < ft->nresults; i++)
	{
		results[i].type = ft->results[i];
		results[i].of.i64 = 0;
	}
	return 0;
}

/* A zero-valued object of the import's kind and type; 1 if impossible. */
static int
make_import(sf_store *s, const sf_import_desc *d, sf_functype *ft, sf_extern *out)
{
	sf_error	err;
	sf_limits	lim = d->limits;

	out->kind = d->kind;
	switch (d->kind)
	{
		case SF_EXTERN_FUNC:
			*ft = d->functype;
			out->of.func = sf_func_new_host(s, ft, host_zero, ft, &err);
			return out->of.func == NULL;
		case SF_EXTERN_MEMORY:
			if (lim.min > 64)
				return 1;
			out->of.memory = sf_memory_new(s, lim, &err);
			return out->of.memory == NULL;
		case SF_EXTERN_TABLE:
			if (lim.min > 10000)
				return 1;
			out->of.table = sf_table_new(s, d->valtype, lim, &err);
			return out->of.table == NULL;
		case SF_EXTERN_GLOBAL:
			{
				sf_val		v = {.type = d->valtype};

				out->of.global = sf_global_new(s, v, d->mutable_, &err);
				return out->of.global == NULL;
			}
	}
	return 1;
}

static void
call_exports(sf_module *m, sf_instance *inst)
{
	sf_call_opts opts = {.fuel_limit = 200000};

	for (uint32_t i = 0; i < sf_module_num_exports(m) && i < 64; i++)
	{
		sf_export_desc d;
		sf_extern	x;
		sf_error	err;
		sf_val		args[64] = {{0}}, res[64];

		sf_module_export(m, i, &d);
		if (d.kind != SF_EXTERN_FUNC || d.functype.nparams > 64 || d.functype.nresults > 64 ||
			sf_instance_export(inst, d.name, d.name_len, &x) != SF_OK)
			continue;
		for (uint32_t k = 0; k < d.functype.nparams; k++)
			args[k].type = d.functype.params[k];
		(void) sf_call(x.of.func, args, d.functype.nparams, res, d.functype.nresults, &opts, &err);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sf_config	cfg;
	sf_store_config scfg = {.max_memory_bytes = 64u << 16, .max_stack_bytes = 256u << 10,
	.max_table_elems = 100000};
	sf_error	err;
	sf_module  *m;
	sf_store   *s = NULL;
	sf_extern  *ex = NULL;
	sf_functype *fts = NULL;
	uint32_t	n;

	static int	watchdog;

	/* slacked mode stops loops that never leave wasm only from the tick */
	if (!watchdog)
		watchdog = sf_watchdog_start(10, &err) == SF_OK;
	sf_config_default(&cfg);
	cfg.fuel_mode = (sf_fuel_mode[]) {SF_FUEL_PRECISE, SF_FUEL_SLACKED, SF_FUEL_PRECISE}[size % 3];
	cfg.bounds_checked = (size % 5) == 0;
	/* helper threads too, for one input in seven (the code must not change) */
	cfg.compile_threads = (size % 7) == 0 ? 2 : 0;
	m = sf_module_load(data, size, &cfg, &err);
	if (!m)
		return 0;
	if (sf_module_compile(m, &err) != SF_OK || !(s = sf_store_new(&scfg, &err)))
		goto out;
	n = sf_module_num_imports(m);
	ex = calloc(n + 1, sizeof(sf_extern));
	fts = calloc(n + 1, sizeof(sf_functype));
	if (!ex || !fts)
		goto out;
	for (uint32_t i = 0; i < n; i++)
	{
		sf_import_desc d;

		sf_module_import(m, i, &d);
		if (make_import(s, &d, &fts[i], &ex[i]))
			goto out;
	}
	{
		sf_instance *inst = sf_instance_new(s, m, ex, n, &err);

		if (inst)
			call_exports(m, inst);
	}
out:
	free(ex);
	free(fts);
	sf_store_free(s);
	sf_module_free(m);
	return 0;
}
