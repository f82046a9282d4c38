#!/usr/bin/env python3
"""Generate engine/tests/wat_cases.h: text modules with the bytes wat2wasm
(wabt 1.0.32) produces for them, and literals with their encodings.

    python3 engine/tests/gen_wat_cases.py > engine/tests/wat_cases.h

The expected bytes are checked in, so the unit tests do not need wabt."""
import os, re, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

MODULES = [
 # a third element is the text wat2wasm is given when it does not accept
 # the bare-fields abbreviation itself
 ("empty_text", "", "(module)"),
 ("empty_module", "(module)"),
 ("named_module", "(module $m)"),
 ("fields_without_module", "(func (result i32) i32.const 1)", "(module (func (result i32) i32.const 1))"),
 ("comments", "(module ;; line\n (; block (; nested ;) ;) (func) (;x;))"),
 ("inline_exports", '(module (func $f (export "a") (export "b") (result i32) (i32.const 7)) '
  '(table (export "t") 1 funcref) (memory (export "m") 1 2) '
  '(global (export "g") (mut i64) (i64.const -1)))'),
 ("inline_imports", '(module (func $f (import "m" "f") (param i32) (result i32)) '
  '(table $t (import "m" "t") 1 2 funcref) (memory (import "m" "mem") 1) '
  '(global $g (import "m" "g") (mut f32)) (global (import "m" "h") externref) '
  '(func (result i32) (call $f (i32.const 1))))'),
 ("import_fields", '(module (import "a" "b" (func $x (param $p i32))) (import "a" "c" (table 0 externref)) '
  '(import "a" "d" (memory 0 1)) (import "a" "e" (global i32)) (func call $x))'),
 ("import_export_both", '(module (func (export "e") (import "m" "f") (result f64)))'),
 ("implicit_types_appended", '(module (type $a (func (param i32))) (func (param f32) (result i64) (i64.const 0)) '
  '(func (param i32)) (type $b (func (result i32))) (func (result i32) (i32.const 0)) '
  '(func (param f32) (result i64) (i64.const 1)) (func (type $a) (param i32)))'),
 ("named_params_locals", '(module (func (param $a i32) (param i64 f32) (param $d f64) (result i32) '
  '(local $x i32) (local f32 f32 i64) (local $y externref) '
  'local.get $a local.set $x (local.tee $x (local.get 4)) drop (local.get $d) drop '
  '(local.get $y) drop (local.get $x)))'),
 ("labels_shadowing", '(module (func (block $l (block $l (br $l)) (loop $m (br_if $m (i32.const 0)) (br 1))) '
  'block $l block $k br $l end $k end $l))'),
 ("folded_if", '(module (func (param i32) (result i32) (if (result i32) (local.get 0) (then (i32.const 1)) '
  '(else (i32.const 2)))))'),
 ("plain_if_labels", '(module (func (param i32) (result i32) local.get 0 if $x (result i32) i32.const 1 '
  'else $x i32.const 2 end $x))'),
 ("if_without_else", '(module (func (param i32) (if (local.get 0) (then nop)) local.get 0 if end))'),
 ("multi_value_blocks", '(module (type $t (func (param i32) (result i32 i32))) '
  '(func (result i32 i32 i32) (i32.const 1) (block (type $t) (i32.const 2)) '
  '(block (param i32 i32) (result i32 i32 i32) (i32.const 3)) drop) '
  '(func (result i32) (i32.const 0) (loop (param i32) (result i32)) (if (param i32) (result i32) (i32.const 1) (then) (else))))'),
 ("block_type_index_short", '(module (type $e (func)) (type $r (func (result f64))) '
  '(func (block (type $e)) (block (type $r) (f64.const 0)) drop))'),
 ("br_table", '(module (func (param i32) (block $a (block $b (block $c (br_table $a $b $c 0 (local.get 0)))))))'),
 ("call_indirect", '(module (type $s (func (param i32) (result i32))) (table $t0 1 funcref) (table $t1 2 funcref) '
  '(func (result i32) (call_indirect (type $s) (i32.const 1) (i32.const 0)) '
  '(call_indirect $t1 (param i64) (result i32) (i64.const 1) (i32.const 0)) drop '
  'i32.const 0 call_indirect 1 (type $s)))'),
 ("typed_select", '(module (func (result i32) (select (i32.const 1) (i32.const 2) (i32.const 0)) '
  '(select (result i32) (i32.const 1) (i32.const 2) (i32.const 0)) drop '
  'ref.null extern ref.null extern i32.const 1 select (result externref) drop))'),
 ("reference_instructions", '(module (table $t 1 externref) (table $f 1 funcref) (func $g) (elem declare func $g) '
  '(func (result i32) (table.set $t (i32.const 0) (ref.null extern)) (drop (table.get $f (i32.const 0))) '
  '(drop (table.grow $t (ref.null extern) (i32.const 1))) (table.fill 1 (i32.const 0) (ref.func $g) (i32.const 1)) '
  '(drop (table.size $f)) (ref.is_null (ref.func $g))))'),
 ("bulk_memory", '(module (memory 1) (table 1 funcref) (data $d "abc") (elem $e func 0) (func '
  '(memory.init $d (i32.const 0) (i32.const 0) (i32.const 1)) (data.drop $d) '
  '(memory.copy (i32.const 0) (i32.const 1) (i32.const 1)) (memory.fill (i32.const 0) (i32.const 0) (i32.const 1)) '
  '(table.init $e (i32.const 0) (i32.const 0) (i32.const 1)) (table.init 0 $e (i32.const 0) (i32.const 0) (i32.const 0)) '
  '(elem.drop $e) (table.copy (i32.const 0) (i32.const 0) (i32.const 0)) (table.copy 0 0 (i32.const 0) (i32.const 0) (i32.const 0))))'),
 ("memargs", '(module (memory 1) (func (drop (i32.load (i32.const 0))) (drop (i64.load offset=8 (i32.const 0))) '
  '(drop (f32.load align=1 (i32.const 0))) (drop (i32.load8_u offset=0x10 align=1 (i32.const 0))) '
  '(i64.store32 offset=4_294_967_295 align=4 (i32.const 0) (i64.const 0)) (drop (memory.grow (memory.size)))))'),
 ("elem_forms", '(module (func $f) (table $t 10 funcref) (table $u 10 externref) '
  '(elem (i32.const 0) $f) (elem func $f) (elem declare func $f) (elem (table $t) (i32.const 1) func $f) '
  '(elem funcref (ref.func $f) (ref.null func)) (elem (table $u) (i32.const 0) externref (ref.null extern)) '
  '(elem (offset (i32.const 2)) funcref (item ref.func $f) (item (ref.func $f))) (elem $e (table 0) (offset i32.const 3) 0 $f) '
  '(elem (i32.const 4)))'),
 ("table_inline_elem", '(module (func $f) (func $g) (table $a funcref (elem $f $g $f)) '
  '(table $b (export "b") externref (elem (ref.null extern) (item ref.null extern))) (table funcref (elem)))'),
 ("data_forms", '(module (memory $m (import "a" "b") 1) (data (i32.const 0) "a" "b" "") '
  '(data (offset (i32.const 1)) "\\00\\ff\\t\\n\\r\\"\\\'\\\\\\u{41}\\u{10FFFF}\\u{e9}é") (data $p "pass" "ive") '
  '(data (memory 0) (i32.const 2) "x") (data (memory $m) (offset i32.const 0 i32.const 1 i32.add)))'),
 ("memory_inline_data", '(module (memory (export "x") (data "hello" " world")))'),
 ("memory_inline_data_empty", "(module (memory $m (data)))"),
 ("start_and_globals", '(module (global $a i32 (i32.const 1)) (global $b (mut f64) (f64.const 0x1p-3)) '
  '(global funcref (ref.null func)) (global externref (ref.null extern)) (global i32 (global.get $a)) '
  '(func $s (global.set $b (f64.const 1))) (start $s) (export "s" (func $s)) (export "g" (global $a)) '
  '(export "mem" (memory 0)) (export "tab" (table 0)) (memory 0) (table 0 funcref))'),
 ("forward_references", '(module (func (call $later) (global.get $g) drop) (func $later) '
  '(global $g i32 (i32.const 0)) (export "t" (table $t)) (table $t 0 funcref))'),
 ("numeric_indices", '(module (func (param i32) (local i64) (call 0 (local.get 0)) (local.set 1 (i64.const 0)) '
  '(br 0) (br_if 0 (i32.const 1))))'),
 ("unicode_names", '(module (func (export "\\u{1F600}é\\00") (export "")) (func (export "\\"\\\\")))'),
]

