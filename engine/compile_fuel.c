/*
** compile_fuel.c -- fuel accounting in the single-pass compiler.
**
** r15 holds consumed - limit (DESIGN.md, "Fuel").  Code is cut into runs;
** a run is charged once, by one 'add r15, n' at its start (its charge
** site), for operators that every path through that add is certain to
** execute unless it traps (or, for a loop's late part below, has just
** executed).  So every path that completes is charged exactly the costs
** of the operators it executed (the 'fuel' column of opcodes.h), every
** charge is non-negative (the counter only grows, so precise and slacked
** mode see the same sequence of counts and agree on out-of-fuel), and a
** trap in the middle of a run finds the whole run charged (out of fuel
** wins, in both modes alike).
**
** A run starts at a fuel point -- function entry, loop header, each arm
** of an if, the fall-through of a br_if, a label some branch reaches --
** and takes in the straight-line code after it.  Calls do not end a run:
** the callee charges its own runs and control comes back.  Five rules
** make runs longer than basic blocks (the first two are the post-dominance
** merging of the seed; the last two are at the end of this file):
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
**    because the jg sits in a chain of jumps to the trap thunk).  An if
**    without else whose then arm never reaches its end has the run after
**    its end as the other arm (fhoist, done when the function ends).
**    Charges that end at zero become NOPs only then: a later rule may
**    still add to them.
**  * Charge a loop's body late.  When the header run of a loop ends in a
**    br_if that leaves the loop, the rest of the body (the late part, up
**    to a call, a nested frame or a branch that stays in the loop) runs
**    on every iteration that goes on, so the header charges it too, for
**    the iteration before.  The run before the loop, once per entry,
**    takes it back (the compensation, in the same add: the late part is
**    cut where the compensation would go below zero, so the counter never
**    decreases); an exit further down charges what the header has not
**    (the late part so far) in a stub at the loop's end, a br or return
**    inline; the fall-through at the end charges the last iteration's.
**    A call or a nested frame flushes the late part: a 'lea' charges it
**    there (no flags touched: the flags may hold a pending compare) and
**    it leaves the header and the compensation.
**  * Rotate a loop's header charge onto its entry edges.  When every
**    branch back to a loop is a 'br' that ends a run of the body (not
**    the header's own), the header's charge moves into the run before
**    the loop and into each of those runs: each of them runs exactly once
**    per entry into the header, so every path pays the same.  A loop
**    that continues from an if arm -- quicksort's partition loop -- then
**    pays one charge per iteration instead of two.  Late loops keep
**    theirs.  Done when the function ends, after the if hoists.
**  * The caller pays the callee's entry run on a direct call.
**
** Single pass: a site's immediate is rewritten each time an operator
** joins its run, and later by the rules above.  The add is emitted
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
**
** The 'lea' charges (a flushed late part, an exit's stub) have no jg in
** precise mode either: they charge operators already executed, and the
** next checked charge or boundary sees the count they leave.
*/
#include "compile.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define RUN_MAX FUEL_RUN_MAX
/* 'add r15, imm32' is REX.W 81 /0 id: 7 bytes, the immediate last */
#define ADD_LEN 7

/* fuel_mode != SF_FUEL_OFF, kept in the cstate: one load, not three */
static bool
counting(const cstate *c)
{
	return c->counting;
}

static uint32_t
site_fuel(const cstate *c, uint32_t site)
{
	return site == NO_CHAIN ? 0 : x64_read32(c->b, site);
}

/* The current run's charge takes the fuel the inline cg_fuel_op added. */
void
cg_fuel_sync(cstate *c)
{
	if (c->fuel_dirty)
	{
		x64_patch32(c->b, c->fuel_at, c->fuel_n);
		c->fuel_dirty = false;
	}
}

/* Room for one more element in *v (capacity *cap, n used); false: failed. */
static bool
grow(void **v, uint32_t *cap, uint32_t n, size_t size, cstate *c)
{
	void	   *nv;
	uint32_t	ncap;

	if (n < *cap)
		return true;
	ncap = *cap ? 2 * *cap : 8;
	nv = realloc(*v, (size_t) ncap * size);
	if (nv == NULL)
	{
		cg_fail(c, SF_NOMEM, "out of memory");
		return false;
	}
	*v = nv;
	*cap = ncap;
	return true;
}

