/*
** sfdiff -- run every export of a module the way engine/tests/difftest/ref.mjs
** runs it in Node.js (V8), printing a transcript the two can be diffed on.
**
**   build/sfdiff [--fuel-mode=off|precise|slacked] [--fuel=N] [--show-fuel] [--bounds-checked]
**                 [--watchdog-ms=N] FILE.wasm
**
** Meant for binaryen's wasm-opt -ttf modules (make difftest): the imports
** "fuzzing-support" "log-*" print their argument; an export called
** "hangLimitInitializer" is called before every other export (it resets the
** loop/recursion budget ttf code decrements).  Every exported function is
** called in export order with zero (null) arguments, then (if it has
** parameters) with four sets of edge values.  Transcript lines:
**
**   call NAME SET
**   log TYPE:VALUE             from a log-* import
**   result TYPE:VALUE ...      or "trap CLASS"
**   memory PAGES HASH          exported memory after each call (FNV-1a 32)
**   global NAME TYPE:VALUE     exported globals at the end
**
** Floats print as their bits in hex, NaNs as "nan" (the spec lets engines
** pick NaN signs and payloads).  Trap classes merge the messages V8 and the
** spec use for the same condition.  Exit 0 after a transcript, 3 if the
** module needs an import we do not provide, 1 on a load error.
**
** --show-fuel adds "fuel N" (what sf_call reports) after each call that
** returned: precise and slacked mode must agree on it, and on which calls
** run out of fuel (run.sh compares them; V8 has no fuel).  --watchdog-ms=N
** runs the asynchronous check every N ms: slacked mode must still stop
** at the same calls, whenever the tick lands.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slackfuel.h"
#include "read_file.h"

#define NSETS 5					/* argument sets each export is called with */

static int	show_fuel;			/* --show-fuel */

static void
print_val(const sf_val *v)
{
	switch (v->type)
	{
		case SF_I32:
			printf("i32:%d", v->of.i32);
			break;
		case SF_I64:
			printf("i64:%lld", (long long) v->of.i64);
			break;
		case SF_F32:
			if ((v->of.f32_bits & 0x7f800000u) == 0x7f800000u && (v->of.f32_bits & 0x7fffffu))
				printf("f32:nan");
			else
				printf("f32:0x%08x", v->of.f32_bits);
			break;
		case SF_F64:
			if ((v->of.f64_bits & 0x7ff0000000000000ull) == 0x7ff0000000000000ull &&
				(v->of.f64_bits & 0xfffffffffffffull))
				printf("f64:nan");
			else
				printf("f64:0x%016llx", (unsigned long long) v->of.f64_bits);
			break;
		case SF_FUNCREF:
			printf("funcref:%s", v->of.funcref ? "func" : "null");
			break;
		case SF_EXTERNREF:
			printf("externref:%s", v->of.externref ? "nonnull" : "null");
			break;
		default:
			printf("?:%d", (int) v->type);
			break;
	}
}

/* The class names engine/tests/difftest/ref.mjs derives from V8's messages. */
static const char *
trap_class(sf_trap_kind k)
{
	switch (k)
	{
		case SF_TRAP_UNREACHABLE:
			return "unreachable";
		case SF_TRAP_DIV_BY_ZERO:
			return "div0";
		case SF_TRAP_INT_OVERFLOW:	/* V8 reports trunc's overflow and NaN alike */
		case SF_TRAP_INVALID_CONV:
			return "overflow";
		case SF_TRAP_MEMORY_OOB:
			return "memory";
		case SF_TRAP_TABLE_OOB:
		case SF_TRAP_UNDEFINED_ELEMENT:
			return "table";
		case SF_TRAP_INDIRECT_MISMATCH:
		case SF_TRAP_UNINIT_ELEMENT:
			return "indirect";
		case SF_TRAP_STACK_EXHAUSTED:
			return "stack";
		case SF_TRAP_OUT_OF_FUEL:
		case SF_TRAP_INTERRUPTED:
			return "timeout";
		default:
			return sf_trap_message(k);
	}
}

static int
host_log(sf_ctx *ctx, void *env, const sf_val *args, sf_val *results)
{
	printf("log ");
	print_val(&args[0]);
	printf("\n");
	return 0;
}

