/*
** target.h -- what the rest of the engine needs from the code generator's
** target, x86-64 (engine/x64/): its conventions (x64/abi.h) and the
** numbers other passes depend on.  The lowering (compile*.c) is the
** target's own and includes x64/ directly.
*/
#ifndef SF_TARGET_H
#define SF_TARGET_H

#include "util.h"
#include "x64/abi.h"

/*
** Hot locals: the validator, which decodes every body anyway, ranks up to
** this many integer and float locals per function for the registers the
** target keeps locals in (module.h, sf_code).
*/
#define SF_TARGET_HOT_INT	X64_HOT_INT
#define SF_TARGET_HOT_FLOAT X64_HOT_FLOAT

/*
** The shared stubs between the host and JIT code (x64/stubs.c), emitted
** once per process.  entry runs 'code' on 'nslots' argument/result slots
** for activation 'act' and returns 0, or the trap kind when the code
** trapped; trap_common is where the signal handlers send a PC (eax = kind,
** rdx = PC, rcx = activation); host_call is the code of every host
** function.
*/
struct sf_activation;
typedef uint64_t (*sf_entry_fn) (void *ctx, void *code, uint64_t *slots,
								 uint64_t nslots, struct sf_activation *act);
#define SF_ENTRY_SMALL 4

/*
** The prepared-call stub for n slots (n < SF_ENTRY_SMALL), of a prepared
** call without slots to narrow but the first (runtime.h): sf_prepared_call
** in machine code, around the entry stub's work; the second of each pair
** narrows the first slot as it copies it.  For another limit than
** the last, or an outermost call from another frame than the last, it
** first calls sf_prepared_stub_retry.  It links the activation in, runs
** the function and, when the counter ended at or below zero and no
** interrupt is pending, unlinks it and returns 0 with the fuel consumed
** (sf_prepared_ret).  Otherwise it returns, linked still with the counter
** in the activation, a
** trap kind (SF_TRAP_INTERRUPTED for an interrupt pending before the call;
** a trap through the trap stub) or SF_PREPARED_FINISH (out of fuel or an
** interrupt pending after a return), and C decides (call.c).
*/
struct sf_prepared;
typedef sf_prepared_ret (*sf_prepared_fn) (struct sf_prepared *p, uint64_t fuel_limit);
#define SF_PREPARED_FINISH	0x10000

typedef struct sf_stubs
{
	sf_entry_fn entry;
	sf_entry_fn entry_n[SF_ENTRY_SMALL];	/* entry for exactly n slots */
	/* [n][1] narrows slot 0 to 32 bits; NULL: the C path only */
	sf_prepared_fn prepared_n[SF_ENTRY_SMALL][2];
	void	   *trap_explicit;	/* eax = trap kind; called, pc on the stack */
	void	   *trap_common;	/* eax = kind, rdx = pc, rcx = activation */
	void	   *host_call;		/* wasm-convention entry of every host function */
} sf_stubs;

/*
** A trap's wasm call stack (x64/frames.c): the trap stub calls
** sf_frames_walk with the stack and frame pointers of the trap, before it
** leaves the frames; after the return to the host, sf_frames_read puts
** the frames into err (its frames and depth) and returns the innermost
** frame's offset when the trap's PC lies in wasm code (-1 otherwise).
*/
struct sf_activation *sf_frames_walk(struct sf_activation *act, uintptr_t sp, uintptr_t fp);
int64_t		sf_frames_read(const struct sf_activation *act, sf_error *err);

/* Set once the stubs exist: the per-call path reads it without a lock. */
extern const sf_stubs *sf_stubs_ready;
const sf_stubs *sf_stubs_build(sf_error *err);

/* The stubs, emitted on first use; NULL (and 'err') when that failed. */
static inline const sf_stubs *
sf_stubs_get(sf_error *err)
{
	const sf_stubs *s = __atomic_load_n(&sf_stubs_ready, __ATOMIC_ACQUIRE);

	return s != NULL ? s : sf_stubs_build(err);
}

#endif							/* SF_TARGET_H */
