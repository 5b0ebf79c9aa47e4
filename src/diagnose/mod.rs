//! Harbor log diagnosis: reads log text (saved with `kubectl logs`, or read from the pod log API
//! by `commands/diagnose`), takes every line apart ([`line`]), matches the signature table
//! ([`signatures`]) and keeps the hits with their pod, time and place in the source, so that the
//! `log-*` rules in `checks/` can turn them into findings.
//!
//! Nothing here reads files or the cluster: the caller adds each log text to [`Sources`] and
//! hands over its id. Every line that produced a hit gets its secret-looking ranges
//! ([`secrets`]) marked as redacted in [`Sources`], so renderers never show them; example lines
//! put into notes are masked the same way.

pub mod duration;
pub mod line;
pub mod secrets;
pub mod signatures;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use time::OffsetDateTime;

use crate::report::mask::MaskedLine;
use crate::report::{Finding, Origin, Severity};
use crate::values::{SourceId, Sources, Span};

pub use signatures::{Kind, Signature, SIGNATURES};

/// Where the lines of one source come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamOrigin {
    /// A file saved with `kubectl logs`; lines may carry `[pod/NAME/CONTAINER] ` prefixes.
    File,
    /// One container's log read from the API.
    Container {
        /// The pod.
        pod: String,
        /// The container.
        container: String,
        /// The previous (terminated) instance of the container.
        previous: bool,
    },
}

/// One pod container's lines within one source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stream {
    /// The source the lines are in.
    pub source: SourceId,
    /// The pod, when known.
    pub pod: Option<String>,
    /// The container, when known.
    pub container: Option<String>,
    /// The previous instance of a restarted container.
    pub previous: bool,
}

impl Stream {
    /// `harbor-core-7d9c (core, previous instance)`, or `None` when the pod is unknown.
    pub fn label(&self) -> Option<String> {
        let pod = self.pod.as_ref()?;
        let mut label = pod.clone();
        match (&self.container, self.previous) {
            (Some(c), true) => {
                let _ = write!(label, " ({c}, previous instance)");
            }
            (Some(c), false) => {
                let _ = write!(label, " ({c})");
            }
            (None, true) => label.push_str(" (previous instance)"),
            (None, false) => {}
        }
        Some(label)
    }
}

/// One line that shows a signature.
#[derive(Debug, Clone)]
pub struct Hit {
    /// The signature.
    pub signature: &'static Signature,
    /// Index into [`LogScan::streams`].
    pub stream: usize,
    /// The matched text in its source.
    pub span: Span,
    /// Byte range of the whole line in its source.
    pub line: std::ops::Range<usize>,
    /// When the line was written (its own timestamp, else the last one of its stream).
    pub time: Option<OffsetDateTime>,
    /// The duration, key size or PEM type the rule needs.
    pub detail: Option<String>,
}

/// Which lines to look at.
#[derive(Debug, Clone, Copy, Default)]
pub struct Filter {
    /// Drop lines written before this time (lines without a time are kept).
    pub since: Option<OffsetDateTime>,
    /// Keep only the last lines of each stream.
    pub tail: Option<usize>,
}

/// Everything the scan found.
#[derive(Debug, Clone, Default)]
pub struct LogScan {
    /// Every stream seen.
    pub streams: Vec<Stream>,
    /// Every hit, in input order.
    pub hits: Vec<Hit>,
    /// Lines looked at (after `--since` and `--tail`).
    pub lines: usize,
    /// Lines `--since` left out, and the newest time among them.
    pub before_since: usize,
    /// The newest time of a line `--since` left out.
    pub newest_before_since: Option<OffsetDateTime>,
}

struct LineRecord {
    start: usize,
    end: usize,
    number: usize,
    stream: usize,
    time: Option<OffsetDateTime>,
}

impl LogScan {
    /// An empty scan.
    pub fn new() -> Self {
        Self::default()
    }

    fn stream_index(&mut self, stream: Stream) -> usize {
        if let Some(i) = self.streams.iter().position(|s| *s == stream) {
            return i;
        }
        self.streams.push(stream);
        self.streams.len() - 1
    }

