/*
** compile_fuel.c -- fuel accounting in the single-pass compiler.
**
** r15 holds consumed - limit (DESIGN.md, "Fuel").  Code is cut into runs;
** a run is charged once, by one 'add r15, n' at its start (its charge
** site), for operators that every path through that add is certain to
** execute unless it traps.  So every path that completes is charged
** exactly the costs of the operators it executed (the 'fuel' column of
** opcodes.h), every charge is non-negative (the counter only grows, so
** precise and slacked mode see the same sequence of counts and agree on
** out-of-fuel), and a trap in the middle of a run finds the whole run
** charged (out of fuel wins, in both modes alike).
**
** A run starts at a fuel point -- function entry, loop header, each arm
** of an if, the fall-through of a br_if, a label some branch reaches --
** and takes in the straight-line code after it.  Calls do not end a run:
** the callee charges its own runs and control comes back.  Two rules make
** runs longer than basic blocks (the post-dominance merging of the seed):
**
**  * Resume at the end of a frame.  If no branch inside a block, loop or
**    if leaves it for an outer label (or returns), the code after its end
**    runs exactly once each time the frame is entered, so it joins the
**    run that was current at the frame's entry: 'if ... end' or a loop
**    with its exits all inside costs no charge after its end.
**  * Hoist the common part of an if/else.  Each arm is headed by its own
**    charge; at the end, min(then, else) moves into the run before the if
**    and the cheaper arm's charge drops to zero (slacked mode overwrites
**    it with a NOP; precise keeps 'add r15, 0; jg', which cannot fire,
**    because the jg sits in a chain of jumps to the trap thunk).
**
** Single pass: a site's immediate is rewritten each time an operator
** joins its run, and later by the two rules above.  The add is emitted
** lazily, before the first operator that costs fuel, so a run of
** structural operators only (block, end, ...) emits nothing.  By then no
** compare result lives in the flags: a fuel point is either a label
** (canonical state, values in home slots) or follows the branch that
** consumed the flags, and structural operators do not set them.
**
**   off      nothing is emitted
**   precise  add r15, n ; jg out-of-fuel thunk of this function
**   slacked  add r15, n  (the runtime checks r15 at boundaries and from
**            the asynchronous check)
*/
#include "compile.h"

#include <assert.h>

/* A run never gets near this; splitting keeps the immediate positive. */
#define RUN_MAX 0x40000000u
/* 'add r15, imm32' is REX.W 81 /0 id: 7 bytes, the immediate last */
#define ADD_LEN 7

static bool
counting(const cstate *c)
{
	return c->m->cfg.fuel_mode != SF_FUEL_OFF;
}

static uint32_t
site_fuel(const cstate *c, uint32_t site)
{
	return site == NO_CHAIN ? 0 : x64_read32(c->b, site);
}

/* A new run starts here; its charge is emitted with its first costed op. */
void
cg_fuel_point(cstate *c)
{
	c->fuel_at = NO_CHAIN;
	c->fuel_n = 0;
	c->arm_frame = NO_CHAIN;
	c->pend_lo = NO_CHAIN;
}

static void
open_run(cstate *c)
{
	size_t		start;

	cg_materialize_flags(c);
	start = x64_pos(c->b);
	x64_alu_ri(c->b, X64_ADD, 1, X64_R15, 0x7FFFFFF0);
	assert(x64_pos(c->b) - start == ADD_LEN);
	c->fuel_at = (uint32_t) x64_pos(c->b) - 4;
	c->fuel_n = 0;
	c->ms->fuel_sites++;
	if (c->arm_frame != NO_CHAIN)
	{
		c->cs[c->arm_frame].arm_site = c->fuel_at;
		c->arm_frame = NO_CHAIN;
	}
	/* frames entered since the last fuel point, with nothing costed yet */
	for (uint32_t i = c->pend_lo; i < c->csp; i++)
		if (c->cs[i].fuel_entry == NO_CHAIN)
			c->cs[i].fuel_entry = c->fuel_at;
	c->pend_lo = NO_CHAIN;
	if (c->m->cfg.fuel_mode == SF_FUEL_PRECISE)
		cg_trap_if(c, X64_CC_G, SF_TRAP_OUT_OF_FUEL);
}

