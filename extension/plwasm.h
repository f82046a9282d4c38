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
 *	modules.c	named modules (slackfuel.modules), shared by the
 *				functions that refer to them as 'module:export'
 *	call.c		the one call path (functions, procedures, DO blocks):
 *				sf_call, fuel, traps, copies to and from guest memory
 *	types.c		the SQL type table and the canonical ABI: signatures,
 *				lowering arguments, lifting results
 *	guc.c		slackfuel.* settings and their superuser-only ceilings
 *	timer.c		the timeout tick and the signal wrappers that drive
 *				sf_async_check for fuel and cancellation
 *	report.c	engine errors and traps -> ereport
 *	host.c		what a module may import: import checks and resolution, the
 *				host side of an instance, the guard that catches PostgreSQL
 *				errors in host functions, and slackfuel:host/api's log and
 *				raise
 *	sql.c		slackfuel:host/api's read-only SQL: queries, statements,
 *				cursors, values
 *	wasi.c		the callbacks of the engine's WASI subset: output to NOTICE
 *				or the server log, the clock, pg_strong_random
 *	stats.c		per-function statistics: counted per backend, flushed
 *				into shared memory at transaction end, read by the view
 *	usage.c		the fuel of the session's last statement and transaction
 */
#ifndef PLWASM_H
#define PLWASM_H

#include "postgres.h"

#include "access/htup.h"
#include "access/tupdesc.h"
#include "fmgr.h"
#include "lib/ilist.h"
#include "nodes/execnodes.h"
#include "storage/itemptr.h"
#include "miscadmin.h"
#include "tcop/tcopprot.h"
#include "utils/timeout.h"

#include "slackfuel.h"

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

/*
 * What the extension's files share is internal to slackfuel.so: calls
 * between them are direct and their globals are reached without the GOT.
 * PostgreSQL finds only _PG_init and the functions of PG_FUNCTION_INFO_V1:
 * declare SQL-callable functions there, in their .c file, never here (a
 * first declaration here would hide them from the dynamic loader).
 */
#pragma GCC visibility push(hidden)

/*
 * The call context: what lowering and lifting need while one SQL call (or
 * DO block) runs: the function, its instance, and the fuel and trap state
 * of every sf_call made for it (cabi_realloc, the export, cabi_post_*).
 */
typedef struct slackfuel_cx slackfuel_cx;
typedef struct slackfuel_type slackfuel_type;
typedef struct slackfuel_host slackfuel_host;
typedef struct slackfuel_wasi slackfuel_wasi;
typedef struct slackfuel_sql slackfuel_sql;
typedef struct slackfuel_conv slackfuel_conv;
typedef struct slackfuel_typebuild slackfuel_typebuild;
typedef struct slackfuel_mod slackfuel_mod;	/* a named module (modules.c) */

/*
 * Lowering: a Datum becomes the flat core values of its WIT type (64-bit
 * slots, i32 and f32 in the low half), or its bytes as laid out in linear
 * memory, in a host buffer at 'dst' (types.c copies it in), copying into
 * guest memory what the type points to (strings, lists).  Lifting is the
 * reverse, checked.  The NULL of a nullable value (option<T>) is dealt
 * with before a row's functions are called.
 */
typedef void (*slackfuel_lower_fn) (slackfuel_cx *cx, const slackfuel_conv *c,
									Datum d, uint64 *flat);
typedef Datum (*slackfuel_lift_fn) (slackfuel_cx *cx, const slackfuel_conv *c,
									const uint64 *flat);
typedef void (*slackfuel_store_fn) (slackfuel_cx *cx, const slackfuel_conv *c,
									Datum d, uint8 *dst);
typedef Datum (*slackfuel_load_fn) (slackfuel_cx *cx, const slackfuel_conv *c,
									const uint8 *src);
typedef const sf_wit_type *(*slackfuel_build_fn) (slackfuel_conv *c,
												  slackfuel_typebuild *b);

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
	Oid			typid;			/* the type of the row (a domain's base) */
	const char *sqlname;		/* the SQL type, for messages */
	bool		nullable;		/* WIT option<T>: none is NULL */
	bool		direct;			/* the Datum is its one flat value as it is */
	const sf_wit_type *wit;		/* its WIT type, option<T> when nullable */
	const sf_wit_type *inner;	/* T */
	/* domains: a result is checked against the domain's constraints */
	Oid			domain;			/* InvalidOid: not a domain */
	void	  **domain_extra;	/* domain_check's cache */
	MemoryContext mcxt;			/* the signature's */
	/* arrays */
	slackfuel_conv *elem;
	int16		elmlen;
	bool		elmbyval;
	char		elmalign;
	/* composites */
	TupleDesc	tupdesc;
	slackfuel_conv **fields;	/* per attribute; NULL for a dropped one */
	Datum	   *values;			/* one row's, reused by every call */
	bool	   *nulls;
	/* enums: case i is the label whose pg_enum OID is enum_oids[i] */
	uint32		nlabels;
	Oid		   *enum_oids;
	Oid		   *sorted_oids;	/* the same, ascending */
	uint32	   *sorted_cases;	/* the case of each of sorted_oids */
	/* types converted through their text form */
	FmgrInfo	in;
	FmgrInfo	out;
	Oid			ioparam;
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
	slackfuel_conv *ret;		/* NULL: void; a set's element */
	uint32		nparams;		/* the export's core type */
	uint32		nresults;
	bool		uses_memory;	/* needs memory and cabi_realloc */
	bool		direct;			/* every argument direct, result in one slot */
	bool		has_enums;		/* built again when an enum changes */
	List	   *relids;			/* relations of the row types it depends on */
	/* RETURNS SETOF: list<T> (wit), or an iterator (wit_start, wit_next) */
	bool		retset;
	bool		stream;			/* the module exports <export>_next */
	const sf_wit_func *wit_list;
	const sf_wit_func *wit_start;	/* -> u32, the iterator's handle */
	const sf_wit_func *wit_next;	/* (u32) -> option<T> */
	/* RETURNS trigger */
	bool		trigger;
} slackfuel_sig;

