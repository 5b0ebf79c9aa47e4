//! Harbor log diagnosis: reads log text (saved with `kubectl logs`, or read from the pod log API
//! by `commands/diagnose`, and the Warning events it reads, one line per event), takes every
//! line apart ([`line`]), matches the signature table ([`signatures`]) and keeps the hits with
//! their pod (or event object), time and place in the source, so that the `log-*` and `event-*`
//! rules in `checks/` can turn them into findings.
//!
//! Nothing here reads files or the cluster: the caller adds each log text to [`Sources`] and
//! hands over its id. Every line that produced a hit gets its secret-looking ranges
//! ([`secrets`]) marked as redacted in [`Sources`], so renderers never show them; example lines
//! put into notes are masked the same way.

pub mod duration;
pub mod line;
pub mod secrets;
pub mod signatures;

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::io::BufRead;

use time::OffsetDateTime;

use crate::input::{LineInfo, LineReader, LOG_LINE_LIMIT};
use crate::report::mask::MaskedLine;
use crate::report::{Finding, Origin, Severity};
use crate::values::{SourceId, SourceOrigin, Sources, Span};

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
    /// The Warning events of one object read from the API, one line per event.
    Events {
        /// `pod/harbor-registry-5b4c8f9d8-x2x7k`, `persistentvolumeclaim/data-harbor-redis-0`.
        object: String,
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
    /// Lines looked at that were longer than [`LOG_LINE_LIMIT`] and were cut to it.
    pub truncated: usize,
    /// Streams from this index on belong to the source being scanned (their source is not
    /// known yet); the ones before it are finished and never match a new line.
    first_pending: usize,
}

/// A line that `--since` and `--tail` may still leave out: whether it is older than `--since`,
/// its time, and what it matched.
struct Seen {
    number: usize,
    stream: usize,
    time: Option<OffsetDateTime>,
    truncated: bool,
    hit: Option<PendingHit>,
}

/// A hit whose line is held until it is kept: its text (at most [`LOG_LINE_LIMIT`] bytes) and
/// the line-relative ranges of the match and of its secrets.
struct PendingHit {
    signature: &'static Signature,
    text: String,
    range: std::ops::Range<usize>,
    column: usize,
    detail: Option<String>,
}

/// The scan of one source, fed one line at a time (by [`LogScan::scan_reader`] from a file or
/// standard input, by the command from a pod log stream), then [`SourceScanner::finish`]ed.
///
/// Memory does not grow with the source: a line is looked at and dropped, unless it shows a
/// signature; then its text (cut at [`LOG_LINE_LIMIT`]) is kept for the report, with its secret
/// ranges marked. With `--tail N` the last `N` lines of each stream wait in a queue until the end
/// tells which are the last. Line numbers are counted as the lines go by.
pub struct SourceScanner {
    origin: StreamOrigin,
    filter: Filter,
    /// Index into [`LogScan::streams`] of the streams seen so far, with their last time; the
    /// last stream first looked up (consecutive lines nearly always share their stream).
    last_time: Vec<(usize, Option<OffsetDateTime>)>,
    last_stream: Option<(Option<String>, Option<String>, usize)>,
    /// With `--tail`: the last lines of each stream, by position in `last_time`.
    queues: Vec<VecDeque<Seen>>,
    /// The kept text: each matching line followed by `\n`.
    kept: String,
    hits: Vec<Hit>,
    secrets: Vec<(std::ops::Range<usize>, usize)>,
}

/// Stands for the source until it is added to [`Sources`] at the end of its scan.
const PENDING_SOURCE: SourceId = SourceId(usize::MAX);

impl SourceScanner {
    /// A scan of lines from `origin`, with `filter` applied to each line.
    pub fn new(origin: &StreamOrigin, filter: Filter) -> Self {
        SourceScanner {
            origin: origin.clone(),
            filter,
            last_time: Vec::new(),
            last_stream: None,
            queues: Vec::new(),
            kept: String::new(),
            hits: Vec::new(),
            secrets: Vec::new(),
        }
    }

