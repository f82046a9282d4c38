/*
** sfwast -- convert a spec .wast script with our own text parser.
**
**   build/sfwast FILE.wast -o OUTDIR/NAME.json
**
** Writes wast2json's JSON format (same command names, fields and value
** encodings) and the module files next to it: text modules are converted
** by sf_wat_to_wasm, "(module binary ...)" is written as given, and a
** "(module quote ...)" inside an assertion is written as a .wat file with
** "module_type": "text", as wast2json does.  The spec runner then runs the
** same commands as for wast2json's output (make spec, second pass).
**
** The script is read with the engine's WAT lexer and literal parsers
** (engine/wat.h), so the constants of assertions go through the same code
** as those of modules.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slackfuel.h"
#include "wat.h"
#include "read_file.h"

/* A module of the script, kept to answer result types of actions. */
typedef struct wast_module
{
	char	   *name;			/* "$M" or NULL */
	sf_module  *m;				/* NULL if it did not load */
} wast_module;

typedef struct wast
{
	wat_parser	p;
	const char *src_path;
	char	   *dir;			/* output directory with '/' (or "") */
	char	   *base;			/* output base name: NAME of NAME.json */
	int			nfiles;			/* module files written so far */
	wat_buf		json;
	size_t		line_off;		/* line_of() cache */
	int			line_no;
	wast_module *mods;
	int			nmods;
	int			current;		/* index in mods, -1 = none */
	int			errors;
} wast;

/* A module as written in the script. */
typedef enum modkind
{
	MOD_TEXT, MOD_BINARY, MOD_QUOTE
} modkind;

typedef struct wast_mod
{
	modkind		kind;
	int			line;
	size_t		off;			/* "(module" */
	size_t		end;			/* after its ')' */
	size_t		name_off;
	size_t		name_len;		/* 0 = anonymous */
	wat_buf		data;			/* binary bytes or quoted text */
} wast_mod;

static void
out(wast *w, const char *s)
{
	wat_buf_bytes(&w->json, s, strlen(s));
}

static void
outf(wast *w, const char *fmt, ...) SF_PRINTF(2, 3);

static void
outf(wast *w, const char *fmt, ...)
{
	char		buf[512];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	out(w, buf);
}

/* A JSON string the way wast2json escapes it. */
static void
out_str(wast *w, const uint8_t *s, size_t n)
{
	wat_buf_byte(&w->json, '"');
	for (size_t i = 0; i < n; i++)
	{
		if (s[i] < 0x20 || s[i] == '"' || s[i] == '\\')
			outf(w, "\\u%04x", s[i]);
		else
			wat_buf_byte(&w->json, s[i]);
	}
	wat_buf_byte(&w->json, '"');
}

static void
out_text(wast *w, const char *s, size_t n)
{
	out_str(w, (const uint8_t *) s, n);
}

static int
line_of(wast *w, size_t off)
{
	if (w->p.failed)
		return 0;
	if (off < w->line_off)
	{
		w->line_off = 0;
		w->line_no = 1;
	}
	for (; w->line_off < off; w->line_off++)
		if (w->p.text[w->line_off] == '\n')
			w->line_no++;
	return w->line_no;
}

static int
fail(wast *w, const char *what)
{
	if (!w->p.failed)
		wat_fail_expected(&w->p, what);
	return -1;
}

/* --- modules --------------------------------------------------------- */

static int
write_file(wast *w, const char *name, const void *data, size_t len)
{
	char		path[8192];
	FILE	   *f;

	snprintf(path, sizeof(path), "%s%s", w->dir, name);
	f = fopen(path, "wb");
	if (f != NULL)
	{
		int			bad = len > 0 && fwrite(data, 1, len, f) != len;

		if (fclose(f) != 0 || bad)
			f = NULL;
	}
	if (f == NULL)
	{
		fprintf(stderr, "sfwast: cannot write %s\n", path);
		w->errors++;
		return -1;
	}
	return 0;
}

