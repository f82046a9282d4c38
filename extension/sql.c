/*
 * sql.c -- read-only SQL for wasm functions: slackfuel:host/api's query,
 * statement and rows (docs/host.md).
 *
 * Queries run through SPI, connected once per call at its first query and
 * left when the call ends.  A query is read-only three ways: before it
 * runs, its analyzed form must be a plain SELECT calling only STABLE or
 * IMMUTABLE functions (so nextval and set_config are refused by name);
 * SPI runs it read-only (the statement's snapshot, no writes); and the
 * transaction is read-only while it runs, so a function that lies about
 * its volatility cannot write either.
 *
 * Rows go straight from the executor into guest memory through a
 * DestReceiver: one row at a time in a short-lived memory context, each
 * list and string allocated by the guest's cabi_realloc, so a large result
 * takes guest memory (bounded by slackfuel.max_memory) and fuel, not the
 * backend's memory.  Rows come as lists of the variant "value", or typed:
 * as the record of the statement's columns in the SQL type mapping
 * (types.c's slackfuel_rowtype), laid out by the canonical ABI.
 *
 * Statements (kept plans) belong to the instance and live until dropped or
 * until the instance is discarded; cursors belong to the call that opened
 * them and are closed when it ends.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "mb/pg_wchar.h"
#include "nodes/nodeFuncs.h"
#include "parser/parse_param.h"
#include "parser/parse_type.h"
#include "tcop/dest.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/plancache.h"

#include "plwasm.h"

#define MAX_SQL_STRING (1024 * 1024)	/* SQL text and type names */
#define MAX_STATEMENTS 1000		/* kept per instance */
#define MAX_CURSORS 100			/* open per instance */

/* --- Values: the variant "value" of slackfuel:host/api ------------------- */

enum
{
	V_NULL, V_BOOLEAN, V_INT2, V_INT4, V_INT8, V_FLOAT4, V_FLOAT8, V_TEXT,
	V_BYTEA, V_OTHER, NCASES
};

/*
 * The cases with a payload of their own and the SQL type of each (what a
 * parameter of that case is).  A column is of a case when its type (or
 * its domain's base type) is that SQL type, varchar counting as text;
 * every other type, whatever its WIT type in docs/types.md (numeric,
 * dates, arrays, composites, ...), is V_OTHER, in its text form.
 */
static const Oid value_types[NCASES] = {
	[V_BOOLEAN] = BOOLOID,
	[V_INT2] = INT2OID,
	[V_INT4] = INT4OID,
	[V_INT8] = INT8OID,
	[V_FLOAT4] = FLOAT4OID,
	[V_FLOAT8] = FLOAT8OID,
	[V_TEXT] = TEXTOID,
	[V_BYTEA] = BYTEAOID,
};

/* Canonical ABI layout of "value": 16 bytes, discriminant at 0, payload at 8. */
#define VALUE_SIZE 16
#define VALUE_ALIGN 8
#define VALUE_PAYLOAD 8

static int
case_of_type(Oid typid)
{
	Oid			base = getBaseType(typid);

	if (base == VARCHAROID)
		return V_TEXT;
	for (int c = V_BOOLEAN; c <= V_BYTEA; c++)
		if (value_types[c] == base)
			return c;
	return V_OTHER;
}

/* --- Resources ----------------------------------------------------------- */

typedef struct stmt_ent
{
	bool		used;
	bool		dropped;		/* by the guest; freed when its cursors close */
	int			open_cursors;
	int			running;		/* queries of it executing (nested through
								 * cabi_realloc when more than one) */
	SPIPlanPtr	plan;			/* kept */
	int			nparams;
	Oid		   *types;			/* malloc'd */
	slackfuel_rowtype *rowtype; /* its typed rows' record, once used */
} stmt_ent;

typedef struct rows_ent
{
	bool		used;
	uint64		call_id;		/* the call that opened it */
	Portal		portal;			/* valid only while that call runs */
	int			stmt;			/* index of its statement */
} rows_ent;

struct slackfuel_sql
{
	stmt_ent   *stmts;
	int			nstmts;
	rows_ent	rows[MAX_CURSORS];
};

static slackfuel_sql *
sql_state(slackfuel_cx *cx)
{
	slackfuel_sql **p = slackfuel_host_sql(cx->host);

	if (*p == NULL && (*p = calloc(1, sizeof(slackfuel_sql))) == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	return *p;
}

static void
stmt_release(stmt_ent *s)
{
	if (s->plan)
		SPI_freeplan(s->plan);
	if (s->rowtype)
		slackfuel_rowtype_free(s->rowtype);
	free(s->types);
	memset(s, 0, sizeof(*s));
}

void
slackfuel_sql_free(slackfuel_sql *sql)
{
	for (int i = 0; i < sql->nstmts; i++)
		if (sql->stmts[i].used)
			stmt_release(&sql->stmts[i]);
	free(sql->stmts);
	free(sql);
}

static void
bad_handle(slackfuel_cx *cx, const char *what, uint32 h, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
			 errmsg("wasm function \"%s\" used %s handle %u, %s", cx->fname, what, h, why)));
}

static stmt_ent *
stmt_get(slackfuel_cx *cx, uint32 h)
{
	slackfuel_sql *sql = sql_state(cx);

	if (h == 0 || h > (uint32) sql->nstmts || !sql->stmts[h - 1].used ||
		sql->stmts[h - 1].dropped)
		bad_handle(cx, "statement", h, "which is not a statement it holds");
	return &sql->stmts[h - 1];
}

static rows_ent *
rows_get(slackfuel_cx *cx, uint32 h)
{
	slackfuel_sql *sql = sql_state(cx);

	if (h == 0 || h > MAX_CURSORS || !sql->rows[h - 1].used)
		bad_handle(cx, "rows", h, "which is not a cursor it holds");
	if (sql->rows[h - 1].call_id != cx->id)
		bad_handle(cx, "rows", h, "which another call opened (cursors last for the call that opens them)");
	return &sql->rows[h - 1];
}

