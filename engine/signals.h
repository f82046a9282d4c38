/*
** signals.h -- the engine's signal handling (signals.c): the fault
** handler for JIT code and the per-thread interrupt flag.  The public side
** (sf_async_check, sf_request_interrupt, the watchdog) is in slackfuel.h.
*/
#ifndef SF_SIGNALS_H
#define SF_SIGNALS_H

#include <signal.h>
#include <stdbool.h>

#include "util.h"

/* Install the SIGSEGV/SIGBUS handlers (idempotent). */
sf_status	sf_signals_install(sf_error *err);

/*
** The thread's interrupt request: set by sf_request_interrupt, it stays
** set until the outermost call that honours it returns, or
** sf_clear_interrupt.
*/
extern __thread volatile sig_atomic_t sf_signals_interrupt
			__attribute__((tls_model("initial-exec")));

/* Inline: read on every call. */
static inline bool
sf_signals_interrupt_pending(void)
{
	return sf_signals_interrupt != 0;
}

#endif							/* SF_SIGNALS_H */
