/*
** limits_stop.c -- how long a backend running a loop of large copies
** takes to stop after statement_timeout fires, pg_cancel_backend or
** pg_terminate_backend (bench/limits.sh prints the table).
**
**   limits_stop KIND MODE RUNS QUERY WARM
**
** KIND is timeout, cancel or terminate; MODE a slackfuel.fuel_mode.  Each
** run opens a session (libpq, PG* environment), sets the mode, runs WARM
** (which creates the instance), then QUERY asynchronously, and stops it:
** 'timeout' with statement_timeout = T, timing from when the query was
** sent plus T; 'cancel' and 'terminate' from a second session, after a
** delay, timing from just before that session's pg_cancel_backend /
** pg_terminate_backend is sent.  The stop is when the first session's
** error arrives (PostgreSQL sends it before it aborts the transaction or
** exits), or its connection is lost.  T and the delays vary over 150-350
** ms (LIMITS_STOP_BASE_MS moves the 150), so that the stop lands anywhere
** in a copy.  Prints "median MS max MS runs N cpu MS wait MS" and, on
** stderr, a run that did not end with the expected error.  'cpu' and
** 'wait' are of the slowest run, from /proc/PID/schedstat between the
** event and the error's arrival: the CPU time the victim's backend ran,
** and the time that it, the stopping session's backend and this program
** spent runnable but not running (waiting for a CPU), summed.  The
** kernel adds a wait to run_delay when the process gets a CPU, so a wait
** that began before the event counts whole, and the sum may exceed the
** delay: a victim that ran little CPU and waited long was off the CPU
** when it was signalled.  The CPU time of a process that is running is
** the kernel's total as of its last scheduler tick (4 ms apart here), so
** the victim's figure is that coarse.  LIMITS_STOP_VERBOSE=1 prints each
** run's delay and backend PID on stderr; LIMITS_STOP_TRACE=COMMAND runs
** "COMMAND -p PID" against each victim backend before the query (e.g.
** "strace -tt -f -o /tmp/t"), to see where a slow stop spent its time.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

/* A process's CPU time and its time runnable but waiting, in ms (0 if gone) */
typedef struct sched
{
	double		cpu;
	double		wait;
} sched;

typedef struct run
{
	double		ms;				/* event to error */
	double		cpu;			/* the victim's CPU time then */
	double		wait;			/* victim, killer and this program waiting */
} run;

static sched
sched_of(int pid)
{
	char		path[64];
	FILE	   *f;
	unsigned long long run = 0,
				delay = 0;
	sched		s = {0, 0};

	if (pid > 0)
		snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/schedstat");
	if ((f = fopen(path, "r")) == NULL)
		return s;
	if (fscanf(f, "%llu %llu", &run, &delay) == 2)
	{
		s.cpu = run * 1e-6;
		s.wait = delay * 1e-6;
	}
	fclose(f);
	return s;
}

static PGconn *
connect_or_die(void)
{
	PGconn	   *c = PQconnectdb("");

	if (PQstatus(c) != CONNECTION_OK)
	{
		fprintf(stderr, "limits_stop: %s", PQerrorMessage(c));
		exit(1);
	}
	return c;
}