/* A new run starts here; its charge is emitted with its first costed op. */
void
cg_fuel_point(cstate *c)
{
	cg_fuel_sync(c);
	c->fuel_at = NO_CHAIN;
	c->fuel_fast = NO_CHAIN;
	c->fuel_n = 0;
	c->arm_frame = NO_CHAIN;
	c->pend_lo = NO_CHAIN;
	c->late_loop = NO_CHAIN;
	c->pend_hoist = NO_CHAIN;
}

static void
open_run(cstate *c)
{
	static const uint8_t add_r15[ADD_LEN] = {0x49, 0x81, 0xC7, 0, 0, 0, 0};

	cg_materialize_flags(c);
	/* 'add r15, 0', its bytes written at once: one run opens per 11 ops */
	x64_reserve(c->b, ADD_LEN);
	memcpy(c->b->p, add_r15, ADD_LEN);
	c->b->p += ADD_LEN;
	c->fuel_at = (uint32_t) x64_pos(c->b) - 4;
	c->fuel_fast = c->fuel_at;
	c->fuel_n = 0;
	c->late_loop = NO_CHAIN;
	c->ms->fuel_sites++;
	if (c->arm_frame != NO_CHAIN)
	{
		ctl		   *k = &c->cs[c->arm_frame];

		k->arm_site = c->fuel_at;
		k->arm_branches = c->b->nbranch;
		k->arm_fix = c->ms->nfix;
		k->arm_sites = (uint32_t) c->ms->fuel_sites;
		k->arm_frames = c->frames;
		c->arm_frame = NO_CHAIN;
	}
	if (c->pend_hoist != NO_CHAIN)
	{
		c->hoists[c->pend_hoist].else_site = c->fuel_at;
		c->pend_hoist = NO_CHAIN;
	}
	/* frames entered since the last fuel point, with nothing costed yet */
	for (uint32_t i = c->pend_lo; i < c->csp; i++)
		if (c->cs[i].fuel_entry == NO_CHAIN)
			c->cs[i].fuel_entry = c->fuel_at;
	c->pend_lo = NO_CHAIN;
	if (c->precise)
		cg_trap_if(c, X64_CC_G, SF_TRAP_OUT_OF_FUEL);
}

/*
** An operator of fuel 'cost' joins the current run (cg_fuel_op, compile.h,
** takes the common case inline).  Operators in unreachable code are never
** executed and cost nothing.  Every decoded operator must come through
** cg_fuel_op: a lowering that fuses several operators must call it for
** each one it consumes.
*/
void
cg_fuel_op_slow(cstate *c, uint32_t cost)
{
	cg_fuel_sync(c);
	if (cost == 0 || c->unreachable || !counting(c))
		return;
	/* the loop's entry run takes the late part back: never below zero */
	if (c->late_loop != NO_CHAIN &&
		site_fuel(c, c->cs[c->late_loop].comp_site) < cost)
		cg_fuel_point(c);
	if (c->fuel_at == NO_CHAIN || c->fuel_n >= RUN_MAX)
		open_run(c);
	c->fuel_n += cost;
	x64_patch32(c->b, c->fuel_at, c->fuel_n);
	if (c->late_loop != NO_CHAIN)
	{
		ctl		   *L = &c->cs[c->late_loop];

		x64_patch32(c->b, L->comp_site, site_fuel(c, L->comp_site) - cost);
		L->late_n += cost;
	}
}

/*
** An arm of the innermost frame (an if) starts: the next run opened heads
** it, unless another fuel point (a loop header, a br_if) comes first.
*/
void
cg_fuel_arm(cstate *c)
{
	ctl		   *k = &c->cs[c->csp - 1];

	cg_fuel_sync(c);
	if (k->kind == CTL_ELSE)
	{
		/* the then arm ends here, after its jump to the end if it has one */
		cg_fuel_arm_done(c, k);
		k->then_site = k->arm_site;
		k->arm_site = NO_CHAIN;
	}
	cg_fuel_point(c);
	c->arm_frame = c->csp - 1;
}