    /// Scans the source `id` and marks the secret-looking ranges of every matching line.
    pub fn scan(
        &mut self,
        sources: &mut Sources,
        id: SourceId,
        origin: &StreamOrigin,
        filter: Filter,
    ) {
        let text = sources.get(id).text.clone();
        let mut records = Vec::new();
        let mut last_time: BTreeMap<usize, OffsetDateTime> = BTreeMap::new();
        let mut start = 0;
        for (index, raw) in text.split_inclusive('\n').enumerate() {
            let end = start + raw.trim_end_matches(['\n', '\r']).len();
            let line = &text[start..end];
            let head = line::parse_head(line);
            let stream = match origin {
                StreamOrigin::File => Stream {
                    source: id,
                    pod: head.pod.map(str::to_string),
                    container: head.container.map(str::to_string),
                    previous: false,
                },
                StreamOrigin::Container {
                    pod,
                    container,
                    previous,
                } => Stream {
                    source: id,
                    pod: Some(pod.clone()),
                    container: Some(container.clone()),
                    previous: *previous,
                },
            };
            let stream = self.stream_index(stream);
            // A line without a time (the second line of a two-line message) inherits the
            // time of the line before it in the same stream.
            let time = head.time.or_else(|| last_time.get(&stream).copied());
            if let Some(t) = head.time {
                last_time.insert(stream, t);
            }
            if !line.trim().is_empty() {
                records.push(LineRecord {
                    start,
                    end,
                    number: index + 1,
                    stream,
                    time,
                });
            }
            start += raw.len();
        }
        let mut remaining: BTreeMap<usize, usize> = BTreeMap::new();
        for r in &records {
            *remaining.entry(r.stream).or_default() += 1;
        }
        for r in records {
            let left = remaining.get_mut(&r.stream).map_or(0, |n| {
                *n -= 1;
                *n
            });
            if filter.tail.is_some_and(|tail| left >= tail) {
                continue;
            }
            if let (Some(since), Some(t)) = (filter.since, r.time) {
                if t < since {
                    self.before_since += 1;
                    self.newest_before_since = self.newest_before_since.max(Some(t));
                    continue;
                }
            }
            self.lines += 1;
            let line = &text[r.start..r.end];
            let Some((signature, range)) = signatures::match_line(line) else {
                continue;
            };
            let column = line[..range.start].chars().count() + 1;
            let detail = signatures::detail(signature.kind, &line[range.end..]);
            for secret in secrets::secret_ranges(line) {
                let (l, c) = sources.line_col(id, r.start + secret.start);
                sources.redact(Span {
                    source: id,
                    start: r.start + secret.start,
                    end: r.start + secret.end,
                    line: l,
                    column: c,
                });
            }
            self.hits.push(Hit {
                signature,
                stream: r.stream,
                span: Span {
                    source: id,
                    start: r.start + range.start,
                    end: r.start + range.end,
                    line: r.number,
                    column,
                },
                line: r.start..r.end,
                time: r.time,
                detail,
            });
        }
    }

    /// The hits of one rule, in input order.
    pub fn hits_of(&self, rule: &str) -> Vec<&Hit> {
        self.hits
            .iter()
            .filter(|h| h.signature.rule == rule)
            .collect()
    }

    /// The distinct pod labels of `hits`, sorted.
    pub fn pods(&self, hits: &[&Hit]) -> Vec<String> {
        let mut pods: Vec<String> = hits
            .iter()
            .filter_map(|h| self.streams.get(h.stream).and_then(Stream::label))
            .collect();
        pods.sort();
        pods.dedup();
        pods
    }

    /// Whether the scan holds a hit of this rule.
    pub fn has(&self, rule: &str) -> bool {
        self.hits.iter().any(|h| h.signature.rule == rule)
    }
}

/// Example lines shown per finding.
const EXAMPLES: usize = 3;
/// Example lines are cut after this many characters.
const EXAMPLE_WIDTH: usize = 320;

