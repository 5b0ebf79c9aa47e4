//! The human format: rustc-like diagnostics with the offending line and a caret.

use std::fmt::Write as _;

use super::mask::MaskedLine;
use super::{Finding, Report, Severity};
use crate::redact::escape;
use crate::values::{Sources, Span};

/// Presentation choices for text output.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    /// Emit ANSI colours.
    pub color: bool,
}

impl Style {
    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn severity(self, severity: Severity) -> String {
        let code = match severity {
            Severity::Error => "1;31",
            Severity::Warning => "1;33",
            Severity::Info => "1;36",
        };
        self.paint(code, severity.as_str())
    }

    fn gutter(self, text: &str) -> String {
        self.paint("1;34", text)
    }
}

/// Renders a report as text.
pub fn render_text(report: &Report, sources: &Sources, style: Style) -> String {
    let mut out = String::new();
    for finding in &report.findings {
        render_finding(&mut out, finding, sources, style);
        out.push('\n');
    }
    for skipped in &report.skipped {
        let _ = writeln!(
            out,
            "{}: `{}` not checked: {}",
            style.paint("1", "note"),
            skipped.rule,
            escape(&skipped.reason)
        );
    }
    if !report.skipped.is_empty() {
        out.push('\n');
    }
    if report.show_suppressed {
        for suppressed in &report.suppressed {
            let f = &suppressed.finding;
            let place = f
                .span
                .map(|span| {
                    let (line, column) = (span.line, span.column);
                    format!(" at {}:{line}:{column}", sources.get(span.source).name)
                })
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "{}: [{}] {}{place} (suppressed by {})",
                style.paint("1", "suppressed"),
                f.rule,
                f.message,
                suppressed.by
            );
        }
        if !report.suppressed.is_empty() {
            out.push('\n');
        }
    }
    let s = report.summary();
    let suppressed = match s.suppressed {
        0 => String::new(),
        n if report.show_suppressed => format!("; {n} suppressed"),
        n => format!("; {n} suppressed (`--show-suppressed` lists them)"),
    };
    if report.findings.is_empty() {
        let _ = writeln!(
            out,
            "{}{suppressed}",
            style.paint("1;32", "no problems found")
        );
    } else {
        let plural = |n: usize, word: &str| {
            if n == 1 || word == "info" {
                format!("{n} {word}")
            } else {
                format!("{n} {word}s")
            }
        };
        let line = format!(
            "found {}, {}, {}",
            plural(s.error, "error"),
            plural(s.warning, "warning"),
            plural(s.info, "info")
        );
        let _ = writeln!(out, "{}{suppressed}", style.paint("1", &line));
    }
    out
}

fn render_finding(out: &mut String, f: &Finding, sources: &Sources, style: Style) {
    let _ = writeln!(
        out,
        "{}{}: {}",
        style.severity(f.severity),
        style.paint("1", &format!("[{}]", f.rule)),
        style.paint("1", &escape(&f.message))
    );
    let snippet = f.span.map(|span| snippet(span, sources));
    let width = snippet.as_ref().map_or(1, |s| s.line_no.to_string().len());
    let pad = " ".repeat(width);
    match (&snippet, &f.object) {
        (Some(s), _) => {
            let _ = writeln!(
                out,
                "{pad}{} {}:{}:{}",
                style.gutter("-->"),
                s.file,
                s.line_no,
                s.column
            );
        }
        (None, Some(object)) => {
            let _ = writeln!(out, "{pad}{} {}", style.gutter("-->"), escape(object));
        }
        (None, None) => {}
    }
    if let Some(s) = &snippet {
        let bar = style.gutter("|");
        let _ = writeln!(out, "{pad} {bar}");
        let _ = writeln!(
            out,
            "{} {bar} {}",
            style.gutter(&s.line_no.to_string()),
            s.text
        );
        let carets = "^".repeat(s.caret_len.max(1));
        let paint = match f.severity {
            Severity::Error => "1;31",
            Severity::Warning => "1;33",
            Severity::Info => "1;36",
        };
        let _ = writeln!(
            out,
            "{pad} {bar} {}{}",
            " ".repeat(s.caret_col),
            style.paint(paint, &carets)
        );
        if f.object.is_some() {
            let _ = writeln!(
                out,
                "{pad} {} in {}",
                style.gutter("="),
                escape(f.object.as_deref().unwrap_or_default())
            );
        }
    }
    if let Some(path) = &f.values_path {
        let _ = writeln!(
            out,
            "{pad} {} values path: `{}`",
            style.gutter("="),
            escape(path)
        );
    }
    for note in &f.notes {
        let _ = writeln!(
            out,
            "{pad} {} {}: {}",
            style.gutter("="),
            style.paint("1", "note"),
            escape(note)
        );
    }
    if !f.help.is_empty() {
        let _ = writeln!(
            out,
            "{pad} {} {}: {}",
            style.gutter("="),
            style.paint("1", "help"),
            escape(&f.help)
        );
    }
}

struct Snippet {
    file: String,
    line_no: usize,
    column: usize,
    text: String,
    caret_col: usize,
    caret_len: usize,
}

fn snippet(span: Span, sources: &Sources) -> Snippet {
    let source = sources.get(span.source);
    let text = source.text.as_str();
    let start = span.start.min(text.len());
    // The line from the source's line index: a binary search, not a scan back over the text.
    let (line_no, _) = sources.line_col(span.source, start);
    let index = sources.line_index(span.source);
    let line_start = index.line_start(line_no).unwrap_or(0).min(start);
    let line_end = index
        .line_start(line_no + 1)
        .map_or(text.len(), |next| next - 1)
        .max(start);
    let raw = text[line_start..line_end].trim_end_matches('\r');
    let (raw, line_start) = match raw.strip_prefix('\u{feff}') {
        Some(rest) => (rest, line_start + '\u{feff}'.len_utf8()),
        None => (raw, line_start),
    };
    let start = start.max(line_start);
    let redactions = sources.redactions_in(span.source, line_start..line_start + raw.len());
    let masked = MaskedLine::new(raw, line_start, &redactions);
    let caret_col = masked.column(start - line_start);
    let end = span.end.clamp(start, line_start + raw.len());
    let caret_end = masked.column(end - line_start);
    Snippet {
        file: escape(&source.name).into_owned(),
        line_no: span.line,
        column: span.column,
        text: masked.text.replace('\t', " "),
        caret_col,
        caret_len: caret_end.saturating_sub(caret_col),
    }
}
