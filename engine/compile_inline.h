/*
** compile_inline.h -- the compiler's inline fast paths: the lowering's
** branches, the value stack and registers, the fuel hooks run per
** operator, and decoding.  Each runs once or more per operator, so it is
** inlined; its slow path is a function of compile.h.
*/
#ifndef SF_COMPILE_INLINE_H
#define SF_COMPILE_INLINE_H

#include "compile.h"

/*
** The lowering's branches.  Every one goes through these, which count it:
** fuel's plain arms (cg_plain_since) move code that holds no branch, and
** the layout weighs the code up to the first branch.  The encoder's branch
** emitters are poisoned after them, so a branch that bypasses the count
** does not compile.  Each returns the branch's field, for binding.
*/
static inline size_t
cg_branched(cstate *c, size_t field, size_t end, bool jmp32)
{
	c->nbranch++;
	c->last_branch = (uint32_t) field;
	c->last_jmp32 = jmp32;
	if (c->nbranch == c->watch)
		c->first_branch_end = (uint32_t) end;
	return field;
}

static inline size_t
cg_jmp32(cstate *c)
{
	size_t		f = x64_jmp32(c->b, 0);

	return cg_branched(c, f, f + 4, true);
}

static inline size_t
cg_jcc32(cstate *c, x64_cc cc)
{
	size_t		f = x64_jcc32(c->b, cc, 0);

	return cg_branched(c, f, f + 4, false);
}

static inline size_t
cg_call32(cstate *c)
{
	size_t		f = x64_call32(c->b, 0);

	return cg_branched(c, f, f + 4, false);
}

static inline size_t
cg_jcc8(cstate *c, x64_cc cc)
{
	size_t		f = x64_jcc8(c->b, cc);

	return cg_branched(c, f, f + 1, false);
}

static inline size_t
cg_jmp8(cstate *c)
{
	size_t		f = x64_jmp8(c->b);

	return cg_branched(c, f, f + 1, false);
}

/* A register the value owns (may be overwritten), not a local's. */
static inline bool
owned_reg(const sval *v)
{
	return v->kind == VK_REG && !v->borrowed;
}

static inline bool
is_float(uint8_t t)
{
	return t == SF_F32 || t == SF_F64;
}

static inline int
is_wide(uint8_t t)
{
	return t != SF_I32 && t != SF_F32;
}

/* A free register of the pool (inline: one usually is; else a spill). */
static inline int
cg_alloc_gpr(cstate *c)
{
	x64_regset	freeset = X64_VALUE_GPRS & ~c->gused;
	int			r;

	if (SF_UNLIKELY(freeset == 0))
		return cg_alloc_gpr_slow(c);
	r = __builtin_ctz(freeset);
	c->gused |= X64_SET(r);
	return r;
}

static inline int
cg_alloc_xmm(cstate *c)
{
	x64_regset	freeset = X64_VALUE_XMMS & ~c->xused;
	int			r;

	if (SF_UNLIKELY(freeset == 0))
		return cg_alloc_xmm_slow(c);
	r = __builtin_ctz(freeset);
	c->xused |= X64_SET(r);
	return r;
}

/* A value's register goes back to its pool (a local's stays). */
static inline void
cg_release(cstate *c, const sval *v)
{
	if (v->kind != VK_REG || v->borrowed)
		return;
	if (is_float(v->type))
		c->xused &= ~X64_SET(v->reg);
	else
		c->gused &= ~X64_SET(v->reg);
}

/* The home slot of stack index 'depth' (one check: it must be in the frame). */
static inline x64_mem
cg_home(cstate *c, uint32_t depth)
{
	if (SF_UNLIKELY(depth >= c->maxsp))
		cg_home_overflow(c);
	return x64_m(X64_RBP, c->home0 - 8 * (int32_t) depth);
}

/* Where a LOCAL or MEM value lives; 'depth' is its stack index. */
static inline x64_mem
cg_mem_of(cstate *c, const sval *v, uint32_t depth)
{
	if (v->kind == VK_LOCAL)
		return x64_m(X64_RBP, c->loff[v->local]);
	return cg_home(c, depth);
}

/* Push and pop run once or twice per operator: inline, slow paths aside. */
static inline void
cg_push(cstate *c, sval v)
{
	if (SF_UNLIKELY(c->sp == c->vcap) && !cg_grow_stack(c))
		return;
	c->vs[c->sp++] = v;
	c->nflags += v.kind == VK_FLAGS;
}

