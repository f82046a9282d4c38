/*
** target.h -- what the rest of the engine needs from the code generator's
** target, x86-64 (engine/x64/): its conventions (x64/abi.h) and the
** numbers other passes depend on.  The lowering (compile*.c) is the
** target's own and includes x64/ directly.
*/
#ifndef SF_TARGET_H
#define SF_TARGET_H

#include "x64/abi.h"

/*
** Hot locals: the validator, which decodes every body anyway, ranks up to
** this many integer and float locals per function for the registers the
** target keeps locals in (module.h, sf_code).
*/
#define SF_TARGET_HOT_INT	X64_HOT_INT
#define SF_TARGET_HOT_FLOAT X64_HOT_FLOAT

#endif							/* SF_TARGET_H */
