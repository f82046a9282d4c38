/*
** module.c -- sf_module_load / sf_module_free and introspection.
*/
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "jit.h"
#include "util.h"

/* Zero fields of the caller's config take the defaults. */
static void
merge_config(sf_config *out, const sf_config *in)
{
	sf_config	def;

	sf_config_default(&def);
	if (in == NULL)
	{
		*out = def;
		return;
	}
	*out = *in;
#define SF_DEFAULT_(f) if (out->f == 0) out->f = def.f
	SF_DEFAULT_(max_module_size);
	SF_DEFAULT_(max_types);
	SF_DEFAULT_(max_functions);
	SF_DEFAULT_(max_imports);
	SF_DEFAULT_(max_exports);
	SF_DEFAULT_(max_globals);
	SF_DEFAULT_(max_tables);
	SF_DEFAULT_(max_table_size);
	SF_DEFAULT_(max_data_segments);
	SF_DEFAULT_(max_elem_segments);
	SF_DEFAULT_(max_params);
	SF_DEFAULT_(max_results);
	SF_DEFAULT_(max_locals);
	SF_DEFAULT_(max_nesting);
	SF_DEFAULT_(max_body_size);
	SF_DEFAULT_(max_br_table);
	SF_DEFAULT_(max_name_len);
#undef SF_DEFAULT_
}

#define COPY_STEP ((size_t) 1 << 20)

sf_module *
sf_module_load(const uint8_t *bytes, size_t len, const sf_config *cfg,
			   sf_error *err)
{
	sf_module  *m;

	sf_error_clear(err);
	if (bytes == NULL && len != 0)
	{
		sf_error_set(err, SF_BADARG, "no module bytes");
		return NULL;
	}
	m = calloc(1, sizeof(sf_module));
	if (m == NULL)
	{
		sf_error_set(err, SF_NOMEM, "out of memory");
		return NULL;
	}
	merge_config(&m->cfg, cfg);
	if (len > m->cfg.max_module_size || len > UINT32_MAX)
	{
		sf_error_set(err, SF_LIMIT, "module too large: %zu bytes (limit %llu)",
					 len, (unsigned long long) m->cfg.max_module_size);
		free(m);
		return NULL;
	}
	m->bytes = malloc(len ? len : 1);
	if (m->bytes == NULL)
	{
		sf_error_set(err, SF_NOMEM, "out of memory copying %zu bytes", len);
		free(m);
		return NULL;
	}
	/* in pieces: a first touch of 64 MiB takes long enough to cancel */
	for (size_t off = 0; off < len; off += COPY_STEP)
	{
		if (sf_interrupt_check(err))
		{
			free(m->bytes);
			free(m);
			return NULL;
		}
		memcpy(m->bytes + off, bytes + off, len - off < COPY_STEP ? len - off : COPY_STEP);
	}
	m->len = len;
	if (sf_decode_module(m, err) != SF_OK || sf_validate_module(m, err) != SF_OK)
	{
		sf_module_free(m);
		return NULL;
	}
	return m;
}

void
sf_module_free(sf_module *m)
{
	if (m == NULL)
		return;
	sf_jit_free(m->jit);
	sf_jit_free(m->jit_checked);
	sf_module_release(m);
	free(m->bytes);
	free(m);
}

/*
** The module's way to the compiler: its code is compiled once, on first
** use (instantiation) or when the host asks.
*/
sf_status
sf_module_compile(sf_module *m, sf_error *err)
{
	if (m->jit != NULL)
		return SF_OK;
	return sf_compile_module(m, m->cfg.bounds_checked, &m->jit, &m->stats, err);
}

sf_status
sf_module_compile_checked(sf_module *m, sf_error *err)
{
	sf_compile_stats stats;

	if (m->jit_checked != NULL)
		return SF_OK;
	return sf_compile_module(m, true, &m->jit_checked, &stats, err);
}

void
sf_module_compile_stats(const sf_module *m, sf_compile_stats *out)
{
	*out = m->stats;
}

uint32_t
sf_module_num_imports(const sf_module *m)
{
	return m->nimports;
}

void
sf_module_import(const sf_module *m, uint32_t i, sf_import_desc *out)
{
	const sf_import *im;

	memset(out, 0, sizeof(*out));
	if (i >= m->nimports)
		return;
	im = &m->imports[i];
	out->module = im->module.ptr;
	out->module_len = im->module.len;
	out->name = im->name.ptr;
	out->name_len = im->name.len;
	out->kind = im->kind;
	switch (im->kind)
	{
		case SF_EXTERN_FUNC:
			out->functype = m->types[im->desc.type_index];
			break;
		case SF_EXTERN_TABLE:
			out->valtype = im->desc.table.elem;
			out->limits = im->desc.table.lim;
			break;
		case SF_EXTERN_MEMORY:
			out->limits = im->desc.memory;
			break;
		case SF_EXTERN_GLOBAL:
			out->valtype = im->desc.global.type;
			out->mutable_ = im->desc.global.mutable_;
			break;
	}
}

uint32_t
sf_module_num_exports(const sf_module *m)
{
	return m->nexports;
}

void
sf_module_export(const sf_module *m, uint32_t i, sf_export_desc *out)
{
	const sf_export *e;

	memset(out, 0, sizeof(*out));
	if (i >= m->nexports)
		return;
	e = &m->exports[i];
	out->name = e->name.ptr;
	out->name_len = e->name.len;
	out->kind = e->kind;
	out->index = e->index;
	switch (e->kind)
	{
		case SF_EXTERN_FUNC:
			out->functype = *sf_module_functype(m, e->index);
			break;
		case SF_EXTERN_TABLE:
			out->valtype = m->tables[e->index].elem;
			out->limits = m->tables[e->index].lim;
			break;
		case SF_EXTERN_MEMORY:
			out->limits = m->mems[e->index];
			break;
		case SF_EXTERN_GLOBAL:
			out->valtype = m->globals[e->index].type;
			out->mutable_ = m->globals[e->index].mutable_;
			break;
	}
}

int64_t
sf_module_find_export(const sf_module *m, const char *name, size_t name_len)
{
	for (uint32_t i = 0; i < m->nexports; i++)
		if (m->exports[i].name.len == name_len &&
			memcmp(m->exports[i].name.ptr, name, name_len) == 0)
			return i;
	return -1;
}

const char *
sf_module_func_name(const sf_module *m, uint32_t func_index)
{
	if (m->func_names == NULL || func_index >= m->nfuncs)
		return NULL;
	return m->func_names[func_index];
}

uint32_t
sf_module_num_code_ranges(const sf_module *m)
{
	return m->jit ? m->jit->nfuncs : 0;
}

void
sf_module_code_range(const sf_module *m, uint32_t i, sf_code_range *out)
{
	const struct sf_jit *j = m->jit;

	out->func_index = m->nfunc_imports + i;
	out->start = j->code + j->func_off[i];
	out->size = j->func_end[i] - j->func_off[i];
	out->name = sf_module_func_name(m, out->func_index);
}
