/*
 * modules.c -- named modules: a WebAssembly module stored once, in the
 * table slackfuel.modules, and shared by the functions that refer to it
 * with the body 'module:export'.
 *
 * SQL: slackfuel_install_module (create or replace), slackfuel_drop_module,
 * slackfuel_grant_module / slackfuel_revoke_module (USAGE),
 * slackfuel_create_functions (a function per export of a component), and
 * slackfuel_module_cache() (what this backend has compiled).  On a Citus
 * coordinator the module changes reach every worker (citus.c).
 *
 * A module belongs to the role that installed it; others may refer to it
 * once granted USAGE, checked against the owner of each function when the
 * function is created and whenever it is loaded.  The table is an
 * extension configuration table, so pg_dump dumps its rows.  Functions
 * written to it go through SPI as the table's owner, after the checks here
 * (the table is not writable by others).
 *
 * Per backend, a module is compiled once per fuel mode (an entry of
 * 'mod_cache'; its code counts once against slackfuel.max_backend_memory),
 * and instantiated once per role and limits (a slackfuel_inst that the
 * functions' instances are views of, cache.c): every function of the
 * module called by that role shares its memory and globals, as in one
 * program, and the budget evicts that instance as a whole.  Writing the table
 * broadcasts a relcache invalidation of it; on it, every function over a
 * named module is marked stale (cache.c) and every module entry is
 * rechecked at its next use: if its row changed it is compiled again and
 * its instances dropped; if not (e.g. VACUUM sent the invalidation) it and
 * its instances stay.
 *
 * Module DDL takes EXCLUSIVE lock on the table and creating a function over
 * a module ROW SHARE, so a module cannot be dropped or replaced under a
 * function being created; calls read it with ACCESS SHARE and are never
 * blocked by them.
 */
#include "postgres.h"

#include <ctype.h>

#include "access/detoast.h"
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/proclang.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "plwasm.h"

PG_FUNCTION_INFO_V1(slackfuel_install_module);
PG_FUNCTION_INFO_V1(slackfuel_drop_module);
PG_FUNCTION_INFO_V1(slackfuel_grant_module);
PG_FUNCTION_INFO_V1(slackfuel_revoke_module);
PG_FUNCTION_INFO_V1(slackfuel_module_cache);
PG_FUNCTION_INFO_V1(slackfuel_create_functions);

/* Columns of slackfuel.modules (sql/slackfuel--0.1--0.2.sql). */
#define Anum_modules_name 1
#define Anum_modules_owner 2
#define Anum_modules_acl 3
#define Anum_modules_size 4
#define Anum_modules_sha256 5
#define Anum_modules_installed 6
#define Anum_modules_bytes 7

#define MODULE_NAME_MAX (NAMEDATALEN - 1)
#define MODREF_MAX 65536		/* longest body read as a reference */

typedef struct mod_key
{
	char		name[NAMEDATALEN];	/* zero-padded */
	sf_fuel_mode mode;
} mod_key;

/* A module compiled in one fuel mode; hash entries are never freed. */
struct slackfuel_mod
{
	mod_key		key;
	bool		valid;			/* 'module' compiled from the row below */
	bool		recheck;		/* the table changed: compare the row first */
	TransactionId xmin;
	ItemPointerData tid;
	sf_module  *module;
	sf_component *component;	/* when the module is a component */
	uint64		code_bytes;		/* held in the backend's budget */
	slackfuel_inst *instances;	/* one per role (and limits) */
	int64		compiles;		/* times compiled in this backend */
	int			nfuncs;			/* function cache entries using it */
};

static HTAB *mod_cache;

/*
 * What would be freed while host functions run SQL (slackfuel_pins > 0),
 * when calls below them may still use it; freed at the next safe point
 * (slackfuel_modules_free_doomed, from cache.c).
 */
typedef struct doomed_module
{
	struct doomed_module *next;
	sf_module  *module;
	sf_component *component;
} doomed_module;

static doomed_module *doomed_modules;
static Oid	modules_relid = InvalidOid; /* known once the table was opened */
static bool any_recheck;

/* --- The body syntax ----------------------------------------------------- */

static bool
module_name_char(char c, bool first)
{
	return isalpha((unsigned char) c) || c == '_' ||
		(!first && (isdigit((unsigned char) c) || c == '.' || c == '-'));
}

static bool
module_name_ok(const char *name, size_t len)
{
	if (len == 0 || len > MODULE_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!module_name_char(name[i], i == 0))
			return false;
	return true;
}

