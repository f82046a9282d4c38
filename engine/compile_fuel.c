/*
** compile_fuel.c -- fuel planning in the single-pass compiler: where the
** code charges fuel, and how much.
**
** The counter holds consumed - limit (docs/fuel.md).  Code is cut into
** runs; a run is charged once, by one charge at its start (its site), for
** operators that every path through that charge is certain to execute
** unless it traps (or, for a loop's late part below, has just executed).
** So every path that completes is charged exactly the costs of the
** operators it executed (the 'fuel' column of opcodes.h), every charge is
** non-negative (the counter only grows, so precise and slacked mode see
** the same sequence of counts and agree on out-of-fuel), and a trap in the
** middle of a run finds the whole run charged (out of fuel wins, in both
** modes alike).
**
** A run starts at a fuel point -- function entry, loop header, each arm
** of an if, the fall-through of a br_if, a label some branch reaches --
** and takes in the straight-line code after it.  Calls do not end a run:
** the callee charges its own runs and control comes back.  Six rules
** make runs longer than basic blocks (the first two are the post-dominance
** merging of the seed; the fourth and fifth are at the end of this file,
** the last with unrolling):
**
**  * Resume at the end of a frame.  If no branch inside a block, loop or
**    if leaves it for an outer label (or returns), the code after its end
**    runs exactly once each time the frame is entered, so it joins the
**    run that was current at the frame's entry: 'if ... end' or a loop
**    with its exits all inside costs no charge after its end.
**  * Hoist the common part of an if/else.  Each arm is headed by its own
**    charge; at the end, min(then, else) moves into the run before the if
**    and the cheaper arm's charge drops to zero (slacked mode drops it;
**    precise keeps an add of 0 with its check, which cannot fire, because
**    the check's branch sits in a chain of jumps to the trap thunk).  An if
**    without else whose then arm never reaches its end has the run after
**    its end as the other arm (fhoist, done when the function ends).
**    Charges that end at zero are dropped only then: a later rule may
**    still add to them.
**  * Charge a loop's body late.  When the header run of a loop ends in a
**    br_if that leaves the loop, the rest of the body (the late part) runs
**    on every iteration that goes on, so the header charges it too, for
**    the iteration before.  The run before the loop, once per entry,
**    takes it back (the compensation, in the same charge); an exit further
**    down charges what the header has not (the late part so far) in a stub
**    at the loop's end, a br or return inline; the fall-through at the end
**    charges the last iteration's.  The late part is charged after it ran,
**    so nothing that may trap (or observe the counter: a call, a helper)
**    comes between it and its charge, and the compensation takes back no
**    more than the run's operators after its last one that may trap (its
**    room; so the counter never decreases either).  Where that would not
**    hold -- an operator that may trap, a nested frame, a branch that stays
**    in the loop but not for the header, or the room running out -- the
**    late part is flushed: a charge that leaves the flags alone (a pending
**    compare may sit in them) charges it there, and it leaves the header
**    and the compensation.  When the room runs out, the loop is peeled
**    instead (peel_loop): its entry jumps past the header charge and the
**    run before pays the first iteration's header run, so the late part
**    goes on.
**  * Rotate a loop's header charge onto its entry edges.  When every
**    branch back to a loop is a 'br' that ends a run of the body (not
**    the header's own), the header's charge moves into the run before
**    the loop and into each of those runs: each of them runs exactly once
**    per entry into the header, so every path pays the same.  A loop
**    that continues from an if arm -- quicksort's partition loop -- then
**    pays one charge per iteration instead of two.  Late loops keep
**    theirs.  Done when the function ends, after the if hoists.
**  * The caller pays the callee's entry run on a direct call.
**  * Peel a search loop (below: do i++; while (v[i] < p)): the run before
**    it pays its first iteration, which the code before enters with no
**    charge, and the header charge heads a copy of the body for the
**    iterations after.
**
** The plan is a table of sites (compile_fuel.h): a run's amount grows as
** operators join it, and the rules above move fuel between sites until the
** function ends; only then does the target write each site, in its form
** (an add, an add that keeps the flags, or nothing), through cg_charge_*
** (compile.h).  A site's charge is emitted lazily, before the first
** operator of its run that costs fuel, so a run of structural operators
** only (block, end, ...) emits nothing.  By then no compare result lives
** in the flags: a fuel point is either a label (canonical state, values in
** home slots) or follows the branch that consumed the flags, and
** structural operators do not set them.
**
**   off      nothing is emitted
**   precise  each add is checked: out of fuel once the counter is above 0
**   slacked  adds only (the runtime checks the counter at boundaries and
**            from the asynchronous check)
**
** The charges that keep the flags (a flushed late part, an exit's stub)
** are not checked in precise mode either: they charge operators already
** executed (a flushed late part's charge also heads the run after it),
** and the next checked charge or boundary sees the count they leave.
*/
#include <stdlib.h>
#include <string.h>

#include "compile_inline.h"

#define RUN_MAX FUEL_RUN_MAX

_Static_assert(sizeof(ctl) == 128,
			   "a control frame is 128 bytes (fuel_frame.spare pads it): frames are found by a shift");

/* The amount of a site; NO_SITE charges nothing. */
static uint32_t
site_fuel(const cstate *c, uint32_t site)
{
	return site == NO_SITE ? 0 : c->fuel.sites[site].n;
}

/*
** No operator costs more than this, and each takes a byte of the body at
** least: a run of n with the body's b bytes still to come stays below
** n + FUEL_OP_MAX * b (fuel_func.fast_lim).
*/
#define FUEL_OP_MAX 64
#define OP_COST_FITS(id, name, prefix, code, imm, sig, fuel, mem, trap) \
	_Static_assert((fuel) <= FUEL_OP_MAX, "operator " name " costs more than FUEL_OP_MAX");
SF_OPCODE_LIST(OP_COST_FITS)
#undef OP_COST_FITS

/*
** cstate.fuel_wait for the open run, an ordinary one (no loop's late
** part): its operators' costs go into n inline (cg_fuel_op) while it
** cannot reach RUN_MAX by the body's end; otherwise each one comes to
** cg_fuel_op_slow, which splits the run there.  Whatever else sets
** fuel_wait: no run open, or a late part, or fuel off (never set then).
*/
static inline void
set_wait(cstate *c)
{
	c->fuel_wait = c->fuel.n >= c->fuel.fast_lim;
}

/*
** The current run's site takes the fuel the inline cg_fuel_op added: n
** has moved off 'synced', what the site holds.  Everything else that sets
** n sets the site too, with set_n.
*/
void
cg_fuel_sync(cstate *c)
{
	if (c->fuel.n != c->fuel.synced)
	{
		c->fuel.sites[c->fuel.at].n = c->fuel.n;
		c->fuel.synced = c->fuel.n;
	}
}

/* The open run's fuel is n, and its site holds it (or no run is open). */
static inline void
set_n(fuel_func *f, uint32_t n)
{
	f->n = n;
	f->synced = n;
}

/*
** A function's arrays are the thread's, kept from one function to the
** next (fuel_module): each grows to the most any function needed and no
** more, and none is allocated per function.  The list of them, with the
** name of each array's capacity:
*/
#define FUEL_ARRAYS(X) \
	X(sites, capsites) X(hoists, caphoists) X(plains, capplains) \
	X(zcand, capzcand) X(stubs, capstubs) X(skips, capskips)

