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
 *	  no call is using them;
 *	- when the backend's wasm memory is short: everything every instance
 *	  holds (memories, tables, its own structures) and every compiled
 *	  module's code count against one budget, slackfuel.max_backend_memory;
 *	  when it would be exceeded, the engine asks (reclaim) and the least
 *	  recently used instances with no call running are evicted, even in the
 *	  middle of another instance's call that grows its memory.  An evicted
 *	  instance's next call creates a new one, whose start function runs
 *	  again.
 *
 * The functions over a named module (modules.c) share its compiled module
 * and, per role, one instance: the module's cache entry holds the code (its
 * bytes counted once in the budget) and the instances that own the stores;
 * each function keeps a view of its role's instance (slackfuel_inst).  The
 * shared instance is what the budget evicts and what a call marks running,
 * and evicting or discarding it drops every function's view.
 *
 * A call may run SQL that calls wasm again (host functions, sql.c).  While
 * any host function runs SQL (slackfuel_pins > 0) the calls below it may
 * use any module and instance, so nothing is freed (nor evicted): what
 * would be goes to a list of doomed modules and instances, freed at the
 * next safe point.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
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
uint64		slackfuel_scalar_epoch = 1 | SLACKFUEL_EPOCH_UNARMED;
int			slackfuel_pins;

/* Waiting for the SQL that host functions run to end (see above). */
typedef struct doomed_func
{
	struct doomed_func *next;
	sf_module  *module;
	slackfuel_sig *sig;
} doomed_func;

static slackfuel_inst *doomed_insts;
static doomed_func *doomed_funcs;
static uint64 inst_serial;		/* the last instance's */

static slackfuel_inst *all_instances;	/* every cached instance */
static slackfuel_inst *discarded;	/* after a trap, to free once reported */
static sf_budget *budget;		/* of the backend, created at first use */
static uint64 evictions;

slackfuel_running_calls slackfuel_running;

/* slackfuel_running.n at each open subtransaction's start. */
static int *sub_marks;
static int	nsub_marks,
			capsub_marks;

/* --- Instances running, evictions ----------------------------------------- */

void
slackfuel_running_grow(void)
{
	slackfuel_running_calls *r = &slackfuel_running;
	int			cap = Max(16, r->cap * 2);

	if (r->insts == NULL)
		r->insts = MemoryContextAlloc(TopMemoryContext, cap * sizeof(slackfuel_inst *));
	else
		r->insts = repalloc(r->insts, cap * sizeof(slackfuel_inst *));
	r->cap = cap;
}

/*
 * Whether a call running now (on the stack) uses 'inst': one on
 * slackfuel_running, or wasm running in its store (a call on the scalar
 * path is only that).
 */
bool
slackfuel_inst_running(const slackfuel_inst *inst)
{
	if (inst->store != NULL && sf_store_busy(inst->store))
		return true;
	for (int i = 0; i < slackfuel_running.n; i++)
		if (slackfuel_running.insts[i] == inst)
			return true;
	return false;
}

static void
link_instance(slackfuel_inst *inst)
{
	inst->all_prev = NULL;
	inst->all_next = all_instances;
	if (all_instances)
		all_instances->all_prev = inst;
	all_instances = inst;
}

static void
inst_release(slackfuel_inst *inst)
{
	if (inst->owner == inst)	/* a view's store and host are its owner's */
	{
		slackfuel_scalar_sites_release(inst);
		if (inst->store)
			sf_store_free(inst->store);
		slackfuel_host_free(inst->host);
	}
	free(inst);
}

/* Take 'inst' off its function's or named module's list. */
static void
unlink_from_list(slackfuel_inst *inst)
{
	slackfuel_inst **pp;

	if (inst->list == NULL)
		return;
	for (pp = inst->list; *pp != NULL; pp = &(*pp)->next)
		if (*pp == inst)
		{
			*pp = inst->next;
			break;
		}
	inst->list = NULL;
}

