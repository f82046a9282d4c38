/*
** compile.h -- internal interface of the single-pass wasm -> x86-64 compiler.
**
** compile.c owns the abstract value stack, register allocation, control
** flow, calls and the per-module driver; compile_ops.c lowers the
** individual operators.  Both know wasm and x86; x64/emit.c knows bytes.
**
** The value stack (cf. TinyCC's vtop, Lua's expdesc): every entry says
** where its value lives right now -- a constant, a register, a local
** variable (lazily, until that local is written), its own "home" stack
** slot in the frame, or the CPU flags of a compare.  Values are
** materialised only when an instruction needs them in a register.
** Registers, pools and the frame of a compiled function: x64/abi.h.
**
** Control-flow merges use one canonical state: at a label every live
** value sits in its home slot (constants may stay constants below the
** block, since no path changes them).  Branches move their carried
** values into the target's home slots.
*/
#ifndef SF_COMPILE_H
#define SF_COMPILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "compile_fuel.h"
#include "module.h"
#include "opcodes.h"
#include "runtime.h"
#include "target.h"
#include "x64/abi.h"

typedef enum vkind
{
	VK_CONST,					/* imm (raw bits for floats) */
	VK_REG,						/* reg: a gpr or an xmm, by type */
	VK_LOCAL,					/* local variable 'local' */
	VK_MEM,						/* the entry's own home slot */
	VK_FLAGS					/* CPU flags; true when 'cc' holds */
} vkind;

typedef struct sval
{
	uint8_t		kind;
	uint8_t		type;			/* sf_valtype */
	uint8_t		reg;
	uint8_t		cc;
	uint8_t		borrowed;		/* VK_REG: the register of local 'local' */
	union						/* 16 bytes in all: pushed and popped per operator */
	{
		int64_t		imm;		/* VK_CONST */
		uint32_t	local;		/* VK_LOCAL, borrowed VK_REG */
	};
} sval;

typedef enum ctlkind
{
	CTL_FUNC, CTL_BLOCK, CTL_LOOP, CTL_IF, CTL_ELSE
} ctlkind;

#define NO_CHAIN ((uint32_t) 0xFFFFFFFF)

typedef struct ctl
{
	uint8_t		kind;
	bool		dead;			/* entered in unreachable code */
	bool		outer;			/* CTL_LOOP: a loop is nested in it */
	uint32_t	height;			/* value-stack height below the params */
	uint32_t	nparams, nresults;
	const sf_valtype *params, *results;
	uint32_t	loop_pos;		/* CTL_LOOP: the label */
	uint32_t	loop_fix;		/* CTL_LOOP: ms->nfix at the label (a direct call inside adds) */
	uint32_t	loop_in;		/* innermost CTL_LOOP frame at or below this one, 0 if none */
	uint32_t	end_chain;		/* forward jumps to the end */
	uint32_t	else_chain;		/* CTL_IF: the jump to the else arm */
	uint32_t	else_branch;	/* CTL_ELSE: the if's branch to the else arm */
	fuel_frame	fuel;			/* fuel planning's (compile_fuel.c) */
} ctl;

/* Innermost loops a function's placement considers (compile_module.c). */
#define LAYOUT_LOOPS 32

typedef struct call_fixup
{
	uint32_t	at;				/* rel32 field */
	uint32_t	callee;			/* defined-function index */
	fuel_pay	pay;			/* the caller's run that pays the callee's entry run */
} call_fixup;

/* Per-module compile state that outlives one function. */
typedef struct modstate
{
	const sf_module *m;
	x64_buf		buf;
	const sf_stubs *stubs;
	uint32_t   *type_ids;
	call_fixup *fix;
	uint32_t	nfix, capfix;
	fuel_module fuel;			/* fuel planning's (compile_fuel.c) */
	sf_error   *err;
	/* a function's arrays, handed on to the next one (no malloc per function) */
	sval	   *vs;
	uint32_t	vcap;
	ctl		   *cs;
	uint32_t	ccap;
	void	   *lbuf;			/* loff, ltype and lreg of every local */
	size_t		lcap;
	/* a function's innermost loops: [loop_lo, loop_hi) from its start */
	uint32_t	func_start;
	uint32_t	nloops;
	uint32_t	loop_lo[LAYOUT_LOOPS], loop_hi[LAYOUT_LOOPS];
	uint8_t		loop_calls[LAYOUT_LOOPS];	/* it makes a direct call */
	/* the code a direct call runs first: from its target to the first branch */
	uint32_t	entry_lo, entry_hi;
} modstate;

