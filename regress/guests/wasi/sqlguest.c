/*
 * sqlguest.c -- a C guest of slackfuel:host/api for the regress suite
 * "host" and "query": queries with every kind of value, statements kept across calls,
 * cursors, log and raise, with the bindings written by hand from the WIT
 * of docs/host.md.  Built against wasi-libc by make guests.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOST(name) __attribute__((import_module("slackfuel:host/api"), import_name(name)))
#define EXPORT(name) __attribute__((export_name(name)))

/* variant value: 16 bytes, discriminant at 0, payload at 8 */
enum
{
	V_NULL, V_BOOLEAN, V_INT2, V_INT4, V_INT8, V_FLOAT4, V_FLOAT8, V_TEXT, V_BYTEA, V_OTHER
};

typedef struct value
{
	uint8_t		disc;
	union
	{
		uint8_t		b;
		int16_t		i16;
		int32_t		i32;
		int64_t		i64;
		float		f32;
		double		f64;
		struct
		{
			char	   *ptr;
			uint32_t	len;
		}			s;
	}			u;
} value;

typedef struct row
{
	value	   *ptr;
	uint32_t	len;
} row;

typedef struct rows
{
	row		   *ptr;
	uint32_t	len;
} rows;

typedef struct opt_row
{
	uint8_t		is_some;
	row			r;
} opt_row;

typedef struct str
{
	const char *ptr;
	uint32_t	len;
} str;

HOST("log") void h_log(int level, const char *msg, uint32_t len);
HOST("raise") void h_raise(const char *st, uint32_t stlen, const char *msg, uint32_t msglen,
						   int has_detail, const char *detail, uint32_t dlen,
						   int has_hint, const char *hint, uint32_t hlen);
HOST("query") void h_query(const char *sql, uint32_t len, const value *params, uint32_t n,
						   uint32_t max_rows, rows *ret);
HOST("[constructor]statement") int32_t h_prepare(const char *sql, uint32_t len,
												 const str *types, uint32_t ntypes);
HOST("[method]statement.query") void h_stmt_query(int32_t stmt, const value *params,
												  uint32_t n, uint32_t max_rows, rows *ret);
HOST("[method]statement.open") int32_t h_stmt_open(int32_t stmt, const value *params,
												   uint32_t n);
HOST("[resource-drop]statement") void h_stmt_drop(int32_t stmt);
HOST("[method]rows.next") void h_rows_next(int32_t cursor, opt_row *ret);
HOST("[resource-drop]rows") void h_rows_drop(int32_t cursor);
HOST("[method]statement.query-typed") void h_stmt_query_typed(int32_t stmt, const value *params,
															  uint32_t n, uint32_t max_rows,
															  void *ret);
HOST("[method]statement.row-type") void h_stmt_row_type(int32_t stmt, str *ret);
HOST("[method]rows.next-typed") void h_rows_next_typed(int32_t cursor, void *ret);

EXPORT("cabi_realloc")
void *
cabi_realloc(void *old, uint32_t old_size, uint32_t align, uint32_t size)
{
	return realloc(old, size ? size : 1);
}

/* ---- text results: a pointer to (ptr, len) ---- */

static struct
{
	char	   *ptr;
	uint32_t	len;
}			result;

static char *out;
static size_t out_len,
			out_cap;

static void
put(const char *fmt,...)
{
	va_list		ap;
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (out_len + n + 1 > out_cap)
	{
		out_cap = (out_len + n + 1) * 2;
		out = realloc(out, out_cap);
	}
	va_start(ap, fmt);
	vsnprintf(out + out_len, n + 1, fmt, ap);
	va_end(ap);
	out_len += n;
}

static void *
text_result(void)
{
	result.ptr = out;
	result.len = (uint32_t) out_len;
	out = NULL;
	out_len = out_cap = 0;
	return &result;
}

EXPORT("cabi_post_q") void post_q(void *p) { free(result.ptr); }
EXPORT("cabi_post_q1") void post_q1(void *p) { free(result.ptr); }
EXPORT("cabi_post_qmax") void post_qmax(void *p) { free(result.ptr); }
EXPORT("cabi_post_lookup") void post_lookup(void *p) { free(result.ptr); }
EXPORT("cabi_post_cursor") void post_cursor(void *p) { free(result.ptr); }
EXPORT("cabi_post_row_type") void post_row_type(void *p) { free(result.ptr); }
EXPORT("cabi_post_typed") void post_typed(void *p) { free(result.ptr); }
EXPORT("cabi_post_typed_cursor") void post_typed_cursor(void *p) { free(result.ptr); }

/* ---- values ---- */

