/*
** test_validate.c -- the validator, one test per rule family, with the
** error messages (function index and offset included).
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "module.h"
#include "wasmbuild.h"

static tmod t;
static wbuf w;

static void
check_fail(sf_status status, const char *needle)
{
	sf_error	err;
	sf_module  *m;

	tm_build(&t, &w);
	m = tm_load(&w, &err);
	if (m)
	{
		sf_module_free(m);
		fail_msg("module validated; expected %s \"%s\"", sf_status_name(status), needle);
	}
	if (err.status != status || strstr(err.msg, needle) == NULL)
		fail_msg("expected %s \"%s\", got %s \"%s\"", sf_status_name(status),
				 needle, sf_status_name(err.status), err.msg);
}

static sf_module *
check_ok(void)
{
	sf_error	err;
	sf_module  *m;

	tm_build(&t, &w);
	m = tm_load(&w, &err);
	if (!m)
		fail_msg("rejected: %s: %s", sf_status_name(err.status), err.msg);
	return m;
}

static void
ok(void)
{
	sf_module_free(check_ok());
}

/* A module with function 0 of type params -> results and 'body'. */
#define FUNC(params, results, locals, body) do { \
	tm_init(&t); \
	tm_func(&t, tm_type(&t, (params), (results)), (locals), (body)); } while (0)

#define INVALID(params, results, locals, body, needle) do { \
	FUNC(params, results, locals, body); check_fail(SF_INVALID, (needle)); } while (0)
#define MALFORMED(params, results, locals, body, needle) do { \
	FUNC(params, results, locals, body); check_fail(SF_MALFORMED, (needle)); } while (0)
#define VALID(params, results, locals, body) do { \
	FUNC(params, results, locals, body); ok(); } while (0)

/* --- Messages ------------------------------------------------------------- */

static void
message_format(void **state)
{
	sf_error	err;
	sf_module  *m;
	char		want[128];

	tm_init(&t);
	tm_type(&t, "", "");
	tm_func(&t, 0, "", "\x0b");
	tm_func(&t, tm_type(&t, "", "i"), "", "\x44\x00\x00\x00\x00\x00\x00\x00\x00\x0b");
	tm_build(&t, &w);
	m = tm_load(&w, &err);
	assert_null(m);
	assert_int_equal(err.status, SF_INVALID);
	assert_int_equal(err.func_index, 1);
	/* the offset is that of the 'end' that pops the f64 */
	assert_int_equal(w.b[err.offset], 0x0b);
	snprintf(want, sizeof(want),
			 "func 1 at offset 0x%llx: type mismatch: expected i32, got f64",
			 (unsigned long long) err.offset);
	assert_string_equal(err.msg, want);
}

/* --- Operand stack ---------------------------------------------------- */

static void
operand_typing(void **state)
{
	VALID("ii", "i", "", "\x20\x00\x20\x01\x6a\x0b");
	INVALID("", "i", "", "\x6a\x0b", "type mismatch: expected i32, got nothing");
	INVALID("iI", "i", "", "\x20\x00\x20\x01\x6a\x0b",
			"type mismatch: expected i32, got i64");
	/* left over values at the end */
	INVALID("", "", "", "\x41\x00\x0b", "1 value(s) left on the stack");
	/* every simple signature comes from the opcode table: f32.convert_i64_u */
	VALID("I", "f", "", "\x20\x00\xb5\x0b");
	INVALID("i", "f", "", "\x20\x00\xb5\x0b", "expected i64, got i32");
	/* sat conversion behind the 0xfc prefix */
	VALID("F", "I", "", "\x20\x00\xfc\x07\x0b");
	MALFORMED("", "", "", "\xfc\x12\x0b", "illegal opcode 0xfc 18");
	MALFORMED("", "", "", "\xff\x0b", "illegal opcode 0xff");
	/* sign extension */
	VALID("I", "I", "", "\x20\x00\xc4\x0b");
	/* drop takes anything, but something */
	INVALID("", "", "", "\x1a\x0b", "got nothing");
}

