/*
** sfrun -- instantiate a module and call one export.
**
**   build/sfrun [--stats] [--time] [--repeat=N] FILE.wasm [EXPORT [ARG...]]
**
** FILE may also be WebAssembly text (a .wat name, or contents starting
** with '(' or ';;'), converted by sf_wat_to_wasm; its errors print as
** "sfrun: FILE:LINE:COL: what" and exit 1.
** Arguments are parsed by the export's parameter types; each result is
** printed on its own line as TYPE:VALUE (i32:42, f64:2.5; floats with
** enough digits to round-trip, nan/inf spelled out).  A trap prints
** "trap: MESSAGE" on stderr and exits 2; a bad module, bad arguments or a
** link failure print an error and exit 1.
**
** --stats   compile time, code size and compile speed on stderr, and
**           after the call "fuel consumed: N"; "compile cpu time: SECONDS"
**           is the CPU time of sf_module_compile (the machine may be shared)
** --time    wall time of the call itself as "call time: SECONDS" on stderr
**           (also after a trap: the time until the call was stopped), and
**           its CPU time as "call cpu time: SECONDS" (best of --repeat)
** --repeat=N  call N times (the best time is printed)
** --compile-repeat=N  load and compile the module N times in this process,
**           each but the last freed at once; --stats gives the last compile
**           (the compiler in a process that has compiled before, as a
**           PostgreSQL backend often is, apart from a fresh process's first
**           touches of its memory)
** --fuel-mode=off|precise|slacked   metering compiled in (default slacked)
** --compile-threads=N  threads that compile the module (default 0: one
**           for a small module, up to 4 but no more than the CPUs for a
**           large one); "compile threads: N" says how many took part
** --fuel=N  fuel limit of each call (default: unlimited)
** --interval-ms=N  run the watchdog every N ms (default 10 when a limit
**           or a timeout needs it in slacked or off mode; 0 = no watchdog)
** --timeout-ms=N   interrupt each call after N ms
** --perf-map  after compiling, append the code of the module's functions to
**           perf's map /tmp/perf-<pid>.map (named wasm:FILE:INDEX[:NAME])
**           and print "perf map: PATH" on stderr, so that perf record/report
**           and perf top name them
** --dump-code=DIR  after compiling, write the machine code of each defined
**           function to DIR/func-INDEX.bin and print, per function, the
**           objdump command that disassembles it at its address:
**           "objdump -D -b binary -m i386:x86-64 --adjust-vma=0xADDR FILE"
**
** Out of fuel prints "trap: out of fuel" on stderr and exits 2, like any
** trap; an interrupted call prints "trap: interrupted".  A trap's wasm
** call stack follows on a line of its own, innermost first:
** "wasm backtrace: #0 func 3 \"name\" at 0x1a2, #1 func 0 at 0x40"
** (function index, its name from the name section when there is one, and
** the byte offset of the instruction in the module).
**
** Imports: the "spectest" host module, and the engine's WASI preview 1
** subset ("wasi_snapshot_preview1", docs/host.md) writing to sfrun's own
** stdout and stderr, with the real clocks (clock_gettime, clock_getres)
** and getrandom().  Without an EXPORT, sfrun runs a WASI command: its
** "_start" (a reactor's "_initialize" runs when the instance is created,
** sf_instance_new).  An exit through proc_exit ends sfrun with the
** program's exit code (proc_exit(0): 0, and the results, if any, are not
** printed).
*/
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/syscall.h>

#include "slackfuel.h"
#include "spectest_host.h"
#include "read_file.h"

