/*
** spectest -- run wast2json command files against the engine.
**
**   build/spectest [-v] [-m] [-b] [-p PASS] FILE.json... [-p PASS FILE.json...]
**
** One line per file ("spec: NAME.wast: N passed, N failed, N skipped"),
** the skip reasons with their counts, then the totals alone on the last
** line.  Exit status 1 on any failure.  "-p PASS" starts a named pass over
** the files that follow (make spec runs wast2json's conversion, then our
** own, build/sfwast); files of the second and later passes are reported
** as "spec-PASS: NAME.wast: ...", and each pass gets its own totals line
** ("spec: pass PASS: ...") before the overall one.  -v prints every failure and skip
** with its line; -b compiles the modules of the files after it in
** bounds-checked mode (sf_config.bounds_checked), with SSE forms only
** (sf_config.jit_no_avx), so that the suite covers both; -m notes every rejected module whose message does not
** contain the text the suite expects (the suite only requires failure).
**
** Layout, so that later issues extend rather than rewrite it:
**   - SPEC_COMMAND_LIST maps each command "type" to one handler;
**   - a handler gets the parsed command (spec_cmd) and returns an outcome;
**   - modules are loaded by load_module(); text modules ("module_type":
**     "text") go through sf_wat_to_wasm first, so a text assert_malformed
**     passes when either our parser or decode/validate rejects it;
**   - named modules live in a registry (spec_ctx.instances), looked up by
**     find_instance(); 'register' adds aliases;
**   - argument and expected values are parsed into spec_value (spec.h).
** Module filenames are relative to the directory of their JSON file.
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"
#include "spectest_host.h"
#include "../tools/read_file.h"

#define SPEC_REASON_LEN 512

typedef enum spec_result
{
	SPEC_PASS,
	SPEC_FAIL,
	SPEC_SKIP
} spec_result;

typedef struct spec_outcome
{
	spec_result result;
	char		reason[SPEC_REASON_LEN];
} spec_outcome;

typedef struct spec_action
{
	bool		present;
	const char *type;			/* "invoke" or "get" */
	const char *module;			/* instance name, NULL = the current one */
	const char *field;
	size_t		field_len;
	uint32_t	nargs;
	spec_value *args;
} spec_action;

typedef struct spec_cmd
{
	const json *j;				/* the whole command object */
	const char *type;
	int			line;
	const char *filename;		/* module file, relative to the JSON file */
	const char *name;			/* "$M1" for named modules */
	const char *text;			/* expected failure message */
	const char *module_type;	/* "binary" or "text" */
	const char *as;				/* register */
	spec_action action;
	uint32_t	nexpected;
	spec_value *expected;
} spec_cmd;

/* A module defined by a 'module' command; 'inst' is set once instantiated. */
typedef struct spec_instance
{
	char	   *name;			/* NULL for anonymous modules */
	sf_module  *module;
	sf_instance *inst;
} spec_instance;

typedef struct spec_alias
{
	char	   *as;				/* registered import module name */
	int			instance;
} spec_alias;

typedef struct skip_count
{
	char	   *reason;
	int			count;
} skip_count;

/* The totals of one -p pass. */
typedef struct spec_pass
{
	const char *name;
	int			passed,
				failed,
				skipped;
} spec_pass;

#define SPEC_MAX_PASSES 8

typedef struct spec_ctx
{
	bool		verbose;
	bool		messages;		/* -m: note rejections whose message differs */
	const char *json_path;
	char		dir[4096];		/* directory of the JSON file, with '/' */
	const char *wast;			/* file name for messages */
	spec_instance *instances;
	int			ninstances;
	int			current;		/* index of the last module, -1 = none */
	spec_alias *aliases;
	int			naliases;
	int			passed,
				failed,
				skipped;
	skip_count *skips;			/* across all files */
	int			nskips;
	spec_pass	passes[SPEC_MAX_PASSES];
	int			npasses;		/* 0 until the first -p */
	sf_store   *store;			/* one per file: owns every instance */
	sf_spectest *spectest;
	int			multi_threaded;	/* modules compiled by more than one thread */
} spec_ctx;

