//! One module, several functions over text:
//!
//!     word_count(text) -> integer          words separated by white space
//!     initials(text) -> text               'Ada Lovelace King' -> 'ALK'
//!     to_roman(integer) -> text            1..3999, else an error
//!     from_roman(text) -> integer          strict: canonical numerals only
//!
//! The functions share one instance: `calls()` counts the calls made to
//! the module by this role in this backend, kept in a global between
//! calls.

use std::sync::atomic::{AtomicI64, Ordering};

static CALLS: AtomicI64 = AtomicI64::new(0);

fn count_call() {
    CALLS.fetch_add(1, Ordering::Relaxed);
}

const ROMAN: [(u32, &str); 13] = [
    (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
    (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
];

fn roman(mut n: u32) -> String {
    let mut s = String::new();
    for (value, numeral) in ROMAN {
        while n >= value {
            s.push_str(numeral);
            n -= value;
        }
    }
    s
}

slackfuel::export! {
    fn word_count(text: &str) -> i32 {
        count_call();
        text.split_whitespace().count() as i32
    }

    fn initials(name: &str) -> String {
        count_call();
        name.split_whitespace()
            .filter_map(|w| w.chars().next())
            .flat_map(char::to_uppercase)
            .collect()
    }

    fn to_roman(n: i32) -> Result<String, String> {
        count_call();
        if !(1..=3999).contains(&n) {
            return Err(format!("{} has no Roman numeral (1 to 3999)", n));
        }
        Ok(roman(n as u32))
    }

    fn from_roman(numeral: &str) -> Result<i32, String> {
        count_call();
        let upper = numeral.trim().to_uppercase();
        let mut rest = upper.as_str();
        let mut n = 0;
        for (value, digits) in ROMAN {
            while let Some(tail) = rest.strip_prefix(digits) {
                n += value;
                rest = tail;
            }
        }
        if rest.is_empty() && n > 0 && roman(n) == upper {
            Ok(n as i32)
        } else {
            Err(format!("\"{}\" is not a Roman numeral", numeral))
        }
    }

    fn calls() -> i64 {
        CALLS.load(Ordering::Relaxed)
    }
}
