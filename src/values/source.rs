//! The texts findings point into, and the byte ranges that must never be shown.

use super::Span;

/// Index of a source in [`Sources`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceId(pub usize);

/// Where a source came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceOrigin {
    /// A values file named on the command line.
    ValuesFile,
    /// A Secret manifest given with `--secret`.
    SecretFile,
    /// Standard input (`-`).
    Stdin,
    /// The text of one `--set`/`--set-string`/`--set-file` argument.
    Flag,
    /// An object read from the cluster, written out as YAML under a virtual name such as
    /// `cluster://harbor/secret/harbor-core` or `helm://harbor/harbor/values`.
    Cluster,
    /// A log file given to `diagnose --logs` (or log text read from the cluster is
    /// [`SourceOrigin::Cluster`]).
    LogFile,
}

/// One input text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The name shown to the user: the path as given, `<stdin>` or `--set`.
    pub name: String,
    /// The whole text (a BOM, if any, is kept so that byte offsets match the file).
    pub text: String,
    /// What kind of input it is.
    pub origin: SourceOrigin,
}

/// Every source of one run, plus the ranges inside them that hold secrets.
#[derive(Debug, Default, Clone)]
pub struct Sources {
    files: Vec<SourceFile>,
    redacted: Vec<Span>,
}

impl Sources {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a source and returns its id.
    pub fn add(
        &mut self,
        name: impl Into<String>,
        text: impl Into<String>,
        origin: SourceOrigin,
    ) -> SourceId {
        self.files.push(SourceFile {
            name: name.into(),
            text: text.into(),
            origin,
        });
        SourceId(self.files.len() - 1)
    }

    /// The source with this id.
    ///
    /// # Panics
    /// If the id does not come from this set.
    pub fn get(&self, id: SourceId) -> &SourceFile {
        &self.files[id.0]
    }

    /// All sources in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = (SourceId, &SourceFile)> {
        self.files.iter().enumerate().map(|(i, f)| (SourceId(i), f))
    }

    /// Marks a byte range as secret: renderers never print it.
    pub fn redact(&mut self, span: Span) {
        if span.start < span.end && !self.redacted.contains(&span) {
            self.redacted.push(span);
        }
    }

    /// The secret ranges of one source, sorted by start.
    pub fn redactions(&self, id: SourceId) -> Vec<std::ops::Range<usize>> {
        let mut ranges: Vec<_> = self
            .redacted
            .iter()
            .filter(|s| s.source == id)
            .map(|s| s.start..s.end)
            .collect();
        ranges.sort_by_key(|r| (r.start, r.end));
        ranges
    }

    /// The 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, id: SourceId, offset: usize) -> (usize, usize) {
        line_col(&self.get(id).text, offset)
    }
}

/// The 1-based line and column (in characters) of a byte offset in `text`.
///
/// A UTF-8 byte order mark at the start of the text is not counted as a column, as editors do
/// not show it.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    // One more piece than there are line breaks: the 1-based line number.
    let line = before.split(|&b| b == b'\n').count();
    let mut line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    if line_start == 0 && text.starts_with('\u{feff}') {
        line_start = '\u{feff}'.len_utf8().min(offset);
    }
    let column = text
        .get(line_start..offset)
        .map_or(offset - line_start, |s| s.chars().count())
        + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        let text = "a: 1\nbb: 2\r\nc: é3";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 5), (2, 1));
        assert_eq!(line_col(text, 9), (2, 5));
        assert_eq!(line_col(text, text.len() - 1), (3, 5));
    }

    #[test]
    fn line_col_skips_a_bom() {
        let text = "\u{feff}a: 1";
        assert_eq!(line_col(text, 3), (1, 1));
        assert_eq!(line_col(text, 6), (1, 4));
    }
}
