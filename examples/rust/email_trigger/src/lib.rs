//! A trigger: BEFORE INSERT OR UPDATE, normalise an e-mail address column
//! (trimmed, lower case) and drop rows whose address is not one.
//!
//!     CREATE TRIGGER users_email BEFORE INSERT OR UPDATE ON users
//!       FOR EACH ROW EXECUTE FUNCTION normalize_email('email');
//!
//! The argument names the column (default "email").  Rows arrive as JSON
//! objects (the text of row_to_json); the trigger returns the column to
//! replace as a JSON object, keep (a NULL address), or skip.

use slackfuel::{TriggerData, TriggerResult};

/// The string value of key `key` of the JSON object `obj`, unescaped, if
/// it is a string; `Err` for JSON this scanner does not follow.
fn string_field(obj: &str, key: &str) -> Result<Option<String>, String> {
    let s = obj.as_bytes();
    let mut at = 0;
    let skip_space = |at: &mut usize| {
        while *at < s.len() && s[*at].is_ascii_whitespace() {
            *at += 1;
        }
    };
    skip_space(&mut at);
    if s.get(at) != Some(&b'{') {
        return Err("the row is not a JSON object".into());
    }
    at += 1;
    loop {
        skip_space(&mut at);
        if s.get(at) == Some(&b'}') {
            return Ok(None);
        }
        let name = json_string(s, &mut at)?;
        skip_space(&mut at);
        if s.get(at) != Some(&b':') {
            return Err("':' expected".into());
        }
        at += 1;
        skip_space(&mut at);
        if name == key {
            return if s.get(at) == Some(&b'"') { json_string(s, &mut at).map(Some) } else { Ok(None) };
        }
        skip_value(s, &mut at)?;
        skip_space(&mut at);
        match s.get(at) {
            Some(b',') => at += 1,
            Some(b'}') => return Ok(None),
            _ => return Err("',' or '}' expected".into()),
        }
    }
}

/// A JSON string at `at` (its opening quote), unescaped.
fn json_string(s: &[u8], at: &mut usize) -> Result<String, String> {
    if s.get(*at) != Some(&b'"') {
        return Err("a string expected".into());
    }
    *at += 1;
    let mut out = Vec::new();
    while let Some(&c) = s.get(*at) {
        *at += 1;
        match c {
            b'"' => return String::from_utf8(out).map_err(|e| e.to_string()),
            b'\\' => {
                let e = *s.get(*at).ok_or("unterminated escape")?;
                *at += 1;
                match e {
                    b'n' => out.push(b'\n'),
                    b't' => out.push(b'\t'),
                    b'r' => out.push(b'\r'),
                    b'b' => out.push(8),
                    b'f' => out.push(12),
                    b'u' => {
                        let hex = s.get(*at..*at + 4).ok_or("short \\u escape")?;
                        let code = u32::from_str_radix(std::str::from_utf8(hex).unwrap_or("x"), 16)
                            .map_err(|_| "bad \\u escape")?;
                        *at += 4;
                        let ch = char::from_u32(code).unwrap_or('\u{fffd}');
                        out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
                    }
                    other => out.push(other),
                }
            }
            _ => out.push(c),
        }
    }
    Err("unterminated string".into())
}

/// Past one JSON value: strings, and nested objects and arrays by depth.
fn skip_value(s: &[u8], at: &mut usize) -> Result<(), String> {
    let mut depth = 0usize;
    loop {
        match s.get(*at) {
            None => return Err("unexpected end".into()),
            Some(b'"') => {
                json_string(s, at)?;
            }
            Some(b'{' | b'[') => {
                depth += 1;
                *at += 1;
            }
            Some(b'}' | b']') if depth > 0 => {
                depth -= 1;
                *at += 1;
            }
            Some(b',' | b'}' | b']') if depth == 0 => return Ok(()),
            Some(_) => *at += 1,
        }
        if depth == 0 && matches!(s.get(*at), Some(b',' | b'}') | None) {
            return Ok(());
        }
    }
}

fn json_quote(s: &str) -> String {
    let mut q = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            c if (c as u32) < 0x20 => q.push_str(&format!("\\u{:04x}", c as u32)),
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

/// An address: one '@', something on both sides, a dot in the domain.
fn plausible(addr: &str) -> bool {
    match addr.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && !domain.contains('@') && domain.contains('.')
                && !domain.starts_with('.') && !domain.ends_with('.')
                && !addr.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

slackfuel::export! {
    fn normalize_email(data: TriggerData) -> Result<TriggerResult, String> {
        let column = data.args.first().copied().unwrap_or("email");
        let row = match data.new {
            Some(row) => row,
            None => return Ok(TriggerResult::Keep), // DELETE, or statement level
        };
        let addr = match string_field(row, column)? {
            Some(addr) => addr.trim().to_lowercase(),
            None => return Ok(TriggerResult::Keep), // NULL (or not a string)
        };
        if !plausible(&addr) {
            return Ok(TriggerResult::Skip);
        }
        Ok(TriggerResult::Row(format!("{{{}: {}}}", json_quote(column), json_quote(&addr))))
    }
}