    /// The position in `last_time` of the stream of a line.
    fn stream_slot(&mut self, scan: &mut LogScan, head: &line::LineHead<'_>) -> usize {
        let (pod, container) = match &self.origin {
            StreamOrigin::File => (head.pod, head.container),
            StreamOrigin::Container { .. } | StreamOrigin::Events { .. } => (None, None),
        };
        if let Some((p, c, slot)) = &self.last_stream {
            if pod == p.as_deref() && container == c.as_deref() {
                return *slot;
            }
        }
        let stream = match &self.origin {
            StreamOrigin::File => Stream {
                source: PENDING_SOURCE,
                pod: pod.map(str::to_string),
                container: container.map(str::to_string),
                previous: false,
            },
            StreamOrigin::Container {
                pod,
                container,
                previous,
            } => Stream {
                source: PENDING_SOURCE,
                pod: Some(pod.clone()),
                container: Some(container.clone()),
                previous: *previous,
            },
            StreamOrigin::Events { object } => Stream {
                source: PENDING_SOURCE,
                pod: Some(object.clone()),
                container: Some("events".to_string()),
                previous: false,
            },
        };
        let index = scan.stream_index(stream);
        let slot = if let Some(slot) = self.last_time.iter().position(|(i, _)| *i == index) {
            slot
        } else {
            self.last_time.push((index, None));
            self.queues.push(VecDeque::new());
            self.last_time.len() - 1
        };
        self.last_stream = Some((pod.map(str::to_string), container.map(str::to_string), slot));
        slot
    }

    /// Looks at one line (`bytes`, without its line break, at most the line cap).
    pub fn line(&mut self, scan: &mut LogScan, bytes: &[u8], info: LineInfo) {
        // Logs may hold stray binary bytes; they cannot hide a signature, so replace them.
        let line = String::from_utf8_lossy(bytes);
        if line.trim().is_empty() {
            return;
        }
        let head = line::parse_head(&line);
        let slot = self.stream_slot(scan, &head);
        // A line without a time (the second line of a two-line message) inherits the time of
        // the line before it in the same stream.
        let time = head.time.or(self.last_time[slot].1);
        if head.time.is_some() {
            self.last_time[slot].1 = head.time;
        }
        let older = matches!((self.filter.since, time), (Some(since), Some(t)) if t < since);
        let hit = if older {
            None
        } else {
            signatures::match_line(&line).map(|(signature, range)| PendingHit {
                signature,
                column: line[..range.start].chars().count() + 1,
                detail: signatures::detail_of(signature.kind, &line, range.clone()),
                text: line.clone().into_owned(),
                range,
            })
        };
        let seen = Seen {
            number: usize::try_from(info.number).unwrap_or(usize::MAX),
            stream: self.last_time[slot].0,
            time,
            truncated: info.truncated,
            hit,
        };
        match self.filter.tail {
            Some(tail) => {
                let queue = &mut self.queues[slot];
                if queue.len() == tail {
                    queue.pop_front();
                }
                if tail > 0 {
                    queue.push_back(seen);
                }
            }
            None => self.keep(scan, seen),
        }
    }

    /// Counts a line that `--tail` keeps, and keeps its hit.
    fn keep(&mut self, scan: &mut LogScan, seen: Seen) {
        if let (Some(since), Some(t)) = (self.filter.since, seen.time) {
            if t < since {
                scan.before_since += 1;
                scan.newest_before_since = scan.newest_before_since.max(Some(t));
                return;
            }
        }
        scan.lines += 1;
        scan.truncated += usize::from(seen.truncated);
        let Some(hit) = seen.hit else {
            return;
        };
        let start = self.kept.len();
        self.kept.push_str(&hit.text);
        self.kept.push('\n');
        for secret in secrets::secret_ranges(&hit.text) {
            self.secrets
                .push((start + secret.start..start + secret.end, seen.number));
        }
        self.hits.push(Hit {
            signature: hit.signature,
            stream: seen.stream,
            span: Span {
                source: PENDING_SOURCE,
                start: start + hit.range.start,
                end: start + hit.range.end,
                line: seen.number,
                column: hit.column,
            },
            line: start..start + hit.text.len(),
            time: seen.time,
            detail: hit.detail,
        });
    }

