/*
 * call.c -- the one call path: SQL functions, procedures and DO blocks.
 *
 * slackfuel_call is where every call of a wasm function starts and ends:
 * it prepares the run (stack, tick, pending interrupts), lowers the
 * arguments (types.c), calls the export, lifts the result (NULL included)
 * and calls cabi_post_<export>.  Every sf_call it makes, cabi_realloc included, goes
 * through slackfuel_run, which charges it to the call's one fuel budget.
 * A trap anywhere discards the instance (its memory may be inconsistent)
 * and becomes an ereport (report.c).
 *
 * Every copy between a Datum and linear memory goes through
 * slackfuel_copy_in and slackfuel_copy_out, which check the range against
 * the memory's size, charge the call's fuel for the bytes read and
 * written as the engine's bulk operators do (sf_fuel_for_bytes), before
 * touching any, and copy in chunks, between which a cancel, terminate or
 * statement_timeout stops the call.
 */
#include "postgres.h"

#include <pthread.h>

#include "commands/trigger.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "tcop/tcopprot.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "plwasm.h"

uint64		slackfuel_last_fuel;
char	   *slackfuel_stack_base;

/*
 * The highest address of this thread's stack (the main thread's: its
 * mapping as the kernel grows it up to the stack limit), or NULL.
 */
static char *
stack_top(void)
{
	pthread_attr_t attr;
	void	   *addr;
	size_t		size;
	char	   *top = NULL;

	if (pthread_getattr_np(pthread_self(), &attr) != 0)
		return NULL;
	if (pthread_attr_getstack(&attr, &addr, &size) == 0)
		top = (char *) addr + size;
	pthread_attr_destroy(&attr);
	return top;
}

/*
 * The wasm stack grows on the backend's stack, below the caller's frame,
 * by up to 'max_stack' bytes; together with what the backend already uses
 * that must stay within max_stack_depth, which PostgreSQL keeps below the
 * process's stack limit.  Beyond it the guard page would be hit outside
 * any handler's reach, so refuse the call the way PostgreSQL does.
 */
void
slackfuel_stack_too_deep(uint64 max_stack)
{
	char		here;
	uint64		used;

	if (slackfuel_stack_base == NULL)
	{
		pg_stack_base_t b = set_stack_base();

		restore_stack_base(b);
#if defined(__ia64__) || defined(__ia64)
		slackfuel_stack_base = b.stack_base_ptr;
#else
		slackfuel_stack_base = b;
#endif
		/* postgres --single never sets it: the stack's own top then */
		if (slackfuel_stack_base == NULL || slackfuel_stack_base < &here)
			slackfuel_stack_base = stack_top();
		if (slackfuel_stack_ok(max_stack))
			return;
	}
	used = slackfuel_stack_base > &here ? (uint64) (slackfuel_stack_base - &here) : 0;
	ereport(ERROR,
			(errcode(ERRCODE_STATEMENT_TOO_COMPLEX),
			 errmsg("stack depth limit exceeded"),
			 errdetail("The backend uses %llu kB of its stack; wasm may use %llu kB more.",
					   (unsigned long long) used / 1024,
					   (unsigned long long) max_stack / 1024),
			 errhint("Increase the configuration parameter \"max_stack_depth\" (currently %dkB), or lower slackfuel.max_stack.",
					 max_stack_depth)));
}

/* --- Start, end, and the sf_calls in between ----------------------------- */

static uint64 next_call_id;

/*
 * Begin a call.  A call that begins while a host function of another call
 * runs SQL (wasm calls SQL calls wasm) is nested in it: its fuel limit is
 * also what the outer call has left, and what it consumes is charged to
 * the outer call (sql.c charges it to the outer wasm caller).
 */
static inline __attribute__((always_inline)) void
cx_init(slackfuel_cx *cx, const char *fname, slackfuel_func *fn,
		slackfuel_inst *inst, slackfuel_host *host)
{
	cx->fname = fname;
	cx->fn = fn;
	cx->inst = inst;
	cx->host = host;
	cx->lifted = 0;
	cx->argno = 0;
	cx->field = NULL;
	cx->charged = 0;
	cx->out.trapped = false;
	cx->out.consumed = 0;
	cx->out.limit = slackfuel_fuel_limit();
	cx->nest = slackfuel_sql_top;
	cx->pending_error = false;
	cx->fuel_out = false;
	cx->discard = false;
	cx->st = NULL;
}

static inline __attribute__((always_inline)) void
call_begin(slackfuel_cx *cx, const char *fname, slackfuel_func *fn,
		   slackfuel_inst *inst, slackfuel_host *host, uint64 max_stack)
{
	slackfuel_cx *outer = slackfuel_sql_top;

	cx_init(cx, fname, fn, inst, host);
	slackfuel_call_push(cx);
	if (unlikely(outer != NULL))
	{
		uint64		left = outer->sql_fuel_left -
			Min(outer->nested_consumed, outer->sql_fuel_left);

		cx->out.limit = Min(cx->out.limit, left);
	}
	slackfuel_prepare_run(max_stack);
	if (unlikely(host != NULL))
	{
		cx->id = ++next_call_id;
		cx->mcxt = CurrentMemoryContext;
		cx->spi_connected = false;
		cx->host_ctx = NULL;
		cx->host_prev = slackfuel_host_enter(host, cx);
		if (slackfuel_host_wasi(host) != NULL)
			slackfuel_wasi_call_begin(slackfuel_host_wasi(host));
	}
	if (fn != NULL && fn->stats != NULL && slackfuel_track_functions)
	{
		slackfuel_fstats *st = fn->stats;

		cx->st = st;
		st->c.calls++;
		cx->start = 0;
		if (st->untimed == 0)
			cx->start = slackfuel_clock();
		else
			st->untimed--;
	}
}

