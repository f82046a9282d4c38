/*
 * cache.c -- compiled modules and instances, per backend.
 *
 * A function's module is compiled once per pg_proc row version (oid, xmin,
 * tid) and fuel mode.  Its instances are kept per role (GetUserId), so one
 * role never sees another's linear memory, and are thrown away after any
 * trap.  Engine objects are malloc'd by the engine; they are released
 *
 *	- on error while being built: a memory-context reset callback owns them
 *	  until they are safely in the cache (slackfuel_build);
 *	- on CREATE OR REPLACE / DROP FUNCTION: the syscache callback only marks
 *	  entries stale (it may run in the middle of a call, from any catalog
 *	  access) and bumps slackfuel_epoch, so that the next call looks its
 *	  function up again; stale entries are freed at that lookup, at the
 *	  start of a validator or inline handler, or at transaction end, when
 *	  no call is using them.
 */
#include "postgres.h"

#include <ctype.h>

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

/* --- Building a module ------------------------------------------------- */

static void
build_release(void *arg)
{
	slackfuel_build *b = arg;

	if (b->store)
		sf_store_free(b->store);
	if (b->module)
		sf_module_free(b->module);
	free(b->bytes);
	b->store = NULL;
	b->module = NULL;
	b->bytes = NULL;
}

slackfuel_build *
slackfuel_build_new(void)
{
	slackfuel_build *b = palloc0(sizeof(slackfuel_build));

	b->cb.func = build_release;
	b->cb.arg = b;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, &b->cb);
	return b;
}

/* Release now rather than at context reset (the callback then does nothing). */
void
slackfuel_build_done(slackfuel_build *b)
{
	build_release(b);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char) tolower((unsigned char) c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* "\x0061736d..." (whitespace allowed between byte pairs) -> malloc'd bytes. */
static uint8 *
decode_hex(const char *fname, const char *src, size_t *len)
{
	size_t		n = strlen(src);
	uint8	   *out = malloc(n / 2 + 1);
	size_t		o = 0;

	if (out == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	for (const char *p = src + 2; *p; p++)
	{
		int			hi,
					lo;

		if (isspace((unsigned char) *p))
			continue;
		hi = hexval(p[0]);
		lo = hi < 0 ? -1 : hexval(p[1]);
		if (lo < 0)
		{
			free(out);
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
					 errmsg("invalid hexadecimal WebAssembly module in function \"%s\"", fname),
					 errdetail("Unexpected \"%.*s\" at character %d of the body.",
							   pg_mblen(p), p, (int) (p - src) + 1)));
		}
		out[o++] = (uint8) (hi << 4 | lo);
		p++;
	}
	*len = o;
	return out;
}

static uint8 *
text_to_wasm(const char *fname, const char *src, size_t *len)
{
	uint8	   *out = NULL;
	sf_error	err;

	if (sf_wat_to_wasm(src, strlen(src), &out, len, &err) != SF_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
				 errmsg("invalid WebAssembly text in function \"%s\"", fname),
				 errdetail("%s", err.msg)));
	return out;
}

/*
 * Decode and validate a function body (WebAssembly text, or the binary as
 * "\x" hex) into 'b'.  Compiling is a separate step, after the cheap
 * checks of exports and signatures.
 */
sf_module *
slackfuel_module_load(const char *fname, const char *src, sf_fuel_mode mode,
					  slackfuel_build *b)
{
	sf_config	cfg;
	sf_error	err;

	while (isspace((unsigned char) *src))
		src++;
	if (src[0] == '\\' && (src[1] == 'x' || src[1] == 'X'))
		b->bytes = decode_hex(fname, src, &b->len);
	else
		b->bytes = text_to_wasm(fname, src, &b->len);

	sf_config_default(&cfg);
	cfg.fuel_mode = mode;
	cfg.compile_threads = (uint32_t) slackfuel_compile_threads;
	b->module = sf_module_load(b->bytes, b->len, &cfg, &err);
	free(b->bytes);				/* the module keeps its own copy */
	b->bytes = NULL;
	if (b->module == NULL)
		slackfuel_report_load(fname, &err);
	if (sf_module_num_imports(b->module) > 0)
	{
		sf_import_desc d;

		sf_module_import(b->module, 0, &d);
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("wasm module of function \"%s\" has imports", fname),
				 errdetail("It imports \"%.*s\".\"%.*s\"; wasm functions cannot import anything yet.",
						   (int) d.module_len, d.module, (int) d.name_len, d.name)));
	}
	return b->module;
}

void
slackfuel_module_compile(const char *fname, sf_module *m)
{
	sf_error	err;

	if (sf_module_compile(m, &err) != SF_OK)
		slackfuel_report_status(fname, "compile", &err);
}

