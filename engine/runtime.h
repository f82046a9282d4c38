/*
** runtime.h -- runtime objects shared by the compiler and the runtime.
**
** The JIT reads some of these structures directly, so their first fields
** have fixed offsets (the SF_OFF_* constants below, checked by
** static asserts in runtime.c).  Everything after those fields is free.
** The registers and frames of JIT code are the target's (x64/abi.h).
*/
#ifndef SF_RUNTIME_H
#define SF_RUNTIME_H

#include <stdbool.h>
#include <stdint.h>

#include "jit.h"
#include "module.h"
#include "util.h"

/*
** One call from the host into wasm.  Activations nest when a host function
** calls back into wasm; the innermost one is the thread's current one.
*/
typedef struct sf_activation
{
	struct sf_activation *prev;	/* 0 */
	uintptr_t	saved_rsp;		/* 8: entry stub's stack pointer */
	int64_t		trap;			/* 16: sf_trap_kind after a trap */
	uintptr_t	trap_pc;		/* 24 */
	int64_t		fuel;			/* 32: r15 spilled at host boundaries */
	/* for sf_async_check: where to send JIT code, whether fuel counts */
	uintptr_t	trap_stub;		/* 40 */
	struct sf_store *store;		/* 48 */
	int			counting;		/* the entry module's fuel mode is not off */
	int32_t		exit_code;		/* of an SF_TRAP_EXIT */
	char		host_msg[SF_ERROR_MSG_LEN];
	/*
	** Written only by the trap stub (x64/frames.c), read after a trap: the
	** two words at the stack pointer of the trap and the return addresses
	** of the frames above it, innermost first ('nret' kept, 'depth' found).
	*/
	uint32_t	nret;
	uint32_t	depth;
	uintptr_t	sp_words[2];
	uintptr_t	ret[SF_BACKTRACE_MAX];
} sf_activation;

#define SF_OFF_ACT_SAVED_RSP 8
#define SF_OFF_ACT_TRAP 16
#define SF_OFF_ACT_TRAP_PC 24
#define SF_OFF_ACT_FUEL 32
#define SF_OFF_ACT_STORE 48

typedef struct sf_objnode sf_objnode;

struct sf_store
{
	uintptr_t	stack_limit;	/* 0: prologues compare rsp against it */
	sf_activation *act;			/* 8: innermost running activation */
	sf_store_config cfg;
	sf_objnode *objs;			/* everything to free with the store */
	uint64_t	mem_bytes;		/* memories' sizes */
	uint64_t	table_bytes;	/* tables' room, SF_FUEL_ELEM_BYTES an element */
	uint64_t	own_bytes;		/* instances' own structures */
};

struct sf_budget
{
	uint64_t	limit;
	uint64_t	used;
	uint64_t	refused;		/* takes refused, reclaim notwithstanding */
	sf_reclaim_fn reclaim;
	void	   *reclaim_env;
	bool		reclaiming;
};

#define SF_OFF_STORE_STACK_LIMIT 0
#define SF_OFF_STORE_ACT 8

/* The context of a host function (what r13 holds while its stub runs). */
typedef struct sf_hostctx
{
	struct sf_store *store;		/* 0 */
	uint8_t    *mem_base;		/* 8: unused, keeps the layout of sf_vmctx */
	struct sf_func *func;
} sf_hostctx;

struct sf_func
{
	void	   *code;			/* 0: entry, wasm calling convention */
	void	   *ctx;			/* 8: sf_vmctx or sf_hostctx */
	uint32_t	type_id;		/* 16: canonical function type */
	uint32_t	func_index;
	struct sf_store *store;
	struct sf_instance *inst;	/* NULL for host functions */
	sf_functype type;
	sf_host_fn	host;
	void	   *env;
	sf_hostctx	hostctx;
	/* JIT functions: what sf_call_slots would otherwise look up per call */
	uint64_t	narrow;			/* bit i: param i (i < 64) is i32 or f32 */
	bool		counting;		/* the module's fuel mode is not off */
	uint32_t	nslots;			/* max(type.nparams, type.nresults) */
	void	   *entry_stub;		/* sf_entry_fn for nslots (target.h) */
	uintptr_t	trap_stub;		/* the stubs' trap_common */
};