void
cg_fuel_take(cstate *c)
{
	fuel_func  *f = &c->fuel;
	const fuel_module *fm = &c->ms->fuel;

#define TAKE(a, cap) f->a = fm->a; f->cap = fm->cap;
	FUEL_ARRAYS(TAKE)
#undef TAKE
}

/* The function is done: its arrays go back to the thread (cg_fuel_take). */
void
cg_fuel_give_back(cstate *c)
{
	const fuel_func *f = &c->fuel;
	fuel_module *fm = &c->ms->fuel;

#define GIVE_BACK(a, cap) fm->a = f->a; fm->cap = f->cap;
	FUEL_ARRAYS(GIVE_BACK)
#undef GIVE_BACK
}

/* The thread's compile is over. */
void
cg_fuel_free(modstate *ms)
{
#define FREE(a, cap) cg_free(ms, ms->fuel.a);
	FUEL_ARRAYS(FREE)
#undef FREE
}

/* grow()'s work when *v is full. */
static __attribute__((noinline)) bool
grow_slow(void **v, uint32_t *cap, uint32_t n, size_t size, cstate *c)
{
	void	   *nv;
	uint32_t	ncap;

	ncap = *cap ? 2 * *cap : 8;
	nv = cg_realloc(c->ms, *v, (size_t) *cap * size, (size_t) ncap * size);
	if (nv == NULL)
	{
		cg_fail(c, SF_NOMEM, "out of memory");
		return false;
	}
	*v = nv;
	*cap = ncap;
	return true;
}

/*
** Room for one more element in *v (capacity *cap, n used); false: failed.
** Inline, the common case: there is (the arrays are the thread's, grown
** once for all its functions).
*/
static inline bool
grow(void **v, uint32_t *cap, uint32_t n, size_t size, cstate *c)
{
	return n < *cap || grow_slow(v, cap, n, size, c);
}

/*
** A new site for a charge the target emitted at 'at'; NO_SITE when out of
** memory (the compile has failed then).
*/
static inline uint32_t
new_site(cstate *c, uint32_t at, fuel_form form)
{
	fuel_func  *f = &c->fuel;

	if (!grow((void **) &f->sites, &f->capsites, f->nsites, sizeof(fuel_site), c))
		return NO_SITE;
	f->sites[f->nsites] = (fuel_site) {at, 0, (uint8_t) form, NO_SITE};
	return f->nsites++;
}

/* cg_fuel_point once the site holds n (cg_fuel_sync). */
static inline void
point_synced(cstate *c)
{
	c->fuel_wait = c->fuel.counting;
	set_n(&c->fuel, 0);
	c->fuel.held = 0;
	c->fuel.pending = 0;
	c->fuel.at = NO_SITE;
	c->fuel.late_loop = NO_SITE;
}

/* A new run starts here; its charge is emitted with its first costed op. */
void
cg_fuel_point(cstate *c)
{
	cg_fuel_sync(c);
	point_synced(c);
}

/*
** What waits for the next run opened (cg_fuel_arm, cg_fuel_end,
** cg_fuel_enter): an if arm it heads, an if's else path it is, frames
** whose entry run it is.
*/
static void
run_pending(cstate *c, uint32_t site)
{
	fuel_func  *f = &c->fuel;
	uint32_t	pending = f->pending;

	f->pending = 0;
	if (pending & FUEL_PEND_ARM)
	{
		fuel_frame *k = &c->cs[f->arm_frame].fuel;

		k->arm = site;
		k->arm_mark = cg_mark_here(c);
	}
	if (pending & FUEL_PEND_HOIST)
		f->hoists[f->pend_hoist].else_run = site;
	/* frames entered since the last fuel point, with nothing costed yet */
	if (pending & FUEL_PEND_LO)
		for (uint32_t i = f->pend_lo; i < c->csp; i++)
			if (c->cs[i].fuel.entry == NO_SITE)
				c->cs[i].fuel.entry = site;
}

/*
** A run opens at site 'site', its charge at 'at', of 'cost' so far; the
** caller has made held 0 and late_loop NO_SITE (a fuel point does).
*/
static inline __attribute__((always_inline)) void
run_opened(cstate *c, uint32_t site, uint32_t at, uint32_t cost)
{
	fuel_func  *f = &c->fuel;

	f->sites[site] = (fuel_site) {at, cost, FUEL_ADD, NO_SITE};
	f->nsites = site + 1;
	f->at = site;
	set_n(f, cost);
	set_wait(c);
	if (f->pending)
		run_pending(c, site);
}

/* Open a run here, of 'cost' so far: the target emits its charge. */
static __attribute__((noinline)) void
open_run_cost(cstate *c, uint32_t cost)
{
	fuel_func  *f = &c->fuel;
	uint32_t	at = cg_charge_open(c, f->precise);

	if (!grow((void **) &f->sites, &f->capsites, f->nsites, sizeof(fuel_site), c))
		return;
	f->held = 0;
	f->late_loop = NO_SITE;
	run_opened(c, f->nsites, at, cost);
}

/* Open a run here, nothing costed in it yet. */
static void
open_run(cstate *c)
{
	open_run_cost(c, 0);
}

static bool peel_loop(cstate *c, uint32_t loop);

/*
** An operator of fuel 'cost' in a loop's late part (cg_fuel_op_slow).  A
** late part is charged after it ran: it must be charged before an
** operator that may trap, and it cannot grow past what the loop's entry
** run can take back.  Either ends it here.
*/
static __attribute__((noinline)) void
late_op_end(cstate *c, uint32_t cost, bool traps)
{
	fuel_func  *f = &c->fuel;

	if (traps || f->n >= RUN_MAX ||
		(c->cs[f->late_loop].fuel.room < cost && !peel_loop(c, f->late_loop)))
		cg_fuel_flush_slow(c);
	if (f->at == NO_SITE || f->n >= RUN_MAX)
		open_run(c);
	if (f->at == NO_SITE)
		return;
	set_n(f, f->n + cost);
	f->sites[f->at].n = f->n;
	if (f->late_loop != NO_SITE)
	{
		fuel_frame *L = &c->cs[f->late_loop].fuel;

		if (!L->peel)
		{
			f->sites[L->comp].n -= cost;
			L->room -= cost;
		}
		L->late_n += cost;
	}
	else
		set_wait(c);
}

/* late_op_end's common case, with no call: the late part goes on. */
static __attribute__((noinline)) void
late_op(cstate *c, uint32_t cost, bool traps)
{
	fuel_func  *f = &c->fuel;
	fuel_frame *L = &c->cs[f->late_loop].fuel;

	if (traps || f->n >= RUN_MAX || (!L->peel && L->room < cost))
	{
		late_op_end(c, cost, traps);
		return;
	}
	/* a late part's run is open: the loop's header run */
	set_n(f, f->n + cost);
	f->sites[f->at].n = f->n;
	if (!L->peel)
	{
		f->sites[L->comp].n -= cost;
		L->room -= cost;
	}
	L->late_n += cost;
}

