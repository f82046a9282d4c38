/*
** signals.c -- SIGSEGV/SIGBUS handling for JIT code.
**
** A fault whose PC lies in a JIT function body while this thread runs an
** activation is an out-of-bounds memory access (guard pages stand in for
** bounds checks).  The handler only reads the machine context, compares,
** and rewrites registers: RIP to the trap stub, RAX/RDX/RCX to the trap
** kind, the faulting PC and the activation.  It never longjmps, never
** allocates, never locks.  Any other fault goes to the handler that was
** installed before ours (for example ASan's, or PostgreSQL's), or to the
** default action.
**
** Under ASan run with ASAN_OPTIONS=allow_user_segv_handler=1 (the test
** scripts do): our handler is installed after ASan's and chains to it.
*/
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <ucontext.h>

#include "codemem.h"
#include "runtime.h"

static struct sigaction old_segv, old_bus;
static pthread_once_t signals_once = PTHREAD_ONCE_INIT;
static int	install_errno;

static void
chain(int sig, siginfo_t *si, void *uc)
{
	struct sigaction *old = sig == SIGBUS ? &old_bus : &old_segv;

	if (old->sa_flags & SA_SIGINFO)
	{
		if (old->sa_sigaction)
		{
			old->sa_sigaction(sig, si, uc);
			return;
		}
	}
	else if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN)
	{
		old->sa_handler(sig);
		return;
	}
	/* default action: restore it; returning re-executes the fault */
	signal(sig, SIG_DFL);
}

static void
handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t	   *g = uc->uc_mcontext.gregs;
	uintptr_t	pc = (uintptr_t) g[REG_RIP];
	sf_activation *act = sf_rt_current();
	int			saved = errno;

	if (act != NULL && act->trap_stub != 0 && sf_codemem_in_body(pc))
	{
		g[REG_RAX] = SF_TRAP_MEMORY_OOB;
		g[REG_RDX] = (greg_t) pc;
		g[REG_RCX] = (greg_t) (uintptr_t) act;
		g[REG_RIP] = (greg_t) act->trap_stub;
		errno = saved;
		return;
	}
	errno = saved;
	chain(sig, si, ucv);
}

static void
install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, &old_segv) != 0 || sigaction(SIGBUS, &sa, &old_bus) != 0)
		install_errno = errno;
}

sf_status
sf_signals_install(sf_error *err)
{
	pthread_once(&signals_once, install);
	if (install_errno)
		return sf_error_set(err, SF_NOMEM, "cannot install the SIGSEGV handler: %s",
							strerror(install_errno));
	return SF_OK;
}
