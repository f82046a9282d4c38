/*
** compile.c -- single-pass compiler: value stack, registers, control flow,
** calls, one function from start to end (cg_compile_function), and the
** target side of fuel planning (charges, plain spans).  The per-module
** driver is compile_module.c; compile.h has the merge convention,
** x64/abi.h the frame layout.
*/
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile_inline.h"
#include "read.h"

/*
** The first failure is kept.  It stops the dispatch before the next
** operator ('failed', which the dispatch tests with the other rare cases:
** no test of the status per operator) and cuts the body short (end = pc)
** for the slow paths of decoding.
*/
sf_status
cg_fail(cstate *c, sf_status st, const char *fmt, ...)
{
	va_list		ap;
	char		msg[SF_ERROR_MSG_LEN];

	if (c->status != SF_OK)
		return c->status;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->status = st;
	c->failed = true;
	c->end = c->pc;
	sf_error_set(c->ms->err, st, "function %u at byte %ld: %s", c->func_index,
				 (long) (c->op_start - c->m->bytes), msg);
	return st;
}

/* ---- registers ---------------------------------------------------------- */

/*
** Free a register of class 'xmm' by spilling the deepest stack entry that
** holds one: deep values are the ones used last.
*/
static void
spill_one(cstate *c, bool xmm)
{
	for (uint32_t i = c->clean; i < c->sp; i++)
	{
		sval	   *v = &c->vs[i];

		if (owned_reg(v) && is_float(v->type) == xmm)
		{
			if (xmm)
				x64_movs_mr(c->b, v->type == SF_F64, cg_home(c, i), v->reg);
			else
				x64_mov_mr(c->b, is_wide(v->type), cg_home(c, i), v->reg);
			cg_release(c, v);
			v->kind = VK_MEM;
			return;
		}
	}
}

/* cg_alloc_gpr's slow path: every pooled register is taken. */
int
cg_alloc_gpr_slow(cstate *c)
{
	x64_regset	freeset;

	spill_one(c, false);
	freeset = X64_VALUE_GPRS & ~c->gused;
	if (freeset == 0)
	{
		/* every pooled register is held by popped operands: can't happen */
		cg_fail(c, SF_LIMIT, "out of registers");
		return X64_RBX;
	}
	int			r = __builtin_ctz(freeset);

	c->gused |= X64_SET(r);
	return r;
}

int
cg_alloc_xmm_slow(cstate *c)
{
	x64_regset	freeset;

	spill_one(c, true);
	freeset = X64_VALUE_XMMS & ~c->xused;
	if (freeset == 0)
	{
		cg_fail(c, SF_LIMIT, "out of xmm registers");
		return 2;
	}
	int			r = __builtin_ctz(freeset);

	c->xused |= X64_SET(r);
	return r;
}

/* ---- the thread's arrays ------------------------------------------------ */

/* p lies in the thread's scratch block (modstate.scratch). */
static inline bool
in_scratch(const modstate *ms, const void *p)
{
	return p != NULL && (uintptr_t) p - (uintptr_t) ms->scratch < ms->scratch_len;
}

/*
** realloc for the thread's arrays: one in the scratch block moves to a
** malloc of its own, with its first 'old' bytes.
*/
void *
cg_realloc(const modstate *ms, void *p, size_t old, size_t size)
{
	void	   *n;

	if (!in_scratch(ms, p))
		return realloc(p, size);
	n = malloc(size);
	if (n != NULL)
		memcpy(n, p, old < size ? old : size);
	return n;
}

/* free for the thread's arrays: the scratch block's parts go with the block. */
void
cg_free(const modstate *ms, void *p)
{
	if (!in_scratch(ms, p))
		free(p);
}

/* ---- the value stack ------------------------------------------------------ */

/*
** Double the array *v of *cap elements of 'size' bytes (to 'first' when
** empty); false, with the compile failed, when out of memory.
*/
static bool
grow_doubling(cstate *c, void **v, uint32_t *cap, size_t size, uint32_t first)
{
	uint32_t	ncap = *cap ? *cap * 2 : first;
	void	   *nv = cg_realloc(c->ms, *v, (size_t) *cap * size, (size_t) ncap * size);

	if (nv == NULL)
	{
		cg_fail(c, SF_NOMEM, "out of memory");
		return false;
	}
	*v = nv;
	*cap = ncap;
	return true;
}

/* cg_push's slow path: false when out of memory. */
bool
cg_grow_stack(cstate *c)
{
	return grow_doubling(c, (void **) &c->vs, &c->vcap, sizeof(sval), 64);
}

/*
** cg_home's slow path: a stack deeper than the validator found (can't
** happen) fails the compile instead of writing past the frame.
*/
void
cg_home_overflow(cstate *c)
{
	cg_fail(c, SF_INVALID, "value stack deeper than validated");
}

/* cg_pop's slow path. */
sval
cg_underflow(cstate *c)
{
	sval		z = {.kind = VK_CONST, .type = SF_I32};

	cg_fail(c, SF_INVALID, "value stack underflow");
	return z;
}

/* cg_pop_ref's: a scratch constant, since the caller may write to it. */
sval *
cg_underflow_ref(cstate *c)
{
	c->underflow = cg_underflow(c);
	return &c->underflow;
}

/* cg_load_scratch's other cases. */
void
cg_load_any(cstate *c, const sval *v, uint32_t depth, int reg)
{
	bool		f = is_float(v->type);
	int			w = is_wide(v->type);

	switch (v->kind)
	{
		case VK_CONST:
			if (f)
				cg_load_fconst(c, w, reg, (uint64_t) v->imm);
			else
				x64_mov_ri(c->b, w, reg, w ? v->imm : (int64_t) (uint32_t) v->imm);
			break;
		case VK_REG:
			if (f)
			{
				if (reg != v->reg)
					x64_movs_rr(c->b, w, reg, v->reg);
			}
			else if (reg != v->reg)
				x64_mov_rr(c->b, w, reg, v->reg);
			break;
		case VK_LOCAL:
		case VK_MEM:
			if (f)
				x64_movs_rm(c->b, w, reg, cg_mem_of(c, v, depth));
			else
				x64_mov_rm(c->b, w, reg, cg_mem_of(c, v, depth));
			break;
		case VK_FLAGS:
			x64_setcc(c->b, (x64_cc) v->cc, reg);
			x64_movzx_rr(c->b, 1, reg, reg);
			break;
	}
}

/*
** Make 'v' (already popped, or a stack entry) live in a register and
** return it.  A value already in a register keeps it.
*/
int
cg_to_reg(cstate *c, sval *v)
{
	int			r;

	if (v->kind == VK_REG)
		return v->reg;
	r = cg_alloc(c, v->type);
	cg_load_scratch(c, v, (uint32_t) (v - c->vs), r);
	c->nflags -= v->kind == VK_FLAGS;
	v->kind = VK_REG;
	v->reg = (uint8_t) r;
	return r;
}


/* cg_store_to's other cases. */
void
cg_store_any(cstate *c, const sval *v, uint32_t depth, x64_mem dst)
{
	bool		f = is_float(v->type);
	int			w = is_wide(v->type);

	switch (v->kind)
	{
		case VK_CONST:
			if (w && (v->imm < INT32_MIN || v->imm > INT32_MAX))
			{
				x64_mov_ri(c->b, 1, X64_RAX, v->imm);
				x64_mov_mr(c->b, 1, dst, X64_RAX);
			}
			else
				x64_mov_mi(c->b, w, dst, (int32_t) v->imm);
			break;
		case VK_REG:
			if (f)
				x64_movs_mr(c->b, w, dst, v->reg);
			else
				x64_mov_mr(c->b, w, dst, v->reg);
			break;
		case VK_LOCAL:
		case VK_MEM:
			/*
			** at the value's width: an 8-byte load of a slot that a 4-byte
			** store just wrote cannot take the value from the store buffer
			** and waits for the store to retire
			*/
			x64_mov_rm(c->b, w, X64_RAX, cg_mem_of(c, v, depth));
			x64_mov_mr(c->b, w, dst, X64_RAX);
			break;
		case VK_FLAGS:
			x64_setcc(c->b, (x64_cc) v->cc, X64_RAX);
			x64_movzx_rr(c->b, 1, X64_RAX, X64_RAX);
			x64_mov_mr(c->b, 0, dst, X64_RAX);
			break;
	}
}

void
cg_materialize_flags_slow(cstate *c)
{
	for (uint32_t i = c->clean; i < c->sp; i++)
		if (c->vs[i].kind == VK_FLAGS)
			cg_to_reg(c, &c->vs[i]);
	c->nflags = 0;
}

/* Put entry 'i' into its home slot (constants stay). */
static void
flush_entry(cstate *c, uint32_t i)
{
	sval	   *v = &c->vs[i];

	if (v->kind == VK_MEM || v->kind == VK_CONST)
		return;
	cg_store_to(c, v, i, cg_home(c, i));
	cg_release(c, v);
	c->nflags -= v->kind == VK_FLAGS;
	v->kind = VK_MEM;
	v->borrowed = 0;
}

/*
** cg_spill_all's slow path.  Entries below 'clean' are known to be in
** their home slots already, which keeps deep stacks from costing O(depth)
** at every block.
*/
void
cg_spill_entries(cstate *c)
{
	for (uint32_t i = c->clean; i < c->sp; i++)
		flush_entry(c, i);
	c->clean = c->sp;
}

/* cg_local_written's slow path: the entries above 'clean' that read it. */
void
cg_local_readers(cstate *c, uint32_t local)
{
	for (uint32_t i = c->clean; i < c->sp; i++)
	{
		sval	   *v = &c->vs[i];

		if (v->kind == VK_LOCAL && v->local == local)
			cg_to_reg(c, v);
		else if (v->kind == VK_REG && v->borrowed && v->local == local)
		{
			int			r = cg_alloc(c, v->type);

			cg_load_scratch(c, v, i, r);
			v->reg = (uint8_t) r;
			v->borrowed = 0;
		}
	}
}

