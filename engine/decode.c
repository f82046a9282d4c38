/*
** decode.c -- the binary format, section by section, into an sf_module.
**
** Only the structure is checked here (encodings, lengths, section order,
** counts); indices and types are the validator's job.  Function bodies are
** located and their locals read, but their instructions are decoded by the
** validator, which has to walk them anyway.
**
** Every count is checked against the bytes left before anything is
** allocated: an entry takes at least one byte, so no count can make us
** allocate more than a small multiple of the input size.
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "decode.h"
#include "opcodes.h"
#include "read.h"

typedef struct dec
{
	sf_module  *m;
	sf_error   *err;
	sf_reader	r;				/* the current section */
	int			last_rank;		/* order of the last non-custom section */
	bool		has_funcsec;
	bool		has_codesec;
	uint32_t	ndefined;		/* entries of the function section */
	uint32_t	ncodes;
	uint32_t	elem_items;		/* items of the element segments read so far */
	bool		has_names;
	uint32_t	names_off;
	uint32_t	names_end;
} dec;

/* Section ids in the order they must appear (data count sits before code). */
static const int section_rank[13] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10};

static const char *const section_names[13] = {
	"custom", "type", "import", "function", "table", "memory", "global",
	"export", "start", "element", "code", "data", "data count"
};

static sf_status SF_PRINTF(4, 5)
derr(dec *d, sf_status st, uint32_t off, const char *fmt, ...)
{
	char		buf[SF_ERROR_MSG_LEN];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sf_error_set(d->err, st, "at offset 0x%x: %s", off, buf);
	if (d->err)
		d->err->offset = off;
	return st;
}

static sf_status
rd_error(dec *d)
{
	return derr(d, SF_MALFORMED, sf_rd_off(&d->r), "%s", d->r.err);
}

static sf_status
nomem(dec *d)
{
	return derr(d, SF_NOMEM, sf_rd_off(&d->r), "out of memory");
}

#define TRY(x) do { if (SF_UNLIKELY(!(x))) return rd_error(d); } while (0)
#define CHECK(x) do { sf_status st_ = (x); if (st_ != SF_OK) return st_; } while (0)

/*
** A vector length: at most 'cap' (an implementation limit) and, since
** each entry takes at least 'min_size' bytes, no more than the rest of the
** section can hold.
*/
static sf_status
check_count(dec *d, uint32_t n, uint64_t cap, size_t min_size, const char *what)
{
	if (n > cap)
		return derr(d, SF_LIMIT, sf_rd_off(&d->r),
					"too many %s: %u (limit %llu)", what, n,
					(unsigned long long) cap);
	if ((uint64_t) n * min_size > sf_rd_left(&d->r))
		return derr(d, SF_MALFORMED, sf_rd_off(&d->r),
					"unexpected end: %u %s do not fit in the section", n, what);
	return SF_OK;
}

static sf_status
read_count(dec *d, uint32_t *n, uint64_t cap, size_t min_size, const char *what)
{
	TRY(sf_rd_u32(&d->r, n));
	return check_count(d, *n, cap, min_size, what);
}

