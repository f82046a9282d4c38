//! slackfuel's host interface, `slackfuel:host/api` (docs/host.md): messages,
//! errors and read-only SQL.  A module that uses none of it imports none of
//! it, but for `raise`, which panics and `Err` results go through.

use std::alloc::{self, Layout};

#[link(wasm_import_module = "slackfuel:host/api")]
extern "C" {
    #[link_name = "log"]
    fn host_log(level: i32, ptr: *const u8, len: usize);
    #[link_name = "raise"]
    fn host_raise(
        sqlstate: *const u8,
        sqlstate_len: usize,
        message: *const u8,
        message_len: usize,
        detail_some: i32,
        detail: *const u8,
        detail_len: usize,
        hint_some: i32,
        hint: *const u8,
        hint_len: usize,
    );
    #[link_name = "query"]
    fn host_query(
        sql: *const u8,
        sql_len: usize,
        params: *const u8,
        params_len: usize,
        max_rows: u32,
        ret: *mut [u32; 2],
    );
}

/// PostgreSQL's message levels below ERROR.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum Level {
    /// DEBUG5
    Debug5,
    /// DEBUG4
    Debug4,
    /// DEBUG3
    Debug3,
    /// DEBUG2
    Debug2,
    /// DEBUG1
    Debug1,
    /// LOG
    Log,
    /// INFO
    Info,
    /// NOTICE
    Notice,
    /// WARNING
    Warning,
}

/// Reports `message` at `level`, as PL/pgSQL's RAISE does.
pub fn log(level: Level, message: &str) {
    // SAFETY: the host reads the message from our memory.
    unsafe { host_log(level as i32, message.as_ptr(), message.len()) }
}

/// `log(Level::Notice, message)`.
pub fn notice(message: &str) {
    log(Level::Notice, message)
}

fn opt(s: Option<&str>) -> (i32, *const u8, usize) {
    match s {
        Some(s) => (1, s.as_ptr(), s.len()),
        None => (0, std::ptr::null(), 0),
    }
}

/// Ends the call with an ERROR: `sqlstate` five characters of 0-9 and A-Z,
/// or "" for P0001 (the classes PostgreSQL and slackfuel report themselves
/// are refused: docs/host.md).  The instance is discarded, as after any
/// trap.
pub fn raise(sqlstate: &str, message: &str, detail: Option<&str>, hint: Option<&str>) -> ! {
    let (ds, dp, dl) = opt(detail);
    let (hs, hp, hl) = opt(hint);
    // SAFETY: the host reads the strings from our memory; it does not return.
    unsafe {
        host_raise(sqlstate.as_ptr(), sqlstate.len(), message.as_ptr(), message.len(), ds, dp, dl, hs, hp, hl);
    }
    std::process::abort()
}

/// A SQL value, as a parameter or in a row: a case for each of bool,
/// smallint, integer, bigint, real, double precision, text and bytea;
/// `Other` holds any other type's text form.  As a parameter, `Null` and
/// `Other` take the type the query gives them.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// NULL
    Null,
    /// boolean
    Bool(bool),
    /// smallint
    Int2(i16),
    /// integer
    Int4(i32),
    /// bigint
    Int8(i64),
    /// real
    Float4(f32),
    /// double precision
    Float8(f64),
    /// text, varchar
    Text(String),
    /// bytea
    Bytea(Vec<u8>),
    /// any other type, as text
    Other(String),
}

/// A value in memory: 16 bytes, the case at 0, the payload at 8.
type Raw = [u64; 2];

fn raw(v: &Value) -> Raw {
    let mut r: Raw = [0; 2];
    let bytes = |p: &[u8]| (p.as_ptr() as u64) | (p.len() as u64) << 32;
    let (case, payload) = match v {
        Value::Null => (0, 0),
        Value::Bool(b) => (1, *b as u64),
        Value::Int2(i) => (2, *i as u16 as u64),
        Value::Int4(i) => (3, *i as u32 as u64),
        Value::Int8(i) => (4, *i as u64),
        Value::Float4(f) => (5, f.to_bits() as u64),
        Value::Float8(f) => (6, f.to_bits()),
        Value::Text(s) => (7, bytes(s.as_bytes())),
        Value::Bytea(b) => (8, bytes(b)),
        Value::Other(s) => (9, bytes(s.as_bytes())),
    };
    r[0] = case;
    r[1] = payload;
    r
}

/// The (ptr, len) the host allocated with cabi_realloc, taken over.
unsafe fn take_bytes(ptr: u32, len: u32) -> Vec<u8> {
    if len == 0 {
        return Vec::new();
    }
    Vec::from_raw_parts(ptr as *mut u8, len as usize, len as usize)
}

unsafe fn take_string(ptr: u32, len: u32) -> String {
    String::from_utf8_lossy(&take_bytes(ptr, len)).into_owned()
}

unsafe fn free_array(ptr: u32, len: u32, elem: usize, align: usize) {
    if len != 0 {
        alloc::dealloc(ptr as *mut u8, Layout::from_size_align_unchecked(len as usize * elem, align));
    }
}

/// A list the host wrote: (ptr, len) of `len` elements.
unsafe fn slice<'a, T>(ptr: u32, len: u32) -> &'a [T] {
    if len == 0 {
        return &[];
    }
    std::slice::from_raw_parts(ptr as *const T, len as usize)
}

unsafe fn lift_value(r: &Raw) -> Value {
    let p = r[1];
    let (ptr, len) = (p as u32, (p >> 32) as u32);
    match r[0] as u8 {
        0 => Value::Null,
        1 => Value::Bool(p as u8 != 0),
        2 => Value::Int2(p as u16 as i16),
        3 => Value::Int4(p as u32 as i32),
        4 => Value::Int8(p as i64),
        5 => Value::Float4(f32::from_bits(p as u32)),
        6 => Value::Float8(f64::from_bits(p)),
        7 => Value::Text(take_string(ptr, len)),
        8 => Value::Bytea(take_bytes(ptr, len)),
        _ => Value::Other(take_string(ptr, len)),
    }
}

/// Runs one read-only query with parameters $1..$n and returns at most
/// `max_rows` rows (0: all).  An error in the query ends the call with
/// that error.
pub fn query(sql: &str, params: &[Value], max_rows: u32) -> Vec<Vec<Value>> {
    let raws: Vec<Raw> = params.iter().map(raw).collect();
    let mut ret = [0u32; 2];
    // SAFETY: the host reads our arguments and writes list<row> at 'ret',
    // every list and string allocated by cabi_realloc: they are ours.
    unsafe {
        host_query(sql.as_ptr(), sql.len(), raws.as_ptr() as *const u8, raws.len(), max_rows, &mut ret);
        let rows: &[[u32; 2]] = slice(ret[0], ret[1]);
        let out = rows
            .iter()
            .map(|row| {
                let values: &[Raw] = slice(row[0], row[1]);
                let lifted = values.iter().map(|v| lift_value(v)).collect();
                free_array(row[0], row[1], 16, 8);
                lifted
            })
            .collect();
        free_array(ret[0], ret[1], 8, 4);
        out
    }
}