/*
** An operator of fuel 'cost' joins the current run: cg_fuel_op takes the
** common case inline and calls here in reachable code (operators in
** unreachable code are never executed and cost nothing), when counting,
** for a cost above 0, when fuel_wait is set: no run is open, or the run
** is a loop's late part or may reach RUN_MAX (set_wait).  Every decoded
** operator must come through cg_fuel_op: a lowering that fuses several
** operators must call it for each one it consumes.
*/
void
cg_fuel_op_slow(cstate *c, uint32_t cost, bool traps)
{
	fuel_func  *f = &c->fuel;
	uint32_t	at;

	/*
	** Mostly no run is open (a fuel point came before): then no late part
	** either, nothing held, and nothing to sync.
	*/
	if (f->at != NO_SITE)
	{
		cg_fuel_sync(c);
		if (f->late_loop != NO_SITE)
		{
			late_op(c, cost, traps);
			return;
		}
		if (f->n < RUN_MAX)
		{
			set_n(f, f->n + cost);
			f->sites[f->at].n = f->n;
			return;
		}
		/* full: the next run holds nothing yet */
		f->held = 0;
	}
	/*
	** a new run, when room is there with no call but to run_pending (and
	** to cg_charge_checked in precise mode)
	*/
	if (f->nsites < f->capsites && cg_charge_open_quick(c, f->precise, &at))
		run_opened(c, f->nsites, at, cost);
	else
		open_run_cost(c, cost);
}

/*
** An arm of the innermost frame (an if, or a loop's header) starts: the
** next run opened heads it, unless another fuel point (a loop header, a
** br_if) comes first.  With fuel off, no run is ever open and nothing
** reads an arm.
*/
void
cg_fuel_arm(cstate *c)
{
	if (!c->fuel.counting)
		return;
	cg_fuel_sync(c);
	point_synced(c);
	c->fuel.arm_frame = c->csp - 1;
	c->fuel.pending = FUEL_PEND_ARM;
}

/* The else arm of if frame k, the innermost, starts; the then arm ends here. */
void
cg_fuel_else(cstate *c, ctl *k)
{
	if (!c->fuel.counting)
		return;
	cg_fuel_sync(c);
	/* after the then arm's jump to the end, if it has one */
	cg_fuel_arm_done(c, k);
	k->fuel.then_arm = k->fuel.arm;
	k->fuel.arm = NO_SITE;
	point_synced(c);
	c->fuel.arm_frame = c->csp - 1;
	c->fuel.pending = FUEL_PEND_ARM;
}

/*
** cg_fuel_arm_done (compile_inline.h) of an arm with no other charge
** since its own, in slacked mode: is the arm plain?
*/
void
cg_fuel_arm_done_slow(cstate *c, const ctl *k)
{
	uint32_t	jump;

	if (!cg_plain_since(c, &k->fuel.arm_mark, &jump))
		return;
	if (grow((void **) &c->fuel.plains, &c->fuel.capplains, c->fuel.nplains, sizeof(fplain), c))
		c->fuel.plains[c->fuel.nplains++] = (fplain) {k->fuel.arm, cg_pos(c), jump, k->fuel.arm_mark};
}

/*
** A charge that may end at zero: slacked mode drops it when the function
** is done (cg_fuel_func_end), not before, since later rules may still add
** to it.
*/
static inline __attribute__((always_inline)) void
zero_candidate(cstate *c, uint32_t site)
{
	fuel_func  *f = &c->fuel;

	if (grow((void **) &f->zcand, &f->capzcand, f->nzcand, sizeof(uint32_t), c))
		f->zcand[f->nzcand++] = site;
}

static void
set_site(cstate *c, uint32_t site, uint32_t n)
{
	c->fuel.sites[site].n = n;
	if (n == 0)
		zero_candidate(c, site);
}

/* Room for n more zero candidates; false: out of memory (the compile has failed). */
static bool
zcand_room(cstate *c, uint32_t n)
{
	fuel_func  *f = &c->fuel;

	while (f->capzcand - f->nzcand < n)
		if (!grow_slow((void **) &f->zcand, &f->capzcand, f->nzcand, sizeof(uint32_t), c))
			return false;
	return true;
}

/*
** Move what both paths charge, at sites a and b, into the run 'before'
** them: min(a, b) goes before, and each keeps what it has over that.
** All three are sites (none is NO_SITE), and the caller made room for
** two zero candidates (zcand_room): a site left at zero is one.
*/
static inline __attribute__((always_inline)) void
hoist(cstate *c, uint32_t before, uint32_t a, uint32_t b)
{
	fuel_func  *f = &c->fuel;
	fuel_site  *s = f->sites;
	uint32_t   *z = f->zcand;
	uint32_t	nz = f->nzcand,
				t = s[a].n,
				e = s[b].n,
				m = t < e ? t : e,
				p = s[before].n;

	if (m == 0 || p + m >= RUN_MAX)
		return;
	s[before].n = p + m;
	s[a].n = t - m;
	s[b].n = e - m;
	/* written either way, kept if at zero */
	z[nz] = a;
	nz += t == m;
	z[nz] = b;
	nz += e == m;
	f->nzcand = nz;
}

/* Move what both arms of an if/else charge into the run before the if. */
static __attribute__((noinline)) void
hoist_common(cstate *c, const ctl *k)
{
	if (k->fuel.entry != NO_SITE && k->fuel.then_arm != NO_SITE && k->fuel.arm != NO_SITE &&
		zcand_room(c, 2))
		hoist(c, k->fuel.entry, k->fuel.then_arm, k->fuel.arm);
}

/* ---- late charging of loop bodies ------------------------------------------- */

/* What the header of loop L charges for its late part. */
static uint32_t
late_part(const ctl *L)
{
	return L->kind == CTL_LOOP && L->fuel.late ? L->fuel.late_n : 0;
}

/* A charge that leaves the flags alone, of n; returns its site. */
static uint32_t
charge_keeping_flags(cstate *c, uint32_t n)
{
	uint32_t	site = new_site(c, cg_charge_lea(c), FUEL_LEA);

	if (site != NO_SITE)
		c->fuel.sites[site].n = n;
	return site;
}

/* A correction on a path that leaves loops with late parts. */
void
cg_fuel_charge(cstate *c, uint32_t n)
{
	cg_fuel_sync(c);
	charge_keeping_flags(c, n);
}

/*
** A loop starts (before its label).  The run current here executes once
** per entry of the loop; if the loop turns late, its charge takes the late
** part back (the compensation).  It takes back no more than the fuel of
** the run's operators after the last one that may trap (its room): a trap
** there then still finds all it executed charged, and the charge never
** goes below zero, so the counter never decreases.  No run open, no late
** part.
*/
void
cg_fuel_loop(cstate *c)
{
	fuel_func  *f = &c->fuel;
	fuel_frame *k = &c->cs[c->csp - 1].fuel;

	cg_fuel_sync(c);
	k->room = f->at != NO_SITE ? f->n - f->held : 0;
	/*
	** No run open (a label just before): open one here, before the
	** loop's label.  It costs nothing more when code after the loop
	** resumes it (that code would have had its own charge), it can take a
	** late part back, and it can head the else path of an if just before.
	** Left at zero, it is dropped at the end (cg_fuel_func_end).
	*/
	if (f->counting && !c->unreachable && f->at == NO_SITE)
	{
		open_run(c);
		if (f->at != NO_SITE)
			zero_candidate(c, f->at);
	}
	k->comp = c->unreachable ? NO_SITE : f->at;
	k->late = false;
	k->late_n = 0;
	k->rot1 = 0;
	k->peel = false;
	/* the entry's slot: the label, and the header charge, come after it */
	k->skip = f->counting && k->comp != NO_SITE ? cg_charge_skip_slot(c) : NO_SITE;
	if (f->counting && k->comp != NO_SITE && f->nrots < FUEL_ROTS)
	{
		c->ms->fuel.rots[f->nrots++] = (frot) {k->comp, NO_SITE, 0, 0, 0, 0};
		k->rot1 = f->nrots;
	}
}

