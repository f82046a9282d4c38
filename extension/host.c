/*
 * host.c -- what a wasm module may import, and slackfuel:host/api.
 *
 * A module may import from two modules: the engine's WASI preview 1 subset
 * ("wasi_snapshot_preview1", callbacks in wasi.c) and slackfuel's own
 * interface "slackfuel:host/api" (docs/host.md), one table row per
 * function below: its canonical-ABI core type and its body.  Anything
 * else is refused when the function is created.
 *
 * The host side of an instance (slackfuel_host) holds its WASI process,
 * its SQL resources (sql.c) and the guest's cabi_realloc.
 *
 * Host functions run on top of JIT frames, which a longjmp must never
 * cross.  Every body therefore runs inside slackfuel_guard: a PostgreSQL
 * error is caught there and left on the error stack, the host function
 * returns failure, the engine unwinds the wasm frames through its trap
 * path, and the call path re-throws the error (call.c) with its SQLSTATE,
 * message, detail and context intact.  Nothing allocates between the catch
 * and the re-throw, so out of memory is caught like any other error.
 */
#include "postgres.h"

#include "access/xact.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/elog.h"
#include "utils/memutils.h"

#include "plwasm.h"

#define HOST_MODULE "slackfuel:host/api"

/* Messages, SQL text and type names from the guest: at most this long. */
#define MAX_HOST_STRING (1024 * 1024)

slackfuel_cx *slackfuel_sql_top;

/* One call of a host function. */
typedef struct hcall
{
	slackfuel_cx *cx;
	sf_ctx	   *ctx;
	const sf_val *args;
	sf_val	   *results;
	void		(*body) (struct hcall *hc);
} hcall;

static void log_body(hcall *hc);
static void raise_body(hcall *hc);
static void query_body(hcall *hc);
static void stmt_new_body(hcall *hc);
static void stmt_query_body(hcall *hc);
static void stmt_open_body(hcall *hc);
static void stmt_drop_body(hcall *hc);
static void rows_next_body(hcall *hc);
static void stmt_query_typed_body(hcall *hc);
static void stmt_row_type_body(hcall *hc);
static void rows_next_typed_body(hcall *hc);
static void rows_drop_body(hcall *hc);

/*
 * The functions of slackfuel:host/api: import name, core parameters and
 * results ("i" = i32), whether it hands lists to the guest (then the
 * module must export memory and cabi_realloc), and its body.
 */
#define HOST_FUNCS(X) \
	X(log,        "log",                      "iii",        "",  false, log_body) \
	X(raise,      "raise",                    "iiiiiiiiii", "",  false, raise_body) \
	X(query,      "query",                    "iiiiii",     "",  true,  query_body) \
	X(stmt_new,   "[constructor]statement",   "iiii",       "i", false, stmt_new_body) \
	X(stmt_query, "[method]statement.query",  "iiiii",      "",  true,  stmt_query_body) \
	X(stmt_open,  "[method]statement.open",   "iii",        "i", false, stmt_open_body) \
	X(stmt_drop,  "[resource-drop]statement", "i",          "",  false, stmt_drop_body) \
	X(rows_next,  "[method]rows.next",        "ii",         "",  true,  rows_next_body) \
	X(rows_drop,  "[resource-drop]rows",      "i",          "",  false, rows_drop_body) \
	X(stmt_query_typed, "[method]statement.query-typed", "iiiii", "", true, stmt_query_typed_body) \
	X(stmt_row_type, "[method]statement.row-type", "ii",    "",  true,  stmt_row_type_body) \
	X(rows_next_typed, "[method]rows.next-typed", "ii",     "",  true,  rows_next_typed_body)

enum
{
#define X_(id, name, params, results, realloc, body) H_##id,
	HOST_FUNCS(X_)
#undef X_
	NHOST
};

typedef struct host_row
{
	const char *name;
	const char *params;
	const char *results;
	bool		realloc;
	void		(*body) (hcall *hc);
} host_row;