/// A finding about a group of hits: located at the first, with the count, the time range, the
/// pods, the wordings seen and a few masked example lines as notes. The rule adds the cause,
/// the cross-checks and the help.
pub fn finding(
    rule: &'static str,
    severity: Severity,
    message: impl Into<String>,
    hits: &[&Hit],
    scan: &LogScan,
    sources: &Sources,
) -> Finding {
    let mut finding = Finding::new(rule, severity, message)
        .from_object(Origin::Logs, None)
        .at(hits.first().map(|h| h.span));
    let times: Vec<OffsetDateTime> = hits.iter().filter_map(|h| h.time).collect();
    let count = hits.len();
    let lines = if count == 1 { "line" } else { "lines" };
    finding = match (times.iter().min(), times.iter().max()) {
        (Some(first), Some(last)) if first == last => finding.note(format!(
            "{count} matching {lines}, at {}",
            line::format_time(*first)
        )),
        (Some(first), Some(last)) => finding.note(format!(
            "{count} matching {lines}, first at {}, last at {}",
            line::format_time(*first),
            line::format_time(*last)
        )),
        _ => finding.note(format!("{count} matching {lines}, without timestamps")),
    };
    let pods = scan.pods(hits);
    finding = if pods.is_empty() {
        let mut files: Vec<&str> = hits
            .iter()
            .map(|h| sources.get(h.span.source).name.as_str())
            .collect();
        files.sort_unstable();
        files.dedup();
        finding.note(format!(
            "logged in {}; the pods are not recorded (save logs with `kubectl logs --prefix` to see which pod logged what)",
            files.join(", ")
        ))
    } else {
        finding.note(format!("logged by {}", pods.join(", ")))
    };
    let mut wordings: Vec<(&'static Signature, usize)> = Vec::new();
    for h in hits {
        match wordings
            .iter_mut()
            .find(|(s, _)| std::ptr::eq(*s, h.signature))
        {
            Some((_, n)) => *n += 1,
            None => wordings.push((h.signature, 1)),
        }
    }
    for (sig, n) in wordings {
        finding = finding.note(format!(
            "`{}` ({n}×): {}",
            sig.needles.first().copied().unwrap_or_default(),
            sig.wording
        ));
    }
    for h in examples(hits) {
        finding = finding.note(format!("e.g. {}", example(h, sources)));
    }
    finding
}

/// Up to [`EXAMPLES`] hits: one per wording first, then the last one.
fn examples<'a>(hits: &[&'a Hit]) -> Vec<&'a Hit> {
    let mut picked: Vec<&Hit> = Vec::new();
    for h in hits {
        if picked.len() < EXAMPLES
            && !picked
                .iter()
                .any(|p| std::ptr::eq(p.signature, h.signature))
        {
            picked.push(h);
        }
    }
    if let Some(last) = hits.last() {
        if picked.len() < EXAMPLES && !picked.iter().any(|p| std::ptr::eq(*p, *last)) {
            picked.push(last);
        }
    }
    picked
}

/// `file:line: text` with the secret-looking ranges masked and long lines cut.
pub fn example(hit: &Hit, sources: &Sources) -> String {
    let source = sources.get(hit.span.source);
    let text = source.text.get(hit.line.clone()).unwrap_or_default();
    let masked = MaskedLine::new(text, hit.line.start, &sources.redactions(hit.span.source)).text;
    let shown: String = if masked.chars().count() > EXAMPLE_WIDTH {
        let cut: String = masked.chars().take(EXAMPLE_WIDTH).collect();
        format!("{cut}…")
    } else {
        masked
    };
    format!(
        "{}:{}: {}",
        source.name,
        hit.span.line,
        shown.replace('\t', " ")
    )
}

/// How long ago a token expired, judged by golang-jwt v4's `expired by D`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExpiryClass {
    /// Under a minute: the verifier's clock runs ahead of the issuer's.
    Seconds,
    /// A minute to three hours: an operation (a long push) outlived the token's lifetime.
    Minutes,
    /// Three hours or more: a robot account or client credential that has expired.
    Hours,
    /// No duration: golang-jwt v5 (Harbor ≥ 2.11) does not print it.
    Unknown,
}

