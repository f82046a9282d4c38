/*
** slackfuel.h -- the one public header of the slackfuel WebAssembly engine.
**
** The engine is a plain C11 library: it never includes a PostgreSQL header
** and never prints.  Every fallible call returns an sf_status and fills an
** sf_error whose message names what is wrong (function index, byte offset).
**
** Pipeline: bytes -> sf_module_load (decode + validate) -> sf_module_compile
** (x86-64) -> sf_instance_new (link + initialise + start) -> sf_call.
**
** Ownership: every runtime object (instance, host function, memory, table,
** global) belongs to one sf_store and lives until sf_store_free.  Modules are
** independent of stores and may be instantiated in many stores.
*/
#ifndef SLACKFUEL_H
#define SLACKFUEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
** Result codes: one table, read by sf_status_name and by the extension
** when it picks a SQLSTATE.
*/
#define SF_STATUS_LIST(X) \
	X(SF_OK,          "ok") \
	X(SF_MALFORMED,   "malformed module") \
	X(SF_INVALID,     "invalid module") \
	X(SF_LIMIT,       "implementation limit exceeded") \
	X(SF_NOMEM,       "out of memory") \
	X(SF_UNLINKABLE,  "unknown or incompatible import") \
	X(SF_TRAP,        "trap") \
	X(SF_BADARG,      "bad argument") \
	X(SF_NOTFOUND,    "not found") \
	X(SF_UNSUPPORTED, "unsupported")

typedef enum sf_status
{
#define SF_X_(id, msg) id,
	SF_STATUS_LIST(SF_X_)
#undef SF_X_
	SF_STATUS_COUNT
} sf_status;

const char *sf_status_name(sf_status s);

/*
** Trap kinds, with the spec test suite's messages.  SF_TRAP_OUT_OF_FUEL and
** SF_TRAP_INTERRUPTED come from the asynchronous check as well as from code.
** SF_TRAP_EXIT is not a failure of the program: a host function ended the
** call on its behalf (sf_ctx_exit; WASI's proc_exit), with an exit code.
*/
#define SF_TRAP_LIST(X) \
	X(SF_TRAP_NONE,              "no trap") \
	X(SF_TRAP_UNREACHABLE,       "unreachable") \
	X(SF_TRAP_DIV_BY_ZERO,       "integer divide by zero") \
	X(SF_TRAP_INT_OVERFLOW,      "integer overflow") \
	X(SF_TRAP_INVALID_CONV,      "invalid conversion to integer") \
	X(SF_TRAP_MEMORY_OOB,        "out of bounds memory access") \
	X(SF_TRAP_TABLE_OOB,         "out of bounds table access") \
	X(SF_TRAP_INDIRECT_MISMATCH, "indirect call type mismatch") \
	X(SF_TRAP_UNINIT_ELEMENT,    "uninitialized element") \
	X(SF_TRAP_UNDEFINED_ELEMENT, "undefined element") \
	X(SF_TRAP_STACK_EXHAUSTED,   "call stack exhausted") \
	X(SF_TRAP_OUT_OF_FUEL,       "out of fuel") \
	X(SF_TRAP_INTERRUPTED,       "interrupted") \
	X(SF_TRAP_HOST,              "host function failed") \
	X(SF_TRAP_EXIT,              "program exited")

typedef enum sf_trap_kind
{
#define SF_X_(id, msg) id,
	SF_TRAP_LIST(SF_X_)
#undef SF_X_
	SF_TRAP_COUNT
} sf_trap_kind;

const char *sf_trap_message(sf_trap_kind k);

#define SF_ERROR_MSG_LEN 256

typedef struct sf_module sf_module;

/*
** One wasm frame of a trap's call stack: the function (its module and
** index in the module's function index space) and the byte offset, from
** the start of the module's binary, of the instruction it was at: the
** trapping one in the innermost frame, a call in the others.
*/
typedef struct sf_frame
{
	const sf_module *module;	/* valid while the module is */
	uint32_t	func_index;
	uint32_t	offset;
} sf_frame;

/* Frames an sf_error keeps, innermost first; 'depth' counts them all. */
#define SF_BACKTRACE_MAX 16

/*
** What went wrong.  For traps, 'trap' is the kind and 'func_index' /
** 'offset' locate the trapping instruction when known (-1 otherwise):
** the function, and the byte offset in the module's binary.  'exit_code'
** is the code of an SF_TRAP_EXIT (0 otherwise).  A trap raised while wasm
** ran has its wasm call stack in 'frames' (up to SF_BACKTRACE_MAX of
** 'depth' frames, innermost first; a host function's failure starts at its
** wasm caller); none when the trap was found at the return to the host
** (out of fuel in slacked mode at a return, an interrupt that came
** between calls).
*/
typedef struct sf_error
{
	sf_status	status;
	sf_trap_kind trap;
	int64_t		func_index;
	int64_t		offset;
	int32_t		exit_code;
	uint32_t	nframes;
	uint32_t	depth;
	sf_frame	frames[SF_BACKTRACE_MAX];
	char		msg[SF_ERROR_MSG_LEN];
} sf_error;

/*
** The frames of 'err' as one line into buf (always NUL-terminated, cut at
** 'len'): "#0 func 3 \"name\" at 0x1a2, #1 func 0 at 0x40", names from the
** name section (control characters and quotes as '?'), ", ... N more" when
** 'depth' passes what is kept.  Returns the length of the whole line, as
** snprintf does (buf may be NULL when len is 0); 0 when there are no
** frames.
*/
size_t		sf_backtrace_format(const sf_error *err, char *buf, size_t len);

