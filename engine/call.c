/*
** call.c -- crossing between the host and JIT code: sf_call and
** sf_call_slots (an activation per call, the fuel limit and the report,
** the decisions at the return to the host), the host-function boundary
** the host-call stub calls, and the host-function context (sf_ctx_*).
** The stubs themselves are the target's (x64/stubs.c).
*/
#define _GNU_SOURCE				/* pthread_getattr_np */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"
#include "signals.h"
#include "target.h"

/* ---- the thread's activation ------------------------------------------------------ */

static __thread sf_activation *cur_act __attribute__((tls_model("initial-exec")));

sf_activation *
sf_call_current(void)
{
	return cur_act;
}

sf_activation **
sf_call_current_addr(void)
{
	return &cur_act;
}


/* ---- calls ---------------------------------------------------------------------- */

struct sf_ctx
{
	sf_store   *store;
	sf_memory  *mem;
	sf_instance *inst;			/* the wasm caller's */
	sf_activation *act;
	bool		exit;			/* sf_ctx_exit was called */
	int32_t		exit_code;
	char		msg[SF_ERROR_MSG_LEN];	/* from sf_ctx_set_error */
};

/* The trap a host function's non-zero return makes. */
static uint64_t
host_trap(const struct sf_ctx *ctx)
{
	return ctx->exit ? SF_TRAP_EXIT : SF_TRAP_HOST;
}

static __thread uint64_t last_fuel __attribute__((tls_model("initial-exec")));

uint64_t
sf_last_fuel_consumed(void)
{
	return last_fuel;
}

void
sf_call_set_last_fuel(uint64_t fuel)
{
	last_fuel = fuel;
}

static uint64_t
val_to_slot(const sf_val *v)
{
	switch (v->type)
	{
		case SF_I32:
		case SF_F32:
			return (uint32_t) v->of.i32;
		case SF_FUNCREF:
			return (uint64_t) (uintptr_t) v->of.funcref;
		case SF_EXTERNREF:
			return (uint64_t) v->of.externref;
		default:
			return (uint64_t) v->of.i64;
	}
}

static sf_val
slot_to_val(uint64_t s, sf_valtype t)
{
	sf_val		v;

	memset(&v, 0, sizeof(v));
	v.type = t;
	if (t == SF_I32 || t == SF_F32)
		v.of.i32 = (int32_t) (uint32_t) s;
	else if (t == SF_FUNCREF)
		v.of.funcref = (sf_func *) (uintptr_t) s;
	else
		v.of.i64 = (int64_t) s;
	return v;
}

static void
describe_trap(sf_error *err, const sf_activation *act)
{
	uint32_t	fi = 0;
	const sf_module *m = sf_jit_find_pc(act->trap_pc, &fi);
	sf_trap_kind k = (sf_trap_kind) act->trap;
	const char *msg = (k == SF_TRAP_HOST || k == SF_TRAP_EXIT) && act->host_msg[0] ?
		act->host_msg : sf_trap_message(k);
	const char *name = m ? sf_module_func_name(m, fi) : NULL;

	if (err == NULL)
		return;
	if (m && name)
		sf_error_set(err, SF_TRAP, "%s (in wasm function %u \"%s\")", msg, fi, name);
	else if (m)
		sf_error_set(err, SF_TRAP, "%s (in wasm function %u)", msg, fi);
	else
		sf_error_set(err, SF_TRAP, "%s", msg);
	err->trap = k;
	err->func_index = m ? (int64_t) fi : -1;
	if (k == SF_TRAP_EXIT)
		err->exit_code = act->exit_code;
	/*
	** Only the trap stub sets trap_pc (the activation starts zeroed), and
	** it noted the frames: none for a trap found at the return to the host.
	*/
	if (act->trap_pc != 0)
		err->offset = sf_frames_read(act, err);
}

