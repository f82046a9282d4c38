/*
 * plwasm.h -- internal header of the slackfuel PostgreSQL extension.
 *
 * The extension is the procedural language "wasm": a function's body is a
 * WebAssembly module, compiled by the slackfuel engine (engine/include/
 * slackfuel.h) and called from the backend.  Files:
 *
 *	handler.c	entry points: _PG_init, call handler, validator, inline
 *				handler, SQL-callable functions
 *	build.c		module building: body -> bytes, load, imports, export
 *				choice, signature checks, instantiation
 *	cache.c		per-backend cache of compiled modules and instances
 *	call.c		the one call path (functions, procedures, DO blocks):
 *				sf_call, fuel, traps, copies to and from guest memory
 *	types.c		the SQL type table and the canonical ABI: signatures,
 *				lowering arguments, lifting results
 *	guc.c		slackfuel.* settings and their superuser-only ceilings
 *	timer.c		the timeout tick and the signal wrappers that drive
 *				sf_async_check for fuel and cancellation
 *	report.c	engine errors and traps -> ereport
 */
#ifndef PLWASM_H
#define PLWASM_H

#include "postgres.h"

#include "access/htup.h"
#include "access/tupdesc.h"
#include "fmgr.h"
#include "storage/itemptr.h"
#include "miscadmin.h"
#include "tcop/tcopprot.h"
#include "utils/timeout.h"

#include "slackfuel.h"

/*
 * The call context: what lowering and lifting need while one SQL call (or
 * DO block) runs: the function, its instance, and the fuel and trap state
 * of every sf_call made for it (cabi_realloc, the export, cabi_post_*).
 */
typedef struct slackfuel_cx slackfuel_cx;
typedef struct slackfuel_type slackfuel_type;
typedef struct slackfuel_conv slackfuel_conv;

/*
 * Lowering: a Datum becomes the flat core values of its WIT type (64-bit
 * slots, i32 and f32 in the low half), or its bytes in linear memory at
 * 'ptr', copying into guest memory what the type needs there.  Lifting is
 * the reverse, checked.  The NULL of a nullable value (option<T>) is dealt
 * with before a row's functions are called.
 */
typedef void (*slackfuel_lower_fn) (slackfuel_cx *cx, const slackfuel_conv *c,
									Datum d, uint64 *flat);
typedef Datum (*slackfuel_lift_fn) (slackfuel_cx *cx, const slackfuel_conv *c,
									const uint64 *flat);
typedef void (*slackfuel_store_fn) (slackfuel_cx *cx, const slackfuel_conv *c,
									Datum d, uint32 ptr);
typedef Datum (*slackfuel_load_fn) (slackfuel_cx *cx, const slackfuel_conv *c,
									uint32 ptr);
typedef const sf_wit_type *(*slackfuel_build_fn) (slackfuel_conv *c,
												  sf_wit_arena *a,
												  const char *fname,
												  bool is_result);

/*
 * One row of the SQL type table (types.c): a type by OID, or a family of
 * types (arrays, composites) that 'build' recognises and describes.
 */
struct slackfuel_type
{
	Oid			oid;			/* InvalidOid: a family row */
	const char *sql;			/* its name in messages */
	sf_wit_kind wit;			/* the WIT type of a primitive row */
	bool		direct;			/* the Datum itself is its one flat value */
	bool		bulk;			/* Datums in an array are laid out as in wasm */
	slackfuel_build_fn build;	/* WIT type (and children) if not a primitive */
	slackfuel_lower_fn lower;
	slackfuel_lift_fn lift;
	slackfuel_store_fn store;	/* NULL: the flat values, stored by WIT kind */
	slackfuel_load_fn load;
};

/* How one SQL value (argument, result, field, element) crosses. */
struct slackfuel_conv
{
	const slackfuel_type *type;
	Oid			typid;
	const char *sqlname;		/* the SQL type, for messages */
	bool		nullable;		/* WIT option<T>: none is NULL */
	const sf_wit_type *wit;		/* its WIT type, option<T> when nullable */
	const sf_wit_type *inner;	/* T */
	/* arrays */
	slackfuel_conv *elem;
	int16		elmlen;
	bool		elmbyval;
	char		elmalign;
	/* composites */
	TupleDesc	tupdesc;
	slackfuel_conv **fields;	/* per attribute; NULL for a dropped one */
};

/* The SQL side of a function and the WIT function type it maps to. */
typedef struct slackfuel_sig
{
	MemoryContext mcxt;			/* owns what is below, the arena included */
	sf_wit_arena *arena;
	const sf_wit_func *wit;		/* canon lift's core type: wit->core */
	char	   *wit_name;		/* the function's name in WIT */
	int			nargs;
	slackfuel_conv **args;
	slackfuel_conv *ret;		/* NULL: void */
	uint32		nparams;		/* the export's core type */
	uint32		nresults;
	bool		uses_memory;	/* needs memory and cabi_realloc */
	bool		direct;			/* every argument direct, result in one slot */
	List	   *relids;			/* relations of the row types it depends on */
} slackfuel_sig;

