/*
** wasi.c -- the WASI preview 1 subset (see slackfuel.h): one table row per
** function of "wasi_snapshot_preview1", its core type and its handler.
**
** The guest process has three descriptors, 0 (stdin, always at its end),
** 1 and 2 (stdout and stderr, line-buffered and handed to the host), with
** WASI's rights: a call on a descriptor that is not open fails with EBADF,
** a call that needs a right the descriptor lacks (seeking, any path or
** socket call, syncing) with ENOTCAPABLE.  Nothing else is open and no
** directory is preopened, so wasi-libc finds no preopen and every path
** operation fails in the guest before it reaches us.
**
** Handlers check every guest pointer and length against linear memory
** first, then charge fuel, then act: a call that traps or runs out of fuel
** has no effect.
*/
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"
#include "signals.h"
#include "util.h"

/* WASI errno values (witx "errno"). */
enum
{
	E_SUCCESS = 0, E_BADF = 8, E_INVAL = 28, E_NOTCAPABLE = 76
};

/* Rights (witx "rights") that the three descriptors may hold. */
#define R_FD_READ			(UINT64_C(1) << 1)
#define R_FD_WRITE			(UINT64_C(1) << 6)
#define R_FD_FILESTAT_GET	(UINT64_C(1) << 21)
#define R_POLL_FD_READWRITE (UINT64_C(1) << 27)

#define FILETYPE_CHARACTER_DEVICE 2

#define NFDS 3
#define MIN_LINE 16				/* so a cut always leaves a whole character */
#define CHUNK ((size_t) 64 << 10)

typedef struct linebuf
{
	char	   *data;
	size_t		len;
} linebuf;

typedef struct wcall wcall;
typedef int (*wasi_fn) (wcall *c);

/* The functions, in witx order; "i"/"I" = i32/i64 parameters, then results. */
#define WASI_FUNCS(X) \
	X(args_get,                "ii",        "i") \
	X(args_sizes_get,          "ii",        "i") \
	X(environ_get,             "ii",        "i") \
	X(environ_sizes_get,       "ii",        "i") \
	X(clock_res_get,           "ii",        "i") \
	X(clock_time_get,          "iIi",       "i") \
	X(fd_advise,               "iIIi",      "i") \
	X(fd_allocate,             "iII",       "i") \
	X(fd_close,                "i",         "i") \
	X(fd_datasync,             "i",         "i") \
	X(fd_fdstat_get,           "ii",        "i") \
	X(fd_fdstat_set_flags,     "ii",        "i") \
	X(fd_fdstat_set_rights,    "iII",       "i") \
	X(fd_filestat_get,         "ii",        "i") \
	X(fd_filestat_set_size,    "iI",        "i") \
	X(fd_filestat_set_times,   "iIIi",      "i") \
	X(fd_pread,                "iiiIi",     "i") \
	X(fd_prestat_get,          "ii",        "i") \
	X(fd_prestat_dir_name,     "iii",       "i") \
	X(fd_pwrite,               "iiiIi",     "i") \
	X(fd_read,                 "iiii",      "i") \
	X(fd_readdir,              "iiiIi",     "i") \
	X(fd_renumber,             "ii",        "i") \
	X(fd_seek,                 "iIii",      "i") \
	X(fd_sync,                 "i",         "i") \
	X(fd_tell,                 "ii",        "i") \
	X(fd_write,                "iiii",      "i") \
	X(path_create_directory,   "iii",       "i") \
	X(path_filestat_get,       "iiiii",     "i") \
	X(path_filestat_set_times, "iiiiIIi",   "i") \
	X(path_link,               "iiiiiii",   "i") \
	X(path_open,               "iiiiiIIii", "i") \
	X(path_readlink,           "iiiiii",    "i") \
	X(path_remove_directory,   "iii",       "i") \
	X(path_rename,             "iiiiii",    "i") \
	X(path_symlink,            "iiiii",     "i") \
	X(path_unlink_file,        "iii",       "i") \
	X(poll_oneoff,             "iiii",      "i") \
	X(proc_exit,               "i",         "") \
	X(proc_raise,              "i",         "i") \
	X(sched_yield,             "",          "i") \
	X(random_get,              "ii",        "i") \
	X(sock_accept,             "iii",       "i") \
	X(sock_recv,               "iiiiii",    "i") \
	X(sock_send,               "iiiii",     "i") \
	X(sock_shutdown,           "ii",        "i")