/*
** Registers holding locals are callee-saved between wasm functions: a
** function saves the ones it uses in its prologue ('slots': the save
** area) and restores them on return, so calls cost no spills.  C helpers
** follow the System V ABI, which preserves only some of them
** (X64_SYSV_KEEPS_LOCALS): the others go to the locals' own frame slots
** around a helper call, and those that hold no local of this function
** (its callers') below the stack pointer (move_callers_regs).
*/
static void
move_local_regs(cstate *c, bool save, bool slots)
{
	for (uint32_t i = 0; i < c->nreglocals; i++)
	{
		uint32_t	l = c->reglocals[i];
		int			r = c->lreg[l];
		x64_mem		m = slots ? x64_m(X64_RBP, c->save0 - 8 * (int32_t) i)
			: x64_m(X64_RBP, c->loff[l]);

		if (!slots && !is_float(c->ltype[l]) && (X64_SYSV_KEEPS_LOCALS & X64_SET(r)))
			continue;
		/* the caller-saved ones hold no caller's value (x64/abi.h) */
		if (slots && is_float(c->ltype[l]) && !(X64_FLOAT_LOCAL_SET & X64_SET(r)))
			continue;

		if (is_float(c->ltype[l]))
		{
			if (save)
				x64_movs_mr(c->b, 1, m, r);
			else
				x64_movs_rm(c->b, 1, r, m);
		}
		else if (save)
			x64_mov_mr(c->b, 1, m, r);
		else
			x64_mov_rm(c->b, 1, r, m);
	}
}

/*
** Set ZF to "reg == 0", unless the ALU operation that just produced 'reg'
** already did (nothing emitted since, same width).
*/
void
cg_test_zero(cstate *c, int w, int reg)
{
	if (c->zf_pos == x64_pos(c->b) && c->zf_pos != 0 && c->zf_reg == reg && c->zf_w == w)
		return;
	x64_test_rr(c->b, w, reg, reg);
}

void
cg_save_local_regs(cstate *c)
{
	move_local_regs(c, true, false);
}

void
cg_restore_local_regs(cstate *c)
{
	move_local_regs(c, false, false);
}

/* ---- the constant pool ---------------------------------------------------- */

/* Grow *v (of *cap elements of 'size' bytes) for one more: false when out of memory. */
static bool
grow_one(const modstate *ms, void **v, uint32_t *cap, uint32_t n, size_t size)
{
	uint32_t	ncap;
	void	   *nv;

	if (n < *cap)
		return true;
	ncap = *cap ? *cap * 2 : 16;
	nv = cg_realloc(ms, *v, (size_t) *cap * size, (size_t) ncap * size);
	if (nv == NULL)
		return false;
	*v = nv;
	*cap = ncap;
	return true;
}

void
cg_pool_use(cstate *c, uint64_t bits)
{
	modstate   *ms = c->ms;
	uint32_t	i;

	for (i = 0; i < ms->nkpool && ms->kpool[i] != bits; i++)
		;
	if ((i == ms->nkpool && !grow_one(ms, (void **) &ms->kpool, &ms->capkpool, ms->nkpool, 8)) ||
		!grow_one(ms, (void **) &ms->kfix, &ms->capkfix, ms->nkfix, sizeof(pool_fix)))
	{
		cg_fail(c, SF_NOMEM, "out of memory");
		return;
	}
	if (i == ms->nkpool)
		ms->kpool[ms->nkpool++] = bits;
	ms->kfix[ms->nkfix++] = (pool_fix) {(uint32_t) x64_pos(c->b) - 4, i};
}

/* xmm 'xmm' = the constant 'bits': xorps for +0.0, else a load from the pool. */
void
cg_load_fconst(cstate *c, int dbl, int xmm, uint64_t bits)
{
	if (bits == 0)
	{
		x64_sselogic_rr(c->b, X64_XORP, 0, xmm, xmm);
		return;
	}
	x64_movs_rm(c->b, dbl, xmm, CG_POOL);
	cg_pool_use(c, bits);
}

/*
** The function's code is complete (nothing in it moves any more): its
** pool goes after it, 8-byte aligned in the buffer, and every use is bound
** to its entry.  The function may still move as a whole (its start's skew,
** compile_module.c), which cg_pool_realign makes up for.
*/
static void
emit_pool(cstate *c)
{
	modstate   *ms = c->ms;
	size_t		at;

	if (ms->nkpool > 0)
	{
		while (x64_pos(c->b) & 7)
			x64_byte(c->b, 0xCC);
		at = x64_pos(c->b);
		for (uint32_t i = 0; i < ms->nkpool; i++)
		{
			x64_u32(c->b, (uint32_t) ms->kpool[i]);
			x64_u32(c->b, (uint32_t) (ms->kpool[i] >> 32));
		}
		x64_u32(c->b, 0);
		x64_u32(c->b, 0);
		for (uint32_t i = 0; i < ms->nkfix && !c->b->oom; i++)
			x64_patch32(c->b, ms->kfix[i].at,
						(uint32_t) (at + 8 * ms->kfix[i].idx - (ms->kfix[i].at + 4)));
		ms->pool_at = (uint32_t) at;
	}
	ms->nkpool = 0;
}

/*
** The function that ends the buffer has just moved up by 'shift' bytes:
** its pool, if it has one, moves further up to an 8-byte boundary again
** (nothing but the pool lies past its start), and its uses read it there.
** An entry off 8-byte alignment would cross a cache line one time in
** eight.  Forgets the pool and its uses; returns how far the pool moved.
*/
size_t
cg_pool_realign(modstate *ms, size_t shift)
{
	x64_buf    *b = &ms->buf;
	size_t		d = (8 - (shift & 7)) & 7,
				at = ms->pool_at + shift,
				moved = 0;

	if (ms->pool_at != 0 && d != 0 && !b->oom)
	{
		size_t		len = x64_pos(b) - at;

		x64_reserve(b, d);
		if (!b->oom)
		{
			memmove(b->start + at + d, b->start + at, len);
			memset(b->start + at, 0xCC, d);
			b->p += d;
			for (uint32_t i = 0; i < ms->nkfix; i++)
			{
				size_t		use = ms->kfix[i].at + shift;

				x64_patch32(b, use, x64_read32(b, use) + (uint32_t) d);
			}
			moved = d;
		}
	}
	ms->pool_at = 0;
	ms->nkfix = 0;
	return moved;
}

/* ---- traps -------------------------------------------------------------------- */

/*
** Forward jumps are chained through their own rel32 fields: each holds the
** buffer offset of the previous jump to the same target (NO_CHAIN ends).
*/
static void
chain_add(cstate *c, uint32_t *chain, size_t field)
{
	x64_patch32(c->b, field, *chain);
	*chain = (uint32_t) field;
}

/* Inline: mostly an empty chain, at every end. */
static inline __attribute__((always_inline)) void
chain_bind(cstate *c, uint32_t *chain, size_t target)
{
	x64_buf    *b = c->b;
	uint32_t	at = *chain;

	*chain = NO_CHAIN;
	if (at == NO_CHAIN || b->oom)
		return;
	do
	{
		uint32_t	next = x64_read32(b, at);

		x64_bind32(b, at, target);
		at = next;
	} while (at != NO_CHAIN);
}

/* A trap_site's kind for a helper's trap: the kind is in eax. */
#define TRAP_IN_EAX SF_TRAP_COUNT

static __attribute__((noinline)) bool
trap_sites_grow(cstate *c)
{
	modstate   *ms = c->ms;
	uint32_t	ncap = ms->capsites ? ms->capsites * 2 : 64;
	trap_site  *ns = cg_realloc(ms, ms->sites, ms->capsites * sizeof(*ns), ncap * sizeof(*ns));

	if (ns == NULL)
	{
		cg_fail(c, SF_NOMEM, "out of memory");
		return false;
	}
	ms->sites = ns;
	ms->capsites = ncap;
	return true;
}

static inline void
trap_site_add(cstate *c, uint32_t kind, size_t field)
{
	modstate   *ms = c->ms;

	if (SF_UNLIKELY(ms->nsites == ms->capsites) && !trap_sites_grow(c))
		return;
	ms->sites[ms->nsites++] = (trap_site) {(uint32_t) field,
		(uint32_t) (c->op_start - c->m->bytes), kind, 0};
}

void
cg_trap_if(cstate *c, x64_cc cc, sf_trap_kind kind)
{
	cg_fuel_may_trap(c);
	trap_site_add(c, kind, cg_jcc32(c, cc));
}

void
cg_trap_now(cstate *c, sf_trap_kind kind)
{
	cg_fuel_may_trap(c);
	trap_site_add(c, kind, cg_jmp32(c));
}

/* ---- the code map (codemap.h) ------------------------------------------------ */

bool
cg_map_grow(cstate *c)
{
	modstate   *ms = c->ms;
	uint32_t	ncap = ms->capmap ? ms->capmap * 2 : 256;
	sf_codemap_point *nm = cg_realloc(ms, ms->map, ms->capmap * sizeof(*nm), ncap * sizeof(*nm));

	if (nm == NULL)
	{
		cg_fail(c, SF_NOMEM, "out of memory");
		return false;
	}
	ms->map = nm;
	ms->capmap = ncap;
	return true;
}

/* The function's map, complete, appended to the thread's maps. */
static void
map_finish(cstate *c, const sf_code *code)
{
	modstate   *ms = c->ms;
	sf_codemap_marks marks = {ms->entry_lo, ms->thunks_at};

	ms->map_lo = (uint32_t) ms->maps.n;
	sf_codemap_put(&ms->maps, &marks, ms->map, ms->nmap, code->expr_off);
	ms->map_hi = (uint32_t) ms->maps.n;
	if (ms->maps.oom)
		cg_fail(c, SF_NOMEM, "out of memory");
}

