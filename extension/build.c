/*
 * build.c -- from a function's body to a module ready to call.
 *
 * A body is WebAssembly text or the binary in hex (slackfuel_module_bytes
 * is where module bytes come from).  Loading decodes and validates it;
 * the checks that follow compare the module with the SQL signature (which
 * export, its core type, the canonical ABI's memory and allocator) before
 * anything is compiled; slackfuel_instantiate is where imports are
 * resolved and the start function runs.
 *
 * Engine objects are malloc'd by the engine.  While a module is being
 * built, a memory-context reset callback owns them (slackfuel_build), so
 * an error anywhere releases them; the cache takes them over once nothing
 * can fail any more.
 */
#include "postgres.h"

#include <ctype.h>

#include "access/htup_details.h"
#include "catalog/pg_proc.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "plwasm.h"

char *
slackfuel_prosrc(HeapTuple proctup)
{
	bool		isnull;
	Datum		d = SysCacheGetAttr(PROCOID, proctup, Anum_pg_proc_prosrc, &isnull);

	if (isnull)
		elog(ERROR, "null prosrc");
	return TextDatumGetCString(d);
}

/*
 * Checks that need no module: the kind of function, and its signature,
 * which must map to a WIT function type.  The signature is built in the
 * current memory context.
 */
slackfuel_sig *
slackfuel_check_proc(HeapTuple proctup)
{
	Form_pg_proc p = (Form_pg_proc) GETSTRUCT(proctup);

	if (p->prokind == PROKIND_WINDOW || p->prokind == PROKIND_AGGREGATE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("wasm function \"%s\" cannot be a window or aggregate function",
						NameStr(p->proname))));
	return slackfuel_sig_from_proc(proctup, CurrentMemoryContext, NULL);
}

static void
build_release(void *arg)
{
	slackfuel_build *b = arg;

	if (b->store)
		sf_store_free(b->store);
	slackfuel_host_free(b->host);
	if (b->module)
		sf_module_free(b->module);
	if (b->component)
		sf_component_free(b->component);
	free(b->bytes);
	b->store = NULL;
	b->host = NULL;
	b->module = NULL;
	b->component = NULL;
	b->bytes = NULL;
}

slackfuel_build *
slackfuel_build_new(void)
{
	slackfuel_build *b = palloc0(sizeof(slackfuel_build));

	b->cb.func = build_release;
	b->cb.arg = b;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, &b->cb);
	return b;
}

/* Release now rather than at context reset (the callback then does nothing). */
void
slackfuel_build_done(slackfuel_build *b)
{
	build_release(b);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char) tolower((unsigned char) c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* "\x0061736d..." (whitespace allowed between byte pairs) -> malloc'd bytes. */
static uint8 *
decode_hex(const char *fname, const char *src, size_t *len)
{
	size_t		n = strlen(src);
	uint8	   *out = malloc(n / 2 + 1);
	size_t		o = 0;

	if (out == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	for (const char *p = src + 2; *p; p++)
	{
		int			hi,
					lo;

		/* a cancel every megabyte: a 64 MB module is 128 MB of hex */
		if (unlikely((o & 0xFFFFF) == 0) && (QueryCancelPending || ProcDiePending))
		{
			free(out);
			slackfuel_interrupted(fname);
		}
		if (isspace((unsigned char) *p))
			continue;
		hi = hexval(p[0]);
		lo = hi < 0 ? -1 : hexval(p[1]);
		if (lo < 0)
		{
			free(out);
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
					 errmsg("invalid hexadecimal WebAssembly module in function \"%s\"", fname),
					 errdetail("Unexpected \"%.*s\" at character %d of the body.",
							   pg_mblen(p), p, (int) (p - src) + 1)));
		}
		out[o++] = (uint8) (hi << 4 | lo);
		p++;
	}
	*len = o;
	return out;
}