enum
{
#define X_(name, params, results) F_##name,
	WASI_FUNCS(X_)
#undef X_
	NFUNCS
};

#define X_(name, params, results) static int w_##name(wcall *c);
WASI_FUNCS(X_)
#undef X_

typedef struct wasi_row
{
	const char *name;
	const char *params;
	const char *results;
	wasi_fn		fn;
} wasi_row;

static const wasi_row rows[NFUNCS] = {
#define X_(name, params, results) {#name, params, results, w_##name},
	WASI_FUNCS(X_)
#undef X_
};

struct sf_wasi
{
	sf_store   *store;
	sf_wasi_host host;
	size_t		max_line;
	bool		open[NFDS];
	uint64_t	rights[NFDS];
	linebuf		out[NFDS];		/* used for 1 and 2 */
	sf_func    *funcs[NFUNCS];
};

/* One WASI call: its arguments, its memory, the trap message if it fails. */
struct wcall
{
	sf_wasi    *w;
	sf_ctx	   *ctx;
	const wasi_row *row;
	const sf_val *args;
	uint8_t    *mem;
	uint64_t	mem_size;
};

/* ---- arguments, memory, fuel ----------------------------------------------------- */

static uint32_t
arg32(const wcall *c, int i)
{
	return (uint32_t) c->args[i].of.i32;
}

static uint64_t
arg64(const wcall *c, int i)
{
	return (uint64_t) c->args[i].of.i64;
}

/* Make the call trap with "wasi NAME: what".  Returns -1 for the handler. */
static int
fail(wcall *c, const char *fmt, ...) SF_PRINTF(2, 3);

static int
fail(wcall *c, const char *fmt, ...)
{
	char		msg[SF_ERROR_MSG_LEN];
	int			n = snprintf(msg, sizeof(msg), "wasi %s: ", c->row->name);
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t) n, fmt, ap);
	va_end(ap);
	sf_ctx_set_error(c->ctx, msg);
	return -1;
}

/*
** The 'len' bytes at guest address 'ptr', or NULL after fail() when they
** reach outside linear memory.  'what' names the argument.
*/
static uint8_t *
span(wcall *c, uint32_t ptr, uint64_t len, const char *what)
{
	if (c->mem == NULL)
	{
		fail(c, "the module has no linear memory for %s", what);
		return NULL;
	}
	if ((uint64_t) ptr + len > c->mem_size)
	{
		fail(c, "%s [0x%x, +%llu) is outside linear memory (%llu bytes)", what, ptr,
			 (unsigned long long) len, (unsigned long long) c->mem_size);
		return NULL;
	}
	return c->mem + ptr;
}

static void
put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);			/* wasm memory is little-endian, as is x86-64 */
}

static void
put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static uint32_t
get32(const uint8_t *p)
{
	uint32_t	v;

	memcpy(&v, p, 4);
	return v;
}

/*
** Charge the call and 'bytes' of memory traffic (sf_fuel_for_bytes, as
** the bulk memory operators).  True when the call may go on; false when
** the fuel ran out (the boundary check after the host function then
** reports it, so the call must have no effect).
*/
static bool
charge_more(wcall *c, uint64_t bytes)
{
	return sf_ctx_charge_fuel(c->ctx, sf_fuel_for_bytes(bytes)) == 0;
}

static bool
charge(wcall *c, uint64_t bytes)
{
	return sf_ctx_charge_fuel(c->ctx, 1) == 0 && charge_more(c, bytes);
}

/* ---- descriptors ---------------------------------------------------------------- */

static bool
fd_open(const sf_wasi *w, uint32_t fd)
{
	return fd < NFDS && w->open[fd];
}

/* EBADF for a descriptor that is not open, ENOTCAPABLE without 'need'; else 0. */
static int
fd_check(const sf_wasi *w, uint32_t fd, uint64_t need)
{
	if (!fd_open(w, fd))
		return E_BADF;
	return (w->rights[fd] & need) == need ? E_SUCCESS : E_NOTCAPABLE;
}

