//! How secrets are described instead of shown: a kind, a length and a short SHA-256
//! fingerprint, and display lines with their secret byte ranges replaced and their control
//! characters escaped.

use std::ops::Range;

use crate::pki::fingerprint;

/// The text that replaces a secret inside a displayed source line.
pub const REDACTED: &str = "<redacted>";

/// Describes a secret string without revealing it: `17 bytes, sha256:0a1b2c3d4e5f`.
pub fn describe_secret(bytes: &[u8]) -> String {
    let unit = if bytes.len() == 1 { "byte" } else { "bytes" };
    format!("{} {unit}, {}", bytes.len(), fingerprint(bytes))
}

/// One display line with its secret ranges replaced by [`REDACTED`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaskedLine {
    /// The displayed text, without the line break.
    pub text: String,
    /// For each byte offset of the original line (and one past the end), the displayed
    /// 0-based character column; bytes inside a secret map to the start of its mask.
    columns: Vec<usize>,
}

impl MaskedLine {
    /// Masks `line` (which starts at byte `line_start` of its source) with `redactions`
    /// (byte ranges of the whole source, sorted by start) and escapes its control characters.
    pub fn new(line: &str, line_start: usize, redactions: &[Range<usize>]) -> Self {
        // The ranges are sorted by start: walk them alongside the line, so masking costs the
        // line's length plus the number of ranges.
        let mut next = 0;
        let mut secret = |byte: usize| {
            let at = line_start + byte;
            while next < redactions.len() && redactions[next].end <= at {
                next += 1;
            }
            redactions[next..]
                .iter()
                .take_while(|r| r.start <= at)
                .any(|r| at < r.end)
        };
        let mut text = String::new();
        let mut columns = Vec::with_capacity(line.len() + 1);
        let mut col = 0;
        let mut in_mask = false;
        for (i, ch) in line.char_indices() {
            if secret(i) {
                if !in_mask {
                    text.push_str(REDACTED);
                    in_mask = true;
                    col += REDACTED.len();
                }
                columns.extend(std::iter::repeat_n(col - REDACTED.len(), ch.len_utf8()));
            } else {
                in_mask = false;
                columns.extend(std::iter::repeat_n(col, ch.len_utf8()));
                if super::is_control(ch) {
                    let escaped = super::escape_char(ch);
                    col += escaped.len();
                    text.push_str(&escaped);
                } else {
                    text.push(ch);
                    col += 1;
                }
            }
        }
        columns.push(col);
        MaskedLine { text, columns }
    }

    /// The displayed 0-based character column of byte offset `byte` of the original line.
    pub fn column(&self, byte: usize) -> usize {
        self.columns
            .get(byte)
            .or(self.columns.last())
            .copied()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_the_secret_and_keeps_columns_before_it() {
        let src = "a: 1\nsecretKey: abcdefghijklmnopq # comment\n";
        let line_start = 5;
        let line = "secretKey: abcdefghijklmnopq # comment";
        let secret = 16..33;
        let m = MaskedLine::new(line, line_start, &[secret]);
        assert_eq!(m.text, "secretKey: <redacted> # comment");
        assert!(!m.text.contains("abcdefghijklmnopq"));
        assert_eq!(m.column(0), 0);
        assert_eq!(m.column(11), 11);
        assert_eq!(m.column(20), 11);
        assert_eq!(m.column(29), 22);
        let _ = src;
    }

    #[test]
    fn a_range_that_spans_lines_masks_the_rest_of_each_line() {
        let line = "tokenKey: |";
        let m = MaskedLine::new(line, 100, std::slice::from_ref(&(110..300)));
        assert_eq!(m.text, "tokenKey: <redacted>");
        let m = MaskedLine::new("    MIIEow", 120, std::slice::from_ref(&(110..300)));
        assert_eq!(m.text, "<redacted>");
    }

    #[test]
    fn control_characters_are_escaped_and_columns_follow() {
        let m = MaskedLine::new("a\x1b[31mb: x", 0, &[]);
        assert_eq!(m.text, "a\\u001b[31mb: x");
        assert_eq!(m.column(2), 7);
    }

    #[test]
    fn describe_never_contains_the_secret() {
        let d = describe_secret(b"not-a-secure-key");
        assert!(d.starts_with("16 bytes, sha256:"));
        assert!(!d.contains("not-a-secure-key"));
    }
}
