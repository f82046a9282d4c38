/*
** compile.h -- the single-pass wasm -> x86-64 compiler's types and
** functions; their inline fast paths are in compile_inline.h.
**
** compile.c owns the abstract value stack, register allocation, control
** flow, calls and one function from start to end; compile_ops.c decodes
** and dispatches the operators (the one dispatch) and lowers the
** integer, memory, table and variable ones; compile_float.c the float
** ones; compile_fuel.c plans fuel; compile_module.c drives a module
** (threads, layout, linking).  The lowering knows wasm and x86;
** x64/emit.c knows bytes.
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

#include "codemap.h"
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

/* A use of the constant pool: the rel32 field at 'at' reads entry 'idx'. */
typedef struct pool_fix
{
	uint32_t	at;
	uint32_t	idx;
} pool_fix;

/*
** A branch to trap code, bound when the function ends (emit_trap_thunks):
** its rel32 field, the trap kind (or TRAP_IN_EAX, compile.c) and the
** module offset of its operator.
*/
typedef struct trap_site
{
	uint32_t	field;
	uint32_t	wasm;
	uint32_t	kind;
	uint32_t	ahead;			/* what the counter stands ahead there (sf_fuel_ahead) */
} trap_site;

/* Per-module compile state that outlives one function. */
typedef struct modstate
{
	const sf_module *m;
	bool		bounds_checked; /* memory accesses check their bounds */
	bool		avx;			/* the CPU has AVX: three-operand float forms */
	x64_buf		buf;
	const sf_stubs *stubs;
	uint32_t   *type_ids;
	call_fixup *fix;
	uint32_t	nfix, capfix;
	fuel_module fuel;			/* fuel planning's (compile_fuel.c) */
	sf_error   *err;
	/*
	** One malloc'ed block that the thread's growing arrays start in
	** (compile_module.c, presize); an array that outgrows its part moves
	** to a malloc of its own (cg_realloc), and cg_free frees only those.
	*/
	uint8_t    *scratch;
	size_t		scratch_len;
	/* a function's arrays, handed on to the next one (no malloc per function) */
	sval	   *vs;
	uint32_t	vcap;
	ctl		   *cs;
	uint32_t	ccap;
	void	   *lbuf;			/* lhead, loff, ltype and lreg of every local */
	size_t		lcap;
	/* a function's innermost loops: [loop_lo, loop_hi) from its start */
	uint32_t	func_start;
	uint32_t	nloops;
	uint32_t	loop_lo[LAYOUT_LOOPS], loop_hi[LAYOUT_LOOPS];
	uint8_t		loop_calls[LAYOUT_LOOPS];	/* it makes a direct call */
	/* the code a direct call runs first: from its target to the first branch */
	uint32_t	entry_lo, entry_hi;
	/*
	** A function's float constants: the pool after its code (8 bytes an
	** entry), and the instructions that read it (RIP-relative)
	*/
	uint64_t   *kpool;
	uint32_t	nkpool, capkpool;
	pool_fix   *kfix;
	uint32_t	nkfix, capkfix;
	/*
	** Where the finished function's pool starts in the buffer (0: it has
	** none); its uses stay in kfix until the function has its place
	** (cg_pool_realign)
	*/
	uint32_t	pool_at;
	/*
	** The code map (codemap.h): the points of the function being compiled
	** (cg_map_note), where its trap thunks start, and the encoded maps of
	** this thread's functions, the last one's at [map_lo, map_hi).
	*/
	sf_codemap_point *map;
	uint32_t	nmap, capmap;
	uint32_t	thunks_at;
	/* the function's trap branches, in code order (cg_trap_if) */
	trap_site  *sites;
	uint32_t	nsites, capsites;
	sf_codemap_buf maps;
	uint32_t	map_lo, map_hi;
	/* this thread's ranges where the counter runs ahead (unrolled loops) */
	sf_fuel_ahead *ahead;
	uint32_t	nahead, capahead;
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
	/* the first word of each local's local.get entry (cg_push_local), from lreg */
	uint64_t   *lhead;
	uint32_t	reglocals[X64_HOT_INT + X64_HOT_FLOAT];	/* the locals that have one */
	uint32_t	nreglocals;
	int32_t		save0;			/* rbp offset of the callee-save area */
	x64_regset	glocals, xlocals;	/* registers holding locals */
	const uint8_t *regs_at;		/* local registers set up once here (or NULL) */

	sval	   *vs;
	uint32_t	sp, vcap;
	/* home slots in the frame: the validator's deepest operand stack
	** (sf_code.max_stack), which the compiler's, never pushing in
	** unreachable code, does not exceed; no maximum kept per push */
	uint32_t	maxsp;
	ctl		   *cs;
	uint32_t	csp, ccap;
	uint32_t	frames;			/* frames pushed so far */
	/* the dispatch tests them at once: 'slow' is zero in the common case */
	union
	{
		struct
		{
			bool		unreachable;
			/*
			** at least the number of VK_FLAGS entries on the stack (0 or
			** 1): a pop leaves it alone (one test fewer per pop), but the
			** operators that use a compare on top take it off
			** (cg_flags_popped); cg_materialize_flags, which emits nothing
			** when there are none, sets it right
			*/
			uint8_t		nflags;
			/* cg_fail was called: the dispatch stops (and nothing clears it) */
			bool		failed;
			/*
			** fuel planning's: the next operator that costs goes to
			** cg_fuel_op_slow (compile_fuel.c), not only into the run
			*/
			bool		fuel_wait;
		};
		uint64_t	slow;		/* its other bytes stay zero; 8 wide, one
								 * compare with memory */
	};
	uint32_t	clean;			/* entries below are VK_MEM or VK_CONST */
	/* ZF still says whether register zf_reg (width zf_w) is zero, if the
	** code position is still zf_pos */
	size_t		zf_pos;
	int			zf_reg, zf_w;

	x64_regset	gused, xused;	/* registers held by values */
	uint32_t	max_out;		/* outgoing slots needed */
	uint32_t	frame_patch;	/* imm32 of 'sub rsp, frame' */
	/* conversions whose rare case is out of line, after the code */
	struct cold_conv *cold;
	uint32_t	ncold, capcold;
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

/* compile.c: the value stack and registers (fast paths: compile_inline.h) */
int			cg_alloc_gpr_slow(cstate *c);
int			cg_alloc_xmm_slow(cstate *c);
bool		cg_grow_stack(cstate *c);
sval		cg_underflow(cstate *c);
sval	   *cg_underflow_ref(cstate *c);
void		cg_home_overflow(cstate *c);
int			cg_to_reg(cstate *c, sval *v);
void		cg_materialize_flags_slow(cstate *c);
void		cg_spill_entries(cstate *c);
void		cg_load_any(cstate *c, const sval *v, uint32_t depth, int reg);
void		cg_store_any(cstate *c, const sval *v, uint32_t depth, x64_mem dst);
void		cg_local_readers(cstate *c, uint32_t local);
void		cg_test_zero(cstate *c, int w, int reg);
void		cg_save_local_regs(cstate *c);
void		cg_restore_local_regs(cstate *c);

/*
** compile.c: the constant pool.  An instruction that reads constant 'bits'
** (8 bytes; an f32's in the low 4) is emitted with CG_POOL as its memory
** operand, which must be its last 4 bytes (no immediate after it), and
** cg_pool_use is called right after it.  The pool follows the function's
** code, with 8 more bytes after its last entry, so that a 16-byte read of
** any entry stays inside.  cg_pool_zero: whether 'bits' is +0.0, which a
** register gets by xorps instead.  cg_pool_realign: the function just
** compiled has moved up by 'shift' bytes to its start (compile_module.c);
** its pool moves on to an 8-byte boundary.  Returns the bytes that added.
*/
#define CG_POOL		x64_m(X64_RIP, 0)
void		cg_pool_use(cstate *c, uint64_t bits);
void		cg_load_fconst(cstate *c, int dbl, int xmm, uint64_t bits);
size_t		cg_pool_realign(modstate *ms, size_t shift);

/* compile.c: the code map (the note itself: compile_inline.h) */
bool		cg_map_grow(cstate *c);
void	   *cg_realloc(const modstate *ms, void *p, size_t old, size_t size);
void		cg_free(const modstate *ms, void *p);

/* compile.c: traps and C helpers */
void		cg_trap_if(cstate *c, x64_cc cc, sf_trap_kind kind);
void		cg_trap_now(cstate *c, sf_trap_kind kind);

/*
** Call C helper 'fn' (System V): the own context, then the 'nimm'
** constants, then the top 'nargs' values of the stack; with 'traps' a
** non-zero return is a trap kind; a 'result_type' result is pushed.  The
** one place JIT code calls into the runtime's C helpers.
*/
void		cg_call_helper(cstate *c, void *fn, int nargs, const int64_t *immargs,
						   int nimm, bool traps, int result_type);

/* compile.c: control operators and calls */
void		cg_block(cstate *c);
void		cg_loop(cstate *c);
void		cg_if(cstate *c);
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
** One defined function into ms->buf at its current position (the driver,
** compile_module.c, aligns it).  The code refers to nothing outside the
** function but through absolute addresses and the call fixups it adds to
** ms->fix, so it may be moved as a whole before the calls are linked.
*/
sf_status	cg_compile_function(modstate *ms, uint32_t defidx);

/*
** compile.c: what fuel planning asks of the target.  Code offsets are
** opaque to it: it compares them and hands them back.
*/
/* cg_pos, the code offset here: inline (compile_inline.h) */
/*
** A charge here, its site's offset: checked in precise mode (an add, then
** its test).  cg_charge_open is inline (compile_inline.h), and calls
** cg_charge_checked for a checked one, no compare result in the flags.
*/
uint32_t	cg_charge_checked(cstate *c);
/* A charge here that leaves the flags alone, never checked */
uint32_t	cg_charge_lea(cstate *c);
/* Write the n sites at s into the code, each in its form (all one length). */
void		cg_charges_write(modstate *ms, const fuel_site *s, uint32_t n);
/* The checked charge at 'at' (dropped: a NOP) loses its check too. */
void		cg_charge_uncheck(modstate *ms, uint32_t at);
/* The branch at 'jump', if it goes to the charge at 'at', goes past it. */
void		cg_jump_past_charge(modstate *ms, uint32_t jump, uint32_t at);
/*
** The charge at 'at' leaves the code: what follows it up to 'end' moves up
** over it, and 'jump', the branch that ends that code (or NO_SITE),
** still reaches its target.  'since': the mark made just after the charge.
*/
void		cg_charge_remove(modstate *ms, uint32_t at, uint32_t end, uint32_t jump,
							 const cg_mark *since);
/*
** A loop's entry slot before its label (cg_charge_skip_slot, inline in
** compile_inline.h), and how it is written: a jump past the charge at the
** label (with its check, 'checked'), bytes that join that charge, or a NOP
** (fuel_skip_form).
*/
void		cg_charge_skip_write(modstate *ms, uint32_t slot, fuel_skip_form how, bool checked);
/*
** Whether the code has stayed plain since a mark (see cg_mark; the mark:
** cg_mark_here, compile_inline.h).
*/
bool		cg_plain_since(const cstate *c, const cg_mark *m, uint32_t *jump);
/*
** A charge of -n here, written now, that leaves the flags alone: an
** unrolled loop's way out giving back the copies it skipped.
*/
void		cg_charge_back(cstate *c, uint32_t n);
/* A jump forward, to be bound; binding a jump or branch to here. */
uint32_t	cg_jump_fwd(cstate *c);
void		cg_bind_here(cstate *c, uint32_t jump);

/* compile_fuel.c: fuel planning (fast paths: compile_inline.h) */
void		cg_fuel_sync(cstate *c);
void		cg_fuel_point(cstate *c);
void		cg_fuel_op_slow(cstate *c, uint32_t cost, bool traps);
void		cg_fuel_take(cstate *c);
void		cg_fuel_give_back(cstate *c);
void		cg_fuel_free(modstate *ms);
void		cg_fuel_func_entry(cstate *c, uint32_t defidx);
void		cg_fuel_func_end(cstate *c, uint32_t defidx);
void		cg_fuel_loop(cstate *c);
void		cg_fuel_arm(cstate *c);
void		cg_fuel_else(cstate *c, ctl *k);
void		cg_fuel_arm_done_slow(cstate *c, const ctl *k);
void		cg_fuel_else_done(cstate *c, const ctl *k, uint32_t branch);
void		cg_fuel_end(cstate *c, ctl *k, bool joined, bool false_only);
void		cg_fuel_flush_slow(cstate *c);
uint32_t	cg_fuel_jump_slow(cstate *c, uint32_t target, bool conditional);
uint32_t	cg_fuel_br(cstate *c, uint32_t depth);
void		cg_fuel_br_jumped_slow(cstate *c, uint32_t jump);
void		cg_fuel_after_br_if(cstate *c, uint32_t depth);
void		cg_fuel_charge(cstate *c, uint32_t n);
void		cg_fuel_stub(cstate *c, uint32_t branch, uint32_t fix, uint32_t depth);
void		cg_fuel_drop_plain(cstate *c);
void		cg_fuel_drop_checks(cstate *c);
void		cg_fuel_unroll_note(cstate *c);
fuel_loop_plan cg_fuel_loop_plan(cstate *c, uint32_t *from, uint32_t *copies);
void		cg_fuel_peeled(cstate *c, uint32_t at, uint32_t exit);
uint32_t	cg_fuel_unroll_ahead(const cstate *c, uint32_t copy);
void		cg_fuel_unroll_exit(cstate *c, uint32_t copy, uint32_t exit, uint32_t from);
void		cg_fuel_ahead_add(cstate *c, uint32_t lo, uint32_t hi, uint32_t n);
uint32_t	cg_fuel_call_entry(modstate *ms, uint32_t i);
void		cg_fuel_write_pays(modstate *ms);

/* compile_ops.c: decoding, the dispatch, the non-float operators */
sf_status	cg_lower_body(cstate *c);
void		cg_init_tables(void);
int			cg_lookup_prefixed(cstate *c);
uint32_t	cg_read_u32_slow(cstate *c);
uint32_t	cg_next_local_long(const cstate *c);
int64_t		cg_read_s64_slow(cstate *c);
int			cg_own(cstate *c, sval *v, uint32_t depth);
bool		cg_from_load(const uint8_t *from, const uint8_t *to);

/*
** The decoding tables, read per operator: hidden, so read directly, not
** through the GOT.
*/
extern int16_t cg_byte_ops[256] __attribute__((visibility("hidden")));
/* sf_opinfo_table[op].fuel and .trap */
extern uint8_t cg_op_fuel[SF_OP_COUNT] __attribute__((visibility("hidden")));
extern bool cg_op_traps[SF_OP_COUNT] __attribute__((visibility("hidden")));

#define CG_OP_PREFIX (-2)		/* cg_byte_ops[0xFC]: a prefixed opcode follows */

/*
** A trapping float-to-int conversion whose result was the CPU's sentinel
** (INT_MIN, or a 64-bit result out of u32's range): the branch 'jcc' goes
** out of line, where the source in xmm 'x' is checked, and back to 'back'
** when it was in range after all.
*/
typedef struct cold_conv
{
	uint32_t	jcc, back;
	const uint8_t *op_start;	/* the operator's wasm bytes */
	uint8_t		x;
	bool		src_dbl, sgn, to64;
} cold_conv;

/* compile_float.c: the float operators and conversions */
void		cg_f_cold(cstate *c);
void		cg_f_binop(cstate *c, x64_sse op, int dbl);
void		cg_f_minmax(cstate *c, bool is_min, int dbl);
void		cg_f_unop(cstate *c, int op, int dbl);
void		cg_f_copysign(cstate *c, int dbl);
void		cg_f_cmp(cstate *c, int op, int dbl);
void		cg_f_trunc(cstate *c, bool to64, bool sgn, bool src_dbl, bool sat);
void		cg_f_convert(cstate *c, int dbl, bool from64, bool sgn);
void		cg_f_demote_promote(cstate *c, bool to_dbl);
void		cg_f_reinterpret(cstate *c, uint8_t to);

#endif							/* SF_COMPILE_H */