/* Strings up to ')' decoded and concatenated into 'b'. */
static int
strings(wast *w, wat_buf *b)
{
	while (w->p.tok.kind == WT_STRING)
	{
		if (wat_parse_string(&w->p, &w->p.tok, b) < 0)
			return -1;
		wat_next(&w->p);
	}
	return wat_expect(&w->p, WT_RPAR, "')'");
}

/* "(module $id? (binary|quote)? ...)" at the current token. */
static int
parse_module(wast *w, wast_mod *m)
{
	wat_parser *p = &w->p;

	memset(m, 0, sizeof(*m));
	m->off = p->tok.off;
	if (!wat_peek_field(p, "module"))
		return fail(w, "'(module'");
	wat_next(p);
	m->line = line_of(w, p->tok.off);	/* wast2json: the keyword's line */
	wat_next(p);
	if (p->tok.kind == WT_ID)
	{
		m->name_off = p->tok.off;
		m->name_len = p->tok.len;
		wat_next(p);
	}
	if (wat_tok_is(p, "binary") || wat_tok_is(p, "quote"))
	{
		m->kind = wat_tok_is(p, "binary") ? MOD_BINARY : MOD_QUOTE;
		wat_next(p);
		if (strings(w, &m->data) < 0)
			return -1;
	}
	else
	{
		/* the text module itself: find its closing parenthesis */
		size_t		level = 1;

		m->kind = MOD_TEXT;
		while (level > 0 && p->tok.kind != WT_EOF)
		{
			level += p->tok.kind == WT_LPAR;
			level -= p->tok.kind == WT_RPAR;
			if (wat_next(p) < 0)
				return -1;
		}
		if (level > 0)
			return fail(w, "')' closing the module");
	}
	m->end = p->tok.off;
	return p->failed ? -1 : 0;
}

static void
remember(wast *w, const wast_mod *m, const uint8_t *bytes, size_t len)
{
	wast_module *nm = realloc(w->mods, (w->nmods + 1) * sizeof(*nm));
	sf_error	err;

	if (nm == NULL)
		return;
	w->mods = nm;
	nm[w->nmods].name = m->name_len ? strndup(w->p.text + m->name_off, m->name_len) : NULL;
	nm[w->nmods].m = bytes ? sf_module_load(bytes, len, NULL, &err) : NULL;
	w->current = w->nmods++;
}

/*
** Write the module's file; returns its module_type.  Text modules that our
** parser rejects are written as text so the runner reports the rejection.
*/
static const char *
emit_module_file(wast *w, const wast_mod *m, int quote_as_text, int keep)
{
	char		name[4096];
	uint8_t    *bytes = NULL;
	size_t		len = 0;
	sf_error	err;
	const char *type = "binary";
	const char *text = NULL;
	size_t		tlen = 0;

	if (m->kind == MOD_BINARY)
	{
		bytes = m->data.p;
		len = m->data.len;
	}
	else
	{
		text = m->kind == MOD_QUOTE ? (const char *) m->data.p : w->p.text + m->off;
		tlen = m->kind == MOD_QUOTE ? m->data.len : m->end - m->off;
		if (!(m->kind == MOD_QUOTE && quote_as_text) &&
			sf_wat_to_wasm(text ? text : "", tlen, &bytes, &len, &err) != SF_OK)
		{
			fprintf(stderr, "%s:%d: our parser rejects this module: %s\n",
					w->src_path, m->line, err.msg);
			bytes = NULL;
		}
		if (bytes == NULL)
			type = "text";
	}
	snprintf(name, sizeof(name), "%s.%d.%s", w->base, w->nfiles++,
			 strcmp(type, "text") == 0 ? "wat" : "wasm");
	if (strcmp(type, "text") == 0)
		write_file(w, name, text ? text : "", tlen);
	else
		write_file(w, name, bytes, len);
	if (keep)
		remember(w, m, bytes, len);
	if (bytes != m->data.p)
		free(bytes);
	out(w, "\"filename\": ");
	out_text(w, name, strlen(name));
	return type;
}

