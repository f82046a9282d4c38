/*
** opcodes.h -- the opcode table of the engine.
**
** One row per instruction; the decoder, validator, compiler, WAT parser and
** fuel accounting all read this table, so adding an opcode is one row here
** plus its lowering.
**
** Columns:
**   id      enum suffix (SF_OP_<id>)
**   name    text-format mnemonic (typed select shares "select")
**   prefix  0x00 for one-byte opcodes, 0xFC for the misc prefix
**   code    the opcode byte, or the LEB128 sub-opcode after the prefix
**   imm     immediate kind (sf_imm_kind)
**   sig     operand signature for simple instructions, "params:results"
**           with i = i32, I = i64, f = f32, F = f64; "*" marks instructions
**           whose typing the validator handles by hand
**   fuel    fuel units charged when executed (0 = structural, emits no work)
**   mem     bytes accessed by a load/store (natural alignment), else 0
**   trap    1 if executing it may trap or leave JIT code (a call, a C
**           helper): fuel planning charges nothing behind such an operator
*/
#ifndef SF_OPCODES_H
#define SF_OPCODES_H

#include <stdint.h>

typedef enum sf_imm_kind
{
	SF_IMM_NONE,
	SF_IMM_BLOCK,			/* blocktype: 0x40, a valtype, or s33 type index */
	SF_IMM_LABEL,			/* label index */
	SF_IMM_BR_TABLE,		/* vec(label) default */
	SF_IMM_FUNC,			/* function index */
	SF_IMM_CALL_INDIRECT,	/* type index, table index */
	SF_IMM_LOCAL,
	SF_IMM_GLOBAL,
	SF_IMM_TABLE,
	SF_IMM_MEMARG,			/* align, offset */
	SF_IMM_MEMIDX,			/* one memory index byte (must be 0) */
	SF_IMM_I32,
	SF_IMM_I64,
	SF_IMM_F32,
	SF_IMM_F64,
	SF_IMM_SELECT_T,		/* vec(valtype) */
	SF_IMM_REFTYPE,
	SF_IMM_MEMORY_INIT,		/* data index, memory index */
	SF_IMM_DATA,			/* data index */
	SF_IMM_MEMORY_COPY,		/* memory index, memory index */
	SF_IMM_TABLE_INIT,		/* elem index, table index */
	SF_IMM_ELEM,			/* elem index */
	SF_IMM_TABLE_COPY		/* table index, table index */
} sf_imm_kind;

