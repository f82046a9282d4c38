/*
** compile_fuel.h -- fuel planning (compile_fuel.c): where the code charges
** fuel and how much, decided alongside the single pass.  Target-neutral:
** the plan is a list of charge sites (code offset, amount, form) that the
** target writes (cg_charge_*, compile.h), and the pass never reads or
** writes machine code itself.  Its state lives here: per function
** (fuel_func, in the compiler's state), per control frame (fuel_frame,
** in each frame) and per compiling thread (fuel_module).
*/
#ifndef SF_COMPILE_FUEL_H
#define SF_COMPILE_FUEL_H

#include <stdbool.h>
#include <stdint.h>

/* No site, no frame, no jump: the unset value of every index below. */
#define NO_SITE ((uint32_t) 0xFFFFFFFF)

/* A run never gets near this; splitting keeps a charge positive. */
#define FUEL_RUN_MAX 0x40000000u

/* How a charge is written (every form has the same length). */
typedef enum fuel_form
{
	FUEL_ADD,					/* an add; in precise mode followed by its check */
	FUEL_LEA,					/* an add that leaves the flags alone, unchecked */
	FUEL_DROPPED,				/* charges nothing: a NOP of the same length */
	FUEL_REMOVED				/* dropped, and its bytes taken out of the code */
} fuel_form;

/* One charge in the code. */
typedef struct fuel_site
{
	uint32_t	at;				/* code offset of the charge */
	uint32_t	n;				/* fuel it charges */
	uint8_t		form;			/* fuel_form */
	uint32_t	first_pay;		/* the first call fixup paying through it, or NO_SITE */
} fuel_site;

/*
** A place in the lowering's output, to tell later whether the code since
** is plain: no branch, call or frame in it (cg_mark, cg_plain_since); and,
** made just after a charge, where that charge's code ends in the code map
** (cg_charge_remove).
*/
typedef struct cg_mark
{
	uint32_t	branches, calls, frames, map;
} cg_mark;

/* What the pass keeps per control frame (in the compiler's ctl). */
typedef struct fuel_frame
{
	uint32_t	entry;			/* site of the run at entry, or NO_SITE */
	uint32_t	esc_min;		/* lowest frame index a branch inside targets */
	uint32_t	arm;			/* if/else: site heading this arm */
	uint32_t	then_arm;		/* else: site heading the then arm */
	uint32_t	comp;			/* loop: the run at entry, takes the late part back */
	uint32_t	late_n;			/* loop: fuel of the late part */
	uint32_t	room;			/* loop: what the compensation may still take back */
	uint32_t	rot1;			/* loop: 1 + its frot in fuel_module.rots, 0 if none */
	uint32_t	skip;			/* loop: its entry's slot before the label, or NO_SITE */
	bool		late;			/* loop: part of its body is charged late */
	bool		peel;			/* loop: entered past its header charge (fskip) */
	/*
	** if/else: the lowering when 'arm' opened, to tell a plain arm (which
	** has no other site after 'arm')
	*/
	cg_mark		arm_mark;
	/*
	** unused: with them a frame (ctl, compile.h) is 128 bytes, and finding
	** frame i, which the hooks do on every branch and end, is a shift
	** (compile_fuel.c checks the size)
	*/
	uint32_t	spare[4];
} fuel_frame;

/*
** An if without else whose then arm never reaches its end: the run after
** the end is the else path's.  What both paths charge moves before the if
** when the function ends and every run's charge is known.
*/
typedef struct fhoist
{
	uint32_t	before;			/* the run before the if */
	uint32_t	then_arm;		/* the then arm's head */
	uint32_t	else_run;		/* the run after the end, or NO_SITE */
} fhoist;

/*
** An arm of an if that is plain -- straight-line code from its charge to
** a return or a jump out -- whose charge slacked mode removes from the code
** if it ends at zero; or an else arm, which only the if's branch enters,
** whose emptied charge that branch can jump past (cg_fuel_drop_plain).
*/
typedef struct fplain
{
	uint32_t	site;			/* the arm's charge */
	uint32_t	end;			/* the end of its code, or 0: an else arm */
	uint32_t	jump;			/* the jump that ends it, or NO_SITE; an else
								 * arm: the if's branch to it */
	cg_mark		since;			/* made just after the charge */
} fplain;

/*
** A loop whose header charge may move onto the edges that enter it: the
** run before the loop and the runs that end in a 'br' back to it
** ("rotate").
*/
typedef struct frot
{
	uint32_t	pre;			/* the run before the loop (its comp) */
	uint32_t	header;			/* the header run's site, set at the end */
	uint32_t	edges;			/* branches to the loop's label */
	uint32_t	absorbed;		/* of them, 'br's whose run can take the header */
	uint32_t	pos;			/* the loop's label */
	uint32_t	end;			/* where the loop's code ends */
} frot;

