//! Guest SDK for slackfuel: PostgreSQL functions written in Rust, compiled
//! to WebAssembly and called by the slackfuel extension.
//!
//! ```ignore
//! slackfuel::export! {
//!     fn slugify(title: &str) -> String {
//!         title.to_lowercase().split_whitespace().collect::<Vec<_>>().join("-")
//!     }
//! }
//! ```
//!
//! [`export!`] keeps the function as written and adds the export the
//! extension calls: its arguments and result cross linear memory by the
//! Component Model's canonical ABI, and memory is freed when the call is
//! over.  Build a `cdylib` for `wasm32-unknown-unknown` with
//! `panic = "abort"`; see `docs/sdk.md`.
//!
//! | Rust | SQL | WIT |
//! |---|---|---|
//! | `bool` | boolean | bool |
//! | `i16`, `i32`, `i64` | smallint, integer, bigint | s16, s32, s64 |
//! | `f32`, `f64` | real, double precision | f32, f64 |
//! | `&str`, `String` | text, varchar, json, jsonb, numeric | string |
//! | `&[u8]`, `Vec<u8>` | bytea | list<u8> |
//! | `&[T]`, `Vec<T>` (T a number, `String` or `&str`) | T[]; a result also SETOF T | list<T> |
//! | `Option<T>` | T in a function that is not STRICT (None is NULL) | option<T> |
//! | [`TriggerData`] -> [`TriggerResult`] | RETURNS trigger | trigger-data -> trigger-result |
//! | `()` | void (result only) | none |
//!
//! A result may also be `Result<T, E>` with `E: Display`: `Err(e)` ends the
//! call with an ERROR whose message is `e`, as a panic does with its message
//! ([`host::raise`]); [`host`] also logs and runs read-only queries.

#![deny(missing_docs)]

pub mod host;

use std::alloc::{self, Layout};
use std::cell::UnsafeCell;
use std::fmt::Display;

/// State of one instance: wasm guests run one call at a time.
struct Global<T>(UnsafeCell<T>);

// SAFETY: a wasm32 instance has one thread; calls only nest, never overlap.
unsafe impl<T> Sync for Global<T> {}

impl<T> Global<T> {
    #[allow(clippy::mut_from_ref)]
    fn get(&self) -> &mut T {
        // SAFETY: see `Sync`; no reference outlives the function using it.
        unsafe { &mut *self.0.get() }
    }
}

/// Ends the call with a trap; the extension reports an ERROR.
pub fn trap() -> ! {
    std::process::abort()
}

/// `cabi_realloc(old_ptr, old_size, align, new_size)`: the allocator the
/// host copies arguments into.  Out of memory traps.
///
/// # Safety
/// Called by the host only, with a pointer it got from this function.
#[no_mangle]
pub unsafe extern "C" fn cabi_realloc(
    old: *mut u8,
    old_size: usize,
    align: usize,
    new_size: usize,
) -> *mut u8 {
    let layout = match Layout::from_size_align(new_size, align) {
        Ok(l) => l,
        Err(_) => trap(),
    };
    if new_size == 0 {
        if !old.is_null() && old_size != 0 {
            alloc::dealloc(old, Layout::from_size_align_unchecked(old_size, align));
        }
        return align as *mut u8;
    }
    let p = if old.is_null() || old_size == 0 {
        alloc::alloc(layout)
    } else {
        alloc::realloc(old, Layout::from_size_align_unchecked(old_size, align), new_size)
    };
    if p.is_null() {
        trap();
    }
    p
}

/// A buffer the current call owns: freed when the call ends.
struct Owned {
    ptr: *mut u8,
    size: usize,
    align: usize,
}

/// What the calls in progress own.  Calls may nest (a function calling SQL
/// that calls the module again): each frees what was added above its mark.
static OWNED: Global<Vec<Owned>> = Global(UnsafeCell::new(Vec::new()));

/// The return area of a (ptr, len) result, and the call it ends: `pending`
/// until `cabi_post_*` runs (the next call ends it if the host did not).
#[repr(C)]
#[doc(hidden)]
pub struct RetArea {
    ptr: u32,
    len: u32,
    mark: usize,
    pending: bool,
}