static void
unreachable_code(void **state)
{
	/* after unreachable the stack is polymorphic */
	VALID("", "i", "", "\x00\x6a\x0b");
	VALID("", "", "", "\x00\x1a\x1a\x0b");
	VALID("", "i", "", "\x00\x1b\x0b");
	/* but known values still have to match */
	INVALID("", "i", "", "\x00\x43\x00\x00\x00\x00\x6a\x0b",
			"type mismatch: expected i32, got f32");
	/* br, return, br_table end reachability too */
	VALID("", "I", "", "\x42\x00\x0f\x6a\x1a\x0b");
	INVALID("", "", "", "\x0f\x41\x00\x0b", "left on the stack");
	/* the polymorphic stack is per block */
	INVALID("", "", "", "\x00\x02\x40\x6a\x1a\x0b\x0b", "got nothing");
}

/* --- Control --------------------------------------------------------------- */

static void
blocks(void **state)
{
	/* block (result i32) i32.const 1 end */
	VALID("", "i", "", "\x02\x7f\x41\x01\x0b\x0b");
	INVALID("", "i", "", "\x02\x7f\x0b\x0b", "got nothing");
	/* loop label takes the params: loop [i32]->[] with br 0 */
	tm_init(&t);
	tm_type(&t, "", "");
	tm_type(&t, "i", "");
	tm_func(&t, 0, "", "\x41\x00\x03\x01\x0c\x00\x0b\x0b");
	ok();
	/* if without else must keep its types */
	INVALID("i", "i", "", "\x20\x00\x04\x7f\x41\x01\x0b\x0b",
			"if without else");
	VALID("i", "i", "", "\x20\x00\x04\x7f\x41\x01\x05\x41\x02\x0b\x0b");
	INVALID("i", "i", "", "\x20\x00\x04\x7f\x41\x01\x05\x0b\x0b", "got nothing");
	/* the condition */
	INVALID("", "", "", "\x04\x40\x0b\x0b", "expected i32, got nothing");
	MALFORMED("", "", "", "\x05\x0b", "else without matching if");
	/* a block type by type index, with params (multi-value) */
	tm_init(&t);
	tm_type(&t, "", "iI");
	tm_type(&t, "i", "iI");
	tm_func(&t, 0, "", "\x41\x01\x02\x01\x42\x02\x0b\x0b");
	ok();
	tm_init(&t);
	tm_type(&t, "", "");
	tm_func(&t, 0, "", "\x02\x05\x0b\x0b");
	check_fail(SF_INVALID, "unknown type 5");
	/* missing final end, trailing bytes after it */
	MALFORMED("", "", "", "\x01", "unexpected end");
	MALFORMED("", "", "", "\x0b\x01", "section size mismatch");
}

static void
branches(void **state)
{
	VALID("", "i", "", "\x02\x7f\x41\x01\x0c\x00\x0b\x0b");
	INVALID("", "", "", "\x0c\x01\x0b", "unknown label 1");
	/* br_if keeps the values */
	VALID("i", "i", "", "\x02\x7f\x41\x05\x20\x00\x0d\x00\x0b\x0b");
	INVALID("", "", "", "\x02\x40\x0d\x00\x0b\x0b", "expected i32, got nothing");
	/* br_table: all targets need one arity */
	VALID("i", "i", "", "\x02\x7f\x02\x7f\x41\x01\x20\x00\x0e\x01\x00\x01\x0b\x0b\x0b");
	INVALID("i", "", "", "\x02\x40\x02\x7f\x41\x01\x20\x00\x0e\x01\x00\x01\x0b\x1a\x0b\x0b",
			"br_table targets have 1 and 0 values");
	/* after unreachable, targets of different types but one arity are fine */
	tm_init(&t);
	tm_type(&t, "", "");
	tm_func(&t, 0, "", "\x02\x7f\x02\x7d\x00\x0e\x01\x00\x01\x0b\x1a\x41\x00\x0b\x1a\x0b");
	ok();
	/* ...unless a known value contradicts one of them */
	INVALID("", "", "",
			"\x02\x7f\x02\x7d\x00\x41\x00\x41\x00\x0e\x01\x00\x01\x0b\x1a\x41\x00\x0b\x1a\x0b",
			"expected f32, got i32");
	INVALID("i", "", "", "\x20\x00\x0e\x01\x00\x05\x0b", "unknown label 5");
}

