/*
** runtime.c -- stores and the objects they own: host functions, memories,
** tables, globals and instances (linking, initialisation, start).
**
** A store owns everything created in it and frees it all at once, which
** matches the spec's store model: an instance whose initialisation traps
** may already have written its functions into an imported table, so it
** must stay alive as long as the store does.
*/
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "opcodes.h"
#include "runtime.h"
#include "signals.h"
#include "target.h"

_Static_assert(offsetof(sf_activation, saved_rsp) == SF_OFF_ACT_SAVED_RSP, "act");
_Static_assert(offsetof(sf_activation, trap) == SF_OFF_ACT_TRAP, "act");
_Static_assert(offsetof(sf_activation, trap_pc) == SF_OFF_ACT_TRAP_PC, "act");
_Static_assert(offsetof(sf_activation, fuel) == SF_OFF_ACT_FUEL, "act");
_Static_assert(offsetof(sf_activation, store) == SF_OFF_ACT_STORE, "act");
_Static_assert(offsetof(struct sf_store, stack_limit) == SF_OFF_STORE_STACK_LIMIT, "store");
_Static_assert(offsetof(struct sf_store, act) == SF_OFF_STORE_ACT, "store");
_Static_assert(offsetof(struct sf_func, code) == SF_OFF_FUNC_CODE, "func");
_Static_assert(offsetof(struct sf_func, ctx) == SF_OFF_FUNC_CTX, "func");
_Static_assert(offsetof(struct sf_func, type_id) == SF_OFF_FUNC_TYPE_ID, "func");
_Static_assert(offsetof(struct sf_memory, base) == SF_OFF_MEM_BASE, "mem");
_Static_assert(offsetof(struct sf_memory, size) == SF_OFF_MEM_SIZE, "mem");
_Static_assert(offsetof(struct sf_table, elems) == SF_OFF_TABLE_ELEMS, "table");
_Static_assert(offsetof(struct sf_table, size) == SF_OFF_TABLE_SIZE, "table");
_Static_assert(offsetof(sf_vmctx, slots) == SF_OFF_VM_SLOTS, "vm");
_Static_assert(offsetof(sf_vmctx, mem_base) == SF_OFF_VM_MEM_BASE, "vm");
_Static_assert(offsetof(sf_hostctx, mem_base) == SF_OFF_VM_MEM_BASE, "hostctx");

#define PAGE ((uint64_t) 65536)
#define MEM_RESERVE ((uint64_t) 8 << 30)
#define DEFAULT_STACK ((uint64_t) 1 << 20)
#define DEFAULT_TABLE_MAX 1000000u
#define DEFAULT_TABLE_BYTES ((uint64_t) 16 << 20)
#define ELEM ((uint64_t) SF_FUEL_ELEM_BYTES)

typedef enum objkind
{
	OBJ_FUNC, OBJ_MEMORY, OBJ_TABLE, OBJ_GLOBAL, OBJ_INSTANCE
} objkind;

struct sf_objnode
{
	objkind		kind;
	void	   *obj;
	sf_objnode *next;
};

static bool
own_obj(sf_store *s, objkind kind, void *obj)
{
	sf_objnode *n = malloc(sizeof(*n));

	if (n == NULL)
		return false;
	n->kind = kind;
	n->obj = obj;
	n->next = s->objs;
	s->objs = n;
	return true;
}

sf_store *
sf_store_new(const sf_store_config *cfg, sf_error *err)
{
	sf_store   *s;

	sf_error_clear(err);
	if (sf_cpu_check(err) != SF_OK)
		return NULL;
	if (sf_signals_install(err) != SF_OK)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
	{
		sf_error_set(err, SF_NOMEM, "out of memory");
		return NULL;
	}
	if (cfg)
		s->cfg = *cfg;
	if (s->cfg.max_memory_bytes == 0 || s->cfg.max_memory_bytes > ((uint64_t) 4 << 30))
		s->cfg.max_memory_bytes = (uint64_t) 4 << 30;
	if (s->cfg.max_stack_bytes == 0)
		s->cfg.max_stack_bytes = DEFAULT_STACK;
	if (s->cfg.max_table_elems == 0)
		s->cfg.max_table_elems = DEFAULT_TABLE_MAX;
	if (s->cfg.max_table_bytes == 0)
		s->cfg.max_table_bytes = DEFAULT_TABLE_BYTES;
	return s;
}

static void
free_instance(sf_instance *inst)
{
	if (inst->elem_refs)
		for (uint32_t i = 0; i < inst->nelems; i++)
			free(inst->elem_refs[i]);
	free(inst->elem_refs);
	free(inst->elem_len);
	free(inst->data_dropped);
	free(inst->funcs);
	free(inst->vm);
	free(inst);
}