/*
** Out-of-line trap code at the end of the function, inside its code range
** so that the trap PC names the function: one thunk per trap kind (the
** kind in eax, then the trap stub), and one stub per trap site, a call to
** its kind's thunk.  The trap stub takes the stub's return address for
** the trap's PC, so a backtrace names the site's operator (the code map
** gives each stub its site's point).  A site before the prologue (the
** entry charge's check) has no frame yet: its stub makes one, so that the
** walk of the frames finds the caller.  The out-of-line code of
** conversions (cg_f_cold) comes first, before 'thunks_at': it is the
** function's own code, with its operator's points in the map, and its trap
** branches are sites like any other.
*/
static void
emit_trap_thunks(cstate *c)
{
	modstate   *ms = c->ms;
	size_t		thunk[SF_TRAP_COUNT + 1] = {0};
	uint64_t	used = 0;

	cg_f_cold(c);
	ms->thunks_at = (uint32_t) x64_pos(c->b) - ms->func_start;
	for (uint32_t i = 0; i < ms->nsites; i++)
		used |= (uint64_t) 1 << ms->sites[i].kind;
	for (uint32_t k = 0; k <= TRAP_IN_EAX; k++)
	{
		if (!(used & ((uint64_t) 1 << k)))
			continue;
		thunk[k] = x64_pos(c->b);
		if (k != TRAP_IN_EAX)
			x64_mov_ri(c->b, 0, X64_RAX, k);
		x64_mov_ri(c->b, 1, X64_RCX, (int64_t) (uintptr_t) ms->stubs->trap_explicit);
		x64_jmp_r(c->b, X64_RCX);
	}
	for (uint32_t i = 0; i < ms->nsites && !c->b->oom; i++)
	{
		const trap_site *t = &ms->sites[i];

		x64_bind32(c->b, t->field, x64_pos(c->b));
		if (t->field - ms->func_start < ms->entry_lo)
		{
			x64_push(c->b, X64_RBP);
			x64_mov_rr(c->b, 1, X64_RBP, X64_RSP);
		}
		cg_map_point(c, t->wasm);
		if (t->ahead != 0)
		{
			uint32_t	call = cg_pos(c);

			x64_bind32(c->b, cg_call32(c), thunk[t->kind]);
			cg_fuel_ahead_add(c, call, cg_pos(c), t->ahead);
		}
		else
			x64_bind32(c->b, cg_call32(c), thunk[t->kind]);
	}
}

/* ---- fuel planning's target interface (compile.h) ------------------------------- */

/* 'len' bytes left for a charge's form, written once the function is planned; their offset. */
static inline uint32_t
charge_reserve(cstate *c, uint32_t len)
{
	uint32_t	at = cg_pos(c);

	x64_skip(c->b, len);
	return at;
}

/* cg_charge_open's checked charge (precise mode), the flags free. */
uint32_t
cg_charge_checked(cstate *c)
{
	uint32_t	at = charge_reserve(c, CHARGE_LEN);

	cg_trap_if(c, X64_CC_G, SF_TRAP_OUT_OF_FUEL);
	return at;
}

uint32_t
cg_charge_lea(cstate *c)
{
	return charge_reserve(c, CHARGE_LEN);
}

/*
** Each form is 3 bytes (the same for every site of that form) and then a
** 4-byte immediate, the amount (a NOP's is 0: only a charge of 0 is
** dropped): each site is two stores, its form looked up, not branched on.
*/
_Static_assert(FUEL_ADD == 0 && FUEL_LEA == 1 && FUEL_DROPPED == 2 && FUEL_REMOVED == 3,
			   "cg_charges_write: the forms index its heads");

void
cg_charges_write(modstate *ms, const fuel_site *s, uint32_t n)
{
	uint8_t    *code = x64_code(&ms->buf);
	uint8_t		form[CHARGE_LEN];
	uint32_t	head[4];

	if (code == NULL)
		return;
	x64_put_alu_ri32(form, X64_ADD, 1, X64_FUEL, 0);
	memcpy(&head[FUEL_ADD], form, 4);
	x64_put_lea_d32(form, 1, X64_FUEL, X64_FUEL, 0);
	memcpy(&head[FUEL_LEA], form, 4);
	x64_put_nop7(form);
	memcpy(&head[FUEL_DROPPED], form, 4);
	head[FUEL_REMOVED] = head[FUEL_DROPPED];
	for (const fuel_site *end = s + n; s < end; s++)
	{
		uint8_t    *p = code + s->at;

		/* the head's 4th byte is the immediate's first */
		memcpy(p, &head[s->form & 3], 4);
		memcpy(p + CHARGE_LEN - 4, &s->n, 4);
	}
}

/* A checked charge is followed by its 'jg' to the out-of-fuel thunk (6 bytes). */
#define CHECK_LEN 6

void
cg_charge_uncheck(modstate *ms, uint32_t at)
{
	uint8_t    *code = x64_code(&ms->buf);

	if (code != NULL)
		x64_put_nop(code + at + CHARGE_LEN, CHECK_LEN);
}

void
cg_jump_past_charge(modstate *ms, uint32_t jump, uint32_t at)
{
	if (x64_target32(&ms->buf, jump) == at)
		x64_bind32(&ms->buf, jump, at + CHARGE_LEN);
}

/*
** The first of the pool's uses at 'key' or after: they are noted in code
** order, and a removed charge moves those in its span by the same amount,
** so they stay in order.
*/
static uint32_t
first_use_from(const modstate *ms, uint32_t key)
{
	uint32_t	lo = 0,
				n = ms->nkfix;

	if (n == 0)
		return 0;
	/* halving without a branch on the data: [lo, lo + n) holds the answer's predecessor */
	while (n > 1)
	{
		uint32_t	half = n / 2;

		lo = ms->kfix[lo + half].at < key ? lo + half : lo;
		n -= half;
	}
	return lo + (ms->kfix[lo].at < key);
}

void
cg_charge_remove(modstate *ms, uint32_t at, uint32_t end, uint32_t jump, const cg_mark *since)
{
	size_t		target = jump != NO_CHAIN ? x64_target32(&ms->buf, jump) : 0;

	x64_cut(&ms->buf, at, CHARGE_LEN, end);
	/* the pool comes after the function: uses that moved read it from further up */
	for (uint32_t i = first_use_from(ms, at + CHARGE_LEN); i < ms->nkfix && ms->kfix[i].at < end; i++)
		ms->kfix[i].at -= CHARGE_LEN;
	if (jump != NO_CHAIN)
		x64_bind32(&ms->buf, jump - CHARGE_LEN, target);
	/*
	** the code map's points in the span move up with its code: those noted
	** after the charge, the first of them where the mark made then stood
	*/
	for (uint32_t i = since->map; i < ms->nmap && ms->map[i].code < end - ms->func_start; i++)
		ms->map[i].code -= CHARGE_LEN;
}

void
cg_charge_skip_write(modstate *ms, uint32_t slot, fuel_skip_form how, bool checked)
{
	uint8_t    *code = x64_code(&ms->buf);

	if (code == NULL)
		return;
	if (how == FUEL_SKIP_JUMP)
		x64_put_jmp8(code + slot, (int8_t) (CHARGE_LEN + (checked ? CHECK_LEN : 0)));
	else if (how == FUEL_SKIP_PREFIX)
		x64_put_prefixes(code + slot, SKIP_LEN);
	else
		x64_put_nop(code + slot, SKIP_LEN);
}

/*
** Since 'm', no frame, no call, and either no branch and a return ending
** here, or one branch, a jmp rel32 ending here (*jump: its field).
*/
bool
cg_plain_since(const cstate *c, const cg_mark *m, uint32_t *jump)
{
	size_t		end = x64_pos(c->b);

	*jump = NO_CHAIN;
	if (c->b->oom || c->frames != m->frames || c->ms->nfix != m->calls)
		return false;
	if (c->nbranch == m->branches + 1 && c->last_jmp32 && c->last_branch + 4 == end)
	{
		*jump = c->last_branch;
		return true;
	}
	return c->nbranch == m->branches && c->ret_end == end;
}

void
cg_charge_back(cstate *c, uint32_t n)
{
	x64_lea(c->b, 1, X64_FUEL, x64_m(X64_FUEL, -(int32_t) n));
}

uint32_t
cg_jump_fwd(cstate *c)
{
	return (uint32_t) cg_jmp32(c);
}

void
cg_bind_here(cstate *c, uint32_t jump)
{
	x64_bind32(c->b, jump, x64_pos(c->b));
}

/* ---- helper calls ---------------------------------------------------------- */

static void
need_out(cstate *c, uint32_t n)
{
	if (n > c->max_out)
		c->max_out = n;
}

/*
** Call a C helper: rdi = own vmctx, then the 'nimm' constants, then the top
** 'nargs' stack values (deepest first).  The values go through the
** outgoing slots, which sidesteps any parallel-move ordering problem.
** The fuel counter is spilled to the running activation around the call,
** charged for what ran so far (a loop's late part included, as for a
** call): the bulk operators charge their work to it.  A helper that traps
** returns the trap kind in eax, or, when it has a result,
** SF_RT_TRAP(kind) (bit 63 set, the kind in eax).
*/
/*
** The local registers that C may clobber and that hold no local of this
** function hold its callers' (they are callee-saved between wasm
** functions, x64/abi.h): around a helper call they go below the stack
** pointer, in an area of 16-byte multiples that keeps the call aligned.
** Returns the area's size (save) or takes 'area' back (restore).
*/
static uint32_t
move_callers_regs(cstate *c, bool save, uint32_t area)
{
	x64_regset	g = X64_INT_LOCAL_SET & ~X64_SYSV_KEEPS_LOCALS & ~c->glocals,
				x = X64_FLOAT_LOCAL_SET & ~c->xlocals;
	int32_t		at = 0;

	if (save)
	{
		area = 8 * (uint32_t) (__builtin_popcount(g) + __builtin_popcount(x));
		area = (area + 15) & ~15u;
		if (area == 0)
			return 0;
		x64_alu_ri(c->b, X64_SUB, 1, X64_RSP, (int32_t) area);
	}
	else if (area == 0)
		return 0;
	for (int r = 0; r < X64_NGPR; r++)
		if (g & X64_SET(r))
		{
			if (save)
				x64_mov_mr(c->b, 1, x64_m(X64_RSP, at), r);
			else
				x64_mov_rm(c->b, 1, r, x64_m(X64_RSP, at));
			at += 8;
		}
	for (int r = 0; r < X64_NXMM; r++)
		if (x & X64_SET(r))
		{
			if (save)
				x64_movs_mr(c->b, 1, x64_m(X64_RSP, at), r);
			else
				x64_movs_rm(c->b, 1, r, x64_m(X64_RSP, at));
			at += 8;
		}
	if (!save)
		x64_lea(c->b, 1, X64_RSP, x64_m(X64_RSP, (int32_t) area));
	return area;
}

