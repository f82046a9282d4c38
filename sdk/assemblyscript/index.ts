// slackfuel guest SDK for AssemblyScript: PostgreSQL functions written in
// AssemblyScript, compiled to WebAssembly and called by the slackfuel
// extension.  See docs/sdk.md.
//
// Built with the SDK's transform (asc --transform .../transform.mjs), an
// export is a plain function over numbers, string, Uint8Array, arrays,
// nullable strings, bytes and arrays, and Box<T> | null for numbers:
//
//   import "slackfuel";
//
//   export function shout(s: string): string {
//     return s.toUpperCase() + "!";
//   }
//
// and the transform generates its canonical-ABI wrapper from the __sf_
// helpers below, with cabi_post_<export> and cabi_realloc.  Without the
// transform, an export takes text and bytea as a (ptr, len) pair read with
// argString / argBytes and returns them through retString / retBytes,
// with cabi_realloc and cabi_post as cabi_post_<export> re-exported.
//
// Memory: arguments are copied into managed values and the host's buffers
// freed at once; a result is encoded into a buffer that cabi_post_<export>
// frees after the host has copied it.  Globals keep their values between
// calls.  Build with the default (incremental) runtime, which frees, and
// --use abort=... (see abort below).  log, notice, raise and query are the
// host's (slackfuel:host/api).

// The return area of a (ptr, len) result, and whether its buffer is still
// to be freed.
const RET: usize = memory.data(8);
let pending: usize = 0;

function freePending(): void {
  if (pending != 0) {
    heap.free(pending);
    pending = 0;
  }
}

// cabi_realloc(old_ptr, old_size, align, new_size): where the host copies
// arguments.  The canonical ABI never asks for more than 8-byte alignment;
// the heap's blocks are 16-byte aligned.
export function cabi_realloc(old: usize, oldSize: usize, align: usize, newSize: usize): usize {
  if (align > 16) unreachable();
  if (old == 0) return heap.alloc(newSize);
  return heap.realloc(old, newSize);
}

// Exported as cabi_post_<export> for each export returning text or bytes.
export function cabi_post(ret: usize): void {
  freePending();
}

// A text argument: UTF-8 at ptr, len bytes.  The buffer is freed.
export function argString(ptr: usize, len: usize): string {
  const s = String.UTF8.decodeUnsafe(ptr, len);
  heap.free(ptr);
  return s;
}

// A bytea argument, copied; the buffer is freed.
export function argBytes(ptr: usize, len: usize): Uint8Array {
  const b = new Uint8Array(<i32>len);
  memory.copy(b.dataStart, ptr, len);
  heap.free(ptr);
  return b;
}

function retPair(ptr: usize, len: usize): usize {
  freePending();
  pending = ptr;
  store<u32>(RET, <u32>ptr);
  store<u32>(RET, <u32>len, 4);
  return RET;
}

// Returns text: encoded to UTF-8 in a buffer freed by cabi_post.
export function retString(s: string): usize {
  const len = String.UTF8.byteLength(s);
  const buf = heap.alloc(len);
  String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, buf);
  return retPair(buf, len);
}

// Returns bytea: copied to a buffer freed by cabi_post.
export function retBytes(b: Uint8Array): usize {
  const len = <usize>b.byteLength;
  const buf = heap.alloc(len);
  memory.copy(buf, b.dataStart, len);
  return retPair(buf, len);
}

// --- Glue for the exports that transform.mjs generates ---------------------
// A plain export such as `export function slugify(s: string): string`
// gets a canonical-ABI wrapper made of the calls below (docs/sdk.md).
// They are public only so that the generated code can import them.

// The return area of an option<T> result: the case at 0, T's (ptr, len)
// at 4.
const RET_OPT: usize = memory.data(12, 4);

// list<T> of a number type (bool, i16, i32, i64, f32, f64, ...): the
// elements, copied; the host's buffer is freed.
export function __sf_argList<T>(ptr: usize, len: usize): Array<T> {
  const a = new Array<T>(<i32>len);
  memory.copy(a.dataStart, ptr, len * sizeof<T>());
  if (ptr != 0) heap.free(ptr);
  return a;
}

// list<string>: each string decoded; the strings' and the list's buffers
// are freed.
export function __sf_argStrings(ptr: usize, len: usize): string[] {
  const a = new Array<string>(<i32>len);
  for (let i: usize = 0; i < len; i++) {
    const p = <usize>load<u32>(ptr + i * 8);
    const n = <usize>load<u32>(ptr + i * 8, 4);
    a[<i32>i] = String.UTF8.decodeUnsafe(p, n);
    if (p != 0) heap.free(p);
  }
  if (ptr != 0) heap.free(ptr);
  return a;
}

