/*
** test_decode.c -- the binary decoder: LEB128, header, every section,
** caps, the name section and introspection.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <cmocka.h>

#include "read.h"
#include "module.h"
#include "opcodes.h"
#include "wasmbuild.h"

static tmod t;
static wbuf w;

/* --- helpers ------------------------------------------------------------ */

static void
expect_fail_cfg(const void *bytes, size_t len, const sf_config *cfg,
				sf_status status, const char *needle)
{
	sf_error	err;
	sf_module  *m = sf_module_load(bytes, len, cfg, &err);

	if (m)
		fail_msg("module loaded; expected %s \"%s\"", sf_status_name(status), needle);
	if (err.status != status || strstr(err.msg, needle) == NULL)
		fail_msg("expected %s \"%s\", got %s \"%s\"", sf_status_name(status),
				 needle, sf_status_name(err.status), err.msg);
}

static void
expect_fail(const void *bytes, size_t len, sf_status status, const char *needle)
{
	expect_fail_cfg(bytes, len, NULL, status, needle);
}

#define EXPECT_FAIL(lit, status, needle) expect_fail((lit), sizeof(lit) - 1, (status), (needle))

static sf_module *
expect_ok(const void *bytes, size_t len)
{
	sf_error	err;
	sf_module  *m = sf_module_load(bytes, len, NULL, &err);

	if (!m)
		fail_msg("load failed: %s: %s", sf_status_name(err.status), err.msg);
	return m;
}

#define EXPECT_OK(lit) expect_ok((lit), sizeof(lit) - 1)

#define HDR "\0asm\1\0\0\0"

static bool
leb(const char *bytes, size_t n, unsigned bits, bool sgn, uint64_t *out, const char **why)
{
	sf_reader	r;
	bool		ok;

	sf_rd_init(&r, (const uint8_t *) bytes, 0, n);
	ok = sf_rd_leb(&r, bits, sgn, out);
	*why = r.err;
	if (ok && r.p != r.end)
		fail_msg("LEB128 did not consume all %zu bytes", n);
	return ok;
}

#define LEB_OK(lit, bits, sgn, want) do { \
	uint64_t v_; const char *w_; \
	assert_true(leb((lit), sizeof(lit) - 1, (bits), (sgn), &v_, &w_)); \
	assert_int_equal(v_, (uint64_t) (want)); } while (0)
#define LEB_BAD(lit, bits, sgn, msg) do { \
	uint64_t v_; const char *w_; \
	assert_false(leb((lit), sizeof(lit) - 1, (bits), (sgn), &v_, &w_)); \
	assert_string_equal(w_, (msg)); } while (0)

/* --- LEB128 ------------------------------------------------------------- */

static void
leb_unsigned32(void **state)
{
	LEB_OK("\x00", 32, false, 0);
	LEB_OK("\x7f", 32, false, 127);
	LEB_OK("\x80\x01", 32, false, 128);
	LEB_OK("\x80\x00", 32, false, 0);	/* not minimal, but within 5 bytes */
	LEB_OK("\xff\xff\xff\xff\x0f", 32, false, UINT32_MAX);
	LEB_OK("\x80\x80\x80\x80\x00", 32, false, 0);
	LEB_BAD("\xff\xff\xff\xff\x1f", 32, false, "integer too large");
	LEB_BAD("\xff\xff\xff\xff\x70", 32, false, "integer too large");
	LEB_BAD("\x80\x80\x80\x80\x80\x00", 32, false, "integer representation too long");
	LEB_BAD("\x80", 32, false, "unexpected end");
	LEB_BAD("", 32, false, "unexpected end");
}