    /// Ends the scan: applies `--tail`, adds the kept lines to `sources` as the source `name`
    /// (its text is the matching lines only; spans carry the lines' numbers in the log) with
    /// their secret ranges redacted, and hands the hits to `scan`.
    pub fn finish(
        mut self,
        scan: &mut LogScan,
        sources: &mut Sources,
        name: &str,
        source_origin: SourceOrigin,
    ) -> SourceId {
        if self.filter.tail.is_some() {
            let mut waiting: Vec<Seen> = std::mem::take(&mut self.queues)
                .into_iter()
                .flatten()
                .collect();
            waiting.sort_by_key(|s| s.number);
            for seen in waiting {
                self.keep(scan, seen);
            }
        }
        let id = sources.add(name, std::mem::take(&mut self.kept), source_origin);
        for (range, number) in self.secrets {
            sources.redact(Span {
                source: id,
                start: range.start,
                end: range.end,
                line: number,
                column: 1,
            });
        }
        let first = scan.first_pending;
        for stream in &mut scan.streams[first..] {
            stream.source = id;
        }
        scan.first_pending = scan.streams.len();
        for mut hit in self.hits {
            hit.span.source = id;
            scan.hits.push(hit);
        }
        id
    }
}

impl LogScan {
    /// An empty scan.
    pub fn new() -> Self {
        Self::default()
    }

    /// The index of a stream of the source being scanned: only its own streams are looked
    /// through, so that thousands of sources (one per event object) cost linear time.
    fn stream_index(&mut self, stream: Stream) -> usize {
        let first = self.first_pending;
        if let Some(i) = self.streams[first..].iter().position(|s| *s == stream) {
            return first + i;
        }
        self.streams.push(stream);
        self.streams.len() - 1
    }

    /// Scans a whole text held in memory (tests and benchmarks; the commands stream with
    /// [`LogScan::scan_reader`]). Returns the id of the source added for it.
    pub fn scan_text(
        &mut self,
        sources: &mut Sources,
        name: &str,
        text: &str,
        origin: &StreamOrigin,
        filter: Filter,
    ) -> SourceId {
        let mut reader = LineReader::new(text.as_bytes(), LOG_LINE_LIMIT);
        let mut scanner = SourceScanner::new(origin, filter);
        let mut buf = Vec::new();
        // Reading from memory cannot fail.
        while let Ok(Some(info)) = reader.next_line(&mut buf) {
            scanner.line(self, &buf, info);
        }
        scanner.finish(self, sources, name, SourceOrigin::LogFile)
    }

