/*
 * usage.c -- the fuel of the session's last statement and transaction.
 *
 * Every sf_call adds what it consumed to slackfuel_session_fuel, a counter
 * that only grows; the fuel of a statement or a transaction is the
 * difference of two of its readings.  A top-level statement starts at an
 * ExecutorStart or a ProcessUtility outside the execution of any other
 * (queries run by a PL/pgSQL function belong to the statement that called
 * it); hooks on ExecutorRun, ExecutorFinish and ProcessUtility keep that
 * depth, as pg_stat_statements does.  A transaction ends at commit or
 * abort.  Calls in parallel workers are not seen by the leader.
 */
#include "postgres.h"

#include "access/xact.h"
#include "executor/executor.h"
#include "fmgr.h"
#include "tcop/utility.h"

#include "plwasm.h"

PG_FUNCTION_INFO_V1(slackfuel_last_statement_fuel);
PG_FUNCTION_INFO_V1(slackfuel_transaction_fuel);
PG_FUNCTION_INFO_V1(slackfuel_last_transaction_fuel);

uint64		slackfuel_session_fuel;

static uint64 stmt_start;		/* readings at the start of this statement */
static uint64 prev_stmt_start;	/* and of the one before */
static uint64 xact_start;		/* at the start of this transaction */
static uint64 last_xact;		/* fuel of the last ended transaction */
static int	depth;				/* executors and utilities running */

static ExecutorStart_hook_type prev_executor_start;
static ExecutorRun_hook_type prev_executor_run;
static ExecutorFinish_hook_type prev_executor_finish;
static ProcessUtility_hook_type prev_process_utility;

static void
statement_starts(void)
{
	prev_stmt_start = stmt_start;
	stmt_start = slackfuel_session_fuel;
}

static void
usage_executor_start(QueryDesc *queryDesc, int eflags)
{
	if (depth == 0)
		statement_starts();
	if (prev_executor_start)
		prev_executor_start(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
}

static void
usage_executor_run(QueryDesc *queryDesc, ScanDirection direction,
				   uint64 count, bool execute_once)
{
	depth++;
	PG_TRY();
	{
		if (prev_executor_run)
			prev_executor_run(queryDesc, direction, count, execute_once);
		else
			standard_ExecutorRun(queryDesc, direction, count, execute_once);
	}
	PG_FINALLY();
	{
		depth--;
	}
	PG_END_TRY();
}

static void
usage_executor_finish(QueryDesc *queryDesc)
{
	depth++;
	PG_TRY();
	{
		if (prev_executor_finish)
			prev_executor_finish(queryDesc);
		else
			standard_ExecutorFinish(queryDesc);
	}
	PG_FINALLY();
	{
		depth--;
	}
	PG_END_TRY();
}

static void
usage_process_utility(PlannedStmt *pstmt, const char *queryString,
					  bool readOnlyTree, ProcessUtilityContext context,
					  ParamListInfo params, QueryEnvironment *queryEnv,
					  DestReceiver *dest, QueryCompletion *qc)
{
	if (depth == 0)
		statement_starts();
	depth++;
	PG_TRY();
	{
		if (prev_process_utility)
			prev_process_utility(pstmt, queryString, readOnlyTree, context,
								 params, queryEnv, dest, qc);
		else
			standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
									params, queryEnv, dest, qc);
	}
	PG_FINALLY();
	{
		depth--;
	}
	PG_END_TRY();
}

static void
usage_xact_end(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PREPARE:
			last_xact = slackfuel_session_fuel - xact_start;
			xact_start = slackfuel_session_fuel;
			break;
		default:
			break;
	}
}

void
slackfuel_usage_init(void)
{
	prev_executor_start = ExecutorStart_hook;
	ExecutorStart_hook = usage_executor_start;
	prev_executor_run = ExecutorRun_hook;
	ExecutorRun_hook = usage_executor_run;
	prev_executor_finish = ExecutorFinish_hook;
	ExecutorFinish_hook = usage_executor_finish;
	prev_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = usage_process_utility;
	RegisterXactCallback(usage_xact_end, NULL);
}

static Datum
fuel_datum(uint64 v)
{
	return Int64GetDatum((int64) Min(v, (uint64) PG_INT64_MAX));
}

/*
 * Fuel of every wasm call of the session's previous top-level statement
 * (the one before the statement calling this), whatever their outcome.
 */
Datum
slackfuel_last_statement_fuel(PG_FUNCTION_ARGS)
{
	return fuel_datum(stmt_start - prev_stmt_start);
}

/* Fuel of every wasm call of the current transaction so far. */
Datum
slackfuel_transaction_fuel(PG_FUNCTION_ARGS)
{
	return fuel_datum(slackfuel_session_fuel - xact_start);
}

/* Fuel of every wasm call of the session's last ended transaction. */
Datum
slackfuel_last_transaction_fuel(PG_FUNCTION_ARGS)
{
	return fuel_datum(last_xact);
}