static RET: Global<RetArea> = Global(UnsafeCell::new(RetArea {
    ptr: 0,
    len: 0,
    mark: 0,
    pending: false,
}));

fn own(ptr: *mut u8, size: usize, align: usize) {
    if size != 0 {
        OWNED.get().push(Owned { ptr, size, align });
    }
}

fn end(mark: usize) {
    let owned = OWNED.get();
    while owned.len() > mark {
        let o = owned.pop().unwrap();
        // SAFETY: every entry was allocated with exactly this layout.
        unsafe { alloc::dealloc(o.ptr, Layout::from_size_align_unchecked(o.size, o.align)) };
    }
}

/// Panics end the call through `raise`, with their message, and their
/// place as the DETAIL.
fn panic_hook(info: &std::panic::PanicInfo) {
    let message = if let Some(s) = info.payload().downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = info.payload().downcast_ref::<String>() {
        s.clone()
    } else {
        "panic".to_string()
    };
    let place = info.location().map(|l| format!("Panicked at {}:{}:{}.", l.file(), l.line(), l.column()));
    host::raise("", &message, place.as_deref(), None)
}

static HOOKED: Global<bool> = Global(UnsafeCell::new(false));

#[doc(hidden)]
pub fn __begin() -> usize {
    if !*HOOKED.get() {
        *HOOKED.get() = true;
        std::panic::set_hook(Box::new(panic_hook));
    }
    let ret = RET.get();
    if ret.pending {
        ret.pending = false;
        end(ret.mark);
    }
    OWNED.get().len()
}

#[doc(hidden)]
pub fn __post() {
    let ret = RET.get();
    if ret.pending {
        ret.pending = false;
        end(ret.mark);
    }
}

/// A result in memory other than a (ptr, len) pair: the call ends in
/// `cabi_post_*` too.
fn pending(mark: usize) {
    let ret = RET.get();
    ret.mark = mark;
    ret.pending = true;
}

fn ret_pair(ptr: *const u8, len: usize, mark: usize) -> *const RetArea {
    let ret = RET.get();
    ret.ptr = ptr as u32;
    ret.len = len as u32;
    ret.mark = mark;
    ret.pending = true;
    ret as *const RetArea
}

fn utf8(bytes: &[u8]) -> &str {
    match std::str::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => panic!("argument is not valid UTF-8: {}", e),
    }
}

/// A borrowed list argument of `len` elements, owned by the call.
///
/// # Safety
/// `ptr`, `len` come from the host: memory allocated by `cabi_realloc`
/// with T's size and alignment.
#[doc(hidden)]
pub unsafe fn __arg_slice<T>(ptr: *mut u8, len: usize) -> &'static [T] {
    own(ptr, len * std::mem::size_of::<T>(), std::mem::align_of::<T>());
    if len == 0 {
        return &[];
    }
    std::slice::from_raw_parts(ptr as *const T, len)
}

/// # Safety
/// As `__arg_slice`.
#[doc(hidden)]
pub unsafe fn __arg_bytes(ptr: *mut u8, len: usize) -> &'static [u8] {
    __arg_slice::<u8>(ptr, len)
}

/// # Safety
/// As `__arg_bytes`.
#[doc(hidden)]
pub unsafe fn __arg_str(ptr: *mut u8, len: usize) -> &'static str {
    utf8(__arg_bytes(ptr, len))
}

/// A list argument handed over to the function.
///
/// # Safety
/// As `__arg_slice`.
#[doc(hidden)]
pub unsafe fn __arg_vec<T: ListElem>(ptr: *mut u8, len: usize) -> Vec<T> {
    T::lift_vec(ptr, len)
}

/// # Safety
/// As `__arg_bytes`.
#[doc(hidden)]
pub unsafe fn __arg_string(ptr: *mut u8, len: usize) -> String {
    match String::from_utf8(__arg_vec::<u8>(ptr, len)) {
        Ok(s) => s,
        Err(e) => panic!("argument is not valid UTF-8: {}", e.utf8_error()),
    }
}