void
sf_store_free(sf_store *s)
{
	sf_objnode *n, *next;

	if (s == NULL)
		return;
	if (s->cfg.budget)
		sf_budget_give(s->cfg.budget, sf_store_bytes(s));
	for (n = s->objs; n; n = next)
	{
		next = n->next;
		switch (n->kind)
		{
			case OBJ_FUNC:
				free(n->obj);
				break;
			case OBJ_MEMORY:
				{
					sf_memory  *mem = n->obj;

					munmap(mem->base, mem->reserved);
					free(mem);
					break;
				}
			case OBJ_TABLE:
				free(((sf_table *) n->obj)->elems);
				free(n->obj);
				break;
			case OBJ_GLOBAL:
				free(n->obj);
				break;
			case OBJ_INSTANCE:
				free_instance(n->obj);
				break;
		}
		free(n);
	}
	free(s);
}

/* ---- what memories and tables hold ------------------------------------------------ */

static inline uint64_t
min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

sf_budget *
sf_budget_new(uint64_t limit, sf_error *err)
{
	sf_budget  *b = calloc(1, sizeof(*b));

	if (b == NULL)
		sf_error_set(err, SF_NOMEM, "out of memory");
	else
		b->limit = limit;
	return b;
}

void
sf_budget_free(sf_budget *b)
{
	free(b);
}

void
sf_budget_set_limit(sf_budget *b, uint64_t limit)
{
	b->limit = limit;
}

uint64_t
sf_budget_limit(const sf_budget *b)
{
	return b->limit;
}

uint64_t
sf_budget_used(const sf_budget *b)
{
	return b->used;
}

void
sf_budget_set_reclaim(sf_budget *b, sf_reclaim_fn fn, void *env)
{
	b->reclaim = fn;
	b->reclaim_env = env;
}

uint64_t
sf_budget_refusals(const sf_budget *b)
{
	return b->refused;
}

static bool
fits(const sf_budget *b, uint64_t bytes)
{
	return b->used <= b->limit && bytes <= b->limit - b->used;
}

/* How many bytes must be freed for 'bytes' to fit. */
static uint64_t
shortfall(const sf_budget *b, uint64_t bytes)
{
	return b->used + bytes - b->limit;
}

/*
** Whether 'bytes' fit, after the host reclaimed what it could if they did
** not; a refusal is counted.  The host's reclaim frees other stores, never
** the one asking (it is being created, or a call runs in it).
*/
static bool
budget_room(sf_budget *b, uint64_t bytes)
{
	if (!fits(b, bytes) && b->reclaim != NULL && !b->reclaiming)
	{
		b->reclaiming = true;
		while (!fits(b, bytes) && b->reclaim(b->reclaim_env, shortfall(b, bytes)) > 0)
			;
		b->reclaiming = false;
	}
	if (fits(b, bytes))
		return true;
	b->refused++;
	return false;
}

int
sf_budget_take(sf_budget *b, uint64_t bytes)
{
	if (!budget_room(b, bytes))
		return 0;
	b->used += bytes;
	return 1;
}

void
sf_budget_give(sf_budget *b, uint64_t bytes)
{
	b->used = bytes < b->used ? b->used - bytes : 0;
}

/* A cap on what a store holds: its name, what is held against it, its limit. */
typedef struct cap
{
	const char *name;
	uint64_t	used;
	uint64_t	limit;
} cap;

/*
** Whether 'mem', 'table' and 'own' (an instance's own structures) more
** bytes pass one of the store's caps (*c).  max_store_bytes is about
** memories and tables; the budget counts everything.
*/
static bool
cap_passed(sf_store *s, uint64_t mem, uint64_t table, uint64_t own, cap *c)
{
	sf_budget  *b = s->cfg.budget;
	uint64_t	held = s->mem_bytes + s->table_bytes;

	if (table > s->cfg.max_table_bytes - min_u64(s->table_bytes, s->cfg.max_table_bytes))
		*c = (cap) {"max_table_bytes", s->table_bytes, s->cfg.max_table_bytes};
	else if (s->cfg.max_store_bytes &&
			 (held > s->cfg.max_store_bytes || mem + table > s->cfg.max_store_bytes - held))
		*c = (cap) {"max_store_bytes", held, s->cfg.max_store_bytes};
	else if (b != NULL && !budget_room(b, mem + table + own))
		*c = (cap) {"the shared budget", b->used, b->limit};
	else
		return false;
	return true;
}

bool
sf_store_has_room(sf_store *s, uint64_t mem, uint64_t table)
{
	cap			c;

	return !cap_passed(s, mem, table, 0, &c);
}

/* Count 'mem', 'table' and 'own' more bytes, for which there is room. */
static void
store_take(sf_store *s, uint64_t mem, uint64_t table, uint64_t own)
{
	s->mem_bytes += mem;
	s->table_bytes += table;
	s->own_bytes += own;
	if (s->cfg.budget)
		s->cfg.budget->used += mem + table + own;
}