// list<list<u8>> (bytea[]): each copied; the buffers are freed.
export function __sf_argBytesList(ptr: usize, len: usize): Uint8Array[] {
  const a = new Array<Uint8Array>(<i32>len);
  for (let i: usize = 0; i < len; i++) {
    const p = <usize>load<u32>(ptr + i * 8);
    const n = <usize>load<u32>(ptr + i * 8, 4);
    const b = new Uint8Array(<i32>n);
    memory.copy(b.dataStart, p, n);
    if (p != 0) heap.free(p);
    a[<i32>i] = b;
  }
  if (ptr != 0) heap.free(ptr);
  return a;
}

// A number-list result, copied to a buffer freed by cabi_post.
export function __sf_retList<T>(a: Array<T>): usize {
  const bytes = <usize>a.length * sizeof<T>();
  const buf = heap.alloc(bytes);
  memory.copy(buf, a.dataStart, bytes);
  return retPair(buf, <usize>a.length);
}

// A list<string> or list<list<u8>> result: the (ptr, len) pairs followed
// by the elements' bytes, in one buffer freed by cabi_post.
function retPieces(bufs: ArrayBuffer[]): usize {
  const n = <usize>bufs.length;
  let total = n * 8;
  for (let i = 0; i < bufs.length; i++) total += <usize>bufs[i].byteLength;
  const buf = heap.alloc(total);
  let at = buf + n * 8;
  for (let i = 0; i < bufs.length; i++) {
    const len = <usize>bufs[i].byteLength;
    memory.copy(at, changetype<usize>(bufs[i]), len);
    store<u32>(buf + <usize>i * 8, <u32>at);
    store<u32>(buf + <usize>i * 8, <u32>len, 4);
    at += len;
  }
  return retPair(buf, n);
}

export function __sf_retStrings(a: string[]): usize {
  const bufs = new Array<ArrayBuffer>(a.length);
  for (let i = 0; i < a.length; i++) bufs[i] = String.UTF8.encode(a[i]);
  return retPieces(bufs);
}

export function __sf_retBytesList(a: Uint8Array[]): usize {
  const bufs = new Array<ArrayBuffer>(a.length);
  for (let i = 0; i < a.length; i++) bufs[i] = a[i].slice().buffer;
  return retPieces(bufs);
}

// option<T> results, T a string or list returned by the calls above.
export function __sf_retSome(ret: usize): usize {
  store<u8>(RET_OPT, 1);
  store<u32>(RET_OPT, load<u32>(ret), 4);
  store<u32>(RET_OPT, load<u32>(ret, 4), 8);
  return RET_OPT;
}

export function __sf_retNone(): usize {
  freePending();
  store<u8>(RET_OPT, 0);
  store<u32>(RET_OPT, 0, 4);
  store<u32>(RET_OPT, 0, 8);
  return RET_OPT;
}

// A number that may be NULL: AssemblyScript numbers cannot be null, so a
// function that is not STRICT takes and returns `Box<i32> | null` (and so
// on) where Rust would have Option<i32>.
export class Box<T> {
  constructor(public value: T) {}
}

// The return area of an option<T> result of a number type: the case at
// 0, the number at its own alignment.
const RET_OPT_NUM: usize = memory.data(16, 8);

export function __sf_retSomeNum<T>(value: T): usize {
  store<u8>(RET_OPT_NUM, 1);
  store<T>(RET_OPT_NUM + sizeof<T>(), value);
  return RET_OPT_NUM;
}

export function __sf_retNoneNum<T>(): usize {
  store<u64>(RET_OPT_NUM, 0);
  store<u64>(RET_OPT_NUM, 0, 8);
  return RET_OPT_NUM;
}

// An argument tuple in memory (more than 16 flat values): freed after its
// values were read.
export function __sf_freeArgs(ptr: usize): void {
  if (ptr != 0) heap.free(ptr);
}

// --- The host interface: slackfuel:host/api (docs/host.md) ---------------

@external("slackfuel:host/api", "log")
declare function hostLog(level: i32, ptr: usize, len: usize): void;

@external("slackfuel:host/api", "raise")
declare function hostRaise(
  sqlstate: usize, sqlstateLen: usize, message: usize, messageLen: usize,
  detailSome: i32, detail: usize, detailLen: usize,
  hintSome: i32, hint: usize, hintLen: usize): void;