#define FUEL_ROTS 64
#define FUEL_REDGES 128

/* A run ending in a 'br' back to the loop of rots[rot]. */
typedef struct fedge
{
	uint32_t	rot;
	uint32_t	site;
	uint32_t	jump;			/* its jump to the label, or NO_SITE */
} fedge;

/* A late loop's exit by br_if that must charge 'fix' on the way out. */
typedef struct fstub
{
	uint32_t	branch;			/* the conditional branch to the stub */
	uint32_t	fix;			/* fuel to charge */
	uint32_t	target;			/* frame index of the label */
	uint32_t	owner;			/* loop frame at whose end the stub goes */
} fstub;

/*
** How a loop's entry slot (a few bytes just before its label) is written:
** a jump past the header charge at the label (and its check), or, when
** the entry runs the charge, bytes that make one instruction with it
** (redundant prefixes) or, when the charge is not at the label, a NOP.
*/
typedef enum fuel_skip_form
{
	FUEL_SKIP_JUMP,
	FUEL_SKIP_PREFIX,
	FUEL_SKIP_NOP
} fuel_skip_form;

/*
** A loop with an entry slot.  'peel': the entry jumps past the header
** charge, which only the branches back run, and the run before the loop
** pays the first iteration's header instead (compile_fuel.c).
*/
typedef struct fskip
{
	uint32_t	slot;			/* code offset of the slot */
	uint32_t	label;			/* the loop's label, just after it */
	uint32_t	header;			/* the header's site, or NO_SITE */
	uint32_t	pre;			/* the run before the loop */
	uint32_t	late_n;			/* of the header's charge, the late part */
	bool		peel;
} fskip;

/*
** Slacked mode unrolls an innermost loop whose body is straight-line code
** ending in its one 'br_if' back (compile_fuel.c, unrolling): its code is
** repeated, each copy but the last leaving by a branch out, and the
** header charges all the copies at once.  Bodies of at most
** FUEL_UNROLL_BYTES bytes of wasm make FUEL_UNROLL copies, up to
** FUEL_UNROLL2_BYTES two.  Not 4: the sieve kernel's loops that store
** into a 4 MB array ran 4-11% slower with 4 copies (and with 2) than not
** unrolled on the reference machine, and as fast with 3.
*/
#define FUEL_UNROLL 3
#define FUEL_UNROLL_BYTES 32
#define FUEL_UNROLL2_BYTES 128

/*
** A search loop (its condition comes from its last load) mostly leaves
** after an iteration or two, where unrolling's ways out cost more than
** its charges save.  In both counting modes, one of at most
** FUEL_PEEL_BYTES bytes of wasm is peeled instead (compile_fuel.c): its
** first iteration, paid by the run before the loop, is the body itself,
** which the code before enters with no charge, and a copy of it runs the
** iterations after.  Not larger straight loops: peeled, the n-body
** kernel's inner loop (1 to 4 iterations, too large to unroll) ran 4.8
** million charges where it ran 6.0 (0.5% fewer instructions), but its
** call took 13-18% longer on the reference machine.
*/
#define FUEL_PEEL_BYTES 128

/* What the lowering does with a straight innermost loop (cg_fuel_loop_plan). */
typedef enum fuel_loop_plan
{
	FUEL_LOOP_AS_IS,
	FUEL_LOOP_UNROLL,
	FUEL_LOOP_PEEL
} fuel_loop_plan;

/*
** The innermost loop opened last, while its body may still turn out
** straight: what the lowering had emitted at its label (fuel_func.cand).
*/
typedef struct fuel_cand
{
	uint32_t	frame;			/* its frame, or NO_SITE */
	const uint8_t *body;		/* its first operator */
	uint32_t	frames, branches, calls, helpers, sites, cold;
} fuel_cand;

/* fuel_func.pending: which of arm_frame, pend_hoist, pend_lo hold something */
#define FUEL_PEND_ARM	1
#define FUEL_PEND_HOIST	2
#define FUEL_PEND_LO	4