bool
sf_utf8_valid(const uint8_t *s, size_t len)
{
	size_t		i = 0;

	while (i < len)
	{
		uint8_t		c = s[i];
		uint32_t	cp;
		int			n;

		if (c < 0x80)
		{
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			n = 1, cp = c & 0x1F;
		else if (c >= 0xE0 && c <= 0xEF)
			n = 2, cp = c & 0x0F;
		else if (c >= 0xF0 && c <= 0xF4)
			n = 3, cp = c & 0x07;
		else
			return false;
		if (len - i <= (size_t) n)
			return false;
		for (int k = 1; k <= n; k++)
		{
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
			cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += n + 1;
	}
	return true;
}

static sf_status
read_name(dec *d, sf_name *out)
{
	uint32_t	len;
	uint32_t	off = sf_rd_off(&d->r);
	const uint8_t *s;

	TRY(sf_rd_u32(&d->r, &len));
	if (len > d->m->cfg.max_name_len)
		return derr(d, SF_LIMIT, off, "name too long: %u bytes (limit %u)",
					len, d->m->cfg.max_name_len);
	TRY(sf_rd_bytes(&d->r, len, &s));
	if (!sf_utf8_valid(s, len))
		return derr(d, SF_MALFORMED, off, "malformed UTF-8 encoding");
	out->ptr = (const char *) s;
	out->len = len;
	return SF_OK;
}

static sf_status
read_valtype(dec *d, sf_valtype *out)
{
	uint8_t		b;

	TRY(sf_rd_u8(&d->r, &b));
	switch (b)
	{
		case SF_I32:
		case SF_I64:
		case SF_F32:
		case SF_F64:
		case SF_FUNCREF:
		case SF_EXTERNREF:
			*out = (sf_valtype) b;
			return SF_OK;
	}
	return derr(d, SF_MALFORMED, sf_rd_off(&d->r) - 1,
				"malformed value type 0x%02x", b);
}

static sf_status
read_reftype(dec *d, sf_valtype *out)
{
	uint8_t		b;

	TRY(sf_rd_u8(&d->r, &b));
	if (b != SF_FUNCREF && b != SF_EXTERNREF)
		return derr(d, SF_MALFORMED, sf_rd_off(&d->r) - 1,
					"malformed reference type 0x%02x", b);
	*out = (sf_valtype) b;
	return SF_OK;
}

static sf_status
read_limits(dec *d, sf_limits *lim)
{
	uint8_t		flag;
	uint32_t	v;

	TRY(sf_rd_u8(&d->r, &flag));
	if (flag > 1)
		return derr(d, SF_MALFORMED, sf_rd_off(&d->r) - 1,
					"integer too large: limits flag 0x%02x", flag);
	TRY(sf_rd_u32(&d->r, &v));
	lim->min = v;
	lim->has_max = flag;
	lim->max = 0;
	if (flag)
	{
		TRY(sf_rd_u32(&d->r, &v));
		lim->max = v;
	}
	return SF_OK;
}

static sf_status
read_tabletype(dec *d, sf_tabletype *t)
{
	CHECK(read_reftype(d, &t->elem));
	return read_limits(d, &t->lim);
}

static sf_status
read_globaltype(dec *d, sf_globaltype *g)
{
	uint8_t		mut;

	CHECK(read_valtype(d, &g->type));
	TRY(sf_rd_u8(&d->r, &mut));
	if (mut > 1)
		return derr(d, SF_MALFORMED, sf_rd_off(&d->r) - 1,
					"malformed mutability 0x%02x", mut);
	g->mutable_ = mut;
	return SF_OK;
}

/*
** A constant expression: one instruction, then 'end'.  Whether a
** global.get may be used, and the types, are checked by the validator.
*/
static sf_status
read_constexpr(dec *d, sf_constexpr *ce)
{
	uint32_t	off = sf_rd_off(&d->r);
	uint8_t		op;

	memset(ce, 0, sizeof(*ce));
	TRY(sf_rd_u8(&d->r, &op));
	switch (op)
	{
		case 0x41:
			ce->op = SF_OP_I32_CONST, ce->type = SF_I32;
			TRY(sf_rd_s32(&d->r, &ce->v.i32));
			break;
		case 0x42:
			ce->op = SF_OP_I64_CONST, ce->type = SF_I64;
			TRY(sf_rd_s64(&d->r, &ce->v.i64));
			break;
		case 0x43:
			ce->op = SF_OP_F32_CONST, ce->type = SF_F32;
			TRY(sf_rd_f32(&d->r, &ce->v.f32_bits));
			break;
		case 0x44:
			ce->op = SF_OP_F64_CONST, ce->type = SF_F64;
			TRY(sf_rd_f64(&d->r, &ce->v.f64_bits));
			break;
		case 0x23:
			ce->op = SF_OP_GLOBAL_GET;	/* type set by the validator */
			TRY(sf_rd_u32(&d->r, &ce->v.index));
			break;
		case 0xD0:
			ce->op = SF_OP_REF_NULL;
			CHECK(read_reftype(d, &ce->type));
			break;
		case 0xD2:
			ce->op = SF_OP_REF_FUNC, ce->type = SF_FUNCREF;
			TRY(sf_rd_u32(&d->r, &ce->v.index));
			break;
		case 0x0B:
			return derr(d, SF_INVALID, off,
						"type mismatch: empty constant expression");
		default:
			return derr(d, SF_INVALID, off,
						"constant expression required, got opcode 0x%02x", op);
	}
	off = sf_rd_off(&d->r);
	TRY(sf_rd_u8(&d->r, &op));
	if (op != 0x0B)
		return derr(d, SF_INVALID, off,
					"constant expression required: more than one instruction");
	return SF_OK;
}

/* --- Section bodies ---------------------------------------------------- */

static sf_status
read_valtypes(dec *d, uint32_t cap, const char *what, sf_valtype *pool,
			  size_t *used, uint32_t *n, const sf_valtype **out)
{
	CHECK(read_count(d, n, cap, 1, what));
	*out = pool + *used;
	for (uint32_t i = 0; i < *n; i++)
		CHECK(read_valtype(d, &pool[(*used)++]));
	return SF_OK;
}

static sf_status
sec_type(dec *d)
{
	sf_module  *m = d->m;
	uint32_t	n;
	size_t		used = 0;
	sf_valtype *pool;

	CHECK(read_count(d, &n, m->cfg.max_types, 3, "types"));
	m->types = calloc(n ? n : 1, sizeof(sf_functype));
	/* every value type takes one byte, so the rest of the section bounds them */
	pool = malloc((sf_rd_left(&d->r) + 1) * sizeof(sf_valtype));
	m->type_pool = pool;
	if (!m->types || !pool)
		return nomem(d);
	m->ntypes = n;
	for (uint32_t i = 0; i < n; i++)
	{
		sf_functype *ft = &m->types[i];
		uint8_t		form;

		TRY(sf_rd_u8(&d->r, &form));
		if (form != 0x60)
			return derr(d, SF_MALFORMED, sf_rd_off(&d->r) - 1,
						"integer representation too long: type form 0x%02x is not 0x60",
						form);
		CHECK(read_valtypes(d, m->cfg.max_params, "parameters", pool, &used,
							&ft->nparams, &ft->params));
		CHECK(read_valtypes(d, m->cfg.max_results, "results", pool, &used,
							&ft->nresults, &ft->results));
	}
	return SF_OK;
}

static sf_status
read_import(dec *d, sf_import *im)
{
	sf_module  *m = d->m;
	uint8_t		kind;

	CHECK(read_name(d, &im->module));
	CHECK(read_name(d, &im->name));
	TRY(sf_rd_u8(&d->r, &kind));
	im->kind = (sf_extern_kind) kind;
	switch (kind)
	{
		case SF_EXTERN_FUNC:
			TRY(sf_rd_u32(&d->r, &im->desc.type_index));
			m->nfunc_imports++;
			return SF_OK;
		case SF_EXTERN_TABLE:
			m->ntable_imports++;
			return read_tabletype(d, &im->desc.table);
		case SF_EXTERN_MEMORY:
			m->nmem_imports++;
			return read_limits(d, &im->desc.memory);
		case SF_EXTERN_GLOBAL:
			m->nglobal_imports++;
			return read_globaltype(d, &im->desc.global);
	}
	return derr(d, SF_MALFORMED, sf_rd_off(&d->r) - 1,
				"malformed import kind 0x%02x", kind);
}

static sf_status
sec_import(dec *d)
{
	sf_module  *m = d->m;
	uint32_t	n;

	CHECK(read_count(d, &n, m->cfg.max_imports, 3, "imports"));
	m->imports = calloc(n ? n : 1, sizeof(sf_import));
	if (!m->imports)
		return nomem(d);
	m->nimports = n;
	for (uint32_t i = 0; i < n; i++)
		CHECK(read_import(d, &m->imports[i]));
	return SF_OK;
}

/*
** The index spaces put imports first; each array is allocated once the
** number of definitions is known (or at the end, if there are none) and
** the imported entries are copied in.
*/
static sf_status
alloc_funcs(dec *d, uint32_t ndefined)
{
	sf_module  *m = d->m;
	uint64_t	total = (uint64_t) m->nfunc_imports + ndefined;
	uint32_t	k = 0;

	if (total > m->cfg.max_functions)
		return derr(d, SF_LIMIT, sf_rd_off(&d->r),
					"too many functions: %llu (limit %u)",
					(unsigned long long) total, m->cfg.max_functions);
	m->func_types = calloc(total ? total : 1, sizeof(uint32_t));
	if (!m->func_types)
		return nomem(d);
	m->nfuncs = (uint32_t) total;
	for (uint32_t i = 0; i < m->nimports; i++)
		if (m->imports[i].kind == SF_EXTERN_FUNC)
			m->func_types[k++] = m->imports[i].desc.type_index;
	return SF_OK;
}

static sf_status
alloc_tables(dec *d, uint32_t ndefined)
{
	sf_module  *m = d->m;
	uint64_t	total = (uint64_t) m->ntable_imports + ndefined;
	uint32_t	k = 0;

	if (total > m->cfg.max_tables)
		return derr(d, SF_LIMIT, sf_rd_off(&d->r),
					"too many tables: %llu (limit %u)",
					(unsigned long long) total, m->cfg.max_tables);
	m->tables = calloc(total ? total : 1, sizeof(sf_tabletype));
	if (!m->tables)
		return nomem(d);
	m->ntables = (uint32_t) total;
	for (uint32_t i = 0; i < m->nimports; i++)
		if (m->imports[i].kind == SF_EXTERN_TABLE)
			m->tables[k++] = m->imports[i].desc.table;
	return SF_OK;
}

static sf_status
alloc_mems(dec *d, uint32_t ndefined)
{
	sf_module  *m = d->m;
	uint32_t	total = m->nmem_imports + ndefined;	/* both bounded by bytes */
	uint32_t	k = 0;

	m->mems = calloc(total ? total : 1, sizeof(sf_limits));
	if (!m->mems)
		return nomem(d);
	m->nmems = total;
	for (uint32_t i = 0; i < m->nimports; i++)
		if (m->imports[i].kind == SF_EXTERN_MEMORY)
			m->mems[k++] = m->imports[i].desc.memory;
	return SF_OK;
}

static sf_status
alloc_globals(dec *d, uint32_t ndefined)
{
	sf_module  *m = d->m;
	uint64_t	total = (uint64_t) m->nglobal_imports + ndefined;
	uint32_t	k = 0;

	if (total > m->cfg.max_globals)
		return derr(d, SF_LIMIT, sf_rd_off(&d->r),
					"too many globals: %llu (limit %u)",
					(unsigned long long) total, m->cfg.max_globals);
	m->globals = calloc(total ? total : 1, sizeof(sf_globaltype));
	m->global_inits = calloc(ndefined ? ndefined : 1, sizeof(sf_constexpr));
	if (!m->globals || !m->global_inits)
		return nomem(d);
	m->nglobals = (uint32_t) total;
	for (uint32_t i = 0; i < m->nimports; i++)
		if (m->imports[i].kind == SF_EXTERN_GLOBAL)
			m->globals[k++] = m->imports[i].desc.global;
	return SF_OK;
}

static sf_status
sec_function(dec *d)
{
	sf_module  *m = d->m;
	uint32_t	n;

	CHECK(read_count(d, &n, m->cfg.max_functions, 1, "functions"));
	CHECK(alloc_funcs(d, n));
	m->codes = calloc(n ? n : 1, sizeof(sf_code));
	if (!m->codes)
		return nomem(d);
	d->has_funcsec = true;
	d->ndefined = n;
	for (uint32_t i = 0; i < n; i++)
		TRY(sf_rd_u32(&d->r, &m->func_types[m->nfunc_imports + i]));
	return SF_OK;
}

static sf_status
sec_table(dec *d)
{
	sf_module  *m = d->m;
	uint32_t	n;

	CHECK(read_count(d, &n, m->cfg.max_tables, 3, "tables"));
	CHECK(alloc_tables(d, n));
	for (uint32_t i = 0; i < n; i++)
		CHECK(read_tabletype(d, &m->tables[m->ntable_imports + i]));
	return SF_OK;
}

static sf_status
sec_memory(dec *d)
{
	sf_module  *m = d->m;
	uint32_t	n;

	CHECK(read_count(d, &n, UINT32_MAX, 2, "memories"));
	/* the validator would reject them anyway: don't allocate them first */
	if ((uint64_t) m->nmem_imports + n > 1)
		return derr(d, SF_INVALID, sf_rd_off(&d->r), "multiple memories: %llu",
					(unsigned long long) m->nmem_imports + n);
	CHECK(alloc_mems(d, n));
	for (uint32_t i = 0; i < n; i++)
		CHECK(read_limits(d, &m->mems[m->nmem_imports + i]));
	return SF_OK;
}

static sf_status
sec_global(dec *d)
{
	sf_module  *m = d->m;
	uint32_t	n;

	CHECK(read_count(d, &n, m->cfg.max_globals, 3, "globals"));
	CHECK(alloc_globals(d, n));
	for (uint32_t i = 0; i < n; i++)
	{
		CHECK(read_globaltype(d, &m->globals[m->nglobal_imports + i]));
		CHECK(read_constexpr(d, &m->global_inits[i]));
	}
	return SF_OK;
}

static sf_status
sec_export(dec *d)
{
	sf_module  *m = d->m;
	uint32_t	n;

	CHECK(read_count(d, &n, m->cfg.max_exports, 3, "exports"));
	m->exports = calloc(n ? n : 1, sizeof(sf_export));
	if (!m->exports)
		return nomem(d);
	m->nexports = n;
	for (uint32_t i = 0; i < n; i++)
	{
		sf_export  *e = &m->exports[i];
		uint8_t		kind;

		CHECK(read_name(d, &e->name));
		TRY(sf_rd_u8(&d->r, &kind));
		if (kind > SF_EXTERN_GLOBAL)
			return derr(d, SF_MALFORMED, sf_rd_off(&d->r) - 1,
						"malformed export kind 0x%02x", kind);
		e->kind = (sf_extern_kind) kind;
		TRY(sf_rd_u32(&d->r, &e->index));
	}
	return SF_OK;
}

static sf_status
sec_start(dec *d)
{
	d->m->has_start = true;
	TRY(sf_rd_u32(&d->r, &d->m->start));
	return SF_OK;
}

/*
** Items of all segments together are bounded by max_table_size: each
** takes 16 bytes here but may take one in the binary.
*/
static sf_status
read_elem_items(dec *d, sf_elem *e, bool exprs)
{
	uint32_t	off = sf_rd_off(&d->r);

	CHECK(read_count(d, &e->count, UINT32_MAX, exprs ? 2 : 1,
					 "element segment items"));
	if ((uint64_t) d->elem_items + e->count > d->m->cfg.max_table_size)
		return derr(d, SF_LIMIT, off,
					"too many element segment items: %llu in all segments (limit %u)",
					(unsigned long long) d->elem_items + e->count,
					d->m->cfg.max_table_size);
	d->elem_items += e->count;
	e->items = calloc(e->count ? e->count : 1, sizeof(sf_constexpr));
	if (!e->items)
		return nomem(d);
	for (uint32_t i = 0; i < e->count; i++)
	{
		sf_constexpr *ce = &e->items[i];

		if (exprs)
			CHECK(read_constexpr(d, ce));
		else
		{
			ce->op = SF_OP_REF_FUNC;
			ce->type = SF_FUNCREF;
			TRY(sf_rd_u32(&d->r, &ce->v.index));
		}
	}
	return SF_OK;
}

static sf_status
read_elemkind(dec *d)
{
	uint8_t		kind;

	TRY(sf_rd_u8(&d->r, &kind));
	if (kind != 0x00)
		return derr(d, SF_MALFORMED, sf_rd_off(&d->r) - 1,
					"malformed element kind 0x%02x", kind);
	return SF_OK;
}

/*
** The eight encodings are three bits: 1 = passive or declarative (with
** 2 telling which), 2 = explicit table index (active), 4 = items are
** expressions (else function indices).  Bit 1|2 without the table index
** means an element kind or reference type follows.
*/
static sf_status
read_elem(dec *d, sf_elem *e)
{
	uint32_t	flags;
	uint32_t	off = sf_rd_off(&d->r);
	bool		exprs;

	TRY(sf_rd_u32(&d->r, &flags));
	if (flags > 7)
		return derr(d, SF_MALFORMED, off,
					"malformed elements segment kind %u", flags);
	exprs = (flags & 4) != 0;
	e->type = SF_FUNCREF;
	if (flags & 1)
		e->mode = (flags & 2) ? SF_SEG_DECLARATIVE : SF_SEG_PASSIVE;
	else
	{
		e->mode = SF_SEG_ACTIVE;
		if (flags & 2)
			TRY(sf_rd_u32(&d->r, &e->table));
		CHECK(read_constexpr(d, &e->offset));
	}
	if (flags & 3)
	{
		if (exprs)
			CHECK(read_reftype(d, &e->type));
		else
			CHECK(read_elemkind(d));
	}
	return read_elem_items(d, e, exprs);
}

static sf_status
sec_element(dec *d)
{
	sf_module  *m = d->m;
	uint32_t	n;

	CHECK(read_count(d, &n, m->cfg.max_elem_segments, 2, "element segments"));
	m->elems = calloc(n ? n : 1, sizeof(sf_elem));
	if (!m->elems)
		return nomem(d);
	m->nelems = n;
	for (uint32_t i = 0; i < n; i++)
		CHECK(read_elem(d, &m->elems[i]));
	return SF_OK;
}

static sf_status
sec_datacount(dec *d)
{
	d->m->has_datacount = true;
	TRY(sf_rd_u32(&d->r, &d->m->datacount));
	return SF_OK;
}

/* Local declarations of one body; 'runs' grows in the shared pool. */
static sf_status
read_locals(dec *d, sf_code *c, sf_localrun **pool, size_t *npool, size_t *cap)
{
	uint32_t	nruns;
	uint64_t	total = 0;

	CHECK(read_count(d, &nruns, UINT32_MAX, 2, "local declarations"));
	if (*npool + nruns > *cap)
	{
		size_t		ncap = (*cap * 2 > *npool + nruns) ? *cap * 2 : *npool + nruns;
		sf_localrun *np = realloc(*pool, ncap * sizeof(sf_localrun));

		if (!np)
			return nomem(d);
		*pool = np;
		*cap = ncap;
	}
	c->nruns = nruns;
	for (uint32_t i = 0; i < nruns; i++)
	{
		sf_localrun *run = &(*pool)[(*npool)++];
		uint32_t	off = sf_rd_off(&d->r);

		TRY(sf_rd_u32(&d->r, &run->count));
		CHECK(read_valtype(d, &run->type));
		total += run->count;
		if (total > d->m->cfg.max_locals)
			return derr(d, SF_LIMIT, off, "too many locals: %llu (limit %u)",
						(unsigned long long) total, d->m->cfg.max_locals);
	}
	c->nlocals = (uint32_t) total;
	return SF_OK;
}

static sf_status
read_code(dec *d, sf_code *c, sf_localrun **pool, size_t *npool, size_t *cap)
{
	uint32_t	size;
	sf_reader	outer;

	c->body_off = sf_rd_off(&d->r);
	TRY(sf_rd_u32(&d->r, &size));
	if (size > d->m->cfg.max_body_size)
		return derr(d, SF_LIMIT, c->body_off,
					"function body too large: %u bytes (limit %u)",
					size, d->m->cfg.max_body_size);
	if (size > sf_rd_left(&d->r))
		return derr(d, SF_MALFORMED, c->body_off,
					"unexpected end: function body of %u bytes", size);
	outer = d->r;
	d->r.end = d->r.p + size;
	CHECK(read_locals(d, c, pool, npool, cap));
	c->expr_off = sf_rd_off(&d->r);
	c->end_off = (uint32_t) (d->r.end - d->r.base);
	outer.p = d->r.end;
	d->r = outer;
	return SF_OK;
}

static sf_status
sec_code(dec *d)
{
	sf_module  *m = d->m;
	uint32_t	n;
	sf_localrun *pool = NULL;
	size_t		npool = 0;
	size_t		cap = 0;
	uint32_t   *first;
	sf_status	st = SF_OK;

	CHECK(read_count(d, &n, m->cfg.max_functions, 2, "function bodies"));
	d->has_codesec = true;
	d->ncodes = n;
	if (n != d->ndefined)
		return derr(d, SF_MALFORMED, sf_rd_off(&d->r),
					"function and code section have inconsistent lengths (%u and %u)",
					d->ndefined, n);
	first = malloc((n ? n : 1) * sizeof(uint32_t));
	if (!first)
		return nomem(d);
	for (uint32_t i = 0; i < n && st == SF_OK; i++)
	{
		first[i] = (uint32_t) npool;
		st = read_code(d, &m->codes[i], &pool, &npool, &cap);
	}
	/* the pool may have moved while growing: point the runs in only now */
	for (uint32_t i = 0; i < n && st == SF_OK; i++)
		m->codes[i].runs = m->codes[i].nruns ? pool + first[i] : NULL;
	m->local_pool = pool;
	free(first);
	return st;
}

static sf_status
read_data(dec *d, sf_data *seg)
{
	uint32_t	flags;
	uint32_t	off = sf_rd_off(&d->r);
	const uint8_t *bytes;

	TRY(sf_rd_u32(&d->r, &flags));
	if (flags > 2)
		return derr(d, SF_MALFORMED, off, "malformed data segment kind %u", flags);
	seg->mode = flags == 1 ? SF_SEG_PASSIVE : SF_SEG_ACTIVE;
	if (flags == 2)
		TRY(sf_rd_u32(&d->r, &seg->memory));
	if (flags != 1)
		CHECK(read_constexpr(d, &seg->offset));
	TRY(sf_rd_u32(&d->r, &seg->len));
	seg->data_off = sf_rd_off(&d->r);
	TRY(sf_rd_bytes(&d->r, seg->len, &bytes));
	return SF_OK;
}

static sf_status
sec_data(dec *d)
{
	sf_module  *m = d->m;
	uint32_t	n;

	CHECK(read_count(d, &n, m->cfg.max_data_segments, 2, "data segments"));
	if (m->has_datacount && n != m->datacount)
		return derr(d, SF_MALFORMED, sf_rd_off(&d->r),
					"data count and data section have inconsistent lengths (%u and %u)",
					m->datacount, n);
	m->datas = calloc(n ? n : 1, sizeof(sf_data));
	if (!m->datas)
		return nomem(d);
	m->ndatas = n;
	for (uint32_t i = 0; i < n; i++)
		CHECK(read_data(d, &m->datas[i]));
	return SF_OK;
}

/* --- The name section (best effort: a bad one is ignored, per the spec) - */

static void
free_names(sf_module *m)
{
	if (!m->func_names)
		return;
	for (uint32_t i = 0; i < m->nfuncs; i++)
		free(m->func_names[i]);
	free(m->func_names);
	m->func_names = NULL;
}

static bool
read_func_names(sf_module *m, sf_reader *r)
{
	uint32_t	n;

	if (!sf_rd_u32(r, &n) || (uint64_t) n * 2 > sf_rd_left(r))
		return false;
	if (!m->func_names)
		m->func_names = calloc(m->nfuncs, sizeof(char *));
	if (!m->func_names)
		return false;
	for (uint32_t i = 0; i < n; i++)
	{
		uint32_t	idx,
					len;
		const uint8_t *s;

		if (!sf_rd_u32(r, &idx) || !sf_rd_u32(r, &len) ||
			!sf_rd_bytes(r, len, &s) || idx >= m->nfuncs ||
			len > m->cfg.max_name_len || !sf_utf8_valid(s, len))
			return false;
		free(m->func_names[idx]);
		m->func_names[idx] = malloc(len + 1);
		if (!m->func_names[idx])
			return false;
		memcpy(m->func_names[idx], s, len);
		m->func_names[idx][len] = '\0';
	}
	return true;
}

static void
read_names(dec *d)
{
	sf_reader	r;

	if (!d->has_names || d->m->nfuncs == 0)
		return;
	sf_rd_init(&r, d->m->bytes, d->names_off, d->names_end);
	while (!sf_rd_eof(&r))
	{
		uint8_t		id;
		uint32_t	size;
		sf_reader	sub;

		if (!sf_rd_u8(&r, &id) || !sf_rd_u32(&r, &size) || size > sf_rd_left(&r))
			break;
		sub = r;
		sub.end = r.p + size;
		r.p += size;
		if (id == 1 && !read_func_names(d->m, &sub))
		{
			free_names(d->m);
			return;
		}
	}
}

/* --- Sections ---------------------------------------------------------- */

static sf_status
sec_custom(dec *d)
{
	sf_name		name;

	CHECK(read_name(d, &name));
	if (name.len == 4 && memcmp(name.ptr, "name", 4) == 0 && !d->has_names)
	{
		d->has_names = true;
		d->names_off = sf_rd_off(&d->r);
		d->names_end = (uint32_t) (d->r.end - d->r.base);
	}
	d->r.p = d->r.end;
	return SF_OK;
}

static sf_status
read_section(dec *d, uint8_t id)
{
	switch (id)
	{
		case 0: return sec_custom(d);
		case 1: return sec_type(d);
		case 2: return sec_import(d);
		case 3: return sec_function(d);
		case 4: return sec_table(d);
		case 5: return sec_memory(d);
		case 6: return sec_global(d);
		case 7: return sec_export(d);
		case 8: return sec_start(d);
		case 9: return sec_element(d);
		case 10: return sec_code(d);
		case 11: return sec_data(d);
		case 12: return sec_datacount(d);
	}
	return derr(d, SF_MALFORMED, sf_rd_off(&d->r), "malformed section id %u", id);
}

static sf_status
next_section(dec *d, sf_reader *all)
{
	uint32_t	off = sf_rd_off(all);
	uint8_t		id;
	uint32_t	size;

	if (!sf_rd_u8(all, &id) || !sf_rd_u32(all, &size))
		return derr(d, SF_MALFORMED, sf_rd_off(all), "%s", all->err);
	if (id > 12)
		return derr(d, SF_MALFORMED, off, "malformed section id %u", id);
	if (size > sf_rd_left(all))
		return derr(d, SF_MALFORMED, off,
					"unexpected end: %s section of %u bytes, %zu left",
					section_names[id], size, sf_rd_left(all));
	if (id != 0)
	{
		if (section_rank[id] <= d->last_rank)
			return derr(d, SF_MALFORMED, off,
						"unexpected content after last section: %s section out of order or repeated",
						section_names[id]);
		d->last_rank = section_rank[id];
	}
	d->r = *all;
	d->r.end = all->p + size;
	all->p += size;
	CHECK(read_section(d, id));
	if (d->r.p != d->r.end)
		return derr(d, SF_MALFORMED, sf_rd_off(&d->r),
					"section size mismatch: %s section has %zu bytes left over",
					section_names[id], sf_rd_left(&d->r));
	return SF_OK;
}

static sf_status
check_header(dec *d)
{
	static const uint8_t magic[4] = {0x00, 0x61, 0x73, 0x6d};
	static const uint8_t version[4] = {0x01, 0x00, 0x00, 0x00};
	size_t		len = d->m->len;

	if (memcmp(d->m->bytes, magic, len < 4 ? len : 4) != 0)
		return derr(d, SF_MALFORMED, 0, "magic header not detected");
	if (len < 8)
		return derr(d, SF_MALFORMED, (uint32_t) len, "unexpected end");
	if (memcmp(d->m->bytes + 4, version, 4) != 0)
		return derr(d, SF_MALFORMED, 4, "unknown binary version");
	return SF_OK;
}

/* Index spaces with imports but no section of their own. */
static sf_status
finish(dec *d)
{
	sf_module  *m = d->m;

	if (d->ndefined != d->ncodes)
		return derr(d, SF_MALFORMED, (uint32_t) m->len,
					"function and code section have inconsistent lengths (%u and %u)",
					d->ndefined, d->ncodes);
	if (m->has_datacount && m->datas == NULL && m->datacount != 0)
		return derr(d, SF_MALFORMED, (uint32_t) m->len,
					"data count and data section have inconsistent lengths (%u and 0)",
					m->datacount);
	if (!m->func_types)
		CHECK(alloc_funcs(d, 0));
	if (!m->tables)
		CHECK(alloc_tables(d, 0));
	if (!m->mems)
		CHECK(alloc_mems(d, 0));
	if (!m->globals)
		CHECK(alloc_globals(d, 0));
	read_names(d);
	return SF_OK;
}

sf_status
sf_decode_module(sf_module *m, sf_error *err)
{
	dec			d;
	sf_reader	all;

	memset(&d, 0, sizeof(d));
	d.m = m;
	d.err = err;
	CHECK(check_header(&d));
	sf_rd_init(&all, m->bytes, 8, m->len);
	d.r = all;
	while (!sf_rd_eof(&all))
		CHECK(next_section(&d, &all));
	d.r = all;
	return finish(&d);
}

void
sf_module_release(sf_module *m)
{
	free(m->types);
	free(m->type_pool);
	free(m->imports);
	free(m->func_types);
	free(m->codes);
	free(m->local_pool);
	free(m->hot_pool);
	free(m->tables);
	free(m->mems);
	free(m->globals);
	free(m->global_inits);
	free(m->exports);
	for (uint32_t i = 0; i < m->nelems; i++)
		free(m->elems[i].items);
	free(m->elems);
	free(m->datas);
	free(m->declared_funcs);
	free_names(m);
}