static void
begin(wast *w, const char *type, int line)
{
	if (w->json.len > 0)
		out(w, ", \n");
	outf(w, "  {\"type\": \"%s\", \"line\": %d", type, line);
}

static int
cmd_module(wast *w)
{
	wast_mod	m;

	if (parse_module(w, &m) < 0)
		return -1;
	begin(w, "module", m.line);
	out(w, ", ");
	if (m.name_len)
	{
		out(w, "\"name\": ");
		out_text(w, w->p.text + m.name_off, m.name_len);
		out(w, ", ");
	}
	emit_module_file(w, &m, 0, 1);
	out(w, "}");
	wat_buf_free(&m.data);
	return 0;
}

/* assert_malformed / invalid / unlinkable / uninstantiable: module "text" */
static int
cmd_assert_module(wast *w, const char *type)
{
	wast_mod	m;
	const char *mt;
	wat_buf		msg = {0};

	if (parse_module(w, &m) < 0)
		return -1;
	begin(w, type, m.line);
	out(w, ", ");
	mt = emit_module_file(w, &m, 1, 0);
	if (w->p.tok.kind != WT_STRING || wat_parse_string(&w->p, &w->p.tok, &msg) < 0)
	{
		wat_buf_free(&m.data);
		return fail(w, "failure message string");
	}
	wat_next(&w->p);
	out(w, ", \"text\": ");
	out_str(w, msg.p, msg.len);
	outf(w, ", \"module_type\": \"%s\"}", mt);
	wat_buf_free(&msg);
	wat_buf_free(&m.data);
	return wat_expect(&w->p, WT_RPAR, "')'");
}

/* --- actions and values ------------------------------------------------ */

typedef struct action
{
	int			is_get;
	size_t		mod_off;
	size_t		mod_len;
	wat_buf		field;
} action;

static void
out_u64(wast *w, uint64_t v)
{
	outf(w, "\"%llu\"", (unsigned long long) v);
}

/* One "(t.const x)" / "(ref.null t)" / "(ref.extern n)" as JSON. */
static int
value(wast *w, int expected)
{
	wat_parser *p = &w->p;
	wat_tok		t;
	uint32_t	u32;
	uint64_t	u64;
	static const char *const types[] = {"i32", "i64", "f32", "f64"};
	int			k;

	if (wat_expect(p, WT_LPAR, "'(' of a value") < 0)
		return -1;
	t = p->tok;
	wat_next(p);
	for (k = 0; k < 4; k++)
	{
		char		kw[16];

		snprintf(kw, sizeof(kw), "%s.const", types[k]);
		if (wat_is_keyword(p, &t, kw))
			break;
	}
	if (k < 4)
	{
		outf(w, "{\"type\": \"%s\", \"value\": ", types[k]);
		if (expected && k >= 2 &&
			(wat_tok_is(p, "nan:canonical") || wat_tok_is(p, "nan:arithmetic")))
			outf(w, "\"%.*s\"", (int) p->tok.len, p->text + p->tok.off);
		else if ((k == 0 && wat_parse_i32(p, &p->tok, &u32) == 0) ||
				 (k == 2 && wat_parse_f32(p, &p->tok, &u32) == 0))
			out_u64(w, u32);
		else if ((k == 1 && wat_parse_i64(p, &p->tok, &u64) == 0) ||
				 (k == 3 && wat_parse_f64(p, &p->tok, &u64) == 0))
			out_u64(w, u64);
		else
			return -1;
		wat_next(p);
	}
	else if (wat_is_keyword(p, &t, "ref.null"))
	{
		if (!wat_tok_is(p, "func") && !wat_tok_is(p, "extern"))
			return fail(w, "'func' or 'extern'");
		outf(w, "{\"type\": \"%s\", \"value\": \"null\"",
			 wat_tok_is(p, "func") ? "funcref" : "externref");
		wat_next(p);
	}
	else if (wat_is_keyword(p, &t, "ref.extern"))
	{
		if (wat_parse_u32(p, &p->tok, &u32) < 0)
			return -1;
		out(w, "{\"type\": \"externref\", \"value\": ");
		out_u64(w, u32);
		wat_next(p);
	}
	else if (wat_is_keyword(p, &t, "ref.func") && expected)
		out(w, "{\"type\": \"funcref\"");
	else
	{
		p->tok = t;
		return fail(w, "a constant");
	}
	out(w, "}");
	return wat_expect(p, WT_RPAR, "')'");
}