/*
** The late part of loop frame 'loop' has outgrown what the run before the
** loop can take back (its room).  Instead, the loop's entry can jump past
** the header charge, which then runs only on the branches back, where it
** charges the late part of the iteration before and the header run of the
** next; the run before the loop, once per entry, pays the first
** iteration's header run (cg_fuel_func_end adds the header's final
** charge to it) and takes nothing back, so the late part is not cut.
** Only when the header charge is at the label, right after the entry's
** slot, and no direct call pays its callee's entry run through the
** header (the first iteration would not pay it).  When the run before
** the loop is an enclosing loop's header, that loop no longer rotates:
** rotating would empty the charge and have its branches back jump past.
*/
static bool
peel_loop(cstate *c, uint32_t loop)
{
	ctl		   *k = &c->cs[loop];
	fuel_func  *f = &c->fuel;

	if (k->fuel.peel)
		return true;
	if (k->fuel.skip == NO_SITE || k->fuel.arm == NO_SITE ||
		f->sites[k->fuel.arm].at != k->loop_pos)
		return false;
	for (uint32_t i = k->loop_fix; i < c->ms->nfix; i++)
		if (c->ms->fix[i].pay.site == k->fuel.arm)
			return false;
	for (uint32_t i = 1; i < loop; i++)
		if (c->cs[i].kind == CTL_LOOP && c->cs[i].fuel.arm == k->fuel.comp)
			c->cs[i].fuel.rot1 = 0;
	/* what the compensation took back so far goes back */
	f->sites[k->fuel.comp].n += k->fuel.late_n;
	k->fuel.peel = true;
	return true;
}

/*
** The late part ends here (a call, or a frame starts): charge what it has
** so far now, take that back out of the header and the compensation, and
** go on with an ordinary run headed by the new charge.
*/
void
cg_fuel_flush_slow(cstate *c)
{
	fuel_func  *f = &c->fuel;
	fuel_frame *L;
	uint32_t	n;

	cg_fuel_sync(c);
	if (f->late_loop == NO_SITE)
		return;
	L = &c->cs[f->late_loop].fuel;
	n = late_part(&c->cs[f->late_loop]);
	f->late_loop = NO_SITE;
	if (f->at != NO_SITE)
		set_wait(c);
	if (c->unreachable)
		return;
	if (n == 0)
	{
		cg_fuel_point(c);
		return;
	}
	set_n(f, f->n - n);
	f->sites[f->at].n = f->n;
	if (!L->peel)
	{
		f->sites[L->comp].n += n;
		L->room += n;
	}
	L->late_n = 0;
	cg_fuel_point(c);
	f->at = charge_keeping_flags(c, n);
	set_n(f, n);
	f->held = n;
	if (f->at != NO_SITE)
		set_wait(c);
}

/* The innermost loop frame with a late part that a jump to 'target' leaves. */
static uint32_t
late_owner(const cstate *c, uint32_t target)
{
	for (uint32_t i = c->csp - 1; i > target; i--)
		if (late_part(&c->cs[i]) > 0)
			return i;
	return NO_SITE;
}

/* The next operator is the 'end' of the loop whose frame is innermost. */
static bool
loop_ends_next(const cstate *c)
{
	return c->cs[c->csp - 1].kind == CTL_LOOP && c->pc < c->end &&
		*c->pc == sf_opinfo_table[SF_OP_END].code;
}

/* cg_fuel_jump's work when counting (compile_inline.h). */
uint32_t
cg_fuel_jump_slow(cstate *c, uint32_t target, bool conditional)
{
	fuel_func  *f = &c->fuel;
	uint32_t	fix = 0;

	cg_fuel_sync(c);
	/* rot1 is set on reachable loops only (frames start zeroed) */
	if (c->cs[target].fuel.rot1)
		c->ms->fuel.rots[c->cs[target].fuel.rot1 - 1].edges++;
	if (f->late_loop != NO_SITE && target >= f->late_loop)
	{
		if (target == f->late_loop && (!conditional || loop_ends_next(c)))
			cg_fuel_point(c);
		else
			cg_fuel_flush_slow(c);
	}
	/* no open frame is a loop turned late: none has a late part */
	if (f->late_open == 0)
		return 0;
	for (uint32_t i = c->csp - 1; i > target; i--)
		fix += late_part(&c->cs[i]);
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
	fuel_func  *f = &c->fuel;
	ctl		   *t = &c->cs[c->csp - 1 - depth];

	/* rot1 is set on reachable loops only; no fuel is read here, so no sync */
	if (t->fuel.rot1 && f->late_loop == NO_SITE && f->at != NO_SITE &&
		f->sites[f->at].at >= t->loop_pos && f->at != t->fuel.arm && f->nredges < FUEL_REDGES)
	{
		c->ms->fuel.redges[f->nredges++] = (fedge) {t->fuel.rot1 - 1, f->at, NO_SITE};
		c->ms->fuel.rots[t->fuel.rot1 - 1].absorbed++;
		f->redge_new1 = f->nredges;
	}
	return cg_fuel_jump(c, depth, false);
}

/* The br's jump to the loop, at 'jump', is emitted: note it. */
void
cg_fuel_br_jumped_slow(cstate *c, uint32_t jump)
{
	c->ms->fuel.redges[c->fuel.redge_new1 - 1].jump = jump;
	c->fuel.redge_new1 = 0;
}

/* A br_if, its branch at 'branch', that must charge 'fix': it goes through a stub. */
void
cg_fuel_stub(cstate *c, uint32_t branch, uint32_t fix, uint32_t depth)
{
	fuel_func  *f = &c->fuel;
	uint32_t	target = c->csp - 1 - depth;

	cg_fuel_sync(c);
	if (!grow((void **) &f->stubs, &f->capstubs, f->nstubs, sizeof(fstub), c))
		return;
	f->stubs[f->nstubs++] = (fstub) {branch, fix, target, late_owner(c, target)};
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
	fuel_func  *f = &c->fuel;
	uint32_t	target = c->csp - 1 - depth, L = NO_SITE;

	cg_fuel_sync(c);
	if (!f->counting || f->late_loop != NO_SITE)
		return;
	/* the innermost loop (frame 0 is the function's, never a loop) */
	if (c->cs[c->csp - 1].loop_in > 0)
		L = c->cs[c->csp - 1].loop_in;
	if (L != NO_SITE && target < L && f->at != NO_SITE &&
		f->at == c->cs[L].fuel.arm && c->cs[L].fuel.comp != NO_SITE &&
		!c->cs[L].fuel.late)
	{
		c->cs[L].fuel.late = true;
		f->late_open++;
		f->late_loop = L;
		c->fuel_wait = true;
		return;
	}
	point_synced(c);
}

