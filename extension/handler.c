/*
 * handler.c -- the entry points of the procedural language "wasm": the
 * module's _PG_init, the call handler, the validator, the inline handler
 * (DO) and the SQL-callable functions.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_proc.h"
#include "commands/event_trigger.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
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
PG_FUNCTION_INFO_V1(slackfuel_wit);

/*
 * What a call site (FmgrInfo) remembers between calls.  The scalar path's
 * part comes first: slackfuel_call_scalar reads fn_extra as that.
 */
typedef struct slackfuel_callsite
{
	slackfuel_scalar_site site; /* valid when site.epoch is slackfuel_epoch */
	uint64		epoch;			/* slackfuel_epoch when fn and inst were found */
	Oid			userid;
	slackfuel_func *fn;
	slackfuel_inst *inst;
	slackfuel_iter *iter;		/* a streamed set being read */
} slackfuel_callsite;

StaticAssertDecl(offsetof(slackfuel_callsite, site) == 0,
				 "fn_extra is read as the scalar site");

void		_PG_init(void);

void
_PG_init(void)
{
	slackfuel_guc_init();
	slackfuel_cache_init();
	slackfuel_modules_init();
	slackfuel_timer_init();
	slackfuel_stats_init();
	slackfuel_usage_init();
}

/*
 * Find (compiling, instantiating) what this call site calls.  Kept out of
 * the call handler, whose every-call path then saves no registers.
 */
static pg_noinline slackfuel_callsite *
callsite_init(FunctionCallInfo fcinfo)
{
	slackfuel_callsite *cs = fcinfo->flinfo->fn_extra;
	slackfuel_func *fn;
	slackfuel_inst *inst;

	if (CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("wasm functions cannot be event triggers")));
	if (cs == NULL)
		cs = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(*cs));
	fcinfo->flinfo->fn_extra = cs;
	cs->epoch = 0;
	cs->site.epoch = 0;
	fn = slackfuel_func_lookup(fcinfo->flinfo->fn_oid);
	inst = fn->instances;
	if (inst == NULL || inst->userid != GetUserId() ||
		inst->max_memory != slackfuel_max_memory() ||
		inst->max_stack != slackfuel_max_stack())
		inst = slackfuel_inst_get(fn);
	cs->fn = fn;
	cs->inst = inst;
	cs->userid = GetUserId();
	if (slackfuel_scalar_site_init(&cs->site, fn, inst, cs->userid,
								   fcinfo->flinfo->fn_mcxt))
		cs->site.epoch = slackfuel_epoch;
	cs->epoch = slackfuel_epoch;
	return cs;
}

/*
 * Every call but one on the scalar path (slackfuel_call_scalar), which
 * comes here when its call site is not set for the current epoch and role.
 */
pg_noinline Datum
slackfuel_call_handler_slow(FunctionCallInfo fcinfo)
{
	slackfuel_callsite *cs = fcinfo->flinfo->fn_extra;

	if (cs == NULL || cs->epoch != slackfuel_epoch || cs->userid != GetUserId())
		cs = callsite_init(fcinfo);
	if (cs->site.epoch == slackfuel_epoch && slackfuel_sql_top == NULL)
		return slackfuel_call_scalar_site(fcinfo);
	return slackfuel_call(cs->fn, cs->inst, fcinfo, &cs->iter);
}

/*
 * The call handler: the scalar path checks whether the call is one of its
 * own, and hands the others to slackfuel_call_handler_slow.
 */
Datum
slackfuel_call_handler(PG_FUNCTION_ARGS)
{
	return slackfuel_call_scalar(fcinfo);
}

