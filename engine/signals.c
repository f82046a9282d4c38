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
static pthread_mutex_t signals_lock = PTHREAD_MUTEX_INITIALIZER;

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

/*
** Install our handler for 'sig' unless it is already the current one; the
** handler found there becomes the one we chain to.  Hosts (and test
** frameworks) may install their own handlers later, so every new store
** checks again.
*/
static int
install_one(int sig, struct sigaction *old)
{
	struct sigaction cur, sa;

	if (sigaction(sig, NULL, &cur) != 0)
		return errno;
	if ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == handler)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, old) != 0)
		return errno;
	return 0;
}

sf_status
sf_signals_install(sf_error *err)
{
	int			e;

	pthread_mutex_lock(&signals_lock);
	e = install_one(SIGSEGV, &old_segv);
	if (e == 0)
		e = install_one(SIGBUS, &old_bus);
	pthread_mutex_unlock(&signals_lock);
	if (e)
		return sf_error_set(err, SF_NOMEM, "cannot install the SIGSEGV handler: %s",
							strerror(e));
	return SF_OK;
}

#if defined(__SANITIZE_ADDRESS__)
/*
** ASan refuses a user SIGSEGV handler unless told otherwise; guard pages
** need ours (it chains to ASan's for faults outside JIT code).  Programs
** built with the sanitizer link this default; ASAN_OPTIONS still wins.
*/
__attribute__((visibility("default"))) const char *
__asan_default_options(void)
{
	return "allow_user_segv_handler=1";
}
#endif
