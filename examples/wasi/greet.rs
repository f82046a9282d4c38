//! greet.rs -- an ordinary Rust library for wasm32-wasi (println!, format!,
//! a HashMap seeded by random_get, the clock, a panic), built by build.sh
//! with Debian's rustc as a cdylib whose exports are called one by one.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

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