/* Value types use their binary encodings. */
typedef enum sf_valtype
{
	SF_I32 = 0x7f,
	SF_I64 = 0x7e,
	SF_F32 = 0x7d,
	SF_F64 = 0x7c,
	SF_V128 = 0x7b,				/* decoded only to be rejected */
	SF_FUNCREF = 0x70,
	SF_EXTERNREF = 0x6f
} sf_valtype;

const char *sf_valtype_name(sf_valtype t);

/*
** A value.  Floats are kept as raw bits so NaN payloads survive.  A funcref
** is an sf_func pointer (NULL = null); an externref is an opaque host value
** (SF_EXTERNREF_NULL = null).
*/
typedef struct sf_func sf_func;

#define SF_EXTERNREF_NULL ((uintptr_t) 0)

typedef struct sf_val
{
	sf_valtype	type;
	union
	{
		int32_t		i32;
		int64_t		i64;
		uint32_t	f32_bits;
		uint64_t	f64_bits;
		sf_func    *funcref;
		uintptr_t	externref;
	}			of;
} sf_val;

/* A function type: params then results, pointing into engine-owned storage. */
typedef struct sf_functype
{
	uint32_t	nparams;
	uint32_t	nresults;
	const sf_valtype *params;
	const sf_valtype *results;
} sf_functype;

typedef enum sf_extern_kind
{
	SF_EXTERN_FUNC = 0,
	SF_EXTERN_TABLE = 1,
	SF_EXTERN_MEMORY = 2,
	SF_EXTERN_GLOBAL = 3
} sf_extern_kind;

typedef struct sf_limits
{
	uint64_t	min;
	uint64_t	max;			/* valid only if has_max */
	int			has_max;
} sf_limits;

/* --- Configuration --------------------------------------------------- */

typedef enum sf_fuel_mode
{
	SF_FUEL_OFF = 0,
	SF_FUEL_PRECISE = 1,
	SF_FUEL_SLACKED = 2
} sf_fuel_mode;

/*
** Caps that keep hostile input from exhausting memory.  Zero fields take
** the defaults below (documented in docs/engine.md).
*/
typedef struct sf_config
{
	sf_fuel_mode fuel_mode;		/* fixed at compile time */
	int			bounds_checked; /* 1: explicit checks, no 8 GiB reservation */
	uint64_t	max_module_size;
	uint32_t	max_types;
	uint32_t	max_functions;
	uint32_t	max_imports;
	uint32_t	max_exports;
	uint32_t	max_globals;
	uint32_t	max_tables;
	uint32_t	max_table_size;		/* elements */
	uint32_t	max_data_segments;
	uint32_t	max_elem_segments;
	uint32_t	max_params;
	uint32_t	max_results;
	uint32_t	max_locals;			/* per function, params included */
	uint32_t	max_nesting;		/* control nesting depth */
	uint32_t	max_body_size;		/* bytes per function body */
	uint32_t	max_br_table;		/* targets per br_table */
	uint32_t	max_name_len;
	/*
	** Threads that compile a module's functions: 0 picks one for a small
	** module and up to 4 (no more than the CPUs) for a large one; n > 1
	** uses up to n, one per part of the functions.  The code is the same.
	*/
	uint32_t	compile_threads;
	/*
	** 1: the code uses SSE forms only, even on a CPU with AVX (whose
	** three-operand float forms it uses otherwise); for testing both.
	*/
	int			jit_no_avx;
} sf_config;

#define SF_DEFAULT_MAX_MODULE_SIZE	(64u << 20)
#define SF_DEFAULT_MAX_TYPES		100000u
#define SF_DEFAULT_MAX_FUNCTIONS	1000000u
#define SF_DEFAULT_MAX_IMPORTS		100000u
#define SF_DEFAULT_MAX_EXPORTS		100000u
#define SF_DEFAULT_MAX_GLOBALS		1000000u
#define SF_DEFAULT_MAX_TABLES		100u
#define SF_DEFAULT_MAX_TABLE_SIZE	1000000u
#define SF_DEFAULT_MAX_DATA_SEGMENTS	100000u
#define SF_DEFAULT_MAX_ELEM_SEGMENTS	100000u
#define SF_DEFAULT_MAX_PARAMS		1000u
#define SF_DEFAULT_MAX_RESULTS		1000u
#define SF_DEFAULT_MAX_LOCALS		50000u
#define SF_DEFAULT_MAX_NESTING		1024u
#define SF_DEFAULT_MAX_BODY_SIZE	(7654321u)
#define SF_DEFAULT_MAX_BR_TABLE		65520u
#define SF_DEFAULT_MAX_NAME_LEN		100000u

void		sf_config_default(sf_config *cfg);

/* --- Modules (sf_module is declared with sf_frame above) -------------- */

/*
** Decode and fully validate 'len' bytes.  On failure returns NULL with
** err->status SF_MALFORMED, SF_INVALID, SF_LIMIT or SF_NOMEM.  'cfg' may be
** NULL for the defaults; it is copied.
*/
sf_module  *sf_module_load(const uint8_t *bytes, size_t len,
						   const sf_config *cfg, sf_error *err);

/* Compile every function to x86-64 (idempotent).  sf_instance_new calls it. */
sf_status	sf_module_compile(sf_module *m, sf_error *err);

void		sf_module_free(sf_module *m);

/* Introspection. */
typedef struct sf_import_desc
{
	const char *module;
	uint32_t	module_len;
	const char *name;
	uint32_t	name_len;
	sf_extern_kind kind;
	sf_functype functype;		/* kind == FUNC */
	sf_valtype	valtype;		/* kind == GLOBAL: value type; TABLE: elem type */
	int			mutable_;		/* kind == GLOBAL */
	sf_limits	limits;			/* kind == TABLE or MEMORY */
} sf_import_desc;