/* A call that needs a right no descriptor here has: EBADF or ENOTCAPABLE. */
static int
refuse_fd(wcall *c, int fd_arg)
{
	int			e = fd_open(c->w, arg32(c, fd_arg)) ? E_NOTCAPABLE : E_BADF;

	return charge(c, 0) ? e : 0;
}

/* ---- output ---------------------------------------------------------------------- */

/* Where to cut a full line: after the last complete UTF-8 character, if near. */
static size_t
cut_point(const char *s, size_t n)
{
	for (size_t k = 0; k < 4 && k < n; k++)
	{
		unsigned char b = (unsigned char) s[n - 1 - k];

		if ((b & 0xc0) != 0x80)
		{
			/* the sequence starting at b: how long it should be */
			size_t		need = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;

			return need <= k + 1 || k + 1 == n ? n : n - 1 - k;
		}
	}
	return n;
}

static int
emit(sf_wasi *w, int fd, const char *data, size_t len, int eol)
{
	if (w->host.output == NULL)
		return 0;
	return w->host.output(w->host.env, fd, data, len, eol) < 0 ? -1 : 0;
}

/* Append 'n' bytes to the line buffer of 'fd', handing out each line. */
static int
line_write(sf_wasi *w, int fd, const uint8_t *p, size_t n)
{
	linebuf    *lb = &w->out[fd];

	while (n > 0)
	{
		const uint8_t *nl = memchr(p, '\n', n);
		size_t		take = nl ? (size_t) (nl - p) : n;
		size_t		room = w->max_line - lb->len;

		if (take > room)
			take = room;
		memcpy(lb->data + lb->len, p, take);
		lb->len += take;
		p += take;
		n -= take;
		if (n > 0 && *p == '\n')
		{
			p++;
			n--;
			if (emit(w, fd, lb->data, lb->len, 1) < 0)
				return -1;
			lb->len = 0;
		}
		else if (lb->len == w->max_line)
		{
			size_t		cut = cut_point(lb->data, lb->len);

			if (emit(w, fd, lb->data, cut, 0) < 0)
				return -1;
			memmove(lb->data, lb->data + cut, lb->len - cut);
			lb->len -= cut;
		}
	}
	return 0;
}

static int
flush_fd(sf_wasi *w, int fd)
{
	linebuf    *lb = &w->out[fd];
	int			rc = 0;

	if (lb->len > 0)
		rc = emit(w, fd, lb->data, lb->len, 0);
	lb->len = 0;
	return rc;
}

int
sf_wasi_flush(sf_wasi *w)
{
	int			rc1 = flush_fd(w, 1);
	int			rc2 = flush_fd(w, 2);

	return rc1 < 0 ? rc1 : rc2;
}

/* ---- arguments, environment, clocks, random, process ----------------------------- */

/* argc/environ count and buffer size: both 0. */
static int
sizes_get(wcall *c)
{
	uint8_t    *n = span(c, arg32(c, 0), 4, "count pointer");
	uint8_t    *size = n ? span(c, arg32(c, 1), 4, "size pointer") : NULL;

	if (size == NULL)
		return -1;
	if (charge(c, 8))
	{
		put32(n, 0);
		put32(size, 0);
	}
	return E_SUCCESS;
}

/* With no entries there is nothing to write. */
static int
w_args_get(wcall *c)
{
	return charge(c, 0) ? E_SUCCESS : 0;
}

static int
w_args_sizes_get(wcall *c)
{
	return sizes_get(c);
}

static int
w_environ_get(wcall *c)
{
	return charge(c, 0) ? E_SUCCESS : 0;
}

static int
w_environ_sizes_get(wcall *c)
{
	return sizes_get(c);
}

