//! Set-returning functions: text split into rows.
//!
//!     split_words(text) RETURNS SETOF text       white-space separated words
//!     split_on(text, sep text) RETURNS SETOF text  pieces between separators
//!
//! The rows are views of the argument (`Vec<&str>`): nothing is copied in
//! the guest; the host copies each row out, then the argument is freed.

slackfuel::export! {
    fn split_words(text: &str) -> Vec<&str> {
        text.split_whitespace().collect()
    }

    fn split_on<'a>(text: &'a str, sep: &str) -> Result<Vec<&'a str>, String> {
        if sep.is_empty() {
            return Err("the separator must not be empty".to_string());
        }
        Ok(text.split(sep).collect())
    }
}