static sf_status
call_host(sf_func *f, const sf_val *args, sf_val *results, sf_error *err)
{
	struct sf_ctx ctx;

	memset(&ctx, 0, sizeof(ctx));
	ctx.store = f->store;
	ctx.act = f->store->act;
	if (f->host(&ctx, f->env, args, results) != 0)
	{
		sf_trap_kind k = (sf_trap_kind) host_trap(&ctx);

		sf_error_set(err, SF_TRAP, "%s", ctx.msg[0] ? ctx.msg : sf_trap_message(k));
		if (err)
		{
			err->trap = k;
			err->exit_code = ctx.exit_code;
		}
		return SF_TRAP;
	}
	return SF_OK;
}

static sf_status
check_args(sf_func *f, const sf_val *args, uint32_t nargs, uint32_t nresults, sf_error *err)
{
	if (nargs != f->type.nparams || nresults != f->type.nresults)
		return sf_error_set(err, SF_BADARG, "function takes %u arguments and returns %u results",
							f->type.nparams, f->type.nresults);
	for (uint32_t i = 0; i < nargs; i++)
		if (args[i].type != f->type.params[i])
			return sf_error_set(err, SF_BADARG, "argument %u is %s, expected %s", i,
								sf_valtype_name(args[i].type), sf_valtype_name(f->type.params[i]));
	return SF_OK;
}

/*
** r15 starts at -limit.  No options means no limit; the limit is capped
** at 2^62, far below INT64_MAX: a loop's entry lowers the counter for a
** moment (its compensation, under 2^30; compile_fuel.c), and from -limit
** that must not wrap around to a positive count.  With fuel off nothing
** counts and the counter starts where no host charge can bring it above
** zero.
*/
#define FUEL_LIMIT_CAP ((uint64_t) 1 << 62)

static uint64_t
fuel_setup(sf_activation *act, const sf_func *f, const sf_call_opts *opts)
{
	uint64_t	limit = opts ? opts->fuel_limit : FUEL_LIMIT_CAP;

	if (limit > FUEL_LIMIT_CAP)
		limit = FUEL_LIMIT_CAP;
	act->counting = f->counting;
	act->fuel = act->counting ? -(int64_t) limit : INT64_MIN;
	return limit;
}

/*
** A trap found the counter where the trap stub saved it.  In an unrolled
** loop's copies (slacked mode) it stands ahead of what precise mode's
** would there: take that back, so both modes decide alike (out of fuel
** wins) and report the same fuel.
*/
static inline void
trap_fuel_back(sf_activation *act)
{
	if (act->counting && act->trap_pc != 0)
		act->fuel -= (int64_t) sf_jit_fuel_ahead(act->trap_pc);
}

/*
** The decisions at the return to the host.  A call whose counter ended
** above zero consumed more than its limit: it is out of fuel whatever
** else happened (a trap it raised, an interrupt, or a normal return that
** slacked mode let run past the limit), so the outcome never depends on
** timing.  An interrupt still pending is honoured here.  The outermost
** activation of the thread consumes the request; nested ones leave it
** for the boundary checks of the activations around them.
*/
static uint64_t
fuel_finish(sf_activation *act, uint64_t limit, bool outermost, uint64_t *trap)
{
	uint64_t	consumed = 0;

	if (act->counting)
	{
		consumed = (uint64_t) act->fuel + limit;
		if (act->fuel > 0)
			*trap = SF_TRAP_OUT_OF_FUEL;
	}
	if (sf_signals_interrupt_pending())
	{
		if (*trap == 0)
			*trap = SF_TRAP_INTERRUPTED;
		if (outermost)
			sf_clear_interrupt();
	}
	return consumed;
}

/*
** Room left below the deepest wasm frame for host functions, the stubs and
** signal handlers.
*/
#define STACK_MARGIN ((uintptr_t) 128 << 10)

/*
** The lowest stack address wasm may use: max_stack_bytes below the
** outermost call's frame, but never within STACK_MARGIN of the end of this
** thread's stack.  Without the clamp a thread with a small stack, or a
** caller already deep in it, overflows into the guard page: SIGSEGV
** instead of "call stack exhausted".  The bound is looked up once per
** thread (for the main thread glibc reads /proc/self/maps).
*/
static __thread uintptr_t thread_lo;