typedef struct sf_export_desc
{
	const char *name;
	uint32_t	name_len;
	sf_extern_kind kind;
	uint32_t	index;			/* in the module's index space of that kind */
	sf_functype functype;		/* kind == FUNC */
	sf_valtype	valtype;
	int			mutable_;
	sf_limits	limits;
} sf_export_desc;

uint32_t	sf_module_num_imports(const sf_module *m);
void		sf_module_import(const sf_module *m, uint32_t i, sf_import_desc *out);
uint32_t	sf_module_num_exports(const sf_module *m);
void		sf_module_export(const sf_module *m, uint32_t i, sf_export_desc *out);
/* Index of the export called 'name', or -1. */
int64_t		sf_module_find_export(const sf_module *m, const char *name, size_t name_len);
/* Name of function 'func_index' from the name section, or NULL. */
const char *sf_module_func_name(const sf_module *m, uint32_t func_index);

/*
** Where a compiled module's defined functions are in memory, for profilers
** and debuggers: range i (0 <= i < sf_module_num_code_ranges) is the code
** of function nfunc_imports + i.  There are none before sf_module_compile.
** The code stays at that place until sf_module_free.
*/
typedef struct sf_code_range
{
	uint32_t	func_index;		/* in the module's function index space */
	const void *start;
	size_t		size;			/* bytes */
	const char *name;			/* from the name section, or NULL */
} sf_code_range;

uint32_t	sf_module_num_code_ranges(const sf_module *m);
void		sf_module_code_range(const sf_module *m, uint32_t i, sf_code_range *out);

/*
** Append one line per defined function of compiled module 'm' to this
** process's perf map, /tmp/perf-<pid>.map, the file perf reads to name JIT
** code: "START SIZE wasm:LABEL:INDEX[:NAME]", START and SIZE in hex, NAME
** from the name section when present ('label' says which module; control
** characters in it become '?').  The first write of a process empties a
** file left by an earlier process of the same pid.  The file must be a
** regular file owned by this user: a symbolic link or another user's file
** is refused (SF_BADARG), so nothing else is ever written to.
*/
sf_status	sf_perfmap_write(const sf_module *m, const char *label, sf_error *err);

/* Statistics of the last compile. */
typedef struct sf_compile_stats
{
	uint64_t	code_bytes;
	uint64_t	code_held_bytes;	/* memory the code holds: whole pages (with
									 * those faulted in past the code of a block
									 * sealed whole), or whole huge pages for a
									 * block in huge pages */
	uint64_t	wasm_code_bytes;
	uint64_t	map_bytes;		/* code maps, for backtraces */
	double		compile_seconds;
	uint64_t	fuel_points;	/* 'add r15, n' charges in the code (0 when off) */
	uint32_t	loops_unrolled; /* slacked mode: loops whose header charges several
								 * iterations at once (docs/fuel.md) */
	uint32_t	loops_peeled;	/* loops whose first iteration the code before
								 * pays (docs/fuel.md) */
	uint32_t	compile_threads;	/* threads that compiled it */
} sf_compile_stats;

void		sf_module_compile_stats(const sf_module *m, sf_compile_stats *out);

/*
** WebAssembly text -> binary.  On success *out is malloc'd (caller frees)
** and SF_OK returned; on error SF_MALFORMED with "line:col: what was
** expected" in err->msg and err->offset the byte offset in 'text'.
*/
sf_status	sf_wat_to_wasm(const char *text, size_t len,
						   uint8_t **out, size_t *out_len, sf_error *err);

/* --- Stores, instances, calls ------------------------------------------ */

typedef struct sf_store sf_store;
typedef struct sf_instance sf_instance;
typedef struct sf_table sf_table;
typedef struct sf_memory sf_memory;
typedef struct sf_global sf_global;

/*
** A cap on bytes that several stores share: a process's (a database
** backend's) total over all its instances.  The memories and tables of
** every store created with it count against it (a table element counts
** SF_FUEL_ELEM_BYTES); a host may charge its own use too (compiled code).
** Not thread-safe: the stores that share one are used by one thread at a
** time.  Free it after the last of them.
*/
typedef struct sf_budget sf_budget;

sf_budget  *sf_budget_new(uint64_t limit_bytes, sf_error *err);
void		sf_budget_free(sf_budget *b);
void		sf_budget_set_limit(sf_budget *b, uint64_t limit_bytes);
uint64_t	sf_budget_limit(const sf_budget *b);
uint64_t	sf_budget_used(const sf_budget *b);
/* Take 'bytes' if they fit under the limit (returns 1), else nothing (0). */
int			sf_budget_take(sf_budget *b, uint64_t bytes);
void		sf_budget_give(sf_budget *b, uint64_t bytes);

/*
** The host's way to make room: called when 'bytes' more would not fit
** (a memory or table grows, an instance is created, sf_budget_take), with
** how many bytes are missing, or when address space for a memory is short.
** It frees what it can -- stores no running call uses, never the one
** asking -- and returns how many bytes it gave back (0: nothing more).  It
** may run inside a wasm call (memory.grow): it must not raise an error or
** longjmp.  The engine calls it again while it frees something and the
** bytes still do not fit.
*/
typedef uint64_t (*sf_reclaim_fn) (void *env, uint64_t bytes);

