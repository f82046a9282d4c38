/*
** wat_lex.c -- tokens, numeric literals and strings of the text format.
**
** The lexer works on demand from 'p->pos' and keeps only the current
** token, so memory does not grow with the input.  Literal converters check
** the exact grammar of the spec (underscores only between digits, hex
** prefixes, signs) and the exact ranges; floats are rounded to nearest
** even by the C library's strtof/strtod in the "C" locale, which glibc
** implements exactly for both decimal and hexadecimal input (one rounding
** step, straight to the target format).
*/
#define _GNU_SOURCE				/* strtof_l, strtod_l */
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wat.h"

static int
is_idchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return 1;
	return c != 0 && strchr("!#$%&'*+-./:<=>?@\\^_`|~", c) != NULL;
}

static int
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Skip a block comment starting at 'i' ("(;"); they nest. */
static int
skip_block_comment(wat_parser *p, size_t *ip)
{
	size_t		i = *ip + 2;
	size_t		level = 1;

	while (i + 1 < p->len)
	{
		if (p->text[i] == '(' && p->text[i + 1] == ';')
		{
			level++;
			i += 2;
		}
		else if (p->text[i] == ';' && p->text[i + 1] == ')')
		{
			i += 2;
			if (--level == 0)
			{
				*ip = i;
				return 0;
			}
		}
		else
			i++;
	}
	return wat_fail(p, *ip, "unclosed block comment");
}

static int
skip_space(wat_parser *p, size_t *ip)
{
	size_t		i = *ip;

	for (;;)
	{
		if (i >= p->len)
			break;
		if (is_space((unsigned char) p->text[i]))
			i++;
		else if (p->text[i] == ';' && i + 1 < p->len && p->text[i + 1] == ';')
		{
			while (i < p->len && p->text[i] != '\n')
				i++;
		}
		else if (p->text[i] == '(' && i + 1 < p->len && p->text[i + 1] == ';')
		{
			if (skip_block_comment(p, &i) < 0)
				return -1;
		}
		else
			break;
	}
	*ip = i;
	return 0;
}

/* Find the closing quote of the string starting at 'i'. */
static int
lex_string(wat_parser *p, size_t i, size_t *end)
{
	size_t		j = i + 1;

	while (j < p->len && p->text[j] != '"')
	{
		if (p->text[j] == '\n')
			return wat_fail(p, i, "unterminated string");
		if (p->text[j] == '\\' && j + 1 < p->len)
			j++;
		j++;
	}
	if (j >= p->len)
		return wat_fail(p, i, "unterminated string");
	*end = j + 1;
	return 0;
}

/* Lex one token at *ip into 't'; *ip moves past it. */
static int
lex(wat_parser *p, size_t *ip, wat_tok *t)
{
	size_t		i;
	size_t		j = 0;
	unsigned char c;
	int			all_id = 1;

	if (skip_space(p, ip) < 0)
		return -1;
	i = *ip;
	t->off = i;
	if (i >= p->len)
	{
		t->kind = WT_EOF;
		t->len = 0;
		return 0;
	}
	c = (unsigned char) p->text[i];
	if (c == '(' || c == ')')
	{
		t->kind = c == '(' ? WT_LPAR : WT_RPAR;
		t->len = 1;
		*ip = i + 1;
		return 0;
	}
	/*
	** A token is a maximal run of identifier characters and strings; a run
	** that is neither one string nor only identifier characters (such as
	** 'data"a"' or '"a""b"') is reserved, as in the spec's lexer.
	*/
	j = i;
	while (j < p->len)
	{
		unsigned char d = (unsigned char) p->text[j];

		if (is_space(d) || d == '(' || d == ')' || d == ';')
			break;
		if (d == '"')
		{
			size_t		e = 0;

			if (lex_string(p, j, &e) < 0)
				return -1;
			all_id = (j == i) ? 2 : 0;
			j = e;
			continue;
		}
		if (!is_idchar(d))
			all_id = 0;
		else if (all_id == 2)
			all_id = 0;
		j++;
	}
	if (all_id == 2)
	{
		t->kind = WT_STRING;
		t->len = j - i;
		*ip = j;
		return 0;
	}
	if (j == i)					/* a lone ';' */
		j = i + 1, all_id = 0;
	t->len = j - i;
	*ip = j;
	if (!all_id)
		t->kind = WT_RESERVED;
	else if (c >= 'a' && c <= 'z')
		t->kind = WT_KEYWORD;
	else if (c == '$' && t->len > 1)
		t->kind = WT_ID;
	else if ((c >= '0' && c <= '9') || c == '+' || c == '-')
		t->kind = WT_NUM;
	else
		t->kind = WT_RESERVED;
	return 0;
}