static __attribute__((noinline)) void
find_thread_lo(void)
{
	pthread_attr_t attr;
	void	   *addr;
	size_t		size;

	thread_lo = 1;
	if (pthread_getattr_np(pthread_self(), &attr) == 0)
	{
		if (pthread_attr_getstack(&attr, &addr, &size) == 0)
			thread_lo = (uintptr_t) addr + STACK_MARGIN;
		pthread_attr_destroy(&attr);
	}
}

/* Inline: runs on every outermost call; the lookup only once per thread. */
static inline uintptr_t
stack_floor(uintptr_t frame, uint64_t max_bytes)
{
	uintptr_t	lim = frame > max_bytes ? frame - (uintptr_t) max_bytes : 0;

	if (__builtin_expect(thread_lo == 0, 0))
		find_thread_lo();
	return lim > thread_lo ? lim : thread_lo;
}

/*
** Run JIT function 'f' on 'slots' (arguments in, results out; 'nslots' is
** the larger of its parameter and result counts).  This runs on every call
** from SQL: the activation's message buffer is not cleared (only read
** after a host trap, which writes it first), and the entry and trap stubs
** are those instantiation chose for 'f'.
*/
static inline __attribute__((always_inline)) sf_status
call_jit(sf_func *f, uint64_t *slots, uint32_t nslots, sf_call_opts *opts,
		 sf_error *err)
{
	sf_store   *s = f->store;
	sf_activation act;
	sf_activation *prev_cur;
	uintptr_t	prev_limit = s->stack_limit;
	uint64_t	trap, limit;

	memset(&act, 0, offsetof(sf_activation, host_msg));
	act.host_msg[0] = '\0';
	act.prev = s->act;
	act.store = s;
	act.trap_stub = f->trap_stub;
	limit = fuel_setup(&act, f, opts);
	if (act.prev == NULL)
		s->stack_limit = stack_floor((uintptr_t) __builtin_frame_address(0), s->cfg.max_stack_bytes);
	s->act = &act;
	prev_cur = sf_call_current();
	/* the activation is complete before a signal handler can see it */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	cur_act = &act;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	/* a request that came before the activation was visible is not lost */
	if (sf_signals_interrupt_pending())
		trap = SF_TRAP_INTERRUPTED;
	else
		trap = ((sf_entry_fn) f->entry_stub) (f->ctx, f->code, slots, nslots, &act);
	cur_act = prev_cur;
	s->act = act.prev;
	s->stack_limit = prev_limit;
	if (__builtin_expect(trap != 0, 0))
		trap_fuel_back(&act);
	last_fuel = fuel_finish(&act, limit, prev_cur == NULL, &trap);
	if (opts != NULL)
		opts->fuel_consumed = last_fuel;
	if (__builtin_expect(trap != 0, 0))
	{
		act.trap = (int64_t) trap;
		sf_error_clear(err);	/* sf_call_slots leaves it alone until now */
		describe_trap(err, &act);
		return SF_TRAP;
	}
	return SF_OK;
}

sf_status
sf_call(sf_func *f, const sf_val *args, uint32_t nargs, sf_val *results,
		uint32_t nresults, sf_call_opts *opts, sf_error *err)
{
	uint32_t	nslots = nargs > nresults ? nargs : nresults;
	uint64_t	small[16], *slots = small;
	sf_status	st;

	sf_error_clear(err);
	/* a call that does not reach JIT code consumes nothing */
	last_fuel = 0;
	if (opts != NULL)
		opts->fuel_consumed = 0;
	if ((st = check_args(f, args, nargs, nresults, err)) != SF_OK)
		return st;
	if (f->host)
		return call_host(f, args, results, err);
	if (nslots > 16 && (slots = malloc(nslots * sizeof(uint64_t))) == NULL)
		return sf_error_set(err, SF_NOMEM, "out of memory");
	for (uint32_t i = 0; i < nargs; i++)
		slots[i] = val_to_slot(&args[i]);
	st = call_jit(f, slots, nslots, opts, err);
	if (st == SF_OK)
		for (uint32_t i = 0; i < nresults; i++)
			results[i] = slot_to_val(slots[i], f->type.results[i]);
	if (slots != small)
		free(slots);
	return st;
}