static void
calls(void **state)
{
	tm_init(&t);
	tm_type(&t, "iI", "f");
	tm_func(&t, 0, "", "\x42\x00\x41\x00\x10\x00\x0b");
	check_fail(SF_INVALID, "expected i64, got i32");
	tm_init(&t);
	tm_type(&t, "iI", "f");
	tm_func(&t, 0, "", "\x20\x00\x20\x01\x10\x00\x0b");
	ok();
	INVALID("", "", "", "\x10\x03\x0b", "unknown function 3");
	/* call_indirect needs a funcref table */
	INVALID("", "", "", "\x41\x00\x11\x00\x00\x0b", "unknown table 0");
	FUNC("", "", "", "\x41\x00\x11\x00\x00\x0b");
	tm_table(&t, 'r', 1, -1);
	ok();
	FUNC("", "", "", "\x41\x00\x11\x00\x00\x0b");
	tm_table(&t, 'e', 1, -1);
	check_fail(SF_INVALID, "call_indirect on a table of externref");
	FUNC("", "", "", "\x41\x00\x11\x07\x00\x0b");
	tm_table(&t, 'r', 1, -1);
	check_fail(SF_INVALID, "unknown type 7");
}

/* --- Variables ---------------------------------------------------------- */

static void
locals_and_globals(void **state)
{
	VALID("i", "F", "F", "\x20\x01\x0b");
	INVALID("i", "", "F", "\x20\x02\x1a\x0b", "unknown local 2");
	VALID("", "I", "I", "\x42\x01\x22\x00\x0b");
	INVALID("", "", "I", "\x41\x01\x21\x00\x0b", "expected i64, got i32");

	FUNC("", "", "", "\x41\x01\x24\x00\x0b");
	tm_global(&t, 'i', false, "\x41\x00\x0b");
	check_fail(SF_INVALID, "global is immutable");
	FUNC("", "", "", "\x41\x01\x24\x00\x0b");
	tm_global(&t, 'i', true, "\x41\x00\x0b");
	ok();
	INVALID("", "", "", "\x23\x00\x1a\x0b", "unknown global 0");
}

static void
constant_expressions(void **state)
{
	/* a defined global may not initialise another */
	tm_init(&t);
	tm_global(&t, 'i', false, "\x41\x00\x0b");
	tm_global(&t, 'i', false, "\x23\x00\x0b");
	check_fail(SF_INVALID, "global 1: unknown global 0");
	/* an imported immutable one may */
	tm_init(&t);
	tm_import_global(&t, "m", "g", 'i', false);
	tm_global(&t, 'i', false, "\x23\x00\x0b");
	ok();
	tm_init(&t);
	tm_import_global(&t, "m", "g", 'i', true);
	tm_global(&t, 'i', false, "\x23\x00\x0b");
	check_fail(SF_INVALID, "constant expression required");
	tm_init(&t);
	tm_global(&t, 'i', false, "\x42\x00\x0b");
	check_fail(SF_INVALID, "global 0: type mismatch: expected i32, got i64");
	tm_init(&t);
	tm_global(&t, 'i', false, "\x41\x00\x41\x00\x6a\x0b");
	check_fail(SF_INVALID, "constant expression required");
	tm_init(&t);
	tm_global(&t, 'i', false, "\x0b");
	check_fail(SF_INVALID, "type mismatch");
	tm_init(&t);
	tm_global(&t, 'i', false, "\x20\x00\x0b");
	check_fail(SF_INVALID, "constant expression required");
}

/*
** Regression: offsets of data and element segments accepted defined
** globals; the 2.0 suite (data.wast, elem.wast) wants "unknown global".
*/
static void
regress_segment_offset_defined_global(void **state)
{
	tm_init(&t);
	tm_memory(&t, 1, -1);
	tm_global(&t, 'i', false, "\x41\x00\x0b");
	tm_data(&t, "\x00\x23\x00\x0b\x00");
	check_fail(SF_INVALID, "data 0: unknown global 0");
	tm_init(&t);
	tm_table(&t, 'r', 1, -1);
	tm_global(&t, 'i', false, "\x41\x00\x0b");
	tm_elem(&t, "\x00\x23\x00\x0b\x00");
	check_fail(SF_INVALID, "elem 0: unknown global 0");
	tm_init(&t);
	tm_memory(&t, 1, -1);
	tm_import_global(&t, "m", "g", 'i', false);
	tm_data(&t, "\x00\x23\x00\x0b\x00");
	ok();
}