void		sf_budget_set_reclaim(sf_budget *b, sf_reclaim_fn fn, void *env);
/* How many takes the budget refused, reclaiming notwithstanding. */
uint64_t	sf_budget_refusals(const sf_budget *b);

typedef struct sf_store_config
{
	uint64_t	max_memory_bytes;	/* cap on each linear memory; 0 = 4 GiB */
	uint64_t	max_stack_bytes;	/* wasm stack depth allowed; 0 = 1 MiB */
	uint32_t	max_table_elems;	/* cap on each table's size; 0 = 1,000,000 */

	/*
	** Fuel for the start functions sf_instance_new runs.  A zeroed config
	** leaves them unmetered; set 'meter_start' to apply 'start_fuel_limit'
	** (ignored by modules compiled with fuel off).
	*/
	int			meter_start;
	uint64_t	start_fuel_limit;

	/*
	** Caps on what the store's memories and tables hold together, a table
	** element counting SF_FUEL_ELEM_BYTES: 'max_table_bytes' its tables
	** (0 = 16 MiB), 'max_store_bytes' its memories and tables (0 = no cap
	** but the others), 'budget' a cap it shares with other stores (NULL:
	** none).  Past one, memory.grow and table.grow return -1, and creating
	** a memory or a table fails with SF_LIMIT naming the cap.
	*/
	uint64_t	max_table_bytes;
	uint64_t	max_store_bytes;
	sf_budget  *budget;
} sf_store_config;

/* Bytes the store's memories and tables hold (as counted by the caps). */
uint64_t	sf_store_bytes(const sf_store *s);
/* Non-zero while a call of one of the store's functions runs. */
int			sf_store_busy(const sf_store *s);

sf_store   *sf_store_new(const sf_store_config *cfg, sf_error *err);
void		sf_store_free(sf_store *s);

typedef struct sf_extern
{
	sf_extern_kind kind;
	union
	{
		sf_func    *func;
		sf_table   *table;
		sf_memory  *memory;
		sf_global  *global;
	}			of;
} sf_extern;

/*
** A host function.  It receives 'nparams' args and writes 'nresults'
** results.  Returning non-zero traps with SF_TRAP_HOST (after the callback
** may have called sf_ctx_set_error to give a message).  'ctx' is valid only
** during the call; through it the host reads memory and fuel.
*/
typedef struct sf_ctx sf_ctx;
typedef int (*sf_host_fn) (sf_ctx *ctx, void *env,
						   const sf_val *args, sf_val *results);

sf_func    *sf_func_new_host(sf_store *s, const sf_functype *type,
							 sf_host_fn fn, void *env, sf_error *err);
void		sf_func_type(const sf_func *f, sf_functype *out);

/* Standalone objects (for hosts that provide imports, e.g. "spectest"). */
sf_memory  *sf_memory_new(sf_store *s, sf_limits lim, sf_error *err);
sf_table   *sf_table_new(sf_store *s, sf_valtype elem, sf_limits lim,
						 sf_error *err);
sf_global  *sf_global_new(sf_store *s, sf_val init, int mutable_,
						  sf_error *err);

uint8_t    *sf_memory_data(sf_memory *mem);
uint64_t	sf_memory_size(const sf_memory *mem);	/* bytes */
/*
** Where the memory keeps its size in bytes: valid while the memory exists,
** for a host that reads the size after every call of a hot path.
*/
const uint64_t *sf_memory_size_ref(const sf_memory *mem);
sf_val		sf_global_get(const sf_global *g);
/* Set a global's value (the host may set even immutable ones it created). */
void		sf_global_set(sf_global *g, sf_val v);
/* memory.grow from the host: old size in pages, or -1. */
int64_t		sf_memory_grow(sf_memory *mem, uint64_t delta_pages);

/*
** Link, initialise (elements, data), run the start function and then, if
** the module exports "_initialize" (a WASI reactor's static constructors),
** that, once, before anything else can call the instance; it must have
** type [] -> [] (SF_INVALID otherwise).  Both are calls like any other:
** interruptible, and metered as the store's config says, by one limit for
** the two; sf_last_fuel_consumed gives what they consumed together.
** 'imports' are in the module's import order.  A trap during
** initialisation returns NULL with err->status SF_TRAP; a link failure
** SF_UNLINKABLE.
*/
sf_instance *sf_instance_new(sf_store *s, sf_module *m,
							 const sf_extern *imports, uint32_t nimports,
							 sf_error *err);

sf_status	sf_instance_export(sf_instance *inst, const char *name,
							   size_t name_len, sf_extern *out);
/* The instance's default memory (index 0), or NULL. */
sf_memory  *sf_instance_memory(sf_instance *inst);

/*
** Whether the instance runs bounds-checked code: its module was compiled
** so, or, compiled for guard pages, a memory of the instance could not
** reserve its 8 GiB of address space (a low ulimit -v, or very many
** memories); the module was then compiled again with bounds checks (once,
** kept with the module) instead of failing.
*/
int			sf_instance_bounds_checked(const sf_instance *inst);

/* Per-call options, and what the call reports back. */
typedef struct sf_call_opts
{
	uint64_t	fuel_limit;		/* ignored when the module was compiled off;
								 * UINT64_MAX: no limit, as with no options */
	uint64_t	fuel_consumed;	/* out: fuel the call consumed, whatever its
								 * outcome (0 with fuel off, for a host
								 * function, or when it did not start) */
} sf_call_opts;

/*
** Call 'f'.  args/results must match its type.  'opts' may be NULL (no
** fuel limit, nothing reported).  On a trap returns SF_TRAP with err->trap
** set; the instance stays usable for further calls but callers that care
** about consistency discard it.
*/
sf_status	sf_call(sf_func *f, const sf_val *args, uint32_t nargs,
					sf_val *results, uint32_t nresults,
					sf_call_opts *opts, sf_error *err);