/*
 * A call counted in 'st' ends: its time (when 'start' is not 0), fuel and
 * memory (stats.c).  It consumed 'consumed'; 'charged' of it was counted
 * before (a streamed set's rows before this one counted theirs).
 */
static inline __attribute__((always_inline)) void
count(slackfuel_fstats *st, uint64 start, uint64 consumed, uint64 charged,
	  const slackfuel_inst *inst)
{
	slackfuel_counters *c = &st->c;

	if (start != 0)
		slackfuel_stats_timed(st, slackfuel_clock() - start);
	c->fuel += consumed - charged;
	if (consumed > c->fuel_max)
		c->fuel_max = consumed;
	if (inst->memory0 != NULL)
		c->peak_memory = Max(c->peak_memory, sf_memory_size(inst->memory0));
	if (unlikely(!st->dirty))
		slackfuel_stats_mark(st);
}

static inline void
count_end(slackfuel_cx *cx)
{
	count(cx->st, cx->start, cx->out.consumed, cx->charged, cx->inst);
}

/* A nested call's fuel is charged to the call around it. */
static inline void
charge_outer(slackfuel_cx *cx)
{
	if (unlikely(cx->nest != NULL))
		cx->nest->nested_consumed += cx->out.consumed - cx->charged;
}

/*
 * The host side of a call that returned from wasm: output flushed, its
 * cursors closed, SPI left.  A PostgreSQL error caught on the way is
 * re-thrown now.  Call paths run it as soon as wasm has returned, before
 * lifting results, so that nothing of the call's SQL outlives an error
 * there; slackfuel_call_end runs it again (cheap) for a cabi_post_*.
 */
static void
finish_host(slackfuel_cx *cx)
{
	slackfuel_call_ended(cx);
	if (unlikely(cx->pending_error))
	{
		slackfuel_call_pop(cx);
		if (cx->fn != NULL)
			slackfuel_inst_discard(cx->fn, cx->inst);
		PG_RE_THROW();
	}
}

/* The host side's end of a call: see slackfuel_call_end. */
static void
end_host(slackfuel_cx *cx)
{
	finish_host(cx);
	slackfuel_host_enter(cx->host, cx->host_prev);
	if (cx->discard && cx->fn != NULL)
		slackfuel_inst_discard(cx->fn, cx->inst);
}

static inline __attribute__((always_inline)) void
call_end(slackfuel_cx *cx)
{
	slackfuel_call_pop(cx);
	charge_outer(cx);
	slackfuel_last_fuel = cx->out.consumed;
	if (cx->st != NULL)
		count_end(cx);
	if (unlikely(cx->host != NULL))
		end_host(cx);
}

/*
 * Begin and end a call: the call paths below inline these; instantiation
 * (build.c) uses them too.
 */
void
slackfuel_call_begin(slackfuel_cx *cx, const char *fname, slackfuel_func *fn,
					 slackfuel_inst *inst, slackfuel_host *host, uint64 max_stack)
{
	call_begin(cx, fname, fn, inst, host, max_stack);
}

/* End a call that returned. */
void
slackfuel_call_end(slackfuel_cx *cx)
{
	call_end(cx);
}

/*
 * A call trapped (out of fuel, interrupts and exits included): the
 * instance is thrown away, since its memory may be half-updated, and the
 * trap reported with what the program last wrote to stderr; a PostgreSQL
 * error that a host function caught is re-thrown instead, whatever trap
 * ended the call.  A DO block's instance belongs to its build and dies
 * with it.
 */
void
slackfuel_trapped(slackfuel_cx *cx)
{
	char	   *tail = NULL;

	cx->out.trapped = true;
	slackfuel_last_fuel = cx->out.consumed;
	slackfuel_call_pop(cx);
	if (cx->st != NULL)
	{
		if (cx->out.err.status == SF_TRAP && cx->out.err.trap < SF_TRAP_COUNT)
			cx->st->c.traps[cx->out.err.trap]++;
		count_end(cx);
	}
	charge_outer(cx);
	if (cx->host != NULL)
	{
		slackfuel_wasi *w = slackfuel_host_wasi(cx->host);

		if (w != NULL && !cx->pending_error)
		{
			if (slackfuel_wasi_flush(w))
				tail = pstrdup(slackfuel_wasi_stderr(w));
			else
				cx->pending_error = true;
		}
		slackfuel_host_enter(cx->host, cx->host_prev);
	}
	if (cx->fn != NULL)
		slackfuel_inst_discard(cx->fn, cx->inst);
	if (cx->pending_error)
		PG_RE_THROW();
	slackfuel_report_trap(cx->fname, &cx->out, tail);
}