static void
rows_close(slackfuel_sql *sql, rows_ent *r)
{
	stmt_ent   *s = &sql->stmts[r->stmt];

	SPI_cursor_close(r->portal);
	memset(r, 0, sizeof(*r));
	if (--s->open_cursors == 0 && s->dropped)
		stmt_release(s);
}

/* The end of call 'cx': its cursors are closed. */
void
slackfuel_sql_call_end(slackfuel_cx *cx)
{
	slackfuel_sql *sql = *slackfuel_host_sql(cx->host);

	for (int i = 0; i < MAX_CURSORS; i++)
		if (sql->rows[i].used && sql->rows[i].call_id == cx->id)
			rows_close(sql, &sql->rows[i]);
}

/* --- Running SQL --------------------------------------------------------- */

static void
check_allowed(slackfuel_cx *cx)
{
	if (!slackfuel_allowed(SLACKFUEL_CAP_SQL))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("wasm function \"%s\" may not run SQL", cx->fname),
				 errdetail("%s is off.", slackfuel_cap_setting(SLACKFUEL_CAP_SQL))));
}

/* SPI, connected at the call's first query, until the call ends. */
static void
connect_spi(slackfuel_cx *cx)
{
	MemoryContext m = MemoryContextSwitchTo(cx->mcxt);

	if (!cx->spi_connected)
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		cx->spi_connected = true;
	}
	MemoryContextSwitchTo(m);
}

/*
 * Around everything that may run a query: the transaction is read-only,
 * the call is on the stack of calls in SQL (a wasm call beginning now is
 * nested in it and takes its fuel from what the wasm caller has left), and
 * the cache frees nothing (slackfuel_pins).  slackfuel_guard restores all
 * of it if an error ends the query.
 */
typedef struct sql_window
{
	bool		read_only;
} sql_window;

static void
window_open(slackfuel_cx *cx, sf_ctx *ctx, sql_window *w)
{
	w->read_only = XactReadOnly;
	XactReadOnly = true;
	cx->sql_fuel_left = sf_ctx_fuel_remaining(ctx);
	cx->nested_consumed = 0;
	cx->sql_outer = slackfuel_sql_top;
	slackfuel_sql_top = cx;
	slackfuel_scalar_epoch_set();
	slackfuel_pins++;
}

static void
window_close(slackfuel_cx *cx, sf_ctx *ctx, sql_window *w)
{
	slackfuel_pins--;
	slackfuel_sql_top = cx->sql_outer;
	slackfuel_scalar_epoch_set();
	XactReadOnly = w->read_only;
	/* a nested call of this instance that failed may have left its own */
	slackfuel_host_enter(cx->host, cx);
	sf_ctx_charge_fuel(ctx, cx->nested_consumed);
}

typedef struct volatile_search
{
	Oid			found;			/* a volatile function, or */
	bool		locks;			/* FOR UPDATE/SHARE in a subquery, CTE or view */
} volatile_search;

static bool
is_volatile(Oid func, void *arg)
{
	if (func_volatile(func) != PROVOLATILE_VOLATILE)
		return false;
	((volatile_search *) arg)->found = func;
	return true;
}

static bool
find_volatile(Node *node, volatile_search *vs)
{
	if (node == NULL)
		return false;
	if (check_functions_in_node(node, is_volatile, vs))
		return true;
	if (IsA(node, NextValueExpr))
	{
		vs->found = F_NEXTVAL;
		return true;
	}
	if (IsA(node, Query))
	{
		if (((Query *) node)->rowMarks != NIL)
		{
			vs->locks = true;
			return true;
		}
		return query_tree_walker((Query *) node, find_volatile, vs, 0);
	}
	return expression_tree_walker(node, find_volatile, vs);
}

static void
refuse(slackfuel_cx *cx, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
			 errmsg("%s is not allowed in a query of wasm function \"%s\"", what, cx->fname),
			 errdetail("Queries of wasm functions are read-only: one SELECT calling only STABLE and IMMUTABLE functions.")));
}

/* The plan must be one read-only SELECT (see the header). */
static void
check_read_only(slackfuel_cx *cx, SPIPlanPtr plan)
{
	List	   *sources = SPI_plan_get_plan_sources(plan);
	CachedPlanSource *ps;
	ListCell   *lc;
	volatile_search vs;

	if (list_length(sources) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("a query of wasm function \"%s\" must be one statement, not %d",
						cx->fname, list_length(sources))));
	ps = linitial(sources);
	foreach(lc, ps->query_list)
	{
		Query	   *q = lfirst_node(Query, lc);

		if (q->commandType != CMD_SELECT || q->utilityStmt != NULL)
			refuse(cx, GetCommandTagName(ps->commandTag));
		if (q->rowMarks != NIL)
			refuse(cx, "SELECT FOR UPDATE/SHARE");
		if (q->hasModifyingCTE)
			refuse(cx, "a data-modifying WITH");
		vs.found = InvalidOid;
		vs.locks = false;
		if (find_volatile((Node *) q, &vs))
			refuse(cx, vs.locks ? "SELECT FOR UPDATE/SHARE" :
				   psprintf("volatile function %s()", get_func_name(vs.found)));
	}
}

/* The guest's string at (ptr, len), for SQL text and type names. */
static char *
sql_string(slackfuel_cx *cx, sf_ctx *ctx, uint32 ptr, uint32 len, const char *what)
{
	return slackfuel_guest_string(cx, ctx, ptr, len, MAX_SQL_STRING, what);
}

/* --- Parameters: list<value> from guest memory -------------------------- */

typedef struct param_in
{
	int			disc;
	Datum		value;			/* of value_types[disc] */
	char	   *text;			/* V_OTHER */
} param_in;