static const host_row host_rows[NHOST] = {
#define X_(id, name, params, results, realloc, body) {name, params, results, realloc, body},
	HOST_FUNCS(X_)
#undef X_
};

struct slackfuel_host
{
	slackfuel_cx *cx;			/* the call running in the instance */
	sf_store   *store;
	slackfuel_wasi *wasi;		/* NULL unless the module imports WASI */
	slackfuel_sql *sql;			/* statements and cursors, on first use */
	sf_func    *realloc;		/* the guest's cabi_realloc, if exported */
	sf_func    *funcs[NHOST];	/* created on first import */
};

/* --- Import checks ------------------------------------------------------- */

static bool
name_is(const char *s, uint32 len, const char *name)
{
	return strlen(name) == len && memcmp(s, name, len) == 0;
}

static int
find_host_row(const sf_import_desc *d)
{
	if (!name_is(d->module, d->module_len, HOST_MODULE))
		return -1;
	for (int i = 0; i < NHOST; i++)
		if (name_is(d->name, d->name_len, host_rows[i].name))
			return i;
	return -1;
}

static void
row_functype(const host_row *r, sf_functype *ft, sf_valtype *params,
			 sf_valtype *results)
{
	ft->nparams = strlen(r->params);
	ft->nresults = strlen(r->results);
	for (uint32 i = 0; i < ft->nparams; i++)
		params[i] = SF_I32;
	results[0] = SF_I32;
	ft->params = params;
	ft->results = results;
}

static bool
functype_equal(const sf_functype *a, const sf_functype *b)
{
	if (a->nparams != b->nparams || a->nresults != b->nresults)
		return false;
	for (uint32 i = 0; i < a->nparams; i++)
		if (a->params[i] != b->params[i])
			return false;
	for (uint32 i = 0; i < a->nresults; i++)
		if (a->results[i] != b->results[i])
			return false;
	return true;
}

/*
 * Is 'd' an import slackfuel provides, of the right kind and type?  If
 * not, *why says what is wrong (palloc'd).
 */
bool
slackfuel_check_import(const sf_import_desc *d, char **why)
{
	sf_error	err;
	sf_functype ft;
	sf_valtype	p[16],
				r[1];
	int			i;

	if (name_is(d->module, d->module_len, SF_WASI_MODULE))
	{
		if (sf_wasi_check_import(d, &err) == SF_OK)
			return true;
		*why = pstrdup(err.msg);
		(*why)[0] = pg_toupper((unsigned char) (*why)[0]);
		return false;
	}
	if (!name_is(d->module, d->module_len, HOST_MODULE))
	{
		*why = psprintf("There is no module \"%.*s\"", (int) d->module_len, d->module);
		return false;
	}
	if ((i = find_host_row(d)) < 0)
	{
		*why = psprintf("\"%s\" has no function \"%.*s\"", HOST_MODULE,
						(int) d->name_len, d->name);
		return false;
	}
	row_functype(&host_rows[i], &ft, p, r);
	if (d->kind != SF_EXTERN_FUNC || !functype_equal(&d->functype, &ft))
	{
		*why = psprintf("\"%s\" \"%s\" must be a function of type %s", HOST_MODULE,
						host_rows[i].name, slackfuel_format_functype(&ft));
		return false;
	}
	return true;
}

/* Does the module import a function that hands lists to the guest? */
bool
slackfuel_imports_use_realloc(sf_module *m)
{
	sf_import_desc d;
	int			i;

	for (uint32 k = 0; k < sf_module_num_imports(m); k++)
	{
		sf_module_import(m, k, &d);
		if ((i = find_host_row(&d)) >= 0 && host_rows[i].realloc)
			return true;
	}
	return false;
}

/* --- The host side of an instance --------------------------------------- */