/*
** The fast form of sf_call for hosts that checked the function's type
** once (sf_func_type) and call it many times: the arguments are passed as
** raw 64-bit slots (i32 and f32 bits zero-extended, i64 and f64 bits as
** they are, references as pointers) and the results come back in the same
** array, which must hold max(nargs, nresults) slots.  nargs and nresults
** are still checked against the type (SF_BADARG) and i32/f32 slots are
** zero-extended here, so a slot's bits can never break an invariant of
** the JIT code; reference slots must hold references the engine gave out,
** as with sf_call.  'err' is written only when the call fails.
*/
sf_status	sf_call_slots(sf_func *f, uint64_t *slots, uint32_t nargs,
						  uint32_t nresults, sf_call_opts *opts,
						  sf_error *err);

/*
** Non-zero when sf_call_slots_checked may call 'f' with 'nargs' arguments and
** 'nresults' results: a function of JIT code (not a host function) of
** exactly that many parameters (at most 64) and results.  A host checks
** this once and keeps the answer as long as it keeps 'f'.
*/
int			sf_call_slots_ok(const sf_func *f, uint32_t nargs, uint32_t nresults);

/*
** sf_call_slots without its checks of the counts, for a function that
** sf_call_slots_ok accepted with the counts the caller passes its slots
** for (calling any other is undefined).  i32/f32 slots are zero-extended
** here as by sf_call_slots; 'opts' must not be NULL.
*/
sf_status	sf_call_slots_checked(sf_func *f, uint64_t *slots,
								  sf_call_opts *opts, sf_error *err);

/*
** A prepared call: for a host that calls one JIT function many times from
** one place (a call site of a query), the activation of its calls made
** once, in memory of sf_prepared_size() bytes (8-byte aligned) that the
** host owns and keeps no longer than 'f'.  sf_prepare fills it and
** returns non-zero when 'f' is a function sf_call_slots_ok accepts with
** 'nargs' and 'nresults' and has at most SF_PREPARED_MAX_SLOTS slots;
** else 0, and the memory must not be called.  The arguments go into
** sf_prepared_slots(p) (as for sf_call_slots: i32/f32 bits are
** zero-extended by the call) and the results come back there.
** sf_prepared_call runs one call with 'fuel_limit' (capped as sf_call
** caps it) and writes what it consumed to '*fuel_consumed'
** (sf_last_fuel_consumed is left as it was).  When it returns SF_TRAP,
** sf_prepared_error describes the trap as sf_call would have (until the
** next trap of the same prepared call).  Calls of one prepared call must
** not nest (a host function of 'f' calling it again is undefined);
** different ones may.
*/
#define SF_PREPARED_MAX_SLOTS 16
typedef struct sf_prepared sf_prepared;
size_t		sf_prepared_size(void);
int			sf_prepare(void *mem, sf_func *f, uint32_t nargs, uint32_t nresults);
uint64_t   *sf_prepared_slots(sf_prepared *p);
sf_status	sf_prepared_call(sf_prepared *p, uint64_t fuel_limit,
							 uint64_t *fuel_consumed);
void		sf_prepared_error(const sf_prepared *p, sf_error *err);

/*
** sf_prepared_call in two halves, for a host that calls through a pointer
** it keeps: the function sf_prepared_entry(p) returns makes the call as
** sf_prepared_call(p, ...) would, and returns r 0 with the fuel consumed
** where that returns SF_OK; any other r becomes sf_prepared_call's status
** and fuel consumed by sf_prepared_end, which must be called at once
** (before any other call of the thread's), after which
** sf_prepared_error describes a trap.  The function stays valid while
** 'p' is.
*/
typedef struct sf_prepared_ret
{
	uint64_t	r;
	uint64_t	consumed;
} sf_prepared_ret;
typedef sf_prepared_ret (*sf_prepared_entry_fn) (sf_prepared *p, uint64_t fuel_limit);
sf_prepared_entry_fn sf_prepared_entry(const sf_prepared *p);
sf_status	sf_prepared_end(sf_prepared_ret ret, uint64_t *fuel_consumed);

/*
** The fuel_consumed of the last sf_call or sf_call_slots of this thread,
** for callers that pass no options.
*/
uint64_t	sf_last_fuel_consumed(void);

/* --- Fuel for bulk work ---------------------------------------------- */

/*
** Bulk work costs fuel by its size, on top of the operator's own cost (the
** opcode table's), so that fuel bounds the CPU time of a call whatever it
** does: one unit per SF_FUEL_BYTES_PER_UNIT bytes read or written
** (memory.copy and memory.init read n and write n; memory.fill's n writes
** count twice, as a fill of memory costs about what a copy does; a table
** element counts as SF_FUEL_ELEM_BYTES), charged before any byte is
** touched; and
** SF_FUEL_PER_PAGE for each 64 KiB page memory.grow makes usable, which
** the system zero-fills when it is first touched.  A host charges its own
** copies into and out of linear memory with the same formula
** (sf_ctx_charge_fuel).  docs/fuel.md has the measurements behind the
** numbers.
*/
#define SF_FUEL_BYTES_PER_UNIT	6u
#define SF_FUEL_ELEM_BYTES		8u
#define SF_FUEL_PER_PAGE		((uint64_t) 1 << 20)

/*
** What entering a host function from wasm costs on top of the call
** operator, charged before the host function runs (whatever it charges
** itself comes on top).
*/
#define SF_FUEL_HOST_CALL		128u