static void
leb_signed32(void **state)
{
	LEB_OK("\x7f", 32, true, (uint64_t) -1);
	LEB_OK("\x40", 32, true, (uint64_t) -64);
	LEB_OK("\x3f", 32, true, 63);
	LEB_OK("\xc0\x00", 32, true, 64);
	LEB_OK("\x80\x80\x80\x80\x78", 32, true, (uint64_t) (int64_t) INT32_MIN);
	LEB_OK("\xff\xff\xff\xff\x07", 32, true, INT32_MAX);
	LEB_OK("\xff\xff\xff\xff\x7f", 32, true, (uint64_t) -1);
	/* the unused bits must copy the sign bit */
	LEB_BAD("\x80\x80\x80\x80\x70", 32, true, "integer too large");
	LEB_BAD("\xff\xff\xff\xff\x0f", 32, true, "integer too large");
	LEB_BAD("\xff\xff\xff\xff\x4f", 32, true, "integer too large");
	LEB_BAD("\xff\xff\xff\xff\xff\x7f", 32, true, "integer representation too long");
}

/* The inlined one-byte paths must agree with the general decoder. */
static void
leb_fast_paths(void **state)
{
	for (int b = 0; b < 0x80; b++)
	{
		uint8_t		byte = (uint8_t) b;
		sf_reader	r;
		int32_t		s32;
		int64_t		s64;
		uint32_t	u32;

		sf_rd_init(&r, &byte, 0, 1);
		assert_true(sf_rd_s32(&r, &s32));
		assert_int_equal(s32, b < 0x40 ? b : b - 0x80);
		sf_rd_init(&r, &byte, 0, 1);
		assert_true(sf_rd_s64(&r, &s64));
		assert_int_equal(s64, b < 0x40 ? b : b - 0x80);
		sf_rd_init(&r, &byte, 0, 1);
		assert_true(sf_rd_u32(&r, &u32));
		assert_int_equal(u32, b);
	}
}