typedef struct cstate
{
	modstate   *ms;
	const sf_module *m;
	x64_buf    *b;
	uint32_t	func_index;
	const sf_functype *ft;
	uint32_t	nlocals;		/* params + declared */
	sf_valtype *ltype;
	int32_t    *loff;			/* rbp-relative offset of each local */
	int32_t		home0;			/* rbp-relative offset of home slot 0 */
	uint32_t	ndecl;
	int8_t	   *lreg;			/* register of each local, or -1 */
	uint32_t	reglocals[X64_HOT_INT + X64_HOT_FLOAT];	/* the locals that have one */
	uint32_t	nreglocals;
	int32_t		save0;			/* rbp offset of the callee-save area */
	x64_regset	glocals, xlocals;	/* registers holding locals */

	sval	   *vs;
	uint32_t	sp, vcap;
	/* home slots in the frame: the validator's deepest operand stack
	** (sf_code.max_stack), which the compiler's, never pushing in
	** unreachable code, does not exceed; no maximum kept per push */
	uint32_t	maxsp;
	ctl		   *cs;
	uint32_t	csp, ccap;
	uint32_t	frames;			/* frames pushed so far */
	bool		unreachable;
	/* at least the number of VK_FLAGS entries on the stack (0 or 1): a pop
	** leaves it alone (one test fewer per pop); cg_materialize_flags,
	** which emits nothing when there are none, sets it right */
	uint32_t	nflags;
	uint32_t	clean;			/* entries below are VK_MEM or VK_CONST */
	/* ZF still says whether register zf_reg (width zf_w) is zero, if the
	** code position is still zf_pos */
	size_t		zf_pos;
	int			zf_reg, zf_w;

	x64_regset	gused, xused;	/* registers held by values */
	uint32_t	max_out;		/* outgoing slots needed */
	uint32_t	frame_patch;	/* imm32 of 'sub rsp, frame' */
	uint32_t	trap_chain[SF_TRAP_COUNT];
	uint32_t	dyn_trap_chain; /* trap kind in eax */
	/*
	** The branches emitted (cg_jmp32 and its kin count every one): how
	** many, the last one's field and whether it was a jmp rel32; where
	** the first one after the prologue ends (for the layout).
	*/
	uint32_t	nbranch;
	uint32_t	last_branch;
	bool		last_jmp32;
	uint32_t	watch;			/* the count at the first branch after the prologue */
	uint32_t	first_branch_end;
	size_t		ret_end;		/* where the last 'ret' emit_return wrote ends */
	fuel_func	fuel;			/* fuel planning's (compile_fuel.c) */

	const uint8_t *pc, *end;
	const uint8_t *op_start;
	sf_status	status;
	sval		underflow;		/* what cg_pop_ref returns on an underflow */
} cstate;

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

#pragma GCC poison x64_branch32 x64_jmp32 x64_jcc32 x64_call32 x64_jcc8 x64_jmp8

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

/* compile.c: value stack and registers */
int			cg_alloc_gpr_slow(cstate *c);
int			cg_alloc_xmm_slow(cstate *c);
bool		cg_grow_stack(cstate *c);
sval		cg_underflow(cstate *c);
int			cg_to_reg(cstate *c, sval *v);

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

void		cg_home_overflow(cstate *c);

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

sval	   *cg_underflow_ref(cstate *c);

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

static inline sval *
cg_top(cstate *c, uint32_t k)
{
	return &c->vs[c->sp - 1 - k];
}

void		cg_materialize_flags_slow(cstate *c);

/* Compare results on the stack go to registers; mostly there are none. */
static inline void
cg_materialize_flags(cstate *c)
{
	if (c->nflags != 0)
		cg_materialize_flags_slow(c);
}
void		cg_spill_entries(cstate *c);
void		cg_load_any(cstate *c, const sval *v, uint32_t depth, int reg);
int			cg_own(cstate *c, sval *v, uint32_t depth);
void		cg_store_any(cstate *c, const sval *v, uint32_t depth, x64_mem dst);
void		cg_local_readers(cstate *c, uint32_t local);

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

/* compile.c: traps, calls, control */
void		cg_trap_if(cstate *c, x64_cc cc, sf_trap_kind kind);
void		cg_trap_now(cstate *c, sf_trap_kind kind);
void		cg_call_helper(cstate *c, void *fn, int nargs, const int64_t *immargs,
						   int nimm, bool traps, int result_type);