/* Fuel for reading or writing 'bytes' bytes (reads and writes add up). */
static inline uint64_t
sf_fuel_for_bytes(uint64_t bytes)
{
	return bytes / SF_FUEL_BYTES_PER_UNIT;
}

/* --- Host-function context ------------------------------------------- */

sf_memory  *sf_ctx_memory(sf_ctx *ctx);
/*
** The instance of the wasm function that called the host function (NULL
** when none did), also while its start function or "_initialize" runs,
** before sf_instance_new has returned it: its exports can be called then.
*/
sf_instance *sf_ctx_instance(sf_ctx *ctx);
uint64_t	sf_ctx_fuel_remaining(sf_ctx *ctx);
/* Charge 'units' of fuel; returns non-zero if that exhausts the limit. */
int			sf_ctx_charge_fuel(sf_ctx *ctx, uint64_t units);
void		sf_ctx_set_error(sf_ctx *ctx, const char *msg);

/*
** End the whole call, not just this host function: once the host function
** returns non-zero, the wasm frames of the running activation unwind
** through the trap path and sf_call returns SF_TRAP with err->trap
** SF_TRAP_EXIT and err->exit_code 'code'.  Out of fuel and interrupts
** still win, as over any trap.  A call nested inside a host function ends
** only itself: the host function that made it sees the exit as its result.
*/
void		sf_ctx_exit(sf_ctx *ctx, int32_t code);

/* --- WASI preview 1 ---------------------------------------------------- */

/*
** The part of WASI preview 1 ("wasi_snapshot_preview1") that wasi-libc and
** Rust's std use, with no ambient authority: a process with stdin (always
** empty), stdout and stderr (line-buffered, handed to the host line by
** line), no other open file, no preopened directory, no arguments and no
** environment.  Every other filesystem and socket call fails with EBADF
** (the descriptor is not open) or ENOTCAPABLE (it is stdin, stdout or
** stderr, which lack the right).  The clock and randomness come from the
** host, which may withhold them (the calls then return ENOTCAPABLE);
** poll_oneoff (sleeping) is refused with ENOTCAPABLE; sched_yield does
** nothing; proc_exit ends the call (sf_ctx_exit).  docs/host.md lists
** every function.
**
** Every pointer and length a call reads or writes through is checked
** against the caller's linear memory: an argument that reaches outside it
** traps (SF_TRAP_HOST, naming the function and the argument) and the call
** has no effect.  Each call charges 1 unit of fuel, plus the bytes it
** reads or writes in linear memory as the bulk operators do
** (sf_fuel_for_bytes), before it has any effect (an iovec array is charged
** before it is read); large transfers stop between 64 KiB chunks when an
** interrupt is requested.
**
** Host callbacks return 0 on success, a positive WASI errno to hand to the
** guest (SF_WASI_E*), or a negative value when the host itself failed: the
** WASI call then traps with SF_TRAP_HOST and the host keeps its own
** account of why.
*/
#define SF_WASI_MODULE "wasi_snapshot_preview1"

#define SF_WASI_EBADF        8
#define SF_WASI_EINVAL       28
#define SF_WASI_EIO          29
#define SF_WASI_ENOTCAPABLE  76

/* Clock ids of clock_time_get. */
#define SF_WASI_CLOCK_REALTIME 0
#define SF_WASI_CLOCK_MONOTONIC 1
#define SF_WASI_CLOCK_PROCESS_CPUTIME 2
#define SF_WASI_CLOCK_THREAD_CPUTIME 3

#define SF_WASI_DEFAULT_MAX_LINE 4096

typedef struct sf_wasi_host
{
	void	   *env;			/* passed to every callback */

	/*
	** One line of output on fd 1 or 2, without its '\n'.  'eol' is 1 when
	** the guest ended it with '\n', 0 when it was cut at max_line bytes
	** (at a UTF-8 character boundary when there is one in its last 3
	** bytes) or flushed incomplete.  NULL: output is discarded (writes
	** still succeed).
	*/
	int			(*output) (void *env, int fd, const char *data, size_t len, int eol);

	/*
	** Clock 'id' (SF_WASI_CLOCK_*): its time in nanoseconds into *time_ns
	** (clock_time_get), or its resolution into *resolution_ns
	** (clock_res_get); the other pointer is NULL.  NULL: the clock calls
	** return ENOTCAPABLE.
	*/
	int			(*clock) (void *env, uint32_t id, uint64_t *time_ns,
						  uint64_t *resolution_ns);

	/* Fill 'buf' with 'len' random bytes.  NULL: random_get returns ENOTCAPABLE. */
	int			(*random) (void *env, void *buf, size_t len);

	/* Bytes of a line buffered per stream before it is cut; 0: the default. */
	uint32_t	max_line;
} sf_wasi_host;

typedef struct sf_wasi sf_wasi;

/*
** A WASI context: the state of one guest process (its line buffers, which
** of its descriptors it closed).  Its host functions live in 's'; free
** the context after the store's last call.
*/
sf_wasi    *sf_wasi_new(sf_store *s, const sf_wasi_host *host, sf_error *err);
void		sf_wasi_free(sf_wasi *w);

/*
** Whether 'imp' names a function of the subset with its type: SF_OK, or
** SF_UNLINKABLE with a message naming the import (and the type it must
** have).  Needs no context: hosts check modules with it before they
** instantiate them.
*/
sf_status	sf_wasi_check_import(const sf_import_desc *imp, sf_error *err);