/*
 * What the statistics count for one function (stats.c).  Times are in
 * ticks of slackfuel_clock, converted when flushed.
 */
typedef struct slackfuel_counters
{
	int64		calls;
	uint64		fuel;			/* over all calls */
	uint64		fuel_max;		/* of one call */
	uint64		time;			/* of all calls, in clock ticks */
	int64		traps[SF_TRAP_COUNT];	/* by kind; out of fuel, interrupts too */
	int64		compiles;
	double		compile_ms;
	uint64		code_size;		/* bytes of the last compile */
	uint64		peak_memory;	/* largest linear memory seen, bytes */
} slackfuel_counters;

/*
 * A function's counts not yet flushed to shared memory, per backend.
 * Reading the clock twice costs more than the rest of the counting, so
 * once a function has had SLACKFUEL_TIME_ALL calls since the last flush,
 * only one call in SLACKFUEL_TIME_EVERY on average is timed, picked at
 * random, and its time counts that many times (stats.c).
 */
#define SLACKFUEL_TIME_ALL 100
#define SLACKFUEL_TIME_EVERY 16

typedef struct slackfuel_fstats
{
	Oid			funcid;			/* hash key */
	bool		dirty;			/* on the list of entries to flush */
	uint32		untimed;		/* calls to leave untimed before the next */
	struct slackfuel_fstats *next_dirty;
	slackfuel_counters c;
} slackfuel_fstats;

/*
 * One instance of a cached module, private to one role.  An instance that
 * owns its store is on the backend's list of instances, from which the
 * least recently used one with no call running is evicted when the
 * backend's wasm memory (slackfuel.max_backend_memory) is short.
 *
 * The functions over a named module share one instance per role: that
 * instance (fn NULL, 'mod' set) owns the store, and each function has a
 * view of it (a slackfuel_inst with its own exports, 'owner' pointing to
 * it, no store), listed on the owner's 'views'.  A call marks the owner
 * running, so the shared instance is never evicted while any of its
 * functions has a call on the stack; evicting or discarding it drops every
 * view.  An instance that owns its store is its own owner.
 */
