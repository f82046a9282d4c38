/*
 * report.c -- engine errors and traps become ereport(ERROR).
 *
 * The engine never ereports (it cannot include PostgreSQL headers); it
 * returns an sf_status and an sf_error.  This file is the one place that
 * picks SQLSTATEs, so the table in docs/sql.md is this table.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/elog.h"

#include "plwasm.h"

/* SQLSTATE of each trap kind, in the engine's SF_TRAP_LIST order. */
static int
trap_sqlstate(sf_trap_kind k)
{
	switch (k)
	{
		case SF_TRAP_DIV_BY_ZERO:
			return ERRCODE_DIVISION_BY_ZERO;	/* 22012 */
		case SF_TRAP_INT_OVERFLOW:
		case SF_TRAP_INVALID_CONV:
			return ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE;	/* 22003 */
		case SF_TRAP_MEMORY_OOB:
		case SF_TRAP_TABLE_OOB:
		case SF_TRAP_UNDEFINED_ELEMENT:
			return ERRCODE_ARRAY_SUBSCRIPT_ERROR;	/* 2202E */
		case SF_TRAP_STACK_EXHAUSTED:
			return ERRCODE_STATEMENT_TOO_COMPLEX;	/* 54001 */
		case SF_TRAP_OUT_OF_FUEL:
			return ERRCODE_PROGRAM_LIMIT_EXCEEDED;	/* 54000 */
		case SF_TRAP_INTERRUPTED:
			return ERRCODE_QUERY_CANCELED;	/* 57014 */
		case SF_TRAP_UNREACHABLE:
		case SF_TRAP_INDIRECT_MISMATCH:
		case SF_TRAP_UNINIT_ELEMENT:
		case SF_TRAP_HOST:
		default:
			return ERRCODE_EXTERNAL_ROUTINE_EXCEPTION;	/* 38000 */
	}
}

static int
status_sqlstate(sf_status s)
{
	switch (s)
	{
		case SF_NOMEM:
			return ERRCODE_OUT_OF_MEMORY;
		case SF_LIMIT:
			return ERRCODE_PROGRAM_LIMIT_EXCEEDED;
		case SF_UNSUPPORTED:
			return ERRCODE_FEATURE_NOT_SUPPORTED;
		default:
			return ERRCODE_INVALID_FUNCTION_DEFINITION;
	}
}

/*
 * Loading and compiling stop between functions at a cancel, terminate or
 * statement_timeout, like a call: PostgreSQL reports it.
 */
static void
report_if_interrupted(const char *fname, const sf_error *err)
{
	if (err->status == SF_TRAP && err->trap == SF_TRAP_INTERRUPTED)
		slackfuel_interrupted(fname);
}

void
slackfuel_report_load(const char *fname, const sf_error *err)
{
	report_if_interrupted(fname, err);
	ereport(ERROR,
			(errcode(status_sqlstate(err->status)),
			 errmsg("invalid WebAssembly module in function \"%s\"", fname),
			 errdetail("%s: %s", sf_status_name(err->status), err->msg)));
}

void
slackfuel_report_status(const char *fname, const char *what, const sf_error *err)
{
	report_if_interrupted(fname, err);
	ereport(ERROR,
			(errcode(status_sqlstate(err->status)),
			 errmsg("could not %s WebAssembly module of function \"%s\"", what, fname),
			 errdetail("%s: %s", sf_status_name(err->status), err->msg)));
}

/*
 * The engine's description of a trap names its kind and the wasm function
 * (index and name, when known); add the code offset when it has one.
 */
static char *
trap_detail(const sf_error *err)
{
	const char *what = err->msg[0] ? err->msg : sf_trap_message(err->trap);

	if (err->offset >= 0)
		return psprintf("Trap: %s, at code offset %lld.", what, (long long) err->offset);
	return psprintf("Trap: %s.", what);
}

void
slackfuel_report_trap(const char *fname, const slackfuel_outcome *out)
{
	const sf_error *err = &out->err;

	if (err->status == SF_TRAP && err->trap == SF_TRAP_OUT_OF_FUEL)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("wasm function \"%s\" ran out of fuel", fname),
				 errdetail("Fuel consumed %llu of limit %llu.",
						   (unsigned long long) out->consumed,
						   (unsigned long long) out->limit),
				 errhint("Raise slackfuel.fuel_limit (within slackfuel.fuel_limit_ceiling) if the function needs more.")));
	if (err->status != SF_TRAP)
		slackfuel_report_status(fname, "run", err);
	if (err->trap == SF_TRAP_INTERRUPTED)
		slackfuel_interrupted(fname);
	ereport(ERROR,
			(errcode(trap_sqlstate(err->trap)),
			 errmsg("wasm function \"%s\" trapped: %s", fname,
					sf_trap_message(err->trap)),
			 errdetail_internal("%s", trap_detail(err))));
}

/*
 * A call stopped by sf_request_interrupt.  PostgreSQL reports the reason
 * itself (statement timeout, cancel request, termination); if the pending
 * interrupt was already consumed, fall back to a plain cancel error.
 */
void
slackfuel_interrupted(const char *fname)
{
	CHECK_FOR_INTERRUPTS();
	ereport(ERROR,
			(errcode(ERRCODE_QUERY_CANCELED),
			 errmsg("wasm function \"%s\" was interrupted", fname)));
}
