//! Line and column of a byte offset, and byte offset of a character index, from an index built
//! once per text: every lookup is a binary search plus a scan of at most [`STRIDE`] bytes, so
//! positions of a whole file cost time linear in its size, even when it is one long line.

/// Bytes between two character-count checkpoints of a non-ASCII text.
const STRIDE: usize = 64;

/// Where the lines of one text start, and (for non-ASCII text) how many characters precede
/// every [`STRIDE`]-th byte. Built in one pass; holds no reference to the text.
#[derive(Debug, Clone, Default)]
pub struct LineIndex {
    /// Byte offset of the start of every line.
    line_starts: Vec<usize>,
    /// `marks[k]` = characters before byte `k * STRIDE`; empty when the text is ASCII.
    marks: Vec<usize>,
    /// The text starts with a UTF-8 byte order mark (not counted as a column).
    bom: bool,
    len: usize,
}

impl LineIndex {
    /// Indexes `text`.
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut line_starts = Vec::with_capacity(bytes.len() / 32 + 1);
        line_starts.push(0);
        line_starts.extend(
            bytes
                .iter()
                .enumerate()
                .filter(|&(_, &b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        let marks = if text.is_ascii() {
            Vec::new()
        } else {
            let mut marks = Vec::with_capacity(bytes.len() / STRIDE + 1);
            let mut chars = 0;
            for chunk in bytes.chunks(STRIDE) {
                marks.push(chars);
                chars += count_chars(chunk);
            }
            marks.push(chars);
            marks
        };
        LineIndex {
            line_starts,
            marks,
            bom: text.starts_with('\u{feff}'),
            len: bytes.len(),
        }
    }

    /// Number of lines (a text without a final line break still has its last line).
    pub fn lines(&self) -> usize {
        self.line_starts.len()
    }

    /// Byte offset of the start of a 1-based line, if the text has it.
    pub fn line_start(&self, line: usize) -> Option<usize> {
        self.line_starts.get(line.checked_sub(1)?).copied()
    }

    /// Characters before byte `offset` of `text` (the text this index was built from).
    fn chars_before(&self, text: &str, offset: usize) -> usize {
        if self.marks.is_empty() {
            return offset;
        }
        let k = offset / STRIDE;
        let from = k * STRIDE;
        self.marks[k] + count_chars(&text.as_bytes()[from..offset])
    }

    /// The 1-based line and column (in characters) of a byte offset of `text`, the text this
    /// index was built from. A byte order mark at the start is not a column, as editors do not
    /// show it.
    pub fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        debug_assert_eq!(text.len(), self.len, "index of another text");
        let offset = offset.min(text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        let mut start = self.line_starts[line - 1];
        if start == 0 && self.bom {
            start = '\u{feff}'.len_utf8().min(offset);
        }
        let column = self.chars_before(text, offset) - self.chars_before(text, start);
        (line, column + 1)
    }

    /// The byte offset of a 0-based character index of `text` (the end of the text past its
    /// last character).
    pub fn byte_of_char(&self, text: &str, char_index: usize) -> usize {
        if self.marks.is_empty() {
            return char_index.min(text.len());
        }
        // The last checkpoint at or before the character, then a scan of at most STRIDE bytes.
        let k = self
            .marks
            .partition_point(|&c| c <= char_index)
            .saturating_sub(1);
        let bytes = text.as_bytes();
        let mut chars = self.marks[k];
        let mut at = (k * STRIDE).min(bytes.len());
        while at < bytes.len() {
            if is_char_start(bytes[at]) {
                if chars == char_index {
                    return at;
                }
                chars += 1;
            }
            at += 1;
        }
        bytes.len()
    }
}

fn is_char_start(b: u8) -> bool {
    // Continuation bytes of UTF-8 are 0b10xx_xxxx.
    b & 0xC0 != 0x80
}

fn count_chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| is_char_start(b)).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition the index must agree with: count from the start of the line.
    fn naive(text: &str, offset: usize) -> (usize, usize) {
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let mut start = before.rfind('\n').map_or(0, |p| p + 1);
        if start == 0 && text.starts_with('\u{feff}') {
            start = 3.min(offset);
        }
        (line, text[start..offset].chars().count() + 1)
    }

    #[test]
    fn agrees_with_counting_from_the_line_start() {
        let texts = [
            "a: 1\nbb: 2\r\nc: é3".to_string(),
            "\u{feff}a: 1\n\u{feff}b".to_string(),
            format!("k: [{}]\nnext: ü\n", "é, x, 😀, ".repeat(40)),
            String::new(),
            "\n\n".to_string(),
        ];
        for text in &texts {
            let index = LineIndex::new(text);
            for (offset, _) in text.char_indices().chain([(text.len(), ' ')]) {
                assert_eq!(
                    index.line_col(text, offset),
                    naive(text, offset),
                    "{text:?} @ {offset}"
                );
            }
            for (i, (offset, _)) in text.char_indices().enumerate() {
                assert_eq!(index.byte_of_char(text, i), offset, "{text:?} char {i}");
            }
            assert_eq!(
                index.byte_of_char(text, text.chars().count()),
                text.len(),
                "{text:?} end"
            );
            assert_eq!(index.byte_of_char(text, usize::MAX), text.len());
        }
    }

    #[test]
    fn lines_and_line_starts() {
        let text = "a\nbb\n";
        let index = LineIndex::new(text);
        assert_eq!(index.lines(), 3);
        assert_eq!(index.line_start(2), Some(2));
        assert_eq!(index.line_start(0), None);
        assert_eq!(index.line_start(4), None);
        assert_eq!(index.line_col(text, 99), (3, 1));
    }
}
