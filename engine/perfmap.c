/*
** perfmap.c -- perf's map of JIT code, /tmp/perf-<pid>.map.
**
** perf names samples in anonymous executable memory from this text file,
** one "START SIZE name" line per symbol, START and SIZE in hex without 0x,
** the name running to the end of the line (tools/perf/Documentation/
** jit-interface.txt).  perf reads it after the run, so lines are only ever
** appended; a module freed leaves its lines behind, and code placed later
** at the same addresses gets lines of its own after them.
**
** /tmp is shared: the file is opened without following a symbolic link
** and must be a regular file owned by this user, else nothing is written.
*/
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "slackfuel.h"
#include "util.h"

static pthread_mutex_t perfmap_lock = PTHREAD_MUTEX_INITIALIZER;
static pid_t written_by;		/* the process that last opened the map */

#define NAME_MAX_CHARS 256		/* of a label or a function name */

/*
** Up to NAME_MAX_CHARS of 's' at out + *o, control characters (a newline
** would end the line) as '?'.
*/
static void
put_clean(char *out, size_t *o, const char *s)
{
	for (size_t i = 0; s[i] && i < NAME_MAX_CHARS; i++)
		out[(*o)++] = (unsigned char) s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
}

/* The lines of 'm', malloc'd; NULL when out of memory. */
static char *
format_lines(const sf_module *m, const char *label, size_t *len)
{
	uint32_t	n = sf_module_num_code_ranges(m);
	size_t		line_max = 64 + 2 * NAME_MAX_CHARS;	/* hex, index, separators */
	size_t		o = 0;
	char	   *buf;
	sf_code_range r;

	buf = malloc(n * line_max + 1);
	if (buf == NULL)
		return NULL;
	for (uint32_t i = 0; i < n; i++)
	{
		sf_module_code_range(m, i, &r);
		o += (size_t) sprintf(buf + o, "%lx %zx wasm:",
							  (unsigned long) (uintptr_t) r.start, r.size);
		put_clean(buf, &o, label);
		o += (size_t) sprintf(buf + o, ":%u", r.func_index);
		if (r.name)
		{
			buf[o++] = ':';
			put_clean(buf, &o, r.name);
		}
		buf[o++] = '\n';
	}
	*len = o;
	return buf;
}

static sf_status
open_map(const char *path, int *fd, sf_error *err)
{
	int			flags = O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC;
	struct stat st;

	*fd = open(path, flags, 0644);
	if (*fd < 0)
		return sf_error_set(err, errno == ELOOP ? SF_BADARG : SF_NOTFOUND,
							"cannot open perf map %s: %s", path,
							errno == ELOOP ? "it is a symbolic link" : strerror(errno));
	if (fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid())
	{
		close(*fd);
		*fd = -1;
		return sf_error_set(err, SF_BADARG,
							"perf map %s is not a regular file owned by this user", path);
	}
	/* Lines of an earlier process that had our pid would name our code. */
	if (written_by != getpid() && ftruncate(*fd, 0) != 0)
	{
		int			e = errno;

		close(*fd);
		*fd = -1;
		return sf_error_set(err, SF_LIMIT, "cannot empty perf map %s: %s",
							path, strerror(e));
	}
	written_by = getpid();
	return SF_OK;
}

sf_status
sf_perfmap_write(const sf_module *m, const char *label, sf_error *err)
{
	char		path[64];
	char	   *buf;
	size_t		len;
	size_t		done = 0;
	int			fd = -1;
	sf_status	st;

	if (sf_module_num_code_ranges(m) == 0)
		return SF_OK;
	buf = format_lines(m, label, &len);
	if (buf == NULL)
		return sf_error_set(err, SF_NOMEM, "out of memory for the perf map");
	snprintf(path, sizeof(path), "/tmp/perf-%ld.map", (long) getpid());
	pthread_mutex_lock(&perfmap_lock);
	st = open_map(path, &fd, err);
	while (st == SF_OK && done < len)
	{
		ssize_t		w = write(fd, buf + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			st = sf_error_set(err, SF_LIMIT, "cannot write perf map %s: %s",
							  path, w < 0 ? strerror(errno) : "no space left");
		else
			done += (size_t) w;
	}
	if (fd >= 0)
		close(fd);
	pthread_mutex_unlock(&perfmap_lock);
	free(buf);
	return st;
}
