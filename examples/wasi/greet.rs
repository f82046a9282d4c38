//! greet.rs -- an ordinary Rust library for wasm32-wasi (println!, format!,
//! a HashMap seeded by random_get, the clock, a panic), built by build.sh
//! with Debian's rustc as a cdylib whose exports are called one by one
//! (from SQL: regress/sql/programs.sql).

use std::alloc::{alloc, dealloc, realloc, Layout};
use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

/// The canonical ABI's allocator: the host copies text arguments into it.
#[no_mangle]
pub unsafe extern "C" fn cabi_realloc(old: *mut u8, old_size: usize, align: usize,
                                      new_size: usize) -> *mut u8 {
    let layout = Layout::from_size_align_unchecked(old_size.max(1), align);
    if old.is_null() {
        alloc(Layout::from_size_align_unchecked(new_size.max(1), align))
    } else {
        realloc(old, layout, new_size.max(1))
    }
}

/// A text result: a pointer to (ptr, len), freed by cabi_post_describe.
static mut RESULT: [usize; 2] = [0, 0];

/// "n is even" or "n is odd", with the number spelled by format!.
#[no_mangle]
pub extern "C" fn describe(n: i32) -> *const usize {
    let text = format!("{} is {}", n, if n % 2 == 0 { "even" } else { "odd" });
    let bytes = text.into_bytes().into_boxed_slice();
    let len = bytes.len();
    let ptr = Box::into_raw(bytes) as *mut u8 as usize;
    unsafe {
        RESULT = [ptr, len];
        RESULT.as_ptr()
    }
}

#[no_mangle]
pub unsafe extern "C" fn cabi_post_describe(_: *const usize) {
    let (ptr, len) = (RESULT[0] as *mut u8, RESULT[1]);
    if len > 0 {
        dealloc(ptr, Layout::from_size_align_unchecked(len, 1));
    }
}

/// Print `n` greetings on stdout, one line each; return how many lines.
#[no_mangle]
pub extern "C" fn greet(n: i32) -> i32 {
    let mut names = HashMap::new();
    for i in 0..n {
        names.insert(i, format!("guest number {}", i + 1));
    }
    for i in 0..n {
        println!("hello, {}", names[&i]);
    }
    n
}

/// Seconds since 1970 by the host's clock.
#[no_mangle]
pub extern "C" fn unix_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(-1)
}

/// a / b; panics when b is 0, and the panic message reaches the host.
#[no_mangle]
pub extern "C" fn checked_div(a: i32, b: i32) -> i32 {
    if b == 0 {
        panic!("cannot divide {} by zero", a);
    }
    a / b
}