Datum
slackfuel_validator(PG_FUNCTION_ARGS)
{
	Oid			funcoid = PG_GETARG_OID(0);
	HeapTuple	tup;
	slackfuel_sig *sig;

	if (!CheckFunctionValidatorAccess(fcinfo->flinfo->fn_oid, funcoid))
		PG_RETURN_VOID();
	slackfuel_cache_flush_stale();
	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcoid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for function %u", funcoid);
	sig = slackfuel_check_proc(tup);
	if (check_function_bodies)
	{
		Form_pg_proc p = (Form_pg_proc) GETSTRUCT(tup);
		const char *fname = NameStr(p->proname);
		slackfuel_build *b = slackfuel_build_new();
		slackfuel_mod *mod;
		const sf_component *comp;
		char	   *export;
		sf_module  *m;
		sf_export_desc d;

		m = slackfuel_body_module(fname, slackfuel_prosrc(tup), p->proowner,
								  slackfuel_call_mode(), true, NULL, b, &mod, &comp,
								  &export);
		slackfuel_check_module(fname, sig, m, comp, export, &d);
		if (mod == NULL)
			slackfuel_module_compile(fname, m);
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
 * slackfuel_wit(VARIADIC regprocedure[]): the WIT world whose exports are
 * the given functions, as their SQL signatures map to WIT (types.c), with
 * the records they use.
 */
Datum
slackfuel_wit(PG_FUNCTION_ARGS)
{
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(0);
	Datum	   *oids;
	bool	   *nulls;
	int			n;
	const char **names;
	const sf_wit_func **funcs;
	slackfuel_witnames *witnames = slackfuel_witnames_new();
	size_t		len;
	char	   *buf;

	deconstruct_array(arr, REGPROCEDUREOID, sizeof(Oid), true, TYPALIGN_INT,
					  &oids, &nulls, &n);
	names = palloc(Max(n, 1) * sizeof(char *));
	funcs = palloc(Max(n, 1) * sizeof(sf_wit_func *));
	for (int i = 0; i < n; i++)
	{
		HeapTuple	tup;
		slackfuel_sig *sig;

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("slackfuel_wit cannot take a NULL function")));
		tup = SearchSysCache1(PROCOID, oids[i]);
		if (!HeapTupleIsValid(tup))
			elog(ERROR, "cache lookup failed for function %u", DatumGetObjectId(oids[i]));
		sig = slackfuel_sig_from_proc(tup, CurrentMemoryContext, witnames);
		ReleaseSysCache(tup);
		names[i] = sig->wit_name;
		funcs[i] = sig->wit;
	}
	len = sf_wit_print_world("functions", n, names, funcs, NULL, 0);
	buf = palloc(len + 1);
	sf_wit_print_world("functions", n, names, funcs, buf, len + 1);
	PG_RETURN_TEXT_P(cstring_to_text(buf));
}

/*
 * DO ... LANGUAGE wasm: instantiate the module (its start function runs)
 * and call the export "main", else a WASI command's "_start", else the
 * only exported function, which must take no arguments.  A module
 * exporting no function only instantiates.
 */
Datum
slackfuel_inline_handler(PG_FUNCTION_ARGS)
{
	InlineCodeBlock *code = (InlineCodeBlock *) DatumGetPointer(PG_GETARG_DATUM(0));
	const char *fname = "inline code block";
	slackfuel_build *b;
	sf_instance *instance;
	sf_export_desc d;
	bool		callable;
	uint64		max_stack = slackfuel_max_stack();

	slackfuel_cache_flush_stale();
	b = slackfuel_build_new();
	slackfuel_module_load(fname, code->source_text, slackfuel_call_mode(), b);
	callable = has_function_export(b->module);
	if (callable)
	{
		const char *entry = sf_module_find_export(b->module, "main", 4) < 0 &&
			sf_module_find_export(b->module, "_start", 6) >= 0 ? "_start" : "main";

		sf_module_export(b->module, slackfuel_pick_export(fname, b->module, entry), &d);
		if (d.functype.nparams != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
					 errmsg("the function a DO block calls cannot take arguments"),
					 errdetail("Export \"%.*s\" has type %s.", (int) d.name_len, d.name,
							   slackfuel_format_functype(&d.functype))));
	}
	slackfuel_module_compile(fname, b->module);
	slackfuel_module_profile("DO", b->module);
	b->store = slackfuel_store_new(fname, slackfuel_max_memory(), max_stack);
	if (sf_module_num_imports(b->module) > 0)
		b->host = slackfuel_host_new(fname, b->store, b->module);
	instance = slackfuel_instantiate(fname, b->store, b->module, max_stack, b->host);
	if (callable)
	{
		sf_extern	e;

		if (sf_instance_export(instance, d.name, d.name_len, &e) != SF_OK ||
			e.kind != SF_EXTERN_FUNC)
			elog(ERROR, "export of inline code block not callable");
		slackfuel_call_inline(fname, b->host, e.of.func, d.functype.nresults);
	}
	slackfuel_build_done(b);
	PG_RETURN_VOID();
}