void
cg_call_helper(cstate *c, void *fn, int nargs, const int64_t *immargs,
			   int nimm, bool traps, int result_type)
{
	static const int sysv_args[] = X64_SYSV_ARGS;
	uint32_t	base = c->sp - (uint32_t) nargs;
	uint32_t	area;

	cg_fuel_flush(c);
	cg_fuel_may_trap(c);
	c->fuel.helpers++;
	need_out(c, (uint32_t) nargs);
	for (int i = 0; i < nargs; i++)
		cg_store_to(c, &c->vs[base + i], base + i, x64_m(X64_RSP, 8 * i));
	for (int i = 0; i < nargs; i++)
	{
		sval		v = cg_pop(c);

		cg_release(c, &v);
	}
	cg_spill_all(c);
	cg_save_local_regs(c);
	area = move_callers_regs(c, true, 0);
	x64_mov_rr(c->b, 1, sysv_args[0], X64_CTX);
	for (int i = 0; i < nimm; i++)
		x64_mov_ri(c->b, 1, sysv_args[1 + i], immargs[i]);
	for (int i = 0; i < nargs; i++)
		x64_mov_rm(c->b, 1, sysv_args[1 + nimm + i], x64_m(X64_RSP, (int32_t) area + 8 * i));
	x64_mov_rm(c->b, 1, X64_RAX, x64_m(X64_CTX, SF_OFF_VM_STORE));
	x64_mov_rm(c->b, 1, X64_RAX, x64_m(X64_RAX, SF_OFF_STORE_ACT));
	x64_mov_mr(c->b, 1, x64_m(X64_RAX, SF_OFF_ACT_FUEL), X64_FUEL);
	x64_mov_ri(c->b, 1, X64_RAX, (int64_t) (uintptr_t) fn);
	x64_call_r(c->b, X64_RAX);
	x64_mov_rm(c->b, 1, X64_RCX, x64_m(X64_CTX, SF_OFF_VM_STORE));
	x64_mov_rm(c->b, 1, X64_RCX, x64_m(X64_RCX, SF_OFF_STORE_ACT));
	x64_mov_rm(c->b, 1, X64_FUEL, x64_m(X64_RCX, SF_OFF_ACT_FUEL));
	move_callers_regs(c, false, area);
	cg_restore_local_regs(c);
	if (traps)
	{
		x64_test_rr(c->b, result_type ? 1 : 0, X64_RAX, X64_RAX);
		trap_site_add(c, TRAP_IN_EAX, cg_jcc32(c, result_type ? X64_CC_S : X64_CC_NE));
	}
	if (result_type)
	{
		int			r = cg_alloc_gpr(c);

		x64_mov_rr(c->b, 0, r, X64_RAX);
		cg_push_reg(c, (uint8_t) result_type, r);
	}
}

/* ---- control flow --------------------------------------------------------------- */

static const sf_valtype one_type[][1] = {
	{SF_I32}, {SF_I64}, {SF_F32}, {SF_F64}, {SF_FUNCREF}, {SF_EXTERNREF}
};

static const sf_valtype *
single(uint8_t t)
{
	switch (t)
	{
		case SF_I32:
			return one_type[0];
		case SF_I64:
			return one_type[1];
		case SF_F32:
			return one_type[2];
		case SF_F64:
			return one_type[3];
		case SF_FUNCREF:
			return one_type[4];
		default:
			return one_type[5];
	}
}

/* Read a blocktype immediate into 'k'. */
static void
read_blocktype(cstate *c, ctl *k)
{
	uint8_t		b0 = *c->pc;

	k->nparams = k->nresults = 0;
	k->params = k->results = NULL;
	if (b0 == 0x40)
	{
		c->pc++;
		return;
	}
	if (b0 == SF_I32 || b0 == SF_I64 || b0 == SF_F32 || b0 == SF_F64 ||
		b0 == SF_FUNCREF || b0 == SF_EXTERNREF)
	{
		c->pc++;
		k->nresults = 1;
		k->results = single(b0);
		return;
	}
	{
		int64_t		idx = cg_read_s64(c);
		const sf_functype *t;

		if (idx < 0 || (uint64_t) idx >= c->m->ntypes)
		{
			cg_fail(c, SF_INVALID, "bad block type");
			return;
		}
		t = &c->m->types[idx];
		k->nparams = t->nparams;
		k->params = t->params;
		k->nresults = t->nresults;
		k->results = t->results;
	}
}

/* push_ctl's slow path: false when out of memory. */
static __attribute__((noinline)) bool
grow_ctl(cstate *c)
{
	return grow_doubling(c, (void **) &c->cs, &c->ccap, sizeof(ctl), 16);
}

/*
** A frame is zeroed by 16-byte stores: GCC makes a memset of it a 'rep
** stos', which costs more to start than the stores.
*/
typedef uint64_t ctl_chunk __attribute__((vector_size(16), aligned(8)));

_Static_assert(sizeof(ctl) % sizeof(ctl_chunk) == 0, "ctl: whole chunks");

/* Inline: a frame is pushed at every block, loop and if. */
static inline __attribute__((always_inline)) ctl *
push_ctl(cstate *c)
{
	if (SF_UNLIKELY(c->csp == c->ccap) && !grow_ctl(c))
		return NULL;

	ctl		   *k = &c->cs[c->csp++];

	c->frames++;
#pragma GCC unroll 8
	for (size_t i = 0; i < sizeof(ctl) / sizeof(ctl_chunk); i++)
		((ctl_chunk *) k)[i] = (ctl_chunk) {0, 0};
	k->end_chain = NO_CHAIN;
	k->else_chain = NO_CHAIN;
	return k;
}

/* Replace the stack above 'height' by 'n' values of 'types' in home slots. */
static void
reset_entries(cstate *c, uint32_t height, uint32_t n, const sf_valtype *types)
{
	while (c->sp > height)
	{
		sval		v = cg_pop(c);

		cg_release(c, &v);
	}
	for (uint32_t i = 0; i < n; i++)
	{
		sval		v = {.kind = VK_MEM, .type = types[i]};

		cg_push(c, v);
	}
}

/* Inline, the common case at an end: a block with no results left nothing. */
static inline void
reset_stack(cstate *c, uint32_t height, uint32_t n, const sf_valtype *types)
{
	if (c->sp != height || n != 0)
		reset_entries(c, height, n, types);
}

/* Block params are the block's own values: a label may re-enter with them. */
static inline void
params_home(cstate *c, uint32_t n)
{
	for (uint32_t i = c->sp - n; i < c->sp; i++)
		if (c->vs[i].kind == VK_CONST)
		{
			cg_store_to(c, &c->vs[i], i, cg_home(c, i));
			c->vs[i].kind = VK_MEM;
		}
}

/*
** block, loop and if: one body, inlined in each with 'op' a constant, so
** that each keeps only its own tests (cg_block, cg_loop, cg_if).
*/
static inline __attribute__((always_inline)) void
open_frame(cstate *c, int op)
{
	ctl		   *k;
	ctl			tmp;

	/* read_blocktype sets the four fields read from tmp below */
	read_blocktype(c, &tmp);
	cg_fuel_flush(c);
	k = push_ctl(c);
	if (k == NULL)
		return;
	k->kind = op == SF_OP_LOOP ? CTL_LOOP : op == SF_OP_IF ? CTL_IF : CTL_BLOCK;
	k->loop_in = op == SF_OP_LOOP ? c->csp - 1 : c->csp >= 2 ? k[-1].loop_in : 0;
	if (op == SF_OP_LOOP && c->csp >= 2 && k[-1].loop_in != 0)
		c->cs[k[-1].loop_in].outer = true;
	k->nparams = tmp.nparams;
	k->params = tmp.params;
	k->nresults = tmp.nresults;
	k->results = tmp.results;
	cg_fuel_enter(c, k);
	if (c->unreachable)
	{
		k->dead = true;
		k->height = c->sp;
		return;
	}
	if (op == SF_OP_IF)
	{
		/* in place (cg_pop_ref): spilling and params_home read only below it */
		sval	   *cond = cg_pop_ref(c);
		x64_cc		cc = X64_CC_NE;

		cg_flags_popped(c, cond);

		/* spilling only moves data, so a compare's flags survive it */
		cg_spill_all(c);
		params_home(c, k->nparams);
		switch (cond->kind)
		{
			case VK_FLAGS:
				cc = (x64_cc) cond->cc;
				break;
			case VK_REG:
				cg_test_zero(c, 0, cond->reg);
				break;
			case VK_CONST:
				x64_mov_ri(c->b, 0, X64_RAX, (uint32_t) cond->imm);
				x64_test_rr(c->b, 0, X64_RAX, X64_RAX);
				break;
			default:
				x64_alu_mi(c->b, X64_CMP, 0, cg_mem_of(c, cond, c->sp), 0);
				break;
		}
		cg_release(c, cond);
		chain_add(c, &k->else_chain, cg_jcc32(c, X64_CC_NOT(cc)));
	}
	else
	{
		cg_spill_all(c);
		params_home(c, k->nparams);
	}
	k->height = c->sp - k->nparams;
	if (op == SF_OP_LOOP)
	{
		cg_fuel_loop(c);
		k->loop_pos = (uint32_t) x64_pos(c->b);
		k->loop_fix = c->ms->nfix;
		cg_fuel_arm(c);
		if (c->fuel.counting)
			cg_fuel_unroll_note(c);
	}
	else if (op == SF_OP_IF)
		cg_fuel_arm(c);
}

void
cg_block(cstate *c)
{
	open_frame(c, SF_OP_BLOCK);
}

void
cg_loop(cstate *c)
{
	open_frame(c, SF_OP_LOOP);
}