static uint8 *
text_to_wasm(const char *fname, const char *src, size_t *len)
{
	uint8	   *out = NULL;
	sf_error	err;

	if (sf_wat_to_wasm(src, strlen(src), &out, len, &err) != SF_OK)
	{
		if (err.status == SF_TRAP)
			slackfuel_report_load(fname, &err);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
				 errmsg("invalid WebAssembly text in function \"%s\"", fname),
				 errdetail("%s", err.msg)));
	}
	return out;
}

/*
 * Every import must be one slackfuel provides (host.c), of the right type;
 * a module that receives lists from slackfuel:host/api needs the canonical
 * ABI's memory and allocator.
 */
static void check_memory_and_realloc(const char *fname, sf_module *m,
									 const char *memory_why, const char *realloc_why);

static void
check_imports(const char *fname, sf_module *m)
{
	sf_import_desc d;
	char	   *why;

	for (uint32 i = 0; i < sf_module_num_imports(m); i++)
	{
		sf_module_import(m, i, &d);
		if (!slackfuel_check_import(&d, &why))
			slackfuel_report_imports(fname, &d, why);
	}
	if (slackfuel_imports_use_realloc(m))
		check_memory_and_realloc(fname, m,
								 "slackfuel:host/api returns lists and strings in linear memory.",
								 "slackfuel:host/api returns lists and strings in memory allocated by cabi_realloc(old_ptr, old_size, align, new_size).");
}

/* All hexadecimal digits and white space: a binary module missing its "\x". */
static bool
looks_like_hex(const char *src)
{
	int			digits = 0;

	for (const char *p = src; *p; p++)
	{
		if (isxdigit((unsigned char) *p))
			digits++;
		else if (!isspace((unsigned char) *p))
			return false;
	}
	return digits >= 8;
}

/*
 * The module bytes of a function body: WebAssembly text, or the binary as
 * "\x" hex.  malloc'd, into 'b'.
 */
static void
module_bytes(const char *fname, const char *src, slackfuel_build *b)
{
	while (isspace((unsigned char) *src))
		src++;
	if (src[0] == '\\' && (src[1] == 'x' || src[1] == 'X'))
		b->bytes = decode_hex(fname, src, &b->len);
	else if (looks_like_hex(src))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
				 errmsg("invalid WebAssembly text in function \"%s\"", fname),
				 errdetail("The body is hexadecimal digits, which is not WebAssembly text."),
				 errhint("A binary module in hex starts with \\x: AS '\\x0061736d...'.")));
	else
		b->bytes = text_to_wasm(fname, src, &b->len);
}

/*
 * A component's imports: none is provided to components yet, so any is
 * refused, naming them all.
 */
static void
check_component_imports(const char *fname, const sf_component *c)
{
	StringInfoData s;
	uint32_t	n = sf_component_num_imports(c);

	if (n == 0)
		return;
	initStringInfo(&s);
	for (uint32_t i = 0; i < n; i++)
		appendStringInfo(&s, "%s\"%s\"", i ? ", " : "", sf_component_import(c, i));
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("wasm component of function \"%s\" needs imports that slackfuel does not provide", fname),
			 errdetail("It imports %s.", s.data)));
}

/*
 * Decode and validate module bytes into 'b' (the bytes are copied): a core
 * module, or a component, whose core module is loaded and which stays in
 * 'b' for the checks of its exports.  Compiling is a separate step, after
 * the cheap checks of exports and signatures.
 */
sf_module *
slackfuel_module_load_bytes(const char *fname, const uint8 *bytes, size_t len,
							sf_fuel_mode mode, slackfuel_build *b)
{
	sf_config	cfg;
	sf_error	err;

	slackfuel_prepare_build();
	if (sf_is_component(bytes, len))
	{
		b->component = sf_component_decode(bytes, len, &err);
		if (b->component == NULL)
			ereport(ERROR,
					(errcode(err.status == SF_UNSUPPORTED ? ERRCODE_FEATURE_NOT_SUPPORTED :
							 ERRCODE_INVALID_FUNCTION_DEFINITION),
					 errmsg("invalid WebAssembly component in function \"%s\"", fname),
					 errdetail("%s", err.msg)));
		check_component_imports(fname, b->component);
		sf_component_core(b->component, &bytes, &len);
	}
	sf_config_default(&cfg);
	cfg.fuel_mode = mode;
	cfg.compile_threads = (uint32_t) slackfuel_compile_threads;
	b->module = sf_module_load(bytes, len, &cfg, &err);
	if (b->module == NULL)
		slackfuel_report_load(fname, &err);
	check_imports(fname, b->module);
	return b->module;
}