#define SF_OFF_FUNC_CODE 0
#define SF_OFF_FUNC_CTX 8
#define SF_OFF_FUNC_TYPE_ID 16

struct sf_memory
{
	uint8_t    *base;			/* 0 */
	uint64_t	size;			/* 8: bytes */
	uint64_t	max_pages;		/* what memory.grow may reach */
	uint64_t	reserved;		/* bytes of address space */
	sf_limits	lim;			/* declared type (min grows with the memory) */
	struct sf_store *store;
};

#define SF_OFF_MEM_BASE 0
#define SF_OFF_MEM_SIZE 8

struct sf_table
{
	void	  **elems;			/* 0: sf_func* or externref values */
	uint32_t	size;			/* 8 */
	uint32_t	room;			/* elements allocated (and counted) */
	uint32_t	max;			/* growth cap */
	sf_valtype	elem;
	sf_limits	lim;
	struct sf_store *store;
};

#define SF_OFF_TABLE_ELEMS 0
#define SF_OFF_TABLE_SIZE 8

struct sf_global
{
	uint64_t	cell;			/* 0: the value, raw bits or pointer */
	sf_valtype	type;
	bool		mutable_;
	struct sf_store *store;
};

/*
** The context of an instance.  After the header come pointer arrays whose
** offsets the compiler computes from the module: funcs (sf_func *), then
** globals (uint64_t * cells), then tables (sf_table *).
*/
typedef struct sf_vmctx
{
	struct sf_store *store;		/* 0 */
	uint8_t    *mem_base;		/* 8 */
	struct sf_memory *mem;		/* 16 */
	struct sf_instance *inst;	/* 24 */
	void	   *slots[];		/* 32 */
} sf_vmctx;

#define SF_OFF_VM_STORE 0
#define SF_OFF_VM_MEM_BASE 8
#define SF_OFF_VM_MEM 16
#define SF_OFF_VM_SLOTS 32

static inline int32_t
sf_vm_func_off(const sf_module *m, uint32_t i)
{
	return SF_OFF_VM_SLOTS + 8 * (int32_t) i;
}

static inline int32_t
sf_vm_global_off(const sf_module *m, uint32_t i)
{
	return SF_OFF_VM_SLOTS + 8 * (int32_t) (m->nfuncs + i);
}

static inline int32_t
sf_vm_table_off(const sf_module *m, uint32_t i)
{
	return SF_OFF_VM_SLOTS + 8 * (int32_t) (m->nfuncs + m->nglobals + i);
}

struct sf_instance
{
	struct sf_store *store;
	sf_module  *m;
	struct sf_jit *jit;			/* the code it runs: m->jit or m->jit_checked */
	sf_vmctx   *vm;
	struct sf_func *funcs;		/* defined functions */
	sf_memory  *mem;
	/* evaluated element segments (NULL/0 once dropped) */
	uint32_t	nelems;			/* copy of m->nelems: freeing never reads m */
	uint32_t   *elem_len;
	void	 ***elem_refs;
	bool	   *data_dropped;
};

/* Canonical id of a function type (typeid.c): equal structure, equal id. */
uint32_t	sf_typeid_get(const sf_functype *t, sf_error *err);

/* The thread's running activation (call.c; read by signal handlers). */
sf_activation *sf_call_current(void);
/* Where the calling thread keeps it (the prepared-call stubs write it). */
sf_activation **sf_call_current_addr(void);