/*
** The arm of if frame k whose charge is arm_site ends here.  It is plain
** if since its charge it emitted no branch, call, nested frame or other
** charge, and it ends in a 'ret' (emit_return) or in the only branch, a
** 'jmp rel32' out: nothing then holds an offset into it and nothing
** reaches into it but the way in at its head, so the code can move.
*/
void
cg_fuel_arm_done(cstate *c, const ctl *k)
{
	x64_buf    *b = c->b;
	size_t		end = x64_pos(b);
	uint32_t	jmp = NO_CHAIN;

	if (!counting(c) || c->precise || k->arm_site == NO_CHAIN || b->oom ||
		c->frames != k->arm_frames || c->ms->nfix != k->arm_fix ||
		(uint32_t) c->ms->fuel_sites != k->arm_sites || end < k->arm_site + 4)
		return;
	if (b->nbranch == k->arm_branches + 1 && b->last_branch + 4 == end &&
		b->start[end - 5] == 0xE9)
		jmp = (uint32_t) b->last_branch;
	else if (b->nbranch != k->arm_branches || c->ret_end != end)
		return;
	if (grow((void **) &c->plains, &c->capplains, c->nplains, sizeof(fplain), c))
		c->plains[c->nplains++] = (fplain) {k->arm_site, (uint32_t) end, jmp};
}


/*
** A charge that may end at zero: slacked mode overwrites it with a NOP
** when the function is done (cg_fuel_func_end), not before, since later
** rules may still add to it.
*/
static void
zero_candidate(cstate *c, uint32_t site)
{
	if (grow((void **) &c->zcand, &c->capzcand, c->nzcand, sizeof(uint32_t), c))
		c->zcand[c->nzcand++] = site;
}

static void
set_site(cstate *c, uint32_t site, uint32_t n)
{
	x64_patch32(c->b, site, n);
	if (n == 0)
		zero_candidate(c, site);
}

/*
** Move what both paths charge, at sites a and b, into the run 'before'
** them: min(a, b) goes before, and each keeps what it has over that.
*/
static void
hoist(cstate *c, uint32_t before, uint32_t a, uint32_t b)
{
	uint32_t	t = site_fuel(c, a),
				e = site_fuel(c, b),
				m = t < e ? t : e,
				p = site_fuel(c, before);

	if (m == 0 || p + m >= RUN_MAX)
		return;
	x64_patch32(c->b, before, p + m);
	set_site(c, a, t - m);
	set_site(c, b, e - m);
}

/* Move what both arms of an if/else charge into the run before the if. */
static void
hoist_common(cstate *c, const ctl *k)
{
	if (k->fuel_entry != NO_CHAIN && k->then_site != NO_CHAIN && k->arm_site != NO_CHAIN)
		hoist(c, k->fuel_entry, k->then_site, k->arm_site);
}

/* ---- late charging of loop bodies ------------------------------------------- */

/* What the header of loop L charges for its late part. */
static uint32_t
late_part(const cstate *c, const ctl *L)
{
	return L->kind == CTL_LOOP && L->late ? L->late_n : 0;
}

/*
** 'lea r15, [r15 + n]': a charge that leaves the flags alone, so it can go
** between a compare and its branch.  Returns the site of n.
*/
static uint32_t
emit_lea(cstate *c, int32_t n)
{
	size_t		start = x64_pos(c->b);
	uint32_t	site;

	x64_lea(c->b, 1, X64_FUEL, x64_m(X64_FUEL, 0x7FFFFFF0));
	assert(x64_pos(c->b) - start == ADD_LEN);
	site = (uint32_t) x64_pos(c->b) - 4;
	x64_patch32(c->b, site, (uint32_t) n);
	c->ms->fuel_sites++;
	return site;
}

/* A correction on a path that leaves loops with late parts. */
void
cg_fuel_charge(cstate *c, uint32_t n)
{
	cg_fuel_sync(c);
	emit_lea(c, (int32_t) n);
}