/*
 * A function body referring to a named module: 'module:export', with
 * surrounding white space allowed.  A module name starts with a letter or
 * an underscore and continues with letters, digits, '_', '.' and '-'; the
 * export is the rest up to the end, without white space.  A body longer
 * than MODREF_MAX is never a reference (module bodies can be megabytes of
 * hex, which finding a module's users need not read).  WebAssembly text
 * starts with '(' or a comment and hex with "\x", so neither can be taken
 * for a reference.  Fills 'modname' (NAMEDATALEN) and 'export' (palloc'd).
 */
bool
slackfuel_modref_parse(const char *src, char *modname, char **export)
{
	const char *p = src;
	const char *colon;
	const char *end;

	if (strnlen(src, MODREF_MAX + 1) > MODREF_MAX)
		return false;
	while (isspace((unsigned char) *p))
		p++;
	colon = p;
	while (*colon && module_name_char(*colon, colon == p))
		colon++;
	if (*colon != ':' || !module_name_ok(p, colon - p))
		return false;
	end = colon + 1;
	while (*end && !isspace((unsigned char) *end))
		end++;
	if (end == colon + 1)
		return false;
	for (const char *q = end; *q; q++)
		if (!isspace((unsigned char) *q))
			return false;
	memset(modname, 0, NAMEDATALEN);
	memcpy(modname, p, colon - p);
	*export = pnstrdup(colon + 1, end - colon - 1);
	return true;
}

/* --- The table ----------------------------------------------------------- */

static Oid
modules_table(void)
{
	Oid			nsp = get_namespace_oid("slackfuel", true);
	Oid			relid = OidIsValid(nsp) ? get_relname_relid("modules", nsp) : InvalidOid;

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("named modules need version 0.2 of the slackfuel extension"),
				 errhint("Run ALTER EXTENSION slackfuel UPDATE.")));
	modules_relid = relid;
	return relid;
}

/* A module's row, copied, or NULL; 'rel' is open. */
static HeapTuple
module_row(Relation rel, const char *name)
{
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	Snapshot	snap = RegisterSnapshot(GetLatestSnapshot());
	List	   *indexes = RelationGetIndexList(rel);

	ScanKeyInit(&key, Anum_modules_name, BTEqualStrategyNumber, F_TEXTEQ,
				CStringGetTextDatum(name));
	scan = systable_beginscan(rel, linitial_oid(indexes), true, snap, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
		tup = heap_copytuple(tup);
	systable_endscan(scan);
	UnregisterSnapshot(snap);
	return tup;
}

static void
module_missing(const char *name)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("wasm module \"%s\" does not exist", name),
			 errhint("Install it with slackfuel_install_module(name, bytes).")));
}

static Oid
row_owner(Relation rel, HeapTuple tup)
{
	bool		isnull;

	return DatumGetObjectId(heap_getattr(tup, Anum_modules_owner,
										 RelationGetDescr(rel), &isnull));
}

static Acl *
row_acl(Relation rel, HeapTuple tup)
{
	bool		isnull;
	Datum		d = heap_getattr(tup, Anum_modules_acl, RelationGetDescr(rel), &isnull);

	return isnull ? NULL : DatumGetAclPCopy(d);
}

/* May 'role' use (refer to) the module?  Its owner, a grantee or a superuser. */
static bool
may_use(Oid role, Oid owner, Acl *acl)
{
	return superuser_arg(role) || has_privs_of_role(role, owner) ||
		(acl != NULL && aclmask(acl, role, owner, ACL_USAGE, ACLMASK_ANY) != 0);
}

static void
check_use(Relation rel, HeapTuple tup, const char *name, Oid role)
{
	if (!may_use(role, row_owner(rel, tup), row_acl(rel, tup)))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for wasm module \"%s\"", name),
				 errdetail("Role \"%s\" has no USAGE on it.", GetUserNameFromId(role, false)),
				 errhint("Its owner can run slackfuel_grant_module('%s', role).", name)));
}

static void
check_owner(Relation rel, HeapTuple tup, const char *name)
{
	if (!superuser() && !has_privs_of_role(GetUserId(), row_owner(rel, tup)))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("must be owner of wasm module \"%s\"", name)));
}

/* --- The cache ----------------------------------------------------------- */

static void
invalidate_modules(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS seq;
	slackfuel_mod *mod;

	if (OidIsValid(relid) && relid != modules_relid)
		return;
	if (!OidIsValid(modules_relid))
		return;					/* nothing was read from the table yet */
	modules_relid = InvalidOid; /* found again: the table may be new */
	hash_seq_init(&seq, mod_cache);
	while ((mod = hash_seq_search(&seq)) != NULL)
		mod->recheck = true;
	any_recheck = true;
	slackfuel_cache_stale_shared();
}