void
cg_if(cstate *c)
{
	open_frame(c, SF_OP_IF);
}

/* Label arity: a loop takes its params, everything else its results. */
static uint32_t
label_arity(const ctl *k, const sf_valtype **types)
{
	if (k->kind == CTL_LOOP)
	{
		*types = k->params;
		return k->nparams;
	}
	*types = k->results;
	return k->nresults;
}

/*
** Copy the top 'n' values into home slots height..height+n-1 (ascending
** order never overwrites a source before it is read).  The abstract stack
** is left unchanged: the values stay valid on the fall-through path.
*/
static void
move_entries(cstate *c, uint32_t height, uint32_t n)
{
	uint32_t	src0 = c->sp - n;

	for (uint32_t i = 0; i < n; i++)
	{
		sval	   *v = &c->vs[src0 + i];

		if (src0 + i == height + i && (v->kind == VK_MEM))
			continue;
		cg_store_to(c, v, src0 + i, cg_home(c, height + i));
	}
}

/* Inline, the common case: a label with no values to carry. */
static inline void
move_to_homes(cstate *c, uint32_t height, uint32_t n)
{
	if (n != 0)
		move_entries(c, height, n);
}

/*
** Result entry 'd' of 'n' is parameter k read from its slot, which is
** result k's slot too: it is there already.
*/
static inline bool
own_slot(const cstate *c, uint32_t d, uint32_t n)
{
	return c->vs[d].kind == VK_LOCAL && c->vs[d].local < c->ft->nparams &&
		c->vs[d].local == d - (c->sp - n);
}

/* Values about to be written over parameters must not read parameters. */
static void
protect_params(cstate *c, uint32_t n)
{
	for (uint32_t i = c->sp - n; i < c->sp; i++)
		if (c->vs[i].kind == VK_LOCAL && c->vs[i].local < c->ft->nparams &&
			!own_slot(c, i, n))
			cg_to_reg(c, &c->vs[i]);
}

/*
** Results to their slots, the first also in rax or xmm0 (loaded last:
** storing the others may use them as scratch), then the epilogue.
*/
static void
emit_return(cstate *c)
{
	uint32_t	n = c->ft->nresults;

	protect_params(c, n);
	for (uint32_t i = 1; i < n; i++)
	{
		uint32_t	d = c->sp - n + i;

		if (!own_slot(c, d, n))
			cg_store_to(c, &c->vs[d], d, x64_m(X64_RBP, X64_FRAME_ARGS + 8 * (int32_t) i));
	}
	if (n != 0)
	{
		uint32_t	d = c->sp - n;
		const sval *v = &c->vs[d];
		x64_mem		slot = x64_m(X64_RBP, X64_FRAME_ARGS);

		cg_load_scratch(c, v, d, is_float(v->type) ? 0 : X64_RAX);
		if (!own_slot(c, d, n))
		{
			if (is_float(v->type))
				x64_movs_mr(c->b, is_wide(v->type), slot, 0);
			else
				x64_mov_mr(c->b, is_wide(v->type), slot, X64_RAX);
		}
	}
	move_local_regs(c, false, true);
	x64_mov_rr(c->b, 1, X64_RSP, X64_RBP);
	x64_pop(c->b, X64_RBP);
	x64_ret(c->b);
	c->ret_end = x64_pos(c->b);
}

/*
** Jump to label 'depth' carrying its arity; no stack change.  Returns the
** jump's field, or NO_CHAIN for a return.
*/
static uint32_t
jump_to(cstate *c, uint32_t depth)
{
	ctl		   *k = &c->cs[c->csp - 1 - depth];
	const sf_valtype *types;
	uint32_t	n = label_arity(k, &types);
	size_t		at;

	if (k->kind == CTL_FUNC)
	{
		emit_return(c);
		return NO_CHAIN;
	}
	move_to_homes(c, k->height, n);
	at = cg_jmp32(c);
	if (k->kind == CTL_LOOP)
		x64_bind32(c->b, at, k->loop_pos);
	else
		chain_add(c, &k->end_chain, at);
	return (uint32_t) at;
}

void
cg_br(cstate *c, uint32_t depth)
{
	uint32_t	fix;

	if (c->unreachable)
		return;
	fix = cg_fuel_br(c, depth);
	if (fix != 0)
		cg_fuel_charge(c, fix);
	cg_fuel_br_jumped(c, jump_to(c, depth));
	c->unreachable = true;
}

void
cg_return(cstate *c)
{
	uint32_t	fix;

	if (c->unreachable)
		return;
	fix = cg_fuel_jump(c, c->csp - 1, false);
	if (fix != 0)
		cg_fuel_charge(c, fix);
	emit_return(c);
	c->unreachable = true;
}

/* Does branching to 'depth' need code besides the jump itself? */
static bool
branch_needs_moves(cstate *c, uint32_t depth)
{
	ctl		   *k = &c->cs[c->csp - 1 - depth];
	const sf_valtype *types;
	uint32_t	n = label_arity(k, &types);

	if (k->kind == CTL_FUNC)
		return true;
	for (uint32_t i = 0; i < n; i++)
	{
		uint32_t	src = c->sp - n + i;

		if (src != k->height + i || c->vs[src].kind != VK_MEM)
			return true;
	}
	return false;
}

/*
** Repeat the code [from, to) of the function being compiled here, with
** what refers into it: its constant pool uses, its trap sites (the new
** ones standing 'ahead', sf_fuel_ahead) and its code map points.  The
** code must hold no other branch out of it and no call.
*/
static void
repeat_code(cstate *c, uint32_t from, uint32_t to, uint32_t ahead)
{
	modstate   *ms = c->ms;
	uint32_t	at = cg_pos(c),
				delta = at - from,
				i;

	x64_reserve(c->b, to - from);
	if (c->b->oom)
		return;
	memcpy(c->b->p, c->b->start + from, to - from);
	c->b->p += to - from;
	/* what refers into the copy is the last of each table, in code order */
	for (i = ms->nkfix; i > 0 && ms->kfix[i - 1].at >= from; i--)
		;
	for (uint32_t n = ms->nkfix; i < n && ms->kfix[i].at < to; i++)
	{
		if (!grow_one(ms, (void **) &ms->kfix, &ms->capkfix, ms->nkfix, sizeof(pool_fix)))
		{
			cg_fail(c, SF_NOMEM, "out of memory");
			return;
		}
		ms->kfix[ms->nkfix++] = (pool_fix) {ms->kfix[i].at + delta, ms->kfix[i].idx};
	}
	for (i = ms->nsites; i > 0 && ms->sites[i - 1].field >= from; i--)
		;
	for (uint32_t n = ms->nsites; i < n && ms->sites[i].field < to; i++)
	{
		if (ms->nsites == ms->capsites && !trap_sites_grow(c))
			return;
		ms->sites[ms->nsites] = ms->sites[i];
		ms->sites[ms->nsites].field += delta;
		ms->sites[ms->nsites++].ahead = ahead;
		c->nbranch++;
	}
	for (i = ms->nmap; i > 0 && ms->map[i - 1].code >= from - ms->func_start; i--)
		;
	for (uint32_t n = ms->nmap; i < n && ms->map[i].code < to - ms->func_start; i++)
	{
		if (ms->nmap == ms->capmap && !cg_map_grow(c))
			return;
		ms->map[ms->nmap++] = (sf_codemap_point) {ms->map[i].code + delta, ms->map[i].wasm};
	}
}

/*
** The first copy of an unrolled loop's body, from 'from', ends here with
** its condition in the flags (cc: go on): each copy but the last leaves
** when the condition fails, and the last goes back to the label (the
** caller's br_if).
*/
static void
unroll_body(cstate *c, x64_cc cc, uint32_t copies, uint32_t from)
{
	uint32_t	end = cg_pos(c),
				lo = from;

	for (uint32_t k = 1; k < copies; k++)
	{
		uint32_t	exit = (uint32_t) cg_jcc32(c, X64_CC_NOT(cc));

		cg_fuel_unroll_exit(c, k, exit, lo);
		lo = cg_pos(c);
		repeat_code(c, from, end, cg_fuel_unroll_ahead(c, k + 1));
	}
}

/*
** Take [lo, hi) out of the function's code: the code emitted since, which
** holds no branch but trap checks, no call and no out-of-line code, moves
** up over it, with what refers into it: its trap sites (those inside
** [lo, hi) go), its constant pool uses and its code map points (those
** inside [lo, hi) now start at lo).
*/
static void
cut_code(cstate *c, uint32_t lo, uint32_t hi)
{
	modstate   *ms = c->ms;
	uint32_t	end = cg_pos(c),
				len = hi - lo,
				fs = ms->func_start,
				i,
				kept;

	if (c->b->oom)
		return;
	memmove(c->b->start + lo, c->b->start + hi, end - hi);
	c->b->p -= len;
	/* what refers into the code since lo is the last of each table, in code order */
	for (i = ms->nsites; i > 0 && ms->sites[i - 1].field >= lo; i--)
		;
	for (kept = i; i < ms->nsites; i++)
	{
		if (ms->sites[i].field < hi)
		{
			c->nbranch--;
			continue;
		}
		ms->sites[kept] = ms->sites[i];
		ms->sites[kept++].field -= len;
	}
	ms->nsites = kept;
	for (i = ms->nkfix; i > 0 && ms->kfix[i - 1].at >= hi; i--)
		ms->kfix[i - 1].at -= len;
	for (i = ms->nmap; i > 0 && ms->map[i - 1].code >= lo - fs; i--)
		ms->map[i - 1].code = ms->map[i - 1].code >= hi - fs ? ms->map[i - 1].code - len : lo - fs;
	if (c->first_branch_end >= hi)
		c->first_branch_end -= len;
	else if (c->first_branch_end > lo)
		c->first_branch_end = lo;
	if (c->last_branch >= hi)
		c->last_branch -= len;
	c->zf_pos = 0;
}