void		cg_save_local_regs(cstate *c);
void		cg_test_zero(cstate *c, int w, int reg);
void		cg_restore_local_regs(cstate *c);

/*
** One defined function into ms->buf at its current position (the driver,
** compile_module.c, aligns it).  The code refers to nothing outside the
** function but through absolute addresses and the call fixups it adds to
** ms->fix, so it may be moved as a whole before the calls are linked.
*/
sf_status	cg_compile_function(modstate *ms, uint32_t defidx);

/* compile_fuel.c: fuel planning */
void		cg_fuel_sync(cstate *c);
void		cg_fuel_point(cstate *c);
void		cg_fuel_op_slow(cstate *c, uint32_t cost, bool traps);

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
	if (c->fuel.at == NO_SITE && c->fuel.pend_lo == NO_SITE)
		c->fuel.pend_lo = c->csp - 1;
	k->fuel.esc_min = NO_SITE;
	k->fuel.arm = NO_SITE;
	k->fuel.then_arm = NO_SITE;
}
void		cg_fuel_arm(cstate *c);
void		cg_fuel_arm_done(cstate *c, const ctl *k);
void		cg_fuel_else_done(cstate *c, const ctl *k, uint32_t branch);
void		cg_fuel_drop_plain(cstate *c);
uint32_t	cg_fuel_br(cstate *c, uint32_t depth);
void		cg_fuel_br_jumped_slow(cstate *c, uint32_t jump);
void		cg_fuel_end(cstate *c, const ctl *k, bool joined, bool false_only);
void		cg_fuel_flush_slow(cstate *c);

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
void		cg_fuel_func_entry(cstate *c, uint32_t defidx);
void		cg_fuel_func_end(cstate *c, uint32_t defidx);
uint32_t	cg_fuel_call_site(cstate *c);
uint32_t	cg_fuel_call_entry(modstate *ms, uint32_t i);
void		cg_fuel_write_pays(modstate *ms);
void		cg_fuel_loop(cstate *c);
uint32_t	cg_fuel_jump(cstate *c, uint32_t depth, bool conditional);

/* The br's jump, at 'jump', is emitted: a back edge that took a header notes it. */
static inline void
cg_fuel_br_jumped(cstate *c, uint32_t jump)
{
	if (c->fuel.redge_new1)
		cg_fuel_br_jumped_slow(c, jump);
}
void		cg_fuel_charge(cstate *c, uint32_t n);
void		cg_fuel_stub(cstate *c, uint32_t branch, uint32_t fix, uint32_t depth);
void		cg_fuel_after_br_if(cstate *c, uint32_t depth);

/*
** compile.c: what fuel planning asks of the target.  Code offsets are
** opaque to it: it compares them and hands them back.
*/
uint32_t	cg_pos(const cstate *c);
/* A charge here, its site's offset: checked in precise mode (an add, then its test) */
uint32_t	cg_charge_open(cstate *c, bool checked);
/* A charge here that leaves the flags alone, never checked */
uint32_t	cg_charge_lea(cstate *c);
/* Write the n sites at s into the code, each in its form (all one length). */
void		cg_charges_write(modstate *ms, const fuel_site *s, uint32_t n);
/* The branch at 'jump', if it goes to the charge at 'at', goes past it. */
void		cg_jump_past_charge(modstate *ms, uint32_t jump, uint32_t at);
/*
** The charge at 'at' leaves the code: what follows it up to 'end' moves up
** over it, and 'jump', the branch that ends that code (or NO_SITE),
** still reaches its target.
*/
void		cg_charge_remove(modstate *ms, uint32_t at, uint32_t end, uint32_t jump);
/* Where the code stands, and whether it has stayed plain since (see cg_mark). */
cg_mark		cg_mark_here(const cstate *c);
bool		cg_plain_since(const cstate *c, const cg_mark *m, uint32_t *jump);
/* A jump forward, to be bound; binding a jump or branch to here. */
uint32_t	cg_jump_fwd(cstate *c);
void		cg_bind_here(cstate *c, uint32_t jump);