static uint32
read_u32(const uint8 *p)
{
	uint32		v;

	memcpy(&v, p, 4);
	return v;
}

/* A string or list<u8> payload as a varlena (text in the server encoding). */
static Datum
payload_varlena(slackfuel_cx *cx, sf_ctx *ctx, const uint8 *pl, bool is_text, int i)
{
	uint32		ptr = read_u32(pl),
				len = read_u32(pl + 4);
	char		what[48];

	snprintf(what, sizeof(what), "parameter $%d", i + 1);
	if (len > MaxAllocSize - VARHDRSZ - 1)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("wasm function \"%s\" gave a %s of %u bytes", cx->fname, what, len)));
	if (is_text)
		return PointerGetDatum(cstring_to_text(slackfuel_guest_string(cx, ctx, ptr, len,
																	  len, what)));
	else
	{
		bytea	   *b = palloc(VARHDRSZ + len);

		slackfuel_host_copy(cx, ctx, VARDATA(b), slackfuel_host_mem(cx, ctx, ptr, len, what),
							len);
		SET_VARSIZE(b, VARHDRSZ + len);
		return PointerGetDatum(b);
	}
}

/* The list<value> at (ptr, n) of the guest, lifted. */
static param_in *
read_params(slackfuel_cx *cx, sf_ctx *ctx, uint32 ptr, uint32 n)
{
	param_in   *p;
	const uint8 *v;

	if (n > 65535)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("wasm function \"%s\" gave %u query parameters", cx->fname, n),
				 errdetail("A query has at most 65535 parameters.")));
	if (ptr % VALUE_ALIGN != 0)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("wasm function \"%s\" gave a misaligned list of values", cx->fname),
				 errdetail("Pointer %u, alignment %d.", ptr, VALUE_ALIGN)));
	slackfuel_host_mem(cx, ctx, ptr, (uint64) n * VALUE_SIZE, "a list of values");
	slackfuel_host_charge(ctx, (uint64) n * VALUE_SIZE);
	p = palloc0(sizeof(param_in) * Max(n, 1));
	for (uint32 i = 0; i < n; i++)
	{
		const uint8 *pl;

		v = slackfuel_host_mem(cx, ctx, ptr + i * VALUE_SIZE, VALUE_SIZE, "a value");
		pl = v + VALUE_PAYLOAD;
		p[i].disc = v[0];
		switch (p[i].disc)
		{
			case V_NULL:
				break;
			case V_BOOLEAN:
				p[i].value = BoolGetDatum(pl[0] != 0);
				break;
			case V_INT2:
				{
					int16		x;

					memcpy(&x, pl, 2);
					p[i].value = Int16GetDatum(x);
					break;
				}
			case V_INT4:
				p[i].value = Int32GetDatum((int32) read_u32(pl));
				break;
			case V_INT8:
				{
					int64		x;

					memcpy(&x, pl, 8);
					p[i].value = Int64GetDatum(x);
					break;
				}
			case V_FLOAT4:
				{
					float4		f;

					memcpy(&f, pl, 4);
					p[i].value = Float4GetDatum(f);
					break;
				}
			case V_FLOAT8:
				{
					float8		f;

					memcpy(&f, pl, 8);
					p[i].value = Float8GetDatum(f);
					break;
				}
			case V_TEXT:
			case V_BYTEA:
				p[i].value = payload_varlena(cx, ctx, pl, p[i].disc == V_TEXT, (int) i);
				break;
			case V_OTHER:
				p[i].text = slackfuel_guest_string(cx, ctx, read_u32(pl), read_u32(pl + 4),
												   MaxAllocSize - 1, "a parameter");
				break;
			default:
				ereport(ERROR,
						(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
						 errmsg("wasm function \"%s\" gave parameter $%u with variant discriminant %d",
								cx->fname, i + 1, p[i].disc),
						 errdetail("A value's discriminant is 0 (null) to %d (other).", V_OTHER)));
		}
	}
	return p;
}

/*
 * The parameters for a plan whose parameter types are 'types': each value
 * of its own type, the text form of V_OTHER read by the type's input
 * function, and a value of another case converted through its text form
 * (int4 for a bigint parameter, say).
 */
static ParamListInfo
param_list(slackfuel_cx *cx, const param_in *in, int n, const Oid *types)
{
	ParamListInfo pl = makeParamList(n);

	for (int i = 0; i < n; i++)
	{
		ParamExternData *prm = &pl->params[i];
		Oid			t = types[i];
		Oid			f,
					ioparam;
		bool		varlena;

		prm->pflags = PARAM_FLAG_CONST;
		prm->ptype = OidIsValid(t) ? t : TEXTOID;
		prm->isnull = in[i].disc == V_NULL || !OidIsValid(t);
		if (prm->isnull)
			continue;
		if (t == UNKNOWNOID && in[i].disc == V_OTHER)
			prm->value = CStringGetDatum(in[i].text);
		else if (in[i].disc == V_OTHER || value_types[in[i].disc] != t)
		{
			char	   *s = in[i].text;

			if (s == NULL)
			{
				getTypeOutputInfo(value_types[in[i].disc], &f, &varlena);
				s = OidOutputFunctionCall(f, in[i].value);
			}
			getTypeInputInfo(t == UNKNOWNOID ? TEXTOID : t, &f, &ioparam);
			prm->ptype = t == UNKNOWNOID ? TEXTOID : t;
			prm->value = OidInputFunctionCall(f, s, ioparam, -1);
		}
		else
			prm->value = in[i].value;
	}
	return pl;
}

/* --- Rows into guest memory ---------------------------------------------- */

typedef struct row_writer
{
	slackfuel_cx *cx;
	sf_ctx	   *ctx;
	int			ncols;
	int		   *cases;			/* of each column */
	FmgrInfo   *out;			/* output functions of V_OTHER columns */
	MemoryContext rowcxt;		/* reset after each row */
} row_writer;

