//! `-o markdown`: a table for a pull-request comment.

use std::fmt::Write as _;

use super::json::location;
use super::{Report, Severity};
use crate::values::Sources;

/// Makes text safe inside a table cell: no pipes, no raw HTML, no line breaks.
fn cell(text: &str) -> String {
    crate::redact::escape(text)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace("\r\n", "<br>")
        .replace('\n', "<br>")
}

/// Renders a report as a Markdown section with a table of findings.
pub fn render_markdown(report: &Report, sources: &Sources) -> String {
    let mut out = String::from("### harbor-upgrade\n\n");
    let summary = report.summary();
    let upgrade = match (&report.from, &report.to) {
        (Some(from), Some(to)) => format!("Upgrade {} → {}: ", cell(from), cell(to)),
        (None, Some(to)) => format!("Upgrade to {}: ", cell(to)),
        _ => String::new(),
    };
    let count = |n: usize, what: &str| {
        let text = format!("{n} {what}{}", if n == 1 { "" } else { "s" });
        if n > 0 && what == "error" {
            format!("**{text}**")
        } else {
            text
        }
    };
    let _ = writeln!(
        out,
        "{upgrade}{}, {}, {}.\n",
        count(summary.error, "error"),
        count(summary.warning, "warning"),
        count(summary.info, "info")
    );
    if report.findings.is_empty() {
        out.push_str("No problems found.\n");
    } else {
        out.push_str("| Severity | Rule | Where | Finding |\n|---|---|---|---|\n");
        for f in &report.findings {
            let severity = match f.severity {
                Severity::Error => "**error**",
                Severity::Warning => "warning",
                Severity::Info => "info",
            };
            let mut place = Vec::new();
            if let Some(loc) = location(f, sources) {
                place.push(format!("`{}:{}:{}`", cell(&loc.file), loc.line, loc.column));
            }
            if let Some(object) = &f.object {
                place.push(cell(object));
            }
            let mut finding = cell(&f.message);
            if !f.help.is_empty() {
                let _ = write!(finding, "<br>**help:** {}", cell(&f.help));
            }
            let _ = writeln!(
                out,
                "| {severity} | `{}` | {} | {finding} |",
                f.rule,
                place.join("<br>")
            );
        }
    }
    if !report.skipped.is_empty() {
        let _ = writeln!(
            out,
            "\n<details><summary>{} check(s) skipped</summary>\n",
            report.skipped.len()
        );
        for s in &report.skipped {
            let _ = writeln!(out, "- `{}`: {}", s.rule, cell(&s.reason));
        }
        out.push_str("\n</details>\n");
    }
    out
}
