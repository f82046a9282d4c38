/*
** codemem.h -- executable memory for JIT code, W^X.
**
** All JIT code of the process lives in one address-space reservation (the
** arena), so "is this PC JIT code?" is two compares that a signal handler
** can afford.  A block is written while mapped read-write and then flipped
** to read-execute; it is never writable and executable at once.
**
** The first block of the arena holds the shared stubs (entry, trap, host
** call); sf_codemem_in_body() excludes it, because inside the stubs the
** pinned registers do not yet (or no longer) hold wasm state.
*/
#ifndef SF_CODEMEM_H
#define SF_CODEMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Copy 'len' bytes of code into fresh RX memory; NULL on failure. */
void	   *sf_codemem_install(const void *code, size_t len, sf_error *err);

/*
** Code written in place: a fresh read-write block of 'len' bytes, NULL on
** failure; then sf_codemem_seal() makes it read-execute for its first
** 'used' bytes of code, of which the first 'faulted' bytes were faulted in
** (sf_codemem_prefault), and sets *kept to what stays mapped with the code
** (sf_codemem_free's length) and *held to the memory that holds.  A small
** block whose faulted part past the code is small (SF_SEAL_KEEP_MAX)
** stays whole, sealed with one mprotect; otherwise the part that holds
** the code (sf_codemem_held) is sealed and the rest returned to the arena.
** Failing, it frees the whole block.  Spares the copy of
** sf_codemem_install and touching the pages of a second buffer.
*/
void	   *sf_codemem_reserve(size_t len, sf_error *err);
/* A block of this size or more starts on a boundary of it and asks for huge pages. */
#define SF_CODEMEM_HUGE_PAGE ((size_t) 2 << 20)
bool		sf_codemem_seal(void *block, size_t len, size_t used, size_t faulted,
							size_t *kept, size_t *held, sf_error *err);
/*
** The memory a sealed block holds for its 'used' bytes of code, of a
** reservation of 'len' bytes at 'block': whole pages, or whole huge pages
** (within the reservation) for a block in huge pages, which seal keeps
** whole.  What sf_codemem_free must be given for the sealed block.
*/
size_t		sf_codemem_held(const void *block, size_t len, size_t used);
/* Hint: the first 'len' bytes of a reserved block will be written. */
void		sf_codemem_prefault(void *block, size_t len);
void		sf_codemem_free(void *code, size_t len);

/* Mark [start, start+len) as the stub block (called once). */
void		sf_codemem_set_stubs(const void *start, size_t len);

/* Async-signal-safe: is 'pc' inside a JIT function body? */
bool		sf_codemem_in_body(uintptr_t pc);

/* Test hook: the arena bounds. */
void		sf_codemem_bounds(uintptr_t *lo, uintptr_t *hi);

#endif							/* SF_CODEMEM_H */