static int
clock_common(wcall *c, bool resolution, uint32_t out_arg)
{
	uint32_t	id = arg32(c, 0);
	uint8_t    *out = span(c, arg32(c, out_arg), 8, "result pointer");
	uint64_t	ns = 0;
	int			e;

	if (out == NULL)
		return -1;
	if (!charge(c, 8))
		return 0;
	if (id > SF_WASI_CLOCK_THREAD_CPUTIME)
		return E_INVAL;
	if (c->w->host.clock == NULL)
		return E_NOTCAPABLE;
	e = c->w->host.clock(c->w->host.env, id, resolution ? NULL : &ns, resolution ? &ns : NULL);
	if (e != 0)
		return e < 0 ? fail(c, "the host's clock failed") : e;
	put64(out, ns);
	return E_SUCCESS;
}

static int
w_clock_res_get(wcall *c)
{
	return clock_common(c, true, 1);
}

static int
w_clock_time_get(wcall *c)
{
	return clock_common(c, false, 2);
}

static int
w_random_get(wcall *c)
{
	uint32_t	len = arg32(c, 1);
	uint8_t    *buf = span(c, arg32(c, 0), len, "buffer");

	if (buf == NULL)
		return -1;
	if (!charge(c, len))
		return 0;
	if (c->w->host.random == NULL)
		return E_NOTCAPABLE;
	for (size_t done = 0; done < len; done += CHUNK)
	{
		size_t		n = len - done < CHUNK ? len - done : CHUNK;
		int			e;

		if (done > 0 && sf_signals_interrupt_pending())
			return 0;			/* the boundary check reports it */
		if ((e = c->w->host.random(c->w->host.env, buf + done, n)) != 0)
			return e < 0 ? fail(c, "the host's random source failed") : e;
	}
	return E_SUCCESS;
}

static int
w_proc_exit(wcall *c)
{
	if (sf_wasi_flush(c->w) < 0)
		return fail(c, "writing the last output line failed");
	sf_ctx_exit(c->ctx, (int32_t) arg32(c, 0));
	return -1;
}

static int
w_proc_raise(wcall *c)
{
	return charge(c, 0) ? E_NOTCAPABLE : 0;
}

static int
w_sched_yield(wcall *c)
{
	return charge(c, 0) ? E_SUCCESS : 0;
}

/* Sleeping or waiting for a descriptor would hold the backend: refused. */
static int
w_poll_oneoff(wcall *c)
{
	return charge(c, 0) ? E_NOTCAPABLE : 0;
}

/* ---- descriptors: the calls that can succeed -------------------------------------- */

static int
w_fd_close(wcall *c)
{
	uint32_t	fd = arg32(c, 0);

	if (!charge(c, 0))
		return 0;
	if (!fd_open(c->w, fd))
		return E_BADF;
	if (fd > 0 && flush_fd(c->w, (int) fd) < 0)
		return fail(c, "writing the last output line failed");
	c->w->open[fd] = false;
	return E_SUCCESS;
}

/* A character device (what wasi-libc's isatty() wants: stdout is then line-buffered). */
static int
w_fd_fdstat_get(wcall *c)
{
	uint32_t	fd = arg32(c, 0);
	uint8_t    *st = span(c, arg32(c, 1), 24, "fdstat pointer");

	if (st == NULL)
		return -1;
	if (!charge(c, 24))
		return 0;
	if (!fd_open(c->w, fd))
		return E_BADF;
	memset(st, 0, 24);
	st[0] = FILETYPE_CHARACTER_DEVICE;
	put64(st + 8, c->w->rights[fd]);
	return E_SUCCESS;
}

/* Rights may only shrink. */
static int
w_fd_fdstat_set_rights(wcall *c)
{
	uint32_t	fd = arg32(c, 0);
	uint64_t	base = arg64(c, 1);

	if (!charge(c, 0))
		return 0;
	if (!fd_open(c->w, fd))
		return E_BADF;
	if (base & ~c->w->rights[fd])
		return E_NOTCAPABLE;
	c->w->rights[fd] = base;
	return E_SUCCESS;
}

static int
w_fd_filestat_get(wcall *c)
{
	uint32_t	fd = arg32(c, 0);
	uint8_t    *st = span(c, arg32(c, 1), 64, "filestat pointer");
	int			e;

	if (st == NULL)
		return -1;
	if (!charge(c, 64))
		return 0;
	if ((e = fd_check(c->w, fd, R_FD_FILESTAT_GET)) != 0)
		return e;
	memset(st, 0, 64);
	st[16] = FILETYPE_CHARACTER_DEVICE;
	return E_SUCCESS;
}

