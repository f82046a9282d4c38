/*
** test_wat.c -- the WebAssembly text-format parser (sf_wat_to_wasm).
**
** Round trips compare with the bytes wat2wasm produces (wat_cases.h, checked
** in); literal cases compare with wat2wasm's encodings; every error path is
** checked for its message and position.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "slackfuel.h"
#include "wat_cases.h"

/* Convert 'text'; returns the status, the output in *out (caller frees). */
static sf_status
convert(const char *text, size_t len, uint8_t **out, size_t *out_len,
		sf_error *err)
{
	*out = NULL;
	*out_len = 0;
	return sf_wat_to_wasm(text, len, out, out_len, err);
}

/* Expect success; returns the bytes (caller frees). */
static uint8_t *
ok(const char *text, size_t *len)
{
	uint8_t    *out;
	sf_error	err;
	sf_status	st = convert(text, strlen(text), &out, len, &err);

	if (st != SF_OK)
		fail_msg("unexpected error for '%.80s': %s", text, err.msg);
	return out;
}

/* Expect failure whose message contains 'needle' at "line:col:". */
static void
bad_at(const char *text, const char *needle, int line, int col)
{
	uint8_t    *out;
	size_t		len;
	sf_error	err;
	sf_status	st = convert(text, strlen(text), &out, &len, &err);
	char		pos[32];

	if (st == SF_OK)
	{
		free(out);
		fail_msg("'%.80s' was accepted; expected error '%s'", text, needle);
	}
	assert_null(out);
	assert_int_equal(st, SF_MALFORMED);
	if (strstr(err.msg, needle) == NULL)
		fail_msg("'%.80s': message '%s' lacks '%s'", text, err.msg, needle);
	if (line > 0)
	{
		snprintf(pos, sizeof(pos), "%d:%d: ", line, col);
		if (strncmp(err.msg, pos, strlen(pos)) != 0)
			fail_msg("'%.80s': message '%s' is not at %s", text, err.msg, pos);
	}
	assert_true(err.offset >= 0 && (size_t) err.offset <= strlen(text));
}

static void
bad(const char *text, const char *needle)
{
	bad_at(text, needle, 0, 0);
}

/* --- round trips ------------------------------------------------------ */

static void
test_round_trips_match_wat2wasm(void **state)
{
	for (size_t i = 0; i < sizeof(wat_cases) / sizeof(wat_cases[0]); i++)
	{
		const struct wat_case *c = &wat_cases[i];
		size_t		len;
		uint8_t    *out = ok(c->text, &len);

		if (len != c->len || memcmp(out, c->wasm, len) != 0)
		{
			size_t		k = 0;

			while (k < len && k < c->len && out[k] == c->wasm[k])
				k++;
			free(out);
			fail_msg("case %s: %zu bytes, wat2wasm %zu; first difference at %zu",
					 c->name, len, c->len, k);
		}
		free(out);
	}
}

/* --- literals -------------------------------------------------------- */

/* Little-endian / LEB128 decode of the constant in "(func T.const X drop)". */
static uint64_t
const_bits(const uint8_t *w, size_t len, const char *type)
{
	/* header 8, type section 6, function section 4, code: id size n size locals */
	size_t		i = 8 + 6 + 4 + 5;
	uint64_t	v = 0;

	assert_true(i + 1 < len);
	i++;						/* the opcode */
	if (type[0] == 'f')
	{
		int			n = type[1] == '3' ? 4 : 8;

		for (int k = 0; k < n; k++)
			v |= (uint64_t) w[i + k] << (8 * k);
		return v;
	}
	{
		int			shift = 0;
		uint8_t		b;

		do
		{
			b = w[i++];
			v |= (uint64_t) (b & 0x7f) << shift;
			shift += 7;
		} while (b & 0x80);
		if (shift < 64 && (b & 0x40))
			v |= ~UINT64_C(0) << shift;
		return type[1] == '3' ? (v & 0xffffffffu) : v;
	}
}

