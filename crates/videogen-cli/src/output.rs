//! Printing, once: text that came from a server is escaped before it reaches a terminal, JSON
//! is escaped the same way, and a closed standard output ends printing quietly.

use std::io::Write;

/// The most characters of one message printed; longer ones end with `…`.
pub const MAX_MESSAGE_CHARS: usize = 2000;

/// Whether `c` must not reach a terminal raw: C0 and C1 controls, DEL, and the bidirectional
/// overrides and isolates that can make text read differently from what it is.
fn unsafe_char(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

/// `text` with control characters escaped (`\n`, `\t`, `\u{1b}`…) and cut to
/// [`MAX_MESSAGE_CHARS`]: safe to print, and one line.
pub fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_MESSAGE_CHARS));
    for (i, c) in text.chars().enumerate() {
        if i == MAX_MESSAGE_CHARS {
            out.push('…');
            break;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if unsafe_char(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Serialized JSON with the characters serde_json leaves raw (DEL, C1 controls, bidi
/// controls) escaped as `\uXXXX`: still the same JSON value.
pub fn json_text(value: &serde_json::Value) -> String {
    escape_json(&serde_json::to_string_pretty(value).unwrap_or_default())
}

/// Prints `value` as one line of JSON (a JSON Lines stream such as `batch --events`), escaped
/// as [`json_text`] escapes it.
pub fn json_line(value: &serde_json::Value) {
    out(&escape_json(&serde_json::to_string(value).unwrap_or_default()));
}

fn escape_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if unsafe_char(c) && c != '\n' {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Prints a line on standard output; a closed pipe (`videogen models | head -1`) is not an
/// error and not a panic.
pub fn out(line: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}").and_then(|()| stdout.flush());
}

/// Prints a line on standard error, ignoring a closed stream.
pub fn err(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Prints JSON on standard output (see [`json_text`]).
pub fn json(value: &serde_json::Value) {
    out(&json_text(value));
}

/// What a command prints on standard output: lines of text for people, or one JSON value with
/// `--json` — built once, printed by one call, so no command branches on `--json` itself.
pub struct Report {
    /// The text lines (server text already passed through [`clean`]).
    pub text: Vec<String>,
    /// The JSON value.
    pub json: serde_json::Value,
}

impl Report {
    /// A report of one line of text and its JSON.
    pub fn line(text: impl Into<String>, json: serde_json::Value) -> Self {
        Self { text: vec![text.into()], json }
    }

    /// A report of `text` and a value of the JSON vocabulary ([`crate::vocabulary`]).
    pub fn typed<T: serde::Serialize>(text: Vec<String>, value: &T) -> Self {
        Self { text, json: crate::vocabulary::to_json(value) }
    }

    /// A report that prints nothing (a command that printed as it went).
    pub fn empty() -> Self {
        Self { text: Vec::new(), json: serde_json::Value::Null }
    }

    /// Prints the text or, with `json`, the JSON (nothing for [`Report::empty`]).
    pub fn print(&self, json_output: bool) {
        if json_output {
            if !self.json.is_null() {
                json(&self.json);
            }
        } else {
            for line in &self.text {
                out(line);
            }
        }
    }
}

/// Prints an error on standard error (and as JSON on standard output with --json), with the
/// job handle when there is one, so no paid job is lost to an error.
pub fn print_error(e: &crate::exit::CliError, global: crate::context::Global) {
    if global.json && !e.reported {
        json(&crate::vocabulary::to_json(&crate::vocabulary::ErrorReport::of(e)));
    }
    err(&format!("error: {}", clean(&e.message)));
    for line in &e.details {
        err(&format!("  {}", clean(line)));
    }
    if let Some(job) = &e.job {
        err(&format!("job: {}", clean(&serde_json::to_string(job).unwrap_or_default())));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_text_is_escaped() {
        assert_eq!(clean("a\u{1b}[31mred\nforged: {}"), "a\\u{1b}[31mred\\nforged: {}");
        assert_eq!(clean("\u{9b}2J\u{202e}x"), "\\u{9b}2J\\u{202e}x");
        assert_eq!(clean(&"x".repeat(5000)).chars().count(), MAX_MESSAGE_CHARS + 1);
        let v = serde_json::json!({"m": "a\u{7f}b\u{85}c\u{1b}"});
        let text = json_text(&v);
        assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "{text:?}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), v);
    }
}
