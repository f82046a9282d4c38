/*
** test_wasi.c -- the WASI preview 1 subset (engine/wasi.c) through wasm:
** every function with good and hostile arguments (pointers and lengths
** outside memory, huge counts, descriptors that are not open), line
** buffering and cutting, fuel charges, interrupts, proc_exit, import checks.
**
** One module imports all the functions, each under its witx type (typed
** out here again, independently of the engine's table), and exports a
** wrapper "w.NAME" that passes its parameters through; the tests write
** arguments into its memory and call the wrappers.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "slackfuel.h"
#include "testwat.h"

#define ENOTCAPABLE 76
#define EBADF 8
#define EINVAL 28

static const struct
{
	const char *name, *params, *results;
}			sigs[] = {
	{"args_get", "ii", "i"}, {"args_sizes_get", "ii", "i"},
	{"environ_get", "ii", "i"}, {"environ_sizes_get", "ii", "i"},
	{"clock_res_get", "ii", "i"}, {"clock_time_get", "iIi", "i"},
	{"fd_advise", "iIIi", "i"}, {"fd_allocate", "iII", "i"},
	{"fd_close", "i", "i"}, {"fd_datasync", "i", "i"},
	{"fd_fdstat_get", "ii", "i"}, {"fd_fdstat_set_flags", "ii", "i"},
	{"fd_fdstat_set_rights", "iII", "i"}, {"fd_filestat_get", "ii", "i"},
	{"fd_filestat_set_size", "iI", "i"}, {"fd_filestat_set_times", "iIIi", "i"},
	{"fd_pread", "iiiIi", "i"}, {"fd_prestat_get", "ii", "i"},
	{"fd_prestat_dir_name", "iii", "i"}, {"fd_pwrite", "iiiIi", "i"},
	{"fd_read", "iiii", "i"}, {"fd_readdir", "iiiIi", "i"},
	{"fd_renumber", "ii", "i"}, {"fd_seek", "iIii", "i"},
	{"fd_sync", "i", "i"}, {"fd_tell", "ii", "i"}, {"fd_write", "iiii", "i"},
	{"path_create_directory", "iii", "i"}, {"path_filestat_get", "iiiii", "i"},
	{"path_filestat_set_times", "iiiiIIi", "i"}, {"path_link", "iiiiiii", "i"},
	{"path_open", "iiiiiIIii", "i"}, {"path_readlink", "iiiiii", "i"},
	{"path_remove_directory", "iii", "i"}, {"path_rename", "iiiiii", "i"},
	{"path_symlink", "iiiii", "i"}, {"path_unlink_file", "iii", "i"},
	{"poll_oneoff", "iiii", "i"}, {"proc_exit", "i", ""},
	{"proc_raise", "i", "i"}, {"sched_yield", "", "i"},
	{"random_get", "ii", "i"}, {"sock_accept", "iii", "i"},
	{"sock_recv", "iiiiii", "i"}, {"sock_send", "iiiii", "i"},
	{"sock_shutdown", "ii", "i"},
};

#define NSIGS (sizeof(sigs) / sizeof(sigs[0]))

/* ---- the host side: what the guest printed, a fake clock and random --------------- */

typedef struct host
{
	char		out[1 << 16];	/* "fd:text|" or "fd:text~" (cut or flushed) per line */
	size_t		out_len;
	int			lines;
	int			fail_output;	/* output returns -1 */
	int			interrupt_at;	/* request an interrupt at this line (1-based) */
	uint64_t	random_bytes;
	int			random_calls;
	size_t		random_max_chunk;
} host;

static int
h_output(void *env, int fd, const char *data, size_t len, int eol)
{
	host	   *h = env;

	if (h->fail_output)
		return -1;
	h->lines++;
	if (h->interrupt_at && h->lines == h->interrupt_at)
		sf_request_interrupt();
	if (h->out_len + len + 4 < sizeof(h->out))
		h->out_len += (size_t) snprintf(h->out + h->out_len, sizeof(h->out) - h->out_len,
										"%d:%.*s%c", fd, (int) len, data, eol ? '|' : '~');
	return 0;
}

static int
h_clock(void *env, uint32_t id, uint64_t *time_ns, uint64_t *resolution_ns)
{
	if (time_ns)
		*time_ns = 1000000000ull * 1700000000ull + id;
	else
		*resolution_ns = 1000;
	return 0;
}

static int
h_random(void *env, void *buf, size_t len)
{
	host	   *h = env;

	memset(buf, 0xa5, len);
	h->random_bytes += len;
	h->random_calls++;
	if (len > h->random_max_chunk)
		h->random_max_chunk = len;
	return 0;
}

static int
h_random_fails(void *env, void *buf, size_t len)
{
	return -1;
}

/* ---- the guest: every function behind a wrapper ---------------------------------- */

typedef struct guest
{
	host		h;
	sf_module  *m;
	sf_store   *s;
	sf_wasi    *w;
	sf_instance *inst;
	uint8_t    *mem;
	sf_error	err;
	sf_call_opts opts;
	int			limited;
} guest;