/*
** Advance to the next token.  After any error the current token becomes
** end of input, so that every loop over tokens of some kind stops even
** where the caller does not look at the return value.
*/
int
wat_next(wat_parser *p)
{
	if (p->failed || lex(p, &p->pos, &p->tok) < 0)
	{
		p->tok.kind = WT_EOF;
		p->tok.len = 0;
		return -1;
	}
	return 0;
}

/* The token after the current one, without consuming anything. */
int
wat_peek(wat_parser *p, wat_tok *out)
{
	size_t		i = p->pos;

	if (p->failed || lex(p, &i, out) < 0)
	{
		out->kind = WT_EOF;
		out->off = p->tok.off;
		out->len = 0;
		return -1;
	}
	return 0;
}

int
wat_is_keyword(const wat_parser *p, const wat_tok *t, const char *kw)
{
	size_t		n = strlen(kw);

	return t->kind == WT_KEYWORD && t->len == n &&
		memcmp(p->text + t->off, kw, n) == 0;
}

int
wat_tok_is(const wat_parser *p, const char *kw)
{
	return wat_is_keyword(p, &p->tok, kw);
}

/* Is the current token '(' followed by keyword 'kw'? */
int
wat_peek_field(wat_parser *p, const char *kw)
{
	wat_tok		t;

	if (p->tok.kind != WT_LPAR || wat_peek(p, &t) < 0)
		return 0;
	return wat_is_keyword(p, &t, kw);
}

int
wat_expect(wat_parser *p, wat_tokkind kind, const char *what)
{
	if (p->failed)
		return -1;
	if (p->tok.kind != kind)
		return wat_fail_expected(p, what);
	return wat_next(p);
}

int
wat_expect_keyword(wat_parser *p, const char *kw)
{
	char		what[40];

	if (p->failed)
		return -1;
	if (!wat_tok_is(p, kw))
	{
		snprintf(what, sizeof(what), "'%s'", kw);
		return wat_fail_expected(p, what);
	}
	return wat_next(p);
}

/*
** Skip the balanced s-expression starting at the current '(' (iteratively,
** so hostile nesting cannot exhaust the stack).
*/
int
wat_skip_sexpr(wat_parser *p)
{
	size_t		level = 0;
	size_t		start = p->tok.off;

	do
	{
		if (p->tok.kind == WT_EOF)
			return wat_fail(p, start, "unbalanced parentheses: missing ')'");
		if (p->tok.kind == WT_LPAR)
			level++;
		else if (p->tok.kind == WT_RPAR)
			level--;
		if (wat_next(p) < 0)
			return -1;
	} while (level > 0);
	return 0;
}

/* --- integers -------------------------------------------------------- */