static uint32_t
fnv1a(const uint8_t *p, uint64_t n)
{
	uint32_t	h = 2166136261u;

	for (uint64_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/*
** The exported memory's size and hash after a call.  Most calls leave the
** memory as it was: a copy of it, compared at memcmp's speed, spares
** hashing it again byte by byte (a megabyte after each of ~50 calls is
** otherwise most of a module's run).
*/
static void
print_memory(sf_memory *mem)
{
	static uint8_t *copy;
	static uint64_t copy_len;
	static uint32_t copy_hash;
	const uint8_t *data;
	uint64_t	len;

	if (!mem)
		return;
	data = sf_memory_data(mem);
	len = sf_memory_size(mem);
	if (copy == NULL || len != copy_len || memcmp(copy, data, len) != 0)
	{
		copy_hash = fnv1a(data, len);
		free(copy);
		copy = malloc(len + 1);
		copy_len = copy ? len : 0;
		if (copy)
			memcpy(copy, data, len);
	}
	printf("memory %llu %08x\n", (unsigned long long) (len / 65536), copy_hash);
}

/* Host functions for the "fuzzing-support" log-* imports; 1 if one is missing. */
static int
link_imports(sf_store *s, sf_module *m, sf_extern *ex)
{
	sf_error	err;

	for (uint32_t i = 0; i < sf_module_num_imports(m); i++)
	{
		sf_import_desc d;

		sf_module_import(m, i, &d);
		if (d.kind != SF_EXTERN_FUNC || d.module_len != 15 ||
			memcmp(d.module, "fuzzing-support", 15) != 0 || d.name_len < 4 ||
			memcmp(d.name, "log-", 4) != 0 || d.functype.nparams != 1 ||
			d.functype.nresults != 0)
		{
			printf("unsupported import %.*s %.*s\n", (int) d.module_len, d.module,
				   (int) d.name_len, d.name);
			return 1;
		}
		ex[i].kind = SF_EXTERN_FUNC;
		ex[i].of.func = sf_func_new_host(s, &d.functype, host_log, NULL, &err);
		if (!ex[i].of.func)
			return 1;
	}
	return 0;
}

/*
** Argument k of call 'set': zero in set 0, the same value for every k in
** set 3 (x - y == 0 and the like), else an edge value from a small table (ref.mjs has the same tables).  No NaNs: JS would canonicalise them.
*/
static void
set_arg(sf_val *v, uint32_t k, uint32_t set)
{
	static const int32_t i32s[8] = {0, -1, 0x7fffffff, INT32_MIN, 1, 7, 255, 65536};
	static const int64_t i64s[8] = {0, -1, INT64_MAX, INT64_MIN, 1, 4294967296LL, -129, 65535};
	static const uint32_t f32s[8] = {0, 0x80000000u, 0x3fc00000u, 0xf149f2cau, 0x7f800000u,
	0xff800000u, 0x4f000000u, 0x00000001u};
	static const uint64_t f64s[8] = {0, 0x8000000000000000ull, 0x3ff8000000000000ull,
		0xc415af1d78b58c40ull, 0x7ff0000000000000ull, 0xfff0000000000000ull,
	0x41e0000000000000ull, 0x0000000000000001ull};
	uint32_t	j = set == 0 ? 0 : set == 3 ? 5 : (set * 3 + k) % 8;

	switch (v->type)
	{
		case SF_I32:
			v->of.i32 = i32s[j];
			break;
		case SF_I64:
			v->of.i64 = i64s[j];
			break;
		case SF_F32:
			v->of.f32_bits = f32s[j];
			break;
		case SF_F64:
			v->of.f64_bits = f64s[j];
			break;
		default:
			break;
	}
}

static void
call_export(sf_func *f, sf_call_opts *opts, int quiet, uint32_t set)
{
	sf_functype ft;
	sf_val	   *args, *res;
	sf_error	err;

	sf_func_type(f, &ft);
	args = calloc(ft.nparams + 1, sizeof(sf_val));
	res = calloc(ft.nresults + 1, sizeof(sf_val));
	if (!args || !res)
		abort();
	for (uint32_t k = 0; k < ft.nparams; k++)
	{
		args[k].type = ft.params[k];
		set_arg(&args[k], k, set);
	}
	if (sf_call(f, args, ft.nparams, res, ft.nresults, opts, &err) != SF_OK)
		printf("trap %s\n", err.status == SF_TRAP ? trap_class(err.trap) : err.msg);
	else if (!quiet)
	{
		printf("result");
		for (uint32_t k = 0; k < ft.nresults; k++)
		{
			printf(" ");
			print_val(&res[k]);
		}
		printf("\n");
		if (show_fuel)
			printf("fuel %llu\n", (unsigned long long) opts->fuel_consumed);
	}
	free(args);
	free(res);
}

static void
run_exports(sf_module *m, sf_instance *inst, sf_call_opts *opts)
{
	uint32_t	n = sf_module_num_exports(m);
	sf_extern	hang, x;
	int			have_hang = sf_instance_export(inst, "hangLimitInitializer", 20, &hang) == SF_OK &&
		hang.kind == SF_EXTERN_FUNC;
	sf_memory  *mem = NULL;

	for (uint32_t i = 0; i < n; i++)
	{
		sf_export_desc d;

		sf_module_export(m, i, &d);
		if (d.kind == SF_EXTERN_MEMORY && sf_instance_export(inst, d.name, d.name_len, &x) == SF_OK)
			mem = x.of.memory;
	}
	for (uint32_t i = 0; i < n; i++)
	{
		sf_export_desc d;

		sf_module_export(m, i, &d);
		if (d.kind != SF_EXTERN_FUNC || (d.name_len == 20 && memcmp(d.name, "hangLimitInitializer", 20) == 0))
			continue;
		if (sf_instance_export(inst, d.name, d.name_len, &x) != SF_OK)
			continue;
		for (uint32_t set = 0; set < NSETS; set++)
		{
			sf_functype ft;

			sf_func_type(x.of.func, &ft);
			if (set > 0 && ft.nparams == 0)
				break;
			if (have_hang)
				call_export(hang.of.func, opts, 1, 0);
			printf("call %.*s %u\n", (int) d.name_len, d.name, set);
			call_export(x.of.func, opts, 0, set);
			print_memory(mem);
			fflush(stdout);
		}
	}
	for (uint32_t i = 0; i < n; i++)
	{
		sf_export_desc d;

		sf_module_export(m, i, &d);
		if (d.kind == SF_EXTERN_GLOBAL && sf_instance_export(inst, d.name, d.name_len, &x) == SF_OK)
		{
			sf_val		v = sf_global_get(x.of.global);

			printf("global %.*s ", (int) d.name_len, d.name);
			print_val(&v);
			printf("\n");
		}
	}
}

int
main(int argc, char **argv)
{
	sf_config	cfg;
	sf_call_opts opts = {.fuel_limit = UINT64_MAX};
	int			i = 1, rc = 1;
	size_t		len = 0;
	uint8_t    *bytes;
	sf_error	err;
	sf_module  *m = NULL;
	sf_store   *s = NULL;
	sf_extern  *ex = NULL;
	sf_instance *inst;
	uint32_t	watchdog_ms = 0;

	sf_config_default(&cfg);
	cfg.fuel_mode = SF_FUEL_PRECISE;
	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++)
	{
		if (strcmp(argv[i], "--fuel-mode=off") == 0)
			cfg.fuel_mode = SF_FUEL_OFF;
		else if (strcmp(argv[i], "--fuel-mode=precise") == 0)
			cfg.fuel_mode = SF_FUEL_PRECISE;
		else if (strcmp(argv[i], "--fuel-mode=slacked") == 0)
			cfg.fuel_mode = SF_FUEL_SLACKED;
		else if (strcmp(argv[i], "--bounds-checked") == 0)
			cfg.bounds_checked = 1;
		else if (strncmp(argv[i], "--watchdog-ms=", 14) == 0)
			watchdog_ms = (uint32_t) strtoul(argv[i] + 14, NULL, 10);
		else if (strcmp(argv[i], "--show-fuel") == 0)
			show_fuel = 1;
		else if (strncmp(argv[i], "--fuel=", 7) == 0)
		{
			opts.fuel_limit = strtoull(argv[i] + 7, NULL, 10);
		}
		else
		{
			fprintf(stderr, "sfdiff: unknown option %s\n", argv[i]);
			return 1;
		}
	}
	if (i + 1 != argc)
	{
		fprintf(stderr, "usage: sfdiff [--fuel-mode=off|precise|slacked] [--fuel=N] [--show-fuel] [--bounds-checked] [--watchdog-ms=N] FILE.wasm\n");
		return 1;
	}
	if (!(bytes = read_file(argv[i], &len)))
	{
		fprintf(stderr, "sfdiff: cannot read %s\n", argv[i]);
		return 1;
	}
	m = sf_module_load(bytes, len, &cfg, &err);
	free(bytes);
	if (!m || sf_module_compile(m, &err) != SF_OK)
	{
		printf("load error: %s: %s\n", sf_status_name(err.status), err.msg);
		goto out;
	}
	if (!(s = sf_store_new(NULL, &err)) ||
		!(ex = calloc(sf_module_num_imports(m) + 1, sizeof(sf_extern))))
		goto out;
	if (link_imports(s, m, ex))
	{
		rc = 3;
		goto out;
	}
	if (watchdog_ms && sf_watchdog_start(watchdog_ms, &err) != SF_OK)
	{
		fprintf(stderr, "sfdiff: %s\n", err.msg);
		goto out;
	}
	inst = sf_instance_new(s, m, ex, sf_module_num_imports(m), &err);
	if (!inst)
		printf("instantiate %s\n", err.status == SF_TRAP ? trap_class(err.trap) : err.msg);
	else
		run_exports(m, inst, &opts);
	rc = 0;
out:
	sf_watchdog_stop();
	fflush(stdout);
	free(ex);
	sf_store_free(s);
	sf_module_free(m);
	return rc;
}
