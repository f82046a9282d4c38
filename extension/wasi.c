/*
 * wasi.c -- the extension's side of the engine's WASI preview 1 subset
 * (engine/wasi.c, docs/host.md): where a guest's output, time and random
 * bytes come from.
 *
 *	output	each line of stdout or stderr becomes a NOTICE, a LOG line, or
 *			nothing, as slackfuel.output says; invalid UTF-8 and NUL bytes
 *			become U+FFFD.  The last lines of stderr are kept whatever the
 *			setting, so that a trap can say what the program wrote before
 *			it (a Rust panic's message).
 *	clock	the real clock, in microseconds as PostgreSQL's own
 *			(clock_timestamp()); ENOTCAPABLE unless slackfuel.allow_clock.
 *	random	pg_strong_random; ENOTCAPABLE unless slackfuel.allow_random.
 *
 * Callbacks run on top of JIT frames: the output callback's ereport runs
 * inside slackfuel_guard.
 */
#include "postgres.h"

#include <time.h>

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/timestamp.h"

#include "plwasm.h"

/* The last bytes written to stderr during the current call. */
#define STDERR_TAIL 2048

struct slackfuel_wasi
{
	sf_wasi    *w;
	slackfuel_host *host;
	char		tail[STDERR_TAIL + 1];
	size_t		tail_len;
};

/* Keep 'line' as the newest of the last lines of stderr. */
static void
keep_stderr(slackfuel_wasi *sw, const char *data, size_t len, int eol)
{
	size_t		need = len + (eol ? 1 : 0);

	if (need > STDERR_TAIL)
	{
		data += need - STDERR_TAIL;
		len -= need - STDERR_TAIL;
		need = STDERR_TAIL;
	}
	if (sw->tail_len + need > STDERR_TAIL)
	{
		size_t		drop = sw->tail_len + need - STDERR_TAIL;

		memmove(sw->tail, sw->tail + drop, sw->tail_len - drop);
		sw->tail_len -= drop;
	}
	memcpy(sw->tail + sw->tail_len, data, len);
	sw->tail_len += len;
	if (eol)
		sw->tail[sw->tail_len++] = '\n';
	sw->tail[sw->tail_len] = '\0';
}

/* 'data' as valid UTF-8: bad sequences and NUL bytes become U+FFFD. */
static char *
clean_utf8(const char *data, size_t len)
{
	StringInfoData s;
	size_t		i = 0;

	initStringInfo(&s);
	while (i < len)
	{
		const unsigned char *p = (const unsigned char *) data + i;
		int			n = pg_utf_mblen(p);

		if (*p != 0 && i + n <= len && pg_utf8_islegal(p, n))
		{
			appendBinaryStringInfo(&s, (const char *) p, n);
			i += n;
		}
		else
		{
			appendStringInfoString(&s, "\xef\xbf\xbd");
			i++;
		}
	}
	return s.data;
}

typedef struct output_line
{
	const char *data;
	size_t		len;
	int			level;
} output_line;

static void
report_line(void *arg)
{
	output_line *l = arg;
	char	   *utf8 = clean_utf8(l->data, l->len);
	char	   *conv = pg_any_to_server(utf8, strlen(utf8), PG_UTF8);

	ereport(l->level, (errmsg_internal("%s", conv)));
}

static int
wasi_output(void *env, int fd, const char *data, size_t len, int eol)
{
	slackfuel_wasi *sw = env;
	slackfuel_cx *cx = slackfuel_host_call(sw->host);
	slackfuel_output mode = slackfuel_output_mode();
	output_line l = {data, len, mode == SLACKFUEL_OUTPUT_LOG ? LOG : NOTICE};

	if (fd == 2)
		keep_stderr(sw, data, len, eol);
	if (mode == SLACKFUEL_OUTPUT_NONE || cx == NULL)
		return 0;
	return slackfuel_guard(cx, report_line, &l) ? 0 : -1;
}

static uint64
timespec_us_ns(const struct timespec *ts)
{
	return (uint64) ts->tv_sec * 1000000000 + (uint64) (ts->tv_nsec / 1000) * 1000;
}

static int
wasi_clock(void *env, uint32_t id, uint64_t *time_ns, uint64_t *resolution_ns)
{
	static const clockid_t clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC,
	CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID};
	struct timespec ts;

	if (!slackfuel_allowed(SLACKFUEL_CAP_CLOCK))
		return SF_WASI_ENOTCAPABLE;
	if (resolution_ns != NULL)
		*resolution_ns = 1000;
	else if (id == SF_WASI_CLOCK_REALTIME)
	{
		TimestampTz now = GetCurrentTimestamp();

		*time_ns = (uint64) (now + (int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) *
							 USECS_PER_DAY) * 1000;
	}
	else if (clock_gettime(clocks[id], &ts) != 0)
		return SF_WASI_EINVAL;
	else
		*time_ns = timespec_us_ns(&ts);
	return 0;
}

static int
wasi_random(void *env, void *buf, size_t len)
{
	if (!slackfuel_allowed(SLACKFUEL_CAP_RANDOM))
		return SF_WASI_ENOTCAPABLE;
	return pg_strong_random(buf, len) ? 0 : SF_WASI_EIO;
}

slackfuel_wasi *
slackfuel_wasi_new(const char *fname, sf_store *store, slackfuel_host *h)
{
	slackfuel_wasi *sw = calloc(1, sizeof(slackfuel_wasi));
	sf_wasi_host host = {sw, wasi_output, wasi_clock, wasi_random, 0};
	sf_error	err;

	if (sw == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	sw->host = h;
	sw->w = sf_wasi_new(store, &host, &err);
	if (sw->w == NULL)
	{
		free(sw);
		slackfuel_report_status(fname, "instantiate", &err);
	}
	return sw;
}

sf_wasi *
slackfuel_wasi_engine(slackfuel_wasi *sw)
{
	return sw->w;
}

void
slackfuel_wasi_call_begin(slackfuel_wasi *sw)
{
	sw->tail_len = 0;
	sw->tail[0] = '\0';
}

/* The unfinished last lines go out; false when that raised an error. */
bool
slackfuel_wasi_flush(slackfuel_wasi *sw)
{
	return sf_wasi_flush(sw->w) == 0;
}

/* What the current call wrote to stderr, its last lines ("" if nothing). */
const char *
slackfuel_wasi_stderr(slackfuel_wasi *sw)
{
	return sw->tail;
}

void
slackfuel_wasi_free(slackfuel_wasi *sw)
{
	if (sw == NULL)
		return;
	sf_wasi_free(sw->w);
	free(sw);
}