/* Decode and validate a function body (text or hex) into 'b'. */
sf_module *
slackfuel_module_load(const char *fname, const char *src, sf_fuel_mode mode,
					  slackfuel_build *b)
{
	slackfuel_prepare_build();	/* parsing text stops at a cancel too */
	module_bytes(fname, src, b);
	slackfuel_module_load_bytes(fname, b->bytes, b->len, mode, b);
	free(b->bytes);				/* the module keeps its own copy */
	b->bytes = NULL;
	return b->module;
}

/*
 * The module of a function: a named module ('module:export', compiled and
 * shared through the module cache, '*mod' set, 'export' the name given) or
 * the module in the body (into 'b', not compiled yet, '*mod' and '*export'
 * NULL).  'owner' owns the function; 'creating' at CREATE FUNCTION.
 */
sf_module *
slackfuel_body_module(const char *fname, const char *src, Oid owner,
					  sf_fuel_mode mode, bool creating, slackfuel_fstats *st,
					  slackfuel_build *b, slackfuel_mod **mod,
					  const sf_component **comp, char **export)
{
	char		modname[NAMEDATALEN];

	*mod = NULL;
	*export = NULL;
	if (slackfuel_modref_parse(src, modname, export))
		return slackfuel_mod_get(fname, modname, owner, mode, creating, st, mod,
								 comp);
	slackfuel_module_load(fname, src, mode, b);
	*comp = b->component;
	return b->module;
}

void
slackfuel_module_compile(const char *fname, sf_module *m)
{
	sf_error	err;

	if (sf_module_compile(m, &err) != SF_OK)
		slackfuel_report_status(fname, "compile", &err);
}

/*
 * With slackfuel.perf_map on, tell perf where the code of 'm' is, its
 * functions named wasm:LABEL:INDEX[:NAME].  Failing to is only a warning.
 */
void
slackfuel_module_profile(const char *label, sf_module *m)
{
	sf_error	err;

	if (slackfuel_perf_map && sf_perfmap_write(m, label, &err) != SF_OK)
		ereport(WARNING,
				(errmsg("could not write perf map for wasm function \"%s\"", label),
				 errdetail("%s", err.msg)));
}

/*
 * Which export to call: the function named like the SQL function, else the
 * only exported function.  Returns its export index.
 */
int64
slackfuel_pick_export(const char *fname, sf_module *m, const char *want)
{
	uint32		n = sf_module_num_exports(m);
	int64		found = -1;
	int			nfuncs = 0;
	int64		i = sf_module_find_export(m, want, strlen(want));
	sf_export_desc d;

	if (i >= 0)
	{
		sf_module_export(m, (uint32) i, &d);
		if (d.kind == SF_EXTERN_FUNC)
			return i;
	}
	for (uint32 j = 0; j < n; j++)
	{
		sf_module_export(m, j, &d);
		if (d.kind != SF_EXTERN_FUNC || (d.name_len == 12 && memcmp(d.name, "cabi_realloc", 12) == 0))
			continue;
		if (d.name_len >= 10 && memcmp(d.name, "cabi_post_", 10) == 0)
			continue;
		nfuncs++;
		found = j;
	}
	if (nfuncs != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
				 errmsg("wasm module of function \"%s\" does not export a function named \"%s\"",
						fname, want),
				 nfuncs == 0 ? errdetail("It exports no function.") :
				 errdetail("It exports %d functions, none of that name; it must then export exactly one.",
						   nfuncs)));
	return found;
}

