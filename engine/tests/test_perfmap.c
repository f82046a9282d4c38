/*
** test_perfmap.c -- where compiled functions are (sf_module_code_range)
** and perf's map of them (sf_perfmap_write, /tmp/perf-<pid>.map), read
** back and checked line by line.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "slackfuel.h"
#include "wasmbuild.h"

static tmod t;
static wbuf w;
static char map_path[64];

/*
** One import, then three defined functions (1, 2, 3); the name section
** names 2 "middle" and 3 "bad\nname" (a newline must not break the map).
*/
static sf_module *
three_funcs(void)
{
	wbuf		names = {.n = 0};
	wbuf		sub = {.n = 0};
	sf_module  *m;
	sf_error	err;

	tm_init(&t);
	tm_type(&t, "i", "i");
	tm_import_func(&t, "env", "f", 0);
	tm_func(&t, 0, "", "\x20\x00\x0b");
	tm_func(&t, 0, "", "\x20\x00\x41\x01\x6a\x0b");
	tm_func(&t, 0, "", "\x20\x00\x20\x00\x6c\x41\x07\x6a\x0b");
	tm_build(&t, &w);
	wb_u32(&sub, 2);
	wb_u32(&sub, 2);
	wb_name(&sub, "middle");
	wb_u32(&sub, 3);
	wb_name(&sub, "bad\nname");
	wb_name(&names, "name");
	wb_u8(&names, 1);
	wb_u32(&names, (uint32_t) sub.n);
	wb_bytes(&names, sub.b, sub.n);
	tm_section(&w, 0, &names);
	m = sf_module_load(w.b, w.n, NULL, &err);
	assert_non_null(m);
	return m;
}

static char *
read_map(void)
{
	FILE	   *f = fopen(map_path, "r");
	static char buf[8192];
	size_t		n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void
ranges_of_compiled_functions(void **state)
{
	sf_module  *m = three_funcs();
	sf_code_range r[3];
	sf_error	err;

	assert_int_equal(sf_module_num_code_ranges(m), 0);	/* not compiled */
	assert_int_equal(sf_module_compile(m, &err), SF_OK);
	assert_int_equal(sf_module_num_code_ranges(m), 3);
	for (uint32_t i = 0; i < 3; i++)
	{
		sf_module_code_range(m, i, &r[i]);
		assert_int_equal(r[i].func_index, i + 1);
		assert_non_null(r[i].start);
		assert_true(r[i].size > 0 && r[i].size < 4096);
		if (i > 0)				/* in order, not overlapping */
			assert_true((const uint8_t *) r[i - 1].start + r[i - 1].size <=
						(const uint8_t *) r[i].start);
	}
	assert_null(r[0].name);
	assert_string_equal(r[1].name, "middle");
	assert_string_equal(r[2].name, "bad\nname");
	sf_module_free(m);
}

/* Parse "START SIZE NAME" lines into the arrays; returns the line count. */
static int
parse_map(char *text, uintptr_t *start, size_t *size, char names[][64], int max)
{
	int			n = 0;

	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
	{
		unsigned long s;
		unsigned long z;
		int			used = 0;

		assert_true(n < max);
		assert_int_equal(sscanf(line, "%lx %lx %n", &s, &z, &used), 2);
		assert_true(used > 0);
		start[n] = (uintptr_t) s;
		size[n] = (size_t) z;
		snprintf(names[n], 64, "%s", line + used);
		n++;
	}
	return n;
}

static void
map_names_every_function(void **state)
{
	sf_module  *m = three_funcs();
	sf_error	err;
	uintptr_t	start[8];
	size_t		size[8];
	char		names[8][64];
	sf_code_range r;
	FILE	   *f;

	/* A file an earlier process with our pid left: emptied on first write. */
	f = fopen(map_path, "w");
	assert_non_null(f);
	fputs("1000 10 stale\n", f);
	fclose(f);

	assert_int_equal(sf_perfmap_write(m, "uncompiled", &err), SF_OK);
	assert_int_equal(sf_module_compile(m, &err), SF_OK);
	assert_int_equal(sf_perfmap_write(m, "my\tmod", &err), SF_OK);
	assert_int_equal(parse_map(read_map(), start, size, names, 8), 3);
	for (uint32_t i = 0; i < 3; i++)
	{
		sf_module_code_range(m, i, &r);
		assert_true(start[i] == (uintptr_t) r.start);
		assert_int_equal(size[i], r.size);
	}
	assert_string_equal(names[0], "wasm:my?mod:1");
	assert_string_equal(names[1], "wasm:my?mod:2:middle");
	assert_string_equal(names[2], "wasm:my?mod:3:bad?name");

	/* Later modules are appended. */
	assert_int_equal(sf_perfmap_write(m, "again", &err), SF_OK);
	assert_int_equal(parse_map(read_map(), start, size, names, 8), 6);
	assert_string_equal(names[0], "wasm:my?mod:1");
	assert_string_equal(names[5], "wasm:again:3:bad?name");
	sf_module_free(m);
	unlink(map_path);
}

/* A symbolic link at the map's path is not followed. */
static void
map_refuses_symlink(void **state)
{
	sf_module  *m = three_funcs();
	sf_error	err;
	char		target[] = "/tmp/test_perfmap_target.XXXXXX";
	int			fd = mkstemp(target);
	struct stat st;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "keep\n", 5), 5);
	close(fd);
	unlink(map_path);
	assert_int_equal(symlink(target, map_path), 0);
	assert_int_equal(sf_module_compile(m, &err), SF_OK);
	assert_int_equal(sf_perfmap_write(m, "x", &err), SF_BADARG);
	assert_non_null(strstr(err.msg, "symbolic link"));
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_size, 5);
	unlink(map_path);
	unlink(target);

	/* A directory there (not a regular file) is refused too. */
	assert_int_equal(mkdir(map_path, 0700), 0);
	assert_int_not_equal(sf_perfmap_write(m, "x", &err), SF_OK);
	rmdir(map_path);
	sf_module_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ranges_of_compiled_functions),
		cmocka_unit_test(map_names_every_function),
		cmocka_unit_test(map_refuses_symlink),
	};

	snprintf(map_path, sizeof(map_path), "/tmp/perf-%ld.map", (long) getpid());
	return cmocka_run_group_tests(tests, NULL, NULL);
}