static const char *
wat_type(char l)
{
	return l == 'I' ? "i64" : "i32";
}

/* The module: all imports, 'pages' of memory (0: none), a wrapper each. */
static char *
module_text(int pages)
{
	size_t		cap = 1 << 16, n = 0;
	char	   *t = malloc(cap);

	n += (size_t) snprintf(t + n, cap - n, "(module\n");
	for (size_t i = 0; i < NSIGS; i++)
	{
		n += (size_t) snprintf(t + n, cap - n, "(import \"wasi_snapshot_preview1\" \"%s\" (func $%s",
							   sigs[i].name, sigs[i].name);
		for (const char *p = sigs[i].params; *p; p++)
			n += (size_t) snprintf(t + n, cap - n, " (param %s)", wat_type(*p));
		if (sigs[i].results[0])
			n += (size_t) snprintf(t + n, cap - n, " (result i32)");
		n += (size_t) snprintf(t + n, cap - n, "))\n");
	}
	if (pages)
		n += (size_t) snprintf(t + n, cap - n, "(memory (export \"memory\") %d)\n", pages);
	for (size_t i = 0; i < NSIGS; i++)
	{
		int			k = 0;

		n += (size_t) snprintf(t + n, cap - n, "(func (export \"w.%s\")", sigs[i].name);
		for (const char *p = sigs[i].params; *p; p++)
			n += (size_t) snprintf(t + n, cap - n, " (param %s)", wat_type(*p));
		if (sigs[i].results[0])
			n += (size_t) snprintf(t + n, cap - n, " (result i32)");
		for (const char *p = sigs[i].params; *p; p++)
			n += (size_t) snprintf(t + n, cap - n, " (local.get %d)", k++);
		n += (size_t) snprintf(t + n, cap - n, " (call $%s))\n", sigs[i].name);
	}
	snprintf(t + n, cap - n, ")\n");
	return t;
}

static guest *
guest_new_cfg(int pages, sf_fuel_mode mode, const sf_wasi_host *hh)
{
	guest	   *g = calloc(1, sizeof(*g));
	char	   *text = module_text(pages);
	sf_config	cfg;
	uint32_t	n;
	sf_extern  *imports;
	sf_wasi_host wh = {&g->h, h_output, h_clock, h_random, 16};

	sf_config_default(&cfg);
	cfg.fuel_mode = mode;
	g->m = load_wat_cfg(text, &cfg);
	free(text);
	if (hh)
	{
		wh = *hh;
		wh.env = &g->h;
	}
	g->s = sf_store_new(NULL, &g->err);
	assert_non_null(g->s);
	g->w = sf_wasi_new(g->s, &wh, &g->err);
	assert_non_null(g->w);
	n = sf_module_num_imports(g->m);
	imports = calloc(n, sizeof(sf_extern));
	for (uint32_t i = 0; i < n; i++)
	{
		sf_import_desc d;

		sf_module_import(g->m, i, &d);
		if (sf_wasi_import(g->w, &d, &imports[i], &g->err) != SF_OK)
			fail_msg("import %u: %s", i, g->err.msg);
	}
	g->inst = sf_instance_new(g->s, g->m, imports, n, &g->err);
	free(imports);
	if (g->inst == NULL)
		fail_msg("instantiate: %s", g->err.msg);
	if (pages)
		g->mem = sf_memory_data(sf_instance_memory(g->inst));
	return g;
}

static guest *
guest_new(void)
{
	return guest_new_cfg(1, SF_FUEL_SLACKED, NULL);
}

static void
guest_free(guest *g)
{
	sf_store_free(g->s);
	sf_wasi_free(g->w);
	sf_module_free(g->m);
	free(g);
}

/*
** Call wrapper 'name' with the arguments as 64-bit numbers; returns its
** errno result, or -1 with g->err set when the call trapped.
*/
static int
wc(guest *g, const char *name, ...)
{
	char		ex[64];
	sf_extern	fx;
	sf_functype ft;
	sf_val		args[16], res;
	va_list		ap;
	sf_status	st;

	snprintf(ex, sizeof(ex), "w.%s", name);
	if (sf_instance_export(g->inst, ex, strlen(ex), &fx) != SF_OK)
		fail_msg("no export %s", ex);
	sf_func_type(fx.of.func, &ft);
	va_start(ap, name);
	for (uint32_t i = 0; i < ft.nparams; i++)
	{
		uint64_t	v = va_arg(ap, uint64_t);

		memset(&args[i], 0, sizeof(args[i]));
		args[i].type = ft.params[i];
		if (ft.params[i] == SF_I64)
			args[i].of.i64 = (int64_t) v;
		else
			args[i].of.i32 = (int32_t) (uint32_t) v;
	}
	va_end(ap);
	st = sf_call(fx.of.func, args, ft.nparams, &res, ft.nresults,
				 g->limited ? &g->opts : NULL, &g->err);
	if (st != SF_OK)
		return -1;
	return ft.nresults ? res.of.i32 : 0;
}

#define A(x) ((uint64_t) (x))

static void
put32(guest *g, uint32_t at, uint32_t v)
{
	memcpy(g->mem + at, &v, 4);
}