/* ---- unrolling and peeling ------------------------------------------------------------ */

/*
** Slacked mode unrolls a loop whose body is straight-line code ending in
** its only branch, a 'br_if' back: the lowering repeats the body's code
** (compile.c, unroll_body), every copy but the last ending in a branch out
** of the loop where the original went back, and the header run takes all
** the copies in (they are straight-line code after it), so the header
** charges several iterations at once, one charge where there were two or
** three.  A branch out of copy k goes through a stub at the loop's end that
** gives back what the header charged for the copies after k, so every
** path that completes is charged exactly what it executed.
**
** Inside copy k the counter stands ahead of precise mode's, which charges
** one iteration at a time, by the copies after it.  The ranges of code
** where it does are noted (sf_fuel_ahead, with the stubs of their trap
** sites and the give-backs themselves), and a trap there takes the
** difference back (call.c), so a trap finds the same count in both modes
** and out of fuel wins alike.  The asynchronous check cannot look ranges
** up from a signal handler: it waits for a count above SF_FUEL_AHEAD_MAX,
** which no copy stands ahead by (jit.h).
*/

/* Note a range [lo, hi) of code offsets where the counter stands n ahead. */
void
cg_fuel_ahead_add(cstate *c, uint32_t lo, uint32_t hi, uint32_t n)
{
	modstate   *ms = c->ms;

	if (lo >= hi || n == 0)
		return;
	if (ms->nahead == ms->capahead)
	{
		uint32_t	ncap = ms->capahead ? 2 * ms->capahead : 16;
		sf_fuel_ahead *na = realloc(ms->ahead, ncap * sizeof(*na));

		if (na == NULL)
		{
			cg_fail(c, SF_NOMEM, "out of memory");
			return;
		}
		ms->ahead = na;
		ms->capahead = ncap;
	}
	ms->ahead[ms->nahead++] = (sf_fuel_ahead) {c->func_index - c->m->nfunc_imports,
		lo - ms->func_start, hi - ms->func_start, n};
}

/*
** An innermost loop's label is placed: note what the lowering has emitted
** so far, to tell at its 'br_if' back whether the body was straight-line
** code.  A loop opened inside it takes the note over (and the frames
** counted then tell that this one is not innermost).
*/
void
cg_fuel_unroll_note(cstate *c)
{
	fuel_func  *f = &c->fuel;

	f->cand = (fuel_cand) {c->csp - 1, c->pc, c->frames, c->nbranch, c->ms->nfix,
		f->helpers, c->ms->nsites, c->ncold};
}

/*
** The br_if back to the innermost loop is being lowered, its condition
** not yet in the flags.  Its body is straight when the loop has no
** parameters or results, this br_if is its last operator, the header
** charge starts at the label (after the entry's slot), and the body,
** emitted since the note, holds no nested frame, call, C helper,
** out-of-line code or branch but bounds checks (which trap) and, in
** precise mode, the header charge's check.  A straight body of up to
** FUEL_UNROLL2_BYTES whose condition does not come from its last load is
** unrolled in slacked mode (FUEL_LOOP_UNROLL): *copies of it, its code
** starting at *from, just after the header charge; the header run takes
** in the other copies, and the first copy's trap sites learn what the
** counter stands ahead there.  One whose condition does (cg_from_load,
** from that load on: do i++; while (v[i] < p)) is peeled in both
** counting modes up to FUEL_PEEL_BYTES (FUEL_LOOP_PEEL, the header charge
** at *from): the run before the loop pays the first iteration's header
** run, as peel_loop has it, and the lowering takes the header charge out
** of the first iteration, which the code before enters with no charge,
** and moves it to a copy of the body for the iterations after
** (cg_fuel_peeled).  The decision depends on the wasm alone, so both
** modes keep one plan and count alike, with no range standing ahead.
*/
fuel_loop_plan
cg_fuel_loop_plan(cstate *c, uint32_t *from, uint32_t *copies)
{
	fuel_func  *f = &c->fuel;
	modstate   *ms = c->ms;
	uint32_t	L = c->csp - 1;
	const ctl  *k = &c->cs[L];
	fuel_cand	w = f->cand;
	uint32_t	n, bytes, checks = 0;
	uint64_t	more;
	bool		peel;

	if (w.frame != L)
		return FUEL_LOOP_AS_IS;
	f->cand.frame = NO_SITE;
	if (k->kind != CTL_LOOP || k->nparams != 0 || k->nresults != 0 || !loop_ends_next(c) ||
		c->frames != w.frames || ms->nfix != w.calls || f->helpers != w.helpers ||
		c->ncold != w.cold || c->nbranch - w.branches != ms->nsites - w.sites)
		return FUEL_LOOP_AS_IS;
	for (uint32_t i = w.sites; i < ms->nsites; i++)
		if (ms->sites[i].kind == SF_TRAP_OUT_OF_FUEL)
			checks++;
		else if (ms->sites[i].kind != SF_TRAP_MEMORY_OOB)
			return FUEL_LOOP_AS_IS;
	if (checks != (f->precise ? 1u : 0u))
		return FUEL_LOOP_AS_IS;
	bytes = (uint32_t) (c->pc - w.body);
	/* c->pc is at the 'end': the br_if and its label come just before */
	peel = f->last_load != NULL && f->last_load >= w.body && cg_from_load(f->last_load, c->pc - 2);
	*copies = bytes <= FUEL_UNROLL_BYTES ? FUEL_UNROLL : bytes <= FUEL_UNROLL2_BYTES ? 2 : 1;
	if (peel ? bytes > FUEL_PEEL_BYTES : !f->slacked || *copies < 2)
		return FUEL_LOOP_AS_IS;
	cg_fuel_sync(c);
	if (f->at == NO_SITE || f->at != k->fuel.arm || f->late_loop != NO_SITE ||
		f->sites[f->at].at != k->loop_pos || f->nsites != f->at + 1)
		return FUEL_LOOP_AS_IS;
	n = f->n;
	if (peel)
	{
		uint32_t	pre = k->fuel.comp;

		if (n == 0 || pre == NO_SITE || f->sites[pre].form != FUEL_ADD ||
			f->sites[pre].n + (uint64_t) n >= RUN_MAX || k->fuel.skip == NO_SITE ||
			k->fuel.skip + SKIP_LEN != k->loop_pos)
			return FUEL_LOOP_AS_IS;
		f->sites[pre].n += n;
		f->peeled = L;
		ms->fuel.peeled++;
		/* the copy's operators never came through cg_fuel_op: fast_lim's bound grows */
		more = (uint64_t) FUEL_OP_MAX * bytes;
		f->fast_lim = f->fast_lim > more ? f->fast_lim - (uint32_t) more : 0;
		set_wait(c);
		*from = f->sites[f->at].at;
		return FUEL_LOOP_PEEL;
	}
	if (n == 0 || (uint64_t) n * (*copies - 1) > SF_FUEL_AHEAD_MAX)
		return FUEL_LOOP_AS_IS;
	f->unroll = L;
	f->unroll_n = n;
	f->unroll_k = *copies;
	ms->fuel.unrolled++;
	for (uint32_t i = w.sites; i < ms->nsites; i++)
		ms->sites[i].ahead = (*copies - 1) * n;
	set_n(f, *copies * n);
	f->sites[f->at].n = f->n;
	f->held += (*copies - 1) * n;
	/* the copies' operators never came through cg_fuel_op: fast_lim's bound grows */
	more = (uint64_t) FUEL_OP_MAX * bytes * (*copies - 1);
	f->fast_lim = f->fast_lim > more ? f->fast_lim - (uint32_t) more : 0;
	set_wait(c);
	*from = f->sites[f->at].at + CHARGE_LEN;
	return FUEL_LOOP_UNROLL;
}

