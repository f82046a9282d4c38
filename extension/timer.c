/*
 * timer.c -- the tick that stops runaway and cancelled wasm.
 *
 * Generated code never polls.  While wasm may run, a PostgreSQL timeout
 * (USER_TIMEOUT, enable_timeout_every) raises SIGALRM every
 * slackfuel.check_interval ms.  The backend's SIGALRM handler is wrapped
 * by one taking SA_SIGINFO, so that after PostgreSQL's own handler has run
 * (which may have set QueryCancelPending for statement_timeout) the wrapper
 * sees the interrupted machine context and hands it to sf_async_check.
 * The engine rewrites the PC to its trap stub only when the PC lies inside
 * generated code of the running call; anywhere else the registers belong
 * to C code and must not be touched.
 *
 * SIGINT and SIGTERM are wrapped the same way, so pg_cancel_backend and
 * pg_terminate_backend stop wasm at once rather than at the next tick.
 *
 * Cost per call: the timer is armed at the first call of a statement and
 * disarmed when the statement ends (the outermost executor run, finish or
 * end, or utility command, returns; a transaction's end too), so a
 * statement calling a wasm function a million times makes two timer system
 * calls, and an idle or idle-in-transaction backend gets no ticks.  A
 * cursor's FETCH is a statement of its own.  PostgreSQL may reinstall its SIGALRM handler
 * (pqsignal); a tick that did not come through the wrapper notices and
 * re-wraps from inside the handler, which sigaction allows.
 *
 * A call does not ask the timeout machinery whether the tick is armed: it
 * reads slackfuel_tick_armed, set when the tick was found or made armed,
 * and cleared wherever it may have been disarmed since: where we disarm
 * it, and where PostgreSQL does (disable_all_timeouts at error recovery,
 * which aborts the transaction or subtransaction the call ran in: the
 * transaction and subtransaction callbacks clear it).  Each statement
 * also starts with it clear (the outermost executor run, finish or utility
 * command), so its first call checks with get_timeout_active once.
 *
 * The timeout is registered lazily in each backend, not in _PG_init: when
 * the library is preloaded, _PG_init runs in the postmaster and
 * InitializeTimeouts in the child would forget the registration.
 */
#include "postgres.h"

#include <errno.h>
#include <signal.h>

#include "access/xact.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "tcop/utility.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"

#include "plwasm.h"

/*
 * TimeoutId is an enum whose signedness the compiler chooses; never use a
 * negative sentinel for it.  'slackfuel_tick_pid' says whether
 * 'slackfuel_tick_id' is valid in this process.
 */
TimeoutId	slackfuel_tick_id;
pid_t		slackfuel_tick_pid;
bool		slackfuel_tick_armed;

/* slackfuel_tick_armed changes, and the scalar path's epoch with it. */
static inline void
tick_armed_set(bool armed)
{
	slackfuel_tick_armed = armed;
	slackfuel_scalar_epoch_set();
}
static bool xact_callback_registered;

static struct sigaction prev_alrm;
static struct sigaction prev_int;
static struct sigaction prev_term;
static volatile sig_atomic_t in_alarm_wrapper;

static void wrap_all(void);

static void
chain(const struct sigaction *prev, int signo, siginfo_t *info, void *uc)
{
	if (prev->sa_flags & SA_SIGINFO)
		prev->sa_sigaction(signo, info, uc);
	else if (prev->sa_handler != SIG_DFL && prev->sa_handler != SIG_IGN)
		prev->sa_handler(signo);
}

/*
 * The wrapper.  Async-signal-safe: it reads sig_atomic_t flags, calls the
 * previous handler, and asks the engine to redirect the interrupted wasm.
 */
static void
slackfuel_signal(int signo, siginfo_t *info, void *uc)
{
	int			save_errno = errno;

	if (signo == SIGALRM)
	{
		in_alarm_wrapper = 1;
		chain(&prev_alrm, signo, info, uc);
		in_alarm_wrapper = 0;
	}
	else if (signo == SIGINT)
		chain(&prev_int, signo, info, uc);
	else
		chain(&prev_term, signo, info, uc);

	if (QueryCancelPending || ProcDiePending)
		sf_request_interrupt();
	sf_async_check(uc);
	errno = save_errno;
}

/* Install the wrapper for 'signo' unless it is already there. */
static void
wrap(int signo, struct sigaction *prev)
{
	struct sigaction cur;
	struct sigaction sa;

	if (sigaction(signo, NULL, &cur) != 0)
		return;
	if ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == slackfuel_signal)
		return;
	if (!(cur.sa_flags & SA_SIGINFO) &&
		(cur.sa_handler == SIG_DFL || cur.sa_handler == SIG_IGN))
		return;					/* nothing of PostgreSQL's to chain to */
	*prev = cur;
	sa = cur;
	sa.sa_sigaction = slackfuel_signal;
	sa.sa_flags = cur.sa_flags | SA_SIGINFO;
	sigaction(signo, &sa, NULL);
}

static void
wrap_all(void)
{
	wrap(SIGALRM, &prev_alrm);
	wrap(SIGINT, &prev_int);
	wrap(SIGTERM, &prev_term);
}

/*
 * The timeout handler, called from PostgreSQL's SIGALRM handler.  It does
 * no work of its own (the wrapper does) except noticing that the wrapper
 * was bypassed.
 */