/* Take view 'inst' off its owner's views. */
static void
unlink_view(slackfuel_inst *inst)
{
	slackfuel_inst **pp;

	for (pp = &inst->owner->views; *pp != NULL; pp = &(*pp)->next_view)
		if (*pp == inst)
		{
			*pp = inst->next_view;
			return;
		}
}

/*
 * Free 'inst', off every list (or, while host SQL runs, doom it).  It
 * only frees: the budget's reclaim calls it.
 */
static void
inst_free(slackfuel_inst *inst)
{
	slackfuel_epoch_bump();
	unlink_from_list(inst);
	if (inst->owner != inst)
		unlink_view(inst);
	if (inst->all_prev)
		inst->all_prev->all_next = inst->all_next;
	else if (all_instances == inst)
		all_instances = inst->all_next;
	if (inst->all_next)
		inst->all_next->all_prev = inst->all_prev;
	inst->all_prev = inst->all_next = NULL;
	if (slackfuel_pins > 0)
	{
		inst->next = doomed_insts;
		doomed_insts = inst;
		return;
	}
	inst_release(inst);
}

/* A function's compiled module and signature, freed or doomed. */
static void
func_parts_free(sf_module *m, slackfuel_sig *sig)
{
	doomed_func *d;

	if (slackfuel_pins == 0)
	{
		if (m)
			sf_module_free(m);
		if (sig)
			slackfuel_sig_free(sig);
		return;
	}
	/* without memory for the list, leak them rather than free them in use */
	if ((d = malloc(sizeof(doomed_func))) != NULL)
	{
		d->module = m;
		d->sig = sig;
		d->next = doomed_funcs;
		doomed_funcs = d;
	}
}

static void
free_doomed(void)
{
	slackfuel_modules_free_doomed();
	while (doomed_insts)
	{
		slackfuel_inst *next = doomed_insts->next;

		inst_release(doomed_insts);
		doomed_insts = next;
	}
	while (doomed_funcs)
	{
		doomed_func *next = doomed_funcs->next;

		if (doomed_funcs->module)
			sf_module_free(doomed_funcs->module);
		if (doomed_funcs->sig)
			slackfuel_sig_free(doomed_funcs->sig);
		free(doomed_funcs);
		doomed_funcs = next;
	}
}

/* A named module's instance goes: so do the functions' views of it. */
static void
drop_views(slackfuel_inst *owner)
{
	while (owner->views != NULL)
		inst_free(owner->views);
}

/*
 * The engine's reclaim: evict the least recently used instance no call is
 * running in.  It may run inside a wasm call (memory.grow of another
 * instance), so it only frees: no palloc, no ereport.
 */
static uint64_t
reclaim(void *env, uint64_t bytes)
{
	slackfuel_inst *victim = discarded;
	uint64		freed;

	if (slackfuel_pins > 0)
		return 0;				/* nothing is freed while host SQL runs */
	if (victim != NULL)
		discarded = victim->next;	/* those discarded after a trap first */
	else
	{
		for (slackfuel_inst *i = all_instances; i != NULL; i = i->all_next)
			if ((victim == NULL || i->last_used < victim->last_used) &&
				!slackfuel_inst_running(i))
				victim = i;
		if (victim == NULL)
			return 0;
		unlink_from_list(victim);
		drop_views(victim);
		evictions++;
	}
	freed = sf_store_bytes(victim->store);
	inst_free(victim);
	return Max(freed, 1);		/* its address space, at least */
}

/* The backend's wasm memory budget (slackfuel.max_backend_memory). */
sf_budget *
slackfuel_budget(void)
{
	sf_error	err;

	if (budget == NULL)
	{
		budget = sf_budget_new(slackfuel_max_backend_memory(), &err);
		if (budget == NULL)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
		sf_budget_set_reclaim(budget, reclaim, NULL);
	}
	return budget;
}

/* slackfuel.max_backend_memory changed (an assign hook: must not fail). */
void
slackfuel_budget_changed(void)
{
	if (budget != NULL)
		sf_budget_set_limit(budget, slackfuel_max_backend_memory());
}