static void
writer_init(row_writer *w, slackfuel_cx *cx, sf_ctx *ctx, TupleDesc desc)
{
	w->cx = cx;
	w->ctx = ctx;
	w->ncols = desc->natts;
	w->cases = palloc(sizeof(int) * Max(desc->natts, 1));
	w->out = palloc0(sizeof(FmgrInfo) * Max(desc->natts, 1));
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(desc, i);

		w->cases[i] = a->attisdropped ? V_NULL : case_of_type(a->atttypid);
		if (w->cases[i] == V_OTHER)
		{
			Oid			f;
			bool		varlena;

			getTypeOutputInfo(a->atttypid, &f, &varlena);
			fmgr_info(f, &w->out[i]);
		}
	}
	w->rowcxt = AllocSetContextCreate(CurrentMemoryContext, "slackfuel row",
									  ALLOCSET_SMALL_SIZES);
}

/*
 * 'len' bytes into a fresh guest allocation, whose (ptr, len) go to the
 * payload of the value at guest address 'at'.
 */
static void
write_bytes(row_writer *w, uint32 at, const char *data, size_t len)
{
	uint32		pair[2];

	if (len > PG_UINT32_MAX)
		elog(ERROR, "value of %zu bytes does not fit a 32-bit memory", len);
	pair[0] = slackfuel_host_alloc(w->cx, w->ctx, 1, (uint32) len);
	pair[1] = (uint32) len;
	if (len > 0)
		slackfuel_host_copy(w->cx, w->ctx,
							slackfuel_host_mem(w->cx, w->ctx, pair[0], len, "a cabi_realloc result"),
							data, len);
	memcpy(slackfuel_host_mem(w->cx, w->ctx, at, 8, "a value"), pair, 8);
}

/*
 * One row as a list<value> in guest memory: its values (16 bytes each)
 * and their strings, each in its own cabi_realloc allocation.  Returns the
 * list's pointer; its length is w->ncols.
 */
static uint32
write_row(row_writer *w, const Datum *values, const bool *nulls)
{
	MemoryContext old = MemoryContextSwitchTo(w->rowcxt);
	uint32		list = slackfuel_host_alloc(w->cx, w->ctx, VALUE_ALIGN,
											(uint32) w->ncols * VALUE_SIZE);

	slackfuel_host_charge(w->ctx, (uint64) w->ncols * VALUE_SIZE);
	sf_ctx_charge_fuel(w->ctx, w->ncols);
	for (int i = 0; i < w->ncols; i++)
	{
		uint32		at = list + i * VALUE_SIZE;
		int			c = nulls[i] ? V_NULL : w->cases[i];
		uint8		v[VALUE_SIZE] = {0};
		Datum		d = values[i];

		v[0] = (uint8) c;
		switch (c)
		{
			case V_BOOLEAN:
				v[VALUE_PAYLOAD] = DatumGetBool(d);
				break;
			case V_INT2:
				{
					int16		x = DatumGetInt16(d);

					memcpy(v + VALUE_PAYLOAD, &x, 2);
					break;
				}
			case V_INT4:
				{
					int32		x = DatumGetInt32(d);

					memcpy(v + VALUE_PAYLOAD, &x, 4);
					break;
				}
			case V_INT8:
				{
					int64		x = DatumGetInt64(d);

					memcpy(v + VALUE_PAYLOAD, &x, 8);
					break;
				}
			case V_FLOAT4:
				{
					float4		x = DatumGetFloat4(d);

					memcpy(v + VALUE_PAYLOAD, &x, 4);
					break;
				}
			case V_FLOAT8:
				{
					float8		x = DatumGetFloat8(d);

					memcpy(v + VALUE_PAYLOAD, &x, 8);
					break;
				}
			default:
				break;
		}
		memcpy(slackfuel_host_mem(w->cx, w->ctx, at, VALUE_SIZE, "a value"), v, VALUE_SIZE);
		if (c == V_TEXT || c == V_BYTEA || c == V_OTHER)
		{
			const char *data;
			size_t		len;

			if (c == V_OTHER)
			{
				char	   *text = OutputFunctionCall(&w->out[i], d);

				data = pg_server_to_any(text, strlen(text), PG_UTF8);
				len = strlen(data);
			}
			else
			{
				struct varlena *vl = PG_DETOAST_DATUM_PACKED(d);

				data = VARDATA_ANY(vl);
				len = VARSIZE_ANY_EXHDR(vl);
				if (c == V_TEXT)
				{
					const char *utf8 = pg_server_to_any(data, len, PG_UTF8);

					if (utf8 != data)
						len = strlen(utf8);
					data = utf8;
				}
			}
			write_bytes(w, at + VALUE_PAYLOAD, data, len);
		}
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(w->rowcxt);
	return list;
}

/* A list<row> being filled: (ptr, len) pairs, grown by cabi_realloc. */
typedef struct row_list
{
	row_writer	w;
	uint32		ptr;
	uint32		n;
	uint32		cap;
} row_list;

static void
list_add(row_list *l, uint32 row)
{
	slackfuel_cx *cx = l->w.cx;
	uint32		pair[2] = {row, (uint32) l->w.ncols};

	if (l->n == l->cap)
	{
		uint32		ncap = l->cap ? l->cap * 2 : 4;

		if (l->cap > PG_UINT32_MAX / 16)
			elog(ERROR, "too many rows for a 32-bit memory");
		l->ptr = slackfuel_host_realloc(cx, l->w.ctx, l->ptr, l->cap * 8, 4, ncap * 8);
		l->cap = ncap;
	}
	memcpy(slackfuel_host_mem(cx, l->w.ctx, l->ptr + l->n * 8, 8, "a list of rows"), pair, 8);
	slackfuel_host_charge(l->w.ctx, 8);
	l->n++;
}

/* The executor hands rows to the guest through this receiver. */
typedef struct row_receiver
{
	DestReceiver pub;
	row_list	list;
} row_receiver;

static bool
receive_slot(TupleTableSlot *slot, DestReceiver *self)
{
	row_receiver *r = (row_receiver *) self;

	slot_getallattrs(slot);
	list_add(&r->list, write_row(&r->list.w, slot->tts_values, slot->tts_isnull));
	return true;
}

static void
receiver_startup(DestReceiver *self, int operation, TupleDesc desc)
{
	row_receiver *r = (row_receiver *) self;

	writer_init(&r->list.w, r->list.w.cx, r->list.w.ctx, desc);
}

static void
receiver_nothing(DestReceiver *self)
{
}

/*
 * Run 'plan' with 'params', read-only, at most 'max_rows' rows (0: all),
 * and write the list<row> (ptr, len) at the guest's return pointer.
 */
static void
run_query(slackfuel_cx *cx, sf_ctx *ctx, SPIPlanPtr plan, ParamListInfo params,
		  uint32 max_rows, uint32 retptr)
{
	row_receiver r;
	SPIExecuteOptions opts;
	sql_window w;
	uint32		result[2];

	slackfuel_host_mem(cx, ctx, retptr, 8, "a return pointer");
	if (retptr % 4 != 0)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("wasm function \"%s\" gave a misaligned return pointer", cx->fname),
				 errdetail("Pointer %u, alignment 4.", retptr)));
	memset(&r, 0, sizeof(r));
	r.pub.receiveSlot = receive_slot;
	r.pub.rStartup = receiver_startup;
	r.pub.rShutdown = receiver_nothing;
	r.pub.rDestroy = receiver_nothing;
	r.pub.mydest = DestNone;
	r.list.w.cx = cx;
	r.list.w.ctx = ctx;
	memset(&opts, 0, sizeof(opts));
	opts.params = params;
	opts.read_only = true;
	opts.tcount = max_rows;
	opts.dest = &r.pub;
	window_open(cx, ctx, &w);
	SPI_execute_plan_extended(plan, &opts);
	window_close(cx, ctx, &w);
	result[0] = r.list.ptr;
	result[1] = r.list.n;
	memcpy(slackfuel_host_mem(cx, ctx, retptr, 8, "a return pointer"), result, 8);
}