slackfuel_host *
slackfuel_host_new(const char *fname, sf_store *store, sf_module *m)
{
	slackfuel_host *h = calloc(1, sizeof(slackfuel_host));
	sf_import_desc d;

	if (h == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	h->store = store;
	for (uint32 k = 0; k < sf_module_num_imports(m); k++)
	{
		sf_module_import(m, k, &d);
		if (h->wasi == NULL && name_is(d.module, d.module_len, SF_WASI_MODULE))
		{
			PG_TRY();
			{
				h->wasi = slackfuel_wasi_new(fname, store, h);
			}
			PG_CATCH();
			{
				free(h);
				PG_RE_THROW();
			}
			PG_END_TRY();
		}
	}
	return h;
}

void
slackfuel_host_free(slackfuel_host *h)
{
	if (h == NULL)
		return;
	if (h->sql)
		slackfuel_sql_free(h->sql);
	if (h->wasi)
		slackfuel_wasi_free(h->wasi);
	free(h);
}

#define X_(id, name, params, results, realloc, body) \
	static int host_##id(sf_ctx *ctx, void *env, const sf_val *args, sf_val *res);
HOST_FUNCS(X_)
#undef X_

static const sf_host_fn host_fns[NHOST] = {
#define X_(id, name, params, results, realloc, body) host_##id,
	HOST_FUNCS(X_)
#undef X_
};

/* The imports of 'm', in its import order (checked at load: all known). */
sf_extern *
slackfuel_host_imports(slackfuel_host *h, sf_module *m)
{
	uint32		n = sf_module_num_imports(m);
	sf_extern  *ex = palloc0(sizeof(sf_extern) * Max(n, 1));
	sf_import_desc d;
	sf_error	err;
	sf_functype ft;
	sf_valtype	p[16],
				r[1];
	int			i;

	for (uint32 k = 0; k < n; k++)
	{
		sf_module_import(m, k, &d);
		if ((i = find_host_row(&d)) >= 0)
		{
			if (h->funcs[i] == NULL)
			{
				row_functype(&host_rows[i], &ft, p, r);
				h->funcs[i] = sf_func_new_host(h->store, &ft, host_fns[i], h, &err);
				if (h->funcs[i] == NULL)
					ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
			}
			ex[k].kind = SF_EXTERN_FUNC;
			ex[k].of.func = h->funcs[i];
		}
		else if (h->wasi == NULL ||
				 sf_wasi_import(slackfuel_wasi_engine(h->wasi), &d, &ex[k], &err) != SF_OK)
			elog(ERROR, "checked import \"%.*s\" \"%.*s\" not found",
				 (int) d.module_len, d.module, (int) d.name_len, d.name);
	}
	return ex;
}

/* The guest's allocator, when it exports one. */
static void
bind_realloc(slackfuel_host *h, sf_instance *instance)
{
	sf_extern	e;

	if (instance != NULL &&
		sf_instance_export(instance, "cabi_realloc", 12, &e) == SF_OK &&
		e.kind == SF_EXTERN_FUNC)
		h->realloc = e.of.func;
}

/*
 * After instantiation.  A start function or "_initialize" that runs SQL
 * needs the allocator before sf_instance_new returns the instance:
 * slackfuel_host_realloc finds it then through the caller's context.
 */
void
slackfuel_host_bind(slackfuel_host *h, sf_instance *instance)
{
	bind_realloc(h, instance);
}

slackfuel_wasi *
slackfuel_host_wasi(slackfuel_host *h)
{
	return h->wasi;
}

/* 'cx' begins to run in the instance; returns the call it interrupts. */
slackfuel_cx *
slackfuel_host_enter(slackfuel_host *h, slackfuel_cx *cx)
{
	slackfuel_cx *prev = h->cx;

	h->cx = cx;
	return prev;
}

/* The call running in the instance: the one its host functions serve. */
slackfuel_cx *
slackfuel_host_call(slackfuel_host *h)
{
	return h->cx;
}

slackfuel_sql **
slackfuel_host_sql(slackfuel_host *h)
{
	return &h->sql;
}

/* --- The guard ----------------------------------------------------------- */

/*
 * Run fn(arg) for a host function of the call 'cx'.  A PostgreSQL error is
 * caught and stays on the error stack (cx->pending_error); the caller
 * returns failure to the engine, and the call path re-throws the error
 * once the wasm frames are gone.  The one exception is the wasm caller's
 * fuel running out in a nested call (cx->fuel_out): that error is
 * dropped and the host function returns as if done, for the engine's
 * boundary check to end the call out of fuel with the caller's numbers.  State a host function changes while it
 * runs SQL (the instance's running call, the stack of calls in SQL, pins,
 * the read-only flag) is put back.  What fn allocates lives in a memory
 * context of its own, deleted when it returns, so a wasm call making
 * millions of host calls takes no more memory than one.  After a caught
 * error nothing more runs: every later guard of the call fails at once.
 */
bool
slackfuel_guard(slackfuel_cx *cx, void (*fn) (void *arg), void *arg)
{
	MemoryContext mcxt = CurrentMemoryContext;
	MemoryContext scratch;
	slackfuel_cx *sql_top = slackfuel_sql_top;
	int			pins = slackfuel_pins;
	bool		read_only = XactReadOnly;
	volatile bool ok = true;

	if (cx->pending_error)
		return false;
	scratch = AllocSetContextCreate(mcxt, "slackfuel host call", ALLOCSET_SMALL_SIZES);
	PG_TRY();
	{
		MemoryContextSwitchTo(scratch);
		fn(arg);
	}
	PG_CATCH();
	{
		slackfuel_host_enter(cx->host, cx);
		slackfuel_sql_top = sql_top;
		slackfuel_scalar_epoch_set();
		slackfuel_pins = pins;
		XactReadOnly = read_only;
		if (cx->fuel_out)
		{
			/* not an error: the engine reports the exhausted fuel itself */
			FlushErrorState();
			cx->fuel_out = false;
		}
		else
		{
			cx->pending_error = true;
			ok = false;
		}
	}
	PG_END_TRY();
	MemoryContextSwitchTo(mcxt);
	MemoryContextDelete(scratch);
	return ok;
}

/* The end of a call: output flushed, cursors closed, SPI left. */
void
slackfuel_call_ended(slackfuel_cx *cx)
{
	slackfuel_host *h = cx->host;

	if (h->wasi && !slackfuel_wasi_flush(h->wasi))
		cx->pending_error = true;
	if (cx->pending_error)
		return;
	if (h->sql)
		slackfuel_sql_call_end(cx);
	if (cx->spi_connected)
	{
		cx->spi_connected = false;
		if (SPI_finish() != SPI_OK_FINISH)
			elog(ERROR, "SPI_finish failed");
		MemoryContextSwitchTo(cx->mcxt);
	}
}

/* --- Guest memory, fuel, allocation ------------------------------------- */

static void
host_body(void *arg)
{
	hcall	   *hc = arg;

	hc->body(hc);
}

/* Bytes copied between the host and the guest, charged as the bulk operators. */
void
slackfuel_host_charge(sf_ctx *ctx, uint64 bytes)
{
	sf_ctx_charge_fuel(ctx, sf_fuel_for_bytes(bytes));
}

/*
 * A host function's copy of 'len' bytes between SQL values and linear
 * memory, charged as slackfuel_host_charge before any byte is copied (when
 * that spends the wasm caller's fuel, the call ends out of fuel as after
 * cabi_realloc), then copied in chunks between which a cancel or terminate
 * ends the call.
 */
void
slackfuel_host_copy(slackfuel_cx *cx, sf_ctx *ctx, void *dst, const void *src,
					size_t len)
{
	if (sf_ctx_charge_fuel(ctx, sf_fuel_for_bytes(len)))
	{
		cx->fuel_out = true;
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("out of fuel copying %zu bytes", len)));
	}
	for (size_t done = 0; done < len; done += SLACKFUEL_COPY_CHUNK)
	{
		CHECK_FOR_INTERRUPTS();
		memcpy((char *) dst + done, (const char *) src + done,
			   Min(len - done, SLACKFUEL_COPY_CHUNK));
	}
}