/*
** A loop starts (before its label).  The run current here executes once
** per entry of the loop; if the loop turns late, its charge takes the late
** part back (the compensation), as far as it goes without going below
** zero, so that the counter never decreases.  No run open, no late part.
*/
void
cg_fuel_loop(cstate *c)
{
	ctl		   *k = &c->cs[c->csp - 1];

	cg_fuel_sync(c);
	/*
	** No run open (a label just before): open one here, before the
	** loop's label.  It costs nothing more when code after the loop
	** resumes it (that code would have had its own charge), it can take a
	** late part back, and it can head the else path of an if just before.
	** Left at zero, it is dropped at the end (cg_fuel_func_end).
	*/
	if (counting(c) && !c->unreachable && c->fuel_at == NO_CHAIN)
	{
		open_run(c);
		zero_candidate(c, c->fuel_at);
	}
	k->comp_site = c->unreachable ? NO_CHAIN : c->fuel_at;
	k->late = false;
	k->late_n = 0;
	k->rot1 = 0;
	if (counting(c) && k->comp_site != NO_CHAIN && c->nrots < FUEL_ROTS)
	{
		c->ms->rots[c->nrots++] = (frot) {k->comp_site, NO_CHAIN, 0, 0, 0, 0};
		k->rot1 = c->nrots;
	}
}

/*
** The late part ends here (a call, or a frame starts): charge what it has
** so far now, take that back out of the header and the compensation, and
** go on with an ordinary run headed by the new charge.
*/
void
cg_fuel_flush_slow(cstate *c)
{
	ctl		   *L;
	uint32_t	n;

	cg_fuel_sync(c);
	if (c->late_loop == NO_CHAIN)
		return;
	L = &c->cs[c->late_loop];
	c->late_loop = NO_CHAIN;
	c->fuel_fast = c->fuel_at;
	if (c->unreachable)
		return;
	n = late_part(c, L);
	if (n == 0)
	{
		cg_fuel_point(c);
		return;
	}
	c->fuel_n -= n;
	x64_patch32(c->b, c->fuel_at, c->fuel_n);
	x64_patch32(c->b, L->comp_site, site_fuel(c, L->comp_site) + n);
	L->late_n = 0;
	cg_fuel_point(c);
	c->fuel_at = emit_lea(c, (int32_t) n);
	c->fuel_fast = c->fuel_at;
	c->fuel_n = n;
}

/* The innermost loop frame with a late part that a jump to 'target' leaves. */
static uint32_t
late_owner(const cstate *c, uint32_t target)
{
	for (uint32_t i = c->csp - 1; i > target; i--)
		if (late_part(c, &c->cs[i]) > 0)
			return i;
	return NO_CHAIN;
}

/*
** A reachable branch to label 'depth' (a return is the outermost label) is
** about to be emitted; no code is emitted here.  Returns the fuel the jump
** must charge on its way: the late parts of the loops it leaves, executed
** and not yet charged.  A branch from a late part that stays in its loop
** (back to the header, or forward to a label inside) ends the late part,
** which must not grow past it.
*/
uint32_t
cg_fuel_jump(cstate *c, uint32_t depth)
{
	ctl		   *in = &c->cs[c->csp - 1];
	uint32_t	target = c->csp - 1 - depth, fix = 0;

	cg_fuel_sync(c);
	if (target < in->esc_min)
		in->esc_min = target;
	if (!counting(c))
		return 0;
	/* rot1 is set on reachable loops only (frames start zeroed) */
	if (c->cs[target].rot1)
		c->ms->rots[c->cs[target].rot1 - 1].edges++;
	if (c->late_loop != NO_CHAIN && target >= c->late_loop)
		cg_fuel_point(c);
	/* no open frame is a loop turned late: none has a late part */
	if (c->late_open == 0)
		return 0;
	for (uint32_t i = c->csp - 1; i > target; i--)
		fix += late_part(c, &c->cs[i]);
	return fix;
}

/*
** A 'br' to label 'depth' (cg_fuel_jump's work, and more): a br back to a
** loop from a run of its body, which runs once each time it is taken,
** can take the loop's header charge (rotate, cg_fuel_func_end).  Not the
** header run itself, nor a late part (its charge is the header's).
*/
uint32_t
cg_fuel_br(cstate *c, uint32_t depth)
{
	ctl		   *t = &c->cs[c->csp - 1 - depth];

	/* rot1 is set on reachable loops only; reads no charge: cg_fuel_jump syncs */
	if (t->rot1 && c->late_loop == NO_CHAIN && c->fuel_at != NO_CHAIN &&
		c->fuel_at > t->loop_pos && c->fuel_at != t->arm_site && c->nredges < FUEL_REDGES)
	{
		c->ms->redges[c->nredges++] = (fedge) {t->rot1 - 1, c->fuel_at, NO_CHAIN};
		c->ms->rots[t->rot1 - 1].absorbed++;
		c->redge_new1 = c->nredges;
	}
	return cg_fuel_jump(c, depth);
}

