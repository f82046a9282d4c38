/*
 * handler.c -- the procedural language "wasm": call handler, validator and
 * inline handler (DO), and the module's _PG_init.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_proc.h"
#include "commands/event_trigger.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/syscache.h"

#include "plwasm.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(slackfuel_call_handler);
PG_FUNCTION_INFO_V1(slackfuel_validator);
PG_FUNCTION_INFO_V1(slackfuel_inline_handler);
PG_FUNCTION_INFO_V1(slackfuel_last_fuel_consumed);

uint64		slackfuel_last_fuel;

/* What a call site (FmgrInfo) remembers between calls. */
typedef struct slackfuel_callsite
{
	uint64		epoch;			/* slackfuel_epoch when fn and inst were found */
	Oid			userid;
	slackfuel_func *fn;
	slackfuel_inst *inst;
	bool		scalar;			/* no text or bytea: slackfuel_call_scalar */
} slackfuel_callsite;

void		_PG_init(void);

void
_PG_init(void)
{
	slackfuel_guc_init();
	slackfuel_cache_init();
	slackfuel_timer_init();
}

char *
slackfuel_prosrc(HeapTuple proctup)
{
	bool		isnull;
	Datum		d = SysCacheGetAttr(PROCOID, proctup, Anum_pg_proc_prosrc, &isnull);

	if (isnull)
		elog(ERROR, "null prosrc");
	return TextDatumGetCString(d);
}

/*
 * Checks that need no module: the SQL signature is expressible, and the
 * function is STRICT, because the ABI has no way to pass NULL yet.
 */
void
slackfuel_check_proc(HeapTuple proctup, slackfuel_sig *sig)
{
	Form_pg_proc p = (Form_pg_proc) GETSTRUCT(proctup);

	if (p->prokind == PROKIND_WINDOW || p->prokind == PROKIND_AGGREGATE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("wasm function \"%s\" cannot be a window or aggregate function",
						NameStr(p->proname))));
	slackfuel_sig_from_proc(proctup, sig);
	if (p->pronargs > 0 && !p->proisstrict)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
				 errmsg("wasm function \"%s\" must be STRICT", NameStr(p->proname)),
				 errdetail("wasm functions cannot receive NULL arguments."),
				 errhint("Add STRICT (RETURNS NULL ON NULL INPUT) to the function definition.")));
}

char	   *slackfuel_stack_base;

/*
 * The wasm stack grows on the backend's stack, below the caller's frame,
 * by up to 'max_stack' bytes; together with what the backend already uses
 * that must stay within max_stack_depth, which PostgreSQL keeps below the
 * process's stack limit.  Beyond it the guard page would be hit outside
 * any handler's reach, so refuse the call the way PostgreSQL does.
 */
void
slackfuel_stack_too_deep(uint64 max_stack)
{
	char		here;
	uint64		used;

	if (slackfuel_stack_base == NULL)
	{
		pg_stack_base_t b = set_stack_base();

		restore_stack_base(b);
#if defined(__ia64__) || defined(__ia64)
		slackfuel_stack_base = b.stack_base_ptr;
#else
		slackfuel_stack_base = b;
#endif
		if (slackfuel_stack_ok(max_stack))
			return;
	}
	used = slackfuel_stack_base > &here ? (uint64) (slackfuel_stack_base - &here) : 0;
	ereport(ERROR,
			(errcode(ERRCODE_STATEMENT_TOO_COMPLEX),
			 errmsg("stack depth limit exceeded"),
			 errdetail("The backend uses %llu kB of its stack; wasm may use %llu kB more.",
					   (unsigned long long) used / 1024,
					   (unsigned long long) max_stack / 1024),
			 errhint("Increase the configuration parameter \"max_stack_depth\" (currently %dkB), or lower slackfuel.max_stack.",
					 max_stack_depth)));
}

/* Find (compiling, instantiating) what this call site calls. */
static slackfuel_callsite *
callsite_init(FunctionCallInfo fcinfo)
{
	slackfuel_callsite *cs = fcinfo->flinfo->fn_extra;
	slackfuel_func *fn;
	slackfuel_inst *inst;

	if (CALLED_AS_TRIGGER(fcinfo) || CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("wasm functions cannot be triggers")));
	if (cs == NULL)
		cs = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(*cs));
	fcinfo->flinfo->fn_extra = cs;
	cs->epoch = 0;
	fn = slackfuel_func_lookup(fcinfo->flinfo->fn_oid);
	inst = fn->instances;
	if (inst == NULL || inst->userid != GetUserId() ||
		inst->max_memory != slackfuel_max_memory() ||
		inst->max_stack != slackfuel_max_stack())
	{
		slackfuel_prepare_run(slackfuel_max_stack());	/* a start function may run */
		inst = slackfuel_inst_get(fn);
	}
	cs->fn = fn;
	cs->inst = inst;
	cs->scalar = !fn->sig.uses_memory;
	cs->userid = GetUserId();
	cs->epoch = slackfuel_epoch;
	return cs;
}

/* A function created while check_function_bodies was off may be non-strict. */
static void
refuse_nulls(FunctionCallInfo fcinfo, slackfuel_func *fn)
{
	for (int i = 0; i < fcinfo->nargs; i++)
		if (fcinfo->args[i].isnull)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("wasm function \"%s\" received a NULL argument", fn->proname),
					 errhint("Declare the function STRICT.")));
}