static void
test_literals_match_wat2wasm(void **state)
{
	for (size_t i = 0; i < sizeof(lit_cases) / sizeof(lit_cases[0]); i++)
	{
		const struct lit_case *c = &lit_cases[i];
		char	   *text = malloc(strlen(c->text) + 64);
		uint8_t    *out;
		size_t		len;
		sf_error	err;
		sf_status	st;

		sprintf(text, "(module (func %s.const %s drop))", c->type, c->text);
		st = convert(text, strlen(text), &out, &len, &err);
		if (c->ok && st != SF_OK)
			fail_msg("%s.const %s rejected: %s", c->type, c->text, err.msg);
		if (!c->ok && st == SF_OK)
			fail_msg("%s.const %s accepted", c->type, c->text);
		if (c->ok && const_bits(out, len, c->type) != c->bits)
			fail_msg("%s.const %s: got 0x%llx, wat2wasm 0x%llx", c->type, c->text,
					 (unsigned long long) const_bits(out, len, c->type),
					 (unsigned long long) c->bits);
		free(out);
		free(text);
	}
}

/*
** wat2wasm 1.0.32 rounds 0x1.0000000000001p-1075 to 0; the exact value lies
** above half the smallest subnormal, so round-to-nearest gives 0x1 (as
** glibc's strtod and the spec's reference interpreter do).
*/
static void
test_f64_hex_rounds_above_half_subnormal_up(void **state)
{
	size_t		len;
	uint8_t    *out = ok("(func f64.const 0x1.0000000000001p-1075 drop)", &len);

	assert_int_equal(const_bits(out, len, "f64"), 1);
	free(out);
	out = ok("(func f64.const 0x1p-1075 drop)", &len);	/* a tie: to even */
	assert_int_equal(const_bits(out, len, "f64"), 0);
	free(out);
}

static void
test_literal_errors_say_why(void **state)
{
	bad_at("(func i32.const 0x1_0000_0000 drop)", "constant out of range", 1, 17);
	bad("(func i32.const -2147483649 drop)", "i32 literal does not fit");
	bad("(func i64.const 18446744073709551616 drop)", "constant out of range");
	bad("(func i32.const 1__0 drop)", "expected i32 literal but found '1__0'");
	bad("(func i32.const drop)", "expected i32 literal but found 'drop'");
	bad("(func i32.const)", "expected number but found ')'");
	bad("(func f32.const 1e39 drop)", "f32 literal rounds to infinity");
	bad("(func f64.const 0x1p1024 drop)", "f64 literal rounds to infinity");
	bad("(func f32.const nan:0x800000 drop)", "NaN payload must be in 1..0x7fffff");
	bad("(func f64.const nan:0x0 drop)", "NaN payload");
	bad("(func f32.const 1.5_ drop)", "malformed f32 literal");
	bad("(func f64.const infinity drop)", "malformed f64 literal");
	bad("(memory 0x1_0000_0000)", "u32 number does not fit");
	bad("(memory -1)", "expected u32 number but found '-1'");
	bad("(memory)", "expected limits (minimum size) but found ')'");
	bad("(func (drop (i32.load offset=4294967296 (i32.const 0))))",
		"constant out of range");
	bad("(func (drop (i32.load offset=-1 (i32.const 0))))", "malformed u32 number");
	bad("(func (drop (i32.load align=3 (i32.const 0))))", "alignment must be a power of two");
	bad("(func (drop (i32.load align=0 (i32.const 0))))", "alignment must be a power of two");
	bad("(func br 0x1_0000_0000)", "constant out of range");
}

/* --- strings --------------------------------------------------------- */

static void
test_string_escapes_and_pieces(void **state)
{
	size_t		len;
	uint8_t    *out = ok("(data \"\\t\\n\\r\\\"\\'\\\\\\00\\fF\" \"\\u{0}\\u{7f}\\u{80}\\u{ffff}\\u{10000}\" \"\" \"\xc3\xa9\")", &len);
	static const uint8_t want[] = {
		'\t', '\n', '\r', '"', '\'', '\\', 0x00, 0xff,
		0x00, 0x7f, 0xc2, 0x80, 0xef, 0xbf, 0xbf, 0xf0, 0x90, 0x80, 0x80,
		0xc3, 0xa9
	};

	/* header, data section id, size, count, flags 1 (passive), length */
	assert_true(len == 8 + 5 + sizeof(want));
	assert_int_equal(out[8], 11);
	assert_int_equal(out[11], 1);
	assert_int_equal(out[12], sizeof(want));
	assert_memory_equal(out + 13, want, sizeof(want));
	free(out);
}