def every_instruction_module():
    ops = []
    for line in open(os.path.join(HERE, '..', 'opcodes.h')):
        m = re.match(r'\s*X\((\w+),\s*"([^"]+)",\s*0x\w+,\s*0x\w+,\s*(SF_IMM_\w+)', line)
        if m:
            ops.append((m.group(2), m.group(3)))
    imm = {'SF_IMM_NONE': '', 'SF_IMM_LABEL': ' 0', 'SF_IMM_BR_TABLE': ' 0 0',
           'SF_IMM_FUNC': ' 0', 'SF_IMM_CALL_INDIRECT': ' (type 0)', 'SF_IMM_LOCAL': ' 0',
           'SF_IMM_GLOBAL': ' 0', 'SF_IMM_TABLE': ' 0', 'SF_IMM_MEMARG': '',
           'SF_IMM_MEMIDX': '', 'SF_IMM_I32': ' -7', 'SF_IMM_I64': ' 0x7fff_ffff_ffff',
           'SF_IMM_F32': ' 1.5', 'SF_IMM_F64': ' -0x1p-1000', 'SF_IMM_SELECT_T': ' (result i32)',
           'SF_IMM_REFTYPE': ' func', 'SF_IMM_MEMORY_INIT': ' 0', 'SF_IMM_DATA': ' 0',
           'SF_IMM_MEMORY_COPY': '', 'SF_IMM_TABLE_INIT': ' 0', 'SF_IMM_ELEM': ' 0',
           'SF_IMM_TABLE_COPY': ''}
    body = []
    for name, k in ops:
        if name in ('block', 'loop', 'if'):
            body.append(name + ' end')
        elif name in ('else', 'end'):
            continue
        else:
            body.append(name + imm[k])
    body.append('i32.const 0 if nop else nop end')
    return ('(module (type (func)) (memory 1) (table 1 funcref) (global (mut i32) (i32.const 0)) '
            '(elem func 0) (data "") (func (local i32) ' + ' '.join(body) + '))')