static int
digit_value(unsigned char c, int hex)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (hex && c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (hex && c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
** Digits with single underscores between them, s[0..n) exactly.  The value
** saturates; '*overflow' says whether it exceeded 'max'.
*/
static int
scan_digits(const char *s, size_t n, int hex, uint64_t max, uint64_t *out,
			int *overflow)
{
	uint64_t	v = 0;
	int			base = hex ? 16 : 10;

	*overflow = 0;
	if (n == 0 || s[0] == '_' || s[n - 1] == '_')
		return -1;
	for (size_t i = 0; i < n; i++)
	{
		int			d;

		if (s[i] == '_')
		{
			if (s[i - 1] == '_')
				return -1;
			continue;
		}
		d = digit_value((unsigned char) s[i], hex);
		if (d < 0)
			return -1;
		if (v > (max - (uint64_t) d) / (uint64_t) base)
			*overflow = 1;
		else
			v = v * base + d;
	}
	*out = v;
	return 0;
}

/* sign? (digits | 0x hexdigits) -> magnitude and sign. */
static int
scan_int(const wat_parser *p, const wat_tok *t, int *sign, uint64_t *mag,
		 int *overflow)
{
	const char *s = p->text + t->off;
	size_t		n = t->len;
	int			hex = 0;

	*sign = 0;
	if (t->kind != WT_NUM)
		return -1;
	if (n > 0 && (s[0] == '+' || s[0] == '-'))
	{
		*sign = s[0] == '-' ? -1 : 1;
		s++, n--;
	}
	if (n >= 2 && s[0] == '0' && s[1] == 'x')
	{
		hex = 1;
		s += 2, n -= 2;
	}
	return scan_digits(s, n, hex, UINT64_MAX, mag, overflow);
}

static int
parse_int(wat_parser *p, const wat_tok *t, int bits, int allow_sign,
		  uint64_t *out, const char *what)
{
	int			sign;
	int			overflow;
	uint64_t	mag;
	uint64_t	umax = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;

	if (scan_int(p, t, &sign, &mag, &overflow) < 0 || (sign && !allow_sign))
	{
		char		exp[48];

		snprintf(exp, sizeof(exp), "%s", what);
		if (t != &p->tok)
			return wat_fail(p, t->off, "malformed %s", what);
		return wat_fail_expected(p, exp);
	}
	if (overflow || mag > umax ||
		(sign < 0 && mag > (UINT64_C(1) << (bits - 1))))
		return wat_fail(p, t->off, "constant out of range: %s does not fit",
						what);
	*out = sign < 0 ? (uint64_t) 0 - mag : mag;
	if (bits < 64)
		*out &= umax;
	return 0;
}

int
wat_parse_u32(wat_parser *p, const wat_tok *t, uint32_t *out)
{
	uint64_t	v;

	if (parse_int(p, t, 32, 0, &v, "u32 number") < 0)
		return -1;
	*out = (uint32_t) v;
	return 0;
}

int
wat_parse_u64(wat_parser *p, const wat_tok *t, uint64_t *out)
{
	return parse_int(p, t, 64, 0, out, "u64 number");
}

int
wat_parse_i32(wat_parser *p, const wat_tok *t, uint32_t *out)
{
	uint64_t	v;

	if (parse_int(p, t, 32, 1, &v, "i32 literal") < 0)
		return -1;
	*out = (uint32_t) v;
	return 0;
}

int
wat_parse_i64(wat_parser *p, const wat_tok *t, uint64_t *out)
{
	return parse_int(p, t, 64, 1, out, "i64 literal");
}

/* --- floats ---------------------------------------------------------- */

static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static locale_t c_locale;

static void
c_locale_init(void)
{
	c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t) 0);
}

/*
** Check the float grammar on s[0..n) (sign already removed) and copy it
** without underscores into 'dst' (n + 1 bytes).  Returns -1 on bad syntax.
*/
static int
float_clean(const char *s, size_t n, char *dst)
{
	size_t		i = 0;
	size_t		k = 0;
	int			hex = n >= 2 && s[0] == '0' && s[1] == 'x';
	size_t		start;
	uint64_t	dummy;
	int			ovf;

	if (hex)
	{
		dst[k++] = '0', dst[k++] = 'x';
		i = 2;
	}
	/* integer part: mandatory */
	start = i;
	while (i < n && (digit_value((unsigned char) s[i], hex) >= 0 || s[i] == '_'))
		i++;
	if (scan_digits(s + start, i - start, hex, UINT64_MAX, &dummy, &ovf) < 0)
		return -1;
	for (size_t j = start; j < i; j++)
		if (s[j] != '_')
			dst[k++] = s[j];
	if (i < n && s[i] == '.')
	{
		dst[k++] = s[i++];
		start = i;
		while (i < n && (digit_value((unsigned char) s[i], hex) >= 0 || s[i] == '_'))
			i++;
		if (i > start &&
			scan_digits(s + start, i - start, hex, UINT64_MAX, &dummy, &ovf) < 0)
			return -1;
		for (size_t j = start; j < i; j++)
			if (s[j] != '_')
				dst[k++] = s[j];
	}
	if (i < n && (hex ? (s[i] == 'p' || s[i] == 'P') : (s[i] == 'e' || s[i] == 'E')))
	{
		dst[k++] = s[i++];
		if (i < n && (s[i] == '+' || s[i] == '-'))
			dst[k++] = s[i++];
		start = i;
		while (i < n && (digit_value((unsigned char) s[i], 0) >= 0 || s[i] == '_'))
			i++;
		if (scan_digits(s + start, i - start, 0, UINT64_MAX, &dummy, &ovf) < 0)
			return -1;
		for (size_t j = start; j < i; j++)
			if (s[j] != '_')
				dst[k++] = s[j];
	}
	if (i != n)
		return -1;
	dst[k] = '\0';
	return 0;
}