static void
append_types(StringInfo s, uint32 n, const sf_valtype *t)
{
	appendStringInfoChar(s, '(');
	for (uint32 i = 0; i < n; i++)
		appendStringInfo(s, "%s%s", i ? ", " : "", sf_valtype_name(t[i]));
	appendStringInfoChar(s, ')');
}

char *
slackfuel_format_functype(const sf_functype *ft)
{
	StringInfoData s;

	initStringInfo(&s);
	append_types(&s, ft->nparams, ft->params);
	appendStringInfoString(&s, " -> ");
	append_types(&s, ft->nresults, ft->results);
	return s.data;
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

static void
check_signature(const char *fname, const slackfuel_sig *sig,
				const char *export_name, const sf_functype *ft)
{
	if (!functype_equal(&sig->wit->core, ft))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
				 errmsg("wasm export \"%s\" does not match the signature of function \"%s\"",
						export_name, fname),
				 errdetail("The export has type %s; the SQL signature needs %s.",
						   slackfuel_format_functype(ft),
						   slackfuel_format_functype(&sig->wit->core)),
				 errhint("The SQL signature is the WIT function \"%s\"; the core type is its canonical ABI flattening.",
						 slackfuel_sig_wit(sig))));
}

/* The canonical ABI's exports "memory" and "cabi_realloc"; the details say why. */
static void
check_memory_and_realloc(const char *fname, sf_module *m, const char *memory_why,
						 const char *realloc_why)
{
	static const sf_valtype i4[4] = {SF_I32, SF_I32, SF_I32, SF_I32};
	static const sf_valtype i1[1] = {SF_I32};
	const sf_functype want = {4, 1, i4, i1};
	sf_export_desc d;
	int64		i;

	i = sf_module_find_export(m, "memory", 6);
	if (i >= 0)
		sf_module_export(m, (uint32) i, &d);
	if (i < 0 || d.kind != SF_EXTERN_MEMORY)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
				 errmsg("wasm module of function \"%s\" must export its memory as \"memory\"", fname),
				 errdetail("%s", memory_why)));
	i = sf_module_find_export(m, "cabi_realloc", 12);
	if (i >= 0)
		sf_module_export(m, (uint32) i, &d);
	if (i < 0 || d.kind != SF_EXTERN_FUNC || !functype_equal(&want, &d.functype))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
				 errmsg("wasm module of function \"%s\" must export cabi_realloc with type %s",
						fname, slackfuel_format_functype(&want)),
				 errdetail("%s", realloc_why)));
}

/*
 * A function whose values cross linear memory needs the canonical ABI's
 * memory and allocator; cabi_post_<export>, if there, takes its results.
 */
static void
check_abi_exports(const char *fname, const slackfuel_sig *sig, sf_module *m,
				  const char *export_name)
{
	const sf_functype want_post = {sig->wit->core.nresults, 0,
	sig->wit->core.results, NULL};
	char	   *post = psprintf("cabi_post_%s", export_name);
	sf_export_desc d;
	int64		i;

	check_memory_and_realloc(fname, m,
							 "Strings and lists (text, varchar, bytea, arrays) cross linear memory.",
							 "Arguments are copied into memory allocated by cabi_realloc(old_ptr, old_size, align, new_size).");
	i = sf_module_find_export(m, post, strlen(post));
	if (i >= 0)
		sf_module_export(m, (uint32) i, &d);
	if (i >= 0 && (d.kind != SF_EXTERN_FUNC || !functype_equal(&want_post, &d.functype)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
				 errmsg("wasm export \"%s\" of function \"%s\" must have type %s",
						post, fname, slackfuel_format_functype(&want_post))));
}


/* The function export 'name' of a named module. */
static int64
named_export(const char *fname, sf_module *m, const char *name)
{
	int64		i = sf_module_find_export(m, name, strlen(name));
	sf_export_desc d;

	if (i >= 0)
		sf_module_export(m, (uint32) i, &d);
	if (i < 0 || d.kind != SF_EXTERN_FUNC)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
				 errmsg("wasm module of function \"%s\" does not export a function named \"%s\"",
						fname, name)));
	return i;
}