static uint32_t
get32(guest *g, uint32_t at)
{
	uint32_t	v;

	memcpy(&v, g->mem + at, 4);
	return v;
}

static uint64_t
get64(guest *g, uint32_t at)
{
	uint64_t	v;

	memcpy(&v, g->mem + at, 8);
	return v;
}

/* An iovec at 'at' for 'text' placed at 'data'. */
static void
iov(guest *g, uint32_t at, uint32_t data, const char *text)
{
	memcpy(g->mem + data, text, strlen(text));
	put32(g, at, data);
	put32(g, at + 4, (uint32_t) strlen(text));
}

static int
write_text(guest *g, int fd, const char *text)
{
	iov(g, 0, 1024, text);
	return wc(g, "fd_write", A(fd), A(0), A(1), A(16));
}

/* ---- output ---------------------------------------------------------------------- */

static void
test_write_lines(void **state)
{
	guest	   *g = guest_new();

	assert_int_equal(write_text(g, 1, "ab"), 0);
	assert_int_equal(get32(g, 16), 2);
	assert_int_equal(g->h.lines, 0);	/* buffered until the newline */
	assert_int_equal(write_text(g, 1, "c\nde\n"), 0);
	assert_int_equal(write_text(g, 2, "err\n"), 0);
	assert_int_equal(write_text(g, 1, "f"), 0);
	assert_string_equal(g->h.out, "1:abc|1:de|2:err|");
	assert_int_equal(sf_wasi_flush(g->w), 0);
	assert_string_equal(g->h.out, "1:abc|1:de|2:err|1:f~");
	/* several iovecs, an empty one among them */
	iov(g, 0, 1024, "one ");
	iov(g, 8, 1100, "");
	iov(g, 16, 1200, "two\nthree\n");
	assert_int_equal(wc(g, "fd_write", A(2), A(0), A(3), A(64)), 0);
	assert_int_equal(get32(g, 64), 14);
	assert_string_equal(g->h.out, "1:abc|1:de|2:err|1:f~2:one two|2:three|");
	guest_free(g);
}

/* A line longer than max_line (16 here) is cut, never split inside a UTF-8 character. */
static void
test_write_long_lines(void **state)
{
	guest	   *g = guest_new();

	assert_int_equal(write_text(g, 1, "0123456789abcdefXYZ\n"), 0);
	assert_string_equal(g->h.out, "1:0123456789abcdef~1:XYZ|");
	g->h.out_len = 0;
	g->h.out[0] = '\0';
	/* 15 ASCII bytes, then U+00E9 (2 bytes), then U+20AC (3 bytes) */
	assert_int_equal(write_text(g, 1, "0123456789abcde\xc3\xa9" "0123456789abc\xe2\x82\xac!\n"), 0);
	assert_string_equal(g->h.out, "1:0123456789abcde~1:\xc3\xa9" "0123456789abc~1:\xe2\x82\xac!|");
	guest_free(g);
}

static void
test_write_descriptors(void **state)
{
	guest	   *g = guest_new();

	assert_int_equal(write_text(g, 0, "x\n"), ENOTCAPABLE);	/* stdin is not writable */
	assert_int_equal(write_text(g, 3, "x\n"), EBADF);
	assert_int_equal(write_text(g, -1, "x\n"), EBADF);
	assert_int_equal(write_text(g, 1, "partial"), 0);
	assert_int_equal(wc(g, "fd_close", A(1)), 0);	/* flushes it */
	assert_string_equal(g->h.out, "1:partial~");
	assert_int_equal(write_text(g, 1, "x\n"), EBADF);
	assert_int_equal(wc(g, "fd_close", A(1)), EBADF);
	assert_int_equal(wc(g, "fd_close", A(3)), EBADF);
	assert_int_equal(wc(g, "fd_fdstat_get", A(1), A(64)), EBADF);
	assert_int_equal(write_text(g, 2, "still\n"), 0);
	assert_string_equal(g->h.out, "1:partial~2:still|");
	guest_free(g);
}

/* Pointers and lengths outside memory trap, naming the argument, and write nothing. */
static void
test_write_hostile(void **state)
{
	guest	   *g = guest_new();

	put32(g, 64, 0x77777777);
	/* the iovec array itself outside memory */
	assert_int_equal(wc(g, "fd_write", A(1), A(65536 - 4), A(1), A(64)), -1);
	assert_int_equal(g->err.trap, SF_TRAP_HOST);
	assert_non_null(strstr(g->err.msg, "wasi fd_write: iovec array"));
	assert_int_equal(wc(g, "fd_write", A(1), A(0), A(0xffffffffu), A(64)), -1);
	assert_non_null(strstr(g->err.msg, "iovec array"));
	assert_int_equal(wc(g, "fd_write", A(1), A(0xfffffff8u), A(1), A(64)), -1);
	/* one buffer outside memory: the one before it is not written either */
	iov(g, 0, 1024, "fine\n");
	put32(g, 8, 65530);
	put32(g, 12, 7);
	assert_int_equal(wc(g, "fd_write", A(1), A(0), A(2), A(64)), -1);
	assert_non_null(strstr(g->err.msg, "iovec 1 [0xfffa, +7) is outside linear memory (65536 bytes)"));
	put32(g, 8, 0);
	put32(g, 12, 0xffffffffu);
	assert_int_equal(wc(g, "fd_write", A(1), A(0), A(2), A(64)), -1);
	/* the result pointer */
	assert_int_equal(wc(g, "fd_write", A(1), A(0), A(1), A(65533)), -1);
	assert_non_null(strstr(g->err.msg, "result pointer"));
	assert_int_equal(g->h.lines, 0);
	assert_int_equal(get32(g, 64), 0x77777777);
	/* the last 4 bytes of memory are fine */
	assert_int_equal(wc(g, "fd_write", A(1), A(0), A(1), A(65532)), 0);
	assert_int_equal(get32(g, 65532), 5);
	assert_string_equal(g->h.out, "1:fine|");
	guest_free(g);
}