/*
** --dump-code: each defined function's code to DIR/func-INDEX.bin, and on
** stderr the objdump command that disassembles it at the address it runs at.
*/
static int
dump_code(const sf_module *m, const char *dir)
{
	for (uint32_t k = 0; k < sf_module_num_code_ranges(m); k++)
	{
		sf_code_range r;
		char		path[4096];
		FILE	   *f;

		sf_module_code_range(m, k, &r);
		snprintf(path, sizeof(path), "%s/func-%u.bin", dir, r.func_index);
		f = fopen(path, "wb");
		if (f != NULL)
		{
			int			ok = fwrite(r.start, 1, r.size, f) == r.size;

			if (fclose(f) != 0)
				ok = 0;
			if (!ok)
				f = NULL;
		}
		if (f == NULL)
		{
			fprintf(stderr, "sfrun: cannot write %s: %s\n", path, strerror(errno));
			return 0;
		}
		fprintf(stderr, "code: func %u%s%s%s: objdump -D -b binary -m i386:x86-64 --adjust-vma=%p %s\n",
				r.func_index, r.name ? " \"" : "", r.name ? r.name : "", r.name ? "\"" : "",
				r.start, path);
	}
	return 1;
}

/*
** WebAssembly text: a ".wat" name, or (whatever the name) a first
** non-blank character that cannot start a binary: '(' or a ';;' comment.
*/
static int
looks_like_text(const char *path, const uint8_t *b, size_t len)
{
	size_t		n = strlen(path);
	size_t		i = 0;

	if (n >= 4 && strcmp(path + n - 4, ".wat") == 0)
		return 1;
	while (i < len && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r'))
		i++;
	return i < len && (b[i] == '(' || (b[i] == ';' && i + 1 < len && b[i + 1] == ';'));
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double) ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int
parse_arg(const char *s, sf_valtype t, sf_val *v)
{
	char	   *end;

	memset(v, 0, sizeof(*v));
	v->type = t;
	errno = 0;
	switch (t)
	{
		case SF_I32:
			{
				long long	x = strtoll(s, &end, 0);

				if (x < INT32_MIN || x > UINT32_MAX)
					return 0;
				v->of.i32 = (int32_t) (uint32_t) x;
				break;
			}
		case SF_I64:
			if (s[0] == '-')
				v->of.i64 = strtoll(s, &end, 0);
			else
				v->of.i64 = (int64_t) strtoull(s, &end, 0);
			break;
		case SF_F32:
			{
				float		f = strtof(s, &end);

				memcpy(&v->of.f32_bits, &f, 4);
				break;
			}
		case SF_F64:
			{
				double		d = strtod(s, &end);

				memcpy(&v->of.f64_bits, &d, 8);
				break;
			}
		default:
			if (strcmp(s, "null") != 0)
				return 0;
			return 1;
	}
	return errno == 0 && end != s && *end == '\0';
}

static void
print_float(double d, int digits)
{
	if (isnan(d))
		printf("%snan\n", signbit(d) ? "-" : "");
	else if (isinf(d))
		printf("%sinf\n", d < 0 ? "-" : "");
	else
		printf("%.*g\n", digits, d);
}

static void
print_result(const sf_val *v)
{
	printf("%s:", sf_valtype_name(v->type));
	switch (v->type)
	{
		case SF_I32:
			printf("%d\n", v->of.i32);
			break;
		case SF_I64:
			printf("%lld\n", (long long) v->of.i64);
			break;
		case SF_F32:
			{
				float		f;

				memcpy(&f, &v->of.f32_bits, 4);
				print_float(f, 9);
				break;
			}
		case SF_F64:
			{
				double		d;

				memcpy(&d, &v->of.f64_bits, 8);
				print_float(d, 17);
				break;
			}
		case SF_FUNCREF:
			if (v->of.funcref)
				printf("%p\n", (void *) v->of.funcref);
			else
				printf("null\n");
			break;
		default:
			if (v->of.externref)
				printf("%llu\n", (unsigned long long) v->of.externref);
			else
				printf("null\n");
			break;
	}
}

/*
** --timeout-ms: a per-thread timer signals this thread after N ms and then
** every millisecond until disarmed.  Each expiration requests an interrupt
** and runs the asynchronous check; if the PC is outside JIT code at that
** moment the request stays pending and a boundary or a later expiration
** catches it.
*/
#define TIMEOUT_SIGNAL (SIGRTMAX - 3)

static timer_t timeout_timer;
static int	timeout_armed;

static void
timeout_handler(int sig, siginfo_t *info, void *uc)
{
	int			saved = errno;

	(void) sig;
	if (info != NULL && info->si_code == SI_TIMER)
	{
		sf_request_interrupt();
		sf_async_check(uc);
	}
	errno = saved;
}

static int
timeout_start(long ms)
{
	struct sigaction sa;
	struct sigevent sev;
	struct itimerspec its;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = timeout_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = TIMEOUT_SIGNAL;
	sev._sigev_un._tid = (pid_t) syscall(SYS_gettid);
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = ms / 1000;
	its.it_value.tv_nsec = (ms % 1000) * 1000000L;
	its.it_interval.tv_nsec = 1000000L;
	if (sigaction(TIMEOUT_SIGNAL, &sa, NULL) != 0 ||
		timer_create(CLOCK_MONOTONIC, &sev, &timeout_timer) != 0)
		return 1;
	timeout_armed = 1;
	return timer_settime(timeout_timer, 0, &its, NULL) != 0;
}

static void
timeout_stop(void)
{
	if (timeout_armed)
		timer_delete(timeout_timer);
	timeout_armed = 0;
}

static int
parse_mode(const char *s, sf_fuel_mode *mode)
{
	if (strcmp(s, "off") == 0)
		*mode = SF_FUEL_OFF;
	else if (strcmp(s, "precise") == 0)
		*mode = SF_FUEL_PRECISE;
	else if (strcmp(s, "slacked") == 0)
		*mode = SF_FUEL_SLACKED;
	else
		return 0;
	return 1;
}

static int
parse_u64(const char *s, uint64_t *out)
{
	char	   *end;

	errno = 0;
	if (*s < '0' || *s > '9')
		return 0;
	*out = strtoull(s, &end, 10);
	return errno == 0 && *end == '\0';
}

/* A thread count: 0 (automatic) to 64. */
static int
parse_count(const char *s, uint32_t *out)
{
	uint64_t	v;

	if (!parse_u64(s, &v) || v > 64)
		return 0;
	*out = (uint32_t) v;
	return 1;
}

/* ---- WASI: sfrun's own stdout and stderr, clocks, getrandom -------------------- */

static int
wasi_output(void *env, int fd, const char *data, size_t len, int eol)
{
	FILE	   *f = fd == 1 ? stdout : stderr;

	if (fwrite(data, 1, len, f) != len || (eol && putc('\n', f) == EOF))
		return SF_WASI_EIO;
	return 0;
}

static int
wasi_clock(void *env, uint32_t id, uint64_t *time_ns, uint64_t *resolution_ns)
{
	static const clockid_t ids[] = {CLOCK_REALTIME, CLOCK_MONOTONIC,
	CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID};
	struct timespec ts;

	if ((time_ns ? clock_gettime(ids[id], &ts) : clock_getres(ids[id], &ts)) != 0)
		return SF_WASI_EINVAL;
	*(time_ns ? time_ns : resolution_ns) = (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
	return 0;
}

static int
wasi_random(void *env, void *buf, size_t len)
{
	uint8_t    *p = buf;

	while (len > 0)
	{
		ssize_t		n = getrandom(p, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return SF_WASI_EIO;
		p += n;
		len -= (size_t) n;
	}
	return 0;
}

/* Resolve every import from spectest or WASI; 1 on failure. */
static int
link_imports(sf_module *m, sf_spectest *st, sf_wasi *w, sf_extern **out)
{
	uint32_t	n = sf_module_num_imports(m);
	sf_extern  *ex = calloc(n ? n : 1, sizeof(sf_extern));
	sf_error	err;

	if (!ex)
		return 1;
	for (uint32_t i = 0; i < n; i++)
	{
		sf_import_desc d;

		sf_module_import(m, i, &d);
		if (d.module_len == strlen(SF_WASI_MODULE) &&
			memcmp(d.module, SF_WASI_MODULE, d.module_len) == 0)
		{
			if (sf_wasi_import(w, &d, &ex[i], &err) == SF_OK)
				continue;
			fprintf(stderr, "sfrun: %s\n", err.msg);
		}
		else if (d.module_len == 8 && memcmp(d.module, "spectest", 8) == 0 &&
				 sf_spectest_lookup(st, d.name, d.name_len, &ex[i]))
			continue;
		else
			fprintf(stderr, "sfrun: unknown import \"%.*s\" \"%.*s\"\n",
					(int) d.module_len, d.module, (int) d.name_len, d.name);
		free(ex);
		return 1;
	}
	*out = ex;
	return 0;
}

/*
** After a call: the guest's last incomplete lines, then the outcome.  An
** exit through proc_exit is not a trap: sfrun's exit code is the
** program's.  Returns -1 when the call returned, else sfrun's exit code.
*/
static int
call_outcome(sf_wasi *w, sf_status cs, const sf_error *err)
{
	sf_wasi_flush(w);
	fflush(stdout);
	if (cs == SF_OK)
		return -1;
	if (err->status == SF_TRAP && err->trap == SF_TRAP_EXIT)
		return err->exit_code;
	fprintf(stderr, err->status == SF_TRAP ? "trap: %s\n" : "sfrun: %s\n", err->msg);
	if (err->status == SF_TRAP && err->nframes > 0)
	{
		char		bt[2048];

		sf_backtrace_format(err, bt, sizeof(bt));
		fprintf(stderr, "wasm backtrace: %s\n", bt);
	}
	return err->status == SF_TRAP ? 2 : 1;
}

int
main(int argc, char **argv)
{
	int			stats = 0, timing = 0, perf_map = 0, i = 1, rc = 1, outcome;
	const char *dump_dir = NULL;
	long		repeat = 1;
	long		compile_repeat = 1;
	size_t		len;
	uint8_t    *bytes;
	sf_error	err;
	sf_module  *m = NULL;
	sf_store   *s = NULL;
	sf_spectest *st = NULL;
	sf_wasi    *w = NULL;
	sf_wasi_host wh = {NULL, wasi_output, wasi_clock, wasi_random, 0};
	const char *export_name;
	sf_extern  *imports = NULL, fx;
	sf_instance *inst;
	sf_functype ft;
	sf_val	   *args = NULL, *res = NULL;
	double		best = 1e300, best_cpu = 1e300, compile_cpu;
	sf_config	cfg;
	sf_store_config scfg = {0};
	sf_call_opts opts = {0};
	int			have_limit = 0, have_interval = 0;
	uint64_t	interval = 0, timeout_ms = 0;

	sf_config_default(&cfg);
	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++)
	{
		if (strcmp(argv[i], "--stats") == 0)
			stats = 1;
		else if (strcmp(argv[i], "--time") == 0)
			timing = 1;
		else if (strcmp(argv[i], "--perf-map") == 0)
			perf_map = 1;
		else if (strncmp(argv[i], "--dump-code=", 12) == 0 && argv[i][12] != '\0')
			dump_dir = argv[i] + 12;
		else if (strncmp(argv[i], "--repeat=", 9) == 0 && (repeat = atol(argv[i] + 9)) > 0)
			;
		else if (strncmp(argv[i], "--compile-repeat=", 17) == 0 &&
				 (compile_repeat = atol(argv[i] + 17)) > 0)
			;
		else if (strncmp(argv[i], "--compile-threads=", 18) == 0 &&
				 parse_count(argv[i] + 18, &cfg.compile_threads))
			;
		else if (strncmp(argv[i], "--fuel-mode=", 12) == 0 && parse_mode(argv[i] + 12, &cfg.fuel_mode))
			;
		else if (strncmp(argv[i], "--fuel=", 7) == 0 && parse_u64(argv[i] + 7, &opts.fuel_limit))
			have_limit = 1;
		else if (strncmp(argv[i], "--interval-ms=", 14) == 0 && parse_u64(argv[i] + 14, &interval) &&
				 interval <= 3600000)
			have_interval = 1;
		else if (strncmp(argv[i], "--timeout-ms=", 13) == 0 && parse_u64(argv[i] + 13, &timeout_ms) &&
				 timeout_ms > 0 && timeout_ms <= 86400000)
			;
		else
		{
			fprintf(stderr, "sfrun: unknown option %s\n", argv[i]);
			return 1;
		}
	}
	if (argc - i < 1)
	{
		fprintf(stderr, "usage: sfrun [--stats] [--time] [--repeat=N] [--compile-repeat=N]\n"
				"             [--fuel-mode=off|precise|slacked]\n"
				"             [--compile-threads=N] [--fuel=N] [--interval-ms=N] [--timeout-ms=N]\n"
				"             [--perf-map] [--dump-code=DIR] FILE.wasm|FILE.wat [EXPORT [ARG...]]\n");
		return 1;
	}
	export_name = argc - i >= 2 ? argv[i + 1] : "_start";
	/* slacked fuel and timeouts need the tick to stop code that never leaves wasm */
	if (!have_interval && (timeout_ms || (have_limit && cfg.fuel_mode == SF_FUEL_SLACKED)))
		interval = 10;
	bytes = read_file(argv[i], &len);
	if (!bytes)
	{
		fprintf(stderr, "sfrun: cannot read %s: %s\n", argv[i], strerror(errno));
		return 1;
	}
	if (looks_like_text(argv[i], bytes, len))
	{
		uint8_t    *wasm;
		size_t		wasm_len;

		if (sf_wat_to_wasm((const char *) bytes, len, &wasm, &wasm_len, &err) != SF_OK)
		{
			fprintf(stderr, "sfrun: %s:%s\n", argv[i], err.msg);
			free(bytes);
			return 1;
		}
		free(bytes);
		bytes = wasm;
		len = wasm_len;
	}
	/* the earlier compiles; one that fails fails again below, with its error */
	for (long r = 1; r < compile_repeat; r++)
	{
		m = sf_module_load(bytes, len, &cfg, &err);
		if (m != NULL)
			sf_module_compile(m, &err);
		sf_module_free(m);
	}
	m = sf_module_load(bytes, len, &cfg, &err);
	free(bytes);
	compile_cpu = cpu_now();
	if (!m || sf_module_compile(m, &err) != SF_OK)
	{
		fprintf(stderr, "sfrun: %s: %s: %s\n", argv[i], sf_status_name(err.status), err.msg);
		goto out;
	}
	if (stats)
	{
		sf_compile_stats cs;

		compile_cpu = cpu_now() - compile_cpu;
		sf_module_compile_stats(m, &cs);
		fprintf(stderr, "compile cpu time: %.6f s\n", compile_cpu);
		fprintf(stderr, "compile time: %.6f s\ncode size: %llu bytes (wasm code %llu bytes)\n"
				"compile speed: %.1f MB/s\n", cs.compile_seconds,
				(unsigned long long) cs.code_bytes, (unsigned long long) cs.wasm_code_bytes,
				cs.compile_seconds > 0 ? cs.wasm_code_bytes / cs.compile_seconds / 1e6 : 0.0);
		fprintf(stderr, "fuel points: %llu\n", (unsigned long long) cs.fuel_points);
		fprintf(stderr, "loops unrolled: %u\nloops peeled: %u\n", cs.loops_unrolled, cs.loops_peeled);
		fprintf(stderr, "compile threads: %u\n", cs.compile_threads);
	}
	if (perf_map)
	{
		const char *base = strrchr(argv[i], '/');

		if (sf_perfmap_write(m, base ? base + 1 : argv[i], &err) != SF_OK)
		{
			fprintf(stderr, "sfrun: %s\n", err.msg);
			goto out;
		}
		fprintf(stderr, "perf map: /tmp/perf-%ld.map\n", (long) getpid());
	}
	if (dump_dir && !dump_code(m, dump_dir))
		goto out;
	/* the tick runs before instantiation: start functions are metered too */
	if (interval && sf_watchdog_start((uint32_t) interval, &err) != SF_OK)
	{
		fprintf(stderr, "sfrun: %s\n", err.msg);
		goto out;
	}
	scfg.meter_start = have_limit;
	scfg.start_fuel_limit = opts.fuel_limit;
	/* the call reports the fuel it consumed through its options */
	if (!have_limit)
		opts.fuel_limit = UINT64_MAX;
	if (!(s = sf_store_new(&scfg, &err)) || !(st = sf_spectest_new(s, &err)) ||
		!(w = sf_wasi_new(s, &wh, &err)))
	{
		fprintf(stderr, "sfrun: %s\n", err.msg);
		goto out;
	}
	if (link_imports(m, st, w, &imports))
		goto out;
	inst = sf_instance_new(s, m, imports, sf_module_num_imports(m), &err);
	if (!inst)
	{
		rc = call_outcome(w, SF_TRAP, &err);
		goto out;
	}
	if (sf_instance_export(inst, export_name, strlen(export_name), &fx) != SF_OK ||
		fx.kind != SF_EXTERN_FUNC)
	{
		fprintf(stderr, "sfrun: no exported function \"%s\"\n", export_name);
		goto out;
	}
	sf_func_type(fx.of.func, &ft);
	if ((uint32_t) (argc - i - 2 > 0 ? argc - i - 2 : 0) != ft.nparams)
	{
		fprintf(stderr, "sfrun: %s takes %u arguments, %d given\n", export_name,
				ft.nparams, argc - i - 2 > 0 ? argc - i - 2 : 0);
		goto out;
	}
	args = calloc(ft.nparams + 1, sizeof(sf_val));
	res = calloc(ft.nresults + 1, sizeof(sf_val));
	if (!args || !res)
		goto out;
	for (uint32_t k = 0; k < ft.nparams; k++)
		if (!parse_arg(argv[i + 2 + k], ft.params[k], &args[k]))
		{
			fprintf(stderr, "sfrun: argument %u: \"%s\" is not a valid %s\n", k + 1,
					argv[i + 2 + k], sf_valtype_name(ft.params[k]));
			goto out;
		}
	for (long r = 0; r < repeat; r++)
	{
		double		t0 = now(), c0 = cpu_now(), dt, dc;
		sf_status	cs;

		if (timeout_ms && timeout_start((long) timeout_ms) != 0)
		{
			fprintf(stderr, "sfrun: cannot arm the timeout: %s\n", strerror(errno));
			goto out;
		}
		cs = sf_call(fx.of.func, args, ft.nparams, res, ft.nresults, &opts, &err);
		dt = now() - t0;
		dc = cpu_now() - c0;
		timeout_stop();
		sf_clear_interrupt();
		if (stats)
			fprintf(stderr, "fuel consumed: %llu\n", (unsigned long long) opts.fuel_consumed);
		if ((outcome = call_outcome(w, cs, &err)) >= 0)
		{
			rc = outcome;
			/* how long a call ran before it was stopped (bench/plugins/fuel.sh) */
			if (timing && err.status == SF_TRAP)
				fprintf(stderr, "call time: %.6f\n", dt);
			goto out;
		}
		if (dt < best)
			best = dt;
		if (dc < best_cpu)
			best_cpu = dc;
	}
	for (uint32_t k = 0; k < ft.nresults; k++)
		print_result(&res[k]);
	if (timing)
		fprintf(stderr, "call time: %.6f\ncall cpu time: %.6f\n", best, best_cpu);
	rc = 0;
out:
	timeout_stop();
	sf_watchdog_stop();
	fflush(stdout);
	free(args);
	free(res);
	free(imports);
	sf_spectest_free(st);
	sf_store_free(s);
	sf_wasi_free(w);
	sf_module_free(m);
	return rc;
}