static spec_outcome
outcome(spec_result r, const char *fmt, ...)
{
	spec_outcome o;
	va_list		ap;

	o.result = r;
	va_start(ap, fmt);
	vsnprintf(o.reason, sizeof(o.reason), fmt, ap);
	va_end(ap);
	return o;
}

#define PASS() outcome(SPEC_PASS, "%s", "")

/* --- Reading files ---------------------------------------------------- */

/* --- The registry ----------------------------------------------------- */

static int
add_instance(spec_ctx *c, const char *name, sf_module *m)
{
	spec_instance *ni = realloc(c->instances, (c->ninstances + 1) * sizeof(spec_instance));

	if (!ni)
	{
		sf_module_free(m);
		return -1;
	}
	c->instances = ni;
	ni[c->ninstances].name = name ? strdup(name) : NULL;
	ni[c->ninstances].module = m;
	ni[c->ninstances].inst = NULL;
	return c->current = c->ninstances++;
}

/* The instance a command names ("$M1"), or the current one for NULL. */
static spec_instance *
find_instance(spec_ctx *c, const char *name)
{
	if (name == NULL)
		return c->current >= 0 ? &c->instances[c->current] : NULL;
	for (int i = c->ninstances; i-- > 0;)
		if (c->instances[i].name && strcmp(c->instances[i].name, name) == 0)
			return &c->instances[i];
	return NULL;
}

static void
clear_registry(spec_ctx *c)
{
	/* the store owns the instances; modules outlive them */
	sf_spectest_free(c->spectest);
	sf_store_free(c->store);
	c->spectest = NULL;
	c->store = NULL;
	for (int i = 0; i < c->ninstances; i++)
	{
		sf_module_free(c->instances[i].module);
		free(c->instances[i].name);
	}
	for (int i = 0; i < c->naliases; i++)
		free(c->aliases[i].as);
	free(c->instances);
	free(c->aliases);
	c->instances = NULL;
	c->aliases = NULL;
	c->ninstances = c->naliases = 0;
	c->current = -1;
}

/* --- Loading modules ------------------------------------------------- */

typedef enum load_result
{
	LOAD_OK,
	LOAD_FAILED,				/* the engine rejected it: err says why */
	LOAD_SKIP,					/* cannot be tried yet: err.msg says why */
	LOAD_NOFILE
} load_result;

/* Module configuration (-b sets bounds-checked mode); NULL = defaults. */
static const sf_config *load_cfg;
static sf_config pass_cfg;		/* what -b and -t set */

static load_result
load_module(spec_ctx *c, const spec_cmd *cmd, sf_module **out, sf_error *err)
{
	char		path[8192];
	char	   *bytes;
	size_t		len = 0;

	*out = NULL;
	memset(err, 0, sizeof(*err));
	if (!cmd->filename)
	{
		snprintf(err->msg, sizeof(err->msg), "command has no module file");
		return LOAD_NOFILE;
	}
	snprintf(path, sizeof(path), "%s%s", c->dir, cmd->filename);
	bytes = (char *) read_file(path, &len);
	if (!bytes)
	{
		snprintf(err->msg, sizeof(err->msg), "cannot read %.200s", path);
		return LOAD_NOFILE;
	}
	if (cmd->module_type && strcmp(cmd->module_type, "text") == 0)
	{
		/* text goes through our parser, then the same decode/validate */
		uint8_t    *wasm;
		size_t		wasm_len;

		if (sf_wat_to_wasm(bytes, len, &wasm, &wasm_len, err) != SF_OK)
		{
			free(bytes);
			return LOAD_FAILED;
		}
		free(bytes);
		*out = sf_module_load(wasm, wasm_len, load_cfg, err);
		free(wasm);
		return *out ? LOAD_OK : LOAD_FAILED;
	}
	*out = sf_module_load((const uint8_t *) bytes, len, load_cfg, err);
	free(bytes);
	return *out ? LOAD_OK : LOAD_FAILED;
}

/* --- Instances ------------------------------------------------------------ */

static bool
ensure_store(spec_ctx *c, sf_error *err)
{
	if (c->store)
		return true;
	c->store = sf_store_new(NULL, err);
	if (c->store && !(c->spectest = sf_spectest_new(c->store, err)))
	{
		sf_store_free(c->store);
		c->store = NULL;
	}
	return c->store != NULL;
}