/*
 * Are two WIT types the same?  Structurally, as the component model
 * compares them: a record's or variant's name is not part of its type.
 */
static bool
wit_equal(const sf_wit_type *a, const sf_wit_type *b)
{
	if (a == b)
		return true;
	if (a == NULL || b == NULL || a->kind != b->kind || a->nfields != b->nfields ||
		!wit_equal(a->elem, b->elem) || !wit_equal(a->err, b->err))
		return false;
	for (uint32 i = 0; i < a->nfields; i++)
	{
		const sf_wit_field *x = &a->fields[i];
		const sf_wit_field *y = &b->fields[i];

		if ((x->name == NULL) != (y->name == NULL) ||
			(x->name && strcmp(x->name, y->name) != 0) || !wit_equal(x->type, y->type))
			return false;
	}
	return true;
}

static bool
wit_func_equal(const sf_wit_func *a, const sf_wit_func *b)
{
	if (a->nparams != b->nparams || !wit_equal(a->result, b->result))
		return false;
	for (uint32 i = 0; i < a->nparams; i++)
		if (!wit_equal(a->params[i].type, b->params[i].type))
			return false;
	return true;
}

/*
 * The component export a function calls ('export', or the one named like
 * the function, or the only one), whose WIT type must be exactly the one
 * the SQL signature maps to, and whose canonical options must be the
 * exports the call path uses.
 */
static const sf_component_export *
component_export(const char *fname, const slackfuel_sig *sig,
				 const sf_component *c, const char *export)
{
	const char *want = export ? export : fname;
	const sf_component_export *e = sf_component_find_export(c, want, strlen(want));
	const sf_wit_func *f;
	char		buf[1024];

	if (e == NULL && export == NULL && sf_component_num_exports(c) == 1)
		e = sf_component_export_at(c, 0);
	if (e == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
				 errmsg("wasm component of function \"%s\" does not export a function named \"%s\"",
						fname, want),
				 errdetail("It exports %u functions.", sf_component_num_exports(c))));
	f = e->type;
	sf_wit_print_func(e->name, f, buf, sizeof(buf));
	if (!wit_func_equal(f, sig->wit))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
				 errmsg("wasm component export \"%s\" does not match the signature of function \"%s\"",
						e->name, fname),
				 errdetail("The export is %s the SQL signature is %s", buf,
						   slackfuel_sig_wit(sig))));
	if (sig->uses_memory &&
		(e->memory == NULL || strcmp(e->memory, "memory") != 0 ||
		 e->realloc == NULL || strcmp(e->realloc, "cabi_realloc") != 0 ||
		 (e->post_return != NULL &&
		  strcmp(e->post_return, psprintf("cabi_post_%s", e->core_name)) != 0)))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("wasm component export \"%s\" of function \"%s\" has canonical options slackfuel cannot call",
						e->name, fname),
				 errdetail("Its memory is %s, realloc %s, post-return %s; slackfuel uses the core exports \"memory\", \"cabi_realloc\" and \"cabi_post_%s\".",
						   e->memory ? e->memory : "none", e->realloc ? e->realloc : "none",
						   e->post_return ? e->post_return : "none", e->core_name)));
	return e;
}

/*
 * A set is returned as list<T>, or, if the module exports <export>_next,
 * one row per call of it; <export>_close is then optional.
 */
static void
check_set_exports(const char *fname, slackfuel_sig *sig, sf_module *m,
				  const char *export_name)
{
	static const sf_valtype i1[1] = {SF_I32};
	const sf_functype want_close = {1, 0, i1, NULL};
	char	   *next = psprintf("%s_next", export_name);
	char	   *close = psprintf("%s_close", export_name);
	sf_export_desc d;
	int64		i = sf_module_find_export(m, next, strlen(next));

	slackfuel_sig_set_stream(sig, i >= 0);
	if (i < 0)
		return;
	sf_module_export(m, (uint32) i, &d);
	if (d.kind != SF_EXTERN_FUNC || !functype_equal(&sig->wit_next->core, &d.functype))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
				 errmsg("wasm export \"%s\" of function \"%s\" must have type %s",
						next, fname, slackfuel_format_functype(&sig->wit_next->core)),
				 errhint("It gives the set's rows one by one: func(iterator: u32) -> option<T>.")));
	i = sf_module_find_export(m, close, strlen(close));
	if (i >= 0)
		sf_module_export(m, (uint32) i, &d);
	if (i >= 0 && (d.kind != SF_EXTERN_FUNC || !functype_equal(&want_close, &d.functype)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
				 errmsg("wasm export \"%s\" of function \"%s\" must have type %s",
						close, fname, slackfuel_format_functype(&want_close))));
}