    /// Streams the lines of `reader` (a file, standard input) through a [`SourceScanner`]:
    /// one line in memory at a time, cut at [`LOG_LINE_LIMIT`] bytes.
    pub fn scan_reader(
        &mut self,
        sources: &mut Sources,
        name: &str,
        source_origin: SourceOrigin,
        reader: &mut LineReader<impl BufRead>,
        filter: Filter,
    ) -> std::io::Result<SourceId> {
        let mut scanner = SourceScanner::new(&StreamOrigin::File, filter);
        let mut buf = Vec::new();
        while let Some(info) = reader.next_line(&mut buf)? {
            scanner.line(self, &buf, info);
        }
        Ok(scanner.finish(self, sources, name, source_origin))
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
    let events_only = hits.iter().all(|h| h.signature.rule.starts_with("event-"));
    finding = if pods.is_empty() {
        let mut files: Vec<&str> = hits
            .iter()
            .map(|h| sources.get(h.span.source).name.as_str())
            .collect();
        files.sort_unstable();
        files.dedup();
        if events_only {
            finding.note(format!(
                "read in {}; each line of `kubectl describe` and `kubectl get events` text names its object",
                files.join(", ")
            ))
        } else {
            finding.note(format!(
            "logged in {}; the pods are not recorded (save logs with `kubectl logs --prefix` to see which pod logged what)",
            files.join(", ")
        ))
        }
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

    fn scan(text: &str, filter: Filter) -> (LogScan, Sources) {
        let mut sources = Sources::new();
        let mut scan = LogScan::new();
        scan.scan_text(&mut sources, "core.log", text, &StreamOrigin::File, filter);
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

    // The whole log was kept in memory; now only the matching lines are, and the line numbers
    // counted while streaming still point into the log.
    #[test]
    fn only_matching_lines_are_kept_and_keep_their_numbers() {
        let mut text = String::new();
        for i in 0..500 {
            let _ = writeln!(
                text,
                "2024-06-03T08:00:00Z [INFO] [/core/main.go:1]: request {i}"
            );
        }
        text.push_str("2024-06-03T08:00:01Z [ERROR] x, crypto/rsa: verification error Bearer AbCdEfGh12345678\n");
        let (s, sources) = scan(&text, Filter::default());
        assert_eq!(s.lines, 501);
        let h = &s.hits[0];
        assert_eq!((h.span.line, h.span.column), (501, 33));
        let kept = &sources.get(h.span.source).text;
        assert!(kept.len() < 120, "{kept}");
        assert_eq!(
            &kept[h.span.start..h.span.end],
            "crypto/rsa: verification error"
        );
        assert_eq!(sources.redactions(h.span.source).len(), 1);
        assert!(!example(h, &sources).contains("AbCdEfGh12345678"));
    }

    // With `--tail`, the lines of several streams wait per stream and come out in log order.
    #[test]
    fn tail_keeps_the_last_lines_of_each_stream_in_log_order() {
        let text = "[pod/a/core] 2024-06-03T08:00:00Z token is not valid yet\n\
                    [pod/b/core] 2024-06-03T08:00:01Z crypto/rsa: verification error\n\
                    [pod/a/core] 2024-06-03T08:00:02Z ok\n\
                    [pod/a/core] 2024-06-03T08:00:03Z failed to read private key\n\
                    [pod/b/core] 2024-06-03T08:00:04Z token is not valid yet\n";
        let (s, _) = scan(
            text,
            Filter {
                tail: Some(2),
                ..Filter::default()
            },
        );
        assert_eq!(s.lines, 4);
        let lines: Vec<usize> = s.hits.iter().map(|h| h.span.line).collect();
        assert_eq!(lines, [2, 4, 5]);
    }

    // Each source looks only through its own streams (one source per event object made the
    // lookup quadratic); the same pod in two files is still two streams.
    #[test]
    fn streams_of_finished_sources_are_not_reused() {
        let mut sources = Sources::new();
        let mut s = LogScan::new();
        let text = "[pod/a/core] 2024-06-03T08:00:00Z token is not valid yet\n";
        let one = s.scan_text(
            &mut sources,
            "1.log",
            text,
            &StreamOrigin::File,
            Filter::default(),
        );
        let two = s.scan_text(
            &mut sources,
            "2.log",
            text,
            &StreamOrigin::File,
            Filter::default(),
        );
        assert_eq!(s.streams.len(), 2);
        assert_eq!(s.streams[0].source, one);
        assert_eq!(s.streams[1].source, two);
        assert_eq!((s.hits[0].stream, s.hits[1].stream), (0, 1));
    }

    #[test]
    fn expiry_classes() {
        assert_eq!(classify_expiry(Some("3s")), ExpiryClass::Seconds);
        assert_eq!(classify_expiry(Some("25m6s")), ExpiryClass::Minutes);
        assert_eq!(classify_expiry(Some("309h12m44s")), ExpiryClass::Hours);
        assert_eq!(classify_expiry(None), ExpiryClass::Unknown);
    }
}
