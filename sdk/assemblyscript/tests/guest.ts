// The AssemblyScript SDK's test guest (regress/sql/sdk_assemblyscript.sql),
// built with the SDK's transform: the exports are plain functions over
// strings, bytes, arrays and nullable values, and transform.mjs generates
// their canonical-ABI wrappers (and cabi_realloc, cabi_post_<name>).
import { log, notice, raise, Level, query, Value, Kind, Box, argString, retString } from "slackfuel";
// The raw style below exports cabi_realloc itself: the transform then
// does not export it again.
export { cabi_realloc, cabi_post as cabi_post_raw_echo } from "slackfuel";

export function not_b(b: bool): bool { return !b; }
export function neg16(x: i16): i16 { return -x; }
export function mix(a: i32, b: i64, c: f32, d: f64, e: bool): i64 {
  return <i64>a + b + <i64>(c * 2) + <i64>(d * 4) + <i64>e;
}
export function halve(x: f64): f64 { return x / 2; }
export function twice(x: f32): f32 { return x * 2; }

export function echo(s: string): string {
  return s;
}
export function concat(a: string, b: string): string {
  return a + b;
}
export function char_count(s: string): i32 {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    if (s.codePointAt(i) > 0xffff) i++;
    n++;
  }
  return n;
}
export function reversed(b: Uint8Array): Uint8Array {
  b.reverse();
  return b;
}
export function byte_sum(b: Uint8Array): i32 {
  let sum = 0;
  for (let i = 0; i < b.length; i++) sum += b[i];
  return sum;
}


// State between calls.
let total: i64 = 0;
let last = "";
export function remember(s: string): i64 {
  last = s;
  total += <i64>String.UTF8.byteLength(s);
  return total;
}
export function recall(): string { return last; }

// A failed assertion and an index out of range end the call with a trap.
export function checked(x: i32): i32 {
  assert(x >= 0, "x must not be negative");
  return x * 2;
}
export function at(i: i32): i32 {
  const a = new Int32Array(4);
  return a[i];
}

// The host interface.
export function talk(message: string): i32 {
  log(Level.Warning, message);
  notice("and a notice");
  return message.length;
}
export function fail_with(code: i32): i32 {
  if (code == 1) raise("22023", "bad value from AssemblyScript", "a detail", "a hint");
  if (code == 2) throw new Error("thrown");
  return code;
}

// Read-only SQL: the sum of 1..n and the longest of the repeated strings.
export function queried(n: i32): string {
  const rows = query("SELECT g::bigint, repeat($2, g) FROM generate_series(1, $1) g",
                     [Value.ofInt4(n), Value.ofText("x")]);
  let sum: i64 = 0;
  let longest = "";
  for (let i = 0; i < rows.length; i++) {
    sum += rows[i][0].asInt();
    if (rows[i][1].asString().length > longest.length) longest = rows[i][1].asString();
  }
  return sum.toString() + " " + longest;
}

// Every kind of value, through a parameter and back.
export function kinds(): string {
  const b = new Uint8Array(3);
  b[0] = 1; b[2] = 255;
  const rows = query("SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9::date + 1, NULL::int, 2.5::numeric",
                     [Value.ofBool(true), Value.ofInt2(-2), Value.ofInt4(40000), Value.ofInt8(1 << 40),
                      Value.ofFloat4(1.5), Value.ofFloat8(-0.25), Value.ofText("grüße"), Value.ofBytea(b),
                      Value.ofOther("2024-02-28")], 1);
  const r = rows[0];
  let out = "";
  for (let i = 0; i < r.length; i++) {
    const v = r[i];
    let s: string;
    if (v.isNull) s = "null";
    else if (v.kind == Kind.Float4 || v.kind == Kind.Float8) s = v.asFloat().toString();
    else if (v.kind == Kind.Text || v.kind == Kind.Other) s = v.asString();
    else if (v.kind == Kind.Bytea) s = "bytes:" + v.asBytes().length.toString();
    else s = v.asInt().toString();
    out += (i > 0 ? " " : "") + (<i32>v.kind).toString() + "=" + s;
  }
  return out;
}

// Reading a value as the wrong kind is an error.
export function misread(): i32 {
  return <i32>query("SELECT 'text'")[0][0].asInt();
}