/// Classifies a `token is expired by` duration.
pub fn classify_expiry(detail: Option<&str>) -> ExpiryClass {
    match detail.and_then(duration::parse_go_duration) {
        Some(s) if s < 60.0 => ExpiryClass::Seconds,
        Some(s) if s < 3.0 * 3600.0 => ExpiryClass::Minutes,
        Some(_) => ExpiryClass::Hours,
        None => ExpiryClass::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::SourceOrigin;

    fn scan(text: &str, filter: Filter) -> (LogScan, Sources) {
        let mut sources = Sources::new();
        let id = sources.add("core.log", text, SourceOrigin::LogFile);
        let mut scan = LogScan::new();
        scan.scan(&mut sources, id, &StreamOrigin::File, filter);
        (scan, sources)
    }

    #[test]
    fn hits_point_at_file_line_and_column() {
        let (scan, sources) = scan(
            "2024-06-03T08:00:00Z [INFO] [/core/main.go:1]: hello\n2024-06-03T08:00:01Z [ERROR] [/pkg/token/token.go:82]: parse token error, crypto/rsa: verification error\n",
            Filter::default(),
        );
        assert_eq!(scan.lines, 2);
        assert_eq!(scan.hits.len(), 1);
        let h = &scan.hits[0];
        assert_eq!(h.span.line, 2);
        assert_eq!(h.signature.kind, Kind::Signature);
        let shown = &sources.get(h.span.source).text[h.span.start..h.span.end];
        assert_eq!(shown, "crypto/rsa: verification error");
    }

    #[test]
    fn prefixes_split_streams_and_tail_applies_per_stream() {
        let text = "[pod/a/core] 2024-06-03T08:00:00Z x token is not valid yet\n\
                    [pod/b/core] 2024-06-03T08:00:00Z x token is not valid yet\n\
                    [pod/a/core] 2024-06-03T08:00:01Z x ok\n";
        let (s, _) = scan(
            text,
            Filter {
                tail: Some(1),
                ..Filter::default()
            },
        );
        // Pod a's last line is not a hit; pod b's only line is.
        assert_eq!(s.hits.len(), 1);
        assert_eq!(s.pods(&s.hits.iter().collect::<Vec<_>>()), vec!["b (core)"]);
    }

    #[test]
    fn since_drops_older_lines_and_continuation_lines_inherit_the_time() {
        let text = "2024-06-03T08:00:00Z [ERROR] token is not valid yet\n\
                    2024-06-03T09:00:00Z [ERROR] oauth2: cannot fetch token: 400 Bad Request\n\
                    Response: {\"error\":\"invalid_grant\",\"error_description\":\"Offline user session not found\"}\n";
        let since = OffsetDateTime::parse(
            "2024-06-03T08:30:00Z",
            &time::format_description::well_known::Rfc3339,
        )
        .ok();
        let (s, _) = scan(text, Filter { since, tail: None });
        assert_eq!(s.hits.len(), 1);
        assert_eq!(s.hits[0].signature.kind, Kind::OfflineSessionLong);
        assert_eq!(s.hits[0].span.line, 3);
        assert!(s.hits[0].time.is_some());
    }

    #[test]
    fn examples_are_masked() {
        let (s, sources) = scan(
            "2024-06-03T08:00:00Z [WARNING] [/server/middleware/csrf/csrf.go:64]: Invalid CSRF key from environment: sh0rtKeyValue, generating random key...\n",
            Filter::default(),
        );
        let e = example(&s.hits[0], &sources);
        assert!(!e.contains("sh0rtKeyValue"), "{e}");
        assert!(e.starts_with("core.log:1: "), "{e}");
    }

    #[test]
    fn expiry_classes() {
        assert_eq!(classify_expiry(Some("3s")), ExpiryClass::Seconds);
        assert_eq!(classify_expiry(Some("25m6s")), ExpiryClass::Minutes);
        assert_eq!(classify_expiry(Some("309h12m44s")), ExpiryClass::Hours);
        assert_eq!(classify_expiry(None), ExpiryClass::Unknown);
    }
}
