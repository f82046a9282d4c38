/*
** codemap.h -- the code map of a compiled function: which wasm instruction
** each point of its machine code belongs to, for backtraces.
**
** The compiler notes a point wherever code may trap or leave the function
** (cg_fuel_may_trap: a trap check, a memory access, a call), with the
** module byte offset of the operator being lowered; a point covers the
** code from there to the next point.  So the PC of a faulting access, a
** call's return address less one and a trap site's stub all fall in the
** range of their operator's point.  Code offsets are from the function's
** start: the map does not change when the function moves.
**
** Stored per function as bytes: 'frame_at' and 'thunks_at' (see
** sf_codemap_marks, 4 bytes each), then per point the code offset's
** increase in a byte (below 255; else 255 and the offset in 4 bytes) and
** the wasm offset's change in a signed byte (within +-127; else -128 and
** the offset in 4 bytes), from 0 and the function body's first
** instruction.  About 2 bytes a point, written without a loop per byte.
*/
#ifndef SF_CODEMAP_H
#define SF_CODEMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A point: from code offset 'code' on, the operator at module offset 'wasm'. */
typedef struct sf_codemap_point
{
	uint32_t	code;
	uint32_t	wasm;
} sf_codemap_point;

/* Where a function's frame exists (x64/abi.h, the frame of a function). */
typedef struct sf_codemap_marks
{
	uint32_t	frame_at;		/* the prologue's 'push rbp' */
	uint32_t	thunks_at;		/* the trap thunks and site stubs, to the end */
} sf_codemap_marks;

/*
** A range of a function's code, [lo, hi) from its start, where the fuel
** counter stands 'n' above what precise mode's would at the same point:
** the copies of a loop that slacked mode unrolls charge ahead
** (compile_fuel.c).  A trap there takes 'n' back.  'def' is the defined
** function's index.
*/
typedef struct sf_fuel_ahead
{
	uint32_t	def;
	uint32_t	lo, hi;
	uint32_t	n;
} sf_fuel_ahead;

/* A growing byte buffer for the maps of many functions. */
typedef struct sf_codemap_buf
{
	uint8_t    *b;
	size_t		n, cap;
	bool		oom;
} sf_codemap_buf;

/*
** Append one function's map: its marks and its 'n' points (code offsets
** never decreasing), wasm offsets taken from 'wasm_base' on.  A point of
** the operator before it adds nothing; of points at one code offset the
** last one counts.  On allocation failure sets out->oom.
*/
void		sf_codemap_put(sf_codemap_buf *out, const sf_codemap_marks *marks,
						   const sf_codemap_point *p, uint32_t n, uint32_t wasm_base);

/*
** Read the map [map, end): its marks, and the wasm offset of the last point
** at or before code offset 'off' ('wasm_base' if none).
*/
uint32_t	sf_codemap_find(const uint8_t *map, const uint8_t *end, uint32_t wasm_base,
							uint32_t off, sf_codemap_marks *marks);

#endif							/* SF_CODEMAP_H */
