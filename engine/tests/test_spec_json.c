/*
** test_spec_json.c -- the spec runner's JSON reader and value helpers.
**
** spec_json.c is not part of the engine library, so it is compiled in here.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "spec_json.c"

static json *
parse(const char *text, char *why)
{
	return json_parse(text, strlen(text), why, 256);
}

static void
json_shapes(void **state)
{
	char		why[256];
	json	   *j = parse(" {\"a\": [1, -2.5e1, true, false, null], \"b\": {\"c\": \"d\"}} ", why);
	const json *a;

	assert_non_null(j);
	a = json_get(j, "a");
	assert_int_equal(a->type, JSON_ARRAY);
	assert_int_equal(a->n, 5);
	assert_true(a->items[1]->num == -25.0);
	assert_true(a->items[2]->b);
	assert_int_equal(a->items[4]->type, JSON_NULL);
	assert_string_equal(json_str(json_get(j, "b"), "c"), "d");
	assert_null(json_get(j, "zz"));
	assert_null(json_str(j, "a"));
	json_free(j);
}

static void
json_strings(void **state)
{
	char		why[256];
	json	   *j = parse("[\"a\\u0000b\", \"\\u00e9\\ud83d\\ude00\\n\\\"\"]", why);

	assert_non_null(j);
	assert_int_equal(j->items[0]->len, 3);
	assert_memory_equal(j->items[0]->str, "a\0b", 3);
	assert_string_equal(j->items[1]->str, "\xc3\xa9\xf0\x9f\x98\x80\n\"");
	json_free(j);
}

static void
json_errors(void **state)
{
	static const char *const bad[] = {
		"", "{", "[1,]", "{\"a\" 1}", "\"abc", "[1] x", "\"\\q\"", "\"\\u12\"", "tru",
	};
	char		why[256];
	char		deep[200];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
	{
		json	   *j = parse(bad[i], why);

		if (j)
			fail_msg("accepted bad JSON '%s'", bad[i]);
		assert_true(why[0] != '\0');
	}
	memset(deep, '[', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = '\0';
	assert_null(parse(deep, why));
	assert_string_equal(why, "nesting too deep");
}

static spec_value
value(const char *text)
{
	char		why[256];
	json	   *j = parse(text, why);
	spec_value	v;

	assert_non_null(j);
	if (!spec_parse_value(j, &v, why, sizeof(why)))
		fail_msg("value %s: %s", text, why);
	json_free(j);
	return v;
}

static void
values(void **state)
{
	char		why[256];
	json	   *j;
	spec_value	v;

	v = value("{\"type\": \"i32\", \"value\": \"4294967295\"}");
	assert_int_equal(v.type, SF_I32);
	assert_int_equal(v.bits, UINT32_MAX);
	v = value("{\"type\": \"f64\", \"value\": \"nan:canonical\"}");
	assert_int_equal(v.nan, SPEC_NAN_CANONICAL);
	v = value("{\"type\": \"externref\", \"value\": \"null\"}");
	assert_true(v.is_null);
	v = value("{\"type\": \"funcref\"}");
	assert_true(v.any);
	j = parse("{\"type\": \"i32\", \"value\": \"4294967296\"}", why);
	assert_false(spec_parse_value(j, &v, why, sizeof(why)));
	json_free(j);
	j = parse("{\"type\": \"v128\", \"value\": \"0\"}", why);
	assert_false(spec_parse_value(j, &v, why, sizeof(why)));
	assert_non_null(strstr(why, "unsupported value type v128"));
	json_free(j);
}

static void
matching(void **state)
{
	spec_value	canon = value("{\"type\": \"f32\", \"value\": \"nan:canonical\"}");
	spec_value	arith = value("{\"type\": \"f32\", \"value\": \"nan:arithmetic\"}");
	spec_value	ext = value("{\"type\": \"externref\", \"value\": \"0\"}");
	spec_value	i64 = value("{\"type\": \"i64\", \"value\": \"18446744073709551615\"}");
	sf_val		g = {.type = SF_F32};

	g.of.f32_bits = 0x7fc00000;
	assert_true(spec_value_matches(&canon, &g));
	assert_true(spec_value_matches(&arith, &g));
	g.of.f32_bits = 0xffc00000;		/* the sign does not matter */
	assert_true(spec_value_matches(&canon, &g));
	g.of.f32_bits = 0x7fc00001;		/* arithmetic, not canonical */
	assert_false(spec_value_matches(&canon, &g));
	assert_true(spec_value_matches(&arith, &g));
	g.of.f32_bits = 0x7f800001;		/* signalling */
	assert_false(spec_value_matches(&arith, &g));
	g.of.f32_bits = 0x7f800000;		/* infinity */
	assert_false(spec_value_matches(&arith, &g));

	/* externref N is host value N + 1, so ref.extern 0 is not null */
	spec_value_to_sf(&ext, &g);
	assert_int_equal(g.of.externref, 1);
	assert_true(spec_value_matches(&ext, &g));
	g.of.externref = SF_EXTERNREF_NULL;
	assert_false(spec_value_matches(&ext, &g));

	spec_value_to_sf(&i64, &g);
	assert_int_equal(g.of.i64, -1);
	assert_true(spec_value_matches(&i64, &g));
	g.type = SF_F64;
	assert_false(spec_value_matches(&i64, &g));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_shapes),
		cmocka_unit_test(json_strings),
		cmocka_unit_test(json_errors),
		cmocka_unit_test(values),
		cmocka_unit_test(matching),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