static uint32
arg32(const sf_val *args, int i)
{
	return (uint32) args[i].of.i32;
}

/* --- Typed rows: records of the type mapping ----------------------------- */

/*
 * The record of statement 's' for rows of 'desc', built again when the
 * columns changed (a table altered under SELECT *, the plan revalidated).
 */
static slackfuel_rowtype *
stmt_rowtype(slackfuel_cx *cx, stmt_ent *s, TupleDesc desc, int self)
{
	if (s->rowtype != NULL && !slackfuel_rowtype_matches(s->rowtype, desc))
	{
		/* a query of it running below us still uses its record */
		if (s->rowtype->busy || s->running > self)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_IN_USE),
					 errmsg("wasm function \"%s\" ran a statement again while its rows were being returned",
							cx->fname)));
		slackfuel_rowtype_free(s->rowtype);
		s->rowtype = NULL;
	}
	if (s->rowtype == NULL)
		s->rowtype = slackfuel_rowtype_new(desc, cx->fname, TopMemoryContext);
	return s->rowtype;
}

/* The columns the statement returns, as planned. */
static TupleDesc
stmt_desc(slackfuel_cx *cx, stmt_ent *s)
{
	List	   *sources = SPI_plan_get_plan_sources(s->plan);
	CachedPlanSource *src = sources ? linitial(sources) : NULL;

	if (src == NULL || src->resultDesc == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("a statement of wasm function \"%s\" returns no rows", cx->fname)));
	return src->resultDesc;
}

/*
 * After a row: when the wasm caller's fuel is spent, the query stops there
 * and the call ends out of fuel (slackfuel_guard drops this error for the
 * engine's boundary check), rather than at the next cabi_realloc, which a
 * row of scalars never calls.
 */
static void
check_fuel(slackfuel_cx *cx, bool exhausted)
{
	if (exhausted)
	{
		cx->fuel_out = true;
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("out of fuel while returning rows")));
	}
}

/* One row as the record of 'rt' in a host buffer of rt->size bytes. */
static uint8 *
typed_row(slackfuel_cx *cx, sf_ctx *ctx, slackfuel_rowtype *rt, TupleTableSlot *slot,
		  MemoryContext rowcxt)
{
	MemoryContext old = MemoryContextSwitchTo(rowcxt);
	uint8	   *buf = palloc0(Max(rt->size, 1));

	slot_getallattrs(slot);
	sf_ctx_charge_fuel(ctx, slot->tts_tupleDescriptor->natts);
	slackfuel_rowtype_store(cx, ctx, rt, slot->tts_values, slot->tts_isnull, buf);
	MemoryContextSwitchTo(old);
	return buf;
}

/* The executor hands rows to the guest as a list<R>, R the record. */
typedef struct typed_receiver
{
	DestReceiver pub;
	slackfuel_cx *cx;
	sf_ctx	   *ctx;
	slackfuel_sql *sql;
	int			stmt;			/* its index: SQL run by cabi_realloc may
								 * move the array of statements */
	slackfuel_rowtype *rt;
	MemoryContext rowcxt;
	uint32		ptr;
	uint32		n;
	uint32		cap;
} typed_receiver;

static void
typed_startup(DestReceiver *self, int operation, TupleDesc desc)
{
	typed_receiver *r = (typed_receiver *) self;

	r->rt = stmt_rowtype(r->cx, &r->sql->stmts[r->stmt], desc, 1);
	r->rowcxt = AllocSetContextCreate(CurrentMemoryContext, "slackfuel row",
									  ALLOCSET_SMALL_SIZES);
}