/*
 * Which export to call: the function named like the SQL function, else the
 * only exported function.  Returns its export index.
 */
int64
slackfuel_pick_export(const char *fname, sf_module *m, const char *want)
{
	uint32		n = sf_module_num_exports(m);
	int64		found = -1;
	int			nfuncs = 0;
	int64		i = sf_module_find_export(m, want, strlen(want));
	sf_export_desc d;

	if (i >= 0)
	{
		sf_module_export(m, (uint32) i, &d);
		if (d.kind == SF_EXTERN_FUNC)
			return i;
	}
	for (uint32 j = 0; j < n; j++)
	{
		sf_module_export(m, j, &d);
		if (d.kind != SF_EXTERN_FUNC || (d.name_len == 12 && memcmp(d.name, "cabi_realloc", 12) == 0))
			continue;
		if (d.name_len >= 10 && memcmp(d.name, "cabi_post_", 10) == 0)
			continue;
		nfuncs++;
		found = j;
	}
	if (nfuncs != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
				 errmsg("wasm module of function \"%s\" does not export a function named \"%s\"",
						fname, want),
				 nfuncs == 0 ? errdetail("It exports no function.") :
				 errdetail("It exports %d functions, none of that name; it must then export exactly one.",
						   nfuncs)));
	return found;
}

/*
 * The module-level checks of a function: which export, its signature, and
 * the canonical ABI exports when strings are used.  Fills 'd'.
 */
void
slackfuel_check_module(const char *fname, const slackfuel_sig *sig,
					   sf_module *m, sf_export_desc *d)
{
	char	   *name;

	sf_module_export(m, (uint32) slackfuel_pick_export(fname, m, fname), d);
	name = pnstrdup(d->name, d->name_len);
	slackfuel_check_signature(fname, sig, name, &d->functype);
	if (sig->uses_memory)
		slackfuel_check_abi_exports(fname, m, name);
}

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

void
slackfuel_cache_init(void)
{
	HASHCTL		ctl;

	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(slackfuel_func);
	func_cache = hash_create("slackfuel functions", 64, &ctl,
							 HASH_ELEM | HASH_BLOBS);
	CacheRegisterSyscacheCallback(PROCOID, invalidate, (Datum) 0);
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
	char	   *src;
	sf_export_desc d;

	strlcpy(fn->proname, NameStr(p->proname), NAMEDATALEN);
	slackfuel_check_proc(tup, &fn->sig);
	src = slackfuel_prosrc(tup);
	slackfuel_module_load(fn->proname, src, mode, b);
	slackfuel_check_module(fn->proname, &fn->sig, b->module, &d);
	slackfuel_module_compile(fn->proname, b->module);
	fn->export_name = strndup(d.name, d.name_len);
	if (fn->export_name == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	fn->export_len = d.name_len;

	/* Nothing below can fail: hand the engine objects to the cache. */
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

/* Instantiate 'fn' for the current role; the store is freed on error. */
static slackfuel_inst *
inst_new(slackfuel_func *fn, uint64 max_memory, uint64 max_stack)
{
	sf_store_config cfg = {0};
	sf_error	err;
	slackfuel_inst *inst = calloc(1, sizeof(slackfuel_inst));
	sf_extern	e;
	char		post[NAMEDATALEN + 16];

	if (inst == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	cfg.max_memory_bytes = max_memory;
	cfg.max_stack_bytes = max_stack;
	cfg.meter_start = 1;
	cfg.start_fuel_limit = slackfuel_fuel_limit();
	inst->store = sf_store_new(&cfg, &err);
	if (inst->store)
		inst->instance = sf_instance_new(inst->store, fn->module, NULL, 0, &err);
	if (inst->instance == NULL)
	{
		slackfuel_outcome out = {.trapped = true, .err = err,
		.limit = slackfuel_fuel_limit()};

		inst_free(inst);
		if (err.status == SF_TRAP)
			slackfuel_report_trap(fn->proname, &out);
		slackfuel_report_status(fn->proname, "instantiate", &err);
	}
	inst->userid = GetUserId();
	inst->max_memory = max_memory;
	inst->max_stack = max_stack;
	inst->func = export_func(inst->instance, fn->export_name, fn->export_len);
	if (fn->sig.uses_memory)
	{
		inst->realloc = export_func(inst->instance, "cabi_realloc", 12);
		if (sf_instance_export(inst->instance, "memory", 6, &e) == SF_OK &&
			e.kind == SF_EXTERN_MEMORY)
			inst->memory = e.of.memory;
		snprintf(post, sizeof(post), "cabi_post_%s", fn->export_name);
		inst->post_return = export_func(inst->instance, post, strlen(post));
	}
	if (inst->func == NULL || (fn->sig.uses_memory && (!inst->realloc || !inst->memory)))
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