/* [ptr, ptr + len) of the caller's memory, checked. */
uint8 *
slackfuel_host_mem(slackfuel_cx *cx, sf_ctx *ctx, uint32 ptr, uint64 len,
				   const char *what)
{
	sf_memory  *mem = sf_ctx_memory(ctx);
	uint64		size = mem ? sf_memory_size(mem) : 0;

	if ((uint64) ptr + len > size)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("wasm function \"%s\" gave %s outside its linear memory",
						cx->fname, what),
				 errdetail("Pointer %u, length %llu, memory size %llu bytes.", ptr,
						   (unsigned long long) len, (unsigned long long) size)));
	return sf_memory_data(mem) + ptr;
}

typedef struct string_errcontext
{
	const char *fname;
	const char *what;
} string_errcontext;

static void
string_context(void *arg)
{
	string_errcontext *c = arg;

	errcontext("%s given by wasm function \"%s\"", c->what, c->fname);
}

/*
 * A string of the guest, (ptr, len) in its memory: at most 'max' bytes of
 * UTF-8, returned NUL-terminated in the server encoding.  Charged.
 */
char *
slackfuel_guest_string(slackfuel_cx *cx, sf_ctx *ctx, uint32 ptr, uint32 len,
					   uint32 max, const char *what)
{
	const uint8 *p = slackfuel_host_mem(cx, ctx, ptr, len, what);
	char	   *s;
	char	   *conv;
	ErrorContextCallback cb;
	string_errcontext c = {cx->fname, what};

	if (len > max)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("wasm function \"%s\" gave %s of %u bytes", cx->fname, what, len),
				 errdetail("The limit is %u bytes.", max)));
	s = palloc(len + 1);
	slackfuel_host_copy(cx, ctx, s, p, len);
	s[len] = '\0';
	cb.callback = string_context;
	cb.arg = &c;
	cb.previous = error_context_stack;
	error_context_stack = &cb;
	/* verifies UTF-8 (no NUL either) and converts when needed */
	conv = pg_any_to_server(s, len, PG_UTF8);
	error_context_stack = cb.previous;
	return conv;
}

