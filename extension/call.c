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

#include "miscadmin.h"
#include "tcop/tcopprot.h"
#include "utils/memutils.h"

#include "plwasm.h"

uint64		slackfuel_last_fuel;
char	   *slackfuel_stack_base;

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

static inline void
call_begin(slackfuel_cx *cx, const char *fname, slackfuel_func *fn,
		   slackfuel_inst *inst, uint64 max_stack)
{
	cx->fname = fname;
	cx->fn = fn;
	cx->inst = inst;
	cx->lifted = 0;
	cx->out.trapped = false;
	cx->out.consumed = 0;
	cx->out.limit = slackfuel_fuel_limit();
	slackfuel_prepare_run(max_stack);
}

static inline void
call_end(slackfuel_cx *cx)
{
	slackfuel_last_fuel = cx->out.consumed;
}

/*
 * A call trapped (out of fuel and interrupts included): the instance is
 * thrown away, since its memory may be half-updated, and the trap
 * reported.  A DO block's instance belongs to its build and dies with it.
 */
void
slackfuel_trapped(slackfuel_cx *cx)
{
	cx->out.trapped = true;
	slackfuel_last_fuel = cx->out.consumed;
	if (cx->fn != NULL)
		slackfuel_inst_discard(cx->fn, cx->inst);
	slackfuel_report_trap(cx->fname, &cx->out);
}

/* One sf_call, charged to the call's fuel budget; a trap does not return. */
void
slackfuel_run(slackfuel_cx *cx, sf_func *f, uint64 *slots, uint32 nargs,
			  uint32 nresults)
{
	sf_call_opts opts;
	sf_status	st;

	opts.fuel_limit = cx->out.limit - Min(cx->out.consumed, cx->out.limit);
	st = sf_call_slots(f, slots, nargs, nresults, &opts, &cx->out.err);
	cx->out.consumed += sf_last_fuel_consumed();
	if (unlikely(st != SF_OK))
		slackfuel_trapped(cx);
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

	slackfuel_run(cx, cx->inst->realloc, a, 4, 1);
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

/* A call's copies: 1 MiB, about 0.1 ms, between checks for interrupts. */
#define COPY_CHUNK ((size_t) 1 << 20)

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
	if (cx->out.consumed > cx->out.limit)
		copy_trap(cx, SF_TRAP_OUT_OF_FUEL);
}

/* memcpy in chunks; a cancel or terminate between two ends the call. */
static void
copy_chunked(slackfuel_cx *cx, uint8 *dst, const uint8 *src, size_t len)
{
	for (size_t done = 0; done < len; done += COPY_CHUNK)
	{
		if (unlikely(INTERRUPTS_PENDING_CONDITION()))
		{
			if (QueryCancelPending || ProcDiePending)
				copy_trap(cx, SF_TRAP_INTERRUPTED);
			CHECK_FOR_INTERRUPTS();
		}
		memcpy(dst + done, src + done, Min(len - done, COPY_CHUNK));
	}
}

/* Copy 'len' bytes from 'src' into guest memory at 'ptr'. */
void
slackfuel_copy_in(slackfuel_cx *cx, uint32 ptr, const void *src, size_t len,
				  const char *what)
{
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
	cx->out.consumed = sf_last_fuel_consumed();
	if (unlikely(st != SF_OK))
		slackfuel_trapped(cx);
	if (sig->ret == NULL)
		return (Datum) 0;
	return sig->ret->type->lift(cx, sig->ret, slots);
}

/* Everything else: lower, call, lift, cabi_post_<export>. */
static Datum
call_general(slackfuel_cx *cx, FunctionCallInfo fcinfo)
{
	const slackfuel_sig *sig = cx->fn->sig;
	uint64		slots[SF_WIT_MAX_FLAT_PARAMS];
	Datum		d;

	slackfuel_lower_args(cx, sig, fcinfo, slots);
	slackfuel_run(cx, cx->inst->func, slots, sig->nparams, sig->nresults);
	if (sig->ret == NULL)
		return (Datum) 0;
	d = slackfuel_lift_result(cx, sig, slots, &fcinfo->isnull);
	if (cx->inst->post_return)
		slackfuel_run(cx, cx->inst->post_return, slots, sig->nresults, 0);
	return d;
}

/*
 * Call the function 'fn' with the instance 'inst' for 'fcinfo'.  Traps and
 * errors about values (range, bounds, encoding) are raised from here.
 */
Datum
slackfuel_call(slackfuel_func *fn, slackfuel_inst *inst, FunctionCallInfo fcinfo)
{
	slackfuel_cx cx;
	Datum		result;

	call_begin(&cx, fn->proname, fn, inst, inst->max_stack);
	if (likely(fn->sig->direct))
		result = call_direct(&cx, fcinfo);
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
slackfuel_call_inline(const char *fname, sf_func *f, uint32 nresults)
{
	slackfuel_cx cx;
	uint64		slots[16];

	if (nresults > lengthof(slots))
		elog(ERROR, "export of inline code block not callable");
	call_begin(&cx, fname, NULL, NULL, slackfuel_max_stack());
	slackfuel_run(&cx, f, slots, 0, nresults);
	call_end(&cx);
}