static void
put_value(const value *v)
{
	switch (v->disc)
	{
		case V_NULL:
			put("NULL");
			break;
		case V_BOOLEAN:
			put("bool:%s", v->u.b ? "true" : "false");
			break;
		case V_INT2:
			put("int2:%d", v->u.i16);
			break;
		case V_INT4:
			put("int4:%d", v->u.i32);
			break;
		case V_INT8:
			put("int8:%lld", (long long) v->u.i64);
			break;
		case V_FLOAT4:
			put("float4:%g", v->u.f32);
			break;
		case V_FLOAT8:
			put("float8:%.17g", v->u.f64);
			break;
		case V_TEXT:
			put("text:'%.*s'", (int) v->u.s.len, v->u.s.ptr);
			break;
		case V_BYTEA:
			put("bytea:");
			for (uint32_t i = 0; i < v->u.s.len; i++)
				put("%02x", (unsigned char) v->u.s.ptr[i]);
			break;
		case V_OTHER:
			put("other:'%.*s'", (int) v->u.s.len, v->u.s.ptr);
			break;
		default:
			put("?%d", v->disc);
	}
}

/* Print a row and free everything the host allocated for it. */
static void
put_row(row r)
{
	for (uint32_t i = 0; i < r.len; i++)
	{
		if (i > 0)
			put(", ");
		put_value(&r.ptr[i]);
		if (r.ptr[i].disc == V_TEXT || r.ptr[i].disc == V_BYTEA || r.ptr[i].disc == V_OTHER)
			free(r.ptr[i].u.s.ptr);
	}
	free(r.ptr);
}

static void
put_rows(rows rs)
{
	for (uint32_t i = 0; i < rs.len; i++)
	{
		if (i > 0)
			put("\n");
		put_row(rs.ptr[i]);
	}
	if (rs.len == 0)
		put("(no rows)");
	free(rs.ptr);
}

/* A value of kind 'kind' from the text 'text' (not NUL-terminated). */
static value
make_value(const char *kind, uint32_t klen, char *text, uint32_t tlen)
{
	static const char *const kinds[] = {"null", "bool", "int2", "int4", "int8", "float4",
	"float8", "text", "bytea", "other"};
	char		buf[64];
	value		v;

	memset(&v, 0, sizeof(v));
	snprintf(buf, sizeof(buf), "%.*s", (int) (tlen < 63 ? tlen : 63), text);
	for (int k = 0; k < 10; k++)
		if (strlen(kinds[k]) == klen && memcmp(kinds[k], kind, klen) == 0)
			v.disc = (uint8_t) k;
	switch (v.disc)
	{
		case V_BOOLEAN:
			v.u.b = buf[0] == 't';
			break;
		case V_INT2:
			v.u.i16 = (int16_t) atoi(buf);
			break;
		case V_INT4:
			v.u.i32 = atoi(buf);
			break;
		case V_INT8:
			v.u.i64 = atoll(buf);
			break;
		case V_FLOAT4:
			v.u.f32 = strtof(buf, NULL);
			break;
		case V_FLOAT8:
			v.u.f64 = strtod(buf, NULL);
			break;
		case V_TEXT:
		case V_BYTEA:
		case V_OTHER:
			v.u.s.ptr = text;
			v.u.s.len = tlen;
			break;
	}
	return v;
}

/* ---- the SQL functions ---- */

/* q(sql text) returns text: every row of a query without parameters */
EXPORT("q")
void *
q(char *sql, uint32_t len)
{
	rows		rs;

	h_query(sql, len, NULL, 0, 0, &rs);
	put_rows(rs);
	free(sql);
	return text_result();
}

/* q1(sql text, kind text, val text) returns text: one parameter of that kind */
EXPORT("q1")
void *
q1(char *sql, uint32_t len, char *kind, uint32_t klen, char *val, uint32_t vlen)
{
	value		v = make_value(kind, klen, val, vlen);
	rows		rs;

	h_query(sql, len, &v, 1, 0, &rs);
	put_rows(rs);
	free(sql);
	free(kind);
	free(val);
	return text_result();
}

/* qmax(sql text, max int) returns text */
EXPORT("qmax")
void *
qmax(char *sql, uint32_t len, int32_t max)
{
	rows		rs;

	h_query(sql, len, NULL, 0, (uint32_t) max, &rs);
	put("%u rows: ", rs.len);
	put_rows(rs);
	free(sql);
	return text_result();
}

/* qcount(sql text) returns int: how many rows a query returned */
EXPORT("qcount")
int32_t
qcount(char *sql, uint32_t len)
{
	rows		rs;

	h_query(sql, len, NULL, 0, 0, &rs);
	for (uint32_t i = 0; i < rs.len; i++)
	{
		for (uint32_t k = 0; k < rs.ptr[i].len; k++)
			if (rs.ptr[i].ptr[k].disc == V_TEXT || rs.ptr[i].ptr[k].disc == V_BYTEA ||
				rs.ptr[i].ptr[k].disc == V_OTHER)
				free(rs.ptr[i].ptr[k].u.s.ptr);
		free(rs.ptr[i].ptr);
	}
	free(rs.ptr);
	free(sql);
	return (int32_t) rs.len;
}