/* Overlapping iovecs can add up past 4 GiB: EINVAL (the count is a u32), nothing written. */
static void
test_write_total_too_large(void **state)
{
	guest	   *g = guest_new_cfg(9, SF_FUEL_SLACKED, NULL);
	uint32_t	n = 65537;

	for (uint32_t i = 0; i < n; i++)
	{
		put32(g, 8 * i, 0);
		put32(g, 8 * i + 4, 65536);
	}
	assert_int_equal(wc(g, "fd_write", A(1), A(0), A(n), A(8 * n)), EINVAL);
	assert_int_equal(g->h.lines, 0);
	guest_free(g);
}

static void
test_write_output_fails(void **state)
{
	guest	   *g = guest_new();

	g->h.fail_output = 1;
	assert_int_equal(write_text(g, 1, "x\n"), -1);
	assert_int_equal(g->err.trap, SF_TRAP_HOST);
	assert_non_null(strstr(g->err.msg, "wasi fd_write: the host's output failed"));
	guest_free(g);
}

/* No output callback: output goes nowhere, the writes still succeed. */
static void
test_write_nowhere(void **state)
{
	sf_wasi_host hh = {NULL, NULL, NULL, NULL, 0};
	guest	   *g = guest_new_cfg(1, SF_FUEL_SLACKED, &hh);

	assert_int_equal(write_text(g, 1, "lost\n"), 0);
	assert_int_equal(get32(g, 16), 5);
	assert_int_equal(g->h.lines, 0);
	guest_free(g);
}

/*
** Fuel: a write costs 1 + sf_fuel_for_bytes of its bytes (iovec array and
** result included), charged before anything is written; out of
** fuel writes nothing.
*/
static void
test_write_fuel(void **state)
{
	guest	   *g = guest_new_cfg(2, SF_FUEL_PRECISE, NULL);
	char		big[4001];
	uint64_t	base, with_text;

	memset(big, 'x', 4000);
	big[3999] = '\n';
	big[4000] = '\0';
	g->limited = 1;
	g->opts.fuel_limit = 1000000;
	assert_int_equal(write_text(g, 1, "\n"), 0);
	base = sf_last_fuel_consumed();
	assert_int_equal(write_text(g, 1, big), 0);
	with_text = sf_last_fuel_consumed();
	/* the iovec array (8 bytes) the same either way; text + result: 4004 vs 5 */
	assert_int_equal(with_text - base, sf_fuel_for_bytes(4004) - sf_fuel_for_bytes(5));
	assert_int_equal(g->h.lines, 1 + 250);	/* 4000 bytes in lines cut at 16 */
	g->opts.fuel_limit = base + 400;
	assert_int_equal(write_text(g, 1, big), -1);
	assert_int_equal(g->err.trap, SF_TRAP_OUT_OF_FUEL);
	assert_int_equal(g->h.lines, 1 + 250);
	guest_free(g);
}

/* An interrupt requested while a long write runs stops it between chunks. */
static void
test_write_interrupted(void **state)
{
	guest	   *g = guest_new_cfg(8, SF_FUEL_OFF, NULL);
	uint32_t	len = 400000;

	for (uint32_t i = 0; i < len; i++)
		g->mem[1024 + i] = (i % 10 == 9) ? '\n' : 'a';
	put32(g, 0, 1024);
	put32(g, 4, len);
	g->h.interrupt_at = 1;
	assert_int_equal(wc(g, "fd_write", A(1), A(0), A(1), A(16)), -1);
	assert_int_equal(g->err.trap, SF_TRAP_INTERRUPTED);
	assert_true(g->h.lines <= 65536 / 10 + 1);
	assert_true(g->h.lines >= 1);
	sf_clear_interrupt();
	guest_free(g);
}

/* ---- reading, descriptor state, refusals ----------------------------------------- */