/*
** A prepared call: the activation of the calls of one JIT function from
** one caller, filled once (sf_prepare), so that a call (sf_prepared_call)
** writes only the fuel counter and links it in.  Its fields that a trap
** writes are set back to zero after the trap is described, as a fresh
** activation has them.  The prepared-call stub (target.h) reads and
** writes it at the offsets of this layout.
*/
struct sf_prepared
{
	uint64_t	slots[SF_PREPARED_MAX_SLOTS];
	void	   *ctx;
	void	   *code;
	void	   *entry;			/* the entry stub (sf_entry_fn) */
	void	   *stub;			/* the prepared-call stub, or NULL */
	sf_store   *store;
	uint64_t	mask0;			/* slot 0 is and-ed with it */
	uint64_t	narrow_rest;	/* narrow but the first slot */
	uint32_t	nslots;
	bool		counting;
	/*
	** The fuel limit last asked for, the limit it was capped to, the
	** counter a call starts at (sf_prepare's zeroes are those of 0), and
	** what the counter plus the limit is and-ed with to give the fuel
	** consumed (0 when fuel does not count).
	*/
	uint64_t	limit_asked;
	uint64_t	limit;
	int64_t		fuel_start;
	uint64_t	consumed_mask;
	/* of the call running: kept here, not in registers across it */
	uint64_t   *consumed;
	sf_activation *prev_cur;
	/*
	** The stack limit of an outermost call from the frame 'frame'.  A
	** prepared call sets the store's only when it is outermost, and leaves
	** it: no wasm of the store runs until the next outermost call sets it
	** again, and a nested call leaves it alone.
	*/
	uintptr_t	frame;
	uintptr_t	floor;
	sf_activation act;
	sf_activation trapped;		/* the activation of the last trap */
};

/*
** The prepared-call stub's way back into C for another fuel limit than
** the last, or an outermost call from another frame (call.c).
*/
void		sf_prepared_stub_retry(struct sf_prepared *p, uint64_t fuel_limit,
								   uintptr_t frame);

/*
** Helpers called from JIT code (System V ABI), with the fuel counter
** spilled to the activation around the call (they charge bulk work to
** it).  Those that can trap return 0 or an sf_trap_kind; the two grows
** return their result, or SF_RT_TRAP(kind).
*/
#define SF_RT_TRAP(kind) (((uint64_t) 1 << 63) | (uint64_t) (kind))

uint64_t	sf_rt_memory_grow(sf_vmctx *vm, uint32_t delta);
uint32_t	sf_rt_memory_fill(sf_vmctx *vm, uint32_t d, uint32_t val, uint32_t n);
uint32_t	sf_rt_memory_copy(sf_vmctx *vm, uint32_t d, uint32_t s, uint32_t n);
uint32_t	sf_rt_memory_init(sf_vmctx *vm, uint32_t seg, uint32_t d, uint32_t s, uint32_t n);
void		sf_rt_data_drop(sf_vmctx *vm, uint32_t seg);
uint32_t	sf_rt_table_init(sf_vmctx *vm, uint32_t tab, uint32_t seg, uint32_t d, uint32_t s, uint32_t n);
void		sf_rt_elem_drop(sf_vmctx *vm, uint32_t seg);
uint32_t	sf_rt_table_copy(sf_vmctx *vm, uint32_t dt, uint32_t st, uint32_t d, uint32_t s, uint32_t n);
uint64_t	sf_rt_table_grow(sf_vmctx *vm, uint32_t tab, void *init, uint32_t delta);
uint32_t	sf_rt_table_fill(sf_vmctx *vm, uint32_t tab, uint32_t i, void *val, uint32_t n);

/* table.grow: old size or -1. */
int64_t		sf_table_grow(sf_table *t, uint64_t delta, void *init);
/* Whether the store's caps leave room for 'mem' and 'table' more bytes. */
bool		sf_store_has_room(sf_store *s, uint64_t mem, uint64_t table);
bool		sf_table_may_grow(const sf_table *t, uint64_t delta);
bool		sf_table_reserve(sf_table *t, uint64_t delta);
bool		sf_memory_may_grow(const sf_memory *mem, uint64_t delta);
int64_t		sf_memory_commit(sf_memory *mem, uint64_t delta);

/*
** Charge 'units' of fuel to 'act' (none when it is NULL or does not
** count), saturating; whether the fuel is now exhausted.
*/
bool		sf_call_charge(sf_activation *act, uint64_t units);

/*
** The host-function boundary (call.c), called by the host-call stub with
** the wasm caller's fuel counter and context: runs the host function and
** returns the counter and 0 or the trap kind (in rax and rdx).
*/
typedef struct sf_hostret
{
	int64_t		fuel;
	uint64_t	trap;
} sf_hostret;

sf_hostret	sf_call_host_boundary(sf_hostctx *hc, uint64_t *slots, int64_t fuel,
								  sf_vmctx *caller);

/* What sf_last_fuel_consumed reports (instantiation: start and init together). */
void		sf_call_set_last_fuel(uint64_t fuel);

#endif							/* SF_RUNTIME_H */