/*
 * The guest's cabi_realloc(old, old_size, align, size): a new allocation
 * when 'old' is 0, else 'old' grown.  Called as a nested wasm call whose
 * fuel is charged to the caller; the result is checked.
 */
uint32
slackfuel_host_realloc(slackfuel_cx *cx, sf_ctx *ctx, uint32 old, uint32 old_size,
					   uint32 align, uint32 size)
{
	slackfuel_host *h = cx->host;
	uint64		slots[4] = {old, old_size, align, size};
	sf_call_opts opts;
	slackfuel_outcome out = {0};
	uint32		ptr;

	if (h->realloc == NULL)
		bind_realloc(h, sf_ctx_instance(ctx));
	if (h->realloc == NULL)
		elog(ERROR, "wasm function \"%s\" has no cabi_realloc", cx->fname);
	opts.fuel_limit = sf_ctx_fuel_remaining(ctx);
	out.limit = opts.fuel_limit;
	if (sf_call_slots(h->realloc, slots, 4, 1, &opts, &out.err) != SF_OK)
	{
		out.trapped = true;
		out.consumed = sf_last_fuel_consumed();
		sf_ctx_charge_fuel(ctx, out.consumed);
		if (out.err.trap == SF_TRAP_OUT_OF_FUEL)
		{
			/* the caller's fuel ran out: its boundary check reports that */
			cx->fuel_out = true;
			ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
							errmsg("out of fuel in cabi_realloc")));
		}
		/* a host function the allocator called failed: raise its error */
		if (cx->pending_error)
			PG_RE_THROW();
		slackfuel_report_trap(cx->fname, &out, NULL);
	}
	sf_ctx_charge_fuel(ctx, sf_last_fuel_consumed());
	ptr = (uint32) slots[0];
	if (ptr == 0 && size > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("wasm function \"%s\" could not allocate %u bytes", cx->fname, size),
				 errdetail("Its cabi_realloc returned 0."),
				 errhint("slackfuel.max_memory bounds its linear memory.")));
	if (ptr % align != 0)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("wasm function \"%s\" got a misaligned pointer from cabi_realloc",
						cx->fname),
				 errdetail("Pointer %u, alignment %u.", ptr, align)));
	slackfuel_host_mem(cx, ctx, ptr, size, "a cabi_realloc result");
	return ptr;
}

