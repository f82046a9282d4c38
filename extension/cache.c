/*
 * cache.c -- compiled modules and instances, per backend.
 *
 * A function's module is compiled once per pg_proc row version (oid, xmin,
 * tid) and fuel mode.  Its instances are kept per role (GetUserId), so one
 * role never sees another's linear memory, and are thrown away after any
 * trap.  Engine objects are malloc'd by the engine; they are released
 *
 *	- on error while being built: a memory-context reset callback owns them
 *	  until they are safely in the cache (slackfuel_build, build.c);
 *	- on CREATE OR REPLACE / DROP FUNCTION: the syscache callback only marks
 *	  entries stale (it may run in the middle of a call, from any catalog
 *	  access) and bumps slackfuel_epoch, so that the next call looks its
 *	  function up again; stale entries are freed at that lookup, at the
 *	  start of a validator or inline handler, or at transaction end, when
 *	  no call is using them.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_proc.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "plwasm.h"

static HTAB *func_cache;
static int	nstale;			/* entries marked stale, not yet freed */
uint64		slackfuel_epoch = 1;

/* --- The cache ---------------------------------------------------------- */

static void
inst_free(slackfuel_inst *inst)
{
	slackfuel_epoch++;
	if (inst->store)
		sf_store_free(inst->store);
	free(inst);
}

static void
func_release(slackfuel_func *fn)
{
	while (fn->instances)
	{
		slackfuel_inst *next = fn->instances->next;

		inst_free(fn->instances);
		fn->instances = next;
	}
	if (fn->module)
		sf_module_free(fn->module);
	if (fn->sig)
		slackfuel_sig_free(fn->sig);
	fn->sig = NULL;
	free(fn->export_name);
	fn->module = NULL;
	fn->export_name = NULL;
	if (fn->stale)
		nstale--;
	fn->stale = false;
	fn->valid = false;
	slackfuel_epoch++;
}

/* Safe point: no call is using any entry.  Free what was invalidated. */
void
slackfuel_cache_flush_stale(void)
{
	HASH_SEQ_STATUS seq;
	slackfuel_func *fn;

	if (func_cache == NULL || nstale == 0)
		return;
	hash_seq_init(&seq, func_cache);
	while ((fn = hash_seq_search(&seq)) != NULL)
		if (fn->stale)
			func_release(fn);
}

static void
invalidate(Datum arg, int cacheid, uint32 hashvalue)
{
	HASH_SEQ_STATUS seq;
	slackfuel_func *fn;

	hash_seq_init(&seq, func_cache);
	while ((fn = hash_seq_search(&seq)) != NULL)
	{
		if (!fn->valid || fn->stale)
			continue;
		if (hashvalue == 0 || fn->hashvalue == hashvalue)
		{
			fn->stale = true;
			nstale++;
			slackfuel_epoch++;
		}
	}
}

/*
 * A relation changed: the functions whose signatures depend on its row
 * type (ALTER TYPE, ALTER TABLE) are built again.
 */
static void
invalidate_rowtypes(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS seq;
	slackfuel_func *fn;

	hash_seq_init(&seq, func_cache);
	while ((fn = hash_seq_search(&seq)) != NULL)
	{
		if (!fn->valid || fn->stale || fn->sig->relids == NIL ||
			(OidIsValid(relid) && !list_member_oid(fn->sig->relids, relid)))
			continue;
		fn->stale = true;
		nstale++;
		slackfuel_epoch++;
	}
}

void
slackfuel_cache_init(void)
{
	HASHCTL		ctl;

	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(slackfuel_func);
	func_cache = hash_create("slackfuel functions", 64, &ctl,
							 HASH_ELEM | HASH_BLOBS);
	CacheRegisterSyscacheCallback(PROCOID, invalidate, (Datum) 0);
	CacheRegisterRelcacheCallback(invalidate_rowtypes, (Datum) 0);
}

static bool
entry_current(slackfuel_func *fn, HeapTuple tup, sf_fuel_mode mode)
{
	return fn->valid && fn->mode == mode &&
		fn->fn_xmin == HeapTupleHeaderGetRawXmin(tup->t_data) &&
		ItemPointerEquals(&fn->fn_tid, &tup->t_self);
}