static bool
typed_receive(TupleTableSlot *slot, DestReceiver *self)
{
	typed_receiver *r = (typed_receiver *) self;
	slackfuel_rowtype *rt = r->rt;
	uint8	   *buf = typed_row(r->cx, r->ctx, rt, slot, r->rowcxt);
	uint32		size = Max(rt->size, 1);

	if (r->n == r->cap)
	{
		uint32		ncap = r->cap ? r->cap * 2 : 4;

		if ((uint64) ncap * size > PG_UINT32_MAX)
			elog(ERROR, "too many rows for a 32-bit memory");
		r->ptr = slackfuel_host_realloc(r->cx, r->ctx, r->ptr, r->cap * size,
										rt->align, ncap * size);
		r->cap = ncap;
	}
	memcpy(slackfuel_host_mem(r->cx, r->ctx, r->ptr + r->n * size, rt->size, "a list of rows"),
		   buf, rt->size);
	r->n++;
	MemoryContextReset(r->rowcxt);
	check_fuel(r->cx, sf_ctx_charge_fuel(r->ctx, sf_fuel_for_bytes(rt->size)) != 0);
	return true;
}

static void
typed_nothing(DestReceiver *self)
{
}

/* The guest's return pointer, in its memory and aligned to 'align'. */
static void
check_retptr(slackfuel_cx *cx, sf_ctx *ctx, uint32 retptr, uint32 size, uint32 align)
{
	slackfuel_host_mem(cx, ctx, retptr, size, "a return pointer");
	if (retptr % align != 0)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("wasm function \"%s\" gave a misaligned return pointer", cx->fname),
				 errdetail("Pointer %u, alignment %u.", retptr, align)));
}

/* --- Parsing with parameter types inferred ------------------------------- */

typedef struct varparams
{
	Oid		   *types;			/* palloc'd: the parser may enlarge it */
	int			ntypes;
} varparams;

static void
varparams_setup(ParseState *pstate, void *arg)
{
	varparams  *vp = arg;

	setup_parse_variable_parameters(pstate, &vp->types, &vp->ntypes);
}

/*
 * Prepare 'src' with the parameter types 'vp' gives (InvalidOid: infer
 * it from the query, as PREPARE without types does), and check it.
 */
static SPIPlanPtr
prepare(slackfuel_cx *cx, const char *src, varparams *vp)
{
	SPIPrepareOptions o;
	SPIPlanPtr	plan;

	memset(&o, 0, sizeof(o));
	o.parserSetup = varparams_setup;
	o.parserSetupArg = vp;
	o.parseMode = RAW_PARSE_DEFAULT;
	plan = SPI_prepare_extended(src, &o);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare_extended failed: %s", SPI_result_code_string(SPI_result));
	check_read_only(cx, plan);
	return plan;
}

/* Enough values for the query's parameters? */
static void
check_nparams(slackfuel_cx *cx, int want, uint32 given)
{
	if ((uint32) want != given)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_PARAMETER),
				 errmsg("a query of wasm function \"%s\" has %d parameters, %u given",
						cx->fname, want, given)));
}

/* --- The functions --------------------------------------------------------- */

/* query(sql, params, max-rows) -> list<row>: args sql(2), params(2), max, retptr */
void
slackfuel_sql_query(slackfuel_cx *cx, sf_ctx *ctx, const sf_val *args)
{
	char	   *src;
	param_in   *in;
	uint32		n = arg32(args, 3);
	varparams	vp;
	SPIPlanPtr	plan;

	check_allowed(cx);
	src = sql_string(cx, ctx, arg32(args, 0), arg32(args, 1), "a query");
	in = read_params(cx, ctx, arg32(args, 2), n);
	vp.ntypes = (int) n;
	vp.types = palloc0(sizeof(Oid) * Max(n, 1));
	for (uint32 i = 0; i < n; i++)
		vp.types[i] = value_types[in[i].disc];
	connect_spi(cx);
	plan = prepare(cx, src, &vp);
	check_nparams(cx, vp.ntypes, n);
	run_query(cx, ctx, plan, param_list(cx, in, vp.ntypes, vp.types), arg32(args, 4),
			  arg32(args, 5));
	SPI_freeplan(plan);
}