#define SF_OPCODE_LIST(X) \
	X(UNREACHABLE,         "unreachable",           0x00, 0x00, SF_IMM_NONE,   "*",    1, 0, 1) \
	X(NOP,                 "nop",                   0x00, 0x01, SF_IMM_NONE,   ":",    0, 0, 0) \
	X(BLOCK,               "block",                 0x00, 0x02, SF_IMM_BLOCK,  "*",    0, 0, 0) \
	X(LOOP,                "loop",                  0x00, 0x03, SF_IMM_BLOCK,  "*",    0, 0, 0) \
	X(IF,                  "if",                    0x00, 0x04, SF_IMM_BLOCK,  "*",    1, 0, 0) \
	X(ELSE,                "else",                  0x00, 0x05, SF_IMM_NONE,   "*",    0, 0, 0) \
	X(END,                 "end",                   0x00, 0x0B, SF_IMM_NONE,   "*",    0, 0, 0) \
	X(BR,                  "br",                    0x00, 0x0C, SF_IMM_LABEL,  "*",    1, 0, 0) \
	X(BR_IF,               "br_if",                 0x00, 0x0D, SF_IMM_LABEL,  "*",    1, 0, 0) \
	X(BR_TABLE,            "br_table",              0x00, 0x0E, SF_IMM_BR_TABLE, "*",    1, 0, 0) \
	X(RETURN,              "return",                0x00, 0x0F, SF_IMM_NONE,   "*",    1, 0, 0) \
	X(CALL,                "call",                  0x00, 0x10, SF_IMM_FUNC,   "*",    16, 0, 1) \
	X(CALL_INDIRECT,       "call_indirect",         0x00, 0x11, SF_IMM_CALL_INDIRECT, "*",    32, 0, 1) \
	X(DROP,                "drop",                  0x00, 0x1A, SF_IMM_NONE,   "*",    0, 0, 0) \
	X(SELECT,              "select",                0x00, 0x1B, SF_IMM_NONE,   "*",    1, 0, 0) \
	X(SELECT_T,            "select",                0x00, 0x1C, SF_IMM_SELECT_T, "*",    1, 0, 0) \
	X(LOCAL_GET,           "local.get",             0x00, 0x20, SF_IMM_LOCAL,  "*",    1, 0, 0) \
	X(LOCAL_SET,           "local.set",             0x00, 0x21, SF_IMM_LOCAL,  "*",    1, 0, 0) \
	X(LOCAL_TEE,           "local.tee",             0x00, 0x22, SF_IMM_LOCAL,  "*",    1, 0, 0) \
	X(GLOBAL_GET,          "global.get",            0x00, 0x23, SF_IMM_GLOBAL, "*",    1, 0, 0) \
	X(GLOBAL_SET,          "global.set",            0x00, 0x24, SF_IMM_GLOBAL, "*",    1, 0, 0) \
	X(TABLE_GET,           "table.get",             0x00, 0x25, SF_IMM_TABLE,  "*",    1, 0, 1) \
	X(TABLE_SET,           "table.set",             0x00, 0x26, SF_IMM_TABLE,  "*",    1, 0, 1) \
	X(I32_LOAD,            "i32.load",              0x00, 0x28, SF_IMM_MEMARG, "i:i",  1, 4, 1) \
	X(I64_LOAD,            "i64.load",              0x00, 0x29, SF_IMM_MEMARG, "i:I",  1, 8, 1) \
	X(F32_LOAD,            "f32.load",              0x00, 0x2A, SF_IMM_MEMARG, "i:f",  1, 4, 1) \
	X(F64_LOAD,            "f64.load",              0x00, 0x2B, SF_IMM_MEMARG, "i:F",  1, 8, 1) \
	X(I32_LOAD8_S,         "i32.load8_s",           0x00, 0x2C, SF_IMM_MEMARG, "i:i",  1, 1, 1) \
	X(I32_LOAD8_U,         "i32.load8_u",           0x00, 0x2D, SF_IMM_MEMARG, "i:i",  1, 1, 1) \
	X(I32_LOAD16_S,        "i32.load16_s",          0x00, 0x2E, SF_IMM_MEMARG, "i:i",  1, 2, 1) \
	X(I32_LOAD16_U,        "i32.load16_u",          0x00, 0x2F, SF_IMM_MEMARG, "i:i",  1, 2, 1) \
	X(I64_LOAD8_S,         "i64.load8_s",           0x00, 0x30, SF_IMM_MEMARG, "i:I",  1, 1, 1) \
	X(I64_LOAD8_U,         "i64.load8_u",           0x00, 0x31, SF_IMM_MEMARG, "i:I",  1, 1, 1) \
	X(I64_LOAD16_S,        "i64.load16_s",          0x00, 0x32, SF_IMM_MEMARG, "i:I",  1, 2, 1) \
	X(I64_LOAD16_U,        "i64.load16_u",          0x00, 0x33, SF_IMM_MEMARG, "i:I",  1, 2, 1) \
	X(I64_LOAD32_S,        "i64.load32_s",          0x00, 0x34, SF_IMM_MEMARG, "i:I",  1, 4, 1) \
	X(I64_LOAD32_U,        "i64.load32_u",          0x00, 0x35, SF_IMM_MEMARG, "i:I",  1, 4, 1) \
	X(I32_STORE,           "i32.store",             0x00, 0x36, SF_IMM_MEMARG, "ii:",  1, 4, 1) \
	X(I64_STORE,           "i64.store",             0x00, 0x37, SF_IMM_MEMARG, "iI:",  1, 8, 1) \
	X(F32_STORE,           "f32.store",             0x00, 0x38, SF_IMM_MEMARG, "if:",  1, 4, 1) \
	X(F64_STORE,           "f64.store",             0x00, 0x39, SF_IMM_MEMARG, "iF:",  1, 8, 1) \
	X(I32_STORE8,          "i32.store8",            0x00, 0x3A, SF_IMM_MEMARG, "ii:",  1, 1, 1) \
	X(I32_STORE16,         "i32.store16",           0x00, 0x3B, SF_IMM_MEMARG, "ii:",  1, 2, 1) \
	X(I64_STORE8,          "i64.store8",            0x00, 0x3C, SF_IMM_MEMARG, "iI:",  1, 1, 1) \
	X(I64_STORE16,         "i64.store16",           0x00, 0x3D, SF_IMM_MEMARG, "iI:",  1, 2, 1) \
	X(I64_STORE32,         "i64.store32",           0x00, 0x3E, SF_IMM_MEMARG, "iI:",  1, 4, 1) \
	X(MEMORY_SIZE,         "memory.size",           0x00, 0x3F, SF_IMM_MEMIDX, ":i",   1, 0, 0) \
	X(MEMORY_GROW,         "memory.grow",           0x00, 0x40, SF_IMM_MEMIDX, "i:i",  24, 0, 1) \
	X(I32_CONST,           "i32.const",             0x00, 0x41, SF_IMM_I32,    ":i",   1, 0, 0) \
	X(I64_CONST,           "i64.const",             0x00, 0x42, SF_IMM_I64,    ":I",   1, 0, 0) \
	X(F32_CONST,           "f32.const",             0x00, 0x43, SF_IMM_F32,    ":f",   1, 0, 0) \
	X(F64_CONST,           "f64.const",             0x00, 0x44, SF_IMM_F64,    ":F",   1, 0, 0) \
	X(I32_EQZ,             "i32.eqz",               0x00, 0x45, SF_IMM_NONE,   "i:i",  1, 0, 0) \
	X(I32_EQ,              "i32.eq",                0x00, 0x46, SF_IMM_NONE,   "ii:i", 1, 0, 0) \
	X(I32_NE,              "i32.ne",                0x00, 0x47, SF_IMM_NONE,   "ii:i", 1, 0, 0) \
	X(I32_LT_S,            "i32.lt_s",              0x00, 0x48, SF_IMM_NONE,   "ii:i", 1, 0, 0) \
	X(I32_LT_U,            "i32.lt_u",              0x00, 0x49, SF_IMM_NONE,   "ii:i", 1, 0, 0) \
	X(I32_GT_S,            "i32.gt_s",              0x00, 0x4A, SF_IMM_NONE,   "ii:i", 1, 0, 0) \
	X(I32_GT_U,            "i32.gt_u",              0x00, 0x4B, SF_IMM_NONE,   "ii:i", 1, 0, 0) \
	X(I32_LE_S,            "i32.le_s",              0x00, 0x4C, SF_IMM_NONE,   "ii:i", 1, 0, 0) \
	X(I32_LE_U,            "i32.le_u",              0x00, 0x4D, SF_IMM_NONE,   "ii:i", 1, 0, 0) \
	X(I32_GE_S,            "i32.ge_s",              0x00, 0x4E, SF_IMM_NONE,   "ii:i", 1, 0, 0) \
	X(I32_GE_U,            "i32.ge_u",              0x00, 0x4F, SF_IMM_NONE,   "ii:i", 1, 0, 0) \
	X(I64_EQZ,             "i64.eqz",               0x00, 0x50, SF_IMM_NONE,   "I:i",  1, 0, 0) \
	X(I64_EQ,              "i64.eq",                0x00, 0x51, SF_IMM_NONE,   "II:i", 1, 0, 0) \
	X(I64_NE,              "i64.ne",                0x00, 0x52, SF_IMM_NONE,   "II:i", 1, 0, 0) \
	X(I64_LT_S,            "i64.lt_s",              0x00, 0x53, SF_IMM_NONE,   "II:i", 1, 0, 0) \
	X(I64_LT_U,            "i64.lt_u",              0x00, 0x54, SF_IMM_NONE,   "II:i", 1, 0, 0) \
	X(I64_GT_S,            "i64.gt_s",              0x00, 0x55, SF_IMM_NONE,   "II:i", 1, 0, 0) \
	X(I64_GT_U,            "i64.gt_u",              0x00, 0x56, SF_IMM_NONE,   "II:i", 1, 0, 0) \
	X(I64_LE_S,            "i64.le_s",              0x00, 0x57, SF_IMM_NONE,   "II:i", 1, 0, 0) \
	X(I64_LE_U,            "i64.le_u",              0x00, 0x58, SF_IMM_NONE,   "II:i", 1, 0, 0) \
	X(I64_GE_S,            "i64.ge_s",              0x00, 0x59, SF_IMM_NONE,   "II:i", 1, 0, 0) \
	X(I64_GE_U,            "i64.ge_u",              0x00, 0x5A, SF_IMM_NONE,   "II:i", 1, 0, 0) \
	X(F32_EQ,              "f32.eq",                0x00, 0x5B, SF_IMM_NONE,   "ff:i", 1, 0, 0) \
	X(F32_NE,              "f32.ne",                0x00, 0x5C, SF_IMM_NONE,   "ff:i", 1, 0, 0) \
	X(F32_LT,              "f32.lt",                0x00, 0x5D, SF_IMM_NONE,   "ff:i", 1, 0, 0) \
	X(F32_GT,              "f32.gt",                0x00, 0x5E, SF_IMM_NONE,   "ff:i", 1, 0, 0) \
	X(F32_LE,              "f32.le",                0x00, 0x5F, SF_IMM_NONE,   "ff:i", 1, 0, 0) \
	X(F32_GE,              "f32.ge",                0x00, 0x60, SF_IMM_NONE,   "ff:i", 1, 0, 0) \
	X(F64_EQ,              "f64.eq",                0x00, 0x61, SF_IMM_NONE,   "FF:i", 1, 0, 0) \
	X(F64_NE,              "f64.ne",                0x00, 0x62, SF_IMM_NONE,   "FF:i", 1, 0, 0) \
	X(F64_LT,              "f64.lt",                0x00, 0x63, SF_IMM_NONE,   "FF:i", 1, 0, 0) \
	X(F64_GT,              "f64.gt",                0x00, 0x64, SF_IMM_NONE,   "FF:i", 1, 0, 0) \
	X(F64_LE,              "f64.le",                0x00, 0x65, SF_IMM_NONE,   "FF:i", 1, 0, 0) \
	X(F64_GE,              "f64.ge",                0x00, 0x66, SF_IMM_NONE,   "FF:i", 1, 0, 0) \
	X(I32_CLZ,             "i32.clz",               0x00, 0x67, SF_IMM_NONE,   "i:i",  1, 0, 0) \
	X(I32_CTZ,             "i32.ctz",               0x00, 0x68, SF_IMM_NONE,   "i:i",  1, 0, 0) \
	X(I32_POPCNT,          "i32.popcnt",            0x00, 0x69, SF_IMM_NONE,   "i:i",  1, 0, 0) \
	X(I32_ADD,             "i32.add",               0x00, 0x6A, SF_IMM_NONE,   "ii:i", 1, 0, 0) \
	X(I32_SUB,             "i32.sub",               0x00, 0x6B, SF_IMM_NONE,   "ii:i", 1, 0, 0) \
	X(I32_MUL,             "i32.mul",               0x00, 0x6C, SF_IMM_NONE,   "ii:i", 1, 0, 0) \
	X(I32_DIV_S,           "i32.div_s",             0x00, 0x6D, SF_IMM_NONE,   "ii:i", 1, 0, 1) \
	X(I32_DIV_U,           "i32.div_u",             0x00, 0x6E, SF_IMM_NONE,   "ii:i", 1, 0, 1) \
	X(I32_REM_S,           "i32.rem_s",             0x00, 0x6F, SF_IMM_NONE,   "ii:i", 1, 0, 1) \
	X(I32_REM_U,           "i32.rem_u",             0x00, 0x70, SF_IMM_NONE,   "ii:i", 1, 0, 1) \
	X(I32_AND,             "i32.and",               0x00, 0x71, SF_IMM_NONE,   "ii:i", 1, 0, 0) \
	X(I32_OR,              "i32.or",                0x00, 0x72, SF_IMM_NONE,   "ii:i", 1, 0, 0) \
	X(I32_XOR,             "i32.xor",               0x00, 0x73, SF_IMM_NONE,   "ii:i", 1, 0, 0) \
	X(I32_SHL,             "i32.shl",               0x00, 0x74, SF_IMM_NONE,   "ii:i", 1, 0, 0) \
	X(I32_SHR_S,           "i32.shr_s",             0x00, 0x75, SF_IMM_NONE,   "ii:i", 1, 0, 0) \
	X(I32_SHR_U,           "i32.shr_u",             0x00, 0x76, SF_IMM_NONE,   "ii:i", 1, 0, 0) \
	X(I32_ROTL,            "i32.rotl",              0x00, 0x77, SF_IMM_NONE,   "ii:i", 1, 0, 0) \
	X(I32_ROTR,            "i32.rotr",              0x00, 0x78, SF_IMM_NONE,   "ii:i", 1, 0, 0) \
	X(I64_CLZ,             "i64.clz",               0x00, 0x79, SF_IMM_NONE,   "I:I",  1, 0, 0) \
	X(I64_CTZ,             "i64.ctz",               0x00, 0x7A, SF_IMM_NONE,   "I:I",  1, 0, 0) \
	X(I64_POPCNT,          "i64.popcnt",            0x00, 0x7B, SF_IMM_NONE,   "I:I",  1, 0, 0) \
	X(I64_ADD,             "i64.add",               0x00, 0x7C, SF_IMM_NONE,   "II:I", 1, 0, 0) \
	X(I64_SUB,             "i64.sub",               0x00, 0x7D, SF_IMM_NONE,   "II:I", 1, 0, 0) \
	X(I64_MUL,             "i64.mul",               0x00, 0x7E, SF_IMM_NONE,   "II:I", 1, 0, 0) \
	X(I64_DIV_S,           "i64.div_s",             0x00, 0x7F, SF_IMM_NONE,   "II:I", 1, 0, 1) \
	X(I64_DIV_U,           "i64.div_u",             0x00, 0x80, SF_IMM_NONE,   "II:I", 1, 0, 1) \
	X(I64_REM_S,           "i64.rem_s",             0x00, 0x81, SF_IMM_NONE,   "II:I", 1, 0, 1) \
	X(I64_REM_U,           "i64.rem_u",             0x00, 0x82, SF_IMM_NONE,   "II:I", 1, 0, 1) \
	X(I64_AND,             "i64.and",               0x00, 0x83, SF_IMM_NONE,   "II:I", 1, 0, 0) \
	X(I64_OR,              "i64.or",                0x00, 0x84, SF_IMM_NONE,   "II:I", 1, 0, 0) \
	X(I64_XOR,             "i64.xor",               0x00, 0x85, SF_IMM_NONE,   "II:I", 1, 0, 0) \
	X(I64_SHL,             "i64.shl",               0x00, 0x86, SF_IMM_NONE,   "II:I", 1, 0, 0) \
	X(I64_SHR_S,           "i64.shr_s",             0x00, 0x87, SF_IMM_NONE,   "II:I", 1, 0, 0) \
	X(I64_SHR_U,           "i64.shr_u",             0x00, 0x88, SF_IMM_NONE,   "II:I", 1, 0, 0) \
	X(I64_ROTL,            "i64.rotl",              0x00, 0x89, SF_IMM_NONE,   "II:I", 1, 0, 0) \
	X(I64_ROTR,            "i64.rotr",              0x00, 0x8A, SF_IMM_NONE,   "II:I", 1, 0, 0) \
	X(F32_ABS,             "f32.abs",               0x00, 0x8B, SF_IMM_NONE,   "f:f",  1, 0, 0) \
	X(F32_NEG,             "f32.neg",               0x00, 0x8C, SF_IMM_NONE,   "f:f",  1, 0, 0) \
	X(F32_CEIL,            "f32.ceil",              0x00, 0x8D, SF_IMM_NONE,   "f:f",  1, 0, 0) \
	X(F32_FLOOR,           "f32.floor",             0x00, 0x8E, SF_IMM_NONE,   "f:f",  1, 0, 0) \
	X(F32_TRUNC,           "f32.trunc",             0x00, 0x8F, SF_IMM_NONE,   "f:f",  1, 0, 0) \
	X(F32_NEAREST,         "f32.nearest",           0x00, 0x90, SF_IMM_NONE,   "f:f",  1, 0, 0) \
	X(F32_SQRT,            "f32.sqrt",              0x00, 0x91, SF_IMM_NONE,   "f:f",  1, 0, 0) \
	X(F32_ADD,             "f32.add",               0x00, 0x92, SF_IMM_NONE,   "ff:f", 1, 0, 0) \
	X(F32_SUB,             "f32.sub",               0x00, 0x93, SF_IMM_NONE,   "ff:f", 1, 0, 0) \
	X(F32_MUL,             "f32.mul",               0x00, 0x94, SF_IMM_NONE,   "ff:f", 1, 0, 0) \
	X(F32_DIV,             "f32.div",               0x00, 0x95, SF_IMM_NONE,   "ff:f", 1, 0, 0) \
	X(F32_MIN,             "f32.min",               0x00, 0x96, SF_IMM_NONE,   "ff:f", 1, 0, 0) \
	X(F32_MAX,             "f32.max",               0x00, 0x97, SF_IMM_NONE,   "ff:f", 1, 0, 0) \
	X(F32_COPYSIGN,        "f32.copysign",          0x00, 0x98, SF_IMM_NONE,   "ff:f", 1, 0, 0) \
	X(F64_ABS,             "f64.abs",               0x00, 0x99, SF_IMM_NONE,   "F:F",  1, 0, 0) \
	X(F64_NEG,             "f64.neg",               0x00, 0x9A, SF_IMM_NONE,   "F:F",  1, 0, 0) \
	X(F64_CEIL,            "f64.ceil",              0x00, 0x9B, SF_IMM_NONE,   "F:F",  1, 0, 0) \
	X(F64_FLOOR,           "f64.floor",             0x00, 0x9C, SF_IMM_NONE,   "F:F",  1, 0, 0) \
	X(F64_TRUNC,           "f64.trunc",             0x00, 0x9D, SF_IMM_NONE,   "F:F",  1, 0, 0) \
	X(F64_NEAREST,         "f64.nearest",           0x00, 0x9E, SF_IMM_NONE,   "F:F",  1, 0, 0) \
	X(F64_SQRT,            "f64.sqrt",              0x00, 0x9F, SF_IMM_NONE,   "F:F",  1, 0, 0) \
	X(F64_ADD,             "f64.add",               0x00, 0xA0, SF_IMM_NONE,   "FF:F", 1, 0, 0) \
	X(F64_SUB,             "f64.sub",               0x00, 0xA1, SF_IMM_NONE,   "FF:F", 1, 0, 0) \
	X(F64_MUL,             "f64.mul",               0x00, 0xA2, SF_IMM_NONE,   "FF:F", 1, 0, 0) \
	X(F64_DIV,             "f64.div",               0x00, 0xA3, SF_IMM_NONE,   "FF:F", 1, 0, 0) \
	X(F64_MIN,             "f64.min",               0x00, 0xA4, SF_IMM_NONE,   "FF:F", 1, 0, 0) \
	X(F64_MAX,             "f64.max",               0x00, 0xA5, SF_IMM_NONE,   "FF:F", 1, 0, 0) \
	X(F64_COPYSIGN,        "f64.copysign",          0x00, 0xA6, SF_IMM_NONE,   "FF:F", 1, 0, 0) \
	X(I32_WRAP_I64,        "i32.wrap_i64",          0x00, 0xA7, SF_IMM_NONE,   "I:i",  1, 0, 0) \
	X(I32_TRUNC_F32_S,     "i32.trunc_f32_s",       0x00, 0xA8, SF_IMM_NONE,   "f:i",  1, 0, 1) \
	X(I32_TRUNC_F32_U,     "i32.trunc_f32_u",       0x00, 0xA9, SF_IMM_NONE,   "f:i",  1, 0, 1) \
	X(I32_TRUNC_F64_S,     "i32.trunc_f64_s",       0x00, 0xAA, SF_IMM_NONE,   "F:i",  1, 0, 1) \
	X(I32_TRUNC_F64_U,     "i32.trunc_f64_u",       0x00, 0xAB, SF_IMM_NONE,   "F:i",  1, 0, 1) \
	X(I64_EXTEND_I32_S,    "i64.extend_i32_s",      0x00, 0xAC, SF_IMM_NONE,   "i:I",  1, 0, 0) \
	X(I64_EXTEND_I32_U,    "i64.extend_i32_u",      0x00, 0xAD, SF_IMM_NONE,   "i:I",  1, 0, 0) \
	X(I64_TRUNC_F32_S,     "i64.trunc_f32_s",       0x00, 0xAE, SF_IMM_NONE,   "f:I",  1, 0, 1) \
	X(I64_TRUNC_F32_U,     "i64.trunc_f32_u",       0x00, 0xAF, SF_IMM_NONE,   "f:I",  1, 0, 1) \
	X(I64_TRUNC_F64_S,     "i64.trunc_f64_s",       0x00, 0xB0, SF_IMM_NONE,   "F:I",  1, 0, 1) \
	X(I64_TRUNC_F64_U,     "i64.trunc_f64_u",       0x00, 0xB1, SF_IMM_NONE,   "F:I",  1, 0, 1) \
	X(F32_CONVERT_I32_S,   "f32.convert_i32_s",     0x00, 0xB2, SF_IMM_NONE,   "i:f",  1, 0, 0) \
	X(F32_CONVERT_I32_U,   "f32.convert_i32_u",     0x00, 0xB3, SF_IMM_NONE,   "i:f",  1, 0, 0) \
	X(F32_CONVERT_I64_S,   "f32.convert_i64_s",     0x00, 0xB4, SF_IMM_NONE,   "I:f",  1, 0, 0) \
	X(F32_CONVERT_I64_U,   "f32.convert_i64_u",     0x00, 0xB5, SF_IMM_NONE,   "I:f",  1, 0, 0) \
	X(F32_DEMOTE_F64,      "f32.demote_f64",        0x00, 0xB6, SF_IMM_NONE,   "F:f",  1, 0, 0) \
	X(F64_CONVERT_I32_S,   "f64.convert_i32_s",     0x00, 0xB7, SF_IMM_NONE,   "i:F",  1, 0, 0) \
	X(F64_CONVERT_I32_U,   "f64.convert_i32_u",     0x00, 0xB8, SF_IMM_NONE,   "i:F",  1, 0, 0) \
	X(F64_CONVERT_I64_S,   "f64.convert_i64_s",     0x00, 0xB9, SF_IMM_NONE,   "I:F",  1, 0, 0) \
	X(F64_CONVERT_I64_U,   "f64.convert_i64_u",     0x00, 0xBA, SF_IMM_NONE,   "I:F",  1, 0, 0) \
	X(F64_PROMOTE_F32,     "f64.promote_f32",       0x00, 0xBB, SF_IMM_NONE,   "f:F",  1, 0, 0) \
	X(I32_REINTERPRET_F32, "i32.reinterpret_f32",   0x00, 0xBC, SF_IMM_NONE,   "f:i",  1, 0, 0) \
	X(I64_REINTERPRET_F64, "i64.reinterpret_f64",   0x00, 0xBD, SF_IMM_NONE,   "F:I",  1, 0, 0) \
	X(F32_REINTERPRET_I32, "f32.reinterpret_i32",   0x00, 0xBE, SF_IMM_NONE,   "i:f",  1, 0, 0) \
	X(F64_REINTERPRET_I64, "f64.reinterpret_i64",   0x00, 0xBF, SF_IMM_NONE,   "I:F",  1, 0, 0) \
	X(I32_EXTEND8_S,       "i32.extend8_s",         0x00, 0xC0, SF_IMM_NONE,   "i:i",  1, 0, 0) \
	X(I32_EXTEND16_S,      "i32.extend16_s",        0x00, 0xC1, SF_IMM_NONE,   "i:i",  1, 0, 0) \
	X(I64_EXTEND8_S,       "i64.extend8_s",         0x00, 0xC2, SF_IMM_NONE,   "I:I",  1, 0, 0) \
	X(I64_EXTEND16_S,      "i64.extend16_s",        0x00, 0xC3, SF_IMM_NONE,   "I:I",  1, 0, 0) \
	X(I64_EXTEND32_S,      "i64.extend32_s",        0x00, 0xC4, SF_IMM_NONE,   "I:I",  1, 0, 0) \
	X(REF_NULL,            "ref.null",              0x00, 0xD0, SF_IMM_REFTYPE, "*",    1, 0, 0) \
	X(REF_IS_NULL,         "ref.is_null",           0x00, 0xD1, SF_IMM_NONE,   "*",    1, 0, 0) \
	X(REF_FUNC,            "ref.func",              0x00, 0xD2, SF_IMM_FUNC,   "*",    1, 0, 0) \
	X(I32_TRUNC_SAT_F32_S, "i32.trunc_sat_f32_s",   0xFC, 0x00, SF_IMM_NONE,   "f:i",  1, 0, 0) \
	X(I32_TRUNC_SAT_F32_U, "i32.trunc_sat_f32_u",   0xFC, 0x01, SF_IMM_NONE,   "f:i",  1, 0, 0) \
	X(I32_TRUNC_SAT_F64_S, "i32.trunc_sat_f64_s",   0xFC, 0x02, SF_IMM_NONE,   "F:i",  1, 0, 0) \
	X(I32_TRUNC_SAT_F64_U, "i32.trunc_sat_f64_u",   0xFC, 0x03, SF_IMM_NONE,   "F:i",  1, 0, 0) \
	X(I64_TRUNC_SAT_F32_S, "i64.trunc_sat_f32_s",   0xFC, 0x04, SF_IMM_NONE,   "f:I",  1, 0, 0) \
	X(I64_TRUNC_SAT_F32_U, "i64.trunc_sat_f32_u",   0xFC, 0x05, SF_IMM_NONE,   "f:I",  1, 0, 0) \
	X(I64_TRUNC_SAT_F64_S, "i64.trunc_sat_f64_s",   0xFC, 0x06, SF_IMM_NONE,   "F:I",  1, 0, 0) \
	X(I64_TRUNC_SAT_F64_U, "i64.trunc_sat_f64_u",   0xFC, 0x07, SF_IMM_NONE,   "F:I",  1, 0, 0) \
	X(MEMORY_INIT,         "memory.init",           0xFC, 0x08, SF_IMM_MEMORY_INIT, "iii:", 40, 0, 1) \
	X(DATA_DROP,           "data.drop",             0xFC, 0x09, SF_IMM_DATA,   ":",    1, 0, 1) \
	X(MEMORY_COPY,         "memory.copy",           0xFC, 0x0A, SF_IMM_MEMORY_COPY, "iii:", 40, 0, 1) \
	X(MEMORY_FILL,         "memory.fill",           0xFC, 0x0B, SF_IMM_MEMIDX, "iii:", 40, 0, 1) \
	X(TABLE_INIT,          "table.init",            0xFC, 0x0C, SF_IMM_TABLE_INIT, "*",    40, 0, 1) \
	X(ELEM_DROP,           "elem.drop",             0xFC, 0x0D, SF_IMM_ELEM,   ":",    1, 0, 1) \
	X(TABLE_COPY,          "table.copy",            0xFC, 0x0E, SF_IMM_TABLE_COPY, "*",    40, 0, 1) \
	X(TABLE_GROW,          "table.grow",            0xFC, 0x0F, SF_IMM_TABLE,  "*",    40, 0, 1) \
	X(TABLE_SIZE,          "table.size",            0xFC, 0x10, SF_IMM_TABLE,  ":i",   1, 0, 0) \
	X(TABLE_FILL,          "table.fill",            0xFC, 0x11, SF_IMM_TABLE,  "*",    40, 0, 1)


typedef enum sf_opcode
{
#define SF_X_(id, name, prefix, code, imm, sig, fuel, mem, trap) SF_OP_##id,
	SF_OPCODE_LIST(SF_X_)
#undef SF_X_
	SF_OP_COUNT
} sf_opcode;

typedef struct sf_opinfo
{
	const char *name;
	uint8_t		prefix;
	uint8_t		code;
	uint8_t		imm;			/* sf_imm_kind */
	uint8_t		fuel;
	uint8_t		mem;
	uint8_t		trap;
	const char *sig;
} sf_opinfo;

extern const sf_opinfo sf_opinfo_table[SF_OP_COUNT];

/*
** Map an encoded opcode to its sf_opcode, or -1 if it is not one.
** 'prefix' is 0 or 0xFC; 'code' is the byte or sub-opcode.
*/
int			sf_opcode_lookup(uint8_t prefix, uint32_t code);

#endif							/* SF_OPCODES_H */