/*
 * Free the instances discarded after traps.  Their memory may take tens of
 * milliseconds to unmap (70 ms for 1 GB here), so they are freed after the
 * error went to the client: at the end of the transaction or
 * subtransaction the trap aborted.  Until then they are idle, so the
 * budget's reclaim may take them first.
 */
static void
free_discarded(void)
{
	slackfuel_inst *next;

	while (discarded != NULL)
	{
		next = discarded->next;
		inst_free(discarded);
		discarded = next;
	}
	/* those a call around the trapping one still ran in, if now idle */
	for (slackfuel_inst *i = all_instances; i != NULL; i = next)
	{
		next = i->all_next;
		if (i->discarded && !slackfuel_inst_running(i))
			inst_free(i);
	}
}

/*
 * An error left calls' instances marked as running: the subtransaction or
 * transaction it aborted is over, and so are the calls made in it.
 */
static void
running_at_xact_end(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PREPARE:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PARALLEL_ABORT:
			slackfuel_running.n = 0;
			nsub_marks = 0;
			free_discarded();
			break;
		default:
			break;
	}
}

static void
running_at_subxact(SubXactEvent event, SubTransactionId mySubid,
				   SubTransactionId parentSubid, void *arg)
{
	switch (event)
	{
		case SUBXACT_EVENT_START_SUB:
			if (nsub_marks == capsub_marks)
			{
				capsub_marks = Max(16, capsub_marks * 2);
				sub_marks = sub_marks == NULL ?
					MemoryContextAlloc(TopMemoryContext, capsub_marks * sizeof(int)) :
					repalloc(sub_marks, capsub_marks * sizeof(int));
			}
			sub_marks[nsub_marks++] = slackfuel_running.n;
			break;
		case SUBXACT_EVENT_COMMIT_SUB:
			if (nsub_marks > 0)
				nsub_marks--;
			break;
		case SUBXACT_EVENT_ABORT_SUB:
			if (nsub_marks > 0)
				slackfuel_running.n = sub_marks[--nsub_marks];
			if (slackfuel_running.n == 0)
				free_discarded();
			break;
		default:
			break;
	}
}

/* --- The cache ---------------------------------------------------------- */

static void
func_release(slackfuel_func *fn)
{
	while (fn->instances)
		inst_free(fn->instances);
	/* a named module's code is the module cache's */
	func_parts_free(fn->shared ? NULL : fn->module, fn->sig);
	if (fn->shared)
		slackfuel_mod_used(fn->shared, -1);
	fn->shared = NULL;
	if (fn->code_bytes)
		sf_budget_give(slackfuel_budget(), fn->code_bytes);
	fn->code_bytes = 0;
	free(fn->export_name);
	fn->sig = NULL;
	fn->module = NULL;
	fn->export_name = NULL;
	if (fn->stale)
		nstale--;
	fn->stale = false;
	fn->valid = false;
	slackfuel_epoch_bump();
}

/*
 * Safe point: no call is using any entry, unless host functions are
 * running SQL.  Free what was invalidated or doomed.
 */
void
slackfuel_cache_flush_stale(void)
{
	HASH_SEQ_STATUS seq;
	slackfuel_func *fn;

	if (slackfuel_pins > 0)
		return;
	free_doomed();
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
			slackfuel_epoch_bump();
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
		slackfuel_epoch_bump();
	}
}

/*
 * An enum changed (ALTER TYPE ... ADD VALUE, RENAME VALUE): the functions
 * whose signatures use enums are built again, since the WIT enum lists
 * the labels.
 */
static void
invalidate_enums(Datum arg, int cacheid, uint32 hashvalue)
{
	HASH_SEQ_STATUS seq;
	slackfuel_func *fn;

	hash_seq_init(&seq, func_cache);
	while ((fn = hash_seq_search(&seq)) != NULL)
	{
		if (!fn->valid || fn->stale || !fn->sig->has_enums)
			continue;
		fn->stale = true;
		nstale++;
		slackfuel_epoch_bump();
	}
}