/* The br's jmp to the loop is the last instruction emitted: note its rel32. */
void
cg_fuel_br_jumped_slow(cstate *c)
{
	c->ms->redges[c->redge_new1 - 1].jmp = (uint32_t) x64_pos(c->b) - 4;
	c->redge_new1 = 0;
}

/* A br_if at 'at' that must charge 'fix': it jumps to a stub out of line. */
void
cg_fuel_stub(cstate *c, size_t at, uint32_t fix, uint32_t depth)
{
	uint32_t	target = c->csp - 1 - depth;

	cg_fuel_sync(c);
	if (!grow((void **) &c->stubs, &c->capstubs, c->nstubs, sizeof(fstub), c))
		return;
	c->stubs[c->nstubs++] = (fstub) {(uint32_t) at, fix, target, late_owner(c, target)};
}

/*
** After a br_if to 'depth'.  Its taken edge left the run, so the
** fall-through starts a new one -- except for an exit from the loop whose
** header run this is (or whose late part goes on): the rest of the body
** runs on every iteration that goes on, so the header charges it, for the
** iteration before, and the loop's entry takes it back once (the
** compensation).  Exits from then on charge what they skip in the header
** (cg_fuel_jump), and the fall-through at the loop's end charges the
** last iteration's.
*/
void
cg_fuel_after_br_if(cstate *c, uint32_t depth)
{
	uint32_t	target = c->csp - 1 - depth, L = NO_CHAIN;

	cg_fuel_sync(c);
	if (!counting(c) || c->late_loop != NO_CHAIN)
		return;
	/* the innermost loop (frame 0 is the function's, never a loop) */
	if (c->cs[c->csp - 1].loop_in > 0)
		L = c->cs[c->csp - 1].loop_in;
	if (L != NO_CHAIN && target < L && c->fuel_at != NO_CHAIN &&
		c->fuel_at == c->cs[L].arm_site && c->cs[L].comp_site != NO_CHAIN &&
		!c->cs[L].late)
	{
		c->cs[L].late = true;
		c->late_open++;
		c->late_loop = L;
		c->fuel_fast = NO_CHAIN;
		return;
	}
	cg_fuel_point(c);
}

/*
** Loop k (frame 'index') ends: its exit stubs go here, out of the way of
** the fall-through, which then charges the last iteration's late part.
*/
static void
end_loop(cstate *c, const ctl *k, uint32_t index)
{
	bool		reach = !c->unreachable;
	size_t		over = NO_CHAIN;
	uint32_t	n = late_part(c, k), kept = 0;

	if (k->late)
		c->late_open--;

	for (uint32_t i = 0; i < c->nstubs; i++)
	{
		fstub		s = c->stubs[i];

		if (s.owner != index)
		{
			c->stubs[kept++] = s;
			continue;
		}
		if (reach && over == NO_CHAIN)
			over = x64_jmp32(c->b, 0);
		x64_bind32(c->b, s.at, x64_pos(c->b));
		cg_fuel_charge(c, s.fix);
		cg_jump_label(c, s.target);
	}
	c->nstubs = kept;
	if (over != NO_CHAIN)
		x64_bind32(c->b, over, x64_pos(c->b));
	if (c->late_loop == index)
		cg_fuel_point(c);
	if (reach && n > 0)
	{
		cg_fuel_point(c);
		open_run(c);
		c->fuel_n = n;
		x64_patch32(c->b, c->fuel_at, n);
	}
	if (k->rot1)
	{
		frot	   *r = &c->ms->rots[k->rot1 - 1];

		r->header = k->arm_site;
		r->pos = k->loop_pos;
		r->end = (uint32_t) x64_pos(c->b);
		/* nrorder < nrots <= FUEL_ROTS */
		if (!k->late && r->edges > 0 && r->edges == r->absorbed && r->header != NO_CHAIN)
			c->ms->rorder[c->nrorder++] = k->rot1 - 1;
	}
}