static void
leb_signed33_and_64(void **state)
{
	LEB_OK("\xff\xff\xff\xff\x0f", 33, true, UINT32_MAX);
	LEB_OK("\x80\x80\x80\x80\x70", 33, true, (uint64_t) (-(1LL << 32)));
	LEB_BAD("\x80\x80\x80\x80\x60", 33, true, "integer too large");
	LEB_OK("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x00", 64, true, INT64_MAX);
	LEB_OK("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x7f", 64, true, (uint64_t) INT64_MIN);
	LEB_BAD("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 64, true, "integer too large");
	LEB_BAD("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x7e", 64, true, "integer too large");
	LEB_BAD("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00", 64, true,
			"integer representation too long");
	LEB_OK("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 64, false, UINT64_MAX);
	LEB_BAD("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 64, false, "integer too large");
}

static void
leb_in_module(void **state)
{
	/* type count as a 6-byte LEB */
	EXPECT_FAIL(HDR "\x01\x06\x80\x80\x80\x80\x80\x00", SF_MALFORMED,
				"integer representation too long");
	/* a section size with bits beyond 32 set */
	EXPECT_FAIL(HDR "\x01\xff\xff\xff\xff\x4f", SF_MALFORMED, "integer too large");
	/* unterminated section size */
	EXPECT_FAIL(HDR "\x01\x80", SF_MALFORMED, "unexpected end");
}

/* --- Header and section framing ------------------------------------------ */

static void
header(void **state)
{
	sf_module  *m;

	EXPECT_FAIL("", SF_MALFORMED, "unexpected end");
	EXPECT_FAIL("\0as", SF_MALFORMED, "unexpected end");
	EXPECT_FAIL("asm\0", SF_MALFORMED, "magic header not detected");
	EXPECT_FAIL("\0asm", SF_MALFORMED, "unexpected end");
	EXPECT_FAIL("\0asm\1\0\0", SF_MALFORMED, "unexpected end");
	EXPECT_FAIL("\0asm\2\0\0\0", SF_MALFORMED, "unknown binary version");
	m = EXPECT_OK(HDR);
	assert_int_equal(m->nfuncs, 0);
	assert_int_equal(m->ntypes, 0);
	sf_module_free(m);
}

static void
section_framing(void **state)
{
	EXPECT_FAIL(HDR "\x0d\x00", SF_MALFORMED, "malformed section id");
	EXPECT_FAIL(HDR "\x01\x01\x00\x01\x01\x00", SF_MALFORMED,
				"unexpected content after last section");
	/* data count (12) must come before code (10) */
	EXPECT_FAIL(HDR "\x0a\x01\x00\x0c\x01\x00", SF_MALFORMED,
				"unexpected content after last section");
	/* a section claiming more bytes than the module has */
	EXPECT_FAIL(HDR "\x01\x05\x00", SF_MALFORMED, "unexpected end");
	/* and one with bytes left over */
	EXPECT_FAIL(HDR "\x01\x02\x00\x00", SF_MALFORMED, "section size mismatch");
	/* custom sections may appear anywhere, repeatedly */
	sf_module_free(EXPECT_OK(HDR "\x00\x02\x01x\x01\x01\x00\x00\x03\x01y\x00"));
	EXPECT_FAIL(HDR "\x00\x03\x02\xff\xfe", SF_MALFORMED, "malformed UTF-8 encoding");
	EXPECT_FAIL(HDR "\x00\x00", SF_MALFORMED, "unexpected end");
}

static void
utf8_rules(void **state)
{
	assert_true(sf_utf8_valid((const uint8_t *) "abc", 3));
	assert_true(sf_utf8_valid((const uint8_t *) "\xc3\xa9", 2));
	assert_true(sf_utf8_valid((const uint8_t *) "\xf4\x8f\xbf\xbf", 4));
	assert_false(sf_utf8_valid((const uint8_t *) "\xc0\x80", 2));	/* overlong */
	assert_false(sf_utf8_valid((const uint8_t *) "\xe0\x80\x80", 3));
	assert_false(sf_utf8_valid((const uint8_t *) "\xed\xa0\x80", 3));	/* surrogate */
	assert_false(sf_utf8_valid((const uint8_t *) "\xf4\x90\x80\x80", 4));
	assert_false(sf_utf8_valid((const uint8_t *) "\xc3", 1));	/* truncated */
	assert_false(sf_utf8_valid((const uint8_t *) "\x80", 1));
}

/* --- Sections ------------------------------------------------------------ */

static void
type_section(void **state)
{
	sf_module  *m;

	tm_init(&t);
	tm_type(&t, "iIfF", "re");
	tm_type(&t, "", "");
	tm_build(&t, &w);
	m = tm_load(&w, NULL);
	assert_non_null(m);
	assert_int_equal(m->ntypes, 2);
	assert_int_equal(m->types[0].nparams, 4);
	assert_int_equal(m->types[0].params[3], SF_F64);
	assert_int_equal(m->types[0].nresults, 2);
	assert_int_equal(m->types[0].results[1], SF_EXTERNREF);
	assert_int_equal(m->types[1].nparams + m->types[1].nresults, 0);
	sf_module_free(m);
	EXPECT_FAIL(HDR "\x01\x04\x01\x61\x00\x00", SF_MALFORMED, "0x61 is not 0x60");
	EXPECT_FAIL(HDR "\x01\x05\x01\x60\x01\x7b\x00", SF_MALFORMED, "malformed value type 0x7b");
}

static void
import_section(void **state)
{
	sf_module  *m;
	sf_import_desc d;

	tm_init(&t);
	tm_type(&t, "i", "I");
	tm_import_func(&t, "env", "f", 0);
	tm_import_global(&t, "env", "g", 'F', true);
	tm_build(&t, &w);
	m = tm_load(&w, NULL);
	assert_non_null(m);
	assert_int_equal(sf_module_num_imports(m), 2);
	assert_int_equal(m->nfuncs, 1);
	assert_int_equal(m->nfunc_imports, 1);
	assert_int_equal(m->nglobals, 1);
	sf_module_import(m, 0, &d);
	assert_int_equal(d.kind, SF_EXTERN_FUNC);
	assert_int_equal(d.module_len, 3);
	assert_memory_equal(d.module, "env", 3);
	assert_int_equal(d.functype.nparams, 1);
	assert_int_equal(d.functype.results[0], SF_I64);
	sf_module_import(m, 1, &d);
	assert_int_equal(d.kind, SF_EXTERN_GLOBAL);
	assert_int_equal(d.valtype, SF_F64);
	assert_true(d.mutable_);
	sf_module_free(m);
	/* import kind 4 */
	EXPECT_FAIL(HDR "\x02\x05\x01\x00\x00\x04\x00", SF_MALFORMED, "malformed import kind");
	/* memory and table imports */
	m = EXPECT_OK(HDR "\x02\x11\x02" "\x01m\x01t\x01\x70\x01\x01\x02" "\x01m\x01m\x02\x00\x01");
	assert_int_equal(m->ntables, 1);
	assert_int_equal(m->tables[0].lim.max, 2);
	assert_int_equal(m->nmems, 1);
	assert_int_equal(m->mems[0].min, 1);
	sf_module_free(m);
}

static void
function_code_mismatch(void **state)
{
	/* one function declared, no code section */
	EXPECT_FAIL(HDR "\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00", SF_MALFORMED,
				"function and code section have inconsistent lengths");
	/* code without functions */
	EXPECT_FAIL(HDR "\x0a\x04\x01\x02\x00\x0b", SF_MALFORMED,
				"function and code section have inconsistent lengths");
	/* a body whose size runs past the section */
	EXPECT_FAIL(HDR "\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x04\x01\x05\x00\x0b",
				SF_MALFORMED, "unexpected end");
}

static void
limits_and_tables(void **state)
{
	sf_module  *m;

	EXPECT_FAIL(HDR "\x05\x03\x01\x02\x00", SF_MALFORMED, "limits flag");
	EXPECT_FAIL(HDR "\x04\x04\x01\x71\x00\x00", SF_MALFORMED, "malformed reference type");
	m = EXPECT_OK(HDR "\x04\x08\x02\x70\x00\x01\x6f\x01\x00\x05" "\x05\x04\x01\x01\x01\x02");
	assert_int_equal(m->ntables, 2);
	assert_int_equal(m->tables[1].elem, SF_EXTERNREF);
	assert_true(m->tables[1].lim.has_max);
	assert_int_equal(m->tables[1].lim.max, 5);
	assert_int_equal(m->mems[0].max, 2);
	sf_module_free(m);
}

static void
global_section(void **state)
{
	sf_module  *m;

	tm_init(&t);
	tm_global(&t, 'i', false, "\x41\x7f\x0b");
	tm_global(&t, 'I', true, "\x42\x80\x01\x0b");
	tm_global(&t, 'f', false, "\x43\x00\x00\x80\x3f\x0b");
	tm_global(&t, 'F', false, "\x44\x00\x00\x00\x00\x00\x00\xf0\x3f\x0b");
	tm_global(&t, 'e', true, "\xd0\x6f\x0b");
	tm_build(&t, &w);
	m = tm_load(&w, NULL);
	assert_non_null(m);
	assert_int_equal(m->nglobals, 5);
	assert_int_equal(m->global_inits[0].v.i32, -1);
	assert_int_equal(m->global_inits[1].v.i64, 128);
	assert_true(m->globals[1].mutable_);
	assert_int_equal(m->global_inits[2].v.f32_bits, 0x3f800000);
	assert_int_equal(m->global_inits[3].v.f64_bits, 0x3ff0000000000000ull);
	assert_int_equal(m->global_inits[4].op, SF_OP_REF_NULL);
	sf_module_free(m);
	EXPECT_FAIL(HDR "\x06\x06\x01\x7f\x02\x41\x00\x0b", SF_MALFORMED, "malformed mutability");
	/* constant expression without its end */
	EXPECT_FAIL(HDR "\x06\x05\x01\x7f\x00\x41\x00", SF_MALFORMED, "unexpected end");
}

static void
export_and_start(void **state)
{
	sf_module  *m;
	sf_export_desc d;

	tm_init(&t);
	tm_type(&t, "", "");
	tm_func(&t, 0, "", "\x0b");
	tm_memory(&t, 1, -1);
	tm_export(&t, "run", 0, 0);
	tm_export(&t, "mem", 2, 0);
	tm_start(&t, 0);
	tm_build(&t, &w);
	m = tm_load(&w, NULL);
	assert_non_null(m);
	assert_true(m->has_start);
	assert_int_equal(m->start, 0);
	assert_int_equal(sf_module_num_exports(m), 2);
	assert_int_equal(sf_module_find_export(m, "mem", 3), 1);
	assert_int_equal(sf_module_find_export(m, "nope", 4), -1);
	sf_module_export(m, 1, &d);
	assert_int_equal(d.kind, SF_EXTERN_MEMORY);
	assert_int_equal(d.limits.min, 1);
	sf_module_export(m, 0, &d);
	assert_int_equal(d.functype.nparams, 0);
	sf_module_free(m);
	EXPECT_FAIL(HDR "\x07\x05\x01\x01x\x04\x00", SF_MALFORMED, "malformed export kind");
}

/* All eight element segment encodings, each with one item. */
static void
element_encodings(void **state)
{
	static const char *const segs[8] = {
		"\x00\x41\x00\x0b\x01\x00",				/* active t0, funcidx */
		"\x01\x00\x01\x00",						/* passive, elemkind */
		"\x02\x00\x41\x00\x0b\x00\x01\x00",		/* active table, elemkind */
		"\x03\x00\x01\x00",						/* declarative */
		"\x04\x41\x00\x0b\x01\xd2\x00\x0b",		/* active t0, exprs */
		"\x05\x70\x01\xd0\x70\x0b",				/* passive, reftype */
		"\x06\x00\x41\x01\x0b\x70\x01\xd2\x00\x0b",	/* active table, exprs */
		"\x07\x70\x01\xd2\x00\x0b",				/* declarative, exprs */
	};
	static const size_t lens[8] = {6, 4, 8, 4, 8, 6, 10, 6};
	static const sf_segmode modes[8] = {
		SF_SEG_ACTIVE, SF_SEG_PASSIVE, SF_SEG_ACTIVE, SF_SEG_DECLARATIVE,
		SF_SEG_ACTIVE, SF_SEG_PASSIVE, SF_SEG_ACTIVE, SF_SEG_DECLARATIVE
	};

	for (int k = 0; k < 8; k++)
	{
		sf_module  *m;

		tm_init(&t);
		tm_type(&t, "", "");
		tm_table(&t, 'r', 2, -1);
		wb_bytes(&t.sec[TM_ELEM], segs[k], lens[k]);
		t.count[TM_ELEM] = 1;
		tm_func(&t, 0, "", "\x0b");
		tm_build(&t, &w);
		m = tm_load(&w, NULL);
		if (!m)
			fail_msg("element encoding %d rejected", k);
		assert_int_equal(m->nelems, 1);
		assert_int_equal(m->elems[0].mode, modes[k]);
		assert_int_equal(m->elems[0].type, SF_FUNCREF);
		assert_int_equal(m->elems[0].count, 1);
		assert_int_equal(m->elems[0].items[0].op, k == 5 ? SF_OP_REF_NULL : SF_OP_REF_FUNC);
		if (k == 6)
			assert_int_equal(m->elems[0].offset.v.i32, 1);
		sf_module_free(m);
	}
	EXPECT_FAIL(HDR "\x09\x03\x01\x08\x00", SF_MALFORMED, "malformed elements segment kind");
	EXPECT_FAIL(HDR "\x09\x04\x01\x01\x01\x00", SF_MALFORMED, "malformed element kind");
}

static void
data_and_datacount(void **state)
{
	sf_module  *m;

	tm_init(&t);
	tm_memory(&t, 1, -1);
	tm_data(&t, "\x00\x41\x08\x0b\x03" "abc");
	tm_data(&t, "\x01\x02xy");
	tm_data(&t, "\x02\x00\x41\x00\x0b\x00");
	tm_datacount(&t, 3);
	tm_build(&t, &w);
	m = tm_load(&w, NULL);
	assert_non_null(m);
	assert_int_equal(m->ndatas, 3);
	assert_int_equal(m->datas[0].len, 3);
	assert_memory_equal(m->bytes + m->datas[0].data_off, "abc", 3);
	assert_int_equal(m->datas[0].offset.v.i32, 8);
	assert_int_equal(m->datas[1].mode, SF_SEG_PASSIVE);
	assert_int_equal(m->datas[2].len, 0);
	sf_module_free(m);

	tm_datacount(&t, 2);
	tm_build(&t, &w);
	expect_fail(w.b, w.n, SF_MALFORMED,
				"data count and data section have inconsistent lengths");
	/* a data count without a data section */
	EXPECT_FAIL(HDR "\x0c\x01\x01", SF_MALFORMED,
				"data count and data section have inconsistent lengths");
	EXPECT_FAIL(HDR "\x05\x03\x01\x00\x01\x0b\x03\x01\x03\x00", SF_MALFORMED,
				"malformed data segment kind");
	/* data bytes running past the section */
	EXPECT_FAIL(HDR "\x05\x03\x01\x00\x01\x0b\x03\x01\x01\x05", SF_MALFORMED,
				"unexpected end");
}

static void
locals_and_bodies(void **state)
{
	sf_module  *m;

	/* locals: 2 x i32, 3 x f64 */
	m = EXPECT_OK(HDR "\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00"
				  "\x0a\x08\x01\x06\x02\x02\x7f\x03\x7c\x0b");
	assert_int_equal(m->codes[0].nruns, 2);
	assert_int_equal(m->codes[0].nlocals, 5);
	assert_int_equal(m->codes[0].runs[1].type, SF_F64);
	assert_int_equal(m->codes[0].runs[1].count, 3);
	assert_int_equal(m->codes[0].expr_off + 1, m->codes[0].end_off);
	assert_int_equal(m->bytes[m->codes[0].expr_off], 0x0b);
	sf_module_free(m);
	/* 2^32 - 1 locals: over the cap, never allocated */
	EXPECT_FAIL(HDR "\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00"
				"\x0a\x0a\x01\x08\x01\xff\xff\xff\xff\x0f\x7f\x0b",
				SF_LIMIT, "too many locals");
}

/* --- Caps and hostile sizes ----------------------------------------------- */

static void
hostile_counts(void **state)
{
	/* a type count of 2^32-1 in a 5-byte section: rejected before allocation */
	EXPECT_FAIL(HDR "\x01\x05\xff\xff\xff\xff\x0f", SF_LIMIT, "too many types");
	EXPECT_FAIL(HDR "\x01\x03\xff\xff\x03", SF_MALFORMED, "do not fit in the section");
	EXPECT_FAIL(HDR "\x03\x04\xff\xff\xff\x07", SF_LIMIT, "too many functions");
	EXPECT_FAIL(HDR "\x0b\x04\xff\xff\xff\x07", SF_LIMIT, "too many data segments");
	EXPECT_FAIL(HDR "\x09\x03\xff\xff\x03", SF_MALFORMED, "element segments do not fit");
	/* well-framed but many memories: refused before they are allocated */
	EXPECT_FAIL(HDR "\x05\x07\x03\x00\x00\x00\x00\x00\x00", SF_INVALID,
				"at offset 0xb: multiple memories: 3");
}

/* Element items are capped over all segments, not per segment. */
static void
elem_items_total_cap(void **state)
{
	sf_config	cfg;

	tm_init(&t);
	tm_type(&t, "", "");
	tm_func(&t, 0, "", "\x0b");
	tm_elem(&t, "\x01\x00\x02\x00\x00");
	tm_elem(&t, "\x01\x00\x02\x00\x00");
	tm_build(&t, &w);
	sf_module_free(expect_ok(w.b, w.n));
	memset(&cfg, 0, sizeof(cfg));
	cfg.max_table_size = 3;
	expect_fail_cfg(w.b, w.n, &cfg, SF_LIMIT,
					"too many element segment items: 4 in all segments (limit 3)");
}

static void
config_caps(void **state)
{
	sf_config	cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.max_module_size = 8;
	expect_fail_cfg(HDR "\x00\x01\x00", 11, &cfg, SF_LIMIT, "module too large");

	tm_init(&t);
	tm_type(&t, "iii", "");
	tm_type(&t, "", "ii");
	tm_func(&t, 0, "iii", "\x0b");
	tm_export(&t, "a-long-name", 0, 0);
	tm_build(&t, &w);
	memset(&cfg, 0, sizeof(cfg));
	cfg.max_types = 1;
	expect_fail_cfg(w.b, w.n, &cfg, SF_LIMIT, "too many types: 2 (limit 1)");
	memset(&cfg, 0, sizeof(cfg));
	cfg.max_params = 2;
	expect_fail_cfg(w.b, w.n, &cfg, SF_LIMIT, "too many parameters");
	memset(&cfg, 0, sizeof(cfg));
	cfg.max_results = 1;
	expect_fail_cfg(w.b, w.n, &cfg, SF_LIMIT, "too many results");
	memset(&cfg, 0, sizeof(cfg));
	cfg.max_locals = 5;			/* 3 params + 3 locals */
	expect_fail_cfg(w.b, w.n, &cfg, SF_LIMIT, "too many locals: 6 (limit 5)");
	memset(&cfg, 0, sizeof(cfg));
	cfg.max_name_len = 4;
	expect_fail_cfg(w.b, w.n, &cfg, SF_LIMIT, "name too long");
	memset(&cfg, 0, sizeof(cfg));
	cfg.max_exports = 0;		/* zero means the default */
	cfg.max_functions = 1;
	sf_module_free(sf_module_load(w.b, w.n, &cfg, NULL));
	cfg.max_body_size = 2;
	expect_fail_cfg(w.b, w.n, &cfg, SF_LIMIT, "function body too large");
}

/* Every count cap: two entries of each kind against a cap of one. */
static void
count_caps(void **state)
{
	static const struct
	{
		size_t		field;
		const char *msg;
	}			caps[] = {
		{offsetof(sf_config, max_imports), "too many imports: 2 (limit 1)"},
		{offsetof(sf_config, max_exports), "too many exports: 2 (limit 1)"},
		{offsetof(sf_config, max_globals), "too many globals: 2 (limit 1)"},
		{offsetof(sf_config, max_tables), "too many tables: 2 (limit 1)"},
		{offsetof(sf_config, max_elem_segments), "too many element segments: 2 (limit 1)"},
		{offsetof(sf_config, max_data_segments), "too many data segments: 2 (limit 1)"},
		{offsetof(sf_config, max_functions), "too many functions: 2 (limit 1)"},
	};

	tm_init(&t);
	tm_type(&t, "", "");
	tm_import_global(&t, "m", "a", 'i', false);
	tm_import_global(&t, "m", "b", 'i', false);
	tm_func(&t, 0, "", "\x0b");
	tm_func(&t, 0, "", "\x0b");
	tm_table(&t, 'r', 0, -1);
	tm_table(&t, 'r', 0, -1);
	tm_memory(&t, 0, -1);
	tm_export(&t, "x", 0, 0);
	tm_export(&t, "y", 0, 1);
	tm_elem(&t, "\x01\x00\x00");
	tm_elem(&t, "\x01\x00\x00");
	tm_data(&t, "\x01\x00");
	tm_data(&t, "\x01\x00");
	tm_build(&t, &w);
	sf_module_free(expect_ok(w.b, w.n));
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
	{
		sf_config	cfg;

		memset(&cfg, 0, sizeof(cfg));
		*(uint32_t *) ((char *) &cfg + caps[i].field) = 1;
		expect_fail_cfg(w.b, w.n, &cfg, SF_LIMIT, caps[i].msg);
	}
}

/* --- The name section ---------------------------------------------------- */

static void
name_section(void **state)
{
	sf_module  *m;
	wbuf		names = {.n = 0};
	wbuf		sub = {.n = 0};

	tm_init(&t);
	tm_type(&t, "", "");
	tm_func(&t, 0, "", "\x0b");
	tm_func(&t, 0, "", "\x0b");
	tm_build(&t, &w);
	wb_u32(&sub, 1);			/* one name */
	wb_u32(&sub, 1);			/* function 1 */
	wb_name(&sub, "second");
	wb_name(&names, "name");
	wb_u8(&names, 0);			/* module name subsection, skipped */
	wb_u32(&names, 2);
	wb_name(&names, "m");
	wb_u8(&names, 1);
	wb_u32(&names, (uint32_t) sub.n);
	wb_bytes(&names, sub.b, sub.n);
	tm_section(&w, 0, &names);
	m = tm_load(&w, NULL);
	assert_non_null(m);
	assert_null(sf_module_func_name(m, 0));
	assert_string_equal(sf_module_func_name(m, 1), "second");
	assert_null(sf_module_func_name(m, 7));
	sf_module_free(m);

	/* a broken name section (index out of range) is ignored, not an error */
	tm_build(&t, &w);
	names.n = sub.n = 0;
	wb_u32(&sub, 1);
	wb_u32(&sub, 9);
	wb_name(&sub, "nine");
	wb_name(&names, "name");
	wb_u8(&names, 1);
	wb_u32(&names, (uint32_t) sub.n);
	wb_bytes(&names, sub.b, sub.n);
	tm_section(&w, 0, &names);
	m = tm_load(&w, NULL);
	assert_non_null(m);
	assert_null(sf_module_func_name(m, 1));
	sf_module_free(m);
}

/*
** Regression: entry sizes were overestimated (globals 4 bytes, imports 4),
** so short but well-framed entries failed as "do not fit" instead of
** with the error the spec expects.
*/
static void
regress_min_entry_sizes(void **state)
{
	/* a global with an empty initializer: 3 bytes */
	EXPECT_FAIL(HDR "\x06\x04\x01\x7f\x00\x0b", SF_INVALID, "type mismatch");
	/* an import whose kind byte is bad and last: 3 bytes */
	EXPECT_FAIL(HDR "\x02\x04\x01\x00\x00\x05", SF_MALFORMED, "malformed import kind");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(leb_unsigned32),
		cmocka_unit_test(leb_signed32),
		cmocka_unit_test(leb_signed33_and_64),
		cmocka_unit_test(leb_fast_paths),
		cmocka_unit_test(leb_in_module),
		cmocka_unit_test(header),
		cmocka_unit_test(section_framing),
		cmocka_unit_test(utf8_rules),
		cmocka_unit_test(type_section),
		cmocka_unit_test(import_section),
		cmocka_unit_test(function_code_mismatch),
		cmocka_unit_test(limits_and_tables),
		cmocka_unit_test(global_section),
		cmocka_unit_test(export_and_start),
		cmocka_unit_test(element_encodings),
		cmocka_unit_test(data_and_datacount),
		cmocka_unit_test(locals_and_bodies),
		cmocka_unit_test(hostile_counts),
		cmocka_unit_test(elem_items_total_cap),
		cmocka_unit_test(config_caps),
		cmocka_unit_test(count_caps),
		cmocka_unit_test(name_section),
		cmocka_unit_test(regress_min_entry_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
