/*
** util.h -- error reporting and small helpers shared by the engine.
*/
#ifndef SF_UTIL_H
#define SF_UTIL_H

#include <stdarg.h>
#include <stdbool.h>

#include "slackfuel.h"

#if defined(__GNUC__)
#define SF_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define SF_LIKELY(x) __builtin_expect(!!(x), 1)
#define SF_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define SF_PRINTF(a, b)
#define SF_LIKELY(x) (x)
#define SF_UNLIKELY(x) (x)
#endif

/* Fill 'err' (may be NULL) and return 'status'. */
sf_status	sf_error_set(sf_error *err, sf_status status, const char *fmt, ...) SF_PRINTF(3, 4);
sf_status	sf_error_vset(sf_error *err, sf_status status, const char *fmt, va_list ap);
void		sf_error_clear(sf_error *err);

/*
** For long work outside calls (text parsing, validation, compiling),
** checked between functions: whether this thread was asked to stop
** (sf_request_interrupt).  If so 'err' says SF_TRAP, SF_TRAP_INTERRUPTED.
** The request stays (only a call's return and sf_clear_interrupt clear
** it), so a call made next stops too.
*/
bool		sf_interrupt_check(sf_error *err);

#endif							/* SF_UTIL_H */