void
slackfuel_cache_init(void)
{
	HASHCTL		ctl;

	ctl.keysize = sizeof(slackfuel_func_key);
	ctl.entrysize = sizeof(slackfuel_func);
	func_cache = hash_create("slackfuel functions", 64, &ctl,
							 HASH_ELEM | HASH_BLOBS);
	CacheRegisterSyscacheCallback(PROCOID, invalidate, (Datum) 0);
	CacheRegisterRelcacheCallback(invalidate_rowtypes, (Datum) 0);
	CacheRegisterSyscacheCallback(ENUMOID, invalidate_enums, (Datum) 0);
	RegisterXactCallback(running_at_xact_end, NULL);
	RegisterSubXactCallback(running_at_subxact, NULL);
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
	slackfuel_mod *mod;
	const sf_component *comp;
	char	   *export;
	sf_module  *m;
	sf_export_desc d;

	strlcpy(fn->proname, NameStr(p->proname), NAMEDATALEN);
	sig = slackfuel_check_proc(tup);	/* freed with the current context */
	m = slackfuel_body_module(fn->proname, slackfuel_prosrc(tup), p->proowner,
							  mode, false, fn->stats, b, &mod, &comp, &export);
	slackfuel_check_module(fn->proname, sig, m, comp, export, &d);
	if (mod == NULL)
	{
		/* a named module was compiled, counted and profiled once, by mod_get */
		slackfuel_module_compile(fn->proname, m);
		fn->code_bytes = slackfuel_take_code(fn->proname, m);
		slackfuel_stats_compiled(fn->stats, m);
		slackfuel_module_profile(fn->proname, m);
	}
	fn->export_name = strndup(d.name, d.name_len);
	if (fn->export_name == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	fn->export_len = d.name_len;

	/* Nothing below can fail: hand the engine objects to the cache. */
	MemoryContextSetParent(sig->mcxt, TopMemoryContext);
	fn->sig = sig;
	fn->module = m;
	b->module = NULL;
	fn->shared = mod;
	if (mod)
		slackfuel_mod_used(mod, 1);
	fn->mode = mode;
	fn->fn_xmin = HeapTupleHeaderGetRawXmin(tup->t_data);
	fn->fn_tid = tup->t_self;
	fn->hashvalue = GetSysCacheHashValue1(PROCOID, ObjectIdGetDatum(fn->key.fn_oid));
	fn->valid = true;
}

/* The cache entry of 'fn_oid', compiled for the mode calls run in now. */
slackfuel_func *
slackfuel_func_lookup(Oid fn_oid)
{
	HeapTuple	tup;
	slackfuel_func *fn;
	bool		found;
	sf_fuel_mode mode = slackfuel_call_mode();
	slackfuel_func_key key = {fn_oid, mode};

	slackfuel_cache_flush_stale();
	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn_oid));
	if (!HeapTupleIsValid(tup))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("wasm function was dropped while a query was using it")));
	fn = hash_search(func_cache, &key, HASH_ENTER, &found);
	if (!found)
		memset((char *) fn + sizeof(key), 0, sizeof(*fn) - sizeof(key));
	if (fn->stats == NULL)
		fn->stats = slackfuel_stats_entry(fn_oid);
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

/*
 * A new instance of compiled module 'm' for the current role, owning its
 * store, on the backend's list of instances.
 */
