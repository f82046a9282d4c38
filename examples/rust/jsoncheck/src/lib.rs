//! JSON validation over text (RFC 8259, as PostgreSQL's json type checks
//! it): whether a document parses, and how deeply it nests.
//!
//!     json_valid(doc text) -> boolean
//!     json_depth(doc text) -> integer      an error when doc is not JSON
//!
//! Once the type mapping passes json and jsonb as their text, the same
//! functions take jsonb (json_depth('{"a": [1]}'::jsonb) = 2).

/// Deeper than this is refused rather than recursed into.
const MAX_DEPTH: usize = 10_000;

struct Parser<'a> {
    s: &'a [u8],
    at: usize,
    depth: usize,
    max_depth: usize,
}

type Parse<T> = Result<T, String>;

impl<'a> Parser<'a> {
    fn fail<T>(&self, what: &str) -> Parse<T> {
        Err(format!("{} at byte {}", what, self.at))
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    fn literal(&mut self, word: &str) -> Parse<()> {
        if self.s[self.at..].starts_with(word.as_bytes()) {
            self.at += word.len();
            Ok(())
        } else {
            self.fail("invalid literal")
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.at;
        while let Some(b'0'..=b'9') = self.peek() {
            self.at += 1;
        }
        self.at - start
    }

    fn number(&mut self) -> Parse<()> {
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.peek() {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return self.fail("invalid number"),
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            if self.digits() == 0 {
                return self.fail("digits expected after the decimal point");
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            if self.digits() == 0 {
                return self.fail("digits expected in the exponent");
            }
        }
        Ok(())
    }

    fn string(&mut self) -> Parse<()> {
        self.at += 1; // the opening quote
        loop {
            match self.peek() {
                None => return self.fail("unterminated string"),
                Some(b'"') => {
                    self.at += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.at += 1;
                    match self.peek() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.at += 1,
                        Some(b'u') => {
                            self.at += 1;
                            for _ in 0..4 {
                                match self.peek() {
                                    Some(c) if c.is_ascii_hexdigit() => self.at += 1,
                                    _ => return self.fail("\\u needs four hexadecimal digits"),
                                }
                            }
                        }
                        _ => return self.fail("invalid escape"),
                    }
                }
                Some(c) if c < 0x20 => return self.fail("unescaped control character"),
                Some(_) => self.at += 1,
            }
        }
    }

    /// A sequence of items between 'open' and 'close', separated by commas.
    fn sequence(&mut self, close: u8, member: bool) -> Parse<()> {
        self.at += 1;
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.fail("nested too deeply");
        }
        self.max_depth = self.max_depth.max(self.depth);
        self.skip_space();
        if self.peek() == Some(close) {
            self.at += 1;
            self.depth -= 1;
            return Ok(());
        }
        loop {
            if member {
                self.skip_space();
                if self.peek() != Some(b'"') {
                    return self.fail("a key (a string) expected");
                }
                self.string()?;
                self.skip_space();
                if self.peek() != Some(b':') {
                    return self.fail("':' expected");
                }
                self.at += 1;
            }
            self.value()?;
            self.skip_space();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(c) if c == close => {
                    self.at += 1;
                    self.depth -= 1;
                    return Ok(());
                }
                _ => return self.fail("',' or the end of the array or object expected"),
            }
        }
    }

    fn value(&mut self) -> Parse<()> {
        self.skip_space();
        match self.peek() {
            Some(b'{') => self.sequence(b'}', true),
            Some(b'[') => self.sequence(b']', false),
            Some(b'"') => self.string(),
            Some(b't') => self.literal("true"),
            Some(b'f') => self.literal("false"),
            Some(b'n') => self.literal("null"),
            Some(b'-' | b'0'..=b'9') => self.number(),
            None => self.fail("a value expected"),
            Some(_) => self.fail("unexpected character"),
        }
    }
}

/// The nesting depth of a JSON document: 0 for a scalar.
fn parse(doc: &str) -> Parse<usize> {
    let mut p = Parser { s: doc.as_bytes(), at: 0, depth: 0, max_depth: 0 };
    p.value()?;
    p.skip_space();
    if p.at != doc.len() {
        return p.fail("text after the JSON value");
    }
    Ok(p.max_depth)
}

slackfuel::export! {
    fn json_valid(doc: &str) -> bool {
        parse(doc).is_ok()
    }

    fn json_depth(doc: &str) -> Result<i32, String> {
        parse(doc).map(|d| d as i32).map_err(|e| format!("not JSON: {}", e))
    }
}
