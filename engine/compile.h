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
	uint32_t	height;			/* value-stack height below the params */
	uint32_t	nparams, nresults;
	const sf_valtype *params, *results;
	uint32_t	loop_pos;		/* CTL_LOOP: the label */
	uint32_t	loop_fix;		/* CTL_LOOP: ms->nfix at the label (a direct call inside adds) */
	uint32_t	end_chain;		/* forward jumps to the end */
	uint32_t	else_chain;		/* CTL_IF: the jump to the else arm */
	/* fuel (compile_fuel.c) */
	uint32_t	fuel_entry;		/* charge site of the run at entry, or NO_CHAIN */
	uint32_t	esc_min;		/* lowest frame index a branch inside targets */
	uint32_t	arm_site;		/* CTL_IF/ELSE: charge site heading this arm */
	uint32_t	then_site;		/* CTL_ELSE: charge site heading the then arm */
	uint32_t	comp_site;		/* CTL_LOOP: the run at entry, takes the late part back */
	uint32_t	late_n;			/* CTL_LOOP: fuel of the late part */
	bool		late;			/* CTL_LOOP: part of its body is charged late */
	uint32_t	loop_in;		/* innermost CTL_LOOP frame at or below this one, 0 if none */
	uint32_t	rot1;			/* CTL_LOOP: 1 + its frot in cstate.rots, 0 if none */
	bool		outer;			/* CTL_LOOP: a loop is nested in it */
	/* CTL_IF/ELSE: the counts when arm_site opened, to tell a plain arm */
	uint32_t	arm_branches, arm_fix, arm_sites, arm_frames;
	uint32_t	else_jcc;		/* CTL_ELSE: rel32 of the if's jcc to the else arm */
} ctl;

/*
** An if without else whose then arm never reaches its end: the run after
** the end is the else path's.  What both paths charge moves before the if
** when the function ends and every run's charge is known.
*/
typedef struct fhoist
{
	uint32_t	before;			/* the run before the if */
	uint32_t	then_site;		/* the then arm's head */
	uint32_t	else_site;		/* the run after the end, or NO_CHAIN */
} fhoist;

/*
** An arm of an if that is plain -- straight-line code from its charge to
** a 'ret' or a 'jmp' out -- whose charge slacked mode drops if it ends at
** zero (compile_fuel.c, cg_fuel_drop_plain); or an else arm, which only
** the if's jcc enters, whose emptied charge that jcc can jump past.
*/
typedef struct fplain
{
	uint32_t	site;			/* the arm's charge */
	uint32_t	end;			/* the end of its code, or 0: an else arm (below) */
	uint32_t	jmp;			/* rel32 of the jmp that ends it, or NO_CHAIN;
								 * an else arm: of the if's jcc to it */
} fplain;

/*
** A loop whose header charge may move onto the edges that enter it: the
** run before the loop and the runs that end in a 'br' back to it
** (compile_fuel.c, "rotate").
*/
typedef struct frot
{
	uint32_t	pre;			/* the run before the loop (its comp_site) */
	uint32_t	header;			/* the header run's charge, set at the end */
	uint32_t	edges;			/* branches to the loop's label */
	uint32_t	absorbed;		/* of them, 'br's whose run can take the header */
	uint32_t	pos;			/* the loop's label */
	uint32_t	end;			/* where the loop's code ends */
} frot;

/* Innermost loops a function's placement considers (compile_module.c). */
#define LAYOUT_LOOPS 32

#define FUEL_ROTS 64
#define FUEL_REDGES 128

/* A run ending in a 'br' back to the loop of rots[rot]. */
typedef struct fedge
{
	uint32_t	rot;
	uint32_t	site;
	uint32_t	jmp;			/* rel32 of its jmp to the label, or NO_CHAIN */
} fedge;

/* A late loop's exit by br_if that must charge 'fix' on the way out. */
typedef struct fstub
{
	uint32_t	at;				/* rel32 of the jcc */
	uint32_t	fix;			/* fuel to charge */
	uint32_t	target;			/* frame index of the label */
	uint32_t	owner;			/* loop frame at whose end the stub goes */
} fstub;