/*
** The common part of f32 and f64: sign, inf, nan, nan:0x payloads.
** 'mbits' is the mantissa width.  Returns 1 if the token was a special
** value (bits in *out), 0 if it is a number (s/n point past the sign).
*/
static int
float_special(wat_parser *p, const wat_tok *t, int mbits, uint64_t *out,
			  const char **sp, size_t *np, int *neg)
{
	const char *s = p->text + t->off;
	size_t		n = t->len;
	int			ebits = mbits == 23 ? 8 : 11;
	uint64_t	sign_bit = UINT64_C(1) << (mbits + ebits);
	uint64_t	exp_all = ((UINT64_C(1) << ebits) - 1) << mbits;

	*neg = 0;
	if (t->kind != WT_NUM && t->kind != WT_KEYWORD)
		return -1;
	if (n > 0 && (s[0] == '+' || s[0] == '-'))
	{
		*neg = s[0] == '-';
		s++, n--;
	}
	*sp = s;
	*np = n;
	if (n == 3 && memcmp(s, "inf", 3) == 0)
	{
		*out = exp_all | (*neg ? sign_bit : 0);
		return 1;
	}
	if (n == 3 && memcmp(s, "nan", 3) == 0)
	{
		*out = exp_all | (UINT64_C(1) << (mbits - 1)) | (*neg ? sign_bit : 0);
		return 1;
	}
	if (n > 6 && memcmp(s, "nan:0x", 6) == 0)
	{
		uint64_t	payload;
		int			ovf;

		if (scan_digits(s + 6, n - 6, 1, UINT64_MAX, &payload, &ovf) < 0)
			return -1;
		if (ovf || payload == 0 || payload >= (UINT64_C(1) << mbits))
			return wat_fail(p, t->off, "constant out of range: NaN payload "
							"must be in 1..0x%llx",
							(unsigned long long) ((UINT64_C(1) << mbits) - 1));
		*out = exp_all | payload | (*neg ? sign_bit : 0);
		return 1;
	}
	return 0;
}

/*
** Round m * 2^e (plus a sticky fraction below m's last bit) to nearest even
** in a format with 'mbits' mantissa bits.  Returns the bits without sign,
** or -1 when the result is infinite.
*/
static int
round_binary(uint64_t m, int64_t e, int sticky, int mbits, uint64_t *bits)
{
	int64_t		emax = mbits == 23 ? 127 : 1023;
	int64_t		emin = 1 - emax;
	int64_t		E;
	int64_t		q;
	int64_t		s;
	uint64_t	r;
	int			up = 0;

	if (m == 0)
	{
		*bits = 0;
		return 0;
	}
	E = (63 - __builtin_clzll(m)) + e;	/* value in [2^E, 2^(E+1)) */
	if (E > emax)
		return -1;
	q = (E < emin ? emin : E) - mbits;	/* exponent of the last kept bit */
	s = q - e;
	if (s <= 0)
		r = m << -s;			/* exact: fewer bits than the format has */
	else if (s > 64)
		r = 0;					/* below half the smallest subnormal */
	else if (s == 64)
	{
		r = 0;
		up = m > (UINT64_C(1) << 63) || (m == (UINT64_C(1) << 63) && sticky);
	}
	else
	{
		uint64_t	rem = m & ((UINT64_C(1) << s) - 1);
		uint64_t	half = UINT64_C(1) << (s - 1);

		r = m >> s;
		up = rem > half || (rem == half && (sticky || (r & 1)));
	}
	r += up;
	if (E < emin)
	{
		*bits = r;				/* 2^mbits here is the smallest normal */
		return 0;
	}
	if (r >> (mbits + 1))
	{
		r >>= 1;
		E++;
	}
	if (E > emax)
		return -1;
	*bits = ((uint64_t) (E + emax) << mbits) | (r & ((UINT64_C(1) << mbits) - 1));
	return 0;
}

