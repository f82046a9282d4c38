/*
** runtime_ops.c -- helpers called from JIT code for the operators that
** are not worth inlining: memory.grow and the bulk memory and table
** operators.  Each checks its bounds completely before writing anything,
** as the spec requires, and returns 0 or an sf_trap_kind (the grows:
** their result or SF_RT_TRAP).
**
** Bulk work is paid for and interruptible.  Once the bounds hold, an
** operator charges the running call for all the bytes it will touch
** (sf_fuel_for_bytes; the JIT spilled the counter to the activation), so
** a call that cannot afford an operator stops before it, in precise and
** slacked mode alike: the counter at the operator is the same in both.
** Then it works in chunks, and before each chunk honours an interrupt
** request: the asynchronous check redirects only JIT code, and a loop of
** large copies spends nearly all its time here.  A trap part way leaves
** the work done so far, like any trap (the host discards the instance).
*/
#include <string.h>

#include "runtime.h"
#include "signals.h"

/*
** Work between two interrupt checks: a microsecond of copying, or the
** first touches of 4 fresh 4 KiB pages written and as many read: 0.09 ms
** of CPU (median; 0.35 at the 99th percentile) on the reference machine,
** where a fault costs 12-15 us.  Copies and fills of 64 MiB and more run
** as fast in these chunks as in 64 KiB ones.
*/
#define CHUNK_BYTES ((uint64_t) 16 << 10)
#define CHUNK_ELEMS (CHUNK_BYTES / sizeof(void *))

/* Is [off, off+n) inside a region of 'size' units? (64-bit: no overflow) */
static bool
in_bounds(uint64_t off, uint64_t n, uint64_t size)
{
	return off + n <= size;
}

/* Charge the running call for touching 'bytes': 0 or the trap. */
static uint32_t
charge(sf_vmctx *vm, uint64_t bytes)
{
	return sf_call_charge(vm->store->act, sf_fuel_for_bytes(bytes)) ? SF_TRAP_OUT_OF_FUEL : 0;
}

static uint64_t
chunk(uint64_t done, uint64_t n, uint64_t size)
{
	return n - done < size ? n - done : size;
}

/*
** memmove in chunks, from the end when the destination overlaps the source
** from above, so that no chunk overwrites what a later one reads.
*/
static uint32_t
move_chunked(uint8_t *dst, const uint8_t *src, uint64_t n, uint64_t step)
{
	uintptr_t	d = (uintptr_t) dst,
				s = (uintptr_t) src;
	bool		down = d > s && d < s + n;

	for (uint64_t done = 0; done < n;)
	{
		uint64_t	len = chunk(done, n, step);
		uint64_t	at = down ? n - done - len : done;

		if (sf_signals_interrupt_pending())
			return SF_TRAP_INTERRUPTED;
		memmove(dst + at, src + at, len);
		done += len;
	}
	return 0;
}

/*
** Growing touches no page (the pages become accessible in one mprotect);
** the charge is for the zero-filling the system does when each is first
** touched, and only a grow that can succeed pays it.
*/
uint64_t
sf_rt_memory_grow(sf_vmctx *vm, uint32_t delta)
{
	if (delta == 0)
		return (uint32_t) (vm->mem->size >> 16);
	if (!sf_memory_may_grow(vm->mem, delta))
		return (uint32_t) -1;
	if (sf_call_charge(vm->store->act, (uint64_t) delta * SF_FUEL_PER_PAGE))
		return SF_RT_TRAP(SF_TRAP_OUT_OF_FUEL);
	return (uint32_t) sf_memory_commit(vm->mem, delta);
}

uint32_t
sf_rt_memory_fill(sf_vmctx *vm, uint32_t d, uint32_t val, uint32_t n)
{
	uint32_t	k;

	if (!in_bounds(d, n, vm->mem->size))
		return SF_TRAP_MEMORY_OOB;
	if ((k = charge(vm, 2 * (uint64_t) n)) != 0)
		return k;
	for (uint64_t done = 0; done < n;)
	{
		uint64_t	len = chunk(done, n, CHUNK_BYTES);

		if (sf_signals_interrupt_pending())
			return SF_TRAP_INTERRUPTED;
		memset(vm->mem->base + d + done, (int) (val & 0xFF), len);
		done += len;
	}
	return 0;
}

uint32_t
sf_rt_memory_copy(sf_vmctx *vm, uint32_t d, uint32_t s, uint32_t n)
{
	uint64_t	size = vm->mem->size;
	uint32_t	k;

	if (!in_bounds(d, n, size) || !in_bounds(s, n, size))
		return SF_TRAP_MEMORY_OOB;
	if ((k = charge(vm, 2 * (uint64_t) n)) != 0)
		return k;
	return move_chunked(vm->mem->base + d, vm->mem->base + s, n, CHUNK_BYTES);
}