/* An import from "spectest" or from a registered instance. */
static bool
resolve_import(spec_ctx *c, const sf_import_desc *d, sf_extern *out)
{
	if (d->module_len == 8 && memcmp(d->module, "spectest", 8) == 0)
		return sf_spectest_lookup(c->spectest, d->name, d->name_len, out);
	for (int i = c->naliases; i-- > 0;)
	{
		spec_instance *in = &c->instances[c->aliases[i].instance];

		if (strlen(c->aliases[i].as) != d->module_len ||
			memcmp(c->aliases[i].as, d->module, d->module_len) != 0)
			continue;
		return in->inst && sf_instance_export(in->inst, d->name, d->name_len, out) == SF_OK;
	}
	return false;
}

/* Link and instantiate 'm'; NULL with 'err' filled on failure. */
static sf_instance *
instantiate(spec_ctx *c, sf_module *m, sf_error *err)
{
	uint32_t	n = sf_module_num_imports(m);
	sf_extern  *ex;
	sf_instance *inst;

	if (!ensure_store(c, err))
		return NULL;
	ex = calloc(n ? n : 1, sizeof(sf_extern));
	if (!ex)
	{
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		err->status = SF_NOMEM;
		return NULL;
	}
	for (uint32_t i = 0; i < n; i++)
	{
		sf_import_desc d;

		sf_module_import(m, i, &d);
		if (!resolve_import(c, &d, &ex[i]))
		{
			snprintf(err->msg, sizeof(err->msg), "unknown import \"%.*s\" \"%.*s\"",
					 (int) d.module_len, d.module, (int) d.name_len, d.name);
			err->status = SF_UNLINKABLE;
			free(ex);
			return NULL;
		}
	}
	inst = sf_instance_new(c->store, m, ex, n, err);
	free(ex);
	if (inst != NULL)
	{
		sf_compile_stats cs;

		sf_module_compile_stats(m, &cs);
		c->multi_threaded += cs.compile_threads > 1;
	}
	return inst;
}

/* Run the command's action; results go to 'res' (capacity 'cap'). */
static sf_status
run_action(spec_ctx *c, const spec_cmd *cmd, sf_val *res, uint32_t cap,
		   uint32_t *nres, sf_error *err)
{
	const spec_action *a = &cmd->action;
	spec_instance *in = find_instance(c, a->module);
	sf_extern	ex;
	sf_val	   *args;
	sf_functype ft;
	sf_status	st;

	memset(err, 0, sizeof(*err));
	*nres = 0;
	if (!in || !in->inst)
		return snprintf(err->msg, sizeof(err->msg), "no instance"), err->status = SF_NOTFOUND;
	if (!a->field || sf_instance_export(in->inst, a->field, a->field_len, &ex) != SF_OK)
		return snprintf(err->msg, sizeof(err->msg), "no export \"%s\"",
						a->field ? a->field : "?"), err->status = SF_NOTFOUND;
	if (a->type && strcmp(a->type, "get") == 0)
	{
		if (ex.kind != SF_EXTERN_GLOBAL)
			return snprintf(err->msg, sizeof(err->msg), "export is not a global"),
				err->status = SF_BADARG;
		res[0] = sf_global_get(ex.of.global);
		*nres = 1;
		return SF_OK;
	}
	if (ex.kind != SF_EXTERN_FUNC)
		return snprintf(err->msg, sizeof(err->msg), "export is not a function"),
			err->status = SF_BADARG;
	sf_func_type(ex.of.func, &ft);
	if (ft.nresults > cap)
		return snprintf(err->msg, sizeof(err->msg), "too many results"), err->status = SF_LIMIT;
	args = calloc(a->nargs + 1, sizeof(sf_val));
	if (!args)
		return snprintf(err->msg, sizeof(err->msg), "out of memory"), err->status = SF_NOMEM;
	for (uint32_t i = 0; i < a->nargs; i++)
		spec_value_to_sf(&a->args[i], &args[i]);
	st = sf_call(ex.of.func, args, a->nargs, res, ft.nresults, NULL, err);
	free(args);
	if (st == SF_OK)
		*nres = ft.nresults;
	return st;
}