static void
test_read_stdin(void **state)
{
	guest	   *g = guest_new();

	put32(g, 0, 100);
	put32(g, 4, 50);
	put32(g, 16, 99);
	assert_int_equal(wc(g, "fd_read", A(0), A(0), A(1), A(16)), 0);
	assert_int_equal(get32(g, 16), 0);		/* end of file */
	assert_int_equal(wc(g, "fd_read", A(1), A(0), A(1), A(16)), ENOTCAPABLE);
	assert_int_equal(wc(g, "fd_read", A(5), A(0), A(1), A(16)), EBADF);
	put32(g, 4, 70000);
	assert_int_equal(wc(g, "fd_read", A(0), A(0), A(1), A(16)), -1);
	assert_non_null(strstr(g->err.msg, "wasi fd_read: iovec 0"));
	put32(g, 4, 50);
	assert_int_equal(wc(g, "fd_read", A(0), A(0), A(1), A(65534)), -1);
	guest_free(g);
}

/* stdout is a character device without seek or tell (what isatty() checks). */
static void
test_fdstat(void **state)
{
	guest	   *g = guest_new();

	memset(g->mem + 64, 0xff, 24);
	assert_int_equal(wc(g, "fd_fdstat_get", A(1), A(64)), 0);
	assert_int_equal(g->mem[64], 2);
	assert_int_equal(g->mem[66] | g->mem[67] << 8, 0);
	assert_true(get64(g, 72) & (1u << 6));	/* FD_WRITE */
	assert_false(get64(g, 72) & ((1u << 2) | (1u << 5)));	/* FD_SEEK, FD_TELL */
	assert_int_equal(get64(g, 80), 0);
	assert_int_equal(wc(g, "fd_fdstat_get", A(0), A(64)), 0);
	assert_true(get64(g, 72) & (1u << 1));	/* FD_READ */
	assert_int_equal(wc(g, "fd_fdstat_get", A(3), A(64)), EBADF);
	assert_int_equal(wc(g, "fd_fdstat_get", A(1), A(65536 - 23)), -1);
	assert_non_null(strstr(g->err.msg, "fdstat pointer"));
	/* rights only shrink; without FD_WRITE stdout refuses writes */
	assert_int_equal(wc(g, "fd_fdstat_set_rights", A(1), A(1ull << 13), A(0)), ENOTCAPABLE);
	assert_int_equal(wc(g, "fd_fdstat_set_rights", A(1), A(1ull << 21), A(0)), 0);
	assert_int_equal(write_text(g, 1, "x\n"), ENOTCAPABLE);
	assert_int_equal(wc(g, "fd_fdstat_set_rights", A(9), A(0), A(0)), EBADF);
	/* filestat: a character device */
	memset(g->mem + 128, 0xff, 64);
	assert_int_equal(wc(g, "fd_filestat_get", A(2), A(128)), 0);
	assert_int_equal(g->mem[128 + 16], 2);
	assert_int_equal(get64(g, 128 + 32), 0);
	assert_int_equal(wc(g, "fd_filestat_get", A(4), A(128)), EBADF);
	assert_int_equal(wc(g, "fd_filestat_get", A(2), A(65536 - 63)), -1);
	guest_free(g);
}

static void
test_no_preopens(void **state)
{
	guest	   *g = guest_new();

	for (uint32_t fd = 0; fd < 8; fd++)
		assert_int_equal(wc(g, "fd_prestat_get", A(fd), A(0)), EBADF);
	assert_int_equal(wc(g, "fd_prestat_dir_name", A(3), A(0), A(10)), EBADF);
	guest_free(g);
}

/*
** Every call that needs a right stdin/stdout/stderr lack: ENOTCAPABLE on
** them, EBADF on a descriptor that is not open, whatever the pointers.
*/
static void
test_refused(void **state)
{
	/* each call and which of its arguments is the descriptor */
	static const struct
	{
		const char *name;
		int			fd_arg;
	}			calls[] = {
		{"fd_advise", 0}, {"fd_allocate", 0}, {"fd_datasync", 0}, {"fd_fdstat_set_flags", 0},
		{"fd_filestat_set_size", 0}, {"fd_filestat_set_times", 0}, {"fd_pread", 0},
		{"fd_pwrite", 0}, {"fd_readdir", 0}, {"fd_seek", 0}, {"fd_sync", 0}, {"fd_tell", 0},
		{"path_create_directory", 0}, {"path_filestat_get", 0},
		{"path_filestat_set_times", 0}, {"path_link", 0}, {"path_open", 0},
		{"path_readlink", 0}, {"path_remove_directory", 0}, {"path_rename", 0},
		{"path_symlink", 2}, {"path_unlink_file", 0}, {"sock_accept", 0}, {"sock_recv", 0},
		{"sock_send", 0}, {"sock_shutdown", 0},
	};
	guest	   *g = guest_new();
	uint64_t	bad = 0xfffffff0u;

	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
	{
		for (uint64_t fd = 0; fd < 5; fd++)
		{
			int			want = fd < 3 ? ENOTCAPABLE : EBADF;
			uint64_t	a[9];

			for (int k = 0; k < 9; k++)
				a[k] = k == calls[i].fd_arg ? fd : bad;
			if (wc(g, calls[i].name, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8]) != want)
				fail_msg("%s(fd %d as argument %d): expected %d", calls[i].name, (int) fd,
						 calls[i].fd_arg, want);
		}
	}
	assert_int_equal(wc(g, "fd_renumber", A(1), A(2)), ENOTCAPABLE);
	assert_int_equal(wc(g, "fd_renumber", A(1), A(7)), EBADF);
	assert_int_equal(wc(g, "poll_oneoff", bad, bad, A(1), bad), ENOTCAPABLE);
	assert_int_equal(wc(g, "proc_raise", A(9)), ENOTCAPABLE);
	assert_int_equal(wc(g, "sched_yield"), 0);
	guest_free(g);
}