/*
 * A WASI command (an exported _start: a program's main, run once, then
 * the instance is done) is not a library of functions.  A reactor is: its
 * _initialize, of type [] -> [], runs once when an instance is created
 * (sf_instance_new).
 */
static void
check_entry_points(const char *fname, sf_module *m)
{
	sf_export_desc d;
	int64		i = sf_module_find_export(m, "_initialize", 11);

	if (i >= 0)
	{
		sf_module_export(m, (uint32) i, &d);
		if (d.kind != SF_EXTERN_FUNC || d.functype.nparams != 0 || d.functype.nresults != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
					 errmsg("wasm export \"_initialize\" of function \"%s\" must be a function of type () -> ()", fname),
					 errdetail("It runs once when an instance is created (a WASI reactor's initialisation).")));
	}
	i = sf_module_find_export(m, "_start", 6);
	if (i < 0)
		return;
	sf_module_export(m, (uint32) i, &d);
	if (d.kind != SF_EXTERN_FUNC)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
			 errmsg("wasm module of function \"%s\" is a WASI command: it exports \"_start\"", fname),
			 errdetail("A function's module is a library or a reactor: its exports are called, and \"_initialize\", if exported, runs once when an instance is created."),
			 errhint("Build it as a reactor (clang -mexec-model=reactor) or without an entry point (-Wl,--no-entry).")));
}

/*
 * The module-level checks of a function: which export ('export', or when
 * NULL the one slackfuel_pick_export chooses; for a component, the core
 * export its chosen export lifts), its signature, and the canonical ABI
 * exports when strings are used.  Fills 'd'.
 */
void
slackfuel_check_module(const char *fname, const slackfuel_sig *sig,
					   sf_module *m, const sf_component *comp,
					   const char *export, sf_export_desc *d)
{
	char	   *name;

	check_entry_points(fname, m);
	if (comp != NULL)
		export = component_export(fname, sig, comp, export)->core_name;
	sf_module_export(m, (uint32) (export ? named_export(fname, m, export) :
								  slackfuel_pick_export(fname, m, fname)), d);
	name = pnstrdup(d->name, d->name_len);
	if (sig->retset)
		check_set_exports(fname, (slackfuel_sig *) sig, m, name);
	check_signature(fname, sig, name, &d->functype);
	if (sig->uses_memory)
		check_abi_exports(fname, sig, m, name);
}


/*
 * A store for one instance, with the current limits: its linear memory and
 * tables together within slackfuel.max_memory.
 */
sf_store *
slackfuel_store_new(const char *fname, uint64 max_memory, uint64 max_stack)
{
	sf_store_config cfg = {0};
	sf_store   *store;
	sf_error	err;

	cfg.max_memory_bytes = max_memory;
	cfg.max_table_bytes = max_memory;
	cfg.max_store_bytes = max_memory;
	cfg.budget = slackfuel_budget();
	cfg.max_stack_bytes = max_stack;
	cfg.meter_start = 1;
	cfg.start_fuel_limit = slackfuel_fuel_limit();
	store = sf_store_new(&cfg, &err);
	if (store == NULL)
		slackfuel_report_status(fname, "instantiate", &err);
	return store;
}

/* "a memory of N bytes" from the engine's "a memory of N bytes exceeds ...". */
static char *
needed(const sf_error *err)
{
	const char *end = strstr(err->msg, " exceeds ");

	return end ? pnstrdup(err->msg, end - err->msg) : pstrdup(err->msg);
}