/*
** The loop being lowered is peeled (cg_fuel_loop_plan), its condition in
** the flags (cc: go on): its entry slot and its header charge at 'at'
** (with its check in precise mode) come out of the code, so that its body
** is the first iteration, which the code before enters and which leaves
** when the condition fails; then come the header charge and a copy of the
** body, which the caller's br_if closes back to it.
*/
static void
peel_body(cstate *c, x64_cc cc, uint32_t at)
{
	ctl		   *k = &c->cs[c->csp - 1];
	uint32_t	lo = k->loop_pos - SKIP_LEN,
				hi = at + CHARGE_LEN + (c->fuel.precise ? CHECK_LEN : 0),
				end,
				exit;

	cut_code(c, lo, hi);
	end = cg_pos(c);
	exit = (uint32_t) cg_jcc32(c, X64_CC_NOT(cc));
	k->loop_pos = cg_charge_open(c, c->fuel.precise);
	cg_fuel_peeled(c, k->loop_pos, exit);
	repeat_code(c, lo, end, 0);
}

/* The condition is popped in place (cg_pop_ref): nothing is pushed. */
void
cg_br_if(cstate *c, uint32_t depth)
{
	sval	   *cond;
	x64_cc		cc;
	uint32_t	fix,
				copies = 0,
				from = 0;
	fuel_loop_plan plan = FUEL_LOOP_AS_IS;

	if (c->unreachable)
		return;
	cond = cg_pop_ref(c);
	cg_flags_popped(c, cond);
	if (depth == 0 && c->fuel.cand.frame == c->csp - 1)
		plan = cg_fuel_loop_plan(c, &from, &copies);
	if (cond->kind == VK_FLAGS)
		cc = (x64_cc) cond->cc;
	else if (cond->kind == VK_CONST && plan == FUEL_LOOP_AS_IS)
	{
		if ((int32_t) cond->imm != 0)
			cg_br(c, depth);
		return;
	}
	else if (cond->kind == VK_CONST)
	{
		x64_mov_ri(c->b, 0, X64_RAX, (uint32_t) cond->imm);
		x64_test_rr(c->b, 0, X64_RAX, X64_RAX);
		cc = X64_CC_NE;
	}
	else
	{
		if (cond->kind == VK_REG)
			cg_test_zero(c, 0, cond->reg);
		else
			x64_alu_mi(c->b, X64_CMP, 0, cg_mem_of(c, cond, c->sp), 0);
		cg_release(c, cond);
		cc = X64_CC_NE;
	}
	if (plan == FUEL_LOOP_UNROLL)
		unroll_body(c, cc, copies, from);
	else if (plan == FUEL_LOOP_PEEL)
		peel_body(c, cc, from);
	/* no code between here and the jcc: the flags hold the condition */
	fix = cg_fuel_jump(c, depth, true);
	if (branch_needs_moves(c, depth))
	{
		size_t		skip = cg_jcc32(c, X64_CC_NOT(cc));

		if (fix != 0)
			cg_fuel_charge(c, fix);
		jump_to(c, depth);
		x64_bind32(c->b, skip, x64_pos(c->b));
	}
	else if (fix != 0)
		cg_fuel_stub(c, (uint32_t) cg_jcc32(c, cc), fix, depth);
	else
	{
		ctl		   *k = &c->cs[c->csp - 1 - depth];

		if (k->kind == CTL_LOOP)
			x64_bind32(c->b, cg_jcc32(c, cc), k->loop_pos);
		else
			chain_add(c, &k->end_chain, cg_jcc32(c, cc));
	}
	cg_fuel_after_br_if(c, depth);
}

/* A jump to the label of frame 'index', with no value moves. */
void
cg_jump_label(cstate *c, uint32_t index)
{
	ctl		   *k = &c->cs[index];

	if (k->kind == CTL_LOOP)
		x64_bind32(c->b, cg_jmp32(c), k->loop_pos);
	else
		chain_add(c, &k->end_chain, cg_jmp32(c));
}

/* Tables of fewer targets, in functions of fewer frames, need no malloc. */
#define BR_TABLE_SMALL 64

void
cg_br_table(cstate *c)
{
	uint32_t	n = cg_read_u32(c);
	uint32_t	small_targets[BR_TABLE_SMALL], small_first[BR_TABLE_SMALL];
	uint32_t   *targets, *first;
	sval		idx;
	size_t		lea_at, table_at;

	targets = n < BR_TABLE_SMALL ? small_targets : malloc(((size_t) n + 1) * sizeof(uint32_t));
	if (targets == NULL)
	{
		cg_fail(c, SF_NOMEM, "out of memory");
		return;
	}
	for (uint32_t i = 0; i <= n; i++)
		targets[i] = cg_read_u32(c);
	if (c->unreachable)
	{
		if (targets != small_targets)
			free(targets);
		return;
	}
	/* first[d]: table offset of the trampoline to depth d, or NO_CHAIN */
	first = c->csp < BR_TABLE_SMALL ? small_first : malloc(((size_t) c->csp + 1) * sizeof(uint32_t));
	if (first == NULL)
	{
		if (targets != small_targets)
			free(targets);
		cg_fail(c, SF_NOMEM, "out of memory");
		return;
	}
	for (uint32_t d = 0; d <= c->csp; d++)
		first[d] = NO_CHAIN;
	idx = cg_pop(c);
	/* a loop's late part must be charged on every path the table takes */
	cg_fuel_flush(c);
	/* spill first: spilling uses rax, the index's register */
	cg_spill_all(c);
	cg_load_scratch(c, &idx, c->sp, X64_RAX);
	cg_release(c, &idx);
	/* clamp the index to n (the default) */
	x64_mov_ri(c->b, 0, X64_RCX, n);
	x64_alu_rr(c->b, X64_CMP, 0, X64_RAX, X64_RCX);
	x64_cmov_rr(c->b, X64_CC_A, 0, X64_RAX, X64_RCX);
	x64_lea(c->b, 1, X64_RCX, x64_m(X64_RIP, 0));
	lea_at = x64_pos(c->b) - 4;
	x64_movsx_rm(c->b, 1, 4, X64_RAX, x64_mx(X64_RCX, X64_RAX, 4, 0));
	x64_alu_rr(c->b, X64_ADD, 1, X64_RAX, X64_RCX);
	x64_jmp_r(c->b, X64_RAX);
	table_at = x64_pos(c->b);
	x64_patch32(c->b, lea_at, (uint32_t) (table_at - (lea_at + 4)));
	for (uint32_t i = 0; i <= n; i++)
		x64_u32(c->b, 0);
	/* one trampoline per distinct target: its moves, then the jump */
	for (uint32_t i = 0; i <= n && !c->b->oom; i++)
	{
		uint32_t	d = targets[i];

		if (d >= c->csp)
		{
			cg_fail(c, SF_INVALID, "br_table target out of range");
			break;
		}
		if (first[d] == NO_CHAIN)
		{
			uint32_t	fix = cg_fuel_jump(c, d, false);

			first[d] = (uint32_t) (x64_pos(c->b) - table_at);
			if (fix != 0)
				cg_fuel_charge(c, fix);
			jump_to(c, d);
		}
		x64_patch32(c->b, table_at + 4 * i, first[d]);
	}
	if (first != small_first)
		free(first);
	if (targets != small_targets)
		free(targets);
	c->unreachable = true;
}

void
cg_else(cstate *c)
{
	ctl		   *k = &c->cs[c->csp - 1];

	k->kind = CTL_ELSE;
	if (k->dead)
		return;
	if (!c->unreachable)
	{
		move_to_homes(c, k->height, k->nresults);
		chain_add(c, &k->end_chain, cg_jmp32(c));
	}
	/* the if's own jcc, the only jump to the else arm */
	k->else_branch = k->else_chain;
	chain_bind(c, &k->else_chain, x64_pos(c->b));
	reset_stack(c, k->height, k->nparams, k->params);
	c->unreachable = false;
	cg_fuel_else(c, k);
}

static void local_regs_here(cstate *c);

void
cg_end(cstate *c)
{
	ctl		   *k = &c->cs[c->csp - 1];
	bool		reach, joined, false_only;

	if (k->kind == CTL_FUNC)
	{
		if (!c->unreachable)
			emit_return(c);
		c->csp--;
		c->unreachable = true;
		return;
	}
	if (k->dead)
	{
		c->csp--;
		return;
	}
	/* an arm that ended in a return or a branch out may be plain */
	if (c->unreachable && (k->kind == CTL_IF || k->kind == CTL_ELSE))
		cg_fuel_arm_done(c, k);
	if (k->kind == CTL_ELSE)
		cg_fuel_else_done(c, k, k->else_branch);
	if (!c->unreachable)
		move_to_homes(c, k->height, k->nresults);
	/* an if without else: the false path arrives with params == results */
	joined = k->end_chain != NO_CHAIN || k->else_chain != NO_CHAIN;
	reach = !c->unreachable || joined;
	/* only the false edge of an if without else gets here */
	false_only = c->unreachable && k->end_chain == NO_CHAIN && k->else_chain != NO_CHAIN;
	chain_bind(c, &k->end_chain, x64_pos(c->b));
	chain_bind(c, &k->else_chain, x64_pos(c->b));
	reset_stack(c, k->height, k->nresults, k->results);
	c->csp--;
	c->unreachable = !reach;
	if (k->kind == CTL_LOOP && !k->outer && c->ms->nloops < LAYOUT_LOOPS)
	{
		modstate   *ms = c->ms;

		ms->loop_lo[ms->nloops] = k->loop_pos - ms->func_start;
		ms->loop_calls[ms->nloops] = ms->nfix != k->loop_fix;
		ms->loop_hi[ms->nloops++] = (uint32_t) x64_pos(c->b) - ms->func_start;
	}
	cg_fuel_end(c, k, joined, false_only);
	if (SF_UNLIKELY(c->pc == c->regs_at))
		local_regs_here(c);
}

/* ---- calls ------------------------------------------------------------------- */

/*
** Common part of every call: write the arguments to the outgoing slots,
** spill everything else (all registers are caller-saved), and after the
** caller-provided 'emit' sequence load the results.
*/
static void
call_prepare(cstate *c, const sf_functype *ft, uint32_t extra_below)
{
	uint32_t	np = ft->nparams;
	uint32_t	base = c->sp - extra_below - np;

	need_out(c, np > ft->nresults ? np : ft->nresults);
	for (uint32_t i = 0; i < np; i++)
		cg_store_to(c, &c->vs[base + i], base + i, x64_m(X64_RSP, 8 * (int32_t) i));
}