static void
test_string_errors(void **state)
{
	bad_at("(data \"\\q\")", "malformed escape", 1, 8);
	bad("(data \"\\4\")", "malformed escape");
	bad("(data \"\\u{110000}\")", "not a Unicode scalar value");
	bad("(data \"\\u{d800}\")", "not a Unicode scalar value");
	bad("(data \"\\u{}\")", "malformed \\u escape");
	bad("(data \"\\u41\")", "expected '{'");
	bad("(data \"\\u{41\")", "malformed \\u escape");
	bad("(data \"a\tb\")", "control character in string");
	bad("(data \"\x7f\")", "control character in string");
	bad("(data \"\xff\")", "malformed UTF-8 encoding in string");
	bad("(data \"\xed\xa0\x80\")", "malformed UTF-8");	/* surrogate */
	bad("(data \"\xc0\x80\")", "malformed UTF-8");	/* overlong */
	bad_at("(data \"abc", "unterminated string", 1, 7);
	bad("(data \"abc\ndef\")", "unterminated string");
	bad("(func (export \"\\ff\"))", "malformed UTF-8 encoding in name");
	bad("(import \"\\80\" \"x\" (func))", "malformed UTF-8 encoding in name");
	bad("(data\"a\")", "found 'data\"a\"'");
	bad("(data \"a\"\"b\")", "expected ')' but found '\"a\"\"b\"'");
}

/* --- abbreviations and structure ---------------------------------------- */

