/*
** signals.c -- everything the engine does in or for a signal handler: the
** SIGSEGV/SIGBUS handler for JIT code, the asynchronous check of fuel and
** interrupts (sf_async_check, called from the watchdog below or from the
** embedder's own timer handler), the per-thread interrupt flag, and the
** watchdog timer.
**
** The handlers only read the machine context and thread-local state,
** compare, and rewrite registers: they never longjmp, allocate, lock or
** log.  Thread-local variables use the initial-exec TLS model so that
** reading them never calls __tls_get_addr (which may allocate).
**
** Both ways into a trap go through redirect(): the PC must lie in a JIT
** function body (not the stubs, C helpers, host functions or libc: only
** there do r15 and the stack belong to wasm), and it then moves to the
** trap stub with the trap kind, the PC and the activation in registers.
** Anywhere else a pending interrupt or exhausted fuel waits for the next
** boundary (host-call stub, return to the host) or the next tick.
*/
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "codemem.h"
#include "runtime.h"
#include "signals.h"

/* ---- the one redirect ----------------------------------------------------------- */

/*
** If this thread runs a call and the interrupted PC lies in a JIT function
** body, send it to the trap stub: eax = kind, rdx = the PC, rcx = the
** activation (the stub's register interface).  Returns 1 if it did.
*/
static int
redirect(ucontext_t *uc, const sf_activation *act, sf_trap_kind kind)
{
	greg_t	   *g = uc->uc_mcontext.gregs;
	uintptr_t	pc = (uintptr_t) g[REG_RIP];

	if (act == NULL || act->trap_stub == 0 || !sf_codemem_in_body(pc))
		return 0;
	g[REG_RAX] = kind;
	g[REG_RDX] = (greg_t) pc;
	g[REG_RCX] = (greg_t) (uintptr_t) act;
	g[REG_RIP] = (greg_t) act->trap_stub;
	return 1;
}

/* ---- faults: out-of-bounds memory accesses ---------------------------------------- */

/*
** A fault whose PC lies in a JIT function body while this thread runs an
** activation is an out-of-bounds memory access (guard pages stand in for
** bounds checks).  Any other fault goes to the handler that was installed
** before ours (for example ASan's, or PostgreSQL's), or to the default
** action.
*/
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
fault_handler(int sig, siginfo_t *si, void *ucv)
{
	int			saved = errno;
	int			done = redirect(ucv, sf_call_current(), SF_TRAP_MEMORY_OOB);

	errno = saved;
	if (!done)
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
	if ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == fault_handler)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fault_handler;
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

/* ---- interrupts and the asynchronous check ------------------------------------------- */

__thread volatile sig_atomic_t sf_signals_interrupt
			__attribute__((tls_model("initial-exec")));

void
sf_request_interrupt(void)
{
	sf_signals_interrupt = 1;
}

void
sf_clear_interrupt(void)
{
	sf_signals_interrupt = 0;
}

bool
sf_interrupt_check(sf_error *err)
{
	if (SF_LIKELY(!sf_signals_interrupt))
		return false;
	sf_error_set(err, SF_TRAP, "%s", sf_trap_message(SF_TRAP_INTERRUPTED));
	if (err)
		err->trap = SF_TRAP_INTERRUPTED;
	return true;
}

/*
** Out of fuel wins over an interrupt, as over every other trap: it is the
** one outcome that does not depend on timing.  A counter at most
** SF_FUEL_AHEAD_MAX above zero may only stand ahead in an unrolled loop
** (jit.h), which a signal handler cannot look up: the call goes on, and a
** later tick, or the return to the host, decides.
*/
int
sf_async_check(void *ucontext)
{
	ucontext_t *uc = ucontext;
	sf_activation *act = sf_call_current();

	if (uc == NULL || act == NULL)
		return 0;
	if (act->counting && (int64_t) uc->uc_mcontext.gregs[REG_R15] > SF_FUEL_AHEAD_MAX)
		return redirect(uc, act, SF_TRAP_OUT_OF_FUEL);
	if (sf_signals_interrupt)
		return redirect(uc, act, SF_TRAP_INTERRUPTED);
	return 0;
}

/* ---- the watchdog ------------------------------------------------------------------ */

