//! The human format: rustc-like diagnostics with the offending line and a caret.

use std::fmt::Write as _;

use anstyle::AnsiColor;

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

/// The styles of the text output (rustc's palette). Each renders as `ESC [ digits m`
/// sequences, the only control sequences [`crate::redact::clean_output`] lets through.
const BOLD: anstyle::Style = anstyle::Style::new().bold();
const ERROR: anstyle::Style = BOLD.fg_color(Some(anstyle::Color::Ansi(AnsiColor::Red)));
const WARNING: anstyle::Style = BOLD.fg_color(Some(anstyle::Color::Ansi(AnsiColor::Yellow)));
const INFO: anstyle::Style = BOLD.fg_color(Some(anstyle::Color::Ansi(AnsiColor::Cyan)));
const GUTTER: anstyle::Style = BOLD.fg_color(Some(anstyle::Color::Ansi(AnsiColor::Blue)));
const GOOD: anstyle::Style = BOLD.fg_color(Some(anstyle::Color::Ansi(AnsiColor::Green)));

fn severity_style(severity: Severity) -> anstyle::Style {
    match severity {
        Severity::Error => ERROR,
        Severity::Warning => WARNING,
        Severity::Info => INFO,
    }
}

impl Style {
    fn paint(self, style: anstyle::Style, text: &str) -> String {
        if self.color {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_string()
        }
    }

    fn severity(self, severity: Severity) -> String {
        self.paint(severity_style(severity), severity.as_str())
    }

    fn gutter(self, text: &str) -> String {
        self.paint(GUTTER, text)
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
            style.paint(BOLD, "note"),
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
                style.paint(BOLD, "suppressed"),
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
            style.paint(GOOD, "no problems found")
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
        let _ = writeln!(out, "{}{suppressed}", style.paint(BOLD, &line));
    }
    out
}

fn render_finding(out: &mut String, f: &Finding, sources: &Sources, style: Style) {
    let _ = writeln!(
        out,
        "{}{}: {}",
        style.severity(f.severity),
        style.paint(BOLD, &format!("[{}]", f.rule)),
        style.paint(BOLD, &escape(&f.message))
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
        let paint = severity_style(f.severity);
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
            style.paint(BOLD, "note"),
            escape(note)
        );
    }
    if !f.help.is_empty() {
        let _ = writeln!(
            out,
            "{pad} {} {}: {}",
            style.gutter("="),
            style.paint(BOLD, "help"),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_pass_the_output_gate_and_never_without_colour() {
        let on = Style { color: true };
        let off = Style { color: false };
        assert_eq!(on.severity(Severity::Error), "\x1b[1m\x1b[31merror\x1b[0m");
        for style in [BOLD, ERROR, WARNING, INFO, GUTTER, GOOD] {
            let painted = on.paint(style, "x");
            assert!(painted.starts_with('\x1b'), "{painted:?}");
            assert_eq!(crate::redact::clean_output(&painted), painted);
            assert_eq!(off.paint(style, "x"), "x");
        }
    }
}