/*
** The i32 and f32 parameters' slots of JIT function 'f' (at most 64
** parameters) cut to their low 32 bits.  The first parameter is tested on
** its own: calls from SQL mostly have one or a few.
*/
static inline __attribute__((always_inline)) void
narrow_slots(const sf_func *f, uint64_t *slots)
{
	uint64_t	m = f->narrow;

	if (m & 1)
		slots[0] = (uint32_t) slots[0];
	for (m &= ~(uint64_t) 1; m != 0; m &= m - 1)
		slots[__builtin_ctzll(m)] = (uint32_t) slots[__builtin_ctzll(m)];
}

/* A host function called through sf_call_slots: the slots become sf_vals. */
static sf_status
call_host_slots(sf_func *f, uint64_t *slots, sf_error *err)
{
	sf_val		small_a[8], small_r[8];
	sf_val	   *args = small_a, *results = small_r;
	sf_status	st = SF_NOMEM;

	sf_error_clear(err);
	if ((f->type.nparams > 8 && !(args = malloc(f->type.nparams * sizeof(sf_val)))) ||
		(f->type.nresults > 8 && !(results = malloc(f->type.nresults * sizeof(sf_val)))))
	{
		sf_error_set(err, SF_NOMEM, "out of memory");
		goto out;
	}
	for (uint32_t i = 0; i < f->type.nparams; i++)
		args[i] = slot_to_val(slots[i], f->type.params[i]);
	memset(results, 0, f->type.nresults * sizeof(sf_val));
	st = call_host(f, args, results, err);
	if (st == SF_OK)
		for (uint32_t i = 0; i < f->type.nresults; i++)
			slots[i] = val_to_slot(&results[i]);
out:
	if (args != small_a)
		free(args);
	if (results != small_r)
		free(results);
	return st;
}

sf_status
sf_call_slots(sf_func *f, uint64_t *slots, uint32_t nargs, uint32_t nresults,
			  sf_call_opts *opts, sf_error *err)
{
	if (__builtin_expect(nargs != f->type.nparams || nresults != f->type.nresults, 0))
	{
		last_fuel = 0;
		if (opts != NULL)
			opts->fuel_consumed = 0;
		sf_error_clear(err);
		return sf_error_set(err, SF_BADARG, "function takes %u arguments and returns %u results",
							f->type.nparams, f->type.nresults);
	}
	/* i32 and f32 arguments: the low 32 bits of their slots */
	if (__builtin_expect(f->host != NULL || nargs > 64, 0))
	{
		for (uint32_t i = 0; i < nargs; i++)
			if (f->type.params[i] == SF_I32 || f->type.params[i] == SF_F32)
				slots[i] = (uint32_t) slots[i];
		if (f->host != NULL)
		{
			last_fuel = 0;
			if (opts != NULL)
				opts->fuel_consumed = 0;
			return call_host_slots(f, slots, err);
		}
	}
	else
		narrow_slots(f, slots);
	return call_jit(f, slots, f->nslots, opts, err);
}

int
sf_call_slots_ok(const sf_func *f, uint32_t nargs, uint32_t nresults)
{
	return f != NULL && f->host == NULL && nargs == f->type.nparams &&
		nresults == f->type.nresults && nargs <= 64;
}

sf_status
sf_call_slots_checked(sf_func *f, uint64_t *slots, sf_call_opts *opts,
					  sf_error *err)
{
	if (opts == NULL)
		__builtin_unreachable();	/* the caller's promise: no tests for it */
	narrow_slots(f, slots);
	return call_jit(f, slots, f->nslots, opts, err);
}

int
sf_store_busy(const sf_store *s)
{
	return s->act != NULL;
}

size_t
sf_prepared_size(void)
{
	return sizeof(sf_prepared);
}