/* Compile the row's module into 'fn'; on error 'fn' stays released. */
static void
func_load(slackfuel_func *fn, HeapTuple tup, sf_fuel_mode mode)
{
	Form_pg_proc p = (Form_pg_proc) GETSTRUCT(tup);
	slackfuel_build *b = slackfuel_build_new();
	slackfuel_sig *sig;
	char	   *src;
	sf_export_desc d;

	strlcpy(fn->proname, NameStr(p->proname), NAMEDATALEN);
	sig = slackfuel_check_proc(tup);	/* freed with the current context */
	src = slackfuel_prosrc(tup);
	slackfuel_module_load(fn->proname, src, mode, b);
	slackfuel_check_module(fn->proname, sig, b->module, &d);
	slackfuel_module_compile(fn->proname, b->module);
	fn->export_name = strndup(d.name, d.name_len);
	if (fn->export_name == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	fn->export_len = d.name_len;

	/* Nothing below can fail: hand the engine objects to the cache. */
	MemoryContextSetParent(sig->mcxt, TopMemoryContext);
	fn->sig = sig;
	fn->module = b->module;
	b->module = NULL;
	fn->mode = mode;
	fn->fn_xmin = HeapTupleHeaderGetRawXmin(tup->t_data);
	fn->fn_tid = tup->t_self;
	fn->hashvalue = GetSysCacheHashValue1(PROCOID, ObjectIdGetDatum(fn->fn_oid));
	fn->valid = true;
}

/* The cache entry of 'fn_oid', compiled for the current fuel mode. */
slackfuel_func *
slackfuel_func_lookup(Oid fn_oid)
{
	HeapTuple	tup;
	slackfuel_func *fn;
	bool		found;
	sf_fuel_mode mode = slackfuel_fuel_mode();

	slackfuel_cache_flush_stale();
	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn_oid));
	if (!HeapTupleIsValid(tup))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("wasm function was dropped while a query was using it")));
	fn = hash_search(func_cache, &fn_oid, HASH_ENTER, &found);
	if (!found)
		memset((char *) fn + sizeof(Oid), 0, sizeof(*fn) - sizeof(Oid));
	if (!entry_current(fn, tup, mode))
	{
		func_release(fn);
		func_load(fn, tup, mode);
	}
	ReleaseSysCache(tup);
	return fn;
}

static sf_func *
export_func(sf_instance *i, const char *name, size_t len)
{
	sf_extern e;

	if (sf_instance_export(i, name, len, &e) != SF_OK || e.kind != SF_EXTERN_FUNC)
		return NULL;
	return e.of.func;
}

/* Instantiate 'fn' for the current role. */
static slackfuel_inst *
inst_new(slackfuel_func *fn, uint64 max_memory, uint64 max_stack)
{
	slackfuel_build *b = slackfuel_build_new();	/* owns the store on error */
	sf_instance *instance;
	slackfuel_inst *inst;
	sf_extern	e;
	char		post[NAMEDATALEN + 16];

	b->store = slackfuel_store_new(fn->proname, max_memory, max_stack);
	instance = slackfuel_instantiate(fn->proname, b->store, fn->module, max_stack);
	inst = calloc(1, sizeof(slackfuel_inst));
	if (inst == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	inst->store = b->store;
	b->store = NULL;
	inst->instance = instance;
	inst->userid = GetUserId();
	inst->max_memory = max_memory;
	inst->max_stack = max_stack;
	inst->func = export_func(inst->instance, fn->export_name, fn->export_len);
	if (fn->sig->uses_memory)
	{
		inst->realloc = export_func(inst->instance, "cabi_realloc", 12);
		if (sf_instance_export(inst->instance, "memory", 6, &e) == SF_OK &&
			e.kind == SF_EXTERN_MEMORY)
			inst->memory = e.of.memory;
		snprintf(post, sizeof(post), "cabi_post_%s", fn->export_name);
		inst->post_return = export_func(inst->instance, post, strlen(post));
	}
	if (inst->func == NULL || (fn->sig->uses_memory && (!inst->realloc || !inst->memory)))
	{
		inst_free(inst);
		elog(ERROR, "validated exports of function \"%s\" not found", fn->proname);
	}
	return inst;
}

/* This role's instance of 'fn', created if needed, moved to the front. */
slackfuel_inst *
slackfuel_inst_get(slackfuel_func *fn)
{
	Oid			user = GetUserId();
	uint64		mem = slackfuel_max_memory();
	uint64		stack = slackfuel_max_stack();
	slackfuel_inst **pp;
	slackfuel_inst *inst;

	for (pp = &fn->instances; (inst = *pp) != NULL; pp = &inst->next)
	{
		if (inst->userid != user)
			continue;
		*pp = inst->next;
		if (inst->max_memory == mem && inst->max_stack == stack)
		{
			inst->next = fn->instances;
			fn->instances = inst;
			return inst;
		}
		inst_free(inst);		/* limits changed: start afresh */
		break;
	}
	inst = inst_new(fn, mem, stack);
	inst->next = fn->instances;
	fn->instances = inst;
	return inst;
}

void
slackfuel_inst_discard(slackfuel_func *fn, slackfuel_inst *inst)
{
	slackfuel_inst **pp;

	for (pp = &fn->instances; *pp != NULL; pp = &(*pp)->next)
	{
		if (*pp == inst)
		{
			*pp = inst->next;
			inst_free(inst);
			return;
		}
	}
}