/*
** The iovec array of fd_read/fd_write and every buffer it names, checked;
** the array is charged first, so a long one is paid for before it is read.
** The sum of the lengths goes to *total.  Returns the array, NULL after
** fail(), or NULL with *total UINT64_MAX when the fuel ran out or an
** interrupt came (then the call must end with no effect).
*/
static const uint8_t *
iovecs(wcall *c, uint32_t ptr, uint32_t n, uint64_t *total)
{
	const uint8_t *iov = span(c, ptr, (uint64_t) n * 8, "iovec array");

	*total = 0;
	if (iov == NULL)
		return NULL;
	if (!charge(c, (uint64_t) n * 8))
		goto stop;
	for (uint32_t i = 0; i < n; i++)
	{
		uint32_t	base = get32(iov + 8 * i), len = get32(iov + 8 * i + 4);

		if ((uint64_t) base + len > c->mem_size)
		{
			fail(c, "iovec %u [0x%x, +%u) is outside linear memory (%llu bytes)", i, base,
				 len, (unsigned long long) c->mem_size);
			return NULL;
		}
		*total += len;
		if (i % 65536 == 65535 && sf_signals_interrupt_pending())
			goto stop;
	}
	return iov;

stop:
	*total = UINT64_MAX;
	return NULL;
}

/* stdin is at its end: 0 bytes. */
static int
w_fd_read(wcall *c)
{
	uint64_t	total;
	uint8_t    *nread;
	int			e;

	if (iovecs(c, arg32(c, 1), arg32(c, 2), &total) == NULL)
		return total == UINT64_MAX ? 0 : -1;
	if ((nread = span(c, arg32(c, 3), 4, "result pointer")) == NULL)
		return -1;
	if (!charge_more(c, 4))
		return 0;
	if ((e = fd_check(c->w, arg32(c, 0), R_FD_READ)) != 0)
		return e;
	put32(nread, 0);
	return E_SUCCESS;
}

static int
w_fd_write(wcall *c)
{
	uint32_t	fd = arg32(c, 0), n = arg32(c, 2);
	const uint8_t *iov;
	uint64_t	total;
	uint8_t    *nwritten;
	int			e;

	if ((iov = iovecs(c, arg32(c, 1), n, &total)) == NULL)
		return total == UINT64_MAX ? 0 : -1;
	if ((nwritten = span(c, arg32(c, 3), 4, "result pointer")) == NULL)
		return -1;
	if ((e = fd_check(c->w, fd, R_FD_WRITE)) != 0)
		return e;
	if (total > UINT32_MAX)
		return E_INVAL;
	if (!charge_more(c, total + 4))
		return 0;
	for (uint32_t i = 0; i < n; i++)
	{
		const uint8_t *p = c->mem + get32(iov + 8 * i);
		size_t		len = get32(iov + 8 * i + 4);

		while (len > 0)
		{
			size_t		k = len < CHUNK ? len : CHUNK;

			if (sf_signals_interrupt_pending())
				return 0;		/* the boundary check reports it */
			if (line_write(c->w, (int) fd, p, k) < 0)
				return fail(c, "the host's output failed");
			p += k;
			len -= k;
		}
	}
	put32(nwritten, (uint32_t) total);
	return E_SUCCESS;
}

/* No descriptor is a preopened directory. */
static int
w_fd_prestat_get(wcall *c)
{
	return charge(c, 0) ? E_BADF : 0;
}

static int
w_fd_prestat_dir_name(wcall *c)
{
	return charge(c, 0) ? E_BADF : 0;
}

/* ---- everything else: EBADF or ENOTCAPABLE -------------------------------------- */

