/*
** spectest_host.h -- the "spectest" host module of the WebAssembly spec
** test suite, shared by the spec runner and build/sfrun.  Test support:
** it is linked into those two, not into the library.
**
** print* functions (that print nothing: the suite only needs them to
** exist), global_i32/i64 = 666, global_f32/f64 = 666.6, a funcref table of
** 10..20 elements and a memory of 1..2 pages.
*/
#ifndef SF_SPECTEST_HOST_H
#define SF_SPECTEST_HOST_H

#include <stdbool.h>
#include <stddef.h>

#include "slackfuel.h"

typedef struct sf_spectest sf_spectest;

/* Create the module's objects in 's' (they die with the store). */
sf_spectest *sf_spectest_new(sf_store *s, sf_error *err);
void		sf_spectest_free(sf_spectest *st);
/* Find export 'name' of kind 'kind'; false if there is none. */
bool		sf_spectest_lookup(sf_spectest *st, const char *name, size_t len,
							   sf_extern *out);

#endif							/* SF_SPECTEST_HOST_H */