/*
 * proc_exit(0) ends a call normally (a command's _start, C's exit(0));
 * the instance, whose program has exited, is discarded when the call
 * ends.  Other exit codes, and every other trap, are errors.  Returns true
 * after exit(0).
 */
static bool
exited(slackfuel_cx *cx, sf_status st)
{
	if (st == SF_TRAP && cx->out.err.trap == SF_TRAP_EXIT &&
		cx->out.err.exit_code == 0 && !cx->pending_error)
	{
		cx->discard = true;
		return true;
	}
	slackfuel_trapped(cx);
	return false;				/* not reached */
}

/*
 * One sf_call, charged to the call's fuel budget; a trap does not return.
 * Returns false when the program exited with code 0 instead of returning.
 */
bool
slackfuel_run(slackfuel_cx *cx, sf_func *f, uint64 *slots, uint32 nargs,
			  uint32 nresults)
{
	sf_call_opts opts;
	sf_status	st;

	opts.fuel_limit = cx->out.limit - Min(cx->out.consumed, cx->out.limit);
	st = sf_call_slots(f, slots, nargs, nresults, &opts, &cx->out.err);
	cx->out.consumed += opts.fuel_consumed;
	slackfuel_usage_add(cx, opts.fuel_consumed);
	if (unlikely(st != SF_OK))
		return !exited(cx, st);
	return true;
}

/* A function with a result cannot end by exiting. */
static void
exited_without_result(slackfuel_cx *cx)
{
	slackfuel_call_end(cx);
	ereport(ERROR,
			(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
			 errmsg("wasm function \"%s\" exited before returning its result", cx->fname),
			 errdetail("It called proc_exit(0).")));
}

/* --- Guest memory -------------------------------------------------------- */

/* [ptr, ptr + len) must lie in the instance's linear memory. */
void
slackfuel_check_range(slackfuel_cx *cx, uint64 ptr, uint64 len, const char *what)
{
	uint64		size = sf_memory_size(cx->inst->memory);

	if (ptr + len > size)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("wasm function \"%s\" gave %s outside its linear memory",
						cx->fname, what),
				 errdetail("Pointer %llu, length %llu, memory size %llu bytes.",
						   (unsigned long long) ptr, (unsigned long long) len,
						   (unsigned long long) size)));
}

/* 'len' bytes of guest memory from cabi_realloc(0, 0, align, len). */
uint32
slackfuel_guest_alloc(slackfuel_cx *cx, uint32 align, uint32 len)
{
	uint64		a[4] = {0, 0, align, len};
	uint32		ptr;

	if (unlikely(cx->host != NULL && cx->host_ctx != NULL))
		return slackfuel_host_alloc(cx, cx->host_ctx, align, len);
	if (!slackfuel_run(cx, cx->inst->realloc, a, 4, 1))
		exited_without_result(cx);
	ptr = (uint32) a[0];
	if (ptr % align != 0)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("wasm function \"%s\" got a misaligned pointer from cabi_realloc",
						cx->fname),
				 errdetail("Pointer %u, alignment %u.", ptr, align)));
	slackfuel_check_range(cx, ptr, len, "a cabi_realloc result");
	return ptr;
}

/* The call ends as a trap of 'kind' (the instance goes: it is part-written). */
static void
copy_trap(slackfuel_cx *cx, sf_trap_kind kind)
{
	memset(&cx->out.err, 0, sizeof(cx->out.err));
	cx->out.err.status = SF_TRAP;
	cx->out.err.trap = kind;
	cx->out.err.offset = -1;
	slackfuel_trapped(cx);
}

/*
 * Charge copying 'len' bytes (read and written) to the call's fuel, before
 * any is copied: a copy the call cannot afford ends it out of fuel.
 */
static void
charge_copy(slackfuel_cx *cx, size_t len)
{
	uint64		units = sf_fuel_for_bytes(2 * (uint64) len);

	if (cx->fn == NULL || cx->fn->mode == SF_FUEL_OFF)
		return;
	cx->out.consumed += units;
	slackfuel_usage_add(cx, units);
	if (cx->out.consumed > cx->out.limit)
		copy_trap(cx, SF_TRAP_OUT_OF_FUEL);
}

/* memcpy in chunks; a cancel or terminate between two ends the call. */
static void
copy_chunked(slackfuel_cx *cx, uint8 *dst, const uint8 *src, size_t len)
{
	for (size_t done = 0; done < len; done += SLACKFUEL_COPY_CHUNK)
	{
		if (unlikely(INTERRUPTS_PENDING_CONDITION()))
		{
			if (QueryCancelPending || ProcDiePending)
				copy_trap(cx, SF_TRAP_INTERRUPTED);
			CHECK_FOR_INTERRUPTS();
		}
		memcpy(dst + done, src + done, Min(len - done, SLACKFUEL_COPY_CHUNK));
	}
}

/* Copy 'len' bytes from 'src' into guest memory at 'ptr'. */
void
slackfuel_copy_in(slackfuel_cx *cx, uint32 ptr, const void *src, size_t len,
				  const char *what)
{
	if (unlikely(cx->host != NULL && cx->host_ctx != NULL))
	{
		slackfuel_host_copy(cx, cx->host_ctx,
							slackfuel_host_mem(cx, cx->host_ctx, ptr, len, what), src, len);
		return;
	}
	slackfuel_check_range(cx, ptr, len, what);
	charge_copy(cx, len);
	copy_chunked(cx, sf_memory_data(cx->inst->memory) + ptr, src, len);
}

