//! Which bytes are secret, and the one way text leaves the tool.
//!
//! This module owns the decision of what must never be shown: secret ranges of values trees
//! (by the credential catalogue, by key name, by value shape — see [`values`]), of free text
//! and log lines ([`line`]), and the description that replaces a secret ([`describe_secret`]).
//! Every output goes through [`clean_output`] (stdout of every command) or [`clean_message`]
//! (error messages and their causes): both escape terminal control characters, and a message
//! is also masked by the line rule, since errors may quote input.
//!
//! Renderers ask [`crate::values::Sources`] for the ranges this module marked there and show
//! lines through [`MaskedLine`]; the keys commands mask their diffs with [`values`]' rules.

pub mod line;
mod mask;
pub mod values;

use std::borrow::Cow;

pub use line::{is_secret_key, mask_line, secret_ranges};
pub use mask::{describe_secret, MaskedLine, REDACTED};

/// Whether a character is a terminal control character: C0 (but line feed and tab), DEL, C1.
pub fn is_control(ch: char) -> bool {
    (ch.is_control() && ch != '\n' && ch != '\t') || matches!(ch, '\u{2028}' | '\u{2029}')
}

/// The printable form of a control character: `\u001b`, as JSON writes it.
pub(crate) fn escape_char(ch: char) -> String {
    format!("\\u{:04x}", u32::from(ch))
}

/// `text` with every control character ([`is_control`]) escaped, line feeds and tabs kept.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for ch in text.chars() {
        if is_control(ch) {
            out.push_str(&escape_char(ch));
        } else {
            out.push(ch);
        }
    }
    Cow::Owned(out)
}

/// A command's output as it may reach a terminal: every control character escaped except the
/// colour sequences (`ESC [ digits ; m`) the text renderer itself writes when colour is on.
/// Input-derived text was escaped by the renderer already ([`escape`], [`MaskedLine`]); this is
/// the last gate that a new output cannot bypass.
pub fn clean_output(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut chars = text.char_indices().peekable();
    while let Some((i, ch)) = chars.next() {
        if ch == '\u{1b}' {
            let sgr = sgr_len(&text[i..]);
            if sgr > 0 {
                out.push_str(&text[i..i + sgr]);
                while chars.peek().is_some_and(|&(j, _)| j < i + sgr) {
                    chars.next();
                }
                continue;
            }
        }
        if is_control(ch) {
            out.push_str(&escape_char(ch));
        } else {
            out.push(ch);
        }
    }
    Cow::Owned(out)
}

/// The length of a colour sequence `ESC [ [0-9;]* m` at the start of `text`, or 0.
fn sgr_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    if !bytes.starts_with(b"\x1b[") {
        return 0;
    }
    let body = bytes[2..]
        .iter()
        .take(16)
        .take_while(|b| b.is_ascii_digit() || **b == b';')
        .count();
    if bytes.get(2 + body) == Some(&b'm') {
        3 + body
    } else {
        0
    }
}

/// An error message (or one cause of it) as printed: each line masked by the line rule
/// ([`secret_ranges`]) and every control character escaped. Errors quote input — a malformed
/// line, a kubeconfig, a plugin's output — so they are treated as input.
pub fn clean_message(text: &str) -> String {
    text.split('\n')
        .map(|l| MaskedLine::new(l, 0, &line::message_secret_ranges(l)).text)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Writes one line on stderr through the same gate as errors ([`clean_message`]): notes and
/// warnings quote inputs too (file names, keys, Secret names, log text).
pub fn print_stderr(text: &str) {
    use std::io::Write as _;
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{}", clean_message(text));
}

/// `eprintln!` through [`print_stderr`]: every note and warning of the commands uses it.
#[macro_export]
macro_rules! note {
    ($($arg:tt)*) => {
        $crate::redact::print_stderr(&format!($($arg)*))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_keeps_newlines_and_tabs() {
        assert_eq!(escape("a\tb\nc"), "a\tb\nc");
        assert_eq!(
            escape("a\x1b]8;;http://x\x07b"),
            "a\\u001b]8;;http://x\\u0007b"
        );
        assert_eq!(escape("c1\u{9b}31m"), "c1\\u009b31m");
        assert_eq!(escape("del\u{7f}"), "del\\u007f");
    }

    #[test]
    fn clean_output_keeps_only_colour_sequences() {
        assert_eq!(
            clean_output("\x1b[1;31merror\x1b[0m"),
            "\x1b[1;31merror\x1b[0m"
        );
        assert_eq!(
            clean_output("\x1b]8;;http://evil\x07x\x1b[2J"),
            "\\u001b]8;;http://evil\\u0007x\\u001b[2J"
        );
        assert_eq!(clean_output("bell\x07"), "bell\\u0007");
    }

    #[test]
    fn clean_message_masks_and_escapes() {
        let m = clean_message("cannot parse line `password: hunter2Hunter2`\n\x1b[31m");
        assert!(!m.contains("hunter2Hunter2"), "{m}");
        assert!(m.contains("\\u001b[31m"), "{m}");
        // Regression: a temporary directory's name looked like a base64 blob.
        let m = clean_message("error: /tmp/.tmpPMA3lt/chart/values.yaml is a FIFO");
        assert!(m.contains("/tmp/.tmpPMA3lt/chart/values.yaml"), "{m}");
        let m = clean_message("error: bad value UTdWMkxtOVhjNFJ0OFd6MQ== in line 3");
        assert!(!m.contains("UTdWMkxtOVhjNFJ0OFd6MQ"), "{m}");
    }
}