typedef struct call_fixup
{
	uint32_t	at;				/* rel32 field */
	uint32_t	callee;			/* defined-function index */
	uint32_t	site;			/* the caller's run, to pay the callee's entry run */
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
	uint64_t	fuel_sites;		/* charge instructions left in the code */
	uint32_t   *entry_site;		/* each function's entry charge, or NO_CHAIN */
	uint8_t    *entry_len;		/* its length: what a direct call skips */
	sf_error   *err;
	/* a function's arrays, handed on to the next one (no malloc per function) */
	sval	   *vs;
	uint32_t	vcap;
	ctl		   *cs;
	uint32_t	ccap;
	void	   *lbuf;			/* loff, ltype and lreg of every local */
	size_t		lcap;
	/* a function's loops that may rotate (compile_fuel.c); more go unrotated */
	frot		rots[FUEL_ROTS];	/* by start */
	fedge		redges[FUEL_REDGES];	/* their back edges' runs */
	uint32_t	rorder[FUEL_ROTS];	/* those that rotate, in the order they ended */
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
	uint32_t	fuel_at;		/* imm32 of the current run's charge, or NO_CHAIN */
	uint32_t	fuel_fast;		/* fuel_at when no late part goes on, else NO_CHAIN */
	uint32_t	fuel_n;			/* fuel units in the current run */
	bool		fuel_dirty;		/* fuel_n not yet written to the charge at fuel_at */
	uint32_t	arm_frame;		/* if frame whose arm the next run heads, or NO_CHAIN */
	uint32_t	pend_lo;		/* frames from here up take the next run as entry run */
	uint32_t	late_loop;		/* loop whose late part the current run is, or NO_CHAIN */
	uint32_t	entry_at;		/* this function's entry charge, or NO_CHAIN */
	fhoist	   *hoists;			/* if-without-else hoists, done at the end */
	uint32_t	nhoists, caphoists;
	uint32_t	pend_hoist;		/* hoist whose else run the next run is, or NO_CHAIN */
	fplain	   *plains;			/* plain arms (cg_fuel_drop_plain) */
	uint32_t	nplains, capplains;
	size_t		ret_end;		/* where the last 'ret' emit_return wrote ends */
	uint32_t   *zcand;			/* charges that may end at zero (cg_fuel_func_end) */
	uint32_t	nzcand, capzcand;
	bool		counting;		/* fuel mode is not off */
	uint32_t	late_open;		/* loops turned late whose frame is open */
	bool		precise;		/* fuel_mode is precise (cg_fuel_func_entry) */
	fstub	   *stubs;
	uint32_t	nstubs, capstubs;
	uint32_t	nrots, nredges, nrorder;	/* used of ms->rots, redges, rorder */
	uint32_t	redge_new1;		/* 1 + the fedge whose jmp comes next, or 0 */
	uint32_t	fix0;			/* this function's first call fixup */

	const uint8_t *pc, *end;
	const uint8_t *op_start;
	sf_status	status;
	sval		underflow;		/* what cg_pop_ref returns on an underflow */
} cstate;

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

/* compile_fuel.c */
void		cg_fuel_sync(cstate *c);
void		cg_fuel_point(cstate *c);
void		cg_fuel_op_slow(cstate *c, uint32_t cost);

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
	k->fuel_entry = c->fuel_at;
	if (c->fuel_at == NO_CHAIN && c->pend_lo == NO_CHAIN)
		c->pend_lo = c->csp - 1;
	k->esc_min = NO_CHAIN;
	k->arm_site = NO_CHAIN;
	k->then_site = NO_CHAIN;
}
void		cg_fuel_arm(cstate *c);
void		cg_fuel_arm_done(cstate *c, const ctl *k);
void		cg_fuel_else_done(cstate *c, const ctl *k);
void		cg_fuel_drop_plain(cstate *c);
uint32_t	cg_fuel_br(cstate *c, uint32_t depth);
void		cg_fuel_br_jumped_slow(cstate *c);
void		cg_fuel_end(cstate *c, const ctl *k, bool joined, bool false_only);
void		cg_fuel_flush_slow(cstate *c);

/*
** A call or a nested frame ends a loop's late part.  Inline, the common
** case: no late part; nothing is read or written, so no cg_fuel_sync.
*/
static inline void
cg_fuel_flush(cstate *c)
{
	if (c->late_loop != NO_CHAIN)
		cg_fuel_flush_slow(c);
}
void		cg_fuel_func_entry(cstate *c, uint32_t defidx);
void		cg_fuel_func_end(cstate *c);
uint32_t	cg_fuel_call_site(cstate *c);
sf_status	cg_fuel_link_calls(modstate *ms, const uint32_t *func_off);
void		cg_fuel_loop(cstate *c);
uint32_t	cg_fuel_jump(cstate *c, uint32_t depth);

/* The br's jmp is emitted: a back edge that took a header notes it. */
static inline void
cg_fuel_br_jumped(cstate *c)
{
	if (c->redge_new1)
		cg_fuel_br_jumped_slow(c);
}
void		cg_fuel_charge(cstate *c, uint32_t n);
void		cg_fuel_stub(cstate *c, size_t at, uint32_t fix, uint32_t depth);
void		cg_fuel_after_br_if(cstate *c, uint32_t depth);

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
/* sf_opinfo_table[op].fuel, read per operator without the GOT */
extern uint8_t cg_op_fuel[SF_OP_COUNT] __attribute__((visibility("hidden")));

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

/* A run never gets near this; splitting keeps a charge positive. */
#define FUEL_RUN_MAX 0x40000000u

/*
** Called before operator 'op' is compiled: it joins the current run
** (compile_fuel.c).  Inline, the common case: an open ordinary run takes
** the operator's cost into its charge, in fuel_n only; the charge's imm32
** in the code is brought up to date at the start of every cg_fuel_*
** function, the only code that reads or writes charges (a store into the
** code after each operator cost 2% of the compile, and with it every
** field of the cstate had to be reloaded).
*/
static inline void
cg_fuel_op(cstate *c, int op)
{
	uint32_t	cost = cg_op_fuel[op];

	/*
	** reachable code only (cg_op); a run is open only when counting: no
	** test of 'counting' here
	*/
	if (c->fuel_fast != NO_CHAIN && c->fuel_n < FUEL_RUN_MAX)
	{
		/*
		** written to the code by the next cg_fuel_* call (cg_fuel_sync); a
		** cost of 0 only has the charge rewritten with what it holds
		*/
		c->fuel_n += cost;
		c->fuel_dirty = true;
		return;
	}
	if (cost == 0 || !c->counting)
		return;
	cg_fuel_op_slow(c, cost);
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