/*
 * Copy 'len' bytes of guest memory at 'ptr' out to 'dst'.  What one call
 * copies out is bounded by what one value can hold, so that a result whose
 * parts share guest memory cannot make the backend take more.
 */
void
slackfuel_copy_out(slackfuel_cx *cx, void *dst, uint32 ptr, size_t len,
				   const char *what)
{
	slackfuel_check_range(cx, ptr, len, what);
	cx->lifted += len;
	if (cx->lifted > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("wasm function \"%s\" returned more than %zu bytes of values",
						cx->fname, (size_t) MaxAllocSize)));
	charge_copy(cx, len);
	copy_chunked(cx, dst, sf_memory_data(cx->inst->memory) + ptr, len);
}

/* --- The call ------------------------------------------------------------ */

/*
 * Arguments whose Datums are their flat values and a result in one flat
 * value (types.c checked the export's type once): no linear memory, one
 * sf_call_slots.  The path of the trivial function, kept short.
 */
static inline Datum
call_direct(slackfuel_cx *cx, FunctionCallInfo fcinfo)
{
	const slackfuel_sig *sig = cx->fn->sig;
	uint64		slots[SF_WIT_MAX_FLAT_PARAMS];
	int			nargs = sig->nargs;
	sf_call_opts opts;
	sf_status	st;

	for (int i = 0; i < nargs; i++)
		slots[i] = (uint64) fcinfo->args[i].value;
	opts.fuel_limit = cx->out.limit;
	st = sf_call_slots(cx->inst->func, slots, nargs, sig->nresults, &opts,
					   &cx->out.err);
	cx->out.consumed = opts.fuel_consumed;
	slackfuel_usage_add(cx, cx->out.consumed);
	if (unlikely(st != SF_OK) && exited(cx, st))
	{
		if (sig->ret != NULL)
			exited_without_result(cx);
		return (Datum) 0;
	}
	if (unlikely(cx->host != NULL))
		finish_host(cx);
	if (sig->ret == NULL)
		return (Datum) 0;
	return sig->ret->type->lift(cx, sig->ret, slots);
}

/*
 * The end of a call timed by scalar_tick: its time counts for its batch.
 */
static inline __attribute__((always_inline)) void
scalar_timed(slackfuel_scalar_site *site)
{
	site->st->c.time += (slackfuel_clock() - site->timed_start) * site->timed_weight;
	site->timed_start = 0;
}

/*
 * A call of slackfuel_call_scalar that did not return normally (a trap; or
 * an exit, which a module without imports cannot make): the call's context
 * is completed as call_begin would have made it, with the trap the
 * prepared call kept, and it ends as call_direct's does.  The call site
 * counted the call; its time, when it was timed, is counted.
 */
static pg_noinline Datum
scalar_failed(slackfuel_scalar_site *site, uint64 consumed, sf_status status)
{
	slackfuel_cx cx;

	cx_init(&cx, site->fn->proname, site->fn, site->inst, NULL);
	sf_prepared_error(site->prep, &cx.out.err);
	cx.out.consumed = consumed;
	cx.run_mark = slackfuel_running.n; /* nothing was pushed */
	cx.st = site->st;
	cx.start = 0;
	if (site->timed_start != 0)
		scalar_timed(site);
	if (exited(&cx, status) && site->fn->sig->ret != NULL)
		exited_without_result(&cx);
	call_end(&cx);
	return (Datum) 0;
}

/* Calls of an untracked call site between two marks of its instance as used. */
#define SCALAR_UNTRACKED_BATCH 64

/* No memory 0: the size a call site compares with the peak. */
static const uint64 no_memory = 0;

/* The call sites whose memory is live (slackfuel_scalar_site.live). */
static dlist_head live_sites = DLIST_STATIC_INIT(live_sites);

/*
 * Add the calls of the call site's batch so far to its statistics (when
 * tracked), and its instance's memory size to their peak: the batch starts
 * again where the countdown is.  Must not fail: it runs at transaction
 * end.
 */
static inline __attribute__((always_inline)) void
site_count(slackfuel_scalar_site *site)
{
	slackfuel_fstats *st = site->st;
	int32		calls = site->batch - site->countdown;

	site->batch = site->countdown;
	if (st == NULL)
		return;
	if (calls == 0 && *site->mem_size <= st->c.peak_memory)
		return;
	st->c.calls += calls;
	if (*site->mem_size > st->c.peak_memory)
		st->c.peak_memory = *site->mem_size;
	if (!st->dirty)
		slackfuel_stats_mark(st);
}

/* Every live call site's calls are in its statistics (stats.c). */
void
slackfuel_scalar_sites_count(void)
{
	dlist_iter	it;

	dlist_foreach(it, &live_sites)
		site_count(dlist_container(slackfuel_scalar_site, live, it.cur));
}