/* lookup(id int) returns text: a statement prepared once per instance */
static int32_t lookup_stmt;
static int	prepared;

EXPORT("lookup")
void *
lookup(int32_t id)
{
	static const char sql[] = "SELECT name FROM host_items WHERE id = $1";
	static const str types[] = {{"int4", 4}};
	value		v = {.disc = V_INT4, .u.i32 = id};
	rows		rs;

	if (lookup_stmt == 0)
	{
		lookup_stmt = h_prepare(sql, sizeof(sql) - 1, types, 1);
		prepared++;
	}
	h_stmt_query(lookup_stmt, &v, 1, 1, &rs);
	put_rows(rs);
	put(" (prepared %d)", prepared);
	return text_result();
}

/* cursor(sql text, n int) returns text: n rows read one at a time */
EXPORT("cursor")
void *
cursor(char *sql, uint32_t len, int32_t n)
{
	int32_t		stmt = h_prepare(sql, len, NULL, 0);
	int32_t		c = h_stmt_open(stmt, NULL, 0);
	opt_row		o;

	h_stmt_drop(stmt);			/* the cursor keeps it alive */
	for (int32_t i = 0; i < n; i++)
	{
		h_rows_next(c, &o);
		if (!o.is_some)
		{
			put("(end)");
			break;
		}
		put("%d: ", i + 1);
		put_row(o.r);
		put("\n");
	}
	h_rows_drop(c);
	free(sql);
	return text_result();
}

/*
 * kept_cursor(sql text) returns int: the first call opens a cursor and
 * keeps its handle; later calls read it
 */
static int32_t kept;

EXPORT("kept_cursor")
int32_t
kept_cursor(char *sql, uint32_t len)
{
	opt_row		o;

	if (kept == 0)
	{
		kept = h_stmt_open(h_prepare(sql, len, NULL, 0), NULL, 0);
		free(sql);
		return -kept;
	}
	free(sql);
	h_rows_next(kept, &o);
	return o.is_some;
}

/* log_it(level int, msg text) */
EXPORT("log_it")
void
log_it(int32_t level, char *msg, uint32_t len)
{
	h_log(level, msg, len);
	free(msg);
}

/* raise_it(state text, msg text, detail text, hint text): '' = none */
EXPORT("raise_it")
void
raise_it(char *st, uint32_t stlen, char *msg, uint32_t mlen, char *d, uint32_t dlen,
		 char *h, uint32_t hlen)
{
	h_raise(st, stlen, msg, mlen, dlen > 0, d, dlen, hlen > 0, h, hlen);
}

/* count_to(n int) returns int: n queries in one call, summing their results */
EXPORT("count_to")
int32_t
count_to(int32_t n)
{
	static const char sql[] = "SELECT $1::int * 2";
	int32_t		stmt = h_prepare(sql, sizeof(sql) - 1, NULL, 0);
	int32_t		sum = 0;

	for (int32_t i = 1; i <= n; i++)
	{
		value		v = {.disc = V_INT4, .u.i32 = i};
		rows		rs;

		h_stmt_query(stmt, &v, 1, 0, &rs);
		sum += rs.ptr[0].ptr[0].u.i32;
		free(rs.ptr[0].ptr);
		free(rs.ptr);
	}
	h_stmt_drop(stmt);
	return sum;
}

/* ---- typed rows: records of the type mapping ---- */

/* row_type(sql text) returns text: the WIT record of the query's rows */
EXPORT("row_type")
void *
row_type(char *sql, uint32_t len)
{
	int32_t		stmt = h_prepare(sql, len, NULL, 0);
	str			t;

	h_stmt_row_type(stmt, &t);
	put("%.*s", (int) t.len, t.ptr);
	free((void *) t.ptr);
	h_stmt_drop(stmt);
	free(sql);
	return text_result();
}

/*
 * The record of a query of columns (int4, text, float8, int4[], date), as
 * the canonical ABI lays out record { option<s32>, option<string>,
 * option<f64>, option<list<s32>>, option<s32> }: C's layout of the same
 * fields on wasm32.
 */
typedef struct typed_row
{
	struct { uint8_t some; int32_t v; } id;
	struct { uint8_t some; const char *ptr; uint32_t len; } name;
	struct { uint8_t some; double v; } score;
	struct { uint8_t some; const int32_t *ptr; uint32_t len; } pair;
	struct { uint8_t some; int32_t v; } day;
} typed_row;

_Static_assert(sizeof(typed_row) == 64, "record layout");