/* ---- arguments, environment, clocks, random ------------------------------------- */

static void
test_args_environ(void **state)
{
	guest	   *g = guest_new();

	put32(g, 0, 5);
	put32(g, 4, 5);
	assert_int_equal(wc(g, "args_sizes_get", A(0), A(4)), 0);
	assert_int_equal(get32(g, 0), 0);
	assert_int_equal(get32(g, 4), 0);
	put32(g, 8, 5);
	put32(g, 12, 5);
	assert_int_equal(wc(g, "environ_sizes_get", A(8), A(12)), 0);
	assert_int_equal(get32(g, 8) | get32(g, 12), 0);
	assert_int_equal(wc(g, "args_get", A(100), A(200)), 0);
	assert_int_equal(wc(g, "environ_get", A(100), A(200)), 0);
	assert_int_equal(wc(g, "args_sizes_get", A(0), A(65533)), -1);
	assert_non_null(strstr(g->err.msg, "wasi args_sizes_get: size pointer"));
	assert_int_equal(wc(g, "environ_sizes_get", A(65533), A(0)), -1);
	guest_free(g);
}

static void
test_clock(void **state)
{
	guest	   *g = guest_new();
	sf_wasi_host none = {NULL, h_output, NULL, NULL, 0};

	assert_int_equal(wc(g, "clock_time_get", A(0), A(1), A(8)), 0);
	assert_true(get64(g, 8) == 1000000000ull * 1700000000ull);
	assert_int_equal(wc(g, "clock_time_get", A(1), A(1), A(8)), 0);
	assert_true(get64(g, 8) == 1000000000ull * 1700000000ull + 1);
	assert_int_equal(wc(g, "clock_time_get", A(4), A(1), A(8)), EINVAL);
	assert_int_equal(wc(g, "clock_res_get", A(0), A(16)), 0);
	assert_int_equal(get64(g, 16), 1000);
	assert_int_equal(wc(g, "clock_time_get", A(0), A(1), A(65530)), -1);
	assert_non_null(strstr(g->err.msg, "wasi clock_time_get: result pointer"));
	guest_free(g);
	/* withheld */
	g = guest_new_cfg(1, SF_FUEL_SLACKED, &none);
	put32(g, 8, 7);
	assert_int_equal(wc(g, "clock_time_get", A(0), A(1), A(8)), ENOTCAPABLE);
	assert_int_equal(wc(g, "clock_res_get", A(0), A(8)), ENOTCAPABLE);
	assert_int_equal(get32(g, 8), 7);
	guest_free(g);
}

static void
test_random(void **state)
{
	guest	   *g = guest_new_cfg(4, SF_FUEL_SLACKED, NULL);
	sf_wasi_host none = {NULL, h_output, h_clock, NULL, 0};
	sf_wasi_host failing = {NULL, h_output, h_clock, h_random_fails, 0};

	assert_int_equal(wc(g, "random_get", A(100), A(32)), 0);
	assert_int_equal(g->mem[100], 0xa5);
	assert_int_equal(g->mem[131], 0xa5);
	assert_int_equal(g->mem[132], 0);
	assert_int_equal(wc(g, "random_get", A(0), A(0)), 0);
	/* large: chunks of at most 64 KiB */
	assert_int_equal(wc(g, "random_get", A(0), A(200000)), 0);
	assert_true(g->h.random_max_chunk <= 65536);
	assert_int_equal(g->h.random_bytes, 200032);
	assert_int_equal(wc(g, "random_get", A(4 * 65536 - 10), A(11)), -1);
	assert_non_null(strstr(g->err.msg, "wasi random_get: buffer"));
	assert_int_equal(wc(g, "random_get", A(0), A(0xffffffffu)), -1);
	assert_int_equal(g->h.random_bytes, 200032);
	guest_free(g);
	g = guest_new_cfg(1, SF_FUEL_SLACKED, &none);
	assert_int_equal(wc(g, "random_get", A(0), A(8)), ENOTCAPABLE);
	assert_int_equal(g->mem[0], 0);
	guest_free(g);
	g = guest_new_cfg(1, SF_FUEL_SLACKED, &failing);
	assert_int_equal(wc(g, "random_get", A(0), A(8)), -1);
	assert_int_equal(g->err.trap, SF_TRAP_HOST);
	assert_non_null(strstr(g->err.msg, "random source failed"));
	guest_free(g);
}

/* ---- proc_exit ------------------------------------------------------------------ */