/* compile_ops.c */
sf_status	cg_op_general(cstate *c, int op);
void		cg_local_set(cstate *c, uint32_t l, bool tee);
void		cg_int_binop(cstate *c, int op, int w, x64_alu alu, bool commutative);
void		cg_int_eqz(cstate *c, int w);
void		cg_int_shift(cstate *c, int op, int w, x64_shift sh);
void		cg_i32_cmp(cstate *c, int op);
void		cg_emit_load(cstate *c, int op);
void		cg_emit_store(cstate *c, int op);

void		cg_init_tables(void);
int			cg_lookup_prefixed(cstate *c);
uint32_t	cg_read_u32_slow(cstate *c);
int64_t		cg_read_s64_slow(cstate *c);

/*
** Decoding runs once per operator: inline fast paths for one-byte
** opcodes and one-byte LEB128 immediates (the validator checked them).
** The opcode table is hidden, so it is read directly, not through the GOT.
*/
extern int16_t cg_byte_ops[256] __attribute__((visibility("hidden")));
/* sf_opinfo_table[op].fuel and .trap, read per operator without the GOT */
extern uint8_t cg_op_fuel[SF_OP_COUNT] __attribute__((visibility("hidden")));
extern bool cg_op_traps[SF_OP_COUNT] __attribute__((visibility("hidden")));

#define CG_OP_PREFIX (-2)		/* cg_byte_ops[0xFC]: a prefixed opcode follows */

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
	if (c->pc < c->end && *c->pc < 0x80)
		return *c->pc++;
	return cg_read_u32_slow(c);
}

static inline int64_t
cg_read_s64(cstate *c)
{
	if (c->pc < c->end && *c->pc < 0x80)
		return (int64_t) (*c->pc++ ^ 0x40) - 0x40;
	return cg_read_s64_slow(c);
}

static inline int32_t
cg_read_s32(cstate *c)
{
	return (int32_t) cg_read_s64(c);
}

/*
** local.get: a lazy VK_LOCAL entry, or the local's register borrowed
** (imm's upper half zero under the local).
*/
static inline void
cg_push_local(cstate *c, uint32_t l)
{
	int			r = c->lreg[l];
	uint64_t	head = VK_LOCAL | (uint64_t) (uint8_t) c->ltype[l] << 8;

	if (r >= 0)
		head ^= (VK_LOCAL ^ VK_REG) | (uint64_t) (uint8_t) r << 16 | (uint64_t) 1 << 32;
	cg_push_words(c, head, l);
}


/* compile.c: control operators, called from cg_op */
void		cg_block(cstate *c, int op);
void		cg_else(cstate *c);
void		cg_end(cstate *c);
void		cg_br(cstate *c, uint32_t depth);
void		cg_br_if(cstate *c, uint32_t depth);
void		cg_jump_label(cstate *c, uint32_t index);
void		cg_br_table(cstate *c);
void		cg_return(cstate *c);
void		cg_call(cstate *c, uint32_t func);
void		cg_call_indirect(cstate *c, uint32_t type, uint32_t table);

sf_status	cg_fail(cstate *c, sf_status st, const char *fmt, ...) SF_PRINTF(3, 4);

/*
** Called before operator 'op' is compiled: it joins the current run
** (compile_fuel.c).  Inline, the common case: an open ordinary run takes
** the operator's cost into fuel.n only; the site is brought up to date at
** the start of every cg_fuel_* function, the only code that reads or
** writes sites (a store after each operator cost 2% of the compile: with
** it every field of the cstate had to be reloaded).
*/
static inline void
cg_fuel_op(cstate *c, int op)
{
	uint32_t	cost = cg_op_fuel[op];

	/*
	** reachable code only (cg_op); a run is open only when counting: no
	** test of 'counting' here
	*/
	if (c->fuel.fast != NO_SITE && c->fuel.n < FUEL_RUN_MAX)
	{
		/*
		** written to the site by the next cg_fuel_* call (cg_fuel_sync); a
		** cost of 0 only has the site rewritten with what it holds
		*/
		c->fuel.n += cost;
		if (cg_op_traps[op])
			c->fuel.held = c->fuel.n;
		c->fuel.dirty = true;
		return;
	}
	if (cost == 0 || !c->fuel.counting)
		return;
	cg_fuel_op_slow(c, cost, cg_op_traps[op]);
}