void
slackfuel_modules_init(void)
{
	HASHCTL		ctl;

	ctl.keysize = sizeof(mod_key);
	ctl.entrysize = sizeof(slackfuel_mod);
	mod_cache = hash_create("slackfuel modules", 16, &ctl, HASH_ELEM | HASH_BLOBS);
	CacheRegisterRelcacheCallback(invalidate_modules, (Datum) 0);
}

static void
module_free(sf_module *m, sf_component *c)
{
	doomed_module *d;

	if (slackfuel_pins == 0)
	{
		if (m)
			sf_module_free(m);
		sf_component_free(c);
		return;
	}
	/* without memory for the list, leak them rather than free them in use */
	if ((d = malloc(sizeof(doomed_module))) != NULL)
	{
		d->module = m;
		d->component = c;
		d->next = doomed_modules;
		doomed_modules = d;
	}
}

void
slackfuel_modules_free_doomed(void)
{
	while (doomed_modules)
	{
		doomed_module *next = doomed_modules->next;

		module_free(doomed_modules->module, doomed_modules->component);
		free(doomed_modules);
		doomed_modules = next;
	}
}

/* Drop 'mod''s compiled module and instances (no function uses them). */
static void
mod_release(slackfuel_mod *mod)
{
	while (mod->instances)
		slackfuel_inst_drop(mod->instances);
	module_free(mod->module, mod->component);
	if (mod->code_bytes)
		sf_budget_give(slackfuel_budget(), mod->code_bytes);
	mod->code_bytes = 0;
	mod->module = NULL;
	mod->component = NULL;
	mod->valid = false;
	slackfuel_epoch_bump();
}

static bool
row_is(slackfuel_mod *mod, HeapTuple tup)
{
	return HeapTupleIsValid(tup) &&
		mod->xmin == HeapTupleHeaderGetRawXmin(tup->t_data) &&
		ItemPointerEquals(&mod->tid, &tup->t_self);
}

/*
 * Entries whose row may have changed: keep those whose row is the same,
 * drop the others.  Called with no function using them (every function over
 * a named module was marked stale by the invalidation and is freed before
 * any lookup).
 */
static void
recheck_all(Relation rel)
{
	HASH_SEQ_STATUS seq;
	slackfuel_mod *mod;

	if (!any_recheck)
		return;
	hash_seq_init(&seq, mod_cache);
	while ((mod = hash_seq_search(&seq)) != NULL)
	{
		if (!mod->recheck)
			continue;
		mod->recheck = false;
		if (mod->valid && !row_is(mod, module_row(rel, mod->key.name)))
			mod_release(mod);
	}
	any_recheck = false;
}

/* The module of a row, decoded and validated (not compiled), into 'b'. */
static sf_module *
row_module(Relation rel, HeapTuple tup, const char *fname, sf_fuel_mode mode,
		   slackfuel_build *b)
{
	bool		isnull;
	bytea	   *bytes = DatumGetByteaPP(heap_getattr(tup, Anum_modules_bytes,
													 RelationGetDescr(rel), &isnull));

	return slackfuel_module_load_bytes(fname, (const uint8 *) VARDATA_ANY(bytes),
									   VARSIZE_ANY_EXHDR(bytes), mode, b);
}

/*
 * The module 'name' compiled in 'mode', for function 'fname' owned by
 * 'owner', who must have USAGE on it.  At CREATE FUNCTION ('creating'), the
 * table is locked so that the module cannot be dropped or replaced before
 * the function is committed.  Sets '*modp' to the cache entry; the module
 * belongs to it.  A compile is counted in 'st' (the statistics of the
 * function whose call needed it, or NULL) and written to the perf map
 * under the module's name.
 */