/* SF_LIMIT naming the cap that 'what' would pass, or SF_OK. */
static sf_status
check_room(sf_store *s, const char *what, uint64_t mem, uint64_t table,
		   uint64_t own, sf_error *err)
{
	cap			c;

	if (!cap_passed(s, mem, table, own, &c))
		return SF_OK;
	return sf_error_set(err, SF_LIMIT, "%s of %llu bytes exceeds %s: %llu of %llu bytes in use",
						what, (unsigned long long) (mem + table + own), c.name,
						(unsigned long long) c.used, (unsigned long long) c.limit);
}

uint64_t
sf_store_bytes(const sf_store *s)
{
	return s->mem_bytes + s->table_bytes + s->own_bytes;
}

/* ---- host functions ----------------------------------------------------------- */

sf_func *
sf_func_new_host(sf_store *s, const sf_functype *type, sf_host_fn fn,
				 void *env, sf_error *err)
{
	size_t		n = (size_t) type->nparams + type->nresults;
	sf_func    *f = calloc(1, sizeof(*f) + n * sizeof(sf_valtype));
	sf_valtype *types;
	const sf_stubs *stubs = sf_stubs_get(err);

	if (f == NULL || stubs == NULL)
	{
		free(f);
		if (stubs)
			sf_error_set(err, SF_NOMEM, "out of memory");
		return NULL;
	}
	types = (sf_valtype *) (f + 1);
	if (type->nparams)
		memcpy(types, type->params, type->nparams * sizeof(sf_valtype));
	if (type->nresults)
		memcpy(types + type->nparams, type->results, type->nresults * sizeof(sf_valtype));
	f->type.nparams = type->nparams;
	f->type.nresults = type->nresults;
	f->type.params = types;
	f->type.results = types + type->nparams;
	f->type_id = sf_typeid_get(&f->type, err);
	f->store = s;
	f->host = fn;
	f->env = env;
	f->hostctx.store = s;
	f->hostctx.func = f;
	f->ctx = &f->hostctx;
	f->code = stubs->host_call;
	f->func_index = UINT32_MAX;
	if (f->type_id == 0 || !own_obj(s, OBJ_FUNC, f))
	{
		free(f);
		sf_error_set(err, SF_NOMEM, "out of memory");
		return NULL;
	}
	return f;
}

void
sf_func_type(const sf_func *f, sf_functype *out)
{
	*out = f->type;
}

/* ---- memories, tables, globals ------------------------------------------------- */

static uint64_t
mem_max_pages(sf_store *s, sf_limits lim)
{
	uint64_t	cap = s->cfg.max_memory_bytes / PAGE;
	uint64_t	max = lim.has_max ? lim.max : 65536;

	return max < cap ? max : cap;
}