static void
test_proc_exit(void **state)
{
	guest	   *g = guest_new();

	assert_int_equal(write_text(g, 1, "last words"), 0);
	assert_int_equal(wc(g, "proc_exit", A(0)), -1);
	assert_int_equal(g->err.status, SF_TRAP);
	assert_int_equal(g->err.trap, SF_TRAP_EXIT);
	assert_int_equal(g->err.exit_code, 0);
	assert_string_equal(g->h.out, "1:last words~");		/* flushed first */
	assert_int_equal(wc(g, "proc_exit", A(42)), -1);
	assert_int_equal(g->err.trap, SF_TRAP_EXIT);
	assert_int_equal(g->err.exit_code, 42);
	assert_non_null(strstr(g->err.msg, "program exited with code 42"));
	/* the instance goes on working (the host decides whether to keep it) */
	assert_int_equal(write_text(g, 1, "again\n"), 0);
	guest_free(g);
}

/* Out of fuel wins over an exit: the call consumed more than its limit. */
static void
test_proc_exit_out_of_fuel(void **state)
{
	sf_config	cfg;
	sf_module  *m;
	sf_store   *s = sf_store_new(NULL, NULL);
	sf_wasi    *w = sf_wasi_new(s, NULL, NULL);
	sf_import_desc d;
	sf_extern	imp, fx;
	sf_instance *inst;
	sf_error	err;
	sf_call_opts opts = {.fuel_limit = 1000};

	sf_config_default(&cfg);
	cfg.fuel_mode = SF_FUEL_SLACKED;
	m = load_wat_cfg("(module (import \"wasi_snapshot_preview1\" \"proc_exit\" (func $e (param i32)))"
					 "  (func (export \"f\") (local i32)"
					 "    (loop (local.set 0 (i32.add (local.get 0) (i32.const 1)))"
					 "      (br_if 0 (i32.lt_u (local.get 0) (i32.const 2000))))"
					 "    (call $e (i32.const 3))))", &cfg);
	sf_module_import(m, 0, &d);
	assert_int_equal(sf_wasi_import(w, &d, &imp, &err), SF_OK);
	inst = sf_instance_new(s, m, &imp, 1, &err);
	assert_non_null(inst);
	assert_int_equal(sf_instance_export(inst, "f", 1, &fx), SF_OK);
	assert_int_equal(sf_call(fx.of.func, NULL, 0, NULL, 0, &opts, &err), SF_TRAP);
	assert_int_equal(err.trap, SF_TRAP_OUT_OF_FUEL);
	opts.fuel_limit = 100000;
	assert_int_equal(sf_call(fx.of.func, NULL, 0, NULL, 0, &opts, &err), SF_TRAP);
	assert_int_equal(err.trap, SF_TRAP_EXIT);
	assert_int_equal(err.exit_code, 3);
	sf_store_free(s);
	sf_wasi_free(w);
	sf_module_free(m);
}

/*
** An exit inside a call made by a host function ends that call only: the
** host function sees it as the inner call's result and the outer call
** goes on.
*/
typedef struct nested
{
	sf_func    *inner;
	sf_error	err;
	sf_status	st;
} nested;

static int
h_call_inner(sf_ctx *ctx, void *env, const sf_val *args, sf_val *results)
{
	nested	   *n = env;

	n->st = sf_call(n->inner, NULL, 0, NULL, 0, NULL, &n->err);
	results[0].type = SF_I32;
	results[0].of.i32 = n->err.exit_code;
	return 0;
}

static void
test_proc_exit_nested(void **state)
{
	sf_module  *m = load_wat_cfg(
		"(module (import \"wasi_snapshot_preview1\" \"proc_exit\" (func $e (param i32)))"
		"  (import \"env\" \"call_inner\" (func $ci (result i32)))"
		"  (func (export \"inner\") (call $e (i32.const 9)))"
		"  (func (export \"outer\") (result i32) (i32.add (call $ci) (i32.const 100))))", NULL);
	sf_store   *s = sf_store_new(NULL, NULL);
	sf_wasi    *w = sf_wasi_new(s, NULL, NULL);
	static const sf_valtype r1[] = {SF_I32};
	sf_functype ft = {0, 1, NULL, r1};
	nested		n;
	sf_import_desc d;
	sf_extern	imp[2], fx;
	sf_instance *inst;
	sf_error	err;
	sf_val		res;

	memset(&n, 0, sizeof(n));
	sf_module_import(m, 0, &d);
	assert_int_equal(sf_wasi_import(w, &d, &imp[0], &err), SF_OK);
	imp[1].kind = SF_EXTERN_FUNC;
	imp[1].of.func = sf_func_new_host(s, &ft, h_call_inner, &n, NULL);
	inst = sf_instance_new(s, m, imp, 2, &err);
	assert_non_null(inst);
	assert_int_equal(sf_instance_export(inst, "inner", 5, &fx), SF_OK);
	n.inner = fx.of.func;
	assert_int_equal(sf_instance_export(inst, "outer", 5, &fx), SF_OK);
	assert_int_equal(sf_call(fx.of.func, NULL, 0, &res, 1, NULL, &err), SF_OK);
	assert_int_equal(res.of.i32, 109);
	assert_int_equal(n.st, SF_TRAP);
	assert_int_equal(n.err.trap, SF_TRAP_EXIT);
	sf_store_free(s);
	sf_wasi_free(w);
	sf_module_free(m);
}