sf_module *
slackfuel_mod_get(const char *fname, const char *name, Oid owner,
				  sf_fuel_mode mode, bool creating, slackfuel_fstats *st,
				  slackfuel_mod **modp, const sf_component **comp)
{
	Relation	rel = table_open(modules_table(), creating ? RowShareLock : AccessShareLock);
	HeapTuple	tup;
	mod_key		key;
	slackfuel_mod *mod;
	bool		found;

	recheck_all(rel);
	tup = module_row(rel, name);
	if (!HeapTupleIsValid(tup))
		module_missing(name);
	check_use(rel, tup, name, owner);
	memset(&key, 0, sizeof(key));
	strlcpy(key.name, name, NAMEDATALEN);
	key.mode = mode;
	mod = hash_search(mod_cache, &key, HASH_ENTER, &found);
	if (!found)
		memset((char *) mod + sizeof(key), 0, sizeof(*mod) - sizeof(key));
	if (mod->valid && !row_is(mod, tup))
		mod_release(mod);
	if (!mod->valid)
	{
		slackfuel_build *b = slackfuel_build_new();

		row_module(rel, tup, fname, mode, b);
		slackfuel_module_compile(fname, b->module);
		mod->code_bytes = slackfuel_take_code(fname, b->module);
		slackfuel_stats_compiled(st, b->module);
		slackfuel_module_profile(name, b->module);
		mod->module = b->module;	/* nothing below can fail */
		mod->component = b->component;
		b->module = NULL;
		b->component = NULL;
		mod->xmin = HeapTupleHeaderGetRawXmin(tup->t_data);
		mod->tid = tup->t_self;
		mod->compiles++;
		mod->valid = true;
	}
	mod->recheck = false;
	table_close(rel, NoLock);
	*modp = mod;
	*comp = mod->component;
	return mod->module;
}

void
slackfuel_mod_used(slackfuel_mod *mod, int delta)
{
	mod->nfuncs += delta;
}

/*
 * The current role's instance of 'mod' with these limits, created if
 * needed (its start function runs); an instance of the role with other
 * limits is dropped first.
 */
slackfuel_inst *
slackfuel_mod_instance(const char *fname, slackfuel_mod *mod, uint64 max_memory,
					   uint64 max_stack)
{
	Oid			user = GetUserId();
	slackfuel_inst *inst;

	for (inst = mod->instances; inst != NULL; inst = inst->next)
	{
		if (inst->userid != user)
			continue;
		if (inst->max_memory == max_memory && inst->max_stack == max_stack)
			return inst;
		slackfuel_inst_drop(inst);
		break;
	}
	inst = slackfuel_inst_create(fname, mod->module, max_memory, max_stack);
	inst->mod = mod;
	inst->list = &mod->instances;
	inst->next = mod->instances;
	mod->instances = inst;
	return inst;
}

/* --- Writing the table --------------------------------------------------- */

/*
 * Run 'sql' with 'nargs' parameters as the owner of the table: the checks
 * were made as the caller.
 */
static void
run_as_owner(Relation rel, const char *sql, int nargs, Oid *types,
			 Datum *values, int expect)
{
	Oid			save_user;
	int			save_sec;
	int			rc;

	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(rel->rd_rel->relowner,
						   save_sec | SECURITY_LOCAL_USERID_CHANGE);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	rc = SPI_execute_with_args(sql, nargs, types, values, NULL, false, 0);
	if (rc != expect)
		elog(ERROR, "slackfuel.modules: \"%s\" gave %d", sql, rc);
	SPI_finish();
	SetUserIdAndSecContext(save_user, save_sec);
	/* Every backend rechecks its modules (and this one at the next command). */
	CacheInvalidateRelcacheByRelid(RelationGetRelid(rel));
}

static Relation
open_for_ddl(void)
{
	return table_open(modules_table(), ExclusiveLock);
}

static char *
text_arg(FunctionCallInfo fcinfo, int i, const char *what)
{
	if (PG_ARGISNULL(i))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", what)));
	return text_to_cstring(PG_GETARG_TEXT_PP(i));
}

static char *
name_arg(FunctionCallInfo fcinfo, int i)
{
	char	   *name = text_arg(fcinfo, i, "module name");

	if (!module_name_ok(name, strlen(name)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("invalid wasm module name \"%s\"", name),
				 errdetail("A module name has 1 to %d characters: a letter or '_', then letters, digits, '_', '.' or '-'.",
						   MODULE_NAME_MAX)));
	return name;
}

/* The wasm functions of this database whose body refers to 'name'. */
static List *
functions_using(const char *name)
{
	Oid			lang = get_language_oid("wasm", false);
	Relation	rel = table_open(ProcedureRelationId, AccessShareLock);
	Snapshot	snap = RegisterSnapshot(GetLatestSnapshot());
	SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, snap, 0, NULL);
	List	   *oids = NIL;
	HeapTuple	tup;

	while ((tup = systable_getnext(scan)) != NULL)
	{
		Form_pg_proc p = (Form_pg_proc) GETSTRUCT(tup);
		char		modname[NAMEDATALEN];
		char	   *export;
		bool		isnull;
		Datum		src;

		if (p->prolang != lang)
			continue;
		src = heap_getattr(tup, Anum_pg_proc_prosrc, RelationGetDescr(rel), &isnull);
		if (!isnull && toast_raw_datum_size(src) - VARHDRSZ <= MODREF_MAX &&
			slackfuel_modref_parse(TextDatumGetCString(src), modname, &export) &&
			strcmp(modname, name) == 0)
			oids = lappend_oid(oids, p->oid);
	}
	systable_endscan(scan);
	UnregisterSnapshot(snap);
	table_close(rel, AccessShareLock);
	return oids;
}

