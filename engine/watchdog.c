/*
** watchdog.c -- a periodic timer signal that runs sf_async_check, for
** embedders without timer machinery of their own (sfrun, the tests).
** PostgreSQL does not use it: the extension drives sf_async_check from
** the backend's own SIGALRM timeout.
**
** The timer is a POSIX per-thread timer that signals the calling thread
** with a real-time signal of its own, so SIGALRM, setitimer() and the
** program's other timers are left alone.  SA_RESTART keeps interrupted
** system calls from failing with EINTR.  The signal is refused if the
** program already handles it, rather than silently stolen.
*/
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "util.h"

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