/* One instance of a cached module, private to one role. */
typedef struct slackfuel_inst
{
	struct slackfuel_inst *next;
	Oid			userid;
	uint64		max_memory;		/* the limits it was created with */
	uint64		max_stack;
	sf_store   *store;			/* owns instance, memory, functions */
	sf_instance *instance;
	sf_func    *func;			/* the export called */
	sf_func    *realloc;		/* cabi_realloc, when strings are used */
	sf_func    *post_return;	/* cabi_post_<export>, optional */
	sf_memory  *memory;			/* the export "memory", when strings are used */
} slackfuel_inst;

/* How a call ended when it did not return normally from wasm. */
typedef struct slackfuel_outcome
{
	bool		trapped;		/* err holds the trap; discard the instance */
	sf_error	err;
	uint64		consumed;		/* fuel, over every sf_call of this SQL call */
	uint64		limit;
} slackfuel_outcome;

/*
 * A cached function: its module compiled in one fuel mode, keyed by the
 * pg_proc row (oid, xmin, tid) so that CREATE OR REPLACE recompiles.
 * The hash entry itself is never freed; call sites keep pointers to it and
 * to an instance, valid while slackfuel_epoch is unchanged.
 */
typedef struct slackfuel_func
{
	Oid			fn_oid;			/* hash key */
	bool		valid;			/* module compiled for the row below */
	bool		stale;			/* invalidated; free at the next safe point */
	uint32		hashvalue;		/* of the PROCOID syscache entry */
	TransactionId fn_xmin;
	ItemPointerData fn_tid;
	sf_fuel_mode mode;
	char		proname[NAMEDATALEN];
	char	   *export_name;	/* malloc'd */
	size_t		export_len;
	slackfuel_sig *sig;			/* in its own memory context */
	sf_module  *module;
	slackfuel_inst *instances;
} slackfuel_func;

/* A module being built: released by a memory-context callback on error. */
typedef struct slackfuel_build
{
	uint8	   *bytes;			/* malloc'd */
	size_t		len;
	sf_module  *module;
	sf_store   *store;
	MemoryContextCallback cb;
} slackfuel_build;

struct slackfuel_cx
{
	const char *fname;			/* for messages */
	slackfuel_func *fn;			/* NULL in a DO block */
	slackfuel_inst *inst;		/* NULL in a DO block */
	int			argno;			/* the argument converted (from 1); 0: result */
	uint64		lifted;			/* bytes copied out of guest memory */
	slackfuel_outcome out;
};

/* guc.c */
extern int	slackfuel_check_interval;
extern int	slackfuel_compile_threads;
extern void slackfuel_guc_init(void);
extern uint64 slackfuel_fuel_limit_eff;	/* min(limit, ceiling), kept by assign hooks */
extern sf_fuel_mode slackfuel_fuel_mode(void);
extern uint64 slackfuel_max_memory(void);
extern uint64 slackfuel_max_stack(void);
extern const char *slackfuel_fuel_limit_string(void);

/* Read on every call: a variable, not a computation. */
static inline uint64
slackfuel_fuel_limit(void)
{
	return slackfuel_fuel_limit_eff;
}

/* timer.c */
extern void slackfuel_timer_init(void);
extern void slackfuel_timer_start_slow(void);
extern void slackfuel_wrap_signals(void);
extern TimeoutId slackfuel_tick_id;
extern pid_t slackfuel_tick_pid;	/* the process tick_id is registered in */

static inline bool
slackfuel_timer_running(void)
{
	return slackfuel_tick_pid == MyProcPid && get_timeout_active(slackfuel_tick_id);
}

static inline void
slackfuel_timer_start(void)
{
	if (unlikely(!slackfuel_timer_running()))
		slackfuel_timer_start_slow();
}

/* report.c */
extern void slackfuel_report_load(const char *fname, const sf_error *err) pg_attribute_noreturn();
extern void slackfuel_report_trap(const char *fname, const slackfuel_outcome *out) pg_attribute_noreturn();
extern void slackfuel_report_status(const char *fname, const char *what,
									const sf_error *err) pg_attribute_noreturn();
extern void slackfuel_interrupted(const char *fname) pg_attribute_noreturn();

/* types.c */
extern slackfuel_sig *slackfuel_sig_from_proc(HeapTuple proctup,
											  MemoryContext parent);