static int
cmp_names(const ListCell *a, const ListCell *b)
{
	return strcmp(lfirst(a), lfirst(b));
}

/* The functions' names, sorted, up to ten. */
static char *
function_list(List *oids)
{
	StringInfoData s;
	ListCell   *lc;
	List	   *names = NIL;
	int			n = 0;

	foreach(lc, oids)
		names = lappend(names, format_procedure(lfirst_oid(lc)));
	list_sort(names, cmp_names);
	initStringInfo(&s);
	foreach(lc, names)
	{
		if (n++ == 10)
		{
			appendStringInfo(&s, " and %d more", list_length(names) - 10);
			break;
		}
		appendStringInfo(&s, "%s%s", n > 1 ? ", " : "", (char *) lfirst(lc));
	}
	return s.data;
}

static void
install_error_context(void *arg)
{
	errcontext("installing wasm module \"%s\"", (const char *) arg);
}

typedef struct replace_context
{
	const char *module;
	Oid			func;
} replace_context;

static void
replace_error_context(void *arg)
{
	replace_context *rc = arg;

	if (OidIsValid(rc->func))
		errcontext("checking function %s against the new wasm module \"%s\"",
				   format_procedure(rc->func), rc->module);
}

/*
 * A replacement must still serve the functions that use the module: each
 * export they call, with the type their signature needs.
 */
static void
check_users(const char *name, List *oids, sf_module *m, const sf_component *comp)
{
	replace_context rc = {name, InvalidOid};
	ErrorContextCallback cb = {error_context_stack, replace_error_context, &rc};
	ListCell   *lc;

	error_context_stack = &cb;
	foreach(lc, oids)
	{
		HeapTuple	tup;
		char		modname[NAMEDATALEN];
		char	   *export;
		slackfuel_sig *sig;
		sf_export_desc d;

		rc.func = lfirst_oid(lc);
		tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(rc.func));
		if (!HeapTupleIsValid(tup))
			continue;			/* dropped meanwhile */
		sig = slackfuel_check_proc(tup);
		slackfuel_modref_parse(slackfuel_prosrc(tup), modname, &export);
		slackfuel_check_module(NameStr(((Form_pg_proc) GETSTRUCT(tup))->proname),
							   sig, m, comp, export, &d);
		ReleaseSysCache(tup);
	}
	error_context_stack = cb.previous;
}

/* WebAssembly text, converted; anything else is taken as the binary. */
static bytea *
module_binary(const char *name, bytea *module)
{
	const char *p = VARDATA_ANY(module);
	size_t		len = VARSIZE_ANY_EXHDR(module);
	size_t		i = 0;
	uint8	   *out = NULL;
	size_t		outlen;
	sf_error	err;
	bytea	   *res;

	while (i < len && isspace((unsigned char) p[i]))
		i++;
	if (i == len || (p[i] != '(' && p[i] != ';'))
		return module;
	if (sf_wat_to_wasm(p, len, &out, &outlen, &err) != SF_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid WebAssembly text for wasm module \"%s\"", name),
				 errdetail("%s", err.msg)));
	res = palloc(VARHDRSZ + outlen);
	SET_VARSIZE(res, VARHDRSZ + outlen);
	memcpy(VARDATA(res), out, outlen);
	free(out);
	return res;
}

/*
 * slackfuel_install_module(name text, module bytea, replace boolean)
 *
 * Stores a module (the binary, or WebAssembly text) under 'name', owned by
 * the caller, after validating it.  An existing module is replaced only
 * with 'replace', by its owner, and only if every function using it still
 * finds its export with the right type; those functions use the new module
 * from their next call, in every backend.
 */