/*
** The loop being peeled has lost its entry slot and header charge: its
** header charge is now at 'at', after the first iteration, whose way out,
** 'exit', goes to the loop's end.
*/
void
cg_fuel_peeled(cstate *c, uint32_t at, uint32_t exit)
{
	fuel_func  *f = &c->fuel;
	ctl		   *k = &c->cs[f->peeled];

	f->sites[k->fuel.arm].at = at;
	f->peeled_exit = exit;
	k->fuel.skip = NO_SITE;
}

/* What the counter stands ahead in copy 'copy' (1, 2, ...) of the loop being unrolled. */
uint32_t
cg_fuel_unroll_ahead(const cstate *c, uint32_t copy)
{
	return (c->fuel.unroll_k - copy) * c->fuel.unroll_n;
}

/*
** Copy 'copy' of the loop being unrolled, from 'from', ends here in
** 'exit', its branch out of the loop: the code of the copy stands ahead
** by the copies after it.
*/
void
cg_fuel_unroll_exit(cstate *c, uint32_t copy, uint32_t exit, uint32_t from)
{
	cg_fuel_ahead_add(c, from, cg_pos(c), cg_fuel_unroll_ahead(c, copy));
	c->fuel.unroll_exit[copy - 1] = exit;
}

/*
** Unrolled loop k ends: its header charged every copy.  The branches out
** of the copies but the last come here, out of the way of the
** fall-through, each giving back the copies after its own; then to the
** loop's end, which comes right after the first copy's.  Returns how many
** jumps, in 'outs', the caller binds there.
*/
static uint32_t
end_unrolled(cstate *c, const ctl *k, uint32_t *outs)
{
	fuel_func  *f = &c->fuel;

	f->unroll = NO_SITE;
	if (k->fuel.arm == NO_SITE || f->sites[k->fuel.arm].n != f->unroll_k * f->unroll_n)
	{
		cg_fail(c, SF_INVALID, "compiler: unrolled loop charged %u, not %u",
				k->fuel.arm == NO_SITE ? 0 : f->sites[k->fuel.arm].n, f->unroll_k * f->unroll_n);
		return 0;
	}
	/* the first copy's last: a loop that mostly leaves early takes no jump */
	for (uint32_t i = f->unroll_k - 1; i-- > 0;)
	{
		uint32_t	back = (f->unroll_k - 1 - i) * f->unroll_n;
		uint32_t	at;

		cg_bind_here(c, f->unroll_exit[i]);
		at = cg_pos(c);
		cg_charge_back(c, back);
		cg_fuel_ahead_add(c, at, cg_pos(c), back);
		if (i > 0)
			outs[i - 1] = cg_jump_fwd(c);
	}
	return f->unroll_k - 2;
}

/*
** Loop k (frame 'index') ends: its exit stubs go here, out of the way of
** the fall-through, which then charges the last iteration's late part.
*/
static __attribute__((noinline)) void
end_loop(cstate *c, const ctl *k, uint32_t index)
{
	fuel_func  *f = &c->fuel;
	bool		reach = !c->unreachable;
	uint32_t	over = NO_SITE;
	uint32_t	n = late_part(k), kept = 0;
	uint32_t	outs[FUEL_UNROLL - 1], nouts = 0;

	if (k->fuel.late)
		f->late_open--;
	if (f->peeled == index)
	{
		/* the first iteration's way out, where the last one's falls through */
		cg_bind_here(c, f->peeled_exit);
		f->peeled = NO_SITE;
	}
	if (k->fuel.skip != NO_SITE &&
		grow((void **) &f->skips, &f->capskips, f->nskips, sizeof(fskip), c))
		f->skips[f->nskips++] = (fskip) {k->fuel.skip, k->loop_pos, k->fuel.arm,
		k->fuel.comp, n, k->fuel.peel};

	for (uint32_t i = 0; i < f->nstubs; i++)
	{
		fstub		s = f->stubs[i];

		if (s.owner != index)
		{
			f->stubs[kept++] = s;
			continue;
		}
		if (reach && over == NO_SITE)
			over = cg_jump_fwd(c);
		cg_bind_here(c, s.branch);
		cg_fuel_charge(c, s.fix);
		cg_jump_label(c, s.target);
	}
	f->nstubs = kept;
	if (f->unroll == index)
	{
		if (reach && over == NO_SITE)
			over = cg_jump_fwd(c);
		nouts = end_unrolled(c, k, outs);
	}
	if (over != NO_SITE)
		cg_bind_here(c, over);
	for (uint32_t i = 0; i < nouts; i++)
		cg_bind_here(c, outs[i]);
	if (f->late_loop == index)
		cg_fuel_point(c);
	if (reach && n > 0)
	{
		cg_fuel_point(c);
		open_run(c);
		if (f->at != NO_SITE)
		{
			set_n(f, n);
			f->held = n;
			f->sites[f->at].n = n;
			set_wait(c);
		}
	}
	if (k->fuel.rot1)
	{
		frot	   *r = &c->ms->fuel.rots[k->fuel.rot1 - 1];

		r->header = k->fuel.arm;
		r->pos = k->loop_pos;
		r->end = cg_pos(c);
		/* nrorder < nrots <= FUEL_ROTS */
		if (!k->fuel.late && r->edges > 0 && r->edges == r->absorbed && r->header != NO_SITE)
			c->ms->fuel.rorder[f->nrorder++] = k->fuel.rot1 - 1;
	}
}

/* After frame k (index 'index') ends, the run at its entry goes on. */
static inline bool
run_resumes(const cstate *c, const ctl *k, uint32_t index)
{
	return k->fuel.esc_min >= index && k->fuel.entry != NO_SITE &&
		site_fuel(c, k->fuel.entry) < RUN_MAX;
}

/* The next run opened heads the else path of if k, which has no else. */
static __attribute__((noinline)) void
note_hoist(cstate *c, const ctl *k)
{
	fuel_func  *f = &c->fuel;

	if (grow((void **) &f->hoists, &f->caphoists, f->nhoists, sizeof(fhoist), c))
	{
		f->hoists[f->nhoists] = (fhoist) {k->fuel.entry, k->fuel.arm, NO_SITE};
		f->pend_hoist = f->nhoists++;
		f->pending |= FUEL_PEND_HOIST;
	}
}