/*
** A cleaned hexadecimal float ("0x" hexdigits [. hexdigits] [p exp]),
** rounded exactly: glibc's strtof misrounds some subnormal hex inputs
** (0x1.000001p-150 gives 0), so this does not depend on it.
*/
static int
hex_float(const char *s, int mbits, uint64_t *bits)
{
	uint64_t	m = 0;
	int64_t		e = 0;
	int64_t		x = 0;
	int			sticky = 0;
	int			frac = 0;
	int			neg = 0;
	const char *c = s + 2;

	for (; *c && *c != 'p' && *c != 'P'; c++)
	{
		int			d;

		if (*c == '.')
		{
			frac = 1;
			continue;
		}
		d = digit_value((unsigned char) *c, 1);
		if (m < (UINT64_C(1) << 56))
		{
			m = m * 16 + (uint64_t) d;
			e -= frac ? 4 : 0;
		}
		else
		{
			sticky |= d != 0;
			e += frac ? 0 : 4;
		}
	}
	if (*c)
	{
		c++;
		if (*c == '+' || *c == '-')
			neg = *c++ == '-';
		for (; *c; c++)
			if (x < 100000000)	/* far beyond any finite result */
				x = x * 10 + (*c - '0');
		e += neg ? -x : x;
	}
	return round_binary(m, e, sticky, mbits, bits);
}

static int
parse_float(wat_parser *p, const wat_tok *t, int is32, uint64_t *bits)
{
	const char *s;
	size_t		n;
	int			neg;
	int			r;
	char	   *buf;

	r = float_special(p, t, is32 ? 23 : 52, bits, &s, &n, &neg);
	if (r == 1)
		return 0;
	if (r < 0 || t->kind != WT_NUM || n == 0)
	{
		if (p->failed)
			return -1;
		return wat_fail(p, t->off, "malformed %s literal", is32 ? "f32" : "f64");
	}
	buf = malloc(n + 2);
	if (buf == NULL)
		return wat_fail(p, t->off, "out of memory");
	if (float_clean(s, n, buf) < 0)
	{
		free(buf);
		return wat_fail(p, t->off, "malformed %s literal", is32 ? "f32" : "f64");
	}
	*bits = 0;
	if (buf[0] == '0' && buf[1] == 'x')
	{
		r = hex_float(buf, is32 ? 23 : 52, bits) < 0;
		*bits |= neg ? UINT64_C(1) << (is32 ? 31 : 63) : 0;
	}
	else if (is32)
	{
		float		f;
		uint32_t	u;

		pthread_once(&c_locale_once, c_locale_init);
		f = c_locale ? strtof_l(buf, NULL, c_locale) : strtof(buf, NULL);
		memcpy(&u, &f, 4);
		*bits = u | (neg ? 0x80000000u : 0);
		r = isinf(f);
	}
	else
	{
		double		d;

		pthread_once(&c_locale_once, c_locale_init);
		d = c_locale ? strtod_l(buf, NULL, c_locale) : strtod(buf, NULL);

		memcpy(bits, &d, 8);
		*bits |= neg ? UINT64_C(1) << 63 : 0;
		r = isinf(d);
	}
	free(buf);
	if (r)
		return wat_fail(p, t->off, "constant out of range: %s literal rounds "
						"to infinity", is32 ? "f32" : "f64");
	return 0;
}

int
wat_parse_f32(wat_parser *p, const wat_tok *t, uint32_t *bits)
{
	uint64_t	b;

	if (parse_float(p, t, 1, &b) < 0)
		return -1;
	*bits = (uint32_t) b;
	return 0;
}

int
wat_parse_f64(wat_parser *p, const wat_tok *t, uint64_t *bits)
{
	return parse_float(p, t, 0, bits);
}

/* --- strings --------------------------------------------------------- */