Datum
slackfuel_call_handler(PG_FUNCTION_ARGS)
{
	slackfuel_callsite *cs = fcinfo->flinfo->fn_extra;
	slackfuel_func *fn;
	slackfuel_inst *inst;
	slackfuel_outcome out;
	Datum		result;

	if (unlikely(cs == NULL || cs->epoch != slackfuel_epoch ||
				 cs->userid != GetUserId()))
		cs = callsite_init(fcinfo);
	fn = cs->fn;
	inst = cs->inst;
	if (unlikely(!fcinfo->flinfo->fn_strict))
		refuse_nulls(fcinfo, fn);

	if (likely(cs->scalar))
		result = slackfuel_call_scalar(fn, inst, fcinfo, &out);
	else
		result = slackfuel_call(fn, inst, fcinfo, &out);
	if (unlikely(out.trapped))
	{
		slackfuel_inst_discard(fn, inst);
		slackfuel_report_trap(fn->proname, &out);
	}
	if (fn->sig.ret == SLACKFUEL_VOID)
		PG_RETURN_VOID();
	return result;
}

Datum
slackfuel_validator(PG_FUNCTION_ARGS)
{
	Oid			funcoid = PG_GETARG_OID(0);
	HeapTuple	tup;
	slackfuel_sig sig;

	if (!CheckFunctionValidatorAccess(fcinfo->flinfo->fn_oid, funcoid))
		PG_RETURN_VOID();
	slackfuel_cache_flush_stale();
	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcoid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for function %u", funcoid);
	slackfuel_check_proc(tup, &sig);
	if (check_function_bodies)
	{
		const char *fname = NameStr(((Form_pg_proc) GETSTRUCT(tup))->proname);
		slackfuel_build *b = slackfuel_build_new();
		sf_export_desc d;

		slackfuel_module_load(fname, slackfuel_prosrc(tup), slackfuel_fuel_mode(), b);
		slackfuel_check_module(fname, &sig, b->module, &d);
		slackfuel_module_compile(fname, b->module);
		slackfuel_build_done(b);
	}
	ReleaseSysCache(tup);
	PG_RETURN_VOID();
}

static bool
has_function_export(sf_module *m)
{
	sf_export_desc d;

	for (uint32 i = 0; i < sf_module_num_exports(m); i++)
	{
		sf_module_export(m, i, &d);
		if (d.kind == SF_EXTERN_FUNC)
			return true;
	}
	return false;
}

/*
 * Fuel the last call of a wasm function in this session consumed, whatever
 * its outcome (argument and result copies through cabi_realloc included):
 * how a user measures what to set slackfuel.fuel_limit to.
 */
Datum
slackfuel_last_fuel_consumed(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64((int64) Min(slackfuel_last_fuel, (uint64) PG_INT64_MAX));
}

/*
 * DO ... LANGUAGE wasm: instantiate the module (its start function runs)
 * and call the export "main", or the only exported function, which must
 * take no arguments.  A module exporting no function only instantiates.
 */
Datum
slackfuel_inline_handler(PG_FUNCTION_ARGS)
{
	InlineCodeBlock *code = (InlineCodeBlock *) DatumGetPointer(PG_GETARG_DATUM(0));
	const char *fname = "inline code block";
	slackfuel_build *b;
	sf_store_config cfg = {0};
	slackfuel_outcome out = {0};
	sf_instance *instance;
	sf_func    *f = NULL;
	sf_export_desc d;
	bool		callable;

	slackfuel_cache_flush_stale();
	b = slackfuel_build_new();
	slackfuel_module_load(fname, code->source_text, slackfuel_fuel_mode(), b);
	callable = has_function_export(b->module);
	if (callable)
	{
		sf_module_export(b->module, slackfuel_pick_export(fname, b->module, "main"), &d);
		if (d.functype.nparams != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
					 errmsg("the function a DO block calls cannot take arguments"),
					 errdetail("Export \"%.*s\" has type %s.", (int) d.name_len, d.name,
							   slackfuel_format_functype(&d.functype))));
	}
	slackfuel_module_compile(fname, b->module);

	cfg.max_memory_bytes = slackfuel_max_memory();
	cfg.max_stack_bytes = slackfuel_max_stack();
	cfg.meter_start = 1;
	cfg.start_fuel_limit = slackfuel_fuel_limit();
	b->store = sf_store_new(&cfg, &out.err);
	if (b->store == NULL)
		slackfuel_report_status(fname, "instantiate", &out.err);
	out.limit = slackfuel_fuel_limit();
	slackfuel_prepare_run(cfg.max_stack_bytes);
	instance = sf_instance_new(b->store, b->module, NULL, 0, &out.err);
	if (instance == NULL)
	{
		if (out.err.status == SF_TRAP)
			slackfuel_report_trap(fname, &out);
		slackfuel_report_status(fname, "instantiate", &out.err);
	}
	if (callable)
	{
		sf_extern e;
		sf_val		res[16];
		sf_call_opts opts = {.fuel_limit = out.limit};

		if (sf_instance_export(instance, d.name, d.name_len, &e) == SF_OK)
			f = e.of.func;
		if (f == NULL || d.functype.nresults > lengthof(res))
			elog(ERROR, "export of inline code block not callable");
		if (sf_call(f, NULL, 0, res, d.functype.nresults, &opts, &out.err) != SF_OK)
		{
			out.consumed = slackfuel_last_fuel = sf_last_fuel_consumed();
			slackfuel_report_trap(fname, &out);
		}
		slackfuel_last_fuel = sf_last_fuel_consumed();
	}
	slackfuel_build_done(b);
	PG_RETURN_VOID();
}