Datum
slackfuel_install_module(PG_FUNCTION_ARGS)
{
	char	   *name = name_arg(fcinfo, 0);
	bytea	   *module;
	bool		replace = !PG_ARGISNULL(2) && PG_GETARG_BOOL(2);
	Relation	rel;
	HeapTuple	old;
	slackfuel_build *b;
	AclResult	aclresult;
	Oid			lang = get_language_oid("wasm", false);

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("module must not be null")));
	aclresult = pg_language_aclcheck(lang, GetUserId(), ACL_USAGE);
	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, OBJECT_LANGUAGE, "wasm");
	module = module_binary(name, PG_GETARG_BYTEA_PP(1));

	rel = open_for_ddl();
	b = slackfuel_build_new();
	{
		ErrorContextCallback cb = {error_context_stack, install_error_context, name};

		error_context_stack = &cb;
		slackfuel_module_load_bytes(name, (const uint8 *) VARDATA_ANY(module),
									VARSIZE_ANY_EXHDR(module), slackfuel_fuel_mode(), b);
		error_context_stack = cb.previous;
	}
	old = module_row(rel, name);
	if (HeapTupleIsValid(old))
	{
		if (!replace)
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_OBJECT),
					 errmsg("wasm module \"%s\" already exists", name),
					 errhint("Pass replace => true to replace it.")));
		check_owner(rel, old, name);
		check_users(name, functions_using(name), b->module, b->component);
		{
			Oid			types[2] = {TEXTOID, BYTEAOID};
			Datum		values[2] = {CStringGetTextDatum(name), PointerGetDatum(module)};

			run_as_owner(rel,
						 "UPDATE slackfuel.modules SET bytes = $2, size = octet_length($2),"
						 " sha256 = pg_catalog.sha256($2), installed = now() WHERE name = $1",
						 2, types, values, SPI_OK_UPDATE);
		}
	}
	else
	{
		Oid			types[3] = {TEXTOID, OIDOID, BYTEAOID};
		Datum		values[3] = {CStringGetTextDatum(name),
		ObjectIdGetDatum(GetUserId()), PointerGetDatum(module)};

		run_as_owner(rel,
					 "INSERT INTO slackfuel.modules (name, owner, size, sha256, bytes)"
					 " VALUES ($1, $2, octet_length($3), pg_catalog.sha256($3), $3)",
					 3, types, values, SPI_OK_INSERT);
	}
	slackfuel_build_done(b);
	table_close(rel, NoLock);
	slackfuel_citus_propagate(fcinfo);
	PG_RETURN_VOID();
}

/*
 * slackfuel_drop_module(name text, if_exists boolean)
 *
 * Removes a module; refused while functions use it (they are named), as
 * DROP refuses to drop what others depend on.
 */
Datum
slackfuel_drop_module(PG_FUNCTION_ARGS)
{
	char	   *name = name_arg(fcinfo, 0);
	bool		if_exists = !PG_ARGISNULL(1) && PG_GETARG_BOOL(1);
	Relation	rel = open_for_ddl();
	HeapTuple	tup = module_row(rel, name);
	List	   *users;
	Oid			types[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(name)};

	if (!HeapTupleIsValid(tup))
	{
		if (!if_exists)
			module_missing(name);
		ereport(NOTICE,
				(errmsg("wasm module \"%s\" does not exist, skipping", name)));
		table_close(rel, NoLock);
		slackfuel_citus_propagate(fcinfo);
		PG_RETURN_VOID();
	}
	check_owner(rel, tup, name);
	users = functions_using(name);
	if (users != NIL)
		ereport(ERROR,
				(errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
				 errmsg("cannot drop wasm module \"%s\" because functions use it", name),
				 errdetail("Used by %s.", function_list(users)),
				 errhint("Drop those functions first, or replace the module instead.")));
	run_as_owner(rel, "DELETE FROM slackfuel.modules WHERE name = $1",
				 1, types, values, SPI_OK_DELETE);
	table_close(rel, NoLock);
	slackfuel_citus_propagate(fcinfo);
	PG_RETURN_VOID();
}

/* USAGE for 'grantee' (a role name, or PUBLIC) added or removed. */
static void
change_grant(FunctionCallInfo fcinfo, bool grant)
{
	char	   *name = name_arg(fcinfo, 0);
	char	   *grantee_name = text_arg(fcinfo, 1, "grantee");
	Oid			grantee = pg_strcasecmp(grantee_name, "public") == 0 ?
		ACL_ID_PUBLIC : get_role_oid(grantee_name, false);
	Relation	rel = open_for_ddl();
	HeapTuple	tup = module_row(rel, name);
	Oid			owner;
	Acl		   *acl;
	AclItem		item;
	Oid			types[2] = {TEXTOID, ACLITEMARRAYOID};
	Datum		values[2];

	if (!HeapTupleIsValid(tup))
		module_missing(name);
	check_owner(rel, tup, name);
	owner = row_owner(rel, tup);
	acl = row_acl(rel, tup);
	if (acl == NULL)
		acl = make_empty_acl();
	item.ai_grantee = grantee;
	item.ai_grantor = owner;
	ACLITEM_SET_PRIVS_GOPTIONS(item, ACL_USAGE, ACL_NO_RIGHTS);
	acl = aclupdate(acl, &item, grant ? ACL_MODECHG_ADD : ACL_MODECHG_DEL,
					owner, DROP_RESTRICT);
	values[0] = CStringGetTextDatum(name);
	values[1] = PointerGetDatum(acl);
	run_as_owner(rel, "UPDATE slackfuel.modules SET acl = $2 WHERE name = $1",
				 2, types, values, SPI_OK_UPDATE);
	table_close(rel, NoLock);
	slackfuel_citus_propagate(fcinfo);
}