int
sf_prepare(void *mem, sf_func *f, uint32_t nargs, uint32_t nresults)
{
	sf_prepared *p = mem;
	const sf_stubs *stubs;

	if (!sf_call_slots_ok(f, nargs, nresults) || f->nslots > SF_PREPARED_MAX_SLOTS)
		return 0;
	memset(p, 0, sizeof(*p));
	p->ctx = f->ctx;
	p->code = f->code;
	p->entry = f->entry_stub;
	p->store = f->store;
	p->mask0 = (f->narrow & 1) ? UINT32_MAX : UINT64_MAX;
	p->narrow_rest = f->narrow & ~(uint64_t) 1;
	p->nslots = f->nslots;
	p->counting = f->counting;
	p->act.store = f->store;
	p->act.trap_stub = f->trap_stub;
	p->act.counting = f->counting;
	p->fuel_start = f->counting ? 0 : INT64_MIN;
	p->consumed_mask = f->counting ? UINT64_MAX : 0;
	stubs = sf_stubs_get(NULL);
	if (stubs != NULL && p->narrow_rest == 0 && p->nslots < SF_ENTRY_SMALL)
		p->stub = (void *) stubs->prepared_n[p->nslots][f->narrow & 1];
	return 1;
}

uint64_t *
sf_prepared_slots(sf_prepared *p)
{
	return p->slots;
}

/*
** A prepared call trapped: its activation is kept for sf_prepared_error,
** and made fresh for the next call.
*/
static __attribute__((noinline, cold)) sf_status
prepared_trap(sf_prepared *p, uint64_t trap)
{
	sf_activation *act = &p->act;

	act->trap = (int64_t) trap;
	p->trapped = *act;
	act->trap = 0;
	act->trap_pc = 0;
	act->exit_code = 0;
	act->host_msg[0] = '\0';
	act->nret = 0;
	act->depth = 0;
	return SF_TRAP;
}

void
sf_prepared_error(const sf_prepared *p, sf_error *err)
{
	sf_error_clear(err);
	describe_trap(err, &p->trapped);
}

/* The i32/f32 slots after the first cut to their low 32 bits. */
static __attribute__((noinline)) void
prepared_narrow(sf_prepared *p)
{
	for (uint64_t m = p->narrow_rest; m != 0; m &= m - 1)
		p->slots[__builtin_ctzll(m)] = (uint32_t) p->slots[__builtin_ctzll(m)];
}

/* Calls with another fuel limit than the last (fuel_setup's counter). */
static __attribute__((noinline)) void
prepared_limit(sf_prepared *p, uint64_t fuel_limit)
{
	p->limit_asked = fuel_limit;
	p->limit = fuel_limit < FUEL_LIMIT_CAP ? fuel_limit : FUEL_LIMIT_CAP;
	p->fuel_start = p->counting ? -(int64_t) p->limit : INT64_MIN;
}

/* The stack limit of outermost calls from 'frame' (stack_floor). */
static __attribute__((noinline)) void
prepared_floor(sf_prepared *p, uintptr_t frame)
{
	p->floor = stack_floor(frame, p->store->cfg.max_stack_bytes);
	p->frame = frame;
}

/*
** The decisions at the return of a prepared call, linked still, with the
** counter in its activation (call_jit's, for a prepared call).
*/
static inline __attribute__((always_inline)) sf_status
prepared_return(sf_prepared *p, uint64_t trap)
{
	sf_store   *s = p->store;
	uint64_t	consumed = 0;

	cur_act = p->prev_cur;
	s->act = p->act.prev;
	if (__builtin_expect(trap != 0, 0))
		trap_fuel_back(&p->act);
	if (p->counting)
	{
		consumed = (uint64_t) p->act.fuel + p->limit;
		if (p->act.fuel > 0)
			trap = SF_TRAP_OUT_OF_FUEL;
	}
	*p->consumed = consumed;
	if (__builtin_expect(sf_signals_interrupt_pending(), 0))
	{
		if (trap == 0)
			trap = SF_TRAP_INTERRUPTED;
		if (p->prev_cur == NULL)
			sf_clear_interrupt();
	}
	if (__builtin_expect(trap != 0, 0))
		return prepared_trap(p, trap);
	return SF_OK;
}

/*
** The prepared-call stub left the decisions to C (target.h), linked: the
** thread's current activation is the prepared call's.
*/
static __attribute__((noinline, cold)) sf_status
prepared_stub_return(uint64_t r, uint64_t *fuel_consumed)
{
	sf_prepared *p = (sf_prepared *) ((char *) cur_act - offsetof(sf_prepared, act));

	p->consumed = fuel_consumed;
	return prepared_return(p, r == SF_PREPARED_FINISH ? 0 : r);
}