/* sval's layout, which cg_push_words writes as two little-endian words */
_Static_assert(sizeof(sval) == 16 && offsetof(sval, type) == 1 &&
			   offsetof(sval, reg) == 2 && offsetof(sval, cc) == 3 &&
			   offsetof(sval, borrowed) == 4 && offsetof(sval, imm) == 8 &&
			   offsetof(sval, local) == 8, "sval's layout");

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "cg_push_words: little-endian");

/*
** Push an entry given as two little-endian words: kind, type, reg, cc,
** borrowed in the first, imm (or the local) in the second.  Two stores,
** not a struct built and copied: constants, registers and local.get are
** most of all pushes.
*/
static inline void
cg_push_words(cstate *c, uint64_t head, uint64_t tail)
{
	uint8_t    *v;

	if (SF_UNLIKELY(c->sp == c->vcap) && !cg_grow_stack(c))
		return;
	v = (uint8_t *) &c->vs[c->sp++];
	memcpy(v, &head, 8);
	memcpy(v + 8, &tail, 8);
}

static inline void
cg_push_reg(cstate *c, uint8_t type, int reg)
{
	cg_push_words(c, VK_REG | (uint64_t) type << 8 | (uint64_t) (uint8_t) reg << 16, 0);
}

static inline void
cg_push_const(cstate *c, uint8_t type, int64_t imm)
{
	cg_push_words(c, VK_CONST | (uint64_t) type << 8, (uint64_t) imm);
}

static inline void
cg_push_flags(cstate *c, x64_cc cc)
{
	sval		v = {.kind = VK_FLAGS, .type = SF_I32, .cc = (uint8_t) cc};

	cg_push(c, v);
}

static inline int
cg_alloc(cstate *c, uint8_t type)
{
	return is_float(type) ? cg_alloc_xmm(c) : cg_alloc_gpr(c);
}

static inline sval
cg_pop(cstate *c)
{
	if (SF_UNLIKELY(c->sp == 0))
		return cg_underflow(c);
	c->sp--;
	if (c->clean > c->sp)
		c->clean = c->sp;
	return c->vs[c->sp];
}

/*
** Pop and return the entry itself, not a copy (the hot handlers: no
** 16-byte copy, no copy in their frame): it stays valid, and may be
** changed in place, until the next push, which reuses its slot.
*/
static inline sval *
cg_pop_ref(cstate *c)
{
	if (SF_UNLIKELY(c->sp == 0))
		return cg_underflow_ref(c);
	c->sp--;
	if (c->clean > c->sp)
		c->clean = c->sp;
	return &c->vs[c->sp];
}

/*
** Pop the two entries on top in place, as cg_pop_ref twice but with one
** test and one update: *b the top one, *a the one below it.
*/
static inline void
cg_pop2_ref(cstate *c, sval **a, sval **b)
{
	if (SF_UNLIKELY(c->sp < 2))
	{
		*b = cg_pop_ref(c);
		*a = cg_pop_ref(c);
		return;
	}
	c->sp -= 2;
	c->clean = c->clean < c->sp ? c->clean : c->sp;	/* a min, no branch */
	*a = &c->vs[c->sp];
	*b = *a + 1;
}

static inline sval *
cg_top(cstate *c, uint32_t k)
{
	return &c->vs[c->sp - 1 - k];
}

/*
** An operator that uses a compare result on top of the stack (if, br_if,
** i32.eqz, select, local.set, local.tee) popped 'v': if it was the flags,
** they are counted no more, so that the operators after it find nflags 0
** instead of looking for flags that are gone (flags_before).
*/
static inline void
cg_flags_popped(cstate *c, const sval *v)
{
	c->nflags -= v->kind == VK_FLAGS;
}

/* Compare results on the stack go to registers; mostly there are none. */
static inline void
cg_materialize_flags(cstate *c)
{
	if (c->nflags != 0)
		cg_materialize_flags_slow(c);
}

/*
** Load 'v' into register 'reg' (a gpr or xmm by v's type) without taking
** it from the pool: for scratch registers and fixed argument registers.
** Loads never touch the flags.  Inline, the common cases: an integer in a
** register or a frame slot (cg_load_any does the rest).
*/
static inline __attribute__((always_inline)) void
cg_load_scratch(cstate *c, const sval *v, uint32_t depth, int reg)
{
	if (!is_float(v->type))
	{
		if (v->kind == VK_REG)
		{
			if (reg != v->reg)
				x64_mov_rr(c->b, is_wide(v->type), reg, v->reg);
			return;
		}
		if (v->kind == VK_LOCAL || v->kind == VK_MEM)
		{
			x64_mov_rm(c->b, is_wide(v->type), reg, cg_mem_of(c, v, depth));
			return;
		}
	}
	cg_load_any(c, v, depth, reg);
}