static void
pop_args(cstate *c, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
	{
		sval		v = cg_pop(c);

		cg_release(c, &v);
	}
}

/*
** call_prepare and pop_args of a direct call in one pass: each argument
** is stored to its outgoing slot and popped (a store takes no register,
** so one given back early is taken by nobody before the call).
*/
static void
call_args(cstate *c, const sf_functype *ft)
{
	uint32_t	np = ft->nparams;
	uint32_t	base;

	if (SF_UNLIKELY(c->sp < np))
	{
		cg_underflow(c);
		return;
	}
	base = c->sp - np;
	need_out(c, np > ft->nresults ? np : ft->nresults);
	for (uint32_t i = 0; i < np; i++)
	{
		const sval *v = &c->vs[base + i];

		cg_store_to(c, v, base + i, x64_m(X64_RSP, 8 * (int32_t) i));
		cg_release(c, v);
	}
	c->sp = base;
	if (c->clean > base)
		c->clean = base;
}

/* The results onto the value stack: the first from rax or xmm0 if in_reg. */
static void
call_results(cstate *c, const sf_functype *ft, bool in_reg)
{
	for (uint32_t i = 0; i < ft->nresults; i++)
	{
		uint8_t		t = (uint8_t) ft->results[i];
		int			r = cg_alloc(c, t);

		if (i == 0 && in_reg)
		{
			if (is_float(t))
				x64_movs_rr(c->b, is_wide(t), r, 0);
			else
				x64_mov_rr(c->b, is_wide(t), r, X64_RAX);
		}
		else if (is_float(t))
			x64_movs_rm(c->b, is_wide(t), r, x64_m(X64_RSP, 8 * (int32_t) i));
		else
			x64_mov_rm(c->b, is_wide(t), r, x64_m(X64_RSP, 8 * (int32_t) i));
		cg_push_reg(c, t, r);
	}
}

/*
** Around a call to a wasm function (which may use it for values): the
** float local kept in caller-saved xmm7 (the last local given a
** register, choose_local_regs) to its frame slot and back.
*/
static inline void
move_caller_saved_locals(cstate *c, bool save)
{
	uint32_t	l;

	if (SF_LIKELY(!(c->xlocals & ~X64_FLOAT_LOCAL_SET)))
		return;
	l = c->reglocals[c->nreglocals - 1];
	if (save)
		x64_movs_mr(c->b, 1, x64_m(X64_RBP, c->loff[l]), c->lreg[l]);
	else
		x64_movs_rm(c->b, 1, c->lreg[l], x64_m(X64_RBP, c->loff[l]));
}

/* rax = sf_func *: switch context, call, restore ours. */
static void
call_through_func(cstate *c)
{
	x64_mov_rm(c->b, 1, X64_CTX, x64_m(X64_RAX, SF_OFF_FUNC_CTX));
	x64_mov_rm(c->b, 1, X64_MEM, x64_m(X64_CTX, SF_OFF_VM_MEM_BASE));
	x64_call_m(c->b, x64_m(X64_RAX, SF_OFF_FUNC_CODE));
	x64_mov_rm(c->b, 1, X64_CTX, x64_m(X64_RBP, X64_FRAME_CTX));
	x64_mov_rm(c->b, 1, X64_MEM, x64_m(X64_CTX, SF_OFF_VM_MEM_BASE));
}

void
cg_call(cstate *c, uint32_t func)
{
	const sf_functype *ft = sf_module_functype(c->m, func);

	if (c->unreachable)
		return;
	cg_fuel_flush(c);
	cg_fuel_may_trap(c);
	call_args(c, ft);
	cg_spill_all(c);
	move_caller_saved_locals(c, true);
	if (func < c->m->nfunc_imports)
	{
		x64_mov_rm(c->b, 1, X64_RAX, x64_m(X64_CTX, sf_vm_func_off(c->m, func)));
		call_through_func(c);
	}
	else
	{
		modstate   *ms = c->ms;

		if (ms->nfix == ms->capfix)
		{
			uint32_t	ncap = ms->capfix ? ms->capfix * 2 : 64;
			call_fixup *nf = cg_realloc(ms, ms->fix, ms->capfix * sizeof(call_fixup),
											ncap * sizeof(call_fixup));

			if (nf == NULL)
			{
				cg_fail(c, SF_NOMEM, "out of memory");
				return;
			}
			ms->fix = nf;
			ms->capfix = ncap;
		}
		{
			call_fixup *f = &ms->fix[ms->nfix++];

			f->at = (uint32_t) cg_call32(c);
			f->callee = func - c->m->nfunc_imports;
			f->pay.site = cg_fuel_call_site(c);
		}
	}
	move_caller_saved_locals(c, false);
	call_results(c, ft, func >= c->m->nfunc_imports);
}

void
cg_call_indirect(cstate *c, uint32_t type, uint32_t table)
{
	const sf_functype *ft = &c->m->types[type];
	sval		idx;

	if (c->unreachable)
		return;
	cg_fuel_flush(c);
	cg_fuel_may_trap(c);
	call_prepare(c, ft, 1);
	idx = cg_pop(c);
	cg_load_scratch(c, &idx, c->sp, X64_RCX);
	cg_release(c, &idx);
	pop_args(c, ft->nparams);
	/* spilling uses only rax: the index survives in rcx */
	cg_spill_all(c);
	x64_mov_rm(c->b, 1, X64_RAX, x64_m(X64_CTX, sf_vm_table_off(c->m, table)));
	x64_alu_rm(c->b, X64_CMP, 0, X64_RCX, x64_m(X64_RAX, SF_OFF_TABLE_SIZE));
	cg_trap_if(c, X64_CC_AE, SF_TRAP_UNDEFINED_ELEMENT);
	x64_mov_rm(c->b, 1, X64_RAX, x64_m(X64_RAX, SF_OFF_TABLE_ELEMS));
	x64_mov_rm(c->b, 1, X64_RAX, x64_mx(X64_RAX, X64_RCX, 8, 0));
	x64_test_rr(c->b, 1, X64_RAX, X64_RAX);
	cg_trap_if(c, X64_CC_E, SF_TRAP_UNINIT_ELEMENT);
	x64_alu_mi(c->b, X64_CMP, 0, x64_m(X64_RAX, SF_OFF_FUNC_TYPE_ID),
			   (int32_t) c->ms->type_ids[type]);
	cg_trap_if(c, X64_CC_NE, SF_TRAP_INDIRECT_MISMATCH);
	move_caller_saved_locals(c, true);
	call_through_func(c);
	move_caller_saved_locals(c, false);
	call_results(c, ft, false);
}

/* ---- functions ------------------------------------------------------------------ */

/*
** The per-local arrays of a function, carved from one buffer that the
** module state keeps for the next function: a module of many small
** functions spent 2-3% of its compile in malloc and free.
*/
static bool
take_local_arrays(cstate *c)
{
	modstate   *ms = c->ms;
	size_t		n = c->nlocals ? c->nlocals : 1;
	size_t		need = n * (sizeof(uint64_t) + sizeof(int32_t) + sizeof(sf_valtype) + sizeof(int8_t));

	if (need > ms->lcap)
	{
		void	   *nb = cg_realloc(ms, ms->lbuf, ms->lcap, need);

		if (nb == NULL)
			return false;
		ms->lbuf = nb;
		ms->lcap = need;
	}
	c->lhead = ms->lbuf;
	c->loff = (int32_t *) (c->lhead + n);
	c->ltype = (sf_valtype *) (c->loff + n);
	c->lreg = (int8_t *) (c->ltype + n);
	return true;
}

static sf_status
setup_locals(cstate *c, const sf_code *code)
{
	uint32_t	np = c->ft->nparams;
	uint32_t	k = np;

	c->nlocals = np + code->nlocals;
	c->ndecl = code->nlocals;
	if (!take_local_arrays(c))
		return cg_fail(c, SF_NOMEM, "out of memory");
	for (uint32_t i = 0; i < np; i++)
	{
		c->ltype[i] = c->ft->params[i];
		c->loff[i] = X64_FRAME_ARGS + 8 * (int32_t) i;
	}
	for (uint32_t r = 0; r < code->nruns; r++)
		for (uint32_t j = 0; j < code->runs[r].count && k < c->nlocals; j++, k++)
		{
			c->ltype[k] = code->runs[r].type;
			c->loff[k] = X64_FRAME_LOCALS - 8 * (int32_t) (k - np);
		}
	c->home0 = X64_FRAME_LOCALS - 8 * (int32_t) c->ndecl;
	return SF_OK;
}

/*
** Locals in registers where it pays: the hot locals the validator ranked
** (module.h) keep a register for the whole function (x64/abi.h).
*/
static const int gl_regs[X64_HOT_INT] = X64_INT_LOCAL_REGS;
static const int xl_regs[X64_HOT_FLOAT] = X64_FLOAT_LOCAL_REGS;

/* eight callee-saved float local registers and one caller-saved, the last */
_Static_assert(X64_HOT_FLOAT == 9 && X64_FLOAT_LOCAL_SET == 0xFF00,
			   "move_caller_saved_locals moves one local");

static void
give_reg(cstate *c, uint32_t l, int reg, bool fl)
{
	if (l >= c->nlocals || c->lreg[l] >= 0)
		return;
	c->lreg[l] = (int8_t) reg;
	c->reglocals[c->nreglocals++] = l;
	if (fl)
		c->xlocals |= X64_SET(reg);
	else
		c->glocals |= X64_SET(reg);
}