/// A scalar argument: passed as one core value.
pub trait Scalar {
    /// The core wasm type it crosses as.
    type Core;
    /// The Rust value of a core value.
    fn lift(core: Self::Core) -> Self;
}

macro_rules! scalar {
    ($($t:ty => $core:ty, |$c:ident| $lift:expr, |$v:ident| $lower:expr;)*) => {$(
        impl Scalar for $t {
            type Core = $core;
            fn lift($c: $core) -> $t {
                $lift
            }
        }
        impl Ret for $t {
            type Core = $core;
            fn lower(self, mark: usize) -> $core {
                end(mark);
                let $v = self;
                $lower
            }
        }
    )*};
}

scalar! {
    bool => i32, |c| c != 0, |v| v as i32;
    i16 => i32, |c| c as i16, |v| v as i32;
    i32 => i32, |c| c, |v| v;
    i64 => i64, |c| c, |v| v;
    f32 => f32, |c| c, |v| v;
    f64 => f64, |c| c, |v| v;
}

/// A result: how it crosses back to the host.
pub trait Ret {
    /// The core wasm result type.
    type Core;
    /// Hands the value to the host; `mark` is the call's (see `__begin`).
    fn lower(self, mark: usize) -> Self::Core;
}

impl Ret for () {
    type Core = ();
    fn lower(self, mark: usize) {
        end(mark);
    }
}

impl<T: ListElem> Ret for Vec<T> {
    type Core = *const RetArea;
    fn lower(self, mark: usize) -> *const RetArea {
        T::lower_vec(self, mark)
    }
}

/// An element of a `list<T>` argument or result (SQL arrays, and bytea as
/// `Vec<u8>`): numbers are laid out as Rust lays them out; strings are
/// (ptr, len) pairs.
pub trait ListElem: Sized {
    /// The list at (ptr, len), taking over the host's buffers.
    ///
    /// # Safety
    /// `ptr`, `len` come from the host: memory allocated by `cabi_realloc`.
    unsafe fn lift_vec(ptr: *mut u8, len: usize) -> Vec<Self>;
    /// Hands the list to the host, its buffers freed by `cabi_post_*`.
    fn lower_vec(v: Vec<Self>, mark: usize) -> *const RetArea;
}

/// A vector's buffer as a list result: freed when the call ends.
fn lower_plain<T>(v: Vec<T>, mark: usize) -> *const RetArea {
    let mut v = std::mem::ManuallyDrop::new(v);
    let (ptr, len, cap) = (v.as_mut_ptr(), v.len(), v.capacity());
    let ret = ret_pair(ptr as *const u8, len, mark);
    own(ptr as *mut u8, cap * std::mem::size_of::<T>(), std::mem::align_of::<T>());
    ret
}

macro_rules! plain_elem {
    ($($t:ty),*) => {$(
        impl ListElem for $t {
            unsafe fn lift_vec(ptr: *mut u8, len: usize) -> Vec<$t> {
                if len == 0 {
                    return Vec::new();
                }
                Vec::from_raw_parts(ptr as *mut $t, len, len)
            }
            fn lower_vec(v: Vec<$t>, mark: usize) -> *const RetArea {
                lower_plain(v, mark)
            }
        }
    )*};
}

plain_elem!(u8, i8, i16, u16, i32, u32, i64, u64, f32, f64);

impl ListElem for String {
    unsafe fn lift_vec(ptr: *mut u8, len: usize) -> Vec<String> {
        let pairs = __arg_slice::<[u32; 2]>(ptr, len);
        pairs.iter().map(|p| __arg_string(p[0] as *mut u8, p[1] as usize)).collect()
    }
    fn lower_vec(v: Vec<String>, mark: usize) -> *const RetArea {
        let pairs = v
            .into_iter()
            .map(|s| {
                let mut b = std::mem::ManuallyDrop::new(s.into_bytes());
                own(b.as_mut_ptr(), b.capacity(), 1);
                [b.as_ptr() as u32, b.len() as u32]
            })
            .collect();
        lower_plain::<[u32; 2]>(pairs, mark)
    }
}