/*
 * Even evicting every idle instance did not make room in the backend's
 * wasm memory.
 */
void
slackfuel_out_of_backend_memory(const char *fname, const char *what)
{
	sf_budget  *b = slackfuel_budget();

	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("wasm function \"%s\" does not fit in slackfuel.max_backend_memory", fname),
			 errdetail("It needs %s; instances with a call running and compiled code hold %llu of %llu bytes, and idle instances were evicted.",
					   what, (unsigned long long) sf_budget_used(b),
					   (unsigned long long) sf_budget_limit(b)),
			 errhint("A superuser can raise slackfuel.max_backend_memory.")));
}

/*
 * Compiled code and its code maps count against the backend's wasm memory
 * (idle instances are evicted to make room).  Returns the bytes taken.
 */
uint64
slackfuel_take_code(const char *fname, sf_module *m)
{
	sf_compile_stats st;
	uint64		bytes;

	sf_module_compile_stats(m, &st);
	bytes = st.code_held_bytes + st.wasm_code_bytes + st.map_bytes;
	if (!sf_budget_take(slackfuel_budget(), bytes))
		slackfuel_out_of_backend_memory(fname, psprintf("%llu bytes for its code",
														(unsigned long long) bytes));
	return bytes;
}

/*
 * Where the address space is short for a memory's guard region (a low
 * ulimit -v, or very many instances), the engine runs the instance on
 * bounds-checked code instead of failing; the server log says so once.
 */
static void
note_bounds_checked(sf_instance *instance)
{
	static bool noted = false;

	if (noted || !sf_instance_bounds_checked(instance))
		return;
	noted = true;
	ereport(LOG,
			(errmsg("slackfuel: wasm memories run with bounds checks: the address space is short for their guard regions"),
			 errdetail("A memory without bounds checks reserves 8 GiB of address space; this backend could not reserve it (ulimit -v, or very many instances)."),
			 errhint("Bounds-checked code is slower; raise the address-space limit if it can be raised.")));
}

/*
 * Instantiate 'm' in 'store' with the imports of 'host': its start
 * function and a reactor's _initialize run as a call of its own (host
 * functions work in it; one fuel limit for both), stopped by fuel,
 * cancellation and statement_timeout like any call.  On error the caller's
 * owner of 'store' and 'host' frees them.
 */
sf_instance *
slackfuel_instantiate(const char *fname, sf_store *store, sf_module *m,
					  uint64 max_stack, slackfuel_host *host)
{
	slackfuel_cx cx;
	sf_extern  *imports = host ? slackfuel_host_imports(host, m) : NULL;
	sf_instance *instance;
	uint64		refused = sf_budget_refusals(slackfuel_budget());

	slackfuel_call_begin(&cx, fname, NULL, NULL, host, max_stack);
	instance = sf_instance_new(store, m, imports, sf_module_num_imports(m), &cx.out.err);
	cx.out.consumed = sf_last_fuel_consumed();
	if (instance == NULL)
	{
		if (cx.out.err.status == SF_TRAP)
			slackfuel_trapped(&cx);
		if (cx.out.err.status == SF_LIMIT &&
			sf_budget_refusals(slackfuel_budget()) != refused)
			slackfuel_out_of_backend_memory(fname, needed(&cx.out.err));
		if (cx.out.err.status == SF_LIMIT)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("wasm function \"%s\" needs more memory than slackfuel.max_memory allows",
							fname),
					 errdetail("%s.", cx.out.err.msg),
					 errhint("slackfuel.max_memory (within slackfuel.max_memory_ceiling) bounds an instance's linear memory and tables together.")));
		slackfuel_report_status(fname, "instantiate", &cx.out.err);
	}
	note_bounds_checked(instance);
	if (host != NULL)
		slackfuel_host_bind(host, instance);
	slackfuel_call_end(&cx);
	if (imports)
		pfree(imports);
	return instance;
}