// Arrays (SQL arrays, and sets returned all at once).
export function total_of(xs: i32[]): i64 {
  let t: i64 = 0;
  for (let i = 0; i < xs.length; i++) t += xs[i];
  return t;
}
export function scaled(xs: f64[], k: f64): f64[] {
  const out = new Array<f64>(xs.length);
  for (let i = 0; i < xs.length; i++) out[i] = xs[i] * k;
  return out;
}
export function flags(xs: bool[]): bool[] {
  return xs.map<bool>((x: bool) => !x);
}
export function shorts(xs: Array<i16>, by: i16): Array<i16> {
  for (let i = 0; i < xs.length; i++) xs[i] += by;
  return xs;
}
export function longs(n: i32): i64[] {
  const out = new Array<i64>(n);
  for (let i = 0; i < n; i++) out[i] = <i64>1 << (i + 32);
  return out;
}
export function words(s: string): string[] {
  return s.length == 0 ? [] : s.split(" ");
}
export function joined(parts: string[], sep: string): string {
  return parts.join(sep);
}
export function byte_lengths(bs: Uint8Array[]): i32[] {
  return bs.map<i32>((b: Uint8Array) => b.length);
}
export function halves(b: Uint8Array): Uint8Array[] {
  const h = b.length >> 1;
  return [b.subarray(0, h), b.subarray(h)];
}

// Nullable strings, bytes and arrays: option<T> in functions that are not
// STRICT (NULL is null).
export function or_default(s: string | null, d: string | null): string | null {
  if (s !== null) return s;
  return d;
}
export function shout_or_null(s: string | null): string | null {
  if (s === null || s.length == 0) return null;
  return s.toUpperCase() + "!";
}
export function bytes_or_null(b: Uint8Array | null): Uint8Array | null {
  if (b === null) return new Uint8Array(1);
  return b.length == 0 ? null : b;
}
export function count_or_null(xs: i32[] | null): i32[] | null {
  if (xs === null) return null;
  xs.push(xs.length);
  return xs;
}

// More than 16 flat values: the arguments arrive as one tuple in memory.
export function many(a: string, b: i32, c: string, d: i64, e: Uint8Array, f: f64, g: string,
                     h: bool, i: string, j: i16, k: f32, l: string): string {
  return a + "|" + b.toString() + "|" + c + "|" + d.toString() + "|" + e.length.toString() + "|" +
    f.toString() + "|" + g + "|" + (h ? "t" : "f") + "|" + i + "|" + j.toString() + "|" +
    k.toString() + "|" + l;
}
// Six options flatten to 18 values: a tuple too.
export function first_of(a: string | null, b: string | null, c: string | null,
                         d: string | null, e: string | null, f: string | null): string | null {
  if (a !== null) return a;
  if (b !== null) return b;
  if (c !== null) return c;
  if (d !== null) return d;
  if (e !== null) return e;
  return f;
}

// Numbers that may be NULL: Box<T> | null.
export function add_or_null(a: Box<i32> | null, b: Box<i32> | null): Box<i32> | null {
  if (a === null || b === null) return null;
  return new Box<i32>(a.value + b.value);
}
function show<T>(b: Box<T> | null): string {
  return b === null ? "null" : b.value.toString();
}
export function opt_kinds(a: Box<bool> | null, b: Box<i16> | null, c: Box<i64> | null,
                          d: Box<f32> | null, e: Box<f64> | null, s: string | null): string | null {
  return show<bool>(a) + " " + show<i16>(b) + " " + show<i64>(c) + " " + show<f32>(d) + " " +
    show<f64>(e) + " " + (s === null ? "null" : <string>s);
}
export function negated(b: Box<bool> | null): Box<bool> | null {
  return b === null ? null : new Box<bool>(!b.value);
}
export function shifted(x: Box<i16> | null): Box<i16> | null {
  return x === null ? null : new Box<i16>(x.value - 1);
}
// Nine options of numbers flatten to 18 values: a tuple.
export function sum_opts(a: Box<bool> | null, b: Box<i16> | null, c: Box<i32> | null,
                         d: Box<i64> | null, e: Box<f32> | null, f: Box<f64> | null,
                         g: Box<i32> | null, h: Box<i64> | null, i: Box<i16> | null): Box<f64> | null {
  let t: f64 = 0;
  let any = false;
  if (a !== null) { t += a.value ? 1 : 0; any = true; }
  if (b !== null) { t += b.value; any = true; }
  if (c !== null) { t += <f64>c.value; any = true; }
  if (d !== null) { t += <f64>d.value; any = true; }
  if (e !== null) { t += e.value; any = true; }
  if (f !== null) { t += f.value; any = true; }
  if (g !== null) { t += <f64>g.value; any = true; }
  if (h !== null) { t += <f64>h.value; any = true; }
  if (i !== null) { t += i.value; any = true; }
  return any ? new Box<f64>(t) : null;
}

// The raw style, without the transform's help: (ptr, len) in, a pointer to
// (ptr, len) out.  Numbers only, so the transform leaves it as it is.
export function raw_echo(ptr: usize, len: usize): usize {
  return retString("raw:" + argString(ptr, len));
}