/* Called by the prepared-call stub for a new limit or a new frame. */
void
sf_prepared_stub_retry(sf_prepared *p, uint64_t fuel_limit, uintptr_t frame)
{
	if (fuel_limit != p->limit_asked)
		prepared_limit(p, fuel_limit);
	else
		prepared_floor(p, frame);
}

/* A prepared call without the stub: the same steps in C. */
static __attribute__((noinline)) sf_status
prepared_call_c(sf_prepared *p, uint64_t fuel_limit, uint64_t *fuel_consumed)
{
	sf_store   *s = p->store;
	uintptr_t	frame = (uintptr_t) __builtin_frame_address(0);
	uint64_t	trap;

	p->slots[0] &= p->mask0;
	if (p->narrow_rest != 0)
		prepared_narrow(p);
	p->consumed = fuel_consumed;
	if (__builtin_expect(fuel_limit != p->limit_asked, 0))
		prepared_limit(p, fuel_limit);
	p->act.fuel = p->fuel_start;
	p->prev_cur = cur_act;
	p->act.prev = s->act;
	if (p->act.prev == NULL)
	{
		if (__builtin_expect(frame != p->frame, 0))
			prepared_floor(p, frame);
		s->stack_limit = p->floor;
	}
	s->act = &p->act;
	/* the activation is complete before a signal handler can see it */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	cur_act = &p->act;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	/* a request that came before the activation was visible is not lost */
	if (__builtin_expect(!sf_signals_interrupt_pending(), 1))
		trap = ((sf_entry_fn) p->entry) (p->ctx, p->code, p->slots, p->nslots, &p->act);
	else
		trap = SF_TRAP_INTERRUPTED;
	return prepared_return(p, trap);
}

/* What prepared_entry_c returns for a trap (prepared_call_c decided). */
#define PREPARED_C_TRAPPED (SF_PREPARED_FINISH + 1)

/* The C path as sf_prepared_entry's function: 0, or PREPARED_C_TRAPPED. */
static sf_prepared_ret
prepared_entry_c(sf_prepared *p, uint64_t fuel_limit)
{
	sf_prepared_ret ret;

	ret.r = prepared_call_c(p, fuel_limit, &ret.consumed) == SF_OK ? 0 : PREPARED_C_TRAPPED;
	return ret;
}

sf_prepared_entry_fn
sf_prepared_entry(const sf_prepared *p)
{
	if (p->stub == NULL)
		return prepared_entry_c;
	return (sf_prepared_entry_fn) p->stub;
}

sf_status
sf_prepared_end(sf_prepared_ret ret, uint64_t *fuel_consumed)
{
	if (ret.r == 0)
	{
		*fuel_consumed = ret.consumed;
		return SF_OK;
	}
	if (ret.r == PREPARED_C_TRAPPED)
	{
		*fuel_consumed = ret.consumed;
		return SF_TRAP;
	}
	return prepared_stub_return(ret.r, fuel_consumed);
}

sf_status
sf_prepared_call(sf_prepared *p, uint64_t fuel_limit, uint64_t *fuel_consumed)
{
	sf_prepared_ret ret;

	if (__builtin_expect(p->stub == NULL, 0))
		return prepared_call_c(p, fuel_limit, fuel_consumed);
	ret = ((sf_prepared_fn) p->stub) (p, fuel_limit);
	if (__builtin_expect(ret.r != 0, 0))
		return prepared_stub_return(ret.r, fuel_consumed);
	*fuel_consumed = ret.consumed;
	return SF_OK;
}

/*
** The check at a host-call boundary, before and after the host function:
** the slacked-mode counterpart of precise mode's branch, and where an
** interrupt requested outside JIT code is honoured.  Out of fuel wins.
*/
static uint64_t
boundary_trap(const sf_activation *act, uint64_t trap)
{
	if (act->counting && act->fuel > 0)
		return SF_TRAP_OUT_OF_FUEL;
	if (trap == 0 && sf_signals_interrupt_pending())
		return SF_TRAP_INTERRUPTED;
	return trap;
}