/* Values up to ')' as a JSON array. */
static int
values(wast *w, int expected)
{
	out(w, "[");
	for (int n = 0; w->p.tok.kind == WT_LPAR; n++)
	{
		if (n)
			out(w, ", ");
		if (value(w, expected) < 0)
			return -1;
	}
	out(w, "]");
	return 0;
}

/* (invoke $m? "name" value*) or (get $m? "name"), written as "action". */
static int
parse_action(wast *w, action *a)
{
	wat_parser *p = &w->p;

	memset(a, 0, sizeof(*a));
	if (wat_peek_field(p, "invoke"))
		a->is_get = 0;
	else if (wat_peek_field(p, "get"))
		a->is_get = 1;
	else
		return fail(w, "'(invoke' or '(get'");
	wat_next(p);
	wat_next(p);
	if (p->tok.kind == WT_ID)
	{
		a->mod_off = p->tok.off;
		a->mod_len = p->tok.len;
		wat_next(p);
	}
	if (p->tok.kind != WT_STRING || wat_parse_string(p, &p->tok, &a->field) < 0)
		return fail(w, "export name string");
	wat_next(p);
	outf(w, "\"action\": {\"type\": \"%s\", ", a->is_get ? "get" : "invoke");
	if (a->mod_len)
	{
		out(w, "\"module\": ");
		out_text(w, p->text + a->mod_off, a->mod_len);
		out(w, ", ");
	}
	out(w, "\"field\": ");
	out_str(w, a->field.p, a->field.len);
	if (!a->is_get)
	{
		out(w, ", \"args\": ");
		if (values(w, 0) < 0)
			return -1;
	}
	out(w, "}");
	return wat_expect(p, WT_RPAR, "')'");
}

static sf_module *
action_module(wast *w, const action *a)
{
	if (a->mod_len == 0)
		return w->current >= 0 ? w->mods[w->current].m : NULL;
	for (int i = w->nmods; i-- > 0;)
		if (w->mods[i].name && strlen(w->mods[i].name) == a->mod_len &&
			memcmp(w->mods[i].name, w->p.text + a->mod_off, a->mod_len) == 0)
			return w->mods[i].m;
	return NULL;
}

/* The result types of the action's export, as wast2json lists them. */
static void
result_types(wast *w, const action *a)
{
	sf_module  *m = action_module(w, a);
	int64_t		idx = m ? sf_module_find_export(m, (const char *) a->field.p,
												a->field.len) : -1;
	sf_export_desc d;

	out(w, "\"expected\": [");
	if (idx >= 0)
	{
		sf_module_export(m, (uint32_t) idx, &d);
		if (d.kind == SF_EXTERN_FUNC)
			for (uint32_t i = 0; i < d.functype.nresults; i++)
				outf(w, "%s{\"type\": \"%s\"}", i ? ", " : "",
					 sf_valtype_name(d.functype.results[i]));
		else if (d.kind == SF_EXTERN_GLOBAL)
			outf(w, "{\"type\": \"%s\"}", sf_valtype_name(d.valtype));
	}
	out(w, "]");
}