/* What the pass keeps per function (in the compiler's cstate). */
typedef struct fuel_func
{
	/*
	** the open run, written per operator by cg_fuel_op (see
	** cstate.fuel_wait); a fuel point zeroes the first four fields and sets
	** the next two to NO_SITE (in that order, a few wide stores)
	*/
	uint32_t	n;				/* its fuel, written to the site by cg_fuel_sync */
	uint32_t	synced;			/* n as the site holds it */
	uint32_t	held;			/* of n, what runs up to its last operator that may trap */
	/* what waits for the next run opened: FUEL_PEND_* bits, each for its field */
	uint32_t	pending;
	uint32_t	at;				/* the open run's site, or NO_SITE */
	uint32_t	late_loop;		/* loop whose late part the current run is, or NO_SITE */
	uint32_t	arm_frame;		/* if frame whose arm the next run heads */
	uint32_t	pend_lo;		/* frames from here up take the next run as entry run */
	uint32_t	pend_hoist;		/* hoist whose else run the next run is */
	bool		counting;		/* fuel mode is not off */
	bool		precise;		/* fuel mode is precise */
	bool		slacked;		/* fuel mode is slacked */
	uint32_t	entry;			/* this function's entry charge, or NO_SITE */
	uint32_t	late_open;		/* loops turned late whose frame is open */
	uint32_t	redge_new1;		/* 1 + the fedge whose jump comes next, or 0 */
	uint32_t	fix0;			/* this function's first call fixup */
	uint32_t	fast_lim;		/* a run below this cannot reach FUEL_RUN_MAX by the
								 * body's end: it may grow inline (set_wait) */
	/*
	** The loop being unrolled: its frame, or NO_SITE; the fuel of one copy
	** of its body; how many copies; the branch out of each but the last.
	*/
	uint32_t	unroll;
	uint32_t	unroll_n;
	uint32_t	unroll_k;
	uint32_t	unroll_exit[FUEL_UNROLL - 1];
	/*
	** The loop being peeled: its frame, or NO_SITE, and the branch out of
	** its first iteration, bound at the loop's end.
	*/
	uint32_t	peeled;
	uint32_t	peeled_exit;
	fuel_cand	cand;			/* the loop that may unroll next */
	const uint8_t *last_load;	/* the last load lowered */
	uint32_t	helpers;		/* C helpers called so far */
	fuel_site  *sites;
	uint32_t	nsites, capsites;
	fhoist	   *hoists;			/* if-without-else hoists, done at the end */
	uint32_t	nhoists, caphoists;
	fplain	   *plains;			/* plain arms */
	uint32_t	nplains, capplains;
	uint32_t   *zcand;			/* charges that may end at zero */
	uint32_t	nzcand, capzcand;
	fstub	   *stubs;
	uint32_t	nstubs, capstubs;
	fskip	   *skips;			/* loops with an entry slot, in the order they ended */
	uint32_t	nskips, capskips;
	uint32_t	nrots, nredges, nrorder;	/* used of fuel_module's rots, redges, rorder */
} fuel_func;

/*
** A function's entry charge.  A direct call runs the entry run exactly
** once each time the call's own run runs, so the caller's run pays it
** and the call enters 'len' bytes in, past the charge.
*/
typedef struct fuel_entry
{
	uint32_t	at;				/* code offset of the charge, or NO_SITE */
	uint32_t	n;
	uint8_t		len;			/* what a direct call skips */
} fuel_entry;

/*
** The charge that pays for a direct call's callee entry run, as a call
** fixup carries it to the link (cg_fuel_call_entry).  While the function
** compiles, 'site' is the paying run; when it ends, the site's place,
** amount and form are copied here and calls that pay through the same site
** point back at the first of them, which keeps the running amount.
*/
typedef struct fuel_pay
{
	uint32_t	site;			/* the paying run, or NO_SITE */
	uint32_t	at;
	uint32_t	n;
	uint8_t		form;
	bool		changed;		/* the link added to it */
	uint32_t	back;			/* how many fixups back the first one of the site is */
} fuel_pay;

/* What the pass keeps per compiling thread (in the compiler's modstate). */
typedef struct fuel_module
{
	uint64_t	points;			/* charges left in the code */
	uint32_t	unrolled;		/* loops unrolled (slacked mode) */
	uint32_t	peeled;			/* loops peeled */
	fuel_entry *entry;			/* per defined function, shared by the threads */
	/* fuel_func's arrays, handed on from one function to the next (FUEL_ARRAYS) */
	fuel_site  *sites;
	uint32_t	capsites;
	fhoist	   *hoists;
	fplain	   *plains;
	uint32_t   *zcand;
	fstub	   *stubs;
	fskip	   *skips;
	uint32_t	caphoists, capplains, capzcand, capstubs, capskips;
	/* a function's loops that may rotate; more go unrotated */
	frot		rots[FUEL_ROTS];	/* by start */
	fedge		redges[FUEL_REDGES];	/* their back edges' runs */
	uint32_t	rorder[FUEL_ROTS];	/* those that rotate, in the order they ended */
} fuel_module;

#endif							/* SF_COMPILE_FUEL_H */
