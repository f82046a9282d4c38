//! The Rust SDK's test guest: every argument and result type, ownership of
//! buffers, errors and panics, state between calls.

use std::sync::atomic::{AtomicI64, Ordering};

static TOTAL: AtomicI64 = AtomicI64::new(0);
static mut LAST: Option<String> = None;

slackfuel::export! {
    fn not_b(b: bool) -> bool { !b }
    fn neg16(x: i16) -> i16 { x.wrapping_neg() }
    fn mix(a: i32, b: i64, c: f32, d: f64, e: bool) -> i64 {
        a as i64 + b + (c * 2.0) as i64 + (d * 4.0) as i64 + e as i64
    }
    fn halve(x: f64) -> f64 { x / 2.0 }
    fn twice(x: f32) -> f32 { x * 2.0 }

    /// A view of the argument, returned without a copy.
    fn echo(s: &str) -> &str { s }
    fn slice(s: &str, from: i32, to: i32) -> &str { &s[from as usize..to as usize] }
    /// An owned argument, grown and returned.
    fn shout(mut s: String) -> String { s.make_ascii_uppercase(); s.push('!'); s }
    fn concat(a: &str, b: &str) -> String { format!("{}{}", a, b) }
    fn greeting() -> &'static str { "hello from Rust" }
    fn reversed(b: &[u8]) -> Vec<u8> { b.iter().rev().copied().collect() }
    fn byte_sum(b: Vec<u8>) -> i32 { b.iter().map(|&x| x as i32).sum() }
    fn boxed(s: &str) -> Box<str> { s.repeat(2).into_boxed_str() }
    fn char_count(s: &str) -> i32 { s.chars().count() as i32 }

    /// State between calls: a global and a heap value.
    fn remember(s: &str) -> i64 {
        // SAFETY: one call at a time in a wasm instance.
        unsafe { LAST = Some(s.to_string()) };
        TOTAL.fetch_add(s.len() as i64, Ordering::Relaxed) + s.len() as i64
    }
    fn recall() -> String {
        // SAFETY: as above.
        unsafe { LAST.clone().unwrap_or_default() }
    }

    /// Err ends the call with an error; Ok returns the value.
    fn checked_div(a: i32, b: i32) -> Result<i32, String> {
        a.checked_div(b).ok_or_else(|| format!("cannot divide {} by {}", a, b))
    }
    fn parse_int(s: &str) -> Result<String, std::num::ParseIntError> {
        s.trim().parse::<i64>().map(|n| (n * 2).to_string())
    }
    fn boom(msg: &str) -> i32 { panic!("boom: {}", msg) }
    fn hoard(mb: i32) -> i32 {
        let mut kept = Vec::new();
        for _ in 0..mb { kept.push(vec![1u8; 1 << 20]); }
        std::mem::forget(kept);
        mb
    }
    fn nothing() {}
}

// Lists (SQL arrays, sets), options (NULL), triggers.
slackfuel::export! {
    fn words(text: &str) -> Vec<&str> { text.split_whitespace().collect() }
    fn shout_all(items: Vec<String>) -> Vec<String> {
        items.into_iter().map(|s| s.to_uppercase()).collect()
    }
    fn sum_ints(xs: &[i32]) -> i64 { xs.iter().map(|&x| x as i64).sum() }
    fn doubled(xs: Vec<f64>) -> Vec<f64> { xs.into_iter().map(|x| x * 2.0).collect() }
    fn squares(n: i32) -> Vec<i64> { (1..=n as i64).map(|i| i * i).collect() }
    fn maybe_len(s: Option<&str>) -> Option<i32> { s.map(|s| s.chars().count() as i32) }
    fn maybe_greet(name: Option<String>, times: Option<i64>) -> Option<String> {
        name.map(|n| format!("{} x{}", n, times.unwrap_or(1)))
    }
    fn maybe_half(x: Option<f64>) -> Option<f64> { x.map(|x| x / 2.0) }
    fn audit(data: slackfuel::TriggerData) -> slackfuel::TriggerResult {
        use slackfuel::{TriggerEvent, TriggerResult};
        match (data.event, data.args.first().copied()) {
            (TriggerEvent::Delete, Some("protect")) => TriggerResult::Skip,
            (TriggerEvent::Insert, Some("stamp")) => TriggerResult::Row(format!(
                "{{\"note\": \"{} {} on {}.{} ({})\"}}",
                data.name, "insert", data.schema, data.table, data.args.len()
            )),
            _ => TriggerResult::Keep,
        }
    }
}

// The host interface.
slackfuel::export! {
    fn talk(message: &str) -> i32 {
        slackfuel::host::log(slackfuel::host::Level::Warning, message);
        slackfuel::host::notice("and a notice");
        message.len() as i32
    }
    fn fail_with(sqlstate: &str, message: &str) -> i32 {
        slackfuel::host::raise(sqlstate, message, Some("a detail"), Some("a hint"))
    }
    fn table_sizes(prefix: &str) -> Vec<String> {
        use slackfuel::host::{query, Value};
        let rows = query(
            "SELECT relname, relnatts, reltuples > -2, NULL::int FROM pg_class WHERE relname LIKE $1 || '%' ORDER BY relname",
            &[Value::Text(prefix.to_string())],
            3,
        );
        rows.iter().map(|r| format!("{:?}", r)).collect()
    }
}
