//! Byte ranges of a log line that look like secrets: the line rule of [`crate::redact::line`],
//! which every output shares.

use std::ops::Range;

/// The secret-looking ranges of `line`, sorted and merged.
pub fn secret_ranges(line: &str) -> Vec<Range<usize>> {
    crate::redact::secret_ranges(line)
}

/// `line` with its secret-looking ranges replaced by `<redacted>`.
pub fn mask_line(line: &str) -> String {
    crate::redact::mask_line(line)
}
