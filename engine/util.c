/*
** util.c -- the status, trap and type name tables; error filling; defaults.
*/
#include <stdio.h>
#include <string.h>

#include "util.h"

static const char *const status_names[] = {
#define SF_X_(id, msg) msg,
	SF_STATUS_LIST(SF_X_)
#undef SF_X_
};

static const char *const trap_messages[] = {
#define SF_X_(id, msg) msg,
	SF_TRAP_LIST(SF_X_)
#undef SF_X_
};

const char *
sf_status_name(sf_status s)
{
	return (unsigned) s < SF_STATUS_COUNT ? status_names[s] : "unknown status";
}

const char *
sf_trap_message(sf_trap_kind k)
{
	return (unsigned) k < SF_TRAP_COUNT ? trap_messages[k] : "unknown trap";
}

const char *
sf_valtype_name(sf_valtype t)
{
	switch (t)
	{
		case SF_I32:
			return "i32";
		case SF_I64:
			return "i64";
		case SF_F32:
			return "f32";
		case SF_F64:
			return "f64";
		case SF_V128:
			return "v128";
		case SF_FUNCREF:
			return "funcref";
		case SF_EXTERNREF:
			return "externref";
	}
	return "unknown type";
}

void
sf_error_clear(sf_error *err)
{
	if (err == NULL)
		return;
	err->status = SF_OK;
	err->trap = SF_TRAP_NONE;
	err->func_index = -1;
	err->offset = -1;
	err->exit_code = 0;
	err->nframes = 0;
	err->depth = 0;
	err->msg[0] = '\0';
}

sf_status
sf_error_vset(sf_error *err, sf_status status, const char *fmt, va_list ap)
{
	if (err == NULL)
		return status;
	err->status = status;
	err->nframes = 0;
	err->depth = 0;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	return status;
}

sf_status
sf_error_set(sf_error *err, sf_status status, const char *fmt, ...)
{
	va_list		ap;

	va_start(ap, fmt);
	sf_error_vset(err, status, fmt, ap);
	va_end(ap);
	return status;
}

void
sf_config_default(sf_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->fuel_mode = SF_FUEL_SLACKED;
	cfg->max_module_size = SF_DEFAULT_MAX_MODULE_SIZE;
	cfg->max_types = SF_DEFAULT_MAX_TYPES;
	cfg->max_functions = SF_DEFAULT_MAX_FUNCTIONS;
	cfg->max_imports = SF_DEFAULT_MAX_IMPORTS;
	cfg->max_exports = SF_DEFAULT_MAX_EXPORTS;
	cfg->max_globals = SF_DEFAULT_MAX_GLOBALS;
	cfg->max_tables = SF_DEFAULT_MAX_TABLES;
	cfg->max_table_size = SF_DEFAULT_MAX_TABLE_SIZE;
	cfg->max_data_segments = SF_DEFAULT_MAX_DATA_SEGMENTS;
	cfg->max_elem_segments = SF_DEFAULT_MAX_ELEM_SEGMENTS;
	cfg->max_params = SF_DEFAULT_MAX_PARAMS;
	cfg->max_results = SF_DEFAULT_MAX_RESULTS;
	cfg->max_locals = SF_DEFAULT_MAX_LOCALS;
	cfg->max_nesting = SF_DEFAULT_MAX_NESTING;
	cfg->max_body_size = SF_DEFAULT_MAX_BODY_SIZE;
	cfg->max_br_table = SF_DEFAULT_MAX_BR_TABLE;
	cfg->max_name_len = SF_DEFAULT_MAX_NAME_LEN;
}