/* --- Memory ---------------------------------------------------------- */

static void
memory_rules(void **state)
{
	INVALID("i", "i", "", "\x20\x00\x28\x02\x00\x0b", "unknown memory 0");
	FUNC("i", "i", "", "\x20\x00\x28\x02\x00\x0b");
	tm_memory(&t, 1, -1);
	ok();
	/* alignment may not exceed the natural one */
	FUNC("i", "i", "", "\x20\x00\x28\x03\x00\x0b");
	tm_memory(&t, 1, -1);
	check_fail(SF_INVALID, "alignment must not be larger than natural");
	FUNC("i", "I", "", "\x20\x00\x29\x03\x00\x0b");
	tm_memory(&t, 1, -1);
	ok();
	FUNC("i", "i", "", "\x20\x00\x2d\x01\x00\x0b");
	tm_memory(&t, 1, -1);
	check_fail(SF_INVALID, "2**1 for i32.load8_u");
	/* memory.size's reserved byte, exactly one zero byte */
	FUNC("", "i", "", "\x3f\x01\x0b");
	tm_memory(&t, 1, -1);
	check_fail(SF_MALFORMED, "zero byte expected");
	FUNC("", "i", "", "\x3f\x80\x00\x0b");
	tm_memory(&t, 1, -1);
	check_fail(SF_MALFORMED, "zero byte expected");
	/* limits */
	tm_init(&t);
	tm_memory(&t, 65537, -1);
	check_fail(SF_INVALID, "memory size must be at most 65536 pages");
	tm_init(&t);
	tm_memory(&t, 2, 1);
	check_fail(SF_INVALID, "size minimum must not be greater than maximum");
	tm_init(&t);
	tm_memory(&t, 0, 65536);
	ok();
	tm_init(&t);
	tm_memory(&t, 1, -1);
	tm_memory(&t, 1, -1);
	check_fail(SF_INVALID, "multiple memories");
	/* tables */
	tm_init(&t);
	tm_table(&t, 'r', 3, 2);
	check_fail(SF_INVALID, "size minimum must not be greater than maximum");
}

static void
bulk_memory(void **state)
{
	/* memory.init and data.drop need the data count section */
	FUNC("", "", "", "\x41\x00\x41\x00\x41\x00\xfc\x08\x00\x00\x0b");
	tm_memory(&t, 1, -1);
	tm_data(&t, "\x01\x00");
	check_fail(SF_MALFORMED, "data count section required");
	FUNC("", "", "", "\x41\x00\x41\x00\x41\x00\xfc\x08\x00\x00\x0b");
	tm_memory(&t, 1, -1);
	tm_data(&t, "\x01\x00");
	tm_datacount(&t, 1);
	ok();
	FUNC("", "", "", "\xfc\x09\x01\x0b");
	tm_data(&t, "\x01\x00");
	tm_datacount(&t, 1);
	check_fail(SF_INVALID, "unknown data segment 1");
	FUNC("", "", "", "\x41\x00\x41\x00\x41\x00\xfc\x0a\x00\x00\x0b");
	tm_memory(&t, 1, -1);
	ok();
	FUNC("", "", "", "\x41\x00\x41\x00\x42\x00\xfc\x0b\x00\x0b");
	tm_memory(&t, 1, -1);
	check_fail(SF_INVALID, "expected i32, got i64");
}

/* --- Tables and references ------------------------------------------------ */

