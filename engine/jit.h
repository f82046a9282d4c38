/*
** jit.h -- the compiled form of a module (sf_module.jit), made by the
** compiler (compile_module.c), and the process-wide registry that maps a
** PC in JIT code to its module and function (jit.c).
*/
#ifndef SF_JIT_H
#define SF_JIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codemap.h"
#include "module.h"

struct sf_jit
{
	uint8_t    *code;			/* RX block */
	size_t		code_len;
	size_t		code_held;		/* memory the block holds (sf_codemem_seal) */
	size_t		code_kept;		/* the block's length, sf_codemem_free's */
	uint32_t	nfuncs;			/* defined functions */
	uint32_t   *func_off;		/* entry of each defined function */
	uint32_t   *func_end;		/* end of each function's code */
	uint32_t   *type_ids;		/* canonical id of each type index */
	const sf_module *m;
	/* each function's code map (codemap.h): maps[map_off[i], map_end[i]) */
	uint8_t    *maps;
	size_t		maps_len;
	uint32_t   *map_off;
	uint32_t   *map_end;
	/* where the counter runs ahead of precise mode's (unrolled loops) */
	sf_fuel_ahead *ahead;
	uint32_t	nahead;
};

/*
** The most a range of sf_jit.ahead stands ahead.  The asynchronous check
** (signals.c), which cannot look the range up, takes a counter up to this
** far above zero for one that may be ahead there, and leaves the call
** running until a later tick: a counter that goes on growing passes it
** within microseconds.
*/
#define SF_FUEL_AHEAD_MAX 4096

/*
** Registered code can be found by PC: a trap names its function.  A module
** registers its code when it is compiled and unregisters it when freed.
*/
void		sf_jit_register(struct sf_jit *j);
void		sf_jit_unregister(struct sf_jit *j);
/* The module and function whose code contains 'pc' (NULL if none). */
const sf_module *sf_jit_find_pc(uintptr_t pc, uint32_t *func_index);

/* Where a PC lies in registered code, read from its function's code map. */
typedef struct sf_jit_loc
{
	const sf_module *m;
	uint32_t	func_index;		/* in the module's index space */
	const uint8_t *func;		/* the function's first byte of code */
	uint32_t	off;			/* pc - func */
	uint32_t	wasm;			/* module offset of the operator at off */
	sf_codemap_marks marks;
} sf_jit_loc;

/* Whether 'pc' lies in a registered function; if so, where (*out). */
bool		sf_jit_locate(uintptr_t pc, sf_jit_loc *out);
/* What the counter stands ahead at 'pc' (0 outside the ranges of sf_jit.ahead). */
uint32_t	sf_jit_fuel_ahead(uintptr_t pc);
/* Unregister and free compiled code (NULL is fine). */
void		sf_jit_free(struct sf_jit *j);

/*
** Compile every function of 'm' into *out, with explicit bounds checks on
** memory accesses or for guard pages, and say how in *stats
** (compile_module.c).  The rest of the engine reaches it through the
** module (sf_module_compile, sf_module_compile_checked: module.c).
*/
sf_status	sf_compile_module(const sf_module *m, bool bounds_checked, struct sf_jit **out,
							  sf_compile_stats *stats, sf_error *err);

#endif							/* SF_JIT_H */