static void
test_implicit_type_reuses_later_explicit_type(void **state)
{
	size_t		len;
	uint8_t    *out = ok("(func (param i32)) (type $t (func (param i32)))", &len);
	static const uint8_t want[] = {
		0, 'a', 's', 'm', 1, 0, 0, 0,
		1, 5, 1, 0x60, 1, 0x7f, 0,	/* one type: the explicit one */
		3, 2, 1, 0,
		10, 4, 1, 2, 0, 0x0b
	};

	assert_int_equal(len, sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
	free(out);
}

static void
test_label_shadowing_picks_innermost(void **state)
{
	size_t		len;
	uint8_t    *out = ok("(func (block $l (block $l (br $l)) (br $l)))", &len);
	/* body: block block br 0 end br 0 end end */
	static const uint8_t body[] = {0x02, 0x40, 0x02, 0x40, 0x0c, 0x00, 0x0b,
	0x0c, 0x00, 0x0b, 0x0b};

	assert_true(len > sizeof(body));
	assert_memory_equal(out + len - sizeof(body), body, sizeof(body));
	free(out);
}

static void
test_table_indices_default_to_zero(void **state)
{
	size_t		len;
	uint8_t    *out = ok("(table 1 funcref) (func (drop (table.size)) "
						 "(table.copy (i32.const 0) (i32.const 0) (i32.const 0)))", &len);
	static const uint8_t tail[] = {0xfc, 0x10, 0x00, 0x1a, 0x41, 0, 0x41, 0,
	0x41, 0, 0xfc, 0x0e, 0x00, 0x00, 0x0b};

	assert_memory_equal(out + len - sizeof(tail), tail, sizeof(tail));
	free(out);
}

static void
test_data_count_only_with_data_instructions(void **state)
{
	size_t		len;
	uint8_t    *out = ok("(memory 1) (data \"x\") (func (data.drop 0))", &len);
	int			found = 0;

	for (size_t i = 8; i + 2 < len; i++)
		if (out[i] == 12 && out[i + 1] == 1 && out[i + 2] == 1)
			found = 1;
	assert_true(found);
	free(out);
}

static void
test_structure_errors(void **state)
{
	bad_at("(func (i32.add (i32.const 1) (i32.const 2) i32.add))", "expected ')' but found 'i32.add'", 1, 44);
	bad_at("(module (func))\n  (func)", "expected end of input but found '('", 2, 3);
	bad("(module (func)", "expected ')' or a module field but found end of input");
	bad("(func (block)", "missing ')'");
	bad("(func", "missing ')'");
	bad("(module (frob))", "expected module field");
	bad("(module 1)", "expected ')' or a module field but found '1'");
	bad("func", "expected module field");
	bad(")", "expected module field");
	bad_at("(func\n  (i32.frob))", "unknown operator i32.frob", 2, 4);
	bad("(func i32.const 1 i32.const 2 i32.adx)", "unknown operator i32.adx");
	bad("(func (block $l (br $m)))", "unknown label $m");
	bad("(func (local.get $x))", "unknown local $x");
	bad("(global i32 (local.get $x))", "unknown local $x");
	bad("(func (call $f))", "unknown function $f");
	bad("(func (global.get $g))", "unknown global $g");
	bad("(func (type $t))", "unknown type $t");
	bad("(func (memory.init $d (i32.const 0) (i32.const 0) (i32.const 0)))", "unknown data segment $d");
	bad("(func (elem.drop $e))", "unknown elem segment $e");
	bad("(func (table.get $t (i32.const 0)))", "unknown table $t");
	bad("(export \"m\" (memory $m))", "unknown memory $m");
	bad("(func $f) (func $f)", "duplicate func $f");
	bad("(global $g i32 (i32.const 0)) (global $g (import \"a\" \"b\") i32)", "duplicate global $g");
	bad("(type $t (func)) (type $t (func))", "duplicate type $t");
	bad("(memory $m 0) (memory $m 0)", "duplicate memory $m");
	bad("(table $t 0 funcref) (table $t 0 funcref)", "duplicate table $t");
	bad("(elem $e func) (elem $e func)", "duplicate elem $e");
	bad("(data $d) (data $d)", "duplicate data $d");
	bad("(func (param $x i32) (local $x i32))", "duplicate local $x");
	bad("(func (param $x i32) (param $x i64))", "duplicate local $x");
	bad("(func (local $x i32) (local $x i32))", "duplicate local $x");
	bad("(func (block $a end $b))", "expected ')' but found 'end'");
	bad("(func block $a end $b)", "mismatching label $b");
	bad("(func block end $b)", "mismatching label $b");
	bad("(func i32.const 0 if $a else $b end)", "mismatching label $b");
	bad("(func end)", "expected ')' but found 'end'");
	bad("(func else)", "expected ')' but found 'else'");
	bad("(func block)", "expected 'end' but found ')'");
	bad("(func (end))", "unexpected 'end' in folded instruction");
	bad("(func (if (i32.const 0) (i32.const 1)))", "expected '(then' but found ')'");
	bad("(func (if (then) (then)))", "expected ')' but found '('");
	bad_at("(func) (import \"a\" \"b\" (func))", "import after function definition", 1, 8);
	bad("(global i32 (i32.const 0)) (func (import \"a\" \"b\"))", "import after global definition");
	bad("(memory 0) (table (import \"a\" \"b\") 0 funcref)", "import after memory definition");
	bad("(func $a) (func $b) (start $a) (start $b)", "multiple start sections");
	bad("(type $t (func (param i32))) (func (type $t) (param i64))", "inline function type does not match type 0");
	bad("(type $t (func (result i32))) (func (type $t) (param i32) (result i32))", "inline function type");
	bad("(func (type 3) (param i32))", "unknown type 3");
	bad("(type (func)) (func (call_indirect (param $x i32) (i32.const 0)))", "cannot be named");
	bad("(func (block (param $x i32)))", "cannot be named");
	bad("(func (param i33))", "expected value type but found 'i33'");
	bad("(func (result funcref externref anyref))", "expected value type but found 'anyref'");
	bad("(func (local $x))", "expected value type but found ')'");
	bad("(global (mut i32 (i32.const 0)))", "expected ')' but found '('");
	bad("(table 0)", "expected reference type but found ')'");
	bad("(table funcref)", "expected '(elem' but found ')'");
	bad("(func (ref.null any))", "expected heap type 'func' or 'extern' but found 'any'");
	bad("(func (1))", "expected instruction but found '1'");
	bad("(func (\"x\"))", "expected instruction but found '\"x\"'");
	bad("(func br_table)", "expected label but found ')'");
	bad("(func br)", "expected label but found ')'");
	bad("(func local.get)", "expected local index but found ')'");
	bad("(func call)", "expected function index but found ')'");
	bad("(func (call_indirect (type)))", "expected type index but found ')'");
	bad("(import \"a\" \"b\" (thing))", "expected 'func', 'table', 'memory' or 'global'");
	bad("(import \"a\" (func))", "expected import name string but found '('");
	bad("(export \"a\" (thing 0))", "expected 'func', 'table', 'memory' or 'global'");
	bad("(export a (func 0))", "expected name string but found 'a'");
	bad("(type (func) (func))", "expected ')' but found '('");
	bad("(type $t)", "expected '(func' but found ')'");
	bad("(elem $e)", "expected 'func' or a reference type but found ')'");
	bad("(elem (table 0) func)", "expected offset expression but found 'func'");
	bad("(data (memory 0) \"x\")", "expected offset expression but found '\"x\"'");
	bad("(func {)", "expected ')' but found '{'");
	bad("(func $)", "expected ')' but found '$'");
	bad("(func ; )", "expected ')' but found ';'");
	bad("(module quote \"\")", "expected ')' or a module field but found 'quote'");
}

static void
test_comments(void **state)
{
	size_t		len;
	uint8_t    *out = ok(";; a\n(;(;nested;);) (module ;;x\n (func (;in;) nop (; ;))) ;; tail", &len);

	free(out);
	bad_at("(module) (; never closed", "unclosed block comment", 1, 10);
	bad("(module) (; (; ;)", "unclosed block comment");
	bad("(module) ;)", "expected end of input but found ';'");
}

static void
test_positions_count_lines_and_columns(void **state)
{
	const char *text = "(module\n  (func\n    (i32.const 1)\n    (bogus)))";
	uint8_t    *out;
	size_t		len;
	sf_error	err;

	assert_int_equal(convert(text, strlen(text), &out, &len, &err), SF_MALFORMED);
	assert_string_equal(err.msg, "4:6: unknown operator bogus");
	assert_int_equal(err.offset, strstr(text, "bogus") - text);
}

/* --- caps and hostile input ----------------------------------------- */

static void
test_nesting_is_capped(void **state)
{
	size_t		n = 200000;
	char	   *text = malloc(n * 16 + 64);
	char	   *p = text;
	uint8_t    *out;
	size_t		len;
	sf_error	err;

	/* folded: "(func" + n times "(block" */
	p += sprintf(p, "(func ");
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "(block ");
	*p = '\0';
	assert_int_equal(convert(text, strlen(text), &out, &len, &err), SF_MALFORMED);
	assert_non_null(strstr(err.msg, "missing ')'"));

	/* balanced, so pass 1 accepts it and the cap has to catch it */
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, ")");
	p += sprintf(p, ")");
	assert_int_equal(convert(text, strlen(text), &out, &len, &err), SF_MALFORMED);
	assert_non_null(strstr(err.msg, "nesting too deep: more than 1000 levels"));

	/* plain blocks */
	p = text + sprintf(text, "(func ");
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "block ");
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "end ");
	sprintf(p, ")");
	assert_int_equal(convert(text, strlen(text), &out, &len, &err), SF_MALFORMED);
	assert_non_null(strstr(err.msg, "nesting too deep"));

	/* parentheses outside any function */
	memset(text, '(', n);
	text[n] = '\0';
	assert_int_equal(convert(text, n, &out, &len, &err), SF_MALFORMED);
	free(text);
}