#define MAX_RESULTS 1024

/* Does a trap message match the suite's expected text (a prefix)? */
static bool
trap_matches(const sf_error *err, const char *text)
{
	const char *msg = sf_trap_message(err->trap);

	if (!text)
		return true;
	return strncmp(msg, text, strlen(msg) < strlen(text) ? strlen(msg) : strlen(text)) == 0;
}

/* --- Command handlers ---------------------------------------------------- */

static spec_outcome
cmd_module(spec_ctx *c, const spec_cmd *cmd)
{
	sf_module  *m;
	sf_error	err;
	int			idx;

	switch (load_module(c, cmd, &m, &err))
	{
		case LOAD_OK:
			if ((idx = add_instance(c, cmd->name, m)) < 0)
				return outcome(SPEC_FAIL, "out of memory");
			c->instances[idx].inst = instantiate(c, m, &err);
			if (!c->instances[idx].inst)
				return outcome(SPEC_FAIL, "instantiation failed: %s: %s",
							   sf_status_name(err.status), err.msg);
			return PASS();
		case LOAD_SKIP:
			c->current = -1;
			return outcome(SPEC_SKIP, "%s", err.msg);
		case LOAD_FAILED:
			c->current = -1;
			return outcome(SPEC_FAIL, "module rejected: %s: %s",
						   sf_status_name(err.status), err.msg);
		default:
			c->current = -1;
			return outcome(SPEC_FAIL, "%s", err.msg);
	}
}

/* assert_malformed and assert_invalid: the module must not load. */
static spec_outcome
expect_rejected(spec_ctx *c, const spec_cmd *cmd)
{
	sf_module  *m;
	sf_error	err;

	switch (load_module(c, cmd, &m, &err))
	{
		case LOAD_OK:
			sf_module_free(m);
			return outcome(SPEC_FAIL, "module loaded, expected \"%s\"",
						   cmd->text ? cmd->text : "?");
		case LOAD_FAILED:
			if (c->messages && cmd->text && !strstr(err.msg, cmd->text))
				printf("NOTE %s:%d: %s: expected \"%s\", got %s: %s\n", c->wast,
					   cmd->line, cmd->type, cmd->text, sf_status_name(err.status),
					   err.msg);
			return PASS();
		case LOAD_SKIP:
			return outcome(SPEC_SKIP, "%s", err.msg);
		default:
			return outcome(SPEC_FAIL, "%s", err.msg);
	}
}

static spec_outcome
cmd_assert_malformed(spec_ctx *c, const spec_cmd *cmd)
{
	return expect_rejected(c, cmd);
}

static spec_outcome
cmd_assert_invalid(spec_ctx *c, const spec_cmd *cmd)
{
	return expect_rejected(c, cmd);
}

static spec_outcome
cmd_register(spec_ctx *c, const spec_cmd *cmd)
{
	spec_instance *in = find_instance(c, cmd->name);
	spec_alias *na;

	if (!in || !cmd->as)
		return outcome(SPEC_FAIL, "register of a module that was not loaded");
	if (!in->inst)
		return outcome(SPEC_FAIL, "register of a module that was not instantiated");
	na = realloc(c->aliases, (c->naliases + 1) * sizeof(spec_alias));
	if (!na)
		return outcome(SPEC_FAIL, "out of memory");
	c->aliases = na;
	na[c->naliases].as = strdup(cmd->as);
	na[c->naliases++].instance = (int) (in - c->instances);
	return PASS();
}

static spec_outcome
cmd_action(spec_ctx *c, const spec_cmd *cmd)
{
	sf_val		res[MAX_RESULTS];
	uint32_t	n;
	sf_error	err;

	if (run_action(c, cmd, res, MAX_RESULTS, &n, &err) != SF_OK)
		return outcome(SPEC_FAIL, "%s: %s", sf_status_name(err.status), err.msg);
	return PASS();
}