/*
** Frame k (popped: it was cs[c->csp]) ends.  'joined' says some branch
** reaches its end; otherwise only the fall-through does, and the current
** run may go on.  'false_only': only the false edge of an if without else
** does (the then arm never reaches its end), so the run after the end is
** the else path's, and what both paths charge can move before the if
** (cg_fuel_func_end).
*/
void
cg_fuel_end(cstate *c, const ctl *k, bool joined, bool false_only)
{
	uint32_t	index = c->csp;
	ctl		   *parent = &c->cs[index - 1];
	bool		resume;

	cg_fuel_sync(c);
	if (k->esc_min < parent->esc_min)
		parent->esc_min = k->esc_min;
	if (!counting(c))
		return;
	if (k->kind == CTL_LOOP)
		end_loop(c, k, index);
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
		c->fuel_fast = c->fuel_at;
		c->fuel_n = site_fuel(c, c->fuel_at);
		c->arm_frame = NO_CHAIN;
		c->pend_lo = NO_CHAIN;
		c->late_loop = NO_CHAIN;
		c->pend_hoist = NO_CHAIN;
		return;
	}
	cg_fuel_point(c);
	/* the next run opened heads the else path of an if without else */
	if (false_only && k->kind == CTL_IF && k->fuel_entry != NO_CHAIN &&
		k->arm_site != NO_CHAIN &&
		grow((void **) &c->hoists, &c->caphoists, c->nhoists, sizeof(fhoist), c))
	{
		c->hoists[c->nhoists] = (fhoist) {k->fuel_entry, k->arm_site, NO_CHAIN};
		c->pend_hoist = c->nhoists++;
	}
}

/* ---- calls: the caller pays the callee's entry run ----------------------------- */

/*
** A function's entry run is charged before its prologue.  A direct call
** runs that run exactly once each time the call's own run runs, so the
** caller's run pays it and the call enters just past the charge
** (cg_fuel_link_calls); call_indirect, the host and the tables enter at
** the charge.  A recursive fib pays one charge per call instead of two.
*/
void
cg_fuel_func_entry(cstate *c, uint32_t defidx)
{
	modstate   *ms = c->ms;
	size_t		start = x64_pos(c->b);

	cg_fuel_sync(c);
	c->entry_at = NO_CHAIN;
	c->fix0 = ms->nfix;
	c->precise = c->m->cfg.fuel_mode == SF_FUEL_PRECISE;
	if (!counting(c))
		return;
	if (ms->entry_site == NULL)
	{
		uint32_t	ndef = c->m->nfuncs - c->m->nfunc_imports;

		ms->entry_site = malloc(((size_t) ndef + 1) * sizeof(uint32_t));
		ms->entry_len = calloc((size_t) ndef + 1, 1);
		if (ms->entry_site == NULL || ms->entry_len == NULL)
		{
			cg_fail(c, SF_NOMEM, "out of memory");
			return;
		}
		for (uint32_t i = 0; i <= ndef; i++)
			ms->entry_site[i] = NO_CHAIN;
	}
	open_run(c);
	c->entry_at = c->fuel_at;
	ms->entry_site[defidx] = c->fuel_at;
	ms->entry_len[defidx] = (uint8_t) (x64_pos(c->b) - start);
}

