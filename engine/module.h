/*
** module.h -- the decoded, validated form of a module (engine-internal).
**
** The decoder fills it, the validator checks it (and records per-function
** facts the compiler wants), the compiler reads it and hangs its code off
** 'jit'.  All strings point into the module's own copy of the binary
** ('bytes') and are NOT NUL-terminated, except names from the name section.
**
** Index spaces put imports first: function i < nfunc_imports is imported,
** and so on for tables, memories and globals.
*/
#ifndef SF_MODULE_H
#define SF_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "slackfuel.h"

typedef struct sf_tabletype
{
	sf_valtype	elem;			/* SF_FUNCREF or SF_EXTERNREF */
	sf_limits	lim;
} sf_tabletype;

typedef struct sf_globaltype
{
	sf_valtype	type;
	bool		mutable_;
} sf_globaltype;

/*
** A constant expression.  WebAssembly 2.0 allows exactly one instruction
** before 'end': a *.const, global.get, ref.null or ref.func.
*/
typedef struct sf_constexpr
{
	uint16_t	op;				/* SF_OP_I32_CONST ... SF_OP_REF_FUNC */
	sf_valtype	type;			/* the value type it produces */
	union
	{
		int32_t		i32;
		int64_t		i64;
		uint32_t	f32_bits;
		uint64_t	f64_bits;
		uint32_t	index;		/* global.get / ref.func */
	}			v;
} sf_constexpr;

typedef struct sf_name
{
	const char *ptr;			/* into sf_module.bytes */
	uint32_t	len;
} sf_name;

typedef struct sf_import
{
	sf_name		module;
	sf_name		name;
	sf_extern_kind kind;
	union
	{
		uint32_t	type_index;	/* FUNC */
		sf_tabletype table;
		sf_limits	memory;
		sf_globaltype global;
	}			desc;
} sf_import;

typedef struct sf_export
{
	sf_name		name;
	sf_extern_kind kind;
	uint32_t	index;
} sf_export;

typedef enum sf_segmode
{
	SF_SEG_ACTIVE,
	SF_SEG_PASSIVE,
	SF_SEG_DECLARATIVE
} sf_segmode;

typedef struct sf_elem
{
	sf_segmode	mode;
	sf_valtype	type;			/* SF_FUNCREF or SF_EXTERNREF */
	uint32_t	table;			/* active only */
	sf_constexpr offset;		/* active only */
	uint32_t	count;
	sf_constexpr *items;		/* ref.func / ref.null / global.get */
} sf_elem;

typedef struct sf_data
{
	sf_segmode	mode;			/* ACTIVE or PASSIVE */
	uint32_t	memory;
	sf_constexpr offset;
	uint32_t	len;
	uint32_t	data_off;		/* into sf_module.bytes */
} sf_data;

typedef struct sf_localrun
{
	uint32_t	count;
	sf_valtype	type;
} sf_localrun;

/* One defined function's body. */
typedef struct sf_code
{
	uint32_t	body_off;		/* offset in bytes of the entry's size field */
	uint32_t	expr_off;		/* first instruction, after the locals */
	uint32_t	end_off;		/* one past the final 'end' */
	uint32_t	nruns;
	sf_localrun *runs;			/* declared locals, params excluded */
	uint32_t	nlocals;		/* declared locals, params excluded */
	/* filled by the validator */
	uint32_t	max_stack;		/* deepest operand stack */
	uint32_t	max_depth;		/* deepest control nesting */
	uint32_t	ncalls;			/* direct calls ('call') to defined functions */
	uint32_t	hot_off;		/* this body's hot locals in sf_module.hot_pool */
	uint8_t		nhot_int;		/* integer ones, then */
	uint8_t		nhot_float;		/* float ones */
	bool		called;			/* the target of a direct call ('call') somewhere */
} sf_code;

/*
** Hot locals: the validator, which decodes every body anyway, counts the
** uses of each local (local.get/set/tee, each weighing 8x more per
** enclosing loop, capped at 7 loops) and keeps, per body, the up to
** SF_TARGET_HOT_INT i32/i64 and SF_TARGET_HOT_FLOAT f32/f64 locals used
** most (at least twice), most used first, ties to the lower index: as many
** as the target has registers for locals (target.h).  When all integer and
** all float locals fit, all of them are kept, in index order, used or not.
** Local indices count the parameters first.  The compiler gives these
** locals registers; counting here spares it a second pass over each body.
*/

struct sf_jit;

struct sf_module
{
	sf_config	cfg;
	uint8_t    *bytes;			/* owned copy of the binary */
	size_t		len;

	uint32_t	ntypes;
	sf_functype *types;

	uint32_t	nimports;
	sf_import  *imports;

	uint32_t	nfuncs;			/* imported + defined */
	uint32_t	nfunc_imports;
	uint32_t   *func_types;		/* type index of every function */
	sf_code    *codes;			/* defined functions: codes[i - nfunc_imports] */

	uint32_t	ntables;
	uint32_t	ntable_imports;
	sf_tabletype *tables;

	uint32_t	nmems;
	uint32_t	nmem_imports;
	sf_limits  *mems;

	uint32_t	nglobals;
	uint32_t	nglobal_imports;
	sf_globaltype *globals;
	sf_constexpr *global_inits;	/* defined: global_inits[i - nglobal_imports] */

	uint32_t	nexports;
	sf_export  *exports;

	bool		has_start;
	uint32_t	start;

	uint32_t	nelems;
	sf_elem    *elems;

	bool		has_datacount;
	uint32_t	datacount;
	uint32_t	ndatas;
	sf_data    *datas;

	uint8_t    *declared_funcs;	/* bitmap: may appear in ref.func */
	char	  **func_names;		/* from the name section, NUL-terminated, or NULL */

	struct sf_jit *jit;			/* compiled code (jit.h), or NULL */
	/*
	** The same with explicit bounds checks, for instances whose memory
	** could not reserve its guard region (compiled on first need, when the
	** module was compiled for guard pages: sf_module_compile_checked).
	*/
	struct sf_jit *jit_checked;
	sf_compile_stats stats;

	/* storage behind the pointers above, owned by the decoder */
	sf_valtype *type_pool;		/* every sf_functype's params and results */
	sf_localrun *local_pool;	/* every sf_code's runs */
	uint32_t   *hot_pool;		/* every sf_code's hot locals (validator) */
};

/*
** The module's code with explicit bounds checks on memory accesses, for
** an instance whose memory could not reserve its guard region: compiled
** once, on first need, into m->jit_checked (module.c).
*/
sf_status	sf_module_compile_checked(sf_module *m, sf_error *err);

/* Helpers every pass may use. */
static inline const sf_functype *
sf_module_functype(const sf_module *m, uint32_t func_index)
{
	return &m->types[m->func_types[func_index]];
}

#endif							/* SF_MODULE_H */