/*
 * The instance 'owner' (that owns its store) is freed: the call sites
 * calling it count what they have (its memory's size included) and read
 * no memory size any more.  The budget's reclaim may run this inside a
 * wasm call: it only counts.
 */
void
slackfuel_scalar_sites_release(const slackfuel_inst *owner)
{
	dlist_iter	it;

	dlist_foreach(it, &live_sites)
	{
		slackfuel_scalar_site *site = dlist_container(slackfuel_scalar_site, live, it.cur);

		if (site->owner == owner)
		{
			site_count(site);
			site->mem_size = &no_memory;
		}
	}
}

/* A call site's memory goes: its calls are counted, it leaves the list. */
static void
site_gone(void *arg)
{
	slackfuel_scalar_site *site = arg;

	site_count(site);
	dlist_delete(&site->live);
}

/*
 * Set up a call site's slackfuel_scalar_site for calls of 'fn' in 'inst' as
 * 'userid', in 'mcxt', the call site's memory.  Returns whether calls may
 * take slackfuel_call_scalar (when no call's SQL is running:
 * slackfuel_sql_top is NULL): a direct signature, no imports, and an
 * export the engine prepared a call of.  What the call site counted for
 * its earlier setup is counted first.
 */
bool
slackfuel_scalar_site_init(slackfuel_scalar_site *site, slackfuel_func *fn,
						   slackfuel_inst *inst, Oid userid, MemoryContext mcxt)
{
	if (site->listed)
	{
		site_count(site);
		site->st = NULL;
	}
	if (!fn->sig->direct || inst->host != NULL)
		return false;
	if (site->prep == NULL)
		site->prep = MemoryContextAlloc(mcxt, sf_prepared_size());
	if (!sf_prepare(site->prep, inst->func, fn->sig->nargs, fn->sig->nresults))
		return false;
	if (site->cx == NULL)
		site->cx = MemoryContextAllocZero(mcxt, sizeof(slackfuel_cx));
	if (!site->listed)
	{
		MemoryContextCallback *cb = MemoryContextAlloc(mcxt, sizeof(*cb));

		cb->func = site_gone;
		cb->arg = site;
		MemoryContextRegisterResetCallback(mcxt, cb);
		dlist_push_head(&live_sites, &site->live);
		site->listed = true;
	}
	site->slots = sf_prepared_slots(site->prep);
	site->entry = sf_prepared_entry(site->prep);
	site->fn = fn;
	site->inst = inst;
	site->owner = inst->owner;
	site->max_stack = inst->max_stack;
	site->stack_depth = -1;
	site->st = slackfuel_track_functions ? fn->stats : NULL;
	site->countdown = site->batch = 1;	/* the first call is a tick */
	site->timed_start = 0;
	site->mem_size = inst->memory0 != NULL ? sf_memory_size_ref(inst->memory0) : &no_memory;
	site->userid = userid;
	site->nargs = fn->sig->nargs;
	site->ret = fn->sig->ret;
	site->lift = site->ret != NULL ? site->ret->type->lift : NULL;
	site->lift_kind = slackfuel_direct_lift_of(site->ret);
	site->cx->fname = fn->proname;
	site->cx->argno = 0;
	site->cx->field = NULL;
	return true;
}

/*
 * The stack check of a call on the scalar path whose frame is below the
 * call site's floor, or whose floor is not known for the current
 * max_stack_depth: slackfuel_prepare_run's, and the floor found again.
 * The frame address passes slackfuel_stack_ok(max_stack) when it is at
 * least slackfuel_stack_base + max_stack - max_stack_depth kB.
 */
static pg_noinline void
scalar_stack(slackfuel_scalar_site *site)
{
	uint64		depth = (uint64) max_stack_depth * 1024;
	uintptr_t	top;

	if (unlikely(!slackfuel_stack_ok(site->max_stack)))
		slackfuel_stack_too_deep(site->max_stack);
	top = (uintptr_t) slackfuel_stack_base + site->max_stack;
	site->stack_floor = (char *) (top > depth ? top - depth : 0);
	site->stack_depth = max_stack_depth;
}

/*
 * A prepared call that did not return 0: its status (in 'r') and fuel
 * from sf_prepared_end, out of the call path's frame, which then takes no
 * address of its own (and needs no stack protector).
 */
static pg_noinline sf_prepared_ret
scalar_end(sf_prepared_ret ret)
{
	sf_prepared_ret out;

	out.r = sf_prepared_end(ret, &out.consumed);
	return out;
}

/*
 * The call on the scalar path, once slackfuel_call_scalar has checked the
 * call site, copied the arguments into the prepared call's slots, checked
 * the stack and interrupts and counted the call down: the call, fuel,
 * statistics (the call's time when scalar_tick started a clock), the
 * result lifted.  Everything is read from the call site after the call,
 * so that no register is kept across it but the call site's.
 */