static void
test_nesting_just_below_cap_is_fine(void **state)
{
	char	   *text = malloc(1000 * 16 + 64);
	char	   *p = text;
	size_t		len;
	uint8_t    *out;

	p += sprintf(p, "(func ");
	for (int i = 0; i < 999; i++)
		p += sprintf(p, "(block ");
	for (int i = 0; i < 999; i++)
		p += sprintf(p, ")");
	sprintf(p, ")");
	out = ok(text, &len);
	free(out);
	free(text);
}

static void
test_bad_arguments(void **state)
{
	uint8_t    *out;
	size_t		len;
	sf_error	err;

	assert_int_equal(sf_wat_to_wasm(NULL, 5, &out, &len, &err), SF_BADARG);
	assert_int_equal(sf_wat_to_wasm("(module)", 8, NULL, &len, &err), SF_BADARG);
	assert_int_equal(sf_wat_to_wasm("(module)", 8, &out, NULL, NULL), SF_BADARG);
	/* NULL error pointer and NULL empty text are fine */
	assert_int_equal(sf_wat_to_wasm(NULL, 0, &out, &len, NULL), SF_OK);
	assert_int_equal(len, 8);
	free(out);
	assert_int_equal(sf_wat_to_wasm("(bogus)", 7, &out, &len, NULL), SF_MALFORMED);
}