typedef struct slackfuel_inst
{
	struct slackfuel_inst *next;	/* on 'list' */
	struct slackfuel_inst **list;	/* its function's or named module's
									 * instances, NULL once off it */
	struct slackfuel_inst *all_prev;	/* of the backend (owners) */
	struct slackfuel_inst *all_next;
	struct slackfuel_func *fn;	/* NULL: a named module's instance */
	struct slackfuel_inst *owner;	/* the instance owning the store */
	slackfuel_mod *mod;			/* of a named module's instance */
	struct slackfuel_inst *views;	/* of a named module's instance */
	struct slackfuel_inst *next_view;
	bool		discarded;		/* after a trap: never called again */
	uint64		last_used;		/* slackfuel_running.clock at its last call */
	Oid			userid;
	uint64		max_memory;		/* the limits it was created with */
	uint64		max_stack;
	sf_store   *store;			/* owns instance, memory, functions; NULL
								 * in a view */
	sf_instance *instance;
	sf_func    *func;			/* the export called */
	sf_func    *realloc;		/* cabi_realloc, when strings are used */
	sf_func    *post_return;	/* cabi_post_<export>, optional */
	sf_func    *next_row;		/* a streaming set's <export>_next */
	sf_func    *close;			/* and its <export>_close, optional */
	sf_memory  *memory;			/* the export "memory", when strings are used */
	sf_memory  *memory0;		/* memory 0, exported or not, or NULL */
	slackfuel_host *host;		/* its imports' state (host.c); a view's is
								 * its owner's */
	uint64		serial;			/* unique over the backend's life */
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
 * function and the mode its calls run in (slackfuel_call_mode: a slacked
 * session's calls with a small limit run precise code, cached beside), and
 * current for one pg_proc row (oid, xmin, tid), so that CREATE OR REPLACE
 * recompiles.  The hash entry itself is never freed; call sites keep
 * pointers to it and to an instance, valid while slackfuel_epoch is
 * unchanged.
 */
typedef struct slackfuel_func_key
{
	Oid			fn_oid;
	sf_fuel_mode mode;
} slackfuel_func_key;

typedef struct slackfuel_func
{
	slackfuel_func_key key;		/* hash key */
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
	sf_module  *module;			/* owned, unless 'shared' */
	slackfuel_mod *shared;		/* the named module it refers to, or NULL */
	uint64		code_bytes;		/* held in the backend's budget for its code
								 * (a named module's holds its own) */
	slackfuel_inst *instances;
	slackfuel_fstats *stats;	/* NULL without shared statistics */
} slackfuel_func;

/* A module being built: released by a memory-context callback on error. */
typedef struct slackfuel_build
{
	uint8	   *bytes;			/* malloc'd */
	size_t		len;
	sf_module  *module;
	sf_component *component;	/* when the bytes were a component */
	sf_store   *store;
	slackfuel_host *host;
	MemoryContextCallback cb;
} slackfuel_build;

struct slackfuel_cx
{
	const char *fname;			/* for messages */
	slackfuel_func *fn;			/* NULL in a DO block */
	slackfuel_inst *inst;		/* NULL in a DO block */
	slackfuel_host *host;		/* the instance's host side */
	int			run_mark;		/* slackfuel_running.n before this call */
	int			argno;			/* the argument converted (from 1); 0: result */
	const char *field;			/* the column of a record converted, or NULL */
	uint64		charged;		/* of out.consumed, charged by earlier calls
								 * (a streamed set's rows before this one) */
	uint64		lifted;			/* bytes copied out of guest memory */
	slackfuel_outcome out;
	slackfuel_cx *host_prev;	/* the instance's call before this one */
	slackfuel_cx *nest;			/* the call whose SQL this one runs in */
	uint64		id;				/* tells this call's cursors from others' */
	MemoryContext mcxt;			/* CurrentMemoryContext at the start */

	/*
	 * A host function caught a PostgreSQL error (slackfuel_guard): it is
	 * still on the error stack, and re-thrown once the wasm call is over.
	 */
	bool		pending_error;
	bool		fuel_out;		/* the wasm caller's fuel ran out in a nested call */
	bool		discard;		/* the program exited: drop the instance at the end */
	bool		spi_connected;	/* SPI_connect'ed by a query of this call */
	/*
	 * Set while a host function of this call lowers values into the guest
	 * (types.c for sql.c's typed rows): guest memory and cabi_realloc are
	 * then reached through the wasm caller's context.  Valid only when
	 * 'host' is set.
	 */
	sf_ctx	   *host_ctx;

	/*
	 * While a host function of this call runs SQL (it is on the stack of
	 * slackfuel_sql_top): the fuel its wasm caller had left, what wasm
	 * calls nested in that SQL have consumed, and the call below it.
	 */
	uint64		sql_fuel_left;
	uint64		nested_consumed;
	slackfuel_cx *sql_outer;
	slackfuel_fstats *st;		/* where the call is counted, or NULL */
	uint64		start;			/* slackfuel_clock at its start, when counted */
};

/*
 * The innermost call whose host function is running SQL, or NULL: a call
 * that begins then is nested in it.  Every entry is a live frame: host
 * functions push and pop it, and slackfuel_guard restores it on error.
 */
extern slackfuel_cx *slackfuel_sql_top;

/* guc.c */
typedef enum slackfuel_cap
{
	SLACKFUEL_CAP_SQL,
	SLACKFUEL_CAP_CLOCK,
	SLACKFUEL_CAP_RANDOM,
	SLACKFUEL_NCAPS
} slackfuel_cap;

typedef enum slackfuel_output
{
	SLACKFUEL_OUTPUT_NONE,
	SLACKFUEL_OUTPUT_NOTICE,
	SLACKFUEL_OUTPUT_LOG
} slackfuel_output;

extern bool slackfuel_allowed(slackfuel_cap cap);
extern const char *slackfuel_cap_setting(slackfuel_cap cap);
extern slackfuel_output slackfuel_output_mode(void);
extern int	slackfuel_check_interval;
extern int	slackfuel_compile_threads;
extern bool slackfuel_track_functions;
extern int	slackfuel_stat_functions_max;
extern bool slackfuel_perf_map;
extern void slackfuel_guc_init(void);
extern uint64 slackfuel_fuel_limit_eff;	/* min(limit, ceiling), kept by assign hooks */
extern sf_fuel_mode slackfuel_fuel_mode(void);
extern sf_fuel_mode slackfuel_call_mode_eff;	/* kept by assign hooks */

/*
 * The fuel mode calls run in: the session's, but precise in slacked mode
 * for a fuel limit below slackfuel.precise_below, which a late tick would
 * overrun by more than the call's whole budget.
 */
static inline sf_fuel_mode
slackfuel_call_mode(void)
{
	return slackfuel_call_mode_eff;
}
extern uint64 slackfuel_max_memory(void);
extern uint64 slackfuel_max_backend_memory(void);
extern uint64 slackfuel_max_stack(void);
extern const char *slackfuel_fuel_limit_string(void);
extern const char *slackfuel_fuel_limit_capped(void);

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
extern bool slackfuel_tick_armed;

static inline bool
slackfuel_timer_running(void)
{
	return slackfuel_tick_pid == MyProcPid && get_timeout_active(slackfuel_tick_id);
}

/*
 * Read on every call (the scalar path's through slackfuel_scalar_epoch):
 * slackfuel_tick_armed, which timer.c sets when it finds the tick armed
 * and clears wherever the tick may have been disarmed (see timer.c); the
 * timeout machinery is asked only when it is clear.
 */
static inline void
slackfuel_timer_start(void)
{
	if (unlikely(!slackfuel_tick_armed))
		slackfuel_timer_start_slow();
}

/* report.c */
extern void slackfuel_report_load(const char *fname, const sf_error *err) pg_attribute_noreturn();
extern void slackfuel_report_imports(const char *fname, const sf_import_desc *d,
									 const char *why) pg_attribute_noreturn();
extern void slackfuel_report_trap(const char *fname, const slackfuel_outcome *out,
								  const char *stderr_tail) pg_attribute_noreturn();
extern void slackfuel_report_status(const char *fname, const char *what,
									const sf_error *err) pg_attribute_noreturn();
extern void slackfuel_interrupted(const char *fname) pg_attribute_noreturn();

/* types.c */

/*
 * The names of WIT's named types (records, enums, variants) are unique in
 * what is built with one slackfuel_witnames: a signature, or a world of
 * several.  'key' tells types apart: a type's OID, or one of the keys
 * below for types of no SQL type.
 */
typedef struct slackfuel_witnames slackfuel_witnames;
#define SLACKFUEL_KEY_RESULT(procoid)	(((int64) 1 << 32) | (procoid))
#define SLACKFUEL_KEY_FIXED(n)			(((int64) 2 << 32) | (n))

/* While a signature is being built. */
struct slackfuel_typebuild
{
	sf_wit_arena *arena;
	const char *fname;			/* the function, for errors */
	bool		is_result;
	struct slackfuel_sig *sig;
	slackfuel_witnames *names;
};

extern slackfuel_witnames *slackfuel_witnames_new(void);
extern const char *slackfuel_wit_typename(slackfuel_typebuild *b,
										  const char *base, int64 key);
extern slackfuel_sig *slackfuel_sig_from_proc(HeapTuple proctup,
											  MemoryContext parent,
											  slackfuel_witnames *names);
extern void slackfuel_sig_set_stream(slackfuel_sig *sig, bool stream);
extern void slackfuel_sig_free(slackfuel_sig *sig);
extern char *slackfuel_sig_wit(const slackfuel_sig *sig);
extern uint32 slackfuel_lower_args(slackfuel_cx *cx, const slackfuel_sig *sig,
								   FunctionCallInfo fcinfo, uint64 *slots);
extern Datum slackfuel_lift_result(slackfuel_cx *cx, const slackfuel_sig *sig,
								   const uint64 *slots, bool *isnull);

/*
 * How a direct result's Datum comes from its one flat value, for the call
 * path to do it without calling the type's lift: the common cases, else
 * through the lift.
 */
typedef enum slackfuel_direct_lift
{
	SLACKFUEL_LIFT_CALL,		/* c->type->lift */
	SLACKFUEL_LIFT_VOID,		/* no result: (Datum) 0 */
	SLACKFUEL_LIFT_INT32,		/* the low 32 bits, a signed int32 */
	SLACKFUEL_LIFT_BITS64		/* the slot's 64 bits (int8, float8) */
} slackfuel_direct_lift;

extern slackfuel_direct_lift slackfuel_direct_lift_of(const slackfuel_conv *c);
extern void slackfuel_lift_set(slackfuel_cx *cx, const slackfuel_sig *sig,
							   const uint64 *slots, ReturnSetInfo *rsi);
extern bool slackfuel_lift_next(slackfuel_cx *cx, const slackfuel_sig *sig,
								const uint64 *slots, Datum *d, bool *isnull);
extern uint32 slackfuel_lower_bytes(slackfuel_cx *cx, const char *data,
									size_t len);
extern uint32 slackfuel_lower_string(slackfuel_cx *cx, const char *s,
									 size_t len, uint64 *flat);
extern char *slackfuel_lift_string(slackfuel_cx *cx, uint32 ptr, uint32 len,
								   const char *what);

/* The record of a query's columns (types.c, for sql.c's typed rows). */
typedef struct slackfuel_rowtype
{
	MemoryContext mcxt;			/* owns what is below, the arena included */
	sf_wit_arena *arena;
	slackfuel_conv *conv;		/* the record */
	uint32		size;			/* its canonical ABI layout */
	uint32		align;
	char	   *wit;			/* "record row { ... }" */
	bool		busy;			/* a row is being stored */
	bool		rebuild;		/* for each query: it has enums or composites */
} slackfuel_rowtype;

extern slackfuel_rowtype *slackfuel_rowtype_new(TupleDesc td, const char *fname,
												MemoryContext parent);
extern void slackfuel_rowtype_free(slackfuel_rowtype *rt);
extern bool slackfuel_rowtype_matches(const slackfuel_rowtype *rt, TupleDesc td);
extern void slackfuel_rowtype_store(slackfuel_cx *cx, sf_ctx *ctx, slackfuel_rowtype *rt,
									const Datum *values, const bool *nulls, uint8 *dst);

/* trigger.c */
extern void slackfuel_trigger_wit(slackfuel_typebuild *b,
								  const sf_wit_type **data,
								  const sf_wit_type **result);
extern uint32 slackfuel_trigger_lower(slackfuel_cx *cx, const slackfuel_sig *sig,
									  FunctionCallInfo fcinfo, uint64 *slots);
extern Datum slackfuel_trigger_lift(slackfuel_cx *cx, const slackfuel_sig *sig,
									FunctionCallInfo fcinfo, const uint64 *slots);

/* build.c */
extern char *slackfuel_prosrc(HeapTuple proctup);
extern slackfuel_sig *slackfuel_check_proc(HeapTuple proctup);
extern slackfuel_build *slackfuel_build_new(void);
extern sf_module *slackfuel_module_load(const char *fname, const char *src,
										sf_fuel_mode mode, slackfuel_build *b);
extern sf_module *slackfuel_module_load_bytes(const char *fname, const uint8 *bytes,
											  size_t len, sf_fuel_mode mode,
											  slackfuel_build *b);
extern sf_module *slackfuel_body_module(const char *fname, const char *src, Oid owner,
										sf_fuel_mode mode, bool creating,
										slackfuel_fstats *st, slackfuel_build *b,
										slackfuel_mod **mod,
										const sf_component **comp, char **export);
extern void slackfuel_module_compile(const char *fname, sf_module *m);
extern void slackfuel_check_module(const char *fname, const slackfuel_sig *sig,
								   sf_module *m, const sf_component *comp,
								   const char *export, sf_export_desc *d);
extern void slackfuel_build_done(slackfuel_build *b);
extern int64 slackfuel_pick_export(const char *fname, sf_module *m,
								   const char *want);
extern void slackfuel_module_profile(const char *label, sf_module *m);
extern char *slackfuel_format_functype(const sf_functype *ft);
extern sf_store *slackfuel_store_new(const char *fname, uint64 max_memory,
									 uint64 max_stack);
extern sf_instance *slackfuel_instantiate(const char *fname, sf_store *store,
										  sf_module *m, uint64 max_stack,
										  slackfuel_host *host);
extern uint64 slackfuel_take_code(const char *fname, sf_module *m);
extern void slackfuel_out_of_backend_memory(const char *fname, const char *what) pg_attribute_noreturn();

/* cache.c */

/*
 * Bumped whenever a cached module or instance is freed or marked stale, and
 * whenever a setting that selects them (fuel mode, memory and stack limits)
 * changes; a call site whose epoch matches may use its pointers as they are.
 * Written only by slackfuel_epoch_bump.
 */
extern uint64 slackfuel_epoch;

/*
 * slackfuel_epoch, with SLACKFUEL_EPOCH_SQL set while a call's SQL runs
 * (slackfuel_sql_top is not NULL) and SLACKFUEL_EPOCH_UNARMED while the
 * tick may not be armed (slackfuel_tick_armed is clear): what
 * slackfuel_call_scalar compares its call site's epoch with, so that one
 * compare tells all three.  Set again whenever any changes.
 */
#define SLACKFUEL_EPOCH_SQL ((uint64) 1 << 63)
#define SLACKFUEL_EPOCH_UNARMED ((uint64) 1 << 62)
extern uint64 slackfuel_scalar_epoch;

static inline void
slackfuel_scalar_epoch_set(void)
{
	slackfuel_scalar_epoch = slackfuel_epoch |
		(slackfuel_sql_top != NULL ? SLACKFUEL_EPOCH_SQL : 0) |
		(!slackfuel_tick_armed ? SLACKFUEL_EPOCH_UNARMED : 0);
}

static inline void
slackfuel_epoch_bump(void)
{
	slackfuel_epoch++;
	slackfuel_scalar_epoch_set();
}
extern void slackfuel_cache_init(void);
extern void slackfuel_cache_flush_stale(void);
extern int	slackfuel_pins;		/* host functions running SQL, all calls */
extern slackfuel_func *slackfuel_func_lookup(Oid fn_oid);
extern slackfuel_inst *slackfuel_inst_get(slackfuel_func *fn);
extern void slackfuel_inst_discard(slackfuel_func *fn, slackfuel_inst *inst);
extern sf_budget *slackfuel_budget(void);
extern void slackfuel_budget_changed(void);
extern void slackfuel_cache_stale_shared(void);
extern slackfuel_inst *slackfuel_inst_create(const char *fname, sf_module *m,
											 uint64 max_memory, uint64 max_stack);
extern void slackfuel_inst_drop(slackfuel_inst *owner);

/*
 * The instances of the calls running (on the stack), innermost last: they
 * are never evicted.  A call pushes its instance's owner (the shared
 * instance a named module's function has a view of; NULL for a DO block)
 * and pops back to its mark when it ends; an error that skips that is
 * caught up with at the end of the subtransaction or transaction it
 * aborts, or when the call around it ends.  Until then the entry only
 * keeps its instance from being evicted: entries are compared, never
 * followed.  'clock' counts calls begun, for the instances' last_used.
 */
typedef struct slackfuel_running_calls
{
	const slackfuel_inst **insts;
	int			n;
	int			cap;
	uint64		clock;
} slackfuel_running_calls;

extern slackfuel_running_calls slackfuel_running;	/* one struct: one GOT load */
extern void slackfuel_running_grow(void);
extern bool slackfuel_inst_running(const slackfuel_inst *inst);

static inline void
slackfuel_call_push(slackfuel_cx *cx)
{
	slackfuel_running_calls *r = &slackfuel_running;
	slackfuel_inst *owner;

	cx->run_mark = r->n;
	if (unlikely(r->n == r->cap))
		slackfuel_running_grow();
	owner = cx->inst != NULL ? cx->inst->owner : NULL;
	r->insts[r->n++] = owner;
	if (owner != NULL)
		owner->last_used = ++r->clock;
}

static inline void
slackfuel_call_pop(slackfuel_cx *cx)
{
	slackfuel_running.n = cx->run_mark;
}

/* modules.c */
extern void slackfuel_modules_init(void);
extern bool slackfuel_modref_parse(const char *src, char *modname, char **export);
extern sf_module *slackfuel_mod_get(const char *fname, const char *name, Oid owner,
									sf_fuel_mode mode, bool creating,
									slackfuel_fstats *st, slackfuel_mod **modp,
									const sf_component **comp);
extern void slackfuel_mod_used(slackfuel_mod *mod, int delta);
extern slackfuel_inst *slackfuel_mod_instance(const char *fname, slackfuel_mod *mod,
											  uint64 max_memory, uint64 max_stack);
extern void slackfuel_modules_free_doomed(void);

/* citus.c */
extern void slackfuel_citus_propagate(FunctionCallInfo fcinfo);

/* handler.c */
extern Datum slackfuel_call_handler_slow(FunctionCallInfo fcinfo);

/* call.c */
extern uint64 slackfuel_last_fuel;	/* of the last call, all its sf_calls */
extern char *slackfuel_stack_base;	/* NULL until the first call */
extern void slackfuel_stack_too_deep(uint64 max_stack);
typedef struct slackfuel_iter slackfuel_iter;
extern Datum slackfuel_call(slackfuel_func *fn, slackfuel_inst *inst,
							FunctionCallInfo fcinfo, slackfuel_iter **iter);

/*
 * What a call site (FmgrInfo) of the trivial function's path
 * (slackfuel_call_scalar) keeps from its first call, so that no call looks
 * it up again: the function and instance, what the call reads of them, the
 * engine's prepared call of the export (its activation and argument slots,
 * in the call site's memory), the statistics entry when they are tracked,
 * and the context a result's lifting reads (its name for messages, the
 * result's place).  It is valid while 'epoch' is slackfuel_epoch, which
 * everything it depends on bumps (a change of the function or its
 * instances, of the fuel mode or memory settings, of
 * slackfuel.track_functions).  It begins the call site's fn_extra
 * (handler.c), so that the call handler finds it in one load.
 *
 * Its calls are counted down in 'countdown': a call that takes it to 0
 * (scalar_tick) adds the batch of calls since the last one ('batch') to
 * the statistics, is timed (when they are tracked), marks the instance
 * used, and starts the next batch.  Until then a batch's calls are the
 * call site's: slackfuel_scalar_sites_count adds them to the statistics of
 * every live call site before statistics are flushed or reset, and a call
 * site adds them before it is set up again or its memory goes.  Its
 * instance's memory size joins the peak when the batch is counted, and
 * before the instance is freed (slackfuel_scalar_sites_release): memory
 * only grows while an instance lives.
 */
typedef struct slackfuel_scalar_site
{
	uint64		epoch;			/* slackfuel_epoch when set, else 0 */
	Oid			userid;			/* the role inst was found for */
	int			nargs;
	sf_prepared *prep;			/* the call of inst->func */
	sf_prepared_entry_fn entry; /* sf_prepared_entry(prep) */
	uint64	   *slots;			/* sf_prepared_slots(prep) */
	slackfuel_func *fn;
	slackfuel_inst *inst;
	slackfuel_inst *owner;		/* inst->owner */
	uint64		max_stack;		/* inst->max_stack */
	/*
	 * The stack check of slackfuel_stack_ok, as the lowest frame address
	 * that passes it while max_stack_depth is 'stack_depth' (-1: unknown).
	 */
	char	   *stack_floor;
	int			stack_depth;
	slackfuel_fstats *st;		/* fn->stats when tracked, else NULL */
	int32		countdown;		/* calls until the next scalar_tick */
	int32		batch;			/* its start: batch - countdown calls to count */
	uint64		timed_start;	/* slackfuel_clock at the start of a timed
								 * call running, else 0 */
	uint32		timed_weight;	/* the calls its time stands for */
	dlist_node	live;			/* on the list of call sites with memory */
	bool		listed;			/* on it, with a reset callback on its memory */
	const uint64 *mem_size;		/* memory 0's size (0 without memory 0) */
	slackfuel_lift_fn lift;		/* the result's, NULL without one */
	slackfuel_direct_lift lift_kind;	/* how the result is lifted */
	const slackfuel_conv *ret;
	slackfuel_cx *cx;			/* fname set, argno 0, no field */
} slackfuel_scalar_site;

extern bool slackfuel_scalar_site_init(slackfuel_scalar_site *site,
									   slackfuel_func *fn, slackfuel_inst *inst,
									   Oid userid, MemoryContext mcxt);
extern Datum slackfuel_call_scalar(FunctionCallInfo fcinfo);
extern Datum slackfuel_call_scalar_site(FunctionCallInfo fcinfo);
extern void slackfuel_scalar_sites_count(void);
extern void slackfuel_scalar_sites_release(const slackfuel_inst *owner);

extern void slackfuel_call_inline(const char *fname, slackfuel_host *host,
								  sf_func *f, uint32 nresults);
extern void slackfuel_call_begin(slackfuel_cx *cx, const char *fname,
								 slackfuel_func *fn, slackfuel_inst *inst,
								 slackfuel_host *host, uint64 max_stack);
extern void slackfuel_call_end(slackfuel_cx *cx);
extern bool slackfuel_run(slackfuel_cx *cx, sf_func *f, uint64 *slots,
						  uint32 nargs, uint32 nresults);
extern void slackfuel_trapped(slackfuel_cx *cx) pg_attribute_noreturn();
extern uint32 slackfuel_guest_alloc(slackfuel_cx *cx, uint32 align, uint32 len);
extern void slackfuel_check_range(slackfuel_cx *cx, uint64 ptr, uint64 len,
								  const char *what);
/*
 * The bytes copied between checks for cancel and terminate, by a call's
 * copies and a host function's: a fresh page's first touch is what takes
 * time, and 16 KiB of them take about 0.1 ms.
 */
#define SLACKFUEL_COPY_CHUNK ((size_t) 16 << 10)

extern void slackfuel_copy_in(slackfuel_cx *cx, uint32 ptr, const void *src,
							  size_t len, const char *what);
extern void slackfuel_copy_out(slackfuel_cx *cx, void *dst, uint32 ptr,
							   size_t len, const char *what);

/* host.c */
extern bool slackfuel_check_import(const sf_import_desc *d, char **why);
extern bool slackfuel_imports_use_realloc(sf_module *m);
extern slackfuel_host *slackfuel_host_new(const char *fname, sf_store *store,
										  sf_module *m);
extern sf_extern *slackfuel_host_imports(slackfuel_host *h, sf_module *m);
extern void slackfuel_host_bind(slackfuel_host *h, sf_instance *instance);
extern void slackfuel_host_free(slackfuel_host *h);
extern bool slackfuel_guard(slackfuel_cx *cx, void (*fn) (void *arg), void *arg);
extern slackfuel_cx *slackfuel_host_enter(slackfuel_host *h, slackfuel_cx *cx);
extern slackfuel_cx *slackfuel_host_call(slackfuel_host *h);
extern slackfuel_wasi *slackfuel_host_wasi(slackfuel_host *h);
extern slackfuel_sql **slackfuel_host_sql(slackfuel_host *h);
extern void slackfuel_call_ended(slackfuel_cx *cx);
extern char *slackfuel_guest_string(slackfuel_cx *cx, sf_ctx *ctx, uint32 ptr,
									uint32 len, uint32 max, const char *what);
extern uint32 slackfuel_host_alloc(slackfuel_cx *cx, sf_ctx *ctx, uint32 align,
								   uint32 size);
extern uint32 slackfuel_host_realloc(slackfuel_cx *cx, sf_ctx *ctx, uint32 old,
									 uint32 old_size, uint32 align, uint32 size);
extern uint8 *slackfuel_host_mem(slackfuel_cx *cx, sf_ctx *ctx, uint32 ptr,
								 uint64 len, const char *what);
extern void slackfuel_host_charge(sf_ctx *ctx, uint64 bytes);
extern void slackfuel_host_copy(slackfuel_cx *cx, sf_ctx *ctx, void *dst,
							   const void *src, size_t len);

/* sql.c */
extern void slackfuel_sql_query(slackfuel_cx *cx, sf_ctx *ctx, const sf_val *args);
extern void slackfuel_sql_prepare(slackfuel_cx *cx, sf_ctx *ctx, const sf_val *args,
								  sf_val *result);
extern void slackfuel_sql_stmt_query(slackfuel_cx *cx, sf_ctx *ctx, const sf_val *args);
extern void slackfuel_sql_stmt_open(slackfuel_cx *cx, sf_ctx *ctx, const sf_val *args,
									sf_val *result);
extern void slackfuel_sql_stmt_query_typed(slackfuel_cx *cx, sf_ctx *ctx,
										   const sf_val *args);
extern void slackfuel_sql_stmt_row_type(slackfuel_cx *cx, sf_ctx *ctx, const sf_val *args);
extern void slackfuel_sql_rows_next_typed(slackfuel_cx *cx, sf_ctx *ctx, const sf_val *args);
extern void slackfuel_sql_stmt_drop(slackfuel_cx *cx, sf_ctx *ctx, const sf_val *args);
extern void slackfuel_sql_rows_next(slackfuel_cx *cx, sf_ctx *ctx, const sf_val *args);
extern void slackfuel_sql_rows_drop(slackfuel_cx *cx, sf_ctx *ctx, const sf_val *args);
extern void slackfuel_sql_call_end(slackfuel_cx *cx);
extern void slackfuel_sql_free(slackfuel_sql *s);

/* wasi.c */
extern slackfuel_wasi *slackfuel_wasi_new(const char *fname, sf_store *store,
										  slackfuel_host *host);
extern sf_wasi *slackfuel_wasi_engine(slackfuel_wasi *w);
extern void slackfuel_wasi_call_begin(slackfuel_wasi *w);
extern bool slackfuel_wasi_flush(slackfuel_wasi *w);
extern const char *slackfuel_wasi_stderr(slackfuel_wasi *w);
extern void slackfuel_wasi_free(slackfuel_wasi *w);

/* stats.c */
extern bool slackfuel_clock_tsc;
extern uint64 slackfuel_clock_ns(void);
extern void slackfuel_stats_init(void);
extern slackfuel_fstats *slackfuel_stats_entry(Oid funcid);
extern void slackfuel_stats_mark(slackfuel_fstats *st);
extern void slackfuel_stats_timed(slackfuel_fstats *st, uint64 ticks);
extern uint32 slackfuel_stats_rng;

/* The next of a xorshift32 sequence, for the choice of calls timed. */
static inline uint32
slackfuel_stats_random(void)
{
	uint32		r = slackfuel_stats_rng;

	r ^= r << 13;
	r ^= r >> 17;
	r ^= r << 5;
	slackfuel_stats_rng = r;
	return r;
}

/*
 * The calls a call site of the scalar path makes until its next timed one,
 * that one included, which stands for them all: 1 until the function has
 * had SLACKFUEL_TIME_ALL calls since the last flush, then 1 to 2 *
 * SLACKFUEL_TIME_EVERY - 1, uniformly at random (SLACKFUEL_TIME_EVERY on
 * average), as for slackfuel_stats_timed.
 */
static inline uint32
slackfuel_stats_gap(const slackfuel_fstats *st)
{
	if (st->c.calls < SLACKFUEL_TIME_ALL)
		return 1;
	return 1 + slackfuel_stats_random() % (2 * SLACKFUEL_TIME_EVERY - 1);
}
extern void slackfuel_stats_compiled(slackfuel_fstats *st, sf_module *m);

/*
 * The clock of call times: the time stamp counter when it runs at a
 * constant rate (a few ns to read), else CLOCK_MONOTONIC in ns.
 */
static inline uint64
slackfuel_clock(void)
{
#if defined(__x86_64__)
	if (likely(slackfuel_clock_tsc))
		return __rdtsc();
#endif
	return slackfuel_clock_ns();
}

/* usage.c */
extern uint64 slackfuel_session_fuel;	/* every call of the session */
extern void slackfuel_usage_init(void);

/*
 * 'fuel' more consumed by the call 'cx': the statement's and transaction's
 * too, unless the call is nested in another's SQL, whose fuel includes it.
 */
static inline void
slackfuel_usage_add(const slackfuel_cx *cx, uint64 fuel)
{
	if (likely(cx->nest == NULL))
		slackfuel_session_fuel += fuel;
}

/* Would 'max_stack' more bytes of stack stay within max_stack_depth? */
static inline bool
slackfuel_stack_ok(uint64 max_stack)
{
	char	   *here = __builtin_frame_address(0);

	return slackfuel_stack_base != NULL &&
		(uint64) (slackfuel_stack_base - here) + max_stack <=
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
 * Before wasm runs, once the stack was checked: the tick is armed, and an
 * interrupt left over from an earlier cancel is dropped unless it is still
 * pending in PostgreSQL, in which case PostgreSQL reports it now.
 */
static inline void
slackfuel_start_run(void)
{
	slackfuel_timer_start();
	sf_clear_interrupt();
	CHECK_FOR_INTERRUPTS();
}

/* Before wasm runs: the stack suffices, then slackfuel_start_run. */
static inline void
slackfuel_prepare_run(uint64 max_stack)
{
	if (unlikely(!slackfuel_stack_ok(max_stack)))
		slackfuel_stack_too_deep(max_stack);
	slackfuel_start_run();
}

#pragma GCC visibility pop

#endif							/* PLWASM_H */