static void
exec_or_die(PGconn *c, const char *sql)
{
	PGresult   *r = PQexec(c, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
	{
		fprintf(stderr, "limits_stop: %s: %s", sql, PQerrorMessage(c));
		exit(1);
	}
	PQclear(r);
}

/*
** Wait for the query's end: whether it ended with an error (or the
** connection); *at is when the error arrived, before the backend went on
** to abort its transaction (or exit).
*/
static int
wait_end(PGconn *c, double *at, int vpid, sched *v1, sched *s1)
{
	PGresult   *r;
	int			failed = 0;

	*at = 0;
	while ((r = PQgetResult(c)) != NULL)
	{
		if (PQresultStatus(r) == PGRES_FATAL_ERROR && !failed)
		{
			failed = 1;
			*at = now_ms();
			*v1 = sched_of(vpid);
			*s1 = sched_of(0);
		}
		PQclear(r);
		if (PQstatus(c) == CONNECTION_BAD)
			break;
	}
	if (*at == 0)
	{
		*at = now_ms();
		*v1 = sched_of(vpid);
		*s1 = sched_of(0);
	}
	return failed || PQstatus(c) == CONNECTION_BAD;
}

static int
cmp_run(const void *a, const void *b)
{
	double		x = ((const run *) a)->ms,
				y = ((const run *) b)->ms;

	return x < y ? -1 : x > y;
}

static run
one_run(const char *kind, const char *mode, const char *query, const char *warm, int i)
{
	PGconn	   *victim = connect_or_die();
	const char *base = getenv("LIMITS_STOP_BASE_MS");
	int			delay = (base ? atoi(base) : 150) + (i * 37) % 200;
	char		sql[256];
	double		t0,
				t1,
				tk = 0;
	int			vpid = PQbackendPID(victim),
				kpid = 0;
	sched		v0,
				v1,
				k0 = {0, 0},
				k1 = {0, 0},
				s0,
				s1;
	run			out;

	snprintf(sql, sizeof(sql), "SET slackfuel.fuel_mode = '%s'", mode);
	exec_or_die(victim, sql);
	/* the instance and its memory exist before the timed query */
	exec_or_die(victim, warm);
	if (getenv("LIMITS_STOP_TRACE"))
	{
		/* a tracer of the victim's backend, e.g. "strace -tt -o /tmp/t" */
		char		cmd[512];

		snprintf(cmd, sizeof(cmd), "%s -p %d & sleep 0.3", getenv("LIMITS_STOP_TRACE"),
				 PQbackendPID(victim));
		if (system(cmd) != 0)
			fprintf(stderr, "limits_stop: %s failed\n", cmd);
	}
	if (strcmp(kind, "timeout") == 0)
	{
		snprintf(sql, sizeof(sql), "SET statement_timeout = %d", delay);
		exec_or_die(victim, sql);
		t0 = now_ms() + delay;
		PQsendQuery(victim, query);
		/* the timeout fires at t0: its schedstat figures are taken 1 ms before */
		usleep((delay - 1) * 1000);
		v0 = sched_of(vpid);
		s0 = sched_of(0);
	}
	else
	{
		PGconn	   *killer = connect_or_die();

		snprintf(sql, sizeof(sql), "SELECT pg_%s_backend(%d)",
				 strcmp(kind, "cancel") == 0 ? "cancel" : "terminate",
				 PQbackendPID(victim));
		kpid = PQbackendPID(killer);
		PQsendQuery(victim, query);
		usleep(delay * 1000);
		v0 = sched_of(vpid);
		k0 = sched_of(kpid);
		s0 = sched_of(0);
		t0 = now_ms();
		exec_or_die(killer, sql);
		tk = now_ms();
		k1 = sched_of(kpid);
		PQfinish(killer);
	}
	if (!wait_end(victim, &t1, vpid, &v1, &s1))
		fprintf(stderr, "limits_stop: %s %s run %d: the query was not stopped\n", kind, mode, i);
	out.ms = t1 - t0;
	out.cpu = v1.cpu > 0 ? v1.cpu - v0.cpu : 0;
	out.wait = (v1.cpu > 0 ? v1.wait - v0.wait : 0) + (k1.wait - k0.wait) + (s1.wait - s0.wait);
	if (getenv("LIMITS_STOP_VERBOSE"))
		fprintf(stderr, "%s %s run %d pid %d: %.1f ms (killer's call returned at %.1f), victim cpu %.2f wait %.2f, killer wait %.2f, client wait %.2f\n",
				kind, mode, i, vpid, t1 - t0, tk ? tk - t0 : 0, out.cpu,
				v1.cpu > 0 ? v1.wait - v0.wait : 0, k1.wait - k0.wait, s1.wait - s0.wait);
	PQfinish(victim);
	return out;
}

int
main(int argc, char **argv)
{
	int			runs;
	run		   *r;

	if (argc != 6)
	{
		fprintf(stderr, "usage: limits_stop timeout|cancel|terminate MODE RUNS QUERY WARM\n");
		return 1;
	}
	runs = atoi(argv[3]);
	r = calloc(runs, sizeof(run));
	for (int i = 0; i < runs; i++)
		r[i] = one_run(argv[1], argv[2], argv[4], argv[5], i);
	qsort(r, runs, sizeof(run), cmp_run);
	printf("median %.1f max %.1f runs %d cpu %.1f wait %.1f\n", r[runs / 2].ms,
		   r[runs - 1].ms, runs, r[runs - 1].cpu, r[runs - 1].wait);
	return 0;
}