uint32_t
sf_rt_memory_init(sf_vmctx *vm, uint32_t seg, uint32_t d, uint32_t s, uint32_t n)
{
	sf_instance *inst = vm->inst;
	const sf_data *data = &inst->m->datas[seg];
	uint64_t	len = inst->data_dropped[seg] ? 0 : data->len;
	uint32_t	k;

	if (!in_bounds(s, n, len) || vm->mem == NULL || !in_bounds(d, n, vm->mem->size))
		return SF_TRAP_MEMORY_OOB;
	if ((k = charge(vm, 2 * (uint64_t) n)) != 0)
		return k;
	return move_chunked(vm->mem->base + d, inst->m->bytes + data->data_off + s, n, CHUNK_BYTES);
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

/*
** 'n' copies of 'val' from 'e': a few stores, then memcpy of what is
** already written, doubling (a loop of single stores ran at about half
** the speed of memset).
*/
static void
set_ptrs(void **e, void *val, uint64_t n)
{
	uint64_t	done = n < 8 ? n : 8;

	for (uint64_t k = 0; k < done; k++)
		e[k] = val;
	while (done < n)
	{
		uint64_t	len = done < n - done ? done : n - done;

		memcpy(e + done, e, len * sizeof(void *));
		done += len;
	}
}

/*
** Elements [i, i+n) of 't' set to 'val', in chunks: the first written by
** set_ptrs, each later one copied from the first (no longer than it).
*/
static uint32_t
fill_elems(sf_table *t, uint64_t i, void *val, uint64_t n)
{
	void	  **e = t->elems + i;

	for (uint64_t done = 0; done < n;)
	{
		uint64_t	len = chunk(done, n, CHUNK_ELEMS);

		if (sf_signals_interrupt_pending())
			return SF_TRAP_INTERRUPTED;
		if (done == 0)
			set_ptrs(e, val, len);
		else
			memcpy(e + done, e, len * sizeof(void *));
		done += len;
	}
	return 0;
}

uint32_t
sf_rt_table_init(sf_vmctx *vm, uint32_t tab, uint32_t seg, uint32_t d, uint32_t s, uint32_t n)
{
	sf_instance *inst = vm->inst;
	sf_table   *t = table_of(vm, tab);
	uint32_t	k;

	if (!in_bounds(s, n, inst->elem_len[seg]) || !in_bounds(d, n, t->size))
		return SF_TRAP_TABLE_OOB;
	if ((k = charge(vm, 2 * (uint64_t) n * SF_FUEL_ELEM_BYTES)) != 0)
		return k;
	return move_chunked((uint8_t *) (t->elems + d), (const uint8_t *) (inst->elem_refs[seg] + s),
						(uint64_t) n * sizeof(void *), CHUNK_BYTES);
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
	uint32_t	k;

	if (!in_bounds(d, n, td->size) || !in_bounds(s, n, ts->size))
		return SF_TRAP_TABLE_OOB;
	if ((k = charge(vm, 2 * (uint64_t) n * SF_FUEL_ELEM_BYTES)) != 0)
		return k;
	return move_chunked((uint8_t *) (td->elems + d), (const uint8_t *) (ts->elems + s),
						(uint64_t) n * sizeof(void *), CHUNK_BYTES);
}

/*
** The new elements are filled before the size grows: an interrupt part
** way leaves the table as it was, with room to spare.
*/
uint64_t
sf_rt_table_grow(sf_vmctx *vm, uint32_t tab, void *init, uint32_t delta)
{
	sf_table   *t = table_of(vm, tab);
	uint64_t	old = t->size;
	uint32_t	k;

	if (delta == 0)
		return (uint32_t) old;
	if (!sf_table_may_grow(t, delta))
		return (uint32_t) -1;
	if ((k = charge(vm, (uint64_t) delta * SF_FUEL_ELEM_BYTES)) != 0)
		return SF_RT_TRAP(k);
	if (!sf_table_reserve(t, delta))
		return (uint32_t) -1;
	if ((k = fill_elems(t, old, init, delta)) != 0)
		return SF_RT_TRAP(k);
	t->size = (uint32_t) (old + delta);
	t->lim.min = old + delta;
	return (uint32_t) old;
}

uint32_t
sf_rt_table_fill(sf_vmctx *vm, uint32_t tab, uint32_t i, void *val, uint32_t n)
{
	sf_table   *t = table_of(vm, tab);
	uint32_t	k;

	if (!in_bounds(i, n, t->size))
		return SF_TRAP_TABLE_OOB;
	if ((k = charge(vm, (uint64_t) n * SF_FUEL_ELEM_BYTES)) != 0)
		return k;
	return fill_elems(t, i, val, n);
}