/* Called by the host-call stub with the wasm caller's state. */
sf_hostret
sf_call_host_boundary(sf_hostctx *hc, uint64_t *slots, int64_t fuel, sf_vmctx *caller)
{
	sf_func    *f = hc->func;
	sf_activation *act = sf_call_current();
	sf_val		small_a[8], small_r[8];
	sf_val	   *args = small_a, *results = small_r;
	sf_hostret	ret = {fuel, 0};
	struct sf_ctx ctx;

	memset(&ctx, 0, sizeof(ctx));
	ctx.store = hc->store;
	ctx.mem = caller ? caller->mem : NULL;
	ctx.inst = caller ? caller->inst : NULL;
	ctx.act = act;
	if (act)
	{
		act->fuel = fuel;
		act->host_msg[0] = '\0';
		sf_call_charge(act, SF_FUEL_HOST_CALL);
		ret.fuel = act->fuel;
		/* no host side effect once the limit is passed or a stop requested */
		if ((ret.trap = boundary_trap(act, 0)) != 0)
			return ret;
	}
	if ((f->type.nparams > 8 && !(args = malloc(f->type.nparams * sizeof(sf_val)))) ||
		(f->type.nresults > 8 && !(results = malloc(f->type.nresults * sizeof(sf_val)))))
	{
		ret.trap = SF_TRAP_HOST;
		if (act)
			strcpy(act->host_msg, "out of memory calling a host function");
		goto out;
	}
	for (uint32_t i = 0; i < f->type.nparams; i++)
		args[i] = slot_to_val(slots[i], f->type.params[i]);
	memset(results, 0, f->type.nresults * sizeof(sf_val));
	if (f->host(&ctx, f->env, args, results) != 0)
	{
		ret.trap = host_trap(&ctx);
		if (act)
		{
			memcpy(act->host_msg, ctx.msg, sizeof(ctx.msg));
			act->exit_code = ctx.exit_code;
		}
	}
	else
		for (uint32_t i = 0; i < f->type.nresults; i++)
			slots[i] = val_to_slot(&results[i]);
	if (act)
	{
		ret.fuel = act->fuel;
		ret.trap = boundary_trap(act, ret.trap);
	}
out:
	if (args != small_a)
		free(args);
	if (results != small_r)
		free(results);
	return ret;
}

/* ---- host-function context --------------------------------------------------------- */

sf_memory *
sf_ctx_memory(sf_ctx *ctx)
{
	return ctx->mem;
}

sf_instance *
sf_ctx_instance(sf_ctx *ctx)
{
	return ctx->inst;
}

/* Without metering (fuel off, or no wasm caller) the fuel is unlimited. */
uint64_t
sf_ctx_fuel_remaining(sf_ctx *ctx)
{
	if (ctx->act == NULL || !ctx->act->counting)
		return UINT64_MAX;
	if (ctx->act->fuel >= 0)
		return 0;
	return (uint64_t) -ctx->act->fuel;
}

/* Saturating: a huge charge exhausts the fuel, it never wraps the counter. */
bool
sf_call_charge(sf_activation *act, uint64_t units)
{
	if (act == NULL || !act->counting)
		return false;
	if (units > (uint64_t) INT64_MAX ||
		__builtin_add_overflow(act->fuel, (int64_t) units, &act->fuel))
		act->fuel = INT64_MAX;
	return act->fuel > 0;
}

int
sf_ctx_charge_fuel(sf_ctx *ctx, uint64_t units)
{
	return sf_call_charge(ctx->act, units);
}

void
sf_ctx_set_error(sf_ctx *ctx, const char *msg)
{
	snprintf(ctx->msg, sizeof(ctx->msg), "%s", msg);
}

void
sf_ctx_exit(sf_ctx *ctx, int32_t code)
{
	ctx->exit = true;
	ctx->exit_code = code;
	if (ctx->msg[0] == '\0')
		snprintf(ctx->msg, sizeof(ctx->msg), "program exited with code %d", (int) code);
}