/* The line of the keyword after the current '(' (wast2json's "line"). */
static int
keyword_line(wast *w)
{
	wat_tok		t;

	if (wat_peek(&w->p, &t) < 0)
		return 0;
	return line_of(w, t.off);
}

/* A top-level (invoke ...) or (get ...). */
static int
cmd_action(wast *w)
{
	action		a;
	int			r;

	begin(w, "action", keyword_line(w));
	out(w, ", ");
	r = parse_action(w, &a);
	if (r == 0)
	{
		out(w, ", ");
		result_types(w, &a);
		out(w, "}");
	}
	wat_buf_free(&a.field);
	return r;
}

static int
cmd_assert_return(wast *w)
{
	action		a;
	int			r;

	begin(w, "assert_return", keyword_line(w));
	out(w, ", ");
	r = parse_action(w, &a);
	wat_buf_free(&a.field);
	if (r < 0)
		return -1;
	out(w, ", \"expected\": ");
	if (values(w, 1) < 0)
		return -1;
	out(w, "}");
	return wat_expect(&w->p, WT_RPAR, "')'");
}

/* assert_trap / assert_exhaustion of an action: action, "text", types. */
static int
cmd_assert_action_fails(wast *w, const char *type)
{
	action		a;
	wat_buf		msg = {0};
	int			r;

	begin(w, type, keyword_line(w));
	out(w, ", ");
	r = parse_action(w, &a);
	if (r == 0 && (w->p.tok.kind != WT_STRING ||
				   wat_parse_string(&w->p, &w->p.tok, &msg) < 0))
		r = fail(w, "failure message string");
	if (r == 0)
	{
		wat_next(&w->p);
		out(w, ", \"text\": ");
		out_str(w, msg.p, msg.len);
		out(w, ", ");
		result_types(w, &a);
		out(w, "}");
		r = wat_expect(&w->p, WT_RPAR, "')'");
	}
	wat_buf_free(&msg);
	wat_buf_free(&a.field);
	return r;
}

static int
cmd_register(wast *w, int line)
{
	wat_parser *p = &w->p;
	wat_buf		as = {0};

	if (p->tok.kind != WT_STRING || wat_parse_string(p, &p->tok, &as) < 0)
		return fail(w, "module name string");
	wat_next(p);
	begin(w, "register", line);
	if (p->tok.kind == WT_ID)
	{
		out(w, ", \"name\": ");
		out_text(w, p->text + p->tok.off, p->tok.len);
		wat_next(p);
	}
	out(w, ", \"as\": ");
	out_str(w, as.p, as.len);
	out(w, "}");
	wat_buf_free(&as);
	return wat_expect(p, WT_RPAR, "')'");
}

/* One top-level command. */
static int
command(wast *w)
{
	wat_parser *p = &w->p;
	int			line = keyword_line(w);
	wat_tok		kw;

	if (wat_peek_field(p, "module"))
		return cmd_module(w);
	if (wat_peek_field(p, "invoke") || wat_peek_field(p, "get"))
		return cmd_action(w);
	if (wat_expect(p, WT_LPAR, "'(' of a command") < 0)
		return -1;
	kw = p->tok;
	wat_next(p);
	if (wat_is_keyword(p, &kw, "register"))
		return cmd_register(w, line);
	if (wat_is_keyword(p, &kw, "assert_return"))
		return cmd_assert_return(w);
	if (wat_is_keyword(p, &kw, "assert_exhaustion"))
		return cmd_assert_action_fails(w, "assert_exhaustion");
	if (wat_is_keyword(p, &kw, "assert_trap"))
		return wat_peek_field(p, "module") ?
			cmd_assert_module(w, "assert_uninstantiable") :
			cmd_assert_action_fails(w, "assert_trap");
	if (wat_is_keyword(p, &kw, "assert_malformed") ||
		wat_is_keyword(p, &kw, "assert_invalid") ||
		wat_is_keyword(p, &kw, "assert_unlinkable") ||
		wat_is_keyword(p, &kw, "assert_uninstantiable"))
	{
		char		type[32];

		snprintf(type, sizeof(type), "%.*s", (int) kw.len, p->text + kw.off);
		return cmd_assert_module(w, type);
	}
	p->tok = kw;
	return fail(w, "a script command");
}