/// Views: of the arguments, of constants, of state kept between calls.
impl<'a> ListElem for &'a str {
    unsafe fn lift_vec(ptr: *mut u8, len: usize) -> Vec<&'a str> {
        let pairs = __arg_slice::<[u32; 2]>(ptr, len);
        pairs.iter().map(|p| __arg_str(p[0] as *mut u8, p[1] as usize)).collect()
    }
    fn lower_vec(v: Vec<&'a str>, mark: usize) -> *const RetArea {
        let pairs = v.iter().map(|s| [s.as_ptr() as u32, s.len() as u32]).collect();
        lower_plain::<[u32; 2]>(pairs, mark)
    }
}

impl Ret for String {
    type Core = *const RetArea;
    fn lower(self, mark: usize) -> *const RetArea {
        self.into_bytes().lower(mark)
    }
}

impl Ret for Box<str> {
    type Core = *const RetArea;
    fn lower(self, mark: usize) -> *const RetArea {
        String::from(self).lower(mark)
    }
}

impl Ret for Box<[u8]> {
    type Core = *const RetArea;
    fn lower(self, mark: usize) -> *const RetArea {
        Vec::from(self).lower(mark)
    }
}

/// A view of an argument, of a constant or of state kept between calls:
/// the host copies it before the arguments are freed.
impl Ret for &[u8] {
    type Core = *const RetArea;
    fn lower(self, mark: usize) -> *const RetArea {
        ret_pair(self.as_ptr(), self.len(), mark)
    }
}

impl Ret for &str {
    type Core = *const RetArea;
    fn lower(self, mark: usize) -> *const RetArea {
        self.as_bytes().lower(mark)
    }
}

/// A value stored as the payload of an `option<T>` result.
pub trait Payload {
    /// Its alignment in memory, which is where the payload starts.
    const ALIGN: usize;
    /// Writes it at `at`.
    ///
    /// # Safety
    /// `at` has room for it.
    unsafe fn store(self, at: *mut u8);
}

macro_rules! payload {
    ($($t:ty => $as:ty),*) => {$(
        impl Payload for $t {
            const ALIGN: usize = std::mem::align_of::<$as>();
            unsafe fn store(self, at: *mut u8) {
                std::ptr::write_unaligned(at as *mut $as, self as $as);
            }
        }
    )*};
}

payload!(bool => u8, i16 => i16, i32 => i32, i64 => i64, f32 => f32, f64 => f64);

impl Payload for &str {
    const ALIGN: usize = 4;
    unsafe fn store(self, at: *mut u8) {
        std::ptr::write_unaligned(at as *mut [u32; 2], [self.as_ptr() as u32, self.len() as u32]);
    }
}

impl Payload for String {
    const ALIGN: usize = 4;
    unsafe fn store(self, at: *mut u8) {
        let mut b = std::mem::ManuallyDrop::new(self.into_bytes());
        own(b.as_mut_ptr(), b.capacity(), 1);
        std::ptr::write_unaligned(at as *mut [u32; 2], [b.as_ptr() as u32, b.len() as u32]);
    }
}

/// Where an `option<T>` or variant result is stored for the host.
static AREA: Global<[u64; 3]> = Global(UnsafeCell::new([0; 3]));

/// `None` is SQL's NULL (a function that is not STRICT returns `option<T>`).
impl<T: Payload> Ret for Option<T> {
    type Core = *const u8;
    fn lower(self, mark: usize) -> *const u8 {
        let area = AREA.get();
        *area = [0; 3];
        let at = area.as_mut_ptr() as *mut u8;
        if let Some(v) = self {
            // SAFETY: the area has 24 bytes, 8-aligned.
            unsafe {
                *at = 1;
                v.store(at.add(T::ALIGN));
            }
        }
        pending(mark);
        at
    }
}

impl<T: Ret, E: Display> Ret for Result<T, E> {
    type Core = T::Core;
    fn lower(self, mark: usize) -> T::Core {
        match self {
            Ok(v) => v.lower(mark),
            Err(e) => host::raise("", &e.to_string(), None, None),
        }
    }
}

/// What fired a trigger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TriggerEvent {
    /// INSERT
    Insert,
    /// UPDATE
    Update,
    /// DELETE
    Delete,
    /// TRUNCATE
    Truncate,
}