/* Length of the UTF-8 sequence at s[0..n), or 0 if it is not valid. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	uint32_t	cp;
	size_t		len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++)
	{
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		(cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static void
put_utf8(wat_buf *out, uint32_t cp)
{
	if (cp < 0x80)
		wat_buf_byte(out, (uint8_t) cp);
	else if (cp < 0x800)
	{
		wat_buf_byte(out, 0xc0 | (cp >> 6));
		wat_buf_byte(out, 0x80 | (cp & 0x3f));
	}
	else if (cp < 0x10000)
	{
		wat_buf_byte(out, 0xe0 | (cp >> 12));
		wat_buf_byte(out, 0x80 | ((cp >> 6) & 0x3f));
		wat_buf_byte(out, 0x80 | (cp & 0x3f));
	}
	else
	{
		wat_buf_byte(out, 0xf0 | (cp >> 18));
		wat_buf_byte(out, 0x80 | ((cp >> 12) & 0x3f));
		wat_buf_byte(out, 0x80 | ((cp >> 6) & 0x3f));
		wat_buf_byte(out, 0x80 | (cp & 0x3f));
	}
}

/* \u{hex+}: a Unicode scalar value, written as UTF-8. */
static int
string_unicode(wat_parser *p, const char *s, size_t n, size_t *ip, wat_buf *out,
			   size_t base)
{
	size_t		i = *ip;
	size_t		start;
	uint64_t	cp;
	int			ovf;

	if (i >= n || s[i] != '{')
		return wat_fail(p, base + i, "malformed \\u escape: expected '{'");
	start = ++i;
	while (i < n && s[i] != '}')
		i++;
	if (i >= n || scan_digits(s + start, i - start, 1, UINT64_MAX, &cp, &ovf) < 0)
		return wat_fail(p, base + start, "malformed \\u escape");
	if (ovf || cp >= 0x110000 || (cp >= 0xd800 && cp < 0xe000))
		return wat_fail(p, base + start, "\\u escape is not a Unicode scalar value");
	put_utf8(out, (uint32_t) cp);
	*ip = i + 1;
	return 0;
}

static int
string_escape(wat_parser *p, const char *s, size_t n, size_t *ip, wat_buf *out,
			  size_t base)
{
	size_t		i = *ip;
	int			h;
	int			l;

	switch (s[i])
	{
		case 't':
			wat_buf_byte(out, '\t');
			break;
		case 'n':
			wat_buf_byte(out, '\n');
			break;
		case 'r':
			wat_buf_byte(out, '\r');
			break;
		case '"':
		case '\'':
		case '\\':
			wat_buf_byte(out, (uint8_t) s[i]);
			break;
		case 'u':
			*ip = i + 1;
			return string_unicode(p, s, n, ip, out, base);
		default:
			h = digit_value((unsigned char) s[i], 1);
			l = i + 1 < n ? digit_value((unsigned char) s[i + 1], 1) : -1;
			if (h < 0 || l < 0)
				return wat_fail(p, base + i - 1, "malformed escape in string");
			wat_buf_byte(out, (uint8_t) (h * 16 + l));
			i++;
	}
	*ip = i + 1;
	return 0;
}

/* Decode the string token 't' and append its bytes to 'out'. */
int
wat_parse_string(wat_parser *p, const wat_tok *t, wat_buf *out)
{
	const char *s = p->text + t->off + 1;
	size_t		n = t->len - 2;
	size_t		base = t->off + 1;
	size_t		i = 0;

	if (t->kind != WT_STRING)
		return wat_fail_expected(p, "string");
	while (i < n)
	{
		unsigned char c = (unsigned char) s[i];
		size_t		ulen;

		if (c == '\\')
		{
			i++;
			if (string_escape(p, s, n, &i, out, base) < 0)
				return -1;
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			return wat_fail(p, base + i, "control character in string");
		ulen = utf8_len((const unsigned char *) s + i, n - i);
		if (ulen == 0)
			return wat_fail(p, base + i, "malformed UTF-8 encoding in string");
		wat_buf_bytes(out, s + i, ulen);
		i += ulen;
	}
	return wat_check_output(p, out);
}

/*
** A name: a string whose bytes must be valid UTF-8, appended to 'out' with
** its length prefix.  Consumes the token.
*/
int
wat_parse_name(wat_parser *p, wat_buf *out)
{
	wat_buf		s = {0};
	int			r = 0;

	if (p->tok.kind != WT_STRING)
		return wat_fail_expected(p, "name string");
	if (wat_parse_string(p, &p->tok, &s) < 0)
		r = -1;
	for (size_t i = 0; r == 0 && i < s.len;)
	{
		size_t		l = utf8_len(s.p + i, s.len - i);

		if (l == 0)
			r = wat_fail(p, p->tok.off, "malformed UTF-8 encoding in name");
		i += l;
	}
	if (r == 0)
	{
		wat_buf_u32(out, (uint32_t) s.len);
		wat_buf_bytes(out, s.p, s.len);
	}
	wat_buf_free(&s);
	return r < 0 ? -1 : wat_next(p);
}