static spec_outcome
cmd_assert_return(spec_ctx *c, const spec_cmd *cmd)
{
	sf_val		res[MAX_RESULTS];
	uint32_t	n;
	sf_error	err;
	char		a[128], b[128];

	if (run_action(c, cmd, res, MAX_RESULTS, &n, &err) != SF_OK)
		return outcome(SPEC_FAIL, "%s: %s", sf_status_name(err.status), err.msg);
	if (n != cmd->nexpected)
		return outcome(SPEC_FAIL, "%u results, expected %u", n, cmd->nexpected);
	for (uint32_t i = 0; i < n; i++)
		if (!spec_value_matches(&cmd->expected[i], &res[i]))
		{
			spec_sfval_format(&res[i], a, sizeof(a));
			spec_value_format(&cmd->expected[i], b, sizeof(b));
			return outcome(SPEC_FAIL, "result %u is %s, expected %s", i, a, b);
		}
	return PASS();
}

static spec_outcome
expect_trap(spec_ctx *c, const spec_cmd *cmd, bool exhaustion)
{
	sf_val		res[MAX_RESULTS];
	uint32_t	n;
	sf_error	err;
	sf_status	st = run_action(c, cmd, res, MAX_RESULTS, &n, &err);

	if (st == SF_OK)
		return outcome(SPEC_FAIL, "returned, expected trap \"%s\"", cmd->text ? cmd->text : "?");
	if (st != SF_TRAP)
		return outcome(SPEC_FAIL, "%s: %s", sf_status_name(st), err.msg);
	if (exhaustion ? err.trap != SF_TRAP_STACK_EXHAUSTED : !trap_matches(&err, cmd->text))
		return outcome(SPEC_FAIL, "trapped with \"%s\", expected \"%s\"", err.msg,
					   cmd->text ? cmd->text : "?");
	return PASS();
}

static spec_outcome
cmd_assert_trap(spec_ctx *c, const spec_cmd *cmd)
{
	return expect_trap(c, cmd, false);
}

static spec_outcome
cmd_assert_exhaustion(spec_ctx *c, const spec_cmd *cmd)
{
	return expect_trap(c, cmd, true);
}

/* assert_unlinkable / assert_uninstantiable: instantiation must fail. */
static spec_outcome
expect_no_instance(spec_ctx *c, const spec_cmd *cmd, sf_status want)
{
	sf_module  *m;
	sf_error	err;
	sf_instance *inst;
	load_result lr = load_module(c, cmd, &m, &err);

	if (lr == LOAD_SKIP)
		return outcome(SPEC_SKIP, "%s", err.msg);
	if (lr != LOAD_OK)
		return outcome(SPEC_FAIL, "module rejected: %s", err.msg);
	inst = instantiate(c, m, &err);
	/* keep 'm': a failed instance may still sit in shared tables */
	{
		int			saved = c->current;

		add_instance(c, NULL, m);
		c->current = saved;
	}
	if (inst)
		return outcome(SPEC_FAIL, "instantiated, expected \"%s\"", cmd->text ? cmd->text : "?");
	if (err.status != want)
		return outcome(SPEC_FAIL, "%s: %s, expected \"%s\"", sf_status_name(err.status),
					   err.msg, cmd->text ? cmd->text : "?");
	if (want == SF_TRAP && !trap_matches(&err, cmd->text))
		return outcome(SPEC_FAIL, "trapped with \"%s\", expected \"%s\"", err.msg,
					   cmd->text ? cmd->text : "?");
	return PASS();
}

static spec_outcome
cmd_assert_unlinkable(spec_ctx *c, const spec_cmd *cmd)
{
	return expect_no_instance(c, cmd, SF_UNLINKABLE);
}

static spec_outcome
cmd_assert_uninstantiable(spec_ctx *c, const spec_cmd *cmd)
{
	return expect_no_instance(c, cmd, SF_TRAP);
}

typedef spec_outcome (*spec_handler) (spec_ctx *c, const spec_cmd *cmd);

#define SPEC_COMMAND_LIST(X) \
	X("module",                cmd_module) \
	X("register",              cmd_register) \
	X("action",                cmd_action) \
	X("assert_return",         cmd_assert_return) \
	X("assert_trap",           cmd_assert_trap) \
	X("assert_exhaustion",     cmd_assert_exhaustion) \
	X("assert_malformed",      cmd_assert_malformed) \
	X("assert_invalid",        cmd_assert_invalid) \
	X("assert_unlinkable",     cmd_assert_unlinkable) \
	X("assert_uninstantiable", cmd_assert_uninstantiable)