// PostgreSQL's message levels below ERROR.
export enum Level { Debug5, Debug4, Debug3, Debug2, Debug1, Log, Info, Notice, Warning }

// Report 'message' at 'level', as PL/pgSQL's RAISE does.
export function log(level: Level, message: string): void {
  const buf = String.UTF8.encode(message);
  hostLog(level, changetype<usize>(buf), <usize>buf.byteLength);
}

export function notice(message: string): void {
  log(Level.Notice, message);
}

// End the call with an ERROR: 'sqlstate' five characters of 0-9 and A-Z,
// or "" for P0001.  Never returns.
export function raise(sqlstate: string, message: string,
                      detail: string | null = null, hint: string | null = null): void {
  const s = String.UTF8.encode(sqlstate);
  const m = String.UTF8.encode(message);
  const d = detail === null ? new ArrayBuffer(0) : String.UTF8.encode(detail);
  const h = hint === null ? new ArrayBuffer(0) : String.UTF8.encode(hint);
  hostRaise(changetype<usize>(s), <usize>s.byteLength, changetype<usize>(m), <usize>m.byteLength,
            detail === null ? 0 : 1, changetype<usize>(d), <usize>d.byteLength,
            hint === null ? 0 : 1, changetype<usize>(h), <usize>h.byteLength);
  unreachable();
}

// --- Read-only SQL (docs/host.md, "Read-only SQL") -------------------------

@external("slackfuel:host/api", "query")
declare function hostQuery(sql: usize, sqlLen: usize, params: usize, n: usize,
                           maxRows: u32, ret: usize): void;

// The cases of a SQL value: a query's parameter or a value in its rows.
// Other is any other type, in its text form (numeric, dates, arrays, ...).
export enum Kind { Null, Bool, Int2, Int4, Int8, Float4, Float8, Text, Bytea, Other }

// A SQL value.  Make parameters with Value.ofInt4(5), Value.ofText("x"),
// ...; read a row's values with asInt, asFloat, asString, asBytes (a value
// of another kind ends the call with an error naming both).
export class Value {
  constructor(public kind: Kind, public int: i64 = 0, public float: f64 = 0,
              public str: string = "", public bytes: Uint8Array | null = null) {}
  static ofNull(): Value { return new Value(Kind.Null); }
  static ofBool(b: bool): Value { return new Value(Kind.Bool, b ? 1 : 0); }
  static ofInt2(x: i16): Value { return new Value(Kind.Int2, x); }
  static ofInt4(x: i32): Value { return new Value(Kind.Int4, x); }
  static ofInt8(x: i64): Value { return new Value(Kind.Int8, x); }
  static ofFloat4(x: f32): Value { return new Value(Kind.Float4, 0, x); }
  static ofFloat8(x: f64): Value { return new Value(Kind.Float8, 0, x); }
  static ofText(s: string): Value { return new Value(Kind.Text, 0, 0, s); }
  static ofBytea(b: Uint8Array): Value { return new Value(Kind.Bytea, 0, 0, "", b); }
  // A value of any type, as text ('2024-01-31', '{1,2}'): the query types it.
  static ofOther(s: string): Value { return new Value(Kind.Other, 0, 0, s); }

  get isNull(): bool { return this.kind == Kind.Null; }
  // bool (0 or 1), smallint, integer, bigint.
  asInt(): i64 {
    if (this.kind < Kind.Bool || this.kind > Kind.Int8) this.wrong("an integer");
    return this.int;
  }
  asFloat(): f64 {
    if (this.kind != Kind.Float4 && this.kind != Kind.Float8) this.wrong("a float");
    return this.float;
  }
  // text, or any other type's text form.
  asString(): string {
    if (this.kind != Kind.Text && this.kind != Kind.Other) this.wrong("text");
    return this.str;
  }
  asBytes(): Uint8Array {
    if (this.kind != Kind.Bytea) this.wrong("bytea");
    return <Uint8Array>this.bytes;
  }
  private wrong(want: string): void {
    raise("", "SQL value of kind " + (<i32>this.kind).toString() + " read as " + want);
  }
}

// The (ptr, len) pair a query returns its rows through.
const QUERY_RET: usize = memory.data(8);