uint32
slackfuel_host_alloc(slackfuel_cx *cx, sf_ctx *ctx, uint32 align, uint32 size)
{
	return slackfuel_host_realloc(cx, ctx, 0, 0, align, size);
}

/* --- The engine's entry for every function ------------------------------ */

static int
dispatch(sf_ctx *ctx, slackfuel_host *h, const sf_val *args, sf_val *results,
		 const host_row *row)
{
	slackfuel_cx *cx = h->cx;
	hcall		hc = {cx, ctx, args, results, row->body};

	if (cx == NULL)
	{
		sf_ctx_set_error(ctx, "slackfuel: host function called outside its call");
		return 1;
	}
	if (row->results[0])
	{
		results[0].type = SF_I32;
		results[0].of.i32 = 0;
	}
	if (sf_ctx_charge_fuel(ctx, 1))
		return 0;				/* out of fuel: the engine reports it */
	if (slackfuel_guard(cx, host_body, &hc))
		return 0;
	sf_ctx_set_error(ctx, "PostgreSQL error in a host function");
	return 1;
}

#define X_(id, name, params, results, realloc, body) \
	static int host_##id(sf_ctx *ctx, void *env, const sf_val *args, sf_val *res) \
	{ return dispatch(ctx, env, args, res, &host_rows[H_##id]); }
HOST_FUNCS(X_)
#undef X_

static uint32
arg32(const hcall *hc, int i)
{
	return (uint32) hc->args[i].of.i32;
}

/* --- log ----------------------------------------------------------------- */

static const int log_levels[] = {DEBUG5, DEBUG4, DEBUG3, DEBUG2, DEBUG1, LOG, INFO,
NOTICE, WARNING};

static void
log_body(hcall *hc)
{
	uint32		level = arg32(hc, 0);
	char	   *msg;

	if (level >= lengthof(log_levels))
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("wasm function \"%s\" called log with level %u", hc->cx->fname, level),
				 errdetail("Levels are 0 (debug5) to 8 (warning).")));
	msg = slackfuel_guest_string(hc->cx, hc->ctx, arg32(hc, 1), arg32(hc, 2),
								 MAX_HOST_STRING, "a log message");
	ereport(log_levels[level], (errmsg_internal("%s", msg)));
}

/* --- raise --------------------------------------------------------------- */

/*
 * SQLSTATE classes a function may not raise: PostgreSQL and slackfuel
 * report these themselves, and clients and poolers act on them.
 */
static const char *const reserved_classes[] = {
	"00", "01", "02",			/* success, warning, no data: not errors */
	"08",						/* connection exception */
	"38", "39",					/* external routine: slackfuel's own traps */
	"40",						/* transaction rollback: clients retry */
	"53", "54",					/* insufficient resources, program limits */
	"57",						/* operator intervention: cancel, shutdown */
	"58", "F0", "XX"			/* system, configuration file, internal */
};

static int
raise_sqlstate(const char *fname, const char *s)
{
	size_t		n = strlen(s);

	if (n == 0)
		return ERRCODE_RAISE_EXCEPTION;
	for (size_t i = 0; i < n; i++)
		if (n != 5 || !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z')))
			ereport(ERROR,
					(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
					 errmsg("wasm function \"%s\" raised an error with invalid SQLSTATE \"%s\"",
							fname, s),
					 errdetail("A SQLSTATE is five characters, digits or upper-case letters; \"\" means P0001.")));
	for (int i = 0; i < lengthof(reserved_classes); i++)
		if (strncmp(s, reserved_classes[i], 2) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
					 errmsg("wasm function \"%s\" raised an error with SQLSTATE %s, which wasm functions may not use",
							fname, s),
					 errdetail("Classes 00, 01, 02, 08, 38, 39, 40, 53, 54, 57, 58, F0 and XX are reported by PostgreSQL and slackfuel themselves.")));
	return MAKE_SQLSTATE(s[0], s[1], s[2], s[3], s[4]);
}

/* An option<string> at args[i..i+2]: NULL for none. */
static char *
option_string(hcall *hc, int i, const char *what)
{
	uint32		disc = arg32(hc, i);

	if (disc > 1)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("wasm function \"%s\" gave %s with option discriminant %u",
						hc->cx->fname, what, disc),
				 errdetail("An option is 0 (none) or 1 (some).")));
	if (disc == 0)
		return NULL;
	return slackfuel_guest_string(hc->cx, hc->ctx, arg32(hc, i + 1), arg32(hc, i + 2),
								  MAX_HOST_STRING, what);
}