static void
table_instructions(void **state)
{
	/* table.init elem type must match the table's */
	FUNC("", "", "", "\x41\x00\x41\x00\x41\x00\xfc\x0c\x00\x00\x0b");
	tm_table(&t, 'e', 1, -1);
	tm_elem(&t, "\x05\x70\x00");
	check_fail(SF_INVALID, "table.init of funcref into externref table");
	FUNC("", "", "", "\x41\x00\x41\x00\x41\x00\xfc\x0c\x00\x00\x0b");
	tm_table(&t, 'r', 1, -1);
	tm_elem(&t, "\x05\x70\x00");
	ok();
	FUNC("", "", "", "\xfc\x0d\x02\x0b");
	check_fail(SF_INVALID, "unknown elem segment 2");
	FUNC("", "", "", "\x41\x00\x41\x00\x41\x00\xfc\x0e\x00\x01\x0b");
	tm_table(&t, 'r', 1, -1);
	tm_table(&t, 'e', 1, -1);
	check_fail(SF_INVALID, "table.copy between tables of funcref and externref");
	/* table.get/set/grow/size/fill on an externref table */
	FUNC("e", "i", "",
		 "\x41\x00\x25\x00\x1a\x41\x00\x20\x00\x26\x00"
		 "\x20\x00\x41\x01\xfc\x0f\x00\x1a"
		 "\x41\x00\x20\x00\x41\x01\xfc\x11\x00"
		 "\xfc\x10\x00\x0b");
	tm_table(&t, 'e', 1, -1);
	ok();
	FUNC("", "", "", "\x41\x00\x41\x00\x26\x00\x0b");
	tm_table(&t, 'e', 1, -1);
	check_fail(SF_INVALID, "expected externref, got i32");
	/* active segments: table type and offset type */
	tm_init(&t);
	tm_table(&t, 'e', 1, -1);
	tm_elem(&t, "\x00\x41\x00\x0b\x00");
	check_fail(SF_INVALID, "elem 0: type mismatch: funcref segment for a externref table");
	tm_init(&t);
	tm_table(&t, 'r', 1, -1);
	tm_elem(&t, "\x00\x42\x00\x0b\x00");
	check_fail(SF_INVALID, "elem 0: type mismatch: expected i32, got i64");
	tm_init(&t);
	tm_elem(&t, "\x00\x41\x00\x0b\x00");
	check_fail(SF_INVALID, "elem 0: unknown table 0");
	tm_init(&t);
	tm_elem(&t, "\x01\x00\x01\x04");
	check_fail(SF_INVALID, "elem 0: unknown function 4");
}

static void
references(void **state)
{
	sf_module  *m;

	/* ref.func needs a declaration outside function bodies */
	INVALID("", "", "", "\xd2\x00\x1a\x0b", "undeclared function reference 0");
	FUNC("", "", "", "\xd2\x00\x1a\x0b");
	tm_export(&t, "f", 0, 0);
	ok();
	FUNC("", "", "", "\xd2\x00\x1a\x0b");
	tm_elem(&t, "\x03\x00\x01\x00");	/* declarative */
	ok();
	FUNC("", "", "", "\xd2\x00\x1a\x0b");
	tm_global(&t, 'r', false, "\xd2\x00\x0b");
	m = check_ok();
	assert_true(m->declared_funcs[0] & 1);
	sf_module_free(m);
	/* ref.is_null wants a reference */
	VALID("e", "i", "", "\x20\x00\xd1\x0b");
	INVALID("i", "i", "", "\x20\x00\xd1\x0b", "expected a reference, got i32");
	VALID("", "i", "", "\xd0\x70\xd1\x0b");
	MALFORMED("", "", "", "\xd0\x7f\x1a\x0b", "malformed reference type");
	/* untyped select is numeric only; typed select takes one type */
	INVALID("ee", "e", "", "\x20\x00\x20\x01\x41\x00\x1b\x0b",
			"select without a type needs numeric operands");
	VALID("ee", "e", "", "\x20\x00\x20\x01\x41\x00\x1c\x01\x6f\x0b");
	INVALID("ee", "e", "", "\x20\x00\x20\x01\x41\x00\x1c\x02\x6f\x6f\x0b",
			"invalid result arity 2");
	INVALID("iF", "i", "", "\x20\x00\x20\x01\x41\x00\x1b\x0b", "select of i32 and f64");
}

/* --- Module-level rules ------------------------------------------------- */

