/*
** fuel.c -- the asynchronous side of fuel metering and cancellation:
** sf_async_check, called from signal handlers (the watchdog, the
** PostgreSQL extension's SIGALRM/SIGINT wrapper), and the per-thread
** interrupt flag.
**
** Everything here is async-signal-safe: it reads thread-local state and
** the interrupted machine context, compares, and rewrites registers.  The
** thread-local variables use the initial-exec TLS model so that reading
** them never calls __tls_get_addr (which may allocate).
**
** A PC is redirected only while it lies in a JIT function body (not the
** stubs, not C helpers, not host functions, not libc): only there do r15
** and the stack belong to wasm, so only there is jumping to the trap stub
** safe.  Anywhere else the request stays pending and the next boundary
** (host-call stub, return to the host) or the next tick catches it.
*/
#define _GNU_SOURCE
#include <signal.h>
#include <ucontext.h>

#include "codemem.h"
#include "runtime.h"

__thread volatile sig_atomic_t sf_rt_interrupt_flag
			__attribute__((tls_model("initial-exec")));

void
sf_request_interrupt(void)
{
	sf_rt_interrupt_flag = 1;
}

void
sf_clear_interrupt(void)
{
	sf_rt_interrupt_flag = 0;
}

bool
sf_interrupt_check(sf_error *err)
{
	if (SF_LIKELY(!sf_rt_interrupt_flag))
		return false;
	sf_error_set(err, SF_TRAP, "%s", sf_trap_message(SF_TRAP_INTERRUPTED));
	if (err)
		err->trap = SF_TRAP_INTERRUPTED;
	return true;
}

/*
** Out of fuel wins over an interrupt, as over every other trap: it is the
** one outcome that does not depend on timing.
*/
int
sf_async_check(void *ucontext)
{
	ucontext_t *uc = ucontext;
	greg_t	   *g;
	sf_activation *act = sf_rt_current();
	sf_trap_kind kind;
	uintptr_t	pc;

	if (uc == NULL || act == NULL || act->trap_stub == 0)
		return 0;
	g = uc->uc_mcontext.gregs;
	pc = (uintptr_t) g[REG_RIP];
	if (!sf_codemem_in_body(pc))
		return 0;
	if (act->counting && (int64_t) g[REG_R15] > 0)
		kind = SF_TRAP_OUT_OF_FUEL;
	else if (sf_rt_interrupt_flag)
		kind = SF_TRAP_INTERRUPTED;
	else
		return 0;
	g[REG_RAX] = kind;
	g[REG_RDX] = (greg_t) pc;
	g[REG_RCX] = (greg_t) (uintptr_t) act;
	g[REG_RIP] = (greg_t) act->trap_stub;
	return 1;
}