/* [constructor]statement(sql, param-types) -> handle */
void
slackfuel_sql_prepare(slackfuel_cx *cx, sf_ctx *ctx, const sf_val *args, sf_val *result)
{
	slackfuel_sql *sql = sql_state(cx);
	char	   *src;
	uint32		tptr = arg32(args, 2),
				ntypes = arg32(args, 3);
	varparams	vp;
	SPIPlanPtr	probe,
				plan;
	Oid		   *types;
	int			slot;

	check_allowed(cx);
	src = sql_string(cx, ctx, arg32(args, 0), arg32(args, 1), "a query");
	if (ntypes > 65535)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("wasm function \"%s\" gave %u parameter types", cx->fname, ntypes)));
	if (tptr % 4 != 0)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("wasm function \"%s\" gave a misaligned list of type names", cx->fname)));
	slackfuel_host_mem(cx, ctx, tptr, (uint64) ntypes * 8, "a list of type names");
	vp.ntypes = (int) ntypes;
	vp.types = palloc0(sizeof(Oid) * Max(ntypes, 1));
	for (uint32 i = 0; i < ntypes; i++)
	{
		const uint8 *e = slackfuel_host_mem(cx, ctx, tptr + i * 8, 8, "a list of type names");
		char	   *name = sql_string(cx, ctx, read_u32(e), read_u32(e + 4), "a type name");
		int32		typmod;

		parseTypeString(name, &vp.types[i], &typmod, false);
	}
	for (slot = 0; slot < sql->nstmts && sql->stmts[slot].used; slot++)
		;
	if (slot == MAX_STATEMENTS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("wasm function \"%s\" holds %d statements", cx->fname, MAX_STATEMENTS),
				 errdetail("Drop statements that are no longer needed.")));
	connect_spi(cx);
	/* infer the missing types, then plan again with all of them fixed */
	probe = prepare(cx, src, &vp);
	SPI_freeplan(probe);
	types = malloc(sizeof(Oid) * Max(vp.ntypes, 1));
	if (types == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	for (int i = 0; i < vp.ntypes; i++)
		types[i] = OidIsValid(vp.types[i]) && vp.types[i] != UNKNOWNOID ? vp.types[i] : TEXTOID;
	PG_TRY();
	{
		plan = SPI_prepare(src, vp.ntypes, types);
		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		check_read_only(cx, plan);
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "SPI_keepplan failed");
		if (slot == sql->nstmts)
		{
			int			ncap = Min(Max(sql->nstmts * 2, 8), MAX_STATEMENTS);
			stmt_ent   *ns = realloc(sql->stmts, sizeof(stmt_ent) * ncap);

			if (ns == NULL)
				ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
			memset(ns + sql->nstmts, 0, sizeof(stmt_ent) * (ncap - sql->nstmts));
			sql->stmts = ns;
			sql->nstmts = ncap;
		}
	}
	PG_CATCH();
	{
		free(types);
		PG_RE_THROW();
	}
	PG_END_TRY();
	sql->stmts[slot].used = true;
	sql->stmts[slot].plan = plan;
	sql->stmts[slot].nparams = vp.ntypes;
	sql->stmts[slot].types = types;
	result[0].of.i32 = slot + 1;
}

/* [method]statement.query(self, params, max-rows) -> list<row> */
void
slackfuel_sql_stmt_query(slackfuel_cx *cx, sf_ctx *ctx, const sf_val *args)
{
	stmt_ent   *s;
	param_in   *in;
	uint32		n = arg32(args, 2);

	check_allowed(cx);
	s = stmt_get(cx, arg32(args, 0));
	in = read_params(cx, ctx, arg32(args, 1), n);
	check_nparams(cx, s->nparams, n);
	connect_spi(cx);
	s->running++;
	run_query(cx, ctx, s->plan, param_list(cx, in, n, s->types), arg32(args, 3),
			  arg32(args, 4));
	/* the guest's cabi_realloc may have moved the array of statements */
	stmt_get(cx, arg32(args, 0))->running--;
}

/*
 * [method]statement.query-typed(self, params, max-rows) -> list<row>, each
 * row the record of the statement's columns (statement.row-type).
 */
void
slackfuel_sql_stmt_query_typed(slackfuel_cx *cx, sf_ctx *ctx, const sf_val *args)
{
	stmt_ent   *s;
	param_in   *in;
	uint32		n = arg32(args, 2),
				retptr = arg32(args, 4);
	typed_receiver r;
	SPIExecuteOptions opts;
	sql_window	w;
	uint32		result[2];

	check_allowed(cx);
	s = stmt_get(cx, arg32(args, 0));
	in = read_params(cx, ctx, arg32(args, 1), n);
	check_nparams(cx, s->nparams, n);
	check_retptr(cx, ctx, retptr, 8, 4);
	connect_spi(cx);
	memset(&r, 0, sizeof(r));
	r.sql = sql_state(cx);
	r.stmt = (int) (arg32(args, 0) - 1);
	r.pub.receiveSlot = typed_receive;
	r.pub.rStartup = typed_startup;
	r.pub.rShutdown = typed_nothing;
	r.pub.rDestroy = typed_nothing;
	r.pub.mydest = DestNone;
	r.cx = cx;
	r.ctx = ctx;
	memset(&opts, 0, sizeof(opts));
	opts.params = param_list(cx, in, n, s->types);
	opts.read_only = true;
	opts.tcount = arg32(args, 3);
	opts.dest = &r.pub;
	window_open(cx, ctx, &w);
	s->running++;
	SPI_execute_plan_extended(s->plan, &opts);
	r.sql->stmts[r.stmt].running--;
	window_close(cx, ctx, &w);
	result[0] = r.ptr;
	result[1] = r.n;
	memcpy(slackfuel_host_mem(cx, ctx, retptr, 8, "a return pointer"), result, 8);
}

/* [method]statement.row-type(self) -> string: "record row { ... }" */
void
slackfuel_sql_stmt_row_type(slackfuel_cx *cx, sf_ctx *ctx, const sf_val *args)
{
	stmt_ent   *s;
	uint32		retptr = arg32(args, 1);
	slackfuel_rowtype *rt;
	uint32		pair[2];
	size_t		len;

	s = stmt_get(cx, arg32(args, 0));
	check_retptr(cx, ctx, retptr, 8, 4);
	rt = stmt_rowtype(cx, s, stmt_desc(cx, s), 0);
	len = strlen(rt->wit);
	pair[0] = slackfuel_host_alloc(cx, ctx, 1, (uint32) len);
	pair[1] = (uint32) len;
	memcpy(slackfuel_host_mem(cx, ctx, pair[0], len, "a cabi_realloc result"), rt->wit, len);
	slackfuel_host_charge(ctx, len + 8);
	memcpy(slackfuel_host_mem(cx, ctx, retptr, 8, "a return pointer"), pair, 8);
}