static void
test_text_is_not_nul_terminated(void **state)
{
	/* only 'len' bytes are read: the trailing junk must be ignored */
	const char	text[] = "(module)JUNK";
	uint8_t    *out;
	size_t		len;
	sf_error	err;

	assert_int_equal(convert(text, 8, &out, &len, &err), SF_OK);
	free(out);
	assert_int_equal(convert(text, 5, &out, &len, &err), SF_MALFORMED);
	assert_non_null(strstr(err.msg, "found 'modu'"));
	assert_int_equal(convert(text, 7, &out, &len, &err), SF_MALFORMED);
	assert_non_null(strstr(err.msg, "found end of input"));
	/* an embedded NUL is just a bad character */
	assert_int_equal(convert("(mod\0ule)", 9, &out, &len, &err), SF_MALFORMED);
}

/*
** Fuzzing found a hang: a lexical error (here an unterminated string) right
** after a value type in a list left the current token in place, and the
** list loop spun on it forever.  Every such list must stop.
*/
static void
test_lexer_error_inside_lists_stops(void **state)
{
	static const char *const texts[] = {
		"(type (func (param i32 \"",
		"(type (func (result i32 \"",
		"(type (func (param i32 (;",
		"(func (local i32 \"",
		"(func br_table 0 0 \"",
		"(elem func 0 1 \"",
		"(data \"a\" \"b",
		"(func (select (result i32 \"",
		"(func (param $x i32 \"",
		"(func (block (result i32 i64 \"",
		"(func i32.const 0 \"",
		"(module \"",
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
	{
		uint8_t    *out;
		size_t		len;
		sf_error	err;

		assert_int_equal(convert(texts[i], strlen(texts[i]), &out, &len, &err),
						 SF_MALFORMED);
		if (strstr(err.msg, "unterminated string") == NULL &&
			strstr(err.msg, "unclosed block comment") == NULL)
			fail_msg("'%s': %s", texts[i], err.msg);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trips_match_wat2wasm),
		cmocka_unit_test(test_literals_match_wat2wasm),
		cmocka_unit_test(test_f64_hex_rounds_above_half_subnormal_up),
		cmocka_unit_test(test_literal_errors_say_why),
		cmocka_unit_test(test_string_escapes_and_pieces),
		cmocka_unit_test(test_string_errors),
		cmocka_unit_test(test_implicit_type_reuses_later_explicit_type),
		cmocka_unit_test(test_label_shadowing_picks_innermost),
		cmocka_unit_test(test_table_indices_default_to_zero),
		cmocka_unit_test(test_data_count_only_with_data_instructions),
		cmocka_unit_test(test_structure_errors),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_positions_count_lines_and_columns),
		cmocka_unit_test(test_nesting_is_capped),
		cmocka_unit_test(test_nesting_just_below_cap_is_fine),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_text_is_not_nul_terminated),
		cmocka_unit_test(test_lexer_error_inside_lists_stops),
	};

	/* a hang (the bug class fuzzing found) fails the run instead */
	alarm(120);

	return cmocka_run_group_tests(tests, NULL, NULL);
}