/*
** Lower one operator.  Two thirds of all operators are local.get, a
** constant, local.set or local.tee: the first ones only push a lazy entry
** and keep any flags, so they are inlined into the decoding loop; the
** sets, with no compare result pending in the flags, go straight to their
** lowering.  The next most frequent (control, i32.add/sub/and/or, the
** i32 shifts and compares, the most used loads and stores) go straight
** to theirs too, after the flags check that cg_op_general would make (a
** compare on top stays in the flags for an if, br_if or eqz): one
** dispatch instead of three.  Everything else goes through the general
** dispatch.
*/
static inline sf_status
cg_op(cstate *c, int op)
{
	/* unreachable code is never executed: it costs no fuel */
	if (c->unreachable)
		return cg_op_general(c, op);
	cg_fuel_op(c, op);
	switch (op)
	{
		case SF_OP_LOCAL_GET:
			cg_push_local(c, cg_read_u32(c));
			return c->status;
		case SF_OP_I32_CONST:
			cg_push_const(c, SF_I32, (uint32_t) cg_read_s32(c));
			return c->status;
		case SF_OP_I64_CONST:
			cg_push_const(c, SF_I64, cg_read_s64(c));
			return c->status;
		case SF_OP_LOCAL_SET:
		case SF_OP_LOCAL_TEE:
			if (c->nflags > 0)
				break;
			cg_local_set(c, cg_read_u32(c), op == SF_OP_LOCAL_TEE);
			return c->status;
		case SF_OP_IF:
		case SF_OP_BR_IF:
		case SF_OP_I32_EQZ:
			if (c->nflags > 0 && (c->sp == 0 || cg_top(c, 0)->kind != VK_FLAGS))
				cg_materialize_flags_slow(c);
			if (op == SF_OP_IF)
				cg_block(c, op);
			else if (op == SF_OP_BR_IF)
				cg_br_if(c, cg_read_u32(c));
			else
				cg_int_eqz(c, 0);
			return c->status;
		case SF_OP_I32_EQ:
		case SF_OP_I32_NE:
		case SF_OP_I32_LT_S:
		case SF_OP_I32_LT_U:
		case SF_OP_I32_GT_S:
		case SF_OP_I32_GT_U:
		case SF_OP_I32_LE_S:
		case SF_OP_I32_LE_U:
		case SF_OP_I32_GE_S:
		case SF_OP_I32_GE_U:
			cg_materialize_flags(c);
			cg_i32_cmp(c, op);
			return c->status;
		case SF_OP_BLOCK:
		case SF_OP_LOOP:
			cg_materialize_flags(c);
			cg_block(c, op);
			return c->status;
		case SF_OP_END:
			cg_materialize_flags(c);
			cg_end(c);
			return c->status;
		case SF_OP_BR:
			cg_materialize_flags(c);
			cg_br(c, cg_read_u32(c));
			return c->status;
		case SF_OP_CALL:
			cg_materialize_flags(c);
			cg_call(c, cg_read_u32(c));
			return c->status;
		case SF_OP_I32_ADD:
			cg_materialize_flags(c);
			cg_int_binop(c, op, 0, X64_ADD, true);
			return c->status;
		case SF_OP_I32_SUB:
			cg_materialize_flags(c);
			cg_int_binop(c, op, 0, X64_SUB, false);
			return c->status;
		case SF_OP_I32_AND:
			cg_materialize_flags(c);
			cg_int_binop(c, op, 0, X64_AND, true);
			return c->status;
		case SF_OP_I32_OR:
			cg_materialize_flags(c);
			cg_int_binop(c, op, 0, X64_OR, true);
			return c->status;
		case SF_OP_I32_SHL:
			cg_materialize_flags(c);
			cg_int_shift(c, op, 0, X64_SHL);
			return c->status;
		case SF_OP_I32_SHR_S:
			cg_materialize_flags(c);
			cg_int_shift(c, op, 0, X64_SAR);
			return c->status;
		case SF_OP_I32_SHR_U:
			cg_materialize_flags(c);
			cg_int_shift(c, op, 0, X64_SHR);
			return c->status;
		case SF_OP_I32_LOAD:
		case SF_OP_I64_LOAD:
		case SF_OP_I32_LOAD8_U:
			cg_materialize_flags(c);
			cg_emit_load(c, op);
			return c->status;
		case SF_OP_I32_STORE:
		case SF_OP_I64_STORE:
		case SF_OP_I32_STORE8:
			cg_materialize_flags(c);
			cg_emit_store(c, op);
			return c->status;
		default:
			break;
	}
	return cg_op_general(c, op);
}

#endif							/* SF_COMPILE_H */