static int w_fd_advise(wcall *c) { return refuse_fd(c, 0); }
static int w_fd_allocate(wcall *c) { return refuse_fd(c, 0); }
static int w_fd_datasync(wcall *c) { return refuse_fd(c, 0); }
static int w_fd_fdstat_set_flags(wcall *c) { return refuse_fd(c, 0); }
static int w_fd_filestat_set_size(wcall *c) { return refuse_fd(c, 0); }
static int w_fd_filestat_set_times(wcall *c) { return refuse_fd(c, 0); }
static int w_fd_pread(wcall *c) { return refuse_fd(c, 0); }
static int w_fd_pwrite(wcall *c) { return refuse_fd(c, 0); }
static int w_fd_readdir(wcall *c) { return refuse_fd(c, 0); }
static int w_fd_seek(wcall *c) { return refuse_fd(c, 0); }
static int w_fd_sync(wcall *c) { return refuse_fd(c, 0); }
static int w_fd_tell(wcall *c) { return refuse_fd(c, 0); }
static int w_path_create_directory(wcall *c) { return refuse_fd(c, 0); }
static int w_path_filestat_get(wcall *c) { return refuse_fd(c, 0); }
static int w_path_filestat_set_times(wcall *c) { return refuse_fd(c, 0); }
static int w_path_link(wcall *c) { return refuse_fd(c, 0); }
static int w_path_open(wcall *c) { return refuse_fd(c, 0); }
static int w_path_readlink(wcall *c) { return refuse_fd(c, 0); }
static int w_path_remove_directory(wcall *c) { return refuse_fd(c, 0); }
static int w_path_rename(wcall *c) { return refuse_fd(c, 0); }
static int w_path_symlink(wcall *c) { return refuse_fd(c, 2); }	/* (old path, fd, new path) */
static int w_path_unlink_file(wcall *c) { return refuse_fd(c, 0); }
static int w_sock_accept(wcall *c) { return refuse_fd(c, 0); }
static int w_sock_recv(wcall *c) { return refuse_fd(c, 0); }
static int w_sock_send(wcall *c) { return refuse_fd(c, 0); }
static int w_sock_shutdown(wcall *c) { return refuse_fd(c, 0); }

/* fd_renumber moves a descriptor onto another: neither side may be replaced here. */
static int
w_fd_renumber(wcall *c)
{
	if (!charge(c, 0))
		return 0;
	if (!fd_open(c->w, arg32(c, 0)) || !fd_open(c->w, arg32(c, 1)))
		return E_BADF;
	return E_NOTCAPABLE;
}

/* ---- the host functions ---------------------------------------------------------- */

/*
** The engine's host-function entry for every row.  A negative handler
** result traps (the message is set); otherwise it is the errno result.
*/
static int
dispatch(sf_ctx *ctx, void *env, const sf_val *args, sf_val *results, const wasi_row *row)
{
	sf_memory  *mem = sf_ctx_memory(ctx);
	wcall		c = {env, ctx, row, args, mem ? sf_memory_data(mem) : NULL,
	mem ? sf_memory_size(mem) : 0};
	int			e = row->fn(&c);

	if (e < 0)
		return 1;
	if (row->results[0])
	{
		results[0].type = SF_I32;
		results[0].of.i32 = e;
	}
	return 0;
}