/*
** Reserve 'want' bytes of address space, or for a bounds-checked memory
** ('shrink'), as much of it as there is, halving down to 'need'.  The
** reservation, or MAP_FAILED.
*/
static void *
reserve_space(uint64_t *want, uint64_t need, bool shrink)
{
	for (;;)
	{
		void	   *p = mmap(NULL, *want, PROT_NONE,
							 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		if (p != MAP_FAILED || !shrink || *want / 2 < need || *want <= PAGE)
			return p;
		*want = (*want / 2 + PAGE - 1) / PAGE * PAGE;
	}
}

/*
** Address space is short even for a bounds-checked memory: the host may
** free stores it holds (the budget's reclaim), whose memories' address
** space goes with them.  Whether it freed something.
*/
static bool
reclaim_space(sf_store *s, uint64_t bytes)
{
	sf_budget  *b = s->cfg.budget;
	uint64_t	freed;

	if (b == NULL || b->reclaim == NULL || b->reclaiming)
		return false;
	b->reclaiming = true;
	freed = b->reclaim(b->reclaim_env, bytes);
	b->reclaiming = false;
	return freed > 0;
}

/*
** 'guarded': reserve 8 GiB so that JIT code needs no bounds checks;
** otherwise reserve what the memory may grow to (bounds-checked code), or
** as much as the address space allows, which then caps its growth.
** '*unreserved' (if given) says the 8 GiB could not be had.
*/
static sf_memory *
memory_new(sf_store *s, sf_limits lim, bool guarded, bool *unreserved, sf_error *err)
{
	sf_memory  *mem;
	void	   *p;
	uint64_t	maxp = mem_max_pages(s, lim);
	uint64_t	reserve = guarded ? MEM_RESERVE : (maxp ? maxp : 1) * PAGE;

	if (lim.min > maxp)
	{
		sf_error_set(err, SF_LIMIT, "memory of %llu pages exceeds the limit of %llu pages",
					 (unsigned long long) lim.min, (unsigned long long) maxp);
		return NULL;
	}
	if (check_room(s, "a memory", lim.min * PAGE, 0, 0, err) != SF_OK)
		return NULL;
	mem = calloc(1, sizeof(*mem));
	if (mem == NULL)
	{
		sf_error_set(err, SF_NOMEM, "out of memory");
		return NULL;
	}
	p = reserve_space(&reserve, lim.min * PAGE, !guarded);
	while (p == MAP_FAILED && !guarded && reclaim_space(s, reserve))
		p = reserve_space(&reserve, lim.min * PAGE, true);
	if (p == MAP_FAILED)
	{
		if (unreserved)
			*unreserved = guarded;
		free(mem);
		sf_error_set(err, SF_NOMEM, "cannot reserve %llu bytes of address space for a linear memory",
					 (unsigned long long) reserve);
		return NULL;
	}
	if (lim.min && mprotect(p, lim.min * PAGE, PROT_READ | PROT_WRITE) != 0)
	{
		munmap(p, reserve);
		free(mem);
		sf_error_set(err, SF_NOMEM, "cannot commit %llu pages of linear memory",
					 (unsigned long long) lim.min);
		return NULL;
	}
	store_take(s, lim.min * PAGE, 0, 0);
	mem->base = p;
	mem->size = lim.min * PAGE;
	mem->max_pages = guarded || reserve / PAGE >= maxp ? maxp : reserve / PAGE;
	mem->reserved = reserve;
	mem->lim = lim;
	mem->store = s;
	if (!own_obj(s, OBJ_MEMORY, mem))
	{
		munmap(p, reserve);
		free(mem);
		sf_error_set(err, SF_NOMEM, "out of memory");
		return NULL;
	}
	return mem;
}

/* Where 8 GiB cannot be reserved, the memory is bounds-checked (importers too). */
sf_memory *
sf_memory_new(sf_store *s, sf_limits lim, sf_error *err)
{
	bool		unreserved = false;
	sf_memory  *mem = memory_new(s, lim, true, &unreserved, err);

	if (mem == NULL && unreserved)
		mem = memory_new(s, lim, false, NULL, err);
	return mem;
}

uint8_t *
sf_memory_data(sf_memory *mem)
{
	return mem->base;
}

uint64_t
sf_memory_size(const sf_memory *mem)
{
	return mem->size;
}

const uint64_t *
sf_memory_size_ref(const sf_memory *mem)
{
	return &mem->size;
}

/* Whether the memory may grow by 'delta' pages. */
bool
sf_memory_may_grow(const sf_memory *mem, uint64_t delta)
{
	uint64_t	old = mem->size / PAGE;

	return delta <= mem->max_pages && old + delta <= mem->max_pages &&
		sf_store_has_room(mem->store, delta * PAGE, 0);
}

/* Grow by 'delta' pages; returns the old size in pages or -1. */
int64_t
sf_memory_grow(sf_memory *mem, uint64_t delta)
{
	if (delta == 0)
		return (int64_t) (mem->size / PAGE);
	if (!sf_memory_may_grow(mem, delta))
		return -1;
	return sf_memory_commit(mem, delta);
}

/* Make 'delta' more pages usable, which sf_memory_may_grow allowed. */
int64_t
sf_memory_commit(sf_memory *mem, uint64_t delta)
{
	uint64_t	old = mem->size / PAGE;

	if (mprotect(mem->base + mem->size, delta * PAGE, PROT_READ | PROT_WRITE) != 0)
		return -1;
	store_take(mem->store, delta * PAGE, 0, 0);
	mem->size += delta * PAGE;
	mem->lim.min = old + delta;
	return (int64_t) old;
}

sf_table *
sf_table_new(sf_store *s, sf_valtype elem, sf_limits lim, sf_error *err)
{
	sf_table   *t;
	uint64_t	cap = lim.has_max && lim.max < s->cfg.max_table_elems ? lim.max : s->cfg.max_table_elems;

	if (lim.min > cap)
	{
		sf_error_set(err, SF_LIMIT, "table of %llu elements exceeds the limit of %llu",
					 (unsigned long long) lim.min, (unsigned long long) cap);
		return NULL;
	}
	if (check_room(s, "a table", 0, lim.min * ELEM, 0, err) != SF_OK)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (t)
		t->elems = calloc(lim.min ? lim.min : 1, sizeof(void *));
	if (t == NULL || t->elems == NULL || !own_obj(s, OBJ_TABLE, t))
	{
		if (t)
			free(t->elems);
		free(t);
		sf_error_set(err, SF_NOMEM, "out of memory");
		return NULL;
	}
	store_take(s, 0, lim.min * ELEM, 0);
	t->size = (uint32_t) lim.min;
	t->room = (uint32_t) lim.min;
	t->max = (uint32_t) cap;
	t->elem = elem;
	t->lim = lim;
	t->store = s;
	return t;
}

/* Room beyond the table's allocation that growing to 'size' needs, in bytes. */
static uint64_t
more_room(const sf_table *t, uint64_t size)
{
	return size > t->room ? (size - t->room) * ELEM : 0;
}

/* Whether the table may grow by 'delta' elements. */
bool
sf_table_may_grow(const sf_table *t, uint64_t delta)
{
	return delta <= t->max && t->size + delta <= t->max &&
		sf_store_has_room(t->store, 0, more_room(t, t->size + delta));
}

/*
** Make room for 'delta' more elements (the size stays): false if the table
** may not grow so or memory is short.  The room counts against the
** store's caps as it is allocated.
*/
bool
sf_table_reserve(sf_table *t, uint64_t delta)
{
	uint64_t	size = t->size + delta;
	void	  **ne;

	if (!sf_table_may_grow(t, delta))
		return false;
	if (size <= t->room)
		return true;
	ne = realloc(t->elems, (size_t) size * sizeof(void *));
	if (ne == NULL)
		return false;
	store_take(t->store, 0, more_room(t, size), 0);
	t->elems = ne;
	t->room = (uint32_t) size;
	return true;
}

/* Grow by 'delta' elements set to 'init'; returns the old size or -1. */
int64_t
sf_table_grow(sf_table *t, uint64_t delta, void *init)
{
	uint64_t	old = t->size;

	if (delta == 0)
		return (int64_t) old;
	if (!sf_table_reserve(t, delta))
		return -1;
	for (uint64_t i = old; i < old + delta; i++)
		t->elems[i] = init;
	t->size = (uint32_t) (old + delta);
	t->lim.min = old + delta;
	return (int64_t) old;
}

sf_global *
sf_global_new(sf_store *s, sf_val init, int mutable_, sf_error *err)
{
	sf_global  *g = calloc(1, sizeof(*g));

	if (g == NULL || !own_obj(s, OBJ_GLOBAL, g))
	{
		free(g);
		sf_error_set(err, SF_NOMEM, "out of memory");
		return NULL;
	}
	g->type = init.type;
	g->mutable_ = mutable_ != 0;
	g->store = s;
	sf_global_set(g, init);
	return g;
}

sf_val
sf_global_get(const sf_global *g)
{
	sf_val		v;

	memset(&v, 0, sizeof(v));
	v.type = g->type;
	switch (g->type)
	{
		case SF_I32:
		case SF_F32:
			v.of.i32 = (int32_t) (uint32_t) g->cell;
			break;
		default:
			v.of.i64 = (int64_t) g->cell;
			break;
	}
	return v;
}

void
sf_global_set(sf_global *g, sf_val v)
{
	switch (g->type)
	{
		case SF_I32:
		case SF_F32:
			g->cell = (uint32_t) v.of.i32;
			break;
		case SF_FUNCREF:
			g->cell = (uint64_t) (uintptr_t) v.of.funcref;
			break;
		case SF_EXTERNREF:
			g->cell = (uint64_t) v.of.externref;
			break;
		default:
			g->cell = (uint64_t) v.of.i64;
			break;
	}
}

/* ---- instances ------------------------------------------------------------------- */

static bool
limits_match(sf_limits have, sf_limits want)
{
	if (have.min < want.min)
		return false;
	if (want.has_max && (!have.has_max || have.max > want.max))
		return false;
	return true;
}

static sf_status
check_import(const sf_module *m, uint32_t i, const sf_extern *ext, sf_error *err)
{
	const sf_import *imp = &m->imports[i];
	bool		ok = ext->kind == imp->kind;

	if (ok)
		switch (imp->kind)
		{
			case SF_EXTERN_FUNC:
				ok = ext->of.func && ext->of.func->type_id == m->jit->type_ids[imp->desc.type_index];
				break;
			case SF_EXTERN_TABLE:
				ok = ext->of.table && ext->of.table->elem == imp->desc.table.elem &&
					limits_match(ext->of.table->lim, imp->desc.table.lim);
				break;
			case SF_EXTERN_MEMORY:
				/* without its 8 GiB, the importer runs bounds-checked code */
				ok = ext->of.memory && limits_match(ext->of.memory->lim, imp->desc.memory);
				break;
			case SF_EXTERN_GLOBAL:
				ok = ext->of.global && ext->of.global->type == imp->desc.global.type &&
					ext->of.global->mutable_ == imp->desc.global.mutable_;
				break;
		}
	if (!ok)
		return sf_error_set(err, SF_UNLINKABLE, "incompatible import type for import %u (\"%.*s\" \"%.*s\")",
							i, (int) imp->module.len, imp->module.ptr,
							(int) imp->name.len, imp->name.ptr);
	return SF_OK;
}

/* Value of a constant expression, as raw slot bits. */
static uint64_t
eval_const(sf_instance *inst, const sf_constexpr *e)
{
	sf_vmctx   *vm = inst->vm;
	const sf_module *m = inst->m;

	switch (e->op)
	{
		case SF_OP_I32_CONST:
			return (uint32_t) e->v.i32;
		case SF_OP_F32_CONST:
			return e->v.f32_bits;
		case SF_OP_I64_CONST:
			return (uint64_t) e->v.i64;
		case SF_OP_F64_CONST:
			return e->v.f64_bits;
		case SF_OP_GLOBAL_GET:
			return *(uint64_t *) vm->slots[m->nfuncs + e->v.index];
		case SF_OP_REF_FUNC:
			return (uint64_t) (uintptr_t) vm->slots[e->v.index];
		default:
			return 0;			/* ref.null */
	}
}

/*
** Code compiled for guard pages relies on the 8 GiB reservation.  Where a
** memory lacks it (the address space is short: a low ulimit -v, or tens
** of thousands of memories), the instance runs the module compiled again
** with explicit bounds checks, once per module.
*/
static bool
runs_checked(const sf_instance *inst)
{
	return inst->m->cfg.bounds_checked || inst->jit == inst->m->jit_checked;
}

static sf_status
use_checked(sf_instance *inst, sf_error *err)
{
	sf_status	st = sf_module_compile_checked(inst->m, err);

	inst->jit = inst->m->jit_checked;
	return st;
}

int
sf_instance_bounds_checked(const sf_instance *inst)
{
	return runs_checked(inst);
}

static sf_status
link_imports(sf_instance *inst, const sf_extern *imports, sf_error *err)
{
	const sf_module *m = inst->m;
	sf_vmctx   *vm = inst->vm;
	uint32_t	nf = 0, ng = 0, nt = 0;

	for (uint32_t i = 0; i < m->nimports; i++)
	{
		const sf_extern *ext = &imports[i];
		sf_status	st = check_import(m, i, ext, err);

		if (st != SF_OK)
			return st;
		switch (ext->kind)
		{
			case SF_EXTERN_FUNC:
				vm->slots[nf++] = ext->of.func;
				break;
			case SF_EXTERN_GLOBAL:
				vm->slots[m->nfuncs + ng++] = &ext->of.global->cell;
				break;
			case SF_EXTERN_TABLE:
				vm->slots[m->nfuncs + m->nglobals + nt++] = ext->of.table;
				break;
			case SF_EXTERN_MEMORY:
				inst->mem = ext->of.memory;
				if (inst->mem->reserved < MEM_RESERVE && !runs_checked(inst) &&
					(st = use_checked(inst, err)) != SF_OK)
					return st;
				break;
		}
	}
	return SF_OK;
}

/* The instance's own memory, bounds-checked if 8 GiB cannot be reserved. */
static sf_status
own_memory(sf_instance *inst, sf_error *err)
{
	sf_limits	lim = inst->m->mems[inst->m->nmem_imports];
	bool		unreserved = false;
	sf_status	st;

	inst->mem = memory_new(inst->store, lim, !runs_checked(inst), &unreserved, err);
	if (inst->mem == NULL && unreserved)
	{
		if ((st = use_checked(inst, err)) != SF_OK)
			return st;
		inst->mem = memory_new(inst->store, lim, false, NULL, err);
	}
	return inst->mem != NULL ? SF_OK : err ? err->status : SF_NOMEM;
}

static sf_status
create_defined(sf_instance *inst, sf_error *err)
{
	sf_module  *m = inst->m;
	sf_vmctx   *vm = inst->vm;
	sf_store   *s = inst->store;
	uint32_t	ndef = m->nfuncs - m->nfunc_imports;
	sf_status	st;
	const sf_stubs *stubs = sf_stubs_get(err);

	if (stubs == NULL)
		return err ? err->status : SF_NOMEM;
	if (m->nmems > m->nmem_imports && (st = own_memory(inst, err)) != SF_OK)
		return st;
	for (uint32_t j = 0; j < ndef; j++)
	{
		sf_func    *f = &inst->funcs[j];
		uint32_t	fi = m->nfunc_imports + j;
		uint32_t	nslots;

		f->code = inst->jit->code + inst->jit->func_off[j];
		f->ctx = vm;
		f->type_id = inst->jit->type_ids[m->func_types[fi]];
		f->func_index = fi;
		f->store = s;
		f->inst = inst;
		f->type = m->types[m->func_types[fi]];
		f->counting = m->cfg.fuel_mode != SF_FUEL_OFF;
		for (uint32_t i = 0; i < f->type.nparams && i < 64; i++)
			if (f->type.params[i] == SF_I32 || f->type.params[i] == SF_F32)
				f->narrow |= (uint64_t) 1 << i;
		nslots = f->type.nparams > f->type.nresults ? f->type.nparams : f->type.nresults;
		f->nslots = nslots;
		f->entry_stub = (void *) (nslots < SF_ENTRY_SMALL ? stubs->entry_n[nslots] : stubs->entry);
		f->trap_stub = (uintptr_t) stubs->trap_common;
		vm->slots[fi] = f;
	}
	vm->mem = inst->mem;
	vm->mem_base = inst->mem ? inst->mem->base : NULL;
	for (uint32_t t = m->ntable_imports; t < m->ntables; t++)
	{
		sf_table   *tab = sf_table_new(s, m->tables[t].elem, m->tables[t].lim, err);

		if (tab == NULL)
			return err ? err->status : SF_NOMEM;
		vm->slots[m->nfuncs + m->nglobals + t] = tab;
	}
	for (uint32_t g = m->nglobal_imports; g < m->nglobals; g++)
	{
		sf_val		z;
		sf_global  *gl;

		memset(&z, 0, sizeof(z));
		z.type = m->globals[g].type;
		gl = sf_global_new(s, z, m->globals[g].mutable_, err);
		if (gl == NULL)
			return err ? err->status : SF_NOMEM;
		gl->cell = eval_const(inst, &m->global_inits[g - m->nglobal_imports]);
		vm->slots[m->nfuncs + g] = &gl->cell;
	}
	return SF_OK;
}

static sf_status
eval_elems(sf_instance *inst, sf_error *err)
{
	const sf_module *m = inst->m;

	for (uint32_t i = 0; i < m->nelems; i++)
	{
		const sf_elem *e = &m->elems[i];

		inst->elem_refs[i] = calloc(e->count ? e->count : 1, sizeof(void *));
		if (inst->elem_refs[i] == NULL)
			return sf_error_set(err, SF_NOMEM, "out of memory");
		for (uint32_t k = 0; k < e->count; k++)
			inst->elem_refs[i][k] = (void *) (uintptr_t) eval_const(inst, &e->items[k]);
		inst->elem_len[i] = e->mode == SF_SEG_PASSIVE ? e->count : 0;
	}
	return SF_OK;
}

static sf_status
trap_error(sf_error *err, sf_trap_kind k, const char *what, uint32_t seg)
{
	sf_error_set(err, SF_TRAP, "%s (%s segment %u)", sf_trap_message(k), what, seg);
	if (err)
		err->trap = k;
	return SF_TRAP;
}

/* Active segments, in order; a trap keeps the writes made before it. */
static sf_status
init_segments(sf_instance *inst, sf_error *err)
{
	const sf_module *m = inst->m;
	sf_vmctx   *vm = inst->vm;

	for (uint32_t i = 0; i < m->nelems; i++)
	{
		const sf_elem *e = &m->elems[i];
		uint32_t	off, k;

		if (e->mode != SF_SEG_ACTIVE)
			continue;
		off = (uint32_t) eval_const(inst, &e->offset);
		inst->elem_len[i] = e->count;
		k = sf_rt_table_init(vm, e->table, i, off, 0, e->count);
		inst->elem_len[i] = 0;
		if (k)
			return trap_error(err, (sf_trap_kind) k, "element", i);
	}
	for (uint32_t i = 0; i < m->ndatas; i++)
	{
		const sf_data *d = &m->datas[i];
		uint32_t	k;

		if (d->mode != SF_SEG_ACTIVE)
			continue;
		k = sf_rt_memory_init(vm, i, (uint32_t) eval_const(inst, &d->offset), 0, d->len);
		inst->data_dropped[i] = true;
		if (k)
			return trap_error(err, (sf_trap_kind) k, "data", i);
	}
	return SF_OK;
}

/* The export "_initialize" if there is one, checked: [] -> []. */
static sf_status
reactor_init(sf_instance *inst, sf_func **init, sf_error *err)
{
	sf_extern	ex;

	*init = NULL;
	if (sf_instance_export(inst, "_initialize", 11, &ex) != SF_OK)
		return SF_OK;
	if (ex.kind != SF_EXTERN_FUNC || ex.of.func->type.nparams || ex.of.func->type.nresults)
		return sf_error_set(err, SF_INVALID, "export \"_initialize\" must be a function of type [] -> []");
	*init = ex.of.func;
	return SF_OK;
}

/*
** The start function, then a reactor's "_initialize" (WASI: its static
** constructors), each once, as calls: interruptible, and metered by one
** limit for both.  sf_last_fuel_consumed says what both consumed.
*/
static sf_status
run_initializers(sf_instance *inst, sf_error *err)
{
	sf_store   *s = inst->store;
	const sf_module *m = inst->m;
	sf_call_opts so = {.fuel_limit = s->cfg.meter_start ? s->cfg.start_fuel_limit : UINT64_MAX};
	uint64_t	used = 0;
	sf_func    *init;
	sf_status	st = reactor_init(inst, &init, err);

	if (st == SF_OK && m->has_start)
	{
		st = sf_call((sf_func *) inst->vm->slots[m->start], NULL, 0, NULL, 0, &so, err);
		used = so.fuel_consumed;
		so.fuel_limit = used < so.fuel_limit ? so.fuel_limit - used : 0;
	}
	if (st == SF_OK && init != NULL)
	{
		st = sf_call(init, NULL, 0, NULL, 0, &so, err);
		sf_call_set_last_fuel(used + so.fuel_consumed);
	}
	return st;
}

/*
** What an instance's own structures take, besides its memory and tables:
** the context's slots, the functions, globals, evaluated element segments,
** and the store's record of each object.  They count against a shared
** budget (not against max_store_bytes, which is about memories and tables).
*/
static uint64_t
instance_bytes(const sf_module *m)
{
	uint64_t	nobj = 1 + (uint64_t) m->nmems + m->ntables + m->nglobals;
	uint64_t	n = sizeof(sf_instance) + sizeof(sf_vmctx) +
		((uint64_t) m->nfuncs + m->nglobals + m->ntables) * sizeof(void *) +
		(uint64_t) (m->nfuncs - m->nfunc_imports) * sizeof(sf_func) +
		(uint64_t) m->nglobals * sizeof(sf_global) + nobj * sizeof(sf_objnode) +
		(uint64_t) m->nelems * (sizeof(uint32_t) + sizeof(void **)) + m->ndatas;

	for (uint32_t i = 0; i < m->nelems; i++)
		n += (uint64_t) m->elems[i].count * sizeof(void *);
	return n;
}

static sf_instance *
alloc_instance(sf_store *s, sf_module *m, sf_error *err)
{
	sf_instance *inst;
	size_t		nslots = (size_t) m->nfuncs + m->nglobals + m->ntables;
	uint32_t	ndef = m->nfuncs - m->nfunc_imports;
	uint64_t	bytes = instance_bytes(m);

	if (check_room(s, "an instance", 0, 0, bytes, err) != SF_OK)
		return NULL;
	inst = calloc(1, sizeof(*inst));
	if (inst == NULL)
		goto nomem;
	inst->store = s;
	inst->m = m;
	inst->jit = m->jit;
	inst->nelems = m->nelems;
	inst->vm = calloc(1, sizeof(sf_vmctx) + nslots * sizeof(void *));
	inst->funcs = calloc(ndef ? ndef : 1, sizeof(sf_func));
	inst->elem_len = calloc(m->nelems ? m->nelems : 1, sizeof(uint32_t));
	inst->elem_refs = calloc(m->nelems ? m->nelems : 1, sizeof(void **));
	inst->data_dropped = calloc(m->ndatas ? m->ndatas : 1, sizeof(bool));
	if (!inst->vm || !inst->funcs || !inst->elem_len || !inst->elem_refs || !inst->data_dropped)
		goto nomem;
	inst->vm->store = s;
	inst->vm->inst = inst;
	if (!own_obj(s, OBJ_INSTANCE, inst))
		goto nomem;
	store_take(s, 0, 0, bytes);
	return inst;

nomem:
	if (inst)
		free_instance(inst);
	sf_error_set(err, SF_NOMEM, "out of memory");
	return NULL;
}

sf_instance *
sf_instance_new(sf_store *s, sf_module *m, const sf_extern *imports,
				uint32_t nimports, sf_error *err)
{
	sf_instance *inst;
	sf_status	st;

	sf_error_clear(err);
	if (nimports != m->nimports)
	{
		sf_error_set(err, SF_UNLINKABLE, "module needs %u imports, %u given",
					 m->nimports, nimports);
		return NULL;
	}
	if (sf_module_compile(m, err) != SF_OK)
		return NULL;
	inst = alloc_instance(s, m, err);
	if (inst == NULL)
		return NULL;
	st = link_imports(inst, imports, err);
	if (st == SF_OK)
		st = create_defined(inst, err);
	if (st == SF_OK)
		st = eval_elems(inst, err);
	if (st == SF_OK)
		st = init_segments(inst, err);
	if (st == SF_OK)
		st = run_initializers(inst, err);
	return st == SF_OK ? inst : NULL;
}

sf_status
sf_instance_export(sf_instance *inst, const char *name, size_t name_len, sf_extern *out)
{
	const sf_module *m = inst->m;

	for (uint32_t i = 0; i < m->nexports; i++)
	{
		const sf_export *e = &m->exports[i];

		if (e->name.len != name_len || memcmp(e->name.ptr, name, name_len) != 0)
			continue;
		out->kind = e->kind;
		switch (e->kind)
		{
			case SF_EXTERN_FUNC:
				out->of.func = inst->vm->slots[e->index];
				break;
			case SF_EXTERN_GLOBAL:
				/* the cell is the first member of its sf_global */
				out->of.global = (sf_global *) inst->vm->slots[m->nfuncs + e->index];
				break;
			case SF_EXTERN_TABLE:
				out->of.table = inst->vm->slots[m->nfuncs + m->nglobals + e->index];
				break;
			case SF_EXTERN_MEMORY:
				out->of.memory = inst->mem;
				break;
		}
		return SF_OK;
	}
	return SF_NOTFOUND;
}

sf_memory *
sf_instance_memory(sf_instance *inst)
{
	return inst->mem;
}