/* [method]statement.open(self, params) -> rows */
void
slackfuel_sql_stmt_open(slackfuel_cx *cx, sf_ctx *ctx, const sf_val *args, sf_val *result)
{
	slackfuel_sql *sql = sql_state(cx);
	uint32		h = arg32(args, 0),
				n = arg32(args, 2);
	stmt_ent   *s;
	param_in   *in;
	sql_window	w;
	Portal		portal;
	int			slot;

	check_allowed(cx);
	s = stmt_get(cx, h);
	in = read_params(cx, ctx, arg32(args, 1), n);
	check_nparams(cx, s->nparams, n);
	for (slot = 0; slot < MAX_CURSORS && sql->rows[slot].used; slot++)
		;
	if (slot == MAX_CURSORS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("wasm function \"%s\" holds %d open cursors", cx->fname, MAX_CURSORS),
				 errdetail("Drop cursors that are no longer needed.")));
	connect_spi(cx);
	window_open(cx, ctx, &w);
	portal = SPI_cursor_open_with_paramlist(NULL, s->plan, param_list(cx, in, n, s->types),
											true);
	window_close(cx, ctx, &w);
	sql->rows[slot].used = true;
	sql->rows[slot].call_id = cx->id;
	sql->rows[slot].portal = portal;
	sql->rows[slot].stmt = (int) (h - 1);
	/* planning may have run wasm that prepared statements, moving them */
	sql->stmts[h - 1].open_cursors++;
	result[0].of.i32 = slot + 1;
}

/* [resource-drop]statement(self) */
void
slackfuel_sql_stmt_drop(slackfuel_cx *cx, sf_ctx *ctx, const sf_val *args)
{
	stmt_ent   *s = stmt_get(cx, arg32(args, 0));

	if (s->running > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_IN_USE),
				 errmsg("wasm function \"%s\" dropped statement %u while a query of it runs",
						cx->fname, arg32(args, 0)),
				 errdetail("Its cabi_realloc dropped it.")));
	if (s->open_cursors > 0)
		s->dropped = true;
	else
		stmt_release(s);
}

/* [method]rows.next(self) -> option<row>, written at the return pointer */
void
slackfuel_sql_rows_next(slackfuel_cx *cx, sf_ctx *ctx, const sf_val *args)
{
	rows_ent   *r;
	uint32		retptr = arg32(args, 1);
	uint8		out[12] = {0};
	sql_window	w;

	check_allowed(cx);
	r = rows_get(cx, arg32(args, 0));
	slackfuel_host_mem(cx, ctx, retptr, 12, "a return pointer");
	if (retptr % 4 != 0)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("wasm function \"%s\" gave a misaligned return pointer", cx->fname),
				 errdetail("Pointer %u, alignment 4.", retptr)));
	connect_spi(cx);
	window_open(cx, ctx, &w);
	SPI_cursor_fetch(r->portal, true, 1);
	window_close(cx, ctx, &w);
	if (SPI_processed == 1)
	{
		row_writer wr;
		TupleDesc	desc = SPI_tuptable->tupdesc;
		Datum	   *values = palloc(sizeof(Datum) * Max(desc->natts, 1));
		bool	   *nulls = palloc(sizeof(bool) * Max(desc->natts, 1));
		uint32		row,
					ncols = (uint32) desc->natts;

		writer_init(&wr, cx, ctx, desc);
		heap_deform_tuple(SPI_tuptable->vals[0], desc, values, nulls);
		row = write_row(&wr, values, nulls);
		out[0] = 1;
		memcpy(out + 4, &row, 4);
		memcpy(out + 8, &ncols, 4);
	}
	SPI_freetuptable(SPI_tuptable);
	memcpy(slackfuel_host_mem(cx, ctx, retptr, 12, "a return pointer"), out, 12);
}

/*
 * [method]rows.next-typed(self) -> option<row>, the row the record of its
 * statement's columns: a discriminant byte, the record at its alignment.
 */
void
slackfuel_sql_rows_next_typed(slackfuel_cx *cx, sf_ctx *ctx, const sf_val *args)
{
	slackfuel_sql *sql = sql_state(cx);
	rows_ent   *r;
	stmt_ent   *s;
	slackfuel_rowtype *rt;
	uint32		retptr = arg32(args, 1);
	uint32		off,
				size;
	uint8	   *out;
	sql_window	w;

	check_allowed(cx);
	r = rows_get(cx, arg32(args, 0));
	s = &sql->stmts[r->stmt];
	rt = stmt_rowtype(cx, s, r->portal->tupDesc, 0);
	off = TYPEALIGN(rt->align, 1);
	size = TYPEALIGN(rt->align, off + rt->size);
	check_retptr(cx, ctx, retptr, size, rt->align);
	connect_spi(cx);
	window_open(cx, ctx, &w);
	SPI_cursor_fetch(r->portal, true, 1);
	window_close(cx, ctx, &w);
	out = palloc0(size);
	if (SPI_processed == 1)
	{
		TupleDesc	desc = SPI_tuptable->tupdesc;
		TupleTableSlot *slot = MakeSingleTupleTableSlot(desc, &TTSOpsHeapTuple);
		uint8	   *row;

		/* the fetch ran SQL, which may have moved the array of statements */
		s = &sql->stmts[r->stmt];
		rt = stmt_rowtype(cx, s, desc, 0);
		if (TYPEALIGN(rt->align, 1) != off || TYPEALIGN(rt->align, off + rt->size) != size)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("the columns of a cursor of wasm function \"%s\" changed", cx->fname)));
		ExecStoreHeapTuple(SPI_tuptable->vals[0], slot, false);
		row = typed_row(cx, ctx, rt, slot, CurrentMemoryContext);
		out[0] = 1;
		memcpy(out + off, row, rt->size);
		ExecDropSingleTupleTableSlot(slot);
	}
	SPI_freetuptable(SPI_tuptable);
	memcpy(slackfuel_host_mem(cx, ctx, retptr, size, "a return pointer"), out, size);
	slackfuel_host_charge(ctx, size);
}

/* [resource-drop]rows(self) */
void
slackfuel_sql_rows_drop(slackfuel_cx *cx, sf_ctx *ctx, const sf_val *args)
{
	rows_ent   *r = rows_get(cx, arg32(args, 0));

	rows_close(sql_state(cx), r);
}