/*
** A periodic timer signal that runs sf_async_check, for embedders without
** timer machinery of their own (sfrun, the tests).  PostgreSQL does not
** use it: the extension drives sf_async_check from the backend's own
** SIGALRM timeout.
**
** The timer is a POSIX per-thread timer that signals the calling thread
** with a real-time signal of its own, so SIGALRM, setitimer() and the
** program's other timers are left alone.  SA_RESTART keeps interrupted
** system calls from failing with EINTR.  The signal is refused if the
** program already handles it, rather than silently stolen.
*/
#define WD_SIGNAL (SIGRTMAX - 2)

static pthread_mutex_t wd_lock = PTHREAD_MUTEX_INITIALIZER;
static int	wd_users;			/* threads with a running watchdog */
static struct sigaction wd_saved;	/* disposition before the first start */

static __thread timer_t wd_timer;
static __thread int wd_running;

/*
** Only timer expirations run the check; a stray sigqueue() of the same
** signal is ignored.  errno is preserved for the interrupted code.
*/
static void
wd_handler(int sig, siginfo_t *info, void *ucontext)
{
	int			saved_errno = errno;

	(void) sig;
	if (info != NULL && info->si_code == SI_TIMER)
		sf_async_check(ucontext);
	errno = saved_errno;
}

static sf_status
wd_install(sf_error *err)
{
	struct sigaction sa;

	if (sigaction(WD_SIGNAL, NULL, &wd_saved) != 0)
		return sf_error_set(err, SF_UNSUPPORTED, "watchdog: sigaction: %s",
							strerror(errno));
	if ((wd_saved.sa_flags & SA_SIGINFO) || (wd_saved.sa_handler != SIG_DFL &&
											 wd_saved.sa_handler != SIG_IGN))
		return sf_error_set(err, SF_UNSUPPORTED,
							"watchdog: signal %d already has a handler",
							WD_SIGNAL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = wd_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(WD_SIGNAL, &sa, NULL) != 0)
		return sf_error_set(err, SF_UNSUPPORTED, "watchdog: sigaction: %s",
							strerror(errno));
	return SF_OK;
}

/*
** Restore the old disposition.  Going through SIG_IGN first discards an
** expiration still pending, which under SIG_DFL would kill the process.
*/
static void
wd_uninstall(void)
{
	struct sigaction ign;

	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(WD_SIGNAL, &ign, NULL);
	sigaction(WD_SIGNAL, &wd_saved, NULL);
}

static sf_status
wd_arm(uint32_t interval_ms, sf_error *err)
{
	struct sigevent sev;
	struct itimerspec its;

	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = WD_SIGNAL;
	sev._sigev_un._tid = (pid_t) syscall(SYS_gettid);
	if (timer_create(CLOCK_MONOTONIC, &sev, &wd_timer) != 0)
		return sf_error_set(err, SF_UNSUPPORTED, "watchdog: timer_create: %s",
							strerror(errno));
	memset(&its, 0, sizeof(its));
	its.it_interval.tv_sec = interval_ms / 1000;
	its.it_interval.tv_nsec = (long) (interval_ms % 1000) * 1000000L;
	its.it_value = its.it_interval;
	if (timer_settime(wd_timer, 0, &its, NULL) != 0)
	{
		int			e = errno;

		timer_delete(wd_timer);
		return sf_error_set(err, SF_UNSUPPORTED, "watchdog: timer_settime: %s",
							strerror(e));
	}
	return SF_OK;
}

sf_status
sf_watchdog_start(uint32_t interval_ms, sf_error *err)
{
	sf_status	st = SF_OK;

	if (interval_ms == 0 || interval_ms > 3600 * 1000)
		return sf_error_set(err, SF_BADARG,
							"watchdog: interval %u ms out of range (1..3600000)",
							interval_ms);
	if (wd_running)
		sf_watchdog_stop();
	pthread_mutex_lock(&wd_lock);
	if (wd_users == 0)
		st = wd_install(err);
	if (st == SF_OK)
	{
		st = wd_arm(interval_ms, err);
		if (st == SF_OK)
			wd_users++;
		else if (wd_users == 0)
			wd_uninstall();
	}
	pthread_mutex_unlock(&wd_lock);
	wd_running = (st == SF_OK);
	return st;
}

void
sf_watchdog_stop(void)
{
	if (!wd_running)
		return;
	timer_delete(wd_timer);
	wd_running = 0;
	pthread_mutex_lock(&wd_lock);
	if (--wd_users == 0)
		wd_uninstall();
	pthread_mutex_unlock(&wd_lock);
}