static const struct
{
	const char *type;
	spec_handler run;
}			handlers[] = {
#define SPEC_X_(type, fn) {type, fn},
	SPEC_COMMAND_LIST(SPEC_X_)
#undef SPEC_X_
};

/* --- Parsing commands ---------------------------------------------------- */

static bool
parse_values(const json *arr, spec_value **out, uint32_t *n, char *why, size_t wl)
{
	*out = NULL;
	*n = 0;
	if (!arr)
		return true;
	if (arr->type != JSON_ARRAY)
		return snprintf(why, wl, "values are not an array"), false;
	*out = calloc(arr->n ? arr->n : 1, sizeof(spec_value));
	if (!*out)
		return snprintf(why, wl, "out of memory"), false;
	for (size_t i = 0; i < arr->n; i++)
		if (!spec_parse_value(arr->items[i], &(*out)[i], why, wl))
			return false;
	*n = (uint32_t) arr->n;
	return true;
}

static bool
parse_cmd(const json *j, spec_cmd *cmd, char *why, size_t wl)
{
	const json *line = json_get(j, "line");
	const json *act = json_get(j, "action");
	const json *field;

	memset(cmd, 0, sizeof(*cmd));
	cmd->j = j;
	cmd->type = json_str(j, "type");
	cmd->line = line && line->type == JSON_NUMBER ? (int) line->num : 0;
	cmd->filename = json_str(j, "filename");
	cmd->name = json_str(j, "name");
	cmd->text = json_str(j, "text");
	cmd->module_type = json_str(j, "module_type");
	cmd->as = json_str(j, "as");
	if (!cmd->type)
		return snprintf(why, wl, "command without a type"), false;
	if (act)
	{
		cmd->action.present = true;
		cmd->action.type = json_str(act, "type");
		cmd->action.module = json_str(act, "module");
		field = json_get(act, "field");
		if (field && field->type == JSON_STRING)
			cmd->action.field = field->str, cmd->action.field_len = field->len;
		if (!parse_values(json_get(act, "args"), &cmd->action.args,
						  &cmd->action.nargs, why, wl))
			return false;
	}
	return parse_values(json_get(j, "expected"), &cmd->expected,
						&cmd->nexpected, why, wl);
}

static void
free_cmd(spec_cmd *cmd)
{
	free(cmd->action.args);
	free(cmd->expected);
}

/* --- Running ------------------------------------------------------------- */

static void
count_skip(spec_ctx *c, const char *type, const char *reason)
{
	char		key[SPEC_REASON_LEN + 64];

	snprintf(key, sizeof(key), "%s (%s)", type, reason);
	for (int i = 0; i < c->nskips; i++)
		if (strcmp(c->skips[i].reason, key) == 0)
		{
			c->skips[i].count++;
			return;
		}
	skip_count *ns = realloc(c->skips, (c->nskips + 1) * sizeof(skip_count));

	if (!ns)
		return;
	c->skips = ns;
	ns[c->nskips].reason = strdup(key);
	ns[c->nskips++].count = 1;
}

static spec_outcome
run_cmd(spec_ctx *c, const spec_cmd *cmd)
{
	for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		if (strcmp(handlers[i].type, cmd->type) == 0)
			return handlers[i].run(c, cmd);
	return outcome(SPEC_FAIL, "unknown command type %s", cmd->type);
}

static void
record(spec_ctx *c, const char *type, int line, const spec_outcome *o,
	   int *p, int *f, int *s)
{
	switch (o->result)
	{
		case SPEC_PASS:
			(*p)++;
			return;
		case SPEC_FAIL:
			(*f)++;
			if (c->verbose)
				printf("FAIL %s:%d: %s: %s\n", c->wast, line, type, o->reason);
			return;
		case SPEC_SKIP:
			(*s)++;
			count_skip(c, type, o->reason);
			if (c->verbose)
				printf("SKIP %s:%d: %s: %s\n", c->wast, line, type, o->reason);
			return;
	}
}

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static void
set_dir(spec_ctx *c, const char *json_path)
{
	const char *s = strrchr(json_path, '/');
	size_t		n = s ? (size_t) (s - json_path) + 1 : 0;

	if (n >= sizeof(c->dir))
		n = 0;
	memcpy(c->dir, json_path, n);
	c->dir[n] = '\0';
}

