/*
 * trig.c -- guest of regress/sql/triggers.sql: one trigger function whose
 * first argument (of CREATE TRIGGER) says what it does.
 */
#include "guest.h"

typedef struct
{
	uint8_t		some;
	string		s;				/* at 4 */
} optstr;

/* record trigger-data, as the canonical ABI lays it out */
typedef struct
{
	string		name,
				schema,
				table;
	uint8_t		event,			/* insert, update, delete, truncate */
				timing,			/* before, after, instead-of */
				level;			/* row, statement */
	struct
	{
		string	   *ptr;
		uint32_t	len;
	}			args;
	optstr		old,
				new;
} trigger_data;

_Static_assert(__builtin_offsetof(trigger_data, args) == 28, "args");
_Static_assert(__builtin_offsetof(trigger_data, new) == 48, "new");
_Static_assert(sizeof(trigger_data) == 60, "size");

/* variant trigger-result { skip, keep, row(string) } */
static struct
{
	uint8_t		disc;
	string		row;
}			result;

static const char *const events[] = {"insert", "update", "delete", "truncate"};
static const char *const timings[] = {"before", "after", "instead-of"};
static const char *const levels[] = {"row", "statement"};

static int
is(string s, const char *lit)
{
	size_t		n = slen(lit);

	if (s.len != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s.ptr[i] != lit[i])
			return 0;
	return 1;
}

/* s as the inside of a JSON string */
static void
sb_esc(sb *b, string s)
{
	for (uint32_t i = 0; i < s.len; i++)
	{
		if (s.ptr[i] == '"' || s.ptr[i] == '\\')
			sb_put(b, "\\", 1);
		sb_put(b, &s.ptr[i], 1);
	}
}

static void *
give_row(sb *b)
{
	result.disc = 2;
	result.row.ptr = b->buf;
	result.row.len = b->len;
	return &result;
}

static void *
give(uint8_t disc)
{
	result.disc = disc;
	return &result;
}

EXPORT(trig) void *
trig(trigger_data *d)
{
	string		mode = d->args.len > 0 ? d->args.ptr[0] : (string) {"keep", 4};
	sb			b = {0};

	if (is(mode, "keep"))
		return give(1);
	if (is(mode, "skip"))
		return give(0);
	if (is(mode, "badcase"))
		return give(7);
	if (is(mode, "echo"))
	{
		sb_put(&b, d->new.s.ptr, d->new.s.len);
		return give_row(&b);
	}
	if (is(mode, "stamp"))
	{
		sb_str(&b, "{\"note\": \"");
		sb_str(&b, events[d->event]);
		sb_str(&b, "/");
		sb_str(&b, timings[d->timing]);
		sb_str(&b, "/");
		sb_str(&b, levels[d->level]);
		sb_str(&b, " ");
		sb_esc(&b, d->schema);
		sb_str(&b, ".");
		sb_esc(&b, d->table);
		sb_str(&b, " by ");
		sb_esc(&b, d->name);
		for (uint32_t i = 1; i < d->args.len; i++)
		{
			sb_str(&b, i == 1 ? " (" : ", ");
			sb_esc(&b, d->args.ptr[i]);
			sb_str(&b, i == d->args.len - 1 ? ")" : "");
		}
		sb_str(&b, "\"}");
		return give_row(&b);
	}
	if (is(mode, "describe"))
	{
		sb_str(&b, "{\"note\": \"old ");
		if (d->old.some)
			sb_esc(&b, d->old.s);
		else
			sb_str(&b, "none");
		sb_str(&b, ", new ");
		if (d->new.some)
			sb_esc(&b, d->new.s);
		else
			sb_str(&b, "none");
		sb_str(&b, "\"}");
		return give_row(&b);
	}
	if (is(mode, "trap-if"))
	{
		/* trap when event, timing and level are args 1..3 and rows fit */
		if (d->args.len == 4 && is(d->args.ptr[1], events[d->event]) &&
			is(d->args.ptr[2], timings[d->timing]) &&
			is(d->args.ptr[3], levels[d->level]) &&
			d->old.some == (d->level == 0 && d->event != 0) &&
			d->new.some == (d->level == 0 && d->event <= 1))
			__builtin_trap();
		return give(1);
	}
	if (is(mode, "badkey"))
	{
		sb_str(&b, "{\"nosuch\": 1}");
		return give_row(&b);
	}
	if (is(mode, "badjson"))
	{
		sb_str(&b, "{\"note\": ");
		return give_row(&b);
	}
	__builtin_trap();
}

EXPORT(cabi_post_trig) void post_trig(int32_t r) { heap_reset(); }