MODULES.append(("every_instruction", every_instruction_module()))

LITERALS = [
 ("i32", l) for l in ["0", "1", "-1", "+1", "2147483647", "-2147483648", "4294967295", "0xffffffff",
   "-0x80000000", "+0xffffffff", "0x7fff_ffff", "1_000_000", "0_0_1", "0x1_a_B", "4294967296",
   "-2147483649", "0x1_0000_0000", "-0x8000_0001", "1__0", "_1", "1_", "0x_1", "0x", "", "x1",
   "1.0", "0xg", "--1", "+-1", "0X1", "01"]
] + [
 ("i64", l) for l in ["0", "-1", "9223372036854775807", "-9223372036854775808", "18446744073709551615",
   "0xffff_ffff_ffff_ffff", "-0x8000_0000_0000_0000", "18446744073709551616", "-9223372036854775809",
   "0x1_0000_0000_0000_0000", "+18446744073709551615", "99999999999999999999999"]
] + [
 ("f32", l) for l in ["0", "-0", "+0.0", "1", "1.5", "-1.5e3", "1e-45", "1e-46", "0.5e-45", "1.4e-45",
   "3.4028234e38", "3.4028235e38", "3.4028236e38", "3.40282356779733661637539395458142568448e38",
   "3.40282356779733661637539395458142568447e38", "1e39", "-1e39", "1e-500", "0x1p-149", "0x1p-150",
   "0x1.000001p-150", "0x1p127", "0x1p128", "0x1.fffffep127", "0x1.fffffefffffffffp127", "0x1.ffffffp127",
   "0x1.00000100000000000p-50", "0x1.00000100000000001p-50", "0x1.000002p-50", "0x1.000003p-50",
   "+0x1.00000500000000000p-50", "1.000000059604644775390625", "1.00000005960464477539062500001",
   "1.000000178813934326171875", "0x.8p1", ".5", "1.", "1.e5", "0x1.p2", "0x1P-2", "1E2",
   "inf", "-inf", "+inf", "nan", "-nan", "+nan", "nan:0x1", "nan:0x7fffff", "-nan:0x200000",
   "nan:0x800000", "nan:0x0", "nan:0x", "nan:1", "infinity", "1_000.000_1", "0x1_0.0_8p1_0",
   "1__0.0", "1._5", "1.5_", "1e_5", "0x1p", "1e", "1e+", "-", "0x", "0x1.8p+1", "1.5e-0_1",
   "0.000000000000000000000000000000000000000000001", "1" + "0" * 400, "0." + "0" * 400 + "1"]
] + [
 ("f64", l) for l in ["0", "-0", "1.5", "0x1p-1074", "0x1p-1075",
   "4.9e-324", "2.4703282292062328e-324", "2.4703282292062327e-324", "1.7976931348623157e308",
   "1.7976931348623158e308", "1.7976931348623159e308", "0x1.fffffffffffffp1023",
   "0x1.fffffffffffff7ffffffp1023", "0x1.fffffffffffff8p1023", "0x1p1024", "1e309",
   "+0x8000000.000000400000000000p-627", "+0x8000000.000000400000000001p-627",
   "+0x8000000.0000007fffffffffffp-627", "0.1", "3.141592653589793", "2.2250738585072011e-308",
   "inf", "-inf", "nan", "-nan", "nan:0x1", "nan:0xfffffffffffff", "nan:0x10000000000000",
   "-nan:0x8000000000000", "1_2.3_4e5_6", "0x1_2.3_4p5_6", "1e-1000", "1e1000000000000000000"]
]