static void
exports_and_start(void **state)
{
	FUNC("", "", "", "\x0b");
	tm_export(&t, "a", 0, 0);
	tm_export(&t, "b", 0, 0);
	tm_export(&t, "a", 0, 0);
	check_fail(SF_INVALID, "duplicate export name \"a\"");
	FUNC("", "", "", "\x0b");
	tm_export(&t, "a", 3, 0);
	check_fail(SF_INVALID, "export 0: unknown global 0");
	FUNC("i", "", "", "\x0b");
	tm_start(&t, 0);
	check_fail(SF_INVALID, "start function 0 must have type [] -> []");
	FUNC("", "", "", "\x0b");
	tm_start(&t, 1);
	check_fail(SF_INVALID, "unknown function 1 as start function");
	FUNC("", "", "", "\x0b");
	tm_start(&t, 0);
	ok();
	/* a function whose type index does not exist */
	tm_init(&t);
	tm_func(&t, 3, "", "\x0b");
	check_fail(SF_INVALID, "func 0: unknown type 3");
}

static void
many_exports_unique(void **state)
{
	char		name[16];

	FUNC("", "", "", "\x0b");
	for (int i = 0; i < 500; i++)
	{
		snprintf(name, sizeof(name), "e%d", i);
		tm_export(&t, name, 0, 0);
	}
	ok();
	tm_export(&t, "e317", 0, 0);
	check_fail(SF_INVALID, "duplicate export name \"e317\"");
}

/* --- Facts for the compiler, caps ------------------------------------- */

static void
stack_and_depth(void **state)
{
	sf_module  *m;

	/* three values at most on the stack, two nested blocks + the function */
	FUNC("", "i", "",
		 "\x41\x01\x02\x7f\x02\x7f\x41\x02\x41\x03\x6a\x0b\x0b\x6a\x0b");
	m = check_ok();
	assert_int_equal(m->codes[0].max_stack, 3);
	assert_int_equal(m->codes[0].max_depth, 3);
	sf_module_free(m);
}

/*
** Direct calls to defined functions, per body (the compiler sizes its call
** fixups by them): an import's call does not count, nor does a body's
** count carry over to the next.
*/
static void
call_counts(void **state)
{
	sf_module  *m;
	uint32_t	ty;

	tm_init(&t);
	ty = tm_type(&t, "", "");
	tm_import_func(&t, "env", "f", ty);
	/* function 1: call 2, call 0 (the import), call 1, call 2 */
	tm_func(&t, ty, "", "\x10\x02\x10\x00\x10\x01\x10\x02\x0b");
	/* function 2: no calls */
	tm_func(&t, ty, "", "\x01\x0b");
	m = check_ok();
	assert_int_equal(m->codes[0].ncalls, 3);
	assert_int_equal(m->codes[1].ncalls, 0);
	sf_module_free(m);
}

/* The hot locals of function 0 (module.h): integer ones, then float ones. */
static void
check_hot(const char *ints, const char *floats)
{
	sf_module  *m = check_ok();
	const sf_code *c = &m->codes[0];
	char		got[2][64] = {"", ""};

	for (int k = 0; k < c->nhot_int + c->nhot_float; k++)
	{
		char	   *g = got[k >= c->nhot_int];

		snprintf(g + strlen(g), 64 - strlen(g), "%s%u", *g ? " " : "",
				 m->hot_pool[c->hot_off + k]);
	}
	sf_module_free(m);
	if (strcmp(got[0], ints) != 0 || strcmp(got[1], floats) != 0)
		fail_msg("hot locals: integer \"%s\" float \"%s\", expected \"%s\" and \"%s\"",
				 got[0], got[1], ints, floats);
}

#define GET_DROP(x) "\x20" x "\x1a"
#define LOOP "\x03\x40"
#define END "\x0b"