/* slackfuel_grant_module(name text, grantee text): USAGE on the module. */
Datum
slackfuel_grant_module(PG_FUNCTION_ARGS)
{
	change_grant(fcinfo, true);
	PG_RETURN_VOID();
}

/*
 * slackfuel_revoke_module(name text, grantee text).  Functions the grantee
 * created keep their definition but fail to load until granted again.
 */
Datum
slackfuel_revoke_module(PG_FUNCTION_ARGS)
{
	change_grant(fcinfo, false);
	PG_RETURN_VOID();
}

/*
 * slackfuel_module_cache(): the modules this backend has compiled, with how
 * many times, and the functions and instances sharing each.
 */
Datum
slackfuel_module_cache(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	HASH_SEQ_STATUS seq;
	slackfuel_mod *mod;

	InitMaterializedSRF(fcinfo, 0);
	hash_seq_init(&seq, mod_cache);
	while ((mod = hash_seq_search(&seq)) != NULL)
	{
		Datum		values[5];
		bool		nulls[5] = {false};
		int			ninst = 0;

		if (mod->compiles == 0)
			continue;
		for (slackfuel_inst *i = mod->instances; i; i = i->next)
			ninst++;
		values[0] = CStringGetTextDatum(mod->key.name);
		values[1] = CStringGetTextDatum(mod->key.mode == SF_FUEL_OFF ? "off" :
										mod->key.mode == SF_FUEL_PRECISE ? "precise" : "slacked");
		values[2] = Int64GetDatum(mod->compiles);
		values[3] = Int32GetDatum(mod->valid ? mod->nfuncs : 0);
		values[4] = Int32GetDatum(mod->valid ? ninst : 0);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * The SQL type a WIT type maps to: the inverse of the type table's mapping
 * (types.c, docs/types.md) for what needs no SQL type created first --
 * primitives (string is text, u32 is oid), list<u8> as bytea, other lists
 * as arrays.  NULL when there is none.  The function created is checked
 * against types.c when it is created, so the two cannot disagree
 * unnoticed.
 */
static const char *
sql_type_of(const sf_wit_type *t)
{
	static const struct
	{
		sf_wit_kind wit;
		const char *sql;
	}			map[] = {
		{SF_WIT_BOOL, "boolean"}, {SF_WIT_S16, "smallint"}, {SF_WIT_S32, "integer"},
		{SF_WIT_S64, "bigint"}, {SF_WIT_F32, "real"}, {SF_WIT_F64, "double precision"},
		{SF_WIT_STRING, "text"}, {SF_WIT_U32, "oid"},
	};
	const char *elem;

	if (t->kind == SF_WIT_LIST)
	{
		if (t->elem->kind == SF_WIT_U8)
			return "bytea";
		elem = t->elem->kind == SF_WIT_LIST ? NULL : sql_type_of(t->elem);
		return elem ? psprintf("%s[]", elem) : NULL;
	}
	for (size_t i = 0; i < lengthof(map); i++)
		if (t->kind == map[i].wit)
			return map[i].sql;
	return NULL;
}

/*
 * Whether a function type is that of a function that is not STRICT: every
 * parameter, and the result if any, an option (NULL is none).  Strips the
 * options into 'params' and '*result'.  False when none is an option (a
 * STRICT function); -1 when only some are, which no SQL function is.
 */
static int
nullable_func(const sf_wit_func *f, const sf_wit_type **params,
			  const sf_wit_type **result)
{
	int			options = 0;
	int			total = (int) f->nparams + (f->result ? 1 : 0);

	for (uint32 i = 0; i < f->nparams; i++)
	{
		params[i] = f->params[i].type;
		if (params[i]->kind == SF_WIT_OPTION)
		{
			params[i] = params[i]->elem;
			options++;
		}
	}
	*result = f->result;
	if (f->result && f->result->kind == SF_WIT_OPTION)
	{
		*result = f->result->elem;
		options++;
	}
	if (options == 0 || f->nparams == 0)
		return options == 0 ? 0 : -1;
	return options == total ? 1 : -1;
}

/* A WIT name (kebab-case) as a SQL identifier (snake_case), quoted. */
static const char *
sql_name(const char *wit)
{
	char	   *s = pstrdup(wit);

	for (char *p = s; *p; p++)
		if (*p == '-')
			*p = '_';
	return quote_identifier(s);
}

/*
 * The CREATE FUNCTION for export 'e' of component module 'module', or
 * NULL (with a WARNING saying why) when a type has no SQL equivalent.
 * Sets 'signature' to the function's name and argument types.
 */
static char *
create_statement(const char *module, const char *schema,
				 const sf_component_export *e, char **signature)
{
	StringInfoData sql;
	StringInfoData sig;
	const sf_wit_func *f = e->type;
	const sf_wit_type **params = palloc0(sizeof(*params) * (f->nparams + 1));
	const sf_wit_type *result;
	int			nullable = nullable_func(f, params, &result);
	const char *ret = result ? sql_type_of(result) : "void";
	char		wit[1024];

	if (nullable < 0)
		ret = NULL;
	sf_wit_print_func(e->name, f, wit, sizeof(wit));
	initStringInfo(&sql);
	initStringInfo(&sig);
	if (schema)
		appendStringInfo(&sig, "%s.", quote_identifier(schema));
	appendStringInfo(&sig, "%s(", sql_name(e->name));
	appendStringInfo(&sql, "CREATE FUNCTION %s", sig.data);
	for (uint32 i = 0; i < f->nparams; i++)
	{
		const char *t = sql_type_of(params[i]);

		if (t == NULL)
			ret = NULL;
		appendStringInfo(&sql, "%s%s %s", i ? ", " : "",
						 sql_name(f->params[i].name), t ? t : "?");
		appendStringInfo(&sig, "%s%s", i ? ", " : "", t ? t : "?");
	}
	appendStringInfoChar(&sig, ')');
	if (ret == NULL)
	{
		ereport(WARNING,
				(errmsg("export \"%s\" of wasm module \"%s\" skipped: no SQL signature maps to its WIT type",
						e->name, module),
				 errdetail("It is %s", wit),
				 errhint("Functions are created for bool, s16, s32, s64, f32, f64, u32, string and lists of them, all plain (STRICT) or all option<T> (not STRICT).")));
		return NULL;
	}
	appendStringInfo(&sql, ") RETURNS %s%s LANGUAGE wasm AS %s", ret,
					 f->nparams > 0 && !nullable ? " STRICT" : "",
					 quote_literal_cstr(psprintf("%s:%s", module, e->name)));
	*signature = sig.data;
	return sql.data;
}

/*
 * slackfuel_create_functions(module text, schema name DEFAULT NULL)
 *	RETURNS SETOF regprocedure
 *
 * One SQL function per function a component module exports, named after it
 * (kebab-case to snake_case), with the SQL types its WIT types map to, in
 * 'schema' or the current one: STRICT when it has plain arguments, not
 * STRICT when every argument and the result are options.  Exports with a
 * type no SQL type maps to are skipped with a WARNING.
 */
Datum
slackfuel_create_functions(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *name = name_arg(fcinfo, 0);
	const char *schema = PG_ARGISNULL(1) ? NULL : NameStr(*PG_GETARG_NAME(1));
	Relation	rel = table_open(modules_table(), RowShareLock);
	HeapTuple	tup = module_row(rel, name);
	slackfuel_build *b;
	const sf_component *c;

	if (!HeapTupleIsValid(tup))
		module_missing(name);
	check_use(rel, tup, name, GetUserId());
	b = slackfuel_build_new();
	row_module(rel, tup, name, slackfuel_fuel_mode(), b);
	c = b->component;
	if (c == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("wasm module \"%s\" is not a component", name),
				 errdetail("A core module's exports have no WIT types to derive SQL signatures from."),
				 errhint("Create its functions with CREATE FUNCTION ... LANGUAGE wasm AS '%s:export'.", name)));
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	for (uint32 i = 0; i < sf_component_num_exports(c); i++)
	{
		char	   *signature;
		char	   *sql = create_statement(name, schema, sf_component_export_at(c, i), &signature);
		Datum		value;
		bool		isnull = false;

		if (sql == NULL)
			continue;
		if (SPI_execute(sql, false, 0) != SPI_OK_UTILITY)
			elog(ERROR, "SPI_execute failed: %s", sql);
		value = DirectFunctionCall1(to_regprocedure, CStringGetTextDatum(signature));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &value, &isnull);
	}
	SPI_finish();
	slackfuel_build_done(b);
	table_close(rel, NoLock);
	return (Datum) 0;
}