static void
tick(void)
{
	if (!in_alarm_wrapper)
		wrap_all();
#if PG_VERSION_NUM < 150000
	/* No enable_timeout_every before 15: re-arm from the handler. */
	enable_timeout_after(slackfuel_tick_id, slackfuel_check_interval);
#endif
}

/* --- Statement end: hooks around the executor and utility commands ------ */

static int	nesting;			/* executor runs and utility commands open */
static ExecutorRun_hook_type prev_run;
static ExecutorFinish_hook_type prev_finish;
static ExecutorEnd_hook_type prev_end;
static ProcessUtility_hook_type prev_utility;

/* The tick disarmed; the next call checks and arms it again. */
static void
stop(void)
{
	tick_armed_set(false);
	if (slackfuel_timer_running())
		disable_timeout(slackfuel_tick_id, false);
}

/*
 * Outside every executor run and utility command, and no wasm below us: no
 * wasm runs now.  Wasm may run outside every executor run (the planner
 * folds an IMMUTABLE call with constant arguments) and run SQL of its own
 * (slackfuel_sql_top): the end of that SQL's executor run is not the end
 * of the wasm.
 */
static void
stop_when_outermost(void)
{
	if (nesting == 0 && slackfuel_sql_top == NULL)
		stop();
}

/*
 * An executor run, finish or utility command starts; at the outermost
 * (a statement's start, or the SQL of wasm that runs outside every
 * executor run) the next call asks whether the tick is armed.
 */
static inline void
enter(void)
{
	if (nesting++ == 0)
		tick_armed_set(false);
}

static void
run_hook(QueryDesc *q, ScanDirection dir, uint64 count, bool execute_once)
{
	enter();
	PG_TRY();
	{
		if (prev_run)
			prev_run(q, dir, count, execute_once);
		else
			standard_ExecutorRun(q, dir, count, execute_once);
	}
	PG_FINALLY();
	{
		nesting--;
	}
	PG_END_TRY();
	stop_when_outermost();
}

static void
finish_hook(QueryDesc *q)
{
	enter();
	PG_TRY();
	{
		if (prev_finish)
			prev_finish(q);
		else
			standard_ExecutorFinish(q);
	}
	PG_FINALLY();
	{
		nesting--;
	}
	PG_END_TRY();
	stop_when_outermost();
}

static void
end_hook(QueryDesc *q)
{
	if (prev_end)
		prev_end(q);
	else
		standard_ExecutorEnd(q);
	stop_when_outermost();
}

static void
utility_hook(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
			 ProcessUtilityContext context, ParamListInfo params,
			 QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	enter();
	PG_TRY();
	{
		if (prev_utility)
			prev_utility(pstmt, queryString, readOnlyTree, context, params,
						 queryEnv, dest, qc);
		else
			standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
									params, queryEnv, dest, qc);
	}
	PG_FINALLY();
	{
		nesting--;
	}
	PG_END_TRY();
	stop_when_outermost();
}

static void
stop_at_xact_end(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PREPARE:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PARALLEL_ABORT:
			stop();
			slackfuel_cache_flush_stale();	/* no call is running now */
			break;
		default:
			break;
	}
}

/*
 * Error recovery may have disarmed every timeout (disable_all_timeouts)
 * and aborted only a subtransaction: the next call checks.
 */
static void
recheck_at_subxact_abort(SubXactEvent event, SubTransactionId mySubid,
						 SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		tick_armed_set(false);
}

void
slackfuel_timer_init(void)
{
	if (!xact_callback_registered)
	{
		RegisterXactCallback(stop_at_xact_end, NULL);
		RegisterSubXactCallback(recheck_at_subxact_abort, NULL);
		xact_callback_registered = true;
		prev_run = ExecutorRun_hook;
		ExecutorRun_hook = run_hook;
		prev_finish = ExecutorFinish_hook;
		ExecutorFinish_hook = finish_hook;
		prev_end = ExecutorEnd_hook;
		ExecutorEnd_hook = end_hook;
		prev_utility = ProcessUtility_hook;
		ProcessUtility_hook = utility_hook;
	}
}

/* The tick's timeout registered and the handlers wrapped, once per process. */
void
slackfuel_wrap_signals(void)
{
	if (slackfuel_tick_pid != MyProcPid)
	{
		slackfuel_tick_id = RegisterTimeout(USER_TIMEOUT, tick);
		slackfuel_tick_pid = MyProcPid;
		wrap_all();
	}
}

/*
 * The first call of a statement, or after the tick may have been
 * disarmed: arm it unless it is armed.  Before PostgreSQL 15 the tick is a
 * one-shot timeout re-armed from its handler, so every call asks.
 */
void
slackfuel_timer_start_slow(void)
{
	int			ms = slackfuel_check_interval;

	slackfuel_wrap_signals();
	if (!get_timeout_active(slackfuel_tick_id))
	{
#if PG_VERSION_NUM >= 150000
		enable_timeout_every(slackfuel_tick_id,
							 TimestampTzPlusMilliseconds(GetCurrentTimestamp(), ms),
							 ms);
#else
		enable_timeout_after(slackfuel_tick_id, ms);
#endif
	}
#if PG_VERSION_NUM >= 150000
	tick_armed_set(true);
#endif
}
