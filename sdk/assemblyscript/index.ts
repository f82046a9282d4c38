// slackfuel guest SDK for AssemblyScript: PostgreSQL functions written in
// AssemblyScript, compiled to WebAssembly and called by the slackfuel
// extension.  See docs/sdk.md.
//
// An export takes and returns core values.  Scalars (bool, i16, i32, i64,
// f32, f64) are passed as they are; text and bytea arrive as a (ptr, len)
// pair, read with argString / argBytes, and are returned through
// retString / retBytes, which hand the host a pointer to a (ptr, len)
// pair:
//
//   import { argString, retString } from "slackfuel";
//   export { cabi_realloc, cabi_post as cabi_post_shout } from "slackfuel";
//
//   export function shout(ptr: usize, len: usize): usize {
//     return retString(argString(ptr, len).toUpperCase() + "!");
//   }
//
// Memory: argString and argBytes copy the argument into a managed
// string or Uint8Array and free the host's buffer at once; a result is
// encoded into a buffer that cabi_post_<export> frees after the host has
// copied it (every such export needs that alias of cabi_post).  Globals
// keep their values between calls.  Build with the default (incremental)
// runtime, which frees, and --use abort=... (see abort below).
// log, notice and raise are the host's (slackfuel:host/api).

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

// AssemblyScript's abort (a failed assert, a thrown error, an index out
// of range), routed here with --use abort=... : the call ends with an
// ERROR carrying the message, and the place as its DETAIL.
export function abort(message: string | null, file: string | null, line: u32, column: u32): void {
  const place = (file === null ? "?" : <string>file) + ":" + line.toString() + ":" + column.toString();
  raise("", message === null ? "abort" : <string>message, place);
}