static void
run_commands(spec_ctx *c, const json *cmds, int *p, int *f, int *s)
{
	char		why[256];

	for (size_t i = 0; i < cmds->n; i++)
	{
		spec_cmd	cmd;
		spec_outcome o;

		if (parse_cmd(cmds->items[i], &cmd, why, sizeof(why)))
			o = run_cmd(c, &cmd);
		else
			o = outcome(SPEC_FAIL, "bad command: %s", why);
		record(c, cmd.type ? cmd.type : "?", cmd.line, &o, p, f, s);
		free_cmd(&cmd);
	}
}

static void
run_file(spec_ctx *c, const char *path)
{
	char		why[256];
	size_t		len;
	char	   *text = (char *) read_file(path, &len);
	json	   *root = text ? json_parse(text, len, why, sizeof(why)) : NULL;
	const json *cmds = json_get(root, "commands");
	const char *src = json_str(root, "source_filename");
	int			p = 0,
				f = 0,
				s = 0;

	c->wast = src ? base_name(src) : base_name(path);
	set_dir(c, path);
	c->current = -1;
	if (!cmds || cmds->type != JSON_ARRAY)
	{
		printf("spec: %s: cannot read: %s\n", path,
			   text ? (root ? "no command list" : why) : "no such file");
		f = 1;
	}
	else
		run_commands(c, cmds, &p, &f, &s);
	if (c->npasses > 1)
		printf("spec-%s: %s: %d passed, %d failed, %d skipped\n",
			   c->passes[c->npasses - 1].name, c->wast, p, f, s);
	else
		printf("spec: %s: %d passed, %d failed, %d skipped\n", c->wast, p, f, s);
	c->passed += p;
	c->failed += f;
	c->skipped += s;
	if (c->npasses > 0)
	{
		spec_pass  *ps = &c->passes[c->npasses - 1];

		ps->passed += p;
		ps->failed += f;
		ps->skipped += s;
	}
	clear_registry(c);
	json_free(root);
	free(text);
}

int
main(int argc, char **argv)
{
	spec_ctx	c;

	memset(&c, 0, sizeof(c));
	c.current = -1;
	for (int i = 1; i < argc; i++)
	{
		if (strcmp(argv[i], "-v") == 0)
			c.verbose = true;
		else if (strcmp(argv[i], "-m") == 0)
			c.messages = true;
		else if (strcmp(argv[i], "-b") == 0)
		{
			sf_config_default(&pass_cfg);
			pass_cfg.bounds_checked = 1;
			pass_cfg.jit_no_avx = 1;
			load_cfg = &pass_cfg;
		}
		else if (strcmp(argv[i], "-t") == 0 && i + 1 < argc)
		{
			/* compile threads for the modules that follow */
			if (load_cfg == NULL)
				sf_config_default(&pass_cfg);
			pass_cfg.compile_threads = (uint32_t) atoi(argv[++i]);
			load_cfg = &pass_cfg;
		}
		else if (strcmp(argv[i], "-p") == 0 && i + 1 < argc)
		{
			if (c.npasses == SPEC_MAX_PASSES)
			{
				fprintf(stderr, "spectest: more than %d passes\n", SPEC_MAX_PASSES);
				return 2;
			}
			c.passes[c.npasses++].name = argv[++i];
		}
		else
			run_file(&c, argv[i]);
	}
	for (int i = 0; i < c.nskips; i++)
	{
		printf("skipped: %d %s\n", c.skips[i].count, c.skips[i].reason);
		free(c.skips[i].reason);
	}
	free(c.skips);
	for (int i = 0; i < c.npasses; i++)
		printf("spec: pass %s: %d passed, %d failed, %d skipped\n", c.passes[i].name,
			   c.passes[i].passed, c.passes[i].failed, c.passes[i].skipped);
	if (pass_cfg.compile_threads > 1)
		printf("spec: modules compiled by more than one thread: %d\n", c.multi_threaded);
	printf("%d passed, %d failed, %d skipped\n", c.passed, c.failed, c.skipped);
	return c.failed ? 1 : 0;
}
