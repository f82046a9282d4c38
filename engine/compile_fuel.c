/*
** compile_fuel.c -- fuel accounting in the single-pass compiler.
**
** r15 holds consumed - limit (DESIGN.md, "Fuel").  Code is cut into runs:
** a run starts at a fuel point (function entry, loop header, a label that
** some branch reaches, the then/else arm of an if, the fall-through of a
** br_if) and extends over straight-line code until the next one.  A run
** leaves early only by a trap, so charging its whole cost once, at its
** start, charges every path that completes exactly the number of costed
** operators it executes (the 'fuel' column of opcodes.h).  Calls do not
** end a run: the callee charges its own runs and control comes back.
**
** Single pass: the run's 'add r15, imm32' is emitted with a placeholder
** and its immediate rewritten each time an operator joins the run.  The
** add is emitted lazily, just before the first operator that costs fuel,
** so a run of structural operators only (block, end, ...) emits nothing.
** By then no compare result lives in the flags: a fuel point is either a
** label (canonical state, values in home slots) or follows the branch that
** consumed the flags, and structural operators do not set them.
**
**   off      nothing is emitted
**   precise  add r15, n ; jg out-of-fuel thunk of this function
**   slacked  add r15, n  (the runtime checks r15 at boundaries and from
**            the asynchronous check)
*/
#include "compile.h"

/* A run never gets near this; splitting keeps the immediate positive. */
#define RUN_MAX 0x40000000u

static bool
counting(const cstate *c)
{
	return c->m->cfg.fuel_mode != SF_FUEL_OFF;
}

/* A new run starts here; its charge is emitted with its first costed op. */
void
cg_fuel_point(cstate *c)
{
	c->fuel_at = NO_CHAIN;
	c->fuel_n = 0;
}

static void
open_run(cstate *c)
{
	cg_materialize_flags(c);
	x64_alu_ri(c->b, X64_ADD, 1, X64_R15, 0x7FFFFFF0);
	c->fuel_at = (uint32_t) x64_pos(c->b) - 4;
	c->fuel_n = 0;
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