/*
** Store 'v' (stack index 'depth') into 'dst'; uses rax/xmm0 as scratch.
** Inline, the common case: an integer in a register (cg_store_any does
** the rest).
*/
static inline void
cg_store_to(cstate *c, const sval *v, uint32_t depth, x64_mem dst)
{
	if (v->kind == VK_REG && !is_float(v->type))
		x64_mov_mr(c->b, is_wide(v->type), dst, v->reg);
	else
		cg_store_any(c, v, depth, dst);
}

/*
** The canonical merge state: every non-constant value in its home slot
** (cg_spill_entries).  Inline, the common case at a block, a call or a
** branch: every entry is there already (clean == sp), no call.
*/
static inline void
cg_spill_all(cstate *c)
{
	if (c->clean < c->sp)
		cg_spill_entries(c);
}

/*
** Local 'local' is about to change: values still reading it must copy
** (cg_local_readers).  Inline, the common case at a local.set: only clean
** entries, which read no local, are left.
*/
static inline void
cg_local_written(cstate *c, uint32_t local)
{
	if (c->clean < c->sp)
		cg_local_readers(c, local);
}

/*
** The local that the next operator, a "local.set L" or "local.tee L",
** writes, if L lives in a register (else -1): an operator whose result
** goes there computes it in L's register, and the set that follows finds
** L's own register on the stack and does nothing (cg_local_set).
** Called by operators that push a value, never the body's final 'end': in
** the validated body an opcode follows, and a set's index after it (no
** test against 'end', as in the decoding's fast paths).
*/
static inline int
cg_next_set_local(cstate *c)
{
	const uint8_t *p = c->pc;
	uint32_t	l;

	if ((uint8_t) (*p - 0x21) > 0x22 - 0x21)
		return -1;
	l = p[1];
	/* an index of two bytes or more: the slow path */
	if (SF_UNLIKELY(l >= 0x80))
		l = cg_next_local_long(c);
	return l < c->nlocals && c->lreg[l] >= 0 ? (int) l : -1;
}

/* Does 'v' read register local 'l'? */
static inline bool
cg_reads_local(const sval *v, int l)
{
	return v->kind == VK_REG && v->borrowed && v->local == (uint32_t) l;
}

/*
** The result of the operator goes to register local 'l' (cg_next_set_local):
** values on the stack still reading it copy it first, and 'v' becomes the
** local's own entry, to push as the result.
*/
static inline int
cg_target_local(cstate *c, sval *v, int l)
{
	cg_local_written(c, (uint32_t) l);
	v->kind = VK_REG;
	v->type = c->ltype[l];
	v->reg = (uint8_t) c->lreg[l];
	v->borrowed = 1;
	v->local = (uint32_t) l;
	return v->reg;
}

/*
** Frame k was just pushed: the run current here is its entry run.  Right
** after a fuel point no run is open yet; the next one opened is the entry
** run (only structural operators come before it) unless another fuel
** point, such as a loop header, comes first.  Inline, and no cg_fuel_sync:
** it reads and writes no charge.
*/
static inline void
cg_fuel_enter(cstate *c, ctl *k)
{
	k->fuel.entry = c->fuel.at;
	if (c->fuel.at == NO_SITE && !(c->fuel.pending & FUEL_PEND_LO) && c->fuel.counting)
	{
		c->fuel.pend_lo = c->csp - 1;
		c->fuel.pending |= FUEL_PEND_LO;
	}
	k->fuel.esc_min = NO_SITE;
	k->fuel.arm = NO_SITE;
	k->fuel.then_arm = NO_SITE;
}

/*
** A point of the code map (codemap.h): from here on, the code is that of
** the operator at module offset 'wasm' (cg_map_note: the current one).
** Points come in code order; those of one operator, and points with no
** code between them, are merged when the map is stored (sf_codemap_put).
*/
static inline void
cg_map_point(cstate *c, uint32_t wasm)
{
	modstate   *ms = c->ms;

	if (SF_UNLIKELY(ms->nmap == ms->capmap) && !cg_map_grow(c))
		return;
	ms->map[ms->nmap++] = (sf_codemap_point) {(uint32_t) x64_pos(c->b) - ms->func_start, wasm};
}