/* A module without memory: any call that needs memory traps, the others work. */
static void
test_no_memory(void **state)
{
	guest	   *g = guest_new_cfg(0, SF_FUEL_SLACKED, NULL);

	assert_int_equal(wc(g, "fd_write", A(1), A(0), A(0), A(0)), -1);
	assert_non_null(strstr(g->err.msg, "wasi fd_write: the module has no linear memory"));
	assert_int_equal(wc(g, "sched_yield"), 0);
	assert_int_equal(wc(g, "fd_seek", A(1), A(0), A(0), A(0)), ENOTCAPABLE);
	guest_free(g);
}

/* ---- import checks --------------------------------------------------------------- */

static void
check_one(const char *imports, sf_status want, const char *msg)
{
	char		text[512];
	sf_module  *m;
	sf_import_desc d;
	sf_error	err;

	snprintf(text, sizeof(text), "(module %s)", imports);
	m = load_wat_cfg(text, NULL);
	sf_module_import(m, 0, &d);
	assert_int_equal(sf_wasi_check_import(&d, &err), want);
	if (msg)
		assert_string_equal(err.msg, msg);
	sf_module_free(m);
}

static void
test_check_import(void **state)
{
	check_one("(import \"wasi_snapshot_preview1\" \"fd_write\" (func (param i32 i32 i32 i32) (result i32)))",
			  SF_OK, NULL);
	check_one("(import \"wasi_snapshot_preview1\" \"fd_write\" (func (param i32 i32 i32) (result i32)))",
			  SF_UNLINKABLE,
			  "import \"wasi_snapshot_preview1\" \"fd_write\" has the wrong type: it must be "
			  "(func (param i32 i32 i32 i32) (result i32))");
	check_one("(import \"wasi_snapshot_preview1\" \"proc_exit\" (func (param i32) (result i32)))",
			  SF_UNLINKABLE,
			  "import \"wasi_snapshot_preview1\" \"proc_exit\" has the wrong type: it must be "
			  "(func (param i32))");
	check_one("(import \"wasi_snapshot_preview1\" \"sched_yield\" (func (result i64)))",
			  SF_UNLINKABLE,
			  "import \"wasi_snapshot_preview1\" \"sched_yield\" has the wrong type: it must be "
			  "(func (result i32))");
	check_one("(import \"wasi_snapshot_preview1\" \"fd_open\" (func))", SF_UNLINKABLE,
			  "unknown import \"wasi_snapshot_preview1\" \"fd_open\"");
	check_one("(import \"wasi_unstable\" \"fd_write\" (func (param i32 i32 i32 i32) (result i32)))",
			  SF_UNLINKABLE, "unknown import \"wasi_unstable\" \"fd_write\"");
	check_one("(import \"wasi_snapshot_preview1\" \"fd_write\" (memory 1))", SF_UNLINKABLE,
			  "import \"wasi_snapshot_preview1\" \"fd_write\" must be a function");
}

/* Each function is one host object per context, however many modules import it. */
static void
test_import_shared(void **state)
{
	sf_module  *m = load_wat_cfg(
		"(module (import \"wasi_snapshot_preview1\" \"sched_yield\" (func (result i32)))"
		"  (import \"wasi_snapshot_preview1\" \"sched_yield\" (func (result i32))))", NULL);
	sf_store   *s = sf_store_new(NULL, NULL);
	sf_wasi    *w = sf_wasi_new(s, NULL, NULL);
	sf_import_desc d;
	sf_extern	a, b;
	sf_error	err;

	sf_module_import(m, 0, &d);
	assert_int_equal(sf_wasi_import(w, &d, &a, &err), SF_OK);
	sf_module_import(m, 1, &d);
	assert_int_equal(sf_wasi_import(w, &d, &b, &err), SF_OK);
	assert_ptr_equal(a.of.func, b.of.func);
	sf_store_free(s);
	sf_wasi_free(w);
	sf_module_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_lines),
		cmocka_unit_test(test_write_long_lines),
		cmocka_unit_test(test_write_descriptors),
		cmocka_unit_test(test_write_hostile),
		cmocka_unit_test(test_write_total_too_large),
		cmocka_unit_test(test_write_output_fails),
		cmocka_unit_test(test_write_nowhere),
		cmocka_unit_test(test_write_fuel),
		cmocka_unit_test(test_write_interrupted),
		cmocka_unit_test(test_read_stdin),
		cmocka_unit_test(test_fdstat),
		cmocka_unit_test(test_no_preopens),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_args_environ),
		cmocka_unit_test(test_clock),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_proc_exit),
		cmocka_unit_test(test_proc_exit_out_of_fuel),
		cmocka_unit_test(test_proc_exit_nested),
		cmocka_unit_test(test_no_memory),
		cmocka_unit_test(test_check_import),
		cmocka_unit_test(test_import_shared),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