static inline __attribute__((always_inline)) Datum
scalar_run(slackfuel_scalar_site *site)
{
	slackfuel_fstats *st;
	uint64		consumed;
	sf_prepared_ret ret;
	sf_status	status = SF_OK;

	ret = site->entry(site->prep, slackfuel_fuel_limit());
	if (unlikely(ret.r != 0))
	{
		ret = scalar_end(ret);
		status = (sf_status) ret.r;
	}
	consumed = ret.consumed;
	slackfuel_session_fuel += consumed;
	if (unlikely(status != SF_OK))
		return scalar_failed(site, consumed, status);
	slackfuel_last_fuel = consumed;
	st = site->st;
	if (st != NULL)
	{
		slackfuel_counters *c = &st->c;

		c->fuel += consumed;
		if (consumed > c->fuel_max)
			c->fuel_max = consumed;
		if (unlikely(site->timed_start != 0))
			scalar_timed(site);
	}
	if (likely(site->lift_kind == SLACKFUEL_LIFT_INT32))
		return Int32GetDatum((int32) (uint32) site->slots[0]);
	switch (site->lift_kind)
	{
		case SLACKFUEL_LIFT_INT32:
			return Int32GetDatum((int32) (uint32) site->slots[0]);
		case SLACKFUEL_LIFT_BITS64:
			return (Datum) site->slots[0];
		case SLACKFUEL_LIFT_VOID:
			return (Datum) 0;
		case SLACKFUEL_LIFT_CALL:
			break;
	}
	return site->lift(site->cx, site->ret, site->slots);
}

/*
 * A call takes its call site's countdown to 0: the batch it ends is
 * counted, the instance marked used, and the next batch starts (until the
 * next timed call, when tracked); the call is timed for its batch.  It
 * returns to the frame of the call, so that the prepared call sees the
 * same caller frame as the other calls.
 */
static pg_noinline void
scalar_tick(slackfuel_scalar_site *site)
{
	slackfuel_fstats *st = site->st;

	site->owner->last_used = ++slackfuel_running.clock;
	if (st != NULL)
	{
		site->timed_weight = site->batch;
		site_count(site);
		site->countdown = site->batch = slackfuel_stats_gap(st);
		site->timed_start = slackfuel_clock();
	}
	else
		site->countdown = site->batch = SCALAR_UNTRACKED_BATCH;
}

/*
 * A call of a call site set for the current epoch and role, with no call's
 * SQL around it (slackfuel_call_scalar checked): its arguments go into
 * the prepared call's slots first, so that nothing of 'fcinfo' is kept
 * across the calls that may come before wasm runs.  When 'armed', the
 * tick is known to be armed (slackfuel_scalar_epoch said so).
 */
static inline __attribute__((always_inline)) Datum
scalar_call(FunctionCallInfo fcinfo, slackfuel_scalar_site *site, bool armed)
{
	int			nargs = site->nargs;
	uint64	   *slots = site->slots;

	if (likely(nargs == 1))		/* the usual count first, no loop */
		slots[0] = (uint64) fcinfo->args[0].value;
	else
	{
		for (int i = 0; i < nargs; i++)
			slots[i] = (uint64) fcinfo->args[i].value;
	}
	if (unlikely((char *) __builtin_frame_address(0) < site->stack_floor ||
				 site->stack_depth != max_stack_depth))
		scalar_stack(site);
	if (!armed)
		slackfuel_timer_start();
	sf_clear_interrupt();		/* the rest of slackfuel_start_run */
	CHECK_FOR_INTERRUPTS();
	if (unlikely(--site->countdown == 0))
		scalar_tick(site);
	return scalar_run(site);
}

/*
 * The call handler's every call, and the trivial function's path: a call
 * site whose slackfuel_scalar_site is set for the current epoch and role
 * (a direct signature, call_direct, and an instance without imports,
 * slackfuel_scalar_site_init), and no call around it whose SQL this one
 * runs in (slackfuel_sql_top); every other call goes to
 * slackfuel_call_handler_slow.  It does what call_begin, call_direct and
 * call_end do for such a call (the instance running while wasm runs in
 * its store, slackfuel_inst_running, and marked used; the
 * stack (against a floor the call site keeps: scalar_stack), tick and
 * pending interrupts checked, the fuel limit, statistics,
 * the session's fuel) with what the call site kept, and fills a call's
 * context only when the call traps (scalar_failed).  When the current
 * role is not the one the call site found its instance for (SET ROLE, a
 * SECURITY DEFINER function), the slow path finds the call site again.
 * Everything a call writes besides its statistics is the call site's (its
 * prepared call and slots), so a call that starts while another runs (from
 * a lifting's domain check, say) is another call site's.  The call site
 * counts its calls down; every so many of them (scalar_tick) count, mark
 * the instance used and are timed.
 */
Datum
slackfuel_call_scalar(FunctionCallInfo fcinfo)
{
	slackfuel_scalar_site *site = fcinfo->flinfo->fn_extra;

	if (unlikely(site == NULL || site->epoch != slackfuel_scalar_epoch ||
				 site->userid != GetUserId()))
		return slackfuel_call_handler_slow(fcinfo);
	return scalar_call(fcinfo, site, true);
}

/*
 * The slow path's call of a call site it found set for the current epoch
 * and role, with no call's SQL around it.
 */
pg_noinline Datum
slackfuel_call_scalar_site(FunctionCallInfo fcinfo)
{
	return scalar_call(fcinfo, fcinfo->flinfo->fn_extra, false);
}