/*
** After frame k ends, reached by a branch or resuming: the run at its
** entry goes on ('resume'), or a new one starts.
*/
static inline __attribute__((always_inline)) void
run_after_end(cstate *c, const ctl *k, bool resume, bool false_only)
{
	fuel_func  *f = &c->fuel;

	if (resume)
	{
		f->at = k->fuel.entry;
		set_n(f, site_fuel(c, f->at));
		set_wait(c);
		f->held = f->n;
		f->pending = 0;
		f->late_loop = NO_SITE;
		return;
	}
	/*
	** cg_fuel_end synced n first (a hoist since may have changed the site,
	** which keeps that)
	*/
	point_synced(c);
	if (false_only && k->kind == CTL_IF && k->fuel.entry != NO_SITE &&
		k->fuel.arm != NO_SITE)
		note_hoist(c, k);
}

/* cg_fuel_end of a loop or an if/else, when counting. */
static __attribute__((noinline)) void
end_frame(cstate *c, const ctl *k, uint32_t index, bool joined, bool false_only)
{
	bool		resume;

	if (k->kind == CTL_LOOP)
		end_loop(c, k, index);
	resume = run_resumes(c, k, index);
	if (!resume && !joined)
		return;
	/* the arms' runs are over: neither can be the current run any more */
	if (k->kind == CTL_ELSE)
		hoist_common(c, k);
	run_after_end(c, k, resume, false_only);
}

/*
** Frame k (popped: it is cs[c->csp], its parent the frame before it)
** ends.  'joined' says some branch reaches its end; otherwise only the
** fall-through does, and the current run may go on.  'false_only': only
** the false edge of an if without else does (the then arm never reaches
** its end), so the run after the end is the else path's, and what both
** paths charge can move before the if (cg_fuel_func_end).  A block or an
** if without else is done inline here.
*/
void
cg_fuel_end(cstate *c, ctl *k, bool joined, bool false_only)
{
	fuel_func  *f = &c->fuel;
	uint32_t	index = c->csp;
	fuel_frame *parent = &k[-1].fuel;
	bool		resume;

	cg_fuel_sync(c);
	if (k->fuel.esc_min < parent->esc_min)
		parent->esc_min = k->fuel.esc_min;
	if (!f->counting)
		return;
	if (k->kind == CTL_LOOP || k->kind == CTL_ELSE)
	{
		end_frame(c, k, index, joined, false_only);
		return;
	}
	resume = run_resumes(c, k, index);
	if (resume || joined)
		run_after_end(c, k, resume, false_only);
}

/* ---- calls: the caller pays the callee's entry run ----------------------------- */

/*
** A function's entry run is charged before its prologue.  A direct call
** runs that run exactly once each time the call's own run runs, so the
** caller's run pays it and the call enters just past the charge
** (cg_fuel_call_entry); call_indirect, the host and the tables enter at
** the charge.  A recursive fib pays one charge per call instead of two.
*/
void
cg_fuel_func_entry(cstate *c, uint32_t defidx)
{
	fuel_func  *f = &c->fuel;
	uint32_t	start = cg_pos(c);
	uint64_t	most;

	cg_fuel_sync(c);
	f->entry = NO_SITE;
	f->unroll = NO_SITE;
	f->peeled = NO_SITE;
	f->cand.frame = NO_SITE;
	f->last_load = NULL;
	f->fix0 = c->ms->nfix;
	f->precise = c->m->cfg.fuel_mode == SF_FUEL_PRECISE;
	f->slacked = c->m->cfg.fuel_mode == SF_FUEL_SLACKED;
	if (!f->counting)
		return;
	most = (uint64_t) FUEL_OP_MAX * (uint64_t) (c->end - c->pc);
	f->fast_lim = most < RUN_MAX ? RUN_MAX - (uint32_t) most : 0;
	open_run(c);
	f->entry = f->at;
	if (f->at != NO_SITE)
		c->ms->fuel.entry[defidx] = (fuel_entry) {f->sites[f->at].at, 0,
		(uint8_t) (cg_pos(c) - start)};
}