extern void slackfuel_sig_free(slackfuel_sig *sig);
extern char *slackfuel_sig_wit(const slackfuel_sig *sig);
extern uint32 slackfuel_lower_args(slackfuel_cx *cx, const slackfuel_sig *sig,
								   FunctionCallInfo fcinfo, uint64 *slots);
extern Datum slackfuel_lift_result(slackfuel_cx *cx, const slackfuel_sig *sig,
								   const uint64 *slots, bool *isnull);

/* build.c */
extern char *slackfuel_prosrc(HeapTuple proctup);
extern slackfuel_sig *slackfuel_check_proc(HeapTuple proctup);
extern slackfuel_build *slackfuel_build_new(void);
extern sf_module *slackfuel_module_load(const char *fname, const char *src,
										sf_fuel_mode mode, slackfuel_build *b);
extern void slackfuel_module_compile(const char *fname, sf_module *m);
extern void slackfuel_check_module(const char *fname, const slackfuel_sig *sig,
								   sf_module *m, sf_export_desc *d);
extern void slackfuel_build_done(slackfuel_build *b);
extern int64 slackfuel_pick_export(const char *fname, sf_module *m,
								   const char *want);
extern char *slackfuel_format_functype(const sf_functype *ft);
extern sf_store *slackfuel_store_new(const char *fname, uint64 max_memory,
									 uint64 max_stack);
extern sf_instance *slackfuel_instantiate(const char *fname, sf_store *store,
										  sf_module *m, uint64 max_stack);

/* cache.c */

/*
 * Bumped whenever a cached module or instance is freed or marked stale, and
 * whenever a setting that selects them (fuel mode, memory and stack limits)
 * changes; a call site whose epoch matches may use its pointers as they are.
 */
extern uint64 slackfuel_epoch;
extern void slackfuel_cache_init(void);
extern void slackfuel_cache_flush_stale(void);
extern slackfuel_func *slackfuel_func_lookup(Oid fn_oid);
extern slackfuel_inst *slackfuel_inst_get(slackfuel_func *fn);
extern void slackfuel_inst_discard(slackfuel_func *fn, slackfuel_inst *inst);

/* call.c */
extern uint64 slackfuel_last_fuel;	/* of the last call, all its sf_calls */
extern char *slackfuel_stack_base;	/* NULL until the first call */
extern void slackfuel_stack_too_deep(uint64 max_stack);
extern Datum slackfuel_call(slackfuel_func *fn, slackfuel_inst *inst,
							FunctionCallInfo fcinfo);
extern void slackfuel_call_inline(const char *fname, sf_func *f, uint32 nresults);
extern void slackfuel_run(slackfuel_cx *cx, sf_func *f, uint64 *slots,
						  uint32 nargs, uint32 nresults);
extern void slackfuel_trapped(slackfuel_cx *cx) pg_attribute_noreturn();
extern uint32 slackfuel_guest_alloc(slackfuel_cx *cx, uint32 align, uint32 len);
extern void slackfuel_check_range(slackfuel_cx *cx, uint64 ptr, uint64 len,
								  const char *what);
extern void slackfuel_copy_in(slackfuel_cx *cx, uint32 ptr, const void *src,
							  size_t len, const char *what);
extern void slackfuel_copy_out(slackfuel_cx *cx, void *dst, uint32 ptr,
							   size_t len, const char *what);

/* Would 'max_stack' more bytes of stack stay within max_stack_depth? */
static inline bool
slackfuel_stack_ok(uint64 max_stack)
{
	char		here;

	return slackfuel_stack_base != NULL &&
		(uint64) (slackfuel_stack_base - &here) + max_stack <=
		(uint64) max_stack_depth * 1024;
}

/*
 * Before a module is parsed, loaded and compiled, which stop at an
 * interrupt request between functions: the signal wrappers are in place
 * (a cancel or timeout then requests one), and a request left over from an
 * earlier cancel is dropped unless it is still pending in PostgreSQL,
 * which then reports it.
 */
static inline void
slackfuel_prepare_build(void)
{
	slackfuel_wrap_signals();
	sf_clear_interrupt();
	CHECK_FOR_INTERRUPTS();
}

/*
 * Before wasm runs: the stack suffices, the tick is armed, and an interrupt
 * left over from an earlier cancel is dropped unless it is still pending in
 * PostgreSQL, in which case PostgreSQL reports it now.
 */
static inline void
slackfuel_prepare_run(uint64 max_stack)
{
	if (unlikely(!slackfuel_stack_ok(max_stack)))
		slackfuel_stack_too_deep(max_stack);
	slackfuel_timer_start();
	sf_clear_interrupt();
	CHECK_FOR_INTERRUPTS();
}

#endif							/* PLWASM_H */