/// When the trigger fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TriggerTiming {
    /// BEFORE
    Before,
    /// AFTER
    After,
    /// INSTEAD OF
    InsteadOf,
}

/// FOR EACH ROW or FOR EACH STATEMENT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TriggerLevel {
    /// FOR EACH ROW
    Row,
    /// FOR EACH STATEMENT
    Statement,
}

/// A trigger function's argument (`RETURNS trigger`; docs/types.md):
/// rows are JSON objects, so a function serves any table.
#[derive(Debug)]
pub struct TriggerData<'a> {
    /// The trigger's name.
    pub name: &'a str,
    /// The table's schema.
    pub schema: &'a str,
    /// The table.
    pub table: &'a str,
    /// What fired it.
    pub event: TriggerEvent,
    /// When.
    pub timing: TriggerTiming,
    /// For each row or statement.
    pub level: TriggerLevel,
    /// The arguments of CREATE TRIGGER ... EXECUTE FUNCTION f(args).
    pub args: Vec<&'a str>,
    /// OLD as a JSON object (UPDATE and DELETE row triggers).
    pub old: Option<&'a str>,
    /// NEW as a JSON object (INSERT and UPDATE row triggers).
    pub new: Option<&'a str>,
}

/// What a BEFORE or INSTEAD OF row trigger does with the row; other
/// triggers' results are ignored.
#[derive(Debug)]
pub enum TriggerResult {
    /// The row operation does not happen.
    Skip,
    /// It happens as it is.
    Keep,
    /// It happens with these columns (a JSON object) replaced.
    Row(String),
}

/// The trigger data the host stored at `ptr` (record trigger-data: 60
/// bytes, every string and list allocated by `cabi_realloc`), owned by the
/// call.
///
/// # Safety
/// `ptr` comes from the host.
#[doc(hidden)]
pub unsafe fn __arg_trigger(ptr: *mut u8) -> TriggerData<'static> {
    own(ptr, 60, 4);
    let word = |off: usize| std::ptr::read_unaligned(ptr.add(off) as *const u32) as usize;
    let text = |off: usize| __arg_str(word(off) as *mut u8, word(off + 4));
    let opt = |off: usize| if *ptr.add(off) != 0 { Some(text(off + 4)) } else { None };
    TriggerData {
        name: text(0),
        schema: text(8),
        table: text(16),
        event: match *ptr.add(24) {
            0 => TriggerEvent::Insert,
            1 => TriggerEvent::Update,
            2 => TriggerEvent::Delete,
            _ => TriggerEvent::Truncate,
        },
        timing: match *ptr.add(25) {
            0 => TriggerTiming::Before,
            1 => TriggerTiming::After,
            _ => TriggerTiming::InsteadOf,
        },
        level: if *ptr.add(26) == 0 { TriggerLevel::Row } else { TriggerLevel::Statement },
        args: <&str as ListElem>::lift_vec(word(28) as *mut u8, word(32)),
        old: opt(36),
        new: opt(48),
    }
}

/// variant trigger-result { skip, keep, row(string) }, in memory.
impl Ret for TriggerResult {
    type Core = *const u8;
    fn lower(self, mark: usize) -> *const u8 {
        let area = AREA.get();
        *area = [0; 3];
        let at = area.as_mut_ptr() as *mut u8;
        // SAFETY: the area has 24 bytes, 8-aligned.
        unsafe {
            match self {
                TriggerResult::Skip => *at = 0,
                TriggerResult::Keep => *at = 1,
                TriggerResult::Row(json) => {
                    *at = 2;
                    json.store(at.add(4));
                }
            }
        }
        pending(mark);
        at
    }
}