static inline void
cg_map_note(cstate *c)
{
	cg_map_point(c, (uint32_t) (c->op_start - c->m->bytes));
}

/*
** The lowering emitted code that may trap or leave JIT code (a trap check,
** a memory access, a call): what the current run charges so far is
** held, never taken back by a loop's compensation (compile_fuel.c), and
** the code map notes the operator (the PC of a fault, a return address,
** a trap's site all fall after the note, before the next one).
** Inline: a few stores, where it is emitted.
*/
static inline void
cg_fuel_may_trap(cstate *c)
{
	c->fuel.held = c->fuel.n;
	cg_map_note(c);
}

/*
** A call or a nested frame ends a loop's late part.  Inline, the common
** case: no late part; nothing is read or written, so no cg_fuel_sync.
*/
static inline void
cg_fuel_flush(cstate *c)
{
	if (c->fuel.late_loop != NO_SITE)
		cg_fuel_flush_slow(c);
}

/*
** A reachable branch to label 'depth' (a return is the outermost label) is
** about to be emitted.  Returns the fuel the jump must charge on its way:
** the late parts of the loops it leaves, executed and not yet charged.  A
** branch from a late part that stays in its loop ends the late part.  The
** loop's header charges it next when the branch goes back to the header,
** unconditionally or as the loop's last operator (its fall-through then
** charges it at the loop's end); any other such branch is followed by code
** that may trap first, so the late part is charged here, before it
** (cg_fuel_flush, which emits a charge that keeps the flags).
*/
static inline uint32_t
cg_fuel_jump(cstate *c, uint32_t depth, bool conditional)
{
	ctl		   *in = &c->cs[c->csp - 1];
	uint32_t	target = c->csp - 1 - depth;

	if (target < in->fuel.esc_min)
		in->fuel.esc_min = target;
	/*
	** Mostly nothing to do (and no site to read: no cg_fuel_sync): not
	** counting, or a target that is no loop that may rotate, and no open
	** loop turned late (so no late part either).
	*/
	if (!c->fuel.counting || ((in - depth)->fuel.rot1 == 0 && c->fuel.late_open == 0))
		return 0;
	return cg_fuel_jump_slow(c, target, conditional);
}

/*
** The arm of if frame k whose charge is its 'arm' ends here.  It is plain
** if since its charge the code holds no branch, call, nested frame or
** other charge, and it ends in a return or in its only branch, a jump
** out: nothing then holds an offset into it and nothing reaches into it
** but the way in at its head, so the code can move (cg_plain_since).
** Only slacked mode moves code; mostly other charges came since the arm's
** (inline: the cheap tests).
*/
static inline void
cg_fuel_arm_done(cstate *c, const ctl *k)
{
	if (c->fuel.slacked && k->fuel.arm != NO_SITE && c->fuel.nsites == k->fuel.arm + 1)
		cg_fuel_arm_done_slow(c, k);
}

/*
** The run that pays for a direct call made here, or NO_SITE.  Not the
** entry run: a caller's entry run would then depend on its callees', in
** cycles when they recurse.  Inline: it reads no site.
*/
static inline uint32_t
cg_fuel_call_site(const cstate *c)
{
	if (!c->fuel.counting || c->fuel.at == c->fuel.entry)
		return NO_SITE;
	return c->fuel.at;
}

/* The br's jump, at 'jump', is emitted: a back edge that took a header notes it. */
static inline void
cg_fuel_br_jumped(cstate *c, uint32_t jump)
{
	if (c->fuel.redge_new1)
		cg_fuel_br_jumped_slow(c, jump);
}

/*
** Decoding runs once per operator: fast paths for one-byte opcodes and
** one-byte LEB128 immediates.  The validator checked the body: every
** immediate lies whole before its final 'end', so the fast paths read the
** byte at pc with no test against 'end' (which cg_fail may also have cut
** short: pc then stays inside the body all the same); the slow paths keep
** theirs.
*/
static inline int
cg_lookup_op(cstate *c)
{
	int			op = cg_byte_ops[*c->pc++];

	/* one test for both the prefix and an unknown byte (-1) */
	if (SF_UNLIKELY(op < 0) && op == CG_OP_PREFIX)
		return cg_lookup_prefixed(c);
	return op;
}

static inline uint32_t
cg_read_u32(cstate *c)
{
	if (SF_LIKELY(*c->pc < 0x80))
		return *c->pc++;
	return cg_read_u32_slow(c);
}

