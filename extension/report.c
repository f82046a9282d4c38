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
slackfuel_report_imports(const char *fname, const sf_import_desc *d, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
			 errmsg("wasm module of function \"%s\" imports \"%.*s\" \"%.*s\", which slackfuel does not provide",
					fname, (int) d->module_len, d->module, (int) d->name_len, d->name),
			 errdetail("%s.", why),
			 errhint("Modules may import from \"%s\" and \"slackfuel:host/api\" (docs/host.md).",
					 SF_WASI_MODULE)));
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
 * (index and name, when known); add the last line the program wrote to
 * stderr, if it wrote one.  Where it was is in the backtrace (CONTEXT).
 */
static char *
trap_detail(const sf_error *err, const char *last)
{
	const char *what = err->msg[0] ? err->msg : sf_trap_message(err->trap);
	char	   *d;

	d = psprintf("Trap: %s.", what);
	if (last != NULL)
		d = psprintf("%s\nThe last line on stderr: %s", d, last);
	return d;
}

/*
 * The wasm call stack of a trap as a CONTEXT line, innermost first:
 * "wasm backtrace: #0 func 3 "name" at 0x1a2, #1 func 0 at 0x40" (the
 * function's index, its name from the name section, the byte offset in
 * the module).  None when the engine found no frames: out of fuel or an
 * interrupt noticed when the call returned.
 */
static int
backtrace_context(const sf_error *err)
{
	size_t		len;
	char	   *bt;

	if (err->nframes == 0)
		return 0;
	len = sf_backtrace_format(err, NULL, 0);
	bt = palloc(len + 1);
	sf_backtrace_format(err, bt, len + 1);
	return errcontext("wasm backtrace: %s", bt);
}

/* The last complete line of 'tail', or NULL. */
static char *
last_line(const char *tail)
{
	const char *end,
			   *start;

	if (tail == NULL || (end = strrchr(tail, '\n')) == NULL)
		return NULL;
	start = end;
	while (start > tail && start[-1] != '\n')
		start--;
	return pnstrdup(start, end - start);
}

/*
 * A Rust panic: the panic hook wrote "thread 'NAME' panicked at 'MESSAGE',
 * FILE:LINE:COL" to stderr (Rust up to 1.72; from 1.73 "panicked at
 * FILE:LINE:COL:" and the message on the lines after), then the program
 * aborted with unreachable.  Returns the message and sets *where, or NULL.
 */
static char *
rust_panic(const char *tail, char **where)
{
	const char *p = NULL,
			   *q;
	const char *mark = "' panicked at ";

	for (q = tail; q && (q = strstr(q, mark)) != NULL; q += strlen(mark))
		p = q;
	if (p == NULL)
		return NULL;
	p += strlen(mark);
	if (*p == '\'')
	{
		const char *nl = strchr(p, '\n');
		const char *sep;

		if (nl == NULL)
			return NULL;
		for (sep = nl; sep > p && strncmp(sep, "', ", 3) != 0; sep--)
			;
		if (sep == p)
			return NULL;
		*where = pnstrdup(sep + 3, nl - sep - 3);
		return pnstrdup(p + 1, sep - p - 1);
	}
	else
	{
		const char *nl = strchr(p, '\n');
		const char *msg_end;

		if (nl == NULL || nl == p || nl[-1] != ':')
			return NULL;
		*where = pnstrdup(p, nl - p - 1);
		msg_end = strstr(nl + 1, "\nnote: ");
		if (msg_end == NULL)
			msg_end = nl + 1 + strlen(nl + 1);
		while (msg_end > nl + 1 && msg_end[-1] == '\n')
			msg_end--;
		return pnstrdup(nl + 1, msg_end - nl - 1);
	}
}

void
slackfuel_report_trap(const char *fname, const slackfuel_outcome *out,
					  const char *stderr_tail)
{
	const sf_error *err = &out->err;
	char	   *panic,
			   *where = NULL;

	if (err->status == SF_TRAP && err->trap == SF_TRAP_OUT_OF_FUEL)
	{
		const char *capped = slackfuel_fuel_limit_capped();

		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("wasm function \"%s\" ran out of fuel", fname),
				 capped == NULL ?
				 errdetail("Fuel consumed %llu of limit %llu.",
						   (unsigned long long) out->consumed,
						   (unsigned long long) out->limit) :
				 errdetail("Fuel consumed %llu of limit %llu: slackfuel.fuel_limit (%s) capped by slackfuel.fuel_limit_ceiling.",
						   (unsigned long long) out->consumed,
						   (unsigned long long) out->limit, capped),
				 errhint("Raise slackfuel.fuel_limit (within slackfuel.fuel_limit_ceiling) if the function needs more."),
				 backtrace_context(err)));
	}
	if (err->status != SF_TRAP)
		slackfuel_report_status(fname, "run", err);
	if (err->trap == SF_TRAP_INTERRUPTED)
		slackfuel_interrupted(fname);
	if (err->trap == SF_TRAP_EXIT)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("wasm function \"%s\" exited with code %d", fname, err->exit_code),
				 last_line(stderr_tail) ?
				 errdetail("The last line on stderr: %s", last_line(stderr_tail)) : 0));
	if (err->trap == SF_TRAP_UNREACHABLE &&
		(panic = rust_panic(stderr_tail, &where)) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("wasm function \"%s\" panicked: %s", fname, panic),
				 errdetail_internal("Panicked at %s. %s", where, trap_detail(err, NULL)),
				 backtrace_context(err)));
	ereport(ERROR,
			(errcode(trap_sqlstate(err->trap)),
			 errmsg("wasm function \"%s\" trapped: %s", fname,
					sf_trap_message(err->trap)),
			 errdetail_internal("%s", trap_detail(err, last_line(stderr_tail))),
			 backtrace_context(err)));
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