/*
** Whether a direct call in loop r pays through the charge at 'site'.  The
** function's calls are in ms->fix from c->fix0 on, in code order.
*/
static bool
call_pays_at(const cstate *c, const frot *r, uint32_t site)
{
	const call_fixup *f = c->ms->fix;
	uint32_t	lo = c->fix0,
				hi = c->ms->nfix;

	while (lo < hi)
	{
		uint32_t	mid = lo + (hi - lo) / 2;

		if (f[mid].at < r->pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < c->ms->nfix && f[lo].at < r->end; lo++)
		if (f[lo].site == site)
			return true;
	return false;
}

/*
** Slacked mode turns a header charge left at zero into a NOP; the loop's
** back edges then jump past it, so an iteration runs no instruction for
** fuel but the one its back edge's run pays.  Only when the charge starts
** at the label, is zero after every rotation (an outer loop's may add to
** an inner header), and no direct call will add its callee's entry run
** to it when calls are linked (cg_fuel_link_calls).
*/
static void
skip_dropped_headers(cstate *c)
{
	const modstate *ms = c->ms;

	if (c->m->cfg.fuel_mode != SF_FUEL_SLACKED)
		return;
	for (uint32_t k = 0; k < c->nrorder; k++)
	{
		const frot *r = &ms->rots[ms->rorder[k]];

		if (r->header != r->pos + ADD_LEN - 4 || site_fuel(c, r->header) != 0 ||
			call_pays_at(c, r, r->header))
			continue;
		for (uint32_t i = 0; i < c->nredges; i++)
			if (ms->redges[i].rot == ms->rorder[k] && ms->redges[i].jmp != NO_CHAIN)
				x64_bind32(c->b, ms->redges[i].jmp, r->pos + ADD_LEN);
	}
}

/* Whether n more fuel fits every charge of loop r's entry edges. */
static bool
edges_take(const cstate *c, uint32_t r, uint32_t n)
{
	const modstate *ms = c->ms;

	if (site_fuel(c, ms->rots[r].pre) + (uint64_t) n >= RUN_MAX)
		return false;
	for (uint32_t i = 0; i < c->nredges; i++)
		if (ms->redges[i].rot == r && site_fuel(c, ms->redges[i].site) + (uint64_t) n >= RUN_MAX)
			return false;
	return true;
}

/*
** Rotate: the header charge of each loop whose branches back are all
** absorbing 'br's moves into the run before the loop and into those
** runs, inner loops first (an inner loop's run before it may be an outer
** loop's header, which then moves on with what it took).
*/
static void
rotate_loops(cstate *c)
{
	const modstate *ms = c->ms;

	for (uint32_t k = 0; k < c->nrorder && !c->b->oom; k++)
	{
		uint32_t	r = ms->rorder[k],
					h = site_fuel(c, ms->rots[r].header);

		if (h == 0 || !edges_take(c, r, h))
			continue;
		x64_patch32(c->b, ms->rots[r].pre, site_fuel(c, ms->rots[r].pre) + h);
		for (uint32_t i = 0; i < c->nredges; i++)
			if (ms->redges[i].rot == r)
				x64_patch32(c->b, ms->redges[i].site, site_fuel(c, ms->redges[i].site) + h);
		set_site(c, ms->rots[r].header, 0);
	}
	skip_dropped_headers(c);
}

/*
** The else arm of k ends: its charge may be jumped past (cg_fuel_drop_plain)
** unless a direct call pays through it, which linking may add to (a call
** pays through the run current at the call, and no later run is this one).
*/
void
cg_fuel_else_done(cstate *c, const ctl *k)
{
	if (counting(c) && !c->precise && k->arm_site != NO_CHAIN && k->else_jcc != NO_CHAIN &&
		c->ms->nfix == k->arm_fix &&
		grow((void **) &c->plains, &c->capplains, c->nplains, sizeof(fplain), c))
		c->plains[c->nplains++] = (fplain) {k->arm_site, 0, k->else_jcc};
}

/*
** Slacked mode, the function's code complete (its trap thunks too, so
** every jump is bound): a plain arm (cg_fuel_arm_done) whose charge ended
** at zero -- what it cost went before its if, as in an early 'if (n < 2)
** return n;' -- loses the NOP its charge became instead of running it: the
** arm's code moves up over it, its closing jmp comes 7 bytes nearer its
** target, and the 7 bytes freed after the 'ret' or 'jmp' are never
** executed.  An else arm that starts with its emptied charge is entered
** past it: only the if's jcc goes there (the then arm ends in a jump).
*/
void
cg_fuel_drop_plain(cstate *c)
{
	static const uint8_t nop7[ADD_LEN] = {0x0F, 0x1F, 0x80, 0, 0, 0, 0};
	uint8_t    *code = c->b->start;

	if (c->m->cfg.fuel_mode != SF_FUEL_SLACKED)
		return;
	for (uint32_t i = 0; i < c->nplains && !c->b->oom; i++)
	{
		const fplain *p = &c->plains[i];
		uint32_t	at = p->site + 4 - ADD_LEN;

		if (memcmp(code + at, nop7, ADD_LEN) != 0)
			continue;
		if (p->end == 0)
		{
			/* an else arm whose head is the NOP: the if's jcc jumps past it */
			if (p->jmp + 4 + (int32_t) x64_read32(c->b, p->jmp) == at)
				x64_patch32(c->b, p->jmp, x64_read32(c->b, p->jmp) + ADD_LEN);
			continue;
		}
		memmove(code + at, code + at + ADD_LEN, p->end - (at + ADD_LEN));
		memset(code + p->end - ADD_LEN, 0xCC, ADD_LEN);
		if (p->jmp != NO_CHAIN)
			x64_patch32(c->b, p->jmp - ADD_LEN, x64_read32(c->b, p->jmp - ADD_LEN) + ADD_LEN);
	}
}

/*
** The function's runs are all known: the if-without-else hoists move what
** both paths charge before the if (in the order the ifs ended: an inner
** if's hoist can add to an outer one's arm), then slacked mode drops the
** charges left at zero: loop entries that nothing joined, and the entry
** charge (a direct call adding to it later brings it back as a lea).
*/
void
cg_fuel_func_end(cstate *c)
{
	cg_fuel_sync(c);
	for (uint32_t i = 0; i < c->nhoists; i++)
		if (c->hoists[i].else_site != NO_CHAIN)
			hoist(c, c->hoists[i].before, c->hoists[i].then_site, c->hoists[i].else_site);
	if (c->nrorder > 0)
		rotate_loops(c);
	if (c->entry_at != NO_CHAIN)
		zero_candidate(c, c->entry_at);
	if (c->m->cfg.fuel_mode != SF_FUEL_SLACKED)
		return;
	for (uint32_t i = 0; i < c->nzcand; i++)
	{
		uint32_t	at = c->zcand[i] + 4 - ADD_LEN;

		if (site_fuel(c, c->zcand[i]) != 0 || c->b->oom || c->b->start[at] == 0x0F)
			continue;			/* charges, or already a NOP */
		x64_nop_at(c->b, at, ADD_LEN);
		c->ms->fuel_sites--;
	}
}

/*
** The run that pays for a direct call made here, or NO_CHAIN.  Not the
** entry run: a caller's entry run would then depend on its callees', in
** cycles when they recurse.
*/
uint32_t
cg_fuel_call_site(cstate *c)
{
	cg_fuel_sync(c);
	if (!counting(c) || c->fuel_at == c->entry_at)
		return NO_CHAIN;
	return c->fuel_at;
}

/* Add n to a charge site, rewriting it as a lea if slacked mode dropped it. */
static void
add_to_site(modstate *ms, uint32_t site, uint32_t n)
{
	x64_buf    *b = &ms->buf;
	uint32_t	v = x64_read32(b, site);

	if (!b->oom && b->start[site + 4 - ADD_LEN] == 0x0F)	/* the NOP */
	{
		static const uint8_t lea[3] = {0x4D, 0x8D, 0xBF};	/* lea r15, [r15+d32] */

		memcpy(b->start + site + 4 - ADD_LEN, lea, sizeof(lea));
		v = 0;
		ms->fuel_sites++;
	}
	x64_patch32(b, site, v + n);
}

/* Bind every direct call, through the charge or past it. */
sf_status
cg_fuel_link_calls(modstate *ms, const uint32_t *func_off)
{
	for (uint32_t i = 0; i < ms->nfix; i++)
	{
		const call_fixup *f = &ms->fix[i];
		uint32_t	target = func_off[f->callee];

		if (f->site != NO_CHAIN && ms->entry_site != NULL &&
			ms->entry_site[f->callee] != NO_CHAIN)
		{
			uint32_t	e = x64_read32(&ms->buf, ms->entry_site[f->callee]);

			if (x64_read32(&ms->buf, f->site) + (uint64_t) e < RUN_MAX)
			{
				if (e != 0)
					add_to_site(ms, f->site, e);
				target += ms->entry_len[f->callee];
			}
		}
		x64_bind32(&ms->buf, f->at, target);
	}
	return SF_OK;
}
