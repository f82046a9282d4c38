/*
 * citus.c -- named modules on every node of a Citus cluster.
 *
 * Every node reads its own slackfuel.modules.  On a Citus coordinator, a
 * module change (slackfuel_install_module, slackfuel_drop_module,
 * slackfuel_grant_module, slackfuel_revoke_module) makes the same call on
 * every worker that has Citus metadata, as the same user, after making it
 * locally: the calls are part of the coordinator's distributed
 * transaction, which Citus commits on every node with two-phase commit, or
 * rolls back everywhere.  That is how Citus propagates its own DDL (its
 * function SendCommandToWorkersWithMetadata, looked up in the citus library
 * at run time, so that slackfuel neither links against Citus nor needs
 * it).  On a worker the call applies to that node only, so nothing loops.
 *
 * Propagation follows citus.enable_ddl_propagation, as Citus' DDL does.
 * The Citus versions whose function is known (11.0 to 13.x) propagate; with
 * any other, a module change on the coordinator is refused rather than
 * left on one node.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"

#include "plwasm.h"

typedef void (*send_to_workers_fn) (const char *command);

/* Citus' installed version if this node is its coordinator, else NULL. */
static char *
coordinator_citus_version(void)
{
	MemoryContext caller = CurrentMemoryContext;
	char	   *version = NULL;
	int			rc;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	rc = SPI_execute("SELECT e.extversion,"
					 " (SELECT groupid FROM pg_catalog.pg_dist_local_group) = 0"
					 " FROM pg_catalog.pg_extension e WHERE e.extname = 'citus'",
					 true, 1);
	if (rc == SPI_OK_SELECT && SPI_processed == 1)
	{
		bool		isnull;
		Datum		coord = SPI_getbinval(SPI_tuptable->vals[0],
										  SPI_tuptable->tupdesc, 2, &isnull);

		if (!isnull && DatumGetBool(coord))
			version = MemoryContextStrdup(caller,
										  SPI_getvalue(SPI_tuptable->vals[0],
													   SPI_tuptable->tupdesc, 1));
	}
	SPI_finish();
	return version;
}

/* The call 'fcinfo' is making, as SQL with its arguments as literals. */
static char *
call_statement(FunctionCallInfo fcinfo)
{
	Oid			fn_oid = fcinfo->flinfo->fn_oid;
	Oid		   *argtypes;
	int			nargs;
	StringInfoData sql;

	get_func_signature(fn_oid, &argtypes, &nargs);
	initStringInfo(&sql);
	appendStringInfo(&sql, "SELECT %s.%s(",
					 quote_identifier(get_namespace_name(get_func_namespace(fn_oid))),
					 quote_identifier(get_func_name(fn_oid)));
	for (int i = 0; i < nargs && i < PG_NARGS(); i++)
	{
		if (i > 0)
			appendStringInfoString(&sql, ", ");
		if (PG_ARGISNULL(i))
			appendStringInfoString(&sql, "NULL");
		else
		{
			Oid			out;
			bool		varlena;

			getTypeOutputInfo(argtypes[i], &out, &varlena);
			appendStringInfoString(&sql,
								   quote_literal_cstr(OidOutputFunctionCall(out, PG_GETARG_DATUM(i))));
		}
		appendStringInfo(&sql, "::%s", format_type_be_qualified(argtypes[i]));
	}
	appendStringInfoChar(&sql, ')');
	return sql.data;
}

/*
 * After a module change made here by the call 'fcinfo': on a Citus
 * coordinator, make the same call on every worker, in this transaction.
 */
void
slackfuel_citus_propagate(FunctionCallInfo fcinfo)
{
	const char *ddl;
	char	   *version;
	int			major;
	send_to_workers_fn send;

	if (!OidIsValid(get_extension_oid("citus", true)))
		return;
	ddl = GetConfigOption("citus.enable_ddl_propagation", true, false);
	if (ddl == NULL || strcmp(ddl, "on") != 0)
		return;
	version = coordinator_citus_version();
	if (version == NULL)
		return;					/* a worker: this node only */
	major = atoi(version);
	if (major < 11 || major > 13)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("slackfuel cannot propagate wasm module changes with Citus %s", version),
				 errdetail("Named modules are propagated to the workers with Citus 11.0 to 13.x."),
				 errhint("SET citus.enable_ddl_propagation = off, then make the same call on every node.")));
	send = (send_to_workers_fn)
		load_external_function("$libdir/citus", "SendCommandToWorkersWithMetadata",
							   true, NULL);
	send(call_statement(fcinfo));
}