#define X_(name, params, results) \
	static int h_##name(sf_ctx *ctx, void *env, const sf_val *args, sf_val *res) \
	{ return dispatch(ctx, env, args, res, &rows[F_##name]); }
WASI_FUNCS(X_)
#undef X_

static const sf_host_fn host_fns[NFUNCS] = {
#define X_(name, params, results) h_##name,
	WASI_FUNCS(X_)
#undef X_
};

/* ---- lookup --------------------------------------------------------------------- */

static sf_valtype
letter_type(char l)
{
	return l == 'I' ? SF_I64 : SF_I32;
}

static bool
type_matches(const sf_functype *ft, const wasi_row *row)
{
	size_t		np = strlen(row->params), nr = strlen(row->results);

	if (ft->nparams != np || ft->nresults != nr)
		return false;
	for (size_t i = 0; i < np; i++)
		if (ft->params[i] != letter_type(row->params[i]))
			return false;
	for (size_t i = 0; i < nr; i++)
		if (ft->results[i] != letter_type(row->results[i]))
			return false;
	return true;
}

/* "(param i32 i64) (result i32)" */
static void
type_text(const wasi_row *row, char *buf, size_t size)
{
	size_t		n = 0;

	buf[0] = '\0';
	if (row->params[0])
	{
		n += snprintf(buf + n, size - n, "(param");
		for (const char *p = row->params; *p && n < size; p++)
			n += snprintf(buf + n, size - n, " %s", sf_valtype_name(letter_type(*p)));
		n += snprintf(buf + n, size - n, ")");
	}
	if (row->results[0] && n < size)
		snprintf(buf + n, size - n, "%s(result i32)", n ? " " : "");
}

static int
find_row(const sf_import_desc *imp)
{
	size_t		mlen = strlen(SF_WASI_MODULE);

	if (imp->module_len != mlen || memcmp(imp->module, SF_WASI_MODULE, mlen) != 0)
		return -1;
	for (int i = 0; i < NFUNCS; i++)
		if (strlen(rows[i].name) == imp->name_len &&
			memcmp(rows[i].name, imp->name, imp->name_len) == 0)
			return i;
	return -1;
}

sf_status
sf_wasi_check_import(const sf_import_desc *imp, sf_error *err)
{
	int			i = find_row(imp);
	char		want[128];

	sf_error_clear(err);
	if (i < 0)
		return sf_error_set(err, SF_UNLINKABLE, "unknown import \"%.*s\" \"%.*s\"",
							(int) imp->module_len, imp->module, (int) imp->name_len, imp->name);
	if (imp->kind != SF_EXTERN_FUNC)
		return sf_error_set(err, SF_UNLINKABLE, "import \"%s\" \"%s\" must be a function",
							SF_WASI_MODULE, rows[i].name);
	if (!type_matches(&imp->functype, &rows[i]))
	{
		type_text(&rows[i], want, sizeof(want));
		return sf_error_set(err, SF_UNLINKABLE, "import \"%s\" \"%s\" has the wrong type: it must be (func %s)",
							SF_WASI_MODULE, rows[i].name, want);
	}
	return SF_OK;
}

sf_status
sf_wasi_import(sf_wasi *w, const sf_import_desc *imp, sf_extern *out, sf_error *err)
{
	sf_valtype	p[16], r[1];
	sf_functype ft;
	int			i;

	if (sf_wasi_check_import(imp, err) != SF_OK)
		return err ? err->status : SF_UNLINKABLE;
	i = find_row(imp);
	if (w->funcs[i] == NULL)
	{
		ft.nparams = (uint32_t) strlen(rows[i].params);
		ft.nresults = (uint32_t) strlen(rows[i].results);
		for (uint32_t k = 0; k < ft.nparams; k++)
			p[k] = letter_type(rows[i].params[k]);
		r[0] = SF_I32;
		ft.params = p;
		ft.results = r;
		w->funcs[i] = sf_func_new_host(w->store, &ft, host_fns[i], w, err);
		if (w->funcs[i] == NULL)
			return err ? err->status : SF_NOMEM;
	}
	out->kind = SF_EXTERN_FUNC;
	out->of.func = w->funcs[i];
	return SF_OK;
}

sf_wasi *
sf_wasi_new(sf_store *s, const sf_wasi_host *host, sf_error *err)
{
	sf_wasi    *w = calloc(1, sizeof(*w));

	sf_error_clear(err);
	if (w == NULL)
		goto nomem;
	w->store = s;
	if (host)
		w->host = *host;
	w->max_line = w->host.max_line ? w->host.max_line : SF_WASI_DEFAULT_MAX_LINE;
	if (w->max_line < MIN_LINE)
		w->max_line = MIN_LINE;
	w->open[0] = w->open[1] = w->open[2] = true;
	w->rights[0] = R_FD_READ | R_FD_FILESTAT_GET | R_POLL_FD_READWRITE;
	w->rights[1] = w->rights[2] = R_FD_WRITE | R_FD_FILESTAT_GET | R_POLL_FD_READWRITE;
	for (int fd = 1; fd < NFDS; fd++)
		if ((w->out[fd].data = malloc(w->max_line)) == NULL)
			goto nomem;
	return w;

nomem:
	sf_wasi_free(w);
	sf_error_set(err, SF_NOMEM, "out of memory");
	return NULL;
}

void
sf_wasi_free(sf_wasi *w)
{
	if (w == NULL)
		return;
	for (int fd = 0; fd < NFDS; fd++)
		free(w->out[fd].data);
	free(w);
}