/*
** Whether a direct call in loop r pays through 'site'.  The function's
** calls are in ms->fix from fuel.fix0 on, in code order.
*/
static bool
call_pays_at(const cstate *c, const frot *r, uint32_t site)
{
	const call_fixup *fx = c->ms->fix;
	uint32_t	lo = c->fuel.fix0,
				hi = c->ms->nfix;

	while (lo < hi)
	{
		uint32_t	mid = lo + (hi - lo) / 2;

		if (fx[mid].at < r->pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < c->ms->nfix && fx[lo].at < r->end; lo++)
		if (fx[lo].pay.site == site)
			return true;
	return false;
}

/*
** Slacked mode drops a header charge left at zero; the loop's back edges
** then jump past it, so an iteration runs no instruction for fuel but
** the one its back edge's run pays.  Only when the charge starts at the
** label, is zero after every rotation (an outer loop's may add to an inner
** header), and no direct call will add its callee's entry run to it when
** calls are linked (cg_fuel_call_entry).
*/
static void
skip_dropped_headers(cstate *c)
{
	const fuel_module *fm = &c->ms->fuel;

	if (!c->fuel.slacked)
		return;
	for (uint32_t k = 0; k < c->fuel.nrorder; k++)
	{
		const frot *r = &fm->rots[fm->rorder[k]];

		if (c->fuel.sites[r->header].at != r->pos || site_fuel(c, r->header) != 0 ||
			call_pays_at(c, r, r->header))
			continue;
		for (uint32_t i = 0; i < c->fuel.nredges; i++)
			if (fm->redges[i].rot == fm->rorder[k] && fm->redges[i].jump != NO_SITE)
				cg_jump_past_charge(c->ms, fm->redges[i].jump, r->pos);
	}
}

/* Whether n more fuel fits every charge of loop r's entry edges. */
static bool
edges_take(const cstate *c, uint32_t r, uint32_t n)
{
	const fuel_module *fm = &c->ms->fuel;

	if (site_fuel(c, fm->rots[r].pre) + (uint64_t) n >= RUN_MAX)
		return false;
	for (uint32_t i = 0; i < c->fuel.nredges; i++)
		if (fm->redges[i].rot == r && site_fuel(c, fm->redges[i].site) + (uint64_t) n >= RUN_MAX)
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
	const fuel_module *fm = &c->ms->fuel;

	for (uint32_t k = 0; k < c->fuel.nrorder && c->status == SF_OK; k++)
	{
		uint32_t	r = fm->rorder[k],
					h = site_fuel(c, fm->rots[r].header);

		if (h == 0 || !edges_take(c, r, h))
			continue;
		c->fuel.sites[fm->rots[r].pre].n += h;
		for (uint32_t i = 0; i < c->fuel.nredges; i++)
			if (fm->redges[i].rot == r)
				c->fuel.sites[fm->redges[i].site].n += h;
		set_site(c, fm->rots[r].header, 0);
	}
	skip_dropped_headers(c);
}

/*
** The else arm of k, entered by the if's branch at 'branch', ends: its
** charge may be jumped past (cg_fuel_drop_plain) unless a direct call
** pays through it, which linking may add to (a call pays through the run
** current at the call, and no later run is this one).
*/
void
cg_fuel_else_done(cstate *c, const ctl *k, uint32_t branch)
{
	fuel_func  *f = &c->fuel;

	if (f->slacked && k->fuel.arm != NO_SITE && branch != NO_SITE &&
		c->ms->nfix == k->fuel.arm_mark.calls &&
		grow((void **) &f->plains, &f->capplains, f->nplains, sizeof(fplain), c))
		f->plains[f->nplains++] = (fplain) {k->fuel.arm, 0, branch, k->fuel.arm_mark};
}

/*
** Precise mode, the trap thunks bound: a dropped charge (a NOP now) loses
** the check after it.  Only the zero candidates are dropped (a site may
** be one twice: its check goes twice, the same bytes).
*/
void
cg_fuel_drop_checks(cstate *c)
{
	const fuel_func *f = &c->fuel;

	if (!f->precise || c->status != SF_OK)
		return;
	for (uint32_t i = 0; i < f->nzcand; i++)
	{
		const fuel_site *s = &f->sites[f->zcand[i]];

		if (s->form == FUEL_DROPPED)
			cg_charge_uncheck(c->ms, s->at);
	}
}

/*
** Slacked mode, the function's code complete (its trap thunks too, so
** every jump is bound): a plain arm (cg_fuel_arm_done) whose charge ended
** dropped -- what it cost went before its if, as in an early 'if (n < 2)
** return n;' -- loses the charge instead of running its NOP: the target
** moves the arm's code up over it, and the freed bytes after the return
** or jump are never executed.  An else arm that starts with its dropped
** charge is entered past it: only the if's branch goes there (the then
** arm ends in a jump).
*/
void
cg_fuel_drop_plain(cstate *c)
{
	const fuel_func *f = &c->fuel;

	if (!f->slacked)
		return;
	for (uint32_t i = 0; i < f->nplains && c->status == SF_OK; i++)
	{
		const fplain *p = &f->plains[i];
		fuel_site  *s = &f->sites[p->site];

		/* an else arm that moved up is entered at its code already */
		if (s->form != FUEL_DROPPED)
			continue;
		if (p->end == 0)
			cg_jump_past_charge(c->ms, p->jump, s->at);
		else
		{
			cg_charge_remove(c->ms, s->at, p->end, p->jump, &p->since);
			s->form = FUEL_REMOVED;
		}
	}
}

/*
** The function's runs are all known: the if-without-else hoists move what
** both paths charge before the if (in the order the ifs ended: an inner
** if's hoist can add to an outer one's arm), then slacked mode drops the
** charges left at zero: loop entries that nothing joined, and the entry
** charge (a direct call adding to it later brings it back, keeping the
** flags).  Then the target writes every site, and the calls' paying sites
** go with their fixups to the link.
*/
void
cg_fuel_func_end(cstate *c, uint32_t defidx)
{
	fuel_func  *f = &c->fuel;
	modstate   *ms = c->ms;
	fuel_site  *sites;
	call_fixup *fix = ms->fix;
	uint32_t	dropped = 0;

	cg_fuel_sync(c);
	if (!f->counting || c->status != SF_OK)
		return;
	if (!zcand_room(c, 2 * f->nhoists))
		return;
	for (uint32_t i = 0, n = f->nhoists; i < n; i++)
	{
		const fhoist *h = &f->hoists[i];

		if (h->else_run != NO_SITE)
			hoist(c, h->before, h->then_arm, h->else_run);
	}
	if (f->nrorder > 0)
		rotate_loops(c);
	/*
	** Peeled loops, inner ones first: the run before pays the first
	** iteration's header run, the header's charge but the late part.
	*/
	for (uint32_t i = 0; i < f->nskips; i++)
		if (f->skips[i].peel)
			f->sites[f->skips[i].pre].n += site_fuel(c, f->skips[i].header) - f->skips[i].late_n;
	if (f->entry != NO_SITE)
		zero_candidate(c, f->entry);
	ms->fuel.points += f->nsites;
	sites = f->sites;
	/*
	** In precise mode too: a charge of zero is a check of what unchecked
	** charges (late parts, exits) added, which the next check, or the
	** boundary at a host call or the return, makes as well.  Its check
	** goes once the trap thunks are bound (cg_fuel_drop_checks).
	*/
	for (uint32_t i = 0, n = f->nzcand; i < n; i++)
	{
		fuel_site  *s = &sites[f->zcand[i]];

		if (s->n != 0 || s->form == FUEL_DROPPED)
			continue;			/* charges, or already dropped */
		s->form = FUEL_DROPPED;
		dropped++;
	}
	ms->fuel.points -= dropped;
	cg_charges_write(ms, f->sites, f->nsites);
	for (uint32_t i = 0; i < f->nskips; i++)
	{
		const fskip *k = &f->skips[i];

		cg_charge_skip_write(ms, k->slot,
							 k->peel ? FUEL_SKIP_JUMP :
							 k->header != NO_SITE && f->sites[k->header].at == k->label ?
							 FUEL_SKIP_PREFIX : FUEL_SKIP_NOP, f->precise);
	}
	if (f->entry != NO_SITE)
		ms->fuel.entry[defidx].n = f->sites[f->entry].n;
	/* each fixup carries its paying site; those of one site share the first's */
	for (uint32_t i = f->fix0, nfix = ms->nfix; i < nfix; i++)
	{
		fuel_pay   *p = &fix[i].pay;
		fuel_site  *s;

		if (p->site == NO_SITE)
			continue;
		s = &sites[p->site];
		p->at = s->at;
		p->n = s->n;
		p->form = s->form;
		p->changed = false;
		p->back = s->first_pay == NO_SITE ? 0 : i - s->first_pay;
		if (s->first_pay == NO_SITE)
			s->first_pay = i;
	}
}

/*
** Linking direct call i: its caller's run pays the callee's entry run, if
** the sum stays below RUN_MAX; the call then enters past the callee's
** entry charge.  Returns how far into the callee the call enters.  A
** dropped paying charge comes back as one that keeps the flags (it may sit
** between a compare and its branch).
*/
uint32_t
cg_fuel_call_entry(modstate *ms, uint32_t i)
{
	const call_fixup *fx = &ms->fix[i];
	const fuel_entry *e;
	fuel_pay   *p;

	if (fx->pay.site == NO_SITE || ms->fuel.entry == NULL)
		return 0;
	e = &ms->fuel.entry[fx->callee];
	p = &ms->fix[i - fx->pay.back].pay;
	if (e->at == NO_SITE || p->n + (uint64_t) e->n >= RUN_MAX)
		return 0;
	if (e->n != 0)
	{
		if (p->form == FUEL_DROPPED)
		{
			p->form = FUEL_LEA;
			p->n = 0;
			ms->fuel.points++;
		}
		p->n += e->n;
		p->changed = true;
	}
	return e->len;
}

/* The paying charges the link changed, written by the target a batch at a time. */
void
cg_fuel_write_pays(modstate *ms)
{
	fuel_site	batch[64];
	uint32_t	n = 0;

	for (uint32_t i = 0; i < ms->nfix; i++)
	{
		const fuel_pay *p = &ms->fix[i].pay;

		if (p->site == NO_SITE || p->back != 0 || !p->changed)
			continue;
		batch[n++] = (fuel_site) {p->at, p->n, p->form, NO_SITE};
		if (n == sizeof(batch) / sizeof(batch[0]))
		{
			cg_charges_write(ms, batch, n);
			n = 0;
		}
	}
	cg_charges_write(ms, batch, n);
}