/*
** Called before operator 'op' is compiled: it joins the current run.
** Operators in unreachable code are never executed and cost nothing.
** Every decoded operator must come through here: a lowering that fuses
** several operators must call this for each one it consumes.
*/
void
cg_fuel_op(cstate *c, int op)
{
	uint32_t	cost = sf_opinfo_table[op].fuel;

	if (cost == 0 || c->unreachable || !counting(c))
		return;
	if (c->fuel_at == NO_CHAIN || c->fuel_n >= RUN_MAX)
		open_run(c);
	c->fuel_n += cost;
	x64_patch32(c->b, c->fuel_at, c->fuel_n);
}

/*
** Frame k was just pushed: the run current here is its entry run.  Right
** after a fuel point no run is open yet; the next one opened is the entry
** run (only structural operators come before it) unless another fuel
** point, such as a loop header, comes first.
*/
void
cg_fuel_enter(cstate *c, ctl *k)
{
	k->fuel_entry = c->fuel_at;
	if (c->fuel_at == NO_CHAIN && c->pend_lo == NO_CHAIN)
		c->pend_lo = c->csp - 1;
	k->esc_min = NO_CHAIN;
	k->arm_site = NO_CHAIN;
	k->then_site = NO_CHAIN;
}

/*
** An arm of the innermost frame (an if) starts: the next run opened heads
** it, unless another fuel point (a loop header, a br_if) comes first.
*/
void
cg_fuel_arm(cstate *c)
{
	ctl		   *k = &c->cs[c->csp - 1];

	if (k->kind == CTL_ELSE)
	{
		k->then_site = k->arm_site;
		k->arm_site = NO_CHAIN;
	}
	cg_fuel_point(c);
	c->arm_frame = c->csp - 1;
}

/* A reachable branch to label 'depth' (a return is the outermost label). */
void
cg_fuel_branch(cstate *c, uint32_t depth)
{
	ctl		   *in = &c->cs[c->csp - 1];
	uint32_t	target = c->csp - 1 - depth;

	if (target < in->esc_min)
		in->esc_min = target;
}

/* Set a site's charge; slacked mode turns a zero charge into a NOP. */
static void
set_site(cstate *c, uint32_t site, uint32_t n)
{
	x64_patch32(c->b, site, n);
	if (n == 0 && c->m->cfg.fuel_mode == SF_FUEL_SLACKED)
	{
		x64_nop_at(c->b, site + 4 - ADD_LEN, ADD_LEN);
		c->ms->fuel_sites--;
	}
}

/* Move what both arms of an if/else charge into the run before the if. */
static void
hoist_common(cstate *c, const ctl *k)
{
	uint32_t	t, e, m, p;

	if (k->fuel_entry == NO_CHAIN || k->then_site == NO_CHAIN ||
		k->arm_site == NO_CHAIN)
		return;
	t = site_fuel(c, k->then_site);
	e = site_fuel(c, k->arm_site);
	m = t < e ? t : e;
	p = site_fuel(c, k->fuel_entry);
	if (m == 0 || p + m >= RUN_MAX)
		return;
	x64_patch32(c->b, k->fuel_entry, p + m);
	set_site(c, k->then_site, t - m);
	set_site(c, k->arm_site, e - m);
}

/*
** Frame k (popped: it was cs[c->csp]) ends.  'joined' says some branch
** reaches its end; otherwise only the fall-through does, and the current
** run may go on.
*/
void
cg_fuel_end(cstate *c, const ctl *k, bool joined)
{
	uint32_t	index = c->csp;
	ctl		   *parent = &c->cs[index - 1];
	bool		resume;

	if (k->esc_min < parent->esc_min)
		parent->esc_min = k->esc_min;
	if (!counting(c))
		return;
	resume = k->esc_min >= index && k->fuel_entry != NO_CHAIN &&
		site_fuel(c, k->fuel_entry) < RUN_MAX;
	if (!resume && !joined)
		return;
	/* the arms' runs are over: neither can be the current run any more */
	if (k->kind == CTL_ELSE)
		hoist_common(c, k);
	if (resume)
	{
		c->fuel_at = k->fuel_entry;
		c->fuel_n = site_fuel(c, c->fuel_at);
		c->arm_frame = NO_CHAIN;
		c->pend_lo = NO_CHAIN;
	}
	else
		cg_fuel_point(c);
}
