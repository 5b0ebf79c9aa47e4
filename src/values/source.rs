//! The texts findings point into, and the byte ranges that must never be shown.
//!
//! Line and column come from a [`LineIndex`] built once per source on first use, and the secret
//! ranges are kept sorted by source and start, so both lookups cost a binary search however
//! many positions a run asks for.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use super::{LineIndex, Span};

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
    /// The line index of each file, built on first use.
    indexes: Vec<OnceLock<LineIndex>>,
    /// Secret ranges as (source, start, end), so a source's ranges are one sorted run.
    redacted: BTreeSet<(SourceId, usize, usize)>,
    /// The longest secret range of each source: how far before a range a secret may start.
    longest: Vec<usize>,
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
        self.indexes.push(OnceLock::new());
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
        if span.start < span.end {
            self.redacted.insert((span.source, span.start, span.end));
            let i = span.source.0;
            if self.longest.len() <= i {
                self.longest.resize(i + 1, 0);
            }
            self.longest[i] = self.longest[i].max(span.end - span.start);
        }
    }

    /// The secret ranges of one source, sorted by start.
    pub fn redactions(&self, id: SourceId) -> Vec<std::ops::Range<usize>> {
        self.redactions_in(id, 0..usize::MAX)
    }

    /// The secret ranges of one source that overlap `range`, sorted by start: a binary search
    /// and the ranges found, however many the source has.
    pub fn redactions_in(
        &self,
        id: SourceId,
        range: std::ops::Range<usize>,
    ) -> Vec<std::ops::Range<usize>> {
        // Ranges that start before `range` reach into it by at most the longest one.
        let reach = self.longest.get(id.0).copied().unwrap_or(0);
        self.redacted
            .range((id, range.start.saturating_sub(reach), 0)..(id, range.end, 0))
            .filter(|&&(_, s, e)| s < range.end && e > range.start)
            .map(|&(_, s, e)| s..e)
            .collect()
    }

    /// The line index of a source, built on first use.
    ///
    /// # Panics
    /// If the id does not come from this set.
    pub fn line_index(&self, id: SourceId) -> &LineIndex {
        self.indexes[id.0].get_or_init(|| LineIndex::new(&self.files[id.0].text))
    }

    /// The 1-based line and column (in characters) of a byte offset, from the source's line
    /// index (a leading byte order mark is not a column).
    pub fn line_col(&self, id: SourceId, offset: usize) -> (usize, usize) {
        self.line_index(id).line_col(&self.get(id).text, offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> (Sources, SourceId) {
        let mut sources = Sources::new();
        let id = sources.add("t", text, SourceOrigin::ValuesFile);
        (sources, id)
    }

    #[test]
    fn line_col_counts_from_one() {
        let (sources, id) = one("a: 1\nbb: 2\r\nc: é3");
        assert_eq!(sources.line_col(id, 0), (1, 1));
        assert_eq!(sources.line_col(id, 5), (2, 1));
        assert_eq!(sources.line_col(id, 9), (2, 5));
        assert_eq!(
            sources.line_col(id, "a: 1\nbb: 2\r\nc: é3".len() - 1),
            (3, 5)
        );
    }

    #[test]
    fn line_col_skips_a_bom() {
        let (sources, id) = one("\u{feff}a: 1");
        assert_eq!(sources.line_col(id, 3), (1, 1));
        assert_eq!(sources.line_col(id, 6), (1, 4));
    }

    fn span(source: SourceId, start: usize, end: usize) -> Span {
        Span {
            source,
            start,
            end,
            line: 1,
            column: 1,
        }
    }

    #[test]
    fn redactions_are_sorted_deduplicated_and_per_source() {
        let mut sources = Sources::new();
        let a = sources.add("a", "0123456789", SourceOrigin::ValuesFile);
        let b = sources.add("b", "0123456789", SourceOrigin::ValuesFile);
        for (s, e) in [(5, 7), (1, 3), (5, 7), (4, 4)] {
            sources.redact(span(a, s, e));
        }
        sources.redact(span(b, 0, 2));
        assert_eq!(sources.redactions(a), [1..3, 5..7]);
        assert_eq!(sources.redactions(b), vec![(0..2)]);
        assert_eq!(sources.redactions_in(a, 2..5), vec![(1..3)]);
        assert!(sources.redactions_in(a, 3..5).is_empty());
        assert_eq!(sources.redactions_in(a, 6..100), vec![(5..7)]);
    }
}