/* Everything else: lower, call, lift, cabi_post_<export>. */
static pg_noinline Datum
call_general(slackfuel_cx *cx, FunctionCallInfo fcinfo)
{
	const slackfuel_sig *sig = cx->fn->sig;
	uint64		slots[SF_WIT_MAX_FLAT_PARAMS];
	Datum		d;

	slackfuel_lower_args(cx, sig, fcinfo, slots);
	if (!slackfuel_run(cx, cx->inst->func, slots, sig->nparams, sig->nresults))
	{
		if (sig->ret != NULL)
			exited_without_result(cx);
		return (Datum) 0;
	}
	if (cx->host != NULL)
		finish_host(cx);
	if (sig->ret == NULL)
		return (Datum) 0;
	d = slackfuel_lift_result(cx, sig, slots, &fcinfo->isnull);
	if (cx->inst->post_return)
		slackfuel_run(cx, cx->inst->post_return, slots, sig->nresults, 0);
	return d;
}

/* --- Sets --------------------------------------------------------------- */

static ReturnSetInfo *
set_info(slackfuel_cx *cx, FunctionCallInfo fcinfo, int mode)
{
	ReturnSetInfo *rsi = (ReturnSetInfo *) fcinfo->resultinfo;

	if (rsi == NULL || !IsA(rsi, ReturnSetInfo) || (rsi->allowedModes & mode) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued wasm function \"%s\" called in a context that cannot accept a set",
						cx->fname),
				 mode == SFRM_Materialize ?
				 errhint("A module that exports %s_next returns the set one row at a time.",
						 cx->fn->export_name) : 0));
	return rsi;
}

/* The row type of a set: the caller's, or the element's own. */
static TupleDesc
set_desc(const slackfuel_sig *sig, ReturnSetInfo *rsi)
{
	const slackfuel_conv *c = sig->ret;
	TupleDesc	td;

	if (rsi->expectedDesc != NULL)
		return CreateTupleDescCopy(rsi->expectedDesc);
	if (c->tupdesc != NULL)
		return CreateTupleDescCopy(c->tupdesc);
	td = CreateTemplateTupleDesc(1);
	TupleDescInitEntry(td, 1, "value",
					   OidIsValid(c->domain) ? c->domain : c->typid, -1, 0);
	return td;
}

/*
 * RETURNS SETOF, all at once: the export returns list<T>, stored in a
 * tuplestore (which spills to disk beyond work_mem).
 */
static pg_noinline Datum
call_set(slackfuel_cx *cx, FunctionCallInfo fcinfo)
{
	const slackfuel_sig *sig = cx->fn->sig;
	ReturnSetInfo *rsi = set_info(cx, fcinfo, SFRM_Materialize);
	MemoryContext old = MemoryContextSwitchTo(rsi->econtext->ecxt_per_query_memory);
	uint64		slots[SF_WIT_MAX_FLAT_PARAMS];

	rsi->setDesc = set_desc(sig, rsi);
	rsi->setResult = tuplestore_begin_heap((rsi->allowedModes & SFRM_Materialize_Random) != 0,
										   false, work_mem);
	rsi->returnMode = SFRM_Materialize;
	MemoryContextSwitchTo(old);

	slackfuel_lower_args(cx, sig, fcinfo, slots);
	if (!slackfuel_run(cx, cx->inst->func, slots, sig->nparams, sig->nresults))
		exited_without_result(cx);
	slackfuel_lift_set(cx, sig, slots, rsi);
	if (cx->inst->post_return)
		slackfuel_run(cx, cx->inst->post_return, slots, sig->nresults, 0);
	return (Datum) 0;
}

/*
 * An iterator over a streamed set: the export gave 'handle'; rows come from
 * <export>_next(handle), one per call, on the same instance, charged to
 * one fuel budget for the whole set.  The call site keeps it ('slot')
 * until the set ends or the query stops reading it.
 */
struct slackfuel_iter
{
	slackfuel_iter **slot;		/* the call site's pointer to it */
	slackfuel_func *fn;
	slackfuel_inst *inst;
	uint64		serial;			/* inst's, to see that it still exists */
	uint32		handle;
	bool		open;			/* not closed yet */
	uint64		consumed;
	uint64		limit;
};

/* The iterator's instance, unless it was discarded since (by a trap). */
static slackfuel_inst *
iter_inst(slackfuel_iter *it)
{
	for (slackfuel_inst *i = it->fn->instances; i != NULL; i = i->next)
		if (i == it->inst && i->serial == it->serial)
			return i;
	return NULL;
}

static void
iter_free(slackfuel_iter *it)
{
	if (*it->slot == it)
		*it->slot = NULL;
	pfree(it);
}

/*
 * The query stopped reading (or rescans): <export>_close(handle) if the
 * set was not read to its end.
 */
static void
iter_shutdown(Datum arg)
{
	slackfuel_iter *it = (slackfuel_iter *) DatumGetPointer(arg);
	slackfuel_inst *inst;
	slackfuel_cx cx;
	uint64		slots[1];

	if (it->open && it->fn->valid && (inst = iter_inst(it)) != NULL &&
		inst->close != NULL)
	{
		it->open = false;
		call_begin(&cx, it->fn->proname, it->fn, inst, inst->host, inst->max_stack);
		if (cx.st != NULL)
			cx.st->c.calls--;	/* part of the set's call */
		slots[0] = it->handle;
		slackfuel_run(&cx, inst->close, slots, 1, 0);
		call_end(&cx);
	}
	iter_free(it);
}