// A parameter laid out as the canonical ABI's value (16 bytes: the case,
// the payload at 8); strings and bytes in buffers freed after the query.
function lowerValue(v: Value, at: usize): void {
  store<u8>(at, <u8>v.kind);
  switch (v.kind) {
    case Kind.Bool: store<u8>(at, v.int != 0 ? 1 : 0, 8); break;
    case Kind.Int2: store<i16>(at, <i16>v.int, 8); break;
    case Kind.Int4: store<i32>(at, <i32>v.int, 8); break;
    case Kind.Int8: store<i64>(at, v.int, 8); break;
    case Kind.Float4: store<f32>(at, <f32>v.float, 8); break;
    case Kind.Float8: store<f64>(at, v.float, 8); break;
    case Kind.Text:
    case Kind.Other: {
      const len = <usize>String.UTF8.byteLength(v.str);
      const buf = heap.alloc(len);
      String.UTF8.encodeUnsafe(changetype<usize>(v.str), v.str.length, buf);
      store<u32>(at, <u32>buf, 8);
      store<u32>(at, <u32>len, 12);
      break;
    }
    case Kind.Bytea: {
      const b = <Uint8Array>v.bytes;
      const len = <usize>b.byteLength;
      const buf = heap.alloc(len);
      memory.copy(buf, b.dataStart, len);
      store<u32>(at, <u32>buf, 8);
      store<u32>(at, <u32>len, 12);
      break;
    }
    default: break;
  }
}

// A value of a row, read into a managed Value; its buffer is freed.
function liftValue(at: usize): Value {
  const kind = <Kind>load<u8>(at);
  switch (kind) {
    case Kind.Bool: return Value.ofBool(load<u8>(at, 8) != 0);
    case Kind.Int2: return Value.ofInt2(load<i16>(at, 8));
    case Kind.Int4: return Value.ofInt4(load<i32>(at, 8));
    case Kind.Int8: return Value.ofInt8(load<i64>(at, 8));
    case Kind.Float4: return Value.ofFloat4(load<f32>(at, 8));
    case Kind.Float8: return Value.ofFloat8(load<f64>(at, 8));
    case Kind.Text:
    case Kind.Other:
    case Kind.Bytea: {
      const ptr = <usize>load<u32>(at, 8);
      const len = <usize>load<u32>(at, 12);
      let v: Value;
      if (kind == Kind.Bytea) {
        const b = new Uint8Array(<i32>len);
        memory.copy(b.dataStart, ptr, len);
        v = Value.ofBytea(b);
      } else {
        v = new Value(kind, 0, 0, String.UTF8.decodeUnsafe(ptr, len));
      }
      if (ptr != 0) heap.free(ptr);
      return v;
    }
    default: return Value.ofNull();
  }
}

// Run one read-only query with parameters $1..$n; at most 'maxRows' rows
// (0: all).  Rows are arrays of Values; the host's buffers are freed here.
// An error in the query ends the call with that error.
export function query(sql: string, params: Value[] = [], maxRows: u32 = 0): Value[][] {
  const s = String.UTF8.encode(sql);
  const n = params.length;
  const pbuf = heap.alloc(<usize>max(n, 1) * 16);
  memory.fill(pbuf, 0, <usize>n * 16);
  for (let i = 0; i < n; i++) lowerValue(params[i], pbuf + <usize>i * 16);
  hostQuery(changetype<usize>(s), <usize>s.byteLength, pbuf, <usize>n, maxRows, QUERY_RET);
  for (let i = 0; i < n; i++) {
    const at = pbuf + <usize>i * 16;
    const k = <Kind>load<u8>(at);
    if (k == Kind.Text || k == Kind.Other || k == Kind.Bytea) heap.free(<usize>load<u32>(at, 8));
  }
  heap.free(pbuf);
  const rows = <usize>load<u32>(QUERY_RET);
  const nrows = <i32>load<u32>(QUERY_RET, 4);
  const out = new Array<Value[]>(0);
  for (let r = 0; r < nrows; r++) {
    const rp = <usize>load<u32>(rows + <usize>r * 8);
    const nc = <i32>load<u32>(rows + <usize>r * 8, 4);
    const row = new Array<Value>(0);
    for (let c = 0; c < nc; c++) row.push(liftValue(rp + <usize>c * 16));
    if (rp != 0) heap.free(rp);
    out.push(row);
  }
  if (rows != 0) heap.free(rows);
  return out;
}

// AssemblyScript's abort (a failed assert, a thrown error, an index out
// of range), routed here with --use abort=... : the call ends with an
// ERROR carrying the message, and the place as its DETAIL.
export function abort(message: string | null, file: string | null, line: u32, column: u32): void {
  const place = (file === null ? "?" : <string>file) + ":" + line.toString() + ":" + column.toString();
  raise("", message === null ? "abort" : <string>message, place);
}