static void
put_typed(const typed_row *r)
{
	if (r->id.some) put("id=%d", r->id.v); else put("id=NULL");
	if (r->name.some) put(" name=%.*s", (int) r->name.len, r->name.ptr); else put(" name=NULL");
	if (r->score.some) put(" score=%g", r->score.v); else put(" score=NULL");
	if (r->pair.some)
	{
		put(" pair=[");
		for (uint32_t i = 0; i < r->pair.len; i++)
			put(i ? ",%d" : "%d", r->pair.ptr[i]);
		put("]");
	}
	else
		put(" pair=NULL");
	if (r->day.some) put(" day=%d", r->day.v); else put(" day=NULL");
	put("\n");
	free((void *) r->name.ptr);
	free((void *) r->pair.ptr);
}

/* typed(sql text, max int, id int) returns text: the rows of 'sql' ($1 = id), as records */
EXPORT("typed")
void *
typed(char *sql, uint32_t len, int32_t max, int32_t id)
{
	static const str types[] = {{"int4", 4}};
	int32_t		stmt = h_prepare(sql, len, types, 1);
	value		v = {.disc = V_INT4, .u.i32 = id};
	struct { typed_row *ptr; uint32_t len; } rs;

	h_stmt_query_typed(stmt, &v, 1, (uint32_t) max, &rs);
	put("%u rows\n", rs.len);
	for (uint32_t i = 0; i < rs.len; i++)
		put_typed(&rs.ptr[i]);
	free(rs.ptr);
	h_stmt_drop(stmt);
	free(sql);
	return text_result();
}

/* typed_cursor(sql text) returns text: the same, one row at a time */
EXPORT("typed_cursor")
void *
typed_cursor(char *sql, uint32_t len)
{
	static const str types[] = {{"int4", 4}};
	int32_t		stmt = h_prepare(sql, len, types, 1);
	value		v = {.disc = V_INT4, .u.i32 = 0};
	int32_t		c = h_stmt_open(stmt, &v, 1);
	struct { uint8_t some; typed_row r; } o;

	_Static_assert(sizeof(o) == 72, "option<record> layout");
	for (;;)
	{
		h_rows_next_typed(c, &o);
		if (!o.some)
			break;
		put_typed(&o.r);
	}
	put("(end)");
	h_rows_drop(c);
	h_stmt_drop(stmt);
	free(sql);
	return text_result();
}

/* typed_at(sql text, retptr int) returns int: query-typed with a given return pointer */
EXPORT("typed_at")
int32_t
typed_at(char *sql, uint32_t len, int32_t ret)
{
	int32_t		stmt = h_prepare(sql, len, NULL, 0);
	int32_t		c;

	free(sql);
	if (ret < 0)
	{
		c = h_stmt_open(stmt, NULL, 0);
		h_rows_next_typed(c, (void *) (uintptr_t) (uint32_t) -ret);
		return 1;
	}
	h_stmt_query_typed(stmt, NULL, 0, 0, (void *) (uintptr_t) (uint32_t) ret);
	return 0;
}

/*
 * typed_bytes(sql text, size int) returns bytea: the first 'size' bytes
 * of the typed rows of 'sql', as the host laid them out
 */
static struct
{
	uint8_t	   *ptr;
	uint32_t	len;
}			bytes_result;

EXPORT("typed_bytes")
void *
typed_bytes(char *sql, uint32_t len, int32_t size)
{
	int32_t		stmt = h_prepare(sql, len, NULL, 0);
	struct { uint8_t *ptr; uint32_t len; } rs;

	free(sql);
	h_stmt_query_typed(stmt, NULL, 0, 0, &rs);
	h_stmt_drop(stmt);
	bytes_result.ptr = rs.ptr;
	bytes_result.len = (uint32_t) size;
	return &bytes_result;
}

EXPORT("cabi_post_typed_bytes") void post_typed_bytes(void *p) { free(bytes_result.ptr); }

/*
 * kept_typed_bytes(sql text, size int) returns bytea: as typed_bytes, with
 * the statement prepared at the first call and kept
 */
static int32_t kept_typed;

EXPORT("kept_typed_bytes")
void *
kept_typed_bytes(char *sql, uint32_t len, int32_t size)
{
	struct { uint8_t *ptr; uint32_t len; } rs;

	if (kept_typed == 0)
		kept_typed = h_prepare(sql, len, NULL, 0);
	free(sql);
	h_stmt_query_typed(kept_typed, NULL, 0, 0, &rs);
	bytes_result.ptr = rs.ptr;
	bytes_result.len = (uint32_t) size;
	return &bytes_result;
}

EXPORT("cabi_post_kept_typed_bytes") void post_kept_typed_bytes(void *p) { free(bytes_result.ptr); }