slackfuel_inst *
slackfuel_inst_create(const char *fname, sf_module *m, uint64 max_memory,
					  uint64 max_stack)
{
	slackfuel_build *b = slackfuel_build_new();	/* owns the store on error */
	sf_instance *instance;
	slackfuel_inst *inst;

	b->store = slackfuel_store_new(fname, max_memory, max_stack);
	if (sf_module_num_imports(m) > 0)
		b->host = slackfuel_host_new(fname, b->store, m);
	instance = slackfuel_instantiate(fname, b->store, m, max_stack, b->host);
	inst = calloc(1, sizeof(slackfuel_inst));
	if (inst == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	inst->store = b->store;
	b->store = NULL;
	inst->host = b->host;
	b->host = NULL;
	inst->owner = inst;
	link_instance(inst);
	inst->instance = instance;
	inst->memory0 = sf_instance_memory(instance);
	inst->userid = GetUserId();
	inst->max_memory = max_memory;
	inst->max_stack = max_stack;
	inst->serial = ++inst_serial;
	return inst;
}

/* A view of 'owner', a named module's instance, for one of its functions. */
static slackfuel_inst *
view_new(slackfuel_inst *owner)
{
	slackfuel_inst *inst = calloc(1, sizeof(slackfuel_inst));

	if (inst == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	inst->owner = owner;
	inst->instance = owner->instance;
	inst->host = owner->host;
	inst->memory0 = owner->memory0;
	inst->userid = owner->userid;
	inst->max_memory = owner->max_memory;
	inst->max_stack = owner->max_stack;
	inst->serial = ++inst_serial;
	inst->next_view = owner->views;
	owner->views = inst;
	return inst;
}

/* Instantiate 'fn' for the current role (a named module's: its view). */
static slackfuel_inst *
inst_new(slackfuel_func *fn, uint64 max_memory, uint64 max_stack)
{
	slackfuel_inst *inst;
	sf_extern	e;
	char		post[NAMEDATALEN + 16];

	if (fn->shared)
		inst = view_new(slackfuel_mod_instance(fn->proname, fn->shared,
											   max_memory, max_stack));
	else
		inst = slackfuel_inst_create(fn->proname, fn->module, max_memory, max_stack);
	inst->fn = fn;
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
	if (fn->sig->stream)
	{
		snprintf(post, sizeof(post), "%s_next", fn->export_name);
		inst->next_row = export_func(inst->instance, post, strlen(post));
		snprintf(post, sizeof(post), "%s_close", fn->export_name);
		inst->close = export_func(inst->instance, post, strlen(post));
	}
	if (inst->func == NULL || (fn->sig->uses_memory && (!inst->realloc || !inst->memory)) ||
		(fn->sig->stream && !inst->next_row))
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
		if (inst->max_memory == mem && inst->max_stack == stack)
		{
			*pp = inst->next;
			inst->next = fn->instances;
			fn->instances = inst;
			return inst;
		}
		/* limits changed: start afresh (a shared one is redone by mod_instance) */
		if (inst->owner == inst)
			slackfuel_inst_drop(inst);
		else
			inst_free(inst);
		break;
	}
	inst = inst_new(fn, mem, stack);
	inst->next = fn->instances;
	inst->list = &fn->instances;
	fn->instances = inst;
	return inst;
}

/*
 * No call may use 'owner' again: it leaves its list, its views go, and it
 * is freed now, or once idle (free_discarded) if a call still runs in it.
 */
void
slackfuel_inst_drop(slackfuel_inst *owner)
{
	unlink_from_list(owner);
	drop_views(owner);
	slackfuel_epoch_bump();
	if (!slackfuel_inst_running(owner))
		inst_free(owner);
	else
		owner->discarded = true;
}

/*
 * After a trap: no call may use 'inst' again.  It is freed once the error
 * has been reported (free_discarded), or, if a call around this one still
 * runs in it, evicted once that call is over.
 */
void
slackfuel_inst_discard(slackfuel_func *fn, slackfuel_inst *inst)
{
	slackfuel_inst *owner = inst->owner;	/* a named module's: for every function */

	unlink_from_list(owner);
	drop_views(owner);
	slackfuel_epoch_bump();
	owner->discarded = true;
	if (!slackfuel_inst_running(owner))
	{
		owner->next = discarded;
		discarded = owner;
	}
}

/*
 * The named modules changed (modules.c): every function over one is loaded
 * again at its next call, which rechecks its module.
 */
void
slackfuel_cache_stale_shared(void)
{
	HASH_SEQ_STATUS seq;
	slackfuel_func *fn;

	hash_seq_init(&seq, func_cache);
	while ((fn = hash_seq_search(&seq)) != NULL)
	{
		if (!fn->valid || fn->stale || fn->shared == NULL)
			continue;
		fn->stale = true;
		nstale++;
		slackfuel_epoch_bump();
	}
}