/* Constants: one byte mostly, two (up to +-8191) inline too. */
static inline int64_t
cg_read_s64(cstate *c)
{
	const uint8_t *p = c->pc;

	if (SF_LIKELY(p[0] < 0x80))
	{
		c->pc = p + 1;
		return (int64_t) (p[0] ^ 0x40) - 0x40;
	}
	if (p[1] < 0x80)
	{
		c->pc = p + 2;
		return (int64_t) (((uint32_t) (p[0] & 0x7F) | (uint32_t) p[1] << 7) ^ 0x2000) - 0x2000;
	}
	return cg_read_s64_slow(c);
}

static inline int32_t
cg_read_s32(cstate *c)
{
	return (int32_t) cg_read_s64(c);
}

/*
** local.get: the entry's first word is kept per local (c->lhead, set
** whenever lreg is), the second is the local (imm's upper half zero).
*/
static inline void
cg_push_local(cstate *c, uint32_t l)
{
	uint64_t	head = c->lhead[l];

	/* two plain stores: GCC would pair them through an xmm register (more instructions) */
	__asm__("" : "+r"(head));
	cg_push_words(c, head, l);
}

/*
** A charge is 'add r15, imm32' (checked in precise mode by a 'jg' to the
** out-of-fuel thunk right after it), 'lea r15, [r15 + disp32]' where the
** flags must survive, or a 7-byte NOP once dropped: the same length in
** every form, so a site can change form in place (compile.c).
*/
#define CHARGE_LEN 7

/*
** Room for a charge here; its bytes come when its site is written
** (cg_charges_write).  A compare result in the flags goes to a register
** first; a checked charge is cg_charge_checked's.
*/
static inline uint32_t
cg_charge_open(cstate *c, bool checked)
{
	uint32_t	at;

	cg_materialize_flags(c);
	if (checked)
		return cg_charge_checked(c);
	at = (uint32_t) x64_pos(c->b);
	x64_skip(c->b, CHARGE_LEN);
	return at;
}

/* A loop's entry slot: room for a short jump, written by cg_charge_skip_write. */
#define SKIP_LEN 2

static inline uint32_t
cg_charge_skip_slot(cstate *c)
{
	uint32_t	at = (uint32_t) x64_pos(c->b);

	x64_skip(c->b, SKIP_LEN);
	return at;
}

/*
** cg_charge_open's common case, no compare result in the flags: an
** unchecked charge with room in the buffer takes no call at all, a
** checked one is cg_charge_checked's; false, and nothing emitted,
** otherwise (then cg_charge_open).
*/
static inline bool
cg_charge_open_quick(cstate *c, bool checked, uint32_t *at)
{
	x64_buf    *b = c->b;

	if (c->nflags != 0)
		return false;
	if (checked)
	{
		*at = cg_charge_checked(c);
		return true;
	}
	if (b->p + CHARGE_LEN > b->end)
		return false;
	*at = (uint32_t) x64_pos(b);
	b->p += CHARGE_LEN;
	return true;
}

/* The code offset here (fuel planning compares them, and hands them back). */
static inline uint32_t
cg_pos(const cstate *c)
{
	return (uint32_t) x64_pos(c->b);
}

/*
** Where the code stands, to tell later whether it has stayed plain
** (cg_plain_since), and where the code map stands.
*/
static inline cg_mark
cg_mark_here(const cstate *c)
{
	return (cg_mark) {c->nbranch, c->ms->nfix, c->frames, c->ms->nmap};
}

/*
** Called before operator 'op' is compiled: it joins the current run
** (compile_fuel.c).  Inline, the common case: an open ordinary run takes
** the operator's cost into fuel.n only, with no test but the dispatch's
** of 'slow', which holds fuel_wait; the site is brought up to date at the
** start of every cg_fuel_* function that reads or writes the fuel of
** sites, the only code that does (a store after each operator cost 2% of
** the compile: with it every field of the cstate had to be reloaded).
** Reachable code only (the dispatch), and counting: fuel_wait is never
** set otherwise.
*/
static inline void
cg_fuel_op(cstate *c, int op)
{
	uint32_t	cost = cg_op_fuel[op];

	/* 'slow' holds fuel_wait: after the dispatch's test of it, no test */
	if (SF_LIKELY(c->slow == 0) || !c->fuel_wait)
	{
		/* written to the site by the next cg_fuel_* call (cg_fuel_sync) */
		c->fuel.n += cost;
		return;
	}
	if (cost != 0)
		cg_fuel_op_slow(c, cost, cg_op_traps[op]);
}

#endif							/* SF_COMPILE_INLINE_H */
