/*
** wat.h -- internal interface of the WebAssembly text-format parser.
**
** sf_wat_to_wasm (wat_module.c) turns text into the binary format in two
** passes over the same token stream: the first records every definition's
** identifier and index (identifiers may be used before they are defined),
** the second encodes.  wat_lex.c is the lexer and the literal converters,
** wat_instr.c encodes instructions and expressions, wat_util.c holds byte
** buffers and identifier maps.
**
** Errors: the first failure fills 'p->err' with "line:col: message" and
** every function returns -1 from then on; the caller unwinds by return.
*/
#ifndef SF_WAT_H
#define SF_WAT_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Caps that keep hostile text from exhausting the stack or memory. */
#define WAT_MAX_NESTING		1000		/* blocks + folded parentheses */
#define WAT_MAX_OUTPUT		(256u << 20)	/* bytes of binary produced */

/* so every length and size the encoder writes fits its u32 field */
_Static_assert(WAT_MAX_OUTPUT < UINT32_MAX, "output cap must fit in u32");

typedef enum wat_tokkind
{
	WT_EOF,
	WT_LPAR,
	WT_RPAR,
	WT_KEYWORD,					/* starts with a-z: mnemonics, inf, nan */
	WT_ID,						/* $name */
	WT_NUM,						/* starts with a digit or a sign */
	WT_STRING,					/* "...", quotes included */
	WT_RESERVED					/* anything else: always an error */
} wat_tokkind;

typedef struct wat_tok
{
	wat_tokkind kind;
	size_t		off;			/* byte offset of the token in the text */
	size_t		len;
} wat_tok;

/* A growable byte buffer; 'oom' sticks once an allocation failed. */
typedef struct wat_buf
{
	uint8_t    *p;
	size_t		len;
	size_t		cap;
	int			oom;
} wat_buf;

/* Identifier -> index, keys are (offset, length) into a caller's base. */
typedef struct wat_map_ent
{
	size_t		koff;
	uint32_t	klen;
	uint32_t	val;			/* UINT32_MAX marks an empty slot */
} wat_map_ent;

typedef struct wat_map
{
	wat_map_ent *ents;
	uint32_t	n;
	uint32_t	cap;			/* power of two, or 0 */
} wat_map;

/* The index spaces the text names things in. */
typedef enum wat_space
{
	WS_TYPE, WS_FUNC, WS_TABLE, WS_MEMORY, WS_GLOBAL, WS_ELEM, WS_DATA,
	WS_COUNT
} wat_space;

/* A function type, as offsets into 'wat_parser.sigs'. */
typedef struct wat_type
{
	size_t		off;			/* params then results, one byte each */
	uint32_t	nparams;
	uint32_t	nresults;
} wat_type;

/* One enclosing block label ('len' 0 = no name). */
typedef struct wat_label
{
	size_t		off;
	size_t		len;
} wat_label;

typedef struct wat_parser
{
	const char *text;
	size_t		len;
	size_t		pos;			/* lexer position */
	wat_tok		tok;			/* current token (already lexed) */
	int			failed;
	sf_error   *err;

	/* pass 1 results: names and counts per index space */
	wat_map		names[WS_COUNT];
	uint32_t	count[WS_COUNT];
	uint32_t	nimports[WS_COUNT];

	/* types: explicit ones first, implicit ones appended in pass 2 */
	wat_type   *types;
	uint32_t	ntypes;
	uint32_t	types_cap;
	uint32_t	nexplicit_types;
	wat_buf		sigs;			/* valtype bytes of every type */
	wat_map		sigmap;			/* signature bytes -> first type index */

	/* function being encoded */
	wat_map		locals;
	uint32_t	nlocals;
	int			in_func;
	wat_label  *labels;
	uint32_t	nlabels;
	uint32_t	labels_cap;
	uint32_t	depth;			/* current nesting for the cap */
	wat_buf    *scratch;		/* one immediate buffer per folded depth */
	uint32_t	nscratch;
	int			uses_data_index;	/* memory.init / data.drop seen */
	wat_buf		tmp;			/* br_table targets */
} wat_parser;

/* wat_util.c */
int			wat_buf_reserve(wat_buf *b, size_t extra);
void		wat_buf_byte(wat_buf *b, uint8_t v);
void		wat_buf_bytes(wat_buf *b, const void *src, size_t n);
void		wat_buf_u32(wat_buf *b, uint32_t v);
void		wat_buf_s32(wat_buf *b, int32_t v);
void		wat_buf_s64(wat_buf *b, int64_t v);
void		wat_buf_free(wat_buf *b);
int			wat_map_put(wat_map *m, const char *base, size_t koff,
						uint32_t klen, uint32_t val);
int64_t		wat_map_get(const wat_map *m, const char *base, size_t koff,
						uint32_t klen);
void		wat_map_free(wat_map *m);
int			wat_fail(wat_parser *p, size_t off, const char *fmt, ...) SF_PRINTF(3, 4);
int			wat_fail_expected(wat_parser *p, const char *what);
int			wat_check_output(wat_parser *p, const wat_buf *b);

/* wat_lex.c */
int			wat_next(wat_parser *p);
int			wat_peek(wat_parser *p, wat_tok *out);
int			wat_is_keyword(const wat_parser *p, const wat_tok *t, const char *kw);
int			wat_tok_is(const wat_parser *p, const char *kw);
int			wat_peek_field(wat_parser *p, const char *kw);
int			wat_expect(wat_parser *p, wat_tokkind kind, const char *what);
int			wat_expect_keyword(wat_parser *p, const char *kw);
int			wat_skip_sexpr(wat_parser *p);
int			wat_parse_u32(wat_parser *p, const wat_tok *t, uint32_t *out);
int			wat_parse_u64(wat_parser *p, const wat_tok *t, uint64_t *out);
int			wat_parse_i32(wat_parser *p, const wat_tok *t, uint32_t *out);
int			wat_parse_i64(wat_parser *p, const wat_tok *t, uint64_t *out);
int			wat_parse_f32(wat_parser *p, const wat_tok *t, uint32_t *bits);
int			wat_parse_f64(wat_parser *p, const wat_tok *t, uint64_t *bits);
int			wat_parse_string(wat_parser *p, const wat_tok *t, wat_buf *out);
int			wat_parse_name(wat_parser *p, wat_buf *out);

/* wat_instr.c */
int			wat_valtype(wat_parser *p, const wat_tok *t);
int			wat_reftype(wat_parser *p, const wat_tok *t);
int			wat_index(wat_parser *p, wat_space sp, uint32_t *out);
int			wat_opt_index(wat_parser *p, wat_space sp, uint32_t *out);
int			wat_param_list(wat_parser *p, int names, uint32_t *np);
int			wat_result_list(wat_parser *p, uint32_t *nr);
int			wat_typeuse(wat_parser *p, int names, int64_t *typeidx,
						uint32_t *nparams);
int			wat_intern_type(wat_parser *p, size_t off, uint32_t np,
							uint32_t nr, int force_new, uint32_t *idx);
int			wat_instrs(wat_parser *p, wat_buf *out);
int			wat_expr(wat_parser *p, wat_buf *out);
int			wat_folded_instr(wat_parser *p, wat_buf *out);
void		wat_instr_free(wat_parser *p);

#endif							/* SF_WAT_H */