static void
hot_locals(void **state)
{
	/* all fit: every integer and float local, used or not, in index order */
	FUNC("iF", "", "fIr", GET_DROP("\x01") END);
	check_hot("0 3", "1 2");
	/* ranked by uses (5 kept), a use in a loop worth 8; ties to the lower index */
	FUNC("", "", "iiiiiii",
		 GET_DROP("\x05") GET_DROP("\x02") GET_DROP("\x02")
		 LOOP GET_DROP("\x04") END
		 GET_DROP("\x01") GET_DROP("\x01") GET_DROP("\x06") GET_DROP("\x06")
		 GET_DROP("\x00") GET_DROP("\x00") GET_DROP("\x00") GET_DROP("\x03") END);
	check_hot("4 0 1 2 6", "");
	/* 9 loops weigh as 7; after its end a loop no longer counts */
	FUNC("", "", "iiiiii",
		 LOOP LOOP LOOP LOOP LOOP LOOP LOOP
		 GET_DROP("\x01") GET_DROP("\x01")
		 LOOP LOOP GET_DROP("\x00") END END
		 END END END END END END END
		 GET_DROP("\x02") END);
	check_hot("1 0", "");
	/* at most 9 float locals; with 10 floats the one integer is ranked too */
	FUNC("F", "", "FFFFFFFFFi",
		 GET_DROP("\x09") GET_DROP("\x09") GET_DROP("\x09")
		 GET_DROP("\x00") GET_DROP("\x00") GET_DROP("\x01") GET_DROP("\x01")
		 GET_DROP("\x02") GET_DROP("\x02") GET_DROP("\x03") GET_DROP("\x03")
		 GET_DROP("\x04") GET_DROP("\x04") GET_DROP("\x05") GET_DROP("\x05")
		 GET_DROP("\x06") GET_DROP("\x06") GET_DROP("\x07") GET_DROP("\x07")
		 GET_DROP("\x08")
		 GET_DROP("\x0a") END);
	check_hot("", "9 0 1 2 3 4 5 6 7");
	/* local.set and local.tee count as uses too */
	FUNC("", "", "IIIIII",
		 "\x42\x00\x21\x03\x42\x00\x22\x03\x1a" GET_DROP("\x01") END);
	check_hot("3", "");
}

static void
nesting_cap(void **state)
{
	static uint8_t body[8000];
	size_t		n = 0;
	sf_config	cfg;
	sf_error	err;
	sf_module  *m;

	for (int i = 0; i < 2000; i++)
		body[n++] = 0x02, body[n++] = 0x40;
	for (int i = 0; i < 2000; i++)
		body[n++] = 0x0b;
	body[n++] = 0x0b;
	tm_init(&t);
	tm_func_n(&t, tm_type(&t, "", ""), "", body, n);
	check_fail(SF_LIMIT, "control nesting too deep (limit 1024)");
	memset(&cfg, 0, sizeof(cfg));
	cfg.max_nesting = 4000;
	m = sf_module_load(w.b, w.n, &cfg, &err);
	assert_non_null(m);
	assert_int_equal(m->codes[0].max_depth, 2001);
	sf_module_free(m);
}

static void
br_table_cap(void **state)
{
	sf_config	cfg;
	sf_error	err;

	FUNC("i", "", "", "\x02\x40\x20\x00\x0e\x03\x00\x00\x00\x00\x0b\x0b");
	ok();
	memset(&cfg, 0, sizeof(cfg));
	cfg.max_br_table = 2;
	assert_null(sf_module_load(w.b, w.n, &cfg, &err));
	assert_int_equal(err.status, SF_LIMIT);
	assert_non_null(strstr(err.msg, "br_table has 3 targets (limit 2)"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(message_format),
		cmocka_unit_test(operand_typing),
		cmocka_unit_test(unreachable_code),
		cmocka_unit_test(blocks),
		cmocka_unit_test(branches),
		cmocka_unit_test(calls),
		cmocka_unit_test(locals_and_globals),
		cmocka_unit_test(constant_expressions),
		cmocka_unit_test(regress_segment_offset_defined_global),
		cmocka_unit_test(memory_rules),
		cmocka_unit_test(bulk_memory),
		cmocka_unit_test(table_instructions),
		cmocka_unit_test(references),
		cmocka_unit_test(exports_and_start),
		cmocka_unit_test(many_exports_unique),
		cmocka_unit_test(stack_and_depth),
		cmocka_unit_test(call_counts),
		cmocka_unit_test(hot_locals),
		cmocka_unit_test(nesting_cap),
		cmocka_unit_test(br_table_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
