//! `-o github`: GitHub Actions workflow commands, one per finding
//! (`::error file=…,line=…,col=…,title=RULE::message`), which the runner turns into annotations
//! on the pull request's files.

use std::fmt::Write as _;

use super::json::location;
use super::{Report, Severity};
use crate::values::{SourceOrigin, Sources};

/// Escapes the message part of a workflow command.
fn data(text: &str) -> String {
    crate::redact::escape(text)
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value of a workflow command.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

/// Renders a report as workflow commands, then a summary notice.
pub fn render_github(report: &Report, sources: &Sources) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut props = Vec::new();
        // Only files in the checkout can carry an annotation; other locations go in the text.
        let in_file = f.span.is_some_and(|s| {
            matches!(
                sources.get(s.source).origin,
                SourceOrigin::ValuesFile | SourceOrigin::SecretFile | SourceOrigin::LogFile
            )
        });
        let mut message = f.message.clone();
        match location(f, sources) {
            Some(loc) if in_file => {
                props.push(format!("file={}", property(&loc.file)));
                props.push(format!("line={}", loc.line));
                props.push(format!("col={}", loc.column));
            }
            Some(loc) => message = format!("{}:{}:{}: {message}", loc.file, loc.line, loc.column),
            None => {}
        }
        if let Some(object) = &f.object {
            message = format!("{object}: {message}");
        }
        props.push(format!("title={}", property(f.rule)));
        if !f.help.is_empty() {
            message = format!("{message}\nhelp: {}", f.help);
        }
        let _ = writeln!(out, "::{command} {}::{}", props.join(","), data(&message));
    }
    let summary = report.summary();
    let _ = writeln!(
        out,
        "::notice title=harbor-upgrade::{} error(s), {} warning(s), {} info(s){}",
        summary.error,
        summary.warning,
        summary.info,
        match (&report.from, &report.to) {
            (Some(from), Some(to)) => data(&format!(" for the upgrade {from} → {to}")),
            (None, Some(to)) => data(&format!(" for the upgrade to {to}")),
            _ => String::new(),
        }
    );
    out
}