static void
raise_body(hcall *hc)
{
	slackfuel_cx *cx = hc->cx;
	char	   *state = slackfuel_guest_string(cx, hc->ctx, arg32(hc, 0), arg32(hc, 1),
											   16, "a SQLSTATE");
	char	   *msg = slackfuel_guest_string(cx, hc->ctx, arg32(hc, 2), arg32(hc, 3),
											 MAX_HOST_STRING, "an error message");
	char	   *detail = option_string(hc, 4, "an error detail");
	char	   *hint = option_string(hc, 7, "an error hint");
	int			code = raise_sqlstate(cx->fname, state);

	ereport(ERROR,
			(errcode(code),
			 errmsg_internal("%s", msg),
			 detail ? errdetail_internal("%s", detail) : 0,
			 hint ? errhint("%s", hint) : 0));
}

/* --- SQL (sql.c) ---------------------------------------------------------- */

static void
query_body(hcall *hc)
{
	slackfuel_sql_query(hc->cx, hc->ctx, hc->args);
}

static void
stmt_new_body(hcall *hc)
{
	slackfuel_sql_prepare(hc->cx, hc->ctx, hc->args, hc->results);
}

static void
stmt_query_body(hcall *hc)
{
	slackfuel_sql_stmt_query(hc->cx, hc->ctx, hc->args);
}

static void
stmt_open_body(hcall *hc)
{
	slackfuel_sql_stmt_open(hc->cx, hc->ctx, hc->args, hc->results);
}

static void
stmt_drop_body(hcall *hc)
{
	slackfuel_sql_stmt_drop(hc->cx, hc->ctx, hc->args);
}

static void
rows_next_body(hcall *hc)
{
	slackfuel_sql_rows_next(hc->cx, hc->ctx, hc->args);
}

static void
rows_drop_body(hcall *hc)
{
	slackfuel_sql_rows_drop(hc->cx, hc->ctx, hc->args);
}

static void
stmt_query_typed_body(hcall *hc)
{
	slackfuel_sql_stmt_query_typed(hc->cx, hc->ctx, hc->args);
}

static void
stmt_row_type_body(hcall *hc)
{
	slackfuel_sql_stmt_row_type(hc->cx, hc->ctx, hc->args);
}

static void
rows_next_typed_body(hcall *hc)
{
	slackfuel_sql_rows_next_typed(hc->cx, hc->ctx, hc->args);
}
