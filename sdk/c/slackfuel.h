/*
 * slackfuel.h -- the guest SDK for C: PostgreSQL functions written in C,
 * compiled to WebAssembly and run by the slackfuel extension.
 *
 *	#include "slackfuel.h"
 *
 *	static int32_t
 *	add(int32_t a, int32_t b)
 *	{
 *		return a + b;
 *	}
 *	SF_EXPORT(add, int32_t, int32_t, int32_t)
 *
 * SF_EXPORT(name, result type, argument types...) exports 'name' with the
 * core WebAssembly signature the extension calls, converting arguments
 * and result by the canonical ABI; see docs/sdk.md for the types, and
 * for what the SDK does with memory.  Build freestanding:
 *
 *	clang --target=wasm32 -mbulk-memory -O2 -nostdlib -Wl,--no-entry \
 *		-I sdk/c -o add.wasm add.c
 *
 * or with wasi-libc (malloc, string.h, math.h, ... ):
 *
 *	clang --target=wasm32-wasi -O2 -nostartfiles -Wl,--no-entry \
 *		-I sdk/c -o add.wasm add.c
 *
 * The header holds its own implementation (the allocator and the
 * cabi_realloc export): include it in exactly one file of a module, and
 * define SLACKFUEL_NO_IMPLEMENTATION before including it in the others.
 */
#ifndef SLACKFUEL_GUEST_H
#define SLACKFUEL_GUEST_H

#if !defined(__wasm32__)
#error "slackfuel.h is for WebAssembly guests: compile with clang --target=wasm32 or --target=wasm32-wasi"
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__wasi__)
#include <stdlib.h>
#include <string.h>
#elif !defined(__wasm_bulk_memory__)
#error "freestanding slackfuel guests need -mbulk-memory (memcpy and memset become memory.copy and memory.fill)"
#else
void	   *memcpy(void *dst, const void *src, size_t n);
void	   *memmove(void *dst, const void *src, size_t n);
void	   *memset(void *dst, int c, size_t n);
int			memcmp(const void *a, const void *b, size_t n);
size_t		strlen(const char *s);
#endif

/* ---- Values ------------------------------------------------------------
 *
 * Views with the canonical ABI's layout in linear memory: a string or a
 * list is a (pointer, length) pair; an option is a one-byte discriminant
 * followed by its payload at the payload's alignment.
 */

/* UTF-8 text (SQL text, varchar); not NUL-terminated. */
typedef struct sf_string
{
	char	   *ptr;
	size_t		len;
} sf_string;

/* Bytes (SQL bytea). */
typedef struct sf_bytes
{
	uint8_t    *ptr;
	size_t		len;
} sf_bytes;

/* list<T>: 'len' elements of T.  typedef SF_LIST(double) sf_list_f64; */
#define SF_LIST(T) struct { T *ptr; size_t len; }

/* option<T>: 'val' is meaningful when 'is_some' is 1. */
#define SF_OPTION(T) struct { uint8_t is_some; T val; }

/* The lists and options SF_EXPORT passes (T[] and NULL-able values). */
typedef SF_LIST(bool) sf_list_bool;
typedef SF_LIST(int16_t) sf_list_i16;
typedef SF_LIST(int32_t) sf_list_i32;
typedef SF_LIST(int64_t) sf_list_i64;
typedef SF_LIST(float) sf_list_f32;
typedef SF_LIST(double) sf_list_f64;
typedef SF_LIST(sf_string) sf_list_string;
typedef SF_LIST(sf_bytes) sf_list_bytes;
typedef SF_OPTION(bool) sf_opt_bool;
typedef SF_OPTION(int16_t) sf_opt_i16;
typedef SF_OPTION(int32_t) sf_opt_i32;
typedef SF_OPTION(int64_t) sf_opt_i64;
typedef SF_OPTION(float) sf_opt_f32;
typedef SF_OPTION(double) sf_opt_f64;
typedef SF_OPTION(sf_string) sf_opt_string;
typedef SF_OPTION(sf_bytes) sf_opt_bytes;

#define SF_NONE(T) ((T) { 0 })
#define SF_SOME(T, v) ((T) { 1, (v) })

/*
 * A trigger function's argument (RETURNS trigger; docs/types.md,
 * "Triggers"): rows are JSON objects, 'old' and 'new' present for the
 * row events that have them.
 */
enum
{
	SF_TRIGGER_INSERT, SF_TRIGGER_UPDATE, SF_TRIGGER_DELETE, SF_TRIGGER_TRUNCATE
};
enum
{
	SF_TRIGGER_BEFORE, SF_TRIGGER_AFTER, SF_TRIGGER_INSTEAD_OF
};
enum
{
	SF_TRIGGER_ROW, SF_TRIGGER_STATEMENT
};
typedef struct sf_trigger_data
{
	sf_string	name;			/* the trigger's */
	sf_string	schema;			/* the table's */
	sf_string	table;
	uint8_t		event;			/* SF_TRIGGER_INSERT ... */
	uint8_t		timing;			/* SF_TRIGGER_BEFORE ... */
	uint8_t		level;			/* SF_TRIGGER_ROW, SF_TRIGGER_STATEMENT */
	sf_list_string args;		/* CREATE TRIGGER ... EXECUTE FUNCTION f('a', ...) */
	sf_opt_string old;			/* OLD (UPDATE, DELETE rows) */
	sf_opt_string new;			/* NEW (INSERT, UPDATE rows) */
} sf_trigger_data;

