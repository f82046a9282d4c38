/*
** runtime_ops.c -- helpers called from JIT code for the operators that
** are not worth inlining: memory.grow and the bulk memory and table
** operators.  Each checks its bounds completely before writing anything,
** as the spec requires, and returns 0 or an sf_trap_kind.
*/
#include <string.h>

#include "runtime.h"

/* Is [off, off+n) inside a region of 'size' units? (64-bit: no overflow) */
static bool
in_bounds(uint64_t off, uint64_t n, uint64_t size)
{
	return off + n <= size;
}

uint32_t
sf_rt_memory_grow(sf_vmctx *vm, uint32_t delta)
{
	return (uint32_t) sf_memory_grow(vm->mem, delta);
}

uint32_t
sf_rt_memory_fill(sf_vmctx *vm, uint32_t d, uint32_t val, uint32_t n)
{
	if (!in_bounds(d, n, vm->mem->size))
		return SF_TRAP_MEMORY_OOB;
	memset(vm->mem->base + d, (int) (val & 0xFF), n);
	return 0;
}

uint32_t
sf_rt_memory_copy(sf_vmctx *vm, uint32_t d, uint32_t s, uint32_t n)
{
	uint64_t	size = vm->mem->size;

	if (!in_bounds(d, n, size) || !in_bounds(s, n, size))
		return SF_TRAP_MEMORY_OOB;
	memmove(vm->mem->base + d, vm->mem->base + s, n);
	return 0;
}

uint32_t
sf_rt_memory_init(sf_vmctx *vm, uint32_t seg, uint32_t d, uint32_t s, uint32_t n)
{
	sf_instance *inst = vm->inst;
	const sf_data *data = &inst->m->datas[seg];
	uint64_t	len = inst->data_dropped[seg] ? 0 : data->len;

	if (!in_bounds(s, n, len) || vm->mem == NULL || !in_bounds(d, n, vm->mem->size))
		return SF_TRAP_MEMORY_OOB;
	if (n)
		memcpy(vm->mem->base + d, inst->m->bytes + data->data_off + s, n);
	return 0;
}

void
sf_rt_data_drop(sf_vmctx *vm, uint32_t seg)
{
	vm->inst->data_dropped[seg] = true;
}

static sf_table *
table_of(sf_vmctx *vm, uint32_t t)
{
	const sf_module *m = vm->inst->m;

	return vm->slots[m->nfuncs + m->nglobals + t];
}

uint32_t
sf_rt_table_init(sf_vmctx *vm, uint32_t tab, uint32_t seg, uint32_t d, uint32_t s, uint32_t n)
{
	sf_instance *inst = vm->inst;
	sf_table   *t = table_of(vm, tab);

	if (!in_bounds(s, n, inst->elem_len[seg]) || !in_bounds(d, n, t->size))
		return SF_TRAP_TABLE_OOB;
	if (n)
		memcpy(t->elems + d, inst->elem_refs[seg] + s, (size_t) n * sizeof(void *));
	return 0;
}

void
sf_rt_elem_drop(sf_vmctx *vm, uint32_t seg)
{
	vm->inst->elem_len[seg] = 0;
}

uint32_t
sf_rt_table_copy(sf_vmctx *vm, uint32_t dt, uint32_t st, uint32_t d, uint32_t s, uint32_t n)
{
	sf_table   *td = table_of(vm, dt), *ts = table_of(vm, st);

	if (!in_bounds(d, n, td->size) || !in_bounds(s, n, ts->size))
		return SF_TRAP_TABLE_OOB;
	if (n)
		memmove(td->elems + d, ts->elems + s, (size_t) n * sizeof(void *));
	return 0;
}

uint32_t
sf_rt_table_grow(sf_vmctx *vm, uint32_t tab, void *init, uint32_t delta)
{
	return (uint32_t) sf_table_grow(table_of(vm, tab), delta, init);
}

uint32_t
sf_rt_table_fill(sf_vmctx *vm, uint32_t tab, uint32_t i, void *val, uint32_t n)
{
	sf_table   *t = table_of(vm, tab);

	if (!in_bounds(i, n, t->size))
		return SF_TRAP_TABLE_OOB;
	for (uint32_t k = 0; k < n; k++)
		t->elems[i + k] = val;
	return 0;
}