/* The function for import 'imp', created in the context's store on first use. */
sf_status	sf_wasi_import(sf_wasi *w, const sf_import_desc *imp, sf_extern *out,
						   sf_error *err);

/*
** Hand the incomplete last line of stdout and stderr to the host (eol 0).
** Hosts call it when a call ends; proc_exit does it itself.  Returns the
** first negative callback result, else 0.
*/
int			sf_wasi_flush(sf_wasi *w);

/* --- Asynchronous check, interrupts, watchdog --------------------------- */

/*
** Async-signal-safe.  'ucontext' is the third argument of an SA_SIGINFO
** handler.  If the interrupted PC lies in JIT code of the running
** activation of this thread and fuel is exhausted or an interrupt is
** pending, rewrite the PC to the trap stub and return 1; else return 0.
** Exhausted here means a few thousand units past the limit (docs/fuel.md,
** unrolled loops); the return to the host decides on the exact count.
*/
int			sf_async_check(void *ucontext);

/* Async-signal-safe: make the running (or next) call of this thread stop. */
void		sf_request_interrupt(void);
void		sf_clear_interrupt(void);

/* A periodic timer signal that runs sf_async_check for this thread. */
sf_status	sf_watchdog_start(uint32_t interval_ms, sf_error *err);
void		sf_watchdog_stop(void);

/* The CPU features the JIT needs; SF_UNSUPPORTED with a message if absent. */
sf_status	sf_cpu_check(sf_error *err);

/* --- WIT types and the canonical ABI ----------------------------------- */

/*
** The Component Model's value types, as WIT describes them, and their
** canonical ABI layout for a 32-bit memory: size and alignment in memory,
** and flattening into core values.  A component's type section decodes to
** these, the extension derives them from SQL signatures, and both print
** them as WIT text.
**
** Types are built in an arena and live until it is freed; primitives are
** static (sf_wit_prim) and need none.  A constructor that fails records
** the arena's first error and returns NULL; given a NULL type where one is
** required it returns NULL too, so a whole tree can be built and checked
** once with sf_wit_arena_status.  Names are WIT identifiers (kebab-case
** labels, without the '%' that the text form puts before keywords).
*/
#define SF_WIT_KIND_LIST(X) \
	X(SF_WIT_BOOL,    "bool") \
	X(SF_WIT_S8,      "s8") \
	X(SF_WIT_U8,      "u8") \
	X(SF_WIT_S16,     "s16") \
	X(SF_WIT_U16,     "u16") \
	X(SF_WIT_S32,     "s32") \
	X(SF_WIT_U32,     "u32") \
	X(SF_WIT_S64,     "s64") \
	X(SF_WIT_U64,     "u64") \
	X(SF_WIT_F32,     "f32") \
	X(SF_WIT_F64,     "f64") \
	X(SF_WIT_CHAR,    "char") \
	X(SF_WIT_STRING,  "string") \
	X(SF_WIT_LIST,    "list") \
	X(SF_WIT_OPTION,  "option") \
	X(SF_WIT_RESULT,  "result") \
	X(SF_WIT_RECORD,  "record") \
	X(SF_WIT_TUPLE,   "tuple") \
	X(SF_WIT_VARIANT, "variant") \
	X(SF_WIT_ENUM,    "enum") \
	X(SF_WIT_FLAGS,   "flags")

typedef enum sf_wit_kind
{
#define SF_X_(id, name) id,
	SF_WIT_KIND_LIST(SF_X_)
#undef SF_X_
	SF_WIT_KIND_COUNT
} sf_wit_kind;

/* The canonical ABI's limits on a synchronous function's flat values. */
#define SF_WIT_MAX_FLAT_PARAMS	16
#define SF_WIT_MAX_FLAT_RESULTS	1
/* A type's size must stay below this (component validation's bound). */
#define SF_WIT_MAX_SIZE			(1u << 28)

typedef struct sf_wit_type sf_wit_type;

/*
** A member of a compound type: a record field, a tuple member (no name), a
** variant case (type NULL when it has no payload), an enum or flags label
** (no type), or a function parameter.
*/
typedef struct sf_wit_field
{
	const char *name;
	const sf_wit_type *type;
	uint32_t	offset;			/* record, tuple: its offset in memory */
} sf_wit_field;

/*
** Option, result and enum are variants to the canonical ABI: option's cases
** are none and some(elem), result's ok(elem) and error(err), an enum's
** have no payload.  Every variant-like type has 'ncases' cases, a
** discriminant of 'disc_size' bytes, and its payload at 'payload_offset'.
*/
struct sf_wit_type
{
	sf_wit_kind kind;
	const char *name;			/* record, variant, enum, flags: its name */
	const sf_wit_type *elem;	/* list, option; result: ok (NULL: none) */
	const sf_wit_type *err;		/* result: error (NULL: none) */
	uint32_t	nfields;		/* record, tuple, variant, enum, flags */
	const sf_wit_field *fields;
	/* The canonical ABI, 32-bit memory: */
	uint32_t	size;			/* bytes in memory (elem_size) */
	uint32_t	align;
	uint32_t	ncases;			/* variant-like types */
	uint32_t	disc_size;
	uint32_t	payload_offset;
	uint32_t	nflat;			/* flattened core values */
	const sf_valtype *flat;
	uint32_t	depth;			/* nesting: 0 for a primitive */
};

/* A function type and the core type 'canon lift' gives its export. */
typedef struct sf_wit_func
{
	uint32_t	nparams;
	const sf_wit_field *params; /* name and type of each */
	const sf_wit_type *result;	/* NULL: none */
	const sf_wit_type *params_tuple;	/* tuple of the parameter types */
	uint32_t	nflat_params;	/* before the limits */
	uint32_t	nflat_results;
	int			params_in_memory;	/* > 16: one i32 pointer to params_tuple */
	int			result_in_memory;	/* > 1: an i32 pointer to the result */
	sf_functype core;
} sf_wit_func;