/*
 * What a BEFORE or INSTEAD OF row trigger does with the row: SF_SKIP()
 * (the operation does not happen), SF_KEEP() (it happens as it is) or
 * SF_ROW(json) (with the columns the object names replaced).
 */
typedef struct sf_trigger_result
{
	uint8_t		kind;			/* 0 skip, 1 keep, 2 row */
	sf_string	row;
} sf_trigger_result;

#define SF_SKIP() ((sf_trigger_result) { 0, { 0, 0 } })
#define SF_KEEP() ((sf_trigger_result) { 1, { 0, 0 } })
#define SF_ROW(json) ((sf_trigger_result) { 2, (json) })

_Static_assert(sizeof(sf_trigger_data) == 60, "trigger-data is 60 bytes in the canonical ABI");
_Static_assert(sizeof(sf_trigger_result) == 12, "trigger-result is 12 bytes in the canonical ABI");

/* A view of a string literal, or of a NUL-terminated string. */
#define SF_STR(lit) ((sf_string) { (char *) (lit), sizeof(lit) - 1 })
static inline sf_string
sf_str(const char *s)
{
	return (sf_string) {(char *) s, strlen(s)};
}

static inline bool
sf_string_eq(sf_string a, sf_string b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* ---- Memory ------------------------------------------------------------
 *
 * sf_alloc, sf_realloc and sf_free are the module's heap (wasi-libc's
 * malloc, or the SDK's own allocator when freestanding): memory that
 * lives until it is freed, e.g. state kept between calls.  Alignment is
 * 8 bytes.  NULL when the instance's memory limit is reached.
 *
 * sf_scratch, sf_string_new, sf_bytes_new and the copies belong to the
 * current call: they, and the argument buffers, are freed once the call
 * is over (after the host has copied the result).  Return them as
 * results, use them as temporaries; never keep them between calls.
 */
void	   *sf_alloc(size_t n);
void	   *sf_realloc(void *p, size_t n);
void		sf_free(void *p);

void	   *sf_scratch(size_t n);
sf_string	sf_string_new(size_t len);
sf_string	sf_string_copy(const char *p, size_t len);
sf_bytes	sf_bytes_new(size_t len);
sf_bytes	sf_bytes_copy(const void *p, size_t len);

/* Ends the call with a trap (the extension reports an ERROR). */
#define sf_trap() __builtin_trap()

/* ---- The host interface: slackfuel:host/api (docs/host.md) ------------
 *
 * Messages, errors and read-only SQL.  A module imports only what it uses.
 */
typedef enum sf_level
{
	SF_DEBUG5, SF_DEBUG4, SF_DEBUG3, SF_DEBUG2, SF_DEBUG1,
	SF_LOG, SF_INFO, SF_NOTICE, SF_WARNING
} sf_level;

/* Report 'message' at 'level', as PL/pgSQL's RAISE does. */
static inline void sf_log(sf_level level, const char *message);
#define sf_notice(message) sf_log(SF_NOTICE, (message))

/*
 * End the call with an ERROR: 'sqlstate' five characters of 0-9 and A-Z,
 * or "" for P0001; 'detail' and 'hint' may be NULL.  Never returns.
 */
static inline __attribute__((noreturn)) void sf_raise(const char *sqlstate, const char *message,
													   const char *detail, const char *hint);

/* A SQL value, as a query's parameter or in its rows (16 bytes). */
typedef enum sf_kind
{
	SF_NULL, SF_BOOL, SF_INT2, SF_INT4, SF_INT8, SF_FLOAT4, SF_FLOAT8,
	SF_TEXT, SF_BYTEA, SF_OTHER	/* other: any other type, as text */
} sf_kind;

typedef struct sf_value
{
	uint8_t		kind;			/* sf_kind */
	union
	{
		bool		b;
		int16_t		i2;
		int32_t		i4;
		int64_t		i8;
		float		f4;
		double		f8;
		sf_string	text;		/* SF_TEXT, SF_OTHER */
		sf_bytes	bytes;
	}			as;
} sf_value;

typedef SF_LIST(sf_value) sf_row;
typedef SF_LIST(sf_row) sf_rows;

#define SF_VALUE_NULL		((sf_value) { .kind = SF_NULL })
#define SF_VALUE_INT4(x)	((sf_value) { .kind = SF_INT4, .as.i4 = (x) })
#define SF_VALUE_INT8(x)	((sf_value) { .kind = SF_INT8, .as.i8 = (x) })
#define SF_VALUE_FLOAT8(x)	((sf_value) { .kind = SF_FLOAT8, .as.f8 = (x) })
#define SF_VALUE_TEXT(s)	((sf_value) { .kind = SF_TEXT, .as.text = (s) })

/*
 * Run one read-only query with parameters $1..$n; at most 'max_rows' rows
 * (0: all).  The rows belong to the call (freed when it ends).  An error
 * in the query ends the call with that error.
 */
sf_rows		sf_query(const char *sql, const sf_value *params, size_t nparams,
					 uint32_t max_rows);

__attribute__((import_module("slackfuel:host/api"), import_name("log")))
void		sf__host_log(int32_t level, const char *ptr, size_t len);
__attribute__((import_module("slackfuel:host/api"), import_name("raise")))
void		sf__host_raise(const char *s, size_t sl, const char *m, size_t ml,
						   int32_t ds, const char *d, size_t dl,
						   int32_t hs, const char *h, size_t hl);
__attribute__((import_module("slackfuel:host/api"), import_name("query")))
void		sf__host_query(const char *sql, size_t len, const sf_value *params,
						   size_t n, uint32_t max_rows, void *ret);

static inline void
sf_log(sf_level level, const char *message)
{
	sf__host_log((int32_t) level, message, strlen(message));
}

static inline void
sf_raise(const char *sqlstate, const char *message, const char *detail,
		 const char *hint)
{
	sf__host_raise(sqlstate, strlen(sqlstate), message, strlen(message),
				   detail != NULL, detail, detail ? strlen(detail) : 0,
				   hint != NULL, hint, hint ? strlen(hint) : 0);
	__builtin_unreachable();
}

/* ---- Exports -----------------------------------------------------------
 *
 * SF_EXPORT(name, R, A1, ..., An) defines the export "name" calling the C
 * function 'name'.  R and the Ai are type names from the table below, one
 * token each (int32_t, not int).  Up to 8 arguments.
 *
 *	C type		SQL type			core wasm
 *	bool		boolean				i32
 *	int16_t		smallint			i32
 *	int32_t		integer				i32
 *	int64_t		bigint				i64
 *	float		real				f32
 *	double		double precision	f64
 *	sf_string	text, varchar		(i32 ptr, i32 len); result: i32 -> (ptr, len)
 *	sf_bytes	bytea				(i32 ptr, i32 len); result: i32 -> (ptr, len)
 *	sf_list_X	X[] (bool, i16, i32, i64, f32, f64, string, bytes), and
 *				RETURNS SETOF X		(i32 ptr, i32 len); result: i32 -> (ptr, len)
 *	sf_opt_X	X in a function that is not STRICT (every argument and
 *				the result an option)	(i32 is_some, X's); result: i32 -> option
 *	sf_trigger_data (argument), sf_trigger_result (result)
 *				RETURNS trigger		(i32 -> data) -> i32 -> result
 *	void		void (result only)	none
 *
 * Each type has one row of macros: SF__P_T (core parameters of argument
 * 'n'), SF__L_T (the C value from them), SF__R_T (core result type),
 * SF__RET_T (return the call's value) and SF__POST_T (the cabi_post_
 * export it needs, if any).
 */
/* A scalar T is passed and returned as is. */
#define SF__P_scalar(T, n) T n
#define SF__RET_scalar(T, call) \
	{ T sf__r = (call); sf__end(sf__m); return sf__r; }

#define SF__P_bool(n)		SF__P_scalar(bool, n)
#define SF__P__Bool(n)		SF__P_scalar(bool, n)
#define SF__P_int16_t(n)	SF__P_scalar(int16_t, n)
#define SF__P_int32_t(n)	SF__P_scalar(int32_t, n)
#define SF__P_int64_t(n)	SF__P_scalar(int64_t, n)
#define SF__P_float(n)		SF__P_scalar(float, n)
#define SF__P_double(n)		SF__P_scalar(double, n)
#define SF__P_sf_string(n)	char *n##_ptr, size_t n##_len
#define SF__P_sf_bytes(n)	uint8_t *n##_ptr, size_t n##_len

#define SF__L_bool(n)		n
#define SF__L__Bool(n)		n
#define SF__L_int16_t(n)	n
#define SF__L_int32_t(n)	n
#define SF__L_int64_t(n)	n
#define SF__L_float(n)		n
#define SF__L_double(n)		n
#define SF__L_sf_string(n)	((sf_string) { (char *) sf__arg(n##_ptr), n##_len })
#define SF__L_sf_bytes(n)	((sf_bytes) { (uint8_t *) sf__arg(n##_ptr), n##_len })

#define SF__R_void			void
#define SF__R_bool			bool
#define SF__R__Bool			bool
#define SF__R_int16_t		int16_t
#define SF__R_int32_t		int32_t
#define SF__R_int64_t		int64_t
#define SF__R_float			float
#define SF__R_double		double
#define SF__R_sf_string		void *
#define SF__R_sf_bytes		void *

#define SF__RET_void(call)		{ (call); sf__end(sf__m); }
#define SF__RET_bool(call)		SF__RET_scalar(bool, call)
#define SF__RET__Bool(call)		SF__RET_scalar(bool, call)
#define SF__RET_int16_t(call)	SF__RET_scalar(int16_t, call)
#define SF__RET_int32_t(call)	SF__RET_scalar(int32_t, call)
#define SF__RET_int64_t(call)	SF__RET_scalar(int64_t, call)
#define SF__RET_float(call)		SF__RET_scalar(float, call)
#define SF__RET_double(call)	SF__RET_scalar(double, call)
#define SF__RET_sf_string(call) \
	{ sf_string sf__r = (call); return sf__ret_pair(sf__r.ptr, sf__r.len, sf__m); }
#define SF__RET_sf_bytes(call) \
	{ sf_bytes sf__r = (call); return sf__ret_pair(sf__r.ptr, sf__r.len, sf__m); }

#define SF__POST_void(name)
#define SF__POST_bool(name)
#define SF__POST__Bool(name)
#define SF__POST_int16_t(name)
#define SF__POST_int32_t(name)
#define SF__POST_int64_t(name)
#define SF__POST_float(name)
#define SF__POST_double(name)
#define SF__POST_sf_string(name)	SF__POST_pair(name)
#define SF__POST_sf_bytes(name)		SF__POST_pair(name)
#define SF__POST_pair(name) \
	__attribute__((export_name("cabi_post_" #name))) \
	void sf__post_##name(void *ret); \
	void sf__post_##name(void *ret) { sf__post(ret); }

/*
 * Lists: (ptr, len) in, a pointer to (ptr, len) out, as strings.  The
 * list, and a list of strings' strings, belong to the call.
 */
#define SF__P_list(T, n)	T *n##_ptr, size_t n##_len
#define SF__RET_list(L, call) \
	{ L sf__r = (call); return sf__ret_pair(sf__r.ptr, sf__r.len, sf__m); }
#define SF__P_sf_list_bool(n)		SF__P_list(bool, n)
#define SF__L_sf_list_bool(n)		((sf_list_bool) { (bool *) sf__arg_list(n##_ptr, n##_len), n##_len })
#define SF__R_sf_list_bool			void *
#define SF__RET_sf_list_bool(call)	SF__RET_list(sf_list_bool, call)
#define SF__POST_sf_list_bool(name)	SF__POST_pair(name)
#define SF__P_sf_list_i16(n)		SF__P_list(int16_t, n)
#define SF__L_sf_list_i16(n)		((sf_list_i16) { (int16_t *) sf__arg_list(n##_ptr, n##_len), n##_len })
#define SF__R_sf_list_i16			void *
#define SF__RET_sf_list_i16(call)	SF__RET_list(sf_list_i16, call)
#define SF__POST_sf_list_i16(name)	SF__POST_pair(name)
#define SF__P_sf_list_i32(n)		SF__P_list(int32_t, n)
#define SF__L_sf_list_i32(n)		((sf_list_i32) { (int32_t *) sf__arg_list(n##_ptr, n##_len), n##_len })
#define SF__R_sf_list_i32			void *
#define SF__RET_sf_list_i32(call)	SF__RET_list(sf_list_i32, call)
#define SF__POST_sf_list_i32(name)	SF__POST_pair(name)
#define SF__P_sf_list_i64(n)		SF__P_list(int64_t, n)
#define SF__L_sf_list_i64(n)		((sf_list_i64) { (int64_t *) sf__arg_list(n##_ptr, n##_len), n##_len })
#define SF__R_sf_list_i64			void *
#define SF__RET_sf_list_i64(call)	SF__RET_list(sf_list_i64, call)
#define SF__POST_sf_list_i64(name)	SF__POST_pair(name)
#define SF__P_sf_list_f32(n)		SF__P_list(float, n)
#define SF__L_sf_list_f32(n)		((sf_list_f32) { (float *) sf__arg_list(n##_ptr, n##_len), n##_len })
#define SF__R_sf_list_f32			void *
#define SF__RET_sf_list_f32(call)	SF__RET_list(sf_list_f32, call)
#define SF__POST_sf_list_f32(name)	SF__POST_pair(name)
#define SF__P_sf_list_f64(n)		SF__P_list(double, n)
#define SF__L_sf_list_f64(n)		((sf_list_f64) { (double *) sf__arg_list(n##_ptr, n##_len), n##_len })
#define SF__R_sf_list_f64			void *
#define SF__RET_sf_list_f64(call)	SF__RET_list(sf_list_f64, call)
#define SF__POST_sf_list_f64(name)	SF__POST_pair(name)
#define SF__P_sf_list_string(n)		SF__P_list(sf_string, n)
#define SF__L_sf_list_string(n)		((sf_list_string) { (sf_string *) sf__arg_strings(n##_ptr, n##_len), n##_len })
#define SF__R_sf_list_string			void *
#define SF__RET_sf_list_string(call)	SF__RET_list(sf_list_string, call)
#define SF__POST_sf_list_string(name)	SF__POST_pair(name)
#define SF__P_sf_list_bytes(n)		SF__P_list(sf_bytes, n)
#define SF__L_sf_list_bytes(n)		((sf_list_bytes) { (sf_bytes *) sf__arg_strings(n##_ptr, n##_len), n##_len })
#define SF__R_sf_list_bytes			void *
#define SF__RET_sf_list_bytes(call)	SF__RET_list(sf_list_bytes, call)
#define SF__POST_sf_list_bytes(name)	SF__POST_pair(name)

/*
 * Options: (is_some, value) in; out, a pointer to the option in memory
 * that belongs to the call until cabi_post_.
 */
#define SF__RET_mem(T, call) \
	{ T sf__v = (call); T *sf__r = sf_scratch(sizeof(T)); \
	  *sf__r = sf__v; return sf__ret_keep(sf__r, sf__m); }
#define SF__P_sf_opt_bool(n)		int32_t n##_is, int32_t n##_val
#define SF__L_sf_opt_bool(n)		((sf_opt_bool) { (uint8_t) n##_is, (bool) n##_val })
#define SF__R_sf_opt_bool			void *
#define SF__RET_sf_opt_bool(call)	SF__RET_mem(sf_opt_bool, call)
#define SF__POST_sf_opt_bool(name)	SF__POST_pair(name)
#define SF__P_sf_opt_i16(n)		int32_t n##_is, int32_t n##_val
#define SF__L_sf_opt_i16(n)		((sf_opt_i16) { (uint8_t) n##_is, (int16_t) n##_val })
#define SF__R_sf_opt_i16			void *
#define SF__RET_sf_opt_i16(call)	SF__RET_mem(sf_opt_i16, call)
#define SF__POST_sf_opt_i16(name)	SF__POST_pair(name)
#define SF__P_sf_opt_i32(n)		int32_t n##_is, int32_t n##_val
#define SF__L_sf_opt_i32(n)		((sf_opt_i32) { (uint8_t) n##_is, (int32_t) n##_val })
#define SF__R_sf_opt_i32			void *
#define SF__RET_sf_opt_i32(call)	SF__RET_mem(sf_opt_i32, call)
#define SF__POST_sf_opt_i32(name)	SF__POST_pair(name)
#define SF__P_sf_opt_i64(n)		int32_t n##_is, int64_t n##_val
#define SF__L_sf_opt_i64(n)		((sf_opt_i64) { (uint8_t) n##_is, (int64_t) n##_val })
#define SF__R_sf_opt_i64			void *
#define SF__RET_sf_opt_i64(call)	SF__RET_mem(sf_opt_i64, call)
#define SF__POST_sf_opt_i64(name)	SF__POST_pair(name)
#define SF__P_sf_opt_f32(n)		int32_t n##_is, float n##_val
#define SF__L_sf_opt_f32(n)		((sf_opt_f32) { (uint8_t) n##_is, (float) n##_val })
#define SF__R_sf_opt_f32			void *
#define SF__RET_sf_opt_f32(call)	SF__RET_mem(sf_opt_f32, call)
#define SF__POST_sf_opt_f32(name)	SF__POST_pair(name)
#define SF__P_sf_opt_f64(n)		int32_t n##_is, double n##_val
#define SF__L_sf_opt_f64(n)		((sf_opt_f64) { (uint8_t) n##_is, (double) n##_val })
#define SF__R_sf_opt_f64			void *
#define SF__RET_sf_opt_f64(call)	SF__RET_mem(sf_opt_f64, call)
#define SF__POST_sf_opt_f64(name)	SF__POST_pair(name)
#define SF__P_sf_opt_string(n)	int32_t n##_is, char *n##_ptr, size_t n##_len
#define SF__L_sf_opt_string(n) \
	((sf_opt_string) { (uint8_t) n##_is, { (char *) sf__arg_opt(n##_is, n##_ptr), n##_len } })
#define SF__R_sf_opt_string		void *
#define SF__RET_sf_opt_string(call)	SF__RET_mem(sf_opt_string, call)
#define SF__POST_sf_opt_string(name)	SF__POST_pair(name)
#define SF__P_sf_opt_bytes(n)	int32_t n##_is, uint8_t *n##_ptr, size_t n##_len
#define SF__L_sf_opt_bytes(n) \
	((sf_opt_bytes) { (uint8_t) n##_is, { (uint8_t *) sf__arg_opt(n##_is, n##_ptr), n##_len } })
#define SF__R_sf_opt_bytes		void *
#define SF__RET_sf_opt_bytes(call)	SF__RET_mem(sf_opt_bytes, call)
#define SF__POST_sf_opt_bytes(name)	SF__POST_pair(name)

/* Triggers: a pointer to the data in, a pointer to the result out. */
#define SF__P_sf_trigger_data(n)	sf_trigger_data *n
#define SF__L_sf_trigger_data(n)	(*sf__arg_trigger(n))
#define SF__R_sf_trigger_result		void *
#define SF__RET_sf_trigger_result(call)	SF__RET_mem(sf_trigger_result, call)
#define SF__POST_sf_trigger_result(name)	SF__POST_pair(name)

/* The export's head: core signature, export name, start of the call. */
#define SF__HEAD(name, R, params) \
	__attribute__((export_name(#name))) SF__R_##R sf__export_##name params; \
	SF__R_##R sf__export_##name params

#define SF__EXPORT_0(name, R) \
	SF__HEAD(name, R, (void)) \
	{ size_t sf__m = sf__begin(); SF__RET_##R(name()) } SF__POST_##R(name)
#define SF__EXPORT_1(name, R, A) \
	SF__HEAD(name, R, (SF__P_##A(a0))) \
	{ size_t sf__m = sf__begin(); SF__RET_##R(name(SF__L_##A(a0))) } SF__POST_##R(name)
#define SF__EXPORT_2(name, R, A, B) \
	SF__HEAD(name, R, (SF__P_##A(a0), SF__P_##B(a1))) \
	{ size_t sf__m = sf__begin(); \
	  SF__RET_##R(name(SF__L_##A(a0), SF__L_##B(a1))) } SF__POST_##R(name)
#define SF__EXPORT_3(name, R, A, B, C) \
	SF__HEAD(name, R, (SF__P_##A(a0), SF__P_##B(a1), SF__P_##C(a2))) \
	{ size_t sf__m = sf__begin(); \
	  SF__RET_##R(name(SF__L_##A(a0), SF__L_##B(a1), SF__L_##C(a2))) } \
	SF__POST_##R(name)
#define SF__EXPORT_4(name, R, A, B, C, D) \
	SF__HEAD(name, R, (SF__P_##A(a0), SF__P_##B(a1), SF__P_##C(a2), SF__P_##D(a3))) \
	{ size_t sf__m = sf__begin(); \
	  SF__RET_##R(name(SF__L_##A(a0), SF__L_##B(a1), SF__L_##C(a2), SF__L_##D(a3))) } \
	SF__POST_##R(name)
#define SF__EXPORT_5(name, R, A, B, C, D, E) \
	SF__HEAD(name, R, (SF__P_##A(a0), SF__P_##B(a1), SF__P_##C(a2), SF__P_##D(a3), \
					   SF__P_##E(a4))) \
	{ size_t sf__m = sf__begin(); \
	  SF__RET_##R(name(SF__L_##A(a0), SF__L_##B(a1), SF__L_##C(a2), SF__L_##D(a3), \
					   SF__L_##E(a4))) } \
	SF__POST_##R(name)
#define SF__EXPORT_6(name, R, A, B, C, D, E, F) \
	SF__HEAD(name, R, (SF__P_##A(a0), SF__P_##B(a1), SF__P_##C(a2), SF__P_##D(a3), \
					   SF__P_##E(a4), SF__P_##F(a5))) \
	{ size_t sf__m = sf__begin(); \
	  SF__RET_##R(name(SF__L_##A(a0), SF__L_##B(a1), SF__L_##C(a2), SF__L_##D(a3), \
					   SF__L_##E(a4), SF__L_##F(a5))) } \
	SF__POST_##R(name)
#define SF__EXPORT_7(name, R, A, B, C, D, E, F, G) \
	SF__HEAD(name, R, (SF__P_##A(a0), SF__P_##B(a1), SF__P_##C(a2), SF__P_##D(a3), \
					   SF__P_##E(a4), SF__P_##F(a5), SF__P_##G(a6))) \
	{ size_t sf__m = sf__begin(); \
	  SF__RET_##R(name(SF__L_##A(a0), SF__L_##B(a1), SF__L_##C(a2), SF__L_##D(a3), \
					   SF__L_##E(a4), SF__L_##F(a5), SF__L_##G(a6))) } \
	SF__POST_##R(name)
#define SF__EXPORT_8(name, R, A, B, C, D, E, F, G, H) \
	SF__HEAD(name, R, (SF__P_##A(a0), SF__P_##B(a1), SF__P_##C(a2), SF__P_##D(a3), \
					   SF__P_##E(a4), SF__P_##F(a5), SF__P_##G(a6), SF__P_##H(a7))) \
	{ size_t sf__m = sf__begin(); \
	  SF__RET_##R(name(SF__L_##A(a0), SF__L_##B(a1), SF__L_##C(a2), SF__L_##D(a3), \
					   SF__L_##E(a4), SF__L_##F(a5), SF__L_##G(a6), SF__L_##H(a7))) } \
	SF__POST_##R(name)

/*
 * Dispatch on the number of types after the name.  The types are pasted
 * onto the row prefixes at the first level, before macro expansion, so
 * 'bool' stays 'bool' (the _Bool rows catch it when it does not).
 */
#define SF__NTYPES(...) SF__NTH(__VA_ARGS__, 8, 7, 6, 5, 4, 3, 2, 1, 0, _)
#define SF__NTH(r, a, b, c, d, e, f, g, h, n, ...) n
#define SF__CAT(a, b) SF__CAT2(a, b)
#define SF__CAT2(a, b) a##b
#define SF_EXPORT(name, ...) \
	SF__CAT(SF__EXPORT_, SF__NTYPES(__VA_ARGS__))(name, __VA_ARGS__)

/* Internals the export macros call. */
size_t		sf__begin(void);
void		sf__end(size_t mark);
void	   *sf__arg(void *p);
void	   *sf__ret_pair(void *ptr, size_t len, size_t mark);
void	   *sf__ret_keep(void *ret, size_t mark);
void	   *sf__arg_list(void *ptr, size_t len);
void	   *sf__arg_strings(void *ptr, size_t len);
void	   *sf__arg_opt(int32_t is_some, void *ptr);
sf_trigger_data *sf__arg_trigger(sf_trigger_data *d);
void		sf__post(void *ret);

/* ---- Implementation ---------------------------------------------------- */
#ifndef SLACKFUEL_NO_IMPLEMENTATION

#if defined(__wasi__)

void *
sf_alloc(size_t n)
{
	return malloc(n ? n : 1);
}

void *
sf_realloc(void *p, size_t n)
{
	return realloc(p, n ? n : 1);
}

void
sf_free(void *p)
{
	free(p);
}

#else							/* freestanding */

/*
 * Blocks carved from the top of the heap and recycled through one free
 * list per size class: multiples of 8 bytes up to 64, then four classes
 * per power of two, so a block is at most a quarter larger than asked
 * (plus its 8-byte header: size and a magic number).  Freeing a pointer
 * that is not a live block traps instead of corrupting the heap.
 */
extern unsigned char __heap_base;

#define SF__LIVE 0x5ef1a11cu
#define SF__FREE 0x5ef1f4eeu
#define SF__NCLASS 108

static uint32_t sf__top;		/* first byte never handed out */
static void *sf__free_list[SF__NCLASS];

/* The size class of a block of 'need' bytes: its size, and its index. */
static uint64_t
sf__class(uint64_t need, unsigned *index)
{
	unsigned	k;
	uint64_t	step;
	uint64_t	size;

	if (need <= 64)
	{
		size = need < 16 ? 16 : (need + 7) & ~(uint64_t) 7;
		*index = (unsigned) (size / 8 - 2);
		return size;
	}
	k = 63 - (unsigned) __builtin_clzll(need - 1);	/* 2^k < need <= 2^(k+1) */
	step = (uint64_t) 1 << (k - 2);
	size = (need + step - 1) & ~(step - 1);
	*index = 7 + (k - 6) * 4 + (unsigned) (size / step - 5);
	return size;
}

void *
sf_alloc(size_t n)
{
	unsigned	index;
	uint64_t	size;
	uint32_t   *h;
	uint64_t	end;
	uint64_t	have;

	if (n > 0x7ffffff0u)
		return NULL;
	size = sf__class((uint64_t) n + 8, &index);
	if (sf__free_list[index] != NULL)
	{
		h = (uint32_t *) sf__free_list[index] - 2;
		sf__free_list[index] = *(void **) sf__free_list[index];
	}
	else
	{
		if (sf__top == 0)
			sf__top = ((uint32_t) (uintptr_t) &__heap_base + 15u) & ~15u;
		end = (uint64_t) sf__top + size;
		have = (uint64_t) __builtin_wasm_memory_size(0) << 16;
		if (end > have &&
			__builtin_wasm_memory_grow(0, (size_t) ((end - have + 65535) >> 16)) == (size_t) -1)
			return NULL;
		h = (uint32_t *) (uintptr_t) sf__top;
		sf__top = (uint32_t) end;
	}
	h[0] = (uint32_t) size;
	h[1] = SF__LIVE;
	return h + 2;
}

static uint32_t *
sf__header(void *p)
{
	uint32_t   *h = (uint32_t *) p - 2;

	if (((uintptr_t) p & 7) != 0 || (uintptr_t) p < (uintptr_t) &__heap_base + 8 ||
		(uintptr_t) p >= sf__top || h[1] != SF__LIVE)
		sf_trap();				/* not a live block: a bad or double free */
	return h;
}

void
sf_free(void *p)
{
	uint32_t   *h;
	unsigned	index;

	if (p == NULL)
		return;
	h = sf__header(p);
	sf__class(h[0], &index);
	h[1] = SF__FREE;
	*(void **) p = sf__free_list[index];
	sf__free_list[index] = p;
}

void *
sf_realloc(void *p, size_t n)
{
	size_t		cap;
	void	   *q;

	if (p == NULL)
		return sf_alloc(n);
	cap = sf__header(p)[0] - 8;
	if (n <= cap)
		return p;
	q = sf_alloc(n);
	if (q != NULL)
	{
		memcpy(q, p, cap);
		sf_free(p);
	}
	return q;
}

/* The string functions freestanding code lacks (weak: a libc wins). */
__attribute__((weak)) void *
memcpy(void *dst, const void *src, size_t n)
{
	__builtin_memcpy(dst, src, n);
	return dst;
}

__attribute__((weak)) void *
memmove(void *dst, const void *src, size_t n)
{
	__builtin_memmove(dst, src, n);
	return dst;
}

__attribute__((weak)) void *
memset(void *dst, int c, size_t n)
{
	__builtin_memset(dst, c, n);
	return dst;
}

__attribute__((weak, no_builtin)) int
memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a;
	const unsigned char *y = b;

	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

__attribute__((weak, no_builtin)) size_t
strlen(const char *s)
{
	size_t		n = 0;

	while (s[n])
		n++;
	return n;
}

#endif							/* freestanding */

/*
 * cabi_realloc(old_ptr, old_size, align, new_size): the host allocates
 * argument buffers with it.  The canonical ABI never asks for more than
 * 8-byte alignment.  Out of memory traps: the host cannot proceed.
 */
__attribute__((export_name("cabi_realloc"))) void *cabi_realloc(void *old, size_t old_size,
																  size_t align, size_t new_size);
void *
cabi_realloc(void *old, size_t old_size, size_t align, size_t new_size)
{
	void	   *p;

	(void) old_size;
	if (align > 8)
		sf_trap();
	p = old ? sf_realloc(old, new_size) : sf_alloc(new_size);
	if (p == NULL)
		sf_trap();
	return p;
}

/*
 * What the current call owns: argument buffers and the call's own
 * allocations, freed when it ends.  Calls may nest (a function calling
 * SQL that calls the module again): each frees what was added above its
 * mark.  A call returning a (ptr, len) pair ends in cabi_post_; if the
 * host stopped before calling it, the next call ends it.
 */
static void *sf__owned_first[16];
static void **sf__owned = sf__owned_first;
static size_t sf__nowned;
static size_t sf__capowned = 16;

/* The return area of a (ptr, len) result, and the call it ends. */
static struct
{
	uint32_t	ptr;
	uint32_t	len;
	uint32_t	mark;
	uint32_t	pending;		/* returned; cabi_post_ not called yet */
}			sf__retarea;

static void
sf__own(void *p)
{
	if (sf__nowned == sf__capowned)
	{
		size_t		cap = sf__capowned * 2;
		void	  **grown = sf_alloc(cap * sizeof(void *));

		if (grown == NULL)
			sf_trap();
		memcpy(grown, sf__owned, sf__nowned * sizeof(void *));
		if (sf__owned != sf__owned_first)
			sf_free(sf__owned);
		sf__owned = grown;
		sf__capowned = cap;
	}
	sf__owned[sf__nowned++] = p;
}

void
sf__end(size_t mark)
{
	while (sf__nowned > mark)
		sf_free(sf__owned[--sf__nowned]);
}

size_t
sf__begin(void)
{
	if (sf__retarea.pending)
	{
		sf__retarea.pending = 0;
		sf__end(sf__retarea.mark);
	}
	return sf__nowned;
}

void *
sf__arg(void *p)
{
	sf__own(p);
	return p;
}

void *
sf__ret_pair(void *ptr, size_t len, size_t mark)
{
	sf__retarea.ptr = (uint32_t) (uintptr_t) ptr;
	sf__retarea.len = (uint32_t) len;
	sf__retarea.mark = (uint32_t) mark;
	sf__retarea.pending = 1;
	return &sf__retarea;
}

/* A result in memory the call owns ('mark' on): freed in cabi_post_. */
void *
sf__ret_keep(void *ret, size_t mark)
{
	sf__retarea.mark = (uint32_t) mark;
	sf__retarea.pending = 1;
	return ret;
}

void *
sf__arg_list(void *ptr, size_t len)
{
	(void) len;
	return sf__arg(ptr);
}

/* A list of strings (or of bytes): the list and each string. */
void *
sf__arg_strings(void *ptr, size_t len)
{
	sf_string  *s = ptr;

	sf__own(ptr);
	for (size_t i = 0; i < len; i++)
		sf__own(s[i].ptr);
	return ptr;
}

/* An option's string: allocated by the host only when present. */
void *
sf__arg_opt(int32_t is_some, void *ptr)
{
	return is_some ? sf__arg(ptr) : NULL;
}

sf_trigger_data *
sf__arg_trigger(sf_trigger_data *d)
{
	sf__own(d);
	sf__own(d->name.ptr);
	sf__own(d->schema.ptr);
	sf__own(d->table.ptr);
	sf__arg_strings(d->args.ptr, d->args.len);
	if (d->old.is_some)
		sf__own(d->old.val.ptr);
	if (d->new.is_some)
		sf__own(d->new.val.ptr);
	return d;
}

void
sf__post(void *ret)
{
	(void) ret;
	if (sf__retarea.pending)
	{
		sf__retarea.pending = 0;
		sf__end(sf__retarea.mark);
	}
}

void *
sf_scratch(size_t n)
{
	void	   *p = sf_alloc(n);

	if (p == NULL)
		sf_trap();
	sf__own(p);
	return p;
}

sf_string
sf_string_new(size_t len)
{
	return (sf_string) {sf_scratch(len), len};
}

sf_string
sf_string_copy(const char *p, size_t len)
{
	sf_string	s = sf_string_new(len);

	memcpy(s.ptr, p, len);
	return s;
}

sf_bytes
sf_bytes_new(size_t len)
{
	return (sf_bytes) {sf_scratch(len), len};
}

sf_bytes
sf_bytes_copy(const void *p, size_t len)
{
	sf_bytes	b = sf_bytes_new(len);

	memcpy(b.ptr, p, len);
	return b;
}

sf_rows
sf_query(const char *sql, const sf_value *params, size_t nparams, uint32_t max_rows)
{
	sf_rows		rows = {0};

	/* every list and string comes from cabi_realloc: the call owns them */
	sf__host_query(sql, strlen(sql), params, nparams, max_rows, &rows);
	if (rows.len > 0)
		sf__own(rows.ptr);
	for (size_t i = 0; i < rows.len; i++)
	{
		if (rows.ptr[i].len > 0)
			sf__own(rows.ptr[i].ptr);
		for (size_t j = 0; j < rows.ptr[i].len; j++)
		{
			sf_value   *v = &rows.ptr[i].ptr[j];

			if ((v->kind == SF_TEXT || v->kind == SF_OTHER || v->kind == SF_BYTEA) &&
				v->as.text.len > 0)
				sf__own(v->as.text.ptr);
		}
	}
	return rows;
}

#endif							/* SLACKFUEL_NO_IMPLEMENTATION */
#endif							/* SLACKFUEL_GUEST_H */