static sf_status
choose_local_regs(cstate *c, const sf_code *code)
{
	const uint32_t *hot = c->m->hot_pool + code->hot_off;
	uint32_t	ni = code->nhot_int < X64_HOT_INT ? code->nhot_int : X64_HOT_INT;
	uint32_t	nf = code->nhot_float < X64_HOT_FLOAT ? code->nhot_float : X64_HOT_FLOAT;

	memset(c->lreg, -1, c->nlocals ? c->nlocals : 1);
	for (uint32_t k = 0; k < ni; k++)
		give_reg(c, hot[k], gl_regs[k], false);
	for (uint32_t k = 0; k < nf; k++)
	{
		give_reg(c, hot[ni + k], xl_regs[k], true);
		/* a caller-saved one leaves the value pool (x64/abi.h) */
		if (!(X64_FLOAT_LOCAL_SET & X64_SET(xl_regs[k])))
			c->xused |= X64_SET(xl_regs[k]);
	}
	/* the callee-save area sits between the declared locals and the homes */
	c->save0 = X64_FRAME_LOCALS - 8 * (int32_t) c->ndecl;
	c->home0 = c->save0 - 8 * (int32_t) c->nreglocals;
	return SF_OK;
}

/* Parameters in registers are loaded, declared locals zeroed. */
static void
init_local_regs(cstate *c)
{
	for (uint32_t l = 0; l < c->nlocals; l++)
	{
		int			r = c->lreg[l];

		if (r < 0)
			continue;
		if (l < c->ft->nparams)
		{
			if (is_float(c->ltype[l]))
				x64_movs_rm(c->b, 1, r, x64_m(X64_RBP, c->loff[l]));
			else
				x64_mov_rm(c->b, is_wide(c->ltype[l]), r, x64_m(X64_RBP, c->loff[l]));
		}
		else if (is_float(c->ltype[l]))
			x64_sselogic_rr(c->b, X64_XORP, 0, r, r);
		else
			x64_alu_rr(c->b, X64_XOR, 0, r, r);
	}
}

static void
emit_prologue(cstate *c)
{
	x64_push(c->b, X64_RBP);
	x64_mov_rr(c->b, 1, X64_RBP, X64_RSP);
	/* sub rsp, imm32: the frame size is known only at the end */
	x64_alu_ri(c->b, X64_SUB, 1, X64_RSP, 0x7FFFFFF0);
	c->frame_patch = (uint32_t) x64_pos(c->b) - 4;
	x64_mov_rm(c->b, 1, X64_RAX, x64_m(X64_CTX, SF_OFF_VM_STORE));
	x64_alu_rm(c->b, X64_CMP, 1, X64_RSP, x64_m(X64_RAX, SF_OFF_STORE_STACK_LIMIT));
	cg_trap_if(c, X64_CC_B, SF_TRAP_STACK_EXHAUSTED);
	x64_mov_mr(c->b, 1, x64_m(X64_RBP, X64_FRAME_CTX), X64_CTX);
	if (c->ndecl > 0 && c->ndecl <= 8)
	{
		bool		zeroed = false;

		for (uint32_t j = 0; j < c->ndecl; j++)
		{
			if (c->lreg[c->ft->nparams + j] >= 0)
				continue;
			if (!zeroed)
				x64_alu_rr(c->b, X64_XOR, 0, X64_RAX, X64_RAX);
			zeroed = true;
			x64_mov_mr(c->b, 1, x64_m(X64_RBP, X64_FRAME_LOCALS - 8 * (int32_t) j), X64_RAX);
		}
	}
	else if (c->ndecl > 8)
	{
		x64_alu_rr(c->b, X64_XOR, 0, X64_RAX, X64_RAX);
		x64_lea(c->b, 1, X64_RDI, x64_m(X64_RBP, X64_FRAME_LOCALS - 8 * (int32_t) (c->ndecl - 1)));
		x64_mov_ri(c->b, 0, X64_RCX, c->ndecl);
		x64_rep_stosq(c->b);
	}
}

/* The local registers: callers' values saved, parameters loaded, declared locals zeroed. */
static void
setup_local_regs(cstate *c)
{
	move_local_regs(c, true, true);
	init_local_regs(c);
}

/*
** Where a body that starts with an early return ends it: "if (params
** compared) return (params or constants)", as in "if (n < 2) return n".
** The end of that 'if', or NULL for any other start.  Until there the
** function needs none of its local registers, so it saves and loads them
** only there (local_regs_here) and its early return restores none.
*/
static const uint8_t *
early_return_end(const cstate *c)
{
	sf_reader	r;
	uint32_t	height = 0,
				x;
	uint64_t	v;
	uint8_t		op,
				bt;
	bool		in_if = false;

	sf_rd_init(&r, c->m->bytes, (size_t) (c->pc - c->m->bytes), (size_t) (c->end - c->m->bytes));
	for (int n = 0; n < 32 && sf_rd_u8(&r, &op); n++)
	{
		if (op == 0x20)				/* local.get of a parameter */
		{
			if (!sf_rd_u32(&r, &x) || x >= c->ft->nparams)
				return NULL;
			height++;
		}
		else if (op == 0x41 || op == 0x42)	/* i32.const, i64.const */
		{
			if (!sf_rd_leb(&r, op == 0x41 ? 32 : 64, true, &v))
				return NULL;
			height++;
		}
		else if (op == 0x45 || op == 0x50)	/* eqz */
		{
			if (height < 1)
				return NULL;
		}
		else if ((op >= 0x46 && op <= 0x4F) || (op >= 0x51 && op <= 0x5A))	/* compares */
		{
			if (height < 2)
				return NULL;
			height--;
		}
		else if (op == 0x04)		/* if with no results, on the only value */
		{
			if (in_if || height != 1 || !sf_rd_u8(&r, &bt) || bt != 0x40)
				return NULL;
			in_if = true;
			height = 0;
		}
		else if (op == 0x0F)		/* return, then the end of the if */
		{
			if (!in_if || height != c->ft->nresults || !sf_rd_u8(&r, &op) || op != 0x0B)
				return NULL;
			return r.p;
		}
		else
			return NULL;
	}
	return NULL;
}

/*
** The first word of each local's local.get entry (cg_push_local, in
** cg_push_words' form), once its register is known (lreg): a lazy
** VK_LOCAL entry, or the local's register borrowed.
*/
static void
set_local_heads(cstate *c)
{
	for (uint32_t l = 0; l < c->nlocals; l++)
	{
		int			r = c->lreg[l];
		uint64_t	type = (uint64_t) (uint8_t) c->ltype[l] << 8;

		c->lhead[l] = r < 0 ? VK_LOCAL | type :
			VK_REG | type | (uint64_t) (uint8_t) r << 16 | (uint64_t) 1 << 32;
	}
}

/* The early return's 'if' has ended (cg_end): the local registers from here on. */
static void
local_regs_here(cstate *c)
{
	const sf_code *code = &c->m->codes[c->func_index - c->m->nfunc_imports];

	c->regs_at = NULL;
	choose_local_regs(c, code);
	set_local_heads(c);
	setup_local_regs(c);
}

static void
patch_frame(cstate *c)
{
	uint64_t	sz = 8 + 8ull * c->ndecl + 8ull * c->nreglocals + 8ull * c->maxsp +
		8ull * c->max_out;

	sz = (sz + 15) & ~15ull;
	if (sz > 0x40000000)
	{
		cg_fail(c, SF_LIMIT, "frame too large");
		return;
	}
	x64_patch32(c->b, c->frame_patch, (uint32_t) sz);
}

sf_status
cg_compile_function(modstate *ms, uint32_t defidx)
{
	const sf_module *m = ms->m;
	const sf_code *code = &m->codes[defidx];
	cstate		c;
	ctl		   *k;

	memset(&c, 0, sizeof(c));
	c.vs = ms->vs;
	c.vcap = ms->vcap;
	c.cs = ms->cs;
	c.ccap = ms->ccap;
	c.ms = ms;
	c.m = m;
	c.b = &ms->buf;
	c.func_index = m->nfunc_imports + defidx;
	c.ft = sf_module_functype(m, c.func_index);
	c.pc = m->bytes + code->expr_off;
	c.end = m->bytes + code->end_off;
	c.op_start = c.pc;
	c.maxsp = code->max_stack;
	cg_fuel_take(&c);
	ms->func_start = (uint32_t) x64_pos(&ms->buf);
	ms->nloops = 0;
	ms->nmap = 0;
	ms->nsites = 0;
	ms->pool_at = 0;
	if (setup_locals(&c, code) != SF_OK || choose_local_regs(&c, code) != SF_OK)
		goto out;
	k = push_ctl(&c);
	if (k == NULL)
		goto out;
	k->kind = CTL_FUNC;
	k->nresults = c.ft->nresults;
	k->results = c.ft->results;
	c.fuel.counting = m->cfg.fuel_mode != SF_FUEL_OFF;
	cg_fuel_point(&c);
	/* before the prologue, so that a direct call can skip it */
	cg_fuel_func_entry(&c, defidx);
	ms->entry_lo = (uint32_t) x64_pos(&ms->buf) - ms->func_start;
	emit_prologue(&c);
	c.regs_at = c.nreglocals > 0 ? early_return_end(&c) : NULL;
	if (c.regs_at == NULL)
		setup_local_regs(&c);
	else
	{
		/* until then, parameters are read from their slots */
		memset(c.lreg, -1, c.nlocals);
		c.nreglocals = 0;
	}
	set_local_heads(&c);
	cg_fuel_enter(&c, k);
	/* where the first branch after the prologue ends: ms->entry_hi */
	c.watch = c.nbranch + 1;
	cg_lower_body(&c);
	ms->entry_hi = (c.first_branch_end != 0 ? c.first_branch_end : (uint32_t) x64_pos(&ms->buf)) -
		ms->func_start;
	if (c.status == SF_OK && c.csp != 0)
		cg_fail(&c, SF_INVALID, "function body ends inside a block");
	cg_fuel_func_end(&c, defidx);
	emit_trap_thunks(&c);
	cg_fuel_drop_checks(&c);
	patch_frame(&c);
	cg_fuel_drop_plain(&c);
	map_finish(&c, code);
	emit_pool(&c);
out:
	ms->nkpool = 0;
	ms->vs = c.vs;
	ms->vcap = c.vcap;
	ms->cs = c.cs;
	ms->ccap = c.ccap;
	cg_fuel_give_back(&c);
	free(c.cold);
	return c.status;
}