def run(args, stdin=None):
    return subprocess.run(args, capture_output=True)

def wat2wasm(text, tmp):
    src = os.path.join(tmp, 'x.wat'); dst = os.path.join(tmp, 'x.wasm')
    open(src, 'w', encoding='utf-8').write(text)
    r = run(['wat2wasm', '--no-check', src, '-o', dst])
    if r.returncode != 0:
        return None
    return open(dst, 'rb').read()

def c_str(s):
    out = '"'
    for ch in s.encode('utf-8'):
        c = chr(ch)
        if c in '"\\':
            out += '\\' + c
        elif 32 <= ch < 127:
            out += c
        else:
            out += '\\%03o' % ch
    return out + '"'

def c_bytes(b):
    lines = []
    for i in range(0, len(b), 16):
        lines.append('\t\t' + ', '.join('0x%02x' % x for x in b[i:i + 16]) + ',')
    return '\n'.join(lines)

def leb_s(b, i):
    result = 0; shift = 0
    while True:
        x = b[i]; i += 1
        result |= (x & 0x7f) << shift; shift += 7
        if not x & 0x80:
            if x & 0x40:
                result -= 1 << shift
            return result, i

def literal_bits(ty, lit, tmp):
    b = wat2wasm('(module (func %s.const %s drop))' % (ty, lit), tmp)
    if b is None:
        return None
    i = b.index(bytes([{'i32': 0x41, 'i64': 0x42, 'f32': 0x43, 'f64': 0x44}[ty]]), 22)
    if ty in ('i32', 'i64'):
        v, _ = leb_s(b, i + 1)
        return v & ((1 << (32 if ty == 'i32' else 64)) - 1)
    n = 4 if ty == 'f32' else 8
    return int.from_bytes(b[i + 1:i + 1 + n], 'little')

def main():
    tmp = tempfile.mkdtemp()
    print('/* Generated by engine/tests/gen_wat_cases.py from wat2wasm 1.0.32; do not edit. */')
    print('#include <stddef.h>\n#include <stdint.h>\n')
    names = []
    for case in MODULES:
        name, text = case[0], case[1]
        b = wat2wasm(case[-1], tmp)
        if b is None:
            sys.exit('wat2wasm rejected case ' + name)
        print('static const uint8_t wasm_%s[] = {\n%s\n};' % (name, c_bytes(b)))
        names.append((name, text))
    print('\nstatic const struct wat_case\n{\n\tconst char *name;\n\tconst char *text;\n'
          '\tconst uint8_t *wasm;\n\tsize_t len;\n}\t\t\twat_cases[] = {')
    for name, text in names:
        print('\t{"%s", %s, wasm_%s, sizeof(wasm_%s)},' % (name, c_str(text), name, name))
    print('};\n')
    print('static const struct lit_case\n{\n\tconst char *type;\n\tconst char *text;\n'
          '\tint\t\t\tok;\n\tuint64_t\tbits;\n}\t\t\tlit_cases[] = {')
    for ty, lit in LITERALS:
        bits = literal_bits(ty, lit, tmp) if lit else None
        print('\t{"%s", %s, %d, UINT64_C(0x%x)},' % (ty, c_str(lit), bits is not None, bits or 0))
    print('};')

main()
