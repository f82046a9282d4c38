// The AssemblyScript SDK's test guest (regress/sql/sdk_assemblyscript.sql).
import { argString, argBytes, retString, retBytes, log, notice, raise, Level, query, Value, Kind } from "slackfuel";
export {
  cabi_realloc,
  cabi_post as cabi_post_echo,
  cabi_post as cabi_post_concat,
  cabi_post as cabi_post_reversed,
  cabi_post as cabi_post_recall,
  cabi_post as cabi_post_queried,
  cabi_post as cabi_post_kinds,
} from "slackfuel";

export function not_b(b: bool): bool { return !b; }
export function neg16(x: i16): i16 { return -x; }
export function mix(a: i32, b: i64, c: f32, d: f64, e: bool): i64 {
  return <i64>a + b + <i64>(c * 2) + <i64>(d * 4) + <i64>e;
}
export function halve(x: f64): f64 { return x / 2; }
export function twice(x: f32): f32 { return x * 2; }

export function echo(ptr: usize, len: usize): usize {
  return retString(argString(ptr, len));
}
export function concat(aPtr: usize, aLen: usize, bPtr: usize, bLen: usize): usize {
  return retString(argString(aPtr, aLen) + argString(bPtr, bLen));
}
export function char_count(ptr: usize, len: usize): i32 {
  const s = argString(ptr, len);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    if (s.codePointAt(i) > 0xffff) i++;
    n++;
  }
  return n;
}
export function reversed(ptr: usize, len: usize): usize {
  const b = argBytes(ptr, len);
  b.reverse();
  return retBytes(b);
}
export function byte_sum(ptr: usize, len: usize): i32 {
  const b = argBytes(ptr, len);
  let sum = 0;
  for (let i = 0; i < b.length; i++) sum += b[i];
  return sum;
}


// State between calls.
let total: i64 = 0;
let last = "";
export function remember(ptr: usize, len: usize): i64 {
  last = argString(ptr, len);
  total += <i64>len;
  return total;
}
export function recall(): usize { return retString(last); }

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
export function talk(ptr: usize, len: usize): i32 {
  const message = argString(ptr, len);
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
export function queried(n: i32): usize {
  const rows = query("SELECT g::bigint, repeat($2, g) FROM generate_series(1, $1) g",
                     [Value.ofInt4(n), Value.ofText("x")]);
  let sum: i64 = 0;
  let longest = "";
  for (let i = 0; i < rows.length; i++) {
    sum += rows[i][0].asInt();
    if (rows[i][1].asString().length > longest.length) longest = rows[i][1].asString();
  }
  return retString(sum.toString() + " " + longest);
}

// Every kind of value, through a parameter and back.
export function kinds(): usize {
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
  return retString(out);
}

// Reading a value as the wrong kind is an error.
export function misread(): i32 {
  return <i32>query("SELECT 'text'")[0][0].asInt();
}
