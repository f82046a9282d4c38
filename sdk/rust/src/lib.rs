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
//! | Rust | SQL | core wasm |
//! |---|---|---|
//! | `bool` | boolean | i32 |
//! | `i16`, `i32`, `i64` | smallint, integer, bigint | i32, i32, i64 |
//! | `f32`, `f64` | real, double precision | f32, f64 |
//! | `&str`, `String` | text, varchar | (ptr, len); result: i32 pointing at (ptr, len) |
//! | `&[u8]`, `Vec<u8>` | bytea | (ptr, len); result: i32 pointing at (ptr, len) |
//! | `()` | void (result only) | none |
//!
//! A result may also be `Result<T, E>` with `E: Display`: `Err(e)` ends the
//! call with an error.

#![deny(missing_docs)]

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

#[doc(hidden)]
pub fn __begin() -> usize {
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

/// A borrowed argument buffer, owned by the call.
///
/// # Safety
/// `ptr`, `len` come from the host: memory allocated by `cabi_realloc`.
#[doc(hidden)]
pub unsafe fn __arg_bytes(ptr: *mut u8, len: usize) -> &'static [u8] {
    own(ptr, len, 1);
    if len == 0 {
        return &[];
    }
    std::slice::from_raw_parts(ptr, len)
}

/// # Safety
/// As `__arg_bytes`.
#[doc(hidden)]
pub unsafe fn __arg_str(ptr: *mut u8, len: usize) -> &'static str {
    utf8(__arg_bytes(ptr, len))
}

/// An argument buffer handed over to the function.
///
/// # Safety
/// As `__arg_bytes`.
#[doc(hidden)]
pub unsafe fn __arg_vec(ptr: *mut u8, len: usize) -> Vec<u8> {
    if len == 0 {
        return Vec::new();
    }
    Vec::from_raw_parts(ptr, len, len)
}

/// # Safety
/// As `__arg_bytes`.
#[doc(hidden)]
pub unsafe fn __arg_string(ptr: *mut u8, len: usize) -> String {
    match String::from_utf8(__arg_vec(ptr, len)) {
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

impl Ret for Vec<u8> {
    type Core = *const RetArea;
    fn lower(self, mark: usize) -> *const RetArea {
        let mut v = std::mem::ManuallyDrop::new(self);
        let (ptr, len, cap) = (v.as_mut_ptr(), v.len(), v.capacity());
        let ret = ret_pair(ptr, len, mark);
        own(ptr, cap, 1);
        ret
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

impl<T: Ret, E: Display> Ret for Result<T, E> {
    type Core = T::Core;
    fn lower(self, mark: usize) -> T::Core {
        match self {
            Ok(v) => v.lower(mark),
            Err(e) => panic!("{}", e),
        }
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
/// `&[u8]`, `Vec<u8>`; result types: any [`Ret`].  `&str` and `&[u8]`
/// arguments are freed after the call, when the host has copied the
/// result (which may borrow from them); `String` and `Vec<u8>` are the
/// function's to keep.
#[macro_export]
macro_rules! export {
    () => {};
    ($(#[$attr:meta])* $vis:vis fn $name:ident ( $($params:tt)* ) $($rest:tt)*) => {
        $crate::__export_tail! { [$(#[$attr])* $vis] $name ($($params)*) [] $($rest)* }
    };
}

/// Splits what follows the parameters into the result type and the body,
/// then into the next function.
#[doc(hidden)]
#[macro_export]
macro_rules! __export_tail {
    ([$($head:tt)*] $name:ident ($($params:tt)*) [$($ret:tt)*] { $($body:tt)* } $($more:tt)*) => {
        $($head)* fn $name($($params)*) $($ret)* { $($body)* }
        $crate::__export_params! { $name [$($ret)*] [] [] $($params)* }
        $crate::export! { $($more)* }
    };
    ([$($head:tt)*] $name:ident ($($params:tt)*) [$($ret:tt)*] $t:tt $($rest:tt)*) => {
        $crate::__export_tail! { [$($head)*] $name ($($params)*) [$($ret)* $t] $($rest)* }
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
    ($name:ident $ret:tt [$($core:tt)*] [$($lift:tt)*] $a:ident : & $($lt:lifetime)? [u8] $(, $($rest:tt)*)?) => {
        $crate::__export_params! { $name $ret [$($core)* ptr: *mut u8, len: usize,]
            [$($lift)* $crate::__arg_bytes(ptr, len),] $($($rest)*)? }
    };
    ($name:ident $ret:tt [$($core:tt)*] [$($lift:tt)*] $a:ident : Vec<u8> $(, $($rest:tt)*)?) => {
        $crate::__export_params! { $name $ret [$($core)* ptr: *mut u8, len: usize,]
            [$($lift)* $crate::__arg_vec(ptr, len),] $($($rest)*)? }
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
    ($name:ident [-> $($ret:tt)*] [$($core:tt)*] [$($lift:tt)*]) => {
        const _: () = {
            #[export_name = stringify!($name)]
            unsafe extern "C" fn export($($core)*)
                -> <$crate::__static_ty!($($ret)*) as $crate::Ret>::Core {
                let mark = $crate::__begin();
                $crate::Ret::lower($name($($lift)*), mark)
            }
            $crate::__export_post! { $name $($ret)* }
        };
    };
}

/// The result type with its borrow made `'static`: the export has no
/// borrowed parameters to take a lifetime from.
#[doc(hidden)]
#[macro_export]
macro_rules! __static_ty {
    (& $lt:lifetime $t:tt) => { &'static $t };
    (& $t:tt) => { &'static $t };
    (Result<& $lt:lifetime $t:tt, $e:ty>) => { Result<&'static $t, $e> };
    (Result<& $t:tt, $e:ty>) => { Result<&'static $t, $e> };
    ($t:ty) => { $t };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __export_post {
    ($name:ident String) => { $crate::__export_post! { @emit $name } };
    ($name:ident Vec<u8>) => { $crate::__export_post! { @emit $name } };
    ($name:ident Box<str>) => { $crate::__export_post! { @emit $name } };
    ($name:ident Box<[u8]>) => { $crate::__export_post! { @emit $name } };
    ($name:ident & $($lt:lifetime)? str) => { $crate::__export_post! { @emit $name } };
    ($name:ident & $($lt:lifetime)? [u8]) => { $crate::__export_post! { @emit $name } };
    ($name:ident Result<$t:tt $(<$u:tt>)?, $e:ty>) => { $crate::__export_post! { $name $t $(<$u>)? } };
    ($name:ident Result<& $lt:lifetime $t:tt, $e:ty>) => { $crate::__export_post! { $name & $t } };
    ($name:ident Result<& $t:tt, $e:ty>) => { $crate::__export_post! { $name & $t } };
    (@emit $name:ident) => {
        #[export_name = concat!("cabi_post_", stringify!($name))]
        unsafe extern "C" fn post(_ret: *const $crate::RetArea) {
            $crate::__post()
        }
    };
    ($name:ident $($other:tt)*) => {};
}