static pg_noinline Datum
call_stream(slackfuel_cx *cx, FunctionCallInfo fcinfo, slackfuel_iter **slot)
{
	const slackfuel_sig *sig = cx->fn->sig;
	ReturnSetInfo *rsi = set_info(cx, fcinfo, SFRM_ValuePerCall);
	slackfuel_iter *it = *slot;
	uint64		slots[SF_WIT_MAX_FLAT_PARAMS];
	Datum		d = (Datum) 0;
	bool		isnull = false;

	if (it == NULL)
	{
		slackfuel_lower_args(cx, sig, fcinfo, slots);
		if (!slackfuel_run(cx, cx->inst->func, slots, sig->nparams, sig->nresults))
			exited_without_result(cx);
		it = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(*it));
		it->handle = (uint32) slots[0];
		it->slot = slot;
		it->fn = cx->fn;
		it->inst = cx->inst;
		it->serial = cx->inst->serial;
		it->limit = cx->out.limit;
		it->open = true;
		*slot = it;
		RegisterExprContextCallback(rsi->econtext, iter_shutdown, PointerGetDatum(it));
		if (cx->inst->post_return)
			slackfuel_run(cx, cx->inst->post_return, slots, sig->nresults, 0);
	}
	else if (cx->st != NULL)
		cx->st->c.calls--;		/* a set is one call, however many rows */
	cx->inst = iter_inst(it);
	if (cx->inst == NULL || !it->fn->valid)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the instance of wasm function \"%s\" was discarded while its set was read",
						cx->fname),
				 errdetail("A trap, or a change of the function or of the limits, discards an instance with what it holds.")));
	cx->out.consumed += it->consumed;	/* the set's budget ... */
	cx->charged = it->consumed; /* ... already charged around it */
	cx->out.limit = it->limit;
	slots[0] = it->handle;
	if (!slackfuel_run(cx, cx->inst->next_row, slots, 1, 1))
		exited_without_result(cx);
	if (!slackfuel_lift_next(cx, sig, slots, &d, &isnull))
	{
		/* the next call (the next row of a target list) starts a new set */
		UnregisterExprContextCallback(rsi->econtext, iter_shutdown, PointerGetDatum(it));
		iter_free(it);
		rsi->isDone = ExprEndResult;
		fcinfo->isnull = true;
		return (Datum) 0;
	}
	/* the row's copy out of guest memory (lifting) is the set's too */
	it->consumed = cx->out.consumed;
	rsi->isDone = ExprMultipleResult;
	fcinfo->isnull = isnull;
	return d;
}

/* --- Triggers ------------------------------------------------------------ */

static pg_noinline Datum
call_trigger(slackfuel_cx *cx, FunctionCallInfo fcinfo)
{
	const slackfuel_sig *sig = cx->fn->sig;
	uint64		slots[SF_WIT_MAX_FLAT_PARAMS];
	Datum		d;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("wasm trigger function \"%s\" can only be called as a trigger",
						cx->fname)));
	slackfuel_trigger_lower(cx, sig, fcinfo, slots);
	if (!slackfuel_run(cx, cx->inst->func, slots, sig->nparams, sig->nresults))
		exited_without_result(cx);
	d = slackfuel_trigger_lift(cx, sig, fcinfo, slots);
	if (cx->inst->post_return)
		slackfuel_run(cx, cx->inst->post_return, slots, sig->nresults, 0);
	return d;
}

/*
 * Call the function 'fn' with the instance 'inst' for 'fcinfo'.  Traps and
 * errors about values (range, bounds, encoding) are raised from here.
 * '*iter' is the call site's iterator over a streamed set, if any.
 */
Datum
slackfuel_call(slackfuel_func *fn, slackfuel_inst *inst, FunctionCallInfo fcinfo,
			   slackfuel_iter **iter)
{
	slackfuel_cx cx;
	Datum		result;
	const slackfuel_sig *sig = fn->sig;

	call_begin(&cx, fn->proname, fn, inst, inst->host, inst->max_stack);
	if (sig->direct)
		result = call_direct(&cx, fcinfo);
	else if (sig->retset)
		result = sig->stream ? call_stream(&cx, fcinfo, iter) : call_set(&cx, fcinfo);
	else if (sig->trigger)
		result = call_trigger(&cx, fcinfo);
	else
		result = call_general(&cx, fcinfo);
	call_end(&cx);
	return result;
}

/*
 * A DO block's call of 'f', which takes no arguments; its 'nresults'
 * results are ignored.  The instance was just created by the caller.
 */
void
slackfuel_call_inline(const char *fname, slackfuel_host *host, sf_func *f,
					  uint32 nresults)
{
	slackfuel_cx cx;
	uint64		slots[16];

	if (nresults > lengthof(slots))
		elog(ERROR, "export of inline code block not callable");
	slackfuel_call_begin(&cx, fname, NULL, NULL, host, slackfuel_max_stack());
	slackfuel_run(&cx, f, slots, 0, nresults);
	slackfuel_call_end(&cx);
}