typedef struct sf_wit_arena sf_wit_arena;

sf_wit_arena *sf_wit_arena_new(void);	/* NULL when out of memory */
void		sf_wit_arena_free(sf_wit_arena *a);
/* SF_OK, or the first error of a constructor in 'a' (err may be NULL). */
sf_status	sf_wit_arena_status(const sf_wit_arena *a, sf_error *err);

const char *sf_wit_kind_name(sf_wit_kind k);
/* A primitive type (bool .. string); NULL for any other kind. */
const sf_wit_type *sf_wit_prim(sf_wit_kind k);
const sf_wit_type *sf_wit_list(sf_wit_arena *a, const sf_wit_type *elem);
const sf_wit_type *sf_wit_option(sf_wit_arena *a, const sf_wit_type *elem);
/* 'ok' and 'err' may be NULL: result<_, e>, result<t>, result. */
const sf_wit_type *sf_wit_result(sf_wit_arena *a, const sf_wit_type *ok,
								 const sf_wit_type *err);
const sf_wit_type *sf_wit_record(sf_wit_arena *a, const char *name, uint32_t n,
								 const char *const *names,
								 const sf_wit_type *const *types);
const sf_wit_type *sf_wit_tuple(sf_wit_arena *a, uint32_t n,
								const sf_wit_type *const *types);
/* 'types' may be NULL (no case has a payload), or have NULL entries. */
const sf_wit_type *sf_wit_variant(sf_wit_arena *a, const char *name, uint32_t n,
								  const char *const *names,
								  const sf_wit_type *const *types);
const sf_wit_type *sf_wit_enum(sf_wit_arena *a, const char *name, uint32_t n,
							   const char *const *labels);
const sf_wit_type *sf_wit_flags(sf_wit_arena *a, const char *name, uint32_t n,
								const char *const *labels);
const sf_wit_func *sf_wit_func_new(sf_wit_arena *a, uint32_t nparams,
								   const char *const *names,
								   const sf_wit_type *const *types,
								   const sf_wit_type *result);

/* The payload type of case 'i' of a variant-like type (NULL: none). */
const sf_wit_type *sf_wit_case_type(const sf_wit_type *t, uint32_t i);
/* Is 'name' a WIT identifier (a kebab-case label)? */
int			sf_wit_name_ok(const char *name);

/*
** WIT text, snprintf-like: each writes at most cap - 1 characters and a
** NUL, and returns the length the whole text needs.
**   sf_wit_print_type     a type where it is used: "list<option<s32>>",
**                         a named type by its name
**   sf_wit_print_typedef  a named type's definition, "record point {...}",
**                         each line after 'indent'
**   sf_wit_print_func     "name: func(a: s32) -> string;"
**   sf_wit_print_world    "world name { ... }": the definitions of the
**                         named types the functions use, each once (by
**                         name), those used by others first, then each
**                         function as "export name: func(...);"
*/
size_t		sf_wit_print_type(const sf_wit_type *t, char *buf, size_t cap);
size_t		sf_wit_print_typedef(const sf_wit_type *t, const char *indent,
								 char *buf, size_t cap);
size_t		sf_wit_print_func(const char *name, const sf_wit_func *f,
							  char *buf, size_t cap);
size_t		sf_wit_print_world(const char *world, uint32_t n,
							   const char *const *names,
							   const sf_wit_func *const *funcs,
							   char *buf, size_t cap);

/* --- Components ------------------------------------------------------- */

/*
** A WebAssembly component of the kind `wasm-tools component new` (or `jco
** new`) makes from one core module and a WIT world exporting functions:
** the core module, instantiated once, and `canon lift` of its exports.
** sf_component_decode gives, for each exported function, its WIT type,
** the core export it lifts and the core exports its canonical options name
** (memory, realloc, post-return; NULL when absent).  It fails with
** SF_MALFORMED, SF_LIMIT or SF_NOMEM on bad input, and SF_UNSUPPORTED
** naming the first construct outside that kind (nested components,
** instances, canon lower, resources, async, non-UTF-8 strings).  A component
** that imports anything decodes whatever else it holds, with no exports,
** so that a caller providing no imports can name them.  The core module's
** bytes are a view into the input, which must outlive the component.
*/
typedef struct sf_component sf_component;

typedef struct sf_component_export
{
	const char *name;			/* the component's export */
	const char *core_name;		/* the core export it lifts */
	const sf_wit_func *type;
	const char *memory;			/* core export names of its options */
	const char *realloc;
	const char *post_return;
} sf_component_export;

/* Do these bytes start with a component's preamble (not a core module's)? */
int			sf_is_component(const uint8_t *bytes, size_t len);
sf_component *sf_component_decode(const uint8_t *bytes, size_t len, sf_error *err);
void		sf_component_free(sf_component *c);
void		sf_component_core(const sf_component *c, const uint8_t **bytes, size_t *len);
uint32_t	sf_component_num_imports(const sf_component *c);
const char *sf_component_import(const sf_component *c, uint32_t i);
uint32_t	sf_component_num_exports(const sf_component *c);
const sf_component_export *sf_component_export_at(const sf_component *c, uint32_t i);
const sf_component_export *sf_component_find_export(const sf_component *c,
													const char *name, size_t len);

#ifdef __cplusplus
}
#endif

#endif							/* SLACKFUEL_H */