/// Exports Rust functions to SQL.
///
/// ```ignore
/// slackfuel::export! {
///     /// Distance in kilometres.
///     fn haversine(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 { ... }
///
///     pub fn greet(name: &str) -> String { format!("hello, {}", name) }
/// }
/// ```
///
/// Each function stays as written (attributes, doc comments and `pub`
/// too) and gets an export of its own name.  Argument types: `bool`,
/// `i16`, `i32`, `i64`, `f32`, `f64` (any [`Scalar`]), `&str`, `String`,
/// `&[T]`, `Vec<T>` (any [`ListElem`]), `Option<T>` of those scalars and
/// strings, [`TriggerData`]; result types: any [`Ret`].  Borrowed
/// arguments (`&str`, `&[T]`) are freed after the call, when the host has
/// copied the result (which may borrow from them); `String` and `Vec<T>`
/// are the function's to keep.
#[macro_export]
macro_rules! export {
    () => {};
    ($(#[$attr:meta])* $vis:vis fn $name:ident $(< $($lt:lifetime),* >)? ( $($params:tt)* ) $($rest:tt)*) => {
        $crate::__export_tail! { [$(#[$attr])* $vis] $name [$(< $($lt),* >)?] ($($params)*) [] $($rest)* }
    };
}

/// Splits what follows the parameters into the result type and the body,
/// then into the next function.
#[doc(hidden)]
#[macro_export]
macro_rules! __export_tail {
    ([$($head:tt)*] $name:ident [$($gen:tt)*] ($($params:tt)*) [$($ret:tt)*] { $($body:tt)* } $($more:tt)*) => {
        $($head)* fn $name $($gen)* ($($params)*) $($ret)* { $($body)* }
        $crate::__export_params! { $name [$($ret)*] [] [] $($params)* }
        $crate::export! { $($more)* }
    };
    ([$($head:tt)*] $name:ident [$($gen:tt)*] ($($params:tt)*) [$($ret:tt)*] $t:tt $($rest:tt)*) => {
        $crate::__export_tail! { [$($head)*] $name [$($gen)*] ($($params)*) [$($ret)* $t] $($rest)* }
    };
}

/// Turns the parameters, one at a time, into core parameters and the
/// expressions lifting them.  Names made here are hygienic: the `ptr` of
/// one parameter is not the `ptr` of the next.
#[doc(hidden)]
#[macro_export]
macro_rules! __export_params {
    ($name:ident $ret:tt [$($core:tt)*] [$($lift:tt)*]) => {
        $crate::__export_emit! { $name $ret [$($core)*] [$($lift)*] }
    };
    ($name:ident $ret:tt $core:tt $lift:tt mut $($rest:tt)*) => {
        $crate::__export_params! { $name $ret $core $lift $($rest)* }
    };
    ($name:ident $ret:tt [$($core:tt)*] [$($lift:tt)*] $a:ident : & $($lt:lifetime)? str $(, $($rest:tt)*)?) => {
        $crate::__export_params! { $name $ret [$($core)* ptr: *mut u8, len: usize,]
            [$($lift)* $crate::__arg_str(ptr, len),] $($($rest)*)? }
    };
    ($name:ident $ret:tt [$($core:tt)*] [$($lift:tt)*] $a:ident : String $(, $($rest:tt)*)?) => {
        $crate::__export_params! { $name $ret [$($core)* ptr: *mut u8, len: usize,]
            [$($lift)* $crate::__arg_string(ptr, len),] $($($rest)*)? }
    };
    ($name:ident $ret:tt [$($core:tt)*] [$($lift:tt)*] $a:ident : & $($lt:lifetime)? [$t:ty] $(, $($rest:tt)*)?) => {
        $crate::__export_params! { $name $ret [$($core)* ptr: *mut u8, len: usize,]
            [$($lift)* $crate::__arg_slice::<$t>(ptr, len),] $($($rest)*)? }
    };
    ($name:ident $ret:tt [$($core:tt)*] [$($lift:tt)*] $a:ident : Vec<$t:ty> $(, $($rest:tt)*)?) => {
        $crate::__export_params! { $name $ret [$($core)* ptr: *mut u8, len: usize,]
            [$($lift)* $crate::__arg_vec::<$t>(ptr, len),] $($($rest)*)? }
    };
    ($name:ident $ret:tt [$($core:tt)*] [$($lift:tt)*] $a:ident : Option<& $($lt:lifetime)? str> $(, $($rest:tt)*)?) => {
        $crate::__export_params! { $name $ret [$($core)* some: i32, ptr: *mut u8, len: usize,]
            [$($lift)* if some != 0 { Some($crate::__arg_str(ptr, len)) } else { None },]
            $($($rest)*)? }
    };
    ($name:ident $ret:tt [$($core:tt)*] [$($lift:tt)*] $a:ident : Option<String> $(, $($rest:tt)*)?) => {
        $crate::__export_params! { $name $ret [$($core)* some: i32, ptr: *mut u8, len: usize,]
            [$($lift)* if some != 0 { Some($crate::__arg_string(ptr, len)) } else { None },]
            $($($rest)*)? }
    };
    ($name:ident $ret:tt [$($core:tt)*] [$($lift:tt)*] $a:ident : Option<$t:ty> $(, $($rest:tt)*)?) => {
        $crate::__export_params! { $name $ret [$($core)* some: i32, v: <$t as $crate::Scalar>::Core,]
            [$($lift)* if some != 0 { Some(<$t as $crate::Scalar>::lift(v)) } else { None },]
            $($($rest)*)? }
    };
    ($name:ident $ret:tt [$($core:tt)*] [$($lift:tt)*] $a:ident : $(slackfuel::)? TriggerData $(<$lt:lifetime>)? $(, $($rest:tt)*)?) => {
        $crate::__export_params! { $name $ret [$($core)* ptr: *mut u8,]
            [$($lift)* $crate::__arg_trigger(ptr),] $($($rest)*)? }
    };
    ($name:ident $ret:tt [$($core:tt)*] [$($lift:tt)*] $a:ident : $t:ty $(, $($rest:tt)*)?) => {
        $crate::__export_params! { $name $ret [$($core)* v: <$t as $crate::Scalar>::Core,]
            [$($lift)* <$t as $crate::Scalar>::lift(v),] $($($rest)*)? }
    };
}

/// The export itself, and `cabi_post_<name>` when the result is a
/// (ptr, len) pair.
#[doc(hidden)]
#[macro_export]
macro_rules! __export_emit {
    ($name:ident [] [$($core:tt)*] [$($lift:tt)*]) => {
        $crate::__export_emit! { $name [-> ()] [$($core)*] [$($lift)*] }
    };
    ($name:ident [-> ()] [$($core:tt)*] [$($lift:tt)*]) => {
        const _: () = {
            #[export_name = stringify!($name)]
            unsafe extern "C" fn export($($core)*) {
                let mark = $crate::__begin();
                $crate::Ret::lower($name($($lift)*), mark)
            }
        };
    };
    ($name:ident [-> $($ret:tt)*] [$($core:tt)*] [$($lift:tt)*]) => {
        const _: () = {
            #[export_name = stringify!($name)]
            unsafe extern "C" fn export($($core)*)
                -> <$crate::__static_ty!($($ret)*) as $crate::Ret>::Core {
                let mark = $crate::__begin();
                $crate::Ret::lower($name($($lift)*), mark)
            }
            // Takes the export's results, as the canonical ABI says; frees
            // what the call owned once the host has copied the result.
            #[export_name = concat!("cabi_post_", stringify!($name))]
            unsafe extern "C" fn post(_results: <$crate::__static_ty!($($ret)*) as $crate::Ret>::Core) {
                $crate::__post()
            }
        };
    };
}

/// The result type with every borrow made `'static`: the export has no
/// borrowed parameters to take a lifetime from.
#[doc(hidden)]
#[macro_export]
macro_rules! __static_ty {
    (@acc [$($out:tt)*]) => { $($out)* };
    (@acc [$($out:tt)*] & $lt:lifetime $($rest:tt)*) => {
        $crate::__static_ty!(@acc [$($out)* &'static] $($rest)*)
    };
    (@acc [$($out:tt)*] & $($rest:tt)*) => {
        $crate::__static_ty!(@acc [$($out)* &'static] $($rest)*)
    };
    (@acc [$($out:tt)*] $lt:lifetime $($rest:tt)*) => {
        $crate::__static_ty!(@acc [$($out)* 'static] $($rest)*)
    };
    (@acc [$($out:tt)*] $t:tt $($rest:tt)*) => {
        $crate::__static_ty!(@acc [$($out)* $t] $($rest)*)
    };
    ($($t:tt)*) => { $crate::__static_ty!(@acc [] $($t)*) };
}