/*
** A script whose first form is a module field ("(func ...)") is one module
** written without "(module ...)", as in inline-module.wast.
*/
static int
is_inline_module(wast *w)
{
	static const char *const fields[] = {
		"type", "import", "func", "table", "memory", "global", "export",
		"start", "elem", "data"
	};

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (wat_peek_field(&w->p, fields[i]))
			return 1;
	return 0;
}

static void
inline_module(wast *w)
{
	wast_mod	m;

	memset(&m, 0, sizeof(m));
	m.kind = MOD_TEXT;
	m.line = line_of(w, w->p.tok.off);
	m.off = 0;
	m.end = w->p.len;
	begin(w, "module", m.line);
	out(w, ", ");
	emit_module_file(w, &m, 0, 1);
	out(w, "}");
}

/* Split OUTDIR/NAME.json into "OUTDIR/" and "NAME". */
static void
split_output(wast *w, const char *json_path)
{
	const char *slash = strrchr(json_path, '/');
	const char *name = slash ? slash + 1 : json_path;
	size_t		n = strlen(name);

	w->dir = strndup(json_path, (size_t) (name - json_path));
	if (n > 5 && strcmp(name + n - 5, ".json") == 0)
		n -= 5;
	w->base = strndup(name, n);
}

static int
convert(wast *w, const char *json_path)
{
	FILE	   *f;

	wat_next(&w->p);
	if (is_inline_module(w))
		inline_module(w);
	else
		while (!w->p.failed && w->p.tok.kind != WT_EOF)
			command(w);
	if (w->p.failed)
	{
		fprintf(stderr, "%s:%s\n", w->src_path, w->p.err->msg);
		return 1;
	}
	f = fopen(json_path, "wb");
	if (f == NULL)
	{
		fprintf(stderr, "sfwast: cannot write %s\n", json_path);
		return 1;
	}
	fprintf(f, "{\"source_filename\": ");
	fflush(f);
	{
		wat_buf		j = w->json;

		w->json = (wat_buf) {0};
		out_text(w, w->src_path, strlen(w->src_path));
		fwrite(w->json.p, 1, w->json.len, f);
		wat_buf_free(&w->json);
		w->json = j;
	}
	fprintf(f, ",\n \"commands\": [\n");
	fwrite(w->json.p, 1, w->json.len, f);
	fprintf(f, "]}\n");
	if (fclose(f) != 0 || w->json.oom)
		return 1;
	return w->errors ? 1 : 0;
}

int
main(int argc, char **argv)
{
	wast		w;
	sf_error	err;
	size_t		len = 0;
	char	   *text;
	int			rc;

	if (argc != 4 || strcmp(argv[2], "-o") != 0)
	{
		fprintf(stderr, "usage: sfwast FILE.wast -o OUTDIR/NAME.json\n");
		return 2;
	}
	text = (char *) read_file(argv[1], &len);
	if (text == NULL)
	{
		fprintf(stderr, "sfwast: cannot read %s\n", argv[1]);
		return 2;
	}
	memset(&w, 0, sizeof(w));
	sf_error_clear(&err);
	w.p.text = text;
	w.p.len = len;
	w.p.err = &err;
	w.src_path = argv[1];
	w.current = -1;
	w.line_no = 1;
	split_output(&w, argv[3]);
	rc = convert(&w, argv[3]);
	for (int i = 0; i < w.nmods; i++)
	{
		sf_module_free(w.mods[i].m);
		free(w.mods[i].name);
	}
	free(w.mods);
	wat_buf_free(&w.json);
	free(w.dir);
	free(w.base);
	free(text);
	return rc;
}
